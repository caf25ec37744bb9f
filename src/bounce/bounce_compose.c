/*
 * NAME
 *	bounce_compose - RFC 3464 delivery status notifications
 * SYNOPSIS
 *	#include "bounce.h"
 *
 *	void	bounce_compose(VSTRING *out, const BOUNCE_INFO *info,
 *		    const char *orig, size_t len);
 *	void	bounce_date(VSTRING *buf, time_t when);
 *	void	bounce_diagnostic(VSTRING *buf, const char *reason);
 *	size_t	bounce_header_len(const char *orig, size_t len);
 * DESCRIPTION
 *	bounce_compose() writes into out a complete message (LF line
 *	endings, as queue files store content): a multipart/report;
 *	report-type=delivery-status with three parts:
 * .IP 1.
 *	text/plain: a readable explanation and one line per recipient;
 * .IP 2.
 *	message/delivery-status: the per-message fields (Reporting-MTA,
 *	Arrival-Date, Original-Envelope-Id) and per recipient
 *	Final-Recipient, Original-Recipient, Action, Status, Remote-MTA,
 *	Diagnostic-Code, Last-Attempt-Date (and Will-Retry-Until for delay
 *	warnings);
 * .IP 3.
 *	the original message (message/rfc822) when info->full, else its
 *	header (text/rfc822-headers). orig and len give the original
 *	content (header and body).
 * .PP
 *	With a bounce_template_file template (info->tmpl), its Subject: (or
 *	Postmaster-Subject: for a postmaster copy) and From: (qualified:
 *	info->from_header) replace the built-in ones, and its expanded text
 *	(info->tmpl_text; never in postmaster copies) replaces the built-in
 *	explanation in part 1, whose charset is then the template's Charset
 *	(us-ascii by default). The recipient lines follow as always.
 *
 *	bounce_date() formats an RFC 5322 date. bounce_diagnostic()
 *	turns a delivery agent's reason into a Diagnostic-Code value: the
 *	remote server's reply as "smtp; ..." when the reason quotes one
 *	("host h[a] said: 550 ..."), else "X-Postern; reason".
 *	bounce_header_len() returns the length of the header of orig
 *	including the empty line that ends it.
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>
#include <time.h>

#include "has8bit.h"
#include "msg.h"
#include "mymalloc.h"
#include "bounce.h"

void
bounce_date(VSTRING *buf, time_t when)
{
	struct tm tm;
	char	 text[64];

	localtime_r(&when, &tm);
	strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S %z", &tm);
	vstring_strcpy(buf, text);
}

size_t
bounce_header_len(const char *orig, size_t len)
{
	size_t	 i;

	if (len > 0 && orig[0] == '\n')
		return 1;
	for (i = 0; i + 1 < len; i++)
		if (orig[i] == '\n' && orig[i + 1] == '\n')
			return i + 2;
	return len;
}

/* Strip CR and LF: values from logs go into header lines. */
static void
compose_clean(VSTRING *out, const char *text, size_t max)
{
	size_t	 n;

	for (n = 0; *text && n < max; text++, n++)
		vstring_addch(out, *text == '\r' || *text == '\n' ? ' ' : *text);
}

void
bounce_diagnostic(VSTRING *buf, const char *reason)
{
	const char *said = strstr(reason, " said: ");
	const char *end;

	vstring_reset(buf);
	if (said != NULL) {
		said += 7;
		end = strstr(said, " (in reply to ");
		vstring_strcpy(buf, "smtp; ");
		compose_clean(buf, said, end ? (size_t)(end - said) : 900);
	} else {
		vstring_strcpy(buf, "X-Postern; ");
		compose_clean(buf, reason, 900);
	}
}

static const char *
compose_subject(const BOUNCE_INFO *info)
{
	const char *t = info->tmpl ? (info->postmaster ?
	    info->tmpl->pm_subject : info->tmpl->subject) : NULL;

	if (t != NULL)
		return t;
	if (info->kind == BOUNCE_DELAY)
		return info->postmaster ? "Postmaster Warning: Delayed Mail" :
		    "Delayed Mail (still being retried)";
	if (info->kind == BOUNCE_SUCCESS)
		return "Successful Mail Delivery Report";
	return info->postmaster ? "Postmaster Copy: Undelivered Mail" :
	    "Undelivered Mail Returned to Sender";
}

