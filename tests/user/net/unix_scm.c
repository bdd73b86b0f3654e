/*
 * Suite unixscm: control messages and bookkeeping of AF_UNIX sockets
 * (net/core/scm.c, net/unix/scm.c, net/unix/garbage.c, unix_seq_show):
 * SCM_RIGHTS (descriptors arrive as new fds sharing the open file, in order;
 * MSG_CMSG_CLOEXEC; MSG_CTRUNC when the buffer is short, the rest closed;
 * files never received are closed with the socket; at most 253 per message;
 * a stream read ends after the message that carried them; MSG_PEEK copies
 * them), ETOOMANYREFS past RLIMIT_NOFILE in flight for an unprivileged user,
 * collection of a socket pair that only its own queues keep alive,
 * SCM_CREDENTIALS with SO_PASSCRED (EPERM for credentials not one's own),
 * cmsg errors (EINVAL, EBADF, ENOBUFS), and /proc/net/unix's format.
 */
#include "harness.h"
#include "proc/proc.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* Sends `n` descriptors with one byte of data. */
static ssize_t send_fds(int sock, const int *fds, int n)
{
	char data = 'F';
	struct iovec iov = {&data, 1};
	size_t space = CMSG_SPACE(sizeof(int) * n);
	char *control = calloc(1, space);
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = space};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	/* Raw: musl's sendmsg refuses control buffers above 1 KiB (ENOMEM). */
	ssize_t r = syscall(SYS_sendmsg, sock, &msg, 0);
	free(control);
	return r;
}

/* Receives up to `max` descriptors; returns how many arrived (-1 on error). */
static int recv_fds(int sock, int *fds, int max, int flags, int *msg_flags)
{
	char data;
	struct iovec iov = {&data, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = max ? CMSG_SPACE(sizeof(int) * max) : 0};
	if (max == 0)
		msg.msg_control = NULL;
	if (recvmsg(sock, &msg, flags) < 0)
		return -1;
	*msg_flags = msg.msg_flags;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c)
		return 0;
	if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -2;
	int n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	memcpy(fds, CMSG_DATA(c), sizeof(int) * n);
	return n;
}

