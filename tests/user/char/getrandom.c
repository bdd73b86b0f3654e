/*
 * Suite getrandom: getrandom(2) as the raw syscall.
 *
 * Guards Linux's drivers/char/random.c SYSCALL(getrandom): flags beyond
 * GRND_NONBLOCK|GRND_RANDOM|GRND_INSECURE are EINVAL, GRND_INSECURE together
 * with GRND_RANDOM is EINVAL, a zero length returns 0 (even with a NULL
 * buffer), large requests are served in full once the CRNG is ready (on a VM
 * with RDRAND it is ready before init runs, so GRND_NONBLOCK succeeds), and a
 * bad buffer is EFAULT.  Man page getrandom(2).
 */
#include "harness.h"

#include <sys/mman.h>
#include <sys/random.h>

static long raw_getrandom(void *buf, size_t len, unsigned flags)
{
	return syscall(SYS_getrandom, buf, len, flags);
}

TEST(getrandom, fills_buffer)
{
	unsigned char a[64], b[64], zero[64] = {0};
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	EXPECT_EQ(raw_getrandom(a, sizeof a, 0), 64);
	EXPECT_EQ(raw_getrandom(b, sizeof b, 0), 64);
	EXPECT_TRUE(memcmp(a, zero, 64) != 0);
	EXPECT_TRUE(memcmp(a, b, 64) != 0);
}

TEST(getrandom, exact_length)
{
	unsigned char buf[32];
	memset(buf, 0xee, sizeof buf);
	EXPECT_EQ(raw_getrandom(buf, 5, 0), 5);
	for (int i = 5; i < 32; i++)
		EXPECT_EQ(buf[i], 0xee);
	EXPECT_EQ(raw_getrandom(buf, 1, 0), 1);
}

TEST(getrandom, flags_accepted)
{
	unsigned char buf[16];
	EXPECT_EQ(raw_getrandom(buf, sizeof buf, GRND_NONBLOCK), 16);
	EXPECT_EQ(raw_getrandom(buf, sizeof buf, GRND_RANDOM), 16);
	EXPECT_EQ(raw_getrandom(buf, sizeof buf, GRND_RANDOM | GRND_NONBLOCK), 16);
	EXPECT_EQ(raw_getrandom(buf, sizeof buf, GRND_INSECURE), 16);
	EXPECT_EQ(raw_getrandom(buf, sizeof buf, GRND_INSECURE | GRND_NONBLOCK), 16);
}

TEST(getrandom, bad_flags_einval)
{
	unsigned char buf[16];
	EXPECT_ERRNO(raw_getrandom(buf, sizeof buf, 0x8), EINVAL);
	EXPECT_ERRNO(raw_getrandom(buf, sizeof buf, 0x80000000u), EINVAL);
	EXPECT_ERRNO(raw_getrandom(buf, sizeof buf, GRND_INSECURE | GRND_RANDOM), EINVAL);
	/* Flags are checked before the length. */
	EXPECT_ERRNO(raw_getrandom(NULL, 0, 0x8), EINVAL);
}

TEST(getrandom, zero_length)
{
	EXPECT_EQ(raw_getrandom(NULL, 0, 0), 0);
	EXPECT_EQ(raw_getrandom(H_BAD_PTR, 0, GRND_NONBLOCK), 0);
}

TEST(getrandom, large_request)
{
	size_t len = 1 << 20;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(raw_getrandom(p, len, 0), (long)len);
	/* The last page got random bytes too. */
	int nonzero = 0;
	for (size_t i = len - 4096; i < len; i++)
		nonzero += p[i] != 0;
	EXPECT_GT(nonzero, 3000);
	EXPECT_EQ(raw_getrandom(p, len, GRND_RANDOM), (long)len);
	munmap(p, len);
}

TEST(getrandom, efault)
{
	EXPECT_ERRNO(raw_getrandom(H_BAD_PTR, 16, 0), EFAULT);
	EXPECT_ERRNO(raw_getrandom(H_KERNEL_PTR, 16, 0), EFAULT);
}

TEST(getrandom, libc_wrapper)
{
	unsigned char buf[8];
	EXPECT_EQ(getentropy(buf, sizeof buf), 0);
	EXPECT_EQ(getrandom(buf, sizeof buf, GRND_NONBLOCK), 8);
}
