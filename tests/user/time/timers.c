/*
 * Suite timers: clock_nanosleep(2), alarm(2), setitimer(2)/getitimer(2),
 * timer_create(2) and friends, timerfd_create(2) and friends, CPU-time
 * clocks, getrusage(2)/times(2) of children.
 *
 * Guards Linux's kernel/time/posix-timers.c (clock_nanosleep on the clocks
 * with an nsleep method, EOPNOTSUPP on those without; timer_create's
 * sigevent checks: unknown clock, notify or signal EINVAL, SIGEV_THREAD_ID
 * only for a thread of the caller; NULL sigevent means SIGALRM with the timer
 * id as value; a timer signal carries SI_TIMER, the id, the value and the
 * overrun count computed when the signal is dequeued), kernel/time/itimer.c
 * (alarm returns the old remaining time rounded to seconds, setitimer/
 * getitimer EINVAL for unknown "which" or a bad timeval, ITIMER_REAL sends
 * SIGALRM as SI_KERNEL, ITIMER_VIRTUAL/PROF count CPU time and send
 * SIGVTALRM/SIGPROF), kernel/time/posix-cpu-timers.c (process and thread CPU
 * clocks advance only while running; sleeping on the process clock of self is
 * allowed, on the thread clock EOPNOTSUPP), fs/timerfd.c (expirations read as
 * a u64, EAGAIN when none, EINVAL for bad clocks, flags or a short buffer) and
 * kernel/sys.c getrusage/times (children's time counts only once they are
 * waited for).  Man pages clock_nanosleep(2), alarm(2), setitimer(2),
 * timer_create(2), timer_settime(2), timerfd_create(2), getrusage(2),
 * times(2).
 *
 * Signals are received blocked with sigtimedwait (no handlers); each test
 * drops what stayed pending and deletes or disarms its timers.
 */
#include "harness.h"
#include "child.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>

#define K_SIGEV_SIGNAL 0
#define K_SIGEV_NONE 1
#define K_SIGEV_THREAD_ID 4
#define K_SI_TIMER (-2)
#define K_SI_KERNEL 0x80
#define MS 1000000LL

struct k_sigevent {
	uint64_t value;
	int signo;
	int notify;
	union {
		int tid;
		int pad[12];
	} u;
};

/* The timer/rt part of the kernel's siginfo. */
struct k_siginfo {
	int signo;
	int err;
	int code;
	int pad0;
	union {
		struct {
			int tid;
			int overrun;
			uint64_t value;
		} timer;
		struct {
			int pid;
			int uid;
			uint64_t value;
		} rt;
		char pad[112];
	} u;
};

/* Back to the pristine disposition (SIG_DFL, no flags, empty mask), as the
 * raw syscall sees it: libc's signal()/sigaction() would leave SA_RESTORER,
 * SA_RESTART or a mask behind. */
static void sig_default(int sig)
{
	struct k_sigaction dfl = {SIG_DFL, 0, NULL, 0};
	syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
}

static long long clock_ns(clockid_t c)
{
	struct timespec ts;
	if (syscall(SYS_clock_gettime, c, &ts) != 0)
		FAIL("clock_gettime(%d): %s", (int)c, h_errname(errno));
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static struct timespec ns_ts(long long ns)
{
	return (struct timespec){ns / 1000000000LL, ns % 1000000000LL};
}

static long long ts_ns(struct timespec ts)
{
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Burns CPU until the clock advanced by ns (or 20 s of wall time passed);
 * returns how far it advanced. */
static long long burn(clockid_t c, long long ns)
{
	long long start = clock_ns(c), wall = mono_ns();
	volatile unsigned long x = 0;
	while (clock_ns(c) - start < ns && mono_ns() - wall < 20000000000LL)
		for (int i = 0; i < 10000; i++)
			x += i;
	return clock_ns(c) - start;
}

static void block(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	if (sigprocmask(SIG_BLOCK, &s, NULL) != 0)
		FAIL("sigprocmask: %s", h_errname(errno));
}

/* Drops a pending instance of sig (SIG_IGN discards it), back to SIG_DFL. */
static void drop(int sig)
{
	signal(sig, SIG_IGN);
	sig_default(sig);
}

static int is_pending(int sig)
{
	sigset_t s;
	sigpending(&s);
	return sigismember(&s, sig);
}

/* Waits up to timeout_ms for sig (blocked); returns the signal or -1. */
static int wait_sig(int sig, struct k_siginfo *info, long timeout_ms)
{
	uint64_t set = 1ULL << (sig - 1);
	struct timespec ts = ns_ts(timeout_ms * MS);
	struct k_siginfo tmp;
	if (!info)
		info = &tmp;
	memset(info, 0, sizeof *info);
	long r;
	do
		r = syscall(SYS_rt_sigtimedwait, &set, info, &ts, 8);
	while (r < 0 && errno == EINTR);
	return (int)r;
}

static long k_timer_create(clockid_t c, struct k_sigevent *sev, int *id)
{
	return syscall(SYS_timer_create, c, sev, id);
}

static long k_timer_settime(int id, int flags, long long value_ns,
			    long long interval_ns, struct itimerspec *old)
{
	struct itimerspec its = {ns_ts(interval_ns), ns_ts(value_ns)};
	return syscall(SYS_timer_settime, id, flags, &its, old);
}

/* --- clock_nanosleep ---------------------------------------------------- */

TEST(timers, clock_nanosleep_relative_clocks)
{
	clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI};
	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		struct timespec req = {0, 10 * MS};
		long long t0 = mono_ns();
		long r = syscall(SYS_clock_nanosleep, clocks[i], 0, &req, NULL);
		long long dt = mono_ns() - t0;
		if (r != 0)
			FAIL("clock %d: %s", (int)clocks[i], h_errname(errno));
		if (dt < 10 * MS)
			FAIL("clock %d: slept only %lld ns", (int)clocks[i], dt);
	}
}

