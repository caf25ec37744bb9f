/*
 * NAME
 *	deliver_rcpt - the recipients of a delivery request
 * SYNOPSIS
 *	#include <deliver_rcpt.h>
 *
 *	int	deliver_rcpt_parse(const ATTR *request, DELIVER_RCPT **out);
 *
 *	void	deliver_rcpt_add(ATTR *request, long index, const char *addr,
 *		    const char *orcpt, const char *notify);
 *
 *	int	deliver_req_parse(const ATTR *request, DELIVER_REQ *out);
 * DESCRIPTION
 *	deliver_req_parse() reads the per-message attributes every
 *	transport needs: it checks that the request is a "deliver"
 *	request naming a queue directory (no slash, no leading dot) and a
 *	valid queue id, with a sender (possibly empty). nexthop and the
 *	optional attributes are null when absent; arrival and active are 0.
 *	content_offset and content_size say where the content is in the
 *	queue file (offset and size; -1 when absent, as from an earlier
 *	queue manager), content_8bit whether a content byte has the high
 *	bit set (encoding 8bit or 7bit; QF_8BIT_UNKNOWN when absent). An
 *	offset or size that is not a decimal number, or an unknown
 *	encoding, makes the request malformed.
 *
 *	deliver_rcpt_parse() collects the recipient groups of a delivery
 *	request (HACKING.md, "Delivery request"): each group starts with
 *	rcpt_index and may carry rcpt, orcpt and notify. Attributes before
 *	the first rcpt_index belong to the request and are skipped. *out
 *	is an array (free it with myfree()) whose strings point into the
 *	request, valid as long as the request is.
 *
 *	deliver_rcpt_add() appends one recipient group, the one writer of
 *	the format (the queue manager's request, an agent passing a
 *	recipient on): index, address, the DSN original recipient ("" for
 *	none, a null orcpt) and the NOTIFY bits as decimal text ("0" for a
 *	null notify).
 * DIAGNOSTICS
 *	deliver_req_parse() returns 0, or -1 for a malformed request.
 *	deliver_rcpt_parse() returns the number of recipients, or -1 when the request has none, a
 *	rcpt_index that is not a non-negative decimal number, or a group
 *	without an address (*out is then null).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "deliver_rcpt.h"
#include "deliver_request.h"
#include "mymalloc.h"
#include "qfile.h"

/* deliver_rcpt_index - a non-negative decimal number, or -1 */
static long
deliver_rcpt_index(const char *text)
{
	char	*end;
	long	 n;

	if (*text < '0' || *text > '9')
		return -1;
	n = strtol(text, &end, 10);
	return *end == 0 && n >= 0 ? n : -1;
}

int
deliver_rcpt_parse(const ATTR *a, DELIVER_RCPT **out)
{
	DELIVER_RCPT *rcpt, *r = NULL;
	size_t	 i, n = 0;

	for (i = 0; i < a->count; i++)
		if (strcmp(a->name[i], DR_RCPT_INDEX) == 0)
			n++;
	*out = NULL;
	if (n == 0)
		return -1;
	rcpt = mycalloc(n, sizeof(*rcpt));
	for (n = 0, i = 0; i < a->count; i++) {
		if (strcmp(a->name[i], DR_RCPT_INDEX) == 0) {
			r = rcpt + n++;
			if ((r->index = deliver_rcpt_index(a->value[i])) < 0)
				goto fail;
		} else if (r == NULL) {
			continue;
		} else if (strcmp(a->name[i], DR_RCPT) == 0) {
			r->addr = a->value[i];
		} else if (strcmp(a->name[i], DR_ORCPT) == 0) {
			r->orcpt = a->value[i];
		} else if (strcmp(a->name[i], DR_NOTIFY) == 0) {
			r->notify = a->value[i];
		}
	}
	for (i = 0; i < n; i++)
		if (rcpt[i].addr == NULL || *rcpt[i].addr == 0)
			goto fail;
	*out = rcpt;
	return (int)n;
fail:
	myfree(rcpt);
	return -1;
}

/* deliver_req_size - an optional non-negative number; -2 when malformed */
static long long
deliver_req_size(const ATTR *attr, const char *name)
{
	const char *v = attr_get(attr, name);
	char	*end;
	long long n;

	if (v == NULL)
		return -1;
	if (*v < '0' || *v > '9')
		return -2;
	errno = 0;
	n = strtoll(v, &end, 10);
	return *end == 0 && errno == 0 ? n : -2;
}

int
deliver_req_parse(const ATTR *attr, DELIVER_REQ *req)
{
	const char *v;

	memset(req, 0, sizeof(*req));
	if ((v = attr_get(attr, DR_REQUEST)) == NULL
	    || strcmp(v, DR_REQ_DELIVER) != 0)
		return -1;
	req->queue_name = attr_get(attr, DR_QUEUE_NAME);
	req->queue_id = attr_get(attr, DR_QUEUE_ID);
	req->sender = attr_get(attr, DR_SENDER);
	if (req->queue_name == NULL || req->queue_id == NULL
	    || req->sender == NULL || strchr(req->queue_name, '/')
	    || *req->queue_name == '.' || !qf_valid_id(req->queue_id))
		return -1;
	req->nexthop = attr_get(attr, DR_NEXTHOP);
	req->envid = attr_get(attr, DR_DSN_ENVID);
	req->ret = attr_get(attr, DR_DSN_RET);
	req->client_name = attr_get(attr, DR_CLIENT_NAME);
	req->client_addr = attr_get(attr, DR_CLIENT_ADDR);
	req->helo = attr_get(attr, DR_HELO);
	req->protocol = attr_get(attr, DR_PROTOCOL);
	req->arrival = (v = attr_get(attr, DR_ARRIVAL)) ? strtod(v, NULL) : 0;
	req->active = (v = attr_get(attr, DR_ACTIVE)) ? strtod(v, NULL) : 0;
	req->content_offset = deliver_req_size(attr, DR_OFFSET);
	req->content_size = deliver_req_size(attr, DR_SIZE);
	if (req->content_offset < -1 || req->content_size < -1)
		return -1;
	if ((v = attr_get(attr, DR_ENCODING)) == NULL)
		req->content_8bit = QF_8BIT_UNKNOWN;
	else if (strcmp(v, DR_ENC_8BIT) == 0)
		req->content_8bit = QF_8BIT_YES;
	else if (strcmp(v, DR_ENC_7BIT) == 0)
		req->content_8bit = QF_8BIT_NO;
	else
		return -1;
	return 0;
}

void
deliver_rcpt_add(ATTR *a, long index, const char *addr, const char *orcpt,
    const char *notify)
{
	attr_add_long(a, DR_RCPT_INDEX, index);
	attr_add(a, DR_RCPT, addr);
	attr_add(a, DR_ORCPT, orcpt ? orcpt : "");
	attr_add(a, DR_NOTIFY, notify ? notify : "0");
}
