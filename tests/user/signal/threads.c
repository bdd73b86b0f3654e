/*
 * Suite sigthread: signals and threads (CLONE_THREAD), stop/continue with
 * handlers, and shared signal handlers (CLONE_SIGHAND, CLONE_CLEAR_SIGHAND).
 *
 * Guards Linux's kernel/signal.c (complete_signal choosing a thread that
 * does not block a process-directed signal, per-thread vs shared pending
 * sets, do_tkill), kernel/fork.c (CLONE_SIGHAND shares the action table,
 * clone3's CLONE_CLEAR_SIGHAND resets handled signals, CLONE_PARENT is EINVAL
 * for init) and the stop/continue machinery (a stopped read restarts
 * transparently after SIGCONT; a SIGCONT handler runs on resumption).
 * Man pages signal(7) ("Signal mask and pending signals"), tgkill(2),
 * clone(2), alarm(2).  Threads here run inside a child process, never in
 * the runner.
 */
#include "harness.h"
#include "../proc/proc.h"

#include <sched.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif

#define BIT(sig) (1ULL << ((sig) - 1))
#define THREAD_FLAGS                                                           \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |    \
	 CLONE_SYSVSEM | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID)

static long raw_gettid(void)
{
	return h_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

static void raw_set_mask(uint64_t m)
{
	h_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, 0, 8, 0, 0);
}

static volatile long handler_tid;
static volatile int handled;
static volatile int thread_go;
static volatile uint64_t thread_pending;

static void record_tid(int sig)
{
	(void)sig;
	handler_tid = raw_gettid();
	handled++;
}

/* The thread: unblocks nothing itself (inherits the creator's mask, set
 * before clone), waits for thread_go, then reports its pending set. */
static int thread_wait(void *arg)
{
	uint64_t mask = (uint64_t)(uintptr_t)arg;
	raw_set_mask(mask);
	while (!thread_go)
		h_raw_syscall(SYS_futex, (long)&thread_go, 0, 0, 0, 0, 0);
	h_raw_syscall(SYS_rt_sigpending, (long)&thread_pending, 8, 0, 0, 0, 0);
	return 0;
}

static void wake_thread(void)
{
	thread_go = 1;
	h_raw_syscall(SYS_futex, (long)&thread_go, 1 /* FUTEX_WAKE */, 1, 0, 0,
		      0);
}

static void tgkill_targets_thread(void *arg)
{
	(void)arg;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = record_tid;
	EXPECT_OK(sigaction(SIGUSR1, &sa, NULL));
	static volatile int ctid;
	ctid = -1;
	thread_go = 0;
	/* The main thread blocks SIGUSR1; the thread does not. */
	raw_set_mask(BIT(SIGUSR1));
	long tid = h_clone_raw(THREAD_FLAGS, h_stack(), (int *)&ctid,
			       (int *)&ctid, 0, thread_wait, (void *)0);
	EXPECT_GT(tid, 0);
	/* Process-directed: goes to the thread that does not block it. */
	EXPECT_EQ(kill(getpid(), SIGUSR1), 0);
	while (!handled)
		sched_yield();
	EXPECT_EQ(handler_tid, tid);
	/* Thread-directed to the main thread: stays pending there only. */
	EXPECT_EQ(syscall(SYS_tgkill, getpid(), getpid(), SIGUSR1), 0);
	uint64_t mine = 0;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &mine, 8), 0);
	EXPECT_EQX(mine, BIT(SIGUSR1));
	wake_thread();
	h_wait_zero(&ctid);
	EXPECT_EQX(thread_pending, 0);
	EXPECT_EQ(handled, 1);
	/* Unblocking delivers it in the main thread. */
	raw_set_mask(0);
	EXPECT_EQ(handled, 2);
	EXPECT_EQ(handler_tid, getpid());
}

TEST(sigthread, process_signal_goes_to_unblocking_thread)
{
	EXPECT_CHILD_OK(tgkill_targets_thread, NULL);
}

static void shared_pending(void *arg)
{
	(void)arg;
	static volatile int ctid;
	ctid = -1;
	thread_go = 0;
	raw_set_mask(BIT(SIGUSR2));
	long tid = h_clone_raw(THREAD_FLAGS, h_stack(), (int *)&ctid,
			       (int *)&ctid, 0, thread_wait,
			       (void *)(uintptr_t)BIT(SIGUSR2));
	EXPECT_GT(tid, 0);
	/* Everyone blocks it: it stays process-pending, seen by all threads. */
	EXPECT_EQ(kill(getpid(), SIGUSR2), 0);
	wake_thread();
	h_wait_zero(&ctid);
	EXPECT_EQX(thread_pending, BIT(SIGUSR2));
	uint64_t mine = 0;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &mine, 8), 0);
	EXPECT_EQX(mine, BIT(SIGUSR2));
}

