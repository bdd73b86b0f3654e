/*
 * Suite procpid: /proc/<pid> (Linux 6.1's fs/proc/base.c, array.c, fd.c).
 *
 * Guards: /proc/self and /proc/thread-self name the caller; stat's 52 fields
 * parse as procps parses them (the name in parentheses may hold spaces and
 * parentheses) and agree with getpid/getppid/getpgrp/getsid, the thread count
 * and the state (R for the reader); status agrees with the ids, the signal
 * masks (SigBlk, SigIgn, SigCgt), Threads; statm's fields are consistent;
 * cmdline and environ are the argument and environment strings of a child
 * (NUL-separated); exe, cwd and root are links that read as paths and lead to
 * the objects; fd/N reads as the path ("pipe:[N]" for a pipe) with lr-x/l-wx
 * modes, and opening fd/N of a pipe opens the same pipe (pipefs: either end
 * by access mode, never waiting for a partner; bash's <(...) is /dev/fd/63),
 * fdinfo/N shows pos and octal flags with O_CLOEXEC; comm is writable
 * by the process itself only (EINVAL otherwise); oom_score_adj takes
 * -1000..1000 (EINVAL), and lowering it needs privilege (EACCES); a child's
 * directory shows it as a zombie (Z) until it is reaped, then disappears
 * (ENOENT); task/ lists the threads; limits agree with getrlimit; auxv holds
 * AT_PAGESZ and AT_ENTRY as getauxval sees them; environ of another user's
 * process is EACCES.
 */
#include "proc.h"

#include <sched.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define NOBODY 65534

/* stat fields after the name: field 3 (state) is fields[0]. */
struct stat_line {
	int pid;
	char comm[64];
	char state;
	long long f[50]; /* fields 4.. (ppid is f[0]) */
	int count;
};

static struct stat_line parse_stat(const char *path)
{
	char buf[1024];
	struct stat_line s;
	memset(&s, 0, sizeof s);
	proc_read(path, buf, sizeof buf);
	/* procps: the name runs to the last ')'. */
	char *open = strchr(buf, '(');
	char *close = strrchr(buf, ')');
	if (!open || !close || close < open)
		FAIL("bad stat line: %s", buf);
	s.pid = atoi(buf);
	size_t n = close - open - 1;
	if (n >= sizeof s.comm)
		n = sizeof s.comm - 1;
	memcpy(s.comm, open + 1, n);
	char *p = close + 2;
	s.state = *p;
	p += 1;
	while (*p == ' ' && s.count < 50) {
		s.f[s.count++] = strtoll(p + 1, &p, 10);
	}
	if (*p != '\n')
		FAIL("stat line does not end in a newline: %s", buf);
	return s;
}

