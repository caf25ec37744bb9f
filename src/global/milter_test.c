/*
 * milter_test - milter8/milter against a scripted fake milter in a child
 * process on a UNIX socket: negotiation and refused steps, replies,
 * modifications, macros, and a milter that is down, garbled or slow.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail_conf.h"
#include "milter.h"
#include "mymalloc.h"
#include "ptest.h"

/* ---- the fake milter (child side) ---- */

typedef struct FAKE {
	int	 fd;
	char	 cmd;
	char	 data[70000];
	size_t	 len;
	char	 log[4096];		/* commands seen, with detail */
} FAKE;

static int
fake_readn(int fd, void *buf, size_t len)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(fd, p, len)) <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int
fake_recv(FAKE *f)
{
	uint32_t n;

	if (fake_readn(f->fd, &n, 4) < 0)
		return -1;
	n = ntohl(n);
	if (n == 0 || n > sizeof(f->data))
		return -1;
	if (fake_readn(f->fd, &f->cmd, 1) < 0)
		return -1;
	f->len = n - 1;
	if (f->len && fake_readn(f->fd, f->data, f->len) < 0)
		return -1;
	return f->cmd;
}

static void
fake_send(FAKE *f, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);

	(void)!write(f->fd, &n, 4);
	(void)!write(f->fd, &cmd, 1);
	if (len)
		(void)!write(f->fd, data, len);
}

static void
fake_send2(FAKE *f, char cmd, const char *a, const char *b)
{
	char	 buf[1024];
	size_t	 la = strlen(a) + 1, lb = b ? strlen(b) + 1 : 0;

	memcpy(buf, a, la);
	if (b)
		memcpy(buf + la, b, lb);
	fake_send(f, cmd, buf, la + lb);
}

static void
fake_log(FAKE *f, const char *s)
{
	size_t	 used = strlen(f->log);

	snprintf(f->log + used, sizeof(f->log) - used, "%.200s", s);
}

/* A test's milter: answers one command; returns 0 to go on. */
typedef void (*FAKE_FN)(FAKE *);

static void
fake_optneg(FAKE *f, uint32_t actions, uint32_t proto)
{
	uint32_t v[3] = { htonl(6), htonl(actions), htonl(proto) };

	fake_send(f, 'O', v, sizeof(v));
}

static char sock_path[108];

static pid_t
fake_start(FAKE_FN fn, int *logfd)
{
	struct sockaddr_un sun;
	int	 ls, p[2];
	pid_t	 pid;

	snprintf(sock_path, sizeof(sock_path), "/tmp/milter_test.%d.%ld",
	    (int)getpid(), (long)random());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	unlink(sock_path);
	if (bind(ls, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(ls, 5) < 0)
		abort();
	if (pipe(p) < 0)
		abort();
	if ((pid = fork()) == 0) {
		FAKE	*f = calloc(1, sizeof(*f));

		close(p[0]);
		f->fd = accept(ls, NULL, NULL);
		while (fake_recv(f) > 0) {
			char	 c[2] = { f->cmd, 0 };

			if (f->cmd != 'D')
				fake_log(f, c);
			fn(f);
			if (f->cmd == 'Q')
				break;
		}
		(void)!write(p[1], f->log, strlen(f->log));
		_exit(0);
	}
	close(ls);
	close(p[1]);
	*logfd = p[0];
	return pid;
}

static void
fake_end(pid_t pid, int logfd, char *log, size_t size)
{
	ssize_t	 n;
	size_t	 got = 0;

	while (got + 1 < size && (n = read(logfd, log + got, size - got - 1)) > 0)
		got += n;
	log[got] = 0;
	close(logfd);
	waitpid(pid, NULL, 0);
	unlink(sock_path);
}

static MILTER_CONF conf;

static MILTER *
test_milter(void)
{
	char	 name[128];

	snprintf(name, sizeof(name), "unix:%s", sock_path);
	return milter8_create(name, &conf);
}

static const char *
test_mac(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "i") == 0)
		return "1234ABCD";
	if (strcmp(name, "{mail_addr}") == 0)
		return "a@b.test";
	return NULL;
}

/* ---- scripted milters ---- */

