/*
 * Suite procsysfs: sysfs as Linux 6.1's device model shows it
 * (drivers/base/core.c device_add, fs/kernfs, kernel/ksysfs.c).
 *
 * Guards: every registered character device has its directory with "dev"
 * ("M:m\n", 0444, a page long in stat), "uevent" (MAJOR, MINOR, DEVNAME,
 * and DEVMODE when its class gives the node a mode; 0644), power/ and a
 * "subsystem" link to its class; /sys/class/<class>/<name> and
 * /sys/dev/char/M:m link to it (size 0, relative targets); console's
 * "active" names ttyS0; writing an action to uevent counts an event in
 * /sys/kernel/uevent_seqnum and anything else is EINVAL; attributes without
 * a write method refuse a write open even to root (EACCES); /sys, and
 * mount points such as /sys/fs/cgroup, are 0555.
 */
#include "proc.h"

#include <sys/sysmacros.h>

static void expect_link(const char *path, const char *want)
{
	char target[256];
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n < 0)
		FAIL("readlink %s: %s", path, h_errname(errno));
	target[n] = 0;
	if (strcmp(target, want))
		FAIL("%s -> %s, not %s", path, target, want);
	struct stat st;
	EXPECT_OK(lstat(path, &st));
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQX(st.st_mode, S_IFLNK | 0777);
}

static void expect_text(const char *path, const char *want)
{
	char text[512];
	proc_read(path, text, sizeof text);
	if (strcmp(text, want))
		FAIL("%s reads \"%s\", not \"%s\"", path, text, want);
}

TEST(procsysfs, devices_classes_and_numbers)
{
	proc_ready();
	static const struct {
		const char *class, *name;
		unsigned major, minor;
		int devmode;
	} devices[] = {
		{"mem", "null", 1, 3, 0666},     {"mem", "zero", 1, 5, 0666},
		{"mem", "full", 1, 7, 0666},     {"mem", "random", 1, 8, 0666},
		{"mem", "urandom", 1, 9, 0666},  {"mem", "kmsg", 1, 11, 0644},
		{"tty", "tty", 5, 0, 0666},      {"tty", "console", 5, 1, 0},
		{"tty", "ptmx", 5, 2, 0666},
	};
	for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
		char path[256], want[256], dir[128];
		snprintf(dir, sizeof dir, "/sys/devices/virtual/%s/%s", devices[i].class,
			 devices[i].name);
		snprintf(path, sizeof path, "%s/dev", dir);
		snprintf(want, sizeof want, "%u:%u\n", devices[i].major, devices[i].minor);
		expect_text(path, want);
		struct stat st;
		EXPECT_OK(stat(path, &st));
		EXPECT_EQX(st.st_mode, S_IFREG | 0444);
		EXPECT_EQ(st.st_size, 4096);
		snprintf(path, sizeof path, "%s/uevent", dir);
		int len = snprintf(want, sizeof want, "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\n",
				   devices[i].major, devices[i].minor, devices[i].name);
		if (devices[i].devmode)
			snprintf(want + len, sizeof want - len, "DEVMODE=0%o\n", devices[i].devmode);
		expect_text(path, want);
		EXPECT_OK(stat(path, &st));
		EXPECT_EQX(st.st_mode, S_IFREG | 0644);
		snprintf(path, sizeof path, "%s/subsystem", dir);
		snprintf(want, sizeof want, "../../../../class/%s", devices[i].class);
		expect_link(path, want);
		snprintf(path, sizeof path, "%s/power", dir);
		EXPECT_OK(stat(path, &st));
		EXPECT_TRUE(S_ISDIR(st.st_mode));
		snprintf(want, sizeof want, "../../devices/virtual/%s/%s", devices[i].class,
			 devices[i].name);
		snprintf(path, sizeof path, "/sys/class/%s/%s", devices[i].class, devices[i].name);
		expect_link(path, want);
		snprintf(path, sizeof path, "/sys/dev/char/%u:%u", devices[i].major,
			 devices[i].minor);
		expect_link(path, want);
		/* The link leads to the device's directory. */
		snprintf(path, sizeof path, "/sys/class/%s/%s/dev", devices[i].class,
			 devices[i].name);
		snprintf(want, sizeof want, "%u:%u\n", devices[i].major, devices[i].minor);
		expect_text(path, want);
	}
	/* The serial console, wherever its parent is. */
	expect_text("/sys/dev/char/4:64/dev", "4:64\n");
	expect_text("/sys/class/tty/ttyS0/uevent", "MAJOR=4\nMINOR=64\nDEVNAME=ttyS0\n");
	expect_text("/sys/class/tty/ttyS0/line", "0\n");
	expect_text("/sys/class/tty/console/active", "ttyS0\n");
	expect_text("/sys/devices/virtual/mem/null/power/control", "auto\n");
	expect_text("/sys/devices/virtual/mem/null/power/runtime_status", "unsupported\n");
	struct stat st;
	EXPECT_OK(stat("/sys/class/misc", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_OK(stat("/sys/dev/block", &st));
	EXPECT_OK(stat("/sys/block", &st));
	EXPECT_ERRNO(stat("/sys/dev/char/1:4242", &st), ENOENT);
}

TEST(procsysfs, uevent_writes_count_events)
{
	proc_ready();
	if (geteuid() != 0)
		return;
	char text[64];
	proc_read("/sys/kernel/uevent_seqnum", text, sizeof text);
	long long before = strtoll(text, NULL, 10);
	EXPECT_GT(before, 0);
	int fd = EXPECT_OK(open("/sys/devices/virtual/mem/null/uevent", O_WRONLY));
	EXPECT_EQ(write(fd, "change\n", 7), 7);
	EXPECT_ERRNO(write(fd, "bogus\n", 6), EINVAL);
	EXPECT_ERRNO(write(fd, "\n", 1), EINVAL);
	close(fd);
	proc_read("/sys/kernel/uevent_seqnum", text, sizeof text);
	EXPECT_EQ(strtoll(text, NULL, 10), before + 1);
	/* Attributes without a write method: EACCES even for root. */
	EXPECT_ERRNO(open("/sys/devices/virtual/mem/null/dev", O_WRONLY), EACCES);
	EXPECT_ERRNO(open("/sys/kernel/uevent_seqnum", O_RDWR), EACCES);
	expect_text("/sys/kernel/fscaps", "1\n");
}

TEST(procsysfs, modes_of_the_tree)
{
	proc_ready();
	struct stat st;
	EXPECT_OK(stat("/sys", &st));
	EXPECT_EQX(st.st_mode, S_IFDIR | 0555);
	EXPECT_OK(stat("/sys/fs/cgroup", &st));
	EXPECT_EQX(st.st_mode, S_IFDIR | 0555);
	EXPECT_OK(stat("/sys/class", &st));
	EXPECT_EQX(st.st_mode, S_IFDIR | 0755);
	EXPECT_OK(stat("/sys/kernel/uevent_seqnum", &st));
	EXPECT_EQX(st.st_mode, S_IFREG | 0444);
	EXPECT_EQ(st.st_blksize, 4096);
	/* Nothing can be created in sysfs. */
	EXPECT_ERRNO(mkdir("/sys/class/new", 0755), EPERM);
}
