/*
 * NAME
 *	mail_server - skeletons of the daemons that run under the master
 * SYNOPSIS
 *	#include <mail_server.h>
 *
 *	void single_server_main(int argc, char **argv,
 *		SINGLE_SERVICE_FN service, const MAIL_SERVER_OPS *ops);
 *	void trigger_server_main(int argc, char **argv,
 *		TRIGGER_SERVICE_FN service, const MAIL_SERVER_OPS *ops);
 *	void event_server_main(int argc, char **argv,
 *		EVENT_SERVICE_FN service, const MAIL_SERVER_OPS *ops);
 *	void mail_server_busy(int busy);
 *	const char *mail_server_service(void);
 *	int mail_server_standalone(void);
 * DESCRIPTION
 *	Every daemon's main() calls one of the three skeletons, which never
 *	return. The master runs a daemon as
 *
 *		command -n service -t type [-o name=value]... [-v]... [args]
 *
 *	with the listening socket on fd 3 (MAIL_SERVER_LISTEN_FD) and a
 *	status channel on fd 4 (MAIL_SERVER_STATUS_FD, one end of a UNIX
 *	socket pair). Options:
 *	-c dir	configuration directory (else MAIL_CONFIG, else built in).
 *	-n name	service name (master.cf first column); default: program name.
 *	-t type	inet, unix, fifo (master.cf second column).
 *	-o n=v	parameter override, applied after main.cf is read.
 *	-v	more verbose logging (repeatable).
 *	-P	keep root privileges (master.cf unpriv column "n").
 *	-S	stand-alone: serve one client on stdin/stdout and exit, for
 *		debugging and tests (single-client servers); a trigger server
 *		reads one request from stdin; an event server fatals.
 *	Arguments after the options are handed to the service as argv.
 *
 *	Start-up order: options, main.cf (mail_conf_read), overrides,
 *	logging (maillog_file when set, else syslog with syslog_facility;
 *	tagged syslog_name/program; stand-alone, also standard error,
 *	only there when maillog_file is /dev/stdout, which is the client
 *	then, and syslog when maillog_file cannot be opened, as for an
 *	ordinary user), chdir to queue_directory, pre_init
 *	(still privileged), privilege drop, post_init, then service.
 *
 *	Privileges: started as root, the process becomes mail_owner
 *	(setgroups, setgid, setuid) unless -P was given; the drop is
 *	verified (setuid(0) must then fail). Started as another user the
 *	process stays that user.
 *
 *	Status: mail_server_busy(1) writes 'B' to the status channel when a
 *	client is taken, mail_server_busy(0) writes 'I' when idle again; the
 *	master forks more processes (within maxproc) when none is idle. The
 *	single-client and trigger skeletons do this themselves. Every
 *	skeleton writes 'R' once post_init has returned: the master then
 *	knows that the program can start, and replaces a process that dies
 *	later at once instead of throttling the service. End of file
 *	on the status channel means that the master has gone or wants this
 *	process to leave (reload): an idle process exits at once, a busy one
 *	after its current client. When the master dies (Linux: a parent
 *	death signal, SIGUSR2, asked for after the privilege drop, and a
 *	check that the parent is still the one that started the process),
 *	every process gives up its listener at once, so that a new master
 *	can bind the addresses, and leaves: idle processes and busy inet
 *	servers (SMTP sessions, which have acknowledged nothing unfinished)
 *	at once, event servers at the next loop round, busy unix services
 *	(delivery agents, bounce) after their current client. SIGTERM ends
 *	an idle process at once and a busy single-client or trigger process
 *	too (an unfinished SMTP or queue transaction is never acknowledged,
 *	so nothing is lost); an event server leaves its loop within a
 *	second and runs pre_exit.
 *
 *	Stress: the master writes 'S' (stress) or 'N' (no more) on the status
 *	channel when a service runs out of processes or has room again
 *	(master_stress in src/master); the skeleton sets the "stress"
 *	parameter from it, for the next values the program reads. A busy
 *	program may poll mail_server_status_fd() and call
 *	mail_server_stress() to learn it at once.
 *
 *	Pass services (master.cf type pass): a single-client server whose
 *	clients pass it a connection over the UNIX socket (unix_pass(3));
 *	the connection received is served, the passing one closed.
 *
 *	Limits: single-client and trigger servers leave after max_use
 *	clients or max_idle idle seconds (unless ops->unlimited). An event
 *	server without ops->unlimited leaves after max_idle seconds without
 *	a new client, whatever its clients are doing: long-lived event
 *	servers (qmgr) should set unlimited. daemon_timeout bounds one
 *	service call of the single-client and trigger skeletons (SIGALRM).
 * DIAGNOSTICS
 *	Fatal: bad options, a missing listener or status channel when not
 *	stand-alone, an unknown mail_owner (or one that is root), a failed
 *	privilege drop, an unusable queue_directory.
 */
