/*
 * NAME
 *	master_reload - start, stop and reload services
 * SYNOPSIS
 *	#include "master.h"
 *
 *	void	master_start_services(MASTER_SERV *list, int startup);
 *	void	master_stop_service(MASTER_SERV *serv);
 *	void	master_reload(void);
 * DESCRIPTION
 *	master_start_services() opens the listeners that are not open yet,
 *	starts the wakeup timers and lets clients in. At start-up a
 *	listener that cannot be opened is fatal (so that "postern start"
 *	reports it), after up to MASTER_BIND_WAIT seconds of retries when
 *	the address is in use (the children of a crashed master may hold
 *	it for a moment); at reload it is logged and that service is left
 *	without a listener.
 *
 *	master_stop_service() stops a service: no more wakeups, its
 *	processes are retired (they finish what they are doing), its
 *	listener is closed.
 *
 *	master_reload() re-reads main.cf and master.cf. A listener whose
 *	address (or path) is still configured stays open, so clients are
 *	never refused during a reload; all others are closed, and new ones
 *	opened. Every process of the old configuration is retired: idle ones
 *	leave at once, busy ones when their client is done (an SMTP session
 *	in progress is not cut). New processes start on demand with the new
 *	configuration; until they are gone, retired processes count against
 *	the maxproc of the service that took over their listener (so a
 *	qmgr never runs twice).
 * DIAGNOSTICS
 *	An unusable master.cf at reload is logged and the old configuration
 *	kept. main.cf syntax errors are fatal (as everywhere); "postern
 *	reload" checks main.cf before it signals the master.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "mail_conf.h"
#include "master.h"
#include "msg.h"
#include "mymalloc.h"

/*
 * master_start_listen - open a listener; at start-up, wait a moment for an
 * address that the children of a crashed master still hold.
 */
static int
master_start_listen(MASTER_SERV **servp, int startup, VSTRING *why)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	time_t	 deadline = time(NULL) + MASTER_BIND_WAIT;
	int	 told = 0;

	while (master_listen_open(servp, why) < 0) {
		if (!startup || errno != EADDRINUSE || time(NULL) >= deadline)
			return -1;
		if (!told++)
			msg_info("%s service %s: %s: waiting up to %d seconds for "
			    "the processes of an earlier run to leave",
			    (*servp)->type_name, (*servp)->name, vstring_str(why),
			    MASTER_BIND_WAIT);
		(void)nanosleep(&ts, NULL);
	}
	return 0;
}

void
master_start_services(MASTER_SERV *list, int startup)
{
	MASTER_SERV *serv;
	VSTRING	*why = vstring_alloc(100);

	for (serv = list; serv; serv = serv->next) {
		if (serv->listen_fd >= 0)
			continue;
		if (master_start_listen(&serv, startup, why) < 0) {
			if (startup)
				msg_fatal("%s service %s: %s", serv->type_name,
				    serv->name, vstring_str(why));
			msg_error("%s service %s: %s", serv->type_name,
			    serv->name, vstring_str(why));
		}
	}
	for (serv = list; serv; serv = serv->next) {
		if (serv->listen_fd < 0)
			continue;
		master_wakeup_start(serv);
		master_spawn_check(serv);
	}
	vstring_free(why);
}

void
master_stop_service(MASTER_SERV *serv)
{
	master_wakeup_stop(serv);
	master_spawn_retire(serv, NULL);
	master_listen_close(serv);
}

/*
 * master_reload_take - give serv the listeners of the old services bound
 * to the same spec: the first to serv itself, further ones to clones.
 */
static void
master_reload_take(MASTER_SERV *serv, MASTER_SERV *old)
{
	MASTER_SERV *o, *tail = serv, *copy;
	int	 taken = 0;

	for (o = old; o; o = o->next) {
		if (o->listen_fd < 0 || strcmp(o->spec, serv->spec) != 0)
			continue;
		if (o->watching) {
			event_disable_readwrite(o->listen_fd);
			o->watching = 0;
		}
		if (taken++ == 0) {
			serv->listen_fd = o->listen_fd;
		} else {
			copy = master_listen_clone(serv, taken - 1);
			copy->listen_fd = o->listen_fd;
			copy->next = tail->next;
			tail->next = copy;
			tail = copy;
		}
		o->listen_fd = -1;	/* now owned by the new service */
	}
}

/* master_reload_successor - the new service on the same listener, if any. */
static MASTER_SERV *
master_reload_successor(MASTER_SERV *new, const MASTER_SERV *old)
{
	MASTER_SERV *serv;

	for (serv = new; serv; serv = serv->next)
		if (strcmp(serv->spec, old->spec) == 0 &&
		    serv->spec_index == old->spec_index)
			return serv;
	return NULL;
}

void
master_reload(void)
{
	MASTER_SERV *new, *old = master_services, *serv, *next;
	VSTRING	*why = vstring_alloc(100);

	mail_conf_read(master_config_dir);
	master_reopen_log();
	msg_info("reload -- version %s, configuration %s",
	    conf_str("mail_version"), master_config_dir);
	(void)conf_compat_warn();
	if ((new = master_conf_load(why)) == NULL && vstring_len(why)) {
		msg_error("reload: %s; keeping the old services", vstring_str(why));
		vstring_free(why);
		return;
	}
	for (serv = new; serv; serv = next) {
		next = serv->next;
		master_reload_take(serv, old);
	}
	for (serv = old; serv; serv = next) {
		next = serv->next;
		master_wakeup_stop(serv);
		master_spawn_retire(serv, master_reload_successor(new, serv));
		master_listen_close(serv);
		master_serv_free(serv);
	}
	master_services = new;
	master_start_services(new, 0);
	vstring_free(why);
}
