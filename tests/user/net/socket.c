/*
 * Suite socket: the socket layer (net/socket.c, net/core/sock.c) as seen
 * through AF_UNIX: socket(2)/socketpair(2) argument checks (EAFNOSUPPORT for
 * families this kernel has no support for, EINVAL for bad flags and types,
 * EPROTONOSUPPORT, ESOCKTNOSUPPORT), ENOTSOCK on other files, the socket file
 * (fstat S_IFSOCK, lseek ESPIPE, /proc/self/fd "socket:[ino]", O_NONBLOCK and
 * FD_CLOEXEC from SOCK_NONBLOCK/SOCK_CLOEXEC), and SOL_SOCKET options
 * (sk_setsockopt/sk_getsockopt: SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR,
 * SO_SNDBUF/SO_RCVBUF doubled and clamped, timeouts in jiffies, SO_LINGER,
 * SO_PASSCRED, SO_ACCEPTCONN, SO_PEERCRED, ENOPROTOOPT, EINVAL, EOPNOTSUPP for
 * other levels, truncated option values).
 *
 * AF_INET, AF_INET6 and AF_NETLINK are not checked: Ferrux answers
 * EAFNOSUPPORT for them while Linux has them.
 */
#include "harness.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

TEST(socket, create_errors)
{
	EXPECT_ERRNO(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0), EINVAL);
	EXPECT_ERRNO(socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT);
	EXPECT_ERRNO(socket(46, SOCK_STREAM, 0), EAFNOSUPPORT);
	EXPECT_ERRNO(socket(AF_UNIX, 11, 0), EINVAL);
	EXPECT_ERRNO(socket(AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT);
	EXPECT_ERRNO(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT);
	EXPECT_ERRNO(socket(AF_UNIX, 0, 0), ESOCKTNOSUPPORT);
	int fd = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, AF_UNIX));
	close(fd);
	/* SOCK_RAW is a datagram socket for AF_UNIX. */
	fd = EXPECT_OK(socket(AF_UNIX, SOCK_RAW, 0));
	int type = 0;
	socklen_t len = sizeof(type);
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len));
	EXPECT_EQ(type, SOCK_DGRAM);
	close(fd);
	int sv[2];
	EXPECT_ERRNO(socketpair(AF_UNIX, SOCK_STREAM | 0x100000, 0, sv), EINVAL);
	EXPECT_ERRNO(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, 8L), EFAULT);
}

TEST(socket, not_a_socket)
{
	int p[2];
	EXPECT_OK(pipe(p));
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int one = 1;
	socklen_t len = sizeof(one);
	EXPECT_ERRNO(bind(p[0], (struct sockaddr *)&sun, sizeof(sun)), ENOTSOCK);
	EXPECT_ERRNO(listen(p[0], 1), ENOTSOCK);
	EXPECT_ERRNO(accept(p[0], NULL, NULL), ENOTSOCK);
	EXPECT_ERRNO(connect(p[0], (struct sockaddr *)&sun, sizeof(sun)), ENOTSOCK);
	EXPECT_ERRNO(shutdown(p[0], SHUT_RD), ENOTSOCK);
	EXPECT_ERRNO(send(p[1], "x", 1, 0), ENOTSOCK);
	EXPECT_ERRNO(recv(p[0], &one, 1, 0), ENOTSOCK);
	EXPECT_ERRNO(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &one, &len), ENOTSOCK);
	EXPECT_ERRNO(getsockname(p[0], (struct sockaddr *)&sun, &len), ENOTSOCK);
	EXPECT_ERRNO(listen(-1, 1), EBADF);
	EXPECT_ERRNO(send(999, "x", 1, 0), EBADF);
	close(p[0]);
	close(p[1]);
}

