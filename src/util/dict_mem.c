/*
 * NAME
 *	dict_mem - in-memory tables shared by texthash: and inline:
 * SYNOPSIS
 *	#include <dict_mem.h>
 *
 *	void  dict_mem_init(DICT *dict);
 *	int   dict_mem_add(DICT *dict, const char *key, const char *value);
 *	const char *dict_mem_get(DICT *dict, const char *key);
 *	int   dict_mem_seq(DICT *dict, int how, const char **key,
 *		const char **value);
 *	void  dict_mem_close(DICT *dict);
 * DESCRIPTION
 *	A hash table of copied keys and values in dict->data. The open
 *	function of a type calls dict_mem_init() and then dict_mem_add() for
 *	each entry; the other functions serve as that type's get, seq and
 *	close methods. Keys are lowercased on the way in when the table was
 *	opened with DICT_FLAG_FOLD_KEY (dict.c folds the lookup keys).
 *
 *	dict_mem_add() returns 0, or 1 for a duplicate key: as postmap does,
 *	the first value is kept and the caller warns.
 *
 *	dict_mem_seq() walks the entries in key order (a snapshot taken by
 *	DICT_SEQ_FIRST), so dumps are stable.
 * DIAGNOSTICS
 *	None; running out of memory is fatal (mymalloc).
 */
#include <stdlib.h>
#include <string.h>

#include "dict_mem.h"
#include "htable.h"
#include "mymalloc.h"

typedef struct DICT_MEM {
	HTABLE	*table;
	HTABLE_INFO **list;		/* dict_mem_seq() snapshot */
	size_t	 next;
	VSTRING	*key;
} DICT_MEM;

void
dict_mem_init(DICT *dict)
{
	DICT_MEM *dm = mycalloc(1, sizeof(*dm));

	dm->table = htable_create(64);
	dm->key = vstring_alloc(64);
	dict->data = dm;
}

int
dict_mem_add(DICT *dict, const char *key, const char *value)
{
	DICT_MEM *dm = dict->data;

	vstring_strcpy(dm->key, key);
	if (dict->flags & DICT_FLAG_FOLD_KEY)
		vstring_lower(dm->key);
	if (htable_locate(dm->table, vstring_str(dm->key)) != NULL)
		return 1;
	htable_enter(dm->table, vstring_str(dm->key), mystrdup(value));
	return 0;
}

const char *
dict_mem_get(DICT *dict, const char *key)
{
	DICT_MEM *dm = dict->data;

	return htable_find(dm->table, key);
}

static int
dict_mem_cmp(const void *a, const void *b)
{
	const HTABLE_INFO *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

int
dict_mem_seq(DICT *dict, int how, const char **key, const char **value)
{
	DICT_MEM *dm = dict->data;

	if (how == DICT_SEQ_FIRST || dm->list == NULL) {
		myfree(dm->list);
		dm->list = htable_list(dm->table);
		qsort(dm->list, dm->table->used, sizeof(*dm->list),
		    dict_mem_cmp);
		dm->next = 0;
	}
	if (dm->list[dm->next] == NULL)
		return 1;
	*key = dm->list[dm->next]->key;
	*value = dm->list[dm->next]->value;
	dm->next++;
	return 0;
}

void
dict_mem_close(DICT *dict)
{
	DICT_MEM *dm = dict->data;

	htable_free(dm->table, myfree);
	myfree(dm->list);
	vstring_free(dm->key);
	myfree(dm);
	dict->data = NULL;
}
