/*
 * Address-space layout randomization of a new program, as Linux 6.1 on
 * x86-64 with randomize_va_space=2 (the default; arch/x86/mm/mmap.c,
 * fs/binfmt_elf.c, mm/util.c): the stack top moves by up to 16 GiB (22 bits
 * of pages) and the stack pointer by under 8 KiB more, the mmap area by up
 * to 1 TiB (28 bits), the program break by up to 1 GiB above the end of the
 * program (Debian's 6.1 has the 64-bit range of Linux 6.9; 6.1.0 had 32 MiB), a static PIE lies in the mmap area; an ET_EXEC program stays at
 * its address.  Each exec draws anew: four execs of the same program do not
 * all agree (the chance that they do is far below 1e-9).
 * Man pages execve(2), personality(2), proc(5) randomize_va_space.
 */
#include "harness.h"
#include "process/program.h"

#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>

#define RUNS 4
#define TASK_SIZE 0x7ffffffff000UL
#define GIB (1UL << 30)
#define MIB (1UL << 20)

static void no_randomize(void)
{
	if (personality(ADDR_NO_RANDOMIZE) == -1)
		h_exit(125);
}

static void layouts_with(const char *path, char *arg, void (*setup)(void),
			 char out[RUNS][512])
{
	char *argv[] = {"x", arg, NULL};
	char *noenv[] = {NULL};
	for (int i = 0; i < RUNS; i++) {
		int status = prog_run(path, argv, noenv, setup, out[i], 512);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

static void layouts(const char *path, char *arg, char out[RUNS][512])
{
	layouts_with(path, arg, NULL, out);
}

/* Whether field name differs in at least one run. */
static int varies(char out[RUNS][512], const char *name)
{
	for (int i = 1; i < RUNS; i++)
		if (prog_field(out[i], name) != prog_field(out[0], name))
			return 1;
	return 0;
}

TEST(aslr, stack_mmap_and_brk_move_between_execs)
{
	char out[RUNS][512];
	layouts(h_child_helper(), "layout", out);
	EXPECT_TRUE(varies(out, "stack"));
	EXPECT_TRUE(varies(out, "random"));
	EXPECT_TRUE(varies(out, "execfn"));
	EXPECT_TRUE(varies(out, "mmap"));
	EXPECT_TRUE(varies(out, "brk"));
	/* The static ET_EXEC helper itself stays where it was linked. */
	EXPECT_TRUE(!varies(out, "ehdr"));
	for (int i = 0; i < RUNS; i++) {
		unsigned long execfn = prog_field(out[i], "execfn");
		unsigned long stack = prog_field(out[i], "stack");
		unsigned long brk = prog_field(out[i], "brk");
		unsigned long end = prog_field(out[i], "end");
		unsigned long mmap = prog_field(out[i], "mmap");
		/* The stack top: at most 16 GiB below the top. */
		EXPECT_TRUE(execfn < TASK_SIZE && execfn > TASK_SIZE - 16 * GIB);
		EXPECT_TRUE(stack < execfn && stack > execfn - MIB);
		/* The break: within 1 GiB above the program (plus what libc
		 * took at start-up). */
		EXPECT_TRUE(brk >= end && brk < end + GIB + MIB);
		/* The mmap area: below the stack's room, within 1 TiB more. */
		EXPECT_TRUE(mmap < TASK_SIZE - 16 * GIB);
		EXPECT_TRUE(mmap > TASK_SIZE - 16 * GIB - 1024 * GIB - GIB);
	}
}

TEST(aslr, static_pie_lies_in_the_mmap_area_at_random)
{
	char out[RUNS][512];
	layouts("/bin/static-pie", "layout", out);
	EXPECT_TRUE(varies(out, "base"));
	for (int i = 0; i < RUNS; i++) {
		unsigned long base = prog_field(out[i], "base");
		EXPECT_EQ(base % 4096, 0);
		EXPECT_TRUE(base < TASK_SIZE - 16 * GIB);
		EXPECT_TRUE(base > TASK_SIZE - 16 * GIB - 1024 * GIB - GIB);
	}
}

/* personality(ADDR_NO_RANDOMIZE) (setarch -R): the next exec has Linux's
 * fixed layout: the stack ends at the top of the address space, the mmap
 * area starts 128 MiB below it (8 MiB of stack and the guard gap are less),
 * the program break right after the program, the same every time.  The
 * flag stays set in the new program. */
TEST(aslr, addr_no_randomize_fixes_the_layout)
{
	char out[RUNS][512];
	const char *helper = h_child_helper();
	layouts_with(helper, "layout", no_randomize, out);
	static const char *const fields[] = {"stack", "random", "execfn", "brk",
					     "mmap", "vdso"};
	for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
		if (varies(out, fields[f]))
			FAIL("%s varies: %s / %s", fields[f], out[0], out[1]);
	EXPECT_EQX(prog_field(out[0], "execfn"),
		   TASK_SIZE - 8 - (strlen(helper) + 1));
	EXPECT_EQX(prog_field(out[0], "persona") & ADDR_NO_RANDOMIZE,
		   ADDR_NO_RANDOMIZE);
	unsigned long brk = prog_field(out[0], "brk");
	unsigned long end = prog_field(out[0], "end");
	EXPECT_TRUE(brk >= end && brk < end + MIB);
	struct rlimit stack;
	EXPECT_OK(getrlimit(RLIMIT_STACK, &stack));
	layouts_with("/bin/static-pie", "layout", no_randomize, out);
	EXPECT_TRUE(!varies(out, "base"));
	if (stack.rlim_cur == 8 * MIB)
		EXPECT_EQX(prog_field(out[0], "end"), TASK_SIZE - 128 * MIB);
}

static void personality_child(void *arg)
{
	(void)arg;
	int old = personality(0xffffffff);
	if (personality(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC) != old)
		FAIL("personality did not return the old value");
	if (personality(0xffffffff) != (ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC))
		FAIL("personality did not store the new value");
	if (personality(old) != (ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC))
		FAIL("personality did not return the value set");
}

TEST(aslr, personality_stores_and_returns_the_old_value)
{
	EXPECT_EQ(personality(0xffffffff), PER_LINUX);
	EXPECT_CHILD_OK(personality_child, NULL);
	EXPECT_EQ(personality(0xffffffff), PER_LINUX);
}
