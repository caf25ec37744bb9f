/*
 * NAME
 *	smtp-source - parallel SMTP/LMTP load generator
 * SYNOPSIS
 *	smtp-source [-LPv] [-s sessions] [-m messages] [-l length]
 *	    [-r rcpts] [-n per-session] [-f sender] [-t recipient]
 *	    [-D domain[,domain...]] [-H helo] [-T timeout] host:port
 *	smtp-source [options] unix:/path
 * DESCRIPTION
 *	smtp-source sends messages messages of about length bytes each
 *	(default 1 message of 4096 bytes) over sessions parallel SMTP
 *	sessions (default 1) to host:port ("[::1]:25" for IPv6), or over a
 *	UNIX socket, and prints how long that took.
 *
 *	Each session says EHLO (LHLO with -L), and sends messages until the
 *	total is reached or it has sent per-session of them (-n; 0, the
 *	default, means no limit), then QUIT; a new session takes its place
 *	while messages remain. When the server offers PIPELINING (and -P is
 *	not given) MAIL, every RCPT and DATA go out in one write, as
 *	RFC 2920 allows. Content is sent with one writev() per message.
 *
 *	Options:
 *	-f sender	envelope sender (default bench@example.org).
 *	-t recipient	the recipient when -r is 1 and -D is not given
 *			(default rcpt@example.com).
 *	-D domains	recipient domains, comma-separated: recipient k of
 *			message i is u<k>@domain[i mod count].
 *	-r rcpts	recipients per message (default 1).
 *	-H helo		EHLO name (default smtp-source.example).
 *	-T timeout	seconds to wait for any read or write (default 60).
 *	-v		print each failed reply on stderr.
 *
 *	On exit it prints one line:
 *
 *	smtp-source: sessions=S messages=M sent=N errors=E bytes=B
 *	    elapsed=T rate=R msg/s
 *
 *	sent counts messages that got a 2xx reply after the content (in
 *	LMTP: for every accepted recipient); every other message counts
 *	as an error.
 * DIAGNOSTICS
 *	Exit status 0 when every message was sent, 1 when some were not,
 *	2 for a usage error. With -v, failed replies and connection errors
 *	are printed on stderr.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SRC_LINE_MAX	4096		/* reply line bound */
#define SRC_REPLY_LINES	100		/* lines per multi-line reply */
#define SRC_DOMAINS_MAX	64
#define SRC_RCPT_MAX	1000
#define SRC_SESS_MAX	1000

struct src_opts {
	int		 sessions;
	long		 messages;
	long		 length;
	int		 rcpts;
	long		 per_session;
	int		 lmtp;
	int		 nopipe;
	int		 verbose;
	int		 timeout;
	const char	*sender;
	const char	*rcpt;
	const char	*helo;
	char		*domains[SRC_DOMAINS_MAX];
	int		 ndomains;
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	char		*body;		/* shared content after the headers */
	size_t		 bodylen;
};

/* A session: its socket and a bounded read buffer. */
struct src_sess {
	int		 fd;
	int		 pipelining;
	size_t		 len;
	size_t		 pos;
	char		 buf[8192];
	char		 line[SRC_LINE_MAX + 1];
};

static struct src_opts opts;
static atomic_long src_next;
static atomic_long src_sent;
static atomic_long src_errors;
static atomic_llong src_bytes;

static void
src_usage(void)
{
	fprintf(stderr, "usage: smtp-source [-LPv] [-s sessions] "
	    "[-m messages] [-l length] [-r rcpts] [-n per-session]\n"
	    "\t[-f sender] [-t recipient] [-D domains] [-H helo] "
	    "[-T timeout] host:port | unix:/path\n");
	exit(2);
}

static void src_die(const char *, ...)
    __attribute__((format(printf, 1, 2)));

