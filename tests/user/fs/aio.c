/*
 * Suite aio: Linux's native asynchronous I/O (io_setup, io_destroy,
 * io_submit, io_getevents, io_pgetevents, io_cancel).
 *
 * Guards Linux 6.1's fs/aio.c: io_setup's checks (EFAULT for an unreadable
 * ctxp, EINVAL for a non-zero *ctxp, a zero or overflowing size, EAGAIN past
 * fs.aio-max-nr, fs.aio-nr counting what contexts asked for) and its ring
 * (mapped shared and writable as "/[aio] (deleted)", the aio_ring header with
 * AIO_RING_MAGIC, nr filling the last page, the context id being the ring's
 * address); io_submit's rules (EINVAL for a negative count or a bad context,
 * EFAULT for bad pointers, EBADF for bad descriptors or the wrong direction,
 * EINVAL for reserved fields and opcodes, EOPNOTSUPP for RWF_* flags a tmpfs
 * file refuses, EAGAIN once the ring is full, partial counts); buffered reads
 * and writes completing inside io_submit with their result in the event;
 * IOCB_CMD_POLL pending until ready, its IOCB_FLAG_RESFD eventfd, io_cancel
 * (EINPROGRESS, the event still delivered) and EINVAL for what cannot be
 * cancelled; io_getevents' min_nr/nr/timeout and signals, io_pgetevents' mask;
 * user space consuming events by moving the ring's head; io_destroy unmapping
 * the ring; fork (the child keeps the ring's shared mapping but has no
 * contexts), mremap of the ring (the id follows it, it cannot grow) and exit
 * with requests pending.
 */
#include "harness.h"
#include "child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CMD_PREAD 0
#define CMD_PWRITE 1
#define CMD_FSYNC 2
#define CMD_FDSYNC 3
#define CMD_POLL 5
#define CMD_PREADV 7
#define CMD_PWRITEV 8
#define FLAG_RESFD 1
#define FLAG_IOPRIO 2

struct k_iocb {
	uint64_t data;
	uint32_t key;
	uint32_t rw_flags;
	uint16_t opcode;
	int16_t reqprio;
	uint32_t fildes;
	uint64_t buf;
	uint64_t nbytes;
	int64_t offset;
	uint64_t reserved2;
	uint32_t flags;
	uint32_t resfd;
};

struct k_event {
	uint64_t data;
	uint64_t obj;
	int64_t res;
	int64_t res2;
};

struct k_ring {
	unsigned id, nr, head, tail, magic, compat, incompat, header_length;
	struct k_event events[];
};

static long setup(unsigned nr, uint64_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long destroy(uint64_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static long submit(uint64_t ctx, long nr, struct k_iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, nr, iocbs);
}

static long getevents(uint64_t ctx, long min, long nr, struct k_event *ev, struct timespec *ts)
{
	return syscall(SYS_io_getevents, ctx, min, nr, ev, ts);
}

static long cancel(uint64_t ctx, struct k_iocb *iocb, struct k_event *ev)
{
	return syscall(SYS_io_cancel, ctx, iocb, ev);
}

static void prep(struct k_iocb *cb, uint16_t op, int fd, void *buf, uint64_t n, int64_t off)
{
	memset(cb, 0, sizeof(*cb));
	cb->opcode = op;
	cb->fildes = fd;
	cb->buf = (uintptr_t)buf;
	cb->nbytes = n;
	cb->offset = off;
}

/* Submits one iocb; returns io_submit's answer (1, or -1 with errno). */
static long submit1(uint64_t ctx, struct k_iocb *cb)
{
	struct k_iocb *list[1] = {cb};
	return submit(ctx, 1, list);
}

/* Takes exactly one event (waiting up to 5 s). */
static struct k_event take1(uint64_t ctx)
{
	struct k_event ev;
	struct timespec ts = {5, 0};
	memset(&ev, 0, sizeof(ev));
	long n = getevents(ctx, 1, 1, &ev, &ts);
	if (n != 1)
		FAIL("io_getevents = %ld (%s)", n, h_errname(errno));
	return ev;
}

static void need_proc(void)
{
	if (access("/proc/sys", F_OK) != 0) {
		mkdir("/proc", 0555);
		EXPECT_OK(mount("proc", "/proc", "proc", 0, NULL));
	}
}

static unsigned long read_ulong(const char *path)
{
	need_proc();
	char buf[64] = {0};
	h_read_file(path, buf, sizeof(buf) - 1);
	return strtoul(buf, NULL, 10);
}

static void write_ulong(const char *path, unsigned long v)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%lu\n", v);
	h_write_file(path, buf);
}

