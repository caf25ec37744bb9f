/*
 * NAME
 *	fuzz_smtp - fuzz harness: the SMTP/LMTP client's reply and EHLO
 *	parsing (src/smtp)
 * DESCRIPTION
 *	The input is what a server sends: the greeting, the EHLO/LHLO reply
 *	(keywords, SIZE, XFORWARD attributes), the replies to XFORWARD,
 *	MAIL, RCPT, DATA and after the content, and to QUIT. The client's
 *	own code (smtp_sess_new, smtp_resp, smtp_helo, smtp_xfer,
 *	smtp_sess_close) talks over a stream with no network; the message comes from real queue
 *	files made at start-up (one 7-bit, one 8-bit MIME message).
 *	A second transaction runs on the same session when the first left
 *	it usable, as with a cached connection.
 *
 *	The first input byte picks the variant: bit 0 LMTP, bit 1 the 8-bit
 *	message, bit 2 smtp_8bit_mode = 7bit (MIME conversion), bit 3 three
 *	recipients (one quoted, one UTF-8) instead of one, bit 4 the last
 *	server to try (4xx then gives a result instead of a retry), bit 5
 *	small reads, bit 6 XFORWARD allowed, bit 7 HELO only.
 *
 *	Checked: every recipient has at most one result and the pending
 *	count agrees; each result sent to the queue manager reads back as an
 *	attribute list with a well-formed DSN status and an action; every
 *	line the client wrote ends in CRLF with no other CR or LF.
 */
#include <sys/socket.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attr.h"
#include "deliver_request.h"
#include "mail_conf.h"
#include "mymalloc.h"
#include "qfile.h"
#include "smtp.h"
#include "fuzz.h"

static QF_MSG *fuzz_msg[2];
static VSTRING *to_server, *to_qmgr;
static SMTP_CONF fuzz_cf_saved;

static const char fuzz_main_cf[] =
"myhostname = client.example.com\n"
"smtp_helo_name = $myhostname\n"
"disable_dns_lookups = yes\n"
"smtp_pix_workaround_delay_time = 0\n"
"smtp_pix_workaround_threshold_time = 0\n"
"smtp_send_xforward_command = yes\n"
"smtp_discard_ehlo_keywords = silly\n";

static const char *fuzz_content[2] = {
	"Subject: plain\nFrom: a@example.net\nTo: b@example.com\n\nline one\n.leading dot\n\nlast\n",
	"Subject: =?utf-8?q?caf=C3=A9?=\nMIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"b1\"\n\npreamble\n--b1\n"
	"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
	"caf\xc3\xa9 \xe2\x82\xac\n.dot\n--b1\nContent-Type: message/rfc822\n\n"
	"Subject: inner\n\n\xc3\xa9\n--b1--\nepilogue\n",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	VSTRING	*why = vstring_alloc(100);

	fuzz_init("fuzz_smtp");
	fuzz_main_cf_load(fuzz_main_cf);
	smtp_conf_load("smtp", "smtp");
	fuzz_cf_saved = smtp_cf;
	if (qf_make_dirs(smtp_cf.queue_dir, (uid_t)-1, (gid_t)-1, why) < 0)
		abort();
	fuzz_msg[0] = fuzz_queue_file(smtp_cf.queue_dir, fuzz_content[0],
	    strlen(fuzz_content[0]), FUZZ_QF_DSN);
	fuzz_msg[1] = fuzz_queue_file(smtp_cf.queue_dir, fuzz_content[1],
	    strlen(fuzz_content[1]), FUZZ_QF_DSN | FUZZ_QF_UTF8);
	to_server = vstring_alloc(4096);
	to_qmgr = vstring_alloc(4096);
	vstring_free(why);
	return 0;
}

/* The session smtp_sess_open() makes after a connect, on our stream. */
static SMTP_SESS *
fuzz_smtp_sess(const uint8_t *data, size_t len, size_t chunk)
{
	SMTP_ADDR addr;
	SMTP_SESS *sess;

	memset(&addr, 0, sizeof(addr));
	addr.host = (char *)"mx.example.com";
	snprintf(addr.addr, sizeof(addr.addr), "192.0.2.25");
	addr.sa.ss_family = AF_INET;
	addr.port = 25;
	sess = smtp_sess_new(fuzz_devnull(), &addr, "example.com");
	fuzz_stream_attach(sess->stream, data, len, chunk, to_server);
	return sess;
}

