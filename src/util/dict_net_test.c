/*
 * dict_net_test - unit tests of the socketmap:, tcp: and memcache: clients
 * against scripted servers (a forked child on a UNIX socket), including
 * hostile and broken replies.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dict.h"
#include "msg.h"
#include "ptest.h"

static char dir[] = "/tmp/dict_net_testXXXXXX";
static char sock[100];
static pid_t child;
static VSTRING *why;

/* A server that answers one connection's first request with reply. */
static void
serve(const char *reply, size_t len)
{
	struct sockaddr_un sun;
	int	 fd, c;
	char	 buf[4096];

	snprintf(sock, sizeof(sock), "%s/s", dir);
	unlink(sock);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0
	    || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0
	    || listen(fd, 1) < 0)
		msg_fatal("server socket: %m");
	if ((child = fork()) == 0) {
		alarm(10);
		if ((c = accept(fd, NULL, NULL)) >= 0) {
			(void)read(c, buf, sizeof(buf));
			(void)write(c, reply, len);
			close(c);
		}
		_exit(0);
	}
	close(fd);
}

static void
reap(void)
{
	int	 status;

	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, &status, 0);
	}
	child = 0;
}

/* One lookup on a fresh table; *err gets dict->error. */
static const char *
lookup(const char *spec, const char *key, const char *reply, int *err)
{
	static char value[256];
	const char *v;
	DICT	*d;

	serve(reply, strlen(reply));
	if ((d = dict_open(spec, DICT_FLAG_DEFAULT, why)) == NULL) {
		reap();
		*err = 99;
		return NULL;
	}
	v = dict_get(d, key);
	*err = d->error;
	if (v != NULL)
		snprintf(value, sizeof(value), "%s", v);
	dict_close(d);
	reap();
	return v ? value : NULL;
}

static char *
spec(const char *type)
{
	static char buf[512];

	if (strcmp(type, "socketmap") == 0)
		snprintf(buf, sizeof(buf), "socketmap:unix:%s:m", sock);
	else
		snprintf(buf, sizeof(buf), "tcp:unix:%s", sock);
	return buf;
}

PTEST(socketmap_replies)
{
	int	 err;

	snprintf(sock, sizeof(sock), "%s/s", dir);
	PT_STREQ(lookup(spec("socketmap"), "k", "8:OK value,", &err),
	    "value");
	PT_ASSERT(lookup(spec("socketmap"), "k", "9:NOTFOUND ,",
	    &err) == NULL);
	PT_INTEQ(err, DICT_ERR_NONE);
	PT_ASSERT(lookup(spec("socketmap"), "k", "6:TEMP x,", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(spec("socketmap"), "k", "6:PERM x,", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_CONFIG);
	/* Too long, bad length, missing comma, truncated, junk. */
	PT_ASSERT(lookup(spec("socketmap"), "k",
	    "99999999:OK x,", &err) == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(spec("socketmap"), "k", "x:OK,", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(spec("socketmap"), "k", "4:OK x;", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(spec("socketmap"), "k", "20:OK x", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(spec("socketmap"), "k", "5:HELLO,", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	/* Nobody listening: a temporary failure, not "not found". */
	unlink(sock);
	{
		DICT	*d = dict_open(spec("socketmap"), 0, why);

		PT_ASSERT(d != NULL);
		PT_ASSERT(dict_get(d, "k") == NULL);
		PT_INTEQ(d->error, DICT_ERR_RETRY);
		dict_close(d);
	}
	PT_ASSERT(dict_open("socketmap:inet:host", 0, why) == NULL);
}

PTEST(tcp_replies)
{
	int	 err;

	PT_STREQ(lookup(spec("tcp"), "k", "200 a%20b%25\n", &err),
	    "a b%");
	PT_ASSERT(lookup(spec("tcp"), "k", "500 no\n", &err) == NULL);
	PT_INTEQ(err, DICT_ERR_NONE);
	PT_ASSERT(lookup(spec("tcp"), "k", "400 later\n", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(spec("tcp"), "k", "200 a%00b\n", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(spec("tcp"), "k", "200 bad%zz\n", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(spec("tcp"), "k", "20\n", &err) == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(spec("tcp"), "k", "200 no newline", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
}

static char *
mc_spec(const char *extra)
{
	static char buf[512];
	char	 cf[300];
	FILE	*fp;

	snprintf(cf, sizeof(cf), "%s/mc.cf", dir);
	if ((fp = fopen(cf, "w")) == NULL)
		msg_fatal("%s: %m", cf);
	fprintf(fp, "memcache = unix:%s/s\nmax_try = 1\n%s", dir, extra);
	fclose(fp);
	snprintf(buf, sizeof(buf), "memcache:%s", cf);
	return buf;
}

PTEST(memcache_replies)
{
	int	 err;
	char	*s = mc_spec("");

	PT_STREQ(lookup(s, "k", "VALUE k 0 5\r\nhello\r\nEND\r\n", &err),
	    "hello");
	PT_ASSERT(lookup(s, "k", "END\r\n", &err) == NULL);
	PT_INTEQ(err, DICT_ERR_NONE);
	PT_ASSERT(lookup(s, "k", "VALUE k 0 99999999\r\n", &err) == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(s, "k", "SERVER_ERROR out of memory\r\n", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(s, "k", "VALUE k 0 5\r\nhel", &err) == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	PT_ASSERT(lookup(s, "k", "VALUE k 0 2\r\nhello\r\nEND\r\n", &err)
	    == NULL);
	PT_INTEQ(err, DICT_ERR_RETRY);
	/* A key memcached cannot take is not sent; without backup: none. */
	s = mc_spec("");
	{
		DICT	*d = dict_open(s, DICT_FLAG_DEFAULT, why);

		PT_ASSERT(d != NULL);
		PT_ASSERT(dict_get(d, "a key with spaces") == NULL);
		PT_INTEQ(d->error, DICT_ERR_NONE);
		dict_close(d);
	}
	/* The backup answers for what memcached does not have. */
	s = mc_spec("backup = inline:{k=from-backup}\n");
	PT_STREQ(lookup(s, "k", "END\r\n", &err), "from-backup");
}

int
main(void)
{
	why = vstring_alloc(64);
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		msg_fatal("mkdtemp: %m");
	PT_RUN(socketmap_replies);
	PT_RUN(tcp_replies);
	PT_RUN(memcache_replies);
	unlink(sock);
	snprintf(sock, sizeof(sock), "%s/mc.cf", dir);
	unlink(sock);
	rmdir(dir);
	return PT_DONE();
}
