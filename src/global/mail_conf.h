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

#endif
