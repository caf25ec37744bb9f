/*
 * NAME
 *	smtp_conf - parameters of the smtp/lmtp client
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	SMTP_CONF smtp_cf;
 *
 *	void smtp_conf_load(const char *program, const char *service);
 *
 *	DICT **smtp_conf_maps(const char *name, int *count);
 * DESCRIPTION
 *	smtp_conf_load() reads every parameter the client uses into smtp_cf,
 *	once per process (after the master.cf -o overrides are applied).
 *	LMTP mode is on when the program is invoked as "lmtp", when the
 *	master.cf service is named "lmtp", or with smtp_lmtp_mode = yes
 *	(ZMailer's -M). In LMTP mode the default port is lmtp_tcp_port,
 *	MX lookups are off, and each smtp_xxx parameter is read as
 *	lmtp_xxx when Postfix has that lmtp_ name (lmtp_lhlo_name for
 *	smtp_helo_name, and so on); Postern's own additions keep their
 *	smtp_ name in both modes.
 *
 *	smtp_conf_maps() opens the tables that a list parameter names
 *	(smtp_pname() applies), through the process-wide table cache.
 *
 *	The list of this host's own addresses (for the "mail loops back to
 *	myself" check) comes from inet_interfaces and proxy_interfaces,
 *	as resolve_class(3) reads them for the local address class: "all"
 *	adds the addresses of every interface, "loopback-only" 127.0.0.1
 *	and ::1, a name or address its addresses.
 * DIAGNOSTICS
 *	Fatal: invalid values (a bad smtp_8bit_mode, smtp_host_lookup,
 *	dns_resolver_address or inet_protocols).
 */
#include <sys/types.h>
#include <netdb.h>
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "dns.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "resolve_class.h"
#include "smtp.h"

SMTP_CONF smtp_cf;

/*
 * smtp_pname - the parameter name for this mode: in LMTP mode "smtp_x"
 * becomes "lmtp_x" when the table has that name (Postfix's lmtp_
 * parameters), else the smtp_ name serves both.
 */
const char *
smtp_pname(const char *name)
{
	static const char *map[][2] = {
		{"smtp_helo_name", "lmtp_lhlo_name"},
		{"smtp_helo_timeout", "lmtp_lhlo_timeout"},
		{"smtp_discard_ehlo_keywords", "lmtp_discard_lhlo_keywords"},
		{"smtp_discard_ehlo_keyword_address_maps",
		"lmtp_discard_lhlo_keyword_address_maps"},
	};
	static char buf[128];
	size_t	 i;

	if (!smtp_cf.lmtp || strncmp(name, "smtp_", 5) != 0)
		return name;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], name) == 0)
			return map[i][1];
	snprintf(buf, sizeof(buf), "lmtp_%s", name + 5);
	return conf_param_find(buf) ? buf : name;
}

/*
 * smtp_conf_maps - open the tables a parameter lists (cached, see
 * dict(3)); null with *n = 0 when it lists none.
 */
DICT **
smtp_conf_maps(const char *name, int *n)
{
	ARGV	*list = conf_list(smtp_pname(name));
	DICT	**maps = NULL;
	size_t	 i;

	*n = 0;
	if (list->argc > 0) {
		maps = mymalloc(sizeof(*maps) * list->argc);
		for (i = 0; i < list->argc; i++)
			maps[(*n)++] = dict_lookup_open(list->argv[i]);
	}
	argv_free(list);
	return maps;
}

#define P_STR(n)	conf_str(smtp_pname(n))
#define P_BOOL(n)	conf_bool(smtp_pname(n))
#define P_INT(n)	conf_int(smtp_pname(n))
#define P_TIME(n)	conf_time(smtp_pname(n))
#define P_LIST(n)	conf_list(smtp_pname(n))

/* smtp_conf_families - inet_protocols */

static int
smtp_conf_families(void)
{
	ARGV	*list = conf_list("inet_protocols");
	size_t	 i;
	int	 fam = 0;

	for (i = 0; i < list->argc; i++) {
		if (strcasecmp(list->argv[i], "all") == 0)
			fam |= DNS_FAM_V4 | DNS_FAM_V6;
		else if (strcasecmp(list->argv[i], "ipv4") == 0)
			fam |= DNS_FAM_V4;
		else if (strcasecmp(list->argv[i], "ipv6") == 0)
			fam |= DNS_FAM_V6;
		else
			msg_fatal("bad inet_protocols value: %s", list->argv[i]);
	}
	argv_free(list);
	return fam ? fam : DNS_FAM_V4;
}

/* smtp_conf_myaddrs - inet_interfaces and proxy_interfaces */

