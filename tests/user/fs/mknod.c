/*
 * Suite mknod: mknod(2) and mknodat(2) for FIFOs, regular files, sockets and
 * character and block device nodes.
 *
 * Guards Linux 6.1's fs/namei.c: do_mknodat checks the type first
 * (may_mknod: S_IFDIR is EPERM, a symlink or unknown type EINVAL, before the
 * path is even read), then filename_create (EEXIST, ENOENT, ENOTDIR, a
 * trailing slash ENOENT), then vfs_mknod: may_create (EACCES) before
 * CAP_MKNOD for devices (EPERM), except a whiteout (a character device 0:0,
 * allowed since 5.8).  The mode is a umode_t (16 bits) less the umask, the
 * device number a 32-bit new_encode_dev value; FIFOs and sockets keep no
 * device number.  Opening a socket node is ENXIO (no_open), a device number
 * without a driver ENXIO (chrdev_open, blkdev_open); fstat of an open device
 * shows its node.
 */
#include "harness.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

static long raw_mknodat(int dirfd, const char *path, unsigned long mode,
			unsigned long dev)
{
	return syscall(SYS_mknodat, dirfd, path, mode, dev);
}

static long raw_mknod(const char *path, unsigned long mode, unsigned long dev)
{
	return syscall(SYS_mknod, path, mode, dev);
}

TEST(mknod, fifo_regular_and_socket)
{
	h_tmpdir();
	struct stat st;
	EXPECT_OK(raw_mknod("fifo", S_IFIFO | 0666, makedev(1, 3)));
	EXPECT_OK(stat("fifo", &st));
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0644);
	EXPECT_EQ(st.st_rdev, 0);
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(st.st_uid, geteuid());

	EXPECT_OK(raw_mknod("reg", 0640, 0));
	EXPECT_OK(stat("reg", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0640);
	EXPECT_OK(raw_mknod("reg2", S_IFREG | 0600, 0));
	EXPECT_OK(stat("reg2", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));

	EXPECT_OK(raw_mknod("sock", S_IFSOCK | 0777, makedev(8, 1)));
	EXPECT_OK(lstat("sock", &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0755);
	EXPECT_EQ(st.st_rdev, 0);
	EXPECT_ERRNO(open("sock", O_RDONLY), ENXIO);
	EXPECT_ERRNO(open("sock", O_RDWR | O_NONBLOCK), ENXIO);
	/* O_PATH opens anything. */
	int fd = EXPECT_OK(open("sock", O_PATH));
	EXPECT_OK(close(fd));
}

TEST(mknod, umask_and_special_bits)
{
	h_tmpdir();
	struct stat st;
	umask(027);
	EXPECT_OK(raw_mknod("f", S_IFIFO | 07777, 0));
	EXPECT_OK(stat("f", &st));
	EXPECT_MODE(st.st_mode & 07777, 07750);
	umask(0);
	/* mode is a umode_t: bits above 16 are dropped. */
	EXPECT_OK(raw_mknod("g", 0x10000 | S_IFIFO | 0600, 0));
	EXPECT_OK(stat("g", &st));
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0600);
	umask(022);
}

TEST(mknod, type_checked_first)
{
	h_tmpdir();
	EXPECT_ERRNO(raw_mknod("d", S_IFDIR | 0755, 0), EPERM);
	EXPECT_ERRNO(raw_mknod("l", S_IFLNK | 0755, 0), EINVAL);
	EXPECT_ERRNO(raw_mknod("x", 0170000 | 0755, 0), EINVAL);
	EXPECT_ERRNO(raw_mknod("x", 0110000 | 0755, 0), EINVAL);
	/* Before the path: no EFAULT, ENOENT or EEXIST. */
	EXPECT_ERRNO(raw_mknod(H_BAD_PTR, S_IFDIR | 0755, 0), EPERM);
	EXPECT_ERRNO(raw_mknod(H_BAD_PTR, S_IFLNK | 0755, 0), EINVAL);
	EXPECT_ERRNO(raw_mknod("", 0170000, 0), EINVAL);
	EXPECT_ERRNO(raw_mknod("missing/x", S_IFDIR, 0), EPERM);
	EXPECT_ERRNO(raw_mknod(".", S_IFDIR, 0), EPERM);
	/* A directory node cannot be made even by mknodat with a bad dirfd. */
	EXPECT_ERRNO(raw_mknodat(-7, "x", S_IFDIR, 0), EPERM);
}

