/*
 * Suite futex_waitv: futex_waitv(2) as Linux 6.1's kernel/futex/syscalls.c
 * and waitwake.c (futex_wait_multiple). Checks in order: flags (EINVAL), the
 * count 1..128 and a non-null vector (EINVAL), the clock of a timeout
 * (CLOCK_MONOTONIC or CLOCK_REALTIME, else EINVAL) and its value (EINVAL,
 * EFAULT), each entry (EFAULT; FUTEX_32 required, no other bit than it and
 * FUTEX_PRIVATE_FLAG, reserved 0: EINVAL), the words' keys (unaligned
 * EINVAL). A word that differs is EAGAIN; the absolute timeout ends in
 * ETIMEDOUT; a signal in EINTR; a FUTEX_WAKE on any word wakes the waiter,
 * which returns that word's index; private and shared words are keyed as
 * FUTEX_WAIT keys them.
 */
#include "child.h"
#include "harness.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

#define W_FUTEX_32 2
#define W_PRIVATE 128
#define W_WAKE 1

struct waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

static long waitv(struct waitv *v, unsigned n, unsigned flags,
		  struct timespec *to, int clock)
{
	return syscall(SYS_futex_waitv, v, n, flags, to, clock);
}

static struct timespec in_ms(int clock, long ms)
{
	struct timespec t;
	clock_gettime(clock, &t);
	t.tv_nsec += ms * 1000000L;
	t.tv_sec += t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	return t;
}

static uint32_t words[4] __attribute__((aligned(8)));

TEST(futex_waitv, argument_checks)
{
	struct waitv v[129];
	memset(v, 0, sizeof v);
	for (int i = 0; i < 129; i++) {
		v[i].uaddr = (uintptr_t)&words[0];
		v[i].flags = W_FUTEX_32 | W_PRIVATE;
		v[i].val = 1; /* words[0] is 0: EAGAIN once past the checks */
	}
	struct timespec to = in_ms(CLOCK_MONOTONIC, 1000);
	EXPECT_ERRNO(waitv(v, 1, 1, &to, CLOCK_MONOTONIC), EINVAL);
	EXPECT_ERRNO(waitv(v, 0, 0, &to, CLOCK_MONOTONIC), EINVAL);
	EXPECT_ERRNO(waitv(v, 129, 0, &to, CLOCK_MONOTONIC), EINVAL);
	EXPECT_ERRNO(waitv(NULL, 1, 0, &to, CLOCK_MONOTONIC), EINVAL);
	EXPECT_ERRNO(waitv(v, 1, 0, &to, CLOCK_TAI), EINVAL);
	EXPECT_ERRNO(waitv(v, 1, 0, &to, CLOCK_BOOTTIME), EINVAL);
	/* The clock is not looked at without a timeout. */
	EXPECT_ERRNO(waitv(v, 1, 0, NULL, CLOCK_TAI), EAGAIN);
	EXPECT_ERRNO(waitv(v, 1, 0, H_BAD_PTR, CLOCK_MONOTONIC), EFAULT);
	struct timespec bad = { 0, 1000000000L };
	EXPECT_ERRNO(waitv(v, 1, 0, &bad, CLOCK_MONOTONIC), EINVAL);
	bad = (struct timespec){ -1, 0 };
	EXPECT_ERRNO(waitv(v, 1, 0, &bad, CLOCK_REALTIME), EINVAL);
	EXPECT_ERRNO(waitv(v, 128, 0, &to, CLOCK_MONOTONIC), EAGAIN);
	/* Entries. */
	v[1].flags = W_PRIVATE;
	EXPECT_ERRNO(waitv(v, 2, 0, &to, CLOCK_MONOTONIC), EINVAL);
	v[1].flags = W_FUTEX_32 | 1;
	EXPECT_ERRNO(waitv(v, 2, 0, &to, CLOCK_MONOTONIC), EINVAL);
	v[1].flags = W_FUTEX_32;
	v[1].reserved = 1;
	EXPECT_ERRNO(waitv(v, 2, 0, &to, CLOCK_MONOTONIC), EINVAL);
	v[1].reserved = 0;
	v[1].uaddr = (uintptr_t)&words[0] + 1;
	EXPECT_ERRNO(waitv(v, 2, 0, &to, CLOCK_MONOTONIC), EINVAL);
	v[1].uaddr = 0;
	EXPECT_ERRNO(waitv(v, 2, 0, &to, CLOCK_MONOTONIC), EFAULT);
	/* A private key needs no page: the words are read in order, and the
	 * first one already differs. */
	v[1].flags = W_FUTEX_32 | W_PRIVATE;
	EXPECT_ERRNO(waitv(v, 2, 0, &to, CLOCK_MONOTONIC), EAGAIN);
	EXPECT_ERRNO(waitv(&v[1], 2, 0, &to, CLOCK_MONOTONIC), EFAULT);
	v[1].uaddr = (uintptr_t)&words[0];
	/* An entry past the end of the mapping. */
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(page != MAP_FAILED);
	EXPECT_OK(munmap(page + 4096, 4096));
	struct waitv *edge = (struct waitv *)(page + 4096 - sizeof *edge);
	*edge = v[0];
	EXPECT_ERRNO(waitv(edge, 1, 0, &to, CLOCK_MONOTONIC), EAGAIN);
	EXPECT_ERRNO(waitv(edge, 2, 0, &to, CLOCK_MONOTONIC), EFAULT);
	/* The value is compared as 32 bits: 1 << 32 matches 0. */
	v[0].val = 1ULL << 32;
	struct timespec soon = in_ms(CLOCK_MONOTONIC, 20);
	EXPECT_ERRNO(waitv(v, 1, 0, &soon, CLOCK_MONOTONIC), ETIMEDOUT);
	munmap(page, 4096);
}

