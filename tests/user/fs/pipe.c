/*
 * Suite pipe: pipe(2), pipe2(2) and the file operations on pipes.
 *
 * Guards Linux's fs/pipe.c: do_pipe2/__do_pipe_flags (flags other than
 * O_CLOEXEC, O_NONBLOCK, O_DIRECT (and O_NOTIFICATION_PIPE) are EINVAL; the
 * fds are installed only after copy_to_user succeeds, so EFAULT leaks none;
 * f_flags are exactly O_RDONLY / O_WRONLY plus O_NONBLOCK/O_DIRECT),
 * pipe_read/pipe_write (EOF once every writer is gone, EAGAIN when empty or
 * full with O_NONBLOCK, writes of at most PIPE_BUF=4096 bytes are atomic,
 * EPIPE plus SIGPIPE once every reader is gone, zero-length transfers return 0
 * before any other check, O_DIRECT packets), pipe_set_size/round_pipe_size
 * (F_GETPIPE_SZ 65536 by default, F_SETPIPE_SZ rounds up to a power-of-two
 * number of pages, EBUSY when the content does not fit, EBADF on non-pipes),
 * pipe_ioctl FIONREAD, fs/read_write.c (lseek/pread are ESPIPE on a pipe),
 * fs/fcntl.c setfl/F_DUPFD_CLOEXEC (status flags live in the shared file
 * description) and fs/file.c close_range.  Man pages pipe(2), pipe(7),
 * fcntl(2), close_range(2).
 *
 * Children are forked and always reaped before the test returns; they report
 * through their exit status (they never call the harness checks).
 */
#include "harness.h"
#include "child.h"

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#endif
#ifndef F_GETPIPE_SZ
#define F_GETPIPE_SZ 1032
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef O_DIRECT
#define O_DIRECT 040000
#endif

/* In a child: report a failed check on stderr and exit 1. */

/* Back to the pristine disposition (SIG_DFL, no flags, empty mask), as the
 * raw syscall sees it: libc's signal()/sigaction() would leave SA_RESTORER,
 * SA_RESTART or a mask behind. */
static void sig_default(int sig)
{
	struct k_sigaction dfl = {SIG_DFL, 0, NULL, 0};
	syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
}

/* Waits for pid; returns its wait status, or -1 if waitpid failed. */

static int is_fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void set_nonblock(int fd)
{
	int fl = EXPECT_OK(fcntl(fd, F_GETFL));
	EXPECT_OK(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
}

/* Fills a non-blocking write end; returns the number of bytes it took. */
static long fill(int wfd)
{
	static char buf[4096];
	long total = 0;
	for (;;) {
		ssize_t n = write(wfd, buf, sizeof buf);
		if (n < 0) {
			if (errno != EAGAIN)
				FAIL("fill: write: %s", h_errname(errno));
			return total;
		}
		total += n;
		if (total > (64L << 20))
			FAIL("fill: the pipe never filled");
	}
}

TEST(pipe, basic_transfer)
{
	int p[2] = {-1, -1};
	EXPECT_EQ(pipe(p), 0);
	EXPECT_GE(p[0], 3);
	EXPECT_GE(p[1], 3);
	EXPECT_NE(p[0], p[1]);
	EXPECT_EQ(write(p[1], "hello", 5), 5);
	EXPECT_EQ(write(p[1], " world", 6), 6);
	char buf[32] = {0};
	/* Writes coalesce into one byte stream. */
	EXPECT_EQ(read(p[0], buf, sizeof buf), 11);
	EXPECT_MEMEQ(buf, "hello world", 11);
}

TEST(pipe, lowest_fds)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(p[0], 3);
	EXPECT_EQ(p[1], 4);
	EXPECT_OK(close(3));
	int q[2];
	EXPECT_EQ(pipe(q), 0);
	EXPECT_EQ(q[0], 3);
	EXPECT_EQ(q[1], 5);
}

TEST(pipe, partial_reads_keep_order)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(write(p[1], "abcdefgh", 8), 8);
	char buf[8];
	EXPECT_EQ(read(p[0], buf, 3), 3);
	EXPECT_MEMEQ(buf, "abc", 3);
	EXPECT_EQ(read(p[0], buf, 2), 2);
	EXPECT_MEMEQ(buf, "de", 2);
	EXPECT_EQ(ioctl(p[0], FIONREAD, &(int){0}), 0);
	EXPECT_EQ(read(p[0], buf, 8), 3);
	EXPECT_MEMEQ(buf, "fgh", 3);
}

