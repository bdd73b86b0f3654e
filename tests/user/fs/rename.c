/*
 * Suite rename: rename(2), renameat(2), renameat2(2) (raw syscall).
 *
 * Guards Linux's fs/namei.c do_renameat2/vfs_rename: a file replaces an
 * existing file atomically, a directory replaces an empty directory, a
 * non-empty target directory is ENOTEMPTY, file over directory EISDIR,
 * directory over file ENOTDIR, moving a directory under itself EINVAL,
 * renaming a name to itself succeeds, "." or ".." as either last component
 * EBUSY; the moved directory's ".." and both parents' link counts follow;
 * renameat2 RENAME_NOREPLACE (EEXIST), RENAME_EXCHANGE (both must exist),
 * both together or unknown flags EINVAL.  Man page rename(2).
 */
#include "harness.h"

#include <sys/stat.h>

static long raw_renameat2(int od, const char *o, int nd, const char *n,
			  unsigned flags)
{
	return syscall(SYS_renameat2, od, o, nd, n, flags);
}

static ino_t ino_of(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		FAIL("lstat(%s): %s", path, h_errname(errno));
	return st.st_ino;
}

TEST(rename, file_to_new_name)
{
	h_tmpdir();
	h_write_file("a", "content");
	ino_t ino = ino_of("a");
	EXPECT_OK(rename("a", "b"));
	EXPECT_ERRNO(access("a", F_OK), ENOENT);
	EXPECT_EQ(ino_of("b"), ino);
	char buf[16];
	EXPECT_EQ(h_read_file("b", buf, sizeof buf), 7);
	EXPECT_STREQ(buf, "content");
}

TEST(rename, file_replaces_file)
{
	h_tmpdir();
	h_write_file("a", "new");
	h_write_file("b", "old");
	int oldfd = EXPECT_OK(open("b", O_RDONLY));
	ino_t ino = ino_of("a");
	EXPECT_OK(rename("a", "b"));
	EXPECT_EQ(ino_of("b"), ino);
	EXPECT_ERRNO(access("a", F_OK), ENOENT);
	/* The replaced file lives on through its open fd. */
	struct stat st;
	EXPECT_OK(fstat(oldfd, &st));
	EXPECT_EQ(st.st_nlink, 0);
	char buf[8] = {0};
	EXPECT_EQ(read(oldfd, buf, sizeof buf), 3);
	EXPECT_STREQ(buf, "old");
}

TEST(rename, same_name_is_noop)
{
	h_tmpdir();
	h_write_file("a", "x");
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(rename("a", "a"));
	EXPECT_OK(rename("d", "d"));
	EXPECT_OK(rename("a", "./a"));
	EXPECT_OK(access("a", F_OK));
	EXPECT_OK(access("d", F_OK));
}

TEST(rename, directory_moves_with_dotdot)
{
	h_tmpdir();
	EXPECT_OK(mkdir("p1", 0755));
	EXPECT_OK(mkdir("p2", 0755));
	EXPECT_OK(mkdir("p1/sub", 0755));
	h_write_file("p1/sub/f", "x");
	EXPECT_OK(rename("p1/sub", "p2/moved"));
	EXPECT_OK(access("p2/moved/f", F_OK));
	EXPECT_EQ(ino_of("p2/moved/.."), ino_of("p2"));
	struct stat s1, s2;
	EXPECT_OK(stat("p1", &s1));
	EXPECT_OK(stat("p2", &s2));
	EXPECT_EQ(s1.st_nlink, 2);
	EXPECT_EQ(s2.st_nlink, 3);
}

TEST(rename, dir_over_empty_dir)
{
	h_tmpdir();
	EXPECT_OK(mkdir("a", 0755));
	h_write_file("a/f", "");
	EXPECT_OK(mkdir("b", 0755));
	ino_t ino = ino_of("a");
	EXPECT_OK(rename("a", "b"));
	EXPECT_EQ(ino_of("b"), ino);
	EXPECT_OK(access("b/f", F_OK));
	EXPECT_ERRNO(access("a", F_OK), ENOENT);
}

TEST(rename, dir_over_nonempty_enotempty)
{
	h_tmpdir();
	EXPECT_OK(mkdir("a", 0755));
	EXPECT_OK(mkdir("b", 0755));
	h_write_file("b/f", "");
	EXPECT_ERRNO(rename("a", "b"), ENOTEMPTY);
	EXPECT_OK(access("a", F_OK));
}

TEST(rename, type_mismatch)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("f", "");
	EXPECT_ERRNO(rename("f", "d"), EISDIR);
	EXPECT_ERRNO(rename("d", "f"), ENOTDIR);
	EXPECT_ERRNO(rename("f/", "g"), ENOTDIR);
	EXPECT_ERRNO(rename("f", "g/"), ENOTDIR);
	EXPECT_OK(rename("d/", "e/"));
	EXPECT_OK(access("e", F_OK));
}

TEST(rename, into_own_subtree_einval)
{
	h_tmpdir();
	EXPECT_OK(mkdir("a", 0755));
	EXPECT_OK(mkdir("a/b", 0755));
	EXPECT_ERRNO(rename("a", "a/b/c"), EINVAL);
	EXPECT_ERRNO(rename("a", "a/c"), EINVAL);
	/* A descendant over its ancestor: the ancestor is not empty. */
	EXPECT_ERRNO(rename("a/b", "a"), ENOTEMPTY);
}

