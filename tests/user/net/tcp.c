/*
 * Suite tcp: TCP over loopback, IPv4 and IPv6 (net/ipv4/tcp*.c,
 * inet_connection_sock.c, af_inet.c, af_inet6.c; tcp(7), ip(7), ipv6(7)):
 * socket() type and protocol checks, bind's errors (EADDRNOTAVAIL, EINVAL,
 * EADDRINUSE and SO_REUSEADDR, EACCES below port 1024 without privilege),
 * ephemeral ports from net.ipv4.ip_local_port_range, blocking and
 * non-blocking connect (EINPROGRESS, SO_ERROR, EALREADY/EISCONN), refused
 * connections, listen backlogs of backlog+1, accept4 flags, half-close,
 * resets (unread data at close, SO_LINGER 0, data to a closed peer: EPIPE),
 * TIME_WAIT holding the port, MSG_PEEK/WAITALL/DONTWAIT/TRUNC, large
 * transfers both ways at once with checksums, many concurrent connections,
 * poll/epoll readiness (EPOLLRDHUP), the SOL_TCP/SOL_IP/SOL_IPV6 options,
 * SIOCINQ/SIOCOUTQ, dual-stack sockets and IPV6_V6ONLY, /proc/net/tcp, sendfile and
 * splice to and from TCP, and connection churn from several processes.
 */
#include "net/inet.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

static int so_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	return err;
}

static int int_opt(int fd, int level, int name)
{
	int value = -1;
	socklen_t len = sizeof(value);
	EXPECT_OK(getsockopt(fd, level, name, &value, &len));
	return value;
}

/* A connected pair: *client and the accepted *server. */
static void tcp_pair(int family, int *client, int *server)
{
	int port;
	int l = inet_bound(family, SOCK_STREAM, 4, &port);
	*client = inet_connect(family, port);
	*server = EXPECT_OK(accept(l, NULL, NULL));
	close(l);
}

