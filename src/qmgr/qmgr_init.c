/*
 * NAME
 *	qmgr_init - the queue manager's context and configuration
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	QMGR	qmgr;
 *
 *	void	qmgr_init(void);
 *	long long qmgr_conf_int(const char *name, long long def);
 *	const char *qmgr_conf_str(const char *name, const char *def);
 * DESCRIPTION
 *	qmgr is the program's one context: configuration read at start-up
 *	and the scheduler's state. qmgr_init() fills in the configuration
 *	from main.cf (after mail_conf_read()) and empty state.
 *
 *	qmgr_conf_int() and qmgr_conf_str() read any parameter by name,
 *	including per-transport ones ("relay_destination_recipient_limit")
 *	that conf_lookup() resolves; def when the name is unknown or the
 *	value is not a number.
 * DIAGNOSTICS
 *	Fatal: an unknown setgid_group is only a warning (mutating control
 *	requests then need root or mail_owner).
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"

QMGR	 qmgr;

long long
qmgr_conf_int(const char *name, long long def)
{
	const char *value = conf_lookup(name);
	char	*end;
	long long n;

	if (value == NULL || *value == 0)
		return def;
	errno = 0;
	n = strtoll(value, &end, 10);
	if (errno != 0 || *end != 0 || n < 0)
		return def;
	return n;
}

const char *
qmgr_conf_str(const char *name, const char *def)
{
	const char *value = conf_lookup(name);

	return value ? value : def;
}

static int
qmgr_conf_time(const char *name, int def)
{
	long long t;

	if (conf_param_find(name) == NULL)
		return def;
	t = conf_time(name);
	return t > 0x7fffffff ? 0x7fffffff : (int)t;
}

static char *
qmgr_transport_name(const char *spec)
{
	const char *colon = strchr(spec, ':');

	return colon ? mystrndup(spec, (size_t)(colon - spec)) : mystrdup(spec);
}

void
qmgr_init(void)
{
	struct group *gr;

	qmgr.queue_dir = mystrdup(conf_str("queue_directory"));
	qmgr.myhostname = mystrdup(conf_str("myhostname"));
	qmgr.active_limit = (int)qmgr_conf_int("qmgr_message_active_limit",
	    20000);
	qmgr.run_delay = qmgr_conf_time("queue_run_delay", 300);
	qmgr.min_backoff = qmgr_conf_time("minimal_backoff_time", 300);
	qmgr.max_backoff = qmgr_conf_time("maximal_backoff_time", 4000);
	qmgr.max_lifetime = qmgr_conf_time("maximal_queue_lifetime", 5 * 86400);
	qmgr.bounce_lifetime = qmgr_conf_time("bounce_queue_lifetime",
	    5 * 86400);
	qmgr.delay_warning = qmgr_conf_time("delay_warning_time", 0);
	qmgr.retry_time = qmgr_conf_time("transport_retry_time", 60);
	qmgr.ipc_timeout = qmgr_conf_time("qmgr_ipc_timeout", 60);
	qmgr.delivery_timeout = qmgr_conf_time("daemon_timeout", 18000);
	qmgr.idle_time = qmgr_conf_time("smtp_connection_cache_time_limit", 2);
	if (qmgr.run_delay < 1)
		qmgr.run_delay = 1;
	if (qmgr.min_backoff < 1)
		qmgr.min_backoff = 1;
	if (qmgr.max_backoff < qmgr.min_backoff)
		qmgr.max_backoff = qmgr.min_backoff;
	if (qmgr.ipc_timeout < 1)
		qmgr.ipc_timeout = 1;
	if (qmgr.delivery_timeout < 10)
		qmgr.delivery_timeout = 10;
	qmgr.local_transport = qmgr_transport_name(conf_str("local_transport"));
	qmgr.msg_byid = htable_create(1024);
	qmgr.deferred = htable_create(1024);
	qmgr.hoststats = htable_create(64);
	qmgr.hosts = htable_create(64);
	qmgr.start_time = time(NULL);
	qmgr.next_route_id = 1;
	qmgr.owner_uid = getuid();
	qmgr.setgid_gid = (gid_t)-1;
	if ((gr = getgrnam(conf_str("setgid_group"))) != NULL)
		qmgr.setgid_gid = gr->gr_gid;
	qmgr_route_init();
}
