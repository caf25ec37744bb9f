/*
 * NAME
 *	anvil - client connection counts and event rates shared by smtpd
 * SYNOPSIS
 *	#include <anvil.h>
 *
 *	int  anvil_attach(const char *path, const char *service, int unit);
 *	int  anvil_connect(const char *addr, int limit, int *count, int *rate);
 *	int  anvil_event(int which);
 *	void anvil_disconnect(void);
 *	void anvil_report(int interval);
 *	int  anvil_snapshot(const char *path, ANVIL_INFO **list, VSTRING *why);
 *	int  anvil_reset(const char *path);
 * DESCRIPTION
 *	What Postfix's anvil(8) server counts, without a server: every smtpd
 *	process maps one file (ANVIL_FILE under the queue directory) shared,
 *	and counts there under a process-shared robust mutex. An event costs
 *	one uncontended lock and a few memory operations, no IPC.
 *
 *	Clients are keyed "service:address", as in Postfix. The file holds
 *	two tables. The process table has one slot per live smtpd, owned by
 *	pid, naming the client that process serves: the connection count of
 *	a client is the number of slots naming it, so it is derived, never
 *	incremented and decremented, and a killed smtpd cannot leave it one
 *	too high for good. A slot of a dead process is found (kill(pid, 0)
 *	fails with ESRCH) and cleared when its count matters: when a count
 *	exceeds the caller's limit, and when every slot is taken. The client
 *	table holds, per key, the events of the current rate window
 *	(connections, MAIL, RCPT, new TLS sessions, AUTH): a window lasts
 *	anvil_rate_time_unit seconds from its first event, then restarts
 *	from zero. It is a fixed hash table (ANVIL_CLIENTS buckets, probed
 *	linearly ANVIL_PROBE deep); a new client takes an empty or expired
 *	bucket, else the least recently used one of its probe run, so that a
 *	flood of addresses costs old idle clients their history, never
 *	memory.
 *
 *	anvil_attach() maps the file (creating it, mode 0600, when missing)
 *	for this process. The first process to find it new initializes it.
 *	Every other function is a no-op until then (rates and counts zero).
 *
 *	anvil_connect() records that this process now serves addr, counts
 *	the connection in the rate window, and returns the client's
 *	concurrent connections (this one included) and connection rate.
 *	anvil_event() counts one ANVIL_MAIL, ANVIL_RCPT, ANVIL_NTLS or
 *	ANVIL_AUTH event for that client and returns the rate so far.
 *	anvil_disconnect() clears this process's slot (also done at exit).
 *
 *	anvil_report() logs Postfix's anvil statistics ("statistics: max
 *	connection rate 3/60s for (smtp:192.0.2.1) at Dec  5 06:00:01", the
 *	count, message, recipient, newtls and auth maxima, and "max cache
 *	size", here the number of clients seen in the interval) once per
 *	interval seconds across all processes: the process that finds the
 *	report due logs it and resets the maxima.
 *
 *	anvil_snapshot() reads the file without locking (a monitoring
 *	view may be a moment stale) and returns the clients with a
 *	connection or with events in the current window; anvil_reset()
 *	removes the file (the master, at start).
 * BUGS
 *	A pid reused by an unrelated process keeps a dead smtpd's slot
 *	counted until that process ends too. The file is trusted as much
 *	as the account that runs smtpd.
 * DIAGNOSTICS
 *	anvil_attach() and anvil_snapshot() return -1 (errno or why) when
 *	the file cannot be opened, mapped or is not an anvil file.
 *	anvil_connect() returns -1 when not attached.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anvil.h"
#include "msg.h"
#include "mymalloc.h"
#include "safe_file.h"

#define ANVIL_MAGIC	0x616e7601u
#define ANVIL_PROCS	1024
#define ANVIL_CLIENTS	4096
#define ANVIL_PROBE	64

typedef struct ANVIL_PROC {
	int32_t	 pid;			/* 0: free */
	int32_t	 pad;
	char	 key[ANVIL_KEY_MAX];	/* "": idle */
} ANVIL_PROC;

typedef struct ANVIL_CLIENT {
	char	 key[ANVIL_KEY_MAX];	/* "": empty */
	int64_t	 start;			/* rate window start */
	int64_t	 last;			/* last event */
	int32_t	 rate[ANVIL_NRATE];
	int32_t	 split;			/* length of the service part */
} ANVIL_CLIENT;

typedef struct ANVIL_MAX {
	int32_t	 value;
	int32_t	 pad;
	int64_t	 when;
	char	 key[ANVIL_KEY_MAX];
} ANVIL_MAX;

#define ANVIL_MAX_COUNT	ANVIL_NRATE	/* index of the count maximum */

