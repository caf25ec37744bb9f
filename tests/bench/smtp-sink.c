/*
 * NAME
 *	smtp-sink - fast SMTP/LMTP sink for benchmarks and tests
 * SYNOPSIS
 *	smtp-sink [-LQ] [-n count] [-c maxconn] -l addr:port
 *	smtp-sink [-L] [-n count] [-c maxconn] -u path
 * DESCRIPTION
 *	smtp-sink listens on a TCP address (a loopback address in every
 *	Postern test; "[::1]:port" for IPv6, port 0 lets the kernel pick)
 *	or on a UNIX socket path, speaks enough SMTP (or LMTP with -L) for
 *	a mail transfer agent to deliver to it, and throws every message
 *	away after counting it. It answers 250 at once and writes nothing
 *	to disk, so that a benchmark measures the sender, not the sink.
 *
 *	It is one process with one epoll loop: it uses little CPU, and
 *	handles pipelined commands (it offers PIPELINING) and any number
 *	of parallel sessions up to -c (default 1000; further ones get 421).
 *
 *	Options:
 *	-l addr:port	listen on this TCP address.
 *	-u path		listen on this UNIX socket (removed first if it exists).
 *	-L		speak LMTP: LHLO, and one reply per recipient after DATA.
 *	-n count	exit (status 0) once count messages have been received.
 *	-c maxconn	at most this many simultaneous sessions.
 *	-Q		quick ACKs: turn off delayed ACKs on every read
 *			(TCP_QUICKACK). This hides a sender's Nagle stalls
 *			(a small write held back until the peer ACKs), so
 *			that comparing runs with and without -Q shows what
 *			such stalls cost; real receivers do delay ACKs.
 *
 *	On start it prints "smtp-sink: listening on addr:port" (with the
 *	real port when 0 was asked for), then flushes stdout. On SIGUSR1 it
 *	prints a count line, on SIGTERM or SIGINT (or after -n messages) a
 *	summary line, and exits:
 *
 *	smtp-sink: messages=N recipients=R bytes=B connections=C elapsed=S
 *
 *	bytes counts the message content as sent on the wire, before
 *	dot-unstuffing, excluding the final ".".
 * DIAGNOSTICS
 *	Usage errors and a failure to listen: a message on stderr, exit 2.
 *	A misbehaving peer is answered with an SMTP error or disconnected;
 *	it never stops the sink.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SINK_LINE_MAX	4096		/* command line bound */
#define SINK_INBUF	65536		/* read buffer per session */
#define SINK_OUTBUF	131072		/* pending replies per session */
#define SINK_OUT_HIGH	32768		/* stop parsing input above this */
#define SINK_RCPT_MAX	1000		/* recipients per transaction */

enum sink_state { SINK_CMD, SINK_DATA, SINK_QUIT };

/* Scanner states in DATA: where we are relative to a line start. */
enum sink_dot { DOT_BOL, DOT_DOT, DOT_DOTCR, DOT_MID, DOT_CR };

struct sink_conn {
	int		 fd;
	enum sink_state	 state;
	enum sink_dot	 dot;
	int		 have_mail;
	int		 rcpts;
	int		 wantout;	/* EPOLLOUT armed */
	unsigned long long msgbytes;
	size_t		 inlen;
	size_t		 outlen;
	char		 in[SINK_INBUF];
	char		 out[SINK_OUTBUF];
};

struct sink {
	int		 lfd;
	int		 epfd;
	int		 lmtp;
	int		 quickack;
	int		 nconn;
	int		 maxconn;
	unsigned long long limit;
	unsigned long long messages;
	unsigned long long recipients;
	unsigned long long bytes;
	unsigned long long connections;
	struct timespec	 start;
};

static volatile sig_atomic_t sink_got_usr1;
static volatile sig_atomic_t sink_got_term;

static void
sink_usage(void)
{
	fprintf(stderr, "usage: smtp-sink [-LQ] [-n count] [-c maxconn] "
	    "-l addr:port | -u path\n");
	exit(2);
}

static void sink_die(const char *, ...)
    __attribute__((format(printf, 1, 2)));

