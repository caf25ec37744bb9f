/*
 * NAME
 *	module - load code modules from the daemon directory
 * SYNOPSIS
 *	#include "module.h"
 *
 *	void	 module_dir_hook(const char *(*fn)(void));
 *	const char *module_path(const char *file, VSTRING *path, VSTRING *why);
 *	void	*module_load(const char *file, const char *symbol,
 *		    VSTRING *why);
 * DESCRIPTION
 *	Code that needs a large library (OpenSSL for TLS, a database client
 *	for a table type) is built as a module, FILE.so, that a program
 *	loads with dlopen() only when the configuration asks for it: a
 *	program that uses none maps none of those libraries and pays
 *	neither their memory nor the dynamic loader's relocation work at
 *	start-up. A module resolves the util and global functions it calls
 *	against the program (programs are linked with -rdynamic).
 *
 *	module_dir_hook() names the function that returns the directory of
 *	the modules (libglobal installs one that returns daemon_directory:
 *	the modules are installed beside the daemons, and a test instance
 *	or a wrapper directory of symbolic links names its own).
 *
 *	module_path() writes the path of file in that directory into path
 *	and checks it: a regular file owned by root (or by the running
 *	user) and writable only by its owner. It returns the path, or a
 *	null pointer with the reason in why and errno set (ENOENT: the
 *	file is not there, so it was not built or not installed).
 *
 *	module_load() loads file (once: dlopen() keeps a count, and a
 *	loaded module is never unloaded) and returns the address of its
 *	symbol. Set-id programs (sendmail, smtpctl) load no module: their
 *	configuration may come from the user who runs them.
 * DIAGNOSTICS
 *	module_load() returns a null pointer with the reason in why and
 *	errno set: ENOENT when the file is not there, EPERM for an unsafe
 *	file or a set-id program, ENOEXEC with dlopen()'s text (a missing
 *	library or symbol) or when the symbol is missing.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "module.h"

static const char *(*module_dir_fn)(void);

void
module_dir_hook(const char *(*fn)(void))
{
	module_dir_fn = fn;
}

const char *
module_path(const char *file, VSTRING *path, VSTRING *why)
{
	const char *dir = module_dir_fn ? module_dir_fn() : NULL;
	struct stat st;

	int	 err;

	if (dir == NULL || *dir == 0) {
		vstring_sprintf(why, "no module directory in this program");
		errno = EINVAL;
		return NULL;
	}
	vstring_sprintf(path, "%s/%s", dir, file);
	if (stat(vstring_str(path), &st) < 0) {
		err = errno;
		vstring_sprintf(why, "%s: %s", vstring_str(path), strerror(err));
		errno = err;
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 022) != 0
	    || (st.st_uid != 0 && st.st_uid != geteuid())) {
		vstring_sprintf(why, "%s: not a regular file owned by root "
		    "and writable only by its owner", vstring_str(path));
		errno = EPERM;
		return NULL;
	}
	return vstring_str(path);
}

void   *
module_load(const char *file, const char *symbol, VSTRING *why)
{
	VSTRING	*path;
	void	*handle, *addr = NULL;

	if (getuid() != geteuid() || getgid() != getegid()) {
		vstring_sprintf(why, "not loaded by a set-id program");
		errno = EPERM;
		return NULL;
	}
	path = vstring_alloc(64);
	if (module_path(file, path, why) == NULL)
		goto out;
	if ((handle = dlopen(vstring_str(path), RTLD_NOW | RTLD_LOCAL)) == NULL) {
		vstring_sprintf(why, "%s", dlerror());
		errno = ENOEXEC;
		goto out;
	}
	if ((addr = dlsym(handle, symbol)) == NULL) {
		vstring_sprintf(why, "%s: no symbol %s", vstring_str(path),
		    symbol);
		(void)dlclose(handle);
		errno = ENOEXEC;
	}
out:
	vstring_free(path);
	return addr;
}
