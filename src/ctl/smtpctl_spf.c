/*
 * NAME
 *	smtpctl_spf - smtpctl spf walk
 * SYNOPSIS
 *	#include "smtpctl.h"
 *
 *	int	smtpctl_spf_walk(const SC_CMD *cmd);
 * DESCRIPTION
 *	Reads domain names, one per line, from the standard input, looks up
 *	each one's SPF record (a TXT record starting "v=spf1") and follows
 *	it: include: and redirect= recursively, a and mx (with their
 *	optional domain and /prefix lengths) through A, AAAA and MX lookups,
 *	ip4: and ip6: as they are. Every address range found is printed
 *	once, one per line ("192.0.2.0/24", "2001:db8::1"). Mechanisms
 *	that hold macros ("%{i}") cannot be resolved statically and are
 *	skipped with a warning, as are exists: and ptr. Lookups use
 *	dns_resolver_address when set.
 *
 *	Bounds: at most SPF_MAX_LOOKUPS DNS lookups per input domain (RFC
 *	7208 allows 10 per check; a walk expands everything, so more are
 *	allowed), each domain is expanded once, input lines are at most
 *	1024 bytes.
 * DIAGNOSTICS
 *	Lookup failures are warnings on stderr; the exit status is 1 when
 *	any lookup failed temporarily, else 0.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dns.h"
#include "htable.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpctl.h"

#define SPF_MAX_LOOKUPS	100
#define SPF_MAX_DEPTH	10

typedef struct SPF_WALK {
	HTABLE	*seen;			/* ranges printed */
	HTABLE	*done;			/* domains expanded */
	int	 lookups;
	int	 failed;
} SPF_WALK;

static void spf_domain(SPF_WALK *, const char *, int);

static void
spf_print(SPF_WALK *w, const char *range)
{
	if (htable_locate(w->seen, range) != NULL)
		return;
	htable_enter(w->seen, range, NULL);
	printf("%s\n", range);
}

static int
spf_lookup(SPF_WALK *w, const char *name, int type, DNS_RR **rr)
{
	VSTRING	*why = vstring_alloc(64);
	int	 st;

	*rr = NULL;
	if (++w->lookups > SPF_MAX_LOOKUPS) {
		fprintf(stderr, "smtpctl: spf walk: too many lookups at %s\n",
		    name);
		vstring_free(why);
		return -1;
	}
	st = type == DNS_T_A ? dns_lookup_addr(name, DNS_FAM_V4 | DNS_FAM_V6,
	    rr, why) : dns_lookup(name, type, rr, why);
	if (st == DNS_RETRY) {
		fprintf(stderr, "smtpctl: spf walk: %s\n", vstring_str(why));
		w->failed = 1;
	}
	vstring_free(why);
	return st == DNS_OK ? 0 : -1;
}

/* spf_addrs - the addresses of a host, with a prefix length when given. */
static void
spf_addrs(SPF_WALK *w, const char *host, const char *cidr4,
    const char *cidr6)
{
	DNS_RR	*rr, *r;
	VSTRING	*buf;

	if (spf_lookup(w, host, DNS_T_A, &rr) < 0)
		return;
	buf = vstring_alloc(64);
	for (r = rr; r; r = r->next) {
		const char *cidr = r->family == AF_INET6 ? cidr6 : cidr4;

		vstring_sprintf(buf, "%s%s%s", r->data, cidr ? "/" : "",
		    cidr ? cidr : "");
		spf_print(w, vstring_str(buf));
	}
	vstring_free(buf);
	dns_rr_free(rr);
}

/* spf_target - split "a:domain/24//64" into domain and prefix lengths. */
static void
spf_target(char *arg, const char *self, const char **domain,
    const char **cidr4, const char **cidr6)
{
	char	*slash;

	*domain = self;
	*cidr4 = *cidr6 = NULL;
	if ((slash = strstr(arg, "//")) != NULL) {
		*cidr6 = slash + 2;
		*slash = 0;
	}
	if ((slash = strchr(arg, '/')) != NULL) {
		*cidr4 = slash + 1;
		*slash = 0;
	}
	if (*arg == ':' && arg[1])
		*domain = arg + 1;
}

