/*
 * Suite sem: System V semaphores as Linux 6.1's ipc/sem.c: semget (keys,
 * IPC_PRIVATE, EEXIST, ENOENT, EINVAL for nsems out of range or larger than
 * the set, EACCES), semop/semtimedop (all-or-nothing operations, IPC_NOWAIT
 * EAGAIN, ERANGE above SEMVMX, E2BIG above SEMOPM, EFBIG for a semaphore
 * beyond the set, EFAULT, sleeping decrements and wait-for-zero, EINTR even
 * with SA_RESTART, EAGAIN at the timeout, EIDRM when the set goes, Linux's
 * wake-up order), SEM_UNDO (applied at exit, clamped at 0, cleared by
 * SETVAL, not inherited by fork, ERANGE beyond SEMAEM), semctl (GETVAL,
 * SETVAL with ERANGE before the id check, GETALL, SETALL, GETPID, GETNCNT,
 * GETZCNT, IPC_STAT, SEM_STAT, SEM_STAT_ANY, IPC_SET, IPC_RMID, IPC_INFO,
 * SEM_INFO, IPC_64 refused on x86-64), the owner and permission rules, and
 * /proc/sys/kernel/sem and /proc/sysvipc/sem.  Man pages semget(2),
 * semop(2), semctl(2).
 */
#include "harness.h"
#include "proc/proc.h"

#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif

static long raw_semctl(int id, int num, int cmd, unsigned long arg)
{
	return syscall(SYS_semctl, id, num, cmd, arg);
}

static int new_set(int nsems)
{
	return EXPECT_OK(semget(IPC_PRIVATE, nsems, IPC_CREAT | 0600));
}

static void rm_set(int id)
{
	EXPECT_OK(semctl(id, 0, IPC_RMID));
}

static int op(int id, unsigned short num, short sem_op, short flg)
{
	struct sembuf sb = {num, sem_op, flg};
	return semop(id, &sb, 1);
}

/* Waits until `n` processes wait on semaphore `num` (GETNCNT, or GETZCNT with `zero`). */
static void wait_waiters(int id, int num, int n, int zero)
{
	while (semctl(id, num, zero ? GETZCNT : GETNCNT) != n)
		sched_yield();
}

static void drop_to_nobody(void)
{
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		FAIL("dropping privileges: %s", h_errname(errno));
}

