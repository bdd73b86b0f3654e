/*
 * Suite adjtimex: adjtimex(2) and clock_adjtime(2).
 *
 * Guards Linux 6.1's kernel/time/ntp.c and timekeeping_validate_timex:
 * values set read back (frequency in scaled ppm, clamped to 500 ppm; the
 * time constant +4 in microsecond mode; read-only status bits ignored);
 * STA_NANO/ADJ_MICRO switch the units of time and offset; EPERM for any
 * change without CAP_SYS_TIME while reading and ADJ_OFFSET_SS_READ stay
 * allowed; EINVAL for ADJ_ADJTIME without the single-shot bits, a tick
 * beyond 10 %, a bad ADJ_SETOFFSET fraction, an overflowing frequency;
 * EFAULT; ADJ_SETOFFSET steps CLOCK_REALTIME; ADJ_OFFSET_SINGLESHOT is
 * returned by the next call; ADJ_TAI moves CLOCK_TAI; the leap-second
 * state machine (TIME_INS once STA_INS is seen, a second inserted at the
 * end of the UTC day, TIME_WAIT after, TIME_OK when the flag is cleared);
 * clock_adjtime only adjusts CLOCK_REALTIME (EOPNOTSUPP for the other
 * clocks, EINVAL for unknown ids).
 */
#include "harness.h"

#include <stdint.h>
#include <string.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long adj(struct timex *t)
{
	return syscall(SYS_adjtimex, t);
}

static long cadj(clockid_t clock, struct timex *t)
{
	return syscall(SYS_clock_adjtime, clock, t);
}

static struct timex saved;

static void save_state(void)
{
	memset(&saved, 0, sizeof saved);
	if (adj(&saved) < 0)
		FAIL("adjtimex read: %s", h_errname(errno));
}

static void restore_state(void)
{
	struct timex t;
	memset(&t, 0, sizeof t);
	t.modes = ADJ_STATUS | ADJ_FREQUENCY | ADJ_MAXERROR | ADJ_ESTERROR |
		  ADJ_TICK | ADJ_TAI;
	t.status = saved.status;
	t.freq = saved.freq;
	t.maxerror = saved.maxerror;
	t.esterror = saved.esterror;
	t.tick = saved.tick;
	t.constant = saved.tai;
	adj(&t);
	memset(&t, 0, sizeof t);
	t.modes = ADJ_OFFSET_SINGLESHOT;
	adj(&t);
}

TEST(adjtimex, values_read_back)
{
	save_state();
	struct timex t;
	memset(&t, 0, sizeof t);
	t.modes = ADJ_FREQUENCY | ADJ_MAXERROR | ADJ_ESTERROR | ADJ_STATUS |
		  ADJ_TIMECONST | ADJ_MICRO;
	t.freq = 100 << 16;
	t.maxerror = 1000;
	t.esterror = 200;
	t.status = STA_PLL | STA_CLOCKERR;
	t.constant = 3;
	long state = adj(&t);
	EXPECT_GE(state, TIME_OK);
	EXPECT_EQ(t.freq, 100 << 16);
	EXPECT_EQ(t.maxerror, 1000);
	EXPECT_EQ(t.esterror, 200);
	EXPECT_EQ(t.status & ~STA_NANO, STA_PLL);
	EXPECT_EQ(t.constant, 7);
	EXPECT_EQ(t.tick, 10000);
	EXPECT_EQ(t.tolerance, 32768000);
	EXPECT_EQ(t.precision, 1);
	/* 600 ppm is clamped to 500. */
	memset(&t, 0, sizeof t);
	t.modes = ADJ_FREQUENCY;
	t.freq = 600l << 16;
	EXPECT_GE(adj(&t), 0);
	EXPECT_EQ(t.freq, 500l << 16);
	/* Nanosecond units, then microseconds again. */
	memset(&t, 0, sizeof t);
	t.modes = ADJ_NANO;
	EXPECT_GE(adj(&t), 0);
	EXPECT_TRUE(t.status & STA_NANO);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	EXPECT_LE(t.time.tv_sec, now.tv_sec);
	EXPECT_GE(t.time.tv_sec, now.tv_sec - 1);
	EXPECT_LT(t.time.tv_usec, 1000000000);
	memset(&t, 0, sizeof t);
	t.modes = ADJ_MICRO;
	EXPECT_GE(adj(&t), 0);
	EXPECT_EQ(t.status & STA_NANO, 0);
	EXPECT_LT(t.time.tv_usec, 1000000);
	/* Unsynchronized is TIME_ERROR. */
	memset(&t, 0, sizeof t);
	t.modes = ADJ_STATUS;
	t.status = STA_UNSYNC;
	EXPECT_EQ(adj(&t), TIME_ERROR);
	restore_state();
}

