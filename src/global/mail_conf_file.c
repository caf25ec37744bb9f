/*
 * NAME
 *	mail_conf_file - "/file/name" values of main.cf parameters
 * SYNOPSIS
 *	#include <mail_conf.h>
 *
 *	int	conf_list_expand(const char *value, ARGV *out, VSTRING *why);
 *	int	conf_file_first(const char *path, VSTRING *out, VSTRING *why);
 *	int	conf_file_param(const char *name);
 * DESCRIPTION
 *	Postfix lets a list parameter name a file instead of (or beside)
 *	its elements: "mydestination = /etc/postfix/local-domains", and
 *	"myorigin = /etc/mailname" (Debian's own setting). This module is
 *	the one place such values are read: conf_list() uses it for the
 *	parameters conf_file_param() names, and domain_list(3),
 *	addr_match(3) and user_list(3) for every match list, whatever
 *	parameter or table it comes from.
 *
 *	conf_list_expand() splits a list (conf_split_list()) and appends
 *	its elements to out, each "/file/name" element replaced by the
 *	elements in that file: separated by white space or commas, "#" to
 *	the end of the line is a comment, and an element of the file that
 *	is itself "/file/name" is read in turn (at most CONF_FILE_DEPTH
 *	deep). A "!" before "/file/name" applies to each of the file's
 *	elements ("!!" cancels out). Other elements are appended as they
 *	are, "!" included.
 *
 *	conf_file_first() stores in out the first element of a file (a
 *	single-valued parameter such as myorigin).
 *
 *	conf_file_param() says whether a parameter's Postfix form accepts
 *	"/file/name": myorigin and the match-list parameters (mydestination,
 *	mynetworks, relay_domains, permit_mx_backup_networks,
 *	debug_peer_list, fast_flush_domains, the authorized_*_users lists,
 *	the client lists of smtpd, virtual_*_domains ...).
 *
 *	Cost: a file is read each time a list is built (at process start
 *	or on a configuration reload), never per message.
 * DIAGNOSTICS
 *	conf_list_expand() and conf_file_first() return 0, or -1 with the
 *	reason in why: a file that cannot be opened or read, a file larger
 *	than CONF_FILE_MAX bytes or with a line longer than CONF_FILE_LINE,
 *	files nested too deep, an empty file (conf_file_first()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "argv.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstring.h"

#define CONF_FILE_MAX	(4 * 1024 * 1024)	/* bytes per file */
#define CONF_FILE_LINE	8192		/* bytes per line */
#define CONF_FILE_DEPTH	8		/* files naming files */

static int conf_list_expand_depth(const char *, ARGV *, VSTRING *, int, int);

/* conf_file_add - one element, with "!" when negated */

static void
conf_file_add(ARGV *out, const char *word, int negate)
{
	if (!negate) {
		argv_add(out, word);
	} else {
		VSTRING	*buf = vstring_alloc(64);

		vstring_sprintf(buf, "!%s", word);
		argv_add(out, vstring_str(buf));
		vstring_free(buf);
	}
}

/* conf_file_read - the elements of one file */

static int
conf_file_read(const char *path, int negate, ARGV *out, VSTRING *why, int depth)
{
	char	 line[CONF_FILE_LINE];
	FILE	*fp;
	size_t	 total = 0, n;
	char	*hash;
	int	 ret = 0;

	if (depth >= CONF_FILE_DEPTH) {
		vstring_sprintf(why, "%s: files nested deeper than %d levels",
		    path, CONF_FILE_DEPTH);
		return -1;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		vstring_sprintf(why, "open %s: %s", path, strerror(errno));
		return -1;
	}
	while (ret == 0 && fgets(line, sizeof(line), fp) != NULL) {
		n = strlen(line);
		if ((total += n) > CONF_FILE_MAX) {
			vstring_sprintf(why, "%s: file larger than %d bytes", path,
			    CONF_FILE_MAX);
			ret = -1;
		} else if (n == sizeof(line) - 1 && line[n - 1] != '\n' && !feof(fp)) {
			vstring_sprintf(why, "%s: line longer than %d bytes", path,
			    CONF_FILE_LINE - 2);
			ret = -1;
		} else {
			if ((hash = strchr(line, '#')) != NULL)
				*hash = 0;
			ret = conf_list_expand_depth(line, out, why, negate, depth + 1);
		}
	}
	if (ret == 0 && ferror(fp)) {
		vstring_sprintf(why, "read %s: %s", path, strerror(errno));
		ret = -1;
	}
	(void)fclose(fp);
	return ret;
}

/* conf_list_expand_depth - split, replacing files, under an outer "!" */

static int
conf_list_expand_depth(const char *value, ARGV *out, VSTRING *why, int outer,
    int depth)
{
	ARGV	*words = conf_split_list(value);
	const char *w;
	size_t	 i;
	int	 negate, ret = 0;

	for (i = 0; i < words->argc && ret == 0; i++) {
		w = words->argv[i];
		for (negate = outer; *w == '!'; w++)
			negate = !negate;
		if (*w == '/')
			ret = conf_file_read(w, negate, out, why, depth);
		else if (*w)
			conf_file_add(out, w, negate);
	}
	argv_free(words);
	return ret;
}

int
conf_list_expand(const char *value, ARGV *out, VSTRING *why)
{
	VSTRING	*tmp = why ? NULL : vstring_alloc(64);
	int	 ret;

	ret = conf_list_expand_depth(value ? value : "", out, why ? why : tmp, 0, 0);
	if (tmp)
		vstring_free(tmp);
	return ret;
}

int
conf_file_first(const char *path, VSTRING *out, VSTRING *why)
{
	ARGV	*words = argv_alloc(4);
	int	 ret;

	if ((ret = conf_file_read(path, 0, words, why, 0)) == 0) {
		if (words->argc == 0) {
			vstring_sprintf(why, "%s: no value in the file", path);
			ret = -1;
		} else {
			vstring_strcpy(out, words->argv[0]);
		}
	}
	argv_free(words);
	return ret;
}

int
conf_file_param(const char *name)
{
	/* params-compat: names only (these are not reads) */
	static const char *names[] = {
		"myorigin", "mydestination", "mynetworks", "relay_domains",
		"permit_mx_backup_networks", "debug_peer_list",
		"fast_flush_domains", "authorized_submit_users",
		"authorized_mailq_users", "authorized_flush_users",
		"smtpd_client_event_limit_exceptions",
		"smtpd_authorized_xforward_hosts",
		"smtpd_authorized_xclient_hosts",
		"smtpd_authorized_verp_clients", "authorized_verp_clients",
		"smtpd_forbid_bare_newline_exclusions",
		"smtpd_sasl_exceptions_networks", "smtp_sasl_mechanism_filter",
		"virtual_alias_domains", "virtual_mailbox_domains",
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}
