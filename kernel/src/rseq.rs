//! Restartable sequences of a thread (Linux 6.1 `kernel/rseq.c`): the registered `struct rseq`
//! area, the events that make a critical section restart, and the work done on the way back to
//! user mode. The rules on descriptors and requests are `abi::rseq`'s.
//!
//! - Registration (`rseq(2)`, `syscall::rseq`) reads the `rseq_cs` pointer (`EFAULT` if the
//!   area cannot be read) and clears a stale one (Debian's 6.1 has the fix that stopped
//!   registration from killing threads of C libraries that reuse areas), then asks for the
//!   return-to-user work: `cpu_id_start` and `cpu_id` are written on the way out of the
//!   syscall, and an area that cannot be written is SIGSEGV then. Unregistration writes 0 and
//!   `RSEQ_CPU_ID_UNINITIALIZED` at once (`EFAULT`, and the registration stays).
//! - Events (`rseq_event_mask`): the scheduler switching the thread out (`rseq_preempt`, from
//!   `sched::schedule`), a signal being delivered (`rseq_signal_deliver`), and the thread
//!   running on another CPU than last time (`rseq_migrate`). Each asks for the return-to-user
//!   work (`TIF_NOTIFY_RESUME`). The kernel is not preemptible and a thread moves between
//!   CPUs only in `schedule`, which `process::run` calls before this work, so the CPU written
//!   is the one the thread returns to user mode on.
//! - That work (`__rseq_handle_notify_resume`): read the `rseq_cs` pointer; if it names a valid
//!   descriptor (addresses in user space, version 0, abort address outside the section and
//!   preceded by the registered signature) and the interrupted instruction is inside the
//!   section, and an event happened, the thread resumes at the abort address; outside a
//!   section the pointer is cleared (a lazy clear, as Linux). Then `cpu_id_start` and `cpu_id`
//!   get the current CPU. Any fault or invalid descriptor, or unknown flags, forces SIGSEGV
//!   (`force_sigsegv`: the handler is reset when the signal being delivered was SIGSEGV).
//! - A signal delivery does the work before the signal frame is written, so the frame holds the
//!   abort address.
//! - fork without `CLONE_VM` keeps the registration and its events (`rseq_fork`) and asks for
//!   the work (`rseq_migrate`: a new task is placed on a CPU); threads and vfork children start
//!   unregistered; exec unregisters (`rseq_execve`).

use crate::process::Thread;
use abi::Errno;
use abi::rseq::{
    OFFSET_CPU_ID, OFFSET_CPU_ID_START, OFFSET_FLAGS, OFFSET_RSEQ_CS, RSEQ_CPU_ID_UNINITIALIZED,
    Registration, RseqCs,
};
use abi::signal::{SI_KERNEL, SigInfo};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use hal::sync::SpinLock;
use hal::user::UserContext;

/// `RSEQ_EVENT_PREEMPT`.
const EVENT_PREEMPT: u32 = 1 << 0;
/// `RSEQ_EVENT_SIGNAL`.
const EVENT_SIGNAL: u32 = 1 << 1;
/// `RSEQ_EVENT_MIGRATE`.
const EVENT_MIGRATE: u32 = 1 << 2;

/// `printk_ratelimited` of the bad-signature warning.
static WARNINGS: SpinLock<crate::printk::RateLimit> =
    SpinLock::new("rseq.warnings", crate::printk::RateLimit::new());

/// A thread's rseq state.
pub struct RseqState {
    registration: SpinLock<Option<Registration>>,
    /// Whether `registration` is set (read without the lock on every return to user mode).
    is_registered: AtomicBool,
    /// `rseq_event_mask`.
    events: AtomicU32,
    /// The return-to-user work is due (`TIF_NOTIFY_RESUME`).
    needs_resume: AtomicBool,
    /// The CPU `cpu_id` was last written with.
    last_cpu: AtomicU32,
}

impl Default for RseqState {
    fn default() -> Self {
        RseqState::new()
    }
}

impl RseqState {
    pub const fn new() -> RseqState {
        RseqState {
            registration: SpinLock::new("thread.rseq", None),
            is_registered: AtomicBool::new(false),
            events: AtomicU32::new(0),
            needs_resume: AtomicBool::new(false),
            last_cpu: AtomicU32::new(0),
        }
    }