static int tmpfile_rw(void)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/f", h_tmpdir());
	return EXPECT_OK(open(path, O_RDWR | O_CREAT, 0600));
}

static int is_mapped(uint64_t addr)
{
	unsigned char vec;
	return mincore((void *)addr, 4096, &vec) == 0;
}

TEST(aio, setup_errors)
{
	uint64_t ctx = 0;
	EXPECT_ERRNO(setup(1, NULL), EFAULT);
	EXPECT_ERRNO(setup(1, H_BAD_PTR), EFAULT);
	ctx = 1;
	EXPECT_ERRNO(setup(1, &ctx), EINVAL);
	EXPECT_EQ(ctx, 1);
	ctx = 0;
	EXPECT_ERRNO(setup(0, &ctx), EINVAL);
	EXPECT_ERRNO(setup(-1, &ctx), EINVAL);
	EXPECT_ERRNO(setup(0x10000000 / 32, &ctx), EINVAL);
	unsigned long max = read_ulong("/proc/sys/fs/aio-max-nr");
	EXPECT_EQ(max, 65536);
	EXPECT_ERRNO(setup(max + 1, &ctx), EAGAIN);
	EXPECT_EQ(ctx, 0);
	/* A read-only ctxp: the context is made, then taken down (EFAULT). */
	unsigned long before = read_ulong("/proc/sys/fs/aio-nr");
	uint64_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(ro != MAP_FAILED);
	EXPECT_ERRNO(setup(1, ro), EFAULT);
	EXPECT_EQ(read_ulong("/proc/sys/fs/aio-nr"), before);
	munmap(ro, 4096);
}

TEST(aio, ring_header)
{
	uint64_t ctx = 0, ctx2 = 0;
	EXPECT_OK(setup(1, &ctx));
	EXPECT_NE(ctx, 0);
	struct k_ring *ring = (struct k_ring *)ctx;
	EXPECT_EQX(ring->magic, 0xa10a10a1);
	EXPECT_EQ(ring->compat, 1);
	EXPECT_EQ(ring->incompat, 0);
	EXPECT_EQ(ring->header_length, 32);
	EXPECT_EQ(ring->head, 0);
	EXPECT_EQ(ring->tail, 0);
	/* The ring fills its pages: (pages * 4096 - 32) / 32 events. */
	EXPECT_EQ((ring->nr + 1) % 128, 0);
	EXPECT_GE(ring->nr, 127);
	EXPECT_OK(setup(1, &ctx2));
	EXPECT_NE(ctx2, ctx);
	EXPECT_NE(((struct k_ring *)ctx2)->id, ring->id);
	/* Shown in maps as Linux's aio pseudo file, shared and writable. */
	char maps[16384];
	need_proc();
	int fd = EXPECT_OK(open("/proc/self/maps", O_RDONLY));
	size_t n = h_read_all(fd, maps, sizeof(maps) - 1);
	maps[n] = 0;
	close(fd);
	char want[64];
	snprintf(want, sizeof(want), "%lx-", (unsigned long)ctx);
	char *line = strstr(maps, want);
	EXPECT_TRUE(line != NULL);
	char *end = strchr(line, '\n');
	if (end)
		*end = 0;
	EXPECT_TRUE(strstr(line, " rw-s ") != NULL);
	EXPECT_TRUE(strstr(line, "/[aio] (deleted)") != NULL);
	EXPECT_OK(destroy(ctx2));
	EXPECT_OK(destroy(ctx));
}

TEST(aio, aio_nr_and_limit)
{
	uint64_t a = 0, b = 0;
	unsigned long before = read_ulong("/proc/sys/fs/aio-nr");
	unsigned long max = read_ulong("/proc/sys/fs/aio-max-nr");
	EXPECT_OK(setup(7, &a));
	EXPECT_EQ(read_ulong("/proc/sys/fs/aio-nr"), before + 7);
	write_ulong("/proc/sys/fs/aio-max-nr", before + 7 + 5);
	EXPECT_ERRNO(setup(6, &b), EAGAIN);
	EXPECT_OK(setup(5, &b));
	EXPECT_EQ(read_ulong("/proc/sys/fs/aio-nr"), before + 12);
	EXPECT_OK(destroy(a));
	EXPECT_OK(destroy(b));
	write_ulong("/proc/sys/fs/aio-max-nr", max);
	EXPECT_EQ(read_ulong("/proc/sys/fs/aio-nr"), before);
}

