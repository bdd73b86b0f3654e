/*
 * Suite fallocate: fallocate(2), called as the raw syscall.
 *
 * Guards Linux 6.1's fs/open.c vfs_fallocate and mm/shmem.c shmem_fallocate
 * on tmpfs: mode 0 allocates pages and grows the size, FALLOC_FL_KEEP_SIZE
 * allocates without growing (the pages count in st_blocks, and a truncate
 * to the same size drops them), FALLOC_FL_PUNCH_HOLE|KEEP_SIZE zeroes the
 * edges and frees the whole pages in between; mtime and ctime change.  A
 * range larger than the filesystem's size limit is ENOSPC at once.  Errors in
 * Linux's order: EBADF (bad, O_PATH), EINVAL for offset < 0 or len <= 0,
 * EOPNOTSUPP for unknown bits, PUNCH_HOLE without KEEP_SIZE or with
 * ZERO_RANGE, EINVAL for COLLAPSE_RANGE or INSERT_RANGE with other bits and
 * UNSHARE_RANGE with anything but KEEP_SIZE, EBADF unless open for writing,
 * ESPIPE on a pipe, ENODEV on a device, EFBIG past LLONG_MAX, and
 * EOPNOTSUPP from tmpfs for the modes it does not do.  Man page
 * fallocate(2).
 */
#include "harness.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#define K_NO_HIDE_STALE 0x04
#define K_COLLAPSE_RANGE 0x08
#define K_ZERO_RANGE 0x10
#define K_INSERT_RANGE 0x20
#define K_UNSHARE_RANGE 0x40
#define PUNCH (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)

static long r_fallocate(int fd, int mode, long long offset, long long len)
{
	return syscall(SYS_fallocate, fd, mode, offset, len);
}

static struct stat fst(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		FAIL("fstat: %s", h_errname(errno));
	return st;
}

static int open_rw(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		FAIL("open(%s): %s", path, h_errname(errno));
	return fd;
}

TEST(fallocate, mode_zero_allocates_and_grows)
{
	h_tmpdir();
	int fd = open_rw("f");
	EXPECT_EQ(write(fd, "data", 4), 4);
	struct timespec old[2] = {{1000, 0}, {2000, 0}};
	EXPECT_OK(futimens(fd, old));
	EXPECT_EQ(r_fallocate(fd, 0, 100, 3 * 4096), 0);
	struct stat st = fst(fd);
	EXPECT_EQ(st.st_size, 100 + 3 * 4096);
	/* Pages 0..3 (the range starts inside page 0). */
	EXPECT_EQ(st.st_blocks, 4 * 8);
	EXPECT_GT(st.st_mtime, 2000);
	EXPECT_GT(st.st_ctime, 2000);
	EXPECT_EQ(st.st_atime, 1000);
	char buf[8] = "xxxxxxx";
	EXPECT_EQ(pread(fd, buf, 8, 0), 8);
	EXPECT_MEMEQ(buf, "data\0\0\0\0", 8);
	/* Allocating inside the file changes nothing but the times. */
	EXPECT_EQ(r_fallocate(fd, 0, 0, 10), 0);
	EXPECT_EQ(fst(fd).st_size, 100 + 3 * 4096);
	/* The file position does not move. */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 4);
}

TEST(fallocate, keep_size)
{
	h_tmpdir();
	int fd = open_rw("f");
	EXPECT_EQ(write(fd, "abc", 3), 3);
	EXPECT_EQ(r_fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4 * 4096), 0);
	struct stat st = fst(fd);
	EXPECT_EQ(st.st_size, 3);
	EXPECT_EQ(st.st_blocks, 4 * 8);
	/* Far past the end. */
	EXPECT_EQ(r_fallocate(fd, FALLOC_FL_KEEP_SIZE, 100 * 4096, 4096), 0);
	EXPECT_EQ(fst(fd).st_size, 3);
	EXPECT_EQ(fst(fd).st_blocks, 5 * 8);
	/* Truncating, even to the same size, frees the pages past the end. */
	EXPECT_OK(ftruncate(fd, 3));
	EXPECT_EQ(fst(fd).st_blocks, 8);
	char buf[4] = "";
	EXPECT_EQ(pread(fd, buf, 4, 0), 3);
	EXPECT_MEMEQ(buf, "abc", 3);
}

TEST(fallocate, punch_hole)
{
	h_tmpdir();
	int fd = open_rw("f");
	static char data[4 * 4096];
	memset(data, 'x', sizeof data);
	EXPECT_EQ(write(fd, data, sizeof data), (long)sizeof data);
	EXPECT_EQ(fst(fd).st_blocks, 4 * 8);
	/* From the middle of page 0 to the middle of page 3. */
	EXPECT_EQ(r_fallocate(fd, PUNCH, 2048, 3 * 4096), 0);
	struct stat st = fst(fd);
	EXPECT_EQ(st.st_size, 4 * 4096);
	EXPECT_EQ(st.st_blocks, 2 * 8);
	static char back[4 * 4096];
	EXPECT_EQ(pread(fd, back, sizeof back, 0), (long)sizeof back);
	for (int i = 0; i < 4 * 4096; i++) {
		char want = (i < 2048 || i >= 3 * 4096 + 2048) ? 'x' : 0;
		if (back[i] != want)
			FAIL("byte %d is %d, expected %d", i, back[i], want);
	}
	/* Inside one page. */
	EXPECT_EQ(pwrite(fd, "abcdef", 6, 0), 6);
	EXPECT_EQ(r_fallocate(fd, PUNCH, 1, 2), 0);
	EXPECT_EQ(pread(fd, back, 6, 0), 6);
	EXPECT_MEMEQ(back, "a\0\0def", 6);
	/* Past the end and huge: fine, nothing happens. */
	EXPECT_EQ(r_fallocate(fd, PUNCH, 1LL << 40, 1LL << 50), 0);
	EXPECT_EQ(fst(fd).st_size, 4 * 4096);
	/* A whole-file punch frees everything. */
	EXPECT_EQ(r_fallocate(fd, PUNCH, 0, 4 * 4096), 0);
	EXPECT_EQ(fst(fd).st_blocks, 0);
}

