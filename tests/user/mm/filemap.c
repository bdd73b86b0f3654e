/*
 * Suite filemap: file mappings share the file's page cache with read(2) and
 * write(2).
 *
 * Guards Linux's mm/filemap.c and mm/shmem.c as tmpfs behaves: a MAP_SHARED
 * mapping writes into the file (read(2) sees it at once, and so do other
 * processes' mappings), write(2) shows up in existing mappings, a MAP_PRIVATE
 * mapping sees the file until it writes a page and keeps its own copy after,
 * truncation unmaps the pages past the new end (SIGBUS on touch, private
 * copies included), a shared writable mapping needs the file open for writing
 * (EACCES at mmap and mprotect), write(2) from and read(2) into a mapping of
 * the same file work, reading a hole allocates nothing, and msync(2) checks
 * its arguments as mm/msync.c.  Man pages mmap(2), msync(2), truncate(2).
 */
#include "harness.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PG 4096UL

static int new_file(const char *name, size_t size)
{
	h_tmpdir();
	int fd = EXPECT_OK(open(name, O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_OK(ftruncate(fd, (off_t)size));
	return fd;
}

static char *map(size_t len, int prot, int flags, int fd, off_t off)
{
	char *p = mmap(NULL, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	return p;
}

TEST(filemap, shared_write_is_seen_by_read_and_write_by_mapping)
{
	int fd = new_file("f", 2 * PG);
	char *p = map(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	memcpy(p + PG + 10, "through the map", 15);
	char buf[16] = {0};
	EXPECT_EQ(pread(fd, buf, 15, PG + 10), 15);
	EXPECT_MEMEQ(buf, "through the map", 15);
	EXPECT_EQ(pwrite(fd, "by write", 8, 100), 8);
	EXPECT_MEMEQ(p + 100, "by write", 8);
	/* The size did not change through the mapping. */
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 2 * PG);
	EXPECT_OK(munmap(p, 2 * PG));
	close(fd);
}

TEST(filemap, shared_mappings_of_two_processes_are_one_memory)
{
	int fd = new_file("f", PG);
	volatile char *p = map(PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int go[2], done[2];
	h_pipe(go);
	h_pipe(done);
	pid_t pid = h_fork();
	if (pid == 0) {
		/* A mapping of its own, made after the fork. */
		volatile char *q = map(PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		h_wait_byte(go[0]);
		EXPECT_EQ(q[1], 'p');
		q[2] = 'c';
		p[3] = 'i';
		h_post(done[1]);
		_exit(0);
	}
	p[1] = 'p';
	h_post(go[1]);
	h_wait_byte(done[0]);
	EXPECT_EQ(p[2], 'c');
	EXPECT_EQ(p[3], 'i');
	EXPECT_EQ(h_wait_exit(pid), 0);
	char buf[4];
	EXPECT_EQ(pread(fd, buf, 4, 0), 4);
	EXPECT_MEMEQ(buf, "\0pci", 4);
	munmap((void *)p, PG);
	close(fd);
}

TEST(filemap, private_mapping_sees_the_file_until_it_writes)
{
	int fd = new_file("f", 2 * PG);
	volatile char *p = map(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(p[0], 0);
	EXPECT_EQ(p[PG], 0);
	EXPECT_EQ(pwrite(fd, "A", 1, 0), 1);
	EXPECT_EQ(pwrite(fd, "B", 1, PG), 1);
	/* Not yet written: the mapping shows the file's page. */
	EXPECT_EQ(p[0], 'A');
	EXPECT_EQ(p[PG], 'B');
	/* The first write copies the page; the file keeps its byte. */
	p[0] = 'x';
	char c;
	EXPECT_EQ(pread(fd, &c, 1, 0), 1);
	EXPECT_EQ(c, 'A');
	EXPECT_EQ(pwrite(fd, "C", 1, 1), 1);
	EXPECT_EQ(p[1], 0);
	/* The other page still follows the file. */
	EXPECT_EQ(pwrite(fd, "D", 1, PG), 1);
	EXPECT_EQ(p[PG], 'D');
	munmap((void *)p, 2 * PG);
	close(fd);
}

static void touch_past_truncation(void *arg)
{
	volatile char *p = arg;
	(void)p[PG];
	_exit(0);
}

TEST(filemap, truncation_unmaps_pages_past_the_new_end)
{
	int fd = new_file("f", 2 * PG);
	volatile char *shared = map(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	volatile char *private = map(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	shared[PG] = 's';
	private[PG] = 'p'; /* a private copy */
	EXPECT_EQ(private[PG], 'p');
	EXPECT_OK(ftruncate(fd, PG));
	int core;
	pid_t pid = h_fork();
	if (pid == 0)
		touch_past_truncation((void *)shared);
	EXPECT_EQ(h_wait_signaled(pid, &core), SIGBUS);
	pid = h_fork();
	if (pid == 0)
		touch_past_truncation((void *)private);
	EXPECT_EQ(h_wait_signaled(pid, &core), SIGBUS);
	/* Growing the file again brings back a page of zeros, not the old data. */
	EXPECT_OK(ftruncate(fd, 2 * PG));
	EXPECT_EQ(shared[PG], 0);
	EXPECT_EQ(private[PG], 0);
	munmap((void *)shared, 2 * PG);
	munmap((void *)private, 2 * PG);
	close(fd);
}

TEST(filemap, truncation_zeroes_the_tail_of_the_last_page)
{
	int fd = new_file("f", PG);
	volatile char *p = map(PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	memset((void *)p, 'z', PG);
	EXPECT_OK(ftruncate(fd, 100));
	EXPECT_EQ(p[99], 'z');
	EXPECT_EQ(p[100], 0);
	EXPECT_EQ(p[PG - 1], 0);
	munmap((void *)p, PG);
	close(fd);
}

TEST(filemap, shared_writable_needs_a_writable_file)
{
	int fd = new_file("f", PG);
	close(fd);
	fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	char *p = map(PG, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_ERRNO(mprotect(p, PG, PROT_READ | PROT_WRITE), EACCES);
	munmap(p, PG);
	/* A private mapping may be written: it writes its own copy. */
	p = map(PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	p[0] = 1;
	munmap(p, PG);
	close(fd);
	fd = EXPECT_OK(open("f", O_RDWR));
	p = map(PG, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_OK(mprotect(p, PG, PROT_READ | PROT_WRITE));
	p[0] = 7;
	char c;
	EXPECT_EQ(pread(fd, &c, 1, 0), 1);
	EXPECT_EQ(c, 7);
	munmap(p, PG);
	close(fd);
}

TEST(filemap, read_and_write_through_a_mapping_of_the_same_file)
{
	int fd = new_file("f", 4 * PG);
	char *p = map(4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	memset(p, 'a', PG);
	/* write(2) whose source is page 0 of the file, into page 2. */
	EXPECT_EQ(pwrite(fd, p, PG, 2 * PG), (long)PG);
	EXPECT_EQ(p[2 * PG], 'a');
	EXPECT_EQ(p[3 * PG - 1], 'a');
	/* read(2) whose target is page 3 of the file, from page 0. */
	EXPECT_EQ(pread(fd, p + 3 * PG, PG, 0), (long)PG);
	EXPECT_EQ(p[3 * PG + 17], 'a');
	munmap(p, 4 * PG);
	close(fd);
}

TEST(filemap, reading_a_hole_allocates_nothing)
{
	int fd = new_file("f", 64 * PG);
	char buf[PG];
	memset(buf, 1, sizeof(buf));
	EXPECT_EQ(pread(fd, buf, PG, 10 * PG), (long)PG);
	for (size_t i = 0; i < PG; i++)
		if (buf[i])
			FAIL("byte %zu of a hole is %d", i, buf[i]);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_blocks, 0);
	EXPECT_EQ(pwrite(fd, "x", 1, 5 * PG), 1);
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_blocks, 8);
	close(fd);
}

TEST(filemap, large_file_round_trip_through_read_write_and_mmap)
{
	size_t len = 256 * PG + 123;
	int fd = new_file("f", 0);
	char *src = map(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < len; i++)
		src[i] = (char)(i * 7 + i / 4096);
	EXPECT_EQ(write(fd, src, len), (long)len);
	char *p = map(len, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_MEMEQ(p, src, len);
	char *dst = map(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(read(fd, dst, len + 100), (long)len);
	EXPECT_MEMEQ(dst, src, len);
	munmap(src, len);
	munmap(dst, len);
	munmap(p, len);
	close(fd);
}

TEST(filemap, msync_checks_its_arguments)
{
	int fd = new_file("f", 2 * PG);
	char *p = map(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	p[0] = 1;
	EXPECT_OK(msync(p, 2 * PG, MS_SYNC));
	EXPECT_OK(msync(p, 10, MS_ASYNC | MS_INVALIDATE));
	EXPECT_OK(msync(p, 0, MS_SYNC));
	EXPECT_ERRNO(msync(p + 1, PG, MS_SYNC), EINVAL);
	EXPECT_ERRNO(msync(p, PG, MS_SYNC | MS_ASYNC), EINVAL);
	EXPECT_ERRNO(msync(p, PG, 0x10), EINVAL);
	munmap(p + PG, PG);
	EXPECT_ERRNO(msync(p, 2 * PG, MS_SYNC), ENOMEM);
	EXPECT_ERRNO(msync(p + PG, PG, MS_ASYNC), ENOMEM);
	/* Anonymous memory may be synced too. */
	char *a = map(PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_OK(msync(a, PG, MS_SYNC));
	munmap(a, PG);
	munmap(p, PG);
	close(fd);
}
