/*
 * Suite flock: flock(2), called as the raw syscall.
 *
 * Guards Linux 6.1's fs/locks.c (SYSCALL_DEFINE2(flock), flock_lock_inode):
 * a lock belongs to the open file description, so two open()s of one file
 * conflict while dup()ed descriptors and forked children share one lock;
 * shared locks coexist, exclusive ones do not; LOCK_NB turns a conflict into
 * EWOULDBLOCK; asking again for the lock held changes nothing; converting
 * (shared <-> exclusive) drops the old lock first, so a refused upgrade
 * leaves no lock at all; the lock goes when the description's last
 * descriptor closes; a blocked flock is interrupted by a handled signal
 * (EINTR) or restarted under SA_RESTART; flock locks and fcntl record locks
 * ignore each other.  Errors: EINVAL for an operation other than LOCK_SH,
 * LOCK_EX, LOCK_UN (with or without LOCK_NB), checked before the
 * descriptor; EBADF for a bad or O_PATH descriptor; LOCK_MAND is ignored.
 * Man page flock(2).
 */
#include "harness.h"

#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/time.h>

#ifndef LOCK_MAND
#define LOCK_MAND 32
#endif
#ifndef LOCK_READ
#define LOCK_READ 64
#endif

static long r_flock(int fd, int op)
{
	return syscall(SYS_flock, fd, op);
}

static int open_rw(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		FAIL("open(%s): %s", path, h_errname(errno));
	return fd;
}

