/*
 * Suite dnotify: fcntl F_NOTIFY, directory change notification by signal.
 *
 * Guards Linux's fs/notify/dnotify/dnotify.c (ENOTDIR on a non-directory,
 * EBADF on an O_PATH descriptor, F_NOTIFY with no event removes the
 * registration; DN_CREATE also fires for a name moved in, DN_DELETE for one
 * moved out, DN_RENAME only for a rename within the directory; events of
 * entries and of the directory itself; a registration without DN_MULTISHOT
 * goes after its first signal; the signal is SIGIO, or F_SETSIG's signal
 * with si_fd the registering descriptor and si_code POLL_MSG; closing the
 * descriptor removes the registration; F_NOTIFY makes the caller the owner
 * of a file without one; fs.dir-notify-enable = 0 gives EINVAL, any other int enables).
 * Man page fcntl(2).
 */
#include "harness.h"
#include "../proc/proc.h"

#include <signal.h>
#include <sys/stat.h>

static sigset_t block(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return set;
}

/* The signal pending now (taken), with its siginfo, or 0. */
static int take(sigset_t *set, siginfo_t *info)
{
	struct timespec zero = {0, 0};
	memset(info, 0, sizeof *info);
	int sig = sigtimedwait(set, info, &zero);
	return sig > 0 ? sig : 0;
}

static void drain(sigset_t *set)
{
	siginfo_t info;
	while (take(set, &info))
		;
}

