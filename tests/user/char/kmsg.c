/*
 * Suite kmsg: /dev/kmsg (1:11), the kernel log as records, and /dev/full
 * (1:7), through nodes made with mknod.
 *
 * Guards Linux 6.1's kernel/printk/printk.c devkmsg_*: a write is one record
 * of facility LOG_USER at level 4 unless it starts with "<N>" (level N & 7,
 * facility N >> 3 if not 0), longer than LOG_LINE_MAX (992) is EINVAL; a read
 * returns one whole record "prio,seq,usec,flag;text\n" with non-printable
 * bytes and '\' escaped as \xNN, EINVAL (and the record skipped) when the
 * buffer is too small, EAGAIN with O_NONBLOCK when nothing is new, EPIPE once
 * when records were overwritten; lseek takes only offset 0 (ESPIPE) and
 * SEEK_SET/SEEK_DATA/SEEK_END (EINVAL else); poll is readable when a record
 * waits; reading needs CAP_SYSLOG with kernel.dmesg_restrict=1 (Debian's
 * default), writing does not.  Documentation/ABI/testing/dev-kmsg.
 * drivers/char/mem.c: /dev/full reads zeros, writes fail with ENOSPC.
 */
#include "harness.h"

#include <poll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static int open_kmsg(int flags)
{
	if (access("kmsg", F_OK) != 0)
		EXPECT_OK(mknod("kmsg", S_IFCHR | 0644, makedev(1, 11)));
	return EXPECT_OK(open("kmsg", flags));
}

struct record {
	unsigned prio;
	unsigned long long seq, usec;
	char flag;
	char text[4096];
};

/* Reads one record; returns read's result. */
static long read_record(int fd, struct record *r)
{
	char buf[8192];
	long n = read(fd, buf, sizeof buf - 1);
	if (n <= 0)
		return n;
	buf[n] = 0;
	int used = 0;
	if (sscanf(buf, "%u,%llu,%llu,%c;%n", &r->prio, &r->seq, &r->usec,
		   &r->flag, &used) != 4 || used == 0)
		FAIL("bad record \"%s\"", buf);
	if (buf[n - 1] != '\n')
		FAIL("record does not end with a newline: \"%s\"", buf);
	buf[n - 1] = 0;
	snprintf(r->text, sizeof r->text, "%s", buf + used);
	return n;
}

TEST(kmsg, write_then_read_records)
{
	if (geteuid() != 0)
		return;
	h_tmpdir();
	int fd = open_kmsg(O_RDWR | O_NONBLOCK);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 0);
	char c;
	EXPECT_ERRNO(read(fd, &c, 1), EAGAIN);
	const char *msg = "<7>ferrux kmsg one\n";
	EXPECT_EQ(write(fd, msg, strlen(msg)), (long)strlen(msg));
	struct record a, b;
	EXPECT_GT(read_record(fd, &a), 0);
	EXPECT_EQ(a.prio, (1 << 3) | 7);
	EXPECT_EQ(a.flag, '-');
	EXPECT_STREQ(a.text, "ferrux kmsg one");
	EXPECT_ERRNO(read(fd, &c, 1), EAGAIN);
	/* A record without a final newline is not final: readers see it only
	 * once the next record is logged. */
	EXPECT_EQ(write(fd, "<31>two\\\tx", 10), 10);
	EXPECT_ERRNO(read(fd, &c, 1), EAGAIN);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	EXPECT_EQ(write(fd, "<7>cut\0here\n", 12), 12);
	EXPECT_GT(read_record(fd, &b), 0);
	EXPECT_EQ(b.prio, 31);
	EXPECT_EQ(b.seq, a.seq + 1);
	EXPECT_GE(b.usec, a.usec);
	EXPECT_STREQ(b.text, "two\\x5c\\x09x");
	/* Text ends at a NUL (so this one has no final newline either). */
	EXPECT_ERRNO(read(fd, &c, 1), EAGAIN);
	/* A malformed prefix stays in the text; no prefix: LOG_USER, level 4. */
	EXPECT_EQ(write(fd, "<7x\n", 4), 4);
	EXPECT_GT(read_record(fd, &a), 0);
	EXPECT_STREQ(a.text, "cut");
	EXPECT_EQ(a.seq, b.seq + 1);
	EXPECT_GT(read_record(fd, &a), 0);
	EXPECT_EQ(a.prio, (1 << 3) | 4);
	EXPECT_STREQ(a.text, "<7x");
	/* A new open starts at the oldest record. */
	int other = open_kmsg(O_RDONLY | O_NONBLOCK);
	struct record first;
	EXPECT_GT(read_record(other, &first), 0);
	EXPECT_LT(first.seq, a.seq);
}

