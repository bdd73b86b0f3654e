/*
 * Suite advice: fadvise64(2), readahead(2), fsync(2)/fdatasync(2), syncfs(2)
 * and sync_file_range(2), called as raw syscalls.
 *
 * Guards Linux 6.1's mm/fadvise.c (generic_fadvise on a filesystem without
 * a backing device: the advice is checked and ignored; ESPIPE on a pipe,
 * EINVAL for a negative length or an unknown advice, a negative offset is
 * fine), mm/readahead.c (ksys_readahead: EBADF unless open for reading,
 * EINVAL unless a regular file) and fs/sync.c (fsync/fdatasync: EINVAL for
 * files whose file_operations have no fsync; syncfs: EBADF only;
 * sync_file_range: EINVAL for unknown flags or a negative or wrapping range,
 * ESPIPE for anything but regular files, directories, symlinks and block
 * devices).  O_PATH descriptors are EBADF everywhere.  Man pages
 * posix_fadvise(2), readahead(2), sync_file_range(2).
 */
#include "harness.h"
#include "../proc/proc.h"
#include <sys/eventfd.h>

#define K_FADV_NORMAL 0
#define K_FADV_DONTNEED 4
#define K_FADV_NOREUSE 5

static long r_fadvise(int fd, long long offset, long long len, int advice)
{
	return syscall(SYS_fadvise64, fd, offset, len, advice);
}

static long r_sfr(int fd, long long offset, long long nbytes, unsigned flags)
{
	return syscall(SYS_sync_file_range, fd, offset, nbytes, flags);
}

TEST(advice, fadvise64)
{
	h_tmpdir();
	h_write_file("f", "data");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	for (int advice = K_FADV_NORMAL; advice <= K_FADV_NOREUSE; advice++)
		EXPECT_EQ(r_fadvise(fd, 0, 0, advice), 0);
	EXPECT_EQ(r_fadvise(fd, 1 << 20, 1 << 30, K_FADV_DONTNEED), 0);
	/* The data is still there after DONTNEED (it has no other home). */
	char buf[8] = "";
	EXPECT_EQ(pread(fd, buf, 8, 0), 4);
	EXPECT_MEMEQ(buf, "data", 4);
	/* A negative offset is accepted, a negative length is not. */
	EXPECT_EQ(r_fadvise(fd, -1, 0, K_FADV_NORMAL), 0);
	EXPECT_ERRNO(r_fadvise(fd, 0, -1, K_FADV_NORMAL), EINVAL);
	EXPECT_ERRNO(r_fadvise(fd, 0, 0, 6), EINVAL);
	EXPECT_ERRNO(r_fadvise(fd, 0, 0, -1), EINVAL);
	/* Write-only files, directories and devices take advice too. */
	int wo = EXPECT_OK(open("f", O_WRONLY));
	EXPECT_EQ(r_fadvise(wo, 0, 0, K_FADV_NORMAL), 0);
	int dir = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(r_fadvise(dir, 0, 0, K_FADV_NORMAL), 0);
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_ERRNO(r_fadvise(p[0], 0, 0, K_FADV_NORMAL), ESPIPE);
	/* ESPIPE before the advice is checked. */
	EXPECT_ERRNO(r_fadvise(p[1], 0, -1, 99), ESPIPE);
	EXPECT_ERRNO(r_fadvise(-1, 0, 0, K_FADV_NORMAL), EBADF);
	int path = EXPECT_OK(open("f", O_PATH));
	EXPECT_ERRNO(r_fadvise(path, 0, 0, K_FADV_NORMAL), EBADF);
}

TEST(advice, readahead)
{
	h_tmpdir();
	h_write_file("f", "data");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(syscall(SYS_readahead, fd, 0, 100), 0);
	EXPECT_EQ(syscall(SYS_readahead, fd, 1 << 30, 1 << 20), 0);
	EXPECT_EQ(syscall(SYS_readahead, fd, -1, 10), 0);
	/* A count beyond LLONG_MAX is a negative length. */
	EXPECT_ERRNO(syscall(SYS_readahead, fd, 0, -1L), EINVAL);
	int wo = EXPECT_OK(open("f", O_WRONLY));
	EXPECT_ERRNO(syscall(SYS_readahead, wo, 0, 10), EBADF);
	int dir = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_ERRNO(syscall(SYS_readahead, dir, 0, 10), EINVAL);
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_ERRNO(syscall(SYS_readahead, p[0], 0, 10), EINVAL);
	EXPECT_ERRNO(syscall(SYS_readahead, p[1], 0, 10), EBADF);
	int null = EXPECT_OK(open("/dev/null", O_RDONLY));
	EXPECT_ERRNO(syscall(SYS_readahead, null, 0, 10), EINVAL);
	int path = EXPECT_OK(open("f", O_PATH));
	EXPECT_ERRNO(syscall(SYS_readahead, path, 0, 10), EBADF);
	EXPECT_ERRNO(syscall(SYS_readahead, -1, 0, 10), EBADF);
}

/* vfs_fsync_range: EINVAL unless the file's operations have fsync, which
 * tmpfs files and directories have (noop_fsync) and pipes, FIFOs, the
 * memory devices, anonymous-inode files and procfs do not. */
