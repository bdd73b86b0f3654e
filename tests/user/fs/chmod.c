/*
 * Suite chmod: chmod(2), fchmod(2), fchmodat(2) (raw: the 6.1 syscall has no
 * flags argument), umask(2).
 *
 * Guards Linux's fs/open.c chmod_common (only S_IALLUGO = 07777 of the mode
 * is used, the file type is kept; setuid/setgid/sticky are kept for root;
 * ctime changes, mtime does not; symlinks are followed), fchmod's fdget (an
 * O_PATH fd is EBADF; a read-only fd is fine), and kernel/sys.c umask
 * (returns the old mask, keeps only 0777; init starts with 0022, see
 * init_fs in fs/fs_struct.c).  Man pages chmod(2), umask(2).
 */
#include "harness.h"

#include <sys/stat.h>
#include <time.h>

extern mode_t h_initial_umask;

static unsigned mode_of(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		FAIL("lstat(%s): %s", path, h_errname(errno));
	return st.st_mode;
}

TEST(chmod, sets_permission_bits)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(chmod("f", 0600));
	EXPECT_MODE(mode_of("f") & 07777, 0600);
	EXPECT_OK(chmod("f", 0));
	EXPECT_MODE(mode_of("f") & 07777, 0);
	EXPECT_OK(chmod("f", 0777));
	EXPECT_MODE(mode_of("f"), S_IFREG | 0777);
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(chmod("d", 0500));
	EXPECT_MODE(mode_of("d"), S_IFDIR | 0500);
}

TEST(chmod, type_bits_ignored)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(syscall(SYS_chmod, "f", 0170644));
	EXPECT_MODE(mode_of("f"), S_IFREG | 0644);
	EXPECT_OK(syscall(SYS_chmod, "f", 0xffff0000 | 0640));
	EXPECT_MODE(mode_of("f"), S_IFREG | 0640);
}

TEST(chmod, special_bits_root)
{
	if (geteuid() != 0)
		return; /* setgid is cleared for non-members without CAP_FSETID */
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(chmod("f", 07755));
	EXPECT_MODE(mode_of("f") & 07777, 07755);
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(chmod("d", 01777));
	EXPECT_MODE(mode_of("d") & 07777, 01777);
}

TEST(chmod, follows_symlink)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(symlink("f", "l"));
	EXPECT_OK(chmod("l", 0640));
	EXPECT_MODE(mode_of("f") & 07777, 0640);
	EXPECT_MODE(mode_of("l") & 07777, 0777);
	EXPECT_OK(symlink("nowhere", "dangling"));
	EXPECT_ERRNO(chmod("dangling", 0644), ENOENT);
}

TEST(chmod, changes_ctime_not_mtime)
{
	h_tmpdir();
	h_write_file("f", "");
	struct stat a, b;
	EXPECT_OK(stat("f", &a));
	struct timespec ts = {0, 30 * 1000000L};
	nanosleep(&ts, NULL);
	EXPECT_OK(chmod("f", 0600));
	EXPECT_OK(stat("f", &b));
	EXPECT_EQ(b.st_mtim.tv_sec, a.st_mtim.tv_sec);
	EXPECT_EQ(b.st_mtim.tv_nsec, a.st_mtim.tv_nsec);
	EXPECT_TRUE(b.st_ctim.tv_sec > a.st_ctim.tv_sec ||
		    (b.st_ctim.tv_sec == a.st_ctim.tv_sec &&
		     b.st_ctim.tv_nsec > a.st_ctim.tv_nsec));
}

TEST(chmod, errors)
{
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_OK(symlink("loop", "loop"));
	EXPECT_ERRNO(chmod("missing", 0644), ENOENT);
	EXPECT_ERRNO(chmod("", 0644), ENOENT);
	EXPECT_ERRNO(chmod("f/x", 0644), ENOTDIR);
	EXPECT_ERRNO(chmod("loop", 0644), ELOOP);
	EXPECT_ERRNO(chmod(H_BAD_PTR, 0644), EFAULT);
	EXPECT_ERRNO(chmod(h_name(256), 0644), ENAMETOOLONG);
	EXPECT_ERRNO(chmod(h_longpath(4096), 0644), ENAMETOOLONG);
}

TEST(chmod, fchmod)
{
	h_tmpdir();
	h_write_file("f", "");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_OK(fchmod(fd, 0604));
	EXPECT_MODE(mode_of("f") & 07777, 0604);
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_MODE(st.st_mode & 07777, 0604);
	EXPECT_OK(mkdir("d", 0755));
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_OK(fchmod(dfd, 0711));
	EXPECT_MODE(mode_of("d") & 07777, 0711);
}

TEST(chmod, fchmod_ebadf)
{
	/* Raw syscalls: musl retries an EBADF fchmod through /proc/self/fd. */
	h_tmpdir();
	h_write_file("f", "");
	EXPECT_ERRNO(syscall(SYS_fchmod, -1, 0644), EBADF);
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(syscall(SYS_fchmod, fd, 0644), EBADF);
	int pfd = EXPECT_OK(open("f", O_PATH));
	EXPECT_ERRNO(syscall(SYS_fchmod, pfd, 0600), EBADF);
	EXPECT_MODE(mode_of("f") & 07777, 0644);
}

TEST(chmod, fchmodat)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/f", "");
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_OK(syscall(SYS_fchmodat, dfd, "f", 0600));
	EXPECT_MODE(mode_of("d/f") & 07777, 0600);
	EXPECT_OK(syscall(SYS_fchmodat, AT_FDCWD, "d/f", 0640));
	EXPECT_MODE(mode_of("d/f") & 07777, 0640);
	EXPECT_ERRNO(syscall(SYS_fchmodat, -1, "f", 0600), EBADF);
	EXPECT_ERRNO(syscall(SYS_fchmodat, dfd, "missing", 0600), ENOENT);
	int ffd = EXPECT_OK(open("d/f", O_RDONLY));
	EXPECT_ERRNO(syscall(SYS_fchmodat, ffd, "x", 0600), ENOTDIR);
	/* The libc wrapper with no flags is the same call. */
	EXPECT_OK(fchmodat(dfd, "f", 0604, 0));
	EXPECT_MODE(mode_of("d/f") & 07777, 0604);
}

TEST(chmod, umask_returns_previous)
{
	EXPECT_MODE(umask(077), 022); /* the runner sets 022 */
	EXPECT_MODE(umask(0), 077);
	EXPECT_MODE(umask(0777), 0);
	/* Only the permission bits are kept. */
	EXPECT_MODE(umask(07777), 0777);
	EXPECT_MODE(umask(0170022), 0777);
	EXPECT_MODE(umask(022), 022);
}

TEST(chmod, umask_of_init)
{
	if (!h_is_init())
		return; /* a host shell decides its children's umask */
	EXPECT_MODE(h_initial_umask, 022);
}

TEST(chmod, umask_does_not_affect_chmod)
{
	h_tmpdir();
	umask(0777);
	int fd = EXPECT_OK(open("f", O_RDWR | O_CREAT, 0666));
	EXPECT_MODE(mode_of("f") & 07777, 0);
	EXPECT_OK(fchmod(fd, 0666));
	EXPECT_MODE(mode_of("f") & 07777, 0666);
	EXPECT_OK(mkdir("d", 0777));
	EXPECT_MODE(mode_of("d") & 07777, 0);
	EXPECT_OK(chmod("d", 0777));
	EXPECT_MODE(mode_of("d") & 07777, 0777);
	umask(0);
	EXPECT_OK(open("g", O_RDWR | O_CREAT, 0777));
	EXPECT_MODE(mode_of("g") & 07777, 0777);
}
