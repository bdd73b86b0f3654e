/*
 * Suite pidns: PID namespaces.
 *
 * Guards Linux 6.1's kernel/pid.c, kernel/pid_namespace.c and their users:
 * the first task of a new PID namespace is its pid 1 with parent pid 0; a
 * task has a number in every namespace from its own up, and each caller
 * sees ids through its own (NSpid in /proc/PID/status, wait's and clone's
 * return values, si_pid, SO_PEERCRED, SCM_CREDENTIALS); unshare(CLONE_NEWPID)
 * moves only the caller's future children (pid_for_children), once; a
 * namespace's init takes signals from inside only through handlers, while
 * SIGKILL from an ancestor namespace kills it; its death kills everyone in
 * the namespace and closes it (fork: ENOMEM); setns moves children into a
 * namespace at or below the caller's; namespaces nest 32 deep (ENOSPC);
 * proc mounted inside shows the namespace's pids; ns_last_pid and clone3's
 * set_tid choose the next pid; NS_GET_PARENT stops at the caller's own
 * namespace (EPERM).  Man pages pid_namespaces(7), clone(2), setns(2),
 * ioctl_ns(2), proc(5).
 */
#include "ns.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/socket.h>

#ifndef CLONE_NEWPID
#define CLONE_NEWPID 0x20000000
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* struct clone_args (version 2). */
struct pidns_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* The inode number of /proc/self/ns/NAME ("pid:[N]" for pid and for
 * pid_for_children). */
static unsigned long pid_ino(const char *name)
{
	char path[64], text[64];
	snprintf(path, sizeof path, "/proc/self/ns/%s", name);
	ssize_t n = readlink(path, text, sizeof text - 1);
	if (n < 0)
		FAIL("readlink %s: %s", path, h_errname(errno));
	text[n] = 0;
	if (strncmp(text, "pid:[", 5) != 0)
		FAIL("%s reads \"%s\"", path, text);
	return strtoul(text + 5, NULL, 10);
}

/* The global pid of the caller, as the guest's /proc (mounted in the
 * initial PID namespace) names it. */
static pid_t outer_pid(void)
{
	char text[32];
	ssize_t n = readlink("/proc/self", text, sizeof text - 1);
	if (n < 0)
		FAIL("readlink /proc/self: %s", h_errname(errno));
	text[n] = 0;
	return (pid_t)atoi(text);
}

TEST(pidns, init_is_pid_1)
{
	proc_ready();
	pid_t pid = ns_clone(CLONE_NEWPID);
	EXPECT_OK(pid);
	if (pid == 0) {
		EXPECT_EQ(getpid(), 1);
		EXPECT_EQ(syscall(SYS_gettid), 1);
		/* The parent is outside: 0. */
		EXPECT_EQ(getppid(), 0);
		/* The first child of init is 2, its parent 1. */
		pid_t child = ns_clone(0);
		EXPECT_OK(child);
		if (child == 0) {
			EXPECT_EQ(getpid(), 2);
			EXPECT_EQ(getppid(), 1);
			h_exit(7);
		}
		EXPECT_EQ(child, 2);
		int status = 0;
		EXPECT_EQ(waitpid(-1, &status, 0), 2);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7);
		h_exit(0);
	}
	EXPECT_GT(pid, 1);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static int never_runs(void *arg)
{
	(void)arg;
	return 0;
}

