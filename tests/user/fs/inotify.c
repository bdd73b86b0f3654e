/*
 * Suite inotify: inotify_init, inotify_init1, inotify_add_watch,
 * inotify_rm_watch and the events of the VFS operations.
 *
 * Guards Linux's fs/notify/inotify/inotify_user.c (init1 flags, the order of
 * add_watch's checks, watch descriptors from 1 that are not reused at once,
 * IN_MASK_ADD / IN_MASK_CREATE updates, IN_ONLYDIR, IN_DONT_FOLLOW, read of
 * whole records with names padded to 16 bytes and EINVAL when the first does
 * not fit, FIONREAD, poll, the fdinfo "inotify wd:" lines and the
 * fs.inotify.max_user_instances / max_user_watches / max_queued_events
 * limits with EMFILE, ENOSPC and IN_Q_OVERFLOW), inotify_fsnotify.c (merging
 * of identical consecutive events, IN_ONESHOT, IN_IGNORED when a watch goes,
 * IN_EXCL_UNLINK) and include/linux/fsnotify.h (which operation sends which
 * event to the object and to its parent directory with its name, in Linux's
 * order: IN_CREATE, IN_OPEN, IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_CLOSE_*,
 * IN_MOVED_FROM / IN_MOVED_TO sharing a cookie, IN_MOVE_SELF, IN_DELETE,
 * IN_DELETE_SELF, IN_UNMOUNT; IN_ISDIR on directory events except the _SELF
 * ones).  Man page inotify(7).
 */
#include "harness.h"
#include "child.h"
#include "../proc/proc.h"

#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

#ifndef IN_MASK_CREATE
#define IN_MASK_CREATE 0x10000000
#endif

