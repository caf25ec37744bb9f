/*
 * events_test - unit tests for the event loop: timers, fds, safety of
 * callbacks that change registrations.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "myrandom.h"
#include "ptest.h"

static char order[64];
static int nfired;

static void
mark(int event, void *ctx)
{
	size_t	 len = strlen(order);

	if (event == EVENT_TIME && len + 1 < sizeof(order)) {
		order[len] = *(const char *)ctx;
		order[len + 1] = 0;
	}
	nfired++;
}

/* Run rounds until cond or a deadline; returns 1 when cond became true. */
#define RUN_UNTIL(cond, ms) ({ \
	long long pt_end = event_time_ms() + (ms); \
	while (!(cond) && event_time_ms() < pt_end) \
		(void)event_loop(50); \
	(cond); \
})

PTEST(timer_order)
{
	static char a = 'a', b = 'b', c = 'c', d = 'd', e = 'e';

	order[0] = 0;
	nfired = 0;
	event_request_timer(mark, &a, 60);
	event_request_timer(mark, &b, 0);
	event_request_timer(mark, &c, 30);
	event_request_timer(mark, &d, 0);
	event_request_timer(mark, &e, 0);
	/* Replacing moves the deadline: e goes last, once. */
	event_request_timer(mark, &e, 90);
	PT_INTEQ(event_cancel_timer(mark, &d), 1);
	PT_INTEQ(event_cancel_timer(mark, &d), 0);
	PT_ASSERT(RUN_UNTIL(nfired == 4, 3000));
	PT_STREQ(order, "bcae");
	/* Nothing left: a bounded wait returns 0. */
	PT_INTEQ(event_loop(20), 0);
}

static int rearmed;

static void
rearm(int event, void *ctx)
{
	rearmed++;
	event_request_timer(rearm, ctx, 0);
}

PTEST(rearm_does_not_starve)
{
	rearmed = 0;
	event_request_timer(rearm, NULL, 0);
	(void)event_loop(100);
	(void)event_loop(100);
	(void)event_loop(100);
	PT_ASSERT(rearmed >= 1 && rearmed <= 3);
	PT_INTEQ(event_cancel_timer(rearm, NULL), 1);
}

static long long fired_at[1000];
static long long due_at[1000];
static int fired_seq[1000], seqno;

static void
many_cb(int event, void *ctx)
{
	int	 i = (int)(uintptr_t)ctx;

	fired_at[i] = event_time_ms();
	fired_seq[i] = ++seqno;
}

PTEST(many_timers)
{
	int	 i, j, pending = 0, ok = 1;
	long long now;

	memset(fired_seq, 0, sizeof(fired_seq));
	seqno = 0;
	now = event_time_ms();
	for (i = 0; i < 1000; i++) {
		due_at[i] = myrandom_uniform(60);
		event_request_timer(many_cb, (void *)(uintptr_t)i, due_at[i]);
	}
	for (i = 0; i < 1000; i += 3)
		PT_INTEQ(event_cancel_timer(many_cb, (void *)(uintptr_t)i), 1);
	PT_ASSERT(RUN_UNTIL(seqno == 666, 3000));
	for (i = 0; i < 1000; i++) {
		if (i % 3 == 0) {
			ok &= fired_seq[i] == 0;
			continue;
		}
		pending++;
		ok &= fired_at[i] >= now + due_at[i];
		/* Earlier deadline never fires after a later one. */
		for (j = 1; j < 1000; j += 500)
			if (j % 3 && due_at[j] + 1 < due_at[i])
				ok &= fired_seq[j] < fired_seq[i];
	}
	PT_INTEQ(pending, 666);
	PT_ASSERT(ok);
}

static int rd_events, wr_events, last_event;

static void
rd_cb(int event, void *ctx)
{
	char	 buf[16];

	rd_events++;
	last_event = event;
	if (read(*(int *)ctx, buf, sizeof(buf)) <= 0)
		event_disable_read(*(int *)ctx);
}

static void
wr_cb(int event, void *ctx)
{
	wr_events++;
	event_disable_write(*(int *)ctx);
}

