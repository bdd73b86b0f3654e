/*
 * Suite blk: virtio disks through their device files, sysfs and
 * /proc/partitions.
 *
 * Guards Linux 6.1's block layer as a virtio guest sees it: drivers/block/
 * virtio_blk.c (major 254, the first dynamic major, "virtblk"; 16 minors a
 * disk; vda, vdb…; the RO feature), block/partitions/{msdos,efi,core}.c (MBR
 * primaries keep their slot numbers, an extended partition shows as 2
 * sectors, logical ones count from 5; GPT entries keep their slot numbers;
 * partitions past the end of the disk are dropped; a garbage table gives no
 * partitions, never a crash), block/genhd.c (/proc/partitions, /sys/block),
 * block/fops.c (reads, writes, ENOSPC at the end, fsync) and block/ioctl.c
 * (BLKGETSIZE64, BLKGETSIZE, BLKSSZGET, BLKPBSZGET, BLKROGET, BLKFLSBUF,
 * BLKRRPART, HDIO_GETGEO).
 *
 * The disks are made by xtask (xtask/src/disks.rs), fresh for each boot:
 * vda (32 MiB, MBR: vda1 2048+8192, vda2 extended at 10240, vda5 12288+4096,
 * vda6 18495+1000), vdb (16 MiB, GPT: vdb1 2048+2048, vdb3 8192+8192), vdc
 * (4 MiB, a hostile MBR), vdd (4 MiB of random bytes, read-only). Sectors
 * that hold no table carry pattern(), the same function as xtask's.
 *
 * Debian's cloud kernel builds virtio_blk as a module: on Linux the suite
 * loads the modules the test image carries (/lib/modules/virtio) with
 * finit_module, then waits for devtmpfs (mounted at /blkdev) to show the
 * nodes. The suite runs in a boot of its own (TEST_ALONE) with the disks.
 */
#include "harness.h"

#include <sys/ioctl.h>
#include <termios.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

/* include/uapi/linux/fs.h and hdreg.h (musl has no kernel headers; sys/mount.h
 * has some). */
#ifndef BLKROSET
#define BLKROSET _IO(0x12, 93)
#endif
#ifndef BLKBSZGET
#define BLKBSZGET _IOR(0x12, 112, size_t)
#endif
#ifndef BLKROGET
#define BLKROGET _IO(0x12, 94)
#endif
#ifndef BLKRRPART
#define BLKRRPART _IO(0x12, 95)
#endif
#ifndef BLKGETSIZE
#define BLKGETSIZE _IO(0x12, 96)
#endif
#ifndef BLKFLSBUF
#define BLKFLSBUF _IO(0x12, 97)
#endif
#ifndef BLKRAGET
#define BLKRAGET _IO(0x12, 99)
#endif
#ifndef BLKSSZGET
#define BLKSSZGET _IO(0x12, 104)
#endif
#ifndef BLKGETSIZE64
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#endif
#ifndef BLKPBSZGET
#define BLKPBSZGET _IO(0x12, 123)
#endif
#ifndef HDIO_GETGEO
#define HDIO_GETGEO 0x0301
#endif
struct hd_geometry {
	unsigned char heads;
	unsigned char sectors;
	unsigned short cylinders;
	unsigned long start;
};

#define DEV "/blkdev"

static unsigned char pattern(unsigned long long offset)
{
	return (unsigned char)((offset >> 9) * 37 + (offset & 0x1ff) +
			       (offset >> 20));
}

static const char *const modules[] = {
	"virtio", "virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
	"virtio_pci", "virtio_blk",
};

/* Mounts proc, sysfs and devtmpfs (at /blkdev); loads the virtio modules if
 * the kernel has no vda yet; waits for the device nodes. */
static void blk_ready(void)
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
	if (access(DEV "/vdd", F_OK) != 0) {
		mkdir(DEV, 0755);
		if (mount("devtmpfs", DEV, "devtmpfs", 0, NULL) != 0 &&
		    errno != EBUSY)
			FAIL("mount devtmpfs: %s", h_errname(errno));
	}
	/* Linux's devtmpfs makes nodes from a kernel thread. */
	for (int i = 0; i < 500 && access(DEV "/vdc2", F_OK) != 0; i++)
		usleep(10000);
	EXPECT_OK(access(DEV "/vdc2", F_OK));
}

