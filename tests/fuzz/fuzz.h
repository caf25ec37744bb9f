/*
 * fuzz.h - what the libFuzzer harnesses in tests/fuzz share. See
 * fuzz_util.c (helpers) and fuzz_replay.c (the corpus replay driver).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "qfile.h"
#include "vstream.h"
#include "vstring.h"

/* The libFuzzer entry points; each harness defines both. */
int	 LLVMFuzzerInitialize(int *, char ***);
int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * A msg_fatal() inside FUZZ_TRY() ... FUZZ_END() jumps back to FUZZ_TRY,
 * which then yields 0 (as after any setjmp): the input ends, the process
 * goes on. Use it as the whole controlling expression of an if:
 *	FUZZ_ARM(); if (setjmp(fuzz_jmp) == 0) { ... } FUZZ_END();
 */
extern jmp_buf fuzz_jmp;
extern volatile int fuzz_armed;
extern volatile int fuzz_fatals;	/* fatal errors caught so far */
#define FUZZ_ARM()	(fuzz_armed = 1)
#define FUZZ_END()	(fuzz_armed = 0)

void	 fuzz_init(const char *);	/* logging off, fatal hook, temp dir */
const char *fuzz_tmpdir(void);		/* private directory, removed at exit */
char	*fuzz_strdup(const uint8_t *, size_t);	/* null-terminated copy */
int	 fuzz_write_file(const char *, const void *, size_t);

/*
 * fuzz_stream(data, len, out): a read/write stream with no network:
 * reads return data (in pieces of at most chunk bytes when chunk > 0),
 * then end of file; writes are appended to out (null: dropped). At most
 * four such streams may be open at once. fuzz_stream_attach() does the
 * same to a stream the code under test made itself.
 */
VSTREAM	*fuzz_stream(const uint8_t *, size_t, size_t chunk, VSTRING *out);
int	 fuzz_devnull(void);			/* a descriptor for such streams */
void	 fuzz_stream_attach(VSTREAM *, const uint8_t *, size_t, size_t, VSTRING *);

/* main.cf in the temp dir: queue_directory there, then text; read. */
void	 fuzz_main_cf_load(const char *);

/*
 * fuzz_peer_listen(path): a UNIX-domain listening socket at path (the
 * private directory); fuzz_peer_start(fd, data, len): a thread that plays
 * a server on it: for each connection, until fuzz_peer_stop(), it sends
 * what is left of data, closes its sending side and reads (and drops)
 * what the client sends until the client closes. The client under test
 * runs in the calling thread; fuzz_peer_stop() after it closed its side.
 */
int	 fuzz_peer_listen(const char *);
void	 fuzz_peer_start(int, const uint8_t *, size_t);
void	 fuzz_peer_stop(void);

/*
 * fuzz_queue_file(queue_dir, content, len, flags): a message in incoming/
 * (sender@example.net to user@example.com, content as given), opened
 * read-only; aborts when it cannot be made.
 */
#define FUZZ_QF_DSN	(1 << 0)	/* ENVID envid+1, RET=HDRS */
#define FUZZ_QF_UTF8	(1 << 1)	/* SMTPUTF8 */
QF_MSG	*fuzz_queue_file(const char *, const void *, size_t, int);

/* A queue subdirectory emptied (the count of files); SMTP replies checked. */
int	 fuzz_queue_empty(const char *, const char *);
void	 fuzz_smtp_replies(const char *, size_t);

#endif
