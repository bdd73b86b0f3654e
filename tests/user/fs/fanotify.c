/*
 * Suite fanotify: fanotify_init, fanotify_mark and the events and permission
 * decisions of a group.
 *
 * Guards Linux 6.1's fs/notify/fanotify/fanotify_user.c (fanotify_init's and
 * fanotify_mark's checks in their order: EINVAL, EPERM for unprivileged
 * callers outside the 5.13 subset, EBADF, ENOTDIR, EISDIR, ENOENT, EEXIST;
 * read of whole event records with an open fd of the object, EINVAL for a
 * buffer too small; FIONREAD; the fdinfo "fanotify" lines; permission events
 * answered with struct fanotify_response, ENOENT for an unknown fd, the
 * blocked opener denied with EPERM or let through when the group closes;
 * fs.fanotify.max_queued_events and FAN_Q_OVERFLOW) and fanotify.c (inode,
 * parent-with-FAN_EVENT_ON_CHILD, mount and filesystem marks; FAN_ONDIR;
 * ignore masks cleared by a modification unless IGNORED_SURV_MODIFY; merging
 * of events about one file from one process).  Man pages fanotify(7),
 * fanotify_init(2), fanotify_mark(2).
 */
#include "harness.h"
#include "child.h"
#include "../proc/proc.h"

#include <poll.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE 0x400
#endif
#ifndef FAN_MARK_EVICTABLE
#define FAN_MARK_EVICTABLE 0x200
#endif
#ifndef FAN_REPORT_DIR_FID
#define FAN_REPORT_DIR_FID 0x400
#endif
#ifndef FAN_REPORT_NAME
#define FAN_REPORT_NAME 0x800
#endif
#ifndef FAN_REPORT_TARGET_FID
#define FAN_REPORT_TARGET_FID 0x1000
#endif
#ifndef FAN_FS_ERROR
#define FAN_FS_ERROR 0x8000
#endif
#ifndef FAN_RENAME
#define FAN_RENAME 0x10000000
#endif
#ifndef FAN_REPORT_PIDFD
#define FAN_REPORT_PIDFD 0x80
#endif

static int fan_init(unsigned flags, unsigned f_flags)
{
	return syscall(SYS_fanotify_init, flags, f_flags);
}

static int fan_mark(int fd, unsigned flags, uint64_t mask, int dirfd, const char *path)
{
	return syscall(SYS_fanotify_mark, fd, flags, mask, dirfd, path);
}

/* Reads one event, checks its header, returns its mask and fills *fd. */
static uint64_t one_event(int fan, int *fd)
{
	struct fanotify_event_metadata ev;
	ssize_t n = read(fan, &ev, sizeof ev);
	if (n != (ssize_t)sizeof ev)
		FAIL("read %zd (errno %d)", n, errno);
	EXPECT_EQ(ev.event_len, sizeof ev);
	EXPECT_EQ(ev.vers, FANOTIFY_METADATA_VERSION);
	EXPECT_EQ(ev.metadata_len, sizeof ev);
	*fd = ev.fd;
	return ev.mask;
}

static void expect_fd_names(int fd, const char *suffix)
{
	char path[64], link[256] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	EXPECT_OK(readlink(path, link, sizeof link - 1));
	size_t len = strlen(link), want = strlen(suffix);
	if (len < want || strcmp(link + len - want, suffix) != 0)
		FAIL("fd %d is %s, not ...%s", fd, link, suffix);
}

