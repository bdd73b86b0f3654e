/*
 * Suite absent: the syscall numbers that Linux 6.1 x86-64 answers with ENOSYS
 * whatever its configuration (no 64-bit entry point in syscall_64.tbl, removed,
 * added after 6.1, or off by default as memfd_secret), and the calls Ferrux
 * treats as compiled out (the module and kexec calls: `not configured` in
 * docs/syscalls.md). Each slot listed as absent in kernel/src/syscall/table.rs
 * is checked here on both kernels.
 */
#include "../harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	long number;
	const char *name;
} absent[] = {
	{ 134, "uselib" },
	{ 156, "_sysctl" },
	{ 174, "create_module" },
	{ 177, "get_kernel_syms" },
	{ 178, "query_module" },
	{ 180, "nfsservctl" },
	{ 181, "getpmsg" },
	{ 182, "putpmsg" },
	{ 183, "afs_syscall" },
	{ 184, "tuxcall" },
	{ 185, "security" },
	{ 205, "set_thread_area" },
	{ 211, "get_thread_area" },
	{ 212, "lookup_dcookie" },
	{ 214, "epoll_ctl_old" },
	{ 215, "epoll_wait_old" },
	{ 236, "vserver" },
	{ 335, "uretprobe" },
	{ 447, "memfd_secret" },
	{ 451, "cachestat" },
	{ 452, "fchmodat2" },
	{ 453, "map_shadow_stack" },
	{ 454, "futex_wake" },
	{ 455, "futex_wait" },
	{ 456, "futex_requeue" },
	{ 457, "statmount" },
	{ 458, "listmount" },
	{ 459, "lsm_get_self_attr" },
	{ 460, "lsm_set_self_attr" },
	{ 461, "lsm_list_modules" },
};

TEST(absent, linux_6_1_answers_enosys)
{
	for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
		/* Plausible arguments: a real call would act on them. */
		long r = h_raw_syscall(absent[i].number, 0, 0, 0, 0, 0, 0);
		if (r != -ENOSYS)
			FAIL("%s (%ld) returned %ld, want -ENOSYS",
			     absent[i].name, absent[i].number, r);
		r = h_raw_syscall(absent[i].number, -1, 1, 2, 3, 4, 5);
		if (r != -ENOSYS)
			FAIL("%s (%ld) with other arguments returned %ld",
			     absent[i].name, absent[i].number, r);
	}
}

static const char bad_image[4] = { 0, 0, 0, 0 };

/* Each call with root's arguments: the errno a configured Linux gives. */
static long init_module_short(void)
{
	return h_raw_syscall(SYS_init_module, (long)bad_image, 4, (long)"", 0, 0, 0);
}
static long delete_unknown(void)
{
	return h_raw_syscall(SYS_delete_module, (long)"ferrux_no_such_module",
			     O_NONBLOCK, 0, 0, 0, 0);
}
static long finit_bad_fd(void)
{
	return h_raw_syscall(SYS_finit_module, -1, (long)"", 0, 0, 0, 0);
}
static long kexec_bad_flags(void)
{
	return h_raw_syscall(SYS_kexec_load, 0, 0, 0, 0x4, 0, 0);
}
static long kexec_file_bad_flags(void)
{
	return h_raw_syscall(SYS_kexec_file_load, -1, -1, 0, 0, 0x100, 0);
}

static const struct {
	long (*call)(void);
	const char *name;
	long root_error; /* where the kernel has the call */
} configurable[] = {
	{ init_module_short, "init_module", ENOEXEC },
	{ delete_unknown, "delete_module", ENOENT },
	{ finit_bad_fd, "finit_module", EBADF },
	{ kexec_bad_flags, "kexec_load", EINVAL },
	{ kexec_file_bad_flags, "kexec_file_load", EINVAL },
};

/* Runs every call; `is_configured` says which answers to want; as nobody
 * (no capabilities) a configured kernel answers EPERM. */
static void check_configurable(int is_configured, int is_root)
{
	for (size_t i = 0; i < sizeof configurable / sizeof configurable[0]; i++) {
		long want = !is_configured ? ENOSYS
			  : is_root	   ? configurable[i].root_error
					   : EPERM;
		long r = configurable[i].call();
		if (r != -want)
			FAIL("%s as %s returned %ld, want -%s",
			     configurable[i].name, is_root ? "root" : "nobody",
			     r, h_errname((int)want));
	}
}

static void as_nobody(void *arg)
{
	EXPECT_OK(setgid(65534));
	EXPECT_OK(setuid(65534));
	check_configurable(*(int *)arg, 0);
}

/* Debian's Linux has CONFIG_MODULES and CONFIG_KEXEC{,_FILE}; Ferrux answers
 * as a kernel without them. Whichever it is, all five calls agree. */
TEST(absent, module_and_kexec_calls_configured_or_not)
{
	if (getuid() != 0)
		return;
	int is_configured = delete_unknown() != -ENOSYS;
	check_configurable(is_configured, 1);
	EXPECT_CHILD_OK(as_nobody, &is_configured);
}
