/*
 * NAME
 *	smtpctl_show - the show verbs of smtpctl
 * SYNOPSIS
 *	#include "smtpctl.h"
 *
 *	int	smtpctl_show(const SC_CMD *cmd);
 *	void	smtpctl_print_env(const ATTR *env, int json);
 *	void	smtpctl_print_envelope(const ATTR *env, int json);
 *	void	smtpctl_print_json(const ATTR *list);
 *	void	smtpctl_json_string(const char *text);
 * DESCRIPTION
 *	smtpctl_show() asks the qmgr for show queue, envelope, hosts,
 *	hoststats, relays, routes, stats or status and prints each item
 *	as it arrives; with nothing running, show queue and show envelope
 *	read the queue files (smtpctl_offline.c) and the rest fail.
 *
 *	smtpctl_print_env() prints one envelope: for show queue the
 *	smtpctl(8) line, fields separated by "|": envelope-id, client
 *	address family, type, flags, sender, original recipient,
 *	destination (the envelope recipient), created, expires, last
 *	attempt (UNIX times), attempts, runstate (pending, inflight or
 *	offline), delay (seconds before the next attempt, or in flight;
 *	blank offline) and the last error. A held envelope is "pending"
 *	with "held" among its flags. Control characters become '?'.
 *	smtpctl_print_envelope() prints one envelope for show envelope:
 *	"name: value" lines and an empty line. The envelope is the list
 *	qenv_view() makes (qenv(3)), from the qmgr or, offline, from the
 *	queue file.
 *
 *	With -j every item is one JSON object on one line: the qmgr's
 *	attribute names (qmgr_clnt.h), numbers as numbers.
 * DIAGNOSTICS
 *	Exit status 1 with a message on stderr when the qmgr refuses or
 *	fails, also after a listing the qmgr could not make whole (a queue
 *	directory it could not list: "the list is incomplete").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr_clnt.h"
#include "smtpctl.h"
#include "smtpd_pause.h"

/* Attribute names whose values are text even when they look numeric. */
static const char *sc_text_names[] = {
	QC_ENVID, QC_MSGID, QC_SENDER, QC_RCPT, QC_ORCPT, QC_DEST, QC_FLAGS,
	QC_DESTINATION, QC_SOURCE, QC_HOST, QC_HS_DOMAIN, QC_LAST_ERROR,
	QC_SRCADDR, QC_RELAY, QC_CONNECTORS,
	QC_LAST_STATUS, QC_HS_STATUS, QC_REASON, QC_QUEUE, QC_FAMILY, QC_TYPE,
	QC_RUNSTATE, NULL,
};

void
smtpctl_json_string(const char *s)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static int
sc_numeric(const char *name, const char *value)
{
	const char **np;
	const char *p = value;

	for (np = sc_text_names; *np; np++)
		if (strcmp(*np, name) == 0)
			return 0;
	if (*p == '-')
		p++;
	if (*p == 0 || strlen(p) > 18)
		return 0;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return value[0] != '0' || value[1] == 0;
}

void
smtpctl_print_json(const ATTR *a)
{
	size_t	 i;

	putchar('{');
	for (i = 0; i < a->count; i++) {
		if (i > 0)
			putchar(',');
		smtpctl_json_string(a->name[i]);
		putchar(':');
		if (sc_numeric(a->name[i], a->value[i]))
			fputs(a->value[i], stdout);
		else
			smtpctl_json_string(a->value[i]);
	}
	printf("}\n");
}

/* sc_put - a value (null: empty) with control characters made harmless. */
static void
sc_put(const char *value, int last)
{
	const unsigned char *p = (const unsigned char *)value, *run;

	while (p && *p) {
		for (run = p; *p && *p >= 0x20 && *p != 0x7f; p++)
			;
		if (p > run)
			fwrite(run, 1, (size_t)(p - run), stdout);
		if (*p) {
			putchar('?');
			p++;
		}
	}
	if (!last)
		putchar('|');
}

/* sc_field - attribute name of a, as sc_put() prints it. */
static void
sc_field(const ATTR *a, const char *name, int last)
{
	sc_put(attr_get(a, name), last);
}

