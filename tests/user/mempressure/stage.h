/*
 * Helpers of the mempressure suite (see stage.c): the suite pushes the kernel to its limits,
 * one stage per test, each in a child process that the OOM killer may kill.  Its tests are
 * registered with TEST_ALONE: xtask boots them on their own, in 512 MiB and 1 GiB guests
 * (ALONE_SUITES in xtask/src/test.rs).  Files are numbered to run in order, the last one
 * checking that the system still works.
 */
#ifndef FERRUX_MEMPRESSURE_STAGE_H
#define FERRUX_MEMPRESSURE_STAGE_H

#include "harness.h"

#include <sys/wait.h>

#define MP_PAGE 4096UL
#define MP_MIB (1UL << 20)
/* The uid and gid of stages that must not count root's resources or bypass limits. */
#define MP_NOBODY 65534
/* Linux's vm.max_map_count default (DEFAULT_MAX_MAP_COUNT). */
#define MP_MAX_MAP_COUNT 65530
/* Linux's fs.nr_open default: the most RLIMIT_NOFILE can be raised to. */
#define MP_NR_OPEN (1L << 20)
/* Bound for one stage: generous, because Linux under TCG is slow; a hang still fails. */
#define MP_STAGE_TIMEOUT 240

/* RAM and free RAM in bytes (sysinfo). */
size_t mp_ram(void);
size_t mp_freeram(void);

/* Writes to fd in 1 MiB steps until a write fails; FAILs unless it fails with ENOSPC (a short
 * write before it is fine).  Returns the bytes written. */
size_t mp_fill_until_enospc(int fd);
/* Creates `name` in the test's scratch directory and fills tmpfs with it; returns its fd. */
int mp_fill_tmpfs(const char *name, size_t *bytes);

/* Maps `bytes` of private anonymous memory and writes `seed + page index` into the first
 * word of every page; FAILs if mmap fails. */
unsigned long *mp_map_touched(size_t bytes, unsigned long seed);

/* Forks a child that execs /bin/child-helper and checks what it printed: fork and exec work. */
void mp_expect_fork_exec(void);

/* setresgid/setresuid to nobody (all three ids). */
void mp_become_nobody(void);

/* Raises RLIMIT_NOFILE (soft and hard) to the most the kernel allows (fs.nr_open); returns it. */
long mp_raise_nofile(void);

/* Starts a thread (CLONE_VM|CLONE_THREAD..., CLEARTID on *ctid) running fn(arg) on the
 * stack [stack, stack + size).  Returns its tid, or -errno. */
long mp_thread(void *stack, size_t size, volatile int *ctid, int (*fn)(void *), void *arg);

/* Raw futex calls (private unless shared is set). */
long mp_futex_wait(volatile int *word, int value, int shared);
long mp_futex_wake(volatile int *word, int count, int shared);
/* Moves every waiter of `from` to `to` (FUTEX_CMP_REQUEUE with nr_wake 0, expecting *from ==
 * value); returns how many moved. */
long mp_futex_requeue_all(volatile int *from, int value, volatile int *to, int shared);

/* A raw status word as text ("exit 3", "signal 9"). */
const char *mp_status(int status);

#endif
