/*
 * NAME
 *	milter - a chain of milters (smtpd_milters, non_smtpd_milters)
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	MILTERS *milter_create(const char *list);
 *	void milter_macro_callback(MILTERS *mp, MILTER_MAC_FN fn, void *ctx);
 *	void milter_edit_callback(MILTERS *mp, const MILTER_EDIT_OPS *ops,
 *		void *ctx);
 *	const char *milter_conn_event(MILTERS *mp, const char *host,
 *		const char *addr, int port, int family);
 *	const char *milter_helo_event(MILTERS *mp, const char *helo);
 *	const char *milter_mail_event(MILTERS *mp, ARGV *args);
 *	const char *milter_rcpt_event(MILTERS *mp, ARGV *args);
 *	const char *milter_data_event(MILTERS *mp);
 *	const char *milter_unknown_event(MILTERS *mp, const char *cmd);
 *	const char *milter_message(MILTERS *mp, const MILTER_MSG *msg);
 *	void milter_abort(MILTERS *mp);
 *	void milter_disconnect(MILTERS *mp);
 *	void milter_free(MILTERS *mp);
 * DESCRIPTION
 *	milter_create() reads the list as Postfix's smtpd_milters: milter
 *	names ("inet:host:port", "unix:/path") separated by white space or
 *	commas, each optionally braced with per-milter settings that
 *	override main.cf: "{ inet:host:port, connect_timeout=10s,
 *	command_timeout=10s, content_timeout=5m, default_action=accept,
 *	protocol=6 }". The main.cf defaults are milter_connect_timeout,
 *	milter_command_timeout, milter_content_timeout,
 *	milter_default_action, milter_protocol and the milter_*_macros
 *	lists. Nothing is connected until the connect event; an empty list
 *	gives a chain with no milters, whose events cost nothing.
 *
 *	Events go to each milter in order; the first reply that is not
 *	"go on" ends the event and is returned (null, "4xx ...",
 *	"5xx ...", "421 ..." or "D" for discard). A quarantine (including
 *	default_action = quarantine) reaches the caller through the hold
 *	edit callback, at once when milter_edit_callback() was given or at
 *	milter_message() otherwise. milter_message() passes the message
 *	through each milter in turn, so each sees the previous ones' edits.
 *
 *	The macros j, v, {daemon_name} and _ have defaults here
 *	(myhostname, milter_macro_v, milter_macro_daemon_name); every
 *	other macro comes from the caller's callback, and one without a
 *	value is not sent.
 * DIAGNOSTICS
 *	A malformed list or setting is fatal (a configuration error, as in
 *	Postfix). A failing milter is milter8(3)'s business: warning and
 *	default_action.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail_conf.h"
#include "milter.h"
#include "msg.h"
#include "mymalloc.h"

#define MILTER_MAX	32

struct MILTERS {
	MILTER	*m[MILTER_MAX];
	int	 n;
	MILTER_MAC_FN mac;
	void	*mac_ctx;
	const MILTER_EDIT_OPS *ops;
	void	*ops_ctx;
	char	*pending_hold;		/* quarantine before the message */
	char	*daemon_name;
	char	*macro_v;
};

static const char *milter_mac_params[MILTER_MAC_COUNT] = {
	"milter_connect_macros", "milter_helo_macros", "milter_mail_macros",
	"milter_rcpt_macros", "milter_data_macros",
	"milter_end_of_data_macros", "milter_end_of_header_macros",
	"milter_unknown_command_macros",
};

const char *
milter_default_reply(const char *action)
{
	if (strcasecmp(action, "accept") == 0)
		return NULL;
	if (strcasecmp(action, "reject") == 0)
		return "550 5.7.1 Command rejected";
	if (strcasecmp(action, "quarantine") == 0)
		return "H";
	return "451 4.7.1 Service unavailable - try again later";
}

void
milter_conf_init(MILTER_CONF *c)
{
	memset(c, 0, sizeof(*c));
	c->connect_timeout = (int)conf_time("milter_connect_timeout");
	c->command_timeout = (int)conf_time("milter_command_timeout");
	c->content_timeout = (int)conf_time("milter_content_timeout");
	c->protocol = (int)conf_int("milter_protocol");
	c->default_action = mystrdup(conf_str("milter_default_action"));
	for (int i = 0; i < MILTER_MAC_COUNT; i++)
		c->macros[i] = conf_list(milter_mac_params[i]);
}

