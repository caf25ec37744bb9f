/*
 * NAME
 *	bounce_template - bounce_template_file: the texts of delivery
 *	status notifications
 * SYNOPSIS
 *	#include "bounce_template.h"
 *
 *	BOUNCE_TEMPLATES *bounce_template_load(const char *path,
 *		VSTRING *why);
 *	void	bounce_template_free(BOUNCE_TEMPLATES *tp);
 *	const BOUNCE_TEMPLATE *bounce_template_get(const BOUNCE_TEMPLATES *tp,
 *		int which);
 *	int	bounce_template_expand(VSTRING *out, const char *text,
 *		VSTRING *why);
 * DESCRIPTION
 *	A bounce template file has Postfix's bounce(5) format, so that an
 *	administrator's existing file works unchanged. It defines any of
 *	failure_template, delay_template, success_template and
 *	verify_template, each as a here-document:
 *
 *		failure_template = <<EOF
 *		Charset: us-ascii
 *		From: MAILER-DAEMON (Mail Delivery System)
 *		Subject: Undelivered Mail Returned to Sender
 *		Postmaster-Subject: Postmaster Copy: Undelivered Mail
 *
 *		This is the mail system at host $myhostname.
 *		...
 *		EOF
 *
 *	The end word (EOF here) is any word of letters, digits and '_'
 *	and ends the template on a line of its own. Outside templates,
 *	empty lines, lines of white space and lines starting with '#' are
 *	ignored. A template starts with optional header lines, "label:
 *	value" with the labels Charset, From, Subject and Postmaster-Subject
 *	in any case, one line each, printable ASCII; an empty line ends
 *	them. The rest is the message text, taken literally except for
 *	"$" (below). Text with non-ASCII bytes needs a Charset other than
 *	us-ascii, the default.
 *
 *	bounce_template_load() reads and checks a file (at most
 *	BOUNCE_TMPL_MAX bytes). bounce_template_get() returns a template
 *	(BOUNCE_TMPL_FAILURE, _DELAY, _SUCCESS, _VERIFY), or null when the
 *	file does not define it.
 *
 *	bounce_template_expand() replaces out with text, its $name, ${name}
 *	and $(name) references expanded to main.cf values (mail_conf(3));
 *	"$$" is a "$". As in Postfix, delay_warning_time and
 *	maximal_queue_lifetime may take a unit suffix (_seconds, _minutes,
 *	_hours, _days, _weeks) and then expand to the whole number of that
 *	unit.
 * DIAGNOSTICS
 *	bounce_template_load() returns null with "file, line N: reason"
 *	in why for an unreadable or invalid file; bounce_template_expand()
 *	returns -1 with the reason for a parameter loop.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "argv.h"
#include "bounce_template.h"
#include "has8bit.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"

#define BOUNCE_TMPL_MAX	(1024 * 1024)	/* the largest file read */

struct BOUNCE_TEMPLATES {
	BOUNCE_TEMPLATE *t[BOUNCE_TMPL_COUNT];
};

const char *const bounce_template_names[BOUNCE_TMPL_COUNT] = {
	"failure_template", "delay_template", "success_template",
	"verify_template",
};

static void
bt_free_one(BOUNCE_TEMPLATE *t)
{
	if (t == NULL)
		return;
	myfree(t->charset);
	myfree(t->from);
	myfree(t->subject);
	myfree(t->pm_subject);
	myfree(t->text);
	myfree(t);
}

void
bounce_template_free(BOUNCE_TEMPLATES *tp)
{
	for (int i = 0; i < BOUNCE_TMPL_COUNT; i++)
		bt_free_one(tp->t[i]);
	myfree(tp);
}

const BOUNCE_TEMPLATE *
bounce_template_get(const BOUNCE_TEMPLATES *tp, int which)
{
	if (tp == NULL || which < 0 || which >= BOUNCE_TMPL_COUNT)
		return NULL;
	return tp->t[which];
}

/* bt_blank - empty or only white space */
static int
bt_blank(const char *s)
{
	return s[strspn(s, " \t\r")] == 0;
}

