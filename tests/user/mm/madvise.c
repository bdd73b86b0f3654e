/*
 * Suite madvise: madvise(2) and mincore(2) as Linux's mm/madvise.c and
 * mm/mincore.c: MADV_DONTNEED drops private anonymous pages (zeros after) and
 * private copies of file pages (the file shows again) but not shared data,
 * MADV_FREE is for private anonymous memory only, MADV_REMOVE punches a hole
 * in a shared writable file mapping (EACCES on a read-only one, EINVAL on
 * private anonymous memory), MADV_DONTFORK leaves an area out of a child,
 * MADV_WIPEONFORK gives the child zeros (EINVAL on shared memory),
 * MADV_POPULATE_WRITE maps pages in; unknown advice and unaligned addresses
 * are EINVAL, holes ENOMEM.  mincore reports mapped anonymous pages and cached
 * file pages, EINVAL for an unaligned start, ENOMEM for holes, EFAULT for a bad
 * vector.  Man pages madvise(2), mincore(2).
 */
#include "harness.h"

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define PG 4096UL

static char *anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	return p;
}

static int file_of(size_t pages, char fill)
{
	h_tmpdir();
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	char page[PG];
	memset(page, fill, PG);
	for (size_t i = 0; i < pages; i++)
		EXPECT_EQ(write(fd, page, PG), (long)PG);
	return fd;
}

TEST(madvise, dontneed_zeroes_private_anonymous_pages)
{
	char *p = anon(3 * PG);
	memset(p, 'a', 3 * PG);
	EXPECT_OK(madvise(p + PG, PG, MADV_DONTNEED));
	EXPECT_EQ(p[0], 'a');
	EXPECT_EQ(p[PG], 0);
	EXPECT_EQ(p[2 * PG - 1], 0);
	EXPECT_EQ(p[2 * PG], 'a');
	munmap(p, 3 * PG);
}

TEST(madvise, dontneed_restores_the_file_under_a_private_copy)
{
	int fd = file_of(2, 'f');
	char *priv = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char *shared = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_TRUE(priv != MAP_FAILED && shared != MAP_FAILED);
	priv[0] = 'p';
	shared[PG] = 's';
	EXPECT_OK(madvise(priv, 2 * PG, MADV_DONTNEED));
	EXPECT_OK(madvise(shared, 2 * PG, MADV_DONTNEED));
	EXPECT_EQ(priv[0], 'f');
	EXPECT_EQ(priv[PG], 's');
	EXPECT_EQ(shared[PG], 's');
	munmap(priv, 2 * PG);
	munmap(shared, 2 * PG);
	close(fd);
}

TEST(madvise, free_is_for_private_anonymous_memory)
{
	char *p = anon(PG);
	p[0] = 1;
	EXPECT_OK(madvise(p, PG, MADV_FREE));
	/* The page may be freed lazily; writing it again keeps the new data. */
	p[0] = 2;
	EXPECT_EQ(p[0], 2);
	char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_ERRNO(madvise(s, PG, MADV_FREE), EINVAL);
	munmap(s, PG);
	munmap(p, PG);
}

TEST(madvise, remove_punches_a_hole_in_a_shared_file)
{
	int fd = file_of(3, 'r');
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	EXPECT_OK(madvise(p + PG, PG, MADV_REMOVE));
	EXPECT_EQ(p[PG], 0);
	EXPECT_EQ(p[0], 'r');
	char c = 1;
	EXPECT_EQ(pread(fd, &c, 1, PG + 5), 1);
	EXPECT_EQ(c, 0);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 3 * PG);
	/* A read-only mapping of a file open for writing may punch (Linux checks
	 * VM_MAYWRITE); one of a read-only descriptor may not. */
	char *ro = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 2 * PG);
	EXPECT_OK(madvise(ro, PG, MADV_REMOVE));
	EXPECT_EQ(p[2 * PG], 0);
	munmap(ro, PG);
	int rdonly = EXPECT_OK(open("f", O_RDONLY));
	ro = mmap(NULL, PG, PROT_READ, MAP_SHARED, rdonly, 0);
	EXPECT_ERRNO(madvise(ro, PG, MADV_REMOVE), EACCES);
	close(rdonly);
	char *cow = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_ERRNO(madvise(cow, PG, MADV_REMOVE), EACCES);
	munmap(cow, PG);
	char *a = anon(PG);
	EXPECT_ERRNO(madvise(a, PG, MADV_REMOVE), EINVAL);
	munmap(a, PG);
	munmap(ro, PG);
	munmap(p, 3 * PG);
	close(fd);
}

