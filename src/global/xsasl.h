/*
 * xsasl.h - one interface to the SASL authentication back ends (server
 * side): postern (built-in table), cyrus (libsasl2), dovecot (auth
 * protocol). See xsasl_server.c.
 */
#ifndef XSASL_H
#define XSASL_H

#include "vstring.h"

/* Results of first() and next(); reply says more. */
#define XSASL_AUTH_DONE	0	/* authenticated */
#define XSASL_AUTH_MORE	1	/* reply: base64 challenge to send as 334 */
#define XSASL_AUTH_FAIL	2	/* reply: why (bad credentials, bad data) */
#define XSASL_AUTH_TEMP	3	/* reply: why (back end unreachable, broken) */

/* Security option bits (smtpd_sasl_security_options). */
#define XSASL_SEC_NOPLAINTEXT	(1 << 0)
#define XSASL_SEC_NOACTIVE	(1 << 1)
#define XSASL_SEC_NODICTIONARY	(1 << 2)
#define XSASL_SEC_NOANONYMOUS	(1 << 3)
#define XSASL_SEC_FORWARD	(1 << 4)
#define XSASL_SEC_MUTUAL	(1 << 5)

/* Per-session arguments of create(). */
typedef struct XSASL_SERVER_ARGS {
	const char *service;		/* smtpd_sasl_service */
	const char *realm;		/* smtpd_sasl_local_domain, or "" */
	const char *client_addr;	/* numeric, or "" */
	int	 client_port;
	const char *server_addr;	/* numeric, or "" */
	int	 server_port;
	int	 sec;			/* XSASL_SEC_* */
	int	 tls;			/* the session is encrypted */
} XSASL_SERVER_ARGS;

/* One authentication session (one SMTP connection). */
typedef struct XSASL_SERVER XSASL_SERVER;
struct XSASL_SERVER {
	/* Space-separated mechanism names, or null with why. */
	const char *(*mechs)(XSASL_SERVER *, VSTRING *why);
	/* init: decoded-from-SMTP initial response (base64), or null. */
	int	(*first)(XSASL_SERVER *, const char *mech, const char *init,
		    VSTRING *reply);
	int	(*next)(XSASL_SERVER *, const char *resp, VSTRING *reply);
	/* The authenticated (or last attempted) user name, or null. */
	const char *(*username)(XSASL_SERVER *);
	void	(*free)(XSASL_SERVER *);
};

/* One back end, set up once per process. */
typedef struct XSASL_SERVER_IMPL XSASL_SERVER_IMPL;
struct XSASL_SERVER_IMPL {
	XSASL_SERVER *(*create)(XSASL_SERVER_IMPL *, const XSASL_SERVER_ARGS *);
	void	(*done)(XSASL_SERVER_IMPL *);
};

XSASL_SERVER_IMPL *xsasl_server_init(const char *type, const char *path,
	    VSTRING *why);

/* Client side (smtp/lmtp): one session per server connection. */
typedef struct XSASL_CLIENT_ARGS {
	const char *service;		/* "smtp" */
	const char *server_name;	/* the server's host name */
	const char *server_addr;	/* "addr;port", or "" */
	const char *client_addr;	/* "addr;port", or "" */
	const char *user;
	const char *password;
	int	 sec;			/* XSASL_SEC_* */
} XSASL_CLIENT_ARGS;

typedef struct XSASL_CLIENT XSASL_CLIENT;
struct XSASL_CLIENT {
	/*
	 * Choose a mechanism among mechs (space-separated); *mech is set,
	 * init receives the base64 initial response and *has_init says
	 * whether there is one. XSASL_AUTH_MORE when the exchange can
	 * start, XSASL_AUTH_FAIL with why when it cannot.
	 */
	int	(*first)(XSASL_CLIENT *, const char *mechs, const char **mech,
		    VSTRING *init, int *has_init, VSTRING *why);
	/* Answer a base64 challenge with a base64 response. */
	int	(*next)(XSASL_CLIENT *, const char *challenge, VSTRING *resp,
		    VSTRING *why);
	void	(*free)(XSASL_CLIENT *);
};

XSASL_CLIENT *xsasl_client_create(const char *type,
	    const XSASL_CLIENT_ARGS *, VSTRING *why);
XSASL_CLIENT *xsasl_cyrus_client_create(const XSASL_CLIENT_ARGS *, VSTRING *);
const char *xsasl_server_types(void);
int	 xsasl_sec_parse(const char *opts, VSTRING *why);
int	 xsasl_mech_allowed(const char *mech, int sec);
int	 xsasl_server_decode(VSTRING *, const char *, int, VSTRING *);

/* The back ends (xsasl_<type>.c). */
XSASL_SERVER_IMPL *xsasl_postern_init(const char *, VSTRING *);
XSASL_SERVER_IMPL *xsasl_cyrus_init(const char *, VSTRING *);
XSASL_SERVER_IMPL *xsasl_dovecot_init(const char *, VSTRING *);

#endif
