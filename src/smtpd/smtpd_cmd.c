/*
 * NAME
 *	smtpd_cmd - SMTP command table, dispatch and the simple commands
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_cmd_dispatch(SMTPD_STATE *state);
 *	int  smtpd_cmd_pipelining(SMTPD_STATE *state);
 *	int  smtpd_cmd_pipe_detect(SMTPD_STATE *state);
 *	void smtpd_cmd_pipe_text(SMTPD_STATE *state, VSTRING *out);
 *	void smtpd_cmd_stat_line(SMTPD_STATE *state, VSTRING *out);
 * DESCRIPTION
 *	smtpd_cmd_dispatch() reads one command line and runs it. Over-long
 *	lines get "500 5.5.2 Error: line too long" (the rest of the line is
 *	discarded), lines with a NUL byte "500 5.5.2 Error: bad syntax",
 *	unknown verbs "500 5.5.2 Error: command not recognized", commands
 *	we know of but do not offer "502 5.5.1". HTTP verbs (CONNECT, GET,
 *	POST) end the session, as Postfix's smtpd_forbidden_commands does.
 *	A bare LF at the end of a command line under
 *	smtpd_forbid_bare_newline = reject ends the session with 521.
 *
 *	With smtpd_command_filter, each command line (not message content,
 *	not SASL responses), without its leading white space and line
 *	terminator, is looked up in those tables first; a value found
 *	replaces the line, which is then parsed as if the client had sent
 *	it ("replacing command "X" with "Y"" is logged). A failed lookup
 *	is logged and ends the session with "421 4.3.0 $myhostname Server
 *	local data error", as in Postfix.
 *
 *	HELO, EHLO, RSET, NOOP, QUIT and HELP are implemented here; MAIL,
 *	RCPT and VRFY in smtpd_proto.c, DATA and BDAT in smtpd_data.c.
 *
 *	smtpd_cmd_pipelining() looks for improper pipelining; the dispatcher
 *	calls it before a command that must end a pipelined group (RFC 2920:
 *	EHLO, HELO, DATA, NOOP, VRFY, HELP, ...), and before every command of
 *	a client that did not negotiate PIPELINING with EHLO. If more input
 *	is already waiting, smtpd_cmd_pipe_detect() logs it and marks the
 *	session (state->ill_pipelining, which reject_unauth_pipelining
 *	tests, as Postfix's per-session flag); with
 *	smtpd_forbid_unauth_pipelining the client also gets "554 5.5.0
 *	Error: SMTP protocol synchronization" and is disconnected, and
 *	smtpd_cmd_pipelining() returns -1 then. Without it, the session goes
 *	on and the first occurrence only is logged. The log line has
 *	Postfix's shape, "improper command pipelining after CMD from
 *	host[addr]: text", text being the first 100 bytes of the early input
 *	with CR, LF and other control bytes escaped (\r\n), which
 *	smtpd_cmd_pipe_text() appends to out.
 *
 *	After smtpd_junk_command_limit NOOP, RSET, VRFY and HELP commands in
 *	a session (the count restarts with each accepted message), each one
 *	also counts as an error, so that a client cannot idle forever.
 *
 *	smtpd_cmd_stat_line() formats the "ehlo=1 mail=1 ... commands=N"
 *	summary of the "disconnect from" log line (ok/total when some
 *	commands of a kind failed).
 * DIAGNOSTICS
 *	Protocol errors are replies to the client; the session ends by
 *	setting state->quit.
 */
#include <sys/socket.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"

#define CMD_LAST	(1 << 0)	/* must end a pipelined group */
#define CMD_JUNK	(1 << 1)	/* counts against smtpd_junk_command_limit */
#define SMTPD_PIPE_TEXT	100		/* early input shown in the log */

typedef struct SMTPD_CMD {
	const char *name;
	const char *stat;		/* name in the disconnect line */
	int	(*action)(SMTPD_STATE *, const char *);
	int	 flags;
} SMTPD_CMD;

