/*
 * syscall-stress: random system calls with hostile arguments, to show that no argument a
 * process can pass makes the kernel panic or hang (trinity's idea, in one static program).
 *
 *   syscall-stress [--seconds N] [--seed S] [--children N] [--child K] [--verbose]
 *
 * Run it as init (pid 1) of a guest; it refuses to run elsewhere.  The parent (root) runs
 * rounds of ROUND_MS: it starts --children children (default 4) and restarts each one that
 * dies (a signal is the expected end of a child that called munmap on its own stack), then
 * SIGKILLs everything (kill(-1)) and reaps it.  A process not reaped REAP_MS after SIGKILL is
 * a kernel hang: it is reported with the system call it was in, and the run fails.  At the end
 * the parent forks and execs /bin/child-helper, prints
 *
 *     syscall-stress: PASS seed=S seconds=N calls=N children=N ...
 *
 * and exits 0 (1 on FAIL); "killed:" counts children by the signal that ended them (SIGKILL,
 * sig9, includes the end of every round).  A kernel panic or a hang of the whole machine shows as a boot that
 * never prints that line.
 *
 * Replaying.  The seed (printed first; --seed to choose it) fixes every child's seed: child K
 * (counted from 0 over the whole run) uses mix(seed, K), and its calls depend only on that
 * seed.  `--seed S --child K --verbose` runs that child alone in the foreground and prints
 * each call before making it; with the kernel's `ferrux.trace=1` the kernel side shows too.
 * Timing (which child runs when, what a sibling changed) is not replayed.
 *
 * A child: setsid (its own session, so kill(0) stays inside it), fds 0-2 on /dev/null, a
 * scratch buffer with a PROT_NONE guard page after it and an unmapped hole, uid/gid nobody
 * (65534) with no supplementary groups, then a set of open descriptors (files, pipe, devices,
 * directory, eventfd, epoll, timerfd, pidfd) in a directory of its own, rlimits (AS 64 MiB,
 * NPROC 16, NOFILE 256, FSIZE 1 MiB, CORE 0), nice 10.  A 10 ms interval timer with an empty SIGALRM handler (no SA_RESTART)
 * interrupts calls that would block.  Then, forever: a random number (0..460, sometimes
 * beyond, or a random 64-bit value), six arguments each drawn from: 0, -1, kernel addresses
 * (0xffff888000000000, 0xffffffff80000000, 0xffffffff81000000, the vsyscall page), non-canonical
 * and top-of-user addresses, the unmapped hole, low addresses, the valid buffer (anywhere in it,
 * or at its end so a length runs into the guard page), valid and invalid descriptors, small
 * numbers, powers of two, huge lengths, page sizes, random 32- and 64-bit values, random flag
 * bits, and pointers to path strings.  The buffer holds random bytes, pointers into itself and
 * path strings, so pointers to structures point to half-sensible contents.  Forks of a child
 * run the same loop.
 *
 * Never called (trinity keeps a similar blacklist):
 *   exit, exit_group       end the child at once: each call would waste a restart.
 *   reboot                 would power off or restart the machine (root only, never risked).
 *   vhangup                hangs up the console (root only).
 *   iopl, ioperm           port I/O: with it, an argument bug could reach QEMU's exit port.
 *   kexec_load, kexec_file_load, init_module, finit_module, delete_module
 *                          would replace or extend the kernel (root only).
 * Pointed at the child itself (the signal is still random): kill, tkill, tgkill,
 * rt_sigqueueinfo and rt_tgsigqueueinfo, so that no other process gets signals from them
 * (as nobody, the parent could not be hit anyway, but siblings could).
 * Everything else is fair game: setuid-to-root attempts, mount, ptrace, clone with random
 * flags, execve (of /bin/child-helper, among the paths), munmap of the child's own memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUND_MS 3000
#define REAP_MS 20000
#define POLL_MS 20
#define MAX_CHILDREN 16
#define DEFAULT_CHILDREN 4
#define DEFAULT_SECONDS 60
#define NOBODY 65534
#define NR_MAX 460
#define BUF_SIZE (64 * 1024)
#define PAGE 4096UL
#define STRESS_DIR "/tmp/stress"

/* --- random numbers ------------------------------------------------------- */