TEST(pipe, readv_writev)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	struct iovec w[2] = {{"abc", 3}, {"defg", 4}};
	EXPECT_EQ(writev(p[1], w, 2), 7);
	char a[2], b[10];
	struct iovec r[2] = {{a, 2}, {b, 10}};
	EXPECT_EQ(readv(p[0], r, 2), 7);
	EXPECT_MEMEQ(a, "ab", 2);
	EXPECT_MEMEQ(b, "cdefg", 5);
}

TEST(pipe, flags_of_the_ends)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	/* No O_LARGEFILE on pipes: exactly the access mode. */
	EXPECT_EQX(fcntl(p[0], F_GETFL), O_RDONLY);
	EXPECT_EQX(fcntl(p[1], F_GETFL), O_WRONLY);
	EXPECT_EQ(fcntl(p[0], F_GETFD), 0);
	EXPECT_EQ(fcntl(p[1], F_GETFD), 0);
}

TEST(pipe, pipe2_cloexec)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
	EXPECT_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	EXPECT_EQX(fcntl(p[0], F_GETFL), O_RDONLY);
}

TEST(pipe, pipe2_nonblock)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_NONBLOCK), 0);
	EXPECT_EQX(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	EXPECT_EQX(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK);
	EXPECT_EQ(fcntl(p[0], F_GETFD), 0);
	char c;
	EXPECT_ERRNO(read(p[0], &c, 1), EAGAIN);
}

TEST(pipe, pipe2_bad_flags)
{
	int p[2] = {-1, -1};
	EXPECT_ERRNO(syscall(SYS_pipe2, p, O_APPEND), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pipe2, p, O_RDWR), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pipe2, p, O_WRONLY), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pipe2, p, O_TRUNC), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pipe2, p, 0x80000000), EINVAL);
	EXPECT_EQ(p[0], -1);
	EXPECT_TRUE(!is_fd_open(3));
}

TEST(pipe, efault_leaks_no_fds)
{
	EXPECT_ERRNO(syscall(SYS_pipe, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_pipe, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_pipe2, H_KERNEL_PTR, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_pipe2, NULL, O_CLOEXEC), EFAULT);
	EXPECT_TRUE(!is_fd_open(3));
	EXPECT_TRUE(!is_fd_open(4));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(p[0], 3);
}

TEST(pipe, emfile)
{
	struct rlimit rl;
	EXPECT_OK(getrlimit(RLIMIT_NOFILE, &rl));
	/* fds 0-2 open, only fd 3 allowed: a pipe needs two. */
	struct rlimit small = {4, rl.rlim_max};
	EXPECT_OK(setrlimit(RLIMIT_NOFILE, &small));
	int p[2] = {-1, -1};
	errno = 0;
	long r = syscall(SYS_pipe2, p, 0);
	int e = errno;
	EXPECT_OK(setrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_EQ(r, -1);
	EXPECT_EQ(e, EMFILE);
	EXPECT_TRUE(!is_fd_open(3));
}

TEST(pipe, wrong_direction_ebadf)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	char c = 'x';
	EXPECT_ERRNO(write(p[0], &c, 1), EBADF);
	EXPECT_ERRNO(read(p[1], &c, 1), EBADF);
}

TEST(pipe, eof_when_all_writers_closed)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	int w2 = EXPECT_OK(dup(p[1]));
	EXPECT_EQ(write(p[1], "x", 1), 1);
	EXPECT_OK(close(p[1]));
	char buf[4];
	EXPECT_EQ(read(p[0], buf, 4), 1);
	/* A writer is left: no EOF, and with O_NONBLOCK EAGAIN. */
	set_nonblock(p[0]);
	EXPECT_ERRNO(read(p[0], buf, 4), EAGAIN);
	EXPECT_OK(close(w2));
	EXPECT_EQ(read(p[0], buf, 4), 0);
	EXPECT_EQ(read(p[0], buf, 4), 0);
}