static void expect_file(const char *path, const char *want)
{
	char buf[256];
	h_read_file(path, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		FAIL("%s: expected \"%s\" got \"%s\"", path, want, buf);
}

static int open_dev(const char *name, int flags)
{
	char path[64];
	snprintf(path, sizeof path, DEV "/%s", name);
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		FAIL("open(%s): %s", path, h_errname(errno));
	return fd;
}

TEST_ALONE(blk, disks_in_sysfs)
{
	blk_ready();
	expect_file("/sys/block/vda/dev", "254:0\n");
	expect_file("/sys/block/vdb/dev", "254:16\n");
	expect_file("/sys/block/vdc/dev", "254:32\n");
	expect_file("/sys/block/vdd/dev", "254:48\n");
	expect_file("/sys/block/vda/size", "65536\n");
	expect_file("/sys/block/vdb/size", "32768\n");
	expect_file("/sys/block/vdd/size", "8192\n");
	expect_file("/sys/block/vda/range", "16\n");
	expect_file("/sys/block/vda/removable", "0\n");
	expect_file("/sys/block/vda/ro", "0\n");
	expect_file("/sys/block/vdd/ro", "1\n");
	expect_file("/sys/block/vda/queue/logical_block_size", "512\n");
	expect_file("/sys/block/vda/queue/physical_block_size", "512\n");
	expect_file("/sys/block/vda/queue/hw_sector_size", "512\n");
	char link[256];
	ssize_t n = readlink("/sys/block/vda", link, sizeof link - 1);
	EXPECT_GT(n, 0);
	link[n] = 0;
	if (strncmp(link, "../devices/pci0000:00/0000:00:", 30) != 0 ||
	    strcmp(link + n - 10, "/block/vda") != 0 ||
	    !strstr(link, "/virtio"))
		FAIL("/sys/block/vda -> %s", link);
	expect_file("/sys/dev/block/254:0/size", "65536\n");
	expect_file("/sys/dev/block/254:5/partition", "5\n");
	expect_file("/sys/class/block/vdb3/dev", "254:19\n");
	char uevent[256];
	h_read_file("/sys/block/vda/vda6/uevent", uevent, sizeof uevent);
	if (!strstr(uevent, "MAJOR=254\nMINOR=6\nDEVNAME=vda6\nDEVTYPE=partition\n"))
		FAIL("vda6 uevent: %s", uevent);
}

TEST_ALONE(blk, proc_partitions_lists_disks_then_partitions)
{
	blk_ready();
	char buf[2048];
	h_read_file("/proc/partitions", buf, sizeof buf);
	EXPECT_STREQ(buf, "major minor  #blocks  name\n"
			  "\n"
			  " 254        0      32768 vda\n"
			  " 254        1       4096 vda1\n"
			  " 254        2          1 vda2\n"
			  " 254        5       2048 vda5\n"
			  " 254        6        500 vda6\n"
			  " 254       16      16384 vdb\n"
			  " 254       17       1024 vdb1\n"
			  " 254       19       4096 vdb3\n"
			  " 254       32       4096 vdc\n"
			  " 254       34          1 vdc2\n"
			  " 254       48       4096 vdd\n");
	char devices[2048];
	h_read_file("/proc/devices", devices, sizeof devices);
	EXPECT_TRUE(strstr(devices, "\nBlock devices:\n") != NULL);
	EXPECT_TRUE(strstr(devices, "\n254 virtblk\n") != NULL);
	EXPECT_TRUE(strstr(devices, "\n259 blkext\n") != NULL);
}

TEST_ALONE(blk, partition_tables_mbr_gpt_and_hostile)
{
	blk_ready();
	expect_file("/sys/block/vda/vda1/start", "2048\n");
	expect_file("/sys/block/vda/vda1/size", "8192\n");
	expect_file("/sys/block/vda/vda2/start", "10240\n");
	expect_file("/sys/block/vda/vda2/size", "2\n");
	expect_file("/sys/block/vda/vda5/start", "12288\n");
	expect_file("/sys/block/vda/vda6/start", "18495\n");
	expect_file("/sys/block/vda/vda6/size", "1000\n");
	expect_file("/sys/block/vda/vda6/partition", "6\n");
	EXPECT_ERRNO(access("/sys/block/vda/vda3", F_OK), ENOENT);
	expect_file("/sys/block/vdb/vdb1/start", "2048\n");
	expect_file("/sys/block/vdb/vdb3/start", "8192\n");
	expect_file("/sys/block/vdb/vdb3/size", "8192\n");
	EXPECT_ERRNO(access("/sys/block/vdb/vdb2", F_OK), ENOENT);
	/* GPT names in the partitions' uevents (what root=PARTLABEL= matches):
	 * UTF-16 cut to bytes, a tab shown as '!'; MBR partitions have none. */
	char uevent[256];
	h_read_file("/sys/block/vdb/vdb1/uevent", uevent, sizeof uevent);
	if (!strstr(uevent, "\nPARTNAME=ferrux-one\n"))
		FAIL("vdb1 uevent: %s", uevent);
	h_read_file("/sys/block/vdb/vdb3/uevent", uevent, sizeof uevent);
	if (!strstr(uevent, "\nPARTNAME=tab!here\n"))
		FAIL("vdb3 uevent: %s", uevent);
	h_read_file("/sys/block/vda/vda1/uevent", uevent, sizeof uevent);
	EXPECT_TRUE(strstr(uevent, "PARTNAME=") == NULL);
	/* The hostile table: a partition past the end is dropped, the
	 * extended one stays (2 sectors), its looping chain gives nothing. */
	EXPECT_ERRNO(access("/sys/block/vdc/vdc1", F_OK), ENOENT);
	expect_file("/sys/block/vdc/vdc2/start", "100\n");
	expect_file("/sys/block/vdc/vdc2/size", "2\n");
	EXPECT_ERRNO(access("/sys/block/vdc/vdc5", F_OK), ENOENT);
	EXPECT_ERRNO(access("/sys/block/vdd/vdd1", F_OK), ENOENT);
}

TEST_ALONE(blk, device_nodes)
{
	blk_ready();
	struct stat st;
	EXPECT_OK(stat(DEV "/vda", &st));
	EXPECT_TRUE(S_ISBLK(st.st_mode));
	EXPECT_MODE(st.st_mode & 07777, 0600);
	EXPECT_EQ(major(st.st_rdev), 254);
	EXPECT_EQ(minor(st.st_rdev), 0);
	EXPECT_OK(stat(DEV "/vda6", &st));
	EXPECT_EQ(minor(st.st_rdev), 6);
	EXPECT_OK(stat(DEV "/vdb3", &st));
	EXPECT_EQ(minor(st.st_rdev), 19);
	int fd = open_dev("vda", O_RDONLY);
	EXPECT_OK(fstat(fd, &st));
	EXPECT_TRUE(S_ISBLK(st.st_mode));
	EXPECT_EQ(st.st_size, 0);
	close(fd);
}

/* Reads `len` bytes of `name` from `offset` and checks them against the
 * pattern at disk offset `disk_offset`. */
static void expect_pattern(const char *name, off_t offset,
			   unsigned long long disk_offset, size_t len)
{
	static unsigned char buf[1 << 20];
	int fd = open_dev(name, O_RDONLY);
	size_t done = 0;
	while (done < len) {
		size_t chunk = len - done < sizeof buf ? len - done : sizeof buf;
		ssize_t n = pread(fd, buf, chunk, offset + (off_t)done);
		if (n <= 0)
			FAIL("pread(%s, %zu at %lld): %zd %s", name, chunk,
			     (long long)(offset + done), n, h_errname(errno));
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(disk_offset + done + i))
				FAIL("%s byte %lld: %#x, want %#x", name,
				     (long long)(offset + done + i), buf[i],
				     pattern(disk_offset + done + i));
		done += n;
	}
	close(fd);
}

