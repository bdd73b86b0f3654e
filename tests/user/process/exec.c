/*
 * Suite exec: execve(2) and execveat(2), run on /bin/child-helper.
 *
 * Guards Linux's fs/exec.c (do_execveat_common, copy_strings, de_thread,
 * flush_signal_handlers via setup_new_exec, do_close_on_exec) and
 * fs/binfmt_script.c: argv and envp arrive verbatim (an empty argv becomes
 * {""} since Linux 5.18); missing file ENOENT; a file without execute
 * permission or a directory EACCES; a file that is neither ELF nor "#!"
 * ENOEXEC; bad pointers EFAULT; an argument longer than MAX_ARG_STRLEN E2BIG;
 * close-on-exec fds are closed and others kept; handled signals reset to
 * SIG_DFL, ignored ones stay ignored, the mask and pending signals are kept;
 * "#!interp arg" runs interp with argv {interp, arg, script-path, argv[1..]}
 * (argv[0] dropped, the whole rest of the line one argument), nested up to a
 * limit; execveat runs an fd with AT_EMPTY_PATH (a close-on-exec fd on a
 * script is ENOENT); exec in a multithreaded process kills the other
 * threads and keeps the pid, even when a non-leader thread execs; a set-uid
 * program sees AT_SECURE 1; a file open for writing is not executed and a
 * running program's file is not opened for writing or truncated (ETXTBSY).
 * Man pages execve(2), execveat(2), getauxval(3).
 */
#include "harness.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#ifndef SYS_execveat
#define SYS_execveat 322
#endif
#define BIT(sig) (1ULL << ((sig) - 1))

/* Fork a child that makes fd 1 the write end of a pipe, calls setup (if
 * any), then execve(path, argv, envp) with the raw syscall; the parent
 * collects the output and returns the exit status code.  127 + errno
 * details: on exec failure the child exits 127 and writes "errno=N". */
static int run_exec(const char *path, char *const argv[], char *const envp[],
		    void (*setup)(void), char *out, size_t size)
{
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		if (dup2(p[1], 1) != 1)
			h_exit(126);
		if (setup)
			setup();
		long r = h_raw_syscall(SYS_execve, (long)path, (long)argv,
				       (long)envp, 0, 0, 0);
		dprintf(1, "errno=%ld\n", -r);
		h_exit(127);
	}
	close(p[1]);
	h_read_all(p[0], out, size);
	close(p[0]);
	return h_wait_exit(pid);
}

/* execve in a child; returns the errno it failed with (0 if it worked). */
static int exec_errno(const char *path, char *const argv[], char *const envp[])
{
	char out[256];
	int code = run_exec(path, argv, envp, NULL, out, sizeof out);
	if (code != 127)
		return 0;
	int e = 0;
	sscanf(out, "errno=%d", &e);
	return e;
}

static char *noenv[] = {NULL};

TEST(exec, argv_and_envp_verbatim)
{
	const char *helper = h_child_helper();
	char *argv[] = {"zeroth", "argv", "a b", "", "-c", NULL};
	char out[1024];
	EXPECT_EQ(run_exec(helper, argv, noenv, NULL, out, sizeof out), 0);
	EXPECT_STREQ(out, "argc=5\nargv[0]=zeroth\nargv[1]=argv\n"
			  "argv[2]=a b\nargv[3]=\nargv[4]=-c\n");
	char *argv2[] = {"x", "env", NULL};
	char *envp[] = {"A=1", "B=two words", "noequals", "", NULL};
	EXPECT_EQ(run_exec(helper, argv2, envp, NULL, out, sizeof out), 0);
	EXPECT_STREQ(out, "env=A=1\nenv=B=two words\nenv=noequals\nenv=\n");
}

