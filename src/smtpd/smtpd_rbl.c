/*
 * NAME
 *	smtpd_rbl - DNS block and allow lists
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int  smtpd_rbl_check(SMTPD_CHECK *c, const char *arg, int kind);
 *	int  smtpd_rbl_lookup(SMTPD_STATE *state, const char *name, int type,
 *		const DNS_RR **list);
 *	void smtpd_rbl_free(SMTPD_STATE *state);
 * DESCRIPTION
 *	smtpd_rbl_check() implements, with Postfix's meaning,
 *	reject_rbl_client (the client address, reversed, under the list's
 *	domain: 4.3.2.1.zen.example for 1.2.3.4; IPv6 by nibbles),
 *	reject_rhsbl_client (the verified client name),
 *	reject_rhsbl_reverse_client (the unverified PTR name),
 *	reject_rhsbl_helo, reject_rhsbl_sender and reject_rhsbl_recipient
 *	(the domain of the address), permit_dnswl_client and
 *	permit_rhswl_client. The argument is "domain" or "domain=filter":
 *	a listing counts only when one of its A records matches the filter,
 *	octet by octet, each octet a number or a bracketed list of numbers
 *	and ranges ("127.0.0.2", "127.0.0.[2..11]", "127.0.[0..255].[2;4]").
 *
 *	A listing in a block list rejects with the rbl_reply_maps entry for
 *	the domain (without the filter), or default_rbl_reply, expanded:
 *	$rbl_code (maps_rbl_reject_code), $rbl_class ("Client host",
 *	"Unverified Client host", "Helo command", "Sender address",
 *	"Recipient address"), $rbl_what (what was looked up), $rbl_domain,
 *	$rbl_reason and $rbl_txt (the list's TXT record), $client_address,
 *	$client_name, $reverse_client_name, $helo_name, $sender,
 *	$recipient, with ${name?text} and ${name:text}. The reply starts
 *	with its code; the status 5.7.1 (or 4.7.1) is added unless given.
 *	A temporary DNS failure of a block list is a warning, and the
 *	client is not listed; of an allow list, a later reject in the same
 *	stage becomes a defer (DEFER_IF_REJECT).
 *
 *	smtpd_rbl_lookup() is the session's DNS cache: each name and type is
 *	asked once per session (entries expire with the records' TTL, at
 *	most an hour; negative answers after a minute; at most
 *	SMTPD_RBL_CACHE names), records are passed through
 *	smtpd_dns_reply_filter first. The list stays owned by the cache.
 *	smtpd_rbl_free() drops the cache at the end of the session.
 * DIAGNOSTICS
 *	SMTPD_CHECK_* results; a bad reply template is "451 4.3.5 Server
 *	configuration error".
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dict.h"
#include "dns.h"
#include "dns_rbl.h"
#include "htable.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"

#define SMTPD_RBL_CACHE		256	/* names cached per session */
#define SMTPD_RBL_TTL_MAX	3600
#define SMTPD_RBL_TTL_NEG	60
#define SMTPD_RBL_REPLY_MAX	1000	/* bytes of an expanded reply */

typedef struct SMTPD_RBL_ENT {
	int	 status;		/* DNS_* */
	DNS_RR	*rr;
	time_t	 expires;
} SMTPD_RBL_ENT;

static void
smtpd_rbl_ent_free(void *ptr)
{
	SMTPD_RBL_ENT *ent = ptr;

	dns_rr_free(ent->rr);
	myfree(ent);
}

void
smtpd_rbl_free(SMTPD_STATE *state)
{
	if (state->dns_cache != NULL)
		htable_free(state->dns_cache, smtpd_rbl_ent_free);
	state->dns_cache = NULL;
}

int
smtpd_rbl_lookup(SMTPD_STATE *state, const char *name, int type,
    const DNS_RR **list)
{
	SMTPD_RBL_ENT *ent;
	VSTRING	*key = vstring_alloc(100), *why = vstring_alloc(100);
	time_t	 now = time(NULL);
	unsigned ttl = SMTPD_RBL_TTL_MAX;
	DNS_RR	*rr = NULL, *p;
	int	 status;

	vstring_sprintf(key, "%d:%s", type, name);
	if (state->dns_cache == NULL)
		state->dns_cache = htable_create(16);
	ent = htable_find(state->dns_cache, vstring_str(key));
	if (ent != NULL && ent->expires > now) {
		*list = ent->rr;
		status = ent->status;
		goto out;
	}
	status = dns_lookup(name, type, &rr, why);
	if (status == DNS_RETRY)
		msg_warn("%s: DNS lookup error for %s: %s", state->namaddr, name,
		    vstring_str(why));
	if (status == DNS_OK && (rr = smtpd_dns_filter(rr)) == NULL)
		status = DNS_NODATA;
	for (p = rr; p; p = p->next)
		if (p->ttl < ttl)
			ttl = p->ttl;
	if (ent != NULL)
		htable_delete(state->dns_cache, vstring_str(key), smtpd_rbl_ent_free);
	else if (((HTABLE *)state->dns_cache)->used >= SMTPD_RBL_CACHE) {
		/* Full: start again rather than grow. */
		htable_free(state->dns_cache, smtpd_rbl_ent_free);
		state->dns_cache = htable_create(16);
	}
	ent = mycalloc(1, sizeof(*ent));
	ent->status = status;
	ent->rr = rr;
	/* A temporary failure is not an answer: ask again next time. */
	ent->expires = status == DNS_RETRY ? now : now + (status == DNS_OK ?
	    ttl : SMTPD_RBL_TTL_NEG);
	htable_enter(state->dns_cache, vstring_str(key), ent);
	*list = rr;
out:
	vstring_free(key);
	vstring_free(why);
	return status;
}

