/*
 * Suite sendfile: sendfile(2) and copy_file_range(2), called as raw
 * syscalls.
 *
 * Guards Linux 6.1's fs/read_write.c (do_sendfile, copy_file_range,
 * generic_copy_file_checks) and fs/splice.c (splice_file_to_pipe,
 * do_splice_direct).  sendfile: file to file copies until the count or the
 * input's end, advancing the input position (or *offset, leaving the
 * position) and the output position; into a pipe it moves at most what the
 * pipe's free slots hold (the first slot taking the rest of the input's
 * page), EAGAIN when a non-blocking pipe is full, EPIPE with SIGPIPE without
 * readers; errors EBADF (input not readable, output not writable, O_PATH),
 * ESPIPE (offset with a pipe as input), EINVAL (O_APPEND output, an input
 * or output without splice support, negative offset), EFAULT.  copy_file_range: copies between regular files
 * of one filesystem, cut at the input's end; flags must be 0; EISDIR,
 * EINVAL for other kinds of file and overlapping ranges of one file, EBADF
 * for access modes and O_APPEND, EOVERFLOW for a negative offset with a
 * length.  Man pages sendfile(2), copy_file_range(2).
 */
#include "harness.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#ifndef SYS_copy_file_range
#define SYS_copy_file_range 326
#endif

static long r_sendfile(int out, int in, off_t *offset, size_t count)
{
	return syscall(SYS_sendfile, out, in, offset, count);
}

static long r_copy(int in, off_t *in_off, int out, off_t *out_off, size_t len,
		   unsigned flags)
{
	return syscall(SYS_copy_file_range, in, in_off, out, out_off, len, flags);
}

/* A file of n bytes, byte i = 'a' + i % 26. */
static int pattern_file(const char *path, size_t n)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		FAIL("open(%s): %s", path, h_errname(errno));
	char buf[4096];
	for (size_t done = 0; done < n;) {
		size_t chunk = n - done < sizeof buf ? n - done : sizeof buf;
		for (size_t i = 0; i < chunk; i++)
			buf[i] = 'a' + (done + i) % 26;
		if (write(fd, buf, chunk) != (ssize_t)chunk)
			FAIL("write: %s", h_errname(errno));
		done += chunk;
	}
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Checks that fd holds the pattern from pattern offset `from`, n bytes at
 * file offset `at`. */
static void expect_pattern(int fd, off_t at, size_t from, size_t n)
{
	static char buf[70000];
	EXPECT_EQ(pread(fd, buf, n, at), (long)n);
	for (size_t i = 0; i < n; i++)
		if (buf[i] != 'a' + (from + i) % 26)
			FAIL("byte %zu at %lld: %d", i, (long long)at, buf[i]);
}

TEST(sendfile, file_to_file)
{
	h_tmpdir();
	int in = pattern_file("in", 10000);
	int out = EXPECT_OK(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(lseek(in, 100, SEEK_SET), 100);
	EXPECT_EQ(lseek(out, 5, SEEK_SET), 5);
	EXPECT_EQ(r_sendfile(out, in, NULL, 5000), 5000);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 5100);
	EXPECT_EQ(lseek(out, 0, SEEK_CUR), 5005);
	expect_pattern(out, 5, 100, 5000);
	/* Past the input's end: short, then 0. */
	EXPECT_EQ(r_sendfile(out, in, NULL, 100000), 4900);
	EXPECT_EQ(r_sendfile(out, in, NULL, 100000), 0);
	EXPECT_EQ(lseek(out, 0, SEEK_CUR), 9905);
	/* A count of 0. */
	EXPECT_EQ(r_sendfile(out, in, NULL, 0), 0);
}

TEST(sendfile, with_offset)
{
	h_tmpdir();
	int in = pattern_file("in", 10000);
	int out = EXPECT_OK(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));
	off_t off = 1000;
	EXPECT_EQ(r_sendfile(out, in, &off, 3000), 3000);
	EXPECT_EQ(off, 4000);
	/* The input position did not move. */
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 0);
	expect_pattern(out, 0, 1000, 3000);
	off = 9990;
	EXPECT_EQ(r_sendfile(out, in, &off, 3000), 10);
	EXPECT_EQ(off, 10000);
	off = 20000;
	EXPECT_EQ(r_sendfile(out, in, &off, 10), 0);
	EXPECT_EQ(off, 20000);
	/* Errors leave *offset alone. */
	off = -1;
	EXPECT_ERRNO(r_sendfile(out, in, &off, 10), EINVAL);
	EXPECT_EQ(off, -1);
	EXPECT_ERRNO(r_sendfile(out, in, H_BAD_PTR, 10), EFAULT);
}

