/*
 * Suite reclock: fcntl(2) record locks F_GETLK, F_SETLK, F_SETLKW and the
 * open-file-description locks F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, called
 * as the raw syscall.
 *
 * Guards Linux 6.1's fs/locks.c: a POSIX lock belongs to the process (its
 * descriptor table), so a process never conflicts with itself, its locks
 * are not inherited by fork, and closing ANY of its descriptors of the file
 * releases them all; an OFD lock belongs to the open file description, so
 * two open()s in one process conflict, dup/fork share it and only the last
 * close releases it; POSIX and OFD locks conflict with each other.  A new
 * lock replaces the owner's locks on its bytes (splitting them) and merges
 * with adjacent or overlapping ones of the same type, as F_GETLK shows;
 * F_GETLK reports the first conflicting lock with l_whence = SEEK_SET,
 * l_len 0 for "to the end", l_pid of the holder (-1 for OFD locks), or
 * F_UNLCK leaving the other fields alone.  Ranges: SEEK_SET/CUR/END, l_len 0
 * and negative, EINVAL below 0, EOVERFLOW past LLONG_MAX.  F_SETLKW sleeps
 * until the conflict goes, fails with EDEADLK when two processes would wait
 * for each other, and is interrupted by a handled signal (EINTR).  Errors:
 * EBADF for a read lock on a descriptor not open for reading (write lock:
 * writing) and on O_PATH descriptors, EINVAL for a bad type or whence,
 * F_GETLK with F_UNLCK, an OFD request with l_pid != 0, and the 32-bit
 * F_*LK64 numbers; EFAULT for a bad pointer.  Man page fcntl(2).
 */
#include "harness.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

static long r_fcntl(int fd, int cmd, struct flock *fl)
{
	return syscall(SYS_fcntl, fd, cmd, fl);
}

static struct flock lk(short type, short whence, off_t start, off_t len)
{
	struct flock fl;
	memset(&fl, 0, sizeof fl);
	fl.l_type = type;
	fl.l_whence = whence;
	fl.l_start = start;
	fl.l_len = len;
	return fl;
}

/* Sets a lock; FAILs unless it succeeds. */
static void set(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = lk(type, SEEK_SET, start, len);
	if (r_fcntl(fd, cmd, &fl) != 0)
		FAIL("fcntl(%d, %d, type %d, %lld+%lld): %s", fd, cmd, type,
		     (long long)start, (long long)len, h_errname(errno));
}

/* F_GETLK (or F_OFD_GETLK) for type on start+len: the answer. */
static struct flock probe(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = lk(type, SEEK_SET, start, len);
	if (r_fcntl(fd, cmd, &fl) != 0)
		FAIL("getlk: %s", h_errname(errno));
	return fl;
}

static int open_rw(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		FAIL("open(%s): %s", path, h_errname(errno));
	return fd;
}

/* Runs fn in a child that has its own descriptor table (fork), returns its
 * exit code. */
static int in_child(void (*fn)(void *), void *arg)
{
	return h_run_child(fn, arg);
}

