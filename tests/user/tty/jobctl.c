/*
 * Suite jobctl: the console as a controlling terminal: TIOCSCTTY, TIOCNOTTY,
 * TIOCGPGRP/TIOCSPGRP (tcgetpgrp/tcsetpgrp), TIOCGSID, /dev/tty, SIGTTOU for
 * background processes, the ISIG characters (fed with TIOCSTI), and the
 * hang-up when the session leader exits.
 *
 * Guards Linux's drivers/tty/tty_jobctrl.c and n_tty.c: only a session
 * leader without a terminal may take one (EPERM), and one another session
 * holds only with argument 1 and CAP_SYS_ADMIN; opening /dev/console never
 * makes it the controlling tty; TIOCGPGRP/TIOCGSID/TIOCNOTTY are ENOTTY on a
 * tty that is not the caller's; TIOCSPGRP wants a group of the caller's
 * session (ESRCH, EPERM, EINVAL for negative); a background process changing
 * the terminal gets SIGTTOU (EINTR with a handler, stopped by default,
 * allowed when SIGTTOU is blocked, EIO from an orphaned group); ^C, ^\ and ^Z
 * send SIGINT, SIGQUIT, SIGTSTP to the foreground group and flush the input
 * unless NOFLSH; the leader's exit sends SIGHUP to the foreground group.
 * Runs only as init (root, the console free).  Man pages ioctl_tty(2),
 * termios(3), credentials(7).
 */
#include "harness.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>

#define NO_PID 0x3ffffff0

static int console(void)
{
	return EXPECT_OK(open("/dev/console", O_RDWR | O_NOCTTY));
}

static int get_pgrp(int fd)
{
	int pg = -1;
	EXPECT_EQ(ioctl(fd, TIOCGPGRP, &pg), 0);
	return pg;
}

static long set_pgrp(int fd, int pg)
{
	return ioctl(fd, TIOCSPGRP, &pg);
}

/* Become a session leader with the console as controlling terminal. */
static int take_console(void)
{
	EXPECT_EQ(setsid(), getpid());
	int fd = console();
	EXPECT_EQ(ioctl(fd, TIOCSCTTY, 0), 0);
	return fd;
}

static void basics(void *arg)
{
	(void)arg;
	EXPECT_EQ(setsid(), getpid());
	int fd = console();
	int pg = 123;
	EXPECT_ERRNO(ioctl(fd, TIOCGPGRP, &pg), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, TIOCGSID, &pg), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, TIOCNOTTY), ENOTTY);
	EXPECT_ERRNO(set_pgrp(fd, getpid()), ENOTTY);
	EXPECT_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
	/* Opening the console without O_NOCTTY does not make it ours. */
	int again = EXPECT_OK(open("/dev/console", O_RDWR));
	EXPECT_ERRNO(ioctl(again, TIOCGPGRP, &pg), ENOTTY);
	EXPECT_EQ(ioctl(fd, TIOCSCTTY, 0), 0);
	EXPECT_EQ(get_pgrp(fd), getpid());
	EXPECT_EQ(ioctl(fd, TIOCGSID, &pg), 0);
	EXPECT_EQ(pg, getpid());
	EXPECT_EQ(tcgetsid(fd), getpid());
	EXPECT_EQ(ioctl(fd, TIOCSCTTY, 0), 0); /* already ours */
	int tty = EXPECT_OK(open("/dev/tty", O_RDWR));
	EXPECT_EQ(get_pgrp(tty), getpid());
	/* Giving it up sends SIGHUP and SIGCONT to the foreground group. */
	signal(SIGHUP, SIG_IGN);
	EXPECT_EQ(ioctl(fd, TIOCNOTTY), 0);
	EXPECT_ERRNO(ioctl(fd, TIOCGPGRP, &pg), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, TIOCNOTTY), ENOTTY);
}

TEST(jobctl, sctty_notty_and_dev_tty)
{
	if (!h_is_init())
		return;
	EXPECT_CHILD_OK(basics, NULL);
}

static void not_leader(void *arg)
{
	(void)arg;
	int fd = console();
	EXPECT_ERRNO(ioctl(fd, TIOCSCTTY, 0), EPERM);
	/* A group leader that is no session leader either. */
	EXPECT_EQ(setpgid(0, 0), 0);
	EXPECT_ERRNO(ioctl(fd, TIOCSCTTY, 1), EPERM);
}

TEST(jobctl, sctty_needs_session_leader)
{
	if (!h_is_init())
		return;
	EXPECT_CHILD_OK(not_leader, NULL);
}

static void steal(void *arg)
{
	(void)arg;
	int p[2], q[2];
	h_pipe(p);
	h_pipe(q);
	pid_t a = h_fork();
	if (a == 0) {
		int fd = take_console();
		h_post(q[1]);
		h_wait_byte(p[0]);
		int pg;
		EXPECT_ERRNO(ioctl(fd, TIOCGPGRP, &pg), ENOTTY);
		h_exit(0);
	}
	h_wait_byte(q[0]);
	pid_t b = h_fork();
	if (b == 0) {
		EXPECT_EQ(setsid(), getpid());
		int fd = console();
		EXPECT_ERRNO(ioctl(fd, TIOCSCTTY, 0), EPERM);
		EXPECT_EQ(ioctl(fd, TIOCSCTTY, 1), 0); /* root steals it */
		EXPECT_EQ(get_pgrp(fd), getpid());
		h_post(p[1]);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(b), 0);
	EXPECT_EQ(h_wait_exit(a), 0);
}