TEST(socket, file_of_a_socket)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
	struct stat st;
	EXPECT_OK(fstat(sv[0], &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0777);
	EXPECT_EQ(st.st_nlink, 1);
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(st.st_blksize, 4096);
	EXPECT_EQ(st.st_uid, getuid());
	struct stat st2;
	EXPECT_OK(fstat(sv[1], &st2));
	EXPECT_NE(st.st_ino, st2.st_ino);
	EXPECT_EQ(st.st_dev, st2.st_dev);
	EXPECT_EQX(fcntl(sv[0], F_GETFL), O_RDWR | O_NONBLOCK);
	EXPECT_EQ(fcntl(sv[0], F_GETFD), FD_CLOEXEC);
	EXPECT_ERRNO(lseek(sv[0], 0, SEEK_SET), ESPIPE);
	char link[64], want[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", sv[0]);
	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)st.st_ino);
	char got[64] = {0};
	ssize_t n = readlink(link, got, sizeof(got) - 1);
	if (n >= 0) /* /proc may not be mounted yet */
		EXPECT_STREQ(got, want);
	EXPECT_ERRNO(pread(sv[0], got, 1, 0), ESPIPE);
	close(sv[0]);
	close(sv[1]);
}

static int geti(int fd, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, name, &v, &len) < 0)
		return -1;
	if (len != sizeof(v))
		return -2;
	return v;
}

TEST(socket, basic_options)
{
	int fd = EXPECT_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	EXPECT_EQ(geti(fd, SO_TYPE), SOCK_SEQPACKET);
	EXPECT_EQ(geti(fd, SO_DOMAIN), AF_UNIX);
	EXPECT_EQ(geti(fd, SO_PROTOCOL), 0);
	EXPECT_EQ(geti(fd, SO_ERROR), 0);
	EXPECT_EQ(geti(fd, SO_ACCEPTCONN), 0);
	EXPECT_EQ(geti(fd, SO_SNDBUF), 212992);
	EXPECT_EQ(geti(fd, SO_RCVBUF), 212992);
	EXPECT_EQ(geti(fd, SO_RCVLOWAT), 1);
	EXPECT_EQ(geti(fd, SO_SNDLOWAT), 1);
	int v = 1;
	for (int name = 0; name < 3; name++) {
		int opt = name == 0 ? SO_REUSEADDR : name == 1 ? SO_KEEPALIVE : SO_PASSCRED;
		EXPECT_EQ(geti(fd, opt), 0);
		v = 5;
		EXPECT_OK(setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v)));
		EXPECT_EQ(geti(fd, opt), 1);
		v = 0;
		EXPECT_OK(setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v)));
		EXPECT_EQ(geti(fd, opt), 0);
	}
	/* Read-only options and unknown ones. */
	EXPECT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_TYPE, &v, sizeof(v)), ENOPROTOOPT);
	EXPECT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_ERROR, &v, sizeof(v)), ENOPROTOOPT);
	EXPECT_ERRNO(setsockopt(fd, SOL_SOCKET, 9999, &v, sizeof(v)), ENOPROTOOPT);
	EXPECT_ERRNO(getsockopt(fd, SOL_SOCKET, 9999, &v, &(socklen_t){4}), ENOPROTOOPT);
	/* Lengths. */
	EXPECT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, 2), EINVAL);
	EXPECT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, -1), EINVAL);
	EXPECT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, NULL, 4), EFAULT);
	socklen_t len = -1;
	EXPECT_ERRNO(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), EINVAL);
	EXPECT_ERRNO(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, NULL), EFAULT);
	/* A short buffer gets the first bytes and the shorter length. */
	unsigned char small[2] = {0xff, 0xff};
	len = 1;
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_TYPE, small, &len));
	EXPECT_EQ(len, 1);
	EXPECT_EQ(small[0], SOCK_SEQPACKET);
	EXPECT_EQ(small[1], 0xff);
	/* A longer one the value's length. */
	long long big = -1;
	len = sizeof(big);
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_TYPE, &big, &len));
	EXPECT_EQ(len, 4);
	/* Other levels have no options on AF_UNIX. */
	EXPECT_ERRNO(setsockopt(fd, 6 /* IPPROTO_TCP */, 1, &v, sizeof(v)), EOPNOTSUPP);
	EXPECT_ERRNO(getsockopt(fd, 6, 1, &v, &len), EOPNOTSUPP);
	close(fd);
}

