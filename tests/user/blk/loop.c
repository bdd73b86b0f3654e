/*
 * Suite loop: loop devices and O_DIRECT.
 *
 * Guards Linux 6.1's drivers/block/loop.c: /dev/loop-control (misc 10:237;
 * LOOP_CTL_GET_FREE, LOOP_CTL_ADD, LOOP_CTL_REMOVE and their EEXIST, ENODEV,
 * EBUSY, EINVAL; ENOSYS for other commands), /dev/loopN (major 7) bound to a
 * file with LOOP_SET_FD or LOOP_CONFIGURE, unbound with LOOP_CLR_FD (ENXIO
 * when unbound, deferred to the last close while open twice), LOOP_SET_STATUS
 * and LOOP_GET_STATUS in both structures (offset, size limit, name, which
 * flags may be set or cleared, EOVERFLOW, EINVAL), LOOP_CHANGE_FD,
 * LOOP_SET_CAPACITY, LOOP_SET_BLOCK_SIZE, LOOP_SET_DIRECT_IO (EINVAL over
 * tmpfs, which has no direct I/O in 6.1), read-only devices, autoclear at
 * the last close, loop devices stacked on loop devices (EBADF for a cycle),
 * partitions with LO_FLAGS_PARTSCAN (loop0p1 on major 259), the data read and
 * written through /dev/loopN against the backing file, /sys/block/loopN
 * (size, loop/backing_file, offset, sizelimit, autoclear, partscan, dio) and
 * /proc/partitions.
 *
 * O_DIRECT (block/fops.c, fs/open.c, fs/fcntl.c): on a block device,
 * positions and lengths must be multiples of the logical block size and
 * buffer addresses of the queue's DMA alignment, 512 (EINVAL otherwise), direct reads see buffered writes not yet
 * written back and buffered reads see direct writes; open(O_DIRECT) and
 * F_SETFL O_DIRECT are EINVAL on tmpfs files (6.1's shmem has no direct_IO),
 * and on character devices and procfs files.
 *
 * Debian's cloud kernel builds loop as a module: on Linux the suite loads the
 * one the image carries (/lib/modules/loop.ko) with finit_module, mounts
 * devtmpfs at /loopdev and waits for the nodes its kernel thread makes.
 * Backing files live on a tmpfs the suite mounts, on both kernels.
 */
#include "harness.h"

#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

/* include/uapi/linux/loop.h (musl has no kernel headers). */
#define LOOP_SET_FD 0x4C00
#define LOOP_CLR_FD 0x4C01
#define LOOP_SET_STATUS 0x4C02
#define LOOP_GET_STATUS 0x4C03
#define LOOP_SET_STATUS64 0x4C04
#define LOOP_GET_STATUS64 0x4C05
#define LOOP_CHANGE_FD 0x4C06
#define LOOP_SET_CAPACITY 0x4C07
#define LOOP_SET_DIRECT_IO 0x4C08
#define LOOP_SET_BLOCK_SIZE 0x4C09
#define LOOP_CONFIGURE 0x4C0A
#define LOOP_CTL_ADD 0x4C80
#define LOOP_CTL_REMOVE 0x4C81
#define LOOP_CTL_GET_FREE 0x4C82
#define LO_FLAGS_READ_ONLY 1
#define LO_FLAGS_AUTOCLEAR 4
#define LO_FLAGS_PARTSCAN 8
#define LO_FLAGS_DIRECT_IO 16

struct loop_info {
	int lo_number;
	unsigned long lo_device;
	unsigned long lo_inode;
	unsigned long lo_rdevice;
	int lo_offset;
	int lo_encrypt_type;
	int lo_encrypt_key_size;
	int lo_flags;
	char lo_name[64];
	unsigned char lo_encrypt_key[32];
	unsigned long lo_init[2];
	char reserved[4];
};

struct loop_info64 {
	unsigned long long lo_device;
	unsigned long long lo_inode;
	unsigned long long lo_rdevice;
	unsigned long long lo_offset;
	unsigned long long lo_sizelimit;
	unsigned int lo_number;
	unsigned int lo_encrypt_type;
	unsigned int lo_encrypt_key_size;
	unsigned int lo_flags;
	unsigned char lo_file_name[64];
	unsigned char lo_crypt_name[64];
	unsigned char lo_encrypt_key[32];
	unsigned long long lo_init[2];
};

struct loop_config {
	unsigned int fd;
	unsigned int block_size;
	struct loop_info64 info;
	unsigned long long reserved[8];
};

#ifndef BLKGETSIZE64
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#endif
#ifndef BLKSSZGET
#define BLKSSZGET _IO(0x12, 104)
#endif
#ifndef BLKROGET
#define BLKROGET _IO(0x12, 94)
#endif
#ifndef BLKFLSBUF
#define BLKFLSBUF _IO(0x12, 97)
#endif
#ifndef O_DIRECT
#define O_DIRECT 040000
#endif

#define DEV "/loopdev"
/* The tmpfs the backing files live on (ferrux-tests' scratch directory may
 * be on Linux's rootfs, which is not tmpfs). */
#define FILES "/loopfiles"

static unsigned char pattern(unsigned long long offset, int seed)
{
	return (unsigned char)((offset >> 9) * 31 + (offset & 0x1ff) + seed * 7);
}

