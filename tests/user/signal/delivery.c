/*
 * Suite delivery: running signal handlers: kill(2), tgkill(2), tkill(2),
 * raise(3), the SA_SIGINFO siginfo and ucontext, sigreturn, the mask while
 * a handler runs, SA_NODEFER, SA_RESETHAND, SA_ONSTACK with sigaltstack(2),
 * FPU/SSE state across handlers, pending signals, queueing, ordering and
 * rt_sigsuspend(2).
 *
 * Guards Linux's kernel/signal.c (send_signal, collect_signal, next_signal,
 * get_signal, signal_delivered, do_sigaltstack, sigsuspend) and
 * arch/x86/kernel/signal.c (setup_rt_frame, rt_sigreturn restoring the
 * registers, mask and FPU state from the frame): a signal sent to oneself
 * is delivered before the sending syscall returns; si_code is SI_USER for
 * kill, SI_TKILL for tgkill/tkill; the handler runs with sa_mask plus the
 * signal itself blocked (not with SA_NODEFER); SA_RESETHAND resets the
 * action to SIG_DFL on delivery; registers and uc_sigmask changed in the
 * ucontext take effect on return; the handler starts with the default
 * MXCSR and the interrupted code's FPU/SSE state comes back; a blocked signal
 * stays pending and is delivered on unblock (rt_sigpending accepts a
 * sigsetsize up to 8, not only 8); standard signals do not queue
 * while real-time signals do, each with its own siginfo, in order; among
 * pending signals the lowest number goes first.  Man pages signal(7),
 * sigaction(2), sigreturn(2), sigaltstack(2), sigpending(2),
 * sigsuspend(2), tgkill(2).
 */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#define BIT(sig) (1ULL << ((sig) - 1))

static long raw_tgkill(long tgid, long tid, int sig)
{
	return h_raw_syscall(SYS_tgkill, tgid, tid, sig, 0, 0, 0);
}

static uint64_t cur_mask(void)
{
	uint64_t m = 0;
	h_raw_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&m, 8, 0, 0);
	return m;
}

static void set_mask(uint64_t m)
{
	h_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, 0, 8, 0, 0);
}

static uint64_t pending(void)
{
	uint64_t m = 0;
	h_raw_syscall(SYS_rt_sigpending, (long)&m, 8, 0, 0, 0, 0);
	return m;
}

static void install(int sig, void *fn, int flags, uint64_t mask)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	if (flags & SA_SIGINFO)
		sa.sa_sigaction = fn;
	else
		sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	for (int s = 1; s <= 64; s++)
		if ((mask & BIT(s)) && s != 32 && s != 33 && s != 34)
			sigaddset(&sa.sa_mask, s);
	if (sigaction(sig, &sa, NULL) != 0)
		FAIL("sigaction(%d): %s", sig, h_errname(errno));
}

/* What the handlers saw. */
static volatile int hits;
static volatile int order[16];
static volatile int depth, max_depth;
static volatile uint64_t mask_seen;
static siginfo_t info_seen[8];

static void count(int sig)
{
	if (hits < 16)
		order[hits] = sig;
	hits++;
	mask_seen = cur_mask();
}

static void with_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (hits < 8)
		info_seen[hits] = *si;
	if (hits < 16)
		order[hits] = sig;
	hits++;
}

static void reset_seen(void)
{
	hits = 0;
	depth = max_depth = 0;
	mask_seen = 0;
	memset((void *)order, 0, sizeof order);
	memset(info_seen, 0, sizeof info_seen);
}

TEST(delivery, raise_runs_handler_before_return)
{
	reset_seen();
	install(SIGUSR1, count, 0, 0);
	EXPECT_EQ(raise(SIGUSR1), 0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(kill(getpid(), SIGUSR1), 0);
	EXPECT_EQ(hits, 2);
	EXPECT_EQ(raw_tgkill(getpid(), syscall(SYS_gettid), SIGUSR1), 0);
	EXPECT_EQ(hits, 3);
	EXPECT_EQ(syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1), 0);
	EXPECT_EQ(hits, 4);
	EXPECT_EQ(order[0], SIGUSR1);
	/* The mask is back after each handler. */
	EXPECT_EQX(cur_mask(), 0);
}

