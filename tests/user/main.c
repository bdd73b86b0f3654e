/*
 * ferrux-tests: runs every registered suite, in source order (file, line).
 *
 *   ferrux-tests [SUITE | SUITE/TEST ...]
 *
 * With arguments, only the named suites (or single tests) run; without,
 * every test but those registered with TEST_ALONE.  Arguments
 * that contain '=' or start with '-' are ignored (as init, the kernel may
 * pass command-line words on).  At the end it prints "N passed, N failed";
 * as init (pid 1) it then calls sync() and reboot(RB_POWER_OFF), as Linux
 * requires of init (init must never exit), otherwise it exits 0 or 1.
 */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>

extern jmp_buf h_jmp;
extern char h_reason[1024];
extern char h_tmp_path[64];
extern int h_tmp_made;
void h_rm_tree(const char *path);
void h_runner_init(void);
void h_before_test(void);
void h_after_test(void);

extern const struct h_test *const __start_h_tests[];
extern const struct h_test *const __stop_h_tests[];

static void out(const char *s)
{
	size_t len = strlen(s);
	while (len > 0) {
		ssize_t n = write(1, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

static int cmp_test(const void *a, const void *b)
{
	const struct h_test *x = *(const struct h_test *const *)a;
	const struct h_test *y = *(const struct h_test *const *)b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	return x->line - y->line;
}

static int selected(const struct h_test *t, int argc, char **argv)
{
	int filters = 0;
	char full[256];
	snprintf(full, sizeof full, "%s/%s", t->suite, t->name);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' || strchr(argv[i], '='))
			continue;
		filters++;
		if (!strcmp(argv[i], t->suite) || !strcmp(argv[i], full))
			return 1;
	}
	/* Without filters every test runs, except those that must be named. */
	return filters == 0 && !t->is_alone;
}

/* The umask the program started with (init's comes from the kernel). */
mode_t h_initial_umask;

int main(int argc, char **argv)
{
	h_initial_umask = umask(022);
	h_runner_init();
	size_t count = __stop_h_tests - __start_h_tests;
	static const struct h_test *tests[4096];
	if (count > sizeof tests / sizeof tests[0])
		count = sizeof tests / sizeof tests[0];
	for (size_t i = 0; i < count; i++)
		tests[i] = __start_h_tests[i];
	qsort(tests, count, sizeof tests[0], cmp_test);

	struct rlimit nofile;
	getrlimit(RLIMIT_NOFILE, &nofile);
	sigset_t empty;
	sigemptyset(&empty);

	char line[1400];
	snprintf(line, sizeof line, "ferrux-tests: %zu tests, pid %d\n", count,
		 (int)getpid());
	out(line);

	/* Start from fds 0-2 only (a host shell may leak others). */
	for (int fd = 3; fd < 256; fd++)
		close(fd);

	int passed = 0, failed = 0;
	for (size_t i = 0; i < count; i++) {
		const struct h_test *t = tests[i];
		if (!selected(t, argc, argv))
			continue;
		h_tmp_made = 0;
		umask(022);
		int ok;
		if (setjmp(h_jmp) == 0) {
			h_before_test();
			t->fn();
			ok = 1;
		} else {
			ok = 0;
		}
		if (ok) {
			snprintf(line, sizeof line, "TEST %s/%s PASS\n", t->suite,
				 t->name);
			passed++;
		} else {
			snprintf(line, sizeof line, "TEST %s/%s FAIL %s\n",
				 t->suite, t->name, h_reason);
			failed++;
		}
		out(line);
		/* Clean up whatever the test left behind: children, signal
		 * state and timers first (see h_after_test), then fds. */
		h_after_test();
		for (int fd = 3; fd < 256; fd++)
			close(fd);
		chdir("/");
		if (h_tmp_made)
			h_rm_tree(h_tmp_path);
		umask(022);
		sigprocmask(SIG_SETMASK, &empty, NULL);
		setrlimit(RLIMIT_NOFILE, &nofile);
	}

	snprintf(line, sizeof line, "%d passed, %d failed\n", passed, failed);
	out(line);
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
		out("ferrux-tests: reboot(RB_POWER_OFF) returned\n");
		for (;;)
			pause();
	}
	return failed ? 1 : 0;
}
