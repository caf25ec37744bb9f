/*
 * NAME
 *	virtual - the virtual mailbox delivery agent
 * SYNOPSIS
 *	virtual -n service -t type [-o name=value]... [-v]...
 * DESCRIPTION
 *	The delivery agent for virtual_mailbox_domains, run by the master
 *	as a single-client server with root privileges (master.cf unpriv
 *	column "n"), see virtual(8). It reads delivery requests from the
 *	queue manager (HACKING.md, "Delivery request"), several per
 *	connection; for each it opens the queue file read-only, scans the
 *	header once for Delivered-To: fields (mail loops), and delivers
 *	each recipient in turn (virtual_deliver.c) into the Maildir or mbox
 *	that virtual_mailbox_maps names under virtual_mailbox_base, with
 *	the writers local(8) uses too (mbox_write(3), maildir_write(3)).
 *
 *	Parameters: virtual_mailbox_base, virtual_mailbox_maps,
 *	virtual_uid_maps, virtual_gid_maps, virtual_minimum_uid,
 *	virtual_mailbox_limit, virtual_mailbox_lock ("fcntl", "flock",
 *	"dotlock"), deliver_lock_attempts, deliver_lock_delay,
 *	stale_lock_time, recipient_delimiter, ipc_timeout.
 * DIAGNOSTICS
 *	Problems and results are logged; a malformed request ends the
 *	connection with the queue manager, which then defers the message.
 *	An empty virtual_mailbox_base is fatal, as in Postfix.
 */
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "deliver_reply.h"
#include "deliver_serve.h"
#include "mail_conf.h"
#include "mail_server.h"
#include "mail_trace.h"
#include "msg.h"
#include "mymalloc.h"
#include "virtual.h"

static VIRTUAL_CONF virtual_cf;

static void
virtual_conf_load(VIRTUAL_CONF *c)
{
	ARGV	*locks = conf_list("virtual_mailbox_lock");
	size_t	 i;

	memset(c, 0, sizeof(*c));
	c->queue_dir = conf_str("queue_directory");
	c->myhostname = conf_str("myhostname");
	c->base = conf_str("virtual_mailbox_base");
	c->delimiter = conf_str("recipient_delimiter");
	c->mailbox_maps = mail_addr_maps_param("virtual_mailbox_maps");
	c->uid_maps = mail_addr_maps_param("virtual_uid_maps");
	c->gid_maps = mail_addr_maps_param("virtual_gid_maps");
	c->minimum_uid = conf_int("virtual_minimum_uid");
	c->size_limit = conf_size("virtual_mailbox_limit");
	c->ipc_timeout = conf_time("ipc_timeout");
	for (i = 0; i < locks->argc; i++) {
		if (strcasecmp(locks->argv[i], "fcntl") == 0 ||
		    strcasecmp(locks->argv[i], "flock") == 0)
			c->mbox.lock_fcntl = 1;
		else if (strcasecmp(locks->argv[i], "dotlock") == 0)
			c->mbox.lock_dotlock = 1;
		else
			msg_warn("virtual_mailbox_lock: unsupported lock method "
			    "\"%s\" ignored", locks->argv[i]);
	}
	argv_free(locks);
	c->mbox.lock_attempts = conf_int("deliver_lock_attempts");
	c->mbox.lock_delay = conf_time("deliver_lock_delay");
	c->mbox.stale_lock_time = conf_time("stale_lock_time");
	c->mbox.size_limit = c->size_limit;
	c->mbox.owner_check = 0;
	if (*c->base == 0 || *c->base != '/')
		msg_fatal("virtual_mailbox_base must be an absolute path name");
}

/* virtual_request - one delivery request */
static int
virtual_request(ATTR *attr, VSTREAM *client)
{
	VIRTUAL_REQ req;
	int	 i, n, ret = 0;

	(void)mail_trace_check("virtual");	/* smtpctl trace per request */
	memset(&req, 0, sizeof(req));
	req.start = deliver_now();
	req.client = client;
	req.queue_dir = virtual_cf.queue_dir;
	req.delivered = argv_alloc(4);
	if (deliver_req_parse(attr, &req.dr) < 0 ||
	    (n = deliver_rcpt_parse(attr, &req.rcpt)) < 0) {
		msg_warn("malformed delivery request from the queue manager");
		ret = -1;
		goto out;
	}
	req.nrcpt = n;
	if ((req.msg = deliver_serve_open(virtual_cf.queue_dir, &req.dr,
	    req.delivered, client, req.rcpt, req.nrcpt)) != NULL)
		for (i = 0; i < req.nrcpt; i++)
			virtual_deliver(&virtual_cf, &req, &req.rcpt[i]);
	if (deliver_reply_done(client) < 0)
		ret = -1;
out:
	if (req.msg)
		qf_close(req.msg);
	myfree(req.rcpt);
	argv_free(req.delivered);
	return ret;
}

static void
virtual_service(VSTREAM *client, const char *service, char **argv)
{
	deliver_serve(client, (int)virtual_cf.ipc_timeout, NULL,
	    virtual_request);
}

static void
virtual_pre_init(const char *service, char **argv)
{
	virtual_conf_load(&virtual_cf);
	signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char **argv)
{
	static const MAIL_SERVER_OPS ops = {
		.pre_init = virtual_pre_init,
	};

	single_server_main(argc, argv, virtual_service, &ops);
	return 0;
}
