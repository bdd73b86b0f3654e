/*
 * Suite mempressure, stage 2: anonymous memory beyond RAM.
 *
 * Copy-on-write children that write to every inherited page ask for more memory than the
 * machine has; Linux's OOM killer (mm/oom_kill.c) ends some of them with SIGKILL, and every
 * survivor saw its own data only (the parent keeps its values, each child sees the parent's
 * values until it writes).  With tmpfs full, a touched region of 64 MiB is unmapped every
 * other page (a VMA split per call), the untouched half stays intact and readable, the holes give
 * EFAULT to a system call, the fragmented process forks and execs, and a single munmap
 * across the holes works; then the process asks for memory until it is killed (or mmap
 * fails with ENOMEM).  Afterwards the memory is back: a new process touches a quarter of RAM.
 */
#include "stage.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>

#define COW_CHILDREN 3
#define HOG_CHUNK (16 * MP_MIB)
#define FRAGMENTED_BYTES (64 * MP_MIB)

static size_t pages_of(size_t bytes)
{
	return bytes / MP_PAGE;
}

static unsigned long *page_word(unsigned long *region, size_t page)
{
	return region + page * (MP_PAGE / sizeof *region);
}

/* Returns whether every page of region holds seed + page. */
static int holds(unsigned long *region, size_t bytes, unsigned long seed)
{
	for (size_t page = 0; page < pages_of(bytes); page++)
		if (*page_word(region, page) != seed + page)
			return 0;
	return 1;
}

/* Reaps every descendant (we are their subreaper) and returns how many the OOM killer took:
 * those killed with SIGKILL, plus the count a surviving copy-on-write parent reports as its
 * exit code (COW_REPORT + its killed children); FAILs on anything else. */
#define COW_REPORT 10

static int reap_descendants(void)
{
	int killed = 0;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			int error = errno;
			EXPECT_EQ(error, ECHILD);
			return killed;
		}
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			killed++;
		else if (code == 0)
			continue;
		else if (code >= COW_REPORT && code <= COW_REPORT + COW_CHILDREN)
			killed += code - COW_REPORT;
		else
			FAIL("process %d ended with %s", pid, mp_status(status));
	}
}

/* --- copy-on-write children beyond RAM ----------------------------------- */

/* Children that have written their copy: each waits (a while) for the others, so
 * that all copies exist at once however many CPUs run them (on several CPUs a
 * child could otherwise finish and free its copy before another starts). */
static volatile int *cow_written;

static void cow_child(unsigned long *region, size_t bytes, unsigned long seed)
{
	if (!holds(region, bytes, 1000))
		h_exit(1);
	for (size_t page = 0; page < pages_of(bytes); page++)
		*page_word(region, page) = seed + page;
	__atomic_add_fetch(cow_written, 1, __ATOMIC_SEQ_CST);
	/* The OOM killer may take another before it writes: wait 2 s at most. */
	for (int i = 0; i < 200 && __atomic_load_n(cow_written, __ATOMIC_SEQ_CST) < COW_CHILDREN;
	     i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	h_exit(holds(region, bytes, seed) ? 0 : 1);
}

/* Exits with COW_REPORT + the number of its children the OOM killer took when its memory
 * and its surviving children's were right. */
static void cow_parent(size_t bytes)
{
	cow_written = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cow_written == MAP_FAILED)
		h_exit(4);
	unsigned long *region = mp_map_touched(bytes, 1000);
	for (int i = 0; i < COW_CHILDREN; i++) {
		pid_t pid = fork();
		if (pid < 0)
			h_exit(3);
		if (pid == 0)
			cow_child(region, bytes, 2000000 * (i + 1));
	}
	int killed = 0;
	for (int i = 0; i < COW_CHILDREN; i++) {
		int status;
		while (wait(&status) < 0 && errno == EINTR)
			;
		int is_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		int is_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (!is_killed && !is_ok)
			h_exit(2);
		killed += is_killed;
	}
	h_exit(holds(region, bytes, 1000) ? COW_REPORT + killed : 1);
}

static void cow_stage(void *arg)
{
	(void)arg;
	EXPECT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	size_t ram = mp_ram();
	size_t bytes = ram / 3 / MP_PAGE * MP_PAGE;
	pid_t parent = fork();
	EXPECT_TRUE(parent >= 0);
	if (parent == 0)
		cow_parent(bytes);
	int killed = reap_descendants();
	/* Four processes wrote a third of RAM each: not everyone can have survived. */
	EXPECT_GE(killed, 1);

	/* The memory came back. */
	pid_t pid = h_fork();
	if (pid == 0) {
		unsigned long *region = mp_map_touched(ram / 4, 7);
		h_exit(holds(region, ram / 4, 7) ? 0 : 1);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	mp_expect_fork_exec();
}

TEST_ALONE(mempressure, cow_children_beyond_ram_are_oom_killed)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(cow_stage, NULL);
}

