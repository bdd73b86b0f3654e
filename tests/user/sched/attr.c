/*
 * Suite schedattr: sched_setattr(2) and sched_getattr(2).
 *
 * Guards Linux 6.1's kernel/sched/core.c: struct sched_attr's size rules
 * (0 means 48 bytes; below 48 or above a page, or a larger struct whose
 * tail is not zero, is E2BIG with the kernel's 56 written back into size;
 * sched_getattr copies min(size, 56) bytes and reports that size), EINVAL
 * for a NULL attr, negative pid, non-zero flags, unknown policy or flags,
 * priorities that do not match the policy, utilization clamps in a
 * 48-byte struct; EOPNOTSUPP for the clamps otherwise (Debian's 6.1 has no
 * CONFIG_UCLAMP_TASK); ESRCH for no such thread; SCHED_FLAG_KEEP_POLICY
 * and KEEP_PARAMS; nice set through sched_nice; SCHED_DEADLINE's
 * parameter checks (EINVAL), EPERM without CAP_SYS_NICE, bandwidth
 * admission (EBUSY over 95 %), fork refused with EAGAIN unless
 * reset-on-fork, and the reset-on-fork flag reported back.
 */
#include "harness.h"
#include "proc/proc.h"

#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* musl's sched_getscheduler is a stub (ENOSYS): ask the kernel. */
static long getscheduler(pid_t pid)
{
	return syscall(SYS_sched_getscheduler, pid);
}

struct attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
	uint32_t sched_util_min;
	uint32_t sched_util_max;
	unsigned char tail[16];
};

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#define FLAG_RESET_ON_FORK 0x01
#define FLAG_KEEP_POLICY 0x08
#define FLAG_KEEP_PARAMS 0x10
#define FLAG_UTIL_CLAMP_MIN 0x20

static long setattr(pid_t pid, void *attr, unsigned flags)
{
	return syscall(SYS_sched_setattr, pid, attr, flags);
}

static long getattr(pid_t pid, void *attr, unsigned size, unsigned flags)
{
	return syscall(SYS_sched_getattr, pid, attr, size, flags);
}

TEST(schedattr, size_rules)
{
	struct attr a;
	memset(&a, 0, sizeof a);
	a.size = 30;
	EXPECT_ERRNO(setattr(0, &a, 0), E2BIG);
	EXPECT_EQ(a.size, 56);
	memset(&a, 0, sizeof a);
	a.size = 72;
	a.tail[3] = 1;
	EXPECT_ERRNO(setattr(0, &a, 0), E2BIG);
	EXPECT_EQ(a.size, 56);
	a.size = 8192;
	EXPECT_ERRNO(setattr(0, &a, 0), E2BIG);
	EXPECT_EQ(a.size, 56);
	/* A larger struct with a zero tail, and size 0 (version 0). */
	memset(&a, 0, sizeof a);
	a.size = 72;
	EXPECT_EQ(setattr(0, &a, 0), 0);
	a.size = 0;
	EXPECT_EQ(setattr(0, &a, 0), 0);
	/* getattr: 48..4096, copies what both know. */
	memset(&a, 0xaa, sizeof a);
	EXPECT_EQ(getattr(0, &a, 48, 0), 0);
	EXPECT_EQ(a.size, 48);
	EXPECT_EQ(a.sched_policy, SCHED_OTHER);
	EXPECT_EQ(a.sched_util_min, 0xaaaaaaaa);
	memset(&a, 0xaa, sizeof a);
	EXPECT_EQ(getattr(0, &a, sizeof a, 0), 0);
	EXPECT_EQ(a.size, 56);
	EXPECT_EQ(a.sched_util_min, 0);
	EXPECT_EQ(a.sched_util_max, 0);
	EXPECT_EQ(a.tail[0], 0xaa);
	EXPECT_ERRNO(getattr(0, &a, 47, 0), EINVAL);
	EXPECT_ERRNO(getattr(0, &a, 4097, 0), EINVAL);
	EXPECT_ERRNO(getattr(0, &a, 56, 1), EINVAL);
	EXPECT_ERRNO(getattr(0, NULL, 56, 0), EINVAL);
	EXPECT_ERRNO(getattr(-1, &a, 56, 0), EINVAL);
	EXPECT_ERRNO(getattr(4194303, &a, 56, 0), ESRCH);
	EXPECT_ERRNO(getattr(0, (void *)8, 56, 0), EFAULT);
	EXPECT_ERRNO(setattr(0, (void *)8, 0), EFAULT);
}

