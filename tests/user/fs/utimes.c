/*
 * Suite utimes: utimensat(2), futimens (utimensat with a NULL path),
 * futimesat(2), utimes(2), utime(2), called as raw syscalls, and the times
 * that read, write and truncate change.
 *
 * Guards Linux 6.1's fs/utimes.c: the times are copied first (EFAULT); both
 * UTIME_OMIT succeeds without looking at the path (even a missing one) or
 * the descriptor; a NULL path with a descriptor changes that file and takes
 * no flags (EINVAL), refuses an O_PATH descriptor (EBADF, fdget) and is
 * EFAULT with AT_FDCWD; flags other than AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH
 * are EINVAL; nanoseconds out of range are EINVAL only after the walk
 * (vfs_utimes), so a missing file wins.  notify_change/setattr_prepare:
 * explicit times (any time that is not UTIME_NOW) need ownership (EPERM),
 * "both now" needs ownership or write permission (EACCES); ctime becomes
 * now on every change.  utimes/futimesat take microseconds (EINVAL out of
 * range, so UTIME_* cannot pass), utime whole seconds.  Man pages
 * utimensat(2), utime(2).
 */
#include "harness.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

#define NOBODY 65534

static long r_utimensat(int dfd, const char *path, const struct timespec *t,
			int flags)
{
	return syscall(SYS_utimensat, dfd, path, t, flags);
}

static struct stat st_of(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		FAIL("lstat(%s): %s", path, h_errname(errno));
	return st;
}

