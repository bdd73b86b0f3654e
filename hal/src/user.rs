//! User mode as a call that returns a reason.
//!
//! The kernel keeps one [`UserContext`] per thread and calls [`UserContext::run`]; it returns
//! when the thread makes a syscall, takes an exception, or is interrupted, with the registers
//! saved in the context. The per-thread loop that decides what to do (in the kernel, safe code)
//! reads and edits the registers through this type.
//!
//! FPU/SSE/AVX state is switched lazily, as Linux's `TIF_NEED_FPU_LOAD` scheme: the kernel never
//! touches those registers, so a thread's state stays live in the CPU across its syscalls and
//! interrupts. Each CPU remembers whose state it holds (the owner's XSAVE area); only when
//! another context enters user mode is the owner's state saved and the newcomer's loaded. Code
//! that reads or copies a context's FPU state (signal frames, fork) first syncs it from the CPU.
//! A context runs on one CPU at a time; migrating contexts between CPUs (SMP) must save the
//! state on the old CPU first.

use crate::arch::x86_64::cpu::{MSR_FS_BASE, MSR_KERNEL_GS_BASE, write_msr};
use crate::arch::x86_64::fpu::{self, XSAVE_AREA_SIZE, XsaveArea};
use crate::arch::x86_64::gdt::this_cpu;
use crate::arch::x86_64::trap::FIRST_IRQ_VECTOR;
pub use crate::arch::x86_64::user::UserRegs;
use crate::arch::x86_64::user::{TRAP_SYSCALL, enter_user};
use crate::mm::USER_END;
use abi::Errno;
use alloc::alloc::{Layout, alloc_zeroed, dealloc};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, Ordering};

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
    /// The XSAVE area, owned by this context (allocated in `try_new`, freed in `Drop`). It is
    /// reached through a raw pointer because the CPU's lazy-switch path writes a non-running
    /// owner's state into it from another context's `run`.
    fpu: NonNull<XsaveArea>,
    /// The CPU whose FPU registers last received this state ([`NO_CPU`]: none, or the area was
    /// replaced since): with the CPU's `fpu_owner`, it tells whether the registers still hold
    /// it (Linux's `fpu->last_cpu` and `fpu_fpregs_owner_ctx`).
    fpu_cpu: AtomicU32,
    /// RDTSC and RDTSCP fault in user mode (CR4.TSD while this context runs: Linux's
    /// `TIF_NOTSC`, set by prctl(PR_SET_TSC, PR_TSC_SIGSEGV)).
    tsc_disabled: bool,
}

/// CR4's time-stamp disable bit: RDTSC/RDTSCP at CPL 3 raise #GP.
const CR4_TSD: u64 = 1 << 2;

/// `fpu_cpu` when no CPU's registers hold the state.
const NO_CPU: u32 = u32::MAX;

