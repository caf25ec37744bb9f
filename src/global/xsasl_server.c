/*
 * NAME
 *	xsasl_server - SASL server back ends behind one interface
 * SYNOPSIS
 *	#include <xsasl.h>
 *
 *	XSASL_SERVER_IMPL *xsasl_server_init(const char *type,
 *		    const char *path, VSTRING *why);
 *	const char *xsasl_server_types(void);
 *	int	xsasl_sec_parse(const char *opts, VSTRING *why);
 *	int	xsasl_mech_allowed(const char *mech, int sec);
 *	int	xsasl_server_decode(VSTRING *buf, const char *resp,
 *		    int initial, VSTRING *reply);
 *
 *	XSASL_CLIENT *xsasl_client_create(const char *type,
 *		    const XSASL_CLIENT_ARGS *args, VSTRING *why);
 * DESCRIPTION
 *	A back end is a table of functions (xsasl.h), as the lookup tables
 *	are: xsasl_server_init() sets up the back end named by type once per
 *	process (the meaning of path is the back end's: Cyrus's application
 *	name, Dovecot's socket, the credentials table of the built-in
 *	"postern" back end), then impl->create() makes one session per SMTP
 *	connection, whose mechs(), first(), next(), username() and free()
 *	run the exchange. The SMTP side (smtpd_sasl.c) never knows which
 *	back end it talks to.
 *
 *	Back ends: "postern" (xsasl_postern.c: PLAIN and LOGIN against a
 *	table of crypt(3) hashes, no daemon), "cyrus" (xsasl_cyrus.c:
 *	libsasl2 with its plugins, sasldb, saslauthd...), "dovecot"
 *	(xsasl_dovecot.c: Dovecot's authentication protocol over a UNIX or
 *	inet socket).
 *
 *	Challenges and responses cross this interface in their base64 form,
 *	as they appear on the SMTP wire ("=" stands for an empty initial
 *	response, RFC 4954 4); the back end decodes what it must read.
 *
 *	xsasl_client_create() makes a client session for the smtp/lmtp
 *	transport; the only client type is "cyrus" (xsasl_cyrus_client.c),
 *	as in Postfix.
 *
 *	xsasl_server_types() lists the types, for error messages.
 *
 *	xsasl_sec_parse() turns a smtpd_sasl_security_options value
 *	(noplaintext, noactive, nodictionary, noanonymous, forward_secrecy,
 *	mutual_auth; commas or spaces) into XSASL_SEC_* bits.
 *
 *	xsasl_mech_allowed() says whether a mechanism the back end knows by
 *	name only passes those options: PLAIN and LOGIN send the password
 *	(plaintext, dictionary), ANONYMOUS is anonymous, CRAM-MD5 and
 *	DIGEST-MD5 are open to dictionary attacks, the SCRAM family to
 *	nothing the options name. Unknown names are refused when any option
 *	is set.
 *
 *	xsasl_server_decode() decodes a client's base64 response (initial
 *	or continued) into buf for the back ends that read it (cyrus,
 *	postern): "=" as an initial response is empty.
 * DIAGNOSTICS
 *	xsasl_server_decode() returns 0, or -1 with the SMTP reply text
 *	("Invalid base64 data in initial response", or continued) in reply.
 *	xsasl_server_init() returns null with a reason in why (unknown type,
 *	back end not usable). xsasl_sec_parse() returns -1 with a reason for
 *	an unknown option.
 */
#include <string.h>
#include <strings.h>

#include "argv.h"
#include "base64.h"
#include "msg.h"
#include "xsasl.h"

static const struct {
	const char *type;
	XSASL_SERVER_IMPL *(*init)(const char *, VSTRING *);
} xsasl_server_table[] = {
	{"postern", xsasl_postern_init},
	{"cyrus", xsasl_cyrus_init},
	{"dovecot", xsasl_dovecot_init},
	{NULL, NULL},
};

XSASL_SERVER_IMPL *
xsasl_server_init(const char *type, const char *path, VSTRING *why)
{
	for (int i = 0; xsasl_server_table[i].type; i++)
		if (strcasecmp(xsasl_server_table[i].type, type) == 0)
			return xsasl_server_table[i].init(path, why);
	vstring_sprintf(why, "unsupported SASL server implementation: %s "
	    "(supported: %s)", type, xsasl_server_types());
	return NULL;
}

XSASL_CLIENT *
xsasl_client_create(const char *type, const XSASL_CLIENT_ARGS *args,
    VSTRING *why)
{
	if (strcasecmp(type, "cyrus") == 0)
		return xsasl_cyrus_client_create(args, why);
	vstring_sprintf(why, "unsupported SASL client implementation: %s "
	    "(supported: cyrus)", type);
	return NULL;
}

const char *
xsasl_server_types(void)
{
	return "postern cyrus dovecot";
}

static const struct {
	const char *name;
	int	 bit;
} xsasl_sec_names[] = {
	{"noplaintext", XSASL_SEC_NOPLAINTEXT},
	{"noactive", XSASL_SEC_NOACTIVE},
	{"nodictionary", XSASL_SEC_NODICTIONARY},
	{"noanonymous", XSASL_SEC_NOANONYMOUS},
	{"forward_secrecy", XSASL_SEC_FORWARD},
	{"mutual_auth", XSASL_SEC_MUTUAL},
	{NULL, 0},
};

int
xsasl_sec_parse(const char *opts, VSTRING *why)
{
	ARGV	*words = argv_split(opts, ", \t\r\n");
	int	 sec = 0, k;

	for (size_t i = 0; i < words->argc; i++) {
		for (k = 0; xsasl_sec_names[k].name; k++)
			if (strcasecmp(words->argv[i], xsasl_sec_names[k].name) == 0)
				break;
		if (xsasl_sec_names[k].name == NULL) {
			vstring_sprintf(why, "unknown SASL security option: \"%s\"",
			    words->argv[i]);
			argv_free(words);
			return -1;
		}
		sec |= xsasl_sec_names[k].bit;
	}
	argv_free(words);
	return sec;
}

int
xsasl_mech_allowed(const char *mech, int sec)
{
	if (strcasecmp(mech, "PLAIN") == 0 || strcasecmp(mech, "LOGIN") == 0)
		return !(sec & (XSASL_SEC_NOPLAINTEXT | XSASL_SEC_NODICTIONARY |
		    XSASL_SEC_FORWARD | XSASL_SEC_MUTUAL));
	if (strcasecmp(mech, "ANONYMOUS") == 0)
		return !(sec & (XSASL_SEC_NOANONYMOUS | XSASL_SEC_FORWARD |
		    XSASL_SEC_MUTUAL));
	if (strcasecmp(mech, "CRAM-MD5") == 0 ||
	    strcasecmp(mech, "DIGEST-MD5") == 0)
		return !(sec & (XSASL_SEC_NODICTIONARY | XSASL_SEC_FORWARD));
	if (strncasecmp(mech, "SCRAM-", 6) == 0)
		return !(sec & XSASL_SEC_FORWARD);
	return sec == 0;
}

int
xsasl_server_decode(VSTRING *buf, const char *resp, int initial,
    VSTRING *reply)
{
	if (initial && strcmp(resp, "=") == 0) {
		vstring_reset(buf);
		return 0;
	}
	if (base64_decode(buf, resp, strlen(resp)) < 0) {
		vstring_sprintf(reply, "Invalid base64 data in %s response",
		    initial ? "initial" : "continued");
		return -1;
	}
	return 0;
}