/* Refuses HELO (NOHELO), no reply for MAIL (NR_MAIL); rejects bad@. */
static void
fn_steps(FAKE *f)
{
	switch (f->cmd) {
	case 'O':
		fake_optneg(f, 0x1ff, 0x2 | 0x4000);
		break;
	case 'D':
		if (f->data[0] == 'M' && memmem(f->data, f->len, "{mail_addr}\0a@b.test", 20))
			fake_log(f, "m");
		break;
	case 'C': case 'R': case 'T':
		if (f->cmd == 'R' && strncmp(f->data, "<bad@", 5) == 0)
			fake_send(f, 'r', "", 0);
		else if (f->cmd == 'R' && strncmp(f->data, "<code@", 6) == 0)
			fake_send2(f, 'y', "553 5.1.8 go away", NULL);
		else
			fake_send(f, 'c', "", 0);
		break;
	case 'H':
		fake_log(f, "!");	/* must not happen */
		break;
	}
}

PTEST(steps_and_replies)
{
	int	 logfd;
	pid_t	 pid = fake_start(fn_steps, &logfd);
	MILTER	*m = test_milter();
	ARGV	*a = argv_alloc(2);
	char	 log[4096];

	PT_ASSERT(milter8_conn_event(m, "client.test", "127.0.0.9", 2525,
	    AF_INET, test_mac, NULL) == NULL);
	PT_ASSERT(milter8_helo_event(m, "helo.test", test_mac, NULL) == NULL);
	argv_add(a, "<a@b.test>");
	PT_ASSERT(milter8_mail_event(m, a, test_mac, NULL) == NULL);
	argv_truncate(a, 0);
	argv_add(a, "<bad@b.test>");
	PT_STREQ(milter8_rcpt_event(m, a, test_mac, NULL),
	    "550 5.7.1 Command rejected");
	argv_truncate(a, 0);
	argv_add(a, "<code@b.test>");
	PT_STREQ(milter8_rcpt_event(m, a, test_mac, NULL), "553 5.1.8 go away");
	argv_truncate(a, 0);
	argv_add(a, "<ok@b.test>");
	PT_ASSERT(milter8_rcpt_event(m, a, test_mac, NULL) == NULL);
	PT_ASSERT(milter8_data_event(m, test_mac, NULL) == NULL);
	milter8_abort(m);
	milter8_free(m);
	argv_free(a);
	fake_end(pid, logfd, log, sizeof(log));
	/* HELO never sent; MAIL sent (with macros) but not answered. */
	PT_STREQ(log, "OCmMRRRTAQ");
}

/* Message: modifications at end of message. */
static void
fn_edit(FAKE *f)
{
	char	 buf[256];
	uint32_t idx;

	switch (f->cmd) {
	case 'O':
		fake_optneg(f, 0x1ff, 0x80);	/* NR_HDR */
		break;
	case 'L':
		fake_log(f, "[");
		fake_log(f, f->data);
		fake_log(f, "=");
		fake_log(f, f->data + strlen(f->data) + 1);
		fake_log(f, "]");
		break;
	case 'B':
		snprintf(buf, sizeof(buf), "(%zu)", f->len);
		fake_log(f, buf);
		fake_send(f, 'c', "", 0);
		break;
	case 'E':
		fake_send(f, 'p', "", 0);
		fake_send2(f, 'h', "X-Added", "yes");
		idx = htonl(1);
		memcpy(buf, &idx, 4);
		memcpy(buf + 4, "Subject\0new subject", 20);
		fake_send(f, 'm', buf, 24);
		idx = htonl(0);
		memcpy(buf, &idx, 4);
		memcpy(buf + 4, "X-Top\0first", 12);
		fake_send(f, 'i', buf, 16);
		fake_send2(f, 'e', "<new@from.test>", NULL);
		fake_send2(f, '+', "<added@x.test>", NULL);
		fake_send2(f, '-', "<gone@x.test>", NULL);
		fake_send2(f, 'q', "looks odd", NULL);
		fake_send(f, 'b', "new body\r\nline 2\r\n", 18);
		fake_send(f, 'a', "", 0);
		break;
	case 'M': case 'C': case 'R': case 'N': case 'T':
		fake_send(f, 'c', "", 0);
		break;
	}
}

typedef struct EDITS {
	char	 log[2048];
} EDITS;

static int
ed_log(void *ctx, const char *what, const char *a, const char *b, int n)
{
	EDITS	*e = ctx;
	size_t	 used = strlen(e->log);

	if (n >= 0)
		snprintf(e->log + used, sizeof(e->log) - used, "%s %s:%s@%d;",
		    what, a, b, n);
	else
		snprintf(e->log + used, sizeof(e->log) - used, "%s%s%s;", what,
		    a, b);
	return 0;
}

