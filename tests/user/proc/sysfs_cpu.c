/*
 * Suite sysfscpu: the CPU, memory node, bus and module parts of sysfs as
 * Linux 6.1 shows them in a QEMU guest of N CPUs (-smp N: one package of N
 * cores; drivers/base/cpu.c, topology.c, cacheinfo.c, node.c, bus.c,
 * kernel/params.c). N is counted from /proc/stat's cpuN lines.
 *
 * Guards: /sys/devices/system/cpu has online/possible/present "0" ("0-3"
 * for 4 CPUs), offline/isolated empty, kernel_max 8191, nohz_full "(null)",
 * smt/active 0 and smt/control "notsupported" (writes: on/off ENODEV, others
 * EINVAL); cpu0 has no "online" file (cpuN for N > 0 has one, reading 1), a
 * topology/ of one core in a package of N (own masks for cluster, core and
 * thread; the package's for core_siblings, die and package; masks as hex
 * digits for N CPUs, lists sized 28672 in stat, cluster_id 65535), a cache/
 * whose indexN describe caches consistently (size = sets * ways * line *
 * partitions; L1 caches cpu0's own; shared_cpu_map and shared_cpu_list the
 * same CPUs, cpu0 among them), node0 and subsystem links;
 * /sys/devices/system/node/node0 has cpumap and cpulist of every CPU,
 * distance 10 and a link per CPU; /sys/bus/{cpu,node,
 * platform} link their devices, platform's serial8250 is bound to the
 * serial8250 driver (links both ways, modalias, uevent), drivers_autoprobe
 * reads 1, drivers_probe and uevent are write-only (EACCES to read even for
 * root) and drivers_probe of an unknown device is ENODEV; /sys/module/printk
 * has the parameters time (Y) and ignore_loglevel (N), writable booleans
 * (kstrtobool: "on" sets, "bogus" EINVAL); /sys/module/kernel/parameters/panic
 * is the panic= timeout that /proc/sys/kernel/panic shows (an int: writes
 * through either show in both, "bogus" is EINVAL); /sys/firmware/dmi/tables
 * holds the firmware's SMBIOS entry point and table (0400, sizes in stat).
 */
#include "proc.h"

static void expect_link(const char *path, const char *want)
{
	char target[256];
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n < 0)
		FAIL("readlink %s: %s", path, h_errname(errno));
	target[n] = 0;
	if (strcmp(target, want))
		FAIL("%s -> %s, not %s", path, target, want);
}

/* path reads want, with mode `mode` and size `size` in stat. */
static void expect_attr(const char *path, const char *want, int mode, long size)
{
	char text[512];
	proc_read(path, text, sizeof text);
	if (strcmp(text, want))
		FAIL("%s reads \"%s\", not \"%s\"", path, text, want);
	struct stat st;
	EXPECT_OK(stat(path, &st));
	if ((int)(st.st_mode & 07777) != mode || st.st_size != size)
		FAIL("%s: mode %o size %ld, not %o %ld", path,
		     st.st_mode & 07777, (long)st.st_size, mode, size);
}

static long read_number(const char *path)
{
	char text[64];
	proc_read(path, text, sizeof text);
	return strtol(text, NULL, 10);
}

/* Writes text to path: 0 or the errno. */
static int write_attr(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	int e = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : errno;
	close(fd);
	return e;
}

#define CPU "/sys/devices/system/cpu/"

