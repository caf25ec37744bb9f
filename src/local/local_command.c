/*
 * NAME
 *	local_command - deliver to a command
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_command(LOCAL_STATE *state, const char *command,
 *		    const char *what);
 * DESCRIPTION
 *	local_command() runs command with the privileges of the current
 *	state (the recipient, the owner of an alias database or of an
 *	:include: file, or default_privs) and writes the message to its
 *	standard input: the "From " line, Return-Path:, X-Original-To:,
 *	Delivered-To: (with "command" in prepend_delivered_header) and the
 *	content, unquoted. The command line is the administrator's or the
 *	user's (aliases, .forward, mailbox_command), never mail data: it is
 *	run as "/bin/sh -c command", or with local_command_shell when set,
 *	in its own process group, in command_execution_directory or the
 *	home directory (or "/"), with a small environment: HOME, LOGNAME,
 *	USER, SHELL, SENDER, RECIPIENT, LOCAL, EXTENSION, DOMAIN,
 *	ORIGINAL_RECIPIENT, PATH, and the export_environment variables.
 *	what names the delivery in the log ("command" or "mailbox").
 *
 *	Exit status 0 is success. The sysexits codes EX_TEMPFAIL and
 *	EX_OSERR, death by a signal, and a failure to run the command are
 *	soft failures; other codes are hard ones (EX_NOUSER 5.1.1, others
 *	5.3.0); the first LOCAL_MAX_OUTPUT bytes of the command's output
 *	become part of the reason. A command still running after
 *	command_time_limit is killed (5.3.0).
 * DIAGNOSTICS
 *	LOCAL_OK, LOCAL_SOFT or LOCAL_HARD, logged through local_result.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "iostuff.h"
#include "local.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct LOCAL_CMD {
	int	 in, out;		/* the command's stdin, stdout+stderr */
	pid_t	 pid;
	time_t	 deadline;
	VSTRING	*output;
	int	 timeout;
} LOCAL_CMD;

/* local_command_env - the environment of the command */

static ARGV *
local_command_env(LOCAL_STATE *state)
{
	ARGV	*env = argv_alloc(20);
	VSTRING	*v = vstring_alloc(100), *local = vstring_alloc(64);
	const char *at = strrchr(state->addr, '@'), *val;
	size_t	 i;

	vstring_memcpy(local, state->addr, at ? (size_t)(at - state->addr) :
	    strlen(state->addr));
#define ENV(name, value) do { vstring_sprintf(v, "%s=%s", name, value); \
	argv_add(env, vstring_str(v)); } while (0)
	ENV("PATH", "/usr/bin:/bin");
	if (state->home)
		ENV("HOME", state->home);
	if (state->user) {
		ENV("LOGNAME", state->user);
		ENV("USER", state->user);
	}
	if (state->shell)
		ENV("SHELL", state->shell);
	ENV("SENDER", state->req->dr.sender);
	ENV("RECIPIENT", state->addr);
	ENV("LOCAL", vstring_str(local));
	ENV("DOMAIN", at ? at + 1 : "");
	if (state->extension)
		ENV("EXTENSION", state->extension);
	ENV("ORIGINAL_RECIPIENT", local_orig_to(state));
	for (i = 0; i < local_cf.export_env->argc; i++)
		if ((val = getenv(local_cf.export_env->argv[i])) != NULL)
			ENV(local_cf.export_env->argv[i], val);
#undef ENV
	vstring_free(v);
	vstring_free(local);
	return env;
}

/* local_command_exec - the child: become the user, exec the command */

static void
local_command_exec(LOCAL_STATE *state, const char *command, int in, int out)
{
	VSTRING	*why = vstring_alloc(100);
	ARGV	*argv, *env = local_command_env(state);
	LOCAL_PRIV priv;
	int	 fd;

	(void)setsid();
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(EX_OSERR);
	for (fd = 3; fd < 1024; fd++)
		(void)close(fd);
	local_priv_target(&state->priv, &priv);
	if (geteuid() == 0 && local_priv_become(&priv, why) < 0)
		_exit(EX_OSERR);
	signal(SIGPIPE, SIG_DFL);
	if ((*local_cf.exec_dir == 0 || chdir(local_cf.exec_dir) < 0)
	    && (state->home == NULL || chdir(state->home) < 0))
		(void)chdir("/");
	if (*local_cf.shell) {
		argv = argv_split(local_cf.shell, " \t");
	} else {
		argv = argv_alloc(3);
		argv_add(argv, "/bin/sh");
		argv_add(argv, "-c");
	}
	argv_add(argv, command);
	execve(argv->argv[0], argv->argv, env->argv);
	_exit(EX_OSERR);
}

/* local_command_drain - read what the command says, wait for events */

