/*
 * Suite ext4: file data of an ext4 file system through the page cache.
 *
 * Guards Linux 6.1's fs/ext4 (inode.c's ext4_da_write_begin, ext4_page_mkwrite,
 * ext4_writepages; file.c's ext4_file_mmap) and mm/page-writeback.c: a
 * MAP_SHARED mapping of an ext4 file writes the file (msync(MS_SYNC) writes
 * it back; read(2) sees it at once and after unmount and mount); write(2) is
 * seen through a mapping; truncation under a mapping makes the pages past
 * the end raise SIGBUS; dirty data is not on the disk right after write(2)
 * (delayed allocation), the flusher writes it after vm.dirty_expire_centisecs
 * (vm.dirty_writeback_centisecs apart), fsync puts it on the disk; a full
 * file system answers write(2) with ENOSPC and a first write through a
 * mapping of a hole with SIGBUS, and what was written before still fsyncs.
 * fs/super.c's sb_prepare_remount_readonly: remount,ro is EBUSY while a file
 * is open for writing.
 *
 * The disk is an image that mkfs.ext4 made on the host, attached as vda
 * (xtask boots the suite alone with it). On Linux the suite loads the virtio
 * modules the image carries. "On the disk" is read with O_DIRECT from
 * /dev/vda, past every cache.
 */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define DEV "/ext4dev"
#define MNT "/ext4"
#define PAGE 4096

static const char *const modules[] = {
	"virtio", "virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
	"virtio_pci", "virtio_blk",
};

/* Loads the virtio modules if the kernel has no vda, mounts devtmpfs and the
 * ext4 image at MNT. */
static void ext4_ready(void)
{
	if (access("/proc/self/stat", R_OK) != 0) {
		mkdir("/proc", 0555);
		EXPECT_OK(mount("proc", "/proc", "proc", 0, NULL));
	}
	if (access("/sys/kernel", R_OK) != 0) {
		mkdir("/sys", 0555);
		EXPECT_OK(mount("sysfs", "/sys", "sysfs", 0, NULL));
	}
	if (access("/sys/block/vda", F_OK) != 0) {
		for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
			char path[128];
			snprintf(path, sizeof path, "/lib/modules/virtio/%s.ko",
				 modules[i]);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				FAIL("no vda and no module %s: %s", path,
				     h_errname(errno));
			if (syscall(SYS_finit_module, fd, "", 0) != 0 &&
			    errno != EEXIST)
				FAIL("finit_module(%s): %s", path,
				     h_errname(errno));
			close(fd);
		}
	}
	if (access(DEV "/vda", F_OK) != 0) {
		mkdir(DEV, 0755);
		if (mount("devtmpfs", DEV, "devtmpfs", 0, NULL) != 0 &&
		    errno != EBUSY)
			FAIL("mount devtmpfs: %s", h_errname(errno));
	}
	for (int i = 0; i < 500 && access(DEV "/vda", F_OK) != 0; i++)
		usleep(10000);
	if (access(MNT "/lost+found", F_OK) != 0) {
		mkdir(MNT, 0755);
		EXPECT_OK(mount(DEV "/vda", MNT, "ext4", 0, NULL));
	}
}

static void remount(void)
{
	EXPECT_OK(umount(MNT));
	EXPECT_OK(mount(DEV "/vda", MNT, "ext4", 0, NULL));
}

static unsigned char byte_at(unsigned seed, size_t i)
{
	return (unsigned char)(seed * 131 + i * 7 + (i >> 12));
}

static void write_sysctl(const char *name, const char *value)
{
	char path[128];
	snprintf(path, sizeof path, "/proc/sys/vm/%s", name);
	int fd = EXPECT_OK(open(path, O_WRONLY));
	EXPECT_EQ(write(fd, value, strlen(value)), (long)strlen(value));
	close(fd);
}

