/*
 * Suite symlink: symlink(2), symlinkat(2), readlink(2), readlinkat(2) (raw
 * syscalls for readlink so libc cannot mask bufsiz checks), and symlink
 * resolution (ELOOP).
 *
 * Guards Linux's fs/namei.c: do_symlinkat (EEXIST for any existing name, an
 * empty target is ENOENT, a 4096-byte target ENAMETOOLONG, a trailing slash
 * on the new name ENOENT), do_readlinkat (bufsiz <= 0 EINVAL; a non-symlink
 * EINVAL, but "" on a non-symlink fd ENOENT; the result is truncated to bufsiz
 * with no NUL added; "" on an O_PATH|O_NOFOLLOW fd reads that link), relative
 * targets resolved from the link's directory, and pick_link's MAXSYMLINKS =
 * 40 (a chain of 40 links resolves, 41 is ELOOP; a cycle is ELOOP).  Man pages
 * symlink(2), readlink(2), path_resolution(7).
 */
#include "harness.h"

#include <sys/stat.h>

static long raw_readlink(const char *p, char *buf, long size)
{
	return syscall(SYS_readlink, p, buf, size);
}
static long raw_readlinkat(int dfd, const char *p, char *buf, long size)
{
	return syscall(SYS_readlinkat, dfd, p, buf, size);
}

TEST(symlink, create_and_readlink)
{
	h_tmpdir();
	EXPECT_OK(symlink("some/target", "l"));
	char buf[64];
	memset(buf, 'x', sizeof buf);
	EXPECT_EQ(raw_readlink("l", buf, sizeof buf), 11);
	EXPECT_MEMEQ(buf, "some/target", 11);
	EXPECT_EQ(buf[11], 'x'); /* no NUL appended */
	struct stat st;
	EXPECT_OK(lstat("l", &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_EQ(st.st_size, 11);
	EXPECT_EQ(st.st_nlink, 1);
}

TEST(symlink, readlink_truncates)
{
	h_tmpdir();
	EXPECT_OK(symlink("abcdefgh", "l"));
	char buf[16];
	memset(buf, 'x', sizeof buf);
	EXPECT_EQ(raw_readlink("l", buf, 3), 3);
	EXPECT_MEMEQ(buf, "abcx", 4);
	EXPECT_EQ(raw_readlink("l", buf, 1), 1);
	EXPECT_EQ(buf[0], 'a');
	EXPECT_EQ(raw_readlink("l", buf, 8), 8);
}

TEST(symlink, readlink_errors)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(symlink("d", "dl"));
	EXPECT_OK(symlink("f", "l"));
	char buf[64];
	EXPECT_ERRNO(raw_readlink("f", buf, sizeof buf), EINVAL);
	EXPECT_ERRNO(raw_readlink("d", buf, sizeof buf), EINVAL);
	EXPECT_ERRNO(raw_readlink("dl/", buf, sizeof buf), EINVAL);
	EXPECT_ERRNO(raw_readlink("missing", buf, sizeof buf), ENOENT);
	EXPECT_ERRNO(raw_readlink("", buf, sizeof buf), ENOENT);
	EXPECT_ERRNO(raw_readlink("f/x", buf, sizeof buf), ENOTDIR);
	EXPECT_ERRNO(raw_readlink("l", buf, 0), EINVAL);
	EXPECT_ERRNO(raw_readlink("l", buf, -1), EINVAL);
	EXPECT_ERRNO(raw_readlink("l", H_BAD_PTR, 64), EFAULT);
	EXPECT_ERRNO(raw_readlink(H_BAD_PTR, buf, 64), EFAULT);
	EXPECT_ERRNO(raw_readlink(h_name(256), buf, 64), ENAMETOOLONG);
}

TEST(symlink, readlink_through_dir_link)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(symlink("target-in-d", "d/inner"));
	EXPECT_OK(symlink("d", "dl"));
	char buf[64];
	EXPECT_EQ(raw_readlink("dl/inner", buf, sizeof buf), 11);
	EXPECT_MEMEQ(buf, "target-in-d", 11);
}

