/*
 * Suite tee: tee(2) duplicates pipe data without consuming it.
 *
 * Guards Linux's fs/splice.c (sys_tee, do_tee, link_pipe): flags outside
 * SPLICE_F_ALL are EINVAL, a length of 0 returns 0 before the descriptors
 * are looked at, EBADF for bad descriptors or wrong access modes, EINVAL for
 * a non-pipe or the same pipe; the input keeps its data; a length shorter
 * than a buffer copies that much; an empty input without writers gives 0,
 * with a writer and SPLICE_F_NONBLOCK (or O_NONBLOCK) EAGAIN; an output
 * without readers is EPIPE.
 */
#include "harness.h"

#include <signal.h>

#ifndef SPLICE_F_NONBLOCK
#define SPLICE_F_NONBLOCK 2
#endif

static long raw_tee(int in, int out, size_t len, unsigned int flags)
{
	return syscall(SYS_tee, in, out, len, flags);
}

TEST(tee, duplicates_without_consuming)
{
	int a[2], b[2];
	h_pipe(a);
	h_pipe(b);
	EXPECT_EQ(write(a[1], "hello", 5), 5);
	EXPECT_EQ(write(a[1], " world", 6), 6); /* merged into one buffer */
	EXPECT_EQ(raw_tee(a[0], b[1], 100, 0), 11);
	EXPECT_EQ(raw_tee(a[0], b[1], 3, 0), 3);
	char buf[32] = {0};
	EXPECT_EQ(read(b[0], buf, sizeof buf), 14);
	EXPECT_MEMEQ(buf, "hello worldhel", 14);
	memset(buf, 0, sizeof buf);
	EXPECT_EQ(read(a[0], buf, sizeof buf), 11);
	EXPECT_STREQ(buf, "hello world");
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

TEST(tee, empty_input)
{
	int a[2], b[2];
	h_pipe(a);
	h_pipe(b);
	EXPECT_ERRNO(raw_tee(a[0], b[1], 10, SPLICE_F_NONBLOCK), EAGAIN);
	EXPECT_OK(fcntl(b[1], F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(raw_tee(a[0], b[1], 10, 0), EAGAIN);
	close(a[1]);
	EXPECT_EQ(raw_tee(a[0], b[1], 10, 0), 0);
	close(a[0]);
	close(b[0]);
	close(b[1]);
}

TEST(tee, errors)
{
	int a[2], b[2];
	h_pipe(a);
	h_pipe(b);
	EXPECT_EQ(write(a[1], "x", 1), 1);
	EXPECT_ERRNO(raw_tee(a[0], b[1], 1, 0x10), EINVAL);
	EXPECT_EQ(raw_tee(-1, -1, 0, 0), 0);
	EXPECT_ERRNO(raw_tee(-1, b[1], 1, 0), EBADF);
	EXPECT_ERRNO(raw_tee(a[0], -1, 1, 0), EBADF);
	/* Wrong ends. */
	EXPECT_ERRNO(raw_tee(a[1], b[1], 1, 0), EBADF);
	EXPECT_ERRNO(raw_tee(a[0], b[0], 1, 0), EBADF);
	/* The same pipe. */
	EXPECT_ERRNO(raw_tee(a[0], a[1], 1, 0), EINVAL);
	/* Not a pipe. */
	char path[256];
	snprintf(path, sizeof path, "%s/f", h_tmpdir());
	int fd = EXPECT_OK(open(path, O_RDWR | O_CREAT, 0600));
	EXPECT_ERRNO(raw_tee(a[0], fd, 1, 0), EINVAL);
	EXPECT_ERRNO(raw_tee(fd, b[1], 1, 0), EINVAL);
	close(fd);
	/* No readers on the output. */
	close(b[0]);
	signal(SIGPIPE, SIG_IGN);
	EXPECT_ERRNO(raw_tee(a[0], b[1], 1, 0), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(a[0]);
	close(a[1]);
	close(b[1]);
}