static struct timespec now_rt(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/* File times come from the coarse clock (current_time): compare with it. */
static struct timespec coarse_rt(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts;
}

static int ts_le(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

/* Sets both times to known old values. */
static void set_old(const char *path)
{
	struct timespec t[2] = {{1000, 1}, {2000, 2}};
	EXPECT_EQ(r_utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), 0);
}

TEST(utimes, explicit_nanoseconds)
{
	h_tmpdir();
	h_write_file("f", "x");
	struct timespec before = coarse_rt();
	struct timespec t[2] = {{123456789, 987654321}, {-5, 42}};
	EXPECT_EQ(r_utimensat(AT_FDCWD, "f", t, 0), 0);
	struct stat st = st_of("f");
	EXPECT_EQ(st.st_atim.tv_sec, 123456789);
	EXPECT_EQ(st.st_atim.tv_nsec, 987654321);
	EXPECT_EQ(st.st_mtim.tv_sec, -5);
	EXPECT_EQ(st.st_mtim.tv_nsec, 42);
	/* ctime is now. */
	EXPECT_TRUE(ts_le(before, st.st_ctim));
	EXPECT_TRUE(ts_le(st.st_ctim, now_rt()));
}

TEST(utimes, now_and_omit)
{
	h_tmpdir();
	h_write_file("f", "x");
	set_old("f");
	struct timespec before = coarse_rt();
	struct timespec t[2] = {{0, UTIME_NOW}, {7, UTIME_OMIT}};
	EXPECT_EQ(r_utimensat(AT_FDCWD, "f", t, 0), 0);
	struct stat st = st_of("f");
	EXPECT_TRUE(ts_le(before, st.st_atim));
	EXPECT_TRUE(ts_le(st.st_atim, now_rt()));
	EXPECT_EQ(st.st_mtim.tv_sec, 2000);
	EXPECT_EQ(st.st_mtim.tv_nsec, 2);

	set_old("f");
	struct timespec t2[2] = {{9, UTIME_OMIT}, {0, UTIME_NOW}};
	EXPECT_EQ(r_utimensat(AT_FDCWD, "f", t2, 0), 0);
	st = st_of("f");
	EXPECT_EQ(st.st_atim.tv_sec, 1000);
	EXPECT_EQ(st.st_atim.tv_nsec, 1);
	EXPECT_TRUE(ts_le(before, st.st_mtim));

	/* NULL times: both now. */
	set_old("f");
	EXPECT_EQ(r_utimensat(AT_FDCWD, "f", NULL, 0), 0);
	st = st_of("f");
	EXPECT_TRUE(ts_le(before, st.st_atim));
	EXPECT_TRUE(ts_le(before, st.st_mtim));
}

TEST(utimes, both_omit_changes_nothing)
{
	h_tmpdir();
	h_write_file("f", "x");
	set_old("f");
	struct stat old = st_of("f");
	struct timespec t[2] = {{1, UTIME_OMIT}, {2, UTIME_OMIT}};
	EXPECT_EQ(r_utimensat(AT_FDCWD, "f", t, 0), 0);
	struct stat st = st_of("f");
	EXPECT_EQ(st.st_ctim.tv_sec, old.st_ctim.tv_sec);
	EXPECT_EQ(st.st_ctim.tv_nsec, old.st_ctim.tv_nsec);
	EXPECT_EQ(st.st_atim.tv_sec, 1000);
	/* The path, the descriptor and the flags are not even looked at. */
	EXPECT_EQ(r_utimensat(AT_FDCWD, "missing", t, 0), 0);
	EXPECT_EQ(r_utimensat(-1, NULL, t, 0), 0);
	EXPECT_EQ(r_utimensat(AT_FDCWD, "f", t, 0x1234), 0);
}

TEST(utimes, symlink_nofollow)
{
	h_tmpdir();
	h_write_file("f", "x");
	EXPECT_OK(symlink("f", "l"));
	set_old("f");
	struct timespec t[2] = {{300, 3}, {400, 4}};
	EXPECT_EQ(r_utimensat(AT_FDCWD, "l", t, AT_SYMLINK_NOFOLLOW), 0);
	struct stat l = st_of("l"), f = st_of("f");
	EXPECT_EQ(l.st_atim.tv_sec, 300);
	EXPECT_EQ(l.st_mtim.tv_sec, 400);
	EXPECT_EQ(l.st_mtim.tv_nsec, 4);
	EXPECT_EQ(f.st_atim.tv_sec, 1000);
	EXPECT_EQ(f.st_mtim.tv_sec, 2000);
	/* Without the flag the target changes. */
	EXPECT_EQ(r_utimensat(AT_FDCWD, "l", t, 0), 0);
	f = st_of("f");
	EXPECT_EQ(f.st_mtim.tv_sec, 400);
	/* A dangling link can be touched only without following. */
	EXPECT_OK(symlink("nowhere", "dangling"));
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "dangling", t, 0), ENOENT);
	EXPECT_EQ(r_utimensat(AT_FDCWD, "dangling", t, AT_SYMLINK_NOFOLLOW), 0);
	EXPECT_EQ(st_of("dangling").st_atim.tv_sec, 300);
}

TEST(utimes, descriptor_forms)
{
	h_tmpdir();
	h_write_file("f", "x");
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/g", "y");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	int pfd = EXPECT_OK(open("f", O_PATH));
	struct timespec t[2] = {{500, 5}, {600, 6}};

	/* futimens: a NULL path changes the descriptor's file (read-only is fine). */
	EXPECT_EQ(r_utimensat(fd, NULL, t, 0), 0);
	EXPECT_EQ(st_of("f").st_mtim.tv_sec, 600);
	/* ... takes no flags, refuses O_PATH descriptors and bad ones. */
	EXPECT_ERRNO(r_utimensat(fd, NULL, t, AT_SYMLINK_NOFOLLOW), EINVAL);
	EXPECT_ERRNO(r_utimensat(pfd, NULL, t, 0), EBADF);
	EXPECT_ERRNO(r_utimensat(-1, NULL, t, 0), EBADF);
	EXPECT_ERRNO(r_utimensat(999, NULL, t, 0), EBADF);
	/* A NULL path with AT_FDCWD is a bad path. */
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, NULL, t, 0), EFAULT);

	/* AT_EMPTY_PATH works on any descriptor, O_PATH included. */
	struct timespec t2[2] = {{700, 7}, {800, 8}};
	EXPECT_EQ(r_utimensat(pfd, "", t2, AT_EMPTY_PATH), 0);
	EXPECT_EQ(st_of("f").st_mtim.tv_sec, 800);
	EXPECT_ERRNO(r_utimensat(pfd, "", t2, 0), ENOENT);
	/* A directory descriptor and a relative path. */
	EXPECT_EQ(r_utimensat(dfd, "g", t2, 0), 0);
	EXPECT_EQ(st_of("d/g").st_atim.tv_nsec, 7);
	EXPECT_ERRNO(r_utimensat(fd, "g", t2, 0), ENOTDIR);
	EXPECT_ERRNO(r_utimensat(-1, "g", t2, 0), EBADF);
	/* An absolute path ignores the descriptor. */
	char abs[256];
	snprintf(abs, sizeof abs, "%s/f", h_tmpdir());
	EXPECT_EQ(r_utimensat(-1, abs, t, 0), 0);
	EXPECT_EQ(st_of("f").st_mtim.tv_sec, 600);
}

