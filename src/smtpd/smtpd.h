/*
 * smtpd.h - the SMTP server's shared state and module interfaces.
 * See smtpd.c (main, session loop) and the smtpd_*.c modules.
 */
#ifndef SMTPD_H
#define SMTPD_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>

#include "addr_match.h"
#include "dns.h"
#include "addr_parse.h"
#include "argv.h"
#include "cleanup_content.h"
#include "domain_list.h"
#include "maildrop.h"
#include "mail_addr_find.h"
#include "qfile.h"
#include "resolve_class.h"
#include "vstream.h"
#include "vstring.h"

#define SMTPD_CMD_LIMIT		2048	/* command line bytes (without CRLF) */
#define SMTPD_NAME_MAX		256	/* client host name */
#define SMTPD_ADDR_MAX		64	/* client address text */

/* smtpd_forbid_bare_newline values. */
#define SMTPD_BARE_NL_NO	0
#define SMTPD_BARE_NL_NORMALIZE	1
#define SMTPD_BARE_NL_REJECT	2

/* XFORWARD attributes (smtpd_xforward.c). */
#define SMTPD_XF_NAME		0
#define SMTPD_XF_ADDR		1
#define SMTPD_XF_PORT		2
#define SMTPD_XF_PROTO		3
#define SMTPD_XF_HELO		4
#define SMTPD_XF_IDENT		5
#define SMTPD_XF_SOURCE		6
#define SMTPD_XF_COUNT		7

/* Restriction results. */
#define SMTPD_CHECK_DUNNO	0	/* no decision, go on */
#define SMTPD_CHECK_OK		1	/* permit (ends this list) */
#define SMTPD_CHECK_REJECT	2	/* reply is in state->check_reply */

/* Restriction list classes (what a reject names). */
#define SMTPD_CLASS_CLIENT	0
#define SMTPD_CLASS_HELO	1
#define SMTPD_CLASS_SENDER	2
#define SMTPD_CLASS_RCPT	3
#define SMTPD_CLASS_DATA	4
#define SMTPD_CLASS_EOD		5
#define SMTPD_CLASS_REV_CLIENT	6	/* the unverified PTR name */
#define SMTPD_CLASS_CCERT	7	/* check_ccert_access */