TEST(sendfile, into_a_pipe)
{
	h_tmpdir();
	int in = pattern_file("in", 200000);
	int p[2];
	EXPECT_OK(pipe(p));
	/* An empty 64 KiB pipe takes 16 pages in one call. */
	EXPECT_EQ(r_sendfile(p[1], in, NULL, 100000), 65536);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 65536);
	static char buf[70000];
	EXPECT_EQ(read(p[0], buf, sizeof buf), 65536);
	for (int i = 0; i < 65536; i++)
		if (buf[i] != 'a' + i % 26)
			FAIL("byte %d: %d", i, buf[i]);
	/* From the middle of a page: the first slot takes the rest of it. */
	off_t off = 100;
	EXPECT_EQ(r_sendfile(p[1], in, &off, 100000), 65536 - 100);
	EXPECT_EQ(off, 65536);
	EXPECT_EQ(read(p[0], buf, sizeof buf), 65536 - 100);
	/* A small count is all that moves. */
	EXPECT_EQ(r_sendfile(p[1], in, NULL, 10), 10);
	EXPECT_EQ(read(p[0], buf, sizeof buf), 10);
	/* A full non-blocking pipe: EAGAIN (the position is now 65546, 10
	 * bytes into a page). */
	EXPECT_OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
	EXPECT_EQ(r_sendfile(p[1], in, NULL, 100000), 65536 - 10);
	EXPECT_ERRNO(r_sendfile(p[1], in, NULL, 1), EAGAIN);
	/* No readers: EPIPE and SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	close(p[0]);
	EXPECT_ERRNO(r_sendfile(p[1], in, NULL, 1), EPIPE);
}

TEST(sendfile, outputs_and_inputs)
{
	h_tmpdir();
	int in = pattern_file("in", 5000);
	int null = EXPECT_OK(open("/dev/null", O_WRONLY));
	EXPECT_EQ(r_sendfile(null, in, NULL, 100000), 5000);
	/* /dev/urandom splices into a pipe and into a file (6.1 does not yet
	 * insist on a regular input). */
	int urandom = EXPECT_OK(open("/dev/urandom", O_RDONLY));
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_EQ(r_sendfile(p[1], urandom, NULL, 100), 100);
	int out = EXPECT_OK(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(r_sendfile(out, urandom, NULL, 100), 100);
	EXPECT_EQ(lseek(out, 0, SEEK_CUR), 100);
	/* A count of 0 looks at neither file's splice support. */
	int efd0 = EXPECT_OK(eventfd(0, 0));
	EXPECT_EQ(r_sendfile(efd0, in, NULL, 0), 0);
	/* /dev/zero has no splice support in 6.1: an output that cannot be
	 * spliced to fails once there is something to write (the input is read
	 * first). */
	int zero = EXPECT_OK(open("/dev/zero", O_RDWR));
	EXPECT_EQ(r_sendfile(zero, in, NULL, 10), 0);
	off_t start = 0;
	EXPECT_ERRNO(r_sendfile(zero, in, &start, 10), EINVAL);
	EXPECT_EQ(start, 0);
	EXPECT_ERRNO(r_sendfile(out, zero, NULL, 10), EINVAL);
	/* A pipe is no input. */
	EXPECT_ERRNO(r_sendfile(out, p[0], NULL, 10), EINVAL);
	off_t off = 0;
	EXPECT_ERRNO(r_sendfile(out, p[0], &off, 10), ESPIPE);
	/* Nor is a directory. */
	int dir = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_ERRNO(r_sendfile(out, dir, NULL, 10), EINVAL);
	/* Nor an eventfd an output. */
	int efd = EXPECT_OK(eventfd(0, 0));
	start = 0;
	EXPECT_ERRNO(r_sendfile(efd, in, &start, 10), EINVAL);
}

TEST(sendfile, errors)
{
	h_tmpdir();
	int in = pattern_file("in", 100);
	int out = EXPECT_OK(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));
	int wo = EXPECT_OK(open("in", O_WRONLY));
	int ro = EXPECT_OK(open("out", O_RDONLY));
	int path = EXPECT_OK(open("in", O_PATH));
	int app = EXPECT_OK(open("out", O_WRONLY | O_APPEND));
	EXPECT_ERRNO(r_sendfile(out, wo, NULL, 10), EBADF);
	EXPECT_ERRNO(r_sendfile(ro, in, NULL, 10), EBADF);
	EXPECT_ERRNO(r_sendfile(out, path, NULL, 10), EBADF);
	EXPECT_ERRNO(r_sendfile(out, -1, NULL, 10), EBADF);
	EXPECT_ERRNO(r_sendfile(-1, in, NULL, 10), EBADF);
	/* The input is checked first. */
	EXPECT_ERRNO(r_sendfile(-1, -1, NULL, 10), EBADF);
	EXPECT_ERRNO(r_sendfile(app, in, NULL, 10), EINVAL);
	/* A count negative as ssize_t. */
	EXPECT_ERRNO(r_sendfile(out, in, NULL, (size_t)-1), EINVAL);
	/* Nothing moved. */
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 0);
}

