/*
 * NAME
 *	dict_pattern - shared part of pcre: and regexp: tables
 * SYNOPSIS
 *	#include <dict_pattern.h>
 *
 *	int   dict_pattern_open(DICT *dict, VSTRING *why,
 *		const DICT_PAT_ENGINE *engine);
 *	const char *dict_pattern_get(DICT *dict, const char *key);
 *	void  dict_pattern_close(DICT *dict);
 * DESCRIPTION
 *	Reads a Postfix-syntax pattern file (dict->name) into a list of
 *	rules compiled by the engine, and evaluates them. The syntax, one
 *	logical line each (see dict_file.c for comments and continuation):
 *
 *	    /pattern/flags result     the first matching rule gives result
 *	    !/pattern/flags result    ... when the pattern does not match
 *	    /pat1/flags!/pat2/flags result  ... when pat1 matches, pat2 not
 *	    if /pattern/flags         rules up to the matching endif are
 *	    if !/pattern/flags        only tried when the condition holds
 *	    endif
 *
 *	The delimiter may be any punctuation character other than "\" and
 *	"!"; a backslash protects the delimiter inside the pattern (it is
 *	passed on to the engine, which reads "\/" as "/"). The flags are the
 *	engine's (dict_pcre.c, dict_regexp.c). In the result, "$n" (one or
 *	two digits) and "${n}" are replaced by the text that group n matched
 *	(empty when it took no part), "$$" by "$"; any other "$" is kept.
 *
 *	The file is checked as it is read: a pattern that does not compile,
 *	a missing result, a reference to a group the pattern does not have, a
 *	reference in a negated rule, "endif" without "if" and "if" without
 *	"endif" all fail the open with "file:line: reason".
 * DIAGNOSTICS
 *	Lookup failures of the engine (PCRE2 match limits, say) set
 *	DICT_ERR_CONFIG and are logged.
 */
#include <ctype.h>
#include <string.h>

#include "dict_file.h"
#include "dict_pattern.h"
#include "msg.h"
#include "mymalloc.h"

#define RULE_MATCH	0
#define RULE_IF		1
#define RULE_ENDIF	2

typedef struct DICT_PAT_RULE {
	int	 op;
	int	 negate;
	int	 lineno;
	void	*re;
	void	*re2;			/* /re/!/re2/: must not match */
	char	*result;
	size_t	 endif;			/* RULE_IF: index of its endif */
} DICT_PAT_RULE;

typedef struct DICT_PAT {
	const DICT_PAT_ENGINE *engine;
	void	*ctx;
	DICT_PAT_RULE *rules;
	size_t	 nrules;
	size_t	 size;
	size_t	 ovec[2 * DICT_PAT_MAXGROUP];
	size_t	 ovec2[2 * DICT_PAT_MAXGROUP];	/* for re2 */
	VSTRING	*result;
	DICT_FILE_NEST *nest;		/* if/endif while reading */
} DICT_PAT;

typedef struct DICT_PAT_LINE {
	DICT_PAT *dp;
	const char *path;
	int	 lineno;
	VSTRING	*why;
} DICT_PAT_LINE;

static DICT_PAT_RULE *
dict_pattern_add(DICT_PAT *dp, int op, int lineno)
{
	DICT_PAT_RULE *r;

	if (dp->nrules == dp->size) {
		dp->size = dp->size ? 2 * dp->size : 16;
		dp->rules = myrealloc(dp->rules, dp->size * sizeof(*dp->rules));
	}
	r = dp->rules + dp->nrules++;
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->lineno = lineno;
	return r;
}

/*
 * Scan the "$" references of a result: the highest group number, or -1
 * for an unterminated "${".
 */
static int
dict_pattern_maxref(const char *cp)
{
	int	 n, max = 0;

	for (; *cp; cp++) {
		if (*cp != '$')
			continue;
		if (cp[1] == '$') {
			cp++;
		} else if (isdigit((unsigned char)cp[1])) {
			n = cp[1] - '0';
			cp++;
			if (isdigit((unsigned char)cp[1]))
				n = 10 * n + *++cp - '0';
			max = n > max ? n : max;
		} else if (cp[1] == '{' && isdigit((unsigned char)cp[2])) {
			for (n = 0, cp += 2; isdigit((unsigned char)*cp); cp++)
				if ((n = 10 * n + *cp - '0') >= DICT_PAT_MAXGROUP)
					return -1;
			if (*cp != '}')
				return -1;
			max = n > max ? n : max;
		}
	}
	return max;
}

static int
dict_pattern_endif(DICT_PAT *dp, const char *rest, DICT_PAT_LINE *ln)
{
	size_t	 start;

	if (dict_file_endif(dp->nest, &start, ln->path, ln->lineno,
	    ln->why) < 0)
		return -1;
	if (*rest)
		msg_warn("%s:%d: ignoring text after endif", ln->path,
		    ln->lineno);
	dp->rules[start].endif = dp->nrules;
	(void)dict_pattern_add(dp, RULE_ENDIF, ln->lineno);
	return 0;
}

