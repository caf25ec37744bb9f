/*
 * mail_params.h - computed defaults and per-transport parameter names.
 * The table itself is conf_param_table[] in mail_conf.h. See
 * mail_params.c and mail_params_dynamic.c.
 */
#ifndef MAIL_PARAMS_H
#define MAIL_PARAMS_H

const char *mail_params_dynamic(const char *);
const char *mail_params_transport_suffix(const char *);
int	 mail_params_raw(const char *);	/* conf_str() does not expand it */
const char *mail_params_enum(const char *);	/* accepted keywords or null */

#endif
