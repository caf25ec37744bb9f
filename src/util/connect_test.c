/*
 * connect_test - unit tests for connect (inet_connect_hostport).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"
#include "ptest.h"

PTEST(hostport_errors)
{
	VSTRING	*why = vstring_alloc(10);

	errno = 0;
	PT_INTEQ(inet_connect_hostport("127.0.0.1", NULL, 1, why), -1);
	PT_INTEQ(errno, EINVAL);
	PT_STREQ(vstring_str(why), "bad destination \"127.0.0.1\" (use "
	    "host:port or [address]:port)");
	PT_INTEQ(inet_connect_hostport("[::1]x:25", NULL, 1, why), -1);
	PT_INTEQ(inet_connect_hostport("host:", "25", 1, why), -1);
	PT_INTEQ(inet_connect_hostport("::1:25", NULL, 1, why), -1);
	PT_INTEQ(inet_connect_hostport("", "25", 1, NULL), -1);
	vstring_free(why);
}

PTEST(hostport_connects)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	VSTRING	*why = vstring_alloc(10);
	char	 spec[64];
	int	 lfd = socket(AF_INET, SOCK_STREAM, 0), fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	PT_ASSERT(lfd >= 0);
	PT_INTEQ(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	PT_INTEQ(listen(lfd, 5), 0);
	PT_INTEQ(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	snprintf(spec, sizeof(spec), "[127.0.0.1]:%d", ntohs(sin.sin_port));
	fd = inet_connect_hostport(spec, NULL, 5, why);
	PT_ASSERT(fd >= 0);
	close(fd);
	snprintf(spec, sizeof(spec), "%d", ntohs(sin.sin_port));
	fd = inet_connect_hostport("127.0.0.1", spec, 5, why);
	PT_ASSERT(fd >= 0);
	close(fd);
	close(lfd);
	vstring_free(why);
}

int
main(void)
{
	PT_RUN(hostport_errors);
	PT_RUN(hostport_connects);
	return PT_DONE();
}
