/*
 * NAME
 *	local_alias - alias expansion
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_alias(LOCAL_STATE *state, const char *name,
 *		    const char *user, int *found);
 * DESCRIPTION
 *	local_alias() looks the local part name (lower case) up in
 *	alias_maps, then, when it had an extension, user (name without
 *	it). Each alias is expanded once per recipient expansion, so that
 *	"joe: joe, /var/log/joe.mail" reaches joe's mailbox and a cycle
 *	of aliases ends. When found (*found set), the targets are
 *	delivered (local_token.c) with the privileges of the owner of the
 *	alias database file (default_privs when that is root, or the
 *	running user when not root).
 *
 *	When owner-name is an alias too (and owner_request_special is on),
 *	mail forwarded from this expansion carries the envelope sender
 *	owner-name@myorigin, so that its errors go to the list owner, not
 *	to the original sender (with expand_owner_alias, the sender is
 *	the owner alias's expansion when that is one address).
 * DIAGNOSTICS
 *	LOCAL_OK, LOCAL_SOFT (a table lookup failed: 4.3.0) or
 *	LOCAL_HARD, logged through local_result.
 */
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "dict.h"
#include "local.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"

/* local_alias_find - look name up; 1 found (value, owner priv), 0, -1 */

static int
local_alias_find(const char *name, VSTRING *value, LOCAL_PRIV *priv)
{
	ARGV	*maps = conf_split_list(local_cf.alias_maps);
	VSTRING	*path = vstring_alloc(100);
	DICT	*dict;
	const char *v;
	struct stat st;
	size_t	 i;
	int	 rc = 0;

	for (i = 0; rc == 0 && i < maps->argc; i++) {
		dict = dict_lookup_open(maps->argv[i]);
		if ((v = dict_get(dict, name)) != NULL) {
			vstring_strcpy(value, v);
			rc = 1;
			vstring_strcpy(path, dict->name);
			if (strcmp(dict->type, "hash") == 0
			    || strcmp(dict->type, "btree") == 0)
				vstring_strcat(path, ".db");
			if (priv && stat(vstring_str(path), &st) == 0) {
				priv->uid = st.st_uid;
				priv->gid = st.st_gid;
			}
		} else if (dict->error != DICT_ERR_NONE) {
			rc = -1;
		}
		dict_lookup_close(dict);
	}
	argv_free(maps);
	vstring_free(path);
	return rc;
}

/* local_alias_privs - whose privileges the alias targets get */

static void
local_alias_privs(LOCAL_PRIV *priv)
{
	if (geteuid() != 0) {
		priv->uid = geteuid();
		priv->gid = getegid();
	} else if (priv->uid == 0
	    && local_priv_user(local_cf.default_privs, priv) < 0) {
		msg_warn("default_privs %s: unknown user; using nobody's id",
		    local_cf.default_privs);
		priv->uid = 65534;
		priv->gid = 65534;
	}
}

/* local_alias_owner - owner-name as the sender for forwarded copies */

static char *
local_alias_owner(const char *name)
{
	VSTRING	*key = vstring_alloc(64), *val = vstring_alloc(64);
	char	*sender = NULL;

	if (local_cf.owner_special && strncmp(name, "owner-", 6) != 0) {
		vstring_sprintf(key, "owner-%s", name);
		if (local_alias_find(vstring_str(key), val, NULL) > 0) {
			if (local_cf.expand_owner && strchr(vstring_str(val), ',') == NULL
			    && strchr(vstring_str(val), '@') != NULL)
				sender = mystrdup(vstring_str(vstring_trim(val)));
			else
				sender = mystrdup(vstring_str(vstring_sprintf_append(key,
				    "@%s", local_cf.myorigin)));
		}
	}
	vstring_free(key);
	vstring_free(val);
	return sender;
}

int
local_alias(LOCAL_STATE *state, const char *name, const char *user, int *found)
{
	VSTRING	*value = vstring_alloc(100);
	LOCAL_STATE child = *state;
	const char *key = name;
	char	*owner = NULL;
	int	 rc;

	*found = 0;
	memset(&child.priv, 0, sizeof(child.priv));
	if (*local_cf.alias_maps == 0 || local_dup(state, "alias", name)) {
		vstring_free(value);
		return LOCAL_OK;
	}
	if ((rc = local_alias_find(name, value, &child.priv)) == 0
	    && strcmp(name, user) != 0 && !local_dup(state, "alias", user))
		rc = local_alias_find(key = user, value, &child.priv);
	if (rc < 0) {
		vstring_free(value);
		return local_fail(state, "4.3.0", "alias database unavailable");
	}
	if (rc == 0) {
		vstring_free(value);
		return LOCAL_OK;
	}
	*found = 1;
	local_alias_privs(&child.priv);
	if ((owner = local_alias_owner(key)) != NULL)
		child.sender = owner;
	child.source = LOCAL_SRC_ALIAS;
	child.alias = key;
	/* smtpctl trace expand: each expansion, as it happens. */
	if (msg_verbose)
		msg_info("expand: %s: alias %s -> %.500s", state->req->dr.queue_id,
		    key, vstring_str(value));
	rc = local_expand(&child, vstring_str(value), 0);
	myfree(owner);
	vstring_free(value);
	return rc;
}
