/*
 * NAME
 *	resolve_class - local, relay or other: the class of an address
 * SYNOPSIS
 *	#include <resolve_class.h>
 *
 *	RESOLVE_CLASS *resolve_class_init(const char *mydestination,
 *		    const char *relay_domains, int relay_flags,
 *		    const char *interfaces, VSTRING *why);
 *	RESOLVE_CLASS *resolve_class_param(void);
 *	void	resolve_class_free(RESOLVE_CLASS *rc);
 *	int	resolve_class_virtual(RESOLVE_CLASS *rc,
 *		    const char *virtual_alias_domains,
 *		    const char *virtual_mailbox_domains, VSTRING *why);
 *	const char *resolve_class_name(int class);
 *	void	resolve_class_switches(RESOLVE_CLASS *rc, int switches,
 *		    const char *myhostname);
 *	int	resolve_class(RESOLVE_CLASS *rc, const char *addr, int flags);
 *	int	resolve_class_addr(RESOLVE_CLASS *rc, const char *addr,
 *		    int flags, VSTRING *resolved);
 *	int	resolve_class_resolve(RESOLVE_CLASS *rc, const char *addr,
 *		    VSTRING *resolved);
 *	int	resolve_class_rewrite(RESOLVE_CLASS *rc, VSTRING *local);
 *	int	resolve_class_local(RESOLVE_CLASS *rc, const char *domain);
 *	int	resolve_class_routed(const char *addr);
 *	void	resolve_class_own_addrs(const char *interfaces, ARGV *out);
 * DESCRIPTION
 *	The one decision, shared by smtpd (relay control, recipient
 *	validation) and the queue manager (routing), of where mail for an
 *	address goes, as Postfix's trivial-rewrite resolve makes it.
 *
 *	resolve_class_init() compiles mydestination and relay_domains as
 *	domain_list(3) lists (relay_flags: DOMAIN_LIST_PARENT when
 *	relay_domains matches subdomains) and collects this host's
 *	addresses from interfaces, an inet_interfaces-style list.
 *	resolve_class_virtual() adds the virtual domain lists (as
 *	domain_list(3) lists: with their default "$virtual_alias_maps" and
 *	"$virtual_mailbox_maps" a domain is looked up as a key in those
 *	tables, as Postfix does). resolve_class_param() does all of this
 *	with mydestination, virtual_alias_domains, virtual_mailbox_domains,
 *	relay_domains, parent_domain_matches_subdomains, inet_interfaces
 *	and proxy_interfaces from main.cf.
 *
 *	resolve_class_switches() sets the address operators that the
 *	resolve step honours (RESOLVE_SW_* bits, all off after
 *	resolve_class_init(): the address is taken literally, as the
 *	queue manager must for addresses the cleanup stage has resolved
 *	already); resolve_class_param() sets them from allow_percent_hack,
 *	swap_bangpath, resolve_dequoted_address, resolve_null_domain,
 *	resolve_numeric_domain and allow_untrusted_routing.
 *
 *	resolve_class_rewrite() is Postfix's rewrite step for an address
 *	without a domain (internal form): "site!user" becomes user@site
 *	(swap_bangpath; the first "!" separates), else "user%domain"
 *	becomes user@domain (allow_percent_hack; the last "%"). It
 *	returns 1 when it changed the address.
 *
 *	resolve_class_resolve() is Postfix's resolve step (external
 *	form): with resolve_numeric_domain a bare IP address as the domain
 *	becomes an address literal (user@192.0.2.1: user@[192.0.2.1]); as
 *	long as the domain is local (resolve_class_local()) it is taken off, and the local part is looked at again: an "@" left in
 *	it, the rewrite step's "!" and "%", and with
 *	resolve_dequoted_address a quoted local part that holds "@", "%"
 *	or "!" are taken apart, so that user%remote@mydomain,
 *	remote!user@mydomain and "user@remote"@mydomain resolve to
 *	user@remote. Quotes are first made minimal, as the cleanup stage
 *	queues an address ("a%b"@mydomain is a%b@mydomain). An address that
 *	ends local keeps its last local
 *	domain; "user@" becomes user@$myhostname with resolve_null_domain.
 *	It returns 0 when the address stays as it is (an address without
 *	"%", "!", a quote, a second "@" or a null domain costs one scan
 *	and no lookup), else 1 with the new address in resolved. The
 *	number of rounds is bounded.
 *
 *	resolve_class() returns the class of the address after the resolve
 *	step (resolve_class_addr() also gives the resolved address, or
 *	the address itself), in Postfix's order: RESOLVE_CLASS_LOCAL for
 *	an address without a domain or whose domain is local
 *	(resolve_class_local()), RESOLVE_CLASS_VALIAS for a domain in
 *	virtual_alias_domains, RESOLVE_CLASS_VMAILBOX for one in
 *	virtual_mailbox_domains, RESOLVE_CLASS_RELAY for a domain in
 *	relay_domains, else RESOLVE_CLASS_OTHER (the default class).
 *	resolve_class_name() names a class for logs ("local", "virtual
 *	alias", "virtual mailbox", "relay", "default"). The domain is found quote-aware
 *	(addr_domain(3)), so that "a@b"@c has the domain c. With
 *	RESOLVE_FLAG_ROUTED (smtpd's relay control) an address that
 *	resolves off this host with sender-specified routing left in its
 *	local part (resolve_class_routed(): "%", "!", or an "@" inside
 *	quotes) is OTHER, so that it cannot be used to relay through this
 *	host even to relay_domains, unless allow_untrusted_routing is set.
 *
 *	resolve_class_local() says whether a domain is this host's: it
 *	matches mydestination (case and a trailing dot ignored), or it is
 *	an address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]") of one of
 *	our addresses.
 *
 *	resolve_class_own_addrs() appends the numeric addresses that an
 *	interfaces list names: "all" is every address of every interface,
 *	"loopback-only" 127.0.0.1 and ::1, a host name its addresses.
 * DIAGNOSTICS
 *	resolve_class() returns RESOLVE_CLASS_ERROR and
 *	resolve_class_local() -1 when a table lookup failed: the caller
 *	must answer with a temporary error, never guess.
 *	resolve_class_init() returns null with a reason in why for a bad
 *	list; resolve_class_param() is fatal then.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "resolve_class.h"
#include "sock_addr.h"

/* resolve_class_canon - canonical numeric text of an address, or -1. */
static int
resolve_class_canon(const char *addr, char *buf, size_t len)
{
	unsigned char bin[sizeof(struct in6_addr)];
	int	 af = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(af, addr, bin) != 1 || inet_ntop(af, bin, buf,
	    (socklen_t)len) == NULL)
		return -1;
	return 0;
}

