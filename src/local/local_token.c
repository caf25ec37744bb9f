/*
 * NAME
 *	local_token - the targets of an alias, .forward or :include: file
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_expand(LOCAL_STATE *state, const char *text,
 *		    int lines);
 *	int	local_is_mydest(const char *domain);
 * DESCRIPTION
 *	local_expand() splits text into targets at commas (and at line
 *	ends; with lines set, as in .forward and :include: files, a line
 *	starting with "#" is a comment) outside double quotes, and
 *	delivers each in turn:
 *	    |command	  local_command.c, when allow_mail_to_commands has
 *			  the kind of the source (alias, forward, include)
 *	    /file/name	  local_file.c (a Maildir when it ends in "/"), when
 *			  allow_mail_to_files allows it
 *	    :include:/file  the targets listed in that file, with its
 *			  owner's privileges (when not root)
 *	    \user	  the user's mailbox, without aliases or .forward
 *	    address	  a domain in mydestination (or none: myorigin) is
 *			  delivered here, recursively (local_recipient.c);
 *			  any other is forwarded (local_forward.c)
 *	Targets are counted: more than LOCAL_MAX_TARGETS for one recipient
 *	end the expansion (5.4.6).
 *
 *	local_is_mydest() says whether a domain is this host's
 *	(resolve_class_local(3): mydestination, or an address literal of
 *	this host); a failed table lookup defers the target (4.3.0).
 * DIAGNOSTICS
 *	The worst result of the targets: LOCAL_OK, LOCAL_SOFT, LOCAL_HARD.
 *	local_is_mydest() returns 1, 0, or -1 when a table lookup failed.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "local.h"
#include "msg.h"
#include "mymalloc.h"

static const char *local_src_names[] = { "", "alias", "forward", "include" };

int
local_is_mydest(const char *domain)
{
	return *domain == 0 ? 1 : resolve_class_local(local_cf.classes, domain);
}

static int
local_worst(int a, int b)
{
	if (a == LOCAL_SOFT || b == LOCAL_SOFT)
		return LOCAL_SOFT;
	return a > b ? a : b;
}

/* local_allowed - allow_mail_to_commands / allow_mail_to_files */

static int
local_allowed(LOCAL_STATE *state, ARGV *allow)
{
	if (state->source == LOCAL_SRC_NONE)
		return 1;
	return local_list_has(allow, local_src_names[state->source]);
}

/* local_include - :include:/file */

static int
local_include(LOCAL_STATE *state, const char *path)
{
	LOCAL_STATE child = *state;
	VSTRING	*text;
	struct stat st;
	char	 buf[8192];
	ssize_t	 n;
	int	 fd, rc;

	if (*path != '/')
		return local_fail(state, "5.3.5", ":include: needs an absolute "
		    "path name: %s", path);
	if (local_dup(state, "include", path))
		return LOCAL_OK;
	if ((fd = local_priv_open(&state->priv, path, O_NONBLOCK | O_CLOEXEC)) < 0)
		return local_fail(state, errno == ENOENT ? "5.3.5" : "4.3.0",
		    "cannot open include file %s: %m", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (geteuid() == 0
	    && state->priv.uid != 0 && st.st_uid != state->priv.uid
	    && !(st.st_mode & S_IROTH))) {
		close(fd);
		return local_fail(state, "5.3.5", "include file %s: not a regular "
		    "file readable by the alias or .forward owner", path);
	}
	if (st.st_mode & S_IWOTH) {
		/* Anyone could name files and commands run as its owner. */
		close(fd);
		return local_fail(state, "5.3.5", "include file %s: writable by "
		    "everyone", path);
	}
	text = vstring_alloc(1024);
	while ((n = read(fd, buf, sizeof(buf))) > 0
	    && vstring_len(text) + (size_t)n <= LOCAL_MAX_INCLUDE)
		vstring_memcat(text, buf, (size_t)n);
	close(fd);
	if (n != 0) {
		vstring_free(text);
		return local_fail(state, "4.3.0", "include file %s: read error or "
		    "too large", path);
	}
	if (geteuid() == 0 && st.st_uid != 0) {
		child.priv.uid = st.st_uid;
		child.priv.gid = st.st_gid;
	}
	child.source = LOCAL_SRC_INCLUDE;
	rc = local_expand(&child, vstring_str(text), 1);
	vstring_free(text);
	return rc;
}

