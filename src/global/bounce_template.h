/*
 * bounce_template.h - bounce_template_file: the texts of delivery status
 * notifications. See bounce_template.c and bounce(5).
 */
#ifndef BOUNCE_TEMPLATE_H
#define BOUNCE_TEMPLATE_H

#include "vstring.h"

/* Which template. */
#define BOUNCE_TMPL_FAILURE	0	/* failure_template */
#define BOUNCE_TMPL_DELAY	1	/* delay_template */
#define BOUNCE_TMPL_SUCCESS	2	/* success_template */
#define BOUNCE_TMPL_VERIFY	3	/* verify_template */
#define BOUNCE_TMPL_COUNT	4

/* One template as the file gives it; a null member keeps the built-in. */
typedef struct BOUNCE_TEMPLATE {
	char	*charset;		/* Charset: */
	char	*from;			/* From: */
	char	*subject;		/* Subject: */
	char	*pm_subject;		/* Postmaster-Subject: */
	char	*text;			/* message text, $names unexpanded */
} BOUNCE_TEMPLATE;

typedef struct BOUNCE_TEMPLATES BOUNCE_TEMPLATES;

extern const char *const bounce_template_names[BOUNCE_TMPL_COUNT];

BOUNCE_TEMPLATES *bounce_template_load(const char *path, VSTRING *why);
void	 bounce_template_free(BOUNCE_TEMPLATES *);
const BOUNCE_TEMPLATE *bounce_template_get(const BOUNCE_TEMPLATES *, int which);
int	 bounce_template_expand(VSTRING *out, const char *text, VSTRING *why);

#endif
