/*
 * NAME
 *	smtpd_dns - does a mail domain exist
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_dns_init(void);
 *	int smtpd_dns_domain_exists(const char *domain);
 * DESCRIPTION
 *	smtpd_dns_init() points the DNS client (dns.h) at
 *	dns_resolver_address when that is set (tests use a server on a
 *	loopback port); otherwise the system resolver is used.
 *
 *	smtpd_dns_domain_exists() asks for MX, then A/AAAA records of
 *	domain, for reject_unknown_sender_domain and friends.
 *
 *	smtpd_dns_configured() says whether dns_resolver_address is set:
 *	then client names are looked up through this DNS client too.
 *
 *	smtpd_dns_filter() applies smtpd_dns_reply_filter to a list of
 *	records: each record, in the form "name. ttl IN type value" (as
 *	Postfix shows it: "example.com. 3600 IN A 192.0.2.1"), is looked up
 *	in the tables, and dropped when the result is IGNORE. It returns
 *	what is left (records dropped are freed).
 * DIAGNOSTICS
 *	smtpd_dns_init() returns -1 (logged) for a bad resolver list.
 *	smtpd_dns_domain_exists() returns 1 when a record exists, 0 when the
 *	domain does not exist or has no MX/A/AAAA record, -1 for a
 *	temporary failure (try again later).
 */
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "dns.h"
#include "mail_conf.h"
#include "msg.h"
#include "smtpd.h"

static ARGV *smtpd_dns_filters;
static int smtpd_dns_servers;

int
smtpd_dns_init(void)
{
	VSTRING	*why = vstring_alloc(100);
	int	 r;

	if ((r = dns_set_servers(conf_str("dns_resolver_address"), why)) < 0)
		msg_warn("dns_resolver_address: %s", vstring_str(why));
	smtpd_dns_servers = r == 0 && *conf_str("dns_resolver_address") != 0;
	smtpd_dns_filters = conf_list("smtpd_dns_reply_filter");
	vstring_free(why);
	return r;
}

int
smtpd_dns_configured(void)
{
	return smtpd_dns_servers;
}

static void
smtpd_dns_rr_text(const DNS_RR *rr, VSTRING *out)
{
	static const struct {
		int	 type;
		const char *name;
	} types[] = {{DNS_T_A, "A"}, {DNS_T_AAAA, "AAAA"}, {DNS_T_MX, "MX"},
	{DNS_T_NS, "NS"},
	{DNS_T_TXT, "TXT"}, {DNS_T_PTR, "PTR"}, {DNS_T_CNAME, "CNAME"}, {0, 0}};
	const char *tname = "TYPE";

	for (int i = 0; types[i].name; i++)
		if (types[i].type == rr->type)
			tname = types[i].name;
	vstring_sprintf(out, "%s. %u IN %s ", rr->name, rr->ttl, tname);
	if (rr->type == DNS_T_MX)
		vstring_sprintf_append(out, "%u %s.", rr->pref, rr->data);
	else if (rr->type == DNS_T_PTR || rr->type == DNS_T_CNAME ||
	    rr->type == DNS_T_NS)
		vstring_sprintf_append(out, "%s.", rr->data);
	else if (rr->type == DNS_T_TXT)
		vstring_sprintf_append(out, "\"%s\"", rr->data);
	else
		vstring_strcat(out, rr->data ? rr->data : "");
}

DNS_RR *
smtpd_dns_filter(DNS_RR *list)
{
	DNS_RR	*rr, *next, *keep = NULL, **tail = &keep;
	VSTRING	*text;
	const char *val;
	int	 drop;

	if (smtpd_dns_filters == NULL || smtpd_dns_filters->argc == 0)
		return list;
	text = vstring_alloc(100);
	for (rr = list; rr; rr = next) {
		next = rr->next;
		rr->next = NULL;
		smtpd_dns_rr_text(rr, text);
		drop = 0;
		for (size_t i = 0; i < smtpd_dns_filters->argc && !drop; i++) {
			DICT	*dict = dict_lookup_open(smtpd_dns_filters->argv[i]);

			if ((val = dict_get(dict, vstring_str(text))) != NULL)
				drop = strncasecmp(val, "IGNORE", 6) == 0;
		}
		if (drop) {
			if (msg_verbose)
				msg_info("smtpd_dns_reply_filter: ignoring %s",
				    vstring_str(text));
			dns_rr_free(rr);
		} else {
			*tail = rr;
			tail = &rr->next;
		}
	}
	vstring_free(text);
	return keep;
}

int
smtpd_dns_domain_exists(const char *domain)
{
	VSTRING	*why = vstring_alloc(100);
	DNS_RR	*rr = NULL;
	int	 r;

	if (*domain == 0 || strlen(domain) > 253) {
		vstring_free(why);
		return 0;
	}
	r = dns_lookup(domain, DNS_T_MX, &rr, why);
	if (r == DNS_OK && (rr = smtpd_dns_filter(rr)) == NULL)
		r = DNS_NODATA;
	dns_rr_free(rr);
	rr = NULL;
	if (r == DNS_NODATA) {
		r = dns_lookup_addr(domain, DNS_FAM_V4 | DNS_FAM_V6, &rr, why);
		if (r == DNS_OK && (rr = smtpd_dns_filter(rr)) == NULL)
			r = DNS_NODATA;
		dns_rr_free(rr);
	}
	if (r == DNS_RETRY)
		msg_info("%s: temporary DNS failure: %s", domain, vstring_str(why));
	vstring_free(why);
	return r == DNS_OK ? 1 : r == DNS_RETRY ? -1 : 0;
}
