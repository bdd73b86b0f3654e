/*
 * Suite mempressure, stage 6: event and signal limits.
 *
 * - epoll: the watches of a user are limited to fs.epoll.max_user_watches (4% of RAM divided by
 *   the cost of an item, about 190 bytes; fs/eventpoll.c ep_insert), root included: the next
 *   EPOLL_CTL_ADD, into any epoll instance of the user, gets ENOSPC.  Deleting an item makes
 *   room for one; closing the instance frees all of its watches.  All items stay usable.
 * - Queued signals: RT signals sent with sigqueue beyond RLIMIT_SIGPENDING fail with EAGAIN
 *   (kernel/signal.c __send_signal); kill() of a blocked RT signal still succeeds (SI_USER,
 *   the information is lost).  They are received lowest number first, in order per signal.
 * - POSIX timers: each preallocates a queued signal that counts against RLIMIT_SIGPENDING
 *   (kernel/time/posix-timers.c alloc_posix_timer), so timer_create fails with EAGAIN at the
 *   limit, and then sigqueue does too.  Every timer still fires, with its own signal.
 * The signal stages run as nobody so that only their own signals count.
 */
#include "stage.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#define SIGPENDING_LIMIT 1000
#define TIMER_LIMIT 500
#define RT_SIGNALS 8

static void epoll_stage(void *arg)
{
	(void)arg;
	mp_raise_nofile();
	int event = EXPECT_OK(eventfd(0, 0));
	int epoll = EXPECT_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN};
	long items = 0;
	int error = 0, fd;
	for (;;) {
		fd = dup(event);
		if (fd < 0)
			FAIL("dup after %ld items: %s", items, h_errname(errno));
		ev.data.fd = fd;
		if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0) {
			error = errno;
			break;
		}
		items++;
	}
	EXPECT_EQ(error, ENOSPC);
	/* 4% of RAM at 128 to 256 bytes an item. */
	EXPECT_GE(items, (long)(mp_ram() / 25 / 256));
	EXPECT_LE(items, (long)(mp_ram() / 25 / 128));
	/* The limit is the user's, whatever the instance. */
	int other = EXPECT_OK(epoll_create1(0));
	EXPECT_ERRNO(epoll_ctl(other, EPOLL_CTL_ADD, fd, &ev), ENOSPC);
	/* Deleting one makes room for one. */
	EXPECT_OK(epoll_ctl(epoll, EPOLL_CTL_DEL, fd - 1, NULL));
	EXPECT_OK(epoll_ctl(other, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_ERRNO(epoll_ctl(epoll, EPOLL_CTL_ADD, fd - 1, &ev), ENOSPC);

	/* Every item reports the eventfd ready. */
	uint64_t one = 1;
	EXPECT_EQ(write(event, &one, sizeof one), (long)sizeof one);
	static struct epoll_event ready[1024];
	EXPECT_EQ(epoll_wait(epoll, ready, 1024, 0), 1024);
	EXPECT_EQ(epoll_wait(other, ready, 1024, 0), 1);
	EXPECT_EQ(ready[0].data.fd, fd);

	/* Closing the instance frees its watches. */
	EXPECT_OK(close(epoll));
	EXPECT_OK(epoll_ctl(other, EPOLL_CTL_ADD, fd - 1, &ev));
	EXPECT_EQ(epoll_wait(other, ready, 1024, 0), 2);
	mp_expect_fork_exec();
}

TEST_ALONE(mempressure, epoll_items_until_enospc_at_max_user_watches)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(epoll_stage, NULL);
}

/* As nobody, with RLIMIT_SIGPENDING `limit` and the RT signals used here blocked. */
static void limited_nobody(long limit)
{
	struct rlimit pending = {limit, limit};
	EXPECT_OK(setrlimit(RLIMIT_SIGPENDING, &pending));
	mp_become_nobody();
	sigset_t rt;
	sigemptyset(&rt);
	for (int sig = SIGRTMIN; sig <= SIGRTMIN + RT_SIGNALS; sig++)
		sigaddset(&rt, sig);
	EXPECT_OK(sigprocmask(SIG_BLOCK, &rt, NULL));
}

