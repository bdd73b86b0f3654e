/*
 * Suite userns: user namespaces made by unshare(2) and clone(2), their
 * uid_map, gid_map and setgroups files, and ids and capabilities inside.
 *
 * Guards Linux 6.1's kernel/user_namespace.c: before its maps are written a
 * new namespace shows every id as 65534; each map is written once (EPERM
 * after), by a writer in the namespace or its parent with CAP_SYS_ADMIN in
 * it; without CAP_SETUID/CAP_SETGID over the parent only the writer's own
 * euid (egid, after "deny" in setgroups) may be mapped; garbage, zero counts
 * and overlaps are EINVAL.  The creator has every capability inside, none
 * over the parent's objects (sethostname of the parent's UTS namespace is
 * EPERM), and may then make other namespaces.  No user namespace from a
 * chroot (EPERM), nor for a multithreaded caller (EINVAL).  Debian allows
 * unprivileged callers (kernel.unprivileged_userns_clone = 1).  Man pages
 * user_namespaces(7), unshare(2).
 */
#include "ns.h"

#include <grp.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/prctl.h>

static void check_map(const char *path, const char *want)
{
	char text[128];
	h_read_file(path, text, sizeof text);
	EXPECT_STREQ(text, want);
}

static void as_root(void *arg)
{
	(void)arg;
	unsigned long outer_user = ns_ino("self", "user");
	EXPECT_EQ(ns_unshare(CLONE_NEWUSER), 0);
	EXPECT_NE(ns_ino("self", "user"), outer_user);
	EXPECT_EQ(getuid(), NOBODY);
	EXPECT_EQ(geteuid(), NOBODY);
	EXPECT_EQ(getgid(), NOBODY);
	check_map("/proc/self/uid_map", "");
	check_map("/proc/self/setgroups", "allow\n");
	/* Garbage is EINVAL; from inside, only one's own id may be mapped. */
	EXPECT_ERRNO(ns_write("/proc/self/uid_map", "0 0 0\n"), EINVAL);
	EXPECT_ERRNO(ns_write("/proc/self/uid_map", "x 0 1\n"), EINVAL);
	EXPECT_ERRNO(ns_write("/proc/self/uid_map", "0 0 10\n5 100 1\n"), EINVAL);
	EXPECT_ERRNO(ns_write("/proc/self/uid_map", "0 0 1\n1000 1000 10\n"), EPERM);
	EXPECT_ERRNO(ns_write("/proc/self/uid_map", "0 1 1\n"), EPERM);
	EXPECT_EQ(ns_write("/proc/self/uid_map", "0 0 1\n"), 0);
	EXPECT_ERRNO(ns_write("/proc/self/uid_map", "0 0 1\n"), EPERM);
	check_map("/proc/self/uid_map", "         0          0          1\n");
	EXPECT_EQ(getuid(), 0);
	EXPECT_EQ(getgid(), NOBODY);
	/* The own gid only once setgroups is denied. */
	EXPECT_ERRNO(ns_write("/proc/self/gid_map", "0 0 1\n"), EPERM);
	EXPECT_ERRNO(ns_write("/proc/self/setgroups", "maybe"), EINVAL);
	EXPECT_EQ(ns_write("/proc/self/setgroups", "deny"), 0);
	EXPECT_EQ(ns_write("/proc/self/gid_map", "0 0 1\n"), 0);
	EXPECT_EQ(getgid(), 0);
	EXPECT_ERRNO(ns_write("/proc/self/setgroups", "deny"), EPERM);
	gid_t groups[1] = {0};
	EXPECT_ERRNO(setgroups(1, groups), EPERM);
	/* Unmapped ids are EINVAL. */
	EXPECT_ERRNO(setuid(500), EINVAL);
	EXPECT_ERRNO(setresgid(-1, 7, -1), EINVAL);
	EXPECT_EQ(setuid(0), 0);
}

TEST(userns, maps_as_root)
{
	proc_ready();
	EXPECT_CHILD_OK(as_root, NULL);
}