TEST(fanotify, init_flags_and_file)
{
	int fan = EXPECT_OK(fan_init(FAN_CLASS_NOTIF, O_RDONLY));
	EXPECT_EQ(fcntl(fan, F_GETFD), 0);
	EXPECT_EQX(fcntl(fan, F_GETFL), O_RDWR);
	int fan2 = EXPECT_OK(fan_init(FAN_CLOEXEC | FAN_NONBLOCK | FAN_CLASS_CONTENT,
				      O_RDWR | O_CLOEXEC));
	EXPECT_EQ(fcntl(fan2, F_GETFD), FD_CLOEXEC);
	EXPECT_EQX(fcntl(fan2, F_GETFL), O_RDWR | O_NONBLOCK);
	char buf[256];
	EXPECT_ERRNO(read(fan2, buf, sizeof buf), EAGAIN);
	int bytes = -1;
	EXPECT_OK(ioctl(fan2, FIONREAD, &bytes));
	EXPECT_EQ(bytes, 0);
	EXPECT_ERRNO(ioctl(fan2, TCGETS, buf), ENOTTY);
	struct pollfd p = {fan2, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	proc_ready();
	char path[64], link[64] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", fan2);
	EXPECT_OK(readlink(path, link, sizeof link - 1));
	EXPECT_STREQ(link, "anon_inode:[fanotify]");
	/* fdinfo: the group's flags and the event files' flags (O_LARGEFILE added). */
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fan2);
	size_t n = h_read_file(path, buf, sizeof buf - 1);
	buf[n] = 0;
	if (!strstr(buf, "fanotify flags:7 event-flags:88002\n"))
		FAIL("fdinfo: %s", buf);
	/* Errors, in Linux's order. */
	EXPECT_ERRNO(fan_init(0x80000000, O_RDONLY), EINVAL);
	EXPECT_ERRNO(fan_init(FAN_REPORT_PIDFD | FAN_REPORT_TID, O_RDONLY), EINVAL);
	EXPECT_ERRNO(fan_init(FAN_CLASS_NOTIF, O_CREAT), EINVAL);
	EXPECT_ERRNO(fan_init(FAN_CLASS_NOTIF, O_ACCMODE), EINVAL);
	EXPECT_ERRNO(fan_init(FAN_CLASS_CONTENT | FAN_REPORT_FID, O_RDONLY), EINVAL);
	EXPECT_ERRNO(fan_init(FAN_REPORT_FID | FAN_REPORT_NAME, O_RDONLY), EINVAL);
	EXPECT_ERRNO(fan_init(FAN_REPORT_DIR_FID | FAN_REPORT_NAME | FAN_REPORT_TARGET_FID,
			      O_RDONLY),
		     EINVAL);
	EXPECT_ERRNO(fan_init(FAN_CLASS_CONTENT | FAN_CLASS_PRE_CONTENT, O_RDONLY), EINVAL);
	close(fan);
	close(fan2);
}

static void init_as_nobody(void *unused)
{
	(void)unused;
	EXPECT_OK(setgid(65534));
	EXPECT_OK(setuid(65534));
	/* Unprivileged: file ids only, no admin flag. */
	EXPECT_ERRNO(fan_init(FAN_CLASS_NOTIF, O_RDONLY), EPERM);
	EXPECT_ERRNO(fan_init(FAN_REPORT_FID | FAN_CLASS_CONTENT, O_RDONLY), EPERM);
	EXPECT_ERRNO(fan_init(FAN_REPORT_FID | FAN_UNLIMITED_QUEUE, O_RDONLY), EPERM);
	EXPECT_ERRNO(fan_init(FAN_REPORT_FID | FAN_ENABLE_AUDIT, O_RDONLY), EPERM);
	EXPECT_ERRNO(fan_init(FAN_REPORT_FID | 0x80000000, O_RDONLY), EINVAL);
	int fan = EXPECT_OK(fan_init(FAN_REPORT_FID, O_RDONLY));
	/* No mount or filesystem marks for an unprivileged group. */
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN, AT_FDCWD, "/"),
		     EPERM);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN, AT_FDCWD,
			      "/"),
		     EPERM);
}

TEST(fanotify, unprivileged_subset)
{
	h_tmpdir();
	EXPECT_CHILD_OK(init_as_nobody, NULL);
}

