/*
 * Suite sysfs_call: the obsolete sysfs(2) system call, which numbers the
 * registered filesystem types.
 *
 * Guards Linux's fs/filesystems.c (sys_sysfs: option 1 fs_index, option 2
 * fs_name, option 3 fs_maxindex, others EINVAL): indexes follow
 * /proc/filesystems' order, an unknown name or an index past the last is
 * EINVAL, bad pointers are EFAULT. The list itself differs between kernels
 * (Linux registers more types), so the test checks it against
 * /proc/filesystems, not a fixed list.
 */
#include "harness.h"

#include <sys/mount.h>

static long raw_sysfs(int option, unsigned long a1, unsigned long a2)
{
	return syscall(SYS_sysfs, option, a1, a2);
}

TEST(sysfs_call, numbers_the_types_in_proc_filesystems_order)
{
	long count = raw_sysfs(3, 0, 0);
	EXPECT_GT(count, 2);
	if (access("/proc/filesystems", R_OK) != 0) {
		mkdir("/proc", 0555);
		EXPECT_OK(mount("proc", "/proc", "proc", 0, NULL));
	}
	char list[8192];
	h_read_file("/proc/filesystems", list, sizeof list);
	const char *line = list;
	for (long i = 0; i < count; i++) {
		char name[256] = {0};
		EXPECT_EQ(raw_sysfs(2, i, (unsigned long)name), 0);
		EXPECT_EQ(raw_sysfs(1, (unsigned long)name, 0), i);
		/* The i-th line of /proc/filesystems names it. */
		const char *tab = strchr(line, '\t');
		EXPECT_TRUE(tab != NULL);
		const char *end = strchr(tab, '\n');
		EXPECT_TRUE(end != NULL);
		EXPECT_EQ((long)(end - tab - 1), (long)strlen(name));
		EXPECT_MEMEQ(tab + 1, name, strlen(name));
		line = end + 1;
	}
	EXPECT_GE(raw_sysfs(1, (unsigned long)"proc", 0), 0);
	EXPECT_GE(raw_sysfs(1, (unsigned long)"tmpfs", 0), 0);
}

TEST(sysfs_call, errors)
{
	long count = raw_sysfs(3, 0, 0);
	char name[256];
	EXPECT_ERRNO(raw_sysfs(2, count, (unsigned long)name), EINVAL);
	EXPECT_ERRNO(raw_sysfs(2, 0, (unsigned long)H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_sysfs(1, (unsigned long)"nosuchfs", 0), EINVAL);
	EXPECT_ERRNO(raw_sysfs(1, (unsigned long)H_BAD_PTR, 0), EFAULT);
	EXPECT_ERRNO(raw_sysfs(0, 0, 0), EINVAL);
	EXPECT_ERRNO(raw_sysfs(4, 0, 0), EINVAL);
}
