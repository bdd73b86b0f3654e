/*
 * Suite vdso: the vDSO a new program finds through AT_SYSINFO_EHDR, as
 * Linux 6.1 on x86-64 provides it (arch/x86/entry/vdso, lib/vdso).
 *
 * The image: an ELF shared object (ET_DYN, EM_X86_64, soname
 * linux-vdso.so.1) with a SysV and a GNU hash table and symbol versions;
 * clock_gettime, gettimeofday, time, getcpu and clock_getres, each also
 * with the __vdso_ prefix, defined under version LINUX_2.6 (looked up here
 * the way C libraries do, through both hash tables).  The calls: the
 * high-resolution clocks agree with the system calls (a vDSO reading lies
 * between two system-call readings) and never go back; the coarse clocks
 * and time() are those of the last tick, as the system calls' are; the
 * CPU-time clocks and unknown ids go to the system call (an unknown id is
 * -EINVAL, returned, not in errno); clock_getres gives 1 ns for the
 * high-resolution clocks and one tick for the coarse ones; gettimeofday
 * zeroes the timezone; getcpu names an online CPU and node 0.  The
 * mappings: [vvar] is the 4 pages below the vDSO, read-only (mprotect
 * cannot make it writable: EACCES), with only its first page backed
 * (touching the next is SIGBUS under TCG, which has no paravirtual clock);
 * neither can be split (munmap or mprotect of part of one is EINVAL, a
 * MAP_FIXED mmap over part of one ENOMEM: Linux's special_mapping_split),
 * but the whole vDSO can be made writable and a write stays private; mremap
 * cannot grow them (EFAULT), shrink them, move part of one or leave one
 * behind (EINVAL), but moves both whole, after which the moved vDSO works
 * (CRIU does this); a forked child has both; unmapping them leaves the
 * process able to exit.
 */
#include "harness.h"

#include <elf.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#ifndef CLOCK_BOOTTIME
#define CLOCK_BOOTTIME 7
#endif
#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif
#ifndef SYS_getcpu
#define SYS_getcpu 309
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

typedef long (*clock_gettime_fn)(long, struct timespec *);
typedef long (*gettimeofday_fn)(struct timeval *, struct timezone *);
typedef long (*time_fn)(long *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);
typedef long (*clock_getres_fn)(long, struct timespec *);

/* The vDSO's dynamic tables, found from its program headers. */
struct vdso {
	const Elf64_Ehdr *ehdr;
	uintptr_t bias;
	const Elf64_Sym *symtab;
	const char *strtab;
	const Elf64_Word *hash;     /* DT_HASH */
	const Elf64_Word *gnu_hash; /* DT_GNU_HASH */
	const Elf64_Versym *versym;
	const Elf64_Verdef *verdef;
	const char *soname;
	int needed;
	int exec_loads;
};

static int vdso_open(struct vdso *v)
{
	memset(v, 0, sizeof *v);
	v->ehdr = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	if (!v->ehdr)
		return 0;
	const Elf64_Phdr *ph =
		(const void *)((const char *)v->ehdr + v->ehdr->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	int have_bias = 0;
	for (int i = 0; i < v->ehdr->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_bias) {
			v->bias = (uintptr_t)v->ehdr + ph[i].p_offset - ph[i].p_vaddr;
			have_bias = 1;
		}
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X))
			v->exec_loads++;
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (const void *)((const char *)v->ehdr + ph[i].p_offset);
	}
	if (!dyn || !have_bias)
		return 0;
	uintptr_t soname = 0;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		const void *p = (const void *)(dyn->d_un.d_ptr + v->bias);
		switch (dyn->d_tag) {
		case DT_SYMTAB: v->symtab = p; break;
		case DT_STRTAB: v->strtab = p; break;
		case DT_HASH: v->hash = p; break;
		case DT_GNU_HASH: v->gnu_hash = p; break;
		case DT_VERSYM: v->versym = p; break;
		case DT_VERDEF: v->verdef = p; break;
		case DT_SONAME: soname = dyn->d_un.d_val; break;
		case DT_NEEDED: v->needed++; break;
		}
	}
	if (v->strtab && soname)
		v->soname = v->strtab + soname;
	return v->symtab && v->strtab;
}

