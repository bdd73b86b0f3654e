/*
 * ferrux-bench: guest microbenchmarks for `cargo xtask bench`.
 *
 * Runs as init (pid 1) of a QEMU guest, the same static binary on Ferrux and
 * on Debian's Linux, and prints one machine-readable line per measurement:
 *
 *     BENCH <name> <value> <unit>        unit: ns (per operation) or MB/s
 *     BENCH <name> n/a <ERRNO-NAME>      the benchmark failed or is unsupported
 *
 * then "BENCH-END <count> <ns>" when every benchmark has run, with the
 * CLOCK_MONOTONIC time since the "BENCH-START" line (xtask compares it with
 * its own clock to check the guest's).  Before the
 * benchmarks it prints "BENCH boot_to_init_ns <N> ns" (CLOCK_BOOTTIME, or
 * CLOCK_MONOTONIC when that fails, read as the first thing in main: both
 * kernels start these clocks early in boot) and "BENCH mem_used_kib <N> KiB"
 * (sysinfo: totalram - freeram).
 *
 * Each benchmark self-calibrates: it runs 1, 2, 4, ... iterations until one
 * batch takes at least the target time (200 ms of CLOCK_MONOTONIC, or the
 * value of "-t MS"), and reports that batch.  A benchmark that has not
 * finished after BENCH_TIMEOUT_S seconds is abandoned (SIGALRM, siglongjmp):
 * it prints "n/a ETIMEDOUT" and its child processes are killed.
 *
 * Then the disk benchmarks (disk_seq: sequential write and read of a 256 MiB
 * file, buffered and O_DIRECT, and 4 KiB random reads; disk_create_delete_10k,
 * disk_untar, disk_fsync_4k) run once each on the ext4 disk attached as vda.
 *
 * Arguments: [-t TARGET_MS] [NAME ...] (only the named benchmarks).
 * As init it ends by returning from main; the kernel then reports init's exit
 * and, with panic=-1, QEMU ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_TIMEOUT_S 30
#define TRUE_PATH "/bin/bench-true"
/* Debian's /bin/true: dynamically linked against glibc (the image carries its
 * loader and libc.so.6). */
#define DYNAMIC_TRUE_PATH "/bin/debian-true"
#define SCRATCH_FILE "/tmp/bench-file"
#define SCRATCH_DIR "/tmp/bench-dir"
#define BIG_FILE "/tmp/bench-big"
#define PIPE_CHUNK (64 * 1024)
#define BIG_FILE_BYTES (16L * 1024 * 1024)
#define FILES_PER_ROUND 1000
#define FAULT_PAGES 1024
#define POLL_FDS 10
#define PAGE 4096L
/* A file of the initramfs, read by cached_file_read: both kernels keep its
 * pages in the page cache from the unpacking on (Linux's rootfs is ramfs or
 * tmpfs). */
#define CACHED_FILE "/bin/busybox"
#define CACHED_BYTES (1L << 20)
/* <linux/futex.h> is not in musl's headers. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128

static uint64_t target_ns = 200ull * 1000 * 1000;

/* ---- output ------------------------------------------------------------ */

static void say(const char *format, ...)
{
	char line[256];
	va_list args;
	va_start(args, format);
	int len = vsnprintf(line, sizeof line, format, args);
	va_end(args);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof line)
		len = sizeof line - 1;
	const char *p = line;
	while (len > 0) {
		ssize_t done = write(1, p, (size_t)len);
		if (done < 0 && errno == EINTR)
			continue;
		if (done <= 0)
			return;
		p += done;
		len -= (int)done;
	}
}

static const char *errno_name(int err)
{
	static char unknown[16];
	switch (err) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ELOOP: return "ELOOP";
	case EOVERFLOW: return "EOVERFLOW";
	case ENOTSOCK: return "ENOTSOCK";
	case EPROTOTYPE: return "EPROTOTYPE";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	}
	snprintf(unknown, sizeof unknown, "E%d", err);
	return unknown;
}

/* ---- time ---------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- child processes and the watchdog ------------------------------------ */

#define MAX_CHILDREN 8
static volatile pid_t children[MAX_CHILDREN];
static sigjmp_buf watchdog_jump;

static void remember_child(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] == 0) {
			children[i] = pid;
			return;
		}
	}
}

static void forget_child(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == pid)
			children[i] = 0;
}

/* Kills and reaps every remembered child. */
static void kill_children(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		pid_t pid = children[i];
		if (pid > 0) {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		children[i] = 0;
	}
}

static void on_alarm(int sig)
{
	(void)sig;
	siglongjmp(watchdog_jump, 1);
}

