/*
 * NAME
 *	smtp_generic - smtp_generic_maps: addresses rewritten on output
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void smtp_generic_conf(void);
 *	int smtp_generic_prepare(SMTP_REQ *req);
 *	void smtp_generic_field(SMTP_REQ *req, VSTRING *field);
 *	void smtp_generic_free(SMTP_REQ *req);
 * DESCRIPTION
 *	Postfix's generic(5) mapping: the smtp client (smtp_generic_maps)
 *	or the lmtp client (lmtp_generic_maps) replaces addresses on their
 *	way out, typically a host's internal addresses by valid Internet
 *	ones. smtp_generic_conf() opens the tables; with none configured
 *	smtp_cf.generic is null, and nothing here is called.
 *
 *	smtp_generic_prepare() runs once per delivery request, before the
 *	first connection: it maps the envelope sender (never the null
 *	sender) and each recipient, and the addresses of the originator
 *	and recipient fields (hdr_addr(3): From, Sender, Reply-To, To, Cc,
 *	Resent-*, Return-Receipt-To, Errors-To...) in the message's primary
 *	header section; MIME part headers, attached messages and the body
 *	are not touched, as in Postfix. Keys are tried in mail_addr_find(3)
 *	order (user@domain, user when the domain is $myorigin, in
 *	$mydestination or an address literal of this host, @domain); the
 *	first address of the value replaces the whole address ("@domain"
 *	values keep the local part), and an unmatched address extension is
 *	kept when propagate_unmatched_extensions names "generic". The
 *	mapping is not recursive.
 *
 *	The results go in the request: req->gen_sender and each
 *	rcpt->gen_addr (null when unchanged; the original address stays in
 *	rcpt->addr for the logs, the queue file and DSN ORCPT), and, when a
 *	header field changed, req->gen_hdr: the rewritten header text that
 *	replaces the content's first req->gen_off bytes (smtp_body(3) sends
 *	it, then the content from there on). A field that became longer
 *	than 78 octets a line is folded (hdr_addr_fold()). SMTP_REQ_SIZE()
 *	counts the difference, so that the SIZE= of MAIL FROM stays the
 *	size of what is sent. At most SMTP_GEN_HDR_MAX bytes of header are
 *	looked at; fields beyond go out unchanged.
 *
 *	smtp_generic_field() rewrites and folds one primary header field
 *	in place, when it is an address field: smtp_hbc(3) uses it so that
 *	smtp_header_checks see the header as queued and generic mapping
 *	applies to what they send, in Postfix's order (req->gen_hdr then
 *	serves only for the SIZE). A table that fails there (the prepare
 *	step found it working a moment before, so only for an address a
 *	REPLACE brought in) leaves that address as it is, with a warning.
 *
 *	Nothing is logged for a rewrite, except with -v (msg_verbose).
 *	smtp_generic_free() releases what smtp_generic_prepare() made.
 * DIAGNOSTICS
 *	smtp_generic_prepare() returns -1 when a table lookup failed (a
 *	warning names the table and the address): the caller defers the
 *	request with 4.3.0 "table lookup problem", as Postfix does.
 *	smtp_generic_conf() is fatal for a bad mydestination.
 */
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "hdr_addr.h"
#include "mail_addr_find.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "resolve_class.h"
#include "rfc822_hdr.h"
#include "smtp.h"

#define SMTP_GEN_HDR_MAX	(1024 * 1024)	/* header bytes looked at */
#define SMTP_GEN_BLOCK		65536		/* content read size */
#define SMTP_GEN_WIDTH		78		/* fold longer lines (RFC 5322) */

static RESOLVE_CLASS *smtp_gen_rc;	/* is a domain local ("user" keys) */
static const char *smtp_gen_delims;	/* recipient_delimiter */
static const char *smtp_gen_origin;	/* myorigin */
static int smtp_gen_propagate;		/* "generic" in propagate_... */
static ARGV *smtp_gen_res;		/* scratch: a lookup's result */
static VSTRING *smtp_gen_in, *smtp_gen_q;	/* scratch: envelope address */

