/*
 * Suite badexec: hostile files given to execve(2), built by the test, and
 * the outcome compared with Linux 6.1's: an errno while exec can still
 * fail (fs/exec.c before begin_new_exec), or the signal the process dies of
 * after that point (binfmt_elf's failures kill with SIGSEGV; a mapped page
 * past the end of the file raises SIGBUS when touched).  Never a panic.
 *
 * Beyond the elf and exec suites: identification bytes Linux does not
 * check (EI_CLASS, EI_DATA, EI_VERSION, e_version, e_ehsize: the 64-bit
 * loader only looks at the magic, e_type and e_machine); program header
 * tables at offsets the file does not have, or unaligned ones it has;
 * PT_INTERP at offsets that kernel_read refuses (rw_verify_area: a
 * negative loff_t or one that overflows with the size is EINVAL, one past
 * the end of the file a short read, EIO), with embedded NULs, names too
 * long (ENAMETOOLONG), symlink loops (ELOOP); an interpreter shorter than
 * an ELF header, whatever its bytes (EIO), with broken segments or entry
 * point (SIGSEGV); files that are not regular (a FIFO, a character device:
 * EACCES from may_open, never a blocking open), as program or interpreter;
 * PT_LOAD segments whose file offset lies far past the end of the file
 * (mapped, SIGBUS when touched) or past what a file can hold (mmap's
 * EOVERFLOW: SIGSEGV), segments at kernel addresses, empty segments, odd
 * p_align values; "#!" chains: five scripts deep run, six are ELOOP (the
 * depth limit of exec_binprm), as are two scripts naming each other; a
 * "#!" line ending in CRLF names "interp\r" (ENOENT); empty files ENOEXEC.
 */
#include "process/elfbuild.h"

#include <sys/sysmacros.h>

