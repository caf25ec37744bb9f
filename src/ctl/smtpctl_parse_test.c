/*
 * NAME
 *	smtpctl_parse_test - unit tests for the smtpctl grammar
 * DESCRIPTION
 *	Full words, minimum prefixes, exact keywords that are also prefixes
 *	("show status" / "show stats"), ambiguous and unknown words with
 *	their candidate lists, missing and extra arguments, subsystem
 *	keywords, and the help text covering every verb.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptest.h"
#include "smtpctl.h"

static char errbuf[4096];

/*
 * A test in src/ctl links every object of the directory except the
 * main() files (mk/rules.mk); postern_*.c use two helpers of postern.c.
 */
const char *postern_progname(void);
void	 postern_set_config(const char *);

const char *
postern_progname(void)
{
	return "postern";
}

void
postern_set_config(const char *dir)
{
	(void)dir;
}

/* parse - a command line in one string; the action, or -1. */
static int
parse(const char *line, SC_CMD *cmd)
{
	char	*copy = strdup(line), *words[16], *w;
	int	 n = 0, rc;
	FILE	*err = fmemopen(errbuf, sizeof(errbuf), "w");

	memset(cmd, 0, sizeof(*cmd));
	for (w = strtok(copy, " "); w && n < 16; w = strtok(NULL, " "))
		words[n++] = w;
	rc = smtpctl_parse(n, words, cmd, err);
	fclose(err);
	if (cmd->arg) {
		static char arg[256];

		snprintf(arg, sizeof(arg), "%s", cmd->arg);
		cmd->arg = arg;
	}
	free(copy);
	return rc < 0 ? -1 : cmd->action;
}

PTEST(full_and_prefix)
{
	SC_CMD	 cmd;

	PT_INTEQ(parse("show queue", &cmd), SC_SHOW_QUEUE);
	PT_INTEQ(parse("sh q", &cmd), SC_SHOW_QUEUE);
	PT_INTEQ(parse("sh ro", &cmd), SC_SHOW_ROUTES);
	PT_INTEQ(parse("sh rel", &cmd), SC_SHOW_RELAYS);
	PT_INTEQ(parse("sh hosts", &cmd), SC_SHOW_HOSTS);
	PT_INTEQ(parse("sh hostst", &cmd), SC_SHOW_HOSTSTATS);
	PT_INTEQ(parse("show status", &cmd), SC_SHOW_STATUS);
	PT_INTEQ(parse("show stats", &cmd), SC_SHOW_STATS);
	PT_INTEQ(parse("mon", &cmd), SC_MONITOR);
	PT_INTEQ(parse("l v", &cmd), SC_LOG_VERBOSE);
	PT_INTEQ(parse("up t aliases", &cmd), SC_UPDATE_TABLE);
	PT_STREQ(cmd.arg, "aliases");
}

PTEST(arguments)
{
	SC_CMD	 cmd;

	PT_INTEQ(parse("rem 0123456789abcdef", &cmd), SC_REMOVE);
	PT_STREQ(cmd.arg, "0123456789abcdef");
	PT_INTEQ(parse("sch all", &cmd), SC_SCHEDULE);
	PT_STREQ(cmd.arg, "all");
	PT_INTEQ(parse("pause env 01234567", &cmd), SC_PAUSE_ENVELOPE);
	PT_INTEQ(parse("resume route 3", &cmd), SC_RESUME_ROUTE);
	PT_STREQ(cmd.arg, "3");
	PT_INTEQ(parse("enc", &cmd), SC_ENCRYPT);
	PT_ASSERT(cmd.arg == NULL);
	PT_INTEQ(parse("encrypt secret", &cmd), SC_ENCRYPT);
	PT_STREQ(cmd.arg, "secret");
	PT_INTEQ(parse("trace sched", &cmd), SC_TRACE);
	PT_STREQ(cmd.arg, "scheduler");
	PT_INTEQ(parse("unprofile imsg", &cmd), SC_UNPROFILE);
	PT_STREQ(cmd.arg, "imsg");
}

PTEST(errors)
{
	SC_CMD	 cmd;

	PT_INTEQ(parse("s q", &cmd), -1);
	PT_ASSERT(strstr(errbuf, "ambiguous") != NULL);
	PT_ASSERT(strstr(errbuf, "schedule") && strstr(errbuf, "show")
	    && strstr(errbuf, "spf"));
	PT_INTEQ(parse("show st", &cmd), -1);
	PT_ASSERT(strstr(errbuf, "stats") && strstr(errbuf, "status"));
	PT_INTEQ(parse("frob", &cmd), -1);
	PT_ASSERT(strstr(errbuf, "unknown") && strstr(errbuf, "discover"));
	PT_INTEQ(parse("pause", &cmd), -1);
	PT_ASSERT(strstr(errbuf, "incomplete") && strstr(errbuf, "smtp"));
	PT_INTEQ(parse("show queue extra", &cmd), -1);
	PT_ASSERT(strstr(errbuf, "unexpected") != NULL);
	PT_INTEQ(parse("remove", &cmd), -1);
	PT_INTEQ(parse("trace nonsense", &cmd), -1);
	PT_INTEQ(parse("re", &cmd), -1);
}

PTEST(help_lists_every_verb)
{
	static const char *verbs[] = {"discover", "encrypt", "log brief",
		"monitor", "pause envelope", "pause smtp", "profile queue",
		"remove", "resume route", "schedule", "show message",
		"show hoststats", "spf walk", "trace", "untrace", "unprofile",
		"update table", NULL};
	char	 buf[8192];
	FILE	*fp = fmemopen(buf, sizeof(buf), "w");
	const char **vp;

	smtpctl_help(fp, "smtpctl");
	fclose(fp);
	for (vp = verbs; *vp; vp++)
		PT_ASSERT(strstr(buf, *vp) != NULL);
}

int
main(void)
{
	PT_RUN(full_and_prefix);
	PT_RUN(arguments);
	PT_RUN(errors);
	PT_RUN(help_lists_every_verb);
	return PT_DONE();
}
