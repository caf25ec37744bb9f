/*
 * mail_counter.h - counters shared between processes through a small
 * memory-mapped file. See mail_counter.c.
 */
#ifndef MAIL_COUNTER_H
#define MAIL_COUNTER_H

#define MAIL_COUNTER_FILE	"pid/counters"	/* relative to queue_directory */

/* Counter slots. Append only: the file layout is shared by all programs. */
#define MAIL_COUNTER_SMTPD_CONN	0	/* SMTP sessions started */
#define MAIL_COUNTER_SMTPD_DISC	1	/* SMTP sessions ended */
#define MAIL_COUNTER_COUNT	16

int	 mail_counter_attach(const char *);
void	 mail_counter_add(int, long long);
int	 mail_counter_read(const char *, long long *, int);
int	 mail_counter_reset(const char *);

#endif