static void unshare_children(void *arg)
{
	(void)arg;
	pid_t me = getpid();
	unsigned long own = pid_ino("pid");
	EXPECT_EQ(pid_ino("pid_for_children"), own);
	EXPECT_EQ(ns_unshare(CLONE_NEWPID), 0);
	/* The caller stays where it is; its children go to the new one,
	 * which has no link until its init exists. */
	EXPECT_EQ(getpid(), me);
	EXPECT_EQ(pid_ino("pid"), own);
	char text[64];
	EXPECT_ERRNO(readlink("/proc/self/ns/pid_for_children", text,
			      sizeof text),
		     ENOENT);
	/* Once: a second unshare before a fork is EINVAL. */
	EXPECT_ERRNO(ns_unshare(CLONE_NEWPID), EINVAL);
	/* A thread cannot live in another namespace than its process. */
	EXPECT_EQ(h_clone_raw(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD |
				      CLONE_FS | CLONE_FILES,
			      h_stack(), NULL, NULL, 0, never_runs, NULL),
		  -EINVAL);
	int fds[2];
	h_pipe(fds);
	pid_t child = ns_clone(0);
	EXPECT_OK(child);
	if (child == 0) {
		EXPECT_EQ(getpid(), 1);
		EXPECT_EQ(getppid(), 0);
		EXPECT_NE(pid_ino("pid"), own);
		h_wait_byte(fds[0]);
		h_exit(0);
	}
	unsigned long children = pid_ino("pid_for_children");
	EXPECT_NE(children, own);
	char name[16];
	snprintf(name, sizeof name, "%d", (int)child);
	EXPECT_EQ(ns_ino(name, "pid"), children);
	/* A second child joins the namespace as its pid 2. */
	pid_t second = ns_clone(0);
	EXPECT_OK(second);
	if (second == 0) {
		EXPECT_EQ(getpid(), 2);
		EXPECT_EQ(getppid(), 0);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(second), 0);
	h_post(fds[1]);
	EXPECT_EQ(h_wait_exit(child), 0);
	/* Its init is gone: the namespace takes nobody any more. */
	EXPECT_ERRNO(ns_clone(0), ENOMEM);
}

TEST(pidns, unshare_moves_children)
{
	proc_ready();
	EXPECT_CHILD_OK(unshare_children, NULL);
}

/* Reads the "key:" line of /proc/self/status into out. */
static void status_field(const char *key, char *out, size_t size)
{
	static char text[4096];
	proc_read("/proc/self/status", text, sizeof text);
	proc_field(text, key, out, size);
}

TEST(pidns, numbers_in_status)
{
	proc_ready();
	pid_t pid = ns_clone(CLONE_NEWPID);
	EXPECT_OK(pid);
	if (pid == 0) {
		pid_t child = ns_clone(0);
		EXPECT_OK(child);
		if (child == 0) {
			/* /proc belongs to the initial namespace: it shows
			 * the global ids, then this namespace's. */
			char want[64], got[64];
			pid_t global = outer_pid();
			snprintf(want, sizeof want, "%d\t2", (int)global);
			status_field("NSpid", got, sizeof got);
			EXPECT_STREQ(got, want);
			status_field("NStgid", got, sizeof got);
			EXPECT_STREQ(got, want);
			snprintf(want, sizeof want, "%d", (int)global);
			status_field("Pid", got, sizeof got);
			EXPECT_STREQ(got, want);
			h_exit(0);
		}
		EXPECT_EQ(h_wait_exit(child), 0);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* In the initial namespace, one number. */
	char want[32], got[64];
	snprintf(want, sizeof want, "%d", (int)getpid());
	status_field("NSpid", got, sizeof got);
	EXPECT_STREQ(got, want);
}

/* Counts the numeric entries of /proc and checks that `only` is one. */
static int proc_pids(pid_t only)
{
	DIR *dir = opendir("/proc");
	if (!dir)
		FAIL("opendir /proc: %s", h_errname(errno));
	int count = 0, seen = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
			continue;
		count++;
		if (atoi(entry->d_name) == only)
			seen = 1;
	}
	closedir(dir);
	EXPECT_TRUE(seen);
	return count;
}

TEST(pidns, proc_mounted_inside)
{
	proc_ready();
	pid_t pid = ns_clone(CLONE_NEWPID | CLONE_NEWNS);
	EXPECT_OK(pid);
	if (pid == 0) {
		(void)mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL);
		EXPECT_EQ(mount("proc", "/proc", "proc", 0, NULL), 0);
		char text[32];
		ssize_t n = readlink("/proc/self", text, sizeof text - 1);
		EXPECT_EQ(n, 1);
		text[n > 0 ? n : 0] = 0;
		EXPECT_STREQ(text, "1");
		n = readlink("/proc/thread-self", text, sizeof text - 1);
		EXPECT_GT(n, 0);
		text[n > 0 ? n : 0] = 0;
		EXPECT_STREQ(text, "1/task/1");
		/* Only this namespace's processes: init alone. */
		EXPECT_EQ(proc_pids(1), 1);
		char got[64];
		status_field("NSpid", got, sizeof got);
		EXPECT_STREQ(got, "1");
		status_field("PPid", got, sizeof got);
		EXPECT_STREQ(got, "0");
		EXPECT_ERRNO(access("/proc/2", F_OK), ENOENT);
		int fds[2];
		h_pipe(fds);
		pid_t child = ns_clone(0);
		EXPECT_OK(child);
		if (child == 0) {
			h_wait_byte(fds[0]);
			h_exit(0);
		}
		EXPECT_EQ(proc_pids(2), 2);
		EXPECT_EQ(access("/proc/2/status", R_OK), 0);
		char stat[256];
		proc_read("/proc/2/stat", stat, sizeof stat);
		EXPECT_TRUE(strncmp(stat, "2 (", 3) == 0);
		h_post(fds[1]);
		EXPECT_EQ(h_wait_exit(child), 0);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static volatile sig_atomic_t usr1_count;
static volatile pid_t usr1_from = -1;

static void on_usr1(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)context;
	usr1_from = info->si_pid;
	usr1_count++;
}

