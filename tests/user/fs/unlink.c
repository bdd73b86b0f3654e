/*
 * Suite unlink: unlink(2), unlinkat(2), rmdir(2).
 *
 * Guards Linux's fs/namei.c do_unlinkat/do_rmdir: unlinking a directory is
 * EISDIR (Linux's choice; POSIX allows EPERM), a trailing slash on a file is
 * ENOTDIR, an open file survives its last name (nlink 0), a symlink is removed
 * rather than its target; rmdir of a file is ENOTDIR, of a non-empty
 * directory ENOTEMPTY, of a last component "." EINVAL and ".." ENOTEMPTY, of
 * "/" EBUSY; unlinkat accepts only AT_REMOVEDIR (else EINVAL).  Man pages
 * unlink(2), rmdir(2).
 */
#include "harness.h"

#include <sys/stat.h>

TEST(unlink, removes_file)
{
	h_tmpdir();
	h_write_file("f", "data");
	EXPECT_OK(unlink("f"));
	EXPECT_ERRNO(access("f", F_OK), ENOENT);
	EXPECT_ERRNO(unlink("f"), ENOENT);
}

TEST(unlink, open_file_survives)
{
	h_tmpdir();
	h_write_file("f", "still here");
	int fd = EXPECT_OK(open("f", O_RDWR));
	EXPECT_OK(unlink("f"));
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_nlink, 0);
	char buf[16] = {0};
	EXPECT_EQ(read(fd, buf, sizeof buf), 10);
	EXPECT_STREQ(buf, "still here");
	EXPECT_EQ(write(fd, "!", 1), 1);
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 11);
	/* A new file with the same name is a different inode. */
	h_write_file("f", "new");
	struct stat st2;
	EXPECT_OK(stat("f", &st2));
	EXPECT_EQ(st2.st_size, 3);
}

TEST(unlink, directory_eisdir)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_ERRNO(unlink("d"), EISDIR);
	EXPECT_ERRNO(unlink("d/"), EISDIR);
	EXPECT_ERRNO(unlinkat(AT_FDCWD, "d", 0), EISDIR);
	EXPECT_OK(access("d", F_OK));
}

TEST(unlink, errors)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_ERRNO(unlink("missing"), ENOENT);
	EXPECT_ERRNO(unlink(""), ENOENT);
	EXPECT_ERRNO(unlink("f/x"), ENOTDIR);
	EXPECT_ERRNO(unlink("f/"), ENOTDIR);
	EXPECT_ERRNO(unlink(H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(unlink(h_name(256)), ENAMETOOLONG);
	EXPECT_ERRNO(unlink(h_longpath(4096)), ENAMETOOLONG);
	EXPECT_OK(access("f", F_OK));
}

TEST(unlink, symlink_not_target)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(symlink("f", "l"));
	EXPECT_OK(unlink("l"));
	EXPECT_OK(access("f", F_OK));
	EXPECT_ERRNO(access("l", F_OK), ENOENT);
	/* A dangling symlink can be removed too; a symlink to a directory
	 * is removed by unlink, not rmdir. */
	EXPECT_OK(symlink("nowhere", "dangling"));
	EXPECT_OK(unlink("dangling"));
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(symlink("d", "dl"));
	EXPECT_ERRNO(rmdir("dl"), ENOTDIR);
	EXPECT_OK(unlink("dl"));
	EXPECT_OK(access("d", F_OK));
}

TEST(unlink, unlinkat_flags)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("f", "");
	EXPECT_ERRNO(unlinkat(AT_FDCWD, "f", 0x1), EINVAL);
	EXPECT_ERRNO(unlinkat(AT_FDCWD, "d", AT_REMOVEDIR | 0x1), EINVAL);
	EXPECT_ERRNO(unlinkat(AT_FDCWD, "f", AT_SYMLINK_NOFOLLOW), EINVAL);
	EXPECT_ERRNO(unlinkat(AT_FDCWD, "f", AT_REMOVEDIR), ENOTDIR);
	EXPECT_OK(unlinkat(AT_FDCWD, "d", AT_REMOVEDIR));
	EXPECT_OK(unlinkat(AT_FDCWD, "f", 0));
	EXPECT_ERRNO(access("d", F_OK), ENOENT);
	EXPECT_ERRNO(access("f", F_OK), ENOENT);
}

TEST(unlink, unlinkat_dirfd)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(mkdir("d/sub", 0755));
	h_write_file("d/f", "");
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_OK(unlinkat(dfd, "f", 0));
	EXPECT_OK(unlinkat(dfd, "sub", AT_REMOVEDIR));
	EXPECT_ERRNO(unlinkat(dfd, "f", 0), ENOENT);
	EXPECT_ERRNO(unlinkat(-1, "f", 0), EBADF);
	h_write_file("g", "");
	int ffd = EXPECT_OK(open("g", O_RDONLY));
	EXPECT_ERRNO(unlinkat(ffd, "x", 0), ENOTDIR);
}

TEST(unlink, rmdir_empty)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(rmdir("d"));
	EXPECT_ERRNO(access("d", F_OK), ENOENT);
	EXPECT_OK(mkdir("e", 0755));
	EXPECT_OK(rmdir("e/"));
	EXPECT_ERRNO(rmdir("e"), ENOENT);
}

TEST(unlink, rmdir_errors)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/x", "");
	EXPECT_OK(mkdir("empty", 0755));
	EXPECT_ERRNO(rmdir("f"), ENOTDIR);
	EXPECT_ERRNO(rmdir("d"), ENOTEMPTY);
	EXPECT_ERRNO(rmdir("missing"), ENOENT);
	EXPECT_ERRNO(rmdir(""), ENOENT);
	EXPECT_ERRNO(rmdir("."), EINVAL);
	EXPECT_ERRNO(rmdir("empty/."), EINVAL);
	EXPECT_ERRNO(rmdir(".."), ENOTEMPTY);
	EXPECT_ERRNO(rmdir("empty/.."), ENOTEMPTY);
	EXPECT_ERRNO(rmdir("/"), EBUSY);
	EXPECT_ERRNO(rmdir(H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(rmdir(h_name(256)), ENAMETOOLONG);
	EXPECT_OK(access("empty", F_OK));
}

TEST(unlink, rmdir_subdir_then_parent)
{
	h_tmpdir();
	EXPECT_OK(mkdir("a", 0755));
	EXPECT_OK(mkdir("a/b", 0755));
	EXPECT_ERRNO(rmdir("a"), ENOTEMPTY);
	EXPECT_OK(rmdir("a/b"));
	struct stat st;
	EXPECT_OK(stat("a", &st));
	EXPECT_EQ(st.st_nlink, 2);
	EXPECT_OK(rmdir("a"));
}

TEST(unlink, open_dir_after_rmdir)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_OK(rmdir("d"));
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_nlink, 0);
	/* Reading a removed directory is ENOENT (fs/readdir.c iterate_dir
	 * checks IS_DEADDIR). */
	char buf[256] __attribute__((aligned(8)));
	EXPECT_ERRNO(syscall(SYS_getdents64, fd, buf, sizeof buf), ENOENT);
	EXPECT_ERRNO(openat(fd, "new", O_RDWR | O_CREAT, 0644), ENOENT);
}
