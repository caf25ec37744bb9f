/*
 * NAME
 *	smtpd_conf - the SMTP server's configuration
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_conf_load(SMTPD_CONF *conf);
 * DESCRIPTION
 *	smtpd_conf_load() reads every main.cf parameter the server uses
 *	into conf, once per process (the master restarts servers after a
 *	reload); with conf->drop set by the caller (stand-alone for an
 *	ordinary user), which it keeps, it leaves TLS and SASL off without
 *	reading their keys or configuration. Client lists (mynetworks,
 *	smtpd_forbid_bare_newline_exclusions) are addr_match(3) lists;
 *	mydestination, relay_domains, inet_interfaces and proxy_interfaces
 *	make the resolve_class(3) address classes; the default of
 *	mynetworks comes from mynetworks_style (mail_params_dynamic(3)).
 *	smtpd_forbid_bare_newline accepts no, normalize, yes (= normalize)
 *	and reject; smtpd_upstream_proxy_protocol empty or haproxy;
 *	unknown_address_tempfail_action (by default $reject_tempfail_action)
 *	defer or defer_if_permit.
 *
 *	smtpd_conf_stress() re-reads the values that Postfix's defaults make
 *	depend on the stress parameter (smtpd_timeout, the error and junk
 *	command limits, smtpd_starttls_timeout, smtpd_per_request_deadline;
 *	smtpd_min_data_rate goes with the deadline) when the master says that
 *	the service is (no longer) under stress.
 * DIAGNOSTICS
 *	Invalid values are fatal (msg_fatal), naming the parameter.
 */
#include <string.h>
#include <strings.h>

#include "mail_conf.h"
#include "msg.h"
#include "smtpd.h"

static int
smtpd_conf_bare_nl(const char *val)
{
	if (strcasecmp(val, "no") == 0)
		return SMTPD_BARE_NL_NO;
	if (strcasecmp(val, "normalize") == 0 || strcasecmp(val, "yes") == 0)
		return SMTPD_BARE_NL_NORMALIZE;
	if (strcasecmp(val, "reject") == 0)
		return SMTPD_BARE_NL_REJECT;
	msg_fatal("invalid smtpd_forbid_bare_newline value: \"%s\"", val);
}

void
smtpd_conf_stress(SMTPD_CONF *conf, int stress)
{
	conf->stress = stress;
	conf->timeout = (int)conf_time("smtpd_timeout");
	conf->deadline = conf_bool("smtpd_per_request_deadline");
	conf->min_data_rate = (int)conf_int("smtpd_min_data_rate");
	conf->soft_erlim = (int)conf_int("smtpd_soft_error_limit");
	conf->hard_erlim = (int)conf_int("smtpd_hard_error_limit");
	conf->junk_limit = (int)conf_int("smtpd_junk_command_limit");
	conf->tls_timeout = (int)conf_time("smtpd_starttls_timeout");
}

/* A *_tempfail_action: 1 for defer, 0 for defer_if_permit. */
static int
smtpd_conf_tempfail(const char *name)
{
	const char *val = conf_str(name);

	if (strcasecmp(val, "defer") == 0)
		return 1;
	if (strcasecmp(val, "defer_if_permit") == 0)
		return 0;
	msg_fatal("invalid %s value: \"%s\" (defer or defer_if_permit)",
	    name, val);
}

static int
smtpd_conf_uproxy(const char *val)
{
	if (*val == 0)
		return SMTPD_UPROXY_NONE;
	if (strcmp(val, "haproxy") == 0)
		return SMTPD_UPROXY_HAPROXY;
	msg_fatal("unsupported smtpd_upstream_proxy_protocol value: \"%s\"", val);
}

static void
smtpd_conf_limits(SMTPD_CONF *conf)
{
	smtpd_conf_stress(conf, *conf_str("stress") != 0);
	conf->err_sleep = (int)conf_time("smtpd_error_sleep_time");
	conf->rcpt_limit = (int)conf_int("smtpd_recipient_limit");
	conf->rcpt_overlim = (int)conf_int("smtpd_recipient_overshoot_limit");
	conf->size_limit = conf_size("message_size_limit");
	conf->queue_minfree = conf_size("queue_minfree");
	conf->line_limit = conf_int("line_length_limit");
	conf->hdr_limit = conf_int("header_size_limit");
	conf->reject_code = (int)conf_int("reject_code");
	conf->defer_code = (int)conf_int("defer_code");
	conf->relay_code = (int)conf_int("relay_domains_reject_code");
	conf->access_reject_code = (int)conf_int("access_map_reject_code");
	conf->access_defer_code = (int)conf_int("access_map_defer_code");
	conf->unknown_local_code = (int)conf_int("unknown_local_recipient_reject_code");
	conf->unknown_relay_code = (int)conf_int("unknown_relay_recipient_reject_code");
	conf->unknown_valias_code = (int)conf_int("unknown_virtual_alias_reject_code");
	conf->unknown_vmailbox_code = (int)conf_int("unknown_virtual_mailbox_reject_code");
	conf->unknown_addr_code = (int)conf_int("unknown_address_reject_code");
	conf->unknown_addr_defer =
	    smtpd_conf_tempfail("unknown_address_tempfail_action");
	conf->show_unknown_table = conf_bool("show_user_unknown_table_name");
	conf->non_fqdn_code = (int)conf_int("non_fqdn_reject_code");
	conf->invalid_hostname_code = (int)conf_int("invalid_hostname_reject_code");
	conf->bare_nl_code = (int)conf_int("smtpd_forbid_bare_newline_reject_code");
	if (conf->line_limit < 0 || conf->hdr_limit < 0 || conf->size_limit < 0)
		msg_fatal("negative line_length_limit, header_size_limit or "
		    "message_size_limit");
}

