/*
 * Suite futexpi: priority-inheritance futexes.
 *
 * Guards Linux 6.1's kernel/futex/pi.c and requeue.c: FUTEX_LOCK_PI takes
 * a free word (TID written), is EDEADLK on one's own lock, ESRCH when the
 * word names no thread (FUTEX_WAITERS left set), ETIMEDOUT at its absolute
 * CLOCK_REALTIME deadline; TRYLOCK_PI is EAGAIN on a held lock; UNLOCK_PI
 * is EPERM unless the caller's TID is in the word, clears an uncontended
 * word and hands a contended one to the waiter (TID | FUTEX_WAITERS);
 * WAIT_REQUEUE_PI/CMP_REQUEUE_PI: EINVAL for one word twice, nr_wake other
 * than 1, and for FUTEX_WAKE on a requeue-PI waiter; the waiter returns
 * owning the PI futex, directly when it was free, after UNLOCK_PI when it
 * was held; priority inheritance: a SCHED_FIFO 10 owner blocking a FIFO 30
 * waiter runs ahead of a FIFO 20 spinner; a robust PI owner that dies hands
 * the lock on with FUTEX_OWNER_DIED; pthread PRIO_INHERIT mutexes.
 */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* <linux/futex.h> is not in musl's headers. */
#define FUTEX_WAKE_PRIVATE (1 | 128)
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_LOCK_PI2 13
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_LOCK_PI_PRIVATE (FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG)
#define FUTEX_UNLOCK_PI_PRIVATE (FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG)
#define FUTEX_TRYLOCK_PI_PRIVATE (FUTEX_TRYLOCK_PI | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_REQUEUE_PI_PRIVATE (11 | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PI_PRIVATE (12 | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu

struct k_robust_list {
	struct k_robust_list *next;
};

struct k_robust_list_head {
	struct k_robust_list list;
	long futex_offset;
	struct k_robust_list *list_op_pending;
};

