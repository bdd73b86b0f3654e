/*
 * Suite cwd: getcwd(2) (raw syscall), chdir(2), fchdir(2).
 *
 * Guards Linux's fs/d_path.c SYSCALL(getcwd) (returns the length including
 * the NUL; ERANGE when the buffer is too small, size 0 included; ENOENT when
 * the cwd has been removed; EFAULT for a bad buffer) and fs/open.c
 * chdir/fchdir (ENOENT, ENOTDIR, "" -> ENOENT, EBADF, symlinks followed,
 * O_PATH directory fds accepted).  Init starts in "/".  Man pages getcwd(3)
 * (section "C library/kernel differences"), chdir(2).
 */
#include "harness.h"

#include <limits.h>
#include <sys/stat.h>

static long raw_getcwd(char *buf, size_t size)
{
	return syscall(SYS_getcwd, buf, size);
}

TEST(cwd, init_starts_at_root)
{
	if (!h_is_init())
		return; /* the host program inherits its shell's cwd */
	/* The runner chdirs to "/" after each test; check before any chdir
	 * of ours that "/" is what getcwd reports. */
	char buf[64];
	EXPECT_EQ(raw_getcwd(buf, sizeof buf), 2);
	EXPECT_STREQ(buf, "/");
}

TEST(cwd, getcwd_returns_length)
{
	const char *dir = h_tmpdir();
	char buf[PATH_MAX];
	memset(buf, 'x', sizeof buf);
	EXPECT_EQ(raw_getcwd(buf, sizeof buf), (long)strlen(dir) + 1);
	EXPECT_STREQ(buf, dir);
	EXPECT_OK(chdir("/"));
	EXPECT_EQ(raw_getcwd(buf, sizeof buf), 2);
	EXPECT_STREQ(buf, "/");
	/* libc's getcwd agrees. */
	EXPECT_OK(chdir(dir));
	char buf2[PATH_MAX];
	EXPECT_TRUE(getcwd(buf2, sizeof buf2) == buf2);
	EXPECT_STREQ(buf2, dir);
}

TEST(cwd, getcwd_erange)
{
	const char *dir = h_tmpdir();
	size_t len = strlen(dir);
	char buf[PATH_MAX];
	EXPECT_ERRNO(raw_getcwd(buf, 1), ERANGE);
	EXPECT_ERRNO(raw_getcwd(buf, len), ERANGE); /* no room for the NUL */
	EXPECT_EQ(raw_getcwd(buf, len + 1), (long)len + 1);
	EXPECT_ERRNO(raw_getcwd(buf, 0), ERANGE);
	EXPECT_ERRNO(raw_getcwd(NULL, 0), ERANGE);
	EXPECT_OK(chdir("/"));
	EXPECT_ERRNO(raw_getcwd(buf, 1), ERANGE);
	EXPECT_EQ(raw_getcwd(buf, 2), 2);
}

TEST(cwd, getcwd_efault)
{
	h_tmpdir();
	EXPECT_ERRNO(raw_getcwd(H_BAD_PTR, 4096), EFAULT);
	EXPECT_ERRNO(raw_getcwd(H_KERNEL_PTR, 4096), EFAULT);
}

TEST(cwd, removed_cwd_enoent)
{
	h_tmpdir();
	EXPECT_OK(mkdir("gone", 0755));
	EXPECT_OK(chdir("gone"));
	/* Linux lets a process remove its own (empty) working directory. */
	EXPECT_OK(rmdir("../gone"));
	char buf[PATH_MAX];
	EXPECT_ERRNO(raw_getcwd(buf, sizeof buf), ENOENT);
	/* Nothing can be created in it any more. */
	EXPECT_ERRNO(open("f", O_RDWR | O_CREAT, 0644), ENOENT);
	EXPECT_ERRNO(mkdir("sub", 0755), ENOENT);
	/* "." still stats (the inode lives while it is our cwd). */
	struct stat st;
	EXPECT_OK(stat(".", &st));
	EXPECT_EQ(st.st_nlink, 0);
}