typedef struct ANVIL_MAP {
	uint32_t magic;
	uint32_t state;			/* 0 new, 1 initializing, 2 ready */
	int32_t	 unit;
	int32_t	 pad;
	int64_t	 next_report;
	pthread_mutex_t lock;
	ANVIL_MAX max[ANVIL_NRATE + 1];
	ANVIL_PROC proc[ANVIL_PROCS];
	ANVIL_CLIENT client[ANVIL_CLIENTS];
} ANVIL_MAP;

static ANVIL_MAP *anvil_map;
static const char *anvil_service = "smtp";
static int anvil_unit = 60;
static int anvil_self = -1;		/* our process slot */
static int anvil_bucket = -1;		/* our client's bucket (a hint) */
static char anvil_key[ANVIL_KEY_MAX];

static unsigned
anvil_hash(const char *key)
{
	unsigned h = 2166136261u;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

static void
anvil_keycpy(char *dst, const char *src)
{
	snprintf(dst, ANVIL_KEY_MAX, "%s", src);
}

/* A process is gone when kill() says so; EPERM means it exists. */
static int
anvil_pid_dead(pid_t pid)
{
	return pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH);
}

static void
anvil_lock(void)
{
	int	 err = pthread_mutex_lock(&anvil_map->lock);

	if (err == EOWNERDEAD) {
		/* A process died holding the lock; the tables stay usable. */
		(void)pthread_mutex_consistent(&anvil_map->lock);
	} else if (err != 0)
		msg_fatal("anvil: lock: %s", strerror(err));
}

static void
anvil_unlock(void)
{
	(void)pthread_mutex_unlock(&anvil_map->lock);
}

static int
anvil_init(ANVIL_MAP *m)
{
	pthread_mutexattr_t attr;
	uint32_t expect = 0;
	int	 i;

	if (__atomic_compare_exchange_n(&m->state, &expect, 1, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (pthread_mutexattr_init(&attr) != 0 ||
		    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) ||
		    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) ||
		    pthread_mutex_init(&m->lock, &attr) != 0) {
			__atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
			return -1;
		}
		pthread_mutexattr_destroy(&attr);
		m->magic = ANVIL_MAGIC;
		__atomic_store_n(&m->state, 2, __ATOMIC_RELEASE);
		return 0;
	}
	/* Another process initializes it: give it a second. */
	for (i = 0; i < 1000; i++) {
		if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) == 2)
			return m->magic == ANVIL_MAGIC ? 0 : -1;
		usleep(1000);
	}
	errno = ETIMEDOUT;
	return -1;
}

static void
anvil_exit(void)
{
	if (anvil_map == NULL || anvil_self < 0)
		return;
	anvil_lock();
	if (anvil_map->proc[anvil_self].pid == (int32_t)getpid()) {
		anvil_map->proc[anvil_self].key[0] = 0;
		anvil_map->proc[anvil_self].pid = 0;
	}
	anvil_unlock();
}

int
anvil_attach(const char *path, const char *service, int unit)
{
	void	*map;

	if (anvil_map != NULL)
		return 0;
	if ((map = safe_file_map(path, sizeof(ANVIL_MAP))) == NULL)
		return -1;
	if (anvil_init(map) < 0) {
		munmap(map, sizeof(ANVIL_MAP));
		return -1;
	}
	anvil_map = map;
	anvil_service = service;
	anvil_unit = unit > 0 ? unit : 60;
	anvil_map->unit = anvil_unit;
	atexit(anvil_exit);
	return 0;
}

/* Our process slot: ours, a free one, or one of a dead process. Locked. */
static int
anvil_claim_self(void)
{
	int32_t	 me = (int32_t)getpid();
	int	 i;

	if (anvil_self >= 0 && anvil_map->proc[anvil_self].pid == me)
		return anvil_self;
	for (i = 0; i < ANVIL_PROCS; i++)
		if (anvil_map->proc[i].pid == 0)
			goto found;
	for (i = 0; i < ANVIL_PROCS; i++)
		if (anvil_pid_dead(anvil_map->proc[i].pid))
			goto found;
	return -1;
found:
	anvil_map->proc[i].pid = me;
	anvil_map->proc[i].key[0] = 0;
	return anvil_self = i;
}

/* Slots naming key; with verify, slots of dead processes are freed. Locked. */
static int
anvil_count(const char *key, int verify)
{
	ANVIL_PROC *p;
	int	 i, n = 0;

	for (i = 0; i < ANVIL_PROCS; i++) {
		p = anvil_map->proc + i;
		if (p->pid == 0 || p->key[0] == 0 || strcmp(p->key, key) != 0)
			continue;
		if (verify && i != anvil_self && anvil_pid_dead(p->pid)) {
			p->key[0] = 0;
			p->pid = 0;
			continue;
		}
		n++;
	}
	return n;
}

