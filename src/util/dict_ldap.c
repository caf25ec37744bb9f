/*
 * NAME
 *	dict_ldap - ldap: tables (LDAP directories, with OpenLDAP's libldap)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_ldap_ops;
 * DESCRIPTION
 *	"ldap:/etc/postern/ldap-aliases.cf" names a file in Postfix's
 *	ldap_table(5) format (dict_cf.c syntax): server_host (host names or
 *	ldap://, ldaps://, ldapi:// URLs, tried in order by libldap; default
 *	localhost), server_port (389), search_base, query_filter (default
 *	"(mailacceptinggeneralid=%s)"), result_attribute (maildrop),
 *	special_result_attribute (attributes whose values are DNs of
 *	entries whose result attributes are added in turn, as group
 *	members), terminal_result_attribute, leaf_result_attribute, scope
 *	(sub, one, base), bind (yes or no; "sasl" is not supported and
 *	fails the open), bind_dn, bind_pw, version (3; Postfix's default of
 *	2 is gone from current OpenLDAP), start_tls, tls_ca_cert_file,
 *	tls_ca_cert_dir, tls_cert, tls_key, tls_require_cert, timeout (10 s),
 *	size_limit (= expansion_limit), dereference (0..3), recursion_limit
 *	(1000), result_format, domain, expansion_limit.
 *
 *	The query filter is expanded with RFC 4515 escapes (a "*" or "("
 *	in an address cannot change the filter); search_base is expanded
 *	with RFC 4514 escapes. The connection is made at the first lookup
 *	and kept; when the server went away (a restart) it is made again and
 *	the search repeated once.
 * DIAGNOSTICS
 *	An unreachable server, a failed bind, a time-out or any search error
 *	other than "no such object" sets DICT_ERR_RETRY with a warning.
 */
#define LDAP_DEPRECATED 0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <lber.h>
#include <ldap.h>

#include "argv.h"
#include "dict.h"
#include "dict_cf.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct DICT_LDAP {
	DICT_CF	*cf;
	DICT_CF_COMMON common;
	LDAP	*ld;
	char	*uris;
	const char *base;
	const char *filter;
	ARGV	*result_attr;
	ARGV	*special_attr;
	ARGV	*terminal_attr;
	ARGV	*leaf_attr;
	char	**attrs;		/* all of the above, for the search */
	int	 scope;
	int	 bind;
	int	 version;
	int	 start_tls;
	int	 timeout;
	int	 size_limit;
	int	 deref;
	int	 recursion_limit;
	VSTRING	*expanded_filter;
	VSTRING	*expanded_base;
	VSTRING	*why;
} DICT_LDAP;

static void
dict_ldap_free(DICT_LDAP *dl)
{
	if (dl->ld)
		ldap_unbind_ext_s(dl->ld, NULL, NULL);
	myfree(dl->uris);
	if (dl->result_attr)
		argv_free(dl->result_attr);
	if (dl->special_attr)
		argv_free(dl->special_attr);
	if (dl->terminal_attr)
		argv_free(dl->terminal_attr);
	if (dl->leaf_attr)
		argv_free(dl->leaf_attr);
	myfree(dl->attrs);
	dict_cf_common_close(dl->cf, &dl->common);
	vstring_free(dl->expanded_filter);
	vstring_free(dl->expanded_base);
	vstring_free(dl->why);
	myfree(dl);
}

static ARGV *
dict_ldap_list(DICT_CF *cf, const char *name, const char *def)
{
	return argv_split(dict_cf_str(cf, name, def), ", \t\r\n");
}

