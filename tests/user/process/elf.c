/*
 * Suite elf: execve of hand-made and hostile ELF files (Linux 6.1's
 * fs/binfmt_elf.c load_elf_binary, load_elf_phdrs, load_elf_interp).
 *
 * What Linux finds before exec's point of no return is an errno: not ELF
 * or not x86-64 or not a program, a bad program header table (wrong entry
 * size, none, more than a page, past the end of the file) is ENOEXEC; a
 * PT_INTERP shorter than 2 or longer than PATH_MAX or without its final
 * NUL is ENOEXEC, one past the end of the file EIO; the interpreter it
 * names is looked up as a path (ENOENT, EACCES for a directory, "" being
 * the working directory, or a file without execute permission), and must be an ELF file of this machine
 * with a readable program header table (ELIBBAD), at least a header long
 * (EIO).  What it finds while mapping, once the old image is gone, kills
 * the process with SIGSEGV: p_filesz > p_memsz, segments or an entry point
 * outside the user address space, p_vaddr and p_offset that differ modulo
 * the page size, a position-independent file with no PT_LOAD, an
 * interpreter that is not ET_EXEC or ET_DYN.  Segments in any order, or
 * overlapping, are mapped as they come; a segment past the end of the file
 * is mapped and its missing pages raise SIGBUS when touched.  A minimal
 * program given as its own interpreter runs the interpreter's entry point.
 */
#include "process/elfbuild.h"

TEST(elf, minimal_programs_run)
{
	struct elf e;
	h_tmpdir();
	elf_init(&e, ET_EXEC, 42);
	EXPECT_EQ(exec_exit(&e), 42);
	elf_init(&e, ET_DYN, 42);
	EXPECT_EQ(exec_exit(&e), 42);
}

TEST(elf, header_errors_are_enoexec)
{
	struct elf e;
	h_tmpdir();
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_machine = EM_386;
	EXPECT_EQ(exec_errno(&e), ENOEXEC);
	elf_init(&e, ET_REL, 42);
	EXPECT_EQ(exec_errno(&e), ENOEXEC);
	elf_init(&e, ET_CORE, 42);
	EXPECT_EQ(exec_errno(&e), ENOEXEC);
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_phentsize = 32;
	EXPECT_EQ(exec_errno(&e), ENOEXEC);
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_phnum = 0;
	EXPECT_EQ(exec_errno(&e), ENOEXEC);
	/* More than a page of program headers. */
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_phnum = 4096 / sizeof(Elf64_Phdr) + 1;
	EXPECT_EQ(exec_errno(&e), ENOEXEC);
	/* The table past the end of the file (a truncated file). */
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_phoff = 4096 - 8;
	EXPECT_EQ(exec_errno(&e), ENOEXEC);
	elf_init(&e, ET_EXEC, 42);
	e.len = sizeof(Elf64_Ehdr) + 10;
	EXPECT_EQ(exec_errno(&e), ENOEXEC);
	e.len = 20;
	EXPECT_EQ(exec_errno(&e), ENOEXEC);
}

TEST(elf, bad_pt_interp)
{
	struct elf e;
	h_tmpdir();
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "/nonexistent/ld.so", 0);
	EXPECT_EQ(exec_errno(&e), ENOENT);
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "", 0);
	EXPECT_EQ(exec_errno(&e), ENOEXEC); /* size 1 */
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "x", 5000);
	EXPECT_EQ(exec_errno(&e), ENOEXEC); /* longer than PATH_MAX */
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "/bin/child-helper", 4);
	EXPECT_EQ(exec_errno(&e), ENOEXEC); /* no final NUL */
	elf_init(&e, ET_EXEC, 42);
	Elf64_Phdr *ph = elf_interp(&e, "/bin/sh", 0);
	ph->p_offset = 4096 - 4;
	EXPECT_EQ(exec_errno(&e), EIO); /* past the end of the file */
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "\0\0\0", 3);
	EXPECT_EQ(exec_errno(&e), EACCES); /* "": the working directory */
	/* Not the first PT_INTERP: only the first one counts. */
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "/nonexistent/first", 0);
	elf_add(&e, (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 0x900, .p_filesz = 1});
	EXPECT_EQ(exec_errno(&e), ENOENT);
}

TEST(elf, bad_interpreters)
{
	struct elf e, interp;
	h_tmpdir();
	EXPECT_OK(mkdir("dir", 0755));
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "dir", 0);
	EXPECT_EQ(exec_errno(&e), EACCES);
	/* Not executable. */
	elf_init(&interp, ET_DYN, 43);
	write_file("noexec", interp.bytes, interp.len, 0644);
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "noexec", 0);
	EXPECT_EQ(exec_errno(&e), EACCES);
	/* Not ELF: a script, text. */
	write_file("text", "#!/bin/sh\nexit 0\n" "padding padding padding "
			   "padding padding padding padding padding\n", 88, 0755);
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "text", 0);
	EXPECT_EQ(exec_errno(&e), ELIBBAD);
	/* Shorter than an ELF header. */
	write_file("short", "\x7f" "ELF", 4, 0755);
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "short", 0);
	EXPECT_EQ(exec_errno(&e), EIO);
	/* Another machine. */
	elf_init(&interp, ET_DYN, 43);
	interp.ehdr->e_machine = EM_386;
	write_file("i386", interp.bytes, interp.len, 0755);
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "i386", 0);
	EXPECT_EQ(exec_errno(&e), ELIBBAD);
	/* Unreadable program headers. */
	elf_init(&interp, ET_DYN, 43);
	interp.ehdr->e_phentsize = 32;
	write_file("phent", interp.bytes, interp.len, 0755);
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "phent", 0);
	EXPECT_EQ(exec_errno(&e), ELIBBAD);
	/* Not a program: found only while mapping, so the process dies. */
	elf_init(&interp, ET_REL, 43);
	write_file("rel", interp.bytes, interp.len, 0755);
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "rel", 0);
	EXPECT_EQ(exec_signal(&e), SIGSEGV);
}

