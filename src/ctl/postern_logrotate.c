/*
 * NAME
 *	postern_logrotate - postern logrotate: rotate maillog_file
 * SYNOPSIS
 *	int	postern_logrotate(void);
 * DESCRIPTION
 *	As Postfix 3.4's "postfix logrotate". The file named by
 *	maillog_file is renamed to "maillog_file.suffix", the suffix being
 *	maillog_file_rotate_suffix expanded with strftime(3) in local time.
 *	When the mail system runs, the master is then told to reload
 *	(SIGHUP): it reopens maillog_file itself and retires its children,
 *	whose successors open the new file. Processes busy with a client at
 *	that moment (an SMTP session in progress) finish it first and log
 *	their last lines to the renamed file.
 *
 *	Then, unless maillog_file_compressor is empty, the renamed file is
 *	compressed by running that command (split at white space, not
 *	through a shell) with the file name as its last argument, as
 *	"gzip file" does. So that no line is lost, the compressor runs only
 *	once no process holds the renamed file open any more (checked in
 *	/proc/<pid>/fd); after POSTERN_LOGROTATE_WAIT seconds of waiting,
 *	the file is left uncompressed with a warning.
 * DIAGNOSTICS
 *	Exit status 1 with a message on stderr: maillog_file is empty or a
 *	/dev/ file, the suffix is empty or too long, the rotated name exists
 *	already, the running master may not be signalled (checked before
 *	anything is renamed), rename(2) failed, the compressor failed. The
 *	master logs its reload in the new file.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "mail_conf.h"
#include "msg.h"
#include "postern.h"
#include "vstring.h"

#define POSTERN_LOGROTATE_WAIT	10	/* seconds, for busy writers */

int	 postern_master_pid(pid_t *);	/* postern_master.c */

/*
 * postern_logrotate_name - maillog_file.suffix; -1 after saying why. The
 * format comes from main.cf, which only the administrator writes.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int
postern_logrotate_name(const char *file, VSTRING *name)
{
	char	 suffix[256];
	time_t	 now = time(NULL);
	struct tm *tm = localtime(&now);
	size_t	 n;

	if (tm == NULL || (n = strftime(suffix, sizeof(suffix),
	    conf_str("maillog_file_rotate_suffix"), tm)) == 0) {
		msg_error("parameter maillog_file_rotate_suffix: \"%s\" expands "
		    "to nothing or to more than %zu bytes",
		    conf_str("maillog_file_rotate_suffix"), sizeof(suffix) - 1);
		return -1;
	}
	if (strchr(suffix, '/') != NULL) {
		msg_error("parameter maillog_file_rotate_suffix: \"%s\" contains "
		    "a \"/\"", suffix);
		return -1;
	}
	vstring_sprintf(name, "%s.%s", file, suffix);
	return 0;
}
#pragma GCC diagnostic pop

/* postern_logrotate_held - does a process (that we may see) hold it open? */
static pid_t
postern_logrotate_held(const struct stat *st)
{
	DIR	*proc, *fds;
	struct dirent *de, *fe;
	struct stat fst;
	char	 path[PATH_MAX];
	pid_t	 holder = 0;

	if ((proc = opendir("/proc")) == NULL)
		return 0;
	while (holder == 0 && (de = readdir(proc)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		if ((fds = opendir(path)) == NULL)
			continue;
		while ((fe = readdir(fds)) != NULL) {
			if (fe->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fd/%s",
			    de->d_name, fe->d_name);
			if (stat(path, &fst) == 0 && fst.st_ino == st->st_ino &&
			    fst.st_dev == st->st_dev) {
				holder = (pid_t)atol(de->d_name);
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return holder;
}

/* postern_logrotate_compress - run maillog_file_compressor on the file */
static int
postern_logrotate_compress(const char *path)
{
	ARGV	*args = argv_split(conf_str("maillog_file_compressor"), " \t");
	struct stat st;
	struct timespec ts = {0, 100 * 1000 * 1000};
	time_t	 deadline = time(NULL) + POSTERN_LOGROTATE_WAIT;
	pid_t	 pid, holder;
	int	 status;

	if (args->argc == 0) {
		argv_free(args);
		return 0;
	}
	if (stat(path, &st) < 0) {
		msg_error("stat %s: %m", path);
		argv_free(args);
		return 1;
	}
	while ((holder = postern_logrotate_held(&st)) != 0 &&
	    time(NULL) < deadline)
		(void)nanosleep(&ts, NULL);
	if (holder != 0) {
		msg_warn("%s is still open in process %ld after %d seconds; "
		    "not compressed", path, (long)holder, POSTERN_LOGROTATE_WAIT);
		argv_free(args);
		return 0;
	}
	argv_add(args, path);
	if ((pid = fork()) < 0) {
		msg_error("fork: %m");
		argv_free(args);
		return 1;
	}
	if (pid == 0) {
		execvp(args->argv[0], args->argv);
		msg_error("execute %s: %m", args->argv[0]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		continue;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		msg_error("%s %s failed", args->argv[0], path);
		argv_free(args);
		return 1;
	}
	argv_free(args);
	return 0;
}

int
postern_logrotate(void)
{
	const char *file;
	VSTRING	*name = vstring_alloc(100);
	struct stat st;
	pid_t	 pid;
	int	 running, status = 1;

	mail_conf_read(NULL);
	file = conf_str("maillog_file");
	if (*file == 0) {
		msg_error("no maillog_file is configured; nothing to rotate");
		goto out;
	}
	if (strncmp(file, "/dev/", 5) == 0) {
		msg_error("maillog_file %s cannot be rotated", file);
		goto out;
	}
	if (postern_logrotate_name(file, name) < 0)
		goto out;
	if (lstat(vstring_str(name), &st) == 0 || errno != ENOENT) {
		msg_error("%s exists already; not rotating", vstring_str(name));
		goto out;
	}
	/* A master that is not ours to signal would log on into the old file. */
	if ((running = postern_master_pid(&pid)) > 0 && kill(pid, 0) < 0) {
		msg_error("the Postern mail system is running (pid %ld), but "
		    "cannot reload it: %m; not rotating", (long)pid);
		goto out;
	}
	if (rename(file, vstring_str(name)) < 0) {
		msg_error("rename %s to %s: %m", file, vstring_str(name));
		goto out;
	}
	if (running > 0 && kill(pid, SIGHUP) < 0) {
		msg_error("rotated %s, but cannot signal the master (pid %ld) "
		    "to reopen it: %m", file, (long)pid);
		goto out;
	}
	if (running < 0)
		msg_warn("cannot tell whether the Postern mail system is running; "
		    "it keeps logging to %s until its next reload",
		    vstring_str(name));
	msg_info("rotated %s to %s", file, vstring_str(name));
	status = postern_logrotate_compress(vstring_str(name));
out:
	vstring_free(name);
	return status;
}
