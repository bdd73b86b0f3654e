/*
 * Suite ioctl: ioctl(2) on the console and on ordinary files.
 *
 * Guards Linux's drivers/tty/tty_io.c and tty_ioctl.c: TCGETS/TCSETS/TCSETSW/
 * TCSETSF round-trip the kernel's struct termios (36 bytes: four tcflag_t,
 * c_line, c_cc[19]), TIOCGWINSZ/TIOCSWINSZ round-trip struct winsize, and
 * TIOCGPGRP/TIOCGSID on a tty that is not the caller's controlling terminal
 * are ENOTTY (tiocgpgrp/tiocgsid) -- /dev/console is not init's controlling
 * terminal (init/main.c opens it without making it one).  Init's console has
 * the tty_std_termios line settings (ICANON, ECHO, ISIG, OPOST|ONLCR, ICRNL,
 * CS8|CREAD) and a 0x0 window.  fs/ioctl.c do_vfs_ioctl: FIOCLEX/FIONCLEX,
 * FIONBIO, FIONREAD on regular files (bytes after the offset); a terminal
 * ioctl on a non-tty is ENOTTY.  Man pages ioctl_tty(2), ioctl(2).
 */
#include "harness.h"

#include <sys/ioctl.h>
#include <termios.h>

/* struct termios as the kernel's TCGETS writes it (asm-generic/termbits.h). */
struct k_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[19];
};

#define K_TCGETS 0x5401
#define K_TCSETS 0x5402
#define K_TCSETSW 0x5403
#define K_TCSETSF 0x5404
#define K_TIOCGPGRP 0x540F
#define K_TIOCGWINSZ 0x5413
#define K_TIOCSWINSZ 0x5414
#define K_FIONREAD 0x541B
#define K_FIONBIO 0x5421
#define K_TIOCGSID 0x5429
#define K_FIONCLEX 0x5450
#define K_FIOCLEX 0x5451

#define K_ICRNL 0000400
#define K_OPOST 0000001
#define K_ONLCR 0000004
#define K_CS8 0000060
#define K_CREAD 0000200
#define K_ISIG 0000001
#define K_ICANON 0000002
#define K_ECHO 0000010
#define K_ECHOCTL 0001000
#define K_VMIN 6

struct k_winsize {
	unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel;
};

static long kioctl(int fd, unsigned long cmd, void *arg)
{
	return syscall(SYS_ioctl, fd, cmd, arg);
}

TEST(ioctl, tcgets_console)
{
	int fd = h_console_fd();
	struct {
		struct k_termios t;
		unsigned char guard[16];
	} buf;
	memset(&buf, 0xaa, sizeof buf);
	EXPECT_EQ(kioctl(fd, K_TCGETS, &buf.t), 0);
	/* Exactly 36 bytes are written. */
	EXPECT_EQ(sizeof(struct k_termios), 36);
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(buf.guard[i], 0xaa);
}

TEST(ioctl, init_console_line_settings)
{
	if (!h_is_init())
		return; /* a host console may have been reconfigured */
	struct k_termios t;
	EXPECT_EQ(kioctl(0, K_TCGETS, &t), 0);
	EXPECT_EQX(t.c_lflag & (K_ICANON | K_ECHO | K_ISIG), K_ICANON | K_ECHO | K_ISIG);
	EXPECT_EQX(t.c_oflag & (K_OPOST | K_ONLCR), K_OPOST | K_ONLCR);
	EXPECT_EQX(t.c_iflag & K_ICRNL, K_ICRNL);
	EXPECT_EQX(t.c_cflag & (K_CS8 | K_CREAD), K_CS8 | K_CREAD);
	EXPECT_EQ(t.c_line, 0);
	EXPECT_EQ(t.c_cc[K_VMIN], 1);
}

TEST(ioctl, tcsets_round_trip)
{
	int fd = h_console_fd();
	struct k_termios orig, t, got;
	EXPECT_EQ(kioctl(fd, K_TCGETS, &orig), 0);
	t = orig;
	t.c_lflag ^= K_ECHOCTL;
	t.c_cc[K_VMIN] = orig.c_cc[K_VMIN] == 1 ? 2 : 1;
	EXPECT_EQ(kioctl(fd, K_TCSETS, &t), 0);
	EXPECT_EQ(kioctl(fd, K_TCGETS, &got), 0);
	int ok = got.c_lflag == t.c_lflag && got.c_cc[K_VMIN] == t.c_cc[K_VMIN];
	/* Put the console back before judging. */
	EXPECT_EQ(kioctl(fd, K_TCSETS, &orig), 0);
	EXPECT_TRUE(ok);
	EXPECT_EQ(kioctl(fd, K_TCGETS, &got), 0);
	EXPECT_EQX(got.c_lflag, orig.c_lflag);
}

TEST(ioctl, tcsetsw_tcsetsf)
{
	int fd = h_console_fd();
	struct k_termios t;
	EXPECT_EQ(kioctl(fd, K_TCGETS, &t), 0);
	EXPECT_EQ(kioctl(fd, K_TCSETSW, &t), 0);
	EXPECT_EQ(kioctl(fd, K_TCSETSF, &t), 0);
	/* The libc wrappers reach the same ioctls. */
	struct termios lt;
	EXPECT_OK(tcgetattr(fd, &lt));
	EXPECT_OK(tcsetattr(fd, TCSANOW, &lt));
	EXPECT_OK(tcsetattr(fd, TCSADRAIN, &lt));
	EXPECT_OK(tcsetattr(fd, TCSAFLUSH, &lt));
	EXPECT_TRUE(isatty(fd));
}

