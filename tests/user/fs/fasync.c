/*
 * Suite fasync: signal-driven I/O.  fcntl F_SETOWN/F_GETOWN,
 * F_SETOWN_EX/F_GETOWN_EX, F_SETSIG/F_GETSIG, O_ASYNC through F_SETFL and
 * ioctl FIOASYNC, and the signals pipes, AF_UNIX sockets, ptys and inotify
 * send.
 *
 * Guards Linux's fs/fcntl.c (f_setown: a negative pid names a process group,
 * INT_MIN is EINVAL, an unknown id ESRCH; f_owner_ex types TID/PID/PGRP,
 * other types EINVAL; a fresh file's owner is type F_OWNER_TID, pid 0;
 * F_SETSIG accepts 0..64; send_sigio_to_task: the F_SETSIG signal carries
 * si_code POLL_IN/POLL_OUT/POLL_HUP, si_band and si_fd, signal 0 sends a
 * plain SIGIO; sigio_perm lets a setter signal only processes sharing its
 * uid unless it is root), fs/ioctl.c (FIOASYNC is ENOTTY on a file without
 * fasync), fs/pipe.c (readers get POLL_IN on a write, writers POLL_OUT when
 * a read makes room), net/unix/af_unix.c (POLL_IN on data, POLL_HUP when the
 * peer goes), fs/notify (inotify's POLL_IN).  Man page fcntl(2).
 */
#include "harness.h"
#include "child.h"

#include <limits.h>
#include <poll.h>
#include <sys/mount.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* Blocks `sig` (and SIGIO) and returns the set to wait on. */
static sigset_t block_io(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	if (sig)
		sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return set;
}

/* Waits up to 2 s for a signal of `set`; returns its siginfo. */
static siginfo_t wait_signal(sigset_t *set)
{
	siginfo_t info;
	struct timespec timeout = {2, 0};
	memset(&info, 0, sizeof info);
	int sig = sigtimedwait(set, &info, &timeout);
	if (sig < 0)
		FAIL("no signal: %s", h_errname(errno));
	return info;
}

/* Whether a signal of `set` is pending now (taken if so). */
static int take_pending(sigset_t *set)
{
	struct timespec zero = {0, 0};
	siginfo_t info;
	return sigtimedwait(set, &info, &zero) > 0 ? info.si_signo : 0;
}