TEST(sysfscpu, cpu_directory_and_topology)
{
	proc_ready();
	int cpus = proc_cpu_count();
	EXPECT_GT(cpus, 0);
	char all[32], all_map[32], own_map[32];
	proc_cpu_list(0, cpus - 1, all, sizeof all);
	proc_cpu_mask(0, cpus - 1, cpus, all_map, sizeof all_map);
	proc_cpu_mask(0, 0, cpus, own_map, sizeof own_map);
	expect_attr(CPU "online", all, 0444, 4096);
	expect_attr(CPU "possible", all, 0444, 4096);
	expect_attr(CPU "present", all, 0444, 4096);
	expect_attr(CPU "offline", "\n", 0444, 4096);
	expect_attr(CPU "isolated", "\n", 0444, 4096);
	expect_attr(CPU "kernel_max", "8191\n", 0444, 4096);
	expect_attr(CPU "nohz_full", "(null)\n", 0444, 4096);
	expect_attr(CPU "smt/active", "0\n", 0444, 4096);
	expect_attr(CPU "smt/control", "notsupported\n", 0644, 4096);
	expect_attr(CPU "power/control", "auto\n", 0644, 4096);
	struct stat st;
	/* The boot CPU cannot go offline: no "online" file; the others have one. */
	EXPECT_ERRNO(stat(CPU "cpu0/online", &st), ENOENT);
	for (int cpu = 1; cpu < cpus; cpu++) {
		char path[256];
		snprintf(path, sizeof path, CPU "cpu%d/online", cpu);
		expect_attr(path, "1\n", 0644, 4096);
	}
	/* One core of its own (no SMT, no L2 shared between cores) in a package
	 * of every CPU. */
	static const char *const own[] = {"cluster_cpus", "core_cpus",
					  "thread_siblings", NULL};
	static const char *const package[] = {"core_siblings", "die_cpus",
					      "package_cpus", NULL};
	for (int i = 0; own[i] || package[i]; i++) {
		char path[256];
		if (own[i]) {
			snprintf(path, sizeof path, CPU "cpu0/topology/%s", own[i]);
			expect_attr(path, own_map, 0444, 4096);
			snprintf(path, sizeof path, CPU "cpu0/topology/%s_list", own[i]);
			expect_attr(path, "0\n", 0444, 28672);
		}
		if (package[i]) {
			snprintf(path, sizeof path, CPU "cpu0/topology/%s", package[i]);
			expect_attr(path, all_map, 0444, 4096);
			snprintf(path, sizeof path, CPU "cpu0/topology/%s_list",
				 package[i]);
			expect_attr(path, all, 0444, 28672);
		}
	}
	expect_attr(CPU "cpu0/topology/core_id", "0\n", 0444, 4096);
	expect_attr(CPU "cpu0/topology/die_id", "0\n", 0444, 4096);
	expect_attr(CPU "cpu0/topology/physical_package_id", "0\n", 0444, 4096);
	expect_attr(CPU "cpu0/topology/cluster_id", "65535\n", 0444, 4096);
	expect_link(CPU "cpu0/subsystem", "../../../../bus/cpu");
	expect_link(CPU "cpu0/node0", "../../node/node0");
	if (geteuid() != 0)
		return;
	EXPECT_EQ(write_attr(CPU "smt/control", "on\n"), ENODEV);
	EXPECT_EQ(write_attr(CPU "smt/control", "bogus\n"), EINVAL);
}

TEST(sysfscpu, caches_are_consistent)
{
	proc_ready();
	int count = 0;
	for (int i = 0; i < 8; i++) {
		char dir[128], path[192], text[64];
		snprintf(dir, sizeof dir, CPU "cpu0/cache/index%d", i);
		struct stat st;
		if (stat(dir, &st) != 0)
			break;
		count++;
		snprintf(path, sizeof path, "%s/type", dir);
		proc_read(path, text, sizeof text);
		if (strcmp(text, "Data\n") && strcmp(text, "Instruction\n") &&
		    strcmp(text, "Unified\n"))
			FAIL("%s: %s", path, text);
		snprintf(path, sizeof path, "%s/level", dir);
		long level = read_number(path);
		EXPECT_TRUE(level >= 1 && level <= 4);
		long product = 1;
		static const char *const factors[] = {
			"number_of_sets", "ways_of_associativity",
			"coherency_line_size", "physical_line_partition", NULL};
		for (int f = 0; factors[f]; f++) {
			snprintf(path, sizeof path, "%s/%s", dir, factors[f]);
			product *= read_number(path);
		}
		snprintf(path, sizeof path, "%s/size", dir);
		proc_read(path, text, sizeof text);
		char want[64];
		snprintf(want, sizeof want, "%ldK\n", product / 1024);
		EXPECT_STREQ(text, want);
		/* The map and the list name the same CPUs, cpu0 among them: its
		 * L1 caches are its own; an L3 may be the package's. */
		int cpus = proc_cpu_count();
		char map[64], list[64], want_map[32];
		snprintf(path, sizeof path, "%s/shared_cpu_map", dir);
		proc_read(path, map, sizeof map);
		snprintf(path, sizeof path, "%s/shared_cpu_list", dir);
		proc_read(path, list, sizeof list);
		int last = 0;
		if (strcmp(list, "0\n")) {
			EXPECT_EQ(sscanf(list, "0-%d\n", &last), 1);
			EXPECT_TRUE(last > 0 && last < cpus);
		}
		if (level == 1)
			EXPECT_STREQ(list, "0\n");
		proc_cpu_mask(0, last, cpus, want_map, sizeof want_map);
		EXPECT_STREQ(map, want_map);
		snprintf(path, sizeof path, "%s/shared_cpu_map", dir);
		expect_attr(path, want_map, 0444, 4096);
		snprintf(path, sizeof path, "%s/id", dir);
		expect_attr(path, "0\n", 0444, 4096);
	}
	EXPECT_GT(count, 0);
}

