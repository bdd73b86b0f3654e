/*
 * Suite pthread: POSIX threads as libc builds them on clone(2), futex(2),
 * set_robust_list(2), tgkill(2) and rt_sigprocmask(2), plus the scheduler and
 * priority system calls.
 *
 * Guards Linux's kernel/fork.c copy_process (CLONE_THREAD needs
 * CLONE_SIGHAND, CLONE_SIGHAND needs CLONE_VM: EINVAL), threads sharing pid
 * and having their own tid, signal mask, nice value, comm name and CPU clock;
 * kernel/signal.c (tgkill/pthread_kill target one thread, a process-directed
 * signal goes to a thread that does not block it, sigwait in one thread takes
 * a process signal, a default-fatal signal kills every thread, exit_group
 * from any thread ends the process with its status), kernel/sched/core.c
 * (sched_yield; sched_getaffinity returns the mask size and needs a length
 * that is a multiple of sizeof(long) and covers nr_cpu_ids; SCHED_OTHER by
 * default; priority ranges 1..99 for FIFO/RR and 0 otherwise; root may switch
 * to SCHED_FIFO; SCHED_RESET_ON_FORK shows in sched_getscheduler), and
 * kernel/sys.c getpriority/setpriority (the raw syscall returns 20 - nice,
 * nice clamps to [-20, 19], EINVAL for an unknown "which", ESRCH for no
 * match).  The pthread layer itself (mutex kinds, condition variables,
 * barriers, rwlocks, TLS, cancellation with cleanup handlers) is exercised
 * through both libcs because every piece of it stands on those syscalls.
 * Man pages pthreads(7), clone(2), tgkill(2), sched_setaffinity(2),
 * sched_setscheduler(2), getpriority(2), prctl(2).
 *
 * Threads never call the harness checks: they record what they saw, and the
 * main thread checks after pthread_join.
 */
#include "harness.h"
#include "child.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#define MS 1000000LL
/* Back to the pristine disposition (SIG_DFL, no flags, empty mask), as the
 * raw syscall sees it: libc's signal()/sigaction() would leave SA_RESTORER,
 * SA_RESTART or a mask behind. */
static void sig_default(int sig)
{
	struct k_sigaction dfl = {SIG_DFL, 0, NULL, 0};
	syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
}

static long long clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static pthread_t start(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int e = pthread_create(&t, NULL, fn, arg);
	if (e)
		FAIL("pthread_create: %s", h_errname(e));
	return t;
}

/* Waits (sleeping) until *flag becomes non-zero, at most ~10 s. */
static int wait_flag(volatile int *flag)
{
	for (int i = 0; i < 10000 && !*flag; i++)
		sleep_ms(1);
	return *flag;
}

/* --- create, join, identity ------------------------------------------- */

static void *return_arg_plus_one(void *arg)
{
	return (void *)((long)arg + 1);
}

TEST(pthread, create_join_value)
{
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		t[i] = start(return_arg_plus_one, (void *)(i * 10));
	for (long i = 0; i < 4; i++) {
		void *ret = NULL;
		EXPECT_EQ(pthread_join(t[i], &ret), 0);
		EXPECT_EQ((long)ret, i * 10 + 1);
	}
}

static void *exit_early(void *arg)
{
	(void)arg;
	pthread_exit((void *)42);
	return NULL;
}

TEST(pthread, pthread_exit_value)
{
	pthread_t t = start(exit_early, NULL);
	void *ret = NULL;
	EXPECT_EQ(pthread_join(t, &ret), 0);
	EXPECT_EQ((long)ret, 42);
}

struct ids {
	pid_t pid, tid;
	pthread_t self;
};

static void *get_ids(void *arg)
{
	struct ids *ids = arg;
	ids->pid = getpid();
	ids->tid = gettid();
	ids->self = pthread_self();
	return NULL;
}

TEST(pthread, ids)
{
	struct ids a = {0}, b = {0};
	pthread_t ta = start(get_ids, &a), tb = start(get_ids, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	EXPECT_EQ(gettid(), getpid());
	EXPECT_EQ(a.pid, getpid());
	EXPECT_EQ(b.pid, getpid());
	EXPECT_NE(a.tid, getpid());
	EXPECT_NE(a.tid, b.tid);
	EXPECT_GT(a.tid, 0);
	EXPECT_TRUE(pthread_equal(a.self, ta));
	EXPECT_TRUE(!pthread_equal(a.self, pthread_self()));
}

static volatile int detached_done;
static void *detached_main(void *arg)
{
	(void)arg;
	detached_done = 1;
	return NULL;
}

TEST(pthread, detach)
{
	detached_done = 0;
	pthread_attr_t a;
	pthread_attr_init(&a);
	EXPECT_EQ(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED), 0);
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, &a, detached_main, NULL), 0);
	pthread_attr_destroy(&a);
	EXPECT_EQ(wait_flag(&detached_done), 1);
	detached_done = 0;
	t = start(detached_main, NULL);
	EXPECT_EQ(pthread_detach(t), 0);
	EXPECT_EQ(wait_flag(&detached_done), 1);
	/* Let the detached threads finish exiting. */
	sleep_ms(20);
}