static void unblock_all(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/* Child: in a group of its own, F_SETOWN -pgrp and F_SETOWN_EX F_OWNER_PGRP
 * name it, and its writes to descriptor arg + 1 signal it. */
static void check_group_owner(long arg)
{
	int fd = (int)arg;
	CHK(setpgid(0, 0) == 0);
	pid_t pgrp = getpgrp();
	CHK(fcntl(fd, F_SETOWN, -pgrp) == 0);
	CHK(fcntl(fd, F_GETOWN) == -pgrp);
	struct f_owner_ex ex;
	CHK(fcntl(fd, F_GETOWN_EX, &ex) == 0);
	CHK(ex.type == F_OWNER_PGRP && ex.pid == pgrp);
	ex.type = F_OWNER_PGRP;
	ex.pid = pgrp;
	CHK(fcntl(fd, F_SETOWN_EX, &ex) == 0);
	CHK(fcntl(fd, F_GETOWN) == -pgrp);
}

TEST(fasync, owner_defaults_and_errors)
{
	int p[2];
	EXPECT_OK(pipe(p));
	struct f_owner_ex ex = {.type = 99, .pid = 99};
	EXPECT_EQ(fcntl(p[0], F_GETOWN_EX, &ex), 0);
	EXPECT_EQ(ex.type, F_OWNER_TID);
	EXPECT_EQ(ex.pid, 0);
	EXPECT_EQ(fcntl(p[0], F_GETOWN), 0);
	EXPECT_EQ(fcntl(p[0], F_GETSIG), 0);

	EXPECT_ERRNO(fcntl(p[0], F_SETOWN, INT_MIN), EINVAL);
	EXPECT_ERRNO(fcntl(p[0], F_SETOWN, 999999), ESRCH);
	EXPECT_ERRNO(fcntl(p[0], F_SETOWN, -999999), ESRCH);
	ex.type = 3;
	ex.pid = getpid();
	EXPECT_ERRNO(fcntl(p[0], F_SETOWN_EX, &ex), EINVAL);
	ex.type = F_OWNER_PID;
	ex.pid = 999999;
	EXPECT_ERRNO(fcntl(p[0], F_SETOWN_EX, &ex), ESRCH);
	EXPECT_ERRNO(fcntl(p[0], F_SETOWN_EX, (void *)1), EFAULT);
	EXPECT_ERRNO(fcntl(p[0], F_GETOWN_EX, (void *)1), EFAULT);
	EXPECT_ERRNO(fcntl(p[0], F_SETSIG, 65), EINVAL);
	EXPECT_ERRNO(fcntl(p[0], F_SETSIG, -1), EINVAL);
	EXPECT_EQ(fcntl(p[0], F_SETSIG, 64), 0);
	EXPECT_EQ(fcntl(p[0], F_GETSIG), 64);

	EXPECT_EQ(fcntl(p[0], F_SETOWN, getpid()), 0);
	EXPECT_EQ(fcntl(p[0], F_GETOWN), getpid());
	EXPECT_EQ(fcntl(p[0], F_GETOWN_EX, &ex), 0);
	EXPECT_EQ(ex.type, F_OWNER_PID);
	EXPECT_EQ(ex.pid, getpid());
	/* A process group (in a child leading its own: init's group is 0). */
	EXPECT_EQ(reap(spawn(check_group_owner, p[0])), 0);
	ex.type = F_OWNER_TID;
	ex.pid = syscall(SYS_gettid);
	EXPECT_EQ(fcntl(p[0], F_SETOWN_EX, &ex), 0);
	EXPECT_EQ(fcntl(p[0], F_GETOWN), ex.pid);
	/* Owner 0: none, whatever the type. */
	EXPECT_EQ(fcntl(p[0], F_SETOWN, 0), 0);
	EXPECT_EQ(fcntl(p[0], F_GETOWN_EX, &ex), 0);
	EXPECT_EQ(ex.type, F_OWNER_PID);
	EXPECT_EQ(ex.pid, 0);
	/* The owner belongs to the open file description, shared by dups. */
	int d = EXPECT_OK(dup(p[0]));
	EXPECT_EQ(fcntl(p[0], F_SETOWN, getpid()), 0);
	EXPECT_EQ(fcntl(d, F_GETOWN), getpid());
	close(d);
	close(p[0]);
	close(p[1]);
}

TEST(fasync, fioasync)
{
	int p[2];
	EXPECT_OK(pipe(p));
	int on = 1;
	EXPECT_EQ(ioctl(p[0], FIOASYNC, &on), 0);
	EXPECT_EQX(fcntl(p[0], F_GETFL) & O_ASYNC, O_ASYNC);
	on = 0;
	EXPECT_EQ(ioctl(p[0], FIOASYNC, &on), 0);
	EXPECT_EQX(fcntl(p[0], F_GETFL) & O_ASYNC, 0);
	EXPECT_ERRNO(ioctl(p[0], FIOASYNC, (void *)1), EFAULT);
	/* A regular file has no fasync: FIOASYNC is ENOTTY, and F_SETFL leaves
	 * O_ASYNC (the fasync method's to set) alone. */
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT, 0600));
	on = 1;
	EXPECT_ERRNO(ioctl(fd, FIOASYNC, &on), ENOTTY);
	EXPECT_EQ(fcntl(fd, F_SETFL, O_ASYNC), 0);
	EXPECT_EQX(fcntl(fd, F_GETFL) & O_ASYNC, 0);
	close(fd);
	close(p[0]);
	close(p[1]);
}

TEST(fasync, pipe_sigio_and_rt_siginfo)
{
	sigset_t set = block_io(SIGRTMIN + 1);
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_EQ(fcntl(p[0], F_SETOWN, getpid()), 0);
	EXPECT_EQ(fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK), 0);
	EXPECT_EQ(write(p[1], "a", 1), 1);
	siginfo_t info = wait_signal(&set);
	EXPECT_EQ(info.si_signo, SIGIO);
	EXPECT_EQ(info.si_code, SI_KERNEL);

	EXPECT_EQ(fcntl(p[0], F_SETSIG, SIGRTMIN + 1), 0);
	EXPECT_EQ(write(p[1], "b", 1), 1);
	info = wait_signal(&set);
	EXPECT_EQ(info.si_signo, SIGRTMIN + 1);
	EXPECT_EQ(info.si_code, POLL_IN);
	EXPECT_EQ(info.si_fd, p[0]);
	EXPECT_EQX(info.si_band, POLLIN | POLLRDNORM);

	/* Writers: POLL_OUT when a read makes room. */
	EXPECT_EQ(fcntl(p[1], F_SETOWN, getpid()), 0);
	EXPECT_EQ(fcntl(p[1], F_SETSIG, SIGRTMIN + 1), 0);
	EXPECT_EQ(fcntl(p[1], F_SETFL, O_ASYNC | O_NONBLOCK), 0);
	char buf[70000];
	memset(buf, 'x', sizeof buf);
	while (write(p[1], buf, sizeof buf) > 0)
		;
	while (take_pending(&set))
		;
	EXPECT_EQ(read(p[0], buf, 4096), 4096);
	int got_out = 0;
	for (int i = 0; i < 4; i++) {
		struct timespec timeout = {1, 0};
		memset(&info, 0, sizeof info);
		if (sigtimedwait(&set, &info, &timeout) < 0)
			break;
		if (info.si_fd == p[1]) {
			EXPECT_EQ(info.si_code, POLL_OUT);
			EXPECT_EQX(info.si_band, POLLOUT | POLLWRNORM | POLLWRBAND);
			got_out = 1;
			break;
		}
	}
	EXPECT_TRUE(got_out);

	/* Cleared O_ASYNC: no more signals. */
	EXPECT_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	while (read(p[0], buf, sizeof buf) > 0)
		;
	while (take_pending(&set))
		;
	EXPECT_EQ(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	EXPECT_EQ(write(p[1], "c", 1), 1);
	EXPECT_EQ(take_pending(&set), 0);
	close(p[0]);
	close(p[1]);
	unblock_all();
}

