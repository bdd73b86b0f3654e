/*
 * Suite statx: statx(2), called as the raw syscall (musl 1.2.3 has no
 * wrapper).
 *
 * Guards Linux's fs/stat.c (do_statx/vfs_statx/cp_statx): the result mask
 * covers STATX_BASIC_STATS (filled by generic_fillattr whatever was
 * requested) plus STATX_MNT_ID, the fields agree with stat(2), unused fields
 * and padding are zero, AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW work as for
 * fstatat, and EINVAL comes from STATX__RESERVED in the mask, from both
 * AT_STATX_FORCE_SYNC and AT_STATX_DONT_SYNC, or from an unknown flag.
 * Man page statx(2).
 */
#include "harness.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

static long raw_statx(int dfd, const char *p, int flags, unsigned mask,
		      struct k_statx *stx)
{
	return syscall(SYS_statx, dfd, p, flags, mask, stx);
}

TEST(statx, basic_matches_stat)
{
	h_tmpdir();
	h_write_file("f", "0123456789abc");
	struct k_statx stx;
	memset(&stx, 0xff, sizeof stx);
	EXPECT_EQ(raw_statx(AT_FDCWD, "f", 0, K_STATX_BASIC_STATS, &stx), 0);
	EXPECT_EQX(stx.stx_mask & K_STATX_BASIC_STATS, K_STATX_BASIC_STATS);
	struct stat st;
	EXPECT_OK(stat("f", &st));
	EXPECT_EQ(stx.stx_ino, st.st_ino);
	EXPECT_EQ(stx.stx_size, 13);
	EXPECT_EQ(stx.stx_mode, st.st_mode);
	EXPECT_EQ(stx.stx_nlink, 1);
	EXPECT_EQ(stx.stx_uid, getuid());
	EXPECT_EQ(stx.stx_gid, getgid());
	EXPECT_EQ(stx.stx_blocks, st.st_blocks);
	EXPECT_EQ(stx.stx_blksize, st.st_blksize);
	EXPECT_EQ(stx.stx_dev_major, major(st.st_dev));
	EXPECT_EQ(stx.stx_dev_minor, minor(st.st_dev));
	EXPECT_EQ(stx.stx_rdev_major, 0);
	EXPECT_EQ(stx.stx_rdev_minor, 0);
	EXPECT_EQ(stx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
	EXPECT_EQ(stx.stx_mtime.tv_nsec, st.st_mtim.tv_nsec);
	EXPECT_EQ(stx.stx_ctime.tv_sec, st.st_ctim.tv_sec);
	EXPECT_EQ(stx.stx_atime.tv_sec, st.st_atim.tv_sec);
}

TEST(statx, padding_zeroed)
{
	h_tmpdir();
	h_write_file("f", "x");
	struct k_statx stx;
	memset(&stx, 0xff, sizeof stx);
	EXPECT_EQ(raw_statx(AT_FDCWD, "f", 0, K_STATX_BASIC_STATS, &stx), 0);
	EXPECT_EQ(stx.spare0, 0);
	EXPECT_EQ(stx.stx_mtime.reserved, 0);
	EXPECT_EQ(stx.stx_atime.reserved, 0);
	EXPECT_EQ(stx.stx_ctime.reserved, 0);
	for (int i = 0; i < 13; i++)
		if (stx.spare2[i] != 0)
			FAIL("spare word %d after stx_mnt_id is %#llx", i,
			     (unsigned long long)stx.spare2[i]);
}

TEST(statx, mask_zero_still_fills_basic)
{
	h_tmpdir();
	h_write_file("f", "abc");
	struct k_statx stx;
	memset(&stx, 0, sizeof stx);
	EXPECT_EQ(raw_statx(AT_FDCWD, "f", 0, 0, &stx), 0);
	/* Timestamps may be left out when not requested (Linux >= 6.13 does
	 * for mtime/ctime); the rest of the basic stats always comes. */
	unsigned always = K_STATX_TYPE | K_STATX_MODE | K_STATX_NLINK |
			  K_STATX_UID | K_STATX_GID | K_STATX_INO |
			  K_STATX_SIZE | K_STATX_BLOCKS;
	EXPECT_EQX(stx.stx_mask & always, always);
	EXPECT_EQ(stx.stx_size, 3);
	EXPECT_TRUE(S_ISREG(stx.stx_mode));
}

TEST(statx, mnt_id_reported)
{
	h_tmpdir();
	h_write_file("f", "abc");
	struct k_statx stx;
	memset(&stx, 0, sizeof stx);
	EXPECT_EQ(raw_statx(AT_FDCWD, "f", 0, K_STATX_BASIC_STATS | K_STATX_MNT_ID, &stx), 0);
	EXPECT_EQX(stx.stx_mask & K_STATX_MNT_ID, K_STATX_MNT_ID);
	EXPECT_NE(stx.stx_mnt_id, 0);
}

TEST(statx, directory_and_symlink)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0751));
	EXPECT_OK(symlink("d", "l"));
	struct k_statx stx;
	EXPECT_EQ(raw_statx(AT_FDCWD, "l", 0, K_STATX_BASIC_STATS, &stx), 0);
	EXPECT_TRUE(S_ISDIR(stx.stx_mode));
	EXPECT_MODE(stx.stx_mode & 07777, 0751);
	EXPECT_EQ(stx.stx_nlink, 2);
	EXPECT_EQ(raw_statx(AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, K_STATX_BASIC_STATS, &stx), 0);
	EXPECT_TRUE(S_ISLNK(stx.stx_mode));
	EXPECT_EQ(stx.stx_size, 1);
}