/* Per-process configuration, read once in post_init. */
typedef struct SMTPD_CONF {
	const char *myhostname;
	const char *banner;
	const char *myorigin;
	const char *queue_dir;
	const char *rcpt_delim;
	const char *null_access_key;	/* smtpd_null_access_lookup_key */
	int	 stress;		/* values below read under stress */
	int	 drop;			/* stand-alone, ordinary user: maildrop/ */
	int	 timeout;
	int	 deadline;		/* smtpd_per_record_deadline */
	int	 min_data_rate;		/* smtpd_min_data_rate, bytes/s */
	int	 soft_erlim;
	int	 hard_erlim;
	int	 err_sleep;
	int	 rcpt_limit;
	int	 rcpt_overlim;		/* smtpd_recipient_overshoot_limit */
	int	 junk_limit;
	long long size_limit;
	long long queue_minfree;	/* queue_minfree */
	long long line_limit;
	long long hdr_limit;
	int	 disable_vrfy;
	int	 forbid_unauth_pipe;
	int	 bare_nl;
	int	 helo_required;
	int	 delay_reject;
	int	 delay_open;		/* smtpd_delay_open_until_valid_rcpt */
	int	 peername_lookup;
	int	 reject_unlisted_rcpt;
	int	 reject_unlisted_sender;
	int	 parent_match_access;	/* parent_domain_matches_subdomains */
	ADDR_MATCH *bare_nl_excl;
	ADDR_MATCH *mynetworks;
	ADDR_MATCH *perm_mx_networks;	/* permit_mx_backup_networks, or null */
	RESOLVE_CLASS *resolve;		/* mydestination, relay_domains */
	ARGV	*inet_interfaces;
	MAIL_ADDR_MAPS *local_rcpt_maps;
	MAIL_ADDR_MAPS *cmd_filter;	/* smtpd_command_filter; null: none */
	MAIL_ADDR_MAPS *relay_rcpt_maps;
	MAIL_ADDR_MAPS *relocated_maps;
	MAIL_ADDR_MAPS *canon_maps;
	MAIL_ADDR_MAPS *rcpt_canon_maps;
	MAIL_ADDR_MAPS *virt_alias_maps;
	MAIL_ADDR_MAPS *virt_mailbox_maps;
	CLEANUP_CONF *cleanup;		/* cleanup(3) stage, per process */
	struct CLEANUP_CONTENT *content;	/* checks, milters (cleanup_content(3)) */
	ARGV	*hdr_rewrite_clients;
	ARGV	*client_rest;
	ARGV	*helo_rest;
	ARGV	*sender_rest;
	ARGV	*relay_rest;
	ARGV	*rcpt_rest;
	ARGV	*data_rest;
	ARGV	*eod_rest;
	int	 reject_code;
	int	 defer_code;
	int	 relay_code;
	int	 access_reject_code;
	int	 access_defer_code;
	int	 unknown_local_code;
	int	 unknown_relay_code;
	int	 unknown_valias_code;
	int	 unknown_vmailbox_code;
	int	 unknown_addr_code;
	int	 unknown_addr_defer;	/* unknown_address_tempfail_action = defer */
	int	 show_unknown_table;	/* show_user_unknown_table_name */
	int	 non_fqdn_code;
	int	 invalid_hostname_code;
	int	 bare_nl_code;		/* smtpd_forbid_bare_newline_reject_code */
	int	 port_logging;		/* smtpd_client_port_logging */
	int	 strict_821;		/* strict_rfc821_envelopes */
	int	 soft_bounce;		/* soft_bounce: 5xx replies become 4xx */
	int	 smtputf8;		/* smtputf8_enable */
	const char *discard_ehlo;	/* smtpd_discard_ehlo_keywords */
	ARGV	*discard_ehlo_maps;	/* smtpd_discard_ehlo_keyword_address_maps */
	ARGV	*noop_cmds;		/* smtpd_noop_commands */
	ARGV	*restriction_classes;	/* smtpd_restriction_classes */
	ARGV	*permit_log;		/* smtpd_log_access_permit_actions, or null */
	ADDR_MATCH *xforward_hosts;	/* smtpd_authorized_xforward_hosts */
	ADDR_MATCH *xclient_hosts;	/* smtpd_authorized_xclient_hosts */
	int	 uproxy;		/* smtpd_upstream_proxy_protocol */
	int	 uproxy_timeout;	/* smtpd_upstream_proxy_timeout */
	/* TLS (smtpd_tls.c) */
	int	 tls_level;		/* SMTPD_TLS_* */
	int	 tls_wrapper;		/* smtpd_tls_wrappermode */
	int	 tls_received;		/* smtpd_tls_received_header */
	int	 tls_timeout;		/* smtpd_starttls_timeout */
	int	 tls_loglevel;
	int	 tls_ask_ccert;		/* smtpd_tls_ask_ccert (or req_ccert) */
	int	 tls_req_ccert;		/* smtpd_tls_req_ccert, at encrypt */
	const char *tls_fp_digest;	/* smtpd_tls_fingerprint_digest */
	MAIL_ADDR_MAPS *relay_ccerts;	/* relay_clientcerts, or null */
	struct TLS_CTX *tls_ctx;	/* null: no TLS */
	/* SASL (smtpd_sasl.c) */
	int	 sasl_enable;		/* smtpd_sasl_auth_enable */
	int	 sasl_auth_only;	/* smtpd_tls_auth_only */
	int	 sasl_broken;		/* broken_sasl_auth_clients */
	int	 sasl_header;		/* smtpd_sasl_authenticated_header */
	int	 sasl_resp_limit;	/* smtpd_sasl_response_limit */
	int	 sasl_sec;		/* smtpd_sasl_security_options */
	int	 sasl_tls_sec;		/* smtpd_sasl_tls_security_options */
	const char *sasl_service;
	const char *sasl_realm;
	ADDR_MATCH *sasl_excl;		/* smtpd_sasl_exceptions_networks */
	MAIL_ADDR_MAPS *login_maps;	/* smtpd_sender_login_maps */
	struct XSASL_SERVER_IMPL *sasl_impl;	/* null: AUTH is off */
	/* Milters (smtpd_milter.c) */
	const char *milters;		/* smtpd_milters */
	int	 no_milters;		/* receive_override_options */
	int	 no_unknown_rcpt;	/* ... no_unknown_recipient_checks */
#define SMTPD_MILTER_MAPS	8
	struct DICT *milter_maps[SMTPD_MILTER_MAPS];
	int	 nmilter_maps;
} SMTPD_CONF;

