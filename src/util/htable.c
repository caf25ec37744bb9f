/*
 * NAME
 *	htable - hash tables with string keys
 * SYNOPSIS
 *	#include <htable.h>
 *
 *	HTABLE      *htable_create(size_t size);
 *	HTABLE_INFO *htable_enter(HTABLE *t, const char *key, void *value);
 *	HTABLE_INFO *htable_locate(HTABLE *t, const char *key);
 *	void        *htable_find(HTABLE *t, const char *key);
 *	int          htable_delete(HTABLE *t, const char *key, void (*free_fn)(void *));
 *	void         htable_free(HTABLE *t, void (*free_fn)(void *));
 *	HTABLE_INFO **htable_list(HTABLE *t);
 * DESCRIPTION
 *	Chained hash table; keys are copied, values are the caller's.
 *	The table doubles when it holds more entries than buckets, so
 *	lookups stay O(1) on average. The hash is FNV-1a with a per-process
 *	random seed, so that a peer who chooses keys (domain names, for
 *	example) cannot force every entry into one bucket.
 *
 *	htable_enter() adds an entry even when the key exists (the new one
 *	is found first); use htable_locate() first to replace. htable_find()
 *	returns the value or a null pointer. htable_delete() returns 0 when
 *	the key was found. htable_list() returns a null-terminated array of
 *	the entries (myfree() it); the order is unspecified.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "htable.h"
#include "mymalloc.h"

static unsigned int htable_seed;

static size_t
htable_hash(const char *key, size_t size)
{
	unsigned int h;

	if (htable_seed == 0)
		htable_seed = ((unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16)) | 1;
	h = 2166136261u ^ htable_seed;
	while (*key) {
		h ^= (unsigned char)*key++;
		h *= 16777619u;
	}
	return h % size;
}

HTABLE *
htable_create(size_t size)
{
	HTABLE	*t = mymalloc(sizeof(*t));

	t->size = size < 13 ? 13 : size;
	t->used = 0;
	t->data = mycalloc(t->size, sizeof(HTABLE_INFO *));
	return t;
}

static void
htable_grow(HTABLE *t)
{
	HTABLE_INFO **old = t->data, *ht, *next;
	size_t	old_size = t->size, i, h;

	t->size = 2 * t->size + 1;
	t->data = mycalloc(t->size, sizeof(HTABLE_INFO *));
	for (i = 0; i < old_size; i++) {
		for (ht = old[i]; ht != NULL; ht = next) {
			next = ht->next;
			h = htable_hash(ht->key, t->size);
			ht->next = t->data[h];
			t->data[h] = ht;
		}
	}
	myfree(old);
}

HTABLE_INFO *
htable_enter(HTABLE *t, const char *key, void *value)
{
	HTABLE_INFO *ht;
	size_t	h;

	if (t->used >= t->size)
		htable_grow(t);
	ht = mymalloc(sizeof(*ht));
	ht->key = mystrdup(key);
	ht->value = value;
	h = htable_hash(key, t->size);
	ht->next = t->data[h];
	t->data[h] = ht;
	t->used++;
	return ht;
}

HTABLE_INFO *
htable_locate(HTABLE *t, const char *key)
{
	HTABLE_INFO *ht;

	for (ht = t->data[htable_hash(key, t->size)]; ht != NULL; ht = ht->next)
		if (strcmp(ht->key, key) == 0)
			return ht;
	return NULL;
}

void *
htable_find(HTABLE *t, const char *key)
{
	HTABLE_INFO *ht = htable_locate(t, key);

	return ht ? ht->value : NULL;
}

int
htable_delete(HTABLE *t, const char *key, void (*free_fn)(void *))
{
	HTABLE_INFO **hp, *ht;

	for (hp = &t->data[htable_hash(key, t->size)]; (ht = *hp) != NULL; hp = &ht->next) {
		if (strcmp(ht->key, key) == 0) {
			*hp = ht->next;
			if (free_fn != NULL)
				free_fn(ht->value);
			myfree(ht->key);
			myfree(ht);
			t->used--;
			return 0;
		}
	}
	return -1;
}

void
htable_free(HTABLE *t, void (*free_fn)(void *))
{
	HTABLE_INFO *ht, *next;
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->size; i++) {
		for (ht = t->data[i]; ht != NULL; ht = next) {
			next = ht->next;
			if (free_fn != NULL)
				free_fn(ht->value);
			myfree(ht->key);
			myfree(ht);
		}
	}
	myfree(t->data);
	myfree(t);
}

HTABLE_INFO **
htable_list(HTABLE *t)
{
	HTABLE_INFO **list = mycalloc(t->used + 1, sizeof(*list)), *ht;
	size_t	i, n = 0;

	for (i = 0; i < t->size; i++)
		for (ht = t->data[i]; ht != NULL; ht = ht->next)
			list[n++] = ht;
	list[n] = NULL;
	return list;
}
