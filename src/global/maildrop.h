/*
 * maildrop.h - the file format sendmail(1) writes into maildrop/ and
 * pickup(8) reads (see postern-queue(5)), and writing one such file. See
 * maildrop.c and maildrop_file.c.
 */
#ifndef MAILDROP_H
#define MAILDROP_H

#include "argv.h"
#include "vstream.h"
#include "vstring.h"

#define MAILDROP_MAGIC		"POSTERN-MAILDROP 1"
#define MAILDROP_LINE_MAX	4096		/* one envelope line */
#define MAILDROP_RCPT_MAX	50000		/* recipients per file */

typedef struct MAILDROP_ENV {
	char	*sender;		/* null: not given; "" null sender */
	char	*fullname;		/* -F, or null */
	ARGV	*rcpt;
	int	 notify;		/* QF_NOTIFY_* for every recipient */
	int	 ret;			/* QF_RET_* */
	char	*envid;			/* DSN ENVID or null */
} MAILDROP_ENV;

MAILDROP_ENV *maildrop_env_alloc(void);
void	 maildrop_env_free(MAILDROP_ENV *);
int	 maildrop_env_write(VSTREAM *, const MAILDROP_ENV *);
int	 maildrop_env_read(VSTREAM *, MAILDROP_ENV *, VSTRING *);
int	 maildrop_value_ok(const char *);

/* Writing one maildrop file: open, envelope, content, commit. */
typedef struct MAILDROP_FILE MAILDROP_FILE;

MAILDROP_FILE *maildrop_file_open(VSTRING *);
VSTREAM	*maildrop_file_stream(MAILDROP_FILE *);
int	 maildrop_file_commit(MAILDROP_FILE *, VSTRING *);
void	 maildrop_file_abort(MAILDROP_FILE *);

#endif
