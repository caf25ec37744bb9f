/*
 * NAME
 *	postern_queue_dump - a queue file's records (postern queue-dump)
 * SYNOPSIS
 *	int postern_queue_dump_main(int argc, char **argv);
 *
 *	postern queue-dump [-bj] [-c config_dir] [-s sender]
 *	    [id | envelope-id | all | path]...
 * DESCRIPTION
 *	What postcat(1) is to Postfix: the envelope records of queue files,
 *	and with -b their content (header and body), for administrators and for the tests
 *	(which read queue files only through it). The records are the list
 *	qenv_dump_msg() and qenv_dump_rcpt() make (qenv(3)), so the names
 *	are those of postern-queue(5)'s fields.
 *
 *	Each argument is a message-id (8 hex digits; the message is looked
 *	for in incoming/, active/, deferred/, hold/ and corrupt/), an
 *	envelope-id (16: that recipient's records only), "all" (every
 *	message of incoming/, active/, deferred/ and hold/) or, with a "/"
 *	in it, the path of a queue file, queue_directory/queue/id or, from
 *	the queue directory, queue/id (no main.cf is read then). With -s
 *	only the messages of that sender are shown ("" the null sender);
 *	with no argument, -s means "all".
 *
 *	The text output is, per message, "*** ENVELOPE RECORDS queue/id
 *	***", the message's "name: value" lines, a "*** RECIPIENT n ***"
 *	line before each recipient's lines (control characters shown as
 *	'?'), and with -b "*** MESSAGE CONTENTS queue/id ***", the content
 *	as stored (LF line ends) and "*** END OF MESSAGE queue/id ***".
 *
 *	With -j each message is one JSON object on one line: the message's
 *	records as keys (numbers as numbers), "attributes" an object of the
 *	envelope attributes, "recipients" an array of objects, and with -b
 *	"content_base64", the content in base64 (it may hold any byte).
 *
 *	queue-dump reads queue files directly: root or the mail_owner.
 *	It takes no lock (a recipient's state is one sector, written whole).
 * DIAGNOSTICS
 *	Exit status 0; 1 when a message is not found or cannot be read
 *	(a message on stderr; the others are still shown); 64 for a usage
 *	error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "base64.h"
#include "mail_conf.h"
#include "msg.h"
#include "postern.h"
#include "qenv.h"
#include "qfile.h"
#include "vstring.h"

typedef struct QD_CTX {
	const char *queue_dir;
	QENV_SEL sel;
	int	 json;
	int	 content;
	ATTR	*list;
	VSTRING	*buf;			/* JSON text, base64 */
	VSTRING	*key;			/* an attribute's name */
	int	 status;
} QD_CTX;

/* qd_text - records as "name: value" lines, control characters as '?' */
static void
qd_text(const ATTR *a)
{
	const unsigned char *p;
	size_t	 i;

	for (i = 0; i < a->count; i++) {
		printf("%s: ", a->name[i]);
		for (p = (const unsigned char *)a->value[i]; *p; p++)
			putchar(*p < 0x20 || *p == 0x7f ? '?' : *p);
		putchar('\n');
	}
}

/* qd_json - records as JSON members; "attribute" records as one object */
static void
qd_json(QD_CTX *qc, const ATTR *a)
{
	const char *eq;
	size_t	 i;
	int	 nattr = 0;

	for (i = 0; i < a->count; i++) {
		if (strcmp(a->name[i], "attribute") == 0)
			continue;
		printf("%s\"%s\": ", i ? ", " : "", a->name[i]);
		if (qenv_dump_numeric(a->name[i]))
			fputs(a->value[i], stdout);
		else
			printf("\"%s\"", postern_json(qc->buf, a->value[i]));
	}
	for (i = 0; i < a->count; i++) {
		if (strcmp(a->name[i], "attribute") != 0)
			continue;
		printf("%s", nattr++ ? ", " : ", \"attributes\": {");
		/* "name=value": the name ends at the first "=". */
		eq = strchr(a->value[i], '=');
		vstring_memcpy(qc->key, a->value[i], eq ? (size_t)(eq -
		    a->value[i]) : 0);
		printf("\"%s\": ", postern_json(qc->buf, vstring_str(qc->key)));
		printf("\"%s\"", postern_json(qc->buf, eq ? eq + 1 : ""));
	}
	if (nattr)
		putchar('}');
}