static uint64_t mix(uint64_t seed, uint64_t index)
{
	uint64_t z = seed + (index + 1) * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state = mix(rng_state, 0);
	return rng_state;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* --- what a child works with ------------------------------------------------ */

/* What the parent can see of a child: its seed and the call it is in. */
struct slot {
	volatile int pid;
	volatile uint64_t index;
	volatile uint64_t seed;
	volatile uint64_t calls;
	volatile long nr;
	volatile uint64_t args[6];
};

static struct slot *slots;
static struct slot *self_slot;

static char *buf;
static uintptr_t hole;
static int fds[24];
static int nfds;
static int verbose_fd = -1;

static const char *const paths[] = {
	"/", ".", "..", "", "/dev/null", "/dev/zero", "/dev/urandom", "/dev/console",
	"/bin/child-helper", "/bin/busybox", "/tmp", STRESS_DIR, "/proc/self/maps",
	"/nonexistent/x", "f", "d", "d/", "f/", "link", "fifo",
};
#define NPATHS (sizeof paths / sizeof paths[0])
static char *path_ptrs[NPATHS + 1];

static long raw6(long n, uint64_t a[6])
{
	long ret;
	register long r10 __asm__("r10") = a[3];
	register long r8 __asm__("r8") = a[4];
	register long r9 __asm__("r9") = a[5];
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static long raw(long n, long a0, long a1, long a2)
{
	uint64_t a[6] = {a0, a1, a2, 0, 0, 0};
	return raw6(n, a);
}

static void fill_buffer(void)
{
	for (size_t i = 0; i < BUF_SIZE; i += 8) {
		uint64_t r = rnd();
		uint64_t value;
		switch (r % 8) {
		case 0:
			value = (uint64_t)(buf + below(BUF_SIZE));
			break;
		case 1:
			value = (uint64_t)path_ptrs[below(NPATHS + 1)];
			break;
		case 2:
			value = below(64);
			break;
		default:
			value = rnd();
		}
		memcpy(buf + i, &value, 8);
	}
	/* The path strings live in the last 4 KiB, and one long path. */
	char *at = buf + BUF_SIZE - PAGE;
	for (size_t i = 0; i < NPATHS; i++) {
		size_t len = strlen(paths[i]) + 1;
		memcpy(at, paths[i], len);
		path_ptrs[i] = at;
		at += len;
	}
	char *longpath = buf + BUF_SIZE - 2 * PAGE;
	memset(longpath, 'a', PAGE);
	longpath[PAGE - 1] = 0;
	path_ptrs[NPATHS] = longpath;
}

static uint64_t one_of(const uint64_t *values, size_t n)
{
	return values[below(n)];
}
#define ONE_OF(...)                                                            \
	({                                                                     \
		static const uint64_t v_[] = {__VA_ARGS__};                    \
		one_of(v_, sizeof v_ / sizeof v_[0]);                          \
	})

static uint64_t random_fd(void)
{
	if (below(4) && nfds)
		return fds[below(nfds)];
	if (below(4) == 0)
		return below(300);
	return ONE_OF((uint64_t)-1, 1023, 65535, 0x7fffffff, 0x80000000,
		      (uint64_t)-100 /* AT_FDCWD */);
}

static uint64_t random_arg(void)
{
	unsigned r = below(100);
	if (r < 10)
		return 0;
	if (r < 15)
		return (uint64_t)-1;
	if (r < 20)
		return ONE_OF(0xffff888000000000ULL, 0xffffffff80000000ULL, 0xffffffff81000000ULL,
			      0xffffffffff600000ULL, 0xfffffffffffff000ULL) +
		       (below(2) ? below(PAGE) : 0);
	if (r < 23)
		return ONE_OF(0x0000800000000000ULL, 0x8000000000000000ULL,
			      0x00007ffffffff000ULL, 0x00007fffffffffffULL);
	if (r < 28)
		return hole + (below(2) ? below(PAGE) : 0);
	if (r < 31)
		return ONE_OF(1, 0x1000, 0x10000, 0x400000);
	if (r < 46) {
		uint64_t offset = below(BUF_SIZE);
		if (below(4) == 0)
			offset &= ~(PAGE - 1);
		return (uint64_t)(buf + offset);
	}
	if (r < 50)
		return (uint64_t)(buf + BUF_SIZE - below(64));
	if (r < 60)
		return random_fd();
	if (r < 70)
		return below(17);
	if (r < 75)
		return 1ULL << below(64);
	if (r < 80)
		return ONE_OF(1ULL << 31, 1ULL << 32, 1ULL << 40, (uint64_t)-1 / 2, 0x7fffffff,
			      0xffffffff, 0x7ffffffff000ULL, (uint64_t)-PAGE);
	if (r < 85)
		return ONE_OF(PAGE, 2 * PAGE, 2 << 20, 1 << 30, BUF_SIZE);
	if (r < 90)
		return (uint32_t)rnd();
	if (r < 95)
		return rnd();
	if (r < 98) {
		uint64_t flags = 0;
		for (int i = 0, n = 1 + below(4); i < n; i++)
			flags |= 1ULL << below(32);
		return flags;
	}
	return (uint64_t)path_ptrs[below(NPATHS + 1)];
}

/* The blacklist of the top comment: never called. */
static int is_forbidden(long nr)
{
	switch (nr) {
	case SYS_exit:
	case SYS_exit_group:
	case SYS_reboot:
	case SYS_vhangup:
	case SYS_iopl:
	case SYS_ioperm:
	case SYS_kexec_load:
	case 320: /* kexec_file_load */
	case SYS_init_module:
	case 313: /* finit_module */
	case SYS_delete_module:
		return 1;
	}
	return 0;
}

static long random_nr(void)
{
	for (;;) {
		unsigned r = below(100);
		long nr;
		if (r < 94)
			nr = below(NR_MAX + 1);
		else if (r < 98)
			nr = NR_MAX + 1 + below(600);
		else if (r < 99)
			nr = 0x40000000 | below(NR_MAX + 1); /* the x32 bit */
		else
			nr = rnd();
		if (!is_forbidden(nr))
			return nr;
	}
}

/* Signals sent by these calls go to the child itself. */
static void aim_at_self(long nr, uint64_t a[6])
{
	long pid = raw(SYS_getpid, 0, 0, 0);
	long tid = raw(SYS_gettid, 0, 0, 0);
	switch (nr) {
	case SYS_kill:
	case SYS_rt_sigqueueinfo:
		a[0] = pid;
		break;
	case SYS_tkill:
		a[0] = tid;
		break;
	case SYS_tgkill:
	case SYS_rt_tgsigqueueinfo:
		a[0] = pid;
		a[1] = tid;
		break;
	}
}

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 1)
		n = sizeof line - 1;
	for (int done = 0; done < n;) {
		long w = raw(SYS_write, fd, (long)line + done, n - done);
		if (w <= 0)
			return;
		done += w;
	}
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Opens what the child's calls get as valid descriptors, in its own directory. */
static void open_descriptors(uint64_t index)
{
	char dir[64];
	snprintf(dir, sizeof dir, STRESS_DIR "/%llu", (unsigned long long)index);
	mkdir(dir, 0777);
	if (chdir(dir) != 0)
		return;
	nfds = 0;
	int fd = open("f", O_RDWR | O_CREAT, 0666);
	if (fd >= 0) {
		(void)!write(fd, buf, 8192);
		fds[nfds++] = fd;
	}
	mkdir("d", 0777);
	symlink("f", "link");
	mkfifo("fifo", 0666);
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_NONBLOCK) == 0) {
		fds[nfds++] = pipe_fds[0];
		fds[nfds++] = pipe_fds[1];
	}
	const char *devices[] = {"/dev/null", "/dev/zero", "/dev/urandom", ".", "/"};
	for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
		if ((fd = open(devices[i], O_RDONLY | O_NONBLOCK)) >= 0)
			fds[nfds++] = fd;
	if ((fd = eventfd(0, EFD_NONBLOCK)) >= 0)
		fds[nfds++] = fd;
	if ((fd = epoll_create1(0)) >= 0)
		fds[nfds++] = fd;
	if ((fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)) >= 0)
		fds[nfds++] = fd;
	if ((fd = raw(434 /* pidfd_open */, raw(SYS_getpid, 0, 0, 0), 0, 0)) >= 0)
		fds[nfds++] = fd;
}

