/*
 * NAME
 *	postern_check - validate the configuration and the queue directory
 * SYNOPSIS
 *	postern check [-c dir] [-n]
 * DESCRIPTION
 *	Reads main.cf and checks every parameter value in effect (type,
 *	bounds, $name expansion); reads master.cf and checks every entry and
 *	the values of its -o overrides; warns about services whose command
 *	is not an executable in daemon_directory, and about a mail_owner or
 *	setgid_group that does not exist when running as root.
 *
 *	Then the queue directory: queue_directory and its subdirectories
 *	(maildrop incoming active deferred hold corrupt tmp bounce defer
 *	trace public private pid) are created when missing, and those with
 *	the wrong owner or mode are reported and fixed (qf_make_dirs()).
 *	Run as root, everything belongs to mail_owner, and maildrop/ and
 *	public/ to the setgid_group; run as another user, to that user.
 *	-n checks only, changing nothing on disk.
 * DIAGNOSTICS
 *	One line on stderr per problem. Exit status 0 when the configuration
 *	is valid and the queue directory is usable, 1 otherwise, 64 on a
 *	usage error.
 */
#include <sys/stat.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail_conf.h"
#include "master_ent.h"
#include "msg.h"
#include "mymalloc.h"
#include "postern.h"
#include "qfile.h"
#include "vstring.h"

/* Must match qf_make_dirs(). */
static const struct {
	const char *name;
	mode_t	 mode;
	int	 group;		/* owned by setgid_group */
} check_dirs[] = {
	{ QF_MAILDROP, 01730, 1 }, { "public", 0710, 1 }, { "private", 0700, 0 },
	{ QF_INCOMING, 0700, 0 }, { QF_ACTIVE, 0700, 0 }, { QF_DEFERRED, 0700, 0 },
	{ QF_HOLD, 0700, 0 }, { QF_CORRUPT, 0700, 0 }, { QF_TMP, 0700, 0 },
	{ "bounce", 0700, 0 }, { "defer", 0700, 0 }, { "trace", 0700, 0 },
	{ "pid", 0700, 0 },
};

/* check_report - print every line of a multi-line error text. */
static int
check_report(VSTRING *errors)
{
	char	*cp, *nl;
	int	count = 0;

	for (cp = vstring_str(errors); *cp; cp = nl + 1) {
		if ((nl = strchr(cp, '\n')) == NULL)
			nl = cp + strlen(cp) - 1;
		else
			*nl = 0;
		msg_error("%s", cp);
		count++;
	}
	return count;
}

/* check_overrides - validate literal -o values of one master.cf entry. */
static int
check_overrides(const MASTER_ENT *ent, VSTRING *why)
{
	const CONF_PARAM *p;
	char	*name, *eq;
	size_t	i;
	int	bad = 0;

	for (i = 0; i < ent->overrides->argc; i++) {
		(void)conf_compat_warn_override(ent->overrides->argv[i],
		    ent->service);
		name = mystrdup(ent->overrides->argv[i]);
		eq = strchr(name, '=');
		*eq = 0;
		if ((p = conf_param_find(name)) != NULL && strchr(eq + 1, '$') == NULL &&
		    conf_check_value(p, eq + 1, why) < 0) {
			msg_error("%s, line %d: -o %s: %s", ent->file, ent->line,
			    name, vstring_str(why));
			bad++;
		}
		myfree(name);
	}
	return bad;
}

static int
check_master(void)
{
	VSTRING	*why = vstring_alloc(64), *path = vstring_alloc(64);
	MASTER_TABLE *table;
	const char *dir = conf_str("daemon_directory");
	size_t	i;
	int	bad = 0;

	if ((table = master_ent_load(NULL, why)) == NULL) {
		msg_error("%s", vstring_str(why));
		bad = 1;
		goto done;
	}
	for (i = 0; i < table->count; i++) {
		bad += check_overrides(table->ent[i], why);
		vstring_sprintf(path, "%s/%s", dir, table->ent[i]->command);
		if (access(vstring_str(path), X_OK) < 0)
			msg_warn("%s, line %d: service %s: %s: %m",
			    table->ent[i]->file, table->ent[i]->line,
			    table->ent[i]->service, vstring_str(path));
	}
	master_ent_table_free(table);
done:
	vstring_free(why);
	vstring_free(path);
	return bad;
}

