/*
 * NAME
 *	smtpctl - control the Postern mail system; mailq
 * SYNOPSIS
 *	smtpctl [-jv] [-c config_dir] command [argument ...]
 *	mailq [-j] [-c config_dir]
 * DESCRIPTION
 *	The command grammar is data: sc_main[] and the tables below it are
 *	trees of tokens (a keyword, a required argument, or "the command may
 *	end here"), walked once per word of the command line. Abbreviation to
 *	the shortest unambiguous prefix, the error that lists the candidates
 *	of an ambiguous or unknown word, and "smtpctl help" all come from
 *	these tables, as in OpenSMTPD's parser.
 *
 *	Access: root, the mail_owner and members of setgid_group may use
 *	every verb; anyone else may only run "show queue" (and mailq), and
 *	only when authorized_mailq_users allows it ("static:anyone", user
 *	names, or type:table lookups of the user name), plus the verbs that
 *	touch nothing (help, encrypt, spf walk).
 *
 *	The verbs talk to the qmgr over public/qmgr (qmgr_ctl.h). When it is
 *	not running, the verbs that make sense offline (show queue, envelope
 *	and message, pause and resume envelope, schedule, remove, discover)
 *	read and change the queue files directly (smtpctl_offline.c); the
 *	others say that Postern is not running and exit 1.
 *
 *	Options: -j prints the show verbs as JSON, one object per line;
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

#include "dict.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr_ctl.h"
#include "smtpctl.h"

/* Token types. */
#define T_END	0		/* end of a table */
#define T_KEY	1		/* keyword */
#define T_ARG	2		/* one argument (word is its name in help) */
#define T_STOP	3		/* the command may end here */

typedef struct SC_TOKEN {
	int	 type;
	const char *word;
	int	 action;		/* when the command ends after it */
	const struct SC_TOKEN *next;	/* null: the command ends here */
	int	 save;			/* the keyword itself is the argument */
} SC_TOKEN;

#define KEY(w, a, n)	{ T_KEY, w, a, n, 0 }
#define SAVE(w, a)	{ T_KEY, w, a, NULL, 1 }
#define ARG(w, a)	{ T_ARG, w, a, NULL, 0 }
#define STOP(a)		{ T_STOP, "", a, NULL, 0 }
#define END		{ T_END, NULL, 0, NULL, 0 }

static const SC_TOKEN sc_discover[] = { ARG("envelope-id|message-id", SC_DISCOVER), END };
static const SC_TOKEN sc_encrypt[] = { STOP(SC_ENCRYPT), ARG("string", SC_ENCRYPT), END };
static const SC_TOKEN sc_log[] = {
	KEY("brief", SC_LOG_BRIEF, NULL), KEY("verbose", SC_LOG_VERBOSE, NULL), END
};
static const SC_TOKEN sc_pause_env[] = { ARG("envelope-id|message-id|all", SC_PAUSE_ENVELOPE), END };
static const SC_TOKEN sc_pause[] = {
	KEY("envelope", 0, sc_pause_env), KEY("mda", SC_PAUSE_MDA, NULL),
	KEY("mta", SC_PAUSE_MTA, NULL), KEY("smtp", SC_PAUSE_SMTP, NULL), END
};
static const SC_TOKEN sc_profile[] = {
	SAVE("queue", SC_PROFILE), SAVE("ipc", SC_PROFILE), SAVE("imsg", SC_PROFILE), END
};
static const SC_TOKEN sc_unprofile[] = {
	SAVE("queue", SC_UNPROFILE), SAVE("ipc", SC_UNPROFILE), SAVE("imsg", SC_UNPROFILE), END
};
static const SC_TOKEN sc_remove[] = { ARG("envelope-id|message-id|all", SC_REMOVE), END };
static const SC_TOKEN sc_resume_env[] = { ARG("envelope-id|message-id|all", SC_RESUME_ENVELOPE), END };
static const SC_TOKEN sc_resume_route[] = { ARG("route-id", SC_RESUME_ROUTE), END };
static const SC_TOKEN sc_resume[] = {
	KEY("envelope", 0, sc_resume_env), KEY("mda", SC_RESUME_MDA, NULL),
	KEY("mta", SC_RESUME_MTA, NULL), KEY("route", 0, sc_resume_route),
	KEY("smtp", SC_RESUME_SMTP, NULL), END
};
static const SC_TOKEN sc_schedule[] = { ARG("envelope-id|message-id|all", SC_SCHEDULE), END };
static const SC_TOKEN sc_show_env[] = { ARG("envelope-id|message-id", SC_SHOW_ENVELOPE), END };
static const SC_TOKEN sc_show_msg[] = { ARG("envelope-id|message-id", SC_SHOW_MESSAGE), END };
static const SC_TOKEN sc_show[] = {
	KEY("envelope", 0, sc_show_env), KEY("hosts", SC_SHOW_HOSTS, NULL),
	KEY("hoststats", SC_SHOW_HOSTSTATS, NULL), KEY("message", 0, sc_show_msg),
	KEY("queue", SC_SHOW_QUEUE, NULL), KEY("relays", SC_SHOW_RELAYS, NULL),
	KEY("routes", SC_SHOW_ROUTES, NULL), KEY("stats", SC_SHOW_STATS, NULL),
	KEY("status", SC_SHOW_STATUS, NULL), END
};
static const SC_TOKEN sc_spf[] = { KEY("walk", SC_SPF_WALK, NULL), END };