TEST(pidns, init_signals)
{
	int ready[2], go[2];
	h_pipe(ready);
	h_pipe(go);
	pid_t pid = ns_clone(CLONE_NEWPID);
	EXPECT_OK(pid);
	if (pid == 0) {
		struct sigaction action = { .sa_sigaction = on_usr1,
					    .sa_flags = SA_SIGINFO };
		EXPECT_EQ(sigaction(SIGUSR1, &action, NULL), 0);
		sigset_t usr1;
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		pid_t child = ns_clone(0);
		EXPECT_OK(child);
		if (child == 0) {
			/* From inside: no handler, no effect. */
			EXPECT_EQ(kill(1, SIGTERM), 0);
			EXPECT_EQ(kill(1, SIGKILL), 0);
			EXPECT_EQ(kill(1, SIGSTOP), 0);
			/* With a handler: delivered, from pid 2. */
			EXPECT_EQ(kill(1, SIGUSR1), 0);
			h_exit(0);
		}
		EXPECT_EQ(h_wait_exit(child), 0);
		sigprocmask(SIG_UNBLOCK, &usr1, NULL);
		EXPECT_EQ(usr1_count, 1);
		EXPECT_EQ(usr1_from, 2);
		/* From the parent's namespace: si_pid 0. */
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		h_post(ready[1]);
		h_wait_byte(go[0]);
		sigprocmask(SIG_UNBLOCK, &usr1, NULL);
		EXPECT_EQ(usr1_count, 2);
		EXPECT_EQ(usr1_from, 0);
		h_post(ready[1]);
		for (;;)
			pause();
	}
	h_wait_byte(ready[0]);
	EXPECT_EQ(kill(pid, SIGUSR1), 0);
	/* SIGTERM without a handler from an ancestor is ignored too. */
	EXPECT_EQ(kill(pid, SIGTERM), 0);
	h_post(go[1]);
	h_wait_byte(ready[0]);
	int status = 0;
	EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0);
	/* SIGKILL from an ancestor namespace is not. */
	EXPECT_EQ(kill(pid, SIGKILL), 0);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
}

TEST(pidns, init_exit_kills_namespace)
{
	int fds[2], written[2];
	h_pipe(fds);
	h_pipe(written);
	pid_t pid = ns_clone(CLONE_NEWPID);
	EXPECT_OK(pid);
	if (pid == 0) {
		close(fds[0]);
		for (int i = 0; i < 2; i++) {
			pid_t child = ns_clone(0);
			EXPECT_OK(child);
			if (child == 0) {
				/* A grandchild too, which init adopts. */
				pid_t deeper = ns_clone(0);
				EXPECT_OK(deeper);
				pid_t id = outer_pid();
				EXPECT_EQ(write(fds[1], &id, sizeof id),
					  (ssize_t)sizeof id);
				h_post(written[1]);
				if (i == 0 && deeper != 0)
					h_exit(0);
				for (;;)
					pause();
			}
		}
		close(fds[1]);
		for (int i = 0; i < 4; i++)
			h_wait_byte(written[0]);
		/* Init leaves with everybody else still running. */
		h_exit(5);
	}
	close(fds[1]);
	pid_t ids[4] = { 0 };
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fds[0], (char *)ids + got, sizeof ids - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	EXPECT_EQ(got, sizeof ids);
	EXPECT_EQ(h_wait_exit(pid), 5);
	/* When its init is reaped, nobody of the namespace is left. */
	for (int i = 0; i < 4; i++)
		EXPECT_ERRNO(kill(ids[i], 0), ESRCH);
}

