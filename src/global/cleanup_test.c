/*
 * cleanup_test - unit tests for the cleanup stage (cleanup*.c): header
 * parsing, address rewriting, virtual aliasing, the hooks and their edits.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "ptest.h"

static char qdir[] = "/tmp/cleanup_test.XXXXXX";

/* load - main.cf with these lines, and a fresh stage configuration */
static CLEANUP_CONF *
load(const char *lines)
{
	char	 path[128];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/main.cf", qdir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fprintf(fp, "myhostname = host.example\nmydomain = example\n"
	    "myorigin = origin.example\nmydestination = host.example\n"
	    "inet_interfaces = 127.0.0.1\n%s", lines);
	fclose(fp);
	mail_conf_read(qdir);
	return cleanup_conf_load();
}

/* run - one message through the stage; committed content in out */
static int
run(CLEANUP_CONF *cf, int flags, const char *sender, const char **rcpts,
    const char *content, VSTRING *out, QF_MSG **msgp, VSTRING *reply)
{
	VSTRING	*why = vstring_alloc(100);
	CLEANUP	*c = cleanup_open(cf, qdir, flags, why);
	char	 id[QF_ID_LEN + 1], buf[4096];
	off_t	 off = 0;
	ssize_t	 n;
	int	 r;

	if (c == NULL)
		abort();
	snprintf(id, sizeof(id), "%s", cleanup_id(c));
	qf_set_family(cleanup_qf(c), AF_UNIX);
	cleanup_sender(c, sender);
	for (; *rcpts; rcpts++)
		cleanup_rcpt(c, *rcpts, NULL, 0);
	/* In two pieces, the first ending mid-line, as SMTP delivers it. */
	cleanup_write(c, content, 7);
	cleanup_write(c, content + 7, strlen(content) - 7);
	r = cleanup_close(c, QF_INCOMING, reply);
	*msgp = NULL;
	vstring_reset(out);
	if (r == CLEANUP_OK) {
		*msgp = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, why);
		while (*msgp && (n = qf_read_content(*msgp, off, buf, sizeof(buf))) > 0) {
			vstring_memcat(out, buf, (size_t)n);
			off += n;
		}
	}
	vstring_free(why);
	return r;
}

PTEST(canonical_headers_and_envelope)
{
	CLEANUP_CONF *cf = load("canonical_maps = inline:{ {a@x.example=b@y.example}, "
	    "{@old.example=@new.example} }\nrecipient_delimiter = +\n");
	const char *rcpts[] = { "u+t@old.example", "bare", NULL };
	VSTRING	*out = vstring_alloc(100), *reply = vstring_alloc(100);
	QF_MSG	*m;

	PT_INTEQ(run(cf, CLEANUP_FLAG_PICKUP, "a@x.example", rcpts,
	    "From: \"A, (not a comment)\" <a@x.example> (c)\n"
	    "To: =?UTF-8?Q?=C3=A9?= <v@old.example>, group: a@x.example, \"q r\"@old.example;\n"
	    "Subject: \xc3\xa9\n\nbody a@x.example\n", out, &m, reply), CLEANUP_OK);
	PT_ASSERT(m != NULL);
	PT_STREQ(m->sender, "b@y.example");
	PT_INTEQ(m->nrcpt, 2);
	PT_STREQ(m->rcpt[0].address, "u+t@new.example");
	PT_STREQ(m->rcpt[0].orcpt, "rfc822;u+t@old.example");
	PT_STREQ(m->rcpt[1].address, "bare@origin.example");
	PT_ASSERT(strstr(vstring_str(out), "From: \"A, (not a comment)\" <b@y.example> (c)\n") != NULL);
	PT_ASSERT(strstr(vstring_str(out), "To: =?UTF-8?Q?=C3=A9?= <v@new.example>, "
	    "group: b@y.example, \"q r\"@new.example;\n") != NULL);
	PT_ASSERT(strstr(vstring_str(out), "\nSubject: \xc3\xa9\n") != NULL);
	PT_ASSERT(strstr(vstring_str(out), "\n\nbody a@x.example\n") != NULL);
	PT_ASSERT(strstr(vstring_str(out), "\nMessage-Id: <") != NULL);
	qf_close(m);
	cleanup_conf_free(cf);
	vstring_free(out);
	vstring_free(reply);
}

