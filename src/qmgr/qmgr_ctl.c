/*
 * NAME
 *	qmgr_ctl - control requests on public/qmgr
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_ctl_service(VSTREAM *stream, const char *service,
 *		    char **argv);
 *	void	qmgr_ctl_count(VSTREAM *stream, long long n);
 * DESCRIPTION
 *	qmgr_ctl_service() takes a client connection from the event server
 *	skeleton and serves its requests (qmgr_clnt.h) from the event loop
 *	until it hangs up. The request table below is the grammar: name,
 *	whether it changes state (then only root, the mail_owner uid or
 *	the setgid_group gid may send it, checked with SO_PEERCRED), and
 *	its handler. "trigger" has no reply; every other request ends with
 *	a status list (status=0|1, reason=).
 *
 *	It is the one table of the qmgr's requests; the handlers live
 *	here, in qmgr_ctl_env.c (envelope operations, whose id is an
 *	envelope-id, a message-id or "all"), qmgr_show.c (show_*) and
 *	qmgr_ctl_ext.c (trace, profile, update_table, pause_smtp). A
 *	handler writes its data lists itself and returns 0, or -1 with
 *	a reason in why; the final list is written here.
 *	qmgr_ctl_count() is the data list of the handlers that answer with
 *	a number (flush of a domain, envelope operations, update table).
 * DIAGNOSTICS
 *	Malformed requests get status=1 with a reason; a client that sends
 *	garbage or stalls (qmgr_ipc_timeout) is disconnected.
 */
#include <errno.h>
#include <string.h>

#include "attr.h"
#include "events.h"
#include "iostuff.h"
#include "mail_trigger.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"
#include "qmgr_clnt.h"

typedef struct CTL_CLIENT {
	VSTREAM	*stream;
	int	 privileged;
} CTL_CLIENT;

typedef int (*CTL_FN)(VSTREAM *, const ATTR *, VSTRING *);

typedef struct CTL_REQ {
	const char *name;
	int	 mutating;
	CTL_FN	 fn;
} CTL_REQ;

void
qmgr_ctl_count(VSTREAM *stream, long long n)
{
	ATTR	*reply = attr_alloc();

	attr_add_long(reply, QC_COUNT, n);
	attr_write(stream, reply);
	attr_free(reply);
}

static int
ctl_flush(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	qmgr_sched_revive_all();	/* as postqueue -f: dead routes too */
	qmgr_trigger_incoming();
	qmgr_trigger_deferred(1);
	return 0;
}

static int
ctl_flush_domain(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	const char *domain = attr_get(req, QC_DOMAIN);
	int	 n;

	if (domain == NULL || *domain == 0 || strchr(domain, '/')) {
		vstring_strcpy(why, "missing or invalid domain");
		return -1;
	}
	qmgr_sched_revive_all();
	n = qmgr_scan_deferred(1, domain);
	qmgr_ctl_count(stream, n);
	return 0;
}

static int
ctl_pause(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	const char *target = attr_get(req, QC_TARGET);
	int	 resume = strcmp(attr_get(req, QC_REQUEST), QC_REQ_RESUME) == 0;

	if (target == NULL || (strcmp(target, "mta") != 0
	    && strcmp(target, "mda") != 0)) {
		vstring_strcpy(why, "target must be mta or mda");
		return -1;
	}
	qmgr_core_pause(strcmp(target, "mda") == 0, !resume);
	msg_info("%s %s", resume ? "resumed" : "paused", target);
	return 0;
}

static int
ctl_resume_route(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	long long id = attr_get_long(req, QC_ROUTE, -1);

	if (id >= 0 && id <= 0x7fffffff && qmgr_core_resume_route((int)id) == 0)
		return 0;
	vstring_sprintf(why, "no such route: %lld", id);
	return -1;
}

static int
ctl_log(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	msg_verbose = strcmp(attr_get(req, QC_REQUEST), QC_REQ_LOG_VERBOSE)
	    == 0 ? 1 : 0;
	msg_info("log %s", msg_verbose ? "verbose" : "brief");
	return 0;
}

static int
ctl_show(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	return qmgr_show(stream, attr_get(req, QC_REQUEST), req, why);
}