/* resolve_class_add - add one address, canonical, once. */
static void
resolve_class_add(ARGV *out, const char *addr)
{
	char	 buf[INET6_ADDRSTRLEN];
	size_t	 i;

	if (resolve_class_canon(addr, buf, sizeof(buf)) < 0)
		return;
	for (i = 0; i < out->argc; i++)
		if (strcmp(out->argv[i], buf) == 0)
			return;
	argv_add(out, buf);
}

/* resolve_class_ifaddrs - every interface address. */
static void
resolve_class_ifaddrs(ARGV *out)
{
	struct ifaddrs *ifa, *p;
	char	 buf[SOCK_ADDR_STRLEN];
	socklen_t len;

	if (getifaddrs(&ifa) < 0) {
		msg_warn("getifaddrs: %m");
		return;
	}
	for (p = ifa; p; p = p->ifa_next) {
		if (p->ifa_addr == NULL || (p->ifa_addr->sa_family != AF_INET &&
		    p->ifa_addr->sa_family != AF_INET6))
			continue;
		len = p->ifa_addr->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		if (sock_addr_ntop(p->ifa_addr, len, buf, sizeof(buf), NULL) == 0)
			resolve_class_add(out, buf);
	}
	freeifaddrs(ifa);
}

/* resolve_class_host - the addresses of a name or "[address]". */
static void
resolve_class_host(const char *name, ARGV *out)
{
	struct addrinfo hints, *res, *ai;
	char	 buf[SOCK_ADDR_STRLEN], host[NI_MAXHOST];
	size_t	 n = strlen(name);

	if (*name == '[' && n > 2 && name[n - 1] == ']' && n - 2 < sizeof(host)) {
		memcpy(host, name + 1, n - 2);
		host[n - 2] = 0;
		name = host;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0) {
		msg_warn("interface address %s: host not found", name);
		return;
	}
	for (ai = res; ai; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    sock_addr_ntop(ai->ai_addr, ai->ai_addrlen, buf, sizeof(buf),
		    NULL) == 0)
			resolve_class_add(out, buf);
	freeaddrinfo(res);
}

