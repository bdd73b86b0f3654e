/*
 * Ferrux's vDSO: the clock calls user space makes without entering the
 * kernel, as Linux 6.1's x86-64 vDSO (arch/x86/entry/vdso/vclock_gettime.c,
 * lib/vdso/gettimeofday.c, arch/x86/entry/vdso/vgetcpu.c).
 *
 * This is user code: the kernel maps these bytes into every process (the
 * [vdso] mapping, read and execute) and only writes the data page below it
 * ([vvar], read-only; see vvar.h), which this code reads under its sequence
 * count.  The clocks are the TSC scaled by the page's mult and shift from
 * its base, plus the clock's base; the coarse clocks are the values at the
 * last tick.  Clocks it cannot serve (the CPU-time clocks, unknown ids), or
 * any clock while the page says there is no TSC clock, go to the system
 * call, whose result (-errno on failure) is returned as is, as Linux's vDSO
 * does.  getcpu reads the CPU and node numbers from the limit of the
 * per-CPU segment (lsl), as Linux.
 *
 * A task in a time namespace maps its namespace's page where the system's
 * page is, and the system's page VVAR_TIMENS_DATA_PAGE pages higher (as
 * Linux swaps them): its mode says VCLOCK_TIMENS and it holds the
 * namespace's offsets of CLOCK_MONOTONIC (also MONOTONIC_RAW and
 * MONOTONIC_COARSE) and CLOCK_BOOTTIME, which are added to the clocks read
 * from the system's page (Linux's do_hres_timens and do_coarse_timens).
 *
 * Exported under version LINUX_2.6 (vdso.lds), with and without the
 * __vdso_ prefix: clock_gettime, gettimeofday, time, getcpu, clock_getres.
 * Built by kernel/build.rs; it must need no relocation and no library.
 */
#include <linux/time.h>
#include <asm/unistd.h>

#include "vvar.h"

#define EXPORT __attribute__((visibility("default")))
#define NSEC_PER_SEC 1000000000ULL

/* The data page, 4 pages below the vDSO's first byte (vdso.lds). */
extern const volatile struct vvar vvar_page __attribute__((visibility("hidden")));

static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

static inline long syscall2(long number, long a, long b)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(number), "D"(a), "S"(b)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The TSC, not read before earlier loads (Linux's rdtsc_ordered). */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t low, high;
	__asm__ volatile("lfence\n\trdtsc" : "=a"(low), "=d"(high)::"memory");
	return (uint64_t)high << 32 | low;
}

/* The page with the clocks, and the offset of `clock` in the caller's time
 * namespace (0 outside one). */
static inline const volatile struct vvar *data_page(int clock,
						    int64_t *offset)
{
	const volatile struct vvar *v = &vvar_page;
	*offset = 0;
	if (__builtin_expect(v->clock_mode == VCLOCK_TIMENS, 0)) {
		if (clock == CLOCK_MONOTONIC || clock == CLOCK_MONOTONIC_RAW ||
		    clock == CLOCK_MONOTONIC_COARSE)
			*offset = v->timens_monotonic_ns;
		else if (clock == CLOCK_BOOTTIME)
			*offset = v->timens_boottime_ns;
		v = (const volatile struct vvar *)((uintptr_t)v +
						   VVAR_TIMENS_DATA_PAGE *
							   4096UL);
	}
	return v;
}

static inline uint32_t read_begin(const volatile struct vvar *v)
{
	uint32_t seq;
	while ((seq = v->seq) & 1)
		__builtin_ia32_pause();
	barrier();
	return seq;
}

static inline int read_retry(const volatile struct vvar *v, uint32_t seq)
{
	barrier();
	return v->seq != seq;
}

/* A high-resolution clock in nanoseconds; 0 when the page has no TSC clock
 * (the caller then makes the system call). */
static inline int read_hres(const volatile struct vvar *v, int clock,
			    uint64_t *ns)
{
	uint32_t seq;
	uint64_t value;
	do {
		seq = read_begin(v);
		if (v->clock_mode != VCLOCK_TSC)
			return 0;
		uint64_t cycles = rdtsc_ordered();
		uint64_t base = v->tsc_base;
		uint64_t delta = cycles > base ? cycles - base : 0;
		value = (uint64_t)(((unsigned __int128)delta * v->mult) >>
				   v->shift);
		if (clock == CLOCK_REALTIME)
			value += v->realtime_base_ns;
		else if (clock == CLOCK_TAI)
			value += v->realtime_base_ns + v->tai_offset_ns;
		else
			value += v->monotonic_base_ns;
	} while (read_retry(v, seq));
	*ns = value;
	return 1;
}