static void child_sees_parents_lock(void *arg)
{
	pid_t parent = *(pid_t *)arg;
	int fd = open_rw("f");
	struct flock fl = probe(fd, F_GETLK, F_WRLCK, 0, 100);
	EXPECT_EQ(fl.l_type, F_WRLCK);
	EXPECT_EQ(fl.l_whence, SEEK_SET);
	EXPECT_EQ(fl.l_start, 10);
	EXPECT_EQ(fl.l_len, 10);
	EXPECT_EQ(fl.l_pid, parent);
	/* A read probe against a write lock conflicts too. */
	fl = probe(fd, F_GETLK, F_RDLCK, 19, 1);
	EXPECT_EQ(fl.l_type, F_WRLCK);
	/* Outside the lock: F_UNLCK, the rest as it was. */
	fl = lk(F_WRLCK, SEEK_CUR, 20, 5);
	fl.l_pid = 1234;
	EXPECT_EQ(r_fcntl(fd, F_GETLK, &fl), 0);
	EXPECT_EQ(fl.l_type, F_UNLCK);
	EXPECT_EQ(fl.l_whence, SEEK_CUR);
	EXPECT_EQ(fl.l_start, 20);
	EXPECT_EQ(fl.l_len, 5);
	EXPECT_EQ(fl.l_pid, 1234);
	/* F_SETLK: EAGAIN on overlap, fine next to it. */
	fl = lk(F_WRLCK, SEEK_SET, 15, 1);
	EXPECT_ERRNO(r_fcntl(fd, F_SETLK, &fl), EAGAIN);
	fl = lk(F_RDLCK, SEEK_SET, 0, 11);
	EXPECT_ERRNO(r_fcntl(fd, F_SETLK, &fl), EAGAIN);
	set(fd, F_SETLK, F_WRLCK, 20, 10);
	set(fd, F_SETLK, F_WRLCK, 0, 10);
}

TEST(reclock, setlk_and_getlk_between_processes)
{
	h_tmpdir();
	int fd = open_rw("f");
	set(fd, F_SETLK, F_WRLCK, 10, 10);
	/* A process never conflicts with itself. */
	struct flock fl = probe(fd, F_GETLK, F_WRLCK, 0, 0);
	EXPECT_EQ(fl.l_type, F_UNLCK);
	pid_t me = getpid();
	EXPECT_EQ(in_child(child_sees_parents_lock, &me), 0);
	/* The child's locks went with it. */
	set(fd, F_SETLK, F_WRLCK, 0, 0);
}

static void child_reads_share(void *arg)
{
	(void)arg;
	int fd = open_rw("f");
	set(fd, F_SETLK, F_RDLCK, 0, 100);
	struct flock fl = lk(F_WRLCK, SEEK_SET, 50, 1);
	EXPECT_ERRNO(r_fcntl(fd, F_SETLK, &fl), EAGAIN);
}

TEST(reclock, read_locks_share)
{
	h_tmpdir();
	int fd = open_rw("f");
	set(fd, F_SETLK, F_RDLCK, 0, 100);
	EXPECT_EQ(in_child(child_reads_share, NULL), 0);
}

struct expect_range {
	off_t at;
	short probe_type;
	short type;
	off_t start;
	off_t len;
};

static void child_checks_ranges(void *arg)
{
	const struct expect_range *e = arg;
	int fd = open_rw("f");
	for (; e->probe_type; e++) {
		struct flock fl = probe(fd, F_GETLK, e->probe_type, e->at, 1);
		if (fl.l_type != e->type ||
		    (e->type != F_UNLCK &&
		     (fl.l_start != e->start || fl.l_len != e->len)))
			FAIL("at %lld: got type %d %lld+%lld, expected type %d "
			     "%lld+%lld",
			     (long long)e->at, fl.l_type, (long long)fl.l_start,
			     (long long)fl.l_len, e->type, (long long)e->start,
			     (long long)e->len);
	}
}