/* Waits for pid; 0 if it exited with status 0, else an errno-like code. */
static int wait_ok(pid_t pid)
{
	int status;
	pid_t got;
	while ((got = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (got < 0)
		return errno;
	if (!WIFEXITED(status))
		return EINTR;
	int code = WEXITSTATUS(status);
	if (code == 0)
		return 0;
	/* Children report a failed call as 100 + errno. */
	return code > 100 ? code - 100 : EIO;
}

/* ---- the benchmark framework --------------------------------------------- */

/*
 * Runs `iterations` operations; returns 0 or an errno.  `work_per_op` in the
 * table scales the result: nanoseconds are reported per (iteration *
 * ops_per_iteration); bandwidth benchmarks report bytes_per_iteration per
 * elapsed second.
 */
typedef int (*bench_fn)(long iterations);

struct bench {
	const char *name;
	bench_fn fn;
	/* Operations one iteration counts as (ns per op = time / iterations / this). */
	double ops_per_iteration;
	/* Non-zero: a bandwidth benchmark moving this many bytes per iteration. */
	double bytes_per_iteration;
};

/* Runs one batch; 0 and the elapsed time, or an errno. */
static int run_batch(const struct bench *b, long iterations, uint64_t *elapsed_ns)
{
	uint64_t start = now_ns();
	int err = b->fn(iterations);
	*elapsed_ns = now_ns() - start;
	return err;
}

static void run_bench(const struct bench *b)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	if (sigsetjmp(watchdog_jump, 1)) {
		kill_children();
		say("BENCH %s n/a ETIMEDOUT\n", b->name);
		return;
	}
	alarm(BENCH_TIMEOUT_S);

	long iterations = 1;
	uint64_t elapsed = 0;
	int err;
	for (;;) {
		err = run_batch(b, iterations, &elapsed);
		if (err || elapsed >= target_ns || iterations >= (1L << 40))
			break;
		/* Jump closer to the target when far below it, at most x16. */
		long factor = 2;
		if (elapsed > 0 && elapsed * 16 < target_ns)
			factor = 16;
		else if (elapsed > 0 && elapsed * 4 < target_ns)
			factor = 4;
		iterations *= factor;
	}
	alarm(0);
	kill_children();
	if (err) {
		say("BENCH %s n/a %s\n", b->name, errno_name(err));
		return;
	}
	if (b->bytes_per_iteration > 0) {
		double seconds = (double)elapsed / 1e9;
		double mb = b->bytes_per_iteration * (double)iterations / 1e6;
		say("BENCH %s %.1f MB/s\n", b->name, mb / seconds);
	} else {
		double ops = (double)iterations * b->ops_per_iteration;
		say("BENCH %s %.1f ns\n", b->name, (double)elapsed / ops);
	}
}

/* ---- system calls -------------------------------------------------------- */

static int bench_null_syscall(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}

static int bench_read_zero(long n)
{
	int fd = open("/dev/zero", O_RDONLY);
	if (fd < 0)
		return errno;
	char c;
	int err = 0;
	for (long i = 0; i < n && !err; i++)
		if (read(fd, &c, 1) != 1)
			err = errno ? errno : EIO;
	close(fd);
	return err;
}

static int bench_write_null(long n)
{
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0)
		return errno;
	char c = 'x';
	int err = 0;
	for (long i = 0; i < n && !err; i++)
		if (write(fd, &c, 1) != 1)
			err = errno ? errno : EIO;
	close(fd);
	return err;
}

static int bench_open_close(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open("/etc/passwd", O_RDONLY);
		if (fd < 0)
			return errno;
		close(fd);
	}
	return 0;
}

static int bench_stat(long n)
{
	struct stat st;
	for (long i = 0; i < n; i++)
		if (stat("/etc/passwd", &st) < 0)
			return errno;
	return 0;
}

static int bench_fstat(long n)
{
	int fd = open("/etc/passwd", O_RDONLY);
	if (fd < 0)
		return errno;
	struct stat st;
	int err = 0;
	for (long i = 0; i < n && !err; i++)
		if (fstat(fd, &st) < 0)
			err = errno;
	close(fd);
	return err;
}

static int bench_sched_yield(long n)
{
	for (long i = 0; i < n; i++)
		sched_yield();
	return 0;
}

static int bench_clock_gettime(long n)
{
	struct timespec ts;
	for (long i = 0; i < n; i++)
		if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
			return errno;
	return 0;
}

static int bench_gettimeofday(long n)
{
	struct timeval tv;
	for (long i = 0; i < n; i++)
		if (gettimeofday(&tv, NULL) < 0)
			return errno;
	return 0;
}

/* ---- ping-pong between two processes -------------------------------------- */

/*
 * `n` round trips of one byte over a pair of channels to a child that echoes
 * it: to_child[1] -> child -> from_child[0].  Works for pipes and sockets.
 */
static int echo_round_trips(long n, int to_child[2], int from_child[2])
{
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		char c;
		while (read(to_child[0], &c, 1) == 1)
			if (write(from_child[1], &c, 1) != 1)
				_exit(100 + errno);
		_exit(0);
	}
	remember_child(pid);
	close(to_child[0]);
	close(from_child[1]);
	int err = 0;
	char c = 'x';
	for (long i = 0; i < n && !err; i++) {
		if (write(to_child[1], &c, 1) != 1 || read(from_child[0], &c, 1) != 1)
			err = errno ? errno : EIO;
	}
	close(to_child[1]);
	close(from_child[0]);
	int child_err = wait_ok(pid);
	forget_child(pid);
	return err ? err : child_err;
}

static int bench_pipe_round_trip(long n)
{
	int a[2], b[2];
	if (pipe(a) < 0)
		return errno;
	if (pipe(b) < 0) {
		int err = errno;
		close(a[0]);
		close(a[1]);
		return err;
	}
	return echo_round_trips(n, a, b);
}

static int bench_socketpair_round_trip(long n)
{
	int a[2], b[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, a) < 0)
		return errno;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, b) < 0) {
		int err = errno;
		close(a[0]);
		close(a[1]);
		return err;
	}
	/* Use a[1] -> a[0] one way and b[0] -> b[1] back, like two pipes. */
	int to_child[2] = {a[0], a[1]};
	int from_child[2] = {b[0], b[1]};
	return echo_round_trips(n, to_child, from_child);
}

/* ---- TCP over loopback ----------------------------------------------------- */

/* Brings lo up (Linux leaves it down without an init system). */
static void lo_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
}

/* A TCP connection over 127.0.0.1 with TCP_NODELAY: fds[0] the accepted end,
 * fds[1] the connecting one. */
static int tcp_connection(int fds[2])
{
	lo_up();
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		return errno;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sin);
	int err = 0;
	if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) < 0) {
		err = errno;
		close(l);
		return err;
	}
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		err = errno;
		close(l);
		return err;
	}
	int s = accept(l, NULL, NULL);
	err = s < 0 ? errno : 0;
	close(l);
	if (err)
		return err;
	int one = 1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fds[0] = s;
	fds[1] = c;
	return 0;
}