PTEST(virtual_expansion)
{
	CLEANUP_CONF *cf = load("virtual_alias_maps = inline:{ {l@v.example=a@d.example, "
	    "l2@v.example}, {l2@v.example=b@d.example, l@v.example}, "
	    "{me@v.example=me@v.example, c@d.example} }\n");
	const char *rcpts[] = { "l@v.example", "me@v.example", "a@d.example", NULL };
	VSTRING	*out = vstring_alloc(100), *reply = vstring_alloc(100);
	QF_MSG	*m;

	PT_INTEQ(run(cf, CLEANUP_FLAG_SMTPD, "s@x.example", rcpts,
	    "Subject: v\n\nx\n", out, &m, reply), CLEANUP_OK);
	PT_ASSERT(m != NULL);
	/* l -> a, l2 -> b, l (seen: kept); me keeps itself; a@d twice: once
	 * with ORCPT, once without (Postfix's duplicate test). */
	PT_INTEQ(m->nrcpt, 6);
	PT_STREQ(m->rcpt[0].address, "a@d.example");
	PT_STREQ(m->rcpt[1].address, "b@d.example");
	PT_STREQ(m->rcpt[2].address, "l@v.example");
	PT_STREQ(m->rcpt[3].address, "me@v.example");
	PT_STREQ(m->rcpt[4].address, "c@d.example");
	PT_STREQ(m->rcpt[5].address, "a@d.example");
	PT_ASSERT(m->rcpt[5].orcpt == NULL);
	qf_close(m);
	cleanup_conf_free(cf);
	vstring_free(out);
	vstring_free(reply);
}

PTEST(rewrite_and_resolve)
{
	CLEANUP_CONF *cf = load("");
	const char *rcpts[] = { "far.example!u1", "u2%far.example",
	    "u3%far.example@host.example", "\"u4@far.example\"@host.example",
	    "u5%host.example@host.example", "u6@host.example", NULL };
	VSTRING	*out = vstring_alloc(100), *reply = vstring_alloc(100);
	QF_MSG	*m;

	PT_INTEQ(run(cf, CLEANUP_FLAG_PICKUP, "far.example!s", rcpts,
	    "To: far.example!h1, h2%far.example\n\nx\n", out, &m, reply),
	    CLEANUP_OK);
	PT_ASSERT(m != NULL);
	PT_STREQ(m->sender, "s@far.example");
	PT_INTEQ(m->nrcpt, 6);
	PT_STREQ(m->rcpt[0].address, "u1@far.example");
	PT_STREQ(m->rcpt[1].address, "u2@far.example");
	PT_STREQ(m->rcpt[2].address, "u3@far.example");
	PT_STREQ(m->rcpt[2].orcpt, "rfc822;u3%far.example@host.example");
	PT_STREQ(m->rcpt[3].address, "u4@far.example");
	PT_STREQ(m->rcpt[4].address, "u5@host.example");
	PT_STREQ(m->rcpt[5].address, "u6@host.example");
	PT_ASSERT(m->rcpt[5].orcpt == NULL);
	PT_ASSERT(strstr(vstring_str(out),
	    "To: h1@far.example, h2@far.example\n") != NULL);
	qf_close(m);
	cleanup_conf_free(cf);

	/* All off: taken literally, local users with odd names. */
	cf = load("allow_percent_hack = no\nswap_bangpath = no\n"
	    "resolve_dequoted_address = no\n");
	PT_INTEQ(run(cf, CLEANUP_FLAG_PICKUP, "s", rcpts,
	    "Subject: x\n\nx\n", out, &m, reply), CLEANUP_OK);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->nrcpt, 6);
	PT_STREQ(m->rcpt[0].address, "far.example!u1@origin.example");
	PT_STREQ(m->rcpt[1].address, "u2%far.example@origin.example");
	PT_STREQ(m->rcpt[2].address, "u3%far.example@host.example");
	PT_STREQ(m->rcpt[3].address, "\"u4@far.example\"@host.example");
	PT_STREQ(m->rcpt[4].address, "u5%host.example@host.example");
	qf_close(m);
	cleanup_conf_free(cf);

	/* A local part that needs quotes: only the resolve step decides. */
	cf = load("resolve_dequoted_address = no\nmyorigin = host.example\n");
	rcpts[0] = "\"far.example!u b\"";
	rcpts[1] = "\"u%far.example\"";
	rcpts[2] = NULL;
	PT_INTEQ(run(cf, CLEANUP_FLAG_SMTPD, "s@x.example", rcpts,
	    "Subject: x\n\nx\n", out, &m, reply), CLEANUP_OK);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->nrcpt, 2);
	PT_STREQ(m->rcpt[0].address, "\"far.example!u b\"@host.example");
	PT_STREQ(m->rcpt[1].address, "u@far.example");
	qf_close(m);
	cleanup_conf_free(cf);
	vstring_free(out);
	vstring_free(reply);
}

