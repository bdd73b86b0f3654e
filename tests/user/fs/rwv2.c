/*
 * Suite rwv2: preadv2(2) and pwritev2(2).
 *
 * Guards Linux's fs/read_write.c (a position of -1 uses and moves the file
 * position, as readv/writev; other negative positions are EINVAL before the
 * descriptor is looked at; a pipe with a position is ESPIPE) and
 * kiocb_set_rw_flags (flags outside RWF_SUPPORTED are EOPNOTSUPP, but only
 * once there is something to transfer; RWF_NOWAIT needs FMODE_NOWAIT, which
 * neither tmpfs files nor pipes have in 6.1; RWF_APPEND writes at the end
 * whatever the position; RWF_HIPRI/DSYNC/SYNC are accepted).
 */
#include "harness.h"

#include <sys/uio.h>

#define RWF_HIPRI_ 0x01
#define RWF_DSYNC_ 0x02
#define RWF_SYNC_ 0x04
#define RWF_NOWAIT_ 0x08
#define RWF_APPEND_ 0x10

static long raw_preadv2(int fd, const struct iovec *iov, int n, long pos,
			int flags)
{
	return syscall(SYS_preadv2, fd, iov, n, pos, 0L, flags);
}

static long raw_pwritev2(int fd, const struct iovec *iov, int n, long pos,
			 int flags)
{
	return syscall(SYS_pwritev2, fd, iov, n, pos, 0L, flags);
}

static int temp_file(void)
{
	char path[256];
	snprintf(path, sizeof path, "%s/f", h_tmpdir());
	return EXPECT_OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
}

TEST(rwv2, positions)
{
	int fd = temp_file();
	char a[] = "0123", b[] = "456789";
	struct iovec w[2] = {{a, 4}, {b, 6}};
	/* -1: at the file position, which moves. */
	EXPECT_EQ(raw_pwritev2(fd, w, 2, -1, 0), 10);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 10);
	/* An explicit position leaves it alone. */
	EXPECT_EQ(raw_pwritev2(fd, w, 1, 2, RWF_DSYNC_ | RWF_SYNC_), 4);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 10);
	char r1[3] = {0}, r2[8] = {0};
	struct iovec r[2] = {{r1, 2}, {r2, 7}};
	EXPECT_EQ(raw_preadv2(fd, r, 2, 0, RWF_HIPRI_), 9);
	EXPECT_MEMEQ(r1, "01", 2);
	EXPECT_MEMEQ(r2, "0123678", 7);
	EXPECT_EQ(lseek(fd, 3, SEEK_SET), 3);
	EXPECT_EQ(raw_preadv2(fd, r, 1, -1, 0), 2);
	EXPECT_MEMEQ(r1, "12", 2);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5);
	EXPECT_ERRNO(raw_preadv2(fd, r, 1, -2, 0), EINVAL);
	EXPECT_ERRNO(raw_preadv2(-1, r, 1, -2, 0), EINVAL);
	EXPECT_ERRNO(raw_pwritev2(fd, w, 1, -2, 0), EINVAL);
	close(fd);
}

TEST(rwv2, append_writes_at_the_end)
{
	int fd = temp_file();
	struct iovec w = {"abc", 3};
	EXPECT_EQ(raw_pwritev2(fd, &w, 1, 0, 0), 3);
	struct iovec x = {"XY", 2};
	EXPECT_EQ(raw_pwritev2(fd, &x, 1, 0, RWF_APPEND_), 2);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(raw_pwritev2(fd, &x, 1, -1, RWF_APPEND_), 2);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 7);
	char buf[16] = {0};
	EXPECT_EQ(pread(fd, buf, sizeof buf, 0), 7);
	EXPECT_STREQ(buf, "abcXYXY");
	close(fd);
}

TEST(rwv2, flags)
{
	int fd = temp_file();
	char c = 'c';
	struct iovec one = {&c, 1}, none = {&c, 0};
	EXPECT_ERRNO(raw_pwritev2(fd, &one, 1, 0, 0x20), EOPNOTSUPP);
	EXPECT_ERRNO(raw_preadv2(fd, &one, 1, 0, 0x100), EOPNOTSUPP);
	/* Nothing to transfer: the flags are not looked at. */
	EXPECT_EQ(raw_pwritev2(fd, &none, 1, 0, 0x20), 0);
	EXPECT_EQ(raw_preadv2(fd, &none, 1, 0, 0x20), 0);
	/* tmpfs files have no FMODE_NOWAIT in 6.1. */
	EXPECT_ERRNO(raw_pwritev2(fd, &one, 1, 0, RWF_NOWAIT_), EOPNOTSUPP);
	EXPECT_ERRNO(raw_preadv2(fd, &one, 1, 0, RWF_NOWAIT_), EOPNOTSUPP);
	close(fd);
}

TEST(rwv2, pipes)
{
	int p[2];
	h_pipe(p);
	char buf[8] = {0};
	struct iovec r = {buf, sizeof buf};
	EXPECT_ERRNO(raw_preadv2(p[0], &r, 1, 0, 0), ESPIPE);
	struct iovec w = {"hi", 2};
	/* 6.1's pipes have no FMODE_NOWAIT. */
	EXPECT_ERRNO(raw_pwritev2(p[1], &w, 1, -1, RWF_NOWAIT_), EOPNOTSUPP);
	EXPECT_ERRNO(raw_preadv2(p[0], &r, 1, -1, RWF_NOWAIT_), EOPNOTSUPP);
	EXPECT_EQ(raw_pwritev2(p[1], &w, 1, -1, RWF_HIPRI_), 2);
	EXPECT_EQ(raw_preadv2(p[0], &r, 1, -1, 0), 2);
	EXPECT_MEMEQ(buf, "hi", 2);
	close(p[0]);
	close(p[1]);
}
