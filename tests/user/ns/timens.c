/*
 * Suite timens: time namespaces (Linux 6.1 kernel/time/namespace.c, the
 * timens parts of kernel/fork.c, fs/exec.c, kernel/nsproxy.c and
 * fs/proc/base.c; man page time_namespaces(7)).
 *
 * unshare(CLONE_NEWTIME) makes a namespace for the caller's children
 * (/proc/PID/ns/time_for_children); its CLOCK_MONOTONIC and CLOCK_BOOTTIME
 * offsets are written to /proc/PID/timens_offsets ("CLOCK SEC NSEC" lines,
 * EINVAL for bad text, ERANGE out of range, EACCES once a task entered).
 * A fork enters it (a thread or CLONE_VM child is EINVAL; vfork's child
 * enters at exec, and so does the caller at exec).  Inside, every view of
 * those clocks is shifted: clock_gettime through the vDSO and the system
 * call, /proc/uptime, sysinfo, /proc/PID/stat's start time; absolute times
 * given to clock_nanosleep, timerfd_settime and timer_settime are the
 * namespace's.  setns by namespace file or pidfd needs a single-threaded
 * caller (EUSERS) and CAP_SYS_ADMIN (EPERM).  The runner never unshares:
 * every test works in children.
 */
#include "ns.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/sysinfo.h>
#include <sys/timerfd.h>
#include <time.h>

#define TIME_INIT_INO 4026531834UL /* PROC_TIME_INIT_INO */
#define MONO_OFF 1000
#define BOOT_OFF 2000
/* Seconds of slack for a slow (emulated) machine. */
#define SLACK 60

static long long clock_s(clockid_t clock)
{
	struct timespec ts;
	if (clock_gettime(clock, &ts) != 0)
		FAIL("clock_gettime(%d): %s", (int)clock, h_errname(errno));
	return ts.tv_sec;
}

/* The raw system call, not the vDSO. */
static long long sys_clock_s(clockid_t clock)
{
	struct timespec ts;
	if (syscall(SYS_clock_gettime, clock, &ts) != 0)
		FAIL("SYS_clock_gettime(%d): %s", (int)clock, h_errname(errno));
	return ts.tv_sec;
}

