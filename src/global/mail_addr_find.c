/*
 * NAME
 *	mail_addr_find - Postfix-style table lookups of mail addresses
 * SYNOPSIS
 *	#include <mail_addr_find.h>
 *
 *	MAIL_ADDR_MAPS *mail_addr_maps_open(const char *title,
 *		    const char *tables);
 *	MAIL_ADDR_MAPS *mail_addr_maps_param(const char *name);
 *	void	mail_addr_maps_close(MAIL_ADDR_MAPS *maps);
 *	int	mail_addr_find(MAIL_ADDR_MAPS *maps, const char *addr,
 *		    int flags, const char *delims, VSTRING *result,
 *		    VSTRING *key);
 *	int	mail_addr_map(MAIL_ADDR_MAPS *maps, const char *addr,
 *		    int flags, const char *delims, int propagate,
 *		    ARGV *result);
 *	int	mail_addr_split_ext(const char *local, const char *delims,
 *		    VSTRING *user, VSTRING *ext);
 * DESCRIPTION
 *	mail_addr_maps_open() opens a list of type:name tables (the value
 *	of a *_maps parameter, named by title for the logs) through the
 *	process-wide table cache. It is how every list of tables is
 *	opened, also those whose keys are not addresses (SASL passwords,
 *	TLS policies): their users look keys up with dict_find_list(3) or
 *	dict_get_list(3) over maps->dicts and maps->ndict.
 *
 *	mail_addr_maps_param() opens the tables that the main.cf
 *	parameter name lists, titled with the parameter's name; null when
 *	the parameter lists none, so that a feature left unconfigured
 *	costs its user a null test. mail_addr_maps_close() accepts null.
 *
 *	mail_addr_find() looks an address (internal form, i.e. unquoted)
 *	up with a sequence of keys; each key is tried in every table in
 *	turn before the next key, so the most specific key wins. The keys
 *	are, as Postfix's virtual(5) and canonical(5) describe them, with
 *	delims the recipient_delimiter characters:
 *	    user+ext@domain   the whole address
 *	    user@domain       without the extension (when there is one)
 *	    user+ext, user    only with MAIL_ADDR_FIND_LOCAL (the domain is
 *			      local, or the address has none)
 *	    @domain           catch-all for the domain
 *	With MAIL_ADDR_FIND_ACCESS the order is access(5)'s instead:
 *	user+ext@domain, user@domain, then domain and its parent domains
 *	("example.com" with MAIL_ADDR_FIND_PARENT, ".example.com" without),
 *	then "user+ext@", "user@". Keys are lower-cased by the tables
 *	(DICT_FLAG_FOLD_KEY). Pattern tables (regexp:, pcre:) are queried
 *	with the whole address only, as in Postfix.
 *
 *	A failed lookup ends the search with -1, unless
 *	MAIL_ADDR_FIND_ANY is set: then the search goes on and a key found
 *	later still counts (1); -1 only when nothing was found. That suits
 *	recipient validation (local_recipient_maps with a missing
 *	aliases.db still knows the users in passwd), not rewriting.
 *
 *	mail_addr_map() is mail_addr_find() for address rewriting
 *	(canonical, virtual, generic): it appends the addresses of the
 *	value found (a list, parsed as a header's; internal form) to
 *	result. A value address "@domain" keeps addr's local part
 *	("@old @new" moves a whole domain). With propagate, an address
 *	extension (user+ext@domain) that the matching key did not
 *	contain is added to each result address that has no "@"-form
 *	value (propagate_unmatched_extensions).
 *
 *	mail_addr_split_ext() splits a local part at the first delimiter
 *	character (not at its first byte: "+foo" has no extension, and
 *	neither has "foo+").
 * DIAGNOSTICS
 *	mail_addr_find() and mail_addr_map() return 1 (found), 0 (not
 *	found) or -1 (a table lookup failed; the caller must answer with a
 *	temporary error).
 */
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "argv.h"
#include "mail_addr_find.h"
#include "mail_conf.h"
#include "mymalloc.h"

