/*
 * Helpers of the AF_INET/AF_INET6 suites (tcp, udp, netdev): loopback
 * addresses, listeners on ephemeral ports, and bringing `lo` up where the
 * kernel left it down (Linux does, without an init system: only user space's
 * `ip link set lo up` gives it 127.0.0.1/8 and ::1).
 */
#ifndef FERRUX_TESTS_INET_H
#define FERRUX_TESTS_INET_H

#include "harness.h"
#include "proc/proc.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Mounts /proc if needed and brings lo up if it is down (as root), so
 * 127.0.0.1 and ::1 exist. */
static inline void inet_lo_up(void)
{
	proc_ready();
	int fd = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	EXPECT_OK(ioctl(fd, SIOCGIFFLAGS, &ifr));
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		EXPECT_OK(ioctl(fd, SIOCSIFFLAGS, &ifr));
	}
	close(fd);
}

/* 127.0.0.1:port or [::1]:port (host-order port) in *ss; returns its length. */
static inline socklen_t inet_loopback(int family, int port,
				      struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = in6addr_loopback;
	return sizeof(*sin6);
}

/* The port (host order) a socket is bound to. */
static inline int inet_port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	EXPECT_OK(getsockname(fd, (struct sockaddr *)&ss, &len));
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A socket of `type` bound to the loopback address on an ephemeral port,
 * listening with `backlog` when it is a stream socket; *port gets the port. */
static inline int inet_bound(int family, int type, int backlog, int *port)
{
	int fd = EXPECT_OK(socket(family, type, 0));
	struct sockaddr_storage ss;
	socklen_t len = inet_loopback(family, 0, &ss);
	EXPECT_OK(bind(fd, (struct sockaddr *)&ss, len));
	if ((type & 0xf) == SOCK_STREAM)
		EXPECT_OK(listen(fd, backlog));
	*port = inet_port_of(fd);
	return fd;
}

/* A TCP socket connected (blocking) to loopback:port. */
static inline int inet_connect(int family, int port)
{
	int fd = EXPECT_OK(socket(family, SOCK_STREAM, 0));
	struct sockaddr_storage ss;
	socklen_t len = inet_loopback(family, port, &ss);
	EXPECT_OK(connect(fd, (struct sockaddr *)&ss, len));
	return fd;
}

#endif
