/*
 * NAME
 *	local_var - $name expansion in forward_path and luser_relay
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_var_expand(LOCAL_STATE *state, VSTRING *out,
 *		    const char *pattern, const char *filter);
 * DESCRIPTION
 *	local_var_expand() replaces out with pattern, expanding $name,
 *	${name}, ${name?text} (text when name is not empty) and
 *	${name:text} (text when it is empty) with the attributes of the
 *	recipient as Postfix's local(8) names them: user, home, shell,
 *	local (the local part), extension, domain, recipient (the full
 *	address), recipient_delimiter. "$$" is a "$". An unknown name
 *	expands to nothing.
 *
 *	With filter not null, every character substituted from an
 *	attribute must be in filter (forward_expansion_filter): the user
 *	controls the extension, so a value with other characters (a "/"
 *	or "..") must not make a path.
 * DIAGNOSTICS
 *	0, or -1 when a value has a character outside filter or the
 *	pattern is malformed.
 */
#include <string.h>

#include "local.h"

/* local_var_value - an attribute's value, "" when unknown or unset */

static const char *
local_var_value(LOCAL_STATE *state, const char *name, size_t len,
    VSTRING *tmp)
{
	const char *at = strrchr(state->addr, '@');

#define IS(s) (len == strlen(s) && strncmp(name, s, len) == 0)
	if (IS("user"))
		return state->user ? state->user : "";
	if (IS("home"))
		return state->home ? state->home : "";
	if (IS("shell"))
		return state->shell ? state->shell : "";
	if (IS("extension"))
		return state->extension ? state->extension : "";
	if (IS("recipient"))
		return state->addr;
	if (IS("recipient_delimiter"))
		return local_cf.delimiter;
	if (IS("domain"))
		return at ? at + 1 : "";
	if (IS("local")) {
		vstring_memcpy(tmp, state->addr, at ? (size_t)(at - state->addr)
		    : strlen(state->addr));
		return vstring_str(tmp);
	}
#undef IS
	return "";
}

static int
local_var_add(VSTRING *out, const char *value, const char *filter)
{
	if (filter && (value[strspn(value, filter)] != 0 || strstr(value, "..")))
		return -1;
	vstring_strcat(out, value);
	return 0;
}

int
local_var_expand(LOCAL_STATE *state, VSTRING *out, const char *pattern,
    const char *filter)
{
	VSTRING	*tmp = vstring_alloc(64);
	const char *cp = pattern, *name, *value, *end;
	size_t	 len;
	int	 ret = 0, op;

	vstring_reset(out);
	while (ret == 0 && *cp) {
		if (*cp != '$' || cp[1] == '$') {
			vstring_addch(out, *cp);
			cp += *cp == '$' ? 2 : 1;
			continue;
		}
		cp++;
		op = 0;
		if (*cp == '{') {
			name = ++cp;
			len = strcspn(cp, "}?:");
			if ((op = cp[len]) == 0) {
				ret = -1;
				break;
			}
			cp += len + 1;
		} else {
			name = cp;
			for (len = 0; cp[len] == '_' || (cp[len] >= 'a' && cp[len] <= 'z')
			    || (cp[len] >= 'A' && cp[len] <= 'Z')
			    || (cp[len] >= '0' && cp[len] <= '9'); len++)
				;
			cp += len;
		}
		value = local_var_value(state, name, len, tmp);
		if (op == '?' || op == ':') {
			if ((end = strchr(cp, '}')) == NULL) {
				ret = -1;
				break;
			}
			if ((op == '?') == (*value != 0))
				vstring_memcat(out, cp, (size_t)(end - cp));
			cp = end + 1;
		} else {
			ret = local_var_add(out, value, filter);
		}
	}
	vstring_free(tmp);
	return ret;
}