/* A page that can be told apart from anything else on the disk. */
static void marker(unsigned char *page, unsigned id)
{
	memset(page, 0, PAGE);
	for (int i = 0; i < PAGE; i += 64)
		snprintf((char *)page + i, 64, "ferrux-pagecache-marker %08x %04d",
			 id, i);
}

/* Whether the first KiB of `page` is in some block of the disk, read with
 * O_DIRECT. */
static int on_disk(const unsigned char *page)
{
	int fd = EXPECT_OK(open(DEV "/vda", O_RDONLY | O_DIRECT));
	size_t chunk = 1 << 20;
	unsigned char *buf = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	int found = 0;
	for (off_t at = 0; !found; at += chunk) {
		ssize_t n = pread(fd, buf, chunk, at);
		if (n < 0)
			FAIL("pread vda: %s", h_errname(errno));
		if (n == 0)
			break;
		/* The image's blocks may be 1 KiB: look for the page's first
		 * block at every block boundary. */
		for (ssize_t i = 0; i + 1024 <= n; i += 1024)
			if (memcmp(buf + i, page, 1024) == 0)
				found = 1;
	}
	munmap(buf, chunk);
	close(fd);
	return found;
}

TEST_ALONE(ext4, shared_mapping_written_back_and_read_after_remount)
{
	ext4_ready();
	size_t len = 3 * PAGE + 100;
	int fd = EXPECT_OK(open(MNT "/mapped", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_OK(ftruncate(fd, len));
	unsigned char *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				  fd, 0);
	if (map == MAP_FAILED)
		FAIL("mmap MAP_SHARED: %s", h_errname(errno));
	for (size_t i = 0; i < len; i++)
		map[i] = byte_at(1, i);
	EXPECT_OK(msync(map, len, MS_SYNC));
	EXPECT_OK(munmap(map, len));
	unsigned char buf[3 * PAGE + 100];
	EXPECT_EQ(pread(fd, buf, sizeof buf, 0), (long)len);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != byte_at(1, i))
			FAIL("byte %zu reads %u through read(2)", i, buf[i]);
	close(fd);
	remount();
	fd = EXPECT_OK(open(MNT "/mapped", O_RDONLY));
	memset(buf, 0, sizeof buf);
	EXPECT_EQ(pread(fd, buf, sizeof buf, 0), (long)len);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != byte_at(1, i))
			FAIL("byte %zu reads %u after the remount", i, buf[i]);
	close(fd);
	EXPECT_OK(unlink(MNT "/mapped"));
}

TEST_ALONE(ext4, write_and_mapping_see_each_other)
{
	ext4_ready();
	int fd = EXPECT_OK(open(MNT "/both", O_RDWR | O_CREAT | O_TRUNC, 0644));
	char text[] = "written by write(2)";
	EXPECT_EQ(pwrite(fd, text, sizeof text, 5000), (long)sizeof text);
	char *map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	EXPECT_EQ(memcmp(map + 5000, text, sizeof text), 0);
	EXPECT_EQ(map[100], 0);
	memcpy(map + 10, "via the map", 11);
	char got[11];
	EXPECT_EQ(pread(fd, got, sizeof got, 10), 11);
	EXPECT_EQ(memcmp(got, "via the map", 11), 0);
	EXPECT_EQ(pwrite(fd, "again", 5, 5000), 5);
	EXPECT_EQ(memcmp(map + 5000, "again", 5), 0);
	EXPECT_OK(fsync(fd));
	EXPECT_OK(munmap(map, 2 * PAGE));
	struct stat st;
	EXPECT_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 5000 + (long)sizeof text);
	close(fd);
	EXPECT_OK(unlink(MNT "/both"));
}

static sigjmp_buf bus_jump;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jump, 1);
}

/* Whether writing (or reading) `*p` raises SIGBUS. */
static int raises_sigbus(volatile char *p, int is_write)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	sigaction(SIGBUS, &sa, &old);
	int hit = 0;
	if (sigsetjmp(bus_jump, 1) == 0) {
		if (is_write)
			*p = 1;
		else
			(void)*p;
	} else {
		hit = 1;
	}
	sigaction(SIGBUS, &old, NULL);
	return hit;
}

