/*
 * mail_trigger.h - wake up and query local services. See mail_trigger.c.
 *
 * A service name is relative to $queue_directory: "qmgr" and "pickup"
 * mean public/qmgr and public/pickup; a name with a slash ("private/bounce")
 * is taken as it is.
 */
#ifndef MAIL_TRIGGER_H
#define MAIL_TRIGGER_H

#include "attr.h"
#include "vstream.h"

/*
 * mail_trigger(service): send the request "request=trigger" to the
 * service (UNIX socket, or fifo), spending at most about one second; never
 * blocks longer. 0, or -1 when the service could not be reached (logged
 * only with -v: a lost trigger delays mail, never loses it).
 */
int	 mail_trigger(const char *);

/*
 * mail_trigger_id(service, queue_id): the same, naming the message just
 * committed (attribute MAIL_TRIGGER_QUEUE_ID); anonymous when queue_id is
 * null or not a valid message-id.
 */
int	 mail_trigger_id(const char *, const char *);
#define MAIL_TRIGGER_QUEUE_ID	"queue_id"

/*
 * mail_trigger_connect(service, timeout): a stream to the service for
 * longer conversations (qmgr to private/<transport>), with the stream
 * timeout set to timeout. Null with errno on failure.
 */
VSTREAM	*mail_trigger_connect(const char *, int);

/* mail_trigger_path(buf, service): the socket path for a service name. */
const char *mail_trigger_path(VSTRING *, const char *);

#endif