TEST(mknod, path_errors)
{
	const char *dir = h_tmpdir();
	h_write_file("file", "x");
	EXPECT_OK(symlink("nowhere", "dangling"));
	EXPECT_OK(mkdir("dir", 0755));
	EXPECT_ERRNO(raw_mknod(H_BAD_PTR, S_IFIFO | 0600, 0), EFAULT);
	EXPECT_ERRNO(raw_mknod("", S_IFIFO | 0600, 0), ENOENT);
	EXPECT_ERRNO(raw_mknod("file", S_IFIFO | 0600, 0), EEXIST);
	EXPECT_ERRNO(raw_mknod("dir", S_IFIFO | 0600, 0), EEXIST);
	EXPECT_ERRNO(raw_mknod("dangling", S_IFIFO | 0600, 0), EEXIST);
	EXPECT_ERRNO(raw_mknod(".", S_IFIFO | 0600, 0), EEXIST);
	EXPECT_ERRNO(raw_mknod("..", S_IFIFO | 0600, 0), EEXIST);
	EXPECT_ERRNO(raw_mknod("missing/f", S_IFIFO | 0600, 0), ENOENT);
	EXPECT_ERRNO(raw_mknod("file/f", S_IFIFO | 0600, 0), ENOTDIR);
	EXPECT_ERRNO(raw_mknod("new/", S_IFIFO | 0600, 0), ENOENT);
	EXPECT_ERRNO(raw_mknod("new/", 0600, 0), ENOENT);
	EXPECT_ERRNO(raw_mknod(h_name(256), S_IFIFO | 0600, 0), ENAMETOOLONG);
	/* mknodat: relative to a directory descriptor, errors of the others. */
	int dfd = EXPECT_OK(open("dir", O_RDONLY | O_DIRECTORY));
	int ffd = EXPECT_OK(open("file", O_RDONLY));
	EXPECT_OK(raw_mknodat(dfd, "p", S_IFIFO | 0600, 0));
	struct stat st;
	EXPECT_OK(stat("dir/p", &st));
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
	EXPECT_ERRNO(raw_mknodat(ffd, "p", S_IFIFO | 0600, 0), ENOTDIR);
	EXPECT_ERRNO(raw_mknodat(-7, "p", S_IFIFO | 0600, 0), EBADF);
	EXPECT_ERRNO(raw_mknodat(999, "p", S_IFIFO | 0600, 0), EBADF);
	/* An absolute path ignores the descriptor. */
	char abs[512];
	snprintf(abs, sizeof abs, "%s/abs", dir);
	EXPECT_OK(raw_mknodat(-7, abs, S_IFIFO | 0600, 0));
	EXPECT_OK(raw_mknodat(AT_FDCWD, "cwd", S_IFIFO | 0600, 0));
	EXPECT_OK(stat("cwd", &st));
}

