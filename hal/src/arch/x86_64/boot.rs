//! PVH entry: from QEMU's 32-bit protected mode to 64-bit Rust in the higher half.
//!
//! The kernel ELF carries a Xen ELF note (type 18, `XEN_ELFNOTE_PHYS32_ENTRY`) naming the
//! physical address of `_pvh_start`. QEMU, Firecracker and cloud-hypervisor enter there in
//! 32-bit protected mode, paging off, with `ebx` = physical address of `hvm_start_info`
//! (Xen's `arch-x86/hvm/start_info.h`). The trampoline builds throw-away page tables that
//! identity-map the first 4 GiB, map the same 4 GiB at the direct-map base, and map the first
//! 1 GiB at `KERNEL_BASE`; it enables long mode and NX, loads a temporary GDT, switches to the
//! boot stack in the higher half and calls [`super::super::super::boot::rust_entry`] with the
//! start-info address. `mm::kernel_space` replaces these tables with the real ones soon after.

use core::arch::global_asm;

/// Size of the stack the boot CPU runs on until the first task has its own.
pub const BOOT_STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(4096))]
pub(crate) struct BootStack(pub [u8; BOOT_STACK_SIZE]);

#[unsafe(no_mangle)]
pub(crate) static mut BOOT_STACK: BootStack = BootStack([0; BOOT_STACK_SIZE]);

global_asm!(
    r#"
    .section .note.Xen, "a"
    .p2align 2
    .long 4
    .long 4
    .long 18
    .asciz "Xen"
    .p2align 2
    .long _pvh_start

    .section .boot.text, "ax"
    .code32
    .global _pvh_start
_pvh_start:
    cli
    cld
    mov edi, ebx

    /* PML4[0] and PML4[273] -> identity PDPT (0..4 GiB); PML4[511] -> high PDPT */
    lea eax, [boot_pdpt_low + 3]
    mov [boot_pml4], eax
    mov [boot_pml4 + 273 * 8], eax
    lea eax, [boot_pdpt_high + 3]
    mov [boot_pml4 + 511 * 8], eax

    /* identity PDPT: four page directories */
    lea eax, [boot_pd + 3]
    mov [boot_pdpt_low], eax
    add eax, 4096
    mov [boot_pdpt_low + 8], eax
    add eax, 4096
    mov [boot_pdpt_low + 16], eax
    add eax, 4096
    mov [boot_pdpt_low + 24], eax
    /* high PDPT[510] (-2 GiB) -> first page directory (0..1 GiB) */
    lea eax, [boot_pd + 3]
    mov [boot_pdpt_high + 510 * 8], eax

    /* 2048 entries of 2 MiB pages: present | writable | huge */
    xor ecx, ecx
1:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83
    mov [boot_pd + ecx * 8], eax
    mov eax, ecx
    shr eax, 11
    mov [boot_pd + ecx * 8 + 4], eax
    inc ecx
    cmp ecx, 2048
    jne 1b

    /* CR4.PAE | CR4.PGE */
    mov eax, cr4
    or eax, 0xa0
    mov cr4, eax
    lea eax, [boot_pml4]
    mov cr3, eax
    /* EFER.LME | EFER.NXE */
    mov ecx, 0xc0000080
    rdmsr
    or eax, 0x900
    wrmsr
    /* CR0.PG | CR0.WP | CR0.PE */
    mov eax, cr0
    or eax, 0x80010001
    mov cr0, eax

    lgdt [boot_gdt_pointer]
    /* far jump to the 64-bit code segment: jmp 0x08:2f */
    .byte 0xea
    .long 2f
    .word 0x08

    .code64
2:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    movabs rsp, offset BOOT_STACK + {stack_size}
    xor ebp, ebp
    movabs rax, offset {rust_entry}
    call rax
3:
    hlt
    jmp 3b

    .section .boot.data, "aw"
    .p2align 3
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff
    .quad 0x00cf92000000ffff
boot_gdt_end:
boot_gdt_pointer:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .section .boot.bss, "aw", @nobits
    .p2align 12
    .global boot_pml4
boot_pml4:
    .skip 4096
boot_pdpt_low:
    .skip 4096
boot_pdpt_high:
    .skip 4096
boot_pd:
    .skip 4096 * 4
"#,
    stack_size = const BOOT_STACK_SIZE,
    rust_entry = sym crate::boot::rust_entry,
);
