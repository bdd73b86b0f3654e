/*
 * Suite pty: Unix98 pseudo-terminals through devpts and ptmx.
 *
 * Guards Linux 6.1's drivers/tty/pty.c, fs/devpts/inode.c, n_tty.c and
 * tty_io.c: each devpts mount is an instance holding ptmx and one node per
 * pty (136:N, owned by the opener, mode= of the mount); a ptmx node outside
 * devpts opens in the devpts mounted on the "pts" next to it (ENOENT without
 * one); a new pty is locked (slave open EIO until TIOCSPTLCK 0); TIOCGPTN,
 * TIOCGPTLCK, TIOCPKT/TIOCGPKT and TIOCGPTPEER are the master's (ENOTTY,
 * EIO on the slave); the master is raw, the slave has tty_std_termios and
 * termios/winsize ioctls on the master act on the slave; what a master
 * writes before the slave opens waits for it; the master reads EIO (and
 * polls POLLHUP) once the slave closed; the
 * master's close removes the node and hangs the slave up (read 0, write EIO,
 * SIGHUP and SIGCONT to its session leader); TIOCSWINSZ sends SIGWINCH to
 * the foreground group when the size changes; ^C from the master signals
 * the slave's foreground group; background reads get SIGTTIN (EIO when it
 * is ignored); packet mode status bytes; VMIN/VTIME; ^S/^Q flow control;
 * TIOCSIG sends only SIGINT, SIGQUIT or SIGTSTP (EINVAL else); TIOCSTI;
 * System V's TCGETA/TCSETA* on the low halves of the modes.
 * Man pages pty(7), ioctl_tty(2), termios(3).
 */
#include "harness.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

#define K_TIOCGPTN 0x80045430
#define K_TIOCSPTLCK 0x40045431
#define K_TIOCGPTLCK 0x80045439
#define K_TIOCPKT 0x5420
#define K_TIOCGPKT 0x80045438
#define K_TIOCGPTPEER 0x5441
#define K_TIOCSIG 0x40045436
#define K_DEVPTS_SUPER_MAGIC 0x1cd1

static char g_dir[512];

/* Runs body in a child with a devpts mounted on ./pts and a ptmx node next
 * to it, then detaches the mount whatever the child did. */
static void with_devpts(void (*body)(void))
{
	if (geteuid() != 0)
		return; /* mount and mknod need privilege */
	snprintf(g_dir, sizeof g_dir, "%s", h_tmpdir());
	EXPECT_OK(mkdir("pts", 0755));
	EXPECT_OK(mount("devpts", "pts", "devpts", 0, "mode=0620,ptmxmode=0666"));
	EXPECT_OK(mknod("ptmx", S_IFCHR | 0666, makedev(5, 2)));
	pid_t pid = h_fork();
	if (pid == 0) {
		body();
		h_exit(0);
	}
	siginfo_t info;
	while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	umount2("pts", MNT_DETACH);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

/* Opens a new pty; returns the master, with the slave's number in *n. */
static int open_master(int *n)
{
	int m = EXPECT_OK(open("ptmx", O_RDWR | O_NOCTTY));
	unsigned num = 99;
	EXPECT_OK(ioctl(m, K_TIOCGPTN, &num));
	*n = (int)num;
	return m;
}

static const char *slave_path(int n)
{
	static char path[600];
	snprintf(path, sizeof path, "%s/pts/%d", g_dir, n);
	return path;
}

static int unlock_and_open(int m, int n, int flags)
{
	int zero = 0;
	EXPECT_OK(ioctl(m, K_TIOCSPTLCK, &zero));
	return EXPECT_OK(open(slave_path(n), flags));
}

/* Reads exactly len bytes (blocking). */
static void read_exact(int fd, char *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = read(fd, buf + done, len - done);
		if (r <= 0)
			FAIL("read: %zd %s after %zu of %zu bytes", r,
			     h_errname(errno), done, len);
		done += r;
	}
}