static void unblock_all(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

TEST(dnotify, errors)
{
	h_tmpdir();
	h_write_file("f", "x");
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(fcntl(fd, F_NOTIFY, DN_MODIFY), ENOTDIR);
	/* No event: a removal, fine on anything. */
	EXPECT_EQ(fcntl(fd, F_NOTIFY, 0), 0);
	EXPECT_EQ(fcntl(fd, F_NOTIFY, DN_MULTISHOT), 0);
	close(fd);
	int path = EXPECT_OK(open(".", O_PATH));
	EXPECT_ERRNO(fcntl(path, F_NOTIFY, DN_CREATE), EBADF);
	EXPECT_ERRNO(fcntl(path, F_SETSIG, SIGUSR1), EBADF);
	EXPECT_ERRNO(fcntl(path, F_GETOWN), EBADF);
	close(path);
}

TEST(dnotify, create_oneshot_and_owner)
{
	sigset_t set = block(SIGRTMIN + 3);
	h_tmpdir();
	int dir = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(fcntl(dir, F_GETOWN), 0);
	EXPECT_EQ(fcntl(dir, F_NOTIFY, DN_CREATE), 0);
	EXPECT_EQ(fcntl(dir, F_GETOWN), getpid());
	drain(&set);
	h_write_file("a", "x");
	siginfo_t info;
	EXPECT_EQ(take(&set, &info), SIGIO);
	EXPECT_EQ(info.si_code, SI_KERNEL);
	/* One-shot: gone now. */
	h_write_file("b", "x");
	EXPECT_EQ(take(&set, &info), 0);

	EXPECT_EQ(fcntl(dir, F_SETSIG, SIGRTMIN + 3), 0);
	EXPECT_EQ(fcntl(dir, F_NOTIFY, DN_CREATE | DN_MULTISHOT), 0);
	EXPECT_OK(mkdir("sub", 0700));
	EXPECT_EQ(take(&set, &info), SIGRTMIN + 3);
	EXPECT_EQ(info.si_fd, dir);
	EXPECT_EQ(info.si_code, POLL_MSG);
	EXPECT_EQ(take(&set, &info), 0);
	/* Multishot: still there; a name moved in counts as created. */
	EXPECT_OK(rename("sub/../a", "sub/a"));
	EXPECT_OK(rename("sub/a", "c"));
	EXPECT_EQ(take(&set, &info), SIGRTMIN + 3);
	/* Other events are not asked for. */
	EXPECT_OK(chmod("c", 0600));
	EXPECT_OK(unlink("c"));
	EXPECT_EQ(take(&set, &info), 0);
	/* F_NOTIFY 0 removes it. */
	EXPECT_EQ(fcntl(dir, F_NOTIFY, 0), 0);
	h_write_file("d", "x");
	EXPECT_EQ(take(&set, &info), 0);
	close(dir);
	unblock_all();
}

TEST(dnotify, events_and_close)
{
	sigset_t set = block(SIGRTMIN + 3);
	h_tmpdir();
	h_write_file("f", "abc");
	int dir = EXPECT_OK(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(fcntl(dir, F_SETSIG, SIGRTMIN + 3), 0);
	EXPECT_EQ(fcntl(dir, F_NOTIFY,
			DN_MODIFY | DN_ATTRIB | DN_DELETE | DN_ACCESS |
				DN_MULTISHOT),
		  0);
	drain(&set);
	siginfo_t info;
	int fd = EXPECT_OK(open("f", O_RDWR));
	EXPECT_EQ(take(&set, &info), 0);
	char buf[4];
	EXPECT_EQ(read(fd, buf, sizeof buf), 3);
	EXPECT_EQ(take(&set, &info), SIGRTMIN + 3);
	EXPECT_EQ(write(fd, "d", 1), 1);
	EXPECT_EQ(take(&set, &info), SIGRTMIN + 3);
	close(fd);
	EXPECT_OK(chmod("f", 0600));
	EXPECT_EQ(take(&set, &info), SIGRTMIN + 3);
	/* The directory's own attributes count too. */
	EXPECT_OK(chmod(".", 0700));
	EXPECT_EQ(take(&set, &info), SIGRTMIN + 3);
	EXPECT_OK(unlink("f"));
	EXPECT_EQ(take(&set, &info), SIGRTMIN + 3);
	drain(&set);
	/* Closing a dup of the registering descriptor removes the registration. */
	int d = EXPECT_OK(dup(dir));
	close(d);
	h_write_file("g", "x");
	EXPECT_OK(unlink("g"));
	EXPECT_EQ(take(&set, &info), 0);
	close(dir);
	unblock_all();
}

TEST(dnotify, rename_within_directory_only)
{
	sigset_t set = block(SIGRTMIN + 3);
	h_tmpdir();
	EXPECT_OK(mkdir("sub", 0700));
	h_write_file("f", "x");
	int parent = EXPECT_OK(open(".", O_RDONLY));
	int sub = EXPECT_OK(open("sub", O_RDONLY));
	EXPECT_EQ(fcntl(parent, F_SETSIG, SIGRTMIN + 3), 0);
	EXPECT_EQ(fcntl(sub, F_SETSIG, SIGRTMIN + 3), 0);
	EXPECT_EQ(fcntl(parent, F_NOTIFY, DN_RENAME | DN_MULTISHOT), 0);
	EXPECT_EQ(fcntl(sub, F_NOTIFY, DN_RENAME | DN_MULTISHOT), 0);
	siginfo_t info;
	EXPECT_OK(rename("f", "sub/f"));
	EXPECT_EQ(take(&set, &info), 0);
	EXPECT_OK(rename("sub/f", "sub/g"));
	EXPECT_EQ(take(&set, &info), SIGRTMIN + 3);
	EXPECT_EQ(info.si_fd, sub);
	EXPECT_EQ(take(&set, &info), 0);
	EXPECT_OK(rename("sub", "sub2"));
	EXPECT_EQ(take(&set, &info), SIGRTMIN + 3);
	EXPECT_EQ(info.si_fd, parent);
	EXPECT_EQ(take(&set, &info), 0);
	close(parent);
	close(sub);
	unblock_all();
}

TEST(dnotify, sysctl_disable)
{
	if (geteuid() != 0)
		return;
	proc_ready();
	h_tmpdir();
	int dir = EXPECT_OK(open(".", O_RDONLY));
	int knob = EXPECT_OK(open("/proc/sys/fs/dir-notify-enable", O_RDWR));
	char buf[8] = {0};
	EXPECT_EQ(pread(knob, buf, sizeof buf, 0), 2);
	EXPECT_STREQ(buf, "1\n");
	/* Any int is taken (proc_dointvec); non-zero enables. */
	EXPECT_EQ(pwrite(knob, "2\n", 2, 0), 2);
	EXPECT_EQ(fcntl(dir, F_NOTIFY, DN_CREATE), 0);
	EXPECT_EQ(pwrite(knob, "0\n", 2, 0), 2);
	EXPECT_ERRNO(fcntl(dir, F_NOTIFY, DN_CREATE), EINVAL);
	EXPECT_ERRNO(fcntl(dir, F_NOTIFY, 0), EINVAL);
	EXPECT_EQ(pwrite(knob, "1\n", 2, 0), 2);
	EXPECT_EQ(fcntl(dir, F_NOTIFY, DN_CREATE), 0);
	close(knob);
	close(dir);
}