TEST_ALONE(blk, reads_return_the_disk_contents)
{
	blk_ready();
	expect_pattern("vda1", 0, 2048ULL * 512, 8192 * 512);
	/* vda6 starts at a sector that is not 4 KiB-aligned. */
	expect_pattern("vda6", 0, 18495ULL * 512, 1000 * 512);
	expect_pattern("vdb3", 0, 8192ULL * 512, 8192 * 512);
	expect_pattern("vda", 1ULL << 20, 1ULL << 20, 1);
	expect_pattern("vda", 3 * 4096 - 7, 3 * 4096 - 7, 4096 + 14);
	/* The hostile disk reads fine around its tables. */
	expect_pattern("vdc", 512, 512, 100 * 512 - 512);
	expect_pattern("vdc", 101 * 512, 101 * 512, (8192 - 101) * 512);
	/* The whole disk reads sequentially with read(2). */
	int fd = open_dev("vdd", O_RDONLY);
	static char buf[65536];
	long long total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		total += n;
	EXPECT_EQ(n, 0);
	EXPECT_EQ(total, 4 << 20);
	close(fd);
}

TEST_ALONE(blk, size_ioctls)
{
	blk_ready();
	int fd = open_dev("vda", O_RDONLY);
	unsigned long long size64 = 0;
	EXPECT_OK(ioctl(fd, BLKGETSIZE64, &size64));
	EXPECT_EQ(size64, 32ULL << 20);
	unsigned long sectors = 0;
	EXPECT_OK(ioctl(fd, BLKGETSIZE, &sectors));
	EXPECT_EQ(sectors, 65536);
	int ssz = 0;
	EXPECT_OK(ioctl(fd, BLKSSZGET, &ssz));
	EXPECT_EQ(ssz, 512);
	unsigned int pbsz = 0;
	EXPECT_OK(ioctl(fd, BLKPBSZGET, &pbsz));
	EXPECT_EQ(pbsz, 512);
	int ro = -1;
	EXPECT_OK(ioctl(fd, BLKROGET, &ro));
	EXPECT_EQ(ro, 0);
	int bsz = 0;
	EXPECT_OK(ioctl(fd, BLKBSZGET, &bsz));
	EXPECT_EQ(bsz, 4096);
	long ra = 0;
	EXPECT_OK(ioctl(fd, BLKRAGET, &ra));
	EXPECT_EQ(ra, 256);
	EXPECT_ERRNO(ioctl(fd, BLKGETSIZE64, H_BAD_PTR), EFAULT);
	char termios_buf[128];
	EXPECT_ERRNO(ioctl(fd, TCGETS, termios_buf), ENOTTY);
	close(fd);
	fd = open_dev("vda5", O_RDONLY);
	EXPECT_OK(ioctl(fd, BLKGETSIZE64, &size64));
	EXPECT_EQ(size64, 4096ULL * 512);
	struct hd_geometry geo;
	memset(&geo, 0xff, sizeof geo);
	EXPECT_OK(ioctl(fd, HDIO_GETGEO, &geo));
	EXPECT_EQ(geo.start, 12288);
	EXPECT_GT(geo.heads, 0);
	EXPECT_GT(geo.sectors, 0);
	EXPECT_LE((unsigned long long)geo.heads * geo.sectors * geo.cylinders,
		  65536);
	EXPECT_ERRNO(ioctl(fd, HDIO_GETGEO, NULL), EINVAL);
	close(fd);
	fd = open_dev("vdd", O_RDONLY);
	EXPECT_OK(ioctl(fd, BLKROGET, &ro));
	EXPECT_EQ(ro, 1);
	close(fd);
}