/* bt_header - one "label: value" line of a template; 1, 0 (text), -1 */
static int
bt_header(BOUNCE_TEMPLATE *t, const char *line, VSTRING *why)
{
	size_t	 n = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz-");
	const char *value;
	char	**slot;

	if (n == 0 || line[n] != ':')
		return 0;
	for (value = line + n + 1; *value == ' ' || *value == '\t'; value++)
		;
	if (n == 7 && strncasecmp(line, "charset", n) == 0)
		slot = &t->charset;
	else if (n == 4 && strncasecmp(line, "from", n) == 0)
		slot = &t->from;
	else if (n == 7 && strncasecmp(line, "subject", n) == 0)
		slot = &t->subject;
	else if (n == 18 && strncasecmp(line, "postmaster-subject", n) == 0)
		slot = &t->pm_subject;
	else {
		vstring_sprintf(why, "unknown template header \"%.*s\"",
		    (int)n, line);
		return -1;
	}
	for (const char *p = value; *p; p++)
		if (!isprint((unsigned char)*p) && *p != '\t') {
			vstring_sprintf(why, "template header %.*s: only "
			    "printable ASCII may be used", (int)n, line);
			return -1;
		}
	if (*value == 0) {
		vstring_sprintf(why, "template header %.*s: empty value",
		    (int)n, line);
		return -1;
	}
	myfree(*slot);
	*slot = mystrdup(value);
	return 1;
}

/* bt_parse - the lines of one template body into t; 0 or -1 */
static int
bt_parse(BOUNCE_TEMPLATE *t, ARGV *lines, VSTRING *why)
{
	VSTRING	*text = vstring_alloc(256);
	size_t	 i = 0;
	int	 r;

	for (; i < lines->argc; i++) {
		if (*lines->argv[i] == 0) {
			i++;			/* the line that ends the headers */
			break;
		}
		if ((r = bt_header(t, lines->argv[i], why)) < 0) {
			vstring_free(text);
			return -1;
		}
		if (r == 0)
			break;			/* no (more) headers: text */
	}
	for (; i < lines->argc; i++) {
		vstring_strcat(text, lines->argv[i]);
		vstring_addch(text, '\n');
	}
	if (has8bit(vstring_str(text), vstring_len(text))
	    && (t->charset == NULL || strcasecmp(t->charset, "us-ascii") == 0)) {
		vstring_strcpy(why, "the message text has non-ASCII characters: "
		    "give a Charset: header other than us-ascii");
		vstring_free(text);
		return -1;
	}
	t->text = vstring_export(text);
	return 0;
}

/* bt_start - "name = <<WORD": the template index and the word, or -1 */
static int
bt_start(const char *line, VSTRING *word)
{
	size_t	 n = strspn(line, "abcdefghijklmnopqrstuvwxyz_");
	const char *p = line + n;
	int	 i;

	for (i = 0; i < BOUNCE_TMPL_COUNT; i++)
		if (strlen(bounce_template_names[i]) == n
		    && strncmp(line, bounce_template_names[i], n) == 0)
			break;
	if (i == BOUNCE_TMPL_COUNT)
		return -1;
	p += strspn(p, " \t");
	if (*p++ != '=')
		return -1;
	p += strspn(p, " \t");
	if (strncmp(p, "<<", 2) != 0)
		return -1;
	p += 2;
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_");
	if (n == 0 || !bt_blank(p + n))
		return -1;
	vstring_memcpy(word, p, n);
	return i;
}

/* bt_read - the whole file, at most BOUNCE_TMPL_MAX bytes; 0 or -1 */
static int
bt_read(const char *path, VSTRING *buf, VSTRING *why)
{
	FILE	*fp;
	char	 chunk[4096];
	size_t	 n;
	int	 err;

	if ((fp = fopen(path, "r")) == NULL) {
		vstring_sprintf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (vstring_len(buf) + n > BOUNCE_TMPL_MAX) {
			fclose(fp);
			vstring_sprintf(why, "%s: larger than %d bytes", path,
			    BOUNCE_TMPL_MAX);
			return -1;
		}
		vstring_memcat(buf, chunk, n);
	}
	err = ferror(fp);
	fclose(fp);
	if (err) {
		vstring_sprintf(why, "%s: read error", path);
		return -1;
	}
	if (memchr(vstring_str(buf), 0, vstring_len(buf)) != NULL) {
		vstring_sprintf(why, "%s: the file has a NUL byte", path);
		return -1;
	}
	return 0;
}

