/*
 * events.h - the event loop of long-running daemons. See events.c.
 *
 * One loop per process (epoll). Callbacks get the event that fired and the
 * context given when it was registered. Times: timers in milliseconds on
 * the monotonic clock; event_time() is the wall clock in seconds, read
 * once per event_loop() round.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <time.h>

#define EVENT_READ	(1 << 0)	/* fd readable (or end of file) */
#define EVENT_WRITE	(1 << 1)	/* fd writable */
#define EVENT_XCPT	(1 << 2)	/* error or hang-up on fd */
#define EVENT_TIME	(1 << 3)	/* timer expired */

typedef void (*EVENT_FN)(int, void *);

/*
 * An fd has at most one read and one write callback; enabling again
 * replaces the callback and context. EVENT_XCPT goes to the read callback
 * when there is one, else to the write callback. Disable an fd before
 * closing it. Disabling an fd (or a timer) from inside a callback is safe:
 * events for it that are still pending in this round are dropped.
 */
void	 event_enable_read(int, EVENT_FN, void *);
void	 event_enable_write(int, EVENT_FN, void *);
void	 event_disable_read(int);
void	 event_disable_write(int);
void	 event_disable_readwrite(int);

/*
 * event_request_timer(cb, ctx, delay_ms): call cb(EVENT_TIME, ctx) once,
 * delay_ms from now (0: in the next round). Requesting the same cb+ctx
 * again replaces the deadline. event_cancel_timer() returns 1 if a timer
 * was pending. Timers with the same deadline run in the order requested.
 */
void	 event_request_timer(EVENT_FN, void *, long long);
int	 event_cancel_timer(EVENT_FN, void *);

/*
 * event_loop(max_wait_ms): one round: wait for fd events or the first
 * timer, but at most max_wait_ms (< 0: no limit beyond the timers), then
 * run the due timers and the fd callbacks. Returns the number of callbacks
 * run.
 */
int	 event_loop(int);

time_t	 event_time(void);		/* cached wall clock, seconds */
long long event_time_ms(void);		/* cached monotonic clock, ms */

/* In a forked child that will not exec: forget all events, new epoll. */
void	 event_fork(void);

#endif
