/*
 * NAME
 *	smtpctl_clients - show clients: the SMTP clients smtpd counts now
 * SYNOPSIS
 *	#include "smtpctl.h"
 *
 *	int	smtpctl_show_clients(const SC_CMD *cmd);
 * DESCRIPTION
 *	smtpctl_show_clients() reads the file in which every smtpd process
 *	counts its clients (anvil(3), $queue_directory/pid/anvil) and
 *	prints the clients that have a connection open or events in the
 *	current anvil_rate_time_unit window, most connections first, then
 *	highest connection rate, at most SC_CLIENTS_MAX of them. One line
 *	per client:
 *
 *	    address service=smtp connections=3 connection_rate=5 \
 *	    message_rate=1 recipient_rate=2 newtls_rate=0 auth_rate=0 \
 *	    window=12s
 *
 *	where window is the age of the rate window. With -j each client is
 *	a JSON object with the same names (and "address", "service").
 *	Clients in smtpd_client_event_limit_exceptions are not counted by
 *	smtpd, so they are not shown.
 * DIAGNOSTICS
 *	Exit status 1 with a message when the file cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anvil.h"
#include "mail_conf.h"
#include "mymalloc.h"
#include "smtpctl.h"

#define SC_CLIENTS_MAX	1000

static int
sc_clients_cmp(const void *a, const void *b)
{
	const ANVIL_INFO *x = a, *y = b;

	if (x->count != y->count)
		return y->count - x->count;
	if (x->rate[ANVIL_CONN] != y->rate[ANVIL_CONN])
		return y->rate[ANVIL_CONN] - x->rate[ANVIL_CONN];
	return strcmp(x->key, y->key);
}

static void
sc_clients_print(const ANVIL_INFO *c, int json, time_t now)
{
	static const char *names[ANVIL_NRATE] = {"connection_rate",
	"message_rate", "recipient_rate", "newtls_rate", "auth_rate"};
	char	 service[ANVIL_KEY_MAX];
	const char *addr = c->split >= 0 ? c->key + c->split + 1 : c->key;

	snprintf(service, sizeof(service), "%.*s", c->split >= 0 ? c->split : 0,
	    c->key);
	if (json) {
		printf("{\"address\":");
		smtpctl_json_string(addr);
		printf(",\"service\":");
		smtpctl_json_string(service);
		printf(",\"connections\":%d", c->count);
		for (int i = 0; i < ANVIL_NRATE; i++)
			printf(",\"%s\":%d", names[i], c->rate[i]);
		printf(",\"window\":%lld}\n", (long long)now - c->start);
		return;
	}
	printf("%s service=%s connections=%d", addr, service, c->count);
	for (int i = 0; i < ANVIL_NRATE; i++)
		printf(" %s=%d", names[i], c->rate[i]);
	printf(" window=%llds\n", (long long)now - c->start);
}

int
smtpctl_show_clients(const SC_CMD *cmd)
{
	VSTRING	*path = vstring_alloc(100), *why = vstring_alloc(100);
	ANVIL_INFO *list;
	time_t	 now = time(NULL);
	int	 n;

	vstring_sprintf(path, "%s/%s", conf_str("queue_directory"), ANVIL_FILE);
	n = anvil_snapshot(vstring_str(path), &list, why);
	vstring_free(path);
	if (n < 0) {
		fprintf(stderr, "smtpctl: %s\n", vstring_str(why));
		vstring_free(why);
		return SC_EXIT_FAIL;
	}
	vstring_free(why);
	if (n > 0)
		qsort(list, n, sizeof(*list), sc_clients_cmp);
	for (int i = 0; i < n && i < SC_CLIENTS_MAX; i++)
		sc_clients_print(list + i, cmd->json, now);
	myfree(list);
	fflush(stdout);
	return SC_EXIT_OK;
}
