/*
 * Suite seccomp: seccomp(2) and prctl(PR_SET_SECCOMP/PR_GET_SECCOMP).
 *
 * Guards Linux 6.1's kernel/seccomp.c and the classic BPF checks of
 * net/core/filter.c: the operations and their errors (EINVAL for unknown
 * operations, flags and bad programs: empty, longer than 4096, loads outside
 * struct seccomp_data or misaligned, jumps out of the program, no final
 * return, scratch memory read before written; EFAULT for unreadable
 * programs; EACCES without no_new_privs or CAP_SYS_ADMIN; EOPNOTSUPP for an
 * unknown action; ENOMEM past 32768 instructions per chain); strict mode
 * (read, write, exit, rt_sigreturn; anything else is SIGKILL); every action:
 * ERRNO (capped at 4095), TRAP (SIGSYS with SYS_SECCOMP, si_syscall,
 * si_arch, si_errno = data, rax rolled back to the number; forced when
 * blocked), KILL_PROCESS, KILL_THREAD (one thread of many, or the process),
 * LOG, ALLOW, TRACE (PTRACE_EVENT_SECCOMP with the data as event message,
 * the tracer changes or skips the call; ENOSYS without a tracer),
 * USER_NOTIF (the listener's RECV, SEND, ID_VALID, ADDFD, poll, ENOSYS after
 * it closes, one listener per chain); the lowest action across filters, the
 * newest on ties; what filters read (arch, arguments, the x32 bit); chains
 * inherited by fork and kept over execve; TSYNC; /proc/PID/status and
 * /proc/sys/kernel/seccomp.  Every filter goes on in a child.  Man page
 * seccomp(2).
 */
#include "harness.h"
#include "../proc/proc.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>

#ifndef SYS_seccomp
#define SYS_seccomp 317
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#endif

#define SET_MODE_STRICT 0
#define SET_MODE_FILTER 1
#define GET_ACTION_AVAIL 2
#define GET_NOTIF_SIZES 3
#define FLAG_TSYNC 1
#define FLAG_LOG 2
#define FLAG_SPEC_ALLOW 4
#define FLAG_NEW_LISTENER 8
#define FLAG_TSYNC_ESRCH 16
#define FLAG_WAIT_KILLABLE_RECV 32

#define RET_KILL_PROCESS 0x80000000U
#define RET_KILL_THREAD 0x00000000U
#define RET_TRAP 0x00030000U
#define RET_ERRNO 0x00050000U
#define RET_USER_NOTIF 0x7fc00000U
#define RET_TRACE 0x7ff00000U
#define RET_LOG 0x7ffc0000U
#define RET_ALLOW 0x7fff0000U

#define ARCH_X86_64 0xc000003eU
#define X32_BIT 0x40000000U

/* Classic BPF (linux/filter.h, linux/bpf_common.h). */
struct insn {
	unsigned short code;
	unsigned char jt, jf;
	unsigned int k;
};
struct fprog {
	unsigned short len;
	struct insn *filter;
};
#define LD_W_ABS 0x20
#define LD_W_LEN 0x80
#define LD_IMM 0x00
#define LD_MEM 0x60
#define LDX_IMM 0x01
#define ST 0x02
#define ALU_ADD_K 0x04
#define ALU_DIV_X 0x3c
#define JEQ_K 0x15
#define JGE_K 0x35
#define JSET_K 0x45
#define JA 0x05
#define RET_K 0x06
#define RET_A 0x16
#define LD_H_ABS 0x28
#define ALU_MOD_K 0x94
#define STMT(c, v) ((struct insn){(c), 0, 0, (v)})
#define JUMP(c, v, t, f) ((struct insn){(c), (t), (f), (v)})

/* Offsets in struct seccomp_data. */
#define OFF_NR 0
#define OFF_ARCH 4
#define OFF_IP 8
#define OFF_ARG0_LO 16
#define OFF_ARG0_HI 20

struct notif {
	unsigned long long id;
	unsigned int pid, flags;
	struct {
		int nr;
		unsigned int arch;
		unsigned long long ip, args[6];
	} data;
};
struct notif_resp {
	unsigned long long id;
	long long val;
	int error;
	unsigned int flags;
};
struct notif_addfd {
	unsigned long long id;
	unsigned int flags, srcfd, newfd, newfd_flags;
};
#define IOCTL_RECV 0xc0502100UL
#define IOCTL_SEND 0xc0182101UL
#define IOCTL_ID_VALID 0x40082102UL
#define IOCTL_ADDFD 0x40182103UL
#define NOTIF_CONTINUE 1
#define ADDFD_SEND 2

#define EVENT_SECCOMP 7
#define O_TRACESECCOMP 0x80

#define LOGGED_PATH "/proc/sys/kernel/seccomp/actions_logged"
#define LOGGED_DEFAULT "kill_process kill_thread trap errno user_notif trace log"

/* Logged actions print audit lines on the console, which Linux's kauditd
 * prints late, in the middle of the runner's own lines: as init, the suite
 * logs only errno (which no filter here asks to log) until its last test
 * restores the default. */
static void quiet_audit(void)
{
	proc_ready();
	if (h_is_init())
		h_write_file(LOGGED_PATH, "errno");
}

