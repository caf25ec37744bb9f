/*
 * NAME
 *	sendmail - the sendmail(1) interface: local submission, mailq,
 *	newaliases
 * SYNOPSIS
 *	sendmail [-t] [-i] [-f sender] [-F name] [-N dsn] [-R ret] [-V envid]
 *	    [-c dir] [option...] [recipient...]
 *	sendmail -bs | -bp | -bi | -q[R domain]
 *	mailq, newaliases
 * DESCRIPTION
 *	The command other software calls to send mail. sendmail.c parses
 *	the traditional options and picks a mode:
 *	    (default, -bm)  read a message on stdin (sendmail_submit(3))
 *	    -bs             SMTP on stdin/stdout: smtpd(8) -S (below)
 *	    -bp, mailq      run "smtpctl show queue"
 *	    -q, -qR domain  ask the running qmgr to flush the queue
 *	    -bi, newaliases rebuild alias_database (sendmail_aliases(3))
 *	Options that Sendmail or Postfix accept and that mean nothing here
 *	(-oem, -odb, -om, -o7, -B, -L, -U, -v, ...) are accepted and
 *	ignored, so that existing callers keep working. An option that
 *	needs a value takes it attached (-fjoe) or as the next argument.
 *	-c dir (Postern) or -C file-or-dir (Sendmail, Postfix) selects the
 *	configuration directory; when sendmail runs set-gid for an ordinary
 *	user, only the default one or those in alternate_config_directories
 *	(also for MAIL_CONFIG). Submission (-bm, -bs) is limited to
 *	authorized_submit_users.
 *
 *	-bs is the SMTP server itself: sendmail runs
 *	$daemon_directory/smtpd in stand-alone mode (-S) on the same
 *	standard input and output, with the configuration directory sendmail
 *	checked. Run by an ordinary user, smtpd accepts mail with the access
 *	controls off and submits each message through maildrop/ like any
 *	other local submission, with the set-gid privilege it inherits; run
 *	by root (smtpd then becomes mail_owner) or by mail_owner, it queues
 *	the mail itself, with the access controls of a network client
 *	127.0.0.1. See smtpd(8).
 * DIAGNOSTICS
 *	Exit status from sysexits(3); every failure prints a reason on
 *	standard error. Nothing is accepted (exit 0) unless it is safely
 *	in maildrop/.
 */
#include <errno.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr_parse.h"
#include "ctl_flush.h"
#include "attr.h"
#include "mail_conf.h"
#include "mail_trigger.h"
#include "mail_version.h"
#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"
#include "qmgr_clnt.h"
#include "ctl_config.h"
#include "sendmail.h"
#include "sendmail_aliases.h"
#include "user_list.h"

static void
sm_usage(const char *why)
{
	msg_fatal_status(EX_USAGE, "%s\nusage: sendmail [-t] [-i] [-f sender] "
	    "[-F name] [-N dsn] [-R full|hdrs] [-V envid] [-c config_dir] "
	    "[recipient...] | -bs | -bp | -bi | -q[R domain]", why);
}

/* sm_notify - parse -N never | success,failure,delay. */
static int
sm_notify(const char *arg)
{
	ARGV	*words = argv_split(arg, ", ");
	int	 bits = 0;
	size_t	 i;

	for (i = 0; i < words->argc; i++) {
		if (strcasecmp(words->argv[i], "never") == 0 && words->argc == 1)
			bits |= QF_NOTIFY_NEVER;
		else if (strcasecmp(words->argv[i], "success") == 0)
			bits |= QF_NOTIFY_SUCCESS;
		else if (strcasecmp(words->argv[i], "failure") == 0)
			bits |= QF_NOTIFY_FAILURE;
		else if (strcasecmp(words->argv[i], "delay") == 0)
			bits |= QF_NOTIFY_DELAY;
		else
			sm_usage("bad -N value: use never or success,failure,delay");
	}
	argv_free(words);
	return bits;
}

/* sm_sender - -f value: "<>" or "" is the null sender. */
static char *
sm_sender(const char *arg)
{
	VSTRING	*addr = vstring_alloc(64);
	const char *why;
	char	*ret;

	while (*arg == ' ')
		arg++;
	if (*arg == 0 || strcmp(arg, "<>") == 0) {
		vstring_free(addr);
		return mystrdup("");
	}
	if (addr_parse_path(arg, ADDR_PARSE_BARE | ADDR_PARSE_UTF8, addr, NULL, &why) < 0)
		msg_fatal_status(EX_DATAERR, "bad sender address \"%s\": %s", arg, why + 6);
	ret = vstring_export(addr);
	return ret;
}

