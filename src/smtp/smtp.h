/*
 * smtp.h - the smtp/lmtp client transport: shared types. See smtp.c.
 */
#ifndef SMTP_H
#define SMTP_H

#include <sys/socket.h>
#include <stdio.h>
#include <time.h>

#include "addr_match.h"
#include "mail_addr_find.h"
#include "argv.h"
#include "attr.h"
#include "deliver_rcpt.h"
#include "qfile.h"
#include "smtp_reply.h"
#include "vstream.h"
#include "vstring.h"

/* Parameters, read once per process (smtp_conf.c). */
typedef struct SMTP_CONF {
	int	 lmtp;			/* LMTP mode */
	int	 lmtp_final;		/* lmtp_assume_final */
	const char *queue_dir;
	const char *myhostname;
	const char *helo_name;
	const char *bind_addr, *bind_addr6;
	int	 bind_enforce;		/* smtp_bind_address_enforce */
	const char *tcp_port;		/* default port */
	int	 families;		/* DNS_FAM_* from inet_protocols */
	const char *addr_pref;		/* any, ipv4, ipv6 */
	char	*status_filter;		/* smtp/lmtp_delivery_status_filter name */
	int	 always_ehlo, never_ehlo, ehlo_if_esmtp;
	int	 skip_5xx_greeting, skip_quit_resp;
	int	 quote_821;
	long	 line_limit;
	long	 pix_delay, pix_threshold;
	ARGV	*pix_words;		/* smtp_pix_workarounds */
	struct DICT **pix_maps;		/* smtp_pix_workaround_maps, or null */
	int	 pix_nmaps;
	int	 send_xforward;
	long	 tmo_connect, tmo_helo, tmo_xforward, tmo_mail, tmo_rcpt;
	long	 tmo_data_init, tmo_data_xfer, tmo_data_done, tmo_rset, tmo_quit;
	long	 ipc_timeout;
	int	 deadline;		/* smtp_per_record_deadline */
	long	 mx_addr_limit, mx_session_limit;
	int	 randomize, defer_no_mx_addr, ignore_mx_error;
	int	 balance_inet;		/* smtp_balance_inet_protocols */
	const char *best_mx_transport;
	ARGV	*fallback_relay;
	int	 use_dns, use_native;	/* smtp_host_lookup, disable_dns_lookups */
	int	 no_mx;			/* smtp_disable_mx_lookup (ZMailer -x) */
	int	 cname_overrides;	/* smtp_cname_overrides_servername */
	const char *forced_dest;	/* smtp_forced_destination (ZMailer -F) */
	ADDR_MATCH *debug_peers;		/* debug_peer_list */
	int	 debug_level;
	int	 no_mime_conv;		/* disable_mime_output_conversion */
	long	 mime_nesting, mime_boundary_len;
	int	 bit_mode;		/* SMTP_8BIT_* (smtp_8bit_mode) */
	ARGV	*discard_ehlo;		/* smtp_discard_ehlo_keywords */
	struct DICT **discard_maps;	/* ..._keyword_address_maps, or null */
	int	 discard_nmaps;
	struct DICT *reply_filter;	/* smtp_reply_filter, or null */
	ARGV	*dns_filter;		/* smtp_dns_reply_filter, or null */
	long	 cache_time;		/* smtp_connection_cache_time_limit */
	const char *transcript;		/* smtp_transcript_log (ZMailer -l) */
	int	 title;			/* smtp_progress_title (ZMailer -s) */
	ARGV	*my_addrs;		/* inet_interfaces + proxy_interfaces */
	/* TLS (smtp_tls.c) */
	int	 tls_level;		/* SMTP_TLS_* */
	int	 tls_wrapper;		/* smtp_tls_wrappermode */
	int	 tls_timeout;		/* smtp_starttls_timeout */
	int	 tls_note_offer;	/* smtp_tls_note_starttls_offer */
	int	 tls_loglevel;
	struct TLS_CTX *tls_ctx;	/* null: no TLS */
	const char *tls_policy_maps;	/* smtp_tls_policy_maps */
	int	 tls_scache_timeout;	/* > 0: resume TLS sessions */
	int	 dnssec;		/* smtp_dns_support_level = dnssec */
	const char *tls_servername;	/* smtp_tls_servername */
	const char *tls_fp_digest;	/* smtp_tls_fingerprint_digest */
	const char *tls_protocols, *tls_mand_protocols;
	const char *tls_ciphers, *tls_mand_ciphers;
	char	 tls_verify_match_name[128];	/* parameter names (lmtp_) */
	char	 tls_secure_match_name[128];
	char	 tls_fp_match_name[128];
	/* SASL (smtp_sasl.c) */
	int	 sasl_enable;		/* smtp_sasl_auth_enable */
	int	 dummy_mail_auth;	/* smtp_send_dummy_mail_auth (with SASL) */
	const char *sasl_maps;		/* smtp_sasl_password_maps */
	const char *sasl_opts;		/* smtp_sasl_security_options */
	const char *sasl_tls_opts;	/* smtp_sasl_tls_security_options */
	const char *sasl_type;		/* smtp_sasl_type */
	ARGV	*sasl_filter;		/* smtp_sasl_mechanism_filter */
	int	 sasl_sender_dep;	/* smtp_sender_dependent_authentication */
	int	 sasl_soft_bounce;	/* smtp_sasl_auth_soft_bounce */
	int	 sasl_sec, sasl_tls_sec;
	MAIL_ADDR_MAPS *generic;	/* smtp_generic_maps, or null */
} SMTP_CONF;

