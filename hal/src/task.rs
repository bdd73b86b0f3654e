//! Kernel execution contexts and the context switch.
//!
//! Every kernel thread of control (each user thread's kernel side, and each CPU's idle loop)
//! has an [`ExecutionContext`]: a guard-paged kernel stack and the stack pointer saved while it
//! is switched out. [`switch_to`] saves the callee-saved registers on the current stack, stores
//! the stack pointer in the current context, and resumes the next one — the same shape as
//! Linux's `__switch_to_asm`. User registers and FPU state are not part of it: they live in the
//! thread's `UserContext`, saved on every kernel entry.
//!
//! Lifetime rule: the CPU holds one strong reference to the context it runs, so a context can
//! never be freed under its own stack. The reference to the context switched away from is
//! released by the next context once it runs on its own stack ([`finish_switch`], Linux's
//! `finish_task_switch`), which is what lets an exiting thread switch away for the last time.

use crate::arch::x86_64::gdt::this_cpu;
use crate::mm::kstack::KernelStack;
use abi::Errno;
use alloc::sync::Arc;
use core::arch::global_asm;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A kernel stack and the stack pointer saved while it is not running.
pub struct ExecutionContext {
    /// Valid only while the context is switched out; written only by `switch_to` on the CPU
    /// that runs it, with interrupts off.
    saved_rsp: UnsafeCell<u64>,
    /// `None` for a context adopted from the stack it was already running on.
    _stack: Option<KernelStack>,
    /// The locks this context holds, for the lock-order checker; touched only by the CPU
    /// running the context, outside interrupt handlers (`with_held_locks`).
    #[cfg(feature = "lockdep")]
    held_locks: UnsafeCell<crate::sync::HeldStack>,
    /// How deep this context is inside `mm::heap::user_data` (it may sleep and move there).
    user_data_depth: AtomicUsize,
    /// Whether a CPU runs on this context's stack (Linux's `task_struct::on_cpu`): set by the
    /// CPU switching to it, cleared by the CPU that switched away once it has left the stack
    /// ([`finish_switch`]). Another CPU that picks the context waits for it to clear.
    on_cpu: AtomicBool,
}

// SAFETY: `saved_rsp` is read and written only inside `switch_to`, with interrupts disabled,
// by the one CPU that is leaving or entering the context; a context runs on one CPU at a time.
unsafe impl Sync for ExecutionContext {}
// SAFETY: as above; the stack is plain memory owned by the context.
unsafe impl Send for ExecutionContext {}

global_asm!(
    r#"
    .section .text.switch, "ax"
    .p2align 4
    .global ferrux_switch
// ferrux_switch(save_rsp_to: *mut u64 [rdi], load_rsp: u64 [rsi])
ferrux_switch:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret

    .p2align 4
// First code of a new context: r12 = entry, r13 = argument (popped by ferrux_switch).
ferrux_context_start:
    mov rdi, r12
    mov rsi, r13
    xor ebp, ebp
    and rsp, -16
    call {start}
    ud2
"#,
    start = sym context_start,
);

unsafe extern "C" {
    fn ferrux_switch(save_rsp_to: *mut u64, load_rsp: u64);
    fn ferrux_context_start();
}

/// Rust side of a new context's first instructions.
extern "C" fn context_start(entry: usize, argument: usize) -> ! {
    finish_switch();
    // SAFETY: `entry` was made from a `fn(usize) -> !` in `ExecutionContext::try_new`, and
    // function pointers and `usize` have the same size on x86-64.
    let entry: fn(usize) -> ! = unsafe { core::mem::transmute::<usize, fn(usize) -> !>(entry) };
    entry(argument)
}

impl ExecutionContext {
    /// A new context that, when first switched to, calls `entry(argument)` on a fresh kernel
    /// stack; `ENOMEM` if no stack can be allocated.
    pub fn try_new(entry: fn(usize) -> !, argument: usize) -> Result<Arc<Self>, Errno> {
        let stack = KernelStack::try_new()?;
        // The frame `ferrux_switch` pops: r15 r14 r13 r12 rbp rbx, then the return address.
        let frame: [u64; 8] = [
            0,
            0,
            argument as u64,
            entry as usize as u64,
            0,
            0,
            ferrux_context_start as *const () as u64,
            0,
        ];
        let frame_base = stack.top() - core::mem::size_of_val(&frame) as u64;
        // SAFETY: the stack is mapped, writable and exclusively ours; the frame fits in its top
        // 64 bytes and `frame_base` is 8-byte aligned.
        unsafe { core::ptr::write(frame_base as *mut [u64; 8], frame) };
        Ok(Arc::new(ExecutionContext {
            saved_rsp: UnsafeCell::new(frame_base),
            _stack: Some(stack),
            #[cfg(feature = "lockdep")]
            held_locks: UnsafeCell::new(crate::sync::HeldStack::new()),
            user_data_depth: AtomicUsize::new(0),
            on_cpu: AtomicBool::new(false),
        }))
    }