#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "iostuff.h"
#include "listen.h"
#include "mail_conf.h"
#include "mail_server.h"
#include "mail_version.h"
#include "mail_trace.h"
#include "msg.h"
#include "mymalloc.h"
#include "unix_pass.h"
#include "vstream.h"

#define MAIL_SERVER_TRIGGER_MAX	1024	/* bytes of one trigger request */
#define MAIL_SERVER_TRIGGER_TIME 5	/* seconds to read one request */

#define KIND_SINGLE	1
#define KIND_TRIGGER	2
#define KIND_EVENT	3

/* The process-wide skeleton state (one server per process). */
static struct {
	const char *service;
	const char *prog;		/* program name, for smtpctl trace */
	const char *type;		/* inet, unix, fifo */
	char	**argv;			/* service arguments */
	const MAIL_SERVER_OPS *ops;
	int	 standalone;
	int	 status_fd;		/* -1 when stand-alone */
	int	 listen_fd;
	int	 kind;
	long long max_use;
	long long max_idle;
	long long daemon_timeout;
	int	 use_count;
	int	 status_eof;		/* the master closed the channel */
	int	 stress;		/* master_stress(3): 'S' / 'N' bytes */
	pid_t	 master_pid;		/* the parent at start */
} ms = { .status_fd = -1, .listen_fd = -1 };

static volatile sig_atomic_t ms_terminate;
static volatile sig_atomic_t ms_in_service;
static int ms_null_fd = -1;		/* replaces the listener: master gone */
static int ms_inet;			/* an inet service (smtpd) */

const char *
mail_server_service(void)
{
	return ms.service;
}

int
mail_server_standalone(void)
{
	return ms.standalone;
}

void
mail_server_busy(int busy)
{
	char	ch = busy ? 'B' : 'I';

	if (ms.status_fd >= 0 && write(ms.status_fd, &ch, 1) != 1 && msg_verbose)
		msg_info("status channel: %m");
}

/* mail_server_status_byte - what the master says: stress on or off. */
static void
mail_server_status_byte(int ch)
{
	if (ch == 'S' || ch == 'N') {
		ms.stress = ch == 'S';
		mail_conf_override("stress", ms.stress ? "yes" : "");
	}
}

int
mail_server_status_fd(void)
{
	return ms.status_eof ? -1 : ms.status_fd;
}

int
mail_server_leaving(void)
{
	return ms_terminate || ms.status_eof;
}

int
mail_server_stress(void)
{
	char	 buf[64];
	ssize_t	 n, i;

	while (ms.status_fd >= 0 && !ms.status_eof) {
		n = recv(ms.status_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			ms.status_eof = 1;
			break;
		}
		for (i = 0; i < n; i++)
			mail_server_status_byte(buf[i]);
	}
	return ms.stress;
}

/* mail_server_sigterm - leave now when busy, at the next safe point otherwise. */
static void
mail_server_sigterm(int sig)
{
	(void)sig;
	if (ms_in_service && ms.kind != KIND_EVENT)
		_exit(0);
	if (ms_terminate++)
		_exit(0);
}

/*
 * mail_server_master_gone - the master died (SIGUSR2, PR_SET_PDEATHSIG).
 * The listener goes at once (dup2 of /dev/null over it: no descriptor
 * number is freed under the main code), so that a new master can bind
 * its addresses. An idle process leaves now, an event server at its next
 * loop round; a busy inet server (an SMTP session) too, since it has
 * acknowledged nothing unfinished; a busy unix service (a delivery agent
 * working for the qmgr, bounce) finishes its client first.
 */
