/*
 * NAME
 *	local_priv - run a delivery with the recipient's privileges
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_priv_run(LOCAL_STATE *state, const LOCAL_PRIV *priv,
 *		    LOCAL_PRIV_FN fn, const char *arg, VSTRING *why,
 *		    char *dsn);
 *	int	local_priv_become(const LOCAL_PRIV *priv, VSTRING *why);
 *	int	local_priv_user(const char *name, LOCAL_PRIV *priv);
 *	void	local_priv_target(const LOCAL_PRIV *priv, LOCAL_PRIV *out);
 *	int	local_priv_open(const LOCAL_PRIV *priv, const char *path,
 *		    int flags);
 * DESCRIPTION
 *	local_priv_run() calls fn(state, arg, why, dsn) with the user and
 *	group ids of priv. When the process already has them (it does not
 *	run as root) fn runs in this process. Otherwise a child process is
 *	forked: it sets its groups, group and user id, verifies that root
 *	privileges are gone for good (when priv is not root), runs fn, and
 *	passes its result, status and reason back through a pipe. A child
 *	that dies without an answer is a soft failure (4.3.0).
 *
 *	local_priv_become() is the privilege change itself.
 *	local_priv_user() looks a login name up: 0, or -1 when unknown.
 *
 *	local_priv_target() gives the privileges for a delivery to a file
 *	or a command: priv, except that root (in a root process) becomes
 *	default_privs, as in Postfix: no file or command named in mail
 *	for root, or in a root-owned .forward, runs as root.
 *
 *	local_priv_open() opens path read-only (flags are added) with the
 *	file system ids of priv, so that a root process opens a file named
 *	by a user (.forward, :include:) only when that user could: no
 *	device or unreadable file is opened on a user's behalf. -1 and
 *	errno on failure.
 * DIAGNOSTICS
 *	local_priv_run() returns fn's result: LOCAL_OK, LOCAL_SOFT or
 *	LOCAL_HARD, with dsn and why set on failure.
 */
#include <sys/fsuid.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iostuff.h"
#include "local.h"
#include "msg.h"

int
local_priv_user(const char *name, LOCAL_PRIV *priv)
{
	struct passwd *pw;

	if ((pw = getpwnam(name)) == NULL)
		return -1;
	priv->uid = pw->pw_uid;
	priv->gid = pw->pw_gid;
	return 0;
}

void
local_priv_target(const LOCAL_PRIV *priv, LOCAL_PRIV *out)
{
	*out = *priv;
	if (geteuid() != 0 || priv->uid != 0)
		return;
	if (local_priv_user(local_cf.default_privs, out) < 0 || out->uid == 0) {
		msg_warn("default_privs %s: unknown user or root; using nobody's id",
		    local_cf.default_privs);
		out->uid = 65534;
		out->gid = 65534;
	}
}

int
local_priv_open(const LOCAL_PRIV *priv, const char *path, int flags)
{
	int	 fd, saved;

	if (geteuid() != 0 || priv->uid == 0)
		return open(path, O_RDONLY | flags);
	(void)setfsgid(priv->gid);
	(void)setfsuid(priv->uid);
	if ((uid_t)setfsuid((uid_t)-1) != priv->uid
	    || (gid_t)setfsgid((gid_t)-1) != priv->gid) {
		fd = -1;
		saved = EPERM;
	} else {
		fd = open(path, O_RDONLY | flags);
		saved = errno;
	}
	(void)setfsuid(0);
	(void)setfsgid(getegid());
	if ((uid_t)setfsuid((uid_t)-1) != 0)
		msg_fatal("cannot restore the file system user id");
	errno = saved;
	return fd;
}

int
local_priv_become(const LOCAL_PRIV *priv, VSTRING *why)
{
	if (setgroups(1, &priv->gid) < 0 || setgid(priv->gid) < 0) {
		vstring_sprintf(why, "set group id %ld: %m", (long)priv->gid);
		return -1;
	}
	if (priv->uid == 0)
		return 0;
	if (setuid(priv->uid) < 0) {
		vstring_sprintf(why, "set user id %ld: %m", (long)priv->uid);
		return -1;
	}
	if (setuid(0) == 0 || geteuid() != priv->uid || getuid() != priv->uid) {
		vstring_sprintf(why, "privilege drop to %ld did not take effect",
		    (long)priv->uid);
		return -1;
	}
	return 0;
}

/* local_priv_child - the forked side: become priv, run fn, answer */

static void
local_priv_child(int fd, LOCAL_STATE *state, const LOCAL_PRIV *priv,
    LOCAL_PRIV_FN fn, const char *arg)
{
	VSTRING	*why = vstring_alloc(100), *out = vstring_alloc(200);
	char	 dsn[16] = "4.3.0";
	int	 rc;

	if (local_priv_become(priv, why) < 0)
		rc = LOCAL_SOFT;
	else
		rc = fn(state, arg, why, dsn);
	vstring_sprintf(out, "%d %s %s", rc, dsn, vstring_str(why));
	(void)write_all(fd, vstring_str(out), vstring_len(out));
	_exit(0);
}

/* local_priv_answer - parse "rc dsn reason" from the child */

static int
local_priv_answer(const char *text, VSTRING *why, char *dsn)
{
	char	 d[16];
	int	 rc, n = 0;

	if (sscanf(text, "%d %15s %n", &rc, d, &n) < 2 || n == 0
	    || (rc != LOCAL_OK && rc != LOCAL_SOFT && rc != LOCAL_HARD)) {
		snprintf(dsn, 16, "4.3.0");
		vstring_strcpy(why, "delivery process died without a result");
		return LOCAL_SOFT;
	}
	snprintf(dsn, 16, "%s", d);
	vstring_strcpy(why, text + n);
	return rc;
}

int
local_priv_run(LOCAL_STATE *state, const LOCAL_PRIV *priv, LOCAL_PRIV_FN fn,
    const char *arg, VSTRING *why, char *dsn)
{
	char	 buf[4096];
	size_t	 len = 0;
	ssize_t	 n;
	pid_t	 pid;
	int	 pfd[2], status;

	if (geteuid() != 0 || (priv->uid == 0 && priv->gid == getegid()))
		return fn(state, arg, why, dsn);
	if (pipe(pfd) < 0 || (pid = fork()) < 0) {
		snprintf(dsn, 16, "4.3.0");
		vstring_sprintf(why, "cannot fork a delivery process: %m");
		return LOCAL_SOFT;
	}
	if (pid == 0) {
		close(pfd[0]);
		local_priv_child(pfd[1], state, priv, fn, arg);
	}
	close(pfd[1]);
	while (len < sizeof(buf) - 1 && ((n = read(pfd[0], buf + len,
	    sizeof(buf) - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	buf[len] = 0;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return local_priv_answer(buf, why, dsn);
}
