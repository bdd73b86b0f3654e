/*
 * Suite default: default signal actions (SIG_DFL) and the signals that
 * cannot be caught, blocked or ignored.
 *
 * Guards Linux's kernel/signal.c (get_signal, sig_kernel_* masks,
 * do_signal_stop, prepare_signal for SIGCONT, is_current_pgrp_orphaned) and
 * fs/coredump.c: "term" signals end the process (status = signal number),
 * "core" signals too, with the 0x80 core flag only when a core file was
 * written (not with RLIMIT_CORE 0); SIGCHLD, SIGURG, SIGWINCH and SIGCONT
 * are ignored; SIGSTOP stops, SIGCONT resumes; SIGTSTP/SIGTTIN/SIGTTOU stop
 * too, except in an orphaned process group, where they are discarded;
 * SIGKILL and SIGSTOP act even when every signal is blocked or ignored; a
 * blocked or ignored synchronous SIGSEGV still kills.  Man pages signal(7),
 * core(5), kill(2).
 */
#include "harness.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define BIT(sig) (1ULL << ((sig) - 1))

/* A child that runs setup, then blocks reading fd, then exits 0.  Returns
 * once setup has run. */
static pid_t reader(int fd, void (*setup)(void))
{
	int ready[2];
	h_pipe(ready);
	pid_t pid = h_fork();
	if (pid == 0) {
		if (setup)
			setup();
		h_post(ready[1]);
		char c;
		while (read(fd, &c, 1) < 0 && errno == EINTR)
			;
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	close(ready[0]);
	close(ready[1]);
	return pid;
}

static void no_core(void)
{
	struct rlimit rl = {0, 0};
	setrlimit(RLIMIT_CORE, &rl);
}

TEST(default, term_signals_kill)
{
	int sigs[] = {SIGHUP, SIGINT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1,
		      SIGUSR2, SIGPROF, SIGVTALRM, SIGIO, SIGPWR, SIGSTKFLT,
		      40, 64};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		int p[2];
		h_pipe(p);
		pid_t pid = reader(p[0], NULL);
		EXPECT_EQ(kill(pid, sigs[i]), 0);
		int core = -1;
		EXPECT_EQ(h_wait_signaled(pid, &core), sigs[i]);
		EXPECT_EQ(core, 0);
		close(p[0]);
		close(p[1]);
	}
}

TEST(default, core_signals_without_core_file)
{
	int sigs[] = {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE,
		      SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		int p[2];
		h_pipe(p);
		pid_t pid = reader(p[0], no_core);
		int st;
		EXPECT_EQ(kill(pid, sigs[i]), 0);
		st = h_wait_status(pid);
		EXPECT_TRUE(WIFSIGNALED(st));
		EXPECT_EQ(WTERMSIG(st), sigs[i]);
		/* No core written: no 0x80 flag. */
		EXPECT_EQX(st, sigs[i]);
		close(p[0]);
		close(p[1]);
	}
}

