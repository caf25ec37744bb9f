/*
 * NAME
 *	smtp_proto - the SMTP and LMTP conversation
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	int smtp_helo(SMTP_SESS *sess, VSTRING *why, char *dsn);
 *	int smtp_xfer(SMTP_REQ *req, SMTP_SESS *sess);
 * DESCRIPTION
 *	smtp_helo() sends LHLO (LMTP), or EHLO or HELO: HELO only with
 *	smtp_never_send_ehlo; EHLO only when the greeting says "ESMTP"
 *	with smtp_always_send_ehlo = no or smtp_ehlo_if_esmtp_banner = yes
 *	(ZMailer's -E); HELO again when EHLO is rejected. It records the
 *	extensions offered, less the keywords to discard: the server
 *	address's entry in smtp_discard_ehlo_keyword_address_maps when it
 *	has one, else smtp_discard_ehlo_keywords (ZMailer's -P is
 *	"pipelining" there). As in Postfix, the keywords dropped are logged
 *	("discarding EHLO keywords: PIPELINING") unless the list holds
 *	"silent-discard", and a table lookup error fails the session
 *	(4.3.0). A greeting made of asterisks is a PIX firewall: the
 *	workarounds of the server address's entry in
 *	smtp_pix_workaround_maps, else of smtp_pix_workarounds, apply
 *	(disable_esmtp: HELO, not EHLO; delay_dotcrlf: the final "." goes in
 *	a packet of its own, see smtp_body(3)); they are logged ("enabling
 *	PIX workarounds: disable_esmtp delay_dotcrlf for host[addr]:port").
 *	A table that fails is logged and the parameter's list applies.
 *
 *	smtp_xfer() runs one mail transaction for the recipients of a
 *	request that have no result yet: XFORWARD (smtp_send_xforward_command),
 *	MAIL FROM (SIZE=, BODY=8BITMIME, SMTPUTF8, RET=, ENVID=, and AUTH=<>
 *	with smtp_send_dummy_mail_auth when SASL is enabled and the server
 *	announced AUTH), RCPT TO
 *	(NOTIFY=, ORCPT=), DATA and the content. SMTPUTF8 is sent when the
 *	message came with it (queue file attribute "smtputf8") or has UTF-8
 *	envelope addresses; such addresses bounce (5.6.7) at a server that
 *	does not offer SMTPUTF8 (RFC 6531). The envelope addresses sent
 *	and the SIZE are those after smtp_generic_maps (smtp_generic(3));
 *	a recipient that mapping changed gets ORCPT=rfc822;original when
 *	it has no ORCPT of its own, as in Postfix. With PIPELINING every command up to
 *	DATA goes out in one write and the replies are read in order. The
 *	result of each recipient is recorded (smtp_result.c): after DATA, one
 *	reply for all (SMTP) or one reply per accepted recipient (LMTP).
 *	Temporary failures while another server remains leave recipients
 *	pending so that the caller tries the next one.
 * DIAGNOSTICS
 *	smtp_helo() returns -1 with a reason and a status. smtp_xfer()
 *	returns 0 when the session can carry another transaction, -1 when
 *	it must be closed.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"
#include "smtp.h"
#include "xtext.h"

/* smtp_ehlo_feature - one EHLO keyword */

