/*
 * Suite procmaps: /proc/self/maps, smaps, smaps_rollup (Linux 6.1's
 * fs/proc/task_mmu.c).
 *
 * Guards: every line is "start-end perms offset major:minor inode" with the
 * name at column 74 (padding to 72 then a space); an mmap shows up with the
 * exact range and permissions it was given, a private file mapping with its
 * offset, device, inode and path, an anonymous one with 00:00 0 and no name;
 * mprotect splits the area, munmap removes it; the heap is "[heap]" and the
 * stack (holding a local variable) "[stack]"; smaps gives Size and Rss in kB
 * right-aligned to 8 columns, Rss growing as pages are touched, and VmFlags;
 * smaps_rollup's Rss is the sum of smaps' Rss.
 */
#include "proc.h"

#include <sys/mman.h>
#include <sys/sysmacros.h>

struct area {
	unsigned long start, end, offset, inode;
	char perms[5];
	unsigned major, minor;
	char name[256];
};

/* Finds the maps line of the area containing addr. */
static int find_area(unsigned long addr, struct area *out)
{
	static char text[65536];
	proc_read("/proc/self/maps", text, sizeof text);
	for (char *line = text; *line;) {
		char *end = strchr(line, '\n');
		if (!end)
			FAIL("maps does not end with a newline");
		*end = 0;
		struct area a;
		memset(&a, 0, sizeof a);
		int name_at = 0;
		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &a.start, &a.end,
			   a.perms, &a.offset, &a.major, &a.minor, &a.inode,
			   &name_at) < 7)
			FAIL("bad maps line: %s", line);
		if (line[name_at]) {
			if (name_at != 73)
				FAIL("name at column %d in: %s", name_at, line);
			snprintf(a.name, sizeof a.name, "%s", line + name_at);
		}
		if (a.start <= addr && addr < a.end) {
			*out = a;
			return 1;
		}
		line = end + 1;
	}
	return 0;
}

/* An anonymous private read-write area of `pages` pages that cannot merge
 * with its neighbours: a PROT_NONE page on each side. */
static char *guarded_area(int pages)
{
	char *base = mmap(NULL, (pages + 2) * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	if (mprotect(base, 4096, PROT_NONE) != 0 ||
	    mprotect(base + (pages + 1) * 4096, 4096, PROT_NONE) != 0)
		FAIL("mprotect: %s", h_errname(errno));
	return base + 4096;
}

static void unmap_guarded(char *p, int pages)
{
	EXPECT_OK(munmap(p - 4096, (pages + 2) * 4096));
}

TEST(procmaps, mmap_munmap_mprotect_show)
{
	proc_ready();
	char *p = guarded_area(4);
	struct area a;
	EXPECT_TRUE(find_area((unsigned long)p, &a));
	EXPECT_EQ(a.start, (unsigned long)p);
	EXPECT_EQ(a.end, (unsigned long)p + 4 * 4096);
	EXPECT_STREQ(a.perms, "rw-p");
	EXPECT_EQ(a.offset, 0);
	EXPECT_EQ(a.major, 0);
	EXPECT_EQ(a.inode, 0);
	/* mprotect splits the area. */
	EXPECT_OK(mprotect(p + 4096, 4096, PROT_READ));
	EXPECT_TRUE(find_area((unsigned long)p + 4096, &a));
	EXPECT_EQ(a.start, (unsigned long)p + 4096);
	EXPECT_EQ(a.end, (unsigned long)p + 2 * 4096);
	EXPECT_STREQ(a.perms, "r--p");
	unmap_guarded(p, 4);
	EXPECT_TRUE(!find_area((unsigned long)p + 4096, &a) ||
		    a.start > (unsigned long)p + 4096);
	/* Shared anonymous: 's'. */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	EXPECT_TRUE(find_area((unsigned long)p, &a));
	EXPECT_EQ(a.perms[3], 's');
	EXPECT_OK(munmap(p, 4096));
}

TEST(procmaps, file_mapping_shows_path_device_and_inode)
{
	proc_ready();
	const char *dir = h_tmpdir();
	int fd = EXPECT_OK(open("mapped", O_RDWR | O_CREAT, 0644));
	static char block[3 * 4096];
	memset(block, 'm', sizeof block);
	EXPECT_EQ(write(fd, block, sizeof block), (ssize_t)sizeof block);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 2 * 4096);
	EXPECT_TRUE(p != MAP_FAILED);
	close(fd);
	struct area a;
	EXPECT_TRUE(find_area((unsigned long)p, &a));
	EXPECT_STREQ(a.perms, "r--p");
	EXPECT_EQ(a.offset, 2 * 4096);
	EXPECT_EQ(a.inode, st.st_ino);
	EXPECT_EQ(makedev(a.major, a.minor), st.st_dev);
	char want[256];
	snprintf(want, sizeof want, "%s/mapped", dir);
	EXPECT_STREQ(a.name, want);
	EXPECT_OK(unlink("mapped"));
	EXPECT_TRUE(find_area((unsigned long)p, &a));
	snprintf(want, sizeof want, "%s/mapped (deleted)", dir);
	EXPECT_STREQ(a.name, want);
	EXPECT_OK(munmap(p, 4096));
}

