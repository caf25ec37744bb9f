/*
 * NAME
 *	smtp_mkqf - make a queue file for the smtp/lmtp client tests
 * SYNOPSIS
 *	smtp_mkqf queue_dir queue sender [-e envid] [-r ret] rcpt[=orcpt]...
 *	    < content
 * DESCRIPTION
 *	A test helper (built by tests/test_smtp_client.py with the project's
 *	libraries): makes the queue directories when missing, writes one
 *	message with the given envelope and the standard input as content
 *	(LF-terminated lines, as the queue stores them), commits it into the
 *	named queue directory, and prints the message-id.
 * DIAGNOSTICS
 *	Exit status 1 with a message on stderr when anything fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"
#include "vstring.h"

int
main(int argc, char **argv)
{
	VSTRING	*why = vstring_alloc(100);
	QF_WRITER *w;
	char	 buf[65536], *eq;
	const char *envid = NULL;
	int	 i, ret = 0;
	ssize_t	 n;

	msg_init("postern", "smtp_mkqf");
	if (argc < 5)
		msg_fatal("usage: smtp_mkqf queue_dir queue sender [-e envid] [-r ret] rcpt...");
	if (qf_make_dirs(argv[1], getuid(), getgid(), why) < 0)
		msg_fatal("%s", vstring_str(why));
	if ((w = qf_create(argv[1], why)) == NULL)
		msg_fatal("%s", vstring_str(why));
	qf_set_sender(w, argv[3]);
	qf_set_arrival(w, time(NULL));
	qf_set_origin(w, "smtp");
	for (i = 4; i < argc; i++) {
		if (strcmp(argv[i], "-e") == 0 && i + 1 < argc) {
			envid = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
			ret = atoi(argv[++i]);
			continue;
		}
		if ((eq = strchr(argv[i], '=')) != NULL)
			*eq++ = 0;
		qf_add_rcpt(w, argv[i], eq, 0);
	}
	if (envid || ret)
		qf_set_dsn(w, envid, ret);
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (qf_write_content(w, buf, n) < 0)
			msg_fatal("write content");
	printf("%s\n", qf_writer_id(w));
	if (qf_commit(w, argv[2], why) < 0)
		msg_fatal("%s", vstring_str(why));
	vstring_free(why);
	return 0;
}
