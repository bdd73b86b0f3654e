/*
 * Suite settime: clock_settime(2) and settimeofday(2), and what a step of
 * CLOCK_REALTIME does to timers and sleeps.
 *
 * Guards Linux's kernel/time/posix-timers.c (clock_settime: only
 * CLOCK_REALTIME has clock_set, the others are EINVAL, CPU clocks EPERM; the
 * timespec is copied (EFAULT) before anything else), kernel/time/time.c and
 * timekeeping.c (do_sys_settimeofday64: the value is checked (EINVAL) before
 * CAP_SYS_TIME (EPERM); a time earlier than the time since boot is EINVAL;
 * the time zone is minutes west within +-15 hours and gettimeofday returns
 * it), and hrtimer.c (absolute timers and sleeps on CLOCK_REALTIME follow a
 * step; relative ones run on CLOCK_MONOTONIC and do not, see __hrtimer_init),
 * fs/timerfd.c (TFD_TIMER_CANCEL_ON_SET: a step makes the timer readable and
 * its read ECANCELED). Also: CLOCK_TAI equals CLOCK_REALTIME (Linux's TAI
 * offset is 0 until adjtimex sets it), and /proc/stat's btime follows the
 * step.
 *
 * Stepping the clock is done only as the guest's init, and every test puts
 * the clock back (its value before plus the CLOCK_MONOTONIC time elapsed).
 */
#include "harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif

#define NS 1000000000LL
#define STEP_S 1000

static long long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * NS + ts->tv_nsec;
}

static long long now_ns(clockid_t clock)
{
	struct timespec ts;
	if (syscall(SYS_clock_gettime, clock, &ts) != 0)
		FAIL("clock_gettime(%d): %s", (int)clock, h_errname(errno));
	return ns_of(&ts);
}

static struct timespec ts_of(long long ns)
{
	struct timespec ts = {ns / NS, ns % NS};
	return ts;
}

static long raw_settime(clockid_t clock, const struct timespec *ts)
{
	return syscall(SYS_clock_settime, clock, ts);
}

/* The wall clock and CLOCK_MONOTONIC when a test started, to put it back. */
static long long saved_real, saved_mono;

static void save_clock(void)
{
	saved_mono = now_ns(CLOCK_MONOTONIC);
	saved_real = now_ns(CLOCK_REALTIME);
}

static void restore_clock(void)
{
	struct timespec ts =
		ts_of(saved_real + (now_ns(CLOCK_MONOTONIC) - saved_mono));
	if (raw_settime(CLOCK_REALTIME, &ts) != 0)
		FAIL("restoring the clock: %s", h_errname(errno));
}

/* Steps CLOCK_REALTIME by delta_ns. */
static void step_clock(long long delta_ns)
{
	struct timespec ts = ts_of(now_ns(CLOCK_REALTIME) + delta_ns);
	if (raw_settime(CLOCK_REALTIME, &ts) != 0)
		FAIL("clock_settime: %s", h_errname(errno));
}