TEST(exec, null_envp_and_empty_argv)
{
	const char *helper = h_child_helper();
	char *argv[] = {"x", "env", NULL};
	char out[1024];
	/* NULL envp is an empty environment. */
	EXPECT_EQ(run_exec(helper, argv, NULL, NULL, out, sizeof out), 0);
	EXPECT_STREQ(out, "");
	/* An empty argv becomes {""}: the helper sees argc 1 (usage, 2). */
	char *empty[] = {NULL};
	EXPECT_EQ(run_exec(helper, empty, noenv, NULL, out, sizeof out), 2);
	EXPECT_STREQ(out, "usage: child-helper COMMAND ...\n");
	EXPECT_EQ(run_exec(helper, NULL, noenv, NULL, out, sizeof out), 2);
}

TEST(exec, exit_code_and_pid_kept)
{
	const char *helper = h_child_helper();
	char *argv[] = {"x", "ids", NULL};
	char out[256], want[256];
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execve(helper, argv, noenv);
		h_exit(127);
	}
	close(p[1]);
	h_read_all(p[0], out, sizeof out);
	EXPECT_EQ(h_wait_exit(pid), 0);
	long pgid = getpgid(0), sid = getsid(0);
	snprintf(want, sizeof want, "pid=%d ppid=%d pgid=%ld sid=%ld tid=%d\n",
		 (int)pid, (int)getpid(), pgid, sid, (int)pid);
	EXPECT_STREQ(out, want);
	char *argv2[] = {"x", "exit", "213", NULL};
	EXPECT_EQ(run_exec(helper, argv2, noenv, NULL, out, sizeof out), 213);
}

TEST(exec, enoent_enotdir_efault)
{
	char *argv[] = {"x", NULL};
	h_tmpdir();
	h_write_file("file", "x");
	EXPECT_EQ(exec_errno("/nonexistent/prog", argv, noenv), ENOENT);
	EXPECT_EQ(exec_errno("missing", argv, noenv), ENOENT);
	EXPECT_EQ(exec_errno("", argv, noenv), ENOENT);
	EXPECT_EQ(exec_errno("file/x", argv, noenv), ENOTDIR);
	EXPECT_EQ(exec_errno(H_BAD_PTR, argv, noenv), EFAULT);
	EXPECT_EQ(exec_errno(h_child_helper(), H_BAD_PTR, noenv), EFAULT);
	char *badargv[] = {"x", H_BAD_PTR, NULL};
	EXPECT_EQ(exec_errno(h_child_helper(), badargv, noenv), EFAULT);
	EXPECT_EQ(exec_errno(h_child_helper(), argv, H_BAD_PTR), EFAULT);
}

TEST(exec, eacces)
{
	char *argv[] = {"x", NULL};
	h_tmpdir();
	h_write_file("noexec", "#!/bin/child-helper argv\n");
	EXPECT_OK(chmod("noexec", 0644));
	EXPECT_EQ(exec_errno("noexec", argv, noenv), EACCES);
	EXPECT_OK(mkdir("dir", 0755));
	EXPECT_EQ(exec_errno("dir", argv, noenv), EACCES);
	EXPECT_EQ(exec_errno("/", argv, noenv), EACCES);
	/* A character device is not a regular file. */
	EXPECT_EQ(exec_errno("/dev/null", argv, noenv), EACCES);
}

TEST(exec, enoexec_for_unknown_format)
{
	char *argv[] = {"x", NULL};
	h_tmpdir();
	h_write_file("garbage", "this is not a program\n\x01\x02\x03");
	EXPECT_OK(chmod("garbage", 0755));
	EXPECT_EQ(exec_errno("garbage", argv, noenv), ENOEXEC);
	h_write_file("empty", "");
	EXPECT_OK(chmod("empty", 0755));
	EXPECT_EQ(exec_errno("empty", argv, noenv), ENOEXEC);
	/* A truncated ELF header. */
	h_write_file("elf", "\x7f" "ELF\x02\x01\x01");
	EXPECT_OK(chmod("elf", 0755));
	EXPECT_EQ(exec_errno("elf", argv, noenv), ENOEXEC);
}

TEST(exec, e2big_for_long_argument)
{
	static char huge[200 * 1024];
	memset(huge, 'a', sizeof huge - 1);
	char *argv[] = {"x", huge, NULL};
	EXPECT_EQ(exec_errno(h_child_helper(), argv, noenv), E2BIG);
	char *envp[] = {huge, NULL};
	char *argv2[] = {"x", NULL};
	EXPECT_EQ(exec_errno(h_child_helper(), argv2, envp), E2BIG);
}

