/*
 * Suite rw: read(2), write(2), readv(2), writev(2) on regular files.
 *
 * Guards Linux's fs/read_write.c: ksys_read/ksys_write (EBADF for fds not
 * open for that direction, EISDIR from reading a directory, EFAULT from a bad
 * buffer, zero-length transfers succeed even with a NULL buffer), the file
 * position advancing, O_APPEND, and lib/iov_iter.c's iovec import (iovcnt >
 * UIO_MAXIOV=1024 or negative -> EINVAL, an iov_len that is negative as
 * ssize_t -> EINVAL, a bad iovec array -> EFAULT, a short write when a later
 * iovec is unreadable).  Man pages read(2), write(2), readv(2).
 */
#include "harness.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>

static int make_file(const char *name, const char *content)
{
	h_write_file(name, content);
	return EXPECT_OK(open(name, O_RDWR));
}

TEST(rw, write_then_read)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT | O_EXCL, 0644));
	EXPECT_EQ(write(fd, "hello", 5), 5);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	char buf[16] = {0};
	EXPECT_EQ(read(fd, buf, sizeof buf), 5);
	EXPECT_MEMEQ(buf, "hello", 5);
	EXPECT_EQ(read(fd, buf, sizeof buf), 0);
	EXPECT_OK(close(fd));
}

TEST(rw, read_short_then_eof)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	char buf[10];
	EXPECT_EQ(read(fd, buf, 2), 2);
	EXPECT_MEMEQ(buf, "ab", 2);
	EXPECT_EQ(read(fd, buf, 10), 1);
	EXPECT_EQ(buf[0], 'c');
	EXPECT_EQ(read(fd, buf, 10), 0);
	EXPECT_EQ(read(fd, buf, 10), 0);
}

TEST(rw, zero_length_null_buffer)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	EXPECT_EQ(read(fd, NULL, 0), 0);
	EXPECT_EQ(write(fd, NULL, 0), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 3);
}

TEST(rw, read_efault)
{
	h_tmpdir();
	int fd = make_file("f", "abcdef");
	EXPECT_ERRNO(read(fd, H_BAD_PTR, 4), EFAULT);
	EXPECT_ERRNO(read(fd, H_KERNEL_PTR, 4), EFAULT);
	/* Nothing was consumed. */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
}

TEST(rw, write_efault)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT, 0644));
	EXPECT_ERRNO(write(fd, H_BAD_PTR, 4), EFAULT);
	EXPECT_ERRNO(write(fd, H_KERNEL_PTR, 4), EFAULT);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
}

TEST(rw, read_ebadf)
{
	h_tmpdir();
	char buf[4];
	EXPECT_ERRNO(read(-1, buf, 4), EBADF);
	int fd = make_file("f", "abcd");
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(read(fd, buf, 4), EBADF);
	fd = EXPECT_OK(open("f", O_WRONLY));
	EXPECT_ERRNO(read(fd, buf, 4), EBADF);
}

TEST(rw, write_ebadf)
{
	h_tmpdir();
	EXPECT_ERRNO(write(-1, "x", 1), EBADF);
	EXPECT_ERRNO(write(INT_MAX, "x", 1), EBADF);
	int fd = make_file("f", "abcd");
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(write(fd, "x", 1), EBADF);
	fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(write(fd, "x", 1), EBADF);
}

TEST(rw, read_directory_eisdir)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	int fd = EXPECT_OK(open("d", O_RDONLY));
	char buf[16];
	EXPECT_ERRNO(read(fd, buf, sizeof buf), EISDIR);
	EXPECT_ERRNO(open("d", O_WRONLY), EISDIR);
	EXPECT_ERRNO(open("d", O_RDWR), EISDIR);
}

TEST(rw, overwrite_in_middle)
{
	h_tmpdir();
	int fd = make_file("f", "0123456789");
	EXPECT_EQ(lseek(fd, 3, SEEK_SET), 3);
	EXPECT_EQ(write(fd, "abc", 3), 3);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 6);
	char buf[32];
	EXPECT_EQ(h_read_file("f", buf, sizeof buf), 10);
	EXPECT_STREQ(buf, "012abc6789");
}

