/*
 * qmgr_route.h - routing configuration (for qmgr_route.c and its test).
 */
#ifndef QMGR_ROUTE_H
#define QMGR_ROUTE_H

#include "vstring.h"

typedef struct QMGR_ROUTE_CONF {
	const char *mydestination;
	const char *relay_domains;
	const char *local_transport;
	const char *relay_transport;
	const char *default_transport;
	const char *relayhost;
	const char *transport_maps;
	const char *delimiter;		/* recipient_delimiter */
	const char *interfaces;		/* inet_interfaces, proxy_interfaces */
	int	 relay_parent;		/* relay_domains matches subdomains */
	const char *virtual_alias_domains;	/* null: none */
	const char *virtual_mailbox_domains;	/* null: none */
	const char *virtual_transport;	/* null: "virtual" */
	const char *relocated_maps;	/* null: none */
	const char *sender_relayhost_maps;	/* null: none */
	const char *sender_transport_maps;	/* null: none */
	const char *empty_relay_key;	/* null: "<>" */
	const char *empty_transport_key;	/* null: "<>" */
} QMGR_ROUTE_CONF;

void	 qmgr_route_config(const QMGR_ROUTE_CONF *);
int	 qmgr_route_parse(const char *, VSTRING *, VSTRING *);
int	 qmgr_route_match(const char *, const char *, int, int *);

#endif
