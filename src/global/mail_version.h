/*
 * mail_version.h - the build's version, and -V / --version for every program.
 * See mail_version.c.
 */
#ifndef MAIL_VERSION_H
#define MAIL_VERSION_H

const char *mail_version(void);
void	 mail_version_print(const char *);		/* prints, exits 0 */
void	 mail_version_arg(int, char **, const char *);	/* --version: print, exit 0 */

#endif