TEST(aio, read_write)
{
	uint64_t ctx = 0;
	EXPECT_OK(setup(8, &ctx));
	int fd = tmpfile_rw();
	char out[] = "hello, aio";
	char in[32] = {0};
	struct k_iocb w, r;
	prep(&w, CMD_PWRITE, fd, out, 10, 100);
	w.data = 0x1234;
	w.key = 77;
	prep(&r, CMD_PREAD, fd, in, sizeof(in), 100);
	r.data = 0x5678;
	struct k_iocb *list[2] = {&w, &r};
	EXPECT_EQ(submit(ctx, 2, list), 2);
	EXPECT_EQ(w.key, 0);
	/* The file position does not move. */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	struct k_event ev[4];
	struct timespec ts = {1, 0};
	EXPECT_EQ(getevents(ctx, 2, 4, ev, &ts), 2);
	EXPECT_EQX(ev[0].data, 0x1234);
	EXPECT_EQX(ev[0].obj, (uintptr_t)&w);
	EXPECT_EQ(ev[0].res, 10);
	EXPECT_EQ(ev[0].res2, 0);
	EXPECT_EQX(ev[1].data, 0x5678);
	EXPECT_EQX(ev[1].obj, (uintptr_t)&r);
	EXPECT_EQ(ev[1].res, 10);
	EXPECT_MEMEQ(in, out, 10);
	/* Vectored, and a read past the end. */
	char a[3], b[4];
	struct iovec iov[2] = {{a, 3}, {b, 4}};
	prep(&r, CMD_PREADV, fd, iov, 2, 102);
	EXPECT_EQ(submit1(ctx, &r), 1);
	EXPECT_EQ(take1(ctx).res, 7);
	EXPECT_MEMEQ(a, "llo", 3);
	EXPECT_MEMEQ(b, ", ai", 4);
	struct iovec wv[2] = {{"ab", 2}, {"cd", 2}};
	prep(&w, CMD_PWRITEV, fd, wv, 2, 0);
	EXPECT_EQ(submit1(ctx, &w), 1);
	EXPECT_EQ(take1(ctx).res, 4);
	EXPECT_EQ(pread(fd, in, 4, 0), 4);
	EXPECT_MEMEQ(in, "abcd", 4);
	prep(&r, CMD_PREAD, fd, in, 8, 4096);
	EXPECT_EQ(submit1(ctx, &r), 1);
	EXPECT_EQ(take1(ctx).res, 0);
	/* A bad user buffer fails the transfer, not the submission. */
	prep(&r, CMD_PREAD, fd, H_BAD_PTR, 8, 100);
	EXPECT_EQ(submit1(ctx, &r), 1);
	EXPECT_EQ(take1(ctx).res, -EFAULT);
	/* A buffer outside user space fails the submission. */
	prep(&r, CMD_PREAD, fd, H_KERNEL_PTR, 8, 100);
	EXPECT_ERRNO(submit1(ctx, &r), EFAULT);
	/* Zero bytes completes with 0. */
	prep(&r, CMD_PREAD, fd, in, 0, 0);
	EXPECT_EQ(submit1(ctx, &r), 1);
	EXPECT_EQ(take1(ctx).res, 0);
	/* fsync and fdatasync of a tmpfs file. */
	prep(&r, CMD_FSYNC, fd, NULL, 0, 0);
	EXPECT_EQ(submit1(ctx, &r), 1);
	EXPECT_EQ(take1(ctx).res, 0);
	prep(&r, CMD_FDSYNC, fd, NULL, 0, 0);
	EXPECT_EQ(submit1(ctx, &r), 1);
	EXPECT_EQ(take1(ctx).res, 0);
	EXPECT_OK(destroy(ctx));
	close(fd);
}

TEST(aio, append_and_pipes)
{
	uint64_t ctx = 0;
	EXPECT_OK(setup(8, &ctx));
	char path[256];
	snprintf(path, sizeof(path), "%s/app", h_tmpdir());
	int fd = EXPECT_OK(open(path, O_RDWR | O_CREAT | O_APPEND, 0600));
	EXPECT_EQ(write(fd, "xyz", 3), 3);
	struct k_iocb cb;
	prep(&cb, CMD_PWRITE, fd, "12", 2, 0);
	EXPECT_EQ(submit1(ctx, &cb), 1);
	EXPECT_EQ(take1(ctx).res, 2);
	char buf[8] = {0};
	EXPECT_EQ(pread(fd, buf, 8, 0), 5);
	EXPECT_MEMEQ(buf, "xyz12", 5);
	close(fd);
	/* Pipes: the offset is ignored; a non-blocking empty pipe gives -EAGAIN. */
	int p[2];
	EXPECT_OK(pipe2(p, O_NONBLOCK));
	prep(&cb, CMD_PWRITE, p[1], "pipe", 4, 12345);
	EXPECT_EQ(submit1(ctx, &cb), 1);
	EXPECT_EQ(take1(ctx).res, 4);
	prep(&cb, CMD_PREAD, p[0], buf, 8, 999);
	EXPECT_EQ(submit1(ctx, &cb), 1);
	EXPECT_EQ(take1(ctx).res, 4);
	EXPECT_MEMEQ(buf, "pipe", 4);
	EXPECT_EQ(submit1(ctx, &cb), 1);
	EXPECT_EQ(take1(ctx).res, -EAGAIN);
	/* Pipes have no fsync. */
	prep(&cb, CMD_FSYNC, p[0], NULL, 0, 0);
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	close(p[0]);
	close(p[1]);
	EXPECT_OK(destroy(ctx));
}