TEST(sendfile, copy_file_range_basic)
{
	h_tmpdir();
	int in = pattern_file("in", 20000);
	int out = EXPECT_OK(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(lseek(in, 10, SEEK_SET), 10);
	EXPECT_EQ(r_copy(in, NULL, out, NULL, 5000, 0), 5000);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 5010);
	EXPECT_EQ(lseek(out, 0, SEEK_CUR), 5000);
	expect_pattern(out, 0, 10, 5000);
	/* With offsets: the positions stay. */
	off_t in_off = 19000, out_off = 100000;
	EXPECT_EQ(r_copy(in, &in_off, out, &out_off, 5000, 0), 1000);
	EXPECT_EQ(in_off, 20000);
	EXPECT_EQ(out_off, 101000);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 5010);
	struct stat st;
	EXPECT_OK(fstat(out, &st));
	EXPECT_EQ(st.st_size, 101000);
	expect_pattern(out, 100000, 19000, 1000);
	/* At or past the input's end: 0, offsets untouched. */
	EXPECT_EQ(r_copy(in, &in_off, out, &out_off, 10, 0), 0);
	EXPECT_EQ(in_off, 20000);
	/* One file, ranges apart: fine; overlapping: EINVAL. */
	in_off = 0;
	out_off = 10000;
	EXPECT_EQ(r_copy(in, &in_off, in, &out_off, 100, 0), 100);
	expect_pattern(in, 10000, 0, 100);
	in_off = 0;
	out_off = 50;
	EXPECT_ERRNO(r_copy(in, &in_off, in, &out_off, 100, 0), EINVAL);
	/* Overlap is judged after cutting at the end. */
	in_off = 19990;
	out_off = 20000;
	EXPECT_EQ(r_copy(in, &in_off, in, &out_off, 100, 0), 10);
}

TEST(sendfile, copy_file_range_errors)
{
	h_tmpdir();
	int in = pattern_file("in", 100);
	int out = EXPECT_OK(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));
	int wo = EXPECT_OK(open("in", O_WRONLY));
	int ro = EXPECT_OK(open("out", O_RDONLY));
	int app = EXPECT_OK(open("out", O_WRONLY | O_APPEND));
	int path = EXPECT_OK(open("in", O_PATH));
	int dir = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	int null = EXPECT_OK(open("/dev/null", O_RDWR));
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_ERRNO(r_copy(-1, NULL, out, NULL, 10, 0), EBADF);
	EXPECT_ERRNO(r_copy(in, NULL, -1, NULL, 10, 0), EBADF);
	EXPECT_ERRNO(r_copy(path, NULL, out, NULL, 10, 0), EBADF);
	/* Offsets are read before the flags are checked. */
	EXPECT_ERRNO(r_copy(in, H_BAD_PTR, out, NULL, 10, 1), EFAULT);
	EXPECT_ERRNO(r_copy(in, NULL, out, NULL, 10, 1), EINVAL);
	EXPECT_ERRNO(r_copy(dir, NULL, out, NULL, 10, 0), EISDIR);
	EXPECT_ERRNO(r_copy(in, NULL, dir, NULL, 10, 0), EISDIR);
	EXPECT_ERRNO(r_copy(in, NULL, null, NULL, 10, 0), EINVAL);
	EXPECT_ERRNO(r_copy(p[0], NULL, out, NULL, 10, 0), EINVAL);
	EXPECT_ERRNO(r_copy(in, NULL, p[1], NULL, 10, 0), EINVAL);
	EXPECT_ERRNO(r_copy(wo, NULL, out, NULL, 10, 0), EBADF);
	EXPECT_ERRNO(r_copy(in, NULL, ro, NULL, 10, 0), EBADF);
	EXPECT_ERRNO(r_copy(in, NULL, app, NULL, 10, 0), EBADF);
	/* A negative offset: EOVERFLOW with a length, EINVAL without. */
	off_t neg = -1;
	EXPECT_ERRNO(r_copy(in, &neg, out, NULL, 10, 0), EOVERFLOW);
	EXPECT_ERRNO(r_copy(in, &neg, out, NULL, 0, 0), EINVAL);
	EXPECT_ERRNO(r_copy(in, NULL, out, &neg, 10, 0), EOVERFLOW);
	/* An output offset at the largest file size. */
	off_t big = 0x7fffffffffffffffLL;
	EXPECT_ERRNO(r_copy(in, NULL, out, &big, 10, 0), EFBIG);
	/* A zero length copies nothing. */
	EXPECT_EQ(r_copy(in, NULL, out, NULL, 0, 0), 0);
}
