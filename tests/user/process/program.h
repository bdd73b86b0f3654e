/*
 * Running a program and collecting what it prints, for the exec, auxv,
 * address-randomization, dynamic-linking and hostile-ELF suites.
 */
#ifndef FERRUX_TESTS_PROGRAM_H
#define FERRUX_TESTS_PROGRAM_H

#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fork a child whose fd 1 is a pipe; it calls setup (if any), then
 * execve(path, argv, envp) with the raw syscall.  If execve fails the child
 * prints "errno=N" and exits 127.  Returns the child's raw wait status; its
 * output is in out (NUL-terminated). */
static inline int prog_run(const char *path, char *const argv[],
			   char *const envp[], void (*setup)(void), char *out,
			   size_t size)
{
	int p[2];
	h_pipe(p);
	pid_t pid = h_fork();
	if (pid == 0) {
		if (dup2(p[1], 1) != 1)
			h_exit(126);
		if (setup)
			setup();
		long r = h_raw_syscall(SYS_execve, (long)path, (long)argv,
				       (long)envp, 0, 0, 0);
		dprintf(1, "errno=%ld\n", -r);
		h_exit(127);
	}
	close(p[1]);
	h_read_all(p[0], out, size);
	close(p[0]);
	return h_wait_status(pid);
}

/* The errno execve failed with in prog_run's child, or 0 if it ran. */
static inline int prog_exec_errno(int status, const char *out)
{
	int e = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		sscanf(out, "errno=%d", &e);
	return e;
}

/* The value of "name=HEX" in out, or 0. */
static inline unsigned long prog_field(const char *out, const char *name)
{
	char key[64];
	snprintf(key, sizeof key, "%s=", name);
	for (const char *p = strstr(out, key); p; p = strstr(p + 1, key))
		if (p == out || p[-1] == ' ' || p[-1] == '\n')
			return strtoul(p + strlen(key), NULL, 16);
	return 0;
}

#endif