/* Whether symbol i is defined with version `version` (its verdef). */
static int has_version(const struct vdso *v, unsigned i, const char *version)
{
	if (!v->versym || !v->verdef)
		return 0;
	unsigned index = v->versym[i] & 0x7fff;
	const Elf64_Verdef *d = v->verdef;
	for (;;) {
		if (!(d->vd_flags & VER_FLG_BASE) && d->vd_ndx == index) {
			const Elf64_Verdaux *a =
				(const void *)((const char *)d + d->vd_aux);
			return !strcmp(v->strtab + a->vda_name, version);
		}
		if (!d->vd_next)
			return 0;
		d = (const void *)((const char *)d + d->vd_next);
	}
}

static int matches(const struct vdso *v, unsigned i, const char *name,
		   const char *version)
{
	const Elf64_Sym *s = &v->symtab[i];
	int bind = ELF64_ST_BIND(s->st_info);
	return ELF64_ST_TYPE(s->st_info) == STT_FUNC &&
	       (bind == STB_GLOBAL || bind == STB_WEAK) &&
	       s->st_shndx != SHN_UNDEF && !strcmp(v->strtab + s->st_name, name) &&
	       has_version(v, i, version);
}

/* Lookup through the SysV hash table (what musl uses). */
static void *sym_sysv(const struct vdso *v, const char *name, const char *version)
{
	if (!v->hash)
		return NULL;
	unsigned long h = 0;
	for (const unsigned char *p = (const void *)name; *p; p++) {
		h = (h << 4) + *p;
		unsigned long g = h & 0xf0000000;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	Elf64_Word nbucket = v->hash[0];
	const Elf64_Word *bucket = &v->hash[2], *chain = &v->hash[2 + nbucket];
	for (Elf64_Word i = bucket[h % nbucket]; i; i = chain[i])
		if (matches(v, i, name, version))
			return (void *)(v->symtab[i].st_value + v->bias);
	return NULL;
}

/* Lookup through the GNU hash table (what glibc uses). */
static void *sym_gnu(const struct vdso *v, const char *name, const char *version)
{
	if (!v->gnu_hash)
		return NULL;
	uint32_t h = 5381;
	for (const unsigned char *p = (const void *)name; *p; p++)
		h = h * 33 + *p;
	uint32_t nbuckets = v->gnu_hash[0], symoffset = v->gnu_hash[1];
	uint32_t bloom_size = v->gnu_hash[2], bloom_shift = v->gnu_hash[3];
	const uint64_t *bloom = (const void *)&v->gnu_hash[4];
	const uint32_t *buckets = (const void *)&bloom[bloom_size];
	const uint32_t *chain = &buckets[nbuckets];
	uint64_t word = bloom[(h / 64) % bloom_size];
	uint64_t mask = (1ULL << (h % 64)) | (1ULL << ((h >> bloom_shift) % 64));
	if ((word & mask) != mask)
		return NULL;
	uint32_t i = buckets[h % nbuckets];
	if (i < symoffset)
		return NULL;
	for (;; i++) {
		uint32_t hash = chain[i - symoffset];
		if ((hash | 1) == (h | 1) && matches(v, i, name, version))
			return (void *)(v->symtab[i].st_value + v->bias);
		if (hash & 1)
			return NULL;
	}
}

static struct vdso vd;

static void *need(const char *name)
{
	if (!vdso_open(&vd))
		FAIL("no vDSO (AT_SYSINFO_EHDR %#lx)", getauxval(AT_SYSINFO_EHDR));
	void *p = sym_sysv(&vd, name, "LINUX_2.6");
	if (!p)
		FAIL("%s@LINUX_2.6 not found", name);
	return p;
}

static long long ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static long long raw_ns(long clock)
{
	struct timespec ts;
	if (syscall(SYS_clock_gettime, clock, &ts) != 0)
		FAIL("clock_gettime(%ld): %s", clock, h_errname(errno));
	return ns(&ts);
}

TEST(vdso, image_is_a_versioned_shared_object)
{
	EXPECT_TRUE(vdso_open(&vd));
	const Elf64_Ehdr *e = vd.ehdr;
	EXPECT_MEMEQ(e->e_ident, ELFMAG, SELFMAG);
	EXPECT_EQ(e->e_ident[EI_CLASS], ELFCLASS64);
	EXPECT_EQ(e->e_type, ET_DYN);
	EXPECT_EQ(e->e_machine, EM_X86_64);
	EXPECT_EQ((uintptr_t)e % 4096, 0);
	EXPECT_EQ(vd.bias, (uintptr_t)e);
	EXPECT_GT(vd.exec_loads, 0);
	EXPECT_EQ(vd.needed, 0);
	EXPECT_TRUE(vd.hash && vd.gnu_hash && vd.versym && vd.verdef);
	EXPECT_TRUE(vd.soname && !strcmp(vd.soname, "linux-vdso.so.1"));
}

TEST(vdso, exports_under_linux_2_6)
{
	static const char *const names[] = {
		"clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres",
	};
	EXPECT_TRUE(vdso_open(&vd));
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char prefixed[64];
		snprintf(prefixed, sizeof prefixed, "__vdso_%s", names[i]);
		void *a = sym_sysv(&vd, prefixed, "LINUX_2.6");
		void *b = sym_gnu(&vd, prefixed, "LINUX_2.6");
		void *c = sym_sysv(&vd, names[i], "LINUX_2.6");
		if (!a || a != b || a != c)
			FAIL("%s: sysv %p gnu %p plain %p", names[i], a, b, c);
		/* The code lies in the image. */
		EXPECT_TRUE((uintptr_t)a > (uintptr_t)vd.ehdr &&
			    (uintptr_t)a < (uintptr_t)vd.ehdr + 65536);
	}
	/* No other version, no made-up name. */
	EXPECT_TRUE(sym_sysv(&vd, "__vdso_clock_gettime", "LINUX_2.5") == NULL);
	EXPECT_TRUE(sym_gnu(&vd, "__vdso_nothing", "LINUX_2.6") == NULL);
}