TEST(utimes, errors)
{
	h_tmpdir();
	h_write_file("f", "x");
	struct timespec bad[2] = {{1, 1000000000}, {2, 0}};
	struct timespec neg[2] = {{1, 0}, {2, -1}};
	struct timespec ok[2] = {{1, 0}, {2, 0}};
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "f", neg, 0), EINVAL);
	/* The walk comes before the nanosecond check. */
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "missing", bad, 0), ENOENT);
	/* Unknown flags come before the walk. */
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "missing", ok, 0x1), EINVAL);
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "missing", ok, AT_REMOVEDIR), EINVAL);
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "f", H_BAD_PTR, 0), EFAULT);
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, H_BAD_PTR, ok, 0), EFAULT);
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "", ok, 0), ENOENT);
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "f/x", ok, 0), ENOTDIR);
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, h_name(256), ok, 0), ENAMETOOLONG);
	/* AT_EMPTY_PATH with AT_FDCWD names the cwd. */
	EXPECT_EQ(r_utimensat(AT_FDCWD, "", ok, AT_EMPTY_PATH), 0);
	EXPECT_EQ(st_of(".").st_mtim.tv_sec, 2);
}

/* Runs in a child that dropped to nobody. */
static void unprivileged_rules(void *arg)
{
	(void)arg;
	EXPECT_EQ(syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY), 0);
	EXPECT_EQ(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY), 0);
	struct timespec set[2] = {{10, 0}, {20, 0}};
	struct timespec now_omit[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
	struct timespec now_now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	/* Root's world-writable file: "now" is allowed, explicit times not. */
	EXPECT_EQ(r_utimensat(AT_FDCWD, "rw", NULL, 0), 0);
	EXPECT_EQ(r_utimensat(AT_FDCWD, "rw", now_now, 0), 0);
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "rw", set, 0), EPERM);
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "rw", now_omit, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_utimes, "rw", (struct timeval[2]){{1, 0}, {2, 0}}), EPERM);
	EXPECT_EQ(syscall(SYS_utimes, "rw", NULL), 0);
	/* Root's read-only file: not even "now". */
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "ro", NULL, 0), EACCES);
	EXPECT_ERRNO(r_utimensat(AT_FDCWD, "ro", set, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_utime, "ro", NULL), EACCES);
	/* Both omitted: nothing to check. */
	struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	EXPECT_EQ(r_utimensat(AT_FDCWD, "ro", omit, 0), 0);
	/* Its own file without write permission: anything goes. */
	int fd = EXPECT_OK(open("mine", O_CREAT | O_WRONLY, 0444));
	close(fd);
	EXPECT_EQ(r_utimensat(AT_FDCWD, "mine", NULL, 0), 0);
	EXPECT_EQ(r_utimensat(AT_FDCWD, "mine", set, 0), 0);
	EXPECT_EQ(st_of("mine").st_mtim.tv_sec, 20);
	/* A descriptor opened for reading does not grant "now" on a file it
	 * may not write. */
	fd = EXPECT_OK(open("ro", O_RDONLY));
	EXPECT_ERRNO(r_utimensat(fd, NULL, NULL, 0), EACCES);
}