static void set_limit(int resource, rlim_t value)
{
	struct rlimit limit = {value, value};
	setrlimit(resource, &limit);
}

/* Becomes a fuzzing child; never returns. */
static _Noreturn void run_child(uint64_t index, uint64_t seed, int is_verbose)
{
	rng_state = seed;
	setsid();
	if (is_verbose)
		verbose_fd = fcntl(1, F_DUPFD, 200);
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);

	/* The buffer, its guard page and a hole. */
	char *area = mmap(NULL, BUF_SIZE + 3 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		_exit(120);
	buf = area;
	mprotect(area + BUF_SIZE, PAGE, PROT_NONE);
	hole = (uintptr_t)(area + BUF_SIZE + 2 * PAGE);
	munmap((void *)hole, PAGE);
	fill_buffer();
	if (raw(SYS_setgroups, 0, 0, 0) != 0 ||
	    raw(SYS_setresgid, NOBODY, NOBODY, NOBODY) != 0 ||
	    raw(SYS_setresuid, NOBODY, NOBODY, NOBODY) != 0)
		_exit(121);
	umask(0);
	open_descriptors(index);

	set_limit(RLIMIT_AS, 64 << 20);
	set_limit(RLIMIT_NPROC, 16);
	set_limit(RLIMIT_NOFILE, 256);
	set_limit(RLIMIT_FSIZE, 1 << 20);
	set_limit(RLIMIT_CORE, 0);
	setpriority(PRIO_PROCESS, 0, 10);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	struct sigaction alarm_action = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &alarm_action, NULL);
	struct itimerval tick = {{0, 10000}, {0, 10000}};
	setitimer(ITIMER_REAL, &tick, NULL);

	for (uint64_t calls = 0;; calls++) {
		if (calls % 1024 == 1023)
			fill_buffer();
		long nr = random_nr();
		uint64_t a[6];
		for (int i = 0; i < 6; i++)
			a[i] = random_arg();
		aim_at_self(nr, a);
		if (self_slot) {
			self_slot->calls = calls + 1;
			self_slot->nr = nr;
			for (int i = 0; i < 6; i++)
				self_slot->args[i] = a[i];
		}
		if (verbose_fd >= 0)
			say(verbose_fd,
			    "child %llu call %llu: %ld(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)\n",
			    (unsigned long long)index, (unsigned long long)calls, nr,
			    (unsigned long long)a[0], (unsigned long long)a[1],
			    (unsigned long long)a[2], (unsigned long long)a[3],
			    (unsigned long long)a[4], (unsigned long long)a[5]);
		long ret = raw6(nr, a);
		if (verbose_fd >= 0)
			say(verbose_fd, "  = %ld\n", ret);
		/* A new process from fork or clone goes its own way. */
		if (ret == 0 && (nr == SYS_fork || nr == SYS_vfork || nr == SYS_clone ||
				 nr == 435 /* clone3 */))
			rng_state = mix(rng_state, raw(SYS_gettid, 0, 0, 0));
	}
}

