/*
 * Suite wait: wait4(2) and waitid(2), the status word, zombies, orphans and
 * SIGCHLD.
 *
 * Guards Linux's kernel/exit.c (do_wait, wait_task_zombie, wait_task_stopped,
 * wait_task_continued, kernel_waitid) and kernel/signal.c
 * (do_notify_parent, do_notify_parent_cldstop): ECHILD without children,
 * WNOHANG returns 0 while children run, unknown option bits are EINVAL, pid
 * selects one child, -1 any, 0 the caller's process group, -pgid that group;
 * waitid's P_PID/P_PGID/P_ALL/P_PIDFD, WEXITED/WSTOPPED/WCONTINUED/WNOWAIT
 * and the siginfo it fills (si_signo SIGCHLD, si_code CLD_*, si_pid, si_uid,
 * si_status); the status words (exit << 8, signal, 0x7f | sig << 8 when
 * stopped, 0xffff when continued); a zombie stays until reaped; orphans go
 * to the nearest subreaper (PR_SET_CHILD_SUBREAPER) or init; SIGCHLD set to
 * SIG_IGN or SA_NOCLDWAIT reaps children automatically (wait then gives
 * ECHILD).  Man pages wait(2), wait4(2), prctl(2) PR_SET_CHILD_SUBREAPER,
 * sigaction(2) SA_NOCLDWAIT/SA_NOCLDSTOP.
 */
#include "harness.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define BIT(sig) (1ULL << ((sig) - 1))

/* Raw waitid: libc must not interpret anything. */
static long raw_waitid(int type, long id, siginfo_t *si, int options)
{
	return syscall(SYS_waitid, type, id, si, options, NULL);
}

/* A child that blocks until a byte (or EOF) arrives on fd, then exits code. */
static pid_t child_waiting(int fd, int code)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		char c;
		while (read(fd, &c, 1) < 0 && errno == EINTR)
			;
		h_exit(code);
	}
	return pid;
}

static pid_t child_exiting(int code)
{
	pid_t pid = h_fork();
	if (pid == 0)
		h_exit(code);
	return pid;
}