/* smtpd_upstream_proxy_protocol values. */
#define SMTPD_UPROXY_NONE	0
#define SMTPD_UPROXY_HAPROXY	1

/* smtpd_tls_security_level values. */
#define SMTPD_TLS_NONE		0
#define SMTPD_TLS_MAY		1
#define SMTPD_TLS_ENCRYPT	2

/* Per-command statistics for the "disconnect from" line. */
#define SMTPD_NSTAT	16
typedef struct SMTPD_STAT {
	const char *name;
	int	 ok;
	int	 total;
} SMTPD_STAT;

/* Message reception (DATA and BDAT share it). */
typedef struct SMTPD_MSG {
	int	 too_big;		/* message_size_limit exceeded */
	int	 write_err;		/* unused: cleanup(3) reports errors */
	int	 bare_lf;		/* saw a bare LF (reject mode) */
	long long size;			/* content bytes received */
	int	 pending_cr;		/* BDAT: chunk ended in CR */
} SMTPD_MSG;

/*
 * What access-table and policy actions left for the transaction
 * (smtpd_policy.c): PREPEND headers, REDIRECT, FILTER, and the pending
 * DEFER_IF_PERMIT / DEFER_IF_REJECT replies of the restriction stage.
 */
typedef struct SMTPD_ACTIONS {
	ARGV	*prepend;		/* header lines, or null */
	char	*redirect;		/* REDIRECT address, or null */
	int	 redirected;		/* redirect recipient written */
	char	*filter;		/* FILTER transport:nexthop, or null */
	char	*defer_if_permit;	/* reply, or null */
	char	*defer_if_reject;	/* reply, or null */
	char	*delayed_dip;		/* DEFER_IF_PERMIT of the delayed lists */
	char	 instance[64];		/* policy "instance": per transaction */
} SMTPD_ACTIONS;

