/*
 * NAME
 *	smtpd_check - access restrictions (smtpd_*_restrictions)
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_check_client(SMTPD_STATE *state);
 *	int smtpd_check_helo(SMTPD_STATE *state);
 *	int smtpd_check_sender(SMTPD_STATE *state);
 *	int smtpd_check_rcpt(SMTPD_STATE *state, const char *rcpt);
 *	int smtpd_check_data(SMTPD_STATE *state);
 *	int smtpd_check_eod(SMTPD_STATE *state);
 *	int smtpd_check_mynetworks(SMTPD_STATE *state);
 *	int smtpd_check_list(SMTPD_CHECK *c, ARGV *list);
 *	int smtpd_check_rcpt_dest(SMTPD_CHECK *c, int *class);
 * DESCRIPTION
 *	Each function evaluates one Postfix restriction list, first decision
 *	wins: a permit ends that list only, a reject ends the command. With
 *	smtpd_delay_reject (the default) the client, helo and sender lists
 *	are evaluated at RCPT time (once per transaction; the outcome is
 *	kept), then smtpd_relay_restrictions, smtpd_recipient_restrictions
 *	and, with smtpd_reject_unlisted_recipient, the recipient table
 *	check. Without it they run at connect, HELO/EHLO and MAIL.
 *
 *	Supported restrictions: permit, reject, defer, warn_if_reject,
 *	permit_mynetworks, permit_inet_interfaces, permit_sasl_authenticated
 *	and the *_sender_login_mismatch restrictions (smtpd_sasl_check.c),
 *	permit_tls_clientcerts, permit_tls_all_clientcerts and
 *	check_ccert_access (smtpd_check_tls.c),
 *	reject_unknown_client_hostname,
 *	reject_unknown_reverse_client_hostname, reject_invalid_helo_hostname,
 *	reject_non_fqdn_helo_hostname, reject_unknown_helo_hostname,
 *	reject_non_fqdn_sender, reject_non_fqdn_recipient,
 *	reject_unknown_sender_domain, reject_unknown_recipient_domain,
 *	reject_unauth_destination, defer_unauth_destination,
 *	reject_unlisted_recipient (check_recipient_maps),
 *	reject_unlisted_sender, reject_unauth_pipelining, defer_if_permit,
 *	defer_if_reject, permit_auth_destination,
 *	reject_multi_recipient_bounce, reject_plaintext_session and
 *	"sleep N" (smtpd_check_misc.c), check_client_access,
 *	check_helo_access, check_sender_access, check_recipient_access,
 *	check_policy_service (smtpd_policy.c), reject_rbl_client,
 *	reject_rhsbl_client, reject_rhsbl_reverse_client, reject_rhsbl_helo,
 *	reject_rhsbl_sender, reject_rhsbl_recipient, permit_dnswl_client,
 *	permit_rhswl_client (smtpd_rbl.c), check_reverse_client_hostname_access
 *	and the check_*_{mx,ns,a}_access restrictions (smtpd_check_server.c).
 *	Access table results: OK, PERMIT, RELAY, REJECT [text], DEFER
 *	[text], DUNNO, HOLD [text], DISCARD [text], WARN text, INFO text,
 *	"4NN text", "5NN text", an all-numeric result (OK), or a list of
 *	restrictions, evaluated in place. A name listed in
 *	smtpd_restriction_classes stands for the restriction list that
 *	main.cf gives it (Postfix's restriction classes), evaluated in place
 *	wherever it appears. An unknown restriction is a
 *	configuration error: "451 4.3.5 Server configuration error".
 *
 *	A DNS failure in reject_unknown_sender_domain or
 *	reject_unknown_recipient_domain answers "450 4.1.8 (4.1.2) <addr>:
 *	... rejected: Domain not found" at once with
 *	unknown_address_tempfail_action = defer; with defer_if_permit (the
 *	default) the list goes on and the 450 comes only if the stage would
 *	otherwise accept (a later reject wins). The "User unknown in X
 *	table" replies of reject_unlisted_* name the table only with
 *	show_user_unknown_table_name.
 *
 *	Rejects are logged in Postfix's form: "ID: reject: RCPT from
 *	name[addr]: 554 5.7.1 <x@y>: Relay access denied; from=<a@b>
 *	to=<x@y> proto=ESMTP helo=<h>" (NOQUEUE when there is no queue file).
 *
 *	In stand-alone mode for an ordinary user (sendmail -bs, which
 *	submits through maildrop/ like sendmail itself) no restriction list
 *	is evaluated: relaying and the other access controls are off, as in
 *	Postfix.
 * DIAGNOSTICS
 *	SMTPD_CHECK_OK, SMTPD_CHECK_DUNNO, or SMTPD_CHECK_REJECT with the
 *	reply in state->check_reply.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"

/*
 * Is the client in mynetworks? A failed table lookup is not cached:
 * is_mynet stays -1 and the answer is "no" (permit_mynetworks defers).
 */
