/*
 * NAME
 *	qmgr_intake - the incoming queue in arrival order
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_intake_init(void);
 *	void	qmgr_intake_start(void);
 *	void	qmgr_intake_id(const char *id);
 *	void	qmgr_trigger_incoming(void);
 *	void	qmgr_intake_resume(void);
 *	int	qmgr_intake_pending(void);
 * DESCRIPTION
 *	The qmgr keeps an arrival queue (qmgr.arrival): the ids of messages
 *	in incoming/ that it knows of and has not taken in yet, oldest
 *	first. Messages are taken in from its head, as long as fewer than
 *	qmgr_message_active_limit are in memory and descriptors are not
 *	short, so that arrival order holds also under a backlog.
 *
 *	qmgr_intake_id() is an id-carrying trigger (mail_trigger_id(3):
 *	smtpd, pickup and local commit a message into incoming/ and name
 *	it): the id joins the tail of the arrival queue and is taken in in
 *	the next event loop round, without reading the directory. An id
 *	that is already in memory, or whose file has left incoming/, costs
 *	one hash lookup or one failed rename.
 *
 *	qmgr_trigger_incoming() is an anonymous trigger (an old caller, the
 *	master's wakeup timer, postern flush, a release from hold): it asks
 *	for a full scan of incoming/ in the next round, and many of them in
 *	one round cost one scan. The scan rebuilds the arrival queue from
 *	the directory in the order the files were committed (modification
 *	time, then inode number: message-ids are random, so their sorted
 *	order is not arrival order); ids named by later triggers follow.
 *	qmgr_intake_start() scans at start-up and arms the periodic
 *	safety-net scan (every queue_run_delay).
 *
 *	A trigger that is lost (the listen queue of public/qmgr full, qmgr
 *	not running, a fifo full) never loses mail: the file stays in
 *	incoming/ and the next full scan finds it. Such losses come in
 *	floods, when smtpd commits messages faster than the qmgr takes
 *	them in: so when the arrival queue has drained and messages were
 *	taken in by id since the last scan, one more scan follows
 *	QMGR_RECHECK_MS later (at most one a second while mail flows, none
 *	when idle), and a lost trigger delays its message by about a second
 *	rather than until the periodic scan. An id that overflows the
 *	arrival queue (QMGR_ARRIVAL_MAX ids at most, which bounds memory
 *	under a flood) is found the same way: the queue notes the overflow
 *	and scans again once it has drained. A drained queue that grew past
 *	QMGR_ARRIVAL_KEEP ids gives its memory back.
 *
 *	Intake takes at most QMGR_INTAKE_BATCH messages per event loop
 *	round and goes on in the next one: triggers and control requests
 *	waiting on public/qmgr are served in between, so that a long
 *	arrival queue (a scan after a flood) does not make their senders'
 *	listen queue overflow.
 *
 *	qmgr_intake_init() registers with the scheduler core
 *	(qmgr_core_on_room) to go on when room has come back (a message
 *	left memory, descriptors are free again). qmgr_intake_resume() goes
 *	on from the head of the arrival queue, or with the scan it owes.
 *	qmgr_intake_pending() tells whether intake has work left (a queue
 *	run ends only when it has none).
 * DIAGNOSTICS
 *	A warning when incoming/ cannot be read; the next scan tries again.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"

#define QMGR_ARRIVAL_KEEP	4096	/* ids kept allocated when drained */
#define QMGR_INTAKE_BATCH	256	/* messages taken in per round */
#define QMGR_RECHECK_MS		1000	/* a look for lost triggers */

typedef struct INTAKE_FILE {
	struct timespec mtime;
	struct timeval arrival;		/* ties of mtime only */
	ino_t	 ino;
	char	 id[QF_ID_LEN + 1];
} INTAKE_FILE;

