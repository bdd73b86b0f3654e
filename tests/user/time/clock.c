/*
 * Suite clock: clock_gettime(2), clock_getres(2), gettimeofday(2), time(2).
 * Error paths use raw syscalls (libc may answer from the vDSO, which would
 * crash on a bad pointer instead of returning EFAULT).
 *
 * Guards Linux's kernel/time/posix-timers.c and posix-cpu-timers.c: the
 * clocks REALTIME, MONOTONIC, PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID,
 * MONOTONIC_RAW, REALTIME_COARSE, MONOTONIC_COARSE, BOOTTIME, TAI exist; an
 * unknown id (e.g. 10, the removed CLOCK_SGI_CYCLE, or 16) is EINVAL; high
 * resolution clocks report a resolution of 1 ns, coarse ones one tick; a NULL
 * res is fine; MONOTONIC never goes back and BOOTTIME >= MONOTONIC; the CPU
 * clock advances while spinning; kernel/time/time.c gettimeofday (usec <
 * 1e6, timezone zeroed by default) and time (also stores through its
 * argument).  Man pages clock_gettime(2), gettimeofday(2), time(2).
 */
#include "harness.h"

#include <sys/time.h>
#include <time.h>

#ifndef CLOCK_BOOTTIME
#define CLOCK_BOOTTIME 7
#endif
#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif

static long raw_gettime(long clk, struct timespec *ts)
{
	return syscall(SYS_clock_gettime, clk, ts);
}
static long raw_getres(long clk, struct timespec *ts)
{
	return syscall(SYS_clock_getres, clk, ts);
}

static long long ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static void expect_valid(const struct timespec *ts)
{
	if (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L || ts->tv_sec < 0)
		FAIL("bad timespec {%lld, %ld}", (long long)ts->tv_sec, ts->tv_nsec);
}

TEST(clock, realtime_is_wall_time)
{
	struct timespec ts;
	EXPECT_EQ(raw_gettime(CLOCK_REALTIME, &ts), 0);
	expect_valid(&ts);
	/* After 2020-01-01: the RTC gave a real date. */
	EXPECT_GT(ts.tv_sec, 1577836800);
	struct timespec lts;
	EXPECT_OK(clock_gettime(CLOCK_REALTIME, &lts));
	EXPECT_LE(lts.tv_sec - ts.tv_sec, 1);
}

TEST(clock, all_clocks_readable)
{
	static const int clocks[] = {
		CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
		CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
		CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
		CLOCK_TAI,
	};
	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		struct timespec ts = {-1, -1};
		if (raw_gettime(clocks[i], &ts) != 0)
			FAIL("clock_gettime(%d): %s", clocks[i], h_errname(errno));
		expect_valid(&ts);
		if (clocks[i] != CLOCK_PROCESS_CPUTIME_ID &&
		    clocks[i] != CLOCK_THREAD_CPUTIME_ID && ns(&ts) <= 0)
			FAIL("clock %d reads zero", clocks[i]);
	}
}

TEST(clock, monotonic_non_decreasing)
{
	struct timespec prev, now;
	EXPECT_EQ(raw_gettime(CLOCK_MONOTONIC, &prev), 0);
	EXPECT_GT(ns(&prev), 0);
	for (int i = 0; i < 2000; i++) {
		if (i % 2)
			EXPECT_EQ(raw_gettime(CLOCK_MONOTONIC, &now), 0);
		else
			EXPECT_OK(clock_gettime(CLOCK_MONOTONIC, &now));
		if (ns(&now) < ns(&prev))
			FAIL("MONOTONIC went back: %lld then %lld", ns(&prev), ns(&now));
		prev = now;
	}
}

TEST(clock, boottime_at_least_monotonic)
{
	struct timespec mono, boot;
	EXPECT_EQ(raw_gettime(CLOCK_MONOTONIC, &mono), 0);
	EXPECT_EQ(raw_gettime(CLOCK_BOOTTIME, &boot), 0);
	EXPECT_GE(ns(&boot), ns(&mono));
	if (h_is_init())
		EXPECT_LT(boot.tv_sec, 3600); /* a fresh guest */
}

TEST(clock, cputime_advances)
{
	struct timespec c0, c1, t0, t;
	EXPECT_EQ(raw_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0), 0);
	EXPECT_GT(ns(&c0), 0);
	EXPECT_EQ(raw_gettime(CLOCK_MONOTONIC, &t0), 0);
	long spins = 0;
	do {
		EXPECT_EQ(raw_gettime(CLOCK_MONOTONIC, &t), 0);
		if (++spins > 20000000L)
			FAIL("MONOTONIC did not advance 30 ms in %ld reads", spins);
	} while (ns(&t) - ns(&t0) < 30000000LL);
	EXPECT_EQ(raw_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1), 0);
	EXPECT_GE(ns(&c1) - ns(&c0), 1000000LL);
	/* CPU time cannot exceed the wall time that passed (one thread). */
	EXPECT_LE(ns(&c1) - ns(&c0), ns(&t) - ns(&t0) + 20000000LL);
	struct timespec th;
	EXPECT_EQ(raw_gettime(CLOCK_THREAD_CPUTIME_ID, &th), 0);
	EXPECT_GT(ns(&th), 0);
}