void
milter_conf_free(MILTER_CONF *c)
{
	myfree(c->default_action);
	for (int i = 0; i < MILTER_MAC_COUNT; i++)
		if (c->macros[i])
			argv_free(c->macros[i]);
}

/* One "name=value" per-milter setting; -1 with a reason. */
int
milter_conf_parse(MILTER_CONF *c, const char *name, const char *value,
    VSTRING *why)
{
	long long t;
	int	*tp = NULL;

	if (strcmp(name, "connect_timeout") == 0)
		tp = &c->connect_timeout;
	else if (strcmp(name, "command_timeout") == 0)
		tp = &c->command_timeout;
	else if (strcmp(name, "content_timeout") == 0)
		tp = &c->content_timeout;
	if (tp != NULL) {
		if (conf_parse_time(value, 's', &t, why) < 0)
			return -1;
		*tp = (int)(t > 86400 ? 86400 : t);
		return 0;
	}
	if (strcmp(name, "default_action") == 0) {
		if (strcasecmp(value, "accept") && strcasecmp(value, "reject")
		    && strcasecmp(value, "tempfail")
		    && strcasecmp(value, "quarantine")) {
			vstring_sprintf(why, "bad default_action \"%s\"", value);
			return -1;
		}
		myfree(c->default_action);
		c->default_action = mystrdup(value);
		return 0;
	}
	if (strcmp(name, "protocol") == 0) {
		if (conf_parse_int(value, &t) < 0 || t < 2 || t > 6) {
			vstring_sprintf(why, "bad protocol \"%s\"", value);
			return -1;
		}
		c->protocol = (int)t;
		return 0;
	}
	vstring_sprintf(why, "unknown milter setting \"%s\"", name);
	return -1;
}

/* "{ name, a=b, ... }" or "name": one milter. */
static void
milter_create_one(MILTERS *mp, const char *elem)
{
	MILTER_CONF conf;
	VSTRING	*why = vstring_alloc(100);
	ARGV	*parts;
	char	*inner, *eq, *name = NULL;
	size_t	 len = strlen(elem);

	milter_conf_init(&conf);
	if (elem[0] == '{') {
		if (len < 2 || elem[len - 1] != '}')
			msg_fatal("milter list: missing '}' in \"%s\"", elem);
		inner = mystrndup(elem + 1, len - 2);
		parts = argv_split(inner, ",");
		myfree(inner);
	} else {
		parts = argv_alloc(1);
		argv_add(parts, elem);
	}
	for (size_t i = 0; i < parts->argc; i++) {
		VSTRING *p = vstring_trim(vstring_strcpy(vstring_alloc(64),
		    parts->argv[i]));

		if (vstring_len(p) == 0) {
			vstring_free(p);
			continue;
		}
		if (name == NULL) {
			name = vstring_export(p);
			continue;
		}
		if ((eq = strchr(vstring_str(p), '=')) == NULL)
			msg_fatal("milter %s: setting without '=': \"%s\"", name,
			    vstring_str(p));
		*eq++ = 0;
		{
			VSTRING *k = vstring_trim(vstring_strcpy(vstring_alloc(32),
			    vstring_str(p)));
			VSTRING *v = vstring_trim(vstring_strcpy(vstring_alloc(32),
			    eq));

			if (milter_conf_parse(&conf, vstring_str(k), vstring_str(v),
			    why) < 0)
				msg_fatal("milter %s: %s", name, vstring_str(why));
			vstring_free(k);
			vstring_free(v);
		}
		vstring_free(p);
	}
	argv_free(parts);
	if (name == NULL)
		msg_fatal("milter list: empty milter in \"%s\"", elem);
	if (mp->n >= MILTER_MAX)
		msg_fatal("milter list: more than %d milters", MILTER_MAX);
	mp->m[mp->n++] = milter8_create(name, &conf);
	myfree(name);
	milter_conf_free(&conf);
	vstring_free(why);
}

MILTERS *
milter_create(const char *list)
{
	MILTERS	*mp = mymalloc(sizeof(*mp));
	ARGV	*elems;

	memset(mp, 0, sizeof(*mp));
	if (list == NULL || *list == 0)
		return mp;
	elems = conf_split_list(list);
	for (size_t i = 0; i < elems->argc; i++)
		milter_create_one(mp, elems->argv[i]);
	argv_free(elems);
	mp->daemon_name = mystrdup(conf_str("milter_macro_daemon_name"));
	mp->macro_v = mystrdup(conf_str("milter_macro_v"));
	return mp;
}

