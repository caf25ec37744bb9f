/*
 * NAME
 *	hbc - header and body checks
 * SYNOPSIS
 *	#include "hbc.h"
 *
 *	HBC *hbc_create(const char *header, const char *mime,
 *		const char *nested, const char *body);
 *	int hbc_enabled(const HBC *hbc, int cls);
 *	int hbc_header_class(int cls, const char *field);
 *	const char *hbc_class_name(int cls);
 *	int hbc_check(HBC *hbc, int cls, const char *line, HBC_RESULT *res);
 *	int hbc_parse(const char *value, HBC_RESULT *res);
 *	VSTRING *hbc_reply(VSTRING *out, const HBC_RESULT *res);
 *	void hbc_log(const char *id, const HBC_RESULT *res,
 *		const char *where, const char *line, const char *context);
 *	void hbc_free(HBC *hbc);
 * DESCRIPTION
 *	hbc_create() opens four lists of lookup tables (main.cf values such
 *	as "regexp:/etc/postern/header_checks pcre:..."; empty or null for
 *	none): header_checks, mime_header_checks, nested_header_checks and
 *	body_checks, or the smtp_* family on the delivery side. Any table
 *	type works; regexp: and pcre: are the usual ones.
 *
 *	hbc_check() looks up a logical header field (folded lines joined by
 *	"\n") or a body line in the tables of its class and parses the
 *	result into an action and its text (hbc_parse()). The action word
 *	is case-insensitive: REJECT, DEFER, DISCARD, DUNNO, OK, HOLD,
 *	IGNORE, INFO, WARN, PREPEND, REPLACE, REDIRECT, BCC, FILTER and
 *	STRIP (smtp_header_checks). An unknown action is logged and treated
 *	as DUNNO, so that a typo never rejects mail; a table that fails
 *	gives HBC_ERROR (the caller defers the message).
 *
 *	hbc_header_class() maps a header to the class whose tables apply,
 *	as Postfix does: MIME-Version and Content-* fields go to
 *	mime_header_checks wherever they are; the others to header_checks
 *	(message header), mime_header_checks (MIME part) or
 *	nested_header_checks (attached message). hbc_class_name() is the
 *	word that logs name a class by: "header", "mime-header",
 *	"nested-header" or "body".
 *
 *	hbc_reply() formats the SMTP reply of REJECT ("550 5.7.1 Message
 *	content rejected", or 550 with the given text, whose leading DSN
 *	code is kept) and DEFER ("451 4.7.1 Service unavailable - try again
 *	later" or 451 with the text).
 *
 *	hbc_log() logs in Postfix's shape: "ID: reject: header Subject: x
 *	from host[addr]; from=<s> to=<r> proto=ESMTP helo=<h>: 5.7.1 text";
 *	context is everything from " from host[addr];" to the colon.
 * COST
 *	Nothing when no table is configured (hbc_enabled() is false and the
 *	caller skips the call); one table lookup per field or body line
 *	otherwise.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "hbc.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "rfc822_hdr.h"

struct HBC {
	DICT	**maps[HBC_NCLASS];
	int	 n[HBC_NCLASS];
	VSTRING	*buf;
};

static const struct hbc_action {
	const char *word;
	int	 action;
	const char *name;
} hbc_actions[] = {
	{ "REJECT", HBC_REJECT, "reject" },
	{ "DEFER", HBC_DEFER, "defer" },
	{ "DISCARD", HBC_DISCARD, "discard" },
	{ "DUNNO", HBC_DUNNO, "dunno" },
	{ "OK", HBC_DUNNO, "ok" },
	{ "HOLD", HBC_HOLD, "hold" },
	{ "IGNORE", HBC_IGNORE, "ignore" },
	{ "INFO", HBC_INFO, "info" },
	{ "WARN", HBC_WARN, "warning" },
	{ "PREPEND", HBC_PREPEND, "prepend" },
	{ "REPLACE", HBC_REPLACE, "replace" },
	{ "REDIRECT", HBC_REDIRECT, "redirect" },
	{ "BCC", HBC_BCC, "bcc" },
	{ "FILTER", HBC_FILTER, "filter" },
	{ "STRIP", HBC_STRIP, "strip" },
	{ 0, 0, 0 }
};

static void
hbc_open(HBC *hbc, int cls, const char *list)
{
	ARGV	*specs;

	if (list == NULL || *list == 0)
		return;
	specs = conf_split_list(list);
	if (specs->argc > 0) {
		hbc->maps[cls] = mymalloc(specs->argc * sizeof(DICT *));
		for (size_t i = 0; i < specs->argc; i++)
			hbc->maps[cls][hbc->n[cls]++] =
			    dict_lookup_open_flags(specs->argv[i], DICT_FLAG_NONE);
	}
	argv_free(specs);
}

HBC *
hbc_create(const char *header, const char *mime, const char *nested,
    const char *body)
{
	HBC	*hbc = mymalloc(sizeof(*hbc));

	memset(hbc, 0, sizeof(*hbc));
	hbc_open(hbc, HBC_HEADER, header);
	hbc_open(hbc, HBC_MIME, mime);
	hbc_open(hbc, HBC_NESTED, nested);
	hbc_open(hbc, HBC_BODY, body);
	hbc->buf = vstring_alloc(100);
	return hbc;
}

void
hbc_free(HBC *hbc)
{
	if (hbc == NULL)
		return;
	for (int c = 0; c < HBC_NCLASS; c++) {
		for (int i = 0; i < hbc->n[c]; i++)
			dict_lookup_close(hbc->maps[c][i]);
		myfree(hbc->maps[c]);
	}
	vstring_free(hbc->buf);
	myfree(hbc);
}

int
hbc_enabled(const HBC *hbc, int cls)
{
	return hbc != NULL && hbc->n[cls] > 0;
}

int
hbc_header_class(int cls, const char *field)
{
	if (rfc822_hdr_is(field, "MIME-Version")
	    || (strncasecmp(field, "Content-", 8) == 0
	    && rfc822_hdr_name_len(field, strlen(field)) > 8))
		return HBC_MIME;
	return cls == HBC_BODY ? HBC_HEADER : cls;
}

const char *
hbc_class_name(int cls)
{
	return cls == HBC_HEADER ? "header" : cls == HBC_MIME ? "mime-header" :
	    cls == HBC_NESTED ? "nested-header" : "body";
}

int
hbc_parse(const char *value, HBC_RESULT *res)
{
	size_t	 n = strcspn(value, " \t");
	const struct hbc_action *a;

	res->text = value + n + strspn(value + n, " \t");
	for (a = hbc_actions; a->word; a++) {
		if (strlen(a->word) == n && strncasecmp(value, a->word, n) == 0) {
			res->action = a->action;
			res->name = a->name;
			return res->action;
		}
	}
	msg_warn("unknown header/body check action \"%.*s\"; ignored",
	    (int)(n > 100 ? 100 : n), value);
	res->action = HBC_DUNNO;
	res->name = "dunno";
	return HBC_DUNNO;
}

int
hbc_check(HBC *hbc, int cls, const char *line, HBC_RESULT *res)
{
	const char *v;
	int	 err = DICT_ERR_NONE;

	res->action = HBC_DUNNO;
	res->name = "dunno";
	res->text = "";
	if (!hbc_enabled(hbc, cls))
		return HBC_DUNNO;
	v = dict_get_list(hbc->maps[cls], hbc->n[cls], line, &err);
	if (err != DICT_ERR_NONE) {
		res->action = HBC_ERROR;
		res->name = "defer";
		res->text = "4.3.0 Error: header/body checks lookup failure";
		return HBC_ERROR;
	}
	if (v == NULL)
		return HBC_DUNNO;
	vstring_strcpy(hbc->buf, v);
	return hbc_parse(vstring_str(hbc->buf), res);
}

/* Does text start with a DSN code of class c ("5.7.1 ")? */
static size_t
hbc_dsn_len(const char *t, int c)
{
	size_t	 i = 0;

	if (t[0] != c || t[1] != '.')
		return 0;
	for (i = 2; isdigit((unsigned char)t[i]) && i < 5; i++)
		;
	if (t[i++] != '.' || !isdigit((unsigned char)t[i]))
		return 0;
	while (isdigit((unsigned char)t[i]) && i < 9)
		i++;
	return t[i] == ' ' || t[i] == 0 ? i : 0;
}

