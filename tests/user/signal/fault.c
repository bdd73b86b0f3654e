/*
 * Suite fault: signals raised by the CPU: SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP, with their siginfo and the trap details in the ucontext.
 *
 * Guards Linux's arch/x86/mm/fault.c (do_user_addr_fault, bad_area:
 * SEGV_MAPERR for no mapping, SEGV_ACCERR for a protection violation,
 * si_addr the faulting address, uc_mcontext CR2/ERR/TRAPNO), mm/memory.c
 * (SIGBUS BUS_ADRERR for a file page beyond EOF) and arch/x86/kernel/traps.c
 * (#DE -> SIGFPE FPE_INTDIV at the instruction, #UD -> SIGILL ILL_ILLOPN,
 * int3 -> SIGTRAP SI_KERNEL after the instruction, #GP (privileged
 * instruction, non-canonical address) -> SIGSEGV SI_KERNEL with si_addr 0);
 * a handler may leave with siglongjmp; a stack overflow is caught only on an
 * alternate stack.  Man pages sigaction(2) (si_code values), signal(7),
 * sigaltstack(2).
 */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <ucontext.h>

static sigjmp_buf env;
static volatile int got_sig;
static siginfo_t got_info;
static volatile long got_rip, got_err, got_trapno, got_cr2;
/* Where the faulting instruction is: stored to memory by the asm before
 * it faults (locals do not survive siglongjmp). */
static void *volatile fault_at;

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	got_sig = sig;
	got_info = *si;
	got_rip = uc->uc_mcontext.gregs[REG_RIP];
	got_err = uc->uc_mcontext.gregs[REG_ERR];
	got_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	got_cr2 = uc->uc_mcontext.gregs[REG_CR2];
	siglongjmp(env, 1);
}

static void catch(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(sig, &sa, NULL) != 0)
		FAIL("sigaction: %s", h_errname(errno));
	got_sig = 0;
	memset(&got_info, 0, sizeof got_info);
}

/* Page-fault error code bits (arch/x86/include/asm/trap_pf.h). */
#define PF_PROT 0x1
#define PF_WRITE 0x2
#define PF_USER 0x4
#define PF_INSTR 0x10

TEST(fault, segv_maperr_read_and_write)
{
	catch(SIGSEGV);
	volatile char *bad = h_opaque((void *)0x1000);
	if (sigsetjmp(env, 1) == 0) {
		(void)*bad;
		FAIL("read of 0x1000 did not fault");
	}
	EXPECT_EQ(got_sig, SIGSEGV);
	EXPECT_EQ(got_info.si_signo, SIGSEGV);
	EXPECT_EQ(got_info.si_code, SEGV_MAPERR);
	EXPECT_EQX((uintptr_t)got_info.si_addr, 0x1000);
	EXPECT_EQ(got_trapno, 14);
	EXPECT_EQX(got_err, PF_USER);
	EXPECT_EQX(got_cr2, 0x1000);
	catch(SIGSEGV);
	if (sigsetjmp(env, 1) == 0) {
		bad[0x234] = 1;
		FAIL("write to 0x1234 did not fault");
	}
	EXPECT_EQ(got_info.si_code, SEGV_MAPERR);
	EXPECT_EQX((uintptr_t)got_info.si_addr, 0x1234);
	EXPECT_EQX(got_err, PF_USER | PF_WRITE);
}

