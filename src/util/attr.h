/*
 * attr.h - attribute lists and their framing for IPC. See attr.c.
 *
 * Wire format: "name=value\n" lines ended by an empty line. Names are
 * [A-Za-z0-9_]+. Values escape '%', CR, LF, NUL and other control bytes
 * as %XX. Names may repeat (groups, such as one per recipient).
 */
#ifndef ATTR_H
#define ATTR_H

#include <stddef.h>

#include "vstream.h"

#define ATTR_MAX_COUNT	4096		/* attributes per request */
#define ATTR_MAX_VALUE	65536		/* bytes per decoded value */

typedef struct ATTR {
	size_t	 count;
	size_t	 size;
	char	**name;
	char	**value;
} ATTR;

ATTR	*attr_alloc(void);
void	 attr_free(ATTR *);
void	 attr_reset(ATTR *);
void	 attr_add(ATTR *, const char *, const char *);
void	 attr_addf(ATTR *, const char *, const char *, ...) PRINTFLIKE(3, 4);
void	 attr_add_long(ATTR *, const char *, long long);
const char *attr_get(const ATTR *, const char *);
const char *attr_get_from(const ATTR *, const char *, size_t *);
long long attr_get_long(const ATTR *, const char *, long long);
int	 attr_write(VSTREAM *, const ATTR *);
int	 attr_write_buffered(VSTREAM *, const ATTR *);
int	 attr_read(VSTREAM *, ATTR *);

/*
 * attr_get_from(a, name, &pos): find name at index >= pos, set pos past it;
 * iterate repeated attributes with pos starting at 0.
 * attr_write() flushes the stream; both return 0 on success, -1 on error,
 * end of file, timeout, a bound exceeded or malformed input.
 */

#endif
