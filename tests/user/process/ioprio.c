/*
 * Suite ioprio: ioprio_set(2) and ioprio_get(2).
 *
 * Guards Linux 6.1's block/ioprio.c: a value is class << 13 | level; RT and
 * BE take levels 0..7, NONE no level, unknown classes are EINVAL, RT needs
 * CAP_SYS_ADMIN or CAP_SYS_NICE (EPERM), and the value is checked before the
 * target; `which` outside 1..3 is EINVAL, no such target ESRCH; setting
 * another user's thread needs CAP_SYS_NICE; a thread that never set one
 * reports class NONE, level 0, whatever its nice value and policy; children
 * inherit the value; the process-group answer is the best (lowest) of its
 * members.
 */
#include "harness.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/resource.h>

#define WHO_PROCESS 1
#define WHO_PGRP 2
#define WHO_USER 3
#define CLASS_RT 1
#define CLASS_BE 2
#define CLASS_IDLE 3
#define VALUE(class, data) (((class) << 13) | (data))

static long get(int which, int who)
{
	return syscall(SYS_ioprio_get, which, who);
}

static long set(int which, int who, int ioprio)
{
	return syscall(SYS_ioprio_set, which, who, ioprio);
}

static void defaults_follow_nice(void *arg)
{
	(void)arg;
	EXPECT_EQ(get(WHO_PROCESS, 0), 0);
	EXPECT_EQ(setpriority(PRIO_PROCESS, 0, 10), 0);
	EXPECT_EQ(get(WHO_PROCESS, 0), 0);
	struct sched_param param = {0};
	EXPECT_EQ(syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &param), 0);
	EXPECT_EQ(get(WHO_PROCESS, 0), 0);
	/* Setting class NONE goes back to the derived value. */
	if (set(WHO_PROCESS, 0, VALUE(CLASS_BE, 1)) != 0)
		h_exit(15);
	if (get(WHO_PROCESS, 0) != VALUE(CLASS_BE, 1))
		h_exit(16);
	if (set(WHO_PROCESS, 0, 0) != 0)
		h_exit(17);
	EXPECT_EQ(get(WHO_PROCESS, 0), 0);
}

TEST(ioprio, default_is_none_whatever_nice_and_policy)
{
	EXPECT_CHILD_OK(defaults_follow_nice, NULL);
}

static void inherit(void *arg)
{
	(void)arg;
	/* A group of our own: the caller's may hold kernel threads (init's). */
	EXPECT_EQ(setpgid(0, 0), 0);
	if (set(WHO_PROCESS, 0, VALUE(CLASS_IDLE, 0)) != 0)
		h_exit(20);
	pid_t pid = fork();
	if (pid == 0)
		_exit(get(WHO_PROCESS, 0) == VALUE(CLASS_IDLE, 0) ? 0 : 21);
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		h_exit(22);
	if (WEXITSTATUS(status) != 0)
		h_exit(WEXITSTATUS(status));
	/* Another process, by pid. */
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (set(WHO_PROCESS, pid, VALUE(CLASS_BE, 7)) != 0)
		h_exit(23);
	if (get(WHO_PROCESS, pid) != VALUE(CLASS_BE, 7))
		h_exit(24);
	/* The group's best: BE 7 against IDLE 0 is BE 7 (the lower value). */
	EXPECT_EQ(get(WHO_PGRP, 0), VALUE(CLASS_BE, 7));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

TEST(ioprio, inherited_and_set_by_pid)
{
	EXPECT_CHILD_OK(inherit, NULL);
}

TEST(ioprio, errors)
{
	EXPECT_ERRNO(get(0, 0), EINVAL);
	EXPECT_ERRNO(get(4, 0), EINVAL);
	EXPECT_ERRNO(set(0, 0, VALUE(CLASS_BE, 4)), EINVAL);
	EXPECT_ERRNO(set(WHO_PROCESS, 0, VALUE(CLASS_BE, 8)), EINVAL);
	EXPECT_ERRNO(set(WHO_PROCESS, 0, VALUE(CLASS_RT, 8)), EINVAL);
	EXPECT_ERRNO(set(WHO_PROCESS, 0, VALUE(4, 0)), EINVAL);
	EXPECT_ERRNO(set(WHO_PROCESS, 0, VALUE(0, 1)), EINVAL);
	EXPECT_ERRNO(set(WHO_PROCESS, 0, -1), EINVAL);
	/* The value before the target. */
	EXPECT_ERRNO(set(WHO_PROCESS, 999999, VALUE(CLASS_BE, 8)), EINVAL);
	EXPECT_ERRNO(set(WHO_PROCESS, 999999, VALUE(CLASS_BE, 1)), ESRCH);
	EXPECT_ERRNO(get(WHO_PROCESS, 999999), ESRCH);
	EXPECT_ERRNO(get(WHO_PGRP, 999999), ESRCH);
	EXPECT_ERRNO(get(WHO_USER, 4242), ESRCH);
}

static void as_nobody(void *arg)
{
	pid_t root_child = *(pid_t *)arg;
	if (setgid(65534) != 0 || setuid(65534) != 0)
		h_exit(30);
	if (set(WHO_PROCESS, 0, VALUE(CLASS_RT, 0)) != -1 || errno != EPERM)
		h_exit(31);
	if (set(WHO_PROCESS, 0, VALUE(CLASS_IDLE, 0)) != 0)
		h_exit(32);
	if (set(WHO_PROCESS, root_child, VALUE(CLASS_BE, 2)) != -1 || errno != EPERM)
		h_exit(33);
	/* Reading another user's is allowed. */
	if (get(WHO_PROCESS, root_child) < 0)
		h_exit(34);
	if (get(WHO_USER, 65534) != VALUE(CLASS_IDLE, 0))
		h_exit(35);
}

TEST(ioprio, permissions)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	EXPECT_CHILD_OK(as_nobody, &pid);
	EXPECT_EQ(set(WHO_PROCESS, 0, VALUE(CLASS_RT, 3)), 0);
	EXPECT_EQ(get(WHO_PROCESS, 0), VALUE(CLASS_RT, 3));
	EXPECT_EQ(set(WHO_PROCESS, 0, 0), 0);
	kill(pid, SIGKILL);
	h_wait_signaled(pid, NULL);
}