void
resolve_class_own_addrs(const char *interfaces, ARGV *out)
{
	ARGV	*list = conf_split_list(interfaces ? interfaces : "");
	size_t	 i;

	for (i = 0; i < list->argc; i++) {
		if (strcasecmp(list->argv[i], "all") == 0)
			resolve_class_ifaddrs(out);
		else if (strcasecmp(list->argv[i], "loopback-only") == 0) {
			resolve_class_add(out, "127.0.0.1");
			resolve_class_add(out, "::1");
		} else
			resolve_class_host(list->argv[i], out);
	}
	argv_free(list);
}

RESOLVE_CLASS *
resolve_class_init(const char *mydest, const char *relay, int relay_flags,
    const char *interfaces, VSTRING *why)
{
	RESOLVE_CLASS *rc = mycalloc(1, sizeof(*rc));

	if ((rc->mydest = domain_list_init(mydest ? mydest : "", 0, why)) == NULL)
		goto fail;
	if ((rc->relay = domain_list_init(relay ? relay : "", relay_flags,
	    why)) == NULL)
		goto fail;
	rc->own_addrs = argv_alloc(4);
	resolve_class_own_addrs(interfaces, rc->own_addrs);
	return rc;
fail:
	resolve_class_free(rc);
	return NULL;
}

RESOLVE_CLASS *
resolve_class_param(void)
{
	VSTRING	*ifaces = vstring_alloc(64), *why = vstring_alloc(64);
	RESOLVE_CLASS *rc;

	vstring_sprintf(ifaces, "%s, %s", conf_str("inet_interfaces"),
	    conf_str("proxy_interfaces"));
	rc = resolve_class_init(conf_str("mydestination"),
	    conf_str("relay_domains"), domain_list_parent_flag("relay_domains"),
	    vstring_str(ifaces), why);
	if (rc == NULL)
		msg_fatal("mydestination or relay_domains: %s", vstring_str(why));
	resolve_class_switches(rc,
	    (conf_bool("allow_percent_hack") ? RESOLVE_SW_PERCENT : 0) |
	    (conf_bool("swap_bangpath") ? RESOLVE_SW_BANG : 0) |
	    (conf_bool("resolve_dequoted_address") ? RESOLVE_SW_DEQUOTE : 0) |
	    (conf_bool("resolve_null_domain") ? RESOLVE_SW_NULLDOM : 0) |
	    (conf_bool("resolve_numeric_domain") ? RESOLVE_SW_NUMDOM : 0) |
	    (conf_bool("allow_untrusted_routing") ? RESOLVE_SW_ROUTING : 0),
	    conf_str("myhostname"));
	if (resolve_class_virtual(rc, conf_str("virtual_alias_domains"),
	    conf_str("virtual_mailbox_domains"), why) < 0)
		msg_fatal("virtual_alias_domains or virtual_mailbox_domains: %s",
		    vstring_str(why));
	vstring_free(ifaces);
	vstring_free(why);
	return rc;
}

int
resolve_class_virtual(RESOLVE_CLASS *rc, const char *valias,
    const char *vmailbox, VSTRING *why)
{
	if (valias && *valias && (rc->valias = domain_list_init(valias, 0,
	    why)) == NULL)
		return -1;
	if (vmailbox && *vmailbox && (rc->vmailbox = domain_list_init(vmailbox,
	    0, why)) == NULL)
		return -1;
	return 0;
}

const char *
resolve_class_name(int class)
{
	switch (class) {
	case RESOLVE_CLASS_LOCAL:
		return "local";
	case RESOLVE_CLASS_VALIAS:
		return "virtual alias";
	case RESOLVE_CLASS_VMAILBOX:
		return "virtual mailbox";
	case RESOLVE_CLASS_RELAY:
		return "relay";
	default:
		return "default";
	}
}

void
resolve_class_free(RESOLVE_CLASS *rc)
{
	if (rc->mydest)
		domain_list_free(rc->mydest);
	if (rc->relay)
		domain_list_free(rc->relay);
	if (rc->own_addrs)
		argv_free(rc->own_addrs);
	if (rc->valias)
		domain_list_free(rc->valias);
	if (rc->vmailbox)
		domain_list_free(rc->vmailbox);
	if (rc->myhostname)
		myfree(rc->myhostname);
	myfree(rc);
}

int
resolve_class_routed(const char *addr)
{
	const char *domain = addr_domain(addr);
	size_t	 llen = domain ? (size_t)(domain - 1 - addr) : strlen(addr);

	return memchr(addr, '%', llen) != NULL || memchr(addr, '!', llen) != NULL
	    || memchr(addr, '@', llen) != NULL;
}