static void
smtp_ehlo_feature(SMTP_SESS *sess, const char *line, const ARGV *discard,
    VSTRING **gone)
{
	static const struct {
		const char *name;
		int	 flag;
	} tab[] = {
		{"PIPELINING", SMTP_FEAT_PIPELINING}, {"8BITMIME", SMTP_FEAT_8BITMIME},
		{"SIZE", SMTP_FEAT_SIZE}, {"DSN", SMTP_FEAT_DSN},
		{"XFORWARD", SMTP_FEAT_XFORWARD}, {"SMTPUTF8", SMTP_FEAT_SMTPUTF8},
		{"STARTTLS", SMTP_FEAT_STARTTLS},
	};
	ARGV	*words = argv_split(line, " \t");
	size_t	 i;

	if (words->argc == 0)
		goto done;
	for (i = 0; i < discard->argc; i++)
		if (strcasecmp(discard->argv[i], words->argv[0]) == 0
		    || (strncasecmp(words->argv[0], "AUTH=", 5) == 0
		    && strcasecmp(discard->argv[i], "AUTH") == 0)) {
			if (*gone == NULL)
				*gone = vstring_alloc(32);
			vstring_sprintf_append(*gone, " %s", words->argv[0]);
			goto done;
		}
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(tab[i].name, words->argv[0]) == 0)
			sess->features |= tab[i].flag;
	if (strcasecmp(words->argv[0], "AUTH") == 0 ||
	    strncasecmp(words->argv[0], "AUTH=", 5) == 0) {
		if (sess->sasl_mechs == NULL)
			sess->sasl_mechs = vstring_alloc(64);
		/* "AUTH mechs" wins over the old "AUTH=mechs" form. */
		if (words->argv[0][4] == '=' && vstring_len(sess->sasl_mechs))
			goto done;
		vstring_reset(sess->sasl_mechs);
		if (words->argv[0][4] == '=')
			vstring_strcpy(sess->sasl_mechs, words->argv[0] + 5);
		for (i = 1; i < words->argc; i++) {
			if (vstring_len(sess->sasl_mechs))
				vstring_addch(sess->sasl_mechs, ' ');
			vstring_strcat(sess->sasl_mechs, words->argv[i]);
		}
	}
	if (strcasecmp(words->argv[0], "SIZE") == 0 && words->argc > 1)
		sess->size_limit = strtol(words->argv[1], NULL, 10);
	if (strcasecmp(words->argv[0], "XFORWARD") == 0) {
		for (i = 1; i < words->argc; i++) {
			if (strcasecmp(words->argv[i], "NAME") == 0)
				sess->xforward |= SMTP_XF_NAME;
			else if (strcasecmp(words->argv[i], "ADDR") == 0)
				sess->xforward |= SMTP_XF_ADDR;
			else if (strcasecmp(words->argv[i], "PROTO") == 0)
				sess->xforward |= SMTP_XF_PROTO;
			else if (strcasecmp(words->argv[i], "HELO") == 0)
				sess->xforward |= SMTP_XF_HELO;
		}
	}
done:
	argv_free(words);
}

/*
 * smtp_pix - the PIX workarounds for this server: its address's entry in
 * smtp_pix_workaround_maps, else smtp_pix_workarounds.
 */
static int
smtp_pix(SMTP_SESS *sess)
{
	const char *val = NULL;
	ARGV	*words, *own = NULL;
	VSTRING	*names;
	size_t	 i;
	int	 err, pix = 0;

	if (smtp_cf.pix_maps != NULL) {
		val = dict_get_list(smtp_cf.pix_maps, smtp_cf.pix_nmaps, sess->addr, &err);
		if (err != DICT_ERR_NONE)
			msg_warn("%s map lookup error for %s: using %s",
			    smtp_pname("smtp_pix_workaround_maps"), sess->addr,
			    smtp_pname("smtp_pix_workarounds"));
	}
	words = val != NULL ? (own = argv_split(val, ", \t\r\n")) : smtp_cf.pix_words;
	names = vstring_alloc(40);
	for (i = 0; i < words->argc; i++) {
		if (strcasecmp(words->argv[i], "disable_esmtp") == 0)
			pix |= SMTP_PIX_NO_ESMTP;
		else if (strcasecmp(words->argv[i], "delay_dotcrlf") == 0)
			pix |= SMTP_PIX_DELAY_DOT;
		else {
			msg_warn("unknown PIX workaround name \"%s\" (disable_esmtp, "
			    "delay_dotcrlf): ignored", words->argv[i]);
			continue;
		}
		vstring_sprintf_append(names, " %s", words->argv[i]);
	}
	if (pix)
		msg_info("enabling PIX workarounds:%s for %s", vstring_str(names),
		    vstring_str(sess->relay));
	vstring_free(names);
	if (own != NULL)
		argv_free(own);
	return pix;
}

/* smtp_want_ehlo - EHLO or HELO */

