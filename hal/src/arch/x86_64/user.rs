//! Entering user mode and coming back: `enter_user`, the `syscall` entry, and the register file.
//!
//! User mode is a call: [`crate::user::UserContext::run`] calls `enter_user`, which saves the
//! kernel's callee-saved registers and stack pointer in the per-CPU area, loads the user
//! registers and leaves with `sysretq` (after a syscall, when `rcx`/`r11` still equal `rip`/
//! `rflags`, as Linux's fast path requires) or `iretq`. The next `syscall` instruction, exception
//! or interrupt in user mode stores the user registers back into the same `UserRegs` and
//! returns from `enter_user` as if it were an ordinary function.

use super::gdt::{PERCPU_KERNEL_RSP, PERCPU_USER_CONTEXT, PERCPU_USER_RSP, USER_CS, USER_DS};
use core::arch::global_asm;
use core::mem::offset_of;

/// The user-mode register file, saved on every kernel entry. `trap_num` says why the CPU left
/// user mode: [`TRAP_SYSCALL`] or the interrupt/exception vector.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserRegs {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub rsp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub rflags: u64,
    pub fs_base: u64,
    pub gs_base: u64,
    pub trap_num: u64,
    pub error_code: u64,
    pub cr2: u64,
}

/// `trap_num` value for a `syscall` instruction (outside the 0..=255 vector range).
pub const TRAP_SYSCALL: u64 = 0x100;

global_asm!(
    r#"
    .section .text.user_entry, "ax"
    .p2align 4
    .global ferrux_enter_user
ferrux_enter_user:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov gs:[{pc_krsp}], rsp
    mov gs:[{pc_ctx}], rdi
    test rsi, rsi
    jnz 2f

    push {user_ds}
    push qword ptr [rdi + {rsp}]
    push qword ptr [rdi + {rflags}]
    push {user_cs}
    push qword ptr [rdi + {rip}]
    mov rax, [rdi + {rax}]
    mov rbx, [rdi + {rbx}]
    mov rcx, [rdi + {rcx}]
    mov rdx, [rdi + {rdx}]
    mov rsi, [rdi + {rsi}]
    mov rbp, [rdi + {rbp}]
    mov r8, [rdi + {r8}]
    mov r9, [rdi + {r9}]
    mov r10, [rdi + {r10}]
    mov r11, [rdi + {r11}]
    mov r12, [rdi + {r12}]
    mov r13, [rdi + {r13}]
    mov r14, [rdi + {r14}]
    mov r15, [rdi + {r15}]
    mov rdi, [rdi + {rdi}]
    swapgs
    iretq

2:
    mov rcx, [rdi + {rip}]
    mov r11, [rdi + {rflags}]
    mov rax, [rdi + {rax}]
    mov rbx, [rdi + {rbx}]
    mov rdx, [rdi + {rdx}]
    mov rsi, [rdi + {rsi}]
    mov rbp, [rdi + {rbp}]
    mov r8, [rdi + {r8}]
    mov r9, [rdi + {r9}]
    mov r10, [rdi + {r10}]
    mov r12, [rdi + {r12}]
    mov r13, [rdi + {r13}]
    mov r14, [rdi + {r14}]
    mov r15, [rdi + {r15}]
    mov rsp, [rdi + {rsp}]
    mov rdi, [rdi + {rdi}]
    swapgs
    sysretq

    .p2align 4
    .global ferrux_syscall_entry
ferrux_syscall_entry:
    swapgs
    mov gs:[{pc_ursp}], rsp
    mov rsp, gs:[{pc_ctx}]
    mov [rsp + {rax}], rax
    mov [rsp + {rbx}], rbx
    mov [rsp + {rcx}], rcx
    mov [rsp + {rip}], rcx
    mov [rsp + {rdx}], rdx
    mov [rsp + {rsi}], rsi
    mov [rsp + {rdi}], rdi
    mov [rsp + {rbp}], rbp
    mov [rsp + {r8}], r8
    mov [rsp + {r9}], r9
    mov [rsp + {r10}], r10
    mov [rsp + {r11}], r11
    mov [rsp + {rflags}], r11
    mov [rsp + {r12}], r12
    mov [rsp + {r13}], r13
    mov [rsp + {r14}], r14
    mov [rsp + {r15}], r15
    mov rax, gs:[{pc_ursp}]
    mov [rsp + {rsp}], rax
    mov qword ptr [rsp + {trap_num}], {trap_syscall}
    mov rsp, gs:[{pc_krsp}]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
"#,
    pc_krsp = const PERCPU_KERNEL_RSP,
    pc_ctx = const PERCPU_USER_CONTEXT,
    pc_ursp = const PERCPU_USER_RSP,
    user_ds = const USER_DS,
    user_cs = const USER_CS,
    trap_syscall = const TRAP_SYSCALL,
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
);

unsafe extern "C" {
    fn ferrux_enter_user(regs: *mut UserRegs, use_sysret: u64);
    fn ferrux_syscall_entry();
}

/// Runs user code with `regs` until the next kernel entry, which overwrites `regs`.
pub(crate) fn enter_user(regs: &mut UserRegs, use_sysret: bool) {
    // SAFETY: `regs` is a valid, exclusive `UserRegs` for the whole call (the entry paths write
    // it through the per-CPU pointer before `ferrux_enter_user` returns); the caller sanitised
    // rflags (IF set, IOPL 0) and rip/rsp, so the CPU returns to ring 3 with the user selectors.
    // Interrupts are off in the kernel, so nothing else uses the per-CPU entry fields meanwhile.
    unsafe { ferrux_enter_user(regs, u64::from(use_sysret)) };
}

/// Programs the `syscall` MSRs: entry point, selectors, and the flags cleared on entry.
pub(crate) fn init_syscall() {
    use super::cpu::{MSR_EFER, MSR_LSTAR, MSR_SFMASK, MSR_STAR, read_msr, write_msr};
    use super::gdt::{KERNEL_CS, USER32_CS};
    let star = (u64::from(USER32_CS) << 48) | (u64::from(KERNEL_CS) << 32);
    // SAFETY: the selectors match the GDT loaded by `gdt::init`; the entry point is the routine
    // above; SFMASK clears IF, TF, DF, AC and NT on entry so the kernel starts in a known state.
    unsafe {
        write_msr(MSR_STAR, star);
        write_msr(MSR_LSTAR, ferrux_syscall_entry as *const () as u64);
        write_msr(MSR_SFMASK, 0x4_7700);
        write_msr(MSR_EFER, read_msr(MSR_EFER) | 1);
    }
}
