/*
 * Suite signalfd: signalfd(2) and signalfd4(2).
 *
 * Guards Linux's fs/signalfd.c: do_signalfd4 (sizemask must be 8, then the
 * mask is read, then flags other than SFD_CLOEXEC | SFD_NONBLOCK are EINVAL;
 * fd -1 makes a descriptor with status O_RDWR | O_NONBLOCK?, another fd must
 * be a signalfd (EINVAL) whose mask is replaced; SIGKILL and SIGSTOP never
 * count), signalfd_read (room for one 128-byte struct signalfd_siginfo or
 * EINVAL, as many signals as fit, only the first may block, interruptibly),
 * signalfd_copyinfo (the fields of the siginfo layout of each code: kill,
 * sigqueue, tkill, POSIX timers, SIGCHLD) and signalfd_poll (POLLIN while a
 * signal of the mask is pending for the polling thread or its process, so a
 * thread's private signals are invisible to its siblings and a child reads
 * its own signals through an inherited descriptor), and the fdinfo line
 * "sigmask:".  Man page signalfd(2).
 */
#include "harness.h"
#include "child.h"
#include "../proc/proc.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define BIT(sig) (1ULL << ((sig) - 1))
#define REC sizeof(struct signalfd_siginfo)

static long sfd4(int fd, uint64_t *mask, size_t size, int flags)
{
	return syscall(SYS_signalfd4, fd, mask, size, flags);
}

/* A new signalfd for `mask` (raw, so neither libc filters the mask). */
static int sfd_new(uint64_t mask, int flags)
{
	return (int)EXPECT_OK(sfd4(-1, &mask, 8, flags));
}

static void block(uint64_t mask)
{
	EXPECT_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &mask, NULL, 8));
}

static uint64_t pending(void)
{
	uint64_t set = 0;
	EXPECT_OK(syscall(SYS_rt_sigpending, &set, 8));
	return set;
}

static short revents(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLOUT | POLLPRI, 0};
	EXPECT_OK(poll(&p, 1, 0));
	return p.revents;
}

static void expect_zero(const struct signalfd_siginfo *s, size_t from)
{
	const unsigned char *bytes = (const unsigned char *)s;
	for (size_t i = from; i < REC; i++)
		if (bytes[i] != 0)
			FAIL("signalfd_siginfo byte %zu is %#x, not 0", i,
			     bytes[i]);
}

TEST(signalfd, create_flags)
{
	int fd = sfd_new(BIT(SIGUSR1), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDWR);
	int fd2 = sfd_new(BIT(SIGUSR1), SFD_CLOEXEC | SFD_NONBLOCK);
	EXPECT_EQ(fcntl(fd2, F_GETFD), FD_CLOEXEC);
	EXPECT_EQX(fcntl(fd2, F_GETFL), O_RDWR | O_NONBLOCK);
	/* The old signalfd has no flags argument. */
	uint64_t mask = BIT(SIGUSR1);
	int fd3 = EXPECT_OK(syscall(SYS_signalfd, -1, &mask, 8));
	EXPECT_EQX(fcntl(fd3, F_GETFL), O_RDWR);
	EXPECT_EQ(fcntl(fd3, F_GETFD), 0);
	/* The libc wrapper. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	int fd4 = EXPECT_OK(signalfd(-1, &set, SFD_NONBLOCK));
	EXPECT_EQX(fcntl(fd4, F_GETFL), O_RDWR | O_NONBLOCK);
}

TEST(signalfd, argument_errors)
{
	uint64_t mask = BIT(SIGUSR1);
	EXPECT_ERRNO(sfd4(-1, &mask, 4, 0), EINVAL);
	EXPECT_ERRNO(sfd4(-1, &mask, 16, 0), EINVAL);
	EXPECT_ERRNO(sfd4(-1, &mask, 0, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_signalfd, -1, &mask, 128), EINVAL);
	/* The size is checked before the mask is read ... */
	EXPECT_ERRNO(sfd4(-1, H_BAD_PTR, 4, 0), EINVAL);
	EXPECT_ERRNO(sfd4(-1, H_BAD_PTR, 8, 0), EFAULT);
	EXPECT_ERRNO(sfd4(-1, H_KERNEL_PTR, 8, 0), EFAULT);
	EXPECT_ERRNO(sfd4(-1, NULL, 8, 0), EFAULT);
	/* ... and the mask before the flags. */
	EXPECT_ERRNO(sfd4(-1, H_BAD_PTR, 8, 1), EFAULT);
	EXPECT_ERRNO(sfd4(-1, &mask, 8, 1), EINVAL);
	EXPECT_ERRNO(sfd4(-1, &mask, 8, O_APPEND), EINVAL);
	EXPECT_ERRNO(sfd4(-1, &mask, 8, O_RDWR), EINVAL);
	EXPECT_ERRNO(sfd4(-1, &mask, 8, SFD_CLOEXEC | 0x40000000), EINVAL);
	/* An existing descriptor: it must be open, and a signalfd. */
	EXPECT_ERRNO(sfd4(-2, &mask, 8, 0), EBADF);
	EXPECT_ERRNO(sfd4(999, &mask, 8, 0), EBADF);
	int pipefd[2];
	EXPECT_OK(pipe(pipefd));
	EXPECT_ERRNO(sfd4(pipefd[0], &mask, 8, 0), EINVAL);
	/* Bad flags are refused before the descriptor is looked at. */
	EXPECT_ERRNO(sfd4(999, &mask, 8, 1), EINVAL);
}

