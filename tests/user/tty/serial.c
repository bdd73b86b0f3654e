/*
 * Suite serial: the serial port behind the console, as busybox's cttyhack uses it to give a
 * shell job control: TIOCGSERIAL on /dev/console names line 0 of a 16550A, and a session
 * leader without a terminal that opens /dev/ttyS0 (without O_NOCTTY) gets it as controlling
 * terminal, while O_NOCTTY or a non-leader leaves it alone (Linux drivers/tty/tty_io.c
 * tty_open_proc_set_tty, serial_core.c uart_get_info). Runs only as init (the port free).
 */
#include "harness.h"

#include <sys/ioctl.h>

/* struct serial_struct from <linux/serial.h> (not in musl's headers). */
struct serial_info {
	int type, line;
	unsigned int port;
	int irq, flags, xmit_fifo_size, custom_divisor, baud_base;
	unsigned short close_delay;
	char io_type, reserved_char[1];
	int hub6;
	unsigned short closing_wait, closing_wait2;
	unsigned char *iomem_base;
	unsigned short iomem_reg_shift;
	unsigned int port_high;
	unsigned long iomap_base;
};
#define PORT_16550A 4
#ifndef TIOCGSERIAL
#define TIOCGSERIAL 0x541E
#endif

TEST(serial, tiocgserial_names_line_zero)
{
	if (!h_is_init())
		return;
	int fd = EXPECT_OK(open("/dev/console", O_RDWR | O_NOCTTY));
	struct serial_info info;
	_Static_assert(sizeof info == 72, "serial_struct is 72 bytes");
	memset(&info, 0xff, sizeof info);
	EXPECT_EQ(ioctl(fd, TIOCGSERIAL, &info), 0);
	EXPECT_EQ(info.line, 0);
	EXPECT_EQ(info.type, PORT_16550A);
	EXPECT_EQ(info.port, 0x3f8);
	close(fd);
}

static void leader_opens_ttys0(void *arg)
{
	int flags = (int)(long)arg;
	EXPECT_EQ(setsid(), getpid());
	int fd = EXPECT_OK(open("/dev/ttyS0", O_RDWR | flags));
	pid_t sid = -1;
	if (flags & O_NOCTTY) {
		EXPECT_ERRNO(ioctl(fd, TIOCGSID, &sid), ENOTTY);
		EXPECT_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
	} else {
		EXPECT_EQ(ioctl(fd, TIOCGSID, &sid), 0);
		EXPECT_EQ(sid, getpid());
		int tty = EXPECT_OK(open("/dev/tty", O_RDWR));
		close(tty);
		/* The leader's exit frees the terminal again (TIOCNOTTY here would hang the
		 * leader's own foreground group up). */
	}
	close(fd);
}

TEST(serial, leader_open_takes_ttys0)
{
	if (!h_is_init())
		return;
	EXPECT_CHILD_OK(leader_opens_ttys0, (void *)0L);
}

TEST(serial, noctty_open_does_not)
{
	if (!h_is_init())
		return;
	EXPECT_CHILD_OK(leader_opens_ttys0, (void *)(long)O_NOCTTY);
}

static void member_opens_ttys0(void *arg)
{
	(void)arg;
	/* A process-group leader cannot setsid; a child of a new session's leader is
	 * a member, not a leader. */
	EXPECT_EQ(setsid(), getpid());
	pid_t pid = h_fork();
	if (pid == 0) {
		int fd = open("/dev/ttyS0", O_RDWR);
		if (fd < 0)
			h_exit(2);
		pid_t sid = -1;
		h_exit(ioctl(fd, TIOCGSID, &sid) == -1 && errno == ENOTTY ? 0 : 1);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(serial, member_open_does_not)
{
	if (!h_is_init())
		return;
	EXPECT_CHILD_OK(member_opens_ttys0, NULL);
}
