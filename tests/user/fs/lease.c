/*
 * Suite lease: fcntl F_SETLEASE/F_GETLEASE and lease breaking.
 *
 * Guards Linux's fs/locks.c (generic_setlease: EACCES for a caller that
 * does not own the file without CAP_LEASE, EINVAL on anything but a regular
 * file and on an unknown type; F_UNLCK without a lease is EAGAIN;
 * check_conflicting_open: a read lease needs the file open for writing
 * nowhere, the holder's own descriptor included, a write lease needs the
 * holder's descriptor to be the only open one; fs.leases-enable = 0 refuses
 * new leases with EINVAL; __break_lease: a conflicting open signals the
 * holder (F_SETSIG's signal with si_fd, si_code POLL_MSG), answers
 * EWOULDBLOCK with O_NONBLOCK, else waits until the holder releases or
 * downgrades or fs.lease-break-time passes; F_GETLEASE reports what a lease
 * being broken becomes; the lease goes with its file; /proc/locks lines of
 * leases, POSIX, OFD and flock locks as lock_get_status prints them).
 * Man page fcntl(2), proc(5).
 */
#include "harness.h"
#include "child.h"
#include "../proc/proc.h"

#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

static sigset_t block_sig(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return set;
}

static int take(sigset_t *set, siginfo_t *info)
{
	struct timespec zero = {0, 0};
	memset(info, 0, sizeof *info);
	int sig = sigtimedwait(set, info, &zero);
	return sig > 0 ? sig : 0;
}