static int bench_tcp_loopback_round_trip(long n)
{
	int a[2], b[2];
	int err = tcp_connection(a);
	if (err)
		return err;
	err = tcp_connection(b);
	if (err) {
		close(a[0]);
		close(a[1]);
		return err;
	}
	/* Parent writes a[1], the child reads a[0] and answers on b[0]. */
	int to_child[2] = {a[0], a[1]};
	int from_child[2] = {b[1], b[0]};
	return echo_round_trips(n, to_child, from_child);
}

/* ---- UNIX stream sockets by address, UDP over loopback ------------------------ */

/* A connected AF_UNIX stream pair through listen/connect/accept on an abstract address
 * (what servers use, where socketpair_round_trip skips the address): fds[0] accepted. */
static int unix_connection(int fds[2])
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	static int serial;
	int len = snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "ferrux-bench-%d-%d",
			   (int)getpid(), serial++);
	socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0)
		return errno;
	int err = 0;
	if (bind(l, (struct sockaddr *)&sun, addr_len) < 0 || listen(l, 1) < 0) {
		err = errno;
		close(l);
		return err;
	}
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sun, addr_len) < 0) {
		err = errno;
		close(l);
		return err;
	}
	int s = accept(l, NULL, NULL);
	err = s < 0 ? errno : 0;
	close(l);
	if (err)
		return err;
	fds[0] = s;
	fds[1] = c;
	return 0;
}

static int bench_unix_stream_round_trip(long n)
{
	int a[2], b[2];
	int err = unix_connection(a);
	if (err)
		return err;
	err = unix_connection(b);
	if (err) {
		close(a[0]);
		close(a[1]);
		return err;
	}
	int to_child[2] = {a[0], a[1]};
	int from_child[2] = {b[1], b[0]};
	return echo_round_trips(n, to_child, from_child);
}

/* One byte each way between two connected UDP sockets on 127.0.0.1; an empty datagram
 * (a read of 0) ends the child's echo loop. */
static int bench_udp_loopback_round_trip(long n)
{
	lo_up();
	int u[2];
	struct sockaddr_in sin[2];
	for (int i = 0; i < 2; i++) {
		u[i] = socket(AF_INET, SOCK_DGRAM, 0);
		memset(&sin[i], 0, sizeof(sin[i]));
		sin[i].sin_family = AF_INET;
		sin[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t len = sizeof(sin[i]);
		if (u[i] < 0 || bind(u[i], (struct sockaddr *)&sin[i], sizeof(sin[i])) < 0 ||
		    getsockname(u[i], (struct sockaddr *)&sin[i], &len) < 0) {
			int err = errno;
			if (i == 1)
				close(u[0]);
			if (u[i] >= 0)
				close(u[i]);
			return err;
		}
	}
	if (connect(u[0], (struct sockaddr *)&sin[1], sizeof(sin[1])) < 0 ||
	    connect(u[1], (struct sockaddr *)&sin[0], sizeof(sin[0])) < 0) {
		int err = errno;
		close(u[0]);
		close(u[1]);
		return err;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(u[0]);
		close(u[1]);
		return err;
	}
	if (pid == 0) {
		close(u[0]);
		char c;
		while (read(u[1], &c, 1) == 1)
			if (write(u[1], &c, 1) != 1)
				_exit(100 + errno);
		_exit(0);
	}
	remember_child(pid);
	close(u[1]);
	int err = 0;
	char c = 'x';
	for (long i = 0; i < n && !err; i++) {
		if (write(u[0], &c, 1) != 1 || read(u[0], &c, 1) != 1)
			err = errno ? errno : EIO;
	}
	if (write(u[0], &c, 0) < 0 && !err)
		err = errno;
	close(u[0]);
	int child_err = wait_ok(pid);
	forget_child(pid);
	return err ? err : child_err;
}

static int bench_tcp_loopback_bandwidth(long n)
{
	int fds[2];
	int err = tcp_connection(fds);
	if (err)
		return err;
	pid_t pid = fork();
	if (pid < 0) {
		err = errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	static char buffer[PIPE_CHUNK];
	if (pid == 0) {
		close(fds[0]);
		for (long i = 0; i < n; i++) {
			size_t done = 0;
			while (done < PIPE_CHUNK) {
				ssize_t got = write(fds[1], buffer + done, PIPE_CHUNK - done);
				if (got <= 0)
					_exit(100 + errno);
				done += (size_t)got;
			}
		}
		_exit(0);
	}
	remember_child(pid);
	close(fds[1]);
	long total = 0, want = n * (long)PIPE_CHUNK;
	while (total < want) {
		ssize_t got = read(fds[0], buffer, PIPE_CHUNK);
		if (got <= 0) {
			err = got < 0 ? errno : EPIPE;
			break;
		}
		total += got;
	}
	close(fds[0]);
	int child_err = wait_ok(pid);
	forget_child(pid);
	return err ? err : child_err;
}

/* ---- processes ------------------------------------------------------------- */

static int bench_fork_exit_wait(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return errno;
		if (pid == 0)
			_exit(0);
		int err = wait_ok(pid);
		if (err)
			return err;
	}
	return 0;
}

static int vfork_exec_wait(const char *path, long n)
{
	char *argv[] = {(char *)path, NULL};
	char *envp[] = {NULL};
	for (long i = 0; i < n; i++) {
		pid_t pid = vfork();
		if (pid < 0)
			return errno;
		if (pid == 0) {
			execve(path, argv, envp);
			_exit(100 + errno);
		}
		int err = wait_ok(pid);
		if (err)
			return err;
	}
	return 0;
}

static int bench_vfork_exec_wait(long n)
{
	return vfork_exec_wait(TRUE_PATH, n);
}

/* The same with a dynamically linked program: the loader maps libc.so.6 and
 * relocates it, the vDSO is looked up. */
static int bench_vfork_exec_dynamic(long n)
{
	return vfork_exec_wait(DYNAMIC_TRUE_PATH, n);
}

static int bench_fork_exec_sh(long n)
{
	char *argv[] = {"sh", "-c", "true", NULL};
	char *envp[] = {NULL};
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return errno;
		if (pid == 0) {
			execve("/bin/sh", argv, envp);
			_exit(100 + errno);
		}
		remember_child(pid);
		int err = wait_ok(pid);
		forget_child(pid);
		if (err)
			return err;
	}
	return 0;
}

