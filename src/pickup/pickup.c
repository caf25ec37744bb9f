/*
 * NAME
 *	pickup - move local submissions from maildrop/ into the queue
 * SYNOPSIS
 *	pickup [generic daemon options]
 * DESCRIPTION
 *	pickup is a trigger server (mail_server(3)) run by the master. Each
 *	trigger on public/pickup (sendmail sends one after each message;
 *	master.cf's wakeup column sends one every 60 seconds) makes it scan
 *	$queue_directory/maildrop. For every file whose name does not start
 *	with a dot (sendmail writes ".name" and renames it when complete):
 *	pickup_file(3) copies it into a new queue file in incoming/; then
 *	the maildrop file is removed and the line "<id>: uid=N from=<sender>"
 *	is logged. A file that cannot be used is renamed to
 *	corrupt/maildrop.<name> with a warning, never deleted. When the
 *	queue cannot be written the scan stops and the file stays for the
 *	next trigger. Each message queued triggers qmgr, naming its queue id.
 *
 *	Crash safety: the queue file is committed before the maildrop file
 *	is removed, so a crash between the two can at worst queue a message
 *	twice; it can never lose one.
 *
 *	Dot files older than a day (left by a sendmail that died) are
 *	moved to corrupt/ too.
 * DIAGNOSTICS
 *	Problems are logged; pickup itself only stops on fatal errors
 *	(configuration, a missing maildrop directory).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail_conf.h"
#include "mail_server.h"
#include "mail_trigger.h"
#include "msg.h"
#include "mymalloc.h"
#include "pickup.h"
#include "qfile.h"

#define PICKUP_STALE_AGE	(24 * 3600)

static PICKUP_CTX pickup_ctx;

/* pickup_corrupt - keep an unusable file where an admin can find it. */
static void
pickup_corrupt(const char *dir, const char *name, const char *why)
{
	VSTRING	*from = vstring_alloc(100), *to = vstring_alloc(100);

	vstring_sprintf(from, "%s/%s/%s", dir, QF_MAILDROP, name);
	vstring_sprintf(to, "%s/%s/maildrop.%s", dir, QF_CORRUPT, name);
	if (rename(vstring_str(from), vstring_str(to)) < 0)
		msg_warn("maildrop file %s: %s; cannot move it to %s: %s",
		    name, why, vstring_str(to), strerror(errno));
	else
		msg_warn("maildrop file %s: %s; moved to %s", name, why, vstring_str(to));
	vstring_free(from);
	vstring_free(to);
}

/* pickup_one - process one maildrop file; -1 stops the scan. */
static int
pickup_one(const char *name)
{
	PICKUP_INFO info;
	VSTRING	*path = vstring_alloc(100), *why = vstring_alloc(100);
	int	 ret = 0;

	info.id = vstring_alloc(16);
	info.sender = vstring_alloc(64);
	info.msgid = vstring_alloc(64);
	vstring_sprintf(path, "%s/%s/%s", pickup_ctx.queue_dir, QF_MAILDROP, name);
	switch (pickup_file(&pickup_ctx, vstring_str(path), &info, why)) {
	case PICKUP_OK:
		if (unlink(vstring_str(path)) < 0 && errno != ENOENT)
			msg_warn("remove %s: %s", vstring_str(path), strerror(errno));
		(void)mail_trigger_id("qmgr", vstring_str(info.id));
		break;
	case PICKUP_GONE:
		break;
	case PICKUP_RETRY:
		msg_warn("maildrop file %s: %s (will retry)", name, vstring_str(why));
		ret = -1;
		break;
	default:
		pickup_corrupt(pickup_ctx.queue_dir, name, vstring_str(why));
		break;
	}
	vstring_free(info.id);
	vstring_free(info.sender);
	vstring_free(info.msgid);
	vstring_free(path);
	vstring_free(why);
	return ret;
}

/* pickup_stale - a dot file older than a day: its writer died. */
static void
pickup_stale(const char *name)
{
	VSTRING	*path = vstring_alloc(100);
	struct stat st;

	vstring_sprintf(path, "%s/%s/%s", pickup_ctx.queue_dir, QF_MAILDROP, name);
	if (lstat(vstring_str(path), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_mtime < time(NULL) - PICKUP_STALE_AGE)
		pickup_corrupt(pickup_ctx.queue_dir, name, "incomplete submission");
	vstring_free(path);
}

/* pickup_scan - one pass over maildrop/. */
static void
pickup_scan(void)
{
	VSTRING	*dir = vstring_alloc(100);
	ARGV	*names = argv_alloc(16);
	struct dirent *de;
	DIR	*dp;
	size_t	 i;

	vstring_sprintf(dir, "%s/%s", pickup_ctx.queue_dir, QF_MAILDROP);
	if ((dp = opendir(vstring_str(dir))) == NULL)
		msg_fatal("open %s: %s", vstring_str(dir), strerror(errno));
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			argv_add(names, de->d_name);
	(void)closedir(dp);
	for (i = 0; i < names->argc; i++) {
		if (names->argv[i][0] == '.')
			pickup_stale(names->argv[i]);
		else if (pickup_one(names->argv[i]) < 0)
			break;
	}
	argv_free(names);
	vstring_free(dir);
}

static void
pickup_service(const char *buf, size_t len, const char *service, char **argv)
{
	pickup_scan();
}

static void
pickup_post_init(const char *service, char **argv)
{
	pickup_ctx.queue_dir = conf_str("queue_directory");
	pickup_ctx.myhostname = conf_str("myhostname");
	pickup_ctx.myorigin = conf_str("myorigin");
	pickup_ctx.append_at_myorigin = conf_bool("append_at_myorigin");
	pickup_ctx.size_limit = conf_size("message_size_limit");
	pickup_ctx.header_limit = (size_t)conf_int("header_size_limit");
	pickup_ctx.cleanup = cleanup_conf_load();
	(void)cleanup_content_register(pickup_ctx.cleanup, 0);
}

int
main(int argc, char **argv)
{
	static const MAIL_SERVER_OPS ops = {
		.post_init = pickup_post_init,
	};

	trigger_server_main(argc, argv, pickup_service, &ops);
	return 0;
}
