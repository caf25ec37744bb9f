/*
 * NAME
 *	fuzz_qf_writer - an in-memory queue file writer for the smtpd harness
 * SYNOPSIS
 *	Linked into fuzz_smtpd in place of src/global/qfile.c.
 * DESCRIPTION
 *	The same interface as the queue file writer (qfile.h: qf_create()
 *	to qf_commit() and qf_abort()), keeping the envelope and the
 *	content in memory: smtpd's real code (smtpd_queue.c included) runs
 *	with no file system writes. Because the real writer is not linked,
 *	the caller contract is checked instead: no setter after content
 *	for the fixed fields, no use after commit or abort, a content
 *	size that adds up, at least one recipient at commit.
 * DIAGNOSTICS
 *	A broken contract aborts (a bug found by the fuzzer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mymalloc.h"
#include "qfile.h"
#include "vstring.h"

struct QF_WRITER {
	char	 id[QF_ID_LEN + 1];
	char	*sender;
	int	 nrcpt;
	off_t	 size;
	VSTRING	*content;
	int	 live;
};

static unsigned fuzz_qf_seq;
int	 fuzz_qf_open;			/* writers not yet committed or aborted */

static void
fuzz_qf_check(QF_WRITER *w)
{
	if (w == NULL || !w->live)
		abort();
}

QF_WRITER *
qf_create(const char *queue_dir, VSTRING *why)
{
	QF_WRITER *w = mycalloc(1, sizeof(*w));

	snprintf(w->id, sizeof(w->id), "%08X", 0x0BADF00Du + fuzz_qf_seq++);
	w->content = vstring_alloc(1024);
	w->live = 1;
	fuzz_qf_open++;
	return w;
}

const char *
qf_writer_id(QF_WRITER *w)
{
	fuzz_qf_check(w);
	return w->id;
}

void
qf_set_sender(QF_WRITER *w, const char *sender)
{
	fuzz_qf_check(w);
	if (sender == NULL)
		abort();
	myfree(w->sender);
	w->sender = mystrdup(sender);
}

void
qf_set_arrival(QF_WRITER *w, time_t when)
{
	fuzz_qf_check(w);
}

void
qf_set_arrival_usec(QF_WRITER *w, long usec)
{
	fuzz_qf_check(w);
	if (usec < 0 || usec >= 1000000)
		abort();
}

void
qf_set_family(QF_WRITER *w, int af)
{
	fuzz_qf_check(w);
}

void
qf_set_dsn(QF_WRITER *w, const char *envid, int ret)
{
	fuzz_qf_check(w);
	if (ret < QF_RET_NONE || ret > QF_RET_HDRS)
		abort();
}

void
qf_set_origin(QF_WRITER *w, const char *origin)
{
	fuzz_qf_check(w);
}

void
qf_set_attr(QF_WRITER *w, const char *name, const char *value)
{
	fuzz_qf_check(w);
	if (name == NULL || *name == 0 || value == NULL)
		abort();
}

uint64_t
qf_add_rcpt(QF_WRITER *w, const char *addr, const char *orcpt, int notify)
{
	fuzz_qf_check(w);
	if (addr == NULL || *addr == 0)
		abort();
	return (uint64_t)++w->nrcpt;
}

int
qf_write_content(QF_WRITER *w, const char *buf, size_t len)
{
	fuzz_qf_check(w);
	w->size += (off_t)len;
	/* Keep the start only: enough to look at, bounded in memory. */
	if (vstring_len(w->content) < 65536)
		vstring_memcat(w->content, buf, len);
	return 0;
}

off_t
qf_content_size(QF_WRITER *w)
{
	fuzz_qf_check(w);
	return w->size;
}

static void
fuzz_qf_free(QF_WRITER *w)
{
	w->live = 0;
	fuzz_qf_open--;
	myfree(w->sender);
	vstring_free(w->content);
	myfree(w);
}

int
qf_commit(QF_WRITER *w, const char *queue, VSTRING *why)
{
	fuzz_qf_check(w);
	if (w->sender == NULL || w->nrcpt == 0 || queue == NULL)
		abort();
	fuzz_qf_free(w);
	return 0;
}

void
qf_abort(QF_WRITER *w)
{
	fuzz_qf_check(w);
	fuzz_qf_free(w);
}