/* --- partial munmap with tmpfs full, then a hog --------------------------- */

enum { PHASE_MAPPED = 'm', PHASE_SPLIT = 's', PHASE_HOG = 'h' };

static void report(int fd, char phase)
{
	if (write(fd, &phase, 1) != 1)
		FAIL("report phase %c: %s", phase, h_errname(errno));
}

/* Writes one byte of `page` into a pipe: 1, or -errno. */
static long write_from(int pipe_fds[2], void *page)
{
	long r = h_raw_syscall(SYS_write, pipe_fds[1], (long)page, 1, 0, 0, 0);
	char byte;
	if (r == 1 && read(pipe_fds[0], &byte, 1) != 1)
		FAIL("pipe read: %s", h_errname(errno));
	return r;
}

static void fragmented_hog(int report_fd, size_t bytes)
{
	unsigned long *region = mp_map_touched(bytes, 5000);
	report(report_fd, PHASE_MAPPED);
	for (size_t page = 1; page < pages_of(bytes); page += 2)
		if (munmap(page_word(region, page), MP_PAGE) != 0)
			FAIL("munmap of page %zu: %s", page, h_errname(errno));
	int probe[2];
	h_pipe(probe);
	for (size_t page = 0; page < pages_of(bytes); page++) {
		unsigned long *word = page_word(region, page);
		if (page % 2 == 0) {
			if (*word != 5000 + page)
				FAIL("page %zu holds %lu", page, *word);
			EXPECT_EQ(write_from(probe, word), 1);
		} else {
			EXPECT_EQ(write_from(probe, word), -EFAULT);
		}
	}
	/* A fork copies the fragments: the child sees the values and its writes are its own. */
	pid_t pid = h_fork();
	if (pid == 0) {
		unsigned long *last = page_word(region, pages_of(bytes) - 2);
		if (*region != 5000 || *last != 5000 + pages_of(bytes) - 2)
			h_exit(1);
		*region = 1;
		mp_expect_fork_exec();
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	EXPECT_EQ(*region, 5000);
	/* One munmap across the holes. */
	EXPECT_OK(munmap(region, bytes));
	EXPECT_EQ(write_from(probe, region), -EFAULT);
	report(report_fd, PHASE_SPLIT);

	report(report_fd, PHASE_HOG);
	for (;;) {
		char *chunk = mmap(NULL, HOG_CHUNK, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunk == MAP_FAILED)
			h_exit(errno == ENOMEM ? 42 : 43);
		for (size_t i = 0; i < HOG_CHUNK; i += MP_PAGE)
			chunk[i] = 1;
	}
}

static void fragment_stage(void *arg)
{
	(void)arg;
	size_t filled;
	int fd = mp_fill_tmpfs("fill", &filled);
	/* Linux 6.1 splits VMAs slowly under TCG (about a millisecond each), so the fragmented
	 * region is not larger than this. */
	size_t bytes = FRAGMENTED_BYTES;
	if (bytes > mp_freeram() / 2)
		bytes = mp_freeram() / 2 / (2 * MP_PAGE) * (2 * MP_PAGE);
	int phases[2];
	h_pipe(phases);
	pid_t hog = h_fork();
	if (hog == 0) {
		close(phases[0]);
		fragmented_hog(phases[1], bytes);
	}
	close(phases[1]);
	int status = h_wait_status(hog);
	char seen[4] = {0};
	EXPECT_GE(read(phases[0], seen, 3), 0);
	/* Killed or refused only once it asked for more than there is. */
	if (strcmp(seen, "msh") != 0)
		FAIL("the hog reached phases \"%s\" of \"msh\" and ended with %s", seen,
		     mp_status(status));
	int is_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	int is_refused = WIFEXITED(status) && WEXITSTATUS(status) == 42;
	if (!is_killed && !is_refused)
		FAIL("the hog ended with %s", mp_status(status));

	/* tmpfs is still full, and the memory came back. */
	EXPECT_ERRNO(write(fd, "x", 1), ENOSPC);
	mp_expect_fork_exec();
	EXPECT_OK(close(fd));
	EXPECT_OK(unlink("fill"));
}

TEST_ALONE(mempressure, partial_munmap_and_hog_with_tmpfs_full)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(fragment_stage, NULL);
}