TEST(settime, clocks_that_cannot_be_set)
{
	struct timespec ts = ts_of(now_ns(CLOCK_MONOTONIC) + 10 * NS);
	EXPECT_ERRNO(raw_settime(CLOCK_MONOTONIC, &ts), EINVAL);
	EXPECT_ERRNO(raw_settime(CLOCK_BOOTTIME, &ts), EINVAL);
	EXPECT_ERRNO(raw_settime(CLOCK_MONOTONIC_RAW, &ts), EINVAL);
	EXPECT_ERRNO(raw_settime(CLOCK_REALTIME_COARSE, &ts), EINVAL);
	EXPECT_ERRNO(raw_settime(CLOCK_TAI, &ts), EINVAL);
	EXPECT_ERRNO(raw_settime(16, &ts), EINVAL);
	/* The CPU clocks cannot be set either. */
	EXPECT_ERRNO(raw_settime(CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
	EXPECT_ERRNO(raw_settime(CLOCK_THREAD_CPUTIME_ID, &ts), EINVAL);
	/* The clock is checked before the value is read. */
	EXPECT_ERRNO(raw_settime(CLOCK_MONOTONIC, H_BAD_PTR), EINVAL);
	/* A CPU clock named by pid (clock_getcpuclockid) has clock_set, which
	 * refuses, after reading the value. */
	clockid_t cpu;
	EXPECT_EQ(clock_getcpuclockid(0, &cpu), 0);
	EXPECT_ERRNO(raw_settime(cpu, &ts), EPERM);
	EXPECT_ERRNO(raw_settime(cpu, H_BAD_PTR), EFAULT);
}

TEST(settime, bad_values_are_einval)
{
	struct timespec ts = {1, NS};
	EXPECT_ERRNO(raw_settime(CLOCK_REALTIME, &ts), EINVAL);
	ts.tv_nsec = -1;
	EXPECT_ERRNO(raw_settime(CLOCK_REALTIME, &ts), EINVAL);
	ts.tv_sec = -1;
	ts.tv_nsec = 0;
	EXPECT_ERRNO(raw_settime(CLOCK_REALTIME, &ts), EINVAL);
	EXPECT_ERRNO(raw_settime(CLOCK_REALTIME, H_BAD_PTR), EFAULT);
	/* Earlier than the time since boot: the boot time would be negative. */
	ts.tv_sec = 0;
	EXPECT_ERRNO(raw_settime(CLOCK_REALTIME, &ts), EINVAL);
	/* Past KTIME_SEC_MAX less 30 years. */
	ts.tv_sec = 9223372036LL;
	EXPECT_ERRNO(raw_settime(CLOCK_REALTIME, &ts), EINVAL);

	struct timeval tv = {1, 1000000};
	EXPECT_ERRNO(syscall(SYS_settimeofday, &tv, NULL), EINVAL);
	tv.tv_usec = -1;
	EXPECT_ERRNO(syscall(SYS_settimeofday, &tv, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_settimeofday, H_BAD_PTR, NULL), EFAULT);
	struct timezone tz = {15 * 60 + 1, 0};
	EXPECT_ERRNO(syscall(SYS_settimeofday, NULL, &tz), EINVAL);
	tz.tz_minuteswest = -15 * 60 - 1;
	EXPECT_ERRNO(syscall(SYS_settimeofday, NULL, &tz), EINVAL);
	EXPECT_ERRNO(syscall(SYS_settimeofday, NULL, H_BAD_PTR), EFAULT);
	/* Nothing to set is fine (for root). */
	EXPECT_EQ(syscall(SYS_settimeofday, NULL, NULL), 0);
}

static void try_as_nobody(void *arg)
{
	(void)arg;
	if (setgid(65534) != 0 || setuid(65534) != 0)
		h_exit(10);
	struct timespec ts = ts_of(now_ns(CLOCK_REALTIME) + 3600 * NS);
	if (raw_settime(CLOCK_REALTIME, &ts) != -1 || errno != EPERM)
		h_exit(11);
	/* The value is checked before the capability. */
	struct timespec bad = {1, NS};
	if (raw_settime(CLOCK_REALTIME, &bad) != -1 || errno != EINVAL)
		h_exit(12);
	struct timeval tv = {ts.tv_sec, 0};
	if (syscall(SYS_settimeofday, &tv, NULL) != -1 || errno != EPERM)
		h_exit(13);
	struct timezone tz = {60, 0};
	if (syscall(SYS_settimeofday, NULL, &tz) != -1 || errno != EPERM)
		h_exit(14);
	/* Even setting nothing needs the capability. */
	if (syscall(SYS_settimeofday, NULL, NULL) != -1 || errno != EPERM)
		h_exit(15);
}

TEST(settime, needs_cap_sys_time)
{
	long long before = now_ns(CLOCK_REALTIME);
	EXPECT_CHILD_OK(try_as_nobody, NULL);
	EXPECT_LT(now_ns(CLOCK_REALTIME) - before, 60 * NS);
}

TEST(settime, tai_is_realtime)
{
	long long real = now_ns(CLOCK_REALTIME);
	long long tai = now_ns(CLOCK_TAI);
	EXPECT_GE(tai - real, 0);
	EXPECT_LT(tai - real, NS / 2);
}

/* btime of /proc/stat (seconds). */
static long long proc_btime(void)
{
	char buf[16384];
	if (access("/proc/stat", R_OK) != 0)
		return -1;
	h_read_file("/proc/stat", buf, sizeof buf);
	const char *line = strstr(buf, "\nbtime ");
	return line ? atoll(line + 7) : -1;
}

TEST(settime, step_moves_the_wall_clocks_only)
{
	if (!h_is_init())
		return;
	save_clock();
	long long mono = now_ns(CLOCK_MONOTONIC);
	long long real = now_ns(CLOCK_REALTIME);
	long long btime = proc_btime();
	step_clock(STEP_S * NS);
	long long real2 = now_ns(CLOCK_REALTIME);
	long long mono2 = now_ns(CLOCK_MONOTONIC);
	long long tai2 = now_ns(CLOCK_TAI);
	struct timeval tv;
	gettimeofday(&tv, NULL); /* the vDSO's */
	struct timespec vts;
	clock_gettime(CLOCK_REALTIME, &vts); /* the vDSO's */
	struct timespec sleep = {0, 30000000};
	nanosleep(&sleep, NULL); /* a few ticks for the coarse clocks */
	long long coarse = now_ns(CLOCK_REALTIME_COARSE);
	time_t seconds = time(NULL);
	long long btime2 = proc_btime();
	restore_clock();
	EXPECT_GE(real2 - real, STEP_S * NS);
	EXPECT_LT(real2 - real, (STEP_S + 5) * NS);
	EXPECT_LT(mono2 - mono, 5 * NS);
	EXPECT_LT(tai2 - real2, 5 * NS);
	EXPECT_GE(tv.tv_sec, real2 / NS);
	EXPECT_LT(tv.tv_sec, real2 / NS + 5);
	EXPECT_GE(ns_of(&vts), real2);
	EXPECT_LT(ns_of(&vts) - real2, 5 * NS);
	EXPECT_GE(coarse, real2 - NS);
	EXPECT_LT(coarse - real2, 5 * NS);
	EXPECT_GE((long long)seconds, real2 / NS - 1);
	EXPECT_LT((long long)seconds, real2 / NS + 5);
	if (btime >= 0) {
		EXPECT_GE(btime2 - btime, STEP_S - 1);
		EXPECT_LE(btime2 - btime, STEP_S + 1);
	}
	/* And back. */
	long long real3 = now_ns(CLOCK_REALTIME);
	EXPECT_LT(real3 - real, 5 * NS);
	EXPECT_GE(real3, real);
}

TEST(settime, timezone_is_returned_by_gettimeofday)
{
	if (!h_is_init())
		return;
	struct timezone tz = {-120, 0}, got = {0, 0};
	EXPECT_EQ(syscall(SYS_settimeofday, NULL, &tz), 0);
	struct timeval tv;
	EXPECT_EQ(syscall(SYS_gettimeofday, &tv, &got), 0);
	struct timezone zero = {0, 0};
	EXPECT_EQ(syscall(SYS_settimeofday, NULL, &zero), 0);
	EXPECT_EQ(got.tz_minuteswest, -120);
	EXPECT_EQ(got.tz_dsttime, 0);
}

/* The child sleeps until an absolute CLOCK_REALTIME time far away, then
 * reports how long (CLOCK_MONOTONIC) the sleep took. */
static void sleep_absolute(void *arg)
{
	int fd = *(int *)arg;
	struct timespec until = ts_of(now_ns(CLOCK_REALTIME) + (STEP_S / 2) * NS);
	long long start = now_ns(CLOCK_MONOTONIC);
	h_post(fd);
	if (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL) != 0)
		h_exit(20);
	if (now_ns(CLOCK_MONOTONIC) - start > 30 * NS)
		h_exit(21);
}

TEST(settime, absolute_sleep_ends_when_the_clock_passes)
{
	if (!h_is_init())
		return;
	int fds[2];
	h_pipe(fds);
	pid_t pid = h_fork();
	if (pid == 0) {
		sleep_absolute(&fds[1]);
		h_exit(0);
	}
	h_wait_byte(fds[0]);
	struct timespec pause = {0, 50000000};
	nanosleep(&pause, NULL);
	save_clock();
	step_clock(STEP_S * NS);
	int code = h_wait_exit(pid);
	restore_clock();
	EXPECT_EQ(code, 0);
}

TEST(settime, relative_sleep_ignores_steps)
{
	if (!h_is_init())
		return;
	save_clock();
	/* A step back does not stretch a relative CLOCK_REALTIME sleep. */
	step_clock(-STEP_S * NS);
	long long start = now_ns(CLOCK_MONOTONIC);
	struct timespec rel = {0, 100000000};
	int rc = clock_nanosleep(CLOCK_REALTIME, 0, &rel, NULL);
	long long took = now_ns(CLOCK_MONOTONIC) - start;
	restore_clock();
	EXPECT_EQ(rc, 0);
	EXPECT_GE(took, 100000000LL);
	EXPECT_LT(took, 10 * NS);
}

static timer_t make_timer(int signo)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = signo;
	timer_t id;
	if (timer_create(CLOCK_REALTIME, &ev, &id) != 0)
		FAIL("timer_create: %s", h_errname(errno));
	return id;
}