static int
smtp_want_ehlo(SMTP_SESS *sess)
{
	const char *g = vstring_str(sess->greeting);

	/* PIX: a banner of asterisks after the code. */
	if (strlen(g) > 5 && g[4] == '*' && g[5] == '*')
		sess->pix = smtp_pix(sess);
	if (sess->lmtp)
		return 1;
	if (smtp_cf.never_ehlo || (sess->pix & SMTP_PIX_NO_ESMTP))
		return 0;
	if (smtp_cf.ehlo_if_esmtp || !smtp_cf.always_ehlo)
		return strcasestr(g, "ESMTP") != NULL;
	return 1;
}

/*
 * smtp_ehlo_discards - the keywords to ignore from this server: its
 * address's entry in smtp_discard_ehlo_keyword_address_maps, else
 * smtp_discard_ehlo_keywords. *own gets a list the caller frees; -1
 * when a table failed.
 */
static int
smtp_ehlo_discards(SMTP_SESS *sess, ARGV **list, ARGV **own)
{
	const char *val;
	int	 err;

	*own = NULL;
	*list = smtp_cf.discard_ehlo;
	if (smtp_cf.discard_maps == NULL)
		return 0;
	val = dict_get_list(smtp_cf.discard_maps, smtp_cf.discard_nmaps,
	    sess->addr, &err);
	if (err != DICT_ERR_NONE)
		return -1;
	if (val != NULL)
		*list = *own = argv_split(val, ", \t\r\n");
	return 0;
}

/* smtp_ehlo_reply - the features of a 2xx EHLO reply, less the discarded */

static int
smtp_ehlo_reply(SMTP_SESS *sess, VSTRING *why, char *dsn)
{
	ARGV	*discard, *own;
	VSTRING	*gone;
	size_t	 i;

	if (smtp_ehlo_discards(sess, &discard, &own) < 0) {
		vstring_sprintf(why, "%s map lookup error for %s",
		    smtp_pname("smtp_discard_ehlo_keyword_address_maps"), sess->addr);
		msg_warn("%s", vstring_str(why));
		strcpy(dsn, "4.3.0");
		return -1;
	}
	gone = NULL;
	sess->features |= SMTP_FEAT_ESMTP;
	for (i = 1; i < sess->resp.lines->argc; i++)
		smtp_ehlo_feature(sess, sess->resp.lines->argv[i], discard, &gone);
	if (gone != NULL) {
		for (i = 0; i < discard->argc; i++)
			if (strcasecmp(discard->argv[i], "silent-discard") == 0)
				break;
		if (i == discard->argc)
			msg_info("discarding EHLO keywords:%s", vstring_str(gone));
		vstring_free(gone);
	}
	if (own != NULL)
		argv_free(own);
	return 0;
}

int
smtp_helo(SMTP_SESS *sess, VSTRING *why, char *dsn)
{
	const char *cmd;

	smtp_title("%s: helo %s", sess->dest, vstring_str(sess->namaddr));
	if (smtp_want_ehlo(sess)) {
		cmd = sess->lmtp ? "LHLO" : "EHLO";
		if (smtp_cmd(sess, smtp_cf.tmo_helo, "%s %s", cmd, smtp_cf.helo_name) < 0
		    || smtp_resp(sess, smtp_cf.tmo_helo) == 0)
			goto fail;
		if (sess->resp.code / 100 == 2)
			return smtp_ehlo_reply(sess, why, dsn);
		if (sess->lmtp)
			goto fail;
	}
	cmd = "HELO";
	if (smtp_cmd(sess, smtp_cf.tmo_helo, "HELO %s", smtp_cf.helo_name) < 0
	    || smtp_resp(sess, smtp_cf.tmo_helo) / 100 != 2)
		goto fail;
	return 0;
fail:
	smtp_sess_say(sess, why, cmd);
	snprintf(dsn, 16, "%s", sess->resp.code ? sess->resp.dsn : "4.4.2");
	return -1;
}

/*
 * smtp_quote - the envelope address as RFC 5321 wants it: addr_quote(3)
 * of the unquoted form (the queue holds addresses as received), unless
 * smtp_quote_rfc821_envelope is off. The null address stays empty.
 */