typedef struct SMTPD_STATE {
	const SMTPD_CONF *conf;
	VSTREAM	*client;
	/* Peer. */
	char	 addr[SMTPD_ADDR_MAX];
	char	 name[SMTPD_NAME_MAX];
	char	 laddr[SMTPD_ADDR_MAX];	/* server address (proxied) */
	int	 lport;			/* server port (proxied) */
	int	 port;
	int	 family;
	char	*namaddr;		/* "name[addr]" */
	char	 reverse_name[SMTPD_NAME_MAX];	/* PTR name, unverified */
	int	 name_status;		/* SMTPD_PEER_* of name */
	int	 reverse_status;	/* SMTPD_PEER_* of reverse_name */
	void	*dns_cache;		/* smtpd_rbl.c: this session's lookups */
	int	 is_mynet;		/* client in mynetworks (-1: unknown) */
	int	 bare_nl;		/* effective smtpd_forbid_bare_newline */
	int	 rewrite_hdrs;		/* local_header_rewrite_clients match */
	int	 denied;		/* client rejected at connect */
	int	 hangup;		/* no client (bad proxy header): drop */
	ARGV	*ehlo_discard;		/* smtpd_ehlo.c: discarded keywords */
	int	 xf_allowed;		/* smtpd_authorized_xforward_hosts (-1: ?) */
	int	 xc_allowed;		/* smtpd_authorized_xclient_hosts (-1: ?) */
	char	*xf[SMTPD_XF_COUNT];	/* XFORWARD attributes, or null */
	char	*xf_namaddr;		/* forwarded "name[addr]" */
	int	 anvil;			/* counted by smtpd_anvil (-1: unknown) */
	/* Session. */
	const char *where;		/* command in progress, for logs */
	char	*helo;
	const char *protocol;		/* "SMTP", "ESMTP" */
	int	 ehlo;			/* EHLO was used: pipelining allowed */
	int	 ill_pipelining;	/* improper pipelining seen (logged once) */
	int	 error_count;
	int	 junk_count;		/* NOOP, RSET, VRFY, HELP */
	int	 quit;			/* end the session */
	struct TLS_SESS *tls;		/* null: plaintext */
	char	*ccert_fp;		/* client certificate fingerprint, or null */
	char	*ccert_pkey_fp;		/* ... of its public key */
	int	 nstat;
	SMTPD_STAT stat[SMTPD_NSTAT];
	/* SMTP AUTH (smtpd_sasl.c). */
	struct XSASL_SERVER *sasl;	/* back-end session, or null */
	char	*sasl_username;		/* null: not authenticated */
	char	*sasl_method;
	char	*sasl_sender;		/* MAIL FROM AUTH=<...> */
	int	 sasl_tries;		/* AUTH commands so far */
	int	 sasl_busy;		/* reading a response: do not echo it */
	VSTRING	*buf;			/* command line */
	VSTRING	*reply;			/* scratch for replies */
	VSTRING	*check_reply;		/* restriction reject text */
	int	 warn_if_reject;
	/* Transaction. */
	char	*sender;		/* null: no MAIL yet */
	long long decl_size;		/* MAIL SIZE= */
	const char *body;		/* "7BIT", "8BITMIME", "BINARYMIME" or null */
	int	 smtputf8;
	int	 dsn_ret;
	char	*dsn_envid;
	int	 rcpt_count;
	int	 rcpt_overshoot;	/* RCPTs refused beyond rcpt_limit */
	char	*first_rcpt;
	ARGV	*rcpts;			/* accepted recipients, for the log */
	CLEANUP	*cleanup;		/* the message being queued */
	MAILDROP_FILE *drop;		/* ... or its maildrop file (conf->drop) */
	MAILDROP_ENV *drop_env;		/* ... and envelope, written at DATA */
	int	 drop_content;		/* the envelope is written */
	char	 queue_id[QF_ID_LEN + 1];
	int	 hold;
	int	 discard;
	char	*hold_why;
	int	 sender_checked;	/* delay_reject: cached outcome */
	int	 sender_check_result;
	char	*sender_check_reply;
	int	 bdat;			/* BDAT in progress */
	int	 bdat_bad;		/* BDAT chunk being discarded */
	SMTPD_ACTIONS act;		/* smtpd_policy.c */
	/* Milters (smtpd_milter.c). */
	struct MILTERS *milters;	/* null: none for this session */
	VSTRING	*milter_mac;		/* scratch for macro values */
	const char *milter_rcpt;	/* recipient of the RCPT event */
	int	 milter_rcpt_rej;	/* ... which smtpd refused */
	char	*milter_denied;		/* connect-time rejection */
	SMTPD_MSG msg;
} SMTPD_STATE;

/* smtpd_conf.c */
void	 smtpd_conf_load(SMTPD_CONF *);
void	 smtpd_conf_stress(SMTPD_CONF *, int);

/* smtpd.c */
int	 smtpd_stress_update(void);	/* 1: stress changed, limits re-read */

/* smtpd_chat.c */
void	 smtpd_chat_reply(SMTPD_STATE *, const char *, ...) PRINTFLIKE(2, 3);
void	 smtpd_chat_reply_uncounted(SMTPD_STATE *, const char *, ...) PRINTFLIKE(2, 3);
void	 smtpd_chat_reply_lines(SMTPD_STATE *, const char *);
void	 smtpd_chat_flush(SMTPD_STATE *);
int	 smtpd_chat_query(SMTPD_STATE *);
int	 smtpd_chat_query_limit(SMTPD_STATE *, int);
int	 smtpd_chat_pending(SMTPD_STATE *);
int	 smtpd_chat_lost(SMTPD_STATE *, int);

/* smtpd.c */
int	 smtpd_rewrite_clients(SMTPD_STATE *);	/* local_header_rewrite_clients */

/* smtpd_xclient.c */
int	 smtpd_xclient_allowed(SMTPD_STATE *);
int	 smtpd_xclient_cmd(SMTPD_STATE *, const char *);

