/*
 * Suite mount: mount(2), umount2(2), chroot(2), pivot_root(2), statfs(2),
 * fstatfs(2), and what per-mount flags do to the calls made through a mount.
 *
 * Guards Linux 6.1's fs/namespace.c: mount(2) copies the type, source and
 * option page first (EFAULT), resolves the target (ENOENT, ENOTDIR), then
 * MS_NOUSER is EINVAL, no CAP_SYS_ADMIN EPERM; a new mount needs a type
 * (EINVAL) that exists (ENODEV) and options it knows with good values
 * (EINVAL); tmpfs size=/nr_inodes=/mode=/uid=/gid= (ENOSPC at the limits,
 * EINVAL for a remount below what is in use); bind mounts (MS_BIND, MS_REC
 * copies the mounts below), MS_MOVE, stacked mounts; MS_REMOUNT|MS_BIND
 * changes the mount's flags, MS_REMOUNT the superblock's; read-only mounts
 * say EROFS where mnt_want_write does; noexec (execve and access X_OK
 * EACCES, mmap PROT_EXEC EPERM), nodev (open EACCES), nosuid (set-id bits
 * ignored); relatime/noatime/strictatime; propagation flags one at a time
 * (EINVAL otherwise); umount2 of a busy mount EBUSY, MNT_DETACH, MNT_EXPIRE
 * (EAGAIN, then gone); chroot (EPERM unprivileged); pivot_root (EINVAL from
 * the initramfs root, which has no parent mount); statfs magic numbers and
 * ST_* flags (fs/statfs.c).  Man pages mount(2), umount(2), statfs(2),
 * pivot_root(2), chroot(2).
 *
 * Every test that mounts does it in a child and detaches what it mounted
 * afterwards, so a failed check leaves no mount behind.
 */
#include "harness.h"

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <utime.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif
#ifndef MNT_EXPIRE
#define MNT_EXPIRE 4
#endif
#ifndef UMOUNT_NOFOLLOW
#define UMOUNT_NOFOLLOW 8
#endif
#define K_MS_NOUSER (1UL << 31)
#define K_TMPFS_MAGIC 0x01021994
#define K_PIPEFS_MAGIC 0x50495045
#define K_ANON_INODE_FS_MAGIC 0x09041934
#define K_ST_RDONLY 0x0001
#define K_ST_NOSUID 0x0002
#define K_ST_NODEV 0x0004
#define K_ST_NOEXEC 0x0008
#define K_ST_VALID 0x0020
#define K_ST_NOATIME 0x0400
#define K_ST_RELATIME 0x1000
#define NOBODY 65534

static long r_mount(const char *src, const char *dst, const char *type,
		    unsigned long flags, const void *data)
{
	return syscall(SYS_mount, src, dst, type, flags, data);
}

static long r_umount(const char *dst, int flags)
{
	return syscall(SYS_umount2, dst, flags);
}

/* The mount points the tests use, detached after each test. */
static const char *const points[] = {"m", "m2", "b", "c", "d", "r", "a",
				     "f2", "devnode", NULL};

static void detach_all(void)
{
	for (int i = 0; points[i]; i++)
		for (int n = 0; n < 8 && r_umount(points[i], MNT_DETACH) == 0; n++)
			;
}

static int is_root(void)
{
	return geteuid() == 0;
}

/* Runs fn in a child, then detaches whatever it mounted (before a failed
 * check of the child is reported). */
static void in_child(void (*fn)(void *))
{
	pid_t pid = h_fork();
	if (pid == 0) {
		fn(NULL);
		h_exit(0);
	}
	siginfo_t info;
	while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) != 0 &&
	       errno == EINTR)
		;
	detach_all();
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static void tmpfs_at(const char *dir, unsigned long flags, const char *opts)
{
	mkdir(dir, 0755);
	if (r_mount("tmpfs", dir, "tmpfs", flags, opts) != 0)
		FAIL("mount tmpfs on %s (%s): %s", dir, opts ? opts : "",
		     h_errname(errno));
}

static struct statfs statfs_of(const char *path)
{
	struct statfs s;
	if (statfs(path, &s) != 0)
		FAIL("statfs(%s): %s", path, h_errname(errno));
	return s;
}

static struct stat stat_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		FAIL("stat(%s): %s", path, h_errname(errno));
	return st;
}

static void drop_to_nobody(void)
{
	EXPECT_EQ(syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY), 0);
	EXPECT_EQ(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY), 0);
}