TEST(cwd, chdir_relative_and_dotdot)
{
	const char *dir = h_tmpdir();
	EXPECT_OK(mkdir("a", 0755));
	EXPECT_OK(mkdir("a/b", 0755));
	EXPECT_OK(chdir("a/b"));
	char buf[PATH_MAX], want[PATH_MAX];
	snprintf(want, sizeof want, "%s/a/b", dir);
	EXPECT_OK(raw_getcwd(buf, sizeof buf));
	EXPECT_STREQ(buf, want);
	h_write_file("here", "b");
	EXPECT_OK(chdir(".."));
	EXPECT_OK(access("b/here", F_OK));
	EXPECT_OK(chdir("./b/../.."));
	EXPECT_OK(raw_getcwd(buf, sizeof buf));
	EXPECT_STREQ(buf, dir);
	EXPECT_OK(chdir("/.."));
	EXPECT_OK(raw_getcwd(buf, sizeof buf));
	EXPECT_STREQ(buf, "/");
}

TEST(cwd, chdir_follows_symlink)
{
	const char *dir = h_tmpdir();
	EXPECT_OK(mkdir("real", 0755));
	EXPECT_OK(symlink("real", "link"));
	EXPECT_OK(chdir("link"));
	char buf[PATH_MAX], want[PATH_MAX];
	snprintf(want, sizeof want, "%s/real", dir);
	EXPECT_OK(raw_getcwd(buf, sizeof buf));
	EXPECT_STREQ(buf, want);
}

TEST(cwd, chdir_errors)
{
	const char *dir = h_tmpdir();
	h_write_file("f", "");
	EXPECT_ERRNO(chdir("missing"), ENOENT);
	EXPECT_ERRNO(chdir(""), ENOENT);
	EXPECT_ERRNO(chdir("f"), ENOTDIR);
	EXPECT_ERRNO(chdir("f/"), ENOTDIR);
	EXPECT_ERRNO(chdir("missing/x"), ENOENT);
	EXPECT_ERRNO(chdir(H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_chdir, NULL), EFAULT);
	EXPECT_ERRNO(chdir(h_name(256)), ENAMETOOLONG);
	EXPECT_ERRNO(chdir(h_longpath(4096)), ENAMETOOLONG);
	EXPECT_OK(symlink("l2", "l1"));
	EXPECT_OK(symlink("l1", "l2"));
	EXPECT_ERRNO(chdir("l1"), ELOOP);
	/* A failed chdir leaves the cwd alone. */
	char buf[PATH_MAX];
	EXPECT_OK(raw_getcwd(buf, sizeof buf));
	EXPECT_STREQ(buf, dir);
}

TEST(cwd, fchdir)
{
	const char *dir = h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_OK(chdir("/"));
	EXPECT_OK(fchdir(dfd));
	char buf[PATH_MAX], want[PATH_MAX];
	snprintf(want, sizeof want, "%s/d", dir);
	EXPECT_OK(raw_getcwd(buf, sizeof buf));
	EXPECT_STREQ(buf, want);
	/* An O_PATH fd on a directory is accepted. */
	EXPECT_OK(chdir("/"));
	int pfd = EXPECT_OK(open(want, O_PATH | O_DIRECTORY));
	EXPECT_OK(fchdir(pfd));
	EXPECT_OK(raw_getcwd(buf, sizeof buf));
	EXPECT_STREQ(buf, want);
}

TEST(cwd, fchdir_errors)
{
	h_tmpdir();
	h_write_file("f", "");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(fchdir(fd), ENOTDIR);
	EXPECT_ERRNO(fchdir(-1), EBADF);
	EXPECT_ERRNO(fchdir(INT_MAX), EBADF);
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(fchdir(fd), EBADF);
	int nfd = EXPECT_OK(open("/dev/null", O_RDONLY));
	EXPECT_ERRNO(fchdir(nfd), ENOTDIR);
}