MAIL_ADDR_MAPS *
mail_addr_maps_open(const char *title, const char *tables)
{
	MAIL_ADDR_MAPS *maps = mymalloc(sizeof(*maps));
	ARGV	*names = conf_split_list(tables);
	size_t	 i;

	maps->title = mystrdup(title);
	maps->ndict = (int)names->argc;
	maps->dicts = mycalloc(names->argc ? names->argc : 1, sizeof(DICT *));
	for (i = 0; i < names->argc; i++)
		maps->dicts[i] = dict_lookup_open(names->argv[i]);
	argv_free(names);
	return maps;
}

MAIL_ADDR_MAPS *
mail_addr_maps_param(const char *name)
{
	const char *tables = conf_str(name);
	MAIL_ADDR_MAPS *maps;

	if (*tables == 0)
		return NULL;
	maps = mail_addr_maps_open(name, tables);
	if (maps->ndict == 0) {
		mail_addr_maps_close(maps);
		return NULL;
	}
	return maps;
}

void
mail_addr_maps_close(MAIL_ADDR_MAPS *maps)
{
	int	 i;

	if (maps == NULL)
		return;
	for (i = 0; i < maps->ndict; i++)
		dict_lookup_close(maps->dicts[i]);
	myfree(maps->dicts);
	myfree(maps->title);
	myfree(maps);
}

int
mail_addr_split_ext(const char *local, const char *delims, VSTRING *user,
    VSTRING *ext)
{
	size_t	 n;

	if (delims == NULL || *delims == 0 || *local == 0 ||
	    (n = strcspn(local + 1, delims) + 1) + 1 >= strlen(local)) {
		vstring_strcpy(user, local);
		vstring_reset(ext);
		return 0;
	}
	vstring_memcpy(user, local, n);
	vstring_strcpy(ext, local + n + 1);
	return 1;
}

/* mail_addr_try - one key in one table: 1, 0, -1. */
static int
mail_addr_try(DICT *dict, const char *key, VSTRING *result, VSTRING *mkey)
{
	const char *value;
	int	 ret;

	if ((ret = dict_find(dict, key, &value)) > 0) {
		if (result)
			vstring_strcpy(result, value);
		if (mkey)
			vstring_strcpy(mkey, key);
	}
	return ret;
}

/* mail_addr_keys - the keys to try, in order. */
static void
mail_addr_keys(const char *addr, int flags, const char *delims, ARGV *keys)
{
	VSTRING	*local = vstring_alloc(64), *user = vstring_alloc(64);
	VSTRING	*ext = vstring_alloc(64), *buf = vstring_alloc(64);
	const char *at = strrchr(addr, '@');
	const char *dom = at ? at + 1 : NULL, *p;
	int	 has_ext;

	vstring_memcpy(local, addr, at ? (size_t)(at - addr) : strlen(addr));
	has_ext = mail_addr_split_ext(vstring_str(local), delims, user, ext);
	argv_add(keys, addr);
	if (flags & MAIL_ADDR_FIND_ACCESS) {
		if (has_ext && dom) {
			vstring_sprintf(buf, "%s@%s", vstring_str(user), dom);
			argv_add(keys, vstring_str(buf));
		}
		for (p = dom; p && *p; p = strchr(p + 1, '.'))
			argv_add(keys, p == dom || !(flags & MAIL_ADDR_FIND_PARENT) ? p : p + 1);
		vstring_sprintf(buf, "%s@", vstring_str(local));
		argv_add(keys, vstring_str(buf));
		if (has_ext) {
			vstring_sprintf(buf, "%s@", vstring_str(user));
			argv_add(keys, vstring_str(buf));
		}
	} else {
		if (has_ext && dom) {
			vstring_sprintf(buf, "%s@%s", vstring_str(user), dom);
			argv_add(keys, vstring_str(buf));
		}
		if ((flags & MAIL_ADDR_FIND_LOCAL) && dom) {
			argv_add(keys, vstring_str(local));
			if (has_ext)
				argv_add(keys, vstring_str(user));
		} else if ((flags & MAIL_ADDR_FIND_LOCAL) && has_ext) {
			argv_add(keys, vstring_str(user));
		}
		if (dom) {
			vstring_sprintf(buf, "@%s", dom);
			argv_add(keys, vstring_str(buf));
		}
	}
	vstring_free(local);
	vstring_free(user);
	vstring_free(ext);
	vstring_free(buf);
}