static ARGV *
smtp_conf_myaddrs(void)
{
	ARGV	*out = argv_alloc(8);
	VSTRING	*ifaces = vstring_alloc(64);

	vstring_sprintf(ifaces, "%s, %s", conf_str("inet_interfaces"),
	    conf_str("proxy_interfaces"));
	resolve_class_own_addrs(vstring_str(ifaces), out);
	vstring_free(ifaces);
	return out;
}

/* smtp_conf_lookup - smtp_host_lookup and disable_dns_lookups */

static void
smtp_conf_lookup(void)
{
	ARGV	*list = P_LIST("smtp_host_lookup");
	size_t	 i;

	for (i = 0; i < list->argc; i++) {
		if (strcasecmp(list->argv[i], "dns") == 0)
			smtp_cf.use_dns = 1;
		else if (strcasecmp(list->argv[i], "native") == 0)
			smtp_cf.use_native = 1;
		else
			msg_fatal("bad smtp_host_lookup value: %s", list->argv[i]);
	}
	argv_free(list);
	if (conf_bool("disable_dns_lookups")) {
		smtp_cf.use_dns = 0;
		smtp_cf.use_native = 1;
	}
	if (!smtp_cf.use_dns && !smtp_cf.use_native)
		smtp_cf.use_dns = 1;
}

/* smtp_conf_timeouts - the per-phase time limits */

static void
smtp_conf_timeouts(void)
{
	smtp_cf.tmo_connect = P_TIME("smtp_connect_timeout");
	smtp_cf.tmo_helo = P_TIME("smtp_helo_timeout");
	smtp_cf.tmo_xforward = P_TIME("smtp_xforward_timeout");
	smtp_cf.tmo_mail = P_TIME("smtp_mail_timeout");
	smtp_cf.tmo_rcpt = P_TIME("smtp_rcpt_timeout");
	smtp_cf.tmo_data_init = P_TIME("smtp_data_init_timeout");
	smtp_cf.tmo_data_xfer = P_TIME("smtp_data_xfer_timeout");
	smtp_cf.tmo_data_done = P_TIME("smtp_data_done_timeout");
	smtp_cf.tmo_rset = P_TIME("smtp_rset_timeout");
	smtp_cf.tmo_quit = P_TIME("smtp_quit_timeout");
	smtp_cf.ipc_timeout = conf_time("ipc_timeout");
	smtp_cf.pix_delay = P_TIME("smtp_pix_workaround_delay_time");
	smtp_cf.pix_threshold = P_TIME("smtp_pix_workaround_threshold_time");
	smtp_cf.cache_time = P_TIME("smtp_connection_cache_time_limit");
	smtp_cf.deadline = P_BOOL("smtp_per_record_deadline");
}

/* smtp_conf_mode - LMTP or SMTP, and the 8-bit mode */

static void
smtp_conf_mode(const char *program, const char *service)
{
	const char *base, *mode;

	base = strrchr(program, '/') ? strrchr(program, '/') + 1 : program;
	smtp_cf.lmtp = strcmp(base, "lmtp") == 0 || (service && strcmp(service, "lmtp") == 0)
	    || P_BOOL("smtp_lmtp_mode");
	smtp_cf.tcp_port = conf_str(smtp_cf.lmtp ? "lmtp_tcp_port" : "smtp_tcp_port");
	mode = P_STR("smtp_8bit_mode");
	if (strcasecmp(mode, "auto") == 0 || *mode == 0)
		smtp_cf.bit_mode = SMTP_8BIT_AUTO;
	else if (strcasecmp(mode, "7bit") == 0)
		smtp_cf.bit_mode = SMTP_8BIT_7BIT;
	else if (strcasecmp(mode, "8bit") == 0)
		smtp_cf.bit_mode = SMTP_8BIT_8BIT;
	else
		msg_fatal("bad smtp_8bit_mode value: %s (auto, 7bit or 8bit)", mode);
}

