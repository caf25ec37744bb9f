/*
 * NAME
 *	smtpd_resolve - address classes and known recipients
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	char *smtpd_resolve_qualify(const SMTPD_CONF *conf, const char *addr);
 *	int   smtpd_resolve_class(SMTPD_STATE *state, const char *addr,
 *		int *error);
 *	int   smtpd_resolve_known_rcpt(SMTPD_STATE *state, const char *addr,
 *		int class, int *error);
 * DESCRIPTION
 *	smtpd_resolve_qualify() returns a copy of addr with "@$myorigin"
 *	appended when it has no domain (the null address stays empty).
 *
 *	smtpd_resolve_class() tells where mail for an address goes:
 *	SMTPD_DEST_LOCAL (the domain matches mydestination, or is an
 *	address literal of this host), SMTPD_DEST_RELAY (relay_domains) or
 *	SMTPD_DEST_OTHER. An address whose local part carries sender-specified
 *	routing ("%", "!" or a quoted "@") is always OTHER, so that it
 *	cannot be used to relay through us.
 *
 *	smtpd_resolve_known_rcpt() looks the address up in
 *	local_recipient_maps (LOCAL: the address, the address without
 *	recipient_delimiter extension, the local part, the local part without
 *	extension) or relay_recipient_maps (RELAY: the address, without
 *	extension, "@domain"). An empty map list accepts every address, as
 *	in Postfix; "proxy:" prefixes are ignored.
 * DIAGNOSTICS
 *	*error is set to 1 when a table lookup failed temporarily.
 */
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"

char *
smtpd_resolve_qualify(const SMTPD_CONF *conf, const char *addr)
{
	char	*out;

	if (*addr == 0 || smtpd_addr_domain(addr) != NULL)
		return mystrdup(addr);
	out = mymalloc(strlen(addr) + strlen(conf->myorigin) + 2);
	strcpy(out, addr);
	strcat(out, "@");
	strcat(out, conf->myorigin);
	return out;
}

int
smtpd_resolve_class(SMTPD_STATE *state, const char *addr, int *error)
{
	const SMTPD_CONF *conf = state->conf;
	const char *domain = smtpd_addr_domain(addr);
	size_t	 llen;

	if (domain == NULL)
		return SMTPD_DEST_LOCAL;
	llen = domain - 1 - addr;
	if (memchr(addr, '%', llen) || memchr(addr, '!', llen) ||
	    memchr(addr, '@', llen))
		return SMTPD_DEST_OTHER;
	if (*domain == '[') {
		char	 lit[SMTPD_ADDR_MAX];
		size_t	 n = strlen(domain);
		const char *p = domain + 1;

		if (strncasecmp(p, "IPv6:", 5) == 0)
			p += 5, n -= 5;
		if (n < 3 || n - 2 >= sizeof(lit))
			return SMTPD_DEST_OTHER;
		memcpy(lit, p, n - 2);
		lit[n - 2] = 0;
		return strcmp(lit, state->laddr) == 0 ||
		    smtpd_peer_local_addr(lit) ? SMTPD_DEST_LOCAL : SMTPD_DEST_OTHER;
	}
	if (smtpd_match_domain(conf->mydestination, domain, 0, error))
		return SMTPD_DEST_LOCAL;
	if (*error)
		return SMTPD_DEST_OTHER;
	if (smtpd_match_domain(conf->relay_domains, domain,
	    conf->parent_match_relay, error))
		return SMTPD_DEST_RELAY;
	return SMTPD_DEST_OTHER;
}

/* Look key up in a list of tables: 1 found, 0 not, -1 error. */
static int
smtpd_resolve_maps(ARGV *maps, const char *key)
{
	const char *spec;
	int	 err = 0;
	DICT	*dict;

	for (size_t i = 0; i < maps->argc; i++) {
		spec = maps->argv[i];
		if (strncmp(spec, "proxy:", 6) == 0)
			spec += 6;
		dict = dict_lookup_open(spec);
		if (dict_get(dict, key) != NULL)
			return 1;
		if (dict->error != DICT_ERR_NONE) {
			msg_warn("%s lookup error for \"%s\": %s", spec, key,
			    dict_error_text(dict));
			err = 1;
		}
	}
	return err ? -1 : 0;
}

/* Candidate keys for an address, most specific first. */
static ARGV *
smtpd_resolve_keys(const SMTPD_CONF *conf, const char *addr, int local)
{
	ARGV	*keys = argv_alloc(4);
	const char *domain = smtpd_addr_domain(addr);
	size_t	 llen = domain ? (size_t)(domain - 1 - addr) : strlen(addr);
	size_t	 blen = llen;
	VSTRING	*buf = vstring_alloc(100);

	if (conf->rcpt_delim && *conf->rcpt_delim)
		blen = strcspn(addr, conf->rcpt_delim);
	if (blen > llen || blen == 0)
		blen = llen;
	argv_add(keys, addr);
	if (blen < llen && domain) {
		vstring_sprintf(buf, "%.*s@%s", (int)blen, addr, domain);
		argv_add(keys, vstring_str(buf));
	}
	if (local) {
		argv_addn(keys, addr, llen);
		if (blen < llen)
			argv_addn(keys, addr, blen);
	} else if (domain) {
		vstring_sprintf(buf, "@%s", domain);
		argv_add(keys, vstring_str(buf));
	}
	vstring_free(buf);
	return keys;
}

int
smtpd_resolve_known_rcpt(SMTPD_STATE *state, const char *addr, int class,
    int *error)
{
	ARGV	*maps, *keys;
	int	 r = 0, found;

	if (class == SMTPD_DEST_LOCAL)
		maps = state->conf->local_rcpt_maps;
	else if (class == SMTPD_DEST_RELAY)
		maps = state->conf->relay_rcpt_maps;
	else
		return 1;
	if (maps == NULL || maps->argc == 0)
		return 1;
	/* Found anywhere wins over a failed table (a missing aliases.db). */
	keys = smtpd_resolve_keys(state->conf, addr, class == SMTPD_DEST_LOCAL);
	for (size_t i = 0; i < keys->argc && r <= 0; i++)
		if ((found = smtpd_resolve_maps(maps, keys->argv[i])) != 0)
			r = found;
	argv_free(keys);
	if (r < 0) {
		*error = 1;
		return 0;
	}
	return r;
}
