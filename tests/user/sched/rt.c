/*
 * Suite rtsched: the real-time scheduling classes on one CPU.
 *
 * Guards Linux 6.1's kernel/sched/rt.c as a program sees it: a SCHED_FIFO
 * thread that wakes runs at once ahead of a fair one and keeps the CPU
 * while it spins; a higher real-time priority preempts a lower one, an
 * equal or lower one waits; sched_yield moves a FIFO thread behind the
 * others of its level; SCHED_RR threads of one level take turns in 100 ms
 * slices while SCHED_FIFO ones do not; real-time throttling
 * (kernel.sched_rt_runtime_us = 950000 of sched_rt_period_us = 1000000)
 * leaves fair threads some CPU while a FIFO thread spins, and its sysctls
 * reject a runtime above the period; /proc/PID/stat reports rt_priority
 * and policy.  Each test pins itself (and so its children) to CPU 0 first,
 * so the order is deterministic however many CPUs the guest has.
 */
#include "harness.h"
#include "proc/proc.h"

#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* musl's sched_getscheduler is a stub (ENOSYS): ask the kernel. */
static long getscheduler(pid_t pid)
{
	return syscall(SYS_sched_getscheduler, pid);
}

struct shared {
	volatile long counter;
	volatile long counter2;
	volatile long seen;
	volatile long done;
	volatile int log[16];
	volatile int log_len;
};

static struct shared *map_shared(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		h_exit(90);
	memset(p, 0, 4096);
	return p;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void spin_ms(long ms)
{
	long end = now_ms() + ms;
	while (now_ms() < end)
		;
}

static int set_policy(pid_t pid, int policy, int priority)
{
	struct sched_param param = {.sched_priority = priority};
	return syscall(SYS_sched_setscheduler, pid, policy, &param);
}

static void log_event(struct shared *s, int event)
{
	s->log[s->log_len++] = event;
}

/* Pins the caller (and the children it forks later) to CPU 0: the classes'
 * order is a one-CPU matter. */
static void one_cpu(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	EXPECT_OK(sched_setaffinity(0, sizeof set, &set));
}

/* A child that waits for a byte on `fd`, then runs `fn`. */
static pid_t waiting_child(int fd, void (*fn)(struct shared *), struct shared *s)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		char byte;
		if (read(fd, &byte, 1) != 1)
			_exit(80);
		fn(s);
		_exit(0);
	}
	return pid;
}

static void spin_and_sample(struct shared *s)
{
	spin_ms(60);
	s->seen = s->counter;
	s->done = 1;
}

static void wake_and_count(struct shared *s, int fd)
{
	if (write(fd, "x", 1) != 1)
		h_exit(81);
	while (!s->done)
		s->counter++;
}