VSTRING *
hbc_reply(VSTRING *out, const HBC_RESULT *res)
{
	int	 defer = res->action != HBC_REJECT;
	const char *t = res->text;
	int	 c = defer ? '4' : '5';

	if (*t == 0)
		t = defer ? "4.7.1 Service unavailable - try again later" :
		    "5.7.1 Message content rejected";
	if (hbc_dsn_len(t, c) > 0)
		vstring_sprintf(out, "%s %s", defer ? "451" : "550", t);
	else
		vstring_sprintf(out, "%s %s %s", defer ? "451" : "550",
		    defer ? "4.7.1" : "5.7.1", t);
	return out;
}

void
hbc_log(const char *id, const HBC_RESULT *res, const char *where,
    const char *line, const char *context)
{
	VSTRING	*clean = vstring_alloc(200);
	VSTRING	*reply = NULL;
	const char *text = res->text;

	for (const char *p = line; *p && vstring_len(clean) < 200; p++)
		vstring_addch(clean, (*p == '\n' || *p == '\t' || *p == '\r') ?
		    ' ' : *p);
	if (res->action == HBC_REJECT || res->action == HBC_DEFER) {
		reply = hbc_reply(vstring_alloc(100), res);
		text = vstring_str(reply) + 4;
	}
	msg_info("%s: %s: %s %s%s%s%s", id, res->name, where, vstring_str(clean),
	    context ? context : "", *text ? ": " : "", text);
	vstring_free(clean);
	if (reply)
		vstring_free(reply);
}
