//! The interrupt descriptor table and the entry stubs for every vector.
//!
//! All 256 vectors enter through a 16-byte stub that pushes a uniform (error code, vector) pair
//! and jumps to `trap_common`. A trap from user mode saves the user registers into the current
//! [`UserRegs`](super::user::UserRegs) and returns from `enter_user` (the kernel then sees a
//! [`ReturnReason`](crate::user::ReturnReason)); a trap from kernel mode is handled here in
//! [`kernel_trap`]: timer ticks, page faults inside the user-copy routine (demand paging through
//! the kernel's handler, or the EFAULT fixup), and everything else is a kernel bug that panics
//! with the registers. The double fault runs on its own stack (IST 1) so that a kernel stack
//! overflow into a guard page is reported, not a triple fault.

use super::gdt::{KERNEL_CS, PERCPU_KERNEL_RSP, PERCPU_USER_CONTEXT};
use super::user::UserRegs;
use core::arch::global_asm;
use core::mem::offset_of;

pub const VECTOR_PAGE_FAULT: u64 = 14;
pub const VECTOR_DOUBLE_FAULT: u64 = 8;
pub const VECTOR_NMI: u64 = 2;
pub const VECTOR_TIMER: u64 = 0x20;
pub const VECTOR_SPURIOUS: u64 = 0xff;
/// First vector used for device interrupts (after the CPU exceptions).
pub const FIRST_IRQ_VECTOR: u64 = 0x20;

/// The registers pushed by `trap_common` for a trap taken in kernel mode.
#[repr(C)]
#[derive(Debug)]
pub struct KernelTrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

global_asm!(
    r#"
    .section .text.trap_stubs, "ax"
    .p2align 4
    .global trap_stubs
trap_stubs:
    .set vector, 0
    .rept 256
    .p2align 4
    .if (vector == 8) || ((vector >= 10) && (vector <= 14)) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
    .else
    .byte 0x6a, 0x00
    .endif
    .byte 0x68
    .long vector
    jmp trap_common
    .set vector, vector + 1
    .endr

    .p2align 4
trap_common:
    test byte ptr [rsp + 24], 3
    jnz 1f

    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    cld
    call {kernel_trap}
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16
    iretq

1:
    swapgs
    push rax
    mov rax, gs:[{pc_ctx}]
    mov [rax + {rbx}], rbx
    mov [rax + {rcx}], rcx
    mov [rax + {rdx}], rdx
    mov [rax + {rsi}], rsi
    mov [rax + {rdi}], rdi
    mov [rax + {rbp}], rbp
    mov [rax + {r8}], r8
    mov [rax + {r9}], r9
    mov [rax + {r10}], r10
    mov [rax + {r11}], r11
    mov [rax + {r12}], r12
    mov [rax + {r13}], r13
    mov [rax + {r14}], r14
    mov [rax + {r15}], r15
    pop rbx
    mov [rax + {rax}], rbx
    mov rbx, [rsp]
    mov [rax + {trap_num}], rbx
    mov rbx, [rsp + 8]
    mov [rax + {error_code}], rbx
    mov rbx, [rsp + 16]
    mov [rax + {rip}], rbx
    mov rbx, [rsp + 32]
    mov [rax + {rflags}], rbx
    mov rbx, [rsp + 40]
    mov [rax + {rsp}], rbx
    mov rbx, cr2
    mov [rax + {cr2}], rbx
    mov rsp, gs:[{pc_krsp}]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
"#,
    kernel_trap = sym kernel_trap,
    pc_ctx = const PERCPU_USER_CONTEXT,
    pc_krsp = const PERCPU_KERNEL_RSP,
    rax = const offset_of!(UserRegs, rax),
    rbx = const offset_of!(UserRegs, rbx),
    rcx = const offset_of!(UserRegs, rcx),
    rdx = const offset_of!(UserRegs, rdx),
    rsi = const offset_of!(UserRegs, rsi),
    rdi = const offset_of!(UserRegs, rdi),
    rbp = const offset_of!(UserRegs, rbp),
    rsp = const offset_of!(UserRegs, rsp),
    r8 = const offset_of!(UserRegs, r8),
    r9 = const offset_of!(UserRegs, r9),
    r10 = const offset_of!(UserRegs, r10),
    r11 = const offset_of!(UserRegs, r11),
    r12 = const offset_of!(UserRegs, r12),
    r13 = const offset_of!(UserRegs, r13),
    r14 = const offset_of!(UserRegs, r14),
    r15 = const offset_of!(UserRegs, r15),
    rip = const offset_of!(UserRegs, rip),
    rflags = const offset_of!(UserRegs, rflags),
    trap_num = const offset_of!(UserRegs, trap_num),
    error_code = const offset_of!(UserRegs, error_code),
    cr2 = const offset_of!(UserRegs, cr2),
);