TEST(statx, empty_path_and_dirfd)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/f", "12345");
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	int fd = EXPECT_OK(open("d/f", O_RDONLY));
	struct k_statx stx;
	EXPECT_EQ(raw_statx(fd, "", AT_EMPTY_PATH, K_STATX_BASIC_STATS, &stx), 0);
	EXPECT_EQ(stx.stx_size, 5);
	EXPECT_EQ(raw_statx(dfd, "f", 0, K_STATX_SIZE, &stx), 0);
	EXPECT_EQ(stx.stx_size, 5);
	EXPECT_EQ(raw_statx(dfd, "", AT_EMPTY_PATH, K_STATX_BASIC_STATS, &stx), 0);
	EXPECT_TRUE(S_ISDIR(stx.stx_mode));
	EXPECT_ERRNO(raw_statx(fd, "", 0, K_STATX_BASIC_STATS, &stx), ENOENT);
	EXPECT_ERRNO(raw_statx(fd, "x", 0, K_STATX_BASIC_STATS, &stx), ENOTDIR);
	EXPECT_ERRNO(raw_statx(-1, "f", 0, K_STATX_BASIC_STATS, &stx), EBADF);
	/* Sync-type flags are accepted on a local filesystem. */
	EXPECT_EQ(raw_statx(dfd, "f", AT_STATX_DONT_SYNC, K_STATX_BASIC_STATS, &stx), 0);
	EXPECT_EQ(raw_statx(dfd, "f", AT_STATX_FORCE_SYNC, K_STATX_BASIC_STATS, &stx), 0);
}

TEST(statx, device_numbers)
{
	struct k_statx stx;
	EXPECT_EQ(raw_statx(AT_FDCWD, "/dev/null", 0, K_STATX_BASIC_STATS, &stx), 0);
	EXPECT_TRUE(S_ISCHR(stx.stx_mode));
	EXPECT_EQ(stx.stx_rdev_major, 1);
	EXPECT_EQ(stx.stx_rdev_minor, 3);
	EXPECT_EQ(raw_statx(AT_FDCWD, "/dev/console", 0, K_STATX_BASIC_STATS, &stx), 0);
	EXPECT_EQ(stx.stx_rdev_major, 5);
	EXPECT_EQ(stx.stx_rdev_minor, 1);
}