static int smtpd_cmd_helo(SMTPD_STATE *, const char *);
static int smtpd_cmd_ehlo(SMTPD_STATE *, const char *);
static int smtpd_cmd_rset(SMTPD_STATE *, const char *);
static int smtpd_cmd_noop(SMTPD_STATE *, const char *);
static int smtpd_cmd_quit(SMTPD_STATE *, const char *);
static int smtpd_cmd_help(SMTPD_STATE *, const char *);
static int smtpd_cmd_unimpl(SMTPD_STATE *, const char *);

static const SMTPD_CMD smtpd_cmd_table[] = {
	{"HELO", "helo", smtpd_cmd_helo, CMD_LAST},
	{"EHLO", "ehlo", smtpd_cmd_ehlo, CMD_LAST},
	{"MAIL", "mail", smtpd_proto_mail, 0},
	{"RCPT", "rcpt", smtpd_proto_rcpt, 0},
	{"DATA", "data", smtpd_data_cmd, CMD_LAST},
	{"BDAT", "bdat", smtpd_data_bdat, 0},
	{"RSET", "rset", smtpd_cmd_rset, CMD_JUNK},
	{"NOOP", "noop", smtpd_cmd_noop, CMD_LAST | CMD_JUNK},
	{"QUIT", "quit", smtpd_cmd_quit, 0},
	{"VRFY", "vrfy", smtpd_proto_vrfy, CMD_LAST | CMD_JUNK},
	{"HELP", "help", smtpd_cmd_help, CMD_LAST | CMD_JUNK},
	{"EXPN", "expn", smtpd_cmd_unimpl, CMD_LAST},
	{"ETRN", "etrn", smtpd_etrn_cmd, CMD_LAST},	/* smtpd_etrn.c */
	{"XFORWARD", "xforward", smtpd_xforward_cmd, 0},	/* smtpd_xforward.c */
	{"XCLIENT", "xclient", smtpd_xclient_cmd, CMD_LAST},	/* smtpd_xclient.c */
	{"TURN", "turn", smtpd_cmd_unimpl, CMD_LAST},
	{"AUTH", "auth", smtpd_sasl_cmd, CMD_LAST},	/* smtpd_sasl.c */
	{"STARTTLS", "starttls", smtpd_tls_cmd, CMD_LAST},	/* smtpd_tls.c */
	{NULL, NULL, NULL, 0},
};

static const char *smtpd_cmd_forbidden[] = {"CONNECT", "GET", "POST", NULL};

static void
smtpd_cmd_count(SMTPD_STATE *state, const char *name, int ok)
{
	int	 i;

	for (i = 0; i < state->nstat; i++)
		if (strcmp(state->stat[i].name, name) == 0)
			break;
	if (i == state->nstat) {
		if (state->nstat == SMTPD_NSTAT)
			return;
		state->stat[state->nstat].name = name;
		state->stat[state->nstat].ok = 0;
		state->stat[state->nstat++].total = 0;
	}
	state->stat[i].total++;
	state->stat[i].ok += ok;
}

void
smtpd_cmd_stat_line(SMTPD_STATE *state, VSTRING *out)
{
	int	 ok = 0, total = 0;

	vstring_reset(out);
	for (int i = 0; i < state->nstat; i++) {
		const SMTPD_STAT *s = &state->stat[i];

		if (s->ok == s->total)
			vstring_sprintf_append(out, " %s=%d", s->name, s->ok);
		else
			vstring_sprintf_append(out, " %s=%d/%d", s->name,
			    s->ok, s->total);
		ok += s->ok;
		total += s->total;
	}
	if (ok == total)
		vstring_sprintf_append(out, " commands=%d", ok);
	else
		vstring_sprintf_append(out, " commands=%d/%d", ok, total);
}

/* smtpd_cmd_pipe_text - up to 100 bytes of the early input, escaped */

