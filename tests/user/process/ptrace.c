/*
 * Suite ptrace: ptrace(2) requests, stops and what the tracer's wait sees.
 *
 * Guards Linux's kernel/ptrace.c (ptrace_traceme, ptrace_attach,
 * ptrace_check_attach, ptrace_request, ptrace_resume, ptrace_detach,
 * exit_ptrace, ptrace_get_syscall_info), arch/x86/kernel/ptrace.c (getreg,
 * putreg, PEEKUSR/POKEUSR, regsets), kernel/signal.c (ptrace_stop,
 * ptrace_signal, do_jobctl_trap), kernel/exit.c (ptrace_do_wait,
 * exit_notify for traced tasks) and include/linux/ptrace.h
 * (ptrace_event, ptrace_report_syscall): the error paths (ESRCH for a task
 * that is not a stopped tracee of the caller, EPERM for the caller's own
 * process and for a second tracer, EIO for unknown requests, bad offsets,
 * bad signals and unreachable words, EINVAL for unknown options); the
 * signal-delivery stop (the tracer sees the signal, may cancel or change
 * it); exec's SIGTRAP; syscall-entry and exit stops (orig_rax, rax =
 * -ENOSYS at entry, TRACESYSGOOD, GET_SYSCALL_INFO, GETEVENTMSG, changing
 * the number, skipping the call with -1, changing the result); PEEK/POKE
 * of data and of read-only private memory (FOLL_FORCE: the tracee gets a
 * copy, the tracer's page is untouched); user area, GETREGS/SETREGS,
 * regsets, FP registers; ATTACH (SIGSTOP, /proc TracerPid and the 't'
 * state) and DETACH; SEIZE with INTERRUPT and group stops (PTRACE_EVENT_STOP);
 * fork events with auto-attach; a tracer that is not the parent reaps
 * first; PTRACE_O_EXITKILL; single-step (TRAP_TRACE); signal masks.
 * Man page ptrace(2).
 */
#include "harness.h"
#include "../proc/proc.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define PT_TRACEME 0
#define PT_PEEKTEXT 1
#define PT_PEEKDATA 2
#define PT_PEEKUSER 3
#define PT_POKETEXT 4
#define PT_POKEDATA 5
#define PT_POKEUSER 6
#define PT_CONT 7
#define PT_KILL 8
#define PT_SINGLESTEP 9
#define PT_GETREGS 12
#define PT_SETREGS 13
#define PT_GETFPREGS 14
#define PT_SETFPREGS 15
#define PT_ATTACH 16
#define PT_DETACH 17
#define PT_SYSCALL 24
#define PT_ARCH_PRCTL 30
#define PT_SETOPTIONS 0x4200
#define PT_GETEVENTMSG 0x4201
#define PT_GETSIGINFO 0x4202
#define PT_SETSIGINFO 0x4203
#define PT_GETREGSET 0x4204
#define PT_SEIZE 0x4206
#define PT_INTERRUPT 0x4207
#define PT_LISTEN 0x4208
#define PT_GETSIGMASK 0x420a
#define PT_SETSIGMASK 0x420b
#define PT_GET_SYSCALL_INFO 0x420e

#define O_TRACESYSGOOD 1
#define O_TRACEFORK 2
#define O_TRACEEXEC 0x10
#define O_TRACEEXIT 0x40
#define O_EXITKILL 0x100000

#define EV_FORK 1
#define EV_EXEC 4
#define EV_EXIT 6
#define EV_STOP 128

#define NT_PRSTATUS 1
#define NT_PRFPREG 2
#define ARCH_GET_FS 0x1003

/* struct user_regs_struct, without depending on either libc's header. */
struct regs {
	unsigned long r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx,
		rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss, fs_base,
		gs_base, ds, es, fs, gs;
};
#define OFF(field) ((long)offsetof(struct regs, field))

struct syscall_info {
	uint8_t op;
	uint8_t pad[3];
	uint32_t arch;
	uint64_t ip, sp;
	uint64_t nr_or_rval;
	uint64_t args[6];
	uint64_t ret_data;
};

static long pt(long request, pid_t pid, long addr, long data)
{
	return syscall(SYS_ptrace, request, (long)pid, addr, data);
}

/* Waits for pid (__WALL) and returns the status word. */
static int wait_for(pid_t pid)
{
	int status = 0;
	pid_t got;
	do {
		got = waitpid(pid, &status, __WALL);
	} while (got < 0 && errno == EINTR);
	if (got != pid)
		FAIL("waitpid(%d) = %d, errno %d", pid, got, errno);
	return status;
}

/* Waits for a stop of pid and returns status >> 8 (signal | event << 8). */
static int wait_stop(pid_t pid)
{
	int status = wait_for(pid);
	if (!WIFSTOPPED(status))
		FAIL("pid %d: status %#x is not a stop", pid, status);
	return status >> 8;
}

static void stop_self(void)
{
	syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
}

/* A child that asks to be traced and stops; returns its pid, stopped. */
static pid_t traced_child(void (*body)(void))
{
	pid_t pid = h_fork();
	if (pid == 0) {
		if (pt(PT_TRACEME, 0, 0, 0) != 0)
			h_exit(100);
		stop_self();
		body();
		h_exit(0);
	}
	EXPECT_EQ(wait_stop(pid), SIGSTOP);
	return pid;
}

