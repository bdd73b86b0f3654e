/*
 * Suite mempressure, stage 4: file descriptors and open files.
 *
 * RLIMIT_NOFILE can be raised to fs.nr_open (1048576) and no further (EPERM).  At the limit
 * (fs/file.c alloc_fd): dup, fcntl(F_DUPFD), open and pipe fail with EMFILE (pipe needs two
 * free slots, eventfd one), F_DUPFD at or above the limit is EINVAL, dup2 onto it EBADF.
 * Open files are limited system-wide to fs.file-max (about a tenth of RAM in KiB, at least
 * NR_FILE 8192; fs/file_table.c alloc_empty_file): an unprivileged process making pipes gets
 * ENFILE there, while dup (no new file) still works and root (CAP_SYS_ADMIN) can still open
 * files.  Freeing files makes room again (not file by file: Linux's count may overshoot the
 * limit by a per-CPU batch).
 */
#include "stage.h"

#include <sys/eventfd.h>
#include <sys/resource.h>

#define NR_FILE 8192
#define FREED_PIPES 64
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

/* Makes pipes as nobody until that fails; tells the parent, waits for its word, then frees a
 * pipe and checks one can be made again. */
static void pipe_maker(int ready_fd, int go_fd)
{
	mp_raise_nofile();
	mp_become_nobody();
	long pipes = 0;
	int fds[2] = {-1, -1};
	int first = -1;
	for (;;) {
		if (pipe(fds) != 0)
			break;
		if (first < 0)
			first = fds[0];
		pipes++;
	}
	int error = errno;
	EXPECT_EQ(error, ENFILE);
	/* fs.file-max is about a tenth of RAM in KiB, at least NR_FILE. */
	EXPECT_GE(2 * pipes, NR_FILE - 64);
	EXPECT_LE(2 * pipes, (long)(mp_ram() / 10240) + 2 * FREED_PIPES);
	EXPECT_ERRNO(open("/dev/null", O_RDONLY), ENFILE);
	EXPECT_ERRNO(eventfd(0, 0), ENFILE);
	/* A new descriptor for an open file needs no new file. */
	int copy = EXPECT_OK(dup(first));
	EXPECT_OK(close(copy));
	h_post(ready_fd);
	h_wait_byte(go_fd);
	/* Linux counts open files per CPU and checks the sum only when a cheap estimate is over
	 * the limit, so the count may overshoot it by a per-CPU batch: closing a pipe need not
	 * be enough, closing FREED_PIPES is. */
	for (int fd = first; fd < first + 2 * FREED_PIPES; fd++)
		EXPECT_OK(close(fd));
	EXPECT_OK(pipe(fds));
	h_exit(0);
}

static void enfile_stage(void *arg)
{
	(void)arg;
	int ready[2], go[2];
	h_pipe(ready);
	h_pipe(go);
	pid_t pid = h_fork();
	if (pid == 0)
		pipe_maker(ready[1], go[0]);
	close(ready[1]);
	char byte;
	if (read(ready[0], &byte, 1) != 1) {
		/* It failed a check (h_wait_exit shows which) or was killed. */
		h_wait_exit(pid);
		FAIL("the pipe maker ended before it reached the limit");
	}
	/* Root is not held back by fs.file-max. */
	int fd = EXPECT_OK(open("/dev/null", O_RDONLY));
	EXPECT_OK(close(fd));
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	mp_expect_fork_exec();
}

TEST_ALONE(mempressure, pipes_until_enfile_at_file_max)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(enfile_stage, NULL);
}
