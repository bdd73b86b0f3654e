/*
 * Suite mqueue: POSIX message queues as Linux 6.1's ipc/mqueue.c: mq_open
 * (default and given attributes, EEXIST, ENOENT, EINVAL for bad attributes
 * or the access mode 3, EACCES for names with '/', "." and "..",
 * ENAMETOOLONG, EACCES without permission, always close-on-exec), mq_unlink
 * (ENOENT, EPERM in the sticky root), mq_timedsend/mq_timedreceive
 * (priority order, EMSGSIZE, EAGAIN with O_NONBLOCK, ETIMEDOUT, EINVAL for
 * a bad priority or timeout, EBADF for other files and the wrong access,
 * EFAULT, sleeping senders and receivers, restart with SA_RESTART and EINTR
 * without), mq_notify (SIGEV_SIGNAL with SI_MESGQ, EBUSY, removal,
 * SIGEV_NONE, EINVAL, SIGEV_THREAD's socket), mq_getsetattr, poll and epoll
 * readiness, read's QSIZE line, the mqueue filesystem (mount -t mqueue),
 * RLIMIT_MSGQUEUE (EMFILE), fs.mqueue.queues_max (ENOSPC) and the other
 * fs.mqueue sysctls.  Man pages mq_overview(7), mq_open(3), mq_notify(3).
 */
#include "harness.h"
#include "proc/proc.h"

#include <grp.h>
#include <mqueue.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#define Q1 "ferrux-mq1"

static long raw_open(const char *name, int flags, int mode, struct mq_attr *attr)
{
	return syscall(SYS_mq_open, name, flags, mode, attr);
}

static long raw_unlink(const char *name)
{
	return syscall(SYS_mq_unlink, name);
}

static long raw_send(int fd, const void *msg, size_t len, unsigned prio, const struct timespec *ts)
{
	return syscall(SYS_mq_timedsend, fd, msg, len, prio, ts);
}

static long raw_recv(int fd, void *msg, size_t len, unsigned *prio, const struct timespec *ts)
{
	return syscall(SYS_mq_timedreceive, fd, msg, len, prio, ts);
}

static long getsetattr(int fd, const struct mq_attr *new, struct mq_attr *old)
{
	return syscall(SYS_mq_getsetattr, fd, new, old);
}

static int open_new(const char *name, int flags, long maxmsg, long msgsize)
{
	raw_unlink(name);
	struct mq_attr attr = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
	return EXPECT_OK(raw_open(name, O_CREAT | O_EXCL | flags, 0600, &attr));
}

static void drop_to_nobody(void)
{
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		FAIL("dropping privileges: %s", h_errname(errno));
}

