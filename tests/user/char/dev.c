/*
 * Suite dev: the memory character devices and the console nodes, through
 * open/read/write/fstat.
 *
 * Guards Linux's drivers/char/mem.c (/dev/null 1:3 reads EOF and swallows
 * writes; /dev/zero 1:5 reads zeros and swallows writes), drivers/char/random.c
 * (/dev/random 1:8, /dev/urandom 1:9; random_ioctl: RNDGETENTCNT agrees with
 * entropy_avail, the other requests need CAP_SYS_ADMIN, unknown ones are
 * EINVAL), drivers/tty/tty_io.c (/dev/tty 5:0,
 * /dev/console 5:1; opening /dev/tty without a controlling terminal is ENXIO,
 * and init has none) and init/main.c console_on_rootfs() which opens
 * /dev/console as init's fds 0, 1 and 2.  Device numbers: Documentation/
 * admin-guide/devices.txt.
 */
#include "harness.h"
#include "../proc/proc.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void expect_chr(const char *path, unsigned maj, unsigned min)
{
	struct stat st;
	if (stat(path, &st) != 0)
		FAIL("stat(%s): %s", path, h_errname(errno));
	if (!S_ISCHR(st.st_mode))
		FAIL("%s: mode 0%o is not a character device", path,
		     (unsigned)st.st_mode);
	if (major(st.st_rdev) != maj || minor(st.st_rdev) != min)
		FAIL("%s: expected %u:%u got %u:%u", path, maj, min,
		     (unsigned)major(st.st_rdev), (unsigned)minor(st.st_rdev));
}

TEST(dev, device_numbers)
{
	expect_chr("/dev/null", 1, 3);
	expect_chr("/dev/zero", 1, 5);
	expect_chr("/dev/random", 1, 8);
	expect_chr("/dev/urandom", 1, 9);
	expect_chr("/dev/tty", 5, 0);
	expect_chr("/dev/console", 5, 1);
}

TEST(dev, null_reads_eof)
{
	int fd = EXPECT_OK(open("/dev/null", O_RDONLY));
	char buf[16];
	EXPECT_EQ(read(fd, buf, sizeof buf), 0);
	EXPECT_EQ(read(fd, buf, sizeof buf), 0);
	EXPECT_EQ(read(fd, NULL, 0), 0);
}

TEST(dev, null_swallows_writes)
{
	int fd = EXPECT_OK(open("/dev/null", O_WRONLY));
	static char big[65536];
	EXPECT_EQ(write(fd, "hello", 5), 5);
	EXPECT_EQ(write(fd, big, sizeof big), (long)sizeof big);
	EXPECT_EQ(write(fd, NULL, 0), 0);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 0);
	EXPECT_ERRNO(read(fd, big, 1), EBADF);
}

