/*
 * pty-expect: runs a program on a new pseudo-terminal and talks to it like a person at a
 * terminal, from a script, then prints what the terminal showed.
 *
 *   pty-expect [-t SECONDS] [-s ROWSxCOLS] SCRIPT COMMAND [ARG...]
 *
 * The program runs in a new session whose controlling terminal is the pty's slave (opened from
 * /dev/ptmx), with fds 0-2 on it; the window is ROWSxCOLS (default 24x80). SCRIPT has one
 * command per line (blank lines and lines starting with # are skipped):
 *
 *   expect TEXT     wait until the terminal output after the previous match contains TEXT
 *   send TEXT       write TEXT to the master: what the user types
 *   winsize R C     resize the window (TIOCSWINSZ on the master: SIGWINCH to the foreground)
 *   wait            wait for the program's end (output is read until the slave side closes)
 *
 * TEXT is taken literally after one blank, with escapes: \r \n \t \e (ESC) \\ \xHH, and ^X
 * for control-X (^C, ^Z, ^D, ...; ^^ is a literal ^).
 * Every `send` should follow an `expect` of what the program prints when it is ready for the
 * input, so that the transcript does not depend on timing.
 *
 * At the end it prints the transcript with line endings made plain (\r\n -> \n), other control
 * characters shown as ^X and ESC as \e, then "pty-expect: exit N" or "pty-expect: signal N".
 * An `expect` that is not met within SECONDS (default 30) prints the transcript so far, then
 * "pty-expect: timeout waiting for TEXT", kills the program and exits with 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static char *transcript;
static size_t transcript_len, transcript_cap, matched_upto;
static int master = -1;
static pid_t child;
static int timeout_seconds = 30;
static int slave_closed;

static void die(const char *what)
{
	fprintf(stderr, "pty-expect: %s: %s\n", what, strerror(errno));
	exit(3);
}

static void append(const char *data, size_t len)
{
	if (transcript_len + len + 1 > transcript_cap) {
		size_t cap = transcript_cap ? transcript_cap * 2 : 4096;
		while (cap < transcript_len + len + 1)
			cap *= 2;
		transcript = realloc(transcript, cap);
		if (!transcript)
			die("realloc");
		transcript_cap = cap;
	}
	memcpy(transcript + transcript_len, data, len);
	transcript_len += len;
	transcript[transcript_len] = 0;
}

/* Reads what the master has, waiting up to `ms` (-1: forever). Returns 0 when the slave side is
 * closed (EIO) or at end of file. */
static int pump(int ms)
{
	if (slave_closed)
		return 0;
	struct pollfd pfd = { .fd = master, .events = POLLIN };
	int ready = poll(&pfd, 1, ms);
	if (ready < 0) {
		if (errno == EINTR)
			return 1;
		die("poll");
	}
	if (ready == 0)
		return 1;
	char buf[4096];
	ssize_t got = read(master, buf, sizeof buf);
	if (got < 0 && errno == EINTR)
		return 1;
	if (got <= 0) {
		slave_closed = 1;
		return 0;
	}
	append(buf, (size_t)got);
	return 1;
}

static void print_transcript(void)
{
	for (size_t i = 0; i < transcript_len; i++) {
		unsigned char c = (unsigned char)transcript[i];
		if (c == '\r' && i + 1 < transcript_len && transcript[i + 1] == '\n')
			continue;
		if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f))
			putchar(c);
		else if (c == 0x1b)
			fputs("\\e", stdout);
		else if (c < 0x20)
			printf("^%c", c + '@');
		else if (c == 0x7f)
			fputs("^?", stdout);
		else
			printf("\\x%02x", c);
	}
	if (transcript_len && transcript[transcript_len - 1] != '\n')
		putchar('\n');
}