TEST(timers, clock_nanosleep_absolute_clocks)
{
	clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI};
	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		long long deadline = clock_ns(clocks[i]) + 15 * MS;
		struct timespec req = ns_ts(deadline);
		long r = syscall(SYS_clock_nanosleep, clocks[i], TIMER_ABSTIME, &req, NULL);
		long long now = clock_ns(clocks[i]);
		if (r != 0)
			FAIL("clock %d: %s", (int)clocks[i], h_errname(errno));
		if (now < deadline)
			FAIL("clock %d: woke %lld ns early", (int)clocks[i], deadline - now);
	}
}

TEST(timers, clock_nanosleep_errors)
{
	struct timespec req = {0, 1000};
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL), EOPNOTSUPP);
	/* Clocks without nsleep. */
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC_RAW, 0, &req, NULL), EOPNOTSUPP);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_REALTIME_COARSE, 0, &req, NULL), EOPNOTSUPP);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC_COARSE, 0, &req, NULL), EOPNOTSUPP);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, 12, 0, &req, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, -1, 0, &req, NULL), EINVAL);
	req.tv_nsec = -1;
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL), EINVAL);
	req = (struct timespec){-1, 0};
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &req, NULL), EINVAL);
	/* Flag bits other than TIMER_ABSTIME are ignored. */
	req = (struct timespec){0, 1000};
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0x2, &req, NULL), 0);
	/* rem is only written when interrupted. */
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, H_BAD_PTR), 0);
}

TEST(timers, clock_nanosleep_absolute_past_cpu_clock)
{
	struct timespec req = {0, 0};
	long long t0 = mono_ns();
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &req, NULL), 0);
	EXPECT_LT(mono_ns() - t0, 2000000000LL);
}

static volatile int stop_burning;
static void *burner(void *arg)
{
	(void)arg;
	volatile unsigned long x = 0;
	long long wall = mono_ns();
	while (!stop_burning && mono_ns() - wall < 30000000000LL)
		x++;
	return NULL;
}

TEST(timers, clock_nanosleep_process_cpu_clock)
{
	stop_burning = 0;
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, NULL, burner, NULL), 0);
	/* Sleeps until the process (i.e. the burner) used 30 ms of CPU. */
	long long c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	struct timespec req = {0, 30 * MS};
	long r = syscall(SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, 0, &req, NULL);
	long long used = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	stop_burning = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(r, 0);
	EXPECT_GE(used, 30 * MS);
}

/* --- alarm and itimers ------------------------------------------------- */

TEST(timers, alarm_returns_remaining_seconds)
{
	EXPECT_EQ(alarm(0), 0);
	EXPECT_EQ(alarm(10), 0);
	/* 9.99... s left rounds to 10. */
	EXPECT_EQ(alarm(5), 10);
	EXPECT_EQ(alarm(0), 5);
	EXPECT_EQ(alarm(0), 0);
	struct itimerval it;
	EXPECT_OK(getitimer(ITIMER_REAL, &it));
	EXPECT_EQ(it.it_value.tv_sec, 0);
	EXPECT_EQ(it.it_value.tv_usec, 0);
	/* A sub-second remainder still returns 1. */
	struct itimerval half = {{0, 0}, {0, 300000}};
	EXPECT_OK(setitimer(ITIMER_REAL, &half, NULL));
	EXPECT_EQ(alarm(0), 1);
}

TEST(timers, alarm_delivers_sigalrm)
{
	block(SIGALRM);
	long long t0 = mono_ns();
	EXPECT_EQ(alarm(1), 0);
	struct k_siginfo si;
	int sig = wait_sig(SIGALRM, &si, 10000);
	long long dt = mono_ns() - t0;
	alarm(0);
	drop(SIGALRM);
	EXPECT_EQ(sig, SIGALRM);
	EXPECT_EQ(si.code, K_SI_KERNEL);
	EXPECT_GE(dt, 1000 * MS);
}

