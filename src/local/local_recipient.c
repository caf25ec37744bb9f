/*
 * NAME
 *	local_recipient - deliver to one recipient
 * SYNOPSIS
 *	#include "local.h"
 *
 *	void	local_recipient(LOCAL_REQ *req, LOCAL_RCPT *rcpt);
 *	int	local_deliver(LOCAL_STATE *state, const char *addr);
 *	int	local_user(LOCAL_STATE *state, const char *name,
 *		    int mailbox_only);
 * DESCRIPTION
 *	local_recipient() handles one recipient of a request from start
 *	to reply: local_deliver(), then the forwarding of the addresses
 *	its expansion named outside mydestination, then one reply to the
 *	queue manager (local_result.c).
 *
 *	local_deliver() delivers to a local address, one level deeper
 *	than state, as Postfix's local(8) does:
 *	    loops   a message that carries "Delivered-To: addr" already
 *		    is bounced (5.4.6, mail forwarding loop), as is an
 *		    expansion deeper than LOCAL_MAX_LEVEL;
 *	    name    the local part, lower-cased, and without its
 *		    recipient_delimiter extension ("user+ext");
 *	    aliases alias_maps for name, then for the name without the
 *		    extension (local_alias.c);
 *	    user    a login name: .forward, else the mailbox (local_user);
 *	    fallback_transport_maps, fallback_transport
 *		    an unknown name is handed to that delivery agent
 *		    (local_pass.c), as for mailbox_transport;
 *	    luser_relay  unknown names go there when it is set;
 *	    required postmaster and mailer-daemon without an alias are
 *		    discarded with a warning (as Postfix does): they must
 *		    never bounce;
 *	    else    the recipient is unknown: 5.1.1.
 *
 *	local_user() delivers to a user known to getpwnam(3), as that
 *	user (when running as root): the .forward file (unless
 *	mailbox_only, used for "\user"), else the mailbox
 *	(local_mailbox.c).
 * DIAGNOSTICS
 *	local_deliver() and local_user() return LOCAL_OK, LOCAL_SOFT or
 *	LOCAL_HARD, and log each outcome.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <pwd.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "local.h"
#include "mail_addr_find.h"
#include "msg.h"
#include "mymalloc.h"

/* local_loop - did this address see the message before? */

static int
local_loop(LOCAL_STATE *state, const char *addr)
{
	ARGV	*d = state->req->delivered;
	size_t	 i;

	for (i = 0; i < d->argc; i++)
		if (strcasecmp(d->argv[i], addr) == 0)
			return 1;
	return 0;
}

/* local_required - a name RFC 5321 requires, that must never bounce */

static int
local_required(const char *name)
{
	return strcmp(name, "postmaster") == 0
	    || strcmp(name, "mailer-daemon") == 0;
}

int
local_user(LOCAL_STATE *state, const char *name, int mailbox_only)
{
	LOCAL_STATE child = *state;
	VSTRING	*lname = vstring_lower(vstring_strcpy(vstring_alloc(32), name));
	struct passwd *pw;
	struct stat st;
	int	 rc = LOCAL_OK, found = 0;

	if ((pw = getpwnam(vstring_str(lname))) == NULL) {
		rc = local_fail(state, "5.1.1", "unknown user: \"%s\"", name);
		goto out;
	}
	child.user = mystrdup(pw->pw_name);
	child.home = mystrdup(pw->pw_dir);
	child.shell = mystrdup(pw->pw_shell);
	child.priv.uid = geteuid() == 0 ? pw->pw_uid : geteuid();
	child.priv.gid = geteuid() == 0 ? pw->pw_gid : getegid();
	if (local_cf.require_home && stat(child.home, &st) < 0) {
		rc = local_fail(&child, "4.3.0", "cannot access home directory "
		    "%s: %m", child.home);
	} else {
		if (!mailbox_only)
			rc = local_dot_forward(&child, child.user, &found);
		if (!found)
			rc = local_mailbox(&child, child.user);
	}
	myfree((char *)child.user);
	myfree((char *)child.home);
	myfree((char *)child.shell);
out:
	vstring_free(lname);
	return rc;
}

/* local_luser - luser_relay for an unknown name */