/* smtp_tls_security_level values, in increasing strength. */
#define SMTP_TLS_NONE		0
#define SMTP_TLS_MAY		1
#define SMTP_TLS_ENCRYPT	2
#define SMTP_TLS_VERIFY		3
#define SMTP_TLS_SECURE		4
#define SMTP_TLS_FINGERPRINT	5	/* mandatory, checked by digest */
#define SMTP_TLS_DANE		6	/* TLSA records (DNSSEC): checked by them */
#define SMTP_TLS_DANE_ONLY	7	/* as asked; a session never keeps it */

#define SMTP_TLS_RETRY		1	/* handshake failed at "may": go plain */

/* PIX firewall workarounds (smtp_pix_workarounds). */
#define SMTP_PIX_NO_ESMTP	(1 << 0)	/* disable_esmtp */
#define SMTP_PIX_DELAY_DOT	(1 << 1)	/* delay_dotcrlf */

#define SMTP_8BIT_AUTO	0
#define SMTP_8BIT_7BIT	1	/* always convert to 7 bit (ZMailer -7) */
#define SMTP_8BIT_8BIT	2	/* never convert (ZMailer -8) */

extern SMTP_CONF smtp_cf;

/* Server features from the EHLO reply. */
#define SMTP_FEAT_ESMTP		(1 << 0)
#define SMTP_FEAT_PIPELINING	(1 << 1)
#define SMTP_FEAT_8BITMIME	(1 << 2)
#define SMTP_FEAT_SIZE		(1 << 3)
#define SMTP_FEAT_DSN		(1 << 4)
#define SMTP_FEAT_XFORWARD	(1 << 5)
#define SMTP_FEAT_SMTPUTF8	(1 << 6)
#define SMTP_FEAT_STARTTLS	(1 << 7)

/* XFORWARD attributes the server named. */
#define SMTP_XF_NAME	(1 << 0)
#define SMTP_XF_ADDR	(1 << 1)
#define SMTP_XF_PROTO	(1 << 2)
#define SMTP_XF_HELO	(1 << 3)

/* One destination address to try. */
typedef struct SMTP_ADDR {
	struct SMTP_ADDR *next;
	char	*host;			/* MX host or the nexthop host */
	char	 addr[112];		/* numeric, or the socket path */
	struct sockaddr_storage sa;
	socklen_t salen;
	int	 port;			/* 0 for unix: */
	unsigned pref;
	int	 fallback;		/* from fallback_relay */
} SMTP_ADDR;