TEST(advice, fsync)
{
	proc_ready();
	h_tmpdir();
	h_write_file("f", "data");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(syscall(SYS_fsync, fd), 0);
	EXPECT_EQ(syscall(SYS_fdatasync, fd), 0);
	int dir = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(syscall(SYS_fsync, dir), 0);
	int dev = EXPECT_OK(open("/dev", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(syscall(SYS_fdatasync, dev), 0);
	int memfd = EXPECT_OK((int)syscall(SYS_memfd_create, "m", 0));
	EXPECT_EQ(syscall(SYS_fsync, memfd), 0);
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_ERRNO(syscall(SYS_fsync, p[0]), EINVAL);
	EXPECT_ERRNO(syscall(SYS_fdatasync, p[1]), EINVAL);
	EXPECT_OK(mkfifo("fifo", 0600));
	int fifo = EXPECT_OK(open("fifo", O_RDWR));
	EXPECT_ERRNO(syscall(SYS_fsync, fifo), EINVAL);
	int null = EXPECT_OK(open("/dev/null", O_RDONLY));
	EXPECT_ERRNO(syscall(SYS_fdatasync, null), EINVAL);
	int zero = EXPECT_OK(open("/dev/zero", O_RDWR));
	EXPECT_ERRNO(syscall(SYS_fsync, zero), EINVAL);
	int efd = EXPECT_OK(eventfd(0, 0));
	EXPECT_ERRNO(syscall(SYS_fsync, efd), EINVAL);
	int status = EXPECT_OK(open("/proc/self/status", O_RDONLY));
	EXPECT_ERRNO(syscall(SYS_fsync, status), EINVAL);
	int proc = EXPECT_OK(open("/proc", O_RDONLY | O_DIRECTORY));
	EXPECT_ERRNO(syscall(SYS_fsync, proc), EINVAL);
	/* sysfs files have kernfs's noop_fsync, its directories nothing. */
	int online = EXPECT_OK(open("/sys/devices/system/cpu/online", O_RDONLY));
	EXPECT_EQ(syscall(SYS_fdatasync, online), 0);
	int sys = EXPECT_OK(open("/sys/devices", O_RDONLY | O_DIRECTORY));
	EXPECT_ERRNO(syscall(SYS_fsync, sys), EINVAL);
	int path = EXPECT_OK(open("f", O_PATH));
	EXPECT_ERRNO(syscall(SYS_fsync, path), EBADF);
	EXPECT_ERRNO(syscall(SYS_fdatasync, -1), EBADF);
	close(fd), close(dir), close(dev), close(memfd), close(p[0]), close(p[1]);
	close(fifo), close(null), close(zero), close(efd), close(status);
	close(proc), close(online), close(sys), close(path);
}

TEST(advice, syncfs)
{
	h_tmpdir();
	h_write_file("f", "data");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(syscall(SYS_syncfs, fd), 0);
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_EQ(syscall(SYS_syncfs, p[0]), 0);
	int null = EXPECT_OK(open("/dev/null", O_RDONLY));
	EXPECT_EQ(syscall(SYS_syncfs, null), 0);
	int path = EXPECT_OK(open("f", O_PATH));
	EXPECT_ERRNO(syscall(SYS_syncfs, path), EBADF);
	EXPECT_ERRNO(syscall(SYS_syncfs, -1), EBADF);
}

TEST(advice, sync_file_range)
{
	h_tmpdir();
	h_write_file("f", "data");
	int fd = EXPECT_OK(open("f", O_RDWR));
	EXPECT_EQ(r_sfr(fd, 0, 0, 0), 0);
	EXPECT_EQ(r_sfr(fd, 0, 4, 7), 0);
	EXPECT_EQ(r_sfr(fd, 100, 0, 2), 0);
	/* A read-only descriptor and a directory are fine. */
	int ro = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_EQ(r_sfr(ro, 0, 0, 1), 0);
	int dir = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(r_sfr(dir, 0, 0, 1), 0);
	/* Flags, then the range, then the kind of file. */
	EXPECT_ERRNO(r_sfr(fd, 0, 0, 8), EINVAL);
	EXPECT_ERRNO(r_sfr(fd, 0, 0, 0xffffffffu), EINVAL);
	EXPECT_ERRNO(r_sfr(fd, -1, 0, 1), EINVAL);
	EXPECT_ERRNO(r_sfr(fd, 0, -1, 1), EINVAL);
	EXPECT_ERRNO(r_sfr(fd, 10, -5, 1), EINVAL);
	EXPECT_ERRNO(r_sfr(fd, 0x7fffffffffffffffLL, 10, 1), EINVAL);
	EXPECT_EQ(r_sfr(fd, 0x7fffffffffffffffLL, 0, 1), 0);
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_ERRNO(r_sfr(p[0], 0, 0, 1), ESPIPE);
	EXPECT_ERRNO(r_sfr(p[0], 0, 0, 8), EINVAL);
	int null = EXPECT_OK(open("/dev/null", O_RDWR));
	EXPECT_ERRNO(r_sfr(null, 0, 0, 1), ESPIPE);
	int path = EXPECT_OK(open("f", O_PATH));
	EXPECT_ERRNO(r_sfr(path, 0, 0, 1), EBADF);
	EXPECT_ERRNO(r_sfr(-1, 0, 0, 8), EBADF);
}
