/*
 * Ferrux user-space test harness: failure reporting and helpers.
 * See harness.h for the contract; main.c is the runner.
 */
#include "harness.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <signal.h>

/* Shared with main.c. */
jmp_buf h_jmp;
char h_reason[1024];
char h_tmp_path[64];
int h_tmp_made;

/* Who runs the tests: set by h_runner_init(). */
pid_t h_runner_pid;
pid_t h_runner_tid;
/* The test's report pipe (created by the first h_fork of a test). */
int h_rep_r = -1, h_rep_w = -1;
static char thread_reason[1024];

static long raw_gettid(void)
{
	return h_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

/* A failed check outside the runner's main thread: report and exit. */
static _Noreturn void child_fail(const char *reason)
{
	long pid = h_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	if (pid == h_runner_pid) {
		/* A thread of the runner: leave the reason, end the thread. */
		snprintf(thread_reason, sizeof thread_reason, "[tid %ld] %s",
			 raw_gettid(), reason);
		for (;;)
			h_raw_syscall(SYS_exit, H_CHILD_FAILED, 0, 0, 0, 0, 0);
	}
	char line[1200];
	int n = snprintf(line, sizeof line, "[pid %ld] %s\n", pid, reason);
	if (n > (int)sizeof line - 1)
		n = sizeof line - 1;
	if (h_rep_w >= 0)
		h_raw_syscall(SYS_write, h_rep_w, (long)line, n, 0, 0, 0);
	for (;;)
		h_raw_syscall(SYS_exit_group, H_CHILD_FAILED, 0, 0, 0, 0, 0);
}

void h_fail(const char *file, int line, const char *fmt, ...)
{
	char buf[1024];
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	int n = snprintf(buf, sizeof buf, "%s:%d: ", base, line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	va_end(ap);
	/* Keep the report on one line. */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (h_runner_tid && raw_gettid() != h_runner_tid)
		child_fail(buf);
	memcpy(h_reason, buf, sizeof h_reason);
	longjmp(h_jmp, 1);
}

const char *h_thread_reason(void)
{
	return thread_reason;
}

const char *h_errname(int e)
{
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG)
	E(ENOEXEC) E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES)
	E(EFAULT) E(ENOTBLK) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV)
	E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY)
	E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE)
	E(EDOM) E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS)
	E(ENOTEMPTY) E(ELOOP) E(ENODATA) E(EOVERFLOW) E(EOPNOTSUPP)
	E(ETIMEDOUT) E(ELIBBAD)
#undef E
	case 0:
		return "0";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

int h_is_init(void)
{
	return getpid() == 1;
}

/* Remove a directory tree (only what tests create: files, dirs, symlinks),
 * making directories accessible first (a test may leave one at mode 0). */
static void rm_tree_at(int dirfd, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dirfd, name, 0);
		return;
	}
	fchmodat(dirfd, name, 0700, 0);
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		if (d) {
			struct dirent *e;
			while ((e = readdir(d)) != NULL) {
				if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
					rm_tree_at(fd, e->d_name);
			}
			closedir(d);
		} else {
			close(fd);
		}
	}
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

void h_rm_tree(const char *path)
{
	rm_tree_at(AT_FDCWD, path);
}

const char *h_tmpdir(void)
{
	if (!h_tmp_made) {
		snprintf(h_tmp_path, sizeof h_tmp_path, "/tmp/ferrux-tests.%d",
			 (int)getpid());
		h_rm_tree(h_tmp_path);
		if (mkdir(h_tmp_path, 0700) != 0)
			FAIL("mkdir(%s): %s", h_tmp_path, h_errname(errno));
		h_tmp_made = 1;
	}
	if (chdir(h_tmp_path) != 0)
		FAIL("chdir(%s): %s", h_tmp_path, h_errname(errno));
	return h_tmp_path;
}

void h_write_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		FAIL("h_write_file: open(%s): %s", path, h_errname(errno));
	size_t len = strlen(content);
	ssize_t n = write(fd, content, len);
	if (n != (ssize_t)len)
		FAIL("h_write_file: write(%s) = %zd: %s", path, n,
		     h_errname(errno));
	close(fd);
}

