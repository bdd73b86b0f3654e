/*
 * Suite xattr: setxattr(2), getxattr(2), listxattr(2), removexattr(2) and
 * their l* and f* forms, on a tmpfs mounted for the test.
 *
 * Guards Linux 6.1's fs/xattr.c and mm/shmem.c: tmpfs keeps security.* and
 * trusted.* attributes and has no user.* handler (EOPNOTSUPP, as names in no
 * namespace); system.posix_acl_access reads as no ACL (ENODATA), and as
 * EOPNOTSUPP on a symlink; XATTR_CREATE of an existing name is EEXIST,
 * XATTR_REPLACE or removal of a missing one ENODATA; an empty value is a
 * value; size 0 asks for the length, a short buffer is ERANGE; unknown
 * flags EINVAL, an empty or 256-byte name ERANGE, a value over 64 KiB
 * E2BIG; xattr_permission: trusted.* needs CAP_SYS_ADMIN (ENODATA to read,
 * EPERM to write, left out of the list), user.* is checked against the mode (EACCES) before
 * the filesystem says EOPNOTSUPP; a read-only mount is EROFS before the
 * flags are looked at; pipes have no attributes (EOPNOTSUPP, an empty
 * list); an O_PATH descriptor is EBADF.  Man page xattr(7).
 */
#include "harness.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#define NOBODY 65534

static void detach(void)
{
	umount2("t", MNT_DETACH);
}

/* Mounts a tmpfs on t/ (and with `ro` a read-only one), runs fn in a child
 * inside it, then detaches the mount (before a failed check is reported). */
static void on_tmpfs(void (*fn)(void), unsigned long flags)
{
	h_tmpdir();
	EXPECT_OK(mkdir("t", 0755));
	EXPECT_OK(mount("tmpfs", "t", "tmpfs", 0, "mode=755"));
	if (flags) {
		if (chdir("t") == 0) {
			h_write_file("f", "data");
			if (chdir("..") != 0)
				FAIL("chdir ..");
		}
		if (mount("none", "t", NULL, MS_REMOUNT | flags, NULL) != 0) {
			detach();
			FAIL("remount: %s", h_errname(errno));
		}
	}
	pid_t pid = h_fork();
	if (pid == 0) {
		if (chdir("t") != 0)
			FAIL("chdir t: %s", h_errname(errno));
		fn();
		h_exit(0);
	}
	siginfo_t info;
	while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR)
		;
	detach();
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static void namespaces_of_tmpfs(void)
{
	char buf[64];
	h_write_file("f", "data");
	EXPECT_EQ(listxattr("f", buf, sizeof buf), 0);
	EXPECT_ERRNO(getxattr("f", "user.x", buf, sizeof buf), EOPNOTSUPP);
	EXPECT_ERRNO(setxattr("f", "user.x", "v", 1, 0), EOPNOTSUPP);
	EXPECT_ERRNO(getxattr("f", "foo.bar", buf, sizeof buf), EOPNOTSUPP);
	EXPECT_ERRNO(setxattr("f", "foo.bar", "v", 1, 0), EOPNOTSUPP);
	EXPECT_ERRNO(getxattr("f", "trusted.none", buf, sizeof buf), ENODATA);
	EXPECT_ERRNO(getxattr("f", "security.none", buf, sizeof buf), ENODATA);
	EXPECT_ERRNO(getxattr("f", "system.posix_acl_access", buf, sizeof buf), ENODATA);
	EXPECT_ERRNO(getxattr(".", "system.posix_acl_default", buf, sizeof buf), ENODATA);
	EXPECT_OK(symlink("f", "l"));
	EXPECT_ERRNO(lgetxattr("l", "system.posix_acl_access", buf, sizeof buf), EOPNOTSUPP);
}

TEST(xattr, namespaces_of_tmpfs)
{
	on_tmpfs(namespaces_of_tmpfs, 0);
}

