/*
 * milter.h - Sendmail milter protocol client (protocol version 2..6):
 * one milter (milter8.c) and a chain of them (milter.c).
 */
#ifndef MILTER_H
#define MILTER_H

#include <stddef.h>

#include "argv.h"
#include "vstring.h"

/* Macro stages (SMFIM_*, the SETSYMLIST stage numbers). */
#define MILTER_MAC_CONNECT	0
#define MILTER_MAC_HELO		1
#define MILTER_MAC_MAIL		2
#define MILTER_MAC_RCPT		3
#define MILTER_MAC_DATA		4
#define MILTER_MAC_EOM		5
#define MILTER_MAC_EOH		6
#define MILTER_MAC_UNKNOWN	7
#define MILTER_MAC_COUNT	8

/* Replace-body phases for MILTER_EDIT_OPS.repl_body. */
#define MILTER_BODY_START	0
#define MILTER_BODY_DATA	1	/* bytes, LF line ends */
#define MILTER_BODY_END		2

/*
 * What a milter may change, applied by the caller (the cleanup stage)
 * as the modifications arrive. Each returns 0, or -1 when the change
 * cannot be made (the message is then tempfailed). Header indexes are
 * as in libmilter: chg_header's index counts the fields of that name
 * from 1, ins_header's counts all fields from 0 (the top). A value
 * carries its leading white space: the field is name ":" value. An
 * empty chg_header value deletes the field. hold quarantines the
 * message.
 */
typedef struct MILTER_EDIT_OPS {
	int	(*add_header)(void *, const char *name, const char *value);
	int	(*ins_header)(void *, int index, const char *name,
		    const char *value);
	int	(*chg_header)(void *, int index, const char *name,
		    const char *value);
	int	(*chg_from)(void *, const char *addr, const char *args);
	int	(*add_rcpt)(void *, const char *addr, const char *args);
	int	(*del_rcpt)(void *, const char *addr);
	int	(*repl_body)(void *, int phase, const char *buf, size_t len);
	int	(*hold)(void *, const char *reason);
} MILTER_EDIT_OPS;

/*
 * The message as the milters see it: header fields (logical fields,
 * "Name: value" with folded lines joined by "\n", without the final
 * newline) and a body walker that calls fn once per body line (without
 * its line end). Both may change between milters: each milter in the
 * chain sees the message as the previous ones left it.
 */
typedef int (*MILTER_BODY_FN)(void *fnctx, const char *line, size_t len);
typedef struct MILTER_MSG {
	ARGV	*(*headers)(void *ctx);
	int	(*body)(void *ctx, MILTER_BODY_FN fn, void *fnctx);
	void	*ctx;
} MILTER_MSG;

/* Macro values; null when the macro has no value now. */
typedef const char *(*MILTER_MAC_FN)(void *ctx, const char *name);

/* Per-milter settings (main.cf milter_* or per-milter {...} overrides). */
typedef struct MILTER_CONF {
	int	 connect_timeout;
	int	 command_timeout;
	int	 content_timeout;
	int	 protocol;		/* 2..6 */
	char	*default_action;	/* accept tempfail reject quarantine */
	ARGV	*macros[MILTER_MAC_COUNT];
} MILTER_CONF;

typedef struct MILTER MILTER;		/* one milter (milter8.c) */
typedef struct MILTERS MILTERS;		/* a chain (milter.c) */

/*
 * Event results: null to go on, or a reply: "4xx x.x.x text" or
 * "5xx x.x.x text" (SMTP reply for the command), "D" (discard the
 * message), "S" (421: end the session).
 */

/* milter8.c: one milter. */
MILTER	*milter8_create(const char *name, const MILTER_CONF *);
void	 milter8_free(MILTER *);
const char *milter8_name(MILTER *);
const char *milter8_conn_event(MILTER *, const char *host, const char *addr,
	    int port, int family, MILTER_MAC_FN, void *);
const char *milter8_helo_event(MILTER *, const char *helo, MILTER_MAC_FN,
	    void *);
const char *milter8_mail_event(MILTER *, ARGV *args, MILTER_MAC_FN, void *);
const char *milter8_rcpt_event(MILTER *, ARGV *args, MILTER_MAC_FN, void *);
const char *milter8_data_event(MILTER *, MILTER_MAC_FN, void *);
const char *milter8_unknown_event(MILTER *, const char *cmd, MILTER_MAC_FN,
	    void *);
const char *milter8_message(MILTER *, const MILTER_MSG *, MILTER_MAC_FN,
	    void *, const MILTER_EDIT_OPS *, void *);
void	 milter8_abort(MILTER *);
void	 milter8_disconnect(MILTER *);
int	 milter8_wants_rcpt_rej(MILTER *);

/* milter.c: a chain from smtpd_milters / non_smtpd_milters. */
MILTERS	*milter_create(const char *list);
void	 milter_free(MILTERS *);
int	 milter_count(const MILTERS *);
void	 milter_macro_callback(MILTERS *, MILTER_MAC_FN, void *);
void	 milter_edit_callback(MILTERS *, const MILTER_EDIT_OPS *, void *);
const char *milter_conn_event(MILTERS *, const char *host, const char *addr,
	    int port, int family);
const char *milter_helo_event(MILTERS *, const char *helo);
const char *milter_mail_event(MILTERS *, ARGV *args);
const char *milter_rcpt_event(MILTERS *, ARGV *args);
const char *milter_data_event(MILTERS *);
const char *milter_unknown_event(MILTERS *, const char *cmd);
const char *milter_message(MILTERS *, const MILTER_MSG *);
void	 milter_abort(MILTERS *);
void	 milter_disconnect(MILTERS *);
const char *milter_default_reply(const char *action);
int	 milter_conf_parse(MILTER_CONF *, const char *name, const char *value,
	    VSTRING *why);
void	 milter_conf_init(MILTER_CONF *);
void	 milter_conf_free(MILTER_CONF *);

#endif