/*
 * Cut "/pattern/flags" at cp: pattern and flags in place. Returns 0, 1
 * when "!/pattern2/" follows (cp then points at its delimiter), or -1.
 */
static int
dict_pattern_cut(char **cpp, char **pattern, char **flags, DICT_PAT_LINE *ln)
{
	char	*cp = *cpp, delim = *cp;

	if (delim == 0 || isalnum((unsigned char)delim) || delim == '\\'
	    || isspace((unsigned char)delim) || delim == '!') {
		vstring_sprintf(ln->why, "%s:%d: expected /pattern/", ln->path,
		    ln->lineno);
		return -1;
	}
	*pattern = ++cp;
	while (*cp && *cp != delim)
		cp += (*cp == '\\' && cp[1]) ? 2 : 1;
	if (*cp == 0) {
		vstring_sprintf(ln->why, "%s:%d: missing closing %c after "
		    "pattern", ln->path, ln->lineno, delim);
		return -1;
	}
	*cp++ = 0;
	*flags = cp;
	while (*cp && !isspace((unsigned char)*cp) && *cp != '!')
		cp++;
	if (*cp == '!') {		/* /pattern1/!/pattern2/ */
		*cp++ = 0;
		*cpp = cp;
		return 1;
	}
	if (*cp)
		*cp++ = 0;
	while (isspace((unsigned char)*cp))
		cp++;
	*cpp = cp;
	return 0;
}

