/*
 * NAME
 *	fuzz_maildrop - fuzz harness: local submissions (maildrop.c) and
 *	the header section of a message (rfc822_hdr.c)
 * DESCRIPTION
 *	The input is a file in maildrop/ as pickup reads it: written by an
 *	unprivileged user, so not to be trusted. The envelope is read;
 *	one that reads must write back and read again to the same values.
 *	The content's header section is then collected as pickup and the
 *	local delivery agent do (rfc822_hdrs_line, with small limits), and
 *	the recipient headers are parsed as sendmail -t parses them.
 *
 *	Checked: values read are writable (maildrop_value_ok); the round
 *	trip is exact; the header held stays within its limits, and every
 *	field starts with a field name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr_parse.h"
#include "maildrop.h"
#include "mymalloc.h"
#include "rfc822_hdr.h"
#include "fuzz.h"

#define FUZZ_FIELD_LIMIT	1024
#define FUZZ_TOTAL_LIMIT	8192

static VSTRING *why, *wire, *line;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_maildrop");
	why = vstring_alloc(100);
	wire = vstring_alloc(1024);
	line = vstring_alloc(1024);
	return 0;
}

static int
fuzz_streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void
fuzz_maildrop_roundtrip(const MAILDROP_ENV *env)
{
	MAILDROP_ENV *back = maildrop_env_alloc();
	VSTREAM	*sp;

	vstring_reset(wire);
	sp = fuzz_stream(NULL, 0, 0, wire);
	if (maildrop_env_write(sp, env) < 0 || vstream_fflush(sp) < 0)
		abort();
	vstream_fclose(sp);
	sp = fuzz_stream((const uint8_t *)vstring_str(wire), vstring_len(wire), 0, NULL);
	if (maildrop_env_read(sp, back, why) < 0) {
		fprintf(stderr, "fuzz_maildrop: reread: %s\n", vstring_str(why));
		abort();
	}
	if (!fuzz_streq(env->sender, back->sender) || !fuzz_streq(env->fullname, back->fullname)
	    || !fuzz_streq(env->envid, back->envid) || env->notify != back->notify
	    || env->ret != back->ret || env->rcpt->argc != back->rcpt->argc)
		abort();
	for (size_t i = 0; i < env->rcpt->argc; i++)
		if (strcmp(env->rcpt->argv[i], back->rcpt->argv[i]) != 0)
			abort();
	vstream_fclose(sp);
	maildrop_env_free(back);
}

static void
fuzz_maildrop_headers(VSTREAM *sp)
{
	RFC822_HDRS *h = rfc822_hdrs_alloc(FUZZ_FIELD_LIMIT, FUZZ_TOTAL_LIMIT);
	ARGV	*rcpts = argv_alloc(8);
	static const char *names[] = {"To", "Cc", "Bcc", "From", "Resent-To"};
	const char *v;
	int	 r, st;

	for (;;) {
		st = vstream_get_line(sp, line, 65536, 0);
		if (st != VSTREAM_LINE_OK && st != VSTREAM_LINE_PARTIAL
		    && st != VSTREAM_LINE_LONG)
			break;
		if ((r = rfc822_hdrs_line(h, vstring_str(line), vstring_len(line)))
		    != RFC822_HDR_MORE)
			break;
	}
	if (h->size > FUZZ_TOTAL_LIMIT + FUZZ_FIELD_LIMIT + 2)
		abort();
	for (size_t i = 0; i < h->fields->argc; i++)
		if (rfc822_hdr_name_len(h->fields->argv[i], strlen(h->fields->argv[i])) == 0)
			abort();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((v = rfc822_hdrs_find(h, names[i])) != NULL)
			(void)addr_parse_list(rfc822_hdr_value(v), rcpts);
	(void)rfc822_hdrs_remove(h, "Bcc");
	rfc822_hdrs_prepend(h, "Received: by host.example.com (Postern, from userid 1000)");
	vstring_reset(why);
	rfc822_hdrs_text(why, h);
	argv_free(rcpts);
	rfc822_hdrs_free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	MAILDROP_ENV *env = maildrop_env_alloc();
	VSTREAM	*sp = fuzz_stream(data, len, 0, NULL);

	if (maildrop_env_read(sp, env, why) == 0) {
		if ((env->sender && !maildrop_value_ok(env->sender))
		    || (env->fullname && !maildrop_value_ok(env->fullname))
		    || (env->envid && !maildrop_value_ok(env->envid)))
			abort();
		for (size_t i = 0; i < env->rcpt->argc; i++)
			if (!maildrop_value_ok(env->rcpt->argv[i]))
				abort();
		fuzz_maildrop_roundtrip(env);
		fuzz_maildrop_headers(sp);
	}
	vstream_fclose(sp);
	maildrop_env_free(env);
	return 0;
}
