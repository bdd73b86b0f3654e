/*
 * Suite xattr: extended attributes on tmpfs (setxattr, getxattr, listxattr,
 * removexattr and their l* and f* forms).
 *
 * Guards Linux 6.1's fs/xattr.c and mm/shmem.c: tmpfs keeps security.* and
 * trusted.* (shmem_xattr_handlers; user.* came to tmpfs in 6.6, so 6.1 says
 * EOPNOTSUPP, after the permission check); a new name goes to the head of the
 * list (simple_xattr_set's list_add), a replaced value keeps its place; an
 * empty value is a value; XATTR_CREATE/XATTR_REPLACE give EEXIST/ENODATA;
 * names are 1..255 bytes (ERANGE), a bare prefix is EINVAL, an unknown one
 * EOPNOTSUPP; values up to 65536 bytes (E2BIG); a buffer too small is ERANGE,
 * size 0 asks for the length.  xattr_permission: trusted.* needs
 * CAP_SYS_ADMIN (EPERM to write, ENODATA to read, hidden from the list),
 * user.* only on regular files and directories and by their permissions;
 * security.capability needs a v2/v3 header (EINVAL) and CAP_SETFCAP
 * (cap_convert_nscap), and reads back as v2 unless its v3 root id is not 0.
 * (commoncap also wants CAP_SYS_ADMIN to change other security.* names, as
 * Ferrux does; Debian's kernel enables the BPF LSM, whose default
 * inode_setxattr/inode_removexattr hooks return 0 and so skip that check, so
 * it is not tested.)  Writes need a writable mount (EROFS); O_PATH
 * descriptors are EBADF; a pipe has no attributes.  This is what python's
 * shutil.copy2/copystat does (listxattr on every copy).
 */
#include "harness.h"

#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/xattr.h>

#ifndef O_PATH
#define O_PATH 010000000
#endif

#define NOBODY 65534

/* tmpfs gained user.* in Linux 6.6. */
static int tmpfs_has_user_xattrs(void)
{
	struct utsname u;
	int major = 0, minor = 0;
	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major > 6 || (major == 6 && minor >= 6);
}

/* The tmpfs the tests use, outside the harness's scratch directory so that a
 * failed test (which skips its unmount) cannot leave that directory busy. */
#define MNT "/tmp/ferrux-xattr"

static void unmount_all(void)
{
	while (umount2(MNT, MNT_DETACH) == 0)
		;
}

/* A fresh tmpfs with a file, a directory, a symlink and a fifo, entered as
 * the working directory (names below are "m/f" and so on). */
static void make_tree(void)
{
	EXPECT_OK(mount("tmpfs", MNT, "tmpfs", 0, "mode=0777"));
	EXPECT_OK(mkdir(MNT "/m", 0777));
	EXPECT_OK(chdir(MNT));
	h_write_file("m/f", "data");
	EXPECT_OK(mkdir("m/d", 0755));
	EXPECT_OK(symlink("f", "m/l"));
	EXPECT_OK(mkfifo("m/p", 0666));
}

/* Runs fn in a child, on a fresh tmpfs, as root. */
static void run_on_tmpfs(void (*fn)(void *))
{
	unmount_all();
	if (mkdir(MNT, 0755) != 0 && errno != EEXIST)
		FAIL("mkdir(%s): %s", MNT, h_errname(errno));
	EXPECT_CHILD_OK(fn, NULL);
	unmount_all();
	EXPECT_OK(rmdir(MNT));
}

static long list(const char *path, char *buf, size_t size)
{
	return listxattr(path, buf, size);
}

