/*
 * Suite openat2: openat2(2) as Linux 6.1's fs/open.c and fs/namei.c give it.
 * struct open_how is checked as build_open_flags does (size below
 * OPEN_HOW_SIZE_VER0 EINVAL, a larger struct only with zero tail bytes E2BIG,
 * unknown flag/resolve/mode bits EINVAL, a mode without O_CREAT EINVAL,
 * RESOLVE_BENEATH with RESOLVE_IN_ROOT EINVAL, RESOLVE_CACHED with O_CREAT
 * EAGAIN) before the path is read; the RESOLVE_* bits scope the walk
 * (BENEATH: EXDEV on leaving; IN_ROOT: the dirfd is "/"), refuse symlinks
 * (ELOOP), magic links (ELOOP; EXDEV in a scoped walk) and mount crossings
 * (EXDEV).
 */
#include "../harness.h"
#include "../proc/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct how {
	uint64_t flags, mode, resolve;
};

#define R_NO_XDEV 0x01
#define R_NO_MAGICLINKS 0x02
#define R_NO_SYMLINKS 0x04
#define R_BENEATH 0x08
#define R_IN_ROOT 0x10
#define R_CACHED 0x20

static long o2(int dfd, const char *path, uint64_t flags, uint64_t mode,
	       uint64_t resolve)
{
	struct how how = { flags, mode, resolve };
	return syscall(SYS_openat2, dfd, path, &how, sizeof how);
}

/* Opens and closes; returns 0 or -errno. */
static int try(int dfd, const char *path, uint64_t flags, uint64_t resolve)
{
	long fd = o2(dfd, path, flags, 0, resolve);
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

TEST(openat2, open_how_checks)
{
	char *page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(page != MAP_FAILED);
	EXPECT_OK(munmap(page + 4096, 4096));
	chdir(h_tmpdir());
	h_write_file("f", "data");
	struct how *how = (struct how *)(page + 4096 - sizeof *how);
	*how = (struct how){ O_RDONLY, 0, 0 };
	/* Sizes: below VER0, zero, and a tail past the mapping. */
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", how, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", how, 23), EINVAL);
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", how, 25), EFAULT);
	long fd = syscall(SYS_openat2, AT_FDCWD, "f", how, 24);
	EXPECT_GE(fd, 0);
	close((int)fd);
	/* A larger struct with a zero tail is fine, a non-zero one E2BIG. */
	struct {
		struct how how;
		uint64_t pad[3];
	} big = { { O_RDONLY, 0, 0 }, { 0, 0, 0 } };
	fd = syscall(SYS_openat2, AT_FDCWD, "f", &big, sizeof big);
	EXPECT_GE(fd, 0);
	close((int)fd);
	big.pad[2] = 1;
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", &big, sizeof big), E2BIG);
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", NULL, 24), EFAULT);
	/* Flag, resolve and mode checks, all before the path is read. */
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, 1ULL << 40, 0, 0), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, 0x40000000, 0, 0), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, O_RDONLY, 0, 0x40), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, O_RDONLY, 0, 1ULL << 63), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, O_RDONLY, 0, R_BENEATH | R_IN_ROOT),
		     EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, O_RDONLY, 0600, 0), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, O_RDWR | O_CREAT, S_IFREG | 0600, 0),
		     EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, O_RDWR | O_CREAT, -1, 0), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, O_TMPFILE | O_RDONLY, 0600, 0), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, O_PATH | O_APPEND, 0, 0), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, O_RDWR | O_CREAT, 0600, R_CACHED),
		     EAGAIN);
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, O_RDWR | O_TRUNC, 0, R_CACHED), EAGAIN);
	/* Then the path and the dirfd. */
	EXPECT_ERRNO(o2(AT_FDCWD, NULL, O_RDONLY, 0, 0), EFAULT);
	EXPECT_ERRNO(o2(AT_FDCWD, "", O_RDONLY, 0, 0), ENOENT);
	EXPECT_ERRNO(o2(-1, "f", O_RDONLY, 0, 0), EBADF);
	/* O_CLOEXEC is accepted and taken; O_CREAT's mode is applied. */
	fd = o2(AT_FDCWD, "g", O_RDWR | O_CREAT | O_CLOEXEC, 0640, 0);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(fcntl((int)fd, F_GETFD), FD_CLOEXEC);
	struct stat st;
	EXPECT_OK(fstat((int)fd, &st));
	EXPECT_MODE(st.st_mode & 07777, 0640);
	close((int)fd);
	/* The old calls ignore what openat2 refuses. */
	fd = syscall(SYS_openat, AT_FDCWD, "f", O_RDONLY | 0x40000000, 0600);
	EXPECT_GE(fd, 0);
	close((int)fd);
}

/* d/sub/file, d/rel -> sub/file, d/abs -> /<tmp>/d/sub/file,
 * d/root -> /sub/file, d/up -> ../d/sub/file, d/subl -> sub. */