TEST(fanotify, mark_errors)
{
	h_tmpdir();
	h_write_file("f", "x");
	EXPECT_OK(mkdir("d", 0755));
	int fan = EXPECT_OK(fan_init(FAN_CLASS_NOTIF, O_RDONLY));
	int pipefd[2];
	EXPECT_OK(pipe(pipefd));
	/* Argument checks come before the descriptor. */
	EXPECT_ERRNO(fan_mark(-1, FAN_MARK_ADD, 1ULL << 32, AT_FDCWD, "f"), EINVAL);
	EXPECT_ERRNO(fan_mark(-1, FAN_MARK_ADD | 0x8000, FAN_OPEN, AT_FDCWD, "f"), EINVAL);
	EXPECT_ERRNO(fan_mark(-1, FAN_MARK_ADD | FAN_MARK_MOUNT | FAN_MARK_FILESYSTEM, FAN_OPEN,
			      AT_FDCWD, "f"),
		     EINVAL);
	EXPECT_ERRNO(fan_mark(-1, FAN_MARK_ADD | FAN_MARK_REMOVE, FAN_OPEN, AT_FDCWD, "f"),
		     EINVAL);
	EXPECT_ERRNO(fan_mark(-1, FAN_MARK_ADD, 0, AT_FDCWD, "f"), EINVAL);
	EXPECT_ERRNO(fan_mark(-1, FAN_MARK_FLUSH | FAN_MARK_ONLYDIR, 0, AT_FDCWD, "f"), EINVAL);
	EXPECT_ERRNO(fan_mark(-1, FAN_MARK_ADD, FAN_Q_OVERFLOW, AT_FDCWD, "f"), EINVAL);
	EXPECT_ERRNO(fan_mark(-1, FAN_MARK_ADD | FAN_MARK_IGNORE | FAN_MARK_IGNORED_MASK,
			      FAN_OPEN, AT_FDCWD, "f"),
		     EINVAL);
	EXPECT_ERRNO(fan_mark(-1, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, "f"), EBADF);
	EXPECT_ERRNO(fan_mark(pipefd[0], FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, "f"), EINVAL);
	/* Group checks, then the path. */
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD, "f"), EINVAL);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD, FAN_CREATE, AT_FDCWD, "d"), EINVAL);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD, FAN_FS_ERROR, AT_FDCWD, "f"), EINVAL);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT | FAN_MARK_EVICTABLE, FAN_OPEN,
			      AT_FDCWD, "f"),
		     EINVAL);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, "missing"), ENOENT);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_ONLYDIR, FAN_OPEN, AT_FDCWD, "f"),
		     ENOTDIR);
	int ffd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_ONLYDIR, FAN_OPEN, ffd, NULL),
		     ENOTDIR);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, NULL), EBADF);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_ACCESS, pipefd[0], NULL),
		     EINVAL);
	/* The 6.0 ignore mask needs IGNORED_SURV_MODIFY on directories and mounts, and
	 * refuses directory-only bits on files. */
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORE, FAN_OPEN, AT_FDCWD, "d"),
		     EISDIR);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORE | FAN_MARK_MOUNT, FAN_OPEN,
			      AT_FDCWD, "d"),
		     EINVAL);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORE, FAN_OPEN | FAN_ONDIR,
			      AT_FDCWD, "f"),
		     ENOTDIR);
	/* Removing what is not there. */
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_REMOVE, FAN_OPEN, AT_FDCWD, "f"), ENOENT);
	/* Conflicting updates of a mark. */
	EXPECT_OK(fan_mark(fan, FAN_MARK_ADD, FAN_OPEN, ffd, NULL));
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_EVICTABLE, FAN_OPEN, AT_FDCWD, "f"),
		     EEXIST);
	EXPECT_OK(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY,
			   FAN_ACCESS, AT_FDCWD, "f"));
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_ACCESS, AT_FDCWD,
			      "f"),
		     EEXIST);
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORE, FAN_ACCESS, AT_FDCWD, "f"),
		     EEXIST);
	EXPECT_OK(fan_mark(fan, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL));
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_REMOVE, FAN_OPEN, AT_FDCWD, "f"), ENOENT);
	/* File-id groups: inode events need no mount mark, FAN_RENAME needs names. */
	int fid = EXPECT_OK(fan_init(FAN_CLASS_NOTIF | FAN_REPORT_FID, O_RDONLY));
	EXPECT_ERRNO(fan_mark(fid, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_CREATE, AT_FDCWD, "d"),
		     EINVAL);
	EXPECT_ERRNO(fan_mark(fid, FAN_MARK_ADD, FAN_RENAME, AT_FDCWD, "d"), EINVAL);
	close(fid);
	close(ffd);
	close(fan);
}

