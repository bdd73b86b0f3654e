/*
 * Suite mntns: mount namespaces.
 *
 * Guards Linux 6.1's copy_mnt_ns: unshare(CLONE_NEWNS) and clone gives a copy
 * of the whole mount tree in which mounts and unmounts do not show in the
 * original (once made private), each namespace has its own /proc/PID/mounts
 * and mountinfo, the caller's root and cwd move into the copy, and setns
 * back to a mount namespace puts root and cwd at its root.  Man pages
 * mount_namespaces(7), unshare(2), setns(2).
 */
#include "ns.h"

#include <sys/mount.h>

static int mounted_at(const char *mountinfo_path, const char *dir)
{
	static char text[16384];
	h_read_file(mountinfo_path, text, sizeof text);
	char needle[700];
	if (strlen(dir) > 600)
		FAIL("path too long");
	needle[0] = ' ';
	strcpy(needle + 1, dir);
	strcat(needle, " ");
	return strstr(text, needle) != NULL;
}

TEST(mntns, private_copy)
{
	proc_ready();
	const char *dir = h_tmpdir();
	int ready[2], done[2];
	h_pipe(ready);
	h_pipe(done);
	unsigned long mine = ns_ino("self", "mnt");
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(ns_unshare(CLONE_NEWNS), 0);
		EXPECT_NE(ns_ino("self", "mnt"), mine);
		EXPECT_EQ(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
		EXPECT_EQ(mount("nsfs-test", dir, "tmpfs", 0, "size=64k"), 0);
		h_write_file("inside", "x");
		/* The cwd is the directory under the new mount. */
		EXPECT_EQ(access("inside", F_OK), 0);
		char path[600];
		snprintf(path, sizeof path, "%s/inside", dir);
		EXPECT_ERRNO(access(path, F_OK), ENOENT);
		EXPECT_EQ(chdir(dir), 0);
		h_write_file("in-tmpfs", "y");
		EXPECT_TRUE(mounted_at("/proc/self/mountinfo", dir));
		h_post(ready[1]);
		h_wait_byte(done[0]);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	char path[600];
	snprintf(path, sizeof path, "/proc/%d/mountinfo", pid);
	EXPECT_TRUE(mounted_at(path, dir));
	EXPECT_TRUE(!mounted_at("/proc/self/mountinfo", dir));
	snprintf(path, sizeof path, "/proc/%d/mounts", pid);
	EXPECT_TRUE(mounted_at(path, dir));
	EXPECT_ERRNO(access("in-tmpfs", F_OK), ENOENT);
	EXPECT_EQ(access("inside", F_OK), 0);
	h_post(done[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(mntns, umount_in_copy)
{
	proc_ready();
	const char *dir = h_tmpdir();
	char sub[600];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	EXPECT_EQ(mkdir(sub, 0755), 0);
	EXPECT_EQ(mount("umount-copy", sub, "tmpfs", 0, "size=64k"), 0);
	pid_t pid = ns_clone(CLONE_NEWNS);
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			h_exit(1);
		if (umount(sub) != 0)
			h_exit(2);
		h_exit(mounted_at("/proc/self/mountinfo", sub) ? 3 : 0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_TRUE(mounted_at("/proc/self/mountinfo", sub));
	EXPECT_EQ(umount(sub), 0);
}

static void back(void *arg)
{
	const char *dir = arg;
	int outer = EXPECT_OK(open("/proc/self/ns/mnt", O_RDONLY));
	EXPECT_EQ(chdir(dir), 0);
	EXPECT_EQ(ns_unshare(CLONE_NEWNS), 0);
	EXPECT_EQ(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	EXPECT_EQ(mount("setns-back", dir, "tmpfs", 0, "size=64k"), 0);
	EXPECT_TRUE(mounted_at("/proc/self/mountinfo", dir));
	EXPECT_EQ(ns_setns(outer, CLONE_NEWNS), 0);
	char cwd[600];
	EXPECT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
	EXPECT_STREQ(cwd, "/");
	EXPECT_TRUE(!mounted_at("/proc/self/mountinfo", dir));
}

TEST(mntns, setns_back)
{
	proc_ready();
	const char *dir = h_tmpdir();
	EXPECT_CHILD_OK(back, (void *)dir);
}

static void others_mount(void *arg)
{
	/* A mount of another namespace is not a place to mount on here. */
	const char *dir = arg;
	int ready = open(dir, O_RDONLY | O_DIRECTORY);
	EXPECT_TRUE(ready >= 0);
	EXPECT_EQ(ns_unshare(CLONE_NEWNS), 0);
	EXPECT_EQ(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	EXPECT_ERRNO(fchdir(ready) == 0 ? mount("x", ".", "tmpfs", 0, NULL) : -1,
		     EINVAL);
}

TEST(mntns, old_paths_are_foreign)
{
	proc_ready();
	const char *dir = h_tmpdir();
	EXPECT_CHILD_OK(others_mount, (void *)dir);
}