static short revents(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	if (poll(&p, 1, 0) < 0)
		FAIL("poll: %s", h_errname(errno));
	return p.revents;
}

static void ptmx_makes_locked_slave_nodes_body(void)
{
	int n, n2;
	int m = open_master(&n);
	struct stat st;
	EXPECT_OK(stat(slave_path(n), &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 136);
	EXPECT_EQ(minor(st.st_rdev), n);
	EXPECT_MODE(st.st_mode & 07777, 0620);
	EXPECT_EQ(st.st_uid, 0);
	/* fstat of the master shows the ptmx node. */
	struct stat mst;
	EXPECT_OK(fstat(m, &mst));
	EXPECT_EQ(major(mst.st_rdev), 5);
	EXPECT_EQ(minor(mst.st_rdev), 2);
	/* Locked until unlockpt. */
	int locked = 0;
	EXPECT_OK(ioctl(m, K_TIOCGPTLCK, &locked));
	EXPECT_EQ(locked, 1);
	EXPECT_ERRNO(open(slave_path(n), O_RDWR | O_NOCTTY), EIO);
	int s = unlock_and_open(m, n, O_RDWR | O_NOCTTY);
	EXPECT_OK(ioctl(m, K_TIOCGPTLCK, &locked));
	EXPECT_EQ(locked, 0);
	EXPECT_EQ(isatty(s), 1);
	EXPECT_EQ(isatty(m), 1);
	/* The master's ioctls are not the slave's. */
	unsigned num;
	EXPECT_ERRNO(ioctl(s, K_TIOCGPTN, &num), ENOTTY);
	EXPECT_ERRNO(ioctl(s, K_TIOCGPTPEER, O_RDWR), EIO);
	/* A second pty takes the next number; devpts' own ptmx works too. */
	int m2 = open_master(&n2);
	EXPECT_EQ(n2, n + 1);
	int m3 = EXPECT_OK(open("pts/ptmx", O_RDWR | O_NOCTTY));
	EXPECT_OK(ioctl(m3, K_TIOCGPTN, &num));
	EXPECT_EQ(num, n + 2);
	struct statfs sfs;
	EXPECT_OK(statfs("pts", &sfs));
	EXPECT_EQX(sfs.f_type, K_DEVPTS_SUPER_MAGIC);
	/* readdir shows ptmx and the slaves. */
	DIR *d = opendir("pts");
	EXPECT_TRUE(d != NULL);
	int seen_ptmx = 0, seen = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, "ptmx") == 0)
			seen_ptmx = 1;
		else if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
			seen++;
	}
	closedir(d);
	EXPECT_EQ(seen_ptmx, 1);
	EXPECT_EQ(seen, 3);
	/* Closing a master removes its node; its number is free once the
	 * slave closed too. */
	EXPECT_OK(close(m2));
	EXPECT_ERRNO(stat(slave_path(n2), &st), ENOENT);
	int m4 = open_master(&n2);
	EXPECT_EQ(n2, n + 1);
	EXPECT_OK(close(m4));
	EXPECT_OK(close(m3));
	EXPECT_OK(close(s));
	EXPECT_OK(close(m));
}

TEST(pty, ptmx_makes_locked_slave_nodes)
{
	with_devpts(ptmx_makes_locked_slave_nodes_body);
}

TEST(pty, ptmx_needs_devpts_next_to_it)
{
	if (geteuid() != 0)
		return;
	h_tmpdir();
	EXPECT_OK(mknod("ptmx", S_IFCHR | 0666, makedev(5, 2)));
	EXPECT_ERRNO(open("ptmx", O_RDWR), ENOENT);
	EXPECT_OK(mkdir("pts", 0755));
	EXPECT_ERRNO(open("ptmx", O_RDWR), ENODEV);
	/* Slave and master numbers outside devpts open nothing. */
	EXPECT_OK(mknod("s0", S_IFCHR | 0666, makedev(136, 0)));
	EXPECT_ERRNO(open("s0", O_RDWR), EIO);
	EXPECT_OK(mknod("m0", S_IFCHR | 0666, makedev(128, 0)));
	EXPECT_ERRNO(open("m0", O_RDWR), EIO);
	EXPECT_ERRNO(mount("devpts", "pts", "devpts", 0, "bogus"), EINVAL);
	EXPECT_ERRNO(mount("devpts", "pts", "devpts", 0, "mode=9"), EINVAL);
}

