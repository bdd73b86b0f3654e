//! User mode as a call that returns a reason.
//!
//! The kernel keeps one [`UserContext`] per thread and calls [`UserContext::run`]; it returns
//! when the thread makes a syscall, takes an exception, or is interrupted, with the registers
//! saved in the context. The per-thread loop that decides what to do (in the kernel, safe code)
//! reads and edits the registers through this type.

use crate::arch::x86_64::cpu::{MSR_FS_BASE, MSR_KERNEL_GS_BASE, write_msr};
use crate::arch::x86_64::fpu::{self, XsaveArea};
use crate::arch::x86_64::gdt::this_cpu;
use crate::arch::x86_64::trap::FIRST_IRQ_VECTOR;
pub use crate::arch::x86_64::user::UserRegs;
use crate::arch::x86_64::user::{TRAP_SYSCALL, enter_user};
use crate::mm::USER_END;
use abi::Errno;
use alloc::alloc::{Layout, alloc_zeroed};
use alloc::boxed::Box;

/// Why user mode was left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnReason {
    /// A `syscall` instruction: number in `rax`, arguments in `rdi, rsi, rdx, r10, r8, r9`.
    Syscall,
    /// A CPU exception raised by user code.
    Exception(CpuException),
    /// A device or timer interrupt (already acknowledged).
    Interrupt,
}

/// A CPU exception taken in user mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuException {
    pub vector: u64,
    pub error_code: u64,
    /// The faulting address, for page faults.
    pub fault_address: u64,
}

/// A user thread's CPU state: registers and FPU/SSE/AVX state.
pub struct UserContext {
    regs: UserRegs,
    fpu: Box<XsaveArea>,
}

/// User-modifiable RFLAGS bits: CF PF AF ZF SF TF DF OF AC ID (as Linux's `FIX_EFLAGS`).
const USER_RFLAGS_MASK: u64 = 0x24_0dd5;
const RFLAGS_IF: u64 = 1 << 9;
const RFLAGS_TF: u64 = 1 << 8;
const RFLAGS_RESERVED: u64 = 1 << 1;

impl UserContext {
    /// A context with zeroed registers and the FPU in its initial state, or `ENOMEM`.
    pub fn try_new() -> Result<UserContext, Errno> {
        let layout = Layout::new::<XsaveArea>();
        // SAFETY: the layout has non-zero size; a non-null result is a zeroed allocation of
        // exactly that layout, which is a valid `XsaveArea` (plain bytes) and may be boxed.
        let mut fpu = unsafe {
            let pointer = alloc_zeroed(layout) as *mut XsaveArea;
            if pointer.is_null() {
                return Err(Errno::ENOMEM);
            }
            Box::from_raw(pointer)
        };
        fpu.initialize();
        Ok(UserContext {
            regs: UserRegs {
                rflags: RFLAGS_IF | RFLAGS_RESERVED,
                ..UserRegs::default()
            },
            fpu,
        })
    }

    /// A copy of this context (fork), or `ENOMEM`. The saved FPU image is current: it is stored
    /// on every return from user mode.
    pub fn try_clone(&self) -> Result<UserContext, Errno> {
        let mut copy = Self::try_new()?;
        copy.regs = self.regs;
        copy.fpu.0.copy_from_slice(&self.fpu.0);
        Ok(copy)
    }

    pub fn regs(&self) -> &UserRegs {
        &self.regs
    }

    pub fn regs_mut(&mut self) -> &mut UserRegs {
        &mut self.regs
    }

    /// Resets the FPU state (execve).
    pub fn reset_fpu(&mut self) {
        self.fpu.initialize();
        self.forget_fpu_ownership();
    }

    /// The saved FPU image (XSAVE format, `xsave_size()` bytes; FXSAVE's 512 without XSAVE), as
    /// a signal frame stores it.
    pub fn fpu_image(&self) -> &[u8] {
        &self.fpu.0[..fpu::xsave_size().min(self.fpu.0.len())]
    }

    /// Replaces the FPU state with `image` (from a signal frame), or `EFAULT`-style refusal
    /// (`Err(EINVAL)`) if the CPU would fault loading it.
    pub fn load_fpu_image(&mut self, image: &[u8]) -> Result<(), Errno> {
        if image.len() > self.fpu.0.len() || !fpu::is_loadable_image(image) {
            return Err(Errno::EINVAL);
        }
        self.fpu.0[..image.len()].copy_from_slice(image);
        self.forget_fpu_ownership();
        Ok(())
    }

    fn is_fpu_owner(&self) -> bool {
        // SAFETY: the per-CPU area is only touched by this CPU with interrupts off.
        unsafe { (*this_cpu()).fpu_owner == self as *const UserContext as u64 }
    }

    fn forget_fpu_ownership(&self) {
        if self.is_fpu_owner() {
            // SAFETY: as `is_fpu_owner`.
            unsafe { (*this_cpu()).fpu_owner = 0 };
        }
    }

    /// Runs the thread in user mode until the next kernel entry. An instruction pointer outside
    /// user space (set by sigreturn, say) is not entered: it comes back as a general-protection
    /// fault, which is what the user would get from the CPU.
    pub fn run(&mut self) -> ReturnReason {
        if self.regs.rip >= USER_END {
            return ReturnReason::Exception(CpuException {
                vector: 13,
                error_code: 0,
                fault_address: 0,
            });
        }
        self.regs.rflags = (self.regs.rflags & USER_RFLAGS_MASK) | RFLAGS_IF | RFLAGS_RESERVED;
        let cpu = this_cpu();
        // SAFETY: per-CPU fields are touched only by this CPU with interrupts off; the MSR write
        // sets the user FS base, which the kernel never uses (it uses GS).
        unsafe {
            if (*cpu).fpu_owner != self as *const UserContext as u64 {
                fpu::restore(&self.fpu);
                (*cpu).fpu_owner = self as *const UserContext as u64;
            }
            if (*cpu).loaded_fs_base != self.regs.fs_base {
                write_msr(MSR_FS_BASE, self.regs.fs_base);
                (*cpu).loaded_fs_base = self.regs.fs_base;
            }
            if (*cpu).loaded_user_gs_base != self.regs.gs_base {
                write_msr(MSR_KERNEL_GS_BASE, self.regs.gs_base);
                (*cpu).loaded_user_gs_base = self.regs.gs_base;
            }
        }
        let use_sysret = self.regs.rcx == self.regs.rip
            && self.regs.r11 == self.regs.rflags
            && self.regs.rip < USER_END
            && self.regs.rflags & RFLAGS_TF == 0;
        enter_user(&mut self.regs, use_sysret);
        fpu::save(&mut self.fpu);
        match self.regs.trap_num {
            TRAP_SYSCALL => ReturnReason::Syscall,
            vector if vector >= FIRST_IRQ_VECTOR => {
                crate::irq::handle(vector);
                ReturnReason::Interrupt
            }
            vector => ReturnReason::Exception(CpuException {
                vector,
                error_code: self.regs.error_code,
                fault_address: self.regs.cr2,
            }),
        }
    }
}

impl Drop for UserContext {
    fn drop(&mut self) {
        self.forget_fpu_ownership();
    }
}
