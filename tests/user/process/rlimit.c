/*
 * Suite rlimit: getrlimit(2), setrlimit(2), prlimit64(2) (raw syscalls).
 *
 * Guards Linux's kernel/sys.c do_prlimit: a resource >= RLIM_NLIMITS (16) is
 * EINVAL, soft > hard is EINVAL, RLIMIT_NOFILE above sysctl_nr_open is EPERM,
 * an unknown pid is ESRCH, pid 0 means the caller, bad pointers EFAULT; and
 * init's limits from include/asm-generic/resource.h INIT_RLIMITS: NOFILE
 * 1024/4096 (INR_OPEN_CUR/INR_OPEN_MAX), STACK 8 MiB/unlimited, CORE
 * 0/unlimited, CPU, FSIZE, DATA, AS, LOCKS, RTTIME unlimited, MEMLOCK 8 MiB,
 * MSGQUEUE 819200, NICE and RTPRIO 0.  Man page getrlimit(2).
 */
#include "harness.h"

#include <limits.h>
#include <sys/resource.h>

struct k_rlimit {
	uint64_t cur, max;
};
#define K_INF (~0ULL)

static long raw_prlimit(int pid, int res, const struct k_rlimit *new,
			struct k_rlimit *old)
{
	return syscall(SYS_prlimit64, pid, res, new, old);
}
static long raw_getrlimit(int res, struct k_rlimit *old)
{
	return syscall(SYS_getrlimit, res, old);
}
static long raw_setrlimit(int res, const struct k_rlimit *new)
{
	return syscall(SYS_setrlimit, res, new);
}

TEST(rlimit, nofile_sensible)
{
	struct k_rlimit r;
	EXPECT_EQ(raw_getrlimit(RLIMIT_NOFILE, &r), 0);
	EXPECT_GE(r.cur, 64);
	EXPECT_LE(r.cur, r.max);
	struct k_rlimit p;
	EXPECT_EQ(raw_prlimit(0, RLIMIT_NOFILE, NULL, &p), 0);
	EXPECT_EQ(p.cur, r.cur);
	EXPECT_EQ(p.max, r.max);
	EXPECT_EQ(raw_prlimit(getpid(), RLIMIT_NOFILE, NULL, &p), 0);
	EXPECT_EQ(p.cur, r.cur);
	struct rlimit l;
	EXPECT_OK(getrlimit(RLIMIT_NOFILE, &l));
	EXPECT_EQ(l.rlim_cur, r.cur);
	EXPECT_EQ(l.rlim_max, r.max);
}

TEST(rlimit, stack_sensible)
{
	struct k_rlimit r;
	EXPECT_EQ(raw_getrlimit(RLIMIT_STACK, &r), 0);
	EXPECT_GE(r.cur, 128 * 1024);
	EXPECT_TRUE(r.cur <= r.max);
}

static void expect_limit(int res, uint64_t cur, uint64_t max)
{
	struct k_rlimit r;
	if (raw_prlimit(0, res, NULL, &r) != 0)
		FAIL("prlimit64(resource %d): %s", res, h_errname(errno));
	if (r.cur != cur || r.max != max)
		FAIL("resource %d: expected %#llx/%#llx got %#llx/%#llx", res,
		     (unsigned long long)cur, (unsigned long long)max,
		     (unsigned long long)r.cur, (unsigned long long)r.max);
}

TEST(rlimit, init_defaults)
{
	if (!h_is_init())
		return; /* a host shell sets its own limits */
	expect_limit(RLIMIT_CPU, K_INF, K_INF);
	expect_limit(RLIMIT_FSIZE, K_INF, K_INF);
	expect_limit(RLIMIT_DATA, K_INF, K_INF);
	expect_limit(RLIMIT_STACK, 8 << 20, K_INF);
	expect_limit(RLIMIT_CORE, 0, K_INF);
	expect_limit(RLIMIT_RSS, K_INF, K_INF);
	expect_limit(RLIMIT_NOFILE, 1024, 4096);
	expect_limit(RLIMIT_MEMLOCK, 8 << 20, 8 << 20);
	expect_limit(RLIMIT_AS, K_INF, K_INF);
	expect_limit(RLIMIT_LOCKS, K_INF, K_INF);
	expect_limit(RLIMIT_MSGQUEUE, 819200, 819200);
	expect_limit(RLIMIT_NICE, 0, 0);
	expect_limit(RLIMIT_RTPRIO, 0, 0);
	expect_limit(RLIMIT_RTTIME, K_INF, K_INF);
	/* NPROC and SIGPENDING scale with memory: just non-zero. */
	struct k_rlimit r;
	EXPECT_EQ(raw_prlimit(0, RLIMIT_NPROC, NULL, &r), 0);
	EXPECT_GT(r.cur, 0);
	EXPECT_EQ(r.cur, r.max);
	EXPECT_EQ(raw_prlimit(0, RLIMIT_SIGPENDING, NULL, &r), 0);
	EXPECT_GT(r.cur, 0);
	EXPECT_EQ(r.cur, r.max);
}