/* Decodes the escapes of TEXT into `out`; returns its length. */
static size_t decode(const char *text, char *out)
{
	size_t n = 0;
	for (const char *p = text; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			switch (*p) {
			case 'r': out[n++] = '\r'; break;
			case 'n': out[n++] = '\n'; break;
			case 't': out[n++] = '\t'; break;
			case 'e': out[n++] = 0x1b; break;
			case 'x': {
				char hex[3] = { p[1], p[1] ? p[2] : 0, 0 };
				out[n++] = (char)strtol(hex, NULL, 16);
				p += 2;
				break;
			}
			default: out[n++] = *p; break;
			}
		} else if (*p == '^' && p[1]) {
			p++;
			out[n++] = *p == '^' ? '^' : (*p == '?' ? 0x7f : (char)(*p & 0x1f));
		} else {
			out[n++] = *p;
		}
	}
	return n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail_timeout(const char *text)
{
	print_transcript();
	printf("pty-expect: timeout waiting for %s\n", text);
	fflush(stdout);
	kill(-child, SIGKILL);
	kill(child, SIGKILL);
	exit(2);
}

static void expect(const char *text)
{
	char want[4096];
	size_t len = decode(text, want);
	double deadline = now() + timeout_seconds;
	for (;;) {
		char *found = memmem(transcript ? transcript + matched_upto : "", transcript_len - matched_upto,
				     want, len);
		if (found) {
			matched_upto = (size_t)(found - transcript) + len;
			return;
		}
		double left = deadline - now();
		if (left <= 0)
			fail_timeout(text);
		if (!pump((int)(left * 1000) + 1)) {
			/* Nothing more will come. */
			found = memmem(transcript ? transcript + matched_upto : "", transcript_len - matched_upto,
				       want, len);
			if (!found)
				fail_timeout(text);
		}
	}
}

static void send_text(const char *text)
{
	char out[4096];
	size_t len = decode(text, out);
	size_t done = 0;
	while (done < len) {
		ssize_t put = write(master, out + done, len - done);
		if (put < 0) {
			if (errno == EINTR)
				continue;
			die("write to the master");
		}
		done += (size_t)put;
	}
}

static void set_winsize(int rows, int cols)
{
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	if (ioctl(master, TIOCSWINSZ, &ws) < 0)
		die("TIOCSWINSZ");
}

static int finish(void)
{
	double deadline = now() + timeout_seconds;
	while (pump(100)) {
		if (now() > deadline)
			fail_timeout("the end of output");
	}
	int status;
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR)
			die("waitpid");
	}
	print_transcript();
	if (WIFEXITED(status))
		printf("pty-expect: exit %d\n", WEXITSTATUS(status));
	else
		printf("pty-expect: signal %d\n", WTERMSIG(status));
	return 0;
}

int main(int argc, char **argv)
{
	int rows = 24, cols = 80, opt;
	while ((opt = getopt(argc, argv, "+t:s:")) != -1) {
		if (opt == 't')
			timeout_seconds = atoi(optarg);
		else if (opt == 's' && sscanf(optarg, "%dx%d", &rows, &cols) == 2)
			;
		else
			goto usage;
	}
	if (argc - optind < 2) {
usage:
		fprintf(stderr, "usage: pty-expect [-t SECONDS] [-s ROWSxCOLS] SCRIPT COMMAND [ARG...]\n");
		return 3;
	}
	FILE *script = fopen(argv[optind], "r");
	if (!script)
		die(argv[optind]);
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		die("posix_openpt");
	if (grantpt(master) < 0 || unlockpt(master) < 0)
		die("unlockpt");
	char *slave_name = ptsname(master);
	if (!slave_name)
		die("ptsname");
	set_winsize(rows, cols);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		if (setsid() < 0)
			die("setsid");
		int slave = open(slave_name, O_RDWR);
		if (slave < 0)
			die(slave_name);
		if (ioctl(slave, TIOCSCTTY, 0) < 0)
			die("TIOCSCTTY");
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		execvp(argv[optind + 1], argv + optind + 1);
		die(argv[optind + 1]);
	}
	char line[4096];
	while (fgets(line, sizeof line, script)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (!strncmp(line, "expect ", 7))
			expect(line + 7);
		else if (!strncmp(line, "send ", 5))
			send_text(line + 5);
		else if (sscanf(line, "winsize %d %d", &rows, &cols) == 2)
			set_winsize(rows, cols);
		else if (!strcmp(line, "wait"))
			return finish();
		else {
			fprintf(stderr, "pty-expect: bad script line: %s\n", line);
			kill(child, SIGKILL);
			return 3;
		}
	}
	return finish();
}
