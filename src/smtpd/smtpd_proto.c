/*
 * NAME
 *	smtpd_proto - MAIL, RCPT and VRFY; the mail transaction
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int  smtpd_proto_mail(SMTPD_STATE *state, const char *args);
 *	int  smtpd_proto_rcpt(SMTPD_STATE *state, const char *args);
 *	int  smtpd_proto_vrfy(SMTPD_STATE *state, const char *args);
 *	void smtpd_proto_reset(SMTPD_STATE *state);
 *	int  smtpd_proto_size(const char *text, long long *size);
 * DESCRIPTION
 *	Paths and their parameters are parsed by addr_parse_path(3) (Postfix
 *	tolerance: a path without angle brackets, local parts longer than
 *	RFC 5321's 64 bytes); xtext values by xtext_decode(3).
 *
 *	smtpd_proto_mail() parses "FROM:<path> [params]" with the ESMTP
 *	parameters SIZE (RFC 1870, checked against message_size_limit),
 *	BODY=7BIT|8BITMIME|BINARYMIME (RFC 6152, 3030), SMTPUTF8 (RFC 6531),
 *	RET and ENVID (RFC 3461), and AUTH (RFC 4954 5: logged as sasl_sender
 *	when AUTH is on, ignored otherwise). A bare local sender gets "@$myorigin".
 *
 *	smtpd_proto_rcpt() parses "TO:<path> [NOTIFY=...] [ORCPT=...]",
 *	enforces smtpd_recipient_limit (452 4.5.3; the first
 *	smtpd_recipient_overshoot_limit such replies in a transaction are not
 *	counted as client errors), qualifies a bare local
 *	part with $myorigin, runs the restrictions (smtpd_check.c) and the
 *	unlisted-recipient check, and records the recipient in the queue
 *	file, which is created by the first accepted recipient.
 *
 *	smtpd_proto_vrfy() answers VRFY unless disable_vrfy_command is set:
 *	252 for an address we would accept, 550 for an unknown local user.
 *
 *	smtpd_proto_reset() ends the transaction: the queue file (if any)
 *	is removed and the envelope forgotten.
 *
 *	smtpd_proto_size() parses a decimal SIZE= or BDAT size; values that
 *	do not fit are clamped to LLONG_MAX (they exceed every limit).
 * DIAGNOSTICS
 *	The command functions reply to the client and return 0 when the
 *	command succeeded, -1 when it was rejected. smtpd_proto_size()
 *	returns 0, or -1 when the text is not a number.
 */
#include <sys/statvfs.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "xtext.h"

/* How MAIL, RCPT and VRFY parse their path (see addr_parse(3)). */
#define SMTPD_PATH_FLAGS	(ADDR_PARSE_BARE | ADDR_PARSE_UTF8 | ADDR_PARSE_LONG)

#define SMTPD_ENVID_MAX	100		/* RFC 3461 */
#define SMTPD_ORCPT_MAX	500

void
smtpd_proto_reset(SMTPD_STATE *state)
{
	if (state->sender)
		smtpd_milter_abort(state);
	smtpd_queue_abort(state);
	smtpd_xforward_reset(state);
	myfree(state->sender);
	state->sender = NULL;
	myfree(state->dsn_envid);
	state->dsn_envid = NULL;
	myfree(state->first_rcpt);
	state->first_rcpt = NULL;
	myfree(state->hold_why);
	state->hold_why = NULL;
	myfree(state->sender_check_reply);
	state->sender_check_reply = NULL;
	myfree(state->sasl_sender);
	state->sasl_sender = NULL;
	if (state->rcpts)
		argv_truncate(state->rcpts, 0);
	state->decl_size = 0;
	state->body = NULL;
	state->smtputf8 = 0;
	state->dsn_ret = QF_RET_NONE;
	state->rcpt_count = 0;
	state->rcpt_overshoot = 0;
	state->hold = state->discard = 0;
	state->sender_checked = 0;
	state->bdat = state->bdat_bad = 0;
	smtpd_policy_reset(state);
}

int
smtpd_proto_size(const char *s, long long *size)
{
	long long n = 0;

	if (*s == 0)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		if (n > (LLONG_MAX - 9) / 10)
			n = LLONG_MAX;
		else
			n = n * 10 + (*s - '0');
	}
	*size = n;
	return 0;
}