/* smtpd_xforward.c */
int	 smtpd_xforward_allowed(SMTPD_STATE *);
int	 smtpd_xforward_cmd(SMTPD_STATE *, const char *);
void	 smtpd_xforward_reset(SMTPD_STATE *);
const char *smtpd_client_name(const SMTPD_STATE *);
const char *smtpd_client_addr(const SMTPD_STATE *);
const char *smtpd_client_port(const SMTPD_STATE *, char *, size_t);
const char *smtpd_client_helo(const SMTPD_STATE *);
const char *smtpd_client_protocol(const SMTPD_STATE *);
const char *smtpd_client_namaddr(SMTPD_STATE *);
int	 smtpd_xattr_parse(SMTPD_STATE *, int allowed, const char *,
	    const char *, const char *const *, int,
	    int (*)(int, const char *, VSTRING *), char **, int *);

/* smtpd_ehlo.c */
void	 smtpd_ehlo_reply(SMTPD_STATE *, ARGV *);
int	 smtpd_ehlo_discarded(SMTPD_STATE *, const char *);
int	 smtpd_ehlo_command_hidden(SMTPD_STATE *, const char *);

/* smtpd_cmd.c */
void	 smtpd_cmd_dispatch(SMTPD_STATE *);
void	 smtpd_cmd_stat_line(SMTPD_STATE *, VSTRING *);
int	 smtpd_cmd_pipelining(SMTPD_STATE *);
int	 smtpd_cmd_pipe_detect(SMTPD_STATE *);
void	 smtpd_cmd_pipe_text(SMTPD_STATE *, VSTRING *);

/* smtpd_proto.c */
int	 smtpd_proto_mail(SMTPD_STATE *, const char *);
int	 smtpd_proto_rcpt(SMTPD_STATE *, const char *);
int	 smtpd_proto_vrfy(SMTPD_STATE *, const char *);
void	 smtpd_proto_reset(SMTPD_STATE *);
int	 smtpd_proto_size(const char *, long long *);

/* smtpd_tls.c, smtpd_scache.c */
void	 smtpd_tls_conf(SMTPD_CONF *);
void	 smtpd_scache_conf(struct TLS_CTX *, const char *, int);
int	 smtpd_tls_offer(SMTPD_STATE *);
int	 smtpd_tls_cmd(SMTPD_STATE *, const char *);
int	 smtpd_tls_wrapper(SMTPD_STATE *);
int	 smtpd_tls_required(SMTPD_STATE *);
void	 smtpd_tls_received(SMTPD_STATE *, VSTRING *);
void	 smtpd_tls_end(SMTPD_STATE *);

/* smtpd_sasl.c, smtpd_sasl_check.c */
void	 smtpd_sasl_conf(SMTPD_CONF *);
void	 smtpd_sasl_ehlo(SMTPD_STATE *, ARGV *);
int	 smtpd_sasl_cmd(SMTPD_STATE *, const char *);
void	 smtpd_sasl_reset(SMTPD_STATE *);
int	 smtpd_sasl_mail_opt(SMTPD_STATE *, const char *);
void	 smtpd_sasl_log(SMTPD_STATE *, VSTRING *);
void	 smtpd_sasl_received(SMTPD_STATE *, VSTRING *);
/* smtpd_milter.c */
void	 smtpd_milter_conf(SMTPD_CONF *);
int	 smtpd_milter_connect(SMTPD_STATE *);
int	 smtpd_milter_denied(SMTPD_STATE *);
int	 smtpd_milter_helo(SMTPD_STATE *);
int	 smtpd_milter_mail(SMTPD_STATE *, const char *, ARGV *);
int	 smtpd_milter_rcpt(SMTPD_STATE *, const char *, ARGV *);
void	 smtpd_milter_rcpt_rej(SMTPD_STATE *, const char *);
int	 smtpd_milter_unknown(SMTPD_STATE *, const char *);
int	 smtpd_milter_data(SMTPD_STATE *);
void	 smtpd_milter_abort(SMTPD_STATE *);
void	 smtpd_milter_end(SMTPD_STATE *);

/* smtpd_etrn.c */
int	 smtpd_etrn_cmd(SMTPD_STATE *, const char *);

/* smtpd_data.c */
int	 smtpd_data_cmd(SMTPD_STATE *, const char *);
int	 smtpd_data_bdat(SMTPD_STATE *, const char *);