static const char *
smtp_quote(VSTRING *buf, const char *addr)
{
	VSTRING	*internal;

	if (!smtp_cf.quote_821 || *addr == 0)
		return vstring_str(vstring_strcpy(buf, addr));
	internal = addr_unquote(vstring_alloc(100), addr);
	addr_quote(buf, vstring_str(internal));
	vstring_free(internal);
	return vstring_str(buf);
}

/* smtp_xtext - RFC 3461 xtext (xtext(3)) */

#define smtp_xtext(buf, s)	vstring_str(xtext_encode((buf), (s)))

/* smtp_notify_text - DSN NOTIFY keywords from the request */

static const char *
smtp_notify_text(VSTRING *buf, const char *notify)
{
	int	 bits;

	vstring_reset(buf);
	if (notify == NULL || *notify == 0)
		return NULL;
	if (!isdigit((unsigned char)*notify))
		return vstring_strcpy(buf, notify)->str;
	if ((bits = atoi(notify)) == 0)
		return NULL;
	if (bits & QF_NOTIFY_NEVER)
		return vstring_strcpy(buf, "NEVER")->str;
	if (bits & QF_NOTIFY_SUCCESS)
		vstring_strcat(buf, ",SUCCESS");
	if (bits & QF_NOTIFY_FAILURE)
		vstring_strcat(buf, ",FAILURE");
	if (bits & QF_NOTIFY_DELAY)
		vstring_strcat(buf, ",DELAY");
	return vstring_len(buf) ? vstring_str(buf) + 1 : NULL;
}

/* smtp_send_xforward - XFORWARD, one reply, not pipelined */

static int
smtp_send_xforward(SMTP_REQ *req, SMTP_SESS *sess, VSTRING *tmp)
{
	VSTRING	*cmd = vstring_alloc(200);
	int	 ret = 0;

	vstring_strcpy(cmd, "XFORWARD");
#define XF(bit, name, val) if (sess->xforward & (bit)) vstring_sprintf_append(cmd, " %s=%s", name, \
	    smtp_xtext(tmp, (val) && *(val) ? (val) : "[UNAVAILABLE]"))
	XF(SMTP_XF_NAME, "NAME", req->dr.client_name);
	XF(SMTP_XF_ADDR, "ADDR", req->dr.client_addr);
	XF(SMTP_XF_PROTO, "PROTO", req->dr.protocol);
	XF(SMTP_XF_HELO, "HELO", req->dr.helo);
#undef XF
	if (smtp_cmd(sess, smtp_cf.tmo_xforward, "%s", vstring_str(cmd)) < 0
	    || smtp_resp(sess, smtp_cf.tmo_xforward) / 100 != 2) {
		smtp_sess_say(sess, tmp, "XFORWARD");
		smtp_req_why(req, sess->resp.code ? sess->resp.dsn : "4.4.2", 1, "%s", vstring_str(tmp));
		ret = -1;
	}
	vstring_free(cmd);
	return ret;
}

/* smtp_utf8_addrs - does the envelope of this delivery need SMTPUTF8? */

static int
smtp_utf8_addrs(const SMTP_REQ *req)
{
	const unsigned char *cp;
	int	 i;

	for (cp = (const unsigned char *)SMTP_SENDER_OUT(req); cp && *cp; cp++)
		if (*cp >= 0x80)
			return 1;
	for (i = 0; i < req->nrcpt; i++) {
		if (req->rcpt[i].done)
			continue;
		for (cp = (const unsigned char *)SMTP_RCPT_OUT(&req->rcpt[i]); *cp; cp++)
			if (*cp >= 0x80)
				return 1;
	}
	return 0;
}

/* smtp_utf8_message - was the message received with SMTPUTF8 (RFC 6531)? */

static int
smtp_utf8_message(const SMTP_REQ *req)
{
	const char *v = qf_attr(req->msg, "smtputf8");

	return (v && strcmp(v, "1") == 0) || smtp_utf8_addrs(req);
}

/*
 * smtp_utf8_check - UTF-8 envelope addresses go only to a server that
 * offers SMTPUTF8; otherwise they bounce (5.6.7), as in Postfix.
 */
