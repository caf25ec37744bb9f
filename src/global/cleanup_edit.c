/*
 * NAME
 *	cleanup_edit - changes a hook makes to a message in the cleanup stage
 * SYNOPSIS
 *	#include <cleanup.h>
 *
 *	size_t	cleanup_hdr_count(const CLEANUP *c);
 *	const char *cleanup_hdr_get(const CLEANUP *c, size_t index);
 *	void	cleanup_hdr_insert(CLEANUP *c, size_t index, const char *field);
 *	void	cleanup_hdr_add(CLEANUP *c, const char *field);
 *	void	cleanup_hdr_change(CLEANUP *c, size_t index, const char *field);
 *	void	cleanup_hdr_delete(CLEANUP *c, size_t index);
 *	size_t	cleanup_rcpt_count(const CLEANUP *c);
 *	const char *cleanup_rcpt_addr(const CLEANUP *c, size_t index);
 *	int	cleanup_rcpt_add(CLEANUP *c, const char *addr);
 *	int	cleanup_rcpt_delete(CLEANUP *c, const char *addr);
 *	void	cleanup_body_replace(CLEANUP *c, const char *buf, size_t len);
 *	void	cleanup_hold(CLEANUP *c, const char *reason);
 *	void	cleanup_discard(CLEANUP *c, const char *reason);
 *	void	cleanup_reject(CLEANUP *c, const char *reply);
 *	void	cleanup_defer(CLEANUP *c, const char *reply);
 * DESCRIPTION
 *	The editing half of the hook interface (see cleanup(3), HOOKS).
 *	Header fields are whole logical fields without final newline,
 *	folded lines joined by "\n"; index 0 is the first field (our own
 *	Received: for SMTP mail). An index past the end appends (insert)
 *	or is ignored (change, delete). During the header callbacks the
 *	header is still being collected: cleanup_hdr_add() then appends
 *	after the fields seen so far. After the header was written, an
 *	edit marks it dirty and cleanup_close() writes the content again.
 *
 *	cleanup_rcpt_add() passes the address (external form) through the
 *	recipient rewriting and virtual aliasing of cleanup_rcpt(), with
 *	NOTIFY unspecified; cleanup_rcpt_delete() removes every recipient
 *	with that address and returns how many.
 *
 *	cleanup_body_replace() replaces the whole body (LF-terminated
 *	lines); the header stays. cleanup_hold() sends the message to the
 *	hold queue, cleanup_discard() accepts and drops it (logged),
 *	cleanup_reject() and cleanup_defer() refuse it with the whole SMTP
 *	reply ("550 5.7.1 text", "451 4.7.1 text"), which cleanup_close()
 *	returns. The first reject/defer wins.
 * DIAGNOSTICS
 *	A malformed reply (not "4XX" or "5XX") panics: it is the hook's bug.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cleanup_priv.h"
#include "msg.h"
#include "mymalloc.h"

size_t
cleanup_hdr_count(const CLEANUP *c)
{
	return c->hdrs->fields->argc;
}

const char *
cleanup_hdr_get(const CLEANUP *c, size_t index)
{
	return index < c->hdrs->fields->argc ? c->hdrs->fields->argv[index] : NULL;
}

static void
cleanup_hdr_edited(CLEANUP *c)
{
	if (!c->in_header)
		c->hdr_dirty = 1;
}

void
cleanup_hdr_insert(CLEANUP *c, size_t index, const char *field)
{
	ARGV	*f = c->hdrs->fields;
	size_t	 i;

	argv_add(f, field);
	if (index < f->argc - 1) {
		for (i = f->argc - 1; i > index; i--) {
			char	*tmp = f->argv[i];

			f->argv[i] = f->argv[i - 1];
			f->argv[i - 1] = tmp;
		}
	}
	c->hdrs->size += strlen(field);
	cleanup_hdr_edited(c);
}

void
cleanup_hdr_add(CLEANUP *c, const char *field)
{
	cleanup_hdr_insert(c, c->hdrs->fields->argc, field);
}

void
cleanup_hdr_change(CLEANUP *c, size_t index, const char *field)
{
	ARGV	*f = c->hdrs->fields;

	if (index >= f->argc)
		return;
	myfree(f->argv[index]);
	f->argv[index] = mystrdup(field);
	cleanup_hdr_edited(c);
}

void
cleanup_hdr_delete(CLEANUP *c, size_t index)
{
	ARGV	*f = c->hdrs->fields;
	size_t	 i;

	if (index >= f->argc)
		return;
	myfree(f->argv[index]);
	for (i = index; i + 1 < f->argc; i++)
		f->argv[i] = f->argv[i + 1];
	f->argc--;
	f->argv[f->argc] = NULL;
	cleanup_hdr_edited(c);
}

size_t
cleanup_rcpt_count(const CLEANUP *c)
{
	return c->rcpts->argc;
}

const char *
cleanup_rcpt_addr(const CLEANUP *c, size_t index)
{
	return index < c->rcpts->argc ? c->rcpts->argv[index] : NULL;
}

int
cleanup_rcpt_add(CLEANUP *c, const char *addr)
{
	return cleanup_rcpt(c, addr, NULL, 0);
}

int
cleanup_rcpt_delete(CLEANUP *c, const char *addr)
{
	ARGV	*r = c->rcpts;
	HTABLE_INFO **list, **ht;
	const char *nl;
	size_t	 i, j;
	int	 n = qf_del_rcpt(c->qf, addr);

	for (i = j = 0; i < r->argc; i++) {
		if (strcasecmp(r->argv[i], addr) == 0)
			myfree(r->argv[i]);
		else
			r->argv[j++] = r->argv[i];
	}
	r->argc = j;
	r->argv[j] = NULL;
	/* Forget it in the duplicate filter, so that it may be added again. */
	list = htable_list(c->dups);
	for (ht = list; *ht; ht++)
		if ((nl = strrchr((*ht)->key, '\n')) != NULL &&
		    strcasecmp(nl + 1, addr) == 0)
			htable_delete(c->dups, (*ht)->key, NULL);
	myfree(list);
	return n;
}

void
cleanup_body_replace(CLEANUP *c, const char *buf, size_t len)
{
	if (c->body == NULL)
		c->body = vstring_alloc(len + 1);
	vstring_memcpy(c->body, buf, len);
	if (len > 0 && buf[len - 1] != '\n')
		vstring_addch(c->body, '\n');
	c->body_dirty = 1;
}

static void
cleanup_set_why(CLEANUP *c, const char *reason)
{
	myfree(c->why);
	c->why = reason ? mystrdup(reason) : NULL;
}

void
cleanup_hold(CLEANUP *c, const char *reason)
{
	c->hold = 1;
	cleanup_set_why(c, reason);
}

void
cleanup_discard(CLEANUP *c, const char *reason)
{
	c->discard = 1;
	cleanup_set_why(c, reason);
}

static void
cleanup_set_reply(CLEANUP *c, const char *reply, int first)
{
	if (reply[0] != first || !isdigit((unsigned char)reply[1]) ||
	    !isdigit((unsigned char)reply[2]))
		msg_panic("cleanup: bad reply \"%s\"", reply);
	if (c->errs & CLEANUP_ERR_REPLY)
		return;
	c->reply = vstring_alloc(100);
	vstring_strcpy(c->reply, reply);
	c->errs |= CLEANUP_ERR_REPLY;
}

void
cleanup_reject(CLEANUP *c, const char *reply)
{
	cleanup_set_reply(c, reply, '5');
}

void
cleanup_defer(CLEANUP *c, const char *reply)
{
	cleanup_set_reply(c, reply, '4');
}
