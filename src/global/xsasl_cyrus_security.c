/*
 * NAME
 *	xsasl_cyrus_security - Cyrus SASL security properties of a session
 * SYNOPSIS
 *	#include "xsasl_cyrus_priv.h"
 *
 *	int xsasl_cyrus_security(sasl_conn_t *conn, int sec);
 * DESCRIPTION
 *	The one mapping of XSASL_SEC_* options (smtpd_sasl_security_options,
 *	smtp_sasl_security_options and their TLS variants, parsed by
 *	xsasl_server(3)) to Cyrus SASL's SASL_SEC_* flags, for the server
 *	(xsasl_cyrus.c) and the client (xsasl_cyrus_client.c) back ends.
 *	xsasl_cyrus_security() sets them on conn with no SASL security
 *	layer (max_ssf 0): a session is protected by TLS or not at all.
 * DIAGNOSTICS
 *	The result of sasl_setprop(): SASL_OK, or a library error (the
 *	caller reports sasl_errdetail()).
 */
#include <string.h>

#include "xsasl.h"
#include "xsasl_cyrus_priv.h"

int
xsasl_cyrus_security(sasl_conn_t *conn, int sec)
{
	static const struct {
		int	 xsasl;
		unsigned sasl;
	} map[] = {
		{ XSASL_SEC_NOPLAINTEXT, SASL_SEC_NOPLAINTEXT },
		{ XSASL_SEC_NOACTIVE, SASL_SEC_NOACTIVE },
		{ XSASL_SEC_NODICTIONARY, SASL_SEC_NODICTIONARY },
		{ XSASL_SEC_NOANONYMOUS, SASL_SEC_NOANONYMOUS },
		{ XSASL_SEC_FORWARD, SASL_SEC_FORWARD_SECRECY },
		{ XSASL_SEC_MUTUAL, SASL_SEC_MUTUAL_AUTH },
	};
	sasl_security_properties_t props;
	size_t	 i;

	memset(&props, 0, sizeof(props));
	props.max_ssf = 0;
	props.maxbufsize = 0;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (sec & map[i].xsasl)
			props.security_flags |= map[i].sasl;
	return sasl_setprop(conn, SASL_SEC_PROPS, &props);
}
