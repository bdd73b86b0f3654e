/*
 * Suite open: open(2), openat(2), creat(2), close(2).
 *
 * Guards Linux's fs/open.c (build_open_flags: unknown flag bits are ignored
 * by open/openat, O_LARGEFILE is forced on 64-bit and shows in F_GETFL;
 * the lowest free fd is returned; close of a bad fd is EBADF) and fs/namei.c
 * path_openat/do_last (O_CREAT|O_EXCL -> EEXIST, O_DIRECTORY on a file ->
 * ENOTDIR, writing a directory -> EISDIR, O_CREAT with a trailing slash ->
 * EISDIR, a file used as a directory -> ENOTDIR, "" -> ENOENT, a 256-byte
 * name or a 4096-byte path -> ENAMETOOLONG, O_NOFOLLOW on a symlink -> ELOOP,
 * dirfd handling in openat: EBADF for a bad dirfd with a relative path,
 * ENOTDIR for a file dirfd, ignored for an absolute path), the umask applied
 * to the creation mode, O_TRUNC and RLIMIT_NOFILE -> EMFILE.  Man page
 * open(2), close(2).
 */
#include "harness.h"

#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>

TEST(open, create_and_reopen)
{
	h_tmpdir();
	EXPECT_ERRNO(open("f", O_RDONLY), ENOENT);
	int fd = EXPECT_OK(open("f", O_WRONLY | O_CREAT, 0600));
	EXPECT_OK(close(fd));
	fd = EXPECT_OK(open("f", O_RDONLY));
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0600);
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(st.st_nlink, 1);
}

TEST(open, lowest_free_fd)
{
	h_tmpdir();
	h_write_file("f", "x");
	int a = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(a, 3);
	int b = EXPECT_OK(open("f", O_RDONLY));
	int c = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(b, 4);
	EXPECT_EQ(c, 5);
	EXPECT_OK(close(b));
	EXPECT_EQ(open("f", O_RDONLY), 4);
	EXPECT_EQ(open("f", O_RDONLY), 6);
}

