//! Copying between the kernel and user memory, with faults turned into `EFAULT`.
//!
//! Every access to user memory goes through [`copy_from_user`] / [`copy_to_user`] (and the typed
//! helpers built on them). They check that the range lies in user space, open the SMAP window
//! (`stac`/`clac`) and copy with `rep movsb`. A page fault inside that instruction first goes to
//! the kernel's page-fault handler (demand paging, copy-on-write); if the kernel cannot resolve
//! it, the fault handler moves the instruction pointer to a fixup that returns the number of
//! bytes not copied, and the caller gets `EFAULT`. Nothing else in the kernel may fault on a
//! user address; such a fault is a kernel bug and panics. This is Linux's exception-table
//! design (`arch/x86/lib/copy_user_64.S`, `fixup_exception`).

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
"#,
    smap = sym SMAP_ENABLED,
);

unsafe extern "C" {
    /// Copies `len` bytes from `src` to `dst`; returns the number of bytes not copied.
    fn ferrux_copy_user(dst: *mut u8, src: *const u8, len: usize) -> usize;
    static ferrux_copy_user_insn: u8;
    static ferrux_copy_user_insn_end: u8;
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
    let insn = (&raw const ferrux_copy_user_insn) as u64;
    let insn_end = (&raw const ferrux_copy_user_insn_end) as u64;
    if frame.rip != insn || address >= USER_END {
        return false;
    }
    let is_write = frame.error_code & 2 != 0;
    // A protection fault on a present page with user access rights is what copy-on-write gives;
    // a not-present fault is demand paging. Either way the kernel's resolver decides.
    if let Some(resolve) = RESOLVER.get()
        && resolve(address, is_write)
    {
        return true;
    }
    // Give up: `rcx` holds the bytes left; resume after the copy, which returns them.
    frame.rip = insn_end;
    true
}

#[track_caller]
fn copy_raw(dst: *mut u8, src: *const u8, len: usize) -> Result<(), Errno> {
    // A fault here runs the kernel's resolver, which takes the sleeping mm lock.
    crate::sync::might_fault();
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