static void unprivileged_calls(void *arg)
{
	(void)arg;
	drop_to_nobody();
	/* The target is looked up before privilege is checked. */
	EXPECT_ERRNO(r_mount("none", "missing", "tmpfs", 0, NULL), ENOENT);
	EXPECT_ERRNO(r_mount("none", "dir", "tmpfs", 0, NULL), EPERM);
	EXPECT_ERRNO(r_mount("none", "dir", "nosuchfs", 0, NULL), EPERM);
	EXPECT_ERRNO(r_umount("dir", 0), EPERM);
	EXPECT_ERRNO(r_umount("missing", 0), ENOENT);
	EXPECT_ERRNO(syscall(SYS_pivot_root, "missing", "missing"), EPERM);
	EXPECT_ERRNO(syscall(SYS_chroot, "dir"), EPERM);
	EXPECT_ERRNO(syscall(SYS_chroot, "missing"), ENOENT);
}

TEST(mount, errno_rules)
{
	EXPECT_OK(chmod(h_tmpdir(), 0755));
	EXPECT_OK(mkdir("dir", 0777));
	h_write_file("file", "x");
	if (!is_root())
		return;
	EXPECT_CHILD_OK(unprivileged_calls, NULL);
	EXPECT_ERRNO(r_mount("none", "missing", "tmpfs", 0, NULL), ENOENT);
	EXPECT_ERRNO(r_mount("none", "file", "tmpfs", 0, NULL), ENOTDIR);
	EXPECT_ERRNO(r_mount("none", "file/x", "tmpfs", 0, NULL), ENOTDIR);
	EXPECT_ERRNO(r_mount("none", "dir", NULL, 0, NULL), EINVAL);
	EXPECT_ERRNO(r_mount("none", "dir", "nosuchfs", 0, NULL), ENODEV);
	EXPECT_ERRNO(r_mount("none", "dir", "tmpfs", K_MS_NOUSER, NULL), EINVAL);
	EXPECT_ERRNO(r_mount("none", "dir", H_BAD_PTR, 0, NULL), EFAULT);
	EXPECT_ERRNO(r_mount(H_BAD_PTR, "dir", "tmpfs", 0, NULL), EFAULT);
	EXPECT_ERRNO(r_mount("none", H_BAD_PTR, "tmpfs", 0, NULL), EFAULT);
	EXPECT_ERRNO(r_mount("none", "dir", "tmpfs", 0, H_BAD_PTR), EFAULT);
	/* Garbage options. */
	const char *bad[] = {"size=abc", "frobnicate", "mode=8", "uid=-1",
			     "size", "nr_inodes=1x", "gid=4294967295",
			     "size=1M,bogus=1", NULL};
	for (int i = 0; bad[i]; i++) {
		errno = 0;
		long r = r_mount("none", "dir", "tmpfs", 0, bad[i]);
		if (r == 0)
			r_umount("dir", MNT_DETACH);
		if (r != -1 || errno != EINVAL)
			FAIL("mount -o %s: %ld %s", bad[i], r, h_errname(errno));
	}
	/* Propagation: one type at a time, on the root of a mount. */
	EXPECT_ERRNO(r_mount(NULL, "/", NULL, MS_SHARED | MS_PRIVATE, NULL),
		     EINVAL);
	EXPECT_ERRNO(r_mount(NULL, "/", NULL, MS_PRIVATE | MS_NOSUID, NULL),
		     EINVAL);
	EXPECT_ERRNO(r_mount(NULL, "dir", NULL, MS_PRIVATE, NULL), EINVAL);
	EXPECT_ERRNO(r_mount(NULL, "dir", NULL, MS_BIND, NULL), EINVAL);
	EXPECT_ERRNO(r_mount("", "dir", NULL, MS_BIND, NULL), EINVAL);
	EXPECT_ERRNO(r_mount("missing", "dir", NULL, MS_BIND, NULL), ENOENT);
	EXPECT_ERRNO(r_mount("dir", "dir", NULL, MS_MOVE, NULL), EINVAL);
	EXPECT_ERRNO(r_mount(NULL, "dir", NULL, MS_REMOUNT, NULL), EINVAL);
	EXPECT_ERRNO(r_mount(NULL, "dir", NULL, MS_REMOUNT | MS_BIND, NULL),
		     EINVAL);
	/* umount2. */
	EXPECT_ERRNO(r_umount("dir", 0x10), EINVAL);
	EXPECT_ERRNO(r_umount("dir", 0), EINVAL);
	EXPECT_ERRNO(r_umount("missing", 0), ENOENT);
	EXPECT_ERRNO(r_umount("dir", MNT_EXPIRE | MNT_DETACH), EINVAL);
	EXPECT_ERRNO(r_umount(H_BAD_PTR, 0), EFAULT);
	EXPECT_ERRNO(r_umount("", 0), ENOENT);
}

