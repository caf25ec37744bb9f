/*
 * NAME
 *	qmgr_scan - queue directory scans, triggers and timers
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_scan_start(void);
 *	void	qmgr_recover_active(void);
 *	void	qmgr_trigger_deferred(int flush);
 *	int	qmgr_scan_deferred(int flush, const char *domain);
 *	void	qmgr_schedule(void);
 *	int	qmgr_deferred_next(const char *id, time_t *next);
 *	void	qmgr_deferred_forget(const char *id);
 *	void	qmgr_fd_short(void);
 * DESCRIPTION
 *	qmgr_recover_active() moves whatever a crash left in active/ back
 *	to incoming/ (start-up only), except files a delivery agent of the
 *	earlier qmgr still works on (qf_agent_busy()): those stay in
 *	active/ and are checked again every 200 ms, so that the results the
 *	agent records in them (deliver_record(3)) are seen and the
 *	recipients are not delivered twice. qmgr_scan_start() arms the first
 *	deferred scan and the periodic deferred queue run (queue_run_delay).
 *	incoming/ is qmgr_intake.c's.
 *
 *	qmgr_scan_deferred() takes in the deferred messages whose next
 *	attempt time has come, or all of them with flush, or with domain
 *	those with a pending recipient in that domain or its subdomains
 *	(ETRN, sendmail -qR; found through the per-domain index of
 *	qmgr_flush.c, without reading queue files). A scan that stops at
 *	the active limit keeps the rest of its list and goes on from there
 *	when a message leaves active/ (a flush goes on as a flush; it never
 *	meets again what it has already taken in and deferred). A new
 *	flush replaces such a list. The next attempt time of a
 *	message the qmgr
 *	deferred itself is remembered in memory; others (after a restart)
 *	are read from the file's modification time with one stat(), never
 *	by reading the file. It returns the number taken in.
 *	qmgr_trigger_deferred() runs it in the next round.
 *
 *	qmgr_schedule() asks for a scheduler run in the next round.
 *
 *	qmgr_fd_short() is called when the qmgr ran out of descriptors:
 *	scans stop taking messages in, and both queues are taken from again
 *	a second later (what was not taken in stays where it was: nothing
 *	is deferred for a local reason).
 * DIAGNOSTICS
 *	Warnings for directories that cannot be read.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "events.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"

static int scan_flush;

/* The rest of a deferred queue scan that stopped at the active limit. */
static ARGV *scan_rest;
static size_t scan_rest_pos;
static int scan_rest_flush;

/* Can more messages come in now? */
static int
scan_room(void)
{
	return qmgr.nmessages < qmgr.active_limit && !qmgr.fd_short;
}

static void
fd_short_over(int event, void *ctx)
{
	qmgr.fd_short = 0;
	qmgr_intake_resume();
	qmgr_trigger_deferred(0);
}

void
qmgr_fd_short(void)
{
	if (qmgr.fd_short)
		return;
	qmgr.fd_short = 1;
	msg_warn("out of file descriptors: taking no more messages in for "
	    "now (%d in memory, %d transport connections)", qmgr.nmessages,
	    qmgr.nconn);
	event_request_timer(fd_short_over, NULL, 1000);
}

static void
sched_event(int event, void *ctx)
{
	qmgr_sched_run();
}

void
qmgr_schedule(void)
{
	event_request_timer(sched_event, NULL, 0);
}

int
qmgr_deferred_next(const char *id, time_t *next)
{
	HTABLE_INFO *ht;
	VSTRING	*path;
	struct stat st;
	int	 rc = 0;

	if ((ht = htable_locate(qmgr.deferred, id)) != NULL) {
		*next = (time_t)(intptr_t)ht->value;
		return 0;
	}
	path = vstring_alloc(128);
	vstring_sprintf(path, "%s/%s/%s", qmgr.queue_dir, QF_DEFERRED, id);
	if (stat(vstring_str(path), &st) < 0)
		rc = -1;
	else
		htable_enter(qmgr.deferred, id, (void *)(intptr_t)
		    (*next = st.st_mtime));
	vstring_free(path);
	return rc;
}

void
qmgr_deferred_forget(const char *id)
{
	htable_delete(qmgr.deferred, id, NULL);
	qmgr_flush_forget(id);
}

/* scan_domain - take in the deferred mail of one domain (the flush index). */
static int
scan_domain(const char *domain)
{
	ARGV	*ids = qmgr_flush_take(domain);
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < ids->argc; i++) {
		if (!scan_room()) {
			/* The rest stay deferred; rebuild the index next time. */
			qmgr_flush_lost();
			break;
		}
		if (qmgr_message_load(QF_DEFERRED, ids->argv[i], 1) > 0)
			n++;
	}
	argv_free(ids);
	return n;
}

