/*
 * Suite fhandle: name_to_handle_at(2) and open_by_handle_at(2) on tmpfs, as
 * Linux 6.1's fs/fhandle.c with tmpfs's export operations (mm/shmem.c): a
 * handle is 12 bytes of type 1; too small a buffer gets the size needed,
 * type FILEID_INVALID and EOVERFLOW; a handle_bytes over 128 is EINVAL;
 * flags other than AT_SYMLINK_FOLLOW/AT_EMPTY_PATH EINVAL; a filesystem
 * without handles (procfs) EOPNOTSUPP. open_by_handle_at needs
 * CAP_DAC_READ_SEARCH (EPERM), opens the object on the mount of its dirfd
 * (ESTALE on another filesystem, or once the file is gone), with open's
 * rules (ELOOP for a symlink, EISDIR, EACCES does not apply to root).
 */
#include "../harness.h"
#include "../proc/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct handle {
	uint32_t handle_bytes;
	int32_t handle_type;
	unsigned char f_handle[128];
};

static long n2h(int dfd, const char *name, struct handle *h, int *mnt, int flags)
{
	return syscall(SYS_name_to_handle_at, dfd, name, h, mnt, flags);
}

static long obh(int mfd, struct handle *h, int flags)
{
	return syscall(SYS_open_by_handle_at, mfd, h, flags);
}

/* The mount id of path's mount, from /proc/self/mountinfo's first field. */
static int mount_id_of(const char *path)
{
	int fd = open(path, O_RDONLY | O_PATH);
	EXPECT_GE(fd, 0);
	char fdinfo[64], buf[512];
	snprintf(fdinfo, sizeof fdinfo, "/proc/self/fdinfo/%d", fd);
	proc_read(fdinfo, buf, sizeof buf);
	close(fd);
	long long id = proc_number(buf, "mnt_id");
	return (int)id;
}

TEST(fhandle, name_to_handle)
{
	proc_ready();
	EXPECT_OK(chdir(h_tmpdir()));
	h_write_file("f", "hello");
	EXPECT_OK(symlink("f", "l"));
	struct handle h;
	int mnt = -1;
	/* Asking the size. */
	h.handle_bytes = 0;
	EXPECT_ERRNO(n2h(AT_FDCWD, "f", &h, &mnt, 0), EOVERFLOW);
	EXPECT_EQ(h.handle_bytes, 12);
	EXPECT_EQ(h.handle_type, 255);
	h.handle_bytes = 11;
	EXPECT_ERRNO(n2h(AT_FDCWD, "f", &h, &mnt, 0), EOVERFLOW);
	h.handle_bytes = 129;
	EXPECT_ERRNO(n2h(AT_FDCWD, "f", &h, &mnt, 0), EINVAL);
	h.handle_bytes = 128;
	EXPECT_OK(n2h(AT_FDCWD, "f", &h, &mnt, 0));
	EXPECT_EQ(h.handle_bytes, 12);
	EXPECT_EQ(h.handle_type, 1);
	EXPECT_EQ(mnt, mount_id_of("f"));
	/* The same object, the same handle; the link itself another. */
	struct handle again = { .handle_bytes = 128 };
	EXPECT_OK(n2h(AT_FDCWD, "f", &again, &mnt, 0));
	EXPECT_MEMEQ(again.f_handle, h.f_handle, 12);
	struct handle link = { .handle_bytes = 128 };
	EXPECT_OK(n2h(AT_FDCWD, "l", &link, &mnt, 0));
	EXPECT_NE(memcmp(link.f_handle, h.f_handle, 12), 0);
	EXPECT_OK(n2h(AT_FDCWD, "l", &link, &mnt, AT_SYMLINK_FOLLOW));
	EXPECT_MEMEQ(link.f_handle, h.f_handle, 12);
	int fd = open("f", O_RDONLY);
	EXPECT_OK(n2h(fd, "", &again, &mnt, AT_EMPTY_PATH));
	EXPECT_MEMEQ(again.f_handle, h.f_handle, 12);
	/* Errors. */
	EXPECT_ERRNO(n2h(fd, "", &again, &mnt, 0), ENOENT);
	EXPECT_ERRNO(n2h(fd, "x", &again, &mnt, 0), ENOTDIR);
	EXPECT_ERRNO(n2h(-1, "f", &again, &mnt, 0), EBADF);
	EXPECT_ERRNO(n2h(AT_FDCWD, "f", &again, &mnt, 0x1), EINVAL);
	EXPECT_ERRNO(n2h(AT_FDCWD, NULL, &again, &mnt, 0), EFAULT);
	EXPECT_ERRNO(n2h(AT_FDCWD, "f", H_BAD_PTR, &mnt, 0), EFAULT);
	EXPECT_ERRNO(n2h(AT_FDCWD, "f", &again, H_BAD_PTR, 0), EFAULT);
	EXPECT_ERRNO(n2h(AT_FDCWD, "nothing", &again, &mnt, 0), ENOENT);
	EXPECT_ERRNO(n2h(AT_FDCWD, "/proc/self/status", &again, &mnt, 0),
		     EOPNOTSUPP);
	close(fd);
}

