/*
 * smtpctl.h - the smtpctl(8) command's modules. See smtpctl.c (grammar,
 * access, dispatch), smtpctl_ipc.c (the qmgr control socket),
 * smtpctl_show.c (output), smtpctl_offline.c (queue files when nothing
 * runs), smtpctl_misc.c (monitor, encrypt, show message) and
 * smtpctl_spf.c (spf walk).
 */
#ifndef SMTPCTL_H
#define SMTPCTL_H

#include <stdio.h>

#include "attr.h"
#include "vstream.h"
#include "vstring.h"

/* Actions: one per verb of the grammar. */
enum {
	SC_NONE = 0,
	SC_HELP,
	SC_SHOW_QUEUE,
	SC_SHOW_ENVELOPE,
	SC_SHOW_MESSAGE,
	SC_SHOW_HOSTS,
	SC_SHOW_HOSTSTATS,
	SC_SHOW_RELAYS,
	SC_SHOW_ROUTES,
	SC_SHOW_STATS,
	SC_SHOW_STATUS,
	SC_PAUSE_ENVELOPE,
	SC_PAUSE_MDA,
	SC_PAUSE_MTA,
	SC_PAUSE_SMTP,
	SC_RESUME_ENVELOPE,
	SC_RESUME_MDA,
	SC_RESUME_MTA,
	SC_RESUME_SMTP,
	SC_RESUME_ROUTE,
	SC_SCHEDULE,
	SC_REMOVE,
	SC_DISCOVER,
	SC_MONITOR,
	SC_LOG_BRIEF,
	SC_LOG_VERBOSE,
	SC_TRACE,
	SC_UNTRACE,
	SC_PROFILE,
	SC_UNPROFILE,
	SC_UPDATE_TABLE,
	SC_ENCRYPT,
	SC_SPF_WALK,
	SC_SHOW_CLIENTS,
};

/* A parsed command line. */
typedef struct SC_CMD {
	int	 action;
	const char *arg;		/* id, route, table, subsystem, string */
	int	 json;			/* -j */
} SC_CMD;

/* Exit statuses. */
#define SC_EXIT_OK	0
#define SC_EXIT_FAIL	1
#define SC_EXIT_USAGE	64

/* smtpctl_parse.c: the grammar. */
int	 smtpctl_parse(int, char **, SC_CMD *, FILE *);
void	 smtpctl_help(FILE *, const char *);

/* smtpctl_ipc.c: talking to qmgr. */
typedef int (*SC_ITEM_FN)(const ATTR *, void *);
int	 smtpctl_running(void);
int	 smtpctl_call(ATTR *, SC_ITEM_FN, void *, VSTRING *);
int	 smtpctl_simple(const char *, const char *, const char *, long long *);

/* smtpctl_show.c: printing items. */
int	 smtpctl_show(const SC_CMD *);
void	 smtpctl_print_env(const ATTR *, int);
void	 smtpctl_print_envelope(const ATTR *, int);
void	 smtpctl_print_json(const ATTR *);
void	 smtpctl_json_string(const char *);

/* smtpctl_clients.c: show clients (the shared anvil(3) file). */
int	 smtpctl_show_clients(const SC_CMD *);

/* smtpctl_offline.c: the queue files, with nothing running. */
int	 smtpctl_offline_show(const SC_CMD *);
int	 smtpctl_offline_change(const SC_CMD *);
int	 smtpctl_id_ok(const char *, int);
int	 smtpctl_msgid(const char *, char *);

/* smtpctl_misc.c */
int	 smtpctl_monitor(const SC_CMD *);
int	 smtpctl_encrypt(const SC_CMD *);
int	 smtpctl_show_message(const SC_CMD *);
int	 smtpctl_pause_smtp(int);

/* smtpctl_spf.c */
int	 smtpctl_spf_walk(const SC_CMD *);

#endif