static int ed_add(void *c, const char *n, const char *v) { return ed_log(c, "add", n, v, 0); }
static int ed_ins(void *c, int i, const char *n, const char *v) { return ed_log(c, "ins", n, v, i); }
static int ed_chg(void *c, int i, const char *n, const char *v) { return ed_log(c, "chg", n, v, i); }
static int ed_from(void *c, const char *a, const char *x) { return ed_log(c, "from ", a, x, -1); }
static int ed_addr(void *c, const char *a, const char *x) { return ed_log(c, "rcpt+ ", a, x, -1); }
static int ed_delr(void *c, const char *a) { return ed_log(c, "rcpt- ", a, "", -1); }
static int ed_hold(void *c, const char *a) { return ed_log(c, "hold ", a, "", -1); }
static int
ed_body(void *c, int phase, const char *buf, size_t len)
{
	char	 tmp[256];

	snprintf(tmp, sizeof(tmp), "%.*s", (int)len, buf);
	return ed_log(c, "body", phase == MILTER_BODY_START ? "<" :
	    phase == MILTER_BODY_END ? ">" : "=", tmp, -1);
}

static const MILTER_EDIT_OPS ed_ops = {
	ed_add, ed_ins, ed_chg, ed_from, ed_addr, ed_delr, ed_body, ed_hold,
};

static ARGV *test_hdrs;
static int test_body_lines = 3;

static ARGV *
msg_headers(void *ctx)
{
	(void)ctx;
	return test_hdrs;
}

static int
msg_body(void *ctx, MILTER_BODY_FN fn, void *fnctx)
{
	static char big[70000];

	(void)ctx;
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < test_body_lines; i++)
		if (fn(fnctx, i == 1 ? big : "line", i == 1 ? sizeof(big) : 4) < 0)
			return -1;
	return 0;
}

PTEST(message_edits)
{
	int	 logfd;
	pid_t	 pid = fake_start(fn_edit, &logfd);
	MILTER	*m = test_milter();
	ARGV	*a = argv_alloc(2);
	MILTER_MSG msg = { msg_headers, msg_body, NULL };
	EDITS	 e;
	char	 log[4096];

	memset(&e, 0, sizeof(e));
	test_hdrs = argv_alloc(2);
	argv_add(test_hdrs, "Subject: hello");
	argv_add(test_hdrs, "X-Folded: a\n\tb");
	PT_ASSERT(milter8_conn_event(m, "h", "::1", 1, AF_INET6, NULL, NULL) == NULL);
	argv_add(a, "<a@b.test>");
	PT_ASSERT(milter8_mail_event(m, a, NULL, NULL) == NULL);
	PT_ASSERT(milter8_message(m, &msg, NULL, NULL, &ed_ops, &e) == NULL);
	milter8_free(m);
	argv_free(a);
	argv_free(test_hdrs);
	fake_end(pid, logfd, log, sizeof(log));
	/* Headers not answered (NR_HDR); body 4+2 + 70000+2 + 4+2 in chunks. */
	PT_STREQ(log, "OCML[Subject=hello]L[X-Folded=a\n\tb]NB(65535)B(4479)EQ");
	PT_STREQ(e.log, "add X-Added: yes@0;chg Subject: new subject@1;"
	    "ins X-Top: first@0;from <new@from.test>;rcpt+ <added@x.test>;"
	    "rcpt- <gone@x.test>;hold looks odd;body<;body=new body\nline 2\n;"
	    "body>;");
}

/* A milter that is not there; one that talks garbage; one that sleeps. */
static void
fn_garbage(FAKE *f)
{
	if (f->cmd == 'O')
		fake_optneg(f, 0x1ff, 0);
	else if (f->cmd == 'C')
		(void)!write(f->fd, "\xff\xff\xff\xffgarbage", 11);
}

static void
fn_slow(FAKE *f)
{
	if (f->cmd == 'O')
		fake_optneg(f, 0x1ff, 0);
	else if (f->cmd == 'C')
		fake_send(f, 'c', "", 0);
	else if (f->cmd == 'H')
		sleep(3);
}

