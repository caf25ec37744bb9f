/*
 * msg.h - diagnostics and logging. See msg.c.
 */
#ifndef MSG_H
#define MSG_H

#include <stdarg.h>

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))

extern int msg_verbose;			/* -v count, or `log verbose` */

void	msg_init(const char *, const char *);
void	msg_set_tag(const char *, const char *);
const char *msg_tag(void);
void	msg_to_stderr(int);
void	msg_to_syslog(const char *);
int	msg_to_file(const char *);
void	msg_cleanup(void (*)(void));
void	msg_fatal_hook(void (*)(int));	/* test drivers only */

void	msg_info(const char *, ...) PRINTFLIKE(1, 2);
void	msg_warn(const char *, ...) PRINTFLIKE(1, 2);
void	msg_error(const char *, ...) PRINTFLIKE(1, 2);
void	msg_fatal(const char *, ...) PRINTFLIKE(1, 2) NORETURN;
void	msg_fatal_status(int, const char *, ...) PRINTFLIKE(2, 3) NORETURN;
void	msg_panic(const char *, ...) PRINTFLIKE(1, 2) NORETURN;
void	msg_vlog(int, const char *, va_list) PRINTFLIKE(2, 0);
void	msg_vlog_as(int, const char *, const char *, va_list) PRINTFLIKE(3, 0);
void	msg_info_as(const char *, const char *, ...) PRINTFLIKE(2, 3);
void	msg_warn_as(const char *, const char *, ...) PRINTFLIKE(2, 3);

#define MSG_INFO	0
#define MSG_WARN	1
#define MSG_ERROR	2
#define MSG_FATAL	3
#define MSG_PANIC	4

#endif
