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
 *	smtpctl_offline_change() does what the qmgr would, with the qmgr's
 *	own code for it (qenv(3)): pause and resume envelope set or clear
 *	the held mark; remove marks recipients done and deletes a message
 *	with nothing left (logged as the qmgr logs it); schedule moves
 *	deferred messages to incoming/, where the next start takes them at
 *	once; discover checks that a file placed by hand in incoming/,
 *	deferred/ or hold/ parses (else it goes to corrupt/) and moves it
 *	to incoming/. Every change is made with qf_update_rcpt() or
 *	qf_move(), so it is durable. It holds the qmgr's lock while it
 *	works (qenv_lock(), pid/qmgr.lock): a qmgr that starts meanwhile
 *	waits for it and then reads the new state; a qmgr that still holds
 *	the lock (one leaving, or a queue run of postern flush) is waited
 *	for up to SC_LOCK_WAIT seconds, then smtpctl gives up.
 *
 *	smtpctl_id_ok() accepts an envelope-id (16 hex digits), a
 *	message-id (8) and, with allow_all, "all". smtpctl_msgid() gives
 *	the message-id of either kind (qenv_sel_parse()).
 * DIAGNOSTICS
 *	Exit status 1 when nothing matched, a file could not be changed or
 *	the lock could not be had. A queue directory that cannot be listed
 *	or a queue file that cannot be read (not one gone meanwhile) is
 *	skipped by show with a warning on stderr, and the exit status is 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "mail_conf.h"
#include "msg.h"
#include "qenv.h"
#include "qfile.h"
#include "qmgr_clnt.h"
#include "resolve_class.h"
#include "smtpctl.h"

#define SC_LOCK_WAIT	10		/* seconds, for a qmgr that leaves */

static const char *sc_queues[] = {QF_INCOMING, QF_ACTIVE, QF_DEFERRED,
QF_HOLD, NULL};

int
smtpctl_id_ok(const char *id, int allow_all)
{
	QENV_SEL sel;

	return qenv_sel_parse(&sel, id, allow_all ? QENV_SEL_ALLOW_ALL : 0)
	    == 0;
}

int
smtpctl_msgid(const char *id, char *msgid)
{
	QENV_SEL sel;

	if (qenv_sel_parse(&sel, id, 0) < 0)
		return -1;
	memcpy(msgid, sel.msgid, QF_ID_LEN + 1);
	return 0;
}

typedef struct SC_SHOW_CTX {
	const SC_CMD *cmd;
	QENV_SEL sel;
	RESOLVE_CLASS *local;
	ATTR	*list;
	long	 life;			/* maximal_queue_lifetime */
	long	 bounce_life;		/* bounce_queue_lifetime */
	int	 unread;		/* directories or files not read */
} SC_SHOW_CTX;

/* sc_offline_file - show one file's envelopes; how many. */
static int
sc_offline_file(const char *queue, const char *id, void *ctx)
{
	SC_SHOW_CTX *sc = ctx;
	VSTRING	*why = vstring_alloc(64);
	QENV_VIEW v = {queue, "", "mta", "offline", NULL, 0, 0};
	QF_MSG	*qf;
	int	 i, n = 0;

	if ((qf = qf_open(conf_str("queue_directory"), queue, id,
	    QF_OPEN_RDONLY, why)) == NULL) {
		if (errno != ENOENT) {	/* else delivered and gone meanwhile */
			msg_warn("cannot read queue file: %s", vstring_str(why));
			sc->unread++;
		}
		vstring_free(why);
		return 0;
	}
	v.expires = qenv_expires(qf, sc->life, sc->bounce_life);
	for (i = 0; i < qf->nrcpt; i++) {
		if (qf->rcpt[i].status == QF_RCPT_DONE
		    || !qenv_sel_rcpt(&sc->sel, qf, i))
			continue;
		/* Without the qmgr's transport maps: the address class. */
		v.type = resolve_class(sc->local, qf->rcpt[i].address, 0)
		    == RESOLVE_CLASS_LOCAL ? "mda" : "mta";
		attr_reset(sc->list);
		qenv_view(sc->list, qf, i, &v);
		if (sc->cmd->action == SC_SHOW_QUEUE)
			smtpctl_print_env(sc->list, sc->cmd->json);
		else
			smtpctl_print_envelope(sc->list, sc->cmd->json);
		n++;
	}
	qf_close(qf);
	vstring_free(why);
	return n;
}