TEST(signalfd, kill_record)
{
	block(BIT(SIGUSR1) | BIT(SIGUSR2));
	int fd = sfd_new(BIT(SIGUSR1), SFD_NONBLOCK);
	struct signalfd_siginfo s[2];
	EXPECT_ERRNO(read(fd, s, sizeof s), EAGAIN);
	EXPECT_EQ(revents(fd), 0);
	EXPECT_OK(kill(getpid(), SIGUSR1));
	EXPECT_EQ(revents(fd), POLLIN);
	memset(s, 0xa5, sizeof s);
	EXPECT_EQ(read(fd, s, sizeof s), REC);
	EXPECT_EQ(s[0].ssi_signo, SIGUSR1);
	EXPECT_EQ(s[0].ssi_errno, 0);
	EXPECT_EQ(s[0].ssi_code, SI_USER);
	EXPECT_EQ(s[0].ssi_pid, getpid());
	EXPECT_EQ(s[0].ssi_uid, getuid());
	expect_zero(&s[0], offsetof(struct signalfd_siginfo, ssi_fd));
	/* The second record was left alone. */
	EXPECT_EQX(((unsigned char *)&s[1])[0], 0xa5);
	EXPECT_EQX(pending() & BIT(SIGUSR1), 0);
	EXPECT_ERRNO(read(fd, s, sizeof s), EAGAIN);
	/* A signal outside the mask is not reported, and stays pending. */
	EXPECT_OK(kill(getpid(), SIGUSR2));
	EXPECT_EQ(revents(fd), 0);
	EXPECT_ERRNO(read(fd, s, sizeof s), EAGAIN);
	EXPECT_EQX(pending() & BIT(SIGUSR2), BIT(SIGUSR2));
}

TEST(signalfd, short_buffer_einval)
{
	block(BIT(SIGUSR1));
	int fd = sfd_new(BIT(SIGUSR1), SFD_NONBLOCK);
	char buf[256];
	EXPECT_OK(kill(getpid(), SIGUSR1));
	EXPECT_ERRNO(read(fd, buf, REC - 1), EINVAL);
	EXPECT_ERRNO(read(fd, buf, 0), EINVAL);
	EXPECT_ERRNO(read(fd, buf, 1), EINVAL);
	/* Nothing was taken. */
	EXPECT_EQX(pending() & BIT(SIGUSR1), BIT(SIGUSR1));
	/* A buffer of one and a half records takes one. */
	EXPECT_EQ(read(fd, buf, REC + REC / 2), REC);
	/* Empty and short: EINVAL comes first, EAGAIN otherwise. */
	EXPECT_ERRNO(read(fd, buf, 10), EINVAL);
	EXPECT_ERRNO(read(fd, buf, REC), EAGAIN);
	/* No write, no positions. */
	EXPECT_ERRNO(write(fd, buf, REC), EINVAL);
	EXPECT_ERRNO(pread(fd, buf, REC, 0), ESPIPE);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	EXPECT_ERRNO(read(fd, H_BAD_PTR, REC), EAGAIN);
}

