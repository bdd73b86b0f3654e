/*
 * Ferrux user-space test harness: failure reporting and helpers.
 * See harness.h for the contract; main.c is the runner.
 */
#include "harness.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

/* Shared with main.c. */
jmp_buf h_jmp;
char h_reason[1024];
char h_tmp_path[64];
int h_tmp_made;

void h_fail(const char *file, int line, const char *fmt, ...)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	int n = snprintf(h_reason, sizeof h_reason, "%s:%d: ", base, line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h_reason + n, sizeof h_reason - n, fmt, ap);
	va_end(ap);
	/* Keep the report on one line. */
	for (char *p = h_reason; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	longjmp(h_jmp, 1);
}

const char *h_errname(int e)
{
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG)
	E(ENOEXEC) E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES)
	E(EFAULT) E(ENOTBLK) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV)
	E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY)
	E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE)
	E(EDOM) E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS)
	E(ENOTEMPTY) E(ELOOP) E(ENODATA) E(EOVERFLOW) E(EOPNOTSUPP)
	E(ETIMEDOUT)
#undef E
	case 0:
		return "0";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

int h_is_init(void)
{
	return getpid() == 1;
}

/* Remove a directory tree (only what tests create: files, dirs, symlinks),
 * making directories accessible first (a test may leave one at mode 0). */
static void rm_tree_at(int dirfd, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dirfd, name, 0);
		return;
	}
	fchmodat(dirfd, name, 0700, 0);
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		if (d) {
			struct dirent *e;
			while ((e = readdir(d)) != NULL) {
				if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
					rm_tree_at(fd, e->d_name);
			}
			closedir(d);
		} else {
			close(fd);
		}
	}
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

void h_rm_tree(const char *path)
{
	rm_tree_at(AT_FDCWD, path);
}

const char *h_tmpdir(void)
{
	if (!h_tmp_made) {
		snprintf(h_tmp_path, sizeof h_tmp_path, "/tmp/ferrux-tests.%d",
			 (int)getpid());
		h_rm_tree(h_tmp_path);
		if (mkdir(h_tmp_path, 0700) != 0)
			FAIL("mkdir(%s): %s", h_tmp_path, h_errname(errno));
		h_tmp_made = 1;
	}
	if (chdir(h_tmp_path) != 0)
		FAIL("chdir(%s): %s", h_tmp_path, h_errname(errno));
	return h_tmp_path;
}

void h_write_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		FAIL("h_write_file: open(%s): %s", path, h_errname(errno));
	size_t len = strlen(content);
	ssize_t n = write(fd, content, len);
	if (n != (ssize_t)len)
		FAIL("h_write_file: write(%s) = %zd: %s", path, n,
		     h_errname(errno));
	close(fd);
}

size_t h_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		FAIL("h_read_file: open(%s): %s", path, h_errname(errno));
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0)
			FAIL("h_read_file: read(%s): %s", path,
			     h_errname(errno));
		if (n == 0 || got + n >= size - 1) {
			got += n;
			break;
		}
		got += n;
	}
	buf[got] = 0;
	close(fd);
	return got;
}

const char *h_name(size_t n)
{
	static char buf[8192];
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	memset(buf, 'a', n);
	buf[n] = 0;
	return buf;
}

const char *h_longpath(size_t n)
{
	static char buf[8192];
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (i % 2) ? '/' : 'a';
	buf[n] = 0;
	return buf;
}

int h_console_fd(void)
{
	if (h_is_init())
		return 0;
	/* The runner closes fds >= 3 after each test, so open it each time. */
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd >= 0)
		return fd;
	int err = errno;
	/* Not root on a host: a pty slave is a tty that is not our
	 * controlling terminal either, which is what the tests need. */
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	if (master >= 0) {
		int unlock = 0;
		unsigned ptn = 0;
		if (ioctl(master, TIOCSPTLCK, &unlock) == 0 &&
		    ioctl(master, TIOCGPTN, &ptn) == 0) {
			char path[32];
			snprintf(path, sizeof path, "/dev/pts/%u", ptn);
			fd = open(path, O_RDWR | O_NOCTTY);
			if (fd >= 0)
				return fd;
		}
	}
	FAIL("open(/dev/console): %s (and no pty either)", h_errname(err));
}
