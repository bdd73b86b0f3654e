/*
 * Suite capability: capget(2), capset(2), the capability prctls and how uid
 * changes, exec and privileged operations follow the sets (raw syscalls).
 *
 * Guards Linux 6.1's kernel/capability.c and security/commoncap.c: the
 * header version picks one (v1) or two (v2, v3) records; an unknown version
 * is EINVAL with version 3 written back, and capget with NULL data answers 0
 * then; a negative pid is EINVAL, an unknown one ESRCH, another process's
 * sets can be read; capset only for the caller (EPERM), permitted never
 * grows, effective stays within permitted, inheritable within inheritable |
 * permitted without CAP_SETPCAP and within the bounding set (EPERM); v1
 * drops the upper 32 capabilities; the ambient set shrinks with permitted
 * and inheritable.  Leaving every root uid clears permitted and effective
 * (kept with PR_SET_KEEPCAPS, effective still cleared), an euid change
 * clears or restores effective, setfsuid moves the filesystem capabilities.
 * exec gives root the bounding and inheritable sets, non-root the ambient
 * set; a dropped effective capability makes chown, DAC overrides and
 * sethostname EPERM/EACCES.  prctl: CAPBSET_READ/DROP (CAP_SETPCAP, EINVAL
 * past CAP_LAST_CAP), securebits and their locks, KEEPCAPS, CAP_AMBIENT.
 * /proc/self/status shows the five sets.  Every test changes credentials in
 * a forked child.  Man pages capget(2), capabilities(7), prctl(2).
 */
#include "harness.h"
#include "../proc/proc.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#define V1 0x19980330
#define V2 0x20071026
#define V3 0x20080522
#define FULL 0x1ffffffffffULL
#define CAP_CHOWN 0
#define CAP_DAC_OVERRIDE 1
#define CAP_DAC_READ_SEARCH 2
#define CAP_KILL 5
#define CAP_SETUID 7
#define CAP_SETPCAP 8
#define CAP_SYS_ADMIN 21
#define CAP_SYSLOG 34
#define BIT(c) (1ULL << (c))

struct header {
	uint32_t version;
	int pid;
};
struct data {
	uint32_t effective, permitted, inheritable;
};
struct sets {
	unsigned long long effective, permitted, inheritable;
};

static long r_capget(struct header *h, struct data *d)
{
	return syscall(SYS_capget, h, d);
}
static long r_capset(struct header *h, struct data *d)
{
	return syscall(SYS_capset, h, d);
}

static struct sets get_caps(int pid)
{
	struct header h = {V3, pid};
	struct data d[2];
	memset(d, 0, sizeof d);
	if (r_capget(&h, d) != 0)
		FAIL("capget(%d): %s", pid, h_errname(errno));
	struct sets s = {
		(unsigned long long)d[1].effective << 32 | d[0].effective,
		(unsigned long long)d[1].permitted << 32 | d[0].permitted,
		(unsigned long long)d[1].inheritable << 32 | d[0].inheritable,
	};
	return s;
}

static long set_caps(unsigned long long e, unsigned long long p, unsigned long long i)
{
	struct header h = {V3, 0};
	struct data d[2] = {
		{(uint32_t)e, (uint32_t)p, (uint32_t)i},
		{(uint32_t)(e >> 32), (uint32_t)(p >> 32), (uint32_t)(i >> 32)},
	};
	return r_capset(&h, d);
}

static int is_root(void)
{
	return getuid() == 0 && geteuid() == 0;
}

