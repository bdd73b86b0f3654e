/*
 * child-helper: the program the exec tests run (/bin/child-helper in the
 * guest).  The first argument is a command; the answer goes to fd 1 as text
 * lines that the tests compare exactly, and the exit status is 0 unless the
 * command says otherwise (2 for a usage error).
 *
 *   argv           "argc=N" then "argv[i]=..." for every argument
 *   env            "env=..." for every environment string
 *   fds            "fds=0 1 2 ..." the open descriptors below 256
 *   sigs           "ign=HEX handled=HEX blocked=HEX pending=HEX" (bit n-1
 *                  for signal n; raw rt_sigaction/rt_sigprocmask/rt_sigpending)
 *   auxv           "secure=N uid=N euid=N gid=N egid=N"
 *   auxv-all       the auxiliary vector as the kernel left it on the stack:
 *                  "types=T T ..." (the AT_* types in order, 0 last),
 *                  "execfn=PATH", "random=HEX" (the 16 AT_RANDOM bytes), then
 *                  "bad: WHAT" for every rule of Linux's create_elf_tables
 *                  the initial stack breaks (none on Linux): values, where
 *                  the strings, random bytes and platform string lie, the
 *                  stack pointer's alignment
 *   layout         "stack=X random=X execfn=X brk=X mmap=X ehdr=X end=X
 *                  base=X vdso=X" (hex): where this exec put things (a local
 *                  variable, AT_RANDOM, AT_EXECFN, the program break, a new
 *                  anonymous page, the program's ELF header and the end of
 *                  its .bss, AT_BASE, AT_SYSINFO_EHDR, the personality)
 *   ids            "pid=N ppid=N pgid=N sid=N tid=N"
 *   timens         "time=LINK monotonic=S boottime=S": the /proc/self/ns/time
 *                  link and the two clocks' seconds (through the C library,
 *                  so the vDSO)
 *   dlopen LIB     (the dynamic build, dyn-helper, only) dlopen LIB, call
 *                  its ferrux_dltest(20) twice: "dltest=N N", or
 *                  "dlerror=..." and exit 1
 *   exit N         exit with status N (nothing printed)
 *   raise SIG      kill(getpid(), SIG), then print "survived"
 *   pause          block in pause() until a signal ends the process
 *   writefd FD S   write S to FD; exit 0, or 1 with "errno=N" on failure
 *   freeram        "freeram=N": free memory in bytes (sysinfo), measured with
 *                  address randomization off (personality ADDR_NO_RANDOMIZE,
 *                  then exec of argv[0] again), so that this process's own
 *                  page tables take the same memory every time
 *   personality    exit with bits 16..23 of the personality (raw personality(2))
 *   caps           print "eff=X prm=X inh=X bnd=X amb=X" (hex capability sets, from
 *                  capget(2) and prctl(2)) and "secure=N" (the securebits)
 *   membarrier     exit 0 if this new image's address space is not registered for
 *                  private expedited membarrier(2) (EPERM), else 1
 *   rseq           exit 0 if this new image may register rseq: its C library did (glibc)
 *                  or a raw rseq(2) succeeds (musl); else 1 or the errno
 *   resolve NAME   getaddrinfo(NAME) for IPv4 stream sockets (through
 *                  /etc/resolv.conf): "addr=A.B.C.D" for each answer, or
 *                  "gai=MESSAGE" and exit 1
 *
 * A first argument with spaces ("exit 3", as a "#!" line passes its optional
 * argument) is split into words that come before the remaining arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cpuid.h>
#ifdef FERRUX_DYNAMIC
#include <dlfcn.h>
#endif
#include <elf.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>
#ifdef __GLIBC__
#include <sys/rseq.h>
#endif

extern char **environ;
extern char _start[];                 /* the entry point (crt1.o) */
extern const Elf64_Ehdr __ehdr_start; /* this program's ELF header (ld) */
extern char _end[];                   /* the end of its .bss (ld) */