#define SUBSYSTEMS(a) \
	SAVE("imsg", a), SAVE("ipc", a), SAVE("io", a), SAVE("smtp", a), \
	SAVE("filters", a), SAVE("mta", a), SAVE("bounce", a), \
	SAVE("scheduler", a), SAVE("expand", a), SAVE("lookup", a), \
	SAVE("stat", a), SAVE("rules", a), SAVE("mproc", a), \
	SAVE("queue", a), SAVE("all", a), END
static const SC_TOKEN sc_trace[] = { SUBSYSTEMS(SC_TRACE) };
static const SC_TOKEN sc_untrace[] = { SUBSYSTEMS(SC_UNTRACE) };
static const SC_TOKEN sc_update_table[] = { ARG("name", SC_UPDATE_TABLE), END };
static const SC_TOKEN sc_update[] = { KEY("table", 0, sc_update_table), END };

static const SC_TOKEN sc_main[] = {
	KEY("discover", 0, sc_discover), KEY("encrypt", 0, sc_encrypt),
	KEY("help", SC_HELP, NULL), KEY("log", 0, sc_log),
	KEY("monitor", SC_MONITOR, NULL), KEY("pause", 0, sc_pause),
	KEY("profile", 0, sc_profile), KEY("remove", 0, sc_remove),
	KEY("resume", 0, sc_resume), KEY("schedule", 0, sc_schedule),
	KEY("show", 0, sc_show), KEY("spf", 0, sc_spf),
	KEY("trace", 0, sc_trace), KEY("unprofile", 0, sc_unprofile),
	KEY("untrace", 0, sc_untrace), KEY("update", 0, sc_update), END
};

static const char *sc_prog = "smtpctl";

/* sc_help_walk - print every complete command below level. */
static void
sc_help_walk(FILE *fp, const SC_TOKEN *level, VSTRING *prefix)
{
	const SC_TOKEN *t;
	size_t	 len = vstring_len(prefix);
	int	 subsys = level[0].save;

	if (subsys) {			/* one line for a keyword list */
		fprintf(fp, "  %s", vstring_str(prefix));
		for (t = level; t->type != T_END; t++)
			fprintf(fp, "%s%s", t == level ? "" : "|", t->word);
		fprintf(fp, "\n");
		return;
	}
	for (t = level; t->type != T_END; t++) {
		vstring_truncate(prefix, len);
		if (t->type == T_STOP) {
			fprintf(fp, "  %.*s\n", (int)(len ? len - 1 : 0),
			    vstring_str(prefix));
			continue;
		}
		if (t->type == T_ARG)
			vstring_sprintf_append(prefix, "<%s> ", t->word);
		else
			vstring_sprintf_append(prefix, "%s ", t->word);
		if (t->next)
			sc_help_walk(fp, t->next, prefix);
		else
			fprintf(fp, "  %.*s\n", (int)vstring_len(prefix) - 1,
			    vstring_str(prefix));
	}
	vstring_truncate(prefix, len);
}

static void
sc_help(FILE *fp)
{
	VSTRING	*prefix = vstring_alloc(64);

	fprintf(fp, "usage: %s [-jv] [-c config_dir] command [argument ...]\n"
	    "commands (any unambiguous prefix will do):\n", sc_prog);
	sc_help_walk(fp, sc_main, prefix);
	vstring_free(prefix);
}

/* sc_candidates - the words allowed at a level, for error messages. */
static void
sc_candidates(const SC_TOKEN *level, const char *word, size_t len)
{
	const SC_TOKEN *t;

	for (t = level; t->type != T_END; t++) {
		if (t->type == T_KEY && strncmp(t->word, word, len) == 0)
			fprintf(stderr, " %s", t->word);
		else if (t->type == T_ARG && len == 0)
			fprintf(stderr, " <%s>", t->word);
	}
	fprintf(stderr, "\n");
}