TEST(utimes, permissions)
{
	const char *dir = h_tmpdir();
	EXPECT_OK(chmod(dir, 0777));
	h_write_file("rw", "x");
	EXPECT_OK(chmod("rw", 0666));
	h_write_file("ro", "x");
	EXPECT_OK(chmod("ro", 0644));
	EXPECT_CHILD_OK(unprivileged_rules, NULL);
	/* Root (CAP_FOWNER) sets explicit times on anyone's file. */
	EXPECT_OK(chown("mine", 1234, 1234));
	struct timespec set[2] = {{30, 0}, {40, 0}};
	EXPECT_EQ(r_utimensat(AT_FDCWD, "mine", set, 0), 0);
	EXPECT_EQ(st_of("mine").st_mtim.tv_sec, 40);
}

TEST(utimes, utimes_and_futimesat)
{
	h_tmpdir();
	h_write_file("f", "x");
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/g", "y");
	struct timeval tv[2] = {{100, 123456}, {200, 999999}};
	EXPECT_EQ(syscall(SYS_utimes, "f", tv), 0);
	struct stat st = st_of("f");
	EXPECT_EQ(st.st_atim.tv_sec, 100);
	EXPECT_EQ(st.st_atim.tv_nsec, 123456000);
	EXPECT_EQ(st.st_mtim.tv_sec, 200);
	EXPECT_EQ(st.st_mtim.tv_nsec, 999999000);
	/* Microseconds out of range, UTIME_NOW included. */
	struct timeval big[2] = {{1, 1000000}, {2, 0}};
	struct timeval negative[2] = {{1, 0}, {2, -1}};
	struct timeval now[2] = {{1, UTIME_NOW}, {2, 0}};
	EXPECT_ERRNO(syscall(SYS_utimes, "f", big), EINVAL);
	EXPECT_ERRNO(syscall(SYS_utimes, "f", negative), EINVAL);
	EXPECT_ERRNO(syscall(SYS_utimes, "f", now), EINVAL);
	/* The usec check comes before the walk. */
	EXPECT_ERRNO(syscall(SYS_utimes, "missing", big), EINVAL);
	EXPECT_ERRNO(syscall(SYS_utimes, "missing", tv), ENOENT);
	EXPECT_ERRNO(syscall(SYS_utimes, "f", H_BAD_PTR), EFAULT);
	/* NULL: both now. */
	struct timespec before = coarse_rt();
	EXPECT_EQ(syscall(SYS_utimes, "f", NULL), 0);
	EXPECT_TRUE(ts_le(before, st_of("f").st_mtim));
	/* futimesat: relative to a directory descriptor, or the descriptor
	 * itself with a NULL path. */
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(syscall(SYS_futimesat, dfd, "g", tv), 0);
	EXPECT_EQ(st_of("d/g").st_mtim.tv_sec, 200);
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(syscall(SYS_futimesat, fd, NULL, tv), 0);
	EXPECT_EQ(st_of("f").st_mtim.tv_nsec, 999999000);
	EXPECT_ERRNO(syscall(SYS_futimesat, -1, "g", tv), EBADF);
	EXPECT_ERRNO(syscall(SYS_futimesat, AT_FDCWD, NULL, tv), EFAULT);
}

