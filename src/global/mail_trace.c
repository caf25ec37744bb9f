/*
 * NAME
 *	mail_trace - run-time tracing for the daemons (smtpctl trace)
 * SYNOPSIS
 *	#include <mail_trace.h>
 *
 *	int	mail_trace_check(const char *program);
 *	int	mail_trace_match(const char *program, const char *text);
 * DESCRIPTION
 *	"smtpctl trace subsystem" makes the qmgr write the traced
 *	subsystems, one per line, to $queue_directory/pid/trace (and remove
 *	it when none is left). A daemon calls mail_trace_check() before it
 *	serves a client: at most once a second it stat()s that file, and
 *	when the file changed it reads it (at most 1 KiB) and turns verbose
 *	logging on while a subsystem of this program is listed, back to the
 *	verbosity it started with otherwise. The subsystems of each program
 *	(smtpctl(8) names):
 * .IP smtpd
 *	smtp (incoming sessions), io, rules, filters, lookup (access tables);
 * .IP "smtp, lmtp"
 *	mta (outgoing sessions), io;
 * .IP bounce
 *	bounce;
 * .IP local
 *	expand (aliases, .forward), lookup;
 * .IP pickup
 *	queue;
 * .PP
 *	and "all" for every one. mail_trace_match() is the test of one
 *	file's text.
 * DIAGNOSTICS
 *	None: a file that cannot be read means no tracing.
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail_trace.h"
#include "msg.h"

#define MAIL_TRACE_FILE	"pid/trace"

typedef struct MAIL_TRACE_MAP {
	const char *program;
	const char *subsystems;		/* space separated */
} MAIL_TRACE_MAP;

static const MAIL_TRACE_MAP mail_trace_map[] = {
	{"smtpd", "smtp io rules filters lookup"},
	{"smtp", "mta io"},
	{"lmtp", "mta io"},
	{"bounce", "bounce"},
	{"local", "expand lookup"},
	{"pickup", "queue"},
	{NULL, NULL},
};

/* mail_trace_word - is word in the space-separated list? */
static int
mail_trace_word(const char *list, const char *word, size_t len)
{
	const char *p = list;

	while (*p) {
		size_t	 n = strcspn(p, " ");

		if (n == len && strncmp(p, word, len) == 0)
			return 1;
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}

int
mail_trace_match(const char *program, const char *text)
{
	const MAIL_TRACE_MAP *mp;
	const char *line = text;
	size_t	 len;

	for (mp = mail_trace_map; mp->program; mp++)
		if (strcmp(mp->program, program) == 0)
			break;
	while (*line) {
		len = strcspn(line, "\r\n");
		if ((len == 3 && strncmp(line, "all", 3) == 0)
		    || (mp->program && mail_trace_word(mp->subsystems, line, len)))
			return 1;
		line += len;
		line += strspn(line, "\r\n");
	}
	return 0;
}

int
mail_trace_check(const char *program)
{
	static time_t checked;
	static struct stat last;
	static int base = -1, on;
	struct stat st;
	char	 buf[1025];
	ssize_t	 n;
	int	 fd;

	if (base < 0)
		base = msg_verbose;
	if (time(NULL) == checked)
		return on;
	checked = time(NULL);
	if (stat(MAIL_TRACE_FILE, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (st.st_ino == last.st_ino && st.st_mtime == last.st_mtime
	    && st.st_size == last.st_size)
		return on;
	last = st;
	on = 0;
	if (st.st_ino != 0
	    && (fd = open(MAIL_TRACE_FILE, O_RDONLY | O_NOFOLLOW)) >= 0) {
		if ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = 0;
			on = mail_trace_match(program, buf);
		}
		close(fd);
	}
	msg_verbose = on ? (base > 0 ? base : 1) : base;
	return on;
}
