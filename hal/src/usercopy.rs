//! Copying between the kernel and user memory, with faults turned into `EFAULT`.
//!
//! Every access to user memory goes through [`copy_from_user`] / [`copy_to_user`] (and the typed
//! helpers built on them). They check that the range lies in user space, open the SMAP window
//! (`stac`/`clac`) and copy with `rep movsq` from 64 bytes on (eight bytes a step is what an
//! emulating hypervisor such as QEMU's TCG runs fastest), `rep movsb` for the rest. A page
//! fault inside those instructions first goes to the kernel's page-fault handler (demand
//! paging, copy-on-write); if the kernel cannot resolve it, the fault handler moves the
//! instruction pointer to a fixup that returns the number of bytes not copied, and the caller
//! gets `EFAULT`. Nothing else in the kernel may fault on a
//! user address; such a fault is a kernel bug and panics. This is Linux's exception-table
//! design (`arch/x86/lib/copy_user_64.S`, `fixup_exception`).
//!
//! Atomic operations on a user `u32` ([`cmpxchg_user_u32`], [`atomic_op_user_u32`], as Linux's
//! `futex_atomic_cmpxchg_inatomic` and `arch_futex_atomic_op_inuser`) are one `lock cmpxchg`
//! with the same kind of fixup (the other operations are compare-and-exchange loops), for
//! futexes. Because the fault resolver takes the sleeping mm lock, every access checks that
//! the caller may sleep (`might_fault`), except inside [`without_page_faults`] (Linux's
//! `pagefault_disable`): there a fault is not resolved but fails with `EFAULT` at once, so that
//! code under a spin lock can try an access, and on `EFAULT` drop its lock, fault the page in
//! ([`fault_in_writable`] or a plain read) and retry.

use crate::arch::x86_64::gdt::this_cpu;
use crate::arch::x86_64::trap::KernelTrapFrame;
use crate::mm::frame::Frame;
use crate::mm::{PAGE_SIZE, USER_END, is_user_range};
use abi::Errno;
use alloc::vec::Vec;
use core::arch::global_asm;
use core::sync::atomic::AtomicBool;
use spin::Once;
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// Whether SMAP is on (then user accesses need `stac`).
pub(crate) static SMAP_ENABLED: AtomicBool = AtomicBool::new(false);

global_asm!(
    r#"
    .section .text.usercopy, "ax"
    .p2align 4
    .global ferrux_copy_user
ferrux_copy_user:
    mov rcx, rdx
    cmp byte ptr [rip + {smap}], 0
    je 1f
    stac
1:
    // From 64 bytes on, eight at a time, then the tail: rdx keeps the tail's length.
    cmp rcx, 64
    jb 3f
    shr rcx, 3
    and rdx, 7
    .global ferrux_copy_user_quads_insn
ferrux_copy_user_quads_insn:
    rep movsq
    mov rcx, rdx
3:
    .global ferrux_copy_user_insn
ferrux_copy_user_insn:
    rep movsb
    .global ferrux_copy_user_insn_end
ferrux_copy_user_insn_end:
    cmp byte ptr [rip + {smap}], 0
    je 2f
    clac
2:
    mov rax, rcx
    ret
    .global ferrux_copy_user_quads_fixup
// A fault in the eight-byte loop that cannot be resolved: the bytes left are its remaining
// words and the tail.
ferrux_copy_user_quads_fixup:
    lea rcx, [rdx + rcx * 8]
    jmp ferrux_copy_user_insn_end
"#,
    smap = sym SMAP_ENABLED,
);

global_asm!(
    r#"
    .section .text.usercopy, "ax"
    .p2align 4
    .global ferrux_user_cmpxchg
// ferrux_user_cmpxchg(address: *mut u32 [rdi], expected: u32 [esi], new: u32 [edx]) -> u64:
// the value found (bits 0-31; stored `new` if it was `expected`), or bit 32 set on a fault.
ferrux_user_cmpxchg:
    mov eax, esi
    cmp byte ptr [rip + {smap}], 0
    je 1f
    stac
1:
    .global ferrux_user_cmpxchg_insn
ferrux_user_cmpxchg_insn:
    lock cmpxchg dword ptr [rdi], edx
    cmp byte ptr [rip + {smap}], 0
    je 2f
    clac
2:
    ret
    .global ferrux_user_cmpxchg_fixup
ferrux_user_cmpxchg_fixup:
    cmp byte ptr [rip + {smap}], 0
    je 3f
    clac
3:
    movabs rax, 0x100000000
    ret
"#,
    smap = sym SMAP_ENABLED,
);

