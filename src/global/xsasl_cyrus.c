/* placeholder, replaced below */
#include "xsasl.h"
XSASL_SERVER_IMPL *
xsasl_cyrus_init(const char *path, VSTRING *why)
{
	vstring_strcpy(why, "cyrus: not yet");
	return NULL;
}