static void tmpfs_options(void *arg)
{
	(void)arg;
	struct stat parent = stat_of(".");
	tmpfs_at("m", 0, "size=8k,nr_inodes=3,mode=710,uid=5,gid=6");
	struct stat st = stat_of("m");
	EXPECT_MODE(st.st_mode, S_IFDIR | 0710);
	EXPECT_EQ(st.st_uid, 5);
	EXPECT_EQ(st.st_gid, 6);
	EXPECT_NE(st.st_dev, parent.st_dev);
	struct statfs s = statfs_of("m");
	EXPECT_EQX(s.f_type, K_TMPFS_MAGIC);
	EXPECT_EQ(s.f_bsize, 4096);
	EXPECT_EQ(s.f_frsize, 4096);
	EXPECT_EQ(s.f_namelen, 255);
	EXPECT_EQ(s.f_blocks, 2);
	EXPECT_EQ(s.f_bfree, 2);
	EXPECT_EQ(s.f_files, 3);
	EXPECT_EQ(s.f_ffree, 2);
	EXPECT_EQX(s.f_flags, K_ST_VALID | K_ST_RELATIME);
	/* Two pages of data, then ENOSPC. */
	static char page[4096 * 3];
	memset(page, 'x', sizeof page);
	int fd = EXPECT_OK(open("m/f", O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(write(fd, page, sizeof page), 8192);
	EXPECT_ERRNO(write(fd, page, 1), ENOSPC);
	close(fd);
	/* The root and f are two inodes of three. */
	h_write_file("m/g", "");
	EXPECT_ERRNO(open("m/h", O_WRONLY | O_CREAT, 0644), ENOSPC);
	EXPECT_ERRNO(mkdir("m/d", 0755), ENOSPC);
	/* A remount below what is in use is refused; above it works. */
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_REMOUNT, "size=4k"), EINVAL);
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_REMOUNT, "nr_inodes=2"),
		     EINVAL);
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_REMOUNT, "size=abc"), EINVAL);
	EXPECT_OK(r_mount(NULL, "m", NULL, MS_REMOUNT, "size=16k,nr_inodes=10"));
	EXPECT_EQ(statfs_of("m").f_blocks, 4);
	fd = EXPECT_OK(open("m/f", O_WRONLY | O_APPEND));
	EXPECT_EQ(write(fd, page, 4096), 4096);
	close(fd);
	EXPECT_OK(mkdir("m/d", 0755));
	/* Unlimited when no size is given... and an unlimited one cannot be
	 * limited later. */
	tmpfs_at("m2", 0, "size=0,nr_inodes=0");
	s = statfs_of("m2");
	EXPECT_EQ(s.f_blocks, 0);
	EXPECT_EQ(s.f_files, 0);
	EXPECT_ERRNO(r_mount(NULL, "m2", NULL, MS_REMOUNT, "size=1M"), EINVAL);
	EXPECT_OK(r_umount("m2", 0));
	/* A default tmpfs: half of RAM, mode 1777. */
	tmpfs_at("m2", 0, NULL);
	EXPECT_MODE(stat_of("m2").st_mode, S_IFDIR | 01777);
	EXPECT_GT(statfs_of("m2").f_blocks, 0);
	EXPECT_OK(r_umount("m2", 0));
	EXPECT_OK(r_umount("m", 0));
	EXPECT_EQ(stat_of("m").st_dev, parent.st_dev);
}

TEST(mount, tmpfs_options_and_limits)
{
	h_tmpdir();
	if (!is_root())
		return;
	in_child(tmpfs_options);
}

