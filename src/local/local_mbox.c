/*
 * NAME
 *	local_mbox - append to a UNIX mailbox file, locked
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_mbox(LOCAL_STATE *state, const char *path, int flags,
 *		    VSTRING *why, char *dsn);
 * DESCRIPTION
 *	local_mbox() appends the message to the mbox file path, with the
 *	current privileges (see local_priv.c), through mbox_write(3), the
 *	writer shared with virtual(8): mailbox_delivery_lock,
 *	deliver_lock_attempts, deliver_lock_delay, stale_lock_time,
 *	mailbox_size_limit; with LOCAL_MBOX_OWNER (a mailbox of the
 *	recipient) and strict_mailbox_ownership, an existing file must be
 *	owned by the recipient. The other flags are the LOCAL_COPY_* header
 *	flags to use.
 * DIAGNOSTICS
 *	LOCAL_OK, or LOCAL_SOFT / LOCAL_HARD with dsn and why.
 */
#include "local.h"

int
local_mbox(LOCAL_STATE *state, const char *path, int flags, VSTRING *why,
    char *dsn)
{
	MAIL_COPY_SRC src;
	MBOX_OPTS opts;

	local_copy_src(state, &src);
	opts.uid = state->priv.uid;
	opts.gid = state->priv.gid;
	opts.owner_check = (flags & LOCAL_MBOX_OWNER) && local_cf.strict_ownership;
	opts.lock_fcntl = local_cf.lock_fcntl;
	opts.lock_dotlock = local_cf.lock_dotlock;
	opts.lock_attempts = local_cf.lock_attempts;
	opts.lock_delay = local_cf.lock_delay;
	opts.stale_lock_time = local_cf.stale_lock_time;
	opts.size_limit = local_cf.size_limit;
	return mbox_write(&src, path, flags & ~LOCAL_MBOX_OWNER, &opts, why, dsn);
}
