/*
 * Suite procsys: /proc/sys (Linux 6.1's kernel/sysctl.c handlers
 * proc_dostring, proc_dointvec_minmax, proc_doulongvec_minmax).
 *
 * Guards that writes take effect: kernel.hostname and kernel.domainname
 * change uname's fields (newline dropped, 64 bytes at most); vm.overcommit_
 * memory=1 lets a mapping larger than RAM through, 0 refuses it (ENOMEM);
 * vm.max_map_count limits the areas a process may have (ENOMEM);
 * fs.nr_open limits RLIMIT_NOFILE's hard limit (EPERM); kernel.pid_max
 * bounds the pids handed out; values out of range or not numbers are EINVAL
 * and leave the setting alone; integers read back as "N\n".  Every test puts
 * the old values back.
 */
#include "proc.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static void sys_read(const char *name, char *buf, size_t size)
{
	char path[128];
	snprintf(path, sizeof path, "/proc/sys/%s", name);
	proc_read(path, buf, size);
}

static long sys_read_long(const char *name)
{
	char buf[64];
	sys_read(name, buf, sizeof buf);
	return strtol(buf, NULL, 10);
}

/* Writes text to /proc/sys/<name>; returns the write's result. */
static long sys_write(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "/proc/sys/%s", name);
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		FAIL("open(%s): %s", path, h_errname(errno));
	long r = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}

static void sys_restore(const char *name, long value)
{
	char text[32];
	snprintf(text, sizeof text, "%ld\n", value);
	if (sys_write(name, text) != (long)strlen(text))
		FAIL("restoring %s: %s", name, h_errname(errno));
}

TEST(procsys, hostname_and_domainname)
{
	proc_ready();
	if (geteuid() != 0)
		return;
	char old_host[128], old_domain[128];
	sys_read("kernel/hostname", old_host, sizeof old_host);
	sys_read("kernel/domainname", old_domain, sizeof old_domain);
	EXPECT_EQ(sys_write("kernel/hostname", "ferrux-test\n"), 12);
	struct utsname u;
	EXPECT_OK(uname(&u));
	EXPECT_STREQ(u.nodename, "ferrux-test");
	char buf[128];
	sys_read("kernel/hostname", buf, sizeof buf);
	EXPECT_STREQ(buf, "ferrux-test\n");
	EXPECT_EQ(sys_write("kernel/domainname", "example.org"), 11);
	EXPECT_OK(uname(&u));
	EXPECT_STREQ(u.domainname, "example.org");
	/* Longer than 64 bytes: the first 64 are kept. */
	char long_name[100];
	memset(long_name, 'h', 99);
	long_name[99] = 0;
	EXPECT_EQ(sys_write("kernel/hostname", long_name), 99);
	sys_read("kernel/hostname", buf, sizeof buf);
	EXPECT_EQ(strlen(buf), 65);
	old_host[strcspn(old_host, "\n")] = 0;
	old_domain[strcspn(old_domain, "\n")] = 0;
	EXPECT_EQ(sys_write("kernel/hostname", old_host), (long)strlen(old_host));
	EXPECT_EQ(sys_write("kernel/domainname", old_domain),
		  (long)strlen(old_domain));
	EXPECT_OK(uname(&u));
	EXPECT_STREQ(u.nodename, old_host);
}

TEST(procsys, truncating_open_and_attributes)
{
	proc_ready();
	if (geteuid() != 0)
		return;
	/* sysctl(8) opens with O_TRUNC: proc_sys_setattr takes the size change
	 * without doing anything; mode and owner changes are EPERM. */
	char old[128], buf[128];
	sys_read("kernel/domainname", old, sizeof old);
	int fd = open("/proc/sys/kernel/domainname", O_WRONLY | O_TRUNC);
	EXPECT_OK(fd);
	EXPECT_EQ(write(fd, "trunc.test\n", 11), 11);
	close(fd);
	sys_read("kernel/domainname", buf, sizeof buf);
	EXPECT_STREQ(buf, "trunc.test\n");
	EXPECT_ERRNO(chmod("/proc/sys/kernel/domainname", 0600), EPERM);
	EXPECT_ERRNO(chown("/proc/sys/kernel/domainname", 1, 1), EPERM);
	EXPECT_OK(truncate("/proc/sys/kernel/domainname", 0));
	old[strcspn(old, "\n")] = 0;
	EXPECT_EQ(sys_write("kernel/domainname", old), (long)strlen(old));
}

