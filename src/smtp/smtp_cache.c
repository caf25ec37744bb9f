/*
 * NAME
 *	smtp_cache - which sessions are kept for the next request
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void smtp_cache_conf(void);
 *	int smtp_cache_keep(const SMTP_SESS *sess);
 * DESCRIPTION
 *	Postern has no connection cache process (Postfix's scache(8)): each
 *	smtp process keeps its last session, idle, for the next request that
 *	the queue manager sends it, and reuses it when that request is for
 *	the same nexthop (smtp_connect(3)); an idle session is closed after
 *	smtp_connection_cache_time_limit seconds (smtp.c). Postfix's
 *	parameters map onto that model as follows.
 *
 *	smtp_connection_cache_on_demand (yes): keep every session. It is
 *	then reused only when more mail for its destination comes within the
 *	time limit, which is what "on demand" means in Postfix; the queue
 *	manager sends no separate backlog signal. With "no", sessions are
 *	kept only for the destinations of smtp_connection_cache_destinations.
 *
 *	smtp_connection_cache_destinations: a match_list(3) of nexthops
 *	(domain, host, host:port, [host], [address]:port as the request
 *	names them; compared case-insensitively; "/file/name" and
 *	"type:table" patterns, "!" negation) whose sessions are always kept.
 *
 *	smtp_connection_reuse_count_limit: when above zero, a session that
 *	has served that many requests after its first is closed instead of
 *	kept (a session carries at most limit + 1 requests).
 *
 *	smtp_connection_cache_time_limit = 0 keeps nothing, as before.
 *	smtp_cache_conf() reads the parameters (lmtp_ names in LMTP mode);
 *	smtp_cache_keep() says whether a sane session is kept.
 * DIAGNOSTICS
 *	Fatal: an unreadable smtp_connection_cache_destinations file. A
 *	table lookup that fails there is logged and the session closed.
 */
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "mail_conf.h"
#include "match_list.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtp.h"

static MATCH_LIST *smtp_cache_dests;	/* null: the list is empty */
static int smtp_cache_demand;		/* smtp_connection_cache_on_demand */
static long smtp_cache_reuse_limit;	/* smtp_connection_reuse_count_limit */

/* smtp_cache_compile - a nexthop pattern is the word itself */
static void *
smtp_cache_compile(const char *word, VSTRING *why)
{
	return mystrdup(word);
}

/* smtp_cache_literal - the nexthop, case-insensitively */
static int
smtp_cache_literal(const void *pat, const void *dest, int flags)
{
	return strcasecmp(pat, dest) == 0;
}

/* smtp_cache_table - a table has the nexthop: 1, 0, -1 */
static int
smtp_cache_table(DICT *dict, const void *dest, int flags)
{
	return *(const char *)dest ? dict_find(dict, dest, NULL) : 0;
}

static const MATCH_OPS smtp_cache_ops = {
	NULL, smtp_cache_compile, smtp_cache_literal, smtp_cache_table, NULL,
};

void
smtp_cache_conf(void)
{
	const char *name = smtp_pname("smtp_connection_cache_destinations");
	VSTRING	*why = vstring_alloc(100);

	if (*conf_str(name) != 0
	    && (smtp_cache_dests = match_list_init(&smtp_cache_ops,
	    conf_str(name), 0, why)) == NULL)
		msg_fatal("%s: %s", name, vstring_str(why));
	vstring_free(why);
	smtp_cache_demand = conf_bool(smtp_pname("smtp_connection_cache_on_demand"));
	smtp_cache_reuse_limit = conf_int(smtp_pname("smtp_connection_reuse_count_limit"));
	if (smtp_cache_reuse_limit < 0)
		msg_fatal("bad %s value: %ld (0 or more)",
		    smtp_pname("smtp_connection_reuse_count_limit"), smtp_cache_reuse_limit);
}

int
smtp_cache_keep(const SMTP_SESS *sess)
{
	int	 r;

	if (smtp_cf.cache_time <= 0 || sess->broken)
		return 0;
	if (smtp_cache_reuse_limit > 0 && sess->reuse_count >= smtp_cache_reuse_limit)
		return 0;
	if (smtp_cache_demand)
		return 1;
	if (smtp_cache_dests == NULL)
		return 0;
	if ((r = match_list_match(smtp_cache_dests, sess->dest)) < 0)
		msg_warn("%s: %s lookup error: not keeping the session", sess->dest,
		    smtp_pname("smtp_connection_cache_destinations"));
	return r > 0;
}
