/*
 * dns.h - DNS client: MX, NS, A/AAAA, TXT lookups with CNAME following. See dns.c.
 */
#ifndef DNS_H
#define DNS_H

#include <stddef.h>

#include "vstring.h"

/* Lookup results. */
#define DNS_OK		0	/* records found */
#define DNS_NOTFOUND	1	/* NXDOMAIN: the name does not exist (permanent) */
#define DNS_NODATA	2	/* the name exists, no record of that type (permanent) */
#define DNS_RETRY	3	/* SERVFAIL, REFUSED, timeout, network: temporary */
#define DNS_INVAL	4	/* malformed name or reply (permanent) */

/* Record types (the RFC 1035 numbers). */
#define DNS_T_A		1
#define DNS_T_NS	2
#define DNS_T_CNAME	5
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28
#define DNS_T_TLSA	52

/* Address families wanted by dns_lookup_addr(). */
#define DNS_FAM_V4	(1 << 0)
#define DNS_FAM_V6	(1 << 1)

#define DNS_NAME_MAX	1025	/* presentation form, with the null */
#define DNS_CNAME_DEPTH	8	/* CNAME chain limit */
#define DNS_MAX_RR	1000	/* records kept from one reply */

typedef struct DNS_RR {
	struct DNS_RR *next;
	char	*name;		/* owner name, after CNAME following: the canonical one */
	int	 type;		/* DNS_T_* */
	unsigned ttl;
	unsigned pref;		/* MX preference */
	char	*data;		/* MX exchange, NS/CNAME/PTR target, TXT text, address text */
	int	 family;	/* A, AAAA: AF_INET or AF_INET6, else 0 */
	unsigned char addr[16];	/* A, AAAA: network byte order */
	int	 secure;	/* the reply had AD set (DNSSEC-validated) */
} DNS_RR;

int	 dns_set_servers(const char *, VSTRING *);
int	 dns_lookup(const char *, int, DNS_RR **, VSTRING *);
int	 dns_lookup_addr(const char *, int, DNS_RR **, VSTRING *);
int	 dns_parse_reply(const unsigned char *, size_t, const char *, int,
	    DNS_RR **, char *, size_t, VSTRING *);
void	 dns_rr_free(DNS_RR *);
DNS_RR	*dns_rr_append(DNS_RR *, DNS_RR *);
DNS_RR	*dns_rr_sort_mx(DNS_RR *, int);
size_t	 dns_rr_count(const DNS_RR *);
const char *dns_strerror(int);

/* dns_filter.c: smtpd_dns_reply_filter, smtp_dns_reply_filter */
#include "argv.h"
DNS_RR	*dns_rr_filter(DNS_RR *, const ARGV *, const char *, int *);

#endif