TEST(signalfd, several_in_one_read)
{
	int rt = SIGRTMIN + 1;
	block(BIT(SIGUSR1) | BIT(rt) | BIT(SIGUSR2));
	int fd = sfd_new(BIT(SIGUSR1) | BIT(rt) | BIT(SIGUSR2), SFD_NONBLOCK);
	for (int i = 1; i <= 3; i++) {
		union sigval v = {.sival_int = 100 + i};
		EXPECT_OK(sigqueue(getpid(), rt, v));
	}
	EXPECT_OK(kill(getpid(), SIGUSR2));
	EXPECT_OK(kill(getpid(), SIGUSR1));
	EXPECT_OK(kill(getpid(), SIGUSR1)); /* merged with the first */
	struct signalfd_siginfo s[8];
	memset(s, 0, sizeof s);
	/* Two records fit (and a part of a third, which is not used). */
	EXPECT_EQ(read(fd, s, 2 * REC + 100), 2 * REC);
	EXPECT_EQ(s[0].ssi_signo, SIGUSR1);
	EXPECT_EQ(s[1].ssi_signo, SIGUSR2);
	EXPECT_EQ(read(fd, s, sizeof s), 3 * REC);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(s[i].ssi_signo, rt);
		EXPECT_EQ(s[i].ssi_code, SI_QUEUE);
		EXPECT_EQ(s[i].ssi_pid, getpid());
		EXPECT_EQ(s[i].ssi_uid, getuid());
		EXPECT_EQ(s[i].ssi_int, 101 + i);
		EXPECT_EQ(s[i].ssi_ptr, (uint64_t)(101 + i));
		EXPECT_EQ(s[i].ssi_tid, 0);
	}
	EXPECT_ERRNO(read(fd, s, sizeof s), EAGAIN);
}

TEST(signalfd, sigqueue_pointer_and_tkill)
{
	block(BIT(SIGUSR1) | BIT(SIGUSR2));
	int fd = sfd_new(BIT(SIGUSR1) | BIT(SIGUSR2), SFD_NONBLOCK);
	union sigval v = {.sival_ptr = (void *)0x123456789abcdef0ULL};
	EXPECT_OK(sigqueue(getpid(), SIGUSR2, v));
	EXPECT_OK(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1));
	struct signalfd_siginfo s[2];
	EXPECT_EQ(read(fd, s, sizeof s), 2 * REC);
	EXPECT_EQ(s[0].ssi_signo, SIGUSR1);
	EXPECT_EQ(s[0].ssi_code, SI_TKILL);
	EXPECT_EQ(s[0].ssi_pid, getpid());
	EXPECT_EQ(s[0].ssi_uid, getuid());
	EXPECT_EQ(s[0].ssi_ptr, 0);
	EXPECT_EQ(s[1].ssi_signo, SIGUSR2);
	EXPECT_EQ(s[1].ssi_code, SI_QUEUE);
	EXPECT_EQX(s[1].ssi_ptr, 0x123456789abcdef0ULL);
	EXPECT_EQX((uint32_t)s[1].ssi_int, 0x9abcdef0);
	/* rt_sigqueueinfo to ourselves may carry any positive code: SIGUSR1
	 * with a code within SIGPOLL's range uses the poll layout. */
	siginfo_t info;
	memset(&info, 0, sizeof info);
	info.si_signo = SIGUSR1;
	info.si_code = 3;
	info.si_band = 0x77;
	info.si_fd = 9;
	EXPECT_OK(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &info));
	EXPECT_EQ(read(fd, s, sizeof s), REC);
	EXPECT_EQ(s[0].ssi_code, 3);
	EXPECT_EQ(s[0].ssi_band, 0x77);
	EXPECT_EQ(s[0].ssi_fd, 9);
	EXPECT_EQ(s[0].ssi_pid, 0);
	/* A fault code on SIGSEGV: only the address. */
	memset(&info, 0, sizeof info);
	info.si_signo = SIGSEGV;
	info.si_code = SEGV_MAPERR;
	info.si_addr = (void *)0x5000;
	block(BIT(SIGSEGV));
	EXPECT_OK(signalfd(fd, &(sigset_t){{BIT(SIGSEGV)}}, 0));
	EXPECT_OK(syscall(SYS_rt_sigqueueinfo, getpid(), SIGSEGV, &info));
	EXPECT_EQ(read(fd, s, sizeof s), REC);
	EXPECT_EQ(s[0].ssi_signo, SIGSEGV);
	EXPECT_EQ(s[0].ssi_code, SEGV_MAPERR);
	EXPECT_EQX(s[0].ssi_addr, 0x5000);
	EXPECT_EQ(s[0].ssi_pid, 0);
	EXPECT_EQ(s[0].ssi_uid, 0);
	EXPECT_EQ(s[0].ssi_ptr, 0);
}