TEST(fanotify, inode_mark_events_with_fd)
{
	h_tmpdir();
	h_write_file("f", "hello");
	int fan = EXPECT_OK(fan_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY));
	EXPECT_OK(fan_mark(fan, FAN_MARK_ADD, FAN_OPEN | FAN_ACCESS | FAN_MODIFY | FAN_CLOSE,
			   AT_FDCWD, "f"));
	proc_ready();
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fan);
	size_t n = h_read_file(path, buf, sizeof buf - 1);
	buf[n] = 0;
	struct stat st;
	EXPECT_OK(stat("f", &st));
	char want[128];
	snprintf(want, sizeof want, "fanotify ino:%lx sdev:%x mflags:0 mask:3b ignored_mask:0",
		 (unsigned long)st.st_ino,
		 (unsigned)(major(st.st_dev) << 20 | minor(st.st_dev)));
	if (!strstr(buf, want))
		FAIL("fdinfo: %s (want %s)", buf, want);

	int fd = EXPECT_OK(open("f", O_RDONLY));
	int evfd;
	EXPECT_EQX(one_event(fan, &evfd), FAN_OPEN);
	EXPECT_GE(evfd, 0);
	expect_fd_names(evfd, "/f");
	EXPECT_EQX(fcntl(evfd, F_GETFL) & O_ACCMODE, O_RDONLY);
	/* The event's file makes no events of its own. */
	EXPECT_EQ(read(evfd, buf, 5), 5);
	close(evfd);
	EXPECT_ERRNO(read(fan, buf, sizeof buf), EAGAIN);
	/* Events about one file from one process merge while queued. */
	EXPECT_EQ(read(fd, buf, 2), 2);
	EXPECT_EQ(read(fd, buf, 2), 2);
	close(fd);
	int bytes = 0;
	EXPECT_OK(ioctl(fan, FIONREAD, &bytes));
	EXPECT_EQ(bytes, (int)sizeof(struct fanotify_event_metadata));
	struct fanotify_event_metadata ev;
	EXPECT_ERRNO(read(fan, &ev, sizeof ev - 1), EINVAL);
	EXPECT_EQX(one_event(fan, &evfd), FAN_ACCESS | FAN_CLOSE_NOWRITE);
	close(evfd);
	fd = EXPECT_OK(open("f", O_WRONLY));
	EXPECT_EQ(write(fd, "x", 1), 1);
	close(fd);
	EXPECT_EQ(read(fan, buf, sizeof buf), (ssize_t)sizeof ev);
	memcpy(&ev, buf, sizeof ev);
	EXPECT_EQX(ev.mask, FAN_OPEN | FAN_MODIFY | FAN_CLOSE_WRITE);
	EXPECT_EQ(ev.pid, getpid());
	close(ev.fd);
	/* Removing the last bits removes the mark. */
	EXPECT_OK(fan_mark(fan, FAN_MARK_REMOVE, FAN_OPEN | FAN_ACCESS | FAN_MODIFY | FAN_CLOSE,
			   AT_FDCWD, "f"));
	EXPECT_ERRNO(fan_mark(fan, FAN_MARK_REMOVE, FAN_OPEN, AT_FDCWD, "f"), ENOENT);
	close(open("f", O_RDONLY));
	EXPECT_ERRNO(read(fan, buf, sizeof buf), EAGAIN);
	close(fan);
}

