/*
 * NAME
 *	smtpd_check_server - access by a domain's MX, NS or A hosts
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_check_server(SMTPD_CHECK *c, const char *table, int which);
 *	int smtpd_check_reverse(SMTPD_CHECK *c, const char *table, int unused);
 * DESCRIPTION
 *	smtpd_check_server() implements Postfix's check_{client, reverse_client,
 *	helo, sender, recipient}_{mx, ns, a}_access restrictions; which is
 *	one SMTPD_SRV_CLIENT, _REVERSE, _HELO, _SENDER or _RCPT (what
 *	name is checked: the verified client name, the unverified PTR name,
 *	the HELO argument, the domain of the sender or the recipient) plus
 *	SMTPD_SRV_MX, _NS or _A (which servers of that domain).
 *
 *	The domain's servers are found in the DNS (dns(3), through
 *	dns_resolver_address when set, filtered by smtpd_dns_reply_filter):
 *	its MX hosts (a domain without MX record is its own MX host; a null
 *	MX, RFC 7505, checks nothing), its NS hosts (those of the nearest
 *	parent domain that has some when the domain has none), or, for A,
 *	the name itself. Each server's name is looked up in the table as a
 *	host name and its parent domains (not for A), then each of its
 *	IPv4 and IPv6 addresses and their prefixes, as check_client_access
 *	does (smtpd_access_find(3)); the first entry found decides (its
 *	result is an access(5) action: REJECT, DEFER, DUNNO, ...). An
 *	address literal ([192.0.2.1]) is its own MX and A server, and has
 *	no NS server. At most SMTPD_SERVER_HOSTS servers are examined.
 *
 *	Names that are not there check nothing: no HELO, the null sender,
 *	an "unknown" client name, a name that is no valid host name (it is
 *	not sent to the DNS). A DNS failure checks nothing either; it
 *	is logged ("warning: Unable to look up MX host for example.com:
 *	..."), as in Postfix.
 *
 *	As in Postfix, these tables may not answer OK (a domain's servers
 *	are no credential): OK is logged ("warning: restriction
 *	check_sender_mx_access returns OK for a@example.com" and why) and
 *	answered "451 4.3.5 Server configuration error".
 *
 *	smtpd_check_reverse() implements check_reverse_client_hostname_access:
 *	the unverified PTR name of the client and its parent domains, then
 *	the client address and its prefixes; rejects read "<name>: Unverified
 *	Client host rejected: ...". OK is refused as above.
 * DIAGNOSTICS
 *	SMTPD_CHECK_* results. A failed table lookup is "451 4.3.0 <name>:
 *	Class rejected: Temporary lookup failure".
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "argv.h"
#include "dns.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"

#define SMTPD_SERVER_HOSTS	25	/* servers examined per domain */

static const char *smtpd_check_server_type[] = {"MX", "NS", "A"};

/* The name that which checks, and its reply class; null: nothing. */
static const char *
smtpd_check_server_subject(SMTPD_CHECK *c, int subject, int *class)
{
	SMTPD_STATE *state = c->state;

	switch (subject) {
	case SMTPD_SRV_CLIENT:
		*class = SMTPD_CLASS_CLIENT;
		return strcmp(state->name, "unknown") != 0 ? state->name : NULL;
	case SMTPD_SRV_REVERSE:
		*class = SMTPD_CLASS_REV_CLIENT;
		return *state->reverse_name && strcmp(state->reverse_name,
		    "unknown") != 0 ? state->reverse_name : NULL;
	case SMTPD_SRV_HELO:
		*class = SMTPD_CLASS_HELO;
		return state->helo;
	case SMTPD_SRV_SENDER:
		*class = SMTPD_CLASS_SENDER;
		return state->sender && *state->sender ? state->sender : NULL;
	default:
		*class = SMTPD_CLASS_RCPT;
		return c->rcpt && *c->rcpt ? c->rcpt : NULL;
	}
}