TEST(aio, submit_errors)
{
	uint64_t ctx = 0, bad = 0;
	EXPECT_OK(setup(8, &ctx));
	int fd = tmpfile_rw();
	char path[256];
	snprintf(path, sizeof(path), "%s/f", h_tmpdir());
	int rdonly = EXPECT_OK(open(path, O_RDONLY));
	int wronly = EXPECT_OK(open(path, O_WRONLY));
	char buf[16];
	struct k_iocb cb, ok;
	prep(&ok, CMD_PREAD, fd, buf, 4, 0);
	struct k_iocb *list[3] = {&ok, &ok, &ok};
	EXPECT_ERRNO(submit(bad, 1, list), EINVAL);
	EXPECT_ERRNO(submit(bad, 0, list), EINVAL);
	EXPECT_ERRNO(submit(ctx, -1, list), EINVAL);
	EXPECT_EQ(submit(ctx, 0, NULL), 0);
	EXPECT_ERRNO(submit(ctx, 1, (void *)-1), EFAULT);
	struct k_iocb *nulls[1] = {NULL};
	EXPECT_ERRNO(submit(ctx, 1, nulls), EFAULT);
	prep(&cb, CMD_PREAD, -1, buf, 4, 0);
	EXPECT_ERRNO(submit1(ctx, &cb), EBADF);
	prep(&cb, CMD_PWRITE, rdonly, buf, 4, 0);
	EXPECT_ERRNO(submit1(ctx, &cb), EBADF);
	prep(&cb, CMD_PREAD, wronly, buf, 4, 0);
	EXPECT_ERRNO(submit1(ctx, &cb), EBADF);
	prep(&cb, CMD_PREAD, fd, buf, 4, 0);
	cb.reserved2 = 1;
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	prep(&cb, CMD_PREAD, fd, buf, (uint64_t)-1, 0);
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	prep(&cb, 4, fd, buf, 4, 0);
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	prep(&cb, 99, fd, buf, 4, 0);
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	prep(&cb, CMD_PREAD, fd, buf, 4, -1);
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	/* RWF_*: unknown bits, and RWF_NOWAIT on tmpfs, are EOPNOTSUPP. */
	prep(&cb, CMD_PREAD, fd, buf, 4, 0);
	cb.rw_flags = 0x100;
	EXPECT_ERRNO(submit1(ctx, &cb), EOPNOTSUPP);
	cb.rw_flags = 0x8;
	EXPECT_ERRNO(submit1(ctx, &cb), EOPNOTSUPP);
	cb.rw_flags = 0x4; /* RWF_SYNC */
	EXPECT_EQ(submit1(ctx, &cb), 1);
	take1(ctx);
	/* fsync with a buffer or a count. */
	prep(&cb, CMD_FSYNC, fd, buf, 0, 0);
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	prep(&cb, CMD_FDSYNC, fd, NULL, 1, 0);
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	/* A directory has no read_iter. */
	int dir = EXPECT_OK(open(h_tmpdir(), O_RDONLY | O_DIRECTORY));
	prep(&cb, CMD_PREAD, dir, buf, 4, 0);
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	/* IOCB_FLAG_RESFD: a bad descriptor, a file that is not an eventfd. */
	prep(&cb, CMD_PREAD, fd, buf, 4, 0);
	cb.flags = FLAG_RESFD;
	cb.resfd = 999;
	EXPECT_ERRNO(submit1(ctx, &cb), EBADF);
	cb.resfd = fd;
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	/* IOCB_FLAG_IOPRIO: an unknown class, a BE level past 7, a valid one. */
	prep(&cb, CMD_PREAD, fd, buf, 4, 0);
	cb.flags = FLAG_IOPRIO;
	cb.reqprio = (7 << 13);
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	cb.reqprio = (2 << 13) | 8;
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	cb.reqprio = (2 << 13) | 3;
	EXPECT_EQ(submit1(ctx, &cb), 1);
	take1(ctx);
	/* The first failure ends the batch: its count is what went in. */
	prep(&cb, CMD_PREAD, -1, buf, 4, 0);
	struct k_iocb *mixed[3] = {&ok, &cb, &ok};
	EXPECT_EQ(submit(ctx, 3, mixed), 1);
	take1(ctx);
	struct k_iocb *mixed2[3] = {&ok, &ok, NULL};
	EXPECT_EQ(submit(ctx, 3, mixed2), 2);
	struct k_event ev[2];
	struct timespec ts = {1, 0};
	EXPECT_EQ(getevents(ctx, 2, 2, ev, &ts), 2);
	EXPECT_OK(destroy(ctx));
	close(fd);
	close(rdonly);
	close(wronly);
	close(dir);
}