TEST(fanotify, directory_child_and_mount_marks)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/f", "x");
	int fan = EXPECT_OK(fan_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY));
	/* A directory mark without FAN_EVENT_ON_CHILD hears nothing of its children, and
	 * without FAN_ONDIR nothing of itself. */
	EXPECT_OK(fan_mark(fan, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, "d"));
	close(open("d/f", O_RDONLY));
	close(open("d", O_RDONLY | O_DIRECTORY));
	char buf[256];
	EXPECT_ERRNO(read(fan, buf, sizeof buf), EAGAIN);
	EXPECT_OK(fan_mark(fan, FAN_MARK_ADD, FAN_EVENT_ON_CHILD | FAN_ONDIR, AT_FDCWD, "d"));
	close(open("d/f", O_RDONLY));
	int evfd;
	EXPECT_EQX(one_event(fan, &evfd), FAN_OPEN);
	expect_fd_names(evfd, "/d/f");
	close(evfd);
	close(open("d", O_RDONLY | O_DIRECTORY));
	/* FAN_ONDIR is not reported to groups that report fds. */
	EXPECT_EQX(one_event(fan, &evfd), FAN_OPEN);
	expect_fd_names(evfd, "/d");
	close(evfd);
	EXPECT_OK(fan_mark(fan, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL));
	/* A mount mark: every file of the mount (this test's tmpfs). */
	EXPECT_OK(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_CLOSE_WRITE, AT_FDCWD, "."));
	proc_ready();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fan);
	size_t n = h_read_file(path, buf, sizeof buf - 1);
	buf[n] = 0;
	if (!strstr(buf, "fanotify mnt_id:") || !strstr(buf, "mflags:0 mask:8 ignored_mask:0"))
		FAIL("fdinfo: %s", buf);
	h_write_file("d/g", "y");
	EXPECT_EQX(one_event(fan, &evfd), FAN_CLOSE_WRITE);
	expect_fd_names(evfd, "/d/g");
	close(evfd);
	EXPECT_OK(fan_mark(fan, FAN_MARK_FLUSH | FAN_MARK_MOUNT, 0, AT_FDCWD, NULL));
	h_write_file("d/g", "z");
	EXPECT_ERRNO(read(fan, buf, sizeof buf), EAGAIN);
	close(fan);
}

TEST(fanotify, ignore_masks)
{
	h_tmpdir();
	h_write_file("a", "x");
	h_write_file("b", "x");
	int fan = EXPECT_OK(fan_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY));
	EXPECT_OK(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN | FAN_CLOSE_NOWRITE,
			   AT_FDCWD, "."));
	/* A legacy ignore mask on a file: gone with its first modification. */
	EXPECT_OK(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN, AT_FDCWD, "a"));
	EXPECT_OK(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK |
					FAN_MARK_IGNORED_SURV_MODIFY,
			   FAN_OPEN | FAN_CLOSE_NOWRITE, AT_FDCWD, "b"));
	close(open("a", O_RDONLY));
	int evfd;
	EXPECT_EQX(one_event(fan, &evfd), FAN_CLOSE_NOWRITE);
	close(evfd);
	close(open("b", O_RDONLY));
	char buf[256];
	EXPECT_ERRNO(read(fan, buf, sizeof buf), EAGAIN);
	h_write_file("a", "y");
	h_write_file("b", "y");
	close(open("a", O_RDONLY));
	EXPECT_EQX(one_event(fan, &evfd), FAN_OPEN | FAN_CLOSE_NOWRITE);
	close(evfd);
	close(open("b", O_RDONLY));
	EXPECT_ERRNO(read(fan, buf, sizeof buf), EAGAIN);
	close(fan);
}

static int g_fan;