static void
mail_server_master_gone(int sig)
{
	int	 saved = errno;

	(void)sig;
	if (ms.listen_fd >= 0 && ms_null_fd >= 0)
		(void)dup2(ms_null_fd, ms.listen_fd);
	if (ms_in_service && ms_inet)
		_exit(0);
	ms_terminate = 1;
	errno = saved;
}

/* mail_server_watch_master - leave as soon as the master is gone. */
static void
mail_server_watch_master(void)
{
	struct sigaction sa;

	if (ms.standalone)
		return;
	ms_inet = strcmp(ms.type, "inet") == 0;
	if ((ms_null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		msg_warn("open /dev/null: %m");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = mail_server_master_gone;
	sigaction(SIGUSR2, &sa, NULL);
#ifdef __linux__
	/* After the privilege drop, which clears the setting. */
	if (prctl(PR_SET_PDEATHSIG, SIGUSR2) < 0)
		msg_warn("prctl(PR_SET_PDEATHSIG): %m");
#endif
	if (getppid() != ms.master_pid)
		mail_server_master_gone(SIGUSR2);	/* already gone */
}

static void
mail_server_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (!ms.standalone) {
		/* The master, not the terminal, tells us when to go. */
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	sa.sa_handler = mail_server_sigterm;
	sigaction(SIGTERM, &sa, NULL);
}

/* mail_server_exit - the one way out: pre_exit hook, then exit. */
static void NORETURN
mail_server_exit(void)
{
	if (ms.ops != NULL && ms.ops->pre_exit != NULL)
		ms.ops->pre_exit();
	if (msg_verbose)
		msg_info("exiting after %d client(s)", ms.use_count);
	exit(0);
}

static void
mail_server_override(const char *arg)
{
	const char *eq;
	char	*name;

	if ((eq = strchr(arg, '=')) == NULL || eq == arg)
		msg_fatal("bad -o option \"%s\": expected name=value", arg);
	name = mystrndup(arg, eq - arg);
	mail_conf_override(name, eq + 1);
	myfree(name);
}

static int
mail_server_fd_ok(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/*
 * mail_server_logfile_ok - does maillog_file begin with one of the prefixes
 * in maillog_file_prefixes? (As Postfix, so that a mistyped or hostile
 * setting cannot make a daemon append to an arbitrary file.)
 */
int
mail_server_logfile_ok(const char *file)
{
	ARGV	*prefixes = conf_list("maillog_file_prefixes");
	size_t	 i;
	int	 ok = 0;

	for (i = 0; i < prefixes->argc && !ok; i++)
		ok = strncmp(file, prefixes->argv[i],
		    strlen(prefixes->argv[i])) == 0;
	argv_free(prefixes);
	return ok;
}

/* mail_server_logging - syslog or maillog_file, tagged syslog_name/program. */
static void
mail_server_logging(const char *prog)
{
	const char *file = conf_str("maillog_file");

	msg_set_tag(conf_str("syslog_name"), prog);
	/* Stand-alone: also on stderr (stdout may be the client). */
	msg_to_stderr(ms.standalone);
	if (ms.standalone && file != NULL && strcmp(file, "/dev/stdout") == 0)
		return;			/* stderr has it; stdout is the client */
	if (file != NULL && *file) {
		if (msg_to_file(file) == 0)
			return;
		/* An ordinary user's sendmail -bs may not write the log. */
		if (!ms.standalone)
			msg_fatal("open maillog_file %s: %m", file);
		msg_warn("cannot open maillog_file %s: %m; logging to syslog", file);
	}
	msg_to_syslog(conf_str("syslog_facility"));
}

/* mail_server_drop_privileges - become mail_owner, and make sure of it. */
static void
mail_server_drop_privileges(void)
{
	const char *owner = conf_str("mail_owner");
	struct passwd *pw;
	uid_t	uid;
	gid_t	gid;

	if (geteuid() != 0)
		return;
	if ((pw = getpwnam(owner)) == NULL)
		msg_fatal("mail_owner %s: no such user", owner);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		msg_fatal("mail_owner %s has user id 0: refusing to run as root", owner);
	if (setgroups(1, &gid) < 0)
		msg_fatal("setgroups(%ld): %m", (long)gid);
	if (setgid(gid) < 0)
		msg_fatal("setgid(%ld): %m", (long)gid);
	if (setuid(uid) < 0)
		msg_fatal("setuid(%ld): %m", (long)uid);
	if (setuid(0) == 0 || getuid() != uid || geteuid() != uid ||
	    getgid() != gid || getegid() != gid)
		msg_fatal("privilege drop to %s did not take effect", owner);
	if (msg_verbose)
		msg_info("running as %s (uid %ld)", owner, (long)uid);
}

/* mail_server_args - parse the command line; return the service arguments. */
static char **
mail_server_args(int argc, char **argv, const char **conf_dir, int *priv,
    ARGV *overrides)
{
	int	 ch;

	opterr = 0;
	mail_version_arg(argc, argv, ms.prog);
	while ((ch = getopt(argc, argv, "+c:n:o:t:vPSV")) != -1) {
		switch (ch) {
		case 'V':
			mail_version_print(ms.prog);
			break;
		case 'c':
			*conf_dir = optarg;
			break;
		case 'n':
			ms.service = optarg;
			break;
		case 'o':
			argv_add(overrides, optarg);
			break;
		case 't':
			ms.type = optarg;
			break;
		case 'v':
			msg_verbose++;
			break;
		case 'P':
			*priv = 1;
			break;
		case 'S':
			ms.standalone = 1;
			break;
		default:
			msg_fatal("usage: %s [-c config_dir] [-n service] "
			    "[-t type] [-o name=value] [-v] [-P] [-S] [args]",
			    argv[0]);
		}
	}
	return argv + optind;
}

/* mail_server_init - everything up to and including post_init. */
static void
mail_server_init(int argc, char **argv, int kind, const MAIL_SERVER_OPS *ops)
{
	static const MAIL_SERVER_OPS no_ops;
	const char *prog, *conf_dir = NULL, *qdir;
	ARGV	*overrides = argv_alloc(4);
	size_t	 i;
	int	 priv = 0;

	prog = (prog = strrchr(argv[0], '/')) != NULL ? prog + 1 : argv[0];
	ms.prog = prog;
	ms.master_pid = getppid();
	msg_init("postern", prog);

	/*
	 * Without TZ, the C library checks /etc/localtime again (a stat)
	 * for every time stamp it formats: twice per message in smtpd.
	 * Naming the same file reads it once for the process's short life.
	 */
	if (getenv("TZ") == NULL)
		(void)setenv("TZ", ":/etc/localtime", 1);
	ms.kind = kind;
	ms.ops = ops != NULL ? ops : &no_ops;
	ms.argv = mail_server_args(argc, argv, &conf_dir, &priv, overrides);
	if (ms.service == NULL)
		ms.service = prog;
	if (ms.type == NULL)
		ms.type = ms.standalone ? "stdin" : "unix";

	mail_conf_read(conf_dir);
	for (i = 0; i < overrides->argc; i++)
		mail_server_override(overrides->argv[i]);
	argv_free(overrides);
	ms.stress = *conf_str("stress") != 0;
	mail_server_logging(prog);
	(void)conf_compat_warn();
	mail_server_signals();

	if (!ms.standalone) {
		if (!mail_server_fd_ok(MAIL_SERVER_LISTEN_FD) ||
		    !mail_server_fd_ok(MAIL_SERVER_STATUS_FD))
			msg_fatal("no listener on fd %d or status channel on fd %d: "
			    "run me from the master, or with -S",
			    MAIL_SERVER_LISTEN_FD, MAIL_SERVER_STATUS_FD);
		ms.listen_fd = MAIL_SERVER_LISTEN_FD;
		ms.status_fd = MAIL_SERVER_STATUS_FD;
		(void)close_on_exec(ms.listen_fd, 1);
		(void)close_on_exec(ms.status_fd, 1);
		(void)non_blocking(ms.listen_fd, 1);
	}
	ms.max_use = conf_int("max_use");
	ms.max_idle = conf_time("max_idle");
	ms.daemon_timeout = conf_time("daemon_timeout");

	qdir = conf_str("queue_directory");
	if (chdir(qdir) < 0)
		msg_fatal("chdir %s: %m", qdir);
	if (ms.ops->pre_init != NULL)
		ms.ops->pre_init(ms.service, ms.argv);
	if (!priv)
		mail_server_drop_privileges();
	mail_server_watch_master();
	if (ms.ops->post_init != NULL)
		ms.ops->post_init(ms.service, ms.argv);
	/* Start-up is complete: a later death is no "bad command startup". */
	if (ms.status_fd >= 0 && write(ms.status_fd, "R", 1) != 1 && msg_verbose)
		msg_info("status channel: %m");
	if (msg_verbose)
		msg_info("service %s type %s ready", ms.service, ms.type);
}

/*
 * mail_server_wait - wait for a client (1), or decide to leave (0): max_use
 * reached, max_idle passed, SIGTERM, or end of file on the status channel.
 */
static int
mail_server_wait(void)
{
	struct pollfd pfd[2];
	int	 timeout, n;
	char	 ch;

	for (;;) {
		if (ms_terminate || ms.status_eof)
			return 0;
		if (!ms.ops->unlimited && ms.max_use > 0 && ms.use_count >= ms.max_use)
			return 0;
		timeout = ms.ops->unlimited || ms.max_idle <= 0 ? -1 :
		    (int)(ms.max_idle > 86400 ? 86400000 : ms.max_idle * 1000);
		pfd[0].fd = ms.listen_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = ms.status_fd;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if ((n = poll(pfd, 2, timeout)) < 0) {
			if (errno == EINTR)
				continue;
			msg_fatal("poll: %m");
		}
		if (n == 0)
			return 0;		/* max_idle */
		if (pfd[1].revents) {
			n = read(ms.status_fd, &ch, 1);
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				return 0;	/* master gone, or reload */
			if (n == 1)
				mail_server_status_byte(ch);
		}
		if (pfd[0].revents & (POLLERR | POLLNVAL))
			msg_fatal("listener on fd %d failed", ms.listen_fd);
		if (pfd[0].revents & (POLLIN | POLLHUP))
			return 1;
	}
}

/* mail_server_call_begin/end - bracket one service call. */
static void
mail_server_call_begin(void)
{
	mail_server_busy(1);
	ms.use_count++;
	if (ms.prog != NULL)
		(void)mail_trace_check(ms.prog);
	ms_in_service = 1;
	if (ms.daemon_timeout > 0)
		alarm(ms.daemon_timeout > 1000000 ? 1000000 : (unsigned)ms.daemon_timeout);
}

static void
mail_server_call_end(void)
{
	alarm(0);
	ms_in_service = 0;
	if (ms_terminate)
		mail_server_exit();
	mail_server_busy(0);
}

/* mail_server_stdio_write - stand-alone output goes to fd 1. */
static ssize_t
mail_server_stdio_write(int fd, void *buf, size_t len, int timeout, void *ctx)
{
	(void)fd;
	(void)ctx;
	return timed_write(1, buf, len, timeout, NULL);
}

static void
single_server_standalone(SINGLE_SERVICE_FN service)
{
	VSTREAM	*stream;

	stream = vstream_fdopen(0, VSTREAM_FLAG_RW);
	vstream_set_io(stream, timed_read, mail_server_stdio_write, NULL);
	mail_server_call_begin();
	service(stream, ms.service, ms.argv);
	(void)vstream_fflush(stream);
	(void)vstream_fclose(stream);
	ms_in_service = 0;
	alarm(0);
	mail_server_exit();
}

/*
 * mail_server_pass - a pass service: the client (screen) passes us the
 * connection to serve; its own connection is then closed.
 */
static int
mail_server_pass(int fd)
{
	int	 client = unix_pass_recv(fd, MAIL_SERVER_TRIGGER_TIME);

	if (client < 0)
		msg_warn("pass service %s: no connection received: %m",
		    ms.service);
	(void)close(fd);
	return client;
}

void
single_server_main(int argc, char **argv, SINGLE_SERVICE_FN service,
    const MAIL_SERVER_OPS *ops)
{
	VSTREAM	*stream;
	int	 fd, pass;

	mail_server_init(argc, argv, KIND_SINGLE, ops);
	pass = strcmp(ms.type, "pass") == 0;
	if (ms.standalone)
		single_server_standalone(service);
	if (strcmp(ms.type, "fifo") == 0)
		msg_fatal("service %s: a single-client server needs a socket, "
		    "not a fifo", ms.service);
	while (mail_server_wait()) {
		if ((fd = listen_accept(ms.listen_fd, NULL, NULL)) < 0) {
			if (errno != EAGAIN && errno != EINTR)
				msg_warn("accept: %m");
			continue;		/* another process took it */
		}
		if (pass && (fd = mail_server_pass(fd)) < 0)
			continue;
		mail_server_call_begin();
		stream = vstream_fdopen(fd, VSTREAM_FLAG_RW);
		service(stream, ms.service, ms.argv);
		(void)vstream_fclose(stream);
		mail_server_call_end();
	}
	mail_server_exit();
}

/*
 * trigger_server_read - read one request from a connected client: until
 * end of file, an empty line (attribute request end) or the size limit.
 */
static size_t
trigger_server_read(int fd, char *buf, size_t size)
{
	size_t	 len = 0;
	ssize_t	 n;

	while (len < size) {
		n = timed_read(fd, buf + len, size - len,
		    MAIL_SERVER_TRIGGER_TIME, NULL);
		if (n <= 0)
			break;
		len += n;
		if (len >= 2 && buf[len - 1] == '\n' && buf[len - 2] == '\n')
			break;
	}
	return len;
}

void
trigger_server_main(int argc, char **argv, TRIGGER_SERVICE_FN service,
    const MAIL_SERVER_OPS *ops)
{
	char	 buf[MAIL_SERVER_TRIGGER_MAX];
	ssize_t	 len;
	int	 fd, fifo;

	mail_server_init(argc, argv, KIND_TRIGGER, ops);
	if (ms.standalone) {
		len = trigger_server_read(0, buf, sizeof(buf));
		mail_server_call_begin();
		service(buf, len, ms.service, ms.argv);
		ms_in_service = 0;
		mail_server_exit();
	}
	fifo = strcmp(ms.type, "fifo") == 0;
	while (mail_server_wait()) {
		if (fifo) {
			if ((len = read(ms.listen_fd, buf, sizeof(buf))) <= 0)
				continue;	/* EAGAIN: another process read it */
		} else {
			if ((fd = listen_accept(ms.listen_fd, NULL, NULL)) < 0)
				continue;
			len = trigger_server_read(fd, buf, sizeof(buf));
			(void)close(fd);
		}
		mail_server_call_begin();
		service(buf, (size_t)len, ms.service, ms.argv);
		mail_server_call_end();
	}
	mail_server_exit();
}

/* Event server: accept from the event loop, hand each stream over. */
static EVENT_SERVICE_FN event_server_service;

static void
event_server_idle(int event, void *ctx)
{
	(void)event;
	(void)ctx;
	if (msg_verbose)
		msg_info("idle for %lld seconds", ms.max_idle);
	ms_terminate = 1;
}

static void
event_server_accept(int event, void *ctx)
{
	VSTREAM	*stream;
	int	 fd;

	(void)event;
	(void)ctx;
	if ((fd = listen_accept(ms.listen_fd, NULL, NULL)) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			msg_warn("accept: %m");
		return;
	}
	ms.use_count++;
	if (!ms.ops->unlimited && ms.max_idle > 0)
		event_request_timer(event_server_idle, NULL, ms.max_idle * 1000);
	stream = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	event_server_service(stream, ms.service, ms.argv);
}

static void
event_server_status(int event, void *ctx)
{
	char	 ch;
	ssize_t	 n;

	(void)event;
	(void)ctx;
	n = read(ms.status_fd, &ch, 1);
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
		if (msg_verbose)
			msg_info("master has gone or asks us to leave");
		event_disable_readwrite(ms.status_fd);
		ms_terminate = 1;
	}
}

void
event_server_main(int argc, char **argv, EVENT_SERVICE_FN service,
    const MAIL_SERVER_OPS *ops)
{
	mail_server_init(argc, argv, KIND_EVENT, ops);
	if (ms.standalone)
		msg_fatal("service %s: an event server cannot run stand-alone",
		    ms.service);
	if (strcmp(ms.type, "fifo") == 0)
		msg_fatal("service %s: an event server needs a socket, not a fifo",
		    ms.service);
	event_server_service = service;
	event_enable_read(ms.listen_fd, event_server_accept, NULL);
	(void)non_blocking(ms.status_fd, 1);
	event_enable_read(ms.status_fd, event_server_status, NULL);
	if (!ms.ops->unlimited && ms.max_idle > 0)
		event_request_timer(event_server_idle, NULL, ms.max_idle * 1000);
	while (!ms_terminate)
		(void)event_loop(1000);
	mail_server_exit();
}