/* sc_match - the token a word selects at a level, or null (reported). */
static const SC_TOKEN *
sc_match(const SC_TOKEN *level, const char *word)
{
	const SC_TOKEN *t, *found = NULL, *arg = NULL;
	size_t	 len = strlen(word);
	int	 count = 0;

	for (t = level; t->type != T_END; t++) {
		if (t->type == T_KEY && strcmp(t->word, word) == 0)
			return t;
		if (t->type == T_ARG)
			arg = t;
		if (t->type == T_KEY && len > 0 && strncmp(t->word, word, len)
		    == 0) {
			found = t;
			count++;
		}
	}
	if (count == 1)
		return found;
	if (count == 0 && arg != NULL)
		return arg;
	if (count > 1) {
		fprintf(stderr, "%s: ambiguous command: \"%s\"; candidates:",
		    sc_prog, word);
		sc_candidates(level, word, len);
	} else {
		fprintf(stderr, "%s: unknown command: \"%s\"; expected one of:",
		    sc_prog, word);
		sc_candidates(level, "", 0);
	}
	return NULL;
}

/* sc_parse - words to a command; -1 after an error message. */
static int
sc_parse(int argc, char **argv, SC_CMD *cmd)
{
	const SC_TOKEN *level = sc_main, *t;
	int	 i;

	for (i = 0; i < argc; i++) {
		if ((t = sc_match(level, argv[i])) == NULL)
			return -1;
		if (t->type == T_ARG || t->save)
			cmd->arg = t->type == T_ARG ? argv[i] : t->word;
		if (t->next == NULL) {
			if (i + 1 < argc) {
				fprintf(stderr, "%s: unexpected argument: "
				    "\"%s\"\n", sc_prog, argv[i + 1]);
				return -1;
			}
			cmd->action = t->action;
			return 0;
		}
		level = t->next;
	}
	for (t = level; t->type != T_END; t++)
		if (t->type == T_STOP) {
			cmd->action = t->action;
			return 0;
		}
	fprintf(stderr, "%s: incomplete command; next one of:", sc_prog);
	sc_candidates(level, "", 0);
	return -1;
}

/* sc_in_group - is gid ours (real, effective or supplementary)? */
static int
sc_in_group(gid_t gid)
{
	gid_t	 groups[256];
	int	 n, i;

	if (getgid() == gid || getegid() == gid)
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

	if (getuid() == 0 || geteuid() == 0)
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
	ARGV	*list = conf_list("authorized_mailq_users");
	struct passwd *pw = getpwuid(getuid());
	const char *user = pw ? pw->pw_name : "";
	DICT	*dict;
	size_t	 i;
	int	 ok = 0;

	for (i = 0; i < list->argc && !ok; i++) {
		const char *item = list->argv[i];

		if (strcmp(item, "static:anyone") == 0
		    || strcmp(item, "static:all") == 0)
			ok = 1;
		else if (strchr(item, ':') != NULL) {
			dict = dict_lookup_open(item);
			ok = *user && dict_get(dict, user) != NULL;
			dict_lookup_close(dict);
		} else
			ok = strcmp(item, user) == 0;
	}
	argv_free(list);
	return ok;
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
	printf("%lld envelope%s %s\n", count, count == 1 ? "" : "s", verb);
	return SC_EXIT_OK;
}

static int
sc_dispatch(const SC_CMD *cmd)
{
	switch (cmd->action) {
	case SC_HELP:
		sc_help(stdout);
		return SC_EXIT_OK;
	case SC_SHOW_MESSAGE:
		return smtpctl_show_message(cmd);
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

static void
sc_usage(void)
{
	fprintf(stderr, "usage: %s [-jv] [-c config_dir] command [argument "
	    "...]\n       (\"%s help\" lists the commands)\n", sc_prog,
	    sc_prog);
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
	while ((ch = getopt(argc, argv, "+c:jhv")) != -1) {
		switch (ch) {
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
			sc_help(stdout);
			return SC_EXIT_OK;
		default:
			sc_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (mailq) {
		if (argc > 0)
			sc_usage();
		cmd.action = SC_SHOW_QUEUE;
	} else if (argc == 0)
		sc_usage();
	else if (sc_parse(argc, argv, &cmd) < 0) {
		fprintf(stderr, "(\"%s help\" lists the commands)\n", sc_prog);
		return SC_EXIT_FAIL;
	}
	if (cmd.action == SC_HELP) {
		sc_help(stdout);
		return SC_EXIT_OK;
	}
	mail_conf_read(conf_dir);
	if (sc_access(&cmd) < 0)
		return SC_EXIT_FAIL;
	return sc_dispatch(&cmd);
}
