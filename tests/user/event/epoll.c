/*
 * Suite epoll: epoll_create(2), epoll_create1(2), epoll_ctl(2),
 * epoll_wait(2), epoll_pwait(2).
 *
 * Guards Linux's fs/eventpoll.c: do_epoll_create (size <= 0 and flags other
 * than EPOLL_CLOEXEC are EINVAL), do_epoll_ctl (EBADF for bad fds, EPERM for
 * files without poll such as regular files, EINVAL for epfd == fd, a non-epoll
 * epfd, an unknown op or EPOLLEXCLUSIVE with MOD, EEXIST on a second ADD,
 * ENOENT on MOD/DEL of an unregistered fd, ELOOP for a cycle of epoll fds,
 * EPOLLERR|EPOLLHUP always added to the interest mask), ep_poll/ep_send_events
 * (level-triggered items stay ready, EPOLLET reports a new edge once,
 * EPOLLONESHOT disarms until MOD, data.u64 comes back unchanged, maxevents <= 0
 * EINVAL, epoll_pwait's mask applied atomically), eventpoll_release (an item
 * goes away when the last reference to its open file description is closed,
 * not when one fd of it is), and ep_eventpoll_poll (an epoll fd is readable
 * when it has ready items, so epoll fds nest).  Man pages epoll(7),
 * epoll_ctl(2), epoll_wait(2).
 */
#include "harness.h"
#include "child.h"

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* One non-blocking epoll_wait for at most one event. */
static int wait1(int ep, struct epoll_event *ev)
{
	memset(ev, 0, sizeof *ev);
	return epoll_wait(ep, ev, 1, 0);
}

TEST(epoll, create)
{
	int ep = EXPECT_OK(epoll_create1(0));
	EXPECT_EQ(fcntl(ep, F_GETFD), 0);
	EXPECT_EQX(fcntl(ep, F_GETFL), O_RDWR);
	int ep2 = EXPECT_OK(epoll_create1(EPOLL_CLOEXEC));
	EXPECT_EQ(fcntl(ep2, F_GETFD), FD_CLOEXEC);
	/* The size hint only has to be positive. */
	EXPECT_OK(epoll_create(1));
	EXPECT_OK(epoll_create(100000));
	EXPECT_ERRNO(syscall(SYS_epoll_create, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_epoll_create, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_epoll_create1, 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_epoll_create1, O_NONBLOCK), EINVAL);
	EXPECT_ERRNO(syscall(SYS_epoll_create1, EPOLL_CLOEXEC | 1), EINVAL);
}

TEST(epoll, fstat_and_seek)
{
	int ep = EXPECT_OK(epoll_create1(0));
	struct stat st;
	EXPECT_OK(fstat(ep, &st));
	/* An anonymous inode: no file type bits, mode 0600. */
	EXPECT_MODE(st.st_mode, 0600);
	/* noop_llseek: seeking "succeeds" and returns 0. */
	EXPECT_EQ(lseek(ep, 0, SEEK_SET), 0);
	EXPECT_EQ(lseek(ep, 100, SEEK_SET), 0);
	char buf[8];
	EXPECT_ERRNO(read(ep, buf, 8), EINVAL);
	EXPECT_ERRNO(write(ep, buf, 8), EINVAL);
}

