/*
 * Suite acct: BSD process accounting, acct(2).
 *
 * Guards Linux 6.1's kernel/acct.c with CONFIG_BSD_PROCESS_ACCT_V3 (as
 * Debian builds it): EPERM without CAP_SYS_PACCT (before the name is
 * looked at), the errors of opening the file for writing (ENOENT, EISDIR,
 * ENOTDIR, ELOOP, ENAMETOOLONG, EFAULT), EACCES for anything but a regular
 * file; one 64-byte struct acct_v3 appended per exiting process with its
 * command, pid, parent pid, real ids, exit code in wait-status form,
 * AFORK for a child that did not exec and AXSIG for a killed one, the
 * version byte 3, a begin time near now; acct(NULL) stops accounting and
 * writes the caller's own record as it does so.
 */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct acct_v3_rec {
	char ac_flag;
	char ac_version;
	uint16_t ac_tty;
	uint32_t ac_exitcode;
	uint32_t ac_uid;
	uint32_t ac_gid;
	uint32_t ac_pid;
	uint32_t ac_ppid;
	uint32_t ac_btime;
	float ac_etime;
	uint16_t ac_utime, ac_stime, ac_mem, ac_io, ac_rw, ac_minflt, ac_majflt, ac_swaps;
	char ac_comm[16];
};

static long do_acct(const char *name)
{
	return syscall(SYS_acct, name);
}

TEST(acct, errors)
{
	char path[256];
	snprintf(path, sizeof path, "%s/file", h_tmpdir());
	h_write_file(path, "");
	EXPECT_ERRNO(do_acct("/nonexistent/x"), ENOENT);
	EXPECT_ERRNO(do_acct(h_tmpdir()), EISDIR);
	char notdir[300];
	snprintf(notdir, sizeof notdir, "%s/", path);
	EXPECT_ERRNO(do_acct(notdir), ENOTDIR);
	EXPECT_ERRNO(do_acct("/dev/null"), EACCES);
	char loop1[300], loop2[300];
	snprintf(loop1, sizeof loop1, "%s/loop1", h_tmpdir());
	snprintf(loop2, sizeof loop2, "%s/loop2", h_tmpdir());
	EXPECT_EQ(symlink(loop1, loop2), 0);
	EXPECT_EQ(symlink(loop2, loop1), 0);
	EXPECT_ERRNO(do_acct(loop1), ELOOP);
	static char longname[PATH_MAX + 2];
	memset(longname, 'a', PATH_MAX + 1);
	EXPECT_ERRNO(do_acct(longname), ENAMETOOLONG);
	EXPECT_ERRNO(do_acct((const char *)8), EFAULT);
	/* Turning it off when it is off is fine. */
	EXPECT_EQ(do_acct(NULL), 0);
	pid_t pid = h_fork();
	if (pid == 0) {
		/* Without CAP_SYS_PACCT: EPERM, whatever the name. */
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(1);
		if (do_acct(NULL) != -1 || errno != EPERM)
			_exit(2);
		if (do_acct("/nonexistent/x") != -1 || errno != EPERM)
			_exit(3);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static int read_records(const char *path, struct acct_v3_rec *records, int max)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, records, sizeof *records * max);
	close(fd);
	if (n < 0 || n % 64 != 0)
		return -2;
	return n / 64;
}

static const struct acct_v3_rec *find(const struct acct_v3_rec *records, int count,
				      pid_t pid)
{
	for (int i = 0; i < count; i++)
		if (records[i].ac_pid == (uint32_t)pid)
			return &records[i];
	return NULL;
}

TEST(acct, records_written_at_exit)
{
	char path[256];
	snprintf(path, sizeof path, "%s/pacct", h_tmpdir());
	h_write_file(path, "");
	time_t start = time(NULL);
	EXPECT_EQ(do_acct(path), 0);
	/* A child that exits with 7 without exec. */
	pid_t plain = h_fork();
	if (plain == 0) {
		prctl(PR_SET_NAME, "acct-plain");
		_exit(7);
	}
	EXPECT_EQ(h_wait_exit(plain), 7);
	/* One killed by a signal. */
	int ready[2];
	h_pipe(ready);
	pid_t killed = h_fork();
	if (killed == 0) {
		prctl(PR_SET_NAME, "acct-killed");
		h_post(ready[1]);
		for (;;)
			pause();
	}
	h_wait_byte(ready[0]);
	kill(killed, SIGKILL);
	int status;
	EXPECT_EQ(waitpid(killed, &status, 0), killed);
	/* One that execs a helper. */
	pid_t execed = h_fork();
	if (execed == 0) {
		execl("/bin/child-helper", "child-helper", "exit", "3", (char *)NULL);
		_exit(99);
	}
	EXPECT_EQ(h_wait_exit(execed), 3);
	EXPECT_EQ(do_acct(NULL), 0);
	/* Nothing more is written once it is off. */
	pid_t after = h_fork();
	if (after == 0)
		_exit(0);
	EXPECT_EQ(h_wait_exit(after), 0);

	struct acct_v3_rec records[32];
	int count = read_records(path, records, 32);
	EXPECT_GE(count, 4);
	const struct acct_v3_rec *r = find(records, count, plain);
	EXPECT_TRUE(r != NULL);
	EXPECT_EQ(r->ac_version, 3);
	EXPECT_STREQ(r->ac_comm, "acct-plain");
	EXPECT_EQ(r->ac_exitcode, 7 << 8);
	EXPECT_EQ(r->ac_ppid, (uint32_t)getpid());
	EXPECT_EQ(r->ac_uid, getuid());
	EXPECT_EQ(r->ac_gid, getgid());
	EXPECT_EQ(r->ac_flag & 0x01, 0x01); /* AFORK */
	EXPECT_EQ(r->ac_flag & 0x10, 0);
	EXPECT_GE((long)r->ac_btime, (long)start - 2);
	EXPECT_LE((long)r->ac_btime, (long)time(NULL));
	EXPECT_TRUE(r->ac_etime >= 0 && r->ac_etime < 1000);
	r = find(records, count, killed);
	EXPECT_TRUE(r != NULL);
	EXPECT_EQ(r->ac_exitcode, SIGKILL);
	EXPECT_EQ(r->ac_flag & 0x10, 0x10); /* AXSIG */
	EXPECT_STREQ(r->ac_comm, "acct-killed");
	r = find(records, count, execed);
	EXPECT_TRUE(r != NULL);
	EXPECT_EQ(r->ac_exitcode, 3 << 8);
	EXPECT_EQ(r->ac_flag & 0x01, 0);
	EXPECT_STREQ(r->ac_comm, "child-helper");
	/* acct(NULL) wrote the caller's own record. */
	r = find(records, count, getpid());
	EXPECT_TRUE(r != NULL);
	EXPECT_TRUE(find(records, count, after) == NULL);
	EXPECT_EQ(count, 4);
}
