/*
 * NAME
 *	xsasl_postern - built-in SASL back end: PLAIN and LOGIN against a table
 * SYNOPSIS
 *	#include <xsasl.h>
 *
 *	XSASL_SERVER_IMPL *xsasl_postern_init(const char *tables, VSTRING *why);
 * DESCRIPTION
 *	For hosts that want no SASL daemon, as OpenSMTPD's credentials
 *	tables: tables (smtpd_sasl_password_maps) is a list of type:name
 *	lookup tables whose lines are "user  hash", the hash a crypt(3)
 *	string such as smtpctl encrypt prints (SHA-512, "$6$..."). Only
 *	PLAIN (RFC 4616) and LOGIN are offered, and only when the security
 *	options allow plaintext mechanisms (smtpd_sasl_security_options
 *	noplaintext leaves this back end without mechanisms, so AUTH is
 *	not offered; smtpd_tls_auth_only or a TLS-only service is the usual
 *	way to protect the password).
 *
 *	The user name is looked up as given; when smtpd_sasl_local_domain
 *	(the realm) is set and the name has no "@", "name@realm" is looked
 *	up first. A PLAIN authorization identity must be empty or equal the
 *	authentication identity. An unknown user costs the same crypt(3)
 *	work as a known one, so that timing does not reveal which names
 *	exist, and both get the same answer.
 *
 *	Bounds: user names of at most 255 bytes, passwords of at most 1024;
 *	no NUL bytes inside either.
 * DIAGNOSTICS
 *	first()/next() return XSASL_AUTH_FAIL with "authentication failure"
 *	for bad credentials, "Invalid authentication mechanism" for another
 *	mechanism, "Invalid base64 data in initial response" (or continued
 *	response) and "Invalid authentication data" for malformed data;
 *	XSASL_AUTH_TEMP when a table lookup fails. Entries that are not
 *	crypt(3) hashes are refused with a warning naming the user, never
 *	compared as plain text. Passwords are never logged.
 */
#include <crypt.h>
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "mail_addr_find.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "xsasl.h"

#define XP_USER_MAX	255
#define XP_PASS_MAX	1024

/* A well-formed hash to burn the same time on for unknown users. */
#define XP_DUMMY_HASH	"$6$pOsTeRnDuMmYsAlT$"

typedef struct XP_IMPL {
	XSASL_SERVER_IMPL impl;
	MAIL_ADDR_MAPS *maps;		/* smtpd_sasl_password_maps */
} XP_IMPL;

typedef struct XP_SERVER {
	XSASL_SERVER server;
	XP_IMPL *impl;
	int	 sec;
	char	*realm;
	int	 login_step;		/* LOGIN: 1 want user, 2 want password */
	VSTRING	*user;
	VSTRING	*buf;
	char	*username;		/* authenticated */
} XP_SERVER;

static const char *
xp_mechs(XSASL_SERVER *xs, VSTRING *why)
{
	XP_SERVER *s = (XP_SERVER *)xs;

	if (!xsasl_mech_allowed("PLAIN", s->sec)) {
		vstring_strcpy(why, "the postern back end offers only PLAIN and "
		    "LOGIN, which the SASL security options exclude");
		return NULL;
	}
	return "PLAIN LOGIN";
}

/* Equal strings in time that depends on the length of a only. */
static int
xp_same(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)(i < lb ? b[i] : 0);
	return d == 0;
}

static const char *
xp_lookup(XP_SERVER *s, const char *user, int *err)
{
	VSTRING	*key;
	const char *val = NULL;

	*err = 0;
	if (*s->realm && strchr(user, '@') == NULL) {
		key = vstring_alloc(100);
		vstring_sprintf(key, "%s@%s", user, s->realm);
		val = dict_get_list(s->impl->maps->dicts, s->impl->maps->ndict,
		    vstring_str(key), err);
		vstring_free(key);
	}
	if (val == NULL && *err == 0)
		val = dict_get_list(s->impl->maps->dicts, s->impl->maps->ndict, user, err);
	return val;
}

/* Check user/password; reply says why not. */
static int
xp_verify(XP_SERVER *s, const char *user, const char *pass, VSTRING *reply)
{
	struct crypt_data *cd;
	const char *val, *out;
	char	*hash;
	int	 err, ok;

	val = xp_lookup(s, user, &err);
	if (err) {
		msg_warn("%s lookup error for SASL user \"%.100s\"",
		    "smtpd_sasl_password_maps", user);
		vstring_strcpy(reply, "Temporary lookup failure");
		return XSASL_AUTH_TEMP;
	}
	hash = mystrndup(val ? val + strspn(val, " \t") : XP_DUMMY_HASH,
	    val ? strcspn(val + strspn(val, " \t"), " \t") : strlen(XP_DUMMY_HASH));
	if (val && *hash != '$') {
		msg_warn("smtpd_sasl_password_maps: entry for \"%.100s\" is not "
		    "a crypt(3) hash (make one with smtpctl encrypt)", user);
		val = NULL;
	}
	cd = mycalloc(1, sizeof(*cd));
	out = crypt_r(pass, *hash == '$' ? hash : XP_DUMMY_HASH, cd);
	ok = val != NULL && out != NULL && *out != '*' && xp_same(out, hash);
	memset(cd, 0, sizeof(*cd));
	myfree(cd);
	myfree(hash);
	if (!ok) {
		vstring_strcpy(reply, "authentication failure");
		return XSASL_AUTH_FAIL;
	}
	myfree(s->username);
	s->username = mystrdup(user);
	return XSASL_AUTH_DONE;
}

static int
xp_bad_data(VSTRING *reply)
{
	vstring_strcpy(reply, "Invalid authentication data");
	return XSASL_AUTH_FAIL;
}