TEST(epoll, ctl_errors)
{
	h_tmpdir();
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	struct epoll_event ev = {.events = EPOLLIN};
	EXPECT_EQ(add(ep, p[0], EPOLLIN, 1), 0);
	EXPECT_ERRNO(add(ep, p[0], EPOLLIN, 1), EEXIST);
	EXPECT_ERRNO(mod(ep, p[1], EPOLLOUT, 1), ENOENT);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], &ev), ENOENT);
	EXPECT_ERRNO(add(ep, 100, EPOLLIN, 1), EBADF);
	EXPECT_ERRNO(add(100, p[1], EPOLLIN, 1), EBADF);
	/* epfd that is not an epoll fd. */
	EXPECT_ERRNO(add(p[1], p[0], EPOLLIN, 1), EINVAL);
	/* Adding an epoll fd to itself. */
	EXPECT_ERRNO(add(ep, ep, EPOLLIN, 1), EINVAL);
	/* Unknown op. */
	EXPECT_ERRNO(epoll_ctl(ep, 4, p[1], &ev), EINVAL);
	EXPECT_ERRNO(epoll_ctl(ep, 0, p[1], &ev), EINVAL);
	/* Regular files cannot be polled: EPERM. */
	int file = EXPECT_OK(open("f", O_RDWR | O_CREAT, 0644));
	EXPECT_ERRNO(add(ep, file, EPOLLIN, 1), EPERM);
	int dir = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_ERRNO(add(ep, dir, EPOLLIN, 1), EPERM);
	/* A bad event pointer. */
	EXPECT_ERRNO(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[1], H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_MOD, p[0], NULL), EFAULT);
	/* DEL ignores the event pointer. */
	EXPECT_EQ(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	EXPECT_ERRNO(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
}

TEST(epoll, exclusive_rules)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int ep2 = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 1), 0);
	/* EPOLLEXCLUSIVE with MOD is EINVAL (even on a registered fd). */
	EXPECT_ERRNO(mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 1), EINVAL);
	EXPECT_ERRNO(mod(ep, p[0], EPOLLIN, 1), EINVAL);
	/* Not together with EPOLLONESHOT, nor on an epoll fd. */
	EXPECT_ERRNO(add(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT, 1), EINVAL);
	EXPECT_ERRNO(add(ep, ep2, EPOLLIN | EPOLLEXCLUSIVE, 1), EINVAL);
}

TEST(epoll, wait_errors)
{
	int ep = EXPECT_OK(epoll_create1(0));
	struct epoll_event ev[2];
	EXPECT_ERRNO(epoll_wait(ep, ev, 0, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_epoll_wait, ep, ev, -1, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_epoll_wait, ep, ev, INT_MAX, 0), EINVAL);
	EXPECT_ERRNO(epoll_wait(100, ev, 1, 0), EBADF);
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_ERRNO(epoll_wait(p[0], ev, 1, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_epoll_wait, ep, H_KERNEL_PTR, 1, 0), EFAULT);
	EXPECT_EQ(add(ep, p[1], EPOLLOUT, 1), 0);
	EXPECT_ERRNO(syscall(SYS_epoll_wait, ep, H_BAD_PTR, 1, 0), EFAULT);
	/* The item is still ready after the failed copy. */
	EXPECT_EQ(wait1(ep, ev), 1);
}

TEST(epoll, level_triggered)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(add(ep, p[0], EPOLLIN, 0x1122334455667788ULL), 0);
	struct epoll_event ev;
	EXPECT_EQ(wait1(ep, &ev), 0);
	EXPECT_EQ(write(p[1], "ab", 2), 2);
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQX(ev.events, EPOLLIN);
	EXPECT_EQX(ev.data.u64, 0x1122334455667788ULL);
	/* Still ready: reported again. */
	EXPECT_EQ(wait1(ep, &ev), 1);
	char c;
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(wait1(ep, &ev), 0);
}

TEST(epoll, edge_triggered)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 7), 0);
	struct epoll_event ev;
	EXPECT_EQ(write(p[1], "a", 1), 1);
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQX(ev.events, EPOLLIN);
	EXPECT_EQ(ev.data.u64, 7);
	/* Data is still there, but no new edge. */
	EXPECT_EQ(wait1(ep, &ev), 0);
	EXPECT_EQ(write(p[1], "b", 1), 1);
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQ(wait1(ep, &ev), 0);
	/* MOD re-evaluates readiness. */
	EXPECT_EQ(mod(ep, p[0], EPOLLIN | EPOLLET, 8), 0);
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQ(ev.data.u64, 8);
}

TEST(epoll, oneshot)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), 0);
	EXPECT_EQ(write(p[1], "a", 1), 1);
	struct epoll_event ev;
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQ(wait1(ep, &ev), 0);
	EXPECT_EQ(write(p[1], "b", 1), 1);
	EXPECT_EQ(wait1(ep, &ev), 0);
	/* Still registered: ADD is EEXIST, MOD re-arms. */
	EXPECT_ERRNO(add(ep, p[0], EPOLLIN, 1), EEXIST);
	EXPECT_EQ(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 2), 0);
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQ(ev.data.u64, 2);
	EXPECT_EQ(wait1(ep, &ev), 0);
}