TEST(timers, itimer_real_one_shot)
{
	block(SIGALRM);
	struct itimerval it = {{0, 0}, {0, 50000}}, cur, old;
	long long t0 = mono_ns();
	EXPECT_OK(setitimer(ITIMER_REAL, &it, &old));
	EXPECT_EQ(old.it_value.tv_sec, 0);
	EXPECT_EQ(old.it_value.tv_usec, 0);
	EXPECT_OK(getitimer(ITIMER_REAL, &cur));
	long long left = cur.it_value.tv_sec * 1000000LL + cur.it_value.tv_usec;
	int sig = wait_sig(SIGALRM, NULL, 10000);
	long long dt = mono_ns() - t0;
	struct itimerval after;
	getitimer(ITIMER_REAL, &after);
	drop(SIGALRM);
	EXPECT_GT(left, 0);
	EXPECT_LE(left, 50000);
	EXPECT_EQ(cur.it_interval.tv_usec, 0);
	EXPECT_EQ(sig, SIGALRM);
	EXPECT_GE(dt, 50 * MS);
	EXPECT_EQ(after.it_value.tv_sec, 0);
	EXPECT_EQ(after.it_value.tv_usec, 0);
}

TEST(timers, itimer_real_interval_repeats)
{
	block(SIGALRM);
	struct itimerval it = {{0, 10000}, {0, 10000}}, old;
	long long t0 = mono_ns();
	EXPECT_OK(setitimer(ITIMER_REAL, &it, NULL));
	int n = 0;
	for (int i = 0; i < 3; i++)
		if (wait_sig(SIGALRM, NULL, 10000) == SIGALRM)
			n++;
	long long dt = mono_ns() - t0;
	struct itimerval zero = {{0, 0}, {0, 0}};
	EXPECT_OK(setitimer(ITIMER_REAL, &zero, &old));
	drop(SIGALRM);
	EXPECT_EQ(n, 3);
	EXPECT_GE(dt, 30 * MS);
	/* The old value shows the interval. */
	EXPECT_EQ(old.it_interval.tv_sec, 0);
	EXPECT_EQ(old.it_interval.tv_usec, 10000);
}

static void itimer_cpu(int which, int sig)
{
	block(sig);
	struct itimerval it = {{0, 0}, {0, 20000}};
	EXPECT_OK(setitimer(which, &it, NULL));
	struct itimerval cur;
	EXPECT_OK(getitimer(which, &cur));
	long long left = cur.it_value.tv_sec * 1000000LL + cur.it_value.tv_usec;
	long long wall = mono_ns();
	volatile unsigned long x = 0;
	while (!is_pending(sig) && mono_ns() - wall < 20000000000LL)
		for (int i = 0; i < 10000; i++)
			x += i;
	int pending = is_pending(sig);
	struct itimerval zero = {{0, 0}, {0, 0}};
	setitimer(which, &zero, NULL);
	drop(sig);
	EXPECT_GT(left, 0);
	/* Rounded up to a tick at most. */
	EXPECT_LE(left, 20000 + 10000);
	EXPECT_EQ(pending, 1);
}

TEST(timers, itimer_virtual_sigvtalrm)
{
	itimer_cpu(ITIMER_VIRTUAL, SIGVTALRM);
}

TEST(timers, itimer_prof_sigprof)
{
	itimer_cpu(ITIMER_PROF, SIGPROF);
}

TEST(timers, itimer_virtual_not_while_sleeping)
{
	block(SIGVTALRM);
	struct itimerval it = {{0, 0}, {0, 50000}};
	EXPECT_OK(setitimer(ITIMER_VIRTUAL, &it, NULL));
	sleep_ms(100);
	int pending = is_pending(SIGVTALRM);
	struct itimerval cur, zero = {{0, 0}, {0, 0}};
	getitimer(ITIMER_VIRTUAL, &cur);
	setitimer(ITIMER_VIRTUAL, &zero, NULL);
	drop(SIGVTALRM);
	EXPECT_EQ(pending, 0);
	EXPECT_GT(cur.it_value.tv_sec * 1000000LL + cur.it_value.tv_usec, 0);
}

