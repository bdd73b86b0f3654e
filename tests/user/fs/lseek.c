/*
 * Suite lseek: lseek(2).
 *
 * Guards Linux's fs/read_write.c (generic_file_llseek_size, vfs_setpos,
 * no_llseek) and mm/shmem.c's SEEK_DATA/SEEK_HOLE: SEEK_SET/CUR/END, seeking
 * past the end is allowed and a later write leaves a hole that reads as
 * zeros, a resulting negative offset or an unknown whence is EINVAL, a tty is
 * ESPIPE, SEEK_DATA at or past EOF is ENXIO, /dev/null always seeks to 0
 * (drivers/char/mem.c null_lseek).  Man page lseek(2).
 */
#include "harness.h"

#include <sys/stat.h>

#ifndef SEEK_DATA
#define SEEK_DATA 3
#endif
#ifndef SEEK_HOLE
#define SEEK_HOLE 4
#endif

static int make_file(const char *name, const char *content)
{
	h_write_file(name, content);
	return EXPECT_OK(open(name, O_RDWR));
}

TEST(lseek, set_cur_end)
{
	h_tmpdir();
	int fd = make_file("f", "0123456789");
	EXPECT_EQ(lseek(fd, 4, SEEK_SET), 4);
	char c;
	EXPECT_EQ(read(fd, &c, 1), 1);
	EXPECT_EQ(c, '4');
	EXPECT_EQ(lseek(fd, 2, SEEK_CUR), 7);
	EXPECT_EQ(lseek(fd, -3, SEEK_CUR), 4);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 4);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 10);
	EXPECT_EQ(lseek(fd, -1, SEEK_END), 9);
	EXPECT_EQ(read(fd, &c, 1), 1);
	EXPECT_EQ(c, '9');
}

TEST(lseek, past_end_then_write_makes_hole)
{
	h_tmpdir();
	int fd = make_file("f", "ab");
	EXPECT_EQ(lseek(fd, 5000, SEEK_SET), 5000);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 2);
	char c;
	EXPECT_EQ(read(fd, &c, 1), 0);
	EXPECT_EQ(write(fd, "z", 1), 1);
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 5001);
	EXPECT_EQ(lseek(fd, 2, SEEK_SET), 2);
	static char buf[4998];
	memset(buf, 0x55, sizeof buf);
	EXPECT_EQ(read(fd, buf, sizeof buf), 4998);
	for (size_t i = 0; i < sizeof buf; i++)
		if (buf[i])
			FAIL("hole byte %zu is %d, expected 0", i, buf[i]);
	EXPECT_EQ(read(fd, &c, 1), 1);
	EXPECT_EQ(c, 'z');
}

TEST(lseek, negative_result_einval)
{
	h_tmpdir();
	int fd = make_file("f", "0123456789");
	EXPECT_EQ(lseek(fd, 3, SEEK_SET), 3);
	EXPECT_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek(fd, -4, SEEK_CUR), EINVAL);
	EXPECT_ERRNO(lseek(fd, -11, SEEK_END), EINVAL);
	/* The failed calls did not move the offset. */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 3);
	EXPECT_EQ(lseek(fd, -10, SEEK_END), 0);
}

TEST(lseek, bad_whence_einval)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	EXPECT_ERRNO(lseek(fd, 0, 5), EINVAL);
	EXPECT_ERRNO(lseek(fd, 0, 100), EINVAL);
	EXPECT_ERRNO(lseek(fd, 0, -1), EINVAL);
}

TEST(lseek, ebadf)
{
	EXPECT_ERRNO(lseek(-1, 0, SEEK_SET), EBADF);
	EXPECT_ERRNO(lseek(1000, 0, SEEK_SET), EBADF);
	h_tmpdir();
	int fd = make_file("f", "abc");
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
}

TEST(lseek, tty_espipe)
{
	int fd = h_console_fd();
	EXPECT_ERRNO(lseek(fd, 0, SEEK_CUR), ESPIPE);
	EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), ESPIPE);
}

TEST(lseek, directory_rewind)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
}

TEST(lseek, seek_data_hole)
{
	h_tmpdir();
	int fd = make_file("f", "0123456789");
	EXPECT_EQ(lseek(fd, 0, SEEK_DATA), 0);
	EXPECT_EQ(lseek(fd, 3, SEEK_DATA), 3);
	EXPECT_EQ(lseek(fd, 0, SEEK_HOLE), 10);
	EXPECT_ERRNO(lseek(fd, 10, SEEK_DATA), ENXIO);
	EXPECT_ERRNO(lseek(fd, 10, SEEK_HOLE), ENXIO);
	EXPECT_ERRNO(lseek(fd, -1, SEEK_DATA), ENXIO);
}

TEST(lseek, dev_null_always_zero)
{
	int fd = EXPECT_OK(open("/dev/null", O_RDWR));
	EXPECT_EQ(lseek(fd, 100, SEEK_SET), 0);
	EXPECT_EQ(lseek(fd, 5, SEEK_CUR), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 0);
	int z = EXPECT_OK(open("/dev/zero", O_RDONLY));
	EXPECT_EQ(lseek(z, 4096, SEEK_SET), 0);
}

TEST(lseek, offset_shared_by_dup)
{
	h_tmpdir();
	int fd = make_file("f", "0123456789");
	int fd2 = EXPECT_OK(dup(fd));
	EXPECT_EQ(lseek(fd, 6, SEEK_SET), 6);
	EXPECT_EQ(lseek(fd2, 0, SEEK_CUR), 6);
	int other = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(lseek(other, 0, SEEK_CUR), 0);
}