/* check_owner - the uid and gid the queue belongs to. */
static int
check_owner(uid_t *uid, gid_t *gid, gid_t *sgid)
{
	struct passwd *pw;
	struct group *gr;

	*uid = getuid();
	*gid = *sgid = getgid();
	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam(conf_str("mail_owner"))) == NULL) {
		msg_error("mail_owner %s: no such user", conf_str("mail_owner"));
		return 1;
	}
	if (pw->pw_uid == 0) {
		msg_error("mail_owner %s must not be root", conf_str("mail_owner"));
		return 1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if ((gr = getgrnam(conf_str("setgid_group"))) == NULL) {
		msg_error("setgid_group %s: no such group", conf_str("setgid_group"));
		return 1;
	}
	*sgid = gr->gr_gid;
	return 0;
}

/* check_queue_dirs - report missing or wrong directories. */
static int
check_queue_dirs(const char *qdir, uid_t uid, gid_t sgid)
{
	VSTRING	*path = vstring_alloc(64);
	struct stat st;
	size_t	i;
	int	wrong = 0;

	for (i = 0; i < sizeof(check_dirs) / sizeof(check_dirs[0]); i++) {
		vstring_sprintf(path, "%s/%s", qdir, check_dirs[i].name);
		if (lstat(vstring_str(path), &st) < 0) {
			if (errno != ENOENT)
				msg_warn("%s: %m", vstring_str(path));
			else
				msg_info("%s: missing", vstring_str(path));
			wrong++;
		} else if (!S_ISDIR(st.st_mode)) {
			msg_warn("%s: not a directory", vstring_str(path));
			wrong++;
		} else if ((st.st_mode & 07777) != check_dirs[i].mode ||
		    st.st_uid != uid || (check_dirs[i].group && st.st_gid != sgid)) {
			msg_warn("%s: mode %04o owner %ld group %ld, want mode "
			    "%04o owner %ld%s", vstring_str(path),
			    (unsigned)(st.st_mode & 07777), (long)st.st_uid,
			    (long)st.st_gid, (unsigned)check_dirs[i].mode,
			    (long)uid, check_dirs[i].group ? " and the setgid_group" : "");
			wrong++;
		}
	}
	vstring_free(path);
	return wrong;
}

static int
check_queue(int dry_run)
{
	VSTRING	*why;
	const char *qdir = conf_str("queue_directory");
	uid_t	uid;
	gid_t	gid, sgid;
	int	wrong;

	if (*qdir != '/') {
		msg_error("queue_directory %s: not an absolute path", qdir);
		return 1;
	}
	if (check_owner(&uid, &gid, &sgid) != 0)
		return 1;
	if (access(qdir, F_OK) < 0 && errno == ENOENT) {
		msg_info("queue directory %s: missing", qdir);
		wrong = 1;
	} else
		wrong = check_queue_dirs(qdir, uid, sgid);
	if (wrong == 0 || dry_run)
		return dry_run && wrong ? 1 : 0;
	why = vstring_alloc(64);
	if (qf_make_dirs(qdir, uid, sgid, why) < 0) {
		msg_error("queue directory %s: %s", qdir, vstring_str(why));
		vstring_free(why);
		return 1;
	}
	msg_info("queue directory %s: created missing directories, fixed "
	    "owners and modes", qdir);
	vstring_free(why);
	return 0;
}

int
postern_check_main(int argc, char **argv)
{
	VSTRING	*errors;
	int	ch, bad = 0, dry_run = 0;

	while ((ch = getopt(argc, argv, "c:nv")) != -1) {
		switch (ch) {
		case 'c':
			postern_set_config(optarg);
			break;
		case 'n':
			dry_run = 1;
			break;
		case 'v':
			msg_verbose++;
			break;
		default:
			fprintf(stderr, "usage: %s check [-c dir] [-n]\n",
			    postern_progname());
			return 64;
		}
	}
	mail_conf_read(NULL);
	(void)conf_compat_warn();
	errors = vstring_alloc(256);
	if (mail_conf_validate(errors) > 0)
		bad += check_report(errors);
	vstring_free(errors);
	bad += check_master();
	if (bad == 0)
		bad += check_queue(dry_run);
	return bad ? 1 : 0;
}
