/*
 * postern.h - the subcommands of the postern command. See postern.c.
 * Each is "int postern_<cmd>_main(int argc, char **argv)" with argv[0]
 * the subcommand name, or "int postern_<cmd>(void)" for a command that
 * takes no arguments, the global options already consumed (-c has set
 * MAIL_CONFIG to an absolute path, -v has raised msg_verbose). It returns
 * the exit status.
 */
#ifndef POSTERN_H
#define POSTERN_H

#include "vstring.h"

int	 postern_config_main(int, char **);	/* postern_config.c */
int	 postern_check_main(int, char **);	/* postern_check.c */
int	 postern_map_main(int, char **);	/* postern_map.c */
int	 postern_start(void);			/* postern_master.c */
int	 postern_start_fg(void);
int	 postern_stop(void);
int	 postern_abort(void);
int	 postern_reload(void);
int	 postern_status(void);
int	 postern_flush_main(int, char **);	/* postern_flush.c */
int	 postern_logrotate(void);		/* postern_logrotate.c */
int	 postern_queue_main(int, char **);	/* postern_queue.c */
int	 postern_queue_dump_main(int, char **);	/* postern_queue_dump.c */

/* Shared helpers (postern.c). */
const char *postern_progname(void);
void	 postern_set_config(const char *);	/* -c: MAIL_CONFIG, absolute */
const char *postern_json(VSTRING *, const char *);	/* postern_queue.c */
int	 postern_stdout_status(int);	/* flush stdout: status, or 1 */

#endif
