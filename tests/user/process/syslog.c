/*
 * Suite syslog: syslog(2) (klogctl), called as the raw syscall.
 *
 * Guards Linux 6.1's kernel/printk/printk.c do_syslog with Debian's
 * CONFIG_SECURITY_DMESG_RESTRICT: every action needs CAP_SYSLOG (EPERM,
 * before the action is even looked at).  READ_ALL returns the newest whole
 * records that fit, one "<level>[seconds.micros] text" line each, without
 * consuming them; READ_CLEAR does so and clears; CLEAR hides everything
 * logged so far from READ_ALL but not from READ; READ consumes (SIZE_UNREAD
 * goes down by what it returned, a record may be returned in part); the
 * buffer functions want a non-NULL buffer and a length >= 0 (EINVAL; 0 for
 * length 0, EFAULT outside user space); CONSOLE_LEVEL takes 1..8 (EINVAL);
 * SIZE_BUFFER is log_buf_len (128 KiB on Debian's cloud kernel); other
 * actions are EINVAL.  Man page syslog(2).
 */
#include "harness.h"

#include <ctype.h>

#define NOBODY 65534

enum {
	ACT_CLOSE,
	ACT_OPEN,
	ACT_READ,
	ACT_READ_ALL,
	ACT_READ_CLEAR,
	ACT_CLEAR,
	ACT_CONSOLE_OFF,
	ACT_CONSOLE_ON,
	ACT_CONSOLE_LEVEL,
	ACT_SIZE_UNREAD,
	ACT_SIZE_BUFFER,
};

static long r_syslog(int action, void *buf, long len)
{
	return syscall(SYS_syslog, action, buf, len);
}

static char log_copy[1 << 20];

/* Checks that buf[0..n) is whole syslog lines. */
static void expect_lines(const char *buf, long n)
{
	long i = 0;
	while (i < n) {
		const char *line = buf + i;
		const char *end = memchr(line, '\n', n - i);
		if (!end)
			FAIL("unterminated line at %ld: %.40s", i, line);
		/* "<priority>": facility * 8 + level, so user-space records
		 * written through /dev/kmsg have two or three digits. */
		const char *stamp = line + 1;
		while (stamp < end && isdigit((unsigned char)*stamp))
			stamp++;
		if (line[0] != '<' || stamp == line + 1 || stamp - line > 4 || stamp[0] != '>' ||
		    stamp[1] != '[')
			FAIL("bad line start at %ld: %.40s", i, line);
		stamp += 2;
		const char *close = memchr(line, ']', end - line);
		if (!close || close[1] != ' ' || close - stamp < 12 || close[-7] != '.')
			FAIL("bad timestamp at %ld: %.40s", i, line);
		for (const char *p = stamp; p < close; p++)
			if (!isdigit((unsigned char)*p) && *p != ' ' && *p != '.')
				FAIL("bad timestamp at %ld: %.40s", i, line);
		i += end - line + 1;
	}
}

TEST(syslog, read_all_and_sizes)
{
	long size = r_syslog(ACT_SIZE_BUFFER, NULL, 0);
	EXPECT_GT(size, 0);
	if (h_is_init())
		EXPECT_EQ(size, 131072);
	long n = EXPECT_OK(r_syslog(ACT_READ_ALL, log_copy, sizeof log_copy));
	EXPECT_GT(n, 0);
	expect_lines(log_copy, n);
	/* A small buffer gets the newest whole lines: the tail of the full read. */
	static char tail[200];
	long t = EXPECT_OK(r_syslog(ACT_READ_ALL, tail, sizeof tail));
	EXPECT_LE(t, (long)sizeof tail);
	expect_lines(tail, t);
	EXPECT_GE(n, t);
	EXPECT_MEMEQ(tail, log_copy + n - t, t);
	/* Nothing is consumed: the same again. */
	EXPECT_EQ(r_syslog(ACT_READ_ALL, tail, sizeof tail), t);
	/* Length 0: 0; no buffer or a negative length: EINVAL; EFAULT outside
	 * user space. */
	EXPECT_EQ(r_syslog(ACT_READ_ALL, tail, 0), 0);
	EXPECT_ERRNO(r_syslog(ACT_READ_ALL, NULL, 10), EINVAL);
	EXPECT_ERRNO(r_syslog(ACT_READ_ALL, tail, -1), EINVAL);
	EXPECT_ERRNO(r_syslog(ACT_READ_ALL, H_KERNEL_PTR, 10), EFAULT);
	EXPECT_ERRNO(r_syslog(ACT_READ_CLEAR, NULL, 10), EINVAL);
	long unread = EXPECT_OK(r_syslog(ACT_SIZE_UNREAD, NULL, 0));
	EXPECT_GE(unread, 0);
	EXPECT_LE(unread, 4 * size);
}