TEST(futex_waitv, absolute_timeouts)
{
	struct waitv v[2] = {
		{ 0, (uintptr_t)&words[0], W_FUTEX_32 | W_PRIVATE, 0 },
		{ 0, (uintptr_t)&words[1], W_FUTEX_32, 0 },
	};
	words[0] = words[1] = 0;
	struct timespec to = in_ms(CLOCK_MONOTONIC, 30);
	EXPECT_ERRNO(waitv(v, 2, 0, &to, CLOCK_MONOTONIC), ETIMEDOUT);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	EXPECT_TRUE(now.tv_sec > to.tv_sec ||
		    (now.tv_sec == to.tv_sec && now.tv_nsec >= to.tv_nsec));
	to = in_ms(CLOCK_REALTIME, 30);
	EXPECT_ERRNO(waitv(v, 2, 0, &to, CLOCK_REALTIME), ETIMEDOUT);
	/* A deadline in the past: at once. */
	to = (struct timespec){ 0, 0 };
	EXPECT_ERRNO(waitv(v, 2, 0, &to, CLOCK_MONOTONIC), ETIMEDOUT);
	/* Mismatch on a later word: EAGAIN, nothing left queued. */
	v[1].val = 5;
	EXPECT_ERRNO(waitv(v, 2, 0, &to, CLOCK_MONOTONIC), EAGAIN);
	EXPECT_EQ(syscall(SYS_futex, &words[0], W_WAKE | W_PRIVATE, 1), 0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void interrupted(void *arg)
{
	(void)arg;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	EXPECT_OK(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	EXPECT_OK(setitimer(ITIMER_REAL, &it, NULL));
	struct waitv v = { 0, (uintptr_t)&words[2], W_FUTEX_32 | W_PRIVATE, 0 };
	words[2] = 0;
	EXPECT_ERRNO(waitv(&v, 1, 0, NULL, CLOCK_MONOTONIC), EINTR);
}

TEST(futex_waitv, signal_interrupts)
{
	EXPECT_CHILD_OK(interrupted, NULL);
}

/* Shared words in a MAP_SHARED page, waited on by a child. */
TEST(futex_waitv, wake_returns_index_shared)
{
	uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(shared != MAP_FAILED);
	for (int which = 0; which < 3; which++) {
		pid_t child = h_fork();
		if (child == 0) {
			struct waitv v[3];
			for (int i = 0; i < 3; i++)
				v[i] = (struct waitv){ 0, (uintptr_t)&shared[i * 16],
						       W_FUTEX_32, 0 };
			struct timespec to = in_ms(CLOCK_MONOTONIC, 10000);
			long r = waitv(v, 3, 0, &to, CLOCK_MONOTONIC);
			h_exit(r < 0 ? 100 + errno : (int)r);
		}
		/* Wake until the child was there to be woken. */
		while (syscall(SYS_futex, &shared[which * 16], W_WAKE, 1) == 0)
			sched_yield();
		EXPECT_EQ(h_wait_exit(child), which);
	}
	munmap(shared, 4096);
}

static volatile long thread_result;

static int private_waiter(void *arg)
{
	(void)arg;
	struct waitv v[128];
	for (int i = 0; i < 128; i++)
		v[i] = (struct waitv){ 7, (uintptr_t)&words[i % 2 ? 3 : 2],
				       W_FUTEX_32 | W_PRIVATE, 0 };
	thread_result = waitv(v, 128, 0, NULL, CLOCK_MONOTONIC);
	return 0;
}

/* 128 entries on two private words, in a thread of this process: a wake
 * of the word at odd indexes answers an odd index. */
TEST(futex_waitv, wake_returns_index_private)
{
	words[2] = words[3] = 7;
	static int ctid;
	ctid = 1;
	thread_result = -2;
	long tid = h_clone_raw(CLONE_VM | CLONE_FS | CLONE_FILES |
				       CLONE_SIGHAND | CLONE_THREAD |
				       CLONE_SYSVSEM | CLONE_CHILD_CLEARTID,
			       h_stack(), NULL, &ctid, 0, private_waiter, NULL);
	EXPECT_GT(tid, 0);
	/* A shared wake does not meet private waiters. */
	while (syscall(SYS_futex, &words[3], W_WAKE | W_PRIVATE, 1) == 0) {
		EXPECT_EQ(syscall(SYS_futex, &words[3], W_WAKE, 1), 0);
		sched_yield();
	}
	h_join(&ctid);
	EXPECT_EQ(thread_result % 2, 1);
	EXPECT_GE(thread_result, 1);
	EXPECT_LE(thread_result, 127);
}