static void
src_die(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fprintf(stderr, "smtp-source: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void src_warn(const char *, ...)
    __attribute__((format(printf, 1, 2)));

static void
src_warn(const char *fmt, ...)
{
	va_list	 ap;

	if (!opts.verbose)
		return;
	va_start(ap, fmt);
	flockfile(stderr);
	fprintf(stderr, "smtp-source: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	funlockfile(stderr);
	va_end(ap);
}

static long
src_number(const char *arg, long min, long max)
{
	char	*end;
	long	 val;

	errno = 0;
	val = strtol(arg, &end, 10);
	if (errno || *end || end == arg || val < min || val > max)
		src_usage();
	return val;
}

/*
 * host:port, [v6addr]:port, or unix:/path. Host names are resolved:
 * a benchmark names a loopback address, never a remote one.
 */
static void
src_parse_addr(const char *spec)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)&opts.addr;
	struct addrinfo		 hints, *res;
	char			 host[256];
	const char		*port, *end;
	size_t			 hlen;

	if (strncmp(spec, "unix:", 5) == 0) {
		if (strlen(spec + 5) >= sizeof(sun->sun_path))
			src_die("socket path too long");
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, spec + 5);
		opts.addrlen = sizeof(*sun);
		return;
	}
	if (spec[0] == '[') {
		if ((end = strchr(spec, ']')) == NULL || end[1] != ':')
			src_usage();
		spec++;
		port = end + 2;
	} else {
		if ((end = strrchr(spec, ':')) == NULL)
			src_usage();
		port = end + 1;
	}
	if ((hlen = end - spec) >= sizeof(host))
		src_usage();
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		src_die("cannot resolve %s", spec);
	memcpy(&opts.addr, res->ai_addr, res->ai_addrlen);
	opts.addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

static int
src_connect(struct src_sess *s)
{
	struct timeval	 tv;
	int		 on = 1;

	s->len = s->pos = 0;
	s->pipelining = 0;
	if ((s->fd = socket(opts.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	tv.tv_sec = opts.timeout;
	tv.tv_usec = 0;
	(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (opts.addr.ss_family != AF_UNIX)
		(void)setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
	if (connect(s->fd, (struct sockaddr *)&opts.addr, opts.addrlen) < 0) {
		src_warn("connect: %s", strerror(errno));
		(void)close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

/*
 * One reply line into s->line (truncated at SRC_LINE_MAX), without its
 * line end. Returns -1 on EOF, error or time-out.
 */
static int
src_getline(struct src_sess *s)
{
	size_t	 n = 0;
	ssize_t	 got;
	char	 ch;

	for (;;) {
		if (s->pos == s->len) {
			got = read(s->fd, s->buf, sizeof(s->buf));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				return -1;
			s->len = got;
			s->pos = 0;
		}
		ch = s->buf[s->pos++];
		if (ch == '\n')
			break;
		if (n < SRC_LINE_MAX)
			s->line[n++] = ch;
	}
	if (n > 0 && s->line[n - 1] == '\r')
		n--;
	s->line[n] = '\0';
	return 0;
}

/*
 * Read a whole (multi-line) reply; return its code, -1 on I/O error.
 * While reading an EHLO reply, note PIPELINING.
 */
static int
src_reply(struct src_sess *s, int ehlo)
{
	int	 lines, code;

	for (lines = 0; lines < SRC_REPLY_LINES; lines++) {
		if (src_getline(s) < 0)
			return -1;
		if (strlen(s->line) < 3 || s->line[0] < '1' ||
		    s->line[0] > '5')
			return -1;
		code = atoi(s->line);
		if (ehlo && strlen(s->line) >= 14 &&
		    strncasecmp(s->line + 4, "PIPELINING", 10) == 0 &&
		    (s->line[14] == '\0' || s->line[14] == ' '))
			s->pipelining = 1;
		if (s->line[3] != '-')
			return code;
	}
	return -1;
}

static int
src_write(struct src_sess *s, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(s->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static int
src_writev(struct src_sess *s, struct iovec *iov, int cnt)
{
	ssize_t	 n;

	while (cnt > 0) {
		n = writev(s->fd, iov, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

/* Recipient k of message i. */
static void
src_rcpt(char *buf, size_t size, long i, int k)
{
	if (opts.ndomains > 0)
		snprintf(buf, size, "u%d@%s", k, opts.domains[i % opts.ndomains]);
	else if (opts.rcpts == 1)
		snprintf(buf, size, "%s", opts.rcpt);
	else
		snprintf(buf, size, "%d.%s", k, opts.rcpt);
}

/*
 * The header of message i into buf; its length.
 */
static int
src_headers(char *buf, size_t size, long i)
{
	char	 rcpt[512];
	int	 n;

	src_rcpt(rcpt, sizeof(rcpt), i, 1);
	n = snprintf(buf, size, "From: <%s>\r\nTo: <%s>\r\n"
	    "Subject: smtp-source message %ld\r\n"
	    "Message-ID: <%ld.%ld@smtp-source.example>\r\n\r\n",
	    opts.sender, rcpt, i, i, (long)getpid());
	if (n < 0 || (size_t)n >= size)
		src_die("headers too long");
	return n;
}

/*
 * The content after the headers: lines of 76 characters that never
 * start with a dot, filling the message up to about length bytes.
 */
static void
src_make_body(void)
{
	static const char alpha[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char	 hdr[2048];
	size_t	 want, i, hlen;

	hlen = src_headers(hdr, sizeof(hdr), opts.messages / 2);
	want = (size_t)opts.length > hlen + 2 ? (size_t)opts.length - hlen : 2;
	if ((opts.body = malloc(want + 80)) == NULL)
		src_die("out of memory");
	for (i = 0; i < want;) {
		size_t	 n = want - i > 78 ? 76 : (want - i > 2 ? want - i - 2 : 1);
		size_t	 j;

		for (j = 0; j < n; j++)
			opts.body[i + j] = alpha[(i / 78 + j) % (sizeof(alpha) - 1)];
		opts.body[i + n] = '\r';
		opts.body[i + n + 1] = '\n';
		i += n + 2;
	}
	opts.bodylen = i;
}

/*
 * The envelope commands of message i into buf: MAIL, RCPTs, DATA.
 * Returns the length, or -1 when they do not fit.
 */
static int
src_envelope(char *buf, size_t size, long i, size_t *offs)
{
	char	 rcpt[512];
	size_t	 len;
	int	 k, n;

	n = snprintf(buf, size, "MAIL FROM:<%s>\r\n", opts.sender);
	if (n < 0 || (size_t)n >= size)
		return -1;
	len = n;
	offs[0] = len;
	for (k = 0; k < opts.rcpts; k++) {
		src_rcpt(rcpt, sizeof(rcpt), i, k + 1);
		n = snprintf(buf + len, size - len, "RCPT TO:<%s>\r\n", rcpt);
		if (n < 0 || (size_t)n >= size - len)
			return -1;
		len += n;
		offs[k + 1] = len;
	}
	n = snprintf(buf + len, size - len, "DATA\r\n");
	if (n < 0 || (size_t)n >= size - len)
		return -1;
	return len + n;
}

static long
src_claim(void)
{
	long	 i = atomic_fetch_add(&src_next, 1);

	return i < opts.messages ? i : -1;
}

static void
src_fail(struct src_sess *s, const char *what, int code)
{
	if (code < 0)
		src_warn("%s: connection lost or timed out", what);
	else
		src_warn("%s: %s", what, s->line);
}

/*
 * Abandon a transaction that the server refused; -1 when even RSET
 * fails (the session is unusable).
 */
static int
src_rset(struct src_sess *s)
{
	if (src_write(s, "RSET\r\n", 6) < 0 || src_reply(s, 0) != 250)
		return -1;
	return 0;
}

/*
 * Send the envelope of message i. Returns the number of recipients
 * accepted and sets *data to the reply code of DATA (0 when DATA was not
 * sent); -1 when the session broke.
 */
static int
src_send_envelope(struct src_sess *s, char *env, long i, int *data)
{
	size_t	 offs[SRC_RCPT_MAX + 2];
	int	 len, k, code, ok = 0, mail;

	*data = 0;
	if ((len = src_envelope(env, 600 * (opts.rcpts + 2), i, offs)) < 0)
		src_die("envelope too long");
	if (s->pipelining) {
		if (src_write(s, env, len) < 0)
			return -1;
	} else if (src_write(s, env, offs[0]) < 0)
		return -1;
	if ((mail = src_reply(s, 0)) < 0)
		return -1;
	if (mail / 100 != 2)
		src_fail(s, "MAIL", mail);
	for (k = 0; k < opts.rcpts && (s->pipelining || mail / 100 == 2); k++) {
		if (!s->pipelining && src_write(s, env + offs[k],
		    offs[k + 1] - offs[k]) < 0)
			return -1;
		if ((code = src_reply(s, 0)) < 0)
			return -1;
		if (code / 100 == 2)
			ok++;
		else
			src_fail(s, "RCPT", code);
	}
	if (!s->pipelining && ok == 0)
		return 0;
	if (!s->pipelining && src_write(s, "DATA\r\n", 6) < 0)
		return -1;
	if ((*data = src_reply(s, 0)) < 0)
		return -1;
	return ok;
}

/*
 * Send the content of message i and read the verdict(s). Returns 1 when
 * it was accepted, 0 when refused, -1 when the session broke.
 */
static int
src_send_content(struct src_sess *s, long i, int accepted)
{
	struct iovec	 iov[3];
	char		 hdr[2048];
	int		 n, k, code, good = 1;

	n = src_headers(hdr, sizeof(hdr), i);
	iov[0].iov_base = hdr;
	iov[0].iov_len = n;
	iov[1].iov_base = opts.body;
	iov[1].iov_len = opts.bodylen;
	iov[2].iov_base = ".\r\n";
	iov[2].iov_len = 3;
	if (src_writev(s, iov, 3) < 0)
		return -1;
	for (k = 0; k < (opts.lmtp ? accepted : 1); k++) {
		if ((code = src_reply(s, 0)) < 0)
			return -1;
		if (code / 100 != 2) {
			src_fail(s, "end of data", code);
			good = 0;
		}
	}
	if (good)
		atomic_fetch_add(&src_bytes, n + opts.bodylen);
	return good;
}

/*
 * One message over an open session: 1 sent, 0 refused, -1 session lost.
 */
static int
src_transaction(struct src_sess *s, char *env, long i)
{
	int	 ok, data, r;

	if ((ok = src_send_envelope(s, env, i, &data)) < 0)
		return -1;
	if (data != 354) {
		if (data != 0)
			src_fail(s, "DATA", data);
		return src_rset(s) < 0 ? -1 : 0;
	}
	if (ok == 0) {
		/* 354 with no recipient: RFC 2920 says send just the dot. */
		if (src_write(s, ".\r\n", 3) < 0 || src_reply(s, 0) < 0)
			return -1;
		return 0;
	}
	r = src_send_content(s, i, ok);
	return r;
}

static int
src_hello(struct src_sess *s)
{
	char	 cmd[600];
	int	 code;

	if ((code = src_reply(s, 0)) != 220) {
		src_fail(s, "greeting", code);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "%s %s\r\n", opts.lmtp ? "LHLO" : "EHLO",
	    opts.helo);
	if (src_write(s, cmd, strlen(cmd)) < 0 ||
	    (code = src_reply(s, 1)) < 0)
		return -1;
	if (code == 250)
		return 0;
	src_fail(s, opts.lmtp ? "LHLO" : "EHLO", code);
	if (opts.lmtp)
		return -1;
	snprintf(cmd, sizeof(cmd), "HELO %s\r\n", opts.helo);
	if (src_write(s, cmd, strlen(cmd)) < 0 || src_reply(s, 0) != 250)
		return -1;
	return 0;
}

static void
src_count(int r)
{
	atomic_fetch_add(r > 0 ? &src_sent : &src_errors, 1);
}

/*
 * One session, starting with message first (already claimed).
 */
static void
src_session(struct src_sess *s, char *env, long first)
{
	long	 i = first, done = 0;
	int	 r = -1;

	if (src_connect(s) < 0 || src_hello(s) < 0)
		goto fail;
	if (opts.nopipe)
		s->pipelining = 0;
	for (;;) {
		if ((r = src_transaction(s, env, i)) < 0)
			goto fail;
		src_count(r);
		if (opts.per_session > 0 && ++done >= opts.per_session)
			break;
		if ((i = src_claim()) < 0)
			break;
	}
	if (src_write(s, "QUIT\r\n", 6) == 0)
		(void)src_reply(s, 0);
	(void)close(s->fd);
	return;
fail:
	src_count(-1);
	if (s->fd >= 0)
		(void)close(s->fd);
}

static void *
src_worker(void *arg)
{
	struct src_sess	*s;
	char		*env;
	long		 i;

	(void)arg;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (env = malloc(600 * (opts.rcpts + 2))) == NULL)
		src_die("out of memory");
	while ((i = src_claim()) >= 0)
		src_session(s, env, i);
	free(env);
	free(s);
	return NULL;
}

static void
src_add_domains(char *list)
{
	char	*d;

	while ((d = strsep(&list, ",")) != NULL) {
		if (*d == '\0')
			continue;
		if (opts.ndomains >= SRC_DOMAINS_MAX)
			src_die("too many domains (max %d)", SRC_DOMAINS_MAX);
		opts.domains[opts.ndomains++] = d;
	}
}

static void
src_options(int argc, char **argv)
{
	int	 ch;

	opts.sessions = 1;
	opts.messages = 1;
	opts.length = 4096;
	opts.rcpts = 1;
	opts.timeout = 60;
	opts.sender = "bench@example.org";
	opts.rcpt = "rcpt@example.com";
	opts.helo = "smtp-source.example";
	while ((ch = getopt(argc, argv, "D:f:H:l:Lm:n:Pr:s:t:T:v")) != -1) {
		switch (ch) {
		case 'D': src_add_domains(optarg); break;
		case 'f': opts.sender = optarg; break;
		case 'H': opts.helo = optarg; break;
		case 'l': opts.length = src_number(optarg, 0, 1L << 30); break;
		case 'L': opts.lmtp = 1; break;
		case 'm': opts.messages = src_number(optarg, 0, 1L << 40); break;
		case 'n': opts.per_session = src_number(optarg, 0, 1L << 40); break;
		case 'P': opts.nopipe = 1; break;
		case 'r': opts.rcpts = src_number(optarg, 1, SRC_RCPT_MAX); break;
		case 's': opts.sessions = src_number(optarg, 1, SRC_SESS_MAX); break;
		case 't': opts.rcpt = optarg; break;
		case 'T': opts.timeout = src_number(optarg, 1, 86400); break;
		case 'v': opts.verbose = 1; break;
		default: src_usage();
		}
	}
	if (argc - optind != 1)
		src_usage();
	if (strlen(opts.sender) > 400 || strlen(opts.rcpt) > 400 ||
	    strlen(opts.helo) > 400)
		src_die("address or name too long");
	src_parse_addr(argv[optind]);
}

int
main(int argc, char **argv)
{
	pthread_t	*tids;
	struct timespec	 t0, t1;
	double		 elapsed;
	int		 i, n;

	src_options(argc, argv);
	src_make_body();
	signal(SIGPIPE, SIG_IGN);
	n = opts.sessions < opts.messages ? opts.sessions : (int)opts.messages;
	if ((tids = calloc(n > 0 ? n : 1, sizeof(*tids))) == NULL)
		src_die("out of memory");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		if (pthread_create(&tids[i], NULL, src_worker, NULL) != 0)
			src_die("pthread_create failed");
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("smtp-source: sessions=%d messages=%ld sent=%ld errors=%ld "
	    "bytes=%lld elapsed=%.3f rate=%.1f msg/s\n", opts.sessions,
	    opts.messages, atomic_load(&src_sent), atomic_load(&src_errors),
	    (long long)atomic_load(&src_bytes), elapsed,
	    elapsed > 0 ? atomic_load(&src_sent) / elapsed : 0.0);
	free(tids);
	return atomic_load(&src_errors) == 0 &&
	    atomic_load(&src_sent) == opts.messages ? 0 : 1;
}
