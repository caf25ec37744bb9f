/*
 * NAME
 *	mail_version - the build's version; -V and --version
 * SYNOPSIS
 *	#include <mail_version.h>
 *
 *	const char *mail_version(void);
 *	void	mail_version_print(const char *program);
 *	void	mail_version_arg(int argc, char **argv, const char *program);
 * DESCRIPTION
 *	mail_version() returns the version this binary was built from: the
 *	release in the top-level VERSION file and, when the tree was a git
 *	checkout, "+g" and the revision ("0.1+g71ecd66", with "-dirty" for
 *	uncommitted changes). src/global/Makefile.in computes it at every
 *	build (DEF_MAIL_VERSION); it is also the default of the mail_version
 *	parameter, which the master logs at start ("daemon started --
 *	version ...") as Postfix does.
 *
 *	mail_version_print() writes "program (Postern) version" on standard
 *	output and exits with status 0: the answer of every command and
 *	daemon to -V (as ZMailer's programs do) and to --version.
 *
 *	mail_version_arg() calls mail_version_print() when argv[1] is
 *	"--version"; each program calls it before getopt(3), which would
 *	refuse the long option, and handles -V in its own option loop
 *	(sendmail(1), where -V takes an ENVID, only when -V is alone).
 * DIAGNOSTICS
 *	None.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail_version.h"

#ifndef DEF_MAIL_VERSION
#define DEF_MAIL_VERSION	"unknown"
#endif

const char *
mail_version(void)
{
	return DEF_MAIL_VERSION;
}

void
mail_version_print(const char *program)
{
	printf("%s (Postern) %s\n", program, mail_version());
	fflush(stdout);
	exit(0);
}

void
mail_version_arg(int argc, char **argv, const char *program)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		mail_version_print(program);
}
