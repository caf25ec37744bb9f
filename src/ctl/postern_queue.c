/*
 * NAME
 *	postern_queue - Postfix-shaped queue listings for scripts (postern queue)
 * SYNOPSIS
 *	int postern_queue_main(int argc, char **argv);
 *	const char *postern_json(VSTRING *out, const char *text);
 *	int postern_stdout_status(int status);
 *
 *	postern queue [-p]
 *	postern queue -j
 *	postern queue -s [-r] [-t minutes] [-b buckets] [queue ...]
 * DESCRIPTION
 *	Monitoring plugins and scripts parse Postfix's "postqueue -p" and
 *	"postqueue -j" (check_mailq, munin's postfix_mailqueue, PostQF,
 *	jq one-liners) and read qshape(1)'s age histogram. postern queue
 *	prints the same layouts, byte for byte, from Postern's queue
 *	files; smtpctl(8) keeps its own "show queue" format beside them.
 *
 *	-p (the default) is postqueue -p: a "-Queue ID-  --Size-- ..."
 *	heading, one entry per message (queue id with "*" for active/ and
 *	"!" for hold/, content size, arrival time as asctime(3) gives it,
 *	sender, MAILER-DAEMON for the null sender), the reason a recipient
 *	is delayed (its last error without the DSN code) in parentheses right-aligned to column 78 when it
 *	differs from the previous one, each pending recipient on its own
 *	line, an empty line between messages, and "-- N Kbytes in N
 *	Requests." (or "Mail queue is empty").
 *
 *	-j is postqueue -j: one JSON object per message and line, keys
 *	queue_name, queue_id, arrival_time, message_size, forced_expire,
 *	sender and recipients (address and, when known, delay_reason).
 *
 *	Messages are listed from incoming/, active/, deferred/ and hold/ in
 *	that order, by queue id (qenv_walk_dirs(3), the walk of smtpctl and
 *	the qmgr); only recipients not yet done are shown.
 *
 *	-s prints a qshape-style table: for each recipient domain the
 *	number of pending recipients by age since arrival, in buckets of -t minutes (default
 *	5) doubling -b times (default 10), the first column T the total
 *	and a TOTAL line first, domains by descending total. Queues are
 *	named as arguments (default incoming and active, as qshape).
 *	With -r the sender's domain is counted instead (one per message).
 *
 *	postern_json() puts text in out as the body of a JSON string (no
 *	quotes), escaped as postqueue -j escapes it, and returns out's text.
 *
 *	postern_stdout_status() is how a postern subcommand that lists
 *	something ends: it flushes stdout and returns status, or 1 after
 *	the warning "write error on standard output" when what was printed
 *	could not all be written (a full disk, a closed pipe).
 *
 *	The listings read the queue files directly (running or not), so
 *	they need root or the mail_owner, like qshape; mailq(1) and smtpctl
 *	show queue are the unprivileged way.
 * DIAGNOSTICS
 *	A queue directory that cannot be listed (or is missing) is named in
 *	a warning on stderr and the listing is incomplete: as with
 *	postqueue -p when its showq fails, -p prints no "-- N Kbytes"
 *	total (nor "Mail queue is empty") and -s no table. A queue file
 *	that cannot be read (not one delivered meanwhile) is skipped with a
 *	warning. Either makes the exit status 70 (EX_SOFTWARE, postqueue's);
 *	else it is 0, 1 for a write error on stdout, 64 for a usage error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "htable.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "postern.h"
#include "qenv.h"
#include "qfile.h"
#include "vstring.h"

#define PQ_MODE_P	0
#define PQ_MODE_J	1
#define PQ_MODE_S	2

#define PQ_BUCKETS_MAX	40

#define PQ_EXIT_UNREAD	70	/* EX_SOFTWARE, as postqueue when showq fails */

static const char *pq_queues[] = {QF_INCOMING, QF_ACTIVE, QF_DEFERRED, QF_HOLD, NULL};

int
postern_stdout_status(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		msg_warn("write error on standard output: %m");
		return 1;
	}
	return status;
}

/* postern_json - a JSON string body (no quotes), as postqueue -j escapes it */
const char *
postern_json(VSTRING *out, const char *s)
{
	const unsigned char *p;

	vstring_reset(out);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '\b': vstring_strcat(out, "\\b"); break;
		case '\f': vstring_strcat(out, "\\f"); break;
		case '\n': vstring_strcat(out, "\\n"); break;
		case '\r': vstring_strcat(out, "\\r"); break;
		case '\t': vstring_strcat(out, "\\t"); break;
		case '"': vstring_strcat(out, "\\\""); break;
		case '\\': vstring_strcat(out, "\\\\"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				vstring_sprintf_append(out, "\\u%04X", *p);
			else
				vstring_addch(out, (char)*p);
		}
	}
	return vstring_str(out);
}