void
smtp_conf_load(const char *program, const char *service)
{
	VSTRING	*why = vstring_alloc(100);

	smtp_conf_mode(program, service);
	smtp_cf.queue_dir = conf_str("queue_directory");
	smtp_cf.myhostname = conf_str("myhostname");
	smtp_cf.helo_name = P_STR("smtp_helo_name");
	smtp_cf.lmtp_final = smtp_cf.lmtp && conf_bool("lmtp_assume_final");
	smtp_cf.bind_addr = P_STR("smtp_bind_address");
	smtp_cf.bind_addr6 = P_STR("smtp_bind_address6");
	smtp_cf.bind_enforce = P_BOOL("smtp_bind_address_enforce");
	smtp_cf.families = smtp_conf_families();
	smtp_cf.addr_pref = P_STR("smtp_address_preference");
	smtp_cf.status_filter = mystrdup(smtp_pname("smtp_delivery_status_filter"));
	smtp_cf.always_ehlo = P_BOOL("smtp_always_send_ehlo");
	smtp_cf.never_ehlo = P_BOOL("smtp_never_send_ehlo");
	smtp_cf.ehlo_if_esmtp = P_BOOL("smtp_ehlo_if_esmtp_banner");
	smtp_cf.skip_5xx_greeting = P_BOOL("smtp_skip_5xx_greeting");
	smtp_cf.skip_quit_resp = P_BOOL("smtp_skip_quit_response");
	smtp_cf.quote_821 = P_BOOL("smtp_quote_rfc821_envelope");
	smtp_cf.line_limit = P_INT("smtp_line_length_limit");
	smtp_cf.send_xforward = P_BOOL("smtp_send_xforward_command");
	smtp_conf_timeouts();
	smtp_cf.mx_addr_limit = P_INT("smtp_mx_address_limit");
	smtp_cf.mx_session_limit = P_INT("smtp_mx_session_limit");
	smtp_cf.randomize = P_BOOL("smtp_randomize_addresses");
	smtp_cf.balance_inet = P_BOOL("smtp_balance_inet_protocols");
	smtp_cf.defer_no_mx_addr = P_BOOL("smtp_defer_if_no_mx_address_found");
	smtp_cf.ignore_mx_error = conf_bool("ignore_mx_lookup_error");
	smtp_cf.best_mx_transport = conf_str("best_mx_transport");
	smtp_cf.fallback_relay = P_LIST("smtp_fallback_relay");
	smtp_conf_lookup();
	smtp_cf.no_mx = P_BOOL("smtp_disable_mx_lookup") || smtp_cf.lmtp;
	smtp_cf.forced_dest = P_STR("smtp_forced_destination");
	smtp_cf.cname_overrides = P_BOOL("smtp_cname_overrides_servername");
	smtp_cf.debug_peers = addr_match_param("debug_peer_list");
	smtp_cf.debug_level = conf_int("debug_peer_level");
	smtp_cf.no_mime_conv = conf_bool("disable_mime_output_conversion");
	smtp_cf.mime_nesting = conf_int("mime_nesting_limit");
	smtp_cf.mime_boundary_len = conf_int("mime_boundary_length_limit");
	smtp_cf.discard_ehlo = P_LIST("smtp_discard_ehlo_keywords");
	if (*P_STR("smtp_reply_filter"))
		smtp_cf.reply_filter = dict_lookup_open(P_STR("smtp_reply_filter"));
	smtp_cf.dns_filter = P_LIST("smtp_dns_reply_filter");
	if (smtp_cf.dns_filter->argc == 0) {
		argv_free(smtp_cf.dns_filter);
		smtp_cf.dns_filter = NULL;
	}
	smtp_cf.pix_words = P_LIST("smtp_pix_workarounds");
	smtp_cf.pix_maps = smtp_conf_maps("smtp_pix_workaround_maps", &smtp_cf.pix_nmaps);
	smtp_cf.discard_maps = smtp_conf_maps("smtp_discard_ehlo_keyword_address_maps",
	    &smtp_cf.discard_nmaps);
	smtp_cf.transcript = P_STR("smtp_transcript_log");
	smtp_cf.title = P_BOOL("smtp_progress_title");
	smtp_cf.my_addrs = smtp_conf_myaddrs();
	smtp_tls_conf();
	smtp_hbc_conf();
	smtp_generic_conf();
	if (dns_set_servers(conf_str("dns_resolver_address"), why) < 0)
		msg_fatal("dns_resolver_address: %s", vstring_str(why));
	smtp_cf.sasl_enable = P_BOOL("smtp_sasl_auth_enable");
	smtp_cf.sasl_maps = P_STR("smtp_sasl_password_maps");
	smtp_cf.dummy_mail_auth = smtp_cf.sasl_enable && P_BOOL("smtp_send_dummy_mail_auth");
	smtp_cf.sasl_opts = P_STR("smtp_sasl_security_options");
	smtp_cf.sasl_tls_opts = P_STR("smtp_sasl_tls_security_options");
	smtp_cf.sasl_type = P_STR("smtp_sasl_type");
	smtp_cf.sasl_filter = P_LIST("smtp_sasl_mechanism_filter");
	smtp_cf.sasl_sender_dep = P_BOOL("smtp_sender_dependent_authentication");
	smtp_cf.sasl_soft_bounce = P_BOOL("smtp_sasl_auth_soft_bounce");
	/* Sessions are per credentials then: do not reuse them. */
	if (smtp_cf.sasl_enable && smtp_cf.sasl_sender_dep)
		smtp_cf.cache_time = 0;
	smtp_sasl_conf();
	smtp_cache_conf();
	vstring_free(why);
}
