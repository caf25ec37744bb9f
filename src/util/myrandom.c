/*
 * NAME
 *	myrandom - unpredictable numbers from the kernel
 * SYNOPSIS
 *	#include <myrandom.h>
 *
 *	uint32_t myrandom32(void);
 *	uint64_t myrandom64(void);
 *	void	 myrandom_bytes(void *buf, size_t len);
 *	uint32_t myrandom_uniform(uint32_t bound);
 * DESCRIPTION
 *	Queue IDs, envelope-ids, SMTP session identifiers and retry jitter
 *	must not be guessable or collide between processes, so every
 *	number comes from the kernel: getrandom(2), or /dev/urandom where
 *	that system call is missing. There is no seeding, no state to share
 *	after fork(), and no use of rand(3).
 *
 *	myrandom_uniform() returns a number in [0, bound) without modulo
 *	bias (rejection sampling).
 *
 *	Cost: one system call per request. That is cheap next to the
 *	file operations a message needs; batch with myrandom_bytes()
 *	where many numbers are needed at once.
 * DIAGNOSTICS
 *	Fatal: no source of randomness (neither getrandom nor /dev/urandom).
 *	Panic: myrandom_uniform(0).
 */
#include <sys/random.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "msg.h"
#include "myrandom.h"

static void
myrandom_urandom(unsigned char *buf, size_t len)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) < 0)
		msg_fatal("open /dev/urandom: %m");
	while (len > 0) {
		if ((n = read(fd, buf, len)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			msg_fatal("read /dev/urandom: %m");
		buf += n;
		len -= n;
	}
	close(fd);
}

void
myrandom_bytes(void *buf, size_t len)
{
	unsigned char *cp = buf;
	ssize_t	 n;

	while (len > 0) {
		if ((n = getrandom(cp, len, 0)) > 0) {
			cp += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOSYS) {
			myrandom_urandom(cp, len);
			return;
		}
		msg_fatal("getrandom: %m");
	}
}

uint32_t
myrandom32(void)
{
	uint32_t r;

	myrandom_bytes(&r, sizeof(r));
	return r;
}

uint64_t
myrandom64(void)
{
	uint64_t r;

	myrandom_bytes(&r, sizeof(r));
	return r;
}

uint32_t
myrandom_uniform(uint32_t bound)
{
	uint32_t r, min;

	if (bound == 0)
		msg_panic("myrandom_uniform: zero bound");
	/* 2^32 mod bound: values below it would bias the result. */
	min = -bound % bound;
	do {
		r = myrandom32();
	} while (r < min);
	return r % bound;
}
