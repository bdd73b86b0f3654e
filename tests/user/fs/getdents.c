/*
 * Suite getdents: getdents64(2) as the raw syscall.
 *
 * Guards Linux's fs/readdir.c (filldir64: records are 8-byte aligned
 * linux_dirent64 with d_ino, d_off, d_reclen, d_type and a NUL-terminated
 * name; a buffer too small for even one record is EINVAL; a call resumes where
 * the previous one stopped; the end of the directory returns 0; a non-directory
 * is ENOTDIR; a bad fd is EBADF; a bad buffer is EFAULT) and the dcache_readdir
 * of tmpfs/ramfs ("." and ".." first, d_type from the inode).  lseek(fd, 0,
 * SEEK_SET) rewinds.  Man page getdents(2).
 */
#include "harness.h"

#include <dirent.h>
#include <sys/stat.h>

static long raw_getdents(int fd, void *buf, size_t len)
{
	return syscall(SYS_getdents64, fd, buf, len);
}

struct entry {
	char name[64];
	unsigned char type;
	uint64_t ino;
};

/* Read the whole directory with a buffer of bufsize bytes. */
static int read_all(int fd, size_t bufsize, struct entry *out, int max)
{
	static char buf[65536] __attribute__((aligned(8)));
	int n = 0;
	for (;;) {
		long got = raw_getdents(fd, buf, bufsize);
		if (got < 0)
			FAIL("getdents64(%zu): %s", bufsize, h_errname(errno));
		if (got == 0)
			break;
		long off = 0;
		while (off < got) {
			struct k_dirent64 *d = (struct k_dirent64 *)(buf + off);
			size_t namelen = strlen(d->d_name);
			if (d->d_reclen % 8 != 0)
				FAIL("d_reclen %u is not a multiple of 8",
				     d->d_reclen);
			if (d->d_reclen < offsetof(struct k_dirent64, d_name) + namelen + 1)
				FAIL("d_reclen %u too small for \"%s\"",
				     d->d_reclen, d->d_name);
			if (n >= max)
				FAIL("more than %d entries", max);
			size_t l = namelen < sizeof out[n].name - 1
					   ? namelen
					   : sizeof out[n].name - 1;
			memcpy(out[n].name, d->d_name, l);
			out[n].name[l] = 0;
			out[n].type = d->d_type;
			out[n].ino = d->d_ino;
			n++;
			off += d->d_reclen;
		}
		if (off != got)
			FAIL("records add up to %ld, getdents64 returned %ld",
			     off, got);
	}
	return n;
}

static const struct entry *find(const struct entry *e, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(e[i].name, name))
			return &e[i];
	return NULL;
}

TEST(getdents, empty_directory)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	struct entry e[8];
	int n = read_all(fd, 4096, e, 8);
	EXPECT_EQ(n, 2);
	const struct entry *dot = find(e, n, "."), *dotdot = find(e, n, "..");
	EXPECT_TRUE(dot != NULL);
	EXPECT_TRUE(dotdot != NULL);
	EXPECT_EQ(dot->type, DT_DIR);
	EXPECT_EQ(dotdot->type, DT_DIR);
	struct stat st;
	EXPECT_OK(stat("d", &st));
	EXPECT_EQ(dot->ino, st.st_ino);
	EXPECT_OK(stat(".", &st));
	EXPECT_EQ(dotdot->ino, st.st_ino);
}

TEST(getdents, names_and_types)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/file", "x");
	EXPECT_OK(mkdir("d/sub", 0755));
	EXPECT_OK(symlink("file", "d/link"));
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	struct entry e[16];
	int n = read_all(fd, 4096, e, 16);
	EXPECT_EQ(n, 5);
	const struct entry *f = find(e, n, "file"), *s = find(e, n, "sub"),
			   *l = find(e, n, "link");
	EXPECT_TRUE(f && s && l);
	EXPECT_EQ(f->type, DT_REG);
	EXPECT_EQ(s->type, DT_DIR);
	EXPECT_EQ(l->type, DT_LNK);
	struct stat st;
	EXPECT_OK(lstat("d/file", &st));
	EXPECT_EQ(f->ino, st.st_ino);
	EXPECT_OK(lstat("d/link", &st));
	EXPECT_EQ(l->ino, st.st_ino);
}