TEST(procpid, self_links)
{
	proc_ready();
	char buf[64], want[64];
	ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
	EXPECT_GE(n, 1);
	buf[n] = 0;
	snprintf(want, sizeof want, "%d", (int)getpid());
	EXPECT_STREQ(buf, want);
	n = readlink("/proc/thread-self", buf, sizeof buf - 1);
	EXPECT_GE(n, 1);
	buf[n] = 0;
	snprintf(want, sizeof want, "%d/task/%d", (int)getpid(),
		 (int)syscall(SYS_gettid));
	EXPECT_STREQ(buf, want);
	struct stat a, b;
	EXPECT_OK(stat("/proc/self", &a));
	snprintf(want, sizeof want, "/proc/%d", (int)getpid());
	EXPECT_OK(stat(want, &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_MODE(a.st_mode, S_IFDIR | 0555);
	EXPECT_OK(lstat("/proc/self", &a));
	EXPECT_TRUE(S_ISLNK(a.st_mode));
	EXPECT_ERRNO(open("/proc/nonexistent", O_RDONLY), ENOENT);
	EXPECT_ERRNO(open("/proc/0", O_RDONLY), ENOENT);
	EXPECT_ERRNO(open("/proc/self/nonexistent", O_RDONLY), ENOENT);
}

TEST(procpid, stat_agrees_with_the_ids)
{
	proc_ready();
	struct stat_line s = parse_stat("/proc/self/stat");
	EXPECT_EQ(s.count, 49);
	EXPECT_EQ(s.pid, getpid());
	EXPECT_EQ(s.state, 'R');
	EXPECT_EQ(s.f[0], getppid());
	EXPECT_EQ(s.f[1], getpgrp());
	EXPECT_EQ(s.f[2], getsid(0));
	EXPECT_EQ(s.f[16], 1);		  /* num_threads */
	EXPECT_EQ(s.f[15], getpriority(PRIO_PROCESS, 0)); /* nice */
	EXPECT_EQ(s.f[14], 20 + s.f[15]); /* priority */
	EXPECT_EQ(s.f[34], SIGCHLD == 17 ? 17 : s.f[34]); /* exit_signal */
	/* rsslim, vsize, rss look sane. */
	EXPECT_GT(s.f[19], 0);
	EXPECT_GT(s.f[20], 0);
	/* The comm is the executable's base name (at most 15 bytes). */
	char comm[32] = {0};
	proc_read("/proc/self/comm", comm, sizeof comm);
	comm[strcspn(comm, "\n")] = 0;
	EXPECT_STREQ(s.comm, comm);
	/* arg_start <= arg_end <= env_start <= env_end, all in our memory. */
	EXPECT_LE(s.f[44], s.f[45]);
	EXPECT_LE(s.f[46], s.f[47]);
}

static void on_signal(int signal)
{
	(void)signal;
}

TEST(procpid, status_agrees_with_ids_and_signals)
{
	proc_ready();
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	EXPECT_OK(sigprocmask(SIG_BLOCK, &set, &old));
	struct sigaction ign = {.sa_handler = SIG_IGN};
	struct sigaction caught = {.sa_handler = on_signal};
	EXPECT_OK(sigaction(SIGWINCH, &ign, NULL));
	EXPECT_OK(sigaction(SIGURG, &caught, NULL));
	static char text[8192];
	proc_read("/proc/self/status", text, sizeof text);
	EXPECT_OK(sigprocmask(SIG_SETMASK, &old, NULL));
	EXPECT_EQ(proc_number(text, "Pid"), getpid());
	EXPECT_EQ(proc_number(text, "Tgid"), getpid());
	EXPECT_EQ(proc_number(text, "PPid"), getppid());
	EXPECT_EQ(proc_number(text, "Threads"), 1);
	char value[256], want[256];
	snprintf(want, sizeof want, "%d\t%d\t%d\t%d", (int)getuid(),
		 (int)geteuid(), (int)geteuid(), (int)geteuid());
	EXPECT_STREQ(proc_field(text, "Uid", value, sizeof value), want);
	EXPECT_STREQ(proc_field(text, "State", value, sizeof value),
		     "R (running)");
	unsigned long long blocked = strtoull(
		proc_field(text, "SigBlk", value, sizeof value), NULL, 16);
	EXPECT_EQX(blocked & (1ULL << (SIGUSR2 - 1)), 1ULL << (SIGUSR2 - 1));
	unsigned long long ignored = strtoull(
		proc_field(text, "SigIgn", value, sizeof value), NULL, 16);
	EXPECT_EQX(ignored & (1ULL << (SIGWINCH - 1)), 1ULL << (SIGWINCH - 1));
	unsigned long long handled = strtoull(
		proc_field(text, "SigCgt", value, sizeof value), NULL, 16);
	EXPECT_EQX(handled & (1ULL << (SIGURG - 1)), 1ULL << (SIGURG - 1));
	EXPECT_EQ(strlen(proc_field(text, "SigPnd", value, sizeof value)), 16);
	/* Umask and Name. */
	mode_t mask = umask(022);
	umask(mask);
	snprintf(want, sizeof want, "%04o", (unsigned)mask);
	EXPECT_STREQ(proc_field(text, "Umask", value, sizeof value), want);
	EXPECT_GT(proc_number(text, "VmRSS"), 0);
	EXPECT_GE(proc_number(text, "VmSize"), proc_number(text, "VmRSS"));
	/* statm: size >= resident >= shared. */
	char statm[128];
	proc_read("/proc/self/statm", statm, sizeof statm);
	long size, resident, shared, text_pages, lib, data, dt;
	EXPECT_EQ(sscanf(statm, "%ld %ld %ld %ld %ld %ld %ld", &size,
			 &resident, &shared, &text_pages, &lib, &data, &dt),
		  7);
	EXPECT_GE(size, resident);
	EXPECT_GE(resident, shared);
	EXPECT_EQ(lib, 0);
	EXPECT_EQ(dt, 0);
}

/* A child that execs child-helper with known arguments and environment and
 * waits in pause(). */
static pid_t spawn_paused(void)
{
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		char *argv[] = {"helper", "pause", "two words", "", NULL};
		char *envp[] = {"A=1", "B=two", NULL};
		close(p[0]);
		/* The exec closes the pipe (O_CLOEXEC): the parent sees EOF. */
		execve(h_child_helper(), argv, envp);
		h_exit(127);
	}
	close(p[1]);
	char c;
	while (read(p[0], &c, 1) > 0)
		;
	close(p[0]);
	return pid;
}

TEST(procpid, cmdline_environ_and_links_of_a_child)
{
	proc_ready();
	pid_t pid = spawn_paused();
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	/* The exec may not have finished when EOF arrives: wait for it. */
	for (int i = 0; i < 1000; i++) {
		size_t n = proc_read(path, buf, sizeof buf);
		if (n > 6 && !memcmp(buf, "helper", 6))
			break;
		sched_yield();
	}
	int fd = EXPECT_OK(open(path, O_RDONLY));
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	static const char want[] = "helper\0pause\0two words\0";
	EXPECT_EQ(n, (ssize_t)sizeof want);
	EXPECT_MEMEQ(buf, want, sizeof want);
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	fd = EXPECT_OK(open(path, O_RDONLY));
	n = read(fd, buf, sizeof buf);
	close(fd);
	EXPECT_EQ(n, 10);
	EXPECT_MEMEQ(buf, "A=1\0B=two\0", 10);
	/* stat of the child: its parent is us. */
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	struct stat_line s = parse_stat(path);
	EXPECT_EQ(s.pid, pid);
	EXPECT_EQ(s.f[0], getpid());
	EXPECT_STREQ(s.comm, "child-helper");
	/* exe reads as the helper's path and leads to it. */
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, sizeof buf - 1);
	EXPECT_GE(n, 1);
	buf[n] = 0;
	EXPECT_STREQ(buf, h_child_helper());
	struct stat a, b;
	EXPECT_OK(stat(path, &a));
	EXPECT_OK(stat(h_child_helper(), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_dev, b.st_dev);
	snprintf(path, sizeof path, "/proc/%d/root", (int)pid);
	n = readlink(path, buf, sizeof buf - 1);
	EXPECT_EQ(n, 1);
	EXPECT_EQ(buf[0], '/');
	/* A zombie until reaped, then gone. */
	EXPECT_OK(kill(pid, SIGKILL));
	siginfo_t info;
	EXPECT_OK(waitid(P_PID, pid, &info, WEXITED | WNOWAIT));
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	s = parse_stat(path);
	EXPECT_EQ(s.state, 'Z');
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	EXPECT_EQ(proc_read(path, buf, sizeof buf), 0);
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGKILL);
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	EXPECT_ERRNO(open(path, O_RDONLY), ENOENT);
	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	EXPECT_ERRNO(access(path, F_OK), ENOENT);
}

