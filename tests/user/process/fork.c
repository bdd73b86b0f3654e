/*
 * Suite fork: fork(2), vfork(2), clone(2) and clone3(2).
 *
 * Guards Linux's kernel/fork.c (copy_process, kernel_clone, clone3 argument
 * checks) and kernel/exit.c: fork returns the child's pid in the parent and 0
 * in the child; the child gets a copy-on-write copy of memory, a copy of the
 * fd table whose entries share open file descriptions (and so offsets), the
 * signal mask and dispositions, and no pending signals; vfork suspends the
 * parent until the child exits or execs, sharing memory meanwhile; clone
 * shares what its CLONE_* flags name; CLONE_THREAD requires CLONE_SIGHAND,
 * which requires CLONE_VM (EINVAL); CLONE_PARENT_SETTID / CHILD_SETTID /
 * CHILD_CLEARTID write and clear tids (and futex-wake); exit_signal other than
 * SIGCHLD makes a "clone child" that only __WALL/__WCLONE waits see; clone3
 * rejects sizes below CLONE_ARGS_SIZE_VER0 (EINVAL) and above a page (E2BIG),
 * bad exit signals and stack/stack_size mismatches (EINVAL).  A thread group
 * shares the pid, each thread has its own tid, and when its threads end with
 * exit(2) the process's status is the code of the last one to exit.
 * Man pages fork(2), vfork(2), clone(2), wait4(2).
 */
#include "harness.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

#define BIT(sig) (1ULL << ((sig) - 1))

struct k_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

static long raw_clone3(struct k_clone_args *args, size_t size)
{
	return h_raw_syscall(SYS_clone3, (long)args, size, 0, 0, 0, 0);
}

static long raw_getpid(void)
{
	return h_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

static long raw_gettid(void)
{
	return h_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

TEST(fork, returns_pid_and_zero)
{
	int p[2];
	h_pipe(p);
	pid_t parent = getpid();
	pid_t pid = h_fork();
	if (pid == 0) {
		long me = raw_getpid();
		if (write(p[1], &me, sizeof me) != sizeof me)
			h_exit(3);
		EXPECT_EQ(getppid(), parent);
		EXPECT_EQ(raw_gettid(), me);
		h_exit(0);
	}
	EXPECT_GT(pid, 0);
	EXPECT_NE(pid, parent);
	long child_pid = 0;
	EXPECT_EQ(read(p[0], &child_pid, sizeof child_pid), sizeof child_pid);
	EXPECT_EQ(child_pid, pid);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static int cow_global = 1;

TEST(fork, child_writes_invisible_to_parent)
{
	int *heap = malloc(sizeof *heap);
	*heap = 10;
	volatile int stack_var = 20;
	cow_global = 1;
	pid_t pid = h_fork();
	if (pid == 0) {
		cow_global = 2;
		*heap = 11;
		stack_var = 21;
		h_exit(cow_global == 2 && *heap == 11 && stack_var == 21 ? 0 : 1);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(cow_global, 1);
	EXPECT_EQ(*heap, 10);
	EXPECT_EQ(stack_var, 20);
	free(heap);
}

TEST(fork, parent_writes_invisible_to_child)
{
	int go[2], done[2];
	h_pipe(go);
	h_pipe(done);
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(page != MAP_FAILED);
	strcpy(page, "before");
	cow_global = 5;
	pid_t pid = h_fork();
	if (pid == 0) {
		h_wait_byte(go[0]);
		EXPECT_EQ(cow_global, 5);
		EXPECT_STREQ(page, "before");
		h_exit(0);
	}
	cow_global = 6;
	strcpy(page, "after");
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_STREQ(page, "after");
	munmap(page, 4096);
}

TEST(fork, shared_mapping_stays_shared)
{
	volatile int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(shared != MAP_FAILED);
	shared[0] = 1;
	pid_t pid = h_fork();
	if (pid == 0) {
		shared[0] = 42;
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(shared[0], 42);
	munmap((void *)shared, 4096);
}

TEST(fork, fd_offset_shared)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(write(fd, "ab", 2), 2);
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2);
		EXPECT_EQ(write(fd, "cde", 3), 3);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5);
	char buf[16];
	EXPECT_EQ(pread(fd, buf, sizeof buf, 0), 5);
	EXPECT_MEMEQ(buf, "abcde", 5);
}

TEST(fork, fd_table_copied)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT, 0644));
	EXPECT_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	pid_t pid = h_fork();
	if (pid == 0) {
		/* The close-on-exec flag is copied too. */
		EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
		EXPECT_EQ(close(fd), 0);
		EXPECT_EQ(dup2(0, 50), 50);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_ERRNO(fcntl(50, F_GETFD), EBADF);
}