TEST(reclock, split_and_merge)
{
	h_tmpdir();
	int fd = open_rw("f");
	set(fd, F_SETLK, F_WRLCK, 0, 100);
	/* Unlocking the middle splits. */
	set(fd, F_SETLK, F_UNLCK, 40, 20);
	/* A read lock in the hole, adjacent writes merged on the right. */
	set(fd, F_SETLK, F_RDLCK, 40, 20);
	set(fd, F_SETLK, F_WRLCK, 100, 10);
	set(fd, F_SETLK, F_WRLCK, 110, 10);
	/* A lock to the end of the file, away from the rest. */
	set(fd, F_SETLK, F_RDLCK, 1000, 0);
	struct expect_range want[] = {
		{0, F_RDLCK, F_WRLCK, 0, 40},
		{39, F_WRLCK, F_WRLCK, 0, 40},
		{45, F_RDLCK, F_UNLCK, 0, 0},
		{45, F_WRLCK, F_RDLCK, 40, 20},
		{60, F_RDLCK, F_WRLCK, 60, 60},
		{119, F_RDLCK, F_WRLCK, 60, 60},
		{120, F_WRLCK, F_UNLCK, 0, 0},
		{5000, F_WRLCK, F_RDLCK, 1000, 0},
		{0, 0, 0, 0, 0},
	};
	EXPECT_EQ(in_child(child_checks_ranges, want), 0);
	/* Writing over the read lock merges everything from 0 to 119. */
	set(fd, F_SETLK, F_WRLCK, 40, 20);
	struct expect_range merged[] = {
		{50, F_RDLCK, F_WRLCK, 0, 120},
		{999, F_WRLCK, F_UNLCK, 0, 0},
		{0, 0, 0, 0, 0},
	};
	EXPECT_EQ(in_child(child_checks_ranges, merged), 0);
	/* Downgrading part of it splits again. */
	set(fd, F_SETLK, F_RDLCK, 10, 10);
	struct expect_range split[] = {
		{5, F_RDLCK, F_WRLCK, 0, 10},
		{15, F_RDLCK, F_UNLCK, 0, 0},
		{15, F_WRLCK, F_RDLCK, 10, 10},
		{20, F_RDLCK, F_WRLCK, 20, 100},
		{0, 0, 0, 0, 0},
	};
	EXPECT_EQ(in_child(child_checks_ranges, split), 0);
}

TEST(reclock, whence_and_lengths)
{
	h_tmpdir();
	int fd = open_rw("f");
	EXPECT_EQ(write(fd, "0123456789", 10), 10);
	EXPECT_EQ(lseek(fd, 4, SEEK_SET), 4);
	/* SEEK_CUR from 4: bytes 6..7; SEEK_END from 10: bytes 8..9 (len -2). */
	struct flock fl = lk(F_WRLCK, SEEK_CUR, 2, 2);
	EXPECT_EQ(r_fcntl(fd, F_SETLK, &fl), 0);
	fl = lk(F_RDLCK, SEEK_END, 0, -2);
	EXPECT_EQ(r_fcntl(fd, F_SETLK, &fl), 0);
	fl = lk(F_WRLCK, SEEK_END, 5, 0);
	EXPECT_EQ(r_fcntl(fd, F_SETLK, &fl), 0);
	struct expect_range want[] = {
		{6, F_RDLCK, F_WRLCK, 6, 2},
		{8, F_WRLCK, F_RDLCK, 8, 2},
		{10, F_WRLCK, F_UNLCK, 0, 0},
		{15, F_RDLCK, F_WRLCK, 15, 0},
		{0, 0, 0, 0, 0},
	};
	EXPECT_EQ(in_child(child_checks_ranges, want), 0);
	/* Ranges that cannot be. */
	fl = lk(F_WRLCK, SEEK_SET, -1, 1);
	EXPECT_ERRNO(r_fcntl(fd, F_SETLK, &fl), EINVAL);
	fl = lk(F_WRLCK, SEEK_CUR, -5, 1);
	EXPECT_ERRNO(r_fcntl(fd, F_SETLK, &fl), EINVAL);
	fl = lk(F_WRLCK, SEEK_SET, 3, -4);
	EXPECT_ERRNO(r_fcntl(fd, F_SETLK, &fl), EINVAL);
	fl = lk(F_WRLCK, SEEK_SET, 0x7fffffffffffffffLL, 2);
	EXPECT_ERRNO(r_fcntl(fd, F_SETLK, &fl), EOVERFLOW);
	fl = lk(F_WRLCK, SEEK_END, 0x7fffffffffffffffLL, 1);
	EXPECT_ERRNO(r_fcntl(fd, F_SETLK, &fl), EOVERFLOW);
	fl = lk(F_WRLCK, 3, 0, 1);
	EXPECT_ERRNO(r_fcntl(fd, F_SETLK, &fl), EINVAL);
	/* The last byte alone is fine. */
	fl = lk(F_WRLCK, SEEK_SET, 0x7fffffffffffffffLL, 1);
	EXPECT_EQ(r_fcntl(fd, F_SETLK, &fl), 0);
}