TEST(procpid, fd_links_and_fdinfo)
{
	proc_ready();
	const char *dir = h_tmpdir();
	h_write_file("file", "0123456789");
	int fd = EXPECT_OK(open("file", O_RDONLY | O_CLOEXEC));
	EXPECT_EQ(lseek(fd, 3, SEEK_SET), 3);
	char path[64], buf[512], want[512];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	EXPECT_GE(n, 1);
	buf[n] = 0;
	snprintf(want, sizeof want, "%s/file", dir);
	EXPECT_STREQ(buf, want);
	struct stat st;
	EXPECT_OK(lstat(path, &st));
	EXPECT_MODE(st.st_mode, S_IFLNK | 0500);
	/* Following the link reaches the file, even after it is renamed. */
	EXPECT_OK(rename("file", "renamed"));
	int again = EXPECT_OK(open(path, O_RDONLY));
	char c;
	EXPECT_EQ(read(again, &c, 1), 1);
	EXPECT_EQ(c, '0');
	close(again);
	EXPECT_OK(unlink("renamed"));
	n = readlink(path, buf, sizeof buf - 1);
	buf[n] = 0;
	snprintf(want, sizeof want, "%s/renamed (deleted)", dir);
	EXPECT_STREQ(buf, want);
	/* fdinfo: position and flags (O_RDONLY | O_LARGEFILE | O_CLOEXEC). */
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	static char text[1024];
	proc_read(path, text, sizeof text);
	EXPECT_EQ(proc_number(text, "pos"), 3);
	char value[64];
	proc_field(text, "flags", value, sizeof value);
	unsigned long flags = strtoul(value, NULL, 8);
	EXPECT_EQ(value[0], '0');
	EXPECT_EQX(flags & (O_ACCMODE | O_CLOEXEC), O_RDONLY | O_CLOEXEC);
	close(fd);
	EXPECT_ERRNO(open(path, O_RDONLY), ENOENT);
	/* A pipe's ends read as pipe:[inode] with the access in the mode. */
	int p[2];
	h_pipe(p);
	struct stat pst;
	EXPECT_OK(fstat(p[0], &pst));
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
	n = readlink(path, buf, sizeof buf - 1);
	buf[n] = 0;
	snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)pst.st_ino);
	EXPECT_STREQ(buf, want);
	EXPECT_OK(lstat(path, &st));
	EXPECT_MODE(st.st_mode, S_IFLNK | 0300);
	close(p[0]);
	close(p[1]);
	/* The fd directory lists 0, 1, 2. */
	EXPECT_OK(access("/proc/self/fd/0", F_OK));
	EXPECT_ERRNO(access("/proc/self/fd/12345", F_OK), ENOENT);
	EXPECT_ERRNO(access("/proc/self/fd/01", F_OK), ENOENT);
}

