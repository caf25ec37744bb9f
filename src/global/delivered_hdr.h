/*
 * delivered_hdr.h - the Delivered-To: values of a queued message, for
 * the mail loop test of the delivery agents. See delivered_hdr.c.
 */
#ifndef DELIVERED_HDR_H
#define DELIVERED_HDR_H

#include "argv.h"
#include "qfile.h"
#include "vstring.h"

#define DELIVERED_HDR_MAX_BYTES	(1024 * 1024)	/* header bytes scanned */
#define DELIVERED_HDR_MAX_COUNT	1000		/* values kept */

int	 delivered_hdr_scan(QF_MSG *, ARGV *, VSTRING *);

#endif
