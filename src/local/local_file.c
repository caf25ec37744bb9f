/*
 * NAME
 *	local_file - deliver to a file named in an alias or .forward
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_file(LOCAL_STATE *state, const char *path);
 * DESCRIPTION
 *	local_file() appends the message to the file path in mbox format
 *	(see local_mbox.c), or, when path ends in "/", delivers it into
 *	that Maildir (local_maildir.c), with the privileges of the current
 *	state: the recipient for .forward files, the owner of the alias
 *	database or :include: file, else default_privs. Delivered-To: is
 *	added when prepend_delivered_header has "file".
 * DIAGNOSTICS
 *	LOCAL_OK, LOCAL_SOFT or LOCAL_HARD, logged through local_result.
 */
#include <string.h>

#include "local.h"

static int
local_file_fn(LOCAL_STATE *state, const char *path, VSTRING *why, char *dsn)
{
	int	 flags = LOCAL_COPY_MBOX;

	if (path[strlen(path) - 1] == '/')
		return local_maildir(state, path, why, dsn);
	if (!local_list_has(local_cf.prepend_delivered, "file"))
		flags &= ~LOCAL_COPY_DELIVERED;
	return local_mbox(state, path, flags, why, dsn);
}

int
local_file(LOCAL_STATE *state, const char *path)
{
	VSTRING	*why;
	LOCAL_PRIV priv;
	char	 dsn[16] = "4.3.0";
	int	 rc;
	size_t	 len = strlen(path);

	if (strstr(path, "/../") != NULL
	    || (len >= 3 && strcmp(path + len - 3, "/..") == 0)) {
		return local_fail(state, "5.1.3", "bad file name: %s", path);
	}
	why = vstring_alloc(100);
	local_priv_target(&state->priv, &priv);
	rc = local_priv_run(state, &priv, local_file_fn, path, why, dsn);
	if (rc == LOCAL_OK && path[len - 1] == '/')
		rc = local_done(state, "delivered to maildir");
	else if (rc == LOCAL_OK)
		rc = local_done(state, "delivered to file: %s", path);
	else
		rc = local_fail(state, dsn, "cannot deliver to file %s: %s", path,
		    vstring_str(why));
	vstring_free(why);
	return rc;
}