/* Waits up to ms for signo (blocked); returns whether it came. */
static int wait_signal(int signo, long ms)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, signo);
	struct timespec timeout = {ms / 1000, (ms % 1000) * 1000000};
	return sigtimedwait(&set, NULL, &timeout) == signo;
}

TEST(settime, absolute_timer_fires_when_the_clock_passes)
{
	if (!h_is_init())
		return;
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	timer_t id = make_timer(SIGUSR1);
	struct itimerspec its = {{0, 0}, ts_of(now_ns(CLOCK_REALTIME) + 100 * NS)};
	EXPECT_EQ(timer_settime(id, TIMER_ABSTIME, &its, NULL), 0);
	save_clock();
	int early = wait_signal(SIGUSR1, 100);
	step_clock(200 * NS);
	int fired = wait_signal(SIGUSR1, 5000);
	restore_clock();
	timer_delete(id);
	sigprocmask(SIG_SETMASK, &old, NULL);
	EXPECT_EQ(early, 0);
	EXPECT_EQ(fired, 1);
}

TEST(settime, step_back_delays_an_absolute_timer_not_a_relative_one)
{
	if (!h_is_init())
		return;
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	timer_t absolute = make_timer(SIGUSR1);
	timer_t relative = make_timer(SIGUSR2);
	struct itimerspec abs_its = {{0, 0},
				     ts_of(now_ns(CLOCK_REALTIME) + NS / 5)};
	struct itimerspec rel_its = {{0, 0}, {0, 200000000}};
	save_clock();
	EXPECT_EQ(timer_settime(absolute, TIMER_ABSTIME, &abs_its, NULL), 0);
	EXPECT_EQ(timer_settime(relative, 0, &rel_its, NULL), 0);
	step_clock(-STEP_S * NS);
	int relative_fired = wait_signal(SIGUSR2, 5000);
	int absolute_fired = wait_signal(SIGUSR1, 300);
	struct itimerspec left;
	EXPECT_EQ(timer_gettime(absolute, &left), 0);
	restore_clock();
	int absolute_after = wait_signal(SIGUSR1, 5000);
	timer_delete(absolute);
	timer_delete(relative);
	sigprocmask(SIG_SETMASK, &old, NULL);
	EXPECT_EQ(relative_fired, 1);
	EXPECT_EQ(absolute_fired, 0);
	/* About STEP_S seconds left on the stepped-back clock. */
	EXPECT_GT(left.it_value.tv_sec, STEP_S - 10);
	EXPECT_LE(left.it_value.tv_sec, STEP_S);
	EXPECT_EQ(absolute_after, 1);
}