/* The bucket of key, claimed when new; its window brought up to date. Locked. */
static ANVIL_CLIENT *
anvil_client(const char *key, time_t now)
{
	ANVIL_CLIENT *c, *pick = NULL;
	unsigned h = anvil_hash(key) % ANVIL_CLIENTS;
	int	 i, k;

	if (anvil_bucket >= 0 &&
	    strcmp(anvil_map->client[anvil_bucket].key, key) == 0) {
		c = anvil_map->client + anvil_bucket;
		goto window;
	}
	for (i = 0; i < ANVIL_PROBE; i++) {
		k = (h + i) % ANVIL_CLIENTS;
		c = anvil_map->client + k;
		if (strcmp(c->key, key) == 0) {
			anvil_bucket = k;
			goto window;
		}
		if (c->key[0] == 0 || now - c->start >= anvil_unit) {
			if (pick == NULL || pick->key[0] != 0)
				pick = c;
		} else if (pick == NULL || (pick->key[0] != 0 &&
		    now - pick->start < anvil_unit && c->last < pick->last))
			pick = c;
	}
	c = pick;
	anvil_bucket = (int)(c - anvil_map->client);
	memset(c, 0, sizeof(*c));
	anvil_keycpy(c->key, key);
	c->split = (int32_t)strlen(anvil_service);
	c->start = now;
window:
	if (now - c->start >= anvil_unit || now < c->start) {
		memset(c->rate, 0, sizeof(c->rate));
		c->start = now;
	}
	c->last = now;
	return c;
}

static void
anvil_max(int which, int value, const char *key, time_t now)
{
	ANVIL_MAX *m = anvil_map->max + which;

	if (value > m->value) {
		m->value = value;
		m->when = now;
		anvil_keycpy(m->key, key);
	}
}

int
anvil_connect(const char *addr, int limit, int *count, int *rate)
{
	ANVIL_CLIENT *c;
	time_t	 now = time(NULL);
	char	 key[ANVIL_KEY_MAX];
	int	 self;

	*count = *rate = 0;
	if (anvil_map == NULL)
		return -1;
	snprintf(key, sizeof(key), "%s:%s", anvil_service, addr);
	anvil_keycpy(anvil_key, key);
	anvil_lock();
	if ((self = anvil_claim_self()) >= 0)
		anvil_keycpy(anvil_map->proc[self].key, key);
	*count = anvil_count(key, 0) + (self < 0);
	if (limit > 0 && *count > limit)
		*count = anvil_count(key, 1) + (self < 0);
	c = anvil_client(key, now);
	*rate = ++c->rate[ANVIL_CONN];
	anvil_max(ANVIL_CONN, *rate, key, now);
	anvil_max(ANVIL_MAX_COUNT, *count, key, now);
	anvil_unlock();
	if (self < 0)
		msg_warn("anvil: all %d process slots in use", ANVIL_PROCS);
	return 0;
}

int
anvil_event(int which)
{
	ANVIL_CLIENT *c;
	time_t	 now = time(NULL);
	int	 rate;

	if (which <= ANVIL_CONN || which >= ANVIL_NRATE)
		msg_panic("anvil_event: bad event %d", which);
	if (anvil_map == NULL || anvil_key[0] == 0)
		return 0;
	anvil_lock();
	c = anvil_client(anvil_key, now);
	rate = ++c->rate[which];
	anvil_max(which, rate, anvil_key, now);
	anvil_unlock();
	return rate;
}

void
anvil_disconnect(void)
{
	if (anvil_map == NULL || anvil_self < 0)
		return;
	anvil_lock();
	if (anvil_map->proc[anvil_self].pid == (int32_t)getpid())
		anvil_map->proc[anvil_self].key[0] = 0;
	anvil_unlock();
	anvil_key[0] = 0;
}

static void
anvil_report_line(const ANVIL_MAX *m, const char *what, int rate, int unit)
{
	char	 when[64];
	time_t	 t = (time_t)m->when;
	struct tm tm;

	if (m->value <= 0)
		return;
	strftime(when, sizeof(when), "%b %e %H:%M:%S", localtime_r(&t, &tm));
	if (rate)
		msg_info("statistics: max %s %d/%ds for (%.*s) at %s", what,
		    m->value, unit, ANVIL_KEY_MAX - 1, m->key, when);
	else
		msg_info("statistics: max %s %d for (%.*s) at %s", what,
		    m->value, ANVIL_KEY_MAX - 1, m->key, when);
}

