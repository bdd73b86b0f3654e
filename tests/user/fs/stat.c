/*
 * Suite stat: stat(2), fstat(2), lstat(2), newfstatat(2), each called as the
 * raw x86-64 syscall (libc may route stat through another syscall).
 *
 * Guards Linux's fs/stat.c (vfs_fstatat: AT_EMPTY_PATH with a fd or AT_FDCWD,
 * AT_SYMLINK_NOFOLLOW, any other flag bit but AT_NO_AUTOMOUNT and the statx
 * sync-type bits (accepted through vfs_statx) -> EINVAL, ""
 * without AT_EMPTY_PATH -> ENOENT, EFAULT for a bad path or buffer; cp_new_stat
 * layout) and the tmpfs/ramfs inode attributes: new files have nlink 1 and
 * the creator's uid/gid, a directory has nlink 2 + subdirectories, a symlink
 * is S_IFLNK 0777 with st_size = length of its target, writes move mtime and
 * ctime.  Man page stat(2).
 */
#include "harness.h"

#include <sys/stat.h>
#include <time.h>

#ifndef AT_NO_AUTOMOUNT
#define AT_NO_AUTOMOUNT 0x800
#endif
#ifndef AT_STATX_FORCE_SYNC
#define AT_STATX_FORCE_SYNC 0x2000
#define AT_STATX_DONT_SYNC 0x4000
#endif

