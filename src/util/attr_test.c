/*
 * attr_test - unit tests for attr: round trips, hostile input, bounds.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "ptest.h"

/* Feed raw bytes to attr_read(); returns its result, errno in *err. */
static int
read_raw(const char *data, size_t len, ATTR *a, int *err, int *eof)
{
	int	 sv[2], r, st;
	VSTREAM	*sp;
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -2;
	if ((pid = fork()) == 0) {
		close(sv[0]);
		_exit(write_all(sv[1], data, len) < 0);
	}
	close(sv[1]);
	sp = vstream_fdopen(sv[0], VSTREAM_FLAG_READ);
	vstream_set_timeout(sp, 10);
	r = attr_read(sp, a);
	*err = errno;
	if (eof)
		*eof = vstream_feof(sp);
	vstream_fclose(sp);
	waitpid(pid, &st, 0);
	return r;
}

PTEST(build_and_get)
{
	ATTR	*a = attr_alloc();
	size_t	 pos = 0;
	int	 i;

	attr_add(a, "request", "deliver");
	for (i = 0; i < 20; i++) {
		attr_add_long(a, "rcpt_index", i);
		attr_addf(a, "rcpt", "user%d@example.com", i);
	}
	attr_add(a, "sender", "");
	PT_STREQ(attr_get(a, "request"), "deliver");
	PT_STREQ(attr_get(a, "sender"), "");
	PT_ASSERT(attr_get(a, "nothing") == NULL);
	for (i = 0; i < 20; i++) {
		const char *v = attr_get_from(a, "rcpt", &pos);
		char	 want[64];

		snprintf(want, sizeof(want), "user%d@example.com", i);
		PT_STREQ(v, want);
	}
	PT_ASSERT(attr_get_from(a, "rcpt", &pos) == NULL);
	PT_INTEQ(attr_get_long(a, "rcpt_index", -1), 0);
	PT_INTEQ(attr_get_long(a, "request", -1), -1);
	PT_INTEQ(attr_get_long(a, "absent", 77), 77);
	attr_reset(a);
	PT_INTEQ(a->count, 0);
	attr_add(a, "big", "-9223372036854775808");
	attr_add(a, "huge", "99999999999999999999");
	PT_INTEQ(attr_get_long(a, "big", 0), (-9223372036854775807LL - 1));
	PT_INTEQ(attr_get_long(a, "huge", 5), 5);
	attr_free(a);
}

PTEST(roundtrip_hostile)
{
	int	 sv[2], i, st;
	pid_t	 pid;
	VSTREAM	*w, *r;
	ATTR	*a = attr_alloc(), *b = attr_alloc();
	char	 all[256], *big;

	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = 0;
	big = mymalloc(ATTR_MAX_VALUE + 1);
	memset(big, '%', ATTR_MAX_VALUE);
	big[ATTR_MAX_VALUE] = 0;
	attr_add(a, "all_bytes", all);
	attr_add(a, "inject", "x\n\nrequest=evil\r\n");
	attr_add(a, "eq", "a=b=c");
	attr_add(a, "pct", "%41%");
	attr_add(a, "empty", "");
	attr_add(a, "big", big);
	attr_add(a, "eq", "again");
	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	w = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
	r = vstream_fdopen(sv[1], VSTREAM_FLAG_RW);
	vstream_set_timeout(w, 10);
	vstream_set_timeout(r, 10);
	if ((pid = fork()) == 0) {
		int	 rc = attr_write(w, a) || attr_write(w, a);

		_exit(rc);
	}
	PT_INTEQ(attr_read(r, b), 0);
	PT_INTEQ(b->count, a->count);
	for (i = 0; i < (int)a->count; i++) {
		PT_STREQ(b->name[i], a->name[i]);
		PT_STREQ(b->value[i], a->value[i]);
	}
	PT_ASSERT(attr_get(b, "request") == NULL);
	/* The second request on the same stream. */
	PT_INTEQ(attr_read(r, b), 0);
	PT_STREQ(attr_get(b, "pct"), "%41%");
	PT_INTEQ(b->count, a->count);
	/* Writer closed: clean end of file. */
	vstream_fclose(w);
	PT_INTEQ(attr_read(r, b), -1);
	PT_ASSERT(vstream_feof(r));
	PT_INTEQ(b->count, 0);
	vstream_fclose(r);
	PT_ASSERT(waitpid(pid, &st, 0) == pid && st == 0);
	attr_free(a);
	attr_free(b);
	myfree(big);
}