TEST(rlimit, set_and_get_back)
{
	struct k_rlimit old, lower = {0, 0}, got, prev;
	EXPECT_EQ(raw_getrlimit(RLIMIT_NOFILE, &old), 0);
	lower.cur = 100;
	lower.max = old.max;
	EXPECT_EQ(raw_prlimit(0, RLIMIT_NOFILE, &lower, &prev), 0);
	/* old_rlim gets the value before the change. */
	EXPECT_EQ(prev.cur, old.cur);
	EXPECT_EQ(raw_getrlimit(RLIMIT_NOFILE, &got), 0);
	EXPECT_EQ(got.cur, 100);
	EXPECT_EQ(got.max, old.max);
	EXPECT_EQ(raw_setrlimit(RLIMIT_NOFILE, &old), 0);
	EXPECT_EQ(raw_getrlimit(RLIMIT_NOFILE, &got), 0);
	EXPECT_EQ(got.cur, old.cur);
}

TEST(rlimit, soft_above_hard_einval)
{
	struct k_rlimit old, bad;
	EXPECT_EQ(raw_getrlimit(RLIMIT_NOFILE, &old), 0);
	bad.cur = old.max + 1;
	bad.max = old.max;
	EXPECT_ERRNO(raw_setrlimit(RLIMIT_NOFILE, &bad), EINVAL);
	EXPECT_ERRNO(raw_prlimit(0, RLIMIT_NOFILE, &bad, NULL), EINVAL);
	EXPECT_EQ(raw_getrlimit(RLIMIT_STACK, &old), 0);
	bad.cur = 2 << 20;
	bad.max = 1 << 20;
	EXPECT_ERRNO(raw_setrlimit(RLIMIT_STACK, &bad), EINVAL);
}

TEST(rlimit, nofile_above_nr_open_eperm)
{
	struct k_rlimit inf = {K_INF, K_INF};
	EXPECT_ERRNO(raw_setrlimit(RLIMIT_NOFILE, &inf), EPERM);
}

TEST(rlimit, bad_resource_einval)
{
	struct k_rlimit r;
	EXPECT_ERRNO(raw_getrlimit(16, &r), EINVAL);
	EXPECT_ERRNO(raw_getrlimit(100, &r), EINVAL);
	EXPECT_ERRNO(raw_getrlimit(-1, &r), EINVAL);
	EXPECT_ERRNO(raw_prlimit(0, 16, NULL, &r), EINVAL);
	EXPECT_ERRNO(raw_setrlimit(16, &r), EINVAL);
	struct rlimit l;
	EXPECT_ERRNO(getrlimit(99, &l), EINVAL);
}

TEST(rlimit, esrch_efault)
{
	struct k_rlimit r;
	EXPECT_ERRNO(raw_prlimit(INT_MAX, RLIMIT_NOFILE, NULL, &r), ESRCH);
	EXPECT_ERRNO(raw_prlimit(0, RLIMIT_NOFILE, NULL, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_prlimit(0, RLIMIT_NOFILE, H_BAD_PTR, NULL), EFAULT);
	EXPECT_ERRNO(raw_getrlimit(RLIMIT_NOFILE, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_setrlimit(RLIMIT_NOFILE, H_BAD_PTR), EFAULT);
	/* Both NULL: nothing to do, success. */
	EXPECT_EQ(raw_prlimit(0, RLIMIT_NOFILE, NULL, NULL), 0);
}

TEST(rlimit, lowered_nofile_limits_dup2)
{
	struct k_rlimit old, lim;
	EXPECT_EQ(raw_getrlimit(RLIMIT_NOFILE, &old), 0);
	lim.cur = 20;
	lim.max = old.max;
	EXPECT_EQ(raw_setrlimit(RLIMIT_NOFILE, &lim), 0);
	EXPECT_ERRNO(dup2(0, 20), EBADF);
	EXPECT_EQ(dup2(0, 19), 19);
	EXPECT_ERRNO(fcntl(0, F_DUPFD, 20), EINVAL);
	EXPECT_OK(close(19));
	EXPECT_EQ(raw_setrlimit(RLIMIT_NOFILE, &old), 0);
}
