/*
 * NAME
 *	fuzz_dns - fuzz harness: the DNS reply parser (dns.c)
 * DESCRIPTION
 *	The first input byte selects the query type (A, AAAA, MX, TXT,
 *	PTR, CNAME); the rest is the reply a server (or anyone who can
 *	spoof one) sends for "example.com". Records found are sorted,
 *	counted and freed; the canonical name must be a C string that fits.
 */
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "fuzz.h"

static VSTRING *why;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_dns");
	why = vstring_alloc(100);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const int types[] = {
		DNS_T_A, DNS_T_AAAA, DNS_T_MX, DNS_T_TXT, DNS_T_PTR, DNS_T_CNAME,
	};
	char	 canon[DNS_NAME_MAX];
	DNS_RR	*list = NULL, *rr;
	int	 type, status;

	if (len == 0)
		return 0;
	type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	memset(canon, 'x', sizeof(canon));
	status = dns_parse_reply(data + 1, len - 1, "example.com", type, &list,
	    canon, sizeof(canon), why);
	if (status < DNS_OK || status > DNS_INVAL)
		abort();
	if (status != DNS_OK && list != NULL)
		abort();
	if ((status == DNS_OK || status == DNS_NODATA)
	    && memchr(canon, 0, sizeof(canon)) == NULL)
		abort();
	(void)dns_strerror(status);
	for (rr = list; rr; rr = rr->next)
		if (rr->name == NULL || rr->data == NULL || rr->type != type)
			abort();
	list = dns_rr_sort_mx(list, 1);
	if (dns_rr_count(list) > DNS_MAX_RR)
		abort();
	dns_rr_free(list);
	return 0;
}