static void *thread_nothing(void *arg)
{
	return arg;
}

static int bench_pthread_create_join(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_t thread;
		int err = pthread_create(&thread, NULL, thread_nothing, NULL);
		if (err)
			return err;
		err = pthread_join(thread, NULL);
		if (err)
			return err;
	}
	return 0;
}

/* ---- memory ---------------------------------------------------------------- */

static int bench_page_fault(long n)
{
	size_t len = FAULT_PAGES * PAGE;
	for (long i = 0; i < n; i++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		for (size_t off = 0; off < len; off += PAGE)
			((volatile char *)p)[off] = 1;
		if (munmap(p, len) < 0)
			return errno;
	}
	return 0;
}

static int mmap_munmap(long n, size_t len)
{
	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		if (munmap(p, len) < 0)
			return errno;
	}
	return 0;
}

static int bench_mmap_4k(long n)
{
	return mmap_munmap(n, PAGE);
}

static int bench_mmap_4m(long n)
{
	return mmap_munmap(n, 4L * 1024 * 1024);
}

/* Raw brk: musl's sbrk() refuses to move the break. */
static int bench_brk(long n)
{
	uintptr_t base = (uintptr_t)syscall(SYS_brk, 0);
	for (long i = 0; i < n; i++) {
		uintptr_t grown = (uintptr_t)syscall(SYS_brk, base + PAGE);
		if (grown != base + PAGE)
			return ENOMEM;
		if ((uintptr_t)syscall(SYS_brk, base) != base)
			return ENOMEM;
	}
	return 0;
}

/* ---- signals --------------------------------------------------------------- */

static volatile sig_atomic_t signal_count;

static void on_usr1(int sig)
{
	(void)sig;
	signal_count++;
}

static void on_usr1_other(int sig)
{
	(void)sig;
}

static int bench_sigaction(long n)
{
	struct sigaction a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.sa_handler = on_usr1;
	b.sa_handler = on_usr1_other;
	for (long i = 0; i < n; i++)
		if (sigaction(SIGUSR1, (i & 1) ? &b : &a, NULL) < 0)
			return errno;
	return 0;
}

static int bench_signal_self(long n)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return errno;
	signal_count = 0;
	for (long i = 0; i < n; i++)
		if (raise(SIGUSR1) != 0)
			return errno;
	if (signal_count != n)
		return EINTR;
	return 0;
}

/* ---- futexes --------------------------------------------------------------- */

static _Atomic int futex_word;
static long futex_rounds;

static long futex_call(_Atomic int *word, int op, int value)
{
	return syscall(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, value, NULL, NULL, 0);
}

/* The partner thread: waits for 1, answers 0. */
static void *futex_partner(void *arg)
{
	(void)arg;
	for (long i = 0; i < futex_rounds; i++) {
		while (futex_word != 1)
			futex_call(&futex_word, FUTEX_WAIT, 0);
		futex_word = 0;
		futex_call(&futex_word, FUTEX_WAKE, 1);
	}
	return NULL;
}

static int bench_futex_ping_pong(long n)
{
	futex_word = 0;
	futex_rounds = n;
	pthread_t thread;
	int err = pthread_create(&thread, NULL, futex_partner, NULL);
	if (err)
		return err;
	for (long i = 0; i < n; i++) {
		futex_word = 1;
		futex_call(&futex_word, FUTEX_WAKE, 1);
		while (futex_word != 0)
			futex_call(&futex_word, FUTEX_WAIT, 1);
	}
	pthread_join(thread, NULL);
	return 0;
}

/* A PTHREAD_PRIO_INHERIT mutex handed back and forth: each holder yields inside the
 * critical section, so the other blocks in FUTEX_LOCK_PI and every unlock is a
 * FUTEX_UNLOCK_PI hand-over to the waiter (two of each per round). */
static pthread_mutex_t pi_mutex;
static long pi_rounds;

static void *pi_partner(void *arg)
{
	(void)arg;
	for (long i = 0; i < pi_rounds; i++) {
		pthread_mutex_lock(&pi_mutex);
		sched_yield();
		pthread_mutex_unlock(&pi_mutex);
	}
	return NULL;
}

static int bench_pi_mutex_contended(long n)
{
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	int err = pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
	if (err)
		return err;
	pthread_mutex_init(&pi_mutex, &attr);
	pi_rounds = n;
	pthread_t thread;
	pthread_mutex_lock(&pi_mutex);
	err = pthread_create(&thread, NULL, pi_partner, NULL);
	if (err)
		return err;
	sched_yield();
	pthread_mutex_unlock(&pi_mutex);
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&pi_mutex);
		sched_yield();
		pthread_mutex_unlock(&pi_mutex);
	}
	pthread_join(thread, NULL);
	pthread_mutex_destroy(&pi_mutex);
	return 0;
}

/* ---- pipes ------------------------------------------------------------------- */

static int bench_pipe_bandwidth(long n)
{
	int fds[2];
	if (pipe(fds) < 0)
		return errno;
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	static char buffer[PIPE_CHUNK];
	if (pid == 0) {
		close(fds[0]);
		for (long i = 0; i < n; i++) {
			size_t done = 0;
			while (done < PIPE_CHUNK) {
				ssize_t got = write(fds[1], buffer + done, PIPE_CHUNK - done);
				if (got <= 0)
					_exit(100 + errno);
				done += (size_t)got;
			}
		}
		_exit(0);
	}
	remember_child(pid);
	close(fds[1]);
	long total = 0, want = n * (long)PIPE_CHUNK;
	int err = 0;
	while (total < want) {
		ssize_t got = read(fds[0], buffer, PIPE_CHUNK);
		if (got <= 0) {
			err = got < 0 ? errno : EPIPE;
			break;
		}
		total += got;
	}
	close(fds[0]);
	int child_err = wait_ok(pid);
	forget_child(pid);
	return err ? err : child_err;
}