int
smtpd_check_mynetworks(SMTPD_STATE *state)
{
	if (state->is_mynet < 0)
		state->is_mynet = addr_match_client(state->conf->mynetworks,
		    state->addr, state->name);
	return state->is_mynet > 0;
}

static int
smtpd_check_permit_mynetworks(SMTPD_CHECK *c)
{
	if (smtpd_check_mynetworks(c->state))
		return SMTPD_CHECK_OK;
	if (c->state->is_mynet < 0)
		return smtpd_reject(c, 451, "4.3.0", "<%s>: Temporary lookup "
		    "failure", c->state->namaddr);
	return SMTPD_CHECK_DUNNO;
}

/* HELO argument syntax: a host name (UTF-8 allowed) or address literal. */
static int
smtpd_check_hostname_valid(const char *name)
{
	return *name == '[' ? valid_hostliteral(name) : valid_hostname(name, 1);
}

/* The reject code and table name of an unknown address, by class. */
static void
smtpd_check_unknown(const SMTPD_CONF *conf, int class, int *code,
    const char **table)
{
	switch (class) {
	case SMTPD_DEST_LOCAL:
		*code = conf->unknown_local_code;
		*table = "local recipient";
		break;
	case SMTPD_DEST_VALIAS:
		*code = conf->unknown_valias_code;
		*table = "virtual alias";
		break;
	case SMTPD_DEST_VMAILBOX:
		*code = conf->unknown_vmailbox_code;
		*table = "virtual mailbox";
		break;
	default:
		*code = conf->unknown_relay_code;
		*table = "relay recipient";
		break;
	}
}

/* reject_unlisted_recipient / reject_unlisted_sender. */
static int
smtpd_check_unlisted(SMTPD_CHECK *c, const char *addr, int rcpt)
{
	char	*q = smtpd_resolve_qualify(c->state->conf, addr);
	VSTRING	*moved = vstring_alloc(64);
	int	 err = 0, class, known = 1, r = SMTPD_CHECK_DUNNO, code;
	const char *what = rcpt ? "Recipient address" : "Sender address";
	const char *table;

	if (rcpt && c->state->conf->no_unknown_rcpt) {
		myfree(q);
		return SMTPD_CHECK_DUNNO;
	}
	class = smtpd_resolve_class(c->state, q, &err);
	/* RFC 5321 4.5.1: the postmaster always exists (as in Postfix). */
	if (!err && !(rcpt && class == SMTPD_DEST_LOCAL
	    && (strncasecmp(q, "postmaster@", 11) == 0
	    || strncasecmp(q, "mailer-daemon@", 14) == 0)))
		known = smtpd_resolve_known_rcpt(c->state, q, class, &err, moved);
	smtpd_check_unknown(c->state->conf, class, &code, &table);
	if (err)
		r = smtpd_reject(c, 451, "4.3.0", "<%s>: %s rejected: "
		    "Temporary lookup failure", addr, what);
	else if (vstring_len(moved) > 0)
		r = smtpd_reject(c, 550, "5.1.6", "<%s>: %s rejected: "
		    "User has moved to %s", addr, what, vstring_str(moved));
	else if (!known)
		r = smtpd_reject(c, code, rcpt ? "5.1.1" : "5.1.0",
		    "<%s>: %s rejected: User unknown%s%s%s", addr, what,
		    c->state->conf->show_unknown_table ? " in " : "",
		    c->state->conf->show_unknown_table ? table : "",
		    c->state->conf->show_unknown_table ? " table" : "");
	vstring_free(moved);
	myfree(q);
	return r;
}