TEST(open, excl_existing_eexist)
{
	h_tmpdir();
	h_write_file("f", "x");
	EXPECT_ERRNO(open("f", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_ERRNO(open("d", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	/* O_CREAT|O_EXCL does not follow a symlink, even a dangling one. */
	EXPECT_OK(symlink("nowhere", "dangling"));
	EXPECT_ERRNO(open("dangling", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	EXPECT_ERRNO(access("nowhere", F_OK), ENOENT);
}

TEST(open, creat_through_dangling_symlink)
{
	h_tmpdir();
	EXPECT_OK(symlink("target", "link"));
	int fd = EXPECT_OK(open("link", O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(write(fd, "t", 1), 1);
	struct stat st;
	EXPECT_OK(lstat("target", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_size, 1);
}

TEST(open, o_directory_on_file_enotdir)
{
	h_tmpdir();
	h_write_file("f", "x");
	EXPECT_ERRNO(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	EXPECT_ERRNO(open("f/", O_RDONLY), ENOTDIR);
	EXPECT_ERRNO(open("f/x", O_RDONLY), ENOTDIR);
	EXPECT_ERRNO(open("f/x", O_RDWR | O_CREAT, 0644), ENOTDIR);
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_OK(open("d/", O_RDONLY));
	EXPECT_OK(open("d/.", O_RDONLY));
}

TEST(open, directory_for_writing_eisdir)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_ERRNO(open("d", O_WRONLY), EISDIR);
	EXPECT_ERRNO(open("d", O_RDWR), EISDIR);
	EXPECT_ERRNO(open("d", O_RDONLY | O_TRUNC), EISDIR);
	EXPECT_ERRNO(open("d", O_RDONLY | O_CREAT, 0644), EISDIR);
	EXPECT_ERRNO(open("new/", O_RDWR | O_CREAT, 0644), EISDIR);
	EXPECT_ERRNO(open("/", O_WRONLY), EISDIR);
}

TEST(open, missing_enoent)
{
	h_tmpdir();
	EXPECT_ERRNO(open("missing", O_RDONLY), ENOENT);
	EXPECT_ERRNO(open("missing/f", O_RDWR | O_CREAT, 0644), ENOENT);
	EXPECT_ERRNO(open("", O_RDONLY), ENOENT);
	EXPECT_ERRNO(open("", O_RDWR | O_CREAT, 0644), ENOENT);
}

TEST(open, efault)
{
	EXPECT_ERRNO(open(H_BAD_PTR, O_RDONLY), EFAULT);
	EXPECT_ERRNO(open(H_KERNEL_PTR, O_RDONLY), EFAULT);
	EXPECT_ERRNO(syscall(SYS_open, NULL, O_RDONLY), EFAULT);
	EXPECT_ERRNO(openat(AT_FDCWD, H_BAD_PTR, O_RDONLY), EFAULT);
}

TEST(open, name_too_long)
{
	h_tmpdir();
	EXPECT_ERRNO(open(h_name(256), O_RDWR | O_CREAT, 0644), ENAMETOOLONG);
	EXPECT_ERRNO(open(h_name(256), O_RDONLY), ENAMETOOLONG);
	/* 255 bytes is the longest valid name. */
	int fd = EXPECT_OK(open(h_name(255), O_RDWR | O_CREAT, 0644));
	EXPECT_OK(close(fd));
	EXPECT_OK(unlink(h_name(255)));
	/* A path of 4096 bytes (no room for the NUL in PATH_MAX). */
	EXPECT_ERRNO(open(h_longpath(4096), O_RDONLY), ENAMETOOLONG);
	EXPECT_ERRNO(open(h_longpath(5000), O_RDONLY), ENAMETOOLONG);
	/* 4095 bytes is a legal length: the walk fails on the missing "a". */
	EXPECT_ERRNO(open(h_longpath(4095), O_RDONLY), ENOENT);
}

TEST(open, o_trunc)
{
	h_tmpdir();
	h_write_file("f", "hello world");
	int fd = EXPECT_OK(open("f", O_RDWR | O_TRUNC));
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(write(fd, "hi", 2), 2);
	EXPECT_OK(close(fd));
	/* O_TRUNC with O_RDONLY truncates too on Linux. */
	fd = EXPECT_OK(open("f", O_RDONLY | O_TRUNC));
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 0);
}

TEST(open, o_nofollow_eloop)
{
	h_tmpdir();
	h_write_file("f", "x");
	EXPECT_OK(symlink("f", "l"));
	EXPECT_ERRNO(open("l", O_RDONLY | O_NOFOLLOW), ELOOP);
	EXPECT_OK(open("l", O_RDONLY));
	/* Only the last component is concerned. */
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(symlink("d", "dl"));
	h_write_file("d/g", "y");
	EXPECT_OK(open("dl/g", O_RDONLY | O_NOFOLLOW));
}

TEST(open, flags_reported_by_getfl)
{
	h_tmpdir();
	h_write_file("f", "x");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDONLY | K_O_LARGEFILE);
	fd = EXPECT_OK(open("f", O_WRONLY | O_APPEND));
	EXPECT_EQX(fcntl(fd, F_GETFL), O_WRONLY | O_APPEND | K_O_LARGEFILE);
	fd = EXPECT_OK(open("f", O_RDWR | O_NONBLOCK | O_CREAT | O_TRUNC, 0644));
	/* Open-time-only flags (O_CREAT, O_TRUNC) are not kept. */
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK | K_O_LARGEFILE);
}

TEST(open, unknown_flags_ignored)
{
	h_tmpdir();
	h_write_file("f", "x");
	/* open(2) and openat(2) silently drop flag bits they do not know. */
	int fd = EXPECT_OK(open("f", O_RDONLY | 0x40000000));
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDONLY | K_O_LARGEFILE);
	fd = EXPECT_OK(syscall(SYS_openat, AT_FDCWD, "f", O_RDWR | 0x40000000L, 0));
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDWR | K_O_LARGEFILE);
}

TEST(open, o_cloexec)
{
	h_tmpdir();
	h_write_file("f", "x");
	int fd = EXPECT_OK(open("f", O_RDONLY | O_CLOEXEC));
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	/* O_CLOEXEC is a descriptor flag, not a file status flag. */
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_CLOEXEC, 0);
	int fd2 = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(fcntl(fd2, F_GETFD), 0);
}

TEST(open, umask_applies_to_mode)
{
	h_tmpdir();
	struct stat st;
	umask(022);
	EXPECT_OK(open("a", O_RDWR | O_CREAT, 0666));
	EXPECT_OK(stat("a", &st));
	EXPECT_MODE(st.st_mode & 07777, 0644);
	umask(077);
	EXPECT_OK(open("b", O_RDWR | O_CREAT, 0777));
	EXPECT_OK(stat("b", &st));
	EXPECT_MODE(st.st_mode & 07777, 0700);
	umask(0);
	EXPECT_OK(open("c", O_RDWR | O_CREAT, 0777));
	EXPECT_OK(stat("c", &st));
	EXPECT_MODE(st.st_mode & 07777, 0777);
	/* Only the permission bits of the mode argument are used. */
	EXPECT_OK(open("d", O_RDWR | O_CREAT, 0170644));
	EXPECT_OK(stat("d", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0644);
}

TEST(open, creat_truncates)
{
	h_tmpdir();
	h_write_file("f", "content");
	int fd = EXPECT_OK(creat("f", 0600));
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 0);
	/* The existing file keeps its mode. */
	EXPECT_MODE(st.st_mode & 07777, 0644);
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	EXPECT_ERRNO(read(fd, &st, 1), EBADF);
}

TEST(open, openat_dirfd)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/f", "in d");
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	int fd = EXPECT_OK(openat(dfd, "f", O_RDONLY));
	char buf[8] = {0};
	EXPECT_EQ(read(fd, buf, sizeof buf), 4);
	EXPECT_STREQ(buf, "in d");
	fd = EXPECT_OK(openat(dfd, "g", O_RDWR | O_CREAT, 0644));
	EXPECT_OK(access("d/g", F_OK));
	EXPECT_OK(openat(AT_FDCWD, "d/f", O_RDONLY));
	EXPECT_OK(openat(dfd, "..", O_RDONLY | O_DIRECTORY));
}

TEST(open, openat_bad_dirfd)
{
	const char *dir = h_tmpdir();
	h_write_file("f", "x");
	EXPECT_ERRNO(openat(-1, "f", O_RDONLY), EBADF);
	EXPECT_ERRNO(openat(999, "f", O_RDONLY), EBADF);
	int ffd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(openat(ffd, "f", O_RDONLY), ENOTDIR);
	/* The dirfd is not looked at for an absolute path. */
	char abs[128];
	strcpy(abs, dir);
	strcat(abs, "/f");
	EXPECT_OK(openat(-1, abs, O_RDONLY));
	EXPECT_OK(openat(ffd, abs, O_RDONLY));
}

TEST(open, close_ebadf)
{
	h_tmpdir();
	h_write_file("f", "x");
	EXPECT_ERRNO(close(-1), EBADF);
	EXPECT_ERRNO(close(INT_MAX), EBADF);
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(close(fd), EBADF);
}

TEST(open, emfile_at_rlimit)
{
	h_tmpdir();
	h_write_file("f", "x");
	struct rlimit old, lim;
	EXPECT_OK(getrlimit(RLIMIT_NOFILE, &old));
	lim = old;
	lim.rlim_cur = 8;
	EXPECT_OK(setrlimit(RLIMIT_NOFILE, &lim));
	int n = 0;
	for (int fd = 3; fd < 8; fd++, n++)
		EXPECT_EQ(open("f", O_RDONLY), fd);
	EXPECT_EQ(n, 5);
	EXPECT_ERRNO(open("f", O_RDONLY), EMFILE);
	EXPECT_ERRNO(dup(0), EMFILE);
	EXPECT_OK(close(5));
	EXPECT_EQ(open("f", O_RDONLY), 5);
	EXPECT_OK(setrlimit(RLIMIT_NOFILE, &old));
}

TEST(open, dot_and_dotdot)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("f", "top");
	char buf[8];
	EXPECT_EQ(h_read_file("d/../f", buf, sizeof buf), 3);
	EXPECT_EQ(h_read_file("./d/./../f", buf, sizeof buf), 3);
	EXPECT_EQ(h_read_file("d//..//f", buf, sizeof buf), 3);
	/* ".." of the root is the root. */
	int a = EXPECT_OK(open("/..", O_RDONLY | O_DIRECTORY));
	int b = EXPECT_OK(open("/", O_RDONLY | O_DIRECTORY));
	struct stat sa, sb;
	EXPECT_OK(fstat(a, &sa));
	EXPECT_OK(fstat(b, &sb));
	EXPECT_EQ(sa.st_ino, sb.st_ino);
	EXPECT_EQ(sa.st_dev, sb.st_dev);
}
