/*
 * Suite pio: pread64(2) and pwrite64(2).
 *
 * Guards Linux's fs/read_write.c ksys_pread64/ksys_pwrite64: the file
 * position is neither used nor changed, a negative offset is EINVAL, a file
 * without FMODE_PREAD/FMODE_PWRITE (a tty, opened with nonseekable_open) gives
 * ESPIPE, reading past EOF returns 0, writing past EOF leaves a hole of zeros,
 * and, as pwrite(2) BUGS documents, on Linux a file opened with O_APPEND
 * makes pwrite append whatever the offset.
 */
#include "harness.h"

#include <sys/stat.h>

static int make_file(const char *name, const char *content)
{
	h_write_file(name, content);
	return EXPECT_OK(open(name, O_RDWR));
}

TEST(pio, pread_keeps_offset)
{
	h_tmpdir();
	int fd = make_file("f", "0123456789");
	EXPECT_EQ(lseek(fd, 2, SEEK_SET), 2);
	char buf[8] = {0};
	EXPECT_EQ(pread(fd, buf, 3, 5), 3);
	EXPECT_MEMEQ(buf, "567", 3);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2);
	EXPECT_EQ(pread(fd, buf, 8, 8), 2);
	EXPECT_MEMEQ(buf, "89", 2);
}

TEST(pio, pwrite_keeps_offset)
{
	h_tmpdir();
	int fd = make_file("f", "0123456789");
	EXPECT_EQ(pwrite(fd, "abc", 3, 4), 3);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	char buf[32];
	EXPECT_EQ(h_read_file("f", buf, sizeof buf), 10);
	EXPECT_STREQ(buf, "0123abc789");
}

TEST(pio, pread_past_eof)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	char buf[8];
	EXPECT_EQ(pread(fd, buf, 8, 3), 0);
	EXPECT_EQ(pread(fd, buf, 8, 1000000), 0);
}

TEST(pio, pwrite_past_eof_leaves_hole)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	EXPECT_EQ(pwrite(fd, "xyz", 3, 10000), 3);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 10003);
	static char buf[10003];
	memset(buf, 0x55, sizeof buf);
	EXPECT_EQ(pread(fd, buf, sizeof buf, 0), 10003);
	EXPECT_MEMEQ(buf, "abc", 3);
	for (int i = 3; i < 10000; i++)
		if (buf[i] != 0)
			FAIL("byte %d of the hole is %d, expected 0", i, buf[i]);
	EXPECT_MEMEQ(buf + 10000, "xyz", 3);
}

TEST(pio, negative_offset_einval)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	char buf[4];
	EXPECT_ERRNO(pread(fd, buf, 1, -1), EINVAL);
	EXPECT_ERRNO(pwrite(fd, "x", 1, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pread64, fd, buf, 1, (long)-4096), EINVAL);
}

TEST(pio, ebadf)
{
	h_tmpdir();
	char buf[4];
	EXPECT_ERRNO(pread(-1, buf, 1, 0), EBADF);
	EXPECT_ERRNO(pwrite(-1, "x", 1, 0), EBADF);
	int fd = make_file("f", "abc");
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(pread(fd, buf, 1, 0), EBADF);
	fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(pwrite(fd, "x", 1, 0), EBADF);
	int wfd = EXPECT_OK(open("f", O_WRONLY));
	EXPECT_ERRNO(pread(wfd, buf, 1, 0), EBADF);
}

TEST(pio, efault)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	EXPECT_ERRNO(pread(fd, H_BAD_PTR, 2, 0), EFAULT);
	EXPECT_ERRNO(pwrite(fd, H_BAD_PTR, 2, 0), EFAULT);
}

TEST(pio, directory_eisdir)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	char buf[4];
	EXPECT_ERRNO(pread(fd, buf, sizeof buf, 0), EISDIR);
}

TEST(pio, tty_espipe)
{
	int fd = h_console_fd();
	char buf[4];
	EXPECT_ERRNO(pread(fd, buf, 1, 0), ESPIPE);
	EXPECT_ERRNO(pwrite(fd, "", 0, 0), ESPIPE);
}

TEST(pio, pwrite_o_append_appends)
{
	h_tmpdir();
	h_write_file("f", "abc");
	int fd = EXPECT_OK(open("f", O_RDWR | O_APPEND));
	EXPECT_EQ(pwrite(fd, "XY", 2, 0), 2);
	char buf[16];
	EXPECT_EQ(h_read_file("f", buf, sizeof buf), 5);
	EXPECT_STREQ(buf, "abcXY");
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
}

TEST(pio, zero_length)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	EXPECT_EQ(pread(fd, NULL, 0, 0), 0);
	EXPECT_EQ(pwrite(fd, NULL, 0, 100), 0);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 3);
}
