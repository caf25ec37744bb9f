/*
 * NAME
 *	master_conf - master.cf entries to master services
 * SYNOPSIS
 *	#include "master.h"
 *
 *	MASTER_SERV *master_conf_load(VSTRING *why);
 *	void	master_conf_free(MASTER_SERV *list);
 *	void	master_serv_free(MASTER_SERV *serv);
 *	MASTER_SERV *master_conf_line(const char *line, VSTRING *why);
 * DESCRIPTION
 *	master_conf_load() reads master.cf of the configuration in effect
 *	(master_ent(3) does the parsing) and returns the list of services,
 *	listeners not yet opened. An inet entry without a host becomes one
 *	service per inet_interfaces address. Each service gets the command
 *	line its processes run with:
 *
 *		command -n service -t type [-P] [-o name=value]... [args]
 *
 *	where command is $daemon_directory/command unless it contains a
 *	slash, -P means "keep root privileges" (unpriv column n) and the -o
 *	options come from master.cf. In the foreground without a
 *	maillog_file, the children log to the master's stderr (-o
 *	maillog_file=/dev/stderr), except in a queue run (master -1), where
 *	they log as daemons do. Every -v of the master is passed on.
 *
 *	The chroot column is accepted and ignored: Postern does not chroot.
 *	A pass service is a UNIX socket like a unix service; its clients
 *	(screen) pass it an accepted connection (unix_pass(3)), which the
 *	single-client skeleton serves. unix-dgram services are not
 *	supported: they are skipped with a warning.
 *
 *	master_service_disable (Postfix's syntax: service types such as
 *	"inet", or "name/type" pairs where name is master.cf's first column
 *	as written, "!" to exclude, compared without case, the first match
 *	decides; no files, tables or wildcards) takes matching entries out:
 *	they get no listener and no process, and the master logs
 *	"service name/type disabled by master_service_disable".
 *
 *	master_conf_line() makes the service of one master.cf line given
 *	by the program (a built-in default entry).
 * DIAGNOSTICS
 *	A null result with a reason in why when master.cf cannot be used;
 *	a null result with an empty why when it defines no service.
 */
#include <string.h>
#include <strings.h>

#include "mail_conf.h"
#include "master.h"
#include "master_ent.h"
#include "msg.h"
#include "mymalloc.h"

void
master_serv_free(MASTER_SERV *serv)
{
	myfree(serv->name);
	myfree(serv->spec);
	myfree(serv->path);
	myfree(serv->signature);
	myfree(serv->command);
	argv_free(serv->args);
	myfree(serv);
}

void
master_conf_free(MASTER_SERV *list)
{
	MASTER_SERV *next;

	for (; list; list = next) {
		next = list->next;
		master_serv_free(list);
	}
}

/* master_conf_args - the command line of the service's processes. */
static void
master_conf_args(MASTER_SERV *serv, const MASTER_ENT *ent)
{
	VSTRING	*buf = vstring_alloc(100);
	size_t	 i;
	int	 v;

	if (strchr(ent->command, '/') != NULL)
		serv->command = mystrdup(ent->command);
	else {
		vstring_sprintf(buf, "%s/%s", conf_str("daemon_directory"),
		    ent->command);
		serv->command = mystrdup(vstring_str(buf));
	}
	serv->args = argv_alloc(8 + ent->args->argc + 2 * ent->overrides->argc);
	argv_add(serv->args, ent->command);
	argv_add(serv->args, "-n");
	argv_add(serv->args, ent->service);
	argv_add(serv->args, "-t");
	argv_add(serv->args, ent->type_name);
	if (!ent->unpriv)
		argv_add(serv->args, "-P");
	for (v = 0; v < msg_verbose; v++)
		argv_add(serv->args, "-v");
	if (master_foreground && !master_oneshot
	    && *conf_str("maillog_file") == 0) {
		argv_add(serv->args, "-o");
		argv_add(serv->args, "maillog_file=/dev/stderr");
	}
	for (i = 0; i < ent->overrides->argc; i++) {
		argv_add(serv->args, "-o");
		argv_add(serv->args, ent->overrides->argv[i]);
	}
	for (i = 0; i < ent->args->argc; i++)
		argv_add(serv->args, ent->args->argv[i]);
	vstring_free(buf);
}

/* master_conf_serv - one service from an entry, with the given spec. */
static MASTER_SERV *
master_conf_serv(const MASTER_ENT *ent, const char *inet_addr)
{
	MASTER_SERV *serv = mycalloc(1, sizeof(*serv));
	VSTRING	*buf = vstring_alloc(100);
	char	*line;

	serv->name = mystrdup(ent->service);
	serv->type = ent->type == MASTER_ENT_INET ? MASTER_TYPE_INET :
	    ent->type == MASTER_ENT_UNIX ? MASTER_TYPE_UNIX :
	    ent->type == MASTER_ENT_PASS ? MASTER_TYPE_PASS : MASTER_TYPE_FIFO;
	serv->type_name = serv->type == MASTER_TYPE_INET ? "inet" :
	    serv->type == MASTER_TYPE_UNIX ? "unix" :
	    serv->type == MASTER_TYPE_PASS ? "pass" : "fifo";
	serv->private = ent->private;
	serv->unpriv = ent->unpriv;
	serv->wakeup = ent->wakeup;
	serv->wakeup_if_used = ent->wakeup_if_used;
	serv->max_proc = ent->maxproc;
	serv->listen_fd = -1;
	master_conf_args(serv, ent);
	line = master_ent_format(ent);
	serv->signature = line;
	if (inet_addr != NULL) {
		vstring_sprintf(buf, "inet:%s", inet_addr);
		serv->spec = mystrdup(vstring_str(buf));
	}
	vstring_free(buf);
	return serv;
}

