/*
 * Suite netroute: the IPv4 routing table and interface addresses through the
 * old ioctls busybox ifconfig and route use (net/ipv4/fib_frontend.c's
 * ip_rt_ioctl and rtentry_to_fib_config, net/ipv4/devinet.c's devinet_ioctl;
 * route(8), netdevice(7)): SIOCADDRT and SIOCDELRT on routes through lo,
 * seen in /proc/net/route (the main table), reject routes (EHOSTUNREACH for a
 * connect), the errors (EEXIST, ESRCH, EINVAL for a bad mask or a gateway flag
 * without a gateway, EAFNOSUPPORT, ENETUNREACH for an unreachable gateway,
 * EPERM without CAP_NET_ADMIN), and SIOCSIFADDR/SIOCSIFNETMASK/SIOCSIFBRDADDR
 * on lo (class-based prefix, mask with holes, multicast address, restored
 * afterwards). Everything that changes the machine runs only as init (in the
 * test guests), never on a host.
 */
#include "net/inet.h"

#include <errno.h>
#include <net/route.h>
#include <stdio.h>
#include <stdlib.h>

static void sin_set(struct sockaddr *sa, const char *addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
}

static void rt_fill(struct rtentry *rt, const char *dst, const char *mask,
		    const char *gw, unsigned short flags, char *dev)
{
	memset(rt, 0, sizeof(*rt));
	sin_set(&rt->rt_dst, dst);
	sin_set(&rt->rt_genmask, mask);
	if (gw)
		sin_set(&rt->rt_gateway, gw);
	rt->rt_flags = flags;
	rt->rt_dev = dev;
}

/* Whether /proc/net/route has a line starting with `line`. */
static int route_has(const char *line)
{
	static char text[16384];
	h_read_file("/proc/net/route", text, sizeof(text));
	for (char *at = text; at && *at; at = strchr(at, '\n'), at = at ? at + 1 : NULL) {
		if (strncmp(at, line, strlen(line)) == 0)
			return 1;
	}
	return 0;
}

TEST(netroute, route_ioctls_through_lo)
{
	inet_lo_up();
	if (!h_is_init())
		return;
	int fd = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	char lo[] = "lo";
	struct rtentry rt;
	rt_fill(&rt, "10.77.0.0", "255.255.0.0", NULL, RTF_UP, lo);
	EXPECT_OK(ioctl(fd, SIOCADDRT, &rt));
	EXPECT_ERRNO(ioctl(fd, SIOCADDRT, &rt), EEXIST);
	EXPECT_TRUE(route_has("lo\t00004D0A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0"));
	/* A metric of n is priority n - 1; a /32 is a host route. */
	rt_fill(&rt, "10.77.1.1", "255.255.255.255", NULL, RTF_UP | RTF_HOST, lo);
	rt.rt_metric = 6;
	EXPECT_OK(ioctl(fd, SIOCADDRT, &rt));
	EXPECT_TRUE(route_has("lo\t01014D0A\t00000000\t0005\t0\t0\t5\tFFFFFFFF\t0\t0\t0"));
	EXPECT_OK(ioctl(fd, SIOCDELRT, &rt));
	EXPECT_ERRNO(ioctl(fd, SIOCDELRT, &rt), ESRCH);
	EXPECT_TRUE(!route_has("lo\t01014D0A"));
	/* A gateway on lo's route: reachable, so the route is added. */
	rt_fill(&rt, "10.78.0.0", "255.255.0.0", "10.77.0.9", RTF_UP | RTF_GATEWAY, NULL);
	EXPECT_OK(ioctl(fd, SIOCADDRT, &rt));
	EXPECT_TRUE(route_has("lo\t00004E0A\t09004D0A\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0"));
	EXPECT_OK(ioctl(fd, SIOCDELRT, &rt));
	rt_fill(&rt, "10.77.0.0", "255.255.0.0", NULL, RTF_UP, lo);
	EXPECT_OK(ioctl(fd, SIOCDELRT, &rt));
	EXPECT_TRUE(!route_has("lo\t00004D0A"));
	/* A reject route: no device, RTF_REJECT in /proc/net/route, and a connect
	 * to it fails with the route's errno. */
	rt_fill(&rt, "10.79.0.1", "255.255.255.255", NULL, RTF_UP | RTF_HOST | RTF_REJECT, lo);
	EXPECT_OK(ioctl(fd, SIOCADDRT, &rt));
	EXPECT_TRUE(route_has("*\t01004F0A\t00000000\t0205\t0\t0\t0\tFFFFFFFF\t0\t0\t0"));
	struct sockaddr_in to;
	sin_set((struct sockaddr *)&to, "10.79.0.1");
	to.sin_port = htons(9);
	int udp = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_ERRNO(connect(udp, (struct sockaddr *)&to, sizeof(to)), EHOSTUNREACH);
	close(udp);
	EXPECT_OK(ioctl(fd, SIOCDELRT, &rt));
	close(fd);
}