unsafe extern "C" {
    /// Copies `len` bytes from `src` to `dst`; returns the number of bytes not copied.
    fn ferrux_copy_user(dst: *mut u8, src: *const u8, len: usize) -> usize;
    static ferrux_copy_user_insn: u8;
    static ferrux_copy_user_insn_end: u8;
    static ferrux_copy_user_quads_insn: u8;
    static ferrux_copy_user_quads_fixup: u8;
    /// See the assembly above.
    fn ferrux_user_cmpxchg(address: *mut u32, expected: u32, new: u32) -> u64;
    static ferrux_user_cmpxchg_insn: u8;
    static ferrux_user_cmpxchg_fixup: u8;
}

/// The kernel's page-fault resolver: `(address, is_write) -> resolved`.
pub type FaultResolver = fn(u64, bool) -> bool;

static RESOLVER: Once<FaultResolver> = Once::new();

/// Registers the function that resolves faults on user addresses (demand paging), called for
/// faults in user mode by the kernel itself and here for faults during user copies.
pub fn set_fault_resolver(resolver: FaultResolver) {
    RESOLVER.call_once(|| resolver);
}

/// Called by the trap handler for a page fault in kernel mode. Returns whether execution can
/// continue (the fault was resolved or redirected to the fixup).
pub(crate) fn handle_kernel_fault(frame: &mut KernelTrapFrame, address: u64) -> bool {
    let copy_insn = (&raw const ferrux_copy_user_insn) as u64;
    let cmpxchg_insn = (&raw const ferrux_user_cmpxchg_insn) as u64;
    // Where to resume if the fault cannot be resolved: after the copy (`rcx` holds the bytes
    // left, which it returns; in the eight-byte loop, the words left), or the
    // compare-and-exchange's fault return.
    let fixup = if frame.rip == copy_insn {
        (&raw const ferrux_copy_user_insn_end) as u64
    } else if frame.rip == (&raw const ferrux_copy_user_quads_insn) as u64 {
        (&raw const ferrux_copy_user_quads_fixup) as u64
    } else if frame.rip == cmpxchg_insn {
        (&raw const ferrux_user_cmpxchg_fixup) as u64
    } else {
        return false;
    };
    if address >= USER_END {
        return false;
    }
    let is_write = frame.error_code & 2 != 0;
    // A protection fault on a present page with user access rights is what copy-on-write gives;
    // a not-present fault is demand paging. Either way the kernel's resolver decides, unless
    // the access runs with page faults disabled (under a spin lock).
    if !are_page_faults_disabled()
        && let Some(resolve) = RESOLVER.get()
        && resolve(address, is_write)
    {
        return true;
    }
    frame.rip = fixup;
    true
}

fn are_page_faults_disabled() -> bool {
    // SAFETY: a read of this CPU's own per-CPU field.
    unsafe { (*this_cpu()).pagefault_disabled != 0 }
}

/// Checks, before a user access, that a fault could be resolved here (the caller may sleep),
/// unless page faults are disabled. The common case is one load: preemption enabled.
#[inline]
#[track_caller]
fn check_may_fault() {
    if crate::sync::in_atomic() && !are_page_faults_disabled() {
        crate::sync::might_fault();
    }
}