TEST(sysfscpu, memory_node)
{
	proc_ready();
	const char *node = "/sys/devices/system/node/";
	char path[256];
	static const char *const zeros[] = {"online", "possible", "has_cpu",
					    "has_memory", "has_normal_memory",
					    NULL};
	for (int i = 0; zeros[i]; i++) {
		snprintf(path, sizeof path, "%s%s", node, zeros[i]);
		expect_attr(path, "0\n", 0444, 4096);
	}
	int cpus = proc_cpu_count();
	char all[32], all_map[32];
	proc_cpu_list(0, cpus - 1, all, sizeof all);
	proc_cpu_mask(0, cpus - 1, cpus, all_map, sizeof all_map);
	expect_attr("/sys/devices/system/node/node0/cpumap", all_map, 0444, 4096);
	expect_attr("/sys/devices/system/node/node0/cpulist", all, 0444, 28672);
	expect_attr("/sys/devices/system/node/node0/distance", "10\n", 0444, 4096);
	for (int cpu = 0; cpu < cpus; cpu++) {
		char link[64], target[64];
		snprintf(link, sizeof link, "/sys/devices/system/node/node0/cpu%d", cpu);
		snprintf(target, sizeof target, "../../cpu/cpu%d", cpu);
		expect_link(link, target);
	}
	expect_link("/sys/devices/system/node/node0/subsystem",
		    "../../../../bus/node");
}

TEST(sysfscpu, buses_and_the_platform_device)
{
	proc_ready();
	expect_link("/sys/bus/cpu/devices/cpu0",
		    "../../../devices/system/cpu/cpu0");
	expect_link("/sys/bus/node/devices/node0",
		    "../../../devices/system/node/node0");
	expect_link("/sys/bus/platform/devices/serial8250",
		    "../../../devices/platform/serial8250");
	expect_link("/sys/bus/platform/drivers/serial8250/serial8250",
		    "../../../../devices/platform/serial8250");
	const char *dev = "/sys/devices/platform/serial8250/";
	char path[256];
	snprintf(path, sizeof path, "%sdriver", dev);
	expect_link(path, "../../../bus/platform/drivers/serial8250");
	snprintf(path, sizeof path, "%ssubsystem", dev);
	expect_link(path, "../../../bus/platform");
	snprintf(path, sizeof path, "%smodalias", dev);
	expect_attr(path, "platform:serial8250\n", 0444, 4096);
	snprintf(path, sizeof path, "%suevent", dev);
	expect_attr(path, "DRIVER=serial8250\nMODALIAS=platform:serial8250\n",
		    0644, 4096);
	static const char *const buses[] = {"cpu", "node", "platform", NULL};
	for (int i = 0; buses[i]; i++) {
		snprintf(path, sizeof path, "/sys/bus/%s/drivers_autoprobe",
			 buses[i]);
		expect_attr(path, "1\n", 0644, 4096);
		struct stat st;
		snprintf(path, sizeof path, "/sys/bus/%s/drivers_probe", buses[i]);
		EXPECT_OK(stat(path, &st));
		EXPECT_EQX(st.st_mode, S_IFREG | 0200);
		if (geteuid() == 0)
			EXPECT_ERRNO(open(path, O_RDONLY), EACCES);
		snprintf(path, sizeof path, "/sys/bus/%s/uevent", buses[i]);
		EXPECT_OK(stat(path, &st));
		EXPECT_EQX(st.st_mode, S_IFREG | 0200);
	}
	if (geteuid() != 0)
		return;
	EXPECT_EQ(write_attr("/sys/bus/platform/drivers_probe", "nosuch\n"),
		  ENODEV);
	EXPECT_EQ(write_attr("/sys/bus/platform/drivers_probe", "serial8250\n"),
		  0);
}