TEST(epoll, mod_changes_events_and_data)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(add(ep, p[1], EPOLLIN, 1), 0);
	struct epoll_event ev;
	EXPECT_EQ(wait1(ep, &ev), 0);
	EXPECT_EQ(mod(ep, p[1], EPOLLOUT, 99), 0);
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQX(ev.events, EPOLLOUT);
	EXPECT_EQ(ev.data.u64, 99);
	EXPECT_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), 0);
	EXPECT_EQ(wait1(ep, &ev), 0);
}

TEST(epoll, maxevents_limits_and_several_fds)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2], q[2], r[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(pipe(q), 0);
	EXPECT_EQ(pipe(r), 0);
	EXPECT_EQ(add(ep, p[1], EPOLLOUT, 1), 0);
	EXPECT_EQ(add(ep, q[1], EPOLLOUT, 2), 0);
	EXPECT_EQ(add(ep, r[1], EPOLLOUT, 3), 0);
	struct epoll_event ev[8];
	EXPECT_EQ(epoll_wait(ep, ev, 2, 0), 2);
	memset(ev, 0, sizeof ev);
	EXPECT_EQ(epoll_wait(ep, ev, 8, 0), 3);
	uint64_t sum = 0;
	for (int i = 0; i < 3; i++) {
		EXPECT_EQX(ev[i].events, EPOLLOUT);
		sum += ev[i].data.u64;
	}
	EXPECT_EQ(sum, 6);
}

TEST(epoll, hup_and_err_always_reported)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2], q[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(pipe(q), 0);
	/* Interest mask 0: only ERR and HUP can be reported. */
	EXPECT_EQ(add(ep, p[0], 0, 1), 0);
	EXPECT_EQ(add(ep, q[1], 0, 2), 0);
	struct epoll_event ev;
	EXPECT_EQ(wait1(ep, &ev), 0);
	EXPECT_OK(close(p[1]));
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQX(ev.events, EPOLLHUP);
	EXPECT_EQ(ev.data.u64, 1);
	EXPECT_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	EXPECT_OK(close(q[0]));
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQX(ev.events, EPOLLERR);
	EXPECT_EQ(ev.data.u64, 2);
	EXPECT_EQ(mod(ep, q[1], EPOLLOUT, 3), 0);
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQX(ev.events, EPOLLOUT | EPOLLERR);
}

TEST(epoll, pipe_hup_with_data)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(add(ep, p[0], EPOLLIN | EPOLLRDHUP, 1), 0);
	EXPECT_EQ(write(p[1], "x", 1), 1);
	EXPECT_OK(close(p[1]));
	struct epoll_event ev;
	EXPECT_EQ(wait1(ep, &ev), 1);
	/* Pipes never report EPOLLRDHUP. */
	EXPECT_EQX(ev.events, EPOLLIN | EPOLLHUP);
}

TEST(epoll, close_removes_item)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(write(p[1], "x", 1), 1);
	EXPECT_EQ(add(ep, p[0], EPOLLIN, 1), 0);
	struct epoll_event ev;
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_OK(close(p[0]));
	EXPECT_EQ(wait1(ep, &ev), 0);
	/* A new file on the same fd number is a new registration. */
	int q[2];
	EXPECT_EQ(pipe(q), 0);
	EXPECT_EQ(q[0], p[0]);
	EXPECT_EQ(add(ep, q[0], EPOLLIN, 2), 0);
}

TEST(epoll, dup_keeps_item_alive)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(write(p[1], "x", 1), 1);
	EXPECT_EQ(add(ep, p[0], EPOLLIN, 5), 0);
	int d = EXPECT_OK(dup(p[0]));
	EXPECT_OK(close(p[0]));
	/* The description lives on through d: still reported, with the old
	 * data, but the registration's fd number is gone for epoll_ctl. */
	struct epoll_event ev;
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQ(ev.data.u64, 5);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), ENOENT);
	EXPECT_OK(close(d));
	EXPECT_EQ(wait1(ep, &ev), 0);
}

TEST(epoll, same_file_two_fds)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	int d = EXPECT_OK(dup(p[1]));
	/* The key is (file, fd): a dup can be added separately. */
	EXPECT_EQ(add(ep, p[1], EPOLLOUT, 1), 0);
	EXPECT_EQ(add(ep, d, EPOLLOUT, 2), 0);
	struct epoll_event ev[4];
	EXPECT_EQ(epoll_wait(ep, ev, 4, 0), 2);
}