/* local_address - an address target */

static int
local_address(LOCAL_STATE *state, const char *addr)
{
	VSTRING	*full = vstring_alloc(100);
	const char *at = strrchr(addr, '@');
	int	 rc;

	if (strlen(addr) > 256 || addr[strcspn(addr, " \t\r\n\"<>()[];")] != 0
	    || addr == at) {
		vstring_free(full);
		return local_fail(state, "5.1.3", "bad address syntax: %s", addr);
	}
	if (at == NULL)
		vstring_sprintf(full, "%s@%s", addr, local_cf.myorigin);
	else
		vstring_strcpy(full, addr);
	at = strrchr(vstring_str(full), '@');
	if ((rc = local_is_mydest(at + 1)) < 0)
		rc = local_fail(state, "4.3.0", "mydestination lookup failure "
		    "for %s", vstring_str(full));
	else if (rc > 0)
		rc = local_deliver(state, vstring_str(full));
	else
		rc = local_forward_add(state, vstring_str(full));
	vstring_free(full);
	return rc;
}

/* local_backslash - a backslash target: the mailbox, logged as user@myorigin */

static int
local_backslash(LOCAL_STATE *state, const char *user)
{
	LOCAL_STATE child = *state;
	VSTRING	*addr = vstring_alloc(64);
	int	 rc;

	if (*user == 0 || strchr(user, '@') || strchr(user, '/')) {
		vstring_free(addr);
		return local_fail(state, "5.1.3", "bad address syntax: \\%s", user);
	}
	vstring_sprintf(addr, "%s@%s", user, local_cf.myorigin);
	child.addr = vstring_str(vstring_lower(addr));
	child.extension = NULL;
	rc = local_user(&child, user, 1);
	vstring_free(addr);
	return rc;
}

/* local_token - one target */

static int
local_token(LOCAL_STATE *state, char *tok)
{
	if (++state->res->ntargets > LOCAL_MAX_TARGETS)
		return local_fail(state, "5.4.6", "too many targets for one "
		    "recipient (possible forwarding loop)");
	if (*tok == '|') {
		if (!local_allowed(state, local_cf.cmd_allow))
			return local_fail(state, "5.7.1", "mail to command is "
			    "restricted");
		if (local_dup(state, "command", tok + 1))
			return LOCAL_OK;
		return local_command(state, tok + 1, "command");
	}
	if (strncasecmp(tok, ":include:", 9) == 0) {
		for (tok += 9; isspace((unsigned char)*tok); tok++)
			;
		return local_include(state, tok);
	}
	if (*tok == '/') {
		if (!local_allowed(state, local_cf.file_allow))
			return local_fail(state, "5.7.1", "mail to file is "
			    "restricted");
		if (local_dup(state, "file", tok))
			return LOCAL_OK;
		return local_file(state, tok);
	}
	if (*tok == '\\')
		return local_backslash(state, tok + 1);
	return local_address(state, tok);
}

/* local_next - the next target in *cp, unquoted, in tok */

static int
local_next(const char **cpp, VSTRING *tok, int lines)
{
	const char *cp = *cpp;
	int	 quoted = 0;

	vstring_reset(tok);
	for (;;) {
		while (*cp == ',' || isspace((unsigned char)*cp))
			cp++;
		if (lines && *cp == '#') {
			cp += strcspn(cp, "\n");
			continue;
		}
		break;
	}
	for (; *cp && (quoted || (*cp != ',' && *cp != '\n')); cp++) {
		if (*cp == '"')
			quoted = !quoted;
		else if (*cp == '\\' && quoted && cp[1])
			vstring_addch(tok, *++cp);
		else
			vstring_addch(tok, *cp);
	}
	*cpp = cp;
	vstring_trim(tok);
	return vstring_len(tok) > 0;
}

int
local_expand(LOCAL_STATE *state, const char *text, int lines)
{
	VSTRING	*tok = vstring_alloc(100);
	const char *cp = text;
	int	 rc = LOCAL_OK;

	while (local_next(&cp, tok, lines))
		rc = local_worst(rc, local_token(state, vstring_str(tok)));
	vstring_free(tok);
	return rc;
}