static void unprivileged(void *arg)
{
	(void)arg;
	if (setgid(65534) != 0 || setuid(65534) != 0)
		h_exit(30);
	struct timex t;
	memset(&t, 0, sizeof t);
	EXPECT_GE(adj(&t), 0);
	t.modes = ADJ_OFFSET_SS_READ;
	EXPECT_GE(adj(&t), 0);
	t.modes = ADJ_OFFSET_SINGLESHOT;
	EXPECT_ERRNO(adj(&t), EPERM);
	t.modes = ADJ_MAXERROR;
	EXPECT_ERRNO(adj(&t), EPERM);
	t.modes = ADJ_SETOFFSET;
	EXPECT_ERRNO(cadj(CLOCK_REALTIME, &t), EPERM);
	/* EPERM comes before the tick check. */
	t.modes = ADJ_TICK;
	t.tick = 1;
	EXPECT_ERRNO(adj(&t), EPERM);
}

TEST(adjtimex, errors)
{
	struct timex t;
	memset(&t, 0, sizeof t);
	t.modes = 0x8000; /* ADJ_ADJTIME alone */
	EXPECT_ERRNO(adj(&t), EINVAL);
	t.modes = ADJ_TICK;
	t.tick = 8999;
	EXPECT_ERRNO(adj(&t), EINVAL);
	t.tick = 11001;
	EXPECT_ERRNO(adj(&t), EINVAL);
	memset(&t, 0, sizeof t);
	t.modes = ADJ_SETOFFSET;
	t.time.tv_usec = 1000000;
	EXPECT_ERRNO(adj(&t), EINVAL);
	t.time.tv_usec = -1;
	EXPECT_ERRNO(adj(&t), EINVAL);
	t.modes = ADJ_SETOFFSET | ADJ_NANO;
	t.time.tv_usec = 1000000000;
	EXPECT_ERRNO(adj(&t), EINVAL);
	memset(&t, 0, sizeof t);
	t.modes = ADJ_FREQUENCY;
	t.freq = INT64_MAX / 65536000 + 1;
	EXPECT_ERRNO(adj(&t), EINVAL);
	EXPECT_ERRNO(syscall(SYS_adjtimex, (void *)8), EFAULT);
	EXPECT_ERRNO(cadj(CLOCK_REALTIME, (void *)8), EFAULT);
	EXPECT_CHILD_OK(unprivileged, NULL);
}

TEST(adjtimex, clock_adjtime_clocks)
{
	struct timex t;
	memset(&t, 0, sizeof t);
	EXPECT_GE(cadj(CLOCK_REALTIME, &t), 0);
	EXPECT_EQ(t.tick, 10000);
	static const clockid_t unsupported[] = {
		CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME,
		CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_TAI,
		CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
		-2 /* CPU clock of process 0, SCHED */,
	};
	for (unsigned i = 0; i < sizeof unsupported / sizeof *unsupported; i++) {
		memset(&t, 0, sizeof t);
		EXPECT_ERRNO(cadj(unsupported[i], &t), EOPNOTSUPP);
	}
	EXPECT_ERRNO(cadj(10, &t), EINVAL);
	EXPECT_ERRNO(cadj(16, &t), EINVAL);
	EXPECT_ERRNO(cadj(1000, &t), EINVAL);
	/* A dynamic clock id on a descriptor that is not a clock. */
	EXPECT_ERRNO(cadj((~(clockid_t)100 << 3) | 3, &t), EINVAL);
}

static long long realtime_minus_monotonic_ms(void)
{
	struct timespec r, m;
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return (r.tv_sec - m.tv_sec) * 1000LL + (r.tv_nsec - m.tv_nsec) / 1000000;
}

