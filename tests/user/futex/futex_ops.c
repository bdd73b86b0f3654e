/*
 * Suite futex_ops: corners of the two-word futex operations and of
 * get_robust_list that the futex suite leaves out.
 *
 * Guards Linux's kernel/futex/requeue.c (a requeue onto the same word is
 * allowed for non-PI futexes; with both counts 0 nothing is woken or moved;
 * the count register is truncated to 32 bits and a negative one is EINVAL),
 * kernel/futex/waitwake.c (FUTEX_OP_OPARG_SHIFT uses 1 << oparg; the
 * comparison sees the old value; a WAKE_OP with nobody waiting returns 0)
 * and kernel/futex/syscalls.c (get_robust_list reads the head of another
 * thread of the caller's process; set_robust_list accepts any head
 * pointer, even a bad one, since it is only read at exit).  The words may
 * sit on pages not yet faulted in or shared copy-on-write: the kernel
 * reads them with page faults disabled under its hash-bucket lock, faults
 * them in outside it and retries (futex_wait_setup, futex_wake_op's
 * fault_in_user_writeable), so such words behave like any other.  Man page
 * futex(2), get_robust_list(2).
 */
#include "child.h"
#include "harness.h"

#include <sys/mman.h>

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#define K_FUTEX_REQUEUE 3
#define K_FUTEX_CMP_REQUEUE 4
#define K_FUTEX_WAKE_OP 5
#define K_FUTEX_PRIVATE 128
#define K_FUTEX_OP(op, oparg, cmp, cmparg)                                     \
	((((op)&0xf) << 28) | (((cmp)&0xf) << 24) | (((oparg)&0xfff) << 12) |  \
	 ((cmparg)&0xfff))
#define K_FUTEX_WAIT 0
#define OP_SET 0
#define OP_ADD 1
#define OP_OR 2
#define OP_ANDN 3
#define OP_XOR 4
#define OP_OPARG_SHIFT 8
#define CMP_EQ 0
#define CMP_LT 2

