/*
 * NAME
 *	local_maildir - deliver into a Maildir
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_maildir(LOCAL_STATE *state, const char *path,
 *		    VSTRING *why, char *dsn);
 * DESCRIPTION
 *	local_maildir() delivers the message into the Maildir path (a
 *	directory name ending in "/"), with the current privileges,
 *	through maildir_write(3), the writer shared with virtual(8):
 *	Return-Path:, X-Original-To:, Delivered-To: and the content,
 *	within mailbox_size_limit.
 * DIAGNOSTICS
 *	LOCAL_OK, or LOCAL_SOFT / LOCAL_HARD with dsn and why.
 */
#include "local.h"

int
local_maildir(LOCAL_STATE *state, const char *path, VSTRING *why, char *dsn)
{
	MAIL_COPY_SRC src;

	local_copy_src(state, &src);
	return maildir_write(&src, path, LOCAL_COPY_RETURN | LOCAL_COPY_ORIG |
	    LOCAL_COPY_DELIVERED, local_cf.size_limit, local_cf.myhostname,
	    why, dsn);
}