TEST(pipe, data_survives_writer_close)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(write(p[1], "tail", 4), 4);
	EXPECT_OK(close(p[1]));
	char buf[8];
	EXPECT_EQ(read(p[0], buf, 2), 2);
	EXPECT_EQ(read(p[0], buf, 8), 2);
	EXPECT_MEMEQ(buf, "il", 2);
	EXPECT_EQ(read(p[0], buf, 8), 0);
}

TEST(pipe, zero_length_transfers)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_NONBLOCK), 0);
	/* Zero-length reads and writes return 0 before any other check. */
	EXPECT_EQ(read(p[0], NULL, 0), 0);
	EXPECT_EQ(write(p[1], NULL, 0), 0);
	EXPECT_OK(close(p[0]));
	/* Even with no reader left: no EPIPE, no SIGPIPE. */
	EXPECT_EQ(write(p[1], "", 0), 0);
}

TEST(pipe, default_capacity_65536)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_NONBLOCK), 0);
	EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536);
	EXPECT_EQ(fcntl(p[1], F_GETPIPE_SZ), 65536);
	EXPECT_EQ(fill(p[1]), 65536);
	int n = -1;
	EXPECT_OK(ioctl(p[0], FIONREAD, &n));
	EXPECT_EQ(n, 65536);
	EXPECT_ERRNO(write(p[1], "x", 1), EAGAIN);
	/* Reading one page frees room for one page. */
	static char buf[4096];
	EXPECT_EQ(read(p[0], buf, 4096), 4096);
	EXPECT_EQ(write(p[1], buf, 4096), 4096);
	EXPECT_ERRNO(write(p[1], buf, 1), EAGAIN);
}

TEST(pipe, nonblocking_big_write_is_partial)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_NONBLOCK), 0);
	static char buf[100000];
	memset(buf, 'q', sizeof buf);
	/* More than PIPE_BUF: as much as fits is written. */
	EXPECT_EQ(write(p[1], buf, sizeof buf), 65536);
	EXPECT_ERRNO(write(p[1], buf, sizeof buf), EAGAIN);
}

TEST(pipe, nonblocking_small_write_is_atomic)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_NONBLOCK), 0);
	static char buf[4096];
	/* 15 full pages and 100 bytes in the 16th. */
	for (int i = 0; i < 15; i++)
		EXPECT_EQ(write(p[1], buf, 4096), 4096);
	EXPECT_EQ(write(p[1], buf, 100), 100);
	/* 3996 bytes fit in the last page, 4000 do not: a write of at most
	 * PIPE_BUF bytes is all or nothing. */
	EXPECT_ERRNO(write(p[1], buf, 4000), EAGAIN);
	EXPECT_EQ(write(p[1], buf, 3996), 3996);
	EXPECT_ERRNO(write(p[1], buf, 1), EAGAIN);
}

TEST(pipe, fionread)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	int n = -1;
	EXPECT_OK(ioctl(p[0], FIONREAD, &n));
	EXPECT_EQ(n, 0);
	EXPECT_EQ(write(p[1], "0123456789", 10), 10);
	EXPECT_OK(ioctl(p[0], FIONREAD, &n));
	EXPECT_EQ(n, 10);
	/* Also on the write end (same pipe). */
	n = -1;
	EXPECT_OK(ioctl(p[1], FIONREAD, &n));
	EXPECT_EQ(n, 10);
	char buf[3];
	EXPECT_EQ(read(p[0], buf, 3), 3);
	EXPECT_OK(ioctl(p[0], FIONREAD, &n));
	EXPECT_EQ(n, 7);
	EXPECT_ERRNO(ioctl(p[0], FIONREAD, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(ioctl(p[0], TCGETS, &(char[64]){0}), ENOTTY);
}

TEST(pipe, fstat)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(write(p[1], "abc", 3), 3);
	struct stat a, b;
	EXPECT_OK(fstat(p[0], &a));
	EXPECT_OK(fstat(p[1], &b));
	EXPECT_TRUE(S_ISFIFO(a.st_mode));
	EXPECT_MODE(a.st_mode, S_IFIFO | 0600);
	EXPECT_EQ(a.st_blksize, 4096);
	EXPECT_EQ(a.st_size, 0);
	EXPECT_EQ(a.st_nlink, 1);
	EXPECT_EQ(a.st_uid, geteuid());
	EXPECT_EQ(a.st_gid, getegid());
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_dev, b.st_dev);
	int q[2];
	EXPECT_EQ(pipe(q), 0);
	struct stat c;
	EXPECT_OK(fstat(q[0], &c));
	EXPECT_NE(c.st_ino, a.st_ino);
}

