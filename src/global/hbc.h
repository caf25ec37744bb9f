/*
 * hbc.h - header and body checks (header_checks, mime_header_checks,
 * nested_header_checks, body_checks and the smtp_* family). See hbc.c.
 */
#ifndef HBC_H
#define HBC_H

#include "vstring.h"

/* What is being checked (the first three are MIME_HDR_* classes). */
#define HBC_HEADER	0
#define HBC_MIME	1
#define HBC_NESTED	2
#define HBC_BODY	3
#define HBC_NCLASS	4

/* Actions. */
#define HBC_DUNNO	0	/* no match, DUNNO or OK */
#define HBC_REJECT	1
#define HBC_DEFER	2
#define HBC_DISCARD	3
#define HBC_HOLD	4
#define HBC_IGNORE	5
#define HBC_INFO	6
#define HBC_WARN	7
#define HBC_PREPEND	8
#define HBC_REPLACE	9
#define HBC_REDIRECT	10
#define HBC_BCC		11
#define HBC_FILTER	12
#define HBC_STRIP	13
#define HBC_ERROR	14	/* table lookup failed: defer */

typedef struct HBC HBC;

typedef struct HBC_RESULT {
	int	 action;
	const char *name;	/* lower-case action name for logs: "reject" */
	const char *text;	/* text after the action word ("" if none) */
} HBC_RESULT;

HBC	*hbc_create(const char *header, const char *mime, const char *nested,
	    const char *body);
void	 hbc_free(HBC *);
int	 hbc_enabled(const HBC *, int cls);
int	 hbc_header_class(int cls, const char *field);
const char *hbc_class_name(int cls);	/* "header", ..., "body" for logs */
int	 hbc_check(HBC *, int cls, const char *line, HBC_RESULT *);
int	 hbc_parse(const char *value, HBC_RESULT *);
VSTRING	*hbc_reply(VSTRING *, const HBC_RESULT *);
void	 hbc_log(const char *id, const HBC_RESULT *, const char *where,
	    const char *line, const char *context);

#endif