/// Runs `f` with page faults on user memory disabled (Linux's `pagefault_disable`): a user
/// access in `f` that would fault fails with `EFAULT` instead of demand-paging, so it never
/// sleeps, and may run under a spin lock. Preemption is disabled meanwhile (the count is per
/// CPU). The caller handles `EFAULT` by dropping its locks, faulting the page in with a normal
/// access, and retrying.
pub fn without_page_faults<R>(f: impl FnOnce() -> R) -> R {
    let _preempt = crate::sync::PreemptGuard::new();
    let cpu = this_cpu();
    // SAFETY: this CPU's own field, changed only here with preemption disabled (no other
    // thread runs on the CPU meanwhile, and interrupt handlers do not touch it).
    unsafe { (*cpu).pagefault_disabled += 1 };
    let result = f();
    // SAFETY: as above; still on the same CPU (preemption stayed disabled).
    unsafe { (*cpu).pagefault_disabled -= 1 };
    result
}

#[track_caller]
fn copy_raw(dst: *mut u8, src: *const u8, len: usize) -> Result<(), Errno> {
    // A fault here runs the kernel's resolver, which takes the sleeping mm lock.
    check_may_fault();
    // SAFETY: one side is kernel memory valid for `len` bytes (a Rust slice, or a range of a
    // frame its caller holds a reference to); the other is a checked user range, where faults
    // are resolved or fixed up by `handle_kernel_fault`.
    let left = unsafe { ferrux_copy_user(dst, src, len) };
    if left == 0 {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

/// Copies `dst.len()` bytes from user address `src`.
#[track_caller]
pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), Errno> {
    if dst.is_empty() {
        return Ok(());
    }
    if !is_user_range(src, dst.len() as u64) {
        return Err(Errno::EFAULT);
    }
    copy_raw(dst.as_mut_ptr(), src as *const u8, dst.len())
}

/// Copies `src` to user address `dst`.
#[track_caller]
pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), Errno> {
    if src.is_empty() {
        return Ok(());
    }
    if !is_user_range(dst, src.len() as u64) {
        return Err(Errno::EFAULT);
    }
    copy_raw(dst as *mut u8, src.as_ptr(), src.len())
}

/// Zeroes `len` bytes at user address `dst`.
pub fn clear_user(dst: u64, len: usize) -> Result<(), Errno> {
    const ZEROS: [u8; 256] = [0; 256];
    let mut done = 0;
    while done < len {
        let chunk = (len - done).min(ZEROS.len());
        copy_to_user(dst + done as u64, &ZEROS[..chunk])?;
        done += chunk;
    }
    Ok(())
}

/// Reads one plain-old-data value from user memory.
pub fn read_user<T: FromBytes + IntoBytes>(src: u64) -> Result<T, Errno> {
    let mut value = T::new_zeroed();
    copy_from_user(value.as_mut_bytes(), src)?;
    Ok(value)
}

/// Writes one plain-old-data value to user memory.
pub fn write_user<T: IntoBytes + Immutable + ?Sized>(dst: u64, value: &T) -> Result<(), Errno> {
    copy_to_user(dst, value.as_bytes())
}

/// Reads a NUL-terminated string of at most `max_len` bytes (NUL excluded) from user memory.
/// Returns `ENAMETOOLONG` if no NUL comes within `max_len` bytes and `EFAULT` on a bad address,
/// reading page by page so that a string ending just before an unmapped page works.
pub fn read_user_cstr(src: u64, max_len: usize) -> Result<Vec<u8>, Errno> {
    // Small chunks, as strncpy_from_user reads words until the NUL: paths are short, and a
    // chunk never crosses a page, so a string that ends before an unmapped page reads fine.
    const CHUNK: usize = 128;
    let mut out = Vec::new();
    let mut address = src;
    loop {
        let to_page_end = PAGE_SIZE - (address as usize % PAGE_SIZE);
        let chunk_len = to_page_end.min(CHUNK).min(max_len + 1 - out.len());
        let mut chunk = [0u8; CHUNK];
        copy_from_user(&mut chunk[..chunk_len], address)?;
        if let Some(nul) = chunk[..chunk_len].iter().position(|&b| b == 0) {
            out.try_reserve(nul).map_err(|_| Errno::ENOMEM)?;
            out.extend_from_slice(&chunk[..nul]);
            return Ok(out);
        }
        out.try_reserve(chunk_len).map_err(|_| Errno::ENOMEM)?;
        out.extend_from_slice(&chunk[..chunk_len]);
        if out.len() > max_len {
            return Err(Errno::ENAMETOOLONG);
        }
        address += chunk_len as u64;
    }
}