static void unprivileged(void *arg)
{
	(void)arg;
	EXPECT_EQ(setgid(NOBODY), 0);
	EXPECT_EQ(setuid(NOBODY), 0);
	EXPECT_EQ(prctl(PR_SET_DUMPABLE, 1), 0);
	unsigned long outer_uts = ns_ino("self", "uts");
	EXPECT_ERRNO(ns_unshare(CLONE_NEWUTS), EPERM);
	EXPECT_EQ(ns_unshare(CLONE_NEWUSER), 0);
	/* Only one's own id, and for gids only after setgroups is denied. */
	EXPECT_ERRNO(ns_write("/proc/self/uid_map", "0 0 1\n"), EPERM);
	EXPECT_ERRNO(ns_write("/proc/self/uid_map", "0 65534 2\n"), EPERM);
	EXPECT_EQ(ns_write("/proc/self/uid_map", "0 65534 1\n"), 0);
	EXPECT_ERRNO(ns_write("/proc/self/gid_map", "0 65534 1\n"), EPERM);
	EXPECT_EQ(ns_write("/proc/self/setgroups", "deny\n"), 0);
	check_map("/proc/self/setgroups", "deny\n");
	EXPECT_ERRNO(ns_write("/proc/self/setgroups", "allow"), EPERM);
	EXPECT_EQ(ns_write("/proc/self/gid_map", "0 65534 1\n"), 0);
	EXPECT_EQ(getuid(), 0);
	EXPECT_EQ(getgid(), 0);
	gid_t none[1];
	EXPECT_ERRNO(setgroups(0, none), EPERM);
	/* Every capability here, none over the parent's UTS namespace... */
	EXPECT_ERRNO(sethostname("nope", 4), EPERM);
	/* ...but a UTS namespace of our own is ours. */
	EXPECT_EQ(ns_unshare(CLONE_NEWUTS), 0);
	EXPECT_NE(ns_ino("self", "uts"), outer_uts);
	EXPECT_EQ(sethostname("userns-uts", 10), 0);
	char name[65];
	ns_hostname(name, sizeof name);
	EXPECT_STREQ(name, "userns-uts");
	/* Its owner is our user namespace. */
	int uts = EXPECT_OK(open("/proc/self/ns/uts", O_RDONLY));
	int owner = EXPECT_OK(ioctl(uts, NS_GET_USERNS));
	struct stat a, b;
	EXPECT_EQ(fstat(owner, &a), 0);
	EXPECT_EQ(stat("/proc/self/ns/user", &b), 0);
	EXPECT_EQ(a.st_ino, b.st_ino);
	/* The parent user namespace is out of reach. */
	EXPECT_ERRNO(ioctl(owner, NS_GET_PARENT), EPERM);
	EXPECT_ERRNO(ioctl(owner, NS_GET_USERNS), EPERM);
	uid_t uid = 1;
	EXPECT_EQ(ioctl(owner, NS_GET_OWNER_UID, &uid), 0);
	EXPECT_EQ(uid, 0);
}

TEST(userns, unprivileged)
{
	proc_ready();
	EXPECT_CHILD_OK(unprivileged, NULL);
}

