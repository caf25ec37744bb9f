/*
 * NAME
 *	dict_unix - unix: tables (the system's passwd and group databases)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_unix_ops;
 * DESCRIPTION
 *	"unix:passwd.byname" looks a login name up with getpwnam(3) and
 *	answers the passwd(5) line, "name:passwd:uid:gid:gecos:dir:shell",
 *	as Postfix does (local_recipient_maps uses it to know local users).
 *	"unix:group.byname" answers "name:passwd:gid:member,member" from
 *	getgrnam(3). Keys are folded to lower case with DICT_FLAG_FOLD_KEY,
 *	so mixed-case login names are not found (as with Postfix).
 * DIAGNOSTICS
 *	An unknown map name fails the open. A lookup error other than "no
 *	such entry" (an unreachable NSS service, say) sets DICT_ERR_RETRY.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "dict.h"
#include "mymalloc.h"

#define DICT_UNIX_PASSWD	1
#define DICT_UNIX_GROUP		2

typedef struct DICT_UNIX {
	int	 which;
	VSTRING	*result;
} DICT_UNIX;

static int
dict_unix_open(DICT *dict, VSTRING *why)
{
	DICT_UNIX *du;
	int	 which;

	if (strcmp(dict->name, "passwd.byname") == 0)
		which = DICT_UNIX_PASSWD;
	else if (strcmp(dict->name, "group.byname") == 0)
		which = DICT_UNIX_GROUP;
	else {
		vstring_sprintf(why, "%s: unknown unix map (use passwd.byname "
		    "or group.byname)", dict->spec);
		return -1;
	}
	du = mycalloc(1, sizeof(*du));
	du->which = which;
	du->result = vstring_alloc(128);
	dict->data = du;
	return 0;
}

/* "Not found" as the C library reports it in practice. */
static int
dict_unix_notfound(int err)
{
	return err == 0 || err == ENOENT || err == ESRCH || err == EBADF
	    || err == EPERM;
}

static const char *
dict_unix_get(DICT *dict, const char *key)
{
	DICT_UNIX *du = dict->data;
	struct passwd *pw;
	struct group *gr;
	char	**mp;

	errno = 0;
	if (du->which == DICT_UNIX_PASSWD) {
		if ((pw = getpwnam(key)) == NULL)
			goto missing;
		vstring_sprintf(du->result, "%s:%s:%ld:%ld:%s:%s:%s",
		    pw->pw_name, pw->pw_passwd, (long)pw->pw_uid,
		    (long)pw->pw_gid, pw->pw_gecos, pw->pw_dir, pw->pw_shell);
		return vstring_str(du->result);
	}
	if ((gr = getgrnam(key)) == NULL)
		goto missing;
	vstring_sprintf(du->result, "%s:%s:%ld:", gr->gr_name, gr->gr_passwd,
	    (long)gr->gr_gid);
	for (mp = gr->gr_mem; *mp != NULL; mp++)
		vstring_sprintf_append(du->result, "%s%s",
		    mp == gr->gr_mem ? "" : ",", *mp);
	return vstring_str(du->result);
missing:
	if (!dict_unix_notfound(errno))
		dict_set_error(dict, DICT_ERR_RETRY, "%s: %s", dict->spec,
		    strerror(errno));
	return NULL;
}

static void
dict_unix_close(DICT *dict)
{
	DICT_UNIX *du = dict->data;

	vstring_free(du->result);
	myfree(du);
	dict->data = NULL;
}

const DICT_OPS dict_unix_ops = {
	"unix", 1, dict_unix_open, dict_unix_get, NULL, NULL, NULL, NULL,
	dict_unix_close,
};