TEST(schedattr, einval_and_esrch)
{
	struct attr a;
	memset(&a, 0, sizeof a);
	a.size = 56;
	EXPECT_ERRNO(setattr(0, NULL, 0), EINVAL);
	EXPECT_ERRNO(setattr(-1, &a, 0), EINVAL);
	EXPECT_ERRNO(setattr(0, &a, 1), EINVAL);
	EXPECT_ERRNO(setattr(4194303, &a, 0), ESRCH);
	a.sched_policy = 7;
	EXPECT_ERRNO(setattr(0, &a, 0), EINVAL);
	a.sched_policy = (uint32_t)-1;
	EXPECT_ERRNO(setattr(0, &a, 0), EINVAL);
	a.sched_policy = SCHED_FIFO;
	EXPECT_ERRNO(setattr(0, &a, 0), EINVAL);
	a.sched_priority = 100;
	EXPECT_ERRNO(setattr(0, &a, 0), EINVAL);
	a.sched_policy = SCHED_OTHER;
	a.sched_priority = 1;
	EXPECT_ERRNO(setattr(0, &a, 0), EINVAL);
	a.sched_priority = 0;
	a.sched_flags = 0x80;
	EXPECT_ERRNO(setattr(0, &a, 0), EINVAL);
	a.sched_flags = 0x10000000; /* SCHED_FLAG_SUGOV */
	EXPECT_ERRNO(setattr(0, &a, 0), EINVAL);
	a.sched_flags = FLAG_UTIL_CLAMP_MIN;
	EXPECT_ERRNO(setattr(0, &a, 0), EOPNOTSUPP);
	a.size = 48;
	EXPECT_ERRNO(setattr(0, &a, 0), EINVAL);
}

static void nice_and_keep(void *arg)
{
	(void)arg;
	struct attr a;
	memset(&a, 0, sizeof a);
	a.size = 56;
	a.sched_policy = SCHED_BATCH;
	a.sched_nice = 7;
	EXPECT_EQ(setattr(0, &a, 0), 0);
	errno = 0;
	EXPECT_EQ(getpriority(PRIO_PROCESS, 0), 7);
	EXPECT_EQ(getscheduler(0), SCHED_BATCH);
	/* Out-of-range nice is clamped. */
	a.sched_nice = 100;
	EXPECT_EQ(setattr(0, &a, 0), 0);
	EXPECT_EQ(getpriority(PRIO_PROCESS, 0), 19);
	/* KEEP_POLICY: the policy field is ignored. */
	a.sched_policy = SCHED_IDLE;
	a.sched_nice = 10;
	a.sched_flags = FLAG_KEEP_POLICY;
	EXPECT_EQ(setattr(0, &a, 0), 0);
	EXPECT_EQ(getscheduler(0), SCHED_BATCH);
	EXPECT_EQ(getpriority(PRIO_PROCESS, 0), 10);
	/* KEEP_PARAMS: nothing but the reset-on-fork flag changes (6.1
	 * skips __setscheduler_params, the policy included). */
	a.sched_policy = SCHED_OTHER;
	a.sched_nice = 0;
	a.sched_flags = FLAG_KEEP_PARAMS;
	EXPECT_EQ(setattr(0, &a, 0), 0);
	EXPECT_EQ(getscheduler(0), SCHED_BATCH);
	EXPECT_EQ(getpriority(PRIO_PROCESS, 0), 10);
	/* Real-time with reset-on-fork, read back. */
	memset(&a, 0, sizeof a);
	a.size = 56;
	a.sched_policy = SCHED_RR;
	a.sched_priority = 33;
	a.sched_flags = FLAG_RESET_ON_FORK;
	EXPECT_EQ(setattr(0, &a, 0), 0);
	memset(&a, 0, sizeof a);
	EXPECT_EQ(getattr(0, &a, 56, 0), 0);
	EXPECT_EQ(a.sched_policy, SCHED_RR);
	EXPECT_EQ(a.sched_priority, 33);
	EXPECT_EQ(a.sched_flags, FLAG_RESET_ON_FORK);
	EXPECT_EQ(a.sched_nice, 0);
	EXPECT_EQ(getscheduler(0), SCHED_RR | SCHED_RESET_ON_FORK);
	pid_t pid = fork();
	if (pid == 0)
		_exit(getscheduler(0) == SCHED_OTHER && getpriority(PRIO_PROCESS, 0) == 0 ? 0 : 1);
	int status;
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
}

