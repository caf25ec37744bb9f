/*
 * NAME
 *	bounce - delivery status notifications
 * SYNOPSIS
 *	bounce -n bounce -t unix [-o name=value]... [-v]
 * DESCRIPTION
 *	The bounce service is a single-client server (mail_server.h) on
 *	private/bounce (also run as "defer" and "trace" in master.cf: the
 *	request says what to do, not the service name). It serves the qmgr's
 *	requests (bounce_clnt.h), one attribute list each, several per
 *	connection:
 * .IP flush
 *	non-delivery report from the message's bounce log;
 * .IP warn
 *	delay warning for the recipients listed (repeated rcpt_index) from
 *	the defer log;
 * .IP trace
 *	success notice from the trace log.
 * .PP
 *	Each reply is one list: status=0|1, reason=, and new_id= once for
 *	each notice written into incoming/ (its queue id; one empty new_id
 *	when none was), also after a failure part-way: the qmgr takes
 *	them in without looking for them. bounce_notify.c decides who
 *	is notified, bounce_compose.c writes RFC 3464 messages, and
 *	bounce_log.c reads the logs. See bounce(8).
 *
 *	bounce_template_file (bounce_template(3), Postfix's bounce(5)
 *	format) is read when the process starts; a file that cannot be
 *	used is logged with the reason and the built-in texts serve.
 * DIAGNOSTICS
 *	Malformed requests get status=1; every notice written is logged as
 *	"<id>: sender non-delivery notification: <new id>" (Postfix's form).
 */
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "mail_conf.h"
#include "mail_server.h"
#include "msg.h"
#include "mymalloc.h"
#include "bounce_clnt.h"
#include "bounce.h"

#define BOUNCE_MAX_LIST	4096

static CLEANUP_CONF *bounce_cleanup;	/* cleanup(3) stage, per process */

static int
bounce_kind(const char *request)
{
	if (request == NULL)
		return 0;
	if (strcmp(request, QB_REQ_FLUSH) == 0)
		return BOUNCE_FAIL;
	if (strcmp(request, QB_REQ_WARN) == 0)
		return BOUNCE_DELAY;
	if (strcmp(request, QB_REQ_TRACE) == 0)
		return BOUNCE_SUCCESS;
	return 0;
}

static int
bounce_request(const ATTR *req, ARGV *new_ids, VSTRING *why)
{
	const char *queue = attr_get(req, QB_QUEUE_NAME);
	const char *id = attr_get(req, QB_QUEUE_ID);
	const char *value;
	int	 kind = bounce_kind(attr_get(req, QB_REQUEST));
	int	*list, n = 0, rc;
	size_t	 pos = 0;

	if (kind == 0 || queue == NULL || id == NULL || !qf_valid_id(id)
	    || strchr(queue, '/') || strchr(queue, '.')) {
		vstring_strcpy(why, "malformed request");
		return -1;
	}
	list = mycalloc(BOUNCE_MAX_LIST, sizeof(int));
	while (n < BOUNCE_MAX_LIST && (value = attr_get_from(req,
	    QB_RCPT_INDEX, &pos)) != NULL)
		list[n++] = atoi(value);
	rc = bounce_notify(bounce_cleanup, kind, queue, id, kind == BOUNCE_DELAY ? list : NULL,
	    n, new_ids, why);
	myfree(list);
	return rc;
}

static void
bounce_service(VSTREAM *stream, const char *service, char **argv)
{
	ATTR	*req = attr_alloc(), *reply = attr_alloc();
	VSTRING	*why = vstring_alloc(64);
	ARGV	*new_ids = argv_alloc(2);
	size_t	 i;
	int	 rc;

	vstream_set_timeout(stream, (int)conf_time("ipc_timeout"));
	while (attr_read(stream, req) == 0) {
		vstring_reset(why);
		argv_truncate(new_ids, 0);
		rc = bounce_request(req, new_ids, why);
		if (rc < 0)
			msg_warn("%s: %s", attr_get(req, QB_QUEUE_ID) ?
			    attr_get(req, QB_QUEUE_ID) : "request",
			    vstring_str(why));
		attr_reset(reply);
		attr_add(reply, QB_REPLY_STATUS, rc == 0 ? "0" : "1");
		attr_add(reply, QB_REPLY_REASON, vstring_str(why));
		for (i = 0; i < new_ids->argc; i++)
			attr_add(reply, QB_REPLY_ID, new_ids->argv[i]);
		if (new_ids->argc == 0)
			attr_add(reply, QB_REPLY_ID, "");
		if (attr_write(stream, reply) < 0)
			break;
	}
	attr_free(req);
	attr_free(reply);
	vstring_free(why);
	argv_free(new_ids);
}

static void
bounce_pre_init(const char *service, char **argv)
{
	const char *path = conf_str("bounce_template_file");
	VSTRING	*why;

	bounce_cleanup = cleanup_conf_load();
	if (path == NULL || *path == 0)
		return;
	why = vstring_alloc(100);
	if ((bounce_templates = bounce_template_load(path, why)) == NULL)
		msg_warn("bounce_template_file: %s; the built-in texts are used",
		    vstring_str(why));
	vstring_free(why);
}

int
main(int argc, char **argv)
{
	static const MAIL_SERVER_OPS ops = {
		.pre_init = bounce_pre_init,
	};

	single_server_main(argc, argv, bounce_service, &ops);
	return 0;
}