TEST(statx, einval)
{
	h_tmpdir();
	h_write_file("f", "");
	struct k_statx stx;
	EXPECT_ERRNO(raw_statx(AT_FDCWD, "f", 0, K_STATX__RESERVED, &stx), EINVAL);
	EXPECT_ERRNO(raw_statx(AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
			       K_STATX_BASIC_STATS, &stx), EINVAL);
	EXPECT_ERRNO(raw_statx(AT_FDCWD, "f", 0x1, K_STATX_BASIC_STATS, &stx), EINVAL);
	EXPECT_ERRNO(raw_statx(AT_FDCWD, "f", 0x40000, K_STATX_BASIC_STATS, &stx), EINVAL);
}

TEST(statx, errors)
{
	h_tmpdir();
	h_write_file("f", "");
	struct k_statx stx;
	EXPECT_ERRNO(raw_statx(AT_FDCWD, "missing", 0, K_STATX_BASIC_STATS, &stx), ENOENT);
	EXPECT_ERRNO(raw_statx(AT_FDCWD, "f/x", 0, K_STATX_BASIC_STATS, &stx), ENOTDIR);
	EXPECT_ERRNO(raw_statx(AT_FDCWD, h_name(256), 0, K_STATX_BASIC_STATS, &stx), ENAMETOOLONG);
	EXPECT_ERRNO(raw_statx(AT_FDCWD, "f", 0, K_STATX_BASIC_STATS, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_statx(AT_FDCWD, H_BAD_PTR, 0, K_STATX_BASIC_STATS, &stx), EFAULT);
}

#define K_STATX_ATTR_IMMUTABLE 0x10ULL
#define K_STATX_ATTR_APPEND 0x20ULL
#define K_STATX_ATTR_NODUMP 0x40ULL
#define K_STATX_ATTR_AUTOMOUNT 0x1000ULL
#define K_STATX_ATTR_MOUNT_ROOT 0x2000ULL
#define K_STATX_ATTR_DAX 0x200000ULL

/* tmpfs 6.1 (shmem_getattr) records a creation time and reports it only
 * when asked for; it can report APPEND, IMMUTABLE and NODUMP, and the VFS
 * adds AUTOMOUNT, DAX and MOUNT_ROOT to the mask. */
TEST(statx, btime_on_tmpfs)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_CREAT | O_WRONLY, 0644));
	close(fd);
	struct k_statx stx;
	memset(&stx, 0xff, sizeof stx);
	EXPECT_EQ(raw_statx(AT_FDCWD, "f", 0, K_STATX_BASIC_STATS | K_STATX_BTIME, &stx), 0);
	EXPECT_EQX(stx.stx_mask, K_STATX_BASIC_STATS | K_STATX_BTIME | K_STATX_MNT_ID);
	/* Created and not changed since: btime is the creation ctime. */
	EXPECT_EQ(stx.stx_btime.tv_sec, stx.stx_ctime.tv_sec);
	EXPECT_EQ(stx.stx_btime.tv_nsec, stx.stx_ctime.tv_nsec);
	EXPECT_EQ(stx.stx_btime.reserved, 0);
	struct k_statx_timestamp born = stx.stx_btime;
	/* A change moves ctime, not btime. */
	struct timespec later[2] = {{2000000000, 0}, {2000000000, 0}};
	EXPECT_OK(utimensat(AT_FDCWD, "f", later, 0));
	EXPECT_OK(chmod("f", 0600));
	EXPECT_EQ(raw_statx(AT_FDCWD, "f", 0, K_STATX_BTIME, &stx), 0);
	EXPECT_EQ(stx.stx_btime.tv_sec, born.tv_sec);
	EXPECT_EQ(stx.stx_btime.tv_nsec, born.tv_nsec);
	EXPECT_EQ(stx.stx_mtime.tv_sec, 2000000000);
	/* Not asked for: not reported, and zero. */
	memset(&stx, 0xff, sizeof stx);
	EXPECT_EQ(raw_statx(AT_FDCWD, "f", 0, K_STATX_BASIC_STATS, &stx), 0);
	EXPECT_EQX(stx.stx_mask, K_STATX_BASIC_STATS | K_STATX_MNT_ID);
	EXPECT_EQ(stx.stx_btime.tv_sec, 0);
	EXPECT_EQ(stx.stx_btime.tv_nsec, 0);
	/* Every bit but the reserved one: still only these. */
	EXPECT_EQ(raw_statx(AT_FDCWD, "f", 0, ~K_STATX__RESERVED, &stx), 0);
	EXPECT_EQX(stx.stx_mask, K_STATX_BASIC_STATS | K_STATX_BTIME | K_STATX_MNT_ID);
	/* Directories and symlinks have one too. */
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(symlink("f", "l"));
	EXPECT_EQ(raw_statx(AT_FDCWD, "d", 0, K_STATX_BTIME, &stx), 0);
	EXPECT_TRUE(stx.stx_mask & K_STATX_BTIME);
	EXPECT_EQ(raw_statx(AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, K_STATX_BTIME, &stx), 0);
	EXPECT_TRUE(stx.stx_mask & K_STATX_BTIME);
}