TEST(signalfd, posix_timer_record)
{
	int sig = SIGRTMIN + 2;
	block(BIT(sig));
	int fd = sfd_new(BIT(sig), 0);
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = sig;
	sev.sigev_value.sival_int = 77;
	int id = -1;
	EXPECT_OK(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id));
	struct itimerspec its = {{0, 0}, {0, 2000000}};
	EXPECT_OK(syscall(SYS_timer_settime, id, 0, &its, NULL));
	struct pollfd p = {fd, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 10000), 1);
	EXPECT_EQ(p.revents, POLLIN);
	struct signalfd_siginfo s;
	EXPECT_EQ(read(fd, &s, sizeof s), REC);
	EXPECT_EQ(s.ssi_signo, sig);
	EXPECT_EQ(s.ssi_code, SI_TIMER);
	EXPECT_EQ(s.ssi_tid, id);
	EXPECT_EQ(s.ssi_overrun, 0);
	EXPECT_EQ(s.ssi_int, 77);
	EXPECT_EQ(s.ssi_ptr, 77);
	EXPECT_EQ(s.ssi_pid, 0);
	EXPECT_OK(syscall(SYS_timer_delete, id));
}

TEST(signalfd, sigchld_record)
{
	block(BIT(SIGCHLD));
	int fd = sfd_new(BIT(SIGCHLD), 0);
	pid_t child = h_fork();
	if (child == 0)
		_exit(3);
	/* A blocking read: the child's exit wakes it. */
	struct signalfd_siginfo s;
	EXPECT_EQ(read(fd, &s, sizeof s), REC);
	EXPECT_EQ(s.ssi_signo, SIGCHLD);
	EXPECT_EQ(s.ssi_code, CLD_EXITED);
	EXPECT_EQ(s.ssi_pid, child);
	EXPECT_EQ(s.ssi_uid, getuid());
	EXPECT_EQ(s.ssi_status, 3);
	EXPECT_EQ(s.ssi_int, 0);
	EXPECT_EQ(h_wait_exit(child), 3);
}

/* The state letter of `pid` in /proc/PID/stat. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	proc_read(path, buf, sizeof buf);
	char *close = strrchr(buf, ')');
	return close && close[1] == ' ' ? close[2] : '?';
}

/* Child: waits until the parent sleeps, then sends `sig` to it. */
static void signal_sleeping_parent(int sig)
{
	pid_t parent = getppid();
	while (proc_state(parent) != 'S')
		sched_yield();
	kill(parent, sig);
}

static void send_usr1_when_asleep(long unused)
{
	(void)unused;
	signal_sleeping_parent(SIGUSR1);
}

