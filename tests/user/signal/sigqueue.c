/*
 * Suite sigqueue: sending and synchronously accepting signals:
 * kill(2) targets and errors, rt_sigqueueinfo(2), rt_tgsigqueueinfo(2),
 * rt_sigtimedwait(2), RLIMIT_SIGPENDING.
 *
 * Guards Linux's kernel/signal.c (kill_something_info, check_kill_permission,
 * do_rt_sigqueueinfo, do_rt_tgsigqueueinfo, do_sigtimedwait, __send_signal
 * and __sigqueue_alloc): kill(0) signals the caller's process group, kill(-1)
 * every process it may signal except itself and init (and succeeds even
 * when every target refused with EPERM), kill(-pgid) a group;
 * a missing target is ESRCH, a bad signal EINVAL, a target of another user
 * EPERM (signal 0 checks only); rt_sigqueueinfo to another process with
 * si_code >= 0 or SI_TKILL is EPERM (allowed to oneself), and the siginfo
 * arrives as given; rt_sigtimedwait returns the signal and its siginfo,
 * EAGAIN on timeout, EINVAL for a bad timespec or sigsetsize; a queued RT
 * signal beyond RLIMIT_SIGPENDING is EAGAIN for sigqueue while kill()
 * succeeds but only sets the pending bit (no queueing, siginfo lost:
 * SI_USER with si_pid 0).  Man pages kill(2),
 * rt_sigqueueinfo(2), sigwaitinfo(2), getrlimit(2).
 */
#include "harness.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define BIT(sig) (1ULL << ((sig) - 1))
#define NO_PID 0x3ffffff0

static void set_mask(uint64_t m)
{
	h_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, 0, 8, 0, 0);
}

/* rt_sigtimedwait for the signals in set, timeout in ms (-1: none). */
static long timedwait(uint64_t set, siginfo_t *si, long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	return syscall(SYS_rt_sigtimedwait, &set, si, ms < 0 ? NULL : &ts, 8);
}

static void make_info(siginfo_t *si, int sig, int code, int value)
{
	memset(si, 0, sizeof *si);
	si->si_signo = sig;
	si->si_code = code;
	si->si_pid = getpid();
	si->si_uid = getuid();
	si->si_value.sival_int = value;
}

TEST(sigqueue, kill_errors)
{
	EXPECT_ERRNO(kill(NO_PID, SIGUSR1), ESRCH);
	EXPECT_ERRNO(kill(NO_PID, 0), ESRCH);
	EXPECT_ERRNO(kill(-NO_PID, SIGUSR1), ESRCH);
	EXPECT_ERRNO(kill(getpid(), 65), EINVAL);
	EXPECT_ERRNO(kill(getpid(), -1), EINVAL);
	/* The signal number is checked only once a target is found. */
	EXPECT_ERRNO(kill(NO_PID, 65), ESRCH);
	EXPECT_EQ(kill(getpid(), 0), 0);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), NO_PID, SIGUSR1), ESRCH);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, 0, getpid(), SIGUSR1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), getpid(), 65), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tkill, 0, SIGUSR1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tkill, NO_PID, SIGUSR1), ESRCH);
}

static void drop_to(uid_t uid)
{
	EXPECT_EQ(syscall(SYS_setresgid, uid, uid, uid), 0);
	EXPECT_EQ(syscall(SYS_setresuid, uid, uid, uid), 0);
}

static void kill_eperm(void *arg)
{
	(void)arg;
	pid_t parent = getppid();
	drop_to(54320);
	EXPECT_ERRNO(kill(parent, SIGUSR1), EPERM);
	/* Signal 0 checks permission too. */
	EXPECT_ERRNO(kill(parent, 0), EPERM);
	siginfo_t si;
	make_info(&si, SIGUSR1, SI_QUEUE, 1);
	EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, parent, SIGUSR1, &si), EPERM);
}

TEST(sigqueue, kill_eperm_other_user)
{
	EXPECT_CHILD_OK(kill_eperm, NULL);
}

