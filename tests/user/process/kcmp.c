/*
 * Suite kcmp: kcmp(2) and pidfd_getfd(2) as Linux 6.1's kernel/kcmp.c and
 * kernel/pid.c. kcmp answers 0 for one object and 1 or 2 otherwise, the two
 * orders consistent (kcmp(a, b) == 1 iff kcmp(b, a) == 2), for every type;
 * objects made on demand (I/O context, SysV undo list) that neither task has
 * compare equal. Errors: ESRCH, EINVAL (type), EBADF, EPERM without ptrace
 * read access, and KCMP_EPOLL_TFD's EFAULT/EBADF/EINVAL/ENOENT.
 * pidfd_getfd duplicates a descriptor of another process, close-on-exec,
 * with ptrace attach access (EPERM), EINVAL for flags, EBADF for a non-pidfd
 * or a closed descriptor (or a zombie, whose files are gone), ESRCH once
 * the process is reaped.
 */
#include "../harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define K_FILE 0
#define K_VM 1
#define K_FILES 2
#define K_FS 3
#define K_SIGHAND 4
#define K_IO 5
#define K_SYSVSEM 6
#define K_EPOLL_TFD 7

#ifndef SYS_kcmp
#define SYS_kcmp 312
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

struct epoll_slot {
	uint32_t efd, tfd, toff;
};

static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2)
{
	return syscall(SYS_kcmp, a, b, type, i1, i2);
}

/* Different objects: 1 or 2, and the other way round the other answer. */
static void expect_different(pid_t a, pid_t b, int type, unsigned long i1,
			     unsigned long i2)
{
	long ab = kcmp(a, b, type, i1, i2);
	long ba = kcmp(b, a, type, i2, i1);
	if (!((ab == 1 && ba == 2) || (ab == 2 && ba == 1)))
		FAIL("kcmp type %d: %ld one way, %ld the other", type, ab, ba);
}

TEST(kcmp, same_and_forked)
{
	pid_t me = getpid();
	for (int type = K_VM; type <= K_SYSVSEM; type++)
		EXPECT_EQ(kcmp(me, me, type, 0, 0), 0);
	int fds[2];
	h_pipe(fds);
	int dup_fd = dup(fds[0]);
	EXPECT_EQ(kcmp(me, me, K_FILE, fds[0], dup_fd), 0);
	expect_different(me, me, K_FILE, fds[0], fds[1]);
	int go[2];
	h_pipe(go);
	pid_t child = h_fork();
	if (child == 0) {
		h_wait_byte(go[0]);
		h_exit(0);
	}
	/* Inherited descriptors name the same files. */
	EXPECT_EQ(kcmp(me, child, K_FILE, fds[0], fds[0]), 0);
	EXPECT_EQ(kcmp(me, child, K_FILE, dup_fd, fds[0]), 0);
	expect_different(me, child, K_FILE, fds[0], fds[1]);
	expect_different(me, child, K_VM, 0, 0);
	expect_different(me, child, K_FILES, 0, 0);
	expect_different(me, child, K_FS, 0, 0);
	expect_different(me, child, K_SIGHAND, 0, 0);
	/* A thread id works as a pid. */
	EXPECT_EQ(kcmp((pid_t)syscall(SYS_gettid), me, K_VM, 0, 0), 0);
	/* Errors. */
	EXPECT_ERRNO(kcmp(me, child, K_FILE, fds[0], 1000), EBADF);
	EXPECT_ERRNO(kcmp(me, child, K_FILE, -1UL, fds[0]), EBADF);
	EXPECT_ERRNO(kcmp(me, child, 8, 0, 0), EINVAL);
	EXPECT_ERRNO(kcmp(me, child, -1, 0, 0), EINVAL);
	EXPECT_ERRNO(kcmp(me, 0, K_VM, 0, 0), ESRCH);
	EXPECT_ERRNO(kcmp(-1, me, K_VM, 0, 0), ESRCH);
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(child), 0);
	EXPECT_ERRNO(kcmp(me, child, K_VM, 0, 0), ESRCH);
}

static int shared_child(void *arg)
{
	pid_t parent = *(pid_t *)arg;
	pid_t me = getpid();
	int ok = kcmp(parent, me, K_VM, 0, 0) == 0 &&
		 kcmp(parent, me, K_FILES, 0, 0) == 0 &&
		 kcmp(parent, me, K_FS, 0, 0) == 0 &&
		 kcmp(parent, me, K_SIGHAND, 0, 0) == 0;
	return ok ? 0 : 1;
}

TEST(kcmp, clone_sharing)
{
	pid_t me = getpid();
	long child = h_clone_raw(CLONE_VM | CLONE_FS | CLONE_FILES |
					 CLONE_SIGHAND | SIGCHLD,
				 h_stack(), NULL, NULL, 0, shared_child, &me);
	EXPECT_GT(child, 0);
	h_track((pid_t)child);
	EXPECT_EQ(h_wait_exit((pid_t)child), 0);
}

