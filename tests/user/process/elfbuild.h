/*
 * Hand-made x86-64 ELF programs for the exec suites (elf, badexec): a
 * one-page ET_EXEC or ET_DYN whose code calls exit_group(code), with
 * helpers to add program headers and PT_INTERP, write it and exec it in a
 * child.
 */
#ifndef FERRUX_TESTS_ELFBUILD_H
#define FERRUX_TESTS_ELFBUILD_H

#include "harness.h"
#include "process/program.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#define BASE 0x400000UL
#define CODE_OFFSET 0x200

/* The program's code: exit_group(42) (or 43 as an interpreter). */
static inline void put_code(unsigned char *file, size_t offset, int code)
{
	unsigned char text[] = {
		0xbf, (unsigned char)code, 0, 0, 0, /* mov edi, code */
		0xb8, 0xe7, 0, 0, 0,                /* mov eax, 231 (exit_group) */
		0x0f, 0x05,                         /* syscall */
	};
	memcpy(file + offset, text, sizeof text);
}

struct elf {
	unsigned char bytes[2 * 4096];
	size_t len;
	Elf64_Ehdr *ehdr;
	Elf64_Phdr *ph;
};

/* An x86-64 ET_EXEC (or ET_DYN, linked at 0) of one page whose single
 * PT_LOAD maps it read+execute at BASE (0) and whose entry runs the code. */
static inline void elf_init(struct elf *e, int type, int code)
{
	memset(e, 0, sizeof *e);
	e->len = 4096;
	e->ehdr = (Elf64_Ehdr *)e->bytes;
	e->ph = (Elf64_Phdr *)(e->bytes + sizeof(Elf64_Ehdr));
	unsigned long base = type == ET_EXEC ? BASE : 0;
	memcpy(e->ehdr->e_ident, ELFMAG, SELFMAG);
	e->ehdr->e_ident[EI_CLASS] = ELFCLASS64;
	e->ehdr->e_ident[EI_DATA] = ELFDATA2LSB;
	e->ehdr->e_ident[EI_VERSION] = EV_CURRENT;
	e->ehdr->e_type = type;
	e->ehdr->e_machine = EM_X86_64;
	e->ehdr->e_version = EV_CURRENT;
	e->ehdr->e_entry = base + CODE_OFFSET;
	e->ehdr->e_phoff = sizeof(Elf64_Ehdr);
	e->ehdr->e_ehsize = sizeof(Elf64_Ehdr);
	e->ehdr->e_phentsize = sizeof(Elf64_Phdr);
	e->ehdr->e_phnum = 1;
	e->ph[0] = (Elf64_Phdr){
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_X,
		.p_offset = 0,
		.p_vaddr = base,
		.p_paddr = base,
		.p_filesz = 4096,
		.p_memsz = 4096,
		.p_align = 4096,
	};
	put_code(e->bytes, CODE_OFFSET, code);
}

/* Adds a program header; returns it. */
static inline Elf64_Phdr *elf_add(struct elf *e, Elf64_Phdr ph)
{
	Elf64_Phdr *slot = &e->ph[e->ehdr->e_phnum++];
	*slot = ph;
	return slot;
}

/* Adds PT_INTERP naming `path` (with its NUL, `size` bytes if not 0). */
static inline Elf64_Phdr *elf_interp(struct elf *e, const char *path, size_t size)
{
	size_t at = 0x800;
	strcpy((char *)e->bytes + at, path);
	return elf_add(e, (Elf64_Phdr){
		.p_type = PT_INTERP,
		.p_flags = PF_R,
		.p_offset = at,
		.p_filesz = size ? size : strlen(path) + 1,
		.p_memsz = size ? size : strlen(path) + 1,
		.p_align = 1,
	});
}

static inline void write_file(const char *name, const void *bytes, size_t len,
		       mode_t mode)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(write(fd, bytes, len), (ssize_t)len);
	EXPECT_OK(close(fd));
	EXPECT_OK(chmod(name, mode));
}

/* Writes e to `name` and execs it: returns the raw wait status; *err gets
 * the errno if execve failed. */
static inline int exec_elf(struct elf *e, const char *name, int *err)
{
	write_file(name, e->bytes, e->len, 0755);
	char out[256];
	char path[64];
	snprintf(path, sizeof path, "./%s", name);
	char *argv[] = {path, NULL};
	char *noenv[] = {NULL};
	int status = prog_run(path, argv, noenv, NULL, out, sizeof out);
	*err = prog_exec_errno(status, out);
	return status;
}

static inline int exec_errno(struct elf *e)
{
	int err;
	exec_elf(e, "prog", &err);
	return err;
}

static inline int exec_signal(struct elf *e)
{
	int err;
	int status = exec_elf(e, "prog", &err);
	return WIFSIGNALED(status) ? WTERMSIG(status) : -(status >> 8);
}

static inline int exec_exit(struct elf *e)
{
	int err;
	int status = exec_elf(e, "prog", &err);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

#endif