/* pq_reason - a delay reason as Postfix shows it: without the DSN code */
static const char *
pq_reason(const char *why)
{
	const char *p = why;

	if ((*p == '4' || *p == '5' || *p == '2') && p[1] == '.') {
		for (p += 2; isdigit((unsigned char)*p); p++)
			;
		if (*p == '.' && isdigit((unsigned char)p[1])) {
			for (p++; isdigit((unsigned char)*p); p++)
				;
			if (*p == ' ')
				return p + 1;
		}
	}
	return why;
}

/* pq_sender - the sender as the listings show it */
static const char *
pq_sender(const QF_MSG *qf)
{
	return *qf->sender ? qf->sender : "MAILER-DAEMON";
}

/* pq_show_p - one message in postqueue -p layout; its size */
static long
pq_show_p(const char *queue, const QF_MSG *qf)
{
	time_t	 arrival = qf->arrival;
	char	 id[QF_ID_LEN + 2], when[32];
	const char *why, *last = NULL;
	int	 i, pad;

	snprintf(id, sizeof(id), "%s%c", qf->id, strcmp(queue, QF_ACTIVE) == 0 ? '*' :
	    strcmp(queue, QF_HOLD) == 0 ? '!' : ' ');
	if (asctime_r(localtime(&arrival), when) == NULL)
		snprintf(when, sizeof(when), "%-24s", "?");
	printf("%-11s %7ld %20.20s %s\n", id, (long)qf->content_size, when, pq_sender(qf));
	for (i = 0; i < qf->nrcpt; i++) {
		if (qf->rcpt[i].status == QF_RCPT_DONE)
			continue;
		why = pq_reason(qf->rcpt[i].last_error);
		/* A reason line when it changes ("reason unavailable" after one). */
		if (last == NULL ? *why != 0 : strcmp(last, why) != 0) {
			const char *show = *why ? why : "reason unavailable";

			if ((pad = 76 - (int)strlen(show)) < 0)
				pad = 0;
			printf("%*s(%s)\n", pad, "", show);
		}
		last = why;
		printf("%-11s %7s %-20s %s\n", "", "", "", qf->rcpt[i].address);
	}
	return (long)qf->content_size;
}

/* pq_show_j - one message in postqueue -j layout */
static void
pq_show_j(const char *queue, const QF_MSG *qf, VSTRING *buf)
{
	int	 i, n = 0;

	printf("{\"queue_name\": \"%s\", ", postern_json(buf, queue));
	printf("\"queue_id\": \"%s\", ", postern_json(buf, qf->id));
	printf("\"arrival_time\": %ld, ", (long)qf->arrival);
	printf("\"message_size\": %ld, ", (long)qf->content_size);
	printf("\"forced_expire\": false, ");
	printf("\"sender\": \"%s\", ", postern_json(buf, pq_sender(qf)));
	printf("\"recipients\": [");
	for (i = 0; i < qf->nrcpt; i++) {
		if (qf->rcpt[i].status == QF_RCPT_DONE)
			continue;
		printf("%s{\"address\": \"%s\"", n++ ? ", " : "",
		    postern_json(buf, qf->rcpt[i].address));
		if (*qf->rcpt[i].last_error)
			printf(", \"delay_reason\": \"%s\"",
			    postern_json(buf, pq_reason(qf->rcpt[i].last_error)));
		printf("}");
	}
	printf("]}\n");
}

/* A walk over the queue: what each message is shown with, what failed. */
typedef struct PQ_WALK {
	void	(*show)(const char *, const QF_MSG *, void *);
	void	*ctx;
	const char *queue_dir;
	VSTRING	*why;
	int	 dir_errors;		/* directories not listed */
	int	 file_errors;		/* queue files not read */
} PQ_WALK;

/* pq_file - show one queue file; one not read is skipped with a warning */
static int
pq_file(const char *queue, const char *id, void *ctx)
{
	PQ_WALK	*pw = ctx;
	QF_MSG	*qf;

	if ((qf = qf_open(pw->queue_dir, queue, id, QF_OPEN_RDONLY,
	    pw->why)) == NULL) {
		if (errno == ENOENT)
			return 0;	/* delivered and gone meanwhile */
		msg_warn("cannot read queue file: %s", vstring_str(pw->why));
		pw->file_errors++;
		return 0;
	}
	pw->show(queue, qf, pw->ctx);
	qf_close(qf);
	return 1;
}

