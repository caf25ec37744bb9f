/*
 * NAME
 *	smtpctl_misc - smtpctl monitor, encrypt, show message, pause smtp
 * SYNOPSIS
 *	#include "smtpctl.h"
 *
 *	int	smtpctl_monitor(const SC_CMD *cmd);
 *	int	smtpctl_encrypt(const SC_CMD *cmd);
 *	int	smtpctl_show_message(const SC_CMD *cmd);
 *	int	smtpctl_pause_smtp(int pause);
 * DESCRIPTION
 *	smtpctl_monitor() prints a header and then, once a second until
 *	interrupted, one line of the qmgr's counters: the first line the
 *	current values, each later line the increments since the line
 *	before, except the absolute ones (current clients, current
 *	envelopes). Columns as smtpctl(8) lists them: clients (current,
 *	new, disconnected), envelopes (current, enqueued, dequeued),
 *	deliveries (ok, temporary failures, permanent failures, loops),
 *	expired, removed, bounces. The client columns come from the
 *	session counters smtpd keeps in pid/counters (mail_counter.h),
 *	which the qmgr reports with its own; "-" when absent. "Current
 *	envelopes" are the pending recipients in active/ and deferred/
 *	(scheduler.envelope); "enqueued"
 *	counts recipients of messages taken in from incoming/; "dequeued"
 *	counts envelopes that left the queue (delivered, bounced, expired,
 *	removed). With -j each line is a JSON object instead.
 *
 *	smtpctl_encrypt() prints the crypt(3) SHA-512 ("$6$", random
 *	16-character salt) hash of its argument, or of each line of the
 *	standard input when there is none.
 *
 *	smtpctl_show_message() prints the content of a queued message as it
 *	is stored (header and body, LF line ends), for a message-id or an
 *	envelope-id; it reads the queue file, running or not. With -j it
 *	prints one JSON object instead: message_id, queue, size, headers
 *	(up to and including the last header line's LF) and body (after the
 *	empty line), as strings; a byte that is not part of valid UTF-8 is
 *	written as the code point of the same value (\u0080 to \u00ff).
 *
 *	smtpctl_pause_smtp() asks the qmgr to create (pause) or remove
 *	(resume) $queue_directory/pid/smtpd.pause; smtpd answers new
 *	clients "421" while it exists.
 * DIAGNOSTICS
 *	Exit status 1 with a message on stderr.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "mail_conf.h"
#include "msg.h"
#include "myrandom.h"
#include "qfile.h"
#include "qmgr_clnt.h"
#include "smtpctl.h"

/* Monitor columns: name in the qmgr's stats list, absolute or not. */
typedef struct SC_COL {
	const char *label;
	const char *stat[5];		/* summed; null-terminated */
	int	 absolute;
} SC_COL;

static const SC_COL sc_cols[] = {
	{"curr", {QC_ST_SMTP_SESSIONS, NULL}, 1},
	{"conn", {QC_ST_SMTP_CONNECT, NULL}, 0},
	{"disc", {QC_ST_SMTP_DISCONNECT, NULL}, 0},
	{"curr", {QC_ST_ENVELOPES, NULL}, 1},
	{"enq", {QC_ST_ENV_RECEIVED, NULL}, 0},
	{"deq", {QC_ST_DELIVERY_OK, QC_ST_DELIVERY_PERM, QC_ST_EXPIRED,
	QC_ST_REMOVED, NULL}, 0},
	{"ok", {QC_ST_DELIVERY_OK, NULL}, 0},
	{"tmpfail", {QC_ST_DELIVERY_TEMP, NULL}, 0},
	{"prmfail", {QC_ST_DELIVERY_PERM, NULL}, 0},
	{"loop", {QC_ST_DELIVERY_LOOP, NULL}, 0},
	{"expire", {QC_ST_EXPIRED, NULL}, 0},
	{"remove", {QC_ST_REMOVED, NULL}, 0},
	{"bounce", {QC_ST_BOUNCES, NULL}, 0},
};

#define SC_NCOLS	(sizeof(sc_cols) / sizeof(sc_cols[0]))

