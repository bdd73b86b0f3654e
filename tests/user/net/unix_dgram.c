/*
 * Suite unixdgram: AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET sockets
 * (net/unix/af_unix.c: unix_dgram_sendmsg, __unix_dgram_recvmsg,
 * unix_dgram_connect, unix_seqpacket_*): message boundaries, truncation
 * (MSG_TRUNC in and out), recvfrom's sender name (none for an unnamed
 * sender), sendto by path and abstract name, connect and disconnect
 * (AF_UNSPEC), EPERM when the receiver is connected elsewhere, ECONNREFUSED
 * once the peer is gone, EMSGSIZE above SO_SNDBUF, EAGAIN when the receiver's
 * queue is full, ENOTCONN, SIOCINQ of the first datagram, seqpacket
 * listen/accept and EPIPE, sendmmsg/recvmmsg.
 */
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t abstract_addr(struct sockaddr_un *sun, const char *name)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path + 1, name, strlen(name));
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

TEST(unixdgram, boundaries_and_truncation)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	EXPECT_EQ(send(sv[0], "first", 5, 0), 5);
	EXPECT_EQ(send(sv[0], "second", 6, 0), 6);
	EXPECT_EQ(send(sv[0], "", 0, 0), 0);
	int n = -1;
	EXPECT_OK(ioctl(sv[1], FIONREAD, &n));
	EXPECT_EQ(n, 5);
	char buf[16] = {0};
	EXPECT_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 5);
	EXPECT_EQ(recv(sv[1], buf, sizeof(buf), 0), 5);
	EXPECT_STREQ(buf, "first");
	memset(buf, 0, sizeof(buf));
	/* A short buffer loses the rest; MSG_TRUNC returns the real length. */
	struct iovec iov = {buf, 3};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	EXPECT_EQ(recvmsg(sv[1], &msg, MSG_TRUNC), 6);
	EXPECT_EQX(msg.msg_flags, MSG_TRUNC);
	EXPECT_STREQ(buf, "sec");
	EXPECT_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	EXPECT_ERRNO(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixdgram, names_and_sendto)
{
	struct sockaddr_un a, b, got;
	socklen_t alen = abstract_addr(&a, "ferrux-dgram-a");
	socklen_t blen = abstract_addr(&b, "ferrux-dgram-b");
	int sa = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	int sb = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	int anon = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	EXPECT_OK(bind(sa, (struct sockaddr *)&a, alen));
	EXPECT_OK(bind(sb, (struct sockaddr *)&b, blen));
	EXPECT_ERRNO(send(anon, "x", 1, 0), ENOTCONN);
	EXPECT_EQ(sendto(sa, "from-a", 6, 0, (struct sockaddr *)&b, blen), 6);
	EXPECT_EQ(sendto(anon, "anon", 4, 0, (struct sockaddr *)&b, blen), 4);
	char buf[16] = {0};
	socklen_t len = sizeof(got);
	EXPECT_EQ(recvfrom(sb, buf, sizeof(buf), 0, (struct sockaddr *)&got, &len), 6);
	EXPECT_EQ(len, alen);
	EXPECT_MEMEQ(got.sun_path, a.sun_path, alen - 2);
	len = sizeof(got);
	EXPECT_EQ(recvfrom(sb, buf, sizeof(buf), 0, (struct sockaddr *)&got, &len), 4);
	EXPECT_EQ(len, 0);
	/* Connected: send goes to the peer, others may not send to us... */
	EXPECT_OK(connect(sa, (struct sockaddr *)&b, blen));
	EXPECT_EQ(send(sa, "c", 1, 0), 1);
	EXPECT_EQ(recv(sb, buf, sizeof(buf), 0), 1);
	len = sizeof(got);
	EXPECT_OK(getpeername(sa, (struct sockaddr *)&got, &len));
	EXPECT_EQ(len, blen);
	EXPECT_OK(connect(sb, (struct sockaddr *)&a, alen));
	EXPECT_ERRNO(sendto(anon, "x", 1, 0, (struct sockaddr *)&b, blen), EPERM);
	EXPECT_ERRNO(connect(anon, (struct sockaddr *)&b, blen), EPERM);
	/* ...until it disconnects. */
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	EXPECT_OK(connect(sb, &unspec, sizeof(unspec)));
	EXPECT_ERRNO(send(sb, "x", 1, 0), ENOTCONN);
	EXPECT_EQ(sendto(anon, "y", 1, 0, (struct sockaddr *)&b, blen), 1);
	EXPECT_EQ(recv(sb, buf, sizeof(buf), 0), 1);
	/* The peer is gone: ECONNREFUSED, then not connected at all. */
	close(sb);
	EXPECT_ERRNO(send(sa, "x", 1, 0), ECONNREFUSED);
	EXPECT_ERRNO(send(sa, "x", 1, 0), ENOTCONN);
	EXPECT_ERRNO(sendto(anon, "x", 1, 0, (struct sockaddr *)&b, blen), ECONNREFUSED);
	EXPECT_ERRNO(sendto(anon, "x", 1, 0, (struct sockaddr *)&b, 1), EINVAL);
	close(sa);
	close(anon);
}

