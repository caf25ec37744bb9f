/*
 * NAME
 *	cleanup_conf - the cleanup stage's per-process configuration
 * SYNOPSIS
 *	#include <cleanup.h>
 *
 *	CLEANUP_CONF *cleanup_conf_load(void);
 *	void	cleanup_conf_free(CLEANUP_CONF *conf);
 *	void	cleanup_conf_hook(CLEANUP_CONF *conf, const CLEANUP_HOOK *hook);
 * DESCRIPTION
 *	cleanup_conf_load() reads, once per process (a daemon's pre_init),
 *	the parameters of the cleanup stage: myorigin, mydomain,
 *	myhostname, recipient_delimiter, append_at_myorigin,
 *	append_dot_mydomain, remote_header_rewrite_domain,
 *	header_size_limit, hopcount_limit, canonical_maps, sender_canonical_maps,
 *	recipient_canonical_maps and their *_classes, masquerade_domains,
 *	masquerade_exceptions, masquerade_classes,
 *	propagate_unmatched_extensions, virtual_alias_maps,
 *	virtual_alias_recursion_limit, virtual_alias_expansion_limit,
 *	always_bcc, sender_bcc_maps, recipient_bcc_maps,
 *	always_add_missing_headers, message_drop_headers,
 *	undisclosed_recipients_header, enable_original_recipient, and
 *	mydestination (with inet_interfaces, proxy_interfaces) to know the
 *	local domains. Tables are opened through the process-wide cache
 *	(dict(3)), so a table smtpd also uses is opened once. A parameter
 *	left empty leaves a null pointer: that step costs a null test per
 *	message.
 *
 *	cleanup_conf_hook() registers a hook (cleanup(3), HOOKS); at most
 *	CLEANUP_MAX_HOOKS.
 * DIAGNOSTICS
 *	A class list with an unknown name is fatal, as Postfix's
 *	"unknown ... class" is.
 */
#include <string.h>
#include <strings.h>

#include "cleanup_priv.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"

static const struct {
	const char *name;
	int	 bit;
} cleanup_class_names[] = {
	{ "envelope_sender", CLEANUP_CLASS_ENV_SENDER },
	{ "envelope_recipient", CLEANUP_CLASS_ENV_RCPT },
	{ "header_sender", CLEANUP_CLASS_HDR_SENDER },
	{ "header_recipient", CLEANUP_CLASS_HDR_RCPT },
	{ NULL, 0 },
};

static const struct {
	const char *name;
	int	 bit;
} cleanup_ext_names[] = {
	{ "canonical", CLEANUP_EXT_CANONICAL },
	{ "virtual", CLEANUP_EXT_VIRTUAL },
	{ "alias", CLEANUP_EXT_ALIAS },
	{ "forward", CLEANUP_EXT_FORWARD },
	{ "include", CLEANUP_EXT_INCLUDE },
	{ "generic", CLEANUP_EXT_GENERIC },
	{ NULL, 0 },
};

int
cleanup_conf_classes(const char *param, const char *value)
{
	ARGV	*list = conf_split_list(value);
	int	 bits = 0, i;
	size_t	 j;

	for (j = 0; j < list->argc; j++) {
		for (i = 0; cleanup_class_names[i].name; i++)
			if (strcasecmp(list->argv[j], cleanup_class_names[i].name) == 0)
				break;
		if (cleanup_class_names[i].name == NULL)
			msg_fatal("unknown %s value \"%s\"", param, list->argv[j]);
		bits |= cleanup_class_names[i].bit;
	}
	argv_free(list);
	return bits;
}

static int
cleanup_conf_ext(void)
{
	ARGV	*list = conf_list("propagate_unmatched_extensions");
	int	 bits = 0, i;
	size_t	 j;

	for (j = 0; j < list->argc; j++) {
		for (i = 0; cleanup_ext_names[i].name; i++)
			if (strcasecmp(list->argv[j], cleanup_ext_names[i].name) == 0)
				bits |= cleanup_ext_names[i].bit;
	}
	argv_free(list);
	return bits;
}

/* cleanup_conf_list - a list parameter; null when it is empty. */
static ARGV *
cleanup_conf_list(const char *name)
{
	ARGV	*list = conf_list(name);

	if (list->argc == 0) {
		argv_free(list);
		return NULL;
	}
	return list;
}