TEST(epoll, eventfd_readiness)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int efd = EXPECT_OK(eventfd(0, EFD_NONBLOCK));
	EXPECT_EQ(add(ep, efd, EPOLLIN | EPOLLOUT, 42), 0);
	struct epoll_event ev;
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQX(ev.events, EPOLLOUT);
	uint64_t one = 1;
	EXPECT_EQ(write(efd, &one, 8), 8);
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQX(ev.events, EPOLLIN | EPOLLOUT);
	EXPECT_EQ(ev.data.u64, 42);
	uint64_t v;
	EXPECT_EQ(read(efd, &v, 8), 8);
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQX(ev.events, EPOLLOUT);
}

TEST(epoll, eventfd_edge_triggered_by_each_write)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int efd = EXPECT_OK(eventfd(0, EFD_NONBLOCK));
	EXPECT_EQ(add(ep, efd, EPOLLIN | EPOLLET, 1), 0);
	uint64_t one = 1;
	EXPECT_EQ(write(efd, &one, 8), 8);
	struct epoll_event ev;
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQ(wait1(ep, &ev), 0);
	/* Every write wakes the queue: a new edge even though it was already
	 * readable. */
	EXPECT_EQ(write(efd, &one, 8), 8);
	EXPECT_EQ(wait1(ep, &ev), 1);
	EXPECT_EQX(ev.events, EPOLLIN);
}

TEST(epoll, nested_epoll_readable)
{
	int inner = EXPECT_OK(epoll_create1(0));
	int outer = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(add(inner, p[0], EPOLLIN, 1), 0);
	EXPECT_EQ(add(outer, inner, EPOLLIN, 2), 0);
	struct epoll_event ev;
	EXPECT_EQ(wait1(outer, &ev), 0);
	struct pollfd pf = {inner, POLLIN, 0};
	EXPECT_EQ(poll(&pf, 1, 0), 0);
	EXPECT_EQ(write(p[1], "x", 1), 1);
	EXPECT_EQ(wait1(outer, &ev), 1);
	EXPECT_EQX(ev.events, EPOLLIN);
	EXPECT_EQ(ev.data.u64, 2);
	EXPECT_EQ(poll(&pf, 1, 0), 1);
	EXPECT_EQ(pf.revents, POLLIN);
	EXPECT_EQ(wait1(inner, &ev), 1);
	EXPECT_EQ(ev.data.u64, 1);
}

TEST(epoll, cycle_eloop)
{
	int a = EXPECT_OK(epoll_create1(0));
	int b = EXPECT_OK(epoll_create1(0));
	int c = EXPECT_OK(epoll_create1(0));
	EXPECT_EQ(add(a, b, EPOLLIN, 1), 0);
	EXPECT_ERRNO(add(b, a, EPOLLIN, 1), ELOOP);
	EXPECT_EQ(add(b, c, EPOLLIN, 1), 0);
	EXPECT_ERRNO(add(c, a, EPOLLIN, 1), ELOOP);
}

/* At most five epoll instances in a chain, counted below the added one and
 * above the one it joins (6.1's ep_loop_check with "eventpoll: Fix
 * semi-unbounded recursion"; LTP's epoll_ctl04). */