TEST(statx, attributes)
{
	h_tmpdir();
	h_write_file("f", "x");
	const unsigned long long tmpfs_mask =
		K_STATX_ATTR_IMMUTABLE | K_STATX_ATTR_APPEND | K_STATX_ATTR_NODUMP |
		K_STATX_ATTR_AUTOMOUNT | K_STATX_ATTR_MOUNT_ROOT | K_STATX_ATTR_DAX;
	struct k_statx stx;
	memset(&stx, 0xff, sizeof stx);
	EXPECT_EQ(raw_statx(AT_FDCWD, "f", 0, K_STATX_BASIC_STATS, &stx), 0);
	EXPECT_EQX(stx.stx_attributes, 0);
	EXPECT_EQX(stx.stx_attributes_mask, tmpfs_mask);
	/* The root of the root mount. */
	if (h_is_init()) {
		EXPECT_EQ(raw_statx(AT_FDCWD, "/", 0, K_STATX_BASIC_STATS, &stx), 0);
		EXPECT_EQX(stx.stx_attributes, K_STATX_ATTR_MOUNT_ROOT);
		EXPECT_EQX(stx.stx_attributes_mask, tmpfs_mask);
		int root = EXPECT_OK(open("/", O_RDONLY | O_DIRECTORY));
		EXPECT_EQ(raw_statx(root, "", AT_EMPTY_PATH, K_STATX_BASIC_STATS, &stx), 0);
		EXPECT_EQX(stx.stx_attributes, K_STATX_ATTR_MOUNT_ROOT);
		close(root);
	}
	/* A pipe: no btime even when asked, and only the VFS's attributes. */
	int p[2];
	EXPECT_OK(pipe(p));
	memset(&stx, 0xff, sizeof stx);
	EXPECT_EQ(raw_statx(p[0], "", AT_EMPTY_PATH, K_STATX_BASIC_STATS | K_STATX_BTIME, &stx), 0);
	EXPECT_EQX(stx.stx_mask, K_STATX_BASIC_STATS | K_STATX_MNT_ID);
	EXPECT_EQX(stx.stx_attributes, 0);
	EXPECT_EQX(stx.stx_attributes_mask,
		   K_STATX_ATTR_AUTOMOUNT | K_STATX_ATTR_MOUNT_ROOT | K_STATX_ATTR_DAX);
	EXPECT_EQ(stx.stx_btime.tv_sec, 0);
}