static char out[65536];
static size_t len;

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out + len, sizeof out - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t)n < sizeof out - len ? (size_t)n : sizeof out - len - 1;
}

static void flush(void)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(1, out + off, len - off);
		if (n <= 0)
			break;
		off += n;
	}
	len = 0;
}

/* The auxiliary vector: after envp's NULL on the initial stack. */
static unsigned long *initial_auxv(char **envp)
{
	while (*envp)
		envp++;
	return (unsigned long *)(envp + 1);
}

static unsigned long aux(const unsigned long *auxv, unsigned long type)
{
	for (; auxv[0]; auxv += 2)
		if (auxv[0] == type)
			return auxv[1];
	return 0;
}

static int has_interpreter(void)
{
	const Elf64_Phdr *ph =
		(const void *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
	for (int i = 0; i < __ehdr_start.e_phnum; i++)
		if (ph[i].p_type == PT_INTERP)
			return 1;
	return 0;
}

static int is_elf_header(unsigned long address, int type)
{
	const Elf64_Ehdr *e = (const void *)address;
	return address && !memcmp(e->e_ident, ELFMAG, SELFMAG) && e->e_type == type;
}

/* The rules of Linux's create_elf_tables for x86-64 (fs/binfmt_elf.c). */
static void check_initial_stack(int argc, char **argv, char **envp,
				unsigned long *auxv)
{
#define BAD(...) put("bad: " __VA_ARGS__)
	unsigned long *end = auxv;
	while (end[0])
		end += 2;
	end += 2;
	if (aux(auxv, AT_PAGESZ) != 4096)
		BAD("AT_PAGESZ %lu\n", aux(auxv, AT_PAGESZ));
	if (aux(auxv, AT_CLKTCK) != 100)
		BAD("AT_CLKTCK %lu\n", aux(auxv, AT_CLKTCK));
	if (aux(auxv, AT_PHENT) != sizeof(Elf64_Phdr))
		BAD("AT_PHENT %lu\n", aux(auxv, AT_PHENT));
	if (aux(auxv, AT_PHNUM) != __ehdr_start.e_phnum)
		BAD("AT_PHNUM %lu\n", aux(auxv, AT_PHNUM));
	if (aux(auxv, AT_PHDR) !=
	    (unsigned long)&__ehdr_start + __ehdr_start.e_phoff)
		BAD("AT_PHDR %lx\n", aux(auxv, AT_PHDR));
	if (aux(auxv, AT_ENTRY) != (unsigned long)_start)
		BAD("AT_ENTRY %lx, _start %p\n", aux(auxv, AT_ENTRY), _start);
	if (aux(auxv, AT_FLAGS) != 0)
		BAD("AT_FLAGS %lx\n", aux(auxv, AT_FLAGS));
	if (has_interpreter() ? !is_elf_header(aux(auxv, AT_BASE), ET_DYN)
			      : aux(auxv, AT_BASE) != 0)
		BAD("AT_BASE %lx\n", aux(auxv, AT_BASE));
	if (aux(auxv, AT_UID) != getuid() || aux(auxv, AT_EUID) != geteuid() ||
	    aux(auxv, AT_GID) != getgid() || aux(auxv, AT_EGID) != getegid())
		BAD("ids %lu %lu %lu %lu\n", aux(auxv, AT_UID),
		    aux(auxv, AT_EUID), aux(auxv, AT_GID), aux(auxv, AT_EGID));
	if (aux(auxv, AT_SECURE) != 0)
		BAD("AT_SECURE %lu\n", aux(auxv, AT_SECURE));
	unsigned a, b, c, d;
	if (__get_cpuid(1, &a, &b, &c, &d) && aux(auxv, AT_HWCAP) != d)
		BAD("AT_HWCAP %lx, cpuid.1.edx %x\n", aux(auxv, AT_HWCAP), d);
	if (aux(auxv, AT_MINSIGSTKSZ) < 1024 || aux(auxv, AT_MINSIGSTKSZ) > 65536)
		BAD("AT_MINSIGSTKSZ %lu\n", aux(auxv, AT_MINSIGSTKSZ));
	if (aux(auxv, AT_SYSINFO_EHDR) &&
	    !is_elf_header(aux(auxv, AT_SYSINFO_EHDR), ET_DYN))
		BAD("AT_SYSINFO_EHDR %lx\n", aux(auxv, AT_SYSINFO_EHDR));

	/* argc at the 16-byte aligned stack pointer, then argv[]. */
	if (((unsigned long)argv - 8) % 16 || ((long *)argv)[-1] != argc)
		BAD("stack pointer %p\n", (void *)((char *)argv - 8));
	/* The strings: argv, envp, execfn, contiguous, 8 bytes below the
	 * page-aligned top of the stack. */
	const char *execfn = (const char *)aux(auxv, AT_EXECFN);
	const char *next = argv[0];
	for (int i = 0; i < argc; next += strlen(argv[i++]) + 1)
		if (argv[i] != next)
			BAD("argv[%d] at %p, expected %p\n", i, argv[i], next);
	for (int i = 0; envp[i]; next += strlen(envp[i++]) + 1)
		if (envp[i] != next)
			BAD("envp[%d] at %p, expected %p\n", i, envp[i], next);
	if (execfn != next)
		BAD("AT_EXECFN %p, expected %p\n", execfn, next);
	else if ((unsigned long)(execfn + strlen(execfn) + 1 + 8) % 4096)
		BAD("stack top %p\n", execfn + strlen(execfn) + 1 + 8);
	/* Below argv[0] (by under 8 KiB and 16 bytes): "x86_64", then the
	 * 16 random bytes, then (padding to 16 bytes) the auxiliary vector. */
	const char *platform = (const char *)aux(auxv, AT_PLATFORM);
	unsigned long random = aux(auxv, AT_RANDOM);
	if (!platform || strcmp(platform, "x86_64"))
		BAD("AT_PLATFORM %s\n", platform ? platform : "(none)");
	else if (platform + 7 > argv[0] || argv[0] - (platform + 7) >= 8192 + 16)
		BAD("AT_PLATFORM at %p, argv[0] at %p\n", platform, argv[0]);
	if (random + 16 != (unsigned long)platform)
		BAD("AT_RANDOM %lx, AT_PLATFORM %p\n", random, platform);
	if (random < (unsigned long)end || random - (unsigned long)end >= 16)
		BAD("AT_RANDOM %lx, end of auxv %p\n", random, (void *)end);
#undef BAD
}

int main(int argc, char **argv, char **envp)
{
	if (argc < 2) {
		put("usage: child-helper COMMAND ...\n");
		flush();
		return 2;
	}
	/* Split "cmd arg ..." in argv[1] into words (for "#!" lines). */
	static char split[4096];
	static char *words[256];
	int nw = 0;
	char **args = argv;
	int nargs = argc;
	if (strchr(argv[1], ' ') && strlen(argv[1]) < sizeof split) {
		strcpy(split, argv[1]);
		words[nw++] = argv[0];
		for (char *t = strtok(split, " \t"); t && nw < 200;
		     t = strtok(NULL, " \t"))
			words[nw++] = t;
		for (int i = 2; i < argc && nw < 255; i++)
			words[nw++] = argv[i];
		words[nw] = NULL;
		args = words;
		nargs = nw;
	}
	const char *cmd = args[1];
	if (!strcmp(cmd, "argv")) {
		put("argc=%d\n", argc);
		for (int i = 0; i < argc; i++)
			put("argv[%d]=%s\n", i, argv[i]);
	} else if (!strcmp(cmd, "env")) {
		for (char **e = environ; *e; e++)
			put("env=%s\n", *e);
	} else if (!strcmp(cmd, "fds")) {
		put("fds=");
		const char *sep = "";
		for (int fd = 0; fd < 256; fd++) {
			if (fcntl(fd, F_GETFD) != -1) {
				put("%s%d", sep, fd);
				sep = " ";
			}
		}
		put("\n");
	} else if (!strcmp(cmd, "sigs")) {
		uint64_t ign = 0, handled = 0, blocked = 0, pending = 0;
		for (int s = 1; s <= 64; s++) {
			struct {
				void *handler;
				unsigned long flags;
				void *restorer;
				uint64_t mask;
			} act;
			if (syscall(SYS_rt_sigaction, s, NULL, &act, 8) != 0)
				continue;
			if (act.handler == (void *)SIG_IGN)
				ign |= 1ULL << (s - 1);
			else if (act.handler != (void *)SIG_DFL)
				handled |= 1ULL << (s - 1);
		}
		syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &blocked, 8);
		syscall(SYS_rt_sigpending, &pending, 8);
		put("ign=%llx handled=%llx blocked=%llx pending=%llx\n",
		    (unsigned long long)ign, (unsigned long long)handled,
		    (unsigned long long)blocked, (unsigned long long)pending);
	} else if (!strcmp(cmd, "auxv")) {
		put("secure=%lu uid=%lu euid=%lu gid=%lu egid=%lu\n",
		    getauxval(AT_SECURE), getauxval(AT_UID), getauxval(AT_EUID),
		    getauxval(AT_GID), getauxval(AT_EGID));
	} else if (!strcmp(cmd, "auxv-all")) {
		unsigned long *auxv = initial_auxv(envp);
		put("types=");
		for (unsigned long *a = auxv;; a += 2) {
			put("%s%lu", a == auxv ? "" : " ", a[0]);
			if (!a[0])
				break;
		}
		put("\nexecfn=%s\nrandom=", (char *)aux(auxv, AT_EXECFN));
		const unsigned char *random = (void *)aux(auxv, AT_RANDOM);
		for (int i = 0; random && i < 16; i++)
			put("%02x", random[i]);
		put("\n");
		check_initial_stack(argc, argv, envp, auxv);
	} else if (!strcmp(cmd, "layout")) {
		unsigned long *auxv = initial_auxv(envp);
		int local = 0;
		void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		put("stack=%lx random=%lx execfn=%lx brk=%lx mmap=%lx ehdr=%lx "
		    "end=%lx base=%lx vdso=%lx persona=%x\n",
		    (unsigned long)&local, aux(auxv, AT_RANDOM),
		    aux(auxv, AT_EXECFN), syscall(SYS_brk, 0),
		    (unsigned long)page, (unsigned long)&__ehdr_start,
		    (unsigned long)_end, aux(auxv, AT_BASE),
		    aux(auxv, AT_SYSINFO_EHDR), personality(0xffffffff));
#ifdef FERRUX_DYNAMIC
	} else if (!strcmp(cmd, "dlopen") && nargs > 2) {
		void *lib = dlopen(args[2], RTLD_NOW);
		int (*fn)(int) = lib ? (int (*)(int))dlsym(lib, "ferrux_dltest") : NULL;
		if (!fn) {
			put("dlerror=%s\n", dlerror());
			flush();
			return 1;
		}
		int first = fn(20);
		put("dltest=%d %d\n", first, fn(20));
#endif
	} else if (!strcmp(cmd, "ids")) {
		put("pid=%ld ppid=%ld pgid=%ld sid=%ld tid=%ld\n",
		    syscall(SYS_getpid), syscall(SYS_getppid),
		    syscall(SYS_getpgid, 0), syscall(SYS_getsid, 0),
		    syscall(SYS_gettid));
	} else if (!strcmp(cmd, "timens")) {
		char link[64] = "";
		ssize_t n = readlink("/proc/self/ns/time", link, sizeof link - 1);
		if (n > 0)
			link[n] = 0;
		struct timespec mono, boot;
		clock_gettime(CLOCK_MONOTONIC, &mono);
		clock_gettime(CLOCK_BOOTTIME, &boot);
		put("time=%s monotonic=%lld boottime=%lld\n", link,
		    (long long)mono.tv_sec, (long long)boot.tv_sec);
	} else if (!strcmp(cmd, "exit") && nargs > 2) {
		return atoi(args[2]);
	} else if (!strcmp(cmd, "raise") && nargs > 2) {
		kill(getpid(), atoi(args[2]));
		put("survived\n");
	} else if (!strcmp(cmd, "pause")) {
		for (;;)
			pause();
	} else if (!strcmp(cmd, "freeram")) {
		int persona = personality(0xffffffff);
		if (persona != -1 && !(persona & ADDR_NO_RANDOMIZE) &&
		    personality(persona | ADDR_NO_RANDOMIZE) != -1)
			execv(argv[0], argv);
		struct sysinfo info;
		if (sysinfo(&info) != 0)
			return 1;
		put("freeram=%llu\n",
		    (unsigned long long)info.freeram * info.mem_unit);
	} else if (!strcmp(cmd, "resolve") && nargs > 2) {
		struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
		struct addrinfo *res;
		int rc = getaddrinfo(args[2], NULL, &hints, &res);
		if (rc != 0) {
			put("gai=%s\n", gai_strerror(rc));
			flush();
			return 1;
		}
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			char text[INET_ADDRSTRLEN];
			struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;
			put("addr=%s\n", inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)));
		}
		freeaddrinfo(res);
	} else if (!strcmp(cmd, "rseq")) {
#ifdef __GLIBC__
		volatile uint32_t *cpu_id = (volatile uint32_t *)((char *)__builtin_thread_pointer() +
								   __rseq_offset + 4);
		return __rseq_size > 0 && (int32_t)*cpu_id >= 0 ? 0 : 1;
#else
		static struct {
			uint32_t words[8];
		} area __attribute__((aligned(32)));
		long r = syscall(334, &area, 32, 0, 0x53053053);
		return r == 0 ? 0 : errno;
#endif
	} else if (!strcmp(cmd, "caps")) {
		struct {
			uint32_t version;
			int pid;
		} header = {0x20080522, 0};
		struct {
			uint32_t effective, permitted, inheritable;
		} data[2];
		if (syscall(SYS_capget, &header, data) != 0)
			return 1;
		unsigned long long bounding = 0, ambient = 0;
		for (int cap = 0; cap < 64; cap++) {
			if (prctl(23 /* PR_CAPBSET_READ */, cap, 0, 0, 0) == 1)
				bounding |= 1ULL << cap;
			if (prctl(47 /* PR_CAP_AMBIENT */, 1 /* IS_SET */, cap, 0, 0) == 1)
				ambient |= 1ULL << cap;
		}
#define CAP64(f) ((unsigned long long)data[1].f << 32 | data[0].f)
		put("eff=%llx prm=%llx inh=%llx bnd=%llx amb=%llx secure=%d\n", CAP64(effective),
		    CAP64(permitted), CAP64(inheritable), bounding, ambient,
		    (int)prctl(27 /* PR_GET_SECUREBITS */, 0, 0, 0, 0));
#undef CAP64
	} else if (!strcmp(cmd, "membarrier")) {
		long r = syscall(324, 1 << 3, 0, 0);
		return r == -1 && errno == EPERM ? 0 : 1;
	} else if (!strcmp(cmd, "personality")) {
		long persona = syscall(SYS_personality, 0xffffffffUL);
		return (int)((persona >> 16) & 0xff);
	} else if (!strcmp(cmd, "writefd") && nargs > 3) {
		const char *s = args[3];
		if (write(atoi(args[2]), s, strlen(s)) != (ssize_t)strlen(s)) {
			put("errno=%d\n", errno);
			flush();
			return 1;
		}
	} else {
		put("child-helper: unknown command %s\n", cmd);
		flush();
		return 2;
	}
	flush();
	return 0;
}
