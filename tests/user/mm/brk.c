/*
 * Suite brk: the raw brk(2) system call (the libc wrappers hide its real
 * contract).
 *
 * Guards Linux's mm/mmap.c SYSCALL(brk): brk(0) (or any value the kernel
 * refuses) returns the current break unchanged, never an error; a granted
 * request returns exactly the requested (unaligned) value; the new memory is
 * zero-filled and usable; shrinking unmaps the pages, so growing again gives
 * fresh zero pages.  Man page brk(2) ("C library/kernel differences").
 */
#include "harness.h"

extern char end; /* first byte after .bss, from the linker */

static uintptr_t raw_brk(uintptr_t addr)
{
	return (uintptr_t)syscall(SYS_brk, addr);
}

TEST(brk, query)
{
	uintptr_t cur = raw_brk(0);
	EXPECT_NE(cur, 0);
	EXPECT_GE(cur, (uintptr_t)&end);
	EXPECT_EQX(raw_brk(0), cur);
}

TEST(brk, grow_touch_shrink)
{
	uintptr_t cur = raw_brk(0);
	uintptr_t want = cur + 16 * 4096;
	EXPECT_EQX(raw_brk(want), want);
	EXPECT_EQX(raw_brk(0), want);
	/* Start at the next page boundary: the partial page below may hold
	 * libc data. */
	volatile unsigned char *p = (unsigned char *)((cur + 4095) & ~4095UL);
	for (; (uintptr_t)p + 4096 <= want; p += 4096) {
		if (p[0] != 0 || p[4095] != 0)
			FAIL("fresh brk page at %p is not zero", (void *)p);
		p[0] = 0x5a;
		p[4095] = 0xa5;
		if (p[0] != 0x5a || p[4095] != 0xa5)
			FAIL("brk page at %p does not keep data", (void *)p);
	}
	EXPECT_EQX(raw_brk(cur), cur);
	EXPECT_EQX(raw_brk(0), cur);
}

TEST(brk, unaligned_value_returned_exactly)
{
	uintptr_t cur = raw_brk(0);
	uintptr_t want = cur + 8192 + 123;
	EXPECT_EQX(raw_brk(want), want);
	/* The whole last page is usable. */
	volatile unsigned char *last = (unsigned char *)(want - 1);
	*last = 7;
	EXPECT_EQ(*last, 7);
	EXPECT_EQX(raw_brk(cur), cur);
}

TEST(brk, refused_returns_current)
{
	uintptr_t cur = raw_brk(0);
	/* Below the start of the data segment. */
	EXPECT_EQX(raw_brk(1), cur);
	EXPECT_EQX(raw_brk(4096), cur);
	/* Far more than the machine has. */
	EXPECT_EQX(raw_brk(cur + (1UL << 45)), cur);
	/* A kernel address. */
	EXPECT_EQX(raw_brk(0xffff800000000000UL), cur);
	EXPECT_EQX(raw_brk(0), cur);
}

TEST(brk, regrow_gives_zero_pages)
{
	uintptr_t cur = raw_brk(0);
	uintptr_t base = (cur + 4095) & ~4095UL;
	uintptr_t want = base + 4 * 4096;
	EXPECT_EQX(raw_brk(want), want);
	memset((void *)base, 0x77, 4 * 4096);
	EXPECT_EQX(raw_brk(base), base);
	EXPECT_EQX(raw_brk(want), want);
	const unsigned char *p = (const unsigned char *)base;
	for (int i = 0; i < 4 * 4096; i++)
		if (p[i] != 0)
			FAIL("byte %d after shrink+grow is %#x, expected 0", i, p[i]);
	EXPECT_EQX(raw_brk(cur), cur);
}
