/*
 * Suite mremap: mremap(2) as Linux's mm/mremap.c: shrinking in place drops
 * the tail, growing stays in place when the addresses after the mapping are
 * free and fails with ENOMEM without MREMAP_MAYMOVE when they are not, a move
 * keeps the contents (and a fork's copy-on-write sharing), MREMAP_FIXED
 * replaces what is at the target and refuses an overlap, MREMAP_DONTUNMAP
 * leaves the old range mapped and empty, an old length of 0 duplicates a
 * shared mapping, and a moved file mapping keeps its file offset.  Errors:
 * unknown flags, FIXED or DONTUNMAP without MAYMOVE, unaligned addresses, a
 * new length of 0 and DONTUNMAP with a length change are EINVAL; an old range
 * that is not mapped or leaves its mapping is EFAULT.  Man page mremap(2).
 */
#include "harness.h"

#include <sys/mman.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#define PG 4096UL

static char *anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	return p;
}

/* Whether the page at p is mapped (msync answers ENOMEM for a hole). */
static int is_mapped(void *p)
{
	return msync(p, PG, MS_ASYNC) == 0;
}

static long raw_mremap(void *old, size_t old_len, size_t new_len, unsigned long flags, void *new)
{
	return syscall(SYS_mremap, old, old_len, new_len, flags, new);
}

TEST(mremap, shrink_in_place_drops_the_tail)
{
	char *p = anon(4 * PG);
	p[0] = 'a';
	EXPECT_EQX(raw_mremap(p, 4 * PG, PG, 0, NULL), (uintptr_t)p);
	EXPECT_EQ(p[0], 'a');
	EXPECT_TRUE(!is_mapped(p + PG));
	EXPECT_TRUE(!is_mapped(p + 3 * PG));
	munmap(p, PG);
}

TEST(mremap, grow_in_place_when_the_next_pages_are_free)
{
	char *p = anon(4 * PG);
	EXPECT_OK(munmap(p + 2 * PG, 2 * PG));
	memset(p, 'x', 2 * PG);
	EXPECT_EQX(raw_mremap(p, 2 * PG, 4 * PG, 0, NULL), (uintptr_t)p);
	EXPECT_EQ(p[2 * PG - 1], 'x');
	EXPECT_EQ(p[2 * PG], 0);
	p[4 * PG - 1] = 'y';
	munmap(p, 4 * PG);
}

TEST(mremap, blocked_growth_needs_maymove)
{
	char *p = anon(3 * PG);
	/* Page 2 becomes a separate mapping that blocks growth. */
	EXPECT_OK(mprotect(p + 2 * PG, PG, PROT_READ));
	memset(p, 'm', 2 * PG);
	EXPECT_ERRNO(raw_mremap(p, 2 * PG, 3 * PG, 0, NULL), ENOMEM);
	EXPECT_EQ(p[0], 'm');
	char *q = (char *)EXPECT_OK(raw_mremap(p, 2 * PG, 3 * PG, MREMAP_MAYMOVE, NULL));
	EXPECT_TRUE(q != p);
	EXPECT_EQ(q[0], 'm');
	EXPECT_EQ(q[2 * PG - 1], 'm');
	EXPECT_EQ(q[2 * PG], 0);
	EXPECT_TRUE(!is_mapped(p));
	EXPECT_TRUE(is_mapped(p + 2 * PG));
	munmap(q, 3 * PG);
	munmap(p + 2 * PG, PG);
}

TEST(mremap, fixed_replaces_the_target_and_refuses_overlap)
{
	char *p = anon(2 * PG);
	char *target = anon(4 * PG);
	memset(p, 's', 2 * PG);
	memset(target, 't', 4 * PG);
	EXPECT_ERRNO(raw_mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + PG), EINVAL);
	EXPECT_EQX(raw_mremap(p, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target),
		   (uintptr_t)target);
	EXPECT_EQ(target[0], 's');
	EXPECT_EQ(target[2 * PG - 1], 's');
	EXPECT_EQ(target[2 * PG], 0); /* the grown part is new memory */
	EXPECT_EQ(target[3 * PG], 't'); /* beyond the new length: untouched */
	EXPECT_TRUE(!is_mapped(p));
	munmap(target, 4 * PG);
}