TEST(vdso, clocks_agree_with_the_system_call)
{
	clock_gettime_fn fn = (clock_gettime_fn)need("__vdso_clock_gettime");
	static const long clocks[] = {
		CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
		CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_REALTIME_COARSE,
		CLOCK_MONOTONIC_COARSE,
	};
	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		for (int round = 0; round < 200; round++) {
			struct timespec ts = {-1, -1};
			long long before = raw_ns(clocks[i]);
			EXPECT_EQ(fn(clocks[i], &ts), 0);
			long long after = raw_ns(clocks[i]);
			if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
				FAIL("clock %ld: tv_nsec %ld", clocks[i], ts.tv_nsec);
			if (ns(&ts) < before || ns(&ts) > after)
				FAIL("clock %ld: vDSO %lld not within %lld..%lld",
				     clocks[i], ns(&ts), before, after);
		}
	}
}

TEST(vdso, monotonic_never_goes_back)
{
	clock_gettime_fn fn = (clock_gettime_fn)need("__vdso_clock_gettime");
	struct timespec ts;
	long long prev = 0, prev_coarse = 0;
	for (int i = 0; i < 20000; i++) {
		EXPECT_EQ(fn(CLOCK_MONOTONIC, &ts), 0);
		if (ns(&ts) < prev)
			FAIL("MONOTONIC went back: %lld then %lld", prev, ns(&ts));
		prev = ns(&ts);
		EXPECT_EQ(fn(CLOCK_MONOTONIC_COARSE, &ts), 0);
		long long coarse = ns(&ts);
		EXPECT_EQ(fn(CLOCK_MONOTONIC, &ts), 0);
		/* The last tick: not before the previous one, not after now. */
		if (coarse < prev_coarse || coarse > ns(&ts))
			FAIL("MONOTONIC_COARSE %lld after %lld, fine %lld", coarse,
			     prev_coarse, ns(&ts));
		prev_coarse = coarse;
		prev = ns(&ts);
	}
}

