//! FPU/SSE/AVX state: enabling XSAVE and saving and restoring one user context's registers.
//!
//! The kernel itself is compiled soft-float and never touches these registers, so a user
//! thread's FPU state stays live in the CPU across its syscalls. It is saved when the thread
//! leaves user mode and restored only when another context used the FPU in between (the CPU's
//! "owner" is tracked per CPU), which is what Linux's `TIF_NEED_FPU_LOAD` achieves.

use super::cpu::{cpuid, read_cr4, write_cr4};
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

/// Bytes reserved per context; large enough for x87+SSE+AVX+AVX-512 (2696 bytes).
pub const XSAVE_AREA_SIZE: usize = 4096;

/// The state components enabled in XCR0.
static ENABLED_FEATURES: AtomicU64 = AtomicU64::new(0);
/// The XSAVE area size for the enabled components (CPUID 0xD.0:EBX), as AT_MINSIGSTKSZ needs.
static XSAVE_SIZE: AtomicU64 = AtomicU64::new(512 + 64);

/// An XSAVE area, 64-byte aligned as XSAVE requires.
#[repr(C, align(64))]
pub struct XsaveArea(pub [u8; XSAVE_AREA_SIZE]);

impl XsaveArea {
    /// The power-on state: FCW 0x37f, MXCSR 0x1f80, every component in its init state. Only
    /// the enabled components' bytes are cleared: nothing reads or exposes the rest.
    pub fn initialize(&mut self) {
        let used = xsave_size().clamp(512 + 64, XSAVE_AREA_SIZE);
        self.0[..used].fill(0);
        self.0[0..2].copy_from_slice(&0x037f_u16.to_le_bytes());
        self.0[24..28].copy_from_slice(&0x1f80_u32.to_le_bytes());
        self.0[28..32].copy_from_slice(&0xffff_u32.to_le_bytes()); // MXCSR_MASK
    }
}

/// Enables SSE and XSAVE with every user-state component up to AVX-512 that the CPU has.
pub(crate) fn init(has_xsave: bool) {
    // SAFETY: setting OSFXSR/OSXMMEXCPT (and OSXSAVE when present) and clearing CR0.EM/TS only
    // enables instructions; the kernel does not use them itself.
    unsafe {
        let mut cr0: u64;
        asm!("mov {}, cr0", out(reg) cr0, options(nomem, nostack));
        cr0 = (cr0 & !(1 << 2) & !(1 << 3)) | (1 << 1) | (1 << 5);
        asm!("mov cr0, {}", in(reg) cr0, options(nomem, nostack));
        let mut cr4 = read_cr4() | (1 << 9) | (1 << 10);
        if has_xsave {
            cr4 |= 1 << 18;
        }
        write_cr4(cr4);
        if has_xsave {
            let (eax, _, _, edx) = cpuid(0xd, 0);
            let supported = (u64::from(edx) << 32) | u64::from(eax);
            let enabled = supported & 0xe7;
            asm!("xsetbv", in("ecx") 0, in("eax") enabled as u32, in("edx") (enabled >> 32) as u32, options(nomem, nostack));
            ENABLED_FEATURES.store(enabled, Ordering::Relaxed);
            let (_, ebx, _, _) = cpuid(0xd, 0);
            XSAVE_SIZE.store(u64::from(ebx), Ordering::Relaxed);
        }
    }
}

/// Checks that an FPU image from user memory (a signal frame's) can be loaded without a fault:
/// MXCSR reserved bits clear, and with XSAVE only enabled components in XSTATE_BV, the standard
/// (uncompacted) format, and the rest of the header zero, as Linux's `validate_user_xstate_header`.
pub(crate) fn is_loadable_image(image: &[u8]) -> bool {
    let read_u32 =
        |at: usize| u32::from_le_bytes([image[at], image[at + 1], image[at + 2], image[at + 3]]);
    let read_u64 = |at: usize| u64::from(read_u32(at)) | (u64::from(read_u32(at + 4)) << 32);
    if image.len() < 512 || read_u32(24) & 0xffff_0000 != 0 {
        return false;
    }
    let features = ENABLED_FEATURES.load(Ordering::Relaxed);
    if features == 0 {
        return true;
    }
    image.len() >= 576
        && read_u64(512) & !features == 0
        && read_u64(520) == 0
        && image[528..576].iter().all(|&byte| byte == 0)
}

/// The state components enabled in XCR0 (0 without XSAVE).
pub fn xsave_features() -> u64 {
    ENABLED_FEATURES.load(Ordering::Relaxed)
}

/// Size of the XSAVE image for the enabled features.
pub fn xsave_size() -> usize {
    XSAVE_SIZE.load(Ordering::Relaxed) as usize
}

/// Saves the CPU's FPU state into `area`.
pub(crate) fn save(area: &mut XsaveArea) {
    let features = ENABLED_FEATURES.load(Ordering::Relaxed);
    // SAFETY: `area` is a valid, 64-byte aligned, writable buffer larger than the XSAVE image.
    unsafe {
        if features != 0 {
            asm!("xsave64 [{}]", in(reg) area.0.as_mut_ptr(), in("eax") features as u32, in("edx") (features >> 32) as u32, options(nostack));
        } else {
            asm!("fxsave64 [{}]", in(reg) area.0.as_mut_ptr(), options(nostack));
        }
    }
}

/// Loads the CPU's FPU state from `area`. A malformed image (user space can edit one in a signal
/// frame later) makes xrstor fault; callers validate images from user memory first.
pub(crate) fn restore(area: &XsaveArea) {
    let features = ENABLED_FEATURES.load(Ordering::Relaxed);
    // SAFETY: `area` is valid and aligned; its header was produced by `save` or `initialize`.
    unsafe {
        if features != 0 {
            asm!("xrstor64 [{}]", in(reg) area.0.as_ptr(), in("eax") features as u32, in("edx") (features >> 32) as u32, options(nostack));
        } else {
            asm!("fxrstor64 [{}]", in(reg) area.0.as_ptr(), options(nostack));
        }
    }
}
