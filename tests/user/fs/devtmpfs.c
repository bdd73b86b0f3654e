/*
 * Suite devtmpfs: mount -t devtmpfs and the nodes the kernel makes in it.
 *
 * Guards Linux 6.1's drivers/base/devtmpfs.c: one instance, made at boot,
 * that every devtmpfs mount shows (public_dev_mount: a file made through one
 * mount is seen through another; options are applied as a remount); a node
 * per device with Linux's numbers (Documentation/admin-guide/devices.txt) and
 * devnode modes (mem_devnode: null, zero, full, random, urandom 0666, kmsg
 * 0644; tty_devnode: tty 0666; the default 0600 for console and ttyS0),
 * owned by root; statfs says TMPFS_MAGIC.  devtmpfs makes device nodes only:
 * no fd, stdin, stdout or stderr links (udev's work).
 */
#include "harness.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#define K_TMPFS_MAGIC 0x01021994

static void expect_node(const char *path, unsigned maj, unsigned min,
			unsigned mode)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		FAIL("lstat(%s): %s", path, h_errname(errno));
	if (!S_ISCHR(st.st_mode))
		FAIL("%s: mode 0%o is not a character device", path,
		     (unsigned)st.st_mode);
	if (major(st.st_rdev) != maj || minor(st.st_rdev) != min)
		FAIL("%s: expected %u:%u got %u:%u", path, maj, min,
		     (unsigned)major(st.st_rdev), (unsigned)minor(st.st_rdev));
	if ((st.st_mode & 07777) != mode)
		FAIL("%s: expected mode 0%o got 0%o", path, mode,
		     (unsigned)(st.st_mode & 07777));
	if (st.st_uid != 0 || st.st_gid != 0)
		FAIL("%s: owned by %u:%u", path, (unsigned)st.st_uid,
		     (unsigned)st.st_gid);
}

static void nodes_and_instance(void *arg)
{
	(void)arg;
	EXPECT_OK(mkdir("a", 0755));
	EXPECT_OK(mkdir("b", 0755));
	EXPECT_OK(mount("devtmpfs", "a", "devtmpfs", MS_NOSUID, "mode=0755"));
	expect_node("a/null", 1, 3, 0666);
	expect_node("a/zero", 1, 5, 0666);
	expect_node("a/full", 1, 7, 0666);
	expect_node("a/random", 1, 8, 0666);
	expect_node("a/urandom", 1, 9, 0666);
	expect_node("a/kmsg", 1, 11, 0644);
	expect_node("a/tty", 5, 0, 0666);
	expect_node("a/console", 5, 1, 0600);
	expect_node("a/ttyS0", 4, 64, 0600);
	struct stat st;
	EXPECT_OK(stat("a", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0755);
	/* Device nodes only. */
	EXPECT_ERRNO(lstat("a/fd", &st), ENOENT);
	EXPECT_ERRNO(lstat("a/stdin", &st), ENOENT);
	struct statfs sfs;
	EXPECT_OK(statfs("a", &sfs));
	EXPECT_EQX(sfs.f_type, K_TMPFS_MAGIC);
	/* The nodes work. */
	int fd = EXPECT_OK(open("a/null", O_RDWR));
	EXPECT_EQ(write(fd, "x", 1), 1);
	EXPECT_OK(close(fd));
	fd = EXPECT_OK(open("a/zero", O_RDONLY));
	char c = 1;
	EXPECT_EQ(read(fd, &c, 1), 1);
	EXPECT_EQ(c, 0);
	EXPECT_OK(close(fd));
	/* One instance behind every mount. */
	EXPECT_OK(mount("devtmpfs", "b", "devtmpfs", 0, NULL));
	EXPECT_OK(mkdir("a/ferrux-test-dir", 0700));
	EXPECT_OK(stat("b/ferrux-test-dir", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	struct stat sa, sb;
	EXPECT_OK(stat("a/null", &sa));
	EXPECT_OK(stat("b/null", &sb));
	EXPECT_EQ(sa.st_ino, sb.st_ino);
	EXPECT_EQ(sa.st_dev, sb.st_dev);
	EXPECT_OK(rmdir("b/ferrux-test-dir"));
	EXPECT_ERRNO(stat("a/ferrux-test-dir", &st), ENOENT);
	EXPECT_OK(umount2("b", MNT_DETACH));
	EXPECT_OK(umount2("a", MNT_DETACH));
	EXPECT_ERRNO(stat("a/null", &st), ENOENT);
}

TEST(devtmpfs, nodes_and_one_instance)
{
	if (geteuid() != 0)
		return; /* mount needs CAP_SYS_ADMIN */
	h_tmpdir();
	EXPECT_CHILD_OK(nodes_and_instance, NULL);
}

static void bad_options(void *arg)
{
	(void)arg;
	EXPECT_OK(mkdir("a", 0755));
	EXPECT_ERRNO(mount("devtmpfs", "a", "devtmpfs", 0, "bogus=1"), EINVAL);
	EXPECT_ERRNO(mount("devtmpfs", "a", "devtmpfs", 0, "size=zz"), EINVAL);
	struct stat st;
	EXPECT_ERRNO(stat("a/null", &st), ENOENT);
}

TEST(devtmpfs, bad_options_einval)
{
	if (geteuid() != 0)
		return;
	h_tmpdir();
	EXPECT_CHILD_OK(bad_options, NULL);
}