static int
local_luser(LOCAL_STATE *state, const char *name)
{
	VSTRING	*addr = vstring_alloc(100);
	LOCAL_STATE child = *state;
	int	 rc;

	child.user = name;
	if (local_var_expand(&child, addr, local_cf.luser_relay, NULL) < 0
	    || vstring_len(addr) == 0) {
		rc = local_fail(state, "4.3.5", "bad luser_relay: %s",
		    local_cf.luser_relay);
	} else {
		child.source = LOCAL_SRC_NONE;
		rc = local_expand(&child, vstring_str(addr), 0);
	}
	vstring_free(addr);
	return rc;
}

/*
 * local_fallback - fallback_transport_maps (by name), else
 * fallback_transport, for a name that is neither an alias nor a user:
 * 1 and *rc when the recipient was handed on.
 */
static int
local_fallback(LOCAL_STATE *state, const char *name, int *rc)
{
	VSTRING	*dest = vstring_alloc(64);
	int	 found;

	found = local_mailbox_map(local_cf.fallback_transport_maps, name, dest);
	if (found < 0) {
		*rc = local_fail(state, "4.3.0", "fallback_transport_maps lookup "
		    "error for %s", name);
	} else if (found > 0 || *local_cf.fallback_transport) {
		if (found == 0)
			vstring_strcpy(dest, local_cf.fallback_transport);
		*rc = local_pass(state, vstring_str(dest));
		found = 1;
	}
	vstring_free(dest);
	return found != 0;
}

int
local_deliver(LOCAL_STATE *state, const char *addr)
{
	LOCAL_STATE child = *state;
	VSTRING	*local = vstring_alloc(64), *user = vstring_alloc(64);
	VSTRING	*ext = vstring_alloc(64);
	const char *at = strrchr(addr, '@');
	int	 rc, found = 0;

	child.addr = addr;
	child.level = state->level + 1;
	child.extension = NULL;
	vstring_lower(vstring_memcpy(local, addr, at ? (size_t)(at - addr) : strlen(addr)));
	if (child.level > LOCAL_MAX_LEVEL) {
		rc = local_fail(&child, "5.4.6", "possible mail forwarding loop "
		    "for %s", addr);
		goto out;
	}
	if (local_loop(&child, addr)) {
		rc = local_fail(&child, "5.4.6", "mail forwarding loop for %s", addr);
		goto out;
	}
	if (vstring_len(local) == 0 || strchr(vstring_str(local), '/')) {
		rc = local_fail(&child, "5.1.3", "bad address syntax: %s", addr);
		goto out;
	}
	if (mail_addr_split_ext(vstring_str(local), local_cf.delimiter, user, ext))
		child.extension = vstring_str(ext);
	else
		vstring_strcpy(user, vstring_str(local));
	rc = local_alias(&child, vstring_str(local), vstring_str(user), &found);
	if (found || rc != LOCAL_OK)
		goto out;
	if (getpwnam(vstring_str(user)) != NULL)
		rc = local_user(&child, vstring_str(user), 0);
	else if (local_fallback(&child, vstring_str(user), &rc))
		;
	else if (*local_cf.luser_relay != 0)
		rc = local_luser(&child, vstring_str(user));
	else if (local_required(vstring_str(user))) {
		msg_warn("required alias not found: %s", vstring_str(user));
		rc = local_done(&child, "discarded");
	} else
		rc = local_user(&child, vstring_str(user), 0);
out:
	vstring_free(local);
	vstring_free(user);
	vstring_free(ext);
	return rc;
}

void
local_recipient(LOCAL_REQ *req, LOCAL_RCPT *rcpt)
{
	LOCAL_STATE state;

	memset(&state, 0, sizeof(state));
	state.req = req;
	state.rcpt = rcpt;
	state.res = local_result_alloc();
	state.addr = rcpt->addr;
	state.sender = req->dr.sender;
	state.priv.uid = geteuid();
	state.priv.gid = getegid();
	(void)local_deliver(&state, rcpt->addr);
	if (state.res->nsoft == 0 && state.res->fwd->argc > 0)
		(void)local_forward_flush(&state);
	local_reply(&state);
	local_result_free(state.res);
}