/* --- the parent ------------------------------------------------------------ */

static int out_fd = 1;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

struct tally {
	uint64_t spawned, exited, signaled[65], reaped_others, calls;
};

static uint64_t next_index;

static void spawn(int slot_index, uint64_t seed, struct tally *tally)
{
	struct slot *slot = &slots[slot_index];
	uint64_t index = next_index++;
	slot->index = index;
	slot->seed = mix(seed, index);
	slot->calls = 0;
	slot->nr = -1;
	pid_t pid = fork();
	if (pid == 0) {
		self_slot = slot;
		run_child(index, slot->seed, 0);
	}
	slot->pid = pid > 0 ? pid : 0;
	if (pid > 0)
		tally->spawned++;
}

static void count_status(int status, struct tally *tally)
{
	if (WIFEXITED(status))
		tally->exited++;
	else if (WIFSIGNALED(status) && WTERMSIG(status) <= 64)
		tally->signaled[WTERMSIG(status)]++;
}

/* Handles one reaped pid; returns its slot or -1. */
static int reaped(pid_t pid, int status, int nchildren, struct tally *tally)
{
	for (int i = 0; i < nchildren; i++) {
		if (slots[i].pid == pid) {
			tally->calls += slots[i].calls;
			count_status(status, tally);
			slots[i].pid = 0;
			return i;
		}
	}
	tally->reaped_others++;
	return -1;
}

