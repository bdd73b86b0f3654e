/*
 * Helpers of the proc suites: procfs mounted at /proc (the guest's init has
 * nothing mounted, as Linux's initramfs; a host has it already), whole-file
 * reads, and "Key:\tvalue" lookups in status-like files.
 */
#ifndef FERRUX_PROC_H
#define FERRUX_PROC_H

#include "harness.h"

#include <sys/mount.h>
#include <sys/stat.h>

/* Mounts proc on /proc (and sysfs on /sys) unless they are there. */
static inline void proc_ready(void)
{
	if (access("/proc/self/stat", R_OK) != 0) {
		mkdir("/proc", 0555);
		if (mount("proc", "/proc", "proc", 0, NULL) != 0)
			FAIL("mount proc: %s", h_errname(errno));
	}
	if (access("/sys/devices/system/cpu/online", R_OK) != 0) {
		mkdir("/sys", 0555);
		if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0)
			FAIL("mount sysfs: %s", h_errname(errno));
	}
}

/* Reads a whole (procfs) file into buf, NUL-terminated; returns its length. */
static inline size_t proc_read(const char *path, char *buf, size_t size)
{
	return h_read_file(path, buf, size);
}

/* The value after "key:" (tabs and spaces skipped) up to the end of the
 * line, copied into out; FAILs if the key is missing. */
static inline const char *proc_field(const char *text, const char *key,
				     char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *line = text;
	while (line && *line) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			const char *v = line + klen + 1;
			while (*v == '\t' || *v == ' ')
				v++;
			size_t n = strcspn(v, "\n");
			if (n >= size)
				n = size - 1;
			memcpy(out, v, n);
			out[n] = 0;
			return out;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	FAIL("no \"%s:\" in the text", key);
}

/* A numeric field of a status-like file. */
static inline long long proc_number(const char *text, const char *key)
{
	char value[128];
	proc_field(text, key, value, sizeof value);
	return strtoll(value, NULL, 10);
}

/* The online CPUs: the "cpuN" lines of /proc/stat (the guest's -smp N; the
 * tests assume CPUs 0..N-1 are online, as in a guest). */
static inline int proc_cpu_count(void)
{
	static char stat[65536];
	proc_read("/proc/stat", stat, sizeof stat);
	int count = 0;
	for (const char *line = stat; line && *line;) {
		if (!strncmp(line, "cpu", 3) && line[3] >= '0' && line[3] <= '9')
			count++;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return count;
}

/* CPUs first..last as a sysfs CPU list ("0", "0-3") with its newline. */
static inline const char *proc_cpu_list(int first, int last, char *out,
					size_t size)
{
	if (first == last)
		snprintf(out, size, "%d\n", first);
	else
		snprintf(out, size, "%d-%d\n", first, last);
	return out;
}

/* CPUs first..last as a sysfs CPU mask (%*pb): hex digits for `cpus` possible
 * CPUs (at most 64), zero-padded, with its newline. */
static inline const char *proc_cpu_mask(int first, int last, int cpus,
					char *out, size_t size)
{
	unsigned long long mask = 0;
	for (int cpu = first; cpu <= last; cpu++)
		mask |= 1ULL << cpu;
	int digits = cpus < 1 ? 1 : cpus > 64 ? 16 : (cpus + 3) / 4;
	if (snprintf(out, size, "%0*llx\n", digits, mask) >= (int)size)
		FAIL("CPU mask of %d CPUs too long", cpus);
	return out;
}

#endif
