/*
 * unix_pass.h - pass an open descriptor over a UNIX socket. See unix_pass.c.
 */
#ifndef UNIX_PASS_H
#define UNIX_PASS_H

int	 unix_pass_send(int, int);
int	 unix_pass_recv(int, int);

#endif