TEST(wait, echild_without_children)
{
	int st;
	EXPECT_ERRNO(wait4(-1, &st, 0, NULL), ECHILD);
	EXPECT_ERRNO(wait4(-1, &st, WNOHANG, NULL), ECHILD);
	EXPECT_ERRNO(wait4(1234567, &st, 0, NULL), ECHILD);
	siginfo_t si;
	EXPECT_ERRNO(raw_waitid(P_ALL, 0, &si, WEXITED), ECHILD);
	EXPECT_ERRNO(raw_waitid(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD);
}

TEST(wait, wnohang_returns_zero_while_running)
{
	int p[2];
	h_pipe(p);
	pid_t pid = child_waiting(p[0], 4);
	int st = 0x1234;
	EXPECT_EQ(wait4(pid, &st, WNOHANG, NULL), 0);
	EXPECT_EQ(wait4(-1, &st, WNOHANG, NULL), 0);
	EXPECT_EQX(st, 0x1234);
	siginfo_t si;
	memset(&si, 0xff, sizeof si);
	EXPECT_EQ(raw_waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0);
	/* Nothing to report: the kernel writes zeros. */
	EXPECT_EQ(si.si_signo, 0);
	EXPECT_EQ(si.si_pid, 0);
	EXPECT_EQ(si.si_code, 0);
	h_post(p[1]);
	EXPECT_EQ(h_wait_exit(pid), 4);
}

TEST(wait, bad_options_einval)
{
	int st;
	pid_t pid = child_exiting(0);
	EXPECT_ERRNO(wait4(pid, &st, 0x100, NULL), EINVAL);
	EXPECT_ERRNO(wait4(pid, &st, WEXITED, NULL), EINVAL);
	siginfo_t si;
	/* waitid needs at least one of WEXITED, WSTOPPED, WCONTINUED. */
	EXPECT_ERRNO(raw_waitid(P_PID, pid, &si, WNOHANG), EINVAL);
	EXPECT_ERRNO(raw_waitid(P_PID, pid, &si, 0), EINVAL);
	EXPECT_ERRNO(raw_waitid(17, pid, &si, WEXITED), EINVAL);
	EXPECT_ERRNO(raw_waitid(P_PID, pid, &si, WEXITED | 0x10000), EINVAL);
	/* P_PID with id 0 or negative matches nothing valid. */
	EXPECT_ERRNO(raw_waitid(P_PID, 0, &si, WEXITED), EINVAL);
	EXPECT_ERRNO(raw_waitid(P_PID, -1, &si, WEXITED), EINVAL);
	/* Nothing was reaped by the failures. */
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(wait, specific_pid_in_any_order)
{
	int p1[2], p2[2];
	h_pipe(p1);
	h_pipe(p2);
	pid_t a = child_waiting(p1[0], 1);
	pid_t b = child_waiting(p2[0], 2);
	h_post(p2[1]);
	int st;
	EXPECT_EQ(wait4(b, &st, 0, NULL), b);
	EXPECT_EQX(st, 2 << 8);
	EXPECT_EQ(wait4(a, &st, WNOHANG, NULL), 0);
	h_post(p1[1]);
	EXPECT_EQ(wait4(-1, &st, 0, NULL), a);
	EXPECT_EQX(st, 1 << 8);
	EXPECT_ERRNO(wait4(-1, &st, 0, NULL), ECHILD);
}

TEST(wait, status_null_allowed)
{
	pid_t pid = child_exiting(3);
	EXPECT_EQ(wait4(pid, NULL, 0, NULL), pid);
}

TEST(wait, bad_status_pointer_reaps_anyway)
{
	pid_t pid = child_exiting(3);
	siginfo_t si;
	/* Wait until it is a zombie, without reaping it. */
	EXPECT_EQ(raw_waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	EXPECT_ERRNO(wait4(pid, H_BAD_PTR, 0, NULL), EFAULT);
	/* Linux reaped the child before failing to store its status. */
	EXPECT_ERRNO(wait4(pid, NULL, WNOHANG, NULL), ECHILD);
}

static void pgrp_waits(void *arg)
{
	(void)arg;
	/* Own process group, so that 0 and -pgid mean only our children. */
	EXPECT_EQ(setpgid(0, 0), 0);
	int pa[2], pb[2];
	h_pipe(pa);
	h_pipe(pb);
	pid_t a = child_waiting(pa[0], 10); /* stays in our group */
	pid_t b = h_fork();
	if (b == 0) {
		char c;
		EXPECT_EQ(setpgid(0, 0), 0);
		EXPECT_EQ(read(pb[0], &c, 1), 1);
		h_exit(11);
	}
	/* Also from the parent, so there is no race with the child's own. */
	if (setpgid(b, b) != 0)
		EXPECT_EQ(errno, EACCES);
	EXPECT_EQ(getpgid(b), b);
	int st;
	h_post(pb[1]);
	/* b is not in our group: wait(0) must not return it. */
	EXPECT_EQ(wait4(0, &st, WNOHANG, NULL), 0);
	EXPECT_EQ(wait4(-b, &st, 0, NULL), b);
	EXPECT_EQX(st, 11 << 8);
	EXPECT_ERRNO(wait4(-b, &st, WNOHANG, NULL), ECHILD);
	h_post(pa[1]);
	EXPECT_EQ(wait4(0, &st, 0, NULL), a);
	EXPECT_EQX(st, 10 << 8);
	EXPECT_ERRNO(wait4(0, &st, 0, NULL), ECHILD);
}

TEST(wait, process_group_selectors)
{
	EXPECT_CHILD_OK(pgrp_waits, NULL);
}

static void waitid_pgid(void *arg)
{
	(void)arg;
	EXPECT_EQ(setpgid(0, 0), 0);
	pid_t a = h_fork();
	if (a == 0) {
		EXPECT_EQ(setpgid(0, 0), 0);
		h_exit(21);
	}
	setpgid(a, a);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_EQ(raw_waitid(P_PGID, a, &si, WEXITED), 0);
	EXPECT_EQ(si.si_pid, a);
	EXPECT_EQ(si.si_status, 21);
	pid_t b = child_exiting(22);
	/* P_PGID 0: the caller's group (since Linux 5.4). */
	memset(&si, 0, sizeof si);
	EXPECT_EQ(raw_waitid(P_PGID, 0, &si, WEXITED), 0);
	EXPECT_EQ(si.si_pid, b);
	EXPECT_EQ(si.si_status, 22);
}

TEST(wait, waitid_p_pgid)
{
	EXPECT_CHILD_OK(waitid_pgid, NULL);
}

TEST(wait, waitid_exited_siginfo)
{
	pid_t pid = child_exiting(77);
	siginfo_t si;
	memset(&si, 0xff, sizeof si);
	EXPECT_EQ(raw_waitid(P_ALL, 0, &si, WEXITED), 0);
	EXPECT_EQ(si.si_signo, SIGCHLD);
	EXPECT_EQ(si.si_errno, 0);
	EXPECT_EQ(si.si_code, CLD_EXITED);
	EXPECT_EQ(si.si_pid, pid);
	EXPECT_EQ(si.si_uid, getuid());
	EXPECT_EQ(si.si_status, 77);
	EXPECT_ERRNO(raw_waitid(P_PID, pid, &si, WEXITED | WNOHANG), ECHILD);
}

TEST(wait, waitid_null_infop)
{
	pid_t pid = child_exiting(1);
	EXPECT_EQ(raw_waitid(P_PID, pid, NULL, WEXITED), 0);
	EXPECT_ERRNO(raw_waitid(P_PID, pid, NULL, WEXITED), ECHILD);
}

TEST(wait, killed_status_and_siginfo)
{
	int p[2];
	h_pipe(p);
	pid_t pid = child_waiting(p[0], 0);
	EXPECT_EQ(kill(pid, SIGTERM), 0);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_EQ(raw_waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	EXPECT_EQ(si.si_code, CLD_KILLED);
	EXPECT_EQ(si.si_status, SIGTERM);
	EXPECT_EQ(si.si_pid, pid);
	int st = h_wait_status(pid);
	EXPECT_EQX(st, SIGTERM);
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WCOREDUMP(st), 0);
}

TEST(wait, wnowait_leaves_zombie)
{
	pid_t pid = child_exiting(8);
	siginfo_t si;
	for (int i = 0; i < 3; i++) {
		memset(&si, 0, sizeof si);
		EXPECT_EQ(raw_waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
		EXPECT_EQ(si.si_pid, pid);
		EXPECT_EQ(si.si_status, 8);
	}
	/* The zombie still holds its pid: its process group exists. */
	EXPECT_EQ(kill(pid, 0), 0);
	EXPECT_EQ(h_wait_exit(pid), 8);
	EXPECT_ERRNO(kill(pid, 0), ESRCH);
}

TEST(wait, stopped_and_continued)
{
	int p[2];
	h_pipe(p);
	pid_t pid = child_waiting(p[0], 0);
	EXPECT_EQ(kill(pid, SIGSTOP), 0);
	int st;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_EQ(raw_waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT), 0);
	EXPECT_EQ(si.si_code, CLD_STOPPED);
	EXPECT_EQ(si.si_status, SIGSTOP);
	EXPECT_EQ(si.si_pid, pid);
	/* Without WUNTRACED a stop is not reported. */
	EXPECT_EQ(wait4(pid, &st, WNOHANG, NULL), 0);
	EXPECT_EQ(wait4(pid, &st, WUNTRACED, NULL), pid);
	EXPECT_EQX(st, (SIGSTOP << 8) | 0x7f);
	EXPECT_TRUE(WIFSTOPPED(st));
	/* Reported once. */
	EXPECT_EQ(wait4(pid, &st, WUNTRACED | WNOHANG, NULL), 0);
	EXPECT_EQ(kill(pid, SIGCONT), 0);
	memset(&si, 0, sizeof si);
	EXPECT_EQ(raw_waitid(P_PID, pid, &si, WCONTINUED | WNOWAIT), 0);
	EXPECT_EQ(si.si_code, CLD_CONTINUED);
	EXPECT_EQ(si.si_status, SIGCONT);
	EXPECT_EQ(wait4(pid, &st, WCONTINUED, NULL), pid);
	EXPECT_EQX(st, 0xffff);
	EXPECT_TRUE(WIFCONTINUED(st));
	EXPECT_EQ(wait4(pid, &st, WCONTINUED | WNOHANG, NULL), 0);
	h_post(p[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(wait, waitid_wstopped_consumes_stop)
{
	int p[2];
	h_pipe(p);
	pid_t pid = child_waiting(p[0], 0);
	EXPECT_EQ(kill(pid, SIGSTOP), 0);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_EQ(raw_waitid(P_PID, pid, &si, WSTOPPED), 0);
	EXPECT_EQ(si.si_code, CLD_STOPPED);
	memset(&si, 0xff, sizeof si);
	EXPECT_EQ(raw_waitid(P_PID, pid, &si, WSTOPPED | WNOHANG), 0);
	EXPECT_EQ(si.si_pid, 0);
	/* SIGKILL ends a stopped process. */
	EXPECT_EQ(kill(pid, SIGKILL), 0);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
}

TEST(wait, signal_to_stopped_child_waits_for_sigcont)
{
	int p[2];
	h_pipe(p);
	pid_t pid = child_waiting(p[0], 0);
	EXPECT_EQ(kill(pid, SIGSTOP), 0);
	int st;
	EXPECT_EQ(wait4(pid, &st, WUNTRACED, NULL), pid);
	EXPECT_EQ(kill(pid, SIGTERM), 0);
	/* Still stopped: nothing to reap. */
	EXPECT_EQ(wait4(pid, &st, WNOHANG, NULL), 0);
	EXPECT_EQ(kill(pid, SIGCONT), 0);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGTERM);
}

TEST(wait, waitid_p_pidfd)
{
	pid_t pid = child_exiting(31);
	int fd = syscall(SYS_pidfd_open, pid, 0);
	EXPECT_GE(fd, 0);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	EXPECT_EQ(raw_waitid(P_PIDFD, fd, &si, WEXITED), 0);
	EXPECT_EQ(si.si_pid, pid);
	EXPECT_EQ(si.si_status, 31);
	EXPECT_ERRNO(raw_waitid(P_PIDFD, fd, &si, WEXITED), ECHILD);
	EXPECT_ERRNO(raw_waitid(P_PIDFD, 1000, &si, WEXITED), EBADF);
}

static void subreaper(void *arg)
{
	(void)arg;
	EXPECT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	int is = -1;
	EXPECT_EQ(prctl(PR_GET_CHILD_SUBREAPER, &is, 0, 0, 0), 0);
	EXPECT_EQ(is, 1);
	pid_t me = getpid();
	int go[2], res[2];
	h_pipe(go);
	h_pipe(res);
	pid_t mid = h_fork();
	if (mid == 0) {
		pid_t grand = h_fork();
		if (grand == 0) {
			char c;
			EXPECT_EQ(read(go[0], &c, 1), 1);
			/* Its parent is gone: reparented to the subreaper. */
			long ppid = getppid();
			EXPECT_EQ(write(res[1], &ppid, sizeof ppid), sizeof ppid);
			h_exit(5);
		}
		long g = grand;
		EXPECT_EQ(write(res[1], &g, sizeof g), sizeof g);
		h_exit(0);
	}
	long grand = 0, ppid = 0;
	EXPECT_EQ(read(res[0], &grand, sizeof grand), sizeof grand);
	EXPECT_EQ(h_wait_exit(mid), 0);
	h_post(go[1]);
	EXPECT_EQ(read(res[0], &ppid, sizeof ppid), sizeof ppid);
	EXPECT_EQ(ppid, me);
	int st;
	EXPECT_EQ(waitpid(grand, &st, 0), grand);
	EXPECT_EQX(st, 5 << 8);
}

TEST(wait, orphan_goes_to_subreaper)
{
	EXPECT_CHILD_OK(subreaper, NULL);
}

TEST(wait, orphan_goes_to_init)
{
	if (!h_is_init())
		return; /* on a host the orphan's new parent is not ours */
	int go[2], res[2];
	h_pipe(go);
	h_pipe(res);
	pid_t mid = h_fork();
	if (mid == 0) {
		pid_t grand = h_fork();
		if (grand == 0) {
			char c;
			EXPECT_EQ(read(go[0], &c, 1), 1);
			long ppid = getppid();
			EXPECT_EQ(write(res[1], &ppid, sizeof ppid), sizeof ppid);
			h_exit(6);
		}
		long g = grand;
		EXPECT_EQ(write(res[1], &g, sizeof g), sizeof g);
		h_exit(0);
	}
	long grand = 0, ppid = 0;
	EXPECT_EQ(read(res[0], &grand, sizeof grand), sizeof grand);
	EXPECT_EQ(h_wait_exit(mid), 0);
	h_post(go[1]);
	EXPECT_EQ(read(res[0], &ppid, sizeof ppid), sizeof ppid);
	EXPECT_EQ(ppid, 1);
	/* Init (we) inherited it and reaps it. */
	EXPECT_EQ(h_wait_exit(grand), 6);
}

TEST(wait, sigchld_ignored_autoreaps)
{
	EXPECT_TRUE(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	pid_t a = child_exiting(1);
	pid_t b = child_exiting(2);
	int st;
	/* Blocks until both are gone, then has nobody to report. */
	EXPECT_ERRNO(wait4(-1, &st, 0, NULL), ECHILD);
	EXPECT_ERRNO(wait4(a, &st, WNOHANG, NULL), ECHILD);
	EXPECT_ERRNO(wait4(b, &st, WNOHANG, NULL), ECHILD);
	/* No SIGCHLD was queued either. */
	uint64_t pending = ~0ULL;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &pending, 8), 0);
	EXPECT_EQX(pending & BIT(SIGCHLD), 0);
}

static void on_chld(int sig)
{
	(void)sig;
}

TEST(wait, sa_nocldwait_autoreaps_but_signals)
{
	uint64_t set = BIT(SIGCHLD);
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8), 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_NOCLDWAIT;
	EXPECT_OK(sigaction(SIGCHLD, &sa, NULL));
	pid_t a = child_exiting(1);
	int st;
	EXPECT_ERRNO(wait4(-1, &st, 0, NULL), ECHILD);
	EXPECT_ERRNO(wait4(a, &st, WNOHANG, NULL), ECHILD);
	/* With a handler, SIGCHLD is still sent. */
	uint64_t pending = 0;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &pending, 8), 0);
	EXPECT_EQX(pending & BIT(SIGCHLD), BIT(SIGCHLD));
}

TEST(wait, sigchld_siginfo_on_exit)
{
	uint64_t set = BIT(SIGCHLD);
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8), 0);
	pid_t pid = child_exiting(9);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	struct timespec ts = {10, 0};
	EXPECT_EQ(syscall(SYS_rt_sigtimedwait, &set, &si, &ts, 8), SIGCHLD);
	EXPECT_EQ(si.si_signo, SIGCHLD);
	EXPECT_EQ(si.si_code, CLD_EXITED);
	EXPECT_EQ(si.si_pid, pid);
	EXPECT_EQ(si.si_uid, getuid());
	EXPECT_EQ(si.si_status, 9);
	/* Consuming the signal does not reap the child. */
	EXPECT_EQ(h_wait_exit(pid), 9);
}