/* Is name listed (an A record that passes the filter)? DNS_* status. */
static int
smtpd_rbl_listed(SMTPD_STATE *state, const char *query, const char *filter,
    const char **hit)
{
	const DNS_RR *rr;
	int	 status = smtpd_rbl_lookup(state, query, DNS_T_A, &rr);

	if (status != DNS_OK)
		return status;
	for (; rr; rr = rr->next)
		if (rr->type == DNS_T_A && (filter == NULL ||
		    dns_rbl_filter_match(filter, rr->data))) {
			*hit = rr->data;
			return DNS_OK;
		}
	return DNS_NOTFOUND;
}

typedef struct SMTPD_RBL_VARS {
	const char *name[16];
	const char *value[16];
	int	 count;
} SMTPD_RBL_VARS;

static const char *
smtpd_rbl_var(const SMTPD_RBL_VARS *v, const char *name, size_t len)
{
	for (int i = 0; i < v->count; i++)
		if (strlen(v->name[i]) == len && strncmp(v->name[i], name, len) == 0)
			return v->value[i];
	return "";
}

/* Expand $name, ${name}, ${name?text}, ${name:text}, $$; -1 if malformed. */
static int
smtpd_rbl_expand(const SMTPD_RBL_VARS *v, const char *s, size_t len,
    VSTRING *out, int depth)
{
	const char *end = s + len, *name, *close, *val;
	size_t	 nlen;
	int	 nest;

	if (depth > 5)
		return -1;
	while (s < end) {
		if (*s != '$') {
			vstring_sprintf_append(out, "%c", *s++);
			continue;
		}
		s++;
		if (s < end && *s == '$') {
			vstring_strcat(out, "$");
			s++;
			continue;
		}
		if (s < end && *s == '{') {
			for (nest = 1, close = s + 1; close < end; close++)
				if (*close == '{')
					nest++;
				else if (*close == '}' && --nest == 0)
					break;
			if (close >= end)
				return -1;
			name = s + 1;
			nlen = strspn(name, "abcdefghijklmnopqrstuvwxyz_");
			val = smtpd_rbl_var(v, name, nlen);
			if (name[nlen] == '?' || name[nlen] == ':') {
				if ((name[nlen] == '?') == (*val != 0) &&
				    smtpd_rbl_expand(v, name + nlen + 1,
				    close - name - nlen - 1, out, depth + 1) < 0)
					return -1;
			} else if (name + nlen == close) {
				vstring_strcat(out, val);
			} else
				return -1;
			s = close + 1;
			continue;
		}
		name = s;
		nlen = strspn(name, "abcdefghijklmnopqrstuvwxyz_");
		if (nlen == 0 || name + nlen > end) {
			vstring_strcat(out, "$");
			continue;
		}
		vstring_strcat(out, smtpd_rbl_var(v, name, nlen));
		s += nlen;
	}
	return 0;
}

/* The list's TXT record, printable, for $rbl_reason. */
static void
smtpd_rbl_reason(SMTPD_STATE *state, const char *query, VSTRING *reason)
{
	const DNS_RR *rr;

	vstring_reset(reason);
	if (smtpd_rbl_lookup(state, query, DNS_T_TXT, &rr) != DNS_OK)
		return;
	for (; rr && vstring_len(reason) == 0; rr = rr->next)
		if (rr->type == DNS_T_TXT && rr->data)
			for (const char *s = rr->data; *s &&
			    vstring_len(reason) < 500; s++)
				vstring_sprintf_append(reason, "%c",
				    isprint((unsigned char)*s) ? *s : '?');
}

