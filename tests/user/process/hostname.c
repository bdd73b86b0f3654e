/*
 * Suite hostname: sethostname(2), setdomainname(2) and what uname(2) then
 * shows; getcpu(2).
 *
 * Guards Linux 6.1's kernel/sys.c: EPERM without CAP_SYS_ADMIN (before the
 * length is looked at), EINVAL for a length below 0 or above 64, EFAULT for
 * a bad pointer; the name is the given bytes, NULs included, with the rest
 * of the 65-byte field zeroed, so a length of 0 empties it.  getcpu writes
 * the CPU and node (0 on these one-node machines) through either pointer
 * that is not NULL; EFAULT for a bad one; a process pinned to one CPU
 * (sched_setaffinity) is told that CPU.  The test puts the names back as
 * it found them.  Man pages sethostname(2), setdomainname(2), getcpu(2).
 */
#include "harness.h"

#include <sched.h>
#include <sys/utsname.h>

#define NOBODY 65534

static struct utsname now(void)
{
	struct utsname u;
	memset(&u, 0xff, sizeof u);
	if (syscall(SYS_uname, &u) != 0)
		FAIL("uname: %s", h_errname(errno));
	return u;
}

static struct utsname saved;

static void save(void)
{
	saved = now();
}

static void restore(void)
{
	EXPECT_EQ(syscall(SYS_sethostname, saved.nodename, sizeof saved.nodename - 1), 0);
	EXPECT_EQ(syscall(SYS_setdomainname, saved.domainname, sizeof saved.domainname - 1), 0);
}

TEST(hostname, set_and_read_back)
{
	save();
	if (h_is_init()) {
		EXPECT_STREQ(saved.nodename, "(none)");
		EXPECT_STREQ(saved.domainname, "(none)");
	}
	EXPECT_EQ(syscall(SYS_sethostname, "ferrux-test", 11), 0);
	EXPECT_STREQ(now().nodename, "ferrux-test");
	/* Only len bytes are taken. */
	EXPECT_EQ(syscall(SYS_sethostname, "abcdef", 3), 0);
	struct utsname u = now();
	EXPECT_STREQ(u.nodename, "abc");
	for (int i = 3; i < 65; i++)
		if (u.nodename[i] != 0)
			FAIL("nodename byte %d is %d", i, u.nodename[i]);
	/* A NUL inside: the bytes after it are kept. */
	EXPECT_EQ(syscall(SYS_sethostname, "ab\0cd", 5), 0);
	u = now();
	EXPECT_STREQ(u.nodename, "ab");
	EXPECT_EQ(u.nodename[3], 'c');
	EXPECT_EQ(u.nodename[4], 'd');
	EXPECT_EQ(u.nodename[5], 0);
	/* 64 bytes is the most; 0 empties the name. */
	EXPECT_EQ(syscall(SYS_sethostname, h_name(64), 64), 0);
	EXPECT_EQ(strlen(now().nodename), 64);
	EXPECT_EQ(syscall(SYS_sethostname, "x", 0), 0);
	EXPECT_STREQ(now().nodename, "");
	EXPECT_EQ(syscall(SYS_setdomainname, "example.org", 11), 0);
	u = now();
	EXPECT_STREQ(u.domainname, "example.org");
	EXPECT_STREQ(u.nodename, "");
	EXPECT_EQ(syscall(SYS_setdomainname, "", 0), 0);
	EXPECT_STREQ(now().domainname, "");
	restore();
	u = now();
	EXPECT_STREQ(u.nodename, saved.nodename);
	EXPECT_STREQ(u.domainname, saved.domainname);
}

TEST(hostname, errors)
{
	save();
	EXPECT_ERRNO(syscall(SYS_sethostname, "x", 65), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sethostname, "x", -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sethostname, H_BAD_PTR, 5), EFAULT);
	EXPECT_ERRNO(syscall(SYS_setdomainname, "x", 65), EINVAL);
	EXPECT_ERRNO(syscall(SYS_setdomainname, H_BAD_PTR, 5), EFAULT);
	/* A bad pointer with a length of 0 reads nothing. */
	EXPECT_EQ(syscall(SYS_sethostname, H_BAD_PTR, 0), 0);
	restore();
	/* Failed calls left the names alone. */
	EXPECT_STREQ(now().nodename, saved.nodename);
}

static void unprivileged(void *arg)
{
	(void)arg;
	EXPECT_EQ(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY), 0);
	EXPECT_ERRNO(syscall(SYS_sethostname, "x", 1), EPERM);
	EXPECT_ERRNO(syscall(SYS_setdomainname, "x", 1), EPERM);
	/* Permission comes before the length. */
	EXPECT_ERRNO(syscall(SYS_sethostname, "x", 100), EPERM);
	EXPECT_ERRNO(syscall(SYS_sethostname, H_BAD_PTR, 1), EPERM);
	/* uname still works. */
	struct utsname u;
	EXPECT_EQ(syscall(SYS_uname, &u), 0);
}

TEST(hostname, needs_cap_sys_admin)
{
	save();
	EXPECT_CHILD_OK(unprivileged, NULL);
	EXPECT_STREQ(now().nodename, saved.nodename);
}

/* Pinned to each CPU it may use in turn, getcpu names that CPU. */
static void pinned_getcpu(void *arg)
{
	(void)arg;
	cpu_set_t allowed;
	EXPECT_OK(sched_getaffinity(0, sizeof allowed, &allowed));
	EXPECT_GT(CPU_COUNT(&allowed), 0);
	for (int want = 0; want < CPU_SETSIZE; want++) {
		if (!CPU_ISSET(want, &allowed))
			continue;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(want, &one);
		EXPECT_OK(sched_setaffinity(0, sizeof one, &one));
		unsigned cpu = 12345;
		EXPECT_EQ(syscall(SYS_getcpu, &cpu, NULL, NULL), 0);
		EXPECT_EQ(cpu, (unsigned)want);
	}
}

TEST(hostname, getcpu)
{
	unsigned cpu = 12345, node = 12345;
	EXPECT_EQ(syscall(SYS_getcpu, &cpu, &node, NULL), 0);
	EXPECT_LT(cpu, (unsigned)sysconf(_SC_NPROCESSORS_CONF));
	EXPECT_EQ(node, 0);
	/* Either pointer may be NULL; the cache argument is ignored. */
	EXPECT_EQ(syscall(SYS_getcpu, NULL, NULL, NULL), 0);
	EXPECT_EQ(syscall(SYS_getcpu, &cpu, NULL, H_BAD_PTR), 0);
	node = 77;
	EXPECT_EQ(syscall(SYS_getcpu, NULL, &node, NULL), 0);
	EXPECT_EQ(node, 0);
	EXPECT_ERRNO(syscall(SYS_getcpu, H_BAD_PTR, NULL, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getcpu, NULL, H_BAD_PTR, NULL), EFAULT);
	/* With one bad pointer the other is still written. */
	cpu = 12345;
	EXPECT_ERRNO(syscall(SYS_getcpu, &cpu, H_BAD_PTR, NULL), EFAULT);
	EXPECT_LT(cpu, (unsigned)sysconf(_SC_NPROCESSORS_CONF));
	EXPECT_CHILD_OK(pinned_getcpu, NULL);
}
