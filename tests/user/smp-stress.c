/*
 * smp-stress: many CPUs working on the same kernel objects at once, to show that SMP holds up:
 * no panic, no deadlock, no lost wake-up, no leaked memory (the `boot/smp-stress` check of
 * `cargo xtask test`, booted with four vCPUs; docs/smp.md).
 *
 *   smp-stress [--seconds N]
 *
 * Run it as init (pid 1) of a guest.  It mounts /proc, drops the caches and notes MemFree, then
 * runs these workers at the same time for --seconds (default 60), each a process of its own:
 *
 *   forkexec (two)  fork + exec /bin/child-helper, vfork + exec, fork + _exit; every child
 *                   must exit 0.
 *   futex           two pairs of threads playing ping-pong through a futex word (FUTEX_WAIT
 *                   with a timeout: a wait that times out is a lost wake-up or a stuck partner),
 *                   and four threads incrementing a counter under one pthread mutex (the total
 *                   is checked at the end).
 *   pipes           two writer/reader thread pairs streaming numbered blocks of varying sizes
 *                   through pipes; the reader checks every byte and waits with poll (a timeout
 *                   is a lost wake-up).
 *   mm              one thread maps, touches, mprotects and unmaps a region over and over while
 *                   two others write into it (SIGSEGV expected, caught with siglongjmp) and one
 *                   has the kernel write into it (read from /dev/zero: EFAULT expected).
 *   signals         four threads of one process sending each other SIGUSR1 (tgkill) and queued
 *                   real-time signals (rt_tgsigqueueinfo): at the end every queued real-time
 *                   signal must have reached its thread.
 *   files (two)     create, write, stat, rename and unlink files in one shared directory while
 *                   the other lists it; at the end the directory must be empty.
 *
 * A watchdog in init: every worker bumps a progress counter in shared memory; one that does not
 * move for STALL_MS is a deadlock or a lost wake-up, reported with the state of its threads
 * (/proc/PID/task/TID/stat and wchan).  At the end the workers are told to stop, check their
 * totals and exit; init reaps them (a worker that does not exit within STALL_MS is a hang),
 * drops the caches and compares MemFree with the start: more than LEAK_KB less is a leak.
 * Then it prints
 *
 *     smp-stress: PASS seconds=N cpus=N forks=N ... free_delta_kb=N
 *
 * and exits 0 (FAIL lines and status 1 otherwise).  A kernel panic or a hung machine shows as a
 * boot that never prints that line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SECONDS 60
/* A worker whose progress counter stands still this long is stuck. */
#define STALL_MS 30000
/* A futex wait or pipe poll this long is a lost wake-up. */
#define WAIT_MS 20000
/* Free memory may end at most this much below the start (caches the kernel keeps). */
#define LEAK_KB 4096
/* futex(2) operations (musl has no <linux/futex.h>). */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define DIR_PATH "/tmp/smp-stress"
#define HELPER "/bin/child-helper"

enum kind { FORKEXEC, FUTEX, PIPES, MM, SIGNALS, FILES };
static const char *const kind_names[] = {"forkexec", "futex", "pipes", "mm", "signals", "files"};

static const enum kind plan[] = {FORKEXEC, FORKEXEC, FUTEX, PIPES, MM, SIGNALS, FILES, FILES};
#define NWORKERS (int)(sizeof plan / sizeof plan[0])

struct worker {
	_Atomic uint64_t progress;
	_Atomic uint64_t ops;
	_Atomic uint64_t extra; /* segvs, efaults, signals: per kind */
	pid_t pid;
};

struct shared {
	_Atomic int stop;
	_Atomic int failed;
	struct worker workers[NWORKERS];
	char failure[512];
};

static struct shared *shared;
static int self_index;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof line)
		n = sizeof line - 1;
	ssize_t off = 0;
	while (off < n) {
		ssize_t w = write(1, line + off, n - off);
		if (w <= 0)
			break;
		off += w;
	}
}