TEST(delivery, siginfo_kill_and_tkill)
{
	reset_seen();
	install(SIGUSR2, with_info, SA_SIGINFO, 0);
	EXPECT_EQ(kill(getpid(), SIGUSR2), 0);
	EXPECT_EQ(raw_tgkill(getpid(), syscall(SYS_gettid), SIGUSR2), 0);
	EXPECT_EQ(syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR2), 0);
	EXPECT_EQ(hits, 3);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(info_seen[i].si_signo, SIGUSR2);
		EXPECT_EQ(info_seen[i].si_errno, 0);
		EXPECT_EQ(info_seen[i].si_pid, getpid());
		EXPECT_EQ(info_seen[i].si_uid, getuid());
	}
	EXPECT_EQ(info_seen[0].si_code, SI_USER);
	EXPECT_EQ(info_seen[1].si_code, SI_TKILL);
	EXPECT_EQ(info_seen[2].si_code, SI_TKILL);
}

TEST(delivery, siginfo_from_other_process)
{
	reset_seen();
	install(SIGUSR1, with_info, SA_SIGINFO, 0);
	set_mask(BIT(SIGUSR1));
	pid_t parent = getpid();
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(kill(parent, SIGUSR1), 0);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQX(pending(), BIT(SIGUSR1));
	set_mask(0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(info_seen[0].si_code, SI_USER);
	EXPECT_EQ(info_seen[0].si_pid, pid);
	EXPECT_EQ(info_seen[0].si_uid, getuid());
}

static void mask_handler(int sig)
{
	(void)sig;
	mask_seen = cur_mask();
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (depth == 1 && hits == 0)
		raise(sig); /* runs nested only with SA_NODEFER */
	depth--;
	hits++;
}

TEST(delivery, mask_during_handler)
{
	reset_seen();
	install(SIGUSR1, mask_handler, 0, BIT(SIGUSR2) | BIT(SIGTERM));
	set_mask(BIT(SIGHUP));
	EXPECT_EQ(raise(SIGUSR1), 0);
	/* The nested raise stayed pending until the handler returned. */
	EXPECT_EQ(hits, 2);
	EXPECT_EQ(max_depth, 1);
	EXPECT_EQX(mask_seen, BIT(SIGHUP) | BIT(SIGUSR1) | BIT(SIGUSR2) |
				      BIT(SIGTERM));
	EXPECT_EQX(cur_mask(), BIT(SIGHUP));
}

TEST(delivery, sa_nodefer)
{
	reset_seen();
	install(SIGUSR1, mask_handler, SA_NODEFER, BIT(SIGUSR2));
	EXPECT_EQ(raise(SIGUSR1), 0);
	EXPECT_EQ(hits, 2);
	EXPECT_EQ(max_depth, 2);
	/* The inner run saw sa_mask but not the signal itself. */
	EXPECT_EQX(mask_seen, BIT(SIGUSR2));
	EXPECT_EQX(cur_mask(), 0);
}

static volatile uintptr_t handler_during;

static void resethand_handler(int sig)
{
	struct k_sigaction now;
	h_raw_syscall(SYS_rt_sigaction, sig, 0, (long)&now, 8, 0, 0);
	handler_during = (uintptr_t)now.handler;
	mask_seen = cur_mask();
	hits++;
}

TEST(delivery, sa_resethand)
{
	reset_seen();
	install(SIGUSR2, resethand_handler, SA_RESETHAND, 0);
	EXPECT_EQ(raise(SIGUSR2), 0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQX(handler_during, (uintptr_t)SIG_DFL);
	/* Linux still blocks the signal during the handler. */
	EXPECT_EQX(mask_seen, BIT(SIGUSR2));
	struct k_sigaction now;
	EXPECT_EQ(syscall(SYS_rt_sigaction, SIGUSR2, NULL, &now, 8), 0);
	EXPECT_EQX((uintptr_t)now.handler, (uintptr_t)SIG_DFL);
	/* Only the handler is reset: the flags stay as they were. */
	EXPECT_EQX(now.flags & SA_RESETHAND, SA_RESETHAND);
}

static void set_r12(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	uc->uc_mcontext.gregs[REG_R12] = 0x4242;
	hits++;
}

TEST(delivery, ucontext_registers_restored_from_frame)
{
	reset_seen();
	install(SIGUSR1, set_r12, SA_SIGINFO, 0);
	long r12_after;
	long pid = getpid(), tid = syscall(SYS_gettid);
	long ret;
	__asm__ volatile("mov $1, %%r12\n\t"
			 "syscall\n\t"
			 "mov %%r12, %1"
			 : "=a"(ret), "=r"(r12_after)
			 : "a"((long)SYS_tgkill), "D"(pid), "S"(tid),
			   "d"((long)SIGUSR1)
			 : "rcx", "r11", "r12", "memory");
	EXPECT_EQ(ret, 0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQX(r12_after, 0x4242);
}

static void add_to_uc_mask(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	uint64_t *m = (uint64_t *)&uc->uc_sigmask;
	mask_seen = *m;
	*m |= BIT(SIGTERM);
	hits++;
}

TEST(delivery, uc_sigmask_restored_on_return)
{
	reset_seen();
	install(SIGUSR1, add_to_uc_mask, SA_SIGINFO, 0);
	set_mask(BIT(SIGHUP));
	EXPECT_EQ(raise(SIGUSR1), 0);
	EXPECT_EQ(hits, 1);
	/* uc_sigmask is the mask of the interrupted code. */
	EXPECT_EQX(mask_seen, BIT(SIGHUP));
	EXPECT_EQX(cur_mask(), BIT(SIGHUP) | BIT(SIGTERM));
}

static void skip_ud2(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	ucontext_t *uc = ucv;
	info_seen[0] = *si;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
	hits++;
}

TEST(delivery, handler_can_skip_faulting_instruction)
{
	reset_seen();
	install(SIGILL, skip_ud2, SA_SIGINFO, 0);
	void *at;
	__asm__ volatile("lea 1f(%%rip), %0\n\t"
			 "1: ud2"
			 : "=r"(at));
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(info_seen[0].si_signo, SIGILL);
	EXPECT_EQ(info_seen[0].si_code, ILL_ILLOPN);
	EXPECT_EQX((uintptr_t)info_seen[0].si_addr, (uintptr_t)at);
}

static volatile uint32_t mxcsr_in_handler;

static void clobber_fpu(int sig)
{
	(void)sig;
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	mxcsr_in_handler = m;
	uint32_t z = 0x7f80; /* all exceptions masked, round to zero */
	__asm__ volatile("ldmxcsr %0" ::"m"(z));
	__asm__ volatile("pxor %%xmm0, %%xmm0\n\t"
			 "pcmpeqd %%xmm8, %%xmm8\n\t"
			 "pcmpeqd %%xmm15, %%xmm15" ::
				 : "xmm0", "xmm8", "xmm15");
	hits++;
}

TEST(delivery, fpu_state_preserved)
{
	reset_seen();
	install(SIGUSR1, clobber_fpu, 0, 0);
	uint32_t mine = 0x3f80; /* all exceptions masked, round down */
	uint32_t saved;
	__asm__ volatile("stmxcsr %0" : "=m"(saved));
	__asm__ volatile("ldmxcsr %0" ::"m"(mine));
	static const uint64_t pat[2] = {0x0123456789abcdefULL,
					0xfedcba9876543210ULL};
	uint64_t out8[2], out15[2], out0[2];
	long pid = getpid(), tid = syscall(SYS_gettid), ret;
	__asm__ volatile("movdqu (%[p]), %%xmm8\n\t"
			 "movdqu (%[p]), %%xmm15\n\t"
			 "movdqu (%[p]), %%xmm0\n\t"
			 "syscall\n\t"
			 "movdqu %%xmm8, (%[o8])\n\t"
			 "movdqu %%xmm15, (%[o15])\n\t"
			 "movdqu %%xmm0, (%[o0])"
			 : "=a"(ret)
			 : "a"((long)SYS_tgkill), "D"(pid), "S"(tid),
			   "d"((long)SIGUSR1), [p] "r"(pat), [o8] "r"(out8),
			   [o15] "r"(out15), [o0] "r"(out0)
			 : "rcx", "r11", "xmm0", "xmm8", "xmm15", "memory");
	uint32_t after;
	__asm__ volatile("stmxcsr %0" : "=m"(after));
	__asm__ volatile("ldmxcsr %0" ::"m"(saved));
	EXPECT_EQ(ret, 0);
	EXPECT_EQ(hits, 1);
	/* The handler starts with the default MXCSR. */
	EXPECT_EQX(mxcsr_in_handler, 0x1f80);
	EXPECT_EQX(after, mine);
	EXPECT_MEMEQ(out8, pat, 16);
	EXPECT_MEMEQ(out15, pat, 16);
	EXPECT_MEMEQ(out0, pat, 16);
}

/* What the handler writes into the frame's xmm8 (legacy area offset 160 + 8 * 16). */
static const uint64_t frame_xmm8[2] = {0x1111222233334444ULL,
				       0x5555666677778888ULL};
static volatile int break_magic2;

static void edit_fpu_frame(int sig, siginfo_t *info, void *ucontext)
{
	(void)sig;
	(void)info;
	ucontext_t *uc = ucontext;
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	memcpy(fp + 160 + 8 * 16, frame_xmm8, 16);
	uint32_t magic1, xstate_size;
	memcpy(&magic1, fp + 464, 4);
	memcpy(&xstate_size, fp + 464 + 16, 4);
	/* FP_XSTATE_MAGIC1: an XSAVE image, followed by FP_XSTATE_MAGIC2. */
	if (break_magic2 && magic1 == 0x46505853U)
		memset(fp + xstate_size, 0, 4);
	hits++;
}

/*
 * sigreturn loads the FPU state from the frame as the handler left it; without the trailing
 * magic only the legacy (FXSAVE) part is trusted, and it is still loaded.
 */
static void check_fpu_frame_edit(int without_magic2)
{
	reset_seen();
	break_magic2 = without_magic2;
	install(SIGUSR1, edit_fpu_frame, SA_SIGINFO, 0);
	static const uint64_t pat[2] = {0x0123456789abcdefULL,
					0xfedcba9876543210ULL};
	uint64_t out8[2];
	long pid = getpid(), tid = syscall(SYS_gettid), ret;
	__asm__ volatile("movdqu (%[p]), %%xmm8\n\t"
			 "syscall\n\t"
			 "movdqu %%xmm8, (%[o8])"
			 : "=a"(ret)
			 : "a"((long)SYS_tgkill), "D"(pid), "S"(tid),
			   "d"((long)SIGUSR1), [p] "r"(pat), [o8] "r"(out8)
			 : "rcx", "r11", "xmm8", "memory");
	EXPECT_EQ(ret, 0);
	EXPECT_EQ(hits, 1);
	EXPECT_MEMEQ(out8, frame_xmm8, 16);
}

TEST(delivery, fpu_state_edited_in_frame_is_restored)
{
	check_fpu_frame_edit(0);
}

TEST(delivery, fpu_frame_without_magic2_restores_legacy_state)
{
	check_fpu_frame_edit(1);
}

TEST(delivery, blocked_signal_pending_until_unblocked)
{
	reset_seen();
	install(SIGUSR1, count, 0, 0);
	set_mask(BIT(SIGUSR1));
	EXPECT_EQ(raise(SIGUSR1), 0);
	EXPECT_EQ(hits, 0);
	EXPECT_EQX(pending(), BIT(SIGUSR1));
	uint64_t p2 = 0;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &p2, 8), 0);
	EXPECT_EQX(p2, BIT(SIGUSR1));
	/* A smaller sigsetsize is accepted (and truncates), a larger one
	 * is EINVAL. */
	uint64_t p4 = 0xffffffff00000000ULL;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &p4, 4), 0);
	EXPECT_EQX(p4, 0xffffffff00000000ULL | BIT(SIGUSR1));
	EXPECT_ERRNO(syscall(SYS_rt_sigpending, &p2, 16), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigpending, H_BAD_PTR, 8), EFAULT);
	set_mask(0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQX(pending(), 0);
}