static long sc(unsigned op, unsigned flags, void *args)
{
	return syscall(SYS_seccomp, op, flags, args);
}

static long load(unsigned flags, struct insn *insns, unsigned short len)
{
	struct fprog prog = {len, insns};
	return sc(SET_MODE_FILTER, flags, &prog);
}

static void nnp(void)
{
	EXPECT_EQ(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
}

/* Syscall `nr` answers `ret`; everything else is allowed. */
static long load_rule(unsigned flags, int nr, unsigned ret)
{
	struct insn f[] = {
		STMT(LD_W_ABS, OFF_NR),
		JUMP(JEQ_K, nr, 0, 1),
		STMT(RET_K, ret),
		STMT(RET_K, RET_ALLOW),
	};
	return load(flags, f, 4);
}

/* The call through libc's syscall(): -1 and errno on failure. */
static long raw(long nr)
{
	return syscall(nr, 0, 0, 0, 0, 0, 0);
}

static void child_errors(void *arg)
{
	(void)arg;
	unsigned action;
	for (unsigned i = 0; i < 8; i++) {
		static const unsigned actions[] = {
			RET_KILL_PROCESS, RET_KILL_THREAD, RET_TRAP,
			RET_ERRNO,	  RET_USER_NOTIF,  RET_TRACE,
			RET_LOG,	  RET_ALLOW};
		action = actions[i];
		EXPECT_EQ(sc(GET_ACTION_AVAIL, 0, &action), 0);
	}
	action = 0x7ff80000U;
	EXPECT_ERRNO(sc(GET_ACTION_AVAIL, 0, &action), EOPNOTSUPP);
	action = RET_ALLOW;
	EXPECT_ERRNO(sc(GET_ACTION_AVAIL, 1, &action), EINVAL);
	EXPECT_ERRNO(sc(GET_ACTION_AVAIL, 0, H_BAD_PTR), EFAULT);
	unsigned short sizes[3] = {0};
	EXPECT_EQ(sc(GET_NOTIF_SIZES, 0, sizes), 0);
	EXPECT_EQ(sizes[0], 80);
	EXPECT_EQ(sizes[1], 24);
	EXPECT_EQ(sizes[2], 64);
	EXPECT_ERRNO(sc(GET_NOTIF_SIZES, 1, sizes), EINVAL);
	EXPECT_ERRNO(sc(GET_NOTIF_SIZES, 0, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(sc(4, 0, NULL), EINVAL);
	EXPECT_ERRNO(sc(SET_MODE_STRICT, 1, NULL), EINVAL);
	EXPECT_ERRNO(sc(SET_MODE_STRICT, 0, sizes), EINVAL);

	/* Without no_new_privs and CAP_SYS_ADMIN: EACCES. */
	EXPECT_EQ(setresuid(65534, 65534, 65534), 0);
	struct insn allow[] = {STMT(RET_K, RET_ALLOW)};
	EXPECT_ERRNO(load(0, allow, 1), EACCES);
	EXPECT_ERRNO(prctl(PR_SET_SECCOMP, 2, &(struct fprog){1, allow}, 0, 0),
		     EACCES);
	nnp();

	EXPECT_ERRNO(load(0x40, allow, 1), EINVAL);
	EXPECT_ERRNO(load(FLAG_TSYNC | FLAG_NEW_LISTENER, allow, 1), EINVAL);
	EXPECT_ERRNO(load(FLAG_WAIT_KILLABLE_RECV, allow, 1), EINVAL);
	EXPECT_ERRNO(load(0, allow, 0), EINVAL);
	EXPECT_ERRNO(sc(SET_MODE_FILTER, 0, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(load(0, H_BAD_PTR, 1), EFAULT);
	static struct insn big[4097];
	for (int i = 0; i < 4097; i++)
		big[i] = STMT(RET_K, RET_ALLOW);
	EXPECT_ERRNO(load(0, big, 4097), EINVAL);
	struct insn outside[] = {STMT(LD_W_ABS, 64), STMT(RET_A, 0)};
	EXPECT_ERRNO(load(0, outside, 2), EINVAL);
	struct insn misaligned[] = {STMT(LD_W_ABS, 2), STMT(RET_A, 0)};
	EXPECT_ERRNO(load(0, misaligned, 2), EINVAL);
	struct insn half[] = {STMT(LD_H_ABS, 0), STMT(RET_A, 0)};
	EXPECT_ERRNO(load(0, half, 2), EINVAL);
	struct insn mod[] = {STMT(ALU_MOD_K, 3), STMT(RET_A, 0)};
	EXPECT_ERRNO(load(0, mod, 2), EINVAL);
	struct insn noret[] = {STMT(LD_IMM, RET_ALLOW)};
	EXPECT_ERRNO(load(0, noret, 1), EINVAL);
	struct insn jump_out[] = {JUMP(JEQ_K, 0, 1, 0), STMT(RET_K, RET_ALLOW)};
	EXPECT_ERRNO(load(0, jump_out, 2), EINVAL);
	struct insn ja_out[] = {STMT(JA, 1), STMT(RET_K, RET_ALLOW)};
	EXPECT_ERRNO(load(0, ja_out, 2), EINVAL);
	struct insn unset_mem[] = {STMT(LD_MEM, 0), STMT(RET_A, 0)};
	EXPECT_ERRNO(load(0, unset_mem, 2), EINVAL);
	struct insn bad_code[] = {STMT(0xff, 0), STMT(RET_A, 0)};
	EXPECT_ERRNO(load(0, bad_code, 2), EINVAL);
	/* None of these attached anything. */
	EXPECT_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	EXPECT_ERRNO(prctl(PR_SET_SECCOMP, 3, 0, 0, 0), EINVAL);
	EXPECT_EQ(load(FLAG_SPEC_ALLOW | FLAG_LOG, allow, 1), 0);
	EXPECT_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2);
	/* Filter mode cannot become strict. */
	EXPECT_ERRNO(sc(SET_MODE_STRICT, 0, NULL), EINVAL);
}

TEST(seccomp, errors)
{
	proc_ready();
	char logged[128];
	h_read_file(LOGGED_PATH, logged, sizeof logged);
	if (h_is_init())
		EXPECT_STREQ(logged, LOGGED_DEFAULT "\n");
	quiet_audit();
	EXPECT_CHILD_OK(child_errors, NULL);
}

static void child_errno(void *arg)
{
	(void)arg;
	nnp();
	EXPECT_EQ(load_rule(0, SYS_getppid, RET_ERRNO | 42), 0);
	EXPECT_ERRNO(raw(SYS_getppid), 42);
	EXPECT_EQ(raw(SYS_getpid), getpid());
	/* The data is capped at MAX_ERRNO; errno 0 returns 0 without the call. */
	EXPECT_EQ(load_rule(0, SYS_getuid, RET_ERRNO | 0xffff), 0);
	EXPECT_EQ(h_raw_syscall(SYS_getuid, 0, 0, 0, 0, 0, 0), -4095);
	EXPECT_EQ(load_rule(0, SYS_getpid, RET_ERRNO | 0), 0);
	EXPECT_EQ(raw(SYS_getpid), 0);
	/* A fork keeps the filters. */
	pid_t pid = h_fork();
	if (pid == 0) {
		if (raw(SYS_getppid) != -1 || errno != 42)
			h_exit(1);
		h_exit(raw(SYS_getpid) == 0 ? 0 : 2);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(seccomp, errno_action)
{
	quiet_audit();
	EXPECT_CHILD_OK(child_errno, NULL);
}

static void child_precedence(void *arg)
{
	(void)arg;
	nnp();
	EXPECT_EQ(load_rule(0, SYS_getppid, RET_ERRNO | 1), 0);
	EXPECT_EQ(load_rule(0, SYS_getppid, RET_ERRNO | 2), 0);
	/* Same action: the newest filter's data. */
	EXPECT_ERRNO(raw(SYS_getppid), 2);
	EXPECT_EQ(load_rule(0, SYS_getppid, RET_LOG), 0);
	EXPECT_EQ(load_rule(0, SYS_getppid, RET_ALLOW), 0);
	EXPECT_ERRNO(raw(SYS_getppid), 2);
	/* TRAP is lower than ERRNO, so it wins even from an older filter...
	 * which is checked with an ERRNO rule newer than a lower one. */
	EXPECT_EQ(load_rule(0, SYS_getuid, RET_ERRNO | 5), 0);
	EXPECT_EQ(load_rule(0, SYS_getuid, RET_USER_NOTIF), 0);
	/* USER_NOTIF without a listener in its filter: ENOSYS is not what
	 * happens; ERRNO (lower) wins. */
	EXPECT_ERRNO(raw(SYS_getuid), 5);
	/* LOG lets the call through. */
	EXPECT_EQ(load_rule(FLAG_LOG, SYS_getgid, RET_LOG), 0);
	EXPECT_EQ(raw(SYS_getgid), getgid());
	char status[2048];
	h_read_file("/proc/self/status", status, sizeof status);
	EXPECT_TRUE(strstr(status, "\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t7\n") != NULL);
}

TEST(seccomp, precedence)
{
	quiet_audit();
	EXPECT_CHILD_OK(child_precedence, NULL);
}

static volatile siginfo_t trap_info;
static volatile long trap_rax;

static void on_sigsys(int sig, siginfo_t *info, void *uc_)
{
	(void)sig;
	ucontext_t *uc = uc_;
	memcpy((void *)&trap_info, info, sizeof *info);
	trap_rax = uc->uc_mcontext.gregs[REG_RAX];
	/* The call's result after the handler. */
	uc->uc_mcontext.gregs[REG_RAX] = -1234;
}

static void child_trap(void *arg)
{
	(void)arg;
	struct sigaction sa = {0};
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	EXPECT_EQ(sigaction(SIGSYS, &sa, NULL), 0);
	nnp();
	EXPECT_EQ(load_rule(0, SYS_getppid, RET_TRAP | 0x77), 0);
	long r = h_raw_syscall(SYS_getppid, 5, 6, 0, 0, 0, 0);
	EXPECT_EQ(r, -1234);
	EXPECT_EQ(trap_info.si_signo, SIGSYS);
	EXPECT_EQ(trap_info.si_code, 1); /* SYS_SECCOMP */
	EXPECT_EQ(trap_info.si_errno, 0x77);
	EXPECT_EQ(trap_info.si_syscall, SYS_getppid);
	EXPECT_EQX(trap_info.si_arch, ARCH_X86_64);
	EXPECT_TRUE(trap_info.si_call_addr != NULL);
	EXPECT_EQ(trap_rax, SYS_getppid);
	/* Blocked: forced, the default action kills. */
	pid_t pid = h_fork();
	if (pid == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGSYS);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raw(SYS_getppid);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGSYS);
}

TEST(seccomp, trap)
{
	quiet_audit();
	EXPECT_CHILD_OK(child_trap, NULL);
}

static void kill_with(unsigned ret, int expected_signal)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		nnp();
		if (load_rule(0, SYS_getppid, ret) != 0)
			h_exit(1);
		raw(SYS_getppid);
		h_exit(2);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), expected_signal);
}

TEST(seccomp, kill_actions)
{
	quiet_audit();
	kill_with(RET_KILL_PROCESS, SIGSYS);
	kill_with(RET_KILL_THREAD, SIGSYS);
	/* An unknown action kills the process. */
	kill_with(0x00010000U, SIGSYS);
	kill_with(0x7ff80000U, SIGSYS);
}

static int thread_calls_getppid(void *arg)
{
	(void)arg;
	raw(SYS_getppid);
	return 0;
}

#define THREAD_FLAGS                                                           \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |   \
	 CLONE_SYSVSEM | CLONE_CHILD_CLEARTID)

static void child_kill_thread(void *arg)
{
	(void)arg;
	nnp();
	EXPECT_EQ(load_rule(0, SYS_getppid, RET_KILL_THREAD), 0);
	static volatile int ctid;
	ctid = 1;
	EXPECT_GT(h_clone_raw(THREAD_FLAGS, h_stack(), NULL, (int *)&ctid, 0,
			      thread_calls_getppid, NULL),
		  0);
	h_wait_zero(&ctid);
	/* Only the thread went. */
	EXPECT_EQ(raw(SYS_getpid), getpid());
}

TEST(seccomp, kill_thread_of_many)
{
	quiet_audit();
	EXPECT_CHILD_OK(child_kill_thread, NULL);
}

TEST(seccomp, strict)
{
	quiet_audit();
	/* write is allowed, getpid is not. */
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		if (prctl(PR_SET_SECCOMP, 1, 0, 0, 0) != 0)
			h_exit(1);
		h_raw_syscall(SYS_write, p[1], (long)"x", 1, 0, 0, 0);
		raw(SYS_getpid);
		h_raw_syscall(SYS_exit, 3, 0, 0, 0, 0, 0);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
	char c = 0;
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(c, 'x');
	/* exit is allowed; exit_group is not; PR_GET_SECCOMP neither. */
	pid = h_fork();
	if (pid == 0) {
		if (sc(SET_MODE_STRICT, 0, NULL) != 0)
			h_exit(1);
		h_raw_syscall(SYS_exit, 3, 0, 0, 0, 0, 0);
	}
	EXPECT_EQ(h_wait_exit(pid), 3);
	pid = h_fork();
	if (pid == 0) {
		if (sc(SET_MODE_STRICT, 0, NULL) != 0)
			h_exit(1);
		h_raw_syscall(SYS_exit_group, 3, 0, 0, 0, 0, 0);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
	pid = h_fork();
	if (pid == 0) {
		if (prctl(PR_SET_SECCOMP, 1, 0, 0, 0) != 0)
			h_exit(1);
		h_raw_syscall(SYS_prctl, PR_GET_SECCOMP, 0, 0, 0, 0, 0);
		h_raw_syscall(SYS_exit, 4, 0, 0, 0, 0, 0);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
}

static void child_data(void *arg)
{
	(void)arg;
	nnp();
	/* getppid with arg0 == 0x1234567800000042 and a non-zero instruction
	 * pointer: EPERM; the x32 bit: EBADF; arch other than x86-64: kill. */
	struct insn f[] = {
		STMT(LD_W_ABS, OFF_ARCH),
		JUMP(JEQ_K, ARCH_X86_64, 1, 0),
		STMT(RET_K, RET_KILL_PROCESS),
		STMT(LD_W_ABS, OFF_NR),
		JUMP(JSET_K, X32_BIT, 0, 1),
		STMT(RET_K, RET_ERRNO | EBADF),
		JUMP(JEQ_K, SYS_getppid, 0, 8),
		STMT(LD_W_ABS, OFF_ARG0_LO),
		JUMP(JEQ_K, 0x42, 0, 6),
		STMT(LD_W_ABS, OFF_ARG0_HI),
		JUMP(JEQ_K, 0x12345678, 0, 4),
		STMT(LD_W_ABS, OFF_IP),
		JUMP(JEQ_K, 0, 2, 0),
		STMT(LD_W_LEN, 0),
		JUMP(JEQ_K, 64, 1, 0),
		STMT(RET_K, RET_ALLOW),
		STMT(RET_K, RET_ERRNO | EPERM),
	};
	EXPECT_EQ(load(0, f, sizeof f / sizeof f[0]), 0);
	EXPECT_ERRNO(syscall(SYS_getppid, 0x1234567800000042L), EPERM);
	EXPECT_EQ(syscall(SYS_getppid, 0x42), getppid());
	EXPECT_EQ(syscall(SYS_getppid, 0x1234567900000042L), getppid());
	EXPECT_ERRNO(raw(X32_BIT | SYS_getpid), EBADF);
	/* Scratch memory and division by a zero X (the filter returns 0:
	 * KILL_THREAD). */
	struct insn g[] = {
		STMT(LD_W_ABS, OFF_NR),
		JUMP(JEQ_K, SYS_getuid, 0, 4),
		STMT(LD_IMM, RET_ERRNO | 10),
		STMT(ST, 3),
		STMT(LD_MEM, 3),
		STMT(RET_A, 0),
		JUMP(JEQ_K, SYS_getgid, 0, 3),
		STMT(LDX_IMM, 0),
		STMT(ALU_DIV_X, 0),
		STMT(RET_A, 0),
		STMT(RET_K, RET_ALLOW),
	};
	EXPECT_EQ(load(0, g, sizeof g / sizeof g[0]), 0);
	EXPECT_ERRNO(raw(SYS_getuid), 10);
	pid_t pid = h_fork();
	if (pid == 0) {
		raw(SYS_getgid);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGSYS);
}

TEST(seccomp, filter_data)
{
	quiet_audit();
	EXPECT_CHILD_OK(child_data, NULL);
}

/* A filter laid out as libseccomp 2.5 generates one for a default action of
 * ERRNO(EACCES) with a few rules: arch check, the x32 guard, the rules as a
 * chain of JEQs, a rule on an argument. */
static void child_libseccomp(void *arg)
{
	(void)arg;
	nnp();
	struct insn f[] = {
		/* 0 */ STMT(LD_W_ABS, OFF_ARCH),
		/* 1 */ JUMP(JEQ_K, ARCH_X86_64, 0, 12),
		/* 2 */ STMT(LD_W_ABS, OFF_NR),
		/* 3 */ JUMP(JGE_K, X32_BIT, 0, 1),
		/* 4 */ JUMP(JEQ_K, 0xffffffff, 0, 9),
		/* 5 */ JUMP(JEQ_K, SYS_getuid, 6, 0),
		/* 6 */ JUMP(JEQ_K, SYS_write, 5, 0),
		/* 7 */ JUMP(JEQ_K, SYS_exit_group, 4, 0),
		/* 8 */ JUMP(JEQ_K, SYS_getppid, 0, 4),
		/* 9 */ STMT(LD_W_ABS, OFF_ARG0_LO),
		/* 10 */ JUMP(JEQ_K, 7, 0, 2),
		/* 11 */ STMT(RET_K, RET_ERRNO | ENOENT),
		/* 12 */ STMT(RET_K, RET_ALLOW),
		/* 13 */ STMT(RET_K, RET_ERRNO | EACCES),
		/* 14 */ STMT(RET_K, RET_KILL_PROCESS),
	};
	EXPECT_EQ(load(0, f, sizeof f / sizeof f[0]), 0);
	EXPECT_EQ(raw(SYS_getuid), getuid());
	EXPECT_ERRNO(syscall(SYS_getppid, 7), ENOENT);
	EXPECT_ERRNO(syscall(SYS_getppid, 8), EACCES);
	EXPECT_ERRNO(raw(SYS_getpid), EACCES);
	EXPECT_ERRNO(raw(SYS_getgid), EACCES);
	h_raw_syscall(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

TEST(seccomp, libseccomp_layout)
{
	quiet_audit();
	EXPECT_CHILD_OK(child_libseccomp, NULL);
}

static void child_chain_limit(void *arg)
{
	(void)arg;
	nnp();
	struct insn allow[] = {STMT(RET_K, RET_ALLOW)};
	int n = 0;
	while (load(0, allow, 1) == 0)
		n++;
	EXPECT_EQ(errno, ENOMEM);
	/* 32768 instructions as translated (5 for a lone return), each
	 * filter counted with 4 more. */
	EXPECT_EQ(n, 3641);
	char status[2048];
	h_read_file("/proc/self/status", status, sizeof status);
	EXPECT_TRUE(strstr(status, "\nSeccomp_filters:\t3641\n") != NULL);
}

TEST(seccomp, chain_limit)
{
	quiet_audit();
	h_set_timeout(60);
	EXPECT_CHILD_OK(child_chain_limit, NULL);
}

TEST(seccomp, exec_keeps_filters)
{
	quiet_audit();
	pid_t pid = h_fork();
	if (pid == 0) {
		nnp();
		if (load_rule(0, 999, RET_ERRNO | 1) != 0 ||
		    load_rule(0, 998, RET_ERRNO | 1) != 0)
			h_exit(1);
		char *argv[] = {"child-helper", "pause", NULL};
		execve(h_child_helper(), argv, NULL);
		h_exit(2);
	}
	char path[64], status[2048];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	for (int i = 0; i < 2000; i++) {
		h_read_file(path, status, sizeof status);
		if (strstr(status, "Name:\tchild-helper"))
			break;
		usleep(1000);
	}
	EXPECT_TRUE(strstr(status, "Name:\tchild-helper") != NULL);
	EXPECT_TRUE(strstr(status, "\nSeccomp:\t2\nSeccomp_filters:\t2\n") != NULL);
	kill(pid, SIGKILL);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
}

static volatile int tsync_go;

static int thread_waits(void *arg)
{
	(void)arg;
	while (!tsync_go)
		raw(SYS_sched_yield);
	return 0;
}

static int thread_own_filter(void *arg)
{
	(void)arg;
	load_rule(0, 997, RET_ERRNO | 1);
	tsync_go = 2;
	while (tsync_go != 3)
		raw(SYS_sched_yield);
	return 0;
}

static void child_tsync(void *arg)
{
	(void)arg;
	nnp();
	static volatile int ctid;
	ctid = 1;
	tsync_go = 0;
	long tid = h_clone_raw(THREAD_FLAGS, h_stack(), NULL, (int *)&ctid, 0,
			       thread_waits, NULL);
	EXPECT_GT(tid, 0);
	EXPECT_EQ(load_rule(FLAG_TSYNC, SYS_getppid, RET_ERRNO | 3), 0);
	char path[64], status[2048];
	snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
	h_read_file(path, status, sizeof status);
	EXPECT_TRUE(strstr(status, "\nSeccomp:\t2\nSeccomp_filters:\t1\n") != NULL);
	tsync_go = 1;
	h_wait_zero(&ctid);
	/* A thread with a filter of its own cannot be synchronised: its id,
	 * or ESRCH. */
	ctid = 1;
	tsync_go = 0;
	tid = h_clone_raw(THREAD_FLAGS, h_stack(), NULL, (int *)&ctid, 0,
			  thread_own_filter, NULL);
	EXPECT_GT(tid, 0);
	while (tsync_go != 2)
		raw(SYS_sched_yield);
	EXPECT_EQ(load_rule(FLAG_TSYNC, SYS_getuid, RET_ERRNO | 3), tid);
	EXPECT_ERRNO(load_rule(FLAG_TSYNC | FLAG_TSYNC_ESRCH, SYS_getuid,
			       RET_ERRNO | 3),
		     ESRCH);
	/* Nothing was attached. */
	EXPECT_EQ(raw(SYS_getuid), getuid());
	tsync_go = 3;
	h_wait_zero(&ctid);
}

TEST(seccomp, tsync)
{
	quiet_audit();
	EXPECT_CHILD_OK(child_tsync, NULL);
}

/* What a tracer reads at a seccomp stop: PTRACE_GET_SYSCALL_INFO's seccomp
 * view, the filter itself and its flags. */
static void check_seccomp_stop(pid_t pid)
{
	struct {
		unsigned char op, pad[3];
		unsigned arch;
		unsigned long long ip, sp, nr, args[6];
		unsigned ret_data, pad2;
	} info;
	memset(&info, 0, sizeof info);
	EXPECT_EQ(ptrace(0x420e, pid, sizeof info, &info), 84);
	EXPECT_EQ(info.op, 3);
	EXPECT_EQX(info.arch, ARCH_X86_64);
	EXPECT_EQ(info.nr, SYS_getppid);
	EXPECT_EQ(info.ret_data, 0x55);
	struct insn prog[8];
	memset(prog, 0, sizeof prog);
	/* Index 0 is the oldest filter. */
	EXPECT_EQ(ptrace(0x420c, pid, 0, NULL), 4);
	EXPECT_EQ(ptrace(0x420c, pid, 0, prog), 4);
	EXPECT_EQ(prog[0].code, LD_W_ABS);
	EXPECT_EQ(prog[1].k, SYS_getppid);
	EXPECT_EQ(prog[2].k, RET_TRACE | 0x55);
	EXPECT_EQ(ptrace(0x420c, pid, 1, prog), 1);
	EXPECT_EQ(prog[0].k, RET_ALLOW);
	EXPECT_ERRNO(ptrace(0x420c, pid, 2, prog), ENOENT);
	unsigned long long md[2] = {1, 99};
	EXPECT_EQ(ptrace(0x420d, pid, sizeof md, md), 16);
	EXPECT_EQ(md[0], 1);
	EXPECT_EQ(md[1], FLAG_LOG);
	md[0] = 0;
	EXPECT_EQ(ptrace(0x420d, pid, sizeof md, md), 16);
	EXPECT_EQ(md[1], 0);
	EXPECT_ERRNO(ptrace(0x420d, pid, 4, md), EINVAL);
}

/* TRACE: the tracer gets PTRACE_EVENT_SECCOMP with the data, changes the
 * call to getpid, then skips the next with a result of its own (the number
 * is an int: 0xffffffff is -1). */
TEST(seccomp, trace)
{
	quiet_audit();
	pid_t pid = h_fork();
	if (pid == 0) {
		/* Without a tracer: ENOSYS. */
		nnp();
		if (load_rule(0, SYS_getppid, RET_TRACE | 0x55) != 0)
			h_exit(1);
		if (raw(SYS_getppid) != -1 || errno != ENOSYS)
			h_exit(2);
		struct insn allow[] = {STMT(RET_K, RET_ALLOW)};
		if (load(FLAG_LOG, allow, 1) != 0)
			h_exit(5);
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
			h_exit(3);
		raise(SIGSTOP);
		long a = raw(SYS_getppid);
		long b = raw(SYS_getppid);
		EXPECT_EQ(a, getpid());
		EXPECT_EQ(b, 777);
		h_exit(0);
	}
	int status = h_wait_status(pid);
	EXPECT_TRUE(WIFSTOPPED(status));
	EXPECT_EQ(ptrace(PTRACE_SETOPTIONS, pid, 0, O_TRACESECCOMP), 0);
	for (int round = 0; round < 2; round++) {
		EXPECT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
		status = h_wait_status(pid);
		EXPECT_TRUE(WIFSTOPPED(status));
		EXPECT_EQX(status >> 8, SIGTRAP | (EVENT_SECCOMP << 8));
		unsigned long msg = 0;
		EXPECT_EQ(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg), 0);
		EXPECT_EQ(msg, 0x55);
		long orig = ptrace(PTRACE_PEEKUSER, pid,
				   offsetof(struct user_regs_struct, orig_rax), 0);
		long rax = ptrace(PTRACE_PEEKUSER, pid,
				  offsetof(struct user_regs_struct, rax), 0);
		EXPECT_EQ(orig, SYS_getppid);
		EXPECT_EQ(rax, -ENOSYS);
		if (round == 0)
			check_seccomp_stop(pid);
		if (round == 0) {
			EXPECT_EQ(ptrace(PTRACE_POKEUSER, pid,
					 offsetof(struct user_regs_struct, orig_rax),
					 SYS_getpid),
				  0);
		} else {
			EXPECT_EQ(ptrace(PTRACE_POKEUSER, pid,
					 offsetof(struct user_regs_struct, orig_rax),
					 0xffffffffL),
				  0);
			EXPECT_EQ(ptrace(PTRACE_POKEUSER, pid,
					 offsetof(struct user_regs_struct, rax),
					 777),
				  0);
		}
	}
	EXPECT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

/* The target: a filter whose listener goes to the parent (through
 * pidfd_getfd), then calls it answers. */
static void notif_target(int ready, int go)
{
	pid_t ppid = getppid();
	nnp();
	long fd = load_rule(FLAG_NEW_LISTENER, SYS_getppid, RET_USER_NOTIF);
	if (fd < 0)
		h_exit(10);
	if (write(ready, &fd, sizeof fd) != sizeof fd)
		h_exit(11);
	/* A second listener in the chain: EBUSY. */
	if (load_rule(FLAG_NEW_LISTENER, SYS_getuid, RET_USER_NOTIF) != -1 ||
	    errno != EBUSY)
		h_exit(12);
	/* The parent has its copy when it says go. */
	h_wait_byte(go);
	close(fd);
	if (h_raw_syscall(SYS_getppid, 11, 22, 0, 0, 0, 0) != 1234)
		h_exit(13);
	if (raw(SYS_getppid) != -1 || errno != EPERM)
		h_exit(14);
	if (raw(SYS_getppid) != ppid)
		h_exit(15);
	long newfd = raw(SYS_getppid);
	if (newfd < 3 || write(newfd, "hi", 2) != 2)
		h_exit(16);
	/* After the listener closed: ENOSYS. */
	if (raw(SYS_getppid) != -1 || errno != ENOSYS)
		h_exit(17);
	if (raw(SYS_getppid) != -1 || errno != ENOSYS)
		h_exit(18);
	h_exit(0);
}

static struct notif recv_one(int listener)
{
	struct notif n;
	memset(&n, 0, sizeof n);
	EXPECT_EQ(ioctl(listener, IOCTL_RECV, &n), 0);
	return n;
}

static void reply(int listener, unsigned long long id, long long val,
		  int error, unsigned flags)
{
	struct notif_resp r = {id, val, error, flags};
	EXPECT_EQ(ioctl(listener, IOCTL_SEND, &r), 0);
}

TEST(seccomp, user_notif)
{
	quiet_audit();
	int ready[2], go[2], data[2];
	h_pipe(ready);
	h_pipe(go);
	h_pipe(data);
	pid_t pid = h_fork();
	if (pid == 0)
		notif_target(ready[1], go[0]);
	long remote = -1;
	EXPECT_EQ(read(ready[0], &remote, sizeof remote), (long)sizeof remote);
	int pidfd = EXPECT_OK(syscall(SYS_pidfd_open, pid, 0));
	int listener = EXPECT_OK(syscall(SYS_pidfd_getfd, pidfd, remote, 0));
	char link[64], target[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", listener);
	ssize_t len = readlink(link, target, sizeof target - 1);
	EXPECT_GT(len, 0);
	target[len] = 0;
	EXPECT_STREQ(target, "anon_inode:seccomp notify");
	struct pollfd pfd = {listener, POLLIN | POLLOUT, 0};
	EXPECT_EQ(poll(&pfd, 1, 0), 0);
	/* A receive buffer that is not zeroed: EINVAL. */
	struct notif dirty;
	memset(&dirty, 1, sizeof dirty);
	EXPECT_ERRNO(ioctl(listener, IOCTL_RECV, &dirty), EINVAL);
	struct notif_resp unknown = {12345, 0, 0, 0};
	EXPECT_ERRNO(ioctl(listener, IOCTL_SEND, &unknown), ENOENT);
	h_post(go[1]);

	/* 1: a value. */
	EXPECT_EQ(poll(&pfd, 1, 5000), 1);
	EXPECT_EQ(pfd.revents, POLLIN);
	struct notif n = recv_one(listener);
	EXPECT_EQ(n.pid, pid);
	EXPECT_EQ(n.flags, 0);
	EXPECT_EQ(n.data.nr, SYS_getppid);
	EXPECT_EQX(n.data.arch, ARCH_X86_64);
	EXPECT_EQ(n.data.args[0], 11);
	EXPECT_EQ(n.data.args[1], 22);
	EXPECT_EQ(poll(&pfd, 1, 0), 1);
	EXPECT_EQ(pfd.revents, POLLOUT);
	EXPECT_EQ(ioctl(listener, IOCTL_ID_VALID, &n.id), 0);
	struct notif_resp bad = {n.id, 1, 0, NOTIF_CONTINUE};
	EXPECT_ERRNO(ioctl(listener, IOCTL_SEND, &bad), EINVAL);
	bad.flags = 2;
	EXPECT_ERRNO(ioctl(listener, IOCTL_SEND, &bad), EINVAL);
	reply(listener, n.id, 1234, 0, 0);
	/* 2: an error. */
	n = recv_one(listener);
	reply(listener, n.id, 0, -EPERM, 0);
	/* 3: continue. */
	n = recv_one(listener);
	reply(listener, n.id, 0, 0, NOTIF_CONTINUE);
	/* 4: a descriptor added and sent as the result. */
	n = recv_one(listener);
	struct notif_addfd add = {n.id, 1 << 5, data[1], 0, 0};
	EXPECT_ERRNO(ioctl(listener, IOCTL_ADDFD, &add), EINVAL);
	add.flags = 0;
	add.newfd = 50;
	EXPECT_ERRNO(ioctl(listener, IOCTL_ADDFD, &add), EINVAL);
	add.newfd = 0;
	add.flags = ADDFD_SEND;
	long added = EXPECT_OK(ioctl(listener, IOCTL_ADDFD, &add));
	EXPECT_GE(added, 3);
	close(data[1]);
	char buf[4] = {0};
	EXPECT_EQ(read(data[0], buf, 2), 2);
	EXPECT_STREQ(buf, "hi");
	/* 5: received, then the listener closes: ENOSYS. */
	n = recv_one(listener);
	close(listener);
	EXPECT_EQ(h_wait_exit(pid), 0);
	close(pidfd);
}

TEST(seccomp, user_notif_hangup)
{
	quiet_audit();
	int ready[2];
	h_pipe(ready);
	pid_t pid = h_fork();
	if (pid == 0) {
		nnp();
		long fd = load_rule(FLAG_NEW_LISTENER | FLAG_WAIT_KILLABLE_RECV,
				    SYS_getppid, RET_USER_NOTIF);
		if (fd < 0)
			h_exit(1);
		if (write(ready[1], &fd, sizeof fd) != sizeof fd)
			h_exit(2);
		pause();
		h_exit(0);
	}
	long remote = -1;
	EXPECT_EQ(read(ready[0], &remote, sizeof remote), (long)sizeof remote);
	int pidfd = EXPECT_OK(syscall(SYS_pidfd_open, pid, 0));
	int listener = EXPECT_OK(syscall(SYS_pidfd_getfd, pidfd, remote, 0));
	struct pollfd pfd = {listener, POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, 0), 0);
	kill(pid, SIGKILL);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
	/* No task uses the filter any more. */
	EXPECT_EQ(poll(&pfd, 1, 5000), 1);
	EXPECT_EQ(pfd.revents, POLLHUP);
}

TEST(seccomp, sysctl)
{
	proc_ready();
	char buf[256];
	h_read_file("/proc/sys/kernel/seccomp/actions_avail", buf, sizeof buf);
	EXPECT_STREQ(buf, "kill_process kill_thread trap errno user_notif trace log allow\n");
	if (!h_is_init())
		return;
	h_write_file(LOGGED_PATH, LOGGED_DEFAULT);
	h_read_file("/proc/sys/kernel/seccomp/actions_logged", buf, sizeof buf);
	EXPECT_STREQ(buf, "kill_process kill_thread trap errno user_notif trace log\n");
	int fd = EXPECT_OK(open("/proc/sys/kernel/seccomp/actions_logged", O_WRONLY));
	EXPECT_ERRNO(write(fd, "allow", 5), EINVAL);
	EXPECT_ERRNO(write(fd, "bogus", 5), EINVAL);
	EXPECT_EQ(write(fd, "kill_process trap", 17), 17);
	close(fd);
	h_read_file("/proc/sys/kernel/seccomp/actions_logged", buf, sizeof buf);
	EXPECT_STREQ(buf, "kill_process trap\n");
	h_write_file("/proc/sys/kernel/seccomp/actions_logged",
		     "kill_process kill_thread trap errno user_notif trace log");
	h_read_file("/proc/sys/kernel/seccomp/actions_logged", buf, sizeof buf);
	EXPECT_STREQ(buf, "kill_process kill_thread trap errno user_notif trace log\n");
	EXPECT_ERRNO(open("/proc/sys/kernel/seccomp/actions_avail", O_WRONLY), EACCES);
}