static void versions(void *arg)
{
	(void)arg;
	struct header h = {0x12345678, 0};
	struct data d[2];
	/* A NULL data pointer asks for the version. */
	EXPECT_EQ(r_capget(&h, NULL), 0);
	EXPECT_EQX(h.version, V3);
	h.version = 0x12345678;
	EXPECT_ERRNO(r_capget(&h, d), EINVAL);
	EXPECT_EQX(h.version, V3);
	h.version = 0;
	EXPECT_ERRNO(r_capset(&h, d), EINVAL);
	EXPECT_EQX(h.version, V3);
	EXPECT_ERRNO(r_capget(NULL, d), EFAULT);
	EXPECT_ERRNO(r_capget(H_KERNEL_PTR, NULL), EFAULT);
	/* A good version with NULL data: nothing read, 0. */
	h.version = V3;
	h.pid = -1;
	EXPECT_EQ(r_capget(&h, NULL), 0);
	EXPECT_ERRNO(r_capget(&h, d), EINVAL);
	h.pid = 0;
	EXPECT_ERRNO(r_capget(&h, H_KERNEL_PTR), EFAULT);
	/* v1 fills one record, v2 and v3 two. */
	memset(d, 0xa5, sizeof d);
	h.version = V1;
	EXPECT_EQ(r_capget(&h, d), 0);
	EXPECT_EQX(d[1].effective, 0xa5a5a5a5u);
	EXPECT_EQX(h.version, V1);
	h.version = V2;
	EXPECT_EQ(r_capget(&h, d), 0);
	EXPECT_EQX(h.version, V2);
	if (is_root()) {
		EXPECT_EQX(d[0].effective, 0xffffffffu);
		EXPECT_EQX(d[1].effective, 0x1ffu);
		EXPECT_EQX(d[1].permitted, 0x1ffu);
		EXPECT_EQX(d[1].inheritable, 0);
	}
	/* An unknown pid. */
	h.version = V3;
	h.pid = 999999;
	EXPECT_ERRNO(r_capget(&h, d), ESRCH);
	/* capset of another process: EPERM. */
	h.pid = getppid() > 0 ? getppid() : 1;
	if (h.pid != getpid())
		EXPECT_ERRNO(r_capset(&h, d), EPERM);
	h.pid = getpid();
	EXPECT_EQ(r_capget(&h, d), 0);
	EXPECT_EQ(r_capset(&h, d), 0);
}

TEST(capability, versions_and_errors)
{
	EXPECT_CHILD_OK(versions, NULL);
}

static void capset_rules(void *arg)
{
	(void)arg;
	if (!is_root())
		return;
	struct sets s = get_caps(0);
	EXPECT_EQX(s.effective, FULL);
	EXPECT_EQX(s.permitted, FULL);
	EXPECT_EQX(s.inheritable, 0);
	/* Effective must stay within permitted. */
	EXPECT_ERRNO(set_caps(BIT(CAP_KILL), 0, 0), EPERM);
	/* Drop everything but a few. */
	unsigned long long keep = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_SETPCAP);
	EXPECT_EQ(set_caps(keep, keep, BIT(CAP_SYS_ADMIN)), 0);
	s = get_caps(0);
	EXPECT_EQX(s.effective, keep);
	EXPECT_EQX(s.permitted, keep);
	/* With CAP_SETPCAP the inheritable set may hold what permitted lacks. */
	EXPECT_EQX(s.inheritable, BIT(CAP_SYS_ADMIN));
	/* Permitted never grows back. */
	EXPECT_ERRNO(set_caps(keep, keep | BIT(CAP_SETUID), 0), EPERM);
	/* Without CAP_SETPCAP, inheritable stays within inheritable | permitted. */
	keep = BIT(CAP_CHOWN) | BIT(CAP_KILL);
	EXPECT_EQ(set_caps(keep, keep, BIT(CAP_KILL)), 0);
	EXPECT_ERRNO(set_caps(keep, keep, BIT(CAP_SYS_ADMIN)), EPERM);
	EXPECT_EQ(set_caps(keep, keep, 0), 0);
	/* An effective capability can come back from permitted. */
	EXPECT_EQ(set_caps(0, keep, 0), 0);
	EXPECT_EQX(get_caps(0).effective, 0);
	EXPECT_EQ(set_caps(BIT(CAP_CHOWN), keep, 0), 0);
	EXPECT_EQX(get_caps(0).effective, BIT(CAP_CHOWN));
}

TEST(capability, capset_rules)
{
	EXPECT_CHILD_OK(capset_rules, NULL);
}

static void version_1_drops_upper(void *arg)
{
	(void)arg;
	if (!is_root())
		return;
	struct header h = {V1, 0};
	struct data d[2];
	EXPECT_EQ(r_capget(&h, d), 0);
	EXPECT_EQ(r_capset(&h, d), 0);
	struct sets s = get_caps(0);
	EXPECT_EQX(s.permitted, 0xffffffffULL);
	EXPECT_EQX(s.effective, 0xffffffffULL);
	/* Bits past CAP_LAST_CAP are ignored. */
	EXPECT_EQ(set_caps(0xffffffffULL, 0xffffffffULL, 0), 0);
	h.version = V3;
	struct data wide[2] = {{0, 0xffffffff, 0}, {0, 0xfffffe00, 0}};
	EXPECT_EQ(r_capset(&h, wide), 0);
	EXPECT_EQX(get_caps(0).permitted, 0xffffffffULL);
}