/* pq_walk - show every readable message of the queues, by queue and id */
static void
pq_walk(PQ_WALK *pw, const char **queues,
    void (*show)(const char *, const QF_MSG *, void *), void *ctx)
{
	QENV_SEL sel;

	(void)qenv_sel_parse(&sel, "all", QENV_SEL_ALLOW_ALL);
	memset(pw, 0, sizeof(*pw));
	pw->show = show;
	pw->ctx = ctx;
	pw->queue_dir = conf_str("queue_directory");
	pw->why = vstring_alloc(100);
	(void)qenv_walk_dirs(pw->queue_dir, queues, &sel, pq_file, pw,
	    &pw->dir_errors);
	vstring_free(pw->why);
}

typedef struct PQ_LIST {
	unsigned long count;
	unsigned long long size;
	VSTRING	*buf;
	int	 mode;
} PQ_LIST;

static void
pq_list_one(const char *queue, const QF_MSG *qf, void *ctx)
{
	PQ_LIST	*pl = ctx;

	if (pl->mode == PQ_MODE_J) {
		pq_show_j(queue, qf, pl->buf);
		return;
	}
	if (pl->count > 0)
		printf("\n");
	else
		printf("%-11s %7s %-20s %s\n", "-Queue ID-", "--Size--",
		    "----Arrival Time----", "-Sender/Recipient-------");
	pl->size += (unsigned long long)pq_show_p(queue, qf);
	pl->count++;
}

/* The qshape table. */
typedef struct PQ_SHAPE {
	HTABLE	*domains;		/* domain -> long[buckets + 1] */
	long	 total[PQ_BUCKETS_MAX + 2];
	int	 nbuckets;
	long	 bucket_min;		/* minutes */
	int	 by_sender;
	time_t	 now;
} PQ_SHAPE;

static void
pq_shape_add(PQ_SHAPE *ps, const char *addr, time_t arrival)
{
	const char *at = strrchr(addr, '@');
	VSTRING	*d = vstring_alloc(64);
	long	*row, age = (long)((ps->now - arrival) / 60), limit;
	int	 b;

	vstring_strcpy(d, at ? at + 1 : *addr ? conf_str("myorigin") : "");
	vstring_lower(d);
	if (*addr == 0)
		vstring_strcpy(d, "MAILER-DAEMON");	/* the null sender (-r) */
	if ((row = htable_find(ps->domains, vstring_str(d))) == NULL) {
		row = mycalloc(ps->nbuckets + 2, sizeof(long));
		htable_enter(ps->domains, vstring_str(d), row);
	}
	for (b = 0, limit = ps->bucket_min; b < ps->nbuckets && age > limit; b++)
		limit *= 2;
	row[0]++;
	row[b + 1]++;
	ps->total[0]++;
	ps->total[b + 1]++;
	vstring_free(d);
}

static void
pq_shape_one(const char *queue, const QF_MSG *qf, void *ctx)
{
	PQ_SHAPE *ps = ctx;
	int	 i;

	(void)queue;
	if (ps->by_sender) {
		pq_shape_add(ps, qf->sender, qf->arrival);
		return;
	}
	for (i = 0; i < qf->nrcpt; i++)
		if (qf->rcpt[i].status != QF_RCPT_DONE)
			pq_shape_add(ps, qf->rcpt[i].address, qf->arrival);
}

static int
pq_shape_cmp(const void *a, const void *b)
{
	const HTABLE_INFO *x = *(const HTABLE_INFO * const *)a;
	const HTABLE_INFO *y = *(const HTABLE_INFO * const *)b;
	long	 tx = ((long *)x->value)[0], ty = ((long *)y->value)[0];

	return tx != ty ? (tx < ty ? 1 : -1) : strcmp(x->key, y->key);
}

/*
 * pq_shape_label - the label of column c: "T" for the total, then each
 * bucket's upper age in minutes, then "N+" for the last; *limit starts at
 * ps->bucket_min for column 0 and doubles as the columns go.
 */
static void
pq_shape_label(PQ_SHAPE *ps, int c, long *limit, VSTRING *label)
{
	if (c == 0)
		vstring_strcpy(label, "T");
	else if (c <= ps->nbuckets) {
		vstring_sprintf(label, "%ld", *limit);
		if (c < ps->nbuckets)
			*limit *= 2;
	} else
		vstring_sprintf(label, "%ld+", *limit);
}