TEST(rw, o_append_writes_at_end)
{
	h_tmpdir();
	h_write_file("f", "abc");
	int fd = EXPECT_OK(open("f", O_RDWR | O_APPEND));
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	EXPECT_EQ(write(fd, "de", 2), 2);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(write(fd, "f", 1), 1);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 6);
	char buf[16];
	EXPECT_EQ(h_read_file("f", buf, sizeof buf), 6);
	EXPECT_STREQ(buf, "abcdef");
}

TEST(rw, large_multi_page)
{
	h_tmpdir();
	enum { N = 100000 };
	static unsigned char in[N], out[N];
	for (int i = 0; i < N; i++)
		in[i] = (unsigned char)(i * 7 + i / 251);
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(write(fd, in, N), N);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	size_t got = 0;
	while (got < N) {
		ssize_t n = EXPECT_OK(read(fd, out + got, N - got));
		EXPECT_GT(n, 0);
		got += n;
	}
	EXPECT_MEMEQ(out, in, N);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, N);
}

TEST(rw, writev_readv_scatter_gather)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	struct iovec w[4] = {
		{(void *)"abc", 3},
		{NULL, 0},
		{(void *)"defgh", 5},
		{(void *)"i", 1},
	};
	EXPECT_EQ(writev(fd, w, 4), 9);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 9);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	char a[2], b[4], c[8];
	memset(c, 0, sizeof c);
	struct iovec r[3] = {{a, 2}, {b, 4}, {c, 8}};
	EXPECT_EQ(readv(fd, r, 3), 9);
	EXPECT_MEMEQ(a, "ab", 2);
	EXPECT_MEMEQ(b, "cdef", 4);
	EXPECT_MEMEQ(c, "ghi", 3);
	EXPECT_EQ(readv(fd, r, 3), 0);
}

TEST(rw, iovcnt_zero)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	struct iovec v = {NULL, 0};
	EXPECT_EQ(readv(fd, &v, 0), 0);
	EXPECT_EQ(writev(fd, &v, 0), 0);
	EXPECT_EQ(readv(fd, NULL, 0), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
}

TEST(rw, iovcnt_limits)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	static struct iovec v[1025];
	for (int i = 0; i < 1025; i++)
		v[i] = (struct iovec){NULL, 0};
	v[0] = (struct iovec){(void *)"x", 1};
	EXPECT_EQ(writev(fd, v, 1024), 1);
	EXPECT_ERRNO(writev(fd, v, 1025), EINVAL);
	EXPECT_ERRNO(readv(fd, v, 1025), EINVAL);
	EXPECT_ERRNO(writev(fd, v, (int)h_opaque_l(-1)), EINVAL);
	EXPECT_ERRNO(readv(fd, v, (int)h_opaque_l(-1)), EINVAL);
}

TEST(rw, iov_len_negative_einval)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	char buf[4];
	struct iovec v[2] = {{buf, 1}, {buf, (size_t)-1}};
	EXPECT_ERRNO(readv(fd, v, 2), EINVAL);
	EXPECT_ERRNO(writev(fd, v, 2), EINVAL);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
}

TEST(rw, iov_efault)
{
	h_tmpdir();
	int fd = make_file("f", "abc");
	EXPECT_ERRNO(readv(fd, H_BAD_PTR, 1), EFAULT);
	EXPECT_ERRNO(writev(fd, H_BAD_PTR, 1), EFAULT);
	struct iovec v = {H_BAD_PTR, 4};
	EXPECT_ERRNO(readv(fd, &v, 1), EFAULT);
	EXPECT_ERRNO(writev(fd, &v, 1), EFAULT);
}

TEST(rw, writev_short_when_later_iov_faults)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	struct iovec v[2] = {{(void *)"abcd", 4}, {H_BAD_PTR, 4}};
	EXPECT_EQ(writev(fd, v, 2), 4);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 4);
}

TEST(rw, iov_ebadf)
{
	char buf[4];
	struct iovec v = {buf, 4};
	EXPECT_ERRNO(readv(-1, &v, 1), EBADF);
	EXPECT_ERRNO(writev(-1, &v, 1), EBADF);
	EXPECT_ERRNO(readv(200, &v, 1), EBADF);
}