static void
fuzz_smtp_req(SMTP_REQ *req, VSTREAM *client, QF_MSG *msg, int many)
{
	static const char *addrs[] = {
		"user@example.com", "\"q u\"@example.com", "j\xc3\xbcrgen@example.com",
	};
	static const char *orcpts[] = {NULL, "rfc822;orig@example.org", "utf-8;x"};
	static const char *notify[] = {NULL, "SUCCESS,FAILURE", "6"};
	int	 i;

	memset(req, 0, sizeof(*req));
	clock_gettime(CLOCK_REALTIME, &req->t_start);
	req->client = client;
	req->why = vstring_alloc(100);
	req->msg = msg;
	req->dr.queue_name = QF_INCOMING;
	req->dr.queue_id = msg->id;
	req->dr.nexthop = "example.com";
	req->dr.sender = msg->sender;
	req->dr.envid = msg->dsn_envid;
	req->dr.ret = "HDRS";
	req->dr.client_name = "client.example.net";
	req->dr.client_addr = "198.51.100.7";
	req->dr.helo = "client.example.net";
	req->dr.protocol = "ESMTP";
	req->dr.arrival = req->dr.active = (double)time(NULL);
	req->nrcpt = req->pending = many ? 3 : 1;
	req->rcpt = mycalloc(req->nrcpt, sizeof(*req->rcpt));
	for (i = 0; i < req->nrcpt; i++) {
		req->rcpt[i].index = i;
		req->rcpt[i].addr = (char *)addrs[i];
		req->rcpt[i].orcpt = (char *)orcpts[i];
		req->rcpt[i].notify = (char *)notify[i];
	}
	req->has8bit = smtp_body_has8(req);
}

static void
fuzz_smtp_req_check(const SMTP_REQ *req)
{
	int	 i, pending = 0;

	for (i = 0; i < req->nrcpt; i++)
		pending += !req->rcpt[i].done;
	if (pending != req->pending)
		abort();
}

/* Each line the client wrote: CRLF-terminated, no other CR or LF. */
static void
fuzz_smtp_lines(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n'))
			goto bad;
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			goto bad;
	}
	if (len > 0 && (len < 2 || s[len - 1] != '\n'))
		goto bad;
	return;
bad:
	fprintf(stderr, "fuzz_smtp: bad line end at offset %zu\n", i);
	abort();
}

/* The results sent to the queue manager. */
static void
fuzz_smtp_results(const VSTRING *buf)
{
	VSTREAM	*sp = fuzz_stream((const uint8_t *)vstring_str(buf), vstring_len(buf), 0, NULL);
	ATTR	*a = attr_alloc();
	const char *st, *action;

	while (attr_reset(a), attr_read(sp, a) == 0) {
		st = attr_get(a, DR_STATUS);
		action = attr_get(a, DR_ACTION);
		if (attr_get(a, DR_RCPT_INDEX) == NULL || st == NULL || action == NULL)
			abort();
		if (st[0] < '2' || st[0] > '5' || st[1] != '.' || !isdigit((unsigned char)st[2]))
			abort();
	}
	if (vstream_bufstat(sp) != 0)
		abort();
	attr_free(a);
	vstream_fclose(sp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	SMTP_SESS *sess;
	SMTP_REQ req;
	VSTREAM	*client;
	VSTRING	*why;
	char	 dsn[16];
	int	 v, n;

	if (len == 0)
		return 0;
	v = data[0];
	smtp_cf = fuzz_cf_saved;
	smtp_cf.lmtp = v & 1;
	smtp_cf.bit_mode = (v & 4) ? SMTP_8BIT_7BIT : SMTP_8BIT_AUTO;
	smtp_cf.send_xforward = (v >> 6) & 1;
	smtp_cf.never_ehlo = (v >> 7) & 1;
	vstring_reset(to_server);
	vstring_reset(to_qmgr);
	sess = fuzz_smtp_sess(data + 1, len - 1, (v & 0x20) ? 3 : 0);
	client = fuzz_stream(NULL, 0, 0, to_qmgr);
	why = vstring_alloc(100);
	fuzz_smtp_req(&req, client, fuzz_msg[(v >> 1) & 1], (v >> 3) & 1);
	req.final_server = (v >> 4) & 1;

	if (smtp_resp(sess, smtp_cf.tmo_helo) / 100 == 2) {
		vstring_strcpy(sess->greeting, vstring_str(sess->resp.text));
		if (smtp_helo(sess, why, dsn) == 0 && smtp_tls_starttls(sess, why, dsn) == 0) {
			for (n = 0; n < 2 && !sess->broken; n++) {
				if (smtp_xfer(&req, sess) < 0)
					break;
				fuzz_smtp_req_check(&req);
				/* The next message on the cached session. */
				for (int i = 0; i < req.nrcpt; i++)
					req.rcpt[i].done = req.rcpt[i].accepted = 0;
				req.pending = req.nrcpt;
			}
		}
	}
	fuzz_smtp_req_check(&req);
	smtp_sess_close(sess, !sess->broken);
	vstream_fflush(client);
	fuzz_smtp_lines(vstring_str(to_server), vstring_len(to_server));
	fuzz_smtp_results(to_qmgr);
	vstream_fclose(client);
	myfree(req.rcpt);
	vstring_free(req.why);
	vstring_free(why);
	return 0;
}
