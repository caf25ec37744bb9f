/*
 * myrandom_test - unit tests for myrandom: ranges, no obvious bias,
 * different streams in parent and child.
 */
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "myrandom.h"
#include "ptest.h"

PTEST(bytes_differ)
{
	unsigned char a[64], b[64];
	uint32_t x[16];
	int	 i, j, dup = 0;

	myrandom_bytes(a, sizeof(a));
	myrandom_bytes(b, sizeof(b));
	PT_ASSERT(memcmp(a, b, sizeof(a)) != 0);
	myrandom_bytes(a, 0);
	for (i = 0; i < 16; i++)
		x[i] = myrandom32();
	for (i = 0; i < 16; i++)
		for (j = i + 1; j < 16; j++)
			dup += x[i] == x[j];
	PT_INTEQ(dup, 0);
	PT_ASSERT(myrandom64() != myrandom64());
}

PTEST(uniform)
{
	int	 count[6] = { 0 }, i;

	for (i = 0; i < 60000; i++)
		count[myrandom_uniform(6)]++;
	/* Expected 10000 each; 9000..11000 is > 20 standard deviations. */
	for (i = 0; i < 6; i++)
		PT_ASSERT(count[i] > 9000 && count[i] < 11000);
	for (i = 0; i < 1000; i++)
		PT_INTEQ(myrandom_uniform(1), 0);
	PT_ASSERT(myrandom_uniform(0xffffffffU) < 0xffffffffU);
}

PTEST(fork_differs)
{
	int	 fd[2], st;
	uint32_t mine, theirs = 0;
	pid_t	 pid;

	PT_ASSERT(pipe(fd) == 0);
	if ((pid = fork()) == 0) {
		uint32_t r = myrandom32();

		_exit(write(fd[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	mine = myrandom32();
	PT_INTEQ(read(fd[0], &theirs, sizeof(theirs)), sizeof(theirs));
	PT_ASSERT(waitpid(pid, &st, 0) == pid && st == 0);
	PT_ASSERT(mine != theirs);
	close(fd[0]);
	close(fd[1]);
}

int
main(void)
{
	PT_RUN(bytes_differ);
	PT_RUN(uniform);
	PT_RUN(fork_differs);
	return PT_DONE();
}