static void
compose_headers(VSTRING *out, const BOUNCE_INFO *info, const char *boundary,
    int eightbit)
{
	VSTRING	*date = vstring_alloc(64);
	struct tm tm;
	char	 stamp[32];

	bounce_date(date, info->now);
	gmtime_r(&info->now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
	if (info->from_header)
		vstring_sprintf_append(out, "From: %s\n", info->from_header);
	else
		vstring_sprintf_append(out, "From: %s (Mail Delivery System)\n",
		    info->from);
	vstring_sprintf_append(out, "Subject: %s\n", compose_subject(info));
	vstring_sprintf_append(out, "To: %s\n", info->to);
	vstring_sprintf_append(out, "Date: %s\n", vstring_str(date));
	vstring_sprintf_append(out, "Message-Id: <%s.%s@%s>\n", stamp,
	    info->new_id, info->myhostname);
	vstring_strcat(out, "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n");
	vstring_sprintf_append(out, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"%s\"\n", boundary);
	vstring_sprintf_append(out, "Content-Transfer-Encoding: %s\n\n",
	    eightbit ? "8bit" : "7bit");
	vstring_strcat(out, "This is a MIME-encapsulated message.\n\n");
	vstring_free(date);
}

static void
compose_intro(VSTRING *out, const BOUNCE_INFO *info)
{
	VSTRING	*date;

	if (info->tmpl_text) {
		vstring_strcat(out, info->tmpl_text);
		if (vstring_len(out) && vstring_end(out)[-1] != '\n')
			vstring_addch(out, '\n');
		vstring_addch(out, '\n');
		return;
	}
	date = vstring_alloc(64);
	vstring_sprintf_append(out, "This is the %s mail system at host %s.\n\n",
	    info->mail_name, info->myhostname);
	if (info->kind == BOUNCE_FAIL) {
		vstring_strcat(out, "Your message could not be delivered to one "
		    "or more of its recipients.\nThe reasons are listed below. "
		    "The delivery report and the message\n(or its header) are "
		    "attached.\n\n");
	} else if (info->kind == BOUNCE_DELAY) {
		bounce_date(date, info->expires);
		vstring_sprintf_append(out, "Your message has not yet been "
		    "delivered to the recipients listed\nbelow. This is only a "
		    "warning: delivery is being retried, and you\nneed not "
		    "send the message again. Delivery will be given up on\n"
		    "%s; you will be told if that happens.\n\n",
		    vstring_str(date));
	} else {
		vstring_strcat(out, "Your message was delivered to the recipients "
		    "listed below. Where a\nrecipient's system was reached that "
		    "does not return delivery\nnotifications (\"relayed\"), this "
		    "is the last report you will get.\n\n");
	}
	vstring_sprintf_append(out, "If you need help, forward this report to "
	    "postmaster@%s.\n\n", info->myhostname);
	vstring_free(date);
}

static void
compose_text(VSTRING *out, const BOUNCE_INFO *info, const char *boundary)
{
	const BOUNCE_RCPT *rp;
	int	 i;

	vstring_sprintf_append(out, "--%s\nContent-Description: Notification\n"
	    "Content-Type: text/plain; charset=%s\n\n", boundary,
	    info->tmpl_text == NULL ? "utf-8" : info->tmpl->charset ?
	    info->tmpl->charset : "us-ascii");
	compose_intro(out, info);
	for (i = 0; i < info->log->count; i++) {
		rp = &info->log->rcpt[i];
		vstring_sprintf_append(out, "<%s>: ", rp->rcpt);
		compose_clean(out, rp->reason, 900);
		vstring_strcat(out, "\n\n");
	}
}

static void
compose_rcpt_status(VSTRING *out, const BOUNCE_INFO *info,
    const BOUNCE_RCPT *rp, VSTRING *tmp)
{
	const char *semi;
	size_t	 n;

	vstring_strcat(out, "\nFinal-Recipient: rfc822; ");
	compose_clean(out, rp->rcpt, 900);
	if (*rp->orcpt && (semi = strchr(rp->orcpt, ';')) != NULL) {
		vstring_strcat(out, "\nOriginal-Recipient: ");
		compose_clean(out, rp->orcpt, (size_t)(semi - rp->orcpt));
		vstring_strcat(out, "; ");
		for (semi++; *semi == ' '; semi++)
			;
		compose_clean(out, semi, 900);
	} else {
		/* As Postfix: always an Original-Recipient, ours by default. */
		vstring_strcat(out, "\nOriginal-Recipient: rfc822; ");
		compose_clean(out, rp->rcpt, 900);
	}
	vstring_sprintf_append(out, "\nAction: %s\nStatus: %s", *rp->action ?
	    rp->action : "failed", rp->status);
	if (*rp->relay && strcmp(rp->relay, "none") != 0) {
		n = strcspn(rp->relay, "[:");
		vstring_strcat(out, "\nRemote-MTA: dns; ");
		compose_clean(out, rp->relay, n);
	}
	if (*rp->reason) {
		bounce_diagnostic(tmp, rp->reason);
		vstring_sprintf_append(out, "\nDiagnostic-Code: %s",
		    vstring_str(tmp));
	}
	if (rp->time > 0) {
		bounce_date(tmp, rp->time);
		vstring_sprintf_append(out, "\nLast-Attempt-Date: %s",
		    vstring_str(tmp));
	}
	if (info->kind == BOUNCE_DELAY && info->expires > 0) {
		bounce_date(tmp, info->expires);
		vstring_sprintf_append(out, "\nWill-Retry-Until: %s",
		    vstring_str(tmp));
	}
	vstring_strcat(out, "\n");
}

static void
compose_status(VSTRING *out, const BOUNCE_INFO *info, const char *boundary)
{
	VSTRING	*tmp = vstring_alloc(128);
	int	 i;

	vstring_sprintf_append(out, "--%s\nContent-Description: Delivery "
	    "report\nContent-Type: message/delivery-status\n\n", boundary);
	vstring_sprintf_append(out, "Reporting-MTA: dns; %s\n",
	    info->myhostname);
	vstring_sprintf_append(out, "X-Postern-Queue-ID: %s\n", info->queue_id);
	vstring_strcat(out, "X-Postern-Sender: rfc822; ");
	compose_clean(out, info->sender, 900);
	bounce_date(tmp, info->arrival);
	vstring_sprintf_append(out, "\nArrival-Date: %s\n", vstring_str(tmp));
	if (info->envid && *info->envid) {
		vstring_strcat(out, "Original-Envelope-Id: ");
		compose_clean(out, info->envid, 100);
		vstring_strcat(out, "\n");
	}
	for (i = 0; i < info->log->count; i++)
		compose_rcpt_status(out, info, &info->log->rcpt[i], tmp);
	vstring_strcat(out, "\n");
	vstring_free(tmp);
}

static void
compose_original(VSTRING *out, const BOUNCE_INFO *info, const char *boundary,
    const char *orig, size_t len)
{
	const char *what = info->kind == BOUNCE_FAIL ? "Undelivered Message" :
	    "Message";
	size_t	 hlen = bounce_header_len(orig, len);

	if (info->full) {
		vstring_sprintf_append(out, "--%s\nContent-Description: %s\n"
		    "Content-Type: message/rfc822\n", boundary, what);
		if (has8bit(orig, len))
			vstring_strcat(out, "Content-Transfer-Encoding: 8bit\n");
		vstring_strcat(out, "\n");
		vstring_memcat(out, orig, len);
	} else {
		vstring_sprintf_append(out, "--%s\nContent-Description: %s "
		    "Headers\nContent-Type: text/rfc822-headers\n", boundary,
		    what);
		if (has8bit(orig, hlen))
			vstring_strcat(out, "Content-Transfer-Encoding: 8bit\n");
		vstring_strcat(out, "\n");
		vstring_memcat(out, orig, hlen);
	}
	if (vstring_len(out) > 0 && vstring_end(out)[-1] != '\n')
		vstring_strcat(out, "\n");
	vstring_sprintf_append(out, "\n--%s--\n", boundary);
}

void
bounce_compose(VSTRING *out, const BOUNCE_INFO *info, const char *orig,
    size_t len)
{
	VSTRING	*boundary = vstring_alloc(64);
	size_t	 shown = info->full ? len : bounce_header_len(orig, len);

	vstring_sprintf(boundary, "%s.%lld/%s", info->new_id,
	    (long long)info->now, info->myhostname);
	vstring_reset(out);
	compose_headers(out, info, vstring_str(boundary),
	    has8bit(orig, shown));
	compose_text(out, info, vstring_str(boundary));
	compose_status(out, info, vstring_str(boundary));
	compose_original(out, info, vstring_str(boundary), orig, len);
	vstring_free(boundary);
}