TEST(socket, buffer_sizes)
{
	int fd = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	int v = 10000;
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	EXPECT_EQ(geti(fd, SO_SNDBUF), 20000);
	v = 1;
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	EXPECT_EQ(geti(fd, SO_SNDBUF), 4608);
	v = 1;
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	EXPECT_EQ(geti(fd, SO_RCVBUF), 2304);
	v = -1;
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	EXPECT_EQ(geti(fd, SO_RCVBUF), 2 * 212992);
	v = 1 << 30;
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	EXPECT_EQ(geti(fd, SO_SNDBUF), 2 * 212992);
	close(fd);
}

TEST(socket, timeouts_and_linger)
{
	int fd = EXPECT_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	struct timeval tv = {.tv_sec = 7, .tv_usec = 123};
	socklen_t len = sizeof(tv);
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	EXPECT_EQ(len, sizeof(tv));
	EXPECT_EQ(tv.tv_sec, 0);
	EXPECT_EQ(tv.tv_usec, 0);
	tv.tv_sec = 2;
	tv.tv_usec = 500000;
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	memset(&tv, 0, sizeof(tv));
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len));
	EXPECT_EQ(tv.tv_sec, 2);
	EXPECT_EQ(tv.tv_usec, 500000);
	tv.tv_usec = 1000000;
	EXPECT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), EDOM);
	tv.tv_usec = -1;
	EXPECT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), EDOM);
	EXPECT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, 8), EINVAL);

	struct linger lg = {.l_onoff = 9, .l_linger = 9};
	len = sizeof(lg);
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	EXPECT_EQ(len, sizeof(lg));
	EXPECT_EQ(lg.l_onoff, 0);
	EXPECT_EQ(lg.l_linger, 0);
	lg.l_onoff = 3;
	lg.l_linger = 42;
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	EXPECT_EQ(lg.l_onoff, 1);
	EXPECT_EQ(lg.l_linger, 42);
	/* Turning it off keeps the time. */
	lg.l_onoff = 0;
	lg.l_linger = 5;
	EXPECT_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	EXPECT_EQ(lg.l_onoff, 0);
	EXPECT_EQ(lg.l_linger, 42);
	EXPECT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, 4), EINVAL);
	close(fd);
}

TEST(socket, receive_timeout_expires)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct timeval tv = {.tv_sec = 0, .tv_usec = 50000};
	EXPECT_OK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	char c;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	EXPECT_ERRNO(recv(sv[0], &c, 1, 0), EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	EXPECT_GE(ms, 40);
	/* A negative time means no waiting at all. */
	tv.tv_sec = -1;
	tv.tv_usec = 0;
	EXPECT_OK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	EXPECT_ERRNO(read(sv[0], &c, 1), EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

TEST(socket, peercred_of_socketpair)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	struct ucred cred;
	socklen_t len = sizeof(cred);
	EXPECT_OK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len));
	EXPECT_EQ(len, sizeof(cred));
	EXPECT_EQ(cred.pid, getpid());
	EXPECT_EQ(cred.uid, geteuid());
	EXPECT_EQ(cred.gid, getegid());
	int fd = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_OK(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len));
	EXPECT_EQ(cred.pid, 0);
	EXPECT_EQ(cred.uid, (uid_t)-1);
	EXPECT_EQ(cred.gid, (gid_t)-1);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

TEST(socket, shutdown_arguments)
{
	int sv[2];
	EXPECT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_ERRNO(shutdown(sv[0], 3), EINVAL);
	EXPECT_ERRNO(shutdown(sv[0], -1), EINVAL);
	/* An unconnected AF_UNIX socket shuts down without complaint. */
	int fd = EXPECT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_OK(shutdown(fd, SHUT_RDWR));
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQX(p.revents, POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}
