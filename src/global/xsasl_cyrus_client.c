/*
 * NAME
 *	xsasl_cyrus_client - SASL client through Cyrus SASL (libsasl2)
 * SYNOPSIS
 *	#include <xsasl.h>
 *
 *	XSASL_CLIENT *xsasl_cyrus_client_create(const XSASL_CLIENT_ARGS *args,
 *		    VSTRING *why);
 * DESCRIPTION
 *	One client session of the smtp/lmtp transport: the library picks
 *	the best mechanism among those the server offers that the security
 *	options allow (args->sec as SASL_SEC_* flags: with Postfix's default
 *	"noplaintext, noanonymous", PLAIN and LOGIN are refused), and the
 *	user name and password (from smtp_sasl_password_maps) are handed
 *	to it through callbacks. sasl_client_init() runs once per process.
 *	No SASL security layer is negotiated (xsasl_cyrus_security(3)).
 * DIAGNOSTICS
 *	first() fails with "no mechanism available" when none fits, next()
 *	with the library's error text. Credentials are never logged.
 */
#include <string.h>

#include <sasl/sasl.h>

#include "base64.h"
#include "msg.h"
#include "mymalloc.h"
#include "xsasl.h"
#include "xsasl_cyrus_priv.h"

typedef struct XCC_CLIENT {
	XSASL_CLIENT client;
	sasl_conn_t *conn;
	sasl_callback_t callbacks[4];
	char	*user;
	sasl_secret_t *secret;
	VSTRING	*buf;
} XCC_CLIENT;

static int xcc_initialized;

static int
xcc_get_user(void *context, int id, const char **result, unsigned *len)
{
	XCC_CLIENT *c = context;

	if (id != SASL_CB_USER && id != SASL_CB_AUTHNAME)
		return SASL_FAIL;
	*result = c->user;
	if (len)
		*len = (unsigned)strlen(c->user);
	return SASL_OK;
}

static int
xcc_get_pass(sasl_conn_t *conn, void *context, int id, sasl_secret_t **psecret)
{
	XCC_CLIENT *c = context;

	if (id != SASL_CB_PASS)
		return SASL_FAIL;
	*psecret = c->secret;
	return SASL_OK;
}

static int
xcc_first(XSASL_CLIENT *xc, const char *mechs, const char **mech,
    VSTRING *init, int *has_init, VSTRING *why)
{
	XCC_CLIENT *c = (XCC_CLIENT *)xc;
	sasl_interact_t *interact = NULL;
	const char *out = NULL;
	unsigned outlen = 0;
	int	 r;

	*has_init = 0;
	r = sasl_client_start(c->conn, mechs, &interact, &out, &outlen, mech);
	if (r != SASL_OK && r != SASL_CONTINUE) {
		if (r == SASL_NOMECH)
			vstring_strcpy(why, "no mechanism available");
		else
			vstring_strcpy(why, sasl_errdetail(c->conn));
		return XSASL_AUTH_FAIL;
	}
	if (out != NULL) {
		*has_init = 1;
		if (outlen == 0)
			vstring_strcpy(init, "=");
		else
			base64_encode(init, out, outlen);
	}
	return XSASL_AUTH_MORE;
}

static int
xcc_next(XSASL_CLIENT *xc, const char *challenge, VSTRING *resp, VSTRING *why)
{
	XCC_CLIENT *c = (XCC_CLIENT *)xc;
	sasl_interact_t *interact = NULL;
	const char *out = NULL;
	unsigned outlen = 0;
	int	 r;

	if (base64_decode(c->buf, challenge, strlen(challenge)) < 0) {
		vstring_strcpy(why, "malformed SASL challenge from server");
		return XSASL_AUTH_FAIL;
	}
	r = sasl_client_step(c->conn, vstring_str(c->buf),
	    (unsigned)vstring_len(c->buf), &interact, &out, &outlen);
	if (r != SASL_OK && r != SASL_CONTINUE) {
		vstring_strcpy(why, sasl_errdetail(c->conn));
		return XSASL_AUTH_FAIL;
	}
	base64_encode(resp, out ? out : "", out ? outlen : 0);
	return XSASL_AUTH_MORE;
}

static void
xcc_free(XSASL_CLIENT *xc)
{
	XCC_CLIENT *c = (XCC_CLIENT *)xc;

	sasl_dispose(&c->conn);
	memset(c->secret->data, 0, c->secret->len);
	myfree(c->secret);
	myfree(c->user);
	vstring_free(c->buf);
	myfree(c);
}

XSASL_CLIENT *
xsasl_cyrus_client_create(const XSASL_CLIENT_ARGS *a, VSTRING *why)
{
	XCC_CLIENT *c;
	size_t	 plen = strlen(a->password);
	int	 r;

	if (!xcc_initialized) {
		if ((r = sasl_client_init(NULL)) != SASL_OK) {
			vstring_sprintf(why, "Cyrus SASL client initialization: %s",
			    sasl_errstring(r, NULL, NULL));
			return NULL;
		}
		xcc_initialized = 1;
	}
	c = mycalloc(1, sizeof(*c));
	c->client.first = xcc_first;
	c->client.next = xcc_next;
	c->client.free = xcc_free;
	c->user = mystrdup(a->user);
	c->secret = mymalloc(sizeof(sasl_secret_t) + plen);
	c->secret->len = plen;
	memcpy(c->secret->data, a->password, plen + 1);
	c->buf = vstring_alloc(100);
	c->callbacks[0] = (sasl_callback_t){SASL_CB_USER, XSASL_CYRUS_CB(xcc_get_user), c};
	c->callbacks[1] = (sasl_callback_t){SASL_CB_AUTHNAME, XSASL_CYRUS_CB(xcc_get_user), c};
	c->callbacks[2] = (sasl_callback_t){SASL_CB_PASS, XSASL_CYRUS_CB(xcc_get_pass), c};
	c->callbacks[3] = (sasl_callback_t){SASL_CB_LIST_END, NULL, NULL};
	r = sasl_client_new(a->service, a->server_name,
	    *a->client_addr ? a->client_addr : NULL,
	    *a->server_addr ? a->server_addr : NULL, c->callbacks, 0, &c->conn);
	if (r != SASL_OK) {
		vstring_sprintf(why, "per-session SASL client initialization: %s",
		    sasl_errstring(r, NULL, NULL));
		c->conn = NULL;
		xcc_free(&c->client);
		return NULL;
	}
	if (xsasl_cyrus_security(c->conn, a->sec) != SASL_OK) {
		vstring_sprintf(why, "SASL client security setup: %s",
		    sasl_errdetail(c->conn));
		xcc_free(&c->client);
		return NULL;
	}
	return &c->client;
}
