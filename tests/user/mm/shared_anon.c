/*
 * Suite sharedanon: shared anonymous memory is a nameless shmem file.
 *
 * Guards Linux's mm/shmem.c shmem_zero_setup and drivers/char/mem.c
 * mmap_zero: MAP_SHARED | MAP_ANONYMOUS (and MAP_SHARED of /dev/zero) maps a
 * new file of the internal tmpfs as long as the mapping, so
 * /proc/self/maps names it "/dev/zero (deleted)" with an inode number, a
 * fork shares its pages (also ones first touched after the fork), growing it
 * with mremap leaves the new part past the end of the file (SIGBUS on touch),
 * its pages count as Shmem in /proc/meminfo, and a private mapping of
 * /dev/zero is plain anonymous memory.  Man pages mmap(2), mremap(2),
 * proc(5).
 */
#include "harness.h"
#include "../proc/proc.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PG 4096UL

struct area {
	unsigned long start, end, offset, inode;
	char perms[5];
	char name[256];
};

/* The /proc/self/maps line of the area that contains addr. */
static int find_area(unsigned long addr, struct area *a)
{
	proc_ready();
	FILE *maps = fopen("/proc/self/maps", "r");
	if (!maps)
		FAIL("open /proc/self/maps: %s", h_errname(errno));
	char line[512];
	int found = 0;
	while (!found && fgets(line, sizeof line, maps)) {
		unsigned int major, minor;
		int name_at = 0;
		a->name[0] = 0;
		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &a->start, &a->end, a->perms,
			   &a->offset, &major, &minor, &a->inode, &name_at) < 7)
			continue;
		if (addr < a->start || addr >= a->end)
			continue;
		snprintf(a->name, sizeof a->name, "%s", line + name_at);
		a->name[strcspn(a->name, "\n")] = 0;
		found = 1;
	}
	fclose(maps);
	return found;
}

static char *map(size_t len, int prot, int flags, int fd)
{
	char *p = mmap(NULL, len, prot, flags, fd, 0);
	if (p == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	return p;
}

TEST(sharedanon, maps_shows_dev_zero_deleted)
{
	char *p = map(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	struct area a;
	EXPECT_TRUE(find_area((unsigned long)p, &a));
	EXPECT_STREQ(a.perms, "rw-s");
	EXPECT_STREQ(a.name, "/dev/zero (deleted)");
	EXPECT_EQ(a.offset, 0);
	EXPECT_TRUE(a.inode != 0);
	/* Split by mprotect, the second half shows its offset in the file. */
	EXPECT_OK(mprotect(p + PG, PG, PROT_READ));
	EXPECT_TRUE(find_area((unsigned long)p + PG, &a));
	EXPECT_EQ(a.offset, PG);
	EXPECT_STREQ(a.perms, "r--s");
	/* and merges again when the protections agree. */
	EXPECT_OK(mprotect(p + PG, PG, PROT_READ | PROT_WRITE));
	EXPECT_TRUE(find_area((unsigned long)p, &a));
	EXPECT_EQ(a.end, (unsigned long)p + 2 * PG);
	EXPECT_OK(munmap(p, 2 * PG));
}

TEST(sharedanon, two_mappings_are_two_files)
{
	char *p = map(PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	char *q = map(PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	struct area a, b;
	EXPECT_TRUE(find_area((unsigned long)p, &a));
	EXPECT_TRUE(find_area((unsigned long)q, &b));
	EXPECT_TRUE(a.inode != b.inode);
	p[0] = 'p';
	EXPECT_EQ(q[0], 0);
	munmap(p, PG);
	munmap(q, PG);
}

TEST(sharedanon, fork_shares_pages_touched_later)
{
	volatile char *p = map(4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	p[0] = 'a';
	pid_t pid = h_fork();
	if (pid == 0) {
		/* A page nobody touched before the fork. */
		p[3 * PG] = 'c';
		_exit(p[0] == 'a' ? 0 : 1);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(p[3 * PG], 'c');
	munmap((void *)p, 4 * PG);
}

TEST(sharedanon, mremap_growth_is_past_the_end_of_the_file)
{
	char *p = map(PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	p[0] = 'x';
	volatile char *q = mremap(p, PG, 2 * PG, MREMAP_MAYMOVE);
	EXPECT_TRUE(q != MAP_FAILED);
	EXPECT_EQ(q[0], 'x');
	pid_t pid = h_fork();
	if (pid == 0) {
		q[PG] = 'y';
		_exit(0);
	}
	int core;
	EXPECT_EQ(h_wait_signaled(pid, &core), SIGBUS);
	munmap((void *)q, 2 * PG);
}

TEST(sharedanon, dev_zero_shared_and_private)
{
	int fd = EXPECT_OK(open("/dev/zero", O_RDWR));
	volatile char *shared = map(PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	volatile char *private = map(PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
	struct area a;
	EXPECT_TRUE(find_area((unsigned long)shared, &a));
	EXPECT_STREQ(a.name, "/dev/zero (deleted)");
	EXPECT_EQ(shared[0], 0);
	EXPECT_EQ(private[0], 0);
	pid_t pid = h_fork();
	if (pid == 0) {
		shared[0] = 's';
		private[0] = 'p';
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(shared[0], 's');
	EXPECT_EQ(private[0], 0);
	munmap((void *)shared, PG);
	munmap((void *)private, PG);
	close(fd);
	/* A shared writable mapping needs the file open for writing. */
	fd = EXPECT_OK(open("/dev/zero", O_RDONLY));
	EXPECT_ERRNO(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	/* A private one does not. */
	char *p = map(PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
	p[0] = 1;
	munmap(p, PG);
	close(fd);
}

static long meminfo_kib(const char *field)
{
	proc_ready();
	FILE *f = fopen("/proc/meminfo", "r");
	if (!f)
		FAIL("open /proc/meminfo: %s", h_errname(errno));
	char line[256];
	long value = -1;
	size_t len = strlen(field);
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, field, len) && line[len] == ':')
			value = strtol(line + len + 1, NULL, 10);
	fclose(f);
	if (value < 0)
		FAIL("no %s in /proc/meminfo", field);
	return value;
}

TEST(sharedanon, pages_count_as_shmem)
{
	const size_t pages = 512;
	long before = meminfo_kib("Shmem");
	char *p = map(pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	for (size_t i = 0; i < pages; i++)
		p[i * PG] = 1;
	long during = meminfo_kib("Shmem");
	EXPECT_TRUE(during - before >= (long)(pages * 4 * 9 / 10));
	EXPECT_OK(munmap(p, pages * PG));
	long after = meminfo_kib("Shmem");
	EXPECT_TRUE(during - after >= (long)(pages * 4 * 9 / 10));
}