static int
dict_ldap_open(DICT *dict, VSTRING *why)
{
	DICT_LDAP *dl = mycalloc(1, sizeof(*dl));
	ARGV	*hosts = NULL;
	VSTRING	*uris = vstring_alloc(64);
	const char *v;
	size_t	 i, n;
	int	 port;

	dl->expanded_filter = vstring_alloc(128);
	dl->expanded_base = vstring_alloc(128);
	dl->why = vstring_alloc(64);
	if (dict_cf_common_open(dict, &dl->cf, &dl->common, why) < 0
	    || dict_cf_int(dl->cf, "server_port", 389, 1, 65535, &port,
	    why) < 0
	    || dict_cf_int(dl->cf, "version", 3, 2, 3, &dl->version, why) < 0
	    || dict_cf_bool(dl->cf, "start_tls", 0, &dl->start_tls, why) < 0
	    || dict_cf_int(dl->cf, "timeout", 10, 1, 3600, &dl->timeout,
	    why) < 0
	    || dict_cf_int(dl->cf, "size_limit", dl->common.expansion_limit,
	    0, 1000000, &dl->size_limit, why) < 0
	    || dict_cf_int(dl->cf, "dereference", 0, 0, 3, &dl->deref,
	    why) < 0
	    || dict_cf_int(dl->cf, "recursion_limit", 1000, 1, 100000,
	    &dl->recursion_limit, why) < 0)
		goto fail;
	v = dict_cf_str(dl->cf, "bind", "yes");
	if (strcasecmp(v, "sasl") == 0) {
		vstring_sprintf(why, "%s: bind = sasl is not supported by "
		    "Postern; use bind = yes with bind_dn and bind_pw",
		    dict->name);
		goto fail;
	}
	if (dict_cf_bool(dl->cf, "bind", 1, &dl->bind, why) < 0)
		goto fail;
	v = dict_cf_str(dl->cf, "scope", "sub");
	if (strcasecmp(v, "sub") == 0)
		dl->scope = LDAP_SCOPE_SUBTREE;
	else if (strcasecmp(v, "one") == 0)
		dl->scope = LDAP_SCOPE_ONELEVEL;
	else if (strcasecmp(v, "base") == 0)
		dl->scope = LDAP_SCOPE_BASE;
	else {
		vstring_sprintf(why, "%s: scope = %s: need sub, one or base",
		    dict->name, v);
		goto fail;
	}
	dl->base = dict_cf_str(dl->cf, "search_base", "");
	dl->filter = dict_cf_str(dl->cf, "query_filter",
	    "(mailacceptinggeneralid=%s)");
	if (dict_cf_expand(dl->expanded_filter, dl->filter, "u@d.e", "u@d.e",
	    NULL, NULL) < 0 || dict_cf_expand(dl->expanded_base, dl->base,
	    "u@d.e", "u@d.e", NULL, NULL) < 0) {
		vstring_sprintf(why, "%s: bad %% sequence in query_filter or "
		    "search_base", dict->name);
		goto fail;
	}
	dl->result_attr = dict_ldap_list(dl->cf, "result_attribute",
	    "maildrop");
	dl->special_attr = dict_ldap_list(dl->cf, "special_result_attribute",
	    "");
	dl->terminal_attr = dict_ldap_list(dl->cf, "terminal_result_attribute",
	    "");
	dl->leaf_attr = dict_ldap_list(dl->cf, "leaf_result_attribute", "");
	n = dl->result_attr->argc + dl->special_attr->argc
	    + dl->terminal_attr->argc + dl->leaf_attr->argc;
	dl->attrs = mycalloc(n + 2, sizeof(char *));
	n = 0;
	for (i = 0; i < dl->result_attr->argc; i++)
		dl->attrs[n++] = dl->result_attr->argv[i];
	for (i = 0; i < dl->special_attr->argc; i++)
		dl->attrs[n++] = dl->special_attr->argv[i];
	for (i = 0; i < dl->terminal_attr->argc; i++)
		dl->attrs[n++] = dl->terminal_attr->argv[i];
	for (i = 0; i < dl->leaf_attr->argc; i++)
		dl->attrs[n++] = dl->leaf_attr->argv[i];
	if (n == 0)
		dl->attrs[n++] = LDAP_NO_ATTRS;
	hosts = dict_ldap_list(dl->cf, "server_host", "localhost");
	for (i = 0; i < hosts->argc; i++) {
		if (i > 0)
			vstring_addch(uris, ' ');
		if (strstr(hosts->argv[i], "://") != NULL)
			vstring_strcat(uris, hosts->argv[i]);
		else if (strchr(hosts->argv[i], ':') != NULL)
			vstring_sprintf_append(uris, "ldap://%s",
			    hosts->argv[i]);
		else
			vstring_sprintf_append(uris, "ldap://%s:%d",
			    hosts->argv[i], port);
	}
	argv_free(hosts);
	dl->uris = vstring_export(uris);
	dict->data = dl;
	return 0;
fail:
	vstring_free(uris);
	dict_ldap_free(dl);
	return -1;
}

/* RFC 4514 DN value escapes. */
static void
dict_ldap_quote_dn(VSTRING *out, const char *s, void *ctx)
{
	const char *p;

	for (p = s; *p; p++) {
		if (strchr(",+\"\\<>;=", *p) != NULL
		    || (p == s && (*p == '#' || *p == ' '))
		    || (p[1] == 0 && *p == ' '))
			vstring_addch(out, '\\');
		if ((unsigned char)*p < 0x20)
			vstring_sprintf_append(out, "\\%02x", (unsigned char)*p);
		else
			vstring_addch(out, *p);
	}
}

static void
dict_ldap_opt_str(DICT_LDAP *dl, int opt, const char *name)
{
	const char *v = dict_cf_str(dl->cf, name, NULL);

	if (v != NULL && *v != 0)
		(void)ldap_set_option(dl->ld, opt, v);
}

