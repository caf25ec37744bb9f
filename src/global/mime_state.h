/*
 * mime_state.h - MIME-aware classification of message lines. See
 * mime_state.c.
 */
#ifndef MIME_STATE_H
#define MIME_STATE_H

#include <stddef.h>

#include "vstring.h"

/* Header classes (which *_header_checks apply). */
#define MIME_HDR_PRIMARY	0	/* the message header: header_checks */
#define MIME_HDR_MULTIPART	1	/* a MIME part: mime_header_checks */
#define MIME_HDR_NESTED		2	/* an attached message: nested_header_checks */

/* Options. */
#define MIME_OPT_DISABLE_MIME	(1 << 0)	/* disable_mime_input_processing */
#define MIME_OPT_8BIT_HEADER	(1 << 1)	/* report 8-bit header data */
#define MIME_OPT_8BIT_BODY	(1 << 2)	/* report 8-bit in 7bit parts */

/* Errors found (mime_state_errors()); the message goes on regardless. */
#define MIME_ERR_NESTING	(1 << 0)	/* mime_nesting_limit exceeded */
#define MIME_ERR_TRUNC_HEADER	(1 << 1)	/* header field over the limit */
#define MIME_ERR_8BIT_IN_HEADER	(1 << 2)
#define MIME_ERR_8BIT_IN_7BIT_BODY (1 << 3)

typedef struct MIME_STATE MIME_STATE;

/*
 * Output. head_out gets one logical header field (folded lines joined
 * by "\n", no final newline) and may change or drop it; head_end marks
 * the end of the primary header (before the empty line, which goes to
 * body_out like every other line that is not part of a header). eol is
 * 0 for a piece of a longer line. Each returns 0, or -1 to stop (the
 * caller has decided the message's fate; later input is ignored).
 */
typedef int (*MIME_HEAD_FN)(void *, int cls, VSTRING *field);
typedef int (*MIME_END_FN)(void *);
typedef int (*MIME_BODY_FN)(void *, const char *line, size_t len, int eol);

MIME_STATE *mime_state_alloc(int opts, size_t hdr_limit, int nest_limit,
	    size_t boundary_limit, MIME_HEAD_FN, MIME_END_FN, MIME_BODY_FN,
	    void *ctx);
void	 mime_state_free(MIME_STATE *);
int	 mime_state_update(MIME_STATE *, const char *line, size_t len, int eol);
int	 mime_state_finish(MIME_STATE *);
int	 mime_state_errors(const MIME_STATE *);
const char *mime_state_error_text(int errors);
long long mime_state_part_offset(const MIME_STATE *);	/* body bytes this part */

#endif