int
mail_addr_find(MAIL_ADDR_MAPS *maps, const char *addr, int flags,
    const char *delims, VSTRING *result, VSTRING *key)
{
	ARGV	*keys = argv_alloc(8);
	size_t	 k;
	int	 i, ret = 0, failed = 0;

	mail_addr_keys(addr, flags, delims, keys);
	for (k = 0; k < keys->argc && ret == 0; k++) {
		for (i = 0; i < maps->ndict && ret == 0; i++) {
			if (k > 0 && !maps->dicts[i]->fixed)
				continue;
			ret = mail_addr_try(maps->dicts[i], keys->argv[k], result, key);
			if (ret < 0 && (flags & MAIL_ADDR_FIND_ANY)) {
				failed = 1;
				ret = 0;
			}
		}
	}
	argv_free(keys);
	return ret == 0 && failed ? -1 : ret;
}

/* mail_addr_result - one table value into addresses; "@dom" keeps the user. */
static void
mail_addr_result(const char *value, const char *local, const char *ext,
    ARGV *result)
{
	ARGV	*list = argv_alloc(4);
	VSTRING	*buf = vstring_alloc(64), *tmp;
	const char *at;
	size_t	 i;

	addr_parse_list(value, list);
	for (i = 0; i < list->argc; i++) {
		addr_unquote(buf, list->argv[i]);
		if (vstring_str(buf)[0] == '@') {
			vstring_sprintf(buf, "%s%s", local, list->argv[i]);
		} else if (ext && *ext && (at = strrchr(vstring_str(buf), '@')) != NULL) {
			tmp = vstring_alloc(64);
			vstring_sprintf(tmp, "%.*s%s%s", (int)(at - vstring_str(buf)),
			    vstring_str(buf), ext, at);
			vstring_strcpy(buf, vstring_str(tmp));
			vstring_free(tmp);
		} else if (ext && *ext) {
			vstring_strcat(buf, ext);
		}
		argv_add(result, vstring_str(buf));
	}
	argv_free(list);
	vstring_free(buf);
}

int
mail_addr_map(MAIL_ADDR_MAPS *maps, const char *addr, int flags,
    const char *delims, int propagate, ARGV *result)
{
	VSTRING	*val = vstring_alloc(64), *key = vstring_alloc(64);
	VSTRING	*local, *user, *ext;
	const char *at = strrchr(addr, '@'), *use_ext = NULL;
	int	 r;

	if ((r = mail_addr_find(maps, addr, flags, delims, val, key)) > 0) {
		local = vstring_alloc(64);
		user = vstring_alloc(64);
		ext = vstring_alloc(16);
		vstring_memcpy(local, addr, at ? (size_t)(at - addr) : strlen(addr));
		if (propagate && mail_addr_split_ext(vstring_str(local), delims,
		    user, ext) && strcasecmp(vstring_str(key), addr) != 0 &&
		    strcasecmp(vstring_str(key), vstring_str(local)) != 0)
			use_ext = vstring_str(local) + vstring_len(user);
		mail_addr_result(vstring_str(val), vstring_str(local), use_ext,
		    result);
		vstring_free(local);
		vstring_free(user);
		vstring_free(ext);
	}
	vstring_free(val);
	vstring_free(key);
	return r;
}
