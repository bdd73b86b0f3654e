/*
 * Suite mempressure, stage 4: file descriptors and open files.
 *
 * RLIMIT_NOFILE can be raised to fs.nr_open (1048576) and no further (EPERM).  At the limit
 * (fs/file.c alloc_fd): dup, fcntl(F_DUPFD), open and pipe fail with EMFILE (pipe needs two
 * free slots, eventfd one), F_DUPFD at or above the limit is EINVAL, dup2 onto it EBADF.
 */
#include "stage.h"

#include <sys/eventfd.h>
#include <sys/resource.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static void emfile_stage(void *arg)
{
	(void)arg;
	long limit = mp_raise_nofile();
	int first = -1, last = -1;
	for (;;) {
		int fd = dup(0);
		if (fd < 0)
			break;
		if (first < 0)
			first = fd;
		last = fd;
	}
	int error = errno;
	EXPECT_EQ(error, EMFILE);
	EXPECT_EQ(last, limit - 1);
	int fds[2];
	EXPECT_ERRNO(pipe(fds), EMFILE);
	EXPECT_ERRNO(open("/dev/null", O_RDONLY), EMFILE);
	EXPECT_ERRNO(fcntl(0, F_DUPFD, 0), EMFILE);
	EXPECT_ERRNO(fcntl(0, F_DUPFD, limit), EINVAL);
	EXPECT_ERRNO(dup2(0, limit), EBADF);
	EXPECT_EQ(dup2(1, limit - 1), limit - 1);

	/* One free slot: enough for an eventfd, not for a pipe. */
	EXPECT_OK(close(limit - 1));
	EXPECT_ERRNO(pipe(fds), EMFILE);
	EXPECT_EQ(eventfd(0, 0), limit - 1);
	EXPECT_OK(close(limit - 1));
	EXPECT_OK(close(limit - 2));
	EXPECT_OK(pipe(fds));

	/* A lower limit applies to new descriptors only. */
	struct rlimit low = {64, 64};
	EXPECT_OK(setrlimit(RLIMIT_NOFILE, &low));
	EXPECT_ERRNO(dup(0), EMFILE);
	EXPECT_EQ(fcntl(fds[0], F_GETFD), 0);
	EXPECT_OK(syscall(SYS_close_range, first, ~0U, 0));
	EXPECT_EQ(dup(0), first);
	mp_expect_fork_exec();
}

TEST_ALONE(mempressure, fds_until_emfile_at_nr_open)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(emfile_stage, NULL);
}