PTEST(broken_milters)
{
	int	 logfd;
	pid_t	 pid;
	MILTER	*m;
	char	 log[4096];
	time_t	 t0;

	snprintf(sock_path, sizeof(sock_path), "/nonexistent/milter");
	m = test_milter();
	PT_STREQ(milter8_conn_event(m, "h", "1.2.3.4", 1, AF_INET, NULL, NULL),
	    "451 4.7.1 Service unavailable - try again later");
	PT_STREQ(milter8_helo_event(m, "x", NULL, NULL),
	    "451 4.7.1 Service unavailable - try again later");
	milter8_free(m);

	pid = fake_start(fn_garbage, &logfd);
	myfree(conf.default_action);
	conf.default_action = mystrdup("accept");
	m = test_milter();
	PT_ASSERT(milter8_conn_event(m, "h", "1.2.3.4", 1, AF_INET, NULL, NULL) == NULL);
	PT_ASSERT(milter8_helo_event(m, "x", NULL, NULL) == NULL);
	milter8_free(m);
	fake_end(pid, logfd, log, sizeof(log));

	pid = fake_start(fn_slow, &logfd);
	myfree(conf.default_action);
	conf.default_action = mystrdup("reject");
	conf.command_timeout = 1;
	m = test_milter();
	PT_ASSERT(milter8_conn_event(m, "h", "1.2.3.4", 1, AF_INET, NULL, NULL) == NULL);
	t0 = time(NULL);
	PT_STREQ(milter8_helo_event(m, "x", NULL, NULL), "550 5.7.1 Command rejected");
	PT_ASSERT(time(NULL) - t0 <= 2);
	milter8_free(m);
	fake_end(pid, logfd, log, sizeof(log));
	PT_STREQ(log, "OCH");
}

/* SMFIP_RCPT_REJ: refused recipients go only to milters that asked. */
static void
fn_rcptrej(FAKE *f)
{
	if (f->cmd == 'O')
		fake_optneg(f, 0x1ff, 0x800);
	else if (f->cmd == 'C' || f->cmd == 'M' || f->cmd == 'R')
		fake_send(f, f->cmd == 'R' ? 'r' : 'c', "", 0);
}

PTEST(rcpt_rej)
{
	int	 logfd;
	pid_t	 pid = fake_start(fn_rcptrej, &logfd);
	char	 list[160], log[4096];
	MILTERS	*mp;
	ARGV	*a = argv_alloc(1);

	snprintf(list, sizeof(list), "unix:%s", sock_path);
	mp = milter_create(list);
	PT_ASSERT(milter_conn_event(mp, "h", "1.2.3.4", 1, AF_INET) == NULL);
	argv_add(a, "<a@b.test>");
	PT_ASSERT(milter_mail_event(mp, a) == NULL);
	argv_truncate(a, 0);
	argv_add(a, "<unknown@b.test>");
	milter_rcpt_rej_event(mp, a);
	milter_abort(mp);
	milter_disconnect(mp);
	milter_free(mp);
	argv_free(a);
	fake_end(pid, logfd, log, sizeof(log));
	PT_STREQ(log, "OCMRAQ");
}

/*
 * Reply code shapes: a bare code gets a text; a lone continuation
 * "5XX-" gets a proper last line; a multi-line reply (smfi_setmlreply)
 * keeps its lines with the separators set; a bare LF, another code on a
 * later line, an enhanced code of another class or more than 32 lines
 * is a broken milter, as is a reply byte NUL at the end of message (not
 * a modification).
 */
static void
fn_codes(FAKE *f)
{
	if (f->cmd == 'O')
		fake_optneg(f, 0x1ff, 0);
	else if (f->cmd == 'R' && strncmp(f->data, "<bare@", 6) == 0)
		fake_send2(f, 'y', "450", NULL);
	else if (f->cmd == 'R' && strncmp(f->data, "<dash@", 6) == 0)
		fake_send2(f, 'y', "550-go away", NULL);
	else if (f->cmd == 'R' && strncmp(f->data, "<multi@", 7) == 0)
		fake_send2(f, 'y', "550 5.7.1 one\r\n550-5.7.1 two\r\n", NULL);
	else if (f->cmd == 'R' && strncmp(f->data, "<barelf@", 8) == 0)
		fake_send2(f, 'y', "550-5.7.1 one\n550 5.7.1 two", NULL);
	else if (f->cmd == 'R' && strncmp(f->data, "<mixed@", 7) == 0)
		fake_send2(f, 'y', "550-5.7.1 one\r\n451 4.7.1 two", NULL);
	else if (f->cmd == 'R' && strncmp(f->data, "<class@", 7) == 0)
		fake_send2(f, 'y', "550 4.7.1 wrong class", NULL);
	else if (f->cmd == 'R' && strncmp(f->data, "<many@", 6) == 0) {
		char	 many[33 * 12 + 1] = "";

		for (int i = 0; i < 33; i++)
			strcat(many, i ? "\r\n550-5.7.1" : "550-5.7.1");
		fake_send2(f, 'y', many, NULL);
	}
	else if (f->cmd == 'E') {
		fake_send(f, 0, "", 0);
		fake_send(f, 'c', "", 0);
	}
	else if (f->cmd != 'D' && f->cmd != 'A' && f->cmd != 'Q')
		fake_send(f, 'c', "", 0);
}