/* Connect and bind; 0, or -1 with dl->why. */
static int
dict_ldap_connect(DICT_LDAP *dl)
{
	struct timeval tv;
	struct berval cred;
	int	 rc, off = 0, req;
	const char *dn, *pw;
	VSTRING	*dummy;

	if ((rc = ldap_initialize(&dl->ld, dl->uris)) != LDAP_SUCCESS) {
		vstring_sprintf(dl->why, "%s: %s", dl->uris,
		    ldap_err2string(rc));
		dl->ld = NULL;
		return -1;
	}
	/* TLS settings of this handle, then its own TLS context. */
	dict_ldap_opt_str(dl, LDAP_OPT_X_TLS_CACERTFILE, "tls_ca_cert_file");
	dict_ldap_opt_str(dl, LDAP_OPT_X_TLS_CACERTDIR, "tls_ca_cert_dir");
	dict_ldap_opt_str(dl, LDAP_OPT_X_TLS_CERTFILE, "tls_cert");
	dict_ldap_opt_str(dl, LDAP_OPT_X_TLS_KEYFILE, "tls_key");
	dummy = vstring_alloc(16);
	if (dict_cf_bool(dl->cf, "tls_require_cert", 0, &req, dummy) < 0)
		req = 1;
	vstring_free(dummy);
	req = req ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
	(void)ldap_set_option(dl->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &req);
	(void)ldap_set_option(dl->ld, LDAP_OPT_X_TLS_NEWCTX, &off);
	tv.tv_sec = dl->timeout;
	tv.tv_usec = 0;
	(void)ldap_set_option(dl->ld, LDAP_OPT_PROTOCOL_VERSION, &dl->version);
	(void)ldap_set_option(dl->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	(void)ldap_set_option(dl->ld, LDAP_OPT_TIMEOUT, &tv);
	(void)ldap_set_option(dl->ld, LDAP_OPT_REFERRALS, &off);
	(void)ldap_set_option(dl->ld, LDAP_OPT_DEREF, &dl->deref);
	if (dl->start_tls
	    && (rc = ldap_start_tls_s(dl->ld, NULL, NULL)) != LDAP_SUCCESS) {
		vstring_sprintf(dl->why, "%s: STARTTLS: %s", dl->uris,
		    ldap_err2string(rc));
		goto fail;
	}
	if (dl->bind) {
		dn = dict_cf_str(dl->cf, "bind_dn", "");
		pw = dict_cf_str(dl->cf, "bind_pw", "");
		cred.bv_val = (char *)pw;
		cred.bv_len = strlen(pw);
		rc = ldap_sasl_bind_s(dl->ld, dn, LDAP_SASL_SIMPLE, &cred,
		    NULL, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			vstring_sprintf(dl->why, "%s: bind as \"%s\": %s",
			    dl->uris, dn, ldap_err2string(rc));
			goto fail;
		}
	}
	return 0;
fail:
	ldap_unbind_ext_s(dl->ld, NULL, NULL);
	dl->ld = NULL;
	return -1;
}

static int
dict_ldap_in(ARGV *list, const char *attr)
{
	size_t	 i;

	for (i = 0; i < list->argc; i++)
		if (strcasecmp(list->argv[i], attr) == 0)
			return 1;
	return 0;
}

static int dict_ldap_search(DICT *, DICT_LDAP *, const char *, const char *,
    int, const char *, int);

/* Add the values of one entry; 0, or -1 (error set). */
static int
dict_ldap_entry(DICT *dict, DICT_LDAP *dl, LDAPMessage *e, const char *key,
    int depth)
{
	BerElement *ber = NULL;
	struct berval **vals;
	char	*attr;
	int	 i, rc = 0, terminal = 0, special = 0;

	/* An entry with a terminal attribute gives those values only. */
	for (attr = ldap_first_attribute(dl->ld, e, &ber); attr != NULL;
	    attr = ldap_next_attribute(dl->ld, e, ber)) {
		if (dict_ldap_in(dl->terminal_attr, attr))
			terminal = 1;
		if (dict_ldap_in(dl->special_attr, attr))
			special = 1;
		ldap_memfree(attr);
	}
	if (ber)
		ber_free(ber, 0);
	ber = NULL;
	for (attr = ldap_first_attribute(dl->ld, e, &ber); rc == 0
	    && attr != NULL; attr = ldap_next_attribute(dl->ld, e, ber)) {
		int	 use, recurse;

		if (terminal)
			use = dict_ldap_in(dl->terminal_attr, attr);
		else
			use = dict_ldap_in(dl->result_attr, attr)
			    || (!special && dict_ldap_in(dl->leaf_attr, attr));
		recurse = !terminal && dict_ldap_in(dl->special_attr, attr);
		if ((use || recurse)
		    && (vals = ldap_get_values_len(dl->ld, e, attr)) != NULL) {
			for (i = 0; rc == 0 && vals[i] != NULL; i++) {
				VSTRING	*v = vstring_alloc(64);

				vstring_memcpy(v, vals[i]->bv_val,
				    vals[i]->bv_len);
				if (strlen(vstring_str(v)) != vstring_len(v))
					;	/* embedded NUL: skip */
				else if (use)
					rc = dict_cf_result_add(&dl->common,
					    dict, key, vstring_str(v));
				else
					rc = dict_ldap_search(dict, dl,
					    vstring_str(v), "(objectclass=*)",
					    LDAP_SCOPE_BASE, key, depth + 1);
				vstring_free(v);
			}
			ldap_value_free_len(vals);
		}
		ldap_memfree(attr);
	}
	if (ber)
		ber_free(ber, 0);
	return rc;
}

/*
 * One search; 0 done (values added), -1 error (dict error set), -2 the
 * server went away (reconnect and repeat).
 */
static int
dict_ldap_search(DICT *dict, DICT_LDAP *dl, const char *base,
    const char *filter, int scope, const char *key, int depth)
{
	LDAPMessage *res = NULL, *e;
	struct timeval tv;
	int	 rc;

	if (depth > dl->recursion_limit) {
		msg_warn("%s: recursion_limit %d exceeded for \"%s\"",
		    dict->spec, dl->recursion_limit, key);
		dict_set_error(dict, DICT_ERR_RETRY, "%s: recursion limit",
		    dict->spec);
		return -1;
	}
	tv.tv_sec = dl->timeout;
	tv.tv_usec = 0;
	if (msg_verbose)
		msg_info("%s: search base=\"%s\" filter=\"%s\"", dict->spec,
		    base, filter);
	rc = ldap_search_ext_s(dl->ld, base, scope, filter, dl->attrs, 0,
	    NULL, NULL, &tv, dl->size_limit, &res);
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR
	    || rc == LDAP_UNAVAILABLE) {
		if (res)
			ldap_msgfree(res);
		vstring_sprintf(dl->why, "%s: %s", dl->uris,
		    ldap_err2string(rc));
		return -2;
	}
	if (rc == LDAP_NO_SUCH_OBJECT) {
		if (depth == 0)
			msg_warn("%s: search base \"%s\" not found", dict->spec,
			    base);
		if (res)
			ldap_msgfree(res);
		return 0;
	}
	if (rc != LDAP_SUCCESS) {
		vstring_sprintf(dl->why, "search: %s", ldap_err2string(rc));
		dict_cf_lookup_error(dict, key, vstring_str(dl->why));
		if (res)
			ldap_msgfree(res);
		return -1;
	}
	rc = 0;
	for (e = ldap_first_entry(dl->ld, res); rc == 0 && e != NULL;
	    e = ldap_next_entry(dl->ld, e))
		rc = dict_ldap_entry(dict, dl, e, key, depth);
	ldap_msgfree(res);
	return rc;
}