void
smtpd_cmd_pipe_text(SMTPD_STATE *state, VSTRING *out)
{
	const unsigned char *data;
	unsigned char peek[SMTPD_PIPE_TEXT];
	ssize_t	 n;
	size_t	 i;

	if ((n = (ssize_t)vstream_peek(state->client, &data)) == 0 && state->tls == NULL) {
		/* Not read yet: look without consuming (plaintext only). */
		if ((n = recv(vstream_fileno(state->client), peek, sizeof(peek),
		    MSG_PEEK | MSG_DONTWAIT)) < 0)
			n = 0;
		data = peek;
	}
	if (n > SMTPD_PIPE_TEXT)
		n = SMTPD_PIPE_TEXT;
	for (i = 0; i < (size_t)n; i++) {
		if (data[i] == '\r')
			vstring_strcat(out, "\\r");
		else if (data[i] == '\n')
			vstring_strcat(out, "\\n");
		else if (data[i] == '\t')
			vstring_strcat(out, "\\t");
		else if (data[i] == '\\')
			vstring_strcat(out, "\\\\");
		else if (data[i] < 0x20 || data[i] >= 0x7f)
			vstring_sprintf_append(out, "\\%03o", data[i]);
		else
			vstring_addch(out, data[i]);
	}
}

int
smtpd_cmd_pipe_detect(SMTPD_STATE *state)
{
	VSTRING	*text;

	if (state->ill_pipelining)
		return 1;
	if (state->quit || state->family == AF_UNIX || !smtpd_chat_pending(state))
		return 0;
	/* Postfix's shape, which fail2ban's postfix filter reads. */
	text = vstring_alloc(100);
	smtpd_cmd_pipe_text(state, text);
	msg_info("improper command pipelining after %s from %s: %s",
	    state->where, state->namaddr, vstring_str(text));
	vstring_free(text);
	state->ill_pipelining = 1;
	return 1;
}

int
smtpd_cmd_pipelining(SMTPD_STATE *state)
{
	if (!smtpd_cmd_pipe_detect(state) || !state->conf->forbid_unauth_pipe)
		return 0;
	smtpd_chat_reply(state, "554 5.5.0 Error: SMTP protocol synchronization");
	state->quit = 1;
	return -1;
}

static int
smtpd_cmd_helo_common(SMTPD_STATE *state, const char *args, int ehlo)
{
	if (*args == 0) {
		smtpd_chat_reply(state, "501 5.5.4 Syntax: %s hostname",
		    ehlo ? "EHLO" : "HELO");
		return -1;
	}
	smtpd_proto_reset(state);
	myfree(state->helo);
	state->helo = mystrndup(args, strcspn(args, " \t"));
	state->ehlo = ehlo;
	if (state->tls)
		state->protocol = ehlo ? "ESMTPS" : "SMTPS";
	else
		state->protocol = ehlo ? "ESMTP" : "SMTP";
	if (!state->conf->delay_reject &&
	    smtpd_check_helo(state) == SMTPD_CHECK_REJECT) {
		smtpd_chat_reply(state, "%s", vstring_str(state->check_reply));
		myfree(state->helo);
		state->helo = NULL;
		return -1;
	}
	if (smtpd_milter_helo(state) < 0) {
		myfree(state->helo);
		state->helo = NULL;
		return -1;
	}
	return 0;
}

static int
smtpd_cmd_helo(SMTPD_STATE *state, const char *args)
{
	if (smtpd_cmd_helo_common(state, args, 0) < 0)
		return -1;
	smtpd_chat_reply(state, "250 %s", state->conf->myhostname);
	return 0;
}