static int
smtp_utf8_check(SMTP_REQ *req, SMTP_SESS *sess, VSTRING *buf)
{
	if ((sess->features & SMTP_FEAT_SMTPUTF8) || !smtp_utf8_addrs(req))
		return 0;
	vstring_sprintf(buf, "SMTPUTF8 is required, but was not offered by host %s",
	    vstring_str(sess->namaddr));
	smtp_rcpt_rest(req, sess, "5.6.7", vstring_str(buf));
	return -1;
}

/* smtp_send_mail - MAIL FROM with its parameters */

static int
smtp_send_mail(SMTP_REQ *req, SMTP_SESS *sess, int downgrade, VSTRING *a, VSTRING *b)
{
	VSTRING	*cmd = vstring_alloc(200);
	int	 ret;

	vstring_sprintf(cmd, "MAIL FROM:<%s>", smtp_quote(a, SMTP_SENDER_OUT(req)));
	if (sess->features & SMTP_FEAT_SIZE)
		vstring_sprintf_append(cmd, " SIZE=%lld", (long long)SMTP_REQ_SIZE(req));
	if (req->has8bit && !downgrade && (sess->features & SMTP_FEAT_8BITMIME))
		vstring_strcat(cmd, " BODY=8BITMIME");
	if ((sess->features & SMTP_FEAT_SMTPUTF8) && smtp_utf8_message(req))
		vstring_strcat(cmd, " SMTPUTF8");
	/* smtp_send_dummy_mail_auth: for servers that want AUTH=<> (Postfix). */
	if (smtp_cf.dummy_mail_auth && sess->sasl_mechs != NULL)
		vstring_strcat(cmd, " AUTH=<>");
	if (sess->features & SMTP_FEAT_DSN) {
		if (req->dr.ret && *req->dr.ret)
			vstring_sprintf_append(cmd, " RET=%s", strcmp(req->dr.ret, "2") == 0
			    || strcasecmp(req->dr.ret, "HDRS") == 0 ? "HDRS" : "FULL");
		if (req->dr.envid && *req->dr.envid)
			vstring_sprintf_append(cmd, " ENVID=%s", smtp_xtext(b, req->dr.envid));
	}
	ret = smtp_send(sess, smtp_cf.tmo_mail, "%s", vstring_str(cmd));
	vstring_free(cmd);
	return ret;
}

/* smtp_send_rcpt - RCPT TO with its parameters */

static int
smtp_send_rcpt(SMTP_SESS *sess, SMTP_RCPT *rcpt, VSTRING *a, VSTRING *b)
{
	VSTRING	*cmd = vstring_alloc(200);
	const char *n, *o;
	int	 ret;

	vstring_sprintf(cmd, "RCPT TO:<%s>", smtp_quote(a, SMTP_RCPT_OUT(rcpt)));
	if (sess->features & SMTP_FEAT_DSN) {
		if ((n = smtp_notify_text(a, rcpt->notify)) != NULL)
			vstring_sprintf_append(cmd, " NOTIFY=%s", n);
		/* smtp_generic_maps changed the address: ORCPT keeps the original. */
		if (((o = rcpt->orcpt) == NULL || *o == 0) && rcpt->gen_addr)
			o = rcpt->addr;
		if (o != NULL && *o) {
			if (strchr(o, ';') == NULL)
				vstring_sprintf_append(cmd, " ORCPT=rfc822;%s", smtp_xtext(b, o));
			else {
				vstring_sprintf_append(cmd, " ORCPT=%.*s;", (int)(strchr(o, ';') - o), o);
				vstring_strcat(cmd, smtp_xtext(b, strchr(o, ';') + 1));
			}
		}
	}
	ret = smtp_send(sess, smtp_cf.tmo_rcpt, "%s", vstring_str(cmd));
	vstring_free(cmd);
	return ret;
}

/* smtp_mail_failed - MAIL FROM rejected: every pending recipient */

static void
smtp_mail_failed(SMTP_REQ *req, SMTP_SESS *sess)
{
	int	 i;

	for (i = 0; i < req->nrcpt; i++)
		if (!req->rcpt[i].done)
			smtp_rcpt_resp(req, &req->rcpt[i], sess, "MAIL FROM");
}

