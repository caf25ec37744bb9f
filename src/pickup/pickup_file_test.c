/*
 * pickup_file_test - unit tests for pickup_file: maildrop file to queue file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "pickup.h"
#include "ptest.h"
#include "qfile.h"

static char qdir[64];
static PICKUP_CTX ctx;

/* run - write a maildrop file, pick it up; result code, content in text. */
static int
run(const char *data, PICKUP_INFO *info, QF_MSG **msgp, VSTRING *text)
{
	char	 path[128], buf[4096];
	VSTRING	*why = vstring_alloc(10);
	ssize_t	 n;
	off_t	 off = 0;
	int	 fd, ret;

	snprintf(path, sizeof(path), "%s/maildrop/m1", qdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (write(fd, data, strlen(data)) < 0)
		perror(path);
	close(fd);
	ret = pickup_file(&ctx, path, info, why);
	if (ret != PICKUP_OK)
		printf("  pickup_file: %s\n", vstring_str(why));
	*msgp = NULL;
	if (ret == PICKUP_OK) {
		*msgp = qf_open(qdir, QF_INCOMING, vstring_str(info->id), QF_OPEN_RDONLY, why);
		vstring_reset(text);
		while (*msgp && (n = qf_read_content(*msgp, off, buf, sizeof(buf))) > 0) {
			vstring_memcat(text, buf, (size_t)n);
			off += n;
		}
	}
	vstring_free(why);
	return ret;
}

static void
info_init(PICKUP_INFO *info)
{
	info->id = vstring_alloc(10);
	info->sender = vstring_alloc(10);
	info->msgid = vstring_alloc(10);
}

static void
info_free(PICKUP_INFO *info)
{
	vstring_free(info->id);
	vstring_free(info->sender);
	vstring_free(info->msgid);
}

PTEST(basic)
{
	PICKUP_INFO info;
	VSTRING	*text = vstring_alloc(100);
	QF_MSG	*m;

	info_init(&info);
	PT_INTEQ(run("POSTERN-MAILDROP 1\nsender joe\nfullname Joe Bloggs\n"
	    "rcpt a@example.com\nrcpt bob\nnotify 2\ncontent\n"
	    "Subject: hi\n\nbody line\nlast line without newline", &info, &m, text), PICKUP_OK);
	PT_ASSERT(m != NULL);
	PT_STREQ(m->sender, "joe@origin.example");
	PT_INTEQ(m->nrcpt, 2);
	PT_STREQ(m->rcpt[0].address, "a@example.com");
	PT_STREQ(m->rcpt[1].address, "bob@origin.example");
	PT_INTEQ(m->rcpt[1].notify, QF_NOTIFY_SUCCESS);
	PT_STREQ(m->origin, "local");
	PT_INTEQ(info.uid, geteuid());
	PT_ASSERT(strncmp(vstring_str(text), "Received: by host.example (Postern, from userid ", 48) == 0);
	/* Postfix's order and spelling: Message-Id:, Date:, From:. */
	PT_ASSERT(strstr(vstring_str(text), "\nSubject: hi\nMessage-Id: <") != NULL);
	PT_ASSERT(strstr(vstring_str(text), "@host.example>\nDate: ") != NULL);
	PT_ASSERT(strstr(vstring_str(text), "\nFrom: Joe Bloggs <joe@origin.example>\n\nbody line\nlast line without newline\n") != NULL);
	PT_ASSERT(vstring_str(text)[vstring_len(text) - 1] == '\n');
	qf_close(m);
	info_free(&info);
	vstring_free(text);
}

PTEST(defaults_and_existing_headers)
{
	PICKUP_INFO info;
	VSTRING	*text = vstring_alloc(100);
	QF_MSG	*m;
	const char *p;

	info_init(&info);
	PT_INTEQ(run("POSTERN-MAILDROP 1\nrcpt a@example.com\ncontent\n"
	    "From: x@y.example\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "Message-ID: <abc@y.example>\n\nbody\n", &info, &m, text), PICKUP_OK);
	PT_ASSERT(m != NULL);
	PT_ASSERT(strchr(m->sender, '@') != NULL);	/* login name @ myorigin */
	PT_ASSERT(strstr(m->sender, "@origin.example") != NULL);
	p = vstring_str(text);
	PT_ASSERT(strstr(p, "From: x@y.example\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "Message-ID: <abc@y.example>\n\nbody\n") != NULL);
	PT_ASSERT(strstr(p, "\nFrom: ") == strstr(p, "\nFrom: x@y"));
	PT_STREQ(vstring_str(info.msgid), "<abc@y.example>");
	qf_close(m);
	/* Null sender, no header at all. */
	PT_INTEQ(run("POSTERN-MAILDROP 1\nsender \nrcpt a@example.com\ncontent\n"
	    "just a body\n", &info, &m, text), PICKUP_OK);
	PT_STREQ(m->sender, "");
	PT_ASSERT(strstr(vstring_str(text), "\nFrom: MAILER-DAEMON\n") != NULL);
	PT_ASSERT(strstr(vstring_str(text), "\n\njust a body\n") != NULL);
	qf_close(m);
	info_free(&info);
	vstring_free(text);
}

PTEST(rejected)
{
	static const char *bad[] = {
		"POSTERN-MAILDROP 1\ncontent\nno recipients\n",
		"POSTERN-MAILDROP 1\nrcpt a b@example.com\ncontent\n\n",
		"POSTERN-MAILDROP 1\nsender <x>\nrcpt a@example.com\ncontent\n\n",
		"garbage\n",
		"POSTERN-MAILDROP 1\nrcpt a@example.com\n",
		NULL,
	};
	PICKUP_INFO info;
	VSTRING	*text = vstring_alloc(100);
	QF_MSG	*m;
	ARGV	*before = qf_list(qdir, QF_INCOMING), *after;
	int	 i;

	info_init(&info);
	for (i = 0; bad[i]; i++)
		PT_INTEQ(run(bad[i], &info, &m, text), PICKUP_BAD);
	after = qf_list(qdir, QF_INCOMING);
	PT_INTEQ(after->argc, before->argc);
	argv_free(after);
	argv_free(before);
	after = qf_list(qdir, QF_TMP);
	PT_INTEQ(after->argc, 0);		/* aborted writers cleaned up */
	argv_free(after);
	info_free(&info);
	vstring_free(text);
}

PTEST(hard_link_refused)
{
	char	 path[128], link_path[128];
	PICKUP_INFO info;
	VSTRING	*why = vstring_alloc(10);
	int	 fd;

	info_init(&info);
	snprintf(path, sizeof(path), "%s/secret", qdir);
	snprintf(link_path, sizeof(link_path), "%s/maildrop/linked", qdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	PT_ASSERT(write(fd, "POSTERN-MAILDROP 1\nrcpt a@example.com\ncontent\n\n", 47) == 47);
	close(fd);
	PT_INTEQ(link(path, link_path), 0);
	PT_INTEQ(pickup_file(&ctx, link_path, &info, why), PICKUP_BAD);
	PT_INTEQ(pickup_file(&ctx, "/nonexistent/x", &info, why), PICKUP_GONE);
	info_free(&info);
	vstring_free(why);
}

PTEST(too_large)
{
	PICKUP_INFO info;
	VSTRING	*text = vstring_alloc(100), *data = vstring_alloc(100);
	QF_MSG	*m;
	int	 i;

	info_init(&info);
	vstring_strcpy(data, "POSTERN-MAILDROP 1\nrcpt a@example.com\ncontent\n\n");
	for (i = 0; i < 2000; i++)
		vstring_strcat(data, "0123456789012345678901234567890123456789\n");
	ctx.size_limit = 10000;
	PT_INTEQ(run(vstring_str(data), &info, &m, text), PICKUP_BAD);
	ctx.size_limit = 0;
	info_free(&info);
	vstring_free(text);
	vstring_free(data);
}

PTEST(eight_bit)
{
	PICKUP_INFO info;
	VSTRING	*text = vstring_alloc(100);
	QF_MSG	*m;

	info_init(&info);
	PT_INTEQ(run("POSTERN-MAILDROP 1\nrcpt a@example.com\ncontent\n"
	    "Subject: plain\n\ncaf\xc3\xa9\n", &info, &m, text), PICKUP_OK);
	PT_STREQ(qf_attr(m, "body"), "8BITMIME");
	PT_ASSERT(qf_attr(m, "smtputf8") == NULL);
	qf_close(m);
	PT_INTEQ(run("POSTERN-MAILDROP 1\nrcpt \xce\xb4@example.com\ncontent\n"
	    "Subject: x\n\nascii\n", &info, &m, text), PICKUP_OK);
	PT_STREQ(qf_attr(m, "smtputf8"), "1");
	PT_ASSERT(qf_attr(m, "body") == NULL);
	qf_close(m);
	info_free(&info);
	vstring_free(text);
}

int
main(void)
{
	msg_init("postern", "pickup_file_test");
	snprintf(qdir, sizeof(qdir), "/tmp/pftest.XXXXXX");
	if (mkdtemp(qdir) == NULL || qf_make_dirs(qdir, geteuid(), getegid(), NULL) < 0) {
		printf("FAIL setup\n");
		return 1;
	}
	ctx.queue_dir = qdir;
	ctx.myhostname = "host.example";
	ctx.myorigin = "origin.example";
	ctx.append_at_myorigin = 1;
	ctx.header_limit = 102400;
	{
		char	 cf[128];
		FILE	*fp;

		snprintf(cf, sizeof(cf), "%s/main.cf", qdir);
		if ((fp = fopen(cf, "w")) != NULL)
			fclose(fp);
		mail_conf_read(qdir);
	}
	mail_conf_override("myhostname", "host.example");
	mail_conf_override("myorigin", "origin.example");
	mail_conf_override("mydestination", "");
	ctx.cleanup = cleanup_conf_load();
	PT_RUN(basic);
	PT_RUN(defaults_and_existing_headers);
	PT_RUN(rejected);
	PT_RUN(hard_link_refused);
	PT_RUN(too_large);
	PT_RUN(eight_bit);
	pt_rmtree(qdir);
	return PT_DONE();
}
