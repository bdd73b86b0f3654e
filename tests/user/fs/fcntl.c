/*
 * Suite fcntl: fcntl(2) F_GETFD/F_SETFD, F_GETFL/F_SETFL, F_DUPFD,
 * F_DUPFD_CLOEXEC.
 *
 * Guards Linux's fs/fcntl.c do_fcntl/setfl (only FD_CLOEXEC is a descriptor
 * flag; F_SETFL changes only O_APPEND|O_NONBLOCK|O_DIRECT|O_NOATIME (O_ASYNC
 * through the file's fasync method, suite fasync)
 * and ignores the access mode and creation flags; status flags belong to the
 * open file description shared by dups, FD_CLOEXEC to the descriptor;
 * F_DUPFD's minimum must be below RLIMIT_NOFILE else EINVAL; an unknown
 * command is EINVAL; an O_PATH fd allows only F_DUPFD*, F_GETFD, F_SETFD,
 * F_GETFL and gives EBADF otherwise).  Man page fcntl(2).
 */
#include "harness.h"

#include <limits.h>
#include <sys/resource.h>

static int open_file(void)
{
	h_tmpdir();
	h_write_file("f", "abc");
	return EXPECT_OK(open("f", O_RDWR));
}

TEST(fcntl, getfd_setfd)
{
	int fd = open_file();
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	EXPECT_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(fd, F_SETFD, 0), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	/* Bits other than FD_CLOEXEC are dropped. */
	EXPECT_EQ(fcntl(fd, F_SETFD, 0xff), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(fd, F_SETFD, 0xfe), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
}

TEST(fcntl, getfl_setfl)
{
	int fd = open_file();
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDWR | K_O_LARGEFILE);
	EXPECT_EQ(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK), 0);
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDWR | O_APPEND | O_NONBLOCK | K_O_LARGEFILE);
	EXPECT_EQ(fcntl(fd, F_SETFL, 0), 0);
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDWR | K_O_LARGEFILE);
}

TEST(fcntl, setfl_ignores_mode_and_creation_flags)
{
	h_tmpdir();
	h_write_file("f", "abc");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(fcntl(fd, F_SETFL, O_RDWR | O_CREAT | O_TRUNC | O_EXCL | O_NONBLOCK), 0);
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDONLY | O_NONBLOCK | K_O_LARGEFILE);
	EXPECT_ERRNO(write(fd, "x", 1), EBADF);
	char buf[8];
	EXPECT_EQ(read(fd, buf, sizeof buf), 3);
}

TEST(fcntl, setfl_append_takes_effect)
{
	int fd = open_file();
	EXPECT_EQ(fcntl(fd, F_SETFL, O_APPEND), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(write(fd, "d", 1), 1);
	char buf[8];
	EXPECT_EQ(h_read_file("f", buf, sizeof buf), 4);
	EXPECT_STREQ(buf, "abcd");
}

TEST(fcntl, status_flags_shared_fd_flags_not)
{
	int fd = open_file();
	int fd2 = EXPECT_OK(dup(fd));
	EXPECT_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	EXPECT_EQ(fcntl(fd2, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	EXPECT_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	EXPECT_EQ(fcntl(fd2, F_GETFD), 0);
	/* A separate open() is a separate description. */
	int other = EXPECT_OK(open("f", O_RDWR));
	EXPECT_EQ(fcntl(other, F_GETFL) & O_NONBLOCK, 0);
}

TEST(fcntl, dupfd_min)
{
	int fd = open_file();
	EXPECT_EQ(fcntl(fd, F_DUPFD, 10), 10);
	EXPECT_EQ(fcntl(fd, F_DUPFD, 10), 11);
	EXPECT_EQ(fcntl(fd, F_DUPFD, 0), fd + 1);
	EXPECT_EQ(fcntl(10, F_GETFD), 0);
	/* The duplicate shares the offset. */
	EXPECT_EQ(lseek(fd, 2, SEEK_SET), 2);
	EXPECT_EQ(lseek(10, 0, SEEK_CUR), 2);
	EXPECT_EQ(fcntl(fd, F_DUPFD_CLOEXEC, 20), 20);
	EXPECT_EQ(fcntl(20, F_GETFD), FD_CLOEXEC);
	/* F_DUPFD clears FD_CLOEXEC on the copy. */
	EXPECT_EQ(fcntl(20, F_DUPFD, 30), 30);
	EXPECT_EQ(fcntl(30, F_GETFD), 0);
}

TEST(fcntl, dupfd_limits)
{
	int fd = open_file();
	struct rlimit rl;
	EXPECT_OK(getrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_ERRNO(fcntl(fd, F_DUPFD, (int)rl.rlim_cur), EINVAL);
	EXPECT_ERRNO(fcntl(fd, F_DUPFD, -1), EINVAL);
	EXPECT_ERRNO(fcntl(fd, F_DUPFD, INT_MAX), EINVAL);
	EXPECT_ERRNO(fcntl(fd, F_DUPFD_CLOEXEC, -5), EINVAL);
	EXPECT_EQ(fcntl(fd, F_DUPFD, (int)rl.rlim_cur - 1), (long)rl.rlim_cur - 1);
	EXPECT_OK(close((int)rl.rlim_cur - 1));
}

TEST(fcntl, ebadf)
{
	EXPECT_ERRNO(fcntl(-1, F_GETFD), EBADF);
	EXPECT_ERRNO(fcntl(-1, F_GETFL), EBADF);
	EXPECT_ERRNO(fcntl(-1, F_SETFD, 0), EBADF);
	EXPECT_ERRNO(fcntl(-1, F_DUPFD, 0), EBADF);
	int fd = open_file();
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(fcntl(fd, F_GETFD), EBADF);
	EXPECT_ERRNO(fcntl(fd, F_SETFL, O_APPEND), EBADF);
	EXPECT_ERRNO(fcntl(fd, F_DUPFD, 0), EBADF);
}

TEST(fcntl, bad_cmd_einval)
{
	int fd = open_file();
	EXPECT_ERRNO(syscall(SYS_fcntl, fd, 9999, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_fcntl, fd, -1, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_fcntl, fd, 0x7fffffff, 0), EINVAL);
}

TEST(fcntl, o_path_fd)
{
	h_tmpdir();
	h_write_file("f", "abc");
	int fd = EXPECT_OK(open("f", O_PATH | O_RDWR | O_APPEND | O_TRUNC));
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	EXPECT_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	/* O_PATH drops every other flag, even the forced O_LARGEFILE. */
	EXPECT_EQX(fcntl(fd, F_GETFL), O_PATH);
	EXPECT_ERRNO(fcntl(fd, F_SETFL, O_NONBLOCK), EBADF);
	int d = EXPECT_OK(fcntl(fd, F_DUPFD, 0));
	EXPECT_EQX(fcntl(d, F_GETFL), O_PATH);
	char c;
	EXPECT_ERRNO(read(fd, &c, 1), EBADF);
}
