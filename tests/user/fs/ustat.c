/*
 * Suite ustat: the obsolete ustat(2).
 *
 * Guards Linux's fs/statfs.c: the device number (stat's st_dev) of a mounted
 * filesystem gives its free blocks and free inodes as statfs(2) counts them,
 * with f_fname and f_fpack zeroed; a device nothing is mounted from is
 * EINVAL; a bad buffer EFAULT.
 */
#include "harness.h"

#include <sys/statfs.h>

struct ustat_ {
	int f_tfree;
	unsigned long f_tinode;
	char f_fname[6];
	char f_fpack[6];
};

TEST(ustat, counts_of_a_mounted_filesystem)
{
	struct stat st;
	EXPECT_OK(stat(h_tmpdir(), &st));
	struct ustat_ u;
	memset(&u, 0x55, sizeof u);
	EXPECT_EQ(syscall(SYS_ustat, (unsigned)st.st_dev, &u), 0);
	struct statfs sf;
	EXPECT_OK(statfs(h_tmpdir(), &sf));
	/* Nothing else writes to this filesystem meanwhile (a few blocks of slack). */
	EXPECT_LE((long)u.f_tfree, (long)sf.f_bfree + 8);
	EXPECT_GE((long)u.f_tfree + 8, (long)sf.f_bfree);
	EXPECT_LE((long)u.f_tinode, (long)sf.f_ffree + 8);
	EXPECT_GE((long)u.f_tinode + 8, (long)sf.f_ffree);
	static const char zeros[6];
	EXPECT_MEMEQ(u.f_fname, zeros, 6);
	EXPECT_MEMEQ(u.f_fpack, zeros, 6);
	EXPECT_ERRNO(syscall(SYS_ustat, (unsigned)st.st_dev, H_BAD_PTR), EFAULT);
}

TEST(ustat, unknown_device_is_einval)
{
	struct ustat_ u;
	/* 0:0 is never a mounted filesystem's device. */
	EXPECT_ERRNO(syscall(SYS_ustat, 0u, &u), EINVAL);
	EXPECT_ERRNO(syscall(SYS_ustat, (unsigned)((250 << 8) | 250), &u), EINVAL);
}
