/*
 * NAME
 *	master - the Postern master process
 * SYNOPSIS
 *	master [-c config_dir] [-f] [-v]
 *
 *	master -1 [-c config_dir] [-d domain] [-v]
 * DESCRIPTION
 *	The master owns every listening socket of master.cf, starts the
 *	service processes on demand within their process limits, replaces
 *	those that die, throttles services whose processes keep failing at
 *	start-up, sends wakeup triggers, reloads its configuration on
 *	SIGHUP and stops on SIGTERM. See master(8).
 *
 *	Without -f the master detaches (a new session, the original process
 *	exits): the original process exits 0 only after the daemon has
 *	opened every listener, and 1 when start-up failed, with the reason
 *	on stderr. "postern start" relies on this. With -f it stays in the
 *	foreground and logs to stderr unless maillog_file is set; SIGINT
 *	(Ctrl-C) then stops it like SIGTERM.
 *
 *	Start-up: main.cf, the environment (only the names that
 *	import_environment lists are kept, and its name=value entries are
 *	set, as Postfix's master does; MAIL_CONFIG is exported to the
 *	children as an absolute path), queue directories (created or
 *	fixed), the lock pid/master.pid (one master per queue directory),
 *	the files an earlier run left in tmp/ (removed, with a count
 *	logged), master.cf, the listeners. Started as root, the master
 *	stays root (it binds and
 *	starts processes); the children drop to mail_owner themselves.
 *
 *	Stop: children get SIGTERM; those still alive after five seconds
 *	get SIGKILL; then the master exits. When it has exited, every
 *	child has too.
 *
 *	After a crash of an earlier master, its children may still hold a
 *	listener for a moment (they leave as soon as they notice that their
 *	master is gone, mail_server.c): binding an address still in use is
 *	retried for up to MASTER_BIND_WAIT seconds before start-up fails.
 *	In the same way a new qmgr waits for the earlier one's lock.
 *
 *	With -1 the master does one queue run in the foreground and exits
 *	when it is done, with the qmgr's exit status (master_oneshot.c):
 *	cron mode, for hosts that keep no resident daemons. It logs to
 *	maillog_file or syslog, start-up errors also to stderr; the qmgr of
 *	the run prints its summary on the master's standard output.
 *
 *	At reload (master_reload.c) the master reopens maillog_file, so
 *	that "postern logrotate" can rename it (master_reopen_log()).
 * DIAGNOSTICS
 *	Start-up errors go to stderr and to maillog_file or syslog;
 *	everything later to maillog_file or syslog. "already running (pid
 *	N)" when another master holds the lock.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "events.h"
#include "iostuff.h"
#include "mail_conf.h"
#include "anvil.h"
#include "mail_counter.h"
#include "mail_server.h"
#include "master.h"
#include "mail_version.h"
#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"

#define MASTER_PID_FILE		"pid/master.pid"
#define MASTER_STOP_GRACE	5	/* seconds before SIGKILL */

MASTER_SERV *master_services;
int	 master_foreground;
int	 master_oneshot;
int	 master_stopping;
const char *master_config_dir;

static time_t master_stop_deadline;
static char *master_log_file;		/* maillog_file as opened at start-up */

/* master_owner - who owns the queue: mail_owner/setgid_group as root. */
static void
master_owner(uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	struct group *gr;

	*uid = getuid();
	*gid = getgid();
	if (geteuid() != 0)
		return;
	if ((pw = getpwnam(conf_str("mail_owner"))) == NULL)
		msg_fatal("mail_owner %s: no such user", conf_str("mail_owner"));
	if (pw->pw_uid == 0)
		msg_fatal("mail_owner %s must not be root", conf_str("mail_owner"));
	if ((gr = getgrnam(conf_str("setgid_group"))) == NULL)
		msg_fatal("setgid_group %s: no such group", conf_str("setgid_group"));
	*uid = pw->pw_uid;
	*gid = gr->gr_gid;
}

/* master_queue_init - make the queue directories and enter the queue. */
static void
master_queue_init(void)
{
	const char *qdir = conf_str("queue_directory");
	VSTRING	*why = vstring_alloc(100);
	uid_t	 uid;
	gid_t	 gid;

	if (*qdir != '/')
		msg_fatal("queue_directory %s is not an absolute path", qdir);
	master_owner(&uid, &gid);
	if (qf_make_dirs(qdir, uid, gid, why) < 0)
		msg_fatal("queue directory %s: %s", qdir, vstring_str(why));
	if (chdir(qdir) < 0)
		msg_fatal("chdir %s: %m", qdir);
	vstring_free(why);
}

