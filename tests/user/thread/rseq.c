/*
 * Suite rseq: rseq(2) and membarrier(2), called as raw syscalls.
 *
 * Guards Linux 6.1's kernel/rseq.c (as Debian's 6.1 has it): cpu_id_start
 * and cpu_id hold the CPU when the registering call returns; a second
 * registration is EBUSY with the same area, length and signature, EPERM with
 * another signature, EINVAL with another area or length; a new one must be
 * 32-byte aligned and 32 bytes long (EINVAL) in user memory that can be read
 * (EFAULT); a stale rseq_cs pointer is cleared; an area that can be read but
 * not written registers and is SIGSEGV on the way back.  Unregistering wants
 * the same area and length (EINVAL) and signature (EPERM), writes cpu_id -1
 * and cpu_id_start 0 (EFAULT when it cannot); unknown flags are EINVAL.
 * fork keeps the registration (and a bad rseq_cs kills the child), a
 * CLONE_VM thread starts without one, execve drops it.  After the thread was
 * switched out, cpu_id and cpu_id_start are written again on the way back to
 * user mode; a critical section (struct rseq_cs) interrupted by a signal
 * resumes at its abort address, and the signal frame holds that address; a
 * preempted one aborts too.  A descriptor that cannot be read, names
 * kernel addresses, lacks the signature before its abort address, or has
 * flags is SIGSEGV when a switch or a signal makes the kernel look at it,
 * even with a SIGSEGV handler.  glibc registers an area per thread at
 * startup, so each test works in a forked child that first unregisters it.
 * And kernel/sched/membarrier.c: QUERY lists every 6.1 command; the private
 * commands need a registration of the address space (EPERM; registering the
 * SYNC_CORE or RSEQ variant does not register the plain one), which fork
 * inherits and execve drops; flags only with PRIVATE_EXPEDITED_RSEQ.  Man
 * pages rseq(2) (kernel documentation), membarrier(2).
 */
#include "harness.h"
#include "../proc/proc.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>

#ifdef __GLIBC__
#include <sys/rseq.h>
#else
#define RSEQ_SIG 0x53053053
#endif
#ifndef SYS_rseq
#define SYS_rseq 334
#endif
#ifndef SYS_membarrier
#define SYS_membarrier 324
#endif

struct k_rseq {
	uint32_t cpu_id_start;
	uint32_t cpu_id;
	uint64_t rseq_cs;
	uint32_t flags;
	uint32_t pad[3];
} __attribute__((aligned(32)));

struct k_rseq_cs {
	uint32_t version;
	uint32_t flags;
	uint64_t start_ip;
	uint64_t post_commit_offset;
	uint64_t abort_ip;
} __attribute__((aligned(32)));

static long r_rseq(void *area, unsigned len, int flags, unsigned sig)
{
	return syscall(SYS_rseq, area, len, flags, sig);
}

static unsigned getcpu_now(void)
{
	unsigned cpu = 0;
	syscall(SYS_getcpu, &cpu, NULL, NULL);
	return cpu;
}

/* Drops the area the C library registered for this thread, if any. */
static void drop_libc_rseq(void)
{
#ifdef __GLIBC__
	if (__rseq_size > 0) {
		void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
		EXPECT_EQ(r_rseq(area, __rseq_size < 32 ? 32 : __rseq_size, 1, RSEQ_SIG), 0);
	}
#endif
}

static struct k_rseq area;
static struct k_rseq other;

/* Waits until process pid sleeps (state S in /proc/<pid>/stat): it has
 * blocked, so it was switched out. */
static void wait_until_sleeping(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	for (;;) {
		h_read_file(path, buf, sizeof buf);
		const char *end = strrchr(buf, ')');
		if (end && end[1] == ' ' && end[2] == 'S')
			return;
		sched_yield();
	}
}

/* Forks a child that writes a byte to fd once this process sleeps. */
static pid_t post_when_asleep(int fd)
{
	pid_t parent = getpid();
	pid_t pid = h_fork();
	if (pid == 0) {
		wait_until_sleeping(parent);
		h_post(fd);
		h_exit(0);
	}
	return pid;
}

