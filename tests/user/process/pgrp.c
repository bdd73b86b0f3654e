/*
 * Suite pgrp: process groups and sessions: setpgid(2), getpgid(2),
 * getpgrp(2), setsid(2), getsid(2).
 *
 * Guards Linux's kernel/sys.c (SYSCALL setpgid, getpgid, getsid, setsid):
 * setpgid(0, 0) makes the caller a group leader; a parent may move its child
 * until the child execs (then EACCES); pid must be the caller or its child
 * (ESRCH), in the caller's session (EPERM); a session leader cannot change
 * its group (EPERM); the target group must exist in the same session
 * (EPERM); a negative pgid is EINVAL; setsid fails with EPERM for a group
 * leader and otherwise makes a new session and group whose id is the pid;
 * getpgid/getsid of a missing process are ESRCH; fork inherits both.  Init
 * starts in session 0, group 0.  Man pages setpgid(2), setsid(2), getsid(2),
 * credentials(7).
 */
#include "harness.h"

#include <signal.h>
#include <sys/wait.h>

/* A pid that cannot exist (pid_max is at most 4194304). */
#define NO_PID 0x3ffffff0

static pid_t child_waiting(int fd)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		char c;
		while (read(fd, &c, 1) < 0 && errno == EINTR)
			;
		h_exit(0);
	}
	return pid;
}

TEST(pgrp, getpgrp_matches_getpgid)
{
	EXPECT_EQ(getpgrp(), getpgid(0));
	EXPECT_EQ(syscall(SYS_getpgid, 0), syscall(SYS_getpgrp));
	EXPECT_EQ(getpgid(getpid()), getpgrp());
	EXPECT_EQ(getsid(getpid()), getsid(0));
	if (h_is_init()) {
		EXPECT_EQ(getpgrp(), 0);
		EXPECT_EQ(getsid(0), 0);
	}
}

TEST(pgrp, missing_process_esrch)
{
	EXPECT_ERRNO(getpgid(NO_PID), ESRCH);
	EXPECT_ERRNO(getsid(NO_PID), ESRCH);
	EXPECT_ERRNO(setpgid(NO_PID, 0), ESRCH);
	EXPECT_ERRNO(getpgid(-1), ESRCH);
	EXPECT_ERRNO(getsid(-1), ESRCH);
}