int
smtpctl_offline_show(const SC_CMD *cmd)
{
	const char *id = cmd->action == SC_SHOW_QUEUE ? "all" : cmd->arg;
	SC_SHOW_CTX sc;
	int	 n;

	if (qenv_sel_parse(&sc.sel, id, QENV_SEL_ALLOW_ALL) < 0)
		msg_fatal("invalid id: %s", id);
	sc.cmd = cmd;
	sc.local = resolve_class_param();
	sc.list = attr_alloc();
	sc.life = conf_time("maximal_queue_lifetime");
	sc.bounce_life = conf_time("bounce_queue_lifetime");
	sc.unread = 0;
	n = qenv_walk_dirs(conf_str("queue_directory"), sc_queues, &sc.sel,
	    sc_offline_file, &sc, &sc.unread);
	attr_free(sc.list);
	resolve_class_free(sc.local);
	fflush(stdout);
	if (n == 0 && cmd->action == SC_SHOW_ENVELOPE) {
		fprintf(stderr, "smtpctl: no such envelope or message: %s\n",
		    id);
		return SC_EXIT_FAIL;
	}
	return sc.unread ? SC_EXIT_FAIL : SC_EXIT_OK;
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

typedef struct SC_CHANGE_CTX {
	int	 action;		/* SC_* */
	QENV_SEL sel;
} SC_CHANGE_CTX;

/* sc_edit_file - pause, resume or remove in one file; changes made. */
static int
sc_edit_file(const char *queue, const char *id, void *ctx)
{
	SC_CHANGE_CTX *cc = ctx;
	VSTRING	*why = vstring_alloc(64);
	int	 n;

	n = qenv_file_change(conf_str("queue_directory"), queue, id, &cc->sel,
	    cc->action == SC_PAUSE_ENVELOPE ? QENV_HOLD : cc->action ==
	    SC_RESUME_ENVELOPE ? QENV_RELEASE : QENV_REMOVE, sc_log, NULL, why);
	if (n < 0) {
		msg_warn("%s/%s: %s", queue, id, vstring_str(why));
		n = 0;
	}
	vstring_free(why);
	return n;
}

/* sc_move_file - schedule and discover: to incoming/; messages moved. */
static int
sc_move_file(const char *queue, const char *id, void *ctx)
{
	SC_CHANGE_CTX *cc = ctx;
	const char *dir = conf_str("queue_directory");
	VSTRING	*why;
	QF_MSG	*qf;
	int	 n = 0;

	if (strcmp(queue, QF_INCOMING) == 0 || (cc->action == SC_SCHEDULE
	    && strcmp(queue, QF_DEFERRED) != 0))
		return cc->action == SC_DISCOVER;
	why = vstring_alloc(64);
	if ((qf = qf_open(dir, queue, id, QF_OPEN_RDONLY, why)) == NULL) {
		fprintf(stderr, "smtpctl: %s/%s: %s\n", queue, id,
		    vstring_str(why));
		if (cc->action == SC_DISCOVER
		    && qf_move(dir, queue, QF_CORRUPT, id) == 0)
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

/* sc_lock - the qmgr's lock, or -1 (told); -2: no pid/, no qmgr. */
static int
sc_lock(const char *dir)
{
	VSTRING	*why = vstring_alloc(100);
	int	 fd;

	if ((fd = qenv_lock(dir, SC_LOCK_WAIT, why)) < 0) {
		if (errno == ENOENT)
			fd = -2;	/* a qmgr cannot run without pid/ */
		else if (errno == EAGAIN)
			fprintf(stderr, "smtpctl: a queue manager works on %s "
			    "(%s); not changing it offline\n", dir,
			    vstring_str(why));
		else
			fprintf(stderr, "smtpctl: %s\n", vstring_str(why));
	}
	vstring_free(why);
	return fd;
}

int
smtpctl_offline_change(const SC_CMD *cmd)
{
	const char *dir = conf_str("queue_directory");
	char	 queue[32];
	SC_CHANGE_CTX cc;
	int	 n, move, fd;

	cc.action = cmd->action;
	move = cmd->action == SC_SCHEDULE || cmd->action == SC_DISCOVER;
	if (qenv_sel_parse(&cc.sel, cmd->arg, QENV_SEL_ALLOW_ALL) < 0
	    || (!cc.sel.all && qf_find(dir, cc.sel.msgid, queue,
	    sizeof(queue)) < 0)) {
		fprintf(stderr, "smtpctl: no such envelope or message: %s\n",
		    cmd->arg);
		return SC_EXIT_FAIL;
	}
	if ((fd = sc_lock(dir)) == -1)
		return SC_EXIT_FAIL;
	if (cc.sel.all)
		n = qenv_walk(dir, sc_queues, &cc.sel, move ? sc_move_file :
		    sc_edit_file, &cc);
	else
		n = move ? sc_move_file(queue, cc.sel.msgid, &cc) :
		    sc_edit_file(queue, cc.sel.msgid, &cc);
	if (fd >= 0)
		(void)close(fd);
	printf("%d %s%s %s (offline)\n", n, move ? "message" : "envelope",
	    n == 1 ? "" : "s", cmd->action == SC_PAUSE_ENVELOPE ? "paused" :
	    cmd->action == SC_RESUME_ENVELOPE ? "resumed" :
	    cmd->action == SC_REMOVE ? "removed" : cmd->action == SC_SCHEDULE ?
	    "scheduled" : "discovered");
	return SC_EXIT_OK;
}