TEST(wait, sa_nocldstop_no_sigchld_on_stop)
{
	uint64_t set = BIT(SIGCHLD);
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8), 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_NOCLDSTOP;
	EXPECT_OK(sigaction(SIGCHLD, &sa, NULL));
	int p[2];
	h_pipe(p);
	pid_t pid = child_waiting(p[0], 0);
	EXPECT_EQ(kill(pid, SIGSTOP), 0);
	int st;
	EXPECT_EQ(wait4(pid, &st, WUNTRACED, NULL), pid);
	uint64_t pending = ~0ULL;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &pending, 8), 0);
	EXPECT_EQX(pending & BIT(SIGCHLD), 0);
	/* Without SA_NOCLDSTOP the continue is signalled. */
	sa.sa_flags = 0;
	EXPECT_OK(sigaction(SIGCHLD, &sa, NULL));
	EXPECT_EQ(kill(pid, SIGCONT), 0);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	struct timespec ts = {10, 0};
	EXPECT_EQ(syscall(SYS_rt_sigtimedwait, &set, &si, &ts, 8), SIGCHLD);
	EXPECT_EQ(si.si_code, CLD_CONTINUED);
	EXPECT_EQ(si.si_status, SIGCONT);
	h_post(p[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(wait, wclone_selects_clone_children)
{
	pid_t normal = child_exiting(1);
	int st;
	siginfo_t si;
	EXPECT_EQ(raw_waitid(P_PID, normal, &si, WEXITED | WNOWAIT), 0);
	/* __WCLONE waits only for children with a non-SIGCHLD exit signal. */
	EXPECT_ERRNO(waitpid(normal, &st, __WCLONE | WNOHANG), ECHILD);
	EXPECT_EQ(waitpid(normal, &st, __WALL), normal);
}