TEST(sysfscpu, printk_module_parameters)
{
	proc_ready();
	const char *time = "/sys/module/printk/parameters/time";
	const char *ignore = "/sys/module/printk/parameters/ignore_loglevel";
	expect_attr(time, "Y\n", 0644, 4096);
	expect_attr(ignore, "N\n", 0644, 4096);
	struct stat st;
	EXPECT_OK(stat("/sys/module/printk/uevent", &st));
	EXPECT_EQX(st.st_mode, S_IFREG | 0200);
	if (geteuid() != 0)
		return;
	EXPECT_ERRNO(open("/sys/module/printk/uevent", O_RDONLY), EACCES);
	EXPECT_EQ(write_attr(time, "bogus\n"), EINVAL);
	EXPECT_EQ(write_attr(time, "0\n"), 0);
	expect_attr(time, "N\n", 0644, 4096);
	EXPECT_EQ(write_attr(time, "on\n"), 0);
	expect_attr(time, "Y\n", 0644, 4096);
	EXPECT_EQ(write_attr(ignore, "n"), 0);
	expect_attr(ignore, "N\n", 0644, 4096);
}

TEST(sysfscpu, kernel_panic_parameter)
{
	proc_ready();
	const char *param = "/sys/module/kernel/parameters/panic";
	const char *sysctl = "/proc/sys/kernel/panic";
	char before[64], text[64];
	proc_read(sysctl, before, sizeof before);
	expect_attr(param, before, 0644, 4096);
	if (geteuid() != 0)
		return;
	EXPECT_EQ(write_attr(param, "bogus\n"), EINVAL);
	EXPECT_EQ(write_attr(param, "0x10\n"), 0);
	proc_read(sysctl, text, sizeof text);
	EXPECT_STREQ(text, "16\n");
	EXPECT_EQ(write_attr(sysctl, "7\n"), 0);
	expect_attr(param, "7\n", 0644, 4096);
	EXPECT_EQ(write_attr(param, before), 0);
	proc_read(sysctl, text, sizeof text);
	EXPECT_STREQ(text, before);
}

TEST(sysfscpu, smbios_tables)
{
	proc_ready();
	const char *entry_path = "/sys/firmware/dmi/tables/smbios_entry_point";
	const char *table_path = "/sys/firmware/dmi/tables/DMI";
	struct stat st;
	if (stat(entry_path, &st) != 0) {
		/* QEMU's firmware always has them. */
		if (h_is_init())
			FAIL("stat %s: %s", entry_path, h_errname(errno));
		return;
	}
	EXPECT_EQX(st.st_mode, S_IFREG | 0400);
	if (geteuid() != 0)
		return;
	unsigned char entry[64];
	int fd = EXPECT_OK(open(entry_path, O_RDONLY));
	ssize_t n = read(fd, entry, sizeof entry);
	close(fd);
	EXPECT_EQ(n, st.st_size);
	unsigned long table_len;
	if (n >= 24 && memcmp(entry, "_SM3_", 5) == 0) {
		EXPECT_EQ(n, entry[6]);
		memcpy(&table_len, entry + 12, 4);
		table_len &= 0xffffffff;
	} else {
		EXPECT_GE(n, 31);
		EXPECT_TRUE(memcmp(entry, "_SM_", 4) == 0);
		EXPECT_TRUE(memcmp(entry + 16, "_DMI_", 5) == 0);
		EXPECT_EQ(n, entry[5]);
		table_len = entry[22] | entry[23] << 8;
	}
	unsigned char sum = 0;
	for (ssize_t i = 0; i < n; i++)
		sum += entry[i];
	EXPECT_EQ(sum, 0);
	EXPECT_OK(stat(table_path, &st));
	EXPECT_EQX(st.st_mode, S_IFREG | 0400);
	EXPECT_EQ((unsigned long)st.st_size, table_len);
	static unsigned char table[1 << 16];
	fd = EXPECT_OK(open(table_path, O_RDONLY));
	size_t total = 0;
	while ((n = read(fd, table + total, sizeof table - total)) > 0)
		total += n;
	close(fd);
	EXPECT_EQ(total, table_len);
	/* The first structure: BIOS information (type 0) with its header length. */
	EXPECT_EQ(table[0], 0);
	EXPECT_GE(table[1], 4);
}
