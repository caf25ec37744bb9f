/*
 * NAME
 *	qmgr_spawn - delivery agents without a master (one-shot queue runs)
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	VSTREAM	*qmgr_spawn(const char *service);
 *	void	qmgr_spawn_reap(int wait_secs);
 * DESCRIPTION
 *	In a one-shot queue run (qmgr -1) no master listens on
 *	private/<service>. qmgr_spawn() starts the service's program
 *	itself, as master.cf describes it (command, -o overrides and
 *	arguments of the "unix" entry), in its stand-alone mode (-S) on one
 *	end of a socket pair, and returns a stream on the other end: the
 *	rest of the qmgr cannot tell it from a connection to the service's
 *	socket. The program reads main.cf from MAIL_CONFIG, logs where the
 *	daemons log (its stderr goes to /dev/null) and leaves when the
 *	stream is closed.
 *
 *	qmgr_spawn_reap() collects finished children, waiting up to
 *	wait_secs seconds for all of them.
 * DIAGNOSTICS
 *	qmgr_spawn() returns a null pointer with errno set (ENOENT: no such
 *	service in master.cf).
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail_conf.h"
#include "master_ent.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"

static MASTER_TABLE *spawn_table;
static int spawn_children;

static const MASTER_ENT *
spawn_find(const char *service)
{
	VSTRING	*why;

	if (spawn_table == NULL) {
		why = vstring_alloc(64);
		if ((spawn_table = master_ent_load(NULL, why)) == NULL)
			msg_fatal("%s", vstring_str(why));
		vstring_free(why);
	}
	return master_ent_find(spawn_table, service, MASTER_ENT_UNIX);
}

static ARGV *
spawn_args(const MASTER_ENT *ent, const char *service)
{
	ARGV	*args = argv_alloc(16);
	size_t	 i;

	argv_add(args, ent->command);
	argv_add(args, "-S");
	argv_add(args, "-n");
	argv_add(args, service);
	argv_add(args, "-t");
	argv_add(args, "unix");
	for (i = 0; i < ent->overrides->argc; i++) {
		argv_add(args, "-o");
		argv_add(args, ent->overrides->argv[i]);
	}
	if (msg_verbose)
		argv_add(args, "-v");
	for (i = 0; i < ent->args->argc; i++)
		argv_add(args, ent->args->argv[i]);
	return args;
}

/* In the child: the socket on stdin and stdout, then exec. */
static void NORETURN
spawn_child(int sock, const char *path, ARGV *args)
{
	int	 null;

	/* A one-shot run by root: the agent drops privileges itself. */
	if (getuid() == 0 && geteuid() != 0 && (seteuid(0) < 0
	    || setegid(0) < 0))
		_exit(127);
	if (dup2(sock, 0) < 0 || dup2(sock, 1) < 0)
		_exit(127);
	if ((null = open("/dev/null", O_WRONLY)) >= 0 && null != 2) {
		dup2(null, 2);
		close(null);
	}
	if (sock > 2)
		close(sock);
	execv(path, args->argv);
	_exit(127);
}

VSTREAM *
qmgr_spawn(const char *service)
{
	const MASTER_ENT *ent;
	VSTRING	*path;
	VSTREAM	*stream;
	ARGV	*args;
	int	 sv[2];
	pid_t	 pid;

	if ((ent = spawn_find(service)) == NULL) {
		errno = ENOENT;
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	path = vstring_alloc(128);
	vstring_sprintf(path, "%s/%s", conf_str("daemon_directory"),
	    ent->command);
	args = spawn_args(ent, service);
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		stream = NULL;
	} else if (pid == 0) {
		close(sv[0]);
		spawn_child(sv[1], vstring_str(path), args);
	} else {
		close(sv[1]);
		spawn_children++;
		stream = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
		vstream_set_timeout(stream, qmgr.ipc_timeout);
		if (msg_verbose)
			msg_info("started %s for service %s, pid %ld",
			    vstring_str(path), service, (long)pid);
	}
	argv_free(args);
	vstring_free(path);
	return stream;
}

void
qmgr_spawn_reap(int wait_secs)
{
	time_t	 deadline = time(NULL) + wait_secs;
	pid_t	 pid;
	int	 status;

	while (spawn_children > 0) {
		if ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			spawn_children--;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				msg_warn("delivery agent pid %ld ended with "
				    "status 0x%x", (long)pid, status);
			continue;
		}
		if (pid < 0 || time(NULL) >= deadline)
			break;
		(void)poll(NULL, 0, 50);
	}
}