static void basics(void *arg)
{
	(void)arg;
	make_tree();
	char buf[256];
	EXPECT_EQ(list("m/f", NULL, 0), 0);
	EXPECT_EQ(list("m/f", buf, sizeof buf), 0);
	EXPECT_OK(setxattr("m/f", "trusted.a", "hello", 5, 0));
	EXPECT_EQ(getxattr("m/f", "trusted.a", NULL, 0), 5);
	EXPECT_ERRNO(getxattr("m/f", "trusted.a", buf, 4), ERANGE);
	memset(buf, 0, sizeof buf);
	EXPECT_EQ(getxattr("m/f", "trusted.a", buf, sizeof buf), 5);
	EXPECT_MEMEQ(buf, "hello", 5);
	/* An empty value is a value, not a removal. */
	EXPECT_OK(setxattr("m/f", "trusted.b", "", 0, 0));
	EXPECT_EQ(getxattr("m/f", "trusted.b", buf, sizeof buf), 0);
	EXPECT_OK(setxattr("m/f", "security.c", "s", 1, 0));
	/* Newest first; a replaced value keeps its place. */
	static const char names[] = "security.c\0trusted.b\0trusted.a";
	EXPECT_EQ(list("m/f", NULL, 0), sizeof names);
	EXPECT_EQ(list("m/f", buf, sizeof buf), sizeof names);
	EXPECT_MEMEQ(buf, names, sizeof names);
	EXPECT_OK(setxattr("m/f", "trusted.a", "x", 1, XATTR_REPLACE));
	EXPECT_EQ(list("m/f", buf, sizeof buf), sizeof names);
	EXPECT_MEMEQ(buf, names, sizeof names);
	EXPECT_EQ(getxattr("m/f", "trusted.a", buf, sizeof buf), 1);
	EXPECT_EQ(buf[0], 'x');
	EXPECT_ERRNO(list("m/f", buf, sizeof names - 1), ERANGE);
	/* Flags. */
	EXPECT_ERRNO(setxattr("m/f", "trusted.a", "y", 1, XATTR_CREATE), EEXIST);
	EXPECT_ERRNO(setxattr("m/f", "trusted.z", "y", 1, XATTR_REPLACE), ENODATA);
	EXPECT_ERRNO(setxattr("m/f", "trusted.z", "y", 1,
			      XATTR_CREATE | XATTR_REPLACE), ENODATA);
	EXPECT_ERRNO(setxattr("m/f", "trusted.a", "y", 1,
			      XATTR_CREATE | XATTR_REPLACE), EEXIST);
	EXPECT_ERRNO(setxattr("m/f", "trusted.a", "y", 1, 4), EINVAL);
	EXPECT_ERRNO(setxattr("m/f", "trusted.a", "y", 1, -1), EINVAL);
	EXPECT_OK(setxattr("m/f", "trusted.z", "new", 3, XATTR_CREATE));
	EXPECT_ERRNO(getxattr("m/f", "trusted.none", buf, sizeof buf), ENODATA);
	/* Removal. */
	EXPECT_OK(removexattr("m/f", "trusted.z"));
	EXPECT_ERRNO(removexattr("m/f", "trusted.z"), ENODATA);
	EXPECT_ERRNO(getxattr("m/f", "trusted.z", buf, sizeof buf), ENODATA);
	EXPECT_OK(removexattr("m/f", "trusted.b"));
	EXPECT_OK(removexattr("m/f", "security.c"));
	EXPECT_EQ(list("m/f", buf, sizeof buf), sizeof "trusted.a");
	EXPECT_STREQ(buf, "trusted.a");
	/* Directories and the other kinds carry them too. */
	EXPECT_OK(setxattr("m/d", "trusted.dir", "1", 1, 0));
	EXPECT_OK(setxattr("m/p", "trusted.fifo", "2", 1, 0));
	EXPECT_EQ(getxattr("m/p", "trusted.fifo", buf, sizeof buf), 1);
}

TEST(xattr, set_get_list_remove)
{
	if (geteuid() != 0)
		return; /* mount and trusted.* need CAP_SYS_ADMIN */
	run_on_tmpfs(basics);
}