TEST(procpid, pipe_reopens_through_fd_link)
{
	proc_ready();
	int p[2];
	h_pipe(p);
	char path[64], buf[64], want[64];
	EXPECT_EQ(write(p[1], "abc", 3), 3);
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
	int rd = open(path, O_RDONLY);
	EXPECT_OK(rd);
	EXPECT_EQ(read(rd, buf, sizeof buf), 3);
	EXPECT_EQ(memcmp(buf, "abc", 3), 0);
	struct stat a, b;
	EXPECT_OK(fstat(p[0], &a));
	EXPECT_OK(fstat(rd, &b));
	EXPECT_TRUE(S_ISFIFO(b.st_mode));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_dev, b.st_dev);
	/* The new file's own link reads as the pipe too. */
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", rd);
	ssize_t n = readlink(link, buf, sizeof buf - 1);
	EXPECT_TRUE(n > 0);
	buf[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)a.st_ino);
	EXPECT_STREQ(buf, want);
	/* The read end's name opened for writing is a write end of the same pipe. */
	int wr = open(path, O_WRONLY);
	EXPECT_OK(wr);
	EXPECT_EQ(write(wr, "xy", 2), 2);
	EXPECT_EQ(read(p[0], buf, sizeof buf), 2);
	EXPECT_EQ(memcmp(buf, "xy", 2), 0);
	EXPECT_EQX(fcntl(wr, F_GETFL) & O_ACCMODE, O_WRONLY);
	/* Unlike a FIFO's, a pipe's open never waits for a partner (fifo_open's
	 * is_pipe): with every writer gone a blocking reader opens at once and
	 * sees end of file. */
	close(p[1]);
	close(wr);
	int eof = open(path, O_RDONLY);
	EXPECT_OK(eof);
	EXPECT_EQ(read(eof, buf, sizeof buf), 0);
	close(eof);
	close(rd);
	close(p[0]);
	/* ... and a non-blocking writer without a reader is no ENXIO. */
	h_pipe(p);
	close(p[0]);
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
	int lone = open(path, O_WRONLY | O_NONBLOCK);
	EXPECT_OK(lone);
	close(lone);
	/* O_RDWR makes both ends. */
	int both = open(path, O_RDWR);
	EXPECT_OK(both);
	EXPECT_EQ(write(both, "z", 1), 1);
	EXPECT_EQ(read(both, buf, 1), 1);
	EXPECT_EQ(buf[0], 'z');
	close(both);
	close(p[1]);
}

