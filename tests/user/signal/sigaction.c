/*
 * Suite sigaction: rt_sigaction(2) as the raw syscall (kernel struct
 * sigaction: handler, flags, restorer, mask).  No handler ever runs here.
 *
 * Guards Linux's kernel/signal.c do_sigaction and SYSCALL(rt_sigaction):
 * sigsetsize must be 8 (else EINVAL); signal numbers outside 1..64 are EINVAL;
 * SIGKILL and SIGSTOP may be queried but not changed (EINVAL); the stored
 * action is returned verbatim except that SIGKILL/SIGSTOP are removed from
 * sa_mask and flag bits outside UAPI_SA_FLAGS are cleared (so user space can
 * detect unsupported flags, e.g. SA_UNSUPPORTED 0x400); the old action is
 * returned before the new one is installed; bad pointers are EFAULT.
 * Man page sigaction(2).
 */
#include "harness.h"

#include <signal.h>

#define K_SA_NOCLDSTOP 0x00000001UL
#define K_SA_SIGINFO 0x00000004UL
#define K_SA_UNSUPPORTED 0x00000400UL
#define K_SA_ONSTACK 0x08000000UL
#define K_SA_RESTART 0x10000000UL
#define K_SA_NODEFER 0x40000000UL
#define K_SA_RESETHAND 0x80000000UL
#define K_SA_RESTORER 0x04000000UL

#define BIT(sig) (1ULL << ((sig) - 1))

static long raw_sigaction(int sig, const struct k_sigaction *act,
			  struct k_sigaction *old, size_t size)
{
	return syscall(SYS_rt_sigaction, sig, act, old, size);
}

static void handler(int sig)
{
	(void)sig;
}
static void restorer(void)
{
}

static void reset(int sig)
{
	struct k_sigaction dfl = {SIG_DFL, 0, NULL, 0};
	raw_sigaction(sig, &dfl, NULL, 8);
}

TEST(sigaction, default_is_sig_dfl)
{
	struct k_sigaction old;
	memset(&old, 0xff, sizeof old);
	EXPECT_EQ(raw_sigaction(SIGUSR1, NULL, &old, 8), 0);
	EXPECT_EQX((uintptr_t)old.handler, (uintptr_t)SIG_DFL);
	EXPECT_EQ(old.mask, 0);
}

TEST(sigaction, store_and_read_back)
{
	struct k_sigaction act = {
		(void *)handler,
		K_SA_SIGINFO | K_SA_RESTART | K_SA_RESTORER | K_SA_NODEFER,
		(void *)restorer,
		BIT(SIGUSR2) | BIT(SIGTERM) | BIT(40),
	};
	struct k_sigaction old, got;
	EXPECT_EQ(raw_sigaction(SIGUSR1, &act, &old, 8), 0);
	EXPECT_EQX((uintptr_t)old.handler, (uintptr_t)SIG_DFL);
	memset(&got, 0, sizeof got);
	EXPECT_EQ(raw_sigaction(SIGUSR1, NULL, &got, 8), 0);
	reset(SIGUSR1);
	EXPECT_EQX((uintptr_t)got.handler, (uintptr_t)handler);
	EXPECT_EQX(got.flags, act.flags);
	EXPECT_EQX((uintptr_t)got.restorer, (uintptr_t)restorer);
	EXPECT_EQX(got.mask, act.mask);
}

TEST(sigaction, old_returned_before_new)
{
	struct k_sigaction a = {(void *)handler, K_SA_RESTORER, (void *)restorer, 0};
	struct k_sigaction b = {SIG_IGN, K_SA_RESTORER | K_SA_RESETHAND, (void *)restorer, BIT(SIGINT)};
	struct k_sigaction old;
	EXPECT_EQ(raw_sigaction(SIGUSR2, &a, NULL, 8), 0);
	EXPECT_EQ(raw_sigaction(SIGUSR2, &b, &old, 8), 0);
	struct k_sigaction now;
	EXPECT_EQ(raw_sigaction(SIGUSR2, NULL, &now, 8), 0);
	reset(SIGUSR2);
	EXPECT_EQX((uintptr_t)old.handler, (uintptr_t)handler);
	EXPECT_EQX(old.flags, K_SA_RESTORER);
	EXPECT_EQX((uintptr_t)now.handler, (uintptr_t)SIG_IGN);
	EXPECT_EQX(now.flags, K_SA_RESTORER | K_SA_RESETHAND);
	EXPECT_EQX(now.mask, BIT(SIGINT));
}

TEST(sigaction, same_struct_for_act_and_old)
{
	struct k_sigaction a = {(void *)handler, K_SA_RESTORER, (void *)restorer, BIT(SIGHUP)};
	EXPECT_EQ(raw_sigaction(SIGUSR1, &a, NULL, 8), 0);
	struct k_sigaction b = {SIG_IGN, K_SA_RESTORER, (void *)restorer, 0};
	EXPECT_EQ(raw_sigaction(SIGUSR1, &b, &b, 8), 0);
	struct k_sigaction now;
	EXPECT_EQ(raw_sigaction(SIGUSR1, NULL, &now, 8), 0);
	reset(SIGUSR1);
	EXPECT_EQX((uintptr_t)b.handler, (uintptr_t)handler);
	EXPECT_EQX(b.mask, BIT(SIGHUP));
	EXPECT_EQX((uintptr_t)now.handler, (uintptr_t)SIG_IGN);
}

TEST(sigaction, kill_stop_removed_from_mask)
{
	struct k_sigaction act = {(void *)handler, K_SA_RESTORER, (void *)restorer,
				  ~0ULL};
	struct k_sigaction got;
	EXPECT_EQ(raw_sigaction(SIGUSR1, &act, NULL, 8), 0);
	EXPECT_EQ(raw_sigaction(SIGUSR1, NULL, &got, 8), 0);
	reset(SIGUSR1);
	EXPECT_EQX(got.mask, ~(BIT(SIGKILL) | BIT(SIGSTOP)));
}

