/*
 * Suite setns: setns(2) by namespace file and by pidfd, and the nsfs files
 * behind /proc/PID/ns (magic links reading "type:[inode]", openable, with
 * the NS_GET_* ioctls).
 *
 * Guards Linux 6.1's kernel/nsproxy.c and fs/nsfs.c: EBADF for a bad
 * descriptor; EINVAL for a file that is neither a namespace file nor a
 * pidfd, for an nstype that is not the file's kind, and for a pidfd with no
 * or non-namespace flags; EPERM without CAP_SYS_ADMIN; joining one's own user
 * namespace is EINVAL.  The link's inode number is the file's st_ino; the
 * ioctls answer EINVAL or EPERM where the man page says, ENOTTY for others.
 * Man pages setns(2), ioctl_ns(2), namespaces(7).
 */
#include "ns.h"

#include <sys/stat.h>

static const char *const kinds[] = {"uts", "ipc", "mnt", "user", "cgroup"};
static const int flags_of[] = {CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNS,
			       CLONE_NEWUSER, CLONE_NEWCGROUP};

TEST(setns, links_and_files)
{
	proc_ready();
	for (unsigned i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
		unsigned long ino = ns_ino("self", kinds[i]);
		struct stat st, lst, fst;
		EXPECT_EQ(stat(path, &st), 0);
		EXPECT_EQ(st.st_ino, ino);
		EXPECT_TRUE(S_ISREG(st.st_mode));
		EXPECT_MODE(st.st_mode & 07777, 0444);
		EXPECT_EQ(lstat(path, &lst), 0);
		EXPECT_TRUE(S_ISLNK(lst.st_mode));
		int fd = EXPECT_OK(open(path, O_RDONLY));
		EXPECT_EQ(fstat(fd, &fst), 0);
		EXPECT_EQ(fst.st_ino, ino);
		EXPECT_EQ(fst.st_dev, st.st_dev);
		EXPECT_EQ(ioctl(fd, NS_GET_NSTYPE), flags_of[i]);
		char byte;
		EXPECT_ERRNO(read(fd, &byte, 1), EINVAL);
		close(fd);
	}
	/* The same namespace through another process's directory. */
	char parent[16];
	snprintf(parent, sizeof parent, "%d", getpid());
	EXPECT_EQ(ns_ino(parent, "uts"), ns_ino("self", "uts"));
	EXPECT_ERRNO(access("/proc/self/ns/nosuch", F_OK), ENOENT);
}

