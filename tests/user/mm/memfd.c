/*
 * Suite memfd: memfd_create(2) and file seals as Linux's mm/memfd.c and
 * mm/shmem.c: a memfd is a nameless tmpfs file (mode 0777, no links) open for
 * reading and writing, close-on-exec with MFD_CLOEXEC; names of up to 249
 * bytes are accepted, longer ones and unknown flags are EINVAL.  Without
 * MFD_ALLOW_SEALING (and on every other tmpfs file) the seals are
 * F_SEAL_SEAL, so F_ADD_SEALS is EPERM; F_GET_SEALS on a pipe is EINVAL.
 * F_SEAL_SHRINK and F_SEAL_GROW refuse size changes (EPERM, also for writes
 * past the end), F_SEAL_WRITE refuses writes and shared writable mappings
 * (EPERM; mprotect of a shared read-only mapping EACCES) and is EBUSY while a
 * shared writable mapping exists; unknown seal bits are EINVAL.
 * Man pages memfd_create(2), fcntl(2).
 */
#include "harness.h"
#include "../proc/proc.h"

#include <sys/mman.h>
#include <sys/stat.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#define MFD_ALLOW_SEALING 2U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 1
#define F_SEAL_SHRINK 2
#define F_SEAL_GROW 4
#define F_SEAL_WRITE 8
#endif
#define PG 4096L

static int memfd(const char *name, unsigned flags)
{
	return (int)syscall(SYS_memfd_create, name, flags);
}

TEST(memfd, a_nameless_file_open_for_reading_and_writing)
{
	int fd = EXPECT_OK(memfd("test", MFD_CLOEXEC));
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0777);
	EXPECT_EQ(st.st_nlink, 0);
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(write(fd, "hello", 5), 5);
	char buf[8] = {0};
	EXPECT_EQ(pread(fd, buf, 8, 0), 5);
	EXPECT_MEMEQ(buf, "hello", 5);
	EXPECT_OK(ftruncate(fd, 2 * PG));
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(p[4], 'o');
	p[PG] = 'x';
	EXPECT_EQ(pread(fd, buf, 1, PG), 1);
	EXPECT_EQ(buf[0], 'x');
	munmap(p, 2 * PG);
	int plain = EXPECT_OK(memfd("plain", 0));
	EXPECT_EQ(fcntl(plain, F_GETFD), 0);
	close(plain);
	close(fd);
}

TEST(memfd, names_and_flags)
{
	char name[300];
	memset(name, 'n', sizeof(name));
	name[249] = 0;
	int fd = EXPECT_OK(memfd(name, 0));
	close(fd);
	name[249] = 'n';
	name[250] = 0;
	EXPECT_ERRNO(memfd(name, 0), EINVAL);
	EXPECT_ERRNO(memfd("x", 0x100), EINVAL);
	EXPECT_ERRNO(syscall(SYS_memfd_create, (char *)8, 0), EFAULT);
}

TEST(memfd, unsealable_files_carry_f_seal_seal)
{
	int fd = EXPECT_OK(memfd("s", 0));
	EXPECT_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	EXPECT_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(fd);
	h_tmpdir();
	fd = EXPECT_OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	close(fd);
	int fds[2];
	EXPECT_OK(pipe(fds));
	EXPECT_ERRNO(fcntl(fds[0], F_GET_SEALS), EINVAL);
	close(fds[0]);
	close(fds[1]);
}