static void wait_sleeping(pid_t pid)
{
	proc_ready();
	char path[64], text[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (;;) {
		h_read_file(path, text, sizeof(text));
		const char *end = strrchr(text, ')');
		if (end && end[1] == ' ' && end[2] == 'S')
			return;
		sched_yield();
	}
}

TEST(mqueue, open_attributes_and_names)
{
	raw_unlink(Q1);
	int fd = EXPECT_OK(raw_open(Q1, O_CREAT | O_RDWR, 0640, NULL));
	struct mq_attr attr;
	EXPECT_OK(getsetattr(fd, NULL, &attr));
	EXPECT_EQ(attr.mq_maxmsg, 10);
	EXPECT_EQ(attr.mq_msgsize, 8192);
	EXPECT_EQ(attr.mq_curmsgs, 0);
	EXPECT_EQ(attr.mq_flags, 0);
	/* Always close-on-exec. */
	EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_ERRNO(raw_open(Q1, O_CREAT | O_EXCL | O_RDWR, 0600, NULL), EEXIST);
	/* The attributes are ignored for an existing queue, but read. */
	struct mq_attr bad = {.mq_maxmsg = -1, .mq_msgsize = -1};
	int again = EXPECT_OK(raw_open(Q1, O_CREAT | O_RDONLY, 0600, &bad));
	EXPECT_ERRNO(raw_open(Q1, O_RDONLY, 0600, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_open(Q1, O_RDWR | O_WRONLY, 0, NULL), EINVAL);
	close(again);
	close(fd);
	EXPECT_OK(raw_unlink(Q1));
	EXPECT_ERRNO(raw_open(Q1, O_RDONLY, 0, NULL), ENOENT);
	EXPECT_ERRNO(raw_unlink(Q1), ENOENT);
	/* New queues' attributes. */
	EXPECT_ERRNO(raw_open(Q1, O_CREAT | O_RDWR, 0600, &bad), EINVAL);
	struct mq_attr zero = {.mq_maxmsg = 0, .mq_msgsize = 10};
	EXPECT_ERRNO(raw_open(Q1, O_CREAT | O_RDWR, 0600, &zero), EINVAL);
	struct mq_attr huge = {.mq_maxmsg = 65537, .mq_msgsize = 10};
	EXPECT_ERRNO(raw_open(Q1, O_CREAT | O_RDWR, 0600, &huge), EINVAL);
	struct mq_attr big = {.mq_maxmsg = 10, .mq_msgsize = 16 * 1024 * 1024 + 1};
	EXPECT_ERRNO(raw_open(Q1, O_CREAT | O_RDWR, 0600, &big), EINVAL);
	EXPECT_ERRNO(raw_open(Q1, O_RDWR, 0600, NULL), ENOENT);
	/* Root (CAP_SYS_RESOURCE) may go past fs.mqueue.msg_max. */
	fd = open_new(Q1, O_RDWR, 11, 16);
	EXPECT_OK(getsetattr(fd, NULL, &attr));
	EXPECT_EQ(attr.mq_maxmsg, 11);
	EXPECT_EQ(attr.mq_msgsize, 16);
	close(fd);
	EXPECT_OK(raw_unlink(Q1));
	/* Names are one component. */
	EXPECT_ERRNO(raw_open("a/b", O_CREAT | O_RDWR, 0600, NULL), EACCES);
	EXPECT_ERRNO(raw_open(".", O_RDONLY, 0, NULL), EACCES);
	EXPECT_ERRNO(raw_open("..", O_RDONLY, 0, NULL), EACCES);
	EXPECT_ERRNO(raw_open("", O_CREAT | O_RDONLY, 0600, NULL), ENOENT);
	EXPECT_ERRNO(raw_unlink("a/b"), EACCES);
	EXPECT_ERRNO(raw_unlink(""), ENOENT);
	char name[300];
	memset(name, 'n', 256);
	name[256] = 0;
	EXPECT_ERRNO(raw_open(name, O_CREAT | O_RDONLY, 0600, NULL), ENAMETOOLONG);
	name[255] = 0;
	fd = EXPECT_OK(raw_open(name, O_CREAT | O_RDONLY, 0600, NULL));
	close(fd);
	EXPECT_OK(raw_unlink(name));
	EXPECT_ERRNO(raw_open(H_BAD_PTR, O_RDONLY, 0, NULL), EFAULT);
}

TEST(mqueue, send_and_receive)
{
	int fd = open_new(Q1, O_RDWR | O_NONBLOCK, 3, 16);
	char buf[64];
	unsigned prio = 99;
	EXPECT_ERRNO(raw_recv(fd, buf, sizeof(buf), &prio, NULL), EAGAIN);
	EXPECT_OK(raw_send(fd, "low", 3, 1, NULL));
	EXPECT_OK(raw_send(fd, "high", 4, 7, NULL));
	EXPECT_OK(raw_send(fd, "low2", 4, 1, NULL));
	EXPECT_ERRNO(raw_send(fd, "full", 4, 9, NULL), EAGAIN);
	struct mq_attr attr;
	EXPECT_OK(getsetattr(fd, NULL, &attr));
	EXPECT_EQ(attr.mq_curmsgs, 3);
	EXPECT_EQ(attr.mq_flags, O_NONBLOCK);
	/* read(2) shows the bytes queued. */
	char line[128];
	memset(line, 0, sizeof(line));
	EXPECT_EQ(pread(fd, line, sizeof(line), 0), 60);
	EXPECT_STREQ(line, "QSIZE:11         NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n");
	EXPECT_ERRNO(write(fd, "x", 1), EINVAL);
	EXPECT_EQ(raw_recv(fd, buf, sizeof(buf), &prio, NULL), 4);
	EXPECT_EQ(prio, 7);
	EXPECT_MEMEQ(buf, "high", 4);
	EXPECT_EQ(raw_recv(fd, buf, sizeof(buf), &prio, NULL), 3);
	EXPECT_EQ(prio, 1);
	EXPECT_MEMEQ(buf, "low", 3);
	EXPECT_EQ(raw_recv(fd, buf, sizeof(buf), NULL, NULL), 4);
	EXPECT_MEMEQ(buf, "low2", 4);
	/* Sizes and priorities. */
	EXPECT_ERRNO(raw_send(fd, buf, 17, 0, NULL), EMSGSIZE);
	EXPECT_OK(raw_send(fd, buf, 16, 32767, NULL));
	EXPECT_ERRNO(raw_send(fd, buf, 1, 32768, NULL), EINVAL);
	EXPECT_ERRNO(raw_recv(fd, buf, 15, NULL, NULL), EMSGSIZE);
	EXPECT_EQ(raw_recv(fd, buf, 16, &prio, NULL), 16);
	EXPECT_EQ(prio, 32767);
	EXPECT_OK(raw_send(fd, "", 0, 0, NULL));
	EXPECT_EQ(raw_recv(fd, buf, 16, NULL, NULL), 0);
	/* Timeouts: checked first, and a past one ends a wait at once. */
	struct timespec bad = {0, 1000000000};
	EXPECT_ERRNO(raw_send(fd, "x", 1, 0, &bad), EINVAL);
	EXPECT_ERRNO(raw_recv(fd, buf, 16, NULL, &bad), EINVAL);
	EXPECT_ERRNO(raw_recv(-1, buf, 16, NULL, &bad), EINVAL);
	EXPECT_ERRNO(raw_recv(fd, buf, 16, NULL, H_BAD_PTR), EFAULT);
	struct mq_attr blocking = {.mq_flags = 0};
	EXPECT_OK(getsetattr(fd, &blocking, NULL));
	struct timespec past = {1, 0};
	EXPECT_ERRNO(raw_recv(fd, buf, 16, NULL, &past), ETIMEDOUT);
	struct timespec soon;
	clock_gettime(CLOCK_REALTIME, &soon);
	soon.tv_nsec += 20000000;
	if (soon.tv_nsec >= 1000000000) {
		soon.tv_sec++;
		soon.tv_nsec -= 1000000000;
	}
	EXPECT_ERRNO(raw_recv(fd, buf, 16, NULL, &soon), ETIMEDOUT);
	EXPECT_OK(raw_send(fd, "a", 1, 0, &past));
	EXPECT_OK(raw_send(fd, "b", 1, 0, &past));
	EXPECT_OK(raw_send(fd, "c", 1, 0, &past));
	EXPECT_ERRNO(raw_send(fd, "d", 1, 0, &past), ETIMEDOUT);
	/* Bad pointers. */
	EXPECT_ERRNO(raw_recv(fd, H_BAD_PTR, 16, NULL, NULL), EFAULT);
	EXPECT_OK(getsetattr(fd, NULL, &attr));
	EXPECT_EQ(attr.mq_curmsgs, 2);
	EXPECT_ERRNO(raw_send(fd, H_BAD_PTR, 1, 0, &past), EFAULT);
	/* mq_getsetattr: only O_NONBLOCK. */
	struct mq_attr flags = {.mq_flags = O_NONBLOCK | O_APPEND};
	EXPECT_ERRNO(getsetattr(fd, &flags, NULL), EINVAL);
	EXPECT_ERRNO(getsetattr(fd, H_BAD_PTR, NULL), EFAULT);
	EXPECT_ERRNO(getsetattr(fd, NULL, H_BAD_PTR), EFAULT);
	close(fd);
	EXPECT_OK(raw_unlink(Q1));
}

TEST(mqueue, descriptors_and_access)
{
	int fd = open_new(Q1, O_RDWR, 2, 16);
	int rd = EXPECT_OK(raw_open(Q1, O_RDONLY, 0, NULL));
	int wr = EXPECT_OK(raw_open(Q1, O_WRONLY, 0, NULL));
	char buf[16];
	EXPECT_ERRNO(raw_send(rd, "x", 1, 0, NULL), EBADF);
	EXPECT_ERRNO(raw_recv(wr, buf, 16, NULL, NULL), EBADF);
	EXPECT_ERRNO(raw_send(-1, "x", 1, 0, NULL), EBADF);
	EXPECT_ERRNO(raw_recv(999, buf, 16, NULL, NULL), EBADF);
	int p[2];
	h_pipe(p);
	EXPECT_ERRNO(raw_send(p[1], "x", 1, 0, NULL), EBADF);
	EXPECT_ERRNO(raw_recv(p[0], buf, 16, NULL, NULL), EBADF);
	EXPECT_ERRNO(getsetattr(p[0], NULL, NULL), EBADF);
	EXPECT_ERRNO(syscall(SYS_mq_notify, p[0], NULL), EBADF);
	EXPECT_OK(raw_send(wr, "w", 1, 0, NULL));
	EXPECT_EQ(raw_recv(rd, buf, 16, NULL, NULL), 1);
	/* Unlinked, the queue lives while open. */
	EXPECT_OK(raw_unlink(Q1));
	EXPECT_OK(raw_send(wr, "v", 1, 0, NULL));
	EXPECT_EQ(raw_recv(fd, buf, 16, NULL, NULL), 1);
	/* Permissions of an existing queue; unlinking another's queue in the sticky root. */
	close(fd);
	fd = open_new(Q1, O_RDWR, 2, 16);
	pid_t pid = h_fork();
	if (pid == 0) {
		drop_to_nobody();
		EXPECT_ERRNO(raw_open(Q1, O_RDONLY, 0, NULL), EACCES);
		EXPECT_ERRNO(raw_open(Q1, O_CREAT | O_EXCL | O_RDONLY, 0600, NULL), EEXIST);
		EXPECT_ERRNO(raw_unlink(Q1), EPERM);
		/* msg_max binds the unprivileged. */
		struct mq_attr over = {.mq_maxmsg = 11, .mq_msgsize = 16};
		EXPECT_ERRNO(raw_open("ferrux-mq-nobody", O_CREAT | O_RDWR, 0600, &over), EINVAL);
		int mine = EXPECT_OK(raw_open("ferrux-mq-nobody", O_CREAT | O_RDWR, 0600, NULL));
		close(mine);
		EXPECT_OK(raw_unlink("ferrux-mq-nobody"));
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	close(fd);
	close(rd);
	close(wr);
	EXPECT_OK(raw_unlink(Q1));
}

static volatile sig_atomic_t alarms;
static int alarm_pipe = -1;
static void on_alarm(int sig)
{
	(void)sig;
	if (++alarms == 3 && alarm_pipe >= 0)
		write(alarm_pipe, "a", 1);
}

TEST(mqueue, sleeping_and_signals)
{
	int fd = open_new(Q1, O_RDWR, 1, 16);
	/* A sleeping receiver is handed the message. */
	pid_t pid = h_fork();
	if (pid == 0) {
		char buf[16];
		unsigned prio;
		EXPECT_EQ(raw_recv(fd, buf, 16, &prio, NULL), 2);
		EXPECT_EQ(prio, 5);
		EXPECT_MEMEQ(buf, "hi", 2);
		_exit(0);
	}
	wait_sleeping(pid);
	EXPECT_OK(raw_send(fd, "hi", 2, 5, NULL));
	EXPECT_EQ(h_wait_exit(pid), 0);
	struct mq_attr attr;
	EXPECT_OK(getsetattr(fd, NULL, &attr));
	EXPECT_EQ(attr.mq_curmsgs, 0);
	/* A sleeping sender gets the slot a receive frees. */
	EXPECT_OK(raw_send(fd, "1", 1, 0, NULL));
	pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(raw_send(fd, "2", 1, 0, NULL));
		_exit(0);
	}
	wait_sleeping(pid);
	char buf[16];
	EXPECT_EQ(raw_recv(fd, buf, 16, NULL, NULL), 1);
	EXPECT_EQ(buf[0], '1');
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(raw_recv(fd, buf, 16, NULL, NULL), 1);
	EXPECT_EQ(buf[0], '2');
	/* SA_RESTART restarts a sleeping receive; without it, EINTR. */
	int p[2];
	h_pipe(p);
	pid = h_fork();
	if (pid == 0) {
		alarm_pipe = p[1];
		struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval every = {{0, 10000}, {0, 10000}};
		setitimer(ITIMER_REAL, &every, NULL);
		char b[16];
		EXPECT_EQ(raw_recv(fd, b, 16, NULL, NULL), 1);
		EXPECT_GE(alarms, 3);
		sa.sa_flags = 0;
		sigaction(SIGALRM, &sa, NULL);
		EXPECT_ERRNO(raw_recv(fd, b, 16, NULL, NULL), EINTR);
		EXPECT_OK(raw_send(fd, "x", 1, 0, NULL));
		EXPECT_ERRNO(raw_send(fd, "y", 1, 0, NULL), EINTR);
		struct itimerval off = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &off, NULL);
		_exit(0);
	}
	h_wait_byte(p[0]);
	EXPECT_OK(raw_send(fd, "r", 1, 0, NULL));
	EXPECT_EQ(h_wait_exit(pid), 0);
	close(fd);
	EXPECT_OK(raw_unlink(Q1));
}

TEST(mqueue, poll_and_epoll)
{
	int fd = open_new(Q1, O_RDWR, 2, 16);
	struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM};
	EXPECT_EQ(poll(&pfd, 1, 0), 1);
	EXPECT_EQ(pfd.revents, POLLOUT | POLLWRNORM);
	EXPECT_OK(raw_send(fd, "a", 1, 0, NULL));
	EXPECT_EQ(poll(&pfd, 1, 0), 1);
	EXPECT_EQ(pfd.revents, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
	EXPECT_OK(raw_send(fd, "b", 1, 0, NULL));
	EXPECT_EQ(poll(&pfd, 1, 0), 1);
	EXPECT_EQ(pfd.revents, POLLIN | POLLRDNORM);
	int ep = EXPECT_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	/* A receive makes room: the poller wakes. */
	pid_t pid = h_fork();
	if (pid == 0) {
		struct epoll_event got;
		EXPECT_EQ(epoll_wait(ep, &got, 1, -1), 1);
		EXPECT_EQ(got.events, EPOLLOUT);
		_exit(0);
	}
	wait_sleeping(pid);
	char buf[16];
	EXPECT_EQ(raw_recv(fd, buf, 16, NULL, NULL), 1);
	EXPECT_EQ(h_wait_exit(pid), 0);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	struct timeval zero = {0, 0};
	EXPECT_EQ(select(fd + 1, &rd, NULL, NULL, &zero), 1);
	close(ep);
	close(fd);
	EXPECT_OK(raw_unlink(Q1));
}

static volatile sig_atomic_t got_signo, got_code, got_pid, got_value;
static void on_notify(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	got_signo = sig;
	got_code = info->si_code;
	got_pid = info->si_pid;
	got_value = info->si_value.sival_int;
}

TEST(mqueue, notify)
{
	int fd = open_new(Q1, O_RDWR, 4, 16);
	struct sigaction sa = {.sa_sigaction = on_notify, .sa_flags = SA_SIGINFO};
	sigaction(SIGUSR1, &sa, NULL);
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	sev.sigev_value.sival_int = 42;
	EXPECT_OK(syscall(SYS_mq_notify, fd, &sev));
	EXPECT_ERRNO(syscall(SYS_mq_notify, fd, &sev), EBUSY);
	char line[128];
	memset(line, 0, sizeof(line));
	EXPECT_GE(pread(fd, line, sizeof(line), 0), 1);
	char want[128];
	snprintf(want, sizeof(want), "QSIZE:0          NOTIFY:0     SIGNO:10    NOTIFY_PID:%-6d\n",
		 getpid());
	EXPECT_STREQ(line, want);
	/* Another process cannot register; its NULL removes nothing. */
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_ERRNO(syscall(SYS_mq_notify, fd, &sev), EBUSY);
		EXPECT_OK(syscall(SYS_mq_notify, fd, NULL));
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* A message into the empty queue: the signal, once. */
	pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(raw_send(fd, "n", 1, 0, NULL));
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(got_signo, SIGUSR1);
	EXPECT_EQ(got_code, SI_MESGQ);
	EXPECT_EQ(got_pid, pid);
	EXPECT_EQ(got_value, 42);
	got_signo = 0;
	EXPECT_OK(raw_send(fd, "m", 1, 0, NULL));
	EXPECT_EQ(got_signo, 0);
	/* Registered again; NULL removes it. */
	EXPECT_OK(syscall(SYS_mq_notify, fd, &sev));
	EXPECT_OK(syscall(SYS_mq_notify, fd, NULL));
	EXPECT_OK(syscall(SYS_mq_notify, fd, NULL));
	struct sigevent none = {.sigev_notify = SIGEV_NONE};
	EXPECT_OK(syscall(SYS_mq_notify, fd, &none));
	memset(line, 0, sizeof(line));
	EXPECT_GE(pread(fd, line, sizeof(line), 0), 1);
	snprintf(want, sizeof(want), "QSIZE:2          NOTIFY:1     SIGNO:0     NOTIFY_PID:%-6d\n",
		 getpid());
	EXPECT_STREQ(line, want);
	EXPECT_OK(syscall(SYS_mq_notify, fd, NULL));
	/* Errors. */
	struct sigevent bad = {.sigev_notify = 99};
	EXPECT_ERRNO(syscall(SYS_mq_notify, fd, &bad), EINVAL);
	struct sigevent badsig = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 65};
	EXPECT_ERRNO(syscall(SYS_mq_notify, fd, &badsig), EINVAL);
	EXPECT_ERRNO(syscall(SYS_mq_notify, fd, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_mq_notify, -1, &none), EBADF);
	/* SIGEV_THREAD needs a netlink socket in sigev_signo. */
	char cookie[32] = {0};
	struct sigevent thread = {.sigev_notify = SIGEV_THREAD};
	thread.sigev_value.sival_ptr = cookie;
	thread.sigev_signo = -1;
	EXPECT_ERRNO(syscall(SYS_mq_notify, fd, &thread), EBADF);
	thread.sigev_signo = fd;
	EXPECT_ERRNO(syscall(SYS_mq_notify, fd, &thread), ENOTSOCK);
	close(fd);
	EXPECT_OK(raw_unlink(Q1));
}

