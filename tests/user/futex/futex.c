/*
 * Suite futex: futex(2), set_robust_list(2), get_robust_list(2),
 * set_tid_address(2) and CLONE_CHILD_CLEARTID.
 *
 * Guards Linux's kernel/futex/: syscalls.c do_futex/futex_init_timeout (an
 * unknown command, or FUTEX_CLOCK_REALTIME on a command without an absolute
 * timeout, is ENOSYS; a bad timespec EINVAL before anything else), core.c
 * get_futex_key (an unaligned address is EINVAL, an unmapped one EFAULT;
 * private and shared keys differ, so a FUTEX_WAKE_PRIVATE never wakes a
 * shared waiter and vice versa; shared keys of a MAP_SHARED page match across
 * processes), waitwake.c futex_wait (EAGAIN when *uaddr != val, ETIMEDOUT
 * after a relative CLOCK_MONOTONIC timeout, EINTR when a handler without
 * SA_RESTART runs), futex_wake (returns the number woken; a nr_wake of 0
 * still wakes one), futex_wake_op/futex_atomic_op_inuser (op, oparg, cmp,
 * cmparg encodings, 12-bit sign-extended arguments, ENOSYS for unknown op or
 * cmp), requeue.c futex_requeue (FUTEX_CMP_REQUEUE is EAGAIN when *uaddr !=
 * val3, negative counts are EINVAL), the *_BITSET commands (bitset 0 EINVAL,
 * absolute timeouts on CLOCK_MONOTONIC or CLOCK_REALTIME) and core.c
 * exit_robust_list/handle_futex_death (a dead owner's robust futex gets
 * FUTEX_OWNER_DIED and one waiter is woken).  kernel/fork.c mm_release clears
 * and wakes clear_child_tid (with a *shared* FUTEX_WAKE) only while other
 * users of the mm remain: a single-threaded process exiting leaves it alone.
 * Man pages futex(2), set_robust_list(2), set_tid_address(2), clone(2),
 * pthread_mutexattr_setrobust(3).
 *
 * Threads and children never call the harness checks: they record results
 * that the main thread checks after joining or reaping them.
 */
#include "harness.h"
#include "child.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define K_FUTEX_WAIT 0
#define K_FUTEX_WAKE 1
#define K_FUTEX_REQUEUE 3
#define K_FUTEX_CMP_REQUEUE 4
#define K_FUTEX_WAKE_OP 5
#define K_FUTEX_WAIT_BITSET 9
#define K_FUTEX_WAKE_BITSET 10
#define K_FUTEX_PRIVATE 128
#define K_FUTEX_CLOCK_REALTIME 256
#define K_FUTEX_WAITERS 0x80000000U
#define K_FUTEX_OWNER_DIED 0x40000000U
#define K_FUTEX_OP(op, oparg, cmp, cmparg)                                     \
	((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) |                       \
	 (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))
#define OP_SET 0
#define OP_ADD 1
#define OP_OR 2
#define OP_ANDN 3
#define OP_XOR 4
#define OP_OPARG_SHIFT 8
#define CMP_EQ 0
#define CMP_NE 1
#define CMP_LT 2
#define CMP_LE 3
#define CMP_GT 4
#define CMP_GE 5

static long futex(volatile uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *ts, volatile uint32_t *uaddr2,
		  uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* For the commands whose 4th argument is the integer val2. */
static long futex2(volatile uint32_t *uaddr, int op, uint32_t val, long val2,
		   volatile uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static long long clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static struct timespec ns_to_ts(long long ns)
{
	return (struct timespec){ns / 1000000000LL, ns % 1000000000LL};
}

static void *shared_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FAIL("mmap shared: %s", h_errname(errno));
	return p;
}

/* A thread blocked in one futex call. */
struct waiter {
	pthread_t thread;
	volatile uint32_t *addr;
	int op;
	uint32_t val;
	uint32_t bitset;
	long ret;
	int err;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	errno = 0;
	w->ret = futex(w->addr, w->op, w->val, NULL, NULL, w->bitset);
	w->err = errno;
	return NULL;
}

static void start_waiter(struct waiter *w, volatile uint32_t *addr, int op,
			 uint32_t val, uint32_t bitset)
{
	w->addr = addr;
	w->op = op;
	w->val = val;
	w->bitset = bitset;
	w->ret = -2;
	w->err = 0;
	int e = pthread_create(&w->thread, NULL, waiter_main, w);
	if (e)
		FAIL("pthread_create: %s", h_errname(e));
}

/* Wakes (with op) until `want` waiters were woken in total or ~10 s passed;
 * returns the total. */
static long wake_until(volatile uint32_t *addr, int op, long want)
{
	long total = 0;
	long long deadline = mono_ns() + 10000000000LL;
	while (total < want && mono_ns() < deadline) {
		long n = futex(addr, op, INT_MAX, NULL, NULL, 0);
		if (n < 0)
			return -1;
		total += n;
		if (total < want)
			sleep_ms(1);
	}
	return total;
}

/* Requeues waiters from a to b (wakes none) until `want` have moved or ~10 s
 * passed; returns the total.  Afterwards exactly those waiters sleep on b. */
static long gather(volatile uint32_t *a, volatile uint32_t *b, int private_flag,
		   long want)
{
	long total = 0;
	long long deadline = mono_ns() + 10000000000LL;
	while (total < want && mono_ns() < deadline) {
		long n = futex2(a, K_FUTEX_REQUEUE | private_flag, 0, want - total, b, 0);
		if (n < 0)
			return -1;
		total += n;
		if (total < want)
			sleep_ms(1);
	}
	return total;
}

TEST(futex, wait_value_differs_eagain)
{
	static uint32_t f = 1;
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT, 0, NULL, NULL, 0), EAGAIN);
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 2, NULL, NULL, 0), EAGAIN);
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT_BITSET | K_FUTEX_PRIVATE, 0, NULL, NULL, ~0U), EAGAIN);
}