static int
smtpd_proto_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* Match "FROM:" / "TO:" and return what follows, or null. */
static const char *
smtpd_proto_keyword(const char *args, const char *kw)
{
	size_t	 len = strlen(kw);

	if (strncasecmp(args, kw, len) != 0)
		return NULL;
	args += len;
	return args + strspn(args, " \t");
}

static int
smtpd_proto_mail_param(SMTPD_STATE *state, char *param, VSTRING *tmp,
    void *ctx)
{
	char	*val = strchr(param, '=');

	if (val)
		*val++ = 0;
	if (strcasecmp(param, "SIZE") == 0 && val) {
		if (smtpd_proto_size(val, &state->decl_size) < 0) {
			smtpd_chat_reply(state, "501 5.5.4 Bad message size syntax");
			return -1;
		}
		if (state->conf->size_limit > 0 &&
		    state->decl_size > state->conf->size_limit) {
			smtpd_chat_reply(state, "552 5.3.4 Message size exceeds fixed limit");
			return -1;
		}
	} else if (strcasecmp(param, "BODY") == 0 && val) {
		if (strcasecmp(val, "7BIT") == 0)
			state->body = "7BIT";
		else if (strcasecmp(val, "8BITMIME") == 0)
			state->body = "8BITMIME";
		else if (strcasecmp(val, "BINARYMIME") == 0)
			state->body = "BINARYMIME";
		else {
			smtpd_chat_reply(state, "501 5.5.4 Unsupported BODY parameter value");
			return -1;
		}
	} else if (strcasecmp(param, "SMTPUTF8") == 0 && !val &&
	    state->conf->smtputf8) {
		state->smtputf8 = 1;
	} else if (strcasecmp(param, "RET") == 0 && val &&
	    state->dsn_ret == QF_RET_NONE) {
		if (strcasecmp(val, "FULL") == 0)
			state->dsn_ret = QF_RET_FULL;
		else if (strcasecmp(val, "HDRS") == 0)
			state->dsn_ret = QF_RET_HDRS;
		else {
			smtpd_chat_reply(state, "501 5.5.4 Bad RET parameter syntax");
			return -1;
		}
	} else if (strcasecmp(param, "ENVID") == 0 && val && !state->dsn_envid) {
		if (strlen(val) > SMTPD_ENVID_MAX ||
		    xtext_decode(tmp, val) < 0 ||
		    !smtpd_proto_ascii(vstring_str(tmp))) {
			smtpd_chat_reply(state, "501 5.5.4 Bad ENVID parameter syntax");
			return -1;
		}
		state->dsn_envid = mystrdup(vstring_str(tmp));
	} else if (strcasecmp(param, "AUTH") == 0 && val) {
		if (smtpd_sasl_mail_opt(state, val) < 0)
			return -1;
	} else {
		smtpd_chat_reply(state, "555 5.5.4 Unsupported option: %s", param);
		return -1;
	}
	return 0;
}

/*
 * strict_rfc821_envelopes: no address without its <>;
 * resolve_null_domain, resolve_numeric_domain: user@, user@192.0.2.1.
 */
static int
smtpd_proto_path_flags(const SMTPD_STATE *state)
{
	int	 sw = state->conf->resolve->switches;

	return (state->conf->strict_821 ?
	    SMTPD_PATH_FLAGS & ~ADDR_PARSE_BARE : SMTPD_PATH_FLAGS) |
	    (sw & RESOLVE_SW_NULLDOM ? ADDR_PARSE_NULLDOM : 0) |
	    (sw & RESOLVE_SW_NUMDOM ? ADDR_PARSE_NUMDOM : 0);
}

/*
 * Parse the path after "FROM:" / "TO:" into addr and params; -1 after a
 * reply: parameter syntax errors as addr_parse_path() words them, path
 * errors as Postfix does.
 */
static int
smtpd_proto_path(SMTPD_STATE *state, const char *args, VSTRING *addr,
    ARGV *params, int rcpt)
{
	const char *why;

	if (addr_parse_path(args, smtpd_proto_path_flags(state), addr, params,
	    &why) == 0)
		return 0;
	if (strncmp(why, "5.5.4 ", 6) == 0 && why[6] != 0)
		smtpd_chat_reply(state, "501 5.5.4 %c%s",
		    toupper((unsigned char)why[6]), why + 7);
	else
		smtpd_chat_reply(state, "501 5.1.%d Bad %s address syntax",
		    rcpt ? 3 : 7, rcpt ? "recipient" : "sender");
	return -1;
}

