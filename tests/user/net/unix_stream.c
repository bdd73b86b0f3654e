/*
 * Suite unixstream: AF_UNIX SOCK_STREAM sockets (net/unix/af_unix.c, unix(7)):
 * socketpair data both ways, readv/writev, MSG_PEEK, MSG_WAITALL,
 * MSG_DONTWAIT, EAGAIN on a full buffer, EOF and EPIPE (with SIGPIPE unless
 * MSG_NOSIGNAL) after shutdown or close, ECONNRESET when the peer leaves with
 * unread data, poll/epoll bits (POLLHUP, POLLRDHUP), SIOCINQ/SIOCOUTQ;
 * bind/listen/connect/accept with path and abstract names (EADDRINUSE,
 * ECONNREFUSED, EISCONN, EPROTOTYPE, EACCES, EINVAL), getsockname and
 * getpeername lengths, autobind, backlogs (backlog + 1 waiting connections,
 * then EAGAIN for a non-blocking connect), SO_PEERCRED after connect.
 */
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

static socklen_t path_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static socklen_t abstract_addr(struct sockaddr_un *sun, const char *name)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path + 1, name, strlen(name));
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

static int listener(const struct sockaddr_un *sun, socklen_t len, int backlog)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (const struct sockaddr *)sun, len) < 0 || listen(fd, backlog) < 0)
		FAIL("listener: %s", strerror(errno));
	return fd;
}

