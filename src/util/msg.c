/*
 * NAME
 *	msg - diagnostics and logging
 * SYNOPSIS
 *	#include <msg.h>
 *
 *	int msg_verbose;
 *
 *	void msg_init(const char *syslog_name, const char *program);
 *	void msg_set_tag(const char *syslog_name, const char *program);
 *	void msg_to_stderr(int on);
 *	void msg_to_syslog(const char *facility);
 *	int  msg_to_file(const char *path);
 *	void msg_cleanup(void (*fn)(void));
 *	void msg_fatal_hook(void (*fn)(int status));
 *
 *	void msg_info(const char *fmt, ...);
 *	void msg_warn(const char *fmt, ...);
 *	void msg_error(const char *fmt, ...);
 *	void msg_fatal(const char *fmt, ...);
 *	void msg_fatal_status(int status, const char *fmt, ...);
 *	void msg_panic(const char *fmt, ...);
 *	void msg_info_as(const char *program, const char *fmt, ...);
 *	void msg_warn_as(const char *program, const char *fmt, ...);
 * DESCRIPTION
 *	One logging interface for every program. A record is tagged
 *	"syslog_name/program[pid]" as Postfix does, so that log readers
 *	(pflogsumm, fail2ban, logwatch) need no new patterns. Warnings,
 *	errors, fatal errors and panics are prefixed "warning: ", "error: ",
 *	"fatal: " and "panic: ".
 *
 *	msg_init() sets the tag and logs to stderr only. msg_to_stderr()
 *	turns the stderr channel on or off; stderr lines are the bare
 *	"program: text" when no other channel is on (interactive commands),
 *	and full log lines otherwise (a daemon that starts up reports on
 *	stderr and in its log at once). msg_to_syslog() opens syslog with the
 *	named facility ("mail" when null). msg_to_file() appends full log
 *	lines (with time stamp and host name) to a file such as
 *	maillog_file or /dev/stdout; each record is written with one
 *	write(2) to an O_APPEND descriptor, so processes sharing a file do
 *	not interleave within a line.
 *
 *	msg_info_as() and msg_warn_as() log one record under another
 *	program name with the same syslog_name ("postfix/cleanup[pid]" for
 *	the cleanup stage that runs inside smtpd and pickup), so that log
 *	readers find the lines under the program Postfix logs them from.
 *
 *	msg_fatal() runs the cleanup hook and exits with status 1
 *	(msg_fatal_status(): the given status); msg_panic() aborts, for
 *	program bugs, leaving a core file where the system keeps them.
 *	msg_fatal_hook() is for test drivers such as the fuzz harnesses
 *	in tests/fuzz: once set, msg_fatal() and msg_fatal_status() log,
 *	then call fn with the exit status instead of running the cleanup
 *	hook and exiting. fn must not return (it longjmps back to its
 *	driver, so that a fatal error on bad input ends one input, not the
 *	process); if it does, the process exits as usual. Programs never
 *	set it. A null fn restores the default.
 *
 *	Messages are truncated at 4000 bytes and control characters are
 *	replaced by '?', so that hostile text cannot forge log lines.
 * DIAGNOSTICS
 *	msg_to_file() returns -1 when the file cannot be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

#define MSG_LEN	4000

int	msg_verbose;

static char msg_name[256] = "postern";	/* syslog_name/program */
static char msg_prog[64] = "postern";
static int msg_stderr = 1;
static int msg_file_std;		/* the file is stdout or stderr */
static int msg_syslog;
static int msg_syslog_fac = LOG_MAIL;
static int msg_file_fd = -1;
static void (*msg_cleanup_fn)(void);
static void (*msg_fatal_fn)(int);
static int msg_dying;

static const char *msg_prefix[] = { "", "warning: ", "error: ", "fatal: ", "panic: " };

void
msg_set_tag(const char *syslog_name, const char *program)
{
	const char *slash;

	if ((slash = strrchr(program, '/')) != NULL)
		program = slash + 1;
	snprintf(msg_prog, sizeof(msg_prog), "%s", program);
	snprintf(msg_name, sizeof(msg_name), "%s/%s", syslog_name, msg_prog);
	if (msg_syslog) {
		closelog();
		openlog(msg_name, LOG_PID | LOG_NDELAY, msg_syslog_fac);
	}
}

/* The pid in logged lines: one getpid() per process, not per line. */
static long msg_pid;

static void
msg_pid_reset(void)
{
	msg_pid = (long)getpid();
}

void
msg_init(const char *syslog_name, const char *program)
{
	static int atfork;

	msg_set_tag(syslog_name, program);
	msg_stderr = 1;
	msg_pid = (long)getpid();
	if (!atfork && pthread_atfork(NULL, NULL, msg_pid_reset) == 0)
		atfork = 1;
}

const char *
msg_tag(void)
{
	return msg_name;
}

void
msg_to_stderr(int on)
{
	msg_stderr = on;
}

