/*
 * NAME
 *	fuzz_util - helpers shared by the fuzz harnesses
 * SYNOPSIS
 *	#include "fuzz.h"
 *
 *	void fuzz_init(const char *name);
 *	const char *fuzz_tmpdir(void);
 *	char *fuzz_strdup(const uint8_t *data, size_t len);
 *	int fuzz_write_file(const char *path, const void *data, size_t len);
 *	VSTREAM *fuzz_stream(const uint8_t *data, size_t len, size_t chunk,
 *	    VSTRING *out);
 *	void fuzz_stream_attach(VSTREAM *stream, const uint8_t *data,
 *	    size_t len, size_t chunk, VSTRING *out);
 *	int fuzz_devnull(void);
 *	void fuzz_main_cf_load(const char *text);
 *	QF_MSG *fuzz_queue_file(const char *queue_dir, const void *content,
 *	    size_t len, int flags);
 *	int fuzz_peer_listen(const char *path);
 *	void fuzz_peer_start(int listen_fd, const uint8_t *data, size_t len);
 *	void fuzz_peer_stop(void);
 *	int fuzz_queue_empty(const char *queue_dir, const char *sub);
 *	void fuzz_smtp_replies(const char *text, size_t len);
 * DESCRIPTION
 *	fuzz_init() sets up a harness process: log lines are formatted but
 *	written nowhere (a fuzzer runs millions of inputs), msg_fatal()
 *	longjmps to fuzz_jmp while a harness has armed it (FUZZ_ARM) and
 *	a private temporary directory is made (removed with its contents
 *	at exit). Set POSTERN_FUZZ_LOG=1 to see the log on stderr.
 *
 *	fuzz_strdup() copies an input into a null-terminated string (an
 *	input's NUL bytes end it, as they would end a C string read from
 *	the wire).
 *
 *	fuzz_stream() returns a VSTREAM over /dev/null whose I/O hooks
 *	(vstream_set_io) read from the input and collect what is written:
 *	the code under test runs unchanged, with no network.
 *	fuzz_stream_attach() puts the same hooks on an existing stream;
 *	fuzz_devnull() opens /dev/null for the descriptor such streams
 *	need.
 *
 *	fuzz_main_cf_load() writes a main.cf into the private directory,
 *	with queue_directory below it and then text, and reads it
 *	(mail_conf_read(), mail_conf_check()).
 *
 *	fuzz_queue_file() commits a message to incoming/ of queue_dir, from
 *	sender@example.net to user@example.com with content (len bytes,
 *	none when 0), with a DSN ENVID and RET=HDRS (FUZZ_QF_DSN) and
 *	SMTPUTF8 (FUZZ_QF_UTF8) when asked, and opens it read-only: the
 *	queue file the smtp harnesses deliver.
 *
 *	fuzz_peer_listen() makes a UNIX-domain socket listen at path (in
 *	the private directory). fuzz_peer_start() starts a thread that
 *	plays the server a client under test talks to (a milter, a table
 *	server): it accepts connections one at a time and sends each what
 *	is left of data, then closes its sending side and reads (and
 *	drops) until the client closes, so the client sees the input as the
 *	server's replies, cut wherever it ends. fuzz_peer_stop() ends the
 *	thread; call it after the client closed its connections. One peer
 *	at a time.
 *
 *	fuzz_queue_empty() removes the files of one subdirectory of a
 *	queue directory and returns how many there were (a file left in
 *	tmp/ is a writer that was neither committed nor aborted).
 *	fuzz_smtp_replies() aborts unless text (what an SMTP server wrote)
 *	is a series of well-formed reply lines: three digits, a space or a
 *	hyphen, printable text, CRLF.
 * DIAGNOSTICS
 *	Setup failures abort: a harness that cannot run must not pass.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "fuzz.h"

jmp_buf	 fuzz_jmp;
volatile int fuzz_armed;
volatile int fuzz_fatals;

static char fuzz_dir[256];
static const char *fuzz_name = "fuzz";
static pid_t fuzz_owner;

static void
fuzz_fatal(int status)
{
	if (fuzz_armed) {
		fuzz_armed = 0;
		fuzz_fatals++;
		longjmp(fuzz_jmp, 1);
	}
}

/* Remove the temporary directory tree (two levels are enough here). */
static void
fuzz_rmtree(const char *path, int depth)
{
	DIR	*dir;
	struct dirent *de;
	char	 sub[1024];
	struct stat st;

	if ((dir = opendir(path)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			if (depth < 4 && lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
				fuzz_rmtree(sub, depth + 1);
			else
				(void)unlink(sub);
		}
		closedir(dir);
	}
	(void)rmdir(path);
}

static void
fuzz_cleanup(void)
{
	if (fuzz_dir[0] && getpid() == fuzz_owner)
		fuzz_rmtree(fuzz_dir, 0);
}

void
fuzz_init(const char *name)
{
	const char *tmp = getenv("TMPDIR");

	fuzz_name = name;
	msg_init("postern", name);
	if (getenv("POSTERN_FUZZ_LOG") == NULL)
		msg_to_stderr(0);
	msg_fatal_hook(fuzz_fatal);
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/postern-fuzz-%s.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp", name);
	if (mkdtemp(fuzz_dir) == NULL) {
		perror(fuzz_dir);
		abort();
	}
	fuzz_owner = getpid();
	atexit(fuzz_cleanup);
}

const char *
fuzz_tmpdir(void)
{
	return fuzz_dir;
}

char *
fuzz_strdup(const uint8_t *data, size_t len)
{
	char	*s = mymalloc(len + 1);

	memcpy(s, data, len);
	s[len] = 0;
	return s;
}

int
fuzz_write_file(const char *path, const void *data, size_t len)
{
	int	 fd;
	ssize_t	 n = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return -1;
	if (len > 0)
		n = write(fd, data, len);
	if (close(fd) < 0 || n != (ssize_t)len)
		return -1;
	return 0;
}

/* The I/O hooks of fuzz_stream(). */
typedef struct FUZZ_IO {
	const uint8_t *data;
	size_t	 len, pos, chunk;
	VSTRING	*out;
} FUZZ_IO;

static ssize_t
fuzz_read(int fd, void *buf, size_t len, int timeout, void *ctx)
{
	FUZZ_IO	*io = ctx;
	size_t	 n = io->len - io->pos;

	if (n > len)
		n = len;
	if (io->chunk > 0 && n > io->chunk)
		n = io->chunk;
	memcpy(buf, io->data + io->pos, n);
	io->pos += n;
	return (ssize_t)n;
}

static ssize_t
fuzz_write(int fd, void *buf, size_t len, int timeout, void *ctx)
{
	FUZZ_IO	*io = ctx;

	if (io->out)
		vstring_memcat(io->out, buf, len);
	return (ssize_t)len;
}

/*
 * The contexts are static so that a stream closed by the code under test
 * leaves nothing behind; a harness has at most FUZZ_STREAMS streams open.
 */
#define FUZZ_STREAMS	4

void
fuzz_stream_attach(VSTREAM *sp, const uint8_t *data, size_t len, size_t chunk,
    VSTRING *out)
{
	static FUZZ_IO ios[FUZZ_STREAMS];
	static unsigned next;
	FUZZ_IO	*io = &ios[next++ % FUZZ_STREAMS];

	io->data = data;
	io->len = len;
	io->pos = 0;
	io->chunk = chunk;
	io->out = out;
	vstream_set_io(sp, fuzz_read, fuzz_write, io);
}

VSTREAM *
fuzz_stream(const uint8_t *data, size_t len, size_t chunk, VSTRING *out)
{
	VSTREAM	*sp;

	sp = vstream_fdopen(fuzz_devnull(), VSTREAM_FLAG_RW);
	fuzz_stream_attach(sp, data, len, chunk, out);
	return sp;
}

int
fuzz_devnull(void)
{
	int	 fd;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		perror("/dev/null");
		abort();
	}
	return fd;
}

