/*
 * Suite remap_file_pages: remap_file_pages(2) as Linux 6.1 emulates it in
 * mm/mmap.c: the range becomes a new shared mapping of the same file at
 * pgoff (no nonlinear mappings), so a page shows another page of the file
 * and writes reach that page. EINVAL for a non-zero prot, an empty range,
 * a wrapping pgoff, an address not mapped, a private or anonymous private
 * mapping, and a range running into a hole or another file.
 */
#include "../harness.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096

static long rfp(void *addr, size_t size, int prot, size_t pgoff, int flags)
{
	return syscall(SYS_remap_file_pages, addr, size, prot, pgoff, flags);
}

static int four_page_file(void)
{
	EXPECT_OK(chdir(h_tmpdir()));
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);
	EXPECT_GE(fd, 0);
	char page[PG];
	for (int i = 0; i < 4; i++) {
		memset(page, 'a' + i, sizeof page);
		EXPECT_EQ(write(fd, page, sizeof page), PG);
	}
	return fd;
}

TEST(remap_file_pages, file_pages_move)
{
	int fd = four_page_file();
	char *map = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_TRUE(map != MAP_FAILED);
	EXPECT_OK(rfp(map, PG, 0, 3, 0));
	EXPECT_EQ(map[0], 'd');
	EXPECT_EQ(map[PG], 'b');
	/* Two pages at once, the address and size rounded down. */
	EXPECT_OK(rfp(map + PG + 10, 2 * PG + 100, 0, 0, MAP_NONBLOCK));
	EXPECT_EQ(map[PG], 'a');
	EXPECT_EQ(map[2 * PG], 'b');
	EXPECT_EQ(map[3 * PG], 'd');
	/* Writes land in the page now shown. */
	map[0] = 'X';
	char c;
	EXPECT_EQ(pread(fd, &c, 1, 3 * PG), 1);
	EXPECT_EQ(c, 'X');
	EXPECT_EQ(map[3 * PG], 'X');
	/* The maps line shows the new offset. */
	EXPECT_OK(munmap(map, 4 * PG));
	close(fd);
}

TEST(remap_file_pages, shared_anonymous)
{
	char *map = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(map != MAP_FAILED);
	map[2 * PG] = 'q';
	EXPECT_OK(rfp(map, PG, 0, 2, 0));
	EXPECT_EQ(map[0], 'q');
	EXPECT_OK(munmap(map, 3 * PG));
}

TEST(remap_file_pages, errors)
{
	int fd = four_page_file();
	char *map = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(map != MAP_FAILED);
	EXPECT_ERRNO(rfp(map, PG, PROT_READ, 1, 0), EINVAL);
	EXPECT_ERRNO(rfp(map, 0, 0, 1, 0), EINVAL);
	EXPECT_ERRNO(rfp(map, 100, 0, 1, 0), EINVAL);
	EXPECT_ERRNO(rfp(map, PG, 0, (size_t)-1, 0), EINVAL);
	/* Past the mapping: a hole. */
	EXPECT_OK(munmap(map + PG, PG));
	EXPECT_ERRNO(rfp(map, 2 * PG, 0, 1, 0), EINVAL);
	EXPECT_ERRNO(rfp(map + PG, PG, 0, 1, 0), EINVAL);
	/* Next to a mapping of another file. */
	int other = open("g", O_RDWR | O_CREAT, 0600);
	EXPECT_OK(ftruncate(other, PG));
	char *next = mmap(map + PG, PG, PROT_READ, MAP_SHARED | MAP_FIXED, other, 0);
	EXPECT_TRUE(next == map + PG);
	EXPECT_ERRNO(rfp(map, 2 * PG, 0, 1, 0), EINVAL);
	EXPECT_OK(munmap(map, 2 * PG));
	/* Private mappings. */
	char *priv = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_ERRNO(rfp(priv, PG, 0, 1, 0), EINVAL);
	munmap(priv, PG);
	char *anon = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_ERRNO(rfp(anon, PG, 0, 1, 0), EINVAL);
	munmap(anon, PG);
	close(other);
	close(fd);
}
