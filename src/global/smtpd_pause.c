/*
 * NAME
 *	smtpd_pause - the smtpd pause flag
 * SYNOPSIS
 *	#include "smtpd_pause.h"
 *
 *	int	smtpd_pause_set(const char *queue_dir, int pause, VSTRING *why);
 *	int	smtpd_paused(const char *queue_dir);
 * DESCRIPTION
 *	"smtpctl pause smtp" is a flag that outlives the qmgr that set it
 *	and is seen by every smtpd process at once: the file
 *	$queue_directory/pid/smtpd.pause (SMTPD_PAUSE_FILE). While it
 *	exists smtpd answers new clients 421.
 *
 *	smtpd_pause_set() creates the file (pause non-zero) or removes it.
 *
 *	smtpd_paused() tells whether it exists (one access() call).
 * DIAGNOSTICS
 *	smtpd_pause_set() returns 0, or -1 with the reason in why.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "smtpd_pause.h"

int
smtpd_pause_set(const char *queue_dir, int pause, VSTRING *why)
{
	char	 path[PATH_MAX];
	int	 fd;

	if (snprintf(path, sizeof(path), "%s/%s", queue_dir,
	    SMTPD_PAUSE_FILE) >= (int)sizeof(path)) {
		vstring_sprintf(why, "queue directory name too long");
		return -1;
	}
	if (pause) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0
		    || close(fd) < 0) {
			vstring_sprintf(why, "cannot create %s: %m", path);
			return -1;
		}
	} else if (unlink(path) < 0 && errno != ENOENT) {
		vstring_sprintf(why, "cannot remove %s: %m", path);
		return -1;
	}
	return 0;
}

int
smtpd_paused(const char *queue_dir)
{
	char	 path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", queue_dir,
	    SMTPD_PAUSE_FILE) >= (int)sizeof(path))
		return 0;
	return access(path, F_OK) == 0;
}