/* A child that waits for SIGUSR1 (blocked, via sigtimedwait) and exits 0
 * when it arrives; ready is posted once it is blocked. */
static pid_t waiter(int ready_fd)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		set_mask(BIT(SIGUSR1));
		h_post(ready_fd);
		siginfo_t si;
		EXPECT_EQ(timedwait(BIT(SIGUSR1), &si, -1), SIGUSR1);
		h_exit(0);
	}
	return pid;
}

static void kill_group(void *arg)
{
	int use_zero = (int)(long)arg;
	EXPECT_EQ(setpgid(0, 0), 0);
	EXPECT_TRUE(signal(SIGUSR1, SIG_IGN) != SIG_ERR);
	int ready[2];
	h_pipe(ready);
	pid_t a = waiter(ready[1]);
	pid_t b = waiter(ready[1]);
	h_wait_byte(ready[0]);
	h_wait_byte(ready[0]);
	if (use_zero)
		EXPECT_EQ(kill(0, SIGUSR1), 0);
	else
		EXPECT_EQ(kill(-getpid(), SIGUSR1), 0);
	EXPECT_EQ(h_wait_exit(a), 0);
	EXPECT_EQ(h_wait_exit(b), 0);
}

TEST(sigqueue, kill_zero_signals_own_group)
{
	EXPECT_CHILD_OK(kill_group, (void *)1L);
}

TEST(sigqueue, kill_negative_pgid)
{
	EXPECT_CHILD_OK(kill_group, (void *)0L);
}

static void kill_all(void *arg)
{
	(void)arg;
	/* Only processes of this unusual uid can be reached: the test is
	 * safe on a host too. */
	drop_to(54321);
	EXPECT_EQ(getuid(), 54321);
	int ready[2];
	h_pipe(ready);
	pid_t a = waiter(ready[1]);
	h_wait_byte(ready[0]);
	/* kill(-1) spares the caller (SIGUSR1 would kill us). */
	EXPECT_EQ(kill(-1, SIGUSR1), 0);
	EXPECT_EQ(h_wait_exit(a), 0);
}

TEST(sigqueue, kill_minus_one)
{
	EXPECT_CHILD_OK(kill_all, NULL);
}

static void kill_all_nobody(void *arg)
{
	(void)arg;
	/* A root sibling we will not be allowed to signal (on Linux the
	 * kernel threads would do, but the rule must not depend on them). */
	int hold[2];
	h_pipe(hold);
	pid_t root_child = h_fork();
	if (root_child == 0) {
		char c;
		close(hold[1]);
		(void)!read(hold[0], &c, 1);
		h_exit(0);
	}
	close(hold[0]);
	drop_to(54322);
	/* Nobody we may signal, yet success: the processes that refused
	 * with EPERM count as found (ESRCH only when there are none). */
	EXPECT_EQ(kill(-1, SIGUSR1), 0);
	EXPECT_EQ(kill(-1, 0), 0);
	close(hold[1]);
	EXPECT_EQ(h_wait_exit(root_child), 0);
}

TEST(sigqueue, kill_minus_one_without_permitted_targets)
{
	EXPECT_CHILD_OK(kill_all_nobody, NULL);
}

TEST(sigqueue, sigtimedwait_returns_signal_and_info)
{
	set_mask(BIT(SIGUSR1) | BIT(SIGUSR2));
	EXPECT_EQ(kill(getpid(), SIGUSR2), 0);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_EQ(timedwait(BIT(SIGUSR1) | BIT(SIGUSR2), &si, 0), SIGUSR2);
	EXPECT_EQ(si.si_signo, SIGUSR2);
	EXPECT_EQ(si.si_code, SI_USER);
	EXPECT_EQ(si.si_pid, getpid());
	EXPECT_EQ(si.si_uid, getuid());
	/* Consumed. */
	uint64_t pend = 1;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &pend, 8), 0);
	EXPECT_EQX(pend, 0);
	/* NULL info is fine. */
	EXPECT_EQ(kill(getpid(), SIGUSR1), 0);
	EXPECT_EQ(timedwait(BIT(SIGUSR1), NULL, 0), SIGUSR1);
}