CLEANUP_CONF *
cleanup_conf_load(void)
{
	CLEANUP_CONF *cf = mycalloc(1, sizeof(*cf));

	cf->myorigin = mystrdup(conf_str("myorigin"));
	cf->mydomain = mystrdup(conf_str("mydomain"));
	cf->myhostname = mystrdup(conf_str("myhostname"));
	cf->rcpt_delim = mystrdup(conf_str("recipient_delimiter"));
	cf->remote_domain = mystrdup(conf_str("remote_header_rewrite_domain"));
	cf->append_at_myorigin = conf_bool("append_at_myorigin");
	cf->append_dot_mydomain = conf_bool("append_dot_mydomain");
	cf->always_add = conf_bool("always_add_missing_headers");
	cf->hdr_limit = (size_t)conf_int("header_size_limit");
	cf->hop_limit = (int)conf_int("hopcount_limit");
	cf->canon = mail_addr_maps_param("canonical_maps");
	cf->send_canon = mail_addr_maps_param("sender_canonical_maps");
	cf->rcpt_canon = mail_addr_maps_param("recipient_canonical_maps");
	cf->canon_classes = cleanup_conf_classes("canonical_classes",
	    conf_str("canonical_classes"));
	cf->send_canon_classes = cleanup_conf_classes("sender_canonical_classes",
	    conf_str("sender_canonical_classes"));
	cf->rcpt_canon_classes = cleanup_conf_classes("recipient_canonical_classes",
	    conf_str("recipient_canonical_classes"));
	cf->masq_classes = cleanup_conf_classes("masquerade_classes",
	    conf_str("masquerade_classes"));
	cf->masq_domains = cleanup_conf_list("masquerade_domains");
	cf->masq_except = cleanup_conf_list("masquerade_exceptions");
	cf->propagate = cleanup_conf_ext();
	cf->virt = mail_addr_maps_param("virtual_alias_maps");
	cf->virt_recursion = (int)conf_int("virtual_alias_recursion_limit");
	cf->virt_expansion = (int)conf_int("virtual_alias_expansion_limit");
	cf->dup_limit = conf_int("duplicate_filter_limit");
	cf->empty_rcpt = mystrdup(conf_str("empty_address_recipient"));
	cf->always_bcc = mystrdup(conf_str("always_bcc"));
	cf->send_bcc = mail_addr_maps_param("sender_bcc_maps");
	cf->rcpt_bcc = mail_addr_maps_param("recipient_bcc_maps");
	cf->drop_headers = cleanup_conf_list("message_drop_headers");
	cf->undisclosed = mystrdup(conf_str("undisclosed_recipients_header"));
	cf->orig_rcpt = conf_bool("enable_original_recipient");
	cf->resolve = resolve_class_param();
	return cf;
}

void
cleanup_conf_free(CLEANUP_CONF *cf)
{
	myfree(cf->myorigin);
	myfree(cf->mydomain);
	myfree(cf->myhostname);
	myfree(cf->rcpt_delim);
	myfree(cf->remote_domain);
	mail_addr_maps_close(cf->canon);
	mail_addr_maps_close(cf->send_canon);
	mail_addr_maps_close(cf->rcpt_canon);
	mail_addr_maps_close(cf->virt);
	mail_addr_maps_close(cf->send_bcc);
	mail_addr_maps_close(cf->rcpt_bcc);
	if (cf->masq_domains)
		argv_free(cf->masq_domains);
	if (cf->masq_except)
		argv_free(cf->masq_except);
	if (cf->drop_headers)
		argv_free(cf->drop_headers);
	myfree(cf->always_bcc);
	myfree(cf->undisclosed);
	myfree(cf->empty_rcpt);
	resolve_class_free(cf->resolve);
	myfree(cf);
}

void
cleanup_conf_hook(CLEANUP_CONF *cf, const CLEANUP_HOOK *hook)
{
	if (cf->nhooks >= CLEANUP_MAX_HOOKS)
		msg_panic("cleanup_conf_hook: more than %d hooks", CLEANUP_MAX_HOOKS);
	cf->hooks[cf->nhooks++] = *hook;
}
