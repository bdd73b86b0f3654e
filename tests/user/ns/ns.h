/*
 * Helpers of the namespace suites: raw unshare/setns/clone, namespace links,
 * small file writes whose errno matters, and the nsfs ioctls.
 */
#ifndef FERRUX_NS_H
#define FERRUX_NS_H

#include "harness.h"
#include "../proc/proc.h"

#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef SYS_setns
#define SYS_setns 308
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#define NS_GET_USERNS 0xb701
#define NS_GET_PARENT 0xb702
#define NS_GET_NSTYPE 0xb703
#define NS_GET_OWNER_UID 0xb704
#define NOBODY 65534

static inline long ns_unshare(unsigned long flags)
{
	return syscall(SYS_unshare, flags);
}

static inline long ns_setns(int fd, int type)
{
	return syscall(SYS_setns, fd, type);
}

/* clone(2) without CLONE_VM: a fork with `flags` (and SIGCHLD); the child
 * returns 0.  -1/errno on failure. */
static inline pid_t ns_clone(unsigned long flags)
{
	return h_clone_fork(flags);
}

/* The inode number in /proc/PID/ns/NAME's link text ("uts:[N]"). */
static inline unsigned long ns_ino(const char *pid, const char *name)
{
	char path[64], text[64];
	snprintf(path, sizeof path, "/proc/%s/ns/%s", pid, name);
	ssize_t n = readlink(path, text, sizeof text - 1);
	if (n < 0)
		FAIL("readlink %s: %s", path, h_errname(errno));
	text[n] = 0;
	char *open = strchr(text, '[');
	if (!open || strncmp(text, name, strlen(name)) != 0)
		FAIL("%s reads \"%s\"", path, text);
	return strtoul(open + 1, NULL, 10);
}

/* write(2) of a string to a file: 0, or -1 with errno. */
static inline int ns_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static inline void ns_hostname(char *out, size_t size)
{
	if (gethostname(out, size) != 0)
		FAIL("gethostname: %s", h_errname(errno));
}

#endif