/* The envelope as displayed: runstate and delay normalized. */
static ATTR *
sc_env_view(const ATTR *env)
{
	static const char *names[] = {QC_ENVID, QC_MSGID, QC_QUEUE, QC_FAMILY,
		QC_TYPE, QC_FLAGS, QC_SENDER, QC_ORCPT, QC_RCPT, QC_DEST,
		QC_CREATED, QC_EXPIRES, QC_LAST_TRY, QC_ATTEMPTS, NULL};
	ATTR	*v = attr_alloc();
	const char **np, *state = attr_get(env, QC_RUNSTATE), *value;

	for (np = names; *np; np++)
		attr_add(v, *np, (value = attr_get(env, *np)) ? value : "");
	if (state == NULL || strcmp(state, "offline") == 0) {
		attr_add(v, QC_RUNSTATE, "offline");
		attr_add(v, "delay", "");
	} else if (strcmp(state, "inflight") == 0) {
		attr_add(v, QC_RUNSTATE, "inflight");
		attr_add_long(v, "delay", attr_get_long(env, QC_INFLIGHT, 0));
	} else {
		attr_add(v, QC_RUNSTATE, "pending");
		attr_add_long(v, "delay", attr_get_long(env, QC_NEXT_TRY, 0));
	}
	attr_add(v, QC_LAST_ERROR, (value = attr_get(env, QC_LAST_ERROR)) ?
	    value : "");
	return v;
}

/*
 * smtpctl_print_env - the line is printed from env with sc_env_view()'s
 * normalization, without building the view (a queue listing prints
 * tens of thousands of lines).
 */
void
smtpctl_print_env(const ATTR *env, int json)
{
	static const char *line[] = {QC_ENVID, QC_FAMILY, QC_TYPE, QC_FLAGS,
		QC_SENDER, QC_ORCPT, QC_RCPT, QC_CREATED, QC_EXPIRES,
		QC_LAST_TRY, QC_ATTEMPTS, NULL};
	const char **np, *state = attr_get(env, QC_RUNSTATE);
	ATTR	*v;

	if (json) {
		v = sc_env_view(env);
		smtpctl_print_json(v);
		attr_free(v);
		return;
	}
	for (np = line; *np; np++)
		sc_field(env, *np, 0);
	if (state == NULL || strcmp(state, "offline") == 0)
		fputs("offline||", stdout);
	else if (strcmp(state, "inflight") == 0)
		printf("inflight|%lld|", attr_get_long(env, QC_INFLIGHT, 0));
	else
		printf("pending|%lld|", attr_get_long(env, QC_NEXT_TRY, 0));
	sc_field(env, QC_LAST_ERROR, 1);
	putchar('\n');
}

/* Per-item printers. ctx is the command. */
static int
sc_item_queue(const ATTR *a, void *ctx)
{
	smtpctl_print_env(a, ((const SC_CMD *)ctx)->json);
	return 0;
}

void
smtpctl_print_envelope(const ATTR *a, int json)
{
	size_t	 i;

	if (json) {
		smtpctl_print_json(a);
		return;
	}
	for (i = 0; i < a->count; i++)
		printf("%s: %s\n", a->name[i], a->value[i]);
	printf("\n");
}

static int sc_envelopes;			/* show envelope: items seen */

static int
sc_item_envelope(const ATTR *a, void *ctx)
{
	sc_envelopes++;
	smtpctl_print_envelope(a, ((const SC_CMD *)ctx)->json);
	return 0;
}

/* sc_source - a route's source address as smtpctl(8) shows it: "[addr]", "[]" any */
static void
sc_source(VSTRING *out, const char *src)
{
	vstring_reset(out);
	if (src == NULL || *src == 0)
		vstring_strcpy(out, "[]");
	else
		vstring_sprintf(out, "[%.*s]", (int)strcspn(src, ","), src);
}

static int
sc_item_route(const ATTR *a, void *ctx)
{
	const char *flags = attr_get(a, QC_RFLAGS);
	VSTRING	*src;

	if (((const SC_CMD *)ctx)->json) {
		smtpctl_print_json(a);
		return 0;
	}
	flags = flags ? flags : "";
	src = vstring_alloc(32);
	sc_source(src, attr_get(a, QC_SRCADDR));
	printf("%lld. %s <-> %s %c%c%c nconn=%lld penalty=%lld timeout=%llds\n",
	    attr_get_long(a, QC_ROUTE_ID, 0), vstring_str(src),
	    attr_get(a, QC_DESTINATION), strchr(flags, 'D') ? 'D' : '-',
	    strchr(flags, 'N') ? 'N' : '-', strchr(flags, 'Q') ? 'Q' : '-',
	    attr_get_long(a, QC_CONNS, 0), attr_get_long(a, QC_PENALTY, 0),
	    attr_get_long(a, QC_DELAY, 0));
	vstring_free(src);
	return 0;
}