/* In a child of the runner: I/O contexts and undo lists. */
static void io_and_sysvsem(void *arg)
{
	(void)arg;
	pid_t me = getpid();
	/* Clone children like fork (no new stack). */
	long plain = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (plain == 0) {
		pause();
		_exit(0);
	}
	h_track((pid_t)plain);
	/* No I/O context made: both have none. */
	long before = kcmp(me, (pid_t)plain, K_IO, 0, 0);
	/* Setting a priority makes one; CLONE_IO shares it, fork copies. */
	EXPECT_OK(syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 4));
	long shared = syscall(SYS_clone, CLONE_IO | SIGCHLD, 0, 0, 0, 0);
	if (shared == 0) {
		pause();
		_exit(0);
	}
	h_track((pid_t)shared);
	long copied = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (copied == 0) {
		pause();
		_exit(0);
	}
	h_track((pid_t)copied);
	EXPECT_EQ(kcmp(me, (pid_t)shared, K_IO, 0, 0), 0);
	expect_different(me, (pid_t)copied, K_IO, 0, 0);
	expect_different(me, (pid_t)plain, K_IO, 0, 0);
	/* Undo lists: none without SEM_UNDO; CLONE_SYSVSEM makes one to share. */
	EXPECT_EQ(kcmp(me, (pid_t)plain, K_SYSVSEM, 0, 0), 0);
	long sem = syscall(SYS_clone, CLONE_SYSVSEM | SIGCHLD, 0, 0, 0, 0);
	if (sem == 0) {
		pause();
		_exit(0);
	}
	h_track((pid_t)sem);
	EXPECT_EQ(kcmp(me, (pid_t)sem, K_SYSVSEM, 0, 0), 0);
	expect_different(me, (pid_t)plain, K_SYSVSEM, 0, 0);
	long children[] = { plain, shared, copied, sem };
	for (int i = 0; i < 4; i++) {
		kill((pid_t)children[i], SIGKILL);
		h_wait_signaled((pid_t)children[i], NULL);
	}
	EXPECT_EQ(before, 0);
}

TEST(kcmp, io_and_sysvsem)
{
	EXPECT_CHILD_OK(io_and_sysvsem, NULL);
}

TEST(kcmp, epoll_target)
{
	pid_t me = getpid();
	int fds[2];
	h_pipe(fds);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	EXPECT_GE(ep, 0);
	struct epoll_event ev = { .events = EPOLLIN };
	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev));
	struct epoll_slot slot = { (uint32_t)ep, (uint32_t)fds[0], 0 };
	EXPECT_EQ(kcmp(me, me, K_EPOLL_TFD, fds[0], (unsigned long)&slot), 0);
	long r = kcmp(me, me, K_EPOLL_TFD, fds[1], (unsigned long)&slot);
	EXPECT_TRUE(r == 1 || r == 2);
	/* The watch outlives a close of its descriptor only in the table. */
	slot.toff = 1;
	EXPECT_ERRNO(kcmp(me, me, K_EPOLL_TFD, fds[0], (unsigned long)&slot),
		     ENOENT);
	slot.toff = 0;
	slot.tfd = (uint32_t)fds[1];
	EXPECT_ERRNO(kcmp(me, me, K_EPOLL_TFD, fds[0], (unsigned long)&slot),
		     ENOENT);
	slot.tfd = (uint32_t)fds[0];
	slot.efd = (uint32_t)fds[1];
	EXPECT_ERRNO(kcmp(me, me, K_EPOLL_TFD, fds[0], (unsigned long)&slot),
		     EINVAL);
	slot.efd = 999;
	EXPECT_ERRNO(kcmp(me, me, K_EPOLL_TFD, fds[0], (unsigned long)&slot),
		     EBADF);
	slot.efd = (uint32_t)ep;
	EXPECT_ERRNO(kcmp(me, me, K_EPOLL_TFD, 999, (unsigned long)&slot),
		     EBADF);
	EXPECT_ERRNO(kcmp(me, me, K_EPOLL_TFD, fds[0], 0), EFAULT);
	close(ep);
}

static void unprivileged(void *arg)
{
	pid_t root_pid = *(pid_t *)arg;
	EXPECT_OK(setgid(65534));
	EXPECT_OK(setuid(65534));
	pid_t me = getpid();
	EXPECT_EQ(kcmp(me, me, K_VM, 0, 0), 0);
	EXPECT_ERRNO(kcmp(me, root_pid, K_VM, 0, 0), EPERM);
	EXPECT_ERRNO(kcmp(root_pid, me, K_VM, 0, 0), EPERM);
	int pidfd = (int)syscall(SYS_pidfd_open, root_pid, 0);
	EXPECT_GE(pidfd, 0);
	EXPECT_ERRNO(syscall(SYS_pidfd_getfd, pidfd, 0, 0), EPERM);
}

TEST(kcmp, needs_ptrace_access)
{
	if (getuid() != 0)
		return;
	pid_t me = getpid();
	EXPECT_CHILD_OK(unprivileged, &me);
}

TEST(kcmp, pidfd_getfd)
{
	int go[2], ready[2];
	h_pipe(go);
	h_pipe(ready);
	pid_t child = h_fork();
	if (child == 0) {
		int fd = open("/", O_RDONLY | O_DIRECTORY);
		if (dup2(fd, 40) != 40)
			h_exit(1);
		close(fd);
		h_post(ready[1]);
		h_wait_byte(go[0]);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	EXPECT_GE(pidfd, 0);
	long fd = syscall(SYS_pidfd_getfd, pidfd, 40, 0);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(fcntl((int)fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(kcmp(getpid(), child, K_FILE, fd, 40), 0);
	close((int)fd);
	EXPECT_ERRNO(syscall(SYS_pidfd_getfd, pidfd, 40, 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pidfd_getfd, pidfd, 41, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_pidfd_getfd, pidfd, -1, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_pidfd_getfd, go[0], 40, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_pidfd_getfd, -1, 40, 0), EBADF);
	/* A zombie has no files; a reaped process is gone. */
	h_post(go[1]);
	siginfo_t info;
	EXPECT_OK(waitid(P_PID, child, &info, WEXITED | WNOWAIT));
	EXPECT_ERRNO(syscall(SYS_pidfd_getfd, pidfd, 40, 0), EBADF);
	EXPECT_EQ(h_wait_exit(child), 0);
	EXPECT_ERRNO(syscall(SYS_pidfd_getfd, pidfd, 40, 0), ESRCH);
	close(pidfd);
}