TEST(tcp, create_and_defaults)
{
	inet_lo_up();
	EXPECT_ERRNO(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	EXPECT_ERRNO(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	EXPECT_ERRNO(socket(AF_INET, SOCK_STREAM, -1), EINVAL);
	int sv[2];
	EXPECT_ERRNO(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
	int fd = EXPECT_OK(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
	EXPECT_EQ(int_opt(fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	EXPECT_EQ(int_opt(fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
	EXPECT_EQ(int_opt(fd, SOL_SOCKET, SO_DOMAIN), AF_INET);
	EXPECT_EQ(int_opt(fd, SOL_SOCKET, SO_SNDBUF), 16384);
	EXPECT_EQ(int_opt(fd, SOL_SOCKET, SO_RCVBUF), 131072);
	EXPECT_EQ(int_opt(fd, SOL_SOCKET, SO_ACCEPTCONN), 0);
	/* An unconnected socket: writable and hung up. */
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQX(p.revents, POLLOUT | POLLHUP);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	EXPECT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
	EXPECT_EQ(len, sizeof(sin));
	EXPECT_EQ(sin.sin_family, AF_INET);
	EXPECT_EQ(sin.sin_port, 0);
	EXPECT_EQ(sin.sin_addr.s_addr, 0);
	EXPECT_ERRNO(getpeername(fd, (struct sockaddr *)&sin, &len), ENOTCONN);
	char c;
	EXPECT_ERRNO(recv(fd, &c, 1, 0), ENOTCONN);
	EXPECT_ERRNO(send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	EXPECT_ERRNO(accept(fd, NULL, NULL), EINVAL);
	EXPECT_ERRNO(shutdown(fd, SHUT_RDWR), ENOTCONN);
	close(fd);
	fd = EXPECT_OK(socket(AF_INET6, SOCK_STREAM, 0));
	EXPECT_EQ(int_opt(fd, SOL_SOCKET, SO_DOMAIN), AF_INET6);
	EXPECT_EQ(int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	struct sockaddr_in6 sin6;
	len = sizeof(sin6);
	EXPECT_OK(getsockname(fd, (struct sockaddr *)&sin6, &len));
	EXPECT_EQ(len, sizeof(sin6));
	EXPECT_EQ(sin6.sin6_family, AF_INET6);
	close(fd);
}

TEST(tcp, bind_errors)
{
	inet_lo_up();
	int fd = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in sin = {.sin_family = AF_INET};
	sin.sin_addr.s_addr = inet_addr("10.1.2.3");
	EXPECT_ERRNO(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), EADDRNOTAVAIL);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	EXPECT_ERRNO(bind(fd, (struct sockaddr *)&sin, sizeof(sin) - 1), EINVAL);
	sin.sin_family = AF_INET6;
	EXPECT_ERRNO(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), EAFNOSUPPORT);
	sin.sin_family = AF_INET;
	/* Anything in 127.0.0.0/8 is local. */
	sin.sin_addr.s_addr = inet_addr("127.1.2.3");
	EXPECT_OK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	int port = inet_port_of(fd);
	EXPECT_GE(port, 32768);
	EXPECT_LE(port, 60999);
	EXPECT_ERRNO(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), EINVAL);
	/* Another socket on the same port of the wildcard address. */
	int other = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(port)};
	EXPECT_ERRNO(bind(other, (struct sockaddr *)&any, sizeof(any)), EADDRINUSE);
	/* SO_REUSEADDR on both, neither listening: allowed. */
	int one = 1;
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_OK(setsockopt(other, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_OK(bind(other, (struct sockaddr *)&any, sizeof(any)));
	/* But only one of them may listen. */
	EXPECT_OK(listen(fd, 1));
	EXPECT_ERRNO(listen(other, 1), EADDRINUSE);
	close(other);
	close(fd);
}

static void bind_low_port_unprivileged(void *arg)
{
	(void)arg;
	EXPECT_OK(setgid(65534));
	EXPECT_OK(setuid(65534));
	int fd = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	EXPECT_ERRNO(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), EACCES);
	sin.sin_port = htons(1024);
	int r = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	EXPECT_TRUE(r == 0 || errno == EADDRINUSE);
	close(fd);
}

TEST(tcp, bind_privileged_port)
{
	inet_lo_up();
	EXPECT_CHILD_OK(bind_low_port_unprivileged, NULL);
	int fd = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(81)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	EXPECT_OK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	close(fd);
}

TEST(tcp, ephemeral_range)
{
	inet_lo_up();
	char saved[64];
	h_read_file("/proc/sys/net/ipv4/ip_local_port_range", saved, sizeof(saved));
	EXPECT_STREQ(saved, "32768\t60999\n");
	int sysctl = EXPECT_OK(open("/proc/sys/net/ipv4/ip_local_port_range", O_WRONLY));
	EXPECT_ERRNO(write(sysctl, "5000 4000", 9), EINVAL);
	EXPECT_OK(write(sysctl, "40000 40001", 11));
	close(sysctl);
	int a = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	int b = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	int c = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in sin = {.sin_family = AF_INET};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	EXPECT_OK(bind(a, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_OK(bind(b, (struct sockaddr *)&sin, sizeof(sin)));
	int pa = inet_port_of(a), pb = inet_port_of(b);
	EXPECT_TRUE((pa == 40000 && pb == 40001) || (pa == 40001 && pb == 40000));
	EXPECT_ERRNO(bind(c, (struct sockaddr *)&sin, sizeof(sin)), EADDRINUSE);
	sysctl = EXPECT_OK(open("/proc/sys/net/ipv4/ip_local_port_range", O_WRONLY));
	EXPECT_OK(write(sysctl, "32768 60999", 11));
	close(sysctl);
	close(a);
	close(b);
	close(c);
}

TEST(tcp, connect_refused)
{
	inet_lo_up();
	int port;
	int l = inet_bound(AF_INET, SOCK_STREAM, 1, &port);
	close(l);
	int fd = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_storage ss;
	socklen_t len = inet_loopback(AF_INET, port, &ss);
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&ss, len), ECONNREFUSED);
	close(fd);
	/* Non-blocking: EINPROGRESS, then the error. */
	fd = EXPECT_OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&ss, len), EINPROGRESS);
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_TRUE(p.revents & POLLERR);
	EXPECT_TRUE(p.revents & POLLHUP);
	EXPECT_EQ(so_error(fd), ECONNREFUSED);
	EXPECT_EQ(so_error(fd), 0);
	close(fd);
	/* No route to anything but this host. */
	fd = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in far = {.sin_family = AF_INET, .sin_port = htons(80)};
	far.sin_addr.s_addr = inet_addr("192.0.2.1");
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&far, sizeof(far)), ENETUNREACH);
	far.sin_family = AF_INET6;
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&far, sizeof(far)), EAFNOSUPPORT);
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&far, 8), EINVAL);
	close(fd);
}