/* smtpd_msg.c: content to the queue file */
void	 smtpd_msg_begin(SMTPD_STATE *);
void	 smtpd_msg_line(SMTPD_STATE *, const char *, size_t, int);
void	 smtpd_msg_end(SMTPD_STATE *);

/* smtpd_queue.c */
int	 smtpd_queue_open(SMTPD_STATE *);
int	 smtpd_queue_rcpt(SMTPD_STATE *, const char *, const char *, int);
void	 smtpd_queue_received(SMTPD_STATE *, VSTRING *);
void	 smtpd_queue_write(SMTPD_STATE *, const char *, size_t);
void	 smtpd_queue_line(SMTPD_STATE *, const char *, size_t, int);
int	 smtpd_queue_commit(SMTPD_STATE *, VSTRING *);
void	 smtpd_queue_abort(SMTPD_STATE *);

/* smtpd_check.c: one restriction list evaluation */
typedef struct SMTPD_CHECK {
	SMTPD_STATE *state;
	int	 class;			/* SMTPD_CLASS_* */
	const char *rcpt;		/* recipient being checked, or null */
	int	 depth;			/* restrictions from access results */
	const char *table;		/* table or policy server answering, or null */
} SMTPD_CHECK;

#define SMTPD_CHECK_DEPTH	5

int	 smtpd_check_list(SMTPD_CHECK *, ARGV *);
int	 smtpd_check_client(SMTPD_STATE *);
int	 smtpd_check_helo(SMTPD_STATE *);
int	 smtpd_check_sender(SMTPD_STATE *);
int	 smtpd_check_rcpt(SMTPD_STATE *, const char *);
int	 smtpd_check_data(SMTPD_STATE *);
int	 smtpd_check_eod(SMTPD_STATE *);
int	 smtpd_check_mynetworks(SMTPD_STATE *);
int	 smtpd_check_rcpt_dest(SMTPD_CHECK *, int *);
int	 smtpd_sasl_check(SMTPD_CHECK *, const char *);	/* smtpd_sasl_check.c */
int	 smtpd_check_misc(SMTPD_CHECK *, const char *);	/* smtpd_check_misc.c */
int	 smtpd_check_sleep(SMTPD_CHECK *, const char *, int);
int	 smtpd_check_backup(SMTPD_CHECK *);	/* smtpd_check_backup.c */

/* smtpd_check_server.c: check_*_{mx,ns,a}_access (which: subject + type) */
#define SMTPD_SRV_MX		0
#define SMTPD_SRV_NS		1
#define SMTPD_SRV_A		2
#define SMTPD_SRV_TYPE		3	/* mask of the type */
#define SMTPD_SRV_CLIENT	(0 << 2)
#define SMTPD_SRV_REVERSE	(1 << 2)
#define SMTPD_SRV_HELO		(2 << 2)
#define SMTPD_SRV_SENDER	(3 << 2)
#define SMTPD_SRV_RCPT		(4 << 2)
int	 smtpd_check_server(SMTPD_CHECK *, const char *, int);
int	 smtpd_check_reverse(SMTPD_CHECK *, const char *, int);
/* smtpd_check_tls.c: client certificate restrictions */
int	 smtpd_check_tls(SMTPD_CHECK *, const char *);
int	 smtpd_check_ccert_access(SMTPD_CHECK *, const char *, int);

/* smtpd_reject.c */
extern const char *smtpd_reject_class_text[];
int	 smtpd_reject(SMTPD_CHECK *, int, const char *, const char *, ...)
	    PRINTFLIKE(4, 5);
int	 smtpd_reject_class(SMTPD_CHECK *, int, const char *, const char *);
const char *smtpd_reject_name(SMTPD_CHECK *);
void	 smtpd_reject_log(SMTPD_STATE *, const char *, const char *,
	    const char *);
void	 smtpd_reject_permit(SMTPD_CHECK *, const char *, int);

/* smtpd_access.c */
#define SMTPD_ACCESS_HOST	0
#define SMTPD_ACCESS_CLIENT	1
#define SMTPD_ACCESS_MAIL	2
int	 smtpd_access_find(const char *, int, const char *, const char *,
	    const SMTPD_CONF *, VSTRING *);