TEST(fasync, no_owner_no_signal_and_open_flag_inert)
{
	sigset_t set = block_io(0);
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_EQ(fcntl(p[0], F_SETFL, O_ASYNC), 0);
	EXPECT_EQ(write(p[1], "a", 1), 1);
	EXPECT_EQ(take_pending(&set), 0);
	close(p[0]);
	close(p[1]);
	/* O_ASYNC given to open sets the flag but not the signals; F_SETFL with it
	 * again changes nothing, and clearing it finds nothing to remove, so the
	 * flag sticks and the file never signals. */
	EXPECT_OK(pipe(p));
	h_tmpdir();
	EXPECT_OK(mkfifo("fifo", 0600));
	int r = EXPECT_OK(open("fifo", O_RDONLY | O_NONBLOCK | O_ASYNC));
	int w = EXPECT_OK(open("fifo", O_WRONLY));
	EXPECT_EQX(fcntl(r, F_GETFL) & O_ASYNC, O_ASYNC);
	EXPECT_EQ(fcntl(r, F_SETOWN, getpid()), 0);
	EXPECT_EQ(fcntl(r, F_SETFL, O_ASYNC | O_NONBLOCK), 0);
	EXPECT_EQ(write(w, "a", 1), 1);
	EXPECT_EQ(take_pending(&set), 0);
	EXPECT_EQ(fcntl(r, F_SETFL, O_NONBLOCK), 0);
	EXPECT_EQX(fcntl(r, F_GETFL) & O_ASYNC, O_ASYNC);
	EXPECT_EQ(fcntl(r, F_SETFL, O_ASYNC | O_NONBLOCK), 0);
	EXPECT_EQ(write(w, "b", 1), 1);
	EXPECT_EQ(take_pending(&set), 0);
	close(r);
	close(w);
	close(p[0]);
	close(p[1]);
	unblock_all();
}

/* Child: leads its own group, owns descriptor arg by group, and receives
 * SIGUSR1 with si_fd when it writes to arg + 1. */
static void group_signal(long arg)
{
	int fd = (int)arg;
	sigset_t set = block_io(SIGUSR1);
	CHK(setpgid(0, 0) == 0);
	CHK(fcntl(fd, F_SETFL, O_ASYNC) == 0);
	CHK(fcntl(fd, F_SETSIG, SIGUSR1) == 0);
	CHK(fcntl(fd, F_SETOWN, -getpgrp()) == 0);
	CHK(write(fd + 1, "a", 1) == 1);
	siginfo_t info;
	struct timespec timeout = {2, 0};
	CHK(sigtimedwait(&set, &info, &timeout) == SIGUSR1);
	CHK(info.si_fd == fd);
}

TEST(fasync, group_and_thread_owner)
{
	sigset_t set = block_io(SIGUSR1);
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_EQ(p[1], p[0] + 1);
	EXPECT_EQ(reap(spawn(group_signal, p[0])), 0);
	char c;
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(fcntl(p[0], F_SETFL, O_ASYNC), 0);
	EXPECT_EQ(fcntl(p[0], F_SETSIG, SIGUSR1), 0);
	siginfo_t info;
	struct f_owner_ex ex = {F_OWNER_TID, syscall(SYS_gettid)};
	EXPECT_EQ(fcntl(p[0], F_SETOWN_EX, &ex), 0);
	EXPECT_EQ(write(p[1], "a", 1), 1);
	info = wait_signal(&set);
	EXPECT_EQ(info.si_signo, SIGUSR1);
	close(p[0]);
	close(p[1]);
	unblock_all();
}