static void *stack_probe(void *arg)
{
	char local;
	*(uintptr_t *)arg = (uintptr_t)h_opaque(&local);
	return NULL;
}

TEST(pthread, small_stack_attr)
{
	static char stack[64 * 1024] __attribute__((aligned(4096)));
	pthread_attr_t a;
	pthread_attr_init(&a);
	EXPECT_EQ(pthread_attr_setstack(&a, stack, sizeof stack), 0);
	uintptr_t where = 0;
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, &a, stack_probe, &where), 0);
	pthread_join(t, NULL);
	pthread_attr_destroy(&a);
	EXPECT_TRUE(where >= (uintptr_t)stack && where < (uintptr_t)stack + sizeof stack);
}

/* --- mutexes ------------------------------------------------------------ */

struct try_result {
	pthread_mutex_t *m;
	int trylock, unlock;
};

/* Unlocking a mutex owned by another thread: EPERM for the checked kinds
 * (a normal mutex is not tried: that is undefined). */
static void *try_other(void *arg)
{
	struct try_result *r = arg;
	if (r->unlock != -2)
		r->unlock = pthread_mutex_unlock(r->m);
	r->trylock = pthread_mutex_trylock(r->m);
	if (r->trylock == 0)
		pthread_mutex_unlock(r->m);
	return NULL;
}

TEST(pthread, mutex_normal)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	EXPECT_EQ(pthread_mutex_lock(&m), 0);
	EXPECT_EQ(pthread_mutex_trylock(&m), EBUSY);
	struct try_result r = {&m, -1, -2};
	pthread_t t = start(try_other, &r);
	pthread_join(t, NULL);
	EXPECT_EQ(pthread_mutex_unlock(&m), 0);
	EXPECT_EQ(r.trylock, EBUSY);
	EXPECT_EQ(pthread_mutex_trylock(&m), 0);
	EXPECT_EQ(pthread_mutex_unlock(&m), 0);
	EXPECT_EQ(pthread_mutex_destroy(&m), 0);
}

TEST(pthread, mutex_recursive)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	pthread_mutexattr_init(&a);
	EXPECT_EQ(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE), 0);
	EXPECT_EQ(pthread_mutex_init(&m, &a), 0);
	EXPECT_EQ(pthread_mutex_lock(&m), 0);
	EXPECT_EQ(pthread_mutex_lock(&m), 0);
	EXPECT_EQ(pthread_mutex_trylock(&m), 0);
	struct try_result r = {&m, -1, -1};
	pthread_t t = start(try_other, &r);
	pthread_join(t, NULL);
	EXPECT_EQ(r.trylock, EBUSY);
	EXPECT_EQ(r.unlock, EPERM);
	EXPECT_EQ(pthread_mutex_unlock(&m), 0);
	EXPECT_EQ(pthread_mutex_unlock(&m), 0);
	EXPECT_EQ(pthread_mutex_unlock(&m), 0);
	EXPECT_EQ(pthread_mutex_unlock(&m), EPERM);
	t = start(try_other, &r);
	pthread_join(t, NULL);
	EXPECT_EQ(r.trylock, 0);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&a);
}

TEST(pthread, mutex_errorcheck)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	pthread_mutexattr_init(&a);
	EXPECT_EQ(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK), 0);
	EXPECT_EQ(pthread_mutex_init(&m, &a), 0);
	EXPECT_EQ(pthread_mutex_unlock(&m), EPERM);
	EXPECT_EQ(pthread_mutex_lock(&m), 0);
	EXPECT_EQ(pthread_mutex_lock(&m), EDEADLK);
	struct try_result r = {&m, -1, -1};
	pthread_t t = start(try_other, &r);
	pthread_join(t, NULL);
	EXPECT_EQ(r.unlock, EPERM);
	EXPECT_EQ(r.trylock, EBUSY);
	EXPECT_EQ(pthread_mutex_unlock(&m), 0);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&a);
}

#define CONTENDERS 64
#define INCREMENTS 1000

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static void *contend(void *arg)
{
	(void)arg;
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&counter_lock);
		long v = counter;
		if (i % 100 == 0)
			sched_yield(); /* widen the window inside the lock */
		counter = v + 1;
		pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

TEST(pthread, mutex_64_threads_exact_count)
{
	counter = 0;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 128 * 1024);
	pthread_t t[CONTENDERS];
	int created = 0, err = 0;
	for (int i = 0; i < CONTENDERS; i++) {
		err = pthread_create(&t[i], &a, contend, NULL);
		if (err)
			break;
		created++;
	}
	for (int i = 0; i < created; i++)
		pthread_join(t[i], NULL);
	pthread_attr_destroy(&a);
	EXPECT_EQ(err, 0);
	EXPECT_EQ(created, CONTENDERS);
	EXPECT_EQ(counter, CONTENDERS * INCREMENTS);
}