static int
local_command_poll(LOCAL_CMD *cmd, int want_write)
{
	struct pollfd pfd[2];
	char	 buf[1024];
	ssize_t	 n;
	int	 left = (int)(cmd->deadline - time(NULL));

	if (left <= 0) {
		cmd->timeout = 1;
		return -1;
	}
	pfd[0].fd = cmd->out;
	pfd[0].events = POLLIN;
	pfd[1].fd = want_write ? cmd->in : -1;
	pfd[1].events = POLLOUT;
	if (poll(pfd, 2, left > 1 ? 1000 : left * 1000) < 0 && errno != EINTR)
		return -1;
	if (cmd->out >= 0 && pfd[0].revents) {
		if ((n = read(cmd->out, buf, sizeof(buf))) > 0) {
			if (vstring_len(cmd->output) < LOCAL_MAX_OUTPUT)
				vstring_memcat(cmd->output, buf, (size_t)n);
		} else if (n == 0 || errno != EAGAIN) {
			close(cmd->out);
			cmd->out = -1;
			return 1;
		}
	}
	return 0;
}

/* local_command_sink - write to the command's stdin, reading its output */

static int
local_command_sink(void *ctx, const char *buf, size_t len)
{
	LOCAL_CMD *cmd = ctx;
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(cmd->in, buf, len)) > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EPIPE)
			return 0;		/* it did not want it all */
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (cmd->out < 0) {
			if (write_wait(cmd->in, 1) < 0 && time(NULL) >= cmd->deadline) {
				cmd->timeout = 1;
				return -1;
			}
		} else if (local_command_poll(cmd, 1) < 0) {
			return -1;
		}
	}
	return 0;
}

/* local_command_status - exit status to a result */

static int
local_command_status(LOCAL_STATE *state, LOCAL_CMD *cmd, int status,
    const char *command, const char *what)
{
	VSTRING	*out = cmd->output;
	const char *dsn = "5.3.0";
	char	*cp;
	int	 code;

	for (cp = vstring_str(out); *cp; cp++)
		if (!isprint((unsigned char)*cp))
			*cp = ' ';
	vstring_trim(out);
	if (cmd->timeout)
		return local_fail(state, "5.3.0", "command time limit exceeded: "
		    "\"%s\"", command);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return local_done(state, "delivered to command: %s", command);
	if (WIFSIGNALED(status))
		return local_fail(state, "4.3.0", "Command died with signal %d: "
		    "\"%s\"%s%s", WTERMSIG(status), command,
		    vstring_len(out) ? ". Command output: " : "", vstring_str(out));
	code = WEXITSTATUS(status);
	if (code == EX_TEMPFAIL || code == EX_OSERR)
		dsn = "4.3.0";
	else if (code == EX_NOUSER)
		dsn = "5.1.1";
	else if (code == EX_NOPERM)
		dsn = "5.7.0";
	return local_fail(state, dsn, "Command died with status %d: \"%s\"%s%s",
	    code, command, vstring_len(out) ? ". Command output: " : "",
	    vstring_str(out));
}

/* local_command_wait - drain the output, reap the child */

static int
local_command_wait(LOCAL_CMD *cmd)
{
	int	 status = 0;
	pid_t	 r;

	while (cmd->out >= 0 && local_command_poll(cmd, 0) >= 0)
		;
	if (cmd->timeout)
		(void)kill(-cmd->pid, SIGKILL);
	for (;;) {
		if ((r = waitpid(cmd->pid, &status, cmd->timeout ? 0 : WNOHANG)) == cmd->pid)
			break;
		if (r < 0 && errno != EINTR)
			break;
		if (r == 0 && time(NULL) >= cmd->deadline) {
			cmd->timeout = 1;
			(void)kill(-cmd->pid, SIGKILL);
		} else if (r == 0) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	if (cmd->out >= 0)
		close(cmd->out);
	return status;
}

int
local_command(LOCAL_STATE *state, const char *command, const char *what)
{
	LOCAL_CMD cmd;
	VSTRING	*why = vstring_alloc(100);
	int	 in[2], out[2], flags, status, rc;

	memset(&cmd, 0, sizeof(cmd));
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0
	    || (cmd.pid = fork()) < 0) {
		vstring_free(why);
		return local_fail(state, "4.3.0", "cannot run command: %m");
	}
	if (cmd.pid == 0)
		local_command_exec(state, command, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	cmd.in = in[1];
	cmd.out = out[0];
	cmd.output = vstring_alloc(LOCAL_MAX_OUTPUT + 1024);
	cmd.deadline = time(NULL) + (local_cf.cmd_time_limit > 0 ?
	    local_cf.cmd_time_limit : 1000);
	(void)non_blocking(cmd.in, 1);
	(void)non_blocking(cmd.out, 1);
	flags = LOCAL_COPY_FROM | LOCAL_COPY_RETURN | LOCAL_COPY_ORIG;
	if (local_list_has(local_cf.prepend_delivered, "command"))
		flags |= LOCAL_COPY_DELIVERED;
	rc = local_copy(state, flags, 0, local_command_sink, &cmd, why);
	close(cmd.in);
	status = local_command_wait(&cmd);
	if (rc < 0 && !cmd.timeout && !(WIFEXITED(status) && WEXITSTATUS(status)))
		rc = local_fail(state, "4.3.0", "cannot write to command \"%s\": %s",
		    command, vstring_str(why));
	else
		rc = local_command_status(state, &cmd, status, command, what);
	vstring_free(cmd.output);
	vstring_free(why);
	return rc;
}