/* Child: owner of descriptor arg >> 32 := pid arg & 0xffffffff, as uid 1000. */
static void set_owner_as_user(long arg)
{
	CHK(setresuid(1000, 1000, 1000) == 0);
	CHK(fcntl((int)(arg >> 32), F_SETOWN, (int)(arg & 0xffffffff)) == 0);
}

TEST(fasync, sigio_perm)
{
	if (geteuid() != 0)
		return;
	/* A child that set the owner as uid 1000 may not signal a root parent
	 * (sigio_perm); set as root (euid 0) it may signal anyone. */
	sigset_t set = block_io(0);
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_EQ(fcntl(p[0], F_SETFL, O_ASYNC), 0);
	pid_t parent = getpid();
	EXPECT_EQ(reap(spawn(set_owner_as_user, ((long)p[0] << 32) | parent)), 0);
	EXPECT_EQ(write(p[1], "a", 1), 1);
	EXPECT_EQ(take_pending(&set), 0);
	EXPECT_EQ(fcntl(p[0], F_SETOWN, parent), 0);
	EXPECT_EQ(write(p[1], "a", 1), 1);
	EXPECT_EQ(take_pending(&set), SIGIO);
	close(p[0]);
	close(p[1]);
	unblock_all();
}

TEST(fasync, unix_socket_in_and_hup)
{
	sigset_t set = block_io(SIGRTMIN + 2);
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int pid = getpid();
	EXPECT_EQ(ioctl(sv[0], FIOSETOWN, &pid), 0);
	int got = 0;
	EXPECT_EQ(ioctl(sv[0], SIOCGPGRP, &got), 0);
	EXPECT_EQ(got, pid);
	EXPECT_EQ(fcntl(sv[0], F_SETSIG, SIGRTMIN + 2), 0);
	int on = 1;
	EXPECT_EQ(ioctl(sv[0], FIOASYNC, &on), 0);
	EXPECT_EQ(write(sv[1], "a", 1), 1);
	siginfo_t info = wait_signal(&set);
	EXPECT_EQ(info.si_signo, SIGRTMIN + 2);
	EXPECT_EQ(info.si_code, POLL_IN);
	EXPECT_EQ(info.si_fd, sv[0]);
	close(sv[1]);
	info = wait_signal(&set);
	EXPECT_EQ(info.si_code, POLL_HUP);
	EXPECT_EQX(info.si_band, POLLHUP | POLLERR);
	close(sv[0]);
	unblock_all();
}

TEST(fasync, pty_and_inotify)
{
	sigset_t set = block_io(0);
	h_tmpdir();
	if (geteuid() == 0) {
		/* A devpts of our own (the guest's init mounts none). */
		EXPECT_OK(mkdir("pts", 0755));
		EXPECT_OK(mount("devpts", "pts", "devpts", 0, "ptmxmode=0666"));
		int master = EXPECT_OK(open("pts/ptmx", O_RDWR | O_NOCTTY));
		int unlock = 0;
		unsigned n = 0;
		EXPECT_OK(ioctl(master, TIOCSPTLCK, &unlock));
		EXPECT_OK(ioctl(master, TIOCGPTN, &n));
		char name[32];
		snprintf(name, sizeof name, "pts/%u", n);
		int slave = EXPECT_OK(open(name, O_RDWR | O_NOCTTY));
		EXPECT_EQ(fcntl(master, F_SETOWN, getpid()), 0);
		EXPECT_EQ(fcntl(master, F_SETFL, O_ASYNC | O_NONBLOCK), 0);
		EXPECT_EQ(write(slave, "a\n", 2), 2);
		wait_signal(&set);
		close(master);
		close(slave);
		EXPECT_OK(umount2("pts", MNT_DETACH));
	}

	int in = EXPECT_OK(inotify_init1(IN_NONBLOCK));
	EXPECT_OK(inotify_add_watch(in, ".", IN_CREATE));
	EXPECT_EQ(fcntl(in, F_SETOWN, getpid()), 0);
	EXPECT_EQ(fcntl(in, F_SETFL, O_ASYNC | O_NONBLOCK), 0);
	close(EXPECT_OK(open("new", O_CREAT | O_WRONLY, 0600)));
	siginfo_t info = wait_signal(&set);
	EXPECT_EQ(info.si_signo, SIGIO);
	close(in);
	unblock_all();
}