void
smtp_generic_conf(void)
{
	ARGV	*list;
	VSTRING	*why, *ifaces;
	size_t	 i;

	smtp_cf.generic = mail_addr_maps_param(smtp_pname("smtp_generic_maps"));
	if (smtp_cf.generic == NULL)
		return;
	/* Only mydestination and this host's addresses matter here. */
	why = vstring_alloc(100);
	ifaces = vstring_alloc(100);
	vstring_sprintf(ifaces, "%s, %s", conf_str("inet_interfaces"),
	    conf_str("proxy_interfaces"));
	if ((smtp_gen_rc = resolve_class_init(conf_str("mydestination"), "", 0,
	    vstring_str(ifaces), why)) == NULL)
		msg_fatal("mydestination: %s", vstring_str(why));
	vstring_free(why);
	vstring_free(ifaces);
	smtp_gen_delims = conf_str("recipient_delimiter");
	smtp_gen_origin = conf_str("myorigin");
	list = conf_list("propagate_unmatched_extensions");
	for (i = 0; i < list->argc; i++)
		if (strcasecmp(list->argv[i], "generic") == 0)
			smtp_gen_propagate = 1;
	argv_free(list);
	smtp_gen_res = argv_alloc(2);
	smtp_gen_in = vstring_alloc(64);
	smtp_gen_q = vstring_alloc(64);
}

/*
 * smtp_generic_local - may "user" keys be tried (generic(5))? 1, 0, or
 * -1 when a mydestination table failed.
 */
static int
smtp_generic_local(const char *addr)
{
	const char *dom = addr_domain(addr);

	if (dom == NULL || *dom == 0 || strcasecmp(dom, smtp_gen_origin) == 0)
		return 1;
	return resolve_class_local(smtp_gen_rc, dom);
}

/*
 * smtp_generic_map - one address in internal form, in place: 1 changed,
 * 0 not, -1 a table failed (logged).
 */
static int
smtp_generic_map(const char *id, VSTRING *addr)
{
	ARGV	*res = smtp_gen_res;
	int	 r, local;

	if (vstring_len(addr) == 0)
		return 0;
	argv_truncate(res, 0);
	if ((local = smtp_generic_local(vstring_str(addr))) < 0)
		r = -1;
	else
		r = mail_addr_map(smtp_cf.generic, vstring_str(addr),
		    local ? MAIL_ADDR_FIND_LOCAL : 0, smtp_gen_delims,
		    smtp_gen_propagate, res);
	if (r < 0)
		msg_warn("%s: %s map lookup problem for %s", id,
		    smtp_cf.generic->title, vstring_str(addr));
	else if (r > 0 && res->argc > 0 && strcmp(res->argv[0], vstring_str(addr))) {
		if (res->argc > 1)
			msg_warn("%s: multi-valued %s entry for %s; using the first",
			    id, smtp_cf.generic->title, vstring_str(addr));
		if (msg_verbose)
			msg_info("%s: %s: %s -> %s", id, smtp_cf.generic->title,
			    vstring_str(addr), res->argv[0]);
		vstring_strcpy(addr, res->argv[0]);
	} else
		r = 0;
	return r;
}

/* smtp_generic_env - an envelope address (external form): new text or null */
static int
smtp_generic_env(const char *id, const char *addr, char **out)
{
	int	 r;

	*out = NULL;
	if (addr == NULL || *addr == 0)
		return 0;
	addr_unquote(smtp_gen_in, addr);
	if ((r = smtp_generic_map(id, smtp_gen_in)) > 0)
		*out = mystrdup(vstring_str(addr_quote(smtp_gen_q,
		    vstring_str(smtp_gen_in))));
	return r < 0 ? -1 : 0;
}

/* smtp_generic_hdr_addr - hdr_addr(3) callback */
static int
smtp_generic_hdr_addr(void *ctx, const char *ext, VSTRING *addr)
{
	SMTP_REQ *req = ctx;

	return smtp_generic_map(req->dr.queue_id, addr) < 0 ? -1 : 0;
}

/*
 * smtp_generic_read - the content's header section: at least through its
 * end (an empty line, or a line that is not part of a header), within
 * SMTP_GEN_HDR_MAX. Returns the offset where the whole fields read end,
 * or -1 for a read error.
 */