TEST_ALONE(blk, writes_reach_the_disk)
{
	blk_ready();
	static unsigned char data[65536 + 100], back[sizeof data];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	int fd = open_dev("vda5", O_RDWR);
	/* Unaligned: starts and ends inside pages. */
	EXPECT_EQ(pwrite(fd, data, sizeof data, 4096 + 100), (ssize_t)sizeof data);
	EXPECT_OK(fsync(fd));
	int other = open_dev("vda5", O_RDONLY);
	EXPECT_EQ(pread(other, back, sizeof back, 4096 + 100), (ssize_t)sizeof back);
	EXPECT_MEMEQ(back, data, sizeof data);
	/* Dropped from the cache, read again from the disk. */
	EXPECT_OK(ioctl(fd, BLKFLSBUF, 0));
	memset(back, 0, sizeof back);
	EXPECT_EQ(pread(other, back, sizeof back, 4096 + 100), (ssize_t)sizeof back);
	EXPECT_MEMEQ(back, data, sizeof data);
	/* The same bytes through the whole disk (after dropping its cache:
	 * Linux caches a disk and its partitions separately). */
	int disk = open_dev("vda", O_RDONLY);
	EXPECT_OK(ioctl(disk, BLKFLSBUF, 0));
	memset(back, 0, sizeof back);
	EXPECT_EQ(pread(disk, back, sizeof back, 12288LL * 512 + 4096 + 100),
		  (ssize_t)sizeof back);
	EXPECT_MEMEQ(back, data, sizeof data);
	/* The bytes around the write are unchanged. */
	close(fd);
	close(other);
	close(disk);
	expect_pattern("vda5", 0, 12288ULL * 512, 4096 + 100);
	expect_pattern("vda5", 4096 + 100 + sizeof data, 12288ULL * 512 + 4096 + 100 + sizeof data,
		       8192);
}

