/*
 * NAME
 *	smtpd_check_backup - permit_mx_backup
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_check_backup(SMTPD_CHECK *c);
 * DESCRIPTION
 *	smtpd_check_backup() implements Postfix's permit_mx_backup: OK for a
 *	recipient whose domain this host may receive for (local, virtual,
 *	relay_domains: as permit_auth_destination), and for one whose
 *	domain lists this host as a backup MX host: one of its MX hosts of a
 *	preference above the lowest is this host (its name is in
 *	mydestination, or one of its addresses is in inet_interfaces or
 *	proxy_interfaces), while no primary (lowest preference) MX host is.
 *	With permit_mx_backup_networks set, every address of every primary
 *	MX host must also be in those networks (so that this host does not
 *	relay for any domain that merely names it).
 *
 *	Address literals and domains without MX record are not backed up.
 *	When the MX lookup fails temporarily, or a primary's addresses cannot
 *	be found, a later 5xx reject of the stage becomes "450 4.4.4
 *	<rcpt>: Recipient address rejected: Unable to look up mail exchanger
 *	information: ..." (DEFER_IF_REJECT), as in Postfix. At most
 *	SMTPD_BACKUP_HOSTS MX hosts are examined.
 * DIAGNOSTICS
 *	SMTPD_CHECK_OK or SMTPD_CHECK_DUNNO; a failed table lookup rejects
 *	with "451 4.3.0 <rcpt>: Temporary lookup failure".
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "dns.h"
#include "msg.h"
#include "smtpd.h"

#define SMTPD_BACKUP_HOSTS	25	/* MX hosts examined per domain */

/* DEFER_IF_REJECT with "450 4.4.4 <rcpt>: Recipient address rejected: ...". */
static void
smtpd_check_backup_defer(SMTPD_CHECK *c, const char *what, const char *host,
    const char *why)
{
	char	 text[512];

	if (host)
		snprintf(text, sizeof(text), "4.4.4 Unable to %s host %s as mail "
		    "exchanger%s%s", what, host, why ? ": " : "", why ? why : "");
	else
		snprintf(text, sizeof(text), "4.4.4 Unable to look up mail "
		    "exchanger information: %s", why);
	(void)smtpd_policy_action(c, "DEFER_IF_REJECT", text);
}

/* The addresses of host (null, DEFER_IF_REJECT pending, when none). */
static DNS_RR *
smtpd_check_backup_addrs(SMTPD_CHECK *c, const char *host)
{
	VSTRING	*why = vstring_alloc(100);
	DNS_RR	*addrs = NULL;

	if (dns_lookup_addr(host, DNS_FAM_V4 | DNS_FAM_V6, &addrs, why) != DNS_OK
	    || (addrs = smtpd_dns_filter(addrs)) == NULL)
		smtpd_check_backup_defer(c, "look up", host, vstring_len(why) ?
		    vstring_str(why) : "DNS reply filter policy");
	vstring_free(why);
	return addrs;
}

/* Is one of the MX hosts [from, to) this host? By name first, as Postfix. */
static int
smtpd_check_backup_is_me(SMTPD_CHECK *c, DNS_RR *from, DNS_RR *to)
{
	const ARGV *own = c->state->conf->resolve->own_addrs;
	DNS_RR	*mx, *addrs, *a;
	int	 me = 0;

	for (mx = from; mx != to; mx = mx->next)
		if (resolve_class_local(c->state->conf->resolve, mx->data) > 0)
			return 1;
	for (mx = from; mx != to && !me; mx = mx->next) {
		if ((addrs = smtpd_check_backup_addrs(c, mx->data)) == NULL)
			continue;
		for (a = addrs; a && !me; a = a->next)
			for (size_t i = 0; own && i < own->argc && !me; i++)
				me = strcasecmp(own->argv[i], a->data) == 0;
		dns_rr_free(addrs);
	}
	return me;
}

/* Are all addresses of the primaries [from, to) in the networks? */
static int
smtpd_check_backup_primaries_ok(SMTPD_CHECK *c, DNS_RR *from, DNS_RR *to)
{
	ADDR_MATCH *nets = c->state->conf->perm_mx_networks;
	DNS_RR	*mx, *addrs, *a;
	int	 ok = 1, m;

	for (mx = from; mx != to && ok; mx = mx->next) {
		if ((addrs = smtpd_check_backup_addrs(c, mx->data)) == NULL)
			return 0;
		for (a = addrs; a && ok; a = a->next) {
			if ((m = addr_match_client(nets, a->data, mx->data)) < 0) {
				msg_warn("permit_mx_backup: permit_mx_backup_networks "
				    "lookup error for address %s for %s", a->data,
				    mx->data);
				smtpd_check_backup_defer(c, "verify", mx->data, NULL);
			}
			ok = m > 0;
		}
		dns_rr_free(addrs);
	}
	return ok;
}

static int
smtpd_check_backup_domain(SMTPD_CHECK *c, const char *domain)
{
	VSTRING	*why = vstring_alloc(100);
	DNS_RR	*list = NULL, *backup, *mx;
	int	 r, n, ok = 0;

	r = dns_lookup(domain, DNS_T_MX, &list, why);
	if (r == DNS_OK && (list = smtpd_dns_filter(list)) == NULL) {
		r = DNS_RETRY;
		vstring_strcpy(why, "DNS reply filter policy");
	}
	if (r != DNS_OK) {
		if (r == DNS_RETRY)
			smtpd_check_backup_defer(c, NULL, NULL, vstring_str(why));
		vstring_free(why);
		return SMTPD_CHECK_DUNNO;
	}
	vstring_free(why);
	list = dns_rr_sort_mx(list, 0);
	/* Primaries: the lowest preference; backups after them (bounded). */
	for (backup = list, n = 0; backup && backup->pref == list->pref;
	    backup = backup->next)
		n++;
	for (mx = backup; mx && n < SMTPD_BACKUP_HOSTS; mx = mx->next)
		n++;
	if (backup != NULL && !smtpd_check_backup_is_me(c, list, backup) &&
	    smtpd_check_backup_is_me(c, backup, mx))
		ok = c->state->conf->perm_mx_networks == NULL ||
		    smtpd_check_backup_primaries_ok(c, list, backup);
	dns_rr_free(list);
	return ok ? SMTPD_CHECK_OK : SMTPD_CHECK_DUNNO;
}

int
smtpd_check_backup(SMTPD_CHECK *c)
{
	const char *domain;
	int	 class, r;

	if ((r = smtpd_check_rcpt_dest(c, &class)) != SMTPD_CHECK_DUNNO ||
	    class < 0)
		return r;
	if (class != SMTPD_DEST_OTHER)
		return SMTPD_CHECK_OK;
	/* Sender-specified routing ("%", "!") is never relayed. */
	if (resolve_class_routed(c->rcpt) ||
	    (domain = strrchr(c->rcpt, '@')) == NULL ||
	    domain[1] == '[' || !valid_hostname(domain + 1, 1))
		return SMTPD_CHECK_DUNNO;
	return smtpd_check_backup_domain(c, domain + 1);
}