/* --- condition variables, barriers, rwlocks, once ------------------------ */

static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int cv_items, cv_go, cv_woken;

static void *consumer(void *arg)
{
	long got = 0;
	(void)arg;
	pthread_mutex_lock(&cv_lock);
	while (got < 5) {
		while (cv_items == 0)
			pthread_cond_wait(&cv, &cv_lock);
		cv_items--;
		got++;
	}
	pthread_mutex_unlock(&cv_lock);
	return (void *)got;
}

TEST(pthread, cond_signal_producer_consumer)
{
	cv_items = 0;
	pthread_t t = start(consumer, NULL);
	for (int i = 0; i < 5; i++) {
		pthread_mutex_lock(&cv_lock);
		cv_items++;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&cv_lock);
		if (i % 2)
			sleep_ms(2);
	}
	void *ret;
	pthread_join(t, &ret);
	EXPECT_EQ((long)ret, 5);
	EXPECT_EQ(cv_items, 0);
}

static void *wait_go(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cv_lock);
	while (!cv_go)
		pthread_cond_wait(&cv, &cv_lock);
	cv_woken++;
	pthread_mutex_unlock(&cv_lock);
	return NULL;
}

TEST(pthread, cond_broadcast)
{
	cv_go = 0;
	cv_woken = 0;
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		t[i] = start(wait_go, NULL);
	sleep_ms(20);
	pthread_mutex_lock(&cv_lock);
	cv_go = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&cv_lock);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(cv_woken, 8);
}

TEST(pthread, cond_timedwait_timeout)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec dl;
	/* Start the stopwatch before taking the deadline's base: a wake-up at the deadline
	 * must measure at least 20 ms however long the thread was preempted in between. */
	long long t0 = clock_ns(CLOCK_REALTIME);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 20 * MS;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m);
	int r = pthread_cond_timedwait(&c, &m, &dl);
	pthread_mutex_unlock(&m);
	EXPECT_EQ(r, ETIMEDOUT);
	EXPECT_GE(clock_ns(CLOCK_REALTIME) - t0, 20 * MS);

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	EXPECT_EQ(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), 0);
	pthread_cond_t c2;
	EXPECT_EQ(pthread_cond_init(&c2, &ca), 0);
	long long m0 = clock_ns(CLOCK_MONOTONIC);
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += 20 * MS;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m);
	r = pthread_cond_timedwait(&c2, &m, &dl);
	pthread_mutex_unlock(&m);
	EXPECT_EQ(r, ETIMEDOUT);
	EXPECT_GE(clock_ns(CLOCK_MONOTONIC) - m0, 20 * MS);
	pthread_cond_destroy(&c2);
	pthread_condattr_destroy(&ca);
}

static pthread_barrier_t barrier;
static volatile int before_barrier;

static void *at_barrier(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&before_barrier, 1, __ATOMIC_SEQ_CST);
	int r = pthread_barrier_wait(&barrier);
	/* Everybody arrived before anybody left. */
	long ok = before_barrier == 5;
	return (void *)(long)(r == PTHREAD_BARRIER_SERIAL_THREAD ? 2 + ok * 10
				: r == 0		      ? 1 + ok * 10
							      : -1);
}

TEST(pthread, barrier)
{
	before_barrier = 0;
	EXPECT_EQ(pthread_barrier_init(&barrier, NULL, 5), 0);
	pthread_t t[5];
	for (int i = 0; i < 5; i++)
		t[i] = start(at_barrier, NULL);
	int serial = 0, plain = 0, bad = 0;
	for (int i = 0; i < 5; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		long v = (long)ret;
		if (v == 12)
			serial++;
		else if (v == 11)
			plain++;
		else
			bad++;
	}
	pthread_barrier_destroy(&barrier);
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(serial, 1);
	EXPECT_EQ(plain, 4);
}

struct rw_probe {
	pthread_rwlock_t *l;
	int tryrd, trywr;
};

static void *rw_try(void *arg)
{
	struct rw_probe *p = arg;
	p->tryrd = pthread_rwlock_tryrdlock(p->l);
	if (p->tryrd == 0)
		pthread_rwlock_unlock(p->l);
	p->trywr = pthread_rwlock_trywrlock(p->l);
	if (p->trywr == 0)
		pthread_rwlock_unlock(p->l);
	return NULL;
}