TEST(timers, itimer_errors)
{
	struct itimerval it = {{0, 0}, {0, 0}};
	EXPECT_ERRNO(syscall(SYS_setitimer, 3, &it, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_setitimer, -1, &it, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getitimer, 3, &it), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getitimer, -1, &it), EINVAL);
	it.it_value.tv_usec = 1000000;
	EXPECT_ERRNO(syscall(SYS_setitimer, ITIMER_REAL, &it, NULL), EINVAL);
	it.it_value.tv_usec = -1;
	EXPECT_ERRNO(syscall(SYS_setitimer, ITIMER_REAL, &it, NULL), EINVAL);
	it.it_value = (struct timeval){0, 1000};
	it.it_interval.tv_usec = 1000000;
	EXPECT_ERRNO(syscall(SYS_setitimer, ITIMER_REAL, &it, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_setitimer, ITIMER_REAL, H_BAD_PTR, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getitimer, ITIMER_REAL, H_BAD_PTR), EFAULT);
	/* A NULL new value still disarms (deprecated, but accepted). */
	struct itimerval arm = {{0, 0}, {100, 0}}, old;
	EXPECT_EQ(syscall(SYS_setitimer, ITIMER_REAL, &arm, NULL), 0);
	EXPECT_EQ(syscall(SYS_setitimer, ITIMER_REAL, NULL, &old), 0);
	EXPECT_GE(old.it_value.tv_sec, 90);
	EXPECT_OK(getitimer(ITIMER_REAL, &old));
	EXPECT_EQ(old.it_value.tv_sec, 0);
	EXPECT_EQ(old.it_value.tv_usec, 0);
}

/* --- POSIX timers -------------------------------------------------------- */

TEST(timers, timer_signal)
{
	block(SIGUSR1);
	struct k_sigevent sev = {.value = 0xabcdef0123ULL, .signo = SIGUSR1,
				 .notify = K_SIGEV_SIGNAL};
	int id = -1;
	EXPECT_EQ(k_timer_create(CLOCK_MONOTONIC, &sev, &id), 0);
	EXPECT_GE(id, 0);
	long long t0 = mono_ns();
	EXPECT_EQ(k_timer_settime(id, 0, 20 * MS, 0, NULL), 0);
	struct k_siginfo si;
	int sig = wait_sig(SIGUSR1, &si, 10000);
	long long dt = mono_ns() - t0;
	struct itimerspec cur;
	long g = syscall(SYS_timer_gettime, id, &cur);
	long ov = syscall(SYS_timer_getoverrun, id);
	syscall(SYS_timer_delete, id);
	drop(SIGUSR1);
	EXPECT_EQ(sig, SIGUSR1);
	EXPECT_EQ(si.code, K_SI_TIMER);
	EXPECT_EQ(si.u.timer.tid, id);
	EXPECT_EQ(si.u.timer.overrun, 0);
	EXPECT_EQX(si.u.timer.value, 0xabcdef0123ULL);
	EXPECT_GE(dt, 20 * MS);
	EXPECT_EQ(g, 0);
	EXPECT_EQ(ts_ns(cur.it_value), 0);
	EXPECT_EQ(ov, 0);
}

TEST(timers, timer_null_sigevent_is_sigalrm_with_id)
{
	block(SIGALRM);
	int id = -1;
	EXPECT_EQ(k_timer_create(CLOCK_REALTIME, NULL, &id), 0);
	EXPECT_EQ(k_timer_settime(id, 0, 5 * MS, 0, NULL), 0);
	struct k_siginfo si;
	int sig = wait_sig(SIGALRM, &si, 10000);
	syscall(SYS_timer_delete, id);
	drop(SIGALRM);
	EXPECT_EQ(sig, SIGALRM);
	EXPECT_EQ(si.code, K_SI_TIMER);
	EXPECT_EQ((int)si.u.timer.value, id);
}

TEST(timers, timer_sigev_none_gettime)
{
	struct k_sigevent sev = {.notify = K_SIGEV_NONE};
	int id = -1;
	EXPECT_EQ(k_timer_create(CLOCK_MONOTONIC, &sev, &id), 0);
	struct itimerspec cur;
	/* Not armed yet. */
	EXPECT_EQ(syscall(SYS_timer_gettime, id, &cur), 0);
	EXPECT_EQ(ts_ns(cur.it_value), 0);
	EXPECT_EQ(k_timer_settime(id, 0, 10000 * MS, 2000 * MS, NULL), 0);
	EXPECT_EQ(syscall(SYS_timer_gettime, id, &cur), 0);
	EXPECT_GT(ts_ns(cur.it_value), 5000 * MS);
	EXPECT_LE(ts_ns(cur.it_value), 10000 * MS);
	EXPECT_EQ(ts_ns(cur.it_interval), 2000 * MS);
	/* Re-arming returns the old setting. */
	struct itimerspec old;
	EXPECT_EQ(k_timer_settime(id, 0, 10 * MS, 0, &old), 0);
	EXPECT_GT(ts_ns(old.it_value), 5000 * MS);
	EXPECT_EQ(ts_ns(old.it_interval), 2000 * MS);
	sleep_ms(30);
	/* Expired, no interval: 0 left. */
	EXPECT_EQ(syscall(SYS_timer_gettime, id, &cur), 0);
	EXPECT_EQ(ts_ns(cur.it_value), 0);
	EXPECT_EQ(syscall(SYS_timer_getoverrun, id), 0);
	EXPECT_EQ(syscall(SYS_timer_delete, id), 0);
}

