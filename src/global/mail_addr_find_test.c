/*
 * mail_addr_find_test - unit tests for mail_addr_find.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail_addr_find.h"
#include "mail_conf.h"
#include "msg.h"
#include "ptest.h"

static const char *
find(MAIL_ADDR_MAPS *maps, const char *addr, int flags)
{
	static VSTRING *res;
	int	 ret;

	if (res == NULL)
		res = vstring_alloc(10);
	ret = mail_addr_find(maps, addr, flags, "+-", res, NULL);
	return ret > 0 ? vstring_str(res) : ret == 0 ? "NOTFOUND" : "ERROR";
}

PTEST(order)
{
	MAIL_ADDR_MAPS *maps = mail_addr_maps_open("test",
	    "inline:{ a+x@example.com=full, a@example.com=user_domain, b=bare, "
	    "c+y=bare_ext, @example.com=catchall }");

	PT_STREQ(find(maps, "a+x@example.com", 0), "full");
	PT_STREQ(find(maps, "a+z@example.com", 0), "user_domain");
	PT_STREQ(find(maps, "a-z@example.com", 0), "user_domain");
	PT_STREQ(find(maps, "A@Example.COM", 0), "user_domain");
	PT_STREQ(find(maps, "b@example.com", 0), "catchall");
	PT_STREQ(find(maps, "b@example.com", MAIL_ADDR_FIND_LOCAL), "bare");
	PT_STREQ(find(maps, "b+q@example.com", MAIL_ADDR_FIND_LOCAL), "bare");
	PT_STREQ(find(maps, "c+y@example.com", MAIL_ADDR_FIND_LOCAL), "bare_ext");
	PT_STREQ(find(maps, "b@other.example", MAIL_ADDR_FIND_LOCAL), "bare");
	PT_STREQ(find(maps, "b@other.example", 0), "NOTFOUND");
	PT_STREQ(find(maps, "z@other.example", MAIL_ADDR_FIND_LOCAL), "NOTFOUND");
	PT_STREQ(find(maps, "+x@other.example", 0), "NOTFOUND");
	mail_addr_maps_close(maps);
}

PTEST(access_order)
{
	MAIL_ADDR_MAPS *maps = mail_addr_maps_open("test",
	    "inline:{ example.com=dom, .example.org=dotdom, postmaster@=user }");

	PT_STREQ(find(maps, "x@example.com", MAIL_ADDR_FIND_ACCESS), "dom");
	PT_STREQ(find(maps, "x@a.example.com", MAIL_ADDR_FIND_ACCESS), "NOTFOUND");
	PT_STREQ(find(maps, "x@a.example.com", MAIL_ADDR_FIND_ACCESS | MAIL_ADDR_FIND_PARENT), "dom");
	PT_STREQ(find(maps, "x@a.example.org", MAIL_ADDR_FIND_ACCESS), "dotdom");
	PT_STREQ(find(maps, "postmaster@elsewhere", MAIL_ADDR_FIND_ACCESS), "user");
	PT_STREQ(find(maps, "postmaster+ext@elsewhere", MAIL_ADDR_FIND_ACCESS), "user");
	mail_addr_maps_close(maps);
	maps = mail_addr_maps_open("test",
	    "inline:{ a@example.com=user_domain, a+x@=local_ext }");
	PT_STREQ(find(maps, "a+x@example.com", MAIL_ADDR_FIND_ACCESS), "user_domain");
	PT_STREQ(find(maps, "a+x@example.net", MAIL_ADDR_FIND_ACCESS), "local_ext");
	mail_addr_maps_close(maps);
}

/* What smtpd's recipient validation relies on. */
PTEST(failures)
{
	MAIL_ADDR_MAPS *maps = mail_addr_maps_open("test",
	    "hash:/nonexistent/postern-test inline:{ root=bare, @relay.example=dom }");

	PT_STREQ(find(maps, "root@localhost", MAIL_ADDR_FIND_LOCAL), "ERROR");
	PT_STREQ(find(maps, "root@localhost", MAIL_ADDR_FIND_LOCAL | MAIL_ADDR_FIND_ANY), "bare");
	PT_STREQ(find(maps, "root+x@localhost", MAIL_ADDR_FIND_LOCAL | MAIL_ADDR_FIND_ANY), "bare");
	PT_STREQ(find(maps, "nobody@localhost", MAIL_ADDR_FIND_LOCAL | MAIL_ADDR_FIND_ANY), "ERROR");
	PT_STREQ(find(maps, "x@relay.example", MAIL_ADDR_FIND_ANY), "dom");
	mail_addr_maps_close(maps);
	maps = mail_addr_maps_open("test", "");
	PT_STREQ(find(maps, "root@localhost", MAIL_ADDR_FIND_LOCAL), "NOTFOUND");
	mail_addr_maps_close(maps);
}