static long fx(volatile uint32_t *uaddr, int op, uint32_t val, const void *timeout,
	       volatile uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

static pid_t gettid_raw(void)
{
	return syscall(SYS_gettid);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void spin_ms(long ms)
{
	long end = now_ms() + ms;
	while (now_ms() < end)
		;
}

TEST(futexpi, lock_unlock_and_errors)
{
	static volatile uint32_t word;
	uint32_t tid = gettid_raw();
	word = 0;
	EXPECT_EQ(fx(&word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	EXPECT_EQ(word, tid);
	EXPECT_ERRNO(fx(&word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), EDEADLK);
	EXPECT_ERRNO(fx(&word, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0), EDEADLK);
	EXPECT_EQ(fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	EXPECT_EQ(word, 0);
	EXPECT_ERRNO(fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), EPERM);
	/* TRYLOCK on a free word takes it; LOCK_PI2 too. */
	EXPECT_EQ(fx(&word, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	EXPECT_EQ(word, tid);
	EXPECT_EQ(fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	EXPECT_EQ(fx(&word, FUTEX_LOCK_PI2 | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), 0);
	EXPECT_EQ(fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	/* OWNER_DIED with no owner: taken, the bit kept. */
	word = FUTEX_OWNER_DIED;
	EXPECT_EQ(fx(&word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	EXPECT_EQ(word, tid | FUTEX_OWNER_DIED);
	EXPECT_EQ(fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	EXPECT_EQ(word, 0);
	/* A TID that is no thread. */
	word = 0x3ffffff0;
	EXPECT_ERRNO(fx(&word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), ESRCH);
	EXPECT_EQ(word, 0x3ffffff0 | FUTEX_WAITERS);
	EXPECT_ERRNO(fx(&word, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0), ESRCH);
	EXPECT_ERRNO(fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), EPERM);
	/* Bad addresses. */
	EXPECT_ERRNO(fx((uint32_t *)((char *)&word + 1), FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0),
		     EINVAL);
	EXPECT_ERRNO(fx(NULL, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), EFAULT);
	EXPECT_ERRNO(fx(NULL, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), EFAULT);
	/* FUTEX_CLOCK_REALTIME is refused with LOCK_PI, allowed with LOCK_PI2. */
	word = 0;
	EXPECT_ERRNO(fx(&word, FUTEX_LOCK_PI_PRIVATE | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0),
		     ENOSYS);
	EXPECT_EQ(fx(&word, FUTEX_LOCK_PI2 | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, 0, NULL,
		     NULL, 0), 0);
	EXPECT_EQ(fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
}

/* A held lock: a child process owns a shared word. */
static void held_by_other(void *arg)
{
	(void)arg;
	volatile uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (word == MAP_FAILED)
		h_exit(90);
	int fds[2];
	h_pipe(fds);
	pid_t owner = fork();
	if (owner == 0) {
		if (fx(word, FUTEX_LOCK_PI, 0, NULL, NULL, 0) != 0)
			_exit(1);
		h_post(fds[1]);
		pause();
		_exit(0);
	}
	h_wait_byte(fds[0]);
	EXPECT_EQ(*word, (uint32_t)owner);
	EXPECT_ERRNO(fx(word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EAGAIN);
	EXPECT_ERRNO(fx(word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), EPERM);
	/* An absolute CLOCK_REALTIME deadline already past. */
	struct timespec past;
	clock_gettime(CLOCK_REALTIME, &past);
	past.tv_sec -= 1;
	EXPECT_ERRNO(fx(word, FUTEX_LOCK_PI, 0, &past, NULL, 0), ETIMEDOUT);
	/* LOCK_PI2: CLOCK_MONOTONIC. */
	struct timespec soon;
	clock_gettime(CLOCK_MONOTONIC, &soon);
	soon.tv_nsec += 20 * 1000 * 1000;
	if (soon.tv_nsec >= 1000000000) {
		soon.tv_nsec -= 1000000000;
		soon.tv_sec++;
	}
	EXPECT_ERRNO(fx(word, FUTEX_LOCK_PI2, 0, &soon, NULL, 0), ETIMEDOUT);
	EXPECT_EQ(*word, (uint32_t)owner | FUTEX_WAITERS);
	struct timespec bad = {0, 1000000000};
	EXPECT_ERRNO(fx(word, FUTEX_LOCK_PI, 0, &bad, NULL, 0), EINVAL);
	kill(owner, SIGKILL);
	waitpid(owner, NULL, 0);
	/* The owner is gone and the word still names it. */
	EXPECT_ERRNO(fx(word, FUTEX_LOCK_PI, 0, NULL, NULL, 0), ESRCH);
}

TEST(futexpi, held_by_another_process)
{
	EXPECT_CHILD_OK(held_by_other, NULL);
}

struct handoff {
	volatile uint32_t word;
	volatile uint32_t cond;
	volatile int stage;
	volatile uint32_t seen;
	volatile long result;
	volatile int err;
};

static void *locker(void *arg)
{
	struct handoff *h = arg;
	h->stage = 1;
	h->result = fx(&h->word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
	h->seen = h->word;
	h->stage = 2;
	h->result |= fx(&h->word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void handoff(void *arg)
{
	(void)arg;
	struct handoff h;
	memset(&h, 0, sizeof h);
	uint32_t tid = gettid_raw();
	EXPECT_EQ(fx(&h.word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	pthread_t thread;
	EXPECT_EQ(pthread_create(&thread, NULL, locker, &h), 0);
	/* Wait until it sleeps in the kernel: the WAITERS bit appears. */
	while (h.word != (tid | FUTEX_WAITERS))
		sched_yield();
	EXPECT_EQ(h.stage, 1);
	EXPECT_EQ(fx(&h.word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	EXPECT_EQ(pthread_join(thread, NULL), 0);
	EXPECT_EQ(h.result, 0);
	EXPECT_EQ(h.seen & FUTEX_WAITERS, FUTEX_WAITERS);
	EXPECT_NE(h.seen & FUTEX_TID_MASK, tid);
	EXPECT_EQ(h.word, 0);
}

TEST(futexpi, unlock_hands_over)
{
	EXPECT_CHILD_OK(handoff, NULL);
}

static void *requeue_waiter(void *arg)
{
	struct handoff *h = arg;
	h->stage = 1;
	h->result = fx(&h->cond, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, NULL, &h->word, 0);
	h->err = h->result < 0 ? errno : 0;
	h->seen = h->word;
	h->stage = 2;
	if (h->result == 0)
		fx(&h->word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

/* Starts a WAIT_REQUEUE_PI waiter and waits until it sleeps on cond. */
static pthread_t start_requeue_waiter(struct handoff *h)
{
	pthread_t thread;
	if (pthread_create(&thread, NULL, requeue_waiter, h) != 0)
		h_exit(91);
	while (h->stage != 1)
		sched_yield();
	/* It is queued once a plain wake sees it (EINVAL). */
	for (int i = 0; i < 1000; i++) {
		if (fx(&h->cond, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == -1 && errno == EINVAL)
			return thread;
		sched_yield();
	}
	h_exit(92);
}

static void requeue_pi(void *arg)
{
	(void)arg;
	struct handoff h;
	memset(&h, 0, sizeof h);
	uint32_t tid = gettid_raw();
	EXPECT_ERRNO(fx(&h.cond, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, NULL, &h.cond, 0), EINVAL);
	EXPECT_ERRNO(fx(&h.cond, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 1, NULL, &h.word, 0), EAGAIN);
	struct timespec soon;
	clock_gettime(CLOCK_MONOTONIC, &soon);
	soon.tv_nsec += 10 * 1000 * 1000;
	if (soon.tv_nsec >= 1000000000) {
		soon.tv_nsec -= 1000000000;
		soon.tv_sec++;
	}
	EXPECT_ERRNO(fx(&h.cond, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, &soon, &h.word, 0), ETIMEDOUT);
	EXPECT_ERRNO(fx(&h.cond, FUTEX_CMP_REQUEUE_PI_PRIVATE, 2, (void *)1, &h.word, 0), EINVAL);
	EXPECT_ERRNO(fx(&h.cond, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1, &h.cond, 0), EINVAL);
	EXPECT_ERRNO(fx(&h.cond, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1, &h.word, 5), EAGAIN);
	EXPECT_EQ(fx(&h.cond, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1, &h.word, 0), 0);

	/* The PI futex is free: the waiter gets it at once. */
	pthread_t thread = start_requeue_waiter(&h);
	EXPECT_EQ(fx(&h.cond, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1, &h.word, 0), 1);
	EXPECT_EQ(pthread_join(thread, NULL), 0);
	EXPECT_EQ(h.result, 0);
	EXPECT_EQ(h.seen & FUTEX_WAITERS, FUTEX_WAITERS);
	EXPECT_NE(h.seen & FUTEX_TID_MASK, 0);
	EXPECT_EQ(h.word, 0);

	/* Held by us: requeued, then handed over by our unlock. */
	memset(&h, 0, sizeof h);
	EXPECT_EQ(fx(&h.word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	thread = start_requeue_waiter(&h);
	EXPECT_EQ(fx(&h.cond, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1, &h.word, 0), 1);
	EXPECT_EQ(h.word, tid | FUTEX_WAITERS);
	EXPECT_EQ(h.stage, 1);
	/* Plain requeue or wake of the PI futex's queue is no business of ours. */
	EXPECT_EQ(fx(&h.word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	EXPECT_EQ(pthread_join(thread, NULL), 0);
	EXPECT_EQ(h.result, 0);
	EXPECT_EQ(h.seen & FUTEX_WAITERS, FUTEX_WAITERS);
	EXPECT_EQ(h.word, 0);
}

TEST(futexpi, requeue_pi)
{
	EXPECT_CHILD_OK(requeue_pi, NULL);
}

struct inherit {
	volatile uint32_t word;
	volatile int phase;
	volatile int h_done;
	volatile int m_seen;
	volatile int l_locked;
};

static int set_fifo(int priority)
{
	struct sched_param param = {.sched_priority = priority};
	return syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &param);
}

static pid_t role(struct inherit *s, int fd, int priority, int which)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	char byte;
	if (set_fifo(priority) != 0)
		_exit(70);
	if (read(fd, &byte, 1) != 1)
		_exit(71);
	switch (which) {
	case 0: /* low: takes the lock, works until the others are awake, releases */
		if (fx(&s->word, FUTEX_LOCK_PI, 0, NULL, NULL, 0) != 0)
			_exit(72);
		s->l_locked = 1;
		while (s->phase < 2)
			;
		spin_ms(10);
		if (fx(&s->word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0) != 0)
			_exit(73);
		break;
	case 1: /* medium: spins, then looks whether high got the lock meanwhile */
		spin_ms(300);
		s->m_seen = s->h_done;
		break;
	case 2: /* high: blocks on the lock */
		if (fx(&s->word, FUTEX_LOCK_PI, 0, NULL, NULL, 0) != 0)
			_exit(74);
		s->h_done = 1;
		fx(&s->word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
		break;
	}
	_exit(0);
}

static void inheritance(void *arg)
{
	(void)arg;
	struct inherit *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		h_exit(90);
	memset((void *)s, 0, sizeof *s);
	int pipes[3][2];
	for (int i = 0; i < 3; i++)
		h_pipe(pipes[i]);
	EXPECT_EQ(set_fifo(40), 0);
	pid_t low = role(s, pipes[0][0], 10, 0);
	pid_t medium = role(s, pipes[1][0], 20, 1);
	pid_t high = role(s, pipes[2][0], 30, 2);
	struct timespec pause_ts = {0, 20 * 1000 * 1000};
	nanosleep(&pause_ts, NULL);
	if (write(pipes[0][1], "x", 1) != 1)
		h_exit(81);
	nanosleep(&pause_ts, NULL);
	EXPECT_EQ(s->l_locked, 1);
	s->phase = 2;
	if (write(pipes[1][1], "x", 1) != 1 || write(pipes[2][1], "x", 1) != 1)
		h_exit(82);
	int status;
	EXPECT_EQ(waitpid(high, &status, 0), high);
	EXPECT_EQ(status, 0);
	EXPECT_EQ(waitpid(medium, &status, 0), medium);
	EXPECT_EQ(status, 0);
	EXPECT_EQ(waitpid(low, &status, 0), low);
	EXPECT_EQ(status, 0);
	/* The low owner ran at the high waiter's priority, ahead of medium. */
	EXPECT_EQ(s->m_seen, 1);
}

TEST(futexpi, owner_inherits_waiter_priority)
{
	EXPECT_CHILD_OK(inheritance, NULL);
}

struct robust_lock {
	struct k_robust_list list;
	volatile uint32_t word;
};

static void owner_dies(void *arg)
{
	(void)arg;
	struct {
		struct k_robust_list_head head;
		struct robust_lock lock;
		volatile int ready;
	} *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		h_exit(90);
	pid_t owner = fork();
	if (owner == 0) {
		s->head.list.next = &s->head.list;
		s->head.futex_offset = offsetof(struct robust_lock, word);
		s->head.list_op_pending = NULL;
		if (syscall(SYS_set_robust_list, &s->head, sizeof s->head) != 0)
			_exit(1);
		if (fx(&s->lock.word, FUTEX_LOCK_PI, 0, NULL, NULL, 0) != 0)
			_exit(2);
		s->lock.list.next = &s->head.list;
		s->head.list.next = (struct k_robust_list *)((uintptr_t)&s->lock.list | 1);
		s->ready = 1;
		pause();
		_exit(0);
	}
	while (!s->ready)
		sched_yield();
	pid_t waiter = fork();
	if (waiter == 0) {
		long r = fx(&s->lock.word, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
		if (r != 0)
			_exit(10);
		uint32_t word = s->lock.word;
		if ((word & FUTEX_TID_MASK) != (uint32_t)getpid())
			_exit(11);
		if (!(word & FUTEX_OWNER_DIED))
			_exit(12);
		_exit(0);
	}
	/* Wait until it sleeps on the lock. */
	while (!(s->lock.word & FUTEX_WAITERS))
		sched_yield();
	struct timespec pause_ts = {0, 20 * 1000 * 1000};
	nanosleep(&pause_ts, NULL);
	kill(owner, SIGKILL);
	int status;
	EXPECT_EQ(waitpid(owner, &status, 0), owner);
	EXPECT_EQ(waitpid(waiter, &status, 0), waiter);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(futexpi, dead_robust_owner_hands_over)
{
	EXPECT_CHILD_OK(owner_dies, NULL);
}

struct counter {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	long value;
	int turn;
};

static void *bump(void *arg)
{
	struct counter *c = arg;
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&c->mutex);
		c->value++;
		if (i % 100 == 0)
			sched_yield();
		pthread_mutex_unlock(&c->mutex);
	}
	/* Ping-pong on a condition variable with the PI mutex. */
	for (int i = 0; i < 50; i++) {
		pthread_mutex_lock(&c->mutex);
		while (c->turn != 1)
			pthread_cond_wait(&c->cond, &c->mutex);
		c->turn = 0;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->mutex);
	}
	return NULL;
}

static void pthread_pi(void *arg)
{
	(void)arg;
	static struct counter c;
	pthread_mutexattr_t attr;
	EXPECT_EQ(pthread_mutexattr_init(&attr), 0);
	EXPECT_EQ(pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT), 0);
	EXPECT_EQ(pthread_mutex_init(&c.mutex, &attr), 0);
	EXPECT_EQ(pthread_cond_init(&c.cond, NULL), 0);
	pthread_t threads[2];
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(pthread_create(&threads[i], NULL, bump, &c), 0);
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&c.mutex);
		c.value++;
		pthread_mutex_unlock(&c.mutex);
	}
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&c.mutex);
		while (c.turn != 0)
			pthread_cond_wait(&c.cond, &c.mutex);
		c.turn = 1;
		pthread_cond_broadcast(&c.cond);
		pthread_mutex_unlock(&c.mutex);
	}
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(pthread_join(threads[i], NULL), 0);
	EXPECT_EQ(c.value, 6000);
	/* A PI mutex the caller holds: EDEADLK with an error-checking type. */
	pthread_mutex_t check;
	EXPECT_EQ(pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK), 0);
	EXPECT_EQ(pthread_mutex_init(&check, &attr), 0);
	EXPECT_EQ(pthread_mutex_lock(&check), 0);
	EXPECT_EQ(pthread_mutex_lock(&check), EDEADLK);
	/* glibc asks the kernel (TRYLOCK_PI: EDEADLK), musl answers EBUSY itself. */
	int r = pthread_mutex_trylock(&check);
	EXPECT_TRUE(r == EBUSY || r == EDEADLK);
	EXPECT_EQ(pthread_mutex_unlock(&check), 0);
}

TEST(futexpi, pthread_prio_inherit_mutex)
{
	EXPECT_CHILD_OK(pthread_pi, NULL);
}