static void registration_rules(void *arg)
{
	(void)arg;
	drop_libc_rseq();
	/* Bad requests. */
	EXPECT_ERRNO(r_rseq((char *)&area + 4, 32, 0, RSEQ_SIG), EINVAL);
	EXPECT_ERRNO(r_rseq(&area, 16, 0, RSEQ_SIG), EINVAL);
	EXPECT_ERRNO(r_rseq(&area, 64, 0, RSEQ_SIG), EINVAL);
	EXPECT_ERRNO(r_rseq(&area, 32, 2, RSEQ_SIG), EINVAL);
	EXPECT_ERRNO(r_rseq(&area, 32, 1, RSEQ_SIG), EINVAL);
	EXPECT_ERRNO(r_rseq(NULL, 32, 0, RSEQ_SIG), EFAULT);
	EXPECT_ERRNO(r_rseq((void *)0x1000, 32, 0, RSEQ_SIG), EFAULT);
	EXPECT_ERRNO(r_rseq(H_KERNEL_PTR, 32, 0, RSEQ_SIG), EFAULT);
	EXPECT_ERRNO(r_rseq((void *)(0x800000000000UL - 32), 32, 0, RSEQ_SIG), EFAULT);
	void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(none != MAP_FAILED);
	EXPECT_ERRNO(r_rseq(none, 32, 0, RSEQ_SIG), EFAULT);
	/* The CPU is there when the call returns. */
	area.cpu_id = 0xdead;
	area.cpu_id_start = 0xbeef;
	EXPECT_EQ(r_rseq(&area, 32, 0, RSEQ_SIG), 0);
	EXPECT_EQ(area.cpu_id, getcpu_now());
	EXPECT_EQ(area.cpu_id_start, getcpu_now());
	/* Again: EBUSY; another signature: EPERM; another area or length: EINVAL. */
	EXPECT_ERRNO(r_rseq(&area, 32, 0, RSEQ_SIG), EBUSY);
	EXPECT_ERRNO(r_rseq(&area, 32, 0, 0x1234), EPERM);
	EXPECT_ERRNO(r_rseq(&other, 32, 0, RSEQ_SIG), EINVAL);
	EXPECT_ERRNO(r_rseq(&area, 64, 0, RSEQ_SIG), EINVAL);
	/* Unregistering: the same area, length and signature. */
	EXPECT_ERRNO(r_rseq(&other, 32, 1, RSEQ_SIG), EINVAL);
	EXPECT_ERRNO(r_rseq(&area, 64, 1, RSEQ_SIG), EINVAL);
	EXPECT_ERRNO(r_rseq(&area, 32, 1, 0x1234), EPERM);
	EXPECT_ERRNO(r_rseq(&area, 32, 3, RSEQ_SIG), EINVAL);
	EXPECT_EQ(r_rseq(&area, 32, 1, RSEQ_SIG), 0);
	EXPECT_EQ(area.cpu_id, 0xffffffffu);
	EXPECT_EQ(area.cpu_id_start, 0);
	EXPECT_ERRNO(r_rseq(&area, 32, 1, RSEQ_SIG), EINVAL);
	/* Now another area may be registered; a stale rseq_cs is cleared. */
	other.rseq_cs = 0x1234;
	EXPECT_EQ(r_rseq(&other, 32, 0, RSEQ_SIG), 0);
	EXPECT_EQ(other.rseq_cs, 0);
	EXPECT_EQ(other.cpu_id, getcpu_now());
	EXPECT_EQ(r_rseq(&other, 32, 1, RSEQ_SIG), 0);
}

TEST(rseq, registration_rules)
{
	EXPECT_CHILD_OK(registration_rules, NULL);
}

/* An area that can be read but not written registers; writing the CPU on
 * the way back fails: SIGSEGV. */
static void read_only_area(void *arg)
{
	(void)arg;
	drop_libc_rseq();
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		h_exit(2);
	r_rseq(ro, 32, 0, RSEQ_SIG);
	h_exit(3);
}