/* What running `path` did: "exit N", "errno NAME" or "signal NAME". */
static const char *outcome_of(const char *path)
{
	static char text[64];
	char out[256];
	char *argv[] = {(char *)path, NULL};
	char *noenv[] = {NULL};
	int status = prog_run(path, argv, noenv, NULL, out, sizeof out);
	int err = prog_exec_errno(status, out);
	if (err)
		snprintf(text, sizeof text, "errno %s", h_errname(err));
	else if (WIFEXITED(status))
		snprintf(text, sizeof text, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(text, sizeof text, "signal %s",
			 WTERMSIG(status) == SIGSEGV  ? "SIGSEGV"
			 : WTERMSIG(status) == SIGBUS ? "SIGBUS"
			 : WTERMSIG(status) == SIGKILL ? "SIGKILL"
						       : "other");
	else
		snprintf(text, sizeof text, "status %#x", status);
	return text;
}

/* Writes e as ./prog and runs it. */
static const char *outcome(struct elf *e)
{
	write_file("prog", e->bytes, e->len, 0755);
	return outcome_of("./prog");
}

#define EXPECT_OUTCOME(e, want)                                                \
	do {                                                                   \
		const char *got_ = outcome(e);                                 \
		if (strcmp(got_, want) != 0)                                   \
			FAIL("line %d: %s, want %s", __LINE__, got_, want);    \
	} while (0)

#define EXPECT_RUN(path, want)                                                 \
	do {                                                                   \
		const char *got_ = outcome_of(path);                           \
		if (strcmp(got_, want) != 0)                                   \
			FAIL("%s: %s, want %s", path, got_, want);             \
	} while (0)

TEST(badexec, identification_bytes_linux_ignores)
{
	struct elf e;
	h_tmpdir();
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_ident[EI_CLASS] = ELFCLASS32;
	EXPECT_OUTCOME(&e, "exit 42");
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_ident[EI_CLASS] = ELFCLASSNONE;
	EXPECT_OUTCOME(&e, "exit 42");
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_ident[EI_DATA] = ELFDATA2MSB;
	EXPECT_OUTCOME(&e, "exit 42");
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_ident[EI_VERSION] = 0;
	e.ehdr->e_version = 77;
	e.ehdr->e_ident[EI_OSABI] = 0xff;
	e.ehdr->e_ehsize = 0;
	e.ehdr->e_shoff = ~0UL;
	e.ehdr->e_shnum = 0xffff;
	e.ehdr->e_shentsize = 3;
	EXPECT_OUTCOME(&e, "exit 42");
	/* Only e_machine matters, not the class it belongs to. */
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_machine = EM_AARCH64;
	EXPECT_OUTCOME(&e, "errno ENOEXEC");
}

TEST(badexec, program_header_table_offsets)
{
	struct elf e;
	h_tmpdir();
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_phoff = 1UL << 63;
	EXPECT_OUTCOME(&e, "errno ENOEXEC");
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_phoff = ~0UL - 8;
	EXPECT_OUTCOME(&e, "errno ENOEXEC");
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_phoff = 1UL << 40;
	EXPECT_OUTCOME(&e, "errno ENOEXEC");
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_phentsize = 0xffff;
	EXPECT_OUTCOME(&e, "errno ENOEXEC");
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_phnum = 0xffff; /* PN_XNUM */
	EXPECT_OUTCOME(&e, "errno ENOEXEC");
	/* An unaligned table that the file does hold is read. */
	elf_init(&e, ET_EXEC, 42);
	memcpy(e.bytes + 0x101, e.ph, sizeof(Elf64_Phdr));
	e.ehdr->e_phoff = 0x101;
	EXPECT_OUTCOME(&e, "exit 42");
	/* The table ends exactly at the end of the file. */
	elf_init(&e, ET_EXEC, 42);
	memcpy(e.bytes + 4096 - sizeof(Elf64_Phdr), e.ph, sizeof(Elf64_Phdr));
	e.ehdr->e_phoff = 4096 - sizeof(Elf64_Phdr);
	EXPECT_OUTCOME(&e, "exit 42");
}

TEST(badexec, pt_interp_offsets_and_names)
{
	struct elf e;
	h_tmpdir();
	/* kernel_read refuses a negative offset, or one that overflows. */
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "/bin/sh", 0)->p_offset = 1UL << 63;
	EXPECT_OUTCOME(&e, "errno EINVAL");
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "/bin/sh", 0)->p_offset = ~0UL - 2;
	EXPECT_OUTCOME(&e, "errno EINVAL");
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "/bin/sh", 0)->p_offset = (~0UL >> 1) - 3;
	EXPECT_OUTCOME(&e, "errno EINVAL");
	/* Far past the end of the file: a short read. */
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "/bin/sh", 0)->p_offset = 1UL << 40;
	EXPECT_OUTCOME(&e, "errno EIO");
	/* The name ends at its first NUL; the size may be PATH_MAX. */
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "/nonexistent", 4096);
	e.len = 0x800 + 4096;
	EXPECT_OUTCOME(&e, "errno ENOENT");
	elf_init(&e, ET_EXEC, 42);
	memcpy(e.bytes + 0x800, "missing\0/bin/sh\0", 16);
	elf_add(&e, (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 0x800,
				 .p_filesz = 16, .p_memsz = 16});
	EXPECT_OUTCOME(&e, "errno ENOENT");
	/* A component longer than NAME_MAX; a path of PATH_MAX - 1 bytes. */
	elf_init(&e, ET_EXEC, 42);
	char name[4096];
	memset(name, 'n', 300);
	name[300] = 0;
	elf_interp(&e, name, 0);
	EXPECT_OUTCOME(&e, "errno ENAMETOOLONG");
	elf_init(&e, ET_EXEC, 42);
	for (int i = 0; i < 4095; i++)
		name[i] = i % 2 ? '/' : 'd';
	name[4095] = 0;
	memcpy(e.bytes + 0x800, name, 4096);
	e.len = 0x800 + 4096;
	elf_add(&e, (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 0x800,
				 .p_filesz = 4096, .p_memsz = 4096});
	EXPECT_OUTCOME(&e, "errno ENOENT");
	/* Symbolic links: a loop, and one to a directory. */
	EXPECT_OK(symlink("loop2", "loop1"));
	EXPECT_OK(symlink("loop1", "loop2"));
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "loop1", 0);
	EXPECT_OUTCOME(&e, "errno ELOOP");
	EXPECT_OK(symlink(".", "dirlink"));
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "dirlink", 0);
	EXPECT_OUTCOME(&e, "errno EACCES");
}