TEST(madvise, dontfork_and_wipeonfork)
{
	char *kept = anon(PG);
	char *gone = anon(PG);
	char *wiped = anon(PG);
	kept[0] = 'k';
	gone[0] = 'g';
	wiped[0] = 'w';
	EXPECT_OK(madvise(gone, PG, MADV_DONTFORK));
	EXPECT_OK(madvise(wiped, PG, MADV_WIPEONFORK));
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(kept[0], 'k');
		EXPECT_EQ(wiped[0], 0);
		EXPECT_ERRNO(msync(gone, PG, MS_ASYNC), ENOMEM);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(gone[0], 'g');
	EXPECT_EQ(wiped[0], 'w');
	char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_ERRNO(madvise(s, PG, MADV_WIPEONFORK), EINVAL);
	EXPECT_OK(madvise(gone, PG, MADV_DOFORK));
	munmap(s, PG);
	munmap(kept, PG);
	munmap(gone, PG);
	munmap(wiped, PG);
}

TEST(madvise, populate_and_mincore)
{
	char *p = anon(4 * PG);
	unsigned char vec[4] = {9, 9, 9, 9};
	EXPECT_OK(mincore(p, 4 * PG, vec));
	EXPECT_EQ(vec[0] & 1, 0);
	EXPECT_OK(madvise(p + PG, 2 * PG, MADV_POPULATE_WRITE));
	EXPECT_OK(mincore(p, 4 * PG, vec));
	EXPECT_EQ(vec[0] & 1, 0);
	EXPECT_EQ(vec[1] & 1, 1);
	EXPECT_EQ(vec[2] & 1, 1);
	EXPECT_EQ(vec[3] & 1, 0);
	/* A file page in the cache counts before this process touches it. */
	int fd = file_of(2, 'c');
	char *f = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_OK(mincore(f, 2 * PG, vec));
	EXPECT_EQ(vec[0] & 1, 1);
	EXPECT_EQ(vec[1] & 1, 1);
	EXPECT_ERRNO(mincore(p + 1, PG, vec), EINVAL);
	EXPECT_ERRNO(mincore(p, PG, (unsigned char *)8), EFAULT);
	munmap(p + 3 * PG, PG);
	EXPECT_ERRNO(mincore(p, 4 * PG, vec), ENOMEM);
	munmap(f, 2 * PG);
	munmap(p, 3 * PG);
	close(fd);
}

TEST(madvise, errors)
{
	char *p = anon(2 * PG);
	EXPECT_ERRNO(madvise(p, PG, 999), EINVAL);
	EXPECT_ERRNO(madvise(p + 1, PG, MADV_NORMAL), EINVAL);
	EXPECT_OK(madvise(p, 0, MADV_NORMAL));
	EXPECT_OK(madvise(p, 2 * PG, MADV_SEQUENTIAL));
	EXPECT_OK(madvise(p, 2 * PG, MADV_WILLNEED));
	munmap(p + PG, PG);
	EXPECT_ERRNO(madvise(p, 2 * PG, MADV_NORMAL), ENOMEM);
	/* The mapped part was still advised: DONTNEED zeroed it. */
	p[0] = 5;
	EXPECT_ERRNO(madvise(p, 2 * PG, MADV_DONTNEED), ENOMEM);
	EXPECT_EQ(p[0], 0);
	munmap(p, PG);
}

/*
 * Same-page merging exists exactly when the kernel has KSM, which shows as
 * /sys/kernel/mm/ksm: with it MADV_MERGEABLE/UNMERGEABLE succeed on private
 * anonymous memory, without it (CONFIG_KSM off) they are EINVAL before any
 * other check, as LTP's madvise02 expects.
 */
TEST(madvise, mergeable_exactly_with_ksm)
{
	if (access("/sys/kernel", F_OK) != 0) {
		mkdir("/sys", 0555);
		if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0)
			FAIL("mount sysfs: %s", h_errname(errno));
	}
	int has_ksm = access("/sys/kernel/mm/ksm", F_OK) == 0;
	char *p = anon(PG);
	if (has_ksm) {
		EXPECT_OK(madvise(p, PG, MADV_MERGEABLE));
		EXPECT_OK(madvise(p, PG, MADV_UNMERGEABLE));
	} else {
		EXPECT_ERRNO(madvise(p, PG, MADV_MERGEABLE), EINVAL);
		EXPECT_ERRNO(madvise(p, PG, MADV_UNMERGEABLE), EINVAL);
		/* Before the alignment check. */
		EXPECT_ERRNO(madvise(p + 1, PG, MADV_MERGEABLE), EINVAL);
	}
	munmap(p, PG);
}