TEST(tcp, connect_accept_data)
{
	inet_lo_up();
	int port;
	int l = inet_bound(AF_INET, SOCK_STREAM, 4, &port);
	EXPECT_EQ(int_opt(l, SOL_SOCKET, SO_ACCEPTCONN), 1);
	/* Raw: musl's accept4 retries an EINVAL as accept(). */
	EXPECT_EQ(syscall(SYS_accept4, l, NULL, NULL, 0x1000), -1);
	EXPECT_EQ(errno, EINVAL);
	int c = inet_connect(AF_INET, port);
	struct sockaddr_in peer, local;
	socklen_t len = sizeof(peer);
	int s = EXPECT_OK(accept4(l, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC | SOCK_NONBLOCK));
	EXPECT_EQ(len, sizeof(peer));
	EXPECT_EQ(peer.sin_family, AF_INET);
	EXPECT_EQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	EXPECT_EQ(ntohs(peer.sin_port), inet_port_of(c));
	EXPECT_TRUE(fcntl(s, F_GETFD) & FD_CLOEXEC);
	EXPECT_TRUE(fcntl(s, F_GETFL) & O_NONBLOCK);
	len = sizeof(local);
	EXPECT_OK(getpeername(c, (struct sockaddr *)&local, &len));
	EXPECT_EQ(ntohs(local.sin_port), port);
	EXPECT_EQ(inet_port_of(s), port);
	char buf[16];
	EXPECT_ERRNO(read(s, buf, sizeof(buf)), EAGAIN);
	EXPECT_EQ(write(c, "hello", 5), 5);
	struct pollfd p = {.fd = s, .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_EQ(read(s, buf, sizeof(buf)), 5);
	EXPECT_MEMEQ(buf, "hello", 5);
	EXPECT_EQ(send(s, "world!", 6, 0), 6);
	EXPECT_EQ(recv(c, buf, sizeof(buf), 0), 6);
	EXPECT_MEMEQ(buf, "world!", 6);
	struct sockaddr_storage ss;
	len = inet_loopback(AF_INET, port, &ss);
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&ss, len), EISCONN);
	EXPECT_ERRNO(listen(c, 1), EINVAL);
	/* recvfrom on a stream socket leaves no address. */
	EXPECT_EQ(write(c, "a", 1), 1);
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	len = sizeof(local);
	EXPECT_EQ(recvfrom(s, buf, 1, MSG_WAITALL, (struct sockaddr *)&local, &len), 1);
	EXPECT_EQ(len, 0);
	close(c);
	close(s);
	close(l);
}

TEST(tcp, nonblocking_connect)
{
	inet_lo_up();
	int port;
	int l = inet_bound(AF_INET, SOCK_STREAM, 4, &port);
	int fd = EXPECT_OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	struct sockaddr_storage ss;
	socklen_t len = inet_loopback(AF_INET, port, &ss);
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&ss, len), EINPROGRESS);
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_EQX(p.revents, POLLOUT);
	EXPECT_EQ(so_error(fd), 0);
	/* The connect that follows the handshake reports it, the next EISCONN. */
	EXPECT_OK(connect(fd, (struct sockaddr *)&ss, len));
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&ss, len), EISCONN);
	int s = EXPECT_OK(accept(l, NULL, NULL));
	close(s);
	close(fd);
	close(l);
}

TEST(tcp, listen_backlog)
{
	inet_lo_up();
	int port;
	int l = inet_bound(AF_INET, SOCK_STREAM, 1, &port);
	struct sockaddr_storage ss;
	socklen_t len = inet_loopback(AF_INET, port, &ss);
	int c[3];
	for (int i = 0; i < 3; i++)
		c[i] = EXPECT_OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	/* backlog + 1 connections complete, the third waits in SYN_SENT. */
	for (int i = 0; i < 2; i++) {
		EXPECT_ERRNO(connect(c[i], (struct sockaddr *)&ss, len), EINPROGRESS);
		struct pollfd p = {.fd = c[i], .events = POLLOUT};
		EXPECT_EQ(poll(&p, 1, 5000), 1);
		EXPECT_EQX(p.revents, POLLOUT);
	}
	/*
	 * The client is writable once the SYN-ACK arrives, a moment before the
	 * listener queues the connection on the final ACK. Let both land, or
	 * Linux takes the third SYN while the queue still has room and then
	 * drops its ACK, leaving the client established.
	 */
	usleep(200 * 1000);
	EXPECT_ERRNO(connect(c[2], (struct sockaddr *)&ss, len), EINPROGRESS);
	struct pollfd p = {.fd = c[2], .events = POLLOUT};
	EXPECT_EQ(poll(&p, 1, 300), 0);
	struct pollfd lp = {.fd = l, .events = POLLIN};
	EXPECT_EQ(poll(&lp, 1, 0), 1);
	int a = EXPECT_OK(accept(l, NULL, NULL));
	/* Room again: the third gets in (on Linux, by its SYN's retransmission). */
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_EQX(p.revents, POLLOUT);
	EXPECT_EQ(so_error(c[2]), 0);
	int b = EXPECT_OK(accept(l, NULL, NULL));
	int d = EXPECT_OK(accept(l, NULL, NULL));
	EXPECT_EQ(write(c[2], "3", 1), 1);
	char buf;
	struct pollfd dp = {.fd = d, .events = POLLIN};
	EXPECT_EQ(poll(&dp, 1, 5000), 1);
	EXPECT_EQ(read(d, &buf, 1), 1);
	EXPECT_EQ(buf, '3');
	int fl = fcntl(l, F_GETFL);
	EXPECT_OK(fcntl(l, F_SETFL, fl | O_NONBLOCK));
	EXPECT_ERRNO(accept(l, NULL, NULL), EAGAIN);
	close(a);
	close(b);
	close(d);
	for (int i = 0; i < 3; i++)
		close(c[i]);
	close(l);
}