/* Mounts proc, sysfs, devtmpfs (at /loopdev) and the tmpfs for the backing
 * files; loads Linux's loop module when there is no loop-control yet. */
static void loop_ready(void)
{
	if (access("/proc/self/stat", R_OK) != 0) {
		mkdir("/proc", 0555);
		EXPECT_OK(mount("proc", "/proc", "proc", 0, NULL));
	}
	if (access("/sys/kernel", R_OK) != 0) {
		mkdir("/sys", 0555);
		EXPECT_OK(mount("sysfs", "/sys", "sysfs", 0, NULL));
	}
	if (access("/sys/devices/virtual/misc/loop-control", F_OK) != 0) {
		int fd = open("/lib/modules/loop.ko", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			FAIL("no loop-control and no /lib/modules/loop.ko: %s",
			     h_errname(errno));
		if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
			FAIL("finit_module(loop.ko): %s", h_errname(errno));
		close(fd);
	}
	if (access(DEV "/null", F_OK) != 0) {
		mkdir(DEV, 0755);
		if (mount("devtmpfs", DEV, "devtmpfs", 0, NULL) != 0 &&
		    errno != EBUSY)
			FAIL("mount devtmpfs: %s", h_errname(errno));
	}
	mkdir(FILES, 0755);
	if (access(FILES "/.mounted", F_OK) != 0) {
		if (mount("tmpfs", FILES, "tmpfs", 0, "size=64m") != 0)
			FAIL("mount tmpfs: %s", h_errname(errno));
		int fd = open(FILES "/.mounted", O_CREAT | O_WRONLY, 0644);
		EXPECT_OK(fd);
		close(fd);
	}
}

/* Waits for devtmpfs to show (or drop) a node: Linux makes them from a
 * kernel thread. */
static void wait_node(const char *name, int present)
{
	char path[64];
	snprintf(path, sizeof path, DEV "/%s", name);
	for (int i = 0; i < 500 && (access(path, F_OK) == 0) != present; i++)
		usleep(10000);
	if ((access(path, F_OK) == 0) != present)
		FAIL("%s %s", path, present ? "never appeared" : "never went");
}

static int control(void)
{
	wait_node("loop-control", 1);
	int fd = open(DEV "/loop-control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		FAIL("open loop-control: %s", h_errname(errno));
	return fd;
}

static int open_loop(int n, int flags)
{
	char name[32], path[64];
	snprintf(name, sizeof name, "loop%d", n);
	wait_node(name, 1);
	snprintf(path, sizeof path, DEV "/%s", name);
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		FAIL("open(%s): %s", path, h_errname(errno));
	return fd;
}

/* A free device, opened read-write. */
static int free_loop(int *number)
{
	int ctl = control();
	int n = ioctl(ctl, LOOP_CTL_GET_FREE);
	if (n < 0)
		FAIL("LOOP_CTL_GET_FREE: %s", h_errname(errno));
	close(ctl);
	*number = n;
	return open_loop(n, O_RDWR);
}

/* FILES/name, `size` bytes of pattern(seed); returns its path. */
static const char *make_file(const char *name, size_t size, int seed)
{
	static char paths[4][128];
	static int next;
	char *path = paths[next++ % 4];
	snprintf(path, 128, FILES "/%s", name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		FAIL("create %s: %s", path, h_errname(errno));
	unsigned char buf[4096];
	for (size_t done = 0; done < size; done += sizeof buf) {
		size_t len = size - done < sizeof buf ? size - done : sizeof buf;
		for (size_t i = 0; i < len; i++)
			buf[i] = pattern(done + i, seed);
		if (write(fd, buf, len) != (ssize_t)len)
			FAIL("write %s: %s", path, h_errname(errno));
	}
	close(fd);
	return path;
}

static unsigned long long dev_size(int fd)
{
	unsigned long long size = 0;
	EXPECT_OK(ioctl(fd, BLKGETSIZE64, &size));
	return size;
}

static void expect_sys(int n, const char *attribute, const char *want)
{
	char path[96], buf[256];
	snprintf(path, sizeof path, "/sys/block/loop%d/%s", n, attribute);
	h_read_file(path, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		FAIL("%s: expected \"%s\" got \"%s\"", path, want, buf);
}

/* Whether /proc/partitions lists `name` with `blocks` 1 KiB blocks. */
static int in_partitions(const char *name, unsigned long long blocks)
{
	char buf[8192], want[64];
	h_read_file("/proc/partitions", buf, sizeof buf);
	snprintf(want, sizeof want, " %llu %s\n", blocks, name);
	return strstr(buf, want) != NULL;
}

static void bind_fd(int loop, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		FAIL("open(%s): %s", path, h_errname(errno));
	EXPECT_OK(ioctl(loop, LOOP_SET_FD, fd));
	close(fd);
}

static void expect_pattern(int fd, unsigned long long at, size_t len,
			   unsigned long long file_offset, int seed)
{
	unsigned char buf[8192];
	if (len > sizeof buf)
		FAIL("expect_pattern: %zu bytes", len);
	ssize_t got = pread(fd, buf, len, at);
	if (got != (ssize_t)len)
		FAIL("pread(%llu, %zu) = %zd: %s", at, len, got,
		     h_errname(errno));
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern(file_offset + i, seed))
			FAIL("byte %llu: %#x, expected %#x", at + i, buf[i],
			     pattern(file_offset + i, seed));
}

static int is_bound(int loop)
{
	struct loop_info64 info;
	if (ioctl(loop, LOOP_GET_STATUS64, &info) == 0)
		return 1;
	if (errno != ENXIO)
		FAIL("LOOP_GET_STATUS64: %s", h_errname(errno));
	return 0;
}

TEST(loop, control_device)
{
	loop_ready();
	struct stat st;
	EXPECT_OK(stat(DEV "/loop-control", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 10);
	EXPECT_EQ(minor(st.st_rdev), 237);
	int ctl = control();
	int n = EXPECT_OK(ioctl(ctl, LOOP_CTL_GET_FREE));
	/* The device it names exists and is unbound: capacity 0. */
	char name[32];
	snprintf(name, sizeof name, "loop%d", n);
	wait_node(name, 1);
	EXPECT_OK(stat(DEV "/loop0", &st));
	EXPECT_TRUE(S_ISBLK(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 7);
	EXPECT_EQ(minor(st.st_rdev), 0);
	expect_sys(n, "size", "0\n");
	EXPECT_TRUE(!in_partitions(name, 0));
	/* Numbers of its own choosing. */
	ioctl(ctl, LOOP_CTL_REMOVE, 200);
	EXPECT_EQ(ioctl(ctl, LOOP_CTL_ADD, 200), 200);
	EXPECT_ERRNO(ioctl(ctl, LOOP_CTL_ADD, 200), EEXIST);
	wait_node("loop200", 1);
	EXPECT_OK(stat(DEV "/loop200", &st));
	EXPECT_EQ(minor(st.st_rdev), 200);
	EXPECT_OK(access("/sys/block/loop200/size", R_OK));
	/* Open, it cannot go. */
	int fd = open_loop(200, O_RDONLY);
	EXPECT_ERRNO(ioctl(ctl, LOOP_CTL_REMOVE, 200), EBUSY);
	close(fd);
	EXPECT_EQ(ioctl(ctl, LOOP_CTL_REMOVE, 200), 0);
	EXPECT_ERRNO(ioctl(ctl, LOOP_CTL_REMOVE, 200), ENODEV);
	wait_node("loop200", 0);
	EXPECT_ERRNO(access("/sys/block/loop200", F_OK), ENOENT);
	EXPECT_ERRNO(ioctl(ctl, LOOP_CTL_REMOVE, -1), EINVAL);
	EXPECT_ERRNO(ioctl(ctl, 0x4C8F, 0), ENOSYS);
	/* It reads nothing and does not seek. */
	char c;
	EXPECT_ERRNO(read(ctl, &c, 1), EINVAL);
	EXPECT_ERRNO(lseek(ctl, 0, SEEK_SET), ESPIPE);
	close(ctl);
}

TEST(loop, read_write_through_device)
{
	loop_ready();
	const char *path = make_file("rw", 1 << 20, 1);
	int n, loop = free_loop(&n);
	bind_fd(loop, path, O_RDWR);
	EXPECT_EQ(dev_size(loop), 1 << 20);
	char name[32];
	snprintf(name, sizeof name, "loop%d", n);
	EXPECT_TRUE(in_partitions(name, 1024));
	expect_sys(n, "size", "2048\n");
	char want[160];
	snprintf(want, sizeof want, "%s\n", path);
	expect_sys(n, "loop/backing_file", want);
	expect_sys(n, "loop/offset", "0\n");
	expect_sys(n, "loop/sizelimit", "0\n");
	expect_sys(n, "loop/autoclear", "0\n");
	expect_sys(n, "loop/partscan", "0\n");
	expect_sys(n, "loop/dio", "0\n");
	expect_pattern(loop, 0, 4096, 0, 1);
	expect_pattern(loop, (1 << 20) - 1000, 1000, (1 << 20) - 1000, 1);
	/* A write through the device reaches the file once written back. */
	unsigned char block[3000];
	memset(block, 0xa5, sizeof block);
	EXPECT_EQ(pwrite(loop, block, sizeof block, 5000), sizeof block);
	EXPECT_OK(fsync(loop));
	int file = open(path, O_RDONLY | O_CLOEXEC);
	EXPECT_OK(file);
	unsigned char back[3000];
	EXPECT_EQ(pread(file, back, sizeof back, 5000), sizeof back);
	EXPECT_MEMEQ(back, block, sizeof block);
	close(file);
	/* At the end: nothing to read, no room to write. */
	char c;
	EXPECT_EQ(pread(loop, &c, 1, 1 << 20), 0);
	EXPECT_ERRNO(pwrite(loop, &c, 1, 1 << 20), ENOSPC);
	/* Bound: a second file is EBUSY. */
	int other = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_FD, other), EBUSY);
	close(other);
	EXPECT_OK(ioctl(loop, LOOP_CLR_FD, 0));
	EXPECT_EQ(dev_size(loop), 0);
	EXPECT_ERRNO(ioctl(loop, LOOP_CLR_FD, 0), ENXIO);
	EXPECT_TRUE(!is_bound(loop));
	char sysloop[64];
	snprintf(sysloop, sizeof sysloop, "/sys/block/loop%d/loop", n);
	EXPECT_ERRNO(access(sysloop, F_OK), ENOENT);
	EXPECT_TRUE(!in_partitions(name, 1024));
	EXPECT_EQ(pread(loop, &c, 1, 0), 0);
	close(loop);
}

TEST(loop, status64)
{
	loop_ready();
	const char *path = make_file("st", 64 << 10, 2);
	struct stat st;
	EXPECT_OK(stat(path, &st));
	int n, loop = free_loop(&n);
	bind_fd(loop, path, O_RDWR);
	struct loop_info64 info;
	memset(&info, 0xff, sizeof info);
	EXPECT_OK(ioctl(loop, LOOP_GET_STATUS64, &info));
	EXPECT_EQ(info.lo_number, n);
	EXPECT_EQ(info.lo_offset, 0);
	EXPECT_EQ(info.lo_sizelimit, 0);
	EXPECT_EQ(info.lo_flags, 0);
	EXPECT_EQ(info.lo_inode, st.st_ino);
	EXPECT_EQ(info.lo_device, st.st_dev);
	EXPECT_EQ(info.lo_rdevice, 0);
	EXPECT_EQ(info.lo_file_name[0], 0);
	EXPECT_ERRNO(ioctl(loop, LOOP_GET_STATUS64, NULL), EINVAL);
	EXPECT_ERRNO(ioctl(loop, LOOP_GET_STATUS64, (void *)8), EFAULT);
	/* Offset, size limit, name and autoclear; read-only is not settable. */
	memset(&info, 0, sizeof info);
	info.lo_offset = 4096;
	info.lo_sizelimit = 8192;
	info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_READ_ONLY;
	strcpy((char *)info.lo_file_name, "hello");
	EXPECT_OK(ioctl(loop, LOOP_SET_STATUS64, &info));
	memset(&info, 0, sizeof info);
	EXPECT_OK(ioctl(loop, LOOP_GET_STATUS64, &info));
	EXPECT_EQ(info.lo_offset, 4096);
	EXPECT_EQ(info.lo_sizelimit, 8192);
	EXPECT_EQX(info.lo_flags, LO_FLAGS_AUTOCLEAR);
	EXPECT_STREQ((char *)info.lo_file_name, "hello");
	EXPECT_EQ(dev_size(loop), 8192);
	expect_pattern(loop, 0, 8192, 4096, 2);
	expect_sys(n, "loop/offset", "4096\n");
	expect_sys(n, "loop/sizelimit", "8192\n");
	expect_sys(n, "loop/autoclear", "1\n");
	/* Autoclear can be cleared; partscan can be set but not cleared. */
	info.lo_flags = LO_FLAGS_PARTSCAN;
	EXPECT_OK(ioctl(loop, LOOP_SET_STATUS64, &info));
	EXPECT_OK(ioctl(loop, LOOP_GET_STATUS64, &info));
	EXPECT_EQX(info.lo_flags, LO_FLAGS_PARTSCAN);
	info.lo_flags = 0;
	EXPECT_OK(ioctl(loop, LOOP_SET_STATUS64, &info));
	EXPECT_OK(ioctl(loop, LOOP_GET_STATUS64, &info));
	EXPECT_EQX(info.lo_flags, LO_FLAGS_PARTSCAN);
	expect_sys(n, "loop/partscan", "1\n");
	expect_sys(n, "loop/autoclear", "0\n");
	/* Bad requests change nothing. */
	struct loop_info64 bad = info;
	bad.lo_encrypt_type = 1;
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_STATUS64, &bad), EINVAL);
	bad = info;
	bad.lo_encrypt_key_size = 33;
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_STATUS64, &bad), EINVAL);
	bad = info;
	bad.lo_offset = 1ULL << 63;
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_STATUS64, &bad), EOVERFLOW);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_STATUS64, (void *)8), EFAULT);
	EXPECT_OK(ioctl(loop, LOOP_GET_STATUS64, &info));
	EXPECT_EQ(info.lo_offset, 4096);
	/* Past the end of the file the device is empty. */
	info.lo_offset = 1 << 20;
	info.lo_sizelimit = 0;
	EXPECT_OK(ioctl(loop, LOOP_SET_STATUS64, &info));
	EXPECT_EQ(dev_size(loop), 0);
	EXPECT_OK(ioctl(loop, LOOP_CLR_FD, 0));
	EXPECT_ERRNO(ioctl(loop, LOOP_GET_STATUS64, &info), ENXIO);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_STATUS64, &info), ENXIO);
	close(loop);
}

