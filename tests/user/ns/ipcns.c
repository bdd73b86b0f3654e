/*
 * Suite ipcns: IPC namespaces.
 *
 * Guards Linux 6.1's ipc/namespace.c: a new IPC namespace has no System V
 * objects of its creator's (keys are not found, ids are EINVAL), its own
 * kernel.msgmni/sem and fs.mqueue settings with Linux's defaults, and its own
 * mqueue filesystem; setns back finds the old objects again.  Man pages
 * ipc_namespaces(7), setns(2).
 */
#include "ns.h"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define KEY 0x6e73ab

TEST(ipcns, objects_are_separate)
{
	proc_ready();
	int shm = EXPECT_OK(shmget(KEY, 4096, IPC_CREAT | 0600));
	int msg = EXPECT_OK(msgget(KEY, IPC_CREAT | 0600));
	int sem = EXPECT_OK(semget(KEY, 1, IPC_CREAT | 0600));
	long mq = syscall(SYS_mq_open, "nsq", O_CREAT | O_RDWR, 0600, NULL);
	EXPECT_TRUE(mq >= 0);
	pid_t pid = h_fork();
	if (pid == 0) {
		int ipc = EXPECT_OK(open("/proc/self/ns/ipc", O_RDONLY));
		EXPECT_EQ(ns_unshare(CLONE_NEWIPC), 0);
		EXPECT_ERRNO(shmget(KEY, 0, 0), ENOENT);
		EXPECT_ERRNO(msgget(KEY, 0), ENOENT);
		EXPECT_ERRNO(semget(KEY, 0, 0), ENOENT);
		EXPECT_ERRNO(shmat(shm, NULL, 0) == (void *)-1 ? -1 : 0, EINVAL);
		struct msqid_ds ds;
		EXPECT_ERRNO(msgctl(msg, IPC_STAT, &ds), EINVAL);
		EXPECT_ERRNO(syscall(SYS_mq_open, "nsq", O_RDONLY, 0, NULL), ENOENT);
		/* A new object with the same key is this namespace's. */
		int mine = EXPECT_OK(shmget(KEY, 8192, IPC_CREAT | 0600));
		struct shmid_ds sds;
		EXPECT_EQ(shmctl(mine, IPC_STAT, &sds), 0);
		EXPECT_EQ(sds.shm_segsz, 8192);
		EXPECT_EQ(shmctl(mine, IPC_RMID, NULL), 0);
		/* Back in the old namespace the old segment is there. */
		EXPECT_EQ(ns_setns(ipc, CLONE_NEWIPC), 0);
		void *at = shmat(shm, NULL, 0);
		EXPECT_TRUE(at != (void *)-1);
		EXPECT_EQ(shmdt(at), 0);
		EXPECT_EQ(shmget(KEY, 0, 0), shm);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(shmget(KEY, 0, 0), shm);
	EXPECT_EQ(shmctl(shm, IPC_RMID, NULL), 0);
	EXPECT_EQ(msgctl(msg, IPC_RMID, NULL), 0);
	EXPECT_EQ(semctl(sem, 0, IPC_RMID), 0);
	close((int)mq);
	EXPECT_EQ(syscall(SYS_mq_unlink, "nsq"), 0);
}

static void limits(void *arg)
{
	(void)arg;
	char text[64];
	EXPECT_EQ(ns_unshare(CLONE_NEWIPC), 0);
	h_read_file("/proc/sys/kernel/msgmni", text, sizeof text);
	EXPECT_STREQ(text, "32000\n");
	h_read_file("/proc/sys/fs/mqueue/queues_max", text, sizeof text);
	EXPECT_STREQ(text, "256\n");
	EXPECT_EQ(ns_write("/proc/sys/kernel/msgmni", "7"), 0);
	EXPECT_EQ(ns_write("/proc/sys/fs/mqueue/queues_max", "3"), 0);
	h_read_file("/proc/sys/kernel/msgmni", text, sizeof text);
	EXPECT_STREQ(text, "7\n");
}

TEST(ipcns, limits_per_namespace)
{
	proc_ready();
	char before[64], mq_before[64], after[64];
	h_read_file("/proc/sys/kernel/msgmni", before, sizeof before);
	h_read_file("/proc/sys/fs/mqueue/queues_max", mq_before, sizeof mq_before);
	EXPECT_CHILD_OK(limits, NULL);
	h_read_file("/proc/sys/kernel/msgmni", after, sizeof after);
	EXPECT_STREQ(after, before);
	h_read_file("/proc/sys/fs/mqueue/queues_max", after, sizeof after);
	EXPECT_STREQ(after, mq_before);
}

TEST(ipcns, clone_newipc)
{
	proc_ready();
	int shm = EXPECT_OK(shmget(KEY + 1, 4096, IPC_CREAT | 0600));
	pid_t pid = ns_clone(CLONE_NEWIPC);
	EXPECT_TRUE(pid >= 0);
	if (pid == 0)
		h_exit(shmget(KEY + 1, 0, 0) == -1 && errno == ENOENT ? 0 : 1);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(shmctl(shm, IPC_RMID, NULL), 0);
}
