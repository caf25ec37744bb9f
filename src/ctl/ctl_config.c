/*
 * NAME
 *	ctl_config - which configuration a set-gid command may use
 * SYNOPSIS
 *	#include "ctl_config.h"
 *
 *	const char *ctl_config_check(const char *want);
 *	int ctl_setgid(void);
 * DESCRIPTION
 *	sendmail and smtpctl are installed set-gid setgid_group, so that
 *	ordinary users can write to maildrop/ and reach public/. Such a
 *	process must not let its caller choose the configuration freely:
 *	a user's own main.cf could name any queue_directory and borrow the
 *	group's rights there. As Postfix does, an ordinary user of a set-gid
 *	command may use another configuration directory (-c or MAIL_CONFIG)
 *	only when the default main.cf lists it in
 *	alternate_config_directories.
 *
 *	ctl_config_check() takes the directory the caller asked for (-c, or
 *	null for MAIL_CONFIG) and returns the one to use: null for the
 *	built-in default. When the process is not set-gid, or the caller is
 *	root, anything goes. MAIL_CONFIG is removed from the environment when
 *	it is refused or checked, so that programs run later see the result.
 *
 *	ctl_setgid() tells whether the process runs with a borrowed group.
 *	Permission decisions (who is privileged) must use the real ids.
 * DIAGNOSTICS
 *	Fatal (exit 77, EX_NOPERM) when a directory is refused.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "argv.h"
#include "ctl_config.h"
#include "mail_conf.h"
#include "msg.h"
#include "vstring.h"

int
ctl_setgid(void)
{
	return getegid() != getgid();
}

const char *
ctl_config_check(const char *want)
{
	const char *def = conf_param_find("config_directory")->defval;
	VSTRING	*main_cf;
	ARGV	*alt;
	size_t	 i;
	int	 ok = 0;

	if (want == NULL)
		want = getenv("MAIL_CONFIG");
	if (want == NULL || getuid() == 0 || !ctl_setgid())
		return want;
	(void)unsetenv("MAIL_CONFIG");
	if (strcmp(want, def) == 0)
		return NULL;
	main_cf = vstring_alloc(100);
	vstring_sprintf(main_cf, "%s/main.cf", def);
	if (access(vstring_str(main_cf), R_OK) == 0) {
		mail_conf_read(NULL);
		alt = conf_list("alternate_config_directories");
		for (i = 0; i < alt->argc; i++)
			if (strcmp(alt->argv[i], want) == 0)
				ok = 1;
		argv_free(alt);
	}
	vstring_free(main_cf);
	if (!ok)
		msg_fatal_status(EX_NOPERM, "%s: not listed in "
		    "alternate_config_directories; only root may use it with a "
		    "set-gid %s", want, msg_tag());
	return want;
}