TEST_ALONE(ext4, truncation_under_a_mapping_raises_sigbus)
{
	ext4_ready();
	int fd = EXPECT_OK(open(MNT "/shrunk", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_OK(ftruncate(fd, 3 * PAGE));
	char *map = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	memset(map, 'a', 3 * PAGE);
	EXPECT_OK(ftruncate(fd, PAGE + 10));
	EXPECT_EQ(raises_sigbus(map + 2 * PAGE, 0), 1);
	EXPECT_EQ(raises_sigbus(map + PAGE + 100, 1), 0);
	/* The tail of the last page past the end reads as zeros. */
	EXPECT_EQ(map[PAGE + 9], 'a');
	EXPECT_OK(ftruncate(fd, 3 * PAGE));
	EXPECT_EQ(map[PAGE + 10], 0);
	EXPECT_EQ(map[2 * PAGE], 0);
	EXPECT_OK(munmap(map, 3 * PAGE));
	close(fd);
	EXPECT_OK(unlink(MNT "/shrunk"));
}

TEST_ALONE(ext4, flusher_writes_expired_data_and_fsync_writes_at_once)
{
	ext4_ready();
	static unsigned char page[PAGE];
	/* Periodic write-back off: written data stays in memory. */
	write_sysctl("dirty_writeback_centisecs", "0");
	marker(page, 0x5eed0001);
	int fd = EXPECT_OK(open(MNT "/synced", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(write(fd, page, PAGE), PAGE);
	EXPECT_EQ(on_disk(page), 0);
	EXPECT_OK(fsync(fd));
	EXPECT_EQ(on_disk(page), 1);
	close(fd);

	/* The flusher: every half second, data older than one second. */
	marker(page, 0x5eed0002);
	fd = EXPECT_OK(open(MNT "/flushed", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(write(fd, page, PAGE), PAGE);
	EXPECT_EQ(on_disk(page), 0);
	write_sysctl("dirty_expire_centisecs", "100");
	write_sysctl("dirty_writeback_centisecs", "50");
	int found = 0;
	for (int i = 0; i < 30 && !found; i++) {
		usleep(500000);
		found = on_disk(page);
	}
	write_sysctl("dirty_expire_centisecs", "3000");
	write_sysctl("dirty_writeback_centisecs", "500");
	EXPECT_EQ(found, 1);
	close(fd);
	EXPECT_OK(unlink(MNT "/synced"));
	EXPECT_OK(unlink(MNT "/flushed"));
}

TEST_ALONE(ext4, a_full_file_system_is_enospc_for_write_and_sigbus_for_a_map)
{
	ext4_ready();
	int hole = EXPECT_OK(open(MNT "/hole", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_OK(ftruncate(hole, 16 * PAGE));
	char *map = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 hole, 0);
	if (map == MAP_FAILED)
		FAIL("mmap: %s", h_errname(errno));
	/* A page written before the disk fills keeps its reservation. */
	map[0] = 'x';
	int fd = EXPECT_OK(open(MNT "/filler", O_RDWR | O_CREAT | O_TRUNC, 0644));
	static char chunk[1 << 20];
	memset(chunk, 'f', sizeof chunk);
	long total = 0;
	int error = 0;
	for (int i = 0; i < 200; i++) {
		ssize_t n = write(fd, chunk, sizeof chunk);
		if (n < 0) {
			error = errno;
			break;
		}
		total += n;
	}
	EXPECT_EQ(error, ENOSPC);
	if (total < (8 << 20))
		FAIL("only %ld bytes before ENOSPC", total);
	EXPECT_OK(fsync(fd));
	/* Reading a hole through the map is fine; writing it needs a block. */
	EXPECT_EQ(raises_sigbus(map + 8 * PAGE, 0), 0);
	EXPECT_EQ(raises_sigbus(map + 8 * PAGE, 1), 1);
	map[1] = 'y';
	EXPECT_OK(msync(map, 16 * PAGE, MS_SYNC));
	EXPECT_OK(munmap(map, 16 * PAGE));
	char got[2];
	EXPECT_EQ(pread(hole, got, 2, 0), 2);
	EXPECT_EQ(got[0], 'x');
	EXPECT_EQ(got[1], 'y');
	close(fd);
	close(hole);
	EXPECT_OK(unlink(MNT "/filler"));
	EXPECT_OK(unlink(MNT "/hole"));
	/* The space is back. */
	fd = EXPECT_OK(open(MNT "/after", O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(write(fd, chunk, sizeof chunk), (long)sizeof chunk);
	EXPECT_OK(fsync(fd));
	close(fd);
	EXPECT_OK(unlink(MNT "/after"));
	EXPECT_OK(umount(MNT));
}

/* mount -o remount,ro while a regular file is open for writing is EBUSY
 * (sb_prepare_remount_readonly); a file open for reading, or one opened for
 * writing and closed, does not stop it; the read-only mount refuses writes
 * and remounts read-write. */
TEST_ALONE(ext4, remount_read_only_is_ebusy_while_a_file_is_open_for_writing)
{
	ext4_ready();
	int fd = EXPECT_OK(open(MNT "/busy", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	EXPECT_EQ(write(fd, "x", 1), 1L);
	EXPECT_ERRNO(mount(NULL, MNT, NULL, MS_REMOUNT | MS_RDONLY, NULL), EBUSY);
	/* Still read-write. */
	EXPECT_EQ(write(fd, "y", 1), 1L);
	close(fd);
	int reader = EXPECT_OK(open(MNT "/busy", O_RDONLY));
	EXPECT_OK(mount(NULL, MNT, NULL, MS_REMOUNT | MS_RDONLY, NULL));
	EXPECT_ERRNO(open(MNT "/busy", O_WRONLY), EROFS);
	char buf[4] = {0};
	EXPECT_EQ(read(reader, buf, sizeof buf), 2L);
	EXPECT_EQ(memcmp(buf, "xy", 2), 0);
	close(reader);
	EXPECT_OK(mount(NULL, MNT, NULL, MS_REMOUNT, NULL));
	EXPECT_OK(unlink(MNT "/busy"));
}

/* Debian's checkroot.sh remounts / with fstab's options ("errors=remount-ro"):
 * a remount takes ext4's own options, checked as a mount checks them. */
TEST_ALONE(ext4, remount_takes_ext4_options)
{
	ext4_ready();
	EXPECT_OK(mount(DEV "/vda", MNT, NULL, MS_REMOUNT | MS_RDONLY,
			"errors=remount-ro"));
	EXPECT_ERRNO(open(MNT "/refused", O_WRONLY | O_CREAT, 0644), EROFS);
	EXPECT_OK(mount(DEV "/vda", MNT, NULL, MS_REMOUNT,
			"errors=remount-ro,barrier=1,data=ordered"));
	int fd = EXPECT_OK(open(MNT "/allowed", O_WRONLY | O_CREAT, 0644));
	close(fd);
	EXPECT_OK(unlink(MNT "/allowed"));
	EXPECT_OK(mount(NULL, MNT, NULL, MS_REMOUNT, "errors=continue"));
	EXPECT_ERRNO(mount(NULL, MNT, NULL, MS_REMOUNT, "errors=sometimes"),
		     EINVAL);
	EXPECT_ERRNO(mount(NULL, MNT, NULL, MS_REMOUNT, "no_such_option"),
		     EINVAL);
	EXPECT_ERRNO(mount(NULL, MNT, NULL, MS_REMOUNT, "data=journal"),
		     EINVAL);
	/* The failed remounts changed nothing: still writable. */
	fd = EXPECT_OK(open(MNT "/still", O_WRONLY | O_CREAT, 0644));
	close(fd);
	EXPECT_OK(unlink(MNT "/still"));
}
