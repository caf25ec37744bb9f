/*
 * virtual.h - the virtual delivery agent's modules. See virtual.c,
 * virtual_deliver.c.
 */
#ifndef VIRTUAL_H
#define VIRTUAL_H

#include <sys/types.h>

#include "argv.h"
#include "attr.h"
#include "deliver_rcpt.h"
#include "mail_addr_find.h"
#include "mail_copy.h"
#include "qfile.h"
#include "vstream.h"
#include "vstring.h"


/* Parameters, read once per process (virtual.c). */
typedef struct VIRTUAL_CONF {
	const char *queue_dir;
	const char *myhostname;
	const char *base;		/* virtual_mailbox_base */
	const char *delimiter;		/* recipient_delimiter */
	MAIL_ADDR_MAPS *mailbox_maps;	/* virtual_mailbox_maps */
	MAIL_ADDR_MAPS *uid_maps;	/* virtual_uid_maps */
	MAIL_ADDR_MAPS *gid_maps;	/* virtual_gid_maps */
	long long minimum_uid;		/* virtual_minimum_uid */
	long long size_limit;		/* virtual_mailbox_limit */
	MBOX_OPTS mbox;			/* virtual_mailbox_lock and the like */
	long long ipc_timeout;
} VIRTUAL_CONF;

/* One delivery request. */
typedef struct VIRTUAL_REQ {
	DELIVER_REQ dr;
	DELIVER_RCPT *rcpt;
	int	 nrcpt;
	QF_MSG	*msg;
	ARGV	*delivered;		/* Delivered-To: values, lower case */
	double	 start;
	VSTREAM	*client;
	const char *queue_dir;		/* for deliver_record(3) */
} VIRTUAL_REQ;

/* virtual_deliver.c */
void	 virtual_deliver(const VIRTUAL_CONF *, VIRTUAL_REQ *, DELIVER_RCPT *);

#endif
