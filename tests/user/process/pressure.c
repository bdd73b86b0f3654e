/*
 * Suite pressure: the kernel stays up and in control when user space pushes it.
 *
 * A fork bomb run by an unprivileged user stops at RLIMIT_NPROC with EAGAIN and can be
 * killed as a process group (Linux kernel/fork.c copy_process, setrlimit(2)). A process that
 * touches memory until none is left gets ENOMEM from mmap or is killed with SIGKILL, as
 * Linux's OOM killer does (mm/oom_kill.c); afterwards the system carries on: a fresh child
 * forks, runs and is reaped. Both run below a child subreaper so that every process is
 * reaped by the test itself.
 */
#include "harness.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define BOMB_LIMIT 40
#define NOBODY 65534

/* Every process forks until fork fails, reports how it failed, then waits to be killed. */
static void bomb(int report_fd)
{
	for (;;) {
		pid_t pid = fork();
		if (pid < 0) {
			char c = errno == EAGAIN ? 'A' : 'E';
			(void)!write(report_fd, &c, 1);
			for (;;)
				pause();
		}
	}
}

/* Returns how many processes were reaped. */
static int reap_all(void)
{
	int count = 0;
	for (;;) {
		pid_t pid = waitpid(-1, NULL, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		count++;
	}
	return count;
}

static void bomb_supervisor(void *arg)
{
	(void)arg;
	EXPECT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	int report[2];
	EXPECT_EQ(pipe(report), 0);
	pid_t leader = fork();
	EXPECT_TRUE(leader >= 0);
	if (leader == 0) {
		close(report[0]);
		setpgid(0, 0);
		struct rlimit limit = {BOMB_LIMIT, BOMB_LIMIT};
		if (setrlimit(RLIMIT_NPROC, &limit) != 0 ||
		    syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY) != 0 ||
		    syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY) != 0)
			_exit(3);
		bomb(report[1]);
	}
	close(report[1]);
	setpgid(leader, leader);
	char c = 0;
	EXPECT_EQ(read(report[0], &c, 1), 1);
	/* The limit stopped it, not some other failure. */
	EXPECT_EQ(c, 'A');
	EXPECT_EQ(kill(-leader, SIGKILL), 0);
	int reaped = reap_all();
	/* Every task of the user counts: the bomb stopped at the limit. */
	EXPECT_TRUE(reaped >= 2 && reaped <= BOMB_LIMIT);
	/* The system carries on. */
	pid_t pid = h_fork();
	if (pid == 0)
		h_exit(7);
	EXPECT_EQ(h_wait_exit(pid), 7);
	close(report[0]);
}

TEST(pressure, fork_bomb_stops_at_rlimit_nproc)
{
	EXPECT_CHILD_OK(bomb_supervisor, NULL);
}

#define CHUNK (64UL << 20)

static void memory_hog(void)
{
	for (;;) {
		char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(errno == ENOMEM ? 42 : 43);
		for (unsigned long i = 0; i < CHUNK; i += 4096)
			p[i] = 1;
	}
}

static void oom_supervisor(void *arg)
{
	(void)arg;
	pid_t hog = fork();
	EXPECT_TRUE(hog >= 0);
	if (hog == 0)
		memory_hog();
	int status = h_wait_status(hog);
	int is_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	int got_enomem = WIFEXITED(status) && WEXITSTATUS(status) == 42;
	EXPECT_TRUE(is_killed || got_enomem);
	/* Memory came back: a new child can fork, touch memory and exit. */
	pid_t pid = h_fork();
	if (pid == 0) {
		char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			h_exit(1);
		for (unsigned long i = 0; i < CHUNK; i += 4096)
			p[i] = 1;
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(pressure, memory_exhaustion_kills_or_fails_the_hog)
{
	/* The runner's watchdog: Linux touches 1 GiB slowly under TCG. */
	h_set_timeout(120);
	EXPECT_CHILD_OK(oom_supervisor, NULL);
}