/* PLAIN: authzid NUL authcid NUL passwd. */
static int
xp_plain(XP_SERVER *s, VSTRING *reply)
{
	const char *p = vstring_str(s->buf), *end = vstring_end(s->buf);
	const char *authz, *user, *pass;
	int	 r;

	authz = p;
	if ((p = memchr(p, 0, end - p)) == NULL || p == end)
		return xp_bad_data(reply);
	user = ++p;
	if ((p = memchr(p, 0, end - p)) == NULL)
		return xp_bad_data(reply);
	pass = ++p;
	if (memchr(pass, 0, end - pass) || *user == 0 ||
	    strlen(user) > XP_USER_MAX || end - pass > XP_PASS_MAX)
		return xp_bad_data(reply);
	vstring_strcpy(s->user, user);
	if (*authz && strcmp(authz, user) != 0) {
		vstring_strcpy(reply, "authentication failure");
		r = XSASL_AUTH_FAIL;
	} else
		r = xp_verify(s, user, pass, reply);
	memset(vstring_str(s->buf), 0, vstring_len(s->buf));
	return r;
}

/* LOGIN: "Username:", "Password:" challenges. */
static int
xp_login(XP_SERVER *s, VSTRING *reply)
{
	const char *v = vstring_str(s->buf);
	size_t	 len = vstring_len(s->buf);
	int	 r;

	if (memchr(v, 0, len) != NULL)
		return xp_bad_data(reply);
	if (s->login_step == 1) {
		if (len == 0 || len > XP_USER_MAX)
			return xp_bad_data(reply);
		vstring_strcpy(s->user, v);
		s->login_step = 2;
		vstring_strcpy(reply, "UGFzc3dvcmQ6");	/* Password: */
		return XSASL_AUTH_MORE;
	}
	if (len > XP_PASS_MAX)
		return xp_bad_data(reply);
	r = xp_verify(s, vstring_str(s->user), v, reply);
	memset(vstring_str(s->buf), 0, len);
	return r;
}

static int
xp_first(XSASL_SERVER *xs, const char *mech, const char *init,
    VSTRING *reply)
{
	XP_SERVER *s = (XP_SERVER *)xs;

	s->login_step = 0;
	vstring_reset(s->user);
	if (!xsasl_mech_allowed(mech, s->sec) || (strcasecmp(mech, "PLAIN") != 0
	    && strcasecmp(mech, "LOGIN") != 0)) {
		vstring_strcpy(reply, "Invalid authentication mechanism");
		return XSASL_AUTH_FAIL;
	}
	if (strcasecmp(mech, "LOGIN") == 0) {
		s->login_step = 1;
		if (init == NULL) {
			vstring_strcpy(reply, "VXNlcm5hbWU6");	/* Username: */
			return XSASL_AUTH_MORE;
		}
		if (xsasl_server_decode(s->buf, init, 1, reply) < 0)
			return XSASL_AUTH_FAIL;
		return xp_login(s, reply);
	}
	if (init == NULL) {
		vstring_reset(reply);		/* "334 " : send it all */
		return XSASL_AUTH_MORE;
	}
	if (xsasl_server_decode(s->buf, init, 1, reply) < 0)
		return XSASL_AUTH_FAIL;
	return xp_plain(s, reply);
}

static int
xp_next(XSASL_SERVER *xs, const char *resp, VSTRING *reply)
{
	XP_SERVER *s = (XP_SERVER *)xs;

	if (xsasl_server_decode(s->buf, resp, 0, reply) < 0)
		return XSASL_AUTH_FAIL;
	return s->login_step ? xp_login(s, reply) : xp_plain(s, reply);
}

static const char *
xp_username(XSASL_SERVER *xs)
{
	XP_SERVER *s = (XP_SERVER *)xs;

	if (s->username)
		return s->username;
	return vstring_len(s->user) ? vstring_str(s->user) : NULL;
}

static void
xp_free(XSASL_SERVER *xs)
{
	XP_SERVER *s = (XP_SERVER *)xs;

	memset(vstring_str(s->buf), 0, vstring_len(s->buf));
	vstring_free(s->buf);
	vstring_free(s->user);
	myfree(s->username);
	myfree(s->realm);
	myfree(s);
}

static XSASL_SERVER *
xp_create(XSASL_SERVER_IMPL *impl, const XSASL_SERVER_ARGS *args)
{
	XP_SERVER *s = mycalloc(1, sizeof(*s));

	s->server.mechs = xp_mechs;
	s->server.first = xp_first;
	s->server.next = xp_next;
	s->server.username = xp_username;
	s->server.free = xp_free;
	s->impl = (XP_IMPL *)impl;
	s->sec = args->sec;
	s->realm = mystrdup(args->realm ? args->realm : "");
	s->user = vstring_alloc(64);
	s->buf = vstring_alloc(256);
	return &s->server;
}

static void
xp_done(XSASL_SERVER_IMPL *impl)
{
	XP_IMPL *xp = (XP_IMPL *)impl;

	mail_addr_maps_close(xp->maps);
	myfree(xp);
}

XSASL_SERVER_IMPL *
xsasl_postern_init(const char *tables, VSTRING *why)
{
	MAIL_ADDR_MAPS *maps = mail_addr_maps_open("smtpd_sasl_password_maps",
	    tables ? tables : "");
	XP_IMPL *xp;

	if (maps->ndict == 0) {
		mail_addr_maps_close(maps);
		vstring_strcpy(why, "smtpd_sasl_type = postern needs "
		    "smtpd_sasl_password_maps");
		return NULL;
	}
	xp = mycalloc(1, sizeof(*xp));
	xp->impl.create = xp_create;
	xp->impl.done = xp_done;
	xp->maps = maps;
	return &xp->impl;
}