TEST(procsys, integers_are_checked)
{
	proc_ready();
	if (geteuid() != 0)
		return;
	char buf[64];
	sys_read("kernel/randomize_va_space", buf, sizeof buf);
	long old = strtol(buf, NULL, 10);
	EXPECT_EQ(buf[strlen(buf) - 1], '\n');
	/* Not numbers: EINVAL (any int is taken, as proc_dointvec). */
	EXPECT_ERRNO(sys_write("kernel/randomize_va_space", "abc"), EINVAL);
	EXPECT_ERRNO(sys_write("kernel/randomize_va_space", "1x"), EINVAL);
	EXPECT_EQ(sys_read_long("kernel/randomize_va_space"), old);
	EXPECT_EQ(sys_write("kernel/randomize_va_space", " 1 \n"), 4);
	EXPECT_EQ(sys_read_long("kernel/randomize_va_space"), 1);
	sys_restore("kernel/randomize_va_space", old);
	EXPECT_ERRNO(sys_write("kernel/pid_max", "300"), EINVAL);
	EXPECT_ERRNO(sys_write("kernel/pid_max", "4194305"), EINVAL);
	EXPECT_ERRNO(sys_write("vm/overcommit_memory", "3"), EINVAL);
	/* Read-only entries refuse writes at open, even to root. */
	EXPECT_ERRNO(open("/proc/sys/kernel/ostype", O_WRONLY), EACCES);
	sys_read("kernel/ostype", buf, sizeof buf);
	EXPECT_STREQ(buf, "Linux\n");
	EXPECT_EQ(sys_read_long("kernel/ngroups_max"), 65536);
	EXPECT_GT(sys_read_long("kernel/threads-max"), 0);
	EXPECT_GT(sys_read_long("fs/file-max"), 0);
	sys_read("kernel/random/boot_id", buf, sizeof buf);
	EXPECT_EQ(strlen(buf), 37);
	EXPECT_EQ(buf[14], '4');
	char again[64];
	sys_read("kernel/random/boot_id", again, sizeof again);
	EXPECT_STREQ(again, buf);
	sys_read("kernel/random/uuid", again, sizeof again);
	EXPECT_EQ(strlen(again), 37);
	EXPECT_TRUE(strcmp(again, buf) != 0);
}

static void try_big_mapping(void *arg)
{
	long expect_ok = (long)arg;
	struct sysinfo si;
	EXPECT_OK(sysinfo(&si));
	size_t len = (size_t)si.totalram * si.mem_unit * 2;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (expect_ok) {
		EXPECT_TRUE(p != MAP_FAILED);
	} else {
		EXPECT_TRUE(p == MAP_FAILED && errno == ENOMEM);
	}
}

TEST(procsys, overcommit_memory_takes_effect)
{
	proc_ready();
	if (geteuid() != 0)
		return;
	long old = sys_read_long("vm/overcommit_memory");
	EXPECT_EQ(sys_write("vm/overcommit_memory", "1"), 1);
	EXPECT_CHILD_OK(try_big_mapping, (void *)1L);
	EXPECT_EQ(sys_write("vm/overcommit_memory", "0"), 1);
	EXPECT_CHILD_OK(try_big_mapping, (void *)0L);
	sys_restore("vm/overcommit_memory", old);
}

static void many_mappings(void *arg)
{
	(void)arg;
	/* Alternating protections so neighbours cannot merge. */
	for (int i = 0; i < 400; i++) {
		void *p = mmap(NULL, 4096, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			int e = errno;
			EXPECT_EQ(e, ENOMEM);
			return;
		}
	}
	FAIL("400 mappings under max_map_count=200");
}

TEST(procsys, max_map_count_takes_effect)
{
	proc_ready();
	if (geteuid() != 0)
		return;
	long old = sys_read_long("vm/max_map_count");
	EXPECT_EQ(sys_write("vm/max_map_count", "200"), 3);
	EXPECT_EQ(sys_read_long("vm/max_map_count"), 200);
	int code = h_run_child(many_mappings, NULL);
	sys_restore("vm/max_map_count", old);
	EXPECT_EQ(code, 0);
}

static void raise_nofile(void *arg)
{
	(void)arg;
	struct rlimit r = {.rlim_cur = 1024, .rlim_max = 5000};
	EXPECT_ERRNO(setrlimit(RLIMIT_NOFILE, &r), EPERM);
	r.rlim_max = 4000;
	EXPECT_OK(setrlimit(RLIMIT_NOFILE, &r));
}

TEST(procsys, nr_open_takes_effect)
{
	proc_ready();
	if (geteuid() != 0)
		return;
	long old = sys_read_long("fs/nr_open");
	EXPECT_EQ(sys_write("fs/nr_open", "4096"), 4);
	int code = h_run_child(raise_nofile, NULL);
	sys_restore("fs/nr_open", old);
	EXPECT_EQ(code, 0);
}

TEST(procsys, pid_max_bounds_new_pids)
{
	proc_ready();
	if (geteuid() != 0 || !h_is_init())
		return;
	long old = sys_read_long("kernel/pid_max");
	/* The boot value of a guest of one CPU: PID_MAX_DEFAULT (pid_idr_init
	 * takes 1024 per CPU only above 32 CPUs). */
	if (get_nprocs_conf() == 1)
		EXPECT_EQ(old, 32768);
	/* Pids stay below pid_max: past it they wrap to the lowest free one
	 * above 300. */
	EXPECT_EQ(sys_write("kernel/pid_max", "400"), 3);
	EXPECT_EQ(sys_read_long("kernel/pid_max"), 400);
	int ok = 1;
	for (int i = 0; i < 150; i++) {
		pid_t pid = h_fork();
		if (pid == 0)
			h_exit(0);
		EXPECT_EQ(h_wait_exit(pid), 0);
		if (pid >= 400)
			ok = 0;
	}
	sys_restore("kernel/pid_max", old);
	EXPECT_TRUE(ok);
}
