/*
 * Suite cred: setuid(2), setgid(2), setreuid(2), setregid(2), setresuid(2),
 * setresgid(2), getresuid(2), getresgid(2), setfsuid(2), setfsgid(2),
 * setgroups(2), getgroups(2) (raw syscalls, so the libc's thread broadcast
 * does not hide the kernel's answer).
 *
 * Guards Linux's kernel/sys.c and kernel/groups.c: root (CAP_SETUID /
 * CAP_SETGID) may set any id; others only to their real, effective or saved
 * id (EPERM); setuid as root sets all three, otherwise only the effective id;
 * setreuid sets the saved id to the new effective id when the real id is set
 * or the effective id differs from the old real id; setresuid with only
 * held ids is allowed; -1 is EINVAL for setuid and "unchanged" elsewhere;
 * fsuid follows euid; setfsuid returns the old value and never fails;
 * setgroups needs CAP_SETGID, caps the size at NGROUPS_MAX (65536), rejects
 * gid -1 and stores the list sorted; getgroups(0) counts, a short buffer is
 * EINVAL.  Dropping every root id loses the capabilities (no way back, no
 * DAC override); an euid change makes the process non-dumpable
 * (commit_creds).  Every privileged test drops root in a forked child.
 * Man pages setresuid(2), setfsuid(2), getgroups(2), capabilities(7).
 */
#include "harness.h"

#include <signal.h>
#include <sys/prctl.h>

#define NOBODY 65534
#define K_NO_ID ((long)(unsigned)-1)

static long rsetresuid(long r, long e, long s)
{
	return syscall(SYS_setresuid, r, e, s);
}
static long rsetresgid(long r, long e, long s)
{
	return syscall(SYS_setresgid, r, e, s);
}

static void expect_uids(unsigned r, unsigned e, unsigned s)
{
	unsigned gr = 1, ge = 1, gs = 1;
	EXPECT_EQ(syscall(SYS_getresuid, &gr, &ge, &gs), 0);
	EXPECT_EQ(gr, r);
	EXPECT_EQ(ge, e);
	EXPECT_EQ(gs, s);
}

static void expect_gids(unsigned r, unsigned e, unsigned s)
{
	unsigned gr = 1, ge = 1, gs = 1;
	EXPECT_EQ(syscall(SYS_getresgid, &gr, &ge, &gs), 0);
	EXPECT_EQ(gr, r);
	EXPECT_EQ(ge, e);
	EXPECT_EQ(gs, s);
}

static long fsuid_now(void)
{
	/* setfsuid(-1) changes nothing and returns the current fsuid. */
	return syscall(SYS_setfsuid, K_NO_ID);
}

static long fsgid_now(void)
{
	return syscall(SYS_setfsgid, K_NO_ID);
}

static void setuid_as_root(void *arg)
{
	(void)arg;
	EXPECT_ERRNO(syscall(SYS_setuid, K_NO_ID), EINVAL);
	EXPECT_EQ(syscall(SYS_setuid, 1000), 0);
	expect_uids(1000, 1000, 1000);
	EXPECT_EQ(fsuid_now(), 1000);
	/* Every id left 0: no way back. */
	EXPECT_ERRNO(syscall(SYS_setuid, 0), EPERM);
	EXPECT_ERRNO(rsetresuid(0, 0, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_setreuid, 0, K_NO_ID), EPERM);
	EXPECT_EQ(syscall(SYS_setuid, 1000), 0);
}

TEST(cred, setuid_as_root_sets_all)
{
	EXPECT_CHILD_OK(setuid_as_root, NULL);
}

static void setuid_unprivileged(void *arg)
{
	(void)arg;
	EXPECT_EQ(rsetresuid(1000, 2000, 3000), 0);
	expect_uids(1000, 2000, 3000);
	/* Unprivileged: only the effective id changes, to the real or saved. */
	EXPECT_EQ(syscall(SYS_setuid, 3000), 0);
	expect_uids(1000, 3000, 3000);
	EXPECT_EQ(syscall(SYS_setuid, 1000), 0);
	expect_uids(1000, 1000, 3000);
	EXPECT_ERRNO(syscall(SYS_setuid, 2000), EPERM);
	EXPECT_ERRNO(syscall(SYS_setuid, 0), EPERM);
	expect_uids(1000, 1000, 3000);
}