TEST(capability, version_1_drops_upper_capabilities)
{
	EXPECT_CHILD_OK(version_1_drops_upper, NULL);
}

static void another_process(void *arg)
{
	(void)arg;
	if (!is_root())
		return;
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		if (set_caps(BIT(CAP_KILL), BIT(CAP_KILL) | BIT(CAP_CHOWN), 0) != 0)
			h_exit(1);
		h_post(p[1]);
		pause();
		h_exit(0);
	}
	h_wait_byte(p[0]);
	struct sets s = get_caps(pid);
	EXPECT_EQX(s.effective, BIT(CAP_KILL));
	EXPECT_EQX(s.permitted, BIT(CAP_KILL) | BIT(CAP_CHOWN));
	kill(pid, SIGKILL);
	h_wait_signaled(pid, NULL);
}

TEST(capability, capget_of_another_process)
{
	EXPECT_CHILD_OK(another_process, NULL);
}

static void uid_changes(void *arg)
{
	(void)arg;
	if (!is_root())
		return;
	/* The euid leaving 0 clears effective; coming back restores it. */
	EXPECT_EQ(syscall(SYS_setresuid, -1, 1000, -1), 0);
	EXPECT_EQX(get_caps(0).effective, 0);
	EXPECT_EQX(get_caps(0).permitted, FULL);
	EXPECT_EQ(syscall(SYS_setresuid, -1, 0, -1), 0);
	EXPECT_EQX(get_caps(0).effective, FULL);
	/* fsuid: the filesystem capabilities only. */
	syscall(SYS_setfsuid, 1000);
	struct sets s = get_caps(0);
	EXPECT_EQ(s.effective & BIT(CAP_CHOWN), 0);
	EXPECT_EQ(s.effective & BIT(CAP_DAC_OVERRIDE), 0);
	EXPECT_NE(s.effective & BIT(CAP_KILL), 0);
	syscall(SYS_setfsuid, 0);
	EXPECT_EQX(get_caps(0).effective, FULL);
	/* Keep-caps: leaving root keeps permitted, not effective. */
	EXPECT_EQ(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	EXPECT_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
	EXPECT_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), 1 << 4);
	EXPECT_EQ(syscall(SYS_setresuid, 1000, 1000, 1000), 0);
	s = get_caps(0);
	EXPECT_EQX(s.permitted, FULL);
	EXPECT_EQX(s.effective, 0);
	/* ... and capset can raise effective again: setuid works once more. */
	EXPECT_EQ(set_caps(BIT(CAP_SETUID), FULL, 0), 0);
	EXPECT_EQ(syscall(SYS_setresuid, 2000, 2000, 2000), 0);
	/* No root id before: nothing is cleared; the euid coming back to 0
	 * raises effective to permitted. */
	EXPECT_EQX(get_caps(0).permitted, FULL);
	EXPECT_EQ(syscall(SYS_setresuid, 0, 0, 0), 0);
	EXPECT_EQX(get_caps(0).effective, FULL);
	/* Without keep-caps, leaving root loses everything. */
	EXPECT_EQ(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), 0);
	EXPECT_EQ(syscall(SYS_setresuid, 1000, 1000, 1000), 0);
	s = get_caps(0);
	EXPECT_EQX(s.permitted, 0);
	EXPECT_EQX(s.effective, 0);
	EXPECT_ERRNO(set_caps(0, BIT(CAP_KILL), 0), EPERM);
}

TEST(capability, uid_changes_follow_linux)
{
	EXPECT_CHILD_OK(uid_changes, NULL);
}

