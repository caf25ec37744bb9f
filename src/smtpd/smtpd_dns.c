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
 *	records with dns_rr_filter(3) and returns what is left (records
 *	dropped are freed).
 * DIAGNOSTICS
 *	smtpd_dns_init() returns -1 (logged) for a bad resolver list.
 *	smtpd_dns_domain_exists() returns 1 when a record exists, 0 when the
 *	domain does not exist or has no MX/A/AAAA record, -1 for a
 *	temporary failure (try again later).
 */
#include <string.h>

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

DNS_RR *
smtpd_dns_filter(DNS_RR *list)
{
	return dns_rr_filter(list, smtpd_dns_filters, "smtpd_dns_reply_filter", NULL);
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