/* master_conf_inet_addrs - the addresses an inet entry binds. */
static ARGV *
master_conf_inet_addrs(const MASTER_ENT *ent)
{
	VSTRING	*buf;
	ARGV	*addrs;

	if (ent->inet_host == NULL)
		return master_listen_inet_addrs(ent->inet_port);
	buf = vstring_alloc(64);
	if (strchr(ent->inet_host, ':') != NULL)
		vstring_sprintf(buf, "[%s]:%s", ent->inet_host, ent->inet_port);
	else
		vstring_sprintf(buf, "%s:%s", ent->inet_host, ent->inet_port);
	addrs = argv_alloc(1);
	argv_add(addrs, vstring_str(buf));
	vstring_free(buf);
	return addrs;
}

/* master_conf_entry - append the services of one entry; -1 on error. */
static int
master_conf_entry(const MASTER_ENT *ent, MASTER_SERV ***tailp, VSTRING *why)
{
	MASTER_SERV *serv;
	ARGV	*addrs;
	size_t	 i;

	if (ent->type != MASTER_ENT_INET && ent->type != MASTER_ENT_UNIX &&
	    ent->type != MASTER_ENT_FIFO && ent->type != MASTER_ENT_PASS) {
		msg_warn("%s, line %d: %s service %s: type not supported; skipped",
		    ent->file, ent->line, ent->type_name, ent->service);
		return 0;
	}
	if (ent->type == MASTER_ENT_INET) {
		addrs = master_conf_inet_addrs(ent);
		for (i = 0; i < addrs->argc; i++) {
			serv = master_conf_serv(ent, addrs->argv[i]);
			**tailp = serv;
			*tailp = &serv->next;
		}
		argv_free(addrs);
		return 0;
	}
	serv = master_conf_serv(ent, NULL);
	if (master_listen_spec(serv, why) < 0) {
		master_serv_free(serv);
		return -1;
	}
	**tailp = serv;
	*tailp = &serv->next;
	return 0;
}

/* master_conf_disabled - does master_service_disable match the entry? */
static int
master_conf_disabled(const ARGV *list, const MASTER_ENT *ent)
{
	const char *pat, *slash;
	size_t	 n;
	int	 negate;

	for (size_t i = 0; i < list->argc; i++) {
		pat = list->argv[i];
		if ((negate = (*pat == '!')) != 0)
			pat++;
		if ((slash = strrchr(pat, '/')) == NULL) {
			if (strcasecmp(pat, ent->type_name) == 0)
				return !negate;
			continue;
		}
		n = (size_t)(slash - pat);
		if (strlen(ent->service) == n
		    && strncasecmp(pat, ent->service, n) == 0
		    && strcasecmp(slash + 1, ent->type_name) == 0)
			return !negate;
	}
	return 0;
}

MASTER_SERV *
master_conf_load(VSTRING *why)
{
	MASTER_TABLE *table;
	MASTER_SERV *list = NULL, **tail = &list;
	size_t	 i, j;

	ARGV	*disable;

	vstring_reset(why);
	if ((table = master_ent_load(NULL, why)) == NULL)
		return NULL;
	disable = conf_list("master_service_disable");
	for (i = 0; i < table->count; i++) {
		if (master_conf_disabled(disable, table->ent[i])) {
			msg_info("service %s/%s disabled by master_service_disable",
			    table->ent[i]->service, table->ent[i]->type_name);
			continue;
		}
		for (j = 0; j < table->ent[i]->overrides->argc; j++)
			(void)conf_compat_warn_override(
			    table->ent[i]->overrides->argv[j],
			    table->ent[i]->service);
		if (master_conf_entry(table->ent[i], &tail, why) < 0) {
			master_conf_free(list);
			master_ent_table_free(table);
			argv_free(disable);
			return NULL;
		}
	}
	master_ent_table_free(table);
	argv_free(disable);
	if (list == NULL)
		msg_warn("master.cf defines no service");
	return list;
}

MASTER_SERV *
master_conf_line(const char *line, VSTRING *why)
{
	MASTER_SERV *list = NULL, **tail = &list;
	MASTER_ENT *ent;

	vstring_reset(why);
	if ((ent = master_ent_parse(line, "(built-in)", 1, why)) == NULL)
		return NULL;
	if (master_conf_entry(ent, &tail, why) < 0)
		list = NULL;
	master_ent_free(ent);
	return list;
}
