/*
 * child-helper: the program the exec tests run (/bin/child-helper in the
 * guest).  The first argument is a command; the answer goes to fd 1 as text
 * lines that the tests compare exactly, and the exit status is 0 unless the
 * command says otherwise (2 for a usage error).
 *
 *   argv           "argc=N" then "argv[i]=..." for every argument
 *   env            "env=..." for every environment string
 *   fds            "fds=0 1 2 ..." the open descriptors below 256
 *   sigs           "ign=HEX handled=HEX blocked=HEX pending=HEX" (bit n-1
 *                  for signal n; raw rt_sigaction/rt_sigprocmask/rt_sigpending)
 *   auxv           "secure=N uid=N euid=N gid=N egid=N"
 *   ids            "pid=N ppid=N pgid=N sid=N tid=N"
 *   exit N         exit with status N (nothing printed)
 *   raise SIG      kill(getpid(), SIG), then print "survived"
 *   pause          block in pause() until a signal ends the process
 *   writefd FD S   write S to FD; exit 0, or 1 with "errno=N" on failure
 *   freeram        "freeram=N": free memory in bytes (sysinfo)
 *   personality    exit with bits 16..23 of the personality (raw personality(2))
 *
 * A first argument with spaces ("exit 3", as a "#!" line passes its optional
 * argument) is split into words that come before the remaining arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static char out[65536];
static size_t len;

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out + len, sizeof out - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t)n < sizeof out - len ? (size_t)n : sizeof out - len - 1;
}

static void flush(void)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(1, out + off, len - off);
		if (n <= 0)
			break;
		off += n;
	}
	len = 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		put("usage: child-helper COMMAND ...\n");
		flush();
		return 2;
	}
	/* Split "cmd arg ..." in argv[1] into words (for "#!" lines). */
	static char split[4096];
	static char *words[256];
	int nw = 0;
	char **args = argv;
	int nargs = argc;
	if (strchr(argv[1], ' ') && strlen(argv[1]) < sizeof split) {
		strcpy(split, argv[1]);
		words[nw++] = argv[0];
		for (char *t = strtok(split, " \t"); t && nw < 200;
		     t = strtok(NULL, " \t"))
			words[nw++] = t;
		for (int i = 2; i < argc && nw < 255; i++)
			words[nw++] = argv[i];
		words[nw] = NULL;
		args = words;
		nargs = nw;
	}
	const char *cmd = args[1];
	if (!strcmp(cmd, "argv")) {
		put("argc=%d\n", argc);
		for (int i = 0; i < argc; i++)
			put("argv[%d]=%s\n", i, argv[i]);
	} else if (!strcmp(cmd, "env")) {
		for (char **e = environ; *e; e++)
			put("env=%s\n", *e);
	} else if (!strcmp(cmd, "fds")) {
		put("fds=");
		const char *sep = "";
		for (int fd = 0; fd < 256; fd++) {
			if (fcntl(fd, F_GETFD) != -1) {
				put("%s%d", sep, fd);
				sep = " ";
			}
		}
		put("\n");
	} else if (!strcmp(cmd, "sigs")) {
		uint64_t ign = 0, handled = 0, blocked = 0, pending = 0;
		for (int s = 1; s <= 64; s++) {
			struct {
				void *handler;
				unsigned long flags;
				void *restorer;
				uint64_t mask;
			} act;
			if (syscall(SYS_rt_sigaction, s, NULL, &act, 8) != 0)
				continue;
			if (act.handler == (void *)SIG_IGN)
				ign |= 1ULL << (s - 1);
			else if (act.handler != (void *)SIG_DFL)
				handled |= 1ULL << (s - 1);
		}
		syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &blocked, 8);
		syscall(SYS_rt_sigpending, &pending, 8);
		put("ign=%llx handled=%llx blocked=%llx pending=%llx\n",
		    (unsigned long long)ign, (unsigned long long)handled,
		    (unsigned long long)blocked, (unsigned long long)pending);
	} else if (!strcmp(cmd, "auxv")) {
		put("secure=%lu uid=%lu euid=%lu gid=%lu egid=%lu\n",
		    getauxval(AT_SECURE), getauxval(AT_UID), getauxval(AT_EUID),
		    getauxval(AT_GID), getauxval(AT_EGID));
	} else if (!strcmp(cmd, "ids")) {
		put("pid=%ld ppid=%ld pgid=%ld sid=%ld tid=%ld\n",
		    syscall(SYS_getpid), syscall(SYS_getppid),
		    syscall(SYS_getpgid, 0), syscall(SYS_getsid, 0),
		    syscall(SYS_gettid));
	} else if (!strcmp(cmd, "exit") && nargs > 2) {
		return atoi(args[2]);
	} else if (!strcmp(cmd, "raise") && nargs > 2) {
		kill(getpid(), atoi(args[2]));
		put("survived\n");
	} else if (!strcmp(cmd, "pause")) {
		for (;;)
			pause();
	} else if (!strcmp(cmd, "freeram")) {
		struct sysinfo info;
		if (sysinfo(&info) != 0)
			return 1;
		put("freeram=%llu\n",
		    (unsigned long long)info.freeram * info.mem_unit);
	} else if (!strcmp(cmd, "personality")) {
		long persona = syscall(SYS_personality, 0xffffffffUL);
		return (int)((persona >> 16) & 0xff);
	} else if (!strcmp(cmd, "writefd") && nargs > 3) {
		const char *s = args[3];
		if (write(atoi(args[2]), s, strlen(s)) != (ssize_t)strlen(s)) {
			put("errno=%d\n", errno);
			flush();
			return 1;
		}
	} else {
		put("child-helper: unknown command %s\n", cmd);
		flush();
		return 2;
	}
	flush();
	return 0;
}