static void bind_mounts(void *arg)
{
	(void)arg;
	EXPECT_OK(mkdir("a", 0755));
	EXPECT_OK(mkdir("a/sub", 0755));
	h_write_file("a/sub/file", "hello");
	tmpfs_at("a/m", 0, NULL);
	h_write_file("a/m/inner", "in");
	EXPECT_OK(mkdir("b", 0755));
	EXPECT_OK(r_mount("a", "b", NULL, MS_BIND, NULL));
	EXPECT_EQ(stat_of("b/sub/file").st_ino, stat_of("a/sub/file").st_ino);
	EXPECT_EQ(stat_of("b").st_dev, stat_of("a").st_dev);
	EXPECT_ERRNO(access("b/m/inner", F_OK), ENOENT);
	h_write_file("b/new", "n");
	EXPECT_OK(access("a/new", F_OK));
	/* Same filesystem, another mount: EXDEV. */
	EXPECT_ERRNO(rename("a/new", "b/new2"), EXDEV);
	EXPECT_ERRNO(link("a/new", "b/new3"), EXDEV);
	EXPECT_OK(rename("b/new", "b/new2"));
	/* MS_REC brings the mount below along. */
	EXPECT_OK(mkdir("c", 0755));
	EXPECT_OK(r_mount("a", "c", NULL, MS_BIND | MS_REC, NULL));
	char buf[16] = {0};
	h_read_file("c/m/inner", buf, sizeof buf);
	EXPECT_STREQ(buf, "in");
	/* A file on a file; a file on a directory is ENOTDIR. */
	h_write_file("f1", "one");
	h_write_file("f2", "two");
	EXPECT_OK(r_mount("f1", "f2", NULL, MS_BIND, NULL));
	memset(buf, 0, sizeof buf);
	h_read_file("f2", buf, sizeof buf);
	EXPECT_STREQ(buf, "one");
	EXPECT_ERRNO(r_mount("f1", "c", NULL, MS_BIND, NULL), ENOTDIR);
	EXPECT_ERRNO(unlink("f2"), EBUSY);
	EXPECT_OK(r_umount("f2", 0));
	/* A bind of a subdirectory: ".." at its root leaves the mount. */
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(r_mount("a/sub", "d", NULL, MS_BIND, NULL));
	EXPECT_EQ(stat_of("d/..").st_ino, stat_of(".").st_ino);
	/* Unbindable mounts refuse to be bound. */
	EXPECT_OK(r_mount(NULL, "a/m", NULL, MS_UNBINDABLE, NULL));
	EXPECT_ERRNO(r_mount("a/m", "d", NULL, MS_BIND, NULL), EINVAL);
	EXPECT_OK(r_mount(NULL, "a/m", NULL, MS_PRIVATE, NULL));
	/* Stacked mounts: the newest shows, umount reveals the older. */
	tmpfs_at("b/sub", 0, NULL);
	h_write_file("b/sub/top", "");
	tmpfs_at("b/sub", 0, NULL);
	EXPECT_ERRNO(access("b/sub/top", F_OK), ENOENT);
	EXPECT_OK(r_umount("b/sub", 0));
	EXPECT_OK(access("b/sub/top", F_OK));
	EXPECT_OK(r_umount("b/sub", 0));
	EXPECT_OK(access("b/sub/file", F_OK));
	/* MS_MOVE. */
	EXPECT_OK(mkdir("m", 0755));
	EXPECT_OK(r_mount("a/m", "m", NULL, MS_MOVE, NULL));
	EXPECT_OK(access("m/inner", F_OK));
	EXPECT_ERRNO(access("a/m/inner", F_OK), ENOENT);
	EXPECT_ERRNO(r_mount("m", "m/x", NULL, MS_MOVE, NULL), ENOENT);
	EXPECT_OK(r_umount("m", 0));
	EXPECT_OK(r_umount("d", 0));
	EXPECT_OK(r_umount("c", MNT_DETACH));
	EXPECT_OK(r_umount("b", 0));
}

TEST(mount, bind_rec_move_and_stacking)
{
	h_tmpdir();
	if (!is_root())
		return;
	in_child(bind_mounts);
}