PTEST(malformed)
{
	static const char *bad[] = {
		"noequals\n\n",
		"=value\n\n",
		"bad-name=1\n\n",
		"name=%zz\n\n",
		"name=%4\n\n",
		"name=%00\n\n",
		"name=raw\001ctl\n\n",
		"name=raw\rcr\n\n",
		"name=ok\nname=trunc",
		"name=ok\n",
		NULL,
	};
	ATTR	*a = attr_alloc();
	int	 i, err, eof;

	for (i = 0; bad[i]; i++) {
		int	 r = read_raw(bad[i], strlen(bad[i]), a, &err, &eof);

		if (r != -1)
			printf("accepted: %s\n", bad[i]);
		PT_INTEQ(r, -1);
		PT_ASSERT(err == EPROTO);
	}
	PT_INTEQ(read_raw("", 0, a, &err, &eof), -1);
	PT_INTEQ(err, 0);
	PT_ASSERT(eof);
	PT_INTEQ(read_raw("a=%41%2a%2A\xc3\xa9\n\n", 15, a, &err, &eof), 0);
	PT_STREQ(attr_get(a, "a"), "A**\xc3\xa9");
	attr_free(a);
}

PTEST(bounds)
{
	VSTRING	*in = vstring_alloc(100);
	ATTR	*a = attr_alloc();
	int	 i, err;

	/* Exactly the maximum count is fine, one more is not. */
	for (i = 0; i < ATTR_MAX_COUNT; i++)
		vstring_strcat(in, "n=v\n");
	vstring_strcat(in, "\n");
	PT_INTEQ(read_raw(vstring_str(in), vstring_len(in), a, &err, NULL), 0);
	PT_INTEQ(a->count, ATTR_MAX_COUNT);
	vstring_truncate(in, vstring_len(in) - 1);
	vstring_strcat(in, "n=v\n\n");
	PT_INTEQ(read_raw(vstring_str(in), vstring_len(in), a, &err, NULL), -1);
	PT_INTEQ(err, EMSGSIZE);

	/* Value bound, decoded and encoded. */
	vstring_strcpy(in, "v=");
	for (i = 0; i < ATTR_MAX_VALUE; i++)
		vstring_strcat(in, "%25");
	vstring_strcat(in, "\n\n");
	PT_INTEQ(read_raw(vstring_str(in), vstring_len(in), a, &err, NULL), 0);
	PT_INTEQ(strlen(attr_get(a, "v")), ATTR_MAX_VALUE);
	vstring_truncate(in, vstring_len(in) - 2);
	vstring_strcat(in, "x\n\n");
	PT_INTEQ(read_raw(vstring_str(in), vstring_len(in), a, &err, NULL), -1);
	PT_INTEQ(err, EMSGSIZE);
	vstring_strcpy(in, "v=");
	for (i = 0; i <= ATTR_MAX_VALUE; i++)
		vstring_addch(in, 'x');
	vstring_strcat(in, "\n\n");
	PT_INTEQ(read_raw(vstring_str(in), vstring_len(in), a, &err, NULL), -1);
	PT_INTEQ(err, EMSGSIZE);

	/* The writer refuses what the reader would refuse. */
	attr_reset(a);
	attr_add(a, "v", vstring_str(in) + 2);
	{
		int	 sv[2];
		VSTREAM	*w;

		PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
		w = vstream_fdopen(sv[0], VSTREAM_FLAG_WRITE);
		PT_INTEQ(attr_write(w, a), -1);
		PT_INTEQ(errno, EMSGSIZE);
		vstream_fclose(w);
		close(sv[1]);
	}
	attr_free(a);
	vstring_free(in);
}

int
main(void)
{
	msg_init("postern", "attr_test");
	PT_RUN(build_and_get);
	PT_RUN(roundtrip_hostile);
	PT_RUN(malformed);
	PT_RUN(bounds);
	return PT_DONE();
}