TEST(loop, status_old)
{
	loop_ready();
	const char *path = make_file("old", 64 << 10, 3);
	struct stat st;
	EXPECT_OK(stat(path, &st));
	int n, loop = free_loop(&n);
	bind_fd(loop, path, O_RDWR);
	struct loop_info info;
	memset(&info, 0, sizeof info);
	info.lo_offset = 512;
	strcpy(info.lo_name, "old-name");
	EXPECT_OK(ioctl(loop, LOOP_SET_STATUS, &info));
	memset(&info, 0xff, sizeof info);
	EXPECT_OK(ioctl(loop, LOOP_GET_STATUS, &info));
	EXPECT_EQ(info.lo_number, n);
	EXPECT_EQ(info.lo_offset, 512);
	EXPECT_EQ(info.lo_inode, st.st_ino);
	EXPECT_STREQ(info.lo_name, "old-name");
	EXPECT_EQ(dev_size(loop), (64 << 10) - 512);
	struct loop_info64 info64;
	EXPECT_OK(ioctl(loop, LOOP_GET_STATUS64, &info64));
	EXPECT_STREQ((char *)info64.lo_file_name, "old-name");
	EXPECT_EQ(info64.lo_sizelimit, 0);
	/* A negative offset is past LLONG_MAX once widened. */
	info.lo_offset = -1;
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_STATUS, &info), EOVERFLOW);
	/* An offset the old structure cannot hold. */
	info64.lo_offset = 1ULL << 31;
	EXPECT_OK(ioctl(loop, LOOP_SET_STATUS64, &info64));
	EXPECT_ERRNO(ioctl(loop, LOOP_GET_STATUS, &info), EOVERFLOW);
	EXPECT_ERRNO(ioctl(loop, LOOP_GET_STATUS, NULL), EINVAL);
	EXPECT_OK(ioctl(loop, LOOP_CLR_FD, 0));
	EXPECT_ERRNO(ioctl(loop, LOOP_GET_STATUS, &info), ENXIO);
	close(loop);
}