static void enforcement(void *arg)
{
	(void)arg;
	if (!is_root())
		return;
	const char *dir = h_tmpdir();
	(void)dir;
	h_write_file("secret", "data");
	EXPECT_OK(chmod("secret", 0));
	EXPECT_OK(chown("secret", 1000, 1000));
	unsigned long long all = FULL;
	/* Without CAP_CHOWN, chown of another's file is EPERM. */
	EXPECT_EQ(set_caps(all & ~BIT(CAP_CHOWN), all, 0), 0);
	EXPECT_ERRNO(chown("secret", 0, 0), EPERM);
	/* CAP_DAC_READ_SEARCH alone reads, does not write. */
	EXPECT_EQ(set_caps(all & ~BIT(CAP_DAC_OVERRIDE), all, 0), 0);
	int fd = open("secret", O_RDONLY);
	EXPECT_GE(fd, 0);
	close(fd);
	EXPECT_ERRNO(open("secret", O_WRONLY), EACCES);
	/* Without either: EACCES. */
	EXPECT_EQ(set_caps(all & ~(BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH)), all, 0), 0);
	EXPECT_ERRNO(open("secret", O_RDONLY), EACCES);
	/* sethostname needs CAP_SYS_ADMIN. */
	char name[65];
	EXPECT_OK(gethostname(name, sizeof name));
	EXPECT_EQ(set_caps(all & ~BIT(CAP_SYS_ADMIN), all, 0), 0);
	EXPECT_ERRNO(sethostname(name, strlen(name)), EPERM);
	/* Back. */
	EXPECT_EQ(set_caps(all, all, 0), 0);
	EXPECT_OK(chown("secret", 0, 0));
}

TEST(capability, dropped_capabilities_are_enforced)
{
	EXPECT_CHILD_OK(enforcement, NULL);
}

static void bounding_and_securebits(void *arg)
{
	(void)arg;
	if (!is_root())
		return;
	EXPECT_EQ(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0), 1);
	EXPECT_EQ(prctl(PR_CAPBSET_READ, 40, 0, 0, 0), 1);
	EXPECT_ERRNO(prctl(PR_CAPBSET_READ, 41, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(prctl(PR_CAPBSET_DROP, 41, 0, 0, 0), EINVAL);
	EXPECT_EQ(prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0), 0);
	EXPECT_EQ(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0), 0);
	/* Dropping from the bounding set leaves permitted alone. */
	EXPECT_NE(get_caps(0).permitted & BIT(CAP_SYS_ADMIN), 0);
	/* Without CAP_SETPCAP: EPERM before EINVAL. */
	EXPECT_EQ(set_caps(FULL & ~BIT(CAP_SETPCAP), FULL, 0), 0);
	EXPECT_ERRNO(prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0), EPERM);
	EXPECT_ERRNO(prctl(PR_CAPBSET_DROP, 41, 0, 0, 0), EPERM);
	EXPECT_ERRNO(prctl(PR_SET_SECUREBITS, 0, 0, 0, 0), EPERM);
	EXPECT_EQ(set_caps(FULL, FULL, 0), 0);
	/* Securebits: unknown bits EPERM; a lock holds its bit. */
	EXPECT_ERRNO(prctl(PR_SET_SECUREBITS, 1 << 8, 0, 0, 0), EPERM);
	EXPECT_EQ(prctl(PR_SET_SECUREBITS, (1 << 4) | (1 << 5), 0, 0, 0), 0);
	EXPECT_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), (1 << 4) | (1 << 5));
	EXPECT_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
	EXPECT_ERRNO(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), EPERM);
	EXPECT_ERRNO(prctl(PR_SET_SECUREBITS, 1 << 5, 0, 0, 0), EPERM);
	EXPECT_ERRNO(prctl(PR_SET_SECUREBITS, (1 << 4), 0, 0, 0), EPERM);
	EXPECT_EQ(prctl(PR_SET_SECUREBITS, (1 << 4) | (1 << 5) | 1, 0, 0, 0), 0);
	EXPECT_ERRNO(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL);
}

TEST(capability, bounding_set_and_securebits)
{
	EXPECT_CHILD_OK(bounding_and_securebits, NULL);
}

static void ambient_rules(void *arg)
{
	(void)arg;
	if (!is_root())
		return;
	EXPECT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0), 0);
	/* Not in inheritable: EPERM. */
	EXPECT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0), EPERM);
	EXPECT_EQ(set_caps(FULL, FULL, BIT(CAP_KILL)), 0);
	EXPECT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0), 0);
	EXPECT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0), 1);
	EXPECT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 41, 0, 0), EINVAL);
	EXPECT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 1, 0), EINVAL);
	EXPECT_ERRNO(prctl(PR_CAP_AMBIENT, 9, CAP_KILL, 0, 0), EINVAL);
	EXPECT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0), EINVAL);
	/* Lowering inheritable lowers ambient. */
	EXPECT_EQ(set_caps(FULL, FULL, 0), 0);
	EXPECT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0), 0);
	EXPECT_EQ(set_caps(FULL, FULL, BIT(CAP_KILL) | BIT(CAP_CHOWN)), 0);
	EXPECT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0), 0);
	EXPECT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_CHOWN, 0, 0), 0);
	EXPECT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0), 0);
	EXPECT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0), 0);
	EXPECT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), 0);
	EXPECT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0), 0);
	/* SECURE_NO_CAP_AMBIENT_RAISE. */
	EXPECT_EQ(prctl(PR_SET_SECUREBITS, 1 << 6, 0, 0, 0), 0);
	EXPECT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0), EPERM);
}

