/*
 * NAME
 *	echod - test daemon for the master and the mail_server skeletons
 * SYNOPSIS
 *	echod [skeleton options] [single|trigger|event|crash|slow]
 * DESCRIPTION
 *	echod exists for the black-box tests of the master (it is built
 *	but not installed). The last argument selects what it does:
 *
 *	single (default): a single-client server. It greets with
 *	"220 echod <service> <pid>", then answers each line with the
 *	same line, "pid" with its process id, "uid" with its user id;
 *	"quit" ends the session.
 *
 *	trigger: a trigger server; each request is logged as
 *	"echod: trigger <service> <bytes>".
 *
 *	event: an event server (unlimited): each client gets its greeting
 *	and is closed.
 *
 *	crash: exits with status 1 during start-up (throttling tests).
 * DIAGNOSTICS
 *	Sessions are logged ("echod: session <n>") so that tests can wait
 *	for them.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail_server.h"
#include "msg.h"
#include "vstream.h"
#include "vstring.h"

#define ECHOD_LINE_MAX	1000

static int echod_sessions;

static void
echod_single(VSTREAM *stream, const char *service, char **argv)
{
	VSTRING	*line = vstring_alloc(100);
	int	 rc;

	(void)argv;
	msg_info("echod: session %d", ++echod_sessions);
	vstream_set_timeout(stream, 60);
	vstream_fprintf(stream, "220 echod %s %ld\r\n", service, (long)getpid());
	vstream_fflush(stream);
	while ((rc = vstream_get_line(stream, line, ECHOD_LINE_MAX,
	    VSTREAM_GL_CRLF)) == VSTREAM_LINE_OK) {
		if (strcmp(vstring_str(line), "quit") == 0) {
			vstream_fprintf(stream, "221 bye\r\n");
			break;
		}
		if (strcmp(vstring_str(line), "pid") == 0)
			vstream_fprintf(stream, "%ld\r\n", (long)getpid());
		else if (strcmp(vstring_str(line), "uid") == 0)
			vstream_fprintf(stream, "%ld\r\n", (long)geteuid());
		else
			vstream_fprintf(stream, "%s\r\n", vstring_str(line));
		if (vstream_fflush(stream) < 0)
			break;
	}
	(void)vstream_fflush(stream);
	vstring_free(line);
}

static void
echod_trigger(const char *buf, size_t len, const char *service, char **argv)
{
	(void)argv;
	msg_info("echod: trigger %s %zu", service, len);
	(void)buf;
}

static void
echod_event(VSTREAM *stream, const char *service, char **argv)
{
	(void)argv;
	msg_info("echod: event client %s", service);
	vstream_fprintf(stream, "220 echod %s %ld\r\n", service, (long)getpid());
	(void)vstream_fclose(stream);
}

static void
echod_crash(const char *service, char **argv)
{
	(void)argv;
	msg_fatal("echod: %s: crashing on purpose", service);
}

int
main(int argc, char **argv)
{
	static MAIL_SERVER_OPS ops;
	static MAIL_SERVER_OPS event_ops = { .unlimited = 1 };
	const char *mode = argc > 1 ? argv[argc - 1] : "single";

	if (strcmp(mode, "trigger") == 0)
		trigger_server_main(argc, argv, echod_trigger, &ops);
	if (strcmp(mode, "event") == 0)
		event_server_main(argc, argv, echod_event, &event_ops);
	if (strcmp(mode, "crash") == 0)
		ops.pre_init = echod_crash;
	single_server_main(argc, argv, echod_single, &ops);
	return 0;
}
