/*
 * NAME
 *	postern_master - postern start, start-fg, stop, abort, reload, status
 * SYNOPSIS
 *	int	postern_start_main(int argc, char **argv);
 *	int	postern_start_fg_main(int argc, char **argv);
 *	int	postern_stop_main(int argc, char **argv);
 *	int	postern_abort_main(int argc, char **argv);
 *	int	postern_reload_main(int argc, char **argv);
 *	int	postern_status_main(int argc, char **argv);
 *	int	postern_master_pid(pid_t *pid);
 * DESCRIPTION
 *	These run the master of the configuration that postern(1) has read
 *	(main.cf from -c or MAIL_CONFIG) and return the exit status.
 *
 *	start runs $daemon_directory/master, which detaches and reports when
 *	every listener is open; start fails with the master's own message
 *	(on stderr) otherwise, and says "already running (pid N)" when a
 *	master holds the lock of this queue directory. start-fg replaces
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
 *
 *	postern_master_pid() tells whether a master runs, by asking who
 *	holds the lock on queue_directory/pid/master.pid (not by trusting
 *	the number in the file, which may be stale after a crash).
 * DIAGNOSTICS
 *	Exit status 1 with a message on stderr: not running (stop, abort,
 *	reload), already running (start), the master could not start, it
 *	did not stop within 30 seconds.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail_conf.h"
#include "master_ent.h"
#include "msg.h"
#include "mymalloc.h"
#include "postern.h"
#include "vstring.h"

#define POSTERN_STOP_WAIT	30	/* seconds */

int	 postern_master_pid(pid_t *);

/* postern_master_conf - main.cf of -c / MAIL_CONFIG (fatal on errors). */
static void
postern_master_conf(void)
{
	mail_conf_read(NULL);
}

int
postern_master_pid(pid_t *pid)
{
	VSTRING	*path = vstring_alloc(100);
	struct flock fl;
	int	 fd, running = 0;

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

static int
postern_not_running(void)
{
	msg_error("the Postern mail system is not running");
	return 1;
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
	int	 fd;

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
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			(void)dup2(fd, 0);
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
			if (fd > 2)
				(void)close(fd);
		}
		execl(vstring_str(path), "etrn", "-b", "-L", "-c", dir, (char *)NULL);
		_exit(1);
	}
	vstring_free(path);
}

int
postern_start_main(int argc, char **argv)
{
	char	*path;
	pid_t	 pid, child;
	int	 status;

	(void)argc;
	(void)argv;
	postern_master_conf();
	if (postern_master_pid(&pid)) {
		msg_error("the Postern mail system is already running (pid %ld)",
		    (long)pid);
		return 1;
	}
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
	msg_error("the Postern mail system could not start");
	return 1;
}

int
postern_start_fg_main(int argc, char **argv)
{
	char	*path;
	pid_t	 pid;

	(void)argc;
	(void)argv;
	postern_master_conf();
	if (postern_master_pid(&pid)) {
		msg_error("the Postern mail system is already running (pid %ld)",
		    (long)pid);
		return 1;
	}
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

	while (postern_master_pid(NULL)) {
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
postern_stop_main(int argc, char **argv)
{
	pid_t	 pid;

	(void)argc;
	(void)argv;
	postern_master_conf();
	if (!postern_master_pid(&pid))
		return postern_not_running();
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		msg_fatal("kill %ld: %m", (long)pid);
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
postern_abort_main(int argc, char **argv)
{
	pid_t	 pid;

	(void)argc;
	(void)argv;
	postern_master_conf();
	if (!postern_master_pid(&pid))
		return postern_not_running();
	(void)kill(pid, SIGSTOP);	/* no new children from now on */
	postern_kill_children(pid);
	if (getpgid(pid) == pid)
		(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	return postern_wait_gone();
}

int
postern_reload_main(int argc, char **argv)
{
	MASTER_TABLE *table;
	VSTRING	*why;
	pid_t	 pid;

	(void)argc;
	(void)argv;
	postern_master_conf();
	if (!postern_master_pid(&pid))
		return postern_not_running();
	why = vstring_alloc(100);
	if ((table = master_ent_load(NULL, why)) == NULL) {
		msg_error("%s; not reloading", vstring_str(why));
		vstring_free(why);
		return 1;
	}
	master_ent_table_free(table);
	vstring_free(why);
	if (kill(pid, SIGHUP) < 0)
		msg_fatal("kill %ld: %m", (long)pid);
	msg_info("refreshing the Postern mail system");
	return 0;
}

int
postern_status_main(int argc, char **argv)
{
	pid_t	 pid;

	(void)argc;
	(void)argv;
	postern_master_conf();
	if (postern_master_pid(&pid)) {
		printf("postern is running (pid %ld)\n", (long)pid);
		return 0;
	}
	printf("postern is not running\n");
	return 1;
}
