/*
 * Suite uname: uname(2).
 *
 * Guards Linux's kernel/sys.c newuname and the default UTS namespace
 * (init/version.c init_uts_ns): sysname "Linux", machine "x86_64", a release
 * "major.minor...", every field NUL-terminated within its 65 bytes, and, for
 * init before anyone calls sethostname, nodename and domainname "(none)".
 * Man page uname(2).
 */
#include "harness.h"

#include <sys/utsname.h>

static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

TEST(uname, sysname_and_machine)
{
	struct utsname u;
	memset(&u, 0xff, sizeof u);
	EXPECT_EQ(syscall(SYS_uname, &u), 0);
	EXPECT_STREQ(u.sysname, "Linux");
	EXPECT_STREQ(u.machine, "x86_64");
}

TEST(uname, fields_terminated)
{
	struct utsname u;
	memset(&u, 0xff, sizeof u);
	EXPECT_EQ(syscall(SYS_uname, &u), 0);
	EXPECT_LT(bounded_len(u.sysname, 65), 65);
	EXPECT_LT(bounded_len(u.nodename, 65), 65);
	EXPECT_LT(bounded_len(u.release, 65), 65);
	EXPECT_LT(bounded_len(u.version, 65), 65);
	EXPECT_LT(bounded_len(u.machine, 65), 65);
	EXPECT_GT(strlen(u.version), 0);
}

TEST(uname, release_format)
{
	struct utsname u;
	EXPECT_OK(uname(&u));
	unsigned major = 0, minor = 0;
	EXPECT_EQ(sscanf(u.release, "%u.%u", &major, &minor), 2);
	EXPECT_GE(major, 3);
}

TEST(uname, init_names)
{
	if (!h_is_init())
		return; /* the host has a hostname */
	struct utsname u;
	EXPECT_OK(uname(&u));
	EXPECT_STREQ(u.nodename, "(none)");
	EXPECT_STREQ(u.domainname, "(none)");
}

TEST(uname, efault)
{
	EXPECT_ERRNO(syscall(SYS_uname, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_uname, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_uname, H_KERNEL_PTR), EFAULT);
}
