/*
 * qmgr_inside.h - what the modules of the qmgr's scheduler core use among
 * themselves; the rest of the qmgr uses qmgr_core.h only. Include after
 * qmgr.h.
 */
#ifndef QMGR_INSIDE_H
#define QMGR_INSIDE_H

/* qmgr_core.c */
void	 qmgr_core_room_back(void);

/* qmgr_flush.c */
void	 qmgr_flush_add(const char *, const QF_MSG *);
void	 qmgr_flush_forget(const char *);

/* qmgr_message.c */
void	 qmgr_message_done_entry(QMGR_MESSAGE *);
void	 qmgr_message_sync(QMGR_MESSAGE *);

/* qmgr_finish.c */
void	 qmgr_message_finish(QMGR_MESSAGE *);

/* qmgr_result.c */
void	 qmgr_result(QMGR_MESSAGE *, int, const char *, const char *,
	    const char *, const char *);
void	 qmgr_result_log(QMGR_MESSAGE *, int, const char *, const char *,
	    const char *, const char *);
time_t	 qmgr_result_backoff(int);
void	 qmgr_hoststat(HTABLE *, const char *, const char *, int);
void	 qmgr_relay_note(const QMGR_QUEUE *, const char *);

/* qmgr_sched.c */
QMGR_QUEUE *qmgr_queue_find(QMGR_TRANSPORT *, const char *, const char *,
	    int);
void	 qmgr_queue_add(QMGR_QUEUE *, QMGR_MESSAGE *, int);
void	 qmgr_queue_unlink(QMGR_ENTRY *);
void	 qmgr_sched_run(void);
void	 qmgr_sched_feedback(QMGR_ENTRY *, int, const char *);
void	 qmgr_entry_free(QMGR_ENTRY *);
void	 qmgr_entry_defer(QMGR_ENTRY *, const char *, const char *);
int	 qmgr_transport_paused(const QMGR_TRANSPORT *);
void	 qmgr_queue_dead(QMGR_QUEUE *, const char *);
void	 qmgr_sched_revive(int, void *);
int	 qmgr_sched_feedback_parse(const char *, QMGR_FEEDBACK *);

#endif
