/*
 * Suite vhangup: vhangup(2) as Linux 6.1's fs/open.c and tty_io.c
 * (tty_vhangup_self): EPERM without CAP_SYS_TTY_CONFIG; with it, the
 * caller's controlling terminal is hung up: its open files read end of file
 * and write EIO, the session loses the terminal (/dev/tty ENXIO), the
 * session leader gets SIGHUP and SIGCONT; the terminal can be opened again.
 * Without a controlling terminal it does nothing and succeeds.
 */
#include "../harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void as_nobody(void *arg)
{
	(void)arg;
	EXPECT_OK(setgid(65534));
	EXPECT_OK(setuid(65534));
	EXPECT_ERRNO(syscall(SYS_vhangup), EPERM);
}

TEST(vhangup, needs_cap_sys_tty_config)
{
	if (getuid() != 0)
		return;
	EXPECT_CHILD_OK(as_nobody, NULL);
}

static void without_tty(void *arg)
{
	(void)arg;
	EXPECT_GE(setsid(), 0);
	EXPECT_OK(syscall(SYS_vhangup));
}

TEST(vhangup, without_a_terminal)
{
	if (getuid() != 0)
		return;
	EXPECT_CHILD_OK(without_tty, NULL);
}

static void hangs_up(void *arg)
{
	(void)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCONT);
	EXPECT_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	EXPECT_GE(setsid(), 0);
	/* A pty of the devpts mounted on ./pts (see the test). */
	int master = open("ptmx", O_RDWR | O_NOCTTY);
	EXPECT_GE(master, 0);
	unsigned n = 99;
	int zero = 0;
	EXPECT_OK(ioctl(master, TIOCGPTN, &n));
	EXPECT_OK(ioctl(master, TIOCSPTLCK, &zero));
	char name[64];
	snprintf(name, sizeof name, "pts/%u", n);
	int slave = open(name, O_RDWR);
	EXPECT_GE(slave, 0);
	/* The session leader's first terminal became its controlling one. */
	int tty = open("/dev/tty", O_RDWR);
	EXPECT_GE(tty, 0);
	close(tty);
	EXPECT_EQ(write(master, "x\n", 2), 2);
	/* Linux moves it to the line discipline in a worker (on another CPU, on
	 * SMP): wait until the slave has it, so that the hang-up drops it. */
	struct pollfd ready = {slave, POLLIN, 0};
	EXPECT_EQ(poll(&ready, 1, 5000), 1);
	EXPECT_OK(syscall(SYS_vhangup));
	sigset_t pending;
	EXPECT_OK(sigpending(&pending));
	EXPECT_TRUE(sigismember(&pending, SIGHUP));
	EXPECT_TRUE(sigismember(&pending, SIGCONT));
	char c;
	EXPECT_EQ(read(slave, &c, 1), 0);
	EXPECT_ERRNO(write(slave, "y", 1), EIO);
	EXPECT_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
	/* A new open works as before. */
	int again = open(name, O_RDWR | O_NOCTTY);
	EXPECT_GE(again, 0);
	EXPECT_EQ(write(master, "z\n", 2), 2);
	char buf[8];
	EXPECT_EQ(read(again, buf, sizeof buf), 2);
	EXPECT_EQ(buf[0], 'z');
	/* No controlling terminal now: nothing to hang up. */
	EXPECT_OK(syscall(SYS_vhangup));
	EXPECT_EQ(write(again, "w", 1), 1);
}

TEST(vhangup, hangs_up_the_controlling_terminal)
{
	if (getuid() != 0)
		return;
	EXPECT_OK(chdir(h_tmpdir()));
	EXPECT_OK(mkdir("pts", 0755));
	EXPECT_OK(mount("devpts", "pts", "devpts", 0, "mode=0620,ptmxmode=0666"));
	EXPECT_OK(mknod("ptmx", S_IFCHR | 0666, makedev(5, 2)));
	pid_t pid = h_fork();
	if (pid == 0) {
		hangs_up(NULL);
		h_exit(0);
	}
	siginfo_t info;
	while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	umount2("pts", MNT_DETACH);
	EXPECT_EQ(h_wait_exit(pid), 0);
}
