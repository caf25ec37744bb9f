/*
 * mail_conf.h - main.cf: reading, the parameter table, typed access.
 * See mail_conf.c (parsing, expansion) and mail_params.c (the table).
 */
#ifndef MAIL_CONF_H
#define MAIL_CONF_H

#include "argv.h"

/* Parameter types in the table. */
#define CONF_STR	1	/* string, $name expanded */
#define CONF_INT	2	/* integer */
#define CONF_BOOL	3	/* yes/no */
#define CONF_TIME	4	/* time with s/m/h/d/w unit; default unit in the table */
#define CONF_SIZE	5	/* bytes, integer */
#define CONF_LIST	6	/* white space and/or comma separated list */
#define CONF_TABLES	7	/* list of type:name lookup tables */

typedef struct CONF_PARAM {
	const char *name;
	int	 type;
	const char *defval;	/* Postfix's default, unexpanded ("$myhostname") */
	long long min, max;	/* bounds for numeric types (0, 0 = none) */
	char	 unit;		/* default unit for CONF_TIME ('s', 'm', ...) */
} CONF_PARAM;

extern const CONF_PARAM conf_param_table[];	/* null-name terminated */

/* Loading. Fatal on syntax errors and invalid values (file, line, name). */
void	 mail_conf_read(const char *config_dir);	/* null: MAIL_CONFIG or built-in */
const char *mail_conf_dir(void);
void	 mail_conf_override(const char *, const char *);	/* -o name=value */
void	 mail_conf_check(void);		/* validate every value, fatal on error */

/* Typed access to known parameters; panic on a name not in the table. */
const char *conf_str(const char *);
long long conf_int(const char *);
int	 conf_bool(const char *);
long long conf_time(const char *);	/* seconds */
long long conf_size(const char *);
ARGV	*conf_list(const char *);	/* caller frees */

/* Any name, including per-transport ones; null when unset and unknown. */
const char *conf_lookup(const char *);
const CONF_PARAM *conf_param_find(const char *);

/* Expansion of "$name" / "${name}" / "${name?text}" / "${name:text}". */
char	*conf_expand(const char *);	/* caller frees */


/*
 * Additions (engineer C). Compatible extensions of the interface above.
 */
#include "vstring.h"

/* mail_conf_read_flags(): MAIL_CONF_OPTIONAL: a missing main.cf is empty. */
#define MAIL_CONF_OPTIONAL	(1 << 0)
#define MAIL_CONF_NOFILE	(1 << 1)	/* defaults only (postern config -d) */
void	 mail_conf_read_flags(const char *config_dir, int flags);
const char *mail_conf_path(void);	/* main.cf in effect */
int	 mail_conf_override_arg(const char *);	/* "name=value"; -1 if no '=' */
void	 mail_conf_unknown_warnings(int);	/* on by default */
int	 mail_conf_validate(VSTRING *errors);	/* count; one line per error */

/* Introspection for postern config: unexpanded value in effect and origin. */
#define CONF_SRC_NONE		0	/* unset, no default */
#define CONF_SRC_DEFAULT	1	/* table default */
#define CONF_SRC_FILE		2	/* main.cf */
#define CONF_SRC_OVERRIDE	3	/* -o */
const char *conf_raw(const char *, int *src);
const char *conf_default(const char *);	/* table or computed default; null if none */
ARGV	*mail_conf_file_names(void);	/* names set in main.cf, sorted */
int	 conf_valid_name(const char *);	/* [A-Za-z0-9_-]+ */
int	 conf_expand_to(VSTRING *, const char *, VSTRING *why);	/* -1: loop, depth */
int	 conf_expand_param(VSTRING *, const char *name, VSTRING *why);
int	 conf_parse_int(const char *, long long *);	/* strict decimal */
int	 conf_check_value(const CONF_PARAM *, const char *, VSTRING *why);
int	 conf_parse_time(const char *, char unit, long long *, VSTRING *why);
int	 conf_parse_bool(const char *, int *);
ARGV	*conf_split_list(const char *);	/* brace-aware list split */

/* mail_conf_file.c: "/file/name" values (Postfix's match lists, myorigin). */
int	 conf_list_expand(const char *, ARGV *, VSTRING *why);
int	 conf_file_first(const char *, VSTRING *, VSTRING *why);
int	 conf_file_param(const char *);

/*
 * Pointers returned by conf_str() and conf_lookup() stay valid for the life
 * of the process (also across mail_conf_read() and overrides); expansion
 * is cached per name. conf_str() returns forward_path, mailbox_command,
 * luser_relay, command_execution_directory and smtpd_reject_footer
 * unexpanded: their $names are the using program's variables.
 */

#endif
