/*
 * NAME
 *	maildrop - local submission file format
 * SYNOPSIS
 *	#include <maildrop.h>
 *
 *	MAILDROP_ENV *maildrop_env_alloc(void);
 *	void	maildrop_env_free(MAILDROP_ENV *env);
 *	int	maildrop_env_write(VSTREAM *fp, const MAILDROP_ENV *env);
 *	int	maildrop_env_read(VSTREAM *fp, MAILDROP_ENV *env, VSTRING *why);
 *	int	maildrop_value_ok(const char *value);
 * DESCRIPTION
 *	A maildrop file is written by an unprivileged user (sendmail) and
 *	read by pickup, which must not trust it. It is text: the line
 *	MAILDROP_MAGIC, then envelope lines "keyword value" (one space,
 *	the value up to the newline):
 *	    sender ADDR     envelope sender; an empty value is the null
 *			    sender; absent: the submitting user
 *	    fullname TEXT   the sender's full name (for From:)
 *	    rcpt ADDR       a recipient (repeated)
 *	    notify N        DSN NOTIFY bits (qfile.h QF_NOTIFY_*), decimal
 *	    ret full|hdrs   DSN RET
 *	    envid TEXT      DSN ENVID
 *	and the line "content", after which the message follows to the end
 *	of the file (LF line endings).
 *
 *	maildrop_env_write() writes the envelope and the "content" line;
 *	the caller then writes the message. maildrop_env_read() reads and
 *	checks them, leaving fp at the first content byte: the magic line,
 *	known keywords only, each at most once except rcpt, at most
 *	MAILDROP_LINE_MAX bytes a line and MAILDROP_RCPT_MAX recipients,
 *	no control characters in values, a "content" line. Addresses are
 *	not checked here (pickup does that).
 *
 *	maildrop_value_ok() says whether a value can be written (no control
 *	characters other than tab, at most MAILDROP_LINE_MAX - 16 bytes).
 * DIAGNOSTICS
 *	maildrop_env_write() returns 0 or -1 (a write error, or a value
 *	that maildrop_value_ok() refuses). maildrop_env_read() returns 0, or
 *	-1 with the reason in why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maildrop.h"
#include "mymalloc.h"
#include "qfile.h"

MAILDROP_ENV *
maildrop_env_alloc(void)
{
	MAILDROP_ENV *env = mycalloc(1, sizeof(*env));

	env->rcpt = argv_alloc(4);
	return env;
}

void
maildrop_env_free(MAILDROP_ENV *env)
{
	myfree(env->sender);
	myfree(env->fullname);
	myfree(env->envid);
	argv_free(env->rcpt);
	myfree(env);
}

int
maildrop_value_ok(const char *value)
{
	const unsigned char *p;

	if (strlen(value) > MAILDROP_LINE_MAX - 16)
		return 0;
	for (p = (const unsigned char *)value; *p; p++)
		if ((*p < 32 && *p != '\t') || *p == 127)
			return 0;
	return 1;
}

static int
maildrop_put(VSTREAM *fp, const char *key, const char *value)
{
	if (!maildrop_value_ok(value))
		return -1;
	return vstream_fprintf(fp, "%s %s\n", key, value) < 0 ? -1 : 0;
}

int
maildrop_env_write(VSTREAM *fp, const MAILDROP_ENV *env)
{
	size_t	 i;
	char	 num[16];

	if (vstream_fprintf(fp, "%s\n", MAILDROP_MAGIC) < 0)
		return -1;
	if (env->sender && maildrop_put(fp, "sender", env->sender) < 0)
		return -1;
	if (env->fullname && maildrop_put(fp, "fullname", env->fullname) < 0)
		return -1;
	if (env->envid && maildrop_put(fp, "envid", env->envid) < 0)
		return -1;
	if (env->ret && maildrop_put(fp, "ret", env->ret == QF_RET_FULL ? "full" : "hdrs") < 0)
		return -1;
	snprintf(num, sizeof(num), "%d", env->notify);
	if (env->notify && maildrop_put(fp, "notify", num) < 0)
		return -1;
	for (i = 0; i < env->rcpt->argc; i++)
		if (maildrop_put(fp, "rcpt", env->rcpt->argv[i]) < 0)
			return -1;
	return vstream_fputs(fp, "content\n") < 0 ? -1 : 0;
}

/* maildrop_once - set a single-valued string field. */
static const char *
maildrop_once(char **field, const char *value)
{
	if (*field != NULL)
		return "duplicate envelope line";
	*field = mystrdup(value);
	return NULL;
}

/* maildrop_field - one "keyword value" line. */
static const char *
maildrop_field(MAILDROP_ENV *env, const char *key, const char *value, int *seen)
{
	char	*end;
	long	 n;

	if (!maildrop_value_ok(value))
		return "control character in envelope value";
	if (strcmp(key, "sender") == 0)
		return maildrop_once(&env->sender, value);
	if (strcmp(key, "fullname") == 0)
		return maildrop_once(&env->fullname, value);
	if (strcmp(key, "envid") == 0)
		return maildrop_once(&env->envid, value);
	if (strcmp(key, "rcpt") == 0) {
		if (env->rcpt->argc >= MAILDROP_RCPT_MAX)
			return "too many recipients";
		argv_add(env->rcpt, value);
		return NULL;
	}
	if (strcmp(key, "ret") == 0) {
		if ((*seen & 1) || (strcmp(value, "full") && strcmp(value, "hdrs")))
			return "bad ret line";
		*seen |= 1;
		env->ret = strcmp(value, "full") == 0 ? QF_RET_FULL : QF_RET_HDRS;
		return NULL;
	}
	if (strcmp(key, "notify") == 0) {
		n = strtol(value, &end, 10);
		if ((*seen & 2) || *value == 0 || *end || n < 0 || n > 15)
			return "bad notify line";
		*seen |= 2;
		env->notify = (int)n;
		return NULL;
	}
	return "unknown envelope line";
}

int
maildrop_env_read(VSTREAM *fp, MAILDROP_ENV *env, VSTRING *why)
{
	VSTRING	*line = vstring_alloc(100);
	const char *err = NULL;
	char	*sp;
	int	 first = 1, seen = 0, ret = -1;

	for (;;) {
		if (vstream_get_line(fp, line, MAILDROP_LINE_MAX, 0) != VSTREAM_LINE_OK) {
			err = "truncated or over-long envelope line";
			break;
		}
		if (first) {
			first = 0;
			if (strcmp(vstring_str(line), MAILDROP_MAGIC) != 0) {
				err = "not a maildrop file";
				break;
			}
			continue;
		}
		if (strcmp(vstring_str(line), "content") == 0) {
			ret = 0;
			break;
		}
		if ((sp = strchr(vstring_str(line), ' ')) == NULL) {
			err = "malformed envelope line";
			break;
		}
		*sp = 0;
		if ((err = maildrop_field(env, vstring_str(line), sp + 1, &seen)) != NULL)
			break;
	}
	if (err && why)
		vstring_strcpy(why, err);
	vstring_free(line);
	return ret;
}
