/*
 * NAME
 *	smtpctl_offline - smtpctl on the queue files when nothing runs
 * SYNOPSIS
 *	#include "smtpctl.h"
 *
 *	int	smtpctl_offline_show(const SC_CMD *cmd);
 *	int	smtpctl_offline_change(const SC_CMD *cmd);
 *	int	smtpctl_id_ok(const char *id, int allow_all);
 *	int	smtpctl_msgid(const char *id, char msgid[9]);
 * DESCRIPTION
 *	With no qmgr running, smtpctl_offline_show() lists the envelopes of
 *	incoming/, active/, deferred/ and hold/ (show queue, show envelope)
 *	from the files (qfile.h), with runstate "offline". The type is
 *	guessed without the qmgr's transport maps: "bounce" for bounces,
 *	"mda" for a recipient of the local address class (resolve_class(3),
 *	the decision smtpd and the qmgr make), "mta" otherwise.
 *
 *	smtpctl_offline_change() does what the qmgr would: pause and resume
 *	envelope set or clear the held mark; remove marks recipients done
 *	and deletes a message with nothing left (logged as the qmgr logs
 *	it); schedule moves deferred messages to incoming/, where the next
 *	start takes them at once; discover checks that a file placed by
 *	hand in incoming/, deferred/ or hold/ parses (else it goes to
 *	corrupt/) and moves it to incoming/. Every change is made with
 *	qf_update_rcpt() or qf_move(), so it is durable.
 *
 *	smtpctl_id_ok() accepts an envelope-id (16 hex digits), a
 *	message-id (8) and, with allow_all, "all". smtpctl_msgid() gives
 *	the message-id of either kind.
 * BUGS
 *	A qmgr that starts while smtpctl changes a file offline may take
 *	in the old state of that file.
 * DIAGNOSTICS
 *	Exit status 1 when nothing matched or a file could not be changed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attr.h"
#include "domain_list.h"
#include "resolve_class.h"
#include "mail_conf.h"
#include "msg.h"
#include "qfile.h"
#include "qmgr_clnt.h"
#include "smtpctl.h"

static const char *sc_queues[] = {QF_INCOMING, QF_ACTIVE, QF_DEFERRED,
QF_HOLD, NULL};

int
smtpctl_id_ok(const char *id, int allow_all)
{
	uint64_t envid;

	if (id == NULL)
		return 0;
	if (strcmp(id, "all") == 0)
		return allow_all;
	return qf_valid_id(id) || (strlen(id) == 16
	    && qf_envid_parse(id, &envid) == 0 && envid != 0);
}

int
smtpctl_msgid(const char *id, char *msgid)
{
	uint64_t envid;

	if (qf_valid_id(id)) {
		memcpy(msgid, id, QF_ID_LEN + 1);
		return 0;
	}
	if (qf_envid_parse(id, &envid) < 0)
		return -1;
	snprintf(msgid, QF_ID_LEN + 1, "%08x", (unsigned)(envid >> 32));
	return 0;
}

/* Does id select rcpt? (id is "all", the message-id or the envelope-id) */
static int
sc_selects(const char *id, const QF_RCPT *rp)
{
	uint64_t envid;

	if (strcmp(id, "all") == 0 || qf_valid_id(id))
		return 1;
	return qf_envid_parse(id, &envid) == 0 && envid == rp->envid;
}

static const char *
sc_type(const QF_MSG *qf, const char *addr, RESOLVE_CLASS *local)
{
	if (qf->origin && strcmp(qf->origin, "bounce") == 0)
		return "bounce";
	if (resolve_class(local, addr, 0) == RESOLVE_CLASS_LOCAL)
		return "mda";
	return "mta";
}

static void
sc_offline_env(const QF_MSG *qf, int i, const char *queue,
    RESOLVE_CLASS *local, const SC_CMD *cmd)
{
	const QF_RCPT *rp = &qf->rcpt[i];
	ATTR	*a = attr_alloc();
	char	 envid[17];
	int	 bounce = qf->origin && strcmp(qf->origin, "bounce") == 0;
	int	 held = (rp->flags & QF_RCPT_FLAG_HELD) || strcmp(queue, QF_HOLD) == 0;
	long long life = conf_time(*qf->sender ? "maximal_queue_lifetime" :
	    "bounce_queue_lifetime");

	qf_envid_format(rp->envid, envid);
	attr_add(a, QC_ENVID, envid);
	attr_add(a, QC_MSGID, qf->id);
	attr_add(a, QC_QUEUE, queue);
	attr_add(a, QC_FAMILY, qf->family == AF_INET ? "inet4" :
	    qf->family == AF_INET6 ? "inet6" : "local");
	attr_add(a, QC_TYPE, sc_type(qf, rp->address, local));
	attr_addf(a, QC_FLAGS, "%s%s%s", bounce ? "bounce" : "",
	    bounce && held ? "," : "", held ? "held" : "");
	attr_add(a, QC_SENDER, qf->sender);
	attr_add(a, QC_RCPT, rp->address);
	attr_add(a, QC_ORCPT, rp->orcpt && strchr(rp->orcpt, ';') ?
	    strchr(rp->orcpt, ';') + 1 : rp->address);
	attr_add(a, QC_DEST, "");
	attr_add_long(a, QC_CREATED, (long long)qf->arrival);
	attr_add_long(a, QC_EXPIRES, (long long)qf->arrival + life);
	attr_add_long(a, QC_LAST_TRY, (long long)rp->last_attempt);
	attr_add_long(a, QC_ATTEMPTS, rp->attempts);
	attr_add(a, QC_RUNSTATE, "offline");
	attr_add(a, QC_LAST_ERROR, rp->last_error);
	if (cmd->action == SC_SHOW_QUEUE)
		smtpctl_print_env(a, cmd->json, 1);
	else if (cmd->json)
		smtpctl_print_json(a);
	else {
		for (size_t k = 0; k < a->count; k++)
			printf("%s: %s\n", a->name[k], a->value[k]);
		printf("\n");
	}
	attr_free(a);
}