TEST(loop, configure)
{
	loop_ready();
	const char *path = make_file("cfg", 256 << 10, 4);
	int n, loop = free_loop(&n);
	int file = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_OK(file);
	struct loop_config config;
	memset(&config, 0, sizeof config);
	config.fd = file;
	config.block_size = 1000;
	EXPECT_ERRNO(ioctl(loop, LOOP_CONFIGURE, &config), EINVAL);
	config.block_size = 4096;
	config.info.lo_flags = 2;
	EXPECT_ERRNO(ioctl(loop, LOOP_CONFIGURE, &config), EINVAL);
	config.info.lo_flags = 0;
	config.fd = 9999;
	EXPECT_ERRNO(ioctl(loop, LOOP_CONFIGURE, &config), EBADF);
	EXPECT_ERRNO(ioctl(loop, LOOP_CONFIGURE, (void *)8), EFAULT);
	EXPECT_TRUE(!is_bound(loop));
	config.fd = file;
	config.info.lo_offset = 4096;
	config.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
	strcpy((char *)config.info.lo_file_name, "configured");
	EXPECT_OK(ioctl(loop, LOOP_CONFIGURE, &config));
	EXPECT_ERRNO(ioctl(loop, LOOP_CONFIGURE, &config), EBUSY);
	close(file);
	int size = 0;
	EXPECT_OK(ioctl(loop, BLKSSZGET, &size));
	EXPECT_EQ(size, 4096);
	char want[16];
	snprintf(want, sizeof want, "loop%d", n);
	char attr[64];
	snprintf(attr, sizeof attr, "/sys/block/%s/queue/logical_block_size", want);
	char buf[32];
	h_read_file(attr, buf, sizeof buf);
	EXPECT_STREQ(buf, "4096\n");
	int ro = 0;
	EXPECT_OK(ioctl(loop, BLKROGET, &ro));
	EXPECT_EQ(ro, 1);
	expect_sys(n, "ro", "1\n");
	struct loop_info64 info;
	EXPECT_OK(ioctl(loop, LOOP_GET_STATUS64, &info));
	EXPECT_EQX(info.lo_flags, LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR);
	EXPECT_EQ(info.lo_offset, 4096);
	EXPECT_STREQ((char *)info.lo_file_name, "configured");
	EXPECT_EQ(dev_size(loop), (256 << 10) - 4096);
	expect_pattern(loop, 8192, 4096, 8192 + 4096, 4);
	char c = 0;
	EXPECT_ERRNO(pwrite(loop, &c, 1, 0), EPERM);
	/* Autoclear: the last close unbinds. */
	close(loop);
	loop = open_loop(n, O_RDWR);
	EXPECT_TRUE(!is_bound(loop));
	/* 6.1 leaves the disk read-only until the next bind. */
	expect_sys(n, "ro", "1\n");
	close(loop);
}