static int
msg_facility(const char *name)
{
	static const struct { const char *name; int code; } fac[] = {
		{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};
	size_t	i;

	for (i = 0; name != NULL && i < sizeof(fac) / sizeof(fac[0]); i++)
		if (strcasecmp(name, fac[i].name) == 0)
			return fac[i].code;
	return LOG_MAIL;
}

void
msg_to_syslog(const char *facility)
{
	if (msg_syslog)
		closelog();
	msg_syslog_fac = msg_facility(facility);
	openlog(msg_name, LOG_PID | LOG_NDELAY, msg_syslog_fac);
	msg_syslog = 1;
}

int
msg_to_file(const char *path)
{
	int	fd;

	if (strcmp(path, "/dev/stdout") == 0)
		fd = dup(1);
	else if (strcmp(path, "/dev/stderr") == 0)
		fd = dup(2);
	else
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (msg_file_fd >= 0)
		close(msg_file_fd);
	msg_file_fd = fd;
	msg_file_std = strcmp(path, "/dev/stdout") == 0
	    || strcmp(path, "/dev/stderr") == 0;
	return 0;
}

void
msg_cleanup(void (*fn)(void))
{
	msg_cleanup_fn = fn;
}

void
msg_fatal_hook(void (*fn)(int))
{
	msg_fatal_fn = fn;
}

/* msg_exit - after a fatal error: the test driver's hook, or exit. */
static void NORETURN
msg_exit(int status)
{
	if (msg_fatal_fn != NULL)
		msg_fatal_fn(status);
	if (msg_cleanup_fn != NULL && msg_dying++ == 0)
		msg_cleanup_fn();
	exit(status);
}

static void
msg_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= n;
	}
}

/* msg_hostname - the short host name for file log lines, looked up once. */
static void
msg_hostname(char *buf, size_t len)
{
	static char host[256];
	char	*cp;

	if (host[0] == 0) {
		if (gethostname(host, sizeof(host)) < 0)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = 0;
		if ((cp = strchr(host, '.')) != NULL)
			*cp = 0;
	}
	snprintf(buf, len, "%s", host);
}

static void msg_vlog_tag(int, const char *, const char *, va_list)
	    PRINTFLIKE(3, 0);

/* msg_vlog_tag - format once, then hand the record to every channel. */
static void
msg_vlog_tag(int level, const char *name, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT, LOG_CRIT };
	char	text[MSG_LEN], line[MSG_LEN + 512], host[256], stamp[64];
	int	saved_errno = errno;
	size_t	len;
	char	*cp;
	time_t	now;
	struct tm tm;

	if (level < MSG_INFO || level > MSG_PANIC)
		level = MSG_PANIC;
	len = snprintf(text, sizeof(text), "%s", msg_prefix[level]);
	errno = saved_errno;
	vsnprintf(text + len, sizeof(text) - len, fmt, ap);
	for (cp = text; *cp; cp++)
		if ((unsigned char)*cp < 0x20 || *cp == 0x7f)
			*cp = '?';

	if (msg_syslog && name != msg_name) {
		openlog(name, LOG_PID | LOG_NDELAY, msg_syslog_fac);
		syslog(prio[level], "%s", text);
		openlog(msg_name, LOG_PID | LOG_NDELAY, msg_syslog_fac);
	} else if (msg_syslog) {
		syslog(prio[level], "%s", text);
	}
	if (msg_file_fd >= 0 || (msg_stderr && (msg_syslog || msg_file_fd >= 0))) {
		now = time(NULL);
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
		msg_hostname(host, sizeof(host));
		len = snprintf(line, sizeof(line), "%s %s %s[%ld]: %s\n",
		    stamp, host, name, msg_pid ? msg_pid : (long)getpid(), text);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		if (msg_file_fd >= 0)
			msg_write_all(msg_file_fd, line, len);
		if (msg_stderr && !msg_file_std)
			msg_write_all(2, line, len);
	} else if (msg_stderr) {
		len = snprintf(line, sizeof(line), "%s: %s\n", msg_prog, text);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		msg_write_all(2, line, len);
	}
	errno = saved_errno;
}

void
msg_vlog(int level, const char *fmt, va_list ap)
{
	msg_vlog_tag(level, msg_name, fmt, ap);
}

/*
 * msg_info_as - log under another program name of the same syslog_name, as
 * Postfix's cleanup(8) lines ("postfix/cleanup[pid]: ID: message-id=...")
 * come from the cleanup stage that Postern runs inside smtpd and pickup:
 * log readers (pflogsumm, fail2ban) match the program name.
 */
void
msg_vlog_as(int level, const char *program, const char *fmt, va_list ap)
{
	static char name[sizeof(msg_name)];
	const char *slash = strrchr(msg_name, '/');
	int	 n = slash ? (int)(slash - msg_name) : (int)strlen(msg_name);

	snprintf(name, sizeof(name), "%.*s/%s", n, msg_name, program);
	msg_vlog_tag(level, name, fmt, ap);
}

void
msg_info_as(const char *program, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vlog_as(MSG_INFO, program, fmt, ap);
	va_end(ap);
}

void
msg_warn_as(const char *program, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vlog_as(MSG_WARN, program, fmt, ap);
	va_end(ap);
}

#define MSG_FN(fn, level) \
void \
fn(const char *fmt, ...) \
{ \
	va_list	ap; \
	va_start(ap, fmt); \
	msg_vlog(level, fmt, ap); \
	va_end(ap); \
}

MSG_FN(msg_info, MSG_INFO)
MSG_FN(msg_warn, MSG_WARN)
MSG_FN(msg_error, MSG_ERROR)

void
msg_fatal_status(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vlog(MSG_FATAL, fmt, ap);
	va_end(ap);
	msg_exit(status);
}

void
msg_fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vlog(MSG_FATAL, fmt, ap);
	va_end(ap);
	msg_exit(1);
}

void
msg_panic(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vlog(MSG_PANIC, fmt, ap);
	va_end(ap);
	abort();
}
