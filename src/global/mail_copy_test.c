/*
 * mail_copy_test - unit tests for mail_copy.c, mbox_write.c and
 * maildir_write.c, the mailbox writers local(8) and virtual(8) share,
 * and for delivered_hdr.c, their mail loop test (one queue to write
 * the messages into).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "delivered_hdr.h"
#include "mail_copy.h"
#include "msg.h"
#include "ptest.h"

static char dir[] = "/tmp/mail_copy_test.XXXXXX";

static QF_MSG *
make_msg(const char *content)
{
	VSTRING	*why = vstring_alloc(100);
	QF_WRITER *w = qf_create(dir, why);
	QF_MSG	*m = NULL;
	char	 id[QF_ID_LEN + 1];

	if (w == NULL)
		goto out;
	qf_set_sender(w, "s@example.com");
	qf_set_family(w, AF_UNIX);
	qf_add_rcpt(w, "u@example.com", NULL, 0);
	(void)qf_write_content(w, content, strlen(content));
	snprintf(id, sizeof(id), "%s", qf_writer_id(w));
	if (qf_commit(w, QF_INCOMING, why) == 0)
		m = qf_open(dir, QF_INCOMING, id, QF_OPEN_RDONLY, why);
out:
	vstring_free(why);
	return m;
}

PTEST(delivered_scan)
{
	QF_MSG	*m = make_msg("Received: x\nDelivered-To:  A@Example.COM \n"
	    "Subject: s\ndelivered-to:b@example.com\n\n"
	    "Delivered-To: body@example.com\n");
	ARGV	*out = argv_alloc(4);
	VSTRING	*why = vstring_alloc(10);

	if (m == NULL) {
		PT_FAILED("%s", "cannot queue a message");
		return;
	}
	PT_INTEQ(delivered_hdr_scan(m, out, why), 0);
	PT_INTEQ((int)out->argc, 2);
	PT_STREQ(out->argv[0], "a@example.com");
	PT_STREQ(out->argv[1], "b@example.com");
	qf_close(m);
	argv_free(out);
	vstring_free(why);
}

PTEST(delivered_bounds)
{
	VSTRING	*text = vstring_alloc(100), *why = vstring_alloc(10);
	ARGV	*out = argv_alloc(4);
	QF_MSG	*m;
	int	 i;

	for (i = 0; i < DELIVERED_HDR_MAX_COUNT + 5; i++)
		vstring_sprintf_append(text, "Delivered-To: u%d@example.com\n", i);
	vstring_strcat(text, "\nbody\n");
	if ((m = make_msg(vstring_str(text))) == NULL) {
		PT_FAILED("%s", "cannot queue a message");
		return;
	}
	PT_INTEQ(delivered_hdr_scan(m, out, why), 0);
	PT_INTEQ((int)out->argc, DELIVERED_HDR_MAX_COUNT);
	qf_close(m);
	argv_free(out);
	vstring_free(text);
	vstring_free(why);
}

PTEST(mbox)
{
	MAIL_COPY_SRC src = { NULL, "s@example.com", "a@example.com", "u@example.com" };
	MBOX_OPTS opts = { geteuid(), getegid(), 1, 1, 1, 2, 1, 500, 0 };
	VSTRING	*why = vstring_alloc(100);
	char	 path[128], buf[4096], dsn[16];

	src.msg = make_msg("Subject: t\n\nFrom me\nlast");
	PT_ASSERT(src.msg != NULL);
	snprintf(path, sizeof(path), "%s/mbox", dir);
	PT_INTEQ(mbox_write(&src, path, MAIL_COPY_MBOX, &opts, why, dsn), MAIL_COPY_OK);
	PT_INTEQ(mbox_write(&src, path, MAIL_COPY_MBOX, &opts, why, dsn), MAIL_COPY_OK);
	PT_ASSERT(pt_slurp(path, buf, sizeof(buf)) != NULL);
	PT_ASSERT(strncmp(buf, "From s@example.com  ", 20) == 0);
	PT_ASSERT(strstr(buf, "\nReturn-Path: <s@example.com>\nX-Original-To: a@example.com\n"
	    "Delivered-To: u@example.com\nSubject: t\n\n>From me\nlast\n\nFrom s@") != NULL);
	snprintf(buf, sizeof(buf), "%s.lock", path);
	PT_ASSERT(access(buf, F_OK) < 0);
	/* Over the size limit: nothing is left of the message. */
	opts.size_limit = 300;
	PT_INTEQ(mbox_write(&src, path, MAIL_COPY_MBOX, &opts, why, dsn), MAIL_COPY_HARD);
	PT_STREQ(dsn, "5.2.2");
	qf_close(src.msg);
	vstring_free(why);
}

PTEST(maildir)
{
	MAIL_COPY_SRC src = { NULL, "", "a@example.com", "u@example.com" };
	VSTRING	*why = vstring_alloc(100);
	char	 path[128], file[512], buf[4096], dsn[16];
	struct dirent *de;
	DIR	*dp;
	int	 n = 0;

	src.msg = make_msg("Subject: m\n\nbody\n");
	PT_ASSERT(src.msg != NULL);
	snprintf(path, sizeof(path), "%s/Maildir/", dir);
	PT_INTEQ(maildir_write(&src, path, MAIL_COPY_RETURN | MAIL_COPY_DELIVERED, 0,
	    "host/x:y", why, dsn), MAIL_COPY_OK);
	snprintf(file, sizeof(file), "%snew", path);
	PT_ASSERT((dp = opendir(file)) != NULL);
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		PT_ASSERT(strstr(de->d_name, "host\\057x\\072y") != NULL);
		snprintf(file, sizeof(file), "%snew/%s", path, de->d_name);
	}
	closedir(dp);
	PT_INTEQ(n, 1);
	PT_STREQ(pt_slurp(file, buf, sizeof(buf)), "Return-Path: <>\nDelivered-To: "
	    "u@example.com\nSubject: m\n\nbody\n");
	PT_INTEQ(maildir_write(&src, path, 0, 10, "h", why, dsn), MAIL_COPY_HARD);
	PT_STREQ(dsn, "5.2.2");
	qf_close(src.msg);
	vstring_free(why);
}

int
main(void)
{
	msg_init("postern", "mail_copy_test");
	if (mkdtemp(dir) == NULL || qf_make_dirs(dir, geteuid(), getegid(), NULL) < 0) {
		printf("FAIL setup\n");
		return 1;
	}
	PT_RUN(mbox);
	PT_RUN(maildir);
	PT_RUN(delivered_scan);
	PT_RUN(delivered_bounds);
	pt_rmtree(dir);
	return PT_DONE();
}