/* Handle the parameters after a path with fn; -1 after a reply. */
static int
smtpd_proto_params(SMTPD_STATE *state, ARGV *params,
    int (*fn)(SMTPD_STATE *, char *, VSTRING *, void *), void *ctx)
{
	VSTRING	*tmp = vstring_alloc(100);
	int	 r = 0;

	if (params->argc > 0 && !state->ehlo) {
		smtpd_chat_reply(state, "555 5.5.4 Unsupported option: %s",
		    params->argv[0]);
		r = -1;
	}
	for (size_t i = 0; r == 0 && i < params->argc; i++)
		r = fn(state, params->argv[i], tmp, ctx);
	vstring_free(tmp);
	return r;
}

/*
 * What the syntax check could not know: SMTPUTF8 (declared in the
 * parameters) and the null recipient. Reply on error.
 */
static int
smtpd_proto_addr_check(SMTPD_STATE *state, const char *addr, int rcpt)
{
	if (!state->smtputf8 && !smtpd_proto_ascii(addr)) {
		smtpd_chat_reply(state, "553 5.6.7 Must declare SMTPUTF8 to "
		    "send unicode address");
		return -1;
	}
	if (rcpt && *addr == 0) {
		smtpd_chat_reply(state, "501 5.1.3 Bad recipient address syntax");
		return -1;
	}
	return 0;
}

/*
 * Room in the queue file system for this message, as Postfix checks it:
 * queue_minfree must stay free, there must be room for 1.5 times
 * message_size_limit, and a declared SIZE must fit in what is left and in
 * half of the free space. -1 after a 452 reply.
 */
static int
smtpd_proto_space(SMTPD_STATE *state)
{
	const SMTPD_CONF *conf = state->conf;
	struct statvfs fs;
	unsigned long long avail, minfree = conf->queue_minfree;
	unsigned long long size = state->decl_size;

	if (statvfs(".", &fs) < 0) {
		msg_warn("statvfs %s: %m", conf->queue_dir);
		return 0;
	}
	avail = (unsigned long long)fs.f_bavail * fs.f_frsize;
	if (minfree >= avail ||
	    (unsigned long long)conf->size_limit * 3 / 2 >= avail) {
		msg_warn("not enough free space in mail queue: %llu bytes < "
		    "1.5*message size limit", avail);
		smtpd_chat_reply(state, "452 4.3.1 Insufficient system storage");
		return -1;
	}
	if (size >= avail - minfree || size >= avail / 2) {
		smtpd_chat_reply(state, "452 4.3.1 Insufficient system storage");
		return -1;
	}
	return 0;
}