TEST(rename, dot_dotdot_ebusy)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("f", "");
	EXPECT_ERRNO(rename(".", "x"), EBUSY);
	EXPECT_ERRNO(rename("d/.", "x"), EBUSY);
	EXPECT_ERRNO(rename("d/..", "x"), EBUSY);
	EXPECT_ERRNO(rename("f", "d/."), EBUSY);
	EXPECT_ERRNO(rename("f", ".."), EBUSY);
	EXPECT_ERRNO(rename("/", "x"), EBUSY);
}

TEST(rename, errors)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_ERRNO(rename("missing", "x"), ENOENT);
	EXPECT_ERRNO(rename("f", "missing/x"), ENOENT);
	EXPECT_ERRNO(rename("", "x"), ENOENT);
	EXPECT_ERRNO(rename("f", ""), ENOENT);
	EXPECT_ERRNO(rename("f/x", "y"), ENOTDIR);
	EXPECT_ERRNO(rename("f", "f/y"), ENOTDIR);
	EXPECT_ERRNO(rename(H_BAD_PTR, "x"), EFAULT);
	EXPECT_ERRNO(rename("f", H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(rename("f", h_name(256)), ENAMETOOLONG);
	EXPECT_ERRNO(rename(h_longpath(4096), "x"), ENAMETOOLONG);
	EXPECT_OK(access("f", F_OK));
}

TEST(rename, symlink_renamed_not_target)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(symlink("f", "l"));
	EXPECT_OK(rename("l", "l2"));
	struct stat st;
	EXPECT_OK(lstat("l2", &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_OK(access("f", F_OK));
	/* A file replaces a symlink, not what it points to. */
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(symlink("d", "dl"));
	h_write_file("g", "");
	EXPECT_OK(rename("g", "dl"));
	EXPECT_OK(lstat("dl", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_OK(stat("d", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(rename, renameat_dirfds)
{
	h_tmpdir();
	EXPECT_OK(mkdir("a", 0755));
	EXPECT_OK(mkdir("b", 0755));
	h_write_file("a/f", "x");
	int ad = EXPECT_OK(open("a", O_RDONLY | O_DIRECTORY));
	int bd = EXPECT_OK(open("b", O_RDONLY | O_DIRECTORY));
	EXPECT_OK(renameat(ad, "f", bd, "g"));
	EXPECT_OK(access("b/g", F_OK));
	EXPECT_OK(renameat(bd, "g", AT_FDCWD, "top"));
	EXPECT_OK(access("top", F_OK));
	EXPECT_ERRNO(renameat(-1, "top", AT_FDCWD, "x"), EBADF);
	EXPECT_ERRNO(renameat(AT_FDCWD, "top", -1, "x"), EBADF);
	int ffd = EXPECT_OK(open("top", O_RDONLY));
	EXPECT_ERRNO(renameat(ffd, "x", AT_FDCWD, "y"), ENOTDIR);
}

TEST(rename, renameat2_noreplace)
{
	h_tmpdir();
	h_write_file("a", "a");
	h_write_file("b", "b");
	EXPECT_ERRNO(raw_renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE), EEXIST);
	EXPECT_OK(access("a", F_OK));
	EXPECT_OK(raw_renameat2(AT_FDCWD, "a", AT_FDCWD, "c", RENAME_NOREPLACE));
	EXPECT_ERRNO(access("a", F_OK), ENOENT);
	EXPECT_OK(symlink("nowhere", "dangling"));
	EXPECT_ERRNO(raw_renameat2(AT_FDCWD, "c", AT_FDCWD, "dangling", RENAME_NOREPLACE), EEXIST);
	/* flags 0 is plain rename. */
	EXPECT_OK(raw_renameat2(AT_FDCWD, "c", AT_FDCWD, "b", 0));
	char buf[4];
	EXPECT_EQ(h_read_file("b", buf, sizeof buf), 1);
	EXPECT_STREQ(buf, "a");
}

TEST(rename, renameat2_exchange)
{
	h_tmpdir();
	h_write_file("f", "file");
	EXPECT_OK(mkdir("d", 0755));
	ino_t fi = ino_of("f"), di = ino_of("d");
	EXPECT_OK(raw_renameat2(AT_FDCWD, "f", AT_FDCWD, "d", RENAME_EXCHANGE));
	EXPECT_EQ(ino_of("f"), di);
	EXPECT_EQ(ino_of("d"), fi);
	struct stat st;
	EXPECT_OK(stat("f", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_ERRNO(raw_renameat2(AT_FDCWD, "f", AT_FDCWD, "missing", RENAME_EXCHANGE), ENOENT);
	EXPECT_ERRNO(raw_renameat2(AT_FDCWD, "missing", AT_FDCWD, "f", RENAME_EXCHANGE), ENOENT);
}

TEST(rename, renameat2_bad_flags)
{
	h_tmpdir();
	h_write_file("a", "");
	h_write_file("b", "");
	EXPECT_ERRNO(raw_renameat2(AT_FDCWD, "a", AT_FDCWD, "b",
				   RENAME_NOREPLACE | RENAME_EXCHANGE), EINVAL);
	EXPECT_ERRNO(raw_renameat2(AT_FDCWD, "a", AT_FDCWD, "c", 1u << 3), EINVAL);
	EXPECT_ERRNO(raw_renameat2(AT_FDCWD, "a", AT_FDCWD, "c", 0x80000000u), EINVAL);
	EXPECT_ERRNO(raw_renameat2(AT_FDCWD, "a", AT_FDCWD, "b",
				   RENAME_EXCHANGE | RENAME_WHITEOUT), EINVAL);
	EXPECT_OK(access("a", F_OK));
	EXPECT_OK(access("b", F_OK));
}