static void setns_pid(void *arg)
{
	(void)arg;
	int own = EXPECT_OK(open("/proc/self/ns/pid", O_RDONLY));
	int ready[2], done[2];
	h_pipe(ready);
	h_pipe(done);
	pid_t holder = ns_clone(CLONE_NEWPID);
	EXPECT_OK(holder);
	if (holder == 0) {
		/* From inside, the outer namespace is out of reach. */
		EXPECT_ERRNO(ns_setns(own, CLONE_NEWPID), EINVAL);
		EXPECT_ERRNO(ioctl(own, NS_GET_PARENT), EPERM);
		int mine = EXPECT_OK(open("/proc/self/ns/pid", O_RDONLY));
		EXPECT_ERRNO(ioctl(mine, NS_GET_PARENT), EPERM);
		EXPECT_EQ(ns_setns(mine, CLONE_NEWPID), 0);
		h_post(ready[1]);
		h_wait_byte(done[0]);
		h_exit(0);
	}
	h_wait_byte(ready[0]);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)holder);
	int inner = EXPECT_OK(open(path, O_RDONLY));
	EXPECT_EQ(ioctl(inner, NS_GET_NSTYPE), CLONE_NEWPID);
	EXPECT_ERRNO(ns_setns(inner, CLONE_NEWUTS), EINVAL);
	/* Its parent is ours. */
	int parent = EXPECT_OK(ioctl(inner, NS_GET_PARENT));
	struct stat a, b;
	EXPECT_EQ(fstat(parent, &a), 0);
	EXPECT_EQ(fstat(own, &b), 0);
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_ERRNO(ioctl(own, NS_GET_PARENT), EPERM);
	int user = EXPECT_OK(ioctl(inner, NS_GET_USERNS));
	EXPECT_EQ(ioctl(user, NS_GET_NSTYPE), CLONE_NEWUSER);
	/* Joining moves the children only. */
	pid_t me = getpid();
	EXPECT_EQ(ns_setns(inner, CLONE_NEWPID), 0);
	EXPECT_EQ(getpid(), me);
	struct stat c;
	EXPECT_EQ(fstat(inner, &c), 0);
	EXPECT_EQ(pid_ino("pid_for_children"), (unsigned long)c.st_ino);
	EXPECT_EQ(pid_ino("pid"), (unsigned long)b.st_ino);
	pid_t child = ns_clone(0);
	EXPECT_OK(child);
	if (child == 0) {
		EXPECT_EQ(getpid(), 2);
		EXPECT_EQ(getppid(), 0);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(child), 0);
	/* Back to our own: allowed. */
	EXPECT_EQ(ns_setns(own, CLONE_NEWPID), 0);
	EXPECT_EQ(pid_ino("pid_for_children"), (unsigned long)b.st_ino);
	/* Through a pidfd: the target's own namespace. */
	int pidfd = EXPECT_OK(syscall(SYS_pidfd_open, holder, 0));
	EXPECT_EQ(ns_setns(pidfd, CLONE_NEWPID), 0);
	EXPECT_EQ(pid_ino("pid_for_children"), (unsigned long)c.st_ino);
	h_post(done[1]);
	EXPECT_EQ(h_wait_exit(holder), 0);
}

TEST(pidns, setns_and_ioctls)
{
	proc_ready();
	EXPECT_CHILD_OK(setns_pid, NULL);
}

static void nest(void *arg)
{
	(void)arg;
	for (int level = 1;; level++) {
		if (ns_unshare(CLONE_NEWPID) != 0) {
			/* 32 levels below the initial namespace at most. */
			if (errno != ENOSPC || level != 33)
				h_exit(100 + level % 100);
			h_exit(0);
		}
		pid_t child = ns_clone(0);
		if (child < 0)
			h_exit(99);
		if (child > 0) {
			int status = 0;
			while (waitpid(child, &status, 0) < 0 && errno == EINTR)
				;
			h_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 98);
		}
		if (getpid() != 1)
			h_exit(97);
	}
}

TEST(pidns, nesting_limit)
{
	h_set_timeout(60);
	EXPECT_CHILD_OK(nest, NULL);
}

