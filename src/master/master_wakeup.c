/*
 * NAME
 *	master_wakeup - the wakeup column of master.cf
 * SYNOPSIS
 *	#include "master.h"
 *
 *	void	master_wakeup_start(MASTER_SERV *serv);
 *	void	master_wakeup_stop(MASTER_SERV *serv);
 *	void	master_wakeup_now(MASTER_SERV *serv);
 * DESCRIPTION
 *	A service with a wakeup time gets a trigger request
 *	("request=trigger", see mail_trigger(3)) on its own socket or fifo
 *	every that many seconds, so that a lost trigger only delays work.
 *	The first one is sent at once, so that services such as qmgr and
 *	pickup start with the master and recover what a crash left behind.
 *	A wakeup time ending in '?' sends triggers only while the service
 *	has processes (it is in use). Wakeups apply to unix and fifo
 *	services; an inet service with a wakeup time gets a warning.
 *
 *	master_wakeup_stop() cancels the timer (reload, removal, stop).
 *
 *	master_wakeup_now() sends the next wakeup at once (and restarts
 *	the period): the master calls it when a process of the service
 *	died, so that a killed qmgr or pickup is back at once rather than
 *	at its next wakeup.
 * DIAGNOSTICS
 *	A trigger that cannot be delivered is logged with -v only.
 */
#include "events.h"
#include "mail_trigger.h"
#include "master.h"
#include "msg.h"

static void
master_wakeup_event(int event, void *ctx)
{
	MASTER_SERV *serv = ctx;

	(void)event;
	if (serv->listen_fd >= 0 && !master_stopping &&
	    (!serv->wakeup_if_used || serv->total > 0)) {
		if (msg_verbose)
			msg_info("wakeup %s", serv->path);
		if (mail_trigger(serv->path) < 0 && msg_verbose)
			msg_info("wakeup %s: not delivered", serv->path);
	}
	event_request_timer(master_wakeup_event, serv, serv->wakeup * 1000LL);
}

void
master_wakeup_start(MASTER_SERV *serv)
{
	if (serv->wakeup <= 0)
		return;
	if (serv->type == MASTER_TYPE_INET) {
		msg_warn("%s: wakeup is supported for unix and fifo services only",
		    serv->name);
		return;
	}
	event_request_timer(master_wakeup_event, serv,
	    serv->wakeup_if_used ? serv->wakeup * 1000LL : 0);
}

void
master_wakeup_stop(MASTER_SERV *serv)
{
	(void)event_cancel_timer(master_wakeup_event, serv);
}

void
master_wakeup_now(MASTER_SERV *serv)
{
	if (serv->wakeup <= 0 || serv->type == MASTER_TYPE_INET)
		return;
	(void)event_cancel_timer(master_wakeup_event, serv);
	event_request_timer(master_wakeup_event, serv, 0);
}
