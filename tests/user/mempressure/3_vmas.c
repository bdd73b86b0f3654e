/*
 * Suite mempressure, stage 3: VMAs until ENOMEM.
 *
 * Linux limits the VMAs of a process to vm.max_map_count (65530; mm/mmap.c): do_mmap fails
 * with ENOMEM once the count is over the limit, and a split (munmap or mprotect of the middle
 * of a VMA) fails with ENOMEM once it is at the limit; unmapping a whole VMA makes room for
 * exactly one more.  madvise (EAGAIN) and mlock (ENOMEM) cannot split either, and mremap
 * refuses a move near the limit.  One-page mappings with alternating protections do not
 * merge, so each is a VMA.  A process at the limit still forks (the child copies every VMA) and execs.
 */
#include "stage.h"

#include <sys/mman.h>

static int prot_of(long index)
{
	return index % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
}

static void vma_stage(void *arg)
{
	(void)arg;
	/* A three-page VMA whose middle page cannot be split off at the limit. */
	char *three = mmap(NULL, 3 * MP_PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(three != MAP_FAILED);
	size_t table_size = (MP_MAX_MAP_COUNT + 2) * sizeof(void *);
	void **maps = mmap(NULL, table_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(maps != MAP_FAILED);

	long count = 0;
	int error = 0;
	for (; count < MP_MAX_MAP_COUNT + 2; count++) {
		void *page = mmap(NULL, MP_PAGE, prot_of(count),
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED) {
			error = errno;
			break;
		}
		maps[count] = page;
	}
	EXPECT_EQ(error, ENOMEM);
	/* The process had a few VMAs of its own before (program, stack, heap, vDSO). */
	EXPECT_GE(count, MP_MAX_MAP_COUNT - 64);
	EXPECT_LE(count, MP_MAX_MAP_COUNT);

	/* At the limit: no new mapping, no split. */
	EXPECT_TRUE(mmap(NULL, MP_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
		    MAP_FAILED);
	EXPECT_ERRNO(mprotect(three + MP_PAGE, MP_PAGE, PROT_READ), ENOMEM);
	EXPECT_ERRNO(munmap(three + MP_PAGE, MP_PAGE), ENOMEM);
	/* madvise reports a split it cannot make as "try again"; mlock as ENOMEM; advice that
	 * changes no VMA flag needs no split. */
	EXPECT_ERRNO(madvise(three + MP_PAGE, MP_PAGE, MADV_DONTFORK), EAGAIN);
	EXPECT_ERRNO(mlock(three + MP_PAGE, MP_PAGE), ENOMEM);
	EXPECT_OK(madvise(three + MP_PAGE, MP_PAGE, MADV_DONTNEED));
	/* mremap keeps room below the limit before it moves anything. */
	void *lowest = maps[count - 1];
	EXPECT_ERRNO((long)mremap(lowest, MP_PAGE, 2 * MP_PAGE, MREMAP_MAYMOVE), ENOMEM);
	three[MP_PAGE] = 1;

	/* A whole VMA unmapped makes room for exactly one. */
	void *last = maps[count - 1];
	EXPECT_OK(munmap(last, MP_PAGE));
	void *again = mmap(last, MP_PAGE, prot_of(count - 1),
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT_TRUE(again == last);
	EXPECT_ERRNO((long)mmap(NULL, MP_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		     ENOMEM);

	/* Fork copies every VMA; exec replaces them. */
	pid_t pid = h_fork();
	if (pid == 0) {
		*(char *)maps[0] = 1;
		h_exit(*(char *)maps[0] == 1 && three[MP_PAGE] == 1 ? 0 : 1);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	mp_expect_fork_exec();

	/* Below the limit again, a split works (the first page may have merged with the table,
	 * so take three from the middle). */
	for (long i = count / 2; i < count / 2 + 3; i++)
		EXPECT_OK(munmap(maps[i], MP_PAGE));
	EXPECT_OK(munmap(three + MP_PAGE, MP_PAGE));
}

TEST_ALONE(mempressure, vmas_until_enomem_at_max_map_count)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(vma_stage, NULL);
}
