/*
 * Suite netlink: AF_NETLINK sockets as netlink(7) and rtnetlink(7) describe
 * them (net/netlink/af_netlink.c, net/core/rtnetlink.c, net/ipv4/devinet.c,
 * net/ipv4/fib_frontend.c, lib/kobject_uevent.c): creation errors, port ids
 * (autobind to the process id, EADDRINUSE, EINVAL on a rebind), dumps of
 * links and addresses ending with NLMSG_DONE in a datagram of its own,
 * MSG_PEEK|MSG_TRUNC to size a datagram, acknowledgements (whole request on
 * error, NETLINK_CAP_ACK, NETLINK_EXT_ACK offsets), addresses and routes
 * added and deleted with their errno, multicast notifications, ENOBUFS when
 * the receive buffer overruns, user-to-user datagrams, /proc/net/netlink,
 * uevents of a loop device with their SEQNUM, and hostile messages.
 */
#include "net/inet.h"
#include "net/nlmsg.h"
#include <net/route.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <mqueue.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>


static int nl_open(int protocol)
{
	return EXPECT_OK(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
}

static unsigned nl_portid(int fd)
{
	struct sockaddr_nl sa;
	socklen_t len = sizeof(sa);
	EXPECT_OK(getsockname(fd, (struct sockaddr *)&sa, &len));
	EXPECT_EQ(len, sizeof(sa));
	EXPECT_EQ(sa.nl_family, AF_NETLINK);
	return sa.nl_pid;
}

struct req {
	struct nlmsghdr h;
	char body[256];
};

/* Starts a request of `type` with a fixed header of `len` bytes. */
static void *req_init(struct req *r, int type, int flags, unsigned seq,
		      size_t len)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(len);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | flags;
	r->h.nlmsg_seq = seq;
	return NLMSG_DATA(&r->h);
}

static void req_attr(struct req *r, int type, const void *data, size_t len)
{
	struct rtattr *rta =
		(struct rtattr *)((char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static void nl_send(int fd, const void *msg, size_t len)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	EXPECT_EQ(sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)),
		  (ssize_t)len);
}

static char buf[65536];

/* Receives one datagram (sized first with MSG_PEEK|MSG_TRUNC). */
static ssize_t nl_recv(int fd)
{
	ssize_t want = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	if (want < 0)
		return -1;
	EXPECT_LE(want, (ssize_t)sizeof(buf));
	ssize_t got = EXPECT_OK(recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(got, want);
	return got;
}

/* Receives the ack of `seq`; returns its error (0 or negative). */
static int nl_ack(int fd, unsigned seq, size_t *len)
{
	ssize_t got = nl_recv(fd);
	EXPECT_GE(got, (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	EXPECT_EQ(h->nlmsg_type, NLMSG_ERROR);
	EXPECT_EQ(h->nlmsg_seq, seq);
	if (len)
		*len = h->nlmsg_len;
	return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
}

/* Sends a dump request and walks the answer: calls `each` for every message
 * of `type`; returns the number of datagrams that carried messages. */
static int nl_dump(int fd, int type, const void *hdr, size_t hdrlen,
		   void (*each)(struct nlmsghdr *, void *), void *arg)
{
	struct req r;
	void *body = req_init(&r, type, NLM_F_DUMP, 77, hdrlen);
	memcpy(body, hdr, hdrlen);
	nl_send(fd, &r, r.h.nlmsg_len);
	int datagrams = 0;
	for (;;) {
		ssize_t got = nl_recv(fd);
		EXPECT_GT(got, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		if (h->nlmsg_type == NLMSG_DONE) {
			/* NLMSG_DONE comes alone, with status 0. */
			EXPECT_EQ(got, (ssize_t)NLMSG_LENGTH(sizeof(int)));
			EXPECT_EQ(*(int *)NLMSG_DATA(h), 0);
			EXPECT_EQX(h->nlmsg_flags, NLM_F_MULTI);
			return datagrams;
		}
		datagrams++;
		for (; NLMSG_OK(h, got); h = NLMSG_NEXT(h, got)) {
			EXPECT_EQ(h->nlmsg_seq, 77);
			EXPECT_EQ(h->nlmsg_pid, nl_portid(fd));
			EXPECT_TRUE(h->nlmsg_flags & NLM_F_MULTI);
			EXPECT_NE(h->nlmsg_type, NLMSG_DONE);
			if (h->nlmsg_type == type - 2)
				each(h, arg);
		}
	}
}

TEST(netlink, create_errors)
{
	EXPECT_ERRNO(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE),
		     ESOCKTNOSUPPORT);
	EXPECT_ERRNO(socket(AF_NETLINK, SOCK_SEQPACKET, NETLINK_ROUTE),
		     ESOCKTNOSUPPORT);
	EXPECT_ERRNO(socket(AF_NETLINK, SOCK_RAW, 32), EPROTONOSUPPORT);
	EXPECT_ERRNO(socket(AF_NETLINK, SOCK_RAW, -1), EPROTONOSUPPORT);
	int fd = EXPECT_OK(socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE));
	int value;
	socklen_t len = sizeof(value);
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &value, &len));
	EXPECT_EQ(value, AF_NETLINK);
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &len));
	EXPECT_EQ(value, SOCK_DGRAM);
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &value, &len));
	EXPECT_EQ(value, NETLINK_ROUTE);
	int pair[2];
	EXPECT_ERRNO(socketpair(AF_NETLINK, SOCK_RAW, 0, pair), EOPNOTSUPP);
	EXPECT_ERRNO(listen(fd, 1), EOPNOTSUPP);
	EXPECT_ERRNO(shutdown(fd, SHUT_RDWR), EOPNOTSUPP);
	close(fd);
}

