/*
 * Suite arch_prctl: arch_prctl(2) ARCH_GET_FS/ARCH_SET_FS/ARCH_GET_GS/
 * ARCH_SET_GS.
 *
 * Guards Linux's arch/x86/kernel/process_64.c do_arch_prctl_64: GET_FS
 * reports the FS base that libc installed (on x86-64 both glibc and musl point
 * it at the thread control block, whose first word points to itself), SET_FS
 * changes what %fs-relative loads read, an address at or above TASK_SIZE_MAX
 * is EPERM, a bad result pointer EFAULT, an unknown code EINVAL.  While FS is
 * switched away, only h_raw_syscall (no errno, no TLS) may run.  Man page
 * arch_prctl(2).
 */
#include "harness.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static inline unsigned long read_fs0(void)
{
	unsigned long v;
	__asm__ volatile("movq %%fs:0, %0" : "=r"(v));
	return v;
}

static inline unsigned long read_gs0(void)
{
	unsigned long v;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(v));
	return v;
}

TEST(arch_prctl, get_fs_is_libc_tcb)
{
	unsigned long fs = 0;
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
	EXPECT_NE(fs, 0);
	/* The TCB's first word is its own address. */
	EXPECT_EQX(*(unsigned long *)fs, fs);
	EXPECT_EQX(read_fs0(), fs);
}

TEST(arch_prctl, set_fs_then_get)
{
	unsigned long old = 0;
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &old), 0);
	static unsigned long fake[8];
	fake[0] = 0x1234567890abcdefUL;
	unsigned long got = 0, seen;
	/* No libc between the two SET_FS calls: errno lives in TLS. */
	long r1 = h_raw_syscall(SYS_arch_prctl, ARCH_SET_FS, (long)fake, 0, 0, 0, 0);
	long r2 = h_raw_syscall(SYS_arch_prctl, ARCH_GET_FS, (long)&got, 0, 0, 0, 0);
	seen = read_fs0();
	long r3 = h_raw_syscall(SYS_arch_prctl, ARCH_SET_FS, (long)old, 0, 0, 0, 0);
	EXPECT_EQ(r1, 0);
	EXPECT_EQ(r2, 0);
	EXPECT_EQ(r3, 0);
	EXPECT_EQX(got, (unsigned long)fake);
	EXPECT_EQX(seen, 0x1234567890abcdefUL);
	EXPECT_EQX(read_fs0(), old);
}

TEST(arch_prctl, set_fs_kernel_address_eperm)
{
	unsigned long old = 0, now = 0;
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &old), 0);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_FS, 0xffff800000000000UL), EPERM);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_FS, ~0UL), EPERM);
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &now), 0);
	EXPECT_EQX(now, old);
}

TEST(arch_prctl, gs)
{
	unsigned long gs = 1;
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);
	EXPECT_EQ(gs, 0);
	static unsigned long area[4] = {0xfeedfacecafef00dUL};
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, area), 0);
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);
	EXPECT_EQX(gs, (unsigned long)area);
	EXPECT_EQX(read_gs0(), 0xfeedfacecafef00dUL);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_GS, 0xffff800000000000UL), EPERM);
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, 0), 0);
	EXPECT_EQ(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);
	EXPECT_EQ(gs, 0);
}

TEST(arch_prctl, errors)
{
	unsigned long v;
	EXPECT_ERRNO(syscall(SYS_arch_prctl, 0x9999, &v), EINVAL);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, 0, &v), EINVAL);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_GET_FS, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_GET_GS, H_KERNEL_PTR), EFAULT);
}
