/*
 * NAME
 *	screen_smtp - the SMTP engine of a client that failed a test
 * SYNOPSIS
 *	#include "screen.h"
 *
 *	void screen_smtp(SCREEN_STATE *state);
 * DESCRIPTION
 *	With the "enforce" action a client that failed a test talks to the
 *	screen, not to smtpd, as with postscreen: the greeting is completed
 *	("220 $smtpd_banner"), EHLO, HELO, MAIL, RSET and NOOP are accepted,
 *	every RCPT is refused with the test's reply ("550 5.7.1 Service
 *	unavailable; client [addr] blocked using list", "550 5.5.1 Protocol
 *	error") and logged as postscreen does ("NOQUEUE: reject: RCPT from
 *	[addr]:port: 550 ...; from=<a>, to=<b>, proto=ESMTP, helo=<h>"),
 *	DATA and BDAT get "554 5.5.1 Error: no valid recipients", QUIT
 *	"221 2.0.0 Bye", anything else "502 5.5.2 Error: command not
 *	recognized". At most postscreen_command_count_limit commands of at
 *	most SMTP_LINE bytes, each within postscreen_command_time_limit
 *	("COMMAND COUNT LIMIT", "COMMAND LENGTH LIMIT", "COMMAND TIME LIMIT
 *	from [addr]:port after CMD" and a 421 reply).
 * DIAGNOSTICS
 *	None: the session just ends.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "mymalloc.h"
#include "screen.h"

#define SMTP_LINE	2048

static void
screen_smtp_reply(SCREEN_STATE *state, const char *text)
{
	vstream_fprintf(state->client, "%s\r\n", text);
}

/* The address inside <...>, printable, at most 300 bytes. */
static void
screen_smtp_addr(const char *arg, VSTRING *out)
{
	const char *lt = strchr(arg, '<'), *gt;

	vstring_reset(out);
	if (lt == NULL || (gt = strchr(lt, '>')) == NULL)
		return;
	for (lt++; lt < gt && vstring_len(out) < 300; lt++)
		vstring_sprintf_append(out, "%c", isprint((unsigned char)*lt) ?
		    *lt : '?');
}

static int
screen_smtp_is(const char *line, const char *cmd)
{
	size_t	 n = strlen(cmd);

	return strncasecmp(line, cmd, n) == 0 &&
	    (line[n] == 0 || line[n] == ' ' || line[n] == ':');
}

void
screen_smtp(SCREEN_STATE *state)
{
	const SCREEN_CONF *conf = state->conf;
	VSTRING	*line = vstring_alloc(100), *helo = vstring_alloc(32);
	VSTRING	*sender = vstring_alloc(32), *rcpt = vstring_alloc(32);
	const char *where = "CONNECT", *s;
	char	 reply[600];
	int	 count = 0, r;

	vstream_set_timeout(state->client, conf->cmd_time);
	vstream_fprintf(state->client, "220 %s\r\n", conf->smtpd_banner);
	for (;;) {
		if (vstream_fflush(state->client) < 0)
			break;
		r = vstream_get_line(state->client, line, SMTP_LINE, 0);
		if (r == VSTREAM_LINE_LONG) {
			msg_info("COMMAND LENGTH LIMIT from %s after %s",
			    state->addrport, where);
			screen_smtp_reply(state, "421 4.7.0 Error: command too long");
			break;
		}
		if (r != VSTREAM_LINE_OK) {
			if (vstream_ftimeout(state->client)) {
				msg_info("COMMAND TIME LIMIT from %s after %s",
				    state->addrport, where);
				vstream_clearerr(state->client);
				snprintf(reply, sizeof(reply), "421 4.4.2 %s Error: "
				    "timeout exceeded", conf->myhostname);
				screen_smtp_reply(state, reply);
			}
			break;
		}
		vstring_truncate(line, strcspn(vstring_str(line), "\r\n"));
		s = vstring_str(line);
		if (++count > conf->cmd_count) {
			msg_info("COMMAND COUNT LIMIT from %s after %s",
			    state->addrport, where);
			screen_smtp_reply(state, "421 4.7.0 Error: too many commands");
			break;
		}
		if (screen_smtp_is(s, "EHLO") || screen_smtp_is(s, "HELO")) {
			where = toupper((unsigned char)s[0]) == 'E' ? "EHLO" : "HELO";
			vstring_strcpy(helo, s[4] ? s + 5 : "");
			if (vstring_len(helo) > 255)
				vstring_truncate(helo, 255);
			snprintf(reply, sizeof(reply), *where == 'E' ?
			    "250-%s\r\n250-PIPELINING\r\n250-SIZE\r\n"
			    "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME" : "250 %s",
			    conf->myhostname);
			screen_smtp_reply(state, reply);
		} else if (screen_smtp_is(s, "MAIL")) {
			where = "MAIL";
			screen_smtp_addr(s, sender);
			screen_smtp_reply(state, "250 2.1.0 Ok");
		} else if (screen_smtp_is(s, "RCPT")) {
			where = "RCPT";
			screen_smtp_addr(s, rcpt);
			msg_info("NOQUEUE: reject: RCPT from %s: %s; from=<%s>, "
			    "to=<%s>, proto=ESMTP, helo=<%s>", state->addrport,
			    state->reply, vstring_str(sender), vstring_str(rcpt),
			    vstring_str(helo));
			screen_smtp_reply(state, state->reply);
		} else if (screen_smtp_is(s, "DATA") || screen_smtp_is(s, "BDAT")) {
			where = "DATA";
			screen_smtp_reply(state, "554 5.5.1 Error: no valid recipients");
		} else if (screen_smtp_is(s, "RSET") || screen_smtp_is(s, "NOOP")) {
			vstring_reset(sender);
			screen_smtp_reply(state, "250 2.0.0 Ok");
		} else if (screen_smtp_is(s, "QUIT")) {
			screen_smtp_reply(state, "221 2.0.0 Bye");
			break;
		} else {
			screen_smtp_reply(state, "502 5.5.2 Error: command not "
			    "recognized");
		}
	}
	(void)vstream_fflush(state->client);
	vstring_free(line);
	vstring_free(helo);
	vstring_free(sender);
	vstring_free(rcpt);
}
