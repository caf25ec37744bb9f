/*
 * NAME
 *	events - the event loop of long-running daemons
 * SYNOPSIS
 *	#include <events.h>
 *
 *	void	 event_enable_read(int fd, EVENT_FN cb, void *ctx);
 *	void	 event_enable_write(int fd, EVENT_FN cb, void *ctx);
 *	void	 event_disable_read(int fd);
 *	void	 event_disable_write(int fd);
 *	void	 event_disable_readwrite(int fd);
 *	void	 event_request_timer(EVENT_FN cb, void *ctx, long long delay_ms);
 *	int	 event_cancel_timer(EVENT_FN cb, void *ctx);
 *	int	 event_loop(int max_wait_ms);
 *	time_t	 event_time(void);
 *	long long event_time_ms(void);
 *	void	 event_fork(void);
 * DESCRIPTION
 *	One event loop per process, on Linux epoll, for the master and
 *	qmgr: descriptors that become readable or writable, and one-shot
 *	timers. Callbacks are void cb(int event, void *ctx), with event
 *	EVENT_READ, EVENT_WRITE, EVENT_XCPT (error or hang-up; given to the
 *	read callback if there is one) or EVENT_TIME.
 *
 *	event_enable_read() and event_enable_write() register (or replace)
 *	the callback for one direction of fd; event_disable_*() remove it
 *	(event_disable_readwrite() with one epoll_ctl() call).
 *	Disable an fd before closing it. A descriptor that epoll cannot
 *	watch (a regular file) is a caller bug.
 *
 *	event_request_timer() arranges one call cb(EVENT_TIME, ctx) after
 *	delay_ms on the monotonic clock; the same cb+ctx requested again
 *	moves the deadline (it never makes two timers).
 *	event_cancel_timer() removes it and says whether it was pending.
 *
 *	event_loop() runs one round: it sleeps until an fd is ready, the
 *	first timer is due, or max_wait_ms passed (< 0: no limit but the
 *	timers), then calls the due timers (earliest first, equal deadlines
 *	in request order) and then the fd callbacks. A timer requested during
 *	the round runs in a later round, even with delay 0, so a callback
 *	that re-arms itself cannot starve the rest. Callbacks may enable,
 *	disable and close any descriptor and request or cancel any timer:
 *	a pending event for an fd that was disabled earlier in the round is
 *	dropped, also when the fd number was reused meanwhile (each
 *	registration carries a generation number). The return value is the
 *	number of callbacks run (0 after a time-out or a signal).
 *
 *	event_time() is the wall clock in seconds and event_time_ms() the
 *	monotonic clock in milliseconds, as read when the current round
 *	woke up: cheap, and the same for all callbacks of a round.
 *
 *	event_fork() is for a child that goes on without exec: it closes the
 *	inherited epoll descriptor (shared with the parent, it would steal
 *	the parent's events) and forgets every registration and timer.
 *
 *	Costs: enabling or disabling is O(1) plus one epoll_ctl() call (none
 *	when nothing changes); timer request and cancel are O(log n) (a heap
 *	and a hash on cb+ctx); one epoll_wait() per round, up to 256 ready
 *	descriptors at a time (more wait for the next round). The fd table
 *	grows to the highest fd seen. Known shortcut: all state is
 *	process-global, as the loop is; it is not thread-safe.
 * DIAGNOSTICS
 *	Panic: a negative or unwatchable fd. Fatal: epoll cannot be created
 *	or fails unexpectedly.
 */
#include <sys/epoll.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "iostuff.h"
#include "msg.h"
#include "mymalloc.h"

#define EVENT_MAX_READY	256

typedef struct EVENT_FD {
	EVENT_FN rcb, wcb;
	void	*rctx, *wctx;
	uint32_t mask;			/* epoll events registered */
	uint32_t gen;			/* bumped when fully disabled */
} EVENT_FD;