TEST(rseq, read_only_area_is_sigsegv)
{
	pid_t pid = h_fork();
	if (pid == 0)
		read_only_area(NULL);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGSEGV);
}

/* Unregistering an area that became read-only: EFAULT, and the registration
 * stays, so the next write of the CPU kills the child: any switch (Linux's
 * kernel threads may take the CPU at any time) makes the kernel write it.
 * The child reports the errno at once; no report means it died first. */
static int report_fd;

static void unregister_read_only(void *arg)
{
	(void)arg;
	drop_libc_rseq();
	struct k_rseq *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);
	if (p == MAP_FAILED || r_rseq(p, 32, 0, RSEQ_SIG) != 0)
		h_exit(2);
	if (mprotect(p, 4096, PROT_READ) != 0)
		h_exit(2);
	long r = r_rseq(p, 32, 1, RSEQ_SIG);
	char e = r == -1 ? (char)errno : 0;
	if (write(report_fd, &e, 1) != 1)
		h_exit(2);
	if (mprotect(p, 4096, PROT_READ | PROT_WRITE) != 0)
		h_exit(2);
	if (r_rseq(p, 32, 0, RSEQ_SIG) != -1 || errno != EBUSY)
		h_exit(4);
	h_exit(0);
}

TEST(rseq, unregister_read_only_area_is_efault)
{
	int p[2];
	h_pipe(p);
	report_fd = p[1];
	pid_t pid = h_fork();
	if (pid == 0)
		unregister_read_only(NULL);
	close(p[1]);
	char e = 0;
	ssize_t n = read(p[0], &e, 1);
	int status = h_wait_status(pid);
	if (n == 1)
		EXPECT_EQ(e, EFAULT);
	if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)) {
		EXPECT_EQ(n, 1);
		EXPECT_EQ(status, 0);
	}
}

static volatile int thread_result = -1;

static int thread_registers(void *arg)
{
	(void)arg;
	static struct k_rseq thread_area;
	/* A new CLONE_VM thread has no registration. */
	long r = r_rseq(&thread_area, 32, 0, RSEQ_SIG);
	thread_result = r == 0 && thread_area.cpu_id == getcpu_now() ? 0 : 1;
	if (r == 0)
		r_rseq(&thread_area, 32, 1, RSEQ_SIG);
	return 0;
}

