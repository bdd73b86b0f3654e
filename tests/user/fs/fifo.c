/*
 * Suite fifo: named pipes made with mkfifo/mknod, opened through the VFS.
 *
 * Guards Linux 6.1's fs/pipe.c fifo_open: one pipe per inode while any file
 * has it open (its data goes when the last one closes); an open for reading
 * waits for a writer, and for writing waits for a reader, unless O_NONBLOCK
 * (a non-blocking read open succeeds at once, a non-blocking write open with
 * no reader is ENXIO); O_RDWR never waits; an open interrupted by a signal
 * fails with EINTR (no SA_RESTART) and leaves no reader behind; access mode 3
 * is EINVAL.  pipe_read: end of file when no writer is left; pipe_poll: a
 * reader opened with no writer sees no POLLHUP until a writer has come and
 * gone (f_version); pipe_write: EPIPE and SIGPIPE with no reader, and the
 * FIFO's mtime/ctime change (file_update_time), a read its atime.  fstat of
 * an open FIFO shows its node; F_GETPIPE_SZ works on it.
 */
#include "harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>

#ifndef F_GETPIPE_SZ
#define F_GETPIPE_SZ 1032
#endif

static short revents(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	if (poll(&p, 1, 0) < 0)
		FAIL("poll: %s", h_errname(errno));
	return p.revents;
}

TEST(fifo, nonblocking_opens)
{
	h_tmpdir();
	EXPECT_OK(mkfifo("f", 0644));
	/* No reader: a non-blocking write open is ENXIO. */
	EXPECT_ERRNO(open("f", O_WRONLY | O_NONBLOCK), ENXIO);
	/* A non-blocking read open succeeds; with no writer it reads EOF. */
	int r = EXPECT_OK(open("f", O_RDONLY | O_NONBLOCK));
	char buf[16];
	EXPECT_EQ(read(r, buf, sizeof buf), 0);
	/* No POLLHUP before a writer has come and gone. */
	EXPECT_EQ(revents(r, POLLIN), 0);
	int w = EXPECT_OK(open("f", O_WRONLY | O_NONBLOCK));
	EXPECT_EQ(revents(w, POLLOUT), POLLOUT);
	EXPECT_ERRNO(read(r, buf, sizeof buf), EAGAIN);
	EXPECT_EQ(write(w, "abc", 3), 3);
	EXPECT_EQ(revents(r, POLLIN), POLLIN);
	EXPECT_EQ(read(r, buf, sizeof buf), 3);
	EXPECT_MEMEQ(buf, "abc", 3);
	EXPECT_OK(close(w));
	EXPECT_EQ(revents(r, POLLIN), POLLHUP);
	EXPECT_EQ(read(r, buf, sizeof buf), 0);
	/* A write open succeeds again while the reader is there. */
	w = EXPECT_OK(open("f", O_WRONLY | O_NONBLOCK));
	EXPECT_EQ(revents(r, POLLIN), 0);
	EXPECT_OK(close(r));
	EXPECT_EQ(revents(w, POLLOUT), POLLOUT | POLLERR);
}

TEST(fifo, rdwr_never_waits)
{
	h_tmpdir();
	EXPECT_OK(mkfifo("f", 0600));
	int fd = EXPECT_OK(open("f", O_RDWR));
	EXPECT_EQ(write(fd, "xy", 2), 2);
	char buf[8];
	EXPECT_EQ(read(fd, buf, sizeof buf), 2);
	EXPECT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	/* It is its own writer: an empty read is EAGAIN, not EOF. */
	EXPECT_ERRNO(read(fd, buf, sizeof buf), EAGAIN);
	/* ...and its own reader: a write open does not wait. */
	int w = EXPECT_OK(open("f", O_WRONLY));
	int r = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(write(w, "z", 1), 1);
	EXPECT_EQ(read(r, buf, 1), 1);
	EXPECT_EQ(buf[0], 'z');
	EXPECT_EQ(fcntl(fd, F_GETPIPE_SZ), 65536);
	EXPECT_EQ(fcntl(r, F_GETPIPE_SZ), 65536);
}

TEST(fifo, one_pipe_per_inode)
{
	h_tmpdir();
	EXPECT_OK(mkfifo("f", 0600));
	EXPECT_OK(mkfifo("g", 0600));
	EXPECT_OK(link("f", "f2"));
	int a = EXPECT_OK(open("f", O_RDWR | O_NONBLOCK));
	int b = EXPECT_OK(open("f2", O_RDONLY | O_NONBLOCK));
	int c = EXPECT_OK(open("g", O_RDWR | O_NONBLOCK));
	EXPECT_EQ(write(a, "shared", 6), 6);
	char buf[16];
	EXPECT_ERRNO(read(c, buf, sizeof buf), EAGAIN);
	EXPECT_EQ(read(b, buf, sizeof buf), 6);
	EXPECT_MEMEQ(buf, "shared", 6);
	/* The data goes with the last open file. */
	EXPECT_EQ(write(a, "lost", 4), 4);
	EXPECT_OK(close(a));
	EXPECT_OK(close(b));
	a = EXPECT_OK(open("f", O_RDWR | O_NONBLOCK));
	EXPECT_ERRNO(read(a, buf, sizeof buf), EAGAIN);
	/* But stays while one file is open. */
	EXPECT_EQ(write(a, "kept", 4), 4);
	b = EXPECT_OK(open("f", O_RDONLY | O_NONBLOCK));
	EXPECT_OK(close(a));
	EXPECT_EQ(read(b, buf, sizeof buf), 4);
	EXPECT_MEMEQ(buf, "kept", 4);
}