static int
sc_stats_item(const ATTR *a, void *ctx)
{
	long long *values = ctx;
	size_t	 c;
	int	 k;

	for (c = 0; c < SC_NCOLS; c++) {
		values[c] = sc_cols[c].stat[0] ? 0 : -1;
		for (k = 0; sc_cols[c].stat[k]; k++)
			values[c] += attr_get_long(a, sc_cols[c].stat[k], 0);
	}
	return 0;
}

static int
sc_monitor_poll(long long *values)
{
	ATTR	*req = attr_alloc();
	VSTRING	*why = vstring_alloc(64);
	int	 rc;

	attr_add(req, QC_REQUEST, QC_REQ_SHOW_STATS);
	if ((rc = smtpctl_call(req, sc_stats_item, values, why)) < 0)
		fprintf(stderr, "smtpctl: %s\n", vstring_str(why));
	attr_free(req);
	vstring_free(why);
	return rc;
}

static void
sc_monitor_line(const long long *now, const long long *before, int json)
{
	static const char *widths = "\4\4\4\5\4\4\5\7\7\4\6\6\6";
	long long v;
	size_t	 c;

	if (json)
		putchar('{');
	for (c = 0; c < SC_NCOLS; c++) {
		v = sc_cols[c].absolute || before == NULL ? now[c] :
		    now[c] - before[c];
		if (json) {
			printf("%s\"%s%s\":", c ? "," : "", c < 3 ? "client." :
			    c < 6 ? "envelope." : "", sc_cols[c].label);
			if (now[c] < 0)
				printf("null");
			else
				printf("%lld", v);
		} else if (now[c] < 0)
			printf("%*s ", widths[c], "-");
		else
			printf("%*lld ", widths[c], v);
	}
	printf(json ? "}\n" : "\n");
	fflush(stdout);
}

int
smtpctl_monitor(const SC_CMD *cmd)
{
	long long now[SC_NCOLS], before[SC_NCOLS];
	int	 first = 1;

	if (!smtpctl_running()) {
		fprintf(stderr, "smtpctl: Postern is not running\n");
		return SC_EXIT_FAIL;
	}
	if (!cmd->json) {
		printf("--- client ---  -- envelope --   ---- relay/delivery "
		    "--- ------- misc -------\n"
		    "curr conn disc  curr  enq  deq   ok tmpfail prmfail loop "
		    "expire remove bounce\n");
		fflush(stdout);
	}
	for (;;) {
		if (sc_monitor_poll(now) < 0)
			return SC_EXIT_FAIL;
		sc_monitor_line(now, first ? NULL : before, cmd->json);
		memcpy(before, now, sizeof(now));
		first = 0;
		sleep(1);
	}
}

static int
sc_encrypt_one(const char *clear)
{
	static const char alphabet[] =
	    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	char	 salt[3 + 16 + 2];
	const char *hash;
	int	 i;

	memcpy(salt, "$6$", 3);
	for (i = 0; i < 16; i++)
		salt[3 + i] = alphabet[myrandom_uniform(sizeof(alphabet) - 1)];
	salt[19] = '$';
	salt[20] = 0;
	if ((hash = crypt(clear, salt)) == NULL || *hash == '*') {
		fprintf(stderr, "smtpctl: crypt: %s\n", strerror(errno));
		return SC_EXIT_FAIL;
	}
	printf("%s\n", hash);
	return SC_EXIT_OK;
}

int
smtpctl_encrypt(const SC_CMD *cmd)
{
	char	 line[1024];
	size_t	 len;
	int	 rc = SC_EXIT_OK;

	if (cmd->arg != NULL)
		return sc_encrypt_one(cmd->arg);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		len = strcspn(line, "\r\n");
		if (line[len] == 0 && !feof(stdin)) {
			fprintf(stderr, "smtpctl: line too long\n");
			return SC_EXIT_FAIL;
		}
		line[len] = 0;
		if (sc_encrypt_one(line) != SC_EXIT_OK)
			rc = SC_EXIT_FAIL;
	}
	explicit_bzero(line, sizeof(line));
	return rc;
}