static void set_get_list_remove(void)
{
	char buf[64];
	h_write_file("f", "data");
	EXPECT_OK(setxattr("f", "trusted.a", "v1", 2, XATTR_CREATE));
	EXPECT_ERRNO(setxattr("f", "trusted.a", "v2", 2, XATTR_CREATE), EEXIST);
	EXPECT_ERRNO(setxattr("f", "trusted.b", "v2", 2, XATTR_REPLACE), ENODATA);
	EXPECT_EQ(getxattr("f", "trusted.a", NULL, 0), 2);
	EXPECT_ERRNO(getxattr("f", "trusted.a", buf, 1), ERANGE);
	memset(buf, 0, sizeof buf);
	EXPECT_EQ(getxattr("f", "trusted.a", buf, sizeof buf), 2);
	EXPECT_MEMEQ(buf, "v1", 2);
	EXPECT_OK(setxattr("f", "trusted.a", "value", 5, XATTR_REPLACE));
	EXPECT_EQ(getxattr("f", "trusted.a", buf, sizeof buf), 5);
	EXPECT_MEMEQ(buf, "value", 5);
	/* An empty value is a value. */
	EXPECT_OK(setxattr("f", "security.b", "", 0, 0));
	EXPECT_EQ(getxattr("f", "security.b", buf, sizeof buf), 0);
	/* Both names, each NUL-terminated (in an order both kernels agree on). */
	static const char names[] = "security.b\0trusted.a";
	EXPECT_EQ(listxattr("f", NULL, 0), (ssize_t)sizeof names);
	EXPECT_ERRNO(listxattr("f", buf, 5), ERANGE);
	memset(buf, 0, sizeof buf);
	EXPECT_EQ(listxattr("f", buf, sizeof buf), (ssize_t)sizeof names);
	EXPECT_MEMEQ(buf, names, sizeof names);
	/* The f* forms reach the same inode. */
	int fd = open("f", O_RDONLY);
	EXPECT_OK(fd);
	EXPECT_EQ(fgetxattr(fd, "trusted.a", buf, sizeof buf), 5);
	EXPECT_OK(fsetxattr(fd, "trusted.c", "c", 1, 0));
	EXPECT_EQ(flistxattr(fd, NULL, 0), (ssize_t)sizeof names + 10);
	EXPECT_OK(fremovexattr(fd, "trusted.c"));
	close(fd);
	EXPECT_OK(removexattr("f", "trusted.a"));
	EXPECT_ERRNO(removexattr("f", "trusted.a"), ENODATA);
	EXPECT_ERRNO(getxattr("f", "trusted.a", buf, sizeof buf), ENODATA);
	EXPECT_EQ(listxattr("f", buf, sizeof buf), (ssize_t)sizeof "security.b");
	/* The l* forms act on the link itself. */
	EXPECT_OK(symlink("f", "l"));
	EXPECT_OK(lsetxattr("l", "trusted.link", "L", 1, 0));
	EXPECT_ERRNO(getxattr("l", "trusted.link", buf, sizeof buf), ENODATA);
	EXPECT_EQ(lgetxattr("l", "trusted.link", buf, sizeof buf), 1);
	EXPECT_OK(lremovexattr("l", "trusted.link"));
	EXPECT_EQ(llistxattr("l", buf, sizeof buf), 0);
	/* Directories have them too. */
	EXPECT_OK(setxattr(".", "trusted.dir", "d", 1, 0));
	EXPECT_EQ(getxattr(".", "trusted.dir", buf, sizeof buf), 1);
}

TEST(xattr, set_get_list_remove)
{
	on_tmpfs(set_get_list_remove, 0);
}

