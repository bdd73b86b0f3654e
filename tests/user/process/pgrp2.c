/*
 * Suite pgrp2: process groups and sessions across processes (the basics are
 * in pgrp.c): getpgid/getsid of other processes, joining another group,
 * setpgid's ESRCH/EPERM rules for relatives and sessions, and orphaned
 * groups.
 *
 * Guards Linux's kernel/sys.c: getpgid(pid)/getsid(pid) answer for any
 * process; setpgid may move the caller or a child only (a grandchild or the
 * parent is ESRCH), into its own new group or an existing group of the
 * caller's session (a missing group, or one in another session, is EPERM); a
 * session leader cannot move (EPERM) and a child in another session is
 * EPERM.  kernel/signal.c get_signal: SIGTSTP does not stop a process in an
 * orphaned group (one whose members have no parent in another group of the
 * same session, init not counting), SIGSTOP does.  Man pages setpgid(2),
 * credentials(7).
 */
#include "harness.h"

#include <signal.h>
#include <sys/wait.h>

#define NO_PID 0x3ffffff0

/* A child that blocks reading p[0] until a byte comes or every write end is
 * closed (it closes its own). */
static pid_t sleeper(int p[2])
{
	pid_t pid = h_fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		h_exit(0);
	}
	return pid;
}

static void others(void *arg)
{
	(void)arg;
	/* Our own group, so that "our group" is not the runner's group 0. */
	EXPECT_EQ(setpgid(0, 0), 0);
	int p[2];
	h_pipe(p);
	pid_t a = sleeper(p);
	EXPECT_EQ(getpgid(a), getpgrp());
	EXPECT_EQ(getsid(a), getsid(0));
	EXPECT_EQ(setpgid(a, a), 0);
	EXPECT_EQ(getpgid(a), a);
	/* A second child joins the first one's group. */
	pid_t b = sleeper(p);
	EXPECT_EQ(setpgid(b, a), 0);
	EXPECT_EQ(getpgid(b), a);
	/* And moves back to ours. */
	EXPECT_EQ(setpgid(b, getpgrp()), 0);
	EXPECT_EQ(getpgid(b), getpgrp());
	/* A group nobody is in. */
	EXPECT_ERRNO(setpgid(b, NO_PID), EPERM);
	EXPECT_ERRNO(setpgid(0, b), EPERM);
	/* The parent's group id is ours: fine; the parent itself is ESRCH. */
	EXPECT_ERRNO(setpgid(getppid(), 0), ESRCH);
	close(p[1]);
	EXPECT_EQ(h_wait_exit(a), 0);
	EXPECT_EQ(h_wait_exit(b), 0);
}

TEST(pgrp2, other_processes_and_joining_groups)
{
	EXPECT_CHILD_OK(others, NULL);
}

static void grandchild(void *arg)
{
	(void)arg;
	int p[2], q[2];
	h_pipe(p);
	h_pipe(q);
	pid_t a = h_fork();
	if (a == 0) {
		pid_t g = sleeper(p);
		if (write(q[1], &g, sizeof g) != sizeof g)
			h_exit(3);
		close(p[1]);
		EXPECT_EQ(h_wait_exit(g), 0);
		h_exit(0);
	}
	pid_t g = 0;
	EXPECT_EQ(read(q[0], &g, sizeof g), (long)sizeof g);
	EXPECT_ERRNO(setpgid(g, 0), ESRCH);
	EXPECT_ERRNO(setpgid(g, g), ESRCH);
	EXPECT_EQ(getpgid(g), getpgrp());
	close(p[1]);
	EXPECT_EQ(h_wait_exit(a), 0);
}

TEST(pgrp2, grandchild_esrch)
{
	EXPECT_CHILD_OK(grandchild, NULL);
}

static void sessions(void *arg)
{
	(void)arg;
	int p[2], q[2];
	h_pipe(p);
	h_pipe(q);
	/* s becomes the leader of a new session. */
	pid_t s = h_fork();
	if (s == 0) {
		EXPECT_EQ(setsid(), getpid());
		EXPECT_ERRNO(setpgid(0, 0), EPERM);
		EXPECT_ERRNO(setpgid(0, getpid()), EPERM);
		h_post(q[1]);
		h_wait_byte(p[0]);
		h_exit(0);
	}
	h_wait_byte(q[0]);
	EXPECT_EQ(getsid(s), s);
	EXPECT_EQ(getpgid(s), s);
	/* A child in another session. */
	EXPECT_ERRNO(setpgid(s, s), EPERM);
	EXPECT_ERRNO(setpgid(s, getpgrp()), EPERM);
	/* A group of another session. */
	EXPECT_ERRNO(setpgid(0, s), EPERM);
	pid_t t = sleeper(p);
	EXPECT_ERRNO(setpgid(t, s), EPERM);
	EXPECT_EQ(getpgid(t), getpgrp());
	h_post(p[1]);
	h_post(p[1]);
	EXPECT_EQ(h_wait_exit(s), 0);
	EXPECT_EQ(h_wait_exit(t), 0);
}

TEST(pgrp2, session_boundaries_eperm)
{
	EXPECT_CHILD_OK(sessions, NULL);
}

static void orphan_rules(void *arg)
{
	(void)arg;
	EXPECT_EQ(setsid(), getpid());
	int p[2];
	h_pipe(p);
	pid_t c = sleeper(p);
	EXPECT_EQ(setpgid(c, c), 0);
	EXPECT_EQ(kill(c, SIGTSTP), 0);
	int st = 0;
	EXPECT_EQ(waitpid(c, &st, WUNTRACED), c);
	EXPECT_TRUE(WIFSTOPPED(st));
	EXPECT_EQ(WSTOPSIG(st), SIGTSTP);
	EXPECT_EQ(kill(c, SIGCONT), 0);
	/* In our own group (whose parent, the runner's child, is in another
	 * session) SIGTSTP is discarded, SIGSTOP is not. */
	pid_t d = sleeper(p);
	EXPECT_EQ(kill(d, SIGTSTP), 0);
	EXPECT_EQ(kill(d, SIGTTIN), 0);
	EXPECT_EQ(kill(d, SIGTTOU), 0);
	usleep(100000);
	EXPECT_EQ(waitpid(d, &st, WUNTRACED | WNOHANG), 0);
	close(p[1]);
	EXPECT_EQ(h_wait_exit(d), 0);
	EXPECT_EQ(h_wait_exit(c), 0);
}

TEST(pgrp2, stop_signals_and_orphaned_groups)
{
	EXPECT_CHILD_OK(orphan_rules, NULL);
}