TEST(pthread, rwlock)
{
	pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
	struct rw_probe p = {&l, -1, -1};
	EXPECT_EQ(pthread_rwlock_rdlock(&l), 0);
	pthread_join(start(rw_try, &p), NULL);
	EXPECT_EQ(p.tryrd, 0);
	EXPECT_EQ(p.trywr, EBUSY);
	EXPECT_EQ(pthread_rwlock_unlock(&l), 0);
	EXPECT_EQ(pthread_rwlock_wrlock(&l), 0);
	pthread_join(start(rw_try, &p), NULL);
	EXPECT_EQ(p.tryrd, EBUSY);
	EXPECT_EQ(p.trywr, EBUSY);
	EXPECT_EQ(pthread_rwlock_unlock(&l), 0);
	pthread_join(start(rw_try, &p), NULL);
	EXPECT_EQ(p.tryrd, 0);
	EXPECT_EQ(p.trywr, 0);
	pthread_rwlock_destroy(&l);
}

static pthread_rwlock_t rw_block = PTHREAD_RWLOCK_INITIALIZER;
static volatile int rw_writer_in;

static void *rw_writer(void *arg)
{
	(void)arg;
	pthread_rwlock_wrlock(&rw_block);
	rw_writer_in = 1;
	pthread_rwlock_unlock(&rw_block);
	return NULL;
}

TEST(pthread, rwlock_writer_waits_for_readers)
{
	rw_writer_in = 0;
	EXPECT_EQ(pthread_rwlock_rdlock(&rw_block), 0);
	pthread_t t = start(rw_writer, NULL);
	sleep_ms(30);
	int early = rw_writer_in;
	pthread_rwlock_unlock(&rw_block);
	pthread_join(t, NULL);
	EXPECT_EQ(early, 0);
	EXPECT_EQ(rw_writer_in, 1);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static volatile int once_runs;
static void once_fn(void)
{
	__atomic_add_fetch(&once_runs, 1, __ATOMIC_SEQ_CST);
	sleep_ms(10);
}
static void *call_once(void *arg)
{
	(void)arg;
	pthread_once(&once, once_fn);
	return (void *)(long)once_runs;
}

TEST(pthread, once)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		t[i] = start(call_once, NULL);
	int all_saw_one = 1;
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		if ((long)r != 1)
			all_saw_one = 0;
	}
	EXPECT_EQ(once_runs, 1);
	EXPECT_EQ(all_saw_one, 1);
}

/* --- thread-local storage ----------------------------------------------- */

static __thread long tls_value = 5;
static __thread char tls_buf[64];

struct tls_probe {
	long index;
	long initial;
	long after;
	void *addr;
	int buf_ok;
};

static pthread_barrier_t tls_barrier;

static void *tls_main(void *arg)
{
	struct tls_probe *p = arg;
	p->initial = tls_value;
	p->addr = (void *)&tls_value;
	tls_value = p->index;
	memset(tls_buf, (int)p->index, sizeof tls_buf);
	/* Everybody has written before anybody reads back. */
	pthread_barrier_wait(&tls_barrier);
	p->after = tls_value;
	p->buf_ok = 1;
	for (size_t i = 0; i < sizeof tls_buf; i++)
		if (tls_buf[i] != (char)p->index)
			p->buf_ok = 0;
	return NULL;
}

TEST(pthread, thread_local_storage)
{
	tls_value = 77;
	struct tls_probe p[4];
	pthread_barrier_init(&tls_barrier, NULL, 4);
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		p[i] = (struct tls_probe){.index = 100 + i};
		t[i] = start(tls_main, &p[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&tls_barrier);
	EXPECT_EQ(tls_value, 77);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(p[i].initial, 5);
		EXPECT_EQ(p[i].after, 100 + i);
		EXPECT_EQ(p[i].buf_ok, 1);
		EXPECT_TRUE(p[i].addr != (void *)&tls_value);
	}
	EXPECT_TRUE(p[0].addr != p[1].addr);
}

static void *errno_main(void *arg)
{
	(void)arg;
	errno = 0;
	close(-1);
	return (void *)(long)errno;
}

TEST(pthread, errno_is_per_thread)
{
	errno = ENOENT;
	void *r;
	pthread_join(start(errno_main, NULL), &r);
	int mine = errno;
	EXPECT_EQ((long)r, EBADF);
	EXPECT_EQ(mine, ENOENT);
}

/* --- cancellation ---------------------------------------------------------- */

static volatile int cleanup_ran;
static void cleanup(void *arg)
{
	cleanup_ran = (int)(long)arg;
}

static void *cancel_in_read(void *arg)
{
	int fd = (int)(long)arg;
	char c;
	pthread_cleanup_push(cleanup, (void *)7);
	read(fd, &c, 1);
	pthread_cleanup_pop(0);
	return (void *)1;
}

TEST(pthread, cancel_blocked_read)
{
	cleanup_ran = 0;
	int p[2];
	EXPECT_EQ(pipe(p), 0);
	pthread_t t = start(cancel_in_read, (void *)(long)p[0]);
	sleep_ms(20);
	EXPECT_EQ(pthread_cancel(t), 0);
	void *ret = NULL;
	EXPECT_EQ(pthread_join(t, &ret), 0);
	EXPECT_TRUE(ret == PTHREAD_CANCELED);
	EXPECT_EQ(cleanup_ran, 7);
	/* Nothing was read. */
	EXPECT_EQ(write(p[1], "x", 1), 1);
	char c;
	EXPECT_EQ(read(p[0], &c, 1), 1);
}

