/*
 * Suite userfaultfd: missing-page handling of private anonymous memory.
 *
 * Guards Linux 6.1's fs/userfaultfd.c and mm/userfaultfd.c: userfaultfd(2)'s
 * flags (EINVAL for unknown ones, EPERM for an unprivileged caller without
 * UFFD_USER_MODE_ONLY while vm.unprivileged_userfaultfd is 0), UFFDIO_API
 * (EINVAL for a wrong api or a second call; ioctls before it are EINVAL),
 * UFFDIO_REGISTER's range and mode checks (EINVAL), the reported range ioctls,
 * a faulting thread sleeping until the reader's UFFDIO_COPY supplies the page,
 * the uffd_msg it reads (UFFD_EVENT_PAGEFAULT, page-aligned address, the write
 * flag), poll (POLLERR on a blocking file), EEXIST for a page already there, ENOENT outside registered
 * areas, UFFDIO_ZEROPAGE, UFFDIO_UNREGISTER, a fork's child not inheriting
 * the registration, and closing the file letting a sleeper go on.
 */
#include "harness.h"
#include "child.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_userfaultfd
#define SYS_userfaultfd 323
#endif

#define UFFD_API 0xaa
#define USER_MODE_ONLY 1
#define EVENT_PAGEFAULT 0x12
#define FLAG_WRITE 1
#define MODE_MISSING 1

struct api_arg {
	uint64_t api, features, ioctls;
};
struct range {
	uint64_t start, len;
};
struct register_arg {
	struct range range;
	uint64_t mode, ioctls;
};
struct copy_arg {
	uint64_t dst, src, len, mode;
	int64_t copy;
};
struct zeropage_arg {
	struct range range;
	uint64_t mode;
	int64_t zeropage;
};
struct msg {
	uint8_t event, r1;
	uint16_t r2;
	uint32_t r3;
	uint64_t flags, address;
	uint32_t ptid, pad;
};

#define IOWR(nr, size) ((3u << 30) | ((unsigned)(size) << 16) | (0xaa << 8) | (nr))
#define IOR(nr, size) ((2u << 30) | ((unsigned)(size) << 16) | (0xaa << 8) | (nr))
#define UFFDIO_API_ IOWR(0x3f, 24)
#define UFFDIO_REGISTER_ IOWR(0, 32)
#define UFFDIO_UNREGISTER_ IOR(1, 16)
#define UFFDIO_WAKE_ IOR(2, 16)
#define UFFDIO_COPY_ IOWR(3, 40)
#define UFFDIO_ZEROPAGE_ IOWR(4, 32)

static int new_uffd(int flags)
{
	return syscall(SYS_userfaultfd, flags);
}

static int ready_uffd(void)
{
	int fd = EXPECT_OK(new_uffd(O_CLOEXEC | O_NONBLOCK));
	struct api_arg api = {UFFD_API, 0, 0};
	EXPECT_OK(ioctl(fd, UFFDIO_API_, &api));
	EXPECT_EQX(api.ioctls & 0x8000000000000003ULL, 0x8000000000000003ULL);
	return fd;
}

static char *map_pages(int n)
{
	char *p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	return p;
}

static void do_register(int fd, void *start, size_t len)
{
	struct register_arg reg = {{(uintptr_t)start, len}, MODE_MISSING, 0};
	EXPECT_OK(ioctl(fd, UFFDIO_REGISTER_, &reg));
	/* WAKE, COPY and ZEROPAGE are guaranteed on a missing-mode anonymous range. */
	EXPECT_EQX(reg.ioctls & 0x1c, 0x1c);
}

