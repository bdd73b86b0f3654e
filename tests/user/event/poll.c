/*
 * Suite poll: poll(2), ppoll(2), select(2) and pselect6(2).
 *
 * Guards Linux's fs/select.c: do_sys_poll (nfds above RLIMIT_NOFILE is
 * EINVAL, a bad array EFAULT, a closed fd gives POLLNVAL and counts, a
 * negative fd is skipped with revents 0, revents is the driver's mask filtered
 * by events|POLLERR|POLLHUP), poll_select_finish (select, pselect6 and ppoll
 * write the remaining time back; ppoll/pselect6 restore the signal mask after
 * EINTR), core_sys_select (negative nfds EINVAL, a set bit on a closed fd
 * EBADF, POLLIN_SET includes HUP/ERR and POLLOUT_SET includes ERR), and
 * fs/pipe.c pipe_poll (POLLHUP once the writers are gone, POLLERR on the
 * write end once the readers are gone).  Files without a poll method (regular
 * files, /dev/null) are always ready (DEFAULT_POLLMASK).  Man pages poll(2),
 * select(2), select_tut(2).
 */
#include "harness.h"
#include "child.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>

/* Back to the pristine disposition (SIG_DFL, no flags, empty mask), as the
 * raw syscall sees it: libc's signal()/sigaction() would leave SA_RESTORER,
 * SA_RESTART or a mask behind. */
static void sig_default(int sig)
{
	struct k_sigaction dfl = {SIG_DFL, 0, NULL, 0};
	syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
}

static long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

/* Installs on_usr1 for SIGUSR1 (no SA_RESTART), blocks SIGUSR1 and makes it
 * pending.  undo_usr1() restores SIG_DFL (the runner restores the mask). */
static void pending_usr1(void)
{
	got_usr1 = 0;
	struct sigaction sa = {.sa_handler = on_usr1};
	sigemptyset(&sa.sa_mask);
	EXPECT_OK(sigaction(SIGUSR1, &sa, NULL));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	EXPECT_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	EXPECT_OK(kill(getpid(), SIGUSR1));
}

static void undo_usr1(void)
{
	sig_default(SIGUSR1);
}

static int usr1_blocked(void)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, SIGUSR1);
}

TEST(poll, pipe_readiness)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	struct pollfd f[2] = {{p[0], POLLIN, -1}, {p[1], POLLOUT, -1}};
	EXPECT_EQ(poll(f, 2, 0), 1);
	EXPECT_EQ(f[0].revents, 0);
	EXPECT_EQ(f[1].revents, POLLOUT);
	EXPECT_EQ(write(p[1], "x", 1), 1);
	EXPECT_EQ(poll(f, 2, 0), 2);
	EXPECT_EQ(f[0].revents, POLLIN);
	/* Only what was asked for (plus ERR/HUP) is reported. */
	f[0].events = POLLIN | POLLRDNORM | POLLOUT;
	f[1].events = POLLIN | POLLOUT | POLLWRNORM;
	EXPECT_EQ(poll(f, 2, 0), 2);
	EXPECT_EQ(f[0].revents, POLLIN | POLLRDNORM);
	EXPECT_EQ(f[1].revents, POLLOUT | POLLWRNORM);
}

TEST(poll, full_pipe_not_writable)
{
	int p[2];
	EXPECT_EQ(pipe2(p, O_NONBLOCK), 0);
	static char buf[65536];
	EXPECT_EQ(write(p[1], buf, sizeof buf), 65536);
	struct pollfd f = {p[1], POLLOUT, -1};
	EXPECT_EQ(poll(&f, 1, 0), 0);
	EXPECT_EQ(f.revents, 0);
	EXPECT_EQ(read(p[0], buf, 4096), 4096);
	EXPECT_EQ(poll(&f, 1, 0), 1);
	EXPECT_EQ(f.revents, POLLOUT);
}