size_t h_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		FAIL("h_read_file: open(%s): %s", path, h_errname(errno));
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0)
			FAIL("h_read_file: read(%s): %s", path,
			     h_errname(errno));
		if (n == 0 || got + n >= size - 1) {
			got += n;
			break;
		}
		got += n;
	}
	buf[got] = 0;
	close(fd);
	return got;
}

const char *h_name(size_t n)
{
	static char buf[8192];
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	memset(buf, 'a', n);
	buf[n] = 0;
	return buf;
}

const char *h_longpath(size_t n)
{
	static char buf[8192];
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (i % 2) ? '/' : 'a';
	buf[n] = 0;
	return buf;
}

int h_console_fd(void)
{
	if (h_is_init())
		return 0;
	/* The runner closes fds >= 3 after each test, so open it each time. */
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd >= 0)
		return fd;
	int err = errno;
	/* Not root on a host: a pty slave is a tty that is not our
	 * controlling terminal either, which is what the tests need. */
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	if (master >= 0) {
		int unlock = 0;
		unsigned ptn = 0;
		if (ioctl(master, TIOCSPTLCK, &unlock) == 0 &&
		    ioctl(master, TIOCGPTN, &ptn) == 0) {
			char path[32];
			snprintf(path, sizeof path, "/dev/pts/%u", ptn);
			fd = open(path, O_RDWR | O_NOCTTY);
			if (fd >= 0)
				return fd;
		}
	}
	FAIL("open(/dev/console): %s (and no pty either)", h_errname(err));
}

/* --- processes ------------------------------------------------------------ */

#define MAX_TRACKED 512
static pid_t tracked[MAX_TRACKED];
static int ntracked;
static int made_processes; /* this test created processes or threads */
static const char *waiting_for; /* for the watchdog's message */
static pid_t waiting_pid;

static void ensure_report_pipe(void)
{
	if (h_rep_w >= 0)
		return;
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return; /* no reasons from children, only their exit codes */
	/* Out of the way of the fd numbers tests use. */
	h_rep_r = fcntl(p[0], F_DUPFD_CLOEXEC, 240);
	h_rep_w = fcntl(p[1], F_DUPFD_CLOEXEC, 240);
	close(p[0]);
	close(p[1]);
	if (h_rep_r >= 0)
		fcntl(h_rep_r, F_SETFL, O_NONBLOCK);
}

void h_track(pid_t pid)
{
	made_processes = 1;
	ensure_report_pipe();
	if (pid > 0 && ntracked < MAX_TRACKED)
		tracked[ntracked++] = pid;
}

/* The start of a child process: the watchdog is the runner's (children get
 * SIG_DFL), and a failed check reports and exits even where the child's
 * ids equal the runner's (pid 1 of a new PID namespace). */
static void child_begin(void)
{
	struct k_sigaction dfl = {SIG_DFL, 0, NULL, 0};
	h_raw_syscall(SYS_rt_sigaction, H_SIG_WATCHDOG, (long)&dfl, 0, 8, 0,
		      0);
	h_runner_pid = -1;
	h_runner_tid = -1;
}

pid_t h_fork(void)
{
	made_processes = 1;
	ensure_report_pipe();
	pid_t pid = fork();
	if (pid < 0)
		FAIL("fork: %s", h_errname(errno));
	if (pid == 0)
		child_begin();
	if (pid > 0)
		h_track(pid);
	return pid;
}

pid_t h_clone_fork(unsigned long flags)
{
	made_processes = 1;
	ensure_report_pipe();
	long pid = h_raw_syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0, 0);
	if (pid == 0)
		child_begin();
	if (pid > 0)
		h_track((pid_t)pid);
	if (pid < 0) {
		errno = (int)-pid;
		return -1;
	}
	return (pid_t)pid;
}

