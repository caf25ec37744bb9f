/*
 * NAME
 *	master_listen - the master's listening sockets
 * SYNOPSIS
 *	#include "master.h"
 *
 *	ARGV	*master_listen_inet_addrs(const char *service);
 *	int	master_listen_spec(MASTER_SERV *serv, VSTRING *why);
 *	int	master_listen_open(MASTER_SERV **servp, VSTRING *why);
 *	void	master_listen_close(MASTER_SERV *serv);
 *	MASTER_SERV *master_listen_clone(const MASTER_SERV *serv, int index);
 * DESCRIPTION
 *	master_listen_inet_addrs() turns the service column of an inet
 *	entry into the addresses to bind: "host:port", "[ipv6]:port" and
 *	"*:port" are taken as they are; a bare port is combined with every
 *	inet_interfaces address ("all": every address, "loopback-only":
 *	127.0.0.1 and ::1).
 *
 *	master_listen_spec() fills in serv->spec (and serv->path for unix
 *	and fifo services: private/<name> or public/<name> under the queue
 *	directory, the master's working directory) from serv->name and
 *	serv->type; it rejects names that could leave those directories.
 *
 *	master_listen_open() binds serv->spec. When the specification gives
 *	several sockets (an inet name that resolves to several addresses)
 *	the service is cloned, one MASTER_SERV per socket, linked after
 *	*servp. Unix sockets are mode 0600 in private/, 0666 in public/;
 *	fifos 0600 and 0622. Started as root, both are owned by mail_owner
 *	so that unprivileged daemons can use them.
 *
 *	master_listen_close() closes the socket and removes a unix socket or
 *	fifo from the file system.
 *
 *	master_listen_clone() copies serv for socket number index of the
 *	same specification (no socket yet: listen_fd -1); master_reload(3)
 *	uses it too, when it hands several inherited sockets to a service.
 * DIAGNOSTICS
 *	master_listen_spec() and master_listen_open() return -1 with a
 *	reason in why.
 */
#include <sys/stat.h>
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "listen.h"
#include "mail_conf.h"
#include "master.h"
#include "msg.h"
#include "mymalloc.h"

#define MASTER_LISTEN_BACKLOG	1024

/* master_listen_join - "addr:port" with brackets around IPv6 addresses. */
static void
master_listen_join(ARGV *out, const char *addr, const char *port)
{
	VSTRING	*buf = vstring_alloc(64);

	if (addr[0] != '[' && strchr(addr, ':') != NULL)
		vstring_sprintf(buf, "[%s]:%s", addr, port);
	else
		vstring_sprintf(buf, "%s:%s", addr, port);
	argv_add(out, vstring_str(buf));
	vstring_free(buf);
}

ARGV *
master_listen_inet_addrs(const char *service)
{
	ARGV	*out = argv_alloc(4), *ifaces;
	size_t	 i;

	if (strchr(service, ':') != NULL) {
		argv_add(out, service);
		return out;
	}
	ifaces = conf_list("inet_interfaces");
	for (i = 0; i < ifaces->argc; i++) {
		if (strcasecmp(ifaces->argv[i], "all") == 0) {
			argv_add(out, service);
		} else if (strcasecmp(ifaces->argv[i], "loopback-only") == 0) {
			master_listen_join(out, "127.0.0.1", service);
			master_listen_join(out, "::1", service);
		} else
			master_listen_join(out, ifaces->argv[i], service);
	}
	if (ifaces->argc == 0)
		argv_add(out, service);
	argv_free(ifaces);
	return out;
}

int
master_listen_spec(MASTER_SERV *serv, VSTRING *why)
{
	VSTRING	*buf;

	if (serv->type == MASTER_TYPE_INET)
		return 0;		/* spec set by master_conf from the address */
	if (*serv->name == 0 || strchr(serv->name, '/') != NULL ||
	    strcmp(serv->name, ".") == 0 || strcmp(serv->name, "..") == 0) {
		vstring_sprintf(why, "%s service name \"%s\" is not a plain file name",
		    serv->type_name, serv->name);
		return -1;
	}
	buf = vstring_alloc(64);
	vstring_sprintf(buf, "%s/%s", serv->private ? "private" : "public",
	    serv->name);
	serv->path = mystrdup(vstring_str(buf));
	vstring_sprintf(buf, "%s:%s", serv->type_name, serv->path);
	serv->spec = vstring_export(buf);
	return 0;
}

/* master_listen_chown - sockets belong to mail_owner when we are root. */
static void
master_listen_chown(const char *path)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return;
	if ((pw = getpwnam(conf_str("mail_owner"))) == NULL) {
		msg_warn("mail_owner %s: no such user", conf_str("mail_owner"));
		return;
	}
	if (chown(path, pw->pw_uid, pw->pw_gid) < 0)
		msg_warn("chown %s: %m", path);
}

/* master_listen_clone - a copy of serv for the next socket of the same spec. */
MASTER_SERV *
master_listen_clone(const MASTER_SERV *serv, int index)
{
	MASTER_SERV *copy = mymemdup(serv, sizeof(*serv));

	copy->name = mystrdup(serv->name);
	copy->spec = mystrdup(serv->spec);
	copy->path = serv->path ? mystrdup(serv->path) : NULL;
	copy->signature = mystrdup(serv->signature);
	copy->command = mystrdup(serv->command);
	copy->args = argv_alloc(serv->args->argc + 1);
	for (size_t i = 0; i < serv->args->argc; i++)
		argv_add(copy->args, serv->args->argv[i]);
	copy->spec_index = index;
	copy->listen_fd = -1;
	return copy;
}

int
master_listen_open(MASTER_SERV **servp, VSTRING *why)
{
	MASTER_SERV *serv = *servp, *copy;
	int	 fds[INET_LISTEN_MAX], n, i;
	mode_t	 mode;

	switch (serv->type) {
	case MASTER_TYPE_INET:
		n = inet_listen(strchr(serv->spec, ':') + 1, MASTER_LISTEN_BACKLOG,
		    fds, INET_LISTEN_MAX, why);
		if (n < 0)
			return -1;
		serv->listen_fd = fds[0];
		for (i = 1; i < n; i++) {
			copy = master_listen_clone(serv, i);
			copy->listen_fd = fds[i];
			copy->next = serv->next;
			serv->next = copy;
			serv = copy;
		}
		*servp = serv;
		return 0;
	case MASTER_TYPE_UNIX:
	case MASTER_TYPE_PASS:
		mode = serv->private ? 0600 : 0666;
		if ((serv->listen_fd = unix_listen(serv->path, MASTER_LISTEN_BACKLOG,
		    mode, why)) < 0)
			return -1;
		break;
	case MASTER_TYPE_FIFO:
		mode = serv->private ? 0600 : 0622;
		if ((serv->listen_fd = fifo_listen(serv->path, mode, why)) < 0)
			return -1;
		break;
	default:
		msg_panic("master_listen_open: bad type %d", serv->type);
	}
	master_listen_chown(serv->path);
	return 0;
}

void
master_listen_close(MASTER_SERV *serv)
{
	if (serv->listen_fd < 0)
		return;
	if (serv->watching) {
		event_disable_readwrite(serv->listen_fd);
		serv->watching = 0;
	}
	(void)close(serv->listen_fd);
	serv->listen_fd = -1;
	if (serv->path != NULL && unlink(serv->path) < 0 && errno != ENOENT)
		msg_warn("remove %s: %m", serv->path);
}