TEST_ALONE(blk, writes_through_an_unaligned_partition_and_sync)
{
	blk_ready();
	static char data[10000];
	memset(data, 'x', sizeof data);
	int fd = open_dev("vda6", O_WRONLY);
	EXPECT_EQ(pwrite(fd, data, sizeof data, 1000), (ssize_t)sizeof data);
	close(fd);
	sync();
	int disk = open_dev("vda", O_RDONLY);
	EXPECT_OK(ioctl(disk, BLKFLSBUF, 0));
	static char back[sizeof data];
	EXPECT_EQ(pread(disk, back, sizeof back, 18495LL * 512 + 1000), (ssize_t)sizeof back);
	EXPECT_MEMEQ(back, data, sizeof data);
	close(disk);
}

TEST_ALONE(blk, end_of_device)
{
	blk_ready();
	int fd = open_dev("vda6", O_RDWR);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 512000);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 512000);
	char buf[1000];
	EXPECT_EQ(read(fd, buf, sizeof buf), 0);
	EXPECT_EQ(pread(fd, buf, sizeof buf, 512000), 0);
	EXPECT_EQ(pread(fd, buf, sizeof buf, 1LL << 40), 0);
	memset(buf, 'y', sizeof buf);
	EXPECT_ERRNO(pwrite(fd, buf, sizeof buf, 512000), ENOSPC);
	EXPECT_EQ(pwrite(fd, buf, sizeof buf, 511500), 500);
	EXPECT_EQ(pwrite(fd, buf, 0, 512000), 0);
	EXPECT_EQ(pread(fd, buf, sizeof buf, 511000), 1000);
	EXPECT_OK(fsync(fd));
	EXPECT_OK(fdatasync(fd));
	close(fd);
	/* vda6's neighbour past its end is untouched. */
	expect_pattern("vda", (18495LL + 1000) * 512, (18495ULL + 1000) * 512, 512);
}

TEST_ALONE(blk, read_only_disk_refuses_writes)
{
	blk_ready();
	/* The open succeeds; writes fail (blkdev_write_iter). */
	int fd = open_dev("vdd", O_RDWR);
	EXPECT_ERRNO(write(fd, "x", 1), EPERM);
	EXPECT_ERRNO(pwrite(fd, "x", 1, 4096), EPERM);
	char buf[512];
	EXPECT_EQ(pread(fd, buf, sizeof buf, 0), 512);
	int ro = 1;
	/* The device's own read-only state stays. */
	EXPECT_OK(ioctl(fd, BLKROSET, &(int){0}));
	EXPECT_OK(ioctl(fd, BLKROGET, &ro));
	EXPECT_EQ(ro, 1);
	close(fd);
}