static const struct {
	uint32_t bit;
	const char *name;
} mask_names[] = {
	{IN_ACCESS, "ACCESS"},       {IN_MODIFY, "MODIFY"},
	{IN_ATTRIB, "ATTRIB"},       {IN_CLOSE_WRITE, "CLOSE_WRITE"},
	{IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
	{IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
	{IN_CREATE, "CREATE"},       {IN_DELETE, "DELETE"},
	{IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
	{IN_UNMOUNT, "UNMOUNT"},     {IN_Q_OVERFLOW, "Q_OVERFLOW"},
	{IN_IGNORED, "IGNORED"},     {IN_ISDIR, "ISDIR"},
};

static char *put(char *at, char *end, const char *text)
{
	size_t len = strlen(text);
	if (at + len >= end)
		FAIL("event text too long");
	memcpy(at, text, len + 1);
	return at + len;
}

/*
 * Reads every queued event of `fd` (which must be non-blocking) and renders
 * them as "wd:MASK|MASK:name" separated by spaces; cookies of moves are
 * checked (non-zero; a TO right after a FROM has its cookie) and left out.
 */
static const char *events(int fd)
{
	static char text[4096];
	char buf[4096] __attribute__((aligned(8)));
	char *at = text, *end = text + sizeof text;
	uint32_t cookie = 0;
	text[0] = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			FAIL("read(inotify) = %zd (%s)", n, h_errname(errno));
		for (ssize_t i = 0; i < n;) {
			struct inotify_event *e = (void *)(buf + i);
			char item[300];
			if (e->len % 16 != 0)
				FAIL("record len %u is not a multiple of 16", e->len);
			if (e->len && (strlen(e->name) >= e->len))
				FAIL("name not NUL-terminated in its %u bytes", e->len);
			snprintf(item, sizeof item, "%s%d:", at == text ? "" : " ",
				 e->wd);
			at = put(at, end, item);
			int first = 1;
			for (size_t k = 0; k < sizeof mask_names / sizeof *mask_names; k++)
				if (e->mask & mask_names[k].bit) {
					at = put(at, end, first ? "" : "|");
					at = put(at, end, mask_names[k].name);
					first = 0;
				}
			if (e->len) {
				at = put(at, end, ":");
				at = put(at, end, e->name);
			}
			if (e->mask & (IN_MOVED_FROM | IN_MOVED_TO)) {
				if (e->cookie == 0)
					FAIL("move event %#x with cookie 0", e->mask);
				if ((e->mask & IN_MOVED_TO) && cookie &&
				    e->cookie != cookie)
					FAIL("IN_MOVED_TO cookie %u, FROM had %u",
					     e->cookie, cookie);
			} else if (e->cookie != 0) {
				FAIL("cookie %u on a %#x event", e->cookie, e->mask);
			}
			cookie = (e->mask & IN_MOVED_FROM) ? e->cookie : 0;
			i += sizeof *e + e->len;
		}
	}
	return text;
}

static int new_instance(void)
{
	return (int)EXPECT_OK(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
}

static int watch(int fd, const char *path, uint32_t mask)
{
	return (int)EXPECT_OK(inotify_add_watch(fd, path, mask));
}

static void write_to(const char *path, const char *text)
{
	int f = EXPECT_OK(open(path, O_WRONLY | O_APPEND));
	EXPECT_EQ(write(f, text, strlen(text)), (long)strlen(text));
	close(f);
}

TEST(inotify, init_flags_and_file)
{
	int fd = EXPECT_OK(inotify_init());
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	EXPECT_EQX(fcntl(fd, F_GETFL), O_RDONLY);
	int fd2 = EXPECT_OK(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
	EXPECT_EQ(fcntl(fd2, F_GETFD), FD_CLOEXEC);
	EXPECT_EQX(fcntl(fd2, F_GETFL), O_RDONLY | O_NONBLOCK);
	EXPECT_ERRNO(syscall(SYS_inotify_init1, 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_inotify_init1, O_APPEND), EINVAL);
	EXPECT_ERRNO(syscall(SYS_inotify_init1, O_RDWR), EINVAL);
	char buf[64];
	EXPECT_ERRNO(read(fd2, buf, sizeof buf), EAGAIN);
	EXPECT_ERRNO(write(fd2, buf, 1), EBADF);
	EXPECT_ERRNO(pread(fd2, buf, sizeof buf, 0), ESPIPE);
	EXPECT_EQ(lseek(fd2, 0, SEEK_CUR), 0);
	int bytes = -1;
	EXPECT_OK(ioctl(fd2, FIONREAD, &bytes));
	EXPECT_EQ(bytes, 0);
	EXPECT_ERRNO(ioctl(fd2, FIONREAD, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(ioctl(fd2, TCGETS, buf), ENOTTY);
	struct stat st;
	EXPECT_OK(fstat(fd2, &st));
	EXPECT_MODE(st.st_mode, 0600);
	proc_ready();
	char path[64], link[64] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd2);
	EXPECT_OK(readlink(path, link, sizeof link - 1));
	EXPECT_STREQ(link, "anon_inode:inotify");
	struct pollfd p = {fd2, POLLIN | POLLOUT, 0};
	EXPECT_EQ(poll(&p, 1, 0), 0);
}

TEST(inotify, add_watch_errors)
{
	h_tmpdir();
	h_write_file("f", "x");
	EXPECT_OK(symlink("f", "link"));
	int fd = new_instance();
	/* A mask with no inotify bit is refused before the descriptor is looked at. */
	EXPECT_ERRNO(inotify_add_watch(-1, "f", 0), EINVAL);
	EXPECT_ERRNO(inotify_add_watch(fd, "f", 0), EINVAL);
	EXPECT_ERRNO(inotify_add_watch(-1, "f", IN_MODIFY), EBADF);
	EXPECT_ERRNO(inotify_add_watch(999, "f", IN_MODIFY), EBADF);
	EXPECT_ERRNO(inotify_add_watch(fd, "f", IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE),
		     EINVAL);
	int pipefd[2];
	EXPECT_OK(pipe(pipefd));
	EXPECT_ERRNO(inotify_add_watch(pipefd[0], "f", IN_MODIFY), EINVAL);
	/* The descriptor is checked before the path. */
	EXPECT_ERRNO(inotify_add_watch(pipefd[0], "missing", IN_MODIFY), EINVAL);
	EXPECT_ERRNO(inotify_add_watch(fd, "missing", IN_MODIFY), ENOENT);
	EXPECT_ERRNO(inotify_add_watch(fd, "", IN_MODIFY), ENOENT);
	EXPECT_ERRNO(inotify_add_watch(fd, H_BAD_PTR, IN_MODIFY), EFAULT);
	EXPECT_ERRNO(inotify_add_watch(fd, "f", IN_MODIFY | IN_ONLYDIR), ENOTDIR);
	EXPECT_ERRNO(inotify_add_watch(fd, "link", IN_MODIFY | IN_ONLYDIR), ENOTDIR);
	EXPECT_ERRNO(inotify_add_watch(fd, "f/x", IN_MODIFY), ENOTDIR);
	/* Flags alone are enough bits. */
	int wd = watch(fd, "f", IN_ONESHOT);
	EXPECT_EQ(wd, 1);
	EXPECT_ERRNO(inotify_add_watch(fd, "f", IN_MODIFY | IN_MASK_CREATE), EEXIST);
	EXPECT_ERRNO(inotify_rm_watch(fd, 2), EINVAL);
	EXPECT_ERRNO(inotify_rm_watch(fd, -1), EINVAL);
	EXPECT_ERRNO(inotify_rm_watch(pipefd[0], wd), EINVAL);
	EXPECT_ERRNO(inotify_rm_watch(999, wd), EBADF);
	EXPECT_OK(inotify_rm_watch(fd, wd));
	EXPECT_STREQ(events(fd), "1:IGNORED");
	EXPECT_ERRNO(inotify_rm_watch(fd, wd), EINVAL);
}

static void watch_as_nobody(void *unused)
{
	(void)unused;
	EXPECT_OK(setgid(65534));
	EXPECT_OK(setuid(65534));
	int fd = new_instance();
	EXPECT_ERRNO(inotify_add_watch(fd, "secret", IN_MODIFY), EACCES);
	EXPECT_EQ(watch(fd, "open", IN_MODIFY), 1);
}

TEST(inotify, read_permission_needed)
{
	h_tmpdir();
	EXPECT_OK(chmod(".", 0755));
	h_write_file("secret", "x");
	EXPECT_OK(chmod("secret", 0200));
	h_write_file("open", "x");
	EXPECT_CHILD_OK(watch_as_nobody, NULL);
}

TEST(inotify, directory_events)
{
	h_tmpdir();
	int fd = new_instance();
	EXPECT_EQ(watch(fd, ".", IN_ALL_EVENTS), 1);
	EXPECT_OK(chmod(".", 0755));
	int f = EXPECT_OK(open("a", O_CREAT | O_WRONLY, 0644));
	EXPECT_EQ(write(f, "hello", 5), 5);
	EXPECT_EQ(write(f, "hello", 5), 5);
	close(f);
	EXPECT_STREQ(events(fd),
		     "1:ATTRIB|ISDIR 1:CREATE:a 1:OPEN:a 1:MODIFY:a 1:CLOSE_WRITE:a");
	f = EXPECT_OK(open("a", O_RDONLY));
	char buf[16];
	EXPECT_EQ(read(f, buf, sizeof buf), 10);
	EXPECT_EQ(read(f, buf, sizeof buf), 0); /* nothing read: no event */
	close(f);
	EXPECT_OK(chmod("a", 0600));
	EXPECT_OK(truncate("a", 1));
	EXPECT_STREQ(events(fd),
		     "1:OPEN:a 1:ACCESS:a 1:CLOSE_NOWRITE:a 1:ATTRIB:a 1:MODIFY:a");
	EXPECT_OK(rename("a", "b"));
	EXPECT_OK(link("b", "c"));
	EXPECT_OK(symlink("b", "s"));
	EXPECT_OK(unlink("b"));
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(rename("d", "e"));
	EXPECT_OK(rmdir("e"));
	EXPECT_STREQ(events(fd),
		     "1:MOVED_FROM:a 1:MOVED_TO:b 1:CREATE:c 1:CREATE:s 1:DELETE:b "
		     "1:CREATE|ISDIR:d 1:MOVED_FROM|ISDIR:d 1:MOVED_TO|ISDIR:e "
		     "1:DELETE|ISDIR:e");
}

TEST(inotify, file_watch_and_delete_self)
{
	h_tmpdir();
	h_write_file("f", "x");
	int fd = new_instance();
	EXPECT_EQ(watch(fd, "f", IN_ALL_EVENTS), 1);
	EXPECT_EQ(watch(fd, ".", IN_CREATE | IN_DELETE | IN_ATTRIB), 2);
	write_to("f", "more");
	struct timespec both[2] = {{1, 0}, {2, 0}};
	EXPECT_OK(utimensat(AT_FDCWD, "f", both, 0));
	struct timespec atime_only[2] = {{1, 0}, {0, UTIME_OMIT}};
	EXPECT_OK(utimensat(AT_FDCWD, "f", atime_only, 0));
	struct timespec mtime_only[2] = {{0, UTIME_OMIT}, {3, 0}};
	EXPECT_OK(utimensat(AT_FDCWD, "f", mtime_only, 0));
	struct timespec neither[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	EXPECT_OK(utimensat(AT_FDCWD, "f", neither, 0));
	EXPECT_STREQ(events(fd), "1:OPEN 1:MODIFY 1:CLOSE_WRITE 2:ATTRIB:f 1:ATTRIB "
				 "1:ACCESS 1:MODIFY");
	EXPECT_OK(link("f", "g"));
	EXPECT_OK(unlink("g"));
	EXPECT_STREQ(events(fd), "1:ATTRIB 2:CREATE:g 1:ATTRIB 2:DELETE:g");
	EXPECT_OK(unlink("f"));
	EXPECT_STREQ(events(fd), "1:ATTRIB 1:DELETE_SELF 1:IGNORED 2:DELETE:f");
	EXPECT_ERRNO(inotify_rm_watch(fd, 1), EINVAL);
	/* A new watch does not reuse the descriptor at once. */
	h_write_file("f", "x");
	EXPECT_EQ(watch(fd, "f", IN_ALL_EVENTS), 3);
}

TEST(inotify, delete_self_waits_for_the_last_close)
{
	h_tmpdir();
	h_write_file("f", "");
	int fd = new_instance();
	EXPECT_EQ(watch(fd, "f", IN_ALL_EVENTS), 1);
	int f = EXPECT_OK(open("f", O_WRONLY));
	int f2 = EXPECT_OK(dup(f));
	EXPECT_OK(unlink("f"));
	EXPECT_EQ(write(f, "x", 1), 1);
	EXPECT_STREQ(events(fd), "1:OPEN 1:ATTRIB 1:MODIFY");
	close(f);
	EXPECT_STREQ(events(fd), "");
	close(f2);
	EXPECT_STREQ(events(fd), "1:CLOSE_WRITE 1:DELETE_SELF 1:IGNORED");
	/* A directory that is someone's working directory goes when that changes. */
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_EQ(watch(fd, "d", IN_DELETE_SELF), 2);
	EXPECT_OK(chdir("d"));
	EXPECT_OK(rmdir("../d"));
	EXPECT_STREQ(events(fd), "");
	EXPECT_OK(chdir(".."));
	EXPECT_STREQ(events(fd), "2:DELETE_SELF 2:IGNORED");
}

TEST(inotify, rmdir_and_move_self)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	EXPECT_OK(mkdir("other", 0755));
	int fd = new_instance();
	EXPECT_EQ(watch(fd, "d", IN_ALL_EVENTS), 1);
	EXPECT_EQ(watch(fd, ".", IN_ALL_EVENTS), 2);
	EXPECT_OK(rename("d", "other/d2"));
	EXPECT_OK(rename("other/d2", "d"));
	EXPECT_OK(rmdir("d"));
	EXPECT_STREQ(events(fd), "2:MOVED_FROM|ISDIR:d 1:MOVE_SELF 2:MOVED_TO|ISDIR:d "
				 "1:MOVE_SELF 1:DELETE_SELF 1:IGNORED 2:DELETE|ISDIR:d");
}

TEST(inotify, rename_over_a_watched_file)
{
	h_tmpdir();
	h_write_file("src", "1");
	h_write_file("dst", "2");
	int fd = new_instance();
	EXPECT_EQ(watch(fd, "src", IN_ALL_EVENTS), 1);
	EXPECT_EQ(watch(fd, "dst", IN_ALL_EVENTS), 2);
	EXPECT_EQ(watch(fd, ".", IN_MOVE), 3);
	EXPECT_OK(rename("src", "dst"));
	EXPECT_STREQ(events(fd), "3:MOVED_FROM:src 3:MOVED_TO:dst 2:ATTRIB 1:MOVE_SELF "
				 "2:DELETE_SELF 2:IGNORED");
	/* Each move has its own cookie. */
	int f = EXPECT_OK(inotify_init1(IN_NONBLOCK));
	EXPECT_EQ(watch(f, ".", IN_MOVE), 1);
	EXPECT_OK(rename("dst", "x"));
	EXPECT_OK(rename("x", "y"));
	struct inotify_event e[4][2];
	EXPECT_EQ(read(f, e, sizeof e), 4 * 32);
	EXPECT_EQ(e[0][0].cookie, e[1][0].cookie);
	EXPECT_EQ(e[2][0].cookie, e[3][0].cookie);
	EXPECT_NE(e[0][0].cookie, e[2][0].cookie);
}

TEST(inotify, identical_events_merge)
{
	h_tmpdir();
	h_write_file("a", "");
	h_write_file("b", "");
	int fd = new_instance();
	EXPECT_EQ(watch(fd, ".", IN_MODIFY | IN_ATTRIB), 1);
	int fa = EXPECT_OK(open("a", O_WRONLY));
	int fb = EXPECT_OK(open("b", O_WRONLY));
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(write(fa, "x", 1), 1);
	EXPECT_EQ(write(fb, "x", 1), 1);
	EXPECT_EQ(write(fa, "x", 1), 1);
	EXPECT_OK(fchmod(fa, 0600));
	EXPECT_OK(fchmod(fa, 0644));
	EXPECT_STREQ(events(fd), "1:MODIFY:a 1:MODIFY:b 1:MODIFY:a 1:ATTRIB:a");
}

TEST(inotify, oneshot)
{
	h_tmpdir();
	h_write_file("f", "");
	int fd = new_instance();
	EXPECT_EQ(watch(fd, "f", IN_MODIFY | IN_ONESHOT), 1);
	write_to("f", "1");
	write_to("f", "2");
	EXPECT_STREQ(events(fd), "1:MODIFY 1:IGNORED");
	EXPECT_ERRNO(inotify_rm_watch(fd, 1), EINVAL);
	/* Events its mask does not want leave it alone. */
	EXPECT_EQ(watch(fd, "f", IN_ATTRIB | IN_ONESHOT), 2);
	write_to("f", "3");
	EXPECT_OK(chmod("f", 0600));
	EXPECT_OK(chmod("f", 0644));
	EXPECT_STREQ(events(fd), "2:ATTRIB 2:IGNORED");
}

static void fdinfo_lines(int fd, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	proc_read(path, buf, size);
}

TEST(inotify, update_mask_and_fdinfo)
{
	proc_ready();
	h_tmpdir();
	h_write_file("f", "");
	int fd = new_instance();
	EXPECT_EQ(watch(fd, "f", IN_ATTRIB), 1);
	/* The same object: the same descriptor, the mask replaced. */
	EXPECT_EQ(watch(fd, "f", IN_MODIFY), 1);
	EXPECT_OK(chmod("f", 0600));
	write_to("f", "1");
	EXPECT_STREQ(events(fd), "1:MODIFY");
	EXPECT_EQ(watch(fd, "f", IN_ATTRIB | IN_MASK_ADD), 1);
	EXPECT_OK(chmod("f", 0644));
	write_to("f", "1");
	EXPECT_STREQ(events(fd), "1:ATTRIB 1:MODIFY");
	EXPECT_ERRNO(inotify_add_watch(fd, "f", IN_OPEN | IN_MASK_CREATE), EEXIST);
	EXPECT_EQ(watch(fd, ".", IN_CREATE | IN_ONESHOT | IN_EXCL_UNLINK | IN_ONLYDIR), 2);
	struct stat sf, sd;
	EXPECT_OK(stat("f", &sf));
	EXPECT_OK(stat(".", &sd));
	char buf[1024], want[256];
	fdinfo_lines(fd, buf, sizeof buf);
	snprintf(want, sizeof want,
		 "inotify wd:1 ino:%lx sdev:%x mask:%x ignored_mask:0",
		 (unsigned long)sf.st_ino,
		 (major(sf.st_dev) << 20) | minor(sf.st_dev), IN_ATTRIB | IN_MODIFY);
	EXPECT_TRUE(strstr(buf, want) != NULL);
	snprintf(want, sizeof want,
		 "inotify wd:2 ino:%lx sdev:%x mask:%x ignored_mask:0",
		 (unsigned long)sd.st_ino,
		 (major(sd.st_dev) << 20) | minor(sd.st_dev),
		 IN_CREATE | IN_ONESHOT | IN_EXCL_UNLINK);
	EXPECT_TRUE(strstr(buf, want) != NULL);
	EXPECT_TRUE(strncmp(buf, "pos:\t0\nflags:\t02004000\n", 23) == 0);
	EXPECT_OK(inotify_rm_watch(fd, 1));
	fdinfo_lines(fd, buf, sizeof buf);
	EXPECT_TRUE(strstr(buf, "inotify wd:1 ") == NULL);
	EXPECT_TRUE(strstr(buf, "inotify wd:2 ") != NULL);
}

TEST(inotify, excl_unlink)
{
	h_tmpdir();
	h_write_file("f", "");
	h_write_file("g", "");
	int fd = new_instance();
	EXPECT_EQ(watch(fd, ".", IN_MODIFY | IN_CLOSE | IN_DELETE | IN_EXCL_UNLINK), 1);
	int ff = EXPECT_OK(open("f", O_WRONLY));
	EXPECT_OK(unlink("f"));
	EXPECT_EQ(write(ff, "x", 1), 1);
	close(ff);
	EXPECT_STREQ(events(fd), "1:DELETE:f");
	/* Without the flag the unlinked file's events still come, with its old name. */
	int fd2 = new_instance();
	EXPECT_EQ(watch(fd2, ".", IN_MODIFY | IN_CLOSE | IN_DELETE), 1);
	int fg = EXPECT_OK(open("g", O_WRONLY));
	EXPECT_OK(unlink("g"));
	EXPECT_EQ(write(fg, "x", 1), 1);
	close(fg);
	EXPECT_STREQ(events(fd2), "1:DELETE:g 1:MODIFY:g 1:CLOSE_WRITE:g");
}

TEST(inotify, symlinks_and_dont_follow)
{
	h_tmpdir();
	EXPECT_OK(mkdir("dir", 0755));
	EXPECT_OK(symlink("dir", "link"));
	int fd = new_instance();
	/* Followed: the directory itself. */
	EXPECT_EQ(watch(fd, "link", IN_CREATE | IN_ONLYDIR), 1);
	EXPECT_EQ(watch(fd, "dir", IN_CREATE | IN_ATTRIB), 1);
	/* Not followed: the link. */
	EXPECT_EQ(watch(fd, "link", IN_ATTRIB | IN_DONT_FOLLOW), 2);
	EXPECT_ERRNO(inotify_add_watch(fd, "link", IN_ATTRIB | IN_DONT_FOLLOW | IN_ONLYDIR),
		     ENOTDIR);
	h_write_file("dir/new", "");
	struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	EXPECT_OK(utimensat(AT_FDCWD, "link", now, AT_SYMLINK_NOFOLLOW));
	EXPECT_STREQ(events(fd), "1:CREATE:new 2:ATTRIB");
}

TEST(inotify, read_sizes_and_fionread)
{
	h_tmpdir();
	int fd = new_instance();
	EXPECT_EQ(watch(fd, ".", IN_CREATE), 1);
	h_write_file("fifteen-chars-x", "");  /* name 15 + NUL: 16 */
	h_write_file("sixteen-chars-xy", ""); /* 17: 32 */
	int bytes = 0;
	EXPECT_OK(ioctl(fd, FIONREAD, &bytes));
	EXPECT_EQ(bytes, (16 + 16) + (16 + 32));
	char buf[256] __attribute__((aligned(8)));
	EXPECT_ERRNO(read(fd, buf, 31), EINVAL);
	EXPECT_ERRNO(read(fd, buf, 0), EINVAL);
	/* Room for the first and part of the second: the first. */
	EXPECT_EQ(read(fd, buf, 40), 32);
	struct inotify_event *e = (void *)buf;
	EXPECT_EQ(e->wd, 1);
	EXPECT_EQX(e->mask, IN_CREATE);
	EXPECT_EQ(e->len, 16);
	EXPECT_STREQ(e->name, "fifteen-chars-x");
	EXPECT_OK(ioctl(fd, FIONREAD, &bytes));
	EXPECT_EQ(bytes, 48);
	memset(buf, 0xff, sizeof buf);
	EXPECT_EQ(read(fd, buf, sizeof buf), 48);
	EXPECT_EQ(e->len, 32);
	EXPECT_STREQ(e->name, "sixteen-chars-xy");
	for (int i = 16 + 17; i < 48; i++)
		EXPECT_EQ(buf[i], 0);
	EXPECT_ERRNO(read(fd, buf, sizeof buf), EAGAIN);
	h_write_file("c", "");
	EXPECT_ERRNO(read(fd, H_BAD_PTR, sizeof buf), EFAULT);
}

/* Child: creates file "woke<n>" once the parent sleeps. */
static void write_when_asleep(long n)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", getppid());
	for (;;) {
		proc_read(path, buf, sizeof buf);
		char *close = strrchr(buf, ')');
		if (close && close[1] == ' ' && close[2] == 'S')
			break;
		sched_yield();
	}
	snprintf(path, sizeof path, "woke%ld", n);
	h_write_file(path, "");
}

TEST(inotify, blocking_read_and_poll)
{
	proc_ready();
	h_tmpdir();
	int fd = EXPECT_OK(inotify_init1(0));
	EXPECT_EQ(watch(fd, ".", IN_CREATE), 1);
	pid_t child = spawn(write_when_asleep, 0);
	h_track(child);
	char buf[64] __attribute__((aligned(8)));
	EXPECT_EQ(read(fd, buf, sizeof buf), 32);
	EXPECT_STREQ(((struct inotify_event *)buf)->name, "woke0");
	EXPECT_EQ(h_wait_exit(child), 0);
	/* poll, select and epoll see the queue. */
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	int ep = EXPECT_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5};
	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	child = spawn(write_when_asleep, 1);
	h_track(child);
	EXPECT_EQ(poll(&p, 1, 10000), 1);
	EXPECT_EQ(p.revents, POLLIN);
	EXPECT_EQ(h_wait_exit(child), 0);
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(ev.data.u64, 5);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	struct timeval tv = {0, 0};
	EXPECT_EQ(select(fd + 1, &rd, NULL, NULL, &tv), 1);
	EXPECT_EQ(read(fd, buf, sizeof buf), 32);
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);
}

static volatile sig_atomic_t got_alarm;
static void on_alarm(int sig)
{
	got_alarm = sig;
}

TEST(inotify, blocking_read_interrupted)
{
	int fd = EXPECT_OK(inotify_init1(0));
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	EXPECT_OK(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = {{0, 0}, {0, 20000}};
	EXPECT_OK(setitimer(ITIMER_REAL, &it, NULL));
	char buf[64];
	EXPECT_ERRNO(read(fd, buf, sizeof buf), EINTR);
	EXPECT_EQ(got_alarm, SIGALRM);
}

/* Writes `value` to /proc/sys/fs/inotify/`name`, returning the old value. */
static long set_knob(const char *name, long value)
{
	char path[128], buf[64];
	snprintf(path, sizeof path, "/proc/sys/fs/inotify/%s", name);
	proc_read(path, buf, sizeof buf);
	long old = strtol(buf, NULL, 10);
	int f = EXPECT_OK(open(path, O_WRONLY));
	snprintf(buf, sizeof buf, "%ld\n", value);
	EXPECT_EQ(write(f, buf, strlen(buf)), (long)strlen(buf));
	close(f);
	return old;
}

TEST(inotify, queue_overflow)
{
	proc_ready();
	h_tmpdir();
	long old = set_knob("max_queued_events", 3);
	int fd = new_instance();
	set_knob("max_queued_events", old);
	EXPECT_EQ(watch(fd, ".", IN_CREATE), 1);
	h_write_file("a", "");
	h_write_file("b", "");
	h_write_file("c", "");
	h_write_file("d", "");
	h_write_file("e", "");
	EXPECT_STREQ(events(fd), "1:CREATE:a 1:CREATE:b 1:CREATE:c -1:Q_OVERFLOW");
	h_write_file("f", "");
	EXPECT_STREQ(events(fd), "1:CREATE:f");
}

static void limits_as_other_user(void)
{
	EXPECT_OK(setgid(54321));
	EXPECT_OK(setuid(54321));
	int a = EXPECT_OK(inotify_init1(IN_NONBLOCK));
	int b = EXPECT_OK(inotify_init1(IN_NONBLOCK));
	EXPECT_ERRNO(inotify_init1(IN_NONBLOCK), EMFILE);
	close(b);
	b = EXPECT_OK(inotify_init1(IN_NONBLOCK));
	/* Watches count per user, over every instance. */
	EXPECT_EQ(watch(a, "f1", IN_MODIFY), 1);
	EXPECT_EQ(watch(b, "f2", IN_MODIFY), 1);
	EXPECT_ERRNO(inotify_add_watch(a, "f3", IN_MODIFY), ENOSPC);
	/* Updating an existing watch is not a new one. */
	EXPECT_EQ(watch(a, "f1", IN_ATTRIB), 1);
	EXPECT_OK(inotify_rm_watch(b, 1));
	/* The refused watch used up descriptor 2. */
	EXPECT_EQ(watch(a, "f3", IN_MODIFY), 3);
	/* Closing an instance gives its watches back. */
	close(a);
	EXPECT_EQ(watch(b, "f1", IN_MODIFY), 2);
}

TEST(inotify, user_limits)
{
	proc_ready();
	h_tmpdir();
	EXPECT_OK(chmod(".", 0755));
	h_write_file("f1", "");
	h_write_file("f2", "");
	h_write_file("f3", "");
	long instances = set_knob("max_user_instances", 2);
	long watches = set_knob("max_user_watches", 2);
	pid_t child = h_fork();
	if (child == 0) {
		limits_as_other_user();
		_exit(0);
	}
	/* The limits come back before the child's result is looked at. */
	int status = h_wait_status(child);
	set_knob("max_user_instances", instances);
	set_knob("max_user_watches", watches);
	if (status != 0)
		FAIL("the child's checks failed: status %#x", status);
	/* Negative values are refused. */
	int f = EXPECT_OK(open("/proc/sys/fs/inotify/max_user_watches", O_WRONLY));
	EXPECT_ERRNO(write(f, "-1\n", 3), EINVAL);
	close(f);
	char buf[64];
	proc_read("/proc/sys/fs/inotify/max_queued_events", buf, sizeof buf);
	EXPECT_STREQ(buf, "16384\n");
	proc_read("/proc/sys/fs/inotify/max_user_instances", buf, sizeof buf);
	EXPECT_STREQ(buf, "128\n");
	proc_read("/proc/sys/fs/inotify/max_user_watches", buf, sizeof buf);
	long value = strtol(buf, NULL, 10);
	EXPECT_GE(value, 8192);
	EXPECT_LE(value, 1048576);
}

TEST(inotify, unmount)
{
	h_tmpdir();
	EXPECT_OK(mkdir("mnt", 0755));
	EXPECT_OK(mount("none", "mnt", "tmpfs", 0, NULL));
	h_write_file("mnt/f", "x");
	int fd = new_instance();
	EXPECT_EQ(watch(fd, "mnt/f", IN_ALL_EVENTS), 1);
	EXPECT_EQ(watch(fd, ".", IN_ALL_EVENTS), 2);
	EXPECT_OK(umount("mnt"));
	EXPECT_STREQ(events(fd), "1:UNMOUNT 1:IGNORED");
	EXPECT_ERRNO(inotify_rm_watch(fd, 1), EINVAL);
}

TEST(inotify, shared_by_fork)
{
	h_tmpdir();
	int fd = new_instance();
	EXPECT_EQ(watch(fd, ".", IN_CREATE), 1);
	pid_t child = h_fork();
	if (child == 0) {
		h_write_file("from-child", "");
		char buf[64] __attribute__((aligned(8)));
		/* The child reads the shared queue. */
		if (read(fd, buf, sizeof buf) != 32)
			_exit(1);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(child), 0);
	EXPECT_STREQ(events(fd), "");
	h_write_file("from-parent", "");
	EXPECT_STREQ(events(fd), "1:CREATE:from-parent");
}

TEST(inotify, readdir_and_directory_open)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	int fd = new_instance();
	EXPECT_EQ(watch(fd, ".", IN_OPEN | IN_ACCESS | IN_CLOSE), 1);
	EXPECT_EQ(watch(fd, "d", IN_OPEN | IN_ACCESS | IN_CLOSE), 2);
	int d = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	char buf[1024];
	EXPECT_GT(syscall(SYS_getdents64, d, buf, sizeof buf), 0);
	EXPECT_EQ(syscall(SYS_getdents64, d, buf, sizeof buf), 0);
	close(d);
	/* Every getdents is an access, the one at the end too. */
	EXPECT_STREQ(events(fd), "1:OPEN|ISDIR:d 2:OPEN|ISDIR 1:ACCESS|ISDIR:d "
				 "2:ACCESS|ISDIR 1:ACCESS|ISDIR:d 2:ACCESS|ISDIR "
				 "1:CLOSE_NOWRITE|ISDIR:d 2:CLOSE_NOWRITE|ISDIR");
}

TEST(inotify, sendfile_and_copy_file_range)
{
	h_tmpdir();
	h_write_file("a", "hello");
	h_write_file("b", "");
	int in = EXPECT_OK(open("a", O_RDONLY));
	int out = EXPECT_OK(open("b", O_WRONLY));
	int fd = new_instance();
	EXPECT_EQ(watch(fd, ".", IN_ACCESS | IN_MODIFY), 1);
	EXPECT_EQ(syscall(SYS_sendfile, out, in, NULL, 5), 5);
	EXPECT_EQ(syscall(SYS_sendfile, out, in, NULL, 5), 0); /* nothing moved */
	loff_t zero = 0;
	EXPECT_EQ(syscall(SYS_copy_file_range, in, &zero, out, NULL, 5, 0), 5);
	/* The write into b is reported by itself first (do_splice_direct), then the copy;
	 * the second copy's first MODIFY merges with the one before it. */
	EXPECT_STREQ(events(fd), "1:MODIFY:b 1:ACCESS:a 1:MODIFY:b 1:ACCESS:a 1:MODIFY:b");
}

TEST(inotify, vectored_io)
{
	h_tmpdir();
	h_write_file("v", "abcdef");
	int f = EXPECT_OK(open("v", O_RDWR));
	int fd = new_instance();
	EXPECT_EQ(watch(fd, "v", IN_ACCESS | IN_MODIFY), 1);
	char buf[4];
	struct iovec iov = {buf, sizeof buf};
	EXPECT_EQ(readv(f, &iov, 1), 4);
	EXPECT_EQ(pwritev(f, &iov, 1, 0), 4);
	EXPECT_EQ(syscall(SYS_preadv2, f, &iov, 1, 0, 0, 0), 4);
	EXPECT_EQ(syscall(SYS_pwritev2, f, &iov, 1, -1, 0, 0), 4);
	EXPECT_STREQ(events(fd), "1:ACCESS 1:MODIFY 1:ACCESS 1:MODIFY");
}
