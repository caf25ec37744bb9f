/*
 * NAME
 *	deliver_serve - a delivery agent's side of a queue manager connection
 * SYNOPSIS
 *	#include <deliver_serve.h>
 *
 *	void	deliver_serve(VSTREAM *client, int timeout,
 *		    void (*wait)(VSTREAM *client), DELIVER_SERVE_FN request);
 *	QF_MSG	*deliver_serve_open(const char *queue_dir,
 *		    const DELIVER_REQ *dr, ARGV *delivered, VSTREAM *client,
 *		    const DELIVER_RCPT *rcpt, int nrcpt);
 *	int	deliver_serve_orphaned(VSTREAM *client);
 * DESCRIPTION
 *	What the delivery agents (local, virtual, smtp) do alike with the
 *	connection the queue manager keeps to them (HACKING.md, "Delivery
 *	request").
 *
 *	deliver_serve() reads requests from client, several per connection,
 *	until the queue manager closes it, a request does not arrive within
 *	timeout seconds, or request() returns -1 (a malformed request). A
 *	request's arrival tells that the queue manager took the previous
 *	results (deliver_sent_done(0)); the end of the connection records
 *	those it may not have taken (deliver_sent_done(1), see
 *	deliver_reply(3)). wait, when not null, is called before each read
 *	(smtp closes an idle cached session there).
 *
 *	deliver_serve_open() opens the queue file of a request for update,
 *	at the content offset and size the request carries, takes the
 *	delivery agent lock (held until qf_close(), see deliver_record()),
 *	and, when delivered is not null, collects the message's
 *	Delivered-To: values into it (delivered_hdr(3), the mail loop
 *	test). When the file cannot be opened or read, every recipient is
 *	answered "4.3.0 cannot read the queue file" (the queue manager
 *	tries again later).
 *
 *	deliver_serve_orphaned() tells, after the agent lock is taken,
 *	whether the queue manager that sent the request has gone (its end
 *	of the connection is closed): then the agent must not deliver.
 *	A request can outlive its queue manager (written just before a
 *	crash, read by an agent the master starts later), and the next
 *	queue manager, finding the file in active/ without an agent lock,
 *	takes the message back and has it delivered: delivering it here
 *	too would deliver it twice. Checked after the lock, the two cases
 *	cannot overlap: a queue manager alive at the check is the only
 *	one, and its successor will find the lock held (qf_agent_busy())
 *	and wait; one dead at the check is left to its successor.
 *	deliver_serve_open() does it, and returns null (no replies: there
 *	is nobody to read them) with a warning for an orphaned request.
 * DIAGNOSTICS
 *	deliver_serve_open() returns null after logging the reason (warning
 *	"queue_id: reason") and answering the recipients; a lock that
 *	cannot be taken is logged and delivery goes on.
 *	deliver_serve_orphaned() returns 1 or 0; a connection it cannot
 *	examine counts as alive.
 */
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>

#include "deliver_reply.h"
#include "deliver_serve.h"
#include "delivered_hdr.h"
#include "msg.h"

void
deliver_serve(VSTREAM *client, int timeout, void (*wait)(VSTREAM *),
    DELIVER_SERVE_FN request)
{
	ATTR	*attr = attr_alloc();

	for (;;) {
		if (wait)
			wait(client);
		vstream_set_timeout(client, timeout);
		attr_reset(attr);
		if (attr_read(client, attr) < 0)
			break;
		deliver_sent_done(0);	/* the qmgr took the last results */
		if (request(attr, client) < 0)
			break;
	}
	deliver_sent_done(1);		/* did it? (deliver_reply(3)) */
	attr_free(attr);
}

QF_MSG *
deliver_serve_open(const char *queue_dir, const DELIVER_REQ *dr,
    ARGV *delivered, VSTREAM *client, const DELIVER_RCPT *rcpt, int nrcpt)
{
	VSTRING	*why = vstring_alloc(100);
	QF_MSG	*msg;
	int	 i;

	if ((msg = qf_open_content(queue_dir, dr->queue_name, dr->queue_id,
	    QF_OPEN_RDWR, (off_t)dr->content_offset, (off_t)dr->content_size,
	    why)) == NULL || (delivered != NULL &&
	    delivered_hdr_scan(msg, delivered, why) < 0)) {
		msg_warn("%s: %s", dr->queue_id, vstring_str(why));
		for (i = 0; i < nrcpt; i++)
			(void)deliver_reply(client, rcpt[i].index, "4.3.0",
			    NULL, "cannot read the queue file", NULL);
		if (msg)
			qf_close(msg);
		vstring_free(why);
		return NULL;
	}
	/* Held until qf_close(): see deliver_record(). */
	if (qf_lock_agent(msg) < 0)
		msg_warn("%s: cannot lock the queue file: %m", dr->queue_id);
	vstring_free(why);
	if (deliver_serve_orphaned(client)) {
		msg_warn("%s: the queue manager that sent the request is gone: "
		    "not delivering (its successor will)", dr->queue_id);
		qf_close(msg);
		return NULL;
	}
	return msg;
}

int
deliver_serve_orphaned(VSTREAM *client)
{
	struct pollfd pfd;
	ssize_t	 n;
	char	 c;

	if (vstream_bufstat(client) > 0)
		return 0;			/* more from the queue manager */
	pfd.fd = vstream_fileno(client);
	pfd.events = POLLIN;
	pfd.revents = 0;
	while ((n = poll(&pfd, 1, 0)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return 0;			/* it waits for our replies */
	if (pfd.revents & (POLLHUP | POLLERR))
		return 1;
	while ((n = recv(pfd.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT)) < 0
	    && errno == EINTR)
		;
	return n == 0;
}
