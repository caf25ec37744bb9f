/*
 * NAME
 *	smtpd_access - access(5) table lookups for check_*_access
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_access_find(const char *spec, int kind, const char *key,
 *		const char *addr, const SMTPD_CONF *conf, VSTRING *result);
 *	int smtpd_access_check(SMTPD_CHECK *c, const char *table, int class);
 *	int smtpd_access_action(SMTPD_CHECK *c, const char *value);
 * DESCRIPTION
 *	smtpd_access_check() implements check_client_access,
 *	check_helo_access, check_sender_access and check_recipient_access
 *	(class SMTPD_CLASS_CLIENT, _HELO, _SENDER, _RCPT): it finds the
 *	table entry and hands the result to smtpd_access_action(), which
 *	interprets OK, PERMIT, RELAY, REJECT, DEFER, DUNNO, HOLD, DISCARD,
 *	WARN, INFO, "4NN/5NN text", all-numeric results and restriction
 *	lists (see smtpd_check.c); DEFER_IF_PERMIT, DEFER_IF_REJECT,
 *	PREPEND, REDIRECT, FILTER and BCC are smtpd_policy_action()'s. A lookup error is "451 4.3.0".
 *	An OK (PERMIT, RELAY, numeric) from check_recipient_access for a
 *	recipient that leaves this host with sender-specified routing
 *	counts as DUNNO unless allow_untrusted_routing is set
 *	(smtpd_resolve_routed()), as in Postfix.
 *
 *	smtpd_access_find() looks up the keys that access(5) defines for
 *	one table, most specific first, and stops at the first hit:
 * .IP SMTPD_ACCESS_HOST
 *	a host name (HELO argument or client name) and its parent domains:
 *	"sub.example.com", then "example.com", "com" when
 *	parent_domain_matches_subdomains includes smtpd_access_maps, or
 *	".example.com", ".com" otherwise (domain_list_table_find(3)).
 * .IP SMTPD_ACCESS_CLIENT
 *	the client name as above (unless "unknown"), then the address addr
 *	and its prefixes ("192.0.2.1", "192.0.2", "192.0", "192"; IPv6 by
 *	colon-separated parts).
 * .IP SMTPD_ACCESS_MAIL
 *	an address: "user+ext@domain", "user@domain", the domain and its
 *	parents as above, "user+ext@", "user@" (mail_addr_find(3) in
 *	access order). The null address is looked up as
 *	smtpd_null_access_lookup_key (default "<>").
 * .PP
 *	Tables that are not exact-key tables (regexp, pcre, cidr) are
 *	queried with the whole name and/or address only; a "proxy:" table
 *	is the kind of the table behind it. The value found is stored in result.
 * DIAGNOSTICS
 *	smtpd_access_find(): 1 when found, 0 when not found, -1 on a lookup
 *	error (logged). The others return SMTPD_CHECK_* results.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "dsn_status.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"

/* One key; 1 found, 0 not, -1 error. */
static int
smtpd_access_get(DICT *dict, const char *key, VSTRING *result)
{
	const char *val;
	int	 ret;

	if (*key == 0)
		return 0;
	if ((ret = dict_find(dict, key, &val)) > 0)
		vstring_strcpy(result, val);
	return ret;
}

/* An address and its prefixes: 1.2.3.4, 1.2.3, 1.2, 1. */
static int
smtpd_access_addr(DICT *dict, const char *addr, VSTRING *result)
{
	char	 buf[SMTPD_ADDR_MAX];
	char	*cut;
	int	 r, delim = strchr(addr, ':') ? ':' : '.';

	snprintf(buf, sizeof(buf), "%s", addr);
	for (;;) {
		if ((r = smtpd_access_get(dict, buf, result)) != 0)
			return r;
		if ((cut = strrchr(buf, delim)) == NULL || cut == buf)
			return 0;
		*cut = 0;
		if (cut > buf && cut[-1] == delim)	/* "2001:db8::" */
			cut[-1] = 0;
	}
}

/*
 * An address, in access(5) order (mail_addr_find(3)); the null one is
 * smtpd_null_access_lookup_key ("<>").
 */