TEST(netroute, route_ioctl_errors)
{
	inet_lo_up();
	int fd = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	char lo[] = "lo", nosuch[] = "nosuch0";
	struct rtentry rt;
	/* Host bits in the destination, a mask with holes. */
	rt_fill(&rt, "10.77.0.1", "255.255.0.0", NULL, RTF_UP, lo);
	EXPECT_ERRNO(ioctl(fd, SIOCADDRT, &rt), EINVAL);
	rt_fill(&rt, "10.0.0.0", "255.0.255.0", NULL, RTF_UP, lo);
	EXPECT_ERRNO(ioctl(fd, SIOCADDRT, &rt), EINVAL);
	/* RTF_GATEWAY without a gateway. */
	rt_fill(&rt, "10.77.0.0", "255.255.0.0", NULL, RTF_UP | RTF_GATEWAY, lo);
	EXPECT_ERRNO(ioctl(fd, SIOCADDRT, &rt), EINVAL);
	/* Not AF_INET. */
	rt_fill(&rt, "10.77.0.0", "255.255.0.0", NULL, RTF_UP, lo);
	rt.rt_dst.sa_family = AF_INET6;
	EXPECT_ERRNO(ioctl(fd, SIOCADDRT, &rt), EAFNOSUPPORT);
	rt_fill(&rt, "10.77.0.0", "255.255.0.0", NULL, RTF_UP, lo);
	rt.rt_genmask.sa_family = AF_UNIX;
	EXPECT_ERRNO(ioctl(fd, SIOCADDRT, &rt), EAFNOSUPPORT);
	/* No such device; a gateway no route reaches. */
	rt_fill(&rt, "10.77.0.0", "255.255.0.0", NULL, RTF_UP, nosuch);
	EXPECT_ERRNO(ioctl(fd, SIOCADDRT, &rt), ENODEV);
	rt_fill(&rt, "10.77.0.0", "255.255.0.0", "10.99.99.1", RTF_UP | RTF_GATEWAY, NULL);
	if (h_is_init())
		EXPECT_ERRNO(ioctl(fd, SIOCADDRT, &rt), ENETUNREACH);
	/* Nothing to delete. */
	rt_fill(&rt, "10.76.0.0", "255.255.0.0", NULL, RTF_UP, lo);
	EXPECT_ERRNO(ioctl(fd, SIOCDELRT, &rt), ESRCH);
	rt.rt_dev = (char *)8;
	EXPECT_ERRNO(ioctl(fd, SIOCDELRT, &rt), EFAULT);
	EXPECT_ERRNO(ioctl(fd, SIOCADDRT, (void *)8), EFAULT);
	close(fd);
}

static void route_unprivileged(void *arg)
{
	(void)arg;
	EXPECT_OK(setuid(65534));
	int fd = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct rtentry rt;
	char lo[] = "lo";
	rt_fill(&rt, "10.77.0.0", "255.255.0.0", NULL, RTF_UP, lo);
	EXPECT_ERRNO(ioctl(fd, SIOCADDRT, &rt), EPERM);
	EXPECT_ERRNO(ioctl(fd, SIOCDELRT, &rt), EPERM);
	/* The structure is read before the capability is checked. */
	EXPECT_ERRNO(ioctl(fd, SIOCADDRT, (void *)8), EFAULT);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	sin_set(&ifr.ifr_addr, "127.0.0.1");
	EXPECT_ERRNO(ioctl(fd, SIOCSIFADDR, &ifr), EPERM);
	EXPECT_ERRNO(ioctl(fd, SIOCSIFNETMASK, &ifr), EPERM);
	EXPECT_ERRNO(ioctl(fd, SIOCSIFBRDADDR, &ifr), EPERM);
	/* The getters need nothing. */
	EXPECT_OK(ioctl(fd, SIOCGIFADDR, &ifr));
	close(fd);
}

