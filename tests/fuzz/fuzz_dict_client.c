/*
 * NAME
 *	fuzz_dict_client - fuzz harness: the replies of table servers
 *	(src/util: dict_socketmap.c, dict_tcp.c, dict_memcache.c and
 *	dict_client.c under them)
 * DESCRIPTION
 *	The first input byte picks the table type: socketmap:, tcp: or
 *	memcache: (with a backup table, so that a miss is stored with
 *	"set"). The rest is everything the server sends back, over one or
 *	more connections (fuzz_peer_start: each connection gets what is
 *	left), cut anywhere. Three lookups run on a fresh table: a local
 *	part, an address, and a key memcached cannot take.
 *
 *	Checked: a lookup gives a C string and no error, or null; an error
 *	is one of the dict error codes.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "fuzz.h"

static char sock_path[256];
static char specs[3][600];
static int listen_fd = -1;
static VSTRING *why;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 cf[300], text[600];

	fuzz_init("fuzz_dict_client");
	signal(SIGPIPE, SIG_IGN);
	why = vstring_alloc(100);
	snprintf(sock_path, sizeof(sock_path), "%s/table", fuzz_tmpdir());
	listen_fd = fuzz_peer_listen(sock_path);
	snprintf(cf, sizeof(cf), "%s/memcache.cf", fuzz_tmpdir());
	snprintf(text, sizeof(text), "memcache = unix:%s\nbackup = "
	    "inline:{ user=from-backup }\ntimeout = 1\nmax_try = 2\n"
	    "line_size_limit = 200\ndata_size_limit = 300\n", sock_path);
	if (fuzz_write_file(cf, text, strlen(text)) < 0)
		abort();
	snprintf(specs[0], sizeof(specs[0]), "socketmap:unix:%s:virtual",
	    sock_path);
	snprintf(specs[1], sizeof(specs[1]), "tcp:unix:%s", sock_path);
	snprintf(specs[2], sizeof(specs[2]), "memcache:%s", cf);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *keys[] = { "user", "user@example.com", "a key" };
	const char *v;
	DICT	*d;

	if (len == 0)
		return 0;
	fuzz_peer_start(listen_fd, data + 1, len - 1);
	if ((d = dict_open(specs[data[0] % 3], DICT_FLAG_DEFAULT, why)) == NULL)
		abort();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = dict_get(d, keys[i]);
		if (v != NULL && (d->error != DICT_ERR_NONE
		    || strlen(v) > len + sizeof("from-backup")))
			abort();
		if (d->error != DICT_ERR_NONE && d->error != DICT_ERR_RETRY
		    && d->error != DICT_ERR_CONFIG)
			abort();
	}
	dict_close(d);
	fuzz_peer_stop();
	return 0;
}
