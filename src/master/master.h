/*
 * master.h - the master process: internal interfaces between its modules.
 * See master.c (main, start-up, pid lock), master_conf.c (master.cf to
 * services), master_listen.c (listeners), master_spawn.c (children),
 * master_status.c (status channels), master_wakeup.c (wakeup timers),
 * master_stress.c (stress-adaptive behaviour), master_oneshot.c (one
 * queue run: master -1),
 * master_sig.c (signals).
 */
#ifndef MASTER_H
#define MASTER_H

#include <sys/types.h>

#include "argv.h"
#include "vstring.h"

#define MASTER_BIND_WAIT	5	/* seconds, for a crashed run's children */

#define MASTER_TYPE_INET	1
#define MASTER_TYPE_UNIX	2
#define MASTER_TYPE_FIFO	3
#define MASTER_TYPE_PASS	4	/* unix socket; clients pass a connection */

/*
 * One service is one listening socket: a master.cf inet entry that binds
 * several addresses (inet_interfaces, or a name with several addresses)
 * becomes one MASTER_SERV per socket, each with its own processes.
 */
typedef struct MASTER_SERV {
	char	*name;			/* master.cf service column */
	int	 type;			/* MASTER_TYPE_* */
	const char *type_name;		/* "inet", "unix", "fifo" */
	char	*spec;			/* what was bound: "inet:addr", path */
	int	 spec_index;		/* socket number within spec */
	char	*path;			/* unix/fifo: socket path */
	char	*signature;		/* everything that defines the service */
	int	 private;
	int	 unpriv;
	int	 wakeup;		/* seconds, 0: none */
	int	 wakeup_if_used;	/* '?' */
	int	 max_proc;		/* 0: no limit */
	char	*command;		/* full path of the program */
	ARGV	*args;			/* argv given to the program */
	int	 listen_fd;		/* -1 when closed */
	int	 watching;		/* master waits for clients itself */
	int	 avail;			/* idle processes */
	int	 total;			/* processes */
	int	 throttled;
	time_t	 last_use;		/* last time a process was busy */
	int	 quick_deaths;		/* in a row, soon after start-up */
	int	 stress;		/* process limit reached (master_stress) */
	time_t	 stress_full;		/* last time seen full */
	struct MASTER_SERV *next;
} MASTER_SERV;

typedef struct MASTER_PROC {
	pid_t	 pid;
	MASTER_SERV *serv;		/* null once retired (reload, removal) */
	int	 status_fd;		/* master end of the status channel */
	int	 avail;
	int	 use_count;
	int	 ready;			/* said 'R': start-up completed */
	time_t	 started;
} MASTER_PROC;

/* master.c: process-wide settings. */
extern MASTER_SERV *master_services;
extern int master_foreground;
extern int master_oneshot;
extern int master_stopping;
extern const char *master_config_dir;

/* master_conf.c */
MASTER_SERV *master_conf_load(VSTRING *);
void	 master_conf_free(MASTER_SERV *);
void	 master_serv_free(MASTER_SERV *);
MASTER_SERV *master_conf_line(const char *, VSTRING *);

/* master_listen.c */
int	 master_listen_spec(MASTER_SERV *, VSTRING *);
int	 master_listen_open(MASTER_SERV **, VSTRING *);
void	 master_listen_close(MASTER_SERV *);
MASTER_SERV *master_listen_clone(const MASTER_SERV *, int);
ARGV	*master_listen_inet_addrs(const char *);

/* master_spawn.c */
void	 master_spawn_init(void);
void	 master_spawn(MASTER_SERV *);
void	 master_spawn_check(MASTER_SERV *);
void	 master_spawn_reap(void);
void	 master_spawn_retire(MASTER_SERV *, MASTER_SERV *);
void	 master_spawn_kill_all(int);
int	 master_spawn_count(void);
void	 master_spawn_throttle(MASTER_SERV *);
void	 master_spawn_unthrottle(MASTER_SERV *);
void	 master_spawn_notify(MASTER_SERV *, int);

/* master_stress.c */
void	 master_stress_reset(void);
void	 master_stress_full(MASTER_SERV *);
void	 master_stress_tick(void);
char	**master_stress_argv(MASTER_SERV *);

/* master_status.c */
void	 master_status_open(MASTER_PROC *, int);
void	 master_status_close(MASTER_PROC *);
void	 master_status_drain(MASTER_PROC *);

/* master_wakeup.c */
void	 master_wakeup_start(MASTER_SERV *);
void	 master_wakeup_stop(MASTER_SERV *);
void	 master_wakeup_now(MASTER_SERV *);

/* master_oneshot.c */
/* master.c */
void	 master_reopen_log(void);

void	 master_oneshot_prepare(MASTER_SERV **, const char *);
void	 master_oneshot_start(void);
void	 master_oneshot_proc(const MASTER_PROC *, int);
int	 master_oneshot_status(void);

/* master.c */
void	 master_shutdown(void);

/* master_sig.c */
void	 master_sig_init(void);
void	 master_sig_child_reset(void);

/* master_reload.c */
void	 master_reload(void);
void	 master_start_services(MASTER_SERV *, int);
void	 master_stop_service(MASTER_SERV *);

#endif
