/*
 * NAME
 *	dict_regexp - regexp: tables (POSIX regular expressions)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_regexp_ops;
 * DESCRIPTION
 *	"regexp:/path/file": Postfix's regexp table format (see
 *	dict_pattern.c for the file syntax), compiled with regcomp(3).
 *	Flags after the closing delimiter, as in Postfix:
 *
 *	    i	toggle case-insensitive matching (on by default)
 *	    x	toggle extended regular expressions (on by default)
 *	    m	toggle multi-line mode (REG_NEWLINE, off by default)
 *
 *	Unlike pcre:, a POSIX matcher has no match limit; glibc's is not
 *	backtracking for most patterns, but pcre: is the better choice for
 *	tables matched against long hostile keys.
 * DIAGNOSTICS
 *	Compile errors give regerror()'s message.
 */
#include <regex.h>
#include <string.h>

#include "dict.h"
#include "dict_pattern.h"
#include "mymalloc.h"

static void *
dict_regexp_ctx_new(void)
{
	return mycalloc(DICT_PAT_MAXGROUP, sizeof(regmatch_t));
}

static void
dict_regexp_ctx_free(void *ctx)
{
	myfree(ctx);
}

static void *
dict_regexp_compile(const char *pattern, const char *flags, int *ngroups,
    VSTRING *why)
{
	int	 cflags = REG_ICASE | REG_EXTENDED, err;
	const char *cp;
	char	 msg[256];
	regex_t	*re;

	for (cp = flags; *cp; cp++) {
		switch (*cp) {
		case 'i': cflags ^= REG_ICASE; break;
		case 'x': cflags ^= REG_EXTENDED; break;
		case 'm': cflags ^= REG_NEWLINE; break;
		default:
			vstring_sprintf(why, "unknown regexp flag \"%c\"", *cp);
			return NULL;
		}
	}
	re = mymalloc(sizeof(*re));
	if ((err = regcomp(re, pattern, cflags)) != 0) {
		(void)regerror(err, re, msg, sizeof(msg));
		vstring_sprintf(why, "regexp /%s/: %s", pattern, msg);
		myfree(re);
		return NULL;
	}
	*ngroups = re->re_nsub;
	return re;
}

static int
dict_regexp_match(void *ctx, void *re, const char *key, size_t *ovec,
    VSTRING *why)
{
	regmatch_t *pm = ctx;
	char	 msg[256];
	int	 err, i;

	err = regexec(re, key, DICT_PAT_MAXGROUP, pm, 0);
	if (err == REG_NOMATCH)
		return 0;
	if (err != 0) {
		(void)regerror(err, re, msg, sizeof(msg));
		vstring_sprintf(why, "regexec: %s", msg);
		return -1;
	}
	for (i = 0; i < DICT_PAT_MAXGROUP; i++) {
		ovec[2 * i] = pm[i].rm_so < 0 ? DICT_PAT_UNSET : (size_t)pm[i].rm_so;
		ovec[2 * i + 1] = pm[i].rm_eo < 0 ? DICT_PAT_UNSET : (size_t)pm[i].rm_eo;
	}
	return 1;
}

static void
dict_regexp_free(void *re)
{
	regfree(re);
	myfree(re);
}

static const DICT_PAT_ENGINE dict_regexp_engine = {
	dict_regexp_ctx_new, dict_regexp_ctx_free, dict_regexp_compile,
	dict_regexp_match, dict_regexp_free,
};

static int
dict_regexp_open(DICT *dict, VSTRING *why)
{
	return dict_pattern_open(dict, why, &dict_regexp_engine);
}

const DICT_OPS dict_regexp_ops = {
	"regexp", 0, dict_regexp_open, dict_pattern_get, NULL, NULL, NULL,
	NULL, dict_pattern_close,
};