static void names_and_sizes(void *arg)
{
	(void)arg;
	make_tree();
	char name[300], buf[64];
	EXPECT_ERRNO(setxattr("m/f", "", "v", 1, 0), ERANGE);
	EXPECT_ERRNO(getxattr("m/f", "", buf, sizeof buf), ERANGE);
	EXPECT_ERRNO(removexattr("m/f", ""), ERANGE);
	/* 255 bytes is the longest name. */
	memset(name, 'n', sizeof name);
	memcpy(name, "trusted.", 8);
	name[255] = 0;
	EXPECT_OK(setxattr("m/f", name, "v", 1, 0));
	EXPECT_EQ(getxattr("m/f", name, buf, sizeof buf), 1);
	EXPECT_OK(removexattr("m/f", name));
	name[255] = 'n';
	name[256] = 0;
	EXPECT_ERRNO(setxattr("m/f", name, "v", 1, 0), ERANGE);
	EXPECT_ERRNO(getxattr("m/f", name, buf, sizeof buf), ERANGE);
	EXPECT_ERRNO(removexattr("m/f", name), ERANGE);
	/* Namespaces tmpfs does not keep, and bare prefixes. */
	EXPECT_ERRNO(setxattr("m/f", "trusted.", "v", 1, 0), EINVAL);
	EXPECT_ERRNO(getxattr("m/f", "security.", buf, sizeof buf), EINVAL);
	EXPECT_ERRNO(setxattr("m/f", "system.ferrux", "v", 1, 0), EOPNOTSUPP);
	EXPECT_ERRNO(setxattr("m/f", "os2.x", "v", 1, 0), EOPNOTSUPP);
	EXPECT_ERRNO(getxattr("m/f", "nonamespace", buf, sizeof buf),
		     EOPNOTSUPP);
	EXPECT_ERRNO(removexattr("m/f", "trustedx"), EOPNOTSUPP);
	if (!tmpfs_has_user_xattrs()) {
		EXPECT_ERRNO(setxattr("m/f", "user.x", "v", 1, 0), EOPNOTSUPP);
		EXPECT_ERRNO(getxattr("m/f", "user.x", buf, sizeof buf),
			     EOPNOTSUPP);
	}
	/* Values up to 64 KiB. */
	size_t max = 65536;
	char *big = malloc(max + 1);
	char *back = malloc(2 * max);
	EXPECT_TRUE(big && back);
	for (size_t i = 0; i <= max; i++)
		big[i] = (char)(i * 7);
	EXPECT_ERRNO(setxattr("m/f", "trusted.big", big, max + 1, 0), E2BIG);
	EXPECT_OK(setxattr("m/f", "trusted.big", big, max, 0));
	EXPECT_EQ(getxattr("m/f", "trusted.big", NULL, 0), (long)max);
	/* A buffer larger than the limit is the limit. */
	EXPECT_EQ(getxattr("m/f", "trusted.big", back, 2 * max), (long)max);
	EXPECT_MEMEQ(back, big, max);
	EXPECT_ERRNO(getxattr("m/f", "trusted.big", back, max - 1), ERANGE);
	free(big);
	free(back);
	/* Bad pointers. */
	EXPECT_ERRNO(syscall(SYS_setxattr, "m/f", NULL, "v", 1, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_setxattr, "m/f", "trusted.q", (void *)8, 1, 0),
		     EFAULT);
	EXPECT_ERRNO(syscall(SYS_getxattr, "m/f", "trusted.big", (void *)8,
			     max),
		     EFAULT);
	EXPECT_ERRNO(syscall(SYS_listxattr, "m/f", (void *)8, 100), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getxattr, "m/nope", "trusted.a", buf, 8),
		     ENOENT);
}

TEST(xattr, names_and_sizes)
{
	if (geteuid() != 0)
		return;
	run_on_tmpfs(names_and_sizes);
}