TEST(memfd, size_seals)
{
	int fd = EXPECT_OK(memfd("size", MFD_ALLOW_SEALING));
	EXPECT_EQ(fcntl(fd, F_GET_SEALS), 0);
	EXPECT_OK(ftruncate(fd, 2 * PG));
	EXPECT_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	EXPECT_ERRNO(ftruncate(fd, PG), EPERM);
	EXPECT_OK(ftruncate(fd, 3 * PG));
	EXPECT_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	EXPECT_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW);
	EXPECT_ERRNO(ftruncate(fd, 4 * PG), EPERM);
	EXPECT_OK(ftruncate(fd, 3 * PG));
	/* Writes inside the file are fine, past its end they are refused. */
	EXPECT_EQ(pwrite(fd, "in", 2, PG), 2);
	EXPECT_ERRNO(pwrite(fd, "out", 3, 3 * PG), EPERM);
	EXPECT_ERRNO(fcntl(fd, F_ADD_SEALS, 0x100), EINVAL);
	EXPECT_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
	EXPECT_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(fd);
}

TEST(memfd, write_seal)
{
	int fd = EXPECT_OK(memfd("write", MFD_ALLOW_SEALING));
	EXPECT_OK(ftruncate(fd, PG));
	char *shared = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_TRUE(shared != MAP_FAILED);
	shared[0] = 's';
	EXPECT_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	EXPECT_OK(munmap(shared, PG));
	EXPECT_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_ERRNO(pwrite(fd, "w", 1, 0), EPERM);
	EXPECT_ERRNO(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	char *ro = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(ro != MAP_FAILED);
	EXPECT_EQ(ro[0], 's');
	EXPECT_ERRNO(mprotect(ro, PG, PROT_READ | PROT_WRITE), EACCES);
	/* A private mapping writes its own copy. */
	char *priv = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_TRUE(priv != MAP_FAILED);
	priv[0] = 'p';
	char c;
	EXPECT_EQ(pread(fd, &c, 1, 0), 1);
	EXPECT_EQ(c, 's');
	munmap(ro, PG);
	munmap(priv, PG);
	close(fd);
}

/* A memfd's name is "/memfd:NAME (deleted)", and /proc/self/fd/N opens the
 * same file again (what LTP's memfd_create01 does): its data, its seals,
 * O_TRUNC truncating it. */
TEST(memfd, reopened_through_proc_fd)
{
	proc_ready();
	int fd = EXPECT_OK(memfd("reopen me", MFD_ALLOW_SEALING));
	char path[64], text[128];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, text, sizeof text - 1);
	EXPECT_TRUE(n > 0);
	text[n > 0 ? n : 0] = 0;
	EXPECT_STREQ(text, "/memfd:reopen me (deleted)");
	EXPECT_EQ(write(fd, "data", 4), 4);
	int again = EXPECT_OK(open(path, O_RDWR));
	struct stat a, b;
	EXPECT_OK(fstat(fd, &a));
	EXPECT_OK(fstat(again, &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_dev, b.st_dev);
	char buf[8] = {0};
	EXPECT_EQ(read(again, buf, 8), 4);
	EXPECT_MEMEQ(buf, "data", 4);
	/* Seals belong to the file, whichever descriptor added them. */
	EXPECT_OK(fcntl(again, F_ADD_SEALS, F_SEAL_GROW));
	EXPECT_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_GROW);
	EXPECT_ERRNO(write(fd, "more", 4), EPERM);
	close(again);
	/* Through O_TRUNC (and O_CREAT, which finds it). */
	EXPECT_OK(fcntl(fd, F_ADD_SEALS, 0));
	int trunc = EXPECT_OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
	EXPECT_OK(fstat(fd, &a));
	EXPECT_EQ(a.st_size, 0);
	/* The mapping's name in /proc/self/maps (the file may not grow: the
	 * mapping stays untouched). */
	char *p = mmap(NULL, PG, PROT_READ, MAP_SHARED, trunc, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	FILE *maps = fopen("/proc/self/maps", "r");
	EXPECT_TRUE(maps != NULL);
	char line[512];
	int found = 0;
	while (fgets(line, sizeof line, maps))
		if (strtoul(line, NULL, 16) == (unsigned long)p &&
		    strstr(line, "/memfd:reopen me (deleted)"))
			found = 1;
	fclose(maps);
	EXPECT_TRUE(found);
	munmap(p, PG);
	close(trunc);
	close(fd);
}
