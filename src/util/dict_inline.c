/*
 * NAME
 *	dict_inline - inline: and static: tables (text in the table name)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_inline_ops, dict_static_ops;
 * DESCRIPTION
 *	"inline:{ key=value, { key = value with spaces } }" is a table
 *	written in the configuration itself, as in Postfix. Elements are
 *	separated by white space or commas; an element in braces may hold
 *	white space and commas, and white space around its key and value is
 *	removed. Nested braces inside an element are kept as text.
 *
 *	"static:value" answers value for every key; "static:{text}" allows
 *	white space in the value (the braces and surrounding white space are
 *	removed). A static table has no entries to dump.
 * DIAGNOSTICS
 *	Open fails for missing braces, an unbalanced brace, or an element
 *	without "=" or with an empty key.
 */
#include <ctype.h>
#include <string.h>

#include "dict.h"
#include "dict_mem.h"
#include "msg.h"
#include "mymalloc.h"

/* Trim white space around [*start, *start + *len). */
static void
dict_inline_trim(const char **start, size_t *len)
{
	while (*len > 0 && isspace((unsigned char)**start)) {
		(*start)++;
		(*len)--;
	}
	while (*len > 0 && isspace((unsigned char)(*start)[*len - 1]))
		(*len)--;
}

/*
 * The next element of a list: 1 with its text (braces removed), 0 at
 * the end, -1 for an unbalanced "{".
 */
static int
dict_inline_next(const char **cpp, const char **start, size_t *len)
{
	const char *cp = *cpp;
	int	 level;

	while (*cp && (isspace((unsigned char)*cp) || *cp == ','))
		cp++;
	if (*cp == 0)
		return 0;
	if (*cp == '{') {
		*start = ++cp;
		for (level = 1; *cp && level > 0; cp++)
			level += (*cp == '{') - (*cp == '}');
		if (level > 0)
			return -1;
		*len = cp - 1 - *start;
	} else {
		*start = cp;
		while (*cp && !isspace((unsigned char)*cp) && *cp != ',')
			cp++;
		*len = cp - *start;
	}
	*cpp = cp;
	return 1;
}

/* Strip the outer "{ ... }" of a table name. 0 or -1. */
static int
dict_inline_braces(const char *name, const char **start, size_t *len)
{
	*start = name;
	*len = strlen(name);
	dict_inline_trim(start, len);
	if (*len < 2 || (*start)[0] != '{' || (*start)[*len - 1] != '}')
		return -1;
	(*start)++;
	*len -= 2;
	dict_inline_trim(start, len);
	return 0;
}

static int
dict_inline_element(DICT *dict, const char *elt, size_t len, VSTRING *why)
{
	const char *eq, *key = elt, *value;
	size_t	 klen, vlen;
	char	*k, *v;
	int	 dup;

	if ((eq = memchr(elt, '=', len)) == NULL) {
		vstring_sprintf(why, "%s: missing \"=\" in \"%.*s\"",
		    dict->spec, (int)len, elt);
		return -1;
	}
	klen = eq - elt;
	value = eq + 1;
	vlen = len - klen - 1;
	dict_inline_trim(&key, &klen);
	dict_inline_trim(&value, &vlen);
	if (klen == 0) {
		vstring_sprintf(why, "%s: empty key in \"%.*s\"", dict->spec,
		    (int)len, elt);
		return -1;
	}
	k = mystrndup(key, klen);
	v = mystrndup(value, vlen);
	if ((dup = dict_mem_add(dict, k, v)) != 0)
		msg_warn("%s: duplicate entry \"%s\" ignored", dict->spec, k);
	myfree(k);
	myfree(v);
	return 0;
}

static int
dict_inline_open(DICT *dict, VSTRING *why)
{
	const char *list, *elt, *cp;
	size_t	 len, elen;
	char	*copy;
	int	 rc;

	if (dict_inline_braces(dict->name, &list, &len) < 0) {
		vstring_sprintf(why, "%s: expected inline:{ key=value, ... }",
		    dict->spec);
		return -1;
	}
	copy = mystrndup(list, len);
	dict_mem_init(dict);
	cp = copy;
	while ((rc = dict_inline_next(&cp, &elt, &elen)) > 0)
		if ((rc = dict_inline_element(dict, elt, elen, why)) < 0)
			break;
	if (rc < 0 && vstring_len(why) == 0)
		vstring_sprintf(why, "%s: unbalanced \"{\"", dict->spec);
	myfree(copy);
	if (rc < 0) {
		dict_mem_close(dict);
		return -1;
	}
	return 0;
}

const DICT_OPS dict_inline_ops = {
	"inline", 1, dict_inline_open, dict_mem_get, NULL, NULL,
	dict_mem_seq, NULL, dict_mem_close,
};

static int
dict_static_open(DICT *dict, VSTRING *why)
{
	const char *value;
	size_t	 len;

	if (dict_inline_braces(dict->name, &value, &len) < 0) {
		value = dict->name;
		len = strlen(value);
		if (memchr(value, '{', len) || memchr(value, '}', len)) {
			vstring_sprintf(why, "%s: unbalanced braces", dict->spec);
			return -1;
		}
	}
	dict->data = mystrndup(value, len);
	return 0;
}

static const char *
dict_static_get(DICT *dict, const char *key)
{
	return dict->data;
}

static void
dict_static_close(DICT *dict)
{
	myfree(dict->data);
	dict->data = NULL;
}

const DICT_OPS dict_static_ops = {
	"static", 0, dict_static_open, dict_static_get, NULL, NULL, NULL,
	NULL, dict_static_close,
};
