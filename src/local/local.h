/*
 * local.h - the local delivery agent: shared types. See local.c.
 */
#ifndef LOCAL_H
#define LOCAL_H

#include <sys/types.h>

#include "argv.h"
#include "attr.h"
#include "deliver_rcpt.h"
#include "domain_list.h"
#include "htable.h"
#include "qfile.h"
#include "mail_copy.h"
#include "resolve_class.h"
#include "vstream.h"
#include "vstring.h"

#define LOCAL_MAX_LEVEL		100	/* nested alias/forward expansions */
#define LOCAL_MAX_TARGETS	1000	/* targets delivered for one recipient */
#define LOCAL_MAX_INCLUDE	(1024 * 1024)	/* :include: and .forward size */
#define LOCAL_MAX_OUTPUT	400	/* command output kept for the reason */

/* Parameters, read once per process (local_conf.c). */
typedef struct LOCAL_CONF {
	const char *queue_dir;
	const char *myhostname;
	const char *myorigin;
	const char *mail_owner;
	const char *default_privs;
	const char *alias_maps;
	const char *delimiter;		/* recipient_delimiter */
	const char *home_mailbox;
	const char *spool_dir;		/* mail_spool_directory */
	const char *mailbox_command;
	const char *mailbox_command_maps;
	const char *mailbox_transport;
	const char *mailbox_transport_maps;
	const char *luser_relay;
	const char *fallback_transport;
	const char *fallback_transport_maps;
	ARGV	*forward_path;
	ARGV	*cmd_allow;		/* allow_mail_to_commands */
	ARGV	*file_allow;		/* allow_mail_to_files */
	ARGV	*prepend_delivered;	/* prepend_delivered_header */
	ARGV	*export_env;		/* export_environment */
	const char *fwd_filter;		/* forward_expansion_filter */
	const char *exec_dir;		/* command_execution_directory */
	const char *shell;		/* local_command_shell */
	long long size_limit;		/* mailbox_size_limit */
	long long cmd_time_limit;
	long long lock_attempts, lock_delay, stale_lock_time;
	int	 lock_fcntl, lock_dotlock;	/* mailbox_delivery_lock */
	int	 strict_ownership;
	int	 owner_special;		/* owner_request_special */
	int	 expand_owner;		/* expand_owner_alias */
	int	 require_home;
	long long ipc_timeout;
	RESOLVE_CLASS *classes;		/* mydestination, own addresses */
	struct CLEANUP_CONF *cleanup;	/* cleanup(3): forwarded mail */
} LOCAL_CONF;

extern LOCAL_CONF local_cf;

/* One recipient of a request: index, addr, orcpt, notify. */
typedef DELIVER_RCPT LOCAL_RCPT;

/* A delivery request from the qmgr. */
typedef struct LOCAL_REQ {
	ATTR	*attr;
	VSTREAM	*client;
	DELIVER_REQ dr;			/* queue file, sender, times */
	double	 start;
	LOCAL_RCPT *rcpt;
	int	 nrcpt;
	QF_MSG	*msg;
	ARGV	*delivered;		/* Delivered-To: values, lower case */
} LOCAL_REQ;

/* Where a target came from: decides allow_mail_to_* and privileges. */
#define LOCAL_SRC_NONE		0
#define LOCAL_SRC_ALIAS		1
#define LOCAL_SRC_FORWARD	2
#define LOCAL_SRC_INCLUDE	3

/* The outcome of one recipient, over all its expansions. */
typedef struct LOCAL_RESULT {
	int	 ndone, nsoft, nhard, ntargets;
	char	 dsn[16];		/* first soft (else hard) failure */
	VSTRING	*why;
	char	 hard_dsn[16];
	VSTRING	*hard_why;
	VSTRING	*last;			/* last success text */
	char	 last_dsn[16];		/* and its status (2.0.0 unless filtered) */
	ARGV	*fwd;			/* addresses to forward (new message) */
	ARGV	*fwd_orig;		/* each one's orig_to */
	char	*fwd_sender;		/* envelope sender for them */
	HTABLE	*dups;			/* targets already handled */
} LOCAL_RESULT;

/* Delivery privileges. */
typedef struct LOCAL_PRIV {
	uid_t	 uid;
	gid_t	 gid;
} LOCAL_PRIV;

/* One level of expansion. */
typedef struct LOCAL_STATE {
	LOCAL_REQ *req;
	LOCAL_RCPT *rcpt;		/* the qmgr's recipient */
	LOCAL_RESULT *res;
	const char *addr;		/* the current address */
	const char *alias;		/* the alias being expanded, or null */
	int	 level;
	int	 source;		/* LOCAL_SRC_* */
	LOCAL_PRIV priv;		/* for files and commands */
	const char *sender;		/* envelope sender for forwarding */
	const char *user, *home, *shell;	/* the local user, when known */
	const char *extension;		/* user+ext, or null */
} LOCAL_STATE;

