/*
 * NAME
 *	local_forward - .forward files, and forwarding to other hosts
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_dot_forward(LOCAL_STATE *state, const char *user,
 *		    int *found);
 *	int	local_forward_add(LOCAL_STATE *state, const char *addr);
 *	int	local_forward_flush(LOCAL_STATE *state);
 * DESCRIPTION
 *	local_dot_forward() looks for the user's .forward file along
 *	forward_path (expanded with local_var_expand() and
 *	forward_expansion_filter); the first file that exists is used.
 *	It is honoured only when it is a regular file owned by the user and
 *	not writable by group or others (else it is logged and ignored).
 *	Its targets (comma or newline separated; "#" starts a comment
 *	line) are delivered with the user's privileges (local_token.c);
 *	*found is set when the file had any. A user's .forward is used
 *	once per recipient expansion, so "user" or "\user" in it reaches
 *	the mailbox.
 *
 *	local_forward_add() notes an address outside mydestination;
 *	local_forward_flush() then submits one new message to all noted
 *	addresses: a queue file (made as mail_owner when running as root)
 *	with the envelope sender of the expansion (the original sender, or
 *	owner-alias), the original recipient as ORCPT, and the content
 *	with Delivered-To: prepended, so that a loop back to this
 *	recipient is seen; then the queue manager is woken. Each address
 *	is logged "status=sent (forwarded as ID)".
 * DIAGNOSTICS
 *	LOCAL_OK, LOCAL_SOFT or LOCAL_HARD, logged through local_result.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "local.h"
#include "cleanup.h"
#include "mail_trigger.h"
#include "msg.h"
#include "mymalloc.h"

/* local_forward_read - read a .forward file that is safe to use */

