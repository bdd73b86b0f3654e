/*
 * Suite eventfd: eventfd(2) and eventfd2(2).
 *
 * Guards Linux's fs/eventfd.c: do_eventfd (flags other than EFD_CLOEXEC,
 * EFD_NONBLOCK, EFD_SEMAPHORE are EINVAL; the initial count is an unsigned
 * int), eventfd_read (a buffer below 8 bytes is EINVAL; a read returns and
 * clears the count, or returns 1 and decrements it with EFD_SEMAPHORE; EAGAIN
 * on zero when non-blocking), eventfd_write (below 8 bytes or the value
 * 0xffffffffffffffff is EINVAL; the count never exceeds 0xfffffffffffffffe, a
 * write that would overflow blocks or is EAGAIN) and eventfd_poll (POLLIN when
 * the count is non-zero, POLLOUT while another 1 fits).  The file is an
 * anonymous inode whose llseek is noop_llseek.  Man page eventfd(2).
 */
#include "harness.h"
#include "child.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>

static uint64_t rd(int fd)
{
	uint64_t v = 0xdeadbeef;
	ssize_t n = read(fd, &v, 8);
	if (n != 8)
		FAIL("read(eventfd) = %zd (%s)", n, h_errname(errno));
	return v;
}

static void wr(int fd, uint64_t v)
{
	ssize_t n = write(fd, &v, 8);
	if (n != 8)
		FAIL("write(eventfd, %#llx) = %zd (%s)", (unsigned long long)v, n,
		     h_errname(errno));
}

static short revents(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	if (poll(&p, 1, 0) < 0)
		FAIL("poll: %s", h_errname(errno));
	return p.revents;
}

TEST(eventfd, counter)
{
	int fd = EXPECT_OK(eventfd(3, EFD_NONBLOCK));
	EXPECT_EQ(rd(fd), 3);
	uint64_t v;
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
	wr(fd, 2);
	wr(fd, 5);
	EXPECT_EQ(rd(fd), 7);
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
}

TEST(eventfd, flags)
{
	int fd = EXPECT_OK(eventfd(0, 0));
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDWR);
	int fd2 = EXPECT_OK(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	EXPECT_EQ(fcntl(fd2, F_GETFD), FD_CLOEXEC);
	EXPECT_EQX(fcntl(fd2, F_GETFL), O_RDWR | O_NONBLOCK);
	EXPECT_ERRNO(syscall(SYS_eventfd2, 0, 2), EINVAL);
	EXPECT_ERRNO(syscall(SYS_eventfd2, 0, 0x80000000), EINVAL);
	EXPECT_ERRNO(syscall(SYS_eventfd2, 0, O_APPEND), EINVAL);
	EXPECT_ERRNO(syscall(SYS_eventfd2, 0, O_RDWR), EINVAL);
	/* The old eventfd() takes no flags at all. */
	int fd3 = EXPECT_OK(syscall(SYS_eventfd, 5));
	EXPECT_EQX(fcntl(fd3, F_GETFL), O_RDWR);
	EXPECT_EQ(rd(fd3), 5);
}

TEST(eventfd, initial_value_is_unsigned_int)
{
	int fd = EXPECT_OK(syscall(SYS_eventfd2, 0xffffffffUL, EFD_NONBLOCK));
	EXPECT_EQX(rd(fd), 0xffffffffULL);
	/* Only the low 32 bits of the register count. */
	int fd2 = EXPECT_OK(syscall(SYS_eventfd2, 0x100000002UL, EFD_NONBLOCK));
	EXPECT_EQ(rd(fd2), 2);
}

TEST(eventfd, semaphore)
{
	int fd = EXPECT_OK(eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK));
	EXPECT_EQ(rd(fd), 1);
	EXPECT_EQ(rd(fd), 1);
	wr(fd, 2);
	EXPECT_EQ(rd(fd), 1);
	EXPECT_EQ(rd(fd), 1);
	EXPECT_EQ(rd(fd), 1);
	uint64_t v;
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
	EXPECT_EQ(revents(fd), POLLOUT);
}

TEST(eventfd, short_buffers_einval)
{
	int fd = EXPECT_OK(eventfd(1, EFD_NONBLOCK));
	char buf[16] = {0};
	EXPECT_ERRNO(read(fd, buf, 7), EINVAL);
	EXPECT_ERRNO(read(fd, buf, 0), EINVAL);
	EXPECT_ERRNO(write(fd, buf, 7), EINVAL);
	EXPECT_ERRNO(write(fd, buf, 0), EINVAL);
	/* A bigger buffer moves 8 bytes. */
	uint64_t two[2] = {9, 9};
	EXPECT_EQ(read(fd, two, 16), 8);
	EXPECT_EQ(two[0], 1);
	EXPECT_EQ(two[1], 9);
	two[0] = 4;
	EXPECT_EQ(write(fd, two, 16), 8);
	EXPECT_EQ(rd(fd), 4);
}