TEST(poll, pollhup_when_writer_closed)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(write(p[1], "x", 1), 1);
	EXPECT_OK(close(p[1]));
	struct pollfd f = {p[0], POLLIN, -1};
	EXPECT_EQ(poll(&f, 1, 0), 1);
	EXPECT_EQ(f.revents, POLLIN | POLLHUP);
	char c;
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(poll(&f, 1, 0), 1);
	EXPECT_EQ(f.revents, POLLHUP);
	/* HUP is reported even when not asked for. */
	f.events = 0;
	EXPECT_EQ(poll(&f, 1, 0), 1);
	EXPECT_EQ(f.revents, POLLHUP);
}

TEST(poll, pollerr_when_reader_closed)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_OK(close(p[0]));
	struct pollfd f = {p[1], POLLOUT, -1};
	EXPECT_EQ(poll(&f, 1, 0), 1);
	EXPECT_EQ(f.revents, POLLOUT | POLLERR);
	f.events = 0;
	EXPECT_EQ(poll(&f, 1, 0), 1);
	EXPECT_EQ(f.revents, POLLERR);
}

TEST(poll, pollnval_and_negative_fd)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	struct pollfd f[3] = {
		{100, POLLIN, -1},
		{-1, POLLIN, -1},
		{p[1], POLLOUT, -1},
	};
	EXPECT_EQ(poll(f, 3, 0), 2);
	EXPECT_EQ(f[0].revents, POLLNVAL);
	EXPECT_EQ(f[1].revents, 0);
	EXPECT_EQ(f[2].revents, POLLOUT);
	/* A negative fd is ignored whatever its value. */
	f[0].fd = -100;
	f[0].events = POLLIN | POLLOUT;
	EXPECT_EQ(poll(f, 1, 0), 0);
	EXPECT_EQ(f[0].revents, 0);
	/* POLLNVAL even with events 0. */
	f[0].fd = 100;
	f[0].events = 0;
	EXPECT_EQ(poll(f, 1, 0), 1);
	EXPECT_EQ(f[0].revents, POLLNVAL);
}

TEST(poll, same_fd_twice)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(write(p[1], "x", 1), 1);
	struct pollfd f[2] = {{p[0], POLLIN, -1}, {p[0], POLLOUT, -1}};
	EXPECT_EQ(poll(f, 2, 0), 1);
	EXPECT_EQ(f[0].revents, POLLIN);
	EXPECT_EQ(f[1].revents, 0);
}

TEST(poll, timeout_zero_and_positive)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	struct pollfd f = {p[0], POLLIN, -1};
	long long t0 = mono_ns();
	EXPECT_EQ(poll(&f, 1, 0), 0);
	t0 = mono_ns();
	EXPECT_EQ(poll(&f, 1, 50), 0);
	EXPECT_GE(mono_ns() - t0, 50000000LL);
	EXPECT_EQ(f.revents, 0);
	t0 = mono_ns();
	EXPECT_EQ(poll(NULL, 0, 30), 0);
	EXPECT_GE(mono_ns() - t0, 30000000LL);
}

static void child_write_late(long arg)
{
	int wfd = (int)(arg & 0xffff);
	close((int)(arg >> 16));
	sleep_ms(50);
	CHK(write(wfd, "w", 1) == 1);
}

TEST(poll, blocking_poll_woken_by_other_process)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	pid_t pid = spawn(child_write_late, p[1] | (p[0] << 16));
	struct pollfd f = {p[0], POLLIN, -1};
	int r = poll(&f, 1, -1);
	int st = reap(pid);
	EXPECT_EQ(r, 1);
	EXPECT_EQ(f.revents, POLLIN);
	EXPECT_EQ(st, 0);
}

