/*
 * deliver_serve.h - a delivery agent's side of its connection with the
 * queue manager: the request loop, and opening the message. See
 * deliver_serve.c.
 */
#ifndef DELIVER_SERVE_H
#define DELIVER_SERVE_H

#include "argv.h"
#include "attr.h"
#include "deliver_rcpt.h"
#include "qfile.h"
#include "vstream.h"

/* One request: 0, or -1 to end the connection. */
typedef int (*DELIVER_SERVE_FN)(ATTR *request, VSTREAM *client);

void	 deliver_serve(VSTREAM *client, int timeout,
	    void (*wait)(VSTREAM *), DELIVER_SERVE_FN request);
QF_MSG	*deliver_serve_open(const char *queue_dir, const DELIVER_REQ *dr,
	    ARGV *delivered, VSTREAM *client, const DELIVER_RCPT *rcpt,
	    int nrcpt);
int	 deliver_serve_orphaned(VSTREAM *client);

#endif