TEST(syslog, read_consumes)
{
	/* Drain what is unread, a piece at a time, checking the count. */
	static char buf[4096];
	long unread = EXPECT_OK(r_syslog(ACT_SIZE_UNREAD, NULL, 0));
	if (unread > 0) {
		long got = EXPECT_OK(r_syslog(ACT_READ, buf, 7));
		EXPECT_EQ(got, 7);
		EXPECT_EQ(buf[0], '<');
		EXPECT_EQ(r_syslog(ACT_SIZE_UNREAD, NULL, 0), unread - 7);
	}
	while (r_syslog(ACT_SIZE_UNREAD, NULL, 0) > 0)
		EXPECT_GT(r_syslog(ACT_READ, buf, sizeof buf), 0);
	EXPECT_EQ(r_syslog(ACT_SIZE_UNREAD, NULL, 0), 0);
	/* Reading consumed nothing that READ_ALL sees. */
	EXPECT_GT(r_syslog(ACT_READ_ALL, buf, sizeof buf), 0);
	EXPECT_EQ(r_syslog(ACT_READ, buf, 0), 0);
	EXPECT_ERRNO(r_syslog(ACT_READ, NULL, 10), EINVAL);
	EXPECT_ERRNO(r_syslog(ACT_READ, buf, -5), EINVAL);
	EXPECT_ERRNO(r_syslog(ACT_READ, H_KERNEL_PTR, 10), EFAULT);
}

TEST(syslog, clear)
{
	static char buf[4096];
	EXPECT_GT(r_syslog(ACT_READ_ALL, buf, sizeof buf), 0);
	/* READ_CLEAR returns what READ_ALL would, then hides it. */
	long n = EXPECT_OK(r_syslog(ACT_READ_CLEAR, buf, sizeof buf));
	EXPECT_GT(n, 0);
	EXPECT_EQ(r_syslog(ACT_READ_ALL, buf, sizeof buf), 0);
	EXPECT_EQ(r_syslog(ACT_CLEAR, NULL, 0), 0);
	EXPECT_EQ(r_syslog(ACT_READ_ALL, buf, sizeof buf), 0);
	EXPECT_GT(r_syslog(ACT_SIZE_BUFFER, NULL, 0), 0);
}

TEST(syslog, console_and_other_actions)
{
	EXPECT_EQ(r_syslog(ACT_CLOSE, NULL, 0), 0);
	EXPECT_EQ(r_syslog(ACT_OPEN, NULL, 0), 0);
	/* Off then on restores the level that was there. */
	EXPECT_EQ(r_syslog(ACT_CONSOLE_OFF, NULL, 0), 0);
	EXPECT_EQ(r_syslog(ACT_CONSOLE_OFF, NULL, 0), 0);
	EXPECT_EQ(r_syslog(ACT_CONSOLE_ON, NULL, 0), 0);
	EXPECT_EQ(r_syslog(ACT_CONSOLE_ON, NULL, 0), 0);
	EXPECT_ERRNO(r_syslog(ACT_CONSOLE_LEVEL, NULL, 0), EINVAL);
	EXPECT_ERRNO(r_syslog(ACT_CONSOLE_LEVEL, NULL, 9), EINVAL);
	EXPECT_ERRNO(r_syslog(ACT_CONSOLE_LEVEL, NULL, -1), EINVAL);
	EXPECT_ERRNO(r_syslog(11, NULL, 0), EINVAL);
	EXPECT_ERRNO(r_syslog(-1, NULL, 0), EINVAL);
	EXPECT_ERRNO(r_syslog(1000, NULL, 0), EINVAL);
}

static void unprivileged(void *arg)
{
	(void)arg;
	EXPECT_EQ(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY), 0);
	static char buf[64];
	for (int action = ACT_CLOSE; action <= ACT_SIZE_BUFFER; action++)
		EXPECT_ERRNO(r_syslog(action, buf, sizeof buf), EPERM);
	EXPECT_ERRNO(r_syslog(99, NULL, 0), EPERM);
	EXPECT_ERRNO(r_syslog(ACT_READ_ALL, NULL, -1), EPERM);
}

TEST(syslog, needs_cap_syslog)
{
	EXPECT_CHILD_OK(unprivileged, NULL);
}
