/*
 * milter8_priv.h - the milter protocol's constants and one milter's
 * state, shared by milter8.c (connection, negotiation, SMTP events) and
 * milter8_msg.c (content, end of message, modifications) only.
 */
#ifndef MILTER8_PRIV_H
#define MILTER8_PRIV_H

#include <stdint.h>

#include "milter.h"
#include "vstream.h"

/* Commands (MTA to milter). */
#define SMFIC_ABORT	'A'
#define SMFIC_BODY	'B'
#define SMFIC_CONNECT	'C'
#define SMFIC_MACRO	'D'
#define SMFIC_BODYEOB	'E'
#define SMFIC_HELO	'H'
#define SMFIC_HEADER	'L'
#define SMFIC_MAIL	'M'
#define SMFIC_EOH	'N'
#define SMFIC_OPTNEG	'O'
#define SMFIC_QUIT	'Q'
#define SMFIC_RCPT	'R'
#define SMFIC_DATA	'T'
#define SMFIC_UNKNOWN	'U'

/* Replies (milter to MTA). */
#define SMFIR_ADDRCPT	'+'
#define SMFIR_DELRCPT	'-'
#define SMFIR_ADDRCPT_PAR '2'
#define SMFIR_SHUTDOWN	'4'
#define SMFIR_ACCEPT	'a'
#define SMFIR_REPLBODY	'b'
#define SMFIR_CONTINUE	'c'
#define SMFIR_DISCARD	'd'
#define SMFIR_CHGFROM	'e'
#define SMFIR_CONN_FAIL	'f'
#define SMFIR_ADDHEADER	'h'
#define SMFIR_INSHEADER	'i'
#define SMFIR_SETSYMLIST 'l'
#define SMFIR_CHGHEADER	'm'
#define SMFIR_PROGRESS	'p'
#define SMFIR_QUARANTINE 'q'
#define SMFIR_REJECT	'r'
#define SMFIR_SKIP	's'
#define SMFIR_TEMPFAIL	't'
#define SMFIR_REPLYCODE	'y'

/* Actions. */
#define SMFIF_ADDHDRS	0x01
#define SMFIF_CHGBODY	0x02
#define SMFIF_ADDRCPT	0x04
#define SMFIF_DELRCPT	0x08
#define SMFIF_CHGHDRS	0x10
#define SMFIF_QUARANTINE 0x20
#define SMFIF_CHGFROM	0x40
#define SMFIF_ADDRCPT_PAR 0x80
#define SMFIF_SETSYMLIST 0x100
#define SMFIF_ALL_V2	0x3f
#define SMFIF_ALL_V6	0x1ff

/* Protocol step flags. */
#define SMFIP_NOCONNECT	0x1
#define SMFIP_NOHELO	0x2
#define SMFIP_NOMAIL	0x4
#define SMFIP_NORCPT	0x8
#define SMFIP_NOBODY	0x10
#define SMFIP_NOHDRS	0x20
#define SMFIP_NOEOH	0x40
#define SMFIP_NR_HDR	0x80
#define SMFIP_NOUNKNOWN	0x100
#define SMFIP_NODATA	0x200
#define SMFIP_SKIP	0x400
#define SMFIP_RCPT_REJ	0x800
#define SMFIP_NR_CONN	0x1000
#define SMFIP_NR_HELO	0x2000
#define SMFIP_NR_MAIL	0x4000
#define SMFIP_NR_RCPT	0x8000
#define SMFIP_NR_DATA	0x10000
#define SMFIP_NR_UNKN	0x20000
#define SMFIP_NR_EOH	0x40000
#define SMFIP_NR_BODY	0x80000
#define SMFIP_HDR_LEADSPC 0x100000
#define SMFIP_ALL_V2	0x7f
#define SMFIP_ALL_V6	0x1fffff

#define MILTER8_MAX_PACKET	(2 * 1024 * 1024)
#define MILTER8_CHUNK		65535

/* States. */
#define M8_IDLE		0	/* not connected yet */
#define M8_READY	1
#define M8_DONE		2	/* accepted or rejected for the session */
#define M8_ERROR	3	/* failed: default action from now on */

struct MILTER {
	char	*name;
	MILTER_CONF conf;
	VSTREAM	*fp;
	int	 state;
	int	 msg_done;		/* accept/reject/discard: skip to next message */
	int	 in_msg;		/* MAIL sent, ABORT owed */
	int	 skip_body;
	int	 body_cr;		/* replaced body chunk ended in CR */
	int	 version;
	unsigned actions;
	unsigned proto;
	ARGV	*symlist[MILTER_MAC_COUNT];
	VSTRING	*pkt;			/* outgoing */
	VSTRING	*in;			/* incoming */
	VSTRING	*reply;
	const char *stage;		/* for logs */
};

const char *milter8_fail(MILTER *, const char *, ...) PRINTFLIKE(2, 3);
const char *milter8_default(MILTER *);
void	 milter8_put_str(VSTRING *, const char *);
void	 milter8_put_u32(VSTRING *, uint32_t);
int	 milter8_send(MILTER *, int, const char *, size_t, int);
int	 milter8_recv(MILTER *, int, VSTRING *);
int	 milter8_strings(MILTER *, size_t, const char **, int);
uint32_t milter8_get_u32(const char *);
int	 milter8_macros(MILTER *, int, int, MILTER_MAC_FN, void *, int);
const char *milter8_final(MILTER *, int, int);
const char *milter8_event(MILTER *, int, const char *, size_t, MILTER_MAC_FN,
	    void *, int, int);

#endif