TEST(loop, clear_while_open)
{
	loop_ready();
	const char *path = make_file("clr", 64 << 10, 5);
	int n, loop = free_loop(&n);
	bind_fd(loop, path, O_RDWR);
	int second = open_loop(n, O_RDONLY);
	/* Open twice: the clear waits for the last close. */
	EXPECT_OK(ioctl(loop, LOOP_CLR_FD, 0));
	EXPECT_TRUE(is_bound(loop));
	struct loop_info64 info;
	EXPECT_OK(ioctl(second, LOOP_GET_STATUS64, &info));
	EXPECT_EQX(info.lo_flags, LO_FLAGS_AUTOCLEAR);
	expect_pattern(second, 0, 512, 0, 5);
	close(second);
	EXPECT_TRUE(is_bound(loop));
	close(loop);
	loop = open_loop(n, O_RDONLY);
	EXPECT_TRUE(!is_bound(loop));
	close(loop);
}

TEST(loop, bind_errors)
{
	loop_ready();
	const char *path = make_file("err", 64 << 10, 6);
	int n, loop = free_loop(&n);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_FD, 9999), EBADF);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_FD, -1), EBADF);
	int dir = open(FILES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_FD, dir), EINVAL);
	close(dir);
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_FD, p[0]), EINVAL);
	close(p[0]);
	close(p[1]);
	int null = open(DEV "/null", O_RDWR | O_CLOEXEC);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_FD, null), EINVAL);
	close(null);
	int opath = open(path, O_PATH | O_CLOEXEC);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_FD, opath), EBADF);
	close(opath);
	/* Itself. */
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_FD, loop), EBADF);
	/* Unbound: everything but binding is ENXIO; unknown commands EINVAL. */
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_CAPACITY, 0), ENXIO);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_BLOCK_SIZE, 4096), ENXIO);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_DIRECT_IO, 0), ENXIO);
	int file = open(path, O_RDONLY | O_CLOEXEC);
	EXPECT_ERRNO(ioctl(loop, LOOP_CHANGE_FD, file), ENXIO);
	close(file);
	EXPECT_ERRNO(ioctl(loop, 0x4C7F, 0), EINVAL);
	close(loop);
}