TEST(tcp, half_close)
{
	inet_lo_up();
	int c, s;
	tcp_pair(AF_INET, &c, &s);
	EXPECT_ERRNO(shutdown(c, 7), EINVAL);
	EXPECT_EQ(write(c, "req", 3), 3);
	EXPECT_OK(shutdown(c, SHUT_WR));
	EXPECT_ERRNO(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	char buf[8];
	EXPECT_EQ(read(s, buf, sizeof(buf)), 3);
	EXPECT_EQ(read(s, buf, sizeof(buf)), 0);
	struct pollfd p = {.fd = s, .events = POLLIN | POLLOUT | POLLRDHUP};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQX(p.revents, POLLIN | POLLOUT | POLLRDHUP);
	/* The other direction still works. */
	EXPECT_EQ(write(s, "reply", 5), 5);
	EXPECT_EQ(read(c, buf, sizeof(buf)), 5);
	EXPECT_OK(close(s));
	EXPECT_EQ(read(c, buf, sizeof(buf)), 0);
	p.fd = c;
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQX(p.revents, POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	close(c);
}

TEST(tcp, reset_on_unread_close)
{
	inet_lo_up();
	int c, s;
	tcp_pair(AF_INET, &c, &s);
	EXPECT_EQ(write(c, "unread", 6), 6);
	struct pollfd p = {.fd = s, .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	close(s);
	p.fd = c;
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_TRUE(p.revents & POLLERR);
	char buf[8];
	EXPECT_ERRNO(read(c, buf, sizeof(buf)), ECONNRESET);
	EXPECT_EQ(read(c, buf, sizeof(buf)), 0);
	EXPECT_ERRNO(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	close(c);
}

TEST(tcp, reset_by_linger_zero)
{
	inet_lo_up();
	int c, s;
	tcp_pair(AF_INET6, &c, &s);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	EXPECT_OK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(s);
	char buf[8];
	struct pollfd p = {.fd = c, .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_ERRNO(recv(c, buf, sizeof(buf), 0), ECONNRESET);
	close(c);
}

static volatile sig_atomic_t got_sigpipe;

static void on_sigpipe(int sig)
{
	(void)sig;
	got_sigpipe = 1;
}

TEST(tcp, write_to_closed_peer)
{
	inet_lo_up();
	int c, s;
	tcp_pair(AF_INET, &c, &s);
	close(s);
	char buf[8];
	EXPECT_EQ(read(c, buf, sizeof(buf)), 0);
	/* The first write is taken; the peer answers with a reset. */
	EXPECT_EQ(write(c, "lost", 4), 4);
	struct pollfd p = {.fd = c, .events = POLLOUT};
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	signal(SIGPIPE, on_sigpipe);
	got_sigpipe = 0;
	EXPECT_ERRNO(write(c, "more", 4), EPIPE);
	EXPECT_EQ(got_sigpipe, 1);
	close(c);
}

static int count_state(const char *path, const char *state)
{
	FILE *f = fopen(path, "r");
	EXPECT_TRUE(f != NULL);
	char line[256];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		char st[8];
		if (sscanf(line, "%*s %*s %*s %7s", st) == 1 && strcmp(st, state) == 0)
			n++;
	}
	fclose(f);
	return n;
}

TEST(tcp, time_wait_holds_port)
{
	inet_lo_up();
	int one = 1;
	int l = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_OK(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	struct sockaddr_storage ss;
	socklen_t len = inet_loopback(AF_INET, 0, &ss);
	EXPECT_OK(bind(l, (struct sockaddr *)&ss, len));
	EXPECT_OK(listen(l, 1));
	int port = inet_port_of(l);
	int before = count_state("/proc/net/tcp", "06");
	int c = inet_connect(AF_INET, port);
	int s = EXPECT_OK(accept(l, NULL, NULL));
	close(l);
	/* The server closes first: its side ends in TIME_WAIT. */
	close(s);
	char buf[4];
	EXPECT_EQ(read(c, buf, sizeof(buf)), 0);
	close(c);
	EXPECT_EQ(count_state("/proc/net/tcp", "06"), before + 1);
	int again = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	len = inet_loopback(AF_INET, port, &ss);
	EXPECT_ERRNO(bind(again, (struct sockaddr *)&ss, len), EADDRINUSE);
	EXPECT_OK(setsockopt(again, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_OK(bind(again, (struct sockaddr *)&ss, len));
	EXPECT_OK(listen(again, 1));
	close(again);
}

TEST(tcp, peek_waitall_trunc)
{
	inet_lo_up();
	int c, s;
	tcp_pair(AF_INET, &c, &s);
	char buf[32];
	EXPECT_ERRNO(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	EXPECT_EQ(send(c, "0123456789", 10, 0), 10);
	struct pollfd p = {.fd = s, .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	int n = -1;
	EXPECT_OK(ioctl(s, SIOCINQ, &n));
	EXPECT_EQ(n, 10);
	EXPECT_OK(ioctl(c, SIOCOUTQ, &n));
	EXPECT_EQ(recv(s, buf, 4, MSG_PEEK), 4);
	EXPECT_MEMEQ(buf, "0123", 4);
	EXPECT_EQ(recv(s, buf, sizeof(buf), MSG_PEEK), 10);
	EXPECT_EQ(recv(s, buf, 3, MSG_TRUNC), 3);
	EXPECT_EQ(recv(s, buf, 3, 0), 3);
	EXPECT_MEMEQ(buf, "345", 3);
	/* MSG_WAITALL waits for the rest from a child writing in pieces. */
	int go[2];
	h_pipe(go);
	pid_t pid = h_fork();
	if (pid == 0) {
		h_wait_byte(go[0]);
		for (int i = 0; i < 4; i++) {
			EXPECT_EQ(write(c, "abcd", 4), 4);
			usleep(20000);
		}
		h_exit(0);
	}
	h_post(go[1]);
	EXPECT_EQ(recv(s, buf, 20, MSG_WAITALL), 20);
	EXPECT_MEMEQ(buf, "6789abcdabcdabcdabcd", 20);
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_ERRNO(recv(s, buf, 1, MSG_OOB), EINVAL);
	close(c);
	close(s);
}

/* Sends `total` bytes of a pattern seeded by `out_seed` and receives as many
 * from the peer at the same time, checking them against `in_seed`. */
static void pump(int fd, unsigned out_seed, unsigned in_seed, size_t total)
{
	static char out[65536], in[65536];
	size_t sent = 0, got = 0;
	unsigned o = out_seed, i = in_seed;
	EXPECT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	size_t have = 0, off = 0;
	while (sent < total || got < total) {
		struct pollfd p = {.fd = fd,
				   .events = (got < total ? POLLIN : 0) |
					     (sent < total ? POLLOUT : 0)};
		EXPECT_EQ(poll(&p, 1, 10000), 1);
		if ((p.revents & POLLOUT) && sent < total) {
			if (off == have) {
				have = sizeof(out) < total - sent ? sizeof(out) : total - sent;
				for (size_t k = 0; k < have; k++) {
					o = o * 1103515245 + 12345;
					out[k] = (char)(o >> 16);
				}
				off = 0;
			}
			ssize_t n = write(fd, out + off, have - off);
			if (n < 0)
				EXPECT_EQ(errno, EAGAIN);
			else {
				off += n;
				sent += n;
			}
		}
		if ((p.revents & POLLIN) && got < total) {
			ssize_t n = read(fd, in, sizeof(in));
			EXPECT_GT(n, 0);
			for (ssize_t k = 0; k < n; k++) {
				i = i * 1103515245 + 12345;
				if (in[k] != (char)(i >> 16))
					FAIL("byte %zu differs", got + k);
			}
			got += n;
		}
	}
	EXPECT_OK(shutdown(fd, SHUT_WR));
	char c;
	EXPECT_OK(fcntl(fd, F_SETFL, 0));
	EXPECT_EQ(read(fd, &c, 1), 0);
}

TEST(tcp, large_transfer_both_ways)
{
	inet_lo_up();
	h_set_timeout(120);
	int c, s;
	tcp_pair(AF_INET, &c, &s);
	const size_t total = 8 << 20;
	pid_t pid = h_fork();
	if (pid == 0) {
		close(s);
		pump(c, 7, 11, total);
		h_exit(0);
	}
	close(c);
	pump(s, 11, 7, total);
	EXPECT_EQ(h_wait_exit(pid), 0);
	close(s);
}

TEST(tcp, many_connections)
{
	inet_lo_up();
	h_set_timeout(60);
	enum { N = 64 };
	int port;
	int l = inet_bound(AF_INET, SOCK_STREAM, N, &port);
	int ep = EXPECT_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
	int c[N], s[N];
	struct sockaddr_storage ss;
	socklen_t len = inet_loopback(AF_INET, port, &ss);
	for (int i = 0; i < N; i++) {
		c[i] = EXPECT_OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
		EXPECT_ERRNO(connect(c[i], (struct sockaddr *)&ss, len), EINPROGRESS);
	}
	for (int i = 0; i < N; i++) {
		struct epoll_event out;
		EXPECT_EQ(epoll_wait(ep, &out, 1, 5000), 1);
		EXPECT_EQ(out.data.fd, l);
		s[i] = EXPECT_OK(accept(l, NULL, NULL));
	}
	for (int i = 0; i < N; i++) {
		struct pollfd p = {.fd = c[i], .events = POLLOUT};
		EXPECT_EQ(poll(&p, 1, 5000), 1);
		char msg[16];
		int n = snprintf(msg, sizeof(msg), "conn %d", i);
		EXPECT_EQ(write(c[i], msg, n), n);
	}
	/* Each accepted socket has exactly the message of one client. */
	int seen[N] = {0};
	for (int i = 0; i < N; i++) {
		char msg[16] = {0};
		struct pollfd p = {.fd = s[i], .events = POLLIN};
		EXPECT_EQ(poll(&p, 1, 5000), 1);
		EXPECT_GT(read(s[i], msg, sizeof(msg) - 1), 0);
		int k = -1;
		EXPECT_EQ(sscanf(msg, "conn %d", &k), 1);
		EXPECT_TRUE(k >= 0 && k < N && !seen[k]);
		seen[k] = 1;
		EXPECT_EQ(write(s[i], msg, strlen(msg)), (ssize_t)strlen(msg));
	}
	for (int i = 0; i < N; i++) {
		char msg[16] = {0};
		struct pollfd p = {.fd = c[i], .events = POLLIN};
		EXPECT_EQ(poll(&p, 1, 5000), 1);
		EXPECT_GT(read(c[i], msg, sizeof(msg) - 1), 0);
		int k = -1;
		EXPECT_EQ(sscanf(msg, "conn %d", &k), 1);
		EXPECT_EQ(k, i);
		close(c[i]);
		close(s[i]);
	}
	close(ep);
	close(l);
}

TEST(tcp, epoll_readiness)
{
	inet_lo_up();
	int c, s;
	tcp_pair(AF_INET, &c, &s);
	int ep = EXPECT_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = s};
	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
	struct epoll_event out;
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	EXPECT_EQ(write(c, "x", 1), 1);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 5000), 1);
	EXPECT_EQX(out.events, EPOLLIN);
	/* Edge-triggered: nothing new, nothing reported. */
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	EXPECT_OK(shutdown(c, SHUT_WR));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 5000), 1);
	EXPECT_EQX(out.events, EPOLLIN | EPOLLRDHUP);
	close(ep);
	close(c);
	close(s);
}

TEST(tcp, options)
{
	inet_lo_up();
	int fd = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	int one = 1, zero = 0, v;
	EXPECT_EQ(int_opt(fd, IPPROTO_TCP, TCP_NODELAY), 0);
	EXPECT_OK(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	EXPECT_EQ(int_opt(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	EXPECT_OK(setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)));
	EXPECT_EQ(int_opt(fd, IPPROTO_TCP, TCP_CORK), 1);
	EXPECT_EQ(int_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7200);
	EXPECT_EQ(int_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL), 75);
	EXPECT_EQ(int_opt(fd, IPPROTO_TCP, TCP_KEEPCNT), 9);
	v = 60;
	EXPECT_OK(setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)));
	EXPECT_EQ(int_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 60);
	EXPECT_ERRNO(setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &zero, sizeof(zero)), EINVAL);
	v = 128;
	EXPECT_ERRNO(setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v)), EINVAL);
	EXPECT_EQ(int_opt(fd, IPPROTO_TCP, TCP_MAXSEG), 536);
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	EXPECT_EQ(int_opt(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	v = 10000;
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	EXPECT_EQ(int_opt(fd, SOL_SOCKET, SO_RCVBUF), 20000);
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	EXPECT_EQ(int_opt(fd, SOL_SOCKET, SO_SNDBUF), 20000);
	EXPECT_EQ(int_opt(fd, IPPROTO_IP, IP_TTL), 64);
	v = 0;
	EXPECT_ERRNO(setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof(v)), EINVAL);
	v = 5;
	EXPECT_OK(setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof(v)));
	EXPECT_EQ(int_opt(fd, IPPROTO_IP, IP_TTL), 5);
	v = 0x10;
	EXPECT_OK(setsockopt(fd, IPPROTO_IP, IP_TOS, &v, sizeof(v)));
	EXPECT_EQ(int_opt(fd, IPPROTO_IP, IP_TOS), 0x10);
	EXPECT_EQ(int_opt(fd, IPPROTO_IP, IP_RECVERR), 0);
	EXPECT_OK(setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)));
	EXPECT_EQ(int_opt(fd, IPPROTO_IP, IP_RECVERR), 1);
	EXPECT_ERRNO(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), ENOPROTOOPT);
	EXPECT_ERRNO(setsockopt(fd, IPPROTO_TCP, 9999, &one, sizeof(one)), ENOPROTOOPT);
	socklen_t len = sizeof(v);
	EXPECT_ERRNO(getsockopt(fd, IPPROTO_IP, IP_MTU, &v, &len), ENOTCONN);
	/* TCP_INFO: the state first. */
	unsigned char info[256];
	len = sizeof(info);
	EXPECT_OK(getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &len));
	EXPECT_EQ(len, 232);
	EXPECT_EQ(info[0], 7); /* TCP_CLOSE */
	EXPECT_OK(listen(fd, 1));
	len = sizeof(info);
	EXPECT_OK(getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &len));
	EXPECT_EQ(info[0], 10); /* TCP_LISTEN */
	int c = inet_connect(AF_INET, inet_port_of(fd));
	len = sizeof(info);
	EXPECT_OK(getsockopt(c, IPPROTO_TCP, TCP_INFO, info, &len));
	EXPECT_EQ(info[0], 1); /* TCP_ESTABLISHED */
	EXPECT_EQ(int_opt(c, IPPROTO_IP, IP_MTU), 65535);
	int n = -1;
	EXPECT_OK(ioctl(c, SIOCOUTQ, &n));
	EXPECT_EQ(n, 0);
	EXPECT_ERRNO(ioctl(fd, SIOCINQ, &n), EINVAL);
	int udp = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_ERRNO(setsockopt(udp, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), ENOPROTOOPT);
	close(udp);
	close(c);
	close(fd);
}

