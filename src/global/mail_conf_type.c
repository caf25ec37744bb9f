/*
 * NAME
 *	mail_conf_type - typed configuration values
 * SYNOPSIS
 *	#include <mail_conf.h>
 *
 *	int   conf_parse_int(const char *str, long long *val);
 *	int   conf_parse_time(const char *str, char unit, long long *secs,
 *	          VSTRING *why);
 *	int   conf_parse_bool(const char *str, int *val);
 *	ARGV *conf_split_list(const char *str);
 *	int   conf_check_value(const CONF_PARAM *param, const char *value,
 *	          VSTRING *why);
 * DESCRIPTION
 *	The value syntax of main.cf, as Postfix defines it.
 *
 *	conf_parse_int() accepts an optional sign and decimal digits, nothing
 *	else, and no overflow.
 *
 *	conf_parse_time() accepts a number with an optional unit letter
 *	s (seconds), m (minutes), h (hours), d (days) or w (weeks); a bare
 *	number is in the parameter's default unit. Several terms add up
 *	("1h30m"). The result is in seconds.
 *
 *	conf_parse_bool() accepts yes, no, true, false, on, off, 1 and 0 in
 *	any case.
 *
 *	conf_split_list() splits at white space and commas, except inside
 *	braces, so that "inline:{ a=1, b=2 }" and "{ name = value }" stay one
 *	element. Outer braces of an element that is entirely braced are kept;
 *	the consumer knows what they mean.
 *
 *	conf_check_value() validates an expanded value against the type and
 *	bounds of a table entry; for table lists, each element must have the
 *	form type:name (which types exist is the table code's business).
 * DIAGNOSTICS
 *	The parse functions return -1 on malformed input; conf_parse_time()
 *	and conf_check_value() also say why.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "argv.h"
#include "mail_conf.h"
#include "mail_params.h"
#include "msg.h"
#include "vstring.h"

int
conf_parse_int(const char *str, long long *val)
{
	char	*end;
	long long n;

	if (str == NULL || *str == 0 || isspace((unsigned char)*str))
		return -1;
	errno = 0;
	n = strtoll(str, &end, 10);
	if (errno != 0 || *end != 0 || end == str)
		return -1;
	*val = n;
	return 0;
}

static long long
conf_time_unit(int ch)
{
	switch (ch) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 7 * 86400;
	default:
		return 0;
	}
}

int
conf_parse_time(const char *str, char unit, long long *secs, VSTRING *why)
{
	const char *cp = str;
	long long total = 0, n, mult;

	if (*cp == 0) {
		vstring_sprintf(why, "empty time value");
		return -1;
	}
	while (*cp) {
		if (!isdigit((unsigned char)*cp))
			goto bad;
		for (n = 0; isdigit((unsigned char)*cp); cp++) {
			if (n > (LLONG_MAX - 9) / 10)
				goto range;
			n = n * 10 + (*cp - '0');
		}
		if (*cp == 0)
			mult = conf_time_unit(unit ? unit : 's');
		else if ((mult = conf_time_unit(*cp++)) == 0) {
			vstring_sprintf(why, "bad time unit '%c' in \"%s\" "
			    "(use s, m, h, d or w)", cp[-1], str);
			return -1;
		}
		if (mult == 0)
			msg_panic("conf_parse_time: bad default unit '%c'", unit);
		if (n > LLONG_MAX / mult || total > LLONG_MAX - n * mult)
			goto range;
		total += n * mult;
	}
	*secs = total;
	return 0;
bad:
	vstring_sprintf(why, "bad time value \"%s\" (a number with an optional "
	    "unit s, m, h, d or w)", str);
	return -1;
range:
	vstring_sprintf(why, "time value \"%s\" out of range", str);
	return -1;
}

int
conf_parse_bool(const char *str, int *val)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t	i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(str, yes[i]) == 0) {
			*val = 1;
			return 0;
		}
		if (strcasecmp(str, no[i]) == 0) {
			*val = 0;
			return 0;
		}
	}
	return -1;
}

#define LIST_SEP(ch)	((ch) == ',' || isspace((unsigned char)(ch)))

ARGV *
conf_split_list(const char *str)
{
	ARGV	*list = argv_alloc(8);
	const char *start;
	int	depth;

	while (*str) {
		while (*str && LIST_SEP(*str))
			str++;
		if (*str == 0)
			break;
		for (start = str, depth = 0; *str; str++) {
			if (*str == '{')
				depth++;
			else if (*str == '}' && depth > 0)
				depth--;
			else if (depth == 0 && LIST_SEP(*str))
				break;
		}
		argv_addn(list, start, str - start);
	}
	return list;
}

static int
conf_check_range(const CONF_PARAM *p, long long n, const char *value,
    VSTRING *why)
{
	if (p->min == 0 && p->max == 0)
		return 0;
	if (n < p->min || (p->max != 0 && n > p->max)) {
		if (p->max != 0 && p->max != LLONG_MAX)
			vstring_sprintf(why, "value \"%s\" out of range "
			    "(%lld..%lld)", value, p->min, p->max);
		else
			vstring_sprintf(why, "value \"%s\" must be at least %lld",
			    value, p->min);
		return -1;
	}
	return 0;
}

/* conf_check_word - is word one of the space-separated words? */
static int
conf_check_word(const char *words, const char *word)
{
	const char *cp = words;
	size_t	len = strlen(word);

	while (*cp) {
		while (*cp == ' ')
			cp++;
		if (strncasecmp(cp, word, len) == 0 && (cp[len] == ' ' ||
		    cp[len] == 0) && len > 0)
			return 1;
		cp += strcspn(cp, " ");
	}
	return 0;
}