static void
smtpd_conf_lists(SMTPD_CONF *conf)
{
	conf->parent_match_access = domain_list_parent_flag("smtpd_access_maps");
	conf->mynetworks = addr_match_param("mynetworks");
	conf->perm_mx_networks = *conf_str("permit_mx_backup_networks") ?
	    addr_match_param("permit_mx_backup_networks") : NULL;
	conf->bare_nl_excl = addr_match_param("smtpd_forbid_bare_newline_exclusions");
	conf->resolve = resolve_class_param();
	conf->inet_interfaces = conf_list("inet_interfaces");
	conf->local_rcpt_maps = mail_addr_maps_param("local_recipient_maps");
	conf->cmd_filter = mail_addr_maps_param("smtpd_command_filter");
	conf->relay_rcpt_maps = mail_addr_maps_param("relay_recipient_maps");
	conf->relocated_maps = mail_addr_maps_param("relocated_maps");
	conf->canon_maps = mail_addr_maps_param("canonical_maps");
	conf->rcpt_canon_maps = mail_addr_maps_param("recipient_canonical_maps");
	conf->virt_alias_maps = mail_addr_maps_param("virtual_alias_maps");
	conf->virt_mailbox_maps = mail_addr_maps_param("virtual_mailbox_maps");
	conf->hdr_rewrite_clients = conf_list("local_header_rewrite_clients");
	conf->client_rest = conf_list("smtpd_client_restrictions");
	conf->helo_rest = conf_list("smtpd_helo_restrictions");
	conf->sender_rest = conf_list("smtpd_sender_restrictions");
	conf->relay_rest = conf_list("smtpd_relay_restrictions");
	conf->rcpt_rest = conf_list("smtpd_recipient_restrictions");
	conf->data_rest = conf_list("smtpd_data_restrictions");
	conf->eod_rest = conf_list("smtpd_end_of_data_restrictions");
	conf->discard_ehlo = conf_str("smtpd_discard_ehlo_keywords");
	conf->discard_ehlo_maps = conf_list("smtpd_discard_ehlo_keyword_address_maps");
	conf->noop_cmds = conf_list("smtpd_noop_commands");
	conf->restriction_classes = conf_list("smtpd_restriction_classes");
	conf->xforward_hosts = addr_match_param("smtpd_authorized_xforward_hosts");
	conf->xclient_hosts = addr_match_param("smtpd_authorized_xclient_hosts");
	conf->uproxy = smtpd_conf_uproxy(conf_str("smtpd_upstream_proxy_protocol"));
	conf->uproxy_timeout = (int)conf_time("smtpd_upstream_proxy_timeout");
}

void
smtpd_conf_load(SMTPD_CONF *conf)
{
	int	 drop = conf->drop;	/* set by the caller */

	memset(conf, 0, sizeof(*conf));
	conf->drop = drop;
	conf->myhostname = conf_str("myhostname");
	conf->banner = conf_str("smtpd_banner");
	conf->myorigin = conf_str("myorigin");
	conf->queue_dir = conf_str("queue_directory");
	conf->rcpt_delim = conf_str("recipient_delimiter");
	conf->null_access_key = conf_str("smtpd_null_access_lookup_key");
	conf->permit_log = conf_list("smtpd_log_access_permit_actions");
	if (conf->permit_log->argc == 0) {
		argv_free(conf->permit_log);
		conf->permit_log = NULL;
	}
	conf->disable_vrfy = conf_bool("disable_vrfy_command");
	conf->forbid_unauth_pipe = conf_bool("smtpd_forbid_unauth_pipelining");
	conf->bare_nl = smtpd_conf_bare_nl(conf_str("smtpd_forbid_bare_newline"));
	conf->helo_required = conf_bool("smtpd_helo_required");
	conf->delay_reject = conf_bool("smtpd_delay_reject");
	conf->delay_open = conf_bool("smtpd_delay_open_until_valid_rcpt");
	conf->peername_lookup = conf_bool("smtpd_peername_lookup");
	conf->port_logging = conf_bool("smtpd_client_port_logging");
	conf->strict_821 = conf_bool("strict_rfc821_envelopes");
	conf->soft_bounce = conf_bool("soft_bounce");
	conf->smtputf8 = conf_bool("smtputf8_enable");
	conf->reject_unlisted_rcpt = conf_bool("smtpd_reject_unlisted_recipient");
	conf->reject_unlisted_sender = conf_bool("smtpd_reject_unlisted_sender");
	smtpd_conf_limits(conf);
	smtpd_conf_lists(conf);
	conf->cleanup = cleanup_conf_load();
	conf->content = cleanup_content_register(conf->cleanup, 1);
	if (!conf->drop) {		/* a user's sendmail -bs: neither */
		smtpd_tls_conf(conf);
		smtpd_sasl_conf(conf);
	}
	smtpd_milter_conf(conf);
	(void)smtpd_dns_init();
}