static int
smtpd_check_rcpt_class(SMTPD_CHECK *c, int *err)
{
	char	*q = smtpd_resolve_qualify(c->state->conf, c->rcpt);
	int	 class = smtpd_resolve_class(c->state, q, err);

	myfree(q);
	return class;
}

/*
 * The recipient's address class (*class) for the destination restrictions:
 * SMTPD_CHECK_DUNNO, or with *class -1 nothing to check (no recipient) or
 * what the "451 4.3.0 <rcpt>: Temporary lookup failure" reject returned.
 */
int
smtpd_check_rcpt_dest(SMTPD_CHECK *c, int *class)
{
	int	 err = 0;

	*class = -1;
	if (c->rcpt == NULL)
		return SMTPD_CHECK_DUNNO;
	*class = smtpd_check_rcpt_class(c, &err);
	if (!err)
		return SMTPD_CHECK_DUNNO;
	*class = -1;
	return smtpd_reject(c, 451, "4.3.0", "<%s>: Temporary lookup failure",
	    c->rcpt);
}

static int
smtpd_check_unauth_dest(SMTPD_CHECK *c, int defer)
{
	const SMTPD_CONF *conf = c->state->conf;
	int	 class, r;

	if ((r = smtpd_check_rcpt_dest(c, &class)) != SMTPD_CHECK_DUNNO ||
	    class < 0)
		return r;
	if (class != SMTPD_DEST_OTHER)
		return SMTPD_CHECK_DUNNO;
	/* As Postfix: defer turns relay_domains_reject_code 554 into 454. */
	return smtpd_reject(c, defer && conf->relay_code >= 500 ?
	    conf->relay_code - 100 : conf->relay_code, defer ? "4.7.1" : "5.7.1",
	    "<%s>: Relay access denied", c->rcpt);
}

/* reject_non_fqdn_sender / _recipient. */
static int
smtpd_check_fqdn_addr(SMTPD_CHECK *c, const char *addr, int class)
{
	const char *domain;
	int	 saved = c->class, r;

	if (addr == NULL || *addr == 0)
		return SMTPD_CHECK_DUNNO;
	domain = addr_domain(addr);
	if (domain && addr_is_fqdn(domain))
		return SMTPD_CHECK_DUNNO;
	c->class = class;
	r = smtpd_reject_class(c, c->state->conf->non_fqdn_code, "5.5.2",
	    "need fully-qualified address");
	c->class = saved;
	return r;
}

/* reject_unknown_sender_domain / _recipient_domain. */
static int
smtpd_check_domain_exists(SMTPD_CHECK *c, const char *addr, int class)
{
	const char *domain;
	int	 saved = c->class, r, err = 0;

	if (addr == NULL || *addr == 0 ||
	    (domain = addr_domain(addr)) == NULL || *domain == '[')
		return SMTPD_CHECK_DUNNO;
	if (class == SMTPD_CLASS_RCPT &&
	    smtpd_check_rcpt_class(c, &err) != SMTPD_DEST_OTHER)
		return SMTPD_CHECK_DUNNO;
	if ((r = smtpd_dns_domain_exists(domain)) > 0)
		return SMTPD_CHECK_DUNNO;
	c->class = class;
	/* unknown_address_tempfail_action; under warn_if_reject, a warning. */
	if (r < 0 && !c->state->conf->unknown_addr_defer &&
	    !c->state->warn_if_reject)
		r = smtpd_policy_action(c, "DEFER_IF_PERMIT",
		    class == SMTPD_CLASS_RCPT ? "4.1.2 Domain not found" :
		    "4.1.8 Domain not found");
	else
		r = smtpd_reject_class(c, r < 0 ? 450 :
		    c->state->conf->unknown_addr_code,
		    class == SMTPD_CLASS_RCPT ? "4.1.2" : "4.1.8",
		    "Domain not found");
	c->class = saved;
	return r;
}

