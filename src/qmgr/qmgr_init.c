/*
 * NAME
 *	qmgr_init - the queue manager's context and configuration
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	QMGR	qmgr;
 *
 *	void	qmgr_init(void);
 *	void	qmgr_lock(int wait);
 *	void	qmgr_fd_budget(void);
 *	long long qmgr_conf_int(const char *name, long long def);
 *	const char *qmgr_conf_str(const char *name, const char *def);
 * DESCRIPTION
 *	qmgr is the program's one context: configuration read at start-up
 *	and the scheduler's state. qmgr_init() fills in the configuration
 *	from main.cf (after mail_conf_read()) and empty state.
 *
 *	qmgr_lock() takes the queue's lock (qenv_lock(), qenv(3): $queue_
 *	directory/pid/qmgr.lock), held until the process ends, so that a
 *	one-shot queue run (qmgr -1), a resident qmgr and smtpctl offline
 *	never work on one queue at once. When another process holds it,
 *	qmgr_lock() waits up to wait seconds: after a crash of the master,
 *	the qmgr of the earlier run leaves within a second of noticing
 *	(mail_server.c), and the new one waits for it rather than failing
 *	(and being throttled).
 *
 *	qmgr_fd_budget() raises the soft descriptor limit to the hard one
 *	and sets qmgr.conn_limit, the transport connections the qmgr may
 *	hold at once: the limit, less the descriptors already open, less
 *	QMGR_FD_RESERVE for what the qmgr opens for a moment (a queue file
 *	while it is loaded, a log record, a bounce request, control
 *	clients). Messages in memory hold no descriptor (qf_release), so
 *	neither a large backlog nor qmgr_message_active_limit can starve
 *	the connections to the delivery agents.
 *
 *	qmgr_conf_int() and qmgr_conf_str() read any parameter by name,
 *	including per-transport ones ("relay_destination_recipient_limit")
 *	that conf_lookup() resolves; def when the name is unknown or the
 *	value is not a number.
 * DIAGNOSTICS
 *	qmgr_lock() is fatal when another qmgr still holds the lock after
 *	wait seconds, or the lock file cannot be made. An unknown
 *	setgid_group is no error (mutating control requests then need root
 *	or mail_owner).
 */
#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "qenv.h"
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
qmgr_lock(int wait)
{
	VSTRING	*why = vstring_alloc(128);

	if ((qmgr.lock_fd = qenv_lock(qmgr.queue_dir, wait, why)) < 0) {
		if (errno == EAGAIN)
			msg_fatal("another qmgr works on %s (%s)", qmgr.queue_dir,
			    vstring_str(why));
		msg_fatal("%s", vstring_str(why));
	}
	vstring_free(why);
}

void
qmgr_fd_budget(void)
{
	struct rlimit rl;
	int	 fd, open_now = 0, limit;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		msg_warn("getrlimit: %m");
		rl.rlim_cur = rl.rlim_max = 1024;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	limit = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
	for (fd = 0; fd < limit && fd < 256; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			open_now++;
	qmgr.conn_limit = limit - open_now - QMGR_FD_RESERVE;
	if (qmgr.conn_limit < 2) {
		msg_warn("descriptor limit %d leaves no room for delivery agent "
		    "connections; using 2 (raise the limit)", limit);
		qmgr.conn_limit = 2;
	}
	if (msg_verbose)
		msg_info("descriptor limit %d: at most %d transport connections",
		    limit, qmgr.conn_limit);
}

/* qmgr_service_name - a master.cf service name: private/<name> */
static char *
qmgr_service_name(const char *param)
{
	const char *name = conf_str(param);

	if (*name == 0 || strchr(name, '/') != NULL || strcmp(name, ".") == 0
	    || strcmp(name, "..") == 0)
		msg_fatal("parameter %s: \"%s\" is not a master.cf service "
		    "name", param, name);
	return mystrdup(name);
}

void
qmgr_init(void)
{
	struct group *gr;

	qmgr.queue_dir = mystrdup(conf_str("queue_directory"));
	qmgr.myhostname = mystrdup(conf_str("myhostname"));
	qmgr.active_limit = (int)qmgr_conf_int("qmgr_message_active_limit",
	    20000);
	qmgr.rcpt_limit = qmgr_conf_int("qmgr_message_recipient_limit",
	    20000);
	qmgr.run_delay = qmgr_conf_time("queue_run_delay", 300);
	qmgr.min_backoff = qmgr_conf_time("minimal_backoff_time", 300);
	qmgr.max_backoff = qmgr_conf_time("maximal_backoff_time", 4000);
	qmgr.max_lifetime = qmgr_conf_time("maximal_queue_lifetime", 5 * 86400);
	qmgr.bounce_lifetime = qmgr_conf_time("bounce_queue_lifetime",
	    5 * 86400);
	qmgr.delay_warning = qmgr_conf_time("delay_warning_time", 0);
	qmgr.confirm_delay_cleared = conf_bool("confirm_delay_cleared");
	qmgr.clog_warn_time = qmgr_conf_time("qmgr_clog_warn_time", 300);
	qmgr.daemon_timeout = qmgr_conf_time("qmgr_daemon_timeout", 1000);
	qmgr.bounce_service = qmgr_service_name("bounce_service_name");
	qmgr.defer_service = qmgr_service_name("defer_service_name");
	qmgr.trace_service = qmgr_service_name("trace_service_name");
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
	qmgr.lock_fd = -1;
	if ((gr = getgrnam(conf_str("setgid_group"))) != NULL)
		qmgr.setgid_gid = gr->gr_gid;
	qmgr_route_init();
	qmgr_fd_budget();
}