TEST(sigthread, process_pending_seen_by_every_thread)
{
	EXPECT_CHILD_OK(shared_pending, NULL);
}

static void fatal_signal_to_thread(void *arg)
{
	(void)arg;
	static volatile int ctid;
	ctid = -1;
	thread_go = 0;
	long tid = h_clone_raw(THREAD_FLAGS, h_stack(), (int *)&ctid,
			       (int *)&ctid, 0, thread_wait, (void *)0);
	EXPECT_GT(tid, 0);
	/* A fatal signal to one thread ends the whole process. */
	syscall(SYS_tgkill, getpid(), tid, SIGTERM);
	for (;;)
		pause();
}

TEST(sigthread, fatal_signal_to_thread_kills_process)
{
	pid_t pid = h_fork();
	if (pid == 0)
		fatal_signal_to_thread(NULL);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGTERM);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static int change_handler(void *arg)
{
	(void)arg;
	struct k_sigaction act = {(void *)on_usr1, 0x04000000 /* RESTORER */,
				  NULL, 0};
	act.restorer = (void *)on_usr1; /* never used: no signal arrives */
	return h_raw_syscall(SYS_rt_sigaction, SIGUSR1, (long)&act, 0, 8, 0,
			     0) == 0
		       ? 0
		       : 1;
}

TEST(sigthread, clone_sighand_shares_actions)
{
	long pid = h_clone_raw(CLONE_VM | CLONE_SIGHAND | SIGCHLD, h_stack(),
			       NULL, NULL, 0, change_handler, NULL);
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_EQ(h_wait_exit(pid), 0);
	struct k_sigaction now;
	EXPECT_EQ(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &now, 8), 0);
	EXPECT_EQX((uintptr_t)now.handler, (uintptr_t)on_usr1);
	/* Without CLONE_SIGHAND the child changes its own copy. */
	signal(SIGUSR1, SIG_DFL);
	pid = h_clone_raw(CLONE_VM | SIGCHLD, h_stack(), NULL, NULL, 0,
			  change_handler, NULL);
	h_track(pid);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &now, 8), 0);
	EXPECT_EQX((uintptr_t)now.handler, (uintptr_t)SIG_DFL);
}

struct k_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls, set_tid, set_tid_size, cgroup;
};

TEST(sigthread, clone3_clear_sighand)
{
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	struct k_clone_args args;
	memset(&args, 0, sizeof args);
	args.flags = CLONE_CLEAR_SIGHAND;
	args.exit_signal = SIGCHLD;
	long pid = h_raw_syscall(435, (long)&args, sizeof args, 0, 0, 0, 0);
	if (pid == 0) {
		struct k_sigaction a1, a2;
		syscall(SYS_rt_sigaction, SIGUSR1, NULL, &a1, 8);
		syscall(SYS_rt_sigaction, SIGUSR2, NULL, &a2, 8);
		/* Handled becomes default, ignored stays ignored. */
		h_exit((a1.handler == SIG_DFL ? 0 : 1) |
		       (a2.handler == SIG_IGN ? 0 : 2));
	}
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* CLONE_CLEAR_SIGHAND with CLONE_SIGHAND makes no sense. */
	args.flags = CLONE_CLEAR_SIGHAND | CLONE_SIGHAND | CLONE_VM;
	EXPECT_EQ(h_raw_syscall(435, (long)&args, sizeof args, 0, 0, 0, 0),
		  -EINVAL);
}

static int exit_4(void *arg)
{
	(void)arg;
	return 4;
}

static void clone_parent(void *arg)
{
	int fd = (int)(long)arg;
	/* The new process becomes our sibling: a child of our parent. */
	long pid = h_clone_raw(CLONE_PARENT | SIGCHLD, h_stack(), NULL, NULL, 0,
			       exit_4, NULL);
	EXPECT_GT(pid, 0);
	int st;
	EXPECT_ERRNO(waitpid(pid, &st, WNOHANG), ECHILD);
	long p = pid;
	EXPECT_EQ(write(fd, &p, sizeof p), sizeof p);
}

TEST(sigthread, clone_parent_makes_sibling)
{
	int p[2];
	h_pipe(p);
	EXPECT_EQ(h_run_child(clone_parent, (void *)(long)p[1]), 0);
	long sib = 0;
	EXPECT_EQ(read(p[0], &sib, sizeof sib), sizeof sib);
	h_track(sib);
	EXPECT_EQ(h_wait_exit(sib), 4);
	if (h_is_init()) {
		/* Init cannot: its parent is outside the namespace. */
		EXPECT_EQ(h_clone_raw(CLONE_PARENT | SIGCHLD, h_stack(), NULL,
				      NULL, 0, exit_4, NULL),
			  -EINVAL);
	}
}