/* sc_offline_file - show one file's envelopes; how many. */
static int
sc_offline_file(const char *queue, const char *id, const char *sel,
    RESOLVE_CLASS *local, const SC_CMD *cmd)
{
	VSTRING	*why = vstring_alloc(64);
	QF_MSG	*qf;
	int	 i, n = 0;

	if ((qf = qf_open(conf_str("queue_directory"), queue, id,
	    QF_OPEN_RDONLY, why)) == NULL) {
		if (msg_verbose)
			msg_warn("%s/%s: %s", queue, id, vstring_str(why));
		vstring_free(why);
		return 0;
	}
	for (i = 0; i < qf->nrcpt; i++)
		if (qf->rcpt[i].status != QF_RCPT_DONE
		    && sc_selects(sel, &qf->rcpt[i])) {
			sc_offline_env(qf, i, queue, local, cmd);
			n++;
		}
	qf_close(qf);
	vstring_free(why);
	return n;
}

int
smtpctl_offline_show(const SC_CMD *cmd)
{
	RESOLVE_CLASS *local = resolve_class_param();
	const char *sel = cmd->action == SC_SHOW_QUEUE ? "all" : cmd->arg;
	char	 msgid[QF_ID_LEN + 1];
	const char **qp;
	ARGV	*ids;
	size_t	 i;
	int	 n = 0;

	if (strcmp(sel, "all") != 0 && smtpctl_msgid(sel, msgid) < 0)
		msg_fatal("invalid id: %s", sel);
	for (qp = sc_queues; *qp; qp++) {
		if ((ids = qf_list(conf_str("queue_directory"), *qp)) == NULL)
			continue;
		for (i = 0; i < ids->argc; i++)
			if (strcmp(sel, "all") == 0
			    || strcmp(ids->argv[i], msgid) == 0)
				n += sc_offline_file(*qp, ids->argv[i], sel,
				    local, cmd);
		argv_free(ids);
	}
	resolve_class_free(local);
	fflush(stdout);
	if (n == 0 && cmd->action == SC_SHOW_ENVELOPE) {
		fprintf(stderr, "smtpctl: no such envelope or message: %s\n",
		    sel);
		return SC_EXIT_FAIL;
	}
	return SC_EXIT_OK;
}

/* sc_log - one log line in the mail log (not on the terminal). */
static void PRINTFLIKE(1, 2)
sc_log(const char *fmt, ...)
{
	static int opened;
	const char *file;
	va_list	 ap;

	if (!opened) {
		opened = 1;
		msg_set_tag(conf_str("syslog_name"), "smtpctl");
		file = conf_str("maillog_file");
		if (file != NULL && *file)
			(void)msg_to_file(file);
		else
			msg_to_syslog(conf_str("syslog_facility"));
	}
	msg_to_stderr(0);
	va_start(ap, fmt);
	msg_vlog(MSG_INFO, fmt, ap);
	va_end(ap);
	msg_to_stderr(1);
}

/* sc_edit_rcpt - pause, resume or remove one recipient; 1 if changed. */
static int
sc_edit_rcpt(QF_MSG *qf, int i, int action)
{
	QF_RCPT	*rp = &qf->rcpt[i];
	char	 envid[17];

	if (rp->status == QF_RCPT_DONE)
		return 0;
	if (action == SC_PAUSE_ENVELOPE) {
		if (rp->flags & QF_RCPT_FLAG_HELD)
			return 0;
		rp->flags |= QF_RCPT_FLAG_HELD;
	} else if (action == SC_RESUME_ENVELOPE) {
		if (!(rp->flags & QF_RCPT_FLAG_HELD))
			return 0;
		rp->flags &= ~QF_RCPT_FLAG_HELD;
	} else {
		rp->status = QF_RCPT_DONE;
		rp->flags |= QF_RCPT_FLAG_REMOVED;
		qf_envid_format(rp->envid, envid);
		sc_log("%s: to=<%s>, envelope %s removed", qf->id, rp->address,
		    envid);
	}
	if (qf_update_rcpt(qf, i) < 0)
		msg_fatal("%s: cannot update recipient %d: %m", qf->id, i);
	return 1;
}