    /// The registration, if any.
    pub fn registration(&self) -> Option<Registration> {
        if !self.is_registered.load(Ordering::Acquire) {
            return None;
        }
        *self.registration.lock()
    }

    fn set(&self, registration: Option<Registration>) {
        *self.registration.lock() = registration;
        self.is_registered
            .store(registration.is_some(), Ordering::Release);
        self.events.store(0, Ordering::Relaxed);
        self.needs_resume.store(false, Ordering::Relaxed);
    }

    /// The scheduler switched the thread out (`rseq_preempt`).
    pub fn on_switch_out(&self) {
        if self.is_registered.load(Ordering::Relaxed) {
            self.events.fetch_or(EVENT_PREEMPT, Ordering::Relaxed);
            self.needs_resume.store(true, Ordering::Relaxed);
        }
    }

    /// A new process's first thread: the parent's registration unless the memory is shared
    /// (`rseq_fork`).
    pub fn inherit(&self, parent: &RseqState, is_vm_shared: bool) {
        if is_vm_shared {
            return;
        }
        if let Some(registration) = parent.registration() {
            self.set(Some(registration));
            // The new task is placed on a CPU (rseq_migrate in wake_up_new_task).
            self.events.store(
                parent.events.load(Ordering::Relaxed) | EVENT_MIGRATE,
                Ordering::Relaxed,
            );
            self.needs_resume.store(true, Ordering::Relaxed);
        }
    }

    /// execve: the registration goes (`rseq_execve`).
    pub fn clear(&self) {
        self.set(None);
    }
}

fn current_cpu() -> u32 {
    hal::sync::cpu_id() as u32
}

/// Writes `cpu_id_start` and `cpu_id` (adjacent, 8-byte aligned: one store).
fn write_cpu_ids(registration: &Registration, cpu_id_start: u32, cpu_id: u32) -> Result<(), Errno> {
    const _: () = assert!(OFFSET_CPU_ID == OFFSET_CPU_ID_START + 4);
    let both = u64::from(cpu_id_start) | (u64::from(cpu_id) << 32);
    hal::usercopy::write_user(registration.address + OFFSET_CPU_ID_START, &both)
}

/// `rseq_update_cpu_id`.
fn update_cpu_id(registration: &Registration, cpu: u32) -> Result<(), Errno> {
    write_cpu_ids(registration, cpu, cpu)
}

/// Registers `registration` for `thread` (already checked to be in user space): a stale
/// `rseq_cs` pointer is cleared (`EFAULT` if it cannot be read); the CPU number is written on
/// the way back to user mode.
pub fn register(thread: &Thread, registration: Registration) -> Result<(), Errno> {
    let pointer: u64 = hal::usercopy::read_user(registration.address + OFFSET_RSEQ_CS)?;
    if pointer != 0 {
        // As Linux, a failure here is left to the return-to-user work (SIGSEGV).
        let _ = clear_rseq_cs(&registration);
    }
    thread.rseq.set(Some(registration));
    thread.rseq.needs_resume.store(true, Ordering::Relaxed);
    Ok(())
}

/// Unregisters (`rseq_reset_rseq_cpu_id`, then the registration goes).
pub fn unregister(thread: &Thread, registration: &Registration) -> Result<(), Errno> {
    write_cpu_ids(registration, 0, RSEQ_CPU_ID_UNINITIALIZED)?;
    thread.rseq.set(None);
    Ok(())
}

/// `clear_rseq_cs`.
fn clear_rseq_cs(registration: &Registration) -> Result<(), Errno> {
    hal::usercopy::write_user(registration.address + OFFSET_RSEQ_CS, &0u64)
}

/// `rseq_get_rseq_cs`: the descriptor `rseq_cs` points to, checked; None when it is null.
fn read_descriptor(thread: &Thread, registration: &Registration) -> Result<Option<RseqCs>, Errno> {
    let pointer: u64 = hal::usercopy::read_user(registration.address + OFFSET_RSEQ_CS)?;
    if pointer == 0 {
        return Ok(None);
    }
    if pointer >= hal::mm::USER_END {
        return Err(Errno::EINVAL);
    }
    let descriptor: RseqCs = hal::usercopy::read_user(pointer)?;
    if !descriptor.is_valid(hal::mm::USER_END) {
        return Err(Errno::EINVAL);
    }
    let signature: u32 = hal::usercopy::read_user(descriptor.signature_address())?;
    if signature != registration.signature {
        if WARNINGS.lock().allow(crate::time::monotonic_ns()) {
            log::warn!(
                "Possible attack attempt. Unexpected rseq signature 0x{:x}, expecting 0x{:x} (pid={}, addr={:#x}).",
                signature,
                registration.signature,
                thread.tid(),
                descriptor.signature_address()
            );
        }
        return Err(Errno::EINVAL);
    }
    Ok(Some(descriptor))
}