TEST(unixscm, pass_descriptors)
{
	int sv[2], p[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_OK(pipe(p));
	int fds[2] = {p[0], p[1]};
	EXPECT_EQ(send_fds(sv[0], fds, 2), 1);
	int got[2] = {-1, -1}, flags = 0;
	EXPECT_EQ(recv_fds(sv[1], got, 2, MSG_CMSG_CLOEXEC, &flags), 2);
	EXPECT_EQ(flags & MSG_CTRUNC, 0);
	EXPECT_NE(got[0], p[0]);
	EXPECT_EQ(fcntl(got[0], F_GETFD), FD_CLOEXEC);
	/* The same open files: a write on one end shows on the other. */
	EXPECT_EQ(write(got[1], "z", 1), 1);
	char c;
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(c, 'z');
	struct stat a, b;
	EXPECT_OK(fstat(got[0], &a));
	EXPECT_OK(fstat(p[0], &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	close(got[0]);
	close(got[1]);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixscm, truncation_and_peek)
{
	int sv[2], p[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	EXPECT_OK(pipe(p));
	int fds[3] = {p[0], p[1], p[0]};
	EXPECT_EQ(send_fds(sv[0], fds, 3), 1);
	int got[3] = {-1, -1, -1}, flags = 0;
	EXPECT_EQ(recv_fds(sv[1], got, 3, MSG_PEEK, &flags), 3);
	EXPECT_EQ(flags & MSG_CTRUNC, 0);
	for (int i = 0; i < 3; i++)
		close(got[i]);
	/* CMSG_SPACE(sizeof(int)) has room for two: two arrive, MSG_CTRUNC,
	 * the third is closed. */
	EXPECT_EQ(recv_fds(sv[1], got, 1, 0, &flags), 2);
	EXPECT_EQ(flags & MSG_CTRUNC, MSG_CTRUNC);
	close(got[0]);
	close(got[1]);
	/* No control buffer at all: MSG_CTRUNC, nothing installed. */
	EXPECT_EQ(send_fds(sv[0], fds, 1), 1);
	EXPECT_EQ(recv_fds(sv[1], got, 0, 0, &flags), 0);
	EXPECT_EQ(flags & MSG_CTRUNC, MSG_CTRUNC);
	/* Every copy of the write end is gone again: the reader sees EOF. */
	close(p[1]);
	char c;
	EXPECT_EQ(read(p[0], &c, 1), 0);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixscm, unreceived_descriptors_are_closed)
{
	int sv[2], p[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_OK(pipe(p));
	EXPECT_EQ(send_fds(sv[0], &p[1], 1), 1);
	close(p[1]);
	char c;
	EXPECT_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(read(p[0], &c, 1), EAGAIN); /* a writer is in flight */
	close(sv[1]);
	EXPECT_EQ(read(p[0], &c, 1), 0);
	close(sv[0]);
	close(p[0]);
}

TEST(unixscm, stream_read_stops_after_rights)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(write(sv[0], "ab", 2), 2);
	int fd = 0;
	EXPECT_EQ(send_fds(sv[0], &fd, 1), 1);
	EXPECT_EQ(write(sv[0], "cd", 2), 2);
	char buf[8];
	struct iovec iov = {buf, sizeof(buf)};
	char control[CMSG_SPACE(sizeof(int))];
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
	EXPECT_EQ(recvmsg(sv[1], &msg, 0), 3);
	EXPECT_EQ(msg.msg_controllen, CMSG_SPACE(sizeof(int)));
	int got;
	memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	close(got);
	EXPECT_EQ(read(sv[1], buf, sizeof(buf)), 2);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixscm, control_errors)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	int fds[254];
	for (int i = 0; i < 254; i++)
		fds[i] = 0;
	EXPECT_ERRNO(send_fds(sv[0], fds, 254), EINVAL);
	EXPECT_EQ(send_fds(sv[0], fds, 253), 1);
	int bad = 999;
	EXPECT_ERRNO(send_fds(sv[0], &bad, 1), EBADF);
	char data = 'x';
	struct iovec iov = {&data, 1};
	union {
		char buf[64];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = 64};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = 8; /* shorter than the header */
	EXPECT_ERRNO(sendmsg(sv[0], &msg, 0), EINVAL);
	c->cmsg_len = 65; /* beyond the buffer */
	EXPECT_ERRNO(sendmsg(sv[0], &msg, 0), EINVAL);
	/* The rest of the buffer is zeros: a header of length 0 after it. */
	c->cmsg_len = CMSG_LEN(0);
	EXPECT_ERRNO(sendmsg(sv[0], &msg, 0), EINVAL);
	msg.msg_controllen = CMSG_SPACE(0);
	c->cmsg_type = 77;
	EXPECT_ERRNO(sendmsg(sv[0], &msg, 0), EINVAL);
	c->cmsg_level = 6; /* other levels are ignored */
	EXPECT_EQ(sendmsg(sv[0], &msg, 0), 1);
	msg.msg_controllen = 1 << 20;
	EXPECT_ERRNO(syscall(SYS_sendmsg, sv[0], &msg, 0), ENOBUFS);
	msg.msg_controllen = 0;
	msg.msg_iovlen = 1025;
	EXPECT_ERRNO(sendmsg(sv[0], &msg, 0), EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixscm, credentials)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	int on = 1;
	EXPECT_OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)));
	EXPECT_EQ(send(sv[0], "c", 1, 0), 1);
	char data;
	struct iovec iov = {&data, 1};
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	EXPECT_EQ(recvmsg(sv[1], &msg, 0), 1);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	EXPECT_TRUE(c != NULL);
	EXPECT_EQ(c->cmsg_level, SOL_SOCKET);
	EXPECT_EQ(c->cmsg_type, SCM_CREDENTIALS);
	EXPECT_EQ(c->cmsg_len, CMSG_LEN(sizeof(struct ucred)));
	struct ucred cred;
	memcpy(&cred, CMSG_DATA(c), sizeof(cred));
	EXPECT_EQ(cred.pid, getpid());
	EXPECT_EQ(cred.uid, getuid());
	EXPECT_EQ(cred.gid, getgid());
	/* Sending one's own credentials explicitly works... */
	msg.msg_controllen = sizeof(u.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	memcpy(CMSG_DATA(c), &cred, sizeof(cred));
	EXPECT_EQ(sendmsg(sv[0], &msg, 0), 1);
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred) - 1);
	EXPECT_ERRNO(sendmsg(sv[0], &msg, 0), EINVAL);
	/* ...someone else's does not, without privilege. */
	pid_t pid = h_fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		struct ucred other = {.pid = getpid(), .uid = 0, .gid = 65534};
		struct cmsghdr *cc = CMSG_FIRSTHDR(&msg);
		cc->cmsg_len = CMSG_LEN(sizeof(struct ucred));
		memcpy(CMSG_DATA(cc), &other, sizeof(other));
		if (sendmsg(sv[0], &msg, 0) >= 0 || errno != EPERM)
			_exit(11);
		other.uid = 65534;
		memcpy(CMSG_DATA(cc), &other, sizeof(other));
		_exit(sendmsg(sv[0], &msg, 0) == 1 ? 0 : 12);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixscm, too_many_in_flight)
{
	pid_t pid = h_fork();
	if (pid == 0) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
			_exit(10);
		struct rlimit rl = {16, 16};
		if (setgid(65534) || setuid(65534) || setrlimit(RLIMIT_NOFILE, &rl))
			_exit(11);
		int fd = 0, sent = 0;
		for (;;) {
			if (send_fds(sv[0], &fd, 1) != 1)
				break;
			sent++;
			if (sent > 100)
				_exit(12);
		}
		if (errno != ETOOMANYREFS)
			_exit(13);
		/* The limit is checked before adding: limit + 1 went. */
		_exit(sent == 17 ? 0 : 14);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static int proc_has_inode(ino_t ino)
{
	char text[65536];
	h_read_file("/proc/net/unix", text, sizeof(text));
	char key[32];
	snprintf(key, sizeof(key), " %lu", (unsigned long)ino);
	for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		/* The inode is the seventh field. */
		char copy[512];
		snprintf(copy, sizeof(copy), "%.*s", (int)len, line);
		unsigned long fields[7];
		char num[32];
		if (sscanf(copy, "%31[0-9a-f]: %lx %lx %lx %lx %lx %lu", num, &fields[0], &fields[1], &fields[2],
			   &fields[3], &fields[4], &fields[5]) == 7 &&
		    fields[5] == (unsigned long)ino)
			return 1;
	}
	return 0;
}

