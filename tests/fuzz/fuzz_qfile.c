/*
 * NAME
 *	fuzz_qfile - fuzz harness: reading queue files (qfile_open.c)
 * DESCRIPTION
 *	The input is a queue file (postern-queue(5)), as a crash, a full
 *	disk or a hostile local user with access to the queue might leave
 *	it. It is written to incoming/ID in a private queue directory,
 *	where ID is the message-id its header names, and opened as the
 *	queue manager and the transports open it; the envelope,
 *	attributes, recipients and all of the content are read.
 *
 *	So that the fuzzer gets past the integrity checks, an input of even
 *	length is mended before it is written: the header and slot
 *	checksums are recomputed where the header's offsets allow it. Odd
 *	lengths are written as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mymalloc.h"
#include "qfile.h"
#include "qfile_priv.h"
#include "fuzz.h"

static VSTRING *why, *path, *file;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_qfile");
	why = vstring_alloc(100);
	path = vstring_alloc(100);
	file = vstring_alloc(4096);
	if (qf_make_dirs(fuzz_tmpdir(), (uid_t)-1, (gid_t)-1, why) < 0) {
		fprintf(stderr, "qf_make_dirs: %s\n", vstring_str(why));
		abort();
	}
	return 0;
}

/* Make the checksums right, where that is possible. */
static void
fuzz_qfile_mend(unsigned char *p, size_t len)
{
	uint64_t env_off, env_len, slot_off;
	uint32_t nrcpt, i;

	if (len < QF_HDR_SIZE)
		return;
	env_off = qf_get64(p + QF_H_ENV_OFF);
	env_len = qf_get64(p + QF_H_ENV_LEN);
	if (env_off <= len && env_len <= len - env_off)
		qf_put32(p + QF_H_SUM, qf_fnv(qf_fnv(QF_FNV_INIT, p, QF_H_SUM),
		    p + env_off, env_len));
	slot_off = qf_get64(p + QF_H_SLOT_OFF);
	nrcpt = qf_get32(p + QF_H_NRCPT);
	for (i = 0; i < nrcpt && slot_off <= len && len - slot_off >=
	    (uint64_t)(i + 1) * QF_SLOT_SIZE; i++) {
		unsigned char *s = p + slot_off + (size_t)i * QF_SLOT_SIZE;

		qf_put32(s + QF_S_SUM, qf_fnv(QF_FNV_INIT, s, QF_S_SUM));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	QF_MSG	*msg;
	char	 buf[4096], id[QF_ID_LEN + 1];
	off_t	 off;
	ssize_t	 n;

	vstring_memcpy(file, data, len);
	if (len % 2 == 0)
		fuzz_qfile_mend((unsigned char *)vstring_str(file), len);
	snprintf(id, sizeof(id), "%08x", len < QF_HDR_SIZE ? 0x0badcafe :
	    qf_get32((unsigned char *)vstring_str(file) + QF_H_MSGID));
	vstring_sprintf(path, "%s/%s/%s", fuzz_tmpdir(), QF_INCOMING, id);
	if (fuzz_write_file(vstring_str(path), vstring_str(file), len) < 0)
		abort();
	msg = qf_open(fuzz_tmpdir(), QF_INCOMING, id, QF_OPEN_RDONLY, why);
	(void)unlink(vstring_str(path));
	if (msg == NULL)
		return 0;
	if (msg->sender == NULL || msg->nrcpt < 0 || msg->content_size < 0)
		abort();
	for (int i = 0; i < msg->nrcpt; i++)
		if (msg->rcpt[i].address == NULL
		    || strlen(msg->rcpt[i].last_error) > QF_ERR_MAX)
			abort();
	(void)qf_attr(msg, "client_name");
	(void)qf_attr(msg, "smtputf8");
	for (off = 0; off < msg->content_size; off += n)
		if ((n = qf_read_content(msg, off, buf, sizeof(buf))) <= 0)
			abort();
	qf_close(msg);
	return 0;
}