/* Records the first failure (of any worker) and says it. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	char text[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	say("smp-stress: FAIL: %s: %s\n", kind_names[plan[self_index]], text);
	int expected = 0;
	if (atomic_compare_exchange_strong(&shared->failed, &expected, 1))
		snprintf(shared->failure, sizeof shared->failure, "%s: %s",
			 kind_names[plan[self_index]], text);
	atomic_store(&shared->stop, 1);
}

static int stopping(void)
{
	return atomic_load_explicit(&shared->stop, memory_order_relaxed);
}

static struct worker *me(void)
{
	return &shared->workers[self_index];
}

static void tick(void)
{
	atomic_fetch_add_explicit(&me()->progress, 1, memory_order_relaxed);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

static void start_thread(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	int e = pthread_create(thread, NULL, fn, arg);
	if (e) {
		fail("pthread_create: %s", strerror(e));
		_exit(1);
	}
}

/* ---- forkexec ---- */

static void run_forkexec(void)
{
	uint64_t round = 0;
	while (!stopping()) {
		pid_t pid;
		switch (round % 3) {
		case 0:
			pid = fork();
			if (pid == 0) {
				execl(HELPER, HELPER, "exit", "0", (char *)NULL);
				_exit(127);
			}
			break;
		case 1:
			pid = vfork();
			if (pid == 0) {
				execl(HELPER, HELPER, "exit", "0", (char *)NULL);
				_exit(127);
			}
			break;
		default:
			pid = fork();
			if (pid == 0)
				_exit(0);
			break;
		}
		if (pid < 0) {
			if (errno == EAGAIN || errno == ENOMEM) {
				sleep_ms(10);
				continue;
			}
			fail("fork: %s", strerror(errno));
			return;
		}
		int status;
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				fail("waitpid: %s", strerror(errno));
				return;
			}
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fail("child of round %llu ended with status %#x", (unsigned long long)round,
			     status);
			return;
		}
		round++;
		atomic_fetch_add_explicit(&me()->ops, 1, memory_order_relaxed);
		tick();
	}
}

/* ---- futex ---- */

static long futex(_Atomic int *word, int op, int value, const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, value, timeout, NULL, 0);
}

struct pingpong {
	_Atomic int word; /* 0: A's turn, 1: B's turn */
	int side;
	uint64_t rounds;
};

static struct pingpong pairs[2];

/*
 * Waits until *word differs from value: 0, or -1 when a wait of WAIT_MS ends with the word
 * unchanged or changed without a wake-up reaching us (a lost wake-up).  No shorter timeout:
 * the partner always gets its turn and wakes us, even when stopping.
 */