static void setup_fds(void)
{
	if (dup2(0, 10) != 10 || dup2(0, 11) != 11 || dup2(0, 12) != 12)
		h_exit(125);
	fcntl(10, F_SETFD, FD_CLOEXEC);
	fcntl(12, F_SETFD, FD_CLOEXEC);
	int fd = open("/", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup3(fd, 13, O_CLOEXEC) != 13)
		h_exit(124);
	close(fd);
}

TEST(exec, close_on_exec)
{
	char *argv[] = {"x", "fds", NULL};
	char out[256];
	EXPECT_EQ(run_exec(h_child_helper(), argv, noenv, setup_fds, out,
			   sizeof out),
		  0);
	EXPECT_STREQ(out, "fds=0 1 2 11\n");
}

static void handler(int sig)
{
	(void)sig;
}

static void setup_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	uint64_t set = BIT(SIGTERM) | BIT(SIGHUP) | BIT(40);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, 8);
	kill(getpid(), SIGHUP);
}

TEST(exec, signal_state_across_exec)
{
	char *argv[] = {"x", "sigs", NULL};
	char out[256], want[256];
	EXPECT_EQ(run_exec(h_child_helper(), argv, noenv, setup_signals, out,
			   sizeof out),
		  0);
	snprintf(want, sizeof want,
		 "ign=%llx handled=0 blocked=%llx pending=%llx\n",
		 (unsigned long long)(BIT(SIGUSR2) | BIT(SIGCHLD)),
		 (unsigned long long)(BIT(SIGTERM) | BIT(SIGHUP) | BIT(40)),
		 (unsigned long long)BIT(SIGHUP));
	EXPECT_STREQ(out, want);
}

