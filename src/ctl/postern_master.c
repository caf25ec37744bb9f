/*
 * NAME
 *	postern_master - postern start, start-fg, stop, abort, reload, status
 * SYNOPSIS
 *	int	postern_start(void);
 *	int	postern_start_fg(void);
 *	int	postern_stop(void);
 *	int	postern_abort(void);
 *	int	postern_reload(void);
 *	int	postern_status(void);
 *	int	postern_master_pid(pid_t *pid);
 * DESCRIPTION
 *	These run the master of the configuration that postern(1) has read
 *	(main.cf from -c or MAIL_CONFIG) and return the exit status.
 *
 *	start runs $daemon_directory/master, which detaches and reports when
 *	every listener is open; start fails with the master's own message
 *	(on stderr and in the mail log) otherwise, and says "already
 *	running (pid N)" when a master holds the lock of this queue
 *	directory (after a second's wait, so that a start right after a
 *	kill -9 of the master does not see the dying one). start-fg replaces
 *	postern with the master in the foreground (containers, make run).
 *	When etrn_hosts (or the environment variable ETRN_HOSTS) is set, a
 *	started system then runs "$command_directory/etrn -b -L" in the
 *	background, detached: once smtpd listens, the servers named there
 *	are asked to start their queues for this host (etrn(1), the seed's
 *	"at boot time"), and the results go to the mail log.
 *
 *	stop sends SIGTERM and waits until the master has gone (it takes its
 *	children with it). abort kills the master and every process of its
 *	process group and every child at once (SIGKILL), then waits the
 *	same way. reload sends SIGHUP. status prints "postern is running
 *	(pid N)" and returns 0, or "postern is not running" and returns 1.
 *	A user who may not read the lock file still learns the master's
 *	pid: from /proc/locks, or when the pid directory is closed to him
 *	(mode 0700) from the command line of a master started with "-c
 *	<this config_dir>". When neither tells, he gets "cannot tell ...:
 *	Permission denied" and status 4, never a false "not running"; stop, abort and reload
 *	of a master that is not his say "running (pid N), but cannot stop
 *	it: Operation not permitted".
 *
 *	postern_master_pid() tells whether a master runs, by asking who
 *	holds the lock on queue_directory/pid/master.pid (not by trusting
 *	the number in the file, which may be stale after a crash): 1 and
 *	the pid, 0, or -1 when it cannot tell.
 * DIAGNOSTICS
 *	A start failure is also logged (maillog_file or syslog).
 *	Exit status 1 with a message on stderr: not running (stop, abort,
 *	reload), already running (start), the master could not start, it
 *	did not stop within 30 seconds.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iostuff.h"
#include "mail_conf.h"
#include "master_ent.h"
#include "msg.h"
#include "mymalloc.h"
#include "postern.h"
#include "vstring.h"

#define POSTERN_STOP_WAIT	30	/* seconds */
#define POSTERN_START_WAIT	1	/* seconds, for a master being killed */

int	 postern_master_pid(pid_t *);

/* postern_master_why - why postern_master_pid() could not tell */
static VSTRING *
postern_master_why(void)
{
	static VSTRING *why;

	if (why == NULL)
		why = vstring_alloc(100);
	return why;
}

/* postern_not_permitted - the master runs but is not ours to signal */
static int
postern_not_permitted(pid_t pid, const char *what)
{
	msg_error("the Postern mail system is running (pid %ld), but cannot %s "
	    "it: %m", (long)pid, what);
	return 1;
}

/* postern_cannot_tell - permission denied (or worse): say so, never "not running" */
static int
postern_cannot_tell(void)
{
	msg_error("cannot tell whether the Postern mail system is running: %s",
	    vstring_str(postern_master_why()));
	return 4;
}

/* postern_master_conf - main.cf of -c / MAIL_CONFIG (fatal on errors). */
static void
postern_master_conf(void)
{
	mail_conf_read(NULL);
}