static int
dict_pattern_check(int op, int negate, int ngroups, const char *result,
    DICT_PAT_LINE *ln)
{
	int	 max;

	if (op == RULE_IF) {
		if (*result)
			msg_warn("%s:%d: ignoring text after if /pattern/",
			    ln->path, ln->lineno);
		return 0;
	}
	if (*result == 0) {
		vstring_sprintf(ln->why, "%s:%d: missing result after "
		    "pattern", ln->path, ln->lineno);
		return -1;
	}
	if ((max = dict_pattern_maxref(result)) < 0) {
		vstring_sprintf(ln->why, "%s:%d: bad ${n} in result",
		    ln->path, ln->lineno);
		return -1;
	}
	if (max > 0 && negate) {
		vstring_sprintf(ln->why, "%s:%d: $%d in the result of a "
		    "negated pattern", ln->path, ln->lineno, max);
		return -1;
	}
	if (max > ngroups) {
		vstring_sprintf(ln->why, "%s:%d: result refers to $%d but the "
		    "pattern has %d group%s", ln->path, ln->lineno, max,
		    ngroups, ngroups == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/* Cut and compile one /pattern/flags: 0, 1 ("!/pattern2/" follows), -1. */
static int
dict_pattern_compile(DICT_PAT *dp, char **cpp, void **re, int *ngroups,
    DICT_PAT_LINE *ln)
{
	char	*pattern, *flags, *reason;
	int	 rc;

	if ((rc = dict_pattern_cut(cpp, &pattern, &flags, ln)) < 0)
		return -1;
	if ((*re = dp->engine->compile(pattern, flags, ngroups, ln->why)) == NULL) {
		reason = mystrdup(vstring_str(ln->why));
		vstring_sprintf(ln->why, "%s:%d: %s", ln->path, ln->lineno,
		    reason);
		myfree(reason);
		return -1;
	}
	return rc;
}

static int
dict_pattern_line(DICT_PAT *dp, char *cp, DICT_PAT_LINE *ln)
{
	int	 op = RULE_MATCH, negate = 0, ngroups, n2, rc;
	void	*re, *re2 = NULL;
	DICT_PAT_RULE *r;

	if (strncmp(cp, "endif", 5) == 0 && (cp[5] == 0 || isspace((unsigned char)cp[5])))
		return dict_pattern_endif(dp, cp + 5 + (cp[5] != 0), ln);
	if (strncmp(cp, "if", 2) == 0 && isspace((unsigned char)cp[2])) {
		op = RULE_IF;
		for (cp += 2; isspace((unsigned char)*cp); cp++)
			;
	}
	if (*cp == '!') {
		negate = 1;
		for (cp++; isspace((unsigned char)*cp); cp++)
			;
	}
	if ((rc = dict_pattern_compile(dp, &cp, &re, &ngroups, ln)) < 0)
		return -1;
	if (rc == 1 && (rc = dict_pattern_compile(dp, &cp, &re2, &n2, ln)) != 0) {
		if (rc > 0)
			vstring_sprintf(ln->why, "%s:%d: at most two patterns "
			    "(/a/!/b/)", ln->path, ln->lineno);
		goto fail;
	}
	if (dict_pattern_check(op, negate, ngroups, cp, ln) < 0)
		goto fail;
	if (op == RULE_IF && dict_file_if(dp->nest, dp->nrules, ln->path,
	    ln->lineno, ln->why) < 0)
		goto fail;
	r = dict_pattern_add(dp, op, ln->lineno);
	r->negate = negate;
	r->re = re;
	r->re2 = re2;
	r->result = op == RULE_MATCH ? mystrdup(cp) : NULL;
	return 0;
fail:
	dp->engine->free(re);
	if (re2 != NULL)
		dp->engine->free(re2);
	return -1;
}

static void
dict_pattern_free(DICT_PAT *dp)
{
	size_t	 i;

	for (i = 0; i < dp->nrules; i++) {
		if (dp->rules[i].re != NULL)
			dp->engine->free(dp->rules[i].re);
		if (dp->rules[i].re2 != NULL)
			dp->engine->free(dp->rules[i].re2);
		myfree(dp->rules[i].result);
	}
	if (dp->ctx != NULL)
		dp->engine->ctx_free(dp->ctx);
	myfree(dp->rules);
	if (dp->nest != NULL)
		dict_file_nest_free(dp->nest);
	vstring_free(dp->result);
	myfree(dp);
}

/* dict_file_load() rule: the rule of one line. */
static int
dict_pattern_load(void *context, char *line, int lineno, VSTRING *why)
{
	DICT_PAT_LINE *ln = context;

	ln->lineno = lineno;
	return dict_pattern_line(ln->dp, line, ln);
}

int
dict_pattern_open(DICT *dict, VSTRING *why, const DICT_PAT_ENGINE *engine)
{
	DICT_PAT *dp = mycalloc(1, sizeof(*dp));
	DICT_PAT_LINE ln;

	dp->engine = engine;
	dp->result = vstring_alloc(64);
	dp->nest = dict_file_nest_alloc();
	ln.dp = dp;
	ln.path = dict->name;
	ln.why = why;
	if (dict_file_load(dict, dp->nest, dict_pattern_load, &ln, why) < 0) {
		dict_pattern_free(dp);
		return -1;
	}
	dp->ctx = engine->ctx_new();
	dict_file_nest_free(dp->nest);
	dp->nest = NULL;
	dict->data = dp;
	return 0;
}

/* The result of rule r with $n replaced from the last match of key. */
static const char *
dict_pattern_expand(DICT_PAT *dp, const char *cp, const char *key)
{
	int	 n;
	size_t	*o;

	vstring_reset(dp->result);
	for (; *cp; cp++) {
		if (*cp != '$' || !(cp[1] == '$' || isdigit((unsigned char)cp[1])
		    || (cp[1] == '{' && isdigit((unsigned char)cp[2])))) {
			vstring_addch(dp->result, *cp);
			continue;
		}
		if (*++cp == '$') {
			vstring_addch(dp->result, '$');
			continue;
		}
		if (*cp == '{') {
			for (n = 0, cp++; isdigit((unsigned char)*cp); cp++)
				if (n < DICT_PAT_MAXGROUP)
					n = 10 * n + *cp - '0';
		} else {
			n = *cp - '0';
			if (isdigit((unsigned char)cp[1]))
				n = 10 * n + *++cp - '0';
		}
		if (n >= DICT_PAT_MAXGROUP)
			continue;
		o = dp->ovec + 2 * n;
		if (o[0] != DICT_PAT_UNSET && o[1] >= o[0])
			vstring_memcat(dp->result, key + o[0], o[1] - o[0]);
	}
	return vstring_str(dp->result);
}

const char *
dict_pattern_get(DICT *dict, const char *key)
{
	DICT_PAT *dp = dict->data;
	DICT_PAT_RULE *r;
	size_t	 i = 0;
	int	 m;

	while (i < dp->nrules) {
		r = dp->rules + i;
		if (r->op == RULE_ENDIF) {
			i++;
			continue;
		}
		m = dp->engine->match(dp->ctx, r->re, key, dp->ovec, dict->why);
		if (m > 0 && r->re2 != NULL && (m = dp->engine->match(dp->ctx,
		    r->re2, key, dp->ovec2, dict->why)) >= 0)
			m = !m;
		if (m < 0) {
			dict->error = DICT_ERR_CONFIG;
			msg_warn("%s:%d: %s", dict->name, r->lineno,
			    vstring_str(dict->why));
			return NULL;
		}
		m = r->negate ? !m : m;
		if (r->op == RULE_IF)
			i = m ? i + 1 : r->endif + 1;
		else if (m)
			return dict_pattern_expand(dp, r->result, key);
		else
			i++;
	}
	return NULL;
}

void
dict_pattern_close(DICT *dict)
{
	dict_pattern_free(dict->data);
	dict->data = NULL;
}