static int wait_change(_Atomic int *word, int value)
{
	while (atomic_load(word) == value) {
		struct timespec ts = {WAIT_MS / 1000, 0};
		long r = futex(word, FUTEX_WAIT_PRIVATE, value, &ts);
		if (r < 0 && errno == ETIMEDOUT)
			return -1;
		if (r < 0 && errno != EAGAIN && errno != EINTR) {
			fail("FUTEX_WAIT: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

struct pp_arg {
	struct pingpong *pair;
	int side;
	uint64_t turns;
};

static void *pingpong_thread(void *raw)
{
	struct pp_arg *arg = raw;
	_Atomic int *word = &arg->pair->word;
	while (!stopping()) {
		/* Wait for our turn: the word says whose turn it is. */
		if (wait_change(word, 1 - arg->side) < 0) {
			if (!stopping())
				fail("ping-pong side %d: no wake-up in %d ms (word %d, %llu turns)",
				     arg->side, WAIT_MS, atomic_load(word),
				     (unsigned long long)arg->turns);
			break;
		}
		if (stopping())
			break;
		atomic_store(word, 1 - arg->side);
		if (futex(word, FUTEX_WAKE_PRIVATE, 1, NULL) < 0) {
			fail("FUTEX_WAKE: %s", strerror(errno));
			break;
		}
		arg->turns++;
		tick();
	}
	/* Let the partner see the end. */
	atomic_store(word, 1 - arg->side);
	futex(word, FUTEX_WAKE_PRIVATE, 1, NULL);
	return NULL;
}

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t counter;

static void *counter_thread(void *raw)
{
	uint64_t *mine = raw;
	while (!stopping()) {
		for (int i = 0; i < 64; i++) {
			pthread_mutex_lock(&counter_lock);
			counter++;
			pthread_mutex_unlock(&counter_lock);
			(*mine)++;
		}
		tick();
	}
	return NULL;
}

static void run_futex(void)
{
	pthread_t threads[8];
	struct pp_arg args[4];
	uint64_t counts[4] = {0};
	for (int i = 0; i < 4; i++) {
		args[i] = (struct pp_arg){&pairs[i / 2], i % 2, 0};
		start_thread(&threads[i], pingpong_thread, &args[i]);
	}
	for (int i = 0; i < 4; i++)
		start_thread(&threads[4 + i], counter_thread, &counts[i]);
	for (int i = 0; i < 8; i++)
		pthread_join(threads[i], NULL);
	uint64_t sum = 0;
	for (int i = 0; i < 4; i++)
		sum += counts[i];
	if (sum != counter)
		fail("mutex counter %llu, but the threads added %llu", (unsigned long long)counter,
		     (unsigned long long)sum);
	atomic_store(&me()->ops, args[0].turns + args[1].turns + args[2].turns + args[3].turns);
	atomic_store(&me()->extra, counter);
}

/* ---- pipes ---- */

struct stream {
	int fds[2];
	uint64_t seed;
	uint64_t bytes;
};

static unsigned char pattern_byte(uint64_t offset)
{
	return (unsigned char)(offset * 131 + (offset >> 9));
}

static void *writer_thread(void *raw)
{
	struct stream *s = raw;
	unsigned char buf[9000];
	uint64_t offset = 0, state = s->seed | 1;
	while (!stopping()) {
		size_t len = 1 + rng_next(&state) % sizeof buf;
		for (size_t i = 0; i < len; i++)
			buf[i] = pattern_byte(offset + i);
		size_t done = 0;
		while (done < len) {
			ssize_t n = write(s->fds[1], buf + done, len - done);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EPIPE)
					fail("pipe write: %s", strerror(errno));
				goto out;
			}
			done += n;
		}
		offset += len;
		tick();
	}
out:
	close(s->fds[1]);
	return NULL;
}

static void *reader_thread(void *raw)
{
	struct stream *s = raw;
	unsigned char buf[6000];
	uint64_t offset = 0;
	for (;;) {
		struct pollfd pfd = {s->fds[0], POLLIN, 0};
		int r = poll(&pfd, 1, WAIT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			fail("pipe reader: nothing readable in %d ms after %llu bytes (lost wake-up)",
			     WAIT_MS, (unsigned long long)offset);
			break;
		}
		ssize_t n = read(s->fds[0], buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("pipe read: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != pattern_byte(offset + i)) {
				fail("pipe byte %llu is %#x, not %#x",
				     (unsigned long long)(offset + i), buf[i],
				     pattern_byte(offset + i));
				close(s->fds[0]);
				return NULL;
			}
		}
		offset += n;
	}
	s->bytes = offset;
	close(s->fds[0]);
	return NULL;
}

static void run_pipes(void)
{
	signal(SIGPIPE, SIG_IGN);
	struct stream streams[2];
	pthread_t threads[4];
	for (int i = 0; i < 2; i++) {
		streams[i] = (struct stream){.seed = 0x9e3779b97f4a7c15ULL * (i + 1)};
		if (pipe(streams[i].fds) < 0) {
			fail("pipe: %s", strerror(errno));
			return;
		}
		start_thread(&threads[2 * i], writer_thread, &streams[i]);
		start_thread(&threads[2 * i + 1], reader_thread, &streams[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	atomic_store(&me()->ops, streams[0].bytes + streams[1].bytes);
}

/* ---- mm ---- */

#define MM_PAGES 16
static char *region;
static _Atomic uint64_t segvs, efaults;
static __thread sigjmp_buf *fault_jump;
/* Set once every thread exists: no mapping but the mapper's is made after that. */
static _Atomic int mm_go;

static void wait_mm_go(void)
{
	while (!atomic_load(&mm_go))
		sched_yield();
}

static void on_segv(int sig)
{
	(void)sig;
	if (fault_jump)
		siglongjmp(*fault_jump, 1);
	_exit(3);
}

static void *mapper_thread(void *raw)
{
	(void)raw;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t state = 0x1234567;
	wait_mm_go();
	while (!stopping()) {
		char *p = mmap(region, MM_PAGES * page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED) {
			fail("mmap: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < MM_PAGES; i++)
			p[i * page] = 1;
		uint64_t r = rng_next(&state);
		size_t first = r % MM_PAGES, count = 1 + (r >> 8) % (MM_PAGES - first);
		if (mprotect(p + first * page, count * page, PROT_READ) < 0 ||
		    mprotect(p + first * page, count * page, PROT_NONE) < 0 ||
		    mprotect(p + first * page, count * page, PROT_READ | PROT_WRITE) < 0) {
			fail("mprotect: %s", strerror(errno));
			break;
		}
		if (r & 0x10000)
			madvise(p, MM_PAGES * page, MADV_DONTNEED);
		if (munmap(p + first * page, count * page) < 0 ||
		    munmap(p, MM_PAGES * page) < 0) {
			fail("munmap: %s", strerror(errno));
			break;
		}
		tick();
		atomic_fetch_add_explicit(&me()->ops, 1, memory_order_relaxed);
	}
	return NULL;
}

static void *toucher_thread(void *raw)
{
	(void)raw;
	long page = sysconf(_SC_PAGESIZE);
	sigjmp_buf jump;
	uint64_t state = (uintptr_t)&jump | 1;
	fault_jump = &jump;
	wait_mm_go();
	while (!stopping()) {
		volatile char *p = region + (rng_next(&state) % (MM_PAGES * page));
		if (sigsetjmp(jump, 1) == 0) {
			*p = 2;
			(void)*p;
		} else {
			atomic_fetch_add_explicit(&segvs, 1, memory_order_relaxed);
		}
		tick();
	}
	fault_jump = NULL;
	return NULL;
}

/* Has the kernel copy to and from the racing region: EFAULT expected, never a kernel fault. */
static void *kernel_writer_thread(void *raw)
{
	int file = *(int *)raw;
	long page = sysconf(_SC_PAGESIZE);
	int zero = open("/dev/zero", O_RDONLY);
	if (zero < 0) {
		fail("open /dev/zero: %s", strerror(errno));
		return NULL;
	}
	wait_mm_go();
	uint64_t state = 0xabcdef;
	while (!stopping()) {
		size_t off = rng_next(&state) % (MM_PAGES * page);
		size_t len = 1 + rng_next(&state) % (MM_PAGES * page - off);
		ssize_t n = (state & 1) ? read(zero, region + off, len)
					: pwrite(file, region + off, len, 0);
		if (n < 0) {
			if (errno != EFAULT) {
				fail("read/write on a racing mapping: %s", strerror(errno));
				break;
			}
			atomic_fetch_add_explicit(&efaults, 1, memory_order_relaxed);
		}
		tick();
	}
	close(zero);
	return NULL;
}

static void run_mm(void)
{
	long page = sysconf(_SC_PAGESIZE);
	/* Reserve an address range, then free it: the mapper maps it with MAP_FIXED. */
	region = mmap(NULL, MM_PAGES * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return;
	}
	int file = open(DIR_PATH "-mm", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (file < 0) {
		fail("open %s-mm: %s", DIR_PATH, strerror(errno));
		return;
	}
	unlink(DIR_PATH "-mm");
	struct sigaction sa = {0};
	sa.sa_handler = on_segv;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	pthread_t threads[4];
	start_thread(&threads[0], mapper_thread, NULL);
	start_thread(&threads[1], toucher_thread, NULL);
	start_thread(&threads[2], toucher_thread, NULL);
	start_thread(&threads[3], kernel_writer_thread, &file);
	/* The threads' stacks exist (outside the reservation): free it for the mapper. */
	munmap(region, MM_PAGES * page);
	atomic_store(&mm_go, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	close(file);
	atomic_store(&me()->extra, atomic_load(&segvs) * 1000000 + atomic_load(&efaults));
}

/* ---- signals ---- */

#define SIG_THREADS 4
static pid_t sig_tids[SIG_THREADS];
static _Atomic uint64_t rt_sent[SIG_THREADS], rt_received[SIG_THREADS];
static _Atomic uint64_t usr_received;
static _Atomic int sig_ready, sig_quiet;
static __thread int sig_slot = -1;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add_explicit(&usr_received, 1, memory_order_relaxed);
}

static void on_rt(int sig, siginfo_t *info, void *ctx)
{
	(void)sig;
	(void)ctx;
	int slot = info->si_value.sival_int;
	if (slot != sig_slot) {
		/* A queued signal for one thread delivered to another: say it (never _exit). */
		static const char msg[] = "smp-stress: FAIL: signals: RT signal for another thread\n";
		if (write(1, msg, sizeof msg - 1) < 0) {
		}
		atomic_store(&shared->failed, 1);
		atomic_store(&shared->stop, 1);
	}
	if (slot >= 0 && slot < SIG_THREADS)
		atomic_fetch_add_explicit(&rt_received[slot], 1, memory_order_relaxed);
}

static void *signal_thread(void *raw)
{
	int slot = (int)(intptr_t)raw;
	sig_slot = slot;
	sig_tids[slot] = (pid_t)syscall(SYS_gettid);
	atomic_fetch_add(&sig_ready, 1);
	while (atomic_load(&sig_ready) < SIG_THREADS)
		sched_yield();
	pid_t tgid = getpid();
	uint64_t state = 0x5bd1e995ULL * (slot + 1);
	while (!stopping()) {
		int target = rng_next(&state) % SIG_THREADS;
		if (state & 2) {
			if (syscall(SYS_tgkill, tgid, sig_tids[target], SIGUSR1) < 0) {
				fail("tgkill: %s", strerror(errno));
				break;
			}
		} else {
			siginfo_t info;
			memset(&info, 0, sizeof info);
			info.si_signo = SIGRTMIN;
			info.si_code = SI_QUEUE;
			info.si_pid = tgid;
			info.si_uid = getuid();
			info.si_value.sival_int = target;
			if (syscall(SYS_rt_tgsigqueueinfo, tgid, sig_tids[target], SIGRTMIN, &info) == 0)
				atomic_fetch_add(&rt_sent[target], 1);
			else if (errno != EAGAIN) {
				fail("rt_tgsigqueueinfo: %s", strerror(errno));
				break;
			}
		}
		if ((state & 0xf0) == 0) {
			struct timespec ts = {0, 100000};
			nanosleep(&ts, NULL);
		}
		tick();
	}
	/* Quiet: nobody sends any more once every thread is here; then take what is pending. */
	atomic_fetch_add(&sig_quiet, 1);
	while (atomic_load(&sig_quiet) < SIG_THREADS)
		sched_yield();
	for (int i = 0; i < 10; i++)
		sched_yield();
	return NULL;
}

static void run_signals(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	struct sigaction rt = {0};
	rt.sa_sigaction = on_rt;
	rt.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGRTMIN, &rt, NULL);
	/* The main thread takes none of them. */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGRTMIN);
	pthread_t threads[SIG_THREADS];
	for (int i = 0; i < SIG_THREADS; i++)
		start_thread(&threads[i], signal_thread, (void *)(intptr_t)i);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	for (int i = 0; i < SIG_THREADS; i++)
		pthread_join(threads[i], NULL);
	uint64_t sent = 0, received = 0;
	for (int i = 0; i < SIG_THREADS; i++) {
		sent += rt_sent[i];
		received += rt_received[i];
		if (rt_sent[i] != rt_received[i])
			fail("thread %d was queued %llu real-time signals but got %llu", i,
			     (unsigned long long)rt_sent[i], (unsigned long long)rt_received[i]);
	}
	atomic_store(&me()->ops, sent);
	atomic_store(&me()->extra, atomic_load(&usr_received));
	(void)received;
}

/* ---- files ---- */

struct lister {
	_Atomic int stop;
	uint64_t listed;
};

static void *lister_thread(void *raw)
{
	struct lister *l = raw;
	while (!atomic_load(&l->stop)) {
		DIR *dir = opendir(DIR_PATH);
		if (!dir) {
			fail("opendir: %s", strerror(errno));
			break;
		}
		while (readdir(dir))
			l->listed++;
		closedir(dir);
		tick();
	}
	return NULL;
}

static void run_files(void)
{
	struct lister l = {0};
	pthread_t thread;
	start_thread(&thread, lister_thread, &l);
	uint64_t state = 0xfeed + self_index;
	char name[128], other[128], buf[4096];
	memset(buf, 'x', sizeof buf);
	uint64_t n = 0;
	while (!stopping()) {
		snprintf(name, sizeof name, DIR_PATH "/w%d-%llu", self_index, (unsigned long long)n);
		snprintf(other, sizeof other, DIR_PATH "/w%d-%llu-r", self_index,
			 (unsigned long long)n);
		int fd = open(name, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0) {
			fail("create %s: %s", name, strerror(errno));
			break;
		}
		size_t len = rng_next(&state) % sizeof buf;
		if (write(fd, buf, len) != (ssize_t)len) {
			fail("write %s: %s", name, strerror(errno));
			close(fd);
			break;
		}
		close(fd);
		struct stat st;
		if (stat(name, &st) < 0 || st.st_size != (off_t)len) {
			fail("stat %s: %s, size %lld not %zu", name, strerror(errno),
			     (long long)st.st_size, len);
			break;
		}
		if ((state & 1) && rename(name, other) < 0) {
			fail("rename %s: %s", name, strerror(errno));
			break;
		}
		if (unlink((state & 1) ? other : name) < 0) {
			fail("unlink: %s", strerror(errno));
			break;
		}
		n++;
		tick();
	}
	atomic_store(&l.stop, 1);
	pthread_join(thread, NULL);
	atomic_store(&me()->ops, n);
}

/* ---- init: start, watch, stop, check ---- */

static long meminfo_kb(const char *key)
{
	char text[4096];
	int fd = open("/proc/meminfo", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = 0;
	char *at = strstr(text, key);
	return at ? strtol(at + strlen(key) + 1, NULL, 10) : -1;
}

static void drop_caches(void)
{
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "3\n", 2) < 0) {
		}
		close(fd);
	}
}

/* Free memory once it has settled: the largest of a few readings after dropping caches. */
static long settled_free_kb(void)
{
	long best = -1;
	for (int i = 0; i < 5; i++) {
		drop_caches();
		sleep_ms(200);
		long kb = meminfo_kb("MemFree:");
		if (kb > best)
			best = kb;
	}
	return best;
}

/* Prints the state of a stuck worker's threads. */
static void show_threads(pid_t pid)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *dir = opendir(path);
	if (!dir)
		return;
	struct dirent *entry;
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.')
			continue;
		char file[400], stat_text[512] = "", wchan[128] = "";
		snprintf(file, sizeof file, "%s/%s/stat", path, entry->d_name);
		int fd = open(file, O_RDONLY);
		if (fd >= 0) {
			ssize_t n = read(fd, stat_text, sizeof stat_text - 1);
			stat_text[n > 0 ? n : 0] = 0;
			close(fd);
		}
		snprintf(file, sizeof file, "%s/%s/wchan", path, entry->d_name);
		fd = open(file, O_RDONLY);
		if (fd >= 0) {
			ssize_t n = read(fd, wchan, sizeof wchan - 1);
			wchan[n > 0 ? n : 0] = 0;
			close(fd);
		}
		char *nl = strchr(stat_text, '\n');
		if (nl)
			*nl = 0;
		say("smp-stress:   thread %s: %.120s wchan=%s\n", entry->d_name, stat_text, wchan);
	}
	closedir(dir);
}

static void run_worker(int index)
{
	self_index = index;
	switch (plan[index]) {
	case FORKEXEC:
		run_forkexec();
		break;
	case FUTEX:
		run_futex();
		break;
	case PIPES:
		run_pipes();
		break;
	case MM:
		run_mm();
		break;
	case SIGNALS:
		run_signals();
		break;
	case FILES:
		run_files();
		break;
	}
	_exit(atomic_load(&shared->failed) ? 1 : 0);
}

static void usage(void)
{
	say("usage: smp-stress [--seconds N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long seconds = DEFAULT_SECONDS;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			seconds = strtol(argv[++i], NULL, 0);
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			usage();
		}
		/* Anything else: kernel parameters passed on to init. */
	}
	if (getpid() != 1) {
		say("smp-stress: run me as init of a guest (pid 1), not on a host\n");
		return 2;
	}
	if (seconds < 1)
		usage();
	mkdir("/proc", 0555);
	mount("proc", "/proc", "proc", 0, NULL);
	mkdir("/tmp", 01777);
	if (mkdir(DIR_PATH, 0755) < 0 && errno != EEXIST) {
		say("smp-stress: FAIL: mkdir %s: %s\n", DIR_PATH, strerror(errno));
		return 1;
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		      0);
	if (shared == MAP_FAILED) {
		say("smp-stress: FAIL: mmap: %s\n", strerror(errno));
		return 1;
	}
	long free0 = settled_free_kb();
	say("smp-stress: seconds=%ld cpus=%ld workers=%d free_kb=%ld\n", seconds, cpus, NWORKERS,
	    free0);

	for (int i = 0; i < NWORKERS; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			say("smp-stress: FAIL: fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid == 0)
			run_worker(i);
		shared->workers[i].pid = pid;
	}

	uint64_t start = now_ms(), end = start + seconds * 1000ULL, last_report = start;
	uint64_t seen[NWORKERS] = {0}, moved[NWORKERS];
	for (int i = 0; i < NWORKERS; i++)
		moved[i] = start;
	int is_failed = 0;
	while (!atomic_load(&shared->stop) && now_ms() < end) {
		sleep_ms(500);
		uint64_t now = now_ms();
		for (int i = 0; i < NWORKERS; i++) {
			uint64_t p = atomic_load(&shared->workers[i].progress);
			if (p != seen[i]) {
				seen[i] = p;
				moved[i] = now;
			} else if (now - moved[i] > STALL_MS) {
				say("smp-stress: FAIL: worker %d (%s, pid %d) made no progress in %d ms "
				    "(deadlock or lost wake-up)\n",
				    i, kind_names[plan[i]], shared->workers[i].pid, STALL_MS);
				show_threads(shared->workers[i].pid);
				is_failed = 1;
				atomic_store(&shared->stop, 1);
				break;
			}
		}
		if (now - last_report >= 10000) {
			last_report = now;
			say("smp-stress: %llu s:", (unsigned long long)(now - start) / 1000);
			for (int i = 0; i < NWORKERS; i++)
				say(" %s=%llu", kind_names[plan[i]],
				    (unsigned long long)atomic_load(&shared->workers[i].progress));
			say("\n");
		}
	}
	atomic_store(&shared->stop, 1);

	/* Reap the workers (and anything they left); one that does not end is a hang. */
	int alive = NWORKERS;
	uint64_t deadline = now_ms() + STALL_MS;
	while (alive > 0) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == ECHILD)
			break;
		if (pid > 0) {
			for (int i = 0; i < NWORKERS; i++) {
				if (shared->workers[i].pid != pid)
					continue;
				alive--;
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
					say("smp-stress: FAIL: worker %d (%s) ended with status %#x\n",
					    i, kind_names[plan[i]], status);
					is_failed = 1;
				}
			}
			continue;
		}
		if (now_ms() > deadline) {
			for (int i = 0; i < NWORKERS; i++) {
				if (kill(shared->workers[i].pid, 0) == 0 &&
				    waitpid(shared->workers[i].pid, &status, WNOHANG) == 0) {
					say("smp-stress: FAIL: worker %d (%s, pid %d) did not stop in "
					    "%d ms\n",
					    i, kind_names[plan[i]], shared->workers[i].pid, STALL_MS);
					show_threads(shared->workers[i].pid);
				}
			}
			return 1;
		}
		sleep_ms(50);
	}
	if (atomic_load(&shared->failed))
		is_failed = 1;

	DIR *dir = opendir(DIR_PATH);
	int left = 0;
	if (dir) {
		struct dirent *entry;
		while ((entry = readdir(dir)))
			if (entry->d_name[0] != '.')
				left++;
		closedir(dir);
	}
	if (left) {
		say("smp-stress: FAIL: %d files left in %s\n", left, DIR_PATH);
		is_failed = 1;
	}
	long free1 = settled_free_kb();
	long delta = free0 - free1;
	say("smp-stress: free_kb=%ld at the end (%ld kB less than at the start)\n", free1, delta);
	if (free0 < 0 || free1 < 0) {
		say("smp-stress: FAIL: no MemFree in /proc/meminfo\n");
		is_failed = 1;
	} else if (delta > LEAK_KB) {
		say("smp-stress: FAIL: %ld kB less free memory than at the start (more than %d)\n",
		    delta, LEAK_KB);
		is_failed = 1;
	}
	if (is_failed)
		return 1;
	struct worker *w = shared->workers;
	say("smp-stress: PASS seconds=%ld cpus=%ld forks=%llu futex_turns=%llu mutex=%llu "
	    "pipe_bytes=%llu mm_rounds=%llu segv_efault=%llu rt_signals=%llu usr1=%llu files=%llu "
	    "free_delta_kb=%ld\n",
	    seconds, cpus, (unsigned long long)(w[0].ops + w[1].ops),
	    (unsigned long long)w[2].ops, (unsigned long long)w[2].extra,
	    (unsigned long long)w[3].ops, (unsigned long long)w[4].ops,
	    (unsigned long long)w[4].extra, (unsigned long long)w[5].ops,
	    (unsigned long long)w[5].extra, (unsigned long long)(w[6].ops + w[7].ops), delta);
	return 0;
}
