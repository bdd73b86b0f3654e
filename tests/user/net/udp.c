/*
 * Suite udp: UDP over loopback, IPv4 and IPv6 (net/ipv4/udp.c, net/ipv6/udp.c,
 * ip4_datagram_connect; udp(7)): sendto/recvfrom with addresses, connected
 * sockets (send without an address, EDESTADDRREQ without one, AF_UNSPEC to
 * dissolve, ECONNREFUSED from a closed port), MSG_PEEK, MSG_TRUNC in flags
 * and as a request, zero-length datagrams, EMSGSIZE, port 0 (EINVAL), bind
 * conflicts and SO_REUSEADDR, v4-mapped senders on IPv6 sockets, shutdown,
 * SIOCINQ, EOPNOTSUPP for listen/accept, /proc/net/udp.
 */
#include "net/inet.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif

static int wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 5000);
}

TEST(udp, sendto_recvfrom)
{
	inet_lo_up();
	int port;
	int r = inet_bound(AF_INET, SOCK_DGRAM, 0, &port);
	int s = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_storage to;
	socklen_t tolen = inet_loopback(AF_INET, port, &to);
	EXPECT_EQ(sendto(s, "ping", 4, 0, (struct sockaddr *)&to, tolen), 4);
	/* The sender was bound to an ephemeral port on the way. */
	int sport = inet_port_of(s);
	EXPECT_GE(sport, 32768);
	EXPECT_EQ(wait_readable(r), 1);
	int n = -1;
	EXPECT_OK(ioctl(r, SIOCINQ, &n));
	EXPECT_EQ(n, 4);
	char buf[16];
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	EXPECT_EQ(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), 4);
	EXPECT_MEMEQ(buf, "ping", 4);
	EXPECT_EQ(len, sizeof(from));
	EXPECT_EQ(from.sin_family, AF_INET);
	EXPECT_EQ(ntohs(from.sin_port), sport);
	EXPECT_EQ(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	EXPECT_ERRNO(recv(r, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* Reply to the address received. */
	EXPECT_EQ(sendto(r, "pong", 4, 0, (struct sockaddr *)&from, len), 4);
	EXPECT_EQ(wait_readable(s), 1);
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), 4);
	EXPECT_MEMEQ(buf, "pong", 4);
	/* Errors of the address. */
	struct sockaddr_in bad = {.sin_family = AF_INET};
	bad.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	EXPECT_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&bad, sizeof(bad)), EINVAL);
	bad.sin_port = htons(9);
	EXPECT_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&bad, sizeof(bad) - 1), EINVAL);
	bad.sin_family = AF_INET6;
	EXPECT_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&bad, sizeof(bad)), EAFNOSUPPORT);
	bad.sin_family = AF_INET;
	bad.sin_addr.s_addr = inet_addr("192.0.2.1");
	EXPECT_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&bad, sizeof(bad)), ENETUNREACH);
	EXPECT_ERRNO(send(s, "x", 1, 0), EDESTADDRREQ);
	static char big[65536];
	EXPECT_ERRNO(sendto(s, big, 65508, 0, (struct sockaddr *)&to, tolen), EMSGSIZE);
	EXPECT_EQ(sendto(s, big, 65507, 0, (struct sockaddr *)&to, tolen), 65507);
	EXPECT_EQ(wait_readable(r), 1);
	EXPECT_EQ(recv(r, big, sizeof(big), 0), 65507);
	close(s);
	close(r);
}