TEST(eventfd, efault)
{
	int fd = EXPECT_OK(eventfd(1, EFD_NONBLOCK));
	EXPECT_ERRNO(read(fd, H_BAD_PTR, 8), EFAULT);
	EXPECT_ERRNO(write(fd, H_BAD_PTR, 8), EFAULT);
	/* The count is taken before the copy-out: a read that faults loses
	 * it. */
	uint64_t v;
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
}

TEST(eventfd, max_value_and_overflow)
{
	int fd = EXPECT_OK(eventfd(0, EFD_NONBLOCK));
	uint64_t v = 0xffffffffffffffffULL;
	EXPECT_ERRNO(write(fd, &v, 8), EINVAL);
	wr(fd, 0xfffffffffffffffeULL);
	EXPECT_EQ(revents(fd), POLLIN);
	v = 1;
	EXPECT_ERRNO(write(fd, &v, 8), EAGAIN);
	/* Adding 0 always fits. */
	wr(fd, 0);
	EXPECT_EQX(rd(fd), 0xfffffffffffffffeULL);
	wr(fd, 10);
	v = 0xfffffffffffffff5ULL;
	EXPECT_ERRNO(write(fd, &v, 8), EAGAIN);
	wr(fd, 0xfffffffffffffff4ULL);
	EXPECT_EQX(rd(fd), 0xfffffffffffffffeULL);
}

TEST(eventfd, poll_readiness)
{
	int fd = EXPECT_OK(eventfd(0, EFD_NONBLOCK));
	EXPECT_EQ(revents(fd), POLLOUT);
	wr(fd, 1);
	EXPECT_EQ(revents(fd), POLLIN | POLLOUT);
	rd(fd);
	EXPECT_EQ(revents(fd), POLLOUT);
	wr(fd, 0xfffffffffffffffdULL);
	EXPECT_EQ(revents(fd), POLLIN | POLLOUT);
	wr(fd, 1);
	EXPECT_EQ(revents(fd), POLLIN);
}

TEST(eventfd, write_zero_does_not_wake_readers)
{
	int fd = EXPECT_OK(eventfd(0, EFD_NONBLOCK));
	wr(fd, 0);
	EXPECT_EQ(revents(fd), POLLOUT);
	uint64_t v;
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
}

TEST(eventfd, anon_inode_fstat_and_seek)
{
	int fd = EXPECT_OK(eventfd(0, 0));
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_MODE(st.st_mode, 0600);
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(lseek(fd, 10, SEEK_SET), 0);
	EXPECT_ERRNO(pread(fd, &st, 8, 0), ESPIPE);
}

static void child_write_late(long fd)
{
	sleep_ms(50);
	uint64_t v = 5;
	CHK(write((int)fd, &v, 8) == 8);
}

TEST(eventfd, blocking_read_woken_by_other_process)
{
	int fd = EXPECT_OK(eventfd(0, 0));
	pid_t pid = spawn(child_write_late, fd);
	uint64_t v = 0;
	long n = read(fd, &v, 8);
	int st = reap(pid);
	EXPECT_EQ(n, 8);
	EXPECT_EQ(v, 5);
	EXPECT_EQ(st, 0);
}

static void child_read_late(long fd)
{
	sleep_ms(50);
	uint64_t v = 0;
	CHK(read((int)fd, &v, 8) == 8);
	CHK(v == 0xfffffffffffffffeULL);
}

TEST(eventfd, blocking_write_woken_by_reader)
{
	int fd = EXPECT_OK(eventfd(0, 0));
	wr(fd, 0xfffffffffffffffeULL);
	pid_t pid = spawn(child_read_late, fd);
	uint64_t v = 3;
	/* Does not fit until the child empties the counter. */
	long n = write(fd, &v, 8);
	int st = reap(pid);
	EXPECT_EQ(n, 8);
	EXPECT_EQ(st, 0);
	int fl = fcntl(fd, F_GETFL);
	EXPECT_OK(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(rd(fd), 3);
}

static void child_sem_reader(long fd)
{
	uint64_t v = 0;
	CHK(read((int)fd, &v, 8) == 8);
	CHK(v == 1);
}

TEST(eventfd, semaphore_wakes_each_reader_once)
{
	int fd = EXPECT_OK(eventfd(0, EFD_SEMAPHORE));
	pid_t a = spawn(child_sem_reader, fd);
	pid_t b = spawn(child_sem_reader, fd);
	wr(fd, 2);
	int sa = reap(a), sb = reap(b);
	EXPECT_EQ(sa, 0);
	EXPECT_EQ(sb, 0);
	int fl = fcntl(fd, F_GETFL);
	EXPECT_OK(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	uint64_t v;
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
}

TEST(eventfd, libc_helpers)
{
	int fd = EXPECT_OK(eventfd(0, EFD_NONBLOCK));
	EXPECT_EQ(eventfd_write(fd, 11), 0);
	eventfd_t v = 0;
	EXPECT_EQ(eventfd_read(fd, &v), 0);
	EXPECT_EQ(v, 11);
	EXPECT_ERRNO(eventfd_read(fd, &v), EAGAIN);
}