void h_exit(int code)
{
	for (;;)
		h_raw_syscall(SYS_exit_group, code, 0, 0, 0, 0, 0);
}

int h_wait_status(pid_t pid)
{
	int st = 0;
	waiting_for = "waitpid";
	waiting_pid = pid;
	for (;;) {
		pid_t r = waitpid(pid, &st, __WALL);
		if (r == pid)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		waiting_for = NULL;
		if (r < 0)
			FAIL("waitpid(%d): %s", (int)pid, h_errname(errno));
		FAIL("waitpid(%d) returned %d", (int)pid, (int)r);
	}
	waiting_for = NULL;
	return st;
}

/* The reason a child reported, or "" (reads the report pipe). */
static const char *child_reason(pid_t pid)
{
	static char buf[4096];
	static char line[1200];
	if (h_rep_r < 0)
		return "(no report pipe)";
	size_t got = 0;
	for (;;) {
		ssize_t n = read(h_rep_r, buf + got, sizeof buf - 1 - got);
		if (n <= 0)
			break;
		got += n;
		if (got >= sizeof buf - 1)
			break;
	}
	buf[got] = 0;
	char tag[32];
	snprintf(tag, sizeof tag, "[pid %d] ", (int)pid);
	const char *p = strstr(buf, tag);
	if (!p)
		p = buf; /* a grandchild's, or nothing */
	else
		p += strlen(tag);
	size_t len = strcspn(p, "\n");
	if (len >= sizeof line)
		len = sizeof line - 1;
	memcpy(line, p, len);
	line[len] = 0;
	return line[0] ? line : "(no reason reported)";
}

int h_wait_exit(pid_t pid)
{
	int st = h_wait_status(pid);
	if (WIFSIGNALED(st))
		FAIL("child %d killed by signal %d", (int)pid, WTERMSIG(st));
	if (!WIFEXITED(st))
		FAIL("child %d: unexpected status %#x", (int)pid, st);
	if (WEXITSTATUS(st) == H_CHILD_FAILED)
		FAIL("child %d: %s", (int)pid, child_reason(pid));
	return WEXITSTATUS(st);
}

int h_wait_signaled(pid_t pid, int *core)
{
	int st = h_wait_status(pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == H_CHILD_FAILED)
		FAIL("child %d: %s", (int)pid, child_reason(pid));
	if (!WIFSIGNALED(st))
		FAIL("child %d: expected death by signal, got status %#x",
		     (int)pid, st);
	if (core)
		*core = WCOREDUMP(st) ? 1 : 0;
	return WTERMSIG(st);
}

int h_run_child(void (*fn)(void *), void *arg)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		fn(arg);
		h_exit(0);
	}
	return h_wait_exit(pid);
}

void h_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) != 0)
		FAIL("pipe2: %s", h_errname(errno));
}

void h_post(int fd)
{
	for (;;) {
		ssize_t n = write(fd, "x", 1);
		if (n == 1)
			return;
		if (n < 0 && errno == EINTR)
			continue;
		FAIL("h_post(%d): %s", fd, n < 0 ? h_errname(errno) : "short");
	}
}

void h_wait_byte(int fd)
{
	char c;
	waiting_for = "h_wait_byte";
	waiting_pid = fd;
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n == 1)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		waiting_for = NULL;
		FAIL("h_wait_byte(%d): %s", fd, n < 0 ? h_errname(errno) : "EOF");
	}
	waiting_for = NULL;
}

size_t h_read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	waiting_for = "h_read_all";
	waiting_pid = fd;
	for (;;) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			waiting_for = NULL;
			FAIL("h_read_all(%d): %s", fd, h_errname(errno));
		}
		if (n == 0)
			break;
		got += n;
		if (got >= size - 1)
			break;
	}
	waiting_for = NULL;
	buf[got] = 0;
	return got;
}