/* sc_json_bytes - a JSON string of len bytes; invalid UTF-8 as U+0080..U+00FF */
static void
sc_json_bytes(const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;
	size_t	 n, k;

	putchar('"');
	while (p < end) {
		if (*p == '"' || *p == '\\') {
			printf("\\%c", *p++);
			continue;
		}
		if (*p == '\n' || *p == '\t') {
			printf(*p++ == '\n' ? "\\n" : "\\t");
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			printf("\\u%04x", *p++);
			continue;
		}
		if (*p < 0x80) {
			putchar(*p++);
			continue;
		}
		/* A whole, well-formed UTF-8 sequence passes; a stray byte does not. */
		n = (*p & 0xe0) == 0xc0 && *p >= 0xc2 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
		    (*p & 0xf8) == 0xf0 && *p <= 0xf4 ? 3 : 0;
		for (k = 1; n && k <= n; k++)
			if (p + k >= end || (p[k] & 0xc0) != 0x80)
				n = 0;
		if (n == 0) {
			printf("\\u%04x", *p++);
			continue;
		}
		fwrite(p, 1, n + 1, stdout);
		p += n + 1;
	}
	putchar('"');
}

/* sc_show_message_json - {"message_id", "queue", "headers", "body"} */
static void
sc_show_message_json(const char *msgid, const char *queue, const VSTRING *content)
{
	const char *s = vstring_str(content), *sep;
	size_t	 len = vstring_len(content), hlen;

	/* The header ends at the first empty line (LF LF in the queue file). */
	if (len > 0 && s[0] == '\n')
		sep = s;
	else
		sep = memmem(s, len, "\n\n", 2);
	hlen = sep ? (size_t)(sep - s) + (sep == s ? 0 : 1) : len;
	printf("{\"message_id\":");
	smtpctl_json_string(msgid);
	printf(",\"queue\":");
	smtpctl_json_string(queue);
	printf(",\"size\":%zu,\"headers\":", len);
	sc_json_bytes((const unsigned char *)s, hlen);
	printf(",\"body\":");
	sc_json_bytes((const unsigned char *)s + (sep ? hlen + 1 : len),
	    sep ? len - hlen - 1 : 0);
	printf("}\n");
}

int
smtpctl_show_message(const SC_CMD *cmd)
{
	const char *dir = conf_str("queue_directory");
	char	 msgid[QF_ID_LEN + 1], queue[32], buf[8192];
	VSTRING	*why, *content = NULL;
	QF_MSG	*qf;
	off_t	 off;
	ssize_t	 n = 0;

	if (!smtpctl_id_ok(cmd->arg, 0) || smtpctl_msgid(cmd->arg, msgid) < 0
	    || qf_find(dir, msgid, queue, sizeof(queue)) < 0) {
		fprintf(stderr, "smtpctl: no such message: %s\n", cmd->arg);
		return SC_EXIT_FAIL;
	}
	why = vstring_alloc(64);
	if ((qf = qf_open(dir, queue, msgid, QF_OPEN_RDONLY, why)) == NULL) {
		fprintf(stderr, "smtpctl: %s: %s\n", msgid, vstring_str(why));
		vstring_free(why);
		return SC_EXIT_FAIL;
	}
	if (cmd->json)
		content = vstring_alloc(qf->content_size + 1);
	for (off = 0; off < qf->content_size; off += n) {
		if ((n = qf_read_content(qf, off, buf, sizeof(buf))) <= 0)
			break;
		if (content != NULL)
			vstring_memcat(content, buf, (size_t)n);
		else if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	}
	qf_close(qf);
	vstring_free(why);
	if (content != NULL) {
		if (n >= 0)
			sc_show_message_json(msgid, queue, content);
		vstring_free(content);
	}
	if (fflush(stdout) != 0 || n < 0) {
		fprintf(stderr, "smtpctl: %s: read or write error\n", msgid);
		return SC_EXIT_FAIL;
	}
	return SC_EXIT_OK;
}

int
smtpctl_pause_smtp(int pause)
{
	long long count = 0;

	if (!smtpctl_running()) {
		fprintf(stderr, "smtpctl: Postern is not running\n");
		return SC_EXIT_FAIL;
	}
	if (smtpctl_simple(pause ? QC_REQ_PAUSE_SMTP : QC_REQ_RESUME_SMTP,
	    NULL, NULL, &count) < 0)
		return SC_EXIT_FAIL;
	printf("smtp %s\n", pause ? "paused" : "resumed");
	return SC_EXIT_OK;
}
