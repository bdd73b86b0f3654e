/*
 * Suite personality: personality(2), called as the raw syscall.
 *
 * Guards Linux 6.1's kernel/exec_domain.c: the call returns the previous
 * personality and stores its 32-bit argument as given (any value), except
 * that 0xffffffff only queries; the argument is cut to its low 32 bits.
 * The personality belongs to the thread (another thread's change is not
 * seen) and is inherited by fork and kept across execve; a set-user-id
 * execve would clear ADDR_NO_RANDOMIZE and friends.  Init starts with
 * PER_LINUX (0).  The test puts 0 back.  Man page personality(2).
 */
#include "harness.h"

#include <pthread.h>
#include <sys/personality.h>
#include <sys/wait.h>

static long r_personality(unsigned long persona)
{
	return syscall(SYS_personality, persona);
}

#define QUERY 0xffffffffUL

TEST(personality, query_and_set)
{
	long start = r_personality(QUERY);
	if (h_is_init())
		EXPECT_EQ(start, PER_LINUX);
	EXPECT_EQ(r_personality(ADDR_NO_RANDOMIZE), start);
	EXPECT_EQ(r_personality(QUERY), ADDR_NO_RANDOMIZE);
	EXPECT_EQ(r_personality(QUERY), ADDR_NO_RANDOMIZE);
	/* Any value is stored. */
	EXPECT_EQ(r_personality(0x12345678), ADDR_NO_RANDOMIZE);
	EXPECT_EQ(r_personality(QUERY), 0x12345678);
	EXPECT_EQ(r_personality(0xfffffffeUL), 0x12345678);
	/* The old value comes back as an unsigned 32-bit number. */
	EXPECT_EQ(r_personality(0x100000000UL | PER_LINUX), 0xfffffffeL);
	EXPECT_EQ(r_personality(QUERY), PER_LINUX);
	/* Only the low 32 bits count: 0x1ffffffff queries too. */
	EXPECT_EQ(r_personality(0x1ffffffffUL), PER_LINUX);
	EXPECT_EQ(r_personality(QUERY), PER_LINUX);
	EXPECT_EQ(r_personality(start), PER_LINUX);
}

TEST(personality, inherited_by_fork_and_exec)
{
	long start = r_personality(QUERY);
	EXPECT_EQ(r_personality(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC), start);
	pid_t pid = h_fork();
	if (pid == 0) {
		if (r_personality(QUERY) != (ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC))
			h_exit(1);
		/* The child's change stays in the child. */
		r_personality(PER_LINUX);
		/* Across execve: an x86-64 ELF drops READ_IMPLIES_EXEC, the rest stays.
		 * The helper exits with its personality's bits 16..23. */
		r_personality(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC);
		char *argv[] = {(char *)h_child_helper(), "personality", NULL};
		execv(argv[0], argv);
		h_exit(99);
	}
	int code = h_wait_exit(pid);
	EXPECT_EQ(code, ADDR_NO_RANDOMIZE >> 16);
	EXPECT_EQ(r_personality(QUERY), ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC);
	r_personality(start);
}

static void *set_in_thread(void *arg)
{
	(void)arg;
	r_personality(ADDR_COMPAT_LAYOUT);
	return (void *)r_personality(QUERY);
}

TEST(personality, per_thread)
{
	long start = r_personality(QUERY);
	pthread_t t;
	void *seen;
	EXPECT_EQ(pthread_create(&t, NULL, set_in_thread, NULL), 0);
	EXPECT_EQ(pthread_join(t, &seen), 0);
	EXPECT_EQ((long)seen, ADDR_COMPAT_LAYOUT);
	EXPECT_EQ(r_personality(QUERY), start);
}