TEST(jobctl, sctty_steal_with_arg_1)
{
	if (!h_is_init())
		return;
	EXPECT_CHILD_OK(steal, NULL);
}

static void spgrp_errors(void *arg)
{
	(void)arg;
	int fd = take_console();
	int r[2], go[2];
	h_pipe(r);
	h_pipe(go);
	pid_t c = h_fork();
	if (c == 0) {
		setpgid(0, 0);
		h_post(r[1]);
		h_wait_byte(go[0]);
		h_exit(0);
	}
	setpgid(c, c);
	h_wait_byte(r[0]);
	EXPECT_ERRNO(set_pgrp(fd, -1), EINVAL);
	EXPECT_ERRNO(set_pgrp(fd, NO_PID), ESRCH);
	EXPECT_ERRNO(set_pgrp(fd, 0), ESRCH);
	EXPECT_ERRNO(set_pgrp(fd, 1), EPERM); /* init: session 0 */
	EXPECT_ERRNO(ioctl(fd, TIOCSPGRP, H_BAD_PTR), EFAULT);
	EXPECT_EQ(get_pgrp(fd), getpid());
	EXPECT_EQ(tcsetpgrp(fd, c), 0);
	EXPECT_EQ(tcgetpgrp(fd), c);
	/* Now in the background, in an orphaned group (our parent is in
	 * another session): EIO instead of SIGTTOU, which TIOCSPGRP reports as
	 * ENOTTY; tcsetattr says EIO. */
	EXPECT_ERRNO(set_pgrp(fd, getpid()), ENOTTY);
	struct termios t;
	EXPECT_EQ(tcgetattr(fd, &t), 0);
	EXPECT_ERRNO(tcsetattr(fd, TCSANOW, &t), EIO);
	EXPECT_ERRNO(ioctl(fd, TIOCGPGRP, H_BAD_PTR), EFAULT);
	/* With SIGTTOU blocked the change is allowed. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTTOU);
	EXPECT_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	EXPECT_EQ(set_pgrp(fd, getpid()), 0);
	EXPECT_EQ(get_pgrp(fd), getpid());
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(c), 0);
}

TEST(jobctl, tiocspgrp_rules)
{
	if (!h_is_init())
		return;
	EXPECT_CHILD_OK(spgrp_errors, NULL);
}

static volatile sig_atomic_t got_ttou;
static void on_ttou(int sig)
{
	(void)sig;
	got_ttou++;
}

static void background(void *arg)
{
	(void)arg;
	int fd = take_console();
	int r[2];
	h_pipe(r);
	/* c: a background group whose parent (us) is in another group of the
	 * session, so not orphaned. */
	pid_t c = h_fork();
	if (c == 0) {
		setpgid(0, 0);
		struct sigaction sa = {0};
		sa.sa_handler = on_ttou;
		sigaction(SIGTTOU, &sa, NULL);
		EXPECT_ERRNO(set_pgrp(fd, getpid()), EINTR);
		EXPECT_EQ(got_ttou, 1);
		struct termios t;
		EXPECT_EQ(tcgetattr(fd, &t), 0);
		EXPECT_ERRNO(tcsetattr(fd, TCSANOW, &t), EINTR);
		EXPECT_EQ(got_ttou, 2);
		signal(SIGTTOU, SIG_IGN);
		EXPECT_EQ(tcsetattr(fd, TCSANOW, &t), 0);
		EXPECT_EQ(set_pgrp(fd, getpid()), 0);
		EXPECT_EQ(get_pgrp(fd), getpid());
		h_exit(0);
	}
	setpgid(c, c);
	EXPECT_EQ(h_wait_exit(c), 0);
	/* The foreground group is c's, now empty; take it back (our group is
	 * orphaned, so block SIGTTOU). */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTTOU);
	EXPECT_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	EXPECT_EQ(tcsetpgrp(fd, getpid()), 0);
	EXPECT_EQ(sigprocmask(SIG_UNBLOCK, &set, NULL), 0);
	/* d stops on SIGTTOU by default. */
	pid_t d = h_fork();
	if (d == 0) {
		setpgid(0, 0);
		struct termios t;
		tcgetattr(fd, &t);
		tcsetattr(fd, TCSANOW, &t);
		h_exit(0);
	}
	setpgid(d, d);
	int st = 0;
	EXPECT_EQ(waitpid(d, &st, WUNTRACED), d);
	EXPECT_TRUE(WIFSTOPPED(st));
	EXPECT_EQ(WSTOPSIG(st), SIGTTOU);
	EXPECT_EQ(kill(d, SIGKILL), 0);
	EXPECT_EQ(h_wait_signaled(d, NULL), SIGKILL);
	close(r[0]);
}