static int make_tree(void)
{
	char path[512];
	EXPECT_OK(chdir(h_tmpdir()));
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(mkdir("d/sub", 0755));
	h_write_file("d/sub/file", "x");
	EXPECT_OK(symlink("sub/file", "d/rel"));
	snprintf(path, sizeof path, "%s/d/sub/file", h_tmpdir());
	EXPECT_OK(symlink(path, "d/abs"));
	EXPECT_OK(symlink("/sub/file", "d/root"));
	EXPECT_OK(symlink("../d/sub/file", "d/up"));
	EXPECT_OK(symlink("sub", "d/subl"));
	int dfd = open("d", O_DIRECTORY | O_RDONLY);
	EXPECT_GE(dfd, 0);
	return dfd;
}

TEST(openat2, resolve_beneath)
{
	int d = make_tree();
	EXPECT_EQ(try(d, "sub/file", O_RDONLY, R_BENEATH), 0);
	EXPECT_EQ(try(d, "sub/../sub/./file", O_RDONLY, R_BENEATH), 0);
	EXPECT_EQ(try(d, "rel", O_RDONLY, R_BENEATH), 0);
	EXPECT_EQ(try(d, "subl/file", O_RDONLY, R_BENEATH), 0);
	EXPECT_EQ(try(d, "..", O_RDONLY, R_BENEATH), -EXDEV);
	EXPECT_EQ(try(d, "../d/sub/file", O_RDONLY, R_BENEATH), -EXDEV);
	EXPECT_EQ(try(d, "sub/../../d", O_RDONLY, R_BENEATH), -EXDEV);
	EXPECT_EQ(try(d, "up", O_RDONLY, R_BENEATH), -EXDEV);
	EXPECT_EQ(try(d, "abs", O_RDONLY, R_BENEATH), -EXDEV);
	EXPECT_EQ(try(d, "/", O_RDONLY, R_BENEATH), -EXDEV);
	/* Not followed: the link itself is beneath. */
	EXPECT_EQ(try(d, "abs", O_PATH | O_NOFOLLOW, R_BENEATH), 0);
	/* The cwd is the root of an AT_FDCWD walk. */
	EXPECT_OK(chdir("d"));
	EXPECT_EQ(try(AT_FDCWD, "sub/file", O_RDONLY, R_BENEATH), 0);
	EXPECT_EQ(try(AT_FDCWD, "../d", O_RDONLY, R_BENEATH), -EXDEV);
	close(d);
}

TEST(openat2, resolve_in_root)
{
	int d = make_tree();
	EXPECT_EQ(try(d, "/sub/file", O_RDONLY, R_IN_ROOT), 0);
	EXPECT_EQ(try(d, "root", O_RDONLY, R_IN_ROOT), 0);
	EXPECT_EQ(try(d, "../../../sub/file", O_RDONLY, R_IN_ROOT), 0);
	/* d/up is ../d/sub/file: above the root is the root, which has no d. */
	EXPECT_EQ(try(d, "up", O_RDONLY, R_IN_ROOT), -ENOENT);
	EXPECT_EQ(try(d, "abs", O_RDONLY, R_IN_ROOT), -ENOENT);
	EXPECT_EQ(try(d, "/proc/version", O_RDONLY, R_IN_ROOT), -ENOENT);
	/* Created where the root says. */
	long fd = o2(d, "/sub/new", O_RDWR | O_CREAT, 0600, R_IN_ROOT);
	EXPECT_GE(fd, 0);
	close((int)fd);
	EXPECT_OK(access("d/sub/new", F_OK));
	/* A file is no root. */
	int f = open("d/sub/file", O_RDONLY);
	EXPECT_ERRNO(o2(f, "/x", O_RDONLY, 0, R_IN_ROOT), ENOTDIR);
	close(f);
	close(d);
}

TEST(openat2, resolve_no_symlinks)
{
	int d = make_tree();
	EXPECT_EQ(try(d, "rel", O_RDONLY, R_NO_SYMLINKS), -ELOOP);
	EXPECT_EQ(try(d, "subl/file", O_RDONLY, R_NO_SYMLINKS), -ELOOP);
	EXPECT_EQ(try(d, "sub/file", O_RDONLY, R_NO_SYMLINKS), 0);
	/* A trailing link that is not followed is no symlink walk. */
	EXPECT_EQ(try(d, "rel", O_PATH | O_NOFOLLOW, R_NO_SYMLINKS), 0);
	EXPECT_EQ(try(d, "rel", O_RDONLY | O_NOFOLLOW, R_NO_SYMLINKS), -ELOOP);
	/* O_CREAT on an existing link. */
	EXPECT_ERRNO(o2(d, "rel", O_RDWR | O_CREAT, 0600, R_NO_SYMLINKS), ELOOP);
	close(d);
}