TEST(loop, read_only)
{
	loop_ready();
	const char *path = make_file("ro", 64 << 10, 7);
	int n, loop = free_loop(&n);
	/* A backing file open read-only makes a read-only device. */
	bind_fd(loop, path, O_RDONLY);
	struct loop_info64 info;
	EXPECT_OK(ioctl(loop, LOOP_GET_STATUS64, &info));
	EXPECT_EQX(info.lo_flags, LO_FLAGS_READ_ONLY);
	int ro = 0;
	EXPECT_OK(ioctl(loop, BLKROGET, &ro));
	EXPECT_EQ(ro, 1);
	char c = 0;
	EXPECT_ERRNO(pwrite(loop, &c, 1, 0), EPERM);
	expect_pattern(loop, 1024, 1024, 1024, 7);
	/* Read-only: the backing file can change to one of the same size. */
	const char *same = make_file("ro-same", 64 << 10, 8);
	const char *bigger = make_file("ro-big", 128 << 10, 9);
	int big = open(bigger, O_RDONLY | O_CLOEXEC);
	EXPECT_ERRNO(ioctl(loop, LOOP_CHANGE_FD, big), EINVAL);
	close(big);
	int other = open(same, O_RDONLY | O_CLOEXEC);
	EXPECT_OK(ioctl(loop, LOOP_CHANGE_FD, other));
	close(other);
	expect_pattern(loop, 1024, 1024, 1024, 8);
	char want[160];
	snprintf(want, sizeof want, "%s\n", same);
	expect_sys(n, "loop/backing_file", want);
	EXPECT_OK(ioctl(loop, LOOP_CLR_FD, 0));
	/* A device opened read-only binds read-only too. */
	close(loop);
	loop = open_loop(n, O_RDONLY);
	bind_fd(loop, path, O_RDWR);
	EXPECT_OK(ioctl(loop, LOOP_GET_STATUS64, &info));
	EXPECT_EQX(info.lo_flags, LO_FLAGS_READ_ONLY);
	/* Read-write: no change of backing file. */
	EXPECT_OK(ioctl(loop, LOOP_CLR_FD, 0));
	close(loop);
	loop = open_loop(n, O_RDWR);
	bind_fd(loop, path, O_RDWR);
	other = open(same, O_RDONLY | O_CLOEXEC);
	EXPECT_ERRNO(ioctl(loop, LOOP_CHANGE_FD, other), EINVAL);
	close(other);
	EXPECT_OK(ioctl(loop, LOOP_CLR_FD, 0));
	close(loop);
}

TEST(loop, capacity_block_size_dio)
{
	loop_ready();
	const char *path = make_file("cap", 64 << 10, 10);
	int n, loop = free_loop(&n);
	bind_fd(loop, path, O_RDWR);
	EXPECT_OK(truncate(path, 128 << 10));
	EXPECT_EQ(dev_size(loop), 64 << 10);
	EXPECT_OK(ioctl(loop, LOOP_SET_CAPACITY, 0));
	EXPECT_EQ(dev_size(loop), 128 << 10);
	expect_sys(n, "size", "256\n");
	/* Block sizes: powers of two from 512 to the page size. */
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_BLOCK_SIZE, 1000), EINVAL);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_BLOCK_SIZE, 256), EINVAL);
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_BLOCK_SIZE, 8192), EINVAL);
	EXPECT_OK(ioctl(loop, LOOP_SET_BLOCK_SIZE, 1024));
	int size = 0;
	EXPECT_OK(ioctl(loop, BLKSSZGET, &size));
	EXPECT_EQ(size, 1024);
	EXPECT_OK(ioctl(loop, LOOP_SET_BLOCK_SIZE, 1024));
	/* tmpfs has no direct I/O in 6.1. */
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_DIRECT_IO, 1), EINVAL);
	expect_sys(n, "loop/dio", "0\n");
	EXPECT_OK(ioctl(loop, LOOP_SET_DIRECT_IO, 0));
	EXPECT_OK(ioctl(loop, LOOP_CLR_FD, 0));
	EXPECT_ERRNO(ioctl(loop, LOOP_SET_CAPACITY, 0), ENXIO);
	close(loop);
}