TEST(setns, ioctls)
{
	proc_ready();
	int uts = EXPECT_OK(open("/proc/self/ns/uts", O_RDONLY));
	int user = EXPECT_OK(open("/proc/self/ns/user", O_RDONLY));
	EXPECT_ERRNO(ioctl(uts, NS_GET_PARENT), EINVAL);
	uid_t owner = 12345;
	EXPECT_ERRNO(ioctl(uts, NS_GET_OWNER_UID, &owner), EINVAL);
	EXPECT_ERRNO(ioctl(uts, 0xb7ff), ENOTTY);
	/* An nsfs inode is a regular file to the generic ioctls. */
	int left = -1;
	EXPECT_EQ(ioctl(uts, FIONREAD, &left), 0);
	EXPECT_EQ(left, 0);
	/* The initial user namespace has no owner and no parent. */
	EXPECT_ERRNO(ioctl(user, NS_GET_USERNS), EPERM);
	EXPECT_ERRNO(ioctl(user, NS_GET_PARENT), EPERM);
	EXPECT_EQ(ioctl(user, NS_GET_OWNER_UID, &owner), 0);
	EXPECT_EQ(owner, 0);
	EXPECT_ERRNO(ioctl(user, NS_GET_OWNER_UID, H_BAD_PTR), EFAULT);
	/* The owner of the UTS namespace: a new close-on-exec descriptor. */
	int owner_fd = EXPECT_OK(ioctl(uts, NS_GET_USERNS));
	struct stat a, b;
	EXPECT_EQ(fstat(owner_fd, &a), 0);
	EXPECT_EQ(fstat(user, &b), 0);
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_dev, b.st_dev);
	EXPECT_EQ(fcntl(owner_fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(owner_fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	EXPECT_EQ(ioctl(owner_fd, NS_GET_NSTYPE), CLONE_NEWUSER);
	/* Directories and regular files have none of these. */
	int dir = EXPECT_OK(open("/", O_RDONLY));
	EXPECT_ERRNO(ioctl(dir, NS_GET_NSTYPE), ENOTTY);
	EXPECT_ERRNO(ioctl(dir, NS_GET_USERNS), ENOTTY);
}

static void errors(void *arg)
{
	(void)arg;
	int uts = EXPECT_OK(open("/proc/self/ns/uts", O_RDONLY));
	int ipc = EXPECT_OK(open("/proc/self/ns/ipc", O_RDONLY));
	int mnt = EXPECT_OK(open("/proc/self/ns/mnt", O_RDONLY));
	int path = EXPECT_OK(open("/proc/self/ns/uts", O_PATH));
	h_tmpdir();
	int file = EXPECT_OK(open("plain", O_RDWR | O_CREAT, 0600));
	EXPECT_ERRNO(ns_setns(-1, 0), EBADF);
	EXPECT_ERRNO(ns_setns(1000, CLONE_NEWUTS), EBADF);
	EXPECT_ERRNO(ns_setns(file, 0), EINVAL);
	EXPECT_ERRNO(ns_setns(file, CLONE_NEWUTS), EINVAL);
	EXPECT_ERRNO(ns_setns(path, 0), EBADF);
	EXPECT_ERRNO(ns_setns(uts, -1), EINVAL);
	EXPECT_ERRNO(ns_setns(uts, CLONE_NEWIPC), EINVAL);
	EXPECT_ERRNO(ns_setns(ipc, CLONE_NEWNS), EINVAL);
	/* Joining the namespaces one is in is allowed. */
	EXPECT_EQ(ns_setns(uts, 0), 0);
	EXPECT_EQ(ns_setns(ipc, CLONE_NEWIPC), 0);
	EXPECT_EQ(ns_setns(mnt, CLONE_NEWNS), 0);
	char cwd[64];
	EXPECT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
	EXPECT_STREQ(cwd, "/");
	/* One's own user namespace: EINVAL. */
	int user = EXPECT_OK(open("/proc/self/ns/user", O_RDONLY));
	EXPECT_ERRNO(ns_setns(user, CLONE_NEWUSER), EINVAL);
	/* Without CAP_SYS_ADMIN. */
	EXPECT_EQ(seteuid(NOBODY), 0);
	EXPECT_ERRNO(ns_setns(uts, CLONE_NEWUTS), EPERM);
	EXPECT_ERRNO(ns_setns(ipc, 0), EPERM);
	EXPECT_ERRNO(ns_setns(mnt, 0), EPERM);
}

TEST(setns, errors)
{
	proc_ready();
	EXPECT_CHILD_OK(errors, NULL);
}

static void roundtrip(void *arg)
{
	(void)arg;
	char outer[65], now[65];
	ns_hostname(outer, sizeof outer);
	int uts = EXPECT_OK(open("/proc/self/ns/uts", O_RDONLY));
	unsigned long ino = ns_ino("self", "uts");
	EXPECT_EQ(ns_unshare(CLONE_NEWUTS), 0);
	EXPECT_EQ(sethostname("roundtrip", 9), 0);
	int inner = EXPECT_OK(open("/proc/self/ns/uts", O_RDONLY));
	EXPECT_EQ(ns_setns(uts, CLONE_NEWUTS), 0);
	EXPECT_EQ(ns_ino("self", "uts"), ino);
	ns_hostname(now, sizeof now);
	EXPECT_STREQ(now, outer);
	/* The inner namespace lives on while its file is open. */
	EXPECT_EQ(ns_setns(inner, 0), 0);
	ns_hostname(now, sizeof now);
	EXPECT_STREQ(now, "roundtrip");
}

TEST(setns, uts_roundtrip)
{
	proc_ready();
	EXPECT_CHILD_OK(roundtrip, NULL);
}

TEST(setns, pidfd)
{
	proc_ready();
	int ready[2], done[2];
	h_pipe(ready);
	h_pipe(done);
	pid_t holder = h_fork();
	if (holder == 0) {
		if (ns_unshare(CLONE_NEWUTS) != 0 || sethostname("by-pidfd", 8) != 0)
			h_exit(1);
		h_post(ready[1]);
		h_wait_byte(done[0]);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	pid_t joiner = h_fork();
	if (joiner == 0) {
		int pidfd = EXPECT_OK(syscall(SYS_pidfd_open, holder, 0));
		EXPECT_ERRNO(ns_setns(pidfd, 0), EINVAL);
		EXPECT_ERRNO(ns_setns(pidfd, CLONE_VM), EINVAL);
		EXPECT_ERRNO(ns_setns(pidfd, CLONE_NEWUTS | CLONE_VM), EINVAL);
		EXPECT_EQ(ns_setns(pidfd, CLONE_NEWUTS | CLONE_NEWIPC), 0);
		char now[65];
		ns_hostname(now, sizeof now);
		EXPECT_STREQ(now, "by-pidfd");
		char other[16];
		snprintf(other, sizeof other, "%d", holder);
		EXPECT_EQ(ns_ino("self", "uts"), ns_ino(other, "uts"));
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(joiner), 0);
	h_post(done[1]);
	EXPECT_EQ(h_wait_exit(holder), 0);
}