void
milter_free(MILTERS *mp)
{
	if (mp == NULL)
		return;
	for (int i = 0; i < mp->n; i++)
		milter8_free(mp->m[i]);
	myfree(mp->pending_hold);
	myfree(mp->daemon_name);
	myfree(mp->macro_v);
	myfree(mp);
}

int
milter_count(const MILTERS *mp)
{
	return mp ? mp->n : 0;
}

void
milter_macro_callback(MILTERS *mp, MILTER_MAC_FN fn, void *ctx)
{
	mp->mac = fn;
	mp->mac_ctx = ctx;
}

void
milter_edit_callback(MILTERS *mp, const MILTER_EDIT_OPS *ops, void *ctx)
{
	mp->ops = ops;
	mp->ops_ctx = ctx;
}

/* The caller's macros, then our defaults. */
static const char *
milter_macro(void *ctx, const char *name)
{
	MILTERS	*mp = ctx;
	const char *v = mp->mac ? mp->mac(mp->mac_ctx, name) : NULL;

	if (v != NULL)
		return v;
	if (strcmp(name, "j") == 0)
		return conf_str("myhostname");
	if (strcmp(name, "v") == 0)
		return mp->macro_v;
	if (strcmp(name, "{daemon_name}") == 0)
		return mp->daemon_name;
	return NULL;
}

/* "H": quarantine; returns what the chain should do with r. */
static int
milter_hold(MILTERS *mp, const char *r, const char *who)
{
	const char *reason = "milter default_action=quarantine";

	if (r == NULL || *r != 'H')
		return 0;
	msg_info("milter %s: quarantine (%s)", who, reason);
	if (mp->ops && mp->ops->hold) {
		(void)mp->ops->hold(mp->ops_ctx, reason);
	} else if (mp->pending_hold == NULL) {
		mp->pending_hold = mystrdup(reason);
	}
	return 1;
}

#define MILTER_EACH(mp, call) do { \
	const char *r_; \
	for (int i_ = 0; i_ < (mp)->n; i_++) { \
		MILTER *m = (mp)->m[i_]; \
		r_ = (call); \
		if (milter_hold((mp), r_, milter8_name(m))) \
			continue; \
		if (r_ != NULL) \
			return r_; \
	} \
	return NULL; \
} while (0)

const char *
milter_conn_event(MILTERS *mp, const char *host, const char *addr, int port,
    int family)
{
	MILTER_EACH(mp, milter8_conn_event(m, host, addr, port, family,
	    milter_macro, mp));
}

const char *
milter_helo_event(MILTERS *mp, const char *helo)
{
	MILTER_EACH(mp, milter8_helo_event(m, helo, milter_macro, mp));
}

const char *
milter_mail_event(MILTERS *mp, ARGV *args)
{
	myfree(mp->pending_hold);
	mp->pending_hold = NULL;
	MILTER_EACH(mp, milter8_mail_event(m, args, milter_macro, mp));
}

const char *
milter_rcpt_event(MILTERS *mp, ARGV *args)
{
	MILTER_EACH(mp, milter8_rcpt_event(m, args, milter_macro, mp));
}

const char *
milter_data_event(MILTERS *mp)
{
	MILTER_EACH(mp, milter8_data_event(m, milter_macro, mp));
}

const char *
milter_unknown_event(MILTERS *mp, const char *cmd)
{
	MILTER_EACH(mp, milter8_unknown_event(m, cmd, milter_macro, mp));
}

const char *
milter_message(MILTERS *mp, const MILTER_MSG *msg)
{
	if (mp->ops == NULL)
		msg_panic("milter_message: no edit callbacks");
	if (mp->pending_hold) {
		(void)mp->ops->hold(mp->ops_ctx, mp->pending_hold);
		myfree(mp->pending_hold);
		mp->pending_hold = NULL;
	}
	MILTER_EACH(mp, milter8_message(m, msg, milter_macro, mp, mp->ops,
	    mp->ops_ctx));
}

void
milter_abort(MILTERS *mp)
{
	for (int i = 0; mp && i < mp->n; i++)
		milter8_abort(mp->m[i]);
	if (mp) {
		myfree(mp->pending_hold);
		mp->pending_hold = NULL;
	}
}

void
milter_disconnect(MILTERS *mp)
{
	for (int i = 0; mp && i < mp->n; i++)
		milter8_disconnect(mp->m[i]);
}
