/*
 * NAME
 *	local_copy - the message as a local delivery writes it
 * SYNOPSIS
 *	#include "local.h"
 *
 *	void	local_copy_src(LOCAL_STATE *state, MAIL_COPY_SRC *src);
 *	int	local_copy(LOCAL_STATE *state, int flags, off_t limit,
 *		    LOCAL_SINK sink, void *ctx, VSTRING *why);
 *	int	local_copy_fd(LOCAL_STATE *state, int fd, int flags,
 *		    off_t limit, VSTRING *why);
 * DESCRIPTION
 *	local(8)'s side of mail_copy(3), the copy shared with virtual(8):
 *	local_copy_src() fills in what is copied for the current delivery
 *	(the request's content and sender, the original recipient for
 *	X-Original-To:, the queue manager's recipient for Delivered-To:);
 *	local_copy() and local_copy_fd() are mail_copy() and
 *	mail_copy_fd() with it. The LOCAL_COPY_* flags are the
 *	MAIL_COPY_* flags.
 * DIAGNOSTICS
 *	As mail_copy(3).
 */
#include "local.h"

void
local_copy_src(LOCAL_STATE *state, MAIL_COPY_SRC *src)
{
	src->msg = state->req->msg;
	src->sender = state->req->dr.sender;
	src->orig_to = local_orig_to(state);
	src->delivered_to = state->rcpt->addr;
}

int
local_copy(LOCAL_STATE *state, int flags, off_t limit, LOCAL_SINK sink,
    void *ctx, VSTRING *why)
{
	MAIL_COPY_SRC src;

	local_copy_src(state, &src);
	return mail_copy(&src, flags, limit, sink, ctx, why);
}

int
local_copy_fd(LOCAL_STATE *state, int fd, int flags, off_t limit, VSTRING *why)
{
	MAIL_COPY_SRC src;

	local_copy_src(state, &src);
	return mail_copy_fd(&src, fd, flags, limit, why);
}