static int wait_exit_code(pid_t pid)
{
	int status = wait_for(pid);
	if (!WIFEXITED(status))
		FAIL("pid %d: status %#x, not an exit", pid, status);
	return WEXITSTATUS(status);
}

static void body_nothing(void) {}

TEST(ptrace, error_paths)
{
	EXPECT_ERRNO(pt(PT_CONT, 0, 0, 0), ESRCH);
	EXPECT_ERRNO(pt(PT_CONT, -1, 0, 0), ESRCH);
	EXPECT_ERRNO(pt(PT_ATTACH, getpid(), 0, 0), EPERM);
	EXPECT_ERRNO(pt(PT_SEIZE, getpid(), 0, 0), EPERM);
	EXPECT_ERRNO(pt(PT_GETREGS, 0x3fffffff, 0, 0), ESRCH);

	int p[2];
	h_pipe(p);
	pid_t free_child = h_fork();
	if (free_child == 0) {
		h_wait_byte(p[0]);
		h_exit(0);
	}
	/* Not traced: every request but ATTACH/SEIZE is ESRCH. */
	EXPECT_ERRNO(pt(PT_CONT, free_child, 0, 0), ESRCH);
	EXPECT_ERRNO(pt(PT_PEEKDATA, free_child, 0, 0), ESRCH);
	EXPECT_ERRNO(pt(PT_KILL, free_child, 0, 0), ESRCH);
	EXPECT_ERRNO(pt(PT_INTERRUPT, free_child, 0, 0), ESRCH);
	EXPECT_ERRNO(pt(PT_DETACH, free_child, 0, 0), ESRCH);
	/* SEIZE: addr must be 0, unknown option bits are EIO. */
	EXPECT_ERRNO(pt(PT_SEIZE, free_child, 1, 0), EIO);
	EXPECT_ERRNO(pt(PT_SEIZE, free_child, 0, 1L << 30), EIO);
	EXPECT_OK(pt(PT_SEIZE, free_child, 0, 0));
	/* A second attach, by anyone, is EPERM. */
	EXPECT_ERRNO(pt(PT_SEIZE, free_child, 0, 0), EPERM);
	EXPECT_ERRNO(pt(PT_ATTACH, free_child, 0, 0), EPERM);
	/* Traced but running: ESRCH, except INTERRUPT and KILL. */
	EXPECT_ERRNO(pt(PT_GETREGS, free_child, 0, 0), ESRCH);
	EXPECT_ERRNO(pt(PT_CONT, free_child, 0, 0), ESRCH);
	EXPECT_OK(pt(PT_INTERRUPT, free_child, 0, 0));
	EXPECT_EQ(wait_stop(free_child), SIGTRAP | (EV_STOP << 8));
	/* Stopped: unknown requests are EIO, bad signals EIO, unknown options
	 * EINVAL. */
	EXPECT_ERRNO(pt(0x1234, free_child, 0, 0), EIO);
	EXPECT_ERRNO(pt(PT_CONT, free_child, 0, 65), EIO);
	EXPECT_ERRNO(pt(PT_DETACH, free_child, 0, 65), EIO);
	EXPECT_ERRNO(pt(PT_SETOPTIONS, free_child, 0, 0x200), EINVAL);
	EXPECT_ERRNO(pt(PT_PEEKUSER, free_child, 3, 0), EIO);
	EXPECT_ERRNO(pt(PT_PEEKUSER, free_child, 928, 0), EIO);
	unsigned long word;
	EXPECT_ERRNO(pt(PT_PEEKDATA, free_child, 8, (long)&word), EIO);
	EXPECT_ERRNO(pt(PT_POKEDATA, free_child, 8, 1), EIO);
	EXPECT_ERRNO(pt(PT_GETREGS, free_child, 0, 8), EFAULT);
	EXPECT_ERRNO(pt(PT_GETSIGMASK, free_child, 4, (long)&word), EINVAL);
	EXPECT_OK(pt(PT_DETACH, free_child, 0, 0));
	EXPECT_ERRNO(pt(PT_CONT, free_child, 0, 0), ESRCH);
	h_post(p[1]);
	EXPECT_EQ(wait_exit_code(free_child), 0);

	/* TRACEME twice: EPERM the second time. */
	pid_t twice = h_fork();
	if (twice == 0) {
		if (pt(PT_TRACEME, 0, 0, 0) != 0)
			h_exit(1);
		if (pt(PT_TRACEME, 0, 0, 0) != -1 || errno != EPERM)
			h_exit(2);
		h_exit(0);
	}
	EXPECT_EQ(wait_exit_code(twice), 0);
}

static volatile int handled_signal;
static volatile int handled_code;
static volatile int handled_pid;
static void record_handler(int signal, siginfo_t *info, void *context)
{
	(void)context;
	handled_signal = signal;
	handled_code = info->si_code;
	handled_pid = info->si_pid;
}

static void body_signals(void)
{
	struct sigaction action = {0};
	action.sa_sigaction = record_handler;
	action.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &action, NULL);
	sigaction(SIGUSR2, &action, NULL);
	/* Cancelled by the tracer: no handler runs. */
	syscall(SYS_kill, syscall(SYS_getpid), SIGUSR1);
	if (handled_signal != 0)
		h_exit(10);
	/* Replaced by SIGUSR2: a fresh siginfo from the tracer. */
	syscall(SYS_kill, syscall(SYS_getpid), SIGUSR1);
	if (handled_signal != SIGUSR2 || handled_code != SI_USER ||
	    handled_pid != getppid())
		h_exit(11);
	/* Delivered as it came. */
	handled_signal = 0;
	syscall(SYS_kill, syscall(SYS_getpid), SIGUSR1);
	if (handled_signal != SIGUSR1 || handled_code != SI_USER ||
	    handled_pid != getpid())
		h_exit(12);
	/* An ignored signal still stops for the tracer. */
	signal(SIGWINCH, SIG_IGN);
	syscall(SYS_kill, syscall(SYS_getpid), SIGWINCH);
}