static void child_can_lock_all(void *arg)
{
	(void)arg;
	int fd = open_rw("f");
	set(fd, F_SETLK, F_WRLCK, 0, 0);
}

static void child_cannot_lock(void *arg)
{
	(void)arg;
	int fd = open_rw("f");
	struct flock fl = lk(F_WRLCK, SEEK_SET, 0, 0);
	EXPECT_ERRNO(r_fcntl(fd, F_SETLK, &fl), EAGAIN);
}

TEST(reclock, any_close_releases_the_process_locks)
{
	h_tmpdir();
	int fd = open_rw("f");
	set(fd, F_SETLK, F_WRLCK, 0, 10);
	int other = open_rw("f");
	int copy = EXPECT_OK(dup(fd));
	EXPECT_EQ(in_child(child_cannot_lock, NULL), 0);
	/* Closing another description of the file releases the lock. */
	EXPECT_OK(close(other));
	EXPECT_EQ(in_child(child_can_lock_all, NULL), 0);
	/* So does closing a dup. */
	set(fd, F_SETLK, F_WRLCK, 0, 10);
	EXPECT_OK(close(copy));
	EXPECT_EQ(in_child(child_can_lock_all, NULL), 0);
	/* And dup2 over a descriptor of the file. */
	set(fd, F_SETLK, F_WRLCK, 0, 10);
	other = open_rw("f");
	int unrelated = open_rw("g");
	EXPECT_OK(dup2(unrelated, other));
	EXPECT_EQ(in_child(child_can_lock_all, NULL), 0);
	/* Closing a descriptor of another file does not. */
	set(fd, F_SETLK, F_WRLCK, 0, 10);
	EXPECT_OK(close(unrelated));
	EXPECT_EQ(in_child(child_cannot_lock, NULL), 0);
}

static void child_closes_inherited(void *arg)
{
	int fd = *(int *)arg;
	/* The parent's lock conflicts with the child (another owner). */
	struct flock fl = probe(fd, F_GETLK, F_WRLCK, 0, 0);
	EXPECT_EQ(fl.l_type, F_WRLCK);
	EXPECT_EQ(fl.l_pid, getppid());
	/* The child's close does not release the parent's lock. */
	EXPECT_OK(close(fd));
}

TEST(reclock, not_inherited_by_fork)
{
	h_tmpdir();
	int fd = open_rw("f");
	set(fd, F_SETLK, F_WRLCK, 0, 10);
	EXPECT_EQ(in_child(child_closes_inherited, &fd), 0);
	EXPECT_EQ(in_child(child_cannot_lock, NULL), 0);
}