static EDITS code_edits;

static const char *
test_code(const char *rcpt, int message)
{
	static char reply[256];
	int	 logfd;
	pid_t	 pid = fake_start(fn_codes, &logfd);
	MILTER	*m = test_milter();
	ARGV	*a = argv_alloc(2);
	MILTER_MSG msg = { msg_headers, msg_body, NULL };
	const char *r;
	char	 log[4096];

	test_hdrs = argv_alloc(1);
	argv_add(test_hdrs, "Subject: hello");
	test_body_lines = 1;
	r = milter8_conn_event(m, "h", "1.2.3.4", 1, AF_INET, NULL, NULL);
	argv_add(a, "<a@b.test>");
	if (r == NULL)
		r = milter8_mail_event(m, a, NULL, NULL);
	argv_truncate(a, 0);
	argv_add(a, rcpt);
	if (r == NULL)
		r = milter8_rcpt_event(m, a, NULL, NULL);
	if (r == NULL && message)
		r = milter8_message(m, &msg, NULL, NULL, &ed_ops, &code_edits);
	snprintf(reply, sizeof(reply), "%s", r ? r : "(null)");
	milter8_free(m);
	argv_free(a);
	argv_free(test_hdrs);
	test_body_lines = 3;
	fake_end(pid, logfd, log, sizeof(log));
	return reply;
}

PTEST(reply_codes)
{
	myfree(conf.default_action);
	conf.default_action = mystrdup("tempfail");
	conf.command_timeout = 5;
	PT_STREQ(test_code("<bare@b.test>", 0),
	    "450 4.7.1 Service unavailable - try again later");
	PT_STREQ(test_code("<ok@b.test>", 0), "(null)");
	myfree(conf.default_action);
	conf.default_action = mystrdup("reject");
	PT_STREQ(test_code("<dash@b.test>", 0), "550 go away");
	PT_STREQ(test_code("<multi@b.test>", 0),
	    "550-5.7.1 one\r\n550 5.7.1 two");
	PT_STREQ(test_code("<barelf@b.test>", 0), "550 5.7.1 Command rejected");
	PT_STREQ(test_code("<mixed@b.test>", 0), "550 5.7.1 Command rejected");
	PT_STREQ(test_code("<class@b.test>", 0), "550 5.7.1 Command rejected");
	PT_STREQ(test_code("<many@b.test>", 0), "550 5.7.1 Command rejected");
	PT_STREQ(test_code("<ok@b.test>", 1), "550 5.7.1 Command rejected");
	PT_STREQ(code_edits.log, "");
}

/* The chain: list syntax with per-milter settings; quarantine default. */
PTEST(chain)
{
	MILTERS	*mp;
	char	 list[256];
	EDITS	 e;

	memset(&e, 0, sizeof(e));
	snprintf(list, sizeof(list), "{ unix:/nonexistent/a, default_action = "
	    "quarantine, connect_timeout=1s }, { unix:/nonexistent/b, "
	    "default_action=accept }");
	mp = milter_create(list);
	PT_INTEQ(milter_count(mp), 2);
	milter_edit_callback(mp, &ed_ops, &e);
	PT_ASSERT(milter_conn_event(mp, "h", "1.2.3.4", 1, AF_INET) == NULL);
	PT_STREQ(e.log, "hold milter default_action=quarantine;");
	milter_free(mp);
	mp = milter_create("");
	PT_INTEQ(milter_count(mp), 0);
	PT_ASSERT(milter_conn_event(mp, "h", "1.2.3.4", 1, AF_INET) == NULL);
	milter_free(mp);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)getpid());
	mail_conf_read_flags(NULL, MAIL_CONF_NOFILE);
	milter_conf_init(&conf);
	conf.connect_timeout = 5;
	conf.command_timeout = 5;
	conf.content_timeout = 5;
	PT_RUN(steps_and_replies);
	PT_RUN(message_edits);
	PT_RUN(broken_milters);
	PT_RUN(chain);
	PT_RUN(rcpt_rej);
	PT_RUN(reply_codes);
	milter_conf_free(&conf);
	return PT_DONE();
}
