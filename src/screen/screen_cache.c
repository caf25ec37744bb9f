/*
 * NAME
 *	screen_cache - clients that passed the screen, kept across restarts
 * SYNOPSIS
 *	#include "screen.h"
 *
 *	int  screen_cache_find(const SCREEN_CONF *conf, const char *addr);
 *	void screen_cache_add(const SCREEN_CONF *conf, const char *addr,
 *		int ttl);
 * DESCRIPTION
 *	The allowlist cache is a text file named by postscreen_cache_map
 *	("texthash:/path"), one "address expiry-time" line per client that
 *	passed, in the texthash table format (so "postern map" can read
 *	it). Every screen process reads and appends under an exclusive
 *	flock(2); the last line of an address wins. When the file grows
 *	past SCREEN_CACHE_LINES lines it is rewritten without expired or
 *	superseded entries (a temporary file renamed over it).
 *
 *	screen_cache_find() says whether addr has an entry that has not
 *	expired; screen_cache_add() records it for ttl seconds.
 * DIAGNOSTICS
 *	A cache that cannot be read or written is a warning (the client is
 *	then screened again next time). A malformed line is skipped.
 */
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "htable.h"
#include "msg.h"
#include "mymalloc.h"
#include "screen.h"

#define SCREEN_CACHE_LINES	10000
#define SCREEN_CACHE_MAXREAD	1000000	/* lines read at most */

/* Open and lock; null when there is no cache. */
static FILE *
screen_cache_open(const SCREEN_CONF *conf, const char *mode)
{
	FILE	*fp;
	int	 fd;

	if (conf->cache_path == NULL)
		return NULL;
	if ((fd = open(conf->cache_path, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0 || (fp = fdopen(fd, mode)) == NULL) {
		msg_warn("open %s: %m", conf->cache_path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (flock(fd, LOCK_EX) < 0) {
		msg_warn("lock %s: %m", conf->cache_path);
		fclose(fp);
		return NULL;
	}
	return fp;
}

/* Read every line; latest expiry per address into table (if not null). */
static long
screen_cache_scan(FILE *fp, const char *addr, time_t *found, HTABLE *table)
{
	char	 line[256], key[SCREEN_ADDR_MAX];
	long long when;
	long	 n = 0;

	*found = 0;
	rewind(fp);
	while (n < SCREEN_CACHE_MAXREAD && fgets(line, sizeof(line), fp)) {
		n++;
		if (sscanf(line, "%63s %lld", key, &when) != 2)
			continue;
		if (addr && strcmp(key, addr) == 0)
			*found = (time_t)when;
		if (table) {
			long long *v = htable_find(table, key);

			if (v == NULL) {
				v = mymalloc(sizeof(*v));
				htable_enter(table, key, v);
			}
			*v = when;
		}
	}
	return n;
}

int
screen_cache_find(const SCREEN_CONF *conf, const char *addr)
{
	FILE	*fp = screen_cache_open(conf, "r+");
	time_t	 until;

	if (fp == NULL)
		return 0;
	(void)screen_cache_scan(fp, addr, &until, NULL);
	fclose(fp);
	return until > time(NULL);
}

/* Rewrite the file with what is still valid; locked by the caller. */
static void
screen_cache_compact(const SCREEN_CONF *conf, FILE *fp)
{
	HTABLE	*table = htable_create(1024);
	HTABLE_INFO **list, **ht;
	VSTRING	*tmp = vstring_alloc(100);
	time_t	 now = time(NULL), dummy;
	FILE	*out;

	(void)screen_cache_scan(fp, NULL, &dummy, table);
	vstring_sprintf(tmp, "%s.tmp", conf->cache_path);
	if ((out = fopen(vstring_str(tmp), "w")) == NULL) {
		msg_warn("open %s: %m", vstring_str(tmp));
	} else {
		list = htable_list(table);
		for (ht = list; *ht; ht++)
			if (*(long long *)(*ht)->value > now)
				fprintf(out, "%s %lld\n", (*ht)->key,
				    *(long long *)(*ht)->value);
		myfree(list);
		if (fclose(out) != 0 || rename(vstring_str(tmp),
		    conf->cache_path) < 0) {
			msg_warn("update %s: %m", conf->cache_path);
			(void)unlink(vstring_str(tmp));
		}
	}
	htable_free(table, myfree);
	vstring_free(tmp);
}

void
screen_cache_add(const SCREEN_CONF *conf, const char *addr, int ttl)
{
	FILE	*fp = screen_cache_open(conf, "r+");
	time_t	 dummy;
	long	 lines;

	if (fp == NULL)
		return;
	lines = screen_cache_scan(fp, NULL, &dummy, NULL);
	if (fseek(fp, 0, SEEK_END) < 0 || fprintf(fp, "%s %lld\n", addr,
	    (long long)time(NULL) + ttl) < 0 || fflush(fp) != 0)
		msg_warn("write %s: %m", conf->cache_path);
	else if (lines + 1 > SCREEN_CACHE_LINES)
		screen_cache_compact(conf, fp);
	fclose(fp);
}