TEST(udp, peek_trunc_empty)
{
	inet_lo_up();
	int port;
	int r = inet_bound(AF_INET, SOCK_DGRAM, 0, &port);
	int s = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_storage to;
	socklen_t tolen = inet_loopback(AF_INET, port, &to);
	EXPECT_OK(connect(s, (struct sockaddr *)&to, tolen));
	EXPECT_EQ(send(s, "0123456789", 10, 0), 10);
	EXPECT_EQ(send(s, "", 0, 0), 0);
	EXPECT_EQ(wait_readable(r), 1);
	char buf[16];
	EXPECT_EQ(recv(r, buf, 4, MSG_PEEK), 4);
	EXPECT_MEMEQ(buf, "0123", 4);
	/* MSG_TRUNC asks for the real length. */
	EXPECT_EQ(recv(r, buf, 4, MSG_PEEK | MSG_TRUNC), 10);
	struct iovec iov = {.iov_base = buf, .iov_len = 4};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	EXPECT_EQ(recvmsg(r, &msg, 0), 4);
	EXPECT_EQX(msg.msg_flags, MSG_TRUNC);
	/* The rest of that datagram is gone; then the empty one. */
	EXPECT_EQ(recv(r, buf, sizeof(buf), MSG_DONTWAIT), 0);
	EXPECT_ERRNO(recv(r, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(s);
	close(r);
}

TEST(udp, connected)
{
	inet_lo_up();
	int port, other_port;
	int r = inet_bound(AF_INET, SOCK_DGRAM, 0, &port);
	int other = inet_bound(AF_INET, SOCK_DGRAM, 0, &other_port);
	int s = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_storage to;
	socklen_t tolen = inet_loopback(AF_INET, port, &to);
	EXPECT_ERRNO(shutdown(s, SHUT_RD), ENOTCONN);
	EXPECT_OK(connect(r, (struct sockaddr *)&to, tolen)); /* to itself, for now */
	tolen = inet_loopback(AF_INET, port, &to);
	EXPECT_OK(connect(s, (struct sockaddr *)&to, tolen));
	struct sockaddr_in name;
	socklen_t len = sizeof(name);
	EXPECT_OK(getsockname(s, (struct sockaddr *)&name, &len));
	EXPECT_EQ(name.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	EXPECT_OK(getpeername(s, (struct sockaddr *)&name, &len));
	EXPECT_EQ(ntohs(name.sin_port), port);
	/* r is connected to itself: a datagram from s is not for it, and the
	 * port unreachable comes back to s as ECONNREFUSED. */
	EXPECT_EQ(send(s, "a", 1, 0), 1);
	char buf[8];
	EXPECT_ERRNO(recv(r, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	struct pollfd p = {.fd = s, .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_TRUE(p.revents & POLLERR);
	int err = 0;
	socklen_t errlen = sizeof(err);
	EXPECT_OK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &errlen));
	EXPECT_EQ(err, ECONNREFUSED);
	/* AF_UNSPEC dissolves the association. */
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	EXPECT_OK(connect(r, &unspec, sizeof(unspec)));
	EXPECT_ERRNO(getpeername(r, (struct sockaddr *)&name, &len), ENOTCONN);
	/* Bound to port 0 (an ephemeral one): the disconnect gave it back. */
	EXPECT_EQ(inet_port_of(r), 0);
	/* A datagram to another port is allowed on a connected socket. */
	struct sockaddr_storage to2;
	socklen_t len2 = inet_loopback(AF_INET, other_port, &to2);
	EXPECT_EQ(sendto(s, "c", 1, 0, (struct sockaddr *)&to2, len2), 1);
	EXPECT_EQ(wait_readable(other), 1);
	EXPECT_EQ(recv(other, buf, sizeof(buf), 0), 1);
	EXPECT_OK(shutdown(s, SHUT_RDWR));
	EXPECT_ERRNO(send(s, "d", 1, MSG_NOSIGNAL), EPIPE);
	close(s);
	close(r);
	close(other);
}

TEST(udp, connection_refused)
{
	inet_lo_up();
	int port;
	int gone = inet_bound(AF_INET, SOCK_DGRAM, 0, &port);
	close(gone);
	int s = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_storage to;
	socklen_t tolen = inet_loopback(AF_INET, port, &to);
	/* Unconnected: nothing is heard of the port unreachable. */
	EXPECT_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&to, tolen), 1);
	struct pollfd p = {.fd = s, .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 100), 0);
	EXPECT_OK(connect(s, (struct sockaddr *)&to, tolen));
	EXPECT_EQ(send(s, "x", 1, 0), 1);
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_EQX(p.revents, POLLERR);
	char buf[4];
	EXPECT_ERRNO(recv(s, buf, sizeof(buf), 0), ECONNREFUSED);
	EXPECT_ERRNO(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(s);
}

TEST(udp, bind_rules)
{
	inet_lo_up();
	int port;
	int a = inet_bound(AF_INET, SOCK_DGRAM, 0, &port);
	int b = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_storage ss;
	socklen_t len = inet_loopback(AF_INET, port, &ss);
	EXPECT_ERRNO(bind(b, (struct sockaddr *)&ss, len), EADDRINUSE);
	close(a);
	int one = 1;
	a = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_OK(setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_OK(setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_OK(bind(a, (struct sockaddr *)&ss, len));
	EXPECT_OK(bind(b, (struct sockaddr *)&ss, len));
	EXPECT_ERRNO(listen(a, 1), EOPNOTSUPP);
	EXPECT_ERRNO(accept(a, NULL, NULL), EOPNOTSUPP);
	char text[8192];
	h_read_file("/proc/net/udp", text, sizeof(text));
	EXPECT_TRUE(strncmp(text, "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops", 115) == 0);
	char want[40];
	snprintf(want, sizeof(want), ": 0100007F:%04X 00000000:0000 07 ", port);
	EXPECT_TRUE(strstr(text, want) != NULL);
	close(a);
	close(b);
}

TEST(udp, ipv6_and_mapped)
{
	inet_lo_up();
	int port;
	int r = EXPECT_OK(socket(AF_INET6, SOCK_DGRAM, 0));
	struct sockaddr_in6 any6 = {.sin6_family = AF_INET6};
	EXPECT_OK(bind(r, (struct sockaddr *)&any6, sizeof(any6)));
	port = inet_port_of(r);
	int s4 = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_storage to;
	socklen_t tolen = inet_loopback(AF_INET, port, &to);
	EXPECT_EQ(sendto(s4, "four", 4, 0, (struct sockaddr *)&to, tolen), 4);
	EXPECT_EQ(wait_readable(r), 1);
	struct sockaddr_in6 from;
	socklen_t len = sizeof(from);
	char buf[8];
	EXPECT_EQ(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), 4);
	EXPECT_EQ(len, sizeof(from));
	EXPECT_EQ(from.sin6_family, AF_INET6);
	EXPECT_TRUE(IN6_IS_ADDR_V4MAPPED(&from.sin6_addr));
	EXPECT_EQ(ntohs(from.sin6_port), inet_port_of(s4));
	int s6 = EXPECT_OK(socket(AF_INET6, SOCK_DGRAM, 0));
	tolen = inet_loopback(AF_INET6, port, &to);
	EXPECT_EQ(sendto(s6, "six", 3, 0, (struct sockaddr *)&to, tolen), 3);
	EXPECT_EQ(wait_readable(r), 1);
	len = sizeof(from);
	EXPECT_EQ(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), 3);
	EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&from.sin6_addr));
	/* A v4-mapped destination from an IPv6 socket is IPv4 traffic. */
	struct sockaddr_in6 mapped = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	mapped.sin6_addr.s6_addr[10] = 0xff;
	mapped.sin6_addr.s6_addr[11] = 0xff;
	mapped.sin6_addr.s6_addr[12] = 127;
	mapped.sin6_addr.s6_addr[15] = 1;
	EXPECT_EQ(sendto(s6, "m", 1, 0, (struct sockaddr *)&mapped, sizeof(mapped)), 1);
	EXPECT_EQ(wait_readable(r), 1);
	EXPECT_EQ(recv(r, buf, sizeof(buf), 0), 1);
	int one = 1;
	int only = EXPECT_OK(socket(AF_INET6, SOCK_DGRAM, 0));
	EXPECT_OK(setsockopt(only, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)));
	EXPECT_ERRNO(sendto(only, "m", 1, 0, (struct sockaddr *)&mapped, sizeof(mapped)), ENETUNREACH);
	close(only);
	close(s4);
	close(s6);
	close(r);
}