TEST(futex, wait_timeout)
{
	static uint32_t f = 0;
	struct timespec ts = {0, 20000000};
	long long t0 = mono_ns();
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT, 0, &ts, NULL, 0), ETIMEDOUT);
	EXPECT_GE(mono_ns() - t0, 20000000LL);
	t0 = mono_ns();
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0, &ts, NULL, 0), ETIMEDOUT);
	EXPECT_GE(mono_ns() - t0, 20000000LL);
	/* The timeout is not written back. */
	EXPECT_EQ(ts.tv_nsec, 20000000);
	/* A zero timeout times out at once. */
	ts = (struct timespec){0, 0};
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT, 0, &ts, NULL, 0), ETIMEDOUT);
}

TEST(futex, wait_bad_timespec)
{
	static uint32_t f = 0;
	struct timespec ts = {0, 1000000000L};
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT, 0, &ts, NULL, 0), EINVAL);
	ts = (struct timespec){0, -1};
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT, 0, &ts, NULL, 0), EINVAL);
	ts = (struct timespec){-1, 0};
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT, 0, &ts, NULL, 0), EINVAL);
	/* The timespec is checked before the value. */
	ts = (struct timespec){0, 1000000000L};
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT, 1, &ts, NULL, 0), EINVAL);
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT, 0, H_BAD_PTR, NULL, 0), EFAULT);
}