TEST(ioctl, termios_efault)
{
	int fd = h_console_fd();
	EXPECT_ERRNO(kioctl(fd, K_TCGETS, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(kioctl(fd, K_TCSETS, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(kioctl(fd, K_TIOCGWINSZ, H_BAD_PTR), EFAULT);
}

TEST(ioctl, winsize)
{
	int fd = h_console_fd();
	struct k_winsize orig, ws = {24, 80, 0, 0}, got;
	memset(&orig, 0xff, sizeof orig);
	EXPECT_EQ(kioctl(fd, K_TIOCGWINSZ, &orig), 0);
	if (h_is_init()) {
		/* Nobody has set a size on the serial console. */
		EXPECT_EQ(orig.ws_row, 0);
		EXPECT_EQ(orig.ws_col, 0);
	}
	EXPECT_EQ(kioctl(fd, K_TIOCSWINSZ, &ws), 0);
	EXPECT_EQ(kioctl(fd, K_TIOCGWINSZ, &got), 0);
	EXPECT_EQ(kioctl(fd, K_TIOCSWINSZ, &orig), 0);
	EXPECT_EQ(got.ws_row, 24);
	EXPECT_EQ(got.ws_col, 80);
}

TEST(ioctl, console_not_controlling_tty)
{
	int fd = h_console_fd();
	int pgrp = 12345;
	EXPECT_ERRNO(kioctl(fd, K_TIOCGPGRP, &pgrp), ENOTTY);
	EXPECT_EQ(pgrp, 12345);
	EXPECT_ERRNO(kioctl(fd, K_TIOCGSID, &pgrp), ENOTTY);
	EXPECT_ERRNO(tcgetpgrp(fd), ENOTTY);
}

TEST(ioctl, init_session_and_pgrp_are_zero)
{
	if (!h_is_init())
		return;
	/* Init inherits session 0 and process group 0 from the idle task
	 * (init_struct_pid); it is no session leader until it calls setsid(). */
	EXPECT_EQ(getsid(0), 0);
	EXPECT_EQ(getpgrp(), 0);
	EXPECT_EQ(getpgid(0), 0);
}

TEST(ioctl, tty_ioctls_on_files_enotty)
{
	h_tmpdir();
	h_write_file("f", "abc");
	int fd = EXPECT_OK(open("f", O_RDWR));
	struct k_termios t;
	struct k_winsize ws;
	EXPECT_ERRNO(kioctl(fd, K_TCGETS, &t), ENOTTY);
	EXPECT_ERRNO(kioctl(fd, K_TIOCGWINSZ, &ws), ENOTTY);
	EXPECT_ERRNO(kioctl(fd, K_TIOCGPGRP, &t), ENOTTY);
	EXPECT_ERRNO(kioctl(fd, 0xdead, NULL), ENOTTY);
	EXPECT_TRUE(!isatty(fd));
	int nfd = EXPECT_OK(open("/dev/null", O_RDWR));
	EXPECT_ERRNO(kioctl(nfd, K_TCGETS, &t), ENOTTY);
	EXPECT_OK(mkdir("d", 0755));
	int dfd = EXPECT_OK(open("d", O_RDONLY));
	EXPECT_ERRNO(kioctl(dfd, K_TCGETS, &t), ENOTTY);
}

TEST(ioctl, ebadf)
{
	struct k_termios t;
	EXPECT_ERRNO(kioctl(-1, K_TCGETS, &t), EBADF);
	EXPECT_ERRNO(kioctl(500, K_TCGETS, &t), EBADF);
	EXPECT_ERRNO(kioctl(-1, K_FIOCLEX, NULL), EBADF);
	h_tmpdir();
	h_write_file("f", "");
	int pfd = EXPECT_OK(open("f", O_PATH));
	EXPECT_ERRNO(kioctl(pfd, K_FIOCLEX, NULL), EBADF);
}

TEST(ioctl, fioclex_fionclex)
{
	h_tmpdir();
	h_write_file("f", "");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(kioctl(fd, K_FIOCLEX, NULL), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(kioctl(fd, K_FIONCLEX, NULL), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
}

TEST(ioctl, fionbio)
{
	h_tmpdir();
	h_write_file("f", "");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	int on = 1, off = 0;
	EXPECT_EQ(kioctl(fd, K_FIONBIO, &on), 0);
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	EXPECT_EQ(kioctl(fd, K_FIONBIO, &off), 0);
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	EXPECT_ERRNO(kioctl(fd, K_FIONBIO, H_BAD_PTR), EFAULT);
}

TEST(ioctl, fionread_regular_file)
{
	h_tmpdir();
	h_write_file("f", "0123456789");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	int n = -1;
	EXPECT_EQ(kioctl(fd, K_FIONREAD, &n), 0);
	EXPECT_EQ(n, 10);
	EXPECT_EQ(lseek(fd, 4, SEEK_SET), 4);
	EXPECT_EQ(kioctl(fd, K_FIONREAD, &n), 0);
	EXPECT_EQ(n, 6);
	EXPECT_EQ(lseek(fd, 20, SEEK_SET), 20);
	EXPECT_EQ(kioctl(fd, K_FIONREAD, &n), 0);
	EXPECT_EQ(n, -10);
	EXPECT_ERRNO(kioctl(fd, K_FIONREAD, H_BAD_PTR), EFAULT);
}

TEST(ioctl, fionread_console)
{
	if (!h_is_init())
		return; /* a host console may have pending input */
	int n = -1;
	EXPECT_EQ(kioctl(0, K_FIONREAD, &n), 0);
	EXPECT_EQ(n, 0);
}