static void inheritance(void *arg)
{
	(void)arg;
	drop_libc_rseq();
	EXPECT_EQ(r_rseq(&area, 32, 0, RSEQ_SIG), 0);
	/* fork keeps it. */
	pid_t pid = h_fork();
	if (pid == 0) {
		area.cpu_id = 0xdead;
		if (r_rseq(&area, 32, 0, RSEQ_SIG) != -1 || errno != EBUSY)
			h_exit(1);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* A thread (CLONE_VM) starts without one. */
	static volatile int ctid;
	ctid = 1;
	long tid = h_clone_raw(CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_FS |
				       CLONE_FILES | CLONE_CHILD_CLEARTID,
			       h_stack(), NULL, (int *)&ctid, 0, thread_registers, NULL);
	EXPECT_GT(tid, 0);
	h_wait_zero(&ctid);
	EXPECT_EQ(thread_result, 0);
	/* execve drops it: the helper can register (musl) or its C library did
	 * (glibc). */
	pid = h_fork();
	if (pid == 0) {
		char *argv[] = {(char *)h_child_helper(), "rseq", NULL};
		execv(argv[0], argv);
		h_exit(99);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(rseq, fork_thread_and_exec)
{
	EXPECT_CHILD_OK(inheritance, NULL);
}

static void cpu_id_after_a_switch(void *arg)
{
	(void)arg;
	drop_libc_rseq();
	EXPECT_EQ(r_rseq(&area, 32, 0, RSEQ_SIG), 0);
	int p[2];
	h_pipe(p);
	pid_t pid = post_when_asleep(p[1]);
	/* Blocking in read switches this thread out; the way back writes the
	 * CPU number again. */
	area.cpu_id = 0xdead;
	area.cpu_id_start = 0xbeef;
	h_wait_byte(p[0]);
	EXPECT_EQ(area.cpu_id, getcpu_now());
	EXPECT_EQ(area.cpu_id_start, getcpu_now());
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(rseq, cpu_id_after_a_switch)
{
	proc_ready();
	EXPECT_CHILD_OK(cpu_id_after_a_switch, NULL);
}

/* A critical section that spins until *flag is non-zero: returns 0 when it
 * committed, 1 when it was aborted. */
static struct k_rseq_cs spin_cs;
extern char spin_start[], spin_commit[], spin_abort[];

__attribute__((noinline, noclone)) static int spin_section(struct k_rseq *rs,
							  volatile int *flag)
{
	int result;
	__asm__ volatile(
		"lea %[cs], %%rax\n\t"
		"mov %%rax, 8(%[rs])\n\t"
		"spin_start:\n\t"
		"cmpl $0, (%[flag])\n\t"
		"je spin_start\n\t"
		"spin_commit:\n\t"
		"mov $0, %[result]\n\t"
		"jmp 5f\n\t"
		".long 0x53053053\n\t"
		"spin_abort:\n\t"
		"mov $1, %[result]\n\t"
		"5:\n\t"
		: [result] "=&r"(result)
		: [cs] "m"(spin_cs), [rs] "r"(rs), [flag] "r"(flag)
		: "rax", "memory", "cc");
	return result;
}

static volatile int signalled;
static volatile uint64_t interrupted_ip;

static void on_alarm(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)info;
	ucontext_t *uc = context;
	interrupted_ip = uc->uc_mcontext.gregs[REG_RIP];
	signalled = 1;
}

static void abort_on_signal(void *arg)
{
	(void)arg;
	drop_libc_rseq();
	spin_cs.start_ip = (uint64_t)spin_start;
	spin_cs.post_commit_offset = (uint64_t)(spin_commit - spin_start);
	spin_cs.abort_ip = (uint64_t)spin_abort;
	EXPECT_EQ(r_rseq(&area, 32, 0, RSEQ_SIG), 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO;
	EXPECT_OK(sigaction(SIGALRM, &sa, NULL));
	int aborts_at_abort_ip = 0;
	for (int round = 0; round < 50 && aborts_at_abort_ip == 0; round++) {
		signalled = 0;
		interrupted_ip = 0;
		struct itimerval it = {{0, 0}, {0, 2000}};
		EXPECT_OK(setitimer(ITIMER_REAL, &it, NULL));
		int result = spin_section(&area, &signalled);
		/* The handler never sees an address inside the section. */
		if (interrupted_ip >= spin_cs.start_ip &&
		    interrupted_ip < spin_cs.start_ip + spin_cs.post_commit_offset)
			FAIL("the signal frame holds %#llx, inside the section",
			     (unsigned long long)interrupted_ip);
		if (interrupted_ip == spin_cs.abort_ip) {
			EXPECT_EQ(result, 1);
			/* The abort cleared the section pointer. */
			EXPECT_EQ(area.rseq_cs, 0);
			aborts_at_abort_ip++;
		}
	}
	EXPECT_GT(aborts_at_abort_ip, 0);
}

TEST(rseq, signal_aborts_a_critical_section)
{
	EXPECT_CHILD_OK(abort_on_signal, NULL);
}

static volatile int *shared_counter;

static void abort_on_preemption(void *arg)
{
	(void)arg;
	drop_libc_rseq();
	spin_cs.start_ip = (uint64_t)spin_start;
	spin_cs.post_commit_offset = (uint64_t)(spin_commit - spin_start);
	spin_cs.abort_ip = (uint64_t)spin_abort;
	EXPECT_EQ(r_rseq(&area, 32, 0, RSEQ_SIG), 0);
	/* Another process sets the flag; with one CPU it runs only while this
	 * one is switched out, so a section that was running when it did cannot
	 * commit: it aborts.  (If the other process runs before the section
	 * starts, the section commits: try again.) */
	int aborted = 0;
	for (int round = 0; round < 20 && !aborted; round++) {
		*shared_counter = 0;
		pid_t pid = h_fork();
		if (pid == 0) {
			*shared_counter = 1;
			h_exit(0);
		}
		aborted = spin_section(&area, shared_counter);
		EXPECT_EQ(area.cpu_id, getcpu_now());
		EXPECT_EQ(h_wait_exit(pid), 0);
	}
	EXPECT_EQ(aborted, 1);
}

TEST(rseq, preemption_aborts_a_critical_section)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) != 1)
		return; /* another CPU could set the flag while the section runs */
	shared_counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			      -1, 0);
	EXPECT_TRUE(shared_counter != MAP_FAILED);
	EXPECT_CHILD_OK(abort_on_preemption, NULL);
	munmap((void *)shared_counter, 4096);
}