TEST(aio, ring_full)
{
	uint64_t ctx = 0;
	EXPECT_OK(setup(1, &ctx));
	struct k_ring *ring = (struct k_ring *)ctx;
	int fd = tmpfile_rw();
	char buf[4];
	struct k_iocb cb;
	prep(&cb, CMD_PREAD, fd, buf, 4, 0);
	long n = 0;
	while (n < 1000 && submit1(ctx, &cb) == 1)
		n++;
	EXPECT_EQ(errno, EAGAIN);
	/* At most nr - 1 (Linux's per-CPU caches may hold back a few). */
	EXPECT_LE(n, ring->nr - 1);
	EXPECT_GE(n, (ring->nr - 1) / 2);
	EXPECT_EQ(ring->tail, n);
	EXPECT_ERRNO(submit1(ctx, &cb), EAGAIN);
	/* Consuming an event frees a slot. */
	take1(ctx);
	EXPECT_EQ(ring->head, 1);
	EXPECT_EQ(submit1(ctx, &cb), 1);
	/* User space consumes by moving head itself. */
	ring->head = ring->tail;
	EXPECT_EQ(submit1(ctx, &cb), 1);
	struct k_event ev;
	struct timespec zero = {0, 0};
	EXPECT_EQ(getevents(ctx, 0, 1, &ev, &zero), 1);
	EXPECT_EQ(getevents(ctx, 0, 1, &ev, &zero), 0);
	EXPECT_OK(destroy(ctx));
	close(fd);
}

