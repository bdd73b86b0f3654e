/*
 * Suite mkdir: mkdir(2), mkdirat(2).
 *
 * Guards Linux's fs/namei.c do_mkdirat/vfs_mkdir: the mode is masked by the
 * umask and by S_IRWXUGO|S_ISVTX (setuid/setgid bits of the argument are
 * dropped, the sticky bit kept); EEXIST for any existing name (file, dir,
 * dangling symlink, ".", "/"); ENOENT for a missing parent or ""; ENOTDIR for
 * a file used as a parent; trailing slashes are allowed; ENAMETOOLONG at 256
 * bytes per name or 4096 per path; EFAULT; the dirfd rules of the *at calls.
 * Man page mkdir(2).
 */
#include "harness.h"

#include <sys/stat.h>

static unsigned mode_of(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		FAIL("lstat(%s): %s", path, h_errname(errno));
	return st.st_mode;
}

TEST(mkdir, creates_directory)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	unsigned m = mode_of("d");
	EXPECT_TRUE(S_ISDIR(m));
	EXPECT_MODE(m & 07777, 0755);
	struct stat st;
	EXPECT_OK(stat("d", &st));
	EXPECT_EQ(st.st_uid, geteuid());
	EXPECT_EQ(st.st_gid, getegid());
	EXPECT_OK(mkdir("d/e", 0700));
	EXPECT_TRUE(S_ISDIR(mode_of("d/e")));
}

TEST(mkdir, mode_and_umask)
{
	h_tmpdir();
	umask(022);
	EXPECT_OK(mkdir("a", 0777));
	EXPECT_MODE(mode_of("a") & 07777, 0755);
	umask(0);
	EXPECT_OK(mkdir("b", 0777));
	EXPECT_MODE(mode_of("b") & 07777, 0777);
	umask(027);
	EXPECT_OK(mkdir("c", 0777));
	EXPECT_MODE(mode_of("c") & 07777, 0750);
	/* Sticky bit kept, setuid/setgid dropped. */
	umask(022);
	EXPECT_OK(mkdir("s", 07777));
	EXPECT_MODE(mode_of("s") & 07777, 01755);
	EXPECT_OK(mkdir("z", 0));
	EXPECT_MODE(mode_of("z") & 07777, 0);
}

TEST(mkdir, eexist)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("f", "");
	EXPECT_OK(symlink("nowhere", "dangling"));
	EXPECT_ERRNO(mkdir("d", 0755), EEXIST);
	EXPECT_ERRNO(mkdir("f", 0755), EEXIST);
	EXPECT_ERRNO(mkdir("dangling", 0755), EEXIST);
	EXPECT_ERRNO(access("nowhere", F_OK), ENOENT);
	EXPECT_ERRNO(mkdir(".", 0755), EEXIST);
	EXPECT_ERRNO(mkdir("..", 0755), EEXIST);
	EXPECT_ERRNO(mkdir("/", 0755), EEXIST);
	EXPECT_ERRNO(mkdir("d/", 0755), EEXIST);
}

TEST(mkdir, enoent_enotdir)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_ERRNO(mkdir("missing/d", 0755), ENOENT);
	EXPECT_ERRNO(mkdir("", 0755), ENOENT);
	EXPECT_ERRNO(mkdir("f/d", 0755), ENOTDIR);
	EXPECT_ERRNO(mkdir("f/", 0755), EEXIST);
}

TEST(mkdir, trailing_slashes)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d/", 0755));
	EXPECT_OK(mkdir("e//", 0755));
	EXPECT_TRUE(S_ISDIR(mode_of("d")));
	EXPECT_TRUE(S_ISDIR(mode_of("e")));
	EXPECT_OK(mkdir("d//sub///", 0755));
	EXPECT_TRUE(S_ISDIR(mode_of("d/sub")));
}

TEST(mkdir, name_too_long)
{
	h_tmpdir();
	EXPECT_ERRNO(mkdir(h_name(256), 0755), ENAMETOOLONG);
	EXPECT_OK(mkdir(h_name(255), 0755));
	EXPECT_OK(rmdir(h_name(255)));
	EXPECT_ERRNO(mkdir(h_longpath(4096), 0755), ENAMETOOLONG);
}

TEST(mkdir, efault)
{
	EXPECT_ERRNO(mkdir(H_BAD_PTR, 0755), EFAULT);
	EXPECT_ERRNO(syscall(SYS_mkdir, NULL, 0755), EFAULT);
	EXPECT_ERRNO(mkdirat(AT_FDCWD, H_KERNEL_PTR, 0755), EFAULT);
}

TEST(mkdir, mkdirat_dirfd)
{
	const char *dir = h_tmpdir();
	EXPECT_OK(mkdir("base", 0755));
	int dfd = EXPECT_OK(open("base", O_RDONLY | O_DIRECTORY));
	EXPECT_OK(mkdirat(dfd, "sub", 0700));
	EXPECT_MODE(mode_of("base/sub") & 07777, 0700);
	EXPECT_OK(mkdirat(AT_FDCWD, "cwdsub", 0755));
	EXPECT_TRUE(S_ISDIR(mode_of("cwdsub")));
	EXPECT_ERRNO(mkdirat(dfd, "sub", 0700), EEXIST);
	/* Absolute paths ignore the dirfd, even a bad one. */
	char abs[128];
	snprintf(abs, sizeof abs, "%s/abs", dir);
	EXPECT_OK(mkdirat(-1, abs, 0755));
	EXPECT_TRUE(S_ISDIR(mode_of("abs")));
}

TEST(mkdir, mkdirat_bad_dirfd)
{
	h_tmpdir();
	h_write_file("f", "");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(mkdirat(fd, "x", 0755), ENOTDIR);
	EXPECT_ERRNO(mkdirat(-1, "x", 0755), EBADF);
	EXPECT_ERRNO(mkdirat(1000, "x", 0755), EBADF);
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(mkdirat(fd, "x", 0755), EBADF);
	EXPECT_ERRNO(access("x", F_OK), ENOENT);
}