static void fifo_ahead_of_fair(void *arg)
{
	(void)arg;
	one_cpu();
	struct shared *s = map_shared();
	int fds[2];
	h_pipe(fds);
	pid_t pid = waiting_child(fds[0], spin_and_sample, s);
	/* Let it block in read, then make it SCHED_FIFO. */
	spin_ms(20);
	EXPECT_EQ(set_policy(pid, SCHED_FIFO, 10), 0);
	EXPECT_EQ(getscheduler(pid), SCHED_FIFO);
	wake_and_count(s, fds[1]);
	/* It ran to its end before this fair process counted once. */
	EXPECT_EQ(s->seen, 0);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(rtsched, fifo_runs_ahead_of_fair)
{
	EXPECT_CHILD_OK(fifo_ahead_of_fair, NULL);
}

static void higher_preempts(void *arg)
{
	(void)arg;
	one_cpu();
	struct shared *s = map_shared();
	int high[2], low[2];
	h_pipe(high);
	h_pipe(low);
	EXPECT_EQ(set_policy(0, SCHED_FIFO, 10), 0);
	/* Children inherit FIFO 10; move them while they wait. */
	pid_t higher = waiting_child(high[0], spin_and_sample, s);
	pid_t lower = waiting_child(low[0], spin_and_sample, s);
	EXPECT_EQ(set_policy(higher, SCHED_FIFO, 20), 0);
	EXPECT_EQ(set_policy(lower, SCHED_FIFO, 5), 0);
	/* The children have not run yet (we are FIFO 10 and never slept):
	 * they block in read only once we wait. */
	int status;
	EXPECT_EQ(waitpid(-1, &status, WNOHANG), 0);
	struct timespec pause_ts = {0, 20 * 1000 * 1000};
	nanosleep(&pause_ts, NULL);
	wake_and_count(s, high[1]);
	EXPECT_EQ(s->seen, 0);
	EXPECT_EQ(h_wait_exit(higher), 0);
	/* The lower one does not preempt us: we count a while first. */
	s->done = 0;
	s->counter = 0;
	if (write(low[1], "x", 1) != 1)
		h_exit(82);
	for (int i = 0; i < 1000; i++)
		s->counter++;
	long counted = s->counter;
	EXPECT_EQ(s->done, 0);
	EXPECT_EQ(h_wait_exit(lower), 0);
	EXPECT_EQ(s->seen, counted);
}

TEST(rtsched, higher_priority_preempts_lower_does_not)
{
	EXPECT_CHILD_OK(higher_preempts, NULL);
}

static void same_level_yield(void *arg)
{
	(void)arg;
	one_cpu();
	struct shared *s = map_shared();
	int fds[2];
	h_pipe(fds);
	EXPECT_EQ(set_policy(0, SCHED_FIFO, 10), 0);
	pid_t pid = h_fork();
	if (pid == 0) {
		char byte;
		if (read(fds[0], &byte, 1) != 1)
			_exit(80);
		log_event(s, 2);
		_exit(0);
	}
	struct timespec pause_ts = {0, 20 * 1000 * 1000};
	nanosleep(&pause_ts, NULL);
	/* Woken at our level: it waits behind us until we yield. */
	if (write(fds[1], "x", 1) != 1)
		h_exit(81);
	spin_ms(10);
	log_event(s, 1);
	EXPECT_EQ(sched_yield(), 0);
	log_event(s, 3);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(s->log_len, 3);
	EXPECT_EQ(s->log[0], 1);
	EXPECT_EQ(s->log[1], 2);
	EXPECT_EQ(s->log[2], 3);
}

TEST(rtsched, fifo_same_level_waits_for_yield)
{
	EXPECT_CHILD_OK(same_level_yield, NULL);
}

struct pair {
	int policy;
	int expect_turns;
};

static void take_turns(void *arg)
{
	one_cpu();
	struct pair *pair = arg;
	struct shared *s = map_shared();
	volatile long *counts = &s->counter; /* counts[0], counts[1] */
	volatile long *seen = (volatile long *)&s->log[0];
	int fds[2][2];
	h_pipe(fds[0]);
	h_pipe(fds[1]);
	EXPECT_EQ(set_policy(0, SCHED_FIFO, 30), 0);
	pid_t pids[2];
	for (int i = 0; i < 2; i++) {
		pids[i] = h_fork();
		if (pids[i] == 0) {
			char byte;
			if (set_policy(0, pair->policy, 10) != 0)
				_exit(79);
			if (read(fds[i][0], &byte, 1) != 1)
				_exit(80);
			/* Counting until the other has run (RR: after a
			 * 100 ms slice), at most 1.5 s of wall time (FIFO: the
			 * first alone; a loaded host's guest may lose ticks, so
			 * no fixed span is sure to hold a slice end). */
			long end = now_ms() + 1500;
			do
				counts[i]++;
			while (now_ms() < end && counts[1 - i] == 0);
			seen[i] = counts[1 - i];
			_exit(0);
		}
	}
	struct timespec pause_ts = {0, 30 * 1000 * 1000};
	nanosleep(&pause_ts, NULL);
	if (write(fds[0][1], "x", 1) != 1 || write(fds[1][1], "x", 1) != 1)
		h_exit(81);
	EXPECT_EQ(h_wait_exit(pids[0]), 0);
	EXPECT_EQ(h_wait_exit(pids[1]), 0);
	if (pair->expect_turns) {
		EXPECT_GT(seen[0], 0);
		EXPECT_GT(seen[1], 0);
	} else {
		/* One ran its 1.5 s alone, then the other. */
		EXPECT_EQ((seen[0] == 0) + (seen[1] == 0), 1);
	}
}

TEST(rtsched, rr_takes_turns_fifo_does_not)
{
	struct pair rr = {SCHED_RR, 1}, fifo = {SCHED_FIFO, 0};
	EXPECT_CHILD_OK(take_turns, &rr);
	EXPECT_CHILD_OK(take_turns, &fifo);
	/* RR's slice as sched_rr_get_interval reports it: 100 ms. */
	pid_t pid = h_fork();
	if (pid == 0) {
		struct timespec slice;
		if (set_policy(0, SCHED_RR, 1) != 0)
			_exit(1);
		if (sched_rr_get_interval(0, &slice) != 0)
			_exit(2);
		_exit(slice.tv_sec == 0 && slice.tv_nsec == 100000000 ? 0 : 3);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static void throttled(void *arg)
{
	(void)arg;
	one_cpu();
	struct shared *s = map_shared();
	int fds[2];
	h_pipe(fds);
	pid_t pid = h_fork();
	if (pid == 0) {
		char byte;
		if (read(fds[0], &byte, 1) != 1)
			_exit(80);
		/* With 100 ms of real-time runtime per 1 s period, a 1.5 s
		 * spin leaves the fair parent most of the time. */
		spin_ms(1500);
		s->seen = s->counter;
		s->done = 1;
		_exit(0);
	}
	spin_ms(20);
	EXPECT_EQ(set_policy(pid, SCHED_FIFO, 50), 0);
	wake_and_count(s, fds[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_GT(s->seen, 0);
}

TEST(rtsched, throttling_leaves_fair_threads_cpu)
{
	proc_ready();
	char buf[64] = {0};
	h_read_file("/proc/sys/kernel/sched_rt_runtime_us", buf, sizeof buf - 1);
	EXPECT_STREQ(buf, "950000\n");
	memset(buf, 0, sizeof buf);
	h_read_file("/proc/sys/kernel/sched_rt_period_us", buf, sizeof buf - 1);
	EXPECT_STREQ(buf, "1000000\n");
	int fd = open("/proc/sys/kernel/sched_rt_runtime_us", O_WRONLY);
	EXPECT_GE(fd, 0);
	EXPECT_ERRNO(write(fd, "2000000\n", 8), EINVAL);
	EXPECT_ERRNO(write(fd, "-2\n", 3), EINVAL);
	close(fd);
	memset(buf, 0, sizeof buf);
	h_read_file("/proc/sys/kernel/sched_rt_runtime_us", buf, sizeof buf - 1);
	EXPECT_STREQ(buf, "950000\n");
	h_set_timeout(30);
	fd = open("/proc/sys/kernel/sched_rt_runtime_us", O_WRONLY);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(write(fd, "100000\n", 7), 7);
	int result = h_run_child(throttled, NULL);
	EXPECT_EQ(write(fd, "950000\n", 7), 7);
	close(fd);
	EXPECT_EQ(result, 0);
}

/* Fields 40 (rt_priority) and 41 (policy) of /proc/PID/stat. */
static void stat_fields(pid_t pid, long *rt_priority, long *policy)
{
	char path[64], buf[1024] = {0};
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	h_read_file(path, buf, sizeof buf - 1);
	char *p = strrchr(buf, ')');
	int field = 2;
	*rt_priority = *policy = -1;
	while (p && *p) {
		if (*p == ' ') {
			field++;
			if (field == 40)
				*rt_priority = strtol(p + 1, NULL, 10);
			if (field == 41)
				*policy = strtol(p + 1, NULL, 10);
		}
		p++;
	}
}

static void proc_stat(void *arg)
{
	(void)arg;
	long rt_priority, policy;
	EXPECT_EQ(set_policy(0, SCHED_RR, 42), 0);
	stat_fields(getpid(), &rt_priority, &policy);
	EXPECT_EQ(rt_priority, 42);
	EXPECT_EQ(policy, SCHED_RR);
	EXPECT_EQ(set_policy(0, SCHED_OTHER, 0), 0);
	stat_fields(getpid(), &rt_priority, &policy);
	EXPECT_EQ(rt_priority, 0);
	EXPECT_EQ(policy, SCHED_OTHER);
}

TEST(rtsched, proc_stat_reports_policy)
{
	proc_ready();
	EXPECT_CHILD_OK(proc_stat, NULL);
}