TEST(mqueue, filesystem)
{
	proc_ready();
	int fd = open_new(Q1, O_RDWR, 4, 16);
	EXPECT_OK(raw_send(fd, "hello", 5, 0, NULL));
	mkdir("/tmp", 01777);
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/mq", h_tmpdir());
	EXPECT_OK(mkdir(dir, 0755));
	EXPECT_OK(mount("none", dir, "mqueue", 0, NULL));
	char path[192];
	snprintf(path, sizeof(path), "%s/" Q1, dir);
	struct stat st;
	EXPECT_OK(stat(path, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0600);
	EXPECT_EQ(st.st_size, 80);
	EXPECT_OK(stat(dir, &st));
	EXPECT_MODE(st.st_mode & 07777, 01777);
	char text[128];
	memset(text, 0, sizeof(text));
	h_read_file(path, text, sizeof(text));
	EXPECT_TRUE(strncmp(text, "QSIZE:5 ", 8) == 0);
	static char mounts[8192];
	h_read_file("/proc/self/mounts", mounts, sizeof(mounts));
	/* A file made with open(2) in the filesystem is a queue with the defaults. */
	char other[192];
	snprintf(other, sizeof(other), "%s/ferrux-mq2", dir);
	int made = EXPECT_OK(open(other, O_CREAT | O_RDWR, 0644));
	struct mq_attr attr;
	EXPECT_OK(getsetattr(made, NULL, &attr));
	EXPECT_EQ(attr.mq_maxmsg, 10);
	EXPECT_EQ(attr.mq_msgsize, 8192);
	close(made);
	int by_name = EXPECT_OK(raw_open("ferrux-mq2", O_RDWR, 0, NULL));
	close(by_name);
	/* Unlinking the file removes the queue's name. */
	EXPECT_OK(unlink(other));
	EXPECT_ERRNO(raw_open("ferrux-mq2", O_RDWR, 0, NULL), ENOENT);
	EXPECT_OK(raw_unlink(Q1));
	EXPECT_ERRNO(stat(path, &st), ENOENT);
	EXPECT_OK(umount(dir));
	close(fd);
	/* Checked last, so that a failure leaves nothing mounted. */
	char want[256];
	snprintf(want, sizeof(want), "none %s mqueue rw,relatime 0 0", dir);
	char *line = strstr(mounts, " mqueue ");
	EXPECT_TRUE(line != NULL);
	while (line > mounts && line[-1] != '\n')
		line--;
	*strchr(line, '\n') = 0;
	EXPECT_STREQ(line, want);
}

static void write_sysctl(const char *path, const char *value, int expected_errno)
{
	int fd = EXPECT_OK(open(path, O_WRONLY));
	if (expected_errno)
		EXPECT_ERRNO(write(fd, value, strlen(value)), expected_errno);
	else
		EXPECT_EQ(write(fd, value, strlen(value)), (long)strlen(value));
	close(fd);
}

TEST(mqueue, limits)
{
	proc_ready();
	char text[64];
	h_read_file("/proc/sys/fs/mqueue/msg_default", text, sizeof(text));
	EXPECT_STREQ(text, "10\n");
	h_read_file("/proc/sys/fs/mqueue/msg_max", text, sizeof(text));
	EXPECT_STREQ(text, "10\n");
	h_read_file("/proc/sys/fs/mqueue/msgsize_default", text, sizeof(text));
	EXPECT_STREQ(text, "8192\n");
	h_read_file("/proc/sys/fs/mqueue/msgsize_max", text, sizeof(text));
	EXPECT_STREQ(text, "8192\n");
	h_read_file("/proc/sys/fs/mqueue/queues_max", text, sizeof(text));
	EXPECT_STREQ(text, "256\n");
	write_sysctl("/proc/sys/fs/mqueue/msg_max", "0\n", EINVAL);
	write_sysctl("/proc/sys/fs/mqueue/msgsize_max", "127\n", EINVAL);
	/* RLIMIT_MSGQUEUE: the attributes' bytes and bookkeeping. */
	raw_unlink(Q1);
	pid_t pid = h_fork();
	if (pid == 0) {
		struct rlimit small = {1000, 1000};
		EXPECT_OK(setrlimit(RLIMIT_MSGQUEUE, &small));
		struct mq_attr fits = {.mq_maxmsg = 5, .mq_msgsize = 100};
		int fd = EXPECT_OK(raw_open(Q1, O_CREAT | O_RDWR, 0600, &fits));
		struct mq_attr more = {.mq_maxmsg = 1, .mq_msgsize = 100};
		EXPECT_ERRNO(raw_open("ferrux-mq3", O_CREAT | O_RDWR, 0600, &more), EMFILE);
		EXPECT_ERRNO(raw_open("ferrux-mq3", O_RDWR, 0600, NULL), ENOENT);
		close(fd);
		EXPECT_OK(raw_unlink(Q1));
		/* Given back once the queue is gone. */
		fd = EXPECT_OK(raw_open("ferrux-mq3", O_CREAT | O_RDWR, 0600, &fits));
		close(fd);
		EXPECT_OK(raw_unlink("ferrux-mq3"));
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* queues_max binds all but CAP_SYS_RESOURCE. */
	write_sysctl("/proc/sys/fs/mqueue/queues_max", "0\n", 0);
	pid = h_fork();
	if (pid == 0) {
		drop_to_nobody();
		EXPECT_ERRNO(raw_open("ferrux-mq4", O_CREAT | O_RDWR, 0600, NULL), ENOSPC);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	int fd = EXPECT_OK(raw_open("ferrux-mq4", O_CREAT | O_RDWR, 0600, NULL));
	close(fd);
	EXPECT_OK(raw_unlink("ferrux-mq4"));
	write_sysctl("/proc/sys/fs/mqueue/queues_max", "256\n", 0);
	/* msg_default above msg_max: the smaller applies. */
	write_sysctl("/proc/sys/fs/mqueue/msg_default", "20\n", 0);
	fd = EXPECT_OK(raw_open("ferrux-mq5", O_CREAT | O_RDWR, 0600, NULL));
	struct mq_attr attr;
	EXPECT_OK(getsetattr(fd, NULL, &attr));
	EXPECT_EQ(attr.mq_maxmsg, 10);
	close(fd);
	EXPECT_OK(raw_unlink("ferrux-mq5"));
	write_sysctl("/proc/sys/fs/mqueue/msg_default", "10\n", 0);
}