static void write_other_comm(void *arg)
{
	char *path = arg;
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		FAIL("open(%s): %s", path, h_errname(errno));
	EXPECT_ERRNO(write(fd, "x", 1), EINVAL);
	close(fd);
}

TEST(procpid, comm_is_writable_by_the_process)
{
	proc_ready();
	char old[32] = {0}, buf[32] = {0};
	proc_read("/proc/self/comm", old, sizeof old);
	int fd = EXPECT_OK(open("/proc/self/comm", O_WRONLY));
	EXPECT_EQ(write(fd, "renamed-for-a-test", 18), 18);
	close(fd);
	proc_read("/proc/self/comm", buf, sizeof buf);
	/* 15 bytes are kept (TASK_COMM_LEN - 1). */
	EXPECT_STREQ(buf, "renamed-for-a-t\n");
	char name[32] = {0};
	EXPECT_OK(prctl(PR_GET_NAME, name));
	EXPECT_STREQ(name, "renamed-for-a-t");
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)getpid());
	EXPECT_CHILD_OK(write_other_comm, path);
	old[strcspn(old, "\n")] = 0;
	EXPECT_OK(prctl(PR_SET_NAME, old));
}

static void lower_oom_adj(void *arg)
{
	(void)arg;
	EXPECT_OK(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY));
	/* The id change made us undumpable, so our entries went to root;
	 * dumpable again, they are ours. */
	EXPECT_ERRNO(open("/proc/self/oom_score_adj", O_WRONLY), EACCES);
	EXPECT_OK(prctl(PR_SET_DUMPABLE, 1));
	/* The floor is what a privileged process set last (500, inherited):
	 * above it anything goes, below it is EACCES. */
	int fd = EXPECT_OK(open("/proc/self/oom_score_adj", O_WRONLY));
	EXPECT_EQ(pwrite(fd, "600", 3, 0), 3);
	EXPECT_EQ(pwrite(fd, "550", 3, 0), 3);
	EXPECT_ERRNO(pwrite(fd, "100", 3, 0), EACCES);
	close(fd);
}

/* Not init (which the OOM killer never picks: 0): a positive score. */
static void oom_score_positive(void *arg)
{
	(void)arg;
	char buf[32];
	proc_read("/proc/self/oom_score", buf, sizeof buf);
	EXPECT_GT(strtol(buf, NULL, 10), 0);
}

TEST(procpid, oom_score_adj)
{
	proc_ready();
	char buf[32];
	proc_read("/proc/self/oom_score_adj", buf, sizeof buf);
	long old = strtol(buf, NULL, 10);
	int fd = EXPECT_OK(open("/proc/self/oom_score_adj", O_WRONLY));
	EXPECT_EQ(write(fd, "500\n", 4), 4);
	proc_read("/proc/self/oom_score_adj", buf, sizeof buf);
	EXPECT_STREQ(buf, "500\n");
	proc_read("/proc/self/oom_adj", buf, sizeof buf);
	EXPECT_STREQ(buf, "8\n");
	EXPECT_ERRNO(pwrite(fd, "1001", 4, 0), EINVAL);
	EXPECT_ERRNO(pwrite(fd, "-1001", 5, 0), EINVAL);
	EXPECT_ERRNO(pwrite(fd, "abc", 3, 0), EINVAL);
	EXPECT_CHILD_OK(oom_score_positive, NULL);
	EXPECT_CHILD_OK(lower_oom_adj, NULL);
	char value[16];
	snprintf(value, sizeof value, "%ld", old);
	EXPECT_EQ(pwrite(fd, value, strlen(value), 0), (ssize_t)strlen(value));
	close(fd);
}

/* fopen(path, "w") opens with O_CREAT | O_TRUNC: on a proc file the
 * truncation changes nothing and the open succeeds (LTP's library writes
 * oom_score_adj this way). */