TEST(delivery, standard_signals_do_not_queue)
{
	reset_seen();
	install(SIGUSR1, count, 0, 0);
	set_mask(BIT(SIGUSR1));
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(kill(getpid(), SIGUSR1), 0);
	set_mask(0);
	EXPECT_EQ(hits, 1);
}

TEST(delivery, realtime_signals_queue_in_order)
{
	reset_seen();
	install(40, with_info, SA_SIGINFO, 0);
	set_mask(BIT(40));
	for (int i = 1; i <= 3; i++) {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		si.si_signo = 40;
		si.si_code = SI_QUEUE;
		si.si_pid = getpid();
		si.si_uid = getuid();
		si.si_value.sival_int = i * 100;
		EXPECT_EQ(syscall(SYS_rt_sigqueueinfo, getpid(), 40, &si), 0);
	}
	EXPECT_EQX(pending(), BIT(40));
	set_mask(0);
	EXPECT_EQ(hits, 3);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(info_seen[i].si_signo, 40);
		EXPECT_EQ(info_seen[i].si_code, SI_QUEUE);
		EXPECT_EQ(info_seen[i].si_value.sival_int, (i + 1) * 100);
	}
}

TEST(delivery, lowest_signal_first)
{
	reset_seen();
	uint64_t all = BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGHUP) | BIT(40) |
		       BIT(41) | BIT(50);
	install(SIGUSR1, count, 0, all);
	install(SIGUSR2, count, 0, all);
	install(SIGHUP, count, 0, all);
	install(40, count, 0, all);
	install(41, count, 0, all);
	install(50, count, 0, all);
	set_mask(all);
	int sent[] = {50, 41, SIGUSR2, 40, SIGHUP, SIGUSR1};
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(kill(getpid(), sent[i]), 0);
	set_mask(0);
	EXPECT_EQ(hits, 6);
	int want[] = {SIGHUP, SIGUSR1, SIGUSR2, 40, 41, 50};
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(order[i], want[i]);
}

