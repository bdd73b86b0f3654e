/*
 * Suite prctl: prctl(2) options beyond the name: PR_SET/GET_PDEATHSIG,
 * PR_SET/GET_CHILD_SUBREAPER, PR_SET/GET_NO_NEW_PRIVS, PR_SET/GET_DUMPABLE,
 * PR_SET/GET_KEEPCAPS, PR_SET/GET_TIMERSLACK, PR_SET/GET_TSC.
 *
 * Guards Linux's kernel/sys.c (SYSCALL prctl) and security/commoncap.c
 * (keepcaps): the death signal must be 0..64 (EINVAL), is cleared in a forked
 * child, and is sent when the parent exits; a subreaper ("!!arg2") adopts
 * orphaned descendants and is not inherited; no_new_privs takes exactly
 * (1, 0, 0, 0), cannot be unset and is inherited, its getter wants zero
 * arguments; dumpable is 0 or 1 (EINVAL otherwise) and inherited; keepcaps
 * is 0 or 1; the timer slack (also /proc/self/timerslack_ns) is inherited
 * and becomes the child's default, which 0 restores.  Unknown options are
 * EINVAL.  Every test runs in a child so the runner's own settings stay.
 * Man page prctl(2).
 */
#include "harness.h"
#include "../proc/proc.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#ifndef PR_SET_CHILD_SUBREAPER
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37
#endif
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#endif

static long kprctl(long op, long a2, long a3, long a4, long a5)
{
	return syscall(SYS_prctl, op, a2, a3, a4, a5);
}