static void data_echo_and_output_processing_body(void)
{
	int n;
	int m = open_master(&n);
	/* What the master writes before the slave opens waits for it. */
	EXPECT_EQ(write(m, "early\n", 6), 6);
	int s = unlock_and_open(m, n, O_RDWR | O_NOCTTY);
	/* The slave has tty_std_termios at 38400 baud; the master is raw. */
	struct termios t;
	EXPECT_OK(tcgetattr(s, &t));
	EXPECT_TRUE(t.c_lflag & ICANON);
	EXPECT_TRUE(t.c_lflag & ECHO);
	EXPECT_TRUE(t.c_oflag & ONLCR);
	EXPECT_EQ(cfgetospeed(&t), B38400);
	EXPECT_EQ(t.c_cc[VINTR], 3);
	char buf[64];
	memset(buf, 0, sizeof buf);
	EXPECT_EQ(read(s, buf, sizeof buf), 6);
	EXPECT_STREQ(buf, "early\n");
	memset(buf, 0, sizeof buf);
	read_exact(m, buf, 7);
	EXPECT_STREQ(buf, "early\r\n");
	EXPECT_EQ(write(m, "hello\r", 6), 6);
	memset(buf, 0, sizeof buf);
	EXPECT_EQ(read(s, buf, sizeof buf), 6);
	EXPECT_STREQ(buf, "hello\n");
	/* The echo comes back to the master, with CR-NL. */
	memset(buf, 0, sizeof buf);
	read_exact(m, buf, 7);
	EXPECT_STREQ(buf, "hello\r\n");
	EXPECT_EQ(write(s, "out\n", 4), 4);
	memset(buf, 0, sizeof buf);
	read_exact(m, buf, 5);
	EXPECT_STREQ(buf, "out\r\n");
	/* Line editing: erase and kill. */
	EXPECT_EQ(write(m, "ab\x7f" "c\x15xy\n", 8), 8);
	memset(buf, 0, sizeof buf);
	EXPECT_EQ(read(s, buf, sizeof buf), 3);
	EXPECT_STREQ(buf, "xy\n");
	/* EOF: a line without its newline, then end of file. */
	EXPECT_EQ(write(m, "z\x04\x04", 3), 3);
	EXPECT_EQ(read(s, buf, sizeof buf), 1);
	EXPECT_EQ(read(s, buf, sizeof buf), 0);
	/* Nothing waits for the master: EAGAIN. */
	EXPECT_OK(fcntl(m, F_SETFL, O_NONBLOCK));
	tcflush(m, TCIFLUSH);
	EXPECT_ERRNO(read(m, buf, sizeof buf), EAGAIN);
	int count = -1;
	EXPECT_OK(ioctl(m, FIONREAD, &count));
	EXPECT_EQ(count, 0);
}

TEST(pty, data_echo_and_output_processing)
{
	with_devpts(data_echo_and_output_processing_body);
}