TEST(unixscm, cycles_are_collected)
{
	proc_ready();
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct stat a, b;
	EXPECT_OK(fstat(sv[0], &a));
	EXPECT_OK(fstat(sv[1], &b));
	EXPECT_TRUE(proc_has_inode(a.st_ino));
	/* Each end in flight to the other: only the queues keep them alive. */
	EXPECT_EQ(send_fds(sv[0], &sv[0], 1), 1);
	EXPECT_EQ(send_fds(sv[1], &sv[1], 1), 1);
	close(sv[0]);
	close(sv[1]);
	/* Collection starts when a socket is released (later Linux kernels run it
	 * from a work queue: give it up to two seconds). */
	for (int i = 0; i < 200 && proc_has_inode(a.st_ino); i++) {
		int x = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
		close(x);
		if (proc_has_inode(a.st_ino))
			usleep(10000);
	}
	EXPECT_TRUE(!proc_has_inode(a.st_ino));
	EXPECT_TRUE(!proc_has_inode(b.st_ino));
}

TEST(unixscm, proc_net_unix_format)
{
	proc_ready();
	char path[200];
	snprintf(path, sizeof(path), "%s/listen.sock", h_tmpdir());
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, path);
	int l = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_OK(bind(l, (struct sockaddr *)&sun, sizeof(sun)));
	EXPECT_OK(listen(l, 1));
	int d = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	struct sockaddr_un abs = {.sun_family = AF_UNIX};
	memcpy(abs.sun_path, "\0fx\0y", 5);
	EXPECT_OK(bind(d, (struct sockaddr *)&abs, offsetof(struct sockaddr_un, sun_path) + 5));
	struct stat sl, sd;
	EXPECT_OK(fstat(l, &sl));
	EXPECT_OK(fstat(d, &sd));
	static char text[1 << 16];
	h_read_file("/proc/net/unix", text, sizeof(text));
	EXPECT_TRUE(strncmp(text, "Num       RefCount Protocol Flags    Type St Inode Path\n", 56) == 0);
	char want[300];
	snprintf(want, sizeof(want), " 00000000 00010000 0001 01 %5lu %s\n", (unsigned long)sl.st_ino, path);
	EXPECT_TRUE(strstr(text, want) != NULL);
	snprintf(want, sizeof(want), " 00000000 00000000 0002 01 %5lu @fx@y\n", (unsigned long)sd.st_ino);
	EXPECT_TRUE(strstr(text, want) != NULL);
	close(l);
	close(d);
}