static void
sink_die(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fprintf(stderr, "smtp-sink: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void
sink_signal(int sig)
{
	if (sig == SIGUSR1)
		sink_got_usr1 = 1;
	else
		sink_got_term = 1;
}

static void
sink_report(struct sink *sk, const char *what)
{
	struct timespec	 now;
	double		 elapsed;

	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (now.tv_sec - sk->start.tv_sec) +
	    (now.tv_nsec - sk->start.tv_nsec) / 1e9;
	printf("smtp-sink: %s messages=%llu recipients=%llu bytes=%llu "
	    "connections=%llu elapsed=%.3f\n", what, sk->messages,
	    sk->recipients, sk->bytes, sk->connections, elapsed);
	fflush(stdout);
}

/*
 * Parse "addr:port" or "[addr]:port" into a socket address.
 */
static int
sink_parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo	 hints, *res;
	char		 host[256];
	const char	*port, *end;
	size_t		 hlen;

	if (spec[0] == '[') {
		if ((end = strchr(spec, ']')) == NULL || end[1] != ':')
			return -1;
		hlen = end - spec - 1;
		spec++;
		port = end + 2;
	} else {
		if ((end = strrchr(spec, ':')) == NULL)
			return -1;
		hlen = end - spec;
		port = end + 1;
	}
	if (hlen >= sizeof(host))
		return -1;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
sink_listen_tcp(const char *spec)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 host[INET6_ADDRSTRLEN], serv[16];
	int			 fd, on = 1;

	if (sink_parse_addr(spec, &ss, &len) < 0)
		sink_die("bad address \"%s\" (want addr:port)", spec);
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		sink_die("socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		sink_die("bind %s: %s", spec, strerror(errno));
	if (listen(fd, 1024) < 0)
		sink_die("listen: %s", strerror(errno));
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host),
	    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		sink_die("getsockname: %s", strerror(errno));
	printf(ss.ss_family == AF_INET6 ? "smtp-sink: listening on [%s]:%s\n"
	    : "smtp-sink: listening on %s:%s\n", host, serv);
	fflush(stdout);
	return fd;
}

static int
sink_listen_unix(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		sink_die("socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		sink_die("socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		sink_die("bind %s: %s", path, strerror(errno));
	if (listen(fd, 1024) < 0)
		sink_die("listen: %s", strerror(errno));
	printf("smtp-sink: listening on unix:%s\n", path);
	fflush(stdout);
	return fd;
}

/*
 * Queue a reply; a peer that never reads (so that replies pile up past
 * the buffer) is cut off.
 */
static int
sink_reply(struct sink_conn *c, const char *text)
{
	size_t	 len = strlen(text);

	if (c->outlen + len > sizeof(c->out))
		return -1;
	memcpy(c->out + c->outlen, text, len);
	c->outlen += len;
	return 0;
}

static void
sink_close(struct sink *sk, struct sink_conn *c)
{
	(void)epoll_ctl(sk->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	(void)close(c->fd);
	free(c);
	sk->nconn--;
}

/*
 * One non-blocking read (out 0) or write (out 1), repeated on EINTR: the
 * bytes moved, 0 when it would block, -1 at end of file or on an error.
 */
static ssize_t
sink_rw(int fd, char *buf, size_t len, int out)
{
	ssize_t	 n;

	do
		n = out ? write(fd, buf, len) : read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return n > 0 ? n : -1;
}

/*
 * Write pending replies. Returns -1 when the session is over (error or
 * QUIT answered), 0 otherwise; arms EPOLLOUT while output is pending.
 */
static int
sink_flush(struct sink *sk, struct sink_conn *c)
{
	struct epoll_event	 ev;
	ssize_t			 n;
	int			 want;

	while (c->outlen > 0) {
		if ((n = sink_rw(c->fd, c->out, c->outlen, 1)) < 0)
			return -1;
		if (n == 0)
			break;
		memmove(c->out, c->out + n, c->outlen - n);
		c->outlen -= n;
	}
	if (c->outlen == 0 && c->state == SINK_QUIT)
		return -1;
	want = c->outlen > 0;
	if (want != c->wantout) {
		ev.events = want ? EPOLLOUT : EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(sk->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
			return -1;
		c->wantout = want;
	}
	return 0;
}

static int
sink_ehlo(struct sink *sk, struct sink_conn *c, int lhlo)
{
	if (lhlo != sk->lmtp)
		return sink_reply(c, lhlo ? "500 5.5.1 this is SMTP\r\n" :
		    "500 5.5.1 this is LMTP, say LHLO\r\n");
	c->have_mail = 0;
	c->rcpts = 0;
	return sink_reply(c, "250-smtp-sink\r\n250-PIPELINING\r\n"
	    "250-8BITMIME\r\n250-SIZE 0\r\n250 ENHANCEDSTATUSCODES\r\n");
}

static int
sink_data(struct sink_conn *c)
{
	if (!c->have_mail)
		return sink_reply(c, "503 5.5.1 MAIL first\r\n");
	if (c->rcpts == 0)
		return sink_reply(c, "554 5.5.1 no valid recipients\r\n");
	c->state = SINK_DATA;
	c->dot = DOT_BOL;
	c->msgbytes = 0;
	return sink_reply(c, "354 End data with <CR><LF>.<CR><LF>\r\n");
}

static int
sink_verb(const char *line, size_t len, const char *verb)
{
	size_t	 vlen = strlen(verb);

	return len >= vlen && strncasecmp(line, verb, vlen) == 0 &&
	    (len == vlen || line[vlen] == ' ' || line[vlen] == ':');
}

/*
 * One command line (without its line end).
 */
static int
sink_command(struct sink *sk, struct sink_conn *c, const char *line,
    size_t len)
{
	if (sink_verb(line, len, "EHLO"))
		return sink_ehlo(sk, c, 0);
	if (sink_verb(line, len, "LHLO"))
		return sink_ehlo(sk, c, 1);
	if (sink_verb(line, len, "HELO"))
		return sk->lmtp ? sink_reply(c, "500 5.5.1 say LHLO\r\n") :
		    sink_reply(c, "250 smtp-sink\r\n");
	if (sink_verb(line, len, "MAIL")) {
		if (c->have_mail)
			return sink_reply(c, "503 5.5.1 nested MAIL\r\n");
		c->have_mail = 1;
		c->rcpts = 0;
		return sink_reply(c, "250 2.1.0 Ok\r\n");
	}
	if (sink_verb(line, len, "RCPT")) {
		if (!c->have_mail)
			return sink_reply(c, "503 5.5.1 MAIL first\r\n");
		if (c->rcpts >= SINK_RCPT_MAX)
			return sink_reply(c, "452 4.5.3 too many recipients\r\n");
		c->rcpts++;
		return sink_reply(c, "250 2.1.5 Ok\r\n");
	}
	if (sink_verb(line, len, "DATA"))
		return sink_data(c);
	if (sink_verb(line, len, "RSET")) {
		c->have_mail = 0;
		c->rcpts = 0;
		return sink_reply(c, "250 2.0.0 Ok\r\n");
	}
	if (sink_verb(line, len, "NOOP"))
		return sink_reply(c, "250 2.0.0 Ok\r\n");
	if (sink_verb(line, len, "QUIT")) {
		c->state = SINK_QUIT;
		return sink_reply(c, "221 2.0.0 Bye\r\n");
	}
	return sink_reply(c, "502 5.5.2 command not implemented\r\n");
}

/*
 * The end of a message: count it, and answer once (SMTP) or once per
 * recipient (LMTP).
 */
static int
sink_message(struct sink *sk, struct sink_conn *c)
{
	char	 buf[64];
	int	 i;

	sk->messages++;
	sk->recipients += c->rcpts;
	sk->bytes += c->msgbytes;
	c->state = SINK_CMD;
	c->have_mail = 0;
	snprintf(buf, sizeof(buf), "250 2.0.0 Ok: queued as %llu\r\n",
	    sk->messages);
	if (!sk->lmtp)
		return sink_reply(c, buf);
	for (i = 0; i < c->rcpts; i++)
		if (sink_reply(c, buf) < 0)
			return -1;
	return 0;
}

/*
 * Scan message content for the CRLF.CRLF that ends it. Returns the
 * number of bytes consumed; sets *done when the end was found.
 */
static size_t
sink_scan(struct sink_conn *c, const char *p, size_t len, int *done)
{
	const char	*cr;
	size_t		 i = 0;

	*done = 0;
	while (i < len) {
		if (c->dot == DOT_MID) {
			if ((cr = memchr(p + i, '\r', len - i)) == NULL) {
				i = len;
				break;
			}
			i = cr - p;
		}
		switch (c->dot) {
		case DOT_BOL:
			c->dot = p[i] == '.' ? DOT_DOT :
			    p[i] == '\r' ? DOT_CR : DOT_MID;
			break;
		case DOT_DOT:
			c->dot = p[i] == '\r' ? DOT_DOTCR : DOT_MID;
			break;
		case DOT_DOTCR:
			if (p[i] == '\n') {
				*done = 1;
				/* The content excludes the final ".\r\n". */
				c->msgbytes += i + 1;
				c->msgbytes -= 3;
				return i + 1;
			}
			c->dot = p[i] == '\r' ? DOT_CR : DOT_MID;
			break;
		case DOT_MID:
		case DOT_CR:
			c->dot = p[i] == '\n' && c->dot == DOT_CR ? DOT_BOL :
			    p[i] == '\r' ? DOT_CR : DOT_MID;
			break;
		}
		i++;
	}
	c->msgbytes += len;
	return len;
}

/*
 * Handle what was read: content and command lines, in order.
 * Returns -1 to drop the session.
 */
static int
sink_input(struct sink *sk, struct sink_conn *c)
{
	size_t	 pos = 0, used;
	char	*nl;
	int	 done;

	while (pos < c->inlen && c->state != SINK_QUIT &&
	    c->outlen < SINK_OUT_HIGH) {
		if (c->state == SINK_DATA) {
			used = sink_scan(c, c->in + pos, c->inlen - pos, &done);
			pos += used;
			if (done && sink_message(sk, c) < 0)
				return -1;
			continue;
		}
		nl = memchr(c->in + pos, '\n', c->inlen - pos);
		if (nl == NULL) {
			if (c->inlen - pos > SINK_LINE_MAX)
				return -1;
			break;
		}
		used = nl - (c->in + pos);
		if (used > SINK_LINE_MAX)
			return -1;
		if (sink_command(sk, c, c->in + pos,
		    used > 0 && nl[-1] == '\r' ? used - 1 : used) < 0)
			return -1;
		pos += used + 1;
	}
	memmove(c->in, c->in + pos, c->inlen - pos);
	c->inlen -= pos;
	return 0;
}

static int
sink_readable(struct sink *sk, struct sink_conn *c)
{
	ssize_t	 n;

	if (c->wantout)
		return sink_flush(sk, c);
	/* Input left over while replies were pending comes first. */
	if (c->inlen > 0) {
		if (sink_input(sk, c) < 0)
			return -1;
		if (c->outlen > 0)
			return sink_flush(sk, c);
	}
	for (;;) {
		n = sink_rw(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		c->inlen += n;
		if (sk->quickack)
			(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK,
			    &sk->quickack, sizeof(sk->quickack));
		if (sink_input(sk, c) < 0)
			return -1;
		if (c->outlen > 0 || c->state == SINK_QUIT)
			break;
	}
	return sink_flush(sk, c);
}

static void
sink_accept(struct sink *sk)
{
	struct epoll_event	 ev;
	struct sink_conn	*c;
	int			 fd, on = 1;

	while ((fd = accept4(sk->lfd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		sk->connections++;
		if (sk->nconn >= sk->maxconn) {
			(void)write(fd, "421 4.3.2 too many sessions\r\n", 29);
			(void)close(fd);
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if ((c = calloc(1, sizeof(*c))) == NULL)
			sink_die("out of memory");
		c->fd = fd;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(sk->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			sink_die("epoll_ctl: %s", strerror(errno));
		sk->nconn++;
		(void)sink_reply(c, sk->lmtp ? "220 smtp-sink LMTP\r\n" :
		    "220 smtp-sink ESMTP\r\n");
		if (sink_flush(sk, c) < 0)
			sink_close(sk, c);
	}
}

static void
sink_loop(struct sink *sk, const sigset_t *waitmask)
{
	struct epoll_event	 evs[64];
	struct sink_conn	*c;
	int			 i, n;

	for (;;) {
		if (sink_got_usr1) {
			sink_got_usr1 = 0;
			sink_report(sk, "count");
		}
		if (sink_got_term)
			break;
		if (sk->limit > 0 && sk->messages >= sk->limit)
			break;
		n = epoll_pwait(sk->epfd, evs, 64, -1, waitmask);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			sink_die("epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				sink_accept(sk);
				continue;
			}
			c = evs[i].data.ptr;
			if (sink_readable(sk, c) < 0)
				sink_close(sk, c);
		}
	}
}

static void
sink_setup_signals(sigset_t *waitmask)
{
	struct sigaction	 sa;
	sigset_t		 block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sink_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGUSR1, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	/* Signals arrive only inside epoll_pwait(): no lost wake-ups. */
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGUSR1);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
}

int
main(int argc, char **argv)
{
	struct sink		 sk;
	struct epoll_event	 ev;
	sigset_t		 waitmask;
	const char		*tcp = NULL, *path = NULL;
	char			*end;
	int			 ch;

	memset(&sk, 0, sizeof(sk));
	sk.maxconn = 1000;
	while ((ch = getopt(argc, argv, "c:l:Ln:Qu:")) != -1) {
		switch (ch) {
		case 'c':
			sk.maxconn = strtol(optarg, &end, 10);
			if (*end || sk.maxconn < 1 || sk.maxconn > 100000)
				sink_usage();
			break;
		case 'l':
			tcp = optarg;
			break;
		case 'L':
			sk.lmtp = 1;
			break;
		case 'n':
			sk.limit = strtoull(optarg, &end, 10);
			if (*end || optarg[0] == '-')
				sink_usage();
			break;
		case 'Q':
			sk.quickack = 1;
			break;
		case 'u':
			path = optarg;
			break;
		default:
			sink_usage();
		}
	}
	if (optind != argc || (tcp == NULL) == (path == NULL))
		sink_usage();
	sink_setup_signals(&waitmask);
	sk.lfd = tcp ? sink_listen_tcp(tcp) : sink_listen_unix(path);
	if ((sk.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		sink_die("epoll_create1: %s", strerror(errno));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(sk.epfd, EPOLL_CTL_ADD, sk.lfd, &ev) < 0)
		sink_die("epoll_ctl: %s", strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &sk.start);
	sink_loop(&sk, &waitmask);
	sink_report(&sk, "total");
	if (path != NULL)
		(void)unlink(path);
	return 0;
}