void
anvil_report(int interval)
{
	static const char *what[] = {"connection rate", "message rate",
	"recipient rate", "newtls rate", "auth rate"};
	ANVIL_MAX max[ANVIL_NRATE + 1];
	time_t	 now = time(NULL);
	int	 i, seen = 0, due = 0;
	char	 when[64];
	struct tm tm;

	if (anvil_map == NULL || interval <= 0)
		return;
	anvil_lock();
	if (anvil_map->next_report == 0)
		anvil_map->next_report = now + interval;
	else if (now >= anvil_map->next_report) {
		due = 1;
		memcpy(max, anvil_map->max, sizeof(max));
		memset(anvil_map->max, 0, sizeof(anvil_map->max));
		for (i = 0; i < ANVIL_CLIENTS; i++)
			if (anvil_map->client[i].key[0] &&
			    now - anvil_map->client[i].last < interval)
				seen++;
		anvil_map->next_report = now + interval;
	}
	anvil_unlock();
	if (!due)
		return;
	anvil_report_line(max + ANVIL_CONN, what[ANVIL_CONN], 1, anvil_unit);
	anvil_report_line(max + ANVIL_MAX_COUNT, "connection count", 0, 0);
	for (i = ANVIL_MAIL; i < ANVIL_NRATE; i++)
		anvil_report_line(max + i, what[i], 1, anvil_unit);
	if (seen > 0) {
		strftime(when, sizeof(when), "%b %e %H:%M:%S",
		    localtime_r(&now, &tm));
		msg_info("statistics: max cache size %d at %s", seen, when);
	}
}

/* Bucket index of key in a mapped file, or -1. No lock: read only. */
static int
anvil_find(const ANVIL_MAP *m, const char *key)
{
	unsigned h = anvil_hash(key) % ANVIL_CLIENTS;
	int	 i, k;

	for (i = 0; i < ANVIL_PROBE; i++) {
		k = (h + i) % ANVIL_CLIENTS;
		if (strncmp(m->client[k].key, key, ANVIL_KEY_MAX) == 0)
			return k;
	}
	return -1;
}

static int
anvil_snapshot_map(const ANVIL_MAP *m, ANVIL_INFO **list)
{
	int	*count = mymalloc(sizeof(int) * ANVIL_CLIENTS);
	ANVIL_INFO *out = mymalloc(sizeof(ANVIL_INFO) * ANVIL_CLIENTS);
	time_t	 now = time(NULL);
	int	 i, k, n = 0, unit = m->unit > 0 ? m->unit : 60;
	char	 key[ANVIL_KEY_MAX];

	memset(count, 0, sizeof(int) * ANVIL_CLIENTS);
	for (i = 0; i < ANVIL_PROCS; i++) {
		memcpy(key, m->proc[i].key, sizeof(key));
		key[sizeof(key) - 1] = 0;
		if (key[0] && !anvil_pid_dead(m->proc[i].pid) &&
		    (k = anvil_find(m, key)) >= 0)
			count[k]++;
	}
	for (k = 0; k < ANVIL_CLIENTS; k++) {
		const ANVIL_CLIENT *c = m->client + k;
		int	 current = now - c->start < unit;

		if (c->key[0] == 0 || (count[k] == 0 && !current))
			continue;
		memcpy(out[n].key, c->key, ANVIL_KEY_MAX);
		out[n].key[ANVIL_KEY_MAX - 1] = 0;
		out[n].count = count[k];
		for (i = 0; i < ANVIL_NRATE; i++)
			out[n].rate[i] = current ? c->rate[i] : 0;
		out[n].start = c->start;
		out[n].split = c->split > 0 && c->split < ANVIL_KEY_MAX - 1 &&
		    out[n].key[c->split] == ':' ? c->split : -1;
		n++;
	}
	myfree(count);
	*list = out;
	return n;
}

int
anvil_snapshot(const char *path, ANVIL_INFO **list, VSTRING *why)
{
	struct stat st;
	ANVIL_MAP *m;
	int	 fd, n;

	*list = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0;
		vstring_sprintf(why, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_size != (off_t)sizeof(ANVIL_MAP)) {
		vstring_sprintf(why, "%s: not an anvil file", path);
		close(fd);
		return -1;
	}
	m = mmap(NULL, sizeof(ANVIL_MAP), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		vstring_sprintf(why, "mmap %s: %s", path, strerror(errno));
		return -1;
	}
	if (m->magic != ANVIL_MAGIC) {
		munmap(m, sizeof(ANVIL_MAP));
		return 0;
	}
	n = anvil_snapshot_map(m, list);
	munmap(m, sizeof(ANVIL_MAP));
	return n;
}

int
anvil_reset(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}
