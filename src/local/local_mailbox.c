/*
 * NAME
 *	local_mailbox - deliver to a local user's mailbox
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_mailbox(LOCAL_STATE *state, const char *user);
 * DESCRIPTION
 *	local_mailbox() delivers to the mailbox of user (state->home,
 *	state->priv are the user's), in the first way that applies, as
 *	Postfix's local(8) does:
 *	    mailbox_transport_maps, mailbox_transport
 *		hand the recipient to another delivery agent
 *		(local_pass.c), such as "lmtp:unix:/run/dovecot/lmtp";
 *	    mailbox_command_maps, mailbox_command
 *		run the command as the user (local_command.c);
 *	    home_mailbox
 *		$HOME/home_mailbox: a Maildir when it ends in "/", else an
 *		mbox file;
 *	    mail_spool_directory
 *		the mbox file mail_spool_directory/user (a Maildir
 *		mail_spool_directory/user/ when the directory name ends
 *		in "/").
 *	File deliveries run as the user. When Postern runs as root and the
 *	spool directory is not writable by the user (root:mail 1775 and
 *	alike), the spool mailbox is opened and locked with root
 *	privileges instead, and a new mailbox is given to the user.
 *	A user's mailbox gets one copy per recipient expansion (duplicate
 *	filter).
 * DIAGNOSTICS
 *	LOCAL_OK, LOCAL_SOFT or LOCAL_HARD, logged through local_result.
 */
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "dict.h"
#include "local.h"
#include "mail_conf.h"
#include "msg.h"

/*
 * local_mailbox_map - the first value for user in a list of tables: 1 when
 * found (in out), 0 when not, -1 on a lookup error. Also used for
 * fallback_transport_maps.
 */
int
local_mailbox_map(const char *maps, const char *user, VSTRING *out)
{
	ARGV	*list = conf_split_list(maps);
	DICT	*dict;
	const char *v = NULL;
	size_t	 i;
	int	 rc = 0;

	for (i = 0; rc == 0 && i < list->argc; i++) {
		dict = dict_lookup_open(list->argv[i]);
		if ((v = dict_get(dict, user)) != NULL) {
			vstring_strcpy(out, v);
			rc = 1;
		} else if (dict->error != DICT_ERR_NONE) {
			rc = -1;
		}
		dict_lookup_close(dict);
	}
	argv_free(list);
	return rc;
}

static int
local_mailbox_fn(LOCAL_STATE *state, const char *path, VSTRING *why, char *dsn)
{
	if (path[strlen(path) - 1] == '/')
		return local_maildir(state, path, why, dsn);
	return local_mbox(state, path, LOCAL_COPY_MBOX | LOCAL_MBOX_OWNER, why, dsn);
}

/* local_mailbox_file - home_mailbox or the spool file */

static int
local_mailbox_file(LOCAL_STATE *state, const char *user)
{
	VSTRING	*path = vstring_alloc(100), *why = vstring_alloc(100);
	LOCAL_PRIV priv = state->priv;
	struct stat st;
	char	 dsn[16] = "4.3.0";
	size_t	 len;
	int	 rc, maildir;

	if (*local_cf.home_mailbox) {
		vstring_sprintf(path, "%s/%s", state->home ? state->home : "",
		    local_cf.home_mailbox);
	} else {
		/* A spool directory name ending in "/" means Maildirs. */
		len = strlen(local_cf.spool_dir);
		maildir = len > 0 && local_cf.spool_dir[len - 1] == '/';
		vstring_sprintf(path, "%s%s%s%s", local_cf.spool_dir,
		    maildir ? "" : "/", user, maildir ? "/" : "");
		if (!maildir && geteuid() == 0 && stat(local_cf.spool_dir, &st) == 0
		    && st.st_uid != priv.uid && (st.st_mode & 01777) != 01777)
			priv.uid = 0;
	}
	rc = local_priv_run(state, &priv, local_mailbox_fn, vstring_str(path),
	    why, dsn);
	if (rc == LOCAL_OK)
		rc = local_done(state, "delivered to %s",
		    vstring_end(path)[-1] == '/' ? "maildir" : "mailbox");
	else
		rc = local_fail(state, dsn, "%s", vstring_str(why));
	vstring_free(path);
	vstring_free(why);
	return rc;
}

int
local_mailbox(LOCAL_STATE *state, const char *user)
{
	VSTRING	*val = vstring_alloc(100);
	int	 rc, found;

	if (local_dup(state, "mailbox", user)) {
		vstring_free(val);
		return LOCAL_OK;
	}
	if ((found = local_mailbox_map(local_cf.mailbox_transport_maps, user, val)) == 0
	    && *local_cf.mailbox_transport) {
		vstring_strcpy(val, local_cf.mailbox_transport);
		found = 1;
	}
	if (found > 0) {
		rc = local_pass(state, vstring_str(val));
		goto out;
	}
	if (found == 0 && (found = local_mailbox_map(local_cf.mailbox_command_maps,
	    user, val)) == 0 && *local_cf.mailbox_command) {
		vstring_strcpy(val, local_cf.mailbox_command);
		found = 1;
	}
	if (found < 0)
		rc = local_fail(state, "4.3.0", "mailbox table lookup failure");
	else if (found > 0)
		rc = local_command(state, vstring_str(val), "mailbox");
	else
		rc = local_mailbox_file(state, user);
out:
	vstring_free(val);
	return rc;
}
