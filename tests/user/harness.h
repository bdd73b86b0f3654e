/*
 * Ferrux user-space test harness.
 *
 * Every suite is a C file that registers tests with TEST(suite, name) { ... }.
 * main.c collects them (through the "h_tests" link section), runs them in
 * source order and prints one line per test:
 *
 *     TEST <suite>/<name> PASS
 *     TEST <suite>/<name> FAIL <file:line: what was expected and what came>
 *
 * followed by "N passed, N failed".  The first failed check ends the test
 * (h_fail longjmps back to the runner).  After every test the runner closes
 * fds >= 3, returns to "/", removes the test's scratch directory, restores
 * umask 022, the signal mask and RLIMIT_NOFILE, so tests stay independent.
 *
 * The same binary runs as init (pid 1) of a QEMU guest on Ferrux and on
 * Linux, and as a normal program on a Linux host: checks whose answer
 * depends on being init are guarded with h_is_init().
 *
 * Tests may fork, clone, exec and take signals.  Use h_fork() (or
 * h_run_child()) so the runner knows the child; a child that fails a check
 * reports its reason to the parent (see "Processes" below).  After every test
 * the runner also kills and reaps the children the test left behind, restores
 * every signal disposition, the alternate signal stack, the signal mask,
 * drains pending signals and cancels alarm()/itimers.  A per-test watchdog
 * (a POSIX timer on SIGRTMAX, see h_set_timeout) turns a hang into a FAIL.
 */
#ifndef FERRUX_HARNESS_H
#define FERRUX_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

struct h_test {
	const char *suite;
	const char *name;
	void (*fn)(void);
	const char *file;
	int line;
	/* Runs only when named on the command line (TEST_ALONE). */
	int is_alone;
};

#define H_CAT_(a, b) a##b
#define H_CAT(a, b) H_CAT_(a, b)

#define H_REGISTER(suite, name, is_alone)                                      \
	static void h_fn_##suite##__##name(void);                              \
	static const struct h_test h_def_##suite##__##name = {                 \
		#suite, #name, h_fn_##suite##__##name, __FILE__, __LINE__,     \
		is_alone};                                                     \
	static const struct h_test *const h_ptr_##suite##__##name             \
		__attribute__((used, section("h_tests"))) =                    \
			&h_def_##suite##__##name;                              \
	static void h_fn_##suite##__##name(void)

/* Register a test; the body follows as a function body. */
#define TEST(suite, name) H_REGISTER(suite, name, 0)
/* A test that exhausts the machine: it runs only when its suite or its own
 * name is given to the runner, and xtask boots its suite alone (ALONE_SUITES
 * in xtask/src/test.rs, at the memory sizes listed there). */
#define TEST_ALONE(suite, name) H_REGISTER(suite, name, 1)

_Noreturn void h_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *h_errname(int e);

#define FAIL(...) h_fail(__FILE__, __LINE__, __VA_ARGS__)

/* call must not return -1; evaluates to its result (as long). */
#define EXPECT_OK(call)                                                        \
	({                                                                     \
		errno = 0;                                                     \
		long h_r_ = (long)(call);                                      \
		if (h_r_ == -1)                                                \
			FAIL("%s: expected success got -1/%s", #call,          \
			     h_errname(errno));                                \
		h_r_;                                                          \
	})

/* call must return -1 with errno == e. */
#define EXPECT_ERRNO(call, e)                                                  \
	({                                                                     \
		errno = 0;                                                     \
		long h_r_ = (long)(call);                                      \
		int h_e_ = errno;                                              \
		if (h_r_ != -1 || h_e_ != (e)) {                               \
			if (h_r_ == -1)                                        \
				FAIL("%s: expected -1/%s got -1/%s", #call,    \
				     h_errname(e), h_errname(h_e_));           \
			else                                                   \
				FAIL("%s: expected -1/%s got %ld", #call,      \
				     h_errname(e), h_r_);                      \
		}                                                              \
	})

/* sa/sb: the operands as written (stringified before macro expansion).
 * When the actual value is -1 the errno it left is shown too.  errno is not
 * cleared first: `a` may be errno itself (EXPECT_EQ(errno, EFAULT)). */
#define H_CMP(a, op, b, fmt_, sa, sb)                                          \
	({                                                                     \
		long long h_a_ = (long long)(a);                               \
		int h_e_ = errno;                                              \
		long long h_b_ = (long long)(b);                               \
		if (!(h_a_ op h_b_))                                           \
			FAIL("%s " #op " %s: expected " fmt_ " got " fmt_      \
			     "%s%s", sa, sb, h_b_, h_a_,                       \
			     h_a_ == -1 && h_e_ ? "/" : "",                    \
			     h_a_ == -1 && h_e_ ? h_errname(h_e_) : "");       \
	})