static int
smtpd_check_helo_name(SMTPD_CHECK *c, int how)
{
	const char *helo = c->state->helo;
	int	 saved = c->class, r = SMTPD_CHECK_DUNNO;

	if (helo == NULL)
		return r;
	c->class = SMTPD_CLASS_HELO;
	if (how == 0 && !smtpd_check_hostname_valid(helo))
		r = smtpd_reject_class(c, c->state->conf->invalid_hostname_code,
		    "5.5.2", "Invalid name");
	else if (how == 1 && (!smtpd_check_hostname_valid(helo) ||
	    !addr_is_fqdn(helo)))
		r = smtpd_reject_class(c, c->state->conf->non_fqdn_code,
		    "5.5.2", "need fully-qualified hostname");
	else if (how == 2 && *helo != '[' &&
	    (r = smtpd_dns_domain_exists(helo)) <= 0)
		r = smtpd_reject_class(c, r < 0 ? 450 :
		    (int)conf_int("unknown_hostname_reject_code"), "4.7.1",
		    "Host not found");
	else
		r = SMTPD_CHECK_DUNNO;
	c->class = saved;
	return r;
}

static int
smtpd_check_unlisted_cmd(SMTPD_CHECK *c, int rcpt)
{
	const char *addr = rcpt ? c->rcpt : c->state->sender;

	if (addr == NULL || *addr == 0)
		return SMTPD_CHECK_DUNNO;
	return smtpd_check_unlisted(c, addr, rcpt);
}

/* Restrictions without argument; -2 when name is not one of them. */
static int
smtpd_check_simple(SMTPD_CHECK *c, const char *name)
{
	SMTPD_STATE *state = c->state;
	int	 r;

#define IS(w)	(strcasecmp(name, w) == 0)
	if (IS("permit"))
		return SMTPD_CHECK_OK;
	if (IS("reject"))
		return smtpd_reject_class(c, state->conf->reject_code, "5.7.1",
		    "Access denied");
	if (IS("defer"))
		return smtpd_reject_class(c, state->conf->defer_code, "4.3.2",
		    "Try again later");
	if (IS("permit_mynetworks"))
		return smtpd_check_permit_mynetworks(c);
	if (IS("permit_inet_interfaces"))
		return state->family != AF_UNIX && (strcmp(state->addr,
		    state->laddr) == 0 || smtpd_peer_local_addr(state->addr)) ?
		    SMTPD_CHECK_OK : SMTPD_CHECK_DUNNO;
	if ((r = smtpd_sasl_check(c, name)) != -2)	/* smtpd_sasl_check.c */
		return r;
	if ((r = smtpd_check_misc(c, name)) != -2)	/* smtpd_check_misc.c */
		return r;
	if ((r = smtpd_check_tls(c, name)) != -2)	/* smtpd_check_tls.c */
		return r;
	if (IS("reject_unknown_client_hostname") || IS("reject_unknown_client"))
		return smtpd_peer_unknown(c, 0);
	if (IS("reject_unknown_reverse_client_hostname"))
		return smtpd_peer_unknown(c, 1);
	if (IS("reject_invalid_helo_hostname") || IS("reject_invalid_hostname"))
		return smtpd_check_helo_name(c, 0);
	if (IS("reject_non_fqdn_helo_hostname") || IS("reject_non_fqdn_hostname"))
		return smtpd_check_helo_name(c, 1);
	if (IS("reject_unknown_helo_hostname") || IS("reject_unknown_hostname"))
		return smtpd_check_helo_name(c, 2);
	if (IS("reject_non_fqdn_sender"))
		return smtpd_check_fqdn_addr(c, state->sender, SMTPD_CLASS_SENDER);
	if (IS("reject_non_fqdn_recipient"))
		return smtpd_check_fqdn_addr(c, c->rcpt, SMTPD_CLASS_RCPT);
	if (IS("reject_unknown_sender_domain"))
		return smtpd_check_domain_exists(c, state->sender, SMTPD_CLASS_SENDER);
	if (IS("reject_unknown_recipient_domain"))
		return smtpd_check_domain_exists(c, c->rcpt, SMTPD_CLASS_RCPT);
	if (IS("reject_unauth_destination"))
		return smtpd_check_unauth_dest(c, 0);
	if (IS("defer_unauth_destination"))
		return smtpd_check_unauth_dest(c, 1);
	if (IS("reject_unlisted_recipient") || IS("check_recipient_maps"))
		return smtpd_check_unlisted_cmd(c, 1);
	if (IS("reject_unlisted_sender"))
		return smtpd_check_unlisted_cmd(c, 0);
#undef IS
	return -2;
}