/* rdi flags, rsi stack, rdx ptid, rcx ctid, r8 tls, r9 fn, 8(%rsp) arg */
__asm__(".text\n"
	".globl h_clone_raw\n"
	".type h_clone_raw,@function\n"
	"h_clone_raw:\n"
	"	mov 8(%rsp), %rax\n"
	"	and $-16, %rsi\n"
	"	sub $16, %rsi\n"
	"	mov %r9, 0(%rsi)\n"
	"	mov %rax, 8(%rsi)\n"
	"	mov %rcx, %r10\n"
	"	mov $56, %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	pop %rax\n"
	"	pop %rdi\n"
	"	call *%rax\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n"
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n"
	".size h_clone_raw, .-h_clone_raw\n"
	/* rdi args, rsi size; the child pops fn and arg from its stack */
	".globl h_clone3_raw\n"
	".type h_clone3_raw,@function\n"
	"h_clone3_raw:\n"
	"	mov $435, %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	pop %rax\n"
	"	pop %rdi\n"
	"	call *%rax\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n"
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n"
	".size h_clone3_raw, .-h_clone3_raw\n");

long h_clone3_raw(void *args, size_t size);

long h_clone3_fn(void *clone_args, size_t size, int (*fn)(void *), void *arg)
{
	made_processes = 1;
	/* struct clone_args: stack at offset 40, stack_size at 48. */
	uint64_t *a = clone_args;
	uint64_t top = (a[5] + a[6]) & ~15ULL;
	uint64_t *sp = (uint64_t *)(top - 16);
	sp[0] = (uint64_t)fn;
	sp[1] = (uint64_t)arg;
	a[6] = (uint64_t)sp - a[5];
	return h_clone3_raw(clone_args, size);
}

#define MAX_STACKS 64
#define STACK_SIZE (64 * 1024)
static void *stacks[MAX_STACKS];
static int nstacks;

void *h_stack(void)
{
	made_processes = 1; /* for h_clone_raw */
	if (nstacks == MAX_STACKS)
		FAIL("h_stack: too many stacks in one test");
	void *p = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FAIL("h_stack: mmap: %s", h_errname(errno));
	stacks[nstacks++] = p;
	return (char *)p + STACK_SIZE;
}

void h_wait_zero(volatile int *addr)
{
	waiting_for = "h_wait_zero";
	waiting_pid = *addr;
	for (;;) {
		int v = *addr;
		if (v == 0)
			break;
		h_raw_syscall(SYS_futex, (long)addr, 0 /* FUTEX_WAIT */, v, 0,
			      0, 0);
	}
	waiting_for = NULL;
}

void h_join(volatile int *ctid)
{
	h_wait_zero(ctid);
	if (thread_reason[0])
		FAIL("thread: %s", thread_reason);
}

const char *h_child_helper(void)
{
	const char *p = getenv("FERRUX_CHILD_HELPER");
	return p && *p ? p : "/bin/child-helper";
}

/* --- watchdog and per-test reset (called by main.c) ---------------------- */

#define H_DEFAULT_TIMEOUT 20
struct k_sigevent {
	uint64_t value;
	int signo;
	int notify;
	int tid;
	int pad[11];
};
struct k_itimerspec {
	struct timespec interval, value;
};
static int have_timer;
static int timer_id;
static unsigned timeout_s;
static struct k_sigaction saved_actions[65];
static struct rlimit saved_limits[16];

static void arm(unsigned seconds)
{
	if (!have_timer)
		return;
	struct k_itimerspec its = {{0, 0}, {seconds, 0}};
	h_raw_syscall(SYS_timer_settime, timer_id, 0, (long)&its, 0, 0, 0);
}

void h_set_timeout(unsigned seconds)
{
	timeout_s = seconds;
	arm(seconds);
}

static void watchdog(int sig)
{
	(void)sig;
	char buf[200];
	if (waiting_for)
		snprintf(buf, sizeof buf, "timed out after %u s in %s(%d)",
			 timeout_s, waiting_for, (int)waiting_pid);
	else
		snprintf(buf, sizeof buf, "timed out after %u s", timeout_s);
	waiting_for = NULL;
	if (raw_gettid() != h_runner_tid)
		child_fail(buf);
	memcpy(h_reason, buf, sizeof buf);
	longjmp(h_jmp, 1);
}