/* Context switches: two processes pass one byte back and forth. */
static int bench_context_switch(long n)
{
	return bench_pipe_round_trip(n);
}

/* ---- tmpfs ------------------------------------------------------------------- */

static char file_chunk[PIPE_CHUNK];

static int write_big_file(int fd)
{
	for (long done = 0; done < BIG_FILE_BYTES; done += PIPE_CHUNK) {
		if (pwrite(fd, file_chunk, PIPE_CHUNK, done) != PIPE_CHUNK)
			return errno ? errno : EIO;
	}
	return 0;
}

static int bench_tmpfs_write(long n)
{
	memset(file_chunk, 'w', sizeof file_chunk);
	for (long i = 0; i < n; i++) {
		int fd = open(BIG_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return errno;
		int err = write_big_file(fd);
		close(fd);
		if (err)
			return err;
	}
	unlink(BIG_FILE);
	return 0;
}

static int bench_tmpfs_read(long n)
{
	memset(file_chunk, 'r', sizeof file_chunk);
	int fd = open(BIG_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return errno;
	int err = write_big_file(fd);
	for (long i = 0; i < n && !err; i++) {
		for (long done = 0; done < BIG_FILE_BYTES; done += PIPE_CHUNK) {
			if (pread(fd, file_chunk, PIPE_CHUNK, done) != PIPE_CHUNK) {
				err = errno ? errno : EIO;
				break;
			}
		}
	}
	close(fd);
	unlink(BIG_FILE);
	return err;
}

/* Reading a file whose pages are all in the page cache: its first MiB with
 * read() in 64 KiB chunks, from the start each round (cat, cp and the loaders
 * read files this way). */
static int bench_cached_file_read(long n)
{
	int fd = open(CACHED_FILE, O_RDONLY);
	if (fd < 0)
		return errno;
	int err = 0;
	for (long i = 0; i < n && !err; i++) {
		if (lseek(fd, 0, SEEK_SET) != 0) {
			err = errno;
			break;
		}
		for (long done = 0; done < CACHED_BYTES; done += PIPE_CHUNK) {
			if (read(fd, file_chunk, PIPE_CHUNK) != PIPE_CHUNK) {
				err = errno ? errno : EIO;
				break;
			}
		}
	}
	close(fd);
	return err;
}

/* Read faults on a shared mapping of a file whose pages are all cached: the
 * cost per page of mapping the page cache (Linux maps 16 pages per fault with
 * its fault-around, as Ferrux does). */
static int bench_file_page_fault(long n)
{
	memset(file_chunk, 'm', sizeof file_chunk);
	int fd = open(BIG_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return errno;
	int err = write_big_file(fd);
	size_t len = FAULT_PAGES * PAGE;
	unsigned sum = 0;
	for (long i = 0; i < n && !err; i++) {
		char *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			err = errno;
			break;
		}
		for (size_t off = 0; off < len; off += PAGE)
			sum += ((volatile char *)p)[off];
		if (munmap(p, len) < 0)
			err = errno;
	}
	close(fd);
	unlink(BIG_FILE);
	if (!err && sum != (unsigned)'m' * FAULT_PAGES * (unsigned)n)
		err = EIO;
	return err;
}

static int bench_create_unlink(long n)
{
	if (mkdir(SCRATCH_DIR, 0755) < 0 && errno != EEXIST)
		return errno;
	char path[64];
	for (long round = 0; round < n; round++) {
		for (int i = 0; i < FILES_PER_ROUND; i++) {
			snprintf(path, sizeof path, SCRATCH_DIR "/f%d", i);
			int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd < 0)
				return errno;
			close(fd);
		}
		for (int i = 0; i < FILES_PER_ROUND; i++) {
			snprintf(path, sizeof path, SCRATCH_DIR "/f%d", i);
			if (unlink(path) < 0)
				return errno;
		}
	}
	rmdir(SCRATCH_DIR);
	return 0;
}

/* ---- poll and epoll ------------------------------------------------------------ */

/* POLL_FDS pipes; the write ends are always writable. */
static int open_pipes(int pipes[POLL_FDS][2])
{
	for (int i = 0; i < POLL_FDS; i++) {
		if (pipe(pipes[i]) < 0) {
			int err = errno;
			while (--i >= 0) {
				close(pipes[i][0]);
				close(pipes[i][1]);
			}
			return err;
		}
	}
	return 0;
}

static void close_pipes(int pipes[POLL_FDS][2])
{
	for (int i = 0; i < POLL_FDS; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
}

static int bench_poll(long n)
{
	int pipes[POLL_FDS][2];
	int err = open_pipes(pipes);
	if (err)
		return err;
	struct pollfd fds[POLL_FDS];
	for (int i = 0; i < POLL_FDS; i++) {
		fds[i].fd = pipes[i][1];
		fds[i].events = POLLOUT;
	}
	for (long i = 0; i < n && !err; i++) {
		int ready = poll(fds, POLL_FDS, 0);
		if (ready != POLL_FDS)
			err = ready < 0 ? errno : EIO;
	}
	close_pipes(pipes);
	return err;
}

static int bench_epoll(long n)
{
	int pipes[POLL_FDS][2];
	int err = open_pipes(pipes);
	if (err)
		return err;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		err = errno;
		close_pipes(pipes);
		return err;
	}
	for (int i = 0; i < POLL_FDS && !err; i++) {
		struct epoll_event event = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, pipes[i][1], &event) < 0)
			err = errno;
	}
	struct epoll_event events[POLL_FDS];
	for (long i = 0; i < n && !err; i++) {
		int ready = epoll_wait(ep, events, POLL_FDS, 0);
		if (ready != POLL_FDS)
			err = ready < 0 ? errno : EIO;
	}
	close(ep);
	close_pipes(pipes);
	return err;
}