static void
pq_shape_print(PQ_SHAPE *ps)
{
	HTABLE_INFO **list = htable_list(ps->domains), **hp;
	VSTRING	*label = vstring_alloc(16);
	int	 width[PQ_BUCKETS_MAX + 2], dwidth = 5, c, n;
	long	 limit;
	size_t	 count = 0;

	for (hp = list; *hp; hp++, count++)
		if ((int)strlen((*hp)->key) > dwidth)
			dwidth = (int)strlen((*hp)->key);
	qsort(list, count, sizeof(*list), pq_shape_cmp);
	/* Column labels: T, then each bucket's upper age, then "N+". */
	for (c = 0, limit = ps->bucket_min; c <= ps->nbuckets + 1; c++) {
		pq_shape_label(ps, c, &limit, label);
		width[c] = (int)vstring_len(label);
		n = snprintf(NULL, 0, "%ld", ps->total[c]);
		if (n > width[c])
			width[c] = n;
	}
	printf("%*s", dwidth, "");
	for (c = 0, limit = ps->bucket_min; c <= ps->nbuckets + 1; c++) {
		pq_shape_label(ps, c, &limit, label);
		printf(" %*s", width[c], vstring_str(label));
	}
	printf("\n%*s", dwidth, "TOTAL");
	for (c = 0; c <= ps->nbuckets + 1; c++)
		printf(" %*ld", width[c], ps->total[c]);
	printf("\n");
	for (hp = list; *hp; hp++) {
		printf("%*s", dwidth, (*hp)->key);
		for (c = 0; c <= ps->nbuckets + 1; c++)
			printf(" %*ld", width[c], ((long *)(*hp)->value)[c]);
		printf("\n");
	}
	myfree(list);
	vstring_free(label);
}

static int
pq_usage(void)
{
	fprintf(stderr, "usage: postern queue [-p | -j]\n"
	    "       postern queue -s [-r] [-t minutes] [-b buckets] [queue ...]\n");
	return 64;
}

int
postern_queue_main(int argc, char **argv)
{
	PQ_LIST	 pl = {0, 0, NULL, PQ_MODE_P};
	PQ_SHAPE ps;
	PQ_WALK	 pw;
	const char *shape_queues[] = {QF_INCOMING, QF_ACTIVE, NULL};
	const char **queues = shape_queues;
	ARGV	*named = NULL;
	int	 ch, i;

	memset(&ps, 0, sizeof(ps));
	ps.nbuckets = 10;
	ps.bucket_min = 5;
	optind = 1;
	while ((ch = getopt(argc, argv, "jpsrt:b:")) != -1) {
		switch (ch) {
		case 'j': pl.mode = PQ_MODE_J; break;
		case 'p': pl.mode = PQ_MODE_P; break;
		case 's': pl.mode = PQ_MODE_S; break;
		case 'r': ps.by_sender = 1; break;
		case 't':
			if ((ps.bucket_min = atol(optarg)) < 1 || ps.bucket_min > 1000000)
				return pq_usage();
			break;
		case 'b':
			if ((ps.nbuckets = atoi(optarg)) < 1 || ps.nbuckets > PQ_BUCKETS_MAX)
				return pq_usage();
			break;
		default:
			return pq_usage();
		}
	}
	if (optind < argc && pl.mode != PQ_MODE_S)
		return pq_usage();
	mail_conf_read(NULL);
	if (pl.mode != PQ_MODE_S) {
		pl.buf = vstring_alloc(100);
		pq_walk(&pw, pq_queues, pq_list_one, &pl);
		/* No total for a listing with a queue missing (as postqueue). */
		if (pl.mode == PQ_MODE_P && pw.dir_errors == 0) {
			if (pl.count == 0)
				printf("Mail queue is empty\n");
			else
				printf("\n-- %llu Kbytes in %lu Request%s.\n", pl.size / 1024,
				    pl.count, pl.count == 1 ? "" : "s");
		}
		vstring_free(pl.buf);
	} else {
		if (optind < argc) {
			named = argv_alloc(4);
			for (i = optind; i < argc; i++) {
				const char **q;

				for (q = pq_queues; *q && strcmp(*q, argv[i]) != 0; q++)
					;
				if (*q == NULL) {
					fprintf(stderr, "postern queue: unknown queue: %s "
					    "(incoming, active, deferred, hold)\n", argv[i]);
					argv_free(named);
					return 64;
				}
				argv_add(named, *q);
			}
			queues = (const char **)named->argv;
		}
		ps.domains = htable_create(64);
		ps.now = time(NULL);
		pq_walk(&pw, queues, pq_shape_one, &ps);
		if (pw.dir_errors == 0)
			pq_shape_print(&ps);
		htable_free(ps.domains, myfree);
		if (named)
			argv_free(named);
	}
	return postern_stdout_status(pw.dir_errors || pw.file_errors ?
	    PQ_EXIT_UNREAD : 0);
}