TEST(sigaction, unknown_flags_cleared)
{
	struct k_sigaction act = {(void *)handler,
				  K_SA_RESTORER | K_SA_UNSUPPORTED | 0x00100000UL,
				  (void *)restorer, 0};
	struct k_sigaction got;
	EXPECT_EQ(raw_sigaction(SIGUSR1, &act, NULL, 8), 0);
	EXPECT_EQ(raw_sigaction(SIGUSR1, NULL, &got, 8), 0);
	reset(SIGUSR1);
	EXPECT_EQX(got.flags, K_SA_RESTORER);
}

TEST(sigaction, kill_and_stop_einval)
{
	struct k_sigaction act = {SIG_IGN, K_SA_RESTORER, (void *)restorer, 0};
	EXPECT_ERRNO(raw_sigaction(SIGKILL, &act, NULL, 8), EINVAL);
	EXPECT_ERRNO(raw_sigaction(SIGSTOP, &act, NULL, 8), EINVAL);
	act.handler = SIG_DFL;
	EXPECT_ERRNO(raw_sigaction(SIGKILL, &act, NULL, 8), EINVAL);
	/* Querying them is allowed. */
	struct k_sigaction old;
	EXPECT_EQ(raw_sigaction(SIGKILL, NULL, &old, 8), 0);
	EXPECT_EQX((uintptr_t)old.handler, (uintptr_t)SIG_DFL);
	EXPECT_EQ(raw_sigaction(SIGSTOP, NULL, &old, 8), 0);
}

TEST(sigaction, signal_number_range)
{
	struct k_sigaction act = {SIG_IGN, K_SA_RESTORER, (void *)restorer, 0}, old;
	EXPECT_ERRNO(raw_sigaction(0, &act, NULL, 8), EINVAL);
	EXPECT_ERRNO(raw_sigaction(0, NULL, &old, 8), EINVAL);
	EXPECT_ERRNO(raw_sigaction(65, &act, NULL, 8), EINVAL);
	EXPECT_ERRNO(raw_sigaction(65, NULL, &old, 8), EINVAL);
	EXPECT_ERRNO(raw_sigaction(-1, NULL, &old, 8), EINVAL);
	/* 64 (SIGRTMAX) and 32/33 (used by libcs) are valid for the kernel. */
	EXPECT_EQ(raw_sigaction(64, &act, &old, 8), 0);
	reset(64);
	EXPECT_EQ(raw_sigaction(32, NULL, &old, 8), 0);
	EXPECT_EQ(raw_sigaction(33, NULL, &old, 8), 0);
}

TEST(sigaction, sigsetsize_einval)
{
	struct k_sigaction act = {SIG_IGN, K_SA_RESTORER, (void *)restorer, 0}, old;
	EXPECT_ERRNO(raw_sigaction(SIGUSR1, &act, NULL, 4), EINVAL);
	EXPECT_ERRNO(raw_sigaction(SIGUSR1, &act, NULL, 16), EINVAL);
	EXPECT_ERRNO(raw_sigaction(SIGUSR1, NULL, &old, 0), EINVAL);
	EXPECT_ERRNO(raw_sigaction(SIGUSR1, NULL, &old, 128), EINVAL);
	/* The failed calls changed nothing. */
	EXPECT_EQ(raw_sigaction(SIGUSR1, NULL, &old, 8), 0);
	EXPECT_EQX((uintptr_t)old.handler, (uintptr_t)SIG_DFL);
}

TEST(sigaction, efault)
{
	struct k_sigaction old;
	EXPECT_ERRNO(raw_sigaction(SIGUSR1, H_BAD_PTR, NULL, 8), EFAULT);
	EXPECT_ERRNO(raw_sigaction(SIGUSR1, NULL, H_BAD_PTR, 8), EFAULT);
	EXPECT_ERRNO(raw_sigaction(SIGUSR1, H_KERNEL_PTR, &old, 8), EFAULT);
	EXPECT_EQ(raw_sigaction(SIGUSR1, NULL, &old, 8), 0);
	EXPECT_EQX((uintptr_t)old.handler, (uintptr_t)SIG_DFL);
}

TEST(sigaction, null_both_is_noop)
{
	EXPECT_EQ(raw_sigaction(SIGUSR1, NULL, NULL, 8), 0);
	EXPECT_EQ(raw_sigaction(SIGKILL, NULL, NULL, 8), 0);
}

TEST(sigaction, libc_wrapper_round_trip)
{
	struct sigaction sa, got;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	EXPECT_OK(sigaction(SIGUSR2, &sa, NULL));
	memset(&got, 0, sizeof got);
	EXPECT_OK(sigaction(SIGUSR2, NULL, &got));
	signal(SIGUSR2, SIG_DFL);
	EXPECT_EQX((uintptr_t)got.sa_handler, (uintptr_t)handler);
	EXPECT_TRUE(got.sa_flags & SA_RESTART);
	EXPECT_TRUE(sigismember(&got.sa_mask, SIGUSR1));
	/* libc installs its own restorer; the kernel kept SA_RESTORER. */
	struct k_sigaction raw;
	EXPECT_OK(sigaction(SIGUSR2, &sa, NULL));
	EXPECT_EQ(raw_sigaction(SIGUSR2, NULL, &raw, 8), 0);
	signal(SIGUSR2, SIG_DFL);
	EXPECT_TRUE(raw.flags & K_SA_RESTORER);
	EXPECT_NE((uintptr_t)raw.restorer, 0);
}
