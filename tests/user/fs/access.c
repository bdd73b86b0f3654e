/*
 * Suite access: access(2), faccessat(2), faccessat2(2), as raw syscalls
 * (libc's faccessat may emulate flags in user space).
 *
 * Guards Linux's fs/open.c do_faccessat (mode bits beyond F_OK|R_OK|W_OK|X_OK
 * -> EINVAL; faccessat2 flags beyond AT_EACCESS|AT_SYMLINK_NOFOLLOW|
 * AT_EMPTY_PATH -> EINVAL) and fs/namei.c generic_permission for root
 * (CAP_DAC_OVERRIDE): read and write are always granted, execute of a
 * regular file only when at least one x bit is set (else EACCES), search of
 * a directory always.  Man page access(2).
 */
#include "harness.h"

#include <sys/stat.h>

static long raw_access(const char *p, int mode)
{
	return syscall(SYS_access, p, mode);
}
static long raw_faccessat(int dfd, const char *p, int mode)
{
	return syscall(SYS_faccessat, dfd, p, mode);
}
static long raw_faccessat2(int dfd, const char *p, int mode, int flags)
{
	return syscall(SYS_faccessat2, dfd, p, mode, flags);
}

TEST(access, exists)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_EQ(raw_access("f", F_OK), 0);
	EXPECT_EQ(raw_access("d", F_OK), 0);
	EXPECT_EQ(raw_access("f", R_OK | W_OK), 0);
	EXPECT_EQ(raw_access("d", R_OK | W_OK | X_OK), 0);
	EXPECT_EQ(raw_access("/", F_OK), 0);
	EXPECT_EQ(raw_access("/dev/null", R_OK | W_OK), 0);
}

TEST(access, root_overrides_rw)
{
	if (geteuid() != 0)
		return; /* the rules below are those of CAP_DAC_OVERRIDE */
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(chmod("f", 0));
	EXPECT_EQ(raw_access("f", R_OK), 0);
	EXPECT_EQ(raw_access("f", W_OK), 0);
	EXPECT_EQ(raw_access("f", R_OK | W_OK), 0);
	/* ... but not execute, without any x bit. */
	EXPECT_ERRNO(raw_access("f", X_OK), EACCES);
	EXPECT_ERRNO(raw_access("f", R_OK | X_OK), EACCES);
	EXPECT_OK(chmod("f", 0644));
	EXPECT_ERRNO(raw_access("f", X_OK), EACCES);
	/* One x bit anywhere is enough. */
	EXPECT_OK(chmod("f", 0001));
	EXPECT_EQ(raw_access("f", X_OK), 0);
	EXPECT_OK(chmod("f", 0100));
	EXPECT_EQ(raw_access("f", X_OK), 0);
	/* Directories are always searchable by root. */
	EXPECT_OK(mkdir("d", 0));
	EXPECT_EQ(raw_access("d", X_OK | R_OK | W_OK), 0);
	h_write_file("d/inner", "");
	EXPECT_EQ(raw_access("d/inner", F_OK), 0);
}

TEST(access, bad_mode_einval)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_ERRNO(raw_access("f", 8), EINVAL);
	EXPECT_ERRNO(raw_access("f", 0x10 | R_OK), EINVAL);
	EXPECT_ERRNO(raw_access("f", -1), EINVAL);
	EXPECT_ERRNO(raw_faccessat(AT_FDCWD, "f", 8), EINVAL);
	EXPECT_ERRNO(raw_faccessat2(AT_FDCWD, "f", 8, 0), EINVAL);
	/* The mode is checked before the path. */
	EXPECT_ERRNO(raw_access("missing", 8), EINVAL);
}

TEST(access, path_errors)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(symlink("nowhere", "dangling"));
	EXPECT_OK(symlink("loop", "loop"));
	EXPECT_ERRNO(raw_access("missing", F_OK), ENOENT);
	EXPECT_ERRNO(raw_access("", F_OK), ENOENT);
	EXPECT_ERRNO(raw_access("dangling", F_OK), ENOENT);
	EXPECT_ERRNO(raw_access("f/x", F_OK), ENOTDIR);
	EXPECT_ERRNO(raw_access("f/", F_OK), ENOTDIR);
	EXPECT_ERRNO(raw_access("loop", F_OK), ELOOP);
	EXPECT_ERRNO(raw_access(H_BAD_PTR, F_OK), EFAULT);
	EXPECT_ERRNO(raw_access(NULL, F_OK), EFAULT);
	EXPECT_ERRNO(raw_access(h_name(256), F_OK), ENAMETOOLONG);
	EXPECT_ERRNO(raw_access(h_longpath(4096), F_OK), ENAMETOOLONG);
}

TEST(access, faccessat_dirfd)
{
	const char *dir = h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/f", "");
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(raw_faccessat(dfd, "f", R_OK), 0);
	EXPECT_ERRNO(raw_faccessat(dfd, "g", F_OK), ENOENT);
	EXPECT_EQ(raw_faccessat(AT_FDCWD, "d/f", F_OK), 0);
	EXPECT_ERRNO(raw_faccessat(-1, "f", F_OK), EBADF);
	int ffd = EXPECT_OK(open("d/f", O_RDONLY));
	EXPECT_ERRNO(raw_faccessat(ffd, "f", F_OK), ENOTDIR);
	char abs[128];
	snprintf(abs, sizeof abs, "%s/d/f", dir);
	EXPECT_EQ(raw_faccessat(-1, abs, F_OK), 0);
}

TEST(access, faccessat2_flags)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(symlink("nowhere", "dangling"));
	EXPECT_EQ(raw_faccessat2(AT_FDCWD, "f", R_OK, 0), 0);
	EXPECT_EQ(raw_faccessat2(AT_FDCWD, "f", R_OK, AT_EACCESS), 0);
	EXPECT_ERRNO(raw_faccessat2(AT_FDCWD, "dangling", F_OK, 0), ENOENT);
	EXPECT_EQ(raw_faccessat2(AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(raw_faccessat2(fd, "", R_OK, AT_EMPTY_PATH), 0);
	EXPECT_ERRNO(raw_faccessat2(fd, "", R_OK, 0), ENOENT);
	EXPECT_EQ(raw_faccessat2(AT_FDCWD, "", F_OK, AT_EMPTY_PATH), 0);
}

TEST(access, faccessat2_bad_flags)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_ERRNO(raw_faccessat2(AT_FDCWD, "f", F_OK, 0x1), EINVAL);
	EXPECT_ERRNO(raw_faccessat2(AT_FDCWD, "f", F_OK, 0x800 /* AT_NO_AUTOMOUNT */), EINVAL);
	EXPECT_ERRNO(raw_faccessat2(AT_FDCWD, "f", F_OK, 0x8000), EINVAL);
	EXPECT_ERRNO(raw_faccessat2(-1, "f", F_OK, 0), EBADF);
}

TEST(access, through_symlinks)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/f", "");
	EXPECT_OK(symlink("d", "dl"));
	EXPECT_OK(symlink("d/f", "fl"));
	EXPECT_EQ(raw_access("dl/f", R_OK), 0);
	EXPECT_EQ(raw_access("fl", W_OK), 0);
	EXPECT_EQ(raw_access("dl/", X_OK), 0);
}
