/*
 * Suite rlimit_enforce: what the resource limits enforce, and prlimit64(2)
 * on other processes.
 *
 * Guards Linux's kernel/fork.c (RLIMIT_NPROC: EAGAIN once the real user owns
 * that many tasks, zombies included; root exempt), mm/mmap.c may_expand_vm
 * (RLIMIT_AS for every mapping, RLIMIT_DATA for private writable ones: mmap
 * ENOMEM, brk keeps the old break), mm/mmap.c acct_stack_growth (the stack
 * does not grow past RLIMIT_STACK: SIGSEGV), fs/exec.c bprm_stack_limits
 * (arguments get a quarter of RLIMIT_STACK, at least 128 KiB: E2BIG),
 * mm/filemap.c generic_write_check_limits and fs/attr.c inode_newsize_ok
 * (RLIMIT_FSIZE: a write is cut short at the limit, one starting at it is
 * EFBIG with SIGXFSZ, and so is growing a file past it with truncate,
 * ftruncate or fallocate (tmpfs: even with FALLOC_FL_KEEP_SIZE); shrinking
 * is always allowed), and
 * kernel/time/posix-cpu-timers.c check_process_timers (RLIMIT_CPU: SIGXCPU
 * at the soft limit, again each further second, SIGKILL at the hard limit),
 * kernel/sys.c prlimit64 (another process needs matching uids and gids or
 * CAP_SYS_RESOURCE: EPERM; ESRCH for no process; raising a hard limit needs
 * CAP_SYS_RESOURCE).  Every test runs in a child.  Man pages getrlimit(2),
 * execve(2).
 */
#include "harness.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define NOBODY 65534
#define MIB (1024L * 1024)

struct k_rlimit {
	unsigned long cur, max;
};

static long k_prlimit(int pid, int res, const struct k_rlimit *new,
		      struct k_rlimit *old)
{
	return syscall(SYS_prlimit64, pid, res, new, old);
}

static void set_limit(int res, unsigned long cur, unsigned long max)
{
	struct k_rlimit r = {cur, max};
	EXPECT_EQ(k_prlimit(0, res, &r, NULL), 0);
}

static void drop_root(void)
{
	EXPECT_EQ(syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY), 0);
	EXPECT_EQ(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY), 0);
}

