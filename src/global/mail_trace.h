/*
 * mail_trace.h - run-time tracing set by "smtpctl trace" (qmgr writes
 * $queue_directory/pid/trace). See mail_trace.c.
 */
#ifndef MAIL_TRACE_H
#define MAIL_TRACE_H

/*
 * mail_trace_check(program): call before serving each client. At most
 * once a second it looks at pid/trace (relative to the queue directory,
 * the daemons' working directory) and sets msg_verbose for this program
 * while one of its subsystems is traced. Returns 1 when tracing is on.
 */
int	 mail_trace_check(const char *program);

/* mail_trace_match(program, text): does the pid/trace text trace it? */
int	 mail_trace_match(const char *program, const char *text);

#endif