TEST(futex, unaligned_einval)
{
	static uint32_t f[2] = {0, 0};
	volatile uint32_t *odd = (volatile uint32_t *)((char *)f + 1);
	struct timespec ts = {0, 0};
	EXPECT_ERRNO(futex(odd, K_FUTEX_WAIT, 0, &ts, NULL, 0), EINVAL);
	EXPECT_ERRNO(futex(odd, K_FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
	EXPECT_ERRNO(futex(odd, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 1, NULL, NULL, 0), EINVAL);
	odd = (volatile uint32_t *)((char *)f + 2);
	EXPECT_ERRNO(futex(odd, K_FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
}

TEST(futex, efault)
{
	volatile uint32_t *bad = h_opaque((void *)8);
	EXPECT_ERRNO(futex(bad, K_FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
	EXPECT_ERRNO(futex(bad, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0, NULL, NULL, 0), EFAULT);
	EXPECT_ERRNO(futex(NULL, K_FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
	EXPECT_ERRNO(futex(h_opaque(H_KERNEL_PTR), K_FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
	/* A shared wake looks the page up: EFAULT; a private wake only hashes
	 * the address: nobody to wake. */
	EXPECT_ERRNO(futex(bad, K_FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
	EXPECT_EQ(futex(bad, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 1, NULL, NULL, 0), 0);
	EXPECT_ERRNO(futex(h_opaque(H_KERNEL_PTR), K_FUTEX_WAKE | K_FUTEX_PRIVATE, 1, NULL, NULL, 0), EFAULT);
}

TEST(futex, wait_on_readonly_and_prot_none)
{
	uint32_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(ro != MAP_FAILED);
	/* Private: the value is read: EAGAIN.  Shared on a private anonymous
	 * page that can only be read: EFAULT (get_futex_key wants a page it
	 * could write). */
	EXPECT_ERRNO(futex(ro, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 1, NULL, NULL, 0), EAGAIN);
	EXPECT_ERRNO(futex(ro, K_FUTEX_WAIT, 1, NULL, NULL, 0), EFAULT);
	struct timespec ts = {0, 1000000};
	EXPECT_ERRNO(futex(ro, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0, &ts, NULL, 0), ETIMEDOUT);
	/* WAKE_OP writes *uaddr2: EFAULT on a read-only page. */
	static uint32_t f;
	EXPECT_ERRNO(futex2(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, ro,
			    K_FUTEX_OP(OP_SET, 1, CMP_EQ, 0)), EFAULT);
	EXPECT_OK(mprotect(ro, 4096, PROT_NONE));
	EXPECT_ERRNO(futex(ro, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0, NULL, NULL, 0), EFAULT);
	EXPECT_OK(munmap(ro, 4096));
}

TEST(futex, wake_nobody)
{
	static uint32_t f = 0;
	EXPECT_EQ(futex(&f, K_FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	EXPECT_EQ(futex(&f, K_FUTEX_WAKE | K_FUTEX_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
	EXPECT_EQ(futex(&f, K_FUTEX_WAKE_BITSET, 1, NULL, NULL, ~0U), 0);
}

TEST(futex, wake_thread)
{
	static volatile uint32_t f;
	f = 0;
	struct waiter w;
	start_waiter(&w, &f, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0, 0);
	long woken = wake_until(&f, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 1);
	pthread_join(w.thread, NULL);
	EXPECT_EQ(woken, 1);
	EXPECT_EQ(w.ret, 0);
}

TEST(futex, wake_count_and_requeue)
{
	static volatile uint32_t a, b;
	a = b = 0;
	struct waiter w[3];
	for (int i = 0; i < 3; i++)
		start_waiter(&w[i], &a, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0, 0);
	long moved = gather(&a, &b, K_FUTEX_PRIVATE, 3);
	/* All three sleep on b now. */
	long on_a = futex(&a, K_FUTEX_WAKE | K_FUTEX_PRIVATE, INT_MAX, NULL, NULL, 0);
	long first = futex(&b, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 2, NULL, NULL, 0);
	long rest = futex(&b, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 5, NULL, NULL, 0);
	long more = wake_until(&b, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 3 - first - rest);
	for (int i = 0; i < 3; i++)
		pthread_join(w[i].thread, NULL);
	EXPECT_EQ(moved, 3);
	EXPECT_EQ(on_a, 0);
	EXPECT_EQ(first, 2);
	EXPECT_EQ(rest, 1);
	EXPECT_EQ(more, 0);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(w[i].ret, 0);
}

TEST(futex, wake_zero_wakes_one)
{
	static volatile uint32_t a, b;
	a = b = 0;
	struct waiter w[2];
	for (int i = 0; i < 2; i++)
		start_waiter(&w[i], &a, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0, 0);
	long moved = gather(&a, &b, K_FUTEX_PRIVATE, 2);
	/* nr_wake is checked after the first wake-up: 0 wakes one. */
	long zero = futex(&b, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 0, NULL, NULL, 0);
	long rest = wake_until(&b, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 2 - (zero > 0 ? zero : 0));
	for (int i = 0; i < 2; i++)
		pthread_join(w[i].thread, NULL);
	EXPECT_EQ(moved, 2);
	EXPECT_EQ(zero, 1);
	EXPECT_EQ(rest, 1);
}

TEST(futex, private_and_shared_keys_differ)
{
	static volatile uint32_t a, b;
	a = b = 0;
	struct waiter w;
	start_waiter(&w, &a, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0, 0);
	long moved = gather(&a, &b, K_FUTEX_PRIVATE, 1);
	/* A shared wake (and a shared requeue) on private memory misses a
	 * private waiter. */
	long shared = futex(&b, K_FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	long priv = wake_until(&b, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 1);
	pthread_join(w.thread, NULL);
	EXPECT_EQ(moved, 1);
	EXPECT_EQ(shared, 0);
	EXPECT_EQ(priv, 1);
	EXPECT_EQ(w.ret, 0);
}

TEST(futex, cmp_requeue)
{
	static volatile uint32_t a, b;
	a = 5;
	b = 0;
	/* *uaddr != val3: EAGAIN. */
	EXPECT_ERRNO(futex2(&a, K_FUTEX_CMP_REQUEUE | K_FUTEX_PRIVATE, 1, 1, &b, 4), EAGAIN);
	EXPECT_EQ(futex2(&a, K_FUTEX_CMP_REQUEUE | K_FUTEX_PRIVATE, 1, 1, &b, 5), 0);
	EXPECT_ERRNO(futex2(&a, K_FUTEX_CMP_REQUEUE | K_FUTEX_PRIVATE, -1, 1, &b, 5), EINVAL);
	EXPECT_ERRNO(futex2(&a, K_FUTEX_CMP_REQUEUE | K_FUTEX_PRIVATE, 1, -1, &b, 5), EINVAL);
	EXPECT_ERRNO(futex2(&a, K_FUTEX_REQUEUE | K_FUTEX_PRIVATE, 1, -1, &b, 0), EINVAL);
	/* With waiters: wake one, move one. */
	struct waiter w[2];
	for (int i = 0; i < 2; i++)
		start_waiter(&w[i], &a, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 5, 0);
	static volatile uint32_t c;
	c = 0;
	long moved = gather(&a, &c, K_FUTEX_PRIVATE, 2);
	/* Both wait on c: wake 1 and requeue 1 back to a. */
	long r = futex2(&c, K_FUTEX_CMP_REQUEUE | K_FUTEX_PRIVATE, 1, 1, &a, 0);
	long on_c = futex(&c, K_FUTEX_WAKE | K_FUTEX_PRIVATE, INT_MAX, NULL, NULL, 0);
	long on_a = wake_until(&a, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i].thread, NULL);
	EXPECT_EQ(moved, 2);
	/* The return value counts woken plus requeued. */
	EXPECT_EQ(r, 2);
	EXPECT_EQ(on_c, 0);
	EXPECT_EQ(on_a, 1);
}

TEST(futex, wake_op_operations)
{
	static volatile uint32_t f, g;
	f = 0;
	struct {
		int op, oparg;
		uint32_t before, after;
	} cases[] = {
		{OP_SET, 7, 100, 7},
		{OP_ADD, 3, 5, 8},
		{OP_OR, 0x30, 0x0f, 0x3f},
		{OP_ANDN, 0x0f, 0xff, 0xf0},
		{OP_XOR, 0xff, 0x0f, 0xf0},
		{OP_SET | OP_OPARG_SHIFT, 4, 0, 16},
		{OP_OR | OP_OPARG_SHIFT, 31, 1, 0x80000001},
		/* oparg is 12 bits, sign-extended. */
		{OP_SET, 0xfff, 0, 0xffffffff},
		{OP_ADD, 0x800, 0x1000, 0x800},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		g = cases[i].before;
		long r = futex2(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, &g,
				K_FUTEX_OP(cases[i].op, cases[i].oparg, CMP_EQ, 0));
		if (r != 0)
			FAIL("case %zu: WAKE_OP returned %ld (%s)", i, r, h_errname(errno));
		if (g != cases[i].after)
			FAIL("case %zu: *uaddr2 = %#x, expected %#x", i, g, cases[i].after);
	}
}

TEST(futex, wake_op_bad_op_and_cmp_enosys)
{
	static volatile uint32_t f, g;
	f = 0;
	g = 10;
	EXPECT_ERRNO(futex2(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, &g,
			    K_FUTEX_OP(5, 1, CMP_EQ, 0)), ENOSYS);
	EXPECT_ERRNO(futex2(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, &g,
			    K_FUTEX_OP(7, 1, CMP_EQ, 0)), ENOSYS);
	EXPECT_EQ(g, 10);
	/* An unknown cmp fails only after the op was applied. */
	EXPECT_ERRNO(futex2(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, &g,
			    K_FUTEX_OP(OP_ADD, 1, 6, 0)), ENOSYS);
	EXPECT_EQ(g, 11);
	EXPECT_ERRNO(futex2(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, &g,
			    K_FUTEX_OP(OP_ADD, 1, 15, 0)), ENOSYS);
	EXPECT_EQ(g, 12);
}

TEST(futex, wake_op_compare_wakes_on_uaddr2)
{
	static volatile uint32_t a, f, g;
	a = f = 0;
	g = 0;
	enum { N = 7 };
	struct waiter w[N];
	for (int i = 0; i < N; i++)
		start_waiter(&w[i], &a, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0, 0);
	long moved = gather(&a, &g, K_FUTEX_PRIVATE, N);
	/* Every call sets *g to 5 and compares the old value (5 after the
	 * first call, which is the one with old value 0). */
	struct {
		int cmp, cmparg;
		long woken;
	} cases[] = {
		{CMP_EQ, 0, 1}, /* the only call that sees the old value 0 */
		{CMP_EQ, 4, 0}, {CMP_EQ, 5, 1},
		{CMP_NE, 5, 0}, {CMP_NE, 4, 1},
		{CMP_LT, 5, 0}, {CMP_LT, 6, 1},
		{CMP_LE, 4, 0}, {CMP_LE, 5, 1},
		{CMP_GT, 5, 0}, {CMP_GT, 4, 1},
		{CMP_GE, 6, 0}, {CMP_GE, 5, 1},
	};
	long got[sizeof cases / sizeof cases[0]];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		got[i] = futex2(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, &g,
				K_FUTEX_OP(OP_SET, 5, cases[i].cmp, cases[i].cmparg));
	long left = wake_until(&g, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 0);
	for (int i = 0; i < N; i++)
		pthread_join(w[i].thread, NULL);
	EXPECT_EQ(moved, N);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (got[i] != cases[i].woken)
			FAIL("case %zu: WAKE_OP returned %ld, expected %ld", i, got[i],
			     cases[i].woken);
	EXPECT_EQ(left, 0);
}

TEST(futex, wake_op_wakes_both_and_counts_sum)
{
	static volatile uint32_t a, f, g;
	a = f = g = 0;
	struct waiter w[2];
	for (int i = 0; i < 2; i++)
		start_waiter(&w[i], &a, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0, 0);
	long moved = gather(&a, &f, K_FUTEX_PRIVATE, 1);
	long moved2 = gather(&a, &g, K_FUTEX_PRIVATE, 1);
	/* One waiter on f, one on g; cmp true: 1 + 1. */
	long r = futex2(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, &g,
			K_FUTEX_OP(OP_SET, 1, CMP_EQ, 0));
	for (int i = 0; i < 2; i++)
		pthread_join(w[i].thread, NULL);
	EXPECT_EQ(moved, 1);
	EXPECT_EQ(moved2, 1);
	EXPECT_EQ(r, 2);
	EXPECT_EQ(g, 1);
}

TEST(futex, bitset_zero_einval)
{
	static uint32_t f = 0;
	struct timespec ts = {0, 0};
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT_BITSET, 0, &ts, NULL, 0), EINVAL);
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL);
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAKE_BITSET | K_FUTEX_PRIVATE, 1, NULL, NULL, 0), EINVAL);
}

TEST(futex, bitset_selects_waiters)
{
	static volatile uint32_t a, b;
	a = b = 0;
	struct waiter w;
	start_waiter(&w, &a, K_FUTEX_WAIT_BITSET | K_FUTEX_PRIVATE, 0, 0x1);
	long moved = gather(&a, &b, K_FUTEX_PRIVATE, 1);
	long miss = futex(&b, K_FUTEX_WAKE_BITSET | K_FUTEX_PRIVATE, INT_MAX, NULL, NULL, 0x6);
	long hit = futex(&b, K_FUTEX_WAKE_BITSET | K_FUTEX_PRIVATE, INT_MAX, NULL, NULL, 0x3);
	long rest = hit == 1 ? 0 : wake_until(&b, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 1);
	pthread_join(w.thread, NULL);
	EXPECT_EQ(moved, 1);
	EXPECT_EQ(miss, 0);
	EXPECT_EQ(hit, 1);
	EXPECT_EQ(rest, 0);
	EXPECT_EQ(w.ret, 0);
}

TEST(futex, wait_bitset_absolute_monotonic)
{
	static uint32_t f = 0;
	long long deadline = mono_ns() + 20000000LL;
	struct timespec ts = ns_to_ts(deadline);
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT_BITSET | K_FUTEX_PRIVATE, 0, &ts, NULL, ~0U), ETIMEDOUT);
	EXPECT_GE(mono_ns(), deadline);
	/* A deadline in the past: at once (not before boot: a negative
	 * timespec is EINVAL, and the guest may be younger than a second). */
	long long past = mono_ns() - 1000000000LL;
	ts = ns_to_ts(past > 0 ? past : 0);
	long long t0 = mono_ns();
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT_BITSET, 0, &ts, NULL, ~0U), ETIMEDOUT);
	EXPECT_LT(mono_ns() - t0, 2000000000LL);
}

TEST(futex, wait_bitset_absolute_realtime)
{
	static uint32_t f = 0;
	long long deadline = clock_ns(CLOCK_REALTIME) + 20000000LL;
	struct timespec ts = ns_to_ts(deadline);
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT_BITSET | K_FUTEX_PRIVATE | K_FUTEX_CLOCK_REALTIME,
			   0, &ts, NULL, ~0U), ETIMEDOUT);
	EXPECT_GE(clock_ns(CLOCK_REALTIME), deadline);
}

TEST(futex, clock_realtime_flag_rules)
{
	static uint32_t f = 0;
	struct timespec ts = {0, 10000000};
	/* Only commands with an absolute timeout take the flag: FUTEX_WAIT
	 * (relative) is ENOSYS too, whatever futex(2) says about 4.5. */
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT | K_FUTEX_CLOCK_REALTIME, 0, &ts, NULL, 0), ENOSYS);
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAIT | K_FUTEX_PRIVATE | K_FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAKE | K_FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
	EXPECT_ERRNO(futex(&f, K_FUTEX_WAKE_BITSET | K_FUTEX_CLOCK_REALTIME, 1, NULL, NULL, ~0U), ENOSYS);
	EXPECT_ERRNO(futex2(&f, K_FUTEX_REQUEUE | K_FUTEX_CLOCK_REALTIME, 1, 1, &f, 0), ENOSYS);
}

TEST(futex, unknown_command_enosys)
{
	static uint32_t f = 0;
	EXPECT_ERRNO(futex(&f, 14, 0, NULL, NULL, 0), ENOSYS);
	EXPECT_ERRNO(futex(&f, 15, 0, NULL, NULL, 0), ENOSYS);
	EXPECT_ERRNO(futex(&f, 99, 0, NULL, NULL, 0), ENOSYS);
	EXPECT_ERRNO(futex(&f, 14 | K_FUTEX_PRIVATE, 0, NULL, NULL, 0), ENOSYS);
	/* FUTEX_FD was removed in 2.6.26. */
	EXPECT_ERRNO(futex(&f, 2, 0, NULL, NULL, 0), ENOSYS);
}

static void child_shared_wait(long arg)
{
	volatile uint32_t *f = (volatile uint32_t *)arg;
	struct timespec ts = {10, 0};
	long r = futex(f, K_FUTEX_WAIT, 0, &ts, NULL, 0);
	CHK(r == 0);
}

TEST(futex, shared_between_processes)
{
	volatile uint32_t *f = shared_page();
	*f = 0;
	pid_t pid = spawn(child_shared_wait, (long)f);
	long woken = wake_until(f, K_FUTEX_WAKE, 1);
	int st = reap(pid);
	munmap((void *)f, 4096);
	EXPECT_EQ(woken, 1);
	EXPECT_EQ(st, 0);
}

static void child_private_wait(long arg)
{
	volatile uint32_t *f = (volatile uint32_t *)arg;
	struct timespec ts = {0, 300000000};
	CHK(futex(f, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0, &ts, NULL, 0) == -1);
	CHK(errno == ETIMEDOUT);
}

TEST(futex, private_not_shared_between_processes)
{
	volatile uint32_t *f = shared_page();
	*f = 0;
	pid_t pid = spawn(child_private_wait, (long)f);
	long woken = 0;
	for (int i = 0; i < 20; i++) {
		long n = futex(f, K_FUTEX_WAKE | K_FUTEX_PRIVATE, INT_MAX, NULL, NULL, 0);
		long m = futex(f, K_FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
		woken += (n > 0 ? n : 0) + (m > 0 ? m : 0);
		sleep_ms(5);
	}
	int st = reap(pid);
	munmap((void *)f, 4096);
	EXPECT_EQ(woken, 0);
	EXPECT_EQ(st, 0);
}

static volatile sig_atomic_t alarms;
static uint32_t restart_word;
static void on_alarm(int sig)
{
	(void)sig;
	if (++alarms == 3) {
		restart_word = 1;
		futex(&restart_word, K_FUTEX_WAKE | K_FUTEX_PRIVATE, 1, NULL, NULL, 0);
	}
}

/* mode 0: no SA_RESTART, with a timeout; 1: SA_RESTART, with a timeout;
 * 2: SA_RESTART, no timeout. */
static void child_wait_interrupted(long mode)
{
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = mode ? SA_RESTART : 0};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 20000}, {0, 20000}};
	setitimer(ITIMER_REAL, &it, NULL);
	struct timespec ts = {10, 0};
	long long t0 = mono_ns();
	long r = futex(&restart_word, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 0,
		       mode == 2 ? NULL : &ts, NULL, 0);
	int e = errno;
	long long dt = mono_ns() - t0;
	if (mode < 2) {
		/* A wait with a timeout restarts through the restart block,
		 * which becomes EINTR whenever a handler runs. */
		CHK(r == -1);
		CHK(e == EINTR);
		CHK(alarms >= 1);
		CHK(dt < 9000000000LL);
	} else {
		/* -ERESTARTSYS: restarted until the third handler wakes it
		 * (or changed the word before the restart: EAGAIN). */
		CHK(r == 0 || (r == -1 && e == EAGAIN));
		CHK(alarms >= 3);
	}
}

TEST(futex, wait_interrupted_by_handler)
{
	EXPECT_EQ(reap(spawn(child_wait_interrupted, 0)), 0);
}

TEST(futex, timed_wait_eintr_even_with_sa_restart)
{
	EXPECT_EQ(reap(spawn(child_wait_interrupted, 1)), 0);
}

TEST(futex, untimed_wait_restarted_with_sa_restart)
{
	EXPECT_EQ(reap(spawn(child_wait_interrupted, 2)), 0);
}

/* --- robust lists ----------------------------------------------------- */

struct k_robust_list {
	struct k_robust_list *next;
};
struct k_robust_list_head {
	struct k_robust_list *list;
	long futex_offset;
	struct k_robust_list *list_op_pending;
};

TEST(futex, robust_list_set_get)
{
	struct k_robust_list_head *orig = NULL;
	size_t orig_len = 0;
	EXPECT_EQ(syscall(SYS_get_robust_list, 0, &orig, &orig_len), 0);
	static struct k_robust_list_head head;
	head.list = (struct k_robust_list *)&head;
	EXPECT_ERRNO(syscall(SYS_set_robust_list, &head, sizeof head - 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_set_robust_list, &head, sizeof head + 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_set_robust_list, &head, 0), EINVAL);
	long set = syscall(SYS_set_robust_list, &head, sizeof head);
	void *got = NULL;
	size_t len = 0;
	long get = syscall(SYS_get_robust_list, 0, &got, &len);
	long get_self = syscall(SYS_get_robust_list, gettid(), &got, &len);
	/* Put back what libc registered. */
	syscall(SYS_set_robust_list, orig, sizeof head);
	EXPECT_EQ(set, 0);
	EXPECT_EQ(get, 0);
	EXPECT_EQ(get_self, 0);
	EXPECT_TRUE(got == &head);
	EXPECT_EQ(len, 24);
	EXPECT_TRUE(orig_len == 24 || orig_len == 0);
}

TEST(futex, get_robust_list_errors)
{
	void *head;
	size_t len;
	EXPECT_ERRNO(syscall(SYS_get_robust_list, 0x3fffffff, &head, &len), ESRCH);
	EXPECT_ERRNO(syscall(SYS_get_robust_list, 0, H_BAD_PTR, &len), EFAULT);
	EXPECT_ERRNO(syscall(SYS_get_robust_list, 0, &head, H_BAD_PTR), EFAULT);
}

struct robust_shared {
	struct k_robust_list e1;
	volatile uint32_t lock1;
	struct k_robust_list e2;
	volatile uint32_t lock2;
	volatile uint32_t lock3;
};

static void child_robust_owner(long arg)
{
	struct robust_shared *s = (struct robust_shared *)((long)arg & ~0xfffL);
	int ready = (int)(arg & 0x3ff);
	int go = ready >> 5;
	ready &= 31;
	for (int fd = 3; fd < 64; fd++)
		if (fd != ready && fd != go)
			close(fd);
	static struct k_robust_list_head head;
	uint32_t tid = (uint32_t)gettid();
	s->lock1 = tid | K_FUTEX_WAITERS;
	s->lock2 = tid + 1; /* not ours: left alone */
	s->lock3 = tid;	    /* not on the list: left alone */
	s->e1.next = &s->e2;
	s->e2.next = (struct k_robust_list *)&head;
	head.list = &s->e1;
	head.futex_offset = (long)offsetof(struct robust_shared, lock1) -
			    (long)offsetof(struct robust_shared, e1);
	head.list_op_pending = NULL;
	CHK(syscall(SYS_set_robust_list, &head, sizeof head) == 0);
	CHK(write(ready, "r", 1) == 1);
	char c;
	read(go, &c, 1);
	/* Exit holding lock1. */
}

TEST(futex, robust_list_walked_on_death)
{
	struct robust_shared *s = shared_page();
	int ready[2], go[2];
	EXPECT_EQ(pipe(ready), 0);
	EXPECT_EQ(pipe(go), 0);
	if (ready[1] >= 32 || go[0] >= 32)
		FAIL("fds too high");
	pid_t pid = spawn(child_robust_owner, (long)s | ready[1] | (go[0] << 5));
	char c = 0;
	long n = read(ready[0], &c, 1);
	uint32_t v = s->lock1;
	close(go[1]);
	/* Sleep on the lock; the kernel wakes us when the owner dies (or the
	 * value already changed: EAGAIN). */
	struct timespec ts = {10, 0};
	errno = 0;
	long r = futex(&s->lock1, K_FUTEX_WAIT, v, &ts, NULL, 0);
	int e = errno;
	int st = reap(pid);
	uint32_t l1 = s->lock1, l2 = s->lock2, l3 = s->lock3;
	munmap(s, 4096);
	EXPECT_EQ(n, 1);
	EXPECT_EQX(v, (uint32_t)pid | K_FUTEX_WAITERS);
	EXPECT_EQ(st, 0);
	EXPECT_TRUE(r == 0 || (r == -1 && e == EAGAIN));
	EXPECT_EQX(l1, K_FUTEX_OWNER_DIED | K_FUTEX_WAITERS);
	EXPECT_EQX(l2, (uint32_t)pid + 1);
	EXPECT_EQX(l3, (uint32_t)pid);
}

static void *lock_and_exit(void *arg)
{
	pthread_mutex_lock(arg);
	return NULL;
}

TEST(futex, robust_mutex_owner_died_thread)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	pthread_mutexattr_init(&a);
	EXPECT_EQ(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
	EXPECT_EQ(pthread_mutex_init(&m, &a), 0);
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, NULL, lock_and_exit, &m), 0);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	EXPECT_EQ(pthread_mutex_timedlock(&m, &dl), EOWNERDEAD);
	EXPECT_EQ(pthread_mutex_consistent(&m), 0);
	EXPECT_EQ(pthread_mutex_unlock(&m), 0);
	EXPECT_EQ(pthread_mutex_lock(&m), 0);
	EXPECT_EQ(pthread_mutex_unlock(&m), 0);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&a);
}