TEST(delivery, sigsuspend_runs_handler_and_restores_mask)
{
	reset_seen();
	install(SIGUSR1, count, 0, 0);
	set_mask(BIT(SIGUSR1) | BIT(SIGHUP));
	EXPECT_EQ(raise(SIGUSR1), 0);
	uint64_t during = BIT(SIGHUP);
	EXPECT_ERRNO(syscall(SYS_rt_sigsuspend, &during, 8), EINTR);
	EXPECT_EQ(hits, 1);
	/* The handler ran with the temporary mask plus the signal. */
	EXPECT_EQX(mask_seen, BIT(SIGHUP) | BIT(SIGUSR1));
	EXPECT_EQX(cur_mask(), BIT(SIGUSR1) | BIT(SIGHUP));
	EXPECT_ERRNO(syscall(SYS_rt_sigsuspend, &during, 4), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigsuspend, H_BAD_PTR, 8), EFAULT);
}

TEST(delivery, sigsuspend_waits_for_other_process)
{
	reset_seen();
	install(SIGUSR2, count, 0, 0);
	set_mask(BIT(SIGUSR2));
	pid_t parent = getpid();
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(kill(parent, SIGUSR2), 0);
		h_exit(0);
	}
	uint64_t none = 0;
	EXPECT_ERRNO(syscall(SYS_rt_sigsuspend, &none, 8), EINTR);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