/* An SMTP or LMTP session. */
typedef struct SMTP_SESS {
	VSTREAM	*stream;
	char	*dest;			/* the nexthop this session serves */
	char	*host;
	char	 addr[112];
	int	 port;
	VSTRING	*relay;			/* host[addr]:port */
	VSTRING	*namaddr;		/* host[addr] */
	int	 features;
	int	 xforward;
	long	 size_limit;
	int	 lmtp;
	int	 reused;
	long	 reuse_count;		/* requests after the first */
	int	 debug;			/* log the transcript */
	int	 broken;		/* do not reuse */
	int	 rset_pending;		/* RSET sent, its reply not yet read */
	int	 pix;			/* SMTP_PIX_*: PIX workarounds in force */
	VSTRING	*greeting;
	time_t	 idle_since;
	SMTP_REPLY resp;
	VSTRING	*line;
	struct TLS_SESS *tls;		/* null: plaintext */
	int	 no_tls;		/* retry after a failed handshake */
	int	 tls_level;		/* this session's policy (smtp_tls_policy.c) */
	struct TLS_CTX *tls_ctx;
	ARGV	*tls_match;		/* names or fingerprints to match */
	char	*tls_sni;		/* smtp_tls_servername or servername= */
	struct TLS_DANE_RR *tls_dane;	/* TLSA records, at SMTP_TLS_DANE */
	int	 tls_ndane;
	VSTRING	*sasl_mechs;		/* EHLO AUTH mechanisms, or null */
	int	 no_echo;		/* SASL exchange: keep it out of logs */
	int	 filter_err;		/* smtp_reply_filter lookup failed */
	long	 rec_timeout;		/* smtp_per_record_deadline: per line */
} SMTP_SESS;

/* One recipient of a request. */
typedef struct SMTP_RCPT {
	long	 index;			/* rcpt_index */
	char	*addr;
	char	*orcpt;
	char	*notify;		/* text as received, or null */
	char	*gen_addr;		/* smtp_generic_maps result, or null */
	int	 done;			/* final result recorded */
	int	 accepted;		/* RCPT 2xx in the current transaction */
} SMTP_RCPT;

/* A delivery request from the qmgr. */
typedef struct SMTP_REQ {
	ATTR	*attr;			/* the raw request */
	VSTREAM	*client;		/* back to the qmgr */
	DELIVER_REQ dr;			/* queue file, sender, origin, times */
	struct timespec t_start, t_conn, t_xfer;
	SMTP_RCPT *rcpt;
	int	 nrcpt;
	int	 pending;		/* recipients without a final result */
	QF_MSG	*msg;
	int	 has8bit;
	int	 final_server;		/* no other address will be tried */
	int	 sessions;		/* sessions that got past HELO */
	int	 dest_failed;		/* no server could be reached at all */
	VSTRING	*why;			/* the last session-level problem */
	char	 why_dsn[16];
	int	 why_soft;
	char	*gen_sender;		/* smtp_generic_maps result, or null */
	VSTRING	*gen_hdr;		/* rewritten header, or null... */
	off_t	 gen_off;		/* ...for the content's first bytes */
} SMTP_REQ;

/* What goes on the wire: after smtp_generic_maps (smtp_generic.c). */
#define SMTP_SENDER_OUT(req)	((req)->gen_sender ? (req)->gen_sender : (req)->dr.sender)
#define SMTP_RCPT_OUT(rcpt)	((rcpt)->gen_addr ? (rcpt)->gen_addr : (rcpt)->addr)
#define SMTP_REQ_SIZE(req)	((req)->msg->content_size + ((req)->gen_hdr ? \
	    (off_t)vstring_len((req)->gen_hdr) - (req)->gen_off : 0))

/* smtp_conf.c */
void	 smtp_conf_load(const char *, const char *);
const char *smtp_pname(const char *);	/* smtp_x, or lmtp_x in LMTP mode */
struct DICT **smtp_conf_maps(const char *, int *);

/* smtp_addr.c */
int	 smtp_addr_resolve(const char *, SMTP_ADDR **, VSTRING *, char *);
int	 smtp_addr_nexthop(const char *, VSTRING *, int *, int *, int *);
void	 smtp_addr_free(SMTP_ADDR *);
int	 smtp_addr_is_mine(const SMTP_ADDR *);

/* smtp_session.c */
SMTP_SESS *smtp_sess_open(SMTP_ADDR *, const char *, const char *, VSTRING *,
	    char *);
SMTP_SESS *smtp_sess_new(int, SMTP_ADDR *, const char *);
void	 smtp_sess_close(SMTP_SESS *, int);
int	 smtp_cmd(SMTP_SESS *, long, const char *, ...) PRINTFLIKE(3, 4);
int	 smtp_send(SMTP_SESS *, long, const char *, ...) PRINTFLIKE(3, 4);
int	 smtp_flush(SMTP_SESS *);
int	 smtp_resp(SMTP_SESS *, long);
void	 smtp_transcript(SMTP_SESS *, int, const char *, size_t);
void	 smtp_sess_say(SMTP_SESS *, VSTRING *, const char *);

