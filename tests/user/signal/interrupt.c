/*
 * Suite interrupt: blocking system calls interrupted by signal handlers:
 * EINTR, SA_RESTART, pause(2), nanosleep(2), poll(2), wait4(2), and SIGPIPE.
 *
 * Guards Linux's arch/x86/kernel/signal.c handle_signal (-ERESTARTSYS becomes
 * EINTR without SA_RESTART and restarts the call with it; -ERESTARTNOHAND
 * and -ERESTART_RESTARTBLOCK always give EINTR when a handler runs), the
 * pipe code (fs/pipe.c: a write with no reader raises SIGPIPE and fails with
 * EPIPE) and kernel/time/hrtimer.c (nanosleep stores the remaining time):
 * a read blocked on an empty pipe fails with EINTR, or is restarted with
 * SA_RESTART; pause() and poll() return EINTR even with SA_RESTART; an
 * interrupted nanosleep returns EINTR and the time left; a signal whose
 * action is to ignore does not interrupt anything.  Man pages signal(7)
 * ("Interruption of system calls and library functions by signal
 * handlers"), pipe(7), nanosleep(2), pause(2).
 */
#include "harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define BIT(sig) (1ULL << ((sig) - 1))

/* Shared with children: how many SIGALRMs the parent handled. */
static volatile int *alarms;

static void on_alarm(int sig)
{
	(void)sig;
	(*alarms)++;
}

static void setup_alarm(int flags)
{
	if (!alarms) {
		alarms = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (alarms == MAP_FAILED)
			FAIL("mmap: %s", h_errname(errno));
	}
	*alarms = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = flags;
	EXPECT_OK(sigaction(SIGALRM, &sa, NULL));
	/* Every 5 ms until the test ends (the runner stops it), so one
	 * arrives while the call blocks, whenever it starts blocking. */
	struct itimerval it = {{0, 5000}, {0, 5000}};
	EXPECT_OK(setitimer(ITIMER_REAL, &it, NULL));
}

static void stop_alarm(void)
{
	struct itimerval it;
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
}

/* A child that writes one byte to fd once the parent handled n alarms. */
static pid_t writer_after_alarms(int fd, int n)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		while (*alarms < n) {
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
		}
		EXPECT_EQ(write(fd, "z", 1), 1);
		h_exit(0);
	}
	return pid;
}

TEST(interrupt, read_eintr_without_sa_restart)
{
	int p[2];
	h_pipe(p);
	setup_alarm(0);
	char c;
	EXPECT_ERRNO(read(p[0], &c, 1), EINTR);
	stop_alarm();
	EXPECT_GE(*alarms, 1);
}

TEST(interrupt, read_restarted_with_sa_restart)
{
	int p[2];
	h_pipe(p);
	setup_alarm(SA_RESTART);
	pid_t pid = writer_after_alarms(p[1], 3);
	char c = 0;
	EXPECT_EQ(read(p[0], &c, 1), 1);
	stop_alarm();
	EXPECT_EQ(c, 'z');
	EXPECT_GE(*alarms, 3);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(interrupt, wait4_eintr_and_restart)
{
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		char c;
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		h_exit(3);
	}
	setup_alarm(0);
	int st;
	EXPECT_ERRNO(wait4(pid, &st, 0, NULL), EINTR);
	stop_alarm();
	setup_alarm(SA_RESTART);
	/* Let the child go only after a few alarms hit the waiting parent. */
	pid_t w = writer_after_alarms(p[1], 3);
	EXPECT_EQ(wait4(pid, &st, 0, NULL), pid);
	stop_alarm();
	EXPECT_EQX(st, 3 << 8);
	EXPECT_EQ(h_wait_exit(w), 0);
}

TEST(interrupt, pause_returns_eintr)
{
	setup_alarm(SA_RESTART);
	EXPECT_ERRNO(pause(), EINTR);
	EXPECT_ERRNO(syscall(SYS_pause), EINTR);
	stop_alarm();
	EXPECT_GE(*alarms, 2);
}