static void read_only(void *arg)
{
	(void)arg;
	tmpfs_at("m", 0, NULL);
	h_write_file("m/f", "data");
	EXPECT_OK(mkdir("m/dir", 0755));
	EXPECT_OK(mkdir("r", 0755));
	EXPECT_OK(r_mount("m", "r", NULL, MS_BIND, NULL));
	EXPECT_OK(r_mount(NULL, "r", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	EXPECT_EQX(statfs_of("r").f_flags & K_ST_RDONLY, K_ST_RDONLY);
	EXPECT_EQX(statfs_of("m").f_flags & K_ST_RDONLY, 0);
	EXPECT_ERRNO(open("r/f", O_WRONLY), EROFS);
	EXPECT_ERRNO(open("r/f", O_RDONLY | O_TRUNC), EROFS);
	EXPECT_ERRNO(open("r/new", O_RDONLY | O_CREAT, 0644), EROFS);
	EXPECT_ERRNO(open("r/dir", O_WRONLY), EISDIR);
	int fd = EXPECT_OK(open("r/f", O_RDONLY | O_CREAT, 0644));
	close(fd);
	EXPECT_ERRNO(mkdir("r/new", 0755), EROFS);
	EXPECT_ERRNO(mkdir("r/dir", 0755), EEXIST);
	EXPECT_ERRNO(mkdir("r/nx/new", 0755), ENOENT);
	EXPECT_ERRNO(unlink("r/f"), EROFS);
	EXPECT_ERRNO(unlink("r/nx"), EROFS);
	EXPECT_ERRNO(rmdir("r/dir"), EROFS);
	EXPECT_ERRNO(rename("r/f", "r/g"), EROFS);
	EXPECT_ERRNO(link("r/f", "r/g"), EROFS);
	EXPECT_ERRNO(symlink("x", "r/l"), EROFS);
	EXPECT_ERRNO(chmod("r/f", 0600), EROFS);
	EXPECT_ERRNO(chown("r/f", 1, 1), EROFS);
	EXPECT_ERRNO(truncate("r/f", 0), EROFS);
	EXPECT_ERRNO(utimensat(AT_FDCWD, "r/f", NULL, 0), EROFS);
	EXPECT_ERRNO(access("r/f", W_OK), EROFS);
	EXPECT_OK(access("r/f", R_OK));
	fd = EXPECT_OK(open("r/f", O_RDONLY));
	EXPECT_ERRNO(fchmod(fd, 0600), EROFS);
	close(fd);
	/* The other mount of the same filesystem stays writable. */
	h_write_file("m/g", "g");
	EXPECT_OK(access("r/g", F_OK));
	/* MS_REMOUNT|MS_BIND replaces the flags: ro goes away, nosuid comes. */
	EXPECT_OK(r_mount(NULL, "r", NULL, MS_REMOUNT | MS_BIND | MS_NOSUID, NULL));
	EXPECT_EQX(statfs_of("r").f_flags & (K_ST_RDONLY | K_ST_NOSUID),
		   K_ST_NOSUID);
	h_write_file("r/h", "h");
	EXPECT_OK(r_umount("r", 0));
	/* A read-only superblock: every mount of it, EROFS before EACCES. */
	EXPECT_OK(r_mount(NULL, "m", NULL, MS_REMOUNT | MS_RDONLY, NULL));
	EXPECT_EQX(statfs_of("m").f_flags & K_ST_RDONLY, K_ST_RDONLY);
	EXPECT_ERRNO(open("m/f", O_WRONLY), EROFS);
	EXPECT_ERRNO(mkdir("m/x", 0755), EROFS);
	EXPECT_OK(r_mount(NULL, "m", NULL, MS_REMOUNT, NULL));
	h_write_file("m/f", "writable again");
	/* "ro" in the options does the same as MS_RDONLY. */
	EXPECT_OK(r_mount(NULL, "m", NULL, MS_REMOUNT, "ro"));
	EXPECT_ERRNO(open("m/f", O_WRONLY), EROFS);
	EXPECT_OK(r_mount(NULL, "m", NULL, MS_REMOUNT, "rw"));
	EXPECT_OK(r_umount("m", 0));
	/* Mounted read-only from the start. */
	tmpfs_at("m", MS_RDONLY, NULL);
	EXPECT_ERRNO(mkdir("m/x", 0755), EROFS);
	EXPECT_OK(r_umount("m", 0));
}

TEST(mount, read_only_mounts)
{
	h_tmpdir();
	if (!is_root())
		return;
	in_child(read_only);
}

static void copy_helper(const char *to, mode_t mode)
{
	int in = EXPECT_OK(open(h_child_helper(), O_RDONLY));
	int out = EXPECT_OK(open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755));
	static char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		EXPECT_EQ(write(out, buf, n), n);
	close(out);
	close(in);
	EXPECT_OK(chmod(to, mode));
}

/* Runs "prog auxv" as uid/gid 1000 and returns what it printed. */
static int run_auxv(const char *prog, char *out, size_t size)
{
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		dup2(p[1], 1);
		syscall(SYS_setresgid, 1000, 1000, 1000);
		syscall(SYS_setresuid, 1000, 1000, 1000);
		char *argv[] = {"x", "auxv", NULL};
		char *envp[] = {NULL};
		long r = h_raw_syscall(SYS_execve, (long)prog, (long)argv,
				       (long)envp, 0, 0, 0);
		dprintf(1, "errno=%ld\n", -r);
		_exit(127);
	}
	close(p[1]);
	memset(out, 0, size);
	h_read_all(p[0], out, size);
	close(p[0]);
	return h_wait_exit(pid);
}

