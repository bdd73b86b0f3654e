/*
 * Suite mempressure, stage 1: the root tmpfs runs full.
 *
 * Linux's initramfs root is a tmpfs limited to half of RAM (init/do_mounts.c
 * rootfs_init_fs_context, mm/shmem.c shmem_default_max_blocks).  A file written until the
 * space runs out ends with ENOSPC (after a short write), never ENOMEM or a crash.  With tmpfs
 * full, what needs no tmpfs block still works: fork, exec, anonymous mmap and munmap (private
 * and shared: shared anonymous memory lives on the kernel's internal shm mount, not on the
 * root), overwriting the file in place, creating an empty file or a directory, truncating a
 * file up (sparse); one byte more in another file gets ENOSPC.  Truncating gives space back
 * at once, unlinking gives all of it back: a second fill writes as much as the first.
 */
#include "stage.h"

#include <sys/mman.h>

static void tmpfs_stage(void *arg)
{
	(void)arg;
	size_t ram = mp_ram();
	size_t bytes;
	int fd = mp_fill_tmpfs("fill", &bytes);
	/* Half of RAM, less what the image and the kernel's accounting take. */
	EXPECT_GE(bytes, ram / 3);
	EXPECT_LE(bytes, ram / 2);
	EXPECT_ERRNO(write(fd, "x", 1), ENOSPC);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, (long long)bytes);
	/* Rewriting written bytes needs no new block. */
	EXPECT_EQ(pwrite(fd, "y", 1, 0), 1);

	/* An inode needs no block: empty files and directories can still be made. */
	int other = EXPECT_OK(open("other", O_RDWR | O_CREAT, 0600));
	EXPECT_ERRNO(write(other, "x", 1), ENOSPC);
	EXPECT_OK(mkdir("dir", 0700));
	/* A sparse file takes no block either. */
	EXPECT_OK(ftruncate(other, 1L << 30));
	char byte = 1;
	EXPECT_EQ(pread(other, &byte, 1, 1L << 29), 1);
	EXPECT_EQ(byte, 0);
	EXPECT_OK(fstat(other, &st));
	EXPECT_EQ(st.st_blocks, 0);
	EXPECT_OK(ftruncate(other, 0));

	/* Fork, exec, anonymous memory. */
	pid_t pid = h_fork();
	if (pid == 0)
		h_exit(7);
	EXPECT_EQ(h_wait_exit(pid), 7);
	mp_expect_fork_exec();
	size_t size = 16 * MP_MIB;
	unsigned long *anon = mp_map_touched(size, 1);
	EXPECT_OK(munmap((char *)anon + size / 2, size / 2));
	EXPECT_EQ(anon[0], 1);
	EXPECT_OK(munmap(anon, size / 2));
	char *shared = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(shared != MAP_FAILED);
	memset(shared, 3, size);
	EXPECT_OK(munmap(shared, size));

	/* Truncating gives space back at once. */
	EXPECT_OK(ftruncate(fd, bytes - 4 * MP_MIB));
	static char chunk[MP_MIB];
	EXPECT_EQ(write(other, chunk, sizeof chunk), (long)sizeof chunk);

	/* Unlinking gives all of it back. */
	EXPECT_OK(close(other));
	EXPECT_OK(unlink("other"));
	EXPECT_OK(close(fd));
	EXPECT_OK(unlink("fill"));
	size_t again;
	fd = mp_fill_tmpfs("fill-again", &again);
	EXPECT_GE(again + MP_MIB, bytes);
	EXPECT_LE(again, bytes + MP_MIB);
	EXPECT_OK(close(fd));
	EXPECT_OK(unlink("fill-again"));
	mp_expect_fork_exec();
}

TEST_ALONE(mempressure, tmpfs_full_gives_enospc_and_space_comes_back)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(tmpfs_stage, NULL);
}
