/*
 * Suite mempressure, stage 5: tasks and futex waiters.
 *
 * Threads count against RLIMIT_NPROC of their user, the process itself included, so a user
 * limited to N tasks gets N - 1 threads and then EAGAIN (kernel/fork.c copy_process).  Root is
 * not held by RLIMIT_NPROC but by kernel.threads-max (RAM / 128 KiB): clone fails with EAGAIN
 * there, never with a crash.  Thousands of threads, and hundreds of processes on a shared
 * mapping, wait on one futex: requeueing counts every one of them as waiting, and a single
 * FUTEX_WAKE wakes them all (kernel/futex).
 */
#include "stage.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>

/* Room for every thread of the root stage: kernel.threads-max is RAM / 128 KiB on Linux;
 * twice that for a kernel that allows more. */
#define THREAD_STACK (16 * 1024UL)
#define NPROC_LIMIT 200
#define FUTEX_THREADS 2000
#define FUTEX_PROCESSES 300

/* What the waiting threads share. */
struct crowd {
	volatile int word;
	volatile int released;
	long count;
	char *stacks;
	volatile int *ctids;
};

static int waiter(void *arg)
{
	struct crowd *crowd = arg;
	while (!crowd->released)
		mp_futex_wait(&crowd->word, 0, 0);
	return 0;
}

/* Starts threads until clone fails or `most` run; returns -errno of the failure (0 if none). */
static long start_crowd(struct crowd *crowd, long most)
{
	crowd->stacks = mmap(NULL, most * THREAD_STACK, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	EXPECT_TRUE(crowd->stacks != MAP_FAILED);
	crowd->ctids = mmap(NULL, most * sizeof(int), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(crowd->ctids != MAP_FAILED);
	for (crowd->count = 0; crowd->count < most; crowd->count++) {
		long tid = mp_thread(crowd->stacks + crowd->count * THREAD_STACK, THREAD_STACK,
				     &crowd->ctids[crowd->count], waiter, crowd);
		if (tid < 0)
			return tid;
	}
	return 0;
}

/* Requeues the waiters of crowd->word to a second word until all `count` wait there, wakes
 * them with one FUTEX_WAKE, and joins them. */
static void release_crowd(struct crowd *crowd)
{
	static volatile int parked;
	long waiting = 0;
	while (waiting < crowd->count) {
		long moved = mp_futex_requeue_all(&crowd->word, 0, &parked, 0);
		EXPECT_GE(moved, 0);
		waiting += moved;
		if (moved == 0)
			sched_yield();
	}
	EXPECT_EQ(waiting, crowd->count);
	crowd->released = 1;
	EXPECT_EQ(mp_futex_wake(&parked, 0x7fffffff, 0), crowd->count);
	for (long i = 0; i < crowd->count; i++)
		h_wait_zero(&crowd->ctids[i]);
}

static void nproc_stage(void *arg)
{
	(void)arg;
	struct rlimit limit = {NPROC_LIMIT, NPROC_LIMIT};
	EXPECT_OK(setrlimit(RLIMIT_NPROC, &limit));
	mp_become_nobody();
	static struct crowd crowd;
	EXPECT_EQ(start_crowd(&crowd, NPROC_LIMIT + 10), -EAGAIN);
	/* The process counts as one of its user's tasks. */
	EXPECT_EQ(crowd.count, NPROC_LIMIT - 1);
	EXPECT_ERRNO(fork(), EAGAIN);
	release_crowd(&crowd);
	pid_t pid = h_fork();
	if (pid == 0)
		h_exit(3);
	EXPECT_EQ(h_wait_exit(pid), 3);
}

TEST_ALONE(mempressure, threads_until_eagain_at_rlimit_nproc)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(nproc_stage, NULL);
}

static void threads_max_stage(void *arg)
{
	(void)arg;
	long most = 2 * (long)(mp_ram() / (128 * 1024));
	static struct crowd crowd;
	EXPECT_EQ(start_crowd(&crowd, most), -EAGAIN);
	/* kernel.threads-max is RAM / 128 KiB (Linux counts the RAM before the boot's own
	 * memory is freed: a few percent less). */
	EXPECT_GE(crowd.count, (long)(mp_ram() / (128 * 1024)) * 9 / 10);
	EXPECT_ERRNO(fork(), EAGAIN);
	release_crowd(&crowd);
	mp_expect_fork_exec();
}

TEST_ALONE(mempressure, threads_until_eagain_at_threads_max)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(threads_max_stage, NULL);
}

static void futex_threads_stage(void *arg)
{
	(void)arg;
	static struct crowd crowd;
	EXPECT_EQ(start_crowd(&crowd, FUTEX_THREADS), 0);
	release_crowd(&crowd);
}

TEST_ALONE(mempressure, thousands_of_futex_waiters_all_woken)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(futex_threads_stage, NULL);
}

static void futex_processes_stage(void *arg)
{
	(void)arg;
	volatile int *words = mmap(NULL, MP_PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(words != MAP_FAILED);
	volatile int *word = &words[0], *parked = &words[1], *released = &words[2];
	for (int i = 0; i < FUTEX_PROCESSES; i++) {
		pid_t pid = h_fork();
		if (pid == 0) {
			while (!*released)
				mp_futex_wait(word, 0, 1);
			h_exit(0);
		}
	}
	long waiting = 0;
	while (waiting < FUTEX_PROCESSES) {
		long moved = mp_futex_requeue_all(word, 0, parked, 1);
		EXPECT_GE(moved, 0);
		waiting += moved;
		if (moved == 0)
			sched_yield();
	}
	*released = 1;
	EXPECT_EQ(mp_futex_wake(parked, 0x7fffffff, 1), FUTEX_PROCESSES);
	for (int i = 0; i < FUTEX_PROCESSES; i++) {
		int status;
		pid_t pid;
		while ((pid = wait(&status)) < 0 && errno == EINTR)
			;
		EXPECT_GT(pid, 0);
		EXPECT_EQ(status, 0);
	}
}

TEST_ALONE(mempressure, hundreds_of_processes_wait_on_a_shared_futex)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(futex_processes_stage, NULL);
}
