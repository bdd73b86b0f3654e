/*
 * Suite nanosleep: nanosleep(2) and clock_nanosleep(2) (raw syscalls for the
 * error paths; clock_nanosleep's libc wrapper returns the error number).
 *
 * Guards Linux's kernel/time/hrtimer.c SYSCALL(nanosleep) (a sleep lasts at
 * least the requested time by CLOCK_MONOTONIC; tv_nsec outside [0, 1e9) or a
 * negative tv_sec is EINVAL; a bad pointer EFAULT; rem is written only when
 * interrupted) and kernel/time/posix-timers.c clock_nanosleep (TIMER_ABSTIME
 * with a past deadline returns at once; unknown clocks are EINVAL;
 * CLOCK_THREAD_CPUTIME_ID, a clock without nsleep, is EOPNOTSUPP).  Man pages nanosleep(2), clock_nanosleep(2).
 */
#include "harness.h"

#include <time.h>

static long long mono_ns(void)
{
	struct timespec ts;
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0)
		FAIL("clock_gettime: %s", h_errname(errno));
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

TEST(nanosleep, sleeps_at_least_10ms)
{
	struct timespec req = {0, 10000000L}, rem = {77, 77};
	long long t0 = mono_ns();
	EXPECT_EQ(syscall(SYS_nanosleep, &req, &rem), 0);
	long long dt = mono_ns() - t0;
	EXPECT_GE(dt, 10000000LL);
	EXPECT_LT(dt, 2000000000LL);
	/* rem is left alone on a full sleep. */
	EXPECT_EQ(rem.tv_sec, 77);
	EXPECT_EQ(rem.tv_nsec, 77);
}

TEST(nanosleep, libc_wrapper)
{
	struct timespec req = {0, 20000000L};
	long long t0 = mono_ns();
	EXPECT_OK(nanosleep(&req, NULL));
	EXPECT_GE(mono_ns() - t0, 20000000LL);
}

TEST(nanosleep, zero_returns)
{
	struct timespec req = {0, 0};
	EXPECT_EQ(syscall(SYS_nanosleep, &req, NULL), 0);
	req.tv_nsec = 1;
	EXPECT_EQ(syscall(SYS_nanosleep, &req, NULL), 0);
}

TEST(nanosleep, einval)
{
	struct timespec req = {0, 1000000000L};
	EXPECT_ERRNO(syscall(SYS_nanosleep, &req, NULL), EINVAL);
	req.tv_nsec = -1;
	EXPECT_ERRNO(syscall(SYS_nanosleep, &req, NULL), EINVAL);
	req.tv_sec = -1;
	req.tv_nsec = 0;
	EXPECT_ERRNO(syscall(SYS_nanosleep, &req, NULL), EINVAL);
	req.tv_sec = 0;
	req.tv_nsec = 0x7fffffffffffffffL;
	EXPECT_ERRNO(syscall(SYS_nanosleep, &req, NULL), EINVAL);
}

TEST(nanosleep, efault)
{
	EXPECT_ERRNO(syscall(SYS_nanosleep, H_BAD_PTR, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_nanosleep, NULL, NULL), EFAULT);
}

TEST(nanosleep, clock_nanosleep_relative)
{
	struct timespec req = {0, 10000000L};
	long long t0 = mono_ns();
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL), 0);
	EXPECT_GE(mono_ns() - t0, 10000000LL);
	t0 = mono_ns();
	EXPECT_EQ(clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL), 0);
	EXPECT_GE(mono_ns() - t0, 10000000LL);
}

TEST(nanosleep, clock_nanosleep_absolute)
{
	struct timespec now, deadline;
	EXPECT_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now), 0);
	/* A deadline in the past returns at once. */
	long long t0 = mono_ns();
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL), 0);
	EXPECT_LT(mono_ns() - t0, 1000000000LL);
	deadline = now;
	deadline.tv_nsec += 15000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL), 0);
	EXPECT_GE(mono_ns(), deadline.tv_sec * 1000000000LL + deadline.tv_nsec);
}

TEST(nanosleep, clock_nanosleep_errors)
{
	struct timespec req = {0, 1000};
	/* The thread CPU clock has no nsleep: EOPNOTSUPP (not the EINVAL the
	 * man page lists). */
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL), EOPNOTSUPP);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, 16, 0, &req, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, 10, 0, &req, NULL), EINVAL);
	req.tv_nsec = 1000000000L;
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, H_BAD_PTR, NULL), EFAULT);
	/* The libc wrapper returns the error instead of setting errno. */
	EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), EINVAL);
}