TEST(tcp, ipv6_and_dual_stack)
{
	inet_lo_up();
	int port;
	/* An IPv6 wildcard listener takes IPv4 connections, v4-mapped. */
	int l = EXPECT_OK(socket(AF_INET6, SOCK_STREAM, 0));
	struct sockaddr_in6 any6 = {.sin6_family = AF_INET6};
	EXPECT_OK(bind(l, (struct sockaddr *)&any6, sizeof(any6)));
	EXPECT_OK(listen(l, 4));
	port = inet_port_of(l);
	int one = 1;
	EXPECT_ERRNO(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), EINVAL);
	/* The IPv4 wildcard of that port is taken. */
	int v4 = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in any4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	EXPECT_ERRNO(bind(v4, (struct sockaddr *)&any4, sizeof(any4)), EADDRINUSE);
	close(v4);
	int c = inet_connect(AF_INET, port);
	struct sockaddr_in6 peer;
	socklen_t len = sizeof(peer);
	int s = EXPECT_OK(accept(l, (struct sockaddr *)&peer, &len));
	EXPECT_EQ(len, sizeof(peer));
	EXPECT_EQ(peer.sin6_family, AF_INET6);
	EXPECT_TRUE(IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr));
	EXPECT_EQ(peer.sin6_addr.s6_addr[15], 1);
	EXPECT_EQ(peer.sin6_addr.s6_addr[12], 127);
	EXPECT_EQ(write(c, "v4", 2), 2);
	char buf[4];
	EXPECT_EQ(read(s, buf, sizeof(buf)), 2);
	close(s);
	close(c);
	c = inet_connect(AF_INET6, port);
	s = EXPECT_OK(accept(l, (struct sockaddr *)&peer, &len));
	EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&peer.sin6_addr));
	close(s);
	close(c);
	close(l);
	/* IPV6_V6ONLY: the IPv4 side stays free and v4 clients are refused. */
	l = EXPECT_OK(socket(AF_INET6, SOCK_STREAM, 0));
	EXPECT_OK(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)));
	EXPECT_OK(bind(l, (struct sockaddr *)&any6, sizeof(any6)));
	EXPECT_OK(listen(l, 4));
	port = inet_port_of(l);
	c = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_storage ss;
	len = inet_loopback(AF_INET, port, &ss);
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&ss, len), ECONNREFUSED);
	close(c);
	v4 = EXPECT_OK(socket(AF_INET, SOCK_STREAM, 0));
	any4.sin_port = htons(port);
	EXPECT_OK(bind(v4, (struct sockaddr *)&any4, sizeof(any4)));
	close(v4);
	close(l);
}

