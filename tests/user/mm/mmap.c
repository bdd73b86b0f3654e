/*
 * Suite mmap: mmap(2), munmap(2), mprotect(2) on anonymous private memory.
 *
 * Guards Linux's mm/mmap.c (do_mmap: length 0 or an unaligned offset/
 * MAP_FIXED address is EINVAL, neither MAP_PRIVATE nor MAP_SHARED is EINVAL,
 * a file mapping with fd -1 is EBADF, the fd of an anonymous mapping is
 * ignored, impossible lengths are ENOMEM, MAP_FIXED replaces what was there,
 * MAP_FIXED_NOREPLACE refuses with EEXIST; __do_munmap: unaligned address or
 * length 0 is EINVAL, unmapping nothing succeeds, a middle unmap splits the
 * mapping) and mm/mprotect.c (unaligned start EINVAL, unknown prot bits
 * EINVAL but PROT_SEM accepted, unmapped range ENOMEM, length 0 succeeds).
 * Unknown mmap flag bits are ignored, except with MAP_SHARED_VALIDATE on a
 * file (EOPNOTSUPP outside LEGACY_MAP_MASK, MAP_FIXED_NOREPLACE included);
 * an anonymous MAP_SHARED_VALIDATE mapping is EINVAL.  Anonymous pages read
 * as zeros.  Writes to read-only pages are not tested: they need signals.
 * A MAP_GROWSDOWN area grows down to a fault in the free space below it, but
 * not to within the stack guard gap (256 pages) of a mapping below
 * (expand_downwards: SIGSEGV).
 * Man pages mmap(2), mprotect(2).
 */
#include "harness.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#define PG 4096UL

static void *anon(void *addr, size_t len, int prot, int extra)
{
	return mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
}

/* Raw syscalls for error paths: musl checks or rounds some arguments itself. */
static long raw_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}
static long raw_anon(void *addr, size_t len, int prot, int extra)
{
	return raw_mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
}
static long raw_munmap(void *addr, size_t len)
{
	return syscall(SYS_munmap, addr, len);
}
static long raw_mprotect(void *addr, size_t len, int prot)
{
	return syscall(SYS_mprotect, addr, len, prot);
}

static void expect_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < len; i++)
		if (c[i])
			FAIL("byte %zu at %p is %#x, expected 0", i, (void *)(c + i), c[i]);
}

TEST(mmap, anonymous_zero_and_writable)
{
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, 4 * PG, PROT_READ | PROT_WRITE, 0));
	EXPECT_EQ((uintptr_t)p % PG, 0);
	expect_zero(p, 4 * PG);
	for (size_t i = 0; i < 4 * PG; i += 512)
		p[i] = (unsigned char)(i / 512 + 1);
	for (size_t i = 0; i < 4 * PG; i += 512)
		EXPECT_EQ(p[i], (unsigned char)(i / 512 + 1));
	EXPECT_OK(munmap(p, 4 * PG));
}

TEST(mmap, unaligned_length_rounds_up)
{
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, 5000, PROT_READ | PROT_WRITE, 0));
	/* The whole second page is mapped. */
	p[2 * PG - 1] = 1;
	EXPECT_EQ(p[2 * PG - 1], 1);
	EXPECT_OK(munmap(p, 5000));
}

TEST(mmap, large_lazy_mapping)
{
	size_t len = 256UL << 20;
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, len, PROT_READ | PROT_WRITE, 0));
	p[0] = 1;
	p[len / 2] = 2;
	p[len - 1] = 3;
	EXPECT_EQ(p[0] + p[len / 2] + p[len - 1], 6);
	EXPECT_EQ(p[len / 4], 0);
	EXPECT_OK(munmap(p, len));
}

