/*
 * Suite shm: System V shared memory as Linux's ipc/shm.c: shmget creates a
 * segment per key (IPC_PRIVATE always a new one), EEXIST with IPC_EXCL,
 * ENOENT without IPC_CREAT, EINVAL for a size of 0 or larger than the
 * existing segment; shmat maps it shared (EINVAL for an unaligned address
 * without SHM_RND, SHM_RDONLY read-only), attachments in two processes see
 * one memory, shm_nattch counts attachments (fork included), shmdt detaches
 * (EINVAL where nothing is attached), IPC_STAT reports size, mode, pids and
 * counts, IPC_SET changes the mode, IPC_RMID frees the key at once and the
 * segment when the last attachment goes (SHM_DEST until then), and stale
 * or bad ids are EINVAL.  Man pages shmget(2), shmat(2), shmctl(2).
 */
#include "harness.h"

#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#define PG 4096UL

TEST(shm, create_attach_and_share)
{
	int id = EXPECT_OK(shmget(IPC_PRIVATE, 3 * PG, IPC_CREAT | 0600));
	struct shmid_ds ds;
	EXPECT_OK(shmctl(id, IPC_STAT, &ds));
	EXPECT_EQ(ds.shm_segsz, 3 * PG);
	EXPECT_MODE(ds.shm_perm.mode & 0777, 0600);
	EXPECT_EQ(ds.shm_nattch, 0);
	EXPECT_EQ(ds.shm_cpid, getpid());
	EXPECT_EQ(ds.shm_perm.uid, geteuid());
	char *p = shmat(id, NULL, 0);
	EXPECT_TRUE(p != (void *)-1);
	EXPECT_EQ(p[0], 0);
	p[PG] = 'p';
	EXPECT_OK(shmctl(id, IPC_STAT, &ds));
	EXPECT_EQ(ds.shm_nattch, 1);
	EXPECT_EQ(ds.shm_lpid, getpid());
	EXPECT_TRUE(ds.shm_atime != 0);
	int go[2];
	h_pipe(go);
	pid_t pid = h_fork();
	if (pid == 0) {
		/* The fork's copy counts, and a second attachment too. */
		char *q = shmat(id, NULL, 0);
		EXPECT_TRUE(q != (void *)-1);
		EXPECT_EQ(q[PG], 'p');
		q[2 * PG] = 'c';
		struct shmid_ds cds;
		EXPECT_OK(shmctl(id, IPC_STAT, &cds));
		EXPECT_EQ(cds.shm_nattch, 3);
		EXPECT_OK(shmdt(q));
		h_post(go[1]);
		_exit(0);
	}
	h_wait_byte(go[0]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(p[2 * PG], 'c');
	EXPECT_OK(shmctl(id, IPC_STAT, &ds));
	EXPECT_EQ(ds.shm_nattch, 1);
	EXPECT_OK(shmdt(p));
	EXPECT_ERRNO(shmdt(p), EINVAL);
	EXPECT_OK(shmctl(id, IPC_STAT, &ds));
	EXPECT_EQ(ds.shm_nattch, 0);
	EXPECT_TRUE(ds.shm_dtime != 0);
	EXPECT_OK(shmctl(id, IPC_RMID, NULL));
	EXPECT_ERRNO(shmctl(id, IPC_STAT, &ds), EINVAL);
}

TEST(shm, keys_and_errors)
{
	key_t key = 0x46455252; /* "FERR" */
	int stale = shmget(key, PG, 0);
	if (stale >= 0)
		shmctl(stale, IPC_RMID, NULL);
	EXPECT_ERRNO(shmget(key, PG, 0600), ENOENT);
	int id = EXPECT_OK(shmget(key, 2 * PG, IPC_CREAT | 0640));
	EXPECT_EQ(shmget(key, PG, 0), id);
	EXPECT_EQ(shmget(key, 0, 0), id);
	EXPECT_EQ(shmget(key, 2 * PG, IPC_CREAT), id);
	EXPECT_ERRNO(shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	EXPECT_ERRNO(shmget(key, 3 * PG, 0), EINVAL);
	EXPECT_ERRNO(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	EXPECT_ERRNO(shmat(id, (void *)(PG + 1), 0), EINVAL);
	EXPECT_ERRNO(shmat(-1, NULL, 0), EINVAL);
	EXPECT_ERRNO(shmctl(id, 1000, NULL), EINVAL);
	/* SHM_RND rounds the address down; SHM_RDONLY maps read-only. */
	char *area = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_OK(munmap(area, 4 * PG));
	char *p = shmat(id, area + 5, SHM_RND | SHM_RDONLY);
	EXPECT_TRUE(p == area);
	EXPECT_ERRNO(mprotect(p, PG, PROT_READ | PROT_WRITE), EACCES);
	/* An address in use is refused without SHM_REMAP. */
	EXPECT_ERRNO(shmat(id, p, 0), EINVAL);
	char *again = shmat(id, p, SHM_REMAP);
	EXPECT_TRUE(again == p);
	p[0] = 'w';
	struct shmid_ds ds;
	EXPECT_OK(shmctl(id, IPC_STAT, &ds));
	ds.shm_perm.mode = 0604;
	EXPECT_OK(shmctl(id, IPC_SET, &ds));
	EXPECT_OK(shmctl(id, IPC_STAT, &ds));
	EXPECT_MODE(ds.shm_perm.mode & 0777, 0604);
	/* Removed while attached: the key is free, the segment lives on. */
	EXPECT_OK(shmctl(id, IPC_RMID, NULL));
	EXPECT_ERRNO(shmget(key, PG, 0), ENOENT);
	EXPECT_OK(shmctl(id, IPC_STAT, &ds));
	EXPECT_TRUE(ds.shm_perm.mode & SHM_DEST);
	EXPECT_EQ(ds.shm_perm.__key, IPC_PRIVATE);
	EXPECT_EQ(p[0], 'w');
	EXPECT_OK(shmdt(p));
	EXPECT_ERRNO(shmctl(id, IPC_STAT, &ds), EINVAL);
}

TEST(shm, info)
{
	int id = EXPECT_OK(shmget(IPC_PRIVATE, PG, IPC_CREAT | 0600));
	struct shminfo info;
	EXPECT_GE(shmctl(0, IPC_INFO, (struct shmid_ds *)&info), 0);
	EXPECT_EQ(info.shmmin, 1);
	EXPECT_EQ(info.shmmni, 4096);
	struct shm_info usage;
	EXPECT_GE(shmctl(0, SHM_INFO, (struct shmid_ds *)&usage), 0);
	EXPECT_GE(usage.used_ids, 1);
	EXPECT_OK(shmctl(id, IPC_RMID, NULL));
}
