/*
 * NAME
 *	fsync-probe - how many durable queue files the disk takes per second
 * SYNOPSIS
 *	fsync-probe [-t threads] [-l length] [-T seconds] directory
 * DESCRIPTION
 *	fsync-probe measures the ceiling that the disk alone puts on an MTA
 *	that makes each message durable before its 250: threads writers
 *	(default 20, as many as the benchmark's SMTP sessions) each repeat,
 *	for seconds seconds (default 2), the steps a queue file takes
 *	before the reply: create a file in directory/tmp, write length
 *	bytes (default 4096), fsync it, link it into directory/incoming,
 *	fsync that directory; then they unlink both names (after the clock,
 *	as a queue manager would later). Nothing else runs: no SMTP, no
 *	parsing, no process hop. The directory must be on the file system
 *	being measured; the two subdirectories are made and removed.
 *
 *	On exit it prints one line:
 *
 *	fsync-probe: threads=N files=F elapsed=T rate=R files/s
 * DIAGNOSTICS
 *	Exit status 0, 1 when a step failed (the step and errno on
 *	stderr), 2 for a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAX_THREADS	256
#define PROBE_MAX_LENGTH	(16 * 1024 * 1024)

static const char *probe_dir;
static size_t probe_length = 4096;
static double probe_end;
static volatile int probe_failed;

typedef struct PROBE_THREAD {
	pthread_t tid;
	int	 index;
	long	 files;
	double	 done;			/* when its last file was durable */
} PROBE_THREAD;

static double
probe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
probe_fail(const char *step, const char *path)
{
	fprintf(stderr, "fsync-probe: %s %s: %s\n", step, path, strerror(errno));
	probe_failed = 1;
}

/* probe_one - one durable file; 0, or -1 when a step failed. */
static int
probe_one(PROBE_THREAD *t, const char *buf, int dirfd, char *tmp, char *dst,
    size_t size)
{
	int	 fd;

	snprintf(tmp, size, "%s/tmp/%d.%ld", probe_dir, t->index, t->files);
	snprintf(dst, size, "%s/incoming/%d.%ld", probe_dir, t->index,
	    t->files);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		probe_fail("open", tmp);
		return -1;
	}
	if (write(fd, buf, probe_length) != (ssize_t)probe_length) {
		probe_fail("write", tmp);
		close(fd);
		return -1;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		probe_fail("fsync", tmp);
		return -1;
	}
	if (link(tmp, dst) < 0) {
		probe_fail("link", dst);
		return -1;
	}
	if (fsync(dirfd) < 0) {
		probe_fail("fsync", "incoming/");
		return -1;
	}
	return 0;
}

static void *
probe_thread(void *arg)
{
	PROBE_THREAD *t = arg;
	char	 tmp[4096], dst[4096], *buf;
	long	 i;
	int	 dirfd;

	if ((buf = malloc(probe_length)) == NULL) {
		probe_fail("malloc", "buffer");
		return NULL;
	}
	memset(buf, 'x', probe_length);
	snprintf(dst, sizeof(dst), "%s/incoming", probe_dir);
	if ((dirfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		probe_fail("open", dst);
		free(buf);
		return NULL;
	}
	while (!probe_failed && probe_now() < probe_end
	    && probe_one(t, buf, dirfd, tmp, dst, sizeof(tmp)) == 0)
		t->files++;
	t->done = probe_now();
	for (i = 0; i < t->files; i++) {
		snprintf(tmp, sizeof(tmp), "%s/tmp/%d.%ld", probe_dir, t->index, i);
		snprintf(dst, sizeof(dst), "%s/incoming/%d.%ld", probe_dir,
		    t->index, i);
		(void)unlink(tmp);
		(void)unlink(dst);
	}
	close(dirfd);
	free(buf);
	return NULL;
}

static void
probe_usage(void)
{
	fprintf(stderr, "usage: fsync-probe [-t threads] [-l length] "
	    "[-T seconds] directory\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	PROBE_THREAD *threads;
	char	 path[4096];
	double	 seconds = 2, t0, elapsed = 0;
	long	 files = 0;
	int	 nthreads = 20, ch, i;

	while ((ch = getopt(argc, argv, "t:l:T:")) != -1) {
		switch (ch) {
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'l':
			probe_length = strtoul(optarg, NULL, 10);
			break;
		case 'T':
			seconds = atof(optarg);
			break;
		default:
			probe_usage();
		}
	}
	if (optind + 1 != argc || nthreads < 1 || nthreads > PROBE_MAX_THREADS
	    || probe_length < 1 || probe_length > PROBE_MAX_LENGTH
	    || !(seconds > 0 && seconds <= 3600))
		probe_usage();
	probe_dir = argv[optind];
	if (strlen(probe_dir) > 1024)
		probe_usage();
	snprintf(path, sizeof(path), "%s/tmp", probe_dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		probe_fail("mkdir", path);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/incoming", probe_dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		probe_fail("mkdir", path);
		return 1;
	}
	if ((threads = calloc(nthreads, sizeof(*threads))) == NULL) {
		probe_fail("calloc", "threads");
		return 1;
	}
	t0 = probe_now();
	probe_end = t0 + seconds;
	for (i = 0; i < nthreads; i++) {
		threads[i].index = i;
		if (pthread_create(&threads[i].tid, NULL, probe_thread,
		    &threads[i]) != 0) {
			fprintf(stderr, "fsync-probe: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(threads[i].tid, NULL);
		files += threads[i].files;
		if (threads[i].done - t0 > elapsed)
			elapsed = threads[i].done - t0;
	}
	(void)rmdir(path);
	snprintf(path, sizeof(path), "%s/tmp", probe_dir);
	(void)rmdir(path);
	free(threads);
	printf("fsync-probe: threads=%d files=%ld elapsed=%.3f rate=%.1f "
	    "files/s\n", nthreads, files, elapsed, elapsed > 0 ? files / elapsed
	    : 0.0);
	return probe_failed ? 1 : 0;
}
