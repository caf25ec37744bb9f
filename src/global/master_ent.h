/*
 * master_ent.h - master.cf entries: parsing and validation. See
 * master_ent.c and master(5).
 */
#ifndef MASTER_ENT_H
#define MASTER_ENT_H

#include "argv.h"
#include "vstring.h"

#define MASTER_ENT_INET		1
#define MASTER_ENT_UNIX		2
#define MASTER_ENT_FIFO		3
#define MASTER_ENT_PASS		4
#define MASTER_ENT_UNIX_DGRAM	5

typedef struct MASTER_ENT {
	char	*service;		/* column 1 as written */
	int	 type;			/* MASTER_ENT_* */
	const char *type_name;		/* "inet", "unix", "fifo", "pass", "unix-dgram" */
	char	*inet_host;		/* inet: host part, null = inet_interfaces */
	char	*inet_port;		/* inet: numeric port */
	int	 private;		/* 1: private/, 0: public/ (inet: 0) */
	int	 unpriv;		/* 1: run as mail_owner */
	int	 chroot;
	int	 wakeup;		/* seconds, 0: none */
	int	 wakeup_if_used;	/* wakeup column ended in '?' */
	int	 maxproc;		/* 0: unlimited */
	int	 maxproc_default;	/* '-': maxproc is default_process_limit */
	char	*command;		/* program name, as written (no path) */
	ARGV	*args;			/* arguments other than -o, braces removed */
	ARGV	*overrides;		/* "name=value" from -o, in order */
	char	*columns[7];		/* columns 1-7 as written, for printing */
	char	*file;
	int	 line;
} MASTER_ENT;

typedef struct MASTER_TABLE {
	MASTER_ENT **ent;
	size_t	 count;
} MASTER_TABLE;

MASTER_ENT *master_ent_parse(const char *, const char *file, int line, VSTRING *why);
void	 master_ent_free(MASTER_ENT *);
MASTER_TABLE *master_ent_load(const char *path, VSTRING *why);
void	 master_ent_table_free(MASTER_TABLE *);
const MASTER_ENT *master_ent_find(const MASTER_TABLE *, const char *service, int type);
char	*master_ent_format(const MASTER_ENT *);	/* one line; caller frees */

/*
 * master_ent_load(null, why) reads mail_conf_dir()/master.cf. All return a
 * null pointer on error with "file, line N: reason" in why. maxproc '-'
 * uses the default_process_limit in effect when parsed.
 */

#endif