TEST(sigqueue, sigtimedwait_timeout_and_errors)
{
	set_mask(BIT(SIGUSR1));
	siginfo_t si;
	EXPECT_ERRNO(timedwait(BIT(SIGUSR1), &si, 0), EAGAIN);
	EXPECT_ERRNO(timedwait(BIT(SIGUSR1), &si, 20), EAGAIN);
	uint64_t set = BIT(SIGUSR1);
	struct timespec bad = {0, 1000000000};
	EXPECT_ERRNO(syscall(SYS_rt_sigtimedwait, &set, &si, &bad, 8), EINVAL);
	struct timespec neg = {-1, 0};
	EXPECT_ERRNO(syscall(SYS_rt_sigtimedwait, &set, &si, &neg, 8), EINVAL);
	struct timespec zero = {0, 0};
	EXPECT_ERRNO(syscall(SYS_rt_sigtimedwait, &set, &si, &zero, 4), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigtimedwait, H_BAD_PTR, &si, &zero, 8),
		     EFAULT);
	/* A signal not in the set stays pending. */
	set_mask(BIT(SIGUSR1) | BIT(SIGUSR2));
	EXPECT_EQ(kill(getpid(), SIGUSR2), 0);
	EXPECT_ERRNO(timedwait(BIT(SIGUSR1), &si, 0), EAGAIN);
	uint64_t pend = 0;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &pend, 8), 0);
	EXPECT_EQX(pend, BIT(SIGUSR2));
}

TEST(sigqueue, sigtimedwait_wakes_on_signal_from_child)
{
	set_mask(BIT(SIGUSR1));
	pid_t parent = getpid();
	pid_t pid = h_fork();
	if (pid == 0) {
		siginfo_t si;
		make_info(&si, SIGUSR1, SI_QUEUE, 4711);
		EXPECT_EQ(syscall(SYS_rt_sigqueueinfo, parent, SIGUSR1, &si),
			  0);
		h_exit(0);
	}
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_EQ(timedwait(BIT(SIGUSR1), &si, -1), SIGUSR1);
	EXPECT_EQ(si.si_code, SI_QUEUE);
	EXPECT_EQ(si.si_pid, pid);
	EXPECT_EQ(si.si_value.sival_int, 4711);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(sigqueue, sigqueueinfo_si_code_rules)
{
	set_mask(BIT(SIGUSR1) | BIT(40));
	siginfo_t si, got;
	/* To oneself any si_code goes, and arrives as given. */
	make_info(&si, SIGUSR1, SI_USER, 0);
	si.si_pid = 12345;
	EXPECT_EQ(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si), 0);
	memset(&got, 0, sizeof got);
	EXPECT_EQ(timedwait(BIT(SIGUSR1), &got, 0), SIGUSR1);
	EXPECT_EQ(got.si_code, SI_USER);
	EXPECT_EQ(got.si_pid, 12345);
	make_info(&si, 40, SI_TKILL, 0);
	EXPECT_EQ(syscall(SYS_rt_sigqueueinfo, getpid(), 40, &si), 0);
	EXPECT_EQ(timedwait(BIT(40), &got, 0), 40);
	EXPECT_EQ(got.si_code, SI_TKILL);
	/* The signal argument wins over si_signo. */
	make_info(&si, SIGUSR2, SI_QUEUE, 9);
	EXPECT_EQ(syscall(SYS_rt_sigqueueinfo, getpid(), 40, &si), 0);
	memset(&got, 0, sizeof got);
	EXPECT_EQ(timedwait(BIT(40), &got, 0), 40);
	EXPECT_EQ(got.si_signo, 40);
	EXPECT_EQ(got.si_value.sival_int, 9);
	EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, getpid(), 65, &si), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, H_BAD_PTR),
		     EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, NO_PID, SIGUSR1, &si), ESRCH);
}