static void links_fds_mounts(void *arg)
{
	(void)arg;
	make_tree();
	char buf[64];
	/* The l* calls act on the link itself, the others follow it. */
	EXPECT_OK(setxattr("m/l", "trusted.target", "t", 1, 0));
	EXPECT_OK(lsetxattr("m/l", "trusted.link", "l", 1, 0));
	EXPECT_EQ(getxattr("m/f", "trusted.target", buf, sizeof buf), 1);
	EXPECT_EQ(lgetxattr("m/l", "trusted.link", buf, sizeof buf), 1);
	EXPECT_ERRNO(lgetxattr("m/l", "trusted.target", buf, sizeof buf),
		     ENODATA);
	EXPECT_EQ(llistxattr("m/l", buf, sizeof buf), sizeof "trusted.link");
	EXPECT_EQ(listxattr("m/l", buf, sizeof buf), sizeof "trusted.target");
	EXPECT_OK(lremovexattr("m/l", "trusted.link"));
	EXPECT_EQ(llistxattr("m/l", buf, sizeof buf), 0);
	/* Descriptors. */
	int fd = EXPECT_OK(open("m/f", O_RDONLY));
	EXPECT_OK(fsetxattr(fd, "trusted.fd", "abc", 3, 0));
	EXPECT_EQ(fgetxattr(fd, "trusted.fd", buf, sizeof buf), 3);
	EXPECT_MEMEQ(buf, "abc", 3);
	EXPECT_EQ(flistxattr(fd, NULL, 0),
		  sizeof "trusted.fd" + sizeof "trusted.target");
	EXPECT_OK(fremovexattr(fd, "trusted.fd"));
	EXPECT_ERRNO(fgetxattr(fd, "trusted.fd", buf, sizeof buf), ENODATA);
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(fgetxattr(fd, "trusted.fd", buf, sizeof buf), EBADF);
	int opath = EXPECT_OK(open("m/f", O_PATH));
	EXPECT_ERRNO(fsetxattr(opath, "trusted.x", "1", 1, 0), EBADF);
	EXPECT_ERRNO(fgetxattr(opath, "trusted.target", buf, sizeof buf),
		     EBADF);
	EXPECT_ERRNO(flistxattr(opath, buf, sizeof buf), EBADF);
	EXPECT_ERRNO(fremovexattr(opath, "trusted.target"), EBADF);
	EXPECT_OK(close(opath));
	/* A pipe has no attributes. */
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_ERRNO(fsetxattr(p[0], "trusted.x", "1", 1, 0), EOPNOTSUPP);
	EXPECT_ERRNO(fgetxattr(p[0], "trusted.x", buf, sizeof buf),
		     EOPNOTSUPP);
	EXPECT_EQ(flistxattr(p[0], buf, sizeof buf), 0);
	EXPECT_OK(close(p[0]));
	EXPECT_OK(close(p[1]));
	/* A read-only mount: reads work, changes are EROFS. */
	EXPECT_OK(mount(NULL, MNT, NULL, MS_REMOUNT | MS_RDONLY, NULL));
	EXPECT_EQ(getxattr("m/f", "trusted.target", buf, sizeof buf), 1);
	EXPECT_ERRNO(setxattr("m/f", "trusted.target", "2", 1, 0), EROFS);
	EXPECT_ERRNO(setxattr("m/f", "trusted.target", "2", 1, 4), EROFS);
	EXPECT_ERRNO(removexattr("m/f", "trusted.target"), EROFS);
	fd = EXPECT_OK(open("m/f", O_RDONLY));
	EXPECT_ERRNO(fsetxattr(fd, "trusted.x", "1", 1, 0), EROFS);
	EXPECT_OK(close(fd));
}

TEST(xattr, links_descriptors_and_read_only_mounts)
{
	if (geteuid() != 0)
		return;
	run_on_tmpfs(links_fds_mounts);
}