TEST(poll, nfds_above_rlimit_einval)
{
	struct rlimit old, rl;
	EXPECT_OK(getrlimit(RLIMIT_NOFILE, &old));
	rl = old;
	rl.rlim_cur = 64;
	EXPECT_OK(setrlimit(RLIMIT_NOFILE, &rl));
	static struct pollfd f[65];
	for (int i = 0; i < 65; i++)
		f[i] = (struct pollfd){-1, POLLIN, 0};
	errno = 0;
	long big = syscall(SYS_poll, f, 65, 0);
	int e = errno;
	long ok = syscall(SYS_poll, f, 64, 0);
	long huge = syscall(SYS_poll, NULL, 1UL << 31, 0);
	int e2 = errno;
	setrlimit(RLIMIT_NOFILE, &old);
	EXPECT_EQ(big, -1);
	EXPECT_EQ(e, EINVAL);
	EXPECT_EQ(ok, 0);
	EXPECT_EQ(huge, -1);
	EXPECT_EQ(e2, EINVAL);
}

TEST(poll, efault)
{
	EXPECT_ERRNO(syscall(SYS_poll, H_BAD_PTR, 1, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_poll, H_KERNEL_PTR, 1, 0), EFAULT);
	/* nfds 0: the pointer is not touched. */
	EXPECT_EQ(syscall(SYS_poll, H_BAD_PTR, 0, 0), 0);
}

TEST(poll, always_ready_files)
{
	h_tmpdir();
	int file = EXPECT_OK(open("f", O_RDWR | O_CREAT, 0644));
	int null = EXPECT_OK(open("/dev/null", O_RDWR));
	int zero = EXPECT_OK(open("/dev/zero", O_RDONLY));
	short all = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	struct pollfd f[3] = {{file, all, 0}, {null, all, 0}, {zero, all, 0}};
	EXPECT_EQ(poll(f, 3, 0), 3);
	EXPECT_EQ(f[0].revents, all);
	EXPECT_EQ(f[1].revents, all);
	EXPECT_EQ(f[2].revents, all);
	f[0].events = POLLPRI;
	EXPECT_EQ(poll(f, 1, 0), 0);
}

TEST(poll, console_writable)
{
	int fd = h_console_fd();
	struct pollfd f = {fd, POLLOUT, 0};
	EXPECT_EQ(poll(&f, 1, 0), 1);
	EXPECT_EQ(f.revents, POLLOUT);
}

TEST(poll, ppoll_sigmask_eintr)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	pending_usr1();
	sigset_t empty;
	sigemptyset(&empty);
	struct pollfd f = {p[0], POLLIN, 0};
	struct timespec ts = {5, 0};
	errno = 0;
	long long t0 = mono_ns();
	int r = ppoll(&f, 1, &ts, &empty);
	int e = errno;
	long long dt = mono_ns() - t0;
	int blocked = usr1_blocked();
	undo_usr1();
	EXPECT_EQ(r, -1);
	EXPECT_EQ(e, EINTR);
	EXPECT_EQ(got_usr1, 1);
	EXPECT_LT(dt, 4000000000LL);
	/* The old mask is back after ppoll. */
	EXPECT_EQ(blocked, 1);
}

TEST(poll, ppoll_mask_keeps_signal_blocked)
{
	pending_usr1();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	struct timespec ts = {0, 20000000};
	/* The mask given to ppoll still blocks SIGUSR1: a plain timeout. */
	int r = ppoll(NULL, 0, &ts, &set);
	int handled = got_usr1;
	/* Consume the pending signal. */
	struct timespec zero = {0, 0};
	int got = sigtimedwait(&set, NULL, &zero);
	undo_usr1();
	EXPECT_EQ(r, 0);
	EXPECT_EQ(handled, 0);
	EXPECT_EQ(got, SIGUSR1);
}

TEST(poll, ppoll_raw_timeout_written_back)
{
	struct timespec ts = {0, 20000000};
	EXPECT_EQ(syscall(SYS_ppoll, NULL, 0, &ts, NULL, 8), 0);
	EXPECT_EQ(ts.tv_sec, 0);
	EXPECT_EQ(ts.tv_nsec, 0);
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	struct pollfd f = {p[1], POLLOUT, 0};
	ts = (struct timespec){100, 0};
	EXPECT_EQ(syscall(SYS_ppoll, &f, 1, &ts, NULL, 8), 1);
	EXPECT_LE(ts.tv_sec, 100);
	EXPECT_GE(ts.tv_sec, 90);
}

