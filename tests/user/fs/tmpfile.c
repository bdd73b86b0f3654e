/*
 * Suite tmpfile: open(O_TMPFILE) and linkat of the file it makes.
 *
 * Guards Linux 6.1's do_tmpfile/vfs_tmpfile (fs/namei.c), shmem_tmpfile and
 * build_open_flags (fs/open.c): O_TMPFILE needs O_DIRECTORY's bit, no
 * O_CREAT and write access (EINVAL); the path must be a directory (ENOTDIR,
 * ENOENT), writable and searchable (EACCES), on a writable mount (EROFS); the
 * file is regular, has no links, its mode is masked by the umask, it is
 * owned as a created file and appears in no directory; /proc/self/fd shows
 * "DIR/#INO (deleted)".  linkat gives it a name (through /proc/self/fd with
 * AT_SYMLINK_FOLLOW, or with AT_EMPTY_PATH, which needs
 * CAP_DAC_READ_SEARCH: ENOENT without), once; after O_EXCL it stays
 * unlinkable (ENOENT), as any file without links.  tmpfs counts it against
 * nr_inodes while it is open.  python's tempfile.TemporaryFile uses it.
 */
#include "harness.h"

#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
#define K__O_TMPFILE 020000000

#define NOBODY 65534

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		FAIL("opendir(%s): %s", dir, h_errname(errno));
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

TEST(tmpfile, unnamed_file)
{
	const char *dir = h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	mode_t old = umask(022);
	int fd = EXPECT_OK(open("d", O_TMPFILE | O_RDWR, 0666));
	umask(old);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0644);
	EXPECT_EQ(st.st_nlink, 0);
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(st.st_uid, geteuid());
	EXPECT_EQ(count_entries("d"), 0);
	EXPECT_EQ(write(fd, "tmpdata", 7), 7);
	char buf[64];
	EXPECT_EQ(pread(fd, buf, sizeof buf, 0), 7);
	EXPECT_MEMEQ(buf, "tmpdata", 7);
	/* /proc/self/fd names it "#<ino> (deleted)" in its directory. */
	char link[64], want[512], got[512];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	snprintf(want, sizeof want, "%s/d/#%llu (deleted)", dir,
		 (unsigned long long)st.st_ino);
	ssize_t n = readlink(link, got, sizeof got - 1);
	if (n >= 0) { /* procfs may not be mounted on a host */
		got[n] = 0;
		EXPECT_STREQ(got, want);
	}
	EXPECT_OK(close(fd));
	EXPECT_EQ(count_entries("d"), 0);
	/* O_WRONLY works too. */
	fd = EXPECT_OK(open("d", O_TMPFILE | O_WRONLY, 0600));
	EXPECT_OK(fstat(fd, &st));
	EXPECT_MODE(st.st_mode & 07777, 0600);
	EXPECT_OK(close(fd));
}

TEST(tmpfile, bad_flags_and_paths)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("f", "x");
	EXPECT_ERRNO(open("d", O_TMPFILE | O_RDONLY, 0600), EINVAL);
	EXPECT_ERRNO(open("d", O_TMPFILE | O_RDWR | O_CREAT, 0600), EINVAL);
	EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, "d", K__O_TMPFILE | O_RDWR,
			     0600),
		     EINVAL);
	EXPECT_ERRNO(open("f", O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	EXPECT_ERRNO(open("missing", O_TMPFILE | O_RDWR, 0600), ENOENT);
	EXPECT_OK(symlink("d", "dl"));
	int fd = EXPECT_OK(open("dl", O_TMPFILE | O_RDWR, 0600));
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(open("dl", O_TMPFILE | O_RDWR | O_NOFOLLOW, 0600),
		     ENOTDIR);
	/* O_PATH keeps only its own flags: the directory itself opens. */
	fd = EXPECT_OK(open("d", O_PATH | O_TMPFILE | O_RDWR, 0600));
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_OK(close(fd));
}

TEST(tmpfile, link_gives_a_name_once)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	int fd = EXPECT_OK(open("d", O_TMPFILE | O_RDWR, 0640));
	EXPECT_EQ(write(fd, "abc", 3), 3);
	if (geteuid() == 0) {
		EXPECT_OK(linkat(fd, "", AT_FDCWD, "d/named", AT_EMPTY_PATH));
		struct stat st;
		EXPECT_OK(fstat(fd, &st));
		EXPECT_EQ(st.st_nlink, 1);
		EXPECT_OK(stat("d/named", &st));
		EXPECT_EQ(st.st_size, 3);
		EXPECT_MODE(st.st_mode & 07777, 0640);
		/* Named now: an ordinary file, which another link may name. */
		EXPECT_OK(linkat(fd, "", AT_FDCWD, "d/second", AT_EMPTY_PATH));
		EXPECT_OK(fstat(fd, &st));
		EXPECT_EQ(st.st_nlink, 2);
		EXPECT_OK(unlink("d/named"));
		EXPECT_OK(unlink("d/second"));
		EXPECT_OK(fstat(fd, &st));
		EXPECT_EQ(st.st_nlink, 0);
		/* Unlinked again: no longer linkable. */
		EXPECT_ERRNO(linkat(fd, "", AT_FDCWD, "d/again", AT_EMPTY_PATH),
			     ENOENT);
	}
	EXPECT_OK(close(fd));
	/* Through /proc/self/fd, as an unprivileged program does. */
	fd = EXPECT_OK(open("d", O_TMPFILE | O_RDWR, 0600));
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if (access(link, F_OK) == 0) {
		EXPECT_OK(linkat(AT_FDCWD, link, AT_FDCWD, "d/viaproc",
				 AT_SYMLINK_FOLLOW));
		struct stat st;
		EXPECT_OK(stat("d/viaproc", &st));
		EXPECT_EQ(st.st_nlink, 1);
		EXPECT_ERRNO(linkat(AT_FDCWD, link, AT_FDCWD, "d/viaproc",
				    AT_SYMLINK_FOLLOW),
			     EEXIST);
	}
	EXPECT_OK(close(fd));
	/* O_EXCL: never linkable. */
	fd = EXPECT_OK(open("d", O_TMPFILE | O_RDWR | O_EXCL, 0600));
	if (geteuid() == 0)
		EXPECT_ERRNO(linkat(fd, "", AT_FDCWD, "d/excl", AT_EMPTY_PATH),
			     ENOENT);
	if (access(link, F_OK) == 0)
		EXPECT_ERRNO(linkat(AT_FDCWD, link, AT_FDCWD, "d/excl",
				    AT_SYMLINK_FOLLOW),
			     ENOENT);
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(access("d/excl", F_OK), ENOENT);
}