static long raw_sigaction(int sig, const struct k_sigaction *act,
			  struct k_sigaction *old)
{
	return h_raw_syscall(SYS_rt_sigaction, sig, (long)act, (long)old, 8, 0,
			     0);
}

void h_runner_init(void)
{
	h_runner_pid = getpid();
	h_runner_tid = raw_gettid();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = watchdog;
	sa.sa_flags = SA_NODEFER; /* the runner resets the mask anyway */
	sigaction(H_SIG_WATCHDOG, &sa, NULL);
	for (int s = 1; s <= 64; s++)
		raw_sigaction(s, NULL, &saved_actions[s]);
	for (int r = 0; r < 16; r++)
		getrlimit(r, &saved_limits[r]);
	struct k_sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.signo = H_SIG_WATCHDOG;
	sev.notify = 4; /* SIGEV_THREAD_ID */
	sev.tid = h_runner_tid;
	int id = -1;
	if (h_raw_syscall(SYS_timer_create, CLOCK_MONOTONIC, (long)&sev,
			  (long)&id, 0, 0, 0) == 0) {
		have_timer = 1;
		timer_id = id;
	}
}

void h_before_test(void)
{
	ntracked = 0;
	h_rep_r = h_rep_w = -1;
	thread_reason[0] = 0;
	waiting_for = NULL;
	timeout_s = H_DEFAULT_TIMEOUT;
	arm(timeout_s);
}

/* Kill and reap what the test left; restore the signal state. */
void h_after_test(void)
{
	uint64_t all = ~0ULL, none = 0;
	h_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, 8, 0, 0);
	if (have_timer) {
		struct k_itimerspec zero;
		memset(&zero, 0, sizeof zero);
		h_raw_syscall(SYS_timer_settime, timer_id, 0, (long)&zero, 0, 0,
			      0);
	}
	struct itimerval off;
	memset(&off, 0, sizeof off);
	setitimer(ITIMER_REAL, &off, NULL);
	setitimer(ITIMER_VIRTUAL, &off, NULL);
	setitimer(ITIMER_PROF, &off, NULL);
	for (int s = 1; s <= 64; s++)
		if (s != SIGKILL && s != SIGSTOP)
			raw_sigaction(s, &saved_actions[s], NULL);
	stack_t ss;
	memset(&ss, 0, sizeof ss);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);

	/* Children: kill the tracked ones that are still ours. */
	for (int i = 0; i < ntracked; i++) {
		siginfo_t si;
		if (waitid(P_PID, tracked[i], &si,
			   WEXITED | WNOHANG | WNOWAIT | __WALL) == 0)
			kill(tracked[i], SIGKILL);
	}
	/* As init, everything else is ours too (kill(-1) spares init). */
	if (made_processes && h_is_init())
		kill(-1, SIGKILL);
	for (int i = 0; i < ntracked; i++) {
		int st;
		while (waitpid(tracked[i], &st, __WALL) < 0 && errno == EINTR)
			;
	}
	/* Sweep: reap every child that is gone; as init wait for all. */
	for (int tries = 0; tries < 5000; tries++) {
		int st;
		pid_t r = waitpid(-1, &st, __WALL | WNOHANG);
		if (r > 0)
			continue;
		if (r < 0 || !h_is_init() || !made_processes)
			break;
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	ntracked = 0;
	made_processes = 0;
	/* Stacks are not unmapped: a thread a failed test left running
	 * would fault and take the runner down. */
	nstacks = 0;

	/* Drain pending signals, then unblock everything. */
	struct timespec zero_ts = {0, 0};
	for (int i = 0; i < 200; i++)
		if (h_raw_syscall(SYS_rt_sigtimedwait, (long)&all, 0,
				  (long)&zero_ts, 8, 0, 0) <= 0)
			break;
	h_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8, 0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	for (int r = 0; r < 16; r++)
		setrlimit(r, &saved_limits[r]);
}