static volatile int spin_started;
static void *cancel_testcancel(void *arg)
{
	(void)arg;
	pthread_cleanup_push(cleanup, (void *)9);
	spin_started = 1;
	long long w0 = clock_ns(CLOCK_MONOTONIC);
	while (clock_ns(CLOCK_MONOTONIC) - w0 < 10000 * MS) {
		pthread_testcancel();
		sched_yield();
	}
	pthread_cleanup_pop(0);
	return NULL;
}

TEST(pthread, cancel_testcancel)
{
	cleanup_ran = 0;
	spin_started = 0;
	pthread_t t = start(cancel_testcancel, NULL);
	wait_flag(&spin_started);
	EXPECT_EQ(pthread_cancel(t), 0);
	void *ret = NULL;
	EXPECT_EQ(pthread_join(t, &ret), 0);
	EXPECT_TRUE(ret == PTHREAD_CANCELED);
	EXPECT_EQ(cleanup_ran, 9);
}

static volatile int may_enable;
static void *cancel_disabled(void *arg)
{
	(void)arg;
	int old;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	spin_started = 1;
	while (!may_enable)
		sleep_ms(1); /* a cancellation point, but disabled */
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	pthread_testcancel();
	return (void *)5;
}

TEST(pthread, cancel_deferred_while_disabled)
{
	spin_started = 0;
	may_enable = 0;
	pthread_t t = start(cancel_disabled, NULL);
	wait_flag(&spin_started);
	EXPECT_EQ(pthread_cancel(t), 0);
	sleep_ms(20);
	may_enable = 1;
	void *ret = NULL;
	EXPECT_EQ(pthread_join(t, &ret), 0);
	EXPECT_TRUE(ret == PTHREAD_CANCELED);
}

/* --- signals and threads --------------------------------------------------- */

static volatile pid_t handled_by;
static volatile int handled_count;
static void record_tid(int sig)
{
	(void)sig;
	handled_by = gettid();
	handled_count++;
}

static void set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa = {.sa_handler = fn};
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		FAIL("sigaction: %s", h_errname(errno));
}

static void mask(int how, int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(how, &s, NULL);
}

struct sig_probe {
	int sig;
	pid_t tid;
	volatile int ready;
	volatile int done;
	int inherited_blocked;
};

static void *wait_for_signal(void *arg)
{
	struct sig_probe *p = arg;
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	p->inherited_blocked = sigismember(&cur, p->sig);
	p->tid = gettid();
	mask(SIG_UNBLOCK, p->sig);
	p->ready = 1;
	for (int i = 0; i < 10000 && !handled_count; i++)
		sleep_ms(1);
	p->done = 1;
	return NULL;
}

TEST(pthread, pthread_kill_targets_thread)
{
	handled_by = 0;
	handled_count = 0;
	set_handler(SIGUSR1, record_tid);
	mask(SIG_BLOCK, SIGUSR1);
	struct sig_probe p = {.sig = SIGUSR1};
	pthread_t t = start(wait_for_signal, &p);
	wait_flag(&p.ready);
	int r = pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	sig_default(SIGUSR1);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(p.inherited_blocked, 1);
	EXPECT_EQ(handled_count, 1);
	EXPECT_EQ(handled_by, p.tid);
}

TEST(pthread, process_signal_goes_to_unblocking_thread)
{
	handled_by = 0;
	handled_count = 0;
	set_handler(SIGUSR2, record_tid);
	mask(SIG_BLOCK, SIGUSR2);
	struct sig_probe p = {.sig = SIGUSR2};
	pthread_t t = start(wait_for_signal, &p);
	wait_flag(&p.ready);
	int r = kill(getpid(), SIGUSR2);
	pthread_join(t, NULL);
	sig_default(SIGUSR2);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(handled_count, 1);
	EXPECT_EQ(handled_by, p.tid);
}

static void *sigwait_main(void *arg)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	int sig = 0;
	*(volatile int *)arg = 1;
	if (sigwait(&s, &sig) != 0)
		return (void *)-1L;
	return (void *)(long)sig;
}

TEST(pthread, sigwait_in_thread_takes_process_signal)
{
	mask(SIG_BLOCK, SIGUSR1);
	volatile int ready = 0;
	pthread_t t = start(sigwait_main, (void *)&ready);
	wait_flag(&ready);
	int r = kill(getpid(), SIGUSR1);
	void *ret;
	pthread_join(t, &ret);
	sigset_t pend;
	sigpending(&pend);
	EXPECT_EQ(r, 0);
	EXPECT_EQ((long)ret, SIGUSR1);
	EXPECT_EQ(sigismember(&pend, SIGUSR1), 0);
}

