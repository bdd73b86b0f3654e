/*
 * ltp-runner: init (PID 1) of the LTP images that `cargo xtask ltp` boots.
 *
 * Usage (kernel command line): rdinit=/bin/ltp-runner -- LIST FIRST TIMEOUT
 *   LIST     a file of runtest lines ("name program args…"), one test per line
 *   FIRST    the index (from 0) of the first line to run: after a hang or a kernel panic the
 *            host boots the image again from the test after the one that stopped it
 *   TIMEOUT  seconds one test may take before its processes are killed
 *
 * It mounts what LTP expects (proc, sysfs, devtmpfs and devpts where the kernel has them, a
 * tmpfs on /tmp as TMPDIR and on /dev/shm), loads the modules the image carries (Linux's
 * loop.ko, for LTP's loop devices), brings the loopback interface up where the kernel
 * has sockets, gives every test the same environment, and runs
 * the tests one at a time, each in a session of its own. Between tests it kills every
 * process left (kill(-1), which spares init), reaps them, unmounts what a test left mounted
 * under /tmp and empties /tmp. For each test it prints, on lines of their own:
 *
 *   LTP-BEGIN <index> <name>
 *   … the test's own output …
 *   LTP-END <index> <name> exit <code> | signal <number> | timeout | noexec <errno> ; <ms> ms
 *
 * and `LTP-DONE` after the last one; then it exits, which ends the boot (the kernel's
 * "Attempted to kill init" with panic=-1). The verdict is the host's: LTP's exit status is
 * 0 pass, 32 TCONF, otherwise bits 1/2/4 for TFAIL/TBROK/TWARN.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64
#define MAX_LINE 4096

static const char *const ENVIRONMENT[] = {
	"PATH=/ltp/testcases/bin:/bin:/sbin:/usr/bin:/usr/sbin",
	"LTPROOT=/ltp",
	"TMPDIR=/tmp",
	"HOME=/root",
	"USER=root",
	"LOGNAME=root",
	"TERM=dumb",
	"LANG=C",
	"KCONFIG_PATH=/ltp/kconfig",
	"LTP_COLORIZE_OUTPUT=0",
	/* Emulation (TCG) is slow, and the machine is shared: LTP's own per-run limit ×3. */
	"LTP_TIMEOUT_MUL=3",
	/* Tests that loop for a fixed time (fuzzy-sync races, stress loops) run a tenth of it. */
	"LTP_RUNTIME_MUL=0.1",
	NULL,
};

static long long now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void say(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *format, ...)
{
	char text[512];
	va_list args;
	int length;

	va_start(args, format);
	length = vsnprintf(text, sizeof(text) - 2, format, args);
	va_end(args);
	if (length < 0)
		return;
	if (length > (int)sizeof(text) - 3)
		length = sizeof(text) - 3;
	text[length++] = '\n';
	/* A leading newline ends whatever partial line the test left. */
	if (write(1, "\n", 1) < 0 || write(1, text, length) < 0)
		return;
}

static void mount_quietly(const char *source, const char *target, const char *type,
			  unsigned long flags, const char *data)
{
	mkdir(target, 0755);
	if (mount(source, target, type, flags, data) != 0 && errno != EBUSY)
		say("ltp-runner: mount %s on %s: %s", type, target, strerror(errno));
}

static int has_filesystem(const char *name)
{
	char line[256];
	FILE *file = fopen("/proc/filesystems", "r");
	int found = 0;

	if (!file)
		return 0;
	while (!found && fgets(line, sizeof(line), file)) {
		char *word = strrchr(line, '\t');

		word = word ? word + 1 : line;
		word[strcspn(word, "\n")] = '\0';
		found = strcmp(word, name) == 0;
	}
	fclose(file);
	return found;
}

