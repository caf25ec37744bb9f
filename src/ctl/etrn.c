/*
 * NAME
 *	etrn - ask mail servers to start their queues for this host
 * SYNOPSIS
 *	etrn [-b] [-L] [-v] [-c config_dir] server-host [client-host ...]
 *	etrn [-b] [-L] [-v] [-c config_dir]
 * DESCRIPTION
 *	Opens an SMTP session with server-host ("host", "host:port",
 *	"[address]" or "[address]:port"; port 25 by default) and sends one
 *	ETRN (RFC 1985) per client host. With no client hosts it sends one
 *	for every domain this host accepts mail for: $myhostname and the
 *	literal entries of $mydestination (tables and patterns cannot be
 *	listed), and then implies -b.
 *
 *	-b waits first, at most 5 minutes, until this
 *	host's own SMTP service (the smtpd entries of master.cf) accepts
 *	connections, so that the server's deliveries are not refused
 *	while the system is still starting. -v shows the dialogue on
 *	standard error.
 *
 *	Without a server-host, the servers come from the ETRN_HOSTS
 *	environment variable or, when that is unset, the etrn_hosts
 *	parameter: white-space separated groups "server[:client,...]" (a
 *	server with a port is written "[address]:port"), e.g.
 *	"s1:c1.1,c1.2 s2:c2.1 s3". Both are parsed the same way: only
 *	white space separates groups, the commas separate a group's
 *	clients. A group without clients asks for every local domain, as
 *	above. postern start runs "etrn -b -L" in the background when either
 *	is set (the seed's "at boot time").
 *
 *	-L logs the outcome of each ETRN (and every failure) to the mail
 *	log (maillog_file or syslog) instead of standard error, for runs
 *	without a terminal.
 * DIAGNOSTICS
 *	Exit 0 when every ETRN was accepted (2xx), 1 when one was refused
 *	or a session failed, 64 for a usage error. Replies that are not
 *	2xx are printed on standard error.
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "connect.h"
#include "mail_conf.h"
#include "master_ent.h"
#include "mail_version.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtp_reply.h"
#include "vstream.h"

#define ETRN_TIMEOUT	60		/* per SMTP read or write */
#define ETRN_WAIT	300		/* -b: seconds at most */

static int etrn_verbose;
static int etrn_log;			/* -L: results to the mail log */

/* etrn_report - a failure (or with -L, a result) on stderr or in the log */

