/*
 * NAME
 *	dns_filter - drop DNS records with a reply filter table
 * SYNOPSIS
 *	#include <dns.h>
 *
 *	DNS_RR *dns_rr_filter(DNS_RR *list, const ARGV *tables,
 *	    const char *param, int *error);
 * DESCRIPTION
 *	dns_rr_filter() applies a Postfix DNS reply filter
 *	(smtpd_dns_reply_filter, smtp_dns_reply_filter, lmtp_dns_reply_filter,
 *	named by param for the logs) to a list of records. Each record, in
 *	the form "name. ttl IN type value" (as Postfix shows it:
 *	"example.com. 3600 IN A 192.0.2.1", "example.com. 3600 IN MX 10
 *	mx.example.com."), is looked up in the tables in order, and dropped
 *	when the first value found starts with IGNORE (case-insensitive).
 *	With an empty list of tables the records are returned unchanged.
 *
 *	A table lookup that fails keeps the record; when error is not null,
 *	the failure is logged and *error set to 1 (left alone otherwise),
 *	so that a caller can answer "try again later" instead of using an
 *	unfiltered result; with a null error the next table is tried.
 * DIAGNOSTICS
 *	Returns what is left: records dropped are freed (null when none
 *	remains). Dropped records are logged with -v.
 */
#include <string.h>
#include <strings.h>

#include "argv.h"
#include "dict.h"
#include "dns.h"
#include "msg.h"

/* dns_rr_text - one record as Postfix's filter sees it */
static void
dns_rr_text(const DNS_RR *rr, VSTRING *out)
{
	static const struct {
		int	 type;
		const char *name;
	} types[] = {{DNS_T_A, "A"}, {DNS_T_AAAA, "AAAA"}, {DNS_T_MX, "MX"},
	{DNS_T_NS, "NS"},
	{DNS_T_TXT, "TXT"}, {DNS_T_PTR, "PTR"}, {DNS_T_CNAME, "CNAME"}, {0, 0}};
	const char *tname = "TYPE";

	for (int i = 0; types[i].name; i++)
		if (types[i].type == rr->type)
			tname = types[i].name;
	vstring_sprintf(out, "%s. %u IN %s ", rr->name, rr->ttl, tname);
	if (rr->type == DNS_T_MX)
		vstring_sprintf_append(out, "%u %s.", rr->pref, rr->data);
	else if (rr->type == DNS_T_PTR || rr->type == DNS_T_CNAME ||
	    rr->type == DNS_T_NS)
		vstring_sprintf_append(out, "%s.", rr->data);
	else if (rr->type == DNS_T_TXT)
		vstring_sprintf_append(out, "\"%s\"", rr->data);
	else
		vstring_strcat(out, rr->data ? rr->data : "");
}

DNS_RR *
dns_rr_filter(DNS_RR *list, const ARGV *tables, const char *param, int *error)
{
	DNS_RR	*rr, *next, *keep = NULL, **tail = &keep;
	VSTRING	*text;
	const char *val;
	int	 drop;

	if (tables == NULL || tables->argc == 0)
		return list;
	text = vstring_alloc(100);
	for (rr = list; rr; rr = next) {
		next = rr->next;
		rr->next = NULL;
		dns_rr_text(rr, text);
		drop = 0;
		for (size_t i = 0; i < tables->argc; i++) {
			DICT	*dict = dict_lookup_open(tables->argv[i]);

			val = dict_get(dict, vstring_str(text));
			dict_lookup_close(dict);
			if (val != NULL) {
				drop = strncasecmp(val, "IGNORE", 6) == 0;
				break;
			}
			if (dict->error != DICT_ERR_NONE && error != NULL) {
				msg_warn("%s: %s: table lookup error for \"%s\"",
				    param, tables->argv[i], vstring_str(text));
				*error = 1;
				break;
			}
		}
		if (drop) {
			if (msg_verbose)
				msg_info("%s: ignoring %s", param, vstring_str(text));
			dns_rr_free(rr);
		} else {
			*tail = rr;
			tail = &rr->next;
		}
	}
	vstring_free(text);
	return keep;
}