static void termios_on_master_is_the_slaves_body(void)
{
	int n;
	int m = open_master(&n);
	int s = unlock_and_open(m, n, O_RDWR | O_NOCTTY);
	struct termios tm, ts;
	EXPECT_OK(tcgetattr(m, &tm));
	EXPECT_OK(tcgetattr(s, &ts));
	EXPECT_EQ(tm.c_iflag, ts.c_iflag);
	EXPECT_EQ(tm.c_oflag, ts.c_oflag);
	EXPECT_EQ(tm.c_cflag, ts.c_cflag);
	EXPECT_EQ(tm.c_lflag, ts.c_lflag);
	EXPECT_MEMEQ(tm.c_cc, ts.c_cc, 19);
	cfmakeraw(&tm);
	EXPECT_OK(tcsetattr(m, TCSANOW, &tm));
	EXPECT_OK(tcgetattr(s, &ts));
	EXPECT_EQ(ts.c_lflag & (ICANON | ECHO), 0);
	/* Raw: bytes arrive at once, without echo. */
	EXPECT_EQ(write(m, "a\r", 2), 2);
	char buf[8];
	read_exact(s, buf, 2);
	EXPECT_EQ(buf[1], '\r');
	EXPECT_OK(fcntl(m, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(read(m, buf, sizeof buf), EAGAIN);
	/* A pty keeps 8 bits and no parity (glibc's tcsetattr would call that
	 * EINVAL: the raw ioctls show what the kernel does). */
	struct k_termios {
		uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
		uint8_t c_line, c_cc[19];
	} kt;
	EXPECT_OK(ioctl(s, TCGETS, &kt));
	kt.c_cflag = (kt.c_cflag & ~CSIZE) | CS7 | PARENB;
	EXPECT_OK(ioctl(s, TCSETS, &kt));
	EXPECT_OK(ioctl(s, TCGETS, &kt));
	EXPECT_EQ(kt.c_cflag & CSIZE, CS8);
	EXPECT_EQ(kt.c_cflag & PARENB, 0);
}

TEST(pty, termios_on_master_is_the_slaves)
{
	with_devpts(termios_on_master_is_the_slaves_body);
}

#define K_TCGETA 0x5405
#define K_TCSETA 0x5406
#define K_TCSETAW 0x5407
#define K_TCSETAF 0x5408
#define K_CRTSCTS 020000000000u

/* System V's struct termio: the low 16 bits of each mode word, the line and
 * the first NCC (8) control characters (tty_ioctl.c's get_termio and
 * set_termios with TERMIOS_TERMIO, user_termio_to_kernel_termios). */
static void termio_ioctls_body(void)
{
	struct k_termios {
		uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
		uint8_t c_line, c_cc[19];
	} kt;
	struct k_termio {
		uint16_t c_iflag, c_oflag, c_cflag, c_lflag;
		uint8_t c_line, c_cc[8];
	} ta;
	EXPECT_EQ(sizeof ta, 18);
	int n;
	int m = open_master(&n);
	int s = unlock_and_open(m, n, O_RDWR | O_NOCTTY);
	EXPECT_OK(ioctl(s, TCGETS, &kt));
	kt.c_cflag |= K_CRTSCTS;
	kt.c_cc[VEOL2] = 'x';
	EXPECT_OK(ioctl(s, TCSETS, &kt));
	memset(&ta, 0xff, sizeof ta);
	EXPECT_OK(ioctl(s, K_TCGETA, &ta));
	EXPECT_EQ(ta.c_iflag, (uint16_t)kt.c_iflag);
	EXPECT_EQ(ta.c_oflag, (uint16_t)kt.c_oflag);
	EXPECT_EQ(ta.c_cflag, (uint16_t)kt.c_cflag);
	EXPECT_EQ(ta.c_lflag, (uint16_t)kt.c_lflag);
	EXPECT_EQ(ta.c_line, 0);
	EXPECT_MEMEQ(ta.c_cc, kt.c_cc, 8);
	/* The master answers for the slave. */
	struct k_termio tm;
	EXPECT_OK(ioctl(m, K_TCGETA, &tm));
	EXPECT_MEMEQ(&tm, &ta, 17);
	/* Setting replaces the low halves and the first 8 characters only. */
	ta.c_lflag &= ~ECHO;
	ta.c_cc[VINTR] = 1;
	EXPECT_OK(ioctl(s, K_TCSETA, &ta));
	EXPECT_OK(ioctl(s, TCGETS, &kt));
	EXPECT_EQ(kt.c_lflag & ECHO, 0);
	EXPECT_EQ(kt.c_cc[VINTR], 1);
	EXPECT_EQ(kt.c_cc[VEOL2], 'x');
	EXPECT_EQ(kt.c_cflag & K_CRTSCTS, K_CRTSCTS);
	ta.c_lflag |= ECHO;
	EXPECT_OK(ioctl(m, K_TCSETAW, &ta));
	EXPECT_OK(ioctl(s, K_TCSETAF, &ta));
	EXPECT_OK(ioctl(s, TCGETS, &kt));
	EXPECT_EQ(kt.c_lflag & ECHO, ECHO);
	/* Bad addresses, and files that are no terminal. */
	EXPECT_ERRNO(ioctl(s, K_TCGETA, (void *)-1), EFAULT);
	EXPECT_ERRNO(ioctl(s, K_TCGETA, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(s, K_TCSETA, NULL), EFAULT);
	int f = EXPECT_OK(open(".", O_RDONLY));
	EXPECT_ERRNO(ioctl(f, K_TCGETA, &ta), ENOTTY);
	close(f);
	close(s);
	close(m);
}

TEST(pty, termio_ioctls)
{
	with_devpts(termio_ioctls_body);
}

static void vmin_vtime_body(void)
{
	int n;
	int m = open_master(&n);
	int s = unlock_and_open(m, n, O_RDWR | O_NOCTTY);
	struct termios t;
	EXPECT_OK(tcgetattr(s, &t));
	cfmakeraw(&t);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	EXPECT_OK(tcsetattr(s, TCSANOW, &t));
	char buf[8];
	/* MIN 0, TIME 0: return at once, with nothing. */
	EXPECT_EQ(read(s, buf, sizeof buf), 0);
	/* MIN 0, TIME 1: wait at most a tenth of a second. */
	t.c_cc[VTIME] = 1;
	EXPECT_OK(tcsetattr(s, TCSANOW, &t));
	EXPECT_EQ(read(s, buf, sizeof buf), 0);
	EXPECT_EQ(write(m, "q", 1), 1);
	EXPECT_EQ(read(s, buf, sizeof buf), 1);
	/* MIN 2: poll wants two bytes; a non-blocking read takes what is there. */
	t.c_cc[VMIN] = 2;
	t.c_cc[VTIME] = 0;
	EXPECT_OK(tcsetattr(s, TCSANOW, &t));
	EXPECT_EQ(write(m, "r", 1), 1);
	EXPECT_EQ(revents(s, POLLIN), 0);
	EXPECT_EQ(write(m, "t", 1), 1);
	EXPECT_EQ(revents(s, POLLIN), POLLIN);
	EXPECT_EQ(read(s, buf, 1), 1);
	EXPECT_OK(fcntl(s, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(read(s, buf, sizeof buf), 1);
	EXPECT_ERRNO(read(s, buf, sizeof buf), EAGAIN);
}

TEST(pty, vmin_vtime)
{
	with_devpts(vmin_vtime_body);
}

static void close_rules_body(void)
{
	int n;
	int m = open_master(&n);
	int s = unlock_and_open(m, n, O_RDWR | O_NOCTTY);
	EXPECT_EQ(revents(m, POLLIN | POLLOUT), POLLOUT);
	EXPECT_EQ(write(s, "bye", 3), 3);
	EXPECT_OK(close(s));
	/* The slave closed: what it wrote is read, then EIO; POLLHUP. */
	char buf[8];
	EXPECT_EQ(revents(m, POLLIN) & (POLLIN | POLLHUP), POLLIN | POLLHUP);
	EXPECT_EQ(read(m, buf, sizeof buf), 3);
	EXPECT_ERRNO(read(m, buf, sizeof buf), EIO);
	EXPECT_TRUE(revents(m, POLLIN) & POLLHUP);
	/* Reopening the slave clears it. */
	s = EXPECT_OK(open(slave_path(n), O_RDWR | O_NOCTTY));
	EXPECT_EQ(revents(m, POLLIN), 0);
	EXPECT_EQ(write(m, "\n", 1), 1);
	/* The master closes: the slave hangs up and its node goes. */
	EXPECT_OK(close(m));
	struct stat st;
	EXPECT_ERRNO(stat(slave_path(n), &st), ENOENT);
	EXPECT_EQ(read(s, buf, sizeof buf), 0);
	EXPECT_ERRNO(write(s, "x", 1), EIO);
	EXPECT_EQ(revents(s, POLLIN | POLLOUT) & (POLLIN | POLLOUT | POLLHUP),
		  POLLIN | POLLOUT | POLLHUP);
	struct termios t;
	EXPECT_ERRNO(ioctl(s, TCGETS, &t), EIO);
}

TEST(pty, close_rules)
{
	with_devpts(close_rules_body);
}

static volatile sig_atomic_t g_hup, g_cont, g_winch, g_int;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		g_hup++;
	else if (sig == SIGCONT)
		g_cont++;
	else if (sig == SIGWINCH)
		g_winch++;
	else if (sig == SIGINT)
		g_int++;
}

/* Catches SIGHUP, SIGCONT, SIGWINCH and SIGINT, blocked until wait_signal. */
static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCONT, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCONT);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Waits until *flag is set by a caught signal (Linux may send it from a
 * worker, after the call that caused it returned). */
static void wait_signal(volatile sig_atomic_t *flag)
{
	sigset_t none;
	sigemptyset(&none);
	while (!*flag)
		sigsuspend(&none);
}

static int is_pending(int sig)
{
	sigset_t set;
	sigpending(&set);
	return sigismember(&set, sig);
}

/* In a child: a new session whose controlling terminal is the slave. */
static int become_session_on(int n)
{
	if (setsid() < 0)
		FAIL("setsid: %s", h_errname(errno));
	int s = open(slave_path(n), O_RDWR);
	if (s < 0)
		FAIL("open slave: %s", h_errname(errno));
	return s;
}

static void controlling_terminal_and_signals_body(void)
{
	int n;
	int m = open_master(&n);
	int zero = 0;
	EXPECT_OK(ioctl(m, K_TIOCSPTLCK, &zero));
	int go[2], done[2];
	h_pipe(go);
	h_pipe(done);
	pid_t pid = h_fork();
	if (pid == 0) {
		/* Only the parent holds the master: its close is the last. */
		EXPECT_OK(close(m));
		catch_signals();
		int s = become_session_on(n);
		/* Opening the slave without O_NOCTTY made it our terminal. */
		pid_t sid = 0;
		EXPECT_OK(ioctl(s, TIOCGSID, &sid));
		EXPECT_EQ(sid, getpid());
		EXPECT_EQ(tcgetpgrp(s), getpid());
		int t = EXPECT_OK(open("/dev/tty", O_RDWR));
		struct stat st;
		EXPECT_OK(fstat(t, &st));
		EXPECT_EQ(major(st.st_rdev), 5);
		h_post(done[1]);
		/* ^C from the master: SIGINT. */
		h_wait_byte(go[0]);
		wait_signal(&g_int);
		/* TIOCSWINSZ: SIGWINCH when the size changes, not when not. */
		h_post(done[1]);
		h_wait_byte(go[0]);
		EXPECT_EQ(is_pending(SIGWINCH), 1);
		wait_signal(&g_winch);
		h_post(done[1]);
		h_wait_byte(go[0]);
		EXPECT_EQ(is_pending(SIGWINCH), 0);
		struct winsize ws;
		EXPECT_OK(ioctl(s, TIOCGWINSZ, &ws));
		EXPECT_EQ(ws.ws_row, 24);
		EXPECT_EQ(ws.ws_col, 80);
		h_post(done[1]);
		/* The master closes: SIGHUP and SIGCONT, and no terminal. */
		h_wait_byte(go[0]);
		wait_signal(&g_hup);
		wait_signal(&g_cont);
		EXPECT_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
		h_exit(0);
	}
	h_wait_byte(done[0]);
	/* The master sees the slave's foreground group and session. */
	pid_t pgrp = 0, sid = 0;
	EXPECT_OK(ioctl(m, TIOCGPGRP, &pgrp));
	EXPECT_EQ(pgrp, pid);
	EXPECT_OK(ioctl(m, TIOCGSID, &sid));
	EXPECT_EQ(sid, pid);
	EXPECT_EQ(write(m, "\x03", 1), 1);
	h_post(go[1]);
	h_wait_byte(done[0]);
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	EXPECT_OK(ioctl(m, TIOCSWINSZ, &ws));
	h_post(go[1]);
	h_wait_byte(done[0]);
	EXPECT_OK(ioctl(m, TIOCSWINSZ, &ws));
	h_post(go[1]);
	h_wait_byte(done[0]);
	EXPECT_OK(close(m));
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(pty, controlling_terminal_and_signals)
{
	with_devpts(controlling_terminal_and_signals_body);
}

static void background_read_sigttin_body(void)
{
	int n;
	int m = open_master(&n);
	int zero = 0;
	EXPECT_OK(ioctl(m, K_TIOCSPTLCK, &zero));
	pid_t pid = h_fork();
	if (pid == 0) {
		int s = become_session_on(n);
		pid_t bg = h_fork();
		if (bg == 0) {
			/* A background group (our own) reading: SIGTTIN stops
			 * it; ignored, the read is EIO. */
			EXPECT_OK(setpgid(0, 0));
			signal(SIGTTIN, SIG_IGN);
			char c;
			EXPECT_ERRNO(read(s, &c, 1), EIO);
			/* Writes go through without TOSTOP. */
			EXPECT_EQ(write(s, "w", 1), 1);
			h_exit(0);
		}
		EXPECT_EQ(h_wait_exit(bg), 0);
		bg = h_fork();
		if (bg == 0) {
			EXPECT_OK(setpgid(0, 0));
			char c;
			read(s, &c, 1);
			h_exit(9);
		}
		int status = 0;
		EXPECT_EQ(waitpid(bg, &status, WUNTRACED), bg);
		EXPECT_TRUE(WIFSTOPPED(status));
		EXPECT_EQ(WSTOPSIG(status), SIGTTIN);
		kill(bg, SIGKILL);
		waitpid(bg, &status, 0);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	char buf[4];
	read_exact(m, buf, 1);
	EXPECT_EQ(buf[0], 'w');
}

TEST(pty, background_read_sigttin)
{
	with_devpts(background_read_sigttin_body);
}

static void packet_mode_body(void)
{
	int n;
	int m = open_master(&n);
	int s = unlock_and_open(m, n, O_RDWR | O_NOCTTY);
	int on = 1, got = 0;
	EXPECT_OK(ioctl(m, K_TIOCGPKT, &got));
	EXPECT_EQ(got, 0);
	EXPECT_OK(ioctl(m, K_TIOCPKT, &on));
	EXPECT_OK(ioctl(m, K_TIOCGPKT, &got));
	EXPECT_EQ(got, 1);
	EXPECT_ERRNO(ioctl(s, K_TIOCPKT, &on), ENOTTY);
	EXPECT_EQ(write(s, "x", 1), 1);
	char buf[16];
	EXPECT_EQ(read(m, buf, sizeof buf), 2);
	EXPECT_EQ(buf[0], 0);
	EXPECT_EQ(buf[1], 'x');
	/* The slave flushes its input: a status byte, POLLPRI. */
	EXPECT_OK(tcflush(s, TCIFLUSH));
	EXPECT_EQ(revents(m, POLLIN | POLLPRI), POLLIN | POLLPRI);
	EXPECT_EQ(read(m, buf, sizeof buf), 1);
	EXPECT_EQ(buf[0], 1); /* TIOCPKT_FLUSHREAD */
	/* ^S/^Q flow control goes off: NOSTOP. */
	struct termios t;
	EXPECT_OK(tcgetattr(s, &t));
	t.c_iflag &= ~IXON;
	EXPECT_OK(tcsetattr(s, TCSANOW, &t));
	EXPECT_EQ(read(m, buf, sizeof buf), 1);
	EXPECT_EQ(buf[0], 16); /* TIOCPKT_NOSTOP */
	t.c_iflag |= IXON;
	EXPECT_OK(tcsetattr(s, TCSANOW, &t));
	EXPECT_EQ(read(m, buf, sizeof buf), 1);
	EXPECT_EQ(buf[0], 32); /* TIOCPKT_DOSTOP */
	/* ^S from the master stops the slave's output: STOP, then START. */
	EXPECT_EQ(write(m, "\x13", 1), 1);
	EXPECT_EQ(read(m, buf, sizeof buf), 1);
	EXPECT_EQ(buf[0], 4); /* TIOCPKT_STOP */
	EXPECT_OK(fcntl(s, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(write(s, "y", 1), EAGAIN);
	EXPECT_EQ(revents(s, POLLOUT), 0);
	EXPECT_EQ(write(m, "\x11", 1), 1);
	EXPECT_EQ(read(m, buf, sizeof buf), 1);
	EXPECT_EQ(buf[0], 8); /* TIOCPKT_START */
	EXPECT_EQ(write(s, "y", 1), 1);
	EXPECT_EQ(read(m, buf, sizeof buf), 2);
	EXPECT_EQ(buf[1], 'y');
}

TEST(pty, packet_mode)
{
	with_devpts(packet_mode_body);
}

static void tiocgptpeer_body(void)
{
	int n;
	int m = open_master(&n);
	int zero = 0;
	EXPECT_OK(ioctl(m, K_TIOCSPTLCK, &zero));
	int s = EXPECT_OK(ioctl(m, K_TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
	struct stat st;
	EXPECT_OK(fstat(s, &st));
	EXPECT_EQ(major(st.st_rdev), 136);
	EXPECT_EQ(minor(st.st_rdev), n);
	EXPECT_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(s, F_GETFL) & O_ACCMODE, O_RDWR);
	EXPECT_EQ(write(m, "p\n", 2), 2);
	char buf[8];
	EXPECT_EQ(read(s, buf, sizeof buf), 2);
	EXPECT_EQ(buf[0], 'p');
}

TEST(pty, tiocgptpeer)
{
	with_devpts(tiocgptpeer_body);
}

static void tiocsig_and_tiocsti_body(void)
{
	int n;
	int m = open_master(&n);
	int zero = 0;
	EXPECT_OK(ioctl(m, K_TIOCSPTLCK, &zero));
	int go[2], done[2];
	h_pipe(go);
	h_pipe(done);
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(close(m));
		catch_signals();
		int s = become_session_on(n);
		/* TIOCSTI on our terminal feeds its input. */
		char c = 'k';
		EXPECT_OK(ioctl(s, TIOCSTI, &c));
		EXPECT_OK(ioctl(s, TIOCSTI, "\n"));
		char buf[4];
		EXPECT_EQ(read(s, buf, sizeof buf), 2);
		EXPECT_EQ(buf[0], 'k');
		h_post(done[1]);
		h_wait_byte(go[0]);
		wait_signal(&g_int);
		h_exit(0);
	}
	h_wait_byte(done[0]);
	/* Only the signals ^C, ^\ and ^Z would send. */
	EXPECT_ERRNO(ioctl(m, K_TIOCSIG, 0), EINVAL);
	EXPECT_ERRNO(ioctl(m, K_TIOCSIG, SIGHUP), EINVAL);
	EXPECT_ERRNO(ioctl(m, K_TIOCSIG, 65), EINVAL);
	EXPECT_OK(ioctl(m, K_TIOCSIG, SIGINT));
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(pty, tiocsig_and_tiocsti)
{
	with_devpts(tiocsig_and_tiocsti_body);
}