TEST(fifo, blocking_opens_meet)
{
	h_tmpdir();
	EXPECT_OK(mkfifo("f", 0600));
	/* The writer's open waits for our reader, ours waits for it. */
	pid_t pid = h_fork();
	if (pid == 0) {
		int w = open("f", O_WRONLY);
		if (w < 0 || write(w, "hello", 5) != 5)
			h_exit(1);
		h_exit(0);
	}
	int r = EXPECT_OK(open("f", O_RDONLY));
	char buf[16];
	EXPECT_EQ(read(r, buf, 5), 5);
	EXPECT_MEMEQ(buf, "hello", 5);
	EXPECT_EQ(read(r, buf, sizeof buf), 0);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_OK(close(r));
	/* The other way round. */
	pid = h_fork();
	if (pid == 0) {
		int rr = open("f", O_RDONLY);
		char b[8];
		if (rr < 0 || read(rr, b, 8) != 3 || memcmp(b, "bye", 3) != 0)
			h_exit(1);
		h_exit(0);
	}
	int w = EXPECT_OK(open("f", O_WRONLY));
	EXPECT_EQ(write(w, "bye", 3), 3);
	EXPECT_OK(close(w));
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

TEST(fifo, open_interrupted_by_signal)
{
	h_tmpdir();
	EXPECT_OK(mkfifo("f", 0600));
	struct sigaction sa = {.sa_handler = on_alarm};
	EXPECT_OK(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = {{0, 20000}, {0, 20000}};
	EXPECT_OK(setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_ERRNO(open("f", O_RDONLY), EINTR);
	EXPECT_ERRNO(open("f", O_WRONLY), EINTR);
	struct itimerval off = {{0, 0}, {0, 0}};
	EXPECT_OK(setitimer(ITIMER_REAL, &off, NULL));
	EXPECT_GE(alarms, 2);
	/* The interrupted read open left no reader behind. */
	EXPECT_ERRNO(open("f", O_WRONLY | O_NONBLOCK), ENXIO);
}

TEST(fifo, epipe_and_sigpipe)
{
	h_tmpdir();
	EXPECT_OK(mkfifo("f", 0600));
	signal(SIGPIPE, SIG_IGN);
	int r = EXPECT_OK(open("f", O_RDONLY | O_NONBLOCK));
	int w = EXPECT_OK(open("f", O_WRONLY | O_NONBLOCK));
	EXPECT_OK(close(r));
	EXPECT_ERRNO(write(w, "x", 1), EPIPE);
	/* Fill it: EAGAIN once full. */
	r = EXPECT_OK(open("f", O_RDONLY | O_NONBLOCK));
	static char big[70000];
	EXPECT_EQ(write(w, big, sizeof big), 65536);
	EXPECT_ERRNO(write(w, big, 1), EAGAIN);
	EXPECT_EQ(revents(w, POLLOUT), 0);
}

TEST(fifo, access_mode_3_einval)
{
	h_tmpdir();
	EXPECT_OK(mkfifo("f", 0600));
	EXPECT_ERRNO(open("f", 3 | O_NONBLOCK), EINVAL);
	EXPECT_ERRNO(open("f", 3), EINVAL);
	/* O_PATH opens without touching the pipe. */
	int fd = EXPECT_OK(open("f", O_PATH));
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(open("f", O_WRONLY | O_NONBLOCK), ENXIO);
}

TEST(fifo, fstat_and_times)
{
	h_tmpdir();
	EXPECT_OK(mkfifo("f", 0640));
	struct stat st, fst;
	EXPECT_OK(stat("f", &st));
	int fd = EXPECT_OK(open("f", O_RDWR | O_NONBLOCK));
	EXPECT_OK(fstat(fd, &fst));
	EXPECT_TRUE(S_ISFIFO(fst.st_mode));
	EXPECT_MODE(fst.st_mode & 07777, 0640);
	EXPECT_EQ(fst.st_ino, st.st_ino);
	EXPECT_EQ(fst.st_dev, st.st_dev);
	EXPECT_EQ(fst.st_size, 0);
	/* A write changes the FIFO's mtime and ctime, a read its atime. */
	struct timespec zero[2] = {{0, 0}, {0, 0}};
	EXPECT_OK(utimensat(AT_FDCWD, "f", zero, 0));
	EXPECT_EQ(write(fd, "t", 1), 1);
	EXPECT_OK(stat("f", &st));
	EXPECT_NE(st.st_mtime, 0);
	EXPECT_EQ(st.st_atime, 0);
	char c;
	EXPECT_EQ(read(fd, &c, 1), 1);
	EXPECT_OK(stat("f", &st));
	EXPECT_NE(st.st_atime, 0);
	EXPECT_OK(fstat(fd, &fst));
	EXPECT_EQ(fst.st_size, 0);
	/* lseek on a FIFO is ESPIPE. */
	EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), ESPIPE);
}
