/*
 * user_list.h - lists of login names (authorized_submit_users and the
 * like). See user_list.c.
 */
#ifndef USER_LIST_H
#define USER_LIST_H

#include "match_list.h"
#include "vstring.h"

typedef MATCH_LIST USER_LIST;

USER_LIST *user_list_init(const char *patterns, VSTRING *why);	/* null: why */
int	 user_list_match(USER_LIST *, const char *name);	/* 1, 0, -1 table error */
void	 user_list_free(USER_LIST *);

/* user_list_check(patterns, name, why): one-shot; -1 with why on error. */
int	 user_list_check(const char *patterns, const char *name, VSTRING *why);

#endif
