/*
 * Suite badmount: mount(2) given garbage, errno as Linux 6.1's
 * fs/namespace.c and fs/fs_context.c answer it.
 *
 * The type and source are copied as strings of at most a page
 * (strndup_user: longer is EINVAL, a fault before the NUL EFAULT); the
 * option page is copied as far as it is readable and its last byte made a
 * NUL, so options past byte 4094 are not seen; an unknown type is ENODEV
 * ("" too).  Options are split at commas (empty ones skipped); the generic
 * superblock flags (ro, rw, sync, async, dirsync, lazytime, mand, ...) are
 * taken by their key alone; "source=" is the filesystem's source, so giving
 * it next to mount(2)'s source is EINVAL ("Multiple sources").  Every
 * filesystem refuses what it does not know, and bad values: tmpfs
 * (fs_parse of size, nr_blocks, nr_inodes, mode, uid, gid), proc (gid,
 * hidepid, subset), devpts (uid, gid, mode, ptmxmode, max, newinstance),
 * sysfs (nothing), for a new mount and for a remount.  Kernel-internal
 * flag bits and the old MS_MGC_VAL magic are ignored; MS_BIND wins over
 * the propagation and move flags, and a bind mount is not made read-only
 * by MS_RDONLY.  Runs as root only (mount needs CAP_SYS_ADMIN), in
 * children that detach what they mounted.
 */
#include "harness.h"

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#define K_ST_RDONLY 0x0001
#define K_MS_KERNMOUNT (1UL << 22)
#define K_MS_ACTIVE (1UL << 30)
#define K_MS_BORN (1UL << 29)
#define K_MS_NOREMOTELOCK (1UL << 27)

static long r_mount(const char *src, const char *dst, const char *type,
		    unsigned long flags, const void *data)
{
	return syscall(SYS_mount, src, dst, type, flags, data);
}

/* mount(src, "m", type, flags, data), unmounting "m" again if it worked:
 * 0 or the errno. */
static int try_mount(const char *src, const char *type, unsigned long flags,
		     const void *data)
{
	errno = 0;
	if (r_mount(src, "m", type, flags, data) != 0)
		return errno;
	while (syscall(SYS_umount2, "m", MNT_DETACH) == 0)
		;
	return 0;
}

static const char *or_null(const void *s)
{
	return s ? (const char *)s : "(null)";
}

#define EXPECT_MOUNT(src, type, flags, data, want)                             \
	do {                                                                   \
		int got_ = try_mount(src, type, flags, data);                  \
		if (got_ != (want))                                            \
			FAIL("line %d: mount -t %.20s -o %.40s: %s, want %s",  \
			     __LINE__, or_null(type), or_null(data),           \
			     h_errname(got_), h_errname(want));                \
	} while (0)

/* Runs fn in a child in a fresh scratch directory with "m" in it, then
 * detaches whatever is left on "m". */
static void in_child(void (*fn)(void))
{
	h_tmpdir();
	EXPECT_OK(mkdir("m", 0755));
	pid_t pid = h_fork();
	if (pid == 0) {
		fn();
		h_exit(0);
	}
	siginfo_t info;
	while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) != 0 &&
	       errno == EINTR)
		;
	while (syscall(SYS_umount2, "m", MNT_DETACH) == 0)
		;
	EXPECT_EQ(h_wait_exit(pid), 0);
}

/* A page of `fill` followed by an unmapped page. */
static char *page_before_hole(char fill)
{
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	EXPECT_OK(munmap(p + 4096, 4096));
	memset(p, fill, 4096);
	return p;
}

static void types_and_strings(void)
{
	EXPECT_MOUNT("none", "nosuchfs", 0, NULL, ENODEV);
	EXPECT_MOUNT("none", "", 0, NULL, ENODEV);
	EXPECT_MOUNT("none", "tmpfs ", 0, NULL, ENODEV);
	EXPECT_MOUNT("none", "TMPFS", 0, NULL, ENODEV);
	static char long_name[4097];
	memset(long_name, 'x', 4096);
	EXPECT_MOUNT("none", long_name, 0, NULL, EINVAL);
	EXPECT_MOUNT(long_name, "tmpfs", 0, NULL, EINVAL);
	long_name[4095] = 0;
	EXPECT_MOUNT("none", long_name, 0, NULL, ENODEV);
	EXPECT_MOUNT(long_name, "tmpfs", 0, NULL, 0);
	/* Strings that run into an unmapped page. */
	char *p = page_before_hole('x');
	EXPECT_MOUNT("none", p, 0, NULL, EINVAL); /* a page without NUL */
	EXPECT_MOUNT("none", p + 4000, 0, NULL, EFAULT);
	EXPECT_MOUNT(p + 4000, "tmpfs", 0, NULL, EFAULT);
	EXPECT_MOUNT("none", (char *)0xffffffff81000000UL, 0, NULL, EFAULT);
	EXPECT_MOUNT("none", "tmpfs", 0, (void *)0xffffffff81000000UL, EFAULT);
}

