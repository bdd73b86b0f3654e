/*
 * Suite pidfd_signal: pidfd_send_signal(2) as Linux's kernel/signal.c.
 *
 * The descriptor is a pidfd (pidfd_open, clone3 CLONE_PIDFD) or an open
 * /proc/<pid> directory (`pidfd_to_pid`); anything else, /proc/<pid>/task/<tid>
 * included, is EBADF.  flags must be 0 (EINVAL); a siginfo whose si_signo is
 * not the signal is EINVAL, and one with a non-negative si_code (or SI_TKILL)
 * sent to another process is EPERM; a signal past 64 is EINVAL; signal 0
 * only checks; a reaped process is ESRCH.  Man page pidfd_send_signal(2).
 */
#include "harness.h"
#include "../proc/proc.h"

#include <signal.h>
#include <sys/wait.h>

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static long send_via(int fd, int sig, siginfo_t *info, unsigned flags)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

/* A child that waits to be killed. */
static pid_t sleeper(void)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static int open_proc_dir(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d", pid);
	return EXPECT_OK(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

TEST(pidfd_signal, pidfd_kills)
{
	pid_t pid = sleeper();
	int fd = EXPECT_OK(syscall(SYS_pidfd_open, pid, 0));
	EXPECT_OK(send_via(fd, 0, NULL, 0));
	EXPECT_OK(send_via(fd, SIGKILL, NULL, 0));
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
	/* Reaped: the pidfd now names no process. */
	EXPECT_ERRNO(send_via(fd, SIGKILL, NULL, 0), ESRCH);
	close(fd);
}

TEST(pidfd_signal, proc_pid_directory_is_a_pidfd)
{
	proc_ready();
	pid_t pid = sleeper();
	int fd = open_proc_dir(pid);
	EXPECT_OK(send_via(fd, SIGTERM, NULL, 0));
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGTERM);
	EXPECT_ERRNO(send_via(fd, SIGTERM, NULL, 0), ESRCH);
	close(fd);
}

TEST(pidfd_signal, other_files_are_ebadf)
{
	proc_ready();
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d", getpid(), getpid());
	int task = EXPECT_OK(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	EXPECT_ERRNO(send_via(task, 0, NULL, 0), EBADF);
	close(task);
	int stat = EXPECT_OK(open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
	EXPECT_ERRNO(send_via(stat, 0, NULL, 0), EBADF);
	close(stat);
	int fds[2];
	h_pipe(fds);
	EXPECT_ERRNO(send_via(fds[0], 0, NULL, 0), EBADF);
	close(fds[0]);
	close(fds[1]);
	EXPECT_ERRNO(send_via(-1, 0, NULL, 0), EBADF);
}

TEST(pidfd_signal, argument_errors)
{
	proc_ready();
	pid_t pid = sleeper();
	int fd = EXPECT_OK(syscall(SYS_pidfd_open, pid, 0));
	int dir = open_proc_dir(pid);
	EXPECT_ERRNO(send_via(fd, 0, NULL, 1), EINVAL);
	EXPECT_ERRNO(send_via(dir, 0, NULL, 1), EINVAL);
	EXPECT_ERRNO(send_via(fd, 65, NULL, 0), EINVAL);
	siginfo_t info;
	memset(&info, 0, sizeof info);
	/* si_signo must be the signal sent. */
	info.si_signo = SIGUSR2;
	info.si_code = SI_QUEUE;
	EXPECT_ERRNO(send_via(dir, SIGUSR1, &info, 0), EINVAL);
	/* Only the kernel may claim a non-negative si_code for another process. */
	info.si_signo = SIGUSR1;
	info.si_code = SI_USER;
	EXPECT_ERRNO(send_via(dir, SIGUSR1, &info, 0), EPERM);
	info.si_code = SI_TKILL;
	EXPECT_ERRNO(send_via(fd, SIGUSR1, &info, 0), EPERM);
	EXPECT_OK(send_via(dir, SIGKILL, NULL, 0));
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
	close(fd);
	close(dir);
}

static volatile sig_atomic_t queued_value;

static void on_usr1(int sig, siginfo_t *info, void *ucontext)
{
	(void)sig;
	(void)ucontext;
	queued_value = info->si_value.sival_int;
}

TEST(pidfd_signal, own_process_may_queue_any_code)
{
	proc_ready();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	EXPECT_OK(sigaction(SIGUSR1, &sa, NULL));
	int dir = open_proc_dir(getpid());
	siginfo_t info;
	memset(&info, 0, sizeof info);
	info.si_signo = SIGUSR1;
	info.si_code = SI_QUEUE;
	info.si_value.sival_int = 1234;
	queued_value = 0;
	EXPECT_OK(send_via(dir, SIGUSR1, &info, 0));
	EXPECT_EQ(queued_value, 1234);
	signal(SIGUSR1, SIG_DFL);
	close(dir);
}