static void nproc(void *arg)
{
	(void)arg;
	set_limit(RLIMIT_NPROC, 1, 2);
	drop_root();
	/* This process is the only task of nobody: a second one is over. */
	EXPECT_ERRNO(fork(), EAGAIN);
	set_limit(RLIMIT_NPROC, 2, 2);
	pid_t pid = h_fork();
	if (pid == 0)
		h_exit(0);
	/* The zombie still counts until it is reaped. */
	usleep(50000);
	EXPECT_ERRNO(fork(), EAGAIN);
	EXPECT_EQ(h_wait_exit(pid), 0);
	pid = h_fork();
	if (pid == 0)
		h_exit(0);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(rlimit_enforce, nproc_eagain)
{
	EXPECT_CHILD_OK(nproc, NULL);
}

static void nproc_root(void *arg)
{
	(void)arg;
	set_limit(RLIMIT_NPROC, 0, 0);
	pid_t pid = h_fork();
	if (pid == 0)
		h_exit(0);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(rlimit_enforce, nproc_root_exempt)
{
	EXPECT_CHILD_OK(nproc_root, NULL);
}

static void address_space(void *arg)
{
	(void)arg;
	set_limit(RLIMIT_AS, 256 * MIB, 256 * MIB);
	void *p = mmap(NULL, 512 * MIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	int e = errno;
	EXPECT_TRUE(p == MAP_FAILED);
	EXPECT_EQ(e, ENOMEM);
	p = mmap(NULL, 512 * MIB, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1,
		 0);
	EXPECT_TRUE(p == MAP_FAILED);
	p = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	EXPECT_OK(munmap(p, 4 * MIB));
	long cur = syscall(SYS_brk, 0);
	EXPECT_EQ(syscall(SYS_brk, cur + 512 * MIB), cur);
	set_limit(RLIMIT_AS, 0, 256 * MIB);
	EXPECT_TRUE(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0) == MAP_FAILED);
}

TEST(rlimit_enforce, address_space)
{
	EXPECT_CHILD_OK(address_space, NULL);
}

static void data(void *arg)
{
	(void)arg;
	set_limit(RLIMIT_DATA, 1 * MIB, 1 * MIB);
	void *p = mmap(NULL, 8 * MIB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int e = errno;
	EXPECT_TRUE(p == MAP_FAILED);
	EXPECT_EQ(e, ENOMEM);
	/* Read-only and shared mappings are not data. */
	p = mmap(NULL, 8 * MIB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	EXPECT_OK(munmap(p, 8 * MIB));
	p = mmap(NULL, 8 * MIB, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	EXPECT_OK(munmap(p, 8 * MIB));
	long cur = syscall(SYS_brk, 0);
	EXPECT_EQ(syscall(SYS_brk, cur + 8 * MIB), cur);
}

TEST(rlimit_enforce, data)
{
	EXPECT_CHILD_OK(data, NULL);
}

static __attribute__((noinline)) void touch_below(long distance)
{
	char here;
	volatile char *p = (volatile char *)h_opaque(&here) - distance;
	*p = 1;
}

static volatile sig_atomic_t xfsz_count;

static void on_xfsz(int sig)
{
	(void)sig;
	xfsz_count++;
}

static void file_size(void *arg)
{
	(void)arg;
	h_tmpdir();
	signal(SIGXFSZ, on_xfsz);
	set_limit(RLIMIT_FSIZE, 10, 10);
	int fd = EXPECT_OK(open("fsize", O_RDWR | O_CREAT | O_TRUNC, 0600));
	char buf[64];
	memset(buf, 'x', sizeof buf);
	/* Cut short at the limit, no signal. */
	EXPECT_EQ(write(fd, buf, 8), 8);
	EXPECT_EQ(write(fd, buf, 8), 2);
	EXPECT_EQ(xfsz_count, 0);
	/* At the limit: EFBIG and SIGXFSZ. */
	EXPECT_ERRNO(write(fd, buf, 1), EFBIG);
	EXPECT_EQ(xfsz_count, 1);
	EXPECT_ERRNO(pwrite(fd, buf, 4, 100), EFBIG);
	EXPECT_EQ(xfsz_count, 2);
	/* An empty write checks nothing. */
	EXPECT_EQ(write(fd, buf, 0), 0);
	EXPECT_EQ(pwrite(fd, buf, 4, 6), 4);
	/* Growing past the limit, by any call. */
	EXPECT_ERRNO(ftruncate(fd, 11), EFBIG);
	EXPECT_EQ(xfsz_count, 3);
	EXPECT_ERRNO(truncate("fsize", 4096), EFBIG);
	EXPECT_EQ(xfsz_count, 4);
	EXPECT_ERRNO(fallocate(fd, 0, 0, 4096), EFBIG);
	EXPECT_EQ(xfsz_count, 5);
	/* tmpfs checks the end even when the size is kept. */
	EXPECT_ERRNO(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4096), EFBIG);
	EXPECT_EQ(xfsz_count, 6);
	/* Shrinking, or growing within the limit, is fine. */
	EXPECT_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 10));
	EXPECT_OK(ftruncate(fd, 4));
	EXPECT_OK(truncate("fsize", 10));
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 10);
	EXPECT_EQ(xfsz_count, 6);
	close(fd);
	/* With SIGXFSZ at its default action the writer dies, with a core. */
	signal(SIGXFSZ, SIG_DFL);
	pid_t pid = h_fork();
	if (pid == 0) {
		int f = open("fsize", O_WRONLY | O_APPEND);
		(void)!write(f, buf, 1);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGXFSZ);
}

TEST(rlimit_enforce, file_size)
{
	EXPECT_CHILD_OK(file_size, NULL);
}

TEST(rlimit_enforce, stack_growth)
{
	/* 2 MiB below the stack pointer is fine under the default 8 MiB... */
	pid_t pid = h_fork();
	if (pid == 0) {
		touch_below(2 * MIB);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* ...and a SIGSEGV under 256 KiB. */
	pid = h_fork();
	if (pid == 0) {
		struct k_rlimit r = {256 * 1024, RLIM_INFINITY};
		if (k_prlimit(0, RLIMIT_STACK, &r, NULL) != 0)
			h_exit(3);
		touch_below(2 * MIB);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGSEGV);
}

TEST(rlimit_enforce, exec_arguments_limited_by_stack)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		static char big[100 * 1024];
		memset(big, 'x', sizeof big - 1);
		char *argv[] = {(char *)h_child_helper(), "exit", "0", big, big,
				NULL};
		char *envp[] = {NULL};
		struct k_rlimit r = {512 * 1024, RLIM_INFINITY};
		EXPECT_EQ(k_prlimit(0, RLIMIT_STACK, &r, NULL), 0);
		EXPECT_ERRNO(execve(argv[0], argv, envp), E2BIG);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static void other_process(void *arg)
{
	(void)arg;
	int p[2], q[2];
	h_pipe(p);
	h_pipe(q);
	pid_t b = h_fork();
	if (b == 0) {
		h_wait_byte(p[0]); /* first round: as root */
		drop_root();
		h_post(q[1]);
		h_wait_byte(p[0]);
		h_exit(0);
	}
	struct k_rlimit r = {100, 200}, got = {0, 0};
	EXPECT_EQ(k_prlimit(b, RLIMIT_NOFILE, &r, &got), 0);
	EXPECT_EQ(got.cur, 1024); /* what it inherited (runner default) */
	EXPECT_EQ(k_prlimit(b, RLIMIT_NOFILE, NULL, &got), 0);
	EXPECT_EQ(got.cur, 100);
	EXPECT_EQ(got.max, 200);
	EXPECT_EQ(k_prlimit(b, RLIMIT_CORE, NULL, &got), 0);
	/* Not our limits. */
	EXPECT_EQ(k_prlimit(0, RLIMIT_NOFILE, NULL, &got), 0);
	EXPECT_NE(got.cur, 100);
	EXPECT_ERRNO(k_prlimit(0x3ffffff0, RLIMIT_NOFILE, NULL, &got), ESRCH);
	EXPECT_ERRNO(k_prlimit(-1, RLIMIT_NOFILE, NULL, &got), ESRCH);
	/* ESRCH comes before the resource check. */
	EXPECT_ERRNO(k_prlimit(0x3ffffff0, 99, NULL, &got), ESRCH);
	EXPECT_ERRNO(k_prlimit(b, 99, NULL, &got), EINVAL);
	h_post(p[1]);
	h_wait_byte(q[0]);
	/* B is nobody now, we are root: still allowed. */
	EXPECT_EQ(k_prlimit(b, RLIMIT_NOFILE, NULL, &got), 0);
	drop_root();
	/* Same ids on both sides: reading and lowering work, raising the
	 * hard limit does not. */
	EXPECT_EQ(k_prlimit(b, RLIMIT_NOFILE, NULL, &got), 0);
	struct k_rlimit lower = {50, 150}, higher = {50, 300};
	EXPECT_EQ(k_prlimit(b, RLIMIT_NOFILE, &lower, NULL), 0);
	EXPECT_ERRNO(k_prlimit(b, RLIMIT_NOFILE, &higher, NULL), EPERM);
	/* Init (root) is not ours. */
	EXPECT_ERRNO(k_prlimit(1, RLIMIT_NOFILE, NULL, &got), EPERM);
	h_post(p[1]);
	EXPECT_EQ(h_wait_exit(b), 0);
}

TEST(rlimit_enforce, prlimit_other_process)
{
	if (!h_is_init())
		return; /* the runner's own limits and pid 1 are assumed */
	EXPECT_CHILD_OK(other_process, NULL);
}

static void core_stored(void *arg)
{
	(void)arg;
	struct k_rlimit got;
	set_limit(RLIMIT_CORE, 4096, 8192);
	EXPECT_EQ(k_prlimit(0, RLIMIT_CORE, NULL, &got), 0);
	EXPECT_EQ(got.cur, 4096);
	EXPECT_EQ(got.max, 8192);
	struct k_rlimit up = {4096, 16384};
	drop_root();
	EXPECT_ERRNO(k_prlimit(0, RLIMIT_CORE, &up, NULL), EPERM);
	struct k_rlimit down = {0, 4096};
	EXPECT_EQ(k_prlimit(0, RLIMIT_CORE, &down, NULL), 0);
}

TEST(rlimit_enforce, core_stored_and_hard_limit_rules)
{
	EXPECT_CHILD_OK(core_stored, NULL);
}

static volatile int *xcpu_count;

static void on_xcpu(int sig)
{
	(void)sig;
	__atomic_add_fetch(xcpu_count, 1, __ATOMIC_RELAXED);
}

/* Burns CPU time under RLIMIT_CPU {soft, hard} until a signal ends it. */
static void burn_cpu(unsigned long soft, unsigned long hard, int handle)
{
	if (handle)
		signal(SIGXCPU, on_xcpu);
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core);
	struct rlimit limit = {soft, hard};
	if (setrlimit(RLIMIT_CPU, &limit) != 0)
		h_exit(1);
	alarm(60);
	for (volatile unsigned long i = 0;; i++)
		;
}

TEST(rlimit_enforce, cpu_time)
{
	h_set_timeout(120);
	xcpu_count = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(xcpu_count != MAP_FAILED);
	/* Caught SIGXCPU at 1 s, then SIGKILL at the hard limit of 3 s: the
	 * soft limit moved on a second after each SIGXCPU (at 1 s and 2 s). */
	*xcpu_count = 0;
	pid_t pid = h_fork();
	if (pid == 0)
		burn_cpu(1, 3, 1);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
	EXPECT_EQ(*xcpu_count, 2);
	/* SIGXCPU's default action ends the process (a core dump). */
	pid = h_fork();
	if (pid == 0)
		burn_cpu(1, RLIM_INFINITY, 0);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGXCPU);
	/* The soft limit as the kernel moved it. */
	*xcpu_count = 0;
	pid = h_fork();
	if (pid == 0) {
		signal(SIGXCPU, on_xcpu);
		struct rlimit limit = {1, 10};
		if (setrlimit(RLIMIT_CPU, &limit) != 0)
			h_exit(1);
		while (__atomic_load_n(xcpu_count, __ATOMIC_RELAXED) < 1)
			;
		getrlimit(RLIMIT_CPU, &limit);
		h_exit(limit.rlim_cur == 2 ? 0 : 10 + (int)limit.rlim_cur);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	munmap((void *)xcpu_count, 4096);
}