TEST(sigqueue, sigqueueinfo_eperm_to_other_process)
{
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		char c;
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		h_exit(0);
	}
	siginfo_t si;
	make_info(&si, SIGUSR1, SI_USER, 0);
	EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si), EPERM);
	make_info(&si, SIGUSR1, SI_KERNEL, 0);
	EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si), EPERM);
	make_info(&si, SIGUSR1, SI_TKILL, 0);
	EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si), EPERM);
	EXPECT_ERRNO(syscall(SYS_rt_tgsigqueueinfo, pid, pid, SIGUSR1, &si),
		     EPERM);
	/* Signal 0 with a negative si_code: only a check. */
	make_info(&si, 0, SI_QUEUE, 0);
	EXPECT_EQ(syscall(SYS_rt_sigqueueinfo, pid, 0, &si), 0);
	h_post(p[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(sigqueue, tgsigqueueinfo_to_own_thread)
{
	set_mask(BIT(41));
	siginfo_t si, got;
	make_info(&si, 41, SI_QUEUE, 77);
	long tid = syscall(SYS_gettid);
	EXPECT_EQ(syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, 41, &si), 0);
	memset(&got, 0, sizeof got);
	EXPECT_EQ(timedwait(BIT(41), &got, 0), 41);
	EXPECT_EQ(got.si_code, SI_QUEUE);
	EXPECT_EQ(got.si_value.sival_int, 77);
	EXPECT_ERRNO(syscall(SYS_rt_tgsigqueueinfo, getpid(), NO_PID, 41, &si),
		     ESRCH);
	EXPECT_ERRNO(syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, 41, &si),
		     EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_tgsigqueueinfo, 0, tid, 41, &si), EINVAL);
}

static void sigpending_limit(void *arg)
{
	(void)arg;
	struct rlimit rl = {1, 1};
	EXPECT_EQ(setrlimit(RLIMIT_SIGPENDING, &rl), 0);
	/* A fresh uid, so nothing else counts against the limit. */
	drop_to(54323);
	set_mask(BIT(40) | BIT(41));
	siginfo_t si;
	make_info(&si, 40, SI_QUEUE, 1);
	EXPECT_EQ(syscall(SYS_rt_sigqueueinfo, getpid(), 40, &si), 0);
	EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, getpid(), 40, &si), EAGAIN);
	make_info(&si, 41, SI_QUEUE, 1);
	EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, getpid(), 41, &si), EAGAIN);
	/* kill() does not fail, but beyond the limit the RT signal is only
	 * marked pending: it does not queue and loses its siginfo. */
	EXPECT_EQ(kill(getpid(), 41), 0);
	EXPECT_EQ(kill(getpid(), 41), 0);
	siginfo_t got;
	memset(&got, 0, sizeof got);
	EXPECT_EQ(timedwait(BIT(40), &got, 0), 40);
	EXPECT_EQ(got.si_code, SI_QUEUE);
	EXPECT_EQ(got.si_pid, getpid());
	memset(&got, 0xff, sizeof got);
	EXPECT_EQ(timedwait(BIT(41), &got, 0), 41);
	EXPECT_EQ(got.si_code, SI_USER);
	EXPECT_EQ(got.si_pid, 0);
	EXPECT_EQ(got.si_uid, 0);
	EXPECT_ERRNO(timedwait(BIT(41), &got, 0), EAGAIN);
	/* With the queue slot free again, kill() queues with its siginfo. */
	EXPECT_EQ(kill(getpid(), 41), 0);
	EXPECT_EQ(kill(getpid(), 40), 0);
	EXPECT_EQ(timedwait(BIT(41), &got, 0), 41);
	EXPECT_EQ(got.si_pid, getpid());
	EXPECT_EQ(timedwait(BIT(40), &got, 0), 40);
	EXPECT_EQ(got.si_pid, 0);
}

TEST(sigqueue, rlimit_sigpending)
{
	EXPECT_CHILD_OK(sigpending_limit, NULL);
}