TEST(pipe, espipe)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(write(p[1], "abc", 3), 3);
	char buf[4];
	EXPECT_ERRNO(lseek(p[0], 0, SEEK_SET), ESPIPE);
	EXPECT_ERRNO(lseek(p[0], 0, SEEK_CUR), ESPIPE);
	EXPECT_ERRNO(lseek(p[1], 0, SEEK_END), ESPIPE);
	EXPECT_ERRNO(pread(p[0], buf, 1, 0), ESPIPE);
	EXPECT_ERRNO(pwrite(p[1], buf, 1, 0), ESPIPE);
	struct iovec iov = {buf, 1};
	EXPECT_ERRNO(preadv(p[0], &iov, 1, 0), ESPIPE);
	/* Nothing was consumed. */
	EXPECT_EQ(read(p[0], buf, 4), 3);
}

TEST(pipe, read_efault_keeps_data)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(write(p[1], "abc", 3), 3);
	EXPECT_ERRNO(read(p[0], H_BAD_PTR, 3), EFAULT);
	EXPECT_ERRNO(write(p[1], H_BAD_PTR, 3), EFAULT);
	int n = -1;
	EXPECT_OK(ioctl(p[0], FIONREAD, &n));
	EXPECT_EQ(n, 3);
}

static void child_sigpipe(long wfd)
{
	/* Default action for SIGPIPE, which kills this (non-init) child. */
	sig_default(SIGPIPE);
	sigset_t s;
	sigemptyset(&s);
	sigprocmask(SIG_SETMASK, &s, NULL);
	write((int)wfd, "x", 1);
	_exit(3);
}

TEST(pipe, sigpipe_kills_writer)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_OK(close(p[0]));
	pid_t pid = spawn(child_sigpipe, p[1]);
	int st = reap(pid);
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGPIPE);
}

TEST(pipe, epipe_with_sigpipe_ignored)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_OK(close(p[0]));
	struct sigaction ign = {.sa_handler = SIG_IGN};
	EXPECT_OK(sigaction(SIGPIPE, &ign, NULL));
	errno = 0;
	long r = write(p[1], "x", 1);
	int e = errno;
	sig_default(SIGPIPE);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(e, EPIPE);
}

TEST(pipe, epipe_with_sigpipe_blocked_leaves_it_pending)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_OK(close(p[0]));
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	EXPECT_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	EXPECT_ERRNO(write(p[1], "x", 1), EPIPE);
	EXPECT_OK(sigpending(&pending));
	int is_pending = sigismember(&pending, SIGPIPE);
	/* Consume it so that unblocking delivers nothing. */
	struct timespec zero = {0, 0};
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int got = sigtimedwait(&set, &si, &zero);
	EXPECT_EQ(is_pending, 1);
	EXPECT_EQ(got, SIGPIPE);
	EXPECT_EQ(si.si_code, SI_USER);
	EXPECT_EQ(si.si_pid, getpid());
}

TEST(pipe, set_pipe_size_rounds)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 1), 4096);
	EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), 4096);
	EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 0), 4096);
	EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 4097), 8192);
	EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 5 * 4096), 8 * 4096);
	EXPECT_EQ(fcntl(p[0], F_SETPIPE_SZ, 65537), 131072);
	EXPECT_EQ(fcntl(p[1], F_GETPIPE_SZ), 131072);
	EXPECT_EQ(fcntl(p[0], F_SETPIPE_SZ, 1 << 20), 1 << 20);
	/* Above 2^31 nothing rounds: EINVAL. */
	EXPECT_ERRNO(syscall(SYS_fcntl, p[0], F_SETPIPE_SZ, (1UL << 31) + 1), EINVAL);
	/* 6.1 takes the whole unsigned long (6.18 truncates to unsigned int). */
	EXPECT_ERRNO(syscall(SYS_fcntl, p[0], F_SETPIPE_SZ, (1UL << 32) + 8192), EINVAL);
	EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), 1 << 20);
}