/* conf_check_enum - keyword parameters: each element must be known. */
static int
conf_check_enum(const CONF_PARAM *p, const char *value, VSTRING *why)
{
	const char *words = mail_params_enum(p->name);
	ARGV	*list;
	size_t	i;
	int	rc = 0;

	if (words == NULL)
		return 0;
	list = p->type == CONF_LIST ? conf_split_list(value) : argv_alloc(1);
	if (p->type != CONF_LIST && *value)
		argv_add(list, value);
	if (list->argc == 0 && words[0] != ' ') {
		vstring_sprintf(why, "empty value (use one of: %s)", words);
		rc = -1;
	}
	for (i = 0; i < list->argc && rc == 0; i++) {
		if (!conf_check_word(words, list->argv[i])) {
			vstring_sprintf(why, "bad value \"%s\" (use %s: %s)",
			    list->argv[i], p->type == CONF_LIST ? "any of" :
			    "one of", words + (words[0] == ' '));
			rc = -1;
		}
	}
	argv_free(list);
	return rc;
}

/* conf_check_tables - every element must be "type:name". */
static int
conf_check_tables(const char *value, VSTRING *why)
{
	ARGV	*list = conf_split_list(value);
	const char *colon;
	size_t	i;
	int	rc = 0;

	for (i = 0; i < list->argc && rc == 0; i++) {
		colon = strchr(list->argv[i], ':');
		if (colon == NULL || colon == list->argv[i]) {
			vstring_sprintf(why, "bad table \"%s\" (use type:name)",
			    list->argv[i]);
			rc = -1;
		}
	}
	argv_free(list);
	return rc;
}

int
conf_check_value(const CONF_PARAM *p, const char *value, VSTRING *why)
{
	long long n;
	int	b;

	switch (p->type) {
	case CONF_INT:
		if (conf_parse_int(value, &n) < 0) {
			vstring_sprintf(why, "bad integer value \"%s\"", value);
			return -1;
		}
		return conf_check_range(p, n, value, why);
	case CONF_SIZE:
		if (conf_parse_int(value, &n) < 0 || n < 0) {
			vstring_sprintf(why, "bad size value \"%s\" (a number "
			    "of bytes)", value);
			return -1;
		}
		return conf_check_range(p, n, value, why);
	case CONF_TIME:
		if (conf_parse_time(value, p->unit, &n, why) < 0)
			return -1;
		return conf_check_range(p, n, value, why);
	case CONF_BOOL:
		if (conf_parse_bool(value, &b) < 0) {
			vstring_sprintf(why, "bad boolean value \"%s\" (use yes "
			    "or no)", value);
			return -1;
		}
		return 0;
	case CONF_TABLES:
		return conf_check_tables(value, why);
	case CONF_STR:
	case CONF_LIST:
		return conf_check_enum(p, value, why);
	default:
		msg_panic("conf_check_value: %s: unknown type %d", p->name,
		    p->type);
	}
}