TEST(mmap, map_fixed_replaces)
{
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, 4 * PG, PROT_READ | PROT_WRITE, 0));
	memset(p, 0x11, 4 * PG);
	void *q = (void *)EXPECT_OK(anon(p + PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_FIXED));
	EXPECT_EQX((uintptr_t)q, (uintptr_t)(p + PG));
	expect_zero(p + PG, 2 * PG);
	EXPECT_EQ(p[0], 0x11);
	EXPECT_EQ(p[PG - 1], 0x11);
	EXPECT_EQ(p[3 * PG], 0x11);
	EXPECT_OK(munmap(p, 4 * PG));
}

TEST(mmap, map_fixed_noreplace)
{
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, 3 * PG, PROT_READ | PROT_WRITE, 0));
	EXPECT_ERRNO(anon(p + PG, PG, PROT_READ | PROT_WRITE, MAP_FIXED_NOREPLACE), EEXIST);
	EXPECT_OK(munmap(p + PG, PG));
	void *q = (void *)EXPECT_OK(anon(p + PG, PG, PROT_READ | PROT_WRITE, MAP_FIXED_NOREPLACE));
	EXPECT_EQX((uintptr_t)q, (uintptr_t)(p + PG));
	EXPECT_OK(munmap(p, 3 * PG));
}

TEST(mmap, hint_is_page_aligned)
{
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, PG, PROT_READ | PROT_WRITE, 0));
	EXPECT_OK(munmap(p, PG));
	/* An unaligned hint without MAP_FIXED is not an error. */
	unsigned char *q = (void *)EXPECT_OK(anon(p + 5, PG, PROT_READ | PROT_WRITE, 0));
	EXPECT_EQ((uintptr_t)q % PG, 0);
	EXPECT_OK(munmap(q, PG));
}

TEST(mmap, einval)
{
	EXPECT_ERRNO(raw_anon(NULL, 0, PROT_READ, 0), EINVAL);
	EXPECT_ERRNO(raw_mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
	EXPECT_ERRNO(raw_anon(H_BAD_PTR, PG, PROT_READ, MAP_FIXED), EINVAL);
	EXPECT_ERRNO(raw_mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 100), EINVAL);
	EXPECT_ERRNO(raw_mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS | 0x0f /* bad type */, -1, 0), EINVAL);
}

TEST(mmap, file_mapping_bad_fd)
{
	/* Without MAP_ANONYMOUS the fd is looked up first. */
	EXPECT_ERRNO(raw_mmap(NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
	EXPECT_ERRNO(raw_mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 777, 0), EBADF);
	EXPECT_ERRNO(raw_mmap(NULL, PG, PROT_READ, 0x0f, -1, 0), EBADF);
}

TEST(mmap, anonymous_ignores_fd)
{
	void *p = (void *)EXPECT_OK(syscall(SYS_mmap, 0, PG, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, 777, 0));
	expect_zero(p, PG);
	EXPECT_OK(munmap(p, PG));
}

TEST(mmap, enomem)
{
	EXPECT_ERRNO(raw_anon(NULL, (size_t)-1, PROT_READ, 0), ENOMEM);
	EXPECT_ERRNO(raw_anon(NULL, (size_t)-PG, PROT_READ, 0), ENOMEM);
	EXPECT_ERRNO(raw_anon(NULL, 1UL << 57, PROT_READ, 0), ENOMEM);
}

TEST(mmap, munmap_errors)
{
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, 2 * PG, PROT_READ | PROT_WRITE, 0));
	EXPECT_ERRNO(raw_munmap(p + 1, PG), EINVAL);
	EXPECT_ERRNO(raw_munmap(p, 0), EINVAL);
	EXPECT_ERRNO(raw_munmap((void *)0xffff800000000000UL, PG), EINVAL);
	EXPECT_OK(munmap(p, 2 * PG));
	/* Nothing mapped there any more: still success. */
	EXPECT_OK(munmap(p, 2 * PG));
}