TEST(aio, getevents_rules)
{
	uint64_t ctx = 0;
	EXPECT_OK(setup(4, &ctx));
	struct k_event ev[4];
	struct timespec zero = {0, 0};
	EXPECT_ERRNO(getevents(0, 0, 0, NULL, NULL), EINVAL);
	/* A forged id: a page whose first word names this context's slot. */
	unsigned *forged = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(forged != MAP_FAILED);
	*forged = ((struct k_ring *)ctx)->id;
	EXPECT_ERRNO(getevents((uintptr_t)forged, 0, 1, ev, &zero), EINVAL);
	EXPECT_ERRNO(getevents(ctx + 1, 0, 1, ev, &zero), EINVAL);
	munmap(forged, 4096);
	EXPECT_ERRNO(getevents(ctx, -1, 1, ev, &zero), EINVAL);
	EXPECT_ERRNO(getevents(ctx, 2, 1, ev, &zero), EINVAL);
	EXPECT_ERRNO(getevents(ctx, 1, 1, ev, H_BAD_PTR), EFAULT);
	EXPECT_EQ(getevents(ctx, 0, 0, NULL, NULL), 0);
	EXPECT_EQ(getevents(ctx, 1, 1, ev, &zero), 0);
	/* A timeout that passes returns what arrived (nothing). */
	struct timespec t0, t1, short_ts = {0, 50 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(getevents(ctx, 1, 1, ev, &short_ts), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	EXPECT_GE(ms, 45);
	/* Events stay in the ring when they cannot be copied out. */
	int fd = tmpfile_rw();
	char buf[4];
	struct k_iocb cb;
	prep(&cb, CMD_PREAD, fd, buf, 4, 0);
	EXPECT_EQ(submit1(ctx, &cb), 1);
	EXPECT_ERRNO(getevents(ctx, 1, 1, NULL, &zero), EFAULT);
	EXPECT_ERRNO(getevents(ctx, 1, 1, H_BAD_PTR, &zero), EFAULT);
	/* min_nr 2 with one event and a short timeout: that one event. */
	EXPECT_EQ(getevents(ctx, 2, 4, ev, &short_ts), 1);
	EXPECT_EQX(ev[0].obj, (uintptr_t)&cb);
	EXPECT_OK(destroy(ctx));
	EXPECT_ERRNO(destroy(ctx), EINVAL);
	close(fd);
}

static volatile int got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

TEST(aio, getevents_signal)
{
	uint64_t ctx = 0;
	EXPECT_OK(setup(4, &ctx));
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	EXPECT_OK(sigaction(SIGUSR1, &sa, NULL));
	struct k_event ev;
	struct timespec ts = {10, 0};
	/* A signal that arrives while waiting: EINTR. */
	timer_t timer;
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	EXPECT_OK(timer_create(CLOCK_MONOTONIC, &sev, &timer));
	struct itimerspec its = {{0, 0}, {0, 50 * 1000 * 1000}};
	EXPECT_OK(timer_settime(timer, 0, &its, NULL));
	got_usr1 = 0;
	EXPECT_ERRNO(getevents(ctx, 1, 1, &ev, &ts), EINTR);
	EXPECT_EQ(got_usr1, 1);
	/* io_pgetevents: the mask given is in force while it waits (SIGUSR1 blocked outside,
	 * let in by the call), and the handler runs before the old mask returns. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	EXPECT_OK(sigprocmask(SIG_BLOCK, &block, &old));
	EXPECT_OK(timer_settime(timer, 0, &its, NULL));
	sigset_t empty;
	sigemptyset(&empty);
	struct {
		void *mask;
		size_t size;
	} usig = {&empty, 8};
	got_usr1 = 0;
	EXPECT_ERRNO(syscall(SYS_io_pgetevents, ctx, 1, 1, &ev, &ts, &usig), EINTR);
	EXPECT_EQ(got_usr1, 1);
	sigset_t now;
	EXPECT_OK(sigprocmask(SIG_BLOCK, NULL, &now));
	EXPECT_TRUE(sigismember(&now, SIGUSR1));
	/* A blocked signal pending does not interrupt when the mask keeps it blocked. */
	struct timespec zero = {0, 0};
	usig.mask = &block;
	raise(SIGUSR1);
	EXPECT_EQ(syscall(SYS_io_pgetevents, ctx, 1, 1, &ev, &zero, &usig), 0);
	/* A blocked signal is not a pending one for io_getevents either. */
	EXPECT_EQ(getevents(ctx, 0, 1, &ev, &zero), 0);
	/* Bad sigset size, bad pointers. */
	usig.size = 4;
	EXPECT_ERRNO(syscall(SYS_io_pgetevents, ctx, 1, 1, &ev, &zero, &usig), EINVAL);
	EXPECT_ERRNO(syscall(SYS_io_pgetevents, ctx, 1, 1, &ev, &zero, H_BAD_PTR), EFAULT);
	usig.size = 8;
	usig.mask = H_BAD_PTR;
	EXPECT_ERRNO(syscall(SYS_io_pgetevents, ctx, 1, 1, &ev, &zero, &usig), EFAULT);
	EXPECT_ERRNO(syscall(SYS_io_pgetevents, ctx, 1, 1, &ev, H_BAD_PTR, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_io_pgetevents, 0, 1, 1, &ev, &zero, NULL), EINVAL);
	/* No sigset at all: a plain io_getevents (the pending SIGUSR1 stays blocked). */
	EXPECT_EQ(syscall(SYS_io_pgetevents, ctx, 0, 1, &ev, &zero, NULL), 0);
	/* Unblocked, it is delivered now. */
	got_usr1 = 0;
	EXPECT_OK(sigprocmask(SIG_SETMASK, &old, NULL));
	EXPECT_EQ(got_usr1, 1);
	timer_delete(timer);
	EXPECT_OK(destroy(ctx));
}

TEST(aio, poll)
{
	uint64_t ctx = 0;
	EXPECT_OK(setup(8, &ctx));
	int p[2];
	EXPECT_OK(pipe(p));
	struct k_iocb cb, cb2;
	prep(&cb, CMD_POLL, p[0], NULL, 0, 0);
	cb.buf = POLLIN;
	cb.data = 42;
	EXPECT_EQ(submit1(ctx, &cb), 1);
	struct k_event ev;
	struct timespec zero = {0, 0};
	EXPECT_EQ(getevents(ctx, 1, 1, &ev, &zero), 0);
	EXPECT_EQ(write(p[1], "x", 1), 1);
	ev = take1(ctx);
	EXPECT_EQ(ev.data, 42);
	EXPECT_EQX(ev.obj, (uintptr_t)&cb);
	/* Completed by the wake-up: the pipe's whole readiness, not masked by what was asked. */
	EXPECT_EQX(ev.res, POLLIN | POLLRDNORM);
	/* Ready at submission: completes at once; the write end is writable. */
	EXPECT_EQ(submit1(ctx, &cb), 1);
	EXPECT_EQX(take1(ctx).res, POLLIN);
	prep(&cb2, CMD_POLL, p[1], NULL, 0, 0);
	cb2.buf = POLLOUT | POLLIN;
	EXPECT_EQ(submit1(ctx, &cb2), 1);
	EXPECT_EQX(take1(ctx).res, POLLOUT);
	/* A regular file (no poll method) is ready for POLLIN/POLLOUT, and a mask it can never
	 * meet is EINVAL. */
	int fd = tmpfile_rw();
	prep(&cb2, CMD_POLL, fd, NULL, 0, 0);
	cb2.buf = POLLIN | POLLPRI;
	EXPECT_EQ(submit1(ctx, &cb2), 1);
	EXPECT_EQX(take1(ctx).res, POLLIN);
	cb2.buf = POLLPRI;
	EXPECT_ERRNO(submit1(ctx, &cb2), EINVAL);
	/* Fields poll does not use must be zero; the mask must fit 16 bits. */
	prep(&cb2, CMD_POLL, p[0], NULL, 0, 1);
	cb2.buf = POLLIN;
	EXPECT_ERRNO(submit1(ctx, &cb2), EINVAL);
	prep(&cb2, CMD_POLL, p[0], NULL, 1, 0);
	cb2.buf = POLLIN;
	EXPECT_ERRNO(submit1(ctx, &cb2), EINVAL);
	prep(&cb2, CMD_POLL, p[0], NULL, 0, 0);
	cb2.buf = 0x10000 | POLLIN;
	EXPECT_ERRNO(submit1(ctx, &cb2), EINVAL);
	/* The pipe still holds "x": drain it, then cancel a pending poll. */
	char c;
	EXPECT_EQ(read(p[0], &c, 1), 1);
	prep(&cb, CMD_POLL, p[0], NULL, 0, 0);
	cb.buf = POLLIN;
	cb.data = 7;
	EXPECT_EQ(submit1(ctx, &cb), 1);
	EXPECT_ERRNO(cancel(ctx, &cb, &ev), EINPROGRESS);
	ev = take1(ctx);
	EXPECT_EQ(ev.data, 7);
	EXPECT_EQ(ev.res, 0);
	/* Done already: EINVAL; a key that is not 0: EINVAL; a bad iocb: EFAULT. */
	EXPECT_ERRNO(cancel(ctx, &cb, &ev), EINVAL);
	cb.key = 1;
	EXPECT_ERRNO(cancel(ctx, &cb, &ev), EINVAL);
	EXPECT_ERRNO(cancel(ctx, NULL, NULL), EFAULT);
	EXPECT_ERRNO(cancel(0, NULL, NULL), EFAULT);
	cb.key = 0;
	EXPECT_ERRNO(cancel(0, &cb, NULL), EINVAL);
	/* Reads and writes cannot be cancelled. */
	char buf[4];
	prep(&cb2, CMD_PREAD, fd, buf, 4, 0);
	EXPECT_EQ(submit1(ctx, &cb2), 1);
	EXPECT_ERRNO(cancel(ctx, &cb2, &ev), EINVAL);
	take1(ctx);
	close(fd);
	close(p[0]);
	close(p[1]);
	EXPECT_OK(destroy(ctx));
}

TEST(aio, resfd)
{
	uint64_t ctx = 0;
	EXPECT_OK(setup(8, &ctx));
	int efd = EXPECT_OK(eventfd(0, EFD_NONBLOCK));
	int fd = tmpfile_rw();
	char buf[4];
	struct k_iocb cb;
	prep(&cb, CMD_PWRITE, fd, "abcd", 4, 0);
	cb.flags = FLAG_RESFD;
	cb.resfd = efd;
	struct k_iocb *list[2] = {&cb, &cb};
	EXPECT_EQ(submit(ctx, 2, list), 2);
	uint64_t count = 0;
	EXPECT_EQ(read(efd, &count, 8), 8);
	EXPECT_EQ(count, 2);
	struct k_event ev[2];
	struct timespec ts = {1, 0};
	EXPECT_EQ(getevents(ctx, 2, 2, ev, &ts), 2);
	/* A pending poll signals its eventfd when it completes: wait on the eventfd. */
	int p[2];
	EXPECT_OK(pipe(p));
	prep(&cb, CMD_POLL, p[0], NULL, 0, 0);
	cb.buf = POLLIN;
	cb.flags = FLAG_RESFD;
	cb.resfd = efd;
	EXPECT_EQ(submit1(ctx, &cb), 1);
	EXPECT_ERRNO(read(efd, &count, 8), EAGAIN);
	EXPECT_EQ(write(p[1], "x", 1), 1);
	struct pollfd pfd = {efd, POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, 5000), 1);
	EXPECT_EQ(read(efd, &count, 8), 8);
	EXPECT_EQ(count, 1);
	ev[0] = take1(ctx);
	EXPECT_EQX(ev[0].res, POLLIN | POLLRDNORM);
	(void)buf;
	close(p[0]);
	close(p[1]);
	close(efd);
	close(fd);
	EXPECT_OK(destroy(ctx));
}

TEST(aio, destroy_unmaps)
{
	uint64_t ctx = 0;
	unsigned long before = read_ulong("/proc/sys/fs/aio-nr");
	EXPECT_OK(setup(3, &ctx));
	EXPECT_TRUE(is_mapped(ctx));
	/* A pending poll is cancelled by io_destroy. */
	int p[2];
	EXPECT_OK(pipe(p));
	struct k_iocb cb;
	prep(&cb, CMD_POLL, p[0], NULL, 0, 0);
	cb.buf = POLLIN;
	EXPECT_EQ(submit1(ctx, &cb), 1);
	EXPECT_OK(destroy(ctx));
	EXPECT_TRUE(!is_mapped(ctx));
	EXPECT_EQ(read_ulong("/proc/sys/fs/aio-nr"), before);
	EXPECT_ERRNO(destroy(ctx), EINVAL);
	EXPECT_ERRNO(destroy(0), EINVAL);
	EXPECT_ERRNO(destroy(~0ULL), EINVAL);
	close(p[0]);
	close(p[1]);
	/* Unmapping the ring by hand: the id no longer reads, so the context is unknown. */
	ctx = 0;
	EXPECT_OK(setup(3, &ctx));
	EXPECT_OK(munmap((void *)ctx, 4096));
	EXPECT_ERRNO(destroy(ctx), EINVAL);
	struct timespec zero = {0, 0};
	EXPECT_ERRNO(getevents(ctx, 0, 1, NULL, &zero), EINVAL);
}

TEST(aio, fork_child_has_no_contexts)
{
	uint64_t ctx = 0;
	EXPECT_OK(setup(3, &ctx));
	pid_t pid = h_fork();
	if (pid == 0) {
		struct timespec zero = {0, 0};
		struct k_event ev;
		/* The ring's mapping is copied (it is an ordinary shared mapping), but the child
		 * has no context: the table belongs to the parent's address space. */
		CHK(is_mapped(ctx));
		CHK(((struct k_ring *)ctx)->magic == 0xa10a10a1);
		CHK(getevents(ctx, 0, 1, &ev, &zero) == -1 && errno == EINVAL);
		CHK(destroy(ctx) == -1 && errno == EINVAL);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_TRUE(is_mapped(ctx));
	EXPECT_OK(destroy(ctx));
}

TEST(aio, mremap_ring)
{
	uint64_t ctx = 0;
	EXPECT_OK(setup(1, &ctx));
	/* The ring cannot grow. */
	EXPECT_TRUE(mremap((void *)ctx, 4096, 8192, MREMAP_MAYMOVE) == MAP_FAILED);
	EXPECT_EQ(errno, EFAULT);
	/* Moved, it is still the context, under its new address. */
	void *spot = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_TRUE(spot != MAP_FAILED);
	void *moved = mremap((void *)ctx, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, spot);
	EXPECT_TRUE(moved == spot);
	int fd = tmpfile_rw();
	char buf[4];
	struct k_iocb cb;
	prep(&cb, CMD_PREAD, fd, buf, 4, 0);
	EXPECT_ERRNO(submit1(ctx, &cb), EINVAL);
	uint64_t now = (uintptr_t)moved;
	EXPECT_EQ(submit1(now, &cb), 1);
	EXPECT_EQ(take1(now).res, 0);
	EXPECT_OK(destroy(now));
	EXPECT_TRUE(!is_mapped(now));
	close(fd);
}

static void exit_with_pending(void *arg)
{
	(void)arg;
	uint64_t ctx = 0;
	int p[2];
	CHK(setup(2, &ctx) == 0);
	CHK(pipe(p) == 0);
	struct k_iocb cb;
	prep(&cb, CMD_POLL, p[0], NULL, 0, 0);
	cb.buf = POLLIN;
	CHK(submit1(ctx, &cb) == 1);
	_exit(0);
}

TEST(aio, exit_with_pending_poll)
{
	unsigned long before = read_ulong("/proc/sys/fs/aio-nr");
	EXPECT_CHILD_OK(exit_with_pending, NULL);
	EXPECT_EQ(read_ulong("/proc/sys/fs/aio-nr"), before);
}