TEST(fault, segv_accerr_write_to_readonly)
{
	char *p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	EXPECT_TRUE(p != MAP_FAILED);
	/* Touch it so the page is present. */
	EXPECT_EQ(((volatile char *)p)[4096], 0);
	catch(SIGSEGV);
	if (sigsetjmp(env, 1) == 0) {
		((volatile char *)p)[4096 + 8] = 1;
		FAIL("write to a read-only page did not fault");
	}
	EXPECT_EQ(got_info.si_code, SEGV_ACCERR);
	EXPECT_EQX((uintptr_t)got_info.si_addr, (uintptr_t)p + 4096 + 8);
	EXPECT_EQX(got_err, PF_USER | PF_WRITE | PF_PROT);
	/* PROT_NONE: reading is an access error, not a missing mapping. */
	EXPECT_OK(mprotect(p, 8192, PROT_NONE));
	catch(SIGSEGV);
	if (sigsetjmp(env, 1) == 0) {
		(void)((volatile char *)p)[5];
		FAIL("read of PROT_NONE did not fault");
	}
	EXPECT_EQ(got_info.si_code, SEGV_ACCERR);
	EXPECT_EQX((uintptr_t)got_info.si_addr, (uintptr_t)p + 5);
	munmap(p, 8192);
}

TEST(fault, segv_accerr_execute_noexec)
{
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	p[0] = 0xc3; /* ret */
	catch(SIGSEGV);
	if (sigsetjmp(env, 1) == 0) {
		((void (*)(void))h_opaque(p))();
		FAIL("executing a non-executable page did not fault");
	}
	EXPECT_EQ(got_info.si_code, SEGV_ACCERR);
	EXPECT_EQX((uintptr_t)got_info.si_addr, (uintptr_t)p);
	EXPECT_EQX(got_rip, (uintptr_t)p);
	EXPECT_EQX(got_err, PF_USER | PF_PROT | PF_INSTR);
	munmap(p, 4096);
}

TEST(fault, sigbus_beyond_end_of_file)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(write(fd, "x", 1), 1);
	char *p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	/* The rest of the first page reads as zeros. */
	EXPECT_EQ(((volatile char *)p)[100], 0);
	catch(SIGBUS);
	if (sigsetjmp(env, 1) == 0) {
		(void)((volatile char *)p)[4096 + 16];
		FAIL("read beyond EOF did not raise SIGBUS");
	}
	EXPECT_EQ(got_sig, SIGBUS);
	EXPECT_EQ(got_info.si_code, BUS_ADRERR);
	EXPECT_EQX((uintptr_t)got_info.si_addr, (uintptr_t)p + 4096 + 16);
	munmap(p, 8192);
}

TEST(fault, sigfpe_integer_divide)
{
	catch(SIGFPE);
	if (sigsetjmp(env, 1) == 0) {
		long zero = h_opaque_l(0);
		__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
				 "mov %%rax, %0\n\t"
				 "mov $1, %%eax\n\t"
				 "cqo\n\t"
				 "1: idivq %1"
				 : "=m"(fault_at)
				 : "r"(zero)
				 : "rax", "rdx", "memory");
		FAIL("division by zero did not fault");
	}
	EXPECT_EQ(got_sig, SIGFPE);
	EXPECT_EQ(got_info.si_code, FPE_INTDIV);
	EXPECT_EQX((uintptr_t)got_info.si_addr, (uintptr_t)fault_at);
	EXPECT_EQX(got_rip, (uintptr_t)fault_at);
	EXPECT_EQ(got_trapno, 0);
	/* LONG_MIN / -1 overflows: the same #DE, the same si_code. */
	catch(SIGFPE);
	if (sigsetjmp(env, 1) == 0) {
		long m1 = h_opaque_l(-1);
		__asm__ volatile("movabs $0x8000000000000000, %%rax\n\t"
				 "cqo\n\t"
				 "idivq %0" ::"r"(m1)
				 : "rax", "rdx");
		FAIL("LONG_MIN / -1 did not fault");
	}
	EXPECT_EQ(got_info.si_code, FPE_INTDIV);
}

TEST(fault, sigill_ud2)
{
	catch(SIGILL);
	if (sigsetjmp(env, 1) == 0) {
		__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
				 "mov %%rax, %0\n\t"
				 "1: ud2"
				 : "=m"(fault_at)
				 :
				 : "rax", "memory");
		FAIL("ud2 did not fault");
	}
	EXPECT_EQ(got_sig, SIGILL);
	EXPECT_EQ(got_info.si_code, ILL_ILLOPN);
	EXPECT_EQX((uintptr_t)got_info.si_addr, (uintptr_t)fault_at);
	EXPECT_EQ(got_trapno, 6);
}

