/*
 * Suite netdev: network interfaces as netdevice(7) shows them (net/core/
 * dev_ioctl.c, devinet_ioctl, dev_ifconf): the loopback interface's index,
 * name, flags, MTU, hardware address and IPv4 address and netmask through
 * SIOCGIF*, SIOCGIFCONF with and without a buffer, ENODEV for unknown names
 * and indexes, EPERM for SIOCSIFFLAGS without CAP_NET_ADMIN, if_nametoindex
 * and if_indextoname, and /proc/net/dev.
 */
#include "net/inet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static void ifreq_named(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	strcpy(ifr->ifr_name, name);
}

TEST(netdev, loopback_ioctls)
{
	inet_lo_up();
	int fd = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct ifreq ifr;
	ifreq_named(&ifr, "lo");
	EXPECT_OK(ioctl(fd, SIOCGIFINDEX, &ifr));
	EXPECT_EQ(ifr.ifr_ifindex, 1);
	ifreq_named(&ifr, "");
	ifr.ifr_ifindex = 1;
	EXPECT_OK(ioctl(fd, SIOCGIFNAME, &ifr));
	EXPECT_STREQ(ifr.ifr_name, "lo");
	ifreq_named(&ifr, "lo");
	EXPECT_OK(ioctl(fd, SIOCGIFFLAGS, &ifr));
	EXPECT_EQX(ifr.ifr_flags & 0xffff, IFF_UP | IFF_LOOPBACK | IFF_RUNNING);
	EXPECT_OK(ioctl(fd, SIOCGIFMTU, &ifr));
	EXPECT_EQ(ifr.ifr_mtu, 65536);
	EXPECT_OK(ioctl(fd, SIOCGIFHWADDR, &ifr));
	EXPECT_EQ(ifr.ifr_hwaddr.sa_family, 772); /* ARPHRD_LOOPBACK */
	static const char zeros[6];
	EXPECT_MEMEQ(ifr.ifr_hwaddr.sa_data, zeros, 6);
	EXPECT_OK(ioctl(fd, SIOCGIFADDR, &ifr));
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	EXPECT_EQ(sin->sin_family, AF_INET);
	EXPECT_EQ(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	EXPECT_OK(ioctl(fd, SIOCGIFNETMASK, &ifr));
	EXPECT_EQ(sin->sin_addr.s_addr, htonl(0xff000000));
	ifreq_named(&ifr, "nosuch0");
	EXPECT_ERRNO(ioctl(fd, SIOCGIFFLAGS, &ifr), ENODEV);
	EXPECT_ERRNO(ioctl(fd, SIOCGIFINDEX, &ifr), ENODEV);
	ifr.ifr_ifindex = 999;
	EXPECT_ERRNO(ioctl(fd, SIOCGIFNAME, &ifr), ENODEV);
	close(fd);
	/* Every socket answers the device ioctls, AF_UNIX too. */
	fd = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	ifreq_named(&ifr, "lo");
	EXPECT_OK(ioctl(fd, SIOCGIFINDEX, &ifr));
	EXPECT_EQ(ifr.ifr_ifindex, 1);
	close(fd);
	EXPECT_EQ(if_nametoindex("lo"), 1);
	EXPECT_EQ(if_nametoindex("nosuch0"), 0);
	char name[IF_NAMESIZE];
	EXPECT_TRUE(if_indextoname(1, name) != NULL);
	EXPECT_STREQ(name, "lo");
}

TEST(netdev, ifconf)
{
	inet_lo_up();
	int fd = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct ifconf ifc = {.ifc_len = 0, .ifc_buf = NULL};
	EXPECT_OK(ioctl(fd, SIOCGIFCONF, &ifc));
	EXPECT_GE(ifc.ifc_len, (int)sizeof(struct ifreq));
	EXPECT_EQ(ifc.ifc_len % sizeof(struct ifreq), 0);
	struct ifreq reqs[8];
	ifc.ifc_len = sizeof(reqs);
	ifc.ifc_req = reqs;
	EXPECT_OK(ioctl(fd, SIOCGIFCONF, &ifc));
	int found = 0;
	for (size_t i = 0; i < ifc.ifc_len / sizeof(struct ifreq); i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&reqs[i].ifr_addr;
		if (strcmp(reqs[i].ifr_name, "lo") == 0 && sin->sin_family == AF_INET &&
		    sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
			found = 1;
	}
	EXPECT_TRUE(found);
	/* Room for less than one entry: nothing written. */
	ifc.ifc_len = sizeof(struct ifreq) - 1;
	EXPECT_OK(ioctl(fd, SIOCGIFCONF, &ifc));
	EXPECT_EQ(ifc.ifc_len, 0);
	close(fd);
}

static void set_flags_unprivileged(void *arg)
{
	(void)arg;
	EXPECT_OK(setuid(65534));
	int fd = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct ifreq ifr;
	ifreq_named(&ifr, "lo");
	EXPECT_OK(ioctl(fd, SIOCGIFFLAGS, &ifr));
	EXPECT_ERRNO(ioctl(fd, SIOCSIFFLAGS, &ifr), EPERM);
	close(fd);
}

TEST(netdev, set_flags_needs_privilege)
{
	inet_lo_up();
	EXPECT_CHILD_OK(set_flags_unprivileged, NULL);
}

TEST(netdev, proc_net_dev)
{
	inet_lo_up();
	char text[4096];
	h_read_file("/proc/net/dev", text, sizeof(text));
	const char *header = "Inter-|   Receive                                                |  Transmit\n"
			     " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";
	EXPECT_TRUE(strncmp(text, header, strlen(header)) == 0);
	char *lo = strstr(text, "    lo:");
	EXPECT_TRUE(lo != NULL);
	unsigned long long v[16];
	EXPECT_EQ(sscanf(lo + 7, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
			 &v[11], &v[12], &v[13], &v[14], &v[15]),
		  16);
	/* Loopback: what is sent is received. */
	EXPECT_EQ(v[0], v[8]);
	char self[4096];
	h_read_file("/proc/self/net/dev", self, sizeof(self));
	EXPECT_TRUE(strncmp(self, header, strlen(header)) == 0);
}
