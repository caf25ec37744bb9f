/*
 * xsasl_cyrus_priv.h - what the Cyrus SASL server and client back ends
 * (xsasl_cyrus.c, xsasl_cyrus_client.c) share. See xsasl_cyrus_security.c.
 */
#ifndef XSASL_CYRUS_PRIV_H
#define XSASL_CYRUS_PRIV_H

#include <sasl/sasl.h>

/* The library declares callbacks as int (*)(void); cast through the generic type. */
typedef int (*XSASL_CYRUS_CB_FN)(void);

#define XSASL_CYRUS_CB(fn)	((XSASL_CYRUS_CB_FN)(void (*)(void))(fn))

int	 xsasl_cyrus_security(sasl_conn_t *, int);

#endif