/* resolve_class_literal - is "[addr]" one of our addresses? */
static int
resolve_class_literal(RESOLVE_CLASS *rc, const char *lit)
{
	char	 host[INET6_ADDRSTRLEN + 8], buf[INET6_ADDRSTRLEN];
	size_t	 n = strlen(lit), i;
	const char *p = lit + 1;

	if (n < 3 || lit[n - 1] != ']' || n - 2 >= sizeof(host))
		return 0;
	memcpy(host, p, n - 2);
	host[n - 2] = 0;
	p = strncasecmp(host, "IPv6:", 5) == 0 ? host + 5 : host;
	if (resolve_class_canon(p, buf, sizeof(buf)) < 0)
		return 0;
	for (i = 0; i < rc->own_addrs->argc; i++)
		if (strcmp(rc->own_addrs->argv[i], buf) == 0)
			return 1;
	return 0;
}

int
resolve_class_local(RESOLVE_CLASS *rc, const char *domain)
{
	int	 r;

	if ((r = domain_list_match(rc->mydest, domain)) != 0)
		return r;
	return *domain == '[' ? resolve_class_literal(rc, domain) : 0;
}

void
resolve_class_switches(RESOLVE_CLASS *rc, int switches, const char *myhostname)
{
	rc->switches = switches;
	if (rc->myhostname)
		myfree(rc->myhostname);
	rc->myhostname = mystrdup(myhostname ? myhostname : "");
}

/* resolve_class_numeric - user@192.0.2.1 becomes user@[192.0.2.1]. */
static void
resolve_class_numeric(VSTRING *cur, const char *domain, VSTRING *tmp)
{
	vstring_sprintf(tmp, "[%s%s]", strchr(domain, ':') &&
	    strncasecmp(domain, "IPv6:", 5) != 0 ? "IPv6:" : "", domain);
	vstring_truncate(cur, (size_t)(domain - vstring_str(cur)));
	vstring_strcat(cur, vstring_str(tmp));
}

int
resolve_class_rewrite(RESOLVE_CLASS *rc, VSTRING *addr)
{
	char	*s = vstring_str(addr), *op;
	VSTRING	*tmp;

	if ((rc->switches & RESOLVE_SW_BANG) && (op = strchr(s, '!')) != NULL &&
	    op > s && op[1] != 0) {
		tmp = vstring_alloc(vstring_len(addr) + 1);
		vstring_sprintf(tmp, "%s@%.*s", op + 1, (int)(op - s), s);
		vstring_strcpy(addr, vstring_str(tmp));
		vstring_free(tmp);
		return 1;
	}
	if ((rc->switches & RESOLVE_SW_PERCENT) && (op = strrchr(s, '%')) != NULL &&
	    op > s && op[1] != 0) {
		*op = '@';
		return 1;
	}
	return 0;
}

/*
 * resolve_class_ops - take the routing operators of a local part apart
 * (external form, no domain); 1 changed, 0 not.
 */
static int
resolve_class_ops(RESOLVE_CLASS *rc, VSTRING *cur, VSTRING *tmp)
{
	if (strchr(vstring_str(cur), '"') == NULL)
		return resolve_class_rewrite(rc, cur);	/* dot-atom: internal */
	if (!(rc->switches & RESOLVE_SW_DEQUOTE))
		return 0;
	addr_unquote(tmp, vstring_str(cur));
	if (strchr(vstring_str(tmp), '@') == NULL &&
	    resolve_class_rewrite(rc, tmp) == 0)
		return 0;
	addr_quote(cur, vstring_str(tmp));
	return 1;
}

/* resolve_class_plain - nothing for the resolve step to do (one scan). */
static int
resolve_class_plain(RESOLVE_CLASS *rc, const char *addr)
{
	const char *p;
	int	 at = 0;

	if ((rc->switches & (RESOLVE_SW_OPERATORS | RESOLVE_SW_NULLDOM |
	    RESOLVE_SW_NUMDOM)) == 0)
		return 1;
	for (p = addr; *p; p++) {
		switch (*p) {
		case '%':
		case '!':
		case '"':
			return 0;
		case '@':
			if (at++ || (p[1] == 0 && (rc->switches & RESOLVE_SW_NULLDOM)))
				return 0;
			break;
		}
	}
	/* A bare IP address domain: only resolve_numeric_domain looks. */
	if ((rc->switches & RESOLVE_SW_NUMDOM) && p > addr &&
	    (isdigit((unsigned char)p[-1]) || p[-1] == ':'))
		return 0;
	return 1;
}

#define RESOLVE_CLASS_ROUNDS	20	/* bounds user%a%b%c...@mydomain */