TEST(pipe, set_pipe_size_changes_capacity)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_NONBLOCK), 0);
	EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 8192), 8192);
	EXPECT_EQ(fill(p[1]), 8192);
	int q[2];
	EXPECT_EQ(pipe2(q, O_NONBLOCK), 0);
	EXPECT_EQ(fcntl(q[1], F_SETPIPE_SZ, 262144), 262144);
	EXPECT_EQ(fill(q[1]), 262144);
}

TEST(pipe, set_pipe_size_ebusy)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_NONBLOCK), 0);
	static char buf[3 * 4096];
	EXPECT_EQ(write(p[1], buf, sizeof buf), (long)sizeof buf);
	/* Three pages of content do not fit in one or two pages. */
	EXPECT_ERRNO(fcntl(p[1], F_SETPIPE_SZ, 4096), EBUSY);
	EXPECT_ERRNO(fcntl(p[1], F_SETPIPE_SZ, 8192), EBUSY);
	EXPECT_EQ(fcntl(p[1], F_GETPIPE_SZ), 65536);
	EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 16384), 16384);
	EXPECT_EQ(read(p[0], buf, sizeof buf), (long)sizeof buf);
	EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
}

TEST(pipe, pipe_size_on_non_pipe_ebadf)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT, 0644));
	EXPECT_ERRNO(fcntl(fd, F_GETPIPE_SZ), EBADF);
	EXPECT_ERRNO(fcntl(fd, F_SETPIPE_SZ, 4096), EBADF);
	int null = EXPECT_OK(open("/dev/null", O_RDWR));
	EXPECT_ERRNO(fcntl(null, F_GETPIPE_SZ), EBADF);
}

TEST(pipe, o_direct_packets)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_DIRECT | O_NONBLOCK), 0);
	/* Packet mode belongs to the write end: the read end's flags do not
	 * show O_DIRECT. */
	EXPECT_EQX(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	EXPECT_EQX(fcntl(p[1], F_GETFL), O_WRONLY | O_DIRECT | O_NONBLOCK);
	EXPECT_EQ(write(p[1], "abc", 3), 3);
	EXPECT_EQ(write(p[1], "defgh", 5), 5);
	char buf[64];
	/* Each write is one packet. */
	EXPECT_EQ(read(p[0], buf, sizeof buf), 3);
	EXPECT_MEMEQ(buf, "abc", 3);
	EXPECT_EQ(read(p[0], buf, sizeof buf), 5);
	EXPECT_MEMEQ(buf, "defgh", 5);
	EXPECT_ERRNO(read(p[0], buf, sizeof buf), EAGAIN);
}

TEST(pipe, o_direct_short_read_discards_rest)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_DIRECT | O_NONBLOCK), 0);
	EXPECT_EQ(write(p[1], "0123456789", 10), 10);
	EXPECT_EQ(write(p[1], "xy", 2), 2);
	char buf[64];
	EXPECT_EQ(read(p[0], buf, 4), 4);
	EXPECT_MEMEQ(buf, "0123", 4);
	/* The rest of the first packet is gone. */
	EXPECT_EQ(read(p[0], buf, sizeof buf), 2);
	EXPECT_MEMEQ(buf, "xy", 2);
}

TEST(pipe, o_direct_big_write_splits_into_pages)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_DIRECT | O_NONBLOCK), 0);
	static char buf[10000];
	EXPECT_EQ(write(p[1], buf, 10000), 10000);
	EXPECT_EQ(read(p[0], buf, sizeof buf), 4096);
	EXPECT_EQ(read(p[0], buf, sizeof buf), 4096);
	EXPECT_EQ(read(p[0], buf, sizeof buf), 10000 - 8192);
	/* In packet mode 16 writes fill the pipe, however small. */
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(write(p[1], "z", 1), 1);
	EXPECT_ERRNO(write(p[1], "z", 1), EAGAIN);
}

TEST(pipe, fcntl_setfl_o_direct)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	/* Packet mode can be switched on later too. */
	EXPECT_OK(fcntl(p[1], F_SETFL, O_DIRECT));
	EXPECT_EQX(fcntl(p[1], F_GETFL), O_WRONLY | O_DIRECT);
	EXPECT_EQ(write(p[1], "ab", 2), 2);
	EXPECT_EQ(write(p[1], "cd", 2), 2);
	char buf[8];
	EXPECT_EQ(read(p[0], buf, 8), 2);
}