TEST(capability, ambient_rules)
{
	EXPECT_CHILD_OK(ambient_rules, NULL);
}

/* Runs the helper's "caps" command after setup; its output in out. */
static void run_caps(void (*setup)(void), char *out, size_t size)
{
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		if (dup2(p[1], 1) != 1)
			h_exit(126);
		setup();
		char *argv[] = {(char *)h_child_helper(), "caps", NULL};
		execv(argv[0], argv);
		h_exit(127);
	}
	close(p[1]);
	h_read_all(p[0], out, size);
	close(p[0]);
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static void root_drops_bounding(void)
{
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) != 0 ||
	    set_caps(BIT(CAP_KILL), BIT(CAP_KILL), BIT(CAP_CHOWN)) != 0)
		h_exit(2);
}

static void real_root_only(void)
{
	if (syscall(SYS_setresuid, 0, 1000, 1000) != 0)
		h_exit(2);
}

static void user_with_ambient(void)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_setresuid, 1000, 1000, 1000) != 0 ||
	    set_caps(BIT(CAP_KILL), BIT(CAP_KILL) | BIT(CAP_CHOWN), BIT(CAP_KILL)) != 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0) != 0)
		h_exit(2);
}

static void plain_user(void)
{
	if (syscall(SYS_setresuid, 1000, 1000, 1000) != 0)
		h_exit(2);
}

TEST(capability, exec_recomputes_the_sets)
{
	if (!is_root())
		return;
	char out[256], want[256];
	/* Root: permitted and effective from the bounding (and inheritable)
	 * set, whatever they were; keep-caps goes. */
	run_caps(root_drops_bounding, out, sizeof out);
	snprintf(want, sizeof want, "eff=%llx prm=%llx inh=%llx bnd=%llx amb=0 secure=0\n",
		 FULL & ~BIT(CAP_SYS_ADMIN), FULL & ~BIT(CAP_SYS_ADMIN), BIT(CAP_CHOWN),
		 FULL & ~BIT(CAP_SYS_ADMIN));
	EXPECT_STREQ(out, want);
	/* Real uid 0 only: permitted, not effective. */
	run_caps(real_root_only, out, sizeof out);
	snprintf(want, sizeof want, "eff=0 prm=%llx inh=0 bnd=%llx amb=0 secure=0\n", FULL, FULL);
	EXPECT_STREQ(out, want);
	/* A user: the ambient set only. */
	run_caps(user_with_ambient, out, sizeof out);
	snprintf(want, sizeof want, "eff=20 prm=20 inh=20 bnd=%llx amb=20 secure=0\n", FULL);
	EXPECT_STREQ(out, want);
	run_caps(plain_user, out, sizeof out);
	snprintf(want, sizeof want, "eff=0 prm=0 inh=0 bnd=%llx amb=0 secure=0\n", FULL);
	EXPECT_STREQ(out, want);
}

static void status_lines(void *arg)
{
	(void)arg;
	if (!is_root())
		return;
	if (access("/proc/self/status", R_OK) != 0)
		return;
	EXPECT_EQ(set_caps(BIT(CAP_KILL), BIT(CAP_KILL) | BIT(CAP_SYSLOG), BIT(CAP_KILL)), 0);
	EXPECT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0), 0);
	static char buf[4096];
	h_read_file("/proc/self/status", buf, sizeof buf);
	char want[256];
	snprintf(want, sizeof want,
		 "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\nCapBnd:\t%016llx\n"
		 "CapAmb:\t%016llx\n",
		 BIT(CAP_KILL), BIT(CAP_KILL) | BIT(CAP_SYSLOG), BIT(CAP_KILL), FULL, BIT(CAP_KILL));
	if (!strstr(buf, want))
		FAIL("no %s in %s", want, buf);
}

TEST(capability, proc_status_shows_the_sets)
{
	proc_ready();
	EXPECT_CHILD_OK(status_lines, NULL);
}