TEST(cred, setuid_unprivileged_changes_effective_only)
{
	EXPECT_CHILD_OK(setuid_unprivileged, NULL);
}

static void setreuid_rules(void *arg)
{
	(void)arg;
	/* Real id set: saved = new effective. */
	EXPECT_EQ(syscall(SYS_setreuid, 1000, 2000), 0);
	expect_uids(1000, 2000, 2000);
	/* Effective set to the old real id: saved unchanged. */
	EXPECT_EQ(syscall(SYS_setreuid, K_NO_ID, 1000), 0);
	expect_uids(1000, 1000, 2000);
	/* Effective set to the saved id (not the real one): saved = it. */
	EXPECT_EQ(syscall(SYS_setreuid, K_NO_ID, 2000), 0);
	expect_uids(1000, 2000, 2000);
	/* Real may become the effective id; saved follows the effective. */
	EXPECT_EQ(syscall(SYS_setreuid, 2000, K_NO_ID), 0);
	expect_uids(2000, 2000, 2000);
	EXPECT_ERRNO(syscall(SYS_setreuid, 1000, K_NO_ID), EPERM);
	EXPECT_ERRNO(syscall(SYS_setreuid, K_NO_ID, 1000), EPERM);
	EXPECT_EQ(syscall(SYS_setreuid, K_NO_ID, K_NO_ID), 0);
	expect_uids(2000, 2000, 2000);
}

TEST(cred, setreuid_saved_id_rules)
{
	EXPECT_CHILD_OK(setreuid_rules, NULL);
}

static void setresuid_rules(void *arg)
{
	(void)arg;
	EXPECT_EQ(rsetresuid(NOBODY, NOBODY, 0), 0);
	expect_uids(NOBODY, NOBODY, 0);
	EXPECT_EQ(geteuid(), NOBODY);
	/* The saved 0 lets it come back, and root may then set anything. */
	EXPECT_EQ(rsetresuid(K_NO_ID, 0, K_NO_ID), 0);
	expect_uids(NOBODY, 0, 0);
	EXPECT_EQ(rsetresuid(1, 2, 3), 0);
	expect_uids(1, 2, 3);
	/* Permutations of held ids are fine, a new id is not. */
	EXPECT_EQ(rsetresuid(3, 1, 2), 0);
	expect_uids(3, 1, 2);
	EXPECT_ERRNO(rsetresuid(4, K_NO_ID, K_NO_ID), EPERM);
	EXPECT_ERRNO(rsetresuid(K_NO_ID, K_NO_ID, 0), EPERM);
	EXPECT_EQ(rsetresuid(K_NO_ID, K_NO_ID, K_NO_ID), 0);
	expect_uids(3, 1, 2);
}

TEST(cred, setresuid_held_ids_only)
{
	EXPECT_CHILD_OK(setresuid_rules, NULL);
}

static void gid_rules(void *arg)
{
	(void)arg;
	EXPECT_ERRNO(syscall(SYS_setgid, K_NO_ID), EINVAL);
	EXPECT_EQ(rsetresgid(10, 20, 30), 0);
	expect_gids(10, 20, 30);
	EXPECT_EQ(fsgid_now(), 20);
	EXPECT_EQ(syscall(SYS_setregid, 20, K_NO_ID), 0);
	expect_gids(20, 20, 20);
	EXPECT_EQ(syscall(SYS_setgid, 40), 0); /* root: all */
	expect_gids(40, 40, 40);
	EXPECT_EQ(rsetresgid(40, 50, 60), 0);
	EXPECT_EQ(rsetresuid(NOBODY, NOBODY, NOBODY), 0);
	/* No longer privileged. */
	EXPECT_EQ(syscall(SYS_setgid, 60), 0);
	expect_gids(40, 60, 60);
	EXPECT_ERRNO(syscall(SYS_setgid, 50), EPERM);
	EXPECT_ERRNO(rsetresgid(0, K_NO_ID, K_NO_ID), EPERM);
	EXPECT_ERRNO(syscall(SYS_setregid, K_NO_ID, 1), EPERM);
	EXPECT_EQ(syscall(SYS_setregid, 60, 40), 0);
	expect_gids(60, 40, 40);
	EXPECT_EQ(fsgid_now(), 40);
}

TEST(cred, gid_rules)
{
	EXPECT_CHILD_OK(gid_rules, NULL);
}