/* Restrictions that take a table or other argument. */
static const struct {
	const char *name;
	int	 class;			/* -1: unsupported, argument skipped */
	int	 (*fn)(SMTPD_CHECK *, const char *, int);
} smtpd_check_with_arg[] = {
	{"check_client_access", SMTPD_CLASS_CLIENT, smtpd_access_check},
	{"check_helo_access", SMTPD_CLASS_HELO, smtpd_access_check},
	{"check_sender_access", SMTPD_CLASS_SENDER, smtpd_access_check},
	{"check_recipient_access", SMTPD_CLASS_RCPT, smtpd_access_check},
	{"check_ccert_access", SMTPD_CLASS_CCERT, smtpd_check_ccert_access},
	{"check_policy_service", 0, smtpd_policy_check},
	{"reject_rbl_client", SMTPD_RBL_CLIENT, smtpd_rbl_check},
	{"reject_rhsbl_client", SMTPD_RBL_RHS_CLIENT, smtpd_rbl_check},
	{"reject_rhsbl_reverse_client", SMTPD_RBL_RHS_REVERSE, smtpd_rbl_check},
	{"reject_rhsbl_helo", SMTPD_RBL_RHS_HELO, smtpd_rbl_check},
	{"reject_rhsbl_sender", SMTPD_RBL_RHS_SENDER, smtpd_rbl_check},
	{"reject_rhsbl_recipient", SMTPD_RBL_RHS_RCPT, smtpd_rbl_check},
	{"permit_dnswl_client", SMTPD_RBL_DNSWL, smtpd_rbl_check},
	{"permit_rhswl_client", SMTPD_RBL_RHSWL, smtpd_rbl_check},
	{"sleep", 0, smtpd_check_sleep},	/* smtpd_check_misc.c */
	/* smtpd_check_server.c */
	{"check_reverse_client_hostname_access", 0, smtpd_check_reverse},
#define SRV(subject, type)	(SMTPD_SRV_ ## subject | SMTPD_SRV_ ## type)
	{"check_client_mx_access", SRV(CLIENT, MX), smtpd_check_server},
	{"check_client_ns_access", SRV(CLIENT, NS), smtpd_check_server},
	{"check_client_a_access", SRV(CLIENT, A), smtpd_check_server},
	{"check_reverse_client_hostname_mx_access", SRV(REVERSE, MX),
	smtpd_check_server},
	{"check_reverse_client_hostname_ns_access", SRV(REVERSE, NS),
	smtpd_check_server},
	{"check_reverse_client_hostname_a_access", SRV(REVERSE, A),
	smtpd_check_server},
	{"check_helo_mx_access", SRV(HELO, MX), smtpd_check_server},
	{"check_helo_ns_access", SRV(HELO, NS), smtpd_check_server},
	{"check_helo_a_access", SRV(HELO, A), smtpd_check_server},
	{"check_sender_mx_access", SRV(SENDER, MX), smtpd_check_server},
	{"check_sender_ns_access", SRV(SENDER, NS), smtpd_check_server},
	{"check_sender_a_access", SRV(SENDER, A), smtpd_check_server},
	{"check_recipient_mx_access", SRV(RCPT, MX), smtpd_check_server},
	{"check_recipient_ns_access", SRV(RCPT, NS), smtpd_check_server},
	{"check_recipient_a_access", SRV(RCPT, A), smtpd_check_server},
#undef SRV
	{NULL, 0, NULL},
};

/*
 * A name of smtpd_restriction_classes: its main.cf value is a restriction
 * list, evaluated in place (access table results use them most); -2 when
 * name is not a class.
 */