static void *block_usr2(void *arg)
{
	mask(SIG_BLOCK, SIGUSR2);
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	return (void *)(long)sigismember(&cur, SIGUSR2);
}

TEST(pthread, signal_masks_are_per_thread)
{
	void *ret;
	pthread_join(start(block_usr2, NULL), &ret);
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	EXPECT_EQ((long)ret, 1);
	EXPECT_EQ(sigismember(&cur, SIGUSR2), 0);
}

TEST(pthread, tgkill)
{
	struct ids a = {0};
	pthread_t t = start(get_ids, &a);
	pthread_join(t, NULL);
	EXPECT_EQ(syscall(SYS_tgkill, getpid(), gettid(), 0), 0);
	/* The thread is gone (pthread_join can return while the kernel is
	 * still finishing the thread's exit: the tid word is cleared in
	 * mm_release, before release_task). */
	for (int i = 0; i < 5000 && syscall(SYS_tgkill, getpid(), a.tid, 0) == 0; i++)
		sleep_ms(1);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), a.tid, 0), ESRCH);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), 0x3fffffff, 0), ESRCH);
	EXPECT_ERRNO(syscall(SYS_tgkill, 0, gettid(), 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), 0, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), gettid(), 65), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tkill, 0, 0), EINVAL);
	EXPECT_EQ(syscall(SYS_tkill, gettid(), 0), 0);
}

static void *exit_seven(void *arg)
{
	(void)arg;
	sleep_ms(10);
	exit(7);
}

static void child_thread_exits_process(long unused)
{
	(void)unused;
	pthread_t t;
	CHK(pthread_create(&t, NULL, exit_seven, NULL) == 0);
	for (;;)
		pause();
}

TEST(pthread, exit_from_thread_ends_process)
{
	int st = reap(spawn(child_thread_exits_process, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 7);
}

static void *exit_three_later(void *arg)
{
	(void)arg;
	sleep_ms(30);
	exit(3);
}

static void child_main_pthread_exit(long unused)
{
	(void)unused;
	pthread_t t;
	CHK(pthread_create(&t, NULL, exit_three_later, NULL) == 0);
	pthread_exit(NULL);
}

TEST(pthread, main_pthread_exit_keeps_process)
{
	int st = reap(spawn(child_main_pthread_exit, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 3);
}

static void *term_self(void *arg)
{
	(void)arg;
	pthread_kill(pthread_self(), SIGTERM);
	sleep_ms(5000);
	return NULL;
}

static void child_fatal_signal_in_thread(long unused)
{
	(void)unused;
	sig_default(SIGTERM);
	sigset_t s;
	sigemptyset(&s);
	sigprocmask(SIG_SETMASK, &s, NULL);
	pthread_t t;
	CHK(pthread_create(&t, NULL, term_self, NULL) == 0);
	pthread_join(t, NULL);
	_exit(9);
}

TEST(pthread, fatal_signal_kills_all_threads)
{
	int st = reap(spawn(child_fatal_signal_in_thread, 0));
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGTERM);
}

/* clone(flags, newsp 0, ...) that must fail; should a child come out of it
 * anyway, it exits at once in assembly (it may share our stack). */
static long clone_must_fail(unsigned long flags)
{
	long ret;
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = 0;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone), "D"(flags), "S"(0L), "d"(0L),
			   "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

TEST(pthread, clone_flag_rules)
{
	/* Refused before anything is created. */
	EXPECT_EQ(clone_must_fail(CLONE_THREAD | CLONE_VM), -EINVAL);
	EXPECT_EQ(clone_must_fail(CLONE_SIGHAND), -EINVAL);
	EXPECT_EQ(clone_must_fail(CLONE_NEWNS | CLONE_FS), -EINVAL);
	EXPECT_EQ(clone_must_fail(CLONE_NEWUSER | CLONE_FS), -EINVAL);
	EXPECT_EQ(clone_must_fail(CLONE_THREAD | CLONE_SIGHAND), -EINVAL);
}

/* --- per-thread attributes ----------------------------------------------- */

static void *name_thread(void *arg)
{
	char *out = arg;
	prctl(PR_SET_NAME, "worker-thread-name-long");
	prctl(PR_GET_NAME, out);
	return NULL;
}

TEST(pthread, comm_name_is_per_thread)
{
	char before[16] = {0}, after[16] = {0}, theirs[17] = {0};
	EXPECT_OK(prctl(PR_GET_NAME, before));
	pthread_join(start(name_thread, theirs), NULL);
	EXPECT_OK(prctl(PR_GET_NAME, after));
	/* 15 bytes and a NUL. */
	EXPECT_STREQ(theirs, "worker-thread-n");
	EXPECT_STREQ(after, before);
}

static void *cpu_burn_50ms(void *arg)
{
	(void)arg;
	long long t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	long long w0 = clock_ns(CLOCK_MONOTONIC);
	volatile long x = 0;
	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0 < 50 * MS &&
	       clock_ns(CLOCK_MONOTONIC) - w0 < 20000 * MS)
		x++;
	spin_started = 1;
	while (!may_enable)
		sleep_ms(1);
	return NULL;
}

