/*
 * Suite msg: System V message queues as Linux 6.1's ipc/msg.c: msgget (keys,
 * EEXIST, ENOENT, EACCES), msgsnd (EINVAL for a type below 1, a size above
 * msgmax or a negative id, EFAULT, EAGAIN on a full queue with IPC_NOWAIT,
 * sleeping until room), msgrcv (msgtyp 0, positive, negative, MSG_EXCEPT,
 * MSG_NOERROR truncation, E2BIG, ENOMSG with IPC_NOWAIT, MSG_COPY by
 * position, a receiver handed a message directly, ERESTARTNOHAND: EINTR with
 * a handler, EIDRM at removal), msgctl (IPC_STAT counts and pids, IPC_SET of
 * mode and msg_qbytes with EPERM above msgmnb for the unprivileged, MSG_STAT,
 * MSG_STAT_ANY, IPC_INFO, MSG_INFO, IPC_RMID), the owner and permission rules,
 * the kernel.msg* sysctls and /proc/sysvipc/msg.  Man pages msgget(2),
 * msgop(2), msgctl(2).
 */
#include "harness.h"
#include "proc/proc.h"

#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/time.h>

#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif
#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct mbuf {
	long mtype;
	char mtext[8192];
};

static int new_queue(void)
{
	return EXPECT_OK(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
}

static void rm_queue(int id)
{
	EXPECT_OK(msgctl(id, IPC_RMID, NULL));
}

static void send(int id, long type, const char *text)
{
	struct mbuf m = {.mtype = type};
	size_t len = strlen(text);
	memcpy(m.mtext, text, len);
	EXPECT_OK(msgsnd(id, &m, len, 0));
}

/* Receives with msgtyp `type` and `flags`; returns the type and checks the text. */
static long recv_text(int id, long type, int flags, const char *text)
{
	struct mbuf m;
	memset(&m, 0, sizeof(m));
	long n = EXPECT_OK(msgrcv(id, &m, sizeof(m.mtext), type, flags | IPC_NOWAIT));
	EXPECT_EQ(n, (long)strlen(text));
	EXPECT_MEMEQ(m.mtext, text, n);
	return m.mtype;
}

static void drop_to_nobody(void)
{
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		FAIL("dropping privileges: %s", h_errname(errno));
}

static struct msqid_ds stat_of(int id)
{
	struct msqid_ds ds;
	EXPECT_OK(msgctl(id, IPC_STAT, &ds));
	return ds;
}

TEST(msg, get_and_keys)
{
	key_t key = 0x4d534731;
	int stale = msgget(key, 0);
	if (stale >= 0)
		msgctl(stale, IPC_RMID, NULL);
	EXPECT_ERRNO(msgget(key, 0600), ENOENT);
	int id = EXPECT_OK(msgget(key, IPC_CREAT | 0640));
	EXPECT_EQ(msgget(key, 0), id);
	EXPECT_EQ(msgget(key, IPC_CREAT | 0600), id);
	EXPECT_ERRNO(msgget(key, IPC_CREAT | IPC_EXCL), EEXIST);
	struct msqid_ds ds = stat_of(id);
	EXPECT_MODE(ds.msg_perm.mode, 0640);
	EXPECT_EQ(ds.msg_perm.__key, key);
	EXPECT_EQ(ds.msg_qnum, 0);
	EXPECT_EQ(ds.msg_cbytes, 0);
	EXPECT_EQ(ds.msg_qbytes, 16384);
	EXPECT_EQ(ds.msg_lspid, 0);
	EXPECT_EQ(ds.msg_stime, 0);
	EXPECT_TRUE(ds.msg_ctime != 0);
	int other = new_queue();
	EXPECT_NE(other, id);
	rm_queue(other);
	rm_queue(id);
	EXPECT_ERRNO(msgctl(id, IPC_STAT, &ds), EINVAL);
	EXPECT_ERRNO(msgget(key, 0), ENOENT);
}

TEST(msg, send_receive_by_type)
{
	int id = new_queue();
	send(id, 3, "three");
	send(id, 1, "one");
	send(id, 2, "two");
	send(id, 1, "uno");
	send(id, 5, "five");
	struct msqid_ds ds = stat_of(id);
	EXPECT_EQ(ds.msg_qnum, 5);
	EXPECT_EQ(ds.msg_cbytes, 5 + 3 + 3 + 3 + 4);
	EXPECT_EQ(ds.msg_lspid, getpid());
	EXPECT_TRUE(ds.msg_stime != 0);
	EXPECT_EQ(ds.msg_rtime, 0);
	/* Positive: the first of that type. */
	EXPECT_EQ(recv_text(id, 2, 0, "two"), 2);
	/* MSG_EXCEPT: the first of any other type. */
	EXPECT_EQ(recv_text(id, 3, MSG_EXCEPT, "one"), 1);
	/* Negative: the lowest type at most |msgtyp|, first among equals. */
	EXPECT_EQ(recv_text(id, -4, 0, "uno"), 1);
	EXPECT_EQ(recv_text(id, -4, 0, "three"), 3);
	struct mbuf m;
	EXPECT_ERRNO(msgrcv(id, &m, sizeof(m.mtext), -4, IPC_NOWAIT), ENOMSG);
	EXPECT_ERRNO(msgrcv(id, &m, sizeof(m.mtext), 7, IPC_NOWAIT), ENOMSG);
	/* Zero: the first. */
	EXPECT_EQ(recv_text(id, 0, 0, "five"), 5);
	ds = stat_of(id);
	EXPECT_EQ(ds.msg_qnum, 0);
	EXPECT_EQ(ds.msg_cbytes, 0);
	EXPECT_EQ(ds.msg_lrpid, getpid());
	EXPECT_TRUE(ds.msg_rtime != 0);
	/* A message of size 0. */
	m.mtype = 9;
	EXPECT_OK(msgsnd(id, &m, 0, 0));
	EXPECT_EQ(msgrcv(id, &m, 0, 9, IPC_NOWAIT), 0);
	rm_queue(id);
}

TEST(msg, sizes_and_errors)
{
	int id = new_queue();
	struct mbuf m = {.mtype = 1};
	memset(m.mtext, 'x', sizeof(m.mtext));
	EXPECT_OK(msgsnd(id, &m, 8192, 0));
	EXPECT_ERRNO(msgsnd(id, &m, 8193, 0), EINVAL);
	EXPECT_ERRNO(msgsnd(id, &m, (size_t)-1, 0), EINVAL);
	m.mtype = 0;
	EXPECT_ERRNO(msgsnd(id, &m, 1, 0), EINVAL);
	m.mtype = -1;
	EXPECT_ERRNO(msgsnd(id, &m, 1, 0), EINVAL);
	m.mtype = 1;
	EXPECT_ERRNO(msgsnd(-1, &m, 1, 0), EINVAL);
	EXPECT_ERRNO(msgsnd(id + 32768, &m, 1, 0), EINVAL);
	/* The type is read first, the text before the id is looked up. */
	EXPECT_ERRNO(syscall(SYS_msgsnd, -1, H_BAD_PTR, 1, 0), EFAULT);
	void *edge = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(edge != MAP_FAILED);
	EXPECT_OK(munmap((char *)edge + 4096, 4096));
	long *type_at_end = (long *)((char *)edge + 4096 - 8);
	*type_at_end = 1;
	EXPECT_ERRNO(syscall(SYS_msgsnd, id + 32768, type_at_end, 1, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_msgsnd, id, type_at_end, 1, 0), EFAULT);
	/* Too small a buffer: E2BIG, the message stays; MSG_NOERROR truncates. */
	EXPECT_ERRNO(msgrcv(id, &m, 100, 0, IPC_NOWAIT), E2BIG);
	EXPECT_EQ(stat_of(id).msg_qnum, 1);
	memset(m.mtext, 0, sizeof(m.mtext));
	EXPECT_EQ(msgrcv(id, &m, 100, 0, IPC_NOWAIT | MSG_NOERROR), 100);
	EXPECT_EQ(m.mtext[99], 'x');
	EXPECT_EQ(m.mtext[100], 0);
	EXPECT_EQ(stat_of(id).msg_qnum, 0);
	/* msgrcv's own errors. */
	EXPECT_ERRNO(msgrcv(-1, &m, 1, 0, IPC_NOWAIT), EINVAL);
	EXPECT_ERRNO(msgrcv(id, &m, (size_t)-1, 0, IPC_NOWAIT), EINVAL);
	EXPECT_ERRNO(msgrcv(id + 32768, &m, 1, 0, IPC_NOWAIT), EINVAL);
	/* The message is consumed even when copying it out faults. */
	send(id, 4, "lost");
	EXPECT_ERRNO(syscall(SYS_msgrcv, id, H_BAD_PTR, 100, 0, IPC_NOWAIT), EFAULT);
	EXPECT_EQ(stat_of(id).msg_qnum, 0);
	/* msgctl. */
	struct msqid_ds ds;
	EXPECT_ERRNO(msgctl(-1, IPC_STAT, &ds), EINVAL);
	EXPECT_ERRNO(msgctl(id, -1, &ds), EINVAL);
	EXPECT_ERRNO(msgctl(id, 99, &ds), EINVAL);
	EXPECT_ERRNO(syscall(SYS_msgctl, id, IPC_STAT | 0x100, &ds), EINVAL);
	EXPECT_ERRNO(syscall(SYS_msgctl, id, IPC_STAT, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_msgctl, id, IPC_SET, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(msgctl(-1, IPC_INFO, (struct msqid_ds *)&ds), EINVAL);
	rm_queue(id);
	EXPECT_ERRNO(msgsnd(id, &m, 1, 0), EINVAL);
	munmap(edge, 4096);
}

TEST(msg, full_queue_and_sleeping_sender)
{
	int id = new_queue();
	struct msqid_ds ds = stat_of(id);
	ds.msg_qbytes = 10;
	EXPECT_OK(msgctl(id, IPC_SET, &ds));
	EXPECT_EQ(stat_of(id).msg_qbytes, 10);
	struct mbuf m = {.mtype = 1};
	EXPECT_OK(msgsnd(id, &m, 6, IPC_NOWAIT));
	EXPECT_ERRNO(msgsnd(id, &m, 5, IPC_NOWAIT), EAGAIN);
	EXPECT_OK(msgsnd(id, &m, 4, IPC_NOWAIT));
	/* The message count is bounded by msg_qbytes too. */
	ds.msg_qbytes = 2;
	EXPECT_OK(msgctl(id, IPC_SET, &ds));
	EXPECT_ERRNO(msgsnd(id, &m, 0, IPC_NOWAIT), EAGAIN);
	ds.msg_qbytes = 10;
	EXPECT_OK(msgctl(id, IPC_SET, &ds));
	int go[2];
	h_pipe(go);
	pid_t pid = h_fork();
	if (pid == 0) {
		struct mbuf c = {.mtype = 2};
		memcpy(c.mtext, "zz", 2);
		h_post(go[1]);
		EXPECT_OK(msgsnd(id, &c, 2, 0));
		_exit(0);
	}
	h_wait_byte(go[0]);
	struct mbuf r;
	EXPECT_EQ(msgrcv(id, &r, sizeof(r.mtext), 1, IPC_NOWAIT), 6);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(msgrcv(id, &r, sizeof(r.mtext), 2, IPC_NOWAIT), 2);
	EXPECT_EQ(stat_of(id).msg_lspid, pid);
	rm_queue(id);
}

/* Waits until `pid` sleeps (state S in /proc/<pid>/stat): it blocks in the call it made. */
static void wait_sleeping(pid_t pid)
{
	proc_ready();
	char path[64], text[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (;;) {
		h_read_file(path, text, sizeof(text));
		const char *end = strrchr(text, ')');
		if (end && end[1] == ' ' && end[2] == 'S')
			return;
		sched_yield();
	}
}

TEST(msg, sleeping_receivers)
{
	int id = new_queue();
	pid_t big = h_fork();
	if (big == 0) {
		/* Wants type 7 only. */
		struct mbuf m;
		EXPECT_EQ(msgrcv(id, &m, sizeof(m.mtext), 7, 0), 5);
		EXPECT_MEMEQ(m.mtext, "seven", 5);
		_exit(0);
	}
	wait_sleeping(big);
	pid_t small = h_fork();
	if (small == 0) {
		/* Any type, but a buffer of 2: E2BIG when a longer one is handed over. */
		struct mbuf m;
		EXPECT_ERRNO(msgrcv(id, &m, 2, 0, 0), E2BIG);
		_exit(0);
	}
	wait_sleeping(small);
	/* "three" goes past the small receiver (E2BIG) and the one that wants 7. */
	send(id, 3, "three");
	EXPECT_EQ(h_wait_exit(small), 0);
	EXPECT_EQ(stat_of(id).msg_qnum, 1);
	EXPECT_EQ(stat_of(id).msg_lrpid, 0);
	/* "seven" goes straight to its receiver. */
	send(id, 7, "seven");
	EXPECT_EQ(h_wait_exit(big), 0);
	struct msqid_ds ds = stat_of(id);
	EXPECT_EQ(ds.msg_qnum, 1);
	EXPECT_EQ(ds.msg_lrpid, big);
	EXPECT_EQ(recv_text(id, 0, 0, "three"), 3);
	rm_queue(id);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST(msg, interrupted_and_removed)
{
	int id = new_queue();
	pid_t pid = h_fork();
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval every = {{0, 20000}, {0, 20000}};
		setitimer(ITIMER_REAL, &every, NULL);
		struct mbuf m;
		/* Not restarted, even with SA_RESTART. */
		EXPECT_ERRNO(msgrcv(id, &m, sizeof(m.mtext), 0, 0), EINTR);
		struct msqid_ds ds = stat_of(id);
		ds.msg_qbytes = 1;
		EXPECT_OK(msgctl(id, IPC_SET, &ds));
		m.mtype = 1;
		EXPECT_OK(msgsnd(id, &m, 1, 0));
		EXPECT_ERRNO(msgsnd(id, &m, 1, 0), EINTR);
		struct itimerval off = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &off, NULL);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(stat_of(id).msg_qnum, 1);
	pid_t sender = h_fork();
	if (sender == 0) {
		struct mbuf m = {.mtype = 1};
		EXPECT_ERRNO(msgsnd(id, &m, 1, 0), EIDRM);
		_exit(0);
	}
	wait_sleeping(sender);
	rm_queue(id);
	EXPECT_EQ(h_wait_exit(sender), 0);
	id = new_queue();
	pid_t receiver = h_fork();
	if (receiver == 0) {
		struct mbuf m;
		EXPECT_ERRNO(msgrcv(id, &m, sizeof(m.mtext), 0, 0), EIDRM);
		_exit(0);
	}
	wait_sleeping(receiver);
	rm_queue(id);
	EXPECT_EQ(h_wait_exit(receiver), 0);
}

TEST(msg, msg_copy)
{
	int id = new_queue();
	send(id, 1, "first");
	send(id, 2, "second");
	struct mbuf m;
	memset(&m, 0, sizeof(m));
	long n = msgrcv(id, &m, sizeof(m.mtext), 1, MSG_COPY | IPC_NOWAIT);
	if (n < 0 && errno == ENOSYS) {
		rm_queue(id);
		return; /* a kernel without CONFIG_CHECKPOINT_RESTORE */
	}
	EXPECT_EQ(n, 6);
	EXPECT_EQ(m.mtype, 2);
	EXPECT_MEMEQ(m.mtext, "second", 6);
	EXPECT_EQ(stat_of(id).msg_qnum, 2);
	EXPECT_ERRNO(msgrcv(id, &m, sizeof(m.mtext), 2, MSG_COPY | IPC_NOWAIT), ENOMSG);
	EXPECT_ERRNO(msgrcv(id, &m, sizeof(m.mtext), 0, MSG_COPY), EINVAL);
	EXPECT_ERRNO(msgrcv(id, &m, sizeof(m.mtext), 0, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT),
		     EINVAL);
	EXPECT_ERRNO(msgrcv(id, &m, 3, 0, MSG_COPY | IPC_NOWAIT), E2BIG);
	/* MSG_NOERROR does not help a copy: its buffer is too small. */
	EXPECT_ERRNO(msgrcv(id, &m, 3, 0, MSG_COPY | IPC_NOWAIT | MSG_NOERROR), EINVAL);
	EXPECT_ERRNO(syscall(SYS_msgrcv, id, H_BAD_PTR, 10, 0, MSG_COPY | IPC_NOWAIT), EFAULT);
	EXPECT_EQ(recv_text(id, 0, 0, "first"), 1);
	rm_queue(id);
}

TEST(msg, info_and_stat)
{
	int id = new_queue();
	send(id, 1, "abc");
	struct msginfo info;
	int max = EXPECT_OK(msgctl(0, IPC_INFO, (struct msqid_ds *)&info));
	EXPECT_EQ(info.msgmax, 8192);
	EXPECT_EQ(info.msgmnb, 16384);
	EXPECT_EQ(info.msgmni, 32000);
	EXPECT_EQ(info.msgssz, 16);
	EXPECT_EQ(info.msgseg, 0xffff);
	EXPECT_EQ(info.msgpool, 32000 * 16384 / 1024);
	EXPECT_EQ(info.msgmap, 16384);
	EXPECT_EQ(info.msgtql, 16384);
	EXPECT_GE(max, id & 0x7fff);
	EXPECT_EQ(msgctl(0, MSG_INFO, (struct msqid_ds *)&info), max);
	EXPECT_GE(info.msgpool, 1);
	EXPECT_GE(info.msgmap, 1);
	EXPECT_GE(info.msgtql, 3);
	struct msqid_ds ds;
	EXPECT_EQ(msgctl(id & 0x7fff, MSG_STAT, &ds), id);
	EXPECT_EQ(ds.msg_qnum, 1);
	EXPECT_EQ(msgctl(id & 0x7fff, MSG_STAT_ANY, &ds), id);
	rm_queue(id);
	EXPECT_ERRNO(msgctl(id & 0x7fff, MSG_STAT, &ds), EINVAL);
}

TEST(msg, permissions)
{
	key_t key = 0x4d534732;
	int stale = msgget(key, 0);
	if (stale >= 0)
		msgctl(stale, IPC_RMID, NULL);
	int id = EXPECT_OK(msgget(key, IPC_CREAT | 0602));
	send(id, 1, "a");
	pid_t pid = h_fork();
	if (pid == 0) {
		drop_to_nobody();
		EXPECT_ERRNO(msgget(key, 0400), EACCES);
		EXPECT_EQ(msgget(key, 0200), id);
		struct mbuf m = {.mtype = 1};
		EXPECT_OK(msgsnd(id, &m, 1, IPC_NOWAIT));
		EXPECT_ERRNO(msgrcv(id, &m, 10, 0, IPC_NOWAIT), EACCES);
		struct msqid_ds ds;
		EXPECT_ERRNO(msgctl(id, IPC_STAT, &ds), EACCES);
		EXPECT_ERRNO(msgctl(id & 0x7fff, MSG_STAT, &ds), EACCES);
		EXPECT_EQ(msgctl(id & 0x7fff, MSG_STAT_ANY, &ds), id);
		EXPECT_ERRNO(msgctl(id, IPC_SET, &ds), EPERM);
		EXPECT_ERRNO(msgctl(id, IPC_RMID, NULL), EPERM);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* Giving the queue away; raising msg_qbytes above msgmnb needs CAP_SYS_RESOURCE. */
	struct msqid_ds ds = stat_of(id);
	ds.msg_perm.uid = 65534;
	ds.msg_perm.mode = 0600;
	EXPECT_OK(msgctl(id, IPC_SET, &ds));
	pid = h_fork();
	if (pid == 0) {
		drop_to_nobody();
		struct msqid_ds mine = stat_of(id);
		EXPECT_EQ(mine.msg_qnum, 2);
		mine.msg_qbytes = 16385;
		EXPECT_ERRNO(msgctl(id, IPC_SET, &mine), EPERM);
		mine.msg_qbytes = 100;
		EXPECT_OK(msgctl(id, IPC_SET, &mine));
		EXPECT_OK(msgctl(id, IPC_RMID, NULL));
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_ERRNO(msgget(key, 0), ENOENT);
	id = new_queue();
	ds = stat_of(id);
	ds.msg_qbytes = 100000;
	EXPECT_OK(msgctl(id, IPC_SET, &ds));
	EXPECT_EQ(stat_of(id).msg_qbytes, 100000);
	rm_queue(id);
}

static void write_sysctl(const char *path, const char *value, int expected_errno)
{
	int fd = EXPECT_OK(open(path, O_WRONLY));
	if (expected_errno)
		EXPECT_ERRNO(write(fd, value, strlen(value)), expected_errno);
	else
		EXPECT_EQ(write(fd, value, strlen(value)), (long)strlen(value));
	close(fd);
}

TEST(msg, proc_files)
{
	proc_ready();
	char text[4096];
	h_read_file("/proc/sys/kernel/msgmax", text, sizeof(text));
	EXPECT_STREQ(text, "8192\n");
	h_read_file("/proc/sys/kernel/msgmnb", text, sizeof(text));
	EXPECT_STREQ(text, "16384\n");
	h_read_file("/proc/sys/kernel/msgmni", text, sizeof(text));
	EXPECT_STREQ(text, "32000\n");
	key_t key = 0x4d534733;
	int stale = msgget(key, 0);
	if (stale >= 0)
		msgctl(stale, IPC_RMID, NULL);
	int id = EXPECT_OK(msgget(key, IPC_CREAT | 0644));
	send(id, 1, "hello");
	send(id, 1, "hi");
	h_read_file("/proc/sysvipc/msg", text, sizeof(text));
	const char *header = "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n";
	EXPECT_TRUE(strncmp(text, header, strlen(header)) == 0);
	char want[160];
	snprintf(want, sizeof(want), "%10d %10d   644           7          2 %5d     0 %5u %5u %5u %5u ",
		 key, id, getpid(), geteuid(), getegid(), geteuid(), getegid());
	EXPECT_TRUE(strstr(text, want) != NULL);
	rm_queue(id);
	/* The limits take effect at once. */
	write_sysctl("/proc/sys/kernel/msgmax", "16\n", 0);
	write_sysctl("/proc/sys/kernel/msgmnb", "32\n", 0);
	id = new_queue();
	EXPECT_EQ(stat_of(id).msg_qbytes, 32);
	struct mbuf m = {.mtype = 1};
	EXPECT_ERRNO(msgsnd(id, &m, 17, IPC_NOWAIT), EINVAL);
	EXPECT_OK(msgsnd(id, &m, 16, IPC_NOWAIT));
	rm_queue(id);
	write_sysctl("/proc/sys/kernel/msgmax", "-1\n", EINVAL);
	write_sysctl("/proc/sys/kernel/msgmni", "32769\n", EINVAL);
	write_sysctl("/proc/sys/kernel/msgmax", "8192\n", 0);
	write_sysctl("/proc/sys/kernel/msgmnb", "16384\n", 0);
	h_read_file("/proc/sys/kernel/msgmax", text, sizeof(text));
	EXPECT_STREQ(text, "8192\n");
}