TEST(fork, wait4_status_and_rusage)
{
	pid_t pid = h_fork();
	if (pid == 0)
		h_exit(42);
	int st = 0;
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	EXPECT_EQ(wait4(pid, &st, 0, &ru), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 42);
	EXPECT_EQX(st, 42 << 8);
	EXPECT_GT(ru.ru_maxrss, 0);
	EXPECT_GE(ru.ru_utime.tv_sec, 0);
	EXPECT_LT(ru.ru_utime.tv_usec, 1000000);
	EXPECT_GE(ru.ru_stime.tv_sec, 0);
	EXPECT_LT(ru.ru_stime.tv_usec, 1000000);
}

TEST(fork, exit_status_keeps_low_byte)
{
	pid_t pid = h_fork();
	if (pid == 0)
		h_exit(0x1234);
	EXPECT_EQX(h_wait_status(pid), 0x3400);
}

TEST(fork, mask_and_dispositions_inherited_pending_cleared)
{
	uint64_t set = BIT(SIGUSR1) | BIT(SIGUSR2);
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8), 0);
	EXPECT_EQ(kill(getpid(), SIGUSR1), 0);
	signal(SIGHUP, SIG_IGN);
	pid_t pid = h_fork();
	if (pid == 0) {
		uint64_t pending = ~0ULL, mask = 0;
		EXPECT_EQ(syscall(SYS_rt_sigpending, &pending, 8), 0);
		EXPECT_EQX(pending, 0);
		EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, 8), 0);
		EXPECT_EQX(mask & set, set);
		struct k_sigaction old;
		EXPECT_EQ(syscall(SYS_rt_sigaction, SIGHUP, NULL, &old, 8), 0);
		EXPECT_EQX((uintptr_t)old.handler, (uintptr_t)SIG_IGN);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	uint64_t pending = 0;
	EXPECT_EQ(syscall(SYS_rt_sigpending, &pending, 8), 0);
	EXPECT_EQX(pending, BIT(SIGUSR1));
}

static volatile int vfork_var;

TEST(fork, vfork_shares_memory_and_suspends_parent)
{
	vfork_var = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		vfork_var = 1;
		/* The parent is suspended: it cannot observe 1 before 2. */
		for (int i = 0; i < 1000; i++)
			__asm__ volatile("" ::: "memory");
		vfork_var = 2;
		_exit(7);
	}
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_EQ(vfork_var, 2);
	EXPECT_EQ(h_wait_exit(pid), 7);
}

TEST(fork, vfork_then_exec)
{
	const char *helper = h_child_helper();
	char *argv[] = {(char *)helper, "exit", "9", NULL};
	char *envp[] = {NULL};
	vfork_var = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		vfork_var = 1;
		execve(helper, argv, envp);
		_exit(127);
	}
	h_track(pid);
	EXPECT_EQ(vfork_var, 1);
	EXPECT_EQ(h_wait_exit(pid), 9);
}

/* --- clone ------------------------------------------------------------- */

static volatile int clone_var;

static int set_var(void *arg)
{
	clone_var = (int)(long)arg;
	return 5;
}

TEST(fork, clone_vm_shares_memory)
{
	clone_var = 0;
	long pid = h_clone_raw(CLONE_VM | SIGCHLD, h_stack(), NULL, NULL, 0,
			       set_var, (void *)33L);
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_EQ(h_wait_exit(pid), 5);
	EXPECT_EQ(clone_var, 33);
}

TEST(fork, clone_without_vm_copies_memory)
{
	clone_var = 0;
	long pid = h_clone_raw(SIGCHLD, h_stack(), NULL, NULL, 0, set_var,
			       (void *)34L);
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_EQ(h_wait_exit(pid), 5);
	EXPECT_EQ(clone_var, 0);
}

static int open_fd_60(void *arg)
{
	(void)arg;
	return h_raw_syscall(SYS_dup2, 0, 60, 0, 0, 0, 0) == 60 ? 0 : 1;
}

