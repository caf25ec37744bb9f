/*
 * NAME
 *	argv - null-terminated string arrays
 * SYNOPSIS
 *	#include <argv.h>
 *
 *	ARGV *argv_alloc(size_t init);
 *	void  argv_free(ARGV *ap);
 *	void  argv_add(ARGV *ap, const char *str);
 *	void  argv_addn(ARGV *ap, const char *str, size_t len);
 *	void  argv_truncate(ARGV *ap, size_t len);
 *	ARGV *argv_split(const char *str, const char *delim);
 *	ARGV *argv_split_append(ARGV *ap, const char *str, const char *delim);
 *	char *argv_join(const ARGV *ap, const char *sep);
 * DESCRIPTION
 *	An ARGV owns copies of its strings and is always null-terminated,
 *	so ap->argv can be handed to execv(). argv_split() breaks a string
 *	at any of the delimiter characters and drops empty fields (as
 *	Postfix list parameters are split on white space and commas).
 *	argv_join() returns a newly allocated string.
 */
#include <string.h>

#include "argv.h"
#include "mymalloc.h"
#include "vstring.h"

ARGV *
argv_alloc(size_t init)
{
	ARGV	*ap = mymalloc(sizeof(*ap));

	ap->size = init < 4 ? 4 : init;
	ap->argv = mycalloc(ap->size + 1, sizeof(char *));
	ap->argc = 0;
	return ap;
}

void
argv_free(ARGV *ap)
{
	size_t	i;

	if (ap == NULL)
		return;
	for (i = 0; i < ap->argc; i++)
		myfree(ap->argv[i]);
	myfree(ap->argv);
	myfree(ap);
}

void
argv_addn(ARGV *ap, const char *str, size_t len)
{
	if (ap->argc >= ap->size) {
		ap->size *= 2;
		ap->argv = myrealloc(ap->argv, (ap->size + 1) * sizeof(char *));
	}
	ap->argv[ap->argc++] = mystrndup(str, len);
	ap->argv[ap->argc] = NULL;
}

void
argv_add(ARGV *ap, const char *str)
{
	argv_addn(ap, str, strlen(str));
}

void
argv_truncate(ARGV *ap, size_t len)
{
	while (ap->argc > len)
		myfree(ap->argv[--ap->argc]);
	ap->argv[ap->argc] = NULL;
}

ARGV *
argv_split_append(ARGV *ap, const char *str, const char *delim)
{
	size_t	n;

	while (*str) {
		str += strspn(str, delim);
		if ((n = strcspn(str, delim)) == 0)
			break;
		argv_addn(ap, str, n);
		str += n;
	}
	return ap;
}

ARGV *
argv_split(const char *str, const char *delim)
{
	return argv_split_append(argv_alloc(4), str, delim);
}

char *
argv_join(const ARGV *ap, const char *sep)
{
	VSTRING	*buf = vstring_alloc(64);
	size_t	i;

	for (i = 0; i < ap->argc; i++) {
		if (i > 0)
			vstring_strcat(buf, sep);
		vstring_strcat(buf, ap->argv[i]);
	}
	return vstring_export(buf);
}
