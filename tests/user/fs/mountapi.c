/*
 * Suite mountapi: the new mount API, fsopen(2), fsconfig(2), fsmount(2),
 * move_mount(2), open_tree(2), fspick(2) and mount_setattr(2).
 *
 * Guards Linux 6.1's fs/fsopen.c and fs/namespace.c: each call's flag and
 * argument checks in their order (EINVAL, EOPNOTSUPP for an unknown fsconfig
 * command, EBADF, EINVAL for a descriptor that is not a context, ENODEV for
 * an unknown type, EPERM without CAP_SYS_ADMIN), the phases of a context
 * (EBUSY for a command in the wrong one), the context's message log read
 * back with read(2) (ENODATA when empty), fsmount's O_PATH descriptor of a
 * detached mount that move_mount attaches once, open_tree's O_PATH open and
 * OPEN_TREE_CLONE copy, fspick's reconfiguration (ro/rw), and
 * mount_setattr's attr_set/attr_clr/propagation with AT_RECURSIVE.
 * Man pages: fsopen(2), fsconfig(2), fsmount(2), move_mount(2),
 * open_tree(2), fspick(2), mount_setattr(2) (Linux man-pages 6.x).
 *
 * Every test that mounts does it in a child and detaches what it mounted
 * afterwards.
 */
#include "harness.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#define K_SYS_open_tree 428
#define K_SYS_move_mount 429
#define K_SYS_fsopen 430
#define K_SYS_fsconfig 431
#define K_SYS_fsmount 432
#define K_SYS_fspick 433
#define K_SYS_mount_setattr 442

#define K_FSCONFIG_SET_FLAG 0
#define K_FSCONFIG_SET_STRING 1
#define K_FSCONFIG_SET_BINARY 2
#define K_FSCONFIG_SET_PATH 3
#define K_FSCONFIG_SET_FD 5
#define K_FSCONFIG_CMD_CREATE 6
#define K_FSCONFIG_CMD_RECONFIGURE 7

#define K_MOUNT_ATTR_RDONLY 0x1
#define K_MOUNT_ATTR_NOSUID 0x2
#define K_MOUNT_ATTR_NODEV 0x4
#define K_MOUNT_ATTR_NOEXEC 0x8
#define K_MOUNT_ATTR__ATIME 0x70
#define K_MOUNT_ATTR_NOATIME 0x10
#define K_MOUNT_ATTR_STRICTATIME 0x20
#define K_MOUNT_ATTR_IDMAP 0x100000

#define K_MOVE_MOUNT_F_EMPTY_PATH 0x4
#define K_OPEN_TREE_CLONE 1
#define K_AT_RECURSIVE 0x8000
#define K_ST_RDONLY 0x0001
#define K_ST_NOSUID 0x0002
#define K_ST_NOEXEC 0x0008
#define K_TMPFS_MAGIC 0x01021994
#define NOBODY 65534

