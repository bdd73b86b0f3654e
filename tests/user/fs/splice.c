/*
 * Suite splice: splice(2), called as a raw syscall.
 *
 * Guards Linux 6.1's fs/splice.c (__do_sys_splice, __do_splice, do_splice,
 * splice_file_to_pipe, iter_file_splice_write, splice_pipe_to_pipe).  A
 * file into a pipe moves at most the pipe's free pages (the first taking the
 * rest of the input's page), advancing the input position or *off_in; a
 * pipe into a file writes what the pipe holds, up to the length, at the
 * output position or *off_out, returning once the pipe is empty after moving
 * something, 0 at the end of the data, EAGAIN when empty and non-blocking; a
 * pipe into a pipe moves buffers (a split buffer's moved part is never
 * merged into by later writes).  Errors: a length of 0 is 0 before anything
 * else; unknown flags EINVAL; EBADF for bad descriptors, O_PATH and access
 * modes; ESPIPE for an offset with a pipe end; EFAULT; EINVAL for no pipe,
 * one pipe at both ends, O_APPEND outputs, negative offsets, and files that
 * cannot be spliced; EPIPE with SIGPIPE without readers.  Man page splice(2).
 */
#include "harness.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#ifndef SPLICE_F_NONBLOCK
#define SPLICE_F_MOVE 1
#define SPLICE_F_NONBLOCK 2
#define SPLICE_F_MORE 4
#define SPLICE_F_GIFT 8
#endif

static long r_splice(int in, off_t *off_in, int out, off_t *off_out,
		     size_t len, unsigned flags)
{
	return syscall(SYS_splice, in, off_in, out, off_out, len, flags);
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

static void expect_pattern(const char *buf, size_t from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != 'a' + (from + i) % 26)
			FAIL("byte %zu: %d", i, buf[i]);
}

TEST(splice, file_to_pipe)
{
	h_tmpdir();
	int in = pattern_file("in", 200000);
	int p[2];
	EXPECT_OK(pipe(p));
	/* An empty 64 KiB pipe takes 16 pages. */
	EXPECT_EQ(r_splice(in, NULL, p[1], NULL, 100000, 0), 65536);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 65536);
	static char buf[70000];
	EXPECT_EQ(read(p[0], buf, sizeof buf), 65536);
	expect_pattern(buf, 0, 65536);
	/* With an offset: the position stays; the first page is the rest of
	 * the input's page. */
	off_t off = 100;
	EXPECT_EQ(r_splice(in, &off, p[1], NULL, 100000, SPLICE_F_MOVE), 65536 - 100);
	EXPECT_EQ(off, 65536);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 65536);
	EXPECT_EQ(read(p[0], buf, sizeof buf), 65536 - 100);
	expect_pattern(buf, 100, 65536 - 100);
	/* A short length is all that moves; at the input's end, 0. */
	EXPECT_EQ(r_splice(in, NULL, p[1], NULL, 10, 0), 10);
	EXPECT_EQ(read(p[0], buf, sizeof buf), 10);
	expect_pattern(buf, 65536, 10);
	off = 200000;
	EXPECT_EQ(r_splice(in, &off, p[1], NULL, 10, 0), 0);
	EXPECT_EQ(off, 200000);
	/* A full pipe: EAGAIN with SPLICE_F_NONBLOCK or an O_NONBLOCK end. */
	EXPECT_EQ(r_splice(in, NULL, p[1], NULL, 1 << 20, 0), 65536 - 10);
	EXPECT_ERRNO(r_splice(in, NULL, p[1], NULL, 1, SPLICE_F_NONBLOCK), EAGAIN);
	EXPECT_OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(r_splice(in, NULL, p[1], NULL, 1, 0), EAGAIN);
	/* No readers: EPIPE and SIGPIPE (checked before the room). */
	signal(SIGPIPE, SIG_IGN);
	close(p[0]);
	EXPECT_ERRNO(r_splice(in, NULL, p[1], NULL, 1, 0), EPIPE);
}