TEST(unixstream, socketpair_data)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(write(sv[0], "hello", 5), 5);
	EXPECT_EQ(send(sv[0], " world", 6, 0), 6);
	char buf[32] = {0};
	EXPECT_EQ(read(sv[1], buf, sizeof(buf)), 11);
	EXPECT_STREQ(buf, "hello world");
	EXPECT_EQ(write(sv[1], "back", 4), 4);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(recv(sv[0], buf, 2, 0), 2);
	EXPECT_EQ(recv(sv[0], buf + 2, 10, 0), 2);
	EXPECT_STREQ(buf, "back");
	/* Zero-length reads and writes. */
	EXPECT_EQ(write(sv[0], "", 0), 0);
	EXPECT_EQ(read(sv[1], buf, 0), 0);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixstream, vectors_and_peek)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct iovec out[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
	EXPECT_EQ(writev(sv[0], out, 3), 6);
	char a[3] = {0}, b[8] = {0};
	EXPECT_EQ(recv(sv[1], b, sizeof(b), MSG_PEEK), 6);
	EXPECT_STREQ(b, "abcdef");
	int n = -1;
	EXPECT_OK(ioctl(sv[1], SIOCINQ, &n));
	EXPECT_EQ(n, 6);
	EXPECT_OK(ioctl(sv[0], SIOCOUTQ, &n));
	EXPECT_GT(n, 0);
	memset(b, 0, sizeof(b));
	struct iovec in[2] = {{a, 2}, {b, 8}};
	EXPECT_EQ(readv(sv[1], in, 2), 6);
	EXPECT_STREQ(a, "ab");
	EXPECT_STREQ(b, "cdef");
	EXPECT_OK(ioctl(sv[1], FIONREAD, &n));
	EXPECT_EQ(n, 0);
	EXPECT_OK(ioctl(sv[0], SIOCOUTQ, &n));
	EXPECT_EQ(n, 0);
	EXPECT_ERRNO(recv(sv[1], b, 1, MSG_DONTWAIT), EAGAIN);
	/* No urgent data was sent: EINVAL. */
	EXPECT_ERRNO(recv(sv[1], b, 1, MSG_OOB), EINVAL);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixstream, waitall_collects_writes)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = h_fork();
	if (pid == 0) {
		for (int i = 0; i < 4; i++) {
			usleep(10000);
			if (write(sv[1], "xyz", 3) != 3)
				_exit(1);
		}
		_exit(0);
	}
	char buf[16] = {0};
	EXPECT_EQ(recv(sv[0], buf, 12, MSG_WAITALL), 12);
	EXPECT_STREQ(buf, "xyzxyzxyzxyz");
	EXPECT_EQ(h_wait_exit(pid), 0);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixstream, full_buffer_and_large_transfer)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	static char chunk[65536];
	long total = 0;
	for (;;) {
		ssize_t n = write(sv[0], chunk, sizeof(chunk));
		if (n < 0) {
			EXPECT_EQ(errno, EAGAIN);
			break;
		}
		total += n;
		if (total > (64 << 20))
			FAIL("never full");
	}
	EXPECT_GT(total, 0);
	struct pollfd p = {.fd = sv[0], .events = POLLOUT};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	long got = 0;
	for (;;) {
		ssize_t n = read(sv[1], chunk, sizeof(chunk));
		if (n < 0) {
			EXPECT_EQ(errno, EAGAIN);
			break;
		}
		got += n;
	}
	EXPECT_EQ(got, total);
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLOUT);

	/* A blocking megabyte both ways through a child, checked byte for byte. */
	int fl = fcntl(sv[0], F_GETFL);
	EXPECT_OK(fcntl(sv[0], F_SETFL, fl & ~O_NONBLOCK));
	EXPECT_OK(fcntl(sv[1], F_SETFL, fl & ~O_NONBLOCK));
	pid_t pid = h_fork();
	if (pid == 0) {
		static char big[1 << 20];
		for (size_t i = 0; i < sizeof(big); i++)
			big[i] = (char)(i * 7);
		_exit(write(sv[1], big, sizeof(big)) == sizeof(big) ? 0 : 1);
	}
	static char in[1 << 20];
	size_t have = 0;
	while (have < sizeof(in)) {
		ssize_t n = read(sv[0], in + have, sizeof(in) - have);
		EXPECT_GT(n, 0);
		have += n;
	}
	for (size_t i = 0; i < sizeof(in); i++)
		if (in[i] != (char)(i * 7))
			FAIL("byte %zu differs", i);
	EXPECT_EQ(h_wait_exit(pid), 0);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixstream, close_gives_eof_and_epipe)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(write(sv[1], "last", 4), 4);
	close(sv[1]);
	char buf[8];
	EXPECT_EQ(read(sv[0], buf, sizeof(buf)), 4);
	EXPECT_EQ(read(sv[0], buf, sizeof(buf)), 0);
	struct pollfd p = {.fd = sv[0], .events = POLLIN | POLLOUT | POLLRDHUP};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQX(p.revents, POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	EXPECT_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	/* Without MSG_NOSIGNAL: SIGPIPE, which kills a child by default. */
	pid_t pid = h_fork();
	if (pid == 0) {
		write(sv[0], "x", 1);
		_exit(0);
	}
	int core;
	EXPECT_EQ(h_wait_signaled(pid, &core), SIGPIPE);
	/* Ignored: just EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	EXPECT_ERRNO(write(sv[0], "x", 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(sv[0]);
}

TEST(unixstream, unread_data_resets_peer)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(write(sv[0], "unread", 6), 6);
	close(sv[1]);
	struct pollfd p = {.fd = sv[0], .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQX(p.revents, POLLIN | POLLERR | POLLHUP);
	char c;
	EXPECT_ERRNO(read(sv[0], &c, 1), ECONNRESET);
	EXPECT_EQ(read(sv[0], &c, 1), 0);
	int err = -1;
	socklen_t len = sizeof(err);
	EXPECT_OK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(err, 0);
	close(sv[0]);
}

TEST(unixstream, shutdown_directions)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_OK(shutdown(sv[0], SHUT_WR));
	char c;
	EXPECT_EQ(read(sv[1], &c, 1), 0);
	struct pollfd p = {.fd = sv[1], .events = POLLIN | POLLOUT | POLLRDHUP};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQX(p.revents, POLLIN | POLLOUT | POLLRDHUP);
	p.fd = sv[0];
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQX(p.revents, POLLOUT);
	EXPECT_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	/* The other way still works. */
	EXPECT_EQ(write(sv[1], "y", 1), 1);
	EXPECT_EQ(read(sv[0], &c, 1), 1);
	EXPECT_EQ(c, 'y');
	/* epoll sees the hang-up once both ways are shut. */
	int ep = EXPECT_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u32 = 7};
	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
	EXPECT_OK(shutdown(sv[0], SHUT_RD));
	struct epoll_event out;
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 1);
	EXPECT_EQ(out.data.u32, 7);
	EXPECT_EQX(out.events, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	EXPECT_ERRNO(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	close(ep);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixstream, unconnected_errors)
{
	int fd = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	char c;
	EXPECT_ERRNO(send(fd, "x", 1, 0), ENOTCONN);
	EXPECT_ERRNO(write(fd, "x", 1), ENOTCONN);
	EXPECT_ERRNO(recv(fd, &c, 1, 0), EINVAL);
	EXPECT_ERRNO(read(fd, &c, 1), EINVAL);
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	EXPECT_ERRNO(getpeername(fd, (struct sockaddr *)&sun, &len), ENOTCONN);
	EXPECT_ERRNO(listen(fd, 5), EINVAL); /* unbound */
	EXPECT_ERRNO(accept(fd, NULL, NULL), EINVAL);
	socklen_t alen = abstract_addr(&sun, "ferrux-nobody");
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&sun, alen), ECONNREFUSED);
	EXPECT_ERRNO(sendto(fd, "x", 1, 0, (struct sockaddr *)&sun, alen), EOPNOTSUPP);
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQX(p.revents, POLLOUT | POLLHUP);
	close(fd);
}

