/*
 * deliver_filter.h - delivery_status_filter: a transport's results
 * rewritten by tables. See deliver_filter.c.
 */
#ifndef DELIVER_FILTER_H
#define DELIVER_FILTER_H

int	 deliver_filter(const char *param, const char **dsn, const char **text);

#endif