void
fuzz_main_cf_load(const char *text)
{
	VSTRING	*path = vstring_alloc(100), *cf = vstring_alloc(1024);

	vstring_sprintf(cf, "queue_directory = %s/queue\n%s", fuzz_tmpdir(),
	    text);
	vstring_sprintf(path, "%s/main.cf", fuzz_tmpdir());
	if (fuzz_write_file(vstring_str(path), vstring_str(cf),
	    vstring_len(cf)) < 0)
		abort();
	mail_conf_read(fuzz_tmpdir());
	mail_conf_check();
	vstring_free(path);
	vstring_free(cf);
}

QF_MSG *
fuzz_queue_file(const char *queue_dir, const void *content, size_t len,
    int flags)
{
	VSTRING	*why = vstring_alloc(100);
	QF_WRITER *w;
	QF_MSG	*msg;
	char	 id[QF_ID_LEN + 1];

	if ((w = qf_create(queue_dir, why)) == NULL)
		goto fail;
	qf_set_sender(w, "sender@example.net");
	qf_set_family(w, AF_INET);
	qf_set_origin(w, "smtp");
	if (flags & FUZZ_QF_DSN)
		qf_set_dsn(w, "envid+1", QF_RET_HDRS);
	if (flags & FUZZ_QF_UTF8)
		qf_set_attr(w, "smtputf8", "1");
	qf_add_rcpt(w, "user@example.com", NULL, 0);
	if (len > 0 && qf_write_content(w, content, len) < 0)
		goto fail;
	snprintf(id, sizeof(id), "%s", qf_writer_id(w));
	if (qf_commit(w, QF_INCOMING, why) < 0)
		goto fail;
	if ((msg = qf_open(queue_dir, QF_INCOMING, id, QF_OPEN_RDONLY, why)) == NULL)
		goto fail;
	vstring_free(why);
	return msg;
fail:
	fprintf(stderr, "%s: queue file: %s\n", fuzz_name, vstring_str(why));
	abort();
}

