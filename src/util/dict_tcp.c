/*
 * NAME
 *	dict_tcp - tcp: tables (Postfix's tcp_table(5) request/reply protocol)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_tcp_ops;
 * DESCRIPTION
 *	"tcp:host:port" (or "tcp:inet:host:port", "tcp:unix:/path") sends
 *	"get SPACE key NEWLINE" and reads one reply line: "200 SPACE value"
 *	(found), "500 SPACE text" (not found), "400 SPACE text" (temporary
 *	failure). The key and the value are %XX-encoded for bytes that are
 *	white space, control characters, "%" or above 126. Reply lines are
 *	bounded to 100000 bytes; I/O times out after 100 s. The connection
 *	is kept open between lookups.
 * DIAGNOSTICS
 *	An unreachable server, a 400 reply, and a malformed reply set
 *	DICT_ERR_RETRY.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dict.h"
#include "dict_client.h"
#include "msg.h"
#include "mymalloc.h"

#define TCP_MAX_REPLY	100000
#define TCP_TIMEOUT	100

typedef struct DICT_TCP {
	DICT_CLIENT *client;
	VSTRING	*line;
	VSTRING	*result;
	VSTRING	*request;
} DICT_TCP;

static int
dict_tcp_open(DICT *dict, VSTRING *why)
{
	DICT_TCP *dt;
	DICT_CLIENT *client;

	if ((client = dict_client_create(dict->name, TCP_TIMEOUT, why)) == NULL)
		return -1;
	dt = mycalloc(1, sizeof(*dt));
	dt->client = client;
	dt->line = vstring_alloc(128);
	dt->result = vstring_alloc(128);
	dt->request = vstring_alloc(128);
	dict->data = dt;
	return 0;
}

static void
dict_tcp_encode(VSTRING *out, const char *s)
{
	unsigned char c;

	for (; *s; s++) {
		c = (unsigned char)*s;
		if (c <= ' ' || c == '%' || c > 126)
			vstring_sprintf_append(out, "%%%02X", c);
		else
			vstring_addch(out, (char)c);
	}
}

static int
dict_tcp_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode in place; -1 for a bad %XX or a NUL. */
static int
dict_tcp_decode(VSTRING *out, const char *s)
{
	int	 h, l;

	vstring_reset(out);
	for (; *s; s++) {
		if (*s != '%') {
			vstring_addch(out, *s);
			continue;
		}
		if ((h = dict_tcp_hex(s[1])) < 0 || (l = dict_tcp_hex(s[2])) < 0
		    || (h == 0 && l == 0))
			return -1;
		vstring_addch(out, h * 16 + l);
		s += 2;
	}
	return 0;
}

/* dict_tcp_exchange - one request, one reply line; 0 or -1 */
static int
dict_tcp_exchange(VSTREAM *stream, void *context)
{
	DICT_TCP *dt = context;

	vstream_write(stream, vstring_str(dt->request), vstring_len(dt->request));
	return vstream_fflush(stream) == 0
	    && vstream_get_line(stream, dt->line, TCP_MAX_REPLY,
	    VSTREAM_GL_CRLF) == VSTREAM_LINE_OK ? 0 : -1;
}

/* Make the value of the reply in dt->line, or null with an error. */
static const char *
dict_tcp_parse(DICT *dict, void *context)
{
	DICT_TCP *dt = context;
	const char *line = vstring_str(dt->line);

	if (strlen(line) < 3 || (line[3] != ' ' && line[3] != 0)) {
		dict_set_error(dict, DICT_ERR_RETRY, "%s: bad reply: %.100s",
		    dict->spec, line);
		dict_client_drop(dt->client);
	} else if (strncmp(line, "200", 3) == 0) {
		if (dict_tcp_decode(dt->result, line[3] ? line + 4 : "") == 0)
			return vstring_str(dt->result);
		dict_set_error(dict, DICT_ERR_RETRY, "%s: bad %%XX in reply",
		    dict->spec);
	} else if (strncmp(line, "500", 3) != 0) {
		dict_set_error(dict, DICT_ERR_RETRY, "%s: server: %.200s",
		    dict->spec, line);
	}
	return NULL;
}

static const char *
dict_tcp_get(DICT *dict, const char *key)
{
	DICT_TCP *dt = dict->data;

	vstring_strcpy(dt->request, "get ");
	dict_tcp_encode(dt->request, key);
	vstring_addch(dt->request, '\n');
	return dict_client_get(dict, dt->client, dict_tcp_exchange,
	    dict_tcp_parse, dt);
}

static void
dict_tcp_close(DICT *dict)
{
	DICT_TCP *dt = dict->data;

	dict_client_free(dt->client);
	vstring_free(dt->line);
	vstring_free(dt->result);
	vstring_free(dt->request);
	myfree(dt);
	dict->data = NULL;
}

const DICT_OPS dict_tcp_ops = {
	"tcp", 1, dict_tcp_open, dict_tcp_get, NULL, NULL, NULL, NULL,
	dict_tcp_close,
};
