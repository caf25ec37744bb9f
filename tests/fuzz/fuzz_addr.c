/*
 * NAME
 *	fuzz_addr - fuzz harness: addresses (addr_parse.c, addr_list.c)
 * DESCRIPTION
 *	The first input byte selects the parser flags (SMTPUTF8, bare
 *	paths, long local parts); the rest is what follows "MAIL FROM:"
 *	or "RCPT TO:", and also a header value for addr_parse_list().
 *	A path that parses must hold a valid mailbox whose unquoted form
 *	survives quote then unquote; host name checks run on its domain.
 *	(Without a domain, an internal form with '@' in the local part,
 *	from <"a@b">, is ambiguous by nature: split at the last '@' as in
 *	Postfix. smtpd qualifies such an address with @$myorigin, from its
 *	external form, before anything unquotes it, so it is left out.)
 */
#include <stdlib.h>
#include <string.h>

#include "addr_parse.h"
#include "mymalloc.h"
#include "fuzz.h"

static VSTRING *addr, *a, *b, *c;
static ARGV *params, *list;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_addr");
	addr = vstring_alloc(100);
	a = vstring_alloc(100);
	b = vstring_alloc(100);
	c = vstring_alloc(100);
	params = argv_alloc(8);
	list = argv_alloc(8);
	return 0;
}

static void
fuzz_addr_host(const char *host)
{
	(void)addr_is_fqdn(host);
	(void)valid_hostname(host, 0);
	(void)valid_hostname(host, 1);
	(void)valid_hostaddr(host);
	(void)valid_hostliteral(host);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *why = NULL, *dom;
	char	*in;
	int	 flags;

	if (len == 0)
		return 0;
	flags = data[0] & (ADDR_PARSE_UTF8 | ADDR_PARSE_BARE | ADDR_PARSE_LONG);
	in = fuzz_strdup(data + 1, len - 1);
	(void)valid_utf8(in, strlen(in));
	argv_truncate(params, 0);
	if (addr_parse_path(in, flags, addr, params, &why) == 0) {
		if (*vstring_str(addr) != 0
		    && addr_valid_mailbox(vstring_str(addr), flags, &why) != 0)
			abort();
		dom = addr_domain(vstring_str(addr));
		addr_unquote(a, vstring_str(addr));
		addr_quote(b, vstring_str(a));
		addr_unquote(c, vstring_str(b));
		if ((dom != NULL || strchr(vstring_str(a), '@') == NULL)
		    && strcmp(vstring_str(a), vstring_str(c)) != 0)
			abort();
		if (dom != NULL)
			fuzz_addr_host(dom);
		addr_local(a, vstring_str(addr));
	} else if (why == NULL) {
		abort();
	}
	(void)addr_valid_mailbox(in, flags, &why);
	fuzz_addr_host(in);
	addr_unquote(a, in);
	addr_quote(b, vstring_str(a));
	(void)addr_domain(in);
	argv_truncate(list, 0);
	if (addr_parse_list(in, list) > ADDR_LIST_MAX)
		abort();
	myfree(in);
	return 0;
}