TEST(signalfd, blocking_read_is_woken)
{
	proc_ready();
	block(BIT(SIGUSR1));
	int fd = sfd_new(BIT(SIGUSR1), 0);
	pid_t child = spawn(send_usr1_when_asleep, 0);
	h_track(child);
	struct signalfd_siginfo s;
	EXPECT_EQ(read(fd, &s, sizeof s), REC);
	EXPECT_EQ(s.ssi_signo, SIGUSR1);
	EXPECT_EQ(s.ssi_pid, child);
	EXPECT_EQ(h_wait_exit(child), 0);
}

static volatile sig_atomic_t handled;
static void on_usr2(int sig)
{
	handled = sig;
}

static void send_usr2_when_asleep(long unused)
{
	(void)unused;
	signal_sleeping_parent(SIGUSR2);
}

static void send_usr2_then_usr1(long unused)
{
	(void)unused;
	signal_sleeping_parent(SIGUSR2);
	signal_sleeping_parent(SIGUSR1);
}

TEST(signalfd, blocking_read_interrupted)
{
	proc_ready();
	block(BIT(SIGUSR1));
	int fd = sfd_new(BIT(SIGUSR1), 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr2;
	EXPECT_OK(sigaction(SIGUSR2, &sa, NULL));
	handled = 0;
	pid_t child = spawn(send_usr2_when_asleep, 0);
	h_track(child);
	struct signalfd_siginfo s;
	EXPECT_ERRNO(read(fd, &s, sizeof s), EINTR);
	EXPECT_EQ(handled, SIGUSR2);
	EXPECT_EQ(h_wait_exit(child), 0);
	/* With SA_RESTART the read goes on after the handler. */
	sa.sa_flags = SA_RESTART;
	EXPECT_OK(sigaction(SIGUSR2, &sa, NULL));
	handled = 0;
	child = spawn(send_usr2_then_usr1, 0);
	h_track(child);
	EXPECT_EQ(read(fd, &s, sizeof s), REC);
	EXPECT_EQ(s.ssi_signo, SIGUSR1);
	EXPECT_EQ(handled, SIGUSR2);
	EXPECT_EQ(h_wait_exit(child), 0);
}

TEST(signalfd, poll_select_epoll)
{
	block(BIT(SIGUSR1));
	int fd = sfd_new(BIT(SIGUSR1), SFD_NONBLOCK);
	int ep = EXPECT_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	struct epoll_event out[2];
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 0);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	struct timeval tv = {0, 0};
	EXPECT_EQ(select(fd + 1, &rd, NULL, NULL, &tv), 0);
	EXPECT_OK(kill(getpid(), SIGUSR1));
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 1);
	EXPECT_EQX(out[0].events, EPOLLIN);
	EXPECT_EQ(out[0].data.u64, 42);
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	EXPECT_EQ(select(fd + 1, &rd, NULL, NULL, &tv), 1);
	EXPECT_TRUE(FD_ISSET(fd, &rd));
	/* Never writable. */
	struct pollfd p = {fd, POLLOUT, 0};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	struct signalfd_siginfo s;
	EXPECT_EQ(read(fd, &s, sizeof s), REC);
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 0);
	EXPECT_EQ(revents(fd), 0);
}

static void send_usr1_to_parent(long unused)
{
	(void)unused;
	kill(getppid(), SIGUSR1);
}

TEST(signalfd, epoll_wait_sleeps_until_signal)
{
	block(BIT(SIGUSR1));
	int fd = sfd_new(BIT(SIGUSR1), SFD_NONBLOCK);
	int ep = EXPECT_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 7};
	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	pid_t child = spawn(send_usr1_to_parent, 0);
	h_track(child);
	struct epoll_event out;
	EXPECT_EQ(epoll_wait(ep, &out, 1, 10000), 1);
	EXPECT_EQ(out.data.u64, 7);
	EXPECT_EQ(h_wait_exit(child), 0);
	/* select sleeping on it too. */
	struct signalfd_siginfo s;
	EXPECT_EQ(read(fd, &s, sizeof s), REC);
	child = spawn(send_usr1_to_parent, 0);
	h_track(child);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	struct timeval tv = {10, 0};
	EXPECT_EQ(select(fd + 1, &rd, NULL, NULL, &tv), 1);
	EXPECT_EQ(h_wait_exit(child), 0);
}

