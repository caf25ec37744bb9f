/*
 * screen.h - the pre-greeting screen in front of smtpd: shared state and
 * module interfaces. See screen.c (session), screen_cache.c (allowlist
 * cache), screen_dnsbl.c (DNSBL score), screen_smtp.c (the enforce-mode
 * SMTP engine).
 */
#ifndef SCREEN_H
#define SCREEN_H

#include <time.h>

#include "addr_match.h"
#include "argv.h"
#include "vstream.h"
#include "vstring.h"

#define SCREEN_IGNORE	0
#define SCREEN_ENFORCE	1
#define SCREEN_DROP	2

#define SCREEN_ADDR_MAX	64

typedef struct SCREEN_CONF {
	int	 greet_action;		/* postscreen_greet_action */
	int	 greet_wait;		/* postscreen_greet_wait, seconds */
	const char *greet_banner;	/* postscreen_greet_banner */
	int	 greet_ttl;		/* postscreen_greet_ttl */
	ARGV	*dnsbl_sites;		/* postscreen_dnsbl_sites */
	int	 dnsbl_threshold;
	int	 dnsbl_action;
	int	 dnsbl_ttl;		/* postscreen_dnsbl_max_ttl */
	int	 deny_action;		/* postscreen_denylist_action */
	ARGV	*access;		/* postscreen_access_list */
	ADDR_MATCH *mynetworks;
	char	*cache_path;		/* from postscreen_cache_map, or null */
	const char *pass_service;	/* private/$smtpd_service_name */
	const char *myhostname;
	const char *smtpd_banner;
	int	 cmd_time;		/* postscreen_command_time_limit */
	int	 cmd_count;		/* postscreen_command_count_limit */
} SCREEN_CONF;

typedef struct SCREEN_STATE {
	const SCREEN_CONF *conf;
	VSTREAM	*client;
	int	 fd;
	char	 addr[SCREEN_ADDR_MAX];
	int	 port;
	char	 laddr[SCREEN_ADDR_MAX];
	int	 lport;
	char	*addrport;		/* "[addr]:port" */
	struct timespec start;
	int	 teaser;		/* "220-" sent */
	int	 action;		/* SCREEN_* of the failed tests */
	char	*reply;			/* enforce/drop reply text, after the code */
} SCREEN_STATE;

/* screen_cache.c */
int	 screen_cache_find(const SCREEN_CONF *, const char *);
void	 screen_cache_add(const SCREEN_CONF *, const char *, int);

/* screen_dnsbl.c */
int	 screen_dnsbl_score(SCREEN_STATE *, VSTRING *);

/* screen_smtp.c */
void	 screen_smtp(SCREEN_STATE *);

/* screen.c */
double	 screen_elapsed(const SCREEN_STATE *);

#endif
