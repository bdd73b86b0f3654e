/*
 * Suite dup: dup(2), dup2(2), dup3(2).
 *
 * Guards Linux's fs/file.c: dup returns the lowest free fd, sharing the open
 * file description (offset, status flags) with FD_CLOEXEC clear; dup2 onto an
 * open fd closes it first; dup2(fd, fd) returns fd if it is open and EBADF if
 * not; a newfd outside [0, RLIMIT_NOFILE) is EBADF; dup3(fd, fd) is EINVAL;
 * dup3 accepts only O_CLOEXEC.  Man page dup(2).
 */
#include "harness.h"

#include <limits.h>
#include <sys/resource.h>

static int open_file(const char *content)
{
	h_tmpdir();
	h_write_file("f", content);
	return EXPECT_OK(open("f", O_RDWR));
}

TEST(dup, lowest_free_and_shared_offset)
{
	int fd = open_file("0123456789");
	int d = EXPECT_OK(dup(fd));
	EXPECT_EQ(d, fd + 1);
	char c;
	EXPECT_EQ(read(fd, &c, 1), 1);
	EXPECT_EQ(read(d, &c, 1), 1);
	EXPECT_EQ(c, '1');
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2);
	EXPECT_OK(close(fd));
	/* The copy stays usable when the original is closed. */
	EXPECT_EQ(read(d, &c, 1), 1);
	EXPECT_EQ(c, '2');
	EXPECT_EQ(dup(d), fd);
}

TEST(dup, clears_cloexec)
{
	h_tmpdir();
	h_write_file("f", "");
	int fd = EXPECT_OK(open("f", O_RDONLY | O_CLOEXEC));
	int d = EXPECT_OK(dup(fd));
	EXPECT_EQ(fcntl(d, F_GETFD), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	int d2 = EXPECT_OK(dup2(fd, 50));
	EXPECT_EQ(d2, 50);
	EXPECT_EQ(fcntl(50, F_GETFD), 0);
}

TEST(dup, dup_ebadf)
{
	EXPECT_ERRNO(dup(-1), EBADF);
	EXPECT_ERRNO(dup(INT_MAX), EBADF);
	int fd = open_file("");
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(dup(fd), EBADF);
}

TEST(dup, dup2_onto_open_fd)
{
	h_tmpdir();
	h_write_file("a", "AAAA");
	h_write_file("b", "BBBB");
	int a = EXPECT_OK(open("a", O_RDONLY));
	int b = EXPECT_OK(open("b", O_RDONLY));
	EXPECT_EQ(dup2(a, b), b);
	char c;
	EXPECT_EQ(read(b, &c, 1), 1);
	EXPECT_EQ(c, 'A');
	EXPECT_EQ(lseek(a, 0, SEEK_CUR), 1);
}

TEST(dup, dup2_same_fd)
{
	int fd = open_file("");
	EXPECT_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	EXPECT_EQ(dup2(fd, fd), fd);
	/* Nothing changes, not even FD_CLOEXEC. */
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(dup2(fd, fd), EBADF);
	EXPECT_ERRNO(dup2(-1, -1), EBADF);
}

TEST(dup, dup2_bad_newfd)
{
	int fd = open_file("");
	struct rlimit rl;
	EXPECT_OK(getrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_ERRNO(dup2(fd, -1), EBADF);
	EXPECT_ERRNO(dup2(fd, (int)rl.rlim_cur), EBADF);
	EXPECT_ERRNO(dup2(fd, INT_MAX), EBADF);
	EXPECT_ERRNO(dup2(-1, 5), EBADF);
	EXPECT_EQ(dup2(fd, (int)rl.rlim_cur - 1), (long)rl.rlim_cur - 1);
	EXPECT_OK(close((int)rl.rlim_cur - 1));
	/* A failed dup2 leaves newfd alone. */
	int other = EXPECT_OK(dup(fd));
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(dup2(fd, other), EBADF);
	EXPECT_EQ(fcntl(other, F_GETFD), 0);
}

TEST(dup, dup3)
{
	int fd = open_file("");
	EXPECT_EQ(dup3(fd, 40, 0), 40);
	EXPECT_EQ(fcntl(40, F_GETFD), 0);
	EXPECT_EQ(dup3(fd, 41, O_CLOEXEC), 41);
	EXPECT_EQ(fcntl(41, F_GETFD), FD_CLOEXEC);
	/* Replacing an open fd. */
	EXPECT_EQ(dup3(fd, 41, 0), 41);
	EXPECT_EQ(fcntl(41, F_GETFD), 0);
}

TEST(dup, dup3_einval)
{
	int fd = open_file("");
	EXPECT_ERRNO(syscall(SYS_dup3, fd, fd, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_dup3, fd, fd, O_CLOEXEC), EINVAL);
	EXPECT_ERRNO(syscall(SYS_dup3, fd, 42, O_NONBLOCK), EINVAL);
	EXPECT_ERRNO(syscall(SYS_dup3, fd, 42, 0x1), EINVAL);
	EXPECT_ERRNO(fcntl(42, F_GETFD), EBADF);
	EXPECT_ERRNO(syscall(SYS_dup3, -1, 42, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_dup3, fd, -1, 0), EBADF);
}

TEST(dup, raw_dup2_syscall)
{
	int fd = open_file("");
	EXPECT_EQ(syscall(SYS_dup2, fd, fd), fd);
	EXPECT_EQ(syscall(SYS_dup2, fd, 60), 60);
	EXPECT_ERRNO(syscall(SYS_dup2, 61, 61), EBADF);
	EXPECT_EQ(syscall(SYS_dup, fd), fd + 1);
}