/* tmpl with every "@H" replaced by the helper's path (4 rotating buffers). */
static const char *subst(const char *tmpl)
{
	static char bufs[4][1024];
	static int next;
	char *out = bufs[next++ % 4];
	const char *h = h_child_helper();
	size_t n = 0;
	for (const char *p = tmpl; *p && n < 1000 - strlen(h); p++) {
		if (p[0] == '@' && p[1] == 'H') {
			strcpy(out + n, h);
			n += strlen(h);
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = 0;
	return out;
}

static void write_script(const char *name, const char *text)
{
	h_write_file(name, subst(text));
	EXPECT_OK(chmod(name, 0755));
}

TEST(exec, script_with_argument)
{
	const char *dir = h_tmpdir();
	write_script("s", "#!@H argv\nignored\n");
	char path[128];
	snprintf(path, sizeof path, "%s/s", dir);
	char *argv[] = {"zeroth", "one", "two", NULL};
	char out[1024], want[1024];
	EXPECT_EQ(run_exec(path, argv, noenv, NULL, out, sizeof out), 0);
	snprintf(want, sizeof want,
		 subst("argc=5\nargv[0]=@H\nargv[1]=argv\n"
		       "argv[2]=%s\nargv[3]=one\nargv[4]=two\n"),
		 path);
	EXPECT_STREQ(out, want);
	/* A relative path is passed on as given. */
	EXPECT_EQ(run_exec("./s", argv, noenv, NULL, out, sizeof out), 0);
	EXPECT_STREQ(out, subst("argc=5\nargv[0]=@H\nargv[1]=argv\n"
				"argv[2]=./s\nargv[3]=one\nargv[4]=two\n"));
}

TEST(exec, script_argument_is_rest_of_line)
{
	h_tmpdir();
	/* Spaces after "#!", spaces inside the argument, trailing blanks. */
	write_script("s", "#!  @H  argv  x  y \t \n");
	char *argv[] = {"zeroth", NULL};
	char out[1024];
	EXPECT_EQ(run_exec("s", argv, noenv, NULL, out, sizeof out), 0);
	EXPECT_STREQ(out, subst("argc=3\nargv[0]=@H\n"
				"argv[1]=argv  x  y\nargv[2]=s\n"));
}

TEST(exec, script_empty_argv)
{
	h_tmpdir();
	write_script("s", "#!@H argv\n");
	char *argv[] = {NULL};
	char out[1024];
	EXPECT_EQ(run_exec("s", argv, noenv, NULL, out, sizeof out), 0);
	EXPECT_STREQ(out, subst("argc=3\nargv[0]=@H\n"
				"argv[1]=argv\nargv[2]=s\n"));
}

TEST(exec, nested_scripts)
{
	const char *dir = h_tmpdir();
	char text[256];
	write_script("inner", "#!@H argv\n");
	snprintf(text, sizeof text, "#!%s/inner a1\n", dir);
	write_script("outer", text);
	char *argv[] = {"zeroth", "x", NULL};
	char out[1024], want[1024];
	EXPECT_EQ(run_exec("outer", argv, noenv, NULL, out, sizeof out), 0);
	snprintf(want, sizeof want,
		 subst("argc=6\nargv[0]=@H\nargv[1]=argv\n"
		       "argv[2]=%s/inner\nargv[3]=a1\nargv[4]=outer\n"
		       "argv[5]=x\n"),
		 dir);
	EXPECT_STREQ(out, want);
}

TEST(exec, script_errors)
{
	char *argv[] = {"x", NULL};
	h_tmpdir();
	write_script("missing", "#!/nonexistent/interp\n");
	EXPECT_EQ(exec_errno("missing", argv, noenv), ENOENT);
	/* "#!" alone names no interpreter. */
	write_script("blank", "#!\n");
	EXPECT_EQ(exec_errno("blank", argv, noenv), ENOEXEC);
	/* An interpreter that is not executable. */
	h_write_file("interp", "x");
	EXPECT_OK(chmod("interp", 0644));
	write_script("badinterp", "#!interp\n");
	EXPECT_EQ(exec_errno("badinterp", argv, noenv), EACCES);
	/* An interpreter name cut by the 256-byte buffer. */
	char text[400] = "#!/";
	memset(text + 3, 'a', 300);
	text[303] = 0;
	write_script("long", text);
	EXPECT_EQ(exec_errno("long", argv, noenv), ENOEXEC);
	/* Scripts calling themselves hit the recursion limit. */
	char self[256];
	snprintf(self, sizeof self, "#!%s/loop\n", h_tmpdir());
	write_script("loop", self);
	EXPECT_EQ(exec_errno("loop", argv, noenv), ELOOP);
}

TEST(exec, execveat_empty_path)
{
	int fd = EXPECT_OK(open(h_child_helper(), O_RDONLY));
	char *argv[] = {"x", "exit", "17", NULL};
	pid_t pid = h_fork();
	if (pid == 0) {
		syscall(SYS_execveat, fd, "", argv, noenv, AT_EMPTY_PATH);
		h_exit(127);
	}
	EXPECT_EQ(h_wait_exit(pid), 17);
	/* O_PATH works too. */
	int pfd = EXPECT_OK(open(h_child_helper(), O_PATH));
	pid = h_fork();
	if (pid == 0) {
		syscall(SYS_execveat, pfd, "", argv, noenv, AT_EMPTY_PATH);
		h_exit(127);
	}
	EXPECT_EQ(h_wait_exit(pid), 17);
	/* Without AT_EMPTY_PATH, "" is ENOENT; bad flags EINVAL. */
	pid = h_fork();
	if (pid == 0) {
		EXPECT_ERRNO(syscall(SYS_execveat, fd, "", argv, noenv, 0),
			     ENOENT);
		EXPECT_ERRNO(syscall(SYS_execveat, fd, "", argv, noenv,
				     AT_EMPTY_PATH | 0x2),
			     EINVAL);
		EXPECT_ERRNO(syscall(SYS_execveat, 999, "", argv, noenv,
				     AT_EMPTY_PATH),
			     EBADF);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(exec, execveat_relative_to_dirfd)
{
	int dfd = EXPECT_OK(open("/bin", O_RDONLY | O_DIRECTORY));
	char *argv[] = {"x", "exit", "18", NULL};
	const char *helper = h_child_helper();
	const char *base = strrchr(helper, '/') + 1;
	if (strcmp(helper, "/bin/child-helper") != 0)
		return; /* on a host the helper lives elsewhere */
	pid_t pid = h_fork();
	if (pid == 0) {
		syscall(SYS_execveat, dfd, base, argv, noenv, 0);
		h_exit(127);
	}
	EXPECT_EQ(h_wait_exit(pid), 18);
	/* AT_SYMLINK_NOFOLLOW on a symlink is ELOOP. */
	h_tmpdir();
	EXPECT_OK(symlink(helper, "link"));
	pid = h_fork();
	if (pid == 0) {
		EXPECT_ERRNO(syscall(SYS_execveat, AT_FDCWD, "link", argv,
				     noenv, AT_SYMLINK_NOFOLLOW),
			     ELOOP);
		syscall(SYS_execveat, AT_FDCWD, "link", argv, noenv, 0);
		h_exit(127);
	}
	EXPECT_EQ(h_wait_exit(pid), 18);
}

TEST(exec, execveat_cloexec_script_enoent)
{
	h_tmpdir();
	write_script("s", "#!@H exit 3\n");
	int fd = EXPECT_OK(open("s", O_RDONLY | O_CLOEXEC));
	int fd2 = EXPECT_OK(open("s", O_RDONLY));
	char *argv[] = {"x", NULL};
	pid_t pid = h_fork();
	if (pid == 0) {
		/* The interpreter could not open /dev/fd/N: refused. */
		EXPECT_ERRNO(syscall(SYS_execveat, fd, "", argv, noenv,
				     AT_EMPTY_PATH),
			     ENOENT);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* Without close-on-exec it runs ("exit 3" is one argument, which
	 * the helper splits). */
	pid = h_fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		syscall(SYS_execveat, fd2, "", argv, noenv, AT_EMPTY_PATH);
		h_exit(127);
	}
	EXPECT_EQ(h_wait_exit(pid), 3);
}

#define THREAD_FLAGS                                                           \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |    \
	 CLONE_SYSVSEM)

static int thread_sleeps(void *arg)
{
	(void)arg;
	for (;;)
		h_raw_syscall(SYS_pause, 0, 0, 0, 0, 0, 0);
	return 0;
}

static char *ids_argv[] = {"x", "ids", NULL};

static int thread_execs(void *arg)
{
	(void)arg;
	h_raw_syscall(SYS_execve, (long)h_child_helper(), (long)ids_argv,
		      (long)noenv, 0, 0, 0);
	h_raw_syscall(SYS_exit_group, 127, 0, 0, 0, 0, 0);
	return 0;
}

/* which: 0 = the leader execs while a thread sleeps, 1 = a thread execs
 * while the leader sleeps. */
static void exec_threaded(void *arg)
{
	int which = (int)(long)arg;
	if (which == 0) {
		EXPECT_GT(h_clone_raw(THREAD_FLAGS, h_stack(), NULL, NULL, 0,
				      thread_sleeps, NULL),
			  0);
		execve(h_child_helper(), ids_argv, noenv);
		h_exit(127);
	}
	EXPECT_GT(h_clone_raw(THREAD_FLAGS, h_stack(), NULL, NULL, 0,
			      thread_execs, NULL),
		  0);
	for (;;)
		pause();
}

static void check_exec_threaded(int which)
{
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		dup2(p[1], 1);
		exec_threaded((void *)(long)which);
	}
	close(p[1]);
	char out[256], want[256];
	h_read_all(p[0], out, sizeof out);
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* One thread left, with the process's pid as its tid. */
	snprintf(want, sizeof want, "pid=%d ppid=%d", (int)pid, (int)getpid());
	EXPECT_TRUE(strncmp(out, want, strlen(want)) == 0);
	snprintf(want, sizeof want, "tid=%d\n", (int)pid);
	const char *tid = strstr(out, "tid=");
	EXPECT_TRUE(tid != NULL);
	EXPECT_STREQ(tid, want);
}

TEST(exec, leader_exec_kills_other_threads)
{
	check_exec_threaded(0);
}

TEST(exec, thread_exec_takes_over_pid)
{
	check_exec_threaded(1);
}

TEST(exec, setuid_program_is_secure)
{
	if (strcmp(h_child_helper(), "/bin/child-helper") != 0)
		return; /* needs a filesystem without nosuid */
	const char *dir = h_tmpdir();
	EXPECT_OK(chmod(dir, 0755));
	/* Copy the helper and make it set-uid root. */
	int in = EXPECT_OK(open(h_child_helper(), O_RDONLY));
	int outfd = EXPECT_OK(open("suid", O_WRONLY | O_CREAT | O_TRUNC, 0755));
	static char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		EXPECT_EQ(write(outfd, buf, n), n);
	close(outfd);
	close(in);
	EXPECT_OK(chmod("suid", 04755));
	char path[128];
	snprintf(path, sizeof path, "%s/suid", dir);
	char *argv[] = {"x", "auxv", NULL};
	char out[256];
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		dup2(p[1], 1);
		EXPECT_EQ(syscall(SYS_setresgid, 1000, 1000, 1000), 0);
		EXPECT_EQ(syscall(SYS_setresuid, 1000, 1000, 1000), 0);
		execve(path, argv, noenv);
		h_exit(127);
	}
	close(p[1]);
	h_read_all(p[0], out, sizeof out);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_STREQ(out, "secure=1 uid=1000 euid=0 gid=1000 egid=1000\n");
	/* The plain helper is not. */
	argv[0] = "y";
	EXPECT_EQ(run_exec(h_child_helper(), argv, noenv, NULL, out, sizeof out),
		  0);
	char want[128];
	snprintf(want, sizeof want, "secure=0 uid=%d euid=%d gid=%d egid=%d\n",
		 (int)getuid(), (int)geteuid(), (int)getgid(), (int)getegid());
	EXPECT_STREQ(out, want);
}

/* Copies the child helper to `name` in the current directory, executable. */
static void copy_helper(const char *name)
{
	int in = open(h_child_helper(), O_RDONLY);
	int out = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0)
		FAIL("copying the helper: %s", h_errname(errno));
	char buf[8192];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			FAIL("copying the helper: %s", h_errname(errno));
	close(in);
	close(out);
}