static void fsuid_rules(void *arg)
{
	(void)arg;
	EXPECT_EQ(fsuid_now(), 0);
	EXPECT_EQ(syscall(SYS_setfsuid, 1234), 0);
	EXPECT_EQ(fsuid_now(), 1234);
	EXPECT_EQ(getuid(), 0);
	EXPECT_EQ(geteuid(), 0);
	/* setresuid resets fsuid to the effective id. */
	EXPECT_EQ(rsetresuid(K_NO_ID, 500, K_NO_ID), 0);
	EXPECT_EQ(fsuid_now(), 500);
	/* Unprivileged: only to a held id; the old value comes back anyway. */
	EXPECT_EQ(syscall(SYS_setfsuid, 777), 500);
	EXPECT_EQ(fsuid_now(), 500);
	EXPECT_EQ(syscall(SYS_setfsuid, 0), 500); /* 0 is real and saved */
	EXPECT_EQ(fsuid_now(), 0);
	/* fsuid 0 gives file capabilities back, not CAP_SETGID. */
	EXPECT_EQ(syscall(SYS_setfsgid, 99), 0);
	EXPECT_EQ(fsgid_now(), 0);
}

TEST(cred, setfsuid_returns_old_and_follows_euid)
{
	EXPECT_CHILD_OK(fsuid_rules, NULL);
}

static void fs_checks(void *arg)
{
	const char *dir = arg;
	char path[512];
	snprintf(path, sizeof path, "%s/secret", dir);
	/* Root reads a 0600 root file; with fsuid nobody it may not. */
	int fd = EXPECT_OK(open(path, O_RDONLY));
	close(fd);
	EXPECT_EQ(syscall(SYS_setfsuid, NOBODY), 0);
	EXPECT_ERRNO(open(path, O_RDONLY), EACCES);
	EXPECT_EQ(syscall(SYS_setfsuid, 0), NOBODY);
	fd = EXPECT_OK(open(path, O_RDONLY));
	close(fd);
	/* A supplementary group opens a group-readable file. */
	snprintf(path, sizeof path, "%s/grp", dir);
	gid_t g = 4321;
	EXPECT_EQ(syscall(SYS_setgroups, 1, &g), 0);
	EXPECT_EQ(rsetresuid(NOBODY, NOBODY, NOBODY), 0);
	fd = EXPECT_OK(open(path, O_RDONLY));
	close(fd);
	snprintf(path, sizeof path, "%s/secret", dir);
	EXPECT_ERRNO(open(path, O_RDONLY), EACCES);
}

TEST(cred, permission_checks_use_fsuid_and_groups)
{
	const char *dir = h_tmpdir();
	EXPECT_OK(chmod(dir, 0755));
	h_write_file("secret", "x");
	EXPECT_OK(chmod("secret", 0600));
	h_write_file("grp", "y");
	EXPECT_OK(chown("grp", 0, 4321));
	EXPECT_OK(chmod("grp", 0040));
	EXPECT_CHILD_OK(fs_checks, (void *)dir);
}

static void groups_rules(void *arg)
{
	(void)arg;
	gid_t in[3] = {30, 10, 20}, out[4] = {0};
	EXPECT_EQ(syscall(SYS_setgroups, 3, in), 0);
	EXPECT_EQ(syscall(SYS_getgroups, 0, NULL), 3);
	EXPECT_EQ(syscall(SYS_getgroups, 4, out), 3);
	EXPECT_EQ(out[0], 10);
	EXPECT_EQ(out[1], 20);
	EXPECT_EQ(out[2], 30);
	EXPECT_ERRNO(syscall(SYS_getgroups, 2, out), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getgroups, -1, out), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getgroups, 3, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_setgroups, 65537, in), EINVAL);
	EXPECT_ERRNO(syscall(SYS_setgroups, -1, in), EINVAL);
	EXPECT_ERRNO(syscall(SYS_setgroups, 2, H_BAD_PTR), EFAULT);
	gid_t bad[2] = {5, (gid_t)-1};
	EXPECT_ERRNO(syscall(SYS_setgroups, 2, bad), EINVAL);
	EXPECT_EQ(syscall(SYS_getgroups, 0, NULL), 3);
	EXPECT_EQ(syscall(SYS_setgroups, 0, NULL), 0);
	EXPECT_EQ(syscall(SYS_getgroups, 0, NULL), 0);
	EXPECT_EQ(syscall(SYS_getgroups, 1, out), 0);
	EXPECT_EQ(syscall(SYS_setgroups, 1, in), 0);
	/* Without CAP_SETGID: EPERM, even for the same list. */
	EXPECT_EQ(rsetresuid(NOBODY, NOBODY, NOBODY), 0);
	EXPECT_ERRNO(syscall(SYS_setgroups, 1, in), EPERM);
	EXPECT_ERRNO(syscall(SYS_setgroups, 0, NULL), EPERM);
	EXPECT_EQ(syscall(SYS_getgroups, 1, out), 1);
	EXPECT_EQ(out[0], 30);
}