static void child_lock_robust(long arg)
{
	CHK(pthread_mutex_lock((pthread_mutex_t *)arg) == 0);
	/* _exit holding it: only the kernel's robust-list walk can help. */
}

TEST(futex, robust_mutex_owner_died_process)
{
	pthread_mutex_t *m = shared_page();
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	EXPECT_EQ(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
	EXPECT_EQ(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
	EXPECT_EQ(pthread_mutex_init(m, &a), 0);
	int st = reap(spawn(child_lock_robust, (long)m));
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	int r = pthread_mutex_timedlock(m, &dl);
	int c = r == EOWNERDEAD ? pthread_mutex_consistent(m) : -1;
	if (r == 0 || r == EOWNERDEAD)
		pthread_mutex_unlock(m);
	munmap(m, 4096);
	EXPECT_EQ(st, 0);
	EXPECT_EQ(r, EOWNERDEAD);
	EXPECT_EQ(c, 0);
}

/* --- clear_child_tid -------------------------------------------------- */

static int clone_thread_fn(void *arg)
{
	/* No libc here: this thread shares the caller's TLS. */
	volatile int *ran = arg;
	*ran = 1;
	return 0;
}

TEST(futex, clone_child_cleartid_wakes)
{
	static char stack[65536] __attribute__((aligned(16)));
	static volatile pid_t ptid, ctid;
	static volatile int ran;
	ptid = 0;
	ctid = -1;
	ran = 0;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		    CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |
		    CLONE_CHILD_CLEARTID;
	int tid = clone(clone_thread_fn, stack + sizeof stack, flags, (void *)&ran,
			&ptid, NULL, &ctid);
	if (tid < 0)
		FAIL("clone: %s", h_errname(errno));
	/* Wait like pthread_join: a shared FUTEX_WAIT on the tid word. */
	long long deadline = mono_ns() + 10000000000LL;
	int timeouts = 0;
	while (ctid != 0 && mono_ns() < deadline) {
		pid_t v = ctid;
		struct timespec ts = {5, 0};
		if (futex((volatile uint32_t *)&ctid, K_FUTEX_WAIT, (uint32_t)v, &ts, NULL, 0) < 0 &&
		    errno == ETIMEDOUT)
			timeouts++;
	}
	EXPECT_GT(tid, 0);
	EXPECT_NE(tid, getpid());
	EXPECT_EQ(ptid, tid);
	EXPECT_EQ(ctid, 0);
	EXPECT_EQ(ran, 1);
	EXPECT_EQ(timeouts, 0);
}

static void child_set_tid_address(long arg)
{
	volatile uint32_t *w = (volatile uint32_t *)arg;
	*w = 1234;
	long r = syscall(SYS_set_tid_address, w);
	CHK(r == getpid());
	CHK(r == gettid());
}

TEST(futex, set_tid_address_single_thread_exit_leaves_word)
{
	volatile uint32_t *w = shared_page();
	int st = reap(spawn(child_set_tid_address, (long)w));
	uint32_t v = *w;
	munmap((void *)w, 4096);
	EXPECT_EQ(st, 0);
	/* mm_release clears it only while another task shares the mm. */
	EXPECT_EQ(v, 1234);
}

static void *noop_thread(void *arg)
{
	return arg;
}

TEST(futex, pthread_join_many)
{
	/* pthread_join sleeps on the tid word cleared by CLONE_CHILD_CLEARTID. */
	for (int i = 0; i < 20; i++) {
		pthread_t t;
		EXPECT_EQ(pthread_create(&t, NULL, noop_thread, (void *)(long)i), 0);
		void *ret = NULL;
		EXPECT_EQ(pthread_join(t, &ret), 0);
		EXPECT_EQ((long)ret, i);
	}
}