// SAFETY: the context owns its XSAVE allocation like a `Box` would; the only access from
// elsewhere is the lazy FPU switch on the CPU that owns the state, with interrupts off, while
// the context is not running (see the module doc).
unsafe impl Send for UserContext {}
// SAFETY: `&UserContext` gives no access to the XSAVE area (every accessor takes `&mut self`).
unsafe impl Sync for UserContext {}

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
        // exactly that layout, which is a valid `XsaveArea` (plain bytes).
        let pointer = unsafe { alloc_zeroed(layout) as *mut XsaveArea };
        let Some(mut fpu) = NonNull::new(pointer) else {
            return Err(Errno::ENOMEM);
        };
        // SAFETY: freshly allocated and exclusively ours.
        unsafe { fpu.as_mut().initialize() };
        Ok(UserContext {
            regs: UserRegs {
                rflags: RFLAGS_IF | RFLAGS_RESERVED,
                ..UserRegs::default()
            },
            fpu,
            fpu_cpu: AtomicU32::new(NO_CPU),
            tsc_disabled: false,
        })
    }

    /// Whether RDTSC faults in user mode for this context.
    pub fn is_tsc_disabled(&self) -> bool {
        self.tsc_disabled
    }

    /// Makes RDTSC and RDTSCP fault (a general-protection fault) in user mode, or work again.
    pub fn set_tsc_disabled(&mut self, disabled: bool) {
        self.tsc_disabled = disabled;
    }

    /// A copy of this context (fork), or `ENOMEM`. The FPU state is synced from the CPU first.
    pub fn try_clone(&mut self) -> Result<UserContext, Errno> {
        self.sync_fpu();
        let copy = Self::try_new()?;
        // SAFETY: both areas are valid, distinct allocations; neither is being written by the
        // CPU (the copy is new; ours was just synced and we are not in user mode).
        unsafe { (*copy.fpu.as_ptr()).0 = (*self.fpu.as_ptr()).0 };
        let mut copy = copy;
        copy.regs = self.regs;
        copy.tsc_disabled = self.tsc_disabled;
        Ok(copy)
    }

    pub fn regs(&self) -> &UserRegs {
        &self.regs
    }

    pub fn regs_mut(&mut self) -> &mut UserRegs {
        &mut self.regs
    }

    /// Resets the FPU state (execve, signal handlers).
    pub fn reset_fpu(&mut self) {
        self.forget_fpu_ownership();
        // SAFETY: our area; after forgetting ownership the CPU no longer writes it lazily.
        unsafe { (*self.fpu.as_ptr()).initialize() };
    }

    /// The FPU image (XSAVE format, `xsave_size()` bytes; FXSAVE's 512 without XSAVE), as a
    /// signal frame stores it, synced from the CPU first.
    pub fn fpu_image(&mut self) -> &[u8] {
        self.sync_fpu();
        // SAFETY: our area, synced; the returned borrow of `self` keeps `run` (the only other
        // writer of a context's own area) from running meanwhile.
        let area = unsafe { &(*self.fpu.as_ptr()).0 };
        &area[..fpu::xsave_size().min(area.len())]
    }

    /// Replaces the FPU state with `image` (from a signal frame), or `Err(EINVAL)` if the CPU
    /// would fault loading it.
    pub fn load_fpu_image(&mut self, image: &[u8]) -> Result<(), Errno> {
        if image.len() > XSAVE_AREA_SIZE || !fpu::is_loadable_image(image) {
            return Err(Errno::EINVAL);
        }
        self.forget_fpu_ownership();
        // SAFETY: our area, no longer owned by the CPU.
        unsafe { (&mut (*self.fpu.as_ptr()).0)[..image.len()].copy_from_slice(image) };
        Ok(())
    }

    /// Replaces the FPU state with the `len`-byte image at user address `addr` (a signal
    /// frame's), read straight into this context's area: `EFAULT` if it cannot be read,
    /// `EINVAL` if it is too short or the CPU would fault loading it. On error the state is
    /// reset. A 512-byte image with XSAVE enabled is a legacy (FXSAVE) one: x87 and SSE load
    /// from it and every other component starts in its init state, as Linux's `fx_only` restore.
    pub fn load_fpu_image_from_user(&mut self, addr: u64, len: usize) -> Result<(), Errno> {
        if !(512..=XSAVE_AREA_SIZE).contains(&len) {
            return Err(Errno::EINVAL);
        }
        self.forget_fpu_ownership();
        // SAFETY: our area, no longer owned by the CPU; nothing else refers to it meanwhile.
        let area = unsafe { &mut *self.fpu.as_ptr() };
        let result = crate::usercopy::copy_from_user(&mut area.0[..len], addr).and_then(|()| {
            let mut checked = len;
            if len == 512 && fpu::xsave_features() != 0 {
                area.0[512..576].fill(0);
                area.0[512] = 0x3;
                checked = 576;
            }
            if fpu::is_loadable_image(&area.0[..checked]) {
                Ok(())
            } else {
                Err(Errno::EINVAL)
            }
        });
        if result.is_err() {
            area.initialize();
        }
        result
    }

    /// Whether this CPU's FPU registers hold our state, newer than our area.
    fn is_fpu_live_here(&self) -> bool {
        let cpu = this_cpu();
        // SAFETY: the per-CPU area is only touched by this CPU with interrupts off.
        unsafe {
            (*cpu).fpu_owner == self.fpu.as_ptr() as u64
                && (*cpu).fpu_live != 0
                && self.fpu_cpu.load(Ordering::Relaxed) == (*cpu).cpu_index as u32
        }
    }

    /// Saves the live FPU state into our area if this CPU holds it (it stays owned: the CPU
    /// state and the area agree afterwards).
    fn sync_fpu(&mut self) {
        if self.is_fpu_live_here() {
            // SAFETY: our area, and this CPU's registers hold its newest state.
            unsafe { fpu::save(&mut *self.fpu.as_ptr()) };
        }
    }

    /// Makes our area authoritative: the CPU's copy is dropped (not saved), and no CPU's
    /// registers count as holding our state any more.
    fn forget_fpu_ownership(&self) {
        self.fpu_cpu.store(NO_CPU, Ordering::Relaxed);
        let cpu = this_cpu();
        // SAFETY: as `is_fpu_live_here`.
        unsafe {
            if (*cpu).fpu_owner == self.fpu.as_ptr() as u64 {
                (*cpu).fpu_owner = 0;
                (*cpu).fpu_live = 0;
            }
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
        crate::sync::assert_may_return_to_user();
        self.regs.rflags = (self.regs.rflags & USER_RFLAGS_MASK) | RFLAGS_IF | RFLAGS_RESERVED;
        let cpu = this_cpu();
        // SAFETY: per-CPU fields are touched only by this CPU with interrupts off; the MSR write
        // sets the user FS base, which the kernel never uses (it uses GS); the CR4 write changes
        // only TSD, which governs user mode alone.
        unsafe {
            let mine = self.fpu.as_ptr() as u64;
            let owner = (*cpu).fpu_owner;
            let this = (*cpu).cpu_index as u32;
            if owner != mine || self.fpu_cpu.load(Ordering::Relaxed) != this {
                if owner != mine && owner != 0 && (*cpu).fpu_live != 0 {
                    // Lazy switch (one CPU): the previous owner is a live context that is not
                    // running (a context clears ownership when dropped); its area receives its
                    // state now. With several CPUs the switch saved it already
                    // (`task::switch_to`), and `fpu_live` is clear.
                    fpu::save(&mut *(owner as *mut XsaveArea));
                }
                fpu::restore(&*self.fpu.as_ptr());
                (*cpu).fpu_owner = mine;
                self.fpu_cpu.store(this, Ordering::Relaxed);
            }
            (*cpu).fpu_live = 1;
            if (*cpu).loaded_fs_base != self.regs.fs_base {
                write_msr(MSR_FS_BASE, self.regs.fs_base);
                (*cpu).loaded_fs_base = self.regs.fs_base;
            }
            if (*cpu).loaded_user_gs_base != self.regs.gs_base {
                write_msr(MSR_KERNEL_GS_BASE, self.regs.gs_base);
                (*cpu).loaded_user_gs_base = self.regs.gs_base;
            }
            // CR4.TSD (bit 2) follows the context entered; the kernel's own RDTSC (CPL 0) is
            // not affected by it.
            let tsd = u64::from(self.tsc_disabled);
            if (*cpu).loaded_tsd != tsd {
                let cr4 = crate::arch::x86_64::cpu::read_cr4();
                let cr4 = if self.tsc_disabled {
                    cr4 | CR4_TSD
                } else {
                    cr4 & !CR4_TSD
                };
                crate::arch::x86_64::cpu::write_cr4(cr4);
                (*cpu).loaded_tsd = tsd;
            }
        }
        let use_sysret = self.regs.rcx == self.regs.rip
            && self.regs.r11 == self.regs.rflags
            && self.regs.rip < USER_END
            && self.regs.rflags & RFLAGS_TF == 0;
        enter_user(&mut self.regs, use_sysret);
        match self.regs.trap_num {
            TRAP_SYSCALL => ReturnReason::Syscall,
            vector if vector >= FIRST_IRQ_VECTOR => {
                crate::irq::handle(vector);
                ReturnReason::Interrupt
            }
            // The panic path's stop-CPU NMI halts here; any other NMI is reported as before.
            2 if crate::smp::handle_nmi() => ReturnReason::Interrupt,
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
        // SAFETY: allocated in `try_new` with this layout, not owned by the CPU any more, and
        // freed exactly once.
        unsafe { dealloc(self.fpu.as_ptr() as *mut u8, Layout::new::<XsaveArea>()) };
    }
}
