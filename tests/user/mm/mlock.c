/*
 * Suite mlock: mlock(2), mlock2(2), munlock(2), mlockall(2), munlockall(2)
 * as Linux's mm/mlock.c: an unaligned start is rounded down, unmapped parts
 * are ENOMEM (munlock too), unknown flags are EINVAL (mlock2, mlockall; an
 * mlockall of MCL_ONFAULT alone or of nothing is EINVAL); without
 * CAP_IPC_LOCK the locked total stays within RLIMIT_MEMLOCK (ENOMEM; EAGAIN
 * for mmap(MAP_LOCKED)), and a limit of 0 is EPERM.  Locked memory refuses
 * MADV_DONTNEED (EINVAL), and a forked child inherits no locks.
 * Man pages mlock(2), setrlimit(2).
 */
#include "harness.h"

#include <sys/mman.h>
#include <sys/resource.h>

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#define PG 4096UL

static char *anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	return p;
}

TEST(mlock, lock_and_unlock_ranges)
{
	char *p = anon(4 * PG);
	EXPECT_OK(mlock(p + 10, 2 * PG));
	/* Rounded to whole pages: pages 0..2 are locked. */
	EXPECT_ERRNO(madvise(p, PG, MADV_DONTNEED), EINVAL);
	EXPECT_ERRNO(madvise(p + 2 * PG, PG, MADV_DONTNEED), EINVAL);
	EXPECT_OK(madvise(p + 3 * PG, PG, MADV_DONTNEED));
	EXPECT_OK(munlock(p, 4 * PG));
	EXPECT_OK(madvise(p, PG, MADV_DONTNEED));
	EXPECT_ERRNO(syscall(SYS_mlock2, p, PG, 2), EINVAL);
	EXPECT_OK(syscall(SYS_mlock2, p, PG, MLOCK_ONFAULT));
	EXPECT_ERRNO(madvise(p, PG, MADV_DONTNEED), EINVAL);
	EXPECT_OK(munlock(p, PG));
	EXPECT_OK(mlock(p, 0));
	EXPECT_OK(munmap(p + 3 * PG, PG));
	EXPECT_ERRNO(mlock(p, 4 * PG), ENOMEM);
	EXPECT_ERRNO(munlock(p, 4 * PG), ENOMEM);
	munmap(p, 3 * PG);
}

TEST(mlock, mlockall_flags)
{
	EXPECT_ERRNO(mlockall(0), EINVAL);
	EXPECT_ERRNO(mlockall(MCL_ONFAULT), EINVAL);
	EXPECT_ERRNO(mlockall(8), EINVAL);
	EXPECT_OK(mlockall(MCL_FUTURE | MCL_ONFAULT));
	char *p = anon(PG);
	/* Locked because of MCL_FUTURE. */
	EXPECT_ERRNO(madvise(p, PG, MADV_DONTNEED), EINVAL);
	EXPECT_OK(munlockall());
	char *q = anon(PG);
	EXPECT_OK(madvise(q, PG, MADV_DONTNEED));
	EXPECT_OK(madvise(p, PG, MADV_DONTNEED));
	munmap(p, PG);
	munmap(q, PG);
}

TEST(mlock, forked_child_inherits_no_locks)
{
	char *p = anon(PG);
	EXPECT_OK(mlock(p, PG));
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(madvise(p, PG, MADV_DONTNEED));
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_ERRNO(madvise(p, PG, MADV_DONTNEED), EINVAL);
	munmap(p, PG);
}

static void limited_child(void *arg)
{
	(void)arg;
	struct rlimit two_pages = {2 * PG, 2 * PG};
	EXPECT_OK(setrlimit(RLIMIT_MEMLOCK, &two_pages));
	EXPECT_OK(setuid(65534));
	char *p = anon(4 * PG);
	EXPECT_ERRNO(mlock(p, 3 * PG), ENOMEM);
	EXPECT_OK(mlock(p, 2 * PG));
	EXPECT_ERRNO(mlock(p + 2 * PG, PG), ENOMEM);
	/* Relocking what is locked costs nothing. */
	EXPECT_OK(mlock(p, 2 * PG));
	EXPECT_OK(munlock(p, PG));
	EXPECT_OK(mlock(p + 2 * PG, PG));
	EXPECT_ERRNO(mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0),
		     EAGAIN);
	EXPECT_ERRNO(mlockall(MCL_CURRENT), ENOMEM);
	struct rlimit none = {0, 0};
	EXPECT_OK(setrlimit(RLIMIT_MEMLOCK, &none));
	EXPECT_ERRNO(mlock(p + 3 * PG, PG), EPERM);
	EXPECT_ERRNO(mlockall(MCL_FUTURE), EPERM);
	/* Unlocking needs no privilege. */
	EXPECT_OK(munlock(p, 4 * PG));
	_exit(0);
}

TEST(mlock, rlimit_memlock_without_privilege)
{
	EXPECT_EQ(h_run_child(limited_child, NULL), 0);
}