/* postern_master_locks - who holds a POSIX write lock on dev:ino (/proc/locks) */
static int
postern_master_locks(const struct stat *st, pid_t *pid)
{
	char	 line[256], kind[16], mode[16];
	unsigned int maj, min;
	unsigned long ino;
	long	 owner;
	FILE	*fp;
	int	 found = 0;

	if ((fp = fopen("/proc/locks", "r")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		/* "1: POSIX  ADVISORY  WRITE 1234 fd:01:56789 0 EOF"; skip "->" waiters. */
		if (strstr(line, "->") != NULL ||
		    sscanf(line, "%*d: %15s %*s %15s %ld %x:%x:%lu", kind, mode, &owner,
		    &maj, &min, &ino) != 6)
			continue;
		if (strcmp(kind, "POSIX") == 0 && strcmp(mode, "WRITE") == 0 &&
		    ino == (unsigned long)st->st_ino && maj == major(st->st_dev) &&
		    min == minor(st->st_dev)) {
			found = 1;
			if (pid != NULL)
				*pid = (pid_t)owner;
		}
	}
	(void)fclose(fp);
	return found;
}

/* postern_master_scan - a master started for this configuration (/proc cmdlines) */
static int
postern_master_scan(pid_t *pid)
{
	char	 conf[PATH_MAX], path[300], buf[4096], *arg, *end;
	DIR	*dir;
	struct dirent *de;
	ssize_t	 n;
	int	 fd, found = 0, want_dir;

	if (realpath(mail_conf_dir(), conf) == NULL || (dir = opendir("/proc")) == NULL)
		return -1;
	while (!found && (de = readdir(dir)) != NULL) {
		if (strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		(void)close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		end = buf + n;
		/* "master -c <config_dir>", as postern start runs it. */
		if ((arg = strrchr(buf, '/')) == NULL ? strcmp(buf, "master") != 0 :
		    strcmp(arg + 1, "master") != 0)
			continue;
		for (want_dir = 0, arg = buf + strlen(buf) + 1; arg < end; arg += strlen(arg) + 1) {
			if (want_dir && strcmp(arg, conf) == 0) {
				found = 1;
				if (pid != NULL)
					*pid = (pid_t)atol(de->d_name);
				break;
			}
			want_dir = strcmp(arg, "-c") == 0;
		}
	}
	closedir(dir);
	return found;
}

int
postern_master_pid(pid_t *pid)
{
	VSTRING	*path = vstring_alloc(100);
	struct flock fl;
	struct stat st;
	int	 fd, running = 0, saved;

	vstring_sprintf(path, "%s/pid/master.pid", conf_str("queue_directory"));
	if ((fd = open(vstring_str(path), O_RDONLY | O_CLOEXEC)) >= 0) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
			running = 1;
			if (pid != NULL)
				*pid = fl.l_pid;
		}
		(void)close(fd);
	} else if (errno != ENOENT) {
		/*
		 * Not ours to read (an ordinary user and a system queue): the
		 * kernel's lock table still names the owner. Never guess "not
		 * running" from a file we may not open.
		 */
		saved = errno;
		if (stat(vstring_str(path), &st) < 0) {
			running = errno == ENOENT ? 0 : -1;
			saved = errno;
		} else
			running = postern_master_locks(&st, pid);
		/* Not even that: a master started for this configuration. */
		if (running < 0 && postern_master_scan(pid) > 0)
			running = 1;
		if (running < 0) {
			vstring_sprintf(postern_master_why(), "%s: %s",
			    vstring_str(path), strerror(saved));
			errno = saved;
		}
	}
	vstring_free(path);
	return running;
}

/* postern_master_path - $daemon_directory/master, which must exist. */
static char *
postern_master_path(void)
{
	VSTRING	*path = vstring_alloc(100);

	vstring_sprintf(path, "%s/master", conf_str("daemon_directory"));
	if (access(vstring_str(path), X_OK) < 0)
		msg_fatal("%s: %m (check daemon_directory in %s)",
		    vstring_str(path), mail_conf_path());
	return vstring_export(path);
}