TEST(sem, get_and_keys)
{
	key_t key = 0x53454d31; /* "SEM1" */
	int stale = semget(key, 0, 0);
	if (stale >= 0)
		semctl(stale, 0, IPC_RMID);
	EXPECT_ERRNO(semget(key, 1, 0600), ENOENT);
	int id = EXPECT_OK(semget(key, 3, IPC_CREAT | 0640));
	EXPECT_EQ(semget(key, 3, 0), id);
	EXPECT_EQ(semget(key, 0, 0), id);
	EXPECT_EQ(semget(key, 2, IPC_CREAT), id);
	EXPECT_ERRNO(semget(key, 4, 0), EINVAL);
	/* EEXIST comes before the size check. */
	EXPECT_ERRNO(semget(key, 4, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	EXPECT_ERRNO(semget(key, -1, 0), EINVAL);
	EXPECT_ERRNO(semget(key, 32001, IPC_CREAT), EINVAL);
	EXPECT_ERRNO(semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	EXPECT_EQ(semctl(id, 0, IPC_STAT, arg), 0);
	EXPECT_EQ(ds.sem_nsems, 3);
	EXPECT_MODE(ds.sem_perm.mode, 0640);
	EXPECT_EQ(ds.sem_perm.__key, key);
	EXPECT_EQ(ds.sem_perm.uid, geteuid());
	EXPECT_EQ(ds.sem_perm.cuid, geteuid());
	EXPECT_EQ(ds.sem_otime, 0);
	EXPECT_TRUE(ds.sem_ctime != 0);
	/* IPC_PRIVATE always makes a new set, even with a key in use. */
	int other = new_set(1);
	EXPECT_NE(other, id);
	rm_set(other);
	rm_set(id);
	EXPECT_ERRNO(semctl(id, 0, IPC_STAT, arg), EINVAL);
	EXPECT_ERRNO(semget(key, 1, 0), ENOENT);
	/* A new set at a reused index has a new id. */
	int again = EXPECT_OK(semget(key, 1, IPC_CREAT | 0600));
	EXPECT_NE(again, id);
	EXPECT_ERRNO(semctl(id, 0, GETVAL), EINVAL);
	rm_set(again);
}

TEST(sem, values_and_semctl)
{
	int id = new_set(3);
	EXPECT_EQ(semctl(id, 1, GETVAL), 0);
	EXPECT_EQ(semctl(id, 1, SETVAL, (union semun){.val = 7}), 0);
	EXPECT_EQ(semctl(id, 1, GETVAL), 7);
	EXPECT_EQ(semctl(id, 1, GETPID), getpid());
	EXPECT_EQ(semctl(id, 0, GETPID), 0);
	unsigned short all[3] = {1, 2, 32767};
	EXPECT_EQ(semctl(id, 0, SETALL, (union semun){.array = all}), 0);
	unsigned short got[3] = {9, 9, 9};
	EXPECT_EQ(semctl(id, 0, GETALL, (union semun){.array = got}), 0);
	EXPECT_EQ(got[0], 1);
	EXPECT_EQ(got[1], 2);
	EXPECT_EQ(got[2], 32767);
	EXPECT_EQ(semctl(id, 2, GETPID), getpid());
	/* SETVAL's range is checked before the id. */
	EXPECT_ERRNO(raw_semctl(id, 0, SETVAL, 32768), ERANGE);
	EXPECT_ERRNO(raw_semctl(id, 0, SETVAL, (unsigned)-1), ERANGE);
	EXPECT_ERRNO(raw_semctl(id + 1, 0, SETVAL, 32768), ERANGE);
	EXPECT_ERRNO(raw_semctl(id, 3, SETVAL, 1), EINVAL);
	EXPECT_ERRNO(raw_semctl(id, -1, SETVAL, 1), EINVAL);
	EXPECT_ERRNO(raw_semctl(id, 3, GETVAL, 0), EINVAL);
	EXPECT_ERRNO(raw_semctl(id, -1, GETNCNT, 0), EINVAL);
	unsigned short bad[3] = {0, 32768, 0};
	EXPECT_ERRNO(raw_semctl(id, 0, SETALL, (unsigned long)bad), ERANGE);
	EXPECT_EQ(semctl(id, 1, GETVAL), 2);
	EXPECT_ERRNO(raw_semctl(id, 0, SETALL, (unsigned long)H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_semctl(id, 0, GETALL, (unsigned long)H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_semctl(id, 0, IPC_STAT, (unsigned long)H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(raw_semctl(id, 0, IPC_SET, (unsigned long)H_BAD_PTR), EFAULT);
	/* x86-64 has no IPC_64 flag to strip; unknown commands are EINVAL. */
	struct semid_ds ds;
	EXPECT_ERRNO(raw_semctl(id, 0, IPC_STAT | 0x100, (unsigned long)&ds), EINVAL);
	EXPECT_ERRNO(raw_semctl(id, 0, 99, 0), EINVAL);
	EXPECT_ERRNO(raw_semctl(-1, 0, GETVAL, 0), EINVAL);
	EXPECT_ERRNO(raw_semctl(-1, 0, IPC_INFO, (unsigned long)&ds), EINVAL);
	/* IPC_SET: owner, group and mode; uid -1 is EINVAL. */
	EXPECT_EQ(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
	ds.sem_perm.uid = 1234;
	ds.sem_perm.gid = 4321;
	ds.sem_perm.mode = 0444 | 01000;
	EXPECT_EQ(semctl(id, 0, IPC_SET, (union semun){.buf = &ds}), 0);
	struct semid_ds now;
	EXPECT_EQ(semctl(id, 0, IPC_STAT, (union semun){.buf = &now}), 0);
	EXPECT_EQ(now.sem_perm.uid, 1234);
	EXPECT_EQ(now.sem_perm.gid, 4321);
	EXPECT_MODE(now.sem_perm.mode, 0444);
	EXPECT_EQ(now.sem_perm.cuid, geteuid());
	ds.sem_perm.uid = (uid_t)-1;
	EXPECT_ERRNO(semctl(id, 0, IPC_SET, (union semun){.buf = &ds}), EINVAL);
	rm_set(id);
	EXPECT_ERRNO(semctl(id, 0, IPC_RMID), EINVAL);
}

TEST(sem, semop_rules_and_errors)
{
	int id = new_set(2);
	struct sembuf two[2] = {{0, 2, 0}, {1, 1, 0}};
	EXPECT_OK(semop(id, two, 2));
	EXPECT_EQ(semctl(id, 0, GETVAL), 2);
	EXPECT_EQ(semctl(id, 1, GETVAL), 1);
	struct semid_ds ds;
	EXPECT_EQ(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
	EXPECT_TRUE(ds.sem_otime != 0);
	/* All or nothing: the second operation would block. */
	struct sembuf partial[2] = {{0, -1, 0}, {1, -2, IPC_NOWAIT}};
	EXPECT_ERRNO(semop(id, partial, 2), EAGAIN);
	EXPECT_EQ(semctl(id, 0, GETVAL), 2);
	/* The same semaphore twice: in sequence. */
	struct sembuf seq[2] = {{0, -2, 0}, {0, 0, 0}};
	EXPECT_OK(semop(id, seq, 2));
	EXPECT_EQ(semctl(id, 0, GETVAL), 0);
	EXPECT_ERRNO(op(id, 0, -1, IPC_NOWAIT), EAGAIN);
	EXPECT_ERRNO(op(id, 1, 0, IPC_NOWAIT), EAGAIN);
	EXPECT_OK(op(id, 0, 0, IPC_NOWAIT));
	/* Above SEMVMX. */
	EXPECT_OK(semctl(id, 0, SETVAL, (union semun){.val = 32767}));
	EXPECT_ERRNO(op(id, 0, 1, 0), ERANGE);
	EXPECT_ERRNO(op(id, 0, 1, IPC_NOWAIT), ERANGE);
	/* nsops: E2BIG above SEMOPM (500), EINVAL for 0; then the id. */
	static struct sembuf many[501];
	EXPECT_ERRNO(semop(id, many, 501), E2BIG);
	EXPECT_ERRNO(semop(-1, many, 501), E2BIG);
	EXPECT_ERRNO(semop(id, many, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_semop, id, H_BAD_PTR, 1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_semop, -1, H_BAD_PTR, 1), EFAULT);
	EXPECT_ERRNO(op(-1, 0, 1, 0), EINVAL);
	EXPECT_ERRNO(op(id + 32768, 0, 1, 0), EINVAL);
	EXPECT_ERRNO(op(id, 2, 1, 0), EFBIG);
	/* semtimedop: a bad timeout pointer or value. */
	struct sembuf one = {0, 0, 0};
	struct timespec bad_ns = {0, 1000000000};
	EXPECT_ERRNO(syscall(SYS_semtimedop, id, &one, 1, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_semtimedop, id, &one, 1, &bad_ns), EINVAL);
	struct timespec neg = {-1, 0};
	EXPECT_ERRNO(syscall(SYS_semtimedop, id, &one, 1, &neg), EINVAL);
	EXPECT_ERRNO(syscall(SYS_semtimedop, -1, &one, 1, &neg), EINVAL);
	/* A timeout in the past still lets an operation that can proceed proceed. */
	struct sembuf dec = {0, -1, 0};
	struct timespec zero = {0, 0};
	EXPECT_OK(syscall(SYS_semtimedop, id, &dec, 1, &zero));
	EXPECT_EQ(semctl(id, 0, GETVAL), 32766);
	rm_set(id);
	EXPECT_ERRNO(op(id, 0, 1, 0), EINVAL);
}

TEST(sem, sleeping_operations)
{
	int id = new_set(2);
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(op(id, 0, -2, 0));
		EXPECT_OK(op(id, 1, 0, 0));
		_exit(0);
	}
	wait_waiters(id, 0, 1, 0);
	EXPECT_EQ(semctl(id, 0, GETZCNT), 0);
	EXPECT_OK(op(id, 1, 1, 0));
	EXPECT_OK(op(id, 0, 1, 0));
	EXPECT_EQ(semctl(id, 0, GETNCNT), 1);
	EXPECT_OK(op(id, 0, 1, 0));
	wait_waiters(id, 1, 1, 1);
	EXPECT_EQ(semctl(id, 0, GETVAL), 0);
	EXPECT_EQ(semctl(id, 0, GETPID), pid);
	EXPECT_OK(op(id, 1, -1, 0));
	EXPECT_EQ(h_wait_exit(pid), 0);
	rm_set(id);
}

TEST(sem, wakeup_order)
{
	/* Linux retries the sleepers of a semaphore in arrival order, and one
	 * that cannot proceed does not hold back those behind it. */
	int id = new_set(1);
	pid_t big = h_fork();
	if (big == 0) {
		EXPECT_OK(op(id, 0, -2, 0));
		_exit(2);
	}
	wait_waiters(id, 0, 1, 0);
	pid_t small = h_fork();
	if (small == 0) {
		EXPECT_OK(op(id, 0, -1, 0));
		_exit(1);
	}
	wait_waiters(id, 0, 2, 0);
	EXPECT_OK(op(id, 0, 1, 0));
	EXPECT_EQ(h_wait_exit(small), 1);
	EXPECT_EQ(semctl(id, 0, GETNCNT), 1);
	EXPECT_EQ(semctl(id, 0, GETVAL), 0);
	EXPECT_OK(op(id, 0, 2, 0));
	EXPECT_EQ(h_wait_exit(big), 2);
	rm_set(id);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

TEST(sem, interrupted_timed_out_and_removed)
{
	int id = new_set(1);
	pid_t pid = h_fork();
	if (pid == 0) {
		/* Never restarted, even with SA_RESTART. */
		struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval every = {{0, 20000}, {0, 20000}};
		setitimer(ITIMER_REAL, &every, NULL);
		EXPECT_ERRNO(op(id, 0, -1, 0), EINTR);
		struct itimerval off = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &off, NULL);
		EXPECT_TRUE(alarms > 0);
		/* The timeout is EAGAIN. */
		struct sembuf dec = {0, -1, 0};
		struct timespec short_wait = {0, 20000000};
		EXPECT_ERRNO(syscall(SYS_semtimedop, id, &dec, 1, &short_wait), EAGAIN);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(semctl(id, 0, GETNCNT), 0);
	pid = h_fork();
	if (pid == 0) {
		EXPECT_ERRNO(op(id, 0, -1, 0), EIDRM);
		_exit(0);
	}
	wait_waiters(id, 0, 1, 0);
	rm_set(id);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(sem, undo_at_exit)
{
	int id = new_set(2);
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(op(id, 0, 3, SEM_UNDO));
		EXPECT_OK(op(id, 1, 2, SEM_UNDO));
		EXPECT_OK(op(id, 1, -1, SEM_UNDO));
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(semctl(id, 0, GETVAL), 0);
	EXPECT_EQ(semctl(id, 1, GETVAL), 0);
	EXPECT_EQ(semctl(id, 0, GETPID), pid);
	/* Clamped at 0: someone else took what the child added. */
	int go[2], done[2];
	h_pipe(go);
	h_pipe(done);
	pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(op(id, 0, 3, SEM_UNDO));
		h_post(done[1]);
		h_wait_byte(go[0]);
		_exit(0);
	}
	h_wait_byte(done[0]);
	EXPECT_OK(op(id, 0, -2, 0));
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(semctl(id, 0, GETVAL), 0);
	/* SETVAL clears the adjustment. */
	pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(op(id, 1, 4, SEM_UNDO));
		h_post(done[1]);
		h_wait_byte(go[0]);
		_exit(0);
	}
	h_wait_byte(done[0]);
	EXPECT_OK(semctl(id, 1, SETVAL, (union semun){.val = 5}));
	h_post(go[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(semctl(id, 1, GETVAL), 5);
	/* A fork does not inherit the adjustments. */
	pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(op(id, 0, 1, SEM_UNDO));
		pid_t grandchild = fork();
		if (grandchild == 0)
			_exit(0);
		EXPECT_EQ(waitpid(grandchild, NULL, 0), grandchild);
		EXPECT_EQ(semctl(id, 0, GETVAL), 1);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(semctl(id, 0, GETVAL), 0);
	/* The adjustment's range is -(SEMAEM + 1)..SEMAEM. */
	pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(semctl(id, 0, SETVAL, (union semun){.val = 32767}));
		EXPECT_OK(op(id, 0, -32767, SEM_UNDO));
		EXPECT_OK(op(id, 0, 1, 0));
		EXPECT_ERRNO(op(id, 0, -1, SEM_UNDO), ERANGE);
		EXPECT_EQ(semctl(id, 0, GETVAL), 1);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* 1 + 32767, clamped at SEMVMX. */
	EXPECT_EQ(semctl(id, 0, GETVAL), 32767);
	rm_set(id);
}

TEST(sem, info_and_stat)
{
	int id = new_set(4);
	struct seminfo info;
	int max = EXPECT_OK(semctl(0, 0, IPC_INFO, (union semun){.__buf = &info}));
	EXPECT_EQ(info.semmsl, 32000);
	EXPECT_EQ(info.semopm, 500);
	EXPECT_EQ(info.semmni, 32000);
	EXPECT_EQ(info.semmns, 1024000000);
	EXPECT_EQ(info.semvmx, 32767);
	EXPECT_EQ(info.semaem, 32767);
	EXPECT_EQ(info.semusz, 20);
	EXPECT_EQ(info.semume, 500);
	EXPECT_GE(max, id & 0x7fff);
	EXPECT_EQ(semctl(0, 0, SEM_INFO, (union semun){.__buf = &info}), max);
	EXPECT_GE(info.semusz, 1);
	EXPECT_GE(info.semaem, 4);
	/* SEM_STAT by index gives the id. */
	struct semid_ds ds;
	EXPECT_EQ(semctl(id & 0x7fff, 0, SEM_STAT, (union semun){.buf = &ds}), id);
	EXPECT_EQ(ds.sem_nsems, 4);
	EXPECT_EQ(semctl(id & 0x7fff, 0, SEM_STAT_ANY, (union semun){.buf = &ds}), id);
	rm_set(id);
	EXPECT_ERRNO(semctl(id & 0x7fff, 0, SEM_STAT, (union semun){.buf = &ds}), EINVAL);
}

TEST(sem, permissions)
{
	key_t key = 0x53454d32;
	int stale = semget(key, 0, 0);
	if (stale >= 0)
		semctl(stale, 0, IPC_RMID);
	int id = EXPECT_OK(semget(key, 2, IPC_CREAT | 0604));
	pid_t pid = h_fork();
	if (pid == 0) {
		drop_to_nobody();
		/* Read access through the "other" bits, no write. */
		EXPECT_EQ(semget(key, 2, 0), id);
		EXPECT_EQ(semget(key, 2, 0004), id);
		EXPECT_ERRNO(semget(key, 2, 0600), EACCES);
		/* The size check comes before the permission check. */
		EXPECT_ERRNO(semget(key, 3, 0600), EINVAL);
		EXPECT_EQ(semctl(id, 0, GETVAL), 0);
		EXPECT_OK(op(id, 0, 0, IPC_NOWAIT));
		EXPECT_ERRNO(op(id, 0, 1, 0), EACCES);
		EXPECT_ERRNO(semctl(id, 0, SETVAL, (union semun){.val = 1}), EACCES);
		unsigned short all[2] = {1, 1};
		EXPECT_ERRNO(semctl(id, 0, SETALL, (union semun){.array = all}), EACCES);
		struct semid_ds ds;
		EXPECT_EQ(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
		EXPECT_ERRNO(semctl(id, 0, IPC_SET, (union semun){.buf = &ds}), EPERM);
		EXPECT_ERRNO(semctl(id, 0, IPC_RMID), EPERM);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	struct semid_ds ds;
	EXPECT_EQ(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
	ds.sem_perm.mode = 0600;
	EXPECT_OK(semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
	pid = h_fork();
	if (pid == 0) {
		drop_to_nobody();
		struct semid_ds mine;
		EXPECT_ERRNO(semctl(id, 0, IPC_STAT, (union semun){.buf = &mine}), EACCES);
		EXPECT_ERRNO(semctl(id, 0, GETVAL), EACCES);
		EXPECT_ERRNO(semctl(id, 0, GETNCNT), EACCES);
		unsigned short all[2];
		EXPECT_ERRNO(semctl(id, 0, GETALL, (union semun){.array = all}), EACCES);
		EXPECT_ERRNO(op(id, 0, 0, IPC_NOWAIT), EACCES);
		EXPECT_ERRNO(semctl(id & 0x7fff, 0, SEM_STAT, (union semun){.buf = &mine}),
			     EACCES);
		EXPECT_EQ(semctl(id & 0x7fff, 0, SEM_STAT_ANY, (union semun){.buf = &mine}), id);
		EXPECT_ERRNO(semget(key, 1, 0400), EACCES);
		EXPECT_EQ(semget(key, 1, 0), id);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* Given away: the new owner may remove it. */
	ds.sem_perm.uid = 65534;
	EXPECT_OK(semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
	pid = h_fork();
	if (pid == 0) {
		drop_to_nobody();
		EXPECT_EQ(semctl(id, 0, GETVAL), 0);
		EXPECT_OK(semctl(id, 0, IPC_RMID));
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_ERRNO(semget(key, 1, 0), ENOENT);
}

TEST(sem, proc_files)
{
	proc_ready();
	char text[4096];
	h_read_file("/proc/sys/kernel/sem", text, sizeof(text));
	EXPECT_STREQ(text, "32000\t1024000000\t500\t32000\n");
	key_t key = 0x53454d33;
	int stale = semget(key, 0, 0);
	if (stale >= 0)
		semctl(stale, 0, IPC_RMID);
	int id = EXPECT_OK(semget(key, 5, IPC_CREAT | 0640));
	h_read_file("/proc/sysvipc/sem", text, sizeof(text));
	const char *header =
		"       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n";
	EXPECT_TRUE(strncmp(text, header, strlen(header)) == 0);
	char want[128];
	snprintf(want, sizeof(want), "%10d %10d   640          5 %5u %5u %5u %5u          0 ", key, id,
		 geteuid(), getegid(), geteuid(), getegid());
	EXPECT_TRUE(strstr(text, want) != NULL);
	rm_set(id);
	h_read_file("/proc/sysvipc/sem", text, sizeof(text));
	EXPECT_TRUE(strstr(text, want) == NULL);
	/* Writable: the new limits hold at once. */
	int fd = EXPECT_OK(open("/proc/sys/kernel/sem", O_WRONLY));
	EXPECT_EQ(write(fd, "10 100 2 50\n", 12), 12);
	close(fd);
	h_read_file("/proc/sys/kernel/sem", text, sizeof(text));
	EXPECT_STREQ(text, "10\t100\t2\t50\n");
	EXPECT_ERRNO(semget(IPC_PRIVATE, 11, IPC_CREAT | 0600), EINVAL);
	id = new_set(10);
	struct sembuf three[3] = {{0, 1, 0}, {1, 1, 0}, {2, 1, 0}};
	EXPECT_ERRNO(semop(id, three, 3), E2BIG);
	EXPECT_OK(semop(id, three, 2));
	rm_set(id);
	/* SEMMNI beyond IPCMNI: ERANGE, and only SEMMNI goes back. */
	fd = EXPECT_OK(open("/proc/sys/kernel/sem", O_WRONLY));
	EXPECT_ERRNO(write(fd, "1 2 3 40000\n", 12), ERANGE);
	close(fd);
	h_read_file("/proc/sys/kernel/sem", text, sizeof(text));
	EXPECT_STREQ(text, "1\t2\t3\t50\n");
	fd = EXPECT_OK(open("/proc/sys/kernel/sem", O_WRONLY));
	EXPECT_EQ(write(fd, "32000 1024000000 500 32000\n", 27), 27);
	close(fd);
}
