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
 * smaps_rollup's Rss is the sum of smaps' Rss; [vvar] and [vdso] have
 * Linux's VmFlags ([vvar] a VM_PFNMAP area nothing counts, which mprotect
 * cannot make writable); VmFlags show madvise's and mlock's bits in Linux's
 * order and the open mode of a shared file mapping; Locked and VmLck count
 * locked pages.
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

/* The text of the smaps block that starts at the header line `header`
 * points into, up to the next header: what smaps_field reads. */
static long block_value(const char *block, const char *key)
{
	char label[64];
	snprintf(label, sizeof label, "\n%s:", key);
	const char *line = strstr(block, label);
	const char *next = strstr(block, "\nVmFlags:");
	if (!line || (next && line > next))
		FAIL("no %s in the block", key);
	return strtol(line + strlen(label), NULL, 10);
}

/* The VmFlags line (after "VmFlags: ") of the block, into out. */
static const char *block_flags(const char *block, char *out, size_t size)
{
	const char *line = strstr(block, "\nVmFlags: ");
	if (!line)
		FAIL("no VmFlags");
	line += 10;
	size_t n = strcspn(line, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, line, n);
	out[n] = 0;
	return out;
}

/* The VmFlags of the area starting at addr. */
static const char *area_flags(unsigned long addr, char *out, size_t size)
{
	static char text[262144];
	proc_read("/proc/self/smaps", text, sizeof text);
	char head[32];
	snprintf(head, sizeof head, "%08lx-", addr);
	char *at = strstr(text, head);
	if (!at)
		FAIL("no smaps area at %lx", addr);
	return block_flags(at, out, size);
}

/* Linux's special mappings: [vvar] is a VM_PFNMAP|VM_IO area of 4 pages
 * that no figure counts, [vdso] the vDSO's text (VM_DONTEXPAND, may be made
 * writable). */
TEST(procmaps, vdso_and_vvar_in_smaps)
{
	proc_ready();
	static char text[262144];
	proc_read("/proc/self/smaps", text, sizeof text);
	char *vvar = strstr(text, " [vvar]\n");
	char *vdso = strstr(text, " [vdso]\n");
	EXPECT_TRUE(vvar != NULL);
	EXPECT_TRUE(vdso != NULL);
	char flags[128];
	EXPECT_STREQ(block_flags(vvar, flags, sizeof flags), "rd mr pf io de dd sd ");
	EXPECT_EQ(block_value(vvar, "Size"), 16);
	EXPECT_EQ(block_value(vvar, "Rss"), 0);
	EXPECT_EQ(block_value(vvar, "Pss"), 0);
	EXPECT_EQ(block_value(vvar, "Referenced"), 0);
	EXPECT_STREQ(block_flags(vdso, flags, sizeof flags), "rd ex mr mw me de sd ");
	EXPECT_EQ(block_value(vdso, "Anonymous"), 0);
	EXPECT_EQ(block_value(vdso, "Private_Dirty"), 0);
	/* The headers: read-only private, no file. */
	char *line = vvar;
	while (line > text && line[-1] != '\n')
		line--;
	EXPECT_TRUE(strstr(line, " r--p 00000000 00:00 0 ") != NULL);
	line = vdso;
	while (line > text && line[-1] != '\n')
		line--;
	EXPECT_TRUE(strstr(line, " r-xp 00000000 00:00 0 ") != NULL);
	/* mprotect may not make [vvar] writable or executable (no VM_MAYWRITE,
	 * VM_MAYEXEC): EACCES. */
	line = vvar;
	while (line > text && line[-1] != '\n')
		line--;
	unsigned long start = strtoul(line, NULL, 16);
	EXPECT_ERRNO(syscall(SYS_mprotect, start, 4096, PROT_READ | PROT_WRITE), EACCES);
	EXPECT_ERRNO(syscall(SYS_mprotect, start, 4096, PROT_READ | PROT_EXEC), EACCES);
}

/* VmFlags follow the VM_* bits in Linux's order: madvise's DONTFORK (dc)
 * and DONTDUMP (dd), mlock (lo, and smaps' Locked and status' VmLck), and a
 * shared file mapping's VM_SHARED/VM_MAYWRITE, which a read-only descriptor
 * takes away (ms without sh and mw). */
TEST(procmaps, vmflags_follow_madvise_mlock_and_the_open_mode)
{
	proc_ready();
	char *p = guarded_area(4);
	unsigned long addr = (unsigned long)p;
	char flags[128];
	EXPECT_STREQ(area_flags(addr, flags, sizeof flags), "rd wr mr mw me ac sd ");
	EXPECT_OK(madvise(p, 4 * 4096, MADV_DONTFORK));
	EXPECT_OK(madvise(p, 4 * 4096, MADV_DONTDUMP));
	EXPECT_STREQ(area_flags(addr, flags, sizeof flags), "rd wr mr mw me dc ac dd sd ");
	char status[4096];
	proc_read("/proc/self/status", status, sizeof status);
	long locked_before = proc_number(status, "VmLck");
	EXPECT_OK(mlock(p, 4 * 4096));
	EXPECT_STREQ(area_flags(addr, flags, sizeof flags), "rd wr mr mw me lo dc ac dd sd ");
	EXPECT_EQ(smaps_value(addr, "Locked"), 16);
	EXPECT_EQ(smaps_value(addr, "Rss"), 16);
	proc_read("/proc/self/status", status, sizeof status);
	EXPECT_EQ(proc_number(status, "VmLck"), locked_before + 16);
	EXPECT_OK(munlock(p, 4 * 4096));
	EXPECT_EQ(smaps_value(addr, "Locked"), 0);
	EXPECT_STREQ(area_flags(addr, flags, sizeof flags), "rd wr mr mw me dc ac dd sd ");
	unmap_guarded(p, 4);

	h_tmpdir();
	h_write_file("f", "0123456789");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(ro != MAP_FAILED);
	struct area a;
	EXPECT_TRUE(find_area((unsigned long)ro, &a));
	EXPECT_STREQ(a.perms, "r--s");
	EXPECT_STREQ(area_flags((unsigned long)ro, flags, sizeof flags), "rd mr me ms sd ");
	EXPECT_OK(munmap(ro, 4096));
	close(fd);
	fd = EXPECT_OK(open("f", O_RDWR));
	char *rw = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(rw != MAP_FAILED);
	EXPECT_STREQ(area_flags((unsigned long)rw, flags, sizeof flags), "rd sh mr mw me ms sd ");
	EXPECT_OK(munmap(rw, 4096));
	char *priv = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_TRUE(priv != MAP_FAILED);
	EXPECT_STREQ(area_flags((unsigned long)priv, flags, sizeof flags), "rd mr mw me sd ");
	EXPECT_OK(munmap(priv, 4096));
	close(fd);
}