static void exec_flags(void *arg)
{
	(void)arg;
	char out[256];
	/* noexec: exec and access(X_OK) EACCES, executable mappings EPERM. */
	tmpfs_at("m", MS_NOEXEC, "mode=755");
	copy_helper("m/prog", 0755);
	EXPECT_EQ(run_auxv("m/prog", out, sizeof out), 127);
	EXPECT_STREQ(out, "errno=13\n");
	EXPECT_ERRNO(access("m/prog", X_OK), EACCES);
	EXPECT_OK(access("m/prog", R_OK));
	int fd = EXPECT_OK(open("m/prog", O_RDONLY));
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	EXPECT_TRUE(p == MAP_FAILED && errno == EPERM);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	munmap(p, 4096);
	close(fd);
	EXPECT_EQX(statfs_of("m").f_flags & K_ST_NOEXEC, K_ST_NOEXEC);
	EXPECT_OK(r_umount("m", 0));
	/* nosuid: a set-uid root program runs with the caller's ids. */
	tmpfs_at("m", MS_NOSUID, "mode=755");
	copy_helper("m/suid", 04755);
	EXPECT_EQ(run_auxv("m/suid", out, sizeof out), 0);
	EXPECT_STREQ(out, "secure=0 uid=1000 euid=1000 gid=1000 egid=1000\n");
	EXPECT_OK(r_mount(NULL, "m", NULL, MS_REMOUNT, NULL));
	EXPECT_EQ(run_auxv("m/suid", out, sizeof out), 0);
	EXPECT_STREQ(out, "secure=1 uid=1000 euid=0 gid=1000 egid=1000\n");
	EXPECT_OK(r_umount("m", 0));
	/* nodev: device nodes cannot be opened through the mount (a bind of
	 * /dev/null made nodev). */
	h_write_file("devnode", "");
	EXPECT_OK(r_mount("/dev/null", "devnode", NULL, MS_BIND, NULL));
	fd = EXPECT_OK(open("devnode", O_RDWR));
	close(fd);
	EXPECT_OK(r_mount(NULL, "devnode", NULL, MS_REMOUNT | MS_BIND | MS_NODEV,
			  NULL));
	EXPECT_ERRNO(open("devnode", O_RDWR), EACCES);
	fd = EXPECT_OK(open("devnode", O_PATH));
	close(fd);
	EXPECT_EQX(statfs_of("devnode").f_flags & K_ST_NODEV, K_ST_NODEV);
	EXPECT_OK(r_umount("devnode", 0));
}

TEST(mount, noexec_nosuid_nodev)
{
	if (strcmp(h_child_helper(), "/bin/child-helper") != 0)
		return; /* the guest's helper; a host's may sit on nosuid */
	const char *dir = h_tmpdir();
	EXPECT_OK(chmod(dir, 0755));
	if (!is_root())
		return;
	in_child(exec_flags);
}

static struct timespec atime_of(const char *path)
{
	return stat_of(path).st_atim;
}

static void set_times(const char *path, long atime, long mtime)
{
	struct timespec t[2] = {{atime, 0}, {mtime, 0}};
	EXPECT_OK(utimensat(AT_FDCWD, path, t, 0));
}

static void read_once(const char *path)
{
	char buf[8];
	int fd = EXPECT_OK(open(path, O_RDONLY));
	EXPECT_OK(read(fd, buf, sizeof buf));
	close(fd);
}

/* An access time after every other time of the file (and after now). */
#define FUTURE 4000000000L