TEST(loop, stacked)
{
	loop_ready();
	const char *path = make_file("stack", 128 << 10, 11);
	int a, loop_a = free_loop(&a);
	bind_fd(loop_a, path, O_RDWR);
	int b, loop_b = free_loop(&b);
	EXPECT_NE(a, b);
	/* loopB over loopA (the block device as a backing file). */
	EXPECT_OK(ioctl(loop_b, LOOP_SET_FD, loop_a));
	EXPECT_EQ(dev_size(loop_b), 128 << 10);
	expect_pattern(loop_b, 4096, 4096, 4096, 11);
	struct loop_info64 info;
	EXPECT_OK(ioctl(loop_b, LOOP_GET_STATUS64, &info));
	struct stat st;
	char name[64];
	snprintf(name, sizeof name, DEV "/loop%d", a);
	EXPECT_OK(stat(name, &st));
	EXPECT_EQ(info.lo_rdevice, st.st_rdev);
	EXPECT_EQ(info.lo_inode, st.st_ino);
	/* Direct I/O is possible over a block device. */
	EXPECT_OK(ioctl(loop_b, LOOP_SET_DIRECT_IO, 1));
	expect_sys(b, "loop/dio", "1\n");
	EXPECT_OK(ioctl(loop_b, BLKFLSBUF, 0));
	expect_pattern(loop_b, 8192, 4096, 8192, 11);
	unsigned char block[4096];
	memset(block, 0x77, sizeof block);
	EXPECT_EQ(pwrite(loop_b, block, sizeof block, 16384), 4096);
	EXPECT_OK(fsync(loop_b));
	unsigned char back[4096];
	EXPECT_EQ(pread(loop_a, back, sizeof back, 16384), 4096);
	EXPECT_MEMEQ(back, block, sizeof block);
	EXPECT_OK(ioctl(loop_b, LOOP_SET_DIRECT_IO, 0));
	expect_sys(b, "loop/dio", "0\n");
	/* Itself. */
	int c, loop_c = free_loop(&c);
	EXPECT_ERRNO(ioctl(loop_c, LOOP_SET_FD, loop_c), EBADF);
	/* loopB holds the descriptor's file, not an open of its own: loopA,
	 * open once, unbinds at once. */
	EXPECT_OK(ioctl(loop_a, LOOP_CLR_FD, 0));
	EXPECT_TRUE(!is_bound(loop_a));
	/* A cycle: loopA over loopB over loopA. */
	EXPECT_ERRNO(ioctl(loop_a, LOOP_SET_FD, loop_b), EBADF);
	/* Through an unbound device. */
	EXPECT_ERRNO(ioctl(loop_c, LOOP_SET_FD, loop_b), EINVAL);
	EXPECT_OK(ioctl(loop_b, LOOP_CLR_FD, 0));
	close(loop_a);
	close(loop_b);
	close(loop_c);
}