TEST(pgrp, fork_inherits_group_and_session)
{
	int p[2];
	h_pipe(p);
	pid_t pid = child_waiting(p[0]);
	EXPECT_EQ(getpgid(pid), getpgrp());
	EXPECT_EQ(getsid(pid), getsid(0));
	h_post(p[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static void become_leader(void *arg)
{
	(void)arg;
	pid_t me = getpid();
	EXPECT_EQ(setpgid(0, 0), 0);
	EXPECT_EQ(getpgrp(), me);
	EXPECT_EQ(getpgid(0), me);
	/* Again, and with explicit ids: allowed, nothing changes. */
	EXPECT_EQ(setpgid(me, me), 0);
	EXPECT_EQ(setpgid(0, me), 0);
	EXPECT_EQ(getpgrp(), me);
	/* A child starts in our new group; it can go back to it after
	 * making its own. */
	int p[2];
	h_pipe(p);
	pid_t c = child_waiting(p[0]);
	EXPECT_EQ(getpgid(c), me);
	EXPECT_EQ(setpgid(c, c), 0);
	EXPECT_EQ(getpgid(c), c);
	EXPECT_EQ(setpgid(c, me), 0);
	EXPECT_EQ(getpgid(c), me);
	h_post(p[1]);
	EXPECT_EQ(h_wait_exit(c), 0);
}

TEST(pgrp, setpgid_self_and_child)
{
	EXPECT_CHILD_OK(become_leader, NULL);
}

TEST(pgrp, setpgid_einval_negative)
{
	EXPECT_ERRNO(setpgid(0, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_setpgid, 0, -5), EINVAL);
}

static void setpgid_errors(void *arg)
{
	(void)arg;
	EXPECT_EQ(setpgid(0, 0), 0);
	pid_t me = getpid();
	/* Our parent is neither us nor our child. */
	EXPECT_ERRNO(setpgid(getppid(), me), ESRCH);
	/* A group that does not exist in our session. */
	int p[2];
	h_pipe(p);
	pid_t c = child_waiting(p[0]);
	EXPECT_ERRNO(setpgid(c, NO_PID), EPERM);
	/* A grandchild is not our child. */
	int q[2], r[2];
	h_pipe(q);
	h_pipe(r);
	pid_t mid = h_fork();
	if (mid == 0) {
		pid_t g = child_waiting(q[0]);
		long gl = g;
		EXPECT_EQ(write(r[1], &gl, sizeof gl), sizeof gl);
		EXPECT_EQ(h_wait_exit(g), 0);
		h_exit(0);
	}
	long grand = 0;
	EXPECT_EQ(read(r[0], &grand, sizeof grand), sizeof grand);
	EXPECT_ERRNO(setpgid(grand, grand), ESRCH);
	h_post(q[1]);
	EXPECT_EQ(h_wait_exit(mid), 0);
	h_post(p[1]);
	EXPECT_EQ(h_wait_exit(c), 0);
}

TEST(pgrp, setpgid_esrch_eperm)
{
	EXPECT_CHILD_OK(setpgid_errors, NULL);
}

TEST(pgrp, setpgid_eacces_after_exec)
{
	/* The child execs "pause"; its close-on-exec pipe end tells us when. */
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		char *argv[] = {"x", "pause", NULL};
		char *envp[] = {NULL};
		execve(h_child_helper(), argv, envp);
		h_exit(127);
	}
	close(p[1]);
	char c;
	EXPECT_EQ(read(p[0], &c, 1), 0);
	EXPECT_ERRNO(setpgid(pid, pid), EACCES);
	EXPECT_ERRNO(setpgid(pid, 0), EACCES);
	EXPECT_EQ(kill(pid, SIGKILL), 0);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
}

static void session_leader(void *arg)
{
	(void)arg;
	pid_t me = getpid();
	pid_t parent_sid = getsid(0);
	EXPECT_EQ(setsid(), me);
	EXPECT_EQ(getsid(0), me);
	EXPECT_EQ(getpgrp(), me);
	EXPECT_NE(getsid(0), parent_sid);
	/* A session leader is a group leader: a second setsid fails, and it
	 * cannot move to another group. */
	EXPECT_ERRNO(setsid(), EPERM);
	EXPECT_ERRNO(setpgid(0, 0), EPERM);
	/* Our parent is in another session: we can read its ids. */
	EXPECT_EQ(getsid(getppid()), parent_sid);
	/* A child of a session leader is in the session but cannot join the
	 * parent's old group (another session). */
	int p[2];
	h_pipe(p);
	pid_t c = child_waiting(p[0]);
	EXPECT_EQ(getsid(c), me);
	EXPECT_EQ(getpgid(c), me);
	h_post(p[1]);
	EXPECT_EQ(h_wait_exit(c), 0);
}

TEST(pgrp, setsid_new_session)
{
	EXPECT_CHILD_OK(session_leader, NULL);
}

static void group_leader_setsid(void *arg)
{
	(void)arg;
	EXPECT_EQ(setpgid(0, 0), 0);
	EXPECT_ERRNO(setsid(), EPERM);
	/* A child (not a group leader) can. */
	pid_t c = h_fork();
	if (c == 0) {
		EXPECT_EQ(setsid(), getpid());
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(c), 0);
}

TEST(pgrp, setsid_eperm_for_group_leader)
{
	EXPECT_CHILD_OK(group_leader_setsid, NULL);
}

static void pid_is_other_group(void *arg)
{
	(void)arg;
	EXPECT_EQ(setpgid(0, 0), 0);
	pid_t s = getpid();
	pid_t p = h_fork();
	if (p == 0) {
		pid_t me = getpid();
		EXPECT_EQ(setpgid(0, 0), 0);
		int go[2];
		h_pipe(go);
		pid_t c = child_waiting(go[0]);
		/* Back to the outer group: no longer a group leader, but the
		 * group named by our pid lives on in the child. */
		EXPECT_EQ(setpgid(0, s), 0);
		EXPECT_EQ(getpgrp(), s);
		EXPECT_EQ(getpgid(c), me);
		EXPECT_ERRNO(setsid(), EPERM);
		h_post(go[1]);
		EXPECT_EQ(h_wait_exit(c), 0);
		EXPECT_EQ(setsid(), me);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(p), 0);
}

TEST(pgrp, setsid_eperm_when_pid_names_a_group)
{
	EXPECT_CHILD_OK(pid_is_other_group, NULL);
}

TEST(pgrp, setpgid_child_in_other_session_eperm)
{
	int go[2], ready[2];
	h_pipe(go);
	h_pipe(ready);
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(setsid(), getpid());
		h_post(ready[1]);
		char c;
		EXPECT_EQ(read(go[0], &c, 1), 1);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	EXPECT_EQ(getsid(pid), pid);
	/* It is a session leader in another session. */
	EXPECT_ERRNO(setpgid(pid, pid), EPERM);
	EXPECT_ERRNO(setpgid(pid, getpgrp()), EPERM);
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(pgrp, zombie_keeps_group)
{
	/* A group stays while a zombie member holds it. */
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(setpgid(0, 0), 0);
		h_exit(0);
	}
	siginfo_t si;
	EXPECT_EQ(syscall(SYS_waitid, P_PID, pid, &si, WEXITED | WNOWAIT, NULL),
		  0);
	EXPECT_EQ(kill(-pid, 0), 0);
	EXPECT_EQ(getpgid(pid), pid);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_ERRNO(kill(-pid, 0), ESRCH);
	EXPECT_ERRNO(getpgid(pid), ESRCH);
}
