/*
 * Suite sysinfo: sysinfo(2) and reboot(2)'s argument checks.
 *
 * Guards Linux's kernel/sys.c do_sysinfo (uptime in whole seconds of
 * CLOCK_BOOTTIME rounded up, so > 0; total RAM > 0 with mem_unit 1 when the
 * sizes fit; free <= total; at least one process; EFAULT) and kernel/reboot.c
 * (a bad magic1/magic2 or an unknown command is EINVAL; the real power-off is
 * left to the end of main).  Man pages sysinfo(2), reboot(2).
 */
#include "harness.h"
#include "../proc/proc.h"

#include <sys/sysinfo.h>
#include <time.h>

struct k_sysinfo {
	long uptime;
	unsigned long loads[3];
	unsigned long totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	unsigned short procs, pad;
	unsigned long totalhigh, freehigh;
	unsigned int mem_unit;
	char _f[0];
};

TEST(sysinfo, memory_and_uptime)
{
	struct k_sysinfo si;
	memset(&si, 0xff, sizeof si);
	EXPECT_EQ(syscall(SYS_sysinfo, &si), 0);
	EXPECT_GT(si.uptime, 0);
	EXPECT_GT(si.totalram, 0);
	EXPECT_GE(si.mem_unit, 1);
	EXPECT_GE((unsigned long long)si.totalram * si.mem_unit, 32ULL << 20);
	EXPECT_LE(si.freeram, si.totalram);
	EXPECT_GT(si.freeram, 0);
	EXPECT_GE(si.procs, 1);
	EXPECT_LE(si.freeswap, si.totalswap);
	EXPECT_EQ(si.totalhigh, 0);
	EXPECT_EQ(si.freehigh, 0);
}

TEST(sysinfo, mem_unit_one_on_64bit)
{
	struct k_sysinfo si;
	EXPECT_EQ(syscall(SYS_sysinfo, &si), 0);
	EXPECT_EQ(si.mem_unit, 1);
}

TEST(sysinfo, uptime_matches_boottime)
{
	struct timespec bt;
	struct k_sysinfo si;
	EXPECT_OK(clock_gettime(CLOCK_BOOTTIME, &bt));
	EXPECT_EQ(syscall(SYS_sysinfo, &si), 0);
	EXPECT_GE(si.uptime, bt.tv_sec);
	EXPECT_LE(si.uptime, bt.tv_sec + 2);
}

/* /proc/loadavg's averages in hundredths and its task count (`running/total`). */
static int read_loadavg(long hundredths[3], long *tasks)
{
	FILE *f = fopen("/proc/loadavg", "r");
	if (!f)
		return -1;
	long whole[3], frac[3], running;
	int n = fscanf(f, "%ld.%ld %ld.%ld %ld.%ld %ld/%ld", &whole[0], &frac[0],
		       &whole[1], &frac[1], &whole[2], &frac[2], &running, tasks);
	fclose(f);
	for (int i = 0; i < 3; i++)
		hundredths[i] = whole[i] * 100 + frac[i];
	return n == 8 ? 0 : -1;
}

TEST(sysinfo, loads_and_tasks_match_proc_loadavg)
{
	proc_ready();
	for (int attempt = 0; attempt < 5; attempt++) {
		long before[3], after[3], tasks_before, tasks_after;
		struct k_sysinfo si;
		EXPECT_EQ(read_loadavg(before, &tasks_before), 0);
		EXPECT_EQ(syscall(SYS_sysinfo, &si), 0);
		EXPECT_EQ(read_loadavg(after, &tasks_after), 0);
		/* The averages move every 5 s: compare only within one period. */
		if (memcmp(before, after, sizeof before) != 0 || tasks_before != tasks_after)
			continue;
		for (int i = 0; i < 3; i++) {
			/* SI_LOAD_SHIFT is 16; /proc rounds to hundredths. */
			long mine = (long)((si.loads[i] * 100 + 32768) >> 16);
			EXPECT_LE(labs(mine - before[i]), 1);
		}
		EXPECT_EQ(si.procs, tasks_before);
		return;
	}
	FAIL("/proc/loadavg changed during every attempt");
}

TEST(sysinfo, libc_wrapper)
{
	struct sysinfo si;
	EXPECT_OK(sysinfo(&si));
	EXPECT_GT(si.totalram, 0);
}

TEST(sysinfo, efault)
{
	EXPECT_ERRNO(syscall(SYS_sysinfo, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_sysinfo, H_BAD_PTR), EFAULT);
}

#define MAGIC1 0xfee1deadL
#define MAGIC2 0x28121969L

TEST(reboot, bad_magic_einval)
{
	if (geteuid() != 0)
		return; /* without CAP_SYS_BOOT the answer is EPERM */
	/* Command 0 (LINUX_REBOOT_CMD_CAD_OFF) would be harmless if a kernel
	 * wrongly ran it. */
	EXPECT_ERRNO(syscall(SYS_reboot, 0x12345678L, MAGIC2, 0L, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_reboot, MAGIC1, 0x12345678L, 0L, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_reboot, 0, 0, 0, 0), EINVAL);
}

TEST(reboot, bad_command_einval)
{
	if (geteuid() != 0)
		return;
	EXPECT_ERRNO(syscall(SYS_reboot, MAGIC1, MAGIC2, 0x12345678L, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_reboot, MAGIC1, MAGIC2, 1L, 0), EINVAL);
}
