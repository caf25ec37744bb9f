/*
 * NAME
 *	mail_conf_expand - $name expansion of configuration values
 * SYNOPSIS
 *	#include <mail_conf.h>
 *
 *	char *conf_expand(const char *text);
 *	int   conf_expand_to(VSTRING *out, const char *text, VSTRING *why);
 *	int   conf_expand_param(VSTRING *out, const char *name, VSTRING *why);
 * DESCRIPTION
 *	Postfix-style macro expansion, done lazily when a value is used:
 *	"$name", "${name}" and "$(name)" become the (recursively expanded)
 *	value in effect for name, or nothing when name is unset and has no
 *	default; "${name?text}" becomes the expanded text when the value of
 *	name is not empty, "${name:text}" when it is empty, and
 *	"${name?{text1}:{text2}}" chooses between two texts. "$$" is a
 *	literal "$"; a "$" not followed by a name is kept as is.
 *
 *	Values are looked up with conf_raw(), so -o overrides, main.cf and
 *	the table defaults all take part.
 *
 *	conf_expand_to() replaces the contents of out with the expansion of
 *	text. conf_expand_param() expands the value of the named parameter,
 *	with that name already on the expansion stack, so that "a = $a"
 *	is reported as a loop. conf_expand() returns a newly allocated
 *	string, and is fatal where the others return -1.
 * DIAGNOSTICS
 *	-1 with a reason in why: a parameter that refers to itself through
 *	any chain of references ("a -> b -> a"), nesting deeper than
 *	CONF_EXPAND_DEPTH, or a "${" without its closing brace. conf_expand()
 *	turns these into fatal errors.
 */
#include <ctype.h>
#include <string.h>

#include "argv.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstring.h"

#define CONF_EXPAND_DEPTH	100

static int conf_expand_text(VSTRING *, const char *, size_t, ARGV *, VSTRING *);

