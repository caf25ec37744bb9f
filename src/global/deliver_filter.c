/*
 * NAME
 *	deliver_filter - delivery_status_filter for the transports
 * SYNOPSIS
 *	#include "deliver_filter.h"
 *
 *	int	deliver_filter(const char *param, const char **dsn,
 *		    const char **text);
 * DESCRIPTION
 *	Postfix's delivery status filter: smtp_delivery_status_filter,
 *	lmtp_delivery_status_filter, local_delivery_status_filter and
 *	virtual_delivery_status_filter (each $default_delivery_status_filter
 *	by default) name tables that may replace the enhanced status code
 *	and text of a recipient's result before the transport logs it and
 *	replies to the queue manager, for instance to make a temporary TLS
 *	failure permanent:
 *
 *		/^4\.(\d+\.\d+ TLS is required, but .*)/	5.$1
 *
 *	deliver_filter() looks up "X.Y.Z text" (the status, a space, the
 *	text) in the tables of the main.cf parameter param, in order; the
 *	first value found, "X.Y.Z text" again, replaces *dsn and *text
 *	(until the next call) and 1 is returned. A value that is not a
 *	status and text, or that would turn a success (2.X.X) into a
 *	failure or a failure into a success, is ignored with a warning, as
 *	is a failed lookup: the result stays as it was and 0 is returned.
 *	The tables are opened at the first call (one parameter per
 *	process); an empty parameter costs one test per result.
 * DIAGNOSTICS
 *	Warnings as above. A table that cannot be opened is logged when it
 *	is opened and then fails its lookups (dict(3)): results are kept.
 */
#include <string.h>

#include "argv.h"
#include "deliver_filter.h"
#include "dict.h"
#include "dsn_status.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstring.h"

static struct {
	char	*param;			/* the parameter opened */
	DICT	**dicts;
	int	 ndict;
} df;

/* df_open - the tables of param, once; the count */
static int
df_open(const char *param)
{
	ARGV	*specs;

	if (df.param != NULL && strcmp(df.param, param) == 0)
		return df.ndict;
	for (int i = 0; i < df.ndict; i++)
		dict_lookup_close(df.dicts[i]);
	myfree(df.dicts);
	myfree(df.param);
	df.param = mystrdup(param);
	df.dicts = NULL;
	df.ndict = 0;
	specs = conf_list(param);
	if (specs->argc > 0)
		df.dicts = mycalloc(specs->argc, sizeof(DICT *));
	for (size_t i = 0; i < specs->argc; i++)
		df.dicts[df.ndict++] = dict_lookup_open(specs->argv[i]);
	argv_free(specs);
	return df.ndict;
}

int
deliver_filter(const char *param, const char **dsn, const char **text)
{
	static VSTRING *key, *val;
	static char status[16];
	const char *value, *rest;
	int	 error;

	if (df_open(param) == 0)
		return 0;
	if (key == NULL) {
		key = vstring_alloc(100);
		val = vstring_alloc(100);
	}
	vstring_sprintf(key, "%s %s", *dsn, *text);
	value = dict_get_list(df.dicts, df.ndict, vstring_str(key), &error);
	if (value == NULL) {
		if (error)
			msg_warn("%s: lookup of \"%s\" failed: the result is "
			    "kept", param, vstring_str(key));
		return 0;
	}
	if (!dsn_split(value, status, sizeof(status), &rest) || *rest == 0) {
		msg_warn("%s: \"%s\" is not \"X.Y.Z text\": ignored", param,
		    value);
		return 0;
	}
	if ((dsn_class(status) == 2) != (dsn_class(*dsn) == 2)) {
		msg_warn("%s: \"%s\" would turn %s into %s: ignored", param,
		    value, *dsn, status);
		return 0;
	}
	if (msg_verbose)
		msg_info("%s: \"%s\" becomes \"%s\"", param, vstring_str(key),
		    value);
	vstring_strcpy(val, rest);
	*dsn = status;
	*text = vstring_str(val);
	return 1;
}