TEST(netlink, bind_and_autobind)
{
	int a = nl_open(NETLINK_USERSOCK), b = nl_open(NETLINK_USERSOCK);
	EXPECT_EQ(nl_portid(a), 0);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	EXPECT_ERRNO(bind(a, (struct sockaddr *)&sa, sizeof(sa) - 1), EINVAL);
	sa.nl_family = AF_INET;
	EXPECT_ERRNO(bind(a, (struct sockaddr *)&sa, sizeof(sa)), EINVAL);
	sa.nl_family = AF_NETLINK;
	EXPECT_OK(bind(a, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_EQ(nl_portid(a), (unsigned)getpid());
	/* The process id is taken: a negative id from -4097 down. */
	EXPECT_OK(bind(b, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_GE(nl_portid(b), 0x80000000u);
	EXPECT_LE(nl_portid(b), (unsigned)-4097);
	/* Another id on a bound socket, and an id in use. */
	sa.nl_pid = 12345;
	EXPECT_ERRNO(bind(a, (struct sockaddr *)&sa, sizeof(sa)), EINVAL);
	int c = nl_open(NETLINK_USERSOCK);
	sa.nl_pid = getpid();
	EXPECT_ERRNO(bind(c, (struct sockaddr *)&sa, sizeof(sa)), EADDRINUSE);
	sa.nl_pid = 12345;
	EXPECT_OK(bind(c, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_EQ(nl_portid(c), 12345);
	/* Rebinding with the same id sets the groups (masked to 32 here). */
	sa.nl_groups = 0x5;
	EXPECT_OK(bind(c, (struct sockaddr *)&sa, sizeof(sa)));
	socklen_t len = sizeof(sa);
	EXPECT_OK(getsockname(c, (struct sockaddr *)&sa, &len));
	EXPECT_EQX(sa.nl_groups, 0x5);
	/* The same port id in another protocol is free. */
	int r = nl_open(NETLINK_ROUTE);
	sa.nl_groups = 0;
	EXPECT_OK(bind(r, (struct sockaddr *)&sa, sizeof(sa)));
	close(a);
	close(b);
	close(c);
	close(r);
}

static void find_lo(struct nlmsghdr *h, void *arg)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	if (ifi->ifi_index != 1)
		return;
	int *found = arg;
	int len = IFLA_PAYLOAD(h);
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME)
			EXPECT_STREQ((char *)RTA_DATA(a), "lo");
		if (a->rta_type == IFLA_MTU)
			EXPECT_EQ(*(unsigned *)RTA_DATA(a), 65536);
		if (a->rta_type == IFLA_ADDRESS)
			EXPECT_EQ(RTA_PAYLOAD(a), 6);
	}
	EXPECT_EQ(ifi->ifi_type, 772);
	EXPECT_EQX(ifi->ifi_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING),
		   IFF_UP | IFF_LOOPBACK | IFF_RUNNING);
	(*found)++;
}

TEST(netlink, link_dump)
{
	inet_lo_up();
	int fd = nl_open(NETLINK_ROUTE);
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	int found = 0;
	/* Sent unbound: the send autobinds. */
	EXPECT_EQ(nl_dump(fd, RTM_GETLINK, &ifi, sizeof(ifi), find_lo, &found),
		  1);
	EXPECT_EQ(found, 1);
	EXPECT_EQ(nl_portid(fd), (unsigned)getpid());
	/* One link by index, by name, and an unknown one. */
	struct req r;
	struct ifinfomsg *m = req_init(&r, RTM_GETLINK, 0, 5, sizeof(*m));
	m->ifi_index = 1;
	nl_send(fd, &r, r.h.nlmsg_len);
	EXPECT_GT(nl_recv(fd), 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	EXPECT_EQ(h->nlmsg_type, RTM_NEWLINK);
	EXPECT_EQ(h->nlmsg_seq, 5);
	EXPECT_EQX(h->nlmsg_flags, 0);
	found = 0;
	find_lo(h, &found);
	EXPECT_EQ(found, 1);
	m = req_init(&r, RTM_GETLINK, 0, 6, sizeof(*m));
	req_attr(&r, IFLA_IFNAME, "lo", 3);
	nl_send(fd, &r, r.h.nlmsg_len);
	EXPECT_GT(nl_recv(fd), 0);
	EXPECT_EQ(((struct ifinfomsg *)NLMSG_DATA((struct nlmsghdr *)buf))
			  ->ifi_index,
		  1);
	m = req_init(&r, RTM_GETLINK, 0, 7, sizeof(*m));
	m->ifi_index = 999;
	nl_send(fd, &r, r.h.nlmsg_len);
	EXPECT_EQ(nl_ack(fd, 7, NULL), -ENODEV);
	close(fd);
}

struct addr_seen {
	unsigned ip;
	int prefix, scope, found;
	char label[16];
};

static void find_addr(struct nlmsghdr *h, void *arg)
{
	struct addr_seen *want = arg;
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	if (ifa->ifa_family != AF_INET)
		return;
	int len = IFA_PAYLOAD(h);
	unsigned local = 0;
	const char *label = "";
	for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFA_LOCAL)
			local = *(unsigned *)RTA_DATA(a);
		if (a->rta_type == IFA_LABEL)
			label = RTA_DATA(a);
	}
	if (local != want->ip)
		return;
	EXPECT_EQ(ifa->ifa_prefixlen, want->prefix);
	EXPECT_EQ(ifa->ifa_scope, want->scope);
	EXPECT_EQ(ifa->ifa_index, 1);
	EXPECT_EQX(ifa->ifa_flags, IFA_F_PERMANENT);
	EXPECT_STREQ(label, want->label);
	want->found++;
}

static int count_addr(int fd, const char *ip, int prefix, int scope)
{
	struct addr_seen want = { .prefix = prefix, .scope = scope };
	inet_pton(AF_INET, ip, &want.ip);
	strcpy(want.label, "lo");
	struct ifaddrmsg ifa = { .ifa_family = AF_INET };
	nl_dump(fd, RTM_GETADDR, &ifa, sizeof(ifa), find_addr, &want);
	return want.found;
}

/* RTM_NEWADDR / RTM_DELADDR of an IPv4 address on lo; returns the ack. */
static int change_addr(int fd, int type, int flags, const char *ip, int prefix,
		       unsigned seq)
{
	struct req r;
	struct ifaddrmsg *ifa =
		req_init(&r, type, NLM_F_ACK | flags, seq, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = 1;
	struct in_addr a;
	inet_pton(AF_INET, ip, &a);
	req_attr(&r, IFA_LOCAL, &a, 4);
	req_attr(&r, IFA_ADDRESS, &a, 4);
	nl_send(fd, &r, r.h.nlmsg_len);
	return nl_ack(fd, seq, NULL);
}

static int udp_connect(const char *ip)
{
	int fd = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	inet_pton(AF_INET, ip, &sin.sin_addr);
	int result = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	int saved = errno;
	close(fd);
	errno = saved;
	return result;
}

/* The C libraries' getifaddrs and if_nameindex ask NETLINK_ROUTE. */
TEST(netlink, getifaddrs_and_if_nameindex)
{
	inet_lo_up();
	struct ifaddrs *list;
	EXPECT_OK(getifaddrs(&list));
	int v4 = 0, v6 = 0, packet = 0;
	for (struct ifaddrs *i = list; i; i = i->ifa_next) {
		if (strcmp(i->ifa_name, "lo") != 0 || !i->ifa_addr)
			continue;
		EXPECT_TRUE(i->ifa_flags & IFF_UP);
		EXPECT_TRUE(i->ifa_flags & IFF_LOOPBACK);
		if (i->ifa_addr->sa_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)i->ifa_addr;
			struct sockaddr_in *m = (struct sockaddr_in *)i->ifa_netmask;
			v4 += a->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
			      m->sin_addr.s_addr == htonl(0xff000000);
		}
		if (i->ifa_addr->sa_family == AF_INET6)
			v6 += IN6_IS_ADDR_LOOPBACK(
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
		packet += i->ifa_addr->sa_family == AF_PACKET;
	}
	freeifaddrs(list);
	EXPECT_EQ(v4, 1);
	EXPECT_EQ(v6, 1);
	EXPECT_EQ(packet, 1);
	struct if_nameindex *names = if_nameindex();
	EXPECT_TRUE(names != NULL);
	EXPECT_EQ(names[0].if_index, 1);
	EXPECT_STREQ(names[0].if_name, "lo");
	if_freenameindex(names);
}

TEST(netlink, addresses)
{
	inet_lo_up();
	int fd = nl_open(NETLINK_ROUTE);
	EXPECT_EQ(count_addr(fd, "127.0.0.1", 8, RT_SCOPE_HOST), 1);
	EXPECT_ERRNO(udp_connect("10.9.9.77"), ENETUNREACH);
	EXPECT_EQ(change_addr(fd, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
			      "10.9.9.1", 24, 1),
		  0);
	EXPECT_EQ(count_addr(fd, "10.9.9.1", 24, 0), 1);
	/* On lo the whole prefix is local. */
	EXPECT_OK(udp_connect("10.9.9.77"));
	EXPECT_EQ(change_addr(fd, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
			      "10.9.9.1", 24, 2),
		  -EEXIST);
	EXPECT_EQ(change_addr(fd, RTM_NEWADDR, NLM_F_CREATE, "10.9.9.1", 24, 3),
		  -EEXIST);
	EXPECT_EQ(change_addr(fd, RTM_DELADDR, 0, "10.9.9.1", 24, 4), 0);
	EXPECT_EQ(change_addr(fd, RTM_DELADDR, 0, "10.9.9.1", 24, 5),
		  -EADDRNOTAVAIL);
	EXPECT_EQ(count_addr(fd, "10.9.9.1", 24, 0), 0);
	EXPECT_ERRNO(udp_connect("10.9.9.77"), ENETUNREACH);
	close(fd);
}

/* RTM_NEWROUTE / RTM_DELROUTE of 10.20.0.0/16 dev lo in main. */
static int change_route(int fd, int type, int flags, unsigned dst, int len,
			unsigned seq)
{
	struct req r;
	struct rtmsg *rt =
		req_init(&r, type, NLM_F_ACK | flags, seq, sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = len;
	rt->rtm_table = RT_TABLE_MAIN;
	if (type == RTM_NEWROUTE) {
		rt->rtm_protocol = RTPROT_BOOT;
		rt->rtm_scope = RT_SCOPE_LINK;
		rt->rtm_type = RTN_UNICAST;
	} else {
		rt->rtm_scope = RT_SCOPE_NOWHERE;
	}
	req_attr(&r, RTA_DST, &dst, 4);
	int oif = 1;
	req_attr(&r, RTA_OIF, &oif, 4);
	nl_send(fd, &r, r.h.nlmsg_len);
	return nl_ack(fd, seq, NULL);
}

static void find_route(struct nlmsghdr *h, void *arg)
{
	struct rtmsg *rt = NLMSG_DATA(h);
	int len = RTM_PAYLOAD(h);
	unsigned dst = 0;
	for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len);
	     a = RTA_NEXT(a, len))
		if (a->rta_type == RTA_DST)
			dst = *(unsigned *)RTA_DATA(a);
	if (rt->rtm_table == RT_TABLE_MAIN && dst == htonl(0x0a140000) &&
	    rt->rtm_dst_len == 16) {
		EXPECT_EQ(rt->rtm_type, RTN_UNICAST);
		EXPECT_EQ(rt->rtm_scope, RT_SCOPE_LINK);
		EXPECT_EQ(rt->rtm_protocol, RTPROT_BOOT);
		(*(int *)arg)++;
	}
}

TEST(netlink, routes)
{
	inet_lo_up();
	int fd = nl_open(NETLINK_ROUTE);
	unsigned dst = htonl(0x0a140000);
	EXPECT_EQ(change_route(fd, RTM_NEWROUTE, NLM_F_EXCL, dst, 16, 1),
		  -ENOENT);
	EXPECT_EQ(change_route(fd, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
			       htonl(0x0a140001), 16, 2),
		  -EINVAL);
	EXPECT_EQ(change_route(fd, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
			       dst, 16, 3),
		  0);
	EXPECT_EQ(change_route(fd, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
			       dst, 16, 4),
		  -EEXIST);
	int found = 0;
	struct rtmsg rt = { .rtm_family = AF_INET };
	nl_dump(fd, RTM_GETROUTE, &rt, sizeof(rt), find_route, &found);
	EXPECT_EQ(found, 1);
	EXPECT_EQ(change_route(fd, RTM_DELROUTE, 0, dst, 16, 5), 0);
	EXPECT_EQ(change_route(fd, RTM_DELROUTE, 0, dst, 16, 6), -ESRCH);
	found = 0;
	nl_dump(fd, RTM_GETROUTE, &rt, sizeof(rt), find_route, &found);
	EXPECT_EQ(found, 0);
	close(fd);
}

/* One routing table: a route the old ioctl adds is netlink's (type, scope,
 * protocol boot), netlink deletes it, and /proc/net/route shows what netlink
 * adds. Only as init: it changes the machine's routes. */
TEST(netlink, routes_shared_with_ioctls)
{
	inet_lo_up();
	if (!h_is_init())
		return;
	int fd = nl_open(NETLINK_ROUTE);
	int ctl = EXPECT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	unsigned dst = htonl(0x0a140000);
	struct rtentry re;
	memset(&re, 0, sizeof(re));
	struct sockaddr_in *sin = (struct sockaddr_in *)&re.rt_dst;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = dst;
	sin = (struct sockaddr_in *)&re.rt_genmask;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0xffff0000);
	re.rt_flags = RTF_UP;
	char lo[] = "lo";
	re.rt_dev = lo;
	EXPECT_OK(ioctl(ctl, SIOCADDRT, &re));
	int found = 0;
	struct rtmsg rt = { .rtm_family = AF_INET };
	nl_dump(fd, RTM_GETROUTE, &rt, sizeof(rt), find_route, &found);
	EXPECT_EQ(found, 1);
	EXPECT_EQ(change_route(fd, RTM_DELROUTE, 0, dst, 16, 1), 0);
	EXPECT_ERRNO(ioctl(ctl, SIOCDELRT, &re), ESRCH);
	EXPECT_EQ(change_route(fd, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
			       dst, 16, 2),
		  0);
	char text[16384];
	h_read_file("/proc/net/route", text, sizeof(text));
	EXPECT_TRUE(strstr(text, "\nlo\t0000140A\t00000000\t0001\t0\t0\t0\t0000FFFF") != NULL);
	EXPECT_OK(ioctl(ctl, SIOCDELRT, &re));
	h_read_file("/proc/net/route", text, sizeof(text));
	EXPECT_TRUE(strstr(text, "0000140A") == NULL);
	close(ctl);
	close(fd);
}

