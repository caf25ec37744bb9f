/*
 * NAME
 *	qmgr_route - where a recipient goes: transport and nexthop
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_route_init(void);
 *	void	qmgr_route_config(const QMGR_ROUTE_CONF *conf);
 *	QMGR_ROUTE *qmgr_route_alloc(void);
 *	void	qmgr_route_free(QMGR_ROUTE *route);
 *	int	qmgr_route(const char *addr, const char *sender,
 *		    QMGR_ROUTE *route);
 *	const char *qmgr_route_domain(const char *addr);
 *	int	qmgr_route_parse(const char *value, VSTRING *transport,
 *		    VSTRING *nexthop);
 *	int	qmgr_route_match(const char *list, const char *domain,
 *		    int parent, int *error);
 * DESCRIPTION
 *	qmgr_route() resolves a recipient address the way Postfix's
 *	trivial-rewrite does. First transport_maps is searched for the
 *	full address, the address without its recipient_delimiter
 *	extension, the domain, each parent domain as ".parent", then "*".
 *	Then the address class (resolve_class(3), the decision smtpd
 *	makes too) decides what the table left open: a domain in
 *	mydestination, an address literal of this host (inet_interfaces,
 *	proxy_interfaces), or no domain uses local_transport, a domain in
 *	virtual_alias_domains (an address there that virtual_alias_maps did
 *	not rewrite) is "error:5.1.1 User unknown in virtual alias table",
 *	virtual_mailbox_domains uses virtual_transport, relay_domains uses
 *	relay_transport, anything else default_transport, or, for a sender
 *	that sender_dependent_default_transport_maps knows, the transport
 *	it gives. Before all this,
 *	an address in relocated_maps is returned with "5.1.6 User has moved
 *	to <new address>", as Postfix's resolver does.
 *	An empty nexthop becomes the transport's own nexthop (as in
 *	"local:$myhostname"), else relayhost for the relay and default
 *	classes (or what sender_dependent_relayhost_maps gives for the
 *	sender), else the recipient domain. The sender tables are searched
 *	for the sender address, the address without extension, then
 *	"@domain"; the null sender is looked up as
 *	empty_address_relayhost_maps_lookup_key (or
 *	empty_address_default_transport_maps_lookup_key), and a result of
 *	DUNNO means "not found". A null sender argument (smtpctl's route
 *	display) skips them. A table entry "transport:"
 *	keeps the domain, ":nexthop" keeps the class transport,
 *	"[host]:port" alone is a nexthop. The transports "error" and
 *	"discard" are decided inside the qmgr: the result action is then
 *	QMGR_ROUTE_ERROR (with the text after "error:") or
 *	QMGR_ROUTE_DISCARD. A failed table lookup gives QMGR_ROUTE_RETRY:
 *	the recipient is deferred, never misrouted.
 *
 *	qmgr_route_config() sets the routing parameters (qmgr_route_init()
 *	reads them from main.cf) in the QMGR context (qmgr.routing); mydestination and relay_domains are
 *	compiled once with domain_list(3): names, ".domain" for
 *	subdomains, "type:table" lookups and "!" negation, first match
 *	wins; relay_domains also matches subdomains when
 *	parent_domain_matches_subdomains names it, as in Postfix.
 *	transport_maps is opened once (mail_addr_maps_open(3)); the
 *	configuration changes only with a restart. Pattern tables
 *	(regexp:, pcre:) in transport_maps see the full address only.
 *	qmgr_route_match() matches one domain against a list given as text
 *	(for tests and one-off checks).
 *
 *	qmgr_route_parse() splits a transport table value into its two
 *	fields (either may be empty).
 * DIAGNOSTICS
 *	qmgr_route() returns the action; qmgr_route_match() 1, 0, or -1
 *	with *error set when a table failed.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "dict.h"
#include "domain_list.h"
#include "mail_addr_find.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"
#include "qmgr_route.h"
#include "resolve_class.h"

/* The routing configuration, qmgr.routing: opened tables, compiled lists. */
struct QMGR_ROUTING {
	char	*local_transport;
	char	*relay_transport;
	char	*default_transport;
	char	*relayhost;
	char	*delimiter;
	char	*virtual_transport;
	MAIL_ADDR_MAPS *transport_maps;	/* opened once */
	MAIL_ADDR_MAPS *relocated_maps;	/* null: none */
	MAIL_ADDR_MAPS *sender_relay_maps;	/* null: none */
	MAIL_ADDR_MAPS *sender_transport_maps;	/* null: none */
	char	*empty_relay_key;
	char	*empty_transport_key;
	RESOLVE_CLASS *classes;		/* mydestination, relay_domains */
};