static int
local_forward_read(LOCAL_STATE *state, const char *path, VSTRING *text)
{
	struct stat st;
	char	 buf[8192];
	ssize_t	 n;
	int	 fd, ret = -1;

	if ((fd = local_priv_open(&state->priv, path, O_NOFOLLOW | O_NONBLOCK
	    | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)
	    || st.st_uid != state->priv.uid || (st.st_mode & 022)) {
		msg_warn("%s: not a regular file owned by %s and writable only "
		    "by its owner: ignored", path, state->user);
		goto out;
	}
	vstring_reset(text);
	while ((n = read(fd, buf, sizeof(buf))) > 0
	    && vstring_len(text) + (size_t)n <= LOCAL_MAX_INCLUDE)
		vstring_memcat(text, buf, (size_t)n);
	if (n != 0) {
		msg_warn("%s: read error or file too large: ignored", path);
		goto out;
	}
	ret = 1;
out:
	close(fd);
	return ret;
}

/* local_forward_any - does the file name any target? */

static int
local_forward_any(const char *text)
{
	const char *cp = text;

	while (*cp) {
		while (isspace((unsigned char)*cp) || *cp == ',')
			cp++;
		if (*cp == '#')
			cp += strcspn(cp, "\n");
		else if (*cp)
			return 1;
	}
	return 0;
}

int
local_dot_forward(LOCAL_STATE *state, const char *user, int *found)
{
	VSTRING	*path = vstring_alloc(100), *text = vstring_alloc(100);
	LOCAL_STATE child = *state;
	size_t	 i;
	int	 rc = LOCAL_OK, got = 0;

	*found = 0;
	if (local_dup(state, "forward", user))
		goto out;
	for (i = 0; got == 0 && i < local_cf.forward_path->argc; i++) {
		if (local_var_expand(state, path, local_cf.forward_path->argv[i],
		    local_cf.fwd_filter) < 0) {
			msg_warn("%s: forward_path entry \"%s\": bad characters in "
			    "the expansion: ignored", state->req->dr.queue_id,
			    local_cf.forward_path->argv[i]);
			continue;
		}
		if (vstring_len(path) > 0 && vstring_str(path)[0] == '/')
			got = local_forward_read(state, vstring_str(path), text);
	}
	if (got <= 0)
		goto out;
	if (!local_forward_any(vstring_str(text)))
		goto out;
	*found = 1;
	child.source = LOCAL_SRC_FORWARD;
	child.alias = NULL;
	if (msg_verbose)
		msg_info("expand: %s: %s forward file %s -> %.500s",
		    state->req->dr.queue_id, user, vstring_str(path), vstring_str(text));
	rc = local_expand(&child, vstring_str(text), 1);
out:
	vstring_free(path);
	vstring_free(text);
	return rc;
}

int
local_forward_add(LOCAL_STATE *state, const char *addr)
{
	LOCAL_RESULT *res = state->res;

	if (local_dup(state, "address", addr))
		return LOCAL_OK;
	if (res->fwd->argc >= LOCAL_MAX_TARGETS)
		return local_fail(state, "5.4.6", "too many forwarding targets");
	argv_add(res->fwd, addr);
	argv_add(res->fwd_orig, state->addr);
	if (res->fwd_sender == NULL)
		res->fwd_sender = mystrdup(state->sender);
	return LOCAL_OK;
}

/* local_forward_notify - the NOTIFY bits of the request */

static int
local_forward_notify(const char *notify)
{
	int	 bits = 0;

	if (notify == NULL || *notify == 0)
		return 0;
	if (isdigit((unsigned char)*notify))
		return atoi(notify);
	if (strcasestr(notify, "NEVER"))
		bits |= QF_NOTIFY_NEVER;
	if (strcasestr(notify, "SUCCESS"))
		bits |= QF_NOTIFY_SUCCESS;
	if (strcasestr(notify, "FAILURE"))
		bits |= QF_NOTIFY_FAILURE;
	if (strcasestr(notify, "DELAY"))
		bits |= QF_NOTIFY_DELAY;
	return bits;
}

/* local_forward_content - Delivered-To: and the original content */

static int
local_forward_content(LOCAL_STATE *state, CLEANUP *c)
{
	QF_MSG	*msg = state->req->msg;
	VSTRING	*hdr = vstring_alloc(100);
	char	 buf[65536];
	off_t	 off = 0;
	ssize_t	 n;
	int	 ret = 0;

	vstring_sprintf(hdr, "Delivered-To: %s\n", state->rcpt->addr);
	cleanup_write(c, vstring_str(hdr), vstring_len(hdr));
	while (ret == 0 && off < msg->content_size) {
		if ((n = qf_read_content(msg, off, buf, sizeof(buf))) <= 0) {
			ret = -1;
		} else {
			cleanup_write(c, buf, (size_t)n);
			off += n;
		}
	}
	vstring_free(hdr);
	return ret;
}

/* local_forward_fn - write the new queue file (as mail_owner) */

static int
local_forward_fn(LOCAL_STATE *state, const char *unused, VSTRING *why, char *dsn)
{
	LOCAL_RESULT *res = state->res;
	VSTRING	*orcpt = vstring_alloc(100);
	CLEANUP	*c;
	QF_WRITER *qf;
	size_t	 i;

	if ((c = cleanup_open(local_cf.cleanup, local_cf.queue_dir,
	    CLEANUP_FLAG_MAP, why)) == NULL)
		goto fail;
	qf = cleanup_qf(c);
	cleanup_sender(c, res->fwd_sender ? res->fwd_sender : state->req->dr.sender);
	qf_set_arrival(qf, time(NULL));
	qf_set_family(qf, AF_UNIX);
	qf_set_origin(qf, "local");
	if (state->req->msg->dsn_envid)
		qf_set_dsn(qf, state->req->msg->dsn_envid, state->req->msg->dsn_ret);
	vstring_sprintf(orcpt, "rfc822;%s", local_orig_to(state));
	for (i = 0; i < res->fwd->argc; i++)
		(void)cleanup_rcpt(c, res->fwd->argv[i], vstring_str(orcpt),
		    local_forward_notify(state->rcpt->notify));
	if (local_forward_content(state, c) < 0) {
		vstring_strcpy(why, "cannot copy the message");
		cleanup_abort(c);
		goto fail;
	}
	vstring_strcpy(orcpt, cleanup_id(c));
	if (cleanup_close(c, QF_INCOMING, why) > CLEANUP_DISCARD)
		goto fail;
	(void)mail_trigger_id("qmgr", vstring_str(orcpt));
	vstring_strcpy(why, vstring_str(orcpt));
	vstring_free(orcpt);
	return LOCAL_OK;
fail:
	snprintf(dsn, 16, "4.3.0");
	vstring_free(orcpt);
	return LOCAL_SOFT;
}

int
local_forward_flush(LOCAL_STATE *state)
{
	LOCAL_RESULT *res = state->res;
	LOCAL_PRIV priv;
	VSTRING	*why = vstring_alloc(100);
	char	 dsn[16] = "4.3.0";
	size_t	 i;
	int	 rc;

	if (res->fwd->argc == 0)
		goto done;
	priv.uid = geteuid();
	priv.gid = getegid();
	if (geteuid() == 0 && local_priv_user(local_cf.mail_owner, &priv) < 0) {
		rc = local_fail(state, "4.3.5", "mail_owner %s: unknown user",
		    local_cf.mail_owner);
		goto out;
	}
	rc = local_priv_run(state, &priv, local_forward_fn, "", why, dsn);
	if (rc != LOCAL_OK) {
		rc = local_fail(state, dsn, "cannot forward: %s", vstring_str(why));
		goto out;
	}
	vstring_sprintf(res->last, "forwarded as %s", vstring_str(why));
	for (i = 0; i < res->fwd->argc; i++) {
		local_log(state, res->fwd->argv[i], "2.0.0", vstring_str(res->last));
		res->ndone++;
	}
	goto out;
done:
	rc = LOCAL_OK;
out:
	vstring_free(why);
	return rc;
}