TEST(unixdgram, limits)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	int sndbuf = 0;
	socklen_t len = sizeof(sndbuf);
	EXPECT_OK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &len));
	static char big[1 << 20];
	EXPECT_ERRNO(send(sv[0], big, sndbuf - 31, 0), EMSGSIZE);
	EXPECT_EQ(send(sv[0], big, 100000, 0), 100000);
	EXPECT_EQ(recv(sv[1], big, sizeof(big), 0), 100000);
	/* Datagrams until the sender's memory is used up: EAGAIN, all arrive. */
	int sent = 0;
	while (send(sv[0], "d", 1, MSG_DONTWAIT) == 1)
		sent++;
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_GT(sent, 10);
	struct pollfd p = {.fd = sv[0], .events = POLLOUT};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	int got = 0;
	while (recv(sv[1], big, 1, MSG_DONTWAIT) == 1)
		got++;
	EXPECT_EQ(got, sent);
	EXPECT_EQ(poll(&p, 1, 0), 1);
	close(sv[0]);
	close(sv[1]);
}

TEST(unixdgram, receiver_queue_full)
{
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "ferrux-dgram-q");
	int r = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	EXPECT_OK(bind(r, (struct sockaddr *)&a, alen));
	int s = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	int sent = 0;
	while (sendto(s, "q", 1, 0, (struct sockaddr *)&a, alen) == 1)
		sent++;
	EXPECT_EQ(errno, EAGAIN);
	/* net.unix.max_dgram_qlen is 10: one more than that is queued. */
	EXPECT_EQ(sent, 11);
	char c;
	EXPECT_EQ(recv(r, &c, 1, 0), 1);
	EXPECT_EQ(sendto(s, "q", 1, 0, (struct sockaddr *)&a, alen), 1);
	close(s);
	close(r);
}

TEST(unixdgram, seqpacket)
{
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "ferrux-seqpacket");
	int l = EXPECT_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	EXPECT_OK(bind(l, (struct sockaddr *)&a, alen));
	char buf[16] = {0};
	EXPECT_ERRNO(recv(l, buf, 1, 0), ENOTCONN);
	EXPECT_ERRNO(send(l, "x", 1, 0), ENOTCONN);
	EXPECT_OK(listen(l, 5));
	int c = EXPECT_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	EXPECT_OK(connect(c, (struct sockaddr *)&a, alen));
	int s = EXPECT_OK(accept(l, NULL, NULL));
	EXPECT_EQ(send(c, "one", 3, 0), 3);
	EXPECT_EQ(send(c, "two!", 4, 0), 4);
	struct iovec iov = {buf, 2};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	EXPECT_EQ(recvmsg(s, &msg, 0), 2);
	EXPECT_EQX(msg.msg_flags, MSG_TRUNC);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(read(s, buf, sizeof(buf)), 4);
	EXPECT_STREQ(buf, "two!");
	EXPECT_OK(shutdown(c, SHUT_WR));
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), 0);
	close(s);
	EXPECT_ERRNO(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	struct pollfd p = {.fd = c, .events = POLLIN | POLLOUT};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_TRUE(p.revents & POLLHUP);
	close(c);
	close(l);
}

TEST(unixdgram, mmsg)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	struct iovec out[3] = {{"a", 1}, {"bb", 2}, {"ccc", 3}};
	struct mmsghdr m[3];
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 3; i++) {
		m[i].msg_hdr.msg_iov = &out[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	EXPECT_EQ(sendmmsg(sv[0], m, 3, 0), 3);
	EXPECT_EQ(m[2].msg_len, 3);
	char bufs[4][8];
	struct iovec in[4];
	struct mmsghdr r[4];
	memset(r, 0, sizeof(r));
	memset(bufs, 0, sizeof(bufs));
	for (int i = 0; i < 4; i++) {
		in[i].iov_base = bufs[i];
		in[i].iov_len = 8;
		r[i].msg_hdr.msg_iov = &in[i];
		r[i].msg_hdr.msg_iovlen = 1;
	}
	EXPECT_EQ(recvmmsg(sv[1], r, 4, MSG_DONTWAIT, NULL), 3);
	EXPECT_EQ(r[0].msg_len, 1);
	EXPECT_EQ(r[1].msg_len, 2);
	EXPECT_STREQ(bufs[2], "ccc");
	EXPECT_ERRNO(recvmmsg(sv[1], r, 4, MSG_DONTWAIT, NULL), EAGAIN);
	EXPECT_EQ(send(sv[0], "z", 1, 0), 1);
	EXPECT_EQ(recvmmsg(sv[1], r, 4, MSG_WAITFORONE, NULL), 1);
	close(sv[0]);
	close(sv[1]);
}