TEST(mremap, dontunmap_leaves_the_old_range_empty)
{
	char *p = anon(2 * PG);
	memset(p, 'd', 2 * PG);
	char *q = (char *)EXPECT_OK(
		raw_mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL));
	EXPECT_TRUE(q != p);
	EXPECT_EQ(q[PG], 'd');
	EXPECT_TRUE(is_mapped(p));
	EXPECT_EQ(p[0], 0);
	EXPECT_EQ(p[PG], 0);
	munmap(p, 2 * PG);
	munmap(q, 2 * PG);
}

TEST(mremap, moved_private_pages_stay_copy_on_write)
{
	char *p = anon(2 * PG);
	p[0] = 'o';
	int ready[2], moved[2];
	h_pipe(ready);
	h_pipe(moved);
	pid_t pid = h_fork();
	if (pid == 0) {
		h_post(ready[1]);
		h_wait_byte(moved[0]);
		EXPECT_EQ(p[0], 'o');
		_exit(0);
	}
	h_wait_byte(ready[0]);
	char *q = (char *)EXPECT_OK(raw_mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
					      anon(2 * PG)));
	q[0] = 'n';
	h_post(moved[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(q[0], 'n');
	munmap(q, 2 * PG);
}

TEST(mremap, zero_old_length_duplicates_a_shared_mapping)
{
	char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	char *q = (char *)EXPECT_OK(raw_mremap(p, 0, PG, MREMAP_MAYMOVE, NULL));
	EXPECT_TRUE(q != p);
	p[5] = 'z';
	EXPECT_EQ(q[5], 'z');
	char *private = anon(PG);
	EXPECT_ERRNO(raw_mremap(private, 0, PG, MREMAP_MAYMOVE, NULL), EINVAL);
	munmap(private, PG);
	munmap(p, PG);
	munmap(q, PG);
}

TEST(mremap, moved_file_mapping_keeps_its_offset)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	for (int i = 0; i < 3; i++) {
		char page[PG];
		memset(page, 'a' + i, PG);
		EXPECT_EQ(write(fd, page, PG), (long)PG);
	}
	char *p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, PG);
	EXPECT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(p[0], 'b');
	/* Growing the first page cannot stay in place (the second follows it). */
	char *q = (char *)EXPECT_OK(raw_mremap(p, PG, 2 * PG, MREMAP_MAYMOVE, NULL));
	EXPECT_EQ(q[0], 'b');
	EXPECT_EQ(q[PG], 'c');
	EXPECT_TRUE(is_mapped(p + PG)); /* the rest of the old mapping stays */
	EXPECT_EQ(p[PG], 'c');
	munmap(q, 2 * PG);
	munmap(p + PG, PG);
	close(fd);
}

TEST(mremap, errors)
{
	/* Two pages in a mapping of their own (Linux merges neighbouring anonymous
	 * mappings; PROT_NONE guards keep this one apart). */
	char *region = anon(4 * PG);
	EXPECT_OK(mprotect(region, PG, PROT_NONE));
	EXPECT_OK(mprotect(region + 3 * PG, PG, PROT_NONE));
	char *p = region + PG;
	EXPECT_ERRNO(raw_mremap(p, PG, PG, 8, NULL), EINVAL);
	EXPECT_ERRNO(raw_mremap(p, PG, 2 * PG, MREMAP_FIXED, p + 8 * PG), EINVAL);
	EXPECT_ERRNO(raw_mremap(p, PG, PG, MREMAP_DONTUNMAP, NULL), EINVAL);
	EXPECT_ERRNO(raw_mremap(p + 1, PG, PG, MREMAP_MAYMOVE, NULL), EINVAL);
	EXPECT_ERRNO(raw_mremap(p, PG, 0, MREMAP_MAYMOVE, NULL), EINVAL);
	EXPECT_ERRNO(raw_mremap(p, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), EINVAL);
	EXPECT_ERRNO(raw_mremap(p, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + 8 * PG + 1), EINVAL);
	/* The old range must be mapped, in one mapping. */
	EXPECT_ERRNO(raw_mremap(p, 3 * PG, 4 * PG, MREMAP_MAYMOVE, NULL), EFAULT);
	EXPECT_OK(munmap(p + PG, PG));
	EXPECT_ERRNO(raw_mremap(p + PG, PG, 2 * PG, MREMAP_MAYMOVE, NULL), EFAULT);
	EXPECT_ERRNO(raw_mremap(p, 2 * PG, 3 * PG, MREMAP_MAYMOVE, NULL), EFAULT);
	munmap(region, 4 * PG);
}