TEST(flock, exclusive_excludes_other_descriptions)
{
	h_tmpdir();
	int a = open_rw("f"), b = open_rw("f");
	EXPECT_EQ(r_flock(a, LOCK_EX), 0);
	EXPECT_ERRNO(r_flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	EXPECT_ERRNO(r_flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	/* The holder may ask again. */
	EXPECT_EQ(r_flock(a, LOCK_EX | LOCK_NB), 0);
	EXPECT_EQ(r_flock(a, LOCK_UN), 0);
	EXPECT_EQ(r_flock(b, LOCK_EX | LOCK_NB), 0);
	EXPECT_ERRNO(r_flock(a, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	/* Unlocking what is not locked is fine. */
	EXPECT_EQ(r_flock(a, LOCK_UN), 0);
	EXPECT_EQ(r_flock(a, LOCK_UN | LOCK_NB), 0);
}

TEST(flock, shared_locks_coexist)
{
	h_tmpdir();
	int a = open_rw("f"), b = open_rw("f"), c = open_rw("f");
	EXPECT_EQ(r_flock(a, LOCK_SH), 0);
	EXPECT_EQ(r_flock(b, LOCK_SH | LOCK_NB), 0);
	EXPECT_ERRNO(r_flock(c, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	EXPECT_EQ(r_flock(c, LOCK_SH | LOCK_NB), 0);
	EXPECT_EQ(r_flock(a, LOCK_UN), 0);
	EXPECT_EQ(r_flock(b, LOCK_UN), 0);
	EXPECT_ERRNO(r_flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	EXPECT_EQ(r_flock(c, LOCK_UN), 0);
	EXPECT_EQ(r_flock(a, LOCK_EX | LOCK_NB), 0);
}

TEST(flock, descriptors_of_one_description_share_the_lock)
{
	h_tmpdir();
	int a = open_rw("f"), other = open_rw("f");
	int a2 = EXPECT_OK(dup(a));
	EXPECT_EQ(r_flock(a, LOCK_EX), 0);
	/* The dup holds the same lock: no conflict, and it can unlock it. */
	EXPECT_EQ(r_flock(a2, LOCK_EX | LOCK_NB), 0);
	EXPECT_EQ(r_flock(a2, LOCK_UN), 0);
	EXPECT_EQ(r_flock(other, LOCK_EX | LOCK_NB), 0);
	EXPECT_EQ(r_flock(other, LOCK_UN), 0);
	/* The lock outlives the close of one descriptor, not of the last. */
	EXPECT_EQ(r_flock(a, LOCK_EX), 0);
	EXPECT_OK(close(a));
	EXPECT_ERRNO(r_flock(other, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	EXPECT_OK(close(a2));
	EXPECT_EQ(r_flock(other, LOCK_EX | LOCK_NB), 0);
}

TEST(flock, fork_shares_the_description)
{
	h_tmpdir();
	int a = open_rw("f"), other = open_rw("f");
	EXPECT_EQ(r_flock(a, LOCK_EX), 0);
	int done[2];
	h_pipe(done);
	pid_t pid = h_fork();
	if (pid == 0) {
		/* Same description: no conflict; another one: conflict. */
		EXPECT_EQ(r_flock(a, LOCK_EX | LOCK_NB), 0);
		int mine = open_rw("f");
		EXPECT_ERRNO(r_flock(mine, LOCK_SH | LOCK_NB), EWOULDBLOCK);
		/* The child's close does not drop the shared description's lock. */
		close(a);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_ERRNO(r_flock(other, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	/* An unlock through the child's copy would drop it for everyone. */
	pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(r_flock(a, LOCK_UN), 0);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(r_flock(other, LOCK_EX | LOCK_NB), 0);
}

TEST(flock, conversion_drops_the_old_lock_first)
{
	h_tmpdir();
	int a = open_rw("f"), b = open_rw("f"), c = open_rw("f");
	EXPECT_EQ(r_flock(a, LOCK_SH), 0);
	EXPECT_EQ(r_flock(b, LOCK_SH), 0);
	/* a cannot upgrade while b shares: refused, and a lost its lock. */
	EXPECT_ERRNO(r_flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	EXPECT_EQ(r_flock(b, LOCK_UN), 0);
	EXPECT_EQ(r_flock(c, LOCK_EX | LOCK_NB), 0);
	EXPECT_EQ(r_flock(c, LOCK_UN), 0);
	/* Alone, upgrade then downgrade. */
	EXPECT_EQ(r_flock(a, LOCK_SH), 0);
	EXPECT_EQ(r_flock(a, LOCK_EX | LOCK_NB), 0);
	EXPECT_ERRNO(r_flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	EXPECT_EQ(r_flock(a, LOCK_SH | LOCK_NB), 0);
	EXPECT_EQ(r_flock(b, LOCK_SH | LOCK_NB), 0);
	EXPECT_ERRNO(r_flock(c, LOCK_EX | LOCK_NB), EWOULDBLOCK);
}

TEST(flock, blocked_until_released)
{
	h_tmpdir();
	int a = open_rw("f");
	EXPECT_EQ(r_flock(a, LOCK_EX), 0);
	int ready[2];
	h_pipe(ready);
	pid_t pid = h_fork();
	if (pid == 0) {
		int mine = open_rw("f");
		EXPECT_ERRNO(r_flock(mine, LOCK_EX | LOCK_NB), EWOULDBLOCK);
		h_post(ready[1]);
		EXPECT_EQ(r_flock(mine, LOCK_EX), 0);
		/* The parent wrote before unlocking. */
		char buf[8] = "";
		EXPECT_EQ(pread(mine, buf, sizeof buf, 0), 6);
		EXPECT_MEMEQ(buf, "marker", 6);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	EXPECT_EQ(pwrite(a, "marker", 6, 0), 6);
	EXPECT_EQ(r_flock(a, LOCK_UN), 0);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static volatile int alarms;
static volatile int unlock_fd = -1;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
	if (unlock_fd >= 0 && alarms >= 3) {
		h_raw_syscall(SYS_flock, unlock_fd, LOCK_UN, 0, 0, 0, 0);
		unlock_fd = -1;
	}
}

static void periodic_alarm(int flags)
{
	alarms = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = flags;
	EXPECT_OK(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = {{0, 5000}, {0, 5000}};
	EXPECT_OK(setitimer(ITIMER_REAL, &it, NULL));
}

static void stop_alarm(void)
{
	struct itimerval it;
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
}

TEST(flock, signal_interrupts_a_blocked_lock)
{
	h_tmpdir();
	int a = open_rw("f"), b = open_rw("f");
	EXPECT_EQ(r_flock(a, LOCK_EX), 0);
	unlock_fd = -1;
	periodic_alarm(0);
	long r = r_flock(b, LOCK_EX);
	int e = errno;
	stop_alarm();
	EXPECT_EQ(r, -1);
	EXPECT_EQ(e, EINTR);
	EXPECT_GE(alarms, 1);
	/* Nothing was taken. */
	EXPECT_ERRNO(r_flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
}

TEST(flock, sa_restart_restarts_a_blocked_lock)
{
	h_tmpdir();
	int a = open_rw("f"), b = open_rw("f");
	EXPECT_EQ(r_flock(a, LOCK_EX), 0);
	/* The third alarm's handler unlocks a; the restarted call gets b's lock. */
	unlock_fd = a;
	periodic_alarm(SA_RESTART);
	long r = r_flock(b, LOCK_EX);
	stop_alarm();
	EXPECT_EQ(r, 0);
	EXPECT_GE(alarms, 3);
	EXPECT_ERRNO(r_flock(a, LOCK_SH | LOCK_NB), EWOULDBLOCK);
}

TEST(flock, independent_of_record_locks)
{
	h_tmpdir();
	int a = open_rw("f");
	EXPECT_EQ(r_flock(a, LOCK_EX), 0);
	pid_t pid = h_fork();
	if (pid == 0) {
		int mine = open_rw("f");
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		EXPECT_EQ(syscall(SYS_fcntl, mine, F_SETLK, &fl), 0);
		EXPECT_ERRNO(r_flock(mine, LOCK_SH | LOCK_NB), EWOULDBLOCK);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(flock, access_modes_and_file_kinds)
{
	h_tmpdir();
	h_write_file("f", "x");
	int ro = EXPECT_OK(open("f", O_RDONLY));
	int wo = EXPECT_OK(open("f", O_WRONLY));
	EXPECT_EQ(r_flock(ro, LOCK_SH), 0);
	EXPECT_ERRNO(r_flock(wo, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	EXPECT_EQ(r_flock(ro, LOCK_UN), 0);
	EXPECT_EQ(r_flock(wo, LOCK_EX | LOCK_NB), 0);
	/* Directories lock too. */
	EXPECT_OK(mkdir("d", 0755));
	int d1 = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	int d2 = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(r_flock(d1, LOCK_EX), 0);
	EXPECT_ERRNO(r_flock(d2, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	/* Different files never conflict. */
	int g = open_rw("g");
	EXPECT_EQ(r_flock(g, LOCK_EX | LOCK_NB), 0);
}

TEST(flock, errors)
{
	h_tmpdir();
	int a = open_rw("f");
	EXPECT_ERRNO(r_flock(a, 0), EINVAL);
	EXPECT_ERRNO(r_flock(a, LOCK_NB), EINVAL);
	EXPECT_ERRNO(r_flock(a, LOCK_SH | LOCK_EX), EINVAL);
	EXPECT_ERRNO(r_flock(a, LOCK_SH | LOCK_UN), EINVAL);
	EXPECT_ERRNO(r_flock(a, 16), EINVAL);
	EXPECT_ERRNO(r_flock(a, LOCK_EX | 0x100), EINVAL);
	/* The operation is checked before the descriptor. */
	EXPECT_ERRNO(r_flock(-1, 0), EINVAL);
	EXPECT_ERRNO(r_flock(-1, LOCK_EX), EBADF);
	EXPECT_ERRNO(r_flock(999, LOCK_UN), EBADF);
	int p = EXPECT_OK(open("f", O_PATH));
	EXPECT_ERRNO(r_flock(p, LOCK_EX), EBADF);
	EXPECT_ERRNO(r_flock(p, LOCK_UN), EBADF);
	/* LOCK_MAND is ignored: success, no lock. */
	EXPECT_EQ(r_flock(a, LOCK_MAND | LOCK_READ), 0);
	EXPECT_EQ(r_flock(-1, LOCK_MAND | LOCK_EX), 0);
	int b = open_rw("f");
	EXPECT_EQ(r_flock(b, LOCK_EX | LOCK_NB), 0);
}