TEST(signalfd, update_mask)
{
	block(BIT(SIGUSR1) | BIT(SIGUSR2));
	int fd = sfd_new(BIT(SIGUSR1), SFD_NONBLOCK);
	EXPECT_OK(kill(getpid(), SIGUSR2));
	EXPECT_EQ(revents(fd), 0);
	uint64_t mask = BIT(SIGUSR2);
	/* The same descriptor comes back; flags given now change nothing. */
	EXPECT_EQ(sfd4(fd, &mask, 8, SFD_CLOEXEC), fd);
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	EXPECT_EQ(revents(fd), POLLIN);
	struct signalfd_siginfo s;
	EXPECT_EQ(read(fd, &s, sizeof s), REC);
	EXPECT_EQ(s.ssi_signo, SIGUSR2);
	/* The old call updates too. */
	mask = BIT(SIGUSR1);
	EXPECT_EQ(syscall(SYS_signalfd, fd, &mask, 8), fd);
	EXPECT_OK(kill(getpid(), SIGUSR2));
	EXPECT_EQ(revents(fd), 0);
	/* An empty mask reports nothing. */
	mask = 0;
	EXPECT_EQ(sfd4(fd, &mask, 8, 0), fd);
	EXPECT_OK(kill(getpid(), SIGUSR1));
	EXPECT_EQ(revents(fd), 0);
	EXPECT_ERRNO(read(fd, &s, sizeof s), EAGAIN);
}

TEST(signalfd, kill_and_stop_never_in_mask)
{
	proc_ready();
	int fd = sfd_new(~0ULL, SFD_NONBLOCK);
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	proc_read(path, buf, sizeof buf);
	EXPECT_TRUE(strstr(buf, "\nsigmask:\tfffffffffffbfeff\n") != NULL);
	int fd2 = sfd_new(BIT(SIGUSR1) | BIT(SIGKILL), SFD_NONBLOCK);
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd2);
	proc_read(path, buf, sizeof buf);
	EXPECT_TRUE(strstr(buf, "\nsigmask:\t0000000000000200\n") != NULL);
	EXPECT_TRUE(strncmp(buf, "pos:\t0\nflags:\t04002\n", 20) == 0);
	uint64_t mask = 0;
	EXPECT_EQ(sfd4(fd2, &mask, 8, 0), fd2);
	proc_read(path, buf, sizeof buf);
	EXPECT_TRUE(strstr(buf, "\nsigmask:\t0000000000000000\n") != NULL);
}

TEST(signalfd, proc_link_and_fstat)
{
	proc_ready();
	int fd = sfd_new(BIT(SIGUSR1), 0);
	char path[64], link[64] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	EXPECT_OK(readlink(path, link, sizeof link - 1));
	EXPECT_STREQ(link, "anon_inode:[signalfd]");
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_MODE(st.st_mode, 0600);
	EXPECT_EQ(st.st_size, 0);
}

static void child_reads_own_signals(long fd)
{
	struct signalfd_siginfo s;
	/* The parent's pending SIGUSR1 is not ours. */
	CHK(read((int)fd, &s, sizeof s) == -1 && errno == EAGAIN);
	struct pollfd p = {(int)fd, POLLIN, 0};
	CHK(poll(&p, 1, 0) == 0);
	CHK(kill(getpid(), SIGUSR1) == 0);
	CHK(read((int)fd, &s, sizeof s) == (ssize_t)REC);
	CHK(s.ssi_signo == SIGUSR1 && s.ssi_pid == (uint32_t)getpid());
}

