/*
 * NAME
 *	qmgr_scan - the deferred queue: scans and crash recovery
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_scan_init(void);
 *	void	qmgr_scan_start(void);
 *	void	qmgr_recover_active(void);
 *	void	qmgr_trigger_deferred(int flush);
 *	int	qmgr_scan_deferred(int flush, const char *domain);
 *	int	qmgr_recover_pending(void);
 * DESCRIPTION
 *	qmgr_recover_active() moves whatever a crash left in active/ back
 *	to incoming/ (start-up only), except files a delivery agent of the
 *	earlier qmgr still works on (qf_agent_busy()): those stay in
 *	active/ and are checked again every 200 ms, so that the results the
 *	agent records in them (deliver_record(3)) are seen and the
 *	recipients are not delivered twice. A request the earlier qmgr
 *	wrote just before it died may still wait for an agent that the
 *	master starts later, which finds no qmgr at its end of the
 *	connection once it holds the lock and does not deliver
 *	(deliver_serve_orphaned(3)); the file is this qmgr's then.
 *	qmgr_recover_pending() says whether files still wait to be
 *	recovered.
 *
 *	qmgr_scan_init() registers with the scheduler core
 *	(qmgr_core_on_room) to go on with a scan that stopped for lack of
 *	room. qmgr_scan_start() arms the first deferred scan and the
 *	periodic deferred queue run (queue_run_delay). incoming/ is
 *	qmgr_intake.c's.
 *
 *	qmgr_scan_deferred() takes in the deferred messages whose next
 *	attempt time has come (qmgr_deferred_next: never by reading the
 *	file), or all of them with flush, or with domain those with a
 *	pending recipient in that domain or its subdomains (ETRN, sendmail
 *	-qR; found through the per-domain index of qmgr_flush.c, without
 *	reading queue files). A scan that stops at the active limit keeps
 *	the rest of its list and goes on from there when a message leaves
 *	active/ (a flush goes on as a flush; it never meets again what it
 *	has already taken in and deferred). A new flush replaces such a
 *	list. It returns the number taken in. qmgr_trigger_deferred() runs
 *	it in the next round.
 * DIAGNOSTICS
 *	Warnings for directories that cannot be read.
 */
#include <errno.h>
#include <string.h>

#include "events.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"

/* scan_domain - take in the deferred mail of one domain (the flush index). */
static int
scan_domain(const char *domain)
{
	ARGV	*ids = qmgr_flush_take(domain);
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < ids->argc; i++) {
		if (!qmgr_core_room()) {
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
		if (!qmgr_core_room())
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
	if (qmgr.scan.rest != NULL)
		argv_free(qmgr.scan.rest);
	qmgr.scan.rest = NULL;
	qmgr.scan.rest_pos = 0;
	qmgr.scan.rest_flush = 0;
}

int
qmgr_scan_deferred(int flush, const char *domain)
{
	ARGV	*ids;
	size_t	 pos = 0;
	int	 n;

	if (domain != NULL)
		return scan_domain(domain);
	if (qmgr.scan.rest != NULL && !flush) {
		/* Go on where the last scan stopped, as what it was. */
		n = scan_list(qmgr.scan.rest, &qmgr.scan.rest_pos,
		    qmgr.scan.rest_flush);
		if (qmgr.scan.rest_pos < qmgr.scan.rest->argc)
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
		qmgr.scan.rest = ids;
		qmgr.scan.rest_pos = pos;
		qmgr.scan.rest_flush = flush;
	} else {
		argv_free(ids);
	}
	return n;
}

static void
scan_deferred_event(int event, void *ctx)
{
	int	 flush = qmgr.scan.flush;

	qmgr.scan.flush = 0;
	qmgr_scan_deferred(flush, NULL);
}

void
qmgr_trigger_deferred(int flush)
{
	qmgr.scan.flush |= flush;
	event_request_timer(scan_deferred_event, NULL, 0);
}

static void
scan_periodic(int event, void *ctx)
{
	qmgr_scan_deferred(0, NULL);
	event_request_timer(scan_periodic, NULL,
	    (long long)qmgr.run_delay * 1000);
}

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
	ARGV	*ids = qmgr.scan.recover_busy, *busy = argv_alloc(8);
	size_t	 i;
	int	 n = 0;

	qmgr.scan.recover_busy = NULL;
	for (i = 0; i < ids->argc; i++)
		n += recover_one(ids->argv[i], busy);
	argv_free(ids);
	if (n > 0) {
		msg_info("recovered %d message(s) from %s/", n, QF_ACTIVE);
		qmgr_trigger_incoming();
	}
	if (busy->argc > 0) {
		qmgr.scan.recover_busy = busy;
		event_request_timer(recover_busy_event, NULL, 200);
	} else {
		argv_free(busy);
	}
}

void
qmgr_recover_active(void)
{
	ARGV	*ids;

	if ((ids = qf_list(qmgr.queue_dir, QF_ACTIVE)) == NULL) {
		msg_warn("cannot list %s/%s: %m", qmgr.queue_dir, QF_ACTIVE);
		return;
	}
	if (ids->argc == 0) {
		argv_free(ids);
		return;
	}
	msg_info("%zu message(s) in %s/ from an earlier queue manager: "
	    "recovered when no delivery agent of it works on them",
	    ids->argc, QF_ACTIVE);
	qmgr.scan.recover_busy = ids;
	event_request_timer(recover_busy_event, NULL, 0);	/* first look */
}

int
qmgr_recover_pending(void)
{
	return qmgr.scan.recover_busy != NULL;
}

/* A message left memory: go on with a scan that stopped when full. */
static void
scan_room_back(void)
{
	if (qmgr.scan_deferred) {
		/*
		 * Where it stopped: a fresh flush would take in again what
		 * it has just deferred.
		 */
		qmgr.scan_deferred = 0;
		qmgr_trigger_deferred(0);
	}
}

void
qmgr_scan_init(void)
{
	qmgr_core_on_room(scan_room_back);
}

void
qmgr_scan_start(void)
{
	event_request_timer(scan_periodic, NULL, 0);
}