TEST(kmsg, sizes)
{
	if (geteuid() != 0)
		return;
	h_tmpdir();
	int fd = open_kmsg(O_RDWR | O_NONBLOCK);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 0);
	static char big[2000];
	memcpy(big, "<7>", 3);
	memset(big + 3, 'k', sizeof big - 3);
	big[991] = '\n';
	EXPECT_ERRNO(write(fd, big, 993), EINVAL);
	EXPECT_EQ(write(fd, big, 992), 992);
	char small[16];
	/* Too small a buffer: EINVAL, and the record is gone for this file. */
	EXPECT_ERRNO(read(fd, small, sizeof small), EINVAL);
	EXPECT_ERRNO(read(fd, small, sizeof small), EAGAIN);
	EXPECT_EQ(write(fd, big, 992), 992);
	struct record r;
	EXPECT_EQ(read_record(fd, &r) > 988, 1);
	EXPECT_EQ(strlen(r.text), 988);
}

TEST(kmsg, lseek_rules)
{
	if (geteuid() != 0)
		return;
	h_tmpdir();
	int fd = open_kmsg(O_RDONLY | O_NONBLOCK);
	EXPECT_ERRNO(lseek(fd, 1, SEEK_SET), ESPIPE);
	EXPECT_ERRNO(lseek(fd, -1, SEEK_END), ESPIPE);
	EXPECT_ERRNO(lseek(fd, 0, SEEK_CUR), EINVAL);
	EXPECT_ERRNO(lseek(fd, 0, SEEK_HOLE), EINVAL);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 0);
	char c;
	EXPECT_ERRNO(read(fd, &c, 1), EAGAIN);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	struct record r;
	EXPECT_GT(read_record(fd, &r), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_DATA), 0);
	EXPECT_GT(read_record(fd, &r), 0);
	EXPECT_ERRNO(pwrite(fd, "x", 1, 0), EBADF);
}

TEST(kmsg, poll_and_blocking_read)
{
	if (geteuid() != 0)
		return;
	h_tmpdir();
	int fd = open_kmsg(O_RDONLY);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	int w = open_kmsg(O_WRONLY);
	EXPECT_EQ(write(w, "<7>polled\n", 10), 10);
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLIN);
	struct record r;
	EXPECT_GT(read_record(fd, &r), 0);
	EXPECT_STREQ(r.text, "polled");
	/* A blocking read waits for a writer. */
	pid_t pid = h_fork();
	if (pid == 0) {
		int cw = open("kmsg", O_WRONLY);
		if (cw < 0 || write(cw, "<7>from child\n", 14) != 14)
			h_exit(1);
		h_exit(0);
	}
	EXPECT_GT(read_record(fd, &r), 0);
	EXPECT_STREQ(r.text, "from child");
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(kmsg, overwritten_records_epipe)
{
	if (geteuid() != 0)
		return;
	h_tmpdir();
	int reader = open_kmsg(O_RDONLY | O_NONBLOCK);
	EXPECT_EQ(lseek(reader, 0, SEEK_END), 0);
	static char line[992];
	memcpy(line, "<7>", 3);
	memset(line + 3, 'f', sizeof line - 3);
	line[sizeof line - 1] = '\n';
	/* 300 records of ~1 KiB overflow the 128 KiB buffer; each open may
	 * log 10 records per 5 s (the rate limit). */
	for (int i = 0; i < 30; i++) {
		int w = open_kmsg(O_WRONLY);
		for (int j = 0; j < 10; j++)
			EXPECT_EQ(write(w, line, sizeof line), (long)sizeof line);
		EXPECT_OK(close(w));
	}
	struct pollfd p = {.fd = reader,
			   .events = POLLIN | POLLRDNORM | POLLPRI};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLIN | POLLRDNORM | POLLPRI | POLLERR);
	char buf[8192];
	EXPECT_ERRNO(read(reader, buf, sizeof buf), EPIPE);
	struct record r;
	EXPECT_GT(read_record(reader, &r), 0);
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLIN | POLLRDNORM);
}

static void unprivileged(void *arg)
{
	(void)arg;
	EXPECT_OK(setuid(65534));
	EXPECT_ERRNO(open("kmsg", O_RDONLY), EPERM);
	EXPECT_ERRNO(open("kmsg", O_RDWR), EPERM);
	int fd = EXPECT_OK(open("kmsg", O_WRONLY));
	EXPECT_EQ(write(fd, "<7>unprivileged\n", 16), 16);
}

TEST(kmsg, reading_needs_cap_syslog)
{
	if (geteuid() != 0)
		return;
	const char *dir = h_tmpdir();
	EXPECT_OK(chmod(dir, 0755));
	EXPECT_OK(mknod("kmsg", S_IFCHR | 0666, makedev(1, 11)));
	EXPECT_OK(chmod("kmsg", 0666));
	EXPECT_CHILD_OK(unprivileged, NULL);
}

TEST(kmsg, dev_full)
{
	if (geteuid() != 0)
		return;
	h_tmpdir();
	EXPECT_OK(mknod("full", S_IFCHR | 0666, makedev(1, 7)));
	int fd = EXPECT_OK(open("full", O_RDWR));
	char buf[64];
	memset(buf, 0x5a, sizeof buf);
	EXPECT_EQ(read(fd, buf, sizeof buf), (long)sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		EXPECT_EQ(buf[i], 0);
	EXPECT_ERRNO(write(fd, "x", 1), ENOSPC);
	EXPECT_EQ(lseek(fd, 123, SEEK_SET), 0);
}