TEST(mknod, devices_as_root)
{
	if (geteuid() != 0)
		return; /* CAP_MKNOD */
	h_tmpdir();
	struct stat st, fst;
	EXPECT_OK(raw_mknod("null", S_IFCHR | 0666, makedev(1, 3)));
	EXPECT_OK(stat("null", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 1);
	EXPECT_EQ(minor(st.st_rdev), 3);
	EXPECT_MODE(st.st_mode & 07777, 0644);
	int fd = EXPECT_OK(open("null", O_RDWR));
	EXPECT_EQ(write(fd, "abc", 3), 3);
	char c;
	EXPECT_EQ(read(fd, &c, 1), 0);
	/* fstat of the open device shows the node it was opened through. */
	EXPECT_OK(fstat(fd, &fst));
	EXPECT_EQ(fst.st_ino, st.st_ino);
	EXPECT_EQ(fst.st_dev, st.st_dev);
	EXPECT_MODE(fst.st_mode, st.st_mode);
	EXPECT_EQ(fst.st_rdev, st.st_rdev);
	EXPECT_OK(close(fd));

	/* A big minor round-trips through the 32-bit encoding. */
	EXPECT_OK(raw_mknod("big", S_IFCHR | 0600, makedev(240, 70000)));
	EXPECT_OK(stat("big", &st));
	EXPECT_EQ(major(st.st_rdev), 240);
	EXPECT_EQ(minor(st.st_rdev), 70000);
	/* The device number is an unsigned int: bits above 32 are dropped. */
	EXPECT_OK(raw_mknod("trunc", S_IFCHR | 0600,
			    (1UL << 32) | makedev(1, 5)));
	EXPECT_OK(stat("trunc", &st));
	EXPECT_EQ(major(st.st_rdev), 1);
	EXPECT_EQ(minor(st.st_rdev), 5);

	/* No driver behind the number: ENXIO. */
	EXPECT_ERRNO(open("big", O_RDONLY), ENXIO);
	EXPECT_OK(raw_mknod("blk", S_IFBLK | 0600, makedev(240, 0)));
	EXPECT_OK(stat("blk", &st));
	EXPECT_TRUE(S_ISBLK(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 240);
	EXPECT_ERRNO(open("blk", O_RDONLY), ENXIO);
	EXPECT_OK(raw_mknod("nochr", S_IFCHR | 0600, makedev(1, 200)));
	EXPECT_ERRNO(open("nochr", O_RDONLY), ENXIO);
	/* O_PATH does not open the device. */
	fd = EXPECT_OK(open("blk", O_PATH));
	EXPECT_OK(close(fd));
}

static void unprivileged(void *arg)
{
	const char *dir = arg;
	EXPECT_OK(setgid(65534));
	EXPECT_OK(setuid(65534));
	EXPECT_OK(chdir(dir));
	/* may_create comes first: no write permission on "ro" is EACCES. */
	EXPECT_ERRNO(raw_mknod("ro/c", S_IFCHR | 0600, makedev(1, 3)), EACCES);
	EXPECT_ERRNO(raw_mknod("ro/p", S_IFIFO | 0600, 0), EACCES);
	EXPECT_ERRNO(raw_mknod("rw/c", S_IFCHR | 0600, makedev(1, 3)), EPERM);
	EXPECT_ERRNO(raw_mknod("rw/b", S_IFBLK | 0600, makedev(240, 0)), EPERM);
	EXPECT_ERRNO(raw_mknod("rw/b0", S_IFBLK | 0600, 0), EPERM);
	EXPECT_OK(raw_mknod("rw/p", S_IFIFO | 0600, 0));
	EXPECT_OK(raw_mknod("rw/s", S_IFSOCK | 0600, 0));
	EXPECT_OK(raw_mknod("rw/f", 0600, 0));
	/* A whiteout (char 0:0) needs no privilege. */
	EXPECT_OK(raw_mknod("rw/w", S_IFCHR | 0600, 0));
	struct stat st;
	EXPECT_OK(stat("rw/w", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(st.st_rdev, 0);
	EXPECT_EQ(st.st_uid, 65534);
}

TEST(mknod, unprivileged_devices)
{
	if (geteuid() != 0)
		return;
	const char *dir = h_tmpdir();
	EXPECT_OK(mkdir("ro", 0755));
	EXPECT_OK(mkdir("rw", 0777));
	EXPECT_OK(chmod("rw", 0777));
	EXPECT_OK(chmod(dir, 0755));
	EXPECT_CHILD_OK(unprivileged, (void *)dir);
}
