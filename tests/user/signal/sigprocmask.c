/*
 * Suite sigprocmask: rt_sigprocmask(2) as the raw syscall (libc wrappers hide
 * their internal signals).
 *
 * Guards Linux's kernel/signal.c SYSCALL(rt_sigprocmask) and sigprocmask:
 * SIG_BLOCK/SIG_UNBLOCK/SIG_SETMASK round trips, the old mask returned before
 * the change, SIGKILL and SIGSTOP silently never blocked, an unknown "how"
 * EINVAL only when a new set is given, sigsetsize != 8 EINVAL, bad pointers
 * EFAULT.  Init starts with an empty mask.  Man page sigprocmask(2).
 */
#include "harness.h"

#include <signal.h>

#define BIT(sig) (1ULL << ((sig) - 1))

static long raw_mask(int how, const uint64_t *set, uint64_t *old, size_t size)
{
	return syscall(SYS_rt_sigprocmask, how, set, old, size);
}

static uint64_t current(void)
{
	uint64_t m = 0xdeadbeef;
	if (raw_mask(SIG_BLOCK, NULL, &m, 8) != 0)
		FAIL("rt_sigprocmask query: %s", h_errname(errno));
	return m;
}

TEST(sigprocmask, block_unblock_setmask)
{
	uint64_t set = BIT(SIGUSR1), old = 1;
	EXPECT_EQ(raw_mask(SIG_SETMASK, &(uint64_t){0}, NULL, 8), 0);
	EXPECT_EQ(raw_mask(SIG_BLOCK, &set, &old, 8), 0);
	EXPECT_EQX(old, 0);
	EXPECT_EQX(current(), BIT(SIGUSR1));
	set = BIT(SIGUSR2) | BIT(SIGHUP);
	EXPECT_EQ(raw_mask(SIG_BLOCK, &set, &old, 8), 0);
	EXPECT_EQX(old, BIT(SIGUSR1));
	EXPECT_EQX(current(), BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGHUP));
	set = BIT(SIGUSR1) | BIT(SIGTERM);
	EXPECT_EQ(raw_mask(SIG_UNBLOCK, &set, &old, 8), 0);
	EXPECT_EQX(current(), BIT(SIGUSR2) | BIT(SIGHUP));
	set = BIT(40) | BIT(64);
	EXPECT_EQ(raw_mask(SIG_SETMASK, &set, &old, 8), 0);
	EXPECT_EQX(old, BIT(SIGUSR2) | BIT(SIGHUP));
	EXPECT_EQX(current(), BIT(40) | BIT(64));
	EXPECT_EQ(raw_mask(SIG_SETMASK, &(uint64_t){0}, NULL, 8), 0);
	EXPECT_EQX(current(), 0);
}

TEST(sigprocmask, init_mask_empty)
{
	if (!h_is_init())
		return; /* a host shell may start us with signals blocked */
	/* The runner resets the mask with libc after each test; libc keeps
	 * none of its own signals blocked in a single-threaded program. */
	EXPECT_EQX(current(), 0);
}

TEST(sigprocmask, kill_stop_not_blockable)
{
	uint64_t all = ~0ULL;
	EXPECT_EQ(raw_mask(SIG_SETMASK, &all, NULL, 8), 0);
	uint64_t got = current();
	EXPECT_EQ(raw_mask(SIG_SETMASK, &(uint64_t){0}, NULL, 8), 0);
	EXPECT_EQX(got, ~(BIT(SIGKILL) | BIT(SIGSTOP)));
	uint64_t ks = BIT(SIGKILL) | BIT(SIGSTOP);
	EXPECT_EQ(raw_mask(SIG_BLOCK, &ks, NULL, 8), 0);
	EXPECT_EQX(current(), 0);
}

TEST(sigprocmask, bad_how)
{
	uint64_t set = BIT(SIGUSR1), old;
	EXPECT_ERRNO(raw_mask(3, &set, NULL, 8), EINVAL);
	EXPECT_ERRNO(raw_mask(-1, &set, NULL, 8), EINVAL);
	EXPECT_ERRNO(raw_mask(100, &set, &old, 8), EINVAL);
	EXPECT_EQX(current(), 0);
	/* Without a new set, "how" is not looked at. */
	EXPECT_EQ(raw_mask(100, NULL, &old, 8), 0);
	EXPECT_EQX(old, 0);
}

TEST(sigprocmask, sigsetsize_einval)
{
	uint64_t set = BIT(SIGUSR1), old;
	EXPECT_ERRNO(raw_mask(SIG_BLOCK, &set, NULL, 4), EINVAL);
	EXPECT_ERRNO(raw_mask(SIG_BLOCK, &set, NULL, 16), EINVAL);
	EXPECT_ERRNO(raw_mask(SIG_BLOCK, NULL, &old, 0), EINVAL);
	EXPECT_EQX(current(), 0);
}

TEST(sigprocmask, efault)
{
	EXPECT_ERRNO(raw_mask(SIG_BLOCK, H_BAD_PTR, NULL, 8), EFAULT);
	EXPECT_ERRNO(raw_mask(SIG_BLOCK, NULL, H_BAD_PTR, 8), EFAULT);
	EXPECT_ERRNO(raw_mask(SIG_BLOCK, H_KERNEL_PTR, NULL, 8), EFAULT);
	EXPECT_EQX(current(), 0);
}

TEST(sigprocmask, null_both_is_noop)
{
	EXPECT_EQ(raw_mask(SIG_BLOCK, NULL, NULL, 8), 0);
	EXPECT_EQ(raw_mask(12345, NULL, NULL, 8), 0);
}

TEST(sigprocmask, libc_wrapper)
{
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	EXPECT_OK(sigprocmask(SIG_BLOCK, &s, &old));
	EXPECT_TRUE(!sigismember(&old, SIGUSR1));
	EXPECT_OK(sigprocmask(SIG_BLOCK, NULL, &old));
	EXPECT_TRUE(sigismember(&old, SIGUSR1));
	EXPECT_EQX(current() & BIT(SIGUSR1), BIT(SIGUSR1));
	EXPECT_OK(sigprocmask(SIG_UNBLOCK, &s, NULL));
	EXPECT_EQX(current() & BIT(SIGUSR1), 0);
}