TEST(fallocate, punched_hole_seen_through_a_mapping)
{
	h_tmpdir();
	int fd = open_rw("f");
	static char data[3 * 4096];
	memset(data, 'y', sizeof data);
	EXPECT_EQ(write(fd, data, sizeof data), (long)sizeof data);
	char *map = mmap(NULL, sizeof data, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(map != MAP_FAILED);
	EXPECT_EQ(map[4096], 'y');
	EXPECT_EQ(r_fallocate(fd, PUNCH, 4096, 4096), 0);
	EXPECT_EQ(map[4096], 0);
	EXPECT_EQ(map[4095], 'y');
	EXPECT_EQ(map[8192], 'y');
	munmap(map, sizeof data);
}

TEST(fallocate, size_limit)
{
	h_tmpdir();
	int fd = open_rw("f");
	/* More than the whole filesystem (rootfs: half of RAM): ENOSPC at once. */
	EXPECT_ERRNO(r_fallocate(fd, 0, 0, 1LL << 50), ENOSPC);
	EXPECT_ERRNO(r_fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1LL << 50), ENOSPC);
	EXPECT_EQ(fst(fd).st_size, 0);
	EXPECT_EQ(fst(fd).st_blocks, 0);
}

TEST(fallocate, errors)
{
	h_tmpdir();
	int fd = open_rw("f");
	int ro = EXPECT_OK(open("f", O_RDONLY));
	int p = EXPECT_OK(open("f", O_PATH));
	EXPECT_ERRNO(r_fallocate(-1, 0, 0, 1), EBADF);
	EXPECT_ERRNO(r_fallocate(p, 0, 0, 1), EBADF);
	/* The descriptor comes first, then offset and length. */
	EXPECT_ERRNO(r_fallocate(-1, 0, -1, 0), EBADF);
	EXPECT_ERRNO(r_fallocate(fd, 0, -1, 1), EINVAL);
	EXPECT_ERRNO(r_fallocate(fd, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(r_fallocate(fd, 0, 0, -1), EINVAL);
	EXPECT_ERRNO(r_fallocate(ro, 0, -1, 1), EINVAL);
	/* Mode rules, before the access mode. */
	EXPECT_ERRNO(r_fallocate(ro, K_NO_HIDE_STALE, 0, 1), EOPNOTSUPP);
	EXPECT_ERRNO(r_fallocate(ro, 0x80, 0, 1), EOPNOTSUPP);
	EXPECT_ERRNO(r_fallocate(ro, -1, 0, 1), EOPNOTSUPP);
	EXPECT_ERRNO(r_fallocate(ro, FALLOC_FL_PUNCH_HOLE, 0, 1), EOPNOTSUPP);
	EXPECT_ERRNO(r_fallocate(ro, PUNCH | K_ZERO_RANGE, 0, 1), EOPNOTSUPP);
	EXPECT_ERRNO(r_fallocate(ro, K_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 1), EINVAL);
	EXPECT_ERRNO(r_fallocate(ro, K_INSERT_RANGE | FALLOC_FL_KEEP_SIZE, 0, 1), EINVAL);
	EXPECT_ERRNO(r_fallocate(ro, K_UNSHARE_RANGE | PUNCH, 0, 1), EINVAL);
	EXPECT_ERRNO(r_fallocate(ro, 0, 0, 1), EBADF);
	EXPECT_ERRNO(r_fallocate(ro, K_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 1), EBADF);
	/* tmpfs does only allocation and punching. */
	EXPECT_ERRNO(r_fallocate(fd, K_ZERO_RANGE, 0, 1), EOPNOTSUPP);
	EXPECT_ERRNO(r_fallocate(fd, K_COLLAPSE_RANGE, 0, 4096), EOPNOTSUPP);
	EXPECT_ERRNO(r_fallocate(fd, K_INSERT_RANGE, 0, 4096), EOPNOTSUPP);
	EXPECT_ERRNO(r_fallocate(fd, K_UNSHARE_RANGE, 0, 1), EOPNOTSUPP);
	/* Past the largest file. */
	EXPECT_ERRNO(r_fallocate(fd, 0, 0x7fffffffffffff00LL, 0x1000), EFBIG);
	EXPECT_ERRNO(r_fallocate(fd, PUNCH, 0x7fffffffffffff00LL, 0x1000), EFBIG);
	/* Other kinds of file. */
	int pipefd[2];
	EXPECT_OK(pipe(pipefd));
	EXPECT_ERRNO(r_fallocate(pipefd[1], 0, 0, 1), ESPIPE);
	EXPECT_ERRNO(r_fallocate(pipefd[0], 0, 0, 1), EBADF);
	int null = EXPECT_OK(open("/dev/null", O_WRONLY));
	EXPECT_ERRNO(r_fallocate(null, 0, 0, 1), ENODEV);
	int dir = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_ERRNO(r_fallocate(dir, 0, 0, 1), EBADF);
	/* Nothing changed. */
	EXPECT_EQ(fst(fd).st_size, 0);
}