/* master_pid_lock - one master per queue directory. */
static void
master_pid_lock(void)
{
	struct flock fl;
	char	 buf[32];
	int	 fd, len;

	if ((fd = open(MASTER_PID_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		msg_fatal("open %s/%s: %m", conf_str("queue_directory"),
		    MASTER_PID_FILE);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		if (errno != EAGAIN && errno != EACCES)
			msg_fatal("lock %s: %m", MASTER_PID_FILE);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			msg_fatal("the Postern mail system is already running "
			    "(pid %ld)", (long)fl.l_pid);
		msg_fatal("the Postern mail system is already running");
	}
	len = snprintf(buf, sizeof(buf), "%*ld\n", 10, (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, len, 0) != len)
		msg_fatal("write %s: %m", MASTER_PID_FILE);
	/* The descriptor stays open: closing it would drop the lock. */
}

/*
 * master_early_logging - until start-up is done, report on stderr (for
 * "postern start") and in the mail log: a start that fails is logged.
 */
static void
master_early_logging(void)
{
	const char *file = conf_str("maillog_file");

	if (*file) {
		if (msg_to_file(file) < 0)
			msg_warn("open maillog_file %s: %m", file);
	} else if (!master_foreground) {
		msg_to_syslog(conf_str("syslog_facility"));
	}
	msg_to_stderr(1);
}

/*
 * master_reopen_log - at reload, reopen the maillog_file of start-up, which
 * "postern logrotate" may just have renamed (a changed maillog_file takes
 * effect at the next start, as the channel, file or syslog, is chosen then).
 */
void
master_reopen_log(void)
{
	if (master_log_file != NULL && msg_to_file(master_log_file) < 0)
		msg_warn("reopen maillog_file %s: %m; still logging to the "
		    "file opened before", master_log_file);
}

/*
 * master_tmp_reclaim - with the lock held, no process of an earlier run
 * writes a new message any more (a crashed one's children leave at once):
 * what tmp/ holds and no writer locks was never acknowledged.
 */
static void
master_tmp_reclaim(void)
{
	int	 n;

	if ((n = qf_tmp_reclaim(".")) < 0)
		msg_warn("cannot read %s/%s: %m", conf_str("queue_directory"),
		    QF_TMP);
	else if (n > 0)
		msg_info("removed %d file(s) that an earlier run left in %s/",
		    n, QF_TMP);
}

/* master_detach - fork; the parent exits when the child reports. */
static int
master_detach(void)
{
	int	 pfd[2];
	pid_t	 pid;
	char	 ch;
	ssize_t	 n;
	int	 status;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		msg_fatal("pipe: %m");
	if ((pid = fork()) < 0)
		msg_fatal("fork: %m");
	if (pid > 0) {
		(void)close(pfd[1]);
		while ((n = read(pfd[0], &ch, 1)) < 0 && errno == EINTR)
			continue;
		if (n == 1)
			_exit(0);
		/* Start-up failed; the child said why on stderr. */
		(void)waitpid(pid, &status, 0);
		_exit(1);
	}
	(void)close(pfd[0]);
	if (setsid() < 0)
		msg_fatal("setsid: %m");
	return pfd[1];
}

/* master_ready - start-up is done: tell the parent, move the logging. */
static void
master_ready(int ready_fd)
{
	const char *file = conf_str("maillog_file");

	if (*file) {
		if (msg_to_file(file) < 0)
			msg_fatal("open maillog_file %s: %m", file);
		msg_to_stderr(0);
		if (strncmp(file, "/dev/", 5) != 0)
			master_log_file = mystrdup(file);
	} else if (master_foreground && !master_oneshot) {
		(void)msg_to_file("/dev/stderr");
		msg_to_stderr(0);
	} else {
		msg_to_syslog(conf_str("syslog_facility"));
		msg_to_stderr(0);
	}
	if (master_oneshot)
		msg_info("queue run -- version %s, configuration %s",
		    conf_str("mail_version"), master_config_dir);
	else
		msg_info("daemon started -- version %s, configuration %s",
		    conf_str("mail_version"), master_config_dir);
	(void)conf_compat_warn();
	if (ready_fd >= 0) {
		stdio_null(3);
		if (write(ready_fd, "R", 1) != 1)
			msg_warn("start-up report: %m");
		(void)close(ready_fd);
	}
}

void
master_shutdown(void)
{
	MASTER_SERV *serv;

	if (master_stopping)
		return;
	if (!master_oneshot)
		msg_info("terminating on signal");
	master_stopping = 1;
	master_stop_deadline = time(NULL) + MASTER_STOP_GRACE;
	for (serv = master_services; serv; serv = serv->next) {
		master_wakeup_stop(serv);
		master_listen_close(serv);
	}
	master_spawn_kill_all(SIGTERM);
}

/* master_finish - the last children: wait for them, or kill them. */
static void NORETURN
master_finish(void)
{
	master_spawn_kill_all(SIGKILL);
	while (master_spawn_count() > 0) {
		master_spawn_reap();
		if (master_spawn_count() > 0 && wait(NULL) < 0 && errno == ECHILD)
			break;
	}
	exit(master_oneshot ? master_oneshot_status() : 0);
}

/*
 * master_environment - keep what import_environment lists, set its
 * name=value entries: the children inherit nothing else from whoever
 * started the master.
 */
static void
master_environment(void)
{
	ARGV	*list = conf_list("import_environment");
	ARGV	*keep = argv_alloc(list->argc);
	const char *eq, *val;
	size_t	 i;

	for (i = 0; i < list->argc; i++) {
		if ((eq = strchr(list->argv[i], '=')) != NULL)
			argv_add(keep, list->argv[i]);
		else if ((val = getenv(list->argv[i])) != NULL) {
			VSTRING *nv = vstring_alloc(64);

			vstring_sprintf(nv, "%s=%s", list->argv[i], val);
			argv_add(keep, vstring_str(nv));
			vstring_free(nv);
		}
	}
	if (clearenv() != 0)
		msg_fatal("clearenv: %m");
	for (i = 0; i < keep->argc; i++) {
		char	*name = keep->argv[i];
		char	*sep = strchr(name, '=');

		*sep = 0;
		if (*name && setenv(name, sep + 1, 1) < 0)
			msg_fatal("setenv %s: %m", name);
	}
	argv_free(keep);
	argv_free(list);
}

static char *
master_abs_config_dir(const char *dir)
{
	char	 buf[PATH_MAX];

	if (dir == NULL || *dir == 0)
		dir = getenv("MAIL_CONFIG");
	if (dir == NULL || *dir == 0)
		return NULL;
	if (realpath(dir, buf) == NULL)
		msg_fatal("configuration directory %s: %m", dir);
	return mystrdup(buf);
}

int
main(int argc, char **argv)
{
	VSTRING	*why = vstring_alloc(100);
	char	*dir = NULL, *domain = NULL;
	int	 ch, ready_fd = -1;

	msg_init("postern", "master");
	umask(022);
	mail_version_arg(argc, argv, "master");
	while ((ch = getopt(argc, argv, "1c:d:fvV")) != -1) {
		switch (ch) {
		case 'V':
			mail_version_print("master");
			break;
		case '1':
			master_oneshot = 1;
			break;
		case 'c':
			dir = optarg;
			break;
		case 'd':
			domain = optarg;
			break;
		case 'f':
			master_foreground = 1;
			break;
		case 'v':
			msg_verbose++;
			break;
		default:
			msg_fatal("usage: master [-c config_dir] [-f] [-v] | "
			    "master -1 [-c config_dir] [-d domain] [-v]");
		}
	}
	if (domain != NULL && !master_oneshot)
		msg_fatal("-d is for a queue run (-1) only");
	if (domain != NULL && (*domain == 0 || strchr(domain, '/')
	    || domain[strcspn(domain, " \t\r\n")] != 0))
		msg_fatal("invalid domain: %s", domain);
	if (master_oneshot)
		master_foreground = 1;
	dir = master_abs_config_dir(dir);
	mail_conf_read(dir);
	master_config_dir = mystrdup(mail_conf_dir());
	master_environment();
	if (setenv("MAIL_CONFIG", master_config_dir, 1) < 0)
		msg_fatal("setenv: %m");
	msg_set_tag(conf_str("syslog_name"), "master");
	if (*conf_str("maillog_file") &&
	    !mail_server_logfile_ok(conf_str("maillog_file")))
		msg_fatal("parameter maillog_file: value %s does not match any "
		    "prefix in maillog_file_prefixes", conf_str("maillog_file"));
	master_early_logging();

	if (!master_foreground)
		ready_fd = master_detach();
	master_queue_init();
	master_pid_lock();
	master_tmp_reclaim();
	/* Locked: no process of an earlier run is left to count sessions. */
	if (mail_counter_reset(MAIL_COUNTER_FILE) < 0)
		msg_warn("remove %s: %m", MAIL_COUNTER_FILE);
	if (anvil_reset(ANVIL_FILE) < 0)
		msg_warn("remove %s: %m", ANVIL_FILE);
	master_stress_reset();
	master_sig_init();
	master_spawn_init();
	if ((master_services = master_conf_load(why)) == NULL && vstring_len(why))
		msg_fatal("%s", vstring_str(why));
	if (master_oneshot)
		master_oneshot_prepare(&master_services, domain);
	master_start_services(master_services, 1);
	master_ready(ready_fd);
	if (master_oneshot)
		master_oneshot_start();

	for (;;) {
		(void)event_loop(1000);
		master_stress_tick();
		if (master_stopping) {
			master_spawn_reap();
			if (master_spawn_count() == 0)
				exit(master_oneshot ?
				    master_oneshot_status() : 0);
			if (time(NULL) >= master_stop_deadline)
				master_finish();
		}
	}
}
