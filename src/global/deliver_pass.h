/*
 * deliver_pass.h - pass a delivery request (deliver_request.h) on to
 * another delivery agent. See deliver_pass.c.
 */
#ifndef DELIVER_PASS_H
#define DELIVER_PASS_H

#include "attr.h"
#include "vstring.h"

/* One recipient reply of the other agent; -1 ends the conversation. */
typedef int (*DELIVER_PASS_FN)(const ATTR *, void *);

ATTR	*deliver_pass_request(const ATTR *, const char *, const char *, int);
int	 deliver_pass(const char *, const ATTR *, int, int, DELIVER_PASS_FN,
	    void *, VSTRING *);

#endif