TEST(cred, setgroups_getgroups)
{
	EXPECT_CHILD_OK(groups_rules, NULL);
}

static void getres_efault(void *arg)
{
	(void)arg;
	unsigned a, b;
	EXPECT_ERRNO(syscall(SYS_getresuid, H_BAD_PTR, &a, &b), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getresuid, &a, &b, H_BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getresgid, &a, H_BAD_PTR, &b), EFAULT);
}

TEST(cred, getresuid_efault)
{
	EXPECT_CHILD_OK(getres_efault, NULL);
}

static void dumpable_after_change(void *arg)
{
	(void)arg;
	EXPECT_EQ(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	EXPECT_EQ(prctl(PR_SET_PDEATHSIG, 10, 0, 0, 0), 0);
	/* A change that keeps every effective and fs id keeps both. */
	EXPECT_EQ(rsetresuid(K_NO_ID, K_NO_ID, 5), 0);
	EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	int sig = -1;
	EXPECT_EQ(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0), 0);
	EXPECT_EQ(sig, 10);
	/* An euid change clears both (commit_creds). */
	EXPECT_EQ(rsetresuid(K_NO_ID, 5, K_NO_ID), 0);
	EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	EXPECT_EQ(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0), 0);
	EXPECT_EQ(sig, 0);
}

TEST(cred, euid_change_clears_dumpable_and_pdeathsig)
{
	EXPECT_CHILD_OK(dumpable_after_change, NULL);
}

static void kill_after_drop(void *arg)
{
	(void)arg;
	pid_t parent = getppid();
	EXPECT_EQ(rsetresuid(NOBODY, NOBODY, NOBODY), 0);
	EXPECT_ERRNO(kill(parent, 0), EPERM);
	EXPECT_EQ(kill(getpid(), 0), 0);
}

TEST(cred, dropped_root_cannot_signal_root)
{
	EXPECT_CHILD_OK(kill_after_drop, NULL);
}

static void chown_rules(void *arg)
{
	const char *dir = arg;
	char path[512];
	snprintf(path, sizeof path, "%s/f", dir);
	gid_t g = 4321;
	EXPECT_EQ(syscall(SYS_setgroups, 1, &g), 0);
	EXPECT_EQ(rsetresgid(NOBODY, NOBODY, NOBODY), 0);
	EXPECT_EQ(rsetresuid(NOBODY, NOBODY, NOBODY), 0);
	/* Giving a file away needs CAP_CHOWN; keeping the owner is fine. */
	EXPECT_ERRNO(chown(path, 0, -1), EPERM);
	EXPECT_EQ(chown(path, NOBODY, -1), 0);
	/* The owner may pick one of its groups, not any group. */
	EXPECT_EQ(chown(path, -1, 4321), 0);
	EXPECT_ERRNO(chown(path, -1, 1), EPERM);
	struct stat st;
	EXPECT_OK(stat(path, &st));
	EXPECT_EQ(st.st_gid, 4321);
	int fd = EXPECT_OK(open(path, O_RDONLY));
	EXPECT_EQ(fchown(fd, -1, NOBODY), 0);
	EXPECT_ERRNO(fchown(fd, 1, -1), EPERM);
	EXPECT_ERRNO(fchownat(AT_FDCWD, path, -1, -1, 0x8000), EINVAL);
}

TEST(cred, chown_needs_ownership_and_membership)
{
	const char *dir = h_tmpdir();
	EXPECT_OK(chmod(dir, 0755));
	h_write_file("f", "x");
	EXPECT_OK(chown("f", NOBODY, NOBODY));
	EXPECT_CHILD_OK(chown_rules, (void *)dir);
}