TEST(netroute, needs_net_admin)
{
	inet_lo_up();
	EXPECT_CHILD_OK(route_unprivileged, NULL);
}

static in_addr_t get_v4(int fd, unsigned long command, const char *name)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, command, &ifr) < 0)
		return (in_addr_t)-errno;
	return ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
}

static int set_v4(int fd, unsigned long command, const char *name, const char *addr)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	sin_set(&ifr.ifr_addr, addr);
	return ioctl(fd, command, &ifr);
}

TEST(netroute, address_ioctls_on_lo)
{
	inet_lo_up();
	int fd = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "nosuch0");
	sin_set(&ifr.ifr_addr, "10.1.1.1");
	EXPECT_ERRNO(ioctl(fd, SIOCSIFADDR, &ifr), ENODEV);
	if (!h_is_init()) {
		close(fd);
		return;
	}
	/* The same address again: nothing changes. */
	EXPECT_OK(set_v4(fd, SIOCSIFADDR, "lo", "127.0.0.1"));
	EXPECT_EQX(get_v4(fd, SIOCGIFADDR, "lo"), htonl(INADDR_LOOPBACK));
	/* Not AF_INET; a multicast address. */
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	sin_set(&ifr.ifr_addr, "127.0.0.1");
	ifr.ifr_addr.sa_family = AF_INET6;
	EXPECT_ERRNO(ioctl(fd, SIOCSIFADDR, &ifr), EINVAL);
	EXPECT_ERRNO(ioctl(fd, SIOCSIFNETMASK, &ifr), EINVAL);
	EXPECT_ERRNO(set_v4(fd, SIOCSIFADDR, "lo", "224.0.0.1"), EINVAL);
	/* A mask with holes. */
	EXPECT_ERRNO(set_v4(fd, SIOCSIFNETMASK, "lo", "255.0.255.0"), EINVAL);
	/* Netmask and broadcast changes, read back, then restored. */
	EXPECT_OK(set_v4(fd, SIOCSIFNETMASK, "lo", "255.255.0.0"));
	EXPECT_EQX(get_v4(fd, SIOCGIFNETMASK, "lo"), htonl(0xffff0000));
	EXPECT_EQX(get_v4(fd, SIOCGIFADDR, "lo"), htonl(INADDR_LOOPBACK));
	EXPECT_EQX(get_v4(fd, SIOCGIFBRDADDR, "lo"), 0);
	EXPECT_OK(set_v4(fd, SIOCSIFBRDADDR, "lo", "127.0.255.255"));
	EXPECT_EQX(get_v4(fd, SIOCGIFBRDADDR, "lo"), inet_addr("127.0.255.255"));
	EXPECT_OK(set_v4(fd, SIOCSIFBRDADDR, "lo", "0.0.0.0"));
	EXPECT_OK(set_v4(fd, SIOCSIFNETMASK, "lo", "255.0.0.0"));
	EXPECT_EQX(get_v4(fd, SIOCGIFNETMASK, "lo"), htonl(0xff000000));
	/* A new address takes its class's prefix (127/8: class A). */
	EXPECT_OK(set_v4(fd, SIOCSIFADDR, "lo", "127.0.0.2"));
	EXPECT_EQX(get_v4(fd, SIOCGIFADDR, "lo"), inet_addr("127.0.0.2"));
	EXPECT_EQX(get_v4(fd, SIOCGIFNETMASK, "lo"), htonl(0xff000000));
	EXPECT_OK(set_v4(fd, SIOCSIFADDR, "lo", "127.0.0.1"));
	EXPECT_EQX(get_v4(fd, SIOCGIFADDR, "lo"), htonl(INADDR_LOOPBACK));
	/* Loopback still works. */
	int a = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_storage ss;
	socklen_t len = inet_loopback(AF_INET, 0, &ss);
	EXPECT_OK(bind(a, (struct sockaddr *)&ss, len));
	EXPECT_OK(getsockname(a, (struct sockaddr *)&ss, &len));
	EXPECT_OK(sendto(a, "x", 1, 0, (struct sockaddr *)&ss, len));
	char byte;
	EXPECT_EQ(recv(a, &byte, 1, 0), 1);
	close(a);
	close(fd);
}