static int
smtpd_check_class(SMTPD_CHECK *c, const char *name)
{
	const ARGV *classes = c->state->conf->restriction_classes;
	const char *value;
	ARGV	*list;
	int	 r;

	for (size_t k = 0; k < classes->argc; k++) {
		if (strcmp(classes->argv[k], name) != 0)
			continue;
		if ((value = conf_lookup(name)) == NULL) {
			msg_warn("restriction class %s is not defined in main.cf",
			    name);
			return smtpd_reject(c, 451, "4.3.5",
			    "Server configuration error");
		}
		if (c->depth >= SMTPD_CHECK_DEPTH) {
			msg_warn("restriction class %s nested too deeply", name);
			return smtpd_reject(c, 451, "4.3.5",
			    "Server configuration error");
		}
		list = conf_split_list(value);
		c->depth++;
		r = smtpd_check_list(c, list);
		c->depth--;
		argv_free(list);
		return r;
	}
	return -2;
}

/* smtpd_log_access_permit_actions: log a permit restriction's decision. */
static void
smtpd_check_permit_log(SMTPD_CHECK *c, const char *name)
{
	static const char *client[] = {"permit_mynetworks",
	"permit_inet_interfaces", "permit_sasl_authenticated",
	"permit_dnswl_client", "permit_rhswl_client", NULL};
	const char *table = c->table;
	int	 class = c->class;

	if (c->state->conf->permit_log == NULL)
		return;
	for (int k = 0; client[k]; k++)
		if (strcasecmp(name, client[k]) == 0)
			class = SMTPD_CLASS_CLIENT;
	if (strcasecmp(name, "permit_auth_destination") == 0 ||
	    strcasecmp(name, "permit_mx_backup") == 0)
		class = SMTPD_CLASS_RCPT;
	c->table = NULL;	/* a restriction, not a table's result */
	smtpd_reject_permit(c, name, class);
	c->table = table;
}

static int
smtpd_check_one(SMTPD_CHECK *c, ARGV *list, size_t *i)
{
	const char *name = list->argv[*i];
	int	 r;

	if ((r = smtpd_check_simple(c, name)) != -2) {
		if (r == SMTPD_CHECK_OK)
			smtpd_check_permit_log(c, name);
		return r;
	}
	for (int k = 0; smtpd_check_with_arg[k].name; k++) {
		if (strcasecmp(name, smtpd_check_with_arg[k].name) != 0)
			continue;
		if (*i + 1 >= list->argc) {
			msg_warn("restriction %s needs an argument", name);
			break;
		}
		*i += 1;
		if (smtpd_check_with_arg[k].class < 0) {
			msg_warn("unsupported restriction %s %s: ignored", name,
			    list->argv[*i]);
			return SMTPD_CHECK_DUNNO;
		}
		r = smtpd_check_with_arg[k].fn(c, list->argv[*i],
		    smtpd_check_with_arg[k].class);
		if (r == SMTPD_CHECK_OK && strncasecmp(name, "permit_", 7) == 0)
			smtpd_check_permit_log(c, name);
		return r;
	}
	if ((r = smtpd_check_class(c, name)) != -2)
		return r;
	msg_warn("unknown smtpd restriction: \"%s\"", name);
	return smtpd_reject(c, 451, "4.3.5", "Server configuration error");
}

int
smtpd_check_list(SMTPD_CHECK *c, ARGV *list)
{
	int	 r;

	for (size_t i = 0; list && i < list->argc; i++) {
		if (strcasecmp(list->argv[i], "warn_if_reject") == 0) {
			c->state->warn_if_reject = 1;
			continue;
		}
		r = smtpd_check_one(c, list, &i);
		c->state->warn_if_reject = 0;
		if (r != SMTPD_CHECK_DUNNO)
			return r;
	}
	return SMTPD_CHECK_DUNNO;
}

static int
smtpd_check_run(SMTPD_STATE *state, ARGV *list, int class, const char *rcpt)
{
	SMTPD_CHECK c = {state, class, rcpt, 0};

	return smtpd_check_list(&c, list);
}

/* One whole stage: DEFER_IF_PERMIT / DEFER_IF_REJECT live within it. */
static int
smtpd_check_stage(SMTPD_STATE *state, ARGV *list, int class)
{
	SMTPD_CHECK c = {state, class, NULL, 0};

	if (state->conf->drop)
		return SMTPD_CHECK_DUNNO;
	smtpd_policy_stage(state);
	return smtpd_policy_finish(&c, smtpd_check_list(&c, list));
}