typedef struct EVENT_TIMER {
	EVENT_FN cb;
	void	*ctx;
	long long when;			/* monotonic ms */
	unsigned long long seq;		/* request order */
	size_t	 heap_idx;
	struct EVENT_TIMER *hnext;	/* hash chain */
} EVENT_TIMER;

static struct {
	int	 epfd;
	EVENT_FD *fds;
	size_t	 nfds;
	EVENT_TIMER **heap;		/* min-heap on (when, seq) */
	size_t	 heap_len, heap_size;
	EVENT_TIMER **hash;
	size_t	 hash_size;
	unsigned long long seq;
	time_t	 now;
	long long now_ms;
} ev = { .epfd = -1 };

static void
event_update_time(void)
{
	ev.now = time(NULL);
	ev.now_ms = monotonic_ms();
}

time_t
event_time(void)
{
	if (ev.now == 0)
		event_update_time();
	return ev.now;
}

long long
event_time_ms(void)
{
	if (ev.now == 0)
		event_update_time();
	return ev.now_ms;
}

/* Descriptors. */

static EVENT_FD *
event_fd_slot(int fd)
{
	size_t	 n;

	if (fd < 0)
		msg_panic("event: bad file descriptor %d", fd);
	if (ev.epfd < 0 && (ev.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		msg_fatal("epoll_create1: %m");
	if ((size_t)fd >= ev.nfds) {
		n = ev.nfds ? ev.nfds : 64;
		while (n <= (size_t)fd)
			n *= 2;
		ev.fds = myrealloc(ev.fds, n * sizeof(*ev.fds));
		memset(ev.fds + ev.nfds, 0, (n - ev.nfds) * sizeof(*ev.fds));
		ev.nfds = n;
	}
	return ev.fds + fd;
}

/* Tell epoll about the new mask of fd. */
static void
event_fd_update(int fd, EVENT_FD *ep, uint32_t mask)
{
	struct epoll_event ee;
	int	 op;

	if (mask == ep->mask)
		return;
	if (mask == 0) {
		if (epoll_ctl(ev.epfd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != EBADF &&
		    errno != ENOENT)
			msg_fatal("epoll_ctl DEL fd %d: %m", fd);
		ep->mask = 0;
		ep->gen++;
		return;
	}
	memset(&ee, 0, sizeof(ee));
	ee.events = mask;
	ee.data.u64 = (uint64_t)ep->gen << 32 | (uint32_t)fd;
	op = ep->mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(ev.epfd, op, fd, &ee) < 0) {
		if (errno == EPERM)
			msg_panic("event: fd %d cannot be watched (regular file?)", fd);
		msg_fatal("epoll_ctl fd %d: %m", fd);
	}
	ep->mask = mask;
}

/* Set the callback of one direction (EPOLLIN or EPOLLOUT). */
static void
event_fd_enable(int fd, uint32_t dir, EVENT_FN cb, void *ctx)
{
	EVENT_FD *ep = event_fd_slot(fd);

	if (dir == EPOLLIN) {
		ep->rcb = cb;
		ep->rctx = ctx;
	} else {
		ep->wcb = cb;
		ep->wctx = ctx;
	}
	event_fd_update(fd, ep, ep->mask | dir);
}

void
event_enable_read(int fd, EVENT_FN cb, void *ctx)
{
	event_fd_enable(fd, EPOLLIN, cb, ctx);
}

void
event_enable_write(int fd, EVENT_FN cb, void *ctx)
{
	event_fd_enable(fd, EPOLLOUT, cb, ctx);
}

/* Forget the callbacks of the directions in dirs (EPOLLIN, EPOLLOUT). */
static void
event_fd_disable(int fd, uint32_t dirs)
{
	EVENT_FD *ep;

	if (fd < 0 || (size_t)fd >= ev.nfds)
		return;
	ep = ev.fds + fd;
	if (dirs & EPOLLIN) {
		ep->rcb = NULL;
		ep->rctx = NULL;
	}
	if (dirs & EPOLLOUT) {
		ep->wcb = NULL;
		ep->wctx = NULL;
	}
	event_fd_update(fd, ep, ep->mask & ~dirs);
}

void
event_disable_read(int fd)
{
	event_fd_disable(fd, EPOLLIN);
}

void
event_disable_write(int fd)
{
	event_fd_disable(fd, EPOLLOUT);
}

void
event_disable_readwrite(int fd)
{
	event_fd_disable(fd, EPOLLIN | EPOLLOUT);
}

/* Timers: the heap. */

static int
event_timer_before(const EVENT_TIMER *a, const EVENT_TIMER *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void
event_heap_set(size_t i, EVENT_TIMER *t)
{
	ev.heap[i] = t;
	t->heap_idx = i;
}

static void
event_heap_up(size_t i)
{
	EVENT_TIMER *t = ev.heap[i];

	while (i > 0 && event_timer_before(t, ev.heap[(i - 1) / 2])) {
		event_heap_set(i, ev.heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	event_heap_set(i, t);
}

static void
event_heap_down(size_t i)
{
	EVENT_TIMER *t = ev.heap[i];
	size_t	 c;

	while ((c = 2 * i + 1) < ev.heap_len) {
		if (c + 1 < ev.heap_len && event_timer_before(ev.heap[c + 1], ev.heap[c]))
			c++;
		if (!event_timer_before(ev.heap[c], t))
			break;
		event_heap_set(i, ev.heap[c]);
		i = c;
	}
	event_heap_set(i, t);
}

static void
event_heap_remove(EVENT_TIMER *t)
{
	size_t	 i = t->heap_idx;
	EVENT_TIMER *last;

	ev.heap_len--;
	if (i == ev.heap_len)
		return;
	last = ev.heap[ev.heap_len];
	event_heap_set(i, last);
	event_heap_down(i);
	event_heap_up(last->heap_idx);
}

/* Timers: the hash on cb+ctx. */

static size_t
event_hash(EVENT_FN cb, void *ctx, size_t size)
{
	uintptr_t h = (uintptr_t)cb * 0x9e3779b97f4a7c15ULL ^ (uintptr_t)ctx;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h & (size - 1);
}

static void
event_hash_grow(void)
{
	EVENT_TIMER **old = ev.hash, *t, *next;
	size_t	 osize = ev.hash_size, i, h;

	ev.hash_size = osize ? osize * 2 : 64;
	ev.hash = mycalloc(ev.hash_size, sizeof(*ev.hash));
	for (i = 0; i < osize; i++) {
		for (t = old[i]; t; t = next) {
			next = t->hnext;
			h = event_hash(t->cb, t->ctx, ev.hash_size);
			t->hnext = ev.hash[h];
			ev.hash[h] = t;
		}
	}
	myfree(old);
}

/* Find (unlink when remove is set) the timer for cb+ctx. */
static EVENT_TIMER *
event_hash_find(EVENT_FN cb, void *ctx, int remove)
{
	EVENT_TIMER **tp, *t;

	if (ev.hash_size == 0)
		return NULL;
	for (tp = ev.hash + event_hash(cb, ctx, ev.hash_size); (t = *tp) != NULL;
	    tp = &t->hnext) {
		if (t->cb == cb && t->ctx == ctx) {
			if (remove)
				*tp = t->hnext;
			return t;
		}
	}
	return NULL;
}

void
event_request_timer(EVENT_FN cb, void *ctx, long long delay_ms)
{
	EVENT_TIMER *t;
	size_t	 h;

	if (delay_ms < 0)
		delay_ms = 0;
	if ((t = event_hash_find(cb, ctx, 0)) == NULL) {
		if (ev.heap_len + 1 > ev.hash_size)
			event_hash_grow();
		t = mymalloc(sizeof(*t));
		t->cb = cb;
		t->ctx = ctx;
		h = event_hash(cb, ctx, ev.hash_size);
		t->hnext = ev.hash[h];
		ev.hash[h] = t;
		if (ev.heap_len == ev.heap_size) {
			ev.heap_size = ev.heap_size ? 2 * ev.heap_size : 64;
			ev.heap = myrealloc(ev.heap, ev.heap_size * sizeof(*ev.heap));
		}
		t->heap_idx = ev.heap_len++;
		ev.heap[t->heap_idx] = t;
	}
	t->when = monotonic_ms() + delay_ms;
	t->seq = ev.seq++;
	event_heap_down(t->heap_idx);
	event_heap_up(t->heap_idx);
}

int
event_cancel_timer(EVENT_FN cb, void *ctx)
{
	EVENT_TIMER *t;

	if ((t = event_hash_find(cb, ctx, 1)) == NULL)
		return 0;
	event_heap_remove(t);
	myfree(t);
	return 1;
}

/* Run the timers due now that were requested before this round. */
static int
event_run_timers(void)
{
	unsigned long long limit = ev.seq;
	EVENT_TIMER *t;
	EVENT_FN cb;
	void	*ctx;
	int	 n = 0;

	while (ev.heap_len > 0) {
		t = ev.heap[0];
		if (t->when > ev.now_ms || t->seq >= limit)
			break;
		cb = t->cb;
		ctx = t->ctx;
		(void)event_cancel_timer(cb, ctx);
		cb(EVENT_TIME, ctx);
		n++;
	}
	return n;
}

/* Deliver one epoll result, unless its registration is gone. */
static int
event_dispatch(const struct epoll_event *ee)
{
	int	 fd = (int)(uint32_t)ee->data.u64, n = 0;
	uint32_t gen = (uint32_t)(ee->data.u64 >> 32);
	EVENT_FD *ep;

#define EVENT_LIVE(ep) ((size_t)fd < ev.nfds && (ep = ev.fds + fd)->gen == gen)

	if (!EVENT_LIVE(ep))
		return 0;
	if (ep->rcb && (ee->events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
		ep->rcb((ee->events & EPOLLIN) ? EVENT_READ : EVENT_XCPT, ep->rctx);
		n++;
	}
	if (!EVENT_LIVE(ep) || ep->wcb == NULL)
		return n;
	if (ee->events & EPOLLOUT) {
		ep->wcb(EVENT_WRITE, ep->wctx);
		n++;
	} else if (n == 0 && (ee->events & (EPOLLERR | EPOLLHUP))) {
		ep->wcb(EVENT_XCPT, ep->wctx);
		n++;
	}
	return n;
}

static int
event_wait_ms(int max_wait_ms)
{
	long long left;

	if (ev.heap_len == 0)
		return max_wait_ms;
	left = ev.heap[0]->when - monotonic_ms();
	if (left < 0)
		left = 0;
	if (max_wait_ms >= 0 && left > max_wait_ms)
		left = max_wait_ms;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

int
event_loop(int max_wait_ms)
{
	struct epoll_event ready[EVENT_MAX_READY];
	int	 nready, i, n;

	if (ev.epfd < 0 && (ev.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		msg_fatal("epoll_create1: %m");
	nready = epoll_wait(ev.epfd, ready, EVENT_MAX_READY,
	    event_wait_ms(max_wait_ms));
	if (nready < 0) {
		if (errno != EINTR)
			msg_fatal("epoll_wait: %m");
		nready = 0;
	}
	event_update_time();
	n = event_run_timers();
	for (i = 0; i < nready; i++)
		n += event_dispatch(ready + i);
	return n;
}

void
event_fork(void)
{
	size_t	 i;
	EVENT_TIMER *t, *next;

	if (ev.epfd >= 0)
		close(ev.epfd);
	ev.epfd = -1;
	for (i = 0; i < ev.hash_size; i++) {
		for (t = ev.hash[i]; t; t = next) {
			next = t->hnext;
			myfree(t);
		}
	}
	myfree(ev.hash);
	myfree(ev.heap);
	myfree(ev.fds);
	ev.hash = NULL;
	ev.heap = NULL;
	ev.fds = NULL;
	ev.hash_size = ev.heap_len = ev.heap_size = ev.nfds = 0;
}