BOUNCE_TEMPLATES *
bounce_template_load(const char *path, VSTRING *why)
{
	BOUNCE_TEMPLATES *tp = mycalloc(1, sizeof(*tp));
	VSTRING	*buf = vstring_alloc(4096), *word = vstring_alloc(16);
	ARGV	*body = NULL;
	char	*line, *next;
	int	 lineno = 0, start = 0, which = -1, ok = 0;

	if (bt_read(path, buf, why) < 0)
		goto done;
	for (line = vstring_str(buf); line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = 0;
		lineno++;
		if (line[0] && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = 0;
		if (body != NULL) {		/* inside a template */
			size_t	 n = vstring_len(word);

			if (strncmp(line, vstring_str(word), n) == 0
			    && bt_blank(line + n)) {
				tp->t[which] = mycalloc(1, sizeof(BOUNCE_TEMPLATE));
				if (bt_parse(tp->t[which], body, why) < 0) {
					VSTRING *r = vstring_alloc(100);

					vstring_sprintf(r, "%s, line %d: %s: %s", path,
					    start, bounce_template_names[which],
					    vstring_str(why));
					vstring_strcpy(why, vstring_str(r));
					vstring_free(r);
					goto done;
				}
				argv_free(body);
				body = NULL;
			} else
				argv_add(body, line);
			continue;
		}
		if (bt_blank(line) || line[strspn(line, " \t")] == '#')
			continue;
		if ((which = bt_start(line, word)) < 0) {
			vstring_sprintf(why, "%s, line %d: expected \"NAME = "
			    "<<EOF\" with NAME one of failure_template, "
			    "delay_template, success_template, verify_template",
			    path, lineno);
			goto done;
		}
		if (tp->t[which] != NULL) {
			vstring_sprintf(why, "%s, line %d: %s is defined twice",
			    path, lineno, bounce_template_names[which]);
			goto done;
		}
		start = lineno;
		body = argv_alloc(32);
	}
	if (body != NULL) {
		vstring_sprintf(why, "%s, line %d: %s has no \"%s\" line to end it",
		    path, start, bounce_template_names[which], vstring_str(word));
		goto done;
	}
	ok = 1;
done:
	if (body)
		argv_free(body);
	vstring_free(buf);
	vstring_free(word);
	if (!ok) {
		bounce_template_free(tp);
		return NULL;
	}
	return tp;
}

/* bt_unit - delay_warning_time_hours and the like: 1 and the value, or 0 */
static int
bt_unit(const char *name, VSTRING *out)
{
	static const char *const params[] = {
		"delay_warning_time", "maximal_queue_lifetime",
	};
	static const struct {
		const char *suffix;
		long long seconds;
	} units[] = {
		{"_seconds", 1}, {"_minutes", 60}, {"_hours", 3600},
		{"_days", 86400}, {"_weeks", 604800},
	};
	size_t	 n;

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		n = strlen(params[i]);
		if (strncmp(name, params[i], n) != 0)
			continue;
		for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (strcmp(name + n, units[u].suffix) == 0) {
				vstring_sprintf(out, "%lld",
				    conf_time(params[i]) / units[u].seconds);
				return 1;
			}
	}
	return 0;
}

int
bounce_template_expand(VSTRING *out, const char *text, VSTRING *why)
{
	VSTRING	*name = vstring_alloc(32), *value = vstring_alloc(64);
	const char *p = text, *end;
	size_t	 n;
	int	 rc = 0;

	vstring_reset(out);
	while (*p) {
		if (*p != '$') {
			n = strcspn(p, "$");
			vstring_memcat(out, p, n);
			p += n;
			continue;
		}
		if (p[1] == '$') {
			vstring_addch(out, '$');
			p += 2;
			continue;
		}
		if ((p[1] == '{' || p[1] == '(')
		    && (end = strchr(p + 2, p[1] == '{' ? '}' : ')')) != NULL) {
			vstring_memcpy(name, p + 2, (size_t)(end - p - 2));
			p = end + 1;
		} else if ((n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789_")) > 0) {
			vstring_memcpy(name, p + 1, n);
			p += n + 1;
		} else {
			vstring_addch(out, *p++);	/* a lone "$" */
			continue;
		}
		if (!bt_unit(vstring_str(name), value)
		    && conf_expand_param(value, vstring_str(name), why) < 0) {
			rc = -1;
			break;
		}
		vstring_memcat(out, vstring_str(value), vstring_len(value));
	}
	vstring_free(name);
	vstring_free(value);
	return rc;
}