/* A file open for writing cannot be executed, and a running program's file
 * cannot be opened for writing or truncated (ETXTBSY: deny_write_access,
 * held by the address space's exe_file in Linux 6.1); reading it is fine,
 * and writing works again once the program is gone. */
TEST(exec, etxtbsy)
{
	char *argv[] = {"prog", "pause", NULL};
	h_tmpdir();
	copy_helper("prog");
	int writer = open("prog", O_WRONLY);
	EXPECT_TRUE(writer >= 0);
	EXPECT_EQ(exec_errno("prog", argv, noenv), ETXTBSY);
	close(writer);

	pid_t pid = h_fork();
	if (pid == 0) {
		execve("prog", argv, noenv);
		h_exit(127);
	}
	/* Wait until the child runs the program (its exe link names it). */
	char link[64], target[256];
	snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
	for (int i = 0; i < 1000; i++) {
		ssize_t n = readlink(link, target, sizeof target - 1);
		if (n > 5) {
			target[n] = 0;
			if (!strcmp(target + n - 5, "/prog"))
				break;
		}
		usleep(2000);
	}
	EXPECT_ERRNO(open("prog", O_WRONLY), ETXTBSY);
	EXPECT_ERRNO(open("prog", O_RDWR | O_TRUNC), ETXTBSY);
	EXPECT_ERRNO(truncate("prog", 0), ETXTBSY);
	int reader = open("prog", O_RDONLY);
	EXPECT_TRUE(reader >= 0);
	close(reader);
	struct stat st;
	EXPECT_OK(stat("prog", &st));
	EXPECT_TRUE(st.st_size > 0);
	EXPECT_OK(kill(pid, SIGKILL));
	int core = 0;
	EXPECT_EQ(h_wait_signaled(pid, &core), SIGKILL);
	writer = open("prog", O_WRONLY);
	EXPECT_TRUE(writer >= 0);
	close(writer);
}