PTEST(duplicate_filter_limit)
{
	const char *rcpts[] = { "b@d.example", "a@d.example", "a@d.example",
	    "b@d.example", NULL };
	VSTRING	*out = vstring_alloc(100), *reply = vstring_alloc(100);
	CLEANUP_CONF *cf;
	QF_MSG	*m;

	/* The default remembers all four: two recipients. */
	cf = load("");
	PT_INTEQ(run(cf, CLEANUP_FLAG_SMTPD, "s@x.example", rcpts,
	    "Subject: d\n\nx\n", out, &m, reply), CLEANUP_OK);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->nrcpt, 2);
	qf_close(m);
	cleanup_conf_free(cf);
	/* One remembered (b): the second a is written again, b is not. */
	cf = load("duplicate_filter_limit = 1\n");
	PT_INTEQ(run(cf, CLEANUP_FLAG_SMTPD, "s@x.example", rcpts,
	    "Subject: d\n\nx\n", out, &m, reply), CLEANUP_OK);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->nrcpt, 3);
	PT_STREQ(m->rcpt[0].address, "b@d.example");
	PT_STREQ(m->rcpt[1].address, "a@d.example");
	PT_STREQ(m->rcpt[2].address, "a@d.example");
	qf_close(m);
	cleanup_conf_free(cf);
	vstring_free(out);
	vstring_free(reply);
}

PTEST(empty_address_recipient)
{
	const char *rcpts[] = { "", "<>", "a@d.example", NULL };
	VSTRING	*out = vstring_alloc(100), *reply = vstring_alloc(100);
	CLEANUP_CONF *cf = load("empty_address_recipient = keeper\n");
	QF_MSG	*m;

	PT_INTEQ(run(cf, CLEANUP_FLAG_PICKUP, "s@x.example", rcpts,
	    "Subject: e\n\nx\n", out, &m, reply), CLEANUP_OK);
	PT_ASSERT(m != NULL);
	/* Both null addresses: keeper, qualified with myorigin, once. */
	PT_INTEQ(m->nrcpt, 2);
	PT_STREQ(m->rcpt[0].address, "keeper@origin.example");
	PT_STREQ(m->rcpt[1].address, "a@d.example");
	qf_close(m);
	cleanup_conf_free(cf);
	vstring_free(out);
	vstring_free(reply);
}

PTEST(missing_table_defers)
{
	CLEANUP_CONF *cf = load("virtual_alias_maps = hash:/nonexistent/table\n");
	const char *rcpts[] = { "r@x.example", NULL };
	VSTRING	*out = vstring_alloc(100), *reply = vstring_alloc(100);
	QF_MSG	*m;

	PT_INTEQ(run(cf, CLEANUP_FLAG_PICKUP, "s@x.example", rcpts,
	    "Subject: v\n\nx\n", out, &m, reply), CLEANUP_DEFER);
	PT_STREQ(vstring_str(reply), "451 4.3.0 Error: queue file write error");
	cleanup_conf_free(cf);
	vstring_free(out);
	vstring_free(reply);
}

/* A hook that exercises every callback and edit. */
static int hook_lines;

static void *
hook_begin(CLEANUP *c, void *ctx)
{
	hook_lines = 0;
	return ctx;
}

static int
hook_header(CLEANUP *c, void *ctx, VSTRING *field)
{
	if (strncmp(vstring_str(field), "X-Drop:", 7) == 0)
		return CLEANUP_DELETE;
	if (strncmp(vstring_str(field), "Subject:", 8) == 0) {
		vstring_strcat(field, " [tagged]");
		cleanup_hdr_add(c, "X-Prepended: 1");	/* lands before Subject */
	}
	return CLEANUP_KEEP;
}

static int
hook_body(CLEANUP *c, void *ctx, VSTRING *line)
{
	hook_lines++;
	return strcmp(vstring_str(line), "secret") == 0 ? CLEANUP_DELETE : CLEANUP_KEEP;
}

static void
hook_eom(CLEANUP *c, void *ctx)
{
	const char *mode = ctx;

	if (strcmp(mode, "reject") == 0) {
		cleanup_reject(c, "550 5.7.1 content rejected");
		return;
	}
	cleanup_hdr_insert(c, 0, "X-First: 1");
	cleanup_hdr_add(c, "X-Lines: counted");
	cleanup_rcpt_add(c, "added@x.example");
	cleanup_rcpt_delete(c, "gone@x.example");
	cleanup_sender_change(c, "new@x.example");
	if (strcmp(mode, "body") == 0)
		cleanup_body_replace(c, "replaced\n", 9);
}