static const CTL_REQ ctl_table[] = {
	{QC_REQ_FLUSH, 0, ctl_flush},
	{QC_REQ_FLUSH_DOMAIN, 0, ctl_flush_domain},
	{QC_REQ_SHOW_QUEUE, 0, ctl_show},
	{QC_REQ_SHOW_ENVELOPE, 0, ctl_show},
	{QC_REQ_SHOW_ROUTES, 0, ctl_show},
	{QC_REQ_SHOW_HOSTS, 0, ctl_show},
	{QC_REQ_SHOW_HOSTSTATS, 0, ctl_show},
	{QC_REQ_SHOW_STATS, 0, ctl_show},
	{QC_REQ_SHOW_STATUS, 0, ctl_show},
	{QC_REQ_PAUSE_ENVELOPE, 1, qmgr_ctl_envelope},
	{QC_REQ_RESUME_ENVELOPE, 1, qmgr_ctl_envelope},
	{QC_REQ_SCHEDULE, 1, qmgr_ctl_envelope},
	{QC_REQ_REMOVE, 1, qmgr_ctl_envelope},
	{QC_REQ_DISCOVER, 1, qmgr_ctl_envelope},
	{QC_REQ_PAUSE, 1, ctl_pause},
	{QC_REQ_RESUME, 1, ctl_pause},
	{QC_REQ_RESUME_ROUTE, 1, ctl_resume_route},
	{QC_REQ_LOG_VERBOSE, 1, ctl_log},
	{QC_REQ_LOG_BRIEF, 1, ctl_log},
	{QC_REQ_TRACE, 1, qmgr_ctl_trace},
	{QC_REQ_UNTRACE, 1, qmgr_ctl_trace},
	{QC_REQ_PROFILE, 1, qmgr_ctl_profile},
	{QC_REQ_UNPROFILE, 1, qmgr_ctl_profile},
	{QC_REQ_UPDATE_TABLE, 1, qmgr_ctl_update_table},
	{QC_REQ_PAUSE_SMTP, 1, qmgr_ctl_pause_smtp},
	{QC_REQ_RESUME_SMTP, 1, qmgr_ctl_pause_smtp},
	{NULL, 0, NULL},
};

/* Serve one request; -1 when the connection must be closed. */
static int
ctl_request(CTL_CLIENT *client, const ATTR *req)
{
	const char *name = attr_get(req, QC_REQUEST);
	const CTL_REQ *rp;
	VSTRING	*why = vstring_alloc(64);
	struct timeval tv;
	ATTR	*reply;
	int	 rc = -1, wr;

	if (name == NULL)
		name = "";
	if (strcmp(name, QC_REQ_TRIGGER) == 0) {
		qmgr_intake_id(attr_get(req, MAIL_TRIGGER_QUEUE_ID));
		vstring_free(why);
		return 0;
	}
	for (rp = ctl_table; rp->name && strcmp(rp->name, name) != 0; rp++)
		;
	if (rp->name == NULL)
		vstring_sprintf(why, "unknown request: %.100s", name);
	else if (rp->mutating && !client->privileged)
		vstring_strcpy(why, "permission denied");
	else {
		QMGR_PROFILE_START(&tv);
		rc = rp->fn(client->stream, req, why);
		QMGR_PROFILE_END(QMGR_PROF_IPC, &tv, name, NULL);
	}
	reply = attr_alloc();
	attr_add(reply, QC_STATUS, rc == 0 ? "0" : "1");
	attr_add(reply, QC_REASON, rc == 0 ? "" : vstring_str(why));
	wr = attr_write(client->stream, reply);
	attr_free(reply);
	vstring_free(why);
	return wr;
}

static void
ctl_close(CTL_CLIENT *client)
{
	event_disable_readwrite(vstream_fileno(client->stream));
	vstream_fclose(client->stream);
	myfree(client);
}

static void
ctl_event(int event, void *ctx)
{
	CTL_CLIENT *client = ctx;
	ATTR	*req = attr_alloc();

	vstream_ready(client->stream);		/* the event loop polled */
	do {
		if (attr_read(client->stream, req) < 0
		    || ctl_request(client, req) < 0) {
			ctl_close(client);
			break;
		}
	} while (vstream_bufstat(client->stream) > 0);
	attr_free(req);
}

void
qmgr_ctl_service(VSTREAM *stream, const char *service, char **argv)
{
	CTL_CLIENT *client = mycalloc(1, sizeof(*client));
	uid_t	 uid;
	gid_t	 gid;
	pid_t	 pid;

	client->stream = stream;
	if (peer_cred(vstream_fileno(stream), &uid, &gid, &pid) == 0)
		client->privileged = uid == 0 || uid == qmgr.owner_uid
		    || (qmgr.setgid_gid != (gid_t)-1 && gid == qmgr.setgid_gid);
	vstream_set_timeout(stream, qmgr.ipc_timeout);
	event_enable_read(vstream_fileno(stream), ctl_event, client);
}