static void describe_slot(const struct slot *slot)
{
	say(out_fd,
	    "syscall-stress:   child %llu (seed %#llx, replay with --child %llu): %llu calls, "
	    "last %ld(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)\n",
	    (unsigned long long)slot->index, (unsigned long long)slot->seed,
	    (unsigned long long)slot->index, (unsigned long long)slot->calls, slot->nr,
	    (unsigned long long)slot->args[0], (unsigned long long)slot->args[1],
	    (unsigned long long)slot->args[2], (unsigned long long)slot->args[3],
	    (unsigned long long)slot->args[4], (unsigned long long)slot->args[5]);
}

/* Kills everything but us and reaps it; returns 0, or -1 if something could not be reaped
 * (a kernel hang: reported). */
static int end_round(int nchildren, struct tally *tally)
{
	kill(-1, SIGKILL);
	uint64_t deadline = now_ms() + REAP_MS;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, __WALL | WNOHANG);
		if (pid > 0) {
			reaped(pid, status, nchildren, tally);
			continue;
		}
		if (pid < 0 && errno == ECHILD)
			return 0;
		if (now_ms() > deadline)
			break;
		kill(-1, SIGKILL);
		sleep_ms(POLL_MS);
	}
	say(out_fd, "syscall-stress: FAIL: processes still there %d s after SIGKILL\n",
	    REAP_MS / 1000);
	for (int i = 0; i < nchildren; i++)
		if (slots[i].pid)
			describe_slot(&slots[i]);
	return -1;
}

/* Removes what the children left in STRESS_DIR (their files count against tmpfs). */
static void clean_directory(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/busybox", "busybox", "rm", "-rf", STRESS_DIR, (char *)NULL);
		_exit(127);
	}
	int status;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	mkdir(STRESS_DIR, 0777);
	chmod(STRESS_DIR, 0777);
}