TEST(ptrace, signal_delivery_stop)
{
	pid_t pid = traced_child(body_signals);
	/* The stop of SIGSTOP itself: its siginfo says who sent it. */
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_OK(pt(PT_GETSIGINFO, pid, 0, (long)&si));
	EXPECT_EQ(si.si_signo, SIGSTOP);
	EXPECT_EQ(si.si_code, SI_USER);
	EXPECT_EQ(si.si_pid, pid);
	unsigned long message = 99;
	EXPECT_OK(pt(PT_GETEVENTMSG, pid, 0, (long)&message));
	EXPECT_EQ(message, 0);
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));

	EXPECT_EQ(wait_stop(pid), SIGUSR1);
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	EXPECT_EQ(wait_stop(pid), SIGUSR1);
	EXPECT_OK(pt(PT_CONT, pid, 0, SIGUSR2));
	EXPECT_EQ(wait_stop(pid), SIGUSR1);
	memset(&si, 0, sizeof si);
	EXPECT_OK(pt(PT_GETSIGINFO, pid, 0, (long)&si));
	EXPECT_EQ(si.si_signo, SIGUSR1);
	EXPECT_OK(pt(PT_SETSIGINFO, pid, 0, (long)&si));
	EXPECT_OK(pt(PT_CONT, pid, 0, SIGUSR1));
	EXPECT_EQ(wait_stop(pid), SIGWINCH);
	EXPECT_OK(pt(PT_CONT, pid, 0, SIGWINCH));
	EXPECT_EQ(wait_exit_code(pid), 0);
}

TEST(ptrace, exec_sends_sigtrap)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		if (pt(PT_TRACEME, 0, 0, 0) != 0)
			h_exit(100);
		execl(h_child_helper(), "child-helper", "exit", "7",
		      (char *)NULL);
		h_exit(101);
	}
	EXPECT_EQ(wait_stop(pid), SIGTRAP);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_OK(pt(PT_GETSIGINFO, pid, 0, (long)&si));
	EXPECT_EQ(si.si_signo, SIGTRAP);
	EXPECT_EQ(si.si_code, SI_USER);
	/* At the new program's entry: rax 0, the stack above the entry. */
	struct regs r;
	EXPECT_OK(pt(PT_GETREGS, pid, 0, (long)&r));
	EXPECT_EQ(r.rax, 0);
	EXPECT_EQ(r.orig_rax, SYS_execve);
	EXPECT_EQ(r.cs, 0x33);
	EXPECT_EQ(r.ss, 0x2b);
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	EXPECT_EQ(wait_exit_code(pid), 7);
}

static pid_t expected_parent;

static void body_syscalls(void)
{
	long ppid = syscall(SYS_getppid);
	if (ppid != expected_parent)
		h_exit(20);
	/* Turned into getpid by the tracer. */
	if (syscall(SYS_getppid) != syscall(SYS_getpid))
		h_exit(21);
	/* Skipped with -1 and a result of 42. */
	if (syscall(SYS_getppid) != 42)
		h_exit(22);
	/* Its result replaced with 12345. */
	if (syscall(SYS_getppid) != 12345)
		h_exit(23);
	h_exit(0);
}

/* Resumes with PTRACE_SYSCALL until the entry stop of `number`. */
static void run_to_entry(pid_t pid, long number)
{
	for (int i = 0; i < 50; i++) {
		EXPECT_OK(pt(PT_SYSCALL, pid, 0, 0));
		EXPECT_EQ(wait_stop(pid), SIGTRAP | 0x80);
		long nr = pt(PT_PEEKUSER, pid, OFF(orig_rax), 0);
		(void)nr;
		struct regs r;
		EXPECT_OK(pt(PT_GETREGS, pid, 0, (long)&r));
		if ((long)r.orig_rax == number && r.rax == (unsigned long)-ENOSYS)
			return;
		/* Its exit stop. */
		EXPECT_OK(pt(PT_SYSCALL, pid, 0, 0));
		EXPECT_EQ(wait_stop(pid), SIGTRAP | 0x80);
	}
	FAIL("no entry stop of syscall %ld", number);
}