TEST(timers, timer_abstime)
{
	block(SIGUSR2);
	struct k_sigevent sev = {.value = 5, .signo = SIGUSR2, .notify = K_SIGEV_SIGNAL};
	int id = -1;
	EXPECT_EQ(k_timer_create(CLOCK_REALTIME, &sev, &id), 0);
	long long deadline = clock_ns(CLOCK_REALTIME) + 20 * MS;
	EXPECT_EQ(k_timer_settime(id, TIMER_ABSTIME, deadline, 0, NULL), 0);
	int sig = wait_sig(SIGUSR2, NULL, 10000);
	long long now = clock_ns(CLOCK_REALTIME);
	/* A deadline in the past fires at once. */
	EXPECT_EQ(k_timer_settime(id, TIMER_ABSTIME, 1000000000LL, 0, NULL), 0);
	long long t0 = mono_ns();
	int sig2 = wait_sig(SIGUSR2, NULL, 10000);
	long long dt = mono_ns() - t0;
	syscall(SYS_timer_delete, id);
	drop(SIGUSR2);
	EXPECT_EQ(sig, SIGUSR2);
	EXPECT_GE(now, deadline);
	EXPECT_EQ(sig2, SIGUSR2);
	EXPECT_LT(dt, 5000 * MS);
}

TEST(timers, timer_overrun)
{
	block(SIGUSR1);
	struct k_sigevent sev = {.value = 1, .signo = SIGUSR1, .notify = K_SIGEV_SIGNAL};
	int id = -1;
	EXPECT_EQ(k_timer_create(CLOCK_MONOTONIC, &sev, &id), 0);
	EXPECT_EQ(k_timer_settime(id, 0, 1 * MS, 1 * MS, NULL), 0);
	sleep_ms(60);
	struct k_siginfo si;
	int sig = wait_sig(SIGUSR1, &si, 10000);
	long ov = syscall(SYS_timer_getoverrun, id);
	syscall(SYS_timer_delete, id);
	drop(SIGUSR1);
	EXPECT_EQ(sig, SIGUSR1);
	/* One signal stands for all expirations; the rest are overruns. */
	EXPECT_GE(si.u.timer.overrun, 10);
	EXPECT_EQ(ov, si.u.timer.overrun);
}

TEST(timers, timer_thread_id)
{
	block(SIGUSR1);
	struct k_sigevent sev = {.value = 9, .signo = SIGUSR1,
				 .notify = K_SIGEV_SIGNAL | K_SIGEV_THREAD_ID};
	sev.u.tid = gettid();
	int id = -1;
	EXPECT_EQ(k_timer_create(CLOCK_MONOTONIC, &sev, &id), 0);
	EXPECT_EQ(k_timer_settime(id, 0, 5 * MS, 0, NULL), 0);
	struct k_siginfo si;
	int sig = wait_sig(SIGUSR1, &si, 10000);
	syscall(SYS_timer_delete, id);
	drop(SIGUSR1);
	EXPECT_EQ(sig, SIGUSR1);
	EXPECT_EQ(si.code, K_SI_TIMER);
	EXPECT_EQ(si.u.timer.value, 9);
	/* A tid that is not a thread of ours. */
	sev.u.tid = 0x3fffffff;
	EXPECT_ERRNO(k_timer_create(CLOCK_MONOTONIC, &sev, &id), EINVAL);
	sev.u.tid = 0;
	EXPECT_ERRNO(k_timer_create(CLOCK_MONOTONIC, &sev, &id), EINVAL);
	/* SIGEV_THREAD_ID alone (without SIGEV_SIGNAL) is accepted too. */
	sev.notify = K_SIGEV_THREAD_ID;
	sev.u.tid = gettid();
	EXPECT_EQ(k_timer_create(CLOCK_MONOTONIC, &sev, &id), 0);
	EXPECT_EQ(syscall(SYS_timer_delete, id), 0);
}