TEST(netlink, acks)
{
	int fd = nl_open(NETLINK_ROUTE);
	struct req r;
	/* A type past RTM_MAX: EOPNOTSUPP, with the whole request. */
	req_init(&r, 0x7f, NLM_F_ACK, 9, 4);
	nl_send(fd, &r, r.h.nlmsg_len);
	size_t len;
	EXPECT_EQ(nl_ack(fd, 9, &len), -EOPNOTSUPP);
	EXPECT_EQ(len, NLMSG_LENGTH(sizeof(struct nlmsgerr)) + 4);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	EXPECT_EQX(h->nlmsg_flags, 0);
	EXPECT_EQ(h->nlmsg_pid, nl_portid(fd));
	EXPECT_EQ(((struct nlmsgerr *)NLMSG_DATA(h))->msg.nlmsg_type, 0x7f);
	/* Capped: only the header. */
	int one = 1;
	EXPECT_OK(setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, 4));
	nl_send(fd, &r, r.h.nlmsg_len);
	EXPECT_EQ(nl_ack(fd, 9, &len), -EOPNOTSUPP);
	EXPECT_EQ(len, NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	EXPECT_EQX(h->nlmsg_flags, NLM_F_CAPPED);
	/* A message that is no request, and a control type: acked with 0. */
	req_init(&r, RTM_GETLINK, NLM_F_ACK, 10, 16);
	r.h.nlmsg_flags &= ~NLM_F_REQUEST;
	nl_send(fd, &r, r.h.nlmsg_len);
	EXPECT_EQ(nl_ack(fd, 10, NULL), 0);
	req_init(&r, NLMSG_NOOP, NLM_F_ACK, 11, 0);
	nl_send(fd, &r, r.h.nlmsg_len);
	EXPECT_EQ(nl_ack(fd, 11, NULL), 0);
	/* Without NLM_F_ACK a success is silent: the next answer is seq 12's. */
	req_init(&r, NLMSG_NOOP, 0, 12, 0);
	nl_send(fd, &r, r.h.nlmsg_len);
	req_init(&r, 0x7f, 0, 13, 4);
	nl_send(fd, &r, r.h.nlmsg_len);
	EXPECT_EQ(nl_ack(fd, 13, NULL), -EOPNOTSUPP);
	int value = 0;
	socklen_t vlen = sizeof(value);
	EXPECT_OK(getsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &value, &vlen));
	EXPECT_EQ(value, 1);
	vlen = 2;
	EXPECT_ERRNO(getsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &value, &vlen),
		     EINVAL);
	EXPECT_ERRNO(setsockopt(fd, SOL_NETLINK, 99, &one, 4), ENOPROTOOPT);
	EXPECT_ERRNO(setsockopt(fd, SOL_IP, NETLINK_CAP_ACK, &one, 4),
		     ENOPROTOOPT);
	close(fd);
}