static int
smtpd_cmd_ehlo(SMTPD_STATE *state, const char *args)
{
	const SMTPD_CONF *conf = state->conf;
	ARGV	*kw;
	char	 size[32];

	if (smtpd_cmd_helo_common(state, args, 1) < 0)
		return -1;
	kw = argv_alloc(16);
	argv_add(kw, "PIPELINING");
	if (conf->size_limit > 0) {
		snprintf(size, sizeof(size), "SIZE %lld", conf->size_limit);
		argv_add(kw, size);
	} else
		argv_add(kw, "SIZE");
	if (!conf->disable_vrfy)
		argv_add(kw, "VRFY");
	argv_add(kw, "ETRN");
	if (smtpd_tls_offer(state))
		argv_add(kw, "STARTTLS");
	smtpd_sasl_ehlo(state, kw);
	argv_add(kw, "ENHANCEDSTATUSCODES");
	argv_add(kw, "8BITMIME");
	argv_add(kw, "DSN");
	if (conf->smtputf8)
		argv_add(kw, "SMTPUTF8");
	argv_add(kw, "CHUNKING");
	if (smtpd_xclient_allowed(state))
		argv_add(kw, "XCLIENT NAME ADDR PORT PROTO HELO LOGIN");
	if (smtpd_xforward_allowed(state))
		argv_add(kw, "XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE");
	smtpd_ehlo_reply(state, kw);
	argv_free(kw);
	return 0;
}

static int
smtpd_cmd_rset(SMTPD_STATE *state, const char *args)
{
	if (*args) {
		smtpd_chat_reply(state, "501 5.5.4 Syntax: RSET");
		return -1;
	}
	smtpd_proto_reset(state);
	smtpd_chat_reply(state, "250 2.0.0 Ok");
	return 0;
}

static int
smtpd_cmd_noop(SMTPD_STATE *state, const char *args)
{
	smtpd_chat_reply(state, "250 2.0.0 Ok");
	return 0;
}

static int
smtpd_cmd_quit(SMTPD_STATE *state, const char *args)
{
	smtpd_chat_reply(state, "221 2.0.0 Bye");
	state->quit = 1;
	return 0;
}

static int
smtpd_cmd_help(SMTPD_STATE *state, const char *args)
{
	smtpd_chat_reply(state, "214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA"
	    " BDAT RSET NOOP QUIT VRFY ETRN AUTH STARTTLS HELP");
	smtpd_chat_reply(state, "214 2.0.0 See RFC 5321");
	return 0;
}

static int
smtpd_cmd_unimpl(SMTPD_STATE *state, const char *args)
{
	smtpd_chat_reply(state, "502 5.5.1 Error: command not implemented");
	return -1;
}

static const SMTPD_CMD *
smtpd_cmd_find(const char *verb, size_t len)
{
	const SMTPD_CMD *cmd;

	for (cmd = smtpd_cmd_table; cmd->name; cmd++)
		if (strlen(cmd->name) == len &&
		    strncasecmp(cmd->name, verb, len) == 0)
			return cmd;
	return NULL;
}

static int
smtpd_cmd_is_forbidden(const char *verb, size_t len)
{
	for (const char **f = smtpd_cmd_forbidden; *f; f++)
		if (strlen(*f) == len && strncasecmp(*f, verb, len) == 0)
			return 1;
	return 0;
}

/* smtpd_noop_commands: commands answered "250 Ok" and otherwise ignored. */
static int
smtpd_cmd_is_noop(SMTPD_STATE *state, const char *verb, size_t len)
{
	const ARGV *list = state->conf->noop_cmds;

	for (size_t i = 0; i < list->argc; i++)
		if (strlen(list->argv[i]) == len &&
		    strncasecmp(list->argv[i], verb, len) == 0)
			return 1;
	return 0;
}

/* Lines we answer without running a command; -1 when handled. */
static int
smtpd_cmd_screen(SMTPD_STATE *state, int r)
{
	if (r == 2) {
		smtpd_cmd_count(state, "unknown", 0);
		smtpd_chat_reply(state, "500 5.5.2 Error: line too long");
		return -1;
	}
	if (state->msg.bare_lf && state->bare_nl == SMTPD_BARE_NL_REJECT) {
		msg_info("disconnect: bare <LF> received from %s", state->namaddr);
		smtpd_chat_reply(state, "%d 5.5.2 %s Error: bare <LF> received",
		    state->conf->bare_nl_code, state->conf->myhostname);
		state->quit = 1;
		return -1;
	}
	if (memchr(vstring_str(state->buf), 0, vstring_len(state->buf))) {
		smtpd_cmd_count(state, "unknown", 0);
		smtpd_chat_reply(state, "500 5.5.2 Error: bad syntax");
		return -1;
	}
	return 0;
}