TEST(procpid, open_with_o_trunc)
{
	proc_ready();
	char buf[32];
	proc_read("/proc/self/oom_score_adj", buf, sizeof buf);
	int fd = EXPECT_OK(open("/proc/self/oom_score_adj",
				O_WRONLY | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(write(fd, buf, strlen(buf)), (ssize_t)strlen(buf));
	close(fd);
	fd = EXPECT_OK(open("/proc/self/oom_score_adj", O_WRONLY | O_TRUNC));
	EXPECT_EQ(write(fd, buf, strlen(buf)), (ssize_t)strlen(buf));
	close(fd);
	char after[32];
	proc_read("/proc/self/oom_score_adj", after, sizeof after);
	EXPECT_STREQ(after, buf);
	EXPECT_ERRNO(open("/proc/self", O_WRONLY | O_TRUNC), EISDIR);
}

static volatile int thread_go;

static int spin_thread(void *arg)
{
	(void)arg;
	while (!thread_go)
		sched_yield();
	return 0;
}

TEST(procpid, task_lists_threads)
{
	proc_ready();
	static volatile int ctid;
	thread_go = 0;
	ctid = 1;
	long tid = h_clone_raw(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				       CLONE_THREAD | CLONE_SYSVSEM |
				       CLONE_CHILD_CLEARTID,
			       h_stack(), NULL, (int *)&ctid, 0, spin_thread, NULL);
	EXPECT_GT(tid, 0);
	char path[64], buf[128];
	snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
	struct stat_line s = parse_stat(path);
	EXPECT_EQ(s.pid, tid);
	struct stat_line whole = parse_stat("/proc/self/stat");
	EXPECT_EQ(whole.f[16], 2);
	snprintf(path, sizeof path, "/proc/self/task/%d", (int)getpid());
	EXPECT_OK(access(path, F_OK));
	/* A thread's id also names its process's directory, unlisted. */
	snprintf(path, sizeof path, "/proc/%ld/status", tid);
	proc_read(path, buf, sizeof buf);
	thread_go = 1;
	h_join(&ctid);
	snprintf(path, sizeof path, "/proc/self/task/%ld", tid);
	for (int i = 0; i < 1000 && access(path, F_OK) == 0; i++)
		sched_yield();
	EXPECT_ERRNO(access(path, F_OK), ENOENT);
}

TEST(procpid, limits_and_auxv)
{
	proc_ready();
	static char text[4096];
	proc_read("/proc/self/limits", text, sizeof text);
	static const char header[] =
		"Limit                     Soft Limit           Hard Limit           Units     \n";
	EXPECT_TRUE(!strncmp(text, header, strlen(header)));
	struct rlimit r;
	EXPECT_OK(getrlimit(RLIMIT_NOFILE, &r));
	char want[128];
	snprintf(want, sizeof want, "Max open files            %-20lu %-20lu files     \n",
		 (unsigned long)r.rlim_cur, (unsigned long)r.rlim_max);
	EXPECT_TRUE(strstr(text, want) != NULL);
	/* auxv: (key, value) pairs ending in AT_NULL. */
	unsigned long aux[128];
	int fd = EXPECT_OK(open("/proc/self/auxv", O_RDONLY));
	ssize_t n = read(fd, aux, sizeof aux);
	close(fd);
	EXPECT_GT(n, 16);
	EXPECT_EQ(n % 16, 0);
	EXPECT_EQ(aux[n / 8 - 2], AT_NULL);
	int seen = 0;
	for (ssize_t i = 0; i + 1 < n / 8; i += 2) {
		if (aux[i] == AT_PAGESZ) {
			EXPECT_EQ(aux[i + 1], 4096);
			seen |= 1;
		}
		if (aux[i] == AT_ENTRY) {
			EXPECT_EQ(aux[i + 1], getauxval(AT_ENTRY));
			seen |= 2;
		}
	}
	EXPECT_EQ(seen, 3);
}

static void read_other_environ(void *arg)
{
	char *path = arg;
	EXPECT_OK(syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY));
	EXPECT_OK(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY));
	EXPECT_ERRNO(open(path, O_RDONLY), EACCES);
	char stat_path[64];
	snprintf(stat_path, sizeof stat_path, "%.*s/stat",
		 (int)(strrchr(path, '/') - path), path);
	/* stat stays readable, with the addresses hidden. */
	struct stat_line s = parse_stat(stat_path);
	EXPECT_EQ(s.f[22], 1); /* startcode */
	EXPECT_EQ(s.f[44], 0); /* arg_start */
}

TEST(procpid, other_users_cannot_read_environ)
{
	proc_ready();
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/environ", (int)getpid());
	if (geteuid() != 0)
		return;
	EXPECT_CHILD_OK(read_other_environ, path);
}