int
resolve_class_resolve(RESOLVE_CLASS *rc, const char *addr, VSTRING *resolved)
{
	VSTRING	*cur, *saved, *tmp;
	const char *s, *domain;
	int	 n, r = 0, stripped = 0;

	if (resolve_class_plain(rc, addr))
		return 0;
	cur = vstring_alloc(64);
	saved = vstring_alloc(32);
	tmp = vstring_alloc(64);
	/*
	 * Quotes as the cleanup stage writes them ("a%b"@d is a%b@d), so that
	 * smtpd judges the address that will be queued.
	 */
	if (strchr(addr, '"') != NULL)
		addr_quote(cur, vstring_str(addr_unquote(tmp, addr)));
	else
		vstring_strcpy(cur, addr);
	for (n = 0; n < RESOLVE_CLASS_ROUNDS; n++) {
		s = vstring_str(cur);
		if ((domain = addr_domain(s)) != NULL && *domain == 0) {
			if (!(rc->switches & RESOLVE_SW_NULLDOM))
				break;		/* user@ stays as it is */
			vstring_truncate(cur, vstring_len(cur) - 1);
			vstring_strcpy(saved, rc->myhostname);
			stripped = 1;
		} else if (domain != NULL) {
			if ((rc->switches & RESOLVE_SW_NUMDOM) && *domain != '[' &&
			    valid_hostaddr(domain)) {
				resolve_class_numeric(cur, domain, tmp);
				continue;
			}
			if ((r = resolve_class_local(rc, domain)) < 0)
				goto out;
			if (r == 0)
				break;		/* off this host */
			vstring_strcpy(saved, domain);
			vstring_truncate(cur, (size_t)(domain - 1 - s));
			stripped = 1;
		}
		/* A local part: "@" left in it, "!", "%", quotes. */
		if (addr_domain(vstring_str(cur)) == NULL &&
		    !resolve_class_ops(rc, cur, tmp))
			break;
	}
	domain = addr_domain(vstring_str(cur));
	if (stripped && (domain == NULL || *domain == 0)) {
		if (domain)
			vstring_truncate(cur, vstring_len(cur) - 1);
		vstring_sprintf_append(cur, "@%s", vstring_str(saved));
	}
	r = strcmp(vstring_str(cur), addr) != 0;
	if (r && resolved)
		vstring_strcpy(resolved, vstring_str(cur));
out:
	vstring_free(cur);
	vstring_free(saved);
	vstring_free(tmp);
	return r;
}

int
resolve_class(RESOLVE_CLASS *rc, const char *addr, int flags)
{
	return resolve_class_addr(rc, addr, flags, NULL);
}

int
resolve_class_addr(RESOLVE_CLASS *rc, const char *addr, int flags,
    VSTRING *resolved)
{
	VSTRING	*buf = NULL;
	const char *domain;
	int	 r, class;

	/* The common case: one scan, no copy. */
	if (!resolve_class_plain(rc, addr)) {
		buf = vstring_alloc(64);
		if ((r = resolve_class_resolve(rc, addr, buf)) < 0) {
			class = RESOLVE_CLASS_ERROR;
			goto out;
		}
		if (r > 0)
			addr = vstring_str(buf);
	}
	if (resolved)
		vstring_strcpy(resolved, addr);
	domain = addr_domain(addr);
	if (domain == NULL || *domain == 0)
		class = RESOLVE_CLASS_LOCAL;
	else if ((r = resolve_class_local(rc, domain)) != 0)
		class = r < 0 ? RESOLVE_CLASS_ERROR : RESOLVE_CLASS_LOCAL;
	else if ((flags & RESOLVE_FLAG_ROUTED) &&
	    !(rc->switches & RESOLVE_SW_ROUTING) && resolve_class_routed(addr))
		class = RESOLVE_CLASS_OTHER;	/* sender-specified routing */
	else if (rc->valias && (r = domain_list_match(rc->valias, domain)) != 0)
		class = r < 0 ? RESOLVE_CLASS_ERROR : RESOLVE_CLASS_VALIAS;
	else if (rc->vmailbox && (r = domain_list_match(rc->vmailbox, domain)) != 0)
		class = r < 0 ? RESOLVE_CLASS_ERROR : RESOLVE_CLASS_VMAILBOX;
	else if ((r = domain_list_match(rc->relay, domain)) != 0)
		class = r < 0 ? RESOLVE_CLASS_ERROR : RESOLVE_CLASS_RELAY;
	else
		class = RESOLVE_CLASS_OTHER;
out:
	if (buf)
		vstring_free(buf);
	return class;
}