/* sm_config - -C file or directory. */
static char *
sm_config(const char *arg)
{
	struct stat st;
	char	*copy;
	char	*dir;

	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
		return mystrdup(arg);
	copy = mystrdup(arg);
	dir = mystrdup(dirname(copy));
	myfree(copy);
	return dir;
}

/* sm_option_b - -bX mode letters. */
static void
sm_option_b(SM_OPTS *opts, const char *val)
{
	if (strcmp(val, "m") == 0)
		opts->mode = SM_MODE_DELIVER;
	else if (strcmp(val, "s") == 0)
		opts->mode = SM_MODE_SMTP;
	else if (strcmp(val, "p") == 0)
		opts->mode = SM_MODE_MAILQ;
	else if (strcmp(val, "i") == 0)
		opts->mode = SM_MODE_ALIASES;
	else
		msg_fatal_status(EX_USAGE, "-b%s is not supported", val);
}

/* sm_option_value - the value of an option: attached or next argument. */
static const char *
sm_option_value(int argc, char **argv, int *ip, const char *rest)
{
	if (*rest)
		return rest;
	if (*ip + 1 >= argc)
		sm_usage("option needs a value");
	return argv[++*ip];
}

/* sm_option - one option word; more letters may follow some of them. */
static void
sm_option(SM_OPTS *opts, int argc, char **argv, int *ip)
{
	const char *p = argv[*ip] + 1;

	for (; *p; p++) {
		switch (*p) {
		case 't':
			opts->extract = 1;
			continue;
		case 'i':
			opts->dot_ok = 1;
			continue;
		case 'v': case 'n': case 'm': case 'U': case 'G':
			continue;
		case 'f': case 'r':
			opts->sender = sm_sender(sm_option_value(argc, argv, ip, p + 1));
			return;
		case 'F':
			opts->fullname = mystrdup(sm_option_value(argc, argv, ip, p + 1));
			return;
		case 'N':
			opts->notify = sm_notify(sm_option_value(argc, argv, ip, p + 1));
			return;
		case 'R': {
			const char *v = sm_option_value(argc, argv, ip, p + 1);

			if (strcasecmp(v, "full") != 0 && strcasecmp(v, "hdrs") != 0)
				sm_usage("-R takes full or hdrs");
			opts->ret = strcasecmp(v, "full") == 0 ? QF_RET_FULL : QF_RET_HDRS;
			return;
		}
		case 'V':
			opts->envid = mystrdup(sm_option_value(argc, argv, ip, p + 1));
			if (strlen(opts->envid) > 100 || !maildrop_value_ok(opts->envid))
				sm_usage("bad -V envid");
			return;
		case 'c':
			opts->config_dir = mystrdup(sm_option_value(argc, argv, ip, p + 1));
			return;
		case 'C':
			opts->config_dir = sm_config(sm_option_value(argc, argv, ip, p + 1));
			return;
		case 'b':
			sm_option_b(opts, sm_option_value(argc, argv, ip, p + 1));
			return;
		case 'o':
			if (strcmp(p + 1, "i") == 0)
				opts->dot_ok = 1;
			else if (p[1] == 0)
				(void)sm_option_value(argc, argv, ip, "");
			return;		/* -oem -odb -om -o7 -oA...: ignored */
		case 'q':
			opts->mode = SM_MODE_FLUSH;
			if (p[1] == 'R')
				opts->flush_domain = mystrdup(sm_option_value(argc, argv, ip, p + 2));
			return;		/* -q, -q1h, -qI...: one flush */
		case 'B': case 'L': case 'X': case 'h': case 'A': case 'O':
			(void)sm_option_value(argc, argv, ip, p + 1);
			return;
		default:
			msg_fatal_status(EX_USAGE, "unknown option -%c", *p);
		}
	}
}

/* sm_mailq - -bp: show the queue with smtpctl (MAIL_CONFIG carries -c). */
static int
sm_mailq(SM_OPTS *opts)
{
	char	 self[4096], path[4096];
	char	*args[] = { "smtpctl", "show", "queue", NULL };
	ssize_t	 n;

	if (opts->config_dir && setenv("MAIL_CONFIG", opts->config_dir, 1) < 0)
		msg_fatal_status(EX_OSERR, "setenv: %s", strerror(errno));
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = 0;
		snprintf(path, sizeof(path), "%s/smtpctl", dirname(self));
		execv(path, args);
	}
	snprintf(path, sizeof(path), "%s/smtpctl", conf_str("command_directory"));
	execv(path, args);
	msg_error("cannot run %s: %s; the queue listing (mailq) is not available",
	    path, strerror(errno));
	return EX_UNAVAILABLE;
}