static void open_blocked(void *expect)
{
	/* The child's copy of the group's descriptor would keep the group open. */
	close(g_fan);
	int fd = open("guarded", O_RDONLY);
	if (expect == NULL) {
		CHK(fd >= 0);
	} else {
		CHK(fd < 0 && errno == EPERM);
	}
	_exit(0);
}

static int perm_event_fd(int fan)
{
	struct pollfd p = {fan, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 10000), 1);
	int evfd;
	EXPECT_EQX(one_event(fan, &evfd), FAN_OPEN_PERM);
	return evfd;
}

static void respond(int fan, int fd, uint32_t response)
{
	struct fanotify_response r = {.fd = fd, .response = response};
	EXPECT_EQ(write(fan, &r, sizeof r), (ssize_t)sizeof r);
}

TEST(fanotify, permission_events)
{
	h_tmpdir();
	h_write_file("guarded", "x");
	int fan = EXPECT_OK(fan_init(FAN_CLASS_CONTENT | FAN_NONBLOCK, O_RDONLY));
	g_fan = fan;
	EXPECT_OK(fan_mark(fan, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD, "guarded"));
	/* Deny, then allow. */
	pid_t child = h_fork();
	if (child == 0)
		open_blocked((void *)1);
	int evfd = perm_event_fd(fan);
	struct fanotify_response bad = {.fd = evfd, .response = 7};
	EXPECT_ERRNO(write(fan, &bad, sizeof bad), EINVAL);
	EXPECT_ERRNO(write(fan, &bad, 4), EINVAL);
	struct fanotify_response audit = {.fd = evfd, .response = FAN_DENY | FAN_AUDIT};
	EXPECT_ERRNO(write(fan, &audit, sizeof audit), EINVAL);
	struct fanotify_response other = {.fd = evfd + 100, .response = FAN_DENY};
	EXPECT_ERRNO(write(fan, &other, sizeof other), ENOENT);
	respond(fan, evfd, FAN_DENY);
	EXPECT_ERRNO(write(fan, &other, sizeof other), ENOENT);
	close(evfd);
	EXPECT_EQ(h_wait_exit(child), 0);
	child = h_fork();
	if (child == 0)
		open_blocked(NULL);
	evfd = perm_event_fd(fan);
	respond(fan, evfd, FAN_ALLOW);
	close(evfd);
	EXPECT_EQ(h_wait_exit(child), 0);
	/* Closing the group lets a waiting opener through. */
	child = h_fork();
	if (child == 0)
		open_blocked(NULL);
	evfd = perm_event_fd(fan);
	close(evfd);
	close(fan);
	EXPECT_EQ(h_wait_exit(child), 0);
}

TEST(fanotify, queue_overflow)
{
	h_tmpdir();
	char old[32] = {0};
	h_read_file("/proc/sys/fs/fanotify/max_queued_events", old, sizeof old - 1);
	h_write_file("/proc/sys/fs/fanotify/max_queued_events", "3\n");
	int fan = EXPECT_OK(fan_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY));
	h_write_file("/proc/sys/fs/fanotify/max_queued_events", old);
	char name[8];
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "f%d", i);
		h_write_file(name, "x");
	}
	EXPECT_OK(fan_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN, AT_FDCWD, "."));
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "f%d", i);
		close(open(name, O_RDONLY));
	}
	struct fanotify_event_metadata ev[8];
	ssize_t n = read(fan, ev, sizeof ev);
	EXPECT_EQ(n, (ssize_t)(4 * sizeof ev[0]));
	for (int i = 0; i < 3; i++) {
		EXPECT_EQX(ev[i].mask, FAN_OPEN);
		close(ev[i].fd);
	}
	EXPECT_EQX(ev[3].mask, FAN_Q_OVERFLOW);
	EXPECT_EQ(ev[3].fd, FAN_NOFD);
	EXPECT_EQ(ev[3].pid, 0);
	close(fan);
}
