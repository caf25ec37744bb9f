/*
 * NAME
 *	screen_dnsbl - the DNSBL score of a client
 * SYNOPSIS
 *	#include "screen.h"
 *
 *	int screen_dnsbl_score(SCREEN_STATE *state, VSTRING *name);
 * DESCRIPTION
 *	screen_dnsbl_score() looks the client address up in every list of
 *	postscreen_dnsbl_sites ("domain[=filter][*weight]", dns_rbl(3))
 *	and adds the weights of the lists that list it (an A record that
 *	passes the filter). name gets the domain of the heaviest listing,
 *	for the reply. The lookups go through the configured DNS client
 *	(dns_resolver_address), one after the other, each bounded by its
 *	time-outs; a list that does not answer counts nothing.
 * DIAGNOSTICS
 *	The score. A malformed site is a warning and is skipped.
 */
#include <string.h>

#include "dns.h"
#include "dns_rbl.h"
#include "msg.h"
#include "screen.h"

int
screen_dnsbl_score(SCREEN_STATE *state, VSTRING *name)
{
	const SCREEN_CONF *conf = state->conf;
	VSTRING	*domain = vstring_alloc(64), *filter = vstring_alloc(32);
	VSTRING	*query = vstring_alloc(100), *why = vstring_alloc(100);
	DNS_RR	*rr, *p;
	int	 score = 0, weight, best = 0, listed, r;

	vstring_reset(name);
	for (size_t i = 0; conf->dnsbl_sites && i < conf->dnsbl_sites->argc; i++) {
		const char *site = conf->dnsbl_sites->argv[i];

		if (dns_rbl_site(site, domain, filter, &weight) < 0) {
			msg_warn("postscreen_dnsbl_sites: bad site \"%s\": skipped",
			    site);
			continue;
		}
		if (dns_rbl_reverse(state->addr, vstring_str(domain), query) < 0)
			break;
		rr = NULL;
		if ((r = dns_lookup(vstring_str(query), DNS_T_A, &rr, why)) ==
		    DNS_RETRY)
			msg_warn("dnsbl: lookup error for %s: %s",
			    vstring_str(query), vstring_str(why));
		listed = 0;
		for (p = r == DNS_OK ? rr : NULL; p && !listed; p = p->next)
			listed = p->type == DNS_T_A && p->data &&
			    (vstring_len(filter) == 0 || dns_rbl_filter_match(
			    vstring_str(filter), p->data));
		dns_rr_free(rr);
		if (!listed)
			continue;
		score += weight;
		if (weight > best) {
			best = weight;
			vstring_strcpy(name, vstring_str(domain));
		}
	}
	vstring_free(domain);
	vstring_free(filter);
	vstring_free(query);
	vstring_free(why);
	return score;
}