TEST(userns, seen_from_parent)
{
	proc_ready();
	int ready[2], done[2];
	h_pipe(ready);
	h_pipe(done);
	pid_t pid = ns_clone(CLONE_NEWUSER);
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		h_post(ready[1]);
		h_wait_byte(done[0]);
		h_exit(getuid() == 0 ? 0 : 1);
	}
	h_wait_byte(ready[0]);
	char path[64], other[16];
	snprintf(other, sizeof other, "%d", pid);
	EXPECT_NE(ns_ino(other, "user"), ns_ino("self", "user"));
	snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
	int child = EXPECT_OK(open(path, O_RDONLY));
	int parent = EXPECT_OK(ioctl(child, NS_GET_PARENT));
	struct stat a, b;
	EXPECT_EQ(fstat(parent, &a), 0);
	EXPECT_EQ(stat("/proc/self/ns/user", &b), 0);
	EXPECT_EQ(a.st_ino, b.st_ino);
	uid_t uid = 1;
	EXPECT_EQ(ioctl(child, NS_GET_OWNER_UID, &uid), 0);
	EXPECT_EQ(uid, getuid());
	/* The parent, with CAP_SETUID over it, may map any ids of its own. */
	snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
	EXPECT_ERRNO(ns_write(path, "0 4294967295 1\n"), EINVAL);
	EXPECT_EQ(ns_write(path, "0 0 1\n1000 1000 10\n"), 0);
	char text[128];
	h_read_file(path, text, sizeof text);
	EXPECT_STREQ(text, "         0          0          1\n"
			   "      1000       1000         10\n");
	h_post(done[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static void chrooted(void *arg)
{
	EXPECT_EQ(chroot(arg), 0);
	EXPECT_ERRNO(ns_unshare(CLONE_NEWUSER), EPERM);
}

TEST(userns, not_from_chroot)
{
	EXPECT_CHILD_OK(chrooted, (void *)h_tmpdir());
}

static int hold[2];

static void *blocked(void *arg)
{
	(void)arg;
	char byte;
	if (read(hold[0], &byte, 1) != 1)
		return (void *)1;
	return NULL;
}

static void threaded(void *arg)
{
	(void)arg;
	if (pipe(hold) != 0)
		FAIL("pipe");
	pthread_t thread;
	EXPECT_EQ(pthread_create(&thread, NULL, blocked, NULL), 0);
	EXPECT_ERRNO(ns_unshare(CLONE_NEWUSER), EINVAL);
	int user = EXPECT_OK(open("/proc/self/ns/user", O_RDONLY));
	EXPECT_ERRNO(ns_setns(user, 0), EINVAL);
	EXPECT_EQ(write(hold[1], "x", 1), 1);
	EXPECT_EQ(pthread_join(thread, NULL), 0);
}

TEST(userns, single_threaded_only)
{
	proc_ready();
	EXPECT_CHILD_OK(threaded, NULL);
}

static void setns_user(void *arg)
{
	(void)arg;
	int outer = EXPECT_OK(open("/proc/self/ns/user", O_RDONLY));
	EXPECT_EQ(ns_unshare(CLONE_NEWUSER), 0);
	/* Inside, no capability over the initial namespace: EPERM going back. */
	EXPECT_ERRNO(ns_setns(outer, CLONE_NEWUSER), EPERM);
}

TEST(userns, setns_needs_capability)
{
	proc_ready();
	EXPECT_CHILD_OK(setns_user, NULL);
}

static void user_mounts(void *arg)
{
	const char *dir = arg;
	EXPECT_EQ(setgid(NOBODY), 0);
	EXPECT_EQ(setuid(NOBODY), 0);
	EXPECT_ERRNO(mount("x", dir, "tmpfs", 0, NULL), EPERM);
	EXPECT_EQ(ns_unshare(CLONE_NEWUSER | CLONE_NEWNS), 0);
	/* The mount namespace is ours: tmpfs may be mounted, proc may not. */
	EXPECT_EQ(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	EXPECT_EQ(mount("userns-tmpfs", dir, "tmpfs", 0, "size=64k"), 0);
	EXPECT_ERRNO(mount("proc", dir, "proc", 0, NULL), EPERM);
	EXPECT_EQ(umount(dir), 0);
	/* The mounts copied from the parent's namespace are locked. */
	EXPECT_ERRNO(umount("/proc"), EINVAL);
	EXPECT_ERRNO(umount2("/proc", MNT_DETACH), EINVAL);
}

TEST(userns, mounts_in_own_namespace)
{
	proc_ready();
	const char *dir = h_tmpdir();
	EXPECT_EQ(chmod(dir, 0755), 0);
	EXPECT_CHILD_OK(user_mounts, (void *)dir);
}