TEST(ptrace, syscall_stops)
{
	expected_parent = getpid();
	pid_t pid = traced_child(body_syscalls);
	EXPECT_OK(pt(PT_SETOPTIONS, pid, 0, O_TRACESYSGOOD));

	/* 1: entry and exit as they are. */
	run_to_entry(pid, SYS_getppid);
	struct regs r;
	EXPECT_OK(pt(PT_GETREGS, pid, 0, (long)&r));
	EXPECT_EQ(r.rax, (unsigned long)-ENOSYS);
	struct syscall_info info;
	memset(&info, 0xff, sizeof info);
	EXPECT_EQ(pt(PT_GET_SYSCALL_INFO, pid, sizeof info, (long)&info), 80);
	EXPECT_EQ(info.op, 1);
	EXPECT_EQX(info.arch, 0xc000003e);
	EXPECT_EQ(info.nr_or_rval, SYS_getppid);
	EXPECT_EQ(info.ip, r.rip);
	EXPECT_EQ(info.sp, r.rsp);
	unsigned long message = 0;
	EXPECT_OK(pt(PT_GETEVENTMSG, pid, 0, (long)&message));
	EXPECT_EQ(message, 1);
	siginfo_t si;
	EXPECT_OK(pt(PT_GETSIGINFO, pid, 0, (long)&si));
	EXPECT_EQ(si.si_signo, SIGTRAP);
	EXPECT_EQ(si.si_code, SIGTRAP | 0x80);
	EXPECT_OK(pt(PT_SYSCALL, pid, 0, 0));
	EXPECT_EQ(wait_stop(pid), SIGTRAP | 0x80);
	EXPECT_OK(pt(PT_GETREGS, pid, 0, (long)&r));
	EXPECT_EQ(r.rax, getpid());
	EXPECT_EQ(r.orig_rax, SYS_getppid);
	memset(&info, 0xff, sizeof info);
	EXPECT_EQ(pt(PT_GET_SYSCALL_INFO, pid, sizeof info, (long)&info), 33);
	EXPECT_EQ(info.op, 2);
	EXPECT_EQ(info.nr_or_rval, getpid());
	EXPECT_EQ(info.args[0] & 0xff, 0);
	/* A short buffer gets the first bytes; the size is still returned. */
	memset(&info, 0, sizeof info);
	EXPECT_EQ(pt(PT_GET_SYSCALL_INFO, pid, 1, (long)&info), 33);
	EXPECT_EQ(info.op, 2);
	EXPECT_EQ(info.arch, 0);
	EXPECT_OK(pt(PT_GETEVENTMSG, pid, 0, (long)&message));
	EXPECT_EQ(message, 2);

	/* 2: the number changed at entry. */
	run_to_entry(pid, SYS_getppid);
	EXPECT_OK(pt(PT_POKEUSER, pid, OFF(orig_rax), SYS_getpid));
	EXPECT_OK(pt(PT_SYSCALL, pid, 0, 0));
	EXPECT_EQ(wait_stop(pid), SIGTRAP | 0x80);
	EXPECT_EQ(pt(PT_PEEKUSER, pid, OFF(orig_rax), (long)&message), 0);
	EXPECT_EQ(message, SYS_getpid);
	EXPECT_OK(pt(PT_PEEKUSER, pid, OFF(rax), (long)&message));
	EXPECT_EQ(message, pid);

	/* 3: skipped with -1: the exit stop still comes, rax as left. */
	run_to_entry(pid, SYS_getppid);
	EXPECT_OK(pt(PT_GETREGS, pid, 0, (long)&r));
	r.orig_rax = -1;
	r.rax = 42;
	EXPECT_OK(pt(PT_SETREGS, pid, 0, (long)&r));
	EXPECT_OK(pt(PT_SYSCALL, pid, 0, 0));
	EXPECT_EQ(wait_stop(pid), SIGTRAP | 0x80);
	EXPECT_OK(pt(PT_PEEKUSER, pid, OFF(rax), (long)&message));
	EXPECT_EQ(message, 42);

	/* 4: the result changed at exit. */
	run_to_entry(pid, SYS_getppid);
	EXPECT_OK(pt(PT_SYSCALL, pid, 0, 0));
	EXPECT_EQ(wait_stop(pid), SIGTRAP | 0x80);
	EXPECT_OK(pt(PT_POKEUSER, pid, OFF(rax), 12345));
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	EXPECT_EQ(wait_exit_code(pid), 0);
}

static volatile unsigned long data_word = 0x1122334455667788UL;
static const unsigned long rodata_word = 0x0123456789abcdefUL;

static void body_memory(void)
{
	if (data_word != 0xdeadbeefcafef00dUL)
		h_exit(30);
	if (*(volatile const unsigned long *)&rodata_word != 0x5555aaaa5555aaaaUL)
		h_exit(31);
}

TEST(ptrace, peek_and_poke)
{
	pid_t pid = traced_child(body_memory);
	unsigned long word = 0;
	EXPECT_OK(pt(PT_PEEKDATA, pid, (long)&data_word, (long)&word));
	EXPECT_EQX(word, 0x1122334455667788UL);
	EXPECT_OK(pt(PT_PEEKTEXT, pid, (long)&rodata_word, (long)&word));
	EXPECT_EQX(word, 0x0123456789abcdefUL);
	EXPECT_OK(pt(PT_POKEDATA, pid, (long)&data_word, 0xdeadbeefcafef00dUL));
	/* Read-only private memory is written through a private copy. */
	EXPECT_OK(pt(PT_POKETEXT, pid, (long)&rodata_word, 0x5555aaaa5555aaaaUL));
	EXPECT_OK(pt(PT_PEEKDATA, pid, (long)&rodata_word, (long)&word));
	EXPECT_EQX(word, 0x5555aaaa5555aaaaUL);
	/* An unaligned word across two variables. */
	EXPECT_OK(pt(PT_PEEKDATA, pid, (long)&data_word + 4, (long)&word));
	/* Text too (a breakpoint's int3 goes there). */
	unsigned long text = 0;
	EXPECT_OK(pt(PT_PEEKTEXT, pid, (long)&body_memory, (long)&text));
	EXPECT_EQX(text, *(volatile unsigned long *)&body_memory);
	EXPECT_OK(pt(PT_POKETEXT, pid, (long)&body_memory, text));
	/* Our own copies are untouched. */
	EXPECT_EQX(data_word, 0x1122334455667788UL);
	EXPECT_EQX(*(volatile const unsigned long *)&rodata_word,
		   0x0123456789abcdefUL);
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	EXPECT_EQ(wait_exit_code(pid), 0);
}