    /// Adopts the code running now on this CPU as a context (its idle loop). Call once per CPU,
    /// before the first `switch_to`.
    pub fn adopt_current() -> Arc<Self> {
        // The locks taken so far on this CPU (the boot stack's) move to the adopted context.
        #[cfg(feature = "lockdep")]
        let held_locks = with_held_locks(core::mem::take);
        let context = Arc::new(ExecutionContext {
            saved_rsp: UnsafeCell::new(0),
            _stack: None,
            #[cfg(feature = "lockdep")]
            held_locks: UnsafeCell::new(held_locks),
            user_data_depth: AtomicUsize::new(0),
            on_cpu: AtomicBool::new(true),
        });
        let cpu = this_cpu();
        // SAFETY: per-CPU fields are touched only by this CPU with interrupts off.
        unsafe {
            assert!((*cpu).current_context == 0, "context adopted twice");
            (*cpu).current_context = Arc::into_raw(context.clone()) as u64;
        }
        context
    }
}

/// Whether `context` is the one running on this CPU.
pub fn is_current(context: &Arc<ExecutionContext>) -> bool {
    // SAFETY: reading a per-CPU word on this CPU.
    unsafe { (*this_cpu()).current_context == Arc::as_ptr(context) as u64 }
}

/// Switches this CPU to `next`; returns when something switches back to the calling context.
/// Panics if no context was adopted on this CPU (a boot-order bug).
pub fn switch_to(next: Arc<ExecutionContext>) {
    crate::sync::assert_may_switch();
    let cpu = this_cpu();
    // SAFETY: interrupts are off in the kernel, so this CPU's per-CPU area is ours. `current`
    // holds the strong reference taken when it was installed, so the pointer is live; moving
    // it into `previous_context` hands that reference to the next context, which drops it in
    // `finish_switch` after leaving this stack. `ferrux_switch` saves our callee-saved
    // registers and stack pointer into `current.saved_rsp` and loads `next`'s, which is either
    // a frame built by `try_new` or one saved by an earlier `ferrux_switch`.
    unsafe {
        let current = (*cpu).current_context as *const ExecutionContext;
        assert!(!current.is_null(), "switch_to before adopt_current");
        if current == Arc::as_ptr(&next) {
            return;
        }
        debug_assert!((*cpu).previous_context == 0);
        // The CPU that last ran `next` may still be on its stack, between taking it off its
        // run queue and `finish_switch` (a thread woken or pulled onto this CPU right after it
        // went to sleep there): wait until it has left (Linux's `smp_cond_load_acquire` on
        // `on_cpu`), serving TLB shootdowns meanwhile.
        while next.on_cpu.load(Ordering::Acquire) {
            crate::smp::relax();
        }
        next.on_cpu.store(true, Ordering::Relaxed);
        crate::smp::save_fpu_for_switch();
        let next_rsp = *(*Arc::as_ptr(&next)).saved_rsp.get();
        (*cpu).current_context = Arc::into_raw(next) as u64;
        (*cpu).previous_context = current as u64;
        ferrux_switch((*current).saved_rsp.get(), next_rsp);
    }
    finish_switch();
}

/// Drops the reference to the context this CPU just left (now that we run on another stack).
fn finish_switch() {
    let cpu = this_cpu();
    // SAFETY: per-CPU field on this CPU; the pointer came from `Arc::into_raw` in `switch_to` or
    // `adopt_current` and its reference was handed to us exactly once.
    let previous = unsafe {
        let previous = (*cpu).previous_context as *const ExecutionContext;
        (*cpu).previous_context = 0;
        previous
    };
    if !previous.is_null() {
        // SAFETY: see above; we own one strong count.
        let previous = unsafe { Arc::from_raw(previous) };
        // Its stack is left: another CPU may run it now (its saved_rsp is written).
        previous.on_cpu.store(false, Ordering::Release);
        drop(previous);
    }
}

/// Runs `f` on the held-lock stack of the context running on this CPU (before the first
/// context is adopted, the CPU's boot stack). Not for interrupt handlers (the checker skips
/// them), so only the running context reaches its stack.
#[cfg(feature = "lockdep")]
pub(crate) fn with_held_locks<R>(f: impl FnOnce(&mut crate::sync::HeldStack) -> R) -> R {
    /// Held locks of the code that runs before a CPU adopts its first context.
    static mut BOOT_HELD_LOCKS: [crate::sync::HeldStack; crate::sync::MAX_CPUS] =
        [const { crate::sync::HeldStack::new() }; crate::sync::MAX_CPUS];
    let cpu = this_cpu();
    // SAFETY: the running context's stack (or this CPU's boot stack) is touched only by the
    // context itself, never from an interrupt handler, and `f` cannot reach it again (lockdep
    // takes no tracked lock inside), so the `&mut` is unique. The context pointer holds a strong reference (see
    // `switch_to`), so it is live.
    unsafe {
        let current = (*cpu).current_context as *const ExecutionContext;
        if current.is_null() {
            let boot = &raw mut BOOT_HELD_LOCKS;
            f(&mut (*boot)[crate::sync::cpu_id()])
        } else {
            f(&mut *(*current).held_locks.get())
        }
    }
}

/// Calls `f` with the running context's user-data depth (see `mm::heap::user_data`), or `None`
/// before this CPU has adopted a context (early boot).
pub(crate) fn with_user_data_depth<R>(f: impl FnOnce(Option<&AtomicUsize>) -> R) -> R {
    let cpu = this_cpu();
    // SAFETY: the per-CPU area is this CPU's own; the context pointer it holds is a strong
    // reference to the context running this code, which therefore stays alive at least until
    // this code is switched away from, and `f`'s borrow ends before this function returns
    // (the field is an atomic, shared references to it are fine).
    unsafe {
        let current = (*cpu).current_context as *const ExecutionContext;
        if current.is_null() {
            f(None)
        } else {
            f(Some(&(*current).user_data_depth))
        }
    }
}