static void unprivileged(void *arg)
{
	(void)arg;
	EXPECT_EQ(syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY), 0);
	EXPECT_EQ(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY), 0);
	EXPECT_ERRNO(open("ro", O_TMPFILE | O_RDWR, 0600), EACCES);
	int fd = EXPECT_OK(open("open", O_TMPFILE | O_RDWR, 0600));
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_uid, NOBODY);
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH. */
	EXPECT_ERRNO(linkat(fd, "", AT_FDCWD, "open/x", AT_EMPTY_PATH),
		     ENOENT);
	EXPECT_OK(close(fd));
}

TEST(tmpfile, permissions)
{
	if (geteuid() != 0)
		return;
	const char *dir = h_tmpdir();
	EXPECT_OK(chmod(dir, 0755));
	EXPECT_OK(mkdir("ro", 0755));
	EXPECT_OK(mkdir("open", 0777));
	EXPECT_OK(chmod("open", 0777)); /* past the umask */
	EXPECT_CHILD_OK(unprivileged, NULL);
}

#define MNT "/tmp/ferrux-tmpfile"

static void on_tmpfs(void *arg)
{
	(void)arg;
	EXPECT_OK(mount("tmpfs", MNT, "tmpfs", 0, "nr_inodes=3"));
	struct statvfs sv;
	EXPECT_OK(statvfs(MNT, &sv));
	unsigned long free0 = sv.f_ffree;
	int fd = EXPECT_OK(open(MNT, O_TMPFILE | O_RDWR, 0600));
	EXPECT_OK(statvfs(MNT, &sv));
	EXPECT_EQ(sv.f_ffree, free0 - 1);
	int fd2 = EXPECT_OK(open(MNT, O_TMPFILE | O_RDWR, 0600));
	EXPECT_ERRNO(open(MNT, O_TMPFILE | O_RDWR, 0600), ENOSPC);
	EXPECT_OK(close(fd2));
	EXPECT_OK(statvfs(MNT, &sv));
	EXPECT_EQ(sv.f_ffree, free0 - 1);
	/* Linking it takes no further inode. */
	EXPECT_OK(linkat(fd, "", AT_FDCWD, MNT "/named", AT_EMPTY_PATH));
	EXPECT_OK(statvfs(MNT, &sv));
	EXPECT_EQ(sv.f_ffree, free0 - 1);
	EXPECT_OK(close(fd));
	EXPECT_OK(mount(NULL, MNT, NULL, MS_REMOUNT | MS_RDONLY, NULL));
	EXPECT_ERRNO(open(MNT, O_TMPFILE | O_RDWR, 0600), EROFS);
	EXPECT_OK(umount2(MNT, MNT_DETACH));
}

TEST(tmpfile, tmpfs_inodes_and_read_only)
{
	if (geteuid() != 0)
		return;
	while (umount2(MNT, MNT_DETACH) == 0)
		;
	if (mkdir(MNT, 0755) != 0 && errno != EEXIST)
		FAIL("mkdir(%s): %s", MNT, h_errname(errno));
	int status = h_run_child(on_tmpfs, NULL);
	while (umount2(MNT, MNT_DETACH) == 0)
		;
	EXPECT_OK(rmdir(MNT));
	EXPECT_EQ(status, 0);
}

TEST(tmpfile, procfs_cannot)
{
	struct stat st;
	if (geteuid() != 0 || stat("/proc/self", &st) != 0)
		return;
	EXPECT_ERRNO(open("/proc", O_TMPFILE | O_RDWR, 0600), EOPNOTSUPP);
}