TEST(ptrace, registers_and_user_area)
{
	pid_t pid = traced_child(body_nothing);
	struct regs r, r2;
	EXPECT_OK(pt(PT_GETREGS, pid, 0, (long)&r));
	EXPECT_EQ(r.cs, 0x33);
	EXPECT_EQ(r.ss, 0x2b);
	EXPECT_EQ(r.orig_rax, SYS_kill);
	EXPECT_EQ(r.rax, 0);
	/* The user area: registers by offset, zeros elsewhere. */
	unsigned long word = 1;
	EXPECT_OK(pt(PT_PEEKUSER, pid, OFF(rip), (long)&word));
	EXPECT_EQX(word, r.rip);
	EXPECT_OK(pt(PT_PEEKUSER, pid, OFF(fs_base), (long)&word));
	EXPECT_EQX(word, r.fs_base);
	unsigned long fs = 0;
	EXPECT_OK(pt(PT_ARCH_PRCTL, pid, (long)&fs, ARCH_GET_FS));
	EXPECT_EQX(fs, r.fs_base);
	EXPECT_OK(pt(PT_PEEKUSER, pid, 400, (long)&word));
	EXPECT_EQ(word, 0);
	EXPECT_OK(pt(PT_PEEKUSER, pid, 848, (long)&word)); /* DR0 */
	EXPECT_EQ(word, 0);
	EXPECT_OK(pt(PT_PEEKUSER, pid, 848 + 7 * 8, (long)&word)); /* DR7 */
	EXPECT_EQ(word, 0);
	/* error_code and fault_address, after the debug registers. */
	EXPECT_OK(pt(PT_PEEKUSER, pid, 912, (long)&word));
	EXPECT_EQ(word, 0);
	EXPECT_ERRNO(pt(PT_POKEUSER, pid, 400, 0), EIO);
	/* Checked writes: selectors with RPL 3, bases below the top. */
	EXPECT_ERRNO(pt(PT_POKEUSER, pid, OFF(cs), 0x10), EIO);
	EXPECT_ERRNO(pt(PT_POKEUSER, pid, OFF(ss), 0), EIO);
	EXPECT_ERRNO(pt(PT_POKEUSER, pid, OFF(fs_base), 1UL << 60), EIO);
	EXPECT_OK(pt(PT_POKEUSER, pid, OFF(cs), 0x33));
	/* IF cannot be cleared; the arithmetic flags can be changed. */
	EXPECT_OK(pt(PT_POKEUSER, pid, OFF(eflags), r.eflags & ~0x200UL));
	EXPECT_OK(pt(PT_PEEKUSER, pid, OFF(eflags), (long)&word));
	EXPECT_EQX(word, r.eflags);
	/* SETREGS round trip. */
	EXPECT_OK(pt(PT_SETREGS, pid, 0, (long)&r));
	EXPECT_OK(pt(PT_GETREGS, pid, 0, (long)&r2));
	EXPECT_EQ(memcmp(&r, &r2, sizeof r), 0);
	r2.cs = 0x10;
	EXPECT_ERRNO(pt(PT_SETREGS, pid, 0, (long)&r2), EIO);
	EXPECT_OK(pt(PT_SETREGS, pid, 0, (long)&r));

	/* Regsets: the length is clipped and written back. */
	unsigned char buffer[1024];
	struct iovec iov = {buffer, sizeof buffer};
	EXPECT_OK(pt(PT_GETREGSET, pid, NT_PRSTATUS, (long)&iov));
	EXPECT_EQ(iov.iov_len, sizeof(struct regs));
	EXPECT_EQ(memcmp(buffer, &r, sizeof r), 0);
	iov.iov_len = 8;
	memset(buffer, 0, sizeof buffer);
	EXPECT_OK(pt(PT_GETREGSET, pid, NT_PRSTATUS, (long)&iov));
	EXPECT_EQ(iov.iov_len, 8);
	EXPECT_EQX(*(unsigned long *)buffer, r.r15);
	iov.iov_len = 3;
	EXPECT_ERRNO(pt(PT_GETREGSET, pid, NT_PRSTATUS, (long)&iov), EINVAL);
	iov.iov_len = sizeof buffer;
	EXPECT_ERRNO(pt(PT_GETREGSET, pid, 0x999, (long)&iov), EINVAL);
	EXPECT_ERRNO(pt(PT_GETREGSET, pid, NT_PRSTATUS, 8), EFAULT);
	unsigned char fp[512];
	EXPECT_OK(pt(PT_GETFPREGS, pid, 0, (long)fp));
	iov.iov_len = sizeof buffer;
	EXPECT_OK(pt(PT_GETREGSET, pid, NT_PRFPREG, (long)&iov));
	EXPECT_EQ(iov.iov_len, 512);
	EXPECT_EQ(memcmp(buffer, fp, 512), 0);
	/* NT_X86_XSTATE: its software bytes start with XCR0 (x87 and SSE at
	 * least), which tells debuggers the size and the register set. */
	static unsigned char xstate[8192];
	struct iovec xiov = {xstate, sizeof xstate};
	EXPECT_OK(pt(PT_GETREGSET, pid, 0x202, (long)&xiov));
	EXPECT_GE(xiov.iov_len, 576);
	unsigned long xcr0;
	memcpy(&xcr0, xstate + 464, 8);
	EXPECT_EQ(xcr0 & 3, 3);
	/* The x87/SSE part is the FXSAVE image. */
	EXPECT_EQ(memcmp(xstate, fp, 416), 0);
	/* MXCSR's reserved bits are refused. */
	unsigned char bad[512];
	memcpy(bad, fp, sizeof bad);
	bad[27] = 0xff;
	EXPECT_ERRNO(pt(PT_SETFPREGS, pid, 0, (long)bad), EINVAL);
	EXPECT_OK(pt(PT_SETFPREGS, pid, 0, (long)fp));

	/* Signal masks: 8 bytes, SIGKILL and SIGSTOP never blocked. */
	unsigned long mask = 0;
	EXPECT_OK(pt(PT_GETSIGMASK, pid, 8, (long)&mask));
	EXPECT_EQ(mask, 0);
	mask = (1UL << (SIGUSR1 - 1)) | (1UL << (SIGKILL - 1));
	EXPECT_OK(pt(PT_SETSIGMASK, pid, 8, (long)&mask));
	EXPECT_OK(pt(PT_GETSIGMASK, pid, 8, (long)&mask));
	EXPECT_EQX(mask, 1UL << (SIGUSR1 - 1));
	mask = 0;
	EXPECT_OK(pt(PT_SETSIGMASK, pid, 8, (long)&mask));
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	EXPECT_EQ(wait_exit_code(pid), 0);
}

