/*
 * Suite procglobal: the system-wide files of /proc and /sys (Linux 6.1's
 * fs/proc/meminfo.c, stat.c, uptime.c, loadavg.c, version.c, root.c,
 * fs/namespace.c's show_vfsmnt/show_mountinfo, drivers/base/cpu.c).
 *
 * Guards: meminfo's lines are "%-16s%8lu kB" (HugePages_* without kB) and add
 * up (MemFree and MemAvailable at most MemTotal, Cached at least Shmem),
 * MemTotal agrees with sysinfo, and writing a tmpfs file raises Shmem by its
 * size; AnonPages, Mapped, Shmem, Cached and Mlocked follow anonymous memory,
 * file mappings, shared memory and mlock as Linux's counters do; uptime grows and its idle part is a number; loadavg is three
 * averages, running/total and the last pid; stat starts with a "cpu " line of
 * ten numbers and has btime, processes, ctxt; version starts with "Linux
 * version "; filesystems lists proc and tmpfs as nodev; /proc/mounts and
 * /proc/self/mountinfo show a fresh tmpfs mount in their formats; statfs
 * names proc and sysfs by their magics; /proc readdir lists self and our pid;
 * /sys/devices/system/cpu/online is "0" on a one-CPU guest, "0-N" with
 * more (as many CPUs as /proc/stat's cpuN lines).
 */
#include "proc.h"

#include <dirent.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <time.h>

TEST(procglobal, meminfo_adds_up)
{
	proc_ready();
	static char text[8192];
	proc_read("/proc/meminfo", text, sizeof text);
	/* "%-16s%8lu kB": the value ends at column 24 (wider values push on). */
	for (char *line = text; *line;) {
		char *end = strchr(line, '\n');
		EXPECT_TRUE(end != NULL);
		size_t len = end - line;
		int huge_count = !strncmp(line, "HugePages_", 10);
		size_t want = huge_count ? 24 : 27;
		if (len < want || line[want - (huge_count ? 1 : 4)] < '0' ||
		    line[want - (huge_count ? 1 : 4)] > '9' ||
		    (len > want && line[15] != ' ' && line[15] != ':' &&
		     (line[15] < '0' || line[15] > '9')))
			FAIL("meminfo line: %.*s", (int)len, line);
		if (!huge_count && strncmp(end - 3, " kB", 3))
			FAIL("no kB: %.*s", (int)len, line);
		line = end + 1;
	}
	long long total = proc_number(text, "MemTotal");
	long long free_kb = proc_number(text, "MemFree");
	long long available = proc_number(text, "MemAvailable");
	EXPECT_GT(total, 0);
	EXPECT_LE(free_kb, total);
	EXPECT_LE(available, total);
	EXPECT_GE(proc_number(text, "Cached"), proc_number(text, "Shmem"));
	EXPECT_EQ(proc_number(text, "SwapTotal"), 0);
	struct sysinfo si;
	EXPECT_OK(sysinfo(&si));
	long long si_total = (long long)si.totalram * si.mem_unit / 1024;
	EXPECT_LE(si_total - total, 4);
	EXPECT_LE(total - si_total, 4);
	/* A tmpfs file raises Shmem (and Cached) by its size. */
	h_tmpdir();
	long long shmem = proc_number(text, "Shmem");
	int fd = EXPECT_OK(open("big", O_WRONLY | O_CREAT, 0644));
	static char block[1 << 20];
	memset(block, 7, sizeof block);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(write(fd, block, sizeof block), (ssize_t)sizeof block);
	close(fd);
	proc_read("/proc/meminfo", text, sizeof text);
	long long grown = proc_number(text, "Shmem") - shmem;
	EXPECT_GE(grown, 4096 - 256);
	EXPECT_LE(grown, 4096 + 256);
	EXPECT_OK(unlink("big"));
}

/* The meminfo figure `key` now. */
static long long meminfo(const char *key)
{
	static char text[8192];
	proc_read("/proc/meminfo", text, sizeof text);
	return proc_number(text, key);
}

/* Whether `now - before` is `want` kB give or take a slack: Linux folds its
 * per-CPU counters into the totals in batches, and a test's own stack and
 * buffers move the figures a little. */