/* fork + exec /bin/child-helper; returns whether it ran and said what it should. */
static int fork_exec_works(void)
{
	int pipe_fds[2];
	if (pipe(pipe_fds) != 0)
		return 0;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pipe_fds[1], 1);
		execl("/bin/child-helper", "child-helper", "argv", "stress", (char *)NULL);
		_exit(127);
	}
	close(pipe_fds[1]);
	char text[256] = "";
	size_t len = 0;
	ssize_t n;
	while (len < sizeof text - 1 &&
	       (n = read(pipe_fds[0], text + len, sizeof text - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += n;
	}
	text[len] = 0;
	close(pipe_fds[0]);
	int status = -1;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return pid > 0 && status == 0 && strstr(text, "argv[2]=stress\n") != NULL;
}

static void usage(void)
{
	say(2, "usage: syscall-stress [--seconds N] [--seed S] [--children N] [--child K] "
	       "[--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long seconds = DEFAULT_SECONDS;
	int nchildren = DEFAULT_CHILDREN;
	uint64_t seed = 0;
	int has_seed = 0, is_verbose = 0;
	long replay = -1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(arg, "--verbose")) {
			is_verbose = 1;
		} else if (!strcmp(arg, "--seconds") && value) {
			seconds = strtol(value, NULL, 0);
			i++;
		} else if (!strcmp(arg, "--seed") && value) {
			seed = strtoull(value, NULL, 0);
			has_seed = 1;
			i++;
		} else if (!strcmp(arg, "--children") && value) {
			nchildren = strtol(value, NULL, 0);
			i++;
		} else if (!strcmp(arg, "--child") && value) {
			replay = strtol(value, NULL, 0);
			i++;
		} else if (arg[0] == '-' || strchr(arg, '=')) {
			/* Kernel parameters passed on to init. */
			if (arg[0] == '-' && arg[1] == '-')
				usage();
		} else {
			usage();
		}
	}
	if (getpid() != 1) {
		say(2, "syscall-stress: run me as init of a guest (pid 1), not on a host\n");
		return 2;
	}
	if (nchildren < 1 || nchildren > MAX_CHILDREN || seconds < 1)
		usage();
	if (!has_seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = mix(ts.tv_sec, ts.tv_nsec);
	}
	say(out_fd, "syscall-stress: seed=%#llx seconds=%ld children=%d\n",
	    (unsigned long long)seed, seconds, nchildren);
	mkdir("/tmp", 01777);
	clean_directory();

	if (replay >= 0) {
		say(out_fd, "syscall-stress: replaying child %ld (seed %#llx) for %ld s\n", replay,
		    (unsigned long long)mix(seed, replay), seconds);
		pid_t pid = fork();
		if (pid == 0)
			run_child(replay, mix(seed, replay), is_verbose);
		sleep_ms(seconds * 1000);
		struct tally tally = {0};
		end_round(0, &tally);
		say(out_fd, "syscall-stress: replay done; fork+exec %s\n",
		    fork_exec_works() ? "works" : "FAILS");
		return 0;
	}

	slots = mmap(NULL, sizeof(struct slot) * MAX_CHILDREN, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED) {
		say(out_fd, "syscall-stress: FAIL: mmap: %s\n", strerror(errno));
		return 1;
	}
	struct tally tally = {0};
	uint64_t start = now_ms(), end = start + seconds * 1000ULL, last_report = start;
	int is_failed = 0;
	while (!is_failed && now_ms() < end) {
		uint64_t round_end = now_ms() + ROUND_MS;
		if (round_end > end)
			round_end = end;
		for (int i = 0; i < nchildren; i++)
			spawn(i, seed, &tally);
		while (now_ms() < round_end) {
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, __WALL | WNOHANG)) > 0) {
				if (WIFSTOPPED(status)) {
					kill(pid, SIGKILL);
					continue;
				}
				int slot = reaped(pid, status, nchildren, &tally);
				if (slot >= 0)
					spawn(slot, seed, &tally);
			}
			sleep_ms(POLL_MS);
		}
		if (end_round(nchildren, &tally) != 0)
			is_failed = 1;
		clean_directory();
		if (now_ms() - last_report >= 10000) {
			last_report = now_ms();
			say(out_fd, "syscall-stress: %llu s, %llu calls, %llu children\n",
			    (unsigned long long)(now_ms() - start) / 1000,
			    (unsigned long long)tally.calls, (unsigned long long)tally.spawned);
		}
	}
	if (!is_failed && !fork_exec_works()) {
		say(out_fd, "syscall-stress: FAIL: fork and exec of /bin/child-helper failed\n");
		is_failed = 1;
	}
	char signals[256] = "";
	size_t len = 0;
	for (int sig = 1; sig <= 64; sig++)
		if (tally.signaled[sig] && len < sizeof signals - 16)
			len += snprintf(signals + len, sizeof signals - len, " sig%d=%llu", sig,
					(unsigned long long)tally.signaled[sig]);
	say(out_fd,
	    "syscall-stress: %s seed=%#llx seconds=%ld calls=%llu children=%llu exited=%llu "
	    "orphans=%llu killed:%s\n",
	    is_failed ? "FAIL" : "PASS", (unsigned long long)seed, seconds,
	    (unsigned long long)tally.calls, (unsigned long long)tally.spawned,
	    (unsigned long long)tally.exited, (unsigned long long)tally.reaped_others, signals);
	return is_failed;
}