TEST(schedattr, nice_keep_flags_reset_on_fork)
{
	EXPECT_CHILD_OK(nice_and_keep, NULL);
}

static void deadline(void *arg)
{
	(void)arg;
	struct attr a;
	memset(&a, 0, sizeof a);
	a.size = 56;
	a.sched_policy = SCHED_DEADLINE;
	a.sched_runtime = 10 * 1000 * 1000;
	a.sched_deadline = 30 * 1000 * 1000;
	a.sched_period = 30 * 1000 * 1000;
	struct attr bad = a;
	bad.sched_deadline = 0;
	EXPECT_ERRNO(setattr(0, &bad, 0), EINVAL);
	bad = a;
	bad.sched_runtime = 1000;
	EXPECT_ERRNO(setattr(0, &bad, 0), EINVAL);
	bad = a;
	bad.sched_runtime = 40 * 1000 * 1000;
	EXPECT_ERRNO(setattr(0, &bad, 0), EINVAL);
	bad = a;
	bad.sched_period = 20 * 1000 * 1000;
	EXPECT_ERRNO(setattr(0, &bad, 0), EINVAL);
	bad = a;
	bad.sched_period = 5ull * 1000 * 1000 * 1000;
	EXPECT_ERRNO(setattr(0, &bad, 0), EINVAL);
	bad = a;
	bad.sched_runtime = bad.sched_deadline = bad.sched_period = 50000;
	EXPECT_ERRNO(setattr(0, &bad, 0), EINVAL);
	bad = a;
	bad.sched_priority = 1;
	EXPECT_ERRNO(setattr(0, &bad, 0), EINVAL);
	/* All of a CPU is more than the 95 % that real-time may use of one CPU;
	 * with more CPUs the root domain has room for it. */
	bad = a;
	bad.sched_runtime = bad.sched_deadline;
	cpu_set_t cpus;
	EXPECT_OK(sched_getaffinity(0, sizeof cpus, &cpus));
	if (CPU_COUNT(&cpus) == 1)
		EXPECT_ERRNO(setattr(0, &bad, 0), EBUSY);
	else
		EXPECT_EQ(setattr(0, &bad, 0), 0);
	EXPECT_EQ(setattr(0, &a, 0), 0);
	struct attr got;
	memset(&got, 0, sizeof got);
	EXPECT_EQ(getattr(0, &got, 56, 0), 0);
	EXPECT_EQ(got.sched_policy, SCHED_DEADLINE);
	EXPECT_EQ(got.sched_runtime, a.sched_runtime);
	EXPECT_EQ(got.sched_deadline, a.sched_deadline);
	EXPECT_EQ(got.sched_period, a.sched_period);
	EXPECT_EQ(getscheduler(0), SCHED_DEADLINE);
	/* A deadline thread cannot fork. */
	EXPECT_ERRNO(fork(), EAGAIN);
	/* Period 0 means the deadline. */
	a.sched_period = 0;
	EXPECT_EQ(setattr(0, &a, 0), 0);
	EXPECT_EQ(getattr(0, &got, 56, 0), 0);
	EXPECT_EQ(got.sched_period, 30 * 1000 * 1000);
	memset(&a, 0, sizeof a);
	a.size = 56;
	EXPECT_EQ(setattr(0, &a, 0), 0);
	EXPECT_EQ(getscheduler(0), SCHED_OTHER);
	/* Unprivileged: no deadline at all. */
	if (setgid(65534) != 0 || setuid(65534) != 0)
		h_exit(30);
	a.sched_policy = SCHED_DEADLINE;
	a.sched_runtime = 10 * 1000 * 1000;
	a.sched_deadline = 30 * 1000 * 1000;
	EXPECT_ERRNO(setattr(0, &a, 0), EPERM);
	/* Raising nice is allowed, lowering it is not (RLIMIT_NICE 0). */
	memset(&a, 0, sizeof a);
	a.size = 56;
	a.sched_nice = 5;
	EXPECT_EQ(setattr(0, &a, 0), 0);
	a.sched_nice = 2;
	EXPECT_ERRNO(setattr(0, &a, 0), EPERM);
	a.sched_policy = SCHED_FIFO;
	a.sched_priority = 1;
	EXPECT_ERRNO(setattr(0, &a, 0), EPERM);
	EXPECT_ERRNO(setattr(1, &a, 0), EPERM);
}

TEST(schedattr, deadline_and_permissions)
{
	EXPECT_CHILD_OK(deadline, NULL);
}
