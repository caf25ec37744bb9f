/*
 * NAME
 *	dict_pcre - pcre: tables (PCRE2)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_pcre_ops;
 * DESCRIPTION
 *	"pcre:/path/file": Postfix's PCRE table format (see dict_pattern.c
 *	for the file syntax), matched with PCRE2 in 8-bit mode. Flags after
 *	the closing delimiter, as in Postfix:
 *
 *	    i	toggle case-insensitive matching (on by default)
 *	    m	multi-line: ^ and $ match at embedded newlines
 *	    s	dot matches newline too
 *	    x	extended: white space and # comments in the pattern
 *	    A	anchored at the start of the key
 *	    E	$ matches only at the very end
 *	    U	ungreedy quantifiers
 *	    X	accepted and ignored (PCRE1's "extra")
 *
 *	Patterns are JIT-compiled when the platform allows. Each match is
 *	bounded by a match limit and a depth limit, so a pathological
 *	pattern against a hostile key fails the lookup (DICT_ERR_CONFIG)
 *	instead of spinning.
 * DIAGNOSTICS
 *	Compile errors give PCRE2's message and the offset in the pattern.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "dict.h"
#include "dict_pattern.h"
#include "mymalloc.h"

#define DICT_PCRE_MATCH_LIMIT	1000000
#define DICT_PCRE_DEPTH_LIMIT	10000

typedef struct DICT_PCRE_CTX {
	pcre2_match_data *md;
	pcre2_match_context *mc;
} DICT_PCRE_CTX;

static void *
dict_pcre_ctx_new(void)
{
	DICT_PCRE_CTX *ctx = mycalloc(1, sizeof(*ctx));

	if ((ctx->md = pcre2_match_data_create(DICT_PAT_MAXGROUP, NULL)) == NULL
	    || (ctx->mc = pcre2_match_context_create(NULL)) == NULL)
		msg_fatal("pcre2: out of memory");
	(void)pcre2_set_match_limit(ctx->mc, DICT_PCRE_MATCH_LIMIT);
	(void)pcre2_set_depth_limit(ctx->mc, DICT_PCRE_DEPTH_LIMIT);
	return ctx;
}

static void
dict_pcre_ctx_free(void *ptr)
{
	DICT_PCRE_CTX *ctx = ptr;

	pcre2_match_data_free(ctx->md);
	pcre2_match_context_free(ctx->mc);
	myfree(ctx);
}

static int
dict_pcre_flags(const char *flags, uint32_t *options, VSTRING *why)
{
	const char *cp;

	*options = PCRE2_CASELESS;
	for (cp = flags; *cp; cp++) {
		switch (*cp) {
		case 'i': *options ^= PCRE2_CASELESS; break;
		case 'm': *options |= PCRE2_MULTILINE; break;
		case 's': *options |= PCRE2_DOTALL; break;
		case 'x': *options |= PCRE2_EXTENDED; break;
		case 'A': *options |= PCRE2_ANCHORED; break;
		case 'E': *options |= PCRE2_DOLLAR_ENDONLY; break;
		case 'U': *options |= PCRE2_UNGREEDY; break;
		case 'X': break;
		default:
			vstring_sprintf(why, "unknown pcre flag \"%c\"", *cp);
			return -1;
		}
	}
	return 0;
}

static void *
dict_pcre_compile(const char *pattern, const char *flags, int *ngroups,
    VSTRING *why)
{
	pcre2_code *re;
	uint32_t options, count;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff;
	int	 err;

	if (dict_pcre_flags(flags, &options, why) < 0)
		return NULL;
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    options, &err, &erroff, NULL);
	if (re == NULL) {
		(void)pcre2_get_error_message(err, msg, sizeof(msg));
		vstring_sprintf(why, "pcre pattern /%s/: %s at offset %zu",
		    pattern, (char *)msg, (size_t)erroff);
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	if (pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &count) != 0)
		count = 0;
	*ngroups = count;
	return re;
}

static int
dict_pcre_match(void *ptr, void *re, const char *key, size_t *ovec,
    VSTRING *why)
{
	DICT_PCRE_CTX *ctx = ptr;
	PCRE2_SIZE *o;
	PCRE2_UCHAR msg[256];
	int	 rc, i;

	rc = pcre2_match(re, (PCRE2_SPTR)key, PCRE2_ZERO_TERMINATED, 0, 0,
	    ctx->md, ctx->mc);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		(void)pcre2_get_error_message(rc, msg, sizeof(msg));
		vstring_sprintf(why, "pcre match: %s", (char *)msg);
		return -1;
	}
	if (rc == 0)			/* more groups than the vector holds */
		rc = DICT_PAT_MAXGROUP;
	o = pcre2_get_ovector_pointer(ctx->md);
	for (i = 0; i < DICT_PAT_MAXGROUP; i++) {
		ovec[2 * i] = i < rc ? o[2 * i] : DICT_PAT_UNSET;
		ovec[2 * i + 1] = i < rc ? o[2 * i + 1] : DICT_PAT_UNSET;
	}
	return 1;
}

static void
dict_pcre_free(void *re)
{
	pcre2_code_free(re);
}

static const DICT_PAT_ENGINE dict_pcre_engine = {
	dict_pcre_ctx_new, dict_pcre_ctx_free, dict_pcre_compile,
	dict_pcre_match, dict_pcre_free,
};

static int
dict_pcre_open(DICT *dict, VSTRING *why)
{
	return dict_pattern_open(dict, why, &dict_pcre_engine);
}

const DICT_OPS dict_pcre_ops = {
	"pcre", 0, dict_pcre_open, dict_pattern_get, NULL, NULL, NULL, NULL,
	dict_pattern_close,
};