/* One table search; *found says whether an entry decided. */
static int
smtpd_check_server_find(SMTPD_CHECK *c, const char *table, int kind,
    const char *key, const char *addr, int *found)
{
	VSTRING	*val = vstring_alloc(100);
	int	 r = SMTPD_CHECK_DUNNO;

	*found = smtpd_access_find(table, kind, key, addr, c->state->conf, val);
	if (*found < 0)
		r = smtpd_reject(c, 451, "4.3.0", "<%s>: %s rejected: Temporary "
		    "lookup failure", smtpd_reject_name(c),
		    smtpd_reject_class_text[c->class]);
	else if (*found > 0) {
		const char *saved = c->table;

		c->table = table;
		r = smtpd_access_action(c, vstring_str(val));
		c->table = saved;
	}
	vstring_free(val);
	return r;
}

/* An address and its prefixes (the client form without a name). */
static int
smtpd_check_server_addr(SMTPD_CHECK *c, const char *table, const char *addr,
    int *found)
{
	if (strncasecmp(addr, "IPv6:", 5) == 0)
		addr += 5;
	return smtpd_check_server_find(c, table, SMTPD_ACCESS_CLIENT, "unknown",
	    addr, found);
}

/* The servers of domain, in DNS order; null when there is nothing to check. */
static ARGV *
smtpd_check_server_hosts(const char *domain, int type)
{
	VSTRING	*why = vstring_alloc(100);
	DNS_RR	*list = NULL, *rr;
	ARGV	*hosts = argv_alloc(4);
	const char *d = domain;
	int	 r;

	if (type == SMTPD_SRV_A) {
		argv_add(hosts, domain);
		goto out;
	}
	r = dns_lookup(d, type == SMTPD_SRV_MX ? DNS_T_MX : DNS_T_NS, &list, why);
	/* No NS record: the nearest parent domain's (the zone's servers). */
	while (type == SMTPD_SRV_NS && (r == DNS_NOTFOUND || r == DNS_NODATA) &&
	    (d = strchr(d, '.')) != NULL && d[1] != 0) {
		d++;
		dns_rr_free(list);
		list = NULL;
		r = dns_lookup(d, DNS_T_NS, &list, why);
	}
	/* smtpd_dns_reply_filter dropped every record: a failure (Postfix). */
	if (r == DNS_OK && (list = smtpd_dns_filter(list)) == NULL) {
		r = DNS_RETRY;
		vstring_strcpy(why, "DNS reply filter policy");
	}
	if (type == SMTPD_SRV_MX && (r == DNS_NOTFOUND || r == DNS_NODATA)) {
		argv_add(hosts, domain);	/* its own MX host */
		goto out;
	}
	if (r != DNS_OK) {
		msg_warn("Unable to look up %s host for %s: %s",
		    smtpd_check_server_type[type], domain, vstring_str(why));
		argv_free(hosts);
		hosts = NULL;
		goto out;
	}
	/* RFC 7505 null MX: the domain receives no mail; nothing to check. */
	if (type == SMTPD_SRV_MX && list->next == NULL &&
	    (*list->data == 0 || strcmp(list->data, ".") == 0)) {
		argv_free(hosts);
		hosts = NULL;
		goto out;
	}
	if (type == SMTPD_SRV_MX)
		list = dns_rr_sort_mx(list, 0);
	for (rr = list; rr && hosts->argc < SMTPD_SERVER_HOSTS; rr = rr->next)
		if (*rr->data)
			argv_add(hosts, rr->data);
out:
	dns_rr_free(list);
	vstring_free(why);
	return hosts;
}

/* One server: its name (not for A), then its addresses. */
static int
smtpd_check_server_host(SMTPD_CHECK *c, const char *table, const char *host,
    int type, int *found)
{
	VSTRING	*why;
	DNS_RR	*addrs = NULL, *rr;
	int	 r;

	if (valid_hostaddr(host))
		return smtpd_check_server_addr(c, table, host, found);
	if (type != SMTPD_SRV_A && ((r = smtpd_check_server_find(c, table,
	    SMTPD_ACCESS_HOST, host, NULL, found)) != SMTPD_CHECK_DUNNO || *found))
		return r;
	why = vstring_alloc(100);
	if (dns_lookup_addr(host, DNS_FAM_V4 | DNS_FAM_V6, &addrs, why) != DNS_OK
	    || (addrs = smtpd_dns_filter(addrs)) == NULL) {
		if (type != SMTPD_SRV_A)
			msg_warn("Unable to look up %s host %s for %s %s: %s",
			    smtpd_check_server_type[type], host,
			    smtpd_reject_class_text[c->class], smtpd_reject_name(c),
			    vstring_len(why) ? vstring_str(why) :
			    "DNS reply filter policy");
		vstring_free(why);
		return SMTPD_CHECK_DUNNO;
	}
	vstring_free(why);
	r = SMTPD_CHECK_DUNNO;
	for (rr = addrs; rr && !*found; rr = rr->next)
		r = smtpd_check_server_addr(c, table, rr->data, found);
	dns_rr_free(addrs);
	return r;
}