#define EXPECT_GREW_BY(before, now, want)                                      \
	do {                                                                   \
		long long h_grown_ = (now) - (before);                         \
		if (h_grown_ < (want) - 512 || h_grown_ > (want) + 512)        \
			FAIL("%s grew by %lld kB, not %d kB", #now, h_grown_,   \
			     (want));                                          \
	} while (0)

/* Linux's counters: AnonPages counts anonymous pages mapped at least once,
 * Mapped file and shared-memory pages mapped at least once (each page once
 * however many map it), Shmem and Cached tmpfs pages, Mlocked the pages of
 * locked areas (also Unevictable); they fall back when the memory goes. The
 * big figures add up to no more than MemTotal. */
TEST(procglobal, meminfo_counters_follow_the_memory)
{
	proc_ready();
	long long total = meminfo("MemTotal");
	long long sum = meminfo("MemFree") + meminfo("Cached") + meminfo("AnonPages") +
			meminfo("Slab") + meminfo("KernelStack") + meminfo("PageTables");
	EXPECT_LE(sum, total);
	EXPECT_LE(meminfo("Mapped"), meminfo("Cached") + 64);
	EXPECT_GE(meminfo("Unevictable"), meminfo("Mlocked"));
	EXPECT_EQ(meminfo("Active"), meminfo("Active(anon)") + meminfo("Active(file)"));
	EXPECT_EQ(meminfo("Inactive"), meminfo("Inactive(anon)") + meminfo("Inactive(file)"));

	enum { MIB = 1 << 20 };
	long long anon = meminfo("AnonPages");
	char *p = mmap(NULL, 8 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	/* Small pages: Linux would otherwise back the area with transparent huge
	 * pages, and mlock of part of one counts it whole or not at all. */
	madvise(p, 8 * MIB, MADV_NOHUGEPAGE);
	long long untouched = meminfo("AnonPages");
	EXPECT_GREW_BY(anon, untouched, 0);
	for (int i = 0; i < 8 * MIB; i += 4096)
		p[i] = 1;
	EXPECT_GREW_BY(anon, meminfo("AnonPages"), 8192);

	long long mlocked = meminfo("Mlocked");
	EXPECT_OK(mlock(p, 2 * MIB));
	EXPECT_GREW_BY(mlocked, meminfo("Mlocked"), 2048);
	EXPECT_GE(meminfo("Unevictable"), meminfo("Mlocked"));
	EXPECT_OK(munlock(p, 2 * MIB));
	EXPECT_GREW_BY(mlocked, meminfo("Mlocked"), 0);
	EXPECT_OK(munmap(p, 8 * MIB));
	EXPECT_GREW_BY(anon, meminfo("AnonPages"), 0);

	/* A tmpfs file: Shmem and Cached when written, Mapped when mapped. */
	h_tmpdir();
	long long shmem = meminfo("Shmem"), cached = meminfo("Cached");
	long long mapped = meminfo("Mapped");
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT, 0644));
	static char block[MIB];
	memset(block, 7, sizeof block);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(write(fd, block, sizeof block), (ssize_t)sizeof block);
	EXPECT_GREW_BY(shmem, meminfo("Shmem"), 4096);
	EXPECT_GREW_BY(cached, meminfo("Cached"), 4096);
	EXPECT_GREW_BY(mapped, meminfo("Mapped"), 0);
	char *m = mmap(NULL, 4 * MIB, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(m != MAP_FAILED);
	long long sum_bytes = 0;
	for (int i = 0; i < 4 * MIB; i += 4096)
		sum_bytes += m[i];
	EXPECT_EQ(sum_bytes, 7 * 1024);
	EXPECT_GREW_BY(mapped, meminfo("Mapped"), 4096);
	/* A second mapping of the same pages counts nothing more. */
	char *m2 = mmap(NULL, 4 * MIB, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(m2 != MAP_FAILED);
	for (int i = 0; i < 4 * MIB; i += 4096)
		sum_bytes += m2[i];
	EXPECT_GREW_BY(mapped, meminfo("Mapped"), 4096);
	EXPECT_OK(munmap(m2, 4 * MIB));
	EXPECT_OK(munmap(m, 4 * MIB));
	EXPECT_GREW_BY(mapped, meminfo("Mapped"), 0);
	close(fd);
	EXPECT_OK(unlink("f"));
	EXPECT_GREW_BY(shmem, meminfo("Shmem"), 0);

	/* Shared anonymous memory is shmem too. */
	shmem = meminfo("Shmem");
	char *s = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(s != MAP_FAILED);
	for (int i = 0; i < 4 * MIB; i += 4096)
		s[i] = 1;
	EXPECT_GREW_BY(shmem, meminfo("Shmem"), 4096);
	EXPECT_GREW_BY(mapped, meminfo("Mapped"), 4096);
	EXPECT_OK(munmap(s, 4 * MIB));
	EXPECT_GREW_BY(shmem, meminfo("Shmem"), 0);
}

TEST(procglobal, uptime_loadavg_stat_version)
{
	proc_ready();
	char buf[4096];
	proc_read("/proc/uptime", buf, sizeof buf);
	/* Seconds with two decimals: compare in hundredths. */
	long up1_s, up1_cs, idle_s, idle_cs;
	EXPECT_EQ(sscanf(buf, "%ld.%2ld %ld.%2ld", &up1_s, &up1_cs, &idle_s,
			 &idle_cs),
		  4);
	long up1 = up1_s * 100 + up1_cs;
	EXPECT_GT(up1, 0);
	EXPECT_GE(idle_s, 0);
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	proc_read("/proc/uptime", buf, sizeof buf);
	long up2_s = 0, up2_cs = 0;
	sscanf(buf, "%ld.%2ld", &up2_s, &up2_cs);
	long up2 = up2_s * 100 + up2_cs;
	EXPECT_GT(up2, up1);

	proc_read("/proc/loadavg", buf, sizeof buf);
	float l1, l5, l15;
	int running, total, last;
	EXPECT_EQ(sscanf(buf, "%f %f %f %d/%d %d", &l1, &l5, &l15, &running,
			 &total, &last),
		  6);
	EXPECT_GE(running, 1);
	EXPECT_GE(total, running);
	EXPECT_GT(last, 0);

	static char stat[65536];
	proc_read("/proc/stat", stat, sizeof stat);
	EXPECT_TRUE(!strncmp(stat, "cpu  ", 5));
	unsigned long long v[10];
	EXPECT_EQ(sscanf(stat + 5, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
			 &v[8], &v[9]),
		  10);
	EXPECT_TRUE(strstr(stat, "\ncpu0 ") != NULL);
	char *btime = strstr(stat, "\nbtime ");
	EXPECT_TRUE(btime != NULL);
	long long boot = strtoll(btime + 7, NULL, 10);
	long long now = time(NULL);
	EXPECT_LE(boot, now);
	EXPECT_GE(boot, now - up2 / 100 - 5);
	EXPECT_TRUE(strstr(stat, "\nprocesses ") != NULL);
	EXPECT_TRUE(strstr(stat, "\nctxt ") != NULL);
	EXPECT_TRUE(strstr(stat, "\nprocs_running ") != NULL);

	proc_read("/proc/version", buf, sizeof buf);
	EXPECT_TRUE(!strncmp(buf, "Linux version ", 14));
	EXPECT_EQ(buf[strlen(buf) - 1], '\n');
	proc_read("/proc/filesystems", buf, sizeof buf);
	EXPECT_TRUE(strstr(buf, "nodev\tproc\n") != NULL);
	EXPECT_TRUE(strstr(buf, "nodev\ttmpfs\n") != NULL);
	EXPECT_TRUE(strstr(buf, "nodev\tsysfs\n") != NULL);
	proc_read("/proc/cpuinfo", buf, sizeof buf);
	EXPECT_TRUE(!strncmp(buf, "processor\t: 0\n", 14));
	EXPECT_TRUE(strstr(buf, "\nflags\t\t: ") != NULL);
	proc_read("/proc/cmdline", buf, sizeof buf);
	EXPECT_EQ(buf[strlen(buf) - 1], '\n');
}

TEST(procglobal, mounts_and_mountinfo_show_a_new_mount)
{
	proc_ready();
	if (geteuid() != 0)
		return;
	const char *dir = h_tmpdir();
	EXPECT_OK(mkdir("m", 0755));
	EXPECT_OK(mount("my source", "m", "tmpfs", MS_NOSUID | MS_NODEV,
			"size=64k,mode=700"));
	static char text[65536];
	char want[512];
	proc_read("/proc/mounts", text, sizeof text);
	snprintf(want, sizeof want,
		 "my\\040source %s/m tmpfs rw,nosuid,nodev,relatime,size=64k,mode=700", dir);
	EXPECT_TRUE(strstr(text, want) != NULL);
	static char self[65536];
	proc_read("/proc/self/mounts", self, sizeof self);
	EXPECT_STREQ(self, text);
	proc_read("/proc/self/mountinfo", text, sizeof text);
	snprintf(want, sizeof want, " / %s/m rw,nosuid,nodev,relatime - tmpfs my\\040source rw,size=64k,mode=700", dir);
	char *line = strstr(text, want);
	EXPECT_TRUE(line != NULL);
	/* "id parent major:minor" before it, and the device is the mount's. */
	while (line > text && line[-1] != '\n')
		line--;
	int id, parent;
	unsigned dev_major, dev_minor;
	EXPECT_EQ(sscanf(line, "%d %d %u:%u", &id, &parent, &dev_major, &dev_minor), 4);
	struct stat st;
	EXPECT_OK(stat("m", &st));
	EXPECT_EQ(dev_major, major(st.st_dev));
	EXPECT_EQ(dev_minor, minor(st.st_dev));
	EXPECT_NE(id, parent);
	EXPECT_OK(umount("m"));
	proc_read("/proc/mounts", text, sizeof text);
	snprintf(want, sizeof want, " %s/m ", dir);
	EXPECT_TRUE(strstr(text, want) == NULL);
}

/* The modes keep users out: /proc is 0555, its files 0444; names that do
 * not exist cannot be created. */
static void unprivileged_changes(void *arg)
{
	(void)arg;
	EXPECT_OK(syscall(SYS_setresgid, 65534, 65534, 65534));
	EXPECT_OK(syscall(SYS_setresuid, 65534, 65534, 65534));
	/* procfs lookups fail rather than leave a negative name: ENOENT. */
	EXPECT_ERRNO(open("/proc/newfile", O_CREAT | O_WRONLY, 0644), ENOENT);
	EXPECT_ERRNO(mkdir("/proc/newdir", 0755), ENOENT);
	EXPECT_ERRNO(unlink("/proc/meminfo"), EACCES);
	EXPECT_ERRNO(open("/proc/meminfo", O_WRONLY), EACCES);
	EXPECT_ERRNO(open("/proc/sys/kernel/hostname", O_WRONLY), EACCES);
}

TEST(procglobal, statfs_magic_and_listing)
{
	proc_ready();
	struct statfs s;
	EXPECT_OK(statfs("/proc", &s));
	EXPECT_EQX(s.f_type, 0x9fa0);
	EXPECT_EQ(s.f_bsize, 4096);
	EXPECT_EQ(s.f_namelen, 255);
	EXPECT_OK(statfs("/sys", &s));
	EXPECT_EQX(s.f_type, 0x62656572);
	DIR *d = opendir("/proc");
	EXPECT_TRUE(d != NULL);
	char mine[16];
	snprintf(mine, sizeof mine, "%d", (int)getpid());
	int saw_self = 0, saw_me = 0, saw_meminfo = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		saw_self |= !strcmp(e->d_name, "self") && e->d_type == DT_LNK;
		saw_me |= !strcmp(e->d_name, mine) && e->d_type == DT_DIR;
		saw_meminfo |= !strcmp(e->d_name, "meminfo") && e->d_type == DT_REG;
	}
	closedir(d);
	EXPECT_TRUE(saw_self && saw_me && saw_meminfo);
	char buf[64], want[32];
	proc_read("/sys/devices/system/cpu/online", buf, sizeof buf);
	int cpus = proc_cpu_count();
	if (h_is_init())
		EXPECT_STREQ(buf, proc_cpu_list(0, cpus - 1, want, sizeof want));
	EXPECT_EQ(buf[strlen(buf) - 1], '\n');
	EXPECT_OK(access("/sys/fs/cgroup", F_OK));
	if (geteuid() == 0)
		EXPECT_CHILD_OK(unprivileged_changes, NULL);
}