/* qd_content - the message content, raw or in base64; -1 on error */
static int
qd_content(QD_CTX *qc, QF_MSG *qf)
{
	VSTRING	*all = qc->json ? vstring_alloc(qf->content_size + 1) : NULL;
	char	 chunk[8192];
	off_t	 off;
	ssize_t	 n = 0;

	for (off = 0; off < qf->content_size; off += n) {
		if ((n = qf_read_content(qf, off, chunk, sizeof(chunk))) <= 0)
			break;
		if (all != NULL)
			vstring_memcat(all, chunk, (size_t)n);
		else
			fwrite(chunk, 1, (size_t)n, stdout);
	}
	if (all != NULL) {
		base64_encode(qc->buf, vstring_str(all), vstring_len(all));
		printf(", \"content_base64\": \"%s\"", vstring_str(qc->buf));
		vstring_free(all);
	}
	return n < 0 ? -1 : 0;
}

/* qd_show - one open message */
static int
qd_show(QD_CTX *qc, QF_MSG *qf, const char *queue)
{
	int	 i, n = 0, rc = 0;

	attr_reset(qc->list);
	qenv_dump_msg(qc->list, qf, queue);
	if (qc->json) {
		putchar('{');
		qd_json(qc, qc->list);
		printf(", \"recipients\": [");
	} else {
		printf("*** ENVELOPE RECORDS %s/%s ***\n", queue, qf->id);
		qd_text(qc->list);
	}
	for (i = 0; i < qf->nrcpt; i++) {
		if (!qenv_sel_rcpt(&qc->sel, qf, i))
			continue;
		attr_reset(qc->list);
		qenv_dump_rcpt(qc->list, qf, i);
		if (qc->json) {
			printf("%s{", n++ ? ", " : "");
			qd_json(qc, qc->list);
			putchar('}');
		} else {
			printf("*** RECIPIENT %d ***\n", i);
			qd_text(qc->list);
		}
	}
	if (qc->json)
		putchar(']');
	if (qc->content) {
		if (!qc->json)
			printf("*** MESSAGE CONTENTS %s/%s ***\n", queue, qf->id);
		rc = qd_content(qc, qf);
		if (!qc->json)
			printf("*** END OF MESSAGE %s/%s ***\n", queue, qf->id);
	}
	printf(qc->json ? "}\n" : "\n");
	return rc;
}

/* qd_file - open and show one message of the selection */
static int
qd_file(const char *queue, const char *id, void *ctx)
{
	QD_CTX	*qc = ctx;
	VSTRING	*why = vstring_alloc(64);
	QF_MSG	*qf;
	int	 i, shown;

	if ((qf = qf_open(qc->queue_dir, queue, id, QF_OPEN_RDONLY, why))
	    == NULL) {
		/* A message delivered while "all" is listed is no error. */
		if (!qc->sel.all || errno != ENOENT) {
			fprintf(stderr, "%s: %s/%s: %s\n", postern_progname(),
			    queue, id, vstring_str(why));
			qc->status = 1;
		}
		vstring_free(why);
		return 0;
	}
	for (i = 0; i < qf->nrcpt && !qenv_sel_rcpt(&qc->sel, qf, i); i++)
		;
	if ((shown = i < qf->nrcpt) != 0 && qd_show(qc, qf, queue) < 0) {
		fprintf(stderr, "%s: %s/%s: cannot read the content\n",
		    postern_progname(), queue, id);
		qc->status = 1;
	}
	qf_close(qf);
	vstring_free(why);
	return shown;
}

