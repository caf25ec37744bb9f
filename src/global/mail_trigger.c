/*
 * NAME
 *	mail_trigger - wake up and query local services
 * SYNOPSIS
 *	#include <mail_trigger.h>
 *
 *	int	 mail_trigger(const char *service);
 *	int	 mail_trigger_id(const char *service, const char *queue_id);
 *	VSTREAM	*mail_trigger_connect(const char *service, int timeout);
 *	const char *mail_trigger_path(VSTRING *buf, const char *service);
 * DESCRIPTION
 *	Services live in $queue_directory: "qmgr" means public/qmgr, a
 *	name with a slash ("private/bounce") is relative to the queue
 *	directory, and an absolute path is used as it is.
 *	mail_trigger_path() shows the mapping.
 *
 *	mail_trigger() sends "request=trigger" and an empty line (the
 *	attr(3) framing) and closes at once, without waiting for an answer:
 *	an anonymous trigger, "look at your queue". The service may be a
 *	UNIX stream socket or a fifo (master.cf type fifo). It never waits:
 *	the connect is non-blocking, a service whose listen queue is full
 *	fails with EAGAIN, and a service that is not running fails at once.
 *
 *	mail_trigger_id() names the message that was just committed:
 *	"request=trigger", "queue_id=<id>" (MAIL_TRIGGER_QUEUE_ID), so that
 *	the receiver (qmgr) can take exactly that message in without
 *	reading its queue directory. A null queue_id, or one that is not a
 *	valid message-id (qf_valid_id), sends an anonymous trigger. A
 *	receiver that does not know the attribute treats it as an
 *	anonymous trigger.
 *
 *	A lost trigger never loses mail: the message stays where it was
 *	committed, and the receiver's start-up scan, its periodic safety-net
 *	scan and the master's wakeup timer find it, only later. Failures are
 *	therefore logged only in verbose mode.
 *
 *	The connection of an id-carrying trigger to a socket stays open
 *	for the next one of the same process to the same service (a
 *	receiver reads several requests per connection): one send(2) per
 *	message instead of a connect and a close, and no accept(2) for the
 *	receiver. When a send on it fails (the receiver restarted or does
 *	not read) it is closed and a new connection is made at once.
 *
 *	mail_trigger_connect() opens a stream to a service for a longer
 *	conversation, with the stream time limit set to timeout, and the
 *	service path as the stream's peer name (for logging).
 * DIAGNOSTICS
 *	-1 (or null) with errno: ENOENT or ECONNREFUSED when the service is
 *	not running, ETIMEDOUT, EPROTO for a malformed reply.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"
#include "iostuff.h"
#include "mail_conf.h"
#include "mail_trigger.h"
#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"

#define MAIL_TRIGGER_TEXT	"request=trigger\n"

const char *
mail_trigger_path(VSTRING *buf, const char *service)
{
	if (*service == '/')
		vstring_strcpy(buf, service);
	else if (strchr(service, '/') != NULL)
		vstring_sprintf(buf, "%s/%s", conf_str("queue_directory"), service);
	else
		vstring_sprintf(buf, "%s/public/%s", conf_str("queue_directory"),
		    service);
	return vstring_str(buf);
}

/* Trigger through a fifo: one small write, atomic and non-blocking. */
static int
mail_trigger_fifo(const char *path, const char *text, size_t len)
{
	struct stat st;
	int	 fd, ret = -1, saved;

	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		errno = ECONNREFUSED;
	else if (write(fd, text, len) == (ssize_t)len)
		ret = 0;
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

/*
 * The connection of the last id-carrying trigger stays open for the
 * next one: a writer that commits message after message (smtpd, pickup)
 * then sends each trigger with one system call, and the receiver reads
 * it without accepting a connection. A send that fails (the receiver
 * restarted, or stopped reading) drops it and a new connection is made.
 */
static int kept_fd = -1;
static char *kept_path;

static void
mail_trigger_drop(void)
{
	if (kept_fd >= 0)
		(void)close(kept_fd);
	kept_fd = -1;
	myfree(kept_path);
	kept_path = NULL;
}

/* A child's copy of its parent's connection is not used. */
static void
mail_trigger_forked(void)
{
	mail_trigger_drop();
}

static void
mail_trigger_keep(const char *path, int fd)
{
	static int atfork;

	if (!atfork) {
		if (pthread_atfork(NULL, NULL, mail_trigger_forked) != 0) {
			(void)close(fd);
			return;
		}
		atfork = 1;
	}
	mail_trigger_drop();
	kept_fd = fd;
	kept_path = mystrdup(path);
}

static int
mail_trigger_kept(const char *path, const char *text, size_t len)
{
	if (kept_fd < 0)
		return -1;
	if (strcmp(kept_path, path) != 0) {
		mail_trigger_drop();
		return -1;
	}
	if (send(kept_fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
		return 0;
	mail_trigger_drop();
	return -1;
}

int
mail_trigger(const char *service)
{
	return mail_trigger_id(service, NULL);
}

int
mail_trigger_id(const char *service, const char *queue_id)
{
	VSTRING	*path = vstring_alloc(100), *why = vstring_alloc(100);
	char	 text[sizeof(MAIL_TRIGGER_TEXT) + sizeof(MAIL_TRIGGER_QUEUE_ID)
		    + QF_ID_LEN + 4];
	size_t	 len;
	int	 fd, ret = -1, saved = 0;

	if (queue_id != NULL && qf_valid_id(queue_id))
		len = (size_t)snprintf(text, sizeof(text), "%s%s=%s\n\n",
		    MAIL_TRIGGER_TEXT, MAIL_TRIGGER_QUEUE_ID, queue_id);
	else
		len = (size_t)snprintf(text, sizeof(text), "%s\n",
		    MAIL_TRIGGER_TEXT);
	mail_trigger_path(path, service);
	if (mail_trigger_kept(vstring_str(path), text, len) == 0) {
		ret = 0;
	} else if ((fd = unix_connect_nb(vstring_str(path), why)) < 0) {
		saved = errno;
		/* connect(2) to a fifo fails with ECONNREFUSED. */
		if (saved == ECONNREFUSED
		    && mail_trigger_fifo(vstring_str(path), text, len) == 0)
			ret = 0;
	} else {
		if (send(fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
			ret = 0;
		else
			vstring_sprintf(why, "write to %s: %s", vstring_str(path),
			    strerror(errno));
		saved = errno;
		if (ret == 0 && queue_id != NULL)
			mail_trigger_keep(vstring_str(path), fd);
		else
			close(fd);
	}
	if (ret < 0 && msg_verbose)
		msg_info("trigger %s: %s", service, vstring_str(why));
	vstring_free(path);
	vstring_free(why);
	errno = saved;
	return ret;
}

VSTREAM *
mail_trigger_connect(const char *service, int timeout)
{
	VSTRING	*path = vstring_alloc(100), *why = vstring_alloc(100);
	VSTREAM	*sp = NULL;
	int	 fd, saved;

	mail_trigger_path(path, service);
	if ((fd = unix_connect(vstring_str(path), timeout, why)) >= 0) {
		sp = vstream_fdopen(fd, VSTREAM_FLAG_RW);
		vstream_set_timeout(sp, timeout);
		vstream_set_peer(sp, vstring_str(path));
	} else if (msg_verbose) {
		msg_info("%s", vstring_str(why));
	}
	saved = errno;
	vstring_free(path);
	vstring_free(why);
	errno = saved;
	return sp;
}