TEST(unixstream, path_bind_connect_accept)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/sock", h_tmpdir());
	struct sockaddr_un sun;
	socklen_t alen = path_addr(&sun, path);
	umask(022);
	int l = listener(&sun, alen, 4);
	struct stat st;
	EXPECT_OK(stat(path, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_MODE(st.st_mode & 0777, 0755);
	{ int v = 0; socklen_t vl = sizeof(v); EXPECT_OK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl)); EXPECT_EQ(v, 1); }
	/* The name as bound: 2 + strlen + 1. */
	struct sockaddr_un got;
	socklen_t len = sizeof(got);
	EXPECT_OK(getsockname(l, (struct sockaddr *)&got, &len));
	EXPECT_EQ(len, alen);
	EXPECT_STREQ(got.sun_path, path);
	/* Binding again: EADDRINUSE; a bound socket: EINVAL. */
	int other = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_ERRNO(bind(other, (struct sockaddr *)&sun, alen), EADDRINUSE);
	struct sockaddr_un sun2;
	char path2[256];
	snprintf(path2, sizeof(path2), "%s/sock2", h_tmpdir());
	socklen_t alen2 = path_addr(&sun2, path2);
	EXPECT_ERRNO(bind(l, (struct sockaddr *)&sun2, alen2), EINVAL);
	EXPECT_ERRNO(access(path2, F_OK), ENOENT);

	int c = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_OK(connect(c, (struct sockaddr *)&sun, alen));
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&sun, alen), EISCONN);
	/* Data may be sent before accept. */
	EXPECT_EQ(write(c, "early", 5), 5);
	struct sockaddr_un peer;
	len = sizeof(peer);
	memset(&peer, 0x55, sizeof(peer));
	int s = EXPECT_OK(accept4(l, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC));
	EXPECT_EQ(len, 2); /* the client is unnamed */
	EXPECT_EQ(peer.sun_family, AF_UNIX);
	EXPECT_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	char buf[8] = {0};
	EXPECT_EQ(read(s, buf, sizeof(buf)), 5);
	EXPECT_STREQ(buf, "early");
	/* The accepted socket has the listener's name; the client's peer too. */
	len = sizeof(got);
	EXPECT_OK(getsockname(s, (struct sockaddr *)&got, &len));
	EXPECT_EQ(len, alen);
	len = sizeof(got);
	EXPECT_OK(getpeername(c, (struct sockaddr *)&got, &len));
	EXPECT_EQ(len, alen);
	EXPECT_STREQ(got.sun_path, path);
	len = sizeof(got);
	EXPECT_OK(getsockname(c, (struct sockaddr *)&got, &len));
	EXPECT_EQ(len, 2);
	/* Credentials: both ends see this process. */
	struct ucred cred;
	len = sizeof(cred);
	EXPECT_OK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len));
	EXPECT_EQ(cred.pid, getpid());
	EXPECT_OK(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len));
	EXPECT_EQ(cred.pid, getpid());
	/* A truncated name: the full length is reported. */
	len = 4;
	EXPECT_OK(getsockname(l, (struct sockaddr *)&got, &len));
	EXPECT_EQ(len, alen);
	/* Nobody listening once the listener is closed, the node remains. */
	close(l);
	EXPECT_ERRNO(connect(other, (struct sockaddr *)&sun, alen), ECONNREFUSED);
	EXPECT_OK(unlink(path));
	EXPECT_ERRNO(connect(other, (struct sockaddr *)&sun, alen), ENOENT);
	close(other);
	close(c);
	close(s);
}