static void pdeathsig_values(void *arg)
{
	(void)arg;
	int sig = -1;
	EXPECT_EQ(kprctl(PR_GET_PDEATHSIG, (long)&sig, 0, 0, 0), 0);
	EXPECT_EQ(sig, 0);
	EXPECT_EQ(kprctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_GET_PDEATHSIG, (long)&sig, 0, 0, 0), 0);
	EXPECT_EQ(sig, SIGUSR1);
	EXPECT_EQ(kprctl(PR_SET_PDEATHSIG, 64, 0, 0, 0), 0);
	EXPECT_ERRNO(kprctl(PR_SET_PDEATHSIG, 65, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(kprctl(PR_SET_PDEATHSIG, -1, 0, 0, 0), EINVAL);
	EXPECT_EQ(kprctl(PR_GET_PDEATHSIG, (long)&sig, 0, 0, 0), 0);
	EXPECT_EQ(sig, 64);
	EXPECT_ERRNO(kprctl(PR_GET_PDEATHSIG, (long)H_BAD_PTR, 0, 0, 0),
		     EFAULT);
	/* A forked child starts without one. */
	pid_t pid = h_fork();
	if (pid == 0) {
		int s = -1;
		EXPECT_EQ(kprctl(PR_GET_PDEATHSIG, (long)&s, 0, 0, 0), 0);
		EXPECT_EQ(s, 0);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(kprctl(PR_SET_PDEATHSIG, 0, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_GET_PDEATHSIG, (long)&sig, 0, 0, 0), 0);
	EXPECT_EQ(sig, 0);
}

TEST(prctl, pdeathsig_values)
{
	EXPECT_CHILD_OK(pdeathsig_values, NULL);
}

/* This process is a subreaper; its child A forks B, B asks for SIGKILL when
 * its parent dies, A exits: B is killed and this process reaps it. */
static void pdeathsig_delivered(void *arg)
{
	(void)arg;
	EXPECT_EQ(kprctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	int ready[2], pidpipe[2];
	h_pipe(ready);
	h_pipe(pidpipe);
	pid_t a = h_fork();
	if (a == 0) {
		pid_t b = fork();
		if (b < 0)
			h_exit(3);
		if (b == 0) {
			if (kprctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
				h_exit(4);
			h_post(ready[1]);
			for (int i = 0; i < 2000; i++)
				usleep(10000);
			h_exit(5);
		}
		if (write(pidpipe[1], &b, sizeof b) != sizeof b)
			h_exit(6);
		h_wait_byte(ready[0]);
		h_exit(0);
	}
	pid_t b = 0;
	EXPECT_EQ(read(pidpipe[0], &b, sizeof b), (long)sizeof b);
	h_track(b);
	EXPECT_EQ(h_wait_exit(a), 0);
	EXPECT_EQ(h_wait_signaled(b, NULL), SIGKILL);
}

TEST(prctl, pdeathsig_sent_when_parent_exits)
{
	EXPECT_CHILD_OK(pdeathsig_delivered, NULL);
}

static void subreaper(void *arg)
{
	(void)arg;
	int v = -1;
	EXPECT_EQ(kprctl(PR_GET_CHILD_SUBREAPER, (long)&v, 0, 0, 0), 0);
	EXPECT_EQ(v, 0);
	EXPECT_EQ(kprctl(PR_SET_CHILD_SUBREAPER, 5, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_GET_CHILD_SUBREAPER, (long)&v, 0, 0, 0), 0);
	EXPECT_EQ(v, 1);
	EXPECT_ERRNO(kprctl(PR_GET_CHILD_SUBREAPER, (long)H_BAD_PTR, 0, 0, 0),
		     EFAULT);
	int p[2];
	h_pipe(p);
	pid_t a = h_fork();
	if (a == 0) {
		int w = -1;
		EXPECT_EQ(kprctl(PR_GET_CHILD_SUBREAPER, (long)&w, 0, 0, 0),
			  0);
		EXPECT_EQ(w, 0); /* not inherited */
		pid_t self = getpid();
		pid_t b = fork();
		if (b < 0)
			h_exit(3);
		if (b == 0) {
			/* Wait until A has exited, then report the parent. */
			for (int i = 0; i < 2000 && getppid() == self; i++)
				usleep(10000);
			pid_t pp = getppid();
			if (write(p[1], &pp, sizeof pp) != sizeof pp)
				h_exit(7);
			h_exit(0);
		}
		if (write(p[1], &b, sizeof b) != sizeof b)
			h_exit(6);
		h_exit(0);
	}
	pid_t b = 0, pp = 0;
	EXPECT_EQ(read(p[0], &b, sizeof b), (long)sizeof b);
	h_track(b);
	EXPECT_EQ(h_wait_exit(a), 0);
	EXPECT_EQ(read(p[0], &pp, sizeof pp), (long)sizeof pp);
	EXPECT_EQ(pp, getpid());
	EXPECT_EQ(h_wait_exit(b), 0);
	EXPECT_EQ(kprctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_GET_CHILD_SUBREAPER, (long)&v, 0, 0, 0), 0);
	EXPECT_EQ(v, 0);
}

TEST(prctl, child_subreaper_adopts_orphans)
{
	EXPECT_CHILD_OK(subreaper, NULL);
}

static void no_new_privs(void *arg)
{
	(void)arg;
	EXPECT_EQ(kprctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	EXPECT_ERRNO(kprctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(kprctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 1), EINVAL);
	EXPECT_ERRNO(kprctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(kprctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(kprctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL);
	EXPECT_ERRNO(kprctl(PR_SET_NO_NEW_PRIVS, 1, 0, 1, 0), EINVAL);
	EXPECT_ERRNO(kprctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 1), EINVAL);
	EXPECT_EQ(kprctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	EXPECT_EQ(kprctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	EXPECT_ERRNO(kprctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(kprctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(prctl, no_new_privs)
{
	EXPECT_CHILD_OK(no_new_privs, NULL);
}

static void dumpable(void *arg)
{
	(void)arg;
	EXPECT_EQ(kprctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	EXPECT_ERRNO(kprctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(kprctl(PR_SET_DUMPABLE, -1, 0, 0, 0), EINVAL);
	EXPECT_EQ(kprctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(kprctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(kprctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
}

TEST(prctl, dumpable)
{
	EXPECT_CHILD_OK(dumpable, NULL);
}

static void keepcaps(void *arg)
{
	(void)arg;
	EXPECT_EQ(kprctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
	EXPECT_ERRNO(kprctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL);
	EXPECT_EQ(kprctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
	EXPECT_EQ(kprctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
}

TEST(prctl, keepcaps)
{
	EXPECT_CHILD_OK(keepcaps, NULL);
}

TEST(prctl, unknown_option_einval)
{
	EXPECT_ERRNO(kprctl(0x7fff1234, 0, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(kprctl(-1, 0, 0, 0, 0), EINVAL);
}

#ifndef PR_SET_TIMERSLACK
#define PR_SET_TIMERSLACK 29
#define PR_GET_TIMERSLACK 30
#endif

static long read_slack_file(const char *path)
{
	char buf[64];
	h_read_file(path, buf, sizeof buf);
	return strtol(buf, NULL, 10);
}

static void timerslack(void *arg)
{
	(void)arg;
	long initial = kprctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	EXPECT_GT(initial, 0);
	if (h_is_init())
		EXPECT_EQ(initial, 50000);
	EXPECT_EQ(read_slack_file("/proc/self/timerslack_ns"), initial);
	EXPECT_EQ(kprctl(PR_SET_TIMERSLACK, 70000, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 70000);
	EXPECT_EQ(read_slack_file("/proc/self/timerslack_ns"), 70000);
	/* A child starts with its creator's slack, which is also its default. */
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(kprctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 70000);
		EXPECT_EQ(kprctl(PR_SET_TIMERSLACK, 1, 0, 0, 0), 0);
		EXPECT_EQ(kprctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 1);
		EXPECT_EQ(kprctl(PR_SET_TIMERSLACK, 0, 0, 0, 0), 0);
		EXPECT_EQ(kprctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 70000);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* 0 restores this process's default: what its creator had. */
	EXPECT_EQ(kprctl(PR_SET_TIMERSLACK, 0, 0, 0, 0), 0);
	EXPECT_EQ(kprctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), initial);
	h_write_file("/proc/self/timerslack_ns", "1234");
	EXPECT_EQ(kprctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 1234);
	h_write_file("/proc/self/timerslack_ns", "0");
	EXPECT_EQ(kprctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), initial);
	int fd = EXPECT_OK(open("/proc/self/timerslack_ns", O_WRONLY));
	EXPECT_ERRNO(write(fd, "abc", 3), EINVAL);
	close(fd);
}

TEST(prctl, timerslack)
{
	proc_ready();
	EXPECT_CHILD_OK(timerslack, NULL);
}

static inline unsigned long long rdtsc_now(void)
{
	unsigned int low, high;
	__asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
	return (unsigned long long)high << 32 | low;
}

/* PR_SET_TSC/PR_GET_TSC (arch/x86/kernel/process.c set_tsc_mode): per
 * thread, kept by fork and exec; PR_TSC_SIGSEGV makes RDTSC raise SIGSEGV. */
TEST(prctl, tsc)
{
	unsigned int mode = 0;
	EXPECT_EQ(prctl(PR_GET_TSC, &mode), 0);
	EXPECT_EQ(mode, PR_TSC_ENABLE);
	EXPECT_ERRNO(prctl(PR_SET_TSC, 0), EINVAL);
	EXPECT_ERRNO(prctl(PR_SET_TSC, 3), EINVAL);
	EXPECT_ERRNO(prctl(PR_GET_TSC, H_BAD_PTR), EFAULT);
	pid_t pid = h_fork();
	if (pid == 0) {
		if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV) != 0)
			h_exit(1);
		unsigned int got = 0;
		if (prctl(PR_GET_TSC, &got) != 0 || got != PR_TSC_SIGSEGV)
			h_exit(2);
		/* A child inherits it; enabling again works. */
		pid_t inner = fork();
		if (inner == 0) {
			unsigned int seen = 0;
			prctl(PR_GET_TSC, &seen);
			if (seen != PR_TSC_SIGSEGV)
				_exit(3);
			prctl(PR_SET_TSC, PR_TSC_ENABLE);
			rdtsc_now();
			_exit(0);
		}
		int status;
		if (waitpid(inner, &status, 0) != inner || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			h_exit(4);
		rdtsc_now();
		h_exit(5);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGSEGV);
	/* The runner's own setting did not change, and RDTSC works here. */
	EXPECT_EQ(prctl(PR_GET_TSC, &mode), 0);
	EXPECT_EQ(mode, PR_TSC_ENABLE);
	EXPECT_TRUE(rdtsc_now() != 0);
}