static long futex6(volatile uint32_t *uaddr, int op, uint32_t val, unsigned long val2,
		   volatile uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

TEST(futex_ops, requeue_counts_without_waiters)
{
	static volatile uint32_t a = 5, b;
	/* Same word on both sides, nobody waiting: 0. */
	EXPECT_EQ(futex6(&a, K_FUTEX_CMP_REQUEUE | K_FUTEX_PRIVATE, 1, 1, &a, 5), 0);
	EXPECT_EQ(futex6(&a, K_FUTEX_REQUEUE | K_FUTEX_PRIVATE, 0, 0, &b, 0), 0);
	/* The value is compared even when nothing would move. */
	EXPECT_ERRNO(futex6(&a, K_FUTEX_CMP_REQUEUE | K_FUTEX_PRIVATE, 0, 0, &b, 6), EAGAIN);
	/* nr_requeue travels in the timeout register, truncated to int. */
	EXPECT_ERRNO(futex6(&a, K_FUTEX_REQUEUE | K_FUTEX_PRIVATE, 1, 0xffffffffUL, &b, 0),
		     EINVAL);
	EXPECT_EQ(futex6(&a, K_FUTEX_REQUEUE | K_FUTEX_PRIVATE, 1, 0x100000001UL, &b, 0), 0);
	EXPECT_ERRNO(futex6(&a, K_FUTEX_REQUEUE | K_FUTEX_PRIVATE, (uint32_t)-1, 1, &b, 0),
		     EINVAL);
	/* The second word must be aligned too. */
	EXPECT_ERRNO(futex6(&a, K_FUTEX_REQUEUE | K_FUTEX_PRIVATE, 1, 1,
			    (volatile uint32_t *)((char *)&b + 1), 0), EINVAL);
}

TEST(futex_ops, wake_op_oparg_shift_and_ops)
{
	static volatile uint32_t f, g;
	g = 1;
	/* OR with 1 << 3. */
	EXPECT_EQ(futex6(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, &g,
			 K_FUTEX_OP(OP_OR | OP_OPARG_SHIFT, 3, CMP_EQ, 1)), 0);
	EXPECT_EQ(g, 9);
	/* ANDN with 1 << 0 clears bit 0. */
	EXPECT_EQ(futex6(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, &g,
			 K_FUTEX_OP(OP_ANDN | OP_OPARG_SHIFT, 0, CMP_LT, 100)), 0);
	EXPECT_EQ(g, 8);
	/* XOR with a negative (sign-extended) operand. */
	EXPECT_EQ(futex6(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, &g,
			 K_FUTEX_OP(OP_XOR, -1, CMP_EQ, 8)), 0);
	EXPECT_EQX(g, 0xfffffff7U);
	/* The comparison is signed: the old value is now negative. */
	EXPECT_EQ(futex6(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, &g,
			 K_FUTEX_OP(OP_SET, 0, CMP_LT, 0)), 0);
	EXPECT_EQ(g, 0);
}

TEST(futex_ops, words_on_pages_not_yet_faulted_in)
{
	static volatile uint32_t f;
	uint32_t *page = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(page != MAP_FAILED);
	/* Each word is the first access to its page. */
	EXPECT_ERRNO(futex6(page, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 1, 0, NULL, 0), EAGAIN);
	/* CMP_REQUEUE compares the first word. */
	EXPECT_EQ(futex6(page + 1024, K_FUTEX_CMP_REQUEUE | K_FUTEX_PRIVATE, 1, 1, &f, 0),
		  0);
	EXPECT_EQ(futex6(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, page + 2048,
			 K_FUTEX_OP(OP_SET, 7, CMP_EQ, 0)), 0);
	EXPECT_EQ(page[2048], 7);
	/* A page gone is EFAULT for every operation. */
	EXPECT_OK(munmap(page, 3 * 4096));
	EXPECT_ERRNO(futex6(page, K_FUTEX_WAIT | K_FUTEX_PRIVATE, 1, 0, NULL, 0), EFAULT);
	EXPECT_ERRNO(futex6(page, K_FUTEX_CMP_REQUEUE | K_FUTEX_PRIVATE, 1, 1, &f, 0),
		     EFAULT);
	EXPECT_ERRNO(futex6(&f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, page,
			    K_FUTEX_OP(OP_SET, 7, CMP_EQ, 0)), EFAULT);
}

static void child_wake_op_add(long arg)
{
	volatile uint32_t *word = (volatile uint32_t *)arg;
	static volatile uint32_t f;
	CHK(syscall(SYS_futex, &f, K_FUTEX_WAKE_OP | K_FUTEX_PRIVATE, 1, 1, word,
		    K_FUTEX_OP(OP_ADD, 1, CMP_EQ, 5)) == 0);
	CHK(*word == 6);
}

TEST(futex_ops, wake_op_breaks_copy_on_write)
{
	uint32_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(page != MAP_FAILED);
	page[0] = 5;
	/* The child's word is a copy-on-write copy of ours: its WAKE_OP
	 * writes its own copy only. */
	EXPECT_EQ(reap(spawn(child_wake_op_add, (long)page)), 0);
	EXPECT_EQ(page[0], 5);
	EXPECT_OK(munmap(page, 4096));
}

static volatile uint64_t thread_head;
static volatile int thread_ready, thread_may_exit;

static void *robust_thread(void *arg)
{
	(void)arg;
	static uint64_t fake_head[3];
	fake_head[0] = (uint64_t)(uintptr_t)fake_head;
	syscall(SYS_set_robust_list, fake_head, 24);
	thread_head = (uint64_t)(uintptr_t)fake_head;
	thread_ready = 1;
	for (int i = 0; i < 10000 && !thread_may_exit; i++)
		usleep(1000);
	return NULL;
}

TEST(futex_ops, get_robust_list_of_other_thread)
{
	thread_ready = 0;
	thread_may_exit = 0;
	void *my_head = NULL;
	size_t len = 0;
	EXPECT_OK(syscall(SYS_get_robust_list, 0, &my_head, &len));
	EXPECT_EQ(len, 24);
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, NULL, robust_thread, NULL), 0);
	for (int i = 0; i < 10000 && !thread_ready; i++)
		usleep(1000);
	pid_t tid = -1;
	/* The thread's tid: the one whose head is not ours. */
	for (pid_t cand = getpid() + 1; cand < getpid() + 4096; cand++) {
		void *head = NULL;
		if (syscall(SYS_get_robust_list, cand, &head, &len) == 0 &&
		    (uint64_t)(uintptr_t)head == thread_head) {
			tid = cand;
			break;
		}
	}
	thread_may_exit = 1;
	pthread_join(t, NULL);
	EXPECT_NE(tid, -1);
	/* Our own head did not change. */
	void *again = NULL;
	EXPECT_OK(syscall(SYS_get_robust_list, 0, &again, &len));
	EXPECT_TRUE(again == my_head);
	/* Output pointers are checked. */
	EXPECT_ERRNO(syscall(SYS_get_robust_list, 0, H_BAD_PTR, &len), EFAULT);
	EXPECT_ERRNO(syscall(SYS_get_robust_list, 0, &again, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_get_robust_list, -5, &again, &len), ESRCH);
}
