/*
 * local_copy_test - unit tests for local_copy.c and local_var.c
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local.h"
#include "ptest.h"

static char qdir[] = "/tmp/local_copy_test.XXXXXX";

static int
collect(void *ctx, const char *buf, size_t len)
{
	vstring_memcat((VSTRING *)ctx, buf, len);
	return 0;
}

/* make_msg - a queue file with this content, opened read-only */

static QF_MSG *
make_msg(const char *content)
{
	VSTRING	*why = vstring_alloc(100);
	QF_WRITER *w;
	QF_MSG	*m = NULL;
	char	 id[QF_ID_LEN + 1];

	if ((w = qf_create(qdir, why)) == NULL)
		goto out;
	qf_set_sender(w, "s@example.com");
	qf_set_arrival(w, time(NULL));
	qf_set_family(w, AF_UNIX);
	qf_add_rcpt(w, "u@localhost", NULL, 0);
	if (qf_write_content(w, content, strlen(content)) < 0) {
		qf_abort(w);
		goto out;
	}
	snprintf(id, sizeof(id), "%s", qf_writer_id(w));
	if (qf_commit(w, QF_INCOMING, why) == 0)
		m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, why);
out:
	vstring_free(why);
	return m;
}

static void
make_state(LOCAL_STATE *state, LOCAL_REQ *req, LOCAL_RCPT *rcpt, QF_MSG *m)
{
	memset(state, 0, sizeof(*state));
	memset(req, 0, sizeof(*req));
	memset(rcpt, 0, sizeof(*rcpt));
	req->msg = m;
	req->dr.sender = "s@example.com";
	rcpt->addr = "u+x@localhost";
	rcpt->orcpt = "rfc822;alias@localhost";
	state->req = req;
	state->rcpt = rcpt;
	state->addr = "u+x@localhost";
	state->user = "u";
	state->home = "/home/u";
	state->extension = "x";
}

PTEST(mbox_format)
{
	LOCAL_STATE state;
	LOCAL_REQ req;
	LOCAL_RCPT rcpt;
	VSTRING	*out = vstring_alloc(100), *why = vstring_alloc(100);
	QF_MSG	*m = make_msg("Subject: t\n\nFrom here\nFromage\n>From x\nlast");
	const char *body;

	PT_ASSERT(m != NULL);
	make_state(&state, &req, &rcpt, m);
	PT_ASSERT(local_copy(&state, LOCAL_COPY_MBOX, 0, collect, out, why) == 0);
	PT_ASSERT(strncmp(vstring_str(out), "From s@example.com  ", 20) == 0);
	body = strstr(vstring_str(out), "\nReturn-Path: <s@example.com>\n"
	    "X-Original-To: alias@localhost\nDelivered-To: u+x@localhost\n"
	    "Subject: t\n\n");
	PT_ASSERT(body != NULL);
	PT_ASSERT(strstr(body, "\n\n>From here\nFromage\n>From x\nlast\n\n") != NULL);
	PT_ASSERT(vstring_end(out)[-1] == '\n' && vstring_end(out)[-2] == '\n');
	vstring_reset(out);
	PT_ASSERT(local_copy(&state, 0, 0, collect, out, why) == 0);
	PT_STREQ(vstring_str(out), "Subject: t\n\nFrom here\nFromage\n>From x\nlast\n");
	qf_close(m);
	vstring_free(out);
	vstring_free(why);
}

PTEST(size_limit)
{
	LOCAL_STATE state;
	LOCAL_REQ req;
	LOCAL_RCPT rcpt;
	VSTRING	*out = vstring_alloc(100), *why = vstring_alloc(100);
	QF_MSG	*m = make_msg("Subject: t\n\n0123456789\n");

	PT_ASSERT(m != NULL);
	make_state(&state, &req, &rcpt, m);
	errno = 0;
	PT_ASSERT(local_copy(&state, 0, 10, collect, out, why) < 0);
	PT_INTEQ(errno, EFBIG);
	PT_INTEQ(vstring_len(out), 0);
	PT_ASSERT(local_copy(&state, 0, 100, collect, out, why) == 0);
	qf_close(m);
	vstring_free(out);
	vstring_free(why);
}

PTEST(var_expand)
{
	LOCAL_STATE state;
	LOCAL_REQ req;
	LOCAL_RCPT rcpt;
	VSTRING	*out = vstring_alloc(100);
	const char *filter = "abcdefghijklmnopqrstuvwxyz0123456789-_./+";

	make_state(&state, &req, &rcpt, NULL);
	local_cf.delimiter = "+";
	PT_ASSERT(local_var_expand(&state, out, "$home/.forward${recipient_delimiter}${extension}",
	    filter) == 0);
	PT_STREQ(vstring_str(out), "/home/u/.forward+x");
	PT_ASSERT(local_var_expand(&state, out, "${extension?+$extension}:${shell:none}:$$", NULL) == 0);
	PT_STREQ(vstring_str(out), "+$extension:none:$");
	PT_ASSERT(local_var_expand(&state, out, "$user@$domain $local", NULL) == 0);
	PT_STREQ(vstring_str(out), "u@localhost u+x");
	state.extension = "../../etc";
	PT_ASSERT(local_var_expand(&state, out, "$home/.forward+$extension", filter) < 0);
	state.extension = "a b";
	PT_ASSERT(local_var_expand(&state, out, "$home/.forward+$extension", filter) < 0);
	PT_ASSERT(local_var_expand(&state, out, "${user", NULL) < 0);
	vstring_free(out);
}

int
main(void)
{
	VSTRING	*why = vstring_alloc(100);
	int	 rc;

	if (mkdtemp(qdir) == NULL || qf_make_dirs(qdir, (uid_t)-1, (gid_t)-1, why) < 0) {
		printf("FAIL setup: %s\n", vstring_str(why));
		return 1;
	}
	PT_RUN(mbox_format);
	PT_RUN(size_limit);
	PT_RUN(var_expand);
	rc = PT_DONE();
	pt_rmtree(qdir);
	vstring_free(why);
	return rc;
}