TEST(epoll, nesting_depth)
{
	int fds[2];
	EXPECT_EQ(pipe(fds), 0);
	int down[6];
	int below = fds[0];
	for (int i = 0; i < 5; i++) {
		down[i] = EXPECT_OK(epoll_create1(0));
		EXPECT_EQ(add(down[i], below, EPOLLIN, 1), 0);
		below = down[i];
	}
	down[5] = EXPECT_OK(epoll_create1(0));
	EXPECT_ERRNO(add(down[5], down[4], EPOLLIN, 1), ELOOP);
	EXPECT_EQ(add(down[5], down[3], EPOLLIN, 1), 0);
	/* Upwards: g[0] sits under four more. */
	int g[5];
	for (int i = 0; i < 5; i++) {
		g[i] = EXPECT_OK(epoll_create1(0));
		if (i > 0)
			EXPECT_EQ(add(g[i], g[i - 1], EPOLLIN, 1), 0);
	}
	int leaf = EXPECT_OK(epoll_create1(0));
	EXPECT_ERRNO(add(g[0], leaf, EPOLLIN, 1), ELOOP);
	EXPECT_EQ(add(g[1], leaf, EPOLLIN, 1), 0);
	/* A pipe is not an instance: it may go anywhere. */
	EXPECT_EQ(add(g[0], fds[0], EPOLLIN, 1), 0);
	/* Once the chain above is cut, it fits. */
	EXPECT_EQ(epoll_ctl(g[2], EPOLL_CTL_DEL, g[1], NULL), 0);
	EXPECT_EQ(add(g[0], leaf, EPOLLIN, 1), 0);
	/* Closing an instance above cuts the chain too. */
	int other = EXPECT_OK(epoll_create1(0));
	int h[5];
	for (int i = 0; i < 5; i++) {
		h[i] = EXPECT_OK(epoll_create1(0));
		if (i > 0)
			EXPECT_EQ(add(h[i], h[i - 1], EPOLLIN, 1), 0);
	}
	EXPECT_ERRNO(add(h[0], other, EPOLLIN, 1), ELOOP);
	EXPECT_EQ(close(h[4]), 0);
	EXPECT_EQ(add(h[0], other, EPOLLIN, 1), 0);
}

TEST(epoll, timeout)
{
	int ep = EXPECT_OK(epoll_create1(0));
	struct epoll_event ev;
	long long t0 = mono_ns();
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 50), 0);
	EXPECT_GE(mono_ns() - t0, 50000000LL);
}

static void child_write_late(long arg)
{
	close((int)(arg >> 16));
	sleep_ms(50);
	CHK(write((int)(arg & 0xffff), "w", 1) == 1);
}

TEST(epoll, blocking_wait_woken_by_other_process)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(add(ep, p[0], EPOLLIN, 9), 0);
	pid_t pid = spawn(child_write_late, p[1] | (p[0] << 16));
	struct epoll_event ev = {0};
	int n = epoll_wait(ep, &ev, 1, -1);
	int st = reap(pid);
	EXPECT_EQ(n, 1);
	EXPECT_EQ(ev.data.u64, 9);
	EXPECT_EQ(st, 0);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

TEST(epoll, pwait_sigmask_eintr)
{
	int ep = EXPECT_OK(epoll_create1(0));
	got_usr1 = 0;
	struct sigaction sa = {.sa_handler = on_usr1};
	sigemptyset(&sa.sa_mask);
	EXPECT_OK(sigaction(SIGUSR1, &sa, NULL));
	sigset_t set, empty, cur;
	sigemptyset(&set);
	sigemptyset(&empty);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR1);
	struct epoll_event ev;
	errno = 0;
	int r = epoll_pwait(ep, &ev, 1, 5000, &empty);
	int e = errno;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	/* With the signal blocked by the given mask: a plain timeout. */
	int handled_before = got_usr1;
	kill(getpid(), SIGUSR1);
	int r2 = epoll_pwait(ep, &ev, 1, 20, &set);
	struct timespec zero = {0, 0};
	int consumed = sigtimedwait(&set, NULL, &zero);
	uint64_t m = 0;
	errno = 0;
	long r3 = syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &m, 4);
	int e3 = errno;
	sig_default(SIGUSR1);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(e, EINTR);
	EXPECT_EQ(handled_before, 1);
	EXPECT_TRUE(sigismember(&cur, SIGUSR1));
	EXPECT_EQ(r2, 0);
	EXPECT_EQ(got_usr1, 1);
	EXPECT_EQ(consumed, SIGUSR1);
	EXPECT_EQ(r3, -1);
	EXPECT_EQ(e3, EINVAL);
}

static void child_inherits(long arg)
{
	int ep = (int)(arg & 0xffff);
	struct epoll_event ev = {0};
	/* The epoll instance is shared across fork. */
	CHK(epoll_wait(ep, &ev, 1, 0) == 1);
	CHK(ev.data.u64 == 77);
}

TEST(epoll, shared_across_fork)
{
	int ep = EXPECT_OK(epoll_create1(0));
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(add(ep, p[1], EPOLLOUT, 77), 0);
	pid_t pid = spawn(child_inherits, ep);
	EXPECT_EQ(reap(pid), 0);
}
