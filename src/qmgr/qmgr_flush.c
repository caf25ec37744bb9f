/*
 * NAME
 *	qmgr_flush - per-domain index of deferred mail (ETRN, sendmail -qR)
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_flush_add(const char *id, const QF_MSG *qf);
 *	void	qmgr_flush_forget(const char *id);
 *	ARGV	*qmgr_flush_take(const char *domain);
 *	long long qmgr_flush_envelopes(void);
 * DESCRIPTION
 *	ETRN asks for the mail queued for one domain. Reading every deferred
 *	queue file to find it costs O(queue) per request, which a client can
 *	repeat at will; Postfix keeps a per-destination list for this (its
 *	flush service). The qmgr keeps that list in memory: it knows the
 *	recipients of every message it defers, so the index costs nothing
 *	to maintain while mail flows.
 *
 *	qmgr_flush_add() records a message that is being deferred, under
 *	the domain of each of its pending recipients. qmgr_flush_forget()
 *	drops a message that leaves deferred/ (taken in for delivery, or
 *	removed). qmgr_flush_take() returns the ids recorded for the domain
 *	and its subdomains and forgets them (they are about to be taken in;
 *	a message deferred again is recorded again).
 *
 *	Messages deferred before this qmgr started are not in memory: the
 *	first qmgr_flush_take() after start-up reads every deferred queue
 *	file once to build the index; later requests use only the index.
 *	qmgr_flush_lost() says that ids taken could not all be taken in
 *	(the active limit): the index is then rebuilt at the next take.
 *
 *	qmgr_flush_envelopes() returns the number of pending recipients
 *	(envelopes) in deferred/, from the same index (built first when
 *	incomplete): smtpctl show stats and monitor count them as current
 *	envelopes, as OpenSMTPD's scheduler does, at no per-request cost.
 * DIAGNOSTICS
 *	Warnings for queue files that cannot be read while building.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "argv.h"
#include "htable.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"
#include "qmgr_inside.h"
#include "vstring.h"

static void
flush_init(void)
{
	if (qmgr.flush.by_domain == NULL) {
		qmgr.flush.by_domain = htable_create(64);
		qmgr.flush.by_id = htable_create(256);
		qmgr.flush.nrcpt = htable_create(256);
	}
}

static void
flush_free_argv(void *ptr)
{
	argv_free(ptr);
}

void
qmgr_flush_forget(const char *id)
{
	ARGV	*domains;
	HTABLE	*ids;
	size_t	 i;

	if (qmgr.flush.by_id == NULL
	    || (domains = htable_find(qmgr.flush.by_id, id)) == NULL)
		return;
	qmgr.flush.env_total -= (intptr_t)htable_find(qmgr.flush.nrcpt, id);
	htable_delete(qmgr.flush.nrcpt, id, NULL);
	for (i = 0; i < domains->argc; i++) {
		if ((ids = htable_find(qmgr.flush.by_domain,
		    domains->argv[i])) == NULL)
			continue;
		htable_delete(ids, id, NULL);
		if (ids->used == 0) {
			htable_delete(qmgr.flush.by_domain, domains->argv[i], NULL);
			htable_free(ids, NULL);
		}
	}
	htable_delete(qmgr.flush.by_id, id, flush_free_argv);
}

void
qmgr_flush_add(const char *id, const QF_MSG *qf)
{
	VSTRING	*domain = vstring_alloc(64);
	ARGV	*domains = argv_alloc(2);
	HTABLE	*ids;
	size_t	 j;
	int	 i, pending = 0;

	flush_init();
	qmgr_flush_forget(id);
	for (i = 0; i < qf->nrcpt; i++) {
		if (qf->rcpt[i].status == QF_RCPT_DONE)
			continue;
		pending++;
		vstring_lower(vstring_strcpy(domain,
		    qmgr_route_domain(qf->rcpt[i].address)));
		for (j = 0; j < domains->argc; j++)
			if (strcmp(domains->argv[j], vstring_str(domain)) == 0)
				break;
		if (j < domains->argc)
			continue;
		argv_add(domains, vstring_str(domain));
		if ((ids = htable_find(qmgr.flush.by_domain,
		    vstring_str(domain))) == NULL) {
			ids = htable_create(16);
			htable_enter(qmgr.flush.by_domain, vstring_str(domain),
			    ids);
		}
		if (htable_locate(ids, id) == NULL)
			htable_enter(ids, id, NULL);
	}
	htable_enter(qmgr.flush.by_id, id, domains);
	htable_enter(qmgr.flush.nrcpt, id, (void *)(intptr_t)pending);
	qmgr.flush.env_total += pending;
	vstring_free(domain);
}

/* flush_build - index what was deferred before this qmgr started. */
static void
flush_build(void)
{
	VSTRING	*why = vstring_alloc(64);
	ARGV	*list;
	QF_MSG	*qf;
	size_t	 i;

	flush_init();
	qmgr.flush.complete = 1;
	if ((list = qf_list(qmgr.queue_dir, QF_DEFERRED)) == NULL) {
		msg_warn("cannot list %s/%s: %m", qmgr.queue_dir, QF_DEFERRED);
		vstring_free(why);
		return;
	}
	for (i = 0; i < list->argc; i++) {
		if (htable_locate(qmgr.flush.by_id, list->argv[i]) != NULL)
			continue;
		if ((qf = qf_open(qmgr.queue_dir, QF_DEFERRED, list->argv[i],
		    QF_OPEN_RDONLY, why)) == NULL)
			continue;	/* gone meanwhile, or the scan moves it to corrupt/ */
		qmgr_flush_add(list->argv[i], qf);
		qf_close(qf);
	}
	argv_free(list);
	vstring_free(why);
}

long long
qmgr_flush_envelopes(void)
{
	if (!qmgr.flush.complete)
		flush_build();
	return qmgr.flush.env_total;
}

/* qmgr_flush_lost - ids were taken but not used: rebuild at the next take. */
void
qmgr_flush_lost(void)
{
	qmgr.flush.complete = 0;
}

/* flush_domain_match - is d the domain or one of its subdomains? */
static int
flush_domain_match(const char *d, const char *domain)
{
	size_t	 dl = strlen(d), l = strlen(domain);

	return strcasecmp(d, domain) == 0 || (dl > l && d[dl - l - 1] == '.'
	    && strcasecmp(d + dl - l, domain) == 0);
}

ARGV *
qmgr_flush_take(const char *domain)
{
	HTABLE_INFO **dlist, **d, **ilist, **ip;
	ARGV	*out = argv_alloc(8);
	size_t	 i;

	if (!qmgr.flush.complete)
		flush_build();
	dlist = htable_list(qmgr.flush.by_domain);
	for (d = dlist; *d != NULL; d++) {
		if (!flush_domain_match((*d)->key, domain))
			continue;
		ilist = htable_list((*d)->value);
		for (ip = ilist; *ip != NULL; ip++)
			argv_add(out, (*ip)->key);
		myfree(ilist);
	}
	myfree(dlist);
	for (i = 0; i < out->argc; i++)
		qmgr_flush_forget(out->argv[i]);
	return out;
}