TEST(pthread, other_thread_cpu_clock)
{
	spin_started = 0;
	may_enable = 0;
	pthread_t t = start(cpu_burn_50ms, NULL);
	wait_flag(&spin_started);
	clockid_t c;
	int r = pthread_getcpuclockid(t, &c);
	struct timespec ts = {0, 0};
	int g = r == 0 ? clock_gettime(c, &ts) : -1;
	may_enable = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(g, 0);
	EXPECT_GE(ts.tv_sec * 1000000000LL + ts.tv_nsec, 50 * MS);
}

/* --- scheduler ------------------------------------------------------------- */

TEST(pthread, sched_yield)
{
	EXPECT_EQ(sched_yield(), 0);
	EXPECT_EQ(syscall(SYS_sched_yield), 0);
}

TEST(pthread, sched_getaffinity)
{
	uint64_t m[16] = {0};
	long n = syscall(SYS_sched_getaffinity, 0, sizeof m, m);
	/* Returns the kernel's mask size in bytes, a multiple of 8. */
	EXPECT_GE(n, 8);
	EXPECT_EQ(n % 8, 0);
	EXPECT_TRUE(m[0] & 1);
	cpu_set_t set;
	CPU_ZERO(&set);
	EXPECT_OK(sched_getaffinity(0, sizeof set, &set));
	EXPECT_TRUE(CPU_ISSET(0, &set));
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 4, m), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 12, m), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 0, m), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0x3fffffff, sizeof m, m), ESRCH);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, sizeof m, H_BAD_PTR), EFAULT);
	EXPECT_EQ(syscall(SYS_sched_getaffinity, getpid(), sizeof m, m), n);
}

static void child_setaffinity(long unused)
{
	(void)unused;
	uint64_t m[16] = {1};
	CHK(syscall(SYS_sched_setaffinity, 0, sizeof m, m) == 0);
	uint64_t got[16] = {0};
	CHK(syscall(SYS_sched_getaffinity, 0, sizeof got, got) > 0);
	CHK(got[0] == 1);
	uint64_t none[16] = {0};
	CHK(syscall(SYS_sched_setaffinity, 0, sizeof none, none) == -1 && errno == EINVAL);
	/* Only CPUs that do not exist. */
	uint64_t far[16] = {0};
	far[15] = 1ULL << 63;
	CHK(syscall(SYS_sched_setaffinity, 0, sizeof far, far) == -1 && errno == EINVAL);
	CHK(syscall(SYS_sched_setaffinity, 0x3fffffff, sizeof m, m) == -1 && errno == ESRCH);
}

TEST(pthread, sched_setaffinity)
{
	EXPECT_EQ(reap(spawn(child_setaffinity, 0)), 0);
}

TEST(pthread, sched_policy_defaults_and_ranges)
{
	/* musl's sched_getscheduler() is a stub returning ENOSYS: raw calls. */
	EXPECT_EQ(syscall(SYS_sched_getscheduler, 0), SCHED_OTHER);
	EXPECT_EQ(syscall(SYS_sched_getscheduler, getpid()), SCHED_OTHER);
	struct sched_param sp = {.sched_priority = 77};
	EXPECT_EQ(syscall(SYS_sched_getparam, 0, &sp), 0);
	EXPECT_EQ(sp.sched_priority, 0);
	EXPECT_EQ(sched_get_priority_min(SCHED_FIFO), 1);
	EXPECT_EQ(sched_get_priority_max(SCHED_FIFO), 99);
	EXPECT_EQ(sched_get_priority_min(SCHED_RR), 1);
	EXPECT_EQ(sched_get_priority_max(SCHED_RR), 99);
	EXPECT_EQ(sched_get_priority_min(SCHED_OTHER), 0);
	EXPECT_EQ(sched_get_priority_max(SCHED_OTHER), 0);
	EXPECT_EQ(sched_get_priority_max(SCHED_BATCH), 0);
	EXPECT_EQ(sched_get_priority_max(SCHED_IDLE), 0);
	EXPECT_ERRNO(syscall(SYS_sched_get_priority_max, 4), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_get_priority_min, 99), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_getscheduler, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_getscheduler, 0x3fffffff), ESRCH);
	EXPECT_ERRNO(syscall(SYS_sched_getparam, 0, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_getparam, -1, &sp), EINVAL);
	struct timespec ts = {9, 9};
	EXPECT_EQ(syscall(SYS_sched_rr_get_interval, 0, &ts), 0);
	EXPECT_ERRNO(syscall(SYS_sched_rr_get_interval, -1, &ts), EINVAL);
}