static void bad_arguments(void)
{
	char buf[64];
	h_write_file("f", "data");
	EXPECT_ERRNO(setxattr("f", "trusted.a", "v", 1, 4), EINVAL);
	EXPECT_ERRNO(setxattr("f", "trusted.a", "v", 1, -1), EINVAL);
	EXPECT_ERRNO(setxattr("f", "", "v", 1, 0), ERANGE);
	EXPECT_ERRNO(getxattr("f", "", buf, sizeof buf), ERANGE);
	char name[300];
	memcpy(name, "trusted.", 8);
	memset(name + 8, 'n', sizeof name - 9);
	name[256] = 0; /* 256 bytes: one too many */
	EXPECT_ERRNO(setxattr("f", name, "v", 1, 0), ERANGE);
	EXPECT_ERRNO(getxattr("f", name, buf, sizeof buf), ERANGE);
	EXPECT_ERRNO(removexattr("f", name), ERANGE);
	name[255] = 0; /* 255 bytes: fine */
	EXPECT_OK(setxattr("f", name, "v", 1, 0));
	EXPECT_EQ(getxattr("f", name, buf, sizeof buf), 1);
	EXPECT_ERRNO(setxattr("f", "trusted.big", h_opaque(buf), 65537, 0), E2BIG);
	EXPECT_ERRNO(setxattr("f", "trusted.a", H_BAD_PTR, 4, 0), EFAULT);
	EXPECT_ERRNO(setxattr("f", H_BAD_PTR, "v", 1, 0), EFAULT);
	EXPECT_ERRNO(getxattr("f", name, H_BAD_PTR, 16), EFAULT);
	EXPECT_ERRNO(getxattr("nope", "trusted.a", buf, sizeof buf), ENOENT);
	EXPECT_ERRNO(listxattr("nope", buf, sizeof buf), ENOENT);
	/* The path comes first: a missing file wins over bad flags. */
	EXPECT_ERRNO(setxattr("nope", "trusted.a", "v", 1, 4), ENOENT);
	/* A value of 64 KiB exactly is allowed. */
	static char big[65536];
	memset(big, 'b', sizeof big);
	EXPECT_OK(setxattr("f", "trusted.big", big, sizeof big, 0));
	EXPECT_EQ(getxattr("f", "trusted.big", NULL, 0), 65536);
	EXPECT_ERRNO(getxattr("f", "trusted.big", big, 100), ERANGE);
	/* Descriptors: pipes have no attributes, O_PATH is not enough. */
	int p[2];
	h_pipe(p);
	EXPECT_ERRNO(fgetxattr(p[0], "trusted.a", buf, sizeof buf), EOPNOTSUPP);
	EXPECT_ERRNO(fsetxattr(p[1], "trusted.a", "v", 1, 0), EOPNOTSUPP);
	EXPECT_EQ(flistxattr(p[0], buf, sizeof buf), 0);
	EXPECT_ERRNO(fremovexattr(p[0], "trusted.a"), EOPNOTSUPP);
	int path_fd = open("f", O_PATH);
	EXPECT_OK(path_fd);
	EXPECT_ERRNO(fgetxattr(path_fd, name, buf, sizeof buf), EBADF);
	EXPECT_ERRNO(flistxattr(path_fd, buf, sizeof buf), EBADF);
	EXPECT_ERRNO(fgetxattr(-1, name, buf, sizeof buf), EBADF);
}

TEST(xattr, bad_arguments)
{
	on_tmpfs(bad_arguments, 0);
}

static void unprivileged(void)
{
	char buf[64];
	h_write_file("f", "data");
	EXPECT_OK(setxattr("f", "trusted.a", "v", 1, 0));
	EXPECT_OK(setxattr("f", "security.s", "s", 1, 0));
	EXPECT_OK(mkdir("sticky", 01777));
	EXPECT_OK(syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY));
	EXPECT_OK(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY));
	/* trusted.* is invisible and untouchable without CAP_SYS_ADMIN. */
	EXPECT_ERRNO(getxattr("f", "trusted.a", buf, sizeof buf), ENODATA);
	EXPECT_ERRNO(setxattr("f", "trusted.a", "w", 1, 0), EPERM);
	EXPECT_ERRNO(removexattr("f", "trusted.a"), EPERM);
	EXPECT_EQ(listxattr("f", buf, sizeof buf), (ssize_t)sizeof "security.s");
	EXPECT_MEMEQ(buf, "security.s", sizeof "security.s");
	/* security.* reads freely. (Writing it needs CAP_SYS_ADMIN in the
	 * capability module, but Debian's kernel lets it through: its BPF LSM
	 * answers the inode_setxattr hook first, so that is not checked.) */
	EXPECT_EQ(getxattr("f", "security.s", buf, sizeof buf), 1);
	/* user.* is checked against the mode before tmpfs says it has none. */
	EXPECT_ERRNO(setxattr("f", "user.x", "w", 1, 0), EACCES);
	EXPECT_ERRNO(getxattr("f", "user.x", buf, sizeof buf), EOPNOTSUPP);
	EXPECT_ERRNO(setxattr("sticky", "user.x", "w", 1, 0), EPERM);
}

TEST(xattr, unprivileged)
{
	on_tmpfs(unprivileged, 0);
}

static void read_only_mount(void)
{
	char buf[64];
	/* EROFS comes before the flags and the name are looked at. */
	EXPECT_ERRNO(setxattr("f", "trusted.a", "v", 1, 4), EROFS);
	EXPECT_ERRNO(setxattr("f", "", "v", 1, 0), EROFS);
	EXPECT_ERRNO(removexattr("f", "trusted.a"), EROFS);
	int fd = open("f", O_RDONLY);
	EXPECT_OK(fd);
	EXPECT_ERRNO(fsetxattr(fd, "trusted.a", "v", 1, 0), EROFS);
	close(fd);
	/* Reading is fine. */
	EXPECT_ERRNO(getxattr("f", "trusted.a", buf, sizeof buf), ENODATA);
	EXPECT_EQ(listxattr("f", buf, sizeof buf), 0);
}

TEST(xattr, read_only_mount)
{
	on_tmpfs(read_only_mount, MS_RDONLY);
}