static void child_write_after_delay(long wfd)
{
	sleep_ms(50);
	CHK(write((int)wfd, "wake", 4) == 4);
}

TEST(pipe, blocking_read_woken_by_other_process)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	pid_t pid = spawn(child_write_after_delay, p[1]);
	char buf[8] = {0};
	long n = read(p[0], buf, sizeof buf);
	int st = reap(pid);
	EXPECT_EQ(n, 4);
	EXPECT_MEMEQ(buf, "wake", 4);
	EXPECT_EQ(st, 0);
}

static void child_exit_after_delay(long unused)
{
	(void)unused;
	sleep_ms(50);
}

TEST(pipe, blocking_read_sees_eof_when_writer_exits)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	pid_t pid = spawn(child_exit_after_delay, 0);
	EXPECT_OK(close(p[1]));
	char c;
	long n = read(p[0], &c, 1);
	int st = reap(pid);
	EXPECT_EQ(n, 0);
	EXPECT_EQ(st, 0);
}

static void child_drain(long arg)
{
	static char buf[65536];
	int rfd = (int)(arg & 0xffff);
	close((int)(arg >> 16));
	sleep_ms(50);
	long total = 0;
	for (;;) {
		ssize_t n = read((int)rfd, buf, sizeof buf);
		CHK(n >= 0);
		if (n == 0)
			break;
		total += n;
	}
	CHK(total == 65536 + 10000);
}

TEST(pipe, blocking_write_woken_by_reader)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	pid_t pid = spawn(child_drain, p[0] | (p[1] << 16));
	EXPECT_OK(close(p[0]));
	static char buf[65536 + 10000];
	long n = write(p[1], buf, sizeof buf);
	close(p[1]);
	int st = reap(pid);
	EXPECT_EQ(n, (long)sizeof buf);
	EXPECT_EQ(st, 0);
}

#define ATOMIC_RECORDS 64

static void child_records(long arg)
{
	int wfd = (int)(arg & 0xffff);
	char tag = (char)(arg >> 16);
	static char rec[4096];
	memset(rec, tag, sizeof rec);
	for (int i = 0; i < ATOMIC_RECORDS; i++)
		CHK(write(wfd, rec, sizeof rec) == (ssize_t)sizeof rec);
}

TEST(pipe, pipe_buf_writes_are_atomic)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	pid_t a = spawn(child_records, p[1] | ('A' << 16));
	pid_t b = spawn(child_records, p[1] | ('B' << 16));
	close(p[1]);
	static char all[2 * ATOMIC_RECORDS * 4096 + 1];
	long total = 0, bad = -1;
	for (;;) {
		ssize_t n = read(p[0], all + total, sizeof all - total);
		if (n <= 0)
			break;
		total += n;
	}
	int sa = reap(a), sb = reap(b);
	EXPECT_EQ(sa, 0);
	EXPECT_EQ(sb, 0);
	EXPECT_EQ(total, 2 * ATOMIC_RECORDS * 4096);
	int count_a = 0;
	for (long r = 0; r < 2 * ATOMIC_RECORDS && bad < 0; r++) {
		char tag = all[r * 4096];
		if (tag == 'A')
			count_a++;
		for (long i = 1; i < 4096; i++)
			if (all[r * 4096 + i] != tag) {
				bad = r * 4096 + i;
				break;
			}
	}
	EXPECT_EQ(bad, -1);
	EXPECT_EQ(count_a, ATOMIC_RECORDS);
}