/// `rseq_ip_fixup`: moves the interrupted instruction pointer to the abort address when it is
/// inside a critical section and an event happened.
fn ip_fixup(
    thread: &Thread,
    registration: &Registration,
    user: &mut UserContext,
) -> Result<(), Errno> {
    let Some(descriptor) = read_descriptor(thread, registration)? else {
        // Not in a section, and nothing to clear (Linux writes the 0 again; a fault would be
        // caught by the CPU number's write to the same area).
        return Ok(());
    };
    let ip = user.regs().rip;
    if !descriptor.contains(ip) {
        return clear_rseq_cs(registration);
    }
    // rseq_need_restart: flags (deprecated or unknown) in the descriptor or the area are
    // invalid; no event, no restart.
    if descriptor.flags != 0 {
        return Err(Errno::EINVAL);
    }
    let flags: u32 = hal::usercopy::read_user(registration.address + OFFSET_FLAGS)?;
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    if thread.rseq.events.swap(0, Ordering::Relaxed) == 0 {
        return Ok(());
    }
    clear_rseq_cs(registration)?;
    user.regs_mut().rip = descriptor.abort_ip;
    Ok(())
}

/// `force_sigsegv(sig)`: SIGSEGV that cannot be caught when it was SIGSEGV being delivered.
fn force_sigsegv(thread: &Arc<Thread>, delivering: Option<u32>) {
    if delivering == Some(sigrules::SIGSEGV) {
        let handlers = thread.process.signals.get();
        let mut handlers = handlers.lock();
        let action = handlers.action(sigrules::SIGSEGV);
        handlers.set_action(
            sigrules::SIGSEGV,
            crate::signal::SigAction {
                handler: abi::signal::SIG_DFL,
                ..action
            },
        );
    }
    crate::signal::force_signal(
        thread,
        SigInfo::new(sigrules::SIGSEGV as i32, SI_KERNEL),
        0,
        0,
    );
}

/// `__rseq_handle_notify_resume`: the fix-up and the CPU number; false if it forced SIGSEGV.
fn handle_resume(thread: &Arc<Thread>, user: &mut UserContext, delivering: Option<u32>) -> bool {
    if thread.is_exiting.load(Ordering::Relaxed) {
        return true;
    }
    let Some(registration) = thread.rseq.registration() else {
        return true;
    };
    let cpu = current_cpu();
    let result =
        ip_fixup(thread, &registration, user).and_then(|()| update_cpu_id(&registration, cpu));
    thread.rseq.last_cpu.store(cpu, Ordering::Relaxed);
    if result.is_err() {
        force_sigsegv(thread, delivering);
        return false;
    }
    true
}

/// On the way back to user mode: the work, if an event asked for it or the thread moved to
/// another CPU. Returns true when it forced a signal (the caller delivers it first).
pub fn on_return_to_user(thread: &Arc<Thread>, user: &mut UserContext) -> bool {
    let state = &thread.rseq;
    if !state.is_registered.load(Ordering::Relaxed) {
        return false;
    }
    if state.last_cpu.load(Ordering::Relaxed) != current_cpu() {
        state.events.fetch_or(EVENT_MIGRATE, Ordering::Relaxed);
        state.needs_resume.store(true, Ordering::Relaxed);
    }
    if !state.needs_resume.swap(false, Ordering::Relaxed) {
        return false;
    }
    !handle_resume(thread, user, None)
}

/// Before a signal frame is written (`rseq_signal_deliver`).
pub fn on_signal_delivery(thread: &Arc<Thread>, user: &mut UserContext, signal: u32) {
    if !thread.rseq.is_registered.load(Ordering::Relaxed) {
        return;
    }
    thread.rseq.events.fetch_or(EVENT_SIGNAL, Ordering::Relaxed);
    handle_resume(thread, user, Some(signal));
}