PTEST(fd_events)
{
	int	 sv[2];

	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	rd_events = wr_events = 0;
	event_enable_read(sv[0], rd_cb, &sv[0]);
	PT_INTEQ(event_loop(20), 0);
	PT_INTEQ(write(sv[1], "x", 1), 1);
	PT_ASSERT(RUN_UNTIL(rd_events == 1, 2000));
	PT_INTEQ(last_event, EVENT_READ);
	event_enable_write(sv[0], wr_cb, &sv[0]);
	PT_ASSERT(RUN_UNTIL(wr_events == 1, 2000));
	PT_INTEQ(rd_events, 1);
	/* Peer closes: the read callback hears about it, then disables. */
	close(sv[1]);
	PT_ASSERT(RUN_UNTIL(rd_events == 2, 2000));
	PT_ASSERT(last_event == EVENT_READ || last_event == EVENT_XCPT);
	PT_INTEQ(event_loop(20), 0);
	event_disable_readwrite(sv[0]);
	close(sv[0]);
}

static int pairs[2][2], killer_calls, victim3_calls, newpair[2], closed_idx;

static void
victim3(int event, void *ctx)
{
	victim3_calls++;
}

/* Whichever fires first closes the other and reuses its fd number. */
static void
killer(int event, void *ctx)
{
	int	 me = *(int *)ctx, other = !me;

	killer_calls++;
	closed_idx = other;
	event_disable_readwrite(pairs[me][0]);
	event_disable_readwrite(pairs[other][0]);
	close(pairs[other][0]);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, newpair) == 0) {
		event_enable_read(newpair[0], victim3, NULL);
		event_enable_write(newpair[0], victim3, NULL);
	}
}

PTEST(callback_closes_others)
{
	static int idx[2] = { 0, 1 };
	int	 i, n;

	killer_calls = victim3_calls = 0;
	for (i = 0; i < 2; i++) {
		PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]) == 0);
		PT_INTEQ(write(pairs[i][1], "x", 1), 1);
		event_enable_read(pairs[i][0], killer, &idx[i]);
	}
	n = event_loop(1000);
	PT_INTEQ(killer_calls, 1);
	PT_INTEQ(n, 1);
	PT_INTEQ(victim3_calls, 0);
	/* The new registration works in the next round. */
	PT_ASSERT(RUN_UNTIL(victim3_calls > 0, 2000));
	event_disable_readwrite(newpair[0]);
	for (i = 0; i < 2; i++)
		close(pairs[i][1]);
	close(pairs[!closed_idx][0]);
	close(newpair[0]);
	close(newpair[1]);
}

PTEST(clock)
{
	long long t0 = event_time_ms();
	time_t	 w = event_time();

	PT_ASSERT(w > 1000000000);
	PT_ASSERT(labs((long)(w - time(NULL))) <= 2);
	(void)event_loop(30);
	PT_ASSERT(event_time_ms() - t0 >= 25);
}

PTEST(after_fork)
{
	int	 st, sv[2];
	pid_t	 pid;
	static char z = 'z';

	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	event_enable_read(sv[0], rd_cb, &sv[0]);
	event_request_timer(mark, &z, 10000);
	if ((pid = fork()) == 0) {
		event_fork();
		nfired = 0;
		event_request_timer(mark, &z, 0);
		(void)event_loop(1000);
		/* The parent's registrations are gone in the child. */
		_exit(nfired == 1 && event_cancel_timer(mark, &z) == 0 ? 0 : 1);
	}
	PT_ASSERT(waitpid(pid, &st, 0) == pid);
	PT_INTEQ(st, 0);
	PT_INTEQ(event_cancel_timer(mark, &z), 1);
	event_disable_readwrite(sv[0]);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	PT_RUN(timer_order);
	PT_RUN(rearm_does_not_starve);
	PT_RUN(many_timers);
	PT_RUN(fd_events);
	PT_RUN(callback_closes_others);
	PT_RUN(clock);
	PT_RUN(after_fork);
	return PT_DONE();
}
