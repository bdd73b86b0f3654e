//! The application-processor trampoline: from the real mode a start-up IPI leaves a CPU in to
//! 64-bit Rust on its own stack, as Linux's `trampoline_64.S`.
//!
//! The blob below is copied to [`TRAMPOLINE_PHYS`] (below 1 MiB, inside the kernel image's
//! reserved low range, so the frame allocator never hands it out) and the start-up IPI names
//! its page. It runs at fixed offsets from that address (`.org`), so no relocation is needed:
//! real mode loads its GDT and enters 32-bit protected mode; 32-bit code enables PAE, loads
//! the boot page tables (`boot_pml4` of the PVH entry, which identity-map the first 4 GiB and
//! map the kernel image in the higher half), sets EFER.LME/NXE and paging, and far-jumps to
//! 64-bit code; that loads four words of the data area and jumps to [`ferrux_ap_entry64`] in
//! the kernel's text, which switches to the kernel's own page tables and the stack the boot
//! CPU allocated, and calls `smp::secondary_entry(area)`.

use core::arch::global_asm;

/// Where the trampoline is copied (its page is the start-up IPI's vector).
pub(crate) const TRAMPOLINE_PHYS: u64 = 0x8000;
/// Bytes copied.
pub(crate) const TRAMPOLINE_LEN: usize = 0x300;
/// Data words the boot CPU fills before each start-up, as offsets from the start.
pub(crate) const DATA_BOOT_CR3: u64 = 0x240;
pub(crate) const DATA_ENTRY: u64 = 0x248;
pub(crate) const DATA_STACK: u64 = 0x250;
pub(crate) const DATA_AREA: u64 = 0x258;
pub(crate) const DATA_KERNEL_CR3: u64 = 0x260;

global_asm!(
    r#"
    .section .rodata.ferrux_ap_trampoline, "a"
    .p2align 4
    .global ferrux_ap_trampoline
ferrux_ap_trampoline:
    .code16
    cli
    cld
    xor ax, ax
    mov ds, ax
    lgdt [{gdt_pointer}]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    /* ljmpl 0x08:pm32 */
    .byte 0x66, 0xea
    .long {pm32}
    .word 0x08

    .org ferrux_ap_trampoline + 0x80
    .code32
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    /* CR4.PAE | CR4.PGE */
    mov eax, cr4
    or eax, 0xa0
    mov cr4, eax
    mov eax, [{boot_cr3}]
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
    /* ljmp 0x18:lm64 */
    .byte 0xea
    .long {lm64}
    .word 0x18

    .org ferrux_ap_trampoline + 0x100
    .code64
    mov rdi, qword ptr [{area}]
    mov rsi, qword ptr [{stack}]
    mov rdx, qword ptr [{kernel_cr3}]
    mov rax, qword ptr [{entry}]
    jmp rax

    .org ferrux_ap_trampoline + 0x200
    /* null, 32-bit code (0x08), data (0x10), 64-bit code (0x18) */
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
    .quad 0x00af9a000000ffff
    .org ferrux_ap_trampoline + 0x220
    .word 31
    .long {gdt}
    .org ferrux_ap_trampoline + 0x240
    .skip 0x40
    .org ferrux_ap_trampoline + 0x300

    .section .text.ferrux_ap_entry, "ax"
    .p2align 4
    .global ferrux_ap_entry64
ferrux_ap_entry64:
    mov cr3, rdx
    mov rsp, rsi
    xor ebp, ebp
    call {secondary_entry}
    ud2
"#,
    gdt_pointer = const TRAMPOLINE_PHYS + 0x220,
    gdt = const TRAMPOLINE_PHYS + 0x200,
    pm32 = const TRAMPOLINE_PHYS + 0x80,
    lm64 = const TRAMPOLINE_PHYS + 0x100,
    boot_cr3 = const TRAMPOLINE_PHYS + DATA_BOOT_CR3,
    entry = const TRAMPOLINE_PHYS + DATA_ENTRY,
    stack = const TRAMPOLINE_PHYS + DATA_STACK,
    area = const TRAMPOLINE_PHYS + DATA_AREA,
    kernel_cr3 = const TRAMPOLINE_PHYS + DATA_KERNEL_CR3,
    secondary_entry = sym crate::smp::secondary_entry,
);

unsafe extern "C" {
    static ferrux_ap_trampoline: u8;
    fn ferrux_ap_entry64();
    /// The PVH entry's page-table root (boot.rs), linked at its physical address.
    static boot_pml4: u8;
}

/// Copies the trampoline to its low page and fills the parts of its data area that are the same
/// for every processor.
pub(crate) fn install() {
    let destination = crate::mm::phys_to_virt(TRAMPOLINE_PHYS) as *mut u8;
    // SAFETY: the blob is `TRAMPOLINE_LEN` bytes of read-only data in the kernel image; the
    // destination is low RAM inside the range excluded from the frame allocator (everything
    // below the image's end), reached through the direct map, and nothing else uses it.
    unsafe {
        core::ptr::copy_nonoverlapping(
            &raw const ferrux_ap_trampoline,
            destination,
            TRAMPOLINE_LEN,
        );
    }
    set_data(DATA_BOOT_CR3, (&raw const boot_pml4) as u64);
    set_data(DATA_ENTRY, ferrux_ap_entry64 as *const () as u64);
    set_data(DATA_KERNEL_CR3, crate::mm::kernel_space::kernel_root());
}

/// Writes one data word of the installed trampoline.
pub(crate) fn set_data(offset: u64, value: u64) {
    let address = crate::mm::phys_to_virt(TRAMPOLINE_PHYS + offset) as *mut u64;
    // SAFETY: inside the trampoline page (see `install`), 8-byte aligned; the processor that
    // reads it is started only after these writes (the IPI is sent after a fence).
    unsafe { core::ptr::write_volatile(address, value) };
}