static CLEANUP_HOOK test_hook = {
	"test", hook_begin, hook_header, NULL, hook_body, hook_eom, NULL, NULL,
};

PTEST(hooks_and_edits)
{
	CLEANUP_CONF *cf = load("");
	const char *rcpts[] = { "r@x.example", "gone@x.example", NULL };
	VSTRING	*out = vstring_alloc(100), *reply = vstring_alloc(100);
	QF_MSG	*m;
	CLEANUP_HOOK h = test_hook;
	int	 r;

	h.hook_ctx = "edit";
	cleanup_conf_hook(cf, &h);
	r = run(cf, CLEANUP_FLAG_SMTPD, "s@x.example", rcpts,
	    "Subject: s\nX-Drop: me\nMessage-Id: <a@b>\n\nline 1\nsecret\nline 3", out,
	    &m, reply);
	PT_INTEQ(r, CLEANUP_OK);
	PT_ASSERT(m != NULL);
	PT_STREQ(vstring_str(out), "X-First: 1\nX-Prepended: 1\nSubject: s [tagged]\n"
	    "Message-Id: <a@b>\nX-Lines: counted\n\nline 1\nline 3\n");
	PT_INTEQ(hook_lines, 3);
	PT_STREQ(m->sender, "new@x.example");
	PT_INTEQ(m->nrcpt, 2);
	PT_STREQ(m->rcpt[0].address, "r@x.example");
	PT_STREQ(m->rcpt[1].address, "added@x.example");
	qf_close(m);
	cleanup_conf_free(cf);

	cf = load("");
	h.hook_ctx = "body";
	cleanup_conf_hook(cf, &h);
	PT_INTEQ(run(cf, CLEANUP_FLAG_SMTPD, "s@x.example", rcpts,
	    "Subject: s\n\nold body\n", out, &m, reply), CLEANUP_OK);
	PT_STREQ(vstring_str(out), "X-First: 1\nX-Prepended: 1\nSubject: s [tagged]\n"
	    "X-Lines: counted\n\nreplaced\n");
	qf_close(m);
	cleanup_conf_free(cf);

	cf = load("");
	h.hook_ctx = "reject";
	cleanup_conf_hook(cf, &h);
	PT_INTEQ(run(cf, CLEANUP_FLAG_SMTPD, "s@x.example", rcpts,
	    "Subject: s\n\nx\n", out, &m, reply), CLEANUP_REJECT);
	PT_STREQ(vstring_str(reply), "550 5.7.1 content rejected");
	/* Hooks do not run for mail opened without CLEANUP_FLAG_FILTER. */
	PT_INTEQ(run(cf, CLEANUP_FLAG_BOUNCE, "", rcpts, "Subject: s\n\nx\n", out, &m,
	    reply), CLEANUP_OK);
	PT_ASSERT(strstr(vstring_str(out), "[tagged]") == NULL);
	qf_close(m);
	cleanup_conf_free(cf);
	vstring_free(out);
	vstring_free(reply);
}

PTEST(header_limit_and_drop)
{
	CLEANUP_CONF *cf = load("header_size_limit = 20\n");
	const char *rcpts[] = { "r@x.example", NULL };
	VSTRING	*out = vstring_alloc(100), *reply = vstring_alloc(100);
	QF_MSG	*m;

	PT_INTEQ(run(cf, CLEANUP_FLAG_SMTPD, "s@x.example", rcpts,
	    "Subject: 0123456789012345678901234567890\n\tmore\nBcc: x@y\n"
	    "Content-Length: 9\nTo: r@x.example\n\nbody\n", out, &m, reply), CLEANUP_OK);
	PT_STREQ(vstring_str(out), "Subject: 01234567890\nTo: r@x.example\n\nbody\n");
	qf_close(m);
	cleanup_conf_free(cf);
	vstring_free(out);
	vstring_free(reply);
}

int
main(void)
{
	msg_init("postern", "cleanup_test");
	if (mkdtemp(qdir) == NULL || qf_make_dirs(qdir, geteuid(), getegid(), NULL) < 0) {
		printf("FAIL setup\n");
		return 1;
	}
	PT_RUN(canonical_headers_and_envelope);
	PT_RUN(virtual_expansion);
	PT_RUN(rewrite_and_resolve);
	PT_RUN(duplicate_filter_limit);
	PT_RUN(empty_address_recipient);
	PT_RUN(missing_table_defers);
	PT_RUN(hooks_and_edits);
	PT_RUN(header_limit_and_drop);
	pt_rmtree(qdir);
	return PT_DONE();
}