TEST(poll, ppoll_errors)
{
	struct timespec bad = {0, 1000000000L};
	EXPECT_ERRNO(syscall(SYS_ppoll, NULL, 0, &bad, NULL, 8), EINVAL);
	bad = (struct timespec){-1, 0};
	EXPECT_ERRNO(syscall(SYS_ppoll, NULL, 0, &bad, NULL, 8), EINVAL);
	uint64_t mask = 0;
	struct timespec zero = {0, 0};
	EXPECT_ERRNO(syscall(SYS_ppoll, NULL, 0, &zero, &mask, 4), EINVAL);
	EXPECT_ERRNO(syscall(SYS_ppoll, NULL, 0, &zero, &mask, 16), EINVAL);
	EXPECT_ERRNO(syscall(SYS_ppoll, NULL, 0, H_BAD_PTR, NULL, 8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_ppoll, NULL, 0, &zero, H_BAD_PTR, 8), EFAULT);
	EXPECT_EQ(syscall(SYS_ppoll, NULL, 0, &zero, NULL, 8), 0);
}

TEST(poll, select_bits)
{
	int p[2], q[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(pipe(q), 0);
	EXPECT_EQ(write(q[1], "x", 1), 1);
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(q[0], &r);
	FD_SET(p[1], &w);
	struct timeval tv = {0, 0};
	EXPECT_EQ(select(q[1] + 1, &r, &w, NULL, &tv), 2);
	EXPECT_TRUE(!FD_ISSET(p[0], &r));
	EXPECT_TRUE(FD_ISSET(q[0], &r));
	EXPECT_TRUE(FD_ISSET(p[1], &w));
	/* Same fd in both sets counts twice. */
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(0 + q[0], &r);
	FD_SET(q[1], &w);
	FD_SET(q[0], &w);
	tv = (struct timeval){0, 0};
	EXPECT_EQ(select(q[1] + 1, &r, &w, NULL, &tv), 2);
	EXPECT_TRUE(FD_ISSET(q[0], &r));
	EXPECT_TRUE(FD_ISSET(q[1], &w));
	EXPECT_TRUE(!FD_ISSET(q[0], &w));
}

TEST(poll, select_hup_is_readable_err_is_writable)
{
	int p[2], q[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(pipe2(q, O_NONBLOCK), 0);
	EXPECT_OK(close(p[1]));
	static char buf[65536];
	EXPECT_EQ(write(q[1], buf, sizeof buf), 65536);
	EXPECT_OK(close(q[0]));
	fd_set r, w, x;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(p[0], &r);
	FD_SET(q[1], &w);
	FD_SET(p[0], &x);
	FD_SET(q[1], &x);
	struct timeval tv = {0, 0};
	EXPECT_EQ(select(q[1] + 1, &r, &w, &x, &tv), 2);
	EXPECT_TRUE(FD_ISSET(p[0], &r));
	EXPECT_TRUE(FD_ISSET(q[1], &w));
	EXPECT_TRUE(!FD_ISSET(p[0], &x));
	EXPECT_TRUE(!FD_ISSET(q[1], &x));
}

TEST(poll, select_timeout_written_back)
{
	struct timeval tv = {0, 30000};
	long long t0 = mono_ns();
	EXPECT_EQ(syscall(SYS_select, 0, NULL, NULL, NULL, &tv), 0);
	EXPECT_GE(mono_ns() - t0, 30000000LL);
	EXPECT_EQ(tv.tv_sec, 0);
	EXPECT_EQ(tv.tv_usec, 0);
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	fd_set w;
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	tv = (struct timeval){100, 0};
	EXPECT_EQ(syscall(SYS_select, p[1] + 1, NULL, &w, NULL, &tv), 1);
	EXPECT_LE(tv.tv_sec, 100);
	EXPECT_GE(tv.tv_sec, 90);
}

TEST(poll, select_errors)
{
	fd_set r;
	FD_ZERO(&r);
	FD_SET(10, &r);
	struct timeval tv = {0, 0};
	EXPECT_ERRNO(syscall(SYS_select, 11, &r, NULL, NULL, &tv), EBADF);
	/* Bits at or above nfds are not looked at. */
	EXPECT_EQ(syscall(SYS_select, 10, &r, NULL, NULL, &tv), 0);
	EXPECT_ERRNO(syscall(SYS_select, -1, NULL, NULL, NULL, &tv), EINVAL);
	tv.tv_usec = -1;
	EXPECT_ERRNO(syscall(SYS_select, 0, NULL, NULL, NULL, &tv), EINVAL);
	tv = (struct timeval){-1, 0};
	EXPECT_ERRNO(syscall(SYS_select, 0, NULL, NULL, NULL, &tv), EINVAL);
	tv = (struct timeval){0, 0};
	FD_ZERO(&r);
	FD_SET(0, &r);
	EXPECT_ERRNO(syscall(SYS_select, 1, H_BAD_PTR, NULL, NULL, &tv), EFAULT);
	EXPECT_ERRNO(syscall(SYS_select, 1, &r, NULL, NULL, H_BAD_PTR), EFAULT);
}

TEST(poll, select_large_nfds_clamped)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	static uint64_t bits[4096 / 64];
	bits[p[1] / 64] |= 1ULL << (p[1] % 64);
	struct timeval tv = {0, 0};
	/* nfds far above the fd table size is cut to it, not an error. */
	EXPECT_EQ(syscall(SYS_select, 4096, NULL, bits, NULL, &tv), 1);
}

TEST(poll, select_regular_file_ready)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT, 0644));
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	struct timeval tv = {0, 0};
	EXPECT_EQ(select(fd + 1, &r, &w, NULL, &tv), 2);
}