TEST(default, ignored_by_default)
{
	int p[2];
	h_pipe(p);
	pid_t pid = reader(p[0], NULL);
	EXPECT_EQ(kill(pid, SIGCHLD), 0);
	EXPECT_EQ(kill(pid, SIGURG), 0);
	EXPECT_EQ(kill(pid, SIGWINCH), 0);
	EXPECT_EQ(kill(pid, SIGCONT), 0);
	/* The blocking read is not even interrupted. */
	h_post(p[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static void sync_then_read(int ready, int fd)
{
	h_post(ready);
	char c;
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static void tstp_stops(void *arg)
{
	(void)arg;
	/* Our own group, and the child in another one of the same session:
	 * its group has a parent (us) outside it, so it is not orphaned.
	 * (A group whose parents are all init counts as orphaned.) */
	EXPECT_EQ(setpgid(0, 0), 0);
	int go[2], ready[2];
	h_pipe(go);
	h_pipe(ready);
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(setpgid(0, 0), 0);
		sync_then_read(ready[1], go[0]);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	int sigs[] = {SIGTSTP, SIGTTIN, SIGTTOU, SIGSTOP};
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(kill(pid, sigs[i]), 0);
		int st;
		EXPECT_EQ(waitpid(pid, &st, WUNTRACED), pid);
		EXPECT_EQX(st, (sigs[i] << 8) | 0x7f);
		EXPECT_EQ(kill(pid, SIGCONT), 0);
		EXPECT_EQ(waitpid(pid, &st, WCONTINUED), pid);
		EXPECT_EQX(st, 0xffff);
	}
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(default, sigtstp_stops_child_in_own_group)
{
	EXPECT_CHILD_OK(tstp_stops, NULL);
}

TEST(default, sigtstp_discarded_in_orphaned_group)
{
	int go[2], ready[2];
	h_pipe(go);
	h_pipe(ready);
	pid_t pid = h_fork();
	if (pid == 0) {
		/* A new session: no parent in the session, so orphaned. */
		EXPECT_EQ(setsid(), getpid());
		sync_then_read(ready[1], go[0]);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	EXPECT_EQ(kill(pid, SIGTSTP), 0);
	EXPECT_EQ(kill(pid, SIGTTIN), 0);
	EXPECT_EQ(kill(pid, SIGTTOU), 0);
	h_post(go[1]);
	/* It exits instead of stopping. */
	int st;
	EXPECT_EQ(waitpid(pid, &st, WUNTRACED), pid);
	EXPECT_EQX(st, 0);
}

TEST(default, sigstop_stops_orphaned_group_too)
{
	int go[2], ready[2];
	h_pipe(go);
	h_pipe(ready);
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(setsid(), getpid());
		sync_then_read(ready[1], go[0]);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	EXPECT_EQ(kill(pid, SIGSTOP), 0);
	int st;
	EXPECT_EQ(waitpid(pid, &st, WUNTRACED), pid);
	EXPECT_EQX(st, (SIGSTOP << 8) | 0x7f);
	EXPECT_EQ(kill(pid, SIGCONT), 0);
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static void block_and_ignore_everything(void)
{
	uint64_t all = ~0ULL;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8);
	for (int s = 1; s <= 64; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_IGN);
}

TEST(default, sigkill_and_sigstop_cannot_be_blocked)
{
	int p[2];
	h_pipe(p);
	pid_t pid = reader(p[0], block_and_ignore_everything);
	EXPECT_EQ(kill(pid, 0), 0);
	EXPECT_EQ(kill(pid, SIGTERM), 0);
	EXPECT_EQ(kill(pid, SIGSTOP), 0);
	int st;
	EXPECT_EQ(waitpid(pid, &st, WUNTRACED), pid);
	EXPECT_TRUE(WIFSTOPPED(st));
	EXPECT_EQ(kill(pid, SIGCONT), 0);
	EXPECT_EQ(kill(pid, SIGKILL), 0);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
}

static void check_mask_drops_kill_stop(void *arg)
{
	(void)arg;
	block_and_ignore_everything();
	uint64_t m = 0;
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8), 0);
	EXPECT_EQX(m, ~(BIT(SIGKILL) | BIT(SIGSTOP)));
	/* A blocked signal is queued even when its action is SIG_IGN. */
	EXPECT_EQ(kill(getpid(), SIGUSR1), 0);
	uint64_t pend = 0;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &pend, 8), 0);
	EXPECT_EQX(pend & BIT(SIGUSR1), BIT(SIGUSR1));
	/* Setting SIG_IGN (again) discards it. */
	signal(SIGUSR1, SIG_IGN);
	EXPECT_EQ(syscall(SYS_rt_sigpending, &pend, 8), 0);
	EXPECT_EQX(pend & BIT(SIGUSR1), 0);
}

TEST(default, blocked_ignored_signal_pends_until_sig_ign_set)
{
	EXPECT_CHILD_OK(check_mask_drops_kill_stop, NULL);
}

static void segv_while_blocked(void)
{
	uint64_t set = BIT(SIGSEGV);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8);
	signal(SIGSEGV, SIG_IGN);
	*(volatile int *)h_opaque(NULL) = 1;
	h_exit(1);
}

TEST(default, blocked_or_ignored_fault_still_kills)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		no_core();
		segv_while_blocked();
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGSEGV);
}

TEST(default, kill_self_in_child)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		raise(SIGTERM);
		h_exit(1);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGTERM);
	/* exec'd program: the helper sends itself SIGKILL. */
	pid = h_fork();
	if (pid == 0) {
		char *argv[] = {"x", "raise", "9", NULL};
		char *envp[] = {NULL};
		execve(h_child_helper(), argv, envp);
		h_exit(127);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
}

TEST(default, init_ignores_default_action_signals)
{
	if (!h_is_init())
		return;
	/* Pid 1 gets no signal whose action is the default: not even
	 * SIGKILL sent from inside its namespace (SIGSTOP is not tried:
	 * if it worked, the run would hang). */
	EXPECT_EQ(kill(1, SIGTERM), 0);
	EXPECT_EQ(kill(1, SIGKILL), 0);
	uint64_t pend = 1;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &pend, 8), 0);
	EXPECT_EQX(pend, 0);
	/* Also from a child. */
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(kill(1, SIGTERM), 0);
		EXPECT_EQ(kill(1, SIGKILL), 0);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}