/* Flags of local_copy(): those of mail_copy(3). */
#define LOCAL_COPY_FROM		MAIL_COPY_FROM
#define LOCAL_COPY_QUOTE	MAIL_COPY_QUOTE
#define LOCAL_COPY_BLANK	MAIL_COPY_BLANK
#define LOCAL_COPY_RETURN	MAIL_COPY_RETURN
#define LOCAL_COPY_DELIVERED	MAIL_COPY_DELIVERED
#define LOCAL_COPY_ORIG		MAIL_COPY_ORIG
#define LOCAL_COPY_MBOX		MAIL_COPY_MBOX

/* Results of delivery steps: 0 done, else a DSN class. */
#define LOCAL_OK	0
#define LOCAL_SOFT	4
#define LOCAL_HARD	5

/* local_conf.c */
void	 local_conf_load(void);
int	 local_list_has(ARGV *, const char *);

/* local_request.c */
int	 local_req_init(LOCAL_REQ *, ATTR *, VSTREAM *);
void	 local_req_free(LOCAL_REQ *);

/* local_result.c */
LOCAL_RESULT *local_result_alloc(void);
void	 local_result_free(LOCAL_RESULT *);
void	 local_log(LOCAL_STATE *, const char *, const char *, const char *);
int	 local_fail(LOCAL_STATE *, const char *, const char *, ...) PRINTFLIKE(3, 4);
int	 local_done(LOCAL_STATE *, const char *, ...) PRINTFLIKE(2, 3);
int	 local_dup(LOCAL_STATE *, const char *, const char *);
void	 local_reply(LOCAL_STATE *);
const char *local_orig_to(const LOCAL_STATE *);

/* local_recipient.c */
void	 local_recipient(LOCAL_REQ *, LOCAL_RCPT *);
int	 local_deliver(LOCAL_STATE *, const char *);
int	 local_user(LOCAL_STATE *, const char *, int);

/* local_alias.c */
int	 local_alias(LOCAL_STATE *, const char *, const char *, int *);

/* local_token.c */
int	 local_expand(LOCAL_STATE *, const char *, int);
int	 local_is_mydest(const char *);

/* local_forward.c */
int	 local_dot_forward(LOCAL_STATE *, const char *, int *);
int	 local_forward_add(LOCAL_STATE *, const char *);
int	 local_forward_flush(LOCAL_STATE *);

/* local_var.c */
int	 local_var_expand(LOCAL_STATE *, VSTRING *, const char *, const char *);

/* local_mailbox.c */
int	 local_mailbox(LOCAL_STATE *, const char *);
int	 local_mailbox_map(const char *, const char *, VSTRING *);

/* local_copy.c: the message as delivered (mail_copy(3)) */
typedef MAIL_COPY_SINK LOCAL_SINK;
void	 local_copy_src(LOCAL_STATE *, MAIL_COPY_SRC *);
int	 local_copy(LOCAL_STATE *, int, off_t, LOCAL_SINK, void *, VSTRING *);
int	 local_copy_fd(LOCAL_STATE *, int, int, off_t, VSTRING *);

/* local_mbox.c */
#define LOCAL_MBOX_OWNER	(1 << 12)	/* the recipient's mailbox */
int	 local_mbox(LOCAL_STATE *, const char *, int, VSTRING *, char *);

/* local_maildir.c */
int	 local_maildir(LOCAL_STATE *, const char *, VSTRING *, char *);

/* local_file.c */
int	 local_file(LOCAL_STATE *, const char *);

/* local_command.c */
int	 local_command(LOCAL_STATE *, const char *, const char *);

/* local_pass.c */
int	 local_pass(LOCAL_STATE *, const char *);

/* local_priv.c */
typedef int (*LOCAL_PRIV_FN)(LOCAL_STATE *, const char *, VSTRING *, char *);
int	 local_priv_run(LOCAL_STATE *, const LOCAL_PRIV *, LOCAL_PRIV_FN,
	    const char *, VSTRING *, char *);
int	 local_priv_become(const LOCAL_PRIV *, VSTRING *);
int	 local_priv_user(const char *, LOCAL_PRIV *);
void	 local_priv_target(const LOCAL_PRIV *, LOCAL_PRIV *);
int	 local_priv_open(const LOCAL_PRIV *, const char *, int);

#endif