TEST(badmount, types_and_strings)
{
	if (geteuid() != 0)
		return;
	in_child(types_and_strings);
}

static void tmpfs_garbage(void)
{
	const char *bad[] = {
		"nr_inodes=-1", "mode=999", "mode=-1", "uid=4294967296",
		"uid=99999999999999999999", "gid=-5", "size=", "size=-1",
		"size=1k1", "size=%%", "size=1%x", "nr_blocks=abc",
		"nr_blocks=", "mpol=bogus", "size=1M,size=abc", "huge=bogus",
		"mode=0x1ff", "uid= 1", "frobnicate=", "=5", "size=1M=2",
		NULL,
	};
	for (int i = 0; bad[i]; i++)
		EXPECT_MOUNT("none", "tmpfs", 0, bad[i], EINVAL);
	const char *good[] = {
		"size=%", ",,,mode=700,,,", "sync,dirsync,lazytime,async",
		"mode=0", "uid=0,gid=0", "size=0x100000", "nr_inodes=1k",
		"size=1%", "rw,nolazytime", "inode64", "source=x", "ro=1",
		NULL,
	};
	for (int i = 0; good[i]; i++)
		EXPECT_MOUNT(NULL, "tmpfs", 0, good[i], 0);
	/* "source=" next to mount(2)'s source: two sources. */
	EXPECT_MOUNT("none", "tmpfs", 0, "source=x", EINVAL);
	/* "ro" by its key sets the superblock read-only. */
	EXPECT_OK(r_mount("none", "m", "tmpfs", 0, "ro"));
	struct statfs s;
	EXPECT_OK(statfs("m", &s));
	EXPECT_EQ(s.f_flags & K_ST_RDONLY, K_ST_RDONLY);
	EXPECT_ERRNO(mkdir("m/d", 0755), EROFS);
	EXPECT_OK(syscall(SYS_umount2, "m", 0));
	/* Remounts refuse the same garbage and keep the old options. */
	EXPECT_OK(r_mount("none", "m", "tmpfs", 0, "mode=711"));
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_REMOUNT, "mode=999"), EINVAL);
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_REMOUNT, "frob"), EINVAL);
	struct stat st;
	EXPECT_OK(stat("m", &st));
	EXPECT_MODE(st.st_mode, S_IFDIR | 0711);
	EXPECT_OK(syscall(SYS_umount2, "m", 0));
}

TEST(badmount, tmpfs_garbage_options)
{
	if (geteuid() != 0)
		return;
	in_child(tmpfs_garbage);
}

static void other_filesystems(void)
{
	const char *proc_bad[] = {"hidepid=5", "hidepid=", "hidepid",
				  "gid=abc", "gid=-1", "subset=foo",
				  "subset=", "frob", "size=1M", NULL};
	for (int i = 0; proc_bad[i]; i++)
		EXPECT_MOUNT("proc", "proc", 0, proc_bad[i], EINVAL);
	EXPECT_MOUNT("proc", "proc", 0, "hidepid=invisible,gid=5", 0);
	EXPECT_MOUNT("proc", "proc", 0, "subset=pid", 0);
	const char *devpts_bad[] = {"mode=999", "uid=4294967295",
				    "gid=4294967295", "max=-1", "max=1048577",
				    "ptmxmode=8", "newinstance=1", "uid=",
				    "frob", "size=1", NULL};
	for (int i = 0; devpts_bad[i]; i++)
		EXPECT_MOUNT("devpts", "devpts", 0, devpts_bad[i], EINVAL);
	EXPECT_MOUNT("devpts", "devpts", 0,
		     "newinstance,mode=620,ptmxmode=666,max=1048576", 0);
	const char *sysfs_bad[] = {"frob", "size=1", "mode=755", "uid=0", NULL};
	for (int i = 0; sysfs_bad[i]; i++)
		EXPECT_MOUNT("sysfs", "sysfs", 0, sysfs_bad[i], EINVAL);
	/* Remounts check the same way. */
	EXPECT_OK(r_mount("proc", "m", "proc", 0, NULL));
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_REMOUNT, "hidepid=9"), EINVAL);
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_REMOUNT, "frob"), EINVAL);
	EXPECT_OK(r_mount(NULL, "m", NULL, MS_REMOUNT, "hidepid=0"));
	EXPECT_OK(syscall(SYS_umount2, "m", 0));
	EXPECT_OK(r_mount("devpts", "m", "devpts", 0, "newinstance"));
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_REMOUNT, "mode=999"), EINVAL);
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_REMOUNT, "frob"), EINVAL);
	EXPECT_OK(syscall(SYS_umount2, "m", 0));
	EXPECT_OK(r_mount("sysfs", "m", "sysfs", 0, NULL));
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_REMOUNT, "frob"), EINVAL);
	EXPECT_OK(syscall(SYS_umount2, "m", 0));
}