TEST(tcp, proc_net_tcp)
{
	inet_lo_up();
	int port;
	int l = inet_bound(AF_INET, SOCK_STREAM, 3, &port);
	int l6 = inet_bound(AF_INET6, SOCK_STREAM, 3, &port);
	char text[16384];
	h_read_file("/proc/net/tcp", text, sizeof(text));
	EXPECT_TRUE(strncmp(text, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", 96) == 0);
	char want[128];
	snprintf(want, sizeof(want), ": 0100007F:%04X 00000000:0000 0A ", inet_port_of(l));
	EXPECT_TRUE(strstr(text, want) != NULL);
	h_read_file("/proc/net/tcp6", text, sizeof(text));
	snprintf(want, sizeof(want), ": 00000000000000000000000001000000:%04X 00000000000000000000000000000000:0000 0A ", port);
	EXPECT_TRUE(strstr(text, want) != NULL);
	char link[32] = {0};
	EXPECT_EQ(readlink("/proc/net", link, sizeof(link)), 8);
	EXPECT_STREQ(link, "self/net");
	close(l);
	close(l6);
}

TEST(tcp, sendfile_and_splice)
{
	inet_lo_up();
	h_tmpdir();
	static char data[200000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 251);
	int file = EXPECT_OK(open("data", O_RDWR | O_CREAT, 0644));
	EXPECT_EQ(write(file, data, sizeof(data)), (ssize_t)sizeof(data));
	int c, s;
	tcp_pair(AF_INET, &c, &s);
	pid_t pid = h_fork();
	if (pid == 0) {
		off_t off = 0;
		size_t left = sizeof(data);
		while (left > 0) {
			ssize_t n = sendfile(c, file, &off, left);
			EXPECT_GT(n, 0);
			left -= n;
		}
		EXPECT_EQ(off, (off_t)sizeof(data));
		EXPECT_OK(shutdown(c, SHUT_WR));
		h_exit(0);
	}
	close(c);
	/* The server splices what arrives into a pipe and reads it back. */
	int p[2];
	EXPECT_OK(pipe(p));
	static char got[sizeof(data)];
	size_t have = 0;
	for (;;) {
		ssize_t n = splice(s, NULL, p[1], NULL, 65536, 0);
		EXPECT_GE(n, 0);
		if (n == 0)
			break;
		while (n > 0) {
			ssize_t r = read(p[0], got + have, n);
			EXPECT_GT(r, 0);
			have += r;
			n -= r;
		}
	}
	EXPECT_EQ(have, sizeof(data));
	EXPECT_TRUE(memcmp(got, data, sizeof(data)) == 0);
	EXPECT_EQ(h_wait_exit(pid), 0);
	close(s);
	close(file);
}

/* Connections made and closed at once by several processes: every echo comes
 * back whole, none is lost or stuck, and the clients' ports (in TIME_WAIT
 * after their close) do not run out. */
TEST(tcp, connection_churn)
{
	inet_lo_up();
	h_set_timeout(120);
	enum { CLIENTS = 4, ROUNDS = 50, SIZE = 1000 };
	int port;
	int l = inet_bound(AF_INET, SOCK_STREAM, 64, &port);
	pid_t pids[CLIENTS];
	for (int k = 0; k < CLIENTS; k++) {
		pids[k] = h_fork();
		if (pids[k] == 0) {
			close(l);
			char out[SIZE], in[SIZE];
			for (int r = 0; r < ROUNDS; r++) {
				for (int i = 0; i < SIZE; i++)
					out[i] = (char)(k * 31 + r * 7 + i);
				int c = inet_connect(AF_INET, port);
				EXPECT_EQ(write(c, out, SIZE), SIZE);
				EXPECT_EQ(recv(c, in, SIZE, MSG_WAITALL), SIZE);
				EXPECT_TRUE(memcmp(in, out, SIZE) == 0);
				close(c);
			}
			h_exit(0);
		}
	}
	char buf[SIZE];
	for (int n = 0; n < CLIENTS * ROUNDS; n++) {
		int s = EXPECT_OK(accept(l, NULL, NULL));
		EXPECT_EQ(recv(s, buf, SIZE, MSG_WAITALL), SIZE);
		EXPECT_EQ(write(s, buf, SIZE), SIZE);
		/* The client closes first. */
		EXPECT_EQ(read(s, buf, 1), 0);
		close(s);
	}
	for (int k = 0; k < CLIENTS; k++)
		EXPECT_EQ(h_wait_exit(pids[k]), 0);
	close(l);
}