/* scan_list - take in from ids, from *pos on; stop when full. */
static int
scan_list(ARGV *ids, size_t *pos, int flush)
{
	time_t	 next;
	int	 n = 0;

	for (; *pos < ids->argc; (*pos)++) {
		if (!scan_room())
			break;
		if (!flush && (qmgr_deferred_next(ids->argv[*pos], &next) < 0
		    || next > event_time()))
			continue;
		if (qmgr_message_load(QF_DEFERRED, ids->argv[*pos], flush) > 0)
			n++;
	}
	return n;
}

static void
scan_rest_free(void)
{
	if (scan_rest != NULL)
		argv_free(scan_rest);
	scan_rest = NULL;
	scan_rest_pos = 0;
	scan_rest_flush = 0;
}

int
qmgr_scan_deferred(int flush, const char *domain)
{
	ARGV	*ids;
	size_t	 pos = 0;
	int	 n;

	if (domain != NULL)
		return scan_domain(domain);
	if (scan_rest != NULL && !flush) {
		/* Go on where the last scan stopped, as what it was. */
		n = scan_list(scan_rest, &scan_rest_pos, scan_rest_flush);
		if (scan_rest_pos < scan_rest->argc)
			qmgr.scan_deferred = 1;
		else
			scan_rest_free();
		return n;
	}
	scan_rest_free();
	if ((ids = qf_list(qmgr.queue_dir, QF_DEFERRED)) == NULL) {
		msg_warn("cannot list %s/%s: %m", qmgr.queue_dir, QF_DEFERRED);
		return 0;
	}
	n = scan_list(ids, &pos, flush);
	if (pos < ids->argc) {
		/* Continue when a message leaves (qmgr_finish.c). */
		qmgr.scan_deferred = 1;
		scan_rest = ids;
		scan_rest_pos = pos;
		scan_rest_flush = flush;
	} else {
		argv_free(ids);
	}
	return n;
}

static void
scan_deferred_event(int event, void *ctx)
{
	int	 flush = scan_flush;

	scan_flush = 0;
	qmgr_scan_deferred(flush, NULL);
}

void
qmgr_trigger_deferred(int flush)
{
	scan_flush |= flush;
	event_request_timer(scan_deferred_event, NULL, 0);
}

static void
scan_periodic(int event, void *ctx)
{
	qmgr_scan_deferred(0, NULL);
	event_request_timer(scan_periodic, NULL,
	    (long long)qmgr.run_delay * 1000);
}

/* Files in active/ that a delivery agent of the earlier qmgr still holds. */
static ARGV *recover_busy;

/* recover_one - back to incoming/, unless an agent still works on it. */
static int
recover_one(const char *id, ARGV *busy)
{
	if (qf_agent_busy(qmgr.queue_dir, QF_ACTIVE, id) > 0) {
		argv_add(busy, id);
		return 0;
	}
	if (qf_move(qmgr.queue_dir, QF_ACTIVE, QF_INCOMING, id) < 0) {
		if (errno != ENOENT)
			msg_warn("%s: cannot move from %s/ to %s/: %m", id,
			    QF_ACTIVE, QF_INCOMING);
		return 0;
	}
	return 1;
}

static void
recover_busy_event(int event, void *ctx)
{
	ARGV	*ids = recover_busy, *busy = argv_alloc(8);
	size_t	 i;
	int	 n = 0;

	recover_busy = NULL;
	for (i = 0; i < ids->argc; i++)
		n += recover_one(ids->argv[i], busy);
	argv_free(ids);
	if (n > 0) {
		msg_info("recovered %d message(s) from %s/ after their delivery "
		    "agents finished", n, QF_ACTIVE);
		qmgr_trigger_incoming();
	}
	if (busy->argc > 0) {
		recover_busy = busy;
		event_request_timer(recover_busy_event, NULL, 200);
	} else {
		argv_free(busy);
	}
}

void
qmgr_recover_active(void)
{
	ARGV	*ids, *busy = argv_alloc(8);
	size_t	 i;
	int	 n = 0;

	if ((ids = qf_list(qmgr.queue_dir, QF_ACTIVE)) == NULL) {
		msg_warn("cannot list %s/%s: %m", qmgr.queue_dir, QF_ACTIVE);
		argv_free(busy);
		return;
	}
	for (i = 0; i < ids->argc; i++)
		n += recover_one(ids->argv[i], busy);
	if (n > 0)
		msg_info("recovered %d message(s) from %s/", n, QF_ACTIVE);
	if (busy->argc > 0) {
		msg_info("%zu message(s) in %s/ wait for a delivery agent of the "
		    "earlier queue manager to finish", busy->argc, QF_ACTIVE);
		recover_busy = busy;
		event_request_timer(recover_busy_event, NULL, 200);
	} else {
		argv_free(busy);
	}
	argv_free(ids);
}

void
qmgr_scan_start(void)
{
	event_request_timer(scan_periodic, NULL, 0);
}
