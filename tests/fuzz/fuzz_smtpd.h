/*
 * fuzz_smtpd.h - what the harnesses that compile smtpd.c in share
 * (fuzz_smtpd.c, fuzz_policy.c); include it after smtpd.c.
 *
 * fuzz_smtpd_init(main_cf) loads main_cf (fuzz_main_cf_load), makes the
 * private queue directory and reads smtpd's settings into
 * fuzz_conf_saved. fuzz_smtpd_session(stream, addr, name) serves one
 * TCP client session (addr, name) on stream, whose writes go to
 * fuzz_out, then checks that every reply smtpd wrote is a well-formed
 * reply line and that no queue file was left unfinished in tmp/ (the
 * queue is emptied for the next input).
 */
#ifndef FUZZ_SMTPD_H
#define FUZZ_SMTPD_H

static char *fuzz_queue;
static VSTRING *fuzz_out;
static SMTPD_CONF fuzz_conf_saved;

static void
fuzz_smtpd_init(const char *main_cf)
{
	VSTRING	*why = vstring_alloc(100);

	fuzz_main_cf_load(main_cf);
	fuzz_queue = mystrdup(conf_str("queue_directory"));
	if (qf_make_dirs(fuzz_queue, geteuid(), getegid(), why) < 0)
		abort();
	smtpd_conf_load(&smtpd_conf);
	fuzz_conf_saved = smtpd_conf;
	fuzz_out = vstring_alloc(4096);
	vstring_free(why);
}

static void
fuzz_smtpd_session(VSTREAM *stream, const char *addr, const char *name)
{
	SMTPD_STATE state;
	VSTRING	*buf;

	smtpd_state_init(&state, stream);
	smtpd_peer_init(&state);
	/* A TCP client (the stream is not a socket). */
	state.family = AF_INET;
	snprintf(state.addr, sizeof(state.addr), "%s", addr);
	snprintf(state.laddr, sizeof(state.laddr), "192.0.2.25");
	snprintf(state.name, sizeof(state.name), "%s", name);
	state.port = 40000;
	myfree(state.namaddr);
	buf = vstring_alloc(100);
	vstring_sprintf(buf, "%s[%s]", state.name, state.addr);
	state.namaddr = vstring_export(buf);

	smtpd_session(&state);
	buf = vstring_alloc(100);
	smtpd_cmd_stat_line(&state, buf);
	vstring_free(buf);
	smtpd_state_free(&state);
	vstream_fclose(stream);

	fuzz_smtp_replies(vstring_str(fuzz_out), vstring_len(fuzz_out));
	(void)fuzz_queue_empty(fuzz_queue, "incoming");
	(void)fuzz_queue_empty(fuzz_queue, "hold");
	if (fuzz_queue_empty(fuzz_queue, "tmp") != 0)
		abort();
}

#endif