static int
conf_name_char(int ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/* conf_expand_loop - describe the chain that closes a loop. */
static int
conf_expand_loop(ARGV *stack, const char *name, VSTRING *why)
{
	size_t	i;

	vstring_sprintf(why, "parameter expansion loop: ");
	for (i = 0; i < stack->argc; i++)
		if (strcmp(stack->argv[i], name) == 0)
			break;
	for (; i < stack->argc; i++)
		vstring_sprintf_append(why, "$%s -> ", stack->argv[i]);
	vstring_sprintf_append(why, "$%s", name);
	return -1;
}

/* conf_expand_name - append the expanded value of name to out. */
static int
conf_expand_name(VSTRING *out, const char *name, ARGV *stack, VSTRING *why)
{
	const char *raw;
	size_t	i;
	int	rc;

	for (i = 0; i < stack->argc; i++)
		if (strcmp(stack->argv[i], name) == 0)
			return conf_expand_loop(stack, name, why);
	if (stack->argc >= CONF_EXPAND_DEPTH) {
		vstring_sprintf(why, "parameter expansion nested deeper than %d "
		    "levels at $%s", CONF_EXPAND_DEPTH, name);
		return -1;
	}
	if ((raw = conf_raw(name, NULL)) == NULL)
		return 0;
	argv_add(stack, name);
	rc = conf_expand_text(out, raw, strlen(raw), stack, why);
	argv_truncate(stack, stack->argc - 1);
	return rc;
}

/* conf_expand_close - find the brace or parenthesis that closes at cp. */
static const char *
conf_expand_close(const char *cp, const char *end, int open, int close)
{
	int	depth = 1;

	for (; cp < end; cp++) {
		if (*cp == open)
			depth++;
		else if (*cp == close && --depth == 0)
			return cp;
	}
	return NULL;
}

/* conf_expand_choice - "{text1}:{text2}" after '?': pick one. */
static int
conf_expand_choice(VSTRING *out, const char *text, size_t len, int nonempty,
    ARGV *stack, VSTRING *why)
{
	const char *end = text + len, *c1, *c2;

	if ((c1 = conf_expand_close(text + 1, end, '{', '}')) == NULL)
		goto bad;
	if (c1 + 1 == end)
		return nonempty ? conf_expand_text(out, text + 1, c1 - text - 1,
		    stack, why) : 0;
	if (c1[1] != ':' || c1 + 2 >= end || c1[2] != '{' ||
	    (c2 = conf_expand_close(c1 + 3, end, '{', '}')) == NULL ||
	    c2 + 1 != end)
		goto bad;
	if (nonempty)
		return conf_expand_text(out, text + 1, c1 - text - 1, stack, why);
	return conf_expand_text(out, c1 + 3, c2 - c1 - 3, stack, why);
bad:
	vstring_sprintf(why, "malformed conditional expression \"%.*s\"",
	    (int)len, text);
	return -1;
}

/* conf_expand_braced - "name", "name?text" or "name:text" inside ${...}. */
static int
conf_expand_braced(VSTRING *out, const char *in, size_t len, ARGV *stack,
    VSTRING *why)
{
	VSTRING	*val;
	char	*name;
	size_t	n;
	int	rc, nonempty;

	for (n = 0; n < len && conf_name_char(in[n]); n++)
		;
	if (n == 0 || (n < len && in[n] != '?' && in[n] != ':')) {
		vstring_sprintf(why, "bad parameter expression \"${%.*s}\"",
		    (int)len, in);
		return -1;
	}
	name = mystrndup(in, n);
	if (n == len) {
		rc = conf_expand_name(out, name, stack, why);
		myfree(name);
		return rc;
	}
	val = vstring_alloc(64);
	rc = conf_expand_name(val, name, stack, why);
	nonempty = vstring_len(val) > 0;
	if (rc == 0 && in[n] == '?' && n + 1 < len && in[n + 1] == '{')
		rc = conf_expand_choice(out, in + n + 1, len - n - 1, nonempty,
		    stack, why);
	else if (rc == 0 && (in[n] == '?') == nonempty)
		rc = conf_expand_text(out, in + n + 1, len - n - 1, stack, why);
	vstring_free(val);
	myfree(name);
	return rc;
}

/* conf_expand_text - append the expansion of len bytes of in to out. */
static int
conf_expand_text(VSTRING *out, const char *in, size_t len, ARGV *stack,
    VSTRING *why)
{
	const char *end = in + len, *cp = in, *close;
	char	*name;
	size_t	n;
	int	rc;

	while (cp < end) {
		if (*cp != '$' || cp + 1 >= end) {
			vstring_addch(out, *cp++);
			continue;
		}
		cp++;
		if (*cp == '$') {
			vstring_addch(out, *cp++);
		} else if (*cp == '{' || *cp == '(') {
			close = conf_expand_close(cp + 1, end, *cp,
			    *cp == '{' ? '}' : ')');
			if (close == NULL) {
				vstring_sprintf(why, "missing '%c' in \"%.*s\"",
				    *cp == '{' ? '}' : ')', (int)len, in);
				return -1;
			}
			if (conf_expand_braced(out, cp + 1, close - cp - 1,
			    stack, why) < 0)
				return -1;
			cp = close + 1;
		} else if (conf_name_char(*cp)) {
			for (n = 0; cp + n < end && conf_name_char(cp[n]); n++)
				;
			name = mystrndup(cp, n);
			rc = conf_expand_name(out, name, stack, why);
			myfree(name);
			if (rc < 0)
				return -1;
			cp += n;
		} else {
			vstring_addch(out, '$');
		}
	}
	return 0;
}

int
conf_expand_to(VSTRING *out, const char *text, VSTRING *why)
{
	ARGV	*stack = argv_alloc(8);
	int	rc;

	vstring_reset(out);
	rc = conf_expand_text(out, text, strlen(text), stack, why);
	argv_free(stack);
	return rc;
}

int
conf_expand_param(VSTRING *out, const char *name, VSTRING *why)
{
	ARGV	*stack = argv_alloc(8);
	int	rc;

	vstring_reset(out);
	rc = conf_expand_name(out, name, stack, why);
	argv_free(stack);
	return rc;
}

char *
conf_expand(const char *text)
{
	VSTRING	*out = vstring_alloc(64), *why = vstring_alloc(64);

	if (conf_expand_to(out, text, why) < 0)
		msg_fatal("%s", vstring_str(why));
	vstring_free(why);
	return vstring_export(out);
}