TEST(elf, interpreter_entry_runs)
{
	struct elf e, interp;
	h_tmpdir();
	elf_init(&interp, ET_DYN, 43);
	write_file("interp", interp.bytes, interp.len, 0755);
	elf_init(&e, ET_EXEC, 42);
	elf_interp(&e, "interp", 0);
	EXPECT_EQ(exec_exit(&e), 43);
	elf_init(&e, ET_DYN, 42);
	elf_interp(&e, "interp", 0);
	EXPECT_EQ(exec_exit(&e), 43);
	/* An ET_EXEC interpreter at its own address, under an ET_DYN program. */
	elf_init(&interp, ET_EXEC, 44);
	interp.ph[0].p_vaddr = interp.ph[0].p_paddr = 0x10000000;
	interp.ehdr->e_entry = 0x10000000 + CODE_OFFSET;
	write_file("interp-exec", interp.bytes, interp.len, 0755);
	elf_init(&e, ET_DYN, 42);
	elf_interp(&e, "interp-exec", 0);
	EXPECT_EQ(exec_exit(&e), 44);
}

TEST(elf, unmappable_segments_kill_the_process)
{
	struct elf e;
	h_tmpdir();
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_filesz = 8192; /* p_filesz > p_memsz */
	EXPECT_EQ(exec_signal(&e), SIGSEGV);
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_memsz = 1UL << 62; /* huge p_memsz */
	EXPECT_EQ(exec_signal(&e), SIGSEGV);
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_memsz = 0x7ffffffff000UL - BASE + 4096; /* past the top */
	EXPECT_EQ(exec_signal(&e), SIGSEGV);
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_vaddr = BASE + 0x10; /* p_vaddr and p_offset disagree */
	EXPECT_EQ(exec_signal(&e), SIGSEGV);
	elf_init(&e, ET_EXEC, 42);
	e.ehdr->e_entry = 0x800000000000UL; /* entry outside user space */
	EXPECT_EQ(exec_signal(&e), SIGSEGV);
	elf_init(&e, ET_DYN, 42);
	e.ph[0].p_type = PT_NOTE; /* no PT_LOAD in a position-independent file */
	EXPECT_EQ(exec_signal(&e), SIGSEGV);
	elf_init(&e, ET_DYN, 42);
	e.ph[0].p_memsz = 0x7ffffffff000UL; /* spans the whole space */
	e.ph[0].p_align = 4096;
	EXPECT_EQ(exec_signal(&e), SIGSEGV);
}

TEST(elf, killed_even_with_a_handler_and_a_mask)
{
	struct elf e;
	h_tmpdir();
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_filesz = 8192;
	write_file("prog", e.bytes, e.len, 0755);
	pid_t pid = h_fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_IGN);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGSEGV);
		sigprocmask(SIG_BLOCK, &set, NULL);
		char *argv[] = {"./prog", NULL};
		char *noenv[] = {NULL};
		h_raw_syscall(SYS_execve, (long)"./prog", (long)argv, (long)noenv, 0, 0, 0);
		h_exit(99);
	}
	EXPECT_EQ(h_wait_signaled(pid, NULL), SIGSEGV);
}

TEST(elf, unsorted_and_overlapping_segments_load)
{
	struct elf e;
	h_tmpdir();
	/* A data segment above, listed first; the text after it. */
	elf_init(&e, ET_EXEC, 42);
	Elf64_Phdr text = e.ph[0];
	e.ph[0] = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		.p_offset = 0, .p_vaddr = BASE + 0x10000, .p_filesz = 4096,
		.p_memsz = 0x3000, .p_align = 4096,
	};
	elf_add(&e, text);
	EXPECT_EQ(exec_exit(&e), 42);
	/* The same page mapped twice: the later one wins. */
	elf_init(&e, ET_EXEC, 42);
	elf_add(&e, e.ph[0]);
	EXPECT_EQ(exec_exit(&e), 42);
	/* Position independent, unsorted. */
	elf_init(&e, ET_DYN, 42);
	text = e.ph[0];
	e.ph[0] = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		.p_offset = 0, .p_vaddr = 0x20000, .p_filesz = 4096,
		.p_memsz = 4096, .p_align = 4096,
	};
	elf_add(&e, text);
	EXPECT_EQ(exec_exit(&e), 42);
}

TEST(elf, truncated_segment_faults_when_touched)
{
	struct elf e;
	h_tmpdir();
	/* The code moved to a second page that the file does not have. */
	elf_init(&e, ET_EXEC, 42);
	e.ph[0].p_filesz = e.ph[0].p_memsz = 8192;
	e.ehdr->e_entry = BASE + 4096 + 0x10;
	EXPECT_EQ(exec_signal(&e), SIGBUS);
}