/* A bad descriptor met on the way back kills the thread with SIGSEGV. */
static void bad_descriptor_at_a_switch(void *arg)
{
	(void)arg;
	drop_libc_rseq();
	EXPECT_EQ(r_rseq(&area, 32, 0, RSEQ_SIG), 0);
	int p[2];
	h_pipe(p);
	post_when_asleep(p[1]);
	area.rseq_cs = 0x10; /* unmapped */
	h_wait_byte(p[0]);
	/* Not reached. */
	h_exit(3);
}

TEST(rseq, bad_descriptor_at_a_switch_is_sigsegv)
{
	proc_ready();
	pid_t pid = h_fork();
	if (pid == 0)
		bad_descriptor_at_a_switch(NULL);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGSEGV);
}

/* The child of fork inherits the registration, so the bad descriptor too:
 * it dies on its way out of fork, before it can write to the pipe.  (The
 * parent may die as well: any switch makes the kernel look.) */
static int fork_pipe[2];

static void bad_descriptor_in_a_fork(void *arg)
{
	(void)arg;
	close(fork_pipe[0]);
	drop_libc_rseq();
	if (r_rseq(&area, 32, 0, RSEQ_SIG) != 0)
		h_exit(2);
	area.rseq_cs = 0x10;
	long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		if (write(fork_pipe[1], "A", 1) != 1)
			_exit(4);
		_exit(3);
	}
	area.rseq_cs = 0;
	_exit(0);
}

TEST(rseq, bad_descriptor_kills_a_forked_child)
{
	h_pipe(fork_pipe);
	pid_t pid = h_fork();
	if (pid == 0)
		bad_descriptor_in_a_fork(NULL);
	close(fork_pipe[1]);
	char c;
	EXPECT_EQ(read(fork_pipe[0], &c, 1), 0);
	int status = h_wait_status(pid);
	if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV))
		EXPECT_EQ(status, 0);
}

static void ignore_signal(int sig)
{
	(void)sig;
}

static struct k_rseq_cs bad_cs;
static int bad_case;

/* Each bad descriptor, seen when a signal is delivered: SIGSEGV even with a
 * SIGSEGV handler (the second failure, while SIGSEGV is being delivered,
 * resets it). */
static void bad_descriptor_at_a_signal(void *arg)
{
	(void)arg;
	drop_libc_rseq();
	signal(SIGUSR1, ignore_signal);
	signal(SIGSEGV, ignore_signal);
	bad_cs.start_ip = (uint64_t)spin_start;
	bad_cs.post_commit_offset = (uint64_t)(spin_commit - spin_start);
	bad_cs.abort_ip = (uint64_t)spin_abort;
	EXPECT_EQ(r_rseq(&area, 32, 0, 0x53053053 ^ (bad_case == 0)), 0);
	switch (bad_case) {
	case 0: /* the signature before abort_ip is not the registered one */
		break;
	case 1: /* a kernel address */
		bad_cs.abort_ip = (uint64_t)H_KERNEL_PTR;
		break;
	case 2: /* abort_ip inside the section */
		bad_cs.abort_ip = bad_cs.start_ip;
		break;
	case 3: /* a version */
		bad_cs.version = 1;
		break;
	case 4: /* the pointer itself in the kernel */
		area.rseq_cs = (uint64_t)H_KERNEL_PTR;
		break;
	}
	if (bad_case != 4)
		area.rseq_cs = (uint64_t)&bad_cs;
	raise(SIGUSR1);
	area.rseq_cs = 0;
	h_exit(3);
}