TEST(mmap, munmap_middle_splits)
{
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, 3 * PG, PROT_READ | PROT_WRITE, 0));
	p[0] = 1;
	p[2 * PG] = 3;
	EXPECT_OK(munmap(p + PG, PG));
	EXPECT_EQ(p[0], 1);
	EXPECT_EQ(p[2 * PG], 3);
	p[PG - 1] = 4;
	p[3 * PG - 1] = 5;
	EXPECT_EQ(p[PG - 1] + p[3 * PG - 1], 9);
	/* mprotect over the hole fails. */
	EXPECT_ERRNO(raw_mprotect(p, 3 * PG, PROT_READ), ENOMEM);
	EXPECT_OK(munmap(p, 3 * PG));
}

TEST(mmap, mprotect_read_only_still_readable)
{
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, 2 * PG, PROT_READ | PROT_WRITE, 0));
	p[10] = 42;
	EXPECT_OK(mprotect(p, PG, PROT_READ));
	EXPECT_EQ(((volatile unsigned char *)p)[10], 42);
	/* The second page is still writable. */
	p[PG + 10] = 43;
	EXPECT_EQ(p[PG + 10], 43);
	EXPECT_OK(mprotect(p, PG, PROT_READ | PROT_WRITE));
	p[11] = 44;
	EXPECT_EQ(p[11], 44);
	EXPECT_OK(munmap(p, 2 * PG));
}

TEST(mmap, prot_none_then_enable)
{
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, PG, PROT_NONE, 0));
	EXPECT_OK(mprotect(p, PG, PROT_READ | PROT_WRITE));
	expect_zero(p, PG);
	p[0] = 9;
	EXPECT_EQ(p[0], 9);
	EXPECT_OK(munmap(p, PG));
}

TEST(mmap, mprotect_errors)
{
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, 2 * PG, PROT_READ | PROT_WRITE, 0));
	EXPECT_ERRNO(raw_mprotect(p + 1, PG, PROT_READ), EINVAL);
	EXPECT_ERRNO(raw_mprotect(p, PG, 0x10), EINVAL);
	EXPECT_ERRNO(raw_mprotect(p, PG, -1), EINVAL);
	EXPECT_OK(raw_mprotect(p, 0, PROT_READ));
	EXPECT_OK(munmap(p, 2 * PG));
	EXPECT_ERRNO(raw_mprotect(p, PG, PROT_READ), ENOMEM);
}

TEST(mmap, many_mappings_distinct)
{
	void *maps[32];
	for (int i = 0; i < 32; i++) {
		maps[i] = (void *)EXPECT_OK(anon(NULL, PG, PROT_READ | PROT_WRITE, 0));
		*(int *)maps[i] = i;
	}
	for (int i = 0; i < 32; i++)
		EXPECT_EQ(*(int *)maps[i], i);
	for (int i = 0; i < 32; i++)
		EXPECT_OK(munmap(maps[i], PG));
}

/*
 * Unknown bits: mprotect takes PROT_SEM (arch_validate_prot) and refuses any
 * other bit, also above 31 (prot is an unsigned long); mmap looks at the
 * access bits of prot only, and ignores flag bits it does not know unless the
 * type is MAP_SHARED_VALIDATE, which answers EOPNOTSUPP for bits outside
 * LEGACY_MAP_MASK.
 */
TEST(mmap, mprotect_unknown_bits)
{
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, PG, PROT_READ | PROT_WRITE, 0));
	EXPECT_OK(raw_mprotect(p, PG, PROT_READ | PROT_SEM));
	EXPECT_ERRNO(syscall(SYS_mprotect, p, PG, (1UL << 32) | PROT_READ), EINVAL);
	EXPECT_ERRNO(raw_mprotect(p, PG, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP), EINVAL);
	EXPECT_EQ(p[0], 0);
	EXPECT_OK(munmap(p, PG));
}