static int
smtpd_rbl_reject(SMTPD_CHECK *c, const char *domain, const char *query,
    const char *what, const char *class)
{
	SMTPD_STATE *state = c->state;
	SMTPD_RBL_VARS v = {{0}, {0}, 0};
	VSTRING	*reason = vstring_alloc(100), *out = vstring_alloc(200);
	VSTRING	*tmpl = vstring_alloc(100);
	char	 code[8], dsn[16];
	const char *text;
	ARGV	*maps = conf_list("rbl_reply_maps");
	const char *tv;
	int	 r, n, src;

	/* Unexpanded: $rbl_* are ours, not main.cf parameters. */
	vstring_strcpy(tmpl, (tv = conf_raw("default_rbl_reply", &src)) ? tv : "");
	for (size_t i = 0; i < maps->argc; i++) {
		DICT	*dict = dict_lookup_open(maps->argv[i]);
		const char *val = dict_get(dict, domain);

		if (val != NULL) {
			vstring_strcpy(tmpl, val);
			break;
		}
	}
	argv_free(maps);
	smtpd_rbl_reason(state, query, reason);
	snprintf(code, sizeof(code), "%d", (int)conf_int("maps_rbl_reject_code"));
#define VAR(n, val)	(v.name[v.count] = (n), v.value[v.count++] = (val))
	VAR("rbl_code", code);
	VAR("rbl_class", class);
	VAR("rbl_what", what);
	VAR("rbl_domain", domain);
	VAR("rbl_reason", vstring_str(reason));
	VAR("rbl_txt", vstring_str(reason));
	VAR("client_address", state->addr);
	VAR("client_name", state->name);
	VAR("reverse_client_name", state->reverse_name);
	VAR("helo_name", state->helo ? state->helo : "");
	VAR("sender", state->sender ? state->sender : "");
	VAR("recipient", c->rcpt ? c->rcpt : "");
#undef VAR
	if (smtpd_rbl_expand(&v, vstring_str(tmpl), vstring_len(tmpl), out, 0) < 0
	    || vstring_len(out) > SMTPD_RBL_REPLY_MAX
	    || sscanf(vstring_str(out), "%3d%n", &r, &n) != 1 || n != 3
	    || r < 400 || r > 599 || (vstring_str(out)[3] != ' ' &&
	    vstring_str(out)[3] != 0)) {
		msg_warn("bad RBL reply template for %s: \"%.100s\"", domain,
		    vstring_str(tmpl));
		r = smtpd_reject(c, 451, "4.3.5", "Server configuration error");
	} else {
		text = vstring_str(out) + 3;
		text += strspn(text, " ");
		text = smtpd_access_dsn_split(text, r < 500 ? "4.7.1" : "5.7.1",
		    dsn, sizeof(dsn));
		r = smtpd_reject(c, r, dsn, "%s", text);
	}
	vstring_free(reason);
	vstring_free(out);
	vstring_free(tmpl);
	return r;
}

/* What a right-hand-side list looks up: a name, or null to skip. */
static const char *
smtpd_rbl_rhs_name(SMTPD_CHECK *c, int kind, const char **class)
{
	SMTPD_STATE *state = c->state;
	const char *name = NULL, *at;

	switch (kind) {
	case SMTPD_RBL_RHS_CLIENT:
	case SMTPD_RBL_RHSWL:
		*class = "Client host";
		name = strcmp(state->name, "unknown") ? state->name : NULL;
		break;
	case SMTPD_RBL_RHS_REVERSE:
		*class = "Unverified Client host";
		name = state->reverse_status == SMTPD_PEER_OK ?
		    state->reverse_name : NULL;
		break;
	case SMTPD_RBL_RHS_HELO:
		*class = "Helo command";
		name = state->helo;
		break;
	case SMTPD_RBL_RHS_SENDER:
		*class = "Sender address";
		name = state->sender && (at = strrchr(state->sender, '@')) ?
		    at + 1 : NULL;
		break;
	case SMTPD_RBL_RHS_RCPT:
		*class = "Recipient address";
		name = c->rcpt && (at = strrchr(c->rcpt, '@')) ? at + 1 : NULL;
		break;
	}
	if (name == NULL || *name == 0 || *name == '[' || strlen(name) > 253)
		return NULL;
	return name;
}

int
smtpd_rbl_check(SMTPD_CHECK *c, const char *arg, int kind)
{
	SMTPD_STATE *state = c->state;
	VSTRING	*query = vstring_alloc(100);
	char	*domain = mystrdup(arg), *filter;
	const char *what, *class = "Client host", *hit = NULL;
	int	 status, r = SMTPD_CHECK_DUNNO;
	int	 allow = kind == SMTPD_RBL_DNSWL || kind == SMTPD_RBL_RHSWL;

	if ((filter = strchr(domain, '=')) != NULL)
		*filter++ = 0;
	if (kind == SMTPD_RBL_CLIENT || kind == SMTPD_RBL_DNSWL) {
		what = state->addr;
		if (state->family == AF_UNIX ||
		    dns_rbl_reverse(state->addr, domain, query) < 0)
			goto out;
	} else {
		if ((what = smtpd_rbl_rhs_name(c, kind, &class)) == NULL)
			goto out;
		vstring_sprintf(query, "%s.%s", what, domain);
	}
	status = smtpd_rbl_listed(state, vstring_str(query), filter, &hit);
	if (status == DNS_RETRY && allow)
		r = smtpd_policy_action(c, "DEFER_IF_REJECT", "Service unavailable");
	else if (status != DNS_OK)
		r = SMTPD_CHECK_DUNNO;
	else if (allow)
		r = SMTPD_CHECK_OK;
	else
		r = smtpd_rbl_reject(c, domain, vstring_str(query), what, class);
out:
	vstring_free(query);
	myfree(domain);
	return r;
}