TEST(fork, clone_files_shares_fd_table)
{
	long pid = h_clone_raw(CLONE_VM | CLONE_FILES | SIGCHLD, h_stack(),
			       NULL, NULL, 0, open_fd_60, NULL);
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(fcntl(60, F_GETFD), 0);
	close(60);
	pid = h_clone_raw(CLONE_VM | SIGCHLD, h_stack(), NULL, NULL, 0,
			  open_fd_60, NULL);
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_ERRNO(fcntl(60, F_GETFD), EBADF);
}

static int chdir_umask(void *arg)
{
	h_raw_syscall(SYS_umask, 077, 0, 0, 0, 0, 0);
	return h_raw_syscall(SYS_chdir, (long)arg, 0, 0, 0, 0, 0) == 0 ? 0 : 1;
}

TEST(fork, clone_fs_shares_cwd_and_umask)
{
	const char *dir = h_tmpdir();
	EXPECT_OK(mkdir("sub", 0755));
	char path[128];
	snprintf(path, sizeof path, "%s/sub", dir);
	long pid = h_clone_raw(CLONE_VM | CLONE_FS | SIGCHLD, h_stack(), NULL,
			       NULL, 0, chdir_umask, path);
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_EQ(h_wait_exit(pid), 0);
	char cwd[256];
	EXPECT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
	EXPECT_STREQ(cwd, path);
	EXPECT_MODE(umask(022), 077);
	/* Without CLONE_FS the parent keeps its own. */
	EXPECT_OK(chdir(dir));
	pid = h_clone_raw(CLONE_VM | SIGCHLD, h_stack(), NULL, NULL, 0,
			  chdir_umask, path);
	h_track(pid);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
	EXPECT_STREQ(cwd, dir);
	EXPECT_MODE(umask(022), 022);
}

static int child_tid_seen;
static int report_tid(void *arg)
{
	volatile int *slot = arg;
	child_tid_seen = *slot;
	return 0;
}

TEST(fork, clone_parent_settid_child_settid)
{
	static volatile int ptid, ctid;
	ptid = ctid = 0;
	child_tid_seen = -1;
	long pid = h_clone_raw(CLONE_VM | CLONE_PARENT_SETTID |
				       CLONE_CHILD_SETTID | SIGCHLD,
			       h_stack(), (int *)&ptid, (int *)&ctid, 0,
			       report_tid, (void *)&ctid);
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_EQ(ptid, pid);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(child_tid_seen, pid);
	EXPECT_EQ(ctid, pid);
}

static int block_on_pipe(void *arg)
{
	int fd = (int)(long)arg;
	char c;
	h_raw_syscall(SYS_read, fd, (long)&c, 1, 0, 0, 0);
	return 0;
}

TEST(fork, clone_child_cleartid_clears_and_wakes)
{
	static volatile int ctid;
	int p[2];
	h_pipe(p);
	ctid = -1;
	long pid = h_clone_raw(CLONE_VM | CLONE_CHILD_SETTID |
				       CLONE_CHILD_CLEARTID | SIGCHLD,
			       h_stack(), NULL, (int *)&ctid, 0, block_on_pipe,
			       (void *)(long)p[0]);
	EXPECT_GT(pid, 0);
	h_track(pid);
	h_post(p[1]);
	/* The futex wake at exit ends this wait. */
	h_wait_zero(&ctid);
	EXPECT_EQ(ctid, 0);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(fork, exit_signal_other_than_sigchld)
{
	uint64_t set = BIT(SIGUSR1) | BIT(SIGCHLD);
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8), 0);
	long pid = h_clone_raw(SIGUSR1, h_stack(), NULL, NULL, 0, set_var,
			       (void *)1L);
	EXPECT_GT(pid, 0);
	h_track(pid);
	siginfo_t si;
	struct timespec ts = {10, 0};
	memset(&si, 0, sizeof si);
	EXPECT_EQ(syscall(SYS_rt_sigtimedwait, &set, &si, &ts, 8), SIGUSR1);
	EXPECT_EQ(si.si_code, CLD_EXITED);
	EXPECT_EQ(si.si_pid, pid);
	EXPECT_EQ(si.si_status, 5);
	/* A "clone child": plain waits do not see it. */
	int st;
	EXPECT_ERRNO(waitpid(pid, &st, WNOHANG), ECHILD);
	EXPECT_EQ(waitpid(pid, &st, __WCLONE), pid);
	EXPECT_EQX(st, 5 << 8);
}