static int
smtpd_check_server_domain(SMTPD_CHECK *c, const char *table,
    const char *domain, int type)
{
	ARGV	*hosts;
	char	 lit[64];
	size_t	 len = strlen(domain);
	int	 r = SMTPD_CHECK_DUNNO, found = 0;

	/* An address literal is its own MX (and A) server. */
	if (*domain == '[') {
		if (type == SMTPD_SRV_NS || !valid_hostliteral(domain) ||
		    len - 2 >= sizeof(lit))
			return SMTPD_CHECK_DUNNO;
		snprintf(lit, sizeof(lit), "%.*s", (int)(len - 2), domain + 1);
		return smtpd_check_server_addr(c, table, lit, &found);
	}
	/* Client text that is no host name is not sent to the DNS. */
	if (!valid_hostname(domain, 1))
		return SMTPD_CHECK_DUNNO;
	if ((hosts = smtpd_check_server_hosts(domain, type)) == NULL)
		return SMTPD_CHECK_DUNNO;
	for (size_t i = 0; i < hosts->argc && !found; i++)
		r = smtpd_check_server_host(c, table, hosts->argv[i], type, &found);
	argv_free(hosts);
	return r;
}

/* These tables may not permit (Postfix's rule): OK is a configuration error. */
static int
smtpd_check_server_no_ok(SMTPD_CHECK *c, int r, const char *restriction,
    const char *name)
{
	if (r != SMTPD_CHECK_OK || c->state->discard)
		return r;
	msg_warn("restriction %s returns OK for %s", restriction, name);
	msg_warn("this is not allowed for security reasons");
	msg_warn("use DUNNO instead of OK if you want to make an exception");
	return smtpd_reject(c, 451, "4.3.5", "Server configuration error");
}

int
smtpd_check_server(SMTPD_CHECK *c, const char *table, int which)
{
	static const char *subjects[] = {"client", "reverse_client", "helo",
	"sender", "recipient"};
	char	 restriction[64];
	const char *name, *domain;
	int	 type = which & SMTPD_SRV_TYPE, saved = c->class, class, r;

	if ((name = smtpd_check_server_subject(c, which & ~SMTPD_SRV_TYPE,
	    &class)) == NULL)
		return SMTPD_CHECK_DUNNO;
	domain = strrchr(name, '@') ? strrchr(name, '@') + 1 : name;
	c->class = class;
	r = smtpd_check_server_domain(c, table, domain, type);
	snprintf(restriction, sizeof(restriction), "check_%s_%s_access",
	    subjects[(which & ~SMTPD_SRV_TYPE) / (SMTPD_SRV_TYPE + 1)],
	    type == SMTPD_SRV_MX ? "mx" : type == SMTPD_SRV_NS ? "ns" : "a");
	r = smtpd_check_server_no_ok(c, r, restriction, name);
	c->class = saved;
	return r;
}

int
smtpd_check_reverse(SMTPD_CHECK *c, const char *table, int unused)
{
	SMTPD_STATE *state = c->state;
	const char *name = *state->reverse_name ? state->reverse_name : "unknown";
	int	 saved = c->class, found, r;

	c->class = SMTPD_CLASS_REV_CLIENT;
	r = smtpd_check_server_find(c, table, SMTPD_ACCESS_CLIENT, name,
	    state->addr, &found);
	r = smtpd_check_server_no_ok(c, r, "check_reverse_client_hostname_access",
	    name);
	c->class = saved;
	return r;
}