static void atime_flags(void *arg)
{
	(void)arg;
	/* relatime (the default): an atime not after mtime or ctime is
	 * updated; one after both is not. */
	tmpfs_at("m", 0, NULL);
	h_write_file("m/f", "x");
	set_times("m/f", 1000, 2000);
	read_once("m/f");
	EXPECT_GT(atime_of("m/f").tv_sec, 2000);
	set_times("m/f", FUTURE, 2000);
	read_once("m/f");
	EXPECT_EQ(atime_of("m/f").tv_sec, FUTURE);
	/* noatime: never. */
	EXPECT_OK(r_mount(NULL, "m", NULL, MS_REMOUNT | MS_NOATIME, NULL));
	EXPECT_EQX(statfs_of("m").f_flags & (K_ST_NOATIME | K_ST_RELATIME),
		   K_ST_NOATIME);
	set_times("m/f", 1000, 2000);
	read_once("m/f");
	EXPECT_EQ(atime_of("m/f").tv_sec, 1000);
	/* strictatime: always. */
	EXPECT_OK(r_mount(NULL, "m", NULL, MS_REMOUNT | MS_STRICTATIME, NULL));
	EXPECT_EQX(statfs_of("m").f_flags & (K_ST_NOATIME | K_ST_RELATIME), 0);
	set_times("m/f", FUTURE, 2000);
	read_once("m/f");
	EXPECT_LT(atime_of("m/f").tv_sec, FUTURE);
	/* readdir touches directories too. */
	set_times("m", FUTURE, 2000);
	int dfd = EXPECT_OK(open("m", O_RDONLY | O_DIRECTORY));
	char dents[512];
	EXPECT_GT(syscall(SYS_getdents64, dfd, dents, sizeof dents), 0);
	close(dfd);
	EXPECT_LT(atime_of("m").tv_sec, FUTURE);
	/* A remount that names no atime flag keeps the old ones. */
	EXPECT_OK(r_mount(NULL, "m", NULL, MS_REMOUNT | MS_NOSUID, NULL));
	EXPECT_EQX(statfs_of("m").f_flags & (K_ST_NOATIME | K_ST_RELATIME), 0);
	/* O_NOATIME reads do not touch it. */
	set_times("m/f", FUTURE, 2000);
	int fd = EXPECT_OK(open("m/f", O_RDONLY | O_NOATIME));
	char c;
	EXPECT_OK(read(fd, &c, 1));
	close(fd);
	EXPECT_EQ(atime_of("m/f").tv_sec, FUTURE);
	EXPECT_OK(r_umount("m", 0));
}

TEST(mount, atime_flags)
{
	h_tmpdir();
	if (!is_root())
		return;
	in_child(atime_flags);
}

static void umount_rules(void *arg)
{
	(void)arg;
	tmpfs_at("m", 0, NULL);
	h_write_file("m/f", "kept");
	int fd = EXPECT_OK(open("m/f", O_RDONLY));
	EXPECT_ERRNO(r_umount("m", 0), EBUSY);
	EXPECT_ERRNO(r_umount("m", MNT_EXPIRE), EBUSY);
	EXPECT_ERRNO(r_umount("m/f", 0), EINVAL);
	/* Detached: gone from the tree, still usable through the fd. */
	EXPECT_OK(r_umount("m", MNT_DETACH));
	EXPECT_ERRNO(access("m/f", F_OK), ENOENT);
	char buf[8] = {0};
	EXPECT_EQ(pread(fd, buf, sizeof buf, 0), 4);
	EXPECT_STREQ(buf, "kept");
	close(fd);
	/* A cwd inside keeps it busy. */
	tmpfs_at("m", 0, NULL);
	int here = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_OK(chdir("m"));
	EXPECT_ERRNO(r_umount(".", 0), EBUSY);
	EXPECT_OK(fchdir(here));
	close(here);
	/* A mount inside keeps it busy. */
	tmpfs_at("m/in", 0, NULL);
	EXPECT_ERRNO(r_umount("m", 0), EBUSY);
	EXPECT_OK(r_umount("m/in", 0));
	/* MNT_EXPIRE: marked the first time, unmounted the second. */
	EXPECT_ERRNO(r_umount("m", MNT_EXPIRE), EAGAIN);
	EXPECT_OK(r_umount("m", MNT_EXPIRE));
	EXPECT_ERRNO(r_umount("m", 0), EINVAL);
	/* MNT_FORCE on tmpfs is a plain umount; UMOUNT_NOFOLLOW does not
	 * follow a final symlink. */
	tmpfs_at("m", 0, NULL);
	EXPECT_OK(symlink("m", "link"));
	EXPECT_ERRNO(r_umount("link", UMOUNT_NOFOLLOW), EINVAL);
	EXPECT_OK(r_umount("link", MNT_FORCE));
}

TEST(mount, umount_busy_detach_expire)
{
	h_tmpdir();
	if (!is_root())
		return;
	in_child(umount_rules);
}

static void chroot_rules(void *arg)
{
	(void)arg;
	EXPECT_OK(mkdir("jail", 0755));
	EXPECT_OK(mkdir("jail/inside", 0755));
	h_write_file("jail/marker", "m");
	h_write_file("file", "f");
	EXPECT_ERRNO(syscall(SYS_chroot, "file"), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_chroot, "missing"), ENOENT);
	ino_t jail = stat_of("jail").st_ino;
	EXPECT_OK(syscall(SYS_chroot, "jail"));
	/* The cwd stays outside the new root. */
	char cwd[256];
	EXPECT_TRUE(getcwd(cwd, sizeof cwd) == NULL || cwd[0] != '/');
	EXPECT_OK(chdir("/"));
	EXPECT_EQ(stat_of("/").st_ino, jail);
	EXPECT_EQ(stat_of("/..").st_ino, jail);
	EXPECT_EQ(stat_of("inside/../..").st_ino, jail);
	EXPECT_OK(access("/marker", F_OK));
	EXPECT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
	EXPECT_STREQ(cwd, "/");
}