/* smtpd_command_filter: the table's answer replaces the line; -1 after a reply. */
static int
smtpd_cmd_filter(SMTPD_STATE *state)
{
	MAIL_ADDR_MAPS *maps = state->conf->cmd_filter;
	const char *line = vstring_str(state->buf), *v;
	int	 err = 0;

	line += strspn(line, " \t");
	v = dict_get_list(maps->dicts, maps->ndict, line, &err);
	if (err) {
		msg_warn("%s lookup error for \"%.100s\"", maps->title, line);
		smtpd_chat_reply(state, "421 4.3.0 %s Server local data error",
		    state->conf->myhostname);
		state->quit = 1;
		return -1;
	}
	if (v != NULL) {
		msg_info("%s: replacing command \"%.100s\" with \"%.100s\"",
		    state->namaddr, vstring_str(state->buf), v);
		vstring_strcpy(state->buf, v);
	}
	return 0;
}

void
smtpd_cmd_dispatch(SMTPD_STATE *state)
{
	const SMTPD_CMD *cmd;
	const char *line, *args;
	size_t	 vlen;
	int	 r;

	if ((r = smtpd_chat_query(state)) <= 0) {
		smtpd_chat_lost(state, r);
		return;
	}
	if (smtpd_cmd_screen(state, r) < 0)
		return;
	if (state->conf->cmd_filter != NULL && smtpd_cmd_filter(state) < 0)
		return;
	line = vstring_str(state->buf);
	line += strspn(line, " \t");
	vlen = strcspn(line, " \t");
	args = line + vlen;
	args += strspn(args, " \t");
	if (smtpd_cmd_is_noop(state, line, vlen)) {
		smtpd_cmd_count(state, "noop", 1);
		smtpd_chat_reply(state, "250 2.0.0 Ok");
		return;
	}
	if ((cmd = smtpd_cmd_find(line, vlen)) != NULL &&
	    smtpd_ehlo_command_hidden(state, cmd->name)) {
		state->where = cmd->name;
		smtpd_cmd_count(state, cmd->stat, 0);
		(void)smtpd_cmd_unimpl(state, args);
		return;
	}
	if (cmd == NULL) {
		if (smtpd_cmd_is_forbidden(line, vlen)) {
			msg_warn("non-SMTP command from %s: %.100s",
			    state->namaddr, line);
			smtpd_chat_reply(state, "221 2.7.0 Error: I can break "
			    "rules, too. Goodbye.");
			state->quit = 1;
			return;
		}
		state->where = "UNKNOWN";
		smtpd_cmd_count(state, "unknown", 0);
		if (smtpd_milter_unknown(state, line) < 0)
			return;
		smtpd_chat_reply(state, "500 5.5.2 Error: command not recognized");
		return;
	}
	state->where = cmd->name;
	if (state->denied && cmd->action != smtpd_cmd_quit) {
		smtpd_cmd_count(state, cmd->stat, 0);
		smtpd_chat_reply(state, "503 5.7.0 Error: access denied for %s",
		    state->namaddr);
		return;
	}
	if (cmd->action != smtpd_cmd_quit && smtpd_milter_denied(state) < 0) {
		smtpd_cmd_count(state, cmd->stat, 0);
		return;
	}
	/* Trailing white space would confuse argument checks. */
	while (vstring_len(state->buf) > 0 &&
	    strchr(" \t", vstring_end(state->buf)[-1]))
		vstring_truncate(state->buf, vstring_len(state->buf) - 1);
	if (((cmd->flags & CMD_LAST) || !state->ehlo) &&
	    cmd->action != smtpd_cmd_quit && smtpd_cmd_pipelining(state) < 0) {
		smtpd_cmd_count(state, cmd->stat, 0);
		return;
	}
	if ((cmd->flags & CMD_JUNK) &&
	    ++state->junk_count > state->conf->junk_limit)
		state->error_count++;
	r = cmd->action(state, args);
	smtpd_cmd_count(state, cmd->stat, r == 0);
}
