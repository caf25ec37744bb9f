/*
 * NAME
 *	mail_params_dynamic - defaults computed from the host and process
 * SYNOPSIS
 *	#include <mail_params.h>
 *
 *	const char *mail_params_dynamic(const char *name);
 *	const char *mail_params_transport_suffix(const char *name);
 *	int mail_params_raw(const char *name);
 *	const char *mail_params_enum(const char *name);
 * DESCRIPTION
 *	See mail_params.c. Results are computed once per process (mynetworks
 *	once per mynetworks_style value) and never freed.
 *
 *	mynetworks_style "host" lists the host's own addresses (as /32 and
 *	/128), "subnet" the networks of its interfaces, "class" the classful
 *	networks of its IPv4 addresses (IPv6 as subnet). IPv6 link-local
 *	addresses are left out (they need a scope). Loopback networks are
 *	always included.
 *
 *	mail_params_raw() names the parameters whose $name references are
 *	not configuration parameters but variables of the program that uses
 *	them ($user, $home, $extension, $recipient in forward_path,
 *	mailbox_command, luser_relay, ...). As in Postfix, conf_str()
 *	returns them unexpanded; the program expands them itself.
 *
 *	mail_params_enum() returns the words a keyword parameter accepts,
 *	separated by spaces (for list parameters: each element), or a null
 *	pointer. A leading space means the empty value is valid too.
 * DIAGNOSTICS
 *	A warning when the interfaces cannot be listed; mynetworks is then
 *	the loopback networks only.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "cidr_match.h"
#include "mail_conf.h"
#include "mail_params.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstring.h"


static const char *
mail_params_hostname(void)
{
	static char *name;
	struct addrinfo hints, *res;
	char	host[256];

	if (name != NULL)
		return name;
	if (gethostname(host, sizeof(host)) < 0 || host[0] == 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = 0;
	if (strchr(host, '.') == NULL) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_CANONNAME;
		hints.ai_family = AF_UNSPEC;
		if (getaddrinfo(host, NULL, &hints, &res) == 0) {
			if (res->ai_canonname && strchr(res->ai_canonname, '.'))
				snprintf(host, sizeof(host), "%s",
				    res->ai_canonname);
			freeaddrinfo(res);
		}
	}
	if (strchr(host, '.') == NULL) {
		name = mymalloc(strlen(host) + sizeof(".localdomain"));
		strcpy(name, host);
		strcat(name, ".localdomain");
	} else
		name = mystrdup(host);
	return name;
}

static const char *
mail_params_domain(void)
{
	static char *domain;
	const char *host, *dot;

	if (domain != NULL)
		return domain;
	host = conf_str("myhostname");
	if ((dot = strchr(host, '.')) != NULL && dot[1] != 0)
		domain = mystrdup(dot + 1);
	else
		domain = mystrdup("localdomain");
	return domain;
}

/* mail_params_masklen - prefix length of a netmask. */
static int
mail_params_masklen(const unsigned char *mask, size_t len)
{
	size_t	i;
	int	bits = 0, b;

	for (i = 0; i < len; i++)
		for (b = 7; b >= 0; b--)
			if (mask[i] & (1 << b))
				bits++;
	return bits;
}

static void
mail_params_net(ARGV *nets, int family, const unsigned char *addr,
    int bits)
{
	unsigned char net[16];
	char	buf[INET6_ADDRSTRLEN], item[INET6_ADDRSTRLEN + 32];
	size_t	i;

	memcpy(net, addr, family == AF_INET ? 4 : 16);
	cidr_match_mask(net, family, bits);
	if (inet_ntop(family, net, buf, sizeof(buf)) == NULL)
		return;
	if (family == AF_INET)
		snprintf(item, sizeof(item), "%s/%d", buf, bits);
	else
		snprintf(item, sizeof(item), "[%s]/%d", buf, bits);
	for (i = 0; i < nets->argc; i++)
		if (strcmp(nets->argv[i], item) == 0)
			return;
	argv_add(nets, item);
}