static void unprivileged(void *arg)
{
	(void)arg;
	make_tree();
	EXPECT_OK(setxattr("m/f", "trusted.secret", "1", 1, 0));
	EXPECT_OK(setxattr("m/f", "security.label", "2", 1, 0));
	EXPECT_OK(chmod("m/f", 0644));
	h_write_file("m/mine", "x");
	EXPECT_OK(chown("m/mine", NOBODY, NOBODY));
	EXPECT_OK(mkdir("m/sticky", 01777));
	EXPECT_EQ(syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY), 0);
	EXPECT_EQ(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY), 0);
	char buf[64];
	/* trusted.*: invisible and unwritable. */
	EXPECT_ERRNO(getxattr("m/f", "trusted.secret", buf, sizeof buf),
		     ENODATA);
	EXPECT_ERRNO(setxattr("m/mine", "trusted.x", "1", 1, 0), EPERM);
	EXPECT_ERRNO(removexattr("m/f", "trusted.secret"), EPERM);
	EXPECT_EQ(listxattr("m/f", buf, sizeof buf), sizeof "security.label");
	EXPECT_STREQ(buf, "security.label");
	/* security.*: readable.  (Changing it needs CAP_SYS_ADMIN in
	 * commoncap, but Debian's kernel runs the BPF LSM, whose default hooks
	 * skip that check: not tested.) */
	EXPECT_EQ(getxattr("m/f", "security.label", buf, sizeof buf), 1);
	/* security.capability: the header is checked before the capability. */
	EXPECT_ERRNO(setxattr("m/mine", "security.capability", "bad", 3, 0),
		     EINVAL);
	uint32_t v2[5] = {0x02000000, 1, 0, 0, 0};
	EXPECT_ERRNO(setxattr("m/mine", "security.capability", v2, sizeof v2,
			      0),
		     EPERM);
	/* user.*: the object's permissions first, then the namespace. */
	EXPECT_ERRNO(setxattr("m/f", "user.x", "1", 1, 0), EACCES);
	EXPECT_ERRNO(setxattr("m/p", "user.x", "1", 1, 0), EPERM);
	EXPECT_ERRNO(getxattr("m/p", "user.x", buf, sizeof buf), ENODATA);
	EXPECT_ERRNO(setxattr("m/sticky", "user.x", "1", 1, 0), EPERM);
	if (!tmpfs_has_user_xattrs())
		EXPECT_ERRNO(setxattr("m/mine", "user.x", "1", 1, 0),
			     EOPNOTSUPP);
	/* Unknown namespaces: permissions too. */
	EXPECT_ERRNO(setxattr("m/f", "os2.x", "1", 1, 0), EACCES);
	EXPECT_ERRNO(setxattr("m/mine", "os2.x", "1", 1, 0), EOPNOTSUPP);
}

TEST(xattr, unprivileged_rules)
{
	if (geteuid() != 0)
		return;
	run_on_tmpfs(unprivileged);
}

static void file_caps(void *arg)
{
	(void)arg;
	make_tree();
	uint32_t v2[5] = {0x02000001, 0x20, 0x20, 0, 0};
	uint32_t v3[6] = {0x03000001, 0x20, 0x20, 0, 0, 0};
	uint32_t back[8];
	/* v2 is stored as given. */
	EXPECT_OK(setxattr("m/f", "security.capability", v2, sizeof v2, 0));
	EXPECT_EQ(getxattr("m/f", "security.capability", NULL, 0), sizeof v2);
	EXPECT_EQ(getxattr("m/f", "security.capability", back, sizeof back),
		  sizeof v2);
	EXPECT_MEMEQ(back, v2, sizeof v2);
	/* v3 with root id 0 reads back as v2; another root id as v3. */
	EXPECT_OK(setxattr("m/f", "security.capability", v3, sizeof v3, 0));
	EXPECT_EQ(getxattr("m/f", "security.capability", back, sizeof back),
		  sizeof v2);
	EXPECT_MEMEQ(back, v2, sizeof v2);
	v3[5] = 1000;
	EXPECT_OK(setxattr("m/f", "security.capability", v3, sizeof v3, 0));
	EXPECT_EQ(getxattr("m/f", "security.capability", NULL, 0), sizeof v3);
	EXPECT_EQ(getxattr("m/f", "security.capability", back, sizeof back),
		  sizeof v3);
	EXPECT_MEMEQ(back, v3, sizeof v3);
	/* Headers that do not match their size. */
	EXPECT_ERRNO(setxattr("m/f", "security.capability", v2, sizeof v2 - 1,
			      0),
		     EINVAL);
	v2[0] = 0x03000000;
	EXPECT_ERRNO(setxattr("m/f", "security.capability", v2, sizeof v2, 0),
		     EINVAL);
	EXPECT_ERRNO(setxattr("m/f", "security.capability", v3, sizeof v2, 0),
		     EINVAL);
	EXPECT_OK(removexattr("m/f", "security.capability"));
	EXPECT_ERRNO(getxattr("m/f", "security.capability", back, sizeof back),
		     ENODATA);
}

TEST(xattr, file_capabilities)
{
	if (geteuid() != 0)
		return;
	run_on_tmpfs(file_caps);
}