/* Pattern tables see the whole address only, as in Postfix. */
PTEST(patterns)
{
	char	 path[] = "/tmp/mafind.XXXXXX", spec[64];
	int	 fd = mkstemp(path);
	const char *text = "/^b@/ whole\n/^@example/ catchall\n";
	MAIL_ADDR_MAPS *maps;

	PT_ASSERT(fd >= 0);
	PT_INTEQ(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	snprintf(spec, sizeof(spec), "regexp:%s", path);
	maps = mail_addr_maps_open("test", spec);
	PT_STREQ(find(maps, "b@example.com", 0), "whole");
	PT_STREQ(find(maps, "c@example.com", 0), "NOTFOUND");
	mail_addr_maps_close(maps);
	unlink(path);
}

PTEST(split)
{
	VSTRING	*u = vstring_alloc(10), *e = vstring_alloc(10);

	PT_INTEQ(mail_addr_split_ext("user+ext", "+", u, e), 1);
	PT_STREQ(vstring_str(u), "user");
	PT_STREQ(vstring_str(e), "ext");
	PT_INTEQ(mail_addr_split_ext("+ext", "+", u, e), 0);
	PT_INTEQ(mail_addr_split_ext("user+", "+", u, e), 0);
	PT_INTEQ(mail_addr_split_ext("user", "", u, e), 0);
	PT_STREQ(vstring_str(u), "user");
	vstring_free(u);
	vstring_free(e);
}

PTEST(param)
{
	MAIL_ADDR_MAPS *maps;

	mail_conf_override("canonical_maps", "");
	PT_ASSERT(mail_addr_maps_param("canonical_maps") == NULL);
	mail_conf_override("canonical_maps", " , ");
	PT_ASSERT(mail_addr_maps_param("canonical_maps") == NULL);
	mail_conf_override("canonical_maps", "inline:{ a@example.com=b }");
	maps = mail_addr_maps_param("canonical_maps");
	PT_ASSERT(maps != NULL);
	PT_STREQ(maps->title, "canonical_maps");
	PT_STREQ(find(maps, "a@example.com", 0), "b");
	mail_addr_maps_close(maps);
	mail_addr_maps_close(NULL);
}

PTEST(map)
{
	MAIL_ADDR_MAPS *maps = mail_addr_maps_open("test",
	    "inline:{ a@example.com=x@out.example, @old.example=@new.example, "
	    "{b@example.com = \"q u\"@out.example, c@out.example} }");
	ARGV	*res = argv_alloc(2);

	PT_INTEQ(mail_addr_map(maps, "a@example.com", 0, "+", 0, res), 1);
	PT_STREQ(res->argv[0], "x@out.example");
	/* "@domain" keeps the local part; the extension goes with it. */
	argv_truncate(res, 0);
	PT_INTEQ(mail_addr_map(maps, "u+e@old.example", 0, "+", 1, res), 1);
	PT_STREQ(res->argv[0], "u+e@new.example");
	/* An unmatched extension is propagated only when asked. */
	argv_truncate(res, 0);
	PT_INTEQ(mail_addr_map(maps, "a+e@example.com", 0, "+", 1, res), 1);
	PT_STREQ(res->argv[0], "x+e@out.example");
	argv_truncate(res, 0);
	PT_INTEQ(mail_addr_map(maps, "a+e@example.com", 0, "+", 0, res), 1);
	PT_STREQ(res->argv[0], "x@out.example");
	/* A list value, in internal form. */
	argv_truncate(res, 0);
	PT_INTEQ(mail_addr_map(maps, "b@example.com", 0, "+", 0, res), 1);
	PT_INTEQ(res->argc, 2);
	PT_STREQ(res->argv[0], "q u@out.example");
	PT_STREQ(res->argv[1], "c@out.example");
	argv_truncate(res, 0);
	PT_INTEQ(mail_addr_map(maps, "z@example.com", 0, "+", 0, res), 0);
	PT_INTEQ(res->argc, 0);
	argv_free(res);
	mail_addr_maps_close(maps);
}

int
main(void)
{
	msg_init("postern", "mail_addr_find_test");
	PT_RUN(order);
	PT_RUN(access_order);
	PT_RUN(failures);
	PT_RUN(patterns);
	PT_RUN(split);
	PT_RUN(param);
	PT_RUN(map);
	return PT_DONE();
}