static void
sc_remove_logs(const char *dir, const char *id)
{
	static const char *logs[] = {"bounce", "defer", "trace", NULL};
	VSTRING	*path = vstring_alloc(128);
	const char **lp;

	for (lp = logs; *lp; lp++) {
		vstring_sprintf(path, "%s/%s/%s", dir, *lp, id);
		(void)unlink(vstring_str(path));
	}
	vstring_free(path);
}

/* sc_edit_file - pause, resume or remove in one file; changes made. */
static int
sc_edit_file(const char *queue, const char *id, const char *sel, int action)
{
	const char *dir = conf_str("queue_directory");
	VSTRING	*why = vstring_alloc(64);
	QF_MSG	*qf;
	int	 i, n = 0, left = 0;

	if ((qf = qf_open(dir, queue, id, QF_OPEN_RDWR, why)) == NULL) {
		msg_warn("%s/%s: %s", queue, id, vstring_str(why));
		vstring_free(why);
		return 0;
	}
	for (i = 0; i < qf->nrcpt; i++) {
		if (sc_selects(sel, &qf->rcpt[i]))
			n += sc_edit_rcpt(qf, i, action);
		left += qf->rcpt[i].status != QF_RCPT_DONE;
	}
	qf_close(qf);
	if (action == SC_REMOVE && n > 0 && left == 0
	    && qf_remove(dir, queue, id) == 0) {
		sc_remove_logs(dir, id);
		sc_log("%s: removed", id);
	}
	vstring_free(why);
	return n;
}

/* sc_move_file - schedule and discover: to incoming/; messages moved. */
static int
sc_move_file(const char *queue, const char *id, int action)
{
	const char *dir = conf_str("queue_directory");
	VSTRING	*why = vstring_alloc(64);
	QF_MSG	*qf;
	int	 n = 0;

	if (strcmp(queue, QF_INCOMING) == 0 || (action == SC_SCHEDULE
	    && strcmp(queue, QF_DEFERRED) != 0)) {
		vstring_free(why);
		return action == SC_DISCOVER;
	}
	if ((qf = qf_open(dir, queue, id, QF_OPEN_RDONLY, why)) == NULL) {
		fprintf(stderr, "smtpctl: %s/%s: %s\n", queue, id,
		    vstring_str(why));
		if (action == SC_DISCOVER && qf_move(dir, queue, QF_CORRUPT, id)
		    == 0)
			fprintf(stderr, "smtpctl: %s: moved to %s/\n", id,
			    QF_CORRUPT);
	} else {
		qf_close(qf);
		if (qf_move(dir, queue, QF_INCOMING, id) < 0)
			msg_fatal("%s: cannot move from %s/ to %s/: %m", id,
			    queue, QF_INCOMING);
		n = 1;
	}
	vstring_free(why);
	return n;
}

int
smtpctl_offline_change(const SC_CMD *cmd)
{
	const char *dir = conf_str("queue_directory");
	char	 msgid[QF_ID_LEN + 1], queue[32];
	const char **qp;
	ARGV	*ids;
	size_t	 i;
	int	 all = strcmp(cmd->arg, "all") == 0, n = 0, move;

	move = cmd->action == SC_SCHEDULE || cmd->action == SC_DISCOVER;
	if (!all) {
		if (smtpctl_msgid(cmd->arg, msgid) < 0
		    || qf_find(dir, msgid, queue, sizeof(queue)) < 0) {
			fprintf(stderr, "smtpctl: no such envelope or message: "
			    "%s\n", cmd->arg);
			return SC_EXIT_FAIL;
		}
		n = move ? sc_move_file(queue, msgid, cmd->action) :
		    sc_edit_file(queue, msgid, cmd->arg, cmd->action);
	}
	for (qp = sc_queues; all && *qp; qp++) {
		if ((ids = qf_list(dir, *qp)) == NULL)
			continue;
		for (i = 0; i < ids->argc; i++)
			n += move ? sc_move_file(*qp, ids->argv[i], cmd->action) :
			    sc_edit_file(*qp, ids->argv[i], "all", cmd->action);
		argv_free(ids);
	}
	printf("%d %s%s %s (offline)\n", n, move ? "message" : "envelope",
	    n == 1 ? "" : "s", cmd->action == SC_PAUSE_ENVELOPE ? "paused" :
	    cmd->action == SC_RESUME_ENVELOPE ? "resumed" :
	    cmd->action == SC_REMOVE ? "removed" : cmd->action == SC_SCHEDULE ?
	    "scheduled" : "discovered");
	return SC_EXIT_OK;
}