TEST(signalfd, fork_reads_the_readers_signals)
{
	block(BIT(SIGUSR1));
	int fd = sfd_new(BIT(SIGUSR1), SFD_NONBLOCK);
	EXPECT_OK(kill(getpid(), SIGUSR1));
	pid_t child = spawn(child_reads_own_signals, fd);
	h_track(child);
	EXPECT_EQ(h_wait_exit(child), 0);
	/* Ours is still there. */
	struct signalfd_siginfo s;
	EXPECT_EQ(read(fd, &s, sizeof s), REC);
	EXPECT_EQ(s.ssi_pid, getpid());
}

/* --- a thread's private signals ------------------------------------------- */

#define THREAD_FLAGS                                                           \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |    \
	 CLONE_SYSVSEM | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID)

struct private_args {
	int fd;
	int to_main[2];
	int to_thread[2];
	long got_signo;
	long got_code;
};

static int private_thread(void *p)
{
	struct private_args *a = p;
	long tid = h_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
	long pid = h_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	h_raw_syscall(SYS_tgkill, pid, tid, SIGUSR1, 0, 0, 0);
	char c = 1;
	h_raw_syscall(SYS_write, a->to_main[1], (long)&c, 1, 0, 0, 0);
	h_raw_syscall(SYS_read, a->to_thread[0], (long)&c, 1, 0, 0, 0);
	struct signalfd_siginfo s;
	long n = h_raw_syscall(SYS_read, a->fd, (long)&s, sizeof s, 0, 0, 0);
	a->got_signo = n == (long)REC ? (long)s.ssi_signo : n;
	a->got_code = s.ssi_code;
	return 0;
}

static void private_pending(void *unused)
{
	(void)unused;
	block(BIT(SIGUSR1));
	struct private_args a = {.fd = sfd_new(BIT(SIGUSR1), SFD_NONBLOCK)};
	EXPECT_OK(pipe(a.to_main));
	EXPECT_OK(pipe(a.to_thread));
	static volatile int ctid;
	int ptid;
	ctid = 1;
	long tid = h_clone_raw(THREAD_FLAGS, h_stack(), &ptid, (int *)&ctid, 0,
			       private_thread, &a);
	EXPECT_TRUE(tid > 0);
	char c;
	EXPECT_EQ(read(a.to_main[0], &c, 1), 1);
	/* The thread's private SIGUSR1 is invisible here. */
	EXPECT_EQ(revents(a.fd), 0);
	struct signalfd_siginfo s;
	EXPECT_ERRNO(read(a.fd, &s, sizeof s), EAGAIN);
	EXPECT_EQ(pending() & BIT(SIGUSR1), 0);
	EXPECT_EQ(write(a.to_thread[1], &c, 1), 1);
	h_wait_zero(&ctid);
	EXPECT_EQ(a.got_signo, SIGUSR1);
	EXPECT_EQ(a.got_code, SI_TKILL);
}

TEST(signalfd, thread_private_pending)
{
	EXPECT_CHILD_OK(private_pending, NULL);
}

static void exec_fds(long cloexec)
{
	uint64_t mask = BIT(SIGUSR1);
	int fd = (int)syscall(SYS_signalfd4, -1, &mask, 8,
			      cloexec ? SFD_CLOEXEC : 0);
	CHK(fd >= 0);
	CHK(dup2(fd, 20) == 20);
	CHK(fcntl(20, F_SETFD, cloexec ? FD_CLOEXEC : 0) == 0);
	close(fd);
	char *argv[] = {"x", "fds", NULL};
	char *envp[] = {NULL};
	execve(h_child_helper(), argv, envp);
	_exit(127);
}

static void run_fds(long cloexec, const char *expect)
{
	int out[2];
	EXPECT_OK(pipe(out));
	pid_t pid = h_fork();
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		exec_fds(cloexec);
	}
	close(out[1]);
	char buf[256];
	h_read_all(out[0], buf, sizeof buf);
	close(out[0]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_STREQ(buf, expect);
}

TEST(signalfd, exec_keeps_or_closes)
{
	run_fds(0, "fds=0 1 2 20\n");
	run_fds(1, "fds=0 1 2\n");
}
