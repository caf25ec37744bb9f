/*
 * rfc822_hdr.h - message header sections: parsing, editing, and the
 * fields an MTA adds (Received, Date, Message-ID, From). See rfc822_hdr.c.
 */
#ifndef RFC822_HDR_H
#define RFC822_HDR_H

#include <sys/types.h>
#include <time.h>

#include "argv.h"
#include "vstring.h"

/* rfc822_hdrs_line() results. */
#define RFC822_HDR_MORE	0	/* consumed; header continues */
#define RFC822_HDR_END	1	/* empty line: header ended, line consumed */
#define RFC822_HDR_BODY	2	/* not a header line: header ended, the line is body */

typedef struct RFC822_HDRS {
	ARGV	*fields;		/* logical fields, folded lines joined with "\n" */
	size_t	 size;			/* bytes held */
	size_t	 field_limit;		/* header_size_limit */
	size_t	 total_limit;		/* all fields together */
	int	 truncated;		/* a field exceeded field_limit */
	int	 done;
} RFC822_HDRS;

RFC822_HDRS *rfc822_hdrs_alloc(size_t, size_t);
void	 rfc822_hdrs_free(RFC822_HDRS *);
int	 rfc822_hdrs_line(RFC822_HDRS *, const char *, size_t);
const char *rfc822_hdrs_find(const RFC822_HDRS *, const char *);
int	 rfc822_hdrs_remove(RFC822_HDRS *, const char *);
void	 rfc822_hdrs_append(RFC822_HDRS *, const char *);
void	 rfc822_hdrs_prepend(RFC822_HDRS *, const char *);
VSTRING	*rfc822_hdrs_text(VSTRING *, const RFC822_HDRS *);

size_t	 rfc822_hdr_name_len(const char *, size_t);	/* 0: not a header line */
int	 rfc822_hdr_is(const char *, const char *);
const char *rfc822_hdr_value(const char *);

/* Fields an MTA adds. */
VSTRING	*rfc822_hdr_date(VSTRING *, time_t);
VSTRING	*rfc822_hdr_message_id(VSTRING *, const char *, const char *, time_t);
VSTRING	*rfc822_hdr_phrase(VSTRING *, const char *);
VSTRING	*rfc822_hdr_received_local(VSTRING *, const char *, uid_t, const char *, time_t);
VSTRING	*rfc822_hdr_received_smtp(VSTRING *, const char *, const char *,
	    const char *, const char *, const char *, const char *, const char *, time_t);

#endif