QMGR_ROUTE *
qmgr_route_alloc(void)
{
	QMGR_ROUTE *route = mycalloc(1, sizeof(*route));

	route->transport = vstring_alloc(16);
	route->nexthop = vstring_alloc(32);
	route->text = vstring_alloc(32);
	return route;
}

void
qmgr_route_free(QMGR_ROUTE *route)
{
	vstring_free(route->transport);
	vstring_free(route->nexthop);
	vstring_free(route->text);
	myfree(route);
}

static char *
route_strdup(const char *s)
{
	return mystrdup(s ? s : "");
}

void
qmgr_route_config(const QMGR_ROUTE_CONF *conf)
{
	VSTRING	*why = vstring_alloc(64);

	if (qmgr.routing == NULL)
		qmgr.routing = mycalloc(1, sizeof(*qmgr.routing));

	myfree(qmgr.routing->local_transport);
	myfree(qmgr.routing->relay_transport);
	myfree(qmgr.routing->default_transport);
	myfree(qmgr.routing->relayhost);
	myfree(qmgr.routing->delimiter);
	myfree(qmgr.routing->virtual_transport);
	if (qmgr.routing->transport_maps)
		mail_addr_maps_close(qmgr.routing->transport_maps);
	if (qmgr.routing->relocated_maps)
		mail_addr_maps_close(qmgr.routing->relocated_maps);
	qmgr.routing->relocated_maps = NULL;
	if (qmgr.routing->sender_relay_maps)
		mail_addr_maps_close(qmgr.routing->sender_relay_maps);
	qmgr.routing->sender_relay_maps = NULL;
	if (qmgr.routing->sender_transport_maps)
		mail_addr_maps_close(qmgr.routing->sender_transport_maps);
	qmgr.routing->sender_transport_maps = NULL;
	myfree(qmgr.routing->empty_relay_key);
	myfree(qmgr.routing->empty_transport_key);
	qmgr.routing->empty_relay_key = route_strdup(conf->empty_relay_key ?
	    conf->empty_relay_key : "<>");
	qmgr.routing->empty_transport_key = route_strdup(conf->empty_transport_key ?
	    conf->empty_transport_key : "<>");
	if (conf->sender_relayhost_maps && *conf->sender_relayhost_maps)
		qmgr.routing->sender_relay_maps = mail_addr_maps_open(
		    "sender_dependent_relayhost_maps", conf->sender_relayhost_maps);
	if (conf->sender_transport_maps && *conf->sender_transport_maps)
		qmgr.routing->sender_transport_maps = mail_addr_maps_open(
		    "sender_dependent_default_transport_maps",
		    conf->sender_transport_maps);
	if (qmgr.routing->classes)
		resolve_class_free(qmgr.routing->classes);
	qmgr.routing->local_transport = route_strdup(conf->local_transport);
	qmgr.routing->relay_transport = route_strdup(conf->relay_transport);
	qmgr.routing->default_transport = route_strdup(conf->default_transport);
	qmgr.routing->relayhost = route_strdup(conf->relayhost);
	qmgr.routing->delimiter = route_strdup(conf->delimiter);
	qmgr.routing->virtual_transport = route_strdup(conf->virtual_transport ?
	    conf->virtual_transport : "virtual");
	if (conf->relocated_maps && *conf->relocated_maps)
		qmgr.routing->relocated_maps = mail_addr_maps_open("relocated_maps",
		    conf->relocated_maps);
	qmgr.routing->transport_maps = mail_addr_maps_open("transport_maps",
	    conf->transport_maps ? conf->transport_maps : "");
	qmgr.routing->classes = resolve_class_init(conf->mydestination,
	    conf->relay_domains, conf->relay_parent ? DOMAIN_LIST_PARENT : 0,
	    conf->interfaces, why);
	if (qmgr.routing->classes == NULL)
		msg_fatal("mydestination or relay_domains: %s", vstring_str(why));
	if (resolve_class_virtual(qmgr.routing->classes, conf->virtual_alias_domains,
	    conf->virtual_mailbox_domains, why) < 0)
		msg_fatal("virtual_alias_domains or virtual_mailbox_domains: %s",
		    vstring_str(why));
	vstring_free(why);
}