static int
smtpd_access_mail(DICT *dict, const char *addr, const SMTPD_CONF *conf,
    VSTRING *result)
{
	MAIL_ADDR_MAPS maps;

	if (*addr == 0)
		return smtpd_access_get(dict, conf->null_access_key, result);
	maps.dicts = &dict;
	maps.ndict = 1;
	maps.title = dict->spec;
	return mail_addr_find(&maps, addr, MAIL_ADDR_FIND_ACCESS |
	    (conf->parent_match_access ? MAIL_ADDR_FIND_PARENT : 0),
	    conf->rcpt_delim, result, NULL);
}

/* A host name and its parents (domain_list(3) table order). */
static int
smtpd_access_domain(DICT *dict, const char *name, const SMTPD_CONF *conf,
    VSTRING *result)
{
	return domain_list_table_find(dict, name, conf->parent_match_access ?
	    DOMAIN_LIST_PARENT : 0, result);
}

int
smtpd_access_find(const char *spec, int kind, const char *key,
    const char *addr, const SMTPD_CONF *conf, VSTRING *result)
{
	DICT	*dict;
	int	 r = 0;

	dict = dict_lookup_open(spec);
	switch (kind) {
	case SMTPD_ACCESS_MAIL:
		return smtpd_access_mail(dict, key, conf, result);
	case SMTPD_ACCESS_CLIENT:
		if (strcmp(key, "unknown") != 0)
			r = smtpd_access_domain(dict, key, conf, result);
		if (r == 0)
			r = dict->fixed ? smtpd_access_addr(dict, addr, result) :
			    smtpd_access_get(dict, addr, result);
		return r;
	default:
		if (*key == '[' || !dict->fixed)
			return smtpd_access_get(dict, key, result);
		return smtpd_access_domain(dict, key, conf, result);
	}
}

/*
 * A leading enhanced status code of an action's text ("REJECT 5.7.9 go",
 * postgrey's "DEFER_IF_PERMIT 4.2.0 Greylisted") is the reply's status,
 * as in Postfix (dsn_split(3)); otherwise def. Returns the text after it.
 */
const char *
smtpd_access_dsn_split(const char *text, const char *def, char *dsn,
    size_t size)
{
	const char *rest;

	if (dsn_split(text, dsn, size, &rest))
		return rest;
	snprintf(dsn, size, "%s", def);
	return text;
}

/* "4NN text" / "5NN [d.d.d] text" access results. */
static int
smtpd_access_numeric(SMTPD_CHECK *c, const char *value)
{
	int	 code = atoi(value);
	const char *text = value + 3;
	char	 def[16], dsn[16];

	text += strspn(text, " \t");
	if (code < 400)
		return SMTPD_CHECK_OK;
	/* Only a valid enhanced code counts as one (its class is the reply's). */
	snprintf(def, sizeof(def), "%d.7.1", code / 100);
	text = smtpd_access_dsn_split(text, def, dsn, sizeof(dsn));
	return smtpd_reject_class(c, code, dsn, *text ? text : "Access denied");
}

/* smtpd_log_access_permit_actions: the action word as the table wrote it. */
static void
smtpd_access_permit_log(SMTPD_CHECK *c, const char *value, size_t wlen)
{
	char	 word[32];

	if (c->state->conf->permit_log == NULL)
		return;
	snprintf(word, sizeof(word), "%.*s", (int)wlen, value);
	smtpd_reject_permit(c, word, c->class);
}