/* Writes bytes as an executable interpreter `name` and runs a program
 * that names it. */
static const char *with_interp(const char *name, const void *bytes, size_t len)
{
	struct elf e;
	write_file(name, bytes, len, 0755);
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, name, 0);
	return outcome(&e);
}

#define EXPECT_INTERP(name, bytes, len, want)                                  \
	do {                                                                   \
		const char *got_ = with_interp(name, bytes, len);              \
		if (strcmp(got_, want) != 0)                                   \
			FAIL("interpreter %s: %s, want %s", name, got_, want); \
	} while (0)

TEST(badexec, broken_interpreters)
{
	struct elf interp;
	h_tmpdir();
	/* Shorter than an ELF header, whatever it holds: a short read. */
	EXPECT_INTERP("empty", "", 0, "errno EIO");
	EXPECT_INTERP("hello", "hello", 5, "errno EIO");
	EXPECT_INTERP("script", "#!/bin/sh\n", 10, "errno EIO");
	elf_init(&interp, ET_DYN, 43);
	EXPECT_INTERP("half", interp.bytes, 40, "errno EIO");
	/* A whole header but not ELF. */
	char text[128];
	memset(text, 'x', sizeof text);
	EXPECT_INTERP("text", text, sizeof text, "errno ELIBBAD");
	/* Segments the loader cannot map: found after the point of no
	 * return. */
	elf_init(&interp, ET_DYN, 43);
	interp.ph[0].p_filesz = 8192;
	EXPECT_INTERP("filesz", interp.bytes, interp.len, "signal SIGSEGV");
	elf_init(&interp, ET_DYN, 43);
	interp.ph[0].p_type = PT_NOTE;
	EXPECT_INTERP("noload", interp.bytes, interp.len, "signal SIGSEGV");
	elf_init(&interp, ET_DYN, 43);
	interp.ph[0].p_vaddr = 0x10;
	EXPECT_INTERP("misaligned", interp.bytes, interp.len, "signal SIGSEGV");
	elf_init(&interp, ET_DYN, 43);
	interp.ph[0].p_memsz = 1UL << 62;
	EXPECT_INTERP("huge", interp.bytes, interp.len, "signal SIGSEGV");
	elf_init(&interp, ET_DYN, 43);
	interp.ehdr->e_entry = 1UL << 62;
	EXPECT_INTERP("entry", interp.bytes, interp.len, "signal SIGSEGV");
	/* Its own PT_INTERP is ignored. */
	elf_init(&interp, ET_DYN, 43);
	elf_interp(&interp, "/nonexistent", 0);
	EXPECT_INTERP("nested", interp.bytes, interp.len, "exit 43");
}

TEST(badexec, files_that_are_not_regular)
{
	struct elf e;
	h_tmpdir();
	EXPECT_OK(mkfifo("fifo", 0755));
	EXPECT_RUN("./fifo", "errno EACCES");
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "fifo", 0);
	EXPECT_OUTCOME(&e, "errno EACCES");
	if (geteuid() != 0)
		return;
	EXPECT_OK(mknod("null", S_IFCHR | 0755, makedev(1, 3)));
	EXPECT_RUN("./null", "errno EACCES");
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "null", 0);
	EXPECT_OUTCOME(&e, "errno EACCES");
	/* Empty regular files are no format at all. */
	write_file("empty", "", 0, 0755);
	EXPECT_RUN("./empty", "errno ENOEXEC");
}