/* Append id to the arrival queue; -1 when it is full (overflow noted). */
static int
arrival_push(const char *id)
{
	QMGR_ARRIVAL *aq = &qmgr.arrival;
	size_t	 i, newcap;
	char	(*ids)[QF_ID_LEN + 1];

	if (aq->count == aq->cap) {
		if (aq->cap >= QMGR_ARRIVAL_MAX) {
			aq->overflow = 1;
			return -1;
		}
		newcap = aq->cap ? aq->cap * 2 : 256;
		if (newcap > QMGR_ARRIVAL_MAX)
			newcap = QMGR_ARRIVAL_MAX;
		ids = mymalloc(newcap * sizeof(*ids));
		for (i = 0; i < aq->count; i++)
			memcpy(ids[i], aq->ids[(aq->head + i) % aq->cap],
			    sizeof(*ids));
		if (aq->ids)
			myfree(aq->ids);
		aq->ids = ids;
		aq->cap = newcap;
		aq->head = 0;
	}
	memcpy(aq->ids[(aq->head + aq->count) % aq->cap], id, QF_ID_LEN + 1);
	aq->count++;
	return 0;
}

static int
intake_file_cmp(const void *a, const void *b)
{
	const INTAKE_FILE *fa = a, *fb = b;

	if (fa->mtime.tv_sec != fb->mtime.tv_sec)
		return fa->mtime.tv_sec < fb->mtime.tv_sec ? -1 : 1;
	if (fa->mtime.tv_nsec != fb->mtime.tv_nsec)
		return fa->mtime.tv_nsec < fb->mtime.tv_nsec ? -1 : 1;
	if (fa->arrival.tv_sec != fb->arrival.tv_sec)
		return fa->arrival.tv_sec < fb->arrival.tv_sec ? -1 : 1;
	if (fa->arrival.tv_usec != fb->arrival.tv_usec)
		return fa->arrival.tv_usec < fb->arrival.tv_usec ? -1 : 1;
	if (fa->ino != fb->ino)
		return fa->ino < fb->ino ? -1 : 1;
	return strcmp(fa->id, fb->id);
}

/*
 * intake_ties - the file system's time stamps are coarse (a few ms on
 * Linux): files committed within one tick are ordered by the arrival
 * time in their headers (microseconds), read for those files only.
 */
static void
intake_ties(int dir_fd, INTAKE_FILE *files, size_t n)
{
	size_t	 i, j, k;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && files[j].mtime.tv_sec == files[i].mtime.tv_sec
		    && files[j].mtime.tv_nsec == files[i].mtime.tv_nsec; j++)
			;
		if (j - i < 2)
			continue;
		for (k = i; k < j; k++)
			if (qf_arrival_at(dir_fd, files[k].id, &files[k].arrival) < 0)
				files[k].arrival.tv_sec = files[k].arrival.tv_usec = 0;
		qsort(files + i, j - i, sizeof(*files), intake_file_cmp);
	}
}

/*
 * intake_scan - rebuild the arrival queue from incoming/, oldest first.
 * One fstatat() per file (and a header read for files of one time-stamp
 * tick): scans are rare (start-up, safety net, anonymous triggers), the
 * per-message path never scans.
 */