TEST(symlink, create_errors)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(symlink("x", "l"));
	EXPECT_ERRNO(symlink("x", "f"), EEXIST);
	EXPECT_ERRNO(symlink("x", "d"), EEXIST);
	EXPECT_ERRNO(symlink("y", "l"), EEXIST);
	EXPECT_ERRNO(symlink("", "empty"), ENOENT);
	EXPECT_ERRNO(symlink("x", "missing/l"), ENOENT);
	EXPECT_ERRNO(symlink("x", "f/l"), ENOTDIR);
	EXPECT_ERRNO(symlink("x", ""), ENOENT);
	EXPECT_ERRNO(symlink("x", "new/"), ENOENT);
	EXPECT_ERRNO(symlink(H_BAD_PTR, "bad"), EFAULT);
	EXPECT_ERRNO(symlink("x", H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(symlink("x", h_name(256)), ENAMETOOLONG);
	EXPECT_ERRNO(symlink(h_longpath(4096), "long"), ENAMETOOLONG);
}

TEST(symlink, long_target)
{
	h_tmpdir();
	const char *target = h_longpath(4095);
	EXPECT_OK(symlink(target, "l"));
	static char buf[8192];
	EXPECT_EQ(raw_readlink("l", buf, sizeof buf), 4095);
	EXPECT_MEMEQ(buf, target, 4095);
	struct stat st;
	EXPECT_OK(lstat("l", &st));
	EXPECT_EQ(st.st_size, 4095);
}

TEST(symlink, relative_to_link_directory)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/f", "in d");
	h_write_file("f", "top");
	EXPECT_OK(symlink("f", "d/l"));   /* d/l -> d/f */
	EXPECT_OK(symlink("../f", "d/up")); /* d/up -> f */
	char buf[8];
	EXPECT_EQ(h_read_file("d/l", buf, sizeof buf), 4);
	EXPECT_STREQ(buf, "in d");
	EXPECT_EQ(h_read_file("d/up", buf, sizeof buf), 3);
	EXPECT_STREQ(buf, "top");
}

TEST(symlink, absolute_target_and_dir_component)
{
	const char *dir = h_tmpdir();
	EXPECT_OK(mkdir("real", 0755));
	h_write_file("real/f", "abs");
	char target[128];
	snprintf(target, sizeof target, "%s/real", dir);
	EXPECT_OK(symlink(target, "abs"));
	char buf[8];
	EXPECT_EQ(h_read_file("abs/f", buf, sizeof buf), 3);
	EXPECT_OK(symlink("/", "root"));
	struct stat a, b;
	EXPECT_OK(stat("root/tmp", &a));
	EXPECT_OK(stat("/tmp", &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST(symlink, eloop_cycle)
{
	h_tmpdir();
	EXPECT_OK(symlink("b", "a"));
	EXPECT_OK(symlink("a", "b"));
	EXPECT_OK(symlink("self", "self"));
	struct stat st;
	EXPECT_ERRNO(stat("a", &st), ELOOP);
	EXPECT_ERRNO(open("a", O_RDONLY), ELOOP);
	EXPECT_ERRNO(open("self", O_RDWR | O_CREAT, 0644), ELOOP);
	EXPECT_ERRNO(access("a/x", F_OK), ELOOP);
	EXPECT_OK(lstat("a", &st));
}

TEST(symlink, forty_links_resolve_41_eloop)
{
	h_tmpdir();
	h_write_file("f", "end");
	char name[16], prev[16] = "f";
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof name, "l%d", i);
		EXPECT_OK(symlink(prev, name));
		strcpy(prev, name);
	}
	/* l39 needs 40 link traversals, l40 needs 41. */
	char buf[8];
	EXPECT_EQ(h_read_file("l39", buf, sizeof buf), 3);
	struct stat st;
	EXPECT_OK(stat("l39", &st));
	EXPECT_ERRNO(stat("l40", &st), ELOOP);
	EXPECT_ERRNO(open("l40", O_RDONLY), ELOOP);
}

TEST(symlink, symlinkat_dirfd)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_OK(symlinkat("tgt", dfd, "l"));
	char buf[16];
	EXPECT_EQ(raw_readlink("d/l", buf, sizeof buf), 3);
	EXPECT_OK(symlinkat("tgt2", AT_FDCWD, "l2"));
	EXPECT_EQ(raw_readlink("l2", buf, sizeof buf), 4);
	EXPECT_ERRNO(symlinkat("x", -1, "l3"), EBADF);
	h_write_file("f", "");
	int ffd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(symlinkat("x", ffd, "l3"), ENOTDIR);
}

TEST(symlink, readlinkat)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(symlink("target", "d/l"));
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	char buf[16];
	EXPECT_EQ(raw_readlinkat(dfd, "l", buf, sizeof buf), 6);
	EXPECT_MEMEQ(buf, "target", 6);
	EXPECT_EQ(raw_readlinkat(AT_FDCWD, "d/l", buf, sizeof buf), 6);
	EXPECT_ERRNO(raw_readlinkat(-1, "l", buf, sizeof buf), EBADF);
	EXPECT_ERRNO(raw_readlinkat(dfd, "l", buf, 0), EINVAL);
	/* "" names the fd itself: a symlink opened O_PATH|O_NOFOLLOW reads;
	 * anything else is ENOENT (not EINVAL) for the empty path. */
	int lfd = EXPECT_OK(open("d/l", O_PATH | O_NOFOLLOW));
	EXPECT_EQ(raw_readlinkat(lfd, "", buf, sizeof buf), 6);
	EXPECT_MEMEQ(buf, "target", 6);
	EXPECT_ERRNO(raw_readlinkat(dfd, "", buf, sizeof buf), ENOENT);
	EXPECT_ERRNO(raw_readlinkat(AT_FDCWD, "", buf, sizeof buf), ENOENT);
	EXPECT_ERRNO(raw_readlinkat(dfd, ".", buf, sizeof buf), EINVAL);
}