static int queue(int sig, int value)
{
	union sigval sv = {.sival_int = value};
	return sigqueue(getpid(), sig, sv);
}

static void take(int sig, int code, int value)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct timespec zero = {0, 0};
	siginfo_t info;
	EXPECT_EQ(sigtimedwait(&set, &info, &zero), sig);
	EXPECT_EQ(info.si_code, code);
	if (code == SI_QUEUE)
		EXPECT_EQ(info.si_value.sival_int, value);
}

static void sigqueue_stage(void *arg)
{
	(void)arg;
	limited_nobody(SIGPENDING_LIMIT);
	for (int i = 0; i < SIGPENDING_LIMIT; i++)
		if (queue(SIGRTMIN + i % RT_SIGNALS, i) != 0)
			FAIL("sigqueue %d of %d: %s", i, SIGPENDING_LIMIT, h_errname(errno));
	EXPECT_ERRNO(queue(SIGRTMIN, -1), EAGAIN);
	/* kill() is not refused: the signal is pending without its information. */
	EXPECT_OK(kill(getpid(), SIGRTMIN + RT_SIGNALS));
	EXPECT_ERRNO(queue(SIGRTMIN + RT_SIGNALS, -1), EAGAIN);

	/* Lowest number first, in order per signal. */
	for (int sig = 0; sig < RT_SIGNALS; sig++)
		for (int i = sig; i < SIGPENDING_LIMIT; i += RT_SIGNALS)
			take(SIGRTMIN + sig, SI_QUEUE, i);
	take(SIGRTMIN + RT_SIGNALS, SI_USER, 0);
	/* The queue is empty again. */
	EXPECT_OK(queue(SIGRTMIN, 7));
	take(SIGRTMIN, SI_QUEUE, 7);
}

TEST_ALONE(mempressure, rt_signals_queue_until_eagain_at_rlimit_sigpending)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(sigqueue_stage, NULL);
}

static void timer_stage(void *arg)
{
	(void)arg;
	limited_nobody(TIMER_LIMIT);
	static timer_t timers[TIMER_LIMIT];
	struct sigevent event = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN};
	for (int i = 0; i < TIMER_LIMIT; i++) {
		event.sigev_value.sival_int = i;
		if (timer_create(CLOCK_MONOTONIC, &event, &timers[i]) != 0)
			FAIL("timer_create %d of %d: %s", i, TIMER_LIMIT, h_errname(errno));
	}
	timer_t extra;
	EXPECT_ERRNO(timer_create(CLOCK_MONOTONIC, &event, &extra), EAGAIN);
	EXPECT_ERRNO(queue(SIGRTMIN + 1, 0), EAGAIN);
	EXPECT_OK(timer_delete(timers[TIMER_LIMIT - 1]));
	EXPECT_OK(queue(SIGRTMIN + 1, 0));
	EXPECT_ERRNO(timer_create(CLOCK_MONOTONIC, &event, &extra), EAGAIN);
	take(SIGRTMIN + 1, SI_QUEUE, 0);

	/* Every timer fires with its own preallocated signal. */
	struct itimerspec soon = {.it_value = {0, 10 * 1000 * 1000}};
	for (int i = 0; i < TIMER_LIMIT - 1; i++)
		EXPECT_OK(timer_settime(timers[i], 0, &soon, NULL));
	static char seen[TIMER_LIMIT];
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	for (int n = 0; n < TIMER_LIMIT - 1; n++) {
		struct timespec wait = {10, 0};
		siginfo_t info;
		EXPECT_EQ(sigtimedwait(&set, &info, &wait), SIGRTMIN);
		EXPECT_EQ(info.si_code, SI_TIMER);
		int index = info.si_value.sival_int;
		EXPECT_TRUE(index >= 0 && index < TIMER_LIMIT - 1 && !seen[index]);
		seen[index] = 1;
	}
	struct timespec zero = {0, 0};
	EXPECT_ERRNO(sigtimedwait(&set, NULL, &zero), EAGAIN);
}

TEST_ALONE(mempressure, posix_timers_until_eagain_at_rlimit_sigpending)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(timer_stage, NULL);
}