static void
mail_params_ifnet(ARGV *nets, struct ifaddrs *ifa, const char *style)
{
	const unsigned char *addr, *mask;
	int	family = ifa->ifa_addr->sa_family, bits, cls;

	if (family == AF_INET) {
		addr = (const void *)&((struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
		mask = ifa->ifa_netmask ? (const void *)
		    &((struct sockaddr_in *)ifa->ifa_netmask)->sin_addr : NULL;
		bits = mask ? mail_params_masklen(mask, 4) : 32;
		if (strcmp(style, "class") == 0) {
			cls = addr[0];
			bits = cls < 128 ? 8 : cls < 192 ? 16 : cls < 224 ? 24 : 32;
		}
	} else if (family == AF_INET6) {
		addr = (const void *)&((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
		if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80)
			return;
		mask = ifa->ifa_netmask ? (const void *)
		    &((struct sockaddr_in6 *)ifa->ifa_netmask)->sin6_addr : NULL;
		bits = mask ? mail_params_masklen(mask, 16) : 128;
	} else
		return;
	if (strcmp(style, "host") == 0)
		bits = family == AF_INET ? 32 : 128;
	mail_params_net(nets, family, addr, bits);
}

static const char *
mail_params_mynetworks(void)
{
	static char *cached, *cached_style;
	struct ifaddrs *ifs, *ifa;
	const char *style = conf_lookup("mynetworks_style");	/* unvalidated */
	ARGV	*nets;

	if (cached != NULL && strcmp(style, cached_style) == 0)
		return cached;
	nets = argv_alloc(8);
	argv_add(nets, "127.0.0.0/8");
	argv_add(nets, "[::1]/128");
	if (getifaddrs(&ifs) < 0) {
		msg_warn("cannot list network interfaces: %m; mynetworks is "
		    "the loopback networks only");
	} else {
		for (ifa = ifs; ifa; ifa = ifa->ifa_next)
			if (ifa->ifa_addr != NULL)
				mail_params_ifnet(nets, ifa, style);
		freeifaddrs(ifs);
	}
	cached = argv_join(nets, " ");
	cached_style = mystrdup(style);
	argv_free(nets);
	return cached;
}

const char *
mail_params_dynamic(const char *name)
{
	static char pid[32];

	if (strcmp(name, "myhostname") == 0)
		return mail_params_hostname();
	if (strcmp(name, "mydomain") == 0)
		return mail_params_domain();
	if (strcmp(name, "mynetworks") == 0)
		return mail_params_mynetworks();
	if (strcmp(name, "config_directory") == 0)
		return mail_conf_dir();
	if (strcmp(name, "process_id") == 0) {
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		return pid;
	}
	if (strcmp(name, "process_name") == 0)
		return program_invocation_short_name;
	return NULL;
}

const char *
mail_params_transport_suffix(const char *name)
{
	static const struct {
		const char *suffix;
		const char *param;
	} sfx[] = {
		{ "_destination_concurrency_limit", "default_destination_concurrency_limit" },
		{ "_destination_recipient_limit", "default_destination_recipient_limit" },
		{ "_initial_destination_concurrency", "initial_destination_concurrency" },
		{ "_destination_concurrency_failed_cohort_limit", "default_destination_concurrency_failed_cohort_limit" },
		{ "_destination_concurrency_negative_feedback", "default_destination_concurrency_negative_feedback" },
		{ "_destination_concurrency_positive_feedback", "default_destination_concurrency_positive_feedback" },
		{ "_destination_rate_delay", "default_destination_rate_delay" },
		{ "_transport_rate_delay", "default_transport_rate_delay" },
		{ "_extra_recipient_limit", "default_extra_recipient_limit" },
		{ "_recipient_refill_limit", "default_recipient_refill_limit" },
		{ "_recipient_refill_delay", "default_recipient_refill_delay" },
		{ "_recipient_limit", "default_recipient_limit" },
		{ "_delivery_slot_cost", "default_delivery_slot_cost" },
		{ "_delivery_slot_discount", "default_delivery_slot_discount" },
		{ "_delivery_slot_loan", "default_delivery_slot_loan" },
		{ "_minimum_delivery_slots", "default_minimum_delivery_slots" },
		{ "_delivery_status_filter", "default_delivery_status_filter" },
		{ "_time_limit", "command_time_limit" },
	};
	size_t	i, n = strlen(name), len;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		len = strlen(sfx[i].suffix);
		if (n > len && strcmp(name + n - len, sfx[i].suffix) == 0)
			return sfx[i].param;
	}
	return NULL;
}

int
mail_params_raw(const char *name)
{
	static const char *raw[] = {
		"forward_path", "mailbox_command", "luser_relay",
		"command_execution_directory", "smtpd_reject_footer",
	};
	size_t	i;

	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		if (strcmp(name, raw[i]) == 0)
			return 1;
	return 0;
}

const char *
mail_params_enum(const char *name)
{
	static const struct {
		const char *name;
		const char *words;
	} en[] = {
		{ "mynetworks_style", "host subnet class" },
		{ "smtpd_forbid_bare_newline", "normalize yes reject no" },
		{ "inet_protocols", "all ipv4 ipv6" },
		{ "smtp_host_lookup", "dns native" },
		{ "lmtp_host_lookup", "dns native" },
		{ "notify_classes", " bounce 2bounce data delay policy protocol resource software" },
		{ "smtp_address_preference", "any ipv4 ipv6" },
		{ "lmtp_address_preference", "any ipv4 ipv6" },
		{ "sendmail_fix_line_endings", "always strict never" },
		{ "mailbox_delivery_lock", "fcntl flock dotlock" },
		{ "smtp_dns_support_level", " disabled enabled dnssec" },
		{ "lmtp_dns_support_level", " disabled enabled dnssec" },
		{ "info_log_address_format", "external internal" },
		{ "smtp_pix_workarounds", " disable_esmtp delay_dotcrlf" },
		{ "lmtp_pix_workarounds", " disable_esmtp delay_dotcrlf" },
		{ "allow_mail_to_commands", " alias forward include" },
		{ "allow_mail_to_files", " alias forward include" },
		{ "smtpd_tls_security_level", " none may encrypt" },
		{ "smtp_tls_security_level", " none may encrypt dane dane-only fingerprint verify secure" },
		{ "lmtp_tls_security_level", " none may encrypt dane dane-only fingerprint verify secure" },
	};
	size_t	i;

	for (i = 0; i < sizeof(en) / sizeof(en[0]); i++)
		if (strcmp(name, en[i].name) == 0)
			return en[i].words;
	return NULL;
}