static void
intake_scan(void)
{
	QMGR_ARRIVAL *aq = &qmgr.arrival;
	INTAKE_FILE *files = NULL;
	size_t	 n = 0, cap = 0, i;
	VSTRING	*path = vstring_alloc(128);
	struct dirent *de;
	struct stat st;
	DIR	*dp;

	vstring_sprintf(path, "%s/%s", qmgr.queue_dir, QF_INCOMING);
	if ((dp = opendir(vstring_str(path))) == NULL) {
		msg_warn("cannot list %s: %m", vstring_str(path));
		vstring_free(path);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (!qf_valid_id(de->d_name) || fstatat(dirfd(dp), de->d_name,
		    &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			files = myrealloc(files, cap * sizeof(*files));
		}
		files[n].mtime = st.st_mtim;
		files[n].arrival.tv_sec = files[n].arrival.tv_usec = 0;
		files[n].ino = st.st_ino;
		memcpy(files[n].id, de->d_name, QF_ID_LEN + 1);
		n++;
	}
	if (n > 0) {
		qsort(files, n, sizeof(*files), intake_file_cmp);
		intake_ties(dirfd(dp), files, n);
	}
	(void)closedir(dp);
	vstring_free(path);
	aq->head = aq->count = 0;
	aq->overflow = 0;
	for (i = 0; i < n && arrival_push(files[i].id) == 0; i++)
		;
	if (files)
		myfree(files);
}

static void intake_event(int, void *);

static void
intake_arm(void)
{
	if (!qmgr.arrival.armed) {
		qmgr.arrival.armed = 1;
		event_request_timer(intake_event, NULL, 0);
	}
}

/* intake_recheck - scan for the files of triggers that were lost. */
static void
intake_recheck(int event, void *ctx)
{
	qmgr.arrival.recheck = 0;
	qmgr_trigger_incoming();
}

/* intake_event - take messages in from the head of the arrival queue. */
static void
intake_event(int event, void *ctx)
{
	QMGR_ARRIVAL *aq = &qmgr.arrival;
	char	 id[QF_ID_LEN + 1];
	int	 n;

	aq->armed = 0;
	if (!qmgr_core_room()) {
		qmgr.scan_incoming = 1;
		return;
	}
	if (aq->rescan) {
		aq->rescan = 0;
		aq->taken = 0;
		intake_scan();
	}
	for (n = 0; aq->count > 0; n++) {
		if (!qmgr_core_room()) {
			qmgr.scan_incoming = 1;
			return;
		}
		if (n >= QMGR_INTAKE_BATCH) {
			intake_arm();	/* the rest in the next round */
			return;
		}
		memcpy(id, aq->ids[aq->head], sizeof(id));
		aq->head = (aq->head + 1) % aq->cap;
		aq->count--;
		if (qmgr_message_load(QF_INCOMING, id, 0) < 0 && qmgr.fd_short)
			aq->rescan = 1;	/* it went back to incoming/ */
	}
	if (aq->cap > QMGR_ARRIVAL_KEEP) {
		/* A burst is over: give its memory back. */
		myfree(aq->ids);
		aq->ids = NULL;
		aq->cap = aq->head = 0;
	}
	if (aq->overflow) {
		/* What did not fit is in incoming/ only: look again. */
		aq->rescan = 1;
		intake_arm();
	} else if (aq->taken > 0 && !aq->recheck) {
		/* Triggers may have been lost meanwhile: look once more. */
		aq->recheck = 1;
		event_request_timer(intake_recheck, NULL, QMGR_RECHECK_MS);
	}
}

static void
intake_room_back(void)
{
	if (qmgr.scan_incoming)
		qmgr_intake_resume();
}

void
qmgr_intake_init(void)
{
	qmgr_core_on_room(intake_room_back);
}

void
qmgr_intake_resume(void)
{
	qmgr.scan_incoming = 0;
	if (qmgr.arrival.count > 0 || qmgr.arrival.rescan)
		intake_arm();
}

void
qmgr_intake_id(const char *id)
{
	QMGR_ARRIVAL *aq = &qmgr.arrival;

	if (id == NULL || !qf_valid_id(id)) {
		qmgr_trigger_incoming();
		return;
	}
	/* A scan is owed (it will find the file), or no room: nothing to add. */
	if (aq->rescan || aq->overflow)
		return;
	if (arrival_push(id) < 0)
		return;
	aq->taken++;
	if (qmgr_core_room())
		intake_arm();
	else
		qmgr.scan_incoming = 1;
}

void
qmgr_trigger_incoming(void)
{
	qmgr.arrival.rescan = 1;
	if (qmgr_core_room())
		intake_arm();
	else
		qmgr.scan_incoming = 1;
}

static void
intake_periodic(int event, void *ctx)
{
	qmgr_trigger_incoming();
	event_request_timer(intake_periodic, NULL,
	    (long long)qmgr.run_delay * 1000);
}

void
qmgr_intake_start(void)
{
	qmgr_trigger_incoming();
	event_request_timer(intake_periodic, NULL,
	    (long long)qmgr.run_delay * 1000);
}

int
qmgr_intake_pending(void)
{
	const QMGR_ARRIVAL *aq = &qmgr.arrival;

	return aq->count > 0 || aq->rescan || aq->armed || qmgr.scan_incoming;
}