TEST(badmount, proc_devpts_sysfs_garbage_options)
{
	if (geteuid() != 0)
		return;
	in_child(other_filesystems);
}

static void option_page(void)
{
	/* Options past byte 4094 of the page are not seen. */
	static char data[8192];
	memset(data, ',', sizeof data);
	memcpy(data, "mode=700", 8);
	memcpy(data + 4100, "frobnicate", 10);
	data[8191] = 0;
	EXPECT_MOUNT("none", "tmpfs", 0, data, 0);
	/* An option cut by the end of the page: "mode=" with no value. */
	memset(data, ',', sizeof data);
	memcpy(data + 4090, "mode=700", 8);
	data[8191] = 0;
	EXPECT_MOUNT("none", "tmpfs", 0, data, EINVAL);
	/* One that ends just before it is whole. */
	memset(data, ',', sizeof data);
	memcpy(data + 4087, "mode=701", 8);
	data[8191] = 0;
	EXPECT_OK(r_mount("none", "m", "tmpfs", 0, data));
	struct stat st;
	EXPECT_OK(stat("m", &st));
	EXPECT_MODE(st.st_mode, S_IFDIR | 0701);
	EXPECT_OK(syscall(SYS_umount2, "m", 0));
	/* Unterminated options running into an unmapped page: what could be
	 * read is parsed. */
	char *p = page_before_hole(',');
	memcpy(p + 4096 - 10, "frobnicate", 10);
	EXPECT_MOUNT("none", "tmpfs", 0, p, EINVAL);
	EXPECT_MOUNT("none", "tmpfs", 0, p + 4096 - 10, EINVAL);
	/* The first byte unreadable. */
	EXPECT_MOUNT("none", "tmpfs", 0, p + 4096, EFAULT);
}

TEST(badmount, option_page_limits)
{
	if (geteuid() != 0)
		return;
	in_child(option_page);
}

static void flags(void)
{
	/* The old magic number in the top half is dropped. */
	EXPECT_MOUNT("none", "tmpfs", 0xC0ED0000UL, NULL, 0);
	EXPECT_MOUNT("none", "tmpfs", 0xC0ED0000UL | MS_NOSUID, NULL, 0);
	/* Kernel-internal bits are ignored. */
	EXPECT_MOUNT("none", "tmpfs",
		     K_MS_KERNMOUNT | K_MS_ACTIVE | K_MS_BORN | K_MS_NOREMOTELOCK,
		     NULL, 0);
	/* MS_BIND wins over propagation and move flags; MS_RDONLY does not
	 * make a bind mount read-only. */
	EXPECT_OK(mkdir("src", 0755));
	EXPECT_OK(r_mount("src", "m", NULL, MS_BIND | MS_SHARED | MS_MOVE |
					    MS_RDONLY, NULL));
	h_write_file("m/f", "x");
	EXPECT_OK(access("src/f", F_OK));
	EXPECT_OK(syscall(SYS_umount2, "m", 0));
	/* MS_REMOUNT wins over MS_MOVE. */
	EXPECT_OK(r_mount("none", "m", "tmpfs", 0, NULL));
	EXPECT_OK(r_mount("src", "m", NULL, MS_REMOUNT | MS_MOVE, NULL));
	EXPECT_OK(syscall(SYS_umount2, "m", 0));
	/* A propagation change with another flag. */
	EXPECT_OK(r_mount("none", "m", "tmpfs", 0, NULL));
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_PRIVATE | MS_RDONLY, NULL),
		     EINVAL);
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_PRIVATE | MS_MOVE, NULL),
		     EINVAL);
	EXPECT_OK(r_mount(NULL, "m", NULL, MS_PRIVATE | MS_REC | MS_SILENT,
			  NULL));
	EXPECT_OK(syscall(SYS_umount2, "m", 0));
	/* A move without a source. */
	EXPECT_ERRNO(r_mount(NULL, "m", NULL, MS_MOVE, NULL), EINVAL);
}

TEST(badmount, flag_combinations)
{
	if (geteuid() != 0)
		return;
	in_child(flags);
}