/// Copies `len` bytes at `offset` of `frame` straight to user address `dst` (no bounce
/// buffer). Panics if the range leaves the frame.
pub fn copy_frame_to_user(dst: u64, frame: &Frame, offset: usize, len: usize) -> Result<(), Errno> {
    assert!(offset <= PAGE_SIZE && len <= PAGE_SIZE - offset);
    if len == 0 {
        return Ok(());
    }
    if !is_user_range(dst, len as u64) {
        return Err(Errno::EFAULT);
    }
    // The frame stays allocated while `frame` holds its reference; the copy reads it through a
    // raw pointer, as every access to a shared frame does.
    copy_raw(
        dst as *mut u8,
        frame.kernel_address(offset) as *const u8,
        len,
    )
}

/// Copies `len` bytes from user address `src` straight into `frame` at `offset`. Panics if the
/// range leaves the frame.
pub fn copy_user_to_frame(frame: &Frame, offset: usize, src: u64, len: usize) -> Result<(), Errno> {
    assert!(offset <= PAGE_SIZE && len <= PAGE_SIZE - offset);
    if len == 0 {
        return Ok(());
    }
    if !is_user_range(src, len as u64) {
        return Err(Errno::EFAULT);
    }
    copy_raw(
        frame.kernel_address(offset) as *mut u8,
        src as *const u8,
        len,
    )
}

/// Atomically compares the user `u32` at `address` with `expected` and, if equal, replaces it
/// with `new`; returns the value found (`expected` on success). `EFAULT` if the word is not
/// writable user memory (after demand paging and copy-on-write, unless page faults are
/// disabled), `EINVAL` if it is not 4-byte aligned.
#[track_caller]
pub fn cmpxchg_user_u32(address: u64, expected: u32, new: u32) -> Result<u32, Errno> {
    if !address.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    if !is_user_range(address, 4) {
        return Err(Errno::EFAULT);
    }
    check_may_fault();
    // SAFETY: the address is an aligned user address; the instruction's faults are resolved
    // or fixed up by `handle_kernel_fault`, and it touches nothing else.
    let result = unsafe { ferrux_user_cmpxchg(address as *mut u32, expected, new) };
    if result >> 32 != 0 {
        return Err(Errno::EFAULT);
    }
    Ok(result as u32)
}

/// The read-modify-write operations of FUTEX_WAKE_OP (`FUTEX_OP_SET` … `FUTEX_OP_XOR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserAtomicOp {
    Set,
    Add,
    Or,
    AndNot,
    Xor,
}

impl UserAtomicOp {
    fn apply(self, old: u32, operand: u32) -> u32 {
        match self {
            UserAtomicOp::Set => operand,
            UserAtomicOp::Add => old.wrapping_add(operand),
            UserAtomicOp::Or => old | operand,
            UserAtomicOp::AndNot => old & !operand,
            UserAtomicOp::Xor => old ^ operand,
        }
    }
}

/// Atomically applies `op` with `operand` to the user `u32` at `address` and returns the old
/// value (Linux's `arch_futex_atomic_op_inuser`), as a compare-and-exchange loop. Errors as
/// [`cmpxchg_user_u32`].
#[track_caller]
pub fn atomic_op_user_u32(address: u64, op: UserAtomicOp, operand: u32) -> Result<u32, Errno> {
    // A compare-and-exchange of 0 with 0 reads the word (and needs it writable, as the
    // operation does).
    let mut old = cmpxchg_user_u32(address, 0, 0)?;
    loop {
        let found = cmpxchg_user_u32(address, old, op.apply(old, operand))?;
        if found == old {
            return Ok(old);
        }
        old = found;
    }
}

/// Makes the user word at `address` present and writable (demand paging, copy-on-write)
/// without changing it (Linux's `fault_in_user_writeable`); `EFAULT` if it cannot be.
#[track_caller]
pub fn fault_in_writable(address: u64) -> Result<(), Errno> {
    cmpxchg_user_u32(address & !3, 0, 0).map(|_| ())
}