/* --- sigaltstack -------------------------------------------------------- */

static char *alt_base;
static size_t alt_size;
static volatile uintptr_t sp_seen;
static volatile int ss_flags_seen;
static volatile long ss_change_err;

static void on_altstack(int sig)
{
	(void)sig;
	volatile char here;
	sp_seen = (uintptr_t)&here;
	stack_t now;
	sigaltstack(NULL, &now);
	ss_flags_seen = now.ss_flags;
	/* Changing it while on it fails. */
	stack_t other = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
	ss_change_err = h_raw_syscall(SYS_sigaltstack, (long)&other, 0, 0, 0,
				      0, 0);
	hits++;
}

TEST(delivery, sigaltstack_used_with_sa_onstack)
{
	reset_seen();
	alt_size = 65536;
	alt_base = mmap(NULL, alt_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(alt_base != MAP_FAILED);
	stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
	stack_t old;
	EXPECT_EQ(sigaltstack(&ss, &old), 0);
	EXPECT_EQ(old.ss_flags, SS_DISABLE);
	install(SIGUSR1, on_altstack, SA_ONSTACK, 0);
	EXPECT_EQ(raise(SIGUSR1), 0);
	EXPECT_EQ(hits, 1);
	EXPECT_TRUE(sp_seen >= (uintptr_t)alt_base &&
		    sp_seen < (uintptr_t)alt_base + alt_size);
	EXPECT_EQ(ss_flags_seen, SS_ONSTACK);
	EXPECT_EQ(ss_change_err, -EPERM);
	/* Off the stack again. */
	stack_t now;
	EXPECT_EQ(sigaltstack(NULL, &now), 0);
	EXPECT_EQ(now.ss_flags, 0);
	EXPECT_EQX((uintptr_t)now.ss_sp, (uintptr_t)alt_base);
	EXPECT_EQ(now.ss_size, alt_size);
	/* Without SA_ONSTACK the normal stack is used. */
	install(SIGUSR1, on_altstack, 0, 0);
	EXPECT_EQ(raise(SIGUSR1), 0);
	EXPECT_TRUE(!(sp_seen >= (uintptr_t)alt_base &&
		      sp_seen < (uintptr_t)alt_base + alt_size));
	EXPECT_EQ(ss_flags_seen, 0);
	ss.ss_flags = SS_DISABLE;
	EXPECT_EQ(sigaltstack(&ss, NULL), 0);
	munmap(alt_base, alt_size);
}

TEST(delivery, sigaltstack_errors)
{
	static char buf[65536];
	stack_t ss = {.ss_sp = buf, .ss_size = 1024, .ss_flags = 0};
	EXPECT_ERRNO(syscall(SYS_sigaltstack, &ss, NULL), ENOMEM);
	ss.ss_size = sizeof buf;
	ss.ss_flags = 0x4; /* not SS_DISABLE, SS_ONSTACK or SS_AUTODISARM */
	EXPECT_ERRNO(syscall(SYS_sigaltstack, &ss, NULL), EINVAL);
	ss.ss_flags = SS_ONSTACK; /* accepted as 0 */
	EXPECT_EQ(syscall(SYS_sigaltstack, &ss, NULL), 0);
	stack_t now;
	EXPECT_EQ(syscall(SYS_sigaltstack, NULL, &now), 0);
	EXPECT_EQ(now.ss_flags, 0);
	EXPECT_EQ(now.ss_size, sizeof buf);
	/* Disabling ignores the size. */
	ss.ss_flags = SS_DISABLE;
	ss.ss_size = 0;
	EXPECT_EQ(syscall(SYS_sigaltstack, &ss, NULL), 0);
	EXPECT_EQ(syscall(SYS_sigaltstack, NULL, &now), 0);
	EXPECT_EQ(now.ss_flags, SS_DISABLE);
	EXPECT_EQ(now.ss_size, 0);
	EXPECT_ERRNO(syscall(SYS_sigaltstack, H_BAD_PTR, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_sigaltstack, NULL, H_BAD_PTR), EFAULT);
}

static sigjmp_buf jump_back;

static void jump_out(int sig)
{
	(void)sig;
	hits++;
	siglongjmp(jump_back, 1);
}

TEST(delivery, handler_can_siglongjmp_out)
{
	reset_seen();
	install(SIGUSR1, jump_out, 0, 0);
	set_mask(BIT(SIGHUP));
	if (sigsetjmp(jump_back, 1) == 0) {
		raise(SIGUSR1);
		FAIL("raise returned instead of jumping");
	}
	EXPECT_EQ(hits, 1);
	/* siglongjmp restored the mask saved by sigsetjmp. */
	EXPECT_EQX(cur_mask() & ~(BIT(32) | BIT(33) | BIT(34)), BIT(SIGHUP));
}