TEST(splice, pipe_to_file)
{
	h_tmpdir();
	int out = EXPECT_OK(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));
	int p[2];
	EXPECT_OK(pipe(p));
	static char buf[70000];
	for (int i = 0; i < 10000; i++)
		buf[i] = 'a' + i % 26;
	EXPECT_EQ(write(p[1], buf, 10000), 10000);
	/* What the pipe holds, though more was asked and the writer is open. */
	EXPECT_EQ(r_splice(p[0], NULL, out, NULL, 100000, 0), 10000);
	EXPECT_EQ(lseek(out, 0, SEEK_CUR), 10000);
	/* Part of it. */
	EXPECT_EQ(write(p[1], "0123456789", 10), 10);
	EXPECT_EQ(r_splice(p[0], NULL, out, NULL, 4, 0), 4);
	EXPECT_EQ(read(p[0], buf, 100), 6);
	EXPECT_EQ(memcmp(buf, "456789", 6), 0);
	/* At an offset: the position stays, the file grows. */
	EXPECT_EQ(write(p[1], "hello", 5), 5);
	off_t off = 20000;
	EXPECT_EQ(r_splice(p[0], NULL, out, &off, 100, 0), 5);
	EXPECT_EQ(off, 20005);
	EXPECT_EQ(lseek(out, 0, SEEK_CUR), 10004);
	struct stat st;
	EXPECT_OK(fstat(out, &st));
	EXPECT_EQ(st.st_size, 20005);
	EXPECT_EQ(pread(out, buf, 5, 20000), 5);
	EXPECT_EQ(memcmp(buf, "hello", 5), 0);
	EXPECT_EQ(pread(out, buf, 10004, 0), 10004);
	expect_pattern(buf, 0, 10000);
	EXPECT_EQ(memcmp(buf + 10000, "0123", 4), 0);
	/* Empty with a writer: EAGAIN when non-blocking. */
	EXPECT_ERRNO(r_splice(p[0], NULL, out, NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
	EXPECT_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(r_splice(p[0], NULL, out, NULL, 10, 0), EAGAIN);
	EXPECT_OK(fcntl(p[0], F_SETFL, 0));
	/* Empty without writers: 0. */
	close(p[1]);
	EXPECT_EQ(r_splice(p[0], NULL, out, NULL, 10, 0), 0);
	/* /dev/null takes it too. */
	EXPECT_OK(pipe(p));
	EXPECT_EQ(write(p[1], "gone", 4), 4);
	int null = EXPECT_OK(open("/dev/null", O_WRONLY));
	EXPECT_EQ(r_splice(p[0], NULL, null, NULL, 100, 0), 4);
}

TEST(splice, waits_for_data)
{
	int p[2];
	EXPECT_OK(pipe(p));
	h_tmpdir();
	int out = EXPECT_OK(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));
	pid_t child = h_fork();
	if (child == 0) {
		close(p[0]);
		usleep(100000);
		if (write(p[1], "late", 4) != 4)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	EXPECT_EQ(r_splice(p[0], NULL, out, NULL, 100, 0), 4);
	EXPECT_EQ(h_wait_exit(child), 0);
	EXPECT_EQ(r_splice(p[0], NULL, out, NULL, 100, 0), 0);
}

TEST(splice, pipe_to_pipe)
{
	int p[2], q[2];
	EXPECT_OK(pipe(p));
	EXPECT_OK(pipe(q));
	EXPECT_EQ(write(p[1], "hello world", 11), 11);
	EXPECT_EQ(r_splice(p[0], NULL, q[1], NULL, 5, 0), 5);
	char buf[100];
	EXPECT_EQ(read(q[0], buf, sizeof buf), 5);
	EXPECT_EQ(memcmp(buf, "hello", 5), 0);
	EXPECT_EQ(r_splice(p[0], NULL, q[1], NULL, 100, 0), 6);
	EXPECT_EQ(read(q[0], buf, sizeof buf), 6);
	EXPECT_EQ(memcmp(buf, " world", 6), 0);
	/* Several buffers. */
	static char big[3 * 4096];
	memset(big, 'x', sizeof big);
	EXPECT_EQ(write(p[1], big, sizeof big), (long)sizeof big);
	EXPECT_EQ(r_splice(p[0], NULL, q[1], NULL, 1 << 20, 0), (long)sizeof big);
	static char back[4 * 4096];
	EXPECT_EQ(read(q[0], back, sizeof back), (long)sizeof big);
	EXPECT_EQ(memcmp(back, big, sizeof big), 0);
	/* Empty input: EAGAIN when either end is non-blocking. */
	EXPECT_ERRNO(r_splice(p[0], NULL, q[1], NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
	EXPECT_OK(fcntl(q[1], F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(r_splice(p[0], NULL, q[1], NULL, 10, 0), EAGAIN);
	EXPECT_OK(fcntl(q[1], F_SETFL, 0));
	/* One pipe at both ends. */
	EXPECT_EQ(write(p[1], "x", 1), 1);
	EXPECT_ERRNO(r_splice(p[0], NULL, p[1], NULL, 10, 0), EINVAL);
	/* The output without readers: EPIPE and SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	close(q[0]);
	EXPECT_ERRNO(r_splice(p[0], NULL, q[1], NULL, 10, 0), EPIPE);
	/* The input without writers and empty: 0. */
	EXPECT_OK(pipe(q));
	EXPECT_EQ(read(p[0], buf, sizeof buf), 1);
	close(p[1]);
	EXPECT_EQ(r_splice(p[0], NULL, q[1], NULL, 10, 0), 0);
}

TEST(splice, split_buffer_is_not_merged)
{
	/* q holds one page: a write of one byte fits only if it merges into
	 * the buffer already there. */
	int p[2], q[2];
	EXPECT_OK(pipe(p));
	EXPECT_OK(pipe2(q, O_NONBLOCK));
	EXPECT_EQ(fcntl(q[1], F_SETPIPE_SZ, 4096), 4096);
	/* Plain writes merge. */
	EXPECT_EQ(write(q[1], "a", 1), 1);
	EXPECT_EQ(write(q[1], "b", 1), 1);
	char buf[100];
	EXPECT_EQ(read(q[0], buf, sizeof buf), 2);
	/* Part of a buffer moved by splice does not. */
	EXPECT_EQ(write(p[1], "abc", 3), 3);
	EXPECT_EQ(r_splice(p[0], NULL, q[1], NULL, 1, 0), 1);
	EXPECT_ERRNO(write(q[1], "x", 1), EAGAIN);
	EXPECT_EQ(read(q[0], buf, sizeof buf), 1);
	EXPECT_EQ(buf[0], 'a');
	/* A page spliced from a file does not either. */
	h_tmpdir();
	int in = pattern_file("in", 100);
	EXPECT_EQ(r_splice(in, NULL, q[1], NULL, 10, 0), 10);
	EXPECT_ERRNO(write(q[1], "x", 1), EAGAIN);
}

TEST(splice, errors)
{
	h_tmpdir();
	int in = pattern_file("in", 100);
	int out = EXPECT_OK(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));
	int p[2];
	EXPECT_OK(pipe(p));
	/* A length of 0 is 0 before anything is looked at. */
	EXPECT_EQ(r_splice(-1, NULL, -1, NULL, 0, 0xffff), 0);
	EXPECT_ERRNO(r_splice(in, NULL, p[1], NULL, 1, 0x10), EINVAL);
	EXPECT_ERRNO(r_splice(-1, NULL, p[1], NULL, 1, 0), EBADF);
	EXPECT_ERRNO(r_splice(in, NULL, -1, NULL, 1, 0), EBADF);
	int path = EXPECT_OK(open("in", O_PATH));
	EXPECT_ERRNO(r_splice(path, NULL, p[1], NULL, 1, 0), EBADF);
	/* Neither end a pipe. */
	EXPECT_ERRNO(r_splice(in, NULL, out, NULL, 1, 0), EINVAL);
	/* Offsets with pipe ends: ESPIPE, before the offsets are read. */
	off_t off = 0;
	EXPECT_ERRNO(r_splice(p[0], &off, out, NULL, 1, 0), ESPIPE);
	EXPECT_ERRNO(r_splice(in, NULL, p[1], &off, 1, 0), ESPIPE);
	EXPECT_ERRNO(r_splice(in, H_BAD_PTR, p[1], NULL, 1, 0), EFAULT);
	EXPECT_EQ(write(p[1], "data", 4), 4);
	EXPECT_ERRNO(r_splice(p[0], NULL, out, H_BAD_PTR, 1, 0), EFAULT);
	/* Access modes: a write end as input, a read-only file as output. */
	int ro = EXPECT_OK(open("out", O_RDONLY));
	EXPECT_ERRNO(r_splice(p[0], NULL, ro, NULL, 1, 0), EBADF);
	EXPECT_ERRNO(r_splice(p[1], NULL, out, NULL, 1, 0), EBADF);
	int wo = EXPECT_OK(open("in", O_WRONLY));
	EXPECT_ERRNO(r_splice(wo, NULL, p[1], NULL, 1, 0), EBADF);
	/* O_APPEND output, negative offsets, a length negative as ssize_t. */
	int app = EXPECT_OK(open("out", O_WRONLY | O_APPEND));
	EXPECT_ERRNO(r_splice(p[0], NULL, app, NULL, 1, 0), EINVAL);
	off = -1;
	EXPECT_ERRNO(r_splice(p[0], NULL, out, &off, 1, 0), EINVAL);
	EXPECT_ERRNO(r_splice(in, &off, p[1], NULL, 1, 0), EINVAL);
	EXPECT_EQ(off, -1);
	EXPECT_ERRNO(r_splice(p[0], NULL, out, NULL, (size_t)-1, 0), EINVAL);
	/* Files that cannot be spliced: an eventfd out, a directory in. */
	int efd = EXPECT_OK(eventfd(0, 0));
	EXPECT_ERRNO(r_splice(p[0], NULL, efd, NULL, 1, 0), EINVAL);
	int dir = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_ERRNO(r_splice(dir, NULL, p[1], NULL, 1, 0), EINVAL);
	/* The data is all still there. */
	char buf[10];
	EXPECT_EQ(read(p[0], buf, sizeof buf), 4);
	EXPECT_EQ(memcmp(buf, "data", 4), 0);
}