TEST_ALONE(blk, blkroset_marks_one_partition_or_the_disk)
{
	blk_ready();
	int one = open_dev("vda1", O_RDWR);
	int five = open_dev("vda5", O_RDWR);
	int disk = open_dev("vda", O_RDWR);
	int ro = 0;
	EXPECT_OK(ioctl(one, BLKROSET, &(int){1}));
	EXPECT_OK(ioctl(one, BLKROGET, &ro));
	EXPECT_EQ(ro, 1);
	expect_file("/sys/block/vda/vda1/ro", "1\n");
	expect_file("/sys/block/vda/ro", "0\n");
	EXPECT_ERRNO(pwrite(one, "x", 1, 0), EPERM);
	EXPECT_OK(ioctl(five, BLKROGET, &ro));
	EXPECT_EQ(ro, 0);
	EXPECT_EQ(pwrite(five, "x", 1, 0), 1);
	EXPECT_OK(ioctl(one, BLKROSET, &(int){0}));
	/* The whole disk read-only makes its partitions read-only. */
	EXPECT_OK(ioctl(disk, BLKROSET, &(int){1}));
	EXPECT_OK(ioctl(five, BLKROGET, &ro));
	EXPECT_EQ(ro, 1);
	EXPECT_ERRNO(pwrite(five, "x", 1, 0), EPERM);
	EXPECT_ERRNO(pwrite(disk, "x", 1, 0), EPERM);
	EXPECT_OK(ioctl(disk, BLKROSET, &(int){0}));
	EXPECT_EQ(pwrite(one, "x", 1, 0), 1);
	close(one);
	close(five);
	close(disk);
}

TEST_ALONE(blk, rereading_the_partition_table)
{
	blk_ready();
	int part = open_dev("vda5", O_RDONLY);
	EXPECT_ERRNO(ioctl(part, BLKRRPART, 0), EINVAL);
	int disk = open_dev("vda", O_RDONLY);
	/* A partition of the disk is open. */
	EXPECT_ERRNO(ioctl(disk, BLKRRPART, 0), EBUSY);
	close(part);
	EXPECT_OK(ioctl(disk, BLKRRPART, 0));
	close(disk);
	for (int i = 0; i < 500 && access(DEV "/vda6", F_OK) != 0; i++)
		usleep(10000);
	expect_file("/sys/block/vda/vda6/start", "18495\n");
	expect_file("/sys/block/vda/vda5/size", "4096\n");
	char buf[2048];
	h_read_file("/proc/partitions", buf, sizeof buf);
	EXPECT_TRUE(strstr(buf, " 254        6        500 vda6\n") != NULL);
	struct stat st;
	EXPECT_OK(stat(DEV "/vda6", &st));
	EXPECT_EQ(minor(st.st_rdev), 6);
}

/* The line of /proc/interrupts that ends with `suffix`, copied into line. */
static int find_interrupt_line(const char *suffix, char *line, size_t size)
{
	static char buf[8192];
	h_read_file("/proc/interrupts", buf, sizeof buf);
	for (char *start = buf; *start;) {
		char *end = strchr(start, '\n');
		size_t len = end ? (size_t)(end - start) : strlen(start);
		size_t slen = strlen(suffix);
		if (len >= slen && memcmp(start + len - slen, suffix, slen) == 0 &&
		    len < size) {
			memcpy(line, start, len);
			line[len] = 0;
			return 1;
		}
		start += len + (end ? 1 : 0);
	}
	return 0;
}

/* The interrupts a /proc/interrupts line counts, over its CPU columns. */
static unsigned long line_count(const char *line)
{
	unsigned long count = 0, column;
	int columns = 0, used;
	const char *at = strchr(line, ':');
	if (!at)
		FAIL("no colon in %s", line);
	for (at++; sscanf(at, " %lu%n", &column, &used) == 1; at += used) {
		count += column;
		columns++;
	}
	EXPECT_GT(columns, 0);
	return count;
}