TEST(getdents, small_buffer_resumes)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	char name[64];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "d/entry-%02d", i);
		h_write_file(name, "");
	}
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	static struct entry big[64], small[64];
	int nbig = read_all(fd, 65536, big, 64);
	EXPECT_EQ(nbig, 42);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	/* 32 bytes hold exactly one "entry-NN" record (19 + 9 -> 32). */
	int nsmall = read_all(fd, 32, small, 64);
	EXPECT_EQ(nsmall, 42);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "entry-%02d", i);
		if (!find(small, nsmall, name))
			FAIL("%s missing when read 32 bytes at a time", name);
		if (!find(big, nbig, name))
			FAIL("%s missing", name);
	}
	EXPECT_TRUE(find(small, nsmall, ".") && find(small, nsmall, ".."));
}

TEST(getdents, one_record_per_call)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/abcdefgh", "");
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	char buf[40] __attribute__((aligned(8)));
	/* Each record here is 24 or 32 bytes: two never fit in 40. */
	int calls = 0;
	long got;
	while ((got = EXPECT_OK(raw_getdents(fd, buf, sizeof buf))) > 0) {
		struct k_dirent64 *d = (struct k_dirent64 *)buf;
		EXPECT_EQ(got, d->d_reclen);
		if (++calls > 100)
			FAIL("getdents64 never reached the end");
	}
	EXPECT_EQ(calls, 3);
}

TEST(getdents, buffer_too_small_einval)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	char buf[64] __attribute__((aligned(8)));
	EXPECT_ERRNO(raw_getdents(fd, buf, 1), EINVAL);
	/* The record for "." needs 24 bytes. */
	EXPECT_ERRNO(raw_getdents(fd, buf, 23), EINVAL);
	EXPECT_EQ(raw_getdents(fd, buf, 24), 24);
	EXPECT_STREQ(((struct k_dirent64 *)buf)->d_name, ".");
	/* A zero-length buffer is EINVAL as well (nothing fits). */
	EXPECT_ERRNO(raw_getdents(fd, buf, 0), EINVAL);
}

TEST(getdents, end_returns_zero)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	char buf[4096] __attribute__((aligned(8)));
	EXPECT_EQ(raw_getdents(fd, buf, sizeof buf), 48);
	EXPECT_EQ(raw_getdents(fd, buf, sizeof buf), 0);
	EXPECT_EQ(raw_getdents(fd, buf, sizeof buf), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(raw_getdents(fd, buf, sizeof buf), 48);
}

TEST(getdents, unlinked_entry_gone)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/a", "");
	h_write_file("d/b", "");
	EXPECT_OK(unlink("d/a"));
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	struct entry e[8];
	int n = read_all(fd, 4096, e, 8);
	EXPECT_EQ(n, 3);
	EXPECT_TRUE(find(e, n, "a") == NULL);
	EXPECT_TRUE(find(e, n, "b") != NULL);
}

TEST(getdents, enotdir_ebadf_efault)
{
	h_tmpdir();
	h_write_file("f", "x");
	char buf[256] __attribute__((aligned(8)));
	int fd = EXPECT_OK(open("f", O_RDONLY));
	EXPECT_ERRNO(raw_getdents(fd, buf, sizeof buf), ENOTDIR);
	EXPECT_ERRNO(raw_getdents(-1, buf, sizeof buf), EBADF);
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(raw_getdents(fd, buf, sizeof buf), EBADF);
	EXPECT_OK(mkdir("d", 0755));
	int dfd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_ERRNO(raw_getdents(dfd, H_BAD_PTR, sizeof buf), EFAULT);
	int pfd = EXPECT_OK(open("d", O_PATH));
	EXPECT_ERRNO(raw_getdents(pfd, buf, sizeof buf), EBADF);
}