static ssize_t
smtp_generic_read(SMTP_REQ *req, VSTRING *buf)
{
	char	*blk = mymalloc(SMTP_GEN_BLOCK);
	const char *s, *nl, *e;
	size_t	 pos = 0, field_end = 0;
	ssize_t	 n;
	int	 cont, have_field = 0;

	for (;;) {
		s = vstring_str(buf) + pos;
		e = vstring_str(buf) + vstring_len(buf);
		while ((nl = memchr(s, '\n', (size_t)(e - s))) != NULL) {
			/* Every field before a line that is no continuation is whole. */
			if (!(cont = (*s == ' ' || *s == '\t')))
				field_end = (size_t)(s - vstring_str(buf));
			if (s == nl || (s[0] == '\r' && s + 1 == nl) || (cont ?
			    !have_field : rfc822_hdr_name_len(s, (size_t)(nl - s)) == 0))
				goto done;	/* the header's end, or body */
			have_field = 1;
			s = nl + 1;
		}
		pos = (size_t)(s - vstring_str(buf));
		if (vstring_len(buf) >= SMTP_GEN_HDR_MAX)
			break;
		if ((n = qf_read_content(req->msg, (off_t)vstring_len(buf), blk,
		    SMTP_GEN_BLOCK)) < 0) {
			myfree(blk);
			return -1;
		}
		if (n == 0) {
			/* A message of header fields only. */
			if (pos == vstring_len(buf))
				field_end = pos;
			break;
		}
		vstring_memcat(buf, blk, (size_t)n);
	}
	myfree(blk);
	return (ssize_t)field_end;
done:
	myfree(blk);
	return (ssize_t)(s - vstring_str(buf));
}

/*
 * smtp_generic_header - rewrite the primary header section into
 * req->gen_hdr: 0 (req->gen_hdr stays null when nothing changed), -1.
 */
static int
smtp_generic_header(SMTP_REQ *req)
{
	VSTRING	*buf = vstring_alloc(4096), *field = vstring_alloc(256);
	VSTRING	*out = NULL;
	const char *s, *e, *fe, *nl;
	ssize_t	 end;
	size_t	 copied = 0, flen;
	int	 r, ret = 0;

	if ((end = smtp_generic_read(req, buf)) < 0) {
		msg_warn("%s: read queue file content: %m", req->dr.queue_id);
		ret = -1;
		goto out;
	}
	s = vstring_str(buf);
	e = s + end;
	for (; s < e; s = fe) {
		/* One field: its line and the lines that continue it. */
		for (fe = s; (nl = memchr(fe, '\n', (size_t)(e - fe))) != NULL; ) {
			fe = nl + 1;
			if (fe >= e || (*fe != ' ' && *fe != '\t'))
				break;
		}
		if (nl == NULL)
			fe = e;
		flen = (size_t)(fe - s) - (fe[-1] == '\n');
		/* The name stops at the colon or the line end: s is safe here. */
		if (*s == ' ' || *s == '\t' || flen == 0 || hdr_addr_class(s) == 0)
			continue;
		vstring_memcpy(field, s, flen);
		if ((r = hdr_addr_rewrite(field, smtp_generic_hdr_addr, req)) < 0) {
			ret = -1;
			goto out;
		}
		if (r == 0)
			continue;
		hdr_addr_fold(field, SMTP_GEN_WIDTH);
		if (out == NULL)
			out = vstring_alloc((size_t)end + 256);
		vstring_memcat(out, vstring_str(buf) + copied,
		    (size_t)(s - vstring_str(buf)) - copied);
		vstring_memcat(out, vstring_str(field), vstring_len(field));
		vstring_addch(out, '\n');
		copied = (size_t)(s - vstring_str(buf)) + flen + (fe[-1] == '\n');
	}
	if (out != NULL) {
		vstring_memcat(out, vstring_str(buf) + copied, (size_t)end - copied);
		req->gen_hdr = out;
		req->gen_off = end;
		out = NULL;
	}
out:
	if (out)
		vstring_free(out);
	vstring_free(buf);
	vstring_free(field);
	return ret;
}

void
smtp_generic_field(SMTP_REQ *req, VSTRING *field)
{
	if (hdr_addr_class(vstring_str(field)) != 0 &&
	    hdr_addr_rewrite(field, smtp_generic_hdr_addr, req) != 0)
		hdr_addr_fold(field, SMTP_GEN_WIDTH);
}

int
smtp_generic_prepare(SMTP_REQ *req)
{
	int	 i;

	/* The null sender stays null (smtp_generic_env()). */
	if (smtp_generic_env(req->dr.queue_id, req->dr.sender, &req->gen_sender) < 0)
		return -1;
	for (i = 0; i < req->nrcpt; i++)
		if (smtp_generic_env(req->dr.queue_id, req->rcpt[i].addr,
		    &req->rcpt[i].gen_addr) < 0)
			return -1;
	return smtp_generic_header(req);
}

void
smtp_generic_free(SMTP_REQ *req)
{
	int	 i;

	if (req->gen_sender)
		myfree(req->gen_sender);
	for (i = 0; req->rcpt && i < req->nrcpt; i++)
		if (req->rcpt[i].gen_addr)
			myfree(req->rcpt[i].gen_addr);
	if (req->gen_hdr)
		vstring_free(req->gen_hdr);
}
