/* placeholder, replaced below */
#include "xsasl.h"
XSASL_SERVER_IMPL *
xsasl_dovecot_init(const char *path, VSTRING *why)
{
	vstring_strcpy(why, "dovecot: not yet");
	return NULL;
}