TEST(utimes, utime_seconds)
{
	h_tmpdir();
	h_write_file("f", "x");
	struct utimbuf buf = {.actime = 111, .modtime = 222};
	EXPECT_EQ(syscall(SYS_utime, "f", &buf), 0);
	struct stat st = st_of("f");
	EXPECT_EQ(st.st_atim.tv_sec, 111);
	EXPECT_EQ(st.st_atim.tv_nsec, 0);
	EXPECT_EQ(st.st_mtim.tv_sec, 222);
	EXPECT_EQ(st.st_mtim.tv_nsec, 0);
	struct timespec before = coarse_rt();
	EXPECT_EQ(syscall(SYS_utime, "f", NULL), 0);
	EXPECT_TRUE(ts_le(before, st_of("f").st_atim));
	EXPECT_ERRNO(syscall(SYS_utime, "f", H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_utime, "missing", &buf), ENOENT);
	EXPECT_ERRNO(syscall(SYS_utime, H_BAD_PTR, &buf), EFAULT);
}

TEST(utimes, directories_and_devices)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	struct timespec t[2] = {{50, 5}, {60, 6}};
	EXPECT_EQ(r_utimensat(AT_FDCWD, "d", t, 0), 0);
	EXPECT_EQ(st_of("d").st_mtim.tv_sec, 60);
	/* A directory opened read-only can be touched through its descriptor. */
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(r_utimensat(dfd, NULL, NULL, 0), 0);
	EXPECT_GT(st_of("d").st_mtim.tv_sec, 60);
}

/* Times that reads, writes and truncation change (a read updates atime at
 * least when it is not newer than mtime or ctime: relatime's rule). */
TEST(utimes, data_operations_update_times)
{
	h_tmpdir();
	h_write_file("f", "hello");
	set_old("f");
	struct timespec before = coarse_rt();
	int fd = EXPECT_OK(open("f", O_RDWR));
	char buf[8];
	/* atime (1000) is older than mtime (2000): a read updates it. */
	EXPECT_EQ(read(fd, buf, sizeof buf), 5);
	struct stat st = st_of("f");
	EXPECT_TRUE(ts_le(before, st.st_atim));
	EXPECT_EQ(st.st_mtim.tv_sec, 2000);
	/* atime newer than mtime, but ctime is now (newer than atime 3000): a
	 * read updates atime. */
	struct timespec t[2] = {{3000, 0}, {2000, 0}};
	EXPECT_EQ(r_utimensat(fd, NULL, t, 0), 0);
	EXPECT_EQ(pread(fd, buf, 1, 0), 1);
	EXPECT_TRUE(ts_le(before, st_of("f").st_atim));
	/* An atime in the future: rootfs (where /tmp is when we are init) is
	 * mounted by the kernel without MNT_RELATIME, so every read updates
	 * atime (strictatime). */
	struct timespec future[2] = {{before.tv_sec + 3600, 0}, {0, UTIME_OMIT}};
	EXPECT_EQ(r_utimensat(fd, NULL, future, 0), 0);
	EXPECT_EQ(pread(fd, buf, 1, 0), 1);
	if (h_is_init())
		EXPECT_LT(st_of("f").st_atim.tv_sec, before.tv_sec + 3600);

	/* A write changes mtime and ctime, not atime; an empty one nothing. */
	set_old("f");
	EXPECT_EQ(write(fd, "", 0), 0);
	st = st_of("f");
	EXPECT_EQ(st.st_mtim.tv_sec, 2000);
	EXPECT_EQ(pwrite(fd, "abc", 3, 1), 3);
	st = st_of("f");
	EXPECT_EQ(st.st_atim.tv_sec, 1000);
	EXPECT_TRUE(ts_le(before, st.st_mtim));
	EXPECT_TRUE(ts_le(before, st.st_ctim));

	/* ftruncate changes mtime and ctime, even to the same size. */
	set_old("f");
	EXPECT_OK(ftruncate(fd, st_of("f").st_size));
	st = st_of("f");
	EXPECT_TRUE(ts_le(before, st.st_mtim));
	EXPECT_EQ(st.st_atim.tv_sec, 1000);
	/* truncate to another size does too. */
	set_old("f");
	EXPECT_OK(truncate("f", 1));
	st = st_of("f");
	EXPECT_TRUE(ts_le(before, st.st_mtim));
	EXPECT_TRUE(ts_le(before, st.st_ctim));
}