/* ---- parallel: the same work in two workers at once ----------------------------
 *
 * par2_X runs benchmark X in two processes (or, for page faults, two threads
 * of one process) at once, each doing n operations; the time is per operation
 * of either.  On one CPU it is about X's time; with two CPUs (`xtask bench
 * --smp 2`) X / par2_X is the speed-up (2 at best). */

static int in_two_processes(int (*bench)(long), long n)
{
	pid_t pids[2];
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return errno;
		if (pids[i] == 0) {
			int err = bench(n);
			_exit(err ? 100 + err : 0);
		}
		remember_child(pids[i]);
	}
	int err = 0;
	for (int i = 0; i < 2; i++) {
		int child_err = wait_ok(pids[i]);
		forget_child(pids[i]);
		if (!err)
			err = child_err;
	}
	return err;
}

static int bench_par2_fork_exit(long n)
{
	return in_two_processes(bench_fork_exit_wait, n);
}

static int bench_par2_pipe_round_trip(long n)
{
	return in_two_processes(bench_pipe_round_trip, n);
}

static void *page_fault_worker(void *arg)
{
	return (void *)(long)bench_page_fault((long)arg);
}

static int bench_par2_page_fault(long n)
{
	pthread_t thread;
	int err = pthread_create(&thread, NULL, page_fault_worker, (void *)n);
	if (err)
		return err;
	int mine = bench_page_fault(n);
	void *theirs = NULL;
	err = pthread_join(thread, &theirs);
	if (err)
		return err;
	return mine ? mine : (int)(long)theirs;
}

/* ---- disk (ext4 on virtio vda) ------------------------------------------------ */

/* The disk benchmarks run once each, after the others, on the ext4 file system
 * xtask attaches as vda (made by mkfs.ext4 -d with /tree.tar on it).  Each is
 * bounded in time (DISK_BUDGET_TARGETS times the calibration target, 10 s by
 * default): a sequential transfer stops early and reports what it moved.
 * Debian's Linux needs its virtio modules (loaded from /lib/modules/virtio). */
#define DISK_DEV "/dev/vda"
#define DISK_MNT "/mnt"
#define DISK_FILE DISK_MNT "/seq"
#define DISK_FILE_BYTES (256L << 20)
#define DISK_CHUNK (1L << 20)
#define DISK_FILES 10000
#define DISK_BUDGET_TARGETS 50
#ifndef O_DIRECT
#define O_DIRECT 040000
#endif
#define BLKFLSBUF_IOCTL 0x1261

static char *disk_buffer;

static uint64_t disk_budget_ns(void)
{
	return target_ns * DISK_BUDGET_TARGETS;
}

static void load_virtio_modules(void)
{
	static const char *const modules[] = {"virtio", "virtio_ring", "virtio_pci_modern_dev",
		"virtio_pci_legacy_dev", "virtio_pci", "virtio_blk"};
	for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
		char path[96];
		snprintf(path, sizeof path, "/lib/modules/virtio/%s.ko", modules[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		syscall(SYS_finit_module, fd, "", 0);
		close(fd);
	}
}

/* Unmounts, drops the disk's cache, mounts again: the next reads come from the disk. */
static int disk_remount(void)
{
	if (umount(DISK_MNT) < 0)
		return errno;
	int fd = open(DISK_DEV, O_RDONLY);
	if (fd >= 0) {
		ioctl(fd, BLKFLSBUF_IOCTL, 0);
		close(fd);
	}
	if (mount(DISK_DEV, DISK_MNT, "ext4", 0, NULL) < 0)
		return errno;
	return 0;
}

static int disk_setup(void)
{
	load_virtio_modules();
	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0 && errno != EBUSY)
		return errno;
	struct stat st;
	for (int i = 0; i < 200 && stat(DISK_DEV, &st) < 0; i++)
		usleep(10000);
	mkdir(DISK_MNT, 0755);
	if (mount(DISK_DEV, DISK_MNT, "ext4", 0, NULL) < 0)
		return errno;
	if (posix_memalign((void **)&disk_buffer, 4096, DISK_CHUNK) != 0)
		return ENOMEM;
	for (long i = 0; i < DISK_CHUNK; i++)
		disk_buffer[i] = (char)(i * 7 + (i >> 12));
	return 0;
}

static void say_rate(const char *name, int err, long bytes, uint64_t ns)
{
	if (err)
		say("BENCH %s n/a %s\n", name, errno_name(err));
	else if (ns == 0 || bytes == 0)
		say("BENCH %s n/a EIO\n", name);
	else
		say("BENCH %s %.1f MB/s\n", name, (double)bytes / 1e6 / ((double)ns / 1e9));
}

static void say_ns(const char *name, int err, long ops, uint64_t ns)
{
	if (err)
		say("BENCH %s n/a %s\n", name, errno_name(err));
	else if (ops == 0)
		say("BENCH %s n/a EIO\n", name);
	else
		say("BENCH %s %.1f ns\n", name, (double)ns / (double)ops);
}

/* Writes the file in 1 MiB chunks (within the budget), then fsync: MB/s. */
static int disk_write(int extra_flags, long *bytes, uint64_t *ns)
{
	uint64_t start = now_ns();
	int fd = open(DISK_FILE, O_WRONLY | O_CREAT | O_TRUNC | extra_flags, 0644);
	if (fd < 0)
		return errno;
	int err = 0;
	*bytes = 0;
	while (*bytes < DISK_FILE_BYTES && now_ns() - start < disk_budget_ns()) {
		if (write(fd, disk_buffer, DISK_CHUNK) != DISK_CHUNK) {
			err = errno ? errno : EIO;
			break;
		}
		*bytes += DISK_CHUNK;
	}
	if (!err && fsync(fd) < 0)
		err = errno;
	close(fd);
	*ns = now_ns() - start;
	return err;
}