TEST(vdso, other_clocks_go_to_the_system_call)
{
	clock_gettime_fn fn = (clock_gettime_fn)need("__vdso_clock_gettime");
	struct timespec ts = {-1, -1};
	EXPECT_EQ(fn(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
	EXPECT_GT(ns(&ts), 0);
	EXPECT_EQ(fn(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
	EXPECT_GT(ns(&ts), 0);
	/* Another thread's CPU clock (a negative id): the system call's. */
	clockid_t cpu;
	EXPECT_EQ(clock_getcpuclockid(0, &cpu), 0);
	EXPECT_EQ(fn(cpu, &ts), 0);
	/* Unknown ids: the system call's -EINVAL, returned as is. */
	EXPECT_EQ(fn(10, &ts), -EINVAL);
	EXPECT_EQ(fn(16, &ts), -EINVAL);
	EXPECT_EQ(fn(1 << 30, &ts), -EINVAL);
}

TEST(vdso, gettimeofday_and_time)
{
	gettimeofday_fn gtod = (gettimeofday_fn)need("__vdso_gettimeofday");
	time_fn tm = (time_fn)need("__vdso_time");
	for (int round = 0; round < 200; round++) {
		struct timeval before, tv, after;
		struct timezone tz = {-1, -1};
		EXPECT_EQ(syscall(SYS_gettimeofday, &before, NULL), 0);
		EXPECT_EQ(gtod(&tv, &tz), 0);
		EXPECT_EQ(syscall(SYS_gettimeofday, &after, NULL), 0);
		long long b = before.tv_sec * 1000000LL + before.tv_usec;
		long long v = tv.tv_sec * 1000000LL + tv.tv_usec;
		long long a = after.tv_sec * 1000000LL + after.tv_usec;
		if (v < b || v > a || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			FAIL("gettimeofday %lld not within %lld..%lld", v, b, a);
		EXPECT_EQ(tz.tz_minuteswest, 0);
		EXPECT_EQ(tz.tz_dsttime, 0);
		long t1 = syscall(SYS_time, NULL), stored = -1;
		long t = tm(&stored);
		long t2 = syscall(SYS_time, NULL);
		EXPECT_EQ(t, stored);
		if (t < t1 || t > t2)
			FAIL("time %ld not within %ld..%ld", t, t1, t2);
		EXPECT_LE(t, tv.tv_sec + 1);
	}
	/* Both arguments may be NULL. */
	EXPECT_EQ(gtod(NULL, NULL), 0);
	EXPECT_GT(tm(NULL), 1577836800);
}

TEST(vdso, clock_getres)
{
	clock_getres_fn fn = (clock_getres_fn)need("__vdso_clock_getres");
	static const long hres[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
				    CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME, CLOCK_TAI};
	struct timespec res, sys;
	for (size_t i = 0; i < sizeof hres / sizeof hres[0]; i++) {
		EXPECT_EQ(fn(hres[i], &res), 0);
		EXPECT_EQ(res.tv_sec, 0);
		EXPECT_EQ(res.tv_nsec, 1);
	}
	static const long coarse[] = {CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE};
	for (size_t i = 0; i < 2; i++) {
		EXPECT_EQ(fn(coarse[i], &res), 0);
		EXPECT_EQ(syscall(SYS_clock_getres, coarse[i], &sys), 0);
		EXPECT_EQ(res.tv_sec, sys.tv_sec);
		EXPECT_EQ(res.tv_nsec, sys.tv_nsec);
		EXPECT_GT(res.tv_nsec, 1000);
	}
	EXPECT_EQ(fn(CLOCK_PROCESS_CPUTIME_ID, &res), 0);
	EXPECT_EQ(res.tv_nsec, 1);
	EXPECT_EQ(fn(CLOCK_MONOTONIC, NULL), 0);
	EXPECT_EQ(fn(10, &res), -EINVAL);
	EXPECT_EQ(fn(-1, &res), -EINVAL);
}

TEST(vdso, getcpu)
{
	getcpu_fn fn = (getcpu_fn)need("__vdso_getcpu");
	unsigned cpu = ~0u, node = ~0u;
	EXPECT_EQ(fn(&cpu, &node, NULL), 0);
	EXPECT_LT(cpu, (unsigned)sysconf(_SC_NPROCESSORS_CONF));
	EXPECT_EQ(node, 0);
	EXPECT_EQ(fn(NULL, NULL, NULL), 0);
	unsigned scpu = ~0u, snode = ~0u;
	/* The system call (where it exists) says the same on this one CPU. */
	if (sysconf(_SC_NPROCESSORS_ONLN) == 1 &&
	    syscall(SYS_getcpu, &scpu, &snode, NULL) == 0) {
		EXPECT_EQ(cpu, scpu);
		EXPECT_EQ(node, snode);
	}
}

static void fork_child(void *arg)
{
	(void)arg;
	clock_gettime_fn fn = (clock_gettime_fn)need("__vdso_clock_gettime");
	struct timespec ts;
	long long before = raw_ns(CLOCK_MONOTONIC);
	if (fn(CLOCK_MONOTONIC, &ts) != 0 || ns(&ts) < before)
		FAIL("vDSO in the child: %lld before %lld", ns(&ts), before);
}

TEST(vdso, forked_child_has_it)
{
	need("__vdso_clock_gettime");
	EXPECT_CHILD_OK(fork_child, NULL);
}

static sigjmp_buf jump;
static void on_signal(int sig)
{
	siglongjmp(jump, sig);
}

/* Reads address p in a child: returns the signal it took, or 0. */
static void touch_child(void *p)
{
	signal(SIGBUS, on_signal);
	signal(SIGSEGV, on_signal);
	int sig = sigsetjmp(jump, 1);
	if (!sig)
		(void)*(volatile char *)p;
	h_exit(sig);
}

TEST(vdso, vvar_is_read_only_and_partly_backed)
{
	need("__vdso_clock_gettime");
	char *vdso = (char *)vd.ehdr;
	char *vvar = vdso - 4 * 4096;
	EXPECT_ERRNO(mprotect(vvar, 4096, PROT_READ | PROT_WRITE), EACCES);
	EXPECT_ERRNO(mprotect(vvar, 4096, PROT_READ | PROT_EXEC), EACCES);
	EXPECT_OK(mprotect(vvar, 4096, PROT_READ));
	/* The data page reads; the one after it (Linux's pvclock page,
	 * absent without a paravirtual clock) is SIGBUS. */
	EXPECT_EQ(h_run_child(touch_child, vvar), 0);
	EXPECT_EQ(h_run_child(touch_child, vvar + 4096), SIGBUS);
	/* Below [vvar] nothing is mapped... or something else is: not
	 * checked.  Above the vDSO's first page it still reads. */
	EXPECT_EQ(h_run_child(touch_child, vdso), 0);
}

/* The vDSO mapping's length: its whole file, section headers last, rounded
 * up to a page (Linux maps the stripped image's pages; so does Ferrux). */
static size_t vdso_length(void)
{
	const Elf64_Ehdr *e = vd.ehdr;
	size_t end = e->e_shoff + (size_t)e->e_shnum * e->e_shentsize;
	return (end + 4095) & ~4095UL;
}

TEST(vdso, mappings_cannot_be_split)
{
	need("__vdso_clock_gettime");
	char *vdso = (char *)vd.ehdr;
	char *vvar = vdso - 4 * 4096;
	size_t len = vdso_length();
	/* The same rights: no change, no split. */
	EXPECT_OK(mprotect(vvar, 4096, PROT_READ));
	EXPECT_ERRNO(mprotect(vvar, 4096, PROT_NONE), EINVAL);
	EXPECT_ERRNO(munmap(vvar, 4096), EINVAL);
	EXPECT_ERRNO(munmap(vvar + 4096, 4096), EINVAL);
	EXPECT_ERRNO(munmap(vdso - 4096, 4096 + len), EINVAL);
	void *p = mmap(vvar + 2 * 4096, 4096, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT_TRUE(p == MAP_FAILED && errno == ENOMEM);
	if (len > 4096)
		EXPECT_ERRNO(mprotect(vdso, 4096, PROT_READ), EINVAL);
	/* Still there. */
	clock_gettime_fn fn = (clock_gettime_fn)need("__vdso_clock_gettime");
	struct timespec ts;
	EXPECT_EQ(fn(CLOCK_MONOTONIC, &ts), 0);
}

static void write_child(void *arg)
{
	(void)arg;
	char *vdso = (char *)vd.ehdr;
	if (mprotect(vdso, vdso_length(), PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
		FAIL("mprotect: %s", h_errname(errno));
	/* The ELF header's padding byte: a write copies the page. */
	vdso[EI_PAD] = 0x5a;
	if (vdso[EI_PAD] != 0x5a)
		FAIL("write to the vDSO did not stick");
	clock_gettime_fn fn = (clock_gettime_fn)need("__vdso_clock_gettime");
	struct timespec ts;
	if (fn(CLOCK_MONOTONIC, &ts) != 0)
		FAIL("vDSO broken after the write");
}

TEST(vdso, writable_vdso_copies_privately)
{
	need("__vdso_clock_gettime");
	EXPECT_CHILD_OK(write_child, NULL);
	/* The parent's (and every other process's) vDSO is untouched. */
	EXPECT_EQ(((char *)vd.ehdr)[EI_PAD], 0);
}

static void unmap_child(void *arg)
{
	(void)arg;
	char *vdso = (char *)vd.ehdr;
	size_t len = vdso_length();
	if (munmap(vdso - 4 * 4096, 4 * 4096) != 0)
		FAIL("munmap [vvar]: %s", h_errname(errno));
	if (munmap(vdso, len) != 0)
		FAIL("munmap [vdso]: %s", h_errname(errno));
	/* Gone: reading it faults. */
	signal(SIGSEGV, on_signal);
	int sig = sigsetjmp(jump, 1);
	if (!sig)
		(void)*(volatile char *)vdso;
	if (sig != SIGSEGV)
		FAIL("the unmapped vDSO still reads (signal %d)", sig);
}

TEST(vdso, can_be_unmapped)
{
	need("__vdso_clock_gettime");
	EXPECT_CHILD_OK(unmap_child, NULL);
}

static void *raw_mremap(void *old, size_t old_len, size_t new_len, int flags,
			void *new_address)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_address);
}

TEST(vdso, mremap_moves_only_whole_mappings)
{
	need("__vdso_clock_gettime");
	char *vdso = (char *)vd.ehdr;
	char *vvar = vdso - 4 * 4096;
	size_t len = vdso_length();
	errno = 0;
	EXPECT_TRUE(raw_mremap(vdso, len, len + 4096, MREMAP_MAYMOVE, NULL) == MAP_FAILED);
	EXPECT_EQ(errno, EFAULT);
	EXPECT_TRUE(raw_mremap(vvar, 4 * 4096, 4096, 0, NULL) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_TRUE(raw_mremap(vvar, 4 * 4096, 4 * 4096,
			       MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	char *spare = mmap(NULL, 8 * 4096 + len, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(spare != MAP_FAILED);
	EXPECT_TRUE(raw_mremap(vvar, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED,
			       spare) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	/* The same length in place: nothing to do. */
	EXPECT_TRUE(raw_mremap(vvar, 4096, 4096, 0, NULL) == vvar);
	EXPECT_OK(munmap(spare, 8 * 4096 + len));
}

static void move_child(void *arg)
{
	(void)arg;
	char *vdso = (char *)vd.ehdr;
	char *vvar = vdso - 4 * 4096;
	size_t len = vdso_length();
	clock_gettime_fn fn = (clock_gettime_fn)need("__vdso_clock_gettime");
	char *spare = mmap(NULL, 4 * 4096 + len, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (spare == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	if (raw_mremap(vvar, 4 * 4096, 4 * 4096, MREMAP_MAYMOVE | MREMAP_FIXED,
		       spare) != spare)
		FAIL("moving [vvar]: %s", h_errname(errno));
	if (raw_mremap(vdso, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
		       spare + 4 * 4096) != spare + 4 * 4096)
		FAIL("moving [vdso]: %s", h_errname(errno));
	/* The old place is empty; the moved code reads the moved data. */
	clock_gettime_fn moved = (clock_gettime_fn)((char *)fn - vdso + spare + 4 * 4096);
	struct timespec ts;
	long long before = raw_ns(CLOCK_MONOTONIC);
	if (moved(CLOCK_MONOTONIC, &ts) != 0 || ns(&ts) < before)
		FAIL("the moved vDSO: %lld before %lld", ns(&ts), before);
	if (msync(vdso, 4096, MS_ASYNC) == 0 || errno != ENOMEM)
		FAIL("the old vDSO is still mapped");
}

TEST(vdso, moved_whole_it_still_works)
{
	need("__vdso_clock_gettime");
	EXPECT_CHILD_OK(move_child, NULL);
}