int	 smtpd_access_check(SMTPD_CHECK *, const char *, int);
int	 smtpd_access_action(SMTPD_CHECK *, const char *);
const char *smtpd_access_dsn_split(const char *, const char *, char *, size_t);

/* smtpd_resolve.c: address classes */
#define SMTPD_DEST_LOCAL	RESOLVE_CLASS_LOCAL
#define SMTPD_DEST_RELAY	RESOLVE_CLASS_RELAY
#define SMTPD_DEST_OTHER	RESOLVE_CLASS_OTHER
#define SMTPD_DEST_VALIAS	RESOLVE_CLASS_VALIAS
#define SMTPD_DEST_VMAILBOX	RESOLVE_CLASS_VMAILBOX
int	 smtpd_resolve_class(SMTPD_STATE *, const char *, int *);
int	 smtpd_resolve_routed(SMTPD_STATE *, const char *);
int	 smtpd_resolve_known_rcpt(SMTPD_STATE *, const char *, int, int *,
	    VSTRING *);
char	*smtpd_resolve_qualify(const SMTPD_CONF *, const char *);

/* smtpd_peer.c */
#define SMTPD_PEER_OK		0	/* found (and verified) */
#define SMTPD_PEER_PERM		1	/* not found, or does not verify */
#define SMTPD_PEER_TEMP		2	/* temporary lookup failure */
void	 smtpd_peer_init(SMTPD_STATE *);
void	 smtpd_peer_update(SMTPD_STATE *);
int	 smtpd_peer_unknown(SMTPD_CHECK *, int);
int	 smtpd_peer_local_addr(const char *);

/* smtpd_anvil.c: client limits (anvil(3)) */
void	 smtpd_anvil_init(const char *);
int	 smtpd_anvil_connect(SMTPD_STATE *);
void	 smtpd_anvil_disconnect(SMTPD_STATE *);
int	 smtpd_anvil_mail(SMTPD_STATE *);
int	 smtpd_anvil_rcpt(SMTPD_STATE *);
int	 smtpd_anvil_newtls(SMTPD_STATE *);
int	 smtpd_anvil_auth(SMTPD_STATE *);

/* smtpd_policy.c: check_policy_service and the actions it shares */
int	 smtpd_policy_check(SMTPD_CHECK *, const char *, int);
int	 smtpd_policy_action(SMTPD_CHECK *, const char *, const char *);
void	 smtpd_policy_stage(SMTPD_STATE *);
int	 smtpd_policy_finish(SMTPD_CHECK *, int);
void	 smtpd_policy_reset(SMTPD_STATE *);
void	 smtpd_policy_delayed(SMTPD_STATE *, int);
void	 smtpd_policy_headers(SMTPD_STATE *, VSTRING *);

/* smtpd_rbl.c: DNS block and allow lists */
#define SMTPD_RBL_CLIENT	0	/* reject_rbl_client */
#define SMTPD_RBL_RHS_CLIENT	1	/* reject_rhsbl_client */
#define SMTPD_RBL_RHS_REVERSE	2	/* reject_rhsbl_reverse_client */
#define SMTPD_RBL_RHS_HELO	3	/* reject_rhsbl_helo */
#define SMTPD_RBL_RHS_SENDER	4	/* reject_rhsbl_sender */
#define SMTPD_RBL_RHS_RCPT	5	/* reject_rhsbl_recipient */
#define SMTPD_RBL_DNSWL		6	/* permit_dnswl_client */
#define SMTPD_RBL_RHSWL		7	/* permit_rhswl_client */
int	 smtpd_rbl_check(SMTPD_CHECK *, const char *, int);
int	 smtpd_rbl_lookup(SMTPD_STATE *, const char *, int, const DNS_RR **);
void	 smtpd_rbl_free(SMTPD_STATE *);

/* smtpd_dns.c */
int	 smtpd_dns_init(void);
int	 smtpd_dns_domain_exists(const char *);	/* 1 yes, 0 no, -1 tempfail */
int	 smtpd_dns_configured(void);	/* dns_resolver_address is set */
DNS_RR	*smtpd_dns_filter(DNS_RR *);	/* smtpd_dns_reply_filter */

#endif