/* The FP registers: xmm7 set before the stop, changed by the tracer. */
static volatile unsigned long xmm_out[2];
static void body_xmm(void)
{
	unsigned long pattern[2] = {0x1111222233334444UL, 0x5555666677778888UL};
	long number = SYS_kill;
	long self = syscall(SYS_getpid);
	long result;
	__asm__ volatile("movdqu (%[in]), %%xmm7\n\t"
			 "syscall\n\t"
			 "movdqu %%xmm7, (%[out])\n\t"
			 : "=a"(result)
			 : "a"(number), "D"(self), "S"((long)SIGSTOP),
			   [in] "r"(pattern), [out] "r"(xmm_out)
			 : "rcx", "r11", "xmm7", "memory");
	if (xmm_out[0] != 0x9999aaaabbbbccccUL || xmm_out[1] != 0xddddeeeeffff0000UL)
		h_exit(40);
}

TEST(ptrace, fp_registers)
{
	pid_t pid = traced_child(body_xmm);
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	EXPECT_EQ(wait_stop(pid), SIGSTOP);
	unsigned char fp[512];
	EXPECT_OK(pt(PT_GETFPREGS, pid, 0, (long)fp));
	unsigned long xmm7[2];
	memcpy(xmm7, fp + 160 + 7 * 16, 16);
	EXPECT_EQX(xmm7[0], 0x1111222233334444UL);
	EXPECT_EQX(xmm7[1], 0x5555666677778888UL);
	xmm7[0] = 0x9999aaaabbbbccccUL;
	xmm7[1] = 0xddddeeeeffff0000UL;
	memcpy(fp + 160 + 7 * 16, xmm7, 16);
	EXPECT_OK(pt(PT_SETFPREGS, pid, 0, (long)fp));
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	EXPECT_EQ(wait_exit_code(pid), 0);
}

/* Reads "TracerPid:" and "State:" of /proc/<pid>/status. */
static void proc_status(pid_t pid, int *tracer, char *state)
{
	char path[64], text[4096];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	h_read_file(path, text, sizeof text);
	const char *at = strstr(text, "TracerPid:");
	*tracer = at ? atoi(at + 10) : -1;
	at = strstr(text, "State:");
	*state = at ? at[7] : '?';
}

TEST(ptrace, attach_and_detach)
{
	proc_ready();
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		h_wait_byte(p[0]);
		h_exit(5);
	}
	EXPECT_OK(pt(PT_ATTACH, pid, 0, 0));
	EXPECT_EQ(wait_stop(pid), SIGSTOP);
	int tracer;
	char state;
	proc_status(pid, &tracer, &state);
	EXPECT_EQ(tracer, getpid());
	EXPECT_EQ(state, 't');
	/* The attach's SIGSTOP comes from the kernel. */
	siginfo_t si;
	EXPECT_OK(pt(PT_GETSIGINFO, pid, 0, (long)&si));
	EXPECT_EQ(si.si_code, SI_KERNEL);
	EXPECT_OK(pt(PT_DETACH, pid, 0, 0));
	proc_status(pid, &tracer, &state);
	EXPECT_EQ(tracer, 0);
	h_post(p[1]);
	EXPECT_EQ(wait_exit_code(pid), 5);
}