int
smtpd_check_client(SMTPD_STATE *state)
{
	return smtpd_check_stage(state, state->conf->client_rest,
	    SMTPD_CLASS_CLIENT);
}

int
smtpd_check_helo(SMTPD_STATE *state)
{
	return smtpd_check_stage(state, state->conf->helo_rest,
	    SMTPD_CLASS_HELO);
}

int
smtpd_check_sender(SMTPD_STATE *state)
{
	return smtpd_check_stage(state, state->conf->sender_rest,
	    SMTPD_CLASS_SENDER);
}

/* Client, helo, sender lists at RCPT time, once per transaction. */
static int
smtpd_check_delayed(SMTPD_STATE *state, const char *rcpt)
{
	const SMTPD_CONF *conf = state->conf;
	int	 r;

	if (state->sender_checked) {
		smtpd_policy_delayed(state, 0);	/* their DEFER_IF_PERMIT */
		if (state->sender_check_result != SMTPD_CHECK_REJECT)
			return state->sender_check_result;
		vstring_strcpy(state->check_reply, state->sender_check_reply);
		smtpd_reject_log(state, "reject", state->sender_check_reply, rcpt);
		return SMTPD_CHECK_REJECT;
	}
	r = smtpd_check_run(state, conf->client_rest, SMTPD_CLASS_CLIENT, rcpt);
	if (r != SMTPD_CHECK_REJECT)
		r = smtpd_check_run(state, conf->helo_rest, SMTPD_CLASS_HELO, rcpt);
	if (r != SMTPD_CHECK_REJECT)
		r = smtpd_check_run(state, conf->sender_rest, SMTPD_CLASS_SENDER,
		    rcpt);
	state->sender_checked = 1;
	smtpd_policy_delayed(state, 1);
	state->sender_check_result = r == SMTPD_CHECK_REJECT ? r :
	    SMTPD_CHECK_DUNNO;
	myfree(state->sender_check_reply);
	state->sender_check_reply = mystrdup(vstring_str(state->check_reply));
	return state->sender_check_result;
}

static int smtpd_check_rcpt_stage(SMTPD_STATE *, const char *);

int
smtpd_check_rcpt(SMTPD_STATE *state, const char *rcpt)
{
	SMTPD_CHECK c = {state, SMTPD_CLASS_RCPT, rcpt, 0};

	if (state->conf->drop)
		return SMTPD_CHECK_DUNNO;
	smtpd_policy_stage(state);
	return smtpd_policy_finish(&c, smtpd_check_rcpt_stage(state, rcpt));
}

static int
smtpd_check_rcpt_stage(SMTPD_STATE *state, const char *rcpt)
{
	const SMTPD_CONF *conf = state->conf;
	SMTPD_CHECK c = {state, SMTPD_CLASS_RCPT, rcpt, 0};
	int	 r = SMTPD_CHECK_DUNNO;

	if (conf->delay_reject && smtpd_check_delayed(state, rcpt) ==
	    SMTPD_CHECK_REJECT)
		return SMTPD_CHECK_REJECT;
	if (smtpd_check_list(&c, conf->relay_rest) == SMTPD_CHECK_REJECT ||
	    smtpd_check_list(&c, conf->rcpt_rest) == SMTPD_CHECK_REJECT)
		return SMTPD_CHECK_REJECT;
	if (conf->reject_unlisted_rcpt)
		r = smtpd_check_unlisted(&c, rcpt, 1);
	if (r != SMTPD_CHECK_REJECT && conf->reject_unlisted_sender &&
	    state->sender && *state->sender) {
		c.class = SMTPD_CLASS_SENDER;
		r = smtpd_check_unlisted(&c, state->sender, 0);
	}
	return r;
}

int
smtpd_check_data(SMTPD_STATE *state)
{
	return smtpd_check_stage(state, state->conf->data_rest,
	    SMTPD_CLASS_DATA);
}

int
smtpd_check_eod(SMTPD_STATE *state)
{
	return smtpd_check_stage(state, state->conf->eod_rest,
	    SMTPD_CLASS_EOD);
}