/* postern_master_argv - master [-c config_dir] [-f] [-v]... */
static char **
postern_master_argv(char *path, int foreground)
{
	static char *args[8 + 3];
	static char dir[PATH_MAX];
	int	 n = 0, v;

	args[n++] = path;
	if (realpath(mail_conf_dir(), dir) == NULL)
		msg_fatal("configuration directory %s: %m", mail_conf_dir());
	args[n++] = "-c";
	args[n++] = dir;
	if (foreground)
		args[n++] = "-f";
	for (v = 0; v < msg_verbose && v < 3; v++)
		args[n++] = "-v";
	args[n] = NULL;
	return args;
}

/*
 * postern_start_error - a start failure: on stderr, and in the mail log
 * (maillog_file or syslog), where the administrator looks later.
 */
static void __attribute__((format(printf, 1, 2)))
postern_start_error(const char *fmt, ...)
{
	const char *file = conf_str("maillog_file");
	VSTRING	*text = vstring_alloc(100);
	va_list	 ap;

	va_start(ap, fmt);
	vstring_vsprintf_append(text, fmt, ap);
	va_end(ap);
	msg_error("%s", vstring_str(text));
	if (*file == 0 || msg_to_file(file) == 0) {
		if (*file == 0)
			msg_to_syslog(conf_str("syslog_facility"));
		msg_set_tag(conf_str("syslog_name"), "postern");
		msg_to_stderr(0);
		msg_error("%s", vstring_str(text));
		msg_to_stderr(1);
	}
	vstring_free(text);
}

static int
postern_not_running(void)
{
	msg_error("the Postern mail system is not running");
	return 1;
}

/*
 * postern_master_running - main.cf, then the running master's pid: 0, or
 * the exit status after saying why not (1: not running, 4: cannot tell).
 */
static int
postern_master_running(pid_t *pid)
{
	int	 running;

	postern_master_conf();
	if ((running = postern_master_pid(pid)) == 0)
		return postern_not_running();
	if (running < 0)
		return postern_cannot_tell();
	return 0;
}

/* postern_etrn_path - etrn(1): command_directory, or beside mailq (PREFIX/bin) */
static VSTRING *
postern_etrn_path(void)
{
	VSTRING	*path = vstring_alloc(100);
	const char *mailq = conf_str("mailq_path"), *slash;

	vstring_sprintf(path, "%s/etrn", conf_str("command_directory"));
	if (access(vstring_str(path), X_OK) == 0)
		return path;
	if ((slash = strrchr(mailq, '/')) != NULL) {
		vstring_sprintf(path, "%.*s/etrn", (int)(slash - mailq), mailq);
		if (access(vstring_str(path), X_OK) == 0)
			return path;
	}
	vstring_free(path);
	return NULL;
}

/* postern_start_etrn - etrn -b -L in the background when ETRN hosts are set */
static void
postern_start_etrn(void)
{
	const char *env = getenv("ETRN_HOSTS");
	static char dir[PATH_MAX];
	VSTRING	*path;
	pid_t	 pid;

	if ((env == NULL || *env == 0) && *conf_str("etrn_hosts") == 0)
		return;
	if (realpath(mail_conf_dir(), dir) == NULL)
		msg_fatal("configuration directory %s: %m", mail_conf_dir());
	if ((path = postern_etrn_path()) == NULL) {
		msg_warn("no etrn command in command_directory or beside mailq_path; "
		    "ETRN at start skipped");
		return;
	}
	if ((pid = fork()) < 0) {
		msg_warn("fork for etrn: %m; ETRN at start skipped");
	} else if (pid == 0) {
		(void)setsid();
		stdio_null(3);
		execl(vstring_str(path), "etrn", "-b", "-L", "-c", dir, (char *)NULL);
		_exit(1);
	}
	vstring_free(path);
}

/*
 * postern_wait_released - a master just killed holds its lock until the
 * kernel has finished it: wait a moment. 0 when the lock was released.
 */
static int
postern_wait_released(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	int	 i;

	for (i = 0; i < POSTERN_START_WAIT * 50; i++) {
		(void)nanosleep(&ts, NULL);
		if (!postern_master_pid(NULL))
			return 0;
	}
	return 1;
}

