/*
 * NAME
 *	fuzz_haproxy - fuzz harness: the PROXY protocol header (haproxy_srvr.c)
 * DESCRIPTION
 *	The input is what a load balancer (or anyone who reaches a port
 *	with smtpd_upstream_proxy_protocol = haproxy) sends before the
 *	greeting. haproxy_srvr_parse() sees every prefix of it, as the
 *	receiver's peeks do. Invariants (abort otherwise): a prefix of an
 *	incomplete input is incomplete too; a complete header's length lies
 *	within the input and HAPROXY_MAX_LEN, and every shorter prefix of it
 *	is incomplete; the same input gives the same answer; a proxied
 *	header gives a numeric address of its family for both ends and
 *	ports within 0..65535; an error has a reason.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "haproxy_srvr.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_haproxy");
	return 0;
}

static void
fuzz_haproxy_check(const HAPROXY_ENDPT *ep)
{
	unsigned char bin[16];

	if (!ep->proxied)
		return;
	if ((ep->family != AF_INET && ep->family != AF_INET6)
	    || inet_pton(ep->family, ep->client_addr, bin) != 1
	    || (inet_pton(AF_INET, ep->server_addr, bin) != 1
	    && inet_pton(AF_INET6, ep->server_addr, bin) != 1)
	    || ep->client_port < 0 || ep->client_port > 65535
	    || ep->server_port < 0 || ep->server_port > 65535)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	HAPROXY_ENDPT ep, again;
	const char *why = NULL;
	ssize_t	 n, m;
	size_t	 i;

	n = haproxy_srvr_parse(data, len, &ep, &why);
	if (n < 0 && why == NULL)
		abort();
	if (n > 0 && ((size_t)n > len || n > HAPROXY_MAX_LEN))
		abort();
	if (n > 0)
		fuzz_haproxy_check(&ep);
	m = haproxy_srvr_parse(data, len, &again, &why);
	if (m != n || (n > 0 && memcmp(&ep, &again, sizeof(ep)) != 0))
		abort();
	/* The prefixes a peek may see: none complete before the end. */
	for (i = 0; i < len && i < HAPROXY_MAX_LEN + 1; i++) {
		m = haproxy_srvr_parse(data, i, &again, &why);
		if (n == 0 && m != 0)
			abort();
		if (n > 0 && i < (size_t)n && m != 0)
			abort();
		if (n > 0 && i >= (size_t)n && m != n)
			abort();
	}
	return 0;
}