TEST(reclock, setlkw_waits_for_the_holder)
{
	h_tmpdir();
	int fd = open_rw("f");
	set(fd, F_SETLK, F_WRLCK, 0, 10);
	int ready[2];
	h_pipe(ready);
	pid_t pid = h_fork();
	if (pid == 0) {
		int mine = open_rw("f");
		struct flock fl = lk(F_WRLCK, SEEK_SET, 5, 1);
		EXPECT_ERRNO(r_fcntl(mine, F_SETLK, &fl), EAGAIN);
		h_post(ready[1]);
		EXPECT_EQ(r_fcntl(mine, F_SETLKW, &fl), 0);
		char buf[8] = "";
		EXPECT_EQ(pread(mine, buf, sizeof buf, 0), 6);
		EXPECT_MEMEQ(buf, "marker", 6);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	EXPECT_EQ(pwrite(fd, "marker", 6, 0), 6);
	set(fd, F_SETLK, F_UNLCK, 0, 10);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(reclock, deadlock_is_edeadlk)
{
	h_tmpdir();
	int fd = open_rw("f");
	set(fd, F_SETLK, F_WRLCK, 0, 1);
	int ready[2];
	h_pipe(ready);
	pid_t pid = h_fork();
	if (pid == 0) {
		int mine = open_rw("f");
		set(mine, F_SETLK, F_WRLCK, 1, 1);
		h_post(ready[1]);
		/* Wait for the parent's byte 0. Whichever of the two asks
		 * second closes the cycle and gets EDEADLK; then it lets go. */
		struct flock fl = lk(F_WRLCK, SEEK_SET, 0, 1);
		long r = r_fcntl(mine, F_SETLKW, &fl);
		if (r == -1 && errno == EDEADLK) {
			set(mine, F_SETLK, F_UNLCK, 1, 1);
			h_exit(2);
		}
		EXPECT_EQ(r, 0);
		h_exit(1);
	}
	h_wait_byte(ready[0]);
	struct flock fl = lk(F_WRLCK, SEEK_SET, 1, 1);
	long r = r_fcntl(fd, F_SETLKW, &fl);
	int e = errno;
	if (r == -1) {
		EXPECT_EQ(e, EDEADLK);
		/* Let the child through. */
		set(fd, F_SETLK, F_UNLCK, 0, 1);
		EXPECT_EQ(h_wait_exit(pid), 1);
	} else {
		EXPECT_EQ(r, 0);
		EXPECT_EQ(h_wait_exit(pid), 2);
	}
}

static void child_makes_a_cycle_with_ofd(void *arg)
{
	(void)arg;
	/* OFD requests are never refused with EDEADLK: a non-blocking probe
	 * of the same situation is EAGAIN. */
	int a = open_rw("f"), b = open_rw("f");
	set(a, F_OFD_SETLK, F_WRLCK, 0, 1);
	set(b, F_OFD_SETLK, F_WRLCK, 1, 1);
	struct flock fl = lk(F_WRLCK, SEEK_SET, 1, 1);
	EXPECT_ERRNO(r_fcntl(a, F_OFD_SETLK, &fl), EAGAIN);
}

TEST(reclock, ofd_locks_belong_to_the_description)
{
	h_tmpdir();
	int a = open_rw("f"), b = open_rw("f");
	set(a, F_OFD_SETLK, F_WRLCK, 0, 10);
	/* Another description in the same process conflicts. */
	struct flock fl = lk(F_WRLCK, SEEK_SET, 5, 1);
	EXPECT_ERRNO(r_fcntl(b, F_OFD_SETLK, &fl), EAGAIN);
	fl = probe(b, F_OFD_GETLK, F_RDLCK, 0, 0);
	EXPECT_EQ(fl.l_type, F_WRLCK);
	EXPECT_EQ(fl.l_start, 0);
	EXPECT_EQ(fl.l_len, 10);
	EXPECT_EQ(fl.l_pid, -1);
	/* ... so does a POSIX lock of the same process. */
	fl = lk(F_RDLCK, SEEK_SET, 9, 1);
	EXPECT_ERRNO(r_fcntl(b, F_SETLK, &fl), EAGAIN);
	fl = probe(b, F_GETLK, F_RDLCK, 0, 0);
	EXPECT_EQ(fl.l_type, F_WRLCK);
	EXPECT_EQ(fl.l_pid, -1);
	/* A dup shares the lock; closing other descriptors keeps it. */
	int a2 = EXPECT_OK(dup(a));
	fl = probe(a2, F_OFD_GETLK, F_WRLCK, 0, 0);
	EXPECT_EQ(fl.l_type, F_UNLCK);
	EXPECT_OK(close(b));
	b = open_rw("f");
	fl = lk(F_WRLCK, SEEK_SET, 5, 1);
	EXPECT_ERRNO(r_fcntl(b, F_OFD_SETLK, &fl), EAGAIN);
	EXPECT_OK(close(a));
	EXPECT_ERRNO(r_fcntl(b, F_OFD_SETLK, &fl), EAGAIN);
	/* The last close releases it. */
	EXPECT_OK(close(a2));
	EXPECT_EQ(r_fcntl(b, F_OFD_SETLK, &fl), 0);
	EXPECT_EQ(in_child(child_makes_a_cycle_with_ofd, NULL), 0);
}

static void child_inherits_ofd(void *arg)
{
	int fd = *(int *)arg;
	/* The forked descriptor is the same description: no conflict. */
	struct flock fl = probe(fd, F_OFD_GETLK, F_WRLCK, 0, 0);
	EXPECT_EQ(fl.l_type, F_UNLCK);
	/* POSIX lock of the child: conflicts with the OFD lock. */
	fl = lk(F_RDLCK, SEEK_SET, 0, 1);
	EXPECT_ERRNO(r_fcntl(fd, F_SETLK, &fl), EAGAIN);
	EXPECT_OK(close(fd));
}

TEST(reclock, ofd_locks_across_fork)
{
	h_tmpdir();
	int fd = open_rw("f");
	set(fd, F_OFD_SETLK, F_WRLCK, 0, 10);
	EXPECT_EQ(in_child(child_inherits_ofd, &fd), 0);
	/* The child's close of its copy kept the lock. */
	int b = open_rw("f");
	struct flock fl = lk(F_WRLCK, SEEK_SET, 0, 1);
	EXPECT_ERRNO(r_fcntl(b, F_OFD_SETLK, &fl), EAGAIN);
}

TEST(reclock, getlk_refuses_unlck)
{
	h_tmpdir();
	int a = open_rw("f"), b = open_rw("f");
	set(a, F_OFD_SETLK, F_WRLCK, 20, 10);
	/* Linux 6.1: both F_GETLK and F_OFD_GETLK want F_RDLCK or F_WRLCK
	 * (F_UNLCK probes came in 6.4). */
	struct flock fl = lk(F_UNLCK, SEEK_SET, 0, 0);
	EXPECT_ERRNO(r_fcntl(b, F_OFD_GETLK, &fl), EINVAL);
	EXPECT_ERRNO(r_fcntl(b, F_GETLK, &fl), EINVAL);
}

static volatile int alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

TEST(reclock, signal_interrupts_setlkw)
{
	h_tmpdir();
	int fd = open_rw("f");
	int ready[2], release[2];
	h_pipe(ready);
	h_pipe(release);
	pid_t pid = h_fork();
	if (pid == 0) {
		int mine = open_rw("f");
		set(mine, F_SETLK, F_WRLCK, 0, 0);
		h_post(ready[1]);
		h_wait_byte(release[0]);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	alarms = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	EXPECT_OK(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = {{0, 5000}, {0, 5000}};
	EXPECT_OK(setitimer(ITIMER_REAL, &it, NULL));
	struct flock fl = lk(F_RDLCK, SEEK_SET, 0, 1);
	long r = r_fcntl(fd, F_SETLKW, &fl);
	int e = errno;
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(e, EINTR);
	EXPECT_GE(alarms, 1);
	h_post(release[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* With the holder gone the lock is free. */
	set(fd, F_SETLK, F_WRLCK, 0, 0);
}

TEST(reclock, errors)
{
	h_tmpdir();
	h_write_file("f", "x");
	int ro = EXPECT_OK(open("f", O_RDONLY));
	int wo = EXPECT_OK(open("f", O_WRONLY));
	int p = EXPECT_OK(open("f", O_PATH));
	struct flock fl = lk(F_WRLCK, SEEK_SET, 0, 1);
	EXPECT_ERRNO(r_fcntl(ro, F_SETLK, &fl), EBADF);
	EXPECT_ERRNO(r_fcntl(ro, F_OFD_SETLK, &fl), EBADF);
	fl = lk(F_RDLCK, SEEK_SET, 0, 1);
	EXPECT_ERRNO(r_fcntl(wo, F_SETLK, &fl), EBADF);
	EXPECT_EQ(r_fcntl(ro, F_SETLK, &fl), 0);
	fl = lk(F_WRLCK, SEEK_SET, 0, 1);
	EXPECT_EQ(r_fcntl(wo, F_SETLK, &fl), 0);
	/* Unlocking needs no access mode. */
	fl = lk(F_UNLCK, SEEK_SET, 0, 0);
	EXPECT_EQ(r_fcntl(ro, F_SETLK, &fl), 0);
	/* F_GETLK works on any readable or writable descriptor. */
	fl = lk(F_WRLCK, SEEK_SET, 0, 1);
	EXPECT_EQ(r_fcntl(ro, F_GETLK, &fl), 0);
	/* O_PATH descriptors: EBADF for every lock command. */
	fl = lk(F_RDLCK, SEEK_SET, 0, 1);
	EXPECT_ERRNO(r_fcntl(p, F_SETLK, &fl), EBADF);
	EXPECT_ERRNO(r_fcntl(p, F_GETLK, &fl), EBADF);
	EXPECT_ERRNO(r_fcntl(p, F_OFD_GETLK, &fl), EBADF);
	EXPECT_ERRNO(r_fcntl(-1, F_GETLK, &fl), EBADF);
	/* Bad type and whence. */
	fl = lk(5, SEEK_SET, 0, 1);
	EXPECT_ERRNO(r_fcntl(wo, F_SETLK, &fl), EINVAL);
	EXPECT_ERRNO(r_fcntl(wo, F_GETLK, &fl), EINVAL);
	EXPECT_ERRNO(r_fcntl(wo, F_OFD_SETLK, &fl), EINVAL);
	fl = lk(F_WRLCK, -1, 0, 1);
	EXPECT_ERRNO(r_fcntl(wo, F_SETLK, &fl), EINVAL);
	/* The range comes before the type check, and the access mode after. */
	fl = lk(5, SEEK_SET, 0x7fffffffffffffffLL, 2);
	EXPECT_ERRNO(r_fcntl(wo, F_SETLK, &fl), EOVERFLOW);
	fl = lk(F_RDLCK, SEEK_SET, -1, 1);
	EXPECT_ERRNO(r_fcntl(wo, F_SETLK, &fl), EINVAL);
	/* OFD requests want l_pid 0 (checked after the access mode). */
	fl = lk(F_WRLCK, SEEK_SET, 0, 1);
	fl.l_pid = 1;
	EXPECT_ERRNO(r_fcntl(wo, F_OFD_SETLK, &fl), EINVAL);
	EXPECT_ERRNO(r_fcntl(wo, F_OFD_GETLK, &fl), EINVAL);
	EXPECT_ERRNO(r_fcntl(ro, F_OFD_SETLK, &fl), EBADF);
	/* A POSIX request ignores l_pid. */
	EXPECT_EQ(r_fcntl(wo, F_SETLK, &fl), 0);
	/* Bad pointers. */
	EXPECT_ERRNO(r_fcntl(wo, F_SETLK, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(r_fcntl(wo, F_GETLK, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(r_fcntl(wo, F_OFD_SETLKW, H_BAD_PTR), EFAULT);
	/* The 32-bit F_GETLK64/F_SETLK64/F_SETLKW64 numbers do not exist here. */
	fl = lk(F_WRLCK, SEEK_SET, 0, 1);
	EXPECT_ERRNO(r_fcntl(wo, 12, &fl), EINVAL);
	EXPECT_ERRNO(r_fcntl(wo, 13, &fl), EINVAL);
	EXPECT_ERRNO(r_fcntl(wo, 14, &fl), EINVAL);
}
