/*
 * Helpers of the mempressure suite (stage.h): filling tmpfs, touching anonymous memory,
 * checking that fork and exec still work, dropping privileges, raw threads and futexes.
 */
#include "stage.h"

#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>

size_t mp_ram(void)
{
	struct sysinfo info;
	EXPECT_OK(sysinfo(&info));
	return (size_t)info.totalram * info.mem_unit;
}

size_t mp_freeram(void)
{
	struct sysinfo info;
	EXPECT_OK(sysinfo(&info));
	return (size_t)info.freeram * info.mem_unit;
}

size_t mp_fill_until_enospc(int fd)
{
	static char chunk[MP_MIB];
	memset(chunk, 0x5a, sizeof chunk);
	size_t total = 0;
	for (;;) {
		ssize_t n = write(fd, chunk, sizeof chunk);
		if (n > 0) {
			total += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			FAIL("write returned 0 after %zu bytes", total);
		if (errno != ENOSPC)
			FAIL("write failed with %s after %zu bytes, expected ENOSPC",
			     h_errname(errno), total);
		return total;
	}
}

int mp_fill_tmpfs(const char *name, size_t *bytes)
{
	h_tmpdir();
	int fd = EXPECT_OK(open(name, O_RDWR | O_CREAT | O_TRUNC, 0600));
	*bytes = mp_fill_until_enospc(fd);
	return fd;
}

unsigned long *mp_map_touched(size_t bytes, unsigned long seed)
{
	unsigned long *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FAIL("mmap of %zu MiB: %s", bytes / MP_MIB, h_errname(errno));
	for (size_t page = 0; page < bytes / MP_PAGE; page++)
		p[page * (MP_PAGE / sizeof *p)] = seed + page;
	return p;
}

void mp_expect_fork_exec(void)
{
	int out[2];
	h_pipe(out);
	pid_t pid = h_fork();
	if (pid == 0) {
		dup2(out[1], 1);
		execl(h_child_helper(), "child-helper", "argv", "mempressure",
		      (char *)NULL);
		FAIL("exec %s: %s", h_child_helper(), h_errname(errno));
	}
	close(out[1]);
	char text[512];
	h_read_all(out[0], text, sizeof text);
	close(out[0]);
	EXPECT_EQ(h_wait_exit(pid), 0);
	if (!strstr(text, "argv[2]=mempressure\n"))
		FAIL("child-helper printed \"%s\"", text);
}

void mp_become_nobody(void)
{
	EXPECT_OK(syscall(SYS_setresgid, MP_NOBODY, MP_NOBODY, MP_NOBODY));
	EXPECT_OK(syscall(SYS_setresuid, MP_NOBODY, MP_NOBODY, MP_NOBODY));
}

long mp_raise_nofile(void)
{
	struct rlimit limit = {MP_NR_OPEN, MP_NR_OPEN};
	EXPECT_OK(setrlimit(RLIMIT_NOFILE, &limit));
	/* One more than fs.nr_open is refused, even for root. */
	struct rlimit beyond = {MP_NR_OPEN + 1, MP_NR_OPEN + 1};
	EXPECT_ERRNO(setrlimit(RLIMIT_NOFILE, &beyond), EPERM);
	return MP_NR_OPEN;
}

#define MP_THREAD_FLAGS                                                        \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |    \
	 CLONE_SYSVSEM | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID)

long mp_thread(void *stack, size_t size, volatile int *ctid, int (*fn)(void *), void *arg)
{
	return h_clone_raw(MP_THREAD_FLAGS, (char *)stack + size, (int *)ctid,
			   (int *)ctid, 0, fn, arg);
}

/* linux/futex.h (musl's headers have no kernel headers). */
#define K_FUTEX_WAIT 0
#define K_FUTEX_WAKE 1
#define K_FUTEX_CMP_REQUEUE 4
#define K_FUTEX_PRIVATE 128

static long futex(volatile int *word, int op, int shared, long value, long arg4,
		  volatile int *word2, long value3)
{
	if (!shared)
		op |= K_FUTEX_PRIVATE;
	return h_raw_syscall(SYS_futex, (long)word, op, value, arg4, (long)word2,
			     value3);
}

long mp_futex_wait(volatile int *word, int value, int shared)
{
	return futex(word, K_FUTEX_WAIT, shared, value, 0, NULL, 0);
}

long mp_futex_wake(volatile int *word, int count, int shared)
{
	return futex(word, K_FUTEX_WAKE, shared, count, 0, NULL, 0);
}

long mp_futex_requeue_all(volatile int *from, int value, volatile int *to, int shared)
{
	return futex(from, K_FUTEX_CMP_REQUEUE, shared, 0, 0x7fffffff, to, value);
}

const char *mp_status(int status)
{
	static char text[32];
	if (WIFEXITED(status))
		snprintf(text, sizeof text, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(text, sizeof text, "signal %d", WTERMSIG(status));
	else
		snprintf(text, sizeof text, "status %#x", status);
	return text;
}