TEST(procmaps, heap_and_stack_are_named)
{
	proc_ready();
	/* Raw brk: musl's sbrk only answers sbrk(0). */
	unsigned long brk0 = syscall(SYS_brk, 0);
	EXPECT_EQ(syscall(SYS_brk, brk0 + 4096), brk0 + 4096);
	struct area a;
	EXPECT_TRUE(find_area(brk0, &a));
	EXPECT_STREQ(a.name, "[heap]");
	EXPECT_EQ(syscall(SYS_brk, brk0), brk0);
	int local = 0;
	EXPECT_TRUE(find_area((unsigned long)&local, &a));
	EXPECT_STREQ(a.name, "[stack]");
	EXPECT_STREQ(a.perms, "rw-p");
}

/* The smaps value of `key` (kB) for the area at addr. */
static long smaps_value(unsigned long addr, const char *key)
{
	static char text[262144];
	proc_read("/proc/self/smaps", text, sizeof text);
	char head[32];
	snprintf(head, sizeof head, "%08lx-", addr);
	char *at = strstr(text, head);
	if (!at)
		FAIL("no smaps area at %lx", addr);
	char label[64];
	snprintf(label, sizeof label, "\n%s:", key);
	char *line = strstr(at, label);
	if (!line)
		FAIL("no %s in the area", key);
	line += strlen(label);
	/* Right-aligned in 8 columns after the 16-column label. */
	if (strlen(key) + 1 < 16 && strncmp(line + 16 - (strlen(key) + 1) + 8, " kB", 3))
		FAIL("%s not formatted as %%8lu kB: %.30s", key, line);
	return strtol(line, NULL, 10);
}

TEST(procmaps, smaps_counts_touched_pages)
{
	proc_ready();
	char *p = guarded_area(8);
	unsigned long addr = (unsigned long)p;
	EXPECT_EQ(smaps_value(addr, "Size"), 32);
	long before = smaps_value(addr, "Rss");
	for (int i = 0; i < 5; i++)
		p[i * 4096] = 1;
	EXPECT_EQ(smaps_value(addr, "Rss"), before + 20);
	EXPECT_EQ(smaps_value(addr, "Anonymous"), before + 20);
	EXPECT_EQ(smaps_value(addr, "KernelPageSize"), 4);
	static char text[262144];
	proc_read("/proc/self/smaps", text, sizeof text);
	EXPECT_TRUE(strstr(text, "\nVmFlags: rd wr ") != NULL);
	/* smaps_rollup's Rss is the sum of the areas'. */
	long sum = 0;
	for (char *line = strstr(text, "\nRss:"); line;
	     line = strstr(line + 1, "\nRss:"))
		sum += strtol(line + 5, NULL, 10);
	char rollup[4096];
	proc_read("/proc/self/smaps_rollup", rollup, sizeof rollup);
	EXPECT_TRUE(strstr(rollup, "[rollup]\n") != NULL);
	long rss = proc_number(strchr(rollup, '\n') + 1, "Rss");
	/* Reading smaps_rollup touched a few more stack or heap pages at most. */
	EXPECT_GE(rss, sum - 64);
	EXPECT_LE(rss, sum + 64);
	unmap_guarded(p, 8);
}