struct k_mount_attr {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

static long r_fsopen(const char *name, unsigned flags)
{
	return syscall(K_SYS_fsopen, name, flags);
}

static long r_fsconfig(int fd, unsigned cmd, const void *key,
		       const void *value, int aux)
{
	return syscall(K_SYS_fsconfig, fd, cmd, key, value, aux);
}

static long r_fsmount(int fd, unsigned flags, unsigned attr)
{
	return syscall(K_SYS_fsmount, fd, flags, attr);
}

static long r_move_mount(int from_dfd, const char *from, int to_dfd,
			 const char *to, unsigned flags)
{
	return syscall(K_SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

static long r_open_tree(int dfd, const char *name, unsigned flags)
{
	return syscall(K_SYS_open_tree, dfd, name, flags);
}

static long r_fspick(int dfd, const char *name, unsigned flags)
{
	return syscall(K_SYS_fspick, dfd, name, flags);
}

static long r_setattr(int dfd, const char *name, unsigned flags,
		      struct k_mount_attr *attr, size_t size)
{
	return syscall(K_SYS_mount_setattr, dfd, name, flags, attr, size);
}

static int is_root(void)
{
	return geteuid() == 0;
}

static const char *const points[] = {"m", "m2", "c", "pr", NULL};

static void detach_all(void)
{
	for (int i = 0; points[i]; i++)
		for (int n = 0; n < 8 && umount2(points[i], MNT_DETACH) == 0; n++)
			;
}

static void in_child(void (*fn)(void *))
{
	pid_t pid = h_fork();
	if (pid == 0) {
		fn(NULL);
		h_exit(0);
	}
	siginfo_t info;
	while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) != 0 &&
	       errno == EINTR)
		;
	detach_all();
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static unsigned long st_flags(const char *path)
{
	struct statfs s;
	if (statfs(path, &s) != 0)
		FAIL("statfs(%s): %s", path, h_errname(errno));
	return s.f_flags;
}

/* A tmpfs context, created, with the given size= option. */
static int created_tmpfs(const char *size)
{
	int fs = EXPECT_OK(r_fsopen("tmpfs", 0));
	EXPECT_OK(r_fsconfig(fs, K_FSCONFIG_SET_STRING, "source", "apisrc", 0));
	if (size)
		EXPECT_OK(r_fsconfig(fs, K_FSCONFIG_SET_STRING, "size", size, 0));
	EXPECT_OK(r_fsconfig(fs, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	return fs;
}

static void fsopen_fsconfig_errors(void *arg)
{
	(void)arg;
	EXPECT_ERRNO(r_fsopen("no-such-fs", 0), ENODEV);
	EXPECT_ERRNO(r_fsopen("tmpfs", 2), EINVAL);
	EXPECT_ERRNO(r_fsopen((const char *)8, 0), EFAULT);
	int fs = EXPECT_OK(r_fsopen("tmpfs", 1));
	EXPECT_EQ(fcntl(fs, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_EQ(fcntl(fs, F_GETFL) & O_ACCMODE, O_RDWR);
	/* A negative descriptor, the command's shape, then the descriptor. */
	EXPECT_ERRNO(r_fsconfig(-1, 100, NULL, NULL, 0), EINVAL);
	EXPECT_ERRNO(r_fsconfig(999, 100, NULL, NULL, 0), EOPNOTSUPP);
	EXPECT_ERRNO(r_fsconfig(999, K_FSCONFIG_SET_FLAG, "ro", "x", 0), EINVAL);
	EXPECT_ERRNO(r_fsconfig(999, K_FSCONFIG_SET_FLAG, NULL, NULL, 0), EINVAL);
	EXPECT_ERRNO(r_fsconfig(999, K_FSCONFIG_SET_STRING, "size", NULL, 0), EINVAL);
	EXPECT_ERRNO(r_fsconfig(999, K_FSCONFIG_SET_BINARY, "k", "v", 0), EINVAL);
	EXPECT_ERRNO(r_fsconfig(999, K_FSCONFIG_SET_PATH, "k", "v", -5), EINVAL);
	EXPECT_ERRNO(r_fsconfig(999, K_FSCONFIG_SET_FD, "k", NULL, -1), EINVAL);
	EXPECT_ERRNO(r_fsconfig(999, K_FSCONFIG_CMD_CREATE, "k", NULL, 0), EINVAL);
	EXPECT_ERRNO(r_fsconfig(999, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0), EBADF);
	EXPECT_ERRNO(r_fsconfig(0, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0), EINVAL);
	/* Reconfiguring is for fspick's contexts. */
	EXPECT_ERRNO(r_fsconfig(fs, K_FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0), EBUSY);
	/* The log: empty, then one message per read. */
	char buf[256];
	EXPECT_ERRNO(read(fs, buf, sizeof(buf)), ENODATA);
	EXPECT_OK(r_fsconfig(fs, K_FSCONFIG_SET_STRING, "source", "one", 0));
	EXPECT_ERRNO(r_fsconfig(fs, K_FSCONFIG_SET_STRING, "source", "two", 0), EINVAL);
	EXPECT_ERRNO(r_fsconfig(fs, K_FSCONFIG_SET_FLAG, "source", NULL, 0), EINVAL);
	ssize_t n = EXPECT_OK(read(fs, buf, sizeof(buf) - 1));
	buf[n] = 0;
	EXPECT_STREQ(buf, "e Multiple sources\n");
	/* Too small a buffer: EMSGSIZE, and the message stays. */
	EXPECT_ERRNO(read(fs, buf, 4), EMSGSIZE);
	n = EXPECT_OK(read(fs, buf, sizeof(buf) - 1));
	buf[n] = 0;
	EXPECT_STREQ(buf, "e Non-string source\n");
	EXPECT_ERRNO(read(fs, buf, sizeof(buf)), ENODATA);
	/* Parameters and create; then the context waits for fsmount. */
	EXPECT_OK(r_fsconfig(fs, K_FSCONFIG_SET_FLAG, "ro", NULL, 0));
	EXPECT_OK(r_fsconfig(fs, K_FSCONFIG_SET_STRING, "mode", "0700", 0));
	EXPECT_OK(r_fsconfig(fs, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	EXPECT_ERRNO(r_fsconfig(fs, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0), EBUSY);
	EXPECT_ERRNO(r_fsconfig(fs, K_FSCONFIG_SET_FLAG, "ro", NULL, 0), EBUSY);
	close(fs);
}

TEST(mountapi, fsopen_fsconfig_errors)
{
	h_tmpdir();
	if (!is_root())
		return;
	in_child(fsopen_fsconfig_errors);
}

static void fsmount_move_mount(void *arg)
{
	(void)arg;
	mkdir("m", 0755);
	mkdir("m2", 0755);
	h_write_file("file", "x");
	/* fsmount's checks. */
	int fs = EXPECT_OK(r_fsopen("tmpfs", 0));
	EXPECT_ERRNO(r_fsmount(fs, 2, 0), EINVAL);
	EXPECT_ERRNO(r_fsmount(fs, 0, 0x40000000), EINVAL);
	EXPECT_ERRNO(r_fsmount(fs, 0, K_MOUNT_ATTR__ATIME), EINVAL);
	EXPECT_ERRNO(r_fsmount(-1, 0, 0), EBADF);
	EXPECT_ERRNO(r_fsmount(0, 0, 0), EINVAL);
	/* Not created yet. */
	EXPECT_ERRNO(r_fsmount(fs, 0, 0), EINVAL);
	close(fs);
	fs = created_tmpfs("64k");
	int mfd = EXPECT_OK(r_fsmount(fs, 1, K_MOUNT_ATTR_NOSUID | K_MOUNT_ATTR_NOEXEC));
	EXPECT_EQ(fcntl(mfd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_EQ(fcntl(mfd, F_GETFL) & O_PATH, O_PATH);
	struct statfs s;
	EXPECT_OK(fstatfs(mfd, &s));
	EXPECT_EQX(s.f_type, K_TMPFS_MAGIC);
	EXPECT_EQ(s.f_blocks, 16);
	/* move_mount's checks, then the attach. */
	EXPECT_ERRNO(r_move_mount(mfd, "", AT_FDCWD, "m", 0x8000), EINVAL);
	EXPECT_ERRNO(r_move_mount(mfd, "", AT_FDCWD, "m", 0), ENOENT);
	EXPECT_ERRNO(r_move_mount(mfd, "", AT_FDCWD, "file",
				  K_MOVE_MOUNT_F_EMPTY_PATH),
		     EINVAL);
	EXPECT_OK(r_move_mount(mfd, "", AT_FDCWD, "m", K_MOVE_MOUNT_F_EMPTY_PATH));
	EXPECT_EQX(st_flags("m") & (K_ST_NOSUID | K_ST_NOEXEC),
		   K_ST_NOSUID | K_ST_NOEXEC);
	h_write_file("m/inside", "y");
	/* Attached: a second move_mount moves it as MS_MOVE. */
	EXPECT_OK(r_move_mount(AT_FDCWD, "m", AT_FDCWD, "m2", 0));
	struct stat st;
	EXPECT_OK(stat("m2/inside", &st));
	EXPECT_ERRNO(stat("m/inside", &st), ENOENT);
	close(mfd);
	/* A context is mounted once. */
	EXPECT_ERRNO(r_fsmount(fs, 0, K_MOUNT_ATTR_RDONLY), EBUSY);
	close(fs);
	fs = created_tmpfs(NULL);
	int mfd2 = EXPECT_OK(r_fsmount(fs, 0, K_MOUNT_ATTR_RDONLY));
	EXPECT_OK(r_move_mount(mfd2, "", AT_FDCWD, "m", K_MOVE_MOUNT_F_EMPTY_PATH));
	EXPECT_EQX(st_flags("m") & K_ST_RDONLY, K_ST_RDONLY);
	EXPECT_ERRNO(open("m/new", O_CREAT | O_WRONLY, 0644), EROFS);
	close(mfd2);
	close(fs);
}

TEST(mountapi, fsmount_and_move_mount)
{
	h_tmpdir();
	if (!is_root())
		return;
	in_child(fsmount_move_mount);
}

static void tree_and_pick(void *arg)
{
	(void)arg;
	mkdir("m", 0755);
	mkdir("c", 0755);
	int fs = created_tmpfs(NULL);
	int mfd = EXPECT_OK(r_fsmount(fs, 0, 0));
	EXPECT_OK(r_move_mount(mfd, "", AT_FDCWD, "m", K_MOVE_MOUNT_F_EMPTY_PATH));
	close(mfd);
	close(fs);
	h_write_file("m/f", "z");
	/* open_tree's checks. */
	EXPECT_ERRNO(r_open_tree(AT_FDCWD, "m", 0x2), EINVAL);
	EXPECT_ERRNO(r_open_tree(AT_FDCWD, "m", K_AT_RECURSIVE), EINVAL);
	int plain = EXPECT_OK(r_open_tree(AT_FDCWD, "m", O_CLOEXEC));
	EXPECT_EQ(fcntl(plain, F_GETFL) & O_PATH, O_PATH);
	EXPECT_EQ(fcntl(plain, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(plain);
	int tree = EXPECT_OK(r_open_tree(AT_FDCWD, "m", K_OPEN_TREE_CLONE));
	EXPECT_OK(r_move_mount(tree, "", AT_FDCWD, "c", K_MOVE_MOUNT_F_EMPTY_PATH));
	struct stat st;
	EXPECT_OK(stat("c/f", &st));
	close(tree);
	/* fspick: a context to reconfigure the superblock. */
	EXPECT_ERRNO(r_fspick(AT_FDCWD, "m", 0x10), EINVAL);
	mkdir("m/sub", 0755);
	EXPECT_ERRNO(r_fspick(AT_FDCWD, "m/sub", 0), EINVAL);
	int pick = EXPECT_OK(r_fspick(AT_FDCWD, "m", 1));
	EXPECT_EQ(fcntl(pick, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_ERRNO(r_fsconfig(pick, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0), EBUSY);
	EXPECT_ERRNO(r_fsmount(pick, 0, 0), EBUSY);
	EXPECT_OK(r_fsconfig(pick, K_FSCONFIG_SET_FLAG, "ro", NULL, 0));
	EXPECT_OK(r_fsconfig(pick, K_FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0));
	/* Both mounts show the one superblock. */
	EXPECT_EQX(st_flags("m") & K_ST_RDONLY, K_ST_RDONLY);
	EXPECT_EQX(st_flags("c") & K_ST_RDONLY, K_ST_RDONLY);
	EXPECT_ERRNO(open("c/new", O_CREAT | O_WRONLY, 0644), EROFS);
	EXPECT_OK(r_fsconfig(pick, K_FSCONFIG_SET_FLAG, "rw", NULL, 0));
	EXPECT_OK(r_fsconfig(pick, K_FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0));
	EXPECT_EQX(st_flags("m") & K_ST_RDONLY, 0);
	close(pick);
}

TEST(mountapi, open_tree_and_fspick)
{
	h_tmpdir();
	if (!is_root())
		return;
	in_child(tree_and_pick);
}

static void setattr(void *arg)
{
	(void)arg;
	mkdir("m", 0755);
	EXPECT_OK(mount("tmpfs", "m", "tmpfs", 0, NULL));
	mkdir("m/in", 0755);
	EXPECT_OK(mount("tmpfs", "m/in", "tmpfs", 0, NULL));
	struct k_mount_attr a = {0};
	/* Checks before the walk. */
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m", 0x1, &a, sizeof(a)), EINVAL);
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m", 0, &a, 8192), E2BIG);
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m", 0, &a, 16), EINVAL);
	/* Nothing to do: no walk either. */
	EXPECT_OK(r_setattr(AT_FDCWD, "nowhere", 0, &a, sizeof(a)));
	char big[64] = {0};
	big[40] = 1;
	((struct k_mount_attr *)big)->attr_set = K_MOUNT_ATTR_RDONLY;
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m", 0, (void *)big, sizeof(big)), E2BIG);
	a.propagation = 3;
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m", 0, &a, sizeof(a)), EINVAL);
	a.propagation = 0;
	a.attr_set = 1ULL << 40;
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m", 0, &a, sizeof(a)), EINVAL);
	a.attr_set = K_MOUNT_ATTR_NOATIME;
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m", 0, &a, sizeof(a)), EINVAL);
	a.attr_clr = K_MOUNT_ATTR_NOATIME;
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m", 0, &a, sizeof(a)), EINVAL);
	a.attr_set = K_MOUNT_ATTR_IDMAP;
	a.attr_clr = 0;
	a.userns_fd = 1000;
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m", 0, &a, sizeof(a)), EBADF);
	a.userns_fd = 0;
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m", 0, &a, sizeof(a)), EINVAL);
	mkdir("pr", 0755);
	EXPECT_OK(mount("proc", "pr", "proc", 0, NULL));
	int userns = EXPECT_OK(open("pr/self/ns/user", O_RDONLY));
	a.userns_fd = userns;
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m", 0, &a, sizeof(a)), EPERM);
	close(userns);
	/* The walk, then not a mount root. */
	a = (struct k_mount_attr){.attr_set = K_MOUNT_ATTR_RDONLY};
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "nowhere", 0, &a, sizeof(a)), ENOENT);
	mkdir("m/dir", 0755);
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "m/dir", 0, &a, sizeof(a)), EINVAL);
	/* One mount, then the tree. */
	EXPECT_OK(r_setattr(AT_FDCWD, "m", 0, &a, sizeof(a)));
	EXPECT_EQX(st_flags("m") & K_ST_RDONLY, K_ST_RDONLY);
	EXPECT_EQX(st_flags("m/in") & K_ST_RDONLY, 0);
	a = (struct k_mount_attr){.attr_set = K_MOUNT_ATTR_NOSUID,
				  .attr_clr = K_MOUNT_ATTR_RDONLY};
	EXPECT_OK(r_setattr(AT_FDCWD, "m", K_AT_RECURSIVE, &a, sizeof(a)));
	EXPECT_EQX(st_flags("m") & (K_ST_RDONLY | K_ST_NOSUID), K_ST_NOSUID);
	EXPECT_EQX(st_flags("m/in") & (K_ST_RDONLY | K_ST_NOSUID), K_ST_NOSUID);
	/* Atime: the whole field is cleared, one mode set. */
	a = (struct k_mount_attr){.attr_set = K_MOUNT_ATTR_STRICTATIME,
				  .attr_clr = K_MOUNT_ATTR__ATIME};
	EXPECT_OK(r_setattr(AT_FDCWD, "m", 0, &a, sizeof(a)));
	/* Propagation: shared shows in mountinfo. */
	a = (struct k_mount_attr){.propagation = MS_SHARED};
	EXPECT_OK(r_setattr(AT_FDCWD, "m", 0, &a, sizeof(a)));
	a = (struct k_mount_attr){.propagation = MS_PRIVATE};
	EXPECT_OK(r_setattr(AT_FDCWD, "m", K_AT_RECURSIVE, &a, sizeof(a)));
	umount2("m/in", MNT_DETACH);
}

TEST(mountapi, mount_setattr)
{
	h_tmpdir();
	if (!is_root())
		return;
	in_child(setattr);
}

static void unprivileged(void *arg)
{
	(void)arg;
	EXPECT_OK(setuid(NOBODY));
	struct k_mount_attr a = {.attr_set = K_MOUNT_ATTR_RDONLY};
	EXPECT_ERRNO(r_fsopen("tmpfs", 0), EPERM);
	EXPECT_ERRNO(r_fsmount(-1, 0, 0), EPERM);
	EXPECT_ERRNO(r_fspick(AT_FDCWD, "/", 0), EPERM);
	EXPECT_ERRNO(r_move_mount(AT_FDCWD, "/", AT_FDCWD, "/", 0), EPERM);
	EXPECT_ERRNO(r_open_tree(AT_FDCWD, "/", K_OPEN_TREE_CLONE), EPERM);
	EXPECT_ERRNO(r_setattr(AT_FDCWD, "/", 0, &a, sizeof(a)), EPERM);
	/* A plain open_tree is an O_PATH open, for anyone. */
	int fd = EXPECT_OK(r_open_tree(AT_FDCWD, "/", 0));
	close(fd);
}

TEST(mountapi, unprivileged_is_eperm)
{
	h_tmpdir();
	if (!is_root())
		return;
	in_child(unprivileged);
}
