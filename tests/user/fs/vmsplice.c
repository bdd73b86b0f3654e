/*
 * Suite vmsplice: vmsplice(2) into and out of pipes.
 *
 * Guards Linux's fs/splice.c: vmsplice_type (a descriptor open for writing
 * takes user memory into its pipe, one open only for reading gives the pipe's
 * data to user memory), import_iovec's checks (EINVAL beyond UIO_MAXIOV,
 * EFAULT), nothing to move returns 0 before the descriptor is checked to be
 * a pipe (EBADF otherwise), flags outside SPLICE_F_ALL are EINVAL;
 * iter_to_pipe puts one pipe buffer per user page the vectors touch, so an
 * empty 16-slot pipe takes 64 KiB from a page-aligned buffer and less from
 * an unaligned one; waiting for room is cut short only by SPLICE_F_NONBLOCK
 * (EAGAIN), and a pipe without readers is EPIPE; vmsplice_to_user returns
 * what is there, 0 at end of data, EAGAIN with SPLICE_F_NONBLOCK.
 */
#include "harness.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>

#ifndef SPLICE_F_NONBLOCK
#define SPLICE_F_NONBLOCK 2
#endif

static long raw_vmsplice(int fd, const struct iovec *iov, unsigned long n,
			 unsigned int flags)
{
	return syscall(SYS_vmsplice, fd, iov, n, flags);
}

TEST(vmsplice, user_memory_into_a_pipe)
{
	int p[2];
	h_pipe(p);
	char a[] = "hello", b[] = " world";
	struct iovec iov[3] = {{a, 5}, {NULL, 0}, {b, 6}};
	EXPECT_EQ(raw_vmsplice(p[1], iov, 3, 0), 11);
	char got[32] = {0};
	EXPECT_EQ(read(p[0], got, sizeof got), 11);
	EXPECT_STREQ(got, "hello world");
	close(p[0]);
	close(p[1]);
}

TEST(vmsplice, pipe_data_into_user_memory)
{
	int p[2];
	h_pipe(p);
	EXPECT_EQ(write(p[1], "abcdef", 6), 6);
	char one[3], two[10] = {0};
	struct iovec iov[2] = {{one, sizeof one}, {two, sizeof two}};
	EXPECT_EQ(raw_vmsplice(p[0], iov, 2, 0), 6);
	EXPECT_MEMEQ(one, "abc", 3);
	EXPECT_STREQ(two, "def");
	/* Empty, a writer left: EAGAIN only when asked. */
	EXPECT_ERRNO(raw_vmsplice(p[0], iov, 2, SPLICE_F_NONBLOCK), EAGAIN);
	close(p[1]);
	/* No writers: end of data. */
	EXPECT_EQ(raw_vmsplice(p[0], iov, 2, 0), 0);
	close(p[0]);
}

TEST(vmsplice, one_buffer_per_user_page)
{
	size_t len = 128 * 1024;
	char *buf = mmap(NULL, len + 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(buf != MAP_FAILED);
	memset(buf, 'x', len + 4096);
	int p[2];
	h_pipe(p);
	struct iovec aligned = {buf, len};
	/* 16 slots, 16 whole pages. */
	EXPECT_EQ(raw_vmsplice(p[1], &aligned, 1, SPLICE_F_NONBLOCK), 65536);
	/* Full: EAGAIN with SPLICE_F_NONBLOCK. */
	EXPECT_ERRNO(raw_vmsplice(p[1], &aligned, 1, SPLICE_F_NONBLOCK), EAGAIN);
	close(p[0]);
	close(p[1]);
	h_pipe(p);
	struct iovec unaligned = {buf + 100, len};
	EXPECT_EQ(raw_vmsplice(p[1], &unaligned, 1, SPLICE_F_NONBLOCK),
		  4096 - 100 + 15 * 4096);
	close(p[0]);
	close(p[1]);
	munmap(buf, len + 4096);
}

TEST(vmsplice, errors)
{
	int p[2];
	h_pipe(p);
	char c = 'c';
	struct iovec iov = {&c, 1};
	EXPECT_ERRNO(raw_vmsplice(-1, &iov, 1, 0), EBADF);
	EXPECT_ERRNO(raw_vmsplice(p[1], &iov, 1, 0x10), EINVAL);
	EXPECT_ERRNO(raw_vmsplice(p[1], &iov, 1025, 0), EINVAL);
	EXPECT_ERRNO(raw_vmsplice(p[1], H_BAD_PTR, 1, 0), EFAULT);
	struct iovec bad = {H_BAD_PTR, 1};
	EXPECT_ERRNO(raw_vmsplice(p[1], &bad, 1, 0), EFAULT);
	/* A file that is not a pipe: EBADF, unless there is nothing to move. */
	char path[256];
	snprintf(path, sizeof path, "%s/file", h_tmpdir());
	int fd = EXPECT_OK(open(path, O_RDWR | O_CREAT, 0600));
	EXPECT_ERRNO(raw_vmsplice(fd, &iov, 1, 0), EBADF);
	EXPECT_EQ(raw_vmsplice(fd, &iov, 0, 0), 0);
	close(fd);
	/* Open neither for reading nor for writing. */
	int opath = EXPECT_OK(open(path, O_PATH));
	EXPECT_ERRNO(raw_vmsplice(opath, &iov, 1, 0), EBADF);
	close(opath);
	/* No readers: EPIPE (and SIGPIPE, ignored here). */
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	EXPECT_ERRNO(raw_vmsplice(p[1], &iov, 1, 0), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}