static void
spf_mx(SPF_WALK *w, const char *domain, const char *c4, const char *c6)
{
	DNS_RR	*rr, *r;

	if (spf_lookup(w, domain, DNS_T_MX, &rr) < 0)
		return;
	for (r = rr; r; r = r->next)
		spf_addrs(w, r->data, c4, c6);
	dns_rr_free(rr);
}

/* spf_term - one mechanism or modifier of domain's record. */
static void
spf_term(SPF_WALK *w, const char *domain, char *term, int depth)
{
	const char *target, *c4, *c6;

	if (*term == '+' || *term == '-' || *term == '~' || *term == '?')
		term++;
	if (strchr(term, '%') != NULL) {
		fprintf(stderr, "smtpctl: spf walk: %s: macro not expanded: "
		    "%s\n", domain, term);
		return;
	}
	if (strncasecmp(term, "ip4:", 4) == 0 || strncasecmp(term, "ip6:", 4) == 0)
		spf_print(w, term + 4);
	else if (strncasecmp(term, "include:", 8) == 0)
		spf_domain(w, term + 8, depth + 1);
	else if (strncasecmp(term, "redirect=", 9) == 0)
		spf_domain(w, term + 9, depth + 1);
	else if (strncasecmp(term, "a", 1) == 0 && (term[1] == 0
	    || term[1] == ':' || term[1] == '/')) {
		spf_target(term + 1, domain, &target, &c4, &c6);
		spf_addrs(w, target, c4, c6);
	} else if (strncasecmp(term, "mx", 2) == 0 && (term[2] == 0
	    || term[2] == ':' || term[2] == '/')) {
		spf_target(term + 2, domain, &target, &c4, &c6);
		spf_mx(w, target, c4, c6);
	}
}

static void
spf_domain(SPF_WALK *w, const char *domain, int depth)
{
	DNS_RR	*rr, *r;
	ARGV	*terms;
	size_t	 i;

	if (depth > SPF_MAX_DEPTH || *domain == 0
	    || htable_locate(w->done, domain) != NULL)
		return;
	htable_enter(w->done, domain, NULL);
	if (spf_lookup(w, domain, DNS_T_TXT, &rr) < 0)
		return;
	for (r = rr; r; r = r->next) {
		if (strncasecmp(r->data, "v=spf1", 6) != 0
		    || (r->data[6] != 0 && r->data[6] != ' '))
			continue;
		terms = argv_split(r->data + 6, " \t");
		for (i = 0; i < terms->argc; i++)
			spf_term(w, domain, terms->argv[i], depth);
		argv_free(terms);
		break;
	}
	dns_rr_free(rr);
}

int
smtpctl_spf_walk(const SC_CMD *cmd)
{
	SPF_WALK w;
	VSTRING	*why = vstring_alloc(64);
	char	 line[1024];
	size_t	 len;

	if (dns_set_servers(conf_str("dns_resolver_address"), why) < 0)
		msg_fatal("dns_resolver_address: %s", vstring_str(why));
	vstring_free(why);
	memset(&w, 0, sizeof(w));
	w.seen = htable_create(64);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		len = strcspn(line, "\r\n#");
		line[len] = 0;
		while (len > 0 && isspace((unsigned char)line[len - 1]))
			line[--len] = 0;
		if (len == 0)
			continue;
		w.done = htable_create(16);
		w.lookups = 0;
		spf_domain(&w, line + strspn(line, " \t"), 0);
		htable_free(w.done, NULL);
	}
	htable_free(w.seen, NULL);
	fflush(stdout);
	return w.failed ? SC_EXIT_FAIL : SC_EXIT_OK;
}
