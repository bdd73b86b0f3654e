/*
 * Suite mempressure, stage 6: event and signal limits.
 *
 * - Queued signals: RT signals sent with sigqueue beyond RLIMIT_SIGPENDING fail with EAGAIN
 *   (kernel/signal.c __send_signal); kill() of a blocked RT signal still succeeds (SI_USER,
 *   the information is lost).  They are received lowest number first, in order per signal.
 * The signal stages run as nobody so that only their own signals count.
 */
#include "stage.h"

#include <signal.h>
#include <sys/resource.h>
#include <time.h>

#define SIGPENDING_LIMIT 1000
#define RT_SIGNALS 8

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