TEST(timers, timer_create_errors)
{
	struct k_sigevent sev = {.signo = SIGUSR1, .notify = K_SIGEV_SIGNAL};
	int id;
	EXPECT_ERRNO(k_timer_create(99, &sev, &id), EINVAL);
	EXPECT_ERRNO(k_timer_create(-1, &sev, &id), EINVAL);
	sev.notify = 99;
	EXPECT_ERRNO(k_timer_create(CLOCK_MONOTONIC, &sev, &id), EINVAL);
	sev.notify = K_SIGEV_SIGNAL;
	sev.signo = 0;
	EXPECT_ERRNO(k_timer_create(CLOCK_MONOTONIC, &sev, &id), EINVAL);
	sev.signo = 65;
	EXPECT_ERRNO(k_timer_create(CLOCK_MONOTONIC, &sev, &id), EINVAL);
	/* SIGEV_NONE does not look at the signal number. */
	sev.notify = K_SIGEV_NONE;
	EXPECT_EQ(k_timer_create(CLOCK_MONOTONIC, &sev, &id), 0);
	EXPECT_EQ(syscall(SYS_timer_delete, id), 0);
	sev.notify = K_SIGEV_SIGNAL;
	sev.signo = SIGUSR1;
	EXPECT_ERRNO(k_timer_create(CLOCK_MONOTONIC, H_BAD_PTR, &id), EFAULT);
	/* CPU-time clocks make timers too. */
	EXPECT_EQ(k_timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &id), 0);
	EXPECT_EQ(syscall(SYS_timer_delete, id), 0);
	EXPECT_EQ(k_timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &id), 0);
	EXPECT_EQ(syscall(SYS_timer_delete, id), 0);
	EXPECT_EQ(k_timer_create(CLOCK_BOOTTIME, &sev, &id), 0);
	EXPECT_EQ(syscall(SYS_timer_delete, id), 0);
	/* Clocks without timers. */
	EXPECT_ERRNO(k_timer_create(CLOCK_MONOTONIC_RAW, &sev, &id), EOPNOTSUPP);
	EXPECT_ERRNO(k_timer_create(CLOCK_MONOTONIC_COARSE, &sev, &id), EOPNOTSUPP);
}

TEST(timers, timer_id_errors)
{
	struct k_sigevent sev = {.notify = K_SIGEV_NONE};
	int id = -1;
	EXPECT_EQ(k_timer_create(CLOCK_MONOTONIC, &sev, &id), 0);
	struct itimerspec bad = {{0, 0}, {0, 1000000000L}}, cur;
	EXPECT_ERRNO(syscall(SYS_timer_settime, id, 0, &bad, NULL), EINVAL);
	bad.it_value.tv_nsec = -1;
	EXPECT_ERRNO(syscall(SYS_timer_settime, id, 0, &bad, NULL), EINVAL);
	bad = (struct itimerspec){{0, 1000000000L}, {1, 0}};
	EXPECT_ERRNO(syscall(SYS_timer_settime, id, 0, &bad, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timer_settime, id, 0, NULL, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timer_settime, id, 0, H_BAD_PTR, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_timer_gettime, id, H_BAD_PTR), EFAULT);
	EXPECT_EQ(syscall(SYS_timer_delete, id), 0);
	/* Gone. */
	EXPECT_ERRNO(syscall(SYS_timer_gettime, id, &cur), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timer_getoverrun, id), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timer_delete, id), EINVAL);
	EXPECT_ERRNO(k_timer_settime(id, 0, MS, 0, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timer_delete, 123456), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timer_delete, -1), EINVAL);
}

TEST(timers, timer_process_cpu_clock)
{
	block(SIGUSR1);
	struct k_sigevent sev = {.value = 3, .signo = SIGUSR1, .notify = K_SIGEV_SIGNAL};
	int id = -1;
	EXPECT_EQ(k_timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &id), 0);
	EXPECT_EQ(k_timer_settime(id, 0, 20 * MS, 0, NULL), 0);
	sleep_ms(50);
	int early = is_pending(SIGUSR1);
	long long wall = mono_ns();
	volatile unsigned long x = 0;
	while (!is_pending(SIGUSR1) && mono_ns() - wall < 20000000000LL)
		for (int i = 0; i < 10000; i++)
			x += i;
	int sig = wait_sig(SIGUSR1, NULL, 0);
	syscall(SYS_timer_delete, id);
	drop(SIGUSR1);
	/* Sleeping uses no CPU time. */
	EXPECT_EQ(early, 0);
	EXPECT_EQ(sig, SIGUSR1);
}

/* --- timerfd ----------------------------------------------------------- */

static long tfd_set(int fd, int flags, long long value_ns, long long interval_ns,
		    struct itimerspec *old)
{
	struct itimerspec its = {ns_ts(interval_ns), ns_ts(value_ns)};
	return timerfd_settime(fd, flags, &its, old);
}

TEST(timers, timerfd_one_shot)
{
	int fd = EXPECT_OK(timerfd_create(CLOCK_MONOTONIC, 0));
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDWR);
	long long t0 = mono_ns();
	EXPECT_EQ(tfd_set(fd, 0, 20 * MS, 0, NULL), 0);
	uint64_t n = 0;
	EXPECT_EQ(read(fd, &n, 8), 8);
	EXPECT_GE(mono_ns() - t0, 20 * MS);
	EXPECT_EQ(n, 1);
	struct itimerspec cur;
	EXPECT_EQ(timerfd_gettime(fd, &cur), 0);
	EXPECT_EQ(ts_ns(cur.it_value), 0);
}