TEST(fault, sigtrap_int3)
{
	catch(SIGTRAP);
	if (sigsetjmp(env, 1) == 0) {
		__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
				 "mov %%rax, %0\n\t"
				 "int3\n\t"
				 "1:"
				 : "=m"(fault_at)
				 :
				 : "rax", "memory");
		FAIL("int3 returned without a signal");
	}
	EXPECT_EQ(got_sig, SIGTRAP);
	/* x86 reports int3 as a kernel-generated signal, not TRAP_BRKPT. */
	EXPECT_EQ(got_info.si_code, SI_KERNEL);
	/* The saved RIP is after the one-byte instruction. */
	EXPECT_EQX(got_rip, (uintptr_t)fault_at);
	EXPECT_EQ(got_trapno, 3);
}

TEST(fault, general_protection_is_si_kernel)
{
	catch(SIGSEGV);
	if (sigsetjmp(env, 1) == 0) {
		__asm__ volatile("hlt");
		FAIL("hlt in user mode did not fault");
	}
	EXPECT_EQ(got_sig, SIGSEGV);
	EXPECT_EQ(got_info.si_code, SI_KERNEL);
	EXPECT_EQX((uintptr_t)got_info.si_addr, 0);
	EXPECT_EQ(got_trapno, 13);
	/* A non-canonical address is #GP too, not a page fault. */
	catch(SIGSEGV);
	if (sigsetjmp(env, 1) == 0) {
		(void)*(volatile char *)h_opaque((void *)0x8000000000001000UL);
		FAIL("non-canonical read did not fault");
	}
	EXPECT_EQ(got_info.si_code, SI_KERNEL);
	EXPECT_EQX((uintptr_t)got_info.si_addr, 0);
	EXPECT_EQ(got_trapno, 13);
}

TEST(fault, kernel_address_is_maperr)
{
	catch(SIGSEGV);
	if (sigsetjmp(env, 1) == 0) {
		(void)*(volatile char *)H_KERNEL_PTR;
		FAIL("read of a kernel address did not fault");
	}
	EXPECT_EQ(got_sig, SIGSEGV);
	EXPECT_EQ(got_info.si_code, SEGV_MAPERR);
	EXPECT_EQX((uintptr_t)got_info.si_addr, 0xffffffff81000000UL);
	/* The error code has the protection bit: the page is present. */
	EXPECT_EQX(got_err & PF_USER, PF_USER);
}

static int recurse(int n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	if (h_opaque_l(n) < 0) /* never: hides the endless recursion */
		return 0;
	return recurse(n + 1) + pad[0];
}

static void overflow_handler(int sig)
{
	(void)sig;
	h_exit(42);
}

static void stack_overflow(void *arg)
{
	int with_altstack = (int)(long)arg;
	struct rlimit rl = {0, 0};
	setrlimit(RLIMIT_CORE, &rl);
	rl.rlim_cur = rl.rlim_max = 1 << 20;
	EXPECT_EQ(setrlimit(RLIMIT_STACK, &rl), 0);
	if (with_altstack) {
		static char alt[65536];
		stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
		EXPECT_EQ(sigaltstack(&ss, NULL), 0);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = overflow_handler;
	sa.sa_flags = SA_ONSTACK;
	EXPECT_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	recurse(0);
}

TEST(fault, stack_overflow_needs_altstack)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		stack_overflow((void *)0L);
		h_exit(1);
	}
	/* No room for the signal frame: the kernel kills with SIGSEGV. */
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGSEGV);
	EXPECT_EQ(h_run_child(stack_overflow, (void *)1L), 42);
}