static long long clock_ns(clockid_t clock)
{
	struct timespec ts;
	if (clock_gettime(clock, &ts) != 0)
		FAIL("clock_gettime(%d): %s", (int)clock, h_errname(errno));
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define EXPECT_NEAR(value, expected)                                           \
	do {                                                                   \
		long long v_ = (value), e_ = (expected);                       \
		if (v_ < e_ - SLACK || v_ > e_ + SLACK)                        \
			FAIL("%s = %lld, expected about %lld", #value, v_, e_); \
	} while (0)

/* The inode number of /proc/self/ns/time_for_children (its link reads
 * "time:[N]", the kind's name). */
static unsigned long tfc_ino(void)
{
	char text[64];
	ssize_t n = readlink("/proc/self/ns/time_for_children", text,
			     sizeof text - 1);
	if (n < 0)
		FAIL("readlink time_for_children: %s", h_errname(errno));
	text[n] = 0;
	if (strncmp(text, "time:[", 6) != 0)
		FAIL("time_for_children reads \"%s\"", text);
	return strtoul(text + 6, NULL, 10);
}

/* unshare(CLONE_NEWTIME) and write the two offsets. */
static void new_timens(long long mono, long long boot)
{
	EXPECT_EQ(ns_unshare(CLONE_NEWTIME), 0);
	char text[128];
	snprintf(text, sizeof text, "monotonic %lld 0\nboottime %lld 0\n", mono,
		 boot);
	EXPECT_EQ(ns_write("/proc/self/timens_offsets", text), 0);
}

static double uptime_s(void)
{
	char buf[128];
	int fd = EXPECT_OK(open("/proc/uptime", O_RDONLY));
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	EXPECT_TRUE(n > 0);
	buf[n] = 0;
	return strtod(buf, NULL);
}

/* Field 22 of /proc/PID/stat: the start time in clock ticks. */
static long long start_ticks(const char *pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	int fd = EXPECT_OK(open(path, O_RDONLY));
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	EXPECT_TRUE(n > 0);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	EXPECT_TRUE(p != NULL);
	/* Field 3 follows ") "; field 22 is 19 spaces on. */
	for (int field = 3; field <= 22; field++) {
		p = strchr(p + 1, ' ');
		EXPECT_TRUE(p != NULL);
	}
	return strtoll(p + 1, NULL, 10);
}

TEST(timens, initial)
{
	proc_ready();
	EXPECT_EQ(ns_ino("self", "time"), TIME_INIT_INO);
	EXPECT_EQ(tfc_ino(), TIME_INIT_INO);
	int fd = EXPECT_OK(open("/proc/self/ns/time", O_RDONLY));
	EXPECT_EQ(ioctl(fd, NS_GET_NSTYPE), CLONE_NEWTIME);
	EXPECT_ERRNO(ioctl(fd, NS_GET_PARENT), EINVAL);
	int user = EXPECT_OK(ioctl(fd, NS_GET_USERNS));
	EXPECT_EQ(ioctl(user, NS_GET_NSTYPE), CLONE_NEWUSER);
	/* Joining the namespace one is in is allowed. */
	EXPECT_EQ(ns_setns(fd, CLONE_NEWTIME), 0);
	EXPECT_ERRNO(ns_setns(fd, CLONE_NEWUTS), EINVAL);
	close(user);
	close(fd);
	char buf[256];
	fd = EXPECT_OK(open("/proc/self/timens_offsets", O_RDWR));
	ssize_t n = read(fd, buf, sizeof buf - 1);
	EXPECT_TRUE(n > 0);
	buf[n] = 0;
	EXPECT_STREQ(buf, "monotonic           0         0\n"
			  "boottime            0         0\n");
	/* Only at the start of the file; the initial namespace's offsets
	 * are frozen. */
	EXPECT_ERRNO(write(fd, "1 1 0", 5), EINVAL);
	close(fd);
	EXPECT_ERRNO(ns_write("/proc/self/timens_offsets", "1 1 0"), EACCES);
	struct stat st;
	EXPECT_EQ(stat("/proc/self/timens_offsets", &st), 0);
	EXPECT_MODE(st.st_mode & 07777, 0644);
	/* A thread directory has no such file. */
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%ld/timens_offsets",
		 syscall(SYS_gettid));
	EXPECT_ERRNO(access(path, F_OK), ENOENT);
}

static void offsets_child(void *arg)
{
	(void)arg;
	unsigned long before = ns_ino("self", "time");
	EXPECT_EQ(ns_unshare(CLONE_NEWTIME), 0);
	/* The caller stays; its children go to the new namespace. */
	EXPECT_EQ(ns_ino("self", "time"), before);
	EXPECT_TRUE(tfc_ino() != before);
	const char *file = "/proc/self/timens_offsets";
	static const char *const bad[] = {
		"not an offset", "1 10", "1 10 1000000000", "2 10 0",
		"realtime 1 0", "1 10 -1", "monotonicX 1 0", "1 2 0\n\n",
		"\n",
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (ns_write(file, bad[i]) == 0 || errno != EINVAL)
			FAIL("\"%s\": %s, not EINVAL", bad[i], h_errname(errno));
	EXPECT_ERRNO(ns_write(file, "1 9223372037 0"), ERANGE);
	EXPECT_ERRNO(ns_write(file, "1 -9223372037 0"), ERANGE);
	EXPECT_ERRNO(ns_write(file, "1 4611686019 0"), ERANGE);
	EXPECT_ERRNO(ns_write(file, "7 -100000000000 0"), ERANGE);
	/* One write at the start of the file. */
	int fd = EXPECT_OK(open(file, O_RDWR));
	char first[8];
	EXPECT_EQ(read(fd, first, sizeof first), (ssize_t)sizeof first);
	EXPECT_ERRNO(write(fd, "1 1 0", 5), EINVAL);
	close(fd);
	fd = EXPECT_OK(open(file, O_WRONLY));
	static char big[4096];
	memset(big, ' ', sizeof big);
	EXPECT_ERRNO(write(fd, big, sizeof big), EINVAL);
	/* Two offsets at most: the rest of the write is not consumed. */
	EXPECT_EQ(write(fd, "1 5 0\n7 6 0\nxyz", 15), 12);
	close(fd);
	/* Numbers or names; "%-10s %10lld %9ld" lines back. */
	EXPECT_EQ(ns_write(file, "monotonic 1000 5\n"), 0);
	EXPECT_EQ(ns_write(file, "7 2000 999999999"), 0);
	char buf[256];
	fd = EXPECT_OK(open(file, O_RDONLY));
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	EXPECT_TRUE(n > 0);
	buf[n] = 0;
	EXPECT_STREQ(buf, "monotonic        1000         5\n"
			  "boottime         2000 999999999\n");
	EXPECT_EQ(ns_write(file, "1 -1 500000000"), 0);
	fd = EXPECT_OK(open(file, O_RDONLY));
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	EXPECT_STREQ(buf, "monotonic          -1 500000000\n"
			  "boottime         2000 999999999\n");
	/* Once a task entered, the offsets are fixed. */
	pid_t pid = h_fork();
	if (pid == 0)
		h_exit(0);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_ERRNO(ns_write(file, "1 1 0"), EACCES);
	/* A new namespace copies the offsets of the one for children. */
	EXPECT_EQ(ns_unshare(CLONE_NEWTIME), 0);
	fd = EXPECT_OK(open(file, O_RDONLY));
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	EXPECT_STREQ(buf, "monotonic          -1 500000000\n"
			  "boottime         2000 999999999\n");
	/* Without CAP_SYS_TIME over the namespace: EPERM. */
	EXPECT_EQ(setresuid(NOBODY, NOBODY, NOBODY), 0);
	EXPECT_EQ(prctl(PR_SET_DUMPABLE, 1), 0);
	EXPECT_ERRNO(ns_write(file, "1 1 0"), EPERM);
}

TEST(timens, offsets_file)
{
	proc_ready();
	EXPECT_CHILD_OK(offsets_child, NULL);
}

static void check_shifted(long long mono0, long long boot0, long long real0)
{
	EXPECT_NEAR(clock_s(CLOCK_MONOTONIC), mono0 + MONO_OFF);
	EXPECT_NEAR(sys_clock_s(CLOCK_MONOTONIC), mono0 + MONO_OFF);
	EXPECT_NEAR(clock_s(CLOCK_MONOTONIC_RAW), mono0 + MONO_OFF);
	EXPECT_NEAR(sys_clock_s(CLOCK_MONOTONIC_RAW), mono0 + MONO_OFF);
	EXPECT_NEAR(clock_s(CLOCK_MONOTONIC_COARSE), mono0 + MONO_OFF);
	EXPECT_NEAR(sys_clock_s(CLOCK_MONOTONIC_COARSE), mono0 + MONO_OFF);
	EXPECT_NEAR(clock_s(CLOCK_BOOTTIME), boot0 + BOOT_OFF);
	EXPECT_NEAR(sys_clock_s(CLOCK_BOOTTIME), boot0 + BOOT_OFF);
	EXPECT_NEAR(sys_clock_s(CLOCK_BOOTTIME_ALARM), boot0 + BOOT_OFF);
	EXPECT_NEAR(clock_s(CLOCK_REALTIME), real0);
	EXPECT_NEAR(sys_clock_s(CLOCK_REALTIME), real0);
	EXPECT_NEAR(time(NULL), real0);
	EXPECT_NEAR((long long)uptime_s(), boot0 + BOOT_OFF);
	struct sysinfo info;
	EXPECT_EQ(sysinfo(&info), 0);
	EXPECT_NEAR(info.uptime, boot0 + BOOT_OFF);
}

static void clocks_child(void *arg)
{
	(void)arg;
	long long mono0 = clock_s(CLOCK_MONOTONIC);
	long long boot0 = clock_s(CLOCK_BOOTTIME);
	long long real0 = clock_s(CLOCK_REALTIME);
	long long parent_start = start_ticks("self");
	char parent[16];
	snprintf(parent, sizeof parent, "%d", getpid());
	new_timens(MONO_OFF, BOOT_OFF);
	unsigned long target = tfc_ino();
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_EQ(ns_ino("self", "time"), target);
		EXPECT_EQ(tfc_ino(), target);
		check_shifted(mono0, boot0, real0);
		/* Start times as the reader's namespace sees them. */
		EXPECT_NEAR(start_ticks("self") / 100, boot0 + BOOT_OFF);
		EXPECT_NEAR(start_ticks(parent) / 100,
			    parent_start / 100 + BOOT_OFF);
		/* A grandchild stays in it. */
		pid_t inner = h_fork();
		if (inner == 0) {
			EXPECT_EQ(ns_ino("self", "time"), target);
			EXPECT_NEAR(clock_s(CLOCK_MONOTONIC), mono0 + MONO_OFF);
			h_exit(0);
		}
		EXPECT_EQ(h_wait_exit(inner), 0);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* The caller itself is not shifted. */
	EXPECT_NEAR(clock_s(CLOCK_MONOTONIC), mono0);
	EXPECT_NEAR(sys_clock_s(CLOCK_BOOTTIME), boot0);
	EXPECT_NEAR((long long)uptime_s(), boot0);
}

TEST(timens, clocks)
{
	proc_ready();
	EXPECT_CHILD_OK(clocks_child, NULL);
}

static void absolute_child(void *arg)
{
	(void)arg;
	new_timens(MONO_OFF, BOOT_OFF);
	pid_t pid = h_fork();
	if (pid == 0) {
		static const clockid_t clocks[] = {CLOCK_MONOTONIC,
						   CLOCK_BOOTTIME};
		for (unsigned i = 0; i < 2; i++) {
			clockid_t clock = clocks[i];
			/* A time before the offset is long past. */
			struct timespec past = {1, 0};
			long long t0 = clock_ns(CLOCK_MONOTONIC);
			EXPECT_EQ(clock_nanosleep(clock, TIMER_ABSTIME, &past,
						  NULL),
				  0);
			/* 50 ms from now on the namespace's clock. */
			long long target = clock_ns(clock) + 50000000LL;
			struct timespec when = {target / 1000000000LL,
						target % 1000000000LL};
			EXPECT_EQ(clock_nanosleep(clock, TIMER_ABSTIME, &when,
						  NULL),
				  0);
			EXPECT_TRUE(clock_ns(clock) >= target);
			EXPECT_TRUE(clock_ns(CLOCK_MONOTONIC) - t0 < 20000000000LL);

			/* timerfd: armed, not yet expired, then fires. */
			int tfd = EXPECT_OK(timerfd_create(clock, 0));
			target = clock_ns(clock) + 1000000000LL;
			struct itimerspec its = {{0, 0},
						 {target / 1000000000LL,
						  target % 1000000000LL}};
			EXPECT_EQ(timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its,
						  NULL),
				  0);
			struct itimerspec left;
			EXPECT_EQ(timerfd_gettime(tfd, &left), 0);
			EXPECT_TRUE(left.it_value.tv_sec <= 1 &&
				    (left.it_value.tv_sec > 0 ||
				     left.it_value.tv_nsec > 0));
			unsigned long long ticks = 0;
			EXPECT_EQ(read(tfd, &ticks, sizeof ticks), 8);
			EXPECT_EQ(ticks, 1);
			EXPECT_TRUE(clock_ns(clock) >= target);
			/* A past absolute time fires at once. */
			its.it_value.tv_sec = 1;
			its.it_value.tv_nsec = 0;
			EXPECT_EQ(timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its,
						  NULL),
				  0);
			struct pollfd pfd = {tfd, POLLIN, 0};
			EXPECT_EQ(poll(&pfd, 1, 5000), 1);
			close(tfd);

			/* POSIX timer with SIGEV_NONE: the time left. */
			struct sigevent event = {0};
			event.sigev_notify = SIGEV_NONE;
			timer_t timer;
			EXPECT_EQ(timer_create(clock, &event, &timer), 0);
			target = clock_ns(clock) + 5000000000LL;
			its.it_value.tv_sec = target / 1000000000LL;
			its.it_value.tv_nsec = target % 1000000000LL;
			EXPECT_EQ(timer_settime(timer, TIMER_ABSTIME, &its,
						NULL),
				  0);
			EXPECT_EQ(timer_gettime(timer, &left), 0);
			EXPECT_TRUE(left.it_value.tv_sec >= 1 &&
				    left.it_value.tv_sec <= 5);
			EXPECT_EQ(timer_delete(timer), 0);
		}
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(timens, absolute_times)
{
	proc_ready();
	EXPECT_CHILD_OK(absolute_child, NULL);
}

static int thread_fn(void *arg)
{
	(void)arg;
	return 0;
}

static void clone_rules_child(void *arg)
{
	(void)arg;
	unsigned long own = ns_ino("self", "time");
	new_timens(MONO_OFF, BOOT_OFF);
	unsigned long target = tfc_ino();
	/* Neither a thread nor a CLONE_VM child may be made. */
	int ctid = 0;
	EXPECT_EQ(h_clone_raw(CLONE_VM | CLONE_FS | CLONE_FILES |
				      CLONE_SIGHAND | CLONE_THREAD |
				      CLONE_SYSVSEM,
			      h_stack(), NULL, &ctid, 0, thread_fn, NULL),
		  -EINVAL);
	EXPECT_EQ(h_clone_raw(CLONE_VM | SIGCHLD, h_stack(), NULL, NULL, 0,
			      thread_fn, NULL),
		  -EINVAL);
	/* Nor a vfork child (Linux 6.1). */
	errno = 0;
	EXPECT_ERRNO(syscall(SYS_vfork), EINVAL);
	/* A fork enters the namespace; an exec does not. */
	long long mono0 = clock_s(CLOCK_MONOTONIC);
	int fds[2];
	char out[256];
	h_pipe(fds);
	pid_t pid = h_fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		execl(h_child_helper(), "child-helper", "timens", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	h_read_all(fds[0], out, sizeof out);
	close(fds[0]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	char expected[64];
	snprintf(expected, sizeof expected, "time=time:[%lu] ", target);
	if (strncmp(out, expected, strlen(expected)) != 0)
		FAIL("child-helper said \"%s\", expected \"%s...\"", out,
		     expected);
	char *mono = strstr(out, "monotonic=");
	EXPECT_TRUE(mono != NULL);
	EXPECT_NEAR(strtoll(mono + 10, NULL, 10), mono0 + MONO_OFF);
	h_pipe(fds);
	pid = h_fork();
	if (pid == 0) {
		/* This child is in the namespace: unshare again, exec. */
		new_timens(3 * MONO_OFF, BOOT_OFF);
		dup2(fds[1], 1);
		execl(h_child_helper(), "child-helper", "timens", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	h_read_all(fds[0], out, sizeof out);
	close(fds[0]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	if (strncmp(out, expected, strlen(expected)) != 0)
		FAIL("child-helper said \"%s\", expected \"%s...\"", out,
		     expected);
	mono = strstr(out, "monotonic=");
	EXPECT_TRUE(mono != NULL);
	EXPECT_NEAR(strtoll(mono + 10, NULL, 10), mono0 + MONO_OFF);
	(void)own;
}

TEST(timens, clone_and_exec)
{
	proc_ready();
	EXPECT_CHILD_OK(clone_rules_child, NULL);
}

struct clone_args_v0 {
	unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal,
		stack, stack_size, tls;
};

static void clone3_child(void *arg)
{
	(void)arg;
	unsigned long own = ns_ino("self", "time");
	struct clone_args_v0 args = {0};
	args.flags = CLONE_NEWTIME;
	args.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid == 0) {
		unsigned long in = ns_ino("self", "time");
		if (in == own)
			h_exit(1);
		if (tfc_ino() != in)
			h_exit(2);
		/* Entered at birth: its offsets are frozen (zero). */
		if (ns_write("/proc/self/timens_offsets", "1 1 0") == 0 ||
		    errno != EACCES)
			h_exit(3);
		h_exit(0);
	}
	EXPECT_TRUE(pid > 0);
	h_track(pid);
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* The parent's namespaces did not change. */
	EXPECT_EQ(ns_ino("self", "time"), own);
	EXPECT_EQ(tfc_ino(), own);
	/* Other exit-signal bits stay refused by clone3. */
	args.flags = 0x40;
	EXPECT_ERRNO(syscall(SYS_clone3, &args, sizeof args), EINVAL);
	/* Without CAP_SYS_ADMIN: EPERM. */
	EXPECT_EQ(setresuid(NOBODY, NOBODY, NOBODY), 0);
	args.flags = CLONE_NEWTIME;
	EXPECT_ERRNO(syscall(SYS_clone3, &args, sizeof args), EPERM);
	EXPECT_ERRNO(ns_unshare(CLONE_NEWTIME), EPERM);
}

TEST(timens, clone3)
{
	proc_ready();
	EXPECT_CHILD_OK(clone3_child, NULL);
}

static int sleeper(void *arg)
{
	volatile int *stop = arg;
	while (!*stop)
		syscall(SYS_futex, stop, 0 /* FUTEX_WAIT */, 0, NULL, NULL, 0);
	return 0;
}

static void setns_child(void *arg)
{
	(void)arg;
	int initial = EXPECT_OK(open("/proc/self/ns/time", O_RDONLY));
	long long mono0 = clock_s(CLOCK_MONOTONIC);
	long long boot0 = clock_s(CLOCK_BOOTTIME);
	new_timens(MONO_OFF, BOOT_OFF);
	int target = EXPECT_OK(open("/proc/self/ns/time_for_children", O_RDONLY));
	unsigned long target_ino = tfc_ino();
	EXPECT_ERRNO(ns_setns(target, CLONE_NEWPID), EINVAL);
	static volatile int stop;
	static volatile int ctid;
	stop = 0;
	long tid = h_clone_raw(CLONE_VM | CLONE_FS | CLONE_FILES |
				       CLONE_SIGHAND | CLONE_THREAD |
				       CLONE_SYSVSEM | CLONE_CHILD_CLEARTID,
			       h_stack(), NULL, (int *)&ctid, 0, sleeper,
			       (void *)&stop);
	/* The namespace for children differs: no threads may be made now. */
	EXPECT_EQ(tid, -EINVAL);
	/* Into it (offsets freeze; the vDSO follows at once). */
	EXPECT_EQ(ns_setns(target, CLONE_NEWTIME), 0);
	EXPECT_EQ(ns_ino("self", "time"), target_ino);
	EXPECT_EQ(tfc_ino(), target_ino);
	EXPECT_NEAR(clock_s(CLOCK_MONOTONIC), mono0 + MONO_OFF);
	EXPECT_NEAR(sys_clock_s(CLOCK_MONOTONIC), mono0 + MONO_OFF);
	EXPECT_NEAR(clock_s(CLOCK_BOOTTIME), boot0 + BOOT_OFF);
	EXPECT_ERRNO(ns_write("/proc/self/timens_offsets", "1 1 0"), EACCES);
	/* Threads are fine again, and block setns. */
	ctid = 1;
	tid = h_clone_raw(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				  CLONE_THREAD | CLONE_SYSVSEM |
				  CLONE_CHILD_CLEARTID,
			  h_stack(), NULL, (int *)&ctid, 0, sleeper,
			  (void *)&stop);
	EXPECT_TRUE(tid > 0);
	EXPECT_ERRNO(ns_setns(initial, CLONE_NEWTIME), EUSERS);
	stop = 1;
	syscall(SYS_futex, &stop, 1 /* FUTEX_WAKE */, 1, NULL, NULL, 0);
	h_wait_zero(&ctid);
	/* Back out, and in again through a pidfd of a task inside. */
	EXPECT_EQ(ns_setns(initial, CLONE_NEWTIME), 0);
	EXPECT_NEAR(clock_s(CLOCK_MONOTONIC), mono0);
	EXPECT_EQ(ns_ino("self", "time"), TIME_INIT_INO);
	int fds[2];
	h_pipe(fds);
	int ready[2];
	h_pipe(ready);
	EXPECT_EQ(ns_setns(target, CLONE_NEWTIME), 0);
	pid_t pid = h_fork();
	if (pid == 0) {
		h_post(ready[1]);
		h_wait_byte(fds[0]);
		h_exit(0);
	}
	EXPECT_EQ(ns_setns(initial, CLONE_NEWTIME), 0);
	h_wait_byte(ready[0]);
	int pidfd = EXPECT_OK(syscall(SYS_pidfd_open, pid, 0));
	EXPECT_EQ(ns_setns(pidfd, CLONE_NEWTIME | CLONE_NEWUTS), 0);
	EXPECT_EQ(ns_ino("self", "time"), target_ino);
	EXPECT_NEAR(clock_s(CLOCK_MONOTONIC), mono0 + MONO_OFF);
	h_post(fds[1]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* Without CAP_SYS_ADMIN: EPERM. */
	EXPECT_EQ(setresuid(NOBODY, NOBODY, NOBODY), 0);
	EXPECT_ERRNO(ns_setns(initial, CLONE_NEWTIME), EPERM);
}

TEST(timens, setns)
{
	proc_ready();
	EXPECT_CHILD_OK(setns_child, NULL);
}