static const char *
route_param(const char *name, const char *fallback)
{
	const char *value;

	if (conf_param_find(name) == NULL)
		return fallback;
	value = conf_str(name);
	return value ? value : fallback;
}

void
qmgr_route_init(void)
{
	QMGR_ROUTE_CONF conf;
	VSTRING	*ifaces = vstring_alloc(64);
	const char *parent;

	conf.mydestination = route_param("mydestination", "");
	conf.relay_domains = route_param("relay_domains", "");
	conf.local_transport = route_param("local_transport", "local");
	conf.relay_transport = route_param("relay_transport", "relay");
	conf.default_transport = route_param("default_transport", "smtp");
	conf.relayhost = route_param("relayhost", "");
	conf.transport_maps = route_param("transport_maps", "");
	conf.delimiter = route_param("recipient_delimiter", "");
	vstring_sprintf(ifaces, "%s, %s", route_param("inet_interfaces", ""),
	    route_param("proxy_interfaces", ""));
	conf.interfaces = vstring_str(ifaces);
	parent = route_param("parent_domain_matches_subdomains",
	    "relay_domains");
	conf.relay_parent = strstr(parent, "relay_domains") != NULL;
	conf.virtual_alias_domains = route_param("virtual_alias_domains", "");
	conf.virtual_mailbox_domains = route_param("virtual_mailbox_domains", "");
	conf.virtual_transport = route_param("virtual_transport", "virtual");
	conf.relocated_maps = route_param("relocated_maps", "");
	conf.sender_relayhost_maps = route_param("sender_dependent_relayhost_maps", "");
	conf.sender_transport_maps =
	    route_param("sender_dependent_default_transport_maps", "");
	conf.empty_relay_key =
	    route_param("empty_address_relayhost_maps_lookup_key", "<>");
	conf.empty_transport_key =
	    route_param("empty_address_default_transport_maps_lookup_key", "<>");
	qmgr_route_config(&conf);
	vstring_free(ifaces);
}

/* The domain of an address (quote-aware), "" when it has none. */
const char *
qmgr_route_domain(const char *addr)
{
	const char *domain = addr_domain(addr);

	return domain ? domain : "";
}

int
qmgr_route_parse(const char *value, VSTRING *transport, VSTRING *nexthop)
{
	const char *colon;

	while (isspace((unsigned char)*value))
		value++;
	vstring_reset(transport);
	vstring_reset(nexthop);
	if (*value == '[') {
		vstring_strcpy(nexthop, value);
	} else if ((colon = strchr(value, ':')) == NULL) {
		vstring_strcpy(transport, value);
	} else {
		vstring_memcpy(transport, value, (size_t)(colon - value));
		vstring_strcpy(nexthop, colon + 1);
	}
	vstring_trim(transport);
	vstring_trim(nexthop);
	return 0;
}

static int
route_table_get(DICT *dict, const char *key, const char **value, int *error)
{
	*value = dict_get(dict, key);
	if (*value == NULL && dict->error != DICT_ERR_NONE) {
		*error = dict->error;
		return -1;
	}
	return *value != NULL;
}

int
qmgr_route_match(const char *list, const char *domain, int parent,
    int *error)
{
	DOMAIN_LIST *dl;
	VSTRING	*why = vstring_alloc(64);
	int	 rc;

	*error = DICT_ERR_NONE;
	if ((dl = domain_list_init(list, parent ? DOMAIN_LIST_PARENT : 0,
	    why)) == NULL) {
		msg_warn("domain list \"%s\": %s", list, vstring_str(why));
		*error = DICT_ERR_CONFIG;
		vstring_free(why);
		return -1;
	}
	if ((rc = domain_list_match(dl, domain)) < 0)
		*error = DICT_ERR_RETRY;
	domain_list_free(dl);
	vstring_free(why);
	return rc;
}