TEST(fork, clone_thread_needs_sighand)
{
	EXPECT_EQ(h_clone_raw(CLONE_VM | CLONE_THREAD, h_stack(), NULL, NULL,
			      0, set_var, NULL),
		  -EINVAL);
	EXPECT_EQ(h_clone_raw(CLONE_SIGHAND | SIGCHLD, h_stack(), NULL, NULL,
			      0, set_var, NULL),
		  -EINVAL);
	/* CLONE_FS with a new mount namespace is contradictory. */
	EXPECT_EQ(h_clone_raw(CLONE_NEWNS | CLONE_FS | SIGCHLD, h_stack(),
			      NULL, NULL, 0, set_var, NULL),
		  -EINVAL);
	/* CLONE_THREAD with a new pid namespace too. */
	EXPECT_EQ(h_clone_raw(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD |
				      CLONE_NEWPID,
			      h_stack(), NULL, NULL, 0, set_var, NULL),
		  -EINVAL);
}

#define THREAD_FLAGS                                                           \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |    \
	 CLONE_SYSVSEM | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID)

static volatile long thr_pid, thr_tid, thr_ppid;

static int thread_ids(void *arg)
{
	(void)arg;
	thr_pid = raw_getpid();
	thr_tid = raw_gettid();
	thr_ppid = h_raw_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0);
	return 0;
}

TEST(fork, thread_shares_pid_not_tid)
{
	static volatile int ctid, ptid;
	thr_pid = thr_tid = thr_ppid = 0;
	ctid = -1;
	ptid = 0;
	long tid = h_clone_raw(THREAD_FLAGS, h_stack(), (int *)&ptid,
			       (int *)&ctid, 0, thread_ids, NULL);
	EXPECT_GT(tid, 0);
	EXPECT_EQ(ptid, tid);
	h_join(&ctid);
	EXPECT_EQ(thr_pid, getpid());
	EXPECT_EQ(thr_tid, tid);
	EXPECT_NE(thr_tid, getpid());
	EXPECT_EQ(thr_ppid, getppid());
	/* A thread is not a child: nothing to wait for. */
	int st;
	EXPECT_ERRNO(waitpid(tid, &st, __WALL | WNOHANG), ECHILD);
}

static int thread_blocks(void *arg)
{
	return block_on_pipe(arg);
}

static void exit_group_kills_threads(void *arg)
{
	(void)arg;
	static volatile int ctid;
	int p[2];
	h_pipe(p);
	ctid = 0;
	long tid = h_clone_raw(THREAD_FLAGS, h_stack(), (int *)&ctid,
			       (int *)&ctid, 0, thread_blocks,
			       (void *)(long)p[0]);
	EXPECT_GT(tid, 0);
	h_exit(6);
}

TEST(fork, exit_group_ends_all_threads)
{
	EXPECT_EQ(h_run_child(exit_group_kills_threads, NULL), 6);
}

static volatile int leader_tid_slot;

static int thread_exit_7(void *arg)
{
	/* arg != 0: wait for the leader to be gone first. */
	if (arg)
		h_wait_zero(&leader_tid_slot);
	return 7;
}

/* arg == 0: the thread exits first, then the leader with 3;
 * arg != 0: the leader exits with 3, then the thread with 7. */
static void thread_exit_order(void *arg)
{
	static volatile int ctid;
	ctid = -1;
	leader_tid_slot = -1;
	/* The kernel clears and wakes this when the leader exits. */
	h_raw_syscall(SYS_set_tid_address, (long)&leader_tid_slot, 0, 0, 0, 0,
		      0);
	long tid = h_clone_raw(THREAD_FLAGS, h_stack(), NULL, (int *)&ctid, 0,
			       thread_exit_7, arg);
	EXPECT_GT(tid, 0);
	if (!arg)
		h_wait_zero(&ctid);
	for (;;)
		h_raw_syscall(SYS_exit, 3, 0, 0, 0, 0, 0);
}

TEST(fork, process_status_when_leader_exits_last)
{
	EXPECT_EQ(h_run_child(thread_exit_order, NULL), 3);
}

