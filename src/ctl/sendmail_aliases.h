/*
 * sendmail_aliases.h - newaliases, sendmail -bi. See sendmail_aliases.c.
 */
#ifndef SENDMAIL_ALIASES_H
#define SENDMAIL_ALIASES_H

int	 sendmail_newaliases(int, char **);	/* exit status */

#endif