static void set_up_mounts(void)
{
	mount_quietly("proc", "/proc", "proc", 0, NULL);
	mount_quietly("sysfs", "/sys", "sysfs", 0, NULL);
	if (has_filesystem("devtmpfs"))
		mount_quietly("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	if (has_filesystem("devpts"))
		mount_quietly("devpts", "/dev/pts", "devpts", 0, "gid=5,mode=620,ptmxmode=666");
	mount_quietly("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777");
	mount_quietly("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
}

/* Brings the loopback interface up, as a booted system has it (the socket
 * tests connect to 127.0.0.1); a kernel without sockets has nothing to do. */
static void loopback_up(void)
{
	struct ifreq request;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	memset(&request, 0, sizeof(request));
	strcpy(request.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &request) == 0 && !(request.ifr_flags & IFF_UP)) {
		request.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &request) != 0)
			say("ltp-runner: cannot bring lo up: %s", strerror(errno));
	}
	close(fd);
}

/* Unmounts whatever is mounted below /tmp (deepest first) and empties it. */
static void unmount_below_tmp(void)
{
	char *targets[256];
	int count = 0;
	char line[MAX_LINE];
	FILE *mounts = fopen("/proc/mounts", "r");

	if (!mounts)
		return;
	while (count < 256 && fgets(line, sizeof(line), mounts)) {
		char target[MAX_LINE];

		if (sscanf(line, "%*s %4095s", target) == 1 && strncmp(target, "/tmp/", 5) == 0)
			targets[count++] = strdup(target);
	}
	fclose(mounts);
	while (count > 0) {
		char *target = targets[--count];

		if (target) {
			umount2(target, MNT_DETACH);
			free(target);
		}
	}
}

static void remove_tree(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

	if (fd >= 0) {
		DIR *dir = fdopendir(fd);
		struct dirent *entry;

		if (!dir) {
			close(fd);
		} else {
			while ((entry = readdir(dir)) != NULL) {
				if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
					remove_tree(dirfd(dir), entry->d_name);
			}
			closedir(dir);
		}
		/* A test may have left a directory without write permission. */
		fchmodat(dir_fd, name, 0700, 0);
		unlinkat(dir_fd, name, AT_REMOVEDIR);
	} else {
		unlinkat(dir_fd, name, 0);
	}
}

static void empty_tmp(void)
{
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	DIR *dir;
	struct dirent *entry;

	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
			remove_tree(dirfd(dir), entry->d_name);
	}
	closedir(dir);
}

/* Kills every process but init and reaps them all. */
static void kill_leftovers(void)
{
	int round;

	for (round = 0; round < 50; round++) {
		int status;

		if (kill(-1, SIGKILL) != 0 && errno == ESRCH) {
			while (waitpid(-1, &status, WNOHANG) > 0)
				;
			return;
		}
		while (waitpid(-1, &status, WNOHANG) > 0)
			;
		usleep(20000);
	}
}

static int split_words(char *line, char **words)
{
	int count = 0;
	char *save = NULL;
	char *word;

	for (word = strtok_r(line, " \t\n", &save); word && count < MAX_ARGS;
	     word = strtok_r(NULL, " \t\n", &save))
		words[count++] = word;
	words[count] = NULL;
	return count;
}

