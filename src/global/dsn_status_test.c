/*
 * dsn_status_test - unit tests for dsn_status.
 */
#include "dsn_status.h"
#include "ptest.h"

PTEST(valid)
{
	PT_INTEQ(dsn_valid("2.0.0"), 5);
	PT_INTEQ(dsn_valid("5.1.1 user unknown"), 5);
	PT_INTEQ(dsn_valid("4.123.999"), 9);
	PT_INTEQ(dsn_valid("3.0.0"), 0);
	PT_INTEQ(dsn_valid("5.01.1"), 0);
	PT_INTEQ(dsn_valid("5.1"), 0);
	PT_INTEQ(dsn_valid("5.1.1000"), 0);
	PT_INTEQ(dsn_valid("5.1.1x"), 0);
	PT_INTEQ(dsn_valid(""), 0);
	PT_INTEQ(dsn_valid("55.1.1"), 0);
	PT_INTEQ(dsn_class("4.2.2"), 4);
	PT_INTEQ(dsn_class("x"), 0);
}

PTEST(replies)
{
	PT_STREQ(dsn_from_reply(250), "2.0.0");
	PT_STREQ(dsn_from_reply(421), "4.4.2");
	PT_STREQ(dsn_from_reply(452), "4.3.1");
	PT_STREQ(dsn_from_reply(552), "5.2.2");
	PT_STREQ(dsn_from_reply(599), "5.0.0");
	PT_STREQ(dsn_from_reply(499), "4.0.0");
	PT_STREQ(dsn_from_reply(999), "4.0.0");
	PT_INTEQ(dsn_reply_consistent(550, "5.1.1"), 1);
	PT_INTEQ(dsn_reply_consistent(450, "5.1.1"), 0);
}

PTEST(texts)
{
	char	 st[DSN_STATUS_LEN];
	const char *rest;

	PT_STREQ(dsn_text("5.1.1"), "Bad destination mailbox address");
	PT_STREQ(dsn_text("4.4.1"), "No answer from host");
	PT_STREQ(dsn_text("2.0.0"), "Success");
	PT_STREQ(dsn_text("4.9.9"), "Persistent Transient Failure");
	PT_STREQ(dsn_text("5.9.9"), "Permanent Failure");
	PT_STREQ(dsn_text("5.1.10"), "Permanent Failure");
	PT_INTEQ(dsn_split("5.7.1 relay denied", st, sizeof(st), &rest), 1);
	PT_STREQ(st, "5.7.1");
	PT_STREQ(rest, "relay denied");
	PT_INTEQ(dsn_split("relay denied", st, sizeof(st), &rest), 0);
	PT_STREQ(st, "");
	PT_STREQ(rest, "relay denied");
	PT_INTEQ(dsn_split("4.123.456", st, 6, &rest), 0);
}

int
main(void)
{
	PT_RUN(valid);
	PT_RUN(replies);
	PT_RUN(texts);
	return PT_DONE();
}
