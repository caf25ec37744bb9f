/*
 * NAME
 *	smtpd_ehlo - EHLO keywords a client is offered, and the ones it is not
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_ehlo_reply(SMTPD_STATE *state, ARGV *keywords);
 *	int smtpd_ehlo_discarded(SMTPD_STATE *state, const char *keyword);
 *	int smtpd_ehlo_command_hidden(SMTPD_STATE *state, const char *verb);
 * DESCRIPTION
 *	smtpd_ehlo_reply() sends the EHLO reply: myhostname, then the
 *	keywords ("PIPELINING", "SIZE 10240000", ...) minus
 *	those that smtpd_discard_ehlo_keywords, or the client's entry in
 *	smtpd_discard_ehlo_keyword_address_maps, discards. As Postfix, a
 *	client whose address the maps find gets the keywords of its entry
 *	instead of the global list; the discarded ones are logged
 *	("discarding EHLO keywords: ...") unless the list contains
 *	"silent-discard". The decision is made once per session.
 *
 *	smtpd_ehlo_discarded() says whether keyword (case-insensitive, the
 *	first word only, "AUTH=..." counting as AUTH) is discarded for this
 *	client.
 *
 *	smtpd_ehlo_command_hidden() says whether the command verb belongs to
 *	a discarded keyword (STARTTLS, BDAT for CHUNKING, ETRN, VRFY, AUTH):
 *	such a command is then answered as not implemented, so a client
 *	cannot use what it was not offered. Other discarded keywords
 *	(PIPELINING, SIZE, DSN...) are only hidden, as in Postfix.
 * DIAGNOSTICS
 *	A lookup error in the address maps is logged and the global list
 *	applies.
 */
#include <string.h>
#include <strings.h>

#include "argv.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "vstring.h"

/* The session's discard list, computed at the first use. */
static ARGV *
smtpd_ehlo_list(SMTPD_STATE *state)
{
	const SMTPD_CONF *conf = state->conf;
	VSTRING	*result;
	int	 r = 0;

	if (state->ehlo_discard != NULL)
		return state->ehlo_discard;
	if (conf->discard_ehlo_maps->argc > 0) {
		result = vstring_alloc(64);
		for (size_t i = 0; r == 0 && i < conf->discard_ehlo_maps->argc; i++)
			r = smtpd_access_find(conf->discard_ehlo_maps->argv[i],
			    SMTPD_ACCESS_CLIENT, state->name, state->addr, conf,
			    result);
		if (r > 0)
			state->ehlo_discard = argv_split(vstring_str(result), ", \t");
		else if (r < 0)
			msg_warn("%s: smtpd_discard_ehlo_keyword_address_maps "
			    "lookup error: using smtpd_discard_ehlo_keywords",
			    state->namaddr);
		vstring_free(result);
	}
	if (state->ehlo_discard == NULL)
		state->ehlo_discard = argv_split(conf->discard_ehlo, ", \t");
	return state->ehlo_discard;
}

int
smtpd_ehlo_discarded(SMTPD_STATE *state, const char *keyword)
{
	ARGV	*list = smtpd_ehlo_list(state);
	size_t	 len = strcspn(keyword, " =");	/* "AUTH=PLAIN" is AUTH */

	for (size_t i = 0; i < list->argc; i++)
		if (strlen(list->argv[i]) == len &&
		    strncasecmp(list->argv[i], keyword, len) == 0)
			return 1;
	return 0;
}

int
smtpd_ehlo_command_hidden(SMTPD_STATE *state, const char *verb)
{
	static const char *const map[][2] = {
		{"STARTTLS", "STARTTLS"},
		{"BDAT", "CHUNKING"},
		{"ETRN", "ETRN"},
		{"VRFY", "VRFY"},
		{"AUTH", "AUTH"},
	};

	if (*state->conf->discard_ehlo == 0 &&
	    state->conf->discard_ehlo_maps->argc == 0)
		return 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(verb, map[i][0]) == 0)
			return smtpd_ehlo_discarded(state, map[i][1]);
	return 0;
}

void
smtpd_ehlo_reply(SMTPD_STATE *state, ARGV *keywords)
{
	ARGV	*list = smtpd_ehlo_list(state);
	VSTRING	*gone = vstring_alloc(64);
	int	 silent = 0;
	size_t	 i, last = keywords->argc;	/* none stays */

	for (i = 0; i < list->argc; i++)
		if (strcasecmp(list->argv[i], "silent-discard") == 0)
			silent = 1;
	/* Find the last keyword that stays, so that it gets "250 ". */
	for (i = keywords->argc; i > 0; i--)
		if (!smtpd_ehlo_discarded(state, keywords->argv[i - 1])) {
			last = i - 1;
			break;
		}
	smtpd_chat_reply(state, "250%c%s", last == keywords->argc ? ' ' : '-',
	    state->conf->myhostname);
	for (i = 0; i < keywords->argc; i++) {
		if (smtpd_ehlo_discarded(state, keywords->argv[i])) {
			vstring_sprintf_append(gone, "%s%.*s",
			    vstring_len(gone) ? " " : "",
			    (int)strcspn(keywords->argv[i], " ="), keywords->argv[i]);
			continue;
		}
		smtpd_chat_reply(state, "250%c%s", i == last ? ' ' : '-',
		    keywords->argv[i]);
	}
	if (vstring_len(gone) && !silent)
		msg_info("discarding EHLO keywords: %s", vstring_str(gone));
	vstring_free(gone);
}