/* smtp_after_dot - the replies after the content */

static void
smtp_after_dot(SMTP_REQ *req, SMTP_SESS *sess)
{
	int	 i, first = 1;

	for (i = 0; i < req->nrcpt; i++) {
		if (!req->rcpt[i].accepted)
			continue;
		if (first || sess->lmtp)
			smtp_resp(sess, smtp_cf.tmo_data_done);
		first = 0;
		req->rcpt[i].accepted = 0;
		smtp_rcpt_resp(req, &req->rcpt[i], sess, "end of DATA");
	}
}

/* smtp_rcpt_replies - read RCPT replies (pipelined or not) */

static int
smtp_rcpt_reply(SMTP_REQ *req, SMTP_SESS *sess, SMTP_RCPT *rcpt, int mail_ok)
{
	if (smtp_resp(sess, smtp_cf.tmo_rcpt) == 0)
		return -1;
	if (!mail_ok)
		return 0;
	if (sess->resp.code / 100 == 2) {
		rcpt->accepted = 1;
		return 1;
	}
	smtp_rcpt_resp(req, rcpt, sess, "RCPT TO");
	return 0;
}

/* smtp_data - DATA, the content, the dot */

static int
smtp_data(SMTP_REQ *req, SMTP_SESS *sess, int naccept, int downgrade, int mail_ok)
{
	if (smtp_resp(sess, smtp_cf.tmo_data_init) == 0)
		return -1;
	if (sess->resp.code != 354) {
		if (naccept > 0 && mail_ok) {
			int	 i;

			for (i = 0; i < req->nrcpt; i++)
				if (req->rcpt[i].accepted) {
					req->rcpt[i].accepted = 0;
					smtp_rcpt_resp(req, &req->rcpt[i], sess, "DATA");
				}
		}
		return 0;
	}
	if (naccept == 0 || !mail_ok) {
		/* Pipelined DATA accepted without recipients: send nothing. */
		if (smtp_cmd(sess, smtp_cf.tmo_data_done, ".") < 0
		    || smtp_resp(sess, smtp_cf.tmo_data_done) == 0)
			return -1;
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &req->t_xfer);
	smtp_title("%s: data to %s", sess->dest, vstring_str(sess->namaddr));
	if (smtp_body_send(req, sess, downgrade) < 0)
		return -1;
	smtp_after_dot(req, sess);
	return sess->broken ? -1 : 0;
}

/* smtp_xfer_fail - the session broke: keep or defer the rest */

static int
smtp_xfer_fail(SMTP_REQ *req, SMTP_SESS *sess, const char *cmd)
{
	VSTRING	*why = vstring_alloc(100);
	int	 i;

	smtp_sess_say(sess, why, cmd);
	for (i = 0; i < req->nrcpt; i++)
		req->rcpt[i].accepted = 0;
	smtp_req_why(req, "4.4.2", 1, "%s", vstring_str(why));
	vstring_free(why);
	sess->broken = 1;
	return -1;
}

/*
 * smtp_rset_reply - the reply to the RSET that smtp_connect_reuse() sent
 * ahead of this transaction; anything but 2xx breaks the session.
 */
static int
smtp_rset_reply(SMTP_SESS *sess)
{
	if (!sess->rset_pending)
		return 0;
	sess->rset_pending = 0;
	if (smtp_resp(sess, smtp_cf.tmo_rset) / 100 == 2)
		return 0;
	sess->broken = 1;
	return -1;
}

/* smtp_pipe_replies - the replies to a pipelined MAIL, RCPTs */

static int
smtp_pipe_replies(SMTP_REQ *req, SMTP_SESS *sess, const int *sent, int nsent,
    int *mail_ok, int *naccept, const char **phase)
{
	int	 i, n;

	*phase = "RSET";
	if (smtp_rset_reply(sess) < 0)
		return -1;
	*phase = "MAIL FROM";
	if (smtp_resp(sess, smtp_cf.tmo_mail) == 0)
		return -1;
	if (sess->resp.code / 100 != 2) {
		smtp_mail_failed(req, sess);
		*mail_ok = 0;
	}
	*phase = "RCPT TO";
	for (i = 0; i < nsent; i++) {
		if ((n = smtp_rcpt_reply(req, sess, &req->rcpt[sent[i]], *mail_ok)) < 0)
			return -1;
		*naccept += n;
	}
	return 0;
}

