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
 * DIAGNOSTICS
 *	deliver_serve_open() returns null after logging the reason (warning
 *	"queue_id: reason") and answering the recipients; a lock that
 *	cannot be taken is logged and delivery goes on.
 */
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
	return msg;
}