static void last_pid(void *arg)
{
	(void)arg;
	EXPECT_EQ(ns_unshare(CLONE_NEWPID), 0);
	pid_t init = ns_clone(0);
	EXPECT_OK(init);
	if (init == 0) {
		char text[32];
		proc_read("/proc/sys/kernel/ns_last_pid", text, sizeof text);
		EXPECT_STREQ(text, "1\n");
		EXPECT_EQ(ns_write("/proc/sys/kernel/ns_last_pid", "99"), 0);
		proc_read("/proc/sys/kernel/ns_last_pid", text, sizeof text);
		EXPECT_STREQ(text, "99\n");
		pid_t child = ns_clone(0);
		EXPECT_OK(child);
		if (child == 0)
			h_exit(0);
		EXPECT_EQ(child, 100);
		EXPECT_EQ(h_wait_exit(child), 0);
		/* clone3's set_tid: a chosen pid here. */
		pid_t tids[2] = { 150, 0 };
		struct pidns_clone_args args = { 0 };
		args.exit_signal = SIGCHLD;
		args.set_tid = (unsigned long)tids;
		args.set_tid_size = 1;
		child = syscall(SYS_clone3, &args, sizeof args);
		EXPECT_OK(child);
		if (child == 0)
			h_exit(0);
		EXPECT_EQ(child, 150);
		EXPECT_EQ(h_wait_exit(child), 0);
		/* Taken: EEXIST; 0 or beyond the levels: EINVAL. */
		tids[0] = 1;
		EXPECT_ERRNO(syscall(SYS_clone3, &args, sizeof args), EEXIST);
		tids[0] = 0;
		EXPECT_ERRNO(syscall(SYS_clone3, &args, sizeof args), EINVAL);
		tids[0] = 160;
		args.set_tid_size = 3;
		EXPECT_ERRNO(syscall(SYS_clone3, &args, sizeof args), EINVAL);
		/* Not root: EPERM to write, and for set_tid. */
		EXPECT_EQ(setuid(NOBODY), 0);
		EXPECT_EQ(ns_write("/proc/sys/kernel/ns_last_pid", "10"), -1);
		EXPECT_EQ(errno, EPERM);
		args.set_tid_size = 1;
		EXPECT_ERRNO(syscall(SYS_clone3, &args, sizeof args), EPERM);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(init), 0);
	/* A new namespace's first pid must be 1. */
	pid_t tids[1] = { 2 };
	struct pidns_clone_args args = { 0 };
	args.flags = CLONE_NEWPID;
	args.exit_signal = SIGCHLD;
	args.set_tid = (unsigned long)tids;
	args.set_tid_size = 1;
	EXPECT_ERRNO(syscall(SYS_clone3, &args, sizeof args), EINVAL);
}

TEST(pidns, ns_last_pid_and_set_tid)
{
	proc_ready();
	EXPECT_CHILD_OK(last_pid, NULL);
}

static void credentials(void *arg)
{
	(void)arg;
	int sv[2];
	EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int on = 1;
	EXPECT_EQ(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on),
		  0);
	pid_t child = ns_clone(CLONE_NEWPID);
	EXPECT_OK(child);
	if (child == 0) {
		/* The pair was made outside: its peer pid is 0 here. */
		struct ucred cred;
		socklen_t len = sizeof cred;
		EXPECT_EQ(getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &cred,
				     &len),
			  0);
		EXPECT_EQ(cred.pid, 0);
		/* Credentials name the sender by its own pid. */
		struct ucred mine = { .pid = 1, .uid = 0, .gid = 0 };
		char control[CMSG_SPACE(sizeof mine)] = { 0 };
		char byte = 'x';
		struct iovec iov = { &byte, 1 };
		struct msghdr msg = { .msg_iov = &iov,
				      .msg_iovlen = 1,
				      .msg_control = control,
				      .msg_controllen = sizeof control };
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_CREDENTIALS;
		cmsg->cmsg_len = CMSG_LEN(sizeof mine);
		memcpy(CMSG_DATA(cmsg), &mine, sizeof mine);
		EXPECT_EQ(sendmsg(sv[1], &msg, 0), 1);
		h_exit(0);
	}
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	char control[CMSG_SPACE(sizeof(struct ucred))] = { 0 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof control };
	EXPECT_EQ(recvmsg(sv[0], &msg, 0), 1);
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	EXPECT_TRUE(cmsg != NULL && cmsg->cmsg_type == SCM_CREDENTIALS);
	struct ucred got;
	memcpy(&got, CMSG_DATA(cmsg), sizeof got);
	/* Seen from here, the sender is the child's global pid. */
	EXPECT_EQ(got.pid, child);
	EXPECT_EQ(h_wait_exit(child), 0);
}

TEST(pidns, socket_credentials)
{
	EXPECT_CHILD_OK(credentials, NULL);
}