/* qd_path - a queue file named by its path: queue_dir/queue/id */
static void
qd_path(QD_CTX *qc, const char *path, const char *sender)
{
	VSTRING	*dir = vstring_alloc(128);
	char	*slash, *queue;

	vstring_strcpy(dir, path);
	if ((slash = strrchr(vstring_str(dir), '/')) == NULL)
		msg_panic("qd_path: no slash in %s", path);
	*slash = 0;
	if ((queue = strrchr(vstring_str(dir), '/')) != NULL)
		*queue++ = 0;
	if (!qf_valid_id(slash + 1) || *(queue ? queue : vstring_str(dir)) == 0) {
		fprintf(stderr, "%s: %s: not a queue file path "
		    "([queue_directory/]queue/id)\n", postern_progname(), path);
		qc->status = 1;
	} else {
		/* "queue/id" is relative to the current directory. */
		if (queue == NULL) {
			qc->queue_dir = ".";
			queue = vstring_str(dir);
		} else
			qc->queue_dir = *vstring_str(dir) ? vstring_str(dir) : "/";
		qenv_sel_parse(&qc->sel, slash + 1, 0);
		qc->sel.sender = sender;
		(void)qd_file(queue, slash + 1, qc);
	}
	vstring_free(dir);
}

/* qd_arg - one id, envelope-id or "all" */
static void
qd_arg(QD_CTX *qc, const char *arg, const char *sender)
{
	static const char *queues[] = {QF_INCOMING, QF_ACTIVE, QF_DEFERRED,
	QF_HOLD, NULL};
	char	 queue[32];

	if (qenv_sel_parse(&qc->sel, arg, QENV_SEL_ALLOW_ALL) < 0) {
		fprintf(stderr, "%s: invalid id: \"%s\" (a message-id of 8 hex "
		    "digits, an envelope-id of 16, all, or a path)\n",
		    postern_progname(), arg);
		qc->status = 1;
		return;
	}
	qc->sel.sender = sender;
	qc->queue_dir = conf_str("queue_directory");
	if (qc->sel.all)
		(void)qenv_walk(qc->queue_dir, queues, &qc->sel, qd_file, qc);
	else if (qf_find(qc->queue_dir, qc->sel.msgid, queue, sizeof(queue))
	    == 0)
		(void)qd_file(queue, qc->sel.msgid, qc);
	else {
		fprintf(stderr, "%s: no such message: %s\n", postern_progname(),
		    arg);
		qc->status = 1;
	}
}

static int
qd_usage(void)
{
	fprintf(stderr, "usage: %s queue-dump [-bj] [-c config_dir] [-s sender] "
	    "[id | envelope-id | all | path]...\n", postern_progname());
	return 64;
}

int
postern_queue_dump_main(int argc, char **argv)
{
	const char *sender = NULL;
	QD_CTX	 qc;
	int	 ch, i, conf = 0;

	memset(&qc, 0, sizeof(qc));
	optind = 1;
	while ((ch = getopt(argc, argv, "bc:js:")) != -1) {
		switch (ch) {
		case 'b': qc.content = 1; break;
		case 'c': postern_set_config(optarg); break;
		case 'j': qc.json = 1; break;
		case 's': sender = optarg; break;
		default: return qd_usage();
		}
	}
	if (optind >= argc && sender == NULL)
		return qd_usage();
	qc.list = attr_alloc();
	qc.buf = vstring_alloc(256);
	qc.key = vstring_alloc(64);
	for (i = optind; i < argc || (i == optind && sender); i++) {
		if (i < argc && strchr(argv[i], '/') != NULL) {
			qd_path(&qc, argv[i], sender);
			continue;
		}
		if (!conf++)
			mail_conf_read(NULL);
		qd_arg(&qc, i < argc ? argv[i] : "all", sender);
	}
	attr_free(qc.list);
	vstring_free(qc.buf);
	vstring_free(qc.key);
	return postern_stdout_status(qc.status);
}