TEST(jobctl, background_gets_sigttou)
{
	if (!h_is_init())
		return;
	EXPECT_CHILD_OK(background, NULL);
}

static volatile sig_atomic_t got_int, got_quit, got_tstp;
static void on_sig(int sig)
{
	if (sig == SIGINT)
		got_int++;
	else if (sig == SIGQUIT)
		got_quit++;
	else if (sig == SIGTSTP)
		got_tstp++;
}

static void sti(int fd, const char *s)
{
	for (; *s; s++)
		EXPECT_EQ(ioctl(fd, TIOCSTI, s), 0);
}

static int inq(int fd)
{
	int n = -1;
	EXPECT_EQ(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

static void isig(void *arg)
{
	const struct termios *saved = arg;
	int fd = take_console();
	struct termios t = *saved;
	t.c_lflag &= ~(ECHO | NOFLSH);
	t.c_lflag |= ISIG | ICANON;
	EXPECT_EQ(tcsetattr(fd, TCSAFLUSH, &t), 0);
	struct sigaction sa = {0};
	sa.sa_handler = on_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGTSTP, &sa, NULL);
	sti(fd, "\x03");
	EXPECT_EQ(got_int, 1);
	sti(fd, "\x1c");
	EXPECT_EQ(got_quit, 1);
	sti(fd, "\x1a");
	EXPECT_EQ(got_tstp, 1);
	/* The signal characters flush the input... */
	sti(fd, "ab\n");
	EXPECT_EQ(inq(fd), 3);
	sti(fd, "\x03");
	EXPECT_EQ(got_int, 2);
	EXPECT_EQ(inq(fd), 0);
	/* ...unless NOFLSH. */
	t.c_lflag |= NOFLSH;
	EXPECT_EQ(tcsetattr(fd, TCSANOW, &t), 0);
	sti(fd, "ab\n");
	sti(fd, "\x03");
	EXPECT_EQ(got_int, 3);
	EXPECT_EQ(inq(fd), 3);
	EXPECT_EQ(tcflush(fd, TCIFLUSH), 0);
	EXPECT_EQ(inq(fd), 0);
	/* Without ISIG they are ordinary characters. */
	t.c_lflag &= ~ISIG;
	EXPECT_EQ(tcsetattr(fd, TCSANOW, &t), 0);
	sti(fd, "\x03\n");
	EXPECT_EQ(got_int, 3);
	EXPECT_EQ(inq(fd), 2);
	EXPECT_EQ(tcsetattr(fd, TCSAFLUSH, saved), 0);
	EXPECT_EQ(inq(fd), 0);
}

TEST(jobctl, isig_characters_signal_foreground)
{
	if (!h_is_init())
		return;
	struct termios saved;
	EXPECT_EQ(tcgetattr(0, &saved), 0);
	int status = h_run_child(isig, &saved);
	tcsetattr(0, TCSAFLUSH, &saved);
	EXPECT_EQ(status, 0);
}

static void hangup(void *arg)
{
	(void)arg;
	EXPECT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	int p[2], r[2];
	h_pipe(p);
	h_pipe(r);
	pid_t l = h_fork();
	if (l == 0) {
		int fd = take_console();
		pid_t c = fork();
		if (c < 0)
			h_exit(3);
		if (c == 0) {
			setpgid(0, 0);
			h_post(r[1]);
			for (int i = 0; i < 2000; i++)
				usleep(10000);
			h_exit(4);
		}
		setpgid(c, c);
		h_wait_byte(r[0]);
		EXPECT_EQ(tcsetpgrp(fd, c), 0);
		if (write(p[1], &c, sizeof c) != sizeof c)
			h_exit(5);
		h_exit(0);
	}
	pid_t c = 0;
	EXPECT_EQ(read(p[0], &c, sizeof c), (long)sizeof c);
	h_track(c);
	EXPECT_EQ(h_wait_exit(l), 0);
	EXPECT_EQ(h_wait_signaled(c, NULL), SIGHUP);
	/* The console is free again. */
	EXPECT_EQ(setsid(), getpid());
	int fd = console();
	EXPECT_EQ(ioctl(fd, TIOCSCTTY, 0), 0);
}

TEST(jobctl, leader_exit_hangs_up_foreground)
{
	if (!h_is_init())
		return;
	EXPECT_CHILD_OK(hangup, NULL);
}

static void member_notty(void *arg)
{
	(void)arg;
	int fd = take_console();
	pid_t n = h_fork();
	if (n == 0) {
		int pg;
		EXPECT_EQ(get_pgrp(fd), getppid());
		EXPECT_EQ(ioctl(fd, TIOCNOTTY), 0);
		EXPECT_ERRNO(ioctl(fd, TIOCGPGRP, &pg), ENOTTY);
		EXPECT_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(n), 0);
	EXPECT_EQ(get_pgrp(fd), getpid());
}

TEST(jobctl, member_notty_keeps_session_tty)
{
	if (!h_is_init())
		return;
	EXPECT_CHILD_OK(member_notty, NULL);
}