/* smtp_tls.c */
void	 smtp_tls_conf(void);
int	 smtp_tls_wrap(SMTP_SESS *, VSTRING *, char *);
int	 smtp_tls_starttls(SMTP_SESS *, VSTRING *, char *);
void	 smtp_tls_close(SMTP_SESS *);

/* smtp_tls_policy.c */
struct TLS_CTX_ARGS;
void	 smtp_tls_policy_conf(const struct TLS_CTX_ARGS *);
int	 smtp_tls_policy(SMTP_SESS *, VSTRING *, char *);
int	 smtp_tls_policy_level(const char *);	/* SMTP_TLS_*, -1 */
const char *smtp_tls_policy_sni(SMTP_SESS *, char **);
int	 smtp_tls_policy_check(SMTP_SESS *, int *);
void	 smtp_tls_policy_free(SMTP_SESS *);

/* smtp_sasl.c */
void	 smtp_sasl_conf(void);
int	 smtp_sasl_auth(SMTP_SESS *, const char *, VSTRING *, char *);

/* smtp_cache.c: which sessions are kept for the next request */
void	 smtp_cache_conf(void);
int	 smtp_cache_keep(const SMTP_SESS *);

/* smtp_connect.c */
int	 smtp_connect_deliver(SMTP_REQ *, SMTP_SESS **);

/* smtp_proto.c */
int	 smtp_helo(SMTP_SESS *, VSTRING *, char *);
int	 smtp_xfer(SMTP_REQ *, SMTP_SESS *);

/* smtp_body.c: the content writer (CRLF, dot-stuffing, line folding) */
typedef struct SMTP_OUT {
	SMTP_SESS *sess;
	long	 col;			/* bytes on the current output line */
	int	 err;
} SMTP_OUT;

int	 smtp_body_has8(SMTP_REQ *);
int	 smtp_body_send(SMTP_REQ *, SMTP_SESS *, int);
void	 smtp_out_text(SMTP_OUT *, const char *, size_t, int);

/* smtp_mime.c: 8-bit to quoted-printable on the fly */
typedef struct SMTP_MIME SMTP_MIME;
void	 smtp_body_line(SMTP_OUT *, SMTP_MIME *, const char *, size_t, int);

/* smtp_hbc.c: smtp_header_checks, smtp_body_checks */
typedef struct SMTP_HBC SMTP_HBC;
void	 smtp_hbc_conf(void);
SMTP_HBC *smtp_hbc_begin(SMTP_REQ *, SMTP_OUT *, SMTP_MIME *);
void	 smtp_hbc_line(SMTP_HBC *, const char *, size_t, int);
void	 smtp_hbc_end(SMTP_HBC *);

SMTP_MIME *smtp_mime_create(SMTP_OUT *, long, long);
void	 smtp_mime_line(SMTP_MIME *, const char *, size_t, int);
void	 smtp_mime_free(SMTP_MIME *);

/* smtp_hdr8.c: 8-bit headers to RFC 2047 encoded-words */
int	 smtp_hdr8_encode(VSTRING *, const char *);

/* smtp_result.c */
void	 smtp_rcpt_result(SMTP_REQ *, SMTP_RCPT *, SMTP_SESS *, const char *, const char *);
void	 smtp_rcpt_resp(SMTP_REQ *, SMTP_RCPT *, SMTP_SESS *, const char *);
void	 smtp_rcpt_rest(SMTP_REQ *, SMTP_SESS *, const char *, const char *);
void	 smtp_req_why(SMTP_REQ *, const char *, int, const char *, ...) PRINTFLIKE(4, 5);

/* smtp_generic.c: smtp_generic_maps */
void	 smtp_generic_conf(void);
int	 smtp_generic_prepare(SMTP_REQ *);
void	 smtp_generic_field(SMTP_REQ *, VSTRING *);
void	 smtp_generic_free(SMTP_REQ *);

/* smtp_title.c */
void	 smtp_title_init(int, char **);
void	 smtp_title(const char *, ...) PRINTFLIKE(1, 2);

#endif