unsafe extern "C" {
    static trap_stubs: u8;
}

#[repr(C)]
#[derive(Clone, Copy)]
struct IdtEntry {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

static mut IDT: [IdtEntry; 256] = [IdtEntry {
    offset_low: 0,
    selector: 0,
    ist: 0,
    type_attr: 0,
    offset_mid: 0,
    offset_high: 0,
    reserved: 0,
}; 256];

/// Loads the IDT [`init`] filled (on an application processor).
pub(crate) fn load() {
    #[repr(C, packed)]
    struct Pointer {
        limit: u16,
        base: u64,
    }
    let pointer = Pointer {
        limit: (core::mem::size_of::<[IdtEntry; 256]>() - 1) as u16,
        base: (&raw const IDT) as u64,
    };
    // SAFETY: the IDT was filled by `init` on the boot CPU and is never written again.
    unsafe {
        core::arch::asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags))
    };
}

/// Fills and loads the IDT: every vector is an interrupt gate (IF cleared on entry), only
/// `int3` and `into` may be raised from user mode with an `int` instruction (DPL 3), as Linux.
pub(crate) fn init() {
    let base = (&raw const trap_stubs) as u64;
    // SAFETY: runs once on the boot CPU before interrupts are enabled; nothing else reads IDT.
    unsafe {
        // `&mut IDT` is refused for a `static mut` in edition 2024; go through a raw pointer.
        #[allow(
            clippy::deref_addrof,
            reason = "a reference to a static mut must be made from a raw pointer"
        )]
        let idt = &mut *(&raw mut IDT);
        for (vector, entry) in idt.iter_mut().enumerate() {
            let handler = base + 16 * vector as u64;
            let dpl: u8 = if vector == 3 || vector == 4 { 3 } else { 0 };
            *entry = IdtEntry {
                offset_low: handler as u16,
                selector: KERNEL_CS,
                ist: if vector as u64 == VECTOR_DOUBLE_FAULT {
                    1
                } else {
                    0
                },
                type_attr: 0x8e | (dpl << 5),
                offset_mid: (handler >> 16) as u16,
                offset_high: (handler >> 32) as u32,
                reserved: 0,
            };
        }
        #[repr(C, packed)]
        struct Pointer {
            limit: u16,
            base: u64,
        }
        let pointer = Pointer {
            limit: (core::mem::size_of::<[IdtEntry; 256]>() - 1) as u16,
            base: idt.as_ptr() as u64,
        };
        core::arch::asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags));
    }
}

extern "C" fn kernel_trap(frame: &mut KernelTrapFrame) {
    match frame.vector {
        VECTOR_PAGE_FAULT => {
            let address = super::cpu::read_cr2();
            if crate::usercopy::handle_kernel_fault(frame, address) {
                return;
            }
            crate::panic::exception_panic("page fault in kernel mode", frame, Some(address));
        }
        VECTOR_NMI if crate::smp::handle_nmi() => {}
        vector if vector >= FIRST_IRQ_VECTOR => {
            crate::sync::irq_enter();
            crate::irq::handle(vector);
            crate::sync::irq_exit();
        }
        _ => crate::panic::exception_panic(exception_name(frame.vector), frame, None),
    }
}

/// The name Linux's trap code gives each exception vector.
pub fn exception_name(vector: u64) -> &'static str {
    match vector {
        0 => "divide error",
        1 => "debug",
        2 => "nmi",
        3 => "int3",
        4 => "overflow",
        5 => "bounds",
        6 => "invalid opcode",
        7 => "device not available",
        8 => "double fault",
        10 => "invalid TSS",
        11 => "segment not present",
        12 => "stack segment",
        13 => "general protection fault",
        14 => "page fault",
        16 => "coprocessor error",
        17 => "alignment check",
        18 => "machine check",
        19 => "SIMD coprocessor error",
        _ => "unknown exception",
    }
}