/*
 * One transport_maps key in each table; 1 found, 0 not, -1 error. Pattern
 * tables (regexp:, pcre:) see the full address only, as in Postfix.
 */
static int
route_maps_get(const char *key, int first, VSTRING *result, int *error)
{
	MAIL_ADDR_MAPS *maps = qmgr.routing->transport_maps;
	const char *value = NULL;
	int	 i, rc = 0;

	for (i = 0; rc == 0 && i < maps->ndict; i++) {
		if (!first && !maps->dicts[i]->fixed)
			continue;
		if ((rc = route_table_get(maps->dicts[i], key, &value, error)) > 0)
			vstring_strcpy(result, value);
	}
	return rc;
}

/* The transport_maps search order of transport(5). */
static int
route_maps(const char *addr, VSTRING *result, int *error)
{
	const char *domain = qmgr_route_domain(addr), *p;
	VSTRING	*key, *user, *ext;
	int	 rc;

	if (qmgr.routing->transport_maps->ndict == 0)
		return 0;
	if ((rc = route_maps_get(addr, 1, result, error)) != 0)
		return rc;
	key = addr_local(vstring_alloc(64), addr);
	user = vstring_alloc(64);
	ext = vstring_alloc(16);
	if (*domain && mail_addr_split_ext(vstring_str(key),
	    qmgr.routing->delimiter, user, ext)) {
		vstring_sprintf(key, "%s@%s", vstring_str(user), domain);
		rc = route_maps_get(vstring_str(key), 0, result, error);
	}
	if (rc == 0 && *domain)
		rc = route_maps_get(domain, 0, result, error);
	for (p = strchr(domain, '.'); rc == 0 && p != NULL;
	    p = strchr(p + 1, '.'))
		rc = route_maps_get(p, 0, result, error);
	if (rc == 0)
		rc = route_maps_get("*", 0, result, error);
	vstring_free(key);
	vstring_free(user);
	vstring_free(ext);
	return rc;
}

/* The address class: its transport spec and whether relayhost applies. */
static int
route_class(const char *addr, const char **spec, int *remote)
{
	*remote = 1;
	switch (resolve_class(qmgr.routing->classes, addr, 0)) {
	case RESOLVE_CLASS_LOCAL:
		*remote = 0;
		*spec = qmgr.routing->local_transport;
		return 0;
	case RESOLVE_CLASS_VALIAS:
		*remote = 0;
		*spec = "error:5.1.1 User unknown in virtual alias table";
		return 0;
	case RESOLVE_CLASS_VMAILBOX:
		*remote = 0;
		*spec = qmgr.routing->virtual_transport;
		return 0;
	case RESOLVE_CLASS_RELAY:
		*spec = qmgr.routing->relay_transport;
		return 0;
	case RESOLVE_CLASS_OTHER:
		*spec = qmgr.routing->default_transport;
		return 0;
	default:
		return -1;
	}
}

static int
route_retry(QMGR_ROUTE *route, const char *what)
{
	route->action = QMGR_ROUTE_RETRY;
	vstring_sprintf(route->text, "4.3.0 %s lookup failure", what);
	return route->action;
}

/* Decide error:, discard: and the final nexthop. */
static int
route_finish(QMGR_ROUTE *route, const char *domain, int remote,
    const char *relayhost)
{
	const char *name = vstring_str(route->transport);

	if (strcmp(name, "error") == 0) {
		route->action = QMGR_ROUTE_ERROR;
		vstring_strcpy(route->text, vstring_len(route->nexthop) ?
		    vstring_str(route->nexthop) : "5.0.0 mail delivery error");
		return route->action;
	}
	if (strcmp(name, "discard") == 0) {
		route->action = QMGR_ROUTE_DISCARD;
		vstring_strcpy(route->text, vstring_str(route->nexthop));
		return route->action;
	}
	if (vstring_len(route->nexthop) == 0)
		vstring_strcpy(route->nexthop, remote && *relayhost ?
		    relayhost : *domain ? domain : "localhost");
	/* Host names fold; a UNIX-domain socket path ("unix:/Path") does not. */
	if (strncasecmp(vstring_str(route->nexthop), "unix:", 5) != 0 &&
	    vstring_str(route->nexthop)[0] != '/')
		vstring_lower(route->nexthop);
	route->action = QMGR_ROUTE_DELIVER;
	return route->action;
}