TEST(settime, timerfd_cancel_on_set)
{
	if (!h_is_init())
		return;
	int cancel = EXPECT_OK(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));
	int plain = EXPECT_OK(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));
	int relative = EXPECT_OK(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));
	struct itimerspec its = {{0, 0},
				 ts_of(now_ns(CLOCK_REALTIME) + 3600 * NS)};
	EXPECT_EQ(timerfd_settime(cancel,
				  TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
				  &its, NULL),
		  0);
	EXPECT_EQ(timerfd_settime(plain, TFD_TIMER_ABSTIME, &its, NULL), 0);
	struct itimerspec rel = {{0, 0}, {3600, 0}};
	/* CANCEL_ON_SET without ABSTIME is accepted and means nothing. */
	EXPECT_EQ(timerfd_settime(relative, TFD_TIMER_CANCEL_ON_SET, &rel,
				  NULL),
		  0);
	uint64_t ticks;
	EXPECT_ERRNO(read(cancel, &ticks, sizeof ticks), EAGAIN);
	save_clock();
	step_clock(10 * NS);
	struct pollfd pfd = {cancel, POLLIN, 0};
	int ready = poll(&pfd, 1, 1000);
	long r1 = read(cancel, &ticks, sizeof ticks);
	int e1 = errno;
	long r2 = read(cancel, &ticks, sizeof ticks);
	int e2 = errno;
	long r3 = read(plain, &ticks, sizeof ticks);
	int e3 = errno;
	long r4 = read(relative, &ticks, sizeof ticks);
	int e4 = errno;
	struct itimerspec left;
	EXPECT_EQ(timerfd_gettime(cancel, &left), 0);
	restore_clock();
	close(cancel);
	close(plain);
	close(relative);
	EXPECT_EQ(ready, 1);
	EXPECT_EQ(pfd.revents, POLLIN);
	EXPECT_EQ(r1, -1);
	EXPECT_EQ(e1, ECANCELED);
	/* Once reported, the cancellation is gone: the timer is still armed. */
	EXPECT_EQ(r2, -1);
	EXPECT_EQ(e2, EAGAIN);
	EXPECT_EQ(r3, -1);
	EXPECT_EQ(e3, EAGAIN);
	EXPECT_EQ(r4, -1);
	EXPECT_EQ(e4, EAGAIN);
	EXPECT_GT(left.it_value.tv_sec, 3000);
}
