/*
 * module.h - code modules (NAME.so) loaded from the daemon directory on
 * first use. See module.c.
 */
#ifndef MODULE_H
#define MODULE_H

#include "vstring.h"

void	 module_dir_hook(const char *(*)(void));
const char *module_path(const char *, VSTRING *path, VSTRING *why);
void	*module_load(const char *, const char *, VSTRING *why);

#endif