/* Reads the file from a freshly mounted file system in 1 MiB chunks: MB/s. */
static int disk_read(int extra_flags, long *bytes, uint64_t *ns)
{
	int err = disk_remount();
	if (err)
		return err;
	uint64_t start = now_ns();
	int fd = open(DISK_FILE, O_RDONLY | extra_flags);
	if (fd < 0)
		return errno;
	*bytes = 0;
	while (now_ns() - start < disk_budget_ns()) {
		ssize_t got = read(fd, disk_buffer, DISK_CHUNK);
		if (got < 0) {
			err = errno;
			break;
		}
		if (got == 0)
			break;
		*bytes += got;
	}
	close(fd);
	*ns = now_ns() - start;
	return err;
}

static void bench_disk_sequential(void)
{
	long bytes = 0;
	uint64_t ns = 0;
	int err = disk_write(0, &bytes, &ns);
	say_rate("disk_seq_write_256m", err, bytes, ns);
	if (!err) {
		err = disk_read(0, &bytes, &ns);
		say_rate("disk_seq_read_256m", err, bytes, ns);
	} else {
		say_rate("disk_seq_read_256m", err, 0, 0);
	}
	/* 4 KiB reads at random aligned offsets of the file, from a cold mount. */
	err = err ? err : disk_remount();
	struct stat st;
	int fd = err ? -1 : open(DISK_FILE, O_RDONLY);
	if (!err && (fd < 0 || fstat(fd, &st) < 0))
		err = errno;
	long reads = 0;
	uint64_t start = now_ns();
	uint64_t state = 0x9e3779b97f4a7c15ull;
	long pages = err ? 0 : st.st_size / 4096;
	while (!err && pages > 0 && reads < 100000 && now_ns() - start < disk_budget_ns() / 2) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		if (pread(fd, disk_buffer, 4096, (off_t)(state % (uint64_t)pages) * 4096) != 4096)
			err = errno ? errno : EIO;
		reads++;
	}
	uint64_t elapsed = now_ns() - start;
	if (fd >= 0)
		close(fd);
	say_ns("disk_random_read_4k", err, reads, elapsed);
	/* The same with O_DIRECT. */
	err = disk_write(O_DIRECT, &bytes, &ns);
	say_rate("disk_direct_write_256m", err, bytes, ns);
	if (!err)
		err = disk_read(O_DIRECT, &bytes, &ns);
	say_rate("disk_direct_read_256m", err, bytes, ns);
	unlink(DISK_FILE);
}

/* Creating DISK_FILES empty files in one directory, then deleting them: ns per
 * file (both steps). */
static void bench_disk_create_delete(void)
{
	char path[64];
	int err = 0;
	long made = 0;
	mkdir(DISK_MNT "/many", 0755);
	uint64_t start = now_ns();
	while (made < DISK_FILES && now_ns() - start < disk_budget_ns()) {
		snprintf(path, sizeof path, DISK_MNT "/many/file%ld", made);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0) {
			err = errno;
			break;
		}
		close(fd);
		made++;
	}
	for (long i = 0; i < made; i++) {
		snprintf(path, sizeof path, DISK_MNT "/many/file%ld", i);
		if (unlink(path) < 0 && !err)
			err = errno;
	}
	sync();
	uint64_t elapsed = now_ns() - start;
	rmdir(DISK_MNT "/many");
	say_ns("disk_create_delete_10k", err, made, elapsed);
}

/* busybox tar -xf of the image's /tree.tar into the file system, then sync: MB/s
 * of the archive. */
static void bench_disk_untar(void)
{
	struct stat st;
	if (stat(DISK_MNT "/tree.tar", &st) < 0) {
		say_rate("disk_untar", errno, 0, 0);
		return;
	}
	uint64_t start = now_ns();
	int status = system("/bin/busybox mkdir -p /mnt/untar && "
			    "/bin/busybox tar -xf /mnt/tree.tar -C /mnt/untar && /bin/busybox sync");
	uint64_t elapsed = now_ns() - start;
	int err = (status == 0) ? 0 : EIO;
	say_rate("disk_untar", err, (long)st.st_size, elapsed);
	system("/bin/busybox rm -rf /mnt/untar");
}

/* Rewriting 4 KiB of a file and fsync: ns per write+fsync. */
static void bench_disk_fsync(void)
{
	int fd = open(DISK_MNT "/fsync", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		say_ns("disk_fsync_4k", errno, 0, 0);
		return;
	}
	int err = 0;
	long done = 0;
	uint64_t start = now_ns();
	while (done < 1000 && now_ns() - start < disk_budget_ns() / 2) {
		if (pwrite(fd, disk_buffer, 4096, 0) != 4096 || fsync(fd) < 0) {
			err = errno ? errno : EIO;
			break;
		}
		done++;
	}
	uint64_t elapsed = now_ns() - start;
	close(fd);
	unlink(DISK_MNT "/fsync");
	say_ns("disk_fsync_4k", err, done, elapsed);
}

struct disk_bench {
	const char *name;
	void (*fn)(void);
	/* Every name it reports (for --only and for n/a when the disk is missing). */
	const char *reports[5];
};

static const struct disk_bench disk_benches[] = {
	{"disk_seq", bench_disk_sequential,
	 {"disk_seq_write_256m", "disk_seq_read_256m", "disk_random_read_4k",
	  "disk_direct_write_256m", "disk_direct_read_256m"}},
	{"disk_create_delete_10k", bench_disk_create_delete, {"disk_create_delete_10k"}},
	{"disk_untar", bench_disk_untar, {"disk_untar"}},
	{"disk_fsync_4k", bench_disk_fsync, {"disk_fsync_4k"}},
};