TEST_ALONE(blk, interrupts_are_counted_per_line)
{
	blk_ready();
	char cmdline[1024];
	h_read_file("/proc/cmdline", cmdline, sizeof cmdline);
	char line[256];
	if (strstr(cmdline, "pci=nomsi")) {
		/* INTx through the I/O APIC, shared by several disks. */
		if (!find_interrupt_line("virtio0", line, sizeof line) &&
		    !find_interrupt_line("virtio0, virtio3", line, sizeof line) &&
		    !find_interrupt_line("virtio0, virtio2", line, sizeof line))
			FAIL("no IO-APIC line of virtio0 in /proc/interrupts");
		if (!strstr(line, "   IO-APIC ") || !strstr(line, "-fasteoi   virtio0"))
			FAIL("virtio0's line: %s", line);
	} else {
		/* MSI-X: entry 0 for configuration changes, entry 1 for the queue,
		 * numbered from 24 as Linux numbers MSIs. */
		if (!find_interrupt_line("   PCI-MSI 65536-edge      virtio0-config", line,
					 sizeof line))
			FAIL("no virtio0-config line in /proc/interrupts");
		EXPECT_TRUE(strncmp(line, " 24: ", 5) == 0);
		if (!find_interrupt_line("   PCI-MSI 65537-edge      virtio0-req.0", line,
					 sizeof line))
			FAIL("no virtio0-req.0 line in /proc/interrupts");
		EXPECT_TRUE(strncmp(line, " 25: ", 5) == 0);
	}
	/* One column per online CPU: the interrupts may be taken on any; and
	 * with several CPUs Linux gives the disk a queue (req.N) per CPU. */
	unsigned long count = line_count(line);
	if (!strstr(cmdline, "pci=nomsi")) {
		for (int queue = 1; queue < 64; queue++) {
			char suffix[64];
			snprintf(suffix, sizeof suffix, "-edge      virtio0-req.%d", queue);
			if (!find_interrupt_line(suffix, line, sizeof line))
				break;
			count += line_count(line);
		}
	}
	EXPECT_GT(count, 0);
}

/* The online CPUs: the "cpuN" lines of /proc/stat. */
static int online_cpus(void)
{
	static char stat[65536];
	h_read_file("/proc/stat", stat, sizeof stat);
	int count = 0;
	for (const char *line = stat; line && *line;) {
		if (!strncmp(line, "cpu", 3) && line[3] >= '0' && line[3] <= '9')
			count++;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return count;
}

/* Writes text to path: 0 or the errno. */
static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	int e = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : errno;
	close(fd);
	return e;
}

static void expect_text(const char *path, const char *want)
{
	char text[128];
	h_read_file(path, text, sizeof text);
	if (strcmp(text, want))
		FAIL("%s reads \"%s\", not \"%s\"", path, text, want);
}

/*
 * /proc/irq (kernel/irq/proc.c): default_smp_affinity is every CPU; a
 * device line's directory has smp_affinity (a hex mask of as many digits as
 * CPUs need) and smp_affinity_list naming the same CPUs, effective_affinity
 * one CPU among them, and a directory named after the device.  Root sets
 * the CPUs by writing either file (virtio0-config's, or the INTx line under
 * pci=nomsi: neither is a managed interrupt on Linux), which then read back
 * as written; the effective CPU is then one of them, or still the old one
 * (Linux moves an x86 line without interrupt remapping at its next
 * interrupt, Ferrux at once); a mask that is not hex is EINVAL.
 */