TEST(unixstream, connect_errors)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/file", h_tmpdir());
	h_write_file(path, "x");
	struct sockaddr_un sun;
	socklen_t alen = path_addr(&sun, path);
	int c = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&sun, alen), ECONNREFUSED);
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&sun, 1), EINVAL);
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&sun, 2), EINVAL);
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&sun, 200), EINVAL);
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&sun, sizeof(sun) + 1), EINVAL);
	EXPECT_ERRNO(connect(c, NULL, alen), EFAULT);
	sun.sun_family = AF_INET;
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&sun, alen), EINVAL);
	/* A datagram socket bound there: EPROTOTYPE. */
	snprintf(path, sizeof(path), "%s/dgram", h_tmpdir());
	alen = path_addr(&sun, path);
	int d = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	EXPECT_OK(bind(d, (struct sockaddr *)&sun, alen));
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&sun, alen), EPROTOTYPE);
	/* Listening on a datagram socket: EOPNOTSUPP. */
	EXPECT_ERRNO(listen(d, 1), EOPNOTSUPP);
	EXPECT_ERRNO(accept(d, NULL, NULL), EOPNOTSUPP);
	close(d);
	close(c);
}

TEST(unixstream, connect_needs_write_permission)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/perm", h_tmpdir());
	struct sockaddr_un sun;
	socklen_t alen = path_addr(&sun, path);
	int l = listener(&sun, alen, 4);
	EXPECT_OK(chmod(path, 0755));
	EXPECT_OK(chmod(h_tmpdir(), 0755));
	pid_t pid = h_fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&sun, alen) == 0 || errno != EACCES)
			_exit(11);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_OK(chmod(path, 0777));
	pid = h_fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		_exit(connect(c, (struct sockaddr *)&sun, alen) == 0 ? 0 : 12);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	close(l);
}

TEST(unixstream, abstract_names)
{
	struct sockaddr_un sun;
	socklen_t alen = abstract_addr(&sun, "ferrux-test-abstract");
	int l = listener(&sun, alen, 1);
	struct sockaddr_un got;
	socklen_t len = sizeof(got);
	EXPECT_OK(getsockname(l, (struct sockaddr *)&got, &len));
	EXPECT_EQ(len, alen);
	EXPECT_EQ(got.sun_path[0], 0);
	EXPECT_MEMEQ(got.sun_path + 1, "ferrux-test-abstract", 20);
	int other = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_ERRNO(bind(other, (struct sockaddr *)&sun, alen), EADDRINUSE);
	/* The same bytes with a shorter length are another name. */
	EXPECT_OK(bind(other, (struct sockaddr *)&sun, alen - 1));
	/* A datagram socket may take the name of a stream socket. */
	int d = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	EXPECT_OK(bind(d, (struct sockaddr *)&sun, alen));
	close(d);
	int c = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_OK(connect(c, (struct sockaddr *)&sun, alen));
	int s = EXPECT_OK(accept(l, NULL, NULL));
	EXPECT_EQ(write(s, "abs", 3), 3);
	char buf[4] = {0};
	EXPECT_EQ(read(c, buf, 3), 3);
	EXPECT_STREQ(buf, "abs");
	close(s);
	close(c);
	close(other);
	/* Released names are free again. */
	close(l);
	l = listener(&sun, alen, 1);
	close(l);
}

TEST(unixstream, autobind)
{
	int fd = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	EXPECT_OK(bind(fd, (struct sockaddr *)&sun, sizeof(sa_family_t)));
	socklen_t len = sizeof(sun);
	EXPECT_OK(getsockname(fd, (struct sockaddr *)&sun, &len));
	EXPECT_EQ(len, 8);
	EXPECT_EQ(sun.sun_path[0], 0);
	for (int i = 1; i < 6; i++)
		EXPECT_TRUE(strchr("0123456789abcdef", sun.sun_path[i]) != NULL);
	EXPECT_ERRNO(bind(fd, (struct sockaddr *)&sun, len), EINVAL);
	EXPECT_ERRNO(bind(fd, (struct sockaddr *)&sun, 1), EINVAL);
	close(fd);
}