static void PRINTFLIKE(2, 3)
etrn_report(int failure, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	if (etrn_log) {
		msg_vlog(failure ? MSG_WARN : MSG_INFO, fmt, ap);
	} else if (failure) {
		fprintf(stderr, "etrn: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

/* etrn_hook - -v: each reply line on standard error */
static void
etrn_hook(void *context, const char *line, size_t len)
{
	fprintf(stderr, "<<< %.*s\n", (int)len, line);
}

/* etrn_cmd - send a command (unless null) and read the reply; its code */
static int
etrn_cmd(VSTREAM *stream, VSTRING *line, SMTP_REPLY *reply, const char *cmd)
{
	if (cmd) {
		if (etrn_verbose)
			fprintf(stderr, ">>> %s\n", cmd);
		if (vstream_fprintf(stream, "%s\r\n", cmd) < 0
		    || vstream_fflush(stream) < 0) {
			vstring_strcpy(reply->text, "lost connection");
			return 0;
		}
	}
	return smtp_reply_read(stream, reply, line, etrn_verbose ? etrn_hook :
	    NULL, NULL);
}

/* etrn_name_ok - a name we may put on an SMTP command line. */
static int
etrn_name_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	if (*p == 0 || strlen(name) > 255)
		return 0;
	for (; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return 0;
	return 1;
}

/* etrn_session - one server, one ETRN per client; 0 if all accepted. */
static int
etrn_session(const char *server, ARGV *clients)
{
	VSTRING	*why = vstring_alloc(64), *line = vstring_alloc(256);
	VSTRING	*cmd = vstring_alloc(256);
	SMTP_REPLY reply;
	VSTREAM	*stream = NULL;
	int	 fd, code, failed = 0;
	size_t	 i;

	smtp_reply_init(&reply);
	if ((fd = inet_connect_hostport(server, "25", ETRN_TIMEOUT, why)) < 0) {
		etrn_report(1, "%s: %s", server, vstring_str(why));
		failed = 1;
		goto done;
	}
	stream = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	vstream_set_timeout(stream, ETRN_TIMEOUT);
	if ((code = etrn_cmd(stream, line, &reply, NULL)) != 220)
		goto proto;
	vstring_sprintf(cmd, "EHLO %s", conf_str("myhostname"));
	if ((code = etrn_cmd(stream, line, &reply, vstring_str(cmd))) != 250) {
		vstring_sprintf(cmd, "HELO %s", conf_str("myhostname"));
		if ((code = etrn_cmd(stream, line, &reply, vstring_str(cmd))) != 250)
			goto proto;
	}
	for (i = 0; i < clients->argc; i++) {
		if (!etrn_name_ok(clients->argv[i])) {
			etrn_report(1, "bad client host name: \"%s\"",
			    clients->argv[i]);
			failed = 1;
			continue;
		}
		vstring_sprintf(cmd, "ETRN %s", clients->argv[i]);
		if ((code = etrn_cmd(stream, line, &reply, vstring_str(cmd))) == 0)
			goto proto;
		if (code / 100 != 2) {
			etrn_report(1, "%s: ETRN %s: %s", server,
			    clients->argv[i], vstring_str(reply.text));
			failed = 1;
		} else
			etrn_report(0, "%s: ETRN %s: %s", server,
			    clients->argv[i], vstring_str(reply.text));
	}
	(void)etrn_cmd(stream, line, &reply, "QUIT");
	goto done;
proto:
	etrn_report(1, "%s: %s", server, vstring_str(reply.text));
	failed = 1;
done:
	if (stream)
		(void)vstream_fclose(stream);
	vstring_free(why);
	vstring_free(line);
	smtp_reply_done(&reply);
	vstring_free(cmd);
	return failed;
}

/* etrn_local_domains - myhostname and the literal mydestination names. */
static ARGV *
etrn_local_domains(void)
{
	ARGV	*list = conf_list("mydestination"), *out = argv_alloc(8);
	size_t	 i, j;

	argv_add(out, conf_str("myhostname"));
	for (i = 0; i < list->argc; i++) {
		const char *d = list->argv[i];

		if (strchr(d, ':') || strchr(d, '/') || *d == '!' || *d == 0)
			continue;
		for (j = 0; j < out->argc && strcasecmp(out->argv[j], d); j++)
			;
		if (j == out->argc)
			argv_add(out, d);
	}
	argv_free(list);
	return out;
}

/* etrn_own_smtp - is one of our smtpd services accepting connections? */
static int
etrn_own_smtp(void)
{
	VSTRING	*why = vstring_alloc(64);
	MASTER_TABLE *table;
	const MASTER_ENT *ent;
	const char *host;
	size_t	 i;
	int	 fd, found = 0, up = 0;

	if ((table = master_ent_load(NULL, why)) == NULL)
		msg_fatal("%s", vstring_str(why));
	for (i = 0; i < table->count && !up; i++) {
		ent = table->ent[i];
		if (ent->type != MASTER_ENT_INET
		    || strcmp(ent->command, "smtpd") != 0)
			continue;
		found = 1;
		host = ent->inet_host;
		if (host == NULL || strcmp(host, "*") == 0)
			host = "127.0.0.1";
		if ((fd = inet_connect(host, ent->inet_port, NULL, 2, NULL))
		    >= 0) {
			close(fd);
			up = 1;
		}
	}
	master_ent_table_free(table);
	vstring_free(why);
	return up || !found;
}

static void
etrn_wait_own(void)
{
	time_t	 deadline = time(NULL) + ETRN_WAIT;

	while (!etrn_own_smtp()) {
		if (time(NULL) >= deadline)
			msg_fatal("this host's SMTP service is not listening "
			    "after %d seconds", ETRN_WAIT);
		if (etrn_verbose)
			fprintf(stderr, "etrn: waiting for the local SMTP "
			    "service\n");
		sleep(1);
	}
}

/* etrn_group - one "server[:client,...]" group of ETRN_HOSTS. */
static int
etrn_group(const char *group, int wait)
{
	const char *p = group, *colon;
	ARGV	*clients;
	char	*server;
	int	 rc;

	if (*p == '[' && (p = strchr(p, ']')) != NULL) {
		p++;
		if (*p == ':' && isdigit((unsigned char)p[1]))
			for (p++; isdigit((unsigned char)*p); p++)
				;
	} else
		p = group;
	colon = strchr(p, ':');
	server = colon ? mystrndup(group, (size_t)(colon - group)) :
	    mystrdup(group);
	clients = colon && colon[1] ? argv_split(colon + 1, ",") :
	    etrn_local_domains();
	if (wait || !colon || !colon[1])
		etrn_wait_own();
	rc = etrn_session(server, clients);
	argv_free(clients);
	myfree(server);
	return rc;
}

static int
etrn_hosts(int wait)
{
	const char *env = getenv("ETRN_HOSTS");
	ARGV	*groups;
	size_t	 i;
	int	 rc = 0;

	/* Groups are separated by white space only: "s:c1,c2" is one group. */
	groups = argv_split(env ? env : conf_str("etrn_hosts"), " \t\r\n");
	if (groups->argc == 0) {
		etrn_report(1, "no server-host given, and neither "
		    "ETRN_HOSTS nor etrn_hosts is set");
		rc = 64;
	}
	for (i = 0; i < groups->argc; i++)
		rc |= etrn_group(groups->argv[i], wait);
	argv_free(groups);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *conf_dir = NULL;
	ARGV	*clients;
	int	 ch, wait = 0, rc, i;

	msg_init("postern", "etrn");
	mail_version_arg(argc, argv, "etrn");
	while ((ch = getopt(argc, argv, "bc:LvV")) != -1) {
		switch (ch) {
		case 'V':
			mail_version_print("etrn");
			break;
		case 'b':
			wait = 1;
			break;
		case 'L':
			etrn_log = 1;
			break;
		case 'c':
			conf_dir = optarg;
			break;
		case 'v':
			etrn_verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: etrn [-b] [-L] [-v] [-c config_dir] "
			    "[server-host [client-host ...]]\n");
			return 64;
		}
	}
	mail_conf_read(conf_dir);
	if (etrn_log) {
		const char *file = conf_str("maillog_file");

		msg_set_tag(conf_str("syslog_name"), "etrn");
		if (*file == 0 || msg_to_file(file) < 0)
			msg_to_syslog(conf_str("syslog_facility"));
		msg_to_stderr(0);
	}
	if (optind == argc)
		return etrn_hosts(wait);
	clients = argv_alloc(8);
	for (i = optind + 1; i < argc; i++)
		argv_add(clients, argv[i]);
	if (clients->argc == 0) {
		argv_free(clients);
		clients = etrn_local_domains();
		wait = 1;
	}
	if (wait)
		etrn_wait_own();
	rc = etrn_session(argv[optind], clients);
	argv_free(clients);
	return rc;
}