int
smtpd_proto_mail(SMTPD_STATE *state, const char *args)
{
	VSTRING	*addr;
	ARGV	*params;
	int	 r = -1;

	if (state->conf->helo_required && state->helo == NULL) {
		smtpd_chat_reply(state, "503 5.5.1 Error: send HELO/EHLO first");
		return -1;
	}
	if (smtpd_tls_required(state))
		return -1;
	if (state->sender) {
		smtpd_chat_reply(state, "503 5.5.1 Error: nested MAIL command");
		return -1;
	}
	if ((args = smtpd_proto_keyword(args, "FROM:")) == NULL) {
		smtpd_chat_reply(state, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return -1;
	}
	addr = vstring_alloc(100);
	params = argv_alloc(4);
	if (smtpd_proto_path(state, args, addr, params, 0) < 0)
		goto out;
	if (smtpd_proto_params(state, params, smtpd_proto_mail_param, NULL) < 0 ||
	    smtpd_proto_addr_check(state, vstring_str(addr), 0) < 0 ||
	    smtpd_proto_space(state) < 0) {
		smtpd_proto_reset(state);
		goto out;
	}
	if (smtpd_anvil_mail(state) < 0) {
		smtpd_proto_reset(state);
		goto out;
	}
	state->sender = smtpd_resolve_qualify(state->conf, vstring_str(addr));
	if (!state->conf->delay_reject &&
	    smtpd_check_sender(state) == SMTPD_CHECK_REJECT) {
		smtpd_chat_reply(state, "%s", vstring_str(state->check_reply));
		smtpd_proto_reset(state);
		goto out;
	}
	if (smtpd_milter_mail(state, state->sender, params) < 0) {
		smtpd_proto_reset(state);
		goto out;
	}
	/* smtpd_delay_open_until_valid_rcpt = no: the queue file now. */
	if (!state->conf->delay_open && smtpd_queue_open(state) < 0) {
		smtpd_chat_reply(state, "451 4.3.0 Error: queue file write error");
		smtpd_proto_reset(state);
		goto out;
	}
	smtpd_chat_reply(state, "250 2.1.0 Ok");
	r = 0;
out:
	vstring_free(addr);
	argv_free(params);
	return r;
}

typedef struct SMTPD_RCPT_PARAMS {
	int	 notify;
	char	*orcpt;
} SMTPD_RCPT_PARAMS;

static int
smtpd_proto_notify(const char *val)
{
	ARGV	*words = argv_split(val, ",");
	int	 notify = 0;

	for (size_t i = 0; i < words->argc; i++) {
		if (strcasecmp(words->argv[i], "NEVER") == 0)
			notify |= QF_NOTIFY_NEVER;
		else if (strcasecmp(words->argv[i], "SUCCESS") == 0)
			notify |= QF_NOTIFY_SUCCESS;
		else if (strcasecmp(words->argv[i], "FAILURE") == 0)
			notify |= QF_NOTIFY_FAILURE;
		else if (strcasecmp(words->argv[i], "DELAY") == 0)
			notify |= QF_NOTIFY_DELAY;
		else
			notify = -1;
		if (notify < 0)
			break;
	}
	argv_free(words);
	if (notify == 0 || ((notify & QF_NOTIFY_NEVER) &&
	    notify != QF_NOTIFY_NEVER))
		return -1;
	return notify;
}

static int
smtpd_proto_rcpt_param(SMTPD_STATE *state, char *param, VSTRING *tmp,
    void *ctx)
{
	SMTPD_RCPT_PARAMS *p = ctx;
	char	*val = strchr(param, '=');
	char	*semi;

	if (val)
		*val++ = 0;
	if (strcasecmp(param, "NOTIFY") == 0 && val && p->notify == 0) {
		if ((p->notify = smtpd_proto_notify(val)) < 0) {
			p->notify = 0;
			smtpd_chat_reply(state, "501 5.5.4 Error: Bad NOTIFY parameter syntax");
			return -1;
		}
	} else if (strcasecmp(param, "ORCPT") == 0 && val && !p->orcpt) {
		if ((semi = strchr(val, ';')) == NULL || semi == val ||
		    strlen(val) > SMTPD_ORCPT_MAX ||
		    xtext_decode(tmp, semi + 1) < 0 ||
		    vstring_len(tmp) == 0) {
			smtpd_chat_reply(state, "501 5.5.4 Error: Bad ORCPT parameter syntax");
			return -1;
		}
		*semi = 0;
		p->orcpt = mymalloc(strlen(val) + vstring_len(tmp) + 2);
		sprintf(p->orcpt, "%s;%s", val, vstring_str(tmp));
	} else {
		smtpd_chat_reply(state, "555 5.5.4 Unsupported option: %s", param);
		return -1;
	}
	return 0;
}

/* The recipient, or once the REDIRECT address of a policy or access table. */
static int
smtpd_proto_rcpt_write(SMTPD_STATE *state, const char *rcpt,
    SMTPD_RCPT_PARAMS *p)
{
	char	*orcpt;
	int	 r;

	if (state->act.redirect == NULL)
		return smtpd_queue_rcpt(state, rcpt, p->orcpt, p->notify);
	if (state->act.redirected)
		return 0;
	orcpt = p->orcpt ? mystrdup(p->orcpt) :
	    mymalloc(strlen(rcpt) + sizeof("rfc822;"));
	if (p->orcpt == NULL)
		sprintf(orcpt, "rfc822;%s", rcpt);
	r = smtpd_queue_rcpt(state, state->act.redirect, orcpt, p->notify);
	myfree(orcpt);
	state->act.redirected = r == 0;
	return r;
}

/*
 * Restrictions (on the address as given), then the queue file (the
 * address qualified with $myorigin); -1 after a reply.
 */
static int
smtpd_proto_rcpt_accept(SMTPD_STATE *state, const char *raw,
    const char *rcpt, SMTPD_RCPT_PARAMS *p)
{
	if (smtpd_check_rcpt(state, raw) == SMTPD_CHECK_REJECT) {
		smtpd_chat_reply(state, "%s", vstring_str(state->check_reply));
		smtpd_milter_rcpt_rej(state, rcpt);
		return -1;
	}
	if (smtpd_milter_rcpt(state, rcpt, NULL) < 0)
		return -1;
	if (smtpd_queue_open(state) < 0) {
		smtpd_chat_reply(state, "451 4.3.0 Error: queue file write error");
		return -1;
	}
	if (smtpd_proto_rcpt_write(state, rcpt, p) < 0) {
		/* A table failed or an alias expansion is unreasonable. */
		smtpd_chat_reply(state, "451 4.3.0 <%s>: Recipient address "
		    "rejected: Temporary lookup failure", raw);
		return -1;
	}
	if (state->rcpt_count++ == 0)
		state->first_rcpt = mystrdup(rcpt);
	smtpd_chat_reply(state, "250 2.1.5 Ok");
	return 0;
}

int
smtpd_proto_rcpt(SMTPD_STATE *state, const char *args)
{
	SMTPD_RCPT_PARAMS params = {0, NULL};
	VSTRING	*addr;
	ARGV	*plist;
	char	*rcpt = NULL;
	int	 r = -1;

	if (state->sender == NULL) {
		smtpd_chat_reply(state, "503 5.5.1 Error: need MAIL command");
		return -1;
	}
	if (state->bdat) {
		smtpd_chat_reply(state, "503 5.5.1 Error: BDAT in progress");
		return -1;
	}
	if ((args = smtpd_proto_keyword(args, "TO:")) == NULL) {
		smtpd_chat_reply(state, "501 5.5.4 Syntax: RCPT TO:<address>");
		return -1;
	}
	addr = vstring_alloc(100);
	plist = argv_alloc(4);
	if (smtpd_proto_path(state, args, addr, plist, 1) == 0 &&
	    smtpd_proto_params(state, plist, smtpd_proto_rcpt_param, &params) == 0 &&
	    smtpd_proto_addr_check(state, vstring_str(addr), 1) == 0) {
		if (state->rcpt_count >= state->conf->rcpt_limit &&
		    state->conf->rcpt_limit > 0) {
			/* Postfix: only the overshoot beyond the limit is an error. */
			if (++state->rcpt_overshoot > state->conf->rcpt_overlim)
				smtpd_chat_reply(state, "452 4.5.3 Error: too many recipients");
			else
				smtpd_chat_reply_uncounted(state,
				    "452 4.5.3 Error: too many recipients");
		} else if (smtpd_anvil_rcpt(state) == 0) {
			rcpt = smtpd_resolve_qualify(state->conf, vstring_str(addr));
			r = smtpd_proto_rcpt_accept(state, vstring_str(addr),
			    rcpt, &params);
		}
	}
	myfree(params.orcpt);
	myfree(rcpt);
	vstring_free(addr);
	argv_free(plist);
	return r;
}

int
smtpd_proto_vrfy(SMTPD_STATE *state, const char *args)
{
	VSTRING	*addr, *moved;
	ARGV	*extra;
	const char *why;
	char	*rcpt;
	int	 known, err = 0, bad;

	if (state->conf->disable_vrfy) {
		smtpd_chat_reply(state, "502 5.5.1 VRFY command is disabled");
		return -1;
	}
	if (*args == 0) {
		smtpd_chat_reply(state, "501 5.5.4 Syntax: VRFY address");
		return -1;
	}
	addr = vstring_alloc(100);
	extra = argv_alloc(1);
	bad = addr_parse_path(args, smtpd_proto_path_flags(state), addr, extra,
	    &why) < 0 ||
	    *vstring_str(addr) == 0 || extra->argc > 0;
	argv_free(extra);
	if (bad) {
		vstring_free(addr);
		smtpd_chat_reply(state, "501 5.1.3 Bad recipient address syntax");
		return -1;
	}
	rcpt = smtpd_resolve_qualify(state->conf, vstring_str(addr));
	vstring_free(addr);
	moved = vstring_alloc(32);
	known = smtpd_resolve_known_rcpt(state, rcpt,
	    smtpd_resolve_class(state, rcpt, &err), &err, moved);
	if (err)
		smtpd_chat_reply(state, "451 4.3.0 <%s>: Temporary lookup failure", rcpt);
	else if (!known)
		smtpd_chat_reply(state, "%d 5.1.1 <%s>: Recipient address rejected: "
		    "User unknown", state->conf->unknown_local_code, rcpt);
	else
		smtpd_chat_reply(state, "252 2.0.0 <%s>", rcpt);
	vstring_free(moved);
	myfree(rcpt);
	return err || !known ? -1 : 0;
}
