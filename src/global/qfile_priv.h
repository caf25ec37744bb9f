/*
 * qfile_priv.h - on-disk layout shared by qfile.c (writing), qfile_open.c
 * (reading, updating) and qfile_dir.c (ids, directories). Not for other
 * modules: use qfile.h. The format is documented in postern-queue(5).
 */
#ifndef QFILE_PRIV_H
#define QFILE_PRIV_H

#include <stdint.h>
#include <string.h>

#include "argv.h"
#include "vstring.h"

#define QF_MAGIC	"PSTQ"
#define QF_VERSION	1
#define QF_HDR_SIZE	128		/* fixed header at offset 0 */
#define QF_SLOT_SIZE	512		/* per-recipient state: one sector */
#define QF_MAX_RCPT	100000		/* recipients per file */
#define QF_MAX_ENV	(64 * 1024 * 1024)	/* envelope bytes */
#define QF_MAX_STR	65536		/* one envelope string */
#define QF_RESERVED	".reserved"	/* in tmp/: ids of earlier files reserved */
#define QF_OPEN_READ	8192		/* qf_open() reads this much at once */
#define QF_OPEN_MAX	(256 * 1024)	/* or up to the content end, if hinted */

/* Header field offsets (all integers little-endian). */
#define QF_H_MAGIC	0
#define QF_H_VERSION	4
#define QF_H_MSGID	8
#define QF_H_NRCPT	12
#define QF_H_ENV_OFF	16
#define QF_H_ENV_LEN	24
#define QF_H_SLOT_OFF	32
#define QF_H_DATA_OFF	40
#define QF_H_DATA_LEN	48
#define QF_H_ARRIVAL	56
#define QF_H_USEC	64
#define QF_H_FAMILY	68
#define QF_H_RET	72
#define QF_H_SUM	76		/* FNV-1a of bytes 0..75 + envelope */
#define QF_H_FLAGS	80		/* QF_HF_*, rewritten in place; 0: unknown */
#define QF_H_FSUM	84		/* FNV-1a of the 4 flag bytes */

/*
 * Header flags: what the writer learned, for the readers. A file of an
 * earlier build has zeros here, which fail the flag check: everything is
 * then unknown and readers do as before (scan, stat). qf_logs_begin()
 * clears QF_HF_NOLOGS in place before the first per-message log is made.
 */
#define QF_HF_SCANNED	(1 << 0)	/* QF_HF_8BIT is valid */
#define QF_HF_8BIT	(1 << 1)	/* a content byte has the high bit set */
#define QF_HF_NOLOGS	(1 << 2)	/* no bounce, defer or trace log exists */

/* Slot field offsets. */
#define QF_S_INDEX	0
#define QF_S_STATUS	4
#define QF_S_FLAGS	5
#define QF_S_ERRLEN	6
#define QF_S_ATTEMPTS	8
#define QF_S_LAST	16
#define QF_S_NEXT	24
#define QF_S_ERR	32
#define QF_S_SUM	(QF_SLOT_SIZE - 4)

/* Envelope record types; lower case types are optional (skipped if unknown). */
#define QF_REC_SENDER	'S'
#define QF_REC_ORIGIN	'O'
#define QF_REC_ENVID	'E'
#define QF_REC_ATTR	'A'		/* name NUL value */
#define QF_REC_RCPT	'R'		/* envid8 notify4 alen4 addr has_orcpt1 orcpt */
#define QF_REC_HLEN	5		/* type byte + u32 length */

/* Client address family codes stored in the header. */
#define QF_FAM_UNKNOWN	0
#define QF_FAM_LOCAL	1
#define QF_FAM_INET	4
#define QF_FAM_INET6	6

/* qf_attr_index - where attribute name is in names (values is parallel); -1. */
static inline ssize_t
qf_attr_index(const ARGV *names, const char *name)
{
	size_t	 i;

	for (i = 0; names != NULL && i < names->argc; i++)
		if (strcmp(names->argv[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

static inline void
qf_put32(unsigned char *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static inline uint32_t
qf_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void
qf_put64(unsigned char *p, uint64_t v)
{
	qf_put32(p, (uint32_t)v);
	qf_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t
qf_get64(const unsigned char *p)
{
	return (uint64_t)qf_get32(p) | (uint64_t)qf_get32(p + 4) << 32;
}

static inline uint32_t
qf_fnv(uint32_t h, const void *ptr, size_t len)
{
	const unsigned char *p = ptr;

	while (len-- > 0) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

#define QF_FNV_INIT	2166136261u

/* qf_flags_encode - the flag word and its check at QF_H_FLAGS (8 bytes). */
static inline void
qf_flags_encode(unsigned char *p, uint32_t flags)
{
	qf_put32(p, flags);
	qf_put32(p + 4, qf_fnv(QF_FNV_INIT, p, 4));
}

/* qf_flags_decode - the flag word, or 0 (all unknown) when it fails its check. */
static inline uint32_t
qf_flags_decode(const unsigned char *p)
{
	if (qf_get32(p + 4) != qf_fnv(QF_FNV_INIT, p, 4))
		return 0;
	return qf_get32(p);
}

/* Shared helpers (qfile_dir.c, qfile_open.c). */
uint32_t qf_random32(void);
int	 qf_fam_encode(int);
int	 qf_fam_decode(int);
void	 qf_slot_encode(unsigned char *, uint32_t, int, int, int, int64_t, int64_t, const char *);
void	 qf_why(VSTRING *, const char *, ...) PRINTFLIKE(2, 3);

#endif