TEST(loop, partitions)
{
	loop_ready();
	/* 2 MiB with an MBR: partition 1 at sector 64, 256 sectors. */
	const char *path = make_file("part", 2 << 20, 12);
	int file = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_OK(file);
	unsigned char mbr[512];
	memset(mbr, 0, sizeof mbr);
	unsigned char *entry = mbr + 446;
	entry[4] = 0x83;
	entry[8] = 64;
	entry[12] = 0;
	entry[13] = 1;
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	EXPECT_EQ(pwrite(file, mbr, sizeof mbr, 0), 512);
	int n, loop = free_loop(&n);
	struct loop_config config;
	memset(&config, 0, sizeof config);
	config.fd = file;
	config.info.lo_flags = LO_FLAGS_PARTSCAN;
	EXPECT_OK(ioctl(loop, LOOP_CONFIGURE, &config));
	char part[32];
	snprintf(part, sizeof part, "loop%dp1", n);
	wait_node(part, 1);
	char sys[96], buf[64];
	snprintf(sys, sizeof sys, "/sys/block/loop%d/%s/size", n, part);
	h_read_file(sys, buf, sizeof buf);
	EXPECT_STREQ(buf, "256\n");
	snprintf(sys, sizeof sys, "/sys/block/loop%d/%s/start", n, part);
	h_read_file(sys, buf, sizeof buf);
	EXPECT_STREQ(buf, "64\n");
	expect_sys(n, "loop/partscan", "1\n");
	EXPECT_TRUE(in_partitions(part, 128));
	char path1[64];
	snprintf(path1, sizeof path1, DEV "/%s", part);
	struct stat st;
	EXPECT_OK(stat(path1, &st));
	EXPECT_TRUE(S_ISBLK(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 259);
	int p1 = open(path1, O_RDONLY | O_CLOEXEC);
	EXPECT_OK(p1);
	EXPECT_EQ(dev_size(p1), 256 * 512);
	expect_pattern(p1, 0, 4096, 64 * 512, 12);
	close(p1);
	EXPECT_OK(ioctl(loop, LOOP_CLR_FD, 0));
	wait_node(part, 0);
	EXPECT_TRUE(!in_partitions(part, 128));
	close(file);
	close(loop);
}

TEST(loop, direct_io_block_device)
{
	loop_ready();
	const char *path = make_file("dio", 256 << 10, 13);
	int n, loop = free_loop(&n);
	bind_fd(loop, path, O_RDWR);
	EXPECT_OK(ioctl(loop, LOOP_SET_BLOCK_SIZE, 4096));
	char name[64];
	snprintf(name, sizeof name, DEV "/loop%d", n);
	int direct = open(name, O_RDWR | O_DIRECT | O_CLOEXEC);
	EXPECT_OK(direct);
	EXPECT_EQX(fcntl(direct, F_GETFL) & O_DIRECT, O_DIRECT);
	unsigned char *buf = NULL;
	EXPECT_EQ(posix_memalign((void **)&buf, 4096, 3 * 4096), 0);
	/* Aligned to the 4096-byte logical block: fine. */
	EXPECT_EQ(pread(direct, buf, 8192, 4096), 8192);
	for (int i = 0; i < 8192; i++)
		if (buf[i] != pattern(4096 + i, 13))
			FAIL("direct read byte %d", i);
	/* Misaligned position, address or length: EINVAL. */
	EXPECT_ERRNO(pread(direct, buf, 4096, 512), EINVAL);
	EXPECT_ERRNO(pread(direct, buf + 100, 4096, 0), EINVAL);
	/* Addresses need only the DMA alignment, 512. */
	EXPECT_EQ(pread(direct, buf + 512, 4096, 0), 4096);
	EXPECT_ERRNO(pread(direct, buf, 512, 0), EINVAL);
	EXPECT_ERRNO(pwrite(direct, buf, 100, 0), EINVAL);
	EXPECT_ERRNO(lseek(direct, 512, SEEK_SET) == 512 ? read(direct, buf, 4096) : -2,
		     EINVAL);
	/* A buffered write not yet written back is what a direct read sees. */
	int buffered = open(name, O_RDWR | O_CLOEXEC);
	EXPECT_OK(buffered);
	unsigned char block[4096];
	memset(block, 0x3c, sizeof block);
	EXPECT_EQ(pwrite(buffered, block, sizeof block, 16384), 4096);
	EXPECT_EQ(pread(direct, buf, 4096, 16384), 4096);
	EXPECT_MEMEQ(buf, block, 4096);
	/* A direct write is what a buffered read sees, after it was cached. */
	expect_pattern(buffered, 32768, 4096, 32768, 13);
	memset(buf, 0x5a, 4096);
	EXPECT_EQ(pwrite(direct, buf, 4096, 32768), 4096);
	unsigned char back[4096];
	EXPECT_EQ(pread(buffered, back, 4096, 32768), 4096);
	EXPECT_MEMEQ(back, buf, 4096);
	/* And it went through to the backing file. */
	int file = open(path, O_RDONLY | O_CLOEXEC);
	EXPECT_EQ(pread(file, back, 4096, 32768), 4096);
	EXPECT_MEMEQ(back, buf, 4096);
	close(file);
	/* readv/writev with O_DIRECT: every vector aligned. */
	struct iovec iov[2] = {{buf, 4096}, {buf + 4096, 4096}};
	EXPECT_EQ(preadv(direct, iov, 2, 0), 8192);
	iov[1].iov_len = 100;
	EXPECT_ERRNO(preadv(direct, iov, 2, 0), EINVAL);
	/* F_SETFL can take O_DIRECT away and give it back on a block device. */
	EXPECT_OK(fcntl(direct, F_SETFL, 0));
	EXPECT_EQ(pread(direct, block, 100, 3), 100);
	EXPECT_OK(fcntl(direct, F_SETFL, O_DIRECT));
	EXPECT_ERRNO(pread(direct, block, 100, 3), EINVAL);
	free(buf);
	close(buffered);
	close(direct);
	EXPECT_OK(ioctl(loop, LOOP_CLR_FD, 0));
	close(loop);
}

TEST(loop, direct_io_elsewhere)
{
	loop_ready();
	/* tmpfs has no direct_IO in 6.1: open and F_SETFL refuse O_DIRECT. */
	const char *path = make_file("nodio", 4096, 14);
	EXPECT_ERRNO(open(path, O_RDONLY | O_DIRECT | O_CLOEXEC), EINVAL);
	EXPECT_ERRNO(open(FILES "/new-direct", O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC,
			  0644),
		     EINVAL);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_OK(fd);
	EXPECT_ERRNO(fcntl(fd, F_SETFL, O_DIRECT), EINVAL);
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_DIRECT, 0);
	close(fd);
	/* Nor do character devices and procfs files. */
	EXPECT_ERRNO(open(DEV "/null", O_RDWR | O_DIRECT | O_CLOEXEC), EINVAL);
	EXPECT_ERRNO(open("/proc/self/status", O_RDONLY | O_DIRECT | O_CLOEXEC), EINVAL);
	/* Pipes take it as packet mode. */
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_OK(fcntl(p[1], F_SETFL, O_DIRECT));
	close(p[0]);
	close(p[1]);
}
