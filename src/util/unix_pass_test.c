/*
 * unix_pass_test - a descriptor crosses a socket pair and still works;
 * plain data without a descriptor is refused; a silent peer times out.
 */
#include <sys/socket.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ptest.h"
#include "unix_pass.h"

PTEST(passes_a_descriptor)
{
	int	 sp[2], pp[2], got;
	char	 buf[8];

	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	PT_ASSERT(pipe(pp) == 0);
	PT_INTEQ(unix_pass_send(sp[0], pp[1]), 0);
	close(pp[1]);
	got = unix_pass_recv(sp[1], 5);
	PT_ASSERT(got >= 0);
	PT_INTEQ((int)write(got, "hi", 2), 2);
	close(got);
	PT_INTEQ((int)read(pp[0], buf, sizeof(buf)), 2);
	PT_ASSERT(memcmp(buf, "hi", 2) == 0);
	close(pp[0]);
	close(sp[0]);
	close(sp[1]);
}

PTEST(refuses_plain_data_and_times_out)
{
	int	 sp[2];

	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	PT_INTEQ(unix_pass_recv(sp[1], 1), -1);
	PT_INTEQ(errno, ETIMEDOUT);
	PT_INTEQ((int)write(sp[0], "x", 1), 1);
	PT_INTEQ(unix_pass_recv(sp[1], 5), -1);
	PT_INTEQ(errno, EPROTO);
	close(sp[0]);
	close(sp[1]);
}

int
main(void)
{
	PT_RUN(passes_a_descriptor);
	PT_RUN(refuses_plain_data_and_times_out);
	return PT_DONE();
}