static int
sc_item_relay(const ATTR *a, void *ctx)
{
	const char *status = attr_get(a, QC_LAST_STATUS), *conns, *relay;
	ARGV	*list;
	size_t	 i;

	if (((const SC_CMD *)ctx)->json) {
		smtpctl_print_json(a);
		return 0;
	}
	relay = attr_get(a, QC_RELAY);
	printf("%lld. relay %s:%s connections=%lld window=%lld queued=%lld "
	    "penalty=%lld last_relay=%s last_status=\"%s\"\n", attr_get_long(a, QC_ROUTE_ID,
	    0), attr_get(a, QC_SOURCE), attr_get(a, QC_DESTINATION),
	    attr_get_long(a, QC_CONNS, 0), attr_get_long(a, QC_WINDOW, 0),
	    attr_get_long(a, QC_QUEUED, 0), attr_get_long(a, QC_PENALTY, 0),
	    relay && *relay ? relay : "none", status ? status : "");
	/* The connectors: the source addresses it connects from. */
	conns = attr_get(a, QC_CONNECTORS);
	list = argv_split(conns ? conns : "", ",");
	if (list->argc == 0)
		printf("\tconnector [] -> %s nconn=%lld\n", attr_get(a, QC_DESTINATION),
		    attr_get_long(a, QC_CONNS, 0));
	for (i = 0; i < list->argc; i++)
		printf("\tconnector [%s] -> %s nconn=%lld\n", list->argv[i],
		    attr_get(a, QC_DESTINATION), attr_get_long(a, QC_CONNS, 0));
	argv_free(list);
	return 0;
}

static int
sc_item_host(const ATTR *a, void *ctx)
{
	long long when = attr_get_long(a, QC_HS_TIME, 0);
	const char *host, *lb, *rb = NULL;

	if (((const SC_CMD *)ctx)->json) {
		smtpctl_print_json(a);
		return 0;
	}
	/* "name[addr]:port" as the transports report relays. */
	host = attr_get(a, QC_HOST) ? attr_get(a, QC_HOST) : "";
	if ((lb = strchr(host, '[')) != NULL && (rb = strchr(lb, ']')) != NULL)
		printf("%.*s %.*s%s", (int)(rb - lb - 1), lb + 1, (int)(lb - host),
		    host, rb[1] == ':' ? " port=" : "");
	else
		printf("%s %s", host, host);
	printf("%s refcount=%lld nconn=%lld ok=%lld fail=%lld lastconn=%llds\n",
	    lb && rb && rb[1] == ':' ? rb + 2 : "", attr_get_long(a, QC_HOST_REFS, 0),
	    attr_get_long(a, QC_HOST_NCONN, 0), attr_get_long(a, QC_HOST_OK, 0),
	    attr_get_long(a, QC_HOST_FAIL, 0), when ? (long long)time(NULL) -
	    when : 0);
	return 0;
}

static int
sc_item_hoststat(const ATTR *a, void *ctx)
{
	if (((const SC_CMD *)ctx)->json) {
		smtpctl_print_json(a);
		return 0;
	}
	sc_field(a, QC_HS_DOMAIN, 0);
	sc_field(a, QC_HS_TIME, 0);
	sc_field(a, QC_HS_STATUS, 1);
	putchar('\n');
	return 0;
}

static int
sc_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
sc_item_stats(const ATTR *a, void *ctx)
{
	ARGV	*lines;
	size_t	 i;

	if (((const SC_CMD *)ctx)->json) {
		smtpctl_print_json(a);
		return 0;
	}
	lines = argv_alloc(a->count + 1);
	for (i = 0; i < a->count; i++) {
		char	*s;

		if (asprintf(&s, "%s=%s", a->name[i], a->value[i]) < 0)
			msg_fatal("out of memory");
		for (char *p = s; *p && *p != '='; p++)
			if (*p == '_')
				*p = '.';	/* qmgr_clnt.h: no dots in names */
		argv_add(lines, s);
		free(s);
	}
	qsort(lines->argv, lines->argc, sizeof(char *), sc_cmp);
	for (i = 0; i < lines->argc; i++)
		printf("%s\n", lines->argv[i]);
	argv_free(lines);
	return 0;
}


/* Services under stress: the master's pid/stress file, "name spec" lines. */
static void
sc_stress(VSTRING *names)
{
	VSTRING	*path = vstring_alloc(128);
	char	 line[512];
	FILE	*fp;
	int	 n = 0;

	vstring_sprintf(path, "%s/pid/stress", conf_str("queue_directory"));
	if ((fp = fopen(vstring_str(path), "r")) != NULL) {
		while (n < 100 && fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, " \n")] = 0;
			for (char *p = line; *p; p++)
				if (!isprint((unsigned char)*p))
					*p = '?';
			if (*line == 0)
				continue;
			vstring_sprintf_append(names, "%s%s", n++ ? " " : "", line);
		}
		fclose(fp);
	}
	vstring_free(path);
}

