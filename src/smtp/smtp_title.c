/*
 * NAME
 *	smtp_title - progress in the process title
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void smtp_title_init(int argc, char **argv);
 *	void smtp_title(const char *fmt, ...);
 * DESCRIPTION
 *	ZMailer's -s: the client shows what it is doing (connecting,
 *	greeting, MAIL, DATA to which host) where ps(1) looks, when
 *	smtp_progress_title = yes.
 *
 *	smtp_title_init() must run in main() before anything else uses
 *	argv: it moves the argument strings to the heap (argv[] then points
 *	at the copies, so option parsing is unaffected) and keeps the
 *	original contiguous argument area, whose bytes become the title.
 *	The title is truncated to that area; the environment is not
 *	touched.
 * DIAGNOSTICS
 *	None.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mymalloc.h"
#include "smtp.h"

static char *smtp_title_area;
static size_t smtp_title_len;
static char smtp_title_prog[32] = "smtp";

void
smtp_title_init(int argc, char **argv)
{
	char	*end;
	const char *base;
	int	 i;

	if (argc < 1 || argv[0] == NULL)
		return;
	base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	snprintf(smtp_title_prog, sizeof(smtp_title_prog), "%s", base);
	end = argv[0];
	for (i = 0; i < argc; i++) {
		if (argv[i] != end)
			break;		/* not contiguous: stop here */
		end = argv[i] + strlen(argv[i]) + 1;
	}
	smtp_title_area = argv[0];
	smtp_title_len = end - argv[0];
	for (i = 0; i < argc; i++)
		argv[i] = mystrdup(argv[i]);
}

void
smtp_title(const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (smtp_title_area == NULL || smtp_title_len < 2 || !smtp_cf.title)
		return;
	memset(smtp_title_area, 0, smtp_title_len);
	n = snprintf(smtp_title_area, smtp_title_len, "%s: ", smtp_title_prog);
	if (n < 0 || (size_t)n >= smtp_title_len)
		return;
	va_start(ap, fmt);
	vsnprintf(smtp_title_area + n, smtp_title_len - n, fmt, ap);
	va_end(ap);
}
