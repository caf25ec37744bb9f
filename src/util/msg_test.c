/*
 * msg_test - unit tests for msg.c: the fatal hook used by test drivers.
 */
#include <setjmp.h>
#include <stdlib.h>

#include "msg.h"
#include "ptest.h"

static jmp_buf jb;
static int seen_status;

static void
hook(int status)
{
	seen_status = status;
	longjmp(jb, 1);
}

PTEST(fatal_hook_returns_to_driver)
{
	volatile int reached = 0;

	msg_fatal_hook(hook);
	if (setjmp(jb) == 0) {
		msg_fatal("bad input %d", 1);
		reached = 1;		/* never */
	}
	PT_ASSERT(reached == 0);
	PT_INTEQ(seen_status, 1);
	if (setjmp(jb) == 0)
		msg_fatal_status(75, "temporary");
	PT_INTEQ(seen_status, 75);
	/* Twice in a row works too (no one-shot "dying" state). */
	seen_status = 0;
	if (setjmp(jb) == 0)
		msg_fatal("again");
	PT_INTEQ(seen_status, 1);
	msg_fatal_hook(NULL);
}

int
main(void)
{
	msg_init("postern", "msg_test");
	msg_to_stderr(0);
	PT_RUN(fatal_hook_returns_to_driver);
	return PT_DONE();
}