static void cont_handler(int sig)
{
	(void)sig;
	handled++;
}

TEST(sigthread, stopped_read_resumes_without_eintr)
{
	int go[2], ready[2];
	h_pipe(go);
	h_pipe(ready);
	pid_t pid = h_fork();
	if (pid == 0) {
		h_post(ready[1]);
		char c;
		long n = h_raw_syscall(SYS_read, go[0], (long)&c, 1, 0, 0, 0);
		/* Stop and continue (default actions) leave the read be. */
		EXPECT_EQ(n, 1);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	for (int i = 0; i < 3; i++) {
		int st;
		EXPECT_EQ(kill(pid, SIGSTOP), 0);
		EXPECT_EQ(waitpid(pid, &st, WUNTRACED), pid);
		EXPECT_EQ(kill(pid, SIGCONT), 0);
		EXPECT_EQ(waitpid(pid, &st, WCONTINUED), pid);
	}
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

/* Waits until `pid` sleeps (in its read) or has ended, going by /proc/PID/stat. */
static void wait_until_asleep(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	for (;;) {
		proc_read(path, buf, sizeof buf);
		char *close = strrchr(buf, ')');
		if (!close || close[1] != ' ' || strchr("SZX", close[2]))
			return;
		sched_yield();
	}
}

TEST(sigthread, sigcont_handler_interrupts_stopped_read)
{
	int go[2], res[2];
	h_pipe(go);
	h_pipe(res);
	EXPECT_OK(fcntl(res[0], F_SETFL, O_NONBLOCK));
	pid_t pid = h_fork();
	if (pid == 0) {
		handled = 0;
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = cont_handler; /* no SA_RESTART */
		EXPECT_OK(sigaction(SIGCONT, &sa, NULL));
		for (;;) {
			char c;
			long n = h_raw_syscall(SYS_read, go[0], (long)&c, 1, 0,
					       0, 0);
			if (n == -EINTR)
				break;
			EXPECT_EQ(n, -EINTR);
		}
		EXPECT_GE(handled, 1);
		h_post(res[1]);
		h_exit(0);
	}
	/* Stop and continue until a stop lands while the child blocks in
	 * read: the SIGCONT handler then makes the read fail with EINTR.  Each
	 * stop waits for the child to be asleep (a stop sent while it is still
	 * runnable would discard the pending SIGCONT, handler and all, and the
	 * outcome would depend on the scheduler). */
	proc_ready();
	char c;
	int i, exited = 0, st = 0;
	for (i = 0; i < 500 && !exited; i++) {
		if (read(res[0], &c, 1) == 1)
			break;
		wait_until_asleep(pid);
		if (read(res[0], &c, 1) == 1)
			break;
		EXPECT_EQ(kill(pid, SIGSTOP), 0);
		EXPECT_EQ(waitpid(pid, &st, WUNTRACED), pid);
		if (WIFEXITED(st)) {
			exited = 1; /* it finished (and was reaped) meanwhile */
			break;
		}
		EXPECT_EQ(kill(pid, SIGCONT), 0);
		EXPECT_EQ(waitpid(pid, &st, WCONTINUED), pid);
		exited = WIFEXITED(st);
	}
	EXPECT_LT(i, 500);
	if (exited)
		EXPECT_EQX(st, 0);
	else
		EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(sigthread, alarm_and_itimer)
{
	EXPECT_EQ(alarm(5), 0);
	EXPECT_EQ(alarm(7), 5);
	EXPECT_EQ(alarm(0), 7);
	EXPECT_EQ(alarm(0), 0);
	struct itimerval it, old;
	memset(&it, 0, sizeof it);
	it.it_value.tv_sec = 100;
	EXPECT_OK(setitimer(ITIMER_REAL, &it, NULL));
	/* alarm() and ITIMER_REAL are the same timer. */
	unsigned left = alarm(0);
	EXPECT_TRUE(left == 100 || left == 99);
	EXPECT_OK(getitimer(ITIMER_REAL, &old));
	EXPECT_EQ(old.it_value.tv_sec, 0);
	EXPECT_EQ(old.it_value.tv_usec, 0);
	/* SIGALRM's default action ends the process. */
	pid_t pid = h_fork();
	if (pid == 0) {
		struct itimerval t = {{0, 0}, {0, 10000}};
		setitimer(ITIMER_REAL, &t, NULL);
		for (;;)
			pause();
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGALRM);
	/* Timers are not inherited by fork. */
	EXPECT_EQ(alarm(50), 0);
	pid = h_fork();
	if (pid == 0)
		h_exit(alarm(0));
	EXPECT_EQ(h_wait_exit(pid), 0);
	alarm(0);
}
