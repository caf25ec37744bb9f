/*
 * ctl_config.h - which configuration a set-gid command may use. See
 * ctl_config.c.
 */
#ifndef CTL_CONFIG_H
#define CTL_CONFIG_H

const char *ctl_config_check(const char *);
int	 ctl_setgid(void);

#endif