TEST(badexec, load_segments_far_away)
{
	struct elf e;
	h_tmpdir();
	/* File pages far past the end of the file: mapped, then SIGBUS. */
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_offset = 1UL << 40;
	EXPECT_OUTCOME(&e, "signal SIGBUS");
	/* Past what a file can hold: mmap says EOVERFLOW, too late. */
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_offset = 1UL << 63;
	EXPECT_OUTCOME(&e, "signal SIGSEGV");
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_offset = ~0UL - 4095;
	EXPECT_OUTCOME(&e, "signal SIGSEGV");
	/* At a kernel address. */
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_vaddr = 0xffffffff80000000UL;
	e.ehdr->e_entry = e.ph[0].p_vaddr + CODE_OFFSET;
	EXPECT_OUTCOME(&e, "signal SIGSEGV");
	/* An empty segment maps nothing: the entry is not there. */
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_filesz = e.ph[0].p_memsz = 0;
	EXPECT_OUTCOME(&e, "signal SIGSEGV");
	/* The entry point in a segment that is not executable. */
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_flags = PF_R;
	EXPECT_OUTCOME(&e, "signal SIGSEGV");
	/* p_align is not checked; odd values are ignored for the base. */
	elf_init(&e, ET_DYN, 42);
	e.ph[0].p_align = 3;
	EXPECT_OUTCOME(&e, "exit 42");
	elf_init(&e, ET_DYN, 42);
	e.ph[0].p_align = 0;
	EXPECT_OUTCOME(&e, "exit 42");
	elf_init(&e, ET_DYN, 42);
	e.ph[0].p_align = 1UL << 30;
	EXPECT_OUTCOME(&e, "exit 42");
	/* Offset and address agree modulo the page size but are not
	 * aligned: mapped from the page below. */
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_offset = 0x10;
	e.ph[0].p_vaddr = BASE + 0x10;
	e.ph[0].p_filesz = e.ph[0].p_memsz = 4096 - 0x10;
	EXPECT_OUTCOME(&e, "exit 42");
}

/* Writes a script `name` whose #! line is `line`. */
static void script(const char *name, const char *line)
{
	char text[512];
	snprintf(text, sizeof text, "%s\n", line);
	write_file(name, text, strlen(text), 0755);
}

TEST(badexec, script_chains_and_lines)
{
	struct elf e;
	const char *dir = h_tmpdir();
	elf_init(&e, ET_EXEC, 42);
	write_file("prog", e.bytes, e.len, 0755);
	/* s1 -> prog, s2 -> s1, ...: five scripts deep run, six do not. */
	char line[256], name[16], prev[16] = "prog";
	for (int i = 1; i <= 6; i++) {
		snprintf(name, sizeof name, "s%d", i);
		snprintf(line, sizeof line, "#!%s/%s", dir, prev);
		script(name, line);
		strcpy(prev, name);
	}
	EXPECT_RUN("./s5", "exit 42");
	EXPECT_RUN("./s6", "errno ELOOP");
	/* Two scripts naming each other. */
	snprintf(line, sizeof line, "#!%s/pong", dir);
	script("ping", line);
	snprintf(line, sizeof line, "#!%s/ping", dir);
	script("pong", line);
	EXPECT_RUN("./ping", "errno ELOOP");
	/* CRLF: the interpreter's name ends in "\r". */
	snprintf(line, sizeof line, "#!%s/prog\r", dir);
	script("crlf", line);
	EXPECT_RUN("./crlf", "errno ENOENT");
	/* Interpreters that are no program. */
	EXPECT_OK(mkfifo("fifo", 0755));
	EXPECT_OK(mkdir("dir", 0755));
	write_file("empty", "", 0, 0755);
	script("to-fifo", "#!fifo");
	EXPECT_RUN("./to-fifo", "errno EACCES");
	script("to-dir", "#!dir");
	EXPECT_RUN("./to-dir", "errno EACCES");
	script("to-empty", "#!empty");
	EXPECT_RUN("./to-empty", "errno ENOEXEC");
	/* A script whose interpreter has a bad PT_INTERP. */
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "/nonexistent/ld.so", 0);
	write_file("badld", e.bytes, e.len, 0755);
	script("to-badld", "#!badld");
	EXPECT_RUN("./to-badld", "errno ENOENT");
	/* "#!" and blanks only, no newline within the buffer. */
	char blanks[300] = "#!";
	memset(blanks + 2, ' ', 280);
	write_file("blank", blanks, 282, 0755);
	EXPECT_RUN("./blank", "errno ENOEXEC");
}