static void unblock_all(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

static void write_knob(const char *path, const char *value)
{
	int fd = EXPECT_OK(open(path, O_WRONLY));
	EXPECT_EQ(write(fd, value, strlen(value)), (long)strlen(value));
	close(fd);
}

TEST(lease, errors)
{
	h_tmpdir();
	h_write_file("f", "abc");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(fcntl(fd, F_GETLEASE), F_UNLCK);
	EXPECT_ERRNO(fcntl(fd, F_SETLEASE, F_UNLCK), EAGAIN);
	EXPECT_ERRNO(fcntl(fd, F_SETLEASE, 7), EINVAL);
	int dir = EXPECT_OK(open(".", O_RDONLY));
	EXPECT_ERRNO(fcntl(dir, F_SETLEASE, F_RDLCK), EINVAL);
	close(dir);
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_ERRNO(fcntl(p[0], F_SETLEASE, F_RDLCK), EINVAL);
	close(p[0]);
	close(p[1]);
	/* Open for writing anywhere, even by the requester: no read lease. */
	int rw = EXPECT_OK(open("f", O_RDWR));
	EXPECT_ERRNO(fcntl(fd, F_SETLEASE, F_RDLCK), EAGAIN);
	EXPECT_ERRNO(fcntl(rw, F_SETLEASE, F_RDLCK), EAGAIN);
	/* A write lease needs the holder's descriptor alone. */
	EXPECT_ERRNO(fcntl(rw, F_SETLEASE, F_WRLCK), EAGAIN);
	close(fd);
	EXPECT_EQ(fcntl(rw, F_SETLEASE, F_WRLCK), 0);
	EXPECT_EQ(fcntl(rw, F_GETLEASE), F_WRLCK);
	EXPECT_EQ(fcntl(rw, F_SETLEASE, F_UNLCK), 0);
	EXPECT_EQ(fcntl(rw, F_GETLEASE), F_UNLCK);
	close(rw);
}

TEST(lease, read_leases_share_write_lease_excludes)
{
	h_tmpdir();
	h_write_file("f", "abc");
	int a = EXPECT_OK(open("f", O_RDONLY));
	int b = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(fcntl(a, F_SETLEASE, F_WRLCK), EAGAIN);
	EXPECT_EQ(fcntl(a, F_SETLEASE, F_RDLCK), 0);
	EXPECT_EQ(fcntl(b, F_SETLEASE, F_RDLCK), 0);
	EXPECT_EQ(fcntl(a, F_GETLEASE), F_RDLCK);
	/* The lease belongs to the description: a dup sees it. */
	int d = EXPECT_OK(dup(a));
	EXPECT_EQ(fcntl(d, F_GETLEASE), F_RDLCK);
	close(d);
	/* Another reader's open does not break read leases. */
	close(EXPECT_OK(open("f", O_RDONLY | O_NONBLOCK)));
	/* Closing the description drops its lease. */
	close(b);
	close(a);
	int w = EXPECT_OK(open("f", O_WRONLY | O_NONBLOCK));
	close(w);
}

TEST(lease, break_signals_and_nonblocking)
{
	sigset_t set = block_sig(SIGRTMIN + 4);
	h_tmpdir();
	h_write_file("f", "abc");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(fcntl(fd, F_SETSIG, SIGRTMIN + 4), 0);
	EXPECT_EQ(fcntl(fd, F_SETLEASE, F_WRLCK), 0);
	EXPECT_EQ(fcntl(fd, F_GETOWN), getpid());
	siginfo_t info;
	/* A reader breaks a write lease to a read lease. */
	EXPECT_ERRNO(open("f", O_RDONLY | O_NONBLOCK), EWOULDBLOCK);
	EXPECT_EQ(take(&set, &info), SIGRTMIN + 4);
	EXPECT_EQ(info.si_fd, fd);
	EXPECT_EQ(info.si_code, POLL_MSG);
	EXPECT_EQ(fcntl(fd, F_GETLEASE), F_RDLCK);
	/* Signalled once per break. */
	EXPECT_ERRNO(open("f", O_RDONLY | O_NONBLOCK), EWOULDBLOCK);
	EXPECT_EQ(take(&set, &info), 0);
	EXPECT_EQ(fcntl(fd, F_SETLEASE, F_RDLCK), 0);
	EXPECT_EQ(fcntl(fd, F_GETLEASE), F_RDLCK);
	close(EXPECT_OK(open("f", O_RDONLY | O_NONBLOCK)));
	/* A writer breaks it to nothing. */
	EXPECT_ERRNO(open("f", O_WRONLY | O_NONBLOCK), EWOULDBLOCK);
	EXPECT_EQ(take(&set, &info), SIGRTMIN + 4);
	EXPECT_EQ(fcntl(fd, F_GETLEASE), F_UNLCK);
	/* No new lease while one is being broken... */
	int other = EXPECT_OK(open("f", O_RDONLY | O_NONBLOCK));
	EXPECT_ERRNO(fcntl(other, F_SETLEASE, F_RDLCK), EAGAIN);
	close(other);
	EXPECT_EQ(fcntl(fd, F_SETLEASE, F_UNLCK), 0);
	int w = EXPECT_OK(open("f", O_WRONLY | O_NONBLOCK));
	close(w);
	close(fd);
	unblock_all();
}

/* Child: opens the file of the test directory for writing (blocking) and
 * exits 0 when that succeeds. */
static void open_for_write(long arg)
{
	(void)arg;
	int fd = open("f", O_WRONLY);
	CHK(fd >= 0);
	close(fd);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(lease, breaker_waits_for_release)
{
	sigset_t set = block_sig(0);
	h_tmpdir();
	h_write_file("f", "abc");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(fcntl(fd, F_SETLEASE, F_RDLCK), 0);
	pid_t child = spawn(open_for_write, 0);
	struct timespec two = {2, 0};
	siginfo_t info;
	EXPECT_EQ(sigtimedwait(&set, &info, &two), SIGIO);
	EXPECT_EQ(info.si_code, SI_KERNEL);
	/* The child still waits. */
	sleep_ms(100);
	EXPECT_EQ(waitpid(child, NULL, WNOHANG), 0);
	EXPECT_EQ(fcntl(fd, F_SETLEASE, F_UNLCK), 0);
	EXPECT_EQ(reap(child), 0);
	close(fd);
	unblock_all();
}

TEST(lease, break_time_and_enable)
{
	if (geteuid() != 0)
		return;
	proc_ready();
	sigset_t set = block_sig(0);
	h_tmpdir();
	h_write_file("f", "abc");
	write_knob("/proc/sys/fs/lease-break-time", "1\n");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(fcntl(fd, F_SETLEASE, F_RDLCK), 0);
	double start = now_s();
	pid_t child = spawn(open_for_write, 0);
	EXPECT_EQ(reap(child), 0);
	double took = now_s() - start;
	write_knob("/proc/sys/fs/lease-break-time", "45\n");
	EXPECT_GE(took * 10, 8);
	EXPECT_LE(took, 5);
	/* The lease timed out. */
	EXPECT_EQ(fcntl(fd, F_GETLEASE), F_UNLCK);
	close(fd);
	siginfo_t info;
	take(&set, &info);

	write_knob("/proc/sys/fs/leases-enable", "0\n");
	fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(fcntl(fd, F_SETLEASE, F_RDLCK), EINVAL);
	write_knob("/proc/sys/fs/leases-enable", "1\n");
	EXPECT_EQ(fcntl(fd, F_SETLEASE, F_RDLCK), 0);
	close(fd);
	unblock_all();
}

/* Child: as uid 1000, a lease on the root-owned file: EACCES. */
static void lease_as_user(long arg)
{
	(void)arg;
	int fd = open("f", O_RDONLY);
	CHK(fd >= 0);
	CHK(setresuid(1000, 1000, 1000) == 0);
	CHK(fcntl(fd, F_SETLEASE, F_RDLCK) == -1 && errno == EACCES);
}

TEST(lease, owner_only)
{
	if (geteuid() != 0)
		return;
	h_tmpdir();
	h_write_file("f", "abc");
	EXPECT_OK(chmod("f", 0644));
	EXPECT_EQ(reap(spawn(lease_as_user, 0)), 0);
}

/* Whether /proc/locks has a line "N: <tail>". */
static int proc_locks_has(const char *tail)
{
	static char text[8192];
	int fd = open("/proc/locks", O_RDONLY);
	if (fd < 0)
		FAIL("open /proc/locks: %s", h_errname(errno));
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n < 0)
		FAIL("read /proc/locks: %s", h_errname(errno));
	text[n] = 0;
	for (char *line = text; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		char *colon = strstr(line, ": ");
		if (colon && strcmp(colon + 2, tail) == 0)
			return 1;
		line = next;
	}
	return 0;
}

TEST(lease, proc_locks)
{
	proc_ready();
	h_tmpdir();
	h_write_file("f", "abc");
	h_write_file("g", "abc");
	struct stat st;
	char want[128];
	EXPECT_OK(stat("f", &st));
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(fcntl(fd, F_SETLEASE, F_RDLCK), 0);
	snprintf(want, sizeof want, "LEASE  ACTIVE    READ %d %02x:%02x:%lu 0 EOF",
		 getpid(), major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino);
	EXPECT_TRUE(proc_locks_has(want));
	sigset_t set = block_sig(0);
	EXPECT_ERRNO(open("f", O_WRONLY | O_NONBLOCK), EWOULDBLOCK);
	snprintf(want, sizeof want, "LEASE  BREAKING  UNLCK %d %02x:%02x:%lu 0 EOF",
		 getpid(), major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino);
	EXPECT_TRUE(proc_locks_has(want));
	close(fd);
	EXPECT_TRUE(!proc_locks_has(want));
	siginfo_t info;
	take(&set, &info);
	unblock_all();

	EXPECT_OK(stat("g", &st));
	int g = EXPECT_OK(open("g", O_RDWR));
	struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 8};
	EXPECT_OK(fcntl(g, F_SETLK, &lock));
	snprintf(want, sizeof want, "POSIX  ADVISORY  WRITE %d %02x:%02x:%lu 2 9",
		 getpid(), major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino);
	EXPECT_TRUE(proc_locks_has(want));
	lock.l_type = F_RDLCK;
	lock.l_start = 0;
	lock.l_len = 0;
	close(g);
	g = EXPECT_OK(open("g", O_RDWR));
	EXPECT_OK(fcntl(g, F_OFD_SETLK, &lock));
	snprintf(want, sizeof want, "OFDLCK ADVISORY  READ -1 %02x:%02x:%lu 0 EOF",
		 major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino);
	EXPECT_TRUE(proc_locks_has(want));
	close(g);
	g = EXPECT_OK(open("g", O_RDWR));
	EXPECT_OK(flock(g, LOCK_EX));
	snprintf(want, sizeof want, "FLOCK  ADVISORY  WRITE %d %02x:%02x:%lu 0 EOF",
		 getpid(), major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino);
	EXPECT_TRUE(proc_locks_has(want));
	close(g);
	EXPECT_TRUE(!proc_locks_has(want));
}