static int
sc_item_status(const ATTR *a, void *ctx)
{
	ATTR	*v = attr_alloc();
	VSTRING	*stress = vstring_alloc(64);
	const char *value;

	attr_add(v, "mda", (value = attr_get(a, QC_MDA)) ? value : "running");
	attr_add(v, "mta", (value = attr_get(a, QC_MTA)) ? value : "running");
	/* The smtp state is the pause flag, whatever the qmgr knows. */
	attr_add(v, "smtp", smtpd_paused(conf_str("queue_directory")) ?
	    "paused" : "running");
	sc_stress(stress);
	attr_add(v, "stress", vstring_len(stress) ? "yes" : "no");
	attr_add(v, "stress_services", vstring_str(stress));
	if (((const SC_CMD *)ctx)->json)
		smtpctl_print_json(v);
	else if (vstring_len(stress))
		printf("MDA %s\nMTA %s\nSMTP %s\nSTRESS yes (process limit "
		    "reached: %s)\n", attr_get(v, "mda"), attr_get(v, "mta"),
		    attr_get(v, "smtp"), vstring_str(stress));
	else
		printf("MDA %s\nMTA %s\nSMTP %s\nSTRESS no\n",
		    attr_get(v, "mda"), attr_get(v, "mta"), attr_get(v, "smtp"));
	vstring_free(stress);
	attr_free(v);
	return 0;
}

static char sc_outbuf[64 * 1024];		/* stdout, for show queue */

typedef struct SC_SHOW {
	int	 action;
	const char *request;
	SC_ITEM_FN fn;
} SC_SHOW;

static const SC_SHOW sc_show_table[] = {
	{SC_SHOW_QUEUE, QC_REQ_SHOW_QUEUE, sc_item_queue},
	{SC_SHOW_ENVELOPE, QC_REQ_SHOW_ENVELOPE, sc_item_envelope},
	{SC_SHOW_HOSTS, QC_REQ_SHOW_HOSTS, sc_item_host},
	{SC_SHOW_HOSTSTATS, QC_REQ_SHOW_HOSTSTATS, sc_item_hoststat},
	{SC_SHOW_RELAYS, QC_REQ_SHOW_ROUTES, sc_item_relay},
	{SC_SHOW_ROUTES, QC_REQ_SHOW_ROUTES, sc_item_route},
	{SC_SHOW_STATS, QC_REQ_SHOW_STATS, sc_item_stats},
	{SC_SHOW_STATUS, QC_REQ_SHOW_STATUS, sc_item_status},
	{0, NULL, NULL},
};

int
smtpctl_show(const SC_CMD *cmd)
{
	const SC_SHOW *sp;
	ATTR	*req;
	VSTRING	*why;
	int	 rc;

	for (sp = sc_show_table; sp->request && sp->action != cmd->action; sp++)
		;
	if (sp->request == NULL)
		msg_panic("smtpctl_show: unknown action %d", cmd->action);
	/* A listing to a pipe or file: fewer, larger writes. */
	if (cmd->action == SC_SHOW_QUEUE && !isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, sc_outbuf, _IOFBF, sizeof(sc_outbuf));
	if (cmd->action == SC_SHOW_ENVELOPE && !smtpctl_id_ok(cmd->arg, 0)) {
		fprintf(stderr, "smtpctl: invalid id: \"%s\"\n", cmd->arg);
		return SC_EXIT_FAIL;
	}
	if (!smtpctl_running()) {
		if (cmd->action == SC_SHOW_QUEUE || cmd->action == SC_SHOW_ENVELOPE)
			return smtpctl_offline_show(cmd);
		fprintf(stderr, "smtpctl: Postern is not running\n");
		return SC_EXIT_FAIL;
	}
	req = attr_alloc();
	why = vstring_alloc(64);
	attr_add(req, QC_REQUEST, sp->request);
	if (cmd->arg)
		attr_add(req, QC_ID, cmd->arg);
	rc = smtpctl_call(req, sp->fn, (void *)cmd, why);
	if (rc < 0)
		fprintf(stderr, "smtpctl: %s\n", vstring_str(why));
	else if (cmd->action == SC_SHOW_ENVELOPE && sc_envelopes == 0) {
		fprintf(stderr, "smtpctl: no such envelope or message: %s\n",
		    cmd->arg);
		rc = -1;
	}
	fflush(stdout);
	attr_free(req);
	vstring_free(why);
	return rc < 0 ? SC_EXIT_FAIL : SC_EXIT_OK;
}