/* smtp_downgrade - convert 8-bit content for this server? */

static int
smtp_downgrade(SMTP_REQ *req, SMTP_SESS *sess)
{
	if (!req->has8bit || smtp_cf.no_mime_conv)
		return 0;
	if (smtp_cf.bit_mode == SMTP_8BIT_7BIT)
		return 1;
	return smtp_cf.bit_mode == SMTP_8BIT_AUTO && !(sess->features & SMTP_FEAT_8BITMIME);
}

/* smtp_size_check - the server's SIZE limit */

static int
smtp_size_check(SMTP_REQ *req, SMTP_SESS *sess, VSTRING *buf)
{
	if (!(sess->features & SMTP_FEAT_SIZE) || sess->size_limit <= 0
	    || SMTP_REQ_SIZE(req) <= sess->size_limit)
		return 0;
	vstring_sprintf(buf, "message size %lld exceeds size limit %ld of server %s",
	    (long long)SMTP_REQ_SIZE(req), sess->size_limit, vstring_str(sess->namaddr));
	smtp_rcpt_rest(req, sess, "5.3.4", vstring_str(buf));
	return -1;
}

int
smtp_xfer(SMTP_REQ *req, SMTP_SESS *sess)
{
	VSTRING	*a = vstring_alloc(100), *b = vstring_alloc(100);
	int	 pipe = (sess->features & SMTP_FEAT_PIPELINING) != 0;
	int	 i, n, nsent = 0, naccept = 0, mail_ok = 1, downgrade, ret = 0;
	int	*sent = mymalloc(sizeof(int) * (req->nrcpt + 1));
	const char *phase = "MAIL FROM";

	downgrade = smtp_downgrade(req, sess);
	if (smtp_size_check(req, sess, a) < 0 || smtp_utf8_check(req, sess, a) < 0)
		goto done;
	if ((sess->features & SMTP_FEAT_XFORWARD) && smtp_cf.send_xforward && sess->xforward) {
		/* XFORWARD waits for its reply: the RSET's comes first. */
		phase = "RSET";
		if (smtp_rset_reply(sess) < 0)
			goto broken;
		if (smtp_send_xforward(req, sess, a) < 0) {
			ret = -1;
			goto done;
		}
	}
	smtp_title("%s: mail to %s", sess->dest, vstring_str(sess->namaddr));
	if (smtp_send_mail(req, sess, downgrade, a, b) < 0
	    || (!pipe && smtp_resp(sess, smtp_cf.tmo_mail) == 0))
		goto broken;
	if (!pipe && sess->resp.code / 100 != 2) {
		smtp_mail_failed(req, sess);
		goto done;
	}
	phase = "RCPT TO";
	for (i = 0; i < req->nrcpt; i++) {
		if (req->rcpt[i].done)
			continue;
		sent[nsent++] = i;
		if (smtp_send_rcpt(sess, &req->rcpt[i], a, b) < 0)
			goto broken;
		if (!pipe) {
			if ((n = smtp_rcpt_reply(req, sess, &req->rcpt[i], 1)) < 0)
				goto broken;
			naccept += n;
		}
	}
	if (!pipe && naccept == 0)
		goto done;
	phase = "DATA";
	if (smtp_send(sess, smtp_cf.tmo_data_init, "DATA") < 0)
		goto broken;
	if (pipe && smtp_pipe_replies(req, sess, sent, nsent, &mail_ok, &naccept, &phase) < 0)
		goto broken;
	phase = "DATA";
	if (smtp_data(req, sess, naccept, downgrade, mail_ok) < 0)
		goto broken;
	goto done;
broken:
	ret = smtp_xfer_fail(req, sess, phase);
done:
	/* Nothing was sent after the RSET: its reply is still due. */
	if (sess->rset_pending && smtp_rset_reply(sess) < 0)
		ret = -1;
	myfree(sent);
	vstring_free(a);
	vstring_free(b);
	return ret;
}