static void unprivileged(void *arg)
{
	struct handle *h = arg;
	EXPECT_OK(setgid(65534));
	EXPECT_OK(setuid(65534));
	EXPECT_ERRNO(obh(AT_FDCWD, h, O_RDONLY), EPERM);
}

TEST(fhandle, open_by_handle)
{
	if (getuid() != 0)
		return;
	proc_ready();
	EXPECT_OK(chdir(h_tmpdir()));
	h_write_file("f", "hello");
	EXPECT_OK(symlink("f", "l"));
	EXPECT_OK(mkdir("d", 0700));
	struct handle h = { .handle_bytes = 128 }, lh = h, dh = h;
	int mnt;
	EXPECT_OK(n2h(AT_FDCWD, "f", &h, &mnt, 0));
	EXPECT_OK(n2h(AT_FDCWD, "l", &lh, &mnt, 0));
	EXPECT_OK(n2h(AT_FDCWD, "d", &dh, &mnt, 0));
	long fd = obh(AT_FDCWD, &h, O_RDWR);
	EXPECT_GE(fd, 0);
	char buf[8] = { 0 };
	EXPECT_EQ(read((int)fd, buf, sizeof buf), 5);
	EXPECT_STREQ(buf, "hello");
	struct stat a, b;
	EXPECT_OK(fstat((int)fd, &a));
	EXPECT_OK(stat("f", &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	close((int)fd);
	/* The dirfd's mount decides; O_CLOEXEC and the other open flags apply. */
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	fd = obh(dir, &h, O_RDONLY | O_CLOEXEC);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(fcntl((int)fd, F_GETFD), FD_CLOEXEC);
	close((int)fd);
	EXPECT_ERRNO(obh(AT_FDCWD, &lh, O_RDONLY), ELOOP);
	fd = obh(AT_FDCWD, &lh, O_PATH);
	EXPECT_GE(fd, 0);
	close((int)fd);
	EXPECT_ERRNO(obh(AT_FDCWD, &dh, O_RDWR), EISDIR);
	fd = obh(AT_FDCWD, &dh, O_RDONLY | O_DIRECTORY);
	EXPECT_GE(fd, 0);
	close((int)fd);
	EXPECT_ERRNO(obh(AT_FDCWD, &h, O_RDONLY | O_DIRECTORY), ENOTDIR);
	EXPECT_ERRNO(obh(AT_FDCWD, &h, O_RDONLY | O_CREAT | O_EXCL), EEXIST);
	/* Header checks. */
	struct handle bad = h;
	bad.handle_bytes = 0;
	EXPECT_ERRNO(obh(AT_FDCWD, &bad, O_RDONLY), EINVAL);
	bad.handle_bytes = 129;
	EXPECT_ERRNO(obh(AT_FDCWD, &bad, O_RDONLY), EINVAL);
	EXPECT_ERRNO(obh(AT_FDCWD, H_BAD_PTR, O_RDONLY), EFAULT);
	EXPECT_ERRNO(obh(-1, &h, O_RDONLY), EBADF);
	/* Another filesystem does not know it; procfs knows no handles. */
	int proc = open("/proc", O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO(obh(proc, &h, O_RDONLY), ESTALE);
	close(proc);
	EXPECT_OK(mkdir("m", 0755));
	EXPECT_OK(mount("tmpfs", "m", "tmpfs", 0, NULL));
	int other = open("m", O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO(obh(other, &h, O_RDONLY), ESTALE);
	close(other);
	EXPECT_OK(umount("m"));
	/* A short handle is stale. */
	bad = h;
	bad.handle_bytes = 8;
	EXPECT_ERRNO(obh(AT_FDCWD, &bad, O_RDONLY), ESTALE);
	EXPECT_CHILD_OK(unprivileged, &h);
	/* Gone once removed. */
	EXPECT_OK(unlink("f"));
	EXPECT_ERRNO(obh(dir, &h, O_RDONLY), ESTALE);
	close(dir);
}