TEST(fork, process_status_when_thread_exits_last)
{
	/* The status is the exit code of the last thread to exit. */
	EXPECT_EQ(h_run_child(thread_exit_order, (void *)1L), 7);
}

/* --- clone3 ------------------------------------------------------------ */

TEST(fork, clone3_fork_like)
{
	struct k_clone_args args;
	memset(&args, 0, sizeof args);
	args.exit_signal = SIGCHLD;
	long pid = raw_clone3(&args, 64);
	if (pid == 0)
		h_exit(12);
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_EQ(h_wait_exit(pid), 12);
}

TEST(fork, clone3_vm_on_new_stack)
{
	struct k_clone_args args;
	memset(&args, 0, sizeof args);
	static volatile int ptid;
	ptid = 0;
	args.flags = CLONE_VM | CLONE_PARENT_SETTID;
	args.parent_tid = (uintptr_t)&ptid;
	args.exit_signal = SIGCHLD;
	char *top = h_stack();
	args.stack = (uintptr_t)(top - 65536);
	args.stack_size = 65536;
	clone_var = 0;
	long pid = h_clone3_fn(&args, sizeof args, set_var, (void *)77L);
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_EQ(ptid, pid);
	EXPECT_EQ(h_wait_exit(pid), 5);
	EXPECT_EQ(clone_var, 77);
}

TEST(fork, clone3_size_checks)
{
	struct {
		struct k_clone_args a;
		char extra[4096];
	} big;
	memset(&big, 0, sizeof big);
	big.a.exit_signal = SIGCHLD;
	EXPECT_EQ(raw_clone3(&big.a, 0), -EINVAL);
	EXPECT_EQ(raw_clone3(&big.a, 63), -EINVAL);
	/* Larger than a page. */
	EXPECT_EQ(raw_clone3(&big.a, 4097), -E2BIG);
	/* Larger than known with non-zero trailing bytes. */
	big.extra[0] = 1;
	EXPECT_EQ(raw_clone3(&big.a, sizeof big.a + 8), -E2BIG);
	EXPECT_EQ(raw_clone3(H_BAD_PTR, 64), -EFAULT);
}

TEST(fork, clone3_argument_checks)
{
	struct k_clone_args args;
	memset(&args, 0, sizeof args);
	args.exit_signal = 65;
	EXPECT_EQ(raw_clone3(&args, sizeof args), -EINVAL);
	/* exit_signal is a full field, not the low byte of flags. */
	args.exit_signal = 0;
	args.flags = SIGCHLD;
	EXPECT_EQ(raw_clone3(&args, sizeof args), -EINVAL);
	/* stack without stack_size and the other way round. */
	args.flags = 0;
	args.exit_signal = SIGCHLD;
	args.stack = (uintptr_t)h_stack() - 65536;
	EXPECT_EQ(raw_clone3(&args, sizeof args), -EINVAL);
	args.stack = 0;
	args.stack_size = 65536;
	EXPECT_EQ(raw_clone3(&args, sizeof args), -EINVAL);
	/* CLONE_THREAD takes no exit signal. */
	memset(&args, 0, sizeof args);
	args.flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
	args.exit_signal = SIGCHLD;
	EXPECT_EQ(raw_clone3(&args, sizeof args), -EINVAL);
	/* Unknown flag bits. */
	memset(&args, 0, sizeof args);
	args.flags = 1ULL << 40;
	args.exit_signal = SIGCHLD;
	EXPECT_EQ(raw_clone3(&args, sizeof args), -EINVAL);
}

TEST(fork, clone3_pidfd)
{
	struct k_clone_args args;
	memset(&args, 0, sizeof args);
	int pidfd = -1;
	args.flags = CLONE_PIDFD;
	args.pidfd = (uintptr_t)&pidfd;
	args.exit_signal = SIGCHLD;
	long pid = raw_clone3(&args, sizeof args);
	if (pid == 0)
		h_exit(0);
	EXPECT_GT(pid, 0);
	h_track(pid);
	EXPECT_GE(pidfd, 3);
	EXPECT_EQ(fcntl(pidfd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* CLONE_PIDFD with CLONE_PARENT_SETTID on the same address. */
	args.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
	args.parent_tid = (uintptr_t)&pidfd;
	EXPECT_EQ(raw_clone3(&args, sizeof args), -EINVAL);
}