/* ---- the list ------------------------------------------------------------------ */

static const struct bench benches[] = {
	{"null_syscall", bench_null_syscall, 1, 0},
	{"read_dev_zero", bench_read_zero, 1, 0},
	{"write_dev_null", bench_write_null, 1, 0},
	{"open_close", bench_open_close, 1, 0},
	{"stat", bench_stat, 1, 0},
	{"fstat", bench_fstat, 1, 0},
	{"pipe_round_trip", bench_pipe_round_trip, 1, 0},
	{"socketpair_round_trip", bench_socketpair_round_trip, 1, 0},
	{"unix_stream_round_trip", bench_unix_stream_round_trip, 1, 0},
	{"tcp_loopback_round_trip", bench_tcp_loopback_round_trip, 1, 0},
	{"udp_loopback_round_trip", bench_udp_loopback_round_trip, 1, 0},
	{"fork_exit_wait", bench_fork_exit_wait, 1, 0},
	{"vfork_exec_wait", bench_vfork_exec_wait, 1, 0},
	{"vfork_exec_dynamic", bench_vfork_exec_dynamic, 1, 0},
	{"fork_exec_sh", bench_fork_exec_sh, 1, 0},
	{"page_fault", bench_page_fault, FAULT_PAGES, 0},
	{"mmap_munmap_4k", bench_mmap_4k, 1, 0},
	{"mmap_munmap_4m", bench_mmap_4m, 1, 0},
	{"brk_grow_shrink", bench_brk, 1, 0},
	{"sigaction", bench_sigaction, 1, 0},
	{"signal_self", bench_signal_self, 1, 0},
	{"clock_gettime", bench_clock_gettime, 1, 0},
	{"gettimeofday", bench_gettimeofday, 1, 0},
	{"pthread_create_join", bench_pthread_create_join, 1, 0},
	{"futex_ping_pong", bench_futex_ping_pong, 1, 0},
	{"pi_mutex_contended", bench_pi_mutex_contended, 1, 0},
	{"context_switch", bench_context_switch, 2, 0},
	{"pipe_bandwidth", bench_pipe_bandwidth, 1, PIPE_CHUNK},
	{"tcp_loopback_bandwidth", bench_tcp_loopback_bandwidth, 1, PIPE_CHUNK},
	{"tmpfs_write_16m", bench_tmpfs_write, 1, BIG_FILE_BYTES},
	{"tmpfs_read_16m", bench_tmpfs_read, 1, BIG_FILE_BYTES},
	{"cached_file_read", bench_cached_file_read, 1, CACHED_BYTES},
	{"file_page_fault", bench_file_page_fault, FAULT_PAGES, 0},
	{"create_unlink", bench_create_unlink, FILES_PER_ROUND, 0},
	{"poll_10", bench_poll, 1, 0},
	{"epoll_10", bench_epoll, 1, 0},
	{"sched_yield", bench_sched_yield, 1, 0},
	{"par2_fork_exit", bench_par2_fork_exit, 2, 0},
	{"par2_pipe_round_trip", bench_par2_pipe_round_trip, 2, 0},
	{"par2_page_fault", bench_par2_page_fault, 2 * FAULT_PAGES, 0},
};

static int is_selected(const char *name, int argc, char **argv, int first)
{
	if (first >= argc)
		return 1;
	for (int i = first; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	/* First thing: how long since the kernel started its clocks. */
	struct timespec boot;
	if (clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
		clock_gettime(CLOCK_MONOTONIC, &boot);
	uint64_t boot_ns = (uint64_t)boot.tv_sec * 1000000000ull + (uint64_t)boot.tv_nsec;

	int first = 1;
	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		long ms = strtol(argv[2], NULL, 10);
		if (ms > 0)
			target_ns = (uint64_t)ms * 1000000ull;
		first = 3;
	}

	uint64_t started_ns = now_ns();
	say("BENCH-START target_ms=%llu\n", (unsigned long long)(target_ns / 1000000));
	say("BENCH boot_to_init_ns %llu ns\n", (unsigned long long)boot_ns);
	struct sysinfo info;
	if (sysinfo(&info) == 0) {
		unsigned long long unit = info.mem_unit ? info.mem_unit : 1;
		unsigned long long used = (unsigned long long)(info.totalram - info.freeram) * unit;
		say("BENCH mem_used_kib %llu KiB\n", used / 1024);
	} else {
		say("BENCH mem_used_kib n/a %s\n", errno_name(errno));
	}

	/* As init, children's stdin is the console; keep it, but never block on it. */
	int count = 0;
	for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
		if (!is_selected(benches[i].name, argc, argv, first))
			continue;
		run_bench(&benches[i]);
		count++;
	}
	/* The disk benchmarks, when one of theirs is selected (a disk must be attached). */
	int wants_disk = 0;
	for (size_t i = 0; i < sizeof disk_benches / sizeof disk_benches[0]; i++)
		if (is_selected(disk_benches[i].name, argc, argv, first))
			wants_disk = 1;
	if (wants_disk) {
		int err = disk_setup();
		for (size_t i = 0; i < sizeof disk_benches / sizeof disk_benches[0]; i++) {
			const struct disk_bench *b = &disk_benches[i];
			if (!is_selected(b->name, argc, argv, first))
				continue;
			if (err) {
				for (int r = 0; r < 5 && b->reports[r]; r++)
					say("BENCH %s n/a %s\n", b->reports[r], errno_name(err));
			} else {
				b->fn();
			}
			count++;
		}
		if (!err)
			umount(DISK_MNT);
	}
	say("BENCH-END %d %llu\n", count, (unsigned long long)(now_ns() - started_ns));
	return 0;
}
