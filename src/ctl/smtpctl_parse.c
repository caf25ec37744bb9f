/*
 * NAME
 *	smtpctl_parse - the smtpctl command grammar
 * SYNOPSIS
 *	#include "smtpctl.h"
 *
 *	int	smtpctl_parse(int argc, char **argv, SC_CMD *cmd, FILE *err);
 *	void	smtpctl_help(FILE *fp, const char *prog);
 * DESCRIPTION
 *	The grammar is data: sc_main[] and the tables below it are trees of
 *	tokens (a keyword, a required argument, or "the command may end
 *	here"), walked once per word of the command line, as in OpenSMTPD's
 *	parser. Abbreviation to the shortest unambiguous prefix (an exact
 *	keyword always wins: "show status" versus "show stats"), the error
 *	that lists the candidates of an ambiguous, unknown or missing word,
 *	and the help text all come from these tables.
 *
 *	smtpctl_parse() turns the words into cmd->action and cmd->arg (the
 *	id, route, table, subsystem or string); smtpctl_help() prints every
 *	complete command, one per line.
 * DIAGNOSTICS
 *	smtpctl_parse() returns -1 after a message on err.
 */
#include <stdio.h>
#include <string.h>

#include "smtpctl.h"
#include "vstring.h"

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
	KEY("clients", SC_SHOW_CLIENTS, NULL), KEY("envelope", 0, sc_show_env), KEY("hosts", SC_SHOW_HOSTS, NULL),
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

void
smtpctl_help(FILE *fp, const char *prog)
{
	VSTRING	*prefix = vstring_alloc(64);

	fprintf(fp, "usage: %s [-jv] [-c config_dir] command [argument ...]\n"
	    "commands (any unambiguous prefix will do):\n", prog);
	sc_help_walk(fp, sc_main, prefix);
	vstring_free(prefix);
}

/* sc_candidates - the words allowed at a level, for error messages. */
static void
sc_candidates(FILE *err, const SC_TOKEN *level, const char *word, size_t len)
{
	const SC_TOKEN *t;

	for (t = level; t->type != T_END; t++) {
		if (t->type == T_KEY && strncmp(t->word, word, len) == 0)
			fprintf(err, " %s", t->word);
		else if (t->type == T_ARG && len == 0)
			fprintf(err, " <%s>", t->word);
	}
	fprintf(err, "\n");
}

/* sc_match - the token a word selects at a level, or null (reported). */
static const SC_TOKEN *
sc_match(FILE *err, const SC_TOKEN *level, const char *word)
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
		fprintf(err, "smtpctl: ambiguous command: \"%s\"; candidates:",
		    word);
		sc_candidates(err, level, word, len);
	} else {
		fprintf(err, "smtpctl: unknown command: \"%s\"; expected one of:",
		    word);
		sc_candidates(err, level, "", 0);
	}
	return NULL;
}

int
smtpctl_parse(int argc, char **argv, SC_CMD *cmd, FILE *err)
{
	const SC_TOKEN *level = sc_main, *t;
	int	 i;

	for (i = 0; i < argc; i++) {
		if ((t = sc_match(err, level, argv[i])) == NULL)
			return -1;
		if (t->type == T_ARG || t->save)
			cmd->arg = t->type == T_ARG ? argv[i] : t->word;
		if (t->next == NULL) {
			if (i + 1 < argc) {
				fprintf(err, "smtpctl: unexpected argument: "
				    "\"%s\"\n", argv[i + 1]);
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
	fprintf(err, "smtpctl: incomplete command; next one of:");
	sc_candidates(err, level, "", 0);
	return -1;
}