TEST(dev, zero_reads_zeros)
{
	int fd = EXPECT_OK(open("/dev/zero", O_RDONLY));
	static unsigned char buf[70000];
	memset(buf, 0xa5, sizeof buf);
	EXPECT_EQ(read(fd, buf, sizeof buf), (long)sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		if (buf[i])
			FAIL("byte %zu is %d, expected 0", i, buf[i]);
	memset(buf, 0xa5, 10);
	EXPECT_EQ(read(fd, buf, 7), 7);
	EXPECT_EQ(buf[6], 0);
	EXPECT_EQ(buf[7], 0xa5);
}

TEST(dev, zero_swallows_writes)
{
	int fd = EXPECT_OK(open("/dev/zero", O_RDWR));
	EXPECT_EQ(write(fd, "abc", 3), 3);
	char c = 1;
	EXPECT_EQ(read(fd, &c, 1), 1);
	EXPECT_EQ(c, 0);
}

TEST(dev, zero_read_efault)
{
	int fd = EXPECT_OK(open("/dev/zero", O_RDONLY));
	EXPECT_ERRNO(read(fd, H_BAD_PTR, 16), EFAULT);
}

TEST(dev, urandom_reads_bytes)
{
	int fd = EXPECT_OK(open("/dev/urandom", O_RDONLY));
	unsigned char a[32], b[32], zero[32] = {0};
	EXPECT_EQ(read(fd, a, sizeof a), 32);
	EXPECT_EQ(read(fd, b, sizeof b), 32);
	EXPECT_TRUE(memcmp(a, zero, 32) != 0);
	EXPECT_TRUE(memcmp(a, b, 32) != 0);
	int r = EXPECT_OK(open("/dev/random", O_RDONLY));
	EXPECT_EQ(read(r, a, 16), 16);
}

#define K_RNDGETENTCNT 0x80045200
#define K_RNDADDTOENTCNT 0x40045201
#define K_RNDADDENTROPY 0x40085203
#define K_RNDZAPENTCNT 0x5204
#define K_RNDCLEARPOOL 0x5206
#define K_TCGETS 0x5401

struct k_rand_pool_info {
	int entropy_count;
	int buf_size;
	unsigned buf[2];
};

static void random_ioctls_unprivileged(void *arg)
{
	int fd = *(int *)arg;
	EXPECT_OK(setuid(65534));
	int count = -1;
	EXPECT_OK(ioctl(fd, K_RNDGETENTCNT, &count));
	int zero = 0;
	EXPECT_ERRNO(ioctl(fd, K_RNDADDTOENTCNT, &zero), EPERM);
	struct k_rand_pool_info info = {0, 8, {1, 2}};
	EXPECT_ERRNO(ioctl(fd, K_RNDADDENTROPY, &info), EPERM);
	EXPECT_ERRNO(ioctl(fd, K_RNDZAPENTCNT, 0), EPERM);
	EXPECT_ERRNO(ioctl(fd, K_RNDCLEARPOOL, 0), EPERM);
	/* Unknown requests are EINVAL before any privilege check. */
	EXPECT_ERRNO(ioctl(fd, K_TCGETS, &count), EINVAL);
}

TEST(dev, random_ioctls)
{
	proc_ready();
	int fd = EXPECT_OK(open("/dev/urandom", O_RDONLY));
	int count = -1;
	EXPECT_OK(ioctl(fd, K_RNDGETENTCNT, &count));
	char text[32];
	proc_read("/proc/sys/kernel/random/entropy_avail", text, sizeof text);
	EXPECT_EQ(count, atoi(text));
	EXPECT_ERRNO(ioctl(fd, K_RNDGETENTCNT, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(ioctl(fd, K_TCGETS, &count), EINVAL);
	int null = EXPECT_OK(open("/dev/null", O_RDONLY));
	EXPECT_ERRNO(ioctl(null, K_RNDGETENTCNT, &count), ENOTTY);
	close(null);
	/* Written data is mixed in. */
	int w = EXPECT_OK(open("/dev/random", O_WRONLY));
	EXPECT_EQ(write(w, "seed", 4), 4);
	close(w);
	if (geteuid() != 0) {
		close(fd);
		return;
	}
	int n = -1;
	EXPECT_ERRNO(ioctl(fd, K_RNDADDTOENTCNT, &n), EINVAL);
	n = 0;
	EXPECT_OK(ioctl(fd, K_RNDADDTOENTCNT, &n));
	EXPECT_ERRNO(ioctl(fd, K_RNDADDTOENTCNT, H_BAD_PTR), EFAULT);
	struct k_rand_pool_info info = {0, 8, {0x12345678, 0x9abcdef0}};
	EXPECT_OK(ioctl(fd, K_RNDADDENTROPY, &info));
	info.buf_size = -1;
	EXPECT_ERRNO(ioctl(fd, K_RNDADDENTROPY, &info), EFAULT);
	info.buf_size = 8;
	info.entropy_count = -1;
	EXPECT_ERRNO(ioctl(fd, K_RNDADDENTROPY, &info), EINVAL);
	EXPECT_OK(ioctl(fd, K_RNDZAPENTCNT, 0));
	EXPECT_OK(ioctl(fd, K_RNDCLEARPOOL, 0));
	EXPECT_OK(ioctl(fd, K_RNDGETENTCNT, &count));
	EXPECT_EQ(count, atoi(text));
	EXPECT_CHILD_OK(random_ioctls_unprivileged, &fd);
	close(fd);
}

TEST(dev, init_fds_are_console)
{
	if (!h_is_init())
		return; /* only init's fds are defined */
	struct stat con, st;
	EXPECT_OK(stat("/dev/console", &con));
	for (int fd = 0; fd <= 2; fd++) {
		EXPECT_OK(fstat(fd, &st));
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(st.st_rdev, con.st_rdev);
	}
	EXPECT_EQ(fcntl(0, F_GETFL) & O_ACCMODE, O_RDWR);
	EXPECT_EQ(fcntl(1, F_GETFL) & O_ACCMODE, O_RDWR);
	EXPECT_EQ(fcntl(0, F_GETFD), 0);
}

TEST(dev, tty_without_ctty_enxio)
{
	if (!h_is_init())
		return; /* a host shell may give us a controlling terminal */
	EXPECT_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
}

TEST(dev, console_write)
{
	int fd = h_console_fd();
	EXPECT_EQ(write(fd, "", 0), 0);
	EXPECT_ERRNO(write(fd, H_BAD_PTR, 1), EFAULT);
}