TEST(adjtimex, setoffset_singleshot_tai)
{
	save_state();
	long long before = realtime_minus_monotonic_ms();
	struct timex t;
	memset(&t, 0, sizeof t);
	t.modes = ADJ_SETOFFSET;
	t.time.tv_sec = 10;
	t.time.tv_usec = 500000;
	EXPECT_GE(adj(&t), 0);
	long long moved = realtime_minus_monotonic_ms() - before;
	EXPECT_GE(moved, 10490);
	EXPECT_LE(moved, 10510);
	/* Back: -11 s + 0.5 s in nanoseconds. */
	memset(&t, 0, sizeof t);
	t.modes = ADJ_SETOFFSET | ADJ_NANO;
	t.time.tv_sec = -11;
	t.time.tv_usec = 500000000;
	EXPECT_GE(cadj(CLOCK_REALTIME, &t), 0);
	moved = realtime_minus_monotonic_ms() - before;
	EXPECT_GE(moved, -10);
	EXPECT_LE(moved, 10);
	/* A step to before the boot is EINVAL. */
	memset(&t, 0, sizeof t);
	t.modes = ADJ_SETOFFSET;
	t.time.tv_sec = -before / 1000 - 1000;
	EXPECT_ERRNO(adj(&t), EINVAL);
	/* adjtime's one-shot offset comes back from the next call. */
	memset(&t, 0, sizeof t);
	t.modes = ADJ_OFFSET_SINGLESHOT;
	t.offset = 2000;
	EXPECT_GE(adj(&t), 0);
	memset(&t, 0, sizeof t);
	t.modes = ADJ_OFFSET_SS_READ;
	EXPECT_GE(adj(&t), 0);
	EXPECT_GT(t.offset, 0);
	EXPECT_LE(t.offset, 2000);
	memset(&t, 0, sizeof t);
	t.modes = ADJ_OFFSET_SINGLESHOT;
	t.offset = 0;
	EXPECT_GE(adj(&t), 0);
	EXPECT_GT(t.offset, 0);
	/* ADJ_TAI takes its value from `constant`. */
	memset(&t, 0, sizeof t);
	t.modes = ADJ_TAI;
	t.constant = 37;
	EXPECT_GE(adj(&t), 0);
	EXPECT_EQ(t.tai, 37);
	struct timespec tai, real;
	clock_gettime(CLOCK_TAI, &tai);
	clock_gettime(CLOCK_REALTIME, &real);
	EXPECT_GE(tai.tv_sec - real.tv_sec, 36);
	EXPECT_LE(tai.tv_sec - real.tv_sec, 37);
	/* Out of range: ignored. */
	t.modes = ADJ_TAI;
	t.constant = -1;
	EXPECT_GE(adj(&t), 0);
	EXPECT_EQ(t.tai, 37);
	restore_state();
	memset(&t, 0, sizeof t);
	EXPECT_GE(adj(&t), 0);
	EXPECT_EQ(t.tai, saved.tai);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0)
		;
}

TEST(adjtimex, leap_second_inserted)
{
	h_set_timeout(30);
	save_state();
	struct timespec start_real, start_mono;
	clock_gettime(CLOCK_REALTIME, &start_real);
	clock_gettime(CLOCK_MONOTONIC, &start_mono);
	/* 1.5 s before the end of a UTC day. */
	struct timespec target = {start_real.tv_sec - start_real.tv_sec % 86400 + 86400 - 2, 500000000};
	EXPECT_EQ(clock_settime(CLOCK_REALTIME, &target), 0);
	struct timex t;
	memset(&t, 0, sizeof t);
	/* maxerror below its 16 s limit, or the next second marks the clock
	 * unsynchronized (TIME_ERROR). */
	t.modes = ADJ_STATUS | ADJ_TAI | ADJ_MAXERROR;
	t.status = STA_INS;
	t.constant = 10;
	t.maxerror = 0;
	EXPECT_GE(adj(&t), 0);
	long long before = realtime_minus_monotonic_ms();
	sleep_ms(700);
	memset(&t, 0, sizeof t);
	EXPECT_EQ(adj(&t), TIME_INS);
	/* Past the leap: the wall clock repeated a second. */
	sleep_ms(2300);
	long long after = realtime_minus_monotonic_ms();
	EXPECT_GE(before - after, 990);
	EXPECT_LE(before - after, 1010);
	memset(&t, 0, sizeof t);
	EXPECT_EQ(adj(&t), TIME_WAIT);
	EXPECT_EQ(t.tai, 11);
	memset(&t, 0, sizeof t);
	t.modes = ADJ_STATUS;
	t.status = 0;
	EXPECT_GE(adj(&t), 0);
	sleep_ms(1100);
	memset(&t, 0, sizeof t);
	EXPECT_EQ(adj(&t), TIME_OK);
	/* Put the clock back where it would be. */
	struct timespec now_mono, back;
	clock_gettime(CLOCK_MONOTONIC, &now_mono);
	back.tv_sec = start_real.tv_sec + (now_mono.tv_sec - start_mono.tv_sec);
	back.tv_nsec = start_real.tv_nsec + (now_mono.tv_nsec - start_mono.tv_nsec);
	if (back.tv_nsec < 0) {
		back.tv_nsec += 1000000000;
		back.tv_sec--;
	} else if (back.tv_nsec >= 1000000000) {
		back.tv_nsec -= 1000000000;
		back.tv_sec++;
	}
	EXPECT_EQ(clock_settime(CLOCK_REALTIME, &back), 0);
	restore_state();
}