/* sm_smtpd - -bs: become smtpd -S on standard input and output. */
static int
sm_smtpd(SM_OPTS *opts)
{
	ARGV	*args = argv_alloc(8);
	VSTRING	*path = vstring_alloc(100);

	vstring_sprintf(path, "%s/smtpd", conf_str("daemon_directory"));
	argv_add(args, "smtpd");
	argv_add(args, "-S");
	if (opts->config_dir) {
		argv_add(args, "-c");
		argv_add(args, opts->config_dir);
	}
	execv(vstring_str(path), args->argv);
	msg_error("cannot run %s: %s; sendmail -bs is not available",
	    vstring_str(path), strerror(errno));
	argv_free(args);
	vstring_free(path);
	return EX_UNAVAILABLE;
}

/*
 * sm_flush - -q, -qR domain: deliver deferred mail now, through the
 * running qmgr or, with nothing running, by a one-shot queue run (cron
 * mode). The code is shared with postern flush: ctl_flush(3).
 */
static int
sm_flush(SM_OPTS *opts)
{
	switch (ctl_flush(opts->flush_domain, msg_verbose)) {
	case CTL_FLUSH_OK:
		return EX_OK;
	case CTL_FLUSH_DENIED:
		return EX_NOPERM;
	default:
		return EX_UNAVAILABLE;
	}
}

/* sm_user_check - authorized_submit_users (a user_list(3)). */
static void
sm_user_check(void)
{
	USER_LIST *users;
	struct passwd *pw = getpwuid(getuid());
	VSTRING	*why = vstring_alloc(64);
	char	 name[64];
	int	 hit;

	if (pw == NULL)
		snprintf(name, sizeof(name), "%ld", (long)getuid());
	else
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	if ((users = user_list_init(conf_str("authorized_submit_users"), why)) == NULL)
		msg_fatal_status(EX_CONFIG, "authorized_submit_users: %s", vstring_str(why));
	hit = user_list_match(users, name);
	user_list_free(users);
	vstring_free(why);
	if (hit < 0)
		msg_fatal_status(EX_TEMPFAIL, "authorized_submit_users: table lookup failed");
	if (hit == 0)
		msg_fatal_status(EX_NOPERM, "user %s (uid %ld) is not allowed to submit "
		    "mail (authorized_submit_users)", name, (long)getuid());
}

int
main(int argc, char **argv)
{
	SM_OPTS	 opts;
	const char *prog, *p;
	int	 i;

	prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	msg_init("postern", strcmp(prog, "newaliases") == 0 || strcmp(prog, "mailq") == 0 ?
	    prog : "sendmail");
	memset(&opts, 0, sizeof(opts));
	opts.rcpt_args = argv_alloc(4);
	if (strcmp(prog, "newaliases") == 0)
		opts.mode = SM_MODE_ALIASES;
	else if (strcmp(prog, "mailq") == 0)
		opts.mode = SM_MODE_MAILQ;
	/* -V takes an ENVID (Sendmail's); alone it asks for the version. */
	mail_version_arg(argc, argv, prog);
	if (argc == 2 && strcmp(argv[1], "-V") == 0)
		mail_version_print(prog);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == 0)
			break;
		sm_option(&opts, argc, argv, &i);
	}
	for (; i < argc; i++)
		argv_add(opts.rcpt_args, argv[i]);
	if ((p = ctl_config_check(opts.config_dir)) != opts.config_dir)
		opts.config_dir = p ? mystrdup(p) : NULL;
	mail_conf_read(opts.config_dir);
	if (opts.mode == SM_MODE_DELIVER || opts.mode == SM_MODE_SMTP)
		sm_user_check();
	switch (opts.mode) {
	case SM_MODE_ALIASES:
		return sendmail_newaliases(0, NULL);
	case SM_MODE_MAILQ:
		return sm_mailq(&opts);
	case SM_MODE_FLUSH:
		return sm_flush(&opts);
	case SM_MODE_SMTP:
		return sm_smtpd(&opts);
	default:
		return sendmail_submit(&opts);
	}
}