TEST(ptrace, seize_interrupt_and_group_stop)
{
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		/* The read is restarted after the interrupt, not EINTR. */
		char c;
		ssize_t n = read(p[0], &c, 1);
		h_exit(n == 1 ? 0 : 50);
	}
	EXPECT_OK(pt(PT_SEIZE, pid, 0, O_TRACESYSGOOD));
	EXPECT_OK(pt(PT_INTERRUPT, pid, 0, 0));
	EXPECT_EQ(wait_stop(pid), SIGTRAP | (EV_STOP << 8));
	siginfo_t si;
	EXPECT_OK(pt(PT_GETSIGINFO, pid, 0, (long)&si));
	EXPECT_EQ(si.si_signo, SIGTRAP);
	EXPECT_EQ(si.si_code, SIGTRAP | (EV_STOP << 8));
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	/* A group stop: the signal-delivery stop, then PTRACE_EVENT_STOP with
	 * the stop signal. */
	EXPECT_OK(kill(pid, SIGSTOP));
	EXPECT_EQ(wait_stop(pid), SIGSTOP);
	EXPECT_OK(pt(PT_CONT, pid, 0, SIGSTOP));
	EXPECT_EQ(wait_stop(pid), SIGSTOP | (EV_STOP << 8));
	EXPECT_OK(pt(PT_GETSIGINFO, pid, 0, (long)&si));
	EXPECT_EQ(si.si_signo, SIGSTOP);
	EXPECT_EQ(si.si_code, SIGSTOP | (EV_STOP << 8));
	/* Listening: not stopped for requests, but SIGCONT makes it trap. */
	EXPECT_OK(pt(PT_LISTEN, pid, 0, 0));
	struct regs r;
	EXPECT_ERRNO(pt(PT_GETREGS, pid, 0, (long)&r), ESRCH);
	EXPECT_OK(kill(pid, SIGCONT));
	EXPECT_EQ(wait_stop(pid), SIGTRAP | (EV_STOP << 8));
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	EXPECT_EQ(wait_stop(pid), SIGCONT);
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	h_post(p[1]);
	EXPECT_EQ(wait_exit_code(pid), 0);
}

static void body_fork(void)
{
	pid_t child = fork();
	if (child == 0)
		_exit(3);
	int status;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 3)
		h_exit(60);
	h_exit(4);
}

TEST(ptrace, fork_event_attaches_the_child)
{
	pid_t pid = traced_child(body_fork);
	EXPECT_OK(pt(PT_SETOPTIONS, pid, 0, O_TRACEFORK | O_TRACEEXIT));
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	EXPECT_EQ(wait_stop(pid), SIGTRAP | (EV_FORK << 8));
	unsigned long grandchild = 0;
	EXPECT_OK(pt(PT_GETEVENTMSG, pid, 0, (long)&grandchild));
	EXPECT_GT(grandchild, 0);
	/* The new process starts traced, with SIGSTOP. */
	EXPECT_EQ(wait_stop(grandchild), SIGSTOP);
	EXPECT_OK(pt(PT_CONT, grandchild, 0, 0));
	/* Its exit event (inherited options), then its death, seen here
	 * first. */
	EXPECT_EQ(wait_stop(grandchild), SIGTRAP | (EV_EXIT << 8));
	unsigned long message = 0;
	EXPECT_OK(pt(PT_GETEVENTMSG, grandchild, 0, (long)&message));
	EXPECT_EQ(message, 3 << 8);
	EXPECT_OK(pt(PT_CONT, grandchild, 0, 0));
	EXPECT_EQ(wait_exit_code(grandchild), 3);
	/* The real parent reaps it afterwards (its SIGCHLD: a stop). */
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	int code = wait_stop(pid);
	if (code == SIGCHLD) {
		EXPECT_OK(pt(PT_CONT, pid, 0, SIGCHLD));
		code = wait_stop(pid);
	}
	EXPECT_EQ(code, SIGTRAP | (EV_EXIT << 8));
	EXPECT_OK(pt(PT_GETEVENTMSG, pid, 0, (long)&message));
	EXPECT_EQ(message, 4 << 8);
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	EXPECT_EQ(wait_exit_code(pid), 4);
}