TEST(interrupt, poll_not_restarted)
{
	int p[2];
	h_pipe(p);
	setup_alarm(SA_RESTART);
	struct pollfd pfd = {p[0], POLLIN, 0};
	EXPECT_ERRNO(poll(&pfd, 1, 10000), EINTR);
	EXPECT_ERRNO(poll(NULL, 0, -1), EINTR);
	stop_alarm();
}

TEST(interrupt, nanosleep_eintr_with_remaining)
{
	setup_alarm(SA_RESTART);
	struct timespec req = {5, 0}, rem = {-1, -1};
	EXPECT_ERRNO(syscall(SYS_nanosleep, &req, &rem), EINTR);
	stop_alarm();
	/* Less than asked, more than nothing, normalized. */
	EXPECT_TRUE(rem.tv_sec >= 0 && rem.tv_sec <= 4);
	EXPECT_TRUE(rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000);
	EXPECT_TRUE(rem.tv_sec > 0 || rem.tv_nsec > 0);
	/* clock_nanosleep returns the error instead of setting errno. */
	setup_alarm(0);
	rem.tv_sec = -1;
	EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem), EINTR);
	stop_alarm();
	EXPECT_TRUE(rem.tv_sec >= 0 && rem.tv_sec <= 4);
}

TEST(interrupt, sigtimedwait_eintr_for_other_signal)
{
	uint64_t set = BIT(SIGUSR1);
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8), 0);
	setup_alarm(SA_RESTART);
	struct timespec ts = {10, 0};
	EXPECT_ERRNO(syscall(SYS_rt_sigtimedwait, &set, NULL, &ts, 8), EINTR);
	stop_alarm();
}

TEST(interrupt, ignored_signal_does_not_interrupt)
{
	int p[2];
	h_pipe(p);
	setup_alarm(0);
	stop_alarm();
	EXPECT_TRUE(signal(SIGALRM, SIG_IGN) != SIG_ERR);
	struct itimerval it = {{0, 5000}, {0, 5000}};
	EXPECT_OK(setitimer(ITIMER_REAL, &it, NULL));
	/* A child sends the byte after 20 alarm periods' worth of time,
	 * measured by its own clock. */
	pid_t pid = h_fork();
	if (pid == 0) {
		struct timespec t = {0, 100 * 1000000};
		nanosleep(&t, NULL);
		EXPECT_EQ(write(p[1], "y", 1), 1);
		h_exit(0);
	}
	char c = 0;
	EXPECT_EQ(read(p[0], &c, 1), 1);
	stop_alarm();
	EXPECT_EQ(c, 'y');
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(interrupt, sigpipe_kills_writer)
{
	int p[2];
	h_pipe(p);
	close(p[0]);
	pid_t pid = h_fork();
	if (pid == 0) {
		write(p[1], "x", 1);
		h_exit(1);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGPIPE);
}

static volatile int pipes_seen;
static void on_pipe(int sig)
{
	(void)sig;
	pipes_seen++;
}

TEST(interrupt, sigpipe_ignored_or_handled_gives_epipe)
{
	int p[2];
	h_pipe(p);
	close(p[0]);
	EXPECT_TRUE(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	EXPECT_ERRNO(write(p[1], "x", 1), EPIPE);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_pipe;
	EXPECT_OK(sigaction(SIGPIPE, &sa, NULL));
	pipes_seen = 0;
	EXPECT_ERRNO(write(p[1], "x", 1), EPIPE);
	EXPECT_EQ(pipes_seen, 1);
	/* Blocked: EPIPE, and SIGPIPE pending. */
	uint64_t set = BIT(SIGPIPE), pend = 0;
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8), 0);
	EXPECT_ERRNO(write(p[1], "x", 1), EPIPE);
	EXPECT_EQ(syscall(SYS_rt_sigpending, &pend, 8), 0);
	EXPECT_EQX(pend, BIT(SIGPIPE));
	/* The kernel sends it as if the writer had called kill(). */
	siginfo_t si;
	struct timespec zero = {0, 0};
	EXPECT_EQ(syscall(SYS_rt_sigtimedwait, &set, &si, &zero, 8), SIGPIPE);
	EXPECT_EQ(si.si_code, SI_USER);
	EXPECT_EQ(si.si_pid, getpid());
	EXPECT_EQ(si.si_uid, getuid());
}
