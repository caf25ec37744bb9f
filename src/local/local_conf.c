/*
 * NAME
 *	local_conf - the parameters of the local delivery agent
 * SYNOPSIS
 *	#include "local.h"
 *
 *	LOCAL_CONF local_cf;
 *
 *	void	local_conf_load(void);
 *	int	local_list_has(ARGV *list, const char *word);
 * DESCRIPTION
 *	local_conf_load() reads every parameter the local delivery agent
 *	uses into local_cf, once per process (see local(8) for the list).
 *
 *	local_list_has() tells whether a keyword list such as
 *	allow_mail_to_commands contains word (case-insensitive).
 * DIAGNOSTICS
 *	Invalid values are fatal (from mail_conf); an unusable
 *	mydestination is fatal.
 */
#include <strings.h>

#include "domain_list.h"
#include "local.h"
#include "cleanup.h"
#include "mail_conf.h"
#include "msg.h"

LOCAL_CONF local_cf;

int
local_list_has(ARGV *list, const char *word)
{
	size_t	 i;

	for (i = 0; i < list->argc; i++)
		if (strcasecmp(list->argv[i], word) == 0)
			return 1;
	return 0;
}

static void
local_conf_locks(void)
{
	ARGV	*locks = conf_list("mailbox_delivery_lock");

	local_cf.lock_fcntl = local_list_has(locks, "fcntl")
	    || local_list_has(locks, "flock");
	local_cf.lock_dotlock = local_list_has(locks, "dotlock");
	argv_free(locks);
}

void
local_conf_load(void)
{
	LOCAL_CONF *c = &local_cf;

	c->queue_dir = conf_str("queue_directory");
	c->cleanup = cleanup_conf_load();
	c->myhostname = conf_str("myhostname");
	c->myorigin = conf_str("myorigin");
	c->mail_owner = conf_str("mail_owner");
	c->default_privs = conf_str("default_privs");
	c->alias_maps = conf_str("alias_maps");
	c->delimiter = conf_str("recipient_delimiter");
	c->home_mailbox = conf_str("home_mailbox");
	c->spool_dir = conf_str("mail_spool_directory");
	c->mailbox_command = conf_str("mailbox_command");
	c->mailbox_command_maps = conf_str("mailbox_command_maps");
	c->mailbox_transport = conf_str("mailbox_transport");
	c->mailbox_transport_maps = conf_str("mailbox_transport_maps");
	c->luser_relay = conf_str("luser_relay");
	c->fallback_transport = conf_str("fallback_transport");
	c->fallback_transport_maps = conf_str("fallback_transport_maps");
	c->forward_path = conf_split_list(conf_str("forward_path"));
	c->cmd_allow = conf_list("allow_mail_to_commands");
	c->file_allow = conf_list("allow_mail_to_files");
	c->prepend_delivered = conf_list("prepend_delivered_header");
	c->export_env = conf_list("export_environment");
	c->fwd_filter = conf_str("forward_expansion_filter");
	c->exec_dir = conf_str("command_execution_directory");
	c->shell = conf_str("local_command_shell");
	c->size_limit = conf_size("mailbox_size_limit");
	c->cmd_time_limit = conf_time("command_time_limit");
	c->lock_attempts = conf_int("deliver_lock_attempts");
	c->lock_delay = conf_time("deliver_lock_delay");
	c->stale_lock_time = conf_time("stale_lock_time");
	c->strict_ownership = conf_bool("strict_mailbox_ownership");
	c->owner_special = conf_bool("owner_request_special");
	c->expand_owner = conf_bool("expand_owner_alias");
	c->require_home = conf_bool("require_home_directory");
	c->ipc_timeout = conf_time("ipc_timeout");
	c->classes = resolve_class_param();
	local_conf_locks();
}