/* relocated_maps (relocated(5) keys); 1 found, 0 not, -1 failed. */
static int
route_relocated(const char *addr, VSTRING *result)
{
	VSTRING	*internal;
	const char *domain;
	int	 r, local;

	if (qmgr.routing->relocated_maps == NULL)
		return 0;
	internal = addr_unquote(vstring_alloc(64), addr);
	domain = qmgr_route_domain(addr);
	local = *domain == 0 || resolve_class_local(qmgr.routing->classes, domain) > 0;
	r = mail_addr_find(qmgr.routing->relocated_maps, vstring_str(internal),
	    local ? MAIL_ADDR_FIND_LOCAL : 0, qmgr.routing->delimiter, result, NULL);
	vstring_free(internal);
	return r;
}

/*
 * A sender-dependent table (sender_dependent_relayhost_maps and
 * _default_transport_maps): 1 found (not DUNNO), 0 not, -1 failed.
 */
static int
route_sender(MAIL_ADDR_MAPS *maps, const char *sender, const char *empty_key,
    VSTRING *result)
{
	int	 found;

	if (maps == NULL || sender == NULL)
		return 0;
	found = mail_addr_find(maps, *sender ? sender : empty_key, 0,
	    qmgr.routing->delimiter, result, NULL);
	if (found > 0 && strcasecmp(vstring_str(result), "DUNNO") == 0)
		found = 0;
	return found;
}

int
qmgr_route(const char *addr, const char *sender, QMGR_ROUTE *route)
{
	VSTRING	*mapped = vstring_alloc(64), *t = vstring_alloc(16);
	VSTRING	*n = vstring_alloc(32), *ss = vstring_alloc(32);
	VSTRING	*sr = vstring_alloc(32);
	const char *domain = qmgr_route_domain(addr), *spec;
	const char *relayhost = qmgr.routing->relayhost;
	int	 error, remote, found, sfound;

	vstring_reset(route->text);
	if ((found = route_relocated(addr, mapped)) != 0) {
		if (found < 0) {
			route_retry(route, "relocated table");
		} else {
			route->action = QMGR_ROUTE_ERROR;
			vstring_sprintf(route->text, "5.1.6 User has moved to %s",
			    vstring_str(mapped));
		}
		goto done;
	}
	if ((found = route_maps(addr, mapped, &error)) < 0
	    || route_class(addr, &spec, &remote) < 0) {
		route_retry(route, found < 0 ? "transport table" :
		    "domain table");
		goto done;
	}
	/* Per sender: default_transport, and relayhost. */
	if (spec == qmgr.routing->default_transport &&
	    (sfound = route_sender(qmgr.routing->sender_transport_maps, sender,
	    qmgr.routing->empty_transport_key, ss)) != 0) {
		if (sfound < 0) {
			route_retry(route, "sender-dependent transport table");
			goto done;
		}
		spec = vstring_str(ss);
	}
	if (remote && (sfound = route_sender(qmgr.routing->sender_relay_maps,
	    sender, qmgr.routing->empty_relay_key, sr)) != 0) {
		if (sfound < 0) {
			route_retry(route, "sender-dependent relayhost table");
			goto done;
		}
		relayhost = vstring_str(sr);
	}
	qmgr_route_parse(spec, route->transport, route->nexthop);
	if (!remote && vstring_len(route->nexthop) == 0)
		vstring_strcpy(route->nexthop, domain);
	if (found) {
		qmgr_route_parse(vstring_str(mapped), t, n);
		if (vstring_len(t) > 0) {
			vstring_strcpy(route->transport, vstring_str(t));
			vstring_strcpy(route->nexthop, strcmp(vstring_str(t),
			    "error") && strcmp(vstring_str(t), "discard") ?
			    domain : "");
			remote = 0;
		}
		if (vstring_len(n) > 0) {
			vstring_strcpy(route->nexthop, vstring_str(n));
			remote = 0;
		}
	}
	route_finish(route, domain, remote, relayhost);
done:
	vstring_free(mapped);
	vstring_free(t);
	vstring_free(n);
	vstring_free(ss);
	vstring_free(sr);
	return route->action;
}
