/*
 * Helpers for suites that run work in child processes without the harness's failure
 * reporting (a child reports through its exit status): CHK() ends the child with status 1 and
 * a note on stderr, spawn() runs fn(arg) in a child that exits 0, reap() waits for it and
 * returns the raw status (-1 if waitpid failed), sleep_ms() sleeps through EINTR.
 */
#ifndef FERRUX_TEST_CHILD_H
#define FERRUX_TEST_CHILD_H

#include "harness.h"

#include <sys/wait.h>
#include <time.h>

#define CHK(cond)                                                              \
	do {                                                                   \
		if (!(cond)) {                                                 \
			dprintf(2, "child %s:%d: %s failed (errno %d)\n",      \
				__FILE__, __LINE__, #cond, errno);             \
			_exit(1);                                              \
		}                                                              \
	} while (0)

static inline pid_t spawn(void (*fn)(long), long arg)
{
	pid_t pid = fork();
	if (pid < 0)
		FAIL("fork: %s", h_errname(errno));
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return pid;
}

static inline int reap(pid_t pid)
{
	int status;
	pid_t r;
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	return r == pid ? status : -1;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

#endif