TEST(userfaultfd, errors)
{
	EXPECT_ERRNO(new_uffd(0x4), EINVAL);
	int fd = EXPECT_OK(new_uffd(O_NONBLOCK | USER_MODE_ONLY));
	/* Read-only, as anon_inode_getfd was asked. */
	EXPECT_EQ(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE), O_NONBLOCK | O_RDONLY);
	struct msg m;
	/* Before UFFDIO_API. */
	EXPECT_ERRNO(read(fd, &m, sizeof(m)), EINVAL);
	struct register_arg reg = {{0x100000, 4096}, MODE_MISSING, 0};
	EXPECT_ERRNO(ioctl(fd, UFFDIO_REGISTER_, &reg), EINVAL);
	struct pollfd p = {fd, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLERR);
	struct api_arg api = {UFFD_API + 1, 0, 0};
	EXPECT_ERRNO(ioctl(fd, UFFDIO_API_, &api), EINVAL);
	api.api = UFFD_API;
	api.features = 1ULL << 40;
	EXPECT_ERRNO(ioctl(fd, UFFDIO_API_, &api), EINVAL);
	/* A failed UFFDIO_API zeroes the caller's structure. */
	EXPECT_EQ(api.api, 0);
	api.api = UFFD_API;
	api.features = 0;
	EXPECT_OK(ioctl(fd, UFFDIO_API_, &api));
	EXPECT_ERRNO(ioctl(fd, UFFDIO_API_, &api), EINVAL);
	EXPECT_ERRNO(read(fd, &m, sizeof(m)), EAGAIN);
	EXPECT_ERRNO(read(fd, &m, 16), EINVAL);
	p.revents = 0;
	EXPECT_EQ(poll(&p, 1, 0), 0);
	/* Polling a blocking userfaultfd is POLLERR, even after UFFDIO_API. */
	int blocking = EXPECT_OK(new_uffd(0));
	struct api_arg api2 = {UFFD_API, 0, 0};
	EXPECT_OK(ioctl(blocking, UFFDIO_API_, &api2));
	struct pollfd bp = {blocking, POLLIN, 0};
	EXPECT_EQ(poll(&bp, 1, 0), 1);
	EXPECT_EQ(bp.revents, POLLERR);
	close(blocking);
	char *area = map_pages(3);
	/* Ranges: aligned, non-empty, with some area in them; modes: missing only here. */
	struct register_arg bad = {{(uintptr_t)area + 1, 4096}, MODE_MISSING, 0};
	EXPECT_ERRNO(ioctl(fd, UFFDIO_REGISTER_, &bad), EINVAL);
	bad.range.start = (uintptr_t)area;
	bad.range.len = 0;
	EXPECT_ERRNO(ioctl(fd, UFFDIO_REGISTER_, &bad), EINVAL);
	/* No area at all in the range. */
	EXPECT_OK(munmap(area + 2 * 4096, 4096));
	bad.range.start = (uintptr_t)area + 2 * 4096;
	bad.range.len = 4096;
	EXPECT_ERRNO(ioctl(fd, UFFDIO_REGISTER_, &bad), EINVAL);
	bad.range.start = (uintptr_t)area;
	bad.mode = 0;
	EXPECT_ERRNO(ioctl(fd, UFFDIO_REGISTER_, &bad), EINVAL);
	bad.mode = 8;
	EXPECT_ERRNO(ioctl(fd, UFFDIO_REGISTER_, &bad), EINVAL);
	/* Copying into an area nobody registered: ENOENT. */
	static char src[4096] __attribute__((aligned(4096)));
	struct copy_arg cp = {(uintptr_t)area, (uintptr_t)src, 4096, 0, 0};
	EXPECT_ERRNO(ioctl(fd, UFFDIO_COPY_, &cp), ENOENT);
	EXPECT_EQ(cp.copy, -ENOENT);
	cp.dst += 1;
	EXPECT_ERRNO(ioctl(fd, UFFDIO_COPY_, &cp), EINVAL);
	EXPECT_ERRNO(ioctl(fd, 0x1234, 0), EINVAL);
	close(fd);
	/* Unprivileged: only UFFD_USER_MODE_ONLY (vm.unprivileged_userfaultfd is 0). */
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(setuid(1000));
		EXPECT_ERRNO(new_uffd(0), EPERM);
		EXPECT_OK(new_uffd(USER_MODE_ONLY));
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	munmap(area, 3 * 4096);
}