TEST(clock, bad_clock_einval)
{
	struct timespec ts;
	EXPECT_ERRNO(raw_gettime(10, &ts), EINVAL);
	EXPECT_ERRNO(raw_gettime(16, &ts), EINVAL);
	EXPECT_ERRNO(raw_gettime(1000, &ts), EINVAL);
	EXPECT_ERRNO(raw_getres(10, &ts), EINVAL);
	EXPECT_ERRNO(raw_getres(16, &ts), EINVAL);
}

TEST(clock, gettime_efault)
{
	EXPECT_ERRNO(raw_gettime(CLOCK_REALTIME, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_gettime(CLOCK_MONOTONIC, NULL), EFAULT);
	EXPECT_ERRNO(raw_gettime(CLOCK_PROCESS_CPUTIME_ID, H_KERNEL_PTR), EFAULT);
}

TEST(clock, getres)
{
	struct timespec res;
	static const int hres[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
				   CLOCK_MONOTONIC_RAW, CLOCK_TAI,
				   CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
	for (size_t i = 0; i < sizeof hres / sizeof hres[0]; i++) {
		res.tv_sec = res.tv_nsec = -1;
		if (raw_getres(hres[i], &res) != 0)
			FAIL("clock_getres(%d): %s", hres[i], h_errname(errno));
		if (res.tv_sec != 0 || res.tv_nsec != 1)
			FAIL("clock %d: expected resolution 1 ns got {%lld, %ld}",
			     hres[i], (long long)res.tv_sec, res.tv_nsec);
	}
	/* Coarse clocks tick: between 1 ms (HZ=1000) and 10 ms (HZ=100). */
	EXPECT_EQ(raw_getres(CLOCK_MONOTONIC_COARSE, &res), 0);
	EXPECT_EQ(res.tv_sec, 0);
	EXPECT_GE(res.tv_nsec, 1000000);
	EXPECT_LE(res.tv_nsec, 10000000);
	struct timespec res2;
	EXPECT_EQ(raw_getres(CLOCK_REALTIME_COARSE, &res2), 0);
	EXPECT_EQ(res2.tv_nsec, res.tv_nsec);
	/* A NULL result is allowed. */
	EXPECT_EQ(raw_getres(CLOCK_MONOTONIC, NULL), 0);
	EXPECT_ERRNO(raw_getres(CLOCK_MONOTONIC, H_BAD_PTR), EFAULT);
	struct timespec lres;
	EXPECT_OK(clock_getres(CLOCK_MONOTONIC, &lres));
	EXPECT_EQ(lres.tv_nsec, 1);
}

TEST(clock, gettimeofday)
{
	struct timeval tv;
	struct timespec ts;
	EXPECT_EQ(syscall(SYS_gettimeofday, &tv, NULL), 0);
	EXPECT_EQ(raw_gettime(CLOCK_REALTIME, &ts), 0);
	EXPECT_GE(tv.tv_usec, 0);
	EXPECT_LT(tv.tv_usec, 1000000);
	EXPECT_GT(tv.tv_sec, 1577836800);
	long long us = tv.tv_sec * 1000000LL + tv.tv_usec;
	EXPECT_LE(us, ns(&ts) / 1000);
	EXPECT_GE(us, ns(&ts) / 1000 - 1000000);
	struct timeval ltv;
	EXPECT_OK(gettimeofday(&ltv, NULL));
	EXPECT_GE(ltv.tv_sec, tv.tv_sec);
	EXPECT_EQ(syscall(SYS_gettimeofday, NULL, NULL), 0);
}

TEST(clock, gettimeofday_timezone)
{
	struct {
		int minuteswest, dsttime;
	} tz = {123, 456};
	struct timeval tv;
	EXPECT_EQ(syscall(SYS_gettimeofday, &tv, &tz), 0);
	if (h_is_init()) {
		/* Nobody called settimeofday: the kernel's sys_tz is zero. */
		EXPECT_EQ(tz.minuteswest, 0);
		EXPECT_EQ(tz.dsttime, 0);
	}
	EXPECT_EQ(syscall(SYS_gettimeofday, NULL, &tz), 0);
}

TEST(clock, gettimeofday_efault)
{
	EXPECT_ERRNO(syscall(SYS_gettimeofday, H_BAD_PTR, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_gettimeofday, NULL, H_BAD_PTR), EFAULT);
}

TEST(clock, time)
{
	struct timespec ts;
	EXPECT_EQ(raw_gettime(CLOCK_REALTIME, &ts), 0);
	long t = syscall(SYS_time, NULL);
	EXPECT_GE(t, ts.tv_sec);
	EXPECT_LE(t, ts.tv_sec + 1);
	long stored = 0;
	long r = syscall(SYS_time, &stored);
	EXPECT_EQ(stored, r);
	time_t lt = 0;
	EXPECT_GE(time(&lt), t);
	EXPECT_GE(lt, t);
}

TEST(clock, time_efault)
{
	EXPECT_ERRNO(syscall(SYS_time, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_time, H_KERNEL_PTR), EFAULT);
}