/* Interpret an access table result. */
int
smtpd_access_action(SMTPD_CHECK *c, const char *value)
{
	SMTPD_STATE *state = c->state;
	const SMTPD_CONF *conf = state->conf;
	size_t	 wlen = strcspn(value, " \t");
	const char *text = value + wlen;
	ARGV	*list;
	int	 r;

	text += strspn(text, " \t");
#define IS(w)	(wlen == strlen(w) && strncasecmp(value, w, wlen) == 0)
	if (IS("OK") || IS("PERMIT") || IS("RELAY") || (*value &&
	    strspn(value, "0123456789") == strlen(value))) {
		smtpd_access_permit_log(c, value, wlen);
		return SMTPD_CHECK_OK;
	}
	if (IS("DUNNO"))
		return SMTPD_CHECK_DUNNO;
	if (wlen < 32) {
		char	 word[32];

		snprintf(word, sizeof(word), "%.*s", (int)wlen, value);
		if ((r = smtpd_policy_action(c, word, text)) != -2)
			return r;
	}
	if (IS("REJECT") || IS("DEFER")) {
		char	 dsn[16];
		int	 reject = IS("REJECT");

		text = smtpd_access_dsn_split(text, reject ? "5.7.1" : "4.7.1",
		    dsn, sizeof(dsn));
		return smtpd_reject_class(c, reject ? conf->access_reject_code :
		    conf->access_defer_code, dsn, *text ? text : "Access denied");
	}
	if (IS("HOLD") || IS("DISCARD")) {
		int	 hold = IS("HOLD");
		char	*why = mystrdup(*text ? text : hold ?
		    "triggers HOLD action" : "triggers DISCARD action");

		VSTRING	*buf = vstring_alloc(100);

		vstring_sprintf(buf, "<%s>: %s %s", smtpd_reject_name(c),
		    smtpd_reject_class_text[c->class], why);
		smtpd_reject_log(state, hold ? "hold" : "discard",
		    vstring_str(buf), c->rcpt);
		vstring_free(buf);
		if (hold) {
			state->hold = 1;
			myfree(state->hold_why);
			state->hold_why = why;
			return SMTPD_CHECK_DUNNO;
		}
		state->discard = 1;
		myfree(why);
		smtpd_access_permit_log(c, value, wlen);
		return SMTPD_CHECK_OK;
	}
	if (IS("WARN") || IS("INFO")) {
		smtpd_reject_log(state, IS("WARN") ? "warn" : "info", text, c->rcpt);
		return SMTPD_CHECK_DUNNO;
	}
	if (wlen == 3 && isdigit((unsigned char)value[0]) &&
	    isdigit((unsigned char)value[1]) && isdigit((unsigned char)value[2]))
		return smtpd_access_numeric(c, value);
#undef IS
	if (c->depth >= SMTPD_CHECK_DEPTH) {
		msg_warn("access table result nested too deeply: %s", value);
		return smtpd_reject(c, 451, "4.3.5", "Server configuration error");
	}
	list = argv_split(value, " \t,");
	c->depth++;
	r = smtpd_check_list(c, list);
	c->depth--;
	argv_free(list);
	return r;
}

/* check_*_access table. */
int
smtpd_access_check(SMTPD_CHECK *c, const char *table, int which)
{
	SMTPD_STATE *state = c->state;
	VSTRING	*val = vstring_alloc(100);
	int	 r = SMTPD_CHECK_DUNNO, found;
	const char *key;

	switch (which) {
	case SMTPD_CLASS_CLIENT:
		found = smtpd_access_find(table, SMTPD_ACCESS_CLIENT, state->name,
		    state->addr, state->conf, val);
		break;
	case SMTPD_CLASS_HELO:
		if ((key = state->helo) == NULL)
			goto out;
		found = smtpd_access_find(table, SMTPD_ACCESS_HOST, key, NULL,
		    state->conf, val);
		break;
	default:
		key = which == SMTPD_CLASS_SENDER ? state->sender : c->rcpt;
		if (key == NULL)
			goto out;
		found = smtpd_access_find(table, SMTPD_ACCESS_MAIL, key, NULL,
		    state->conf, val);
		break;
	}
	if (found < 0)
		r = smtpd_reject(c, 451, "4.3.0", "<%s>: %s rejected: "
		    "Temporary lookup failure", smtpd_reject_name(c),
		    smtpd_reject_class_text[c->class]);
	else if (found > 0) {
		int	 saved = c->class;
		const char *saved_table = c->table;

		c->class = which;
		c->table = table;
		r = smtpd_access_action(c, vstring_str(val));
		c->class = saved;
		c->table = saved_table;
		/* allow_untrusted_routing = no: OK is no OK for user%b@c. */
		if (r == SMTPD_CHECK_OK && which == SMTPD_CLASS_RCPT &&
		    smtpd_resolve_routed(state, c->rcpt))
			r = SMTPD_CHECK_DUNNO;
	}
out:
	vstring_free(val);
	return r;
}