/* The server thread of fuzz_peer_start(). */
static struct {
	pthread_t tid;
	int	 listen_fd;
	int	 stop[2];		/* a byte on stop[1] ends the thread */
	const uint8_t *data;
	size_t	 len, off;
} fuzz_peer;

static void *
fuzz_peer_main(void *arg)
{
	struct pollfd pfd[2];
	char	 buf[4096];
	ssize_t	 n;
	int	 fd;

	pfd[0].fd = fuzz_peer.listen_fd;
	pfd[1].fd = fuzz_peer.stop[0];
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			abort();
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN)
		    || (fd = accept(fuzz_peer.listen_fd, NULL, NULL)) < 0)
			continue;
		while (fuzz_peer.off < fuzz_peer.len) {
			n = send(fd, fuzz_peer.data + fuzz_peer.off,
			    fuzz_peer.len - fuzz_peer.off, MSG_NOSIGNAL);
			if (n <= 0)
				break;
			fuzz_peer.off += (size_t)n;
		}
		(void)shutdown(fd, SHUT_WR);
		while (read(fd, buf, sizeof(buf)) > 0)
			 /* what the client sends is dropped */ ;
		(void)close(fd);
	}
	return NULL;
}

int
fuzz_peer_listen(const char *path)
{
	struct sockaddr_un sun;
	int	 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		abort();
	memcpy(sun.sun_path, path, strlen(path) + 1);
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0
	    || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0
	    || listen(fd, 5) < 0)
		abort();
	return fd;
}

void
fuzz_peer_start(int listen_fd, const uint8_t *data, size_t len)
{
	fuzz_peer.listen_fd = listen_fd;
	fuzz_peer.data = data;
	fuzz_peer.len = len;
	fuzz_peer.off = 0;
	if (pipe(fuzz_peer.stop) < 0
	    || pthread_create(&fuzz_peer.tid, NULL, fuzz_peer_main, NULL) != 0)
		abort();
}

void
fuzz_peer_stop(void)
{
	if (write(fuzz_peer.stop[1], "", 1) != 1)
		abort();
	pthread_join(fuzz_peer.tid, NULL);
	(void)close(fuzz_peer.stop[0]);
	(void)close(fuzz_peer.stop[1]);
}

int
fuzz_queue_empty(const char *queue_dir, const char *sub)
{
	VSTRING	*path = vstring_alloc(100);
	struct dirent *de;
	DIR	*dir;
	int	 count = 0;

	vstring_sprintf(path, "%s/%s", queue_dir, sub);
	if ((dir = opendir(vstring_str(path))) == NULL)
		abort();
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		vstring_sprintf(path, "%s/%s/%s", queue_dir, sub, de->d_name);
		(void)unlink(vstring_str(path));
		count++;
	}
	closedir(dir);
	vstring_free(path);
	return count;
}

void
fuzz_smtp_replies(const char *s, size_t len)
{
	size_t	 i, start;

	for (start = 0; start < len; start = i + 2) {
		for (i = start; i < len && s[i] != '\r' && s[i] != '\n'; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				goto bad;
		if (i + 1 >= len || s[i] != '\r' || s[i + 1] != '\n')
			goto bad;
		if (i - start < 4 || s[start] < '2' || s[start] > '5'
		    || s[start + 1] < '0' || s[start + 1] > '9'
		    || s[start + 2] < '0' || s[start + 2] > '9'
		    || (s[start + 3] != ' ' && s[start + 3] != '-'))
			goto bad;
	}
	return;
bad:
	fprintf(stderr, "%s: malformed reply at offset %zu: %.*s\n", fuzz_name,
	    start, (int)(len - start > 200 ? 200 : len - start), s + start);
	abort();
}