static void child_sched_fifo(long unused)
{
	(void)unused;
	struct sched_param sp = {.sched_priority = 0};
	CHK(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp) == -1 && errno == EINVAL);
	sp.sched_priority = 100;
	CHK(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp) == -1 && errno == EINVAL);
	sp.sched_priority = 1;
	CHK(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp) == -1 && errno == EINVAL);
	CHK(syscall(SYS_sched_setscheduler, 0, 99, &sp) == -1 && errno == EINVAL);
	CHK(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, NULL) == -1 && errno == EINVAL);
	sp.sched_priority = 10;
	/* Root may: CAP_SYS_NICE. */
	CHK(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp) == 0);
	CHK(syscall(SYS_sched_getscheduler, 0) == SCHED_FIFO);
	struct sched_param got = {0};
	CHK(syscall(SYS_sched_getparam, 0, &got) == 0);
	CHK(got.sched_priority == 10);
	sp.sched_priority = 20;
	CHK(syscall(SYS_sched_setparam, 0, &sp) == 0);
	CHK(syscall(SYS_sched_getparam, 0, &got) == 0 && got.sched_priority == 20);
	CHK(syscall(SYS_sched_setscheduler, 0, SCHED_RR | SCHED_RESET_ON_FORK, &sp) == 0);
	CHK(syscall(SYS_sched_getscheduler, 0) == (SCHED_RR | SCHED_RESET_ON_FORK));
	sp.sched_priority = 0;
	CHK(syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &sp) == 0);
	CHK(syscall(SYS_sched_getscheduler, 0) == SCHED_BATCH);
	CHK(syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &sp) == 0);
	CHK(syscall(SYS_sched_getscheduler, 0) == SCHED_IDLE);
	CHK(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp) == 0);
	CHK(syscall(SYS_sched_getscheduler, 0) == SCHED_OTHER);
}

TEST(pthread, sched_setscheduler_fifo_as_root)
{
	if (geteuid() != 0)
		return;
	EXPECT_EQ(reap(spawn(child_sched_fifo, 0)), 0);
}

static void child_priority(long unused)
{
	(void)unused;
	/* The raw syscall returns 20 - nice. */
	CHK(syscall(SYS_getpriority, PRIO_PROCESS, 0) == 20);
	CHK(setpriority(PRIO_PROCESS, 0, 5) == 0);
	errno = 0;
	CHK(getpriority(PRIO_PROCESS, 0) == 5 && errno == 0);
	CHK(syscall(SYS_getpriority, PRIO_PROCESS, 0) == 15);
	CHK(setpriority(PRIO_PROCESS, 0, 100) == 0);
	CHK(getpriority(PRIO_PROCESS, getpid()) == 19);
	/* Root may lower it again, down to -20. */
	CHK(setpriority(PRIO_PROCESS, 0, -100) == 0);
	CHK(getpriority(PRIO_PROCESS, 0) == -20);
	CHK(syscall(SYS_getpriority, PRIO_PROCESS, 0) == 40);
	CHK(setpriority(PRIO_PROCESS, 0, 0) == 0);
	CHK(setpriority(3, 0, 0) == -1 && errno == EINVAL);
	CHK(setpriority(-1, 0, 0) == -1 && errno == EINVAL);
	CHK(syscall(SYS_getpriority, 3, 0) == -1 && errno == EINVAL);
	CHK(setpriority(PRIO_PROCESS, 0x3fffffff, 0) == -1 && errno == ESRCH);
	CHK(syscall(SYS_getpriority, PRIO_PROCESS, 0x3fffffff) == -1 && errno == ESRCH);
	/* The best (highest) value among the caller's user's tasks. */
	CHK(syscall(SYS_getpriority, PRIO_USER, 0) >= 20);
}

TEST(pthread, getpriority_setpriority)
{
	if (geteuid() != 0)
		return;
	EXPECT_EQ(reap(spawn(child_priority, 0)), 0);
}

struct nice_probe {
	pid_t tid;
	volatile int ready, go;
	int seen;
};

static void *nice_thread(void *arg)
{
	struct nice_probe *p = arg;
	p->tid = gettid();
	p->ready = 1;
	while (!p->go)
		sleep_ms(1);
	errno = 0;
	p->seen = getpriority(PRIO_PROCESS, 0);
	return NULL;
}

TEST(pthread, nice_is_per_thread)
{
	struct nice_probe p = {0};
	pthread_t t = start(nice_thread, &p);
	wait_flag(&p.ready);
	int r = setpriority(PRIO_PROCESS, p.tid, 7);
	int theirs = getpriority(PRIO_PROCESS, p.tid);
	int mine = getpriority(PRIO_PROCESS, 0);
	p.go = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(theirs, 7);
	EXPECT_EQ(p.seen, 7);
	EXPECT_EQ(mine, 0);
}