TEST(timers, timerfd_nonblock_and_poll)
{
	int fd = EXPECT_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	uint64_t n;
	/* Never armed. */
	EXPECT_ERRNO(read(fd, &n, 8), EAGAIN);
	EXPECT_EQ(tfd_set(fd, 0, 10 * MS, 0, NULL), 0);
	struct pollfd p = {fd, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	EXPECT_EQ(poll(&p, 1, 10000), 1);
	EXPECT_EQ(p.revents, POLLIN);
	EXPECT_EQ(read(fd, &n, 8), 8);
	EXPECT_EQ(n, 1);
	EXPECT_ERRNO(read(fd, &n, 8), EAGAIN);
	EXPECT_EQ(poll(&p, 1, 0), 0);
}

TEST(timers, timerfd_interval_counts)
{
	int fd = EXPECT_OK(timerfd_create(CLOCK_MONOTONIC, 0));
	EXPECT_EQ(tfd_set(fd, 0, 5 * MS, 5 * MS, NULL), 0);
	sleep_ms(60);
	uint64_t n = 0;
	EXPECT_EQ(read(fd, &n, 8), 8);
	EXPECT_GE(n, 5);
	struct itimerspec cur;
	EXPECT_EQ(timerfd_gettime(fd, &cur), 0);
	EXPECT_EQ(ts_ns(cur.it_interval), 5 * MS);
	EXPECT_GT(ts_ns(cur.it_value), 0);
	EXPECT_LE(ts_ns(cur.it_value), 5 * MS);
	/* The next read blocks for the next expiration. */
	EXPECT_EQ(read(fd, &n, 8), 8);
	EXPECT_GE(n, 1);
	/* Disarm, and the old value comes back. */
	struct itimerspec old;
	EXPECT_EQ(tfd_set(fd, 0, 0, 0, &old), 0);
	EXPECT_EQ(ts_ns(old.it_interval), 5 * MS);
	int fl = fcntl(fd, F_GETFL);
	EXPECT_OK(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_ERRNO(read(fd, &n, 8), EAGAIN);
}

TEST(timers, timerfd_abstime)
{
	int fd = EXPECT_OK(timerfd_create(CLOCK_REALTIME, 0));
	long long deadline = clock_ns(CLOCK_REALTIME) + 20 * MS;
	EXPECT_EQ(tfd_set(fd, TFD_TIMER_ABSTIME, deadline, 0, NULL), 0);
	uint64_t n = 0;
	EXPECT_EQ(read(fd, &n, 8), 8);
	EXPECT_GE(clock_ns(CLOCK_REALTIME), deadline);
	EXPECT_EQ(n, 1);
	int fd2 = EXPECT_OK(timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK));
	/* A past absolute time with an interval counts the missed periods. */
	long long now = clock_ns(CLOCK_BOOTTIME);
	EXPECT_EQ(tfd_set(fd2, TFD_TIMER_ABSTIME, now - 100 * MS, 10 * MS, NULL), 0);
	struct pollfd p = {fd2, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 10000), 1);
	EXPECT_EQ(read(fd2, &n, 8), 8);
	EXPECT_GE(n, 10);
}