TEST(netlink, extended_ack)
{
	int fd = nl_open(NETLINK_ROUTE);
	int one = 1;
	EXPECT_OK(setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, 4));
	EXPECT_OK(setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, 4));
	/* A two-byte IFA_LOCAL fails the policy: ERANGE at its offset. */
	struct req r;
	struct ifaddrmsg *ifa =
		req_init(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE, 21,
			 sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = 1;
	req_attr(&r, IFA_LOCAL, "\x0a\x09", 2);
	nl_send(fd, &r, r.h.nlmsg_len);
	EXPECT_EQ(nl_ack(fd, 21, NULL), -ERANGE);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	EXPECT_EQX(h->nlmsg_flags, NLM_F_CAPPED | NLM_F_ACK_TLVS);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(struct nlmsgerr));
	struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) +
					     sizeof(struct nlmsgerr));
	int offset = -1;
	const char *message = NULL;
	while (len >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= len) {
		if (a->nla_type == NLMSGERR_ATTR_OFFS)
			offset = *(int *)(a + 1);
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			message = (const char *)(a + 1);
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	EXPECT_EQ(offset, NLMSG_LENGTH(sizeof(*ifa)));
	EXPECT_TRUE(message != NULL);
	close(fd);
}

TEST(netlink, notifications)
{
	inet_lo_up();
	int fd = nl_open(NETLINK_ROUTE), listener = nl_open(NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_IPV4_IFADDR };
	EXPECT_OK(bind(listener, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_EQ(change_addr(fd, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
			      "10.9.8.1", 24, 30),
		  0);
	struct sockaddr_nl from;
	socklen_t fromlen = sizeof(from);
	ssize_t got = EXPECT_OK(recvfrom(listener, buf, sizeof(buf),
					 MSG_DONTWAIT,
					 (struct sockaddr *)&from, &fromlen));
	EXPECT_GT(got, 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	EXPECT_EQ(h->nlmsg_type, RTM_NEWADDR);
	EXPECT_EQ(h->nlmsg_seq, 30);
	EXPECT_EQ(from.nl_pid, 0);
	EXPECT_EQX(from.nl_groups, RTMGRP_IPV4_IFADDR);
	/* Membership by option too; the IPv4 route group hears the routes. */
	int group = RTNLGRP_IPV4_ROUTE;
	EXPECT_OK(setsockopt(listener, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			     &group, sizeof(group)));
	group = 0;
	EXPECT_ERRNO(setsockopt(listener, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&group, sizeof(group)),
		     EINVAL);
	group = 37;
	EXPECT_ERRNO(setsockopt(listener, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&group, sizeof(group)),
		     EINVAL);
	while (recv(listener, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	EXPECT_EQ(change_addr(fd, RTM_DELADDR, 0, "10.9.8.1", 24, 31), 0);
	int deladdr = 0, delroute = 0;
	while ((got = recv(listener, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		h = (struct nlmsghdr *)buf;
		deladdr += h->nlmsg_type == RTM_DELADDR;
		delroute += h->nlmsg_type == RTM_DELROUTE;
	}
	EXPECT_EQ(deladdr, 1);
	EXPECT_GE(delroute, 1);
	close(fd);
	close(listener);
}

TEST(netlink, overrun_enobufs)
{
	int fd = nl_open(NETLINK_ROUTE);
	int size = 1;
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
	struct req r;
	for (int i = 0; i < 20; i++) {
		struct ifinfomsg *m =
			req_init(&r, RTM_GETLINK, 0, 100 + i, sizeof(*m));
		m->ifi_index = 1;
		nl_send(fd, &r, r.h.nlmsg_len);
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_TRUE(p.revents & POLLERR);
	EXPECT_ERRNO(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), ENOBUFS);
	/* What was queued before the overrun is still there. */
	EXPECT_GT(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
	EXPECT_EQ(((struct nlmsghdr *)buf)->nlmsg_seq, 100);
	close(fd);
}

TEST(netlink, usersock_datagrams)
{
	int a = nl_open(NETLINK_USERSOCK), b = nl_open(NETLINK_USERSOCK);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = 4242 };
	EXPECT_OK(bind(b, (struct sockaddr *)&sa, sizeof(sa)));
	char msg[100];
	memset(msg, 'x', sizeof(msg));
	/* Port 0 is the kernel, which has no USERSOCK socket. */
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	EXPECT_ERRNO(sendto(a, msg, 10, 0, (struct sockaddr *)&k, sizeof(k)),
		     ECONNREFUSED);
	sa.nl_pid = 4343;
	EXPECT_ERRNO(sendto(a, msg, 10, 0, (struct sockaddr *)&sa, sizeof(sa)),
		     ECONNREFUSED);
	sa.nl_pid = 4242;
	EXPECT_EQ(sendto(a, msg, sizeof(msg), 0, (struct sockaddr *)&sa,
			 sizeof(sa)),
		  (ssize_t)sizeof(msg));
	struct pollfd p = { .fd = b, .events = POLLIN };
	EXPECT_EQ(poll(&p, 1, 1000), 1);
	EXPECT_EQ(recv(b, NULL, 0, MSG_PEEK | MSG_TRUNC), (ssize_t)sizeof(msg));
	struct iovec iov = { .iov_base = buf, .iov_len = 10 };
	struct sockaddr_nl from;
	struct msghdr mh = { .msg_name = &from,
			     .msg_namelen = sizeof(from),
			     .msg_iov = &iov,
			     .msg_iovlen = 1 };
	EXPECT_EQ(recvmsg(b, &mh, 0), 10);
	EXPECT_TRUE(mh.msg_flags & MSG_TRUNC);
	EXPECT_EQ(mh.msg_namelen, sizeof(from));
	EXPECT_EQ(from.nl_pid, nl_portid(a));
	EXPECT_EQ(from.nl_groups, 0);
	EXPECT_ERRNO(recv(b, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* A connected socket takes only its peer's datagrams. */
	EXPECT_OK(connect(b, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_ERRNO(sendto(a, msg, 10, 0, (struct sockaddr *)&sa, sizeof(sa)),
		     ECONNREFUSED);
	socklen_t len = sizeof(from);
	EXPECT_OK(getpeername(b, (struct sockaddr *)&from, &len));
	EXPECT_EQ(from.nl_pid, 4242);
	close(a);
	close(b);
}

TEST(netlink, proc_net_netlink)
{
	proc_ready();
	int fd = nl_open(NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = 777777,
				  .nl_groups = 0x11 };
	EXPECT_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	char text[16384];
	int procfd = EXPECT_OK(open("/proc/net/netlink", O_RDONLY));
	ssize_t got = EXPECT_OK(read(procfd, text, sizeof(text) - 1));
	text[got] = 0;
	close(procfd);
	EXPECT_TRUE(strncmp(text, "sk               Eth Pid        Groups   "
				  "Rmem     Wmem     Dump  Locks    Drops    "
				  "Inode\n",
			    89) == 0);
	EXPECT_TRUE(strstr(text, " 0   777777     00000011 ") != NULL);
	close(fd);
}

/* Sends `rounds` garbage and truncated messages to NETLINK_ROUTE; changes
 * only when `any_type` (run unprivileged: EPERM before any parsing of a
 * change is what Linux does too, so both kinds are parsed as root only for
 * queries). */
static void hostile_round(int fd, unsigned seed, int rounds, int any_type)
{
	unsigned char junk[512];
	for (int round = 0; round < rounds; round++) {
		size_t len = 1 + (seed % sizeof(junk));
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			junk[i] = seed >> 16;
		}
		struct nlmsghdr *h = (struct nlmsghdr *)junk;
		if (len >= sizeof(*h) && round % 2) {
			/* A plausible header over random attributes. */
			h->nlmsg_len = len - (round % 7);
			h->nlmsg_type = any_type ? RTM_NEWLINK + (round % 16)
						 : RTM_GETLINK + 4 * (round % 4);
			h->nlmsg_flags = NLM_F_REQUEST | (round % 3 ? 0 : NLM_F_DUMP);
		} else if (len >= sizeof(*h) && !any_type) {
			h->nlmsg_type = RTM_GETLINK + 4 * (round % 4);
		}
		struct sockaddr_nl to = { .nl_family = AF_NETLINK };
		sendto(fd, junk, len, MSG_DONTWAIT, (struct sockaddr *)&to,
		       sizeof(to));
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	}
}

static void hostile_child(void *arg)
{
	(void)arg;
	EXPECT_OK(setgid(65534));
	EXPECT_OK(setuid(65534));
	int fd = EXPECT_OK(socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
	hostile_round(fd, 777, 400, 1);
	_exit(0);
}

/* Garbage, truncated and random messages; the socket still answers and lo
 * is as it was. */
TEST(netlink, hostile_messages)
{
	inet_lo_up();
	int fd = nl_open(NETLINK_ROUTE);
	hostile_round(fd, 12345, 300, 0);
	EXPECT_CHILD_OK(hostile_child, NULL);
	struct req r;
	struct ifinfomsg *m = req_init(&r, RTM_GETLINK, 0, 5, sizeof(*m));
	m->ifi_index = 1;
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	nl_send(fd, &r, r.h.nlmsg_len);
	EXPECT_GT(nl_recv(fd), 0);
	EXPECT_EQ(((struct nlmsghdr *)buf)->nlmsg_type, RTM_NEWLINK);
	int found = 0;
	find_lo((struct nlmsghdr *)buf, &found);
	EXPECT_EQ(found, 1);
	EXPECT_EQ(count_addr(fd, "127.0.0.1", 8, RT_SCOPE_HOST), 1);
	close(fd);
}

/* Loads Linux's loop module if needed and mounts devtmpfs at /nldev. */
static int loop_control(void)
{
	proc_ready();
	if (access("/sys/devices/virtual/misc/loop-control", F_OK) != 0) {
		int fd = open("/lib/modules/loop.ko", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			FAIL("no loop-control and no loop.ko");
		if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
			FAIL("finit_module: %s", h_errname(errno));
		close(fd);
	}
	mkdir("/nldev", 0755);
	if (access("/nldev/null", F_OK) != 0)
		EXPECT_OK(mount("devtmpfs", "/nldev", "devtmpfs", 0, NULL));
	int fd = -1;
	for (int i = 0; i < 500 && fd < 0; i++) {
		fd = open("/nldev/loop-control", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			usleep(10000);
	}
	return EXPECT_OK(fd);
}

static unsigned long seqnum_now(void)
{
	char text[32] = { 0 };
	int fd = EXPECT_OK(open("/sys/kernel/uevent_seqnum", O_RDONLY));
	EXPECT_GT(read(fd, text, sizeof(text) - 1), 0);
	close(fd);
	return strtoul(text, NULL, 10);
}

/* Waits for the event `head`; returns its SEQNUM. */
static unsigned long wait_uevent(int fd, const char *head, const char *devname)
{
	for (int i = 0; i < 50; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 5000) != 1)
			FAIL("no uevent %s", head);
		struct sockaddr_nl from;
		socklen_t len = sizeof(from);
		ssize_t got = EXPECT_OK(recvfrom(fd, buf, sizeof(buf) - 1, 0,
						 (struct sockaddr *)&from,
						 &len));
		buf[got] = 0;
		if (strcmp(buf, head) != 0)
			continue;
		EXPECT_EQ(from.nl_pid, 0);
		EXPECT_EQ(from.nl_groups, 1);
		unsigned long seqnum = 0;
		int has_devname = 0;
		for (char *at = buf + strlen(buf) + 1; at < buf + got;
		     at += strlen(at) + 1) {
			if (strncmp(at, "SEQNUM=", 7) == 0)
				seqnum = strtoul(at + 7, NULL, 10);
			if (strcmp(at, devname) == 0)
				has_devname = 1;
			if (strncmp(at, "SUBSYSTEM=", 10) == 0)
				EXPECT_STREQ(at, "SUBSYSTEM=block");
		}
		EXPECT_TRUE(has_devname);
		return seqnum;
	}
	FAIL("no uevent %s", head);
}

TEST(netlink, uevent_loop_device)
{
	h_set_timeout(60);
	int control = loop_control();
	int fd = EXPECT_OK(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
				  NETLINK_KOBJECT_UEVENT));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = -1 };
	EXPECT_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	socklen_t len = sizeof(sa);
	EXPECT_OK(getsockname(fd, (struct sockaddr *)&sa, &len));
	/* Linux 6.1 keeps the bits past the protocol's one group. */
	EXPECT_EQX(sa.nl_groups, 0xffffffff);
	unsigned long before = seqnum_now();
	ioctl(control, LOOP_CTL_REMOVE, 201);
	EXPECT_EQ(ioctl(control, LOOP_CTL_ADD, 201), 201);
	unsigned long added = wait_uevent(
		fd, "add@/devices/virtual/block/loop201", "DEVNAME=loop201");
	EXPECT_GT(added, before);
	EXPECT_LE(added, seqnum_now());
	EXPECT_OK(ioctl(control, LOOP_CTL_REMOVE, 201));
	unsigned long removed = wait_uevent(
		fd, "remove@/devices/virtual/block/loop201", "DEVNAME=loop201");
	EXPECT_GT(removed, added);
	EXPECT_LE(removed, seqnum_now());
	/* Injecting an event needs CAP_SYS_ADMIN: EPERM for nobody. */
	close(fd);
	close(control);
}

/* mq_notify(SIGEV_THREAD) as the C libraries make it: the cookie comes back
 * on the netlink socket with NOTIFY_WOKENUP, or NOTIFY_REMOVED. */
TEST(netlink, mq_notify_cookie)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	syscall(SYS_mq_unlink, "nl-mq");
	int q = EXPECT_OK(syscall(SYS_mq_open, "nl-mq",
				  O_RDWR | O_CREAT | O_EXCL, 0600, &attr));
	int fd = nl_open(NETLINK_ROUTE);
	char cookie[32];
	for (int i = 0; i < 32; i++)
		cookie[i] = 'a' + i % 26;
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD };
	ev.sigev_signo = fd;
	ev.sigev_value.sival_ptr = cookie;
	EXPECT_OK(syscall(SYS_mq_notify, q, &ev));
	EXPECT_ERRNO(syscall(SYS_mq_notify, q, &ev), EBUSY);
	char line[128] = { 0 };
	EXPECT_GT(pread(q, line, sizeof(line) - 1, 0), 0);
	char want[128];
	snprintf(want, sizeof(want),
		 "QSIZE:0          NOTIFY:2     SIGNO:0     NOTIFY_PID:%-6d\n",
		 getpid());
	EXPECT_STREQ(line, want);
	EXPECT_OK(syscall(SYS_mq_timedsend, q, "hi", 2, 0, NULL));
	char got[64];
	EXPECT_EQ(recv(fd, got, sizeof(got), MSG_DONTWAIT), 32);
	EXPECT_MEMEQ(got, cookie, 31);
	EXPECT_EQ(got[31], 1); /* NOTIFY_WOKENUP */
	/* Registered again, then removed. */
	EXPECT_OK(syscall(SYS_mq_notify, q, &ev));
	EXPECT_OK(syscall(SYS_mq_notify, q, NULL));
	EXPECT_EQ(recv(fd, got, sizeof(got), MSG_DONTWAIT), 32);
	EXPECT_EQ(got[31], 2); /* NOTIFY_REMOVED */
	/* Not a netlink socket: EINVAL. */
	int unix_fd = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	ev.sigev_signo = unix_fd;
	EXPECT_ERRNO(syscall(SYS_mq_notify, q, &ev), EINVAL);
	close(unix_fd);
	close(fd);
	close(q);
	EXPECT_OK(syscall(SYS_mq_unlink, "nl-mq"));
}

static volatile int mq_thread_ran;
static int mq_thread_pipe[2];

static void mq_thread(union sigval value)
{
	mq_thread_ran = value.sival_int;
	char byte = 'x';
	(void)!write(mq_thread_pipe[1], &byte, 1);
}

/* The C library's own SIGEV_THREAD: its helper thread runs the function.  In a
 * child: glibc's helper thread stays for the life of the process, and the
 * suites after this one count the runner's threads. */
static void mq_notify_sigev_thread_child(void *unused)
{
	(void)unused;
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	mq_unlink("/nl-mq2");
	mqd_t q = mq_open("/nl-mq2", O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	EXPECT_TRUE(q != (mqd_t)-1);
	EXPECT_OK(pipe(mq_thread_pipe));
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD,
			       .sigev_notify_function = mq_thread };
	ev.sigev_value.sival_int = 42;
	EXPECT_OK(mq_notify(q, &ev));
	EXPECT_OK(mq_send(q, "hi", 2, 0));
	char byte;
	struct pollfd p = { .fd = mq_thread_pipe[0], .events = POLLIN };
	EXPECT_EQ(poll(&p, 1, 10000), 1);
	EXPECT_EQ(read(mq_thread_pipe[0], &byte, 1), 1);
	EXPECT_EQ(mq_thread_ran, 42);
	mq_close(q);
	mq_unlink("/nl-mq2");
}

TEST(netlink, mq_notify_sigev_thread)
{
	EXPECT_EQ(h_run_child(mq_notify_sigev_thread_child, NULL), 0);
}