static void run_test(int index, char **words, int count, int timeout_seconds)
{
	long long started = now_ms();
	long long deadline = started + (long long)timeout_seconds * 1000;
	int status = 0;
	int is_timed_out = 0;
	int exec_error[1] = { 0 };
	int pipe_fds[2];
	pid_t child;

	say("LTP-BEGIN %d %s", index, words[0]);
	if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
		say("LTP-END %d %s noexec %d ; 0 ms", index, words[0], errno);
		return;
	}
	child = fork();
	if (child == 0) {
		close(pipe_fds[0]);
		setsid();
		if (chdir("/tmp") != 0)
			_exit(127);
		execvp(words[1], words + 1);
		exec_error[0] = errno;
		if (write(pipe_fds[1], exec_error, sizeof(exec_error)) < 0)
			_exit(126);
		_exit(127);
	}
	close(pipe_fds[1]);
	if (child < 0) {
		close(pipe_fds[0]);
		say("LTP-END %d %s noexec %d ; 0 ms", index, words[0], errno);
		return;
	}
	for (;;) {
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid == child)
			break;
		if (pid > 0)
			continue;
		if (now_ms() >= deadline) {
			is_timed_out = 1;
			kill(-child, SIGKILL);
			kill(child, SIGKILL);
			while (waitpid(child, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		usleep(20000);
	}
	if (read(pipe_fds[0], exec_error, sizeof(exec_error)) != (ssize_t)sizeof(exec_error))
		exec_error[0] = 0;
	close(pipe_fds[0]);
	kill_leftovers();
	unmount_below_tmp();
	empty_tmp();
	(void)count;

	long long elapsed = now_ms() - started;

	if (is_timed_out)
		say("LTP-END %d %s timeout ; %lld ms", index, words[0], elapsed);
	else if (exec_error[0])
		say("LTP-END %d %s noexec %d ; %lld ms", index, words[0], exec_error[0], elapsed);
	else if (WIFSIGNALED(status))
		say("LTP-END %d %s signal %d ; %lld ms", index, words[0], WTERMSIG(status), elapsed);
	else
		say("LTP-END %d %s exit %d ; %lld ms", index, words[0], WEXITSTATUS(status), elapsed);
}

/*
 * Loads the modules the image carries (the .ko files of /lib/modules: Debian's loop.ko, which LTP's
 * devices need) where the kernel takes modules: Linux. Ferrux has the loop driver built in
 * and answers finit_module with ENOSYS. devtmpfs then shows /dev/loop-control and loop0..7.
 */
static void load_modules(void)
{
	DIR *dir = opendir("/lib/modules");
	struct dirent *entry;

	if (!dir)
		return;
	while ((entry = readdir(dir))) {
		char path[300];
		size_t length = strlen(entry->d_name);
		int fd;

		if (length < 4 || strcmp(entry->d_name + length - 3, ".ko") != 0)
			continue;
		snprintf(path, sizeof(path), "/lib/modules/%s", entry->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST && errno != ENOSYS)
			say("ltp-runner: finit_module(%s): %s", path, strerror(errno));
		close(fd);
	}
	closedir(dir);
	/* devtmpfs makes the nodes from a kernel thread. */
	for (int i = 0; i < 200 && access("/sys/devices/virtual/misc/loop-control", F_OK) == 0 &&
			access("/dev/loop-control", F_OK) != 0; i++)
		usleep(10000);
}

int main(int argc, char **argv)
{
	char line[MAX_LINE];
	char *words[MAX_ARGS + 1];
	FILE *list;
	int first;
	int timeout_seconds;
	int index = 0;

	if (argc != 4) {
		say("usage: ltp-runner LIST FIRST TIMEOUT");
		return 2;
	}
	first = atoi(argv[2]);
	timeout_seconds = atoi(argv[3]);
	if (timeout_seconds <= 0)
		timeout_seconds = 300;
	/* The environment of every test (and PATH for execvp). */
	clearenv();
	for (const char *const *entry = ENVIRONMENT; *entry; entry++)
		putenv((char *)*entry);
	set_up_mounts();
	load_modules();
	loopback_up();
	/* Tests must not inherit init's signal state: start from the defaults. */
	signal(SIGPIPE, SIG_DFL);
	setvbuf(stdout, NULL, _IONBF, 0);
	list = fopen(argv[1], "r");
	if (!list) {
		say("ltp-runner: cannot open %s: %s", argv[1], strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof(line), list)) {
		int count = split_words(line, words);

		if (count < 2 || words[0][0] == '#')
			continue;
		if (index >= first)
			run_test(index, words, count, timeout_seconds);
		index++;
	}
	fclose(list);
	say("LTP-DONE");
	sync();
	return 0;
}