TEST(ptrace, tracer_that_is_not_the_parent)
{
	int go[2], done[2];
	h_pipe(go);
	h_pipe(done);
	pid_t tracee = h_fork();
	if (tracee == 0) {
		h_wait_byte(go[0]);
		h_exit(9);
	}
	pid_t tracer = h_fork();
	if (tracer == 0) {
		if (pt(PT_SEIZE, tracee, 0, 0) != 0)
			h_exit(70);
		h_post(go[1]);
		/* The tracer hears of the death first. */
		int status;
		if (waitpid(tracee, &status, __WALL) != tracee ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 9)
			h_exit(71);
		/* Not its child: nothing more to wait for. */
		if (waitpid(-1, &status, __WALL | WNOHANG) != -1 || errno != ECHILD)
			h_exit(72);
		h_exit(0);
	}
	EXPECT_EQ(wait_exit_code(tracer), 0);
	/* Then the real parent. */
	EXPECT_EQ(wait_exit_code(tracee), 9);

	/* PTRACE_O_EXITKILL: the tracer's death kills the tracee. */
	pid_t victim = h_fork();
	if (victim == 0) {
		h_wait_byte(done[0]);
		h_exit(0);
	}
	pid_t killer = h_fork();
	if (killer == 0) {
		if (pt(PT_SEIZE, victim, 0, O_EXITKILL) != 0)
			h_exit(73);
		h_exit(0);
	}
	EXPECT_EQ(wait_exit_code(killer), 0);
	int status = wait_for(victim);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(ptrace, kill_request)
{
	pid_t pid = traced_child(body_nothing);
	EXPECT_OK(pt(PT_KILL, pid, 0, 0));
	int status = wait_for(pid);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(ptrace, single_step)
{
	pid_t pid = traced_child(body_nothing);
	struct regs before, after;
	EXPECT_OK(pt(PT_GETREGS, pid, 0, (long)&before));
	EXPECT_OK(pt(PT_SINGLESTEP, pid, 0, 0));
	EXPECT_EQ(wait_stop(pid), SIGTRAP);
	siginfo_t si;
	EXPECT_OK(pt(PT_GETSIGINFO, pid, 0, (long)&si));
	EXPECT_EQ(si.si_signo, SIGTRAP);
	EXPECT_EQ(si.si_code, 2); /* TRAP_TRACE */
	EXPECT_OK(pt(PT_GETREGS, pid, 0, (long)&after));
	EXPECT_NE(after.rip, before.rip);
	EXPECT_EQ((unsigned long)si.si_addr, after.rip);
	/* TF set for the step is not shown. */
	EXPECT_EQ(after.eflags & 0x100, 0);
	for (int i = 0; i < 5; i++) {
		EXPECT_OK(pt(PT_SINGLESTEP, pid, 0, 0));
		EXPECT_EQ(wait_stop(pid), SIGTRAP);
	}
	EXPECT_OK(pt(PT_CONT, pid, 0, 0));
	EXPECT_EQ(wait_exit_code(pid), 0);
}

/* A child that waits for a byte, then checks what was written into it. */
static volatile unsigned long target_words[2] = {0xa1a2a3a4a5a6a7a8UL, 2};

TEST(ptrace, proc_pid_mem)
{
	proc_ready();
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		h_wait_byte(p[0]);
		if (target_words[0] != 0x1234 ||
		    *(volatile const unsigned long *)&rodata_word != 77)
			h_exit(80);
		h_exit(0);
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_RDWR);
	EXPECT_OK(fd);
	unsigned long word = 0;
	EXPECT_EQ(pread(fd, &word, 8, (off_t)&target_words[0]), 8);
	EXPECT_EQX(word, 0xa1a2a3a4a5a6a7a8UL);
	word = 0x1234;
	EXPECT_EQ(pwrite(fd, &word, 8, (off_t)&target_words[0]), 8);
	/* Read-only private memory is written as a debugger writes it. */
	word = 77;
	EXPECT_EQ(pwrite(fd, &word, 8, (off_t)&rodata_word), 8);
	EXPECT_EQX(*(volatile const unsigned long *)&rodata_word,
		   0x0123456789abcdefUL);
	/* Nothing mapped at the position: EIO. */
	EXPECT_ERRNO(pread(fd, &word, 8, 4096), EIO);
	EXPECT_ERRNO(pwrite(fd, &word, 8, 4096), EIO);
	close(fd);
	h_post(p[1]);
	EXPECT_EQ(wait_exit_code(pid), 0);
	/* Our own memory through /proc/self/mem. */
	fd = open("/proc/self/mem", O_RDONLY);
	EXPECT_OK(fd);
	EXPECT_EQ(pread(fd, &word, 8, (off_t)&data_word), 8);
	EXPECT_EQX(word, data_word);
	close(fd);
}

TEST(ptrace, process_vm_readv_writev)
{
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		h_wait_byte(p[0]);
		if (target_words[0] != 0x5678 || target_words[1] != 0x9abc)
			h_exit(90);
		h_exit(0);
	}
	unsigned long words[2] = {0, 0};
	struct iovec local = {words, sizeof words};
	struct iovec remote = {(void *)target_words, sizeof words};
	EXPECT_EQ(syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0), 16);
	EXPECT_EQX(words[0], 0xa1a2a3a4a5a6a7a8UL);
	EXPECT_EQ(words[1], 2);
	/* Scattered: two local pieces, one remote range. */
	unsigned long a = 0x5678, b = 0x9abc;
	struct iovec pieces[2] = {{&a, 8}, {&b, 8}};
	EXPECT_EQ(syscall(SYS_process_vm_writev, pid, pieces, 2, &remote, 1, 0), 16);
	/* No FOLL_FORCE: read-only memory is EFAULT. */
	struct iovec ro = {(void *)&rodata_word, 8};
	EXPECT_ERRNO(syscall(SYS_process_vm_writev, pid, &local, 1, &ro, 1, 0), EFAULT);
	/* A remote range running into a hole stops there. */
	struct iovec two[2] = {{(void *)target_words, 8}, {(void *)8, 8}};
	EXPECT_EQ(syscall(SYS_process_vm_readv, pid, &local, 1, two, 2, 0), 8);
	EXPECT_ERRNO(syscall(SYS_process_vm_readv, pid, &local, 1, &two[1], 1, 0), EFAULT);
	/* Argument checks. */
	EXPECT_ERRNO(syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_process_vm_readv, pid, &local, 1025, &remote, 1, 0), EINVAL);
	EXPECT_EQ(syscall(SYS_process_vm_readv, pid, &local, 0, &remote, 1, 0), 0);
	EXPECT_ERRNO(syscall(SYS_process_vm_readv, 0x3fffffff, &local, 1, &remote, 1, 0), ESRCH);
	EXPECT_ERRNO(syscall(SYS_process_vm_readv, pid, (void *)8, 1, &remote, 1, 0), EFAULT);
	h_post(p[1]);
	EXPECT_EQ(wait_exit_code(pid), 0);
}
