/*
 * NAME
 *	dict_cidr - cidr: tables (IPv4 and IPv6 networks)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_cidr_ops;
 * DESCRIPTION
 *	"cidr:/path/file": one rule per logical line (see dict_file.c),
 *
 *	    network/prefix	result
 *	    address		result		(a host: /32 or /128)
 *	    !network/prefix	result		(any address NOT in it)
 *	    if network/prefix			(the rules up to the
 *	    ...					 matching endif apply only
 *	    endif				 to addresses in it)
 *
 *	IPv6 networks may be written in brackets, "[2001:db8::]/32", as
 *	Postfix allows (cidr_match(3) parses and matches them). The key is an address in text form; the first rule
 *	whose network contains it (of the same family) gives the result. A
 *	key that is not an address is not found. A negated network only
 *	matches addresses of its own family. "if !network" is allowed too,
 *	and if blocks nest. The rules are scanned in
 *	order: tables of some thousand lines cost microseconds per lookup,
 *	which is what the first-match semantics (order matters) ask for.
 * DIAGNOSTICS
 *	Open fails with file:line for a bad address, a prefix out of range,
 *	host bits set below the prefix, a missing result, or unbalanced
 *	if/endif.
 */
#include <string.h>

#include "cidr_match.h"
#include "dict.h"
#include "dict_file.h"
#include "mymalloc.h"

#define CIDR_OP_RULE	0
#define CIDR_OP_IF	1
#define CIDR_OP_ENDIF	2

typedef struct DICT_CIDR_RULE {
	int	 op;			/* CIDR_OP_RULE, _IF, _ENDIF */
	size_t	 endif;			/* CIDR_OP_IF: index of its endif */
	int	 lineno;
	int	 negate;
	CIDR_MATCH net;
	char	*result;
} DICT_CIDR_RULE;

typedef struct DICT_CIDR {
	DICT_CIDR_RULE *rules;
	size_t	 nrules;
	size_t	 size;
	DICT_FILE_NEST *nest;		/* while reading */
	const char *path;		/* while reading */
} DICT_CIDR;

/* Parse "[!]network[/prefix]" into r. */
static int
dict_cidr_net(DICT_CIDR_RULE *r, char *key, const char *path, int lineno,
    VSTRING *why)
{
	VSTRING	*msg = vstring_alloc(64);
	int	 ret;

	if ((r->negate = (*key == '!')) != 0)
		key++;
	if ((ret = cidr_match_parse(&r->net, key, 0, msg)) < 0)
		vstring_sprintf(why, "%s:%d: %s", path, lineno, vstring_str(msg));
	vstring_free(msg);
	return ret;
}

/* One logical line: a rule, "if [!]network", or "endif". */
static int
dict_cidr_rule(DICT_CIDR *dc, DICT_CIDR_RULE *r, char *line,
    const char *path, VSTRING *why)
{
	char	*key, *value;
	size_t	 start;

	(void)dict_file_split(line, &key, &value);
	if (strcmp(key, "endif") == 0) {
		if (dict_file_endif(dc->nest, &start, path, r->lineno, why) < 0)
			return -1;
		r->op = CIDR_OP_ENDIF;
		dc->rules[start].endif = dc->nrules;
		return 0;
	}
	if (strcmp(key, "if") == 0) {
		r->op = CIDR_OP_IF;
		(void)dict_file_split(value, &key, &value);
		return dict_file_if(dc->nest, dc->nrules, path, r->lineno, why) < 0
		    || dict_cidr_net(r, key, path, r->lineno, why) < 0 ? -1 : 0;
	}
	if (dict_cidr_net(r, key, path, r->lineno, why) < 0)
		return -1;
	if (*value == 0) {
		vstring_sprintf(why, "%s:%d: missing result", path, r->lineno);
		return -1;
	}
	r->result = mystrdup(value);
	return 0;
}

static void
dict_cidr_free(DICT_CIDR *dc)
{
	size_t	 i;

	for (i = 0; i < dc->nrules; i++)
		myfree(dc->rules[i].result);
	myfree(dc->rules);
	if (dc->nest)
		dict_file_nest_free(dc->nest);
	myfree(dc);
}

/* dict_file_load() rule: append the rule of one line. */
static int
dict_cidr_load(void *context, char *line, int lineno, VSTRING *why)
{
	DICT_CIDR *dc = context;

	if (dc->nrules == dc->size) {
		dc->size = dc->size ? 2 * dc->size : 16;
		dc->rules = myrealloc(dc->rules, dc->size * sizeof(*dc->rules));
	}
	memset(dc->rules + dc->nrules, 0, sizeof(*dc->rules));
	dc->rules[dc->nrules].lineno = lineno;
	if (dict_cidr_rule(dc, dc->rules + dc->nrules, line, dc->path,
	    why) < 0)
		return -1;
	dc->nrules++;
	return 0;
}

static int
dict_cidr_open(DICT *dict, VSTRING *why)
{
	DICT_CIDR *dc = mycalloc(1, sizeof(*dc));

	dc->nest = dict_file_nest_alloc();
	dc->path = dict->name;
	if (dict_file_load(dict, dc->nest, dict_cidr_load, dc, why) < 0) {
		dict_cidr_free(dc);
		return -1;
	}
	dict_file_nest_free(dc->nest);
	dc->nest = NULL;
	dict->data = dc;
	return 0;
}

static const char *
dict_cidr_get(DICT *dict, const char *key)
{
	DICT_CIDR *dc = dict->data;
	DICT_CIDR_RULE *r;
	unsigned char addr[16];
	int	 family, m;
	size_t	 i;

	if ((family = cidr_match_addr(key, strlen(key), 0, addr)) == 0)
		return NULL;
	for (i = 0; i < dc->nrules; i++) {
		r = dc->rules + i;
		if (r->op == CIDR_OP_ENDIF)
			continue;
		m = cidr_match_contains(&r->net, family, addr);
		if (r->negate && r->net.family == family)
			m = !m;
		if (r->op == CIDR_OP_IF) {
			if (!m)
				i = r->endif;	/* the loop steps past it */
		} else if (m)
			return r->result;
	}
	return NULL;
}

static void
dict_cidr_close(DICT *dict)
{
	dict_cidr_free(dict->data);
	dict->data = NULL;
}

const DICT_OPS dict_cidr_ops = {
	"cidr", 0, dict_cidr_open, dict_cidr_get, NULL, NULL, NULL, NULL,
	dict_cidr_close,
};
