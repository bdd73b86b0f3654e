/*
 * Suite unshare: unshare(2) and clone's namespace flags, UTS namespaces.
 *
 * Guards Linux 6.1's ksys_unshare and copy_process: unknown flags are
 * EINVAL; CLONE_FILES and CLONE_FS give the caller its own descriptor table
 * and filesystem context when they were shared; each new namespace but the
 * user namespace needs CAP_SYS_ADMIN (EPERM); clone refuses CLONE_NEWNS or
 * CLONE_NEWUSER with CLONE_FS and CLONE_NEWIPC with CLONE_SYSVSEM (EINVAL).
 * A new UTS namespace starts with a copy of the names, and changing them
 * there leaves the creator's alone.  Man pages unshare(2), clone(2),
 * uts_namespaces(7).
 */
#include "ns.h"

static void bad_flags(void *arg)
{
	(void)arg;
	EXPECT_ERRNO(ns_unshare(~0UL), EINVAL);
	EXPECT_ERRNO(ns_unshare(0x80000000UL), EINVAL); /* CLONE_IO */
	EXPECT_ERRNO(ns_unshare(CLONE_PARENT), EINVAL);
	EXPECT_ERRNO(ns_unshare(1UL << 32), EINVAL);
	EXPECT_EQ(ns_unshare(0), 0);
	/* Nothing shared: these are no-ops. */
	EXPECT_EQ(ns_unshare(CLONE_FILES | CLONE_FS | CLONE_SYSVSEM), 0);
	EXPECT_EQ(ns_unshare(CLONE_SIGHAND | CLONE_VM | CLONE_THREAD), 0);
}

TEST(unshare, bad_flags)
{
	EXPECT_CHILD_OK(bad_flags, NULL);
}

static void eperm(void *arg)
{
	(void)arg;
	EXPECT_EQ(setuid(NOBODY), 0);
	EXPECT_ERRNO(ns_unshare(CLONE_NEWUTS), EPERM);
	EXPECT_ERRNO(ns_unshare(CLONE_NEWNS), EPERM);
	EXPECT_ERRNO(ns_unshare(CLONE_NEWIPC), EPERM);
	EXPECT_ERRNO(ns_unshare(CLONE_NEWCGROUP), EPERM);
	EXPECT_ERRNO(ns_clone(CLONE_NEWUTS), EPERM);
	EXPECT_ERRNO(ns_clone(CLONE_NEWNS), EPERM);
}

TEST(unshare, needs_cap_sys_admin)
{
	EXPECT_CHILD_OK(eperm, NULL);
}

TEST(unshare, clone_combinations)
{
	EXPECT_ERRNO(ns_clone(CLONE_NEWNS | CLONE_FS), EINVAL);
	EXPECT_ERRNO(ns_clone(CLONE_NEWUSER | CLONE_FS), EINVAL);
	EXPECT_ERRNO(ns_clone(CLONE_NEWIPC | CLONE_SYSVSEM), EINVAL);
}

static void uts(void *arg)
{
	const char *outer = arg;
	char name[65];
	unsigned long before = ns_ino("self", "uts");
	EXPECT_EQ(ns_unshare(CLONE_NEWUTS), 0);
	EXPECT_NE(ns_ino("self", "uts"), before);
	ns_hostname(name, sizeof name);
	EXPECT_STREQ(name, outer);
	EXPECT_EQ(sethostname("inner-uts", 9), 0);
	EXPECT_EQ(setdomainname("inner.dom", 9), 0);
	ns_hostname(name, sizeof name);
	EXPECT_STREQ(name, "inner-uts");
	/* /proc/sys/kernel/hostname is the caller's namespace's. */
	char text[80];
	h_read_file("/proc/sys/kernel/hostname", text, sizeof text);
	EXPECT_STREQ(text, "inner-uts\n");
}

TEST(unshare, uts_namespace)
{
	proc_ready();
	char outer[65], domain[65], now[65];
	ns_hostname(outer, sizeof outer);
	EXPECT_EQ(getdomainname(domain, sizeof domain), 0);
	EXPECT_CHILD_OK(uts, outer);
	ns_hostname(now, sizeof now);
	EXPECT_STREQ(now, outer);
	EXPECT_EQ(getdomainname(now, sizeof now), 0);
	EXPECT_STREQ(now, domain);
}

TEST(unshare, clone_newuts)
{
	proc_ready();
	char outer[65], now[65];
	ns_hostname(outer, sizeof outer);
	unsigned long mine = ns_ino("self", "uts");
	int ready[2], done[2];
	h_pipe(ready);
	h_pipe(done);
	pid_t pid = ns_clone(CLONE_NEWUTS);
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		if (sethostname("cloned-uts", 10) != 0)
			h_exit(1);
		h_post(ready[1]);
		h_wait_byte(done[0]);
		ns_hostname(now, sizeof now);
		h_exit(strcmp(now, "cloned-uts") == 0 ? 0 : 2);
	}
	h_wait_byte(ready[0]);
	char other[16];
	snprintf(other, sizeof other, "%d", pid);
	EXPECT_NE(ns_ino(other, "uts"), mine);
	EXPECT_EQ(ns_ino(other, "ipc"), ns_ino("self", "ipc"));
	ns_hostname(now, sizeof now);
	EXPECT_STREQ(now, outer);
	h_post(done[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(unshare, files)
{
	int fds[2];
	h_pipe(fds);
	pid_t pid = ns_clone(CLONE_FILES);
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		if (ns_unshare(CLONE_FILES) != 0)
			h_exit(1);
		/* Closed in our own copy only. */
		close(fds[1]);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(write(fds[1], "x", 1), 1);
}

TEST(unshare, fs)
{
	const char *dir = h_tmpdir();
	pid_t pid = ns_clone(CLONE_FS);
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		if (ns_unshare(CLONE_FS) != 0)
			h_exit(1);
		if (chdir("/") != 0)
			h_exit(2);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	char cwd[256];
	EXPECT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
	EXPECT_STREQ(cwd, dir);
}

TEST(unshare, newns_with_shared_fs)
{
	/* unshare(CLONE_NEWNS) implies CLONE_FS: the cwd is the child's own after it. */
	const char *dir = h_tmpdir();
	pid_t pid = ns_clone(CLONE_FS);
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		if (ns_unshare(CLONE_NEWNS) != 0)
			h_exit(1);
		if (chdir("/") != 0)
			h_exit(2);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	char cwd[256];
	EXPECT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
	EXPECT_STREQ(cwd, dir);
}