/* The effective CPU of the line in `dir`: one CPU, in `allowed` or `old`. */
static int effective_cpu(const char *dir, unsigned long long allowed, int old)
{
	char path[128], text[64];
	snprintf(path, sizeof path, "%s/effective_affinity_list", dir);
	h_read_file(path, text, sizeof text);
	int cpu = atoi(text);
	if (!(allowed & (1ULL << cpu)) && cpu != old)
		FAIL("%s reads %s: neither in %#llx nor CPU %d", path, text, allowed, old);
	return cpu;
}
TEST_ALONE(blk, irq_affinity_moves_a_line)
{
	blk_ready();
	char cmdline[1024], line[256];
	h_read_file("/proc/cmdline", cmdline, sizeof cmdline);
	const char *device;
	if (strstr(cmdline, "pci=nomsi")) {
		if (!find_interrupt_line("virtio0", line, sizeof line) &&
		    !find_interrupt_line("virtio0, virtio3", line, sizeof line) &&
		    !find_interrupt_line("virtio0, virtio2", line, sizeof line))
			FAIL("no IO-APIC line of virtio0 in /proc/interrupts");
		device = "virtio0";
	} else {
		if (!find_interrupt_line("   PCI-MSI 65536-edge      virtio0-config", line,
					 sizeof line))
			FAIL("no virtio0-config line in /proc/interrupts");
		device = "virtio0-config";
	}
	int irq = atoi(line);
	int cpus = online_cpus();
	EXPECT_GT(cpus, 0);
	if (cpus > 64)
		cpus = 64;
	int digits = (cpus + 3) / 4;
	char all_mask[96], all_list[32], own[96], path[128];
	unsigned long long all = (cpus >= 64 ? 0 : 1ULL << cpus) - 1;
	snprintf(all_mask, sizeof all_mask, "%0*llx\n", digits, all);
	if (cpus == 1)
		snprintf(all_list, sizeof all_list, "0\n");
	else
		snprintf(all_list, sizeof all_list, "0-%d\n", cpus - 1);
	expect_text("/proc/irq/default_smp_affinity", all_mask);

	char dir[64], mask[64], list[64], effective[64], effective_list[64];
	snprintf(dir, sizeof dir, "/proc/irq/%d", irq);
	snprintf(path, sizeof path, "%s/%s", dir, device);
	struct stat st;
	EXPECT_OK(stat(path, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	snprintf(path, sizeof path, "%s/smp_affinity", dir);
	EXPECT_OK(stat(path, &st));
	EXPECT_EQX(st.st_mode, S_IFREG | 0644);
	h_read_file(path, mask, sizeof mask);
	snprintf(path, sizeof path, "%s/smp_affinity_list", dir);
	h_read_file(path, list, sizeof list);
	snprintf(path, sizeof path, "%s/effective_affinity", dir);
	EXPECT_OK(stat(path, &st));
	EXPECT_EQX(st.st_mode, S_IFREG | 0444);
	h_read_file(path, effective, sizeof effective);
	snprintf(path, sizeof path, "%s/effective_affinity_list", dir);
	h_read_file(path, effective_list, sizeof effective_list);
	EXPECT_EQ(strlen(mask), (size_t)digits + 1);
	unsigned long long allowed = strtoull(mask, NULL, 16);
	unsigned long long target = strtoull(effective, NULL, 16);
	EXPECT_EQ(__builtin_popcountll(target), 1);
	EXPECT_TRUE((allowed & target) == target);
	char want[32];
	snprintf(want, sizeof want, "%d\n", __builtin_ctzll(target));
	EXPECT_STREQ(effective_list, want);
	if (allowed == all)
		EXPECT_STREQ(list, all_list);
	if (geteuid() != 0)
		return;

	/* Onto CPU 0 by mask, then onto the last CPU by list, then back. */
	int old = __builtin_ctzll(target);
	snprintf(path, sizeof path, "%s/smp_affinity", dir);
	EXPECT_EQ(write_text(path, "zz\n"), EINVAL);
	EXPECT_EQ(write_text(path, "1\n"), 0);
	snprintf(own, sizeof own, "%0*x\n", digits, 1);
	expect_text(path, own);
	old = effective_cpu(dir, 1, old);
	snprintf(path, sizeof path, "%s/smp_affinity_list", dir);
	snprintf(want, sizeof want, "%d\n", cpus - 1);
	EXPECT_EQ(write_text(path, want), 0);
	expect_text(path, want);
	effective_cpu(dir, 1ULL << (cpus - 1), old);
	snprintf(path, sizeof path, "%s/smp_affinity", dir);
	EXPECT_EQ(write_text(path, mask), 0);
	expect_text(path, mask);
}

TEST_ALONE(blk, a_large_write_is_written_whole)
{
	blk_ready();
	/* 17 MiB past the partitions of vda, in one write: more than the
	 * kernel keeps dirty before writing back in the middle of it. */
	static unsigned char data[17 << 20];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i / 4096 + i * 13);
	int fd = open_dev("vda", O_RDWR);
	EXPECT_EQ(pwrite(fd, data, sizeof data, 15LL << 20), (ssize_t)sizeof data);
	EXPECT_OK(fsync(fd));
	EXPECT_OK(ioctl(fd, BLKFLSBUF, 0));
	static unsigned char back[1 << 20];
	for (long long at = 0; at < (long long)sizeof data; at += sizeof back) {
		EXPECT_EQ(pread(fd, back, sizeof back, (15LL << 20) + at), (ssize_t)sizeof back);
		EXPECT_MEMEQ(back, data + at, sizeof back);
	}
	EXPECT_EQ(pread(fd, back, 1, 32LL << 20), 0);
	close(fd);
}