struct k_sigset_arg {
	const void *ss;
	size_t ss_len;
};

TEST(poll, pselect6_sigmask_eintr)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	pending_usr1();
	uint64_t empty = 0;
	struct k_sigset_arg sa = {&empty, 8};
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timespec ts = {5, 0};
	errno = 0;
	long ret = syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &sa);
	int e = errno;
	int blocked = usr1_blocked();
	undo_usr1();
	EXPECT_EQ(ret, -1);
	EXPECT_EQ(e, EINTR);
	EXPECT_EQ(got_usr1, 1);
	EXPECT_EQ(blocked, 1);
}

TEST(poll, pselect6_timeout_and_errors)
{
	struct timespec ts = {0, 20000000};
	long long t0 = mono_ns();
	EXPECT_EQ(syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, NULL), 0);
	EXPECT_GE(mono_ns() - t0, 20000000LL);
	EXPECT_EQ(ts.tv_sec, 0);
	EXPECT_EQ(ts.tv_nsec, 0);
	uint64_t m = 0;
	struct k_sigset_arg bad_len = {&m, 4};
	ts = (struct timespec){0, 0};
	EXPECT_ERRNO(syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, &bad_len), EINVAL);
	/* A NULL set pointer with any length means "no mask change". */
	struct k_sigset_arg null_set = {NULL, 4};
	EXPECT_EQ(syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, &null_set), 0);
	ts.tv_nsec = 1000000000L;
	EXPECT_ERRNO(syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, NULL), EINVAL);
	ts.tv_nsec = 0;
	EXPECT_ERRNO(syscall(SYS_pselect6, -1, NULL, NULL, NULL, &ts, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, H_BAD_PTR), EFAULT);
}

static void child_close_late(long arg)
{
	close((int)(arg >> 16));
	sleep_ms(50);
	close((int)(arg & 0xffff));
}

TEST(poll, select_woken_by_writer_exit)
{
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	pid_t pid = spawn(child_close_late, p[1] | (p[0] << 16));
	EXPECT_OK(close(p[1]));
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	int n = select(p[0] + 1, &r, NULL, NULL, NULL);
	int st = reap(pid);
	EXPECT_EQ(n, 1);
	EXPECT_TRUE(FD_ISSET(p[0], &r));
	EXPECT_EQ(st, 0);
}
