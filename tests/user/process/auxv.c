/*
 * The initial stack and auxiliary vector of a new program (Linux 6.1,
 * fs/binfmt_elf.c create_elf_tables, arch/x86/include/asm/elf.h
 * ARCH_DLINFO): the entries in Linux's order for x86-64, their values, and
 * where the strings, the 16 AT_RANDOM bytes and the platform string lie.
 * The helper checks the rules on its own stack (child-helper auxv-all);
 * here: the order, that it found nothing wrong, that AT_EXECFN is the path
 * given to execve, and that AT_RANDOM differs between two execs.
 * Man pages getauxval(3), execve(2).
 */
#include "harness.h"
#include "process/program.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

/* Linux 6.1's order on x86-64 (AT_SYSINFO_EHDR first when there is a vDSO:
 * the last argument says whether to expect it). */
static int types_match(const char *out, int with_vdso)
{
	const char *want = "types=51 16 6 17 3 4 5 7 8 9 11 12 13 14 23 25 26 "
			   "31 15 0\n";
	const char *want_vdso = "types=33 51 16 6 17 3 4 5 7 8 9 11 12 13 14 "
				"23 25 26 31 15 0\n";
	const char *line = strstr(out, "types=");
	if (!line)
		return 0;
	if (!strncmp(line, want_vdso, strlen(want_vdso)))
		return 1;
	return !with_vdso && !strncmp(line, want, strlen(want));
}

static void run_auxv(const char *path, char *const envp[], char *out,
		     size_t size)
{
	char *argv[] = {"helper", "auxv-all", "second argument", "", NULL};
	int status = prog_run(path, argv, envp, NULL, out, size);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(auxv, order_and_initial_stack)
{
	const char *helper = h_child_helper();
	char *envp[] = {"A=1", "EMPTY=", "", "LAST=x", NULL};
	char out[4096];
	run_auxv(helper, envp, out, sizeof out);
	if (!types_match(out, 0))
		FAIL("auxv types: %s", out);
	EXPECT_TRUE(strstr(out, "bad:") == NULL);
	if (strstr(out, "bad:"))
		FAIL("%s", out);
	char want[256];
	snprintf(want, sizeof want, "\nexecfn=%s\n", helper);
	EXPECT_TRUE(strstr(out, want) != NULL);
	/* An empty environment and a relative path. */
	char *noenv[] = {NULL};
	run_auxv(helper, noenv, out, sizeof out);
	EXPECT_TRUE(strstr(out, "bad:") == NULL);
	if (strstr(out, "bad:"))
		FAIL("%s", out);
}

TEST(auxv, execfn_is_the_path_as_given)
{
	char out[4096];
	char *noenv[] = {NULL};
	EXPECT_OK(chdir("/bin"));
	const char *helper = h_child_helper();
	const char *slash = strrchr(helper, '/');
	char relative[256];
	snprintf(relative, sizeof relative, "./%s", slash ? slash + 1 : helper);
	if (slash)
		EXPECT_OK(chdir(strndup(helper, slash - helper + 1)));
	run_auxv(relative, noenv, out, sizeof out);
	char want[300];
	snprintf(want, sizeof want, "\nexecfn=%s\n", relative);
	EXPECT_TRUE(strstr(out, want) != NULL);
	EXPECT_TRUE(strstr(out, "bad:") == NULL);
}

TEST(auxv, random_bytes_differ_between_execs)
{
	char first[4096], second[4096];
	char *noenv[] = {NULL};
	run_auxv(h_child_helper(), noenv, first, sizeof first);
	run_auxv(h_child_helper(), noenv, second, sizeof second);
	const char *a = strstr(first, "random="), *b = strstr(second, "random=");
	EXPECT_TRUE(a && b);
	EXPECT_EQ(strcspn(a, "\n"), strlen("random=") + 32);
	EXPECT_TRUE(strncmp(a, b, strlen("random=") + 32) != 0);
}