static inline uint64_t read_coarse(const volatile struct vvar *v, int clock)
{
	uint32_t seq;
	uint64_t value;
	do {
		seq = read_begin(v);
		value = clock == CLOCK_REALTIME_COARSE ? v->coarse_realtime_ns
						       : v->coarse_monotonic_ns;
	} while (read_retry(v, seq));
	return value;
}

static inline int is_hres(int clock)
{
	return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC ||
	       clock == CLOCK_BOOTTIME || clock == CLOCK_TAI ||
	       clock == CLOCK_MONOTONIC_RAW;
}

static inline int is_coarse(int clock)
{
	return clock == CLOCK_REALTIME_COARSE ||
	       clock == CLOCK_MONOTONIC_COARSE;
}

EXPORT int __vdso_clock_gettime(int clock, struct timespec *ts)
{
	int64_t offset;
	const volatile struct vvar *v = data_page(clock, &offset);
	uint64_t ns;
	if (is_hres(clock)) {
		if (!read_hres(v, clock, &ns))
			return syscall2(__NR_clock_gettime, clock, (long)ts);
	} else if (is_coarse(clock)) {
		ns = read_coarse(v, clock);
	} else {
		return syscall2(__NR_clock_gettime, clock, (long)ts);
	}
	ns += (uint64_t)offset;
	ts->tv_sec = ns / NSEC_PER_SEC;
	ts->tv_nsec = ns % NSEC_PER_SEC;
	return 0;
}

EXPORT int __vdso_gettimeofday(struct timeval *tv, struct timezone *tz)
{
	int64_t offset;
	const volatile struct vvar *v = data_page(CLOCK_REALTIME, &offset);
	if (tv) {
		uint64_t ns;
		if (!read_hres(v, CLOCK_REALTIME, &ns))
			return syscall2(__NR_gettimeofday, (long)tv, (long)tz);
		tv->tv_sec = ns / NSEC_PER_SEC;
		tv->tv_usec = ns % NSEC_PER_SEC / 1000;
	}
	if (tz) {
		tz->tz_minuteswest = v->tz_minuteswest;
		tz->tz_dsttime = v->tz_dsttime;
	}
	return 0;
}

EXPORT long __vdso_time(long *t)
{
	int64_t offset;
	const volatile struct vvar *v = data_page(CLOCK_REALTIME, &offset);
	long seconds = v->coarse_realtime_ns / NSEC_PER_SEC;
	if (t)
		*t = seconds;
	return seconds;
}

EXPORT int __vdso_clock_getres(int clock, struct timespec *res)
{
	int64_t offset;
	const volatile struct vvar *v = data_page(clock, &offset);
	uint64_t ns;
	if (is_hres(clock))
		ns = v->hres_resolution_ns;
	else if (is_coarse(clock))
		ns = v->coarse_resolution_ns;
	else
		return syscall2(__NR_clock_getres, clock, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = ns;
	}
	return 0;
}

EXPORT long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	unsigned p;
	(void)unused;
	__asm__ volatile("lsl %1, %0" : "=r"(p) : "r"((unsigned)CPUNODE_SELECTOR));
	if (cpu)
		*cpu = p & 0xfff;
	if (node)
		*node = p >> 12;
	return 0;
}

/* The names without the prefix, as Linux exports them too. */
int clock_gettime(int, struct timespec *)
	__attribute__((weak, alias("__vdso_clock_gettime"), visibility("default")));
int gettimeofday(struct timeval *, struct timezone *)
	__attribute__((weak, alias("__vdso_gettimeofday"), visibility("default")));
long time(long *)
	__attribute__((weak, alias("__vdso_time"), visibility("default")));
int clock_getres(int, struct timespec *)
	__attribute__((weak, alias("__vdso_clock_getres"), visibility("default")));
long getcpu(unsigned *, unsigned *, void *)
	__attribute__((weak, alias("__vdso_getcpu"), visibility("default")));

/* The kernel version note glibc reads (_dl_discover_osversion): "Linux",
 * type 0, LINUX_VERSION_CODE of 6.1.0. */
struct version_note {
	uint32_t namesz, descsz, type;
	char name[8];
	uint32_t version;
};
__attribute__((section(".note.Linux"), aligned(4), used)) static const struct
	version_note linux_version = {6, 4, 0, "Linux", 0x060100};
