/*
 * NAME
 *	sendmail_aliases - newaliases and sendmail -bi
 * SYNOPSIS
 *	#include "sendmail_aliases.h"
 *
 *	int	sendmail_newaliases(int argc, char **argv);
 * DESCRIPTION
 *	sendmail_newaliases() rebuilds the alias databases, as Postfix's
 *	newaliases does: every hash: or btree: table listed in
 *	alias_database is built from its text file (name: value lines, see
 *	aliases(5)) with dict_build(), atomically: the local delivery
 *	agent sees the old database or the new one, never a mix. Keys are
 *	lower-cased. Other table types need no building and are skipped
 *	(with a note when verbose). main.cf must have been read.
 *
 *	With arguments (argv[1]...), those type:name tables are built
 *	instead of alias_database.
 * DIAGNOSTICS
 *	Problems go to stderr and the log. The result is a sysexits(3)
 *	code: 0 when every table was built, EX_CANTCREAT when one could not
 *	be, EX_USAGE for a table given without its type.
 */
#include <string.h>
#include <sysexits.h>

#include "argv.h"
#include "dict.h"
#include "dict_build.h"
#include "mail_conf.h"
#include "msg.h"
#include "sendmail_aliases.h"

/* sendmail_alias_build - one type:name table */

static int
sendmail_alias_build(const char *spec)
{
	VSTRING	*why = vstring_alloc(100);
	const char *colon = strchr(spec, ':');
	int	 st = EX_OK;

	if (colon == NULL || colon == spec) {
		msg_error("%s: alias database must be type:name", spec);
		st = EX_USAGE;
	} else if (strncmp(spec, "hash:", 5) != 0 && strncmp(spec, "btree:", 6) != 0) {
		if (msg_verbose)
			msg_info("%s: nothing to build for this table type", spec);
	} else if (dict_build(spec, NULL, DICT_FLAG_FOLD_KEY, DICT_BUILD_ALIAS,
	    why) < 0) {
		msg_error("cannot build %s: %s", spec, vstring_str(why));
		st = EX_CANTCREAT;
	}
	vstring_free(why);
	return st;
}

int
sendmail_newaliases(int argc, char **argv)
{
	ARGV	*maps;
	size_t	 i;
	int	 st = EX_OK, r;

	if (argc > 1) {
		maps = argv_alloc(argc);
		for (i = 1; i < (size_t)argc; i++)
			argv_add(maps, argv[i]);
	} else {
		maps = conf_split_list(conf_str("alias_database"));
	}
	for (i = 0; i < maps->argc; i++)
		if ((r = sendmail_alias_build(maps->argv[i])) != EX_OK && st == EX_OK)
			st = r;
	argv_free(maps);
	return st;
}
