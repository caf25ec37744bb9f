/*
 * mail_server.h - daemon skeletons run under the master. See
 * mail_server.c (implemented with the master, src/master).
 *
 * The master execs "<command> -n <service> -t <type> [-o name=value]...
 * [-v]... [args]" with the listener on fd MAIL_SERVER_LISTEN_FD and a status
 * pipe on MAIL_SERVER_STATUS_FD. The skeleton parses those options, reads
 * main.cf (MAIL_CONFIG), applies -o overrides, sets up logging, calls
 * pre_init (still privileged: open tables, bind), drops privileges to
 * mail_owner when root, calls post_init, then serves.
 */
#ifndef MAIL_SERVER_H
#define MAIL_SERVER_H

#include "vstream.h"

#define MAIL_SERVER_LISTEN_FD	3
#define MAIL_SERVER_STATUS_FD	4

typedef struct MAIL_SERVER_OPS {
	void	(*pre_init)(const char *service, char **argv);
	void	(*post_init)(const char *service, char **argv);
	void	(*pre_exit)(void);
	int	 unlimited;	/* ignore max_use / max_idle (qmgr) */
} MAIL_SERVER_OPS;

/*
 * Single-client server: accept a connection, call service() with a stream
 * (timeouts unset), close it, repeat until max_use connections or max_idle
 * idle seconds. smtpd, smtp/lmtp, local, bounce.
 */
typedef void (*SINGLE_SERVICE_FN)(VSTREAM *, const char *service, char **argv);
void	 single_server_main(int, char **, SINGLE_SERVICE_FN, const MAIL_SERVER_OPS *);

/*
 * Trigger server: call service() with the request bytes each time a client
 * connects and writes (pickup). Also called by the master's wakeup timer.
 */
typedef void (*TRIGGER_SERVICE_FN)(const char *buf, size_t len, const char *service, char **argv);
void	 trigger_server_main(int, char **, TRIGGER_SERVICE_FN, const MAIL_SERVER_OPS *);

/*
 * Event server: long-lived, one process (qmgr). Accepts clients on the
 * listener and hands each connected stream to service() from the event loop;
 * the program registers its own events and timers (events.h) in post_init.
 */
typedef void (*EVENT_SERVICE_FN)(VSTREAM *, const char *service, char **argv);
void	 event_server_main(int, char **, EVENT_SERVICE_FN, const MAIL_SERVER_OPS *);

/* Used by servers that do long work: tell the master we are (not) busy. */
void	 mail_server_busy(int);

/*
 * Additions (engineer E). mail_server_service(): the -n service name.
 * mail_server_standalone(): true under -S (serving stdin/stdout once).
 * Options besides -n -t -o -v: -c config_dir, -P (keep root privileges:
 * master.cf unpriv column "n"), -S (stand-alone).
 */
const char *mail_server_service(void);
int	 mail_server_logfile_ok(const char *);	/* maillog_file_prefixes */
int	 mail_server_standalone(void);

/*
 * Stress (master_stress in src/master): the master writes 'S' or 'N' on
 * the status channel when the service's processes run short or have room
 * again. mail_server_stress() takes what was written (without blocking),
 * sets the "stress" parameter accordingly and says whether the service
 * is under stress; mail_server_status_fd() is the channel to poll while
 * busy (-1 stand-alone or after the master closed it).
 */
int	 mail_server_stress(void);

/*
 * mail_server_leaving(): true once the process is on its way out (the
 * master is gone, or it was told to stop): what fails from then on, a
 * delivery agent whose listener went with the master say, is no reason
 * to change the queue; the next queue manager takes over.
 */
int	 mail_server_leaving(void);
int	 mail_server_status_fd(void);

#endif