TEST(rseq, bad_descriptor_at_a_signal_is_sigsegv)
{
	for (bad_case = 0; bad_case < 5; bad_case++) {
		pid_t pid = h_fork();
		if (pid == 0)
			bad_descriptor_at_a_signal(NULL);
		if (h_wait_signaled(pid, NULL) != SIGSEGV)
			FAIL("case %d: not SIGSEGV", bad_case);
	}
}

/* Flags in the descriptor (RSEQ_CS_FLAG_NO_RESTART_ON_*, deprecated) are
 * SIGSEGV once the kernel restarts a section: a signal while it runs. */
static void flags_in_a_section(void *arg)
{
	(void)arg;
	drop_libc_rseq();
	spin_cs.start_ip = (uint64_t)spin_start;
	spin_cs.post_commit_offset = (uint64_t)(spin_commit - spin_start);
	spin_cs.abort_ip = (uint64_t)spin_abort;
	spin_cs.flags = 1;
	EXPECT_EQ(r_rseq(&area, 32, 0, RSEQ_SIG), 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO;
	EXPECT_OK(sigaction(SIGALRM, &sa, NULL));
	for (int round = 0; round < 50; round++) {
		signalled = 0;
		struct itimerval it = {{0, 0}, {0, 2000}};
		EXPECT_OK(setitimer(ITIMER_REAL, &it, NULL));
		spin_section(&area, &signalled);
	}
	/* Every signal came before the section started: give up. */
	h_exit(3);
}

TEST(rseq, descriptor_flags_are_sigsegv)
{
	pid_t pid = h_fork();
	if (pid == 0)
		flags_in_a_section(NULL);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGSEGV);
}

#define MB_QUERY 0
#define MB_GLOBAL (1 << 0)
#define MB_GLOBAL_EXPEDITED (1 << 1)
#define MB_REGISTER_GLOBAL_EXPEDITED (1 << 2)
#define MB_PRIVATE_EXPEDITED (1 << 3)
#define MB_REGISTER_PRIVATE_EXPEDITED (1 << 4)
#define MB_PRIVATE_EXPEDITED_SYNC_CORE (1 << 5)
#define MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE (1 << 6)
#define MB_PRIVATE_EXPEDITED_RSEQ (1 << 7)
#define MB_REGISTER_PRIVATE_EXPEDITED_RSEQ (1 << 8)

static long r_membarrier(int cmd, unsigned flags, int cpu)
{
	return syscall(SYS_membarrier, cmd, flags, cpu);
}