/* EXPECT_EQ(actual, expected): the message prints the expected value first. */
#define EXPECT_EQ(a, b) H_CMP(a, ==, b, "%lld", #a, #b)
#define EXPECT_EQX(a, b) H_CMP(a, ==, b, "%#llx", #a, #b)
#define EXPECT_MODE(a, b) H_CMP(a, ==, b, "0%llo", #a, #b)
#define EXPECT_NE(a, b)                                                        \
	({                                                                     \
		long long h_a_ = (long long)(a), h_b_ = (long long)(b);        \
		if (h_a_ == h_b_)                                              \
			FAIL("%s != %s: both are %lld", #a, #b, h_a_);         \
	})
#define H_ORD(a, op, b, sa, sb)                                                \
	({                                                                     \
		long long h_a_ = (long long)(a), h_b_ = (long long)(b);        \
		if (!(h_a_ op h_b_))                                           \
			FAIL("%s " #op " %s: got %lld vs %lld", sa, sb, h_a_,  \
			     h_b_);                                            \
	})
#define EXPECT_GE(a, b) H_ORD(a, >=, b, #a, #b)
#define EXPECT_GT(a, b) H_ORD(a, >, b, #a, #b)
#define EXPECT_LE(a, b) H_ORD(a, <=, b, #a, #b)
#define EXPECT_LT(a, b) H_ORD(a, <, b, #a, #b)
#define EXPECT_TRUE(cond)                                                      \
	({                                                                     \
		if (!(cond))                                                   \
			FAIL("expected %s", #cond);                            \
	})
#define EXPECT_STREQ(a, b)                                                     \
	({                                                                     \
		const char *h_a_ = (a), *h_b_ = (b);                           \
		if (strcmp(h_a_, h_b_) != 0)                                   \
			FAIL("%s: expected \"%s\" got \"%s\"", #a, h_b_, h_a_); \
	})
#define EXPECT_MEMEQ(a, b, n)                                                  \
	({                                                                     \
		if (memcmp((a), (b), (n)) != 0)                                \
			FAIL("%s: bytes differ from %s (%zu bytes)", #a, #b,   \
			     (size_t)(n));                                     \
	})

/* --- helpers ------------------------------------------------------------ */

/* Is this process the init of a guest (pid 1)? */
int h_is_init(void);
/* Create a fresh empty scratch directory, chdir into it, return its absolute
 * path.  The runner removes it after the test. */
const char *h_tmpdir(void);
/* Create (truncate) a file with the given content, mode 0644. */
void h_write_file(const char *path, const char *content);
/* Read a whole small file into buf (NUL-terminated); returns its length. */
size_t h_read_file(const char *path, char *buf, size_t size);
/* A string of n 'a' characters (n < 8192), in a static buffer. */
const char *h_name(size_t n);
/* A path of n bytes made of "a/a/a/..." components. */
const char *h_longpath(size_t n);
/* A fd on the console: fd 0 when init, else /dev/console opened O_NOCTTY. */
int h_console_fd(void);
/* Hide a value from the optimizer (so it cannot reason about bad pointers). */
static inline void *h_opaque(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}
static inline long h_opaque_l(long v)
{
	__asm__ volatile("" : "+r"(v));
	return v;
}
/* An address that is never mapped in user space. */
#define H_BAD_PTR h_opaque((void *)1)
/* A kernel address. */
#define H_KERNEL_PTR h_opaque((void *)0xffffffff81000000UL)

/* A raw syscall that touches neither errno nor TLS; returns -errno on error. */
static inline long h_raw_syscall(long n, long a1, long a2, long a3, long a4,
				 long a5, long a6)
{
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}


/* --- processes and signals ------------------------------------------------ */
/*
 * Children.  h_fork() is fork() that records the child so that the runner
 * kills (SIGKILL) and reaps it after the test if the test did not.  In any
 * process or thread other than the runner's main thread, a failed check
 * (FAIL, EXPECT_*) writes "[pid N] reason" to the test's report pipe and ends
 * the process with exit_group(H_CHILD_FAILED) (a thread sharing the runner's
 * thread group ends with exit(H_CHILD_FAILED) and leaves its reason in
 * h_thread_reason()).  h_wait_exit() turns that exit status back into a FAIL
 * of the test that shows the child's reason.
 */
#define H_CHILD_FAILED 251
/* Watchdog signal: do not catch, block for long, or ignore it in the runner. */
#define H_SIG_WATCHDOG 64

/* fork(); FAILs the test if fork fails.  Returns 0 in the child, where
 * H_SIG_WATCHDOG is reset to SIG_DFL. */
pid_t h_fork(void);
/* clone(2) without CLONE_VM with `flags` (plus SIGCHLD), as a fork: 0 in the
 * child (set up as h_fork's), the child's pid in the caller (tracked), or
 * -1 with errno. */
pid_t h_clone_fork(unsigned long flags);
/* Record a child created some other way (raw clone, vfork) for cleanup. */
void h_track(pid_t pid);
/* Wait for child pid (waitpid with __WALL, retried on EINTR) and return its
 * raw status word.  The test's watchdog bounds the wait. */
int h_wait_status(pid_t pid);
/* Wait for pid to exit and return its exit code (0..255).  FAILs if it was
 * killed by a signal, or exited with H_CHILD_FAILED (showing its reason). */
int h_wait_exit(pid_t pid);
/* Wait for pid to be killed by a signal and return the signal number
 * (FAILs if it exited instead).  *core, if not NULL, gets WCOREDUMP. */
int h_wait_signaled(pid_t pid, int *core);
/* Fork, run fn(arg) in the child, _exit(0) when it returns; the parent
 * returns h_wait_exit() of the child. */
int h_run_child(void (*fn)(void *), void *arg);
/* h_run_child and expect exit code 0. */
#define EXPECT_CHILD_OK(fn, arg) EXPECT_EQ(h_run_child((fn), (arg)), 0)
/* Exit a child process now (exit_group without running atexit handlers). */
_Noreturn void h_exit(int code);

/* Pipes for synchronising with children (O_CLOEXEC); FAIL on error. */
void h_pipe(int fds[2]);
/* Write one byte / read one byte (FAIL on error or EOF; EINTR retried). */
void h_post(int fd);
void h_wait_byte(int fd);
/* Read until EOF into buf (NUL-terminated); returns the length. */
size_t h_read_all(int fd, char *buf, size_t size);

/* Raw clone(2) on a new stack: the child runs fn(arg) on stack_top and ends
 * with exit(fn's return) (SYS_exit: only that thread).  Returns the child's
 * tid or -errno, like the syscall; does not record the child (h_track). */
long h_clone_raw(unsigned long flags, void *stack_top, int *ptid, int *ctid,
		 unsigned long tls, int (*fn)(void *), void *arg);
/* Raw clone3(2) whose child runs fn(arg) on [args->stack, +stack_size)
 * and ends like h_clone_raw.  args->stack and stack_size must be set. */
long h_clone3_fn(void *clone_args, size_t size, int (*fn)(void *), void *arg);
/* A fresh 64 KiB stack (mmap, never unmapped); returns its top. */
void *h_stack(void);
/* Wait until *addr is 0 (futex wait; for CLONE_CHILD_CLEARTID). */
void h_wait_zero(volatile int *addr);
/* Wait for a thread started with CLONE_CHILD_CLEARTID on *ctid; FAILs with
 * its reason if it failed a check. */
void h_join(volatile int *ctid);

/* Replace this test's watchdog (default 20 s) with `seconds` from now. */
void h_set_timeout(unsigned seconds);
/* Reason left by a failed thread of the runner's thread group ("" if none). */
const char *h_thread_reason(void);
/* The program the exec tests run ("/bin/child-helper" in the guest; set
 * FERRUX_CHILD_HELPER on a host). */
const char *h_child_helper(void);

/* --- constants that musl 1.2.3 or old headers may lack --------------------- */
#ifndef SYS_statx
#define SYS_statx 332
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef SYS_renameat2
#define SYS_renameat2 316
#endif
#ifndef SYS_getrandom
#define SYS_getrandom 318
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef AT_STATX_FORCE_SYNC
#define AT_STATX_FORCE_SYNC 0x2000
#endif
#ifndef AT_STATX_DONT_SYNC
#define AT_STATX_DONT_SYNC 0x4000
#endif
#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif
#ifndef O_PATH
#define O_PATH 010000000
#endif
#ifndef GRND_NONBLOCK
#define GRND_NONBLOCK 0x0001
#endif
#ifndef GRND_RANDOM
#define GRND_RANDOM 0x0002
#endif
#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif
/* O_LARGEFILE as the x86-64 kernel reports it in F_GETFL (musl defines 0). */
#define K_O_LARGEFILE 0100000

/* struct statx of the kernel ABI (glibc's own struct statx may or may not be
 * declared, musl 1.2.3 has none). */
struct k_statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};
struct k_statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t spare0;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct k_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major;
	uint32_t stx_rdev_minor;
	uint32_t stx_dev_major;
	uint32_t stx_dev_minor;
	uint64_t stx_mnt_id;
	uint64_t spare2[13];
};
#define K_STATX_TYPE 0x1U
#define K_STATX_MODE 0x2U
#define K_STATX_NLINK 0x4U
#define K_STATX_UID 0x8U
#define K_STATX_GID 0x10U
#define K_STATX_ATIME 0x20U
#define K_STATX_MTIME 0x40U
#define K_STATX_CTIME 0x80U
#define K_STATX_INO 0x100U
#define K_STATX_SIZE 0x200U
#define K_STATX_BLOCKS 0x400U
#define K_STATX_BASIC_STATS 0x7ffU
#define K_STATX_BTIME 0x800U
#define K_STATX_MNT_ID 0x1000U
#define K_STATX__RESERVED 0x80000000U

/* struct linux_dirent64 */
struct k_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

/* struct sigaction of the kernel ABI (x86-64 rt_sigaction). */
struct k_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

#endif