TEST(getdents, root_directory)
{
	int fd = EXPECT_OK(open("/", O_RDONLY | O_DIRECTORY));
	static struct entry e[256];
	int n = read_all(fd, 4096, e, 256);
	EXPECT_TRUE(find(e, n, ".") && find(e, n, ".."));
	const struct entry *tmp = find(e, n, "tmp"), *dev = find(e, n, "dev");
	EXPECT_TRUE(tmp && dev);
	EXPECT_EQ(tmp->type, DT_DIR);
	EXPECT_EQ(dev->type, DT_DIR);
	/* ".." of the root is the root itself. */
	EXPECT_EQ(find(e, n, "..")->ino, find(e, n, ".")->ino);
}

TEST(getdents, dev_types)
{
	int fd = EXPECT_OK(open("/dev", O_RDONLY | O_DIRECTORY));
	static struct entry e[1024];
	int n = read_all(fd, 8192, e, 1024);
	const struct entry *null = find(e, n, "null"), *con = find(e, n, "console");
	EXPECT_TRUE(null && con);
	EXPECT_EQ(null->type, DT_CHR);
	EXPECT_EQ(con->type, DT_CHR);
}

/* The old getdents (fs/readdir.c filldir): struct linux_dirent, d_type in
 * the last byte of each record, records 8-byte aligned from
 * offsetof(d_name) + namelen + 2. */
struct k_dirent {
	unsigned long d_ino;
	unsigned long d_off;
	unsigned short d_reclen;
	char d_name[];
};

TEST(getdents, old_format)
{
	h_tmpdir();
	EXPECT_OK(mkdir("d", 0755));
	h_write_file("d/abc", "x");
	EXPECT_OK(mkdir("d/sub", 0755));
	EXPECT_OK(symlink("abc", "d/a-longer-name"));
	int fd = EXPECT_OK(open("d", O_RDONLY | O_DIRECTORY));
	static char buf[4096] __attribute__((aligned(8)));
	long got = EXPECT_OK(syscall(SYS_getdents, fd, buf, sizeof buf));
	int seen = 0;
	unsigned long last_off = 0;
	for (long off = 0; off < got;) {
		struct k_dirent *d = (struct k_dirent *)(buf + off);
		size_t namelen = strlen(d->d_name);
		size_t want = (offsetof(struct k_dirent, d_name) + namelen + 2 + 7) & ~7UL;
		EXPECT_EQ(d->d_reclen, want);
		unsigned char type = buf[off + d->d_reclen - 1];
		struct stat st;
		char path[300];
		snprintf(path, sizeof path, "d/%.255s", d->d_name);
		EXPECT_OK(lstat(path, &st));
		EXPECT_EQ(d->d_ino, st.st_ino);
		if (!strcmp(d->d_name, "abc"))
			EXPECT_EQ(type, DT_REG), seen |= 1;
		else if (!strcmp(d->d_name, "sub"))
			EXPECT_EQ(type, DT_DIR), seen |= 2;
		else if (!strcmp(d->d_name, "a-longer-name"))
			EXPECT_EQ(type, DT_LNK), seen |= 4;
		else if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			EXPECT_EQ(type, DT_DIR), seen |= strlen(d->d_name) == 1 ? 8 : 16;
		last_off = d->d_off;
		off += d->d_reclen;
	}
	EXPECT_EQ(seen, 31);
	/* The end: 0; resuming from the last d_off also gives 0. */
	EXPECT_EQ(syscall(SYS_getdents, fd, buf, sizeof buf), 0);
	EXPECT_EQ(lseek(fd, last_off, SEEK_SET), (off_t)last_off);
	EXPECT_EQ(syscall(SYS_getdents, fd, buf, sizeof buf), 0);
	/* One 24-byte record fits in 24 bytes, not in 23. */
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_ERRNO(syscall(SYS_getdents, fd, buf, 23), EINVAL);
	EXPECT_EQ(syscall(SYS_getdents, fd, buf, 24), 24);
	/* Errors as getdents64. */
	int file = EXPECT_OK(open("d/abc", O_RDONLY));
	EXPECT_ERRNO(syscall(SYS_getdents, file, buf, sizeof buf), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_getdents, -1, buf, sizeof buf), EBADF);
	EXPECT_ERRNO(syscall(SYS_getdents, fd, H_BAD_PTR, sizeof buf), EFAULT);
	int path = EXPECT_OK(open("d", O_PATH));
	EXPECT_ERRNO(syscall(SYS_getdents, path, buf, sizeof buf), EBADF);
}
