/*
 * Suite timer_life: what happens to timers across fork, and their ids.
 *
 * Guards Linux's kernel/fork.c (copy_signal starts the child with no
 * interval timers and no POSIX timers: "a child created by fork() does not
 * inherit its parent's interval timers", setitimer(2), timer_create(2)) and
 * kernel/time/posix-timers.c (posix_timer_add hands out ids per process in
 * increasing order and does not reuse a deleted id at once), plus
 * timerfd_gettime on a periodic timerfd that expired unread (it is moved
 * forward: the value stays within one interval) and sched_rr_get_interval
 * for the real-time policies (SCHED_RR 100 ms, SCHED_FIFO 0).  Man pages
 * fork(2), timer_create(2), timerfd_create(2), sched_rr_get_interval(2).
 */
#include "harness.h"

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

struct k_sigevent {
	uint64_t value;
	int signo;
	int notify;
	int pad[12];
};

#define K_SIGEV_NONE 1

static int fork_and_wait(int (*fn)(long), long arg)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static int child_itimers(long unused)
{
	(void)unused;
	struct itimerval it;
	for (int which = 0; which < 3; which++) {
		if (getitimer(which, &it) != 0)
			return 10 + which;
		if (it.it_value.tv_sec || it.it_value.tv_usec || it.it_interval.tv_sec ||
		    it.it_interval.tv_usec)
			return 20 + which;
	}
	return 0;
}

TEST(timer_life, fork_does_not_inherit_itimers)
{
	struct itimerval on = {{100, 0}, {100, 0}}, off = {{0, 0}, {0, 0}};
	EXPECT_OK(setitimer(ITIMER_REAL, &on, NULL));
	EXPECT_OK(setitimer(ITIMER_VIRTUAL, &on, NULL));
	EXPECT_OK(setitimer(ITIMER_PROF, &on, NULL));
	int st = fork_and_wait(child_itimers, 0);
	struct itimerval cur;
	EXPECT_OK(getitimer(ITIMER_REAL, &cur));
	setitimer(ITIMER_REAL, &off, NULL);
	setitimer(ITIMER_VIRTUAL, &off, NULL);
	setitimer(ITIMER_PROF, &off, NULL);
	EXPECT_EQ(st, 0);
	/* The parent's timer runs on. */
	EXPECT_GT(cur.it_value.tv_sec, 90);
}

static int child_timer_gone(long id)
{
	struct itimerspec cur;
	if (syscall(SYS_timer_gettime, (int)id, &cur) != -1 || errno != EINVAL)
		return 1;
	/* The child's own ids start from scratch. */
	struct k_sigevent sev = {.notify = K_SIGEV_NONE};
	int mine = -1;
	if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &mine) != 0)
		return 2;
	return mine == 0 ? 0 : 3;
}

TEST(timer_life, fork_does_not_inherit_posix_timers)
{
	struct k_sigevent sev = {.notify = K_SIGEV_NONE};
	int id = -1;
	EXPECT_OK(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id));
	int st = fork_and_wait(child_timer_gone, id);
	EXPECT_OK(syscall(SYS_timer_delete, id));
	EXPECT_EQ(st, 0);
}

TEST(timer_life, ids_increase_and_are_not_reused_at_once)
{
	struct k_sigevent sev = {.notify = K_SIGEV_NONE};
	int a = -1, b = -1, c = -1;
	EXPECT_OK(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &a));
	EXPECT_OK(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &b));
	EXPECT_OK(syscall(SYS_timer_delete, a));
	EXPECT_OK(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &c));
	syscall(SYS_timer_delete, b);
	syscall(SYS_timer_delete, c);
	EXPECT_EQ(b, a + 1);
	EXPECT_EQ(c, b + 1);
}

TEST(timer_life, timerfd_gettime_moves_expired_periodic_timer)
{
	int fd = EXPECT_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	struct itimerspec its = {{0, 20000000}, {0, 20000000}}, cur;
	EXPECT_OK(timerfd_settime(fd, 0, &its, NULL));
	struct timespec nap = {0, 75000000};
	nanosleep(&nap, NULL);
	EXPECT_OK(timerfd_gettime(fd, &cur));
	uint64_t ticks = 0;
	EXPECT_EQ(read(fd, &ticks, sizeof ticks), 8);
	close(fd);
	/* Still armed, within one interval of the next expiry. */
	EXPECT_EQ(cur.it_value.tv_sec, 0);
	EXPECT_GT(cur.it_value.tv_nsec, 0);
	EXPECT_LE(cur.it_value.tv_nsec, 20000000);
	EXPECT_EQ(cur.it_interval.tv_nsec, 20000000);
	/* Every period that passed is counted. */
	EXPECT_GE(ticks, 3);
}

TEST(timer_life, rr_interval_of_realtime_policies)
{
	if (!h_is_init())
		return;
	struct sched_param p = {.sched_priority = 1};
	struct timespec ts;
	EXPECT_OK(syscall(SYS_sched_setscheduler, 0, SCHED_RR, &p));
	EXPECT_OK(syscall(SYS_sched_rr_get_interval, 0, &ts));
	EXPECT_EQ(ts.tv_sec, 0);
	EXPECT_EQ(ts.tv_nsec, 100000000);
	EXPECT_OK(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &p));
	EXPECT_OK(syscall(SYS_sched_rr_get_interval, 0, &ts));
	EXPECT_EQ(ts.tv_sec, 0);
	EXPECT_EQ(ts.tv_nsec, 0);
	p.sched_priority = 0;
	EXPECT_OK(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &p));
	EXPECT_ERRNO(syscall(SYS_sched_rr_get_interval, -1, &ts), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_rr_get_interval, 0, H_BAD_PTR), EFAULT);
}
