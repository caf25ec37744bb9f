/*
 * NAME
 *	postern - the Postern administration command
 * SYNOPSIS
 *	postern [-v] [-c config_dir] command [arguments...]
 * DESCRIPTION
 *	The one command administrators run: it dispatches to a subcommand
 *	through postern_cmds[], a table that is the whole grammar (name,
 *	function, usage, one-line help), as OpenSMTPD's smtpctl does. A
 *	command may be abbreviated to any prefix that names exactly one
 *	subcommand; an exact name always wins ("start" versus "start-fg").
 *
 *	Global options, before the command: -c config_dir uses that
 *	configuration directory (exported as MAIL_CONFIG, made absolute, so
 *	that the master and every child read the same files); -v raises the
 *	verbosity (repeat for more). "postern help" lists the commands.
 *
 *	Adding a subcommand: define postern_<cmd>_main(argc, argv) in its
 *	own file postern_<cmd>.c (or postern_<cmd>(void) for a command that
 *	takes no arguments: the dispatcher then refuses any), declare it in
 *	postern.h and add one line to postern_cmds[] below. Keep an entry out of the table until its
 *	function exists, so that the build never breaks.
 * DIAGNOSTICS
 *	Exit status 0 on success, that of the subcommand otherwise; 1 with
 *	a list of candidates for an unknown or ambiguous command; 64 for a
 *	usage error (also an argument to a command that takes none).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail_version.h"
#include "msg.h"
#include "mymalloc.h"
#include "postern.h"

typedef struct POSTERN_CMD {
	const char *name;
	int	(*fn)(int, char **);	/* a command with arguments */
	int	(*fn0)(void);		/* or one that takes none */
	const char *usage;
	const char *help;
} POSTERN_CMD;

static const POSTERN_CMD postern_cmds[] = {
	{ "abort", NULL, postern_abort, "", "kill the master and every process it started, now" },
	{ "check", postern_check_main, NULL, "",
	    "validate main.cf, master.cf and the queue directory" },
	{ "config", postern_config_main, NULL,
	    "[-dhnUx] [name...] | -e name=value... | -X name... | -M [service[/type]...] | -b [file]",
	    "show or edit main.cf, show master.cf (as postconf)" },
	{ "flush", postern_flush_main, NULL, "[-v] [-d domain]",
	    "deliver deferred mail now (a one-shot queue run when not running)" },
	{ "logrotate", NULL, postern_logrotate, "",
	    "rename maillog_file with a time suffix, reopen it, compress the old one" },
	{ "map", postern_map_main, NULL,
	    "[-firsvw] [-q key|-q -|-d key|-d -] [type:]name...",
	    "build, query and dump lookup tables (as postmap)" },
	{ "queue", postern_queue_main, NULL, "[-p | -j | -s [-r] [-t minutes] [-b buckets] [queue...]]",
	    "list the queue as postqueue -p / -j do, or its shape as qshape" },
	{ "queue-dump", postern_queue_dump_main, NULL, "[-bj] [-s sender] [id | envelope-id | all | path]...",
	    "show a queue file's envelope records and content (as postcat)" },
	{ "reload", NULL, postern_reload, "", "re-read main.cf and master.cf (SIGHUP)" },
	{ "start", NULL, postern_start, "", "start the mail system; returns when it listens" },
	{ "start-fg", NULL, postern_start_fg, "", "run the mail system in the foreground" },
	{ "status", NULL, postern_status, "", "say whether the mail system runs, and its pid" },
	{ "stop", NULL, postern_stop, "", "stop the mail system and wait until it has stopped" },
	/*
	 * Add new subcommands here, in alphabetical order, once their
	 * function exists, e.g. { "flush", postern_flush_main, NULL, "", "..." }.
	 */
	{ NULL, NULL, NULL, NULL, NULL },
};

static const char *postern_name = "postern";

const char *
postern_progname(void)
{
	return postern_name;
}

void
postern_set_config(const char *dir)
{
	char	path[PATH_MAX];

	if (realpath(dir, path) == NULL)
		msg_fatal("configuration directory %s: %m", dir);
	if (setenv("MAIL_CONFIG", path, 1) < 0)
		msg_fatal("setenv MAIL_CONFIG: %m");
}

static void
postern_list(FILE *fp)
{
	const POSTERN_CMD *cmd;

	fprintf(fp, "usage: %s [-v] [-c config_dir] command [arguments]\n"
	    "commands (any unambiguous prefix will do):\n", postern_name);
	for (cmd = postern_cmds; cmd->name; cmd++) {
		fprintf(fp, "  %-9s %s\n", cmd->name, cmd->help);
		if (cmd->usage != NULL && *cmd->usage)
			fprintf(fp, "  %-9s   %s %s\n", "", cmd->name, cmd->usage);
	}
}

/* postern_lookup - exact name, else the only command with that prefix. */
static const POSTERN_CMD *
postern_lookup(const char *name)
{
	const POSTERN_CMD *cmd, *found = NULL;
	size_t	len = strlen(name);
	int	count = 0;

	for (cmd = postern_cmds; cmd->name; cmd++)
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	for (cmd = postern_cmds; cmd->name; cmd++) {
		if (len > 0 && strncmp(cmd->name, name, len) == 0) {
			found = cmd;
			count++;
		}
	}
	if (count == 1)
		return found;
	if (count == 0)
		fprintf(stderr, "%s: unknown command: %s\n", postern_name, name);
	else {
		fprintf(stderr, "%s: ambiguous command: %s; candidates:", postern_name,
		    name);
		for (cmd = postern_cmds; cmd->name; cmd++)
			if (strncmp(cmd->name, name, len) == 0)
				fprintf(stderr, " %s", cmd->name);
		fprintf(stderr, "\n");
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	const POSTERN_CMD *cmd;
	int	ch;

	msg_init("postern", "postern");
	mail_version_arg(argc, argv, "postern");
	while ((ch = getopt(argc, argv, "+c:vhV")) != -1) {
		switch (ch) {
		case 'V':
			mail_version_print("postern");
			break;
		case 'c':
			postern_set_config(optarg);
			break;
		case 'v':
			msg_verbose++;
			break;
		case 'h':
			postern_list(stdout);
			return 0;
		default:
			postern_list(stderr);
			return 64;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		postern_list(stderr);
		return 64;
	}
	if (strcmp(argv[0], "help") == 0) {
		postern_list(stdout);
		return 0;
	}
	if ((cmd = postern_lookup(argv[0])) == NULL) {
		fprintf(stderr, "(\"%s help\" lists the commands)\n", postern_name);
		return 1;
	}
	if (cmd->fn0 != NULL) {
		if (argc > 1) {
			fprintf(stderr, "%s: %s takes no arguments\n", postern_name,
			    cmd->name);
			return 64;
		}
		return cmd->fn0();
	}
	optind = 1;
	return cmd->fn(argc, argv);
}