TEST(timers, timerfd_errors)
{
	EXPECT_ERRNO(timerfd_create(99, 0), EINVAL);
	EXPECT_ERRNO(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
	EXPECT_ERRNO(timerfd_create(CLOCK_THREAD_CPUTIME_ID, 0), EINVAL);
	EXPECT_ERRNO(timerfd_create(CLOCK_MONOTONIC_RAW, 0), EINVAL);
	EXPECT_ERRNO(timerfd_create(CLOCK_MONOTONIC, 1), EINVAL);
	EXPECT_ERRNO(timerfd_create(CLOCK_MONOTONIC, TFD_TIMER_ABSTIME), EINVAL);
	int fd = EXPECT_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	char buf[16];
	EXPECT_ERRNO(read(fd, buf, 7), EINVAL);
	EXPECT_ERRNO(tfd_set(fd, 4, MS, 0, NULL), EINVAL);
	EXPECT_ERRNO(tfd_set(fd, 0x100, MS, 0, NULL), EINVAL);
	struct itimerspec bad = {{0, 0}, {0, 1000000000L}};
	EXPECT_ERRNO(timerfd_settime(fd, 0, &bad, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_timerfd_settime, fd, 0, H_BAD_PTR, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_timerfd_gettime, fd, H_BAD_PTR), EFAULT);
	/* Not a timerfd. */
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	struct itimerspec cur;
	EXPECT_ERRNO(timerfd_gettime(p[0], &cur), EINVAL);
	EXPECT_ERRNO(tfd_set(p[0], 0, MS, 0, NULL), EINVAL);
	EXPECT_ERRNO(timerfd_gettime(100, &cur), EBADF);
	EXPECT_ERRNO(write(fd, buf, 8), EINVAL);
}

/* --- CPU time ------------------------------------------------------------ */

TEST(timers, cpu_clocks_advance_only_when_running)
{
	long long p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	long long t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	long long adv = burn(CLOCK_THREAD_CPUTIME_ID, 50 * MS);
	long long p1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	long long t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	EXPECT_GE(adv, 50 * MS);
	EXPECT_GE(p1 - p0, 50 * MS);
	EXPECT_GE(t1 - t0, 50 * MS);
	sleep_ms(200);
	long long p2 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	long long t2 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	EXPECT_LT(p2 - p1, 100 * MS);
	EXPECT_LT(t2 - t1, 100 * MS);
}

static void *burn_thread(void *arg)
{
	*(long long *)arg = burn(CLOCK_THREAD_CPUTIME_ID, 50 * MS);
	return NULL;
}

TEST(timers, thread_clock_is_per_thread)
{
	long long t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	long long p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	long long adv = 0;
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, NULL, burn_thread, &adv), 0);
	pthread_join(t, NULL);
	long long t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	long long p1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	EXPECT_GE(adv, 50 * MS);
	/* The other thread's time counts for the process, not for us. */
	EXPECT_GE(p1 - p0, 50 * MS);
	EXPECT_LT(t1 - t0, 40 * MS);
}

static void child_burn(long ms)
{
	burn(CLOCK_PROCESS_CPUTIME_ID, ms * MS);
}

static long long tv_ns(struct timeval tv)
{
	return tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
}

TEST(timers, rusage_children_after_wait)
{
	struct rusage before, mid, after, self0, self1, child;
	EXPECT_OK(getrusage(RUSAGE_CHILDREN, &before));
	EXPECT_OK(getrusage(RUSAGE_SELF, &self0));
	struct tms tm0, tm1;
	EXPECT_NE(times(&tm0), (clock_t)-1);
	pid_t pid = spawn(child_burn, 100);
	/* Wait for the exit without reaping, then look. */
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int w = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	getrusage(RUSAGE_CHILDREN, &mid);
	int st;
	pid_t r = wait4(pid, &st, 0, &child);
	EXPECT_OK(getrusage(RUSAGE_CHILDREN, &after));
	EXPECT_OK(getrusage(RUSAGE_SELF, &self1));
	EXPECT_NE(times(&tm1), (clock_t)-1);
	EXPECT_EQ(w, 0);
	EXPECT_EQ(r, pid);
	EXPECT_EQ(st, 0);
	long long b = tv_ns(before.ru_utime) + tv_ns(before.ru_stime);
	long long m = tv_ns(mid.ru_utime) + tv_ns(mid.ru_stime);
	long long a = tv_ns(after.ru_utime) + tv_ns(after.ru_stime);
	long long c = tv_ns(child.ru_utime) + tv_ns(child.ru_stime);
	/* Not counted until reaped. */
	EXPECT_EQ(m, b);
	EXPECT_GE(a - b, 80 * MS);
	EXPECT_GE(c, 80 * MS);
	long long s = tv_ns(self1.ru_utime) + tv_ns(self1.ru_stime) -
		      tv_ns(self0.ru_utime) - tv_ns(self0.ru_stime);
	EXPECT_LT(s, 80 * MS);
	long hz = sysconf(_SC_CLK_TCK);
	EXPECT_EQ(hz, 100);
	long ticks = (tm1.tms_cutime + tm1.tms_cstime) - (tm0.tms_cutime + tm0.tms_cstime);
	EXPECT_GE(ticks, 8);
	EXPECT_GE(after.ru_maxrss, 1);
}

TEST(timers, getrusage_errors)
{
	struct rusage ru;
	EXPECT_ERRNO(getrusage(2, &ru), EINVAL);
	EXPECT_ERRNO(getrusage(-3, &ru), EINVAL);
	EXPECT_OK(getrusage(RUSAGE_THREAD, &ru));
	EXPECT_OK(getrusage(RUSAGE_SELF, &ru));
	EXPECT_GE(ru.ru_maxrss, 1);
	EXPECT_ERRNO(syscall(SYS_getrusage, RUSAGE_SELF, H_BAD_PTR), EFAULT);
}

TEST(timers, times_returns_ticks)
{
	struct tms t;
	clock_t a = times(&t);
	sleep_ms(50);
	clock_t b = times(NULL);
	EXPECT_GE((long)(b - a), 4);
	EXPECT_ERRNO(syscall(SYS_times, H_BAD_PTR), EFAULT);
}
