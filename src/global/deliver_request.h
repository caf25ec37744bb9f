/*
 * deliver_request.h - the qmgr -> transport protocol (see HACKING.md,
 * "Delivery request"): its attribute names and reply flags, the one place
 * they are defined. The request and replies travel as attr.h lists over
 * private/<transport>. The queue manager's client is deliver_clnt.h; the
 * transport's side is deliver_rcpt.h (the request) and deliver_reply.h
 * (the replies); an agent passes a request on with deliver_pass.h.
 */
#ifndef DELIVER_REQUEST_H
#define DELIVER_REQUEST_H

#define DR_REQUEST	"request"	/* DR_REQ_DELIVER */
#define DR_REQ_DELIVER	"deliver"
#define DR_QUEUE_NAME	"queue_name"
#define DR_QUEUE_ID	"queue_id"
#define DR_TRANSPORT	"transport"
#define DR_NEXTHOP	"nexthop"
#define DR_SENDER	"sender"
#define DR_DSN_ENVID	"dsn_envid"
#define DR_DSN_RET	"dsn_ret"
#define DR_CLIENT_NAME	"client_name"
#define DR_CLIENT_ADDR	"client_addr"
#define DR_HELO		"helo"
#define DR_PROTOCOL	"protocol"
#define DR_ARRIVAL	"arrival_time"	/* seconds.microseconds: message arrival */
#define DR_ACTIVE	"active_time"	/* when qmgr moved it to active (for delays=a/b/c/d) */
#define DR_OFFSET	"offset"	/* content offset in the queue file */
#define DR_SIZE		"size"		/* content size in bytes */
#define DR_ENCODING	"encoding"	/* DR_ENC_*: absent when not known */
#define DR_ENC_7BIT	"7bit"		/* no content byte has the high bit set */
#define DR_ENC_8BIT	"8bit"		/* some content byte has it */
#define DR_RCPT_INDEX	"rcpt_index"	/* repeated group: index, rcpt, orcpt, notify */
#define DR_RCPT		"rcpt"
#define DR_ORCPT	"orcpt"
#define DR_NOTIFY	"notify"

/* Replies: one per recipient, then a final one with "done=1". */
#define DR_STATUS	"status"	/* DSN status D.D.D */
#define DR_ACTION	"action"	/* delivered relayed failed delayed */
#define DR_REASON	"reason"
#define DR_RELAY	"relay"		/* host[addr]:port */
#define DR_DONE		"done"
#define DR_DSN_PASSED	"dsn_passed"	/* 1: the next hop took the DSN request over (smtp) */
#define DR_DEST_FAILED	"dest_failed"	/* optional, with done=1: "1" when the
					 * destination failed as a whole (no
					 * connection, greeting refused): qmgr
					 * then marks it dead for a while
					 * instead of hammering it (G) */

/*
 * Reply flags as deliver_reply_flags(), deliver_reply_done_flags() write
 * them and deliver_clnt_reply() reads them ("1" values of the above).
 */
#define DELIVER_REPLY_DSN_PASSED	(1 << 0)	/* rcpt: dsn_passed=1 */
#define DELIVER_REPLY_DEST_FAILED	(1 << 1)	/* done: dest_failed=1 */

#endif
