/*
 * Suite dynamic: dynamically linked programs (fs/binfmt_elf.c PT_INTERP).
 * The image carries the C library's loader (glibc's
 * /lib64/ld-linux-x86-64.so.2 with /lib/x86_64-linux-gnu/libc.so.6, musl's
 * /lib/ld-musl-x86_64.so.1) and dyn-helper, the child helper linked against
 * it (a PIE) and as ET_EXEC (dyn-helper-nopie).  Checked: they run and
 * see their arguments and environment; their initial stack follows Linux's
 * rules with AT_BASE the loader's ELF header; a PIE with an interpreter
 * lies at ELF_ET_DYN_BASE (0x555555554000) without randomization and
 * elsewhere every time with it, the loader in the mmap area; the loader run
 * directly runs the program; dlopen of a shared library works (its
 * constructor ran, its data is writable) and a missing one is an error.
 * Man pages ld.so(8), dlopen(3), execve(2).
 */
#include "harness.h"
#include "process/program.h"

#include <sys/personality.h>

#define RUNS 4
#define DYN_HELPER "/bin/dyn-helper"
#define DYN_HELPER_NOPIE "/bin/dyn-helper-nopie"

/* The loader of this image's C library. */
static const char *loader(void)
{
#ifdef __GLIBC__
	return "/lib64/ld-linux-x86-64.so.2";
#else
	return "/lib/ld-musl-x86_64.so.1";
#endif
}

static int run(const char *path, char *const argv[], char *const envp[],
	       void (*setup)(void), char *out, size_t size)
{
	int status = prog_run(path, argv, envp, setup, out, size);
	if (!WIFEXITED(status))
		FAIL("%s: wait status %#x, output %s", path, status, out);
	return WEXITSTATUS(status);
}

TEST(dynamic, runs_with_arguments_and_environment)
{
	char out[1024];
	char *argv[] = {"zeroth", "argv", "a b", "", NULL};
	char *noenv[] = {NULL};
	EXPECT_EQ(run(DYN_HELPER, argv, noenv, NULL, out, sizeof out), 0);
	EXPECT_STREQ(out, "argc=4\nargv[0]=zeroth\nargv[1]=argv\n"
			  "argv[2]=a b\nargv[3]=\n");
	char *argv2[] = {"x", "env", NULL};
	char *envp[] = {"A=1", "B=two words", NULL};
	EXPECT_EQ(run(DYN_HELPER_NOPIE, argv2, envp, NULL, out, sizeof out), 0);
	EXPECT_STREQ(out, "env=A=1\nenv=B=two words\n");
	char *argv3[] = {"x", "exit", "77", NULL};
	EXPECT_EQ(run(DYN_HELPER, argv3, noenv, NULL, out, sizeof out), 77);
}

TEST(dynamic, initial_stack_and_auxiliary_vector)
{
	static const char *const programs[] = {DYN_HELPER, DYN_HELPER_NOPIE};
	for (int i = 0; i < 2; i++) {
		char out[4096];
		char *argv[] = {"x", "auxv-all", NULL};
		char *envp[] = {"HOME=/", NULL};
		EXPECT_EQ(run(programs[i], argv, envp, NULL, out, sizeof out), 0);
		if (strstr(out, "bad:") || !strstr(out, "types="))
			FAIL("%s: %s", programs[i], out);
	}
}

static void no_randomize(void)
{
	if (personality(ADDR_NO_RANDOMIZE) == -1)
		h_exit(125);
}

static void layouts(const char *path, void (*setup)(void), char out[RUNS][512])
{
	char *argv[] = {"x", "layout", NULL};
	char *noenv[] = {NULL};
	for (int i = 0; i < RUNS; i++)
		EXPECT_EQ(run(path, argv, noenv, setup, out[i], 512), 0);
}

static int varies(char out[RUNS][512], const char *name)
{
	for (int i = 1; i < RUNS; i++)
		if (prog_field(out[i], name) != prog_field(out[0], name))
			return 1;
	return 0;
}

TEST(dynamic, pie_base_is_randomized)
{
	char out[RUNS][512];
	layouts(DYN_HELPER, NULL, out);
	EXPECT_TRUE(varies(out, "ehdr"));
	EXPECT_TRUE(varies(out, "base"));
	for (int i = 0; i < RUNS; i++) {
		unsigned long ehdr = prog_field(out[i], "ehdr");
		unsigned long base = prog_field(out[i], "base");
		/* ELF_ET_DYN_BASE plus up to 1 TiB; the loader in the mmap area
		 * far above it. */
		EXPECT_EQ(ehdr % 4096, 0);
		EXPECT_TRUE(ehdr >= 0x555555554000UL &&
			    ehdr < 0x555555554000UL + (1UL << 40));
		EXPECT_TRUE(base > 0x7e0000000000UL && base < 0x7ffffffff000UL);
	}
	/* ET_EXEC stays put; its loader still moves. */
	layouts(DYN_HELPER_NOPIE, NULL, out);
	EXPECT_TRUE(!varies(out, "ehdr"));
	EXPECT_EQX(prog_field(out[0], "ehdr"), 0x400000);
	EXPECT_TRUE(varies(out, "base"));
}

TEST(dynamic, fixed_layout_without_randomization)
{
	char out[RUNS][512];
	layouts(DYN_HELPER, no_randomize, out);
	static const char *const fields[] = {"ehdr", "base", "stack", "brk",
					     "mmap", "vdso"};
	for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
		if (varies(out, fields[f]))
			FAIL("%s varies: %s / %s", fields[f], out[0], out[1]);
	EXPECT_EQX(prog_field(out[0], "ehdr"), 0x555555554000UL);
	/* The loader lies just below the top of the mmap area (128 MiB
	 * below the stack). */
	unsigned long base = prog_field(out[0], "base");
	EXPECT_TRUE(base < 0x7ffff7fff000UL && base > 0x7ffff7fff000UL - (16UL << 20));
}

TEST(dynamic, loader_runs_the_program_directly)
{
	char out[1024];
	char *argv[] = {(char *)loader(), DYN_HELPER, "argv", "x", NULL};
	char *noenv[] = {NULL};
	EXPECT_EQ(run(loader(), argv, noenv, NULL, out, sizeof out), 0);
	EXPECT_TRUE(strstr(out, "argv[1]=argv\nargv[2]=x\n") != NULL);
	/* The loader as the program: no interpreter, in the mmap area,
	 * with the program break moved out of it (to ELF_ET_DYN_BASE and
	 * up by at most 1 GiB). */
	char *layout[] = {(char *)loader(), DYN_HELPER, "layout", NULL};
	EXPECT_EQ(run(loader(), layout, noenv, NULL, out, sizeof out), 0);
	unsigned long brk = prog_field(out, "brk");
	EXPECT_TRUE(brk >= 0x555555554000UL && brk < 0x555555554000UL + (2UL << 30));
}

TEST(dynamic, dlopen_a_shared_library)
{
	char out[1024];
	char *noenv[] = {NULL};
	char *argv[] = {"x", "dlopen", "/lib/libferrux-dltest.so", NULL};
	EXPECT_EQ(run(DYN_HELPER, argv, noenv, NULL, out, sizeof out), 0);
	/* Constructor ran (2x + calls), data written twice. */
	EXPECT_STREQ(out, "dltest=41 42\n");
	char *missing[] = {"x", "dlopen", "/lib/no-such-library.so", NULL};
	EXPECT_EQ(run(DYN_HELPER, missing, noenv, NULL, out, sizeof out), 1);
	EXPECT_TRUE(strncmp(out, "dlerror=", 8) == 0);
}