TEST(pipe, close_range_closes)
{
	int p[2], q[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(pipe(q), 0);
	EXPECT_EQ(q[1], 6);
	EXPECT_EQ(syscall(SYS_close_range, 4, 5, 0), 0);
	EXPECT_TRUE(is_fd_open(3));
	EXPECT_TRUE(!is_fd_open(4));
	EXPECT_TRUE(!is_fd_open(5));
	EXPECT_TRUE(is_fd_open(6));
	/* Up to ~0U: everything from 3 on. */
	EXPECT_EQ(syscall(SYS_close_range, 3, ~0U, 0), 0);
	EXPECT_TRUE(!is_fd_open(3));
	EXPECT_TRUE(!is_fd_open(6));
	EXPECT_TRUE(is_fd_open(0));
	/* Nothing open in the range is fine. */
	EXPECT_EQ(syscall(SYS_close_range, 100, 200, 0), 0);
	EXPECT_EQ(syscall(SYS_close_range, ~0U, ~0U, 0), 0);
}

TEST(pipe, close_range_cloexec)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(syscall(SYS_close_range, 3, 4, CLOSE_RANGE_CLOEXEC), 0);
	EXPECT_EQ(fcntl(3, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(4, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(0, F_GETFD), 0);
	EXPECT_EQ(syscall(SYS_close_range, 3, 3, CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE), 0);
	EXPECT_EQ(write(4, "x", 1), 1);
}

TEST(pipe, close_range_unshare_and_errors)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(syscall(SYS_close_range, 3, 3, CLOSE_RANGE_UNSHARE), 0);
	EXPECT_TRUE(!is_fd_open(3));
	EXPECT_TRUE(is_fd_open(4));
	EXPECT_ERRNO(syscall(SYS_close_range, 5, 4, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_close_range, 3, 4, 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_close_range, 3, 4, 8), EINVAL);
	EXPECT_TRUE(is_fd_open(4));
}

TEST(pipe, dupfd_cloexec)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	int d = EXPECT_OK(fcntl(p[1], F_DUPFD_CLOEXEC, 10));
	EXPECT_EQ(d, 10);
	EXPECT_EQ(fcntl(d, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(p[1], F_GETFD), 0);
	int d2 = EXPECT_OK(fcntl(p[1], F_DUPFD_CLOEXEC, 10));
	EXPECT_EQ(d2, 11);
	EXPECT_EQ(write(d, "a", 1), 1);
	EXPECT_EQ(write(d2, "b", 1), 1);
	char buf[2];
	EXPECT_EQ(read(p[0], buf, 2), 2);
	EXPECT_MEMEQ(buf, "ab", 2);
	EXPECT_ERRNO(fcntl(p[1], F_DUPFD_CLOEXEC, -1), EINVAL);
}

TEST(pipe, nonblock_shared_by_dups)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	int d = EXPECT_OK(dup(p[0]));
	set_nonblock(d);
	/* One open file description: the original fd is non-blocking too. */
	EXPECT_EQX(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	char c;
	EXPECT_ERRNO(read(p[0], &c, 1), EAGAIN);
	/* A second pipe() is a new description. */
	int q[2];
	EXPECT_EQ(pipe(q), 0);
	EXPECT_EQX(fcntl(q[0], F_GETFL), O_RDONLY);
}

TEST(pipe, setfl_keeps_access_mode)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_OK(fcntl(p[1], F_SETFL, O_RDONLY | O_APPEND));
	EXPECT_EQX(fcntl(p[1], F_GETFL), O_WRONLY | O_APPEND);
	EXPECT_OK(fcntl(p[0], F_SETFL, O_RDWR | O_CREAT | O_TRUNC | O_EXCL));
	EXPECT_EQX(fcntl(p[0], F_GETFL), O_RDONLY);
	char c;
	EXPECT_ERRNO(write(p[0], "x", 1), EBADF);
	/* O_APPEND changes nothing on a pipe. */
	EXPECT_EQ(write(p[1], "xy", 2), 2);
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(c, 'x');
	EXPECT_OK(fcntl(p[1], F_SETFL, 0));
	EXPECT_EQX(fcntl(p[1], F_GETFL), O_WRONLY);
}

TEST(pipe, poll_basic)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	struct pollfd fds[2] = {{p[0], POLLIN | POLLOUT, -1}, {p[1], POLLIN | POLLOUT, -1}};
	EXPECT_EQ(poll(fds, 2, 0), 1);
	EXPECT_EQ(fds[0].revents, 0);
	EXPECT_EQ(fds[1].revents, POLLOUT);
	EXPECT_EQ(write(p[1], "x", 1), 1);
	EXPECT_EQ(poll(fds, 2, 0), 2);
	EXPECT_EQ(fds[0].revents, POLLIN);
	EXPECT_EQ(fds[1].revents, POLLOUT);
}