static void membarrier_rules(void *arg)
{
	(void)arg;
	EXPECT_EQ(r_membarrier(MB_QUERY, 0, 0), 0x1ff);
	EXPECT_ERRNO(r_membarrier(MB_QUERY, 1, 0), EINVAL);
	EXPECT_EQ(r_membarrier(MB_GLOBAL, 0, 0), 0);
	EXPECT_ERRNO(r_membarrier(MB_GLOBAL, 1, 0), EINVAL);
	/* Global expedited needs no registration of the caller. */
	EXPECT_EQ(r_membarrier(MB_GLOBAL_EXPEDITED, 0, 0), 0);
	EXPECT_EQ(r_membarrier(MB_REGISTER_GLOBAL_EXPEDITED, 0, 0), 0);
	EXPECT_EQ(r_membarrier(MB_GLOBAL_EXPEDITED, 0, 0), 0);
	/* The private ones do. */
	EXPECT_ERRNO(r_membarrier(MB_PRIVATE_EXPEDITED, 0, 0), EPERM);
	EXPECT_ERRNO(r_membarrier(MB_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), EPERM);
	EXPECT_ERRNO(r_membarrier(MB_PRIVATE_EXPEDITED_RSEQ, 0, 0), EPERM);
	EXPECT_EQ(r_membarrier(MB_REGISTER_PRIVATE_EXPEDITED, 0, 0), 0);
	EXPECT_EQ(r_membarrier(MB_PRIVATE_EXPEDITED, 0, 0), 0);
	EXPECT_ERRNO(r_membarrier(MB_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), EPERM);
	EXPECT_EQ(r_membarrier(MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0);
	EXPECT_EQ(r_membarrier(MB_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0);
	EXPECT_EQ(r_membarrier(MB_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0), 0);
	EXPECT_EQ(r_membarrier(MB_PRIVATE_EXPEDITED_RSEQ, 0, 0), 0);
	/* One CPU: the flag; a CPU that does not exist is nothing to do. */
	EXPECT_EQ(r_membarrier(MB_PRIVATE_EXPEDITED_RSEQ, 1, 0), 0);
	EXPECT_EQ(r_membarrier(MB_PRIVATE_EXPEDITED_RSEQ, 1, 5000), 0);
	EXPECT_ERRNO(r_membarrier(MB_PRIVATE_EXPEDITED_RSEQ, 2, 0), EINVAL);
	EXPECT_ERRNO(r_membarrier(MB_PRIVATE_EXPEDITED, 1, 0), EINVAL);
	/* Registering twice is fine. */
	EXPECT_EQ(r_membarrier(MB_REGISTER_PRIVATE_EXPEDITED, 0, 0), 0);
	/* Unknown commands. */
	EXPECT_ERRNO(r_membarrier(1 << 9, 0, 0), EINVAL);
	EXPECT_ERRNO(r_membarrier(1 << 10, 0, 0), EINVAL);
	EXPECT_ERRNO(r_membarrier(3, 0, 0), EINVAL);
	EXPECT_ERRNO(r_membarrier(-1, 0, 0), EINVAL);
	/* A forked child's address space is a copy: registered as well. */
	pid_t pid = h_fork();
	if (pid == 0) {
		if (r_membarrier(MB_PRIVATE_EXPEDITED, 0, 0) != 0 ||
		    r_membarrier(MB_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) != 0 ||
		    r_membarrier(MB_PRIVATE_EXPEDITED_RSEQ, 0, 0) != 0)
			h_exit(1);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* execve's new one is not. */
	pid = h_fork();
	if (pid == 0) {
		char *argv[] = {(char *)h_child_helper(), "membarrier", NULL};
		execv(argv[0], argv);
		h_exit(99);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

/* Registering the SYNC_CORE or RSEQ variant leaves the plain command EPERM. */
static void membarrier_variants(void *arg)
{
	(void)arg;
	EXPECT_EQ(r_membarrier(MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0);
	EXPECT_ERRNO(r_membarrier(MB_PRIVATE_EXPEDITED, 0, 0), EPERM);
	EXPECT_ERRNO(r_membarrier(MB_PRIVATE_EXPEDITED_RSEQ, 0, 0), EPERM);
	EXPECT_EQ(r_membarrier(MB_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0);
	EXPECT_EQ(r_membarrier(MB_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0), 0);
	EXPECT_ERRNO(r_membarrier(MB_PRIVATE_EXPEDITED, 0, 0), EPERM);
	EXPECT_EQ(r_membarrier(MB_PRIVATE_EXPEDITED_RSEQ, 1, -1), 0);
	/* The cpu argument is ignored without the flag. */
	EXPECT_EQ(r_membarrier(MB_GLOBAL, 0, 12345), 0);
	EXPECT_EQ(r_membarrier(MB_QUERY, 0, -7), 0x1ff);
}

TEST(rseq, membarrier_variants)
{
	EXPECT_CHILD_OK(membarrier_variants, NULL);
}

TEST(rseq, membarrier)
{
	EXPECT_CHILD_OK(membarrier_rules, NULL);
}
