/*
 * NAME
 *	smtpctl - control the Postern mail system; mailq
 * SYNOPSIS
 *	smtpctl [-jv] [-c config_dir] command [argument ...]
 *	mailq [-j] [-c config_dir]
 * DESCRIPTION
 *	The command grammar is data (smtpctl_parse.c): abbreviation to the
 *	shortest unambiguous prefix, the error that lists the candidates
 *	of an ambiguous or unknown word, and "smtpctl help" all come from
 *	its token tables, as in OpenSMTPD's parser. This file holds main(),
 *	the access check and the dispatch of each verb to its module.
 *
 *	Access: root, the mail_owner and members of setgid_group may use
 *	every verb; anyone else may only run "show queue" (and mailq), and
 *	only when authorized_mailq_users allows it ("static:anyone", user
 *	names, or type:table lookups of the user name), plus the verbs that
 *	touch nothing (help, encrypt, spf walk).
 *
 *	The verbs talk to the qmgr over public/qmgr (qmgr_clnt.h). When it is
 *	not running, the verbs that make sense offline (show queue, envelope
 *	and message, pause and resume envelope, schedule, remove, discover)
 *	read and change the queue files directly (smtpctl_offline.c); the
 *	others say that Postern is not running and exit 1.
 *
 *	Options: -j (also after the command, or --json) prints the show
 *	verbs as JSON, one object per line;
 *	-c config_dir selects the configuration (else MAIL_CONFIG); -v is
 *	more verbose.
 * DIAGNOSTICS
 *	Exit 0 on success; 1 when the command failed, was refused, or named
 *	an unknown or ambiguous verb (the candidates are listed on standard
 *	error); 64 for a malformed command line.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_config.h"
#include "mail_conf.h"
#include "mail_version.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr_clnt.h"
#include "smtpctl.h"
#include "user_list.h"

static const char *sc_prog = "smtpctl";

/* sc_in_group - is gid ours (real, effective or supplementary)? */
static int
sc_in_group(gid_t gid)
{
	gid_t	 groups[256];
	int	 n, i;

	/* Real ids only: a set-gid smtpctl borrows the group for everyone. */
	if (getgid() == gid)
		return 1;
	if ((n = getgroups(256, groups)) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

static int
sc_privileged(void)
{
	struct passwd *pw;
	struct group *gr;

	if (getuid() == 0)
		return 1;
	if ((pw = getpwnam(conf_str("mail_owner"))) != NULL
	    && pw->pw_uid == getuid())
		return 1;
	return (gr = getgrnam(conf_str("setgid_group"))) != NULL
	    && sc_in_group(gr->gr_gid);
}

/* sc_mailq_allowed - authorized_mailq_users for an ordinary user. */
static int
sc_mailq_allowed(void)
{
	struct passwd *pw = getpwuid(getuid());
	VSTRING	*why = vstring_alloc(64);
	int	 ok;

	ok = user_list_check(conf_str("authorized_mailq_users"),
	    pw ? pw->pw_name : "", why);
	if (ok < 0)
		fprintf(stderr, "%s: authorized_mailq_users: %s\n", sc_prog,
		    vstring_str(why));
	vstring_free(why);
	return ok > 0;
}

static int
sc_access(const SC_CMD *cmd)
{
	if (cmd->action == SC_HELP || cmd->action == SC_ENCRYPT
	    || cmd->action == SC_SPF_WALK || sc_privileged())
		return 0;
	if (cmd->action == SC_SHOW_QUEUE && sc_mailq_allowed())
		return 0;
	fprintf(stderr, "%s: permission denied: only root, %s and members of "
	    "group %s may do that%s\n", sc_prog, conf_str("mail_owner"),
	    conf_str("setgid_group"), cmd->action == SC_SHOW_QUEUE ?
	    " (authorized_mailq_users)" : "");
	return -1;
}

/* sc_need_running - a verb with no offline meaning. */
static int
sc_not_running(void)
{
	fprintf(stderr, "%s: Postern is not running (no queue manager on "
	    "%s/public/%s)\n", sc_prog, conf_str("queue_directory"),
	    QC_SERVICE);
	return SC_EXIT_FAIL;
}

/* sc_request - one qmgr request with an optional attribute. */
static int
sc_request(const char *request, const char *name, const char *value,
    const char *done)
{
	long long count = -1;

	if (!smtpctl_running())
		return sc_not_running();
	if (smtpctl_simple(request, name, value, &count) < 0)
		return SC_EXIT_FAIL;
	if (done != NULL)
		printf("%s\n", done);
	return SC_EXIT_OK;
}

/* sc_envelope - pause/resume envelope, schedule, remove, discover. */
static int
sc_envelope(const SC_CMD *cmd, const char *request, const char *verb)
{
	long long count = 0;

	if (!smtpctl_id_ok(cmd->arg, cmd->action != SC_DISCOVER)) {
		fprintf(stderr, "%s: invalid id: \"%s\" (an envelope-id of 16 "
		    "hex digits, a message-id of 8%s)\n", sc_prog, cmd->arg,
		    cmd->action != SC_DISCOVER ? ", or all" : "");
		return SC_EXIT_FAIL;
	}
	if (!smtpctl_running())
		return smtpctl_offline_change(cmd);
	if (smtpctl_simple(request, QC_ID, cmd->arg, &count) < 0)
		return SC_EXIT_FAIL;
	printf("%lld %s%s %s\n", count, cmd->action == SC_SCHEDULE
	    || cmd->action == SC_DISCOVER ? "message" : "envelope",
	    count == 1 ? "" : "s", verb);
	return SC_EXIT_OK;
}

static int
sc_dispatch(const SC_CMD *cmd)
{
	switch (cmd->action) {
	case SC_HELP:
		smtpctl_help(stdout, sc_prog);
		return SC_EXIT_OK;
	case SC_SHOW_MESSAGE:
		return smtpctl_show_message(cmd);
	case SC_SHOW_CLIENTS:
		return smtpctl_show_clients(cmd);
	case SC_PAUSE_ENVELOPE:
		return sc_envelope(cmd, QC_REQ_PAUSE_ENVELOPE, "paused");
	case SC_RESUME_ENVELOPE:
		return sc_envelope(cmd, QC_REQ_RESUME_ENVELOPE, "resumed");
	case SC_SCHEDULE:
		return sc_envelope(cmd, QC_REQ_SCHEDULE, "scheduled");
	case SC_REMOVE:
		return sc_envelope(cmd, QC_REQ_REMOVE, "removed");
	case SC_DISCOVER:
		return sc_envelope(cmd, QC_REQ_DISCOVER, "discovered");
	case SC_PAUSE_MDA:
		return sc_request(QC_REQ_PAUSE, QC_TARGET, "mda", "mda paused");
	case SC_PAUSE_MTA:
		return sc_request(QC_REQ_PAUSE, QC_TARGET, "mta", "mta paused");
	case SC_PAUSE_SMTP:
		return smtpctl_pause_smtp(1);
	case SC_RESUME_MDA:
		return sc_request(QC_REQ_RESUME, QC_TARGET, "mda", "mda resumed");
	case SC_RESUME_MTA:
		return sc_request(QC_REQ_RESUME, QC_TARGET, "mta", "mta resumed");
	case SC_RESUME_SMTP:
		return smtpctl_pause_smtp(0);
	case SC_RESUME_ROUTE:
		return sc_request(QC_REQ_RESUME_ROUTE, QC_ROUTE, cmd->arg,
		    "route resumed");
	case SC_LOG_BRIEF:
		return sc_request(QC_REQ_LOG_BRIEF, NULL, NULL, "logging brief");
	case SC_LOG_VERBOSE:
		return sc_request(QC_REQ_LOG_VERBOSE, NULL, NULL,
		    "logging verbose");
	case SC_TRACE:
		return sc_request(QC_REQ_TRACE, QC_SUBSYSTEM, cmd->arg, NULL);
	case SC_UNTRACE:
		return sc_request(QC_REQ_UNTRACE, QC_SUBSYSTEM, cmd->arg, NULL);
	case SC_PROFILE:
		return sc_request(QC_REQ_PROFILE, QC_SUBSYSTEM, cmd->arg, NULL);
	case SC_UNPROFILE:
		return sc_request(QC_REQ_UNPROFILE, QC_SUBSYSTEM, cmd->arg, NULL);
	case SC_UPDATE_TABLE:
		return sc_request(QC_REQ_UPDATE_TABLE, QC_TABLE, cmd->arg,
		    "table updated");
	case SC_MONITOR:
		return smtpctl_monitor(cmd);
	case SC_ENCRYPT:
		return smtpctl_encrypt(cmd);
	case SC_SPF_WALK:
		return smtpctl_spf_walk(cmd);
	default:
		return smtpctl_show(cmd);
	}
}

/* sc_late_options - "-j" (or "--json") after the command words too. */
static int
sc_late_options(int argc, char **argv, SC_CMD *cmd)
{
	int	 i, n = 0;

	if (argc > 0 && strncmp(argv[0], "enc", 3) == 0)
		return argc;		/* "-j" may be a password */
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--json") == 0)
			cmd->json = 1;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

static void
sc_usage(void)
{
	if (strcmp(sc_prog, "mailq") == 0)
		fprintf(stderr, "usage: mailq [-jv] [-c config_dir]\n");
	else
		fprintf(stderr, "usage: %s [-jv] [-c config_dir] command "
		    "[argument ...]\n       (\"%s help\" lists the commands)\n",
		    sc_prog, sc_prog);
	exit(SC_EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	SC_CMD	 cmd;
	const char *conf_dir = NULL;
	int	 ch, mailq;

	sc_prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	mailq = strcmp(sc_prog, "mailq") == 0;
	msg_init("postern", mailq ? "mailq" : "smtpctl");
	memset(&cmd, 0, sizeof(cmd));
	mail_version_arg(argc, argv, sc_prog);
	while ((ch = getopt(argc, argv, "+c:jhvV")) != -1) {
		switch (ch) {
		case 'V':
			mail_version_print(sc_prog);
			break;
		case 'c':
			conf_dir = optarg;
			break;
		case 'j':
			cmd.json = 1;
			break;
		case 'v':
			msg_verbose++;
			break;
		case 'h':
			smtpctl_help(stdout, sc_prog);
			return SC_EXIT_OK;
		default:
			sc_usage();
		}
	}
	argc -= optind;
	argv += optind;
	argc = sc_late_options(argc, argv, &cmd);
	if (mailq) {
		if (argc > 0)
			sc_usage();
		cmd.action = SC_SHOW_QUEUE;
	} else if (argc == 0)
		sc_usage();
	else if (smtpctl_parse(argc, argv, &cmd, stderr) < 0) {
		fprintf(stderr, "(\"%s help\" lists the commands)\n", sc_prog);
		return SC_EXIT_FAIL;
	}
	if (cmd.action == SC_HELP) {
		smtpctl_help(stdout, sc_prog);
		return SC_EXIT_OK;
	}
	if (cmd.action == SC_ENCRYPT)
		return smtpctl_encrypt(&cmd);
	conf_dir = ctl_config_check(conf_dir);
	mail_conf_read_flags(conf_dir, cmd.action == SC_SPF_WALK ?
	    MAIL_CONF_OPTIONAL : 0);
	if (sc_access(&cmd) < 0)
		return SC_EXIT_FAIL;
	return sc_dispatch(&cmd);
}