TEST(openat2, magic_links)
{
	proc_ready();
	int d = make_tree();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", d);
	EXPECT_EQ(try(AT_FDCWD, path, O_RDONLY, 0), 0);
	EXPECT_EQ(try(AT_FDCWD, path, O_RDONLY, R_NO_MAGICLINKS), -ELOOP);
	EXPECT_EQ(try(AT_FDCWD, "/proc/self/exe", O_RDONLY, R_NO_MAGICLINKS),
		  -ELOOP);
	/* Through the magic link to a directory, then further. */
	snprintf(path, sizeof path, "/proc/self/fd/%d/sub/file", d);
	EXPECT_EQ(try(AT_FDCWD, path, O_RDONLY, 0), 0);
	EXPECT_EQ(try(AT_FDCWD, path, O_RDONLY, R_NO_MAGICLINKS), -ELOOP);
	EXPECT_EQ(try(AT_FDCWD, path, O_RDONLY, R_NO_SYMLINKS), -ELOOP);
	/* Not followed: fine. */
	EXPECT_EQ(try(AT_FDCWD, "/proc/self/exe", O_PATH | O_NOFOLLOW,
		      R_NO_MAGICLINKS),
		  0);
	/* A scoped walk refuses magic links with EXDEV. */
	int self = open("/proc/self", O_DIRECTORY | O_RDONLY);
	EXPECT_GE(self, 0);
	snprintf(path, sizeof path, "fd/%d", d);
	EXPECT_EQ(try(self, path, O_RDONLY, R_BENEATH), -EXDEV);
	EXPECT_EQ(try(self, path, O_RDONLY, R_IN_ROOT), -EXDEV);
	EXPECT_EQ(try(self, "status", O_RDONLY, R_BENEATH), 0);
	/* To another mount with RESOLVE_NO_XDEV: EXDEV. */
	EXPECT_EQ(try(self, "cwd", O_RDONLY, R_NO_XDEV), -EXDEV);
	close(self);
	close(d);
}

TEST(openat2, resolve_no_xdev)
{
	proc_ready();
	int d = make_tree();
	EXPECT_OK(mkdir("d/mnt", 0755));
	EXPECT_OK(mount("tmpfs", "d/mnt", "tmpfs", 0, NULL));
	h_write_file("d/mnt/inner", "y");
	EXPECT_EQ(try(d, "sub/file", O_RDONLY, R_NO_XDEV), 0);
	EXPECT_EQ(try(d, "mnt", O_RDONLY, R_NO_XDEV), -EXDEV);
	EXPECT_EQ(try(d, "mnt/inner", O_RDONLY, R_NO_XDEV), -EXDEV);
	EXPECT_EQ(try(d, "mnt/inner", O_RDONLY, 0), 0);
	/* Out of a mount by "..". */
	int m = open("d/mnt", O_DIRECTORY | O_RDONLY);
	EXPECT_GE(m, 0);
	EXPECT_EQ(try(m, "inner", O_RDONLY, R_NO_XDEV), 0);
	EXPECT_EQ(try(m, "..", O_RDONLY, R_NO_XDEV), -EXDEV);
	EXPECT_EQ(try(m, "../sub/file", O_RDONLY, 0), 0);
	/* An absolute symlink from inside the mount leaves it. */
	EXPECT_OK(symlink("/", "d/mnt/toroot"));
	EXPECT_EQ(try(m, "toroot", O_RDONLY, R_NO_XDEV), -EXDEV);
	EXPECT_EQ(try(AT_FDCWD, "/proc/version", O_RDONLY, R_NO_XDEV), -EXDEV);
	close(m);
	EXPECT_OK(umount("d/mnt"));
	close(d);
}

TEST(openat2, resolve_cached)
{
	/*
	 * A tmpfs of its own: mounted by mount(2) it is relatime, where the
	 * initramfs root is not. On Linux a cached walk cannot follow a
	 * symlink whose atime is due, and without relatime it always is.
	 */
	EXPECT_OK(chdir(h_tmpdir()));
	EXPECT_OK(mkdir("cached", 0755));
	EXPECT_OK(mount("none", "cached", "tmpfs", 0, NULL));
	EXPECT_OK(mkdir("cached/sub", 0755));
	h_write_file("cached/sub/file", "x");
	EXPECT_OK(symlink("sub/file", "cached/rel"));
	int d = open("cached", O_DIRECTORY | O_RDONLY);
	EXPECT_GE(d, 0);
	/* Looked up once, so the dentry cache holds it. */
	EXPECT_EQ(try(d, "sub/file", O_RDONLY, 0), 0);
	EXPECT_EQ(try(d, "sub/file", O_RDONLY, R_CACHED), 0);
	/* An atime ahead of the link's mtime and ctime is not due. */
	struct timespec times[2] = {{.tv_sec = time(NULL) + 3600},
				    {.tv_sec = time(NULL) - 3600}};
	EXPECT_OK(utimensat(d, "rel", times, AT_SYMLINK_NOFOLLOW));
	EXPECT_EQ(try(d, "rel", O_RDONLY, R_CACHED), 0);
	EXPECT_ERRNO(o2(d, "sub/file", O_RDWR | O_CREAT, 0600, R_CACHED),
		     EAGAIN);
	EXPECT_ERRNO(o2(d, "sub/file", O_RDWR | O_TRUNC, 0, R_CACHED), EAGAIN);
	close(d);
	EXPECT_OK(umount("cached"));
}