TEST(mount, chroot)
{
	h_tmpdir();
	if (!is_root())
		return;
	EXPECT_CHILD_OK(chroot_rules, NULL);
}

static void pivot(void *arg)
{
	(void)arg;
	if (h_is_init()) {
		/* The initramfs root has no parent mount. */
		tmpfs_at("a", 0, NULL);
		EXPECT_OK(mkdir("a/old", 0755));
		EXPECT_ERRNO(syscall(SYS_pivot_root, "a", "a/old"), EINVAL);
		EXPECT_OK(r_umount("a", 0));
	}
	tmpfs_at("a", 0, NULL);
	EXPECT_OK(mkdir("a/old", 0755));
	tmpfs_at("a/new", 0, NULL);
	EXPECT_OK(mkdir("a/new/old", 0755));
	h_write_file("a/new/marker", "new");
	h_write_file("a/marker", "a");
	EXPECT_OK(syscall(SYS_chroot, "a"));
	EXPECT_OK(chdir("/"));
	EXPECT_ERRNO(syscall(SYS_pivot_root, "/new", "/new/missing"), ENOENT);
	EXPECT_ERRNO(syscall(SYS_pivot_root, "/new/marker", "/new/old"),
		     ENOTDIR);
	/* put_old on the current root's mount: EBUSY. */
	EXPECT_ERRNO(syscall(SYS_pivot_root, "/new", "/old"), EBUSY);
	/* new_root must be the root of a mount. */
	EXPECT_ERRNO(syscall(SYS_pivot_root, "/old", "/old"), EBUSY);
	EXPECT_OK(syscall(SYS_pivot_root, "/new", "/new/old"));
	/* Our root and cwd moved to the new root; the old one is below. */
	char buf[8] = {0};
	h_read_file("/marker", buf, sizeof buf);
	EXPECT_STREQ(buf, "new");
	memset(buf, 0, sizeof buf);
	h_read_file("/old/marker", buf, sizeof buf);
	EXPECT_STREQ(buf, "a");
	EXPECT_OK(r_umount("/old", MNT_DETACH));
	EXPECT_ERRNO(access("/old/marker", F_OK), ENOENT);
}

TEST(mount, pivot_root)
{
	h_tmpdir();
	if (!is_root())
		return;
	in_child(pivot);
}

TEST(mount, statfs_and_fstatfs)
{
	h_tmpdir();
	h_write_file("f", "x");
	struct statfs s;
	EXPECT_ERRNO(statfs("missing", &s), ENOENT);
	EXPECT_ERRNO(statfs("f/x", &s), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_statfs, "f", H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_statfs, H_BAD_PTR, &s), EFAULT);
	EXPECT_ERRNO(fstatfs(-1, &s), EBADF);
	EXPECT_ERRNO(fstatfs(999, &s), EBADF);
	if (h_is_init()) {
		/* The initramfs is a tmpfs on both kernels. */
		s = statfs_of("/");
		EXPECT_EQX(s.f_type, K_TMPFS_MAGIC);
		EXPECT_EQX(s.f_flags, K_ST_VALID);
	}
	int fd = EXPECT_OK(open("f", O_RDONLY));
	struct statfs by_fd;
	EXPECT_OK(fstatfs(fd, &by_fd));
	s = statfs_of("f");
	EXPECT_EQX(by_fd.f_type, s.f_type);
	EXPECT_EQ(by_fd.f_blocks, s.f_blocks);
	close(fd);
	fd = EXPECT_OK(open("f", O_PATH));
	EXPECT_OK(fstatfs(fd, &by_fd));
	EXPECT_EQX(by_fd.f_type, s.f_type);
	close(fd);
	int p[2];
	h_pipe(p);
	EXPECT_OK(fstatfs(p[0], &by_fd));
	EXPECT_EQX(by_fd.f_type, K_PIPEFS_MAGIC);
	EXPECT_EQ(by_fd.f_bsize, 4096);
	close(p[0]);
	close(p[1]);
	fd = EXPECT_OK(syscall(SYS_eventfd2, 0, 0));
	EXPECT_OK(fstatfs(fd, &by_fd));
	EXPECT_EQX(by_fd.f_type, K_ANON_INODE_FS_MAGIC);
	close(fd);
}