int
postern_start(void)
{
	char	*path;
	pid_t	 pid, child;
	int	 status, running;

	postern_master_conf();
	if ((running = postern_master_pid(&pid)) > 0 && postern_wait_released()) {
		postern_start_error("the Postern mail system is already running "
		    "(pid %ld)", (long)pid);
		return 1;
	}
	if (running < 0)
		return postern_cannot_tell();
	path = postern_master_path();
	if ((child = fork()) < 0)
		msg_fatal("fork: %m");
	if (child == 0) {
		execv(path, postern_master_argv(path, 0));
		msg_fatal("exec %s: %m", path);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			msg_fatal("waitpid: %m");
	myfree(path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		postern_start_etrn();
		return 0;
	}
	postern_start_error("the Postern mail system could not start");
	return 1;
}

int
postern_start_fg(void)
{
	char	*path;
	pid_t	 pid;
	int	 running;

	postern_master_conf();
	if ((running = postern_master_pid(&pid)) > 0) {
		msg_error("the Postern mail system is already running (pid %ld)",
		    (long)pid);
		return 1;
	}
	if (running < 0)
		return postern_cannot_tell();
	path = postern_master_path();
	execv(path, postern_master_argv(path, 1));
	msg_fatal("exec %s: %m", path);
}

/* postern_wait_gone - wait until no master holds the lock. */
static int
postern_wait_gone(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	time_t	 deadline = time(NULL) + POSTERN_STOP_WAIT;
	int	 running;

	while ((running = postern_master_pid(NULL)) != 0) {
		if (running < 0)
			return postern_cannot_tell();
		if (time(NULL) > deadline) {
			msg_error("the master has not stopped after %d seconds",
			    POSTERN_STOP_WAIT);
			return 1;
		}
		(void)nanosleep(&ts, NULL);
	}
	return 0;
}

int
postern_stop(void)
{
	pid_t	 pid;
	int	 status;

	if ((status = postern_master_running(&pid)) != 0)
		return status;
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return postern_not_permitted(pid, "stop");
	return postern_wait_gone();
}

/* postern_kill_children - SIGKILL every process whose parent is pid. */
static void
postern_kill_children(pid_t pid)
{
	char	 path[300], buf[512], *cp;
	DIR	*dir;
	struct dirent *de;
	FILE	*fp;
	long	 ppid;

	if ((dir = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((fp = fopen(path, "re")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), fp) != NULL &&
		    (cp = strrchr(buf, ')')) != NULL &&
		    sscanf(cp + 1, " %*c %ld", &ppid) == 1 && ppid == (long)pid)
			(void)kill((pid_t)atol(de->d_name), SIGKILL);
		fclose(fp);
	}
	closedir(dir);
}

int
postern_abort(void)
{
	pid_t	 pid;
	int	 status;

	if ((status = postern_master_running(&pid)) != 0)
		return status;
	if (kill(pid, SIGSTOP) < 0 && errno == EPERM)	/* no new children from now on */
		return postern_not_permitted(pid, "abort");
	postern_kill_children(pid);
	if (getpgid(pid) == pid)
		(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	return postern_wait_gone();
}

int
postern_reload(void)
{
	MASTER_TABLE *table;
	VSTRING	*why;
	pid_t	 pid;
	int	 status;

	if ((status = postern_master_running(&pid)) != 0)
		return status;
	why = vstring_alloc(100);
	if ((table = master_ent_load(NULL, why)) == NULL) {
		msg_error("%s; not reloading", vstring_str(why));
		vstring_free(why);
		return 1;
	}
	master_ent_table_free(table);
	vstring_free(why);
	if (kill(pid, SIGHUP) < 0)
		return postern_not_permitted(pid, "reload");
	msg_info("refreshing the Postern mail system");
	return 0;
}

int
postern_status(void)
{
	pid_t	 pid;
	int	 running;

	postern_master_conf();
	if ((running = postern_master_pid(&pid)) > 0) {
		printf("postern is running (pid %ld)\n", (long)pid);
		return 0;
	}
	if (running < 0)
		return postern_cannot_tell();
	printf("postern is not running\n");
	return 1;
}