TEST(unixstream, backlog_and_nonblocking)
{
	struct sockaddr_un sun;
	socklen_t alen = abstract_addr(&sun, "ferrux-test-backlog");
	int l = listener(&sun, alen, 2);
	EXPECT_OK(fcntl(l, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(accept(l, NULL, NULL), EAGAIN);
	struct pollfd p = {.fd = l, .events = POLLIN | POLLOUT};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	int c[4];
	/* backlog + 1 connections wait, then EAGAIN (not EINPROGRESS). */
	for (int i = 0; i < 3; i++) {
		c[i] = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
		EXPECT_OK(connect(c[i], (struct sockaddr *)&sun, alen));
	}
	c[3] = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	EXPECT_ERRNO(connect(c[3], (struct sockaddr *)&sun, alen), EAGAIN);
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQX(p.revents, POLLIN);
	int s = EXPECT_OK(accept(l, NULL, NULL));
	EXPECT_OK(connect(c[3], (struct sockaddr *)&sun, alen));
	/* A blocking connect waits for room. */
	pid_t pid = h_fork();
	if (pid == 0) {
		int x = socket(AF_UNIX, SOCK_STREAM, 0);
		_exit(connect(x, (struct sockaddr *)&sun, alen) == 0 ? 0 : 1);
	}
	usleep(50000);
	int s2 = EXPECT_OK(accept(l, NULL, NULL));
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* c[1] was accepted second; closing the listener resets the connections
	 * still waiting (c[2], c[3] and the child's). */
	close(l);
	char ch;
	int resets = 0;
	for (int i = 1; i < 4; i++) {
		ssize_t n = read(c[i], &ch, 1);
		if (n < 0 && errno == ECONNRESET)
			resets++;
	}
	EXPECT_EQ(resets, 2);
	for (int i = 0; i < 4; i++)
		close(c[i]);
	close(s);
	close(s2);
}

TEST(unixstream, accept_flags)
{
	struct sockaddr_un sun;
	socklen_t alen = abstract_addr(&sun, "ferrux-test-accept4");
	int l = listener(&sun, alen, 2);
	/* Raw: musl's accept4 retries an EINVAL as a plain (blocking) accept. */
	EXPECT_ERRNO(syscall(SYS_accept4, l, NULL, NULL, 0x10), EINVAL);
	int c = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_OK(connect(c, (struct sockaddr *)&sun, alen));
	int s = EXPECT_OK(accept4(l, NULL, NULL, SOCK_NONBLOCK));
	EXPECT_EQX(fcntl(s, F_GETFL), O_RDWR | O_NONBLOCK);
	EXPECT_EQ(fcntl(s, F_GETFD), 0);
	char ch;
	EXPECT_ERRNO(read(s, &ch, 1), EAGAIN);
	int v = -1;
	socklen_t len = sizeof(v);
	EXPECT_OK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len));
	EXPECT_EQ(v, 1);
	EXPECT_OK(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len));
	EXPECT_EQ(v, 0);
	/* Shutting a listener down for reading makes accept EINVAL. */
	EXPECT_OK(shutdown(l, SHUT_RD));
	EXPECT_ERRNO(accept(l, NULL, NULL), EINVAL);
	int c2 = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_ERRNO(connect(c2, (struct sockaddr *)&sun, alen), ECONNREFUSED);
	close(c2);
	close(s);
	close(c);
	close(l);
}

TEST(unixstream, sendfile_and_splice)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/data", h_tmpdir());
	h_write_file(path, "file contents for the socket");
	int in = EXPECT_OK(open(path, O_RDONLY));
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	EXPECT_EQ(sendfile(sv[0], in, NULL, 100), 28);
	char buf[64] = {0};
	EXPECT_EQ(read(sv[1], buf, sizeof(buf)), 28);
	EXPECT_STREQ(buf, "file contents for the socket");
	/* Socket to pipe and pipe to socket. */
	int p[2];
	EXPECT_OK(pipe(p));
	EXPECT_EQ(write(sv[0], "spliced", 7), 7);
	EXPECT_EQ(splice(sv[1], NULL, p[1], NULL, 100, 0), 7);
	EXPECT_ERRNO(splice(sv[1], NULL, p[1], NULL, 100, 0), EAGAIN);
	EXPECT_EQ(splice(p[0], NULL, sv[0], NULL, 100, 0), 7);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(read(sv[1], buf, sizeof(buf)), 7);
	EXPECT_STREQ(buf, "spliced");
	close(p[0]);
	close(p[1]);
	close(in);
	close(sv[0]);
	close(sv[1]);
}
