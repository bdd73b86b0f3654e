/*
 * static-pie: a static position-independent executable checks how the
 * kernel loaded it.  Run as init, it prints "static-pie: PASS" and exits 0,
 * or prints "static-pie: FAIL <what>" and exits 1.
 *
 * A static PIE is an ET_DYN file linked at address 0 with no PT_INTERP; the
 * kernel picks a load bias (fs/binfmt_elf.c: ELF_ET_DYN_BASE, randomized),
 * and the start file (rcrt1.o) applies its own R_X86_64_RELATIVE
 * relocations before libc starts.  Checked here: the ELF header in memory
 * says ET_DYN and sits at the load bias, which is page aligned and not 0;
 * AT_PHDR, AT_PHENT, AT_PHNUM describe the program headers in memory
 * (PT_PHDR's address plus the bias); AT_ENTRY is the running _start;
 * AT_BASE is 0 (no interpreter); code, data and the stack lie where they
 * should; and a pointer initialized with an address was relocated.
 *
 * "static-pie layout" prints "base=X end=X" (hex) instead: the load bias and
 * the end of the image rounded up to a page (Linux's total_mapping_size
 * from the bias), for the address-randomization tests.
 */
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

extern const ElfW(Ehdr) __ehdr_start; /* defined by the linker */
extern char _start[];                 /* from rcrt1.o */

static int target = 42;
static int *relocated = &target; /* needs R_X86_64_RELATIVE at run time */

static int failures;

static void check(int ok, const char *what, unsigned long got)
{
	if (!ok) {
		printf("static-pie: FAIL %s (got %#lx)\n", what, got);
		failures++;
	}
}

int main(int argc, char **argv)
{
	const ElfW(Ehdr) *ehdr = &__ehdr_start;
	uintptr_t bias = (uintptr_t)ehdr;
	const ElfW(Phdr) *phdr = (const void *)getauxval(AT_PHDR);
	unsigned long phnum = getauxval(AT_PHNUM);
	int stack_variable = 0;

	if (argc > 1 && argv[1][0] == 'l') {
		uintptr_t end = 0;
		for (unsigned long i = 0; phdr && i < phnum; i++)
			if (phdr[i].p_type == PT_LOAD &&
			    bias + phdr[i].p_vaddr + phdr[i].p_memsz > end)
				end = bias + phdr[i].p_vaddr + phdr[i].p_memsz;
		printf("base=%lx end=%lx\n", (unsigned long)bias,
		       (unsigned long)((end + 4095) & ~4095UL));
		return 0;
	}
	check(ehdr->e_type == ET_DYN, "e_type is ET_DYN", ehdr->e_type);
	check(bias != 0, "loaded away from its link address 0", bias);
	check(bias % 4096 == 0, "load bias is page aligned", bias);
	check(getauxval(AT_BASE) == 0, "AT_BASE is 0 without an interpreter",
	      getauxval(AT_BASE));
	check(getauxval(AT_ENTRY) == (uintptr_t)_start, "AT_ENTRY is _start",
	      getauxval(AT_ENTRY));
	check(getauxval(AT_ENTRY) == bias + ehdr->e_entry,
	      "AT_ENTRY is the bias plus e_entry", getauxval(AT_ENTRY));
	check((uintptr_t)phdr == bias + ehdr->e_phoff,
	      "AT_PHDR is the bias plus e_phoff", (uintptr_t)phdr);
	check(getauxval(AT_PHENT) == sizeof(ElfW(Phdr)), "AT_PHENT",
	      getauxval(AT_PHENT));
	check(phnum == ehdr->e_phnum, "AT_PHNUM is e_phnum", phnum);

	uintptr_t image_end = 0;
	int has_interp = 0;
	for (unsigned long i = 0; phdr && i < phnum; i++) {
		if (phdr[i].p_type == PT_PHDR)
			check(bias + phdr[i].p_vaddr == (uintptr_t)phdr,
			      "PT_PHDR plus the bias is AT_PHDR",
			      phdr[i].p_vaddr);
		if (phdr[i].p_type == PT_INTERP)
			has_interp = 1;
		if (phdr[i].p_type == PT_LOAD &&
		    bias + phdr[i].p_vaddr + phdr[i].p_memsz > image_end)
			image_end = bias + phdr[i].p_vaddr + phdr[i].p_memsz;
	}
	check(!has_interp, "no PT_INTERP", has_interp);
	check((uintptr_t)main > bias && (uintptr_t)main < image_end,
	      "main lies in the image", (uintptr_t)main);
	check((uintptr_t)&target > bias && (uintptr_t)&target < image_end,
	      "data lies in the image", (uintptr_t)&target);
	check((uintptr_t)&stack_variable > image_end, "the stack is above the image",
	      (uintptr_t)&stack_variable);

	/* Keep the compiler from folding the pointer to its link-time value. */
	int *volatile *pointer = &relocated;
	check(*pointer == &target, "relocated pointer", (uintptr_t)*pointer);
	check(**pointer == 42, "value through the relocated pointer", **pointer);

	if (failures)
		return 1;
	printf("static-pie: PASS\n");
	return 0;
}