TEST(mmap, mmap_ignores_unknown_bits)
{
	unsigned char *p = (void *)EXPECT_OK(raw_anon(NULL, PG, PROT_READ | PROT_WRITE | 0x10, 0x400));
	p[0] = 1;
	EXPECT_EQ(p[0], 1);
	EXPECT_OK(munmap(p, PG));
	p = (void *)EXPECT_OK(syscall(SYS_mmap, NULL, PG, (1UL << 40) | PROT_READ,
				      (1UL << 40) | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	EXPECT_EQ(p[0], 0);
	EXPECT_OK(munmap(p, PG));
}

TEST(mmap, shared_validate_unknown_flags)
{
	h_tmpdir();
	h_write_file("f", "abcd");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	long ok = EXPECT_OK(raw_mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE, fd, 0));
	EXPECT_OK(munmap((void *)ok, PG));
	/* MAP_SHARED drops unknown bits; MAP_SHARED_VALIDATE refuses them. */
	ok = EXPECT_OK(raw_mmap(NULL, PG, PROT_READ, MAP_SHARED | 0x400, fd, 0));
	EXPECT_OK(munmap((void *)ok, PG));
	EXPECT_ERRNO(raw_mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | 0x400, fd, 0), EOPNOTSUPP);
	EXPECT_ERRNO(raw_mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0), EOPNOTSUPP);
	EXPECT_ERRNO(syscall(SYS_mmap, NULL, PG, PROT_READ, (1UL << 40) | MAP_SHARED_VALIDATE, fd, 0),
		     EOPNOTSUPP);
	/* Legacy flags are known: MAP_32BIT, MAP_NORESERVE, a huge-page size. */
	ok = EXPECT_OK(raw_mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_NORESERVE | MAP_32BIT, fd, 0));
	EXPECT_OK(munmap((void *)ok, PG));
	ok = EXPECT_OK(raw_mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | (21 << 26), fd, 0));
	EXPECT_OK(munmap((void *)ok, PG));
	close(fd);
}

TEST(mmap, shared_validate_refuses_fixed_noreplace)
{
	h_tmpdir();
	h_write_file("f", "abcd");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	unsigned char *p = (void *)EXPECT_OK(anon(NULL, 2 * PG, PROT_READ, 0));
	EXPECT_OK(munmap(p + PG, PG));
	EXPECT_ERRNO(raw_mmap(p + PG, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, fd, 0), EOPNOTSUPP);
	EXPECT_OK(munmap(p, PG));
	close(fd);
}

TEST(mmap, shared_validate_anonymous_einval)
{
	/* 6.1 has MAP_SHARED_VALIDATE for file mappings only. */
	EXPECT_ERRNO(raw_mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0), EINVAL);
}

/* Free address space: `pages` pages that were mapped and unmapped again. */
static char *free_range(size_t pages)
{
	size_t len = pages * 4096;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	munmap(p, len);
	return p;
}

/* In a child (a bad fault ends it): a 4-page MAP_GROWSDOWN area at the top
 * of 300 free pages, then a write `below` pages under its start; with
 * `blocker`, a page mapped 10 pages under the start first. */
static int touch_below_growsdown(size_t below, int blocker)
{
	char *base = free_range(300);
	char *bottom = base + 296 * 4096;
	pid_t pid = h_fork();
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		char *area = mmap(bottom, 4 * 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
					  MAP_GROWSDOWN,
				  -1, 0);
		if (area != bottom)
			h_exit(2);
		if (blocker && mmap(bottom - 10 * 4096, 4096,
				    PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				    0) == MAP_FAILED)
			h_exit(3);
		volatile char *target = bottom - below * 4096 + 100;
		*target = 42;
		h_exit(*target == 42 ? 0 : 4);
	}
	return h_wait_status(pid);
}

TEST(mmap, growsdown_area_grows_into_free_space)
{
	int status = touch_below_growsdown(6, 0);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(mmap, growsdown_area_keeps_the_guard_gap)
{
	int status = touch_below_growsdown(1, 1);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(WTERMSIG(status), SIGSEGV);
}