static long raw_stat(const char *p, struct stat *st)
{
	return syscall(SYS_stat, p, st);
}
static long raw_lstat(const char *p, struct stat *st)
{
	return syscall(SYS_lstat, p, st);
}
static long raw_fstat(int fd, struct stat *st)
{
	return syscall(SYS_fstat, fd, st);
}
static long raw_fstatat(int dfd, const char *p, struct stat *st, int flags)
{
	return syscall(SYS_newfstatat, dfd, p, st, flags);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

TEST(stat, regular_file)
{
	h_tmpdir();
	h_write_file("f", "0123456789");
	struct stat st, fst;
	memset(&st, 0xff, sizeof st);
	EXPECT_OK(raw_stat("f", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0644);
	EXPECT_EQ(st.st_size, 10);
	EXPECT_EQ(st.st_nlink, 1);
	EXPECT_EQ(st.st_uid, getuid());
	EXPECT_EQ(st.st_gid, getgid());
	EXPECT_NE(st.st_ino, 0);
	EXPECT_GT(st.st_blksize, 0);
	EXPECT_GE(st.st_blocks * 512, 10);
	EXPECT_EQ(st.st_rdev, 0);
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_OK(raw_fstat(fd, &fst));
	EXPECT_EQ(fst.st_ino, st.st_ino);
	EXPECT_EQ(fst.st_dev, st.st_dev);
	EXPECT_EQ(fst.st_mode, st.st_mode);
	EXPECT_EQ(fst.st_size, st.st_size);
	EXPECT_EQ(fst.st_mtim.tv_sec, st.st_mtim.tv_sec);
	EXPECT_EQ(fst.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
}

TEST(stat, timestamps_recent)
{
	h_tmpdir();
	struct timespec now;
	EXPECT_OK(clock_gettime(CLOCK_REALTIME, &now));
	h_write_file("f", "x");
	struct stat st;
	EXPECT_OK(raw_stat("f", &st));
	EXPECT_LE(st.st_mtim.tv_sec, now.tv_sec + 2);
	EXPECT_GE(st.st_mtim.tv_sec, now.tv_sec - 2);
	EXPECT_LT(st.st_mtim.tv_nsec, 1000000000);
	EXPECT_GE(st.st_mtim.tv_nsec, 0);
	EXPECT_GE(st.st_ctim.tv_sec, now.tv_sec - 2);
	EXPECT_GE(st.st_atim.tv_sec, now.tv_sec - 2);
}

TEST(stat, write_updates_mtime_and_size)
{
	h_tmpdir();
	h_write_file("f", "x");
	struct stat a, b;
	EXPECT_OK(raw_stat("f", &a));
	sleep_ms(30);
	int fd = EXPECT_OK(open("f", O_WRONLY | O_APPEND));
	EXPECT_EQ(write(fd, "yz", 2), 2);
	EXPECT_OK(raw_fstat(fd, &b));
	EXPECT_EQ(b.st_size, 3);
	EXPECT_TRUE(b.st_mtim.tv_sec > a.st_mtim.tv_sec ||
		    (b.st_mtim.tv_sec == a.st_mtim.tv_sec &&
		     b.st_mtim.tv_nsec > a.st_mtim.tv_nsec));
	EXPECT_TRUE(b.st_ctim.tv_sec > a.st_ctim.tv_sec ||
		    (b.st_ctim.tv_sec == a.st_ctim.tv_sec &&
		     b.st_ctim.tv_nsec > a.st_ctim.tv_nsec));
}

TEST(stat, directory_nlink)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	struct stat st;
	EXPECT_OK(raw_stat("d", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0755);
	EXPECT_EQ(st.st_nlink, 2);
	EXPECT_OK(mkdir("d/a", 0755));
	EXPECT_OK(mkdir("d/b", 0755));
	h_write_file("d/file", "");
	EXPECT_OK(raw_stat("d", &st));
	EXPECT_EQ(st.st_nlink, 4);
	EXPECT_OK(rmdir("d/a"));
	EXPECT_OK(raw_stat("d", &st));
	EXPECT_EQ(st.st_nlink, 3);
	struct stat dot;
	EXPECT_OK(raw_stat("d/.", &dot));
	EXPECT_EQ(dot.st_ino, st.st_ino);
	EXPECT_OK(raw_stat("d/b/..", &dot));
	EXPECT_EQ(dot.st_ino, st.st_ino);
}

TEST(stat, lstat_symlink)
{
	h_tmpdir();
	h_write_file("f", "0123");
	EXPECT_OK(symlink("f", "l"));
	EXPECT_OK(symlink("a/longer/target", "dangling"));
	struct stat st;
	EXPECT_OK(raw_lstat("l", &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0777);
	EXPECT_EQ(st.st_size, 1);
	EXPECT_OK(raw_stat("l", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_size, 4);
	EXPECT_OK(raw_lstat("dangling", &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_EQ(st.st_size, 15);
	EXPECT_ERRNO(raw_stat("dangling", &st), ENOENT);
	/* lstat of a regular file is stat. */
	EXPECT_OK(raw_lstat("f", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST(stat, path_errors)
{
	h_tmpdir();
	h_write_file("f", "");
	struct stat st;
	EXPECT_ERRNO(raw_stat("missing", &st), ENOENT);
	EXPECT_ERRNO(raw_stat("", &st), ENOENT);
	EXPECT_ERRNO(raw_lstat("", &st), ENOENT);
	EXPECT_ERRNO(raw_stat("f/x", &st), ENOTDIR);
	EXPECT_ERRNO(raw_stat("f/", &st), ENOTDIR);
	EXPECT_ERRNO(raw_lstat("f/", &st), ENOTDIR);
	EXPECT_ERRNO(raw_stat(h_name(256), &st), ENAMETOOLONG);
	EXPECT_ERRNO(raw_stat(h_longpath(4096), &st), ENAMETOOLONG);
	EXPECT_OK(symlink("loop2", "loop1"));
	EXPECT_OK(symlink("loop1", "loop2"));
	EXPECT_ERRNO(raw_stat("loop1", &st), ELOOP);
	EXPECT_OK(raw_lstat("loop1", &st));
}

TEST(stat, efault)
{
	h_tmpdir();
	h_write_file("f", "");
	struct stat st;
	EXPECT_ERRNO(raw_stat(NULL, &st), EFAULT);
	EXPECT_ERRNO(raw_stat(H_BAD_PTR, &st), EFAULT);
	EXPECT_ERRNO(raw_lstat(NULL, &st), EFAULT);
	EXPECT_ERRNO(raw_stat("f", H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_stat("f", H_KERNEL_PTR), EFAULT);
	EXPECT_ERRNO(raw_lstat("f", H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_fstat(0, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_fstatat(AT_FDCWD, "f", H_BAD_PTR, 0), EFAULT);
	EXPECT_ERRNO(raw_fstatat(AT_FDCWD, NULL, &st, 0), EFAULT);
}

TEST(stat, fstat_ebadf)
{
	h_tmpdir();
	h_write_file("f", "");
	struct stat st;
	EXPECT_ERRNO(raw_fstat(-1, &st), EBADF);
	EXPECT_ERRNO(raw_fstat(300, &st), EBADF);
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(raw_fstat(fd, &st), EBADF);
}

TEST(stat, fstat_of_directory_and_device)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0700));
	struct stat st;
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_OK(raw_fstat(fd, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0700);
	fd = EXPECT_OK(open("/dev/null", O_RDONLY));
	EXPECT_OK(raw_fstat(fd, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(st.st_size, 0);
}

TEST(stat, fstatat_dirfd_and_nofollow)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/f", "abc");
	EXPECT_OK(symlink("f", "d/l"));
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	struct stat st;
	EXPECT_OK(raw_fstatat(dfd, "f", &st, 0));
	EXPECT_EQ(st.st_size, 3);
	EXPECT_OK(raw_fstatat(dfd, "l", &st, 0));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_OK(raw_fstatat(dfd, "l", &st, AT_SYMLINK_NOFOLLOW));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_OK(raw_fstatat(AT_FDCWD, "d/l", &st, AT_SYMLINK_NOFOLLOW));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_OK(raw_fstatat(dfd, "f", &st, AT_NO_AUTOMOUNT));
	EXPECT_ERRNO(raw_fstatat(dfd, "missing", &st, 0), ENOENT);
}

TEST(stat, fstatat_empty_path)
{
	h_tmpdir();
	h_write_file("f", "abcde");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	struct stat st, ref;
	EXPECT_OK(raw_fstat(fd, &ref));
	EXPECT_OK(raw_fstatat(fd, "", &st, AT_EMPTY_PATH));
	EXPECT_EQ(st.st_ino, ref.st_ino);
	EXPECT_EQ(st.st_size, 5);
	/* Without AT_EMPTY_PATH, "" is ENOENT. */
	EXPECT_ERRNO(raw_fstatat(fd, "", &st, 0), ENOENT);
	/* AT_FDCWD + AT_EMPTY_PATH: the current directory. */
	struct stat cwd;
	EXPECT_OK(raw_stat(".", &cwd));
	EXPECT_OK(raw_fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH));
	EXPECT_EQ(st.st_ino, cwd.st_ino);
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	/* A symlink opened with O_PATH|O_NOFOLLOW stats as the link. */
	EXPECT_OK(symlink("f", "l"));
	int lfd = EXPECT_OK(open("l", O_PATH | O_NOFOLLOW));
	EXPECT_OK(raw_fstatat(lfd, "", &st, AT_EMPTY_PATH));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	/* fstat on an O_PATH fd works too. */
	EXPECT_OK(raw_fstat(lfd, &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST(stat, fstatat_errors)
{
	h_tmpdir();
	h_write_file("f", "");
	struct stat st;
	EXPECT_ERRNO(raw_fstatat(AT_FDCWD, "f", &st, 0x1), EINVAL);
	EXPECT_ERRNO(raw_fstatat(AT_FDCWD, "f", &st, 0x10000), EINVAL);
	EXPECT_ERRNO(raw_fstatat(AT_FDCWD, "f", &st, AT_REMOVEDIR), EINVAL);
	EXPECT_ERRNO(raw_fstatat(AT_FDCWD, "f", &st, 0x10000000), EINVAL);
	EXPECT_ERRNO(raw_fstatat(-1, "f", &st, 0), EBADF);
	EXPECT_ERRNO(raw_fstatat(-1, "", &st, AT_EMPTY_PATH), EBADF);
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(raw_fstatat(fd, "x", &st, 0), ENOTDIR);
	char abs[128];
	snprintf(abs, sizeof abs, "%s/f", h_tmpdir());
	EXPECT_OK(raw_fstatat(-1, abs, &st, 0));
}

TEST(stat, ino_distinct_and_stable)
{
	h_tmpdir();
	h_write_file("a", "");
	h_write_file("b", "");
	struct stat a, b, a2;
	EXPECT_OK(raw_stat("a", &a));
	EXPECT_OK(raw_stat("b", &b));
	EXPECT_NE(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_dev, b.st_dev);
	EXPECT_OK(rename("a", "c"));
	EXPECT_OK(raw_stat("c", &a2));
	EXPECT_EQ(a2.st_ino, a.st_ino);
}

/* newfstatat goes through vfs_statx, which takes the statx sync-type bits. */
TEST(stat, fstatat_statx_sync_bits)
{
	h_tmpdir();
	h_write_file("f", "abc");
	struct stat st;
	EXPECT_OK(raw_fstatat(AT_FDCWD, "f", &st, AT_STATX_FORCE_SYNC));
	EXPECT_EQ(st.st_size, 3);
	EXPECT_OK(raw_fstatat(AT_FDCWD, "f", &st, AT_STATX_DONT_SYNC));
	EXPECT_OK(raw_fstatat(AT_FDCWD, "f", &st, AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC));
}