static char *fault_area;
static volatile int touched_value = -1;

static void *toucher(void *arg)
{
	(void)arg;
	touched_value = fault_area[100];
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	fault_area[4096 + 5] = 7;
	touched_value = fault_area[4096 + 6];
	return NULL;
}

TEST(userfaultfd, missing_copy_zeropage)
{
	int fd = ready_uffd();
	fault_area = map_pages(3);
	do_register(fd, fault_area, 3 * 4096);
	pthread_t t;
	touched_value = -1;
	EXPECT_EQ(pthread_create(&t, NULL, toucher, NULL), 0);
	struct pollfd p = {fd, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_EQ(p.revents, POLLIN);
	struct msg m[2];
	EXPECT_EQ(read(fd, m, sizeof(m)), sizeof(m[0]));
	EXPECT_EQ(m[0].event, EVENT_PAGEFAULT);
	EXPECT_EQX(m[0].address, (uintptr_t)fault_area);
	EXPECT_EQ(m[0].flags & FLAG_WRITE, 0);
	EXPECT_EQ(touched_value, -1);
	static char src[4096] __attribute__((aligned(4096)));
	memset(src, 'A', sizeof(src));
	struct copy_arg cp = {(uintptr_t)fault_area, (uintptr_t)src, 4096, 0, 0};
	EXPECT_OK(ioctl(fd, UFFDIO_COPY_, &cp));
	EXPECT_EQ(cp.copy, 4096);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	EXPECT_EQ(touched_value, 'A');
	/* The page is there now. */
	EXPECT_ERRNO(ioctl(fd, UFFDIO_COPY_, &cp), EEXIST);
	EXPECT_EQ(cp.copy, -EEXIST);
	/* A write fault, answered with a zero page. */
	EXPECT_EQ(pthread_create(&t, NULL, writer, NULL), 0);
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_EQ(read(fd, m, sizeof(m[0])), sizeof(m[0]));
	EXPECT_EQX(m[0].address, (uintptr_t)fault_area + 4096);
	EXPECT_EQ(m[0].flags & FLAG_WRITE, FLAG_WRITE);
	struct zeropage_arg zp = {{(uintptr_t)fault_area + 4096, 4096}, 0, 0};
	EXPECT_OK(ioctl(fd, UFFDIO_ZEROPAGE_, &zp));
	EXPECT_EQ(zp.zeropage, 4096);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	EXPECT_EQ(touched_value, 0);
	EXPECT_EQ(fault_area[4096 + 5], 7);
	/* Unregistered, the third page is an ordinary zero-fill page. */
	struct range r = {(uintptr_t)fault_area + 2 * 4096, 4096};
	EXPECT_OK(ioctl(fd, UFFDIO_UNREGISTER_, &r));
	EXPECT_EQ(fault_area[2 * 4096], 0);
	EXPECT_OK(ioctl(fd, UFFDIO_WAKE_, &r));
	close(fd);
	munmap(fault_area, 3 * 4096);
}

TEST(userfaultfd, fork_and_close)
{
	int fd = ready_uffd();
	fault_area = map_pages(2);
	do_register(fd, fault_area, 2 * 4096);
	/* A fork's child does not inherit the registration: its faults are ordinary. */
	pid_t pid = h_fork();
	if (pid == 0) {
		CHK(fault_area[0] == 0);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* Closing the file lets a sleeping thread go on with a zero page. */
	pthread_t t;
	touched_value = -1;
	EXPECT_EQ(pthread_create(&t, NULL, toucher, NULL), 0);
	struct pollfd p = {fd, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	close(fd);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	EXPECT_EQ(touched_value, 0);
	munmap(fault_area, 2 * 4096);
}