static const char *
dict_ldap_get(DICT *dict, const char *key)
{
	DICT_LDAP *dl = dict->data;
	int	 attempt, rc = -2;

	if ((rc = dict_cf_domain_ok(&dl->common, dict, key)) <= 0)
		return NULL;
	if (dict_cf_expand(dl->expanded_filter, dl->filter, key, key,
	    dict_cf_quote_ldap, NULL) <= 0
	    || dict_cf_expand(dl->expanded_base, dl->base, key, key,
	    dict_ldap_quote_dn, NULL) <= 0)
		return NULL;
	rc = -2;
	for (attempt = 0; attempt < 2 && rc == -2; attempt++) {
		if (dl->ld == NULL && dict_ldap_connect(dl) < 0)
			break;
		dict_cf_result_start(&dl->common);
		rc = dict_ldap_search(dict, dl, vstring_str(dl->expanded_base),
		    vstring_str(dl->expanded_filter), dl->scope, key, 0);
		if (rc == -2) {
			ldap_unbind_ext_s(dl->ld, NULL, NULL);
			dl->ld = NULL;
		}
	}
	if (rc == -2 || (dl->ld == NULL && rc != -1)) {
		dict_cf_lookup_error(dict, key, vstring_str(dl->why));
		return NULL;
	}
	if (rc < 0)
		return NULL;
	return dict_cf_result_end(&dl->common);
}

static void
dict_ldap_close(DICT *dict)
{
	dict_ldap_free(dict->data);
	dict->data = NULL;
}

const DICT_OPS dict_ldap_ops = {
	"ldap", 1, dict_ldap_open, dict_ldap_get, NULL, NULL, NULL, NULL,
	dict_ldap_close,
};
