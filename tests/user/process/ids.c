/*
 * Suite ids: getpid(2), getppid(2), gettid(2), getuid/geteuid/getgid/
 * getegid(2), set_tid_address(2).
 *
 * Guards Linux's kernel/sys.c and kernel/fork.c: in a single-threaded process
 * the tid is the pid; init is pid 1 with parent 0 (its parent is the idle
 * task, outside its pid namespace) and runs as root (uid/gid 0);
 * set_tid_address returns the caller's tid.  Man pages getpid(2), gettid(2),
 * set_tid_address(2).
 */
#include "harness.h"

TEST(ids, getpid_consistent)
{
	long pid = syscall(SYS_getpid);
	EXPECT_GT(pid, 0);
	EXPECT_EQ(getpid(), pid);
	EXPECT_EQ(syscall(SYS_getpid), pid);
	if (h_is_init())
		EXPECT_EQ(pid, 1);
}

TEST(ids, getppid)
{
	long ppid = syscall(SYS_getppid);
	EXPECT_EQ(getppid(), ppid);
	if (h_is_init())
		EXPECT_EQ(ppid, 0);
	else
		EXPECT_GT(ppid, 0);
}

TEST(ids, gettid_is_pid)
{
	EXPECT_EQ(syscall(SYS_gettid), getpid());
	EXPECT_EQ(gettid(), getpid());
}

TEST(ids, credentials)
{
	long uid = syscall(SYS_getuid), euid = syscall(SYS_geteuid);
	long gid = syscall(SYS_getgid), egid = syscall(SYS_getegid);
	EXPECT_GE(uid, 0);
	EXPECT_EQ(getuid(), uid);
	EXPECT_EQ(geteuid(), euid);
	EXPECT_EQ(getgid(), gid);
	EXPECT_EQ(getegid(), egid);
	if (h_is_init()) {
		EXPECT_EQ(uid, 0);
		EXPECT_EQ(euid, 0);
		EXPECT_EQ(gid, 0);
		EXPECT_EQ(egid, 0);
	}
}

TEST(ids, set_tid_address_returns_tid)
{
	/* Keep the address valid for the life of the process: the kernel
	 * writes 0 there when the thread exits. */
	static int tid_slot;
	EXPECT_EQ(syscall(SYS_set_tid_address, &tid_slot), getpid());
	EXPECT_EQ(syscall(SYS_set_tid_address, &tid_slot), getpid());
	/* Any address is accepted: it is only used at exit. */
	EXPECT_EQ(syscall(SYS_set_tid_address, NULL), getpid());
	EXPECT_EQ(syscall(SYS_set_tid_address, &tid_slot), getpid());
	EXPECT_EQ(tid_slot, 0);
}
