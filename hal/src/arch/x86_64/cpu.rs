//! CPU registers and features: CPUID, MSRs, control registers, interrupts on/off, halt.

use core::arch::asm;
use core::arch::x86_64::__cpuid_count;

pub(crate) const MSR_EFER: u32 = 0xc000_0080;
pub(crate) const MSR_STAR: u32 = 0xc000_0081;
pub(crate) const MSR_LSTAR: u32 = 0xc000_0082;
pub(crate) const MSR_SFMASK: u32 = 0xc000_0084;
pub(crate) const MSR_FS_BASE: u32 = 0xc000_0100;
pub(crate) const MSR_GS_BASE: u32 = 0xc000_0101;
pub(crate) const MSR_KERNEL_GS_BASE: u32 = 0xc000_0102;

/// CPUID `leaf`/`subleaf`: (eax, ebx, ecx, edx).
pub fn cpuid(leaf: u32, subleaf: u32) -> (u32, u32, u32, u32) {
    let r = __cpuid_count(leaf, subleaf);
    (r.eax, r.ebx, r.ecx, r.edx)
}

pub(crate) fn read_msr(msr: u32) -> u64 {
    let (low, high): (u32, u32);
    // SAFETY: reading an architectural MSR that the HAL knows exists has no memory effect.
    unsafe {
        asm!("rdmsr", in("ecx") msr, out("eax") low, out("edx") high, options(nomem, nostack, preserves_flags))
    };
    (u64::from(high) << 32) | u64::from(low)
}

/// # Safety
/// The caller must know that writing `value` to `msr` keeps the kernel's invariants (for
/// example, not moving GS_BASE away from the per-CPU area).
pub(crate) unsafe fn write_msr(msr: u32, value: u64) {
    // SAFETY: delegated to the caller.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32, options(nostack, preserves_flags))
    };
}

pub(crate) fn read_cr2() -> u64 {
    let value: u64;
    // SAFETY: reading CR2 has no side effects.
    unsafe { asm!("mov {}, cr2", out(reg) value, options(nomem, nostack, preserves_flags)) };
    value
}

pub(crate) fn read_cr3() -> u64 {
    let value: u64;
    // SAFETY: reading CR3 has no side effects.
    unsafe { asm!("mov {}, cr3", out(reg) value, options(nomem, nostack, preserves_flags)) };
    value
}

/// # Safety
/// `pml4_phys` must be the physical address of a valid PML4 that maps the running kernel.
pub(crate) unsafe fn write_cr3(pml4_phys: u64) {
    // SAFETY: delegated to the caller.
    unsafe { asm!("mov cr3, {}", in(reg) pml4_phys, options(nostack, preserves_flags)) };
}

pub(crate) fn read_cr4() -> u64 {
    let value: u64;
    // SAFETY: reading CR4 has no side effects.
    unsafe { asm!("mov {}, cr4", out(reg) value, options(nomem, nostack, preserves_flags)) };
    value
}

/// # Safety
/// The new CR4 must keep paging (PAE) on and must not enable features the kernel is not ready for.
pub(crate) unsafe fn write_cr4(value: u64) {
    // SAFETY: delegated to the caller.
    unsafe { asm!("mov cr4, {}", in(reg) value, options(nostack, preserves_flags)) };
}

/// Reads the time-stamp counter.
pub fn rdtsc() -> u64 {
    let (low, high): (u32, u32);
    // SAFETY: rdtsc only reads the counter.
    unsafe {
        asm!("rdtsc", out("eax") low, out("edx") high, options(nomem, nostack, preserves_flags))
    };
    (u64::from(high) << 32) | u64::from(low)
}

/// Disables interrupts on this CPU.
pub fn disable_interrupts() {
    // SAFETY: cli only clears IF.
    unsafe { asm!("cli", options(nomem, nostack)) };
}

/// Enables interrupts, halts until the next one arrives, and disables them again. The kernel's
/// wait loops use this so that a timer tick or a device interrupt wakes them.
pub fn wait_for_interrupt() {
    // SAFETY: `sti; hlt` is atomic with respect to interrupts (the STI shadow), so an interrupt
    // that arrives between them still wakes the halt; the handlers run on this stack and return.
    unsafe { asm!("sti", "hlt", "cli", options(nomem, nostack)) };
}

/// Halts this CPU forever.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: halting with interrupts disabled stops the CPU; nothing else is touched.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) };
    }
}

/// Feature bits the kernel cares about, read once at boot.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuFeatures {
    pub has_smep: bool,
    pub has_smap: bool,
    pub has_xsave: bool,
    pub has_fsgsbase: bool,
    pub has_rdrand: bool,
    pub has_1gib_pages: bool,
    /// The AT_HWCAP value Linux gives on x86-64: CPUID.1:EDX.
    pub hwcap: u32,
    /// The AT_HWCAP2 value (bit 1 = FSGSBASE when the kernel enables it; Ferrux does not yet).
    pub hwcap2: u32,
}

pub(crate) fn detect_features() -> CpuFeatures {
    let (_, _, ecx1, edx1) = cpuid(1, 0);
    let (_, ebx7, _, _) = cpuid(7, 0);
    let (_, _, _, edx_ext) = cpuid(0x8000_0001, 0);
    CpuFeatures {
        has_smep: ebx7 & (1 << 7) != 0,
        has_smap: ebx7 & (1 << 20) != 0,
        has_xsave: ecx1 & (1 << 26) != 0,
        has_fsgsbase: ebx7 & 1 != 0,
        has_rdrand: ecx1 & (1 << 30) != 0,
        has_1gib_pages: edx_ext & (1 << 26) != 0,
        hwcap: edx1,
        hwcap2: 0,
    }
}

/// Reads a 64-bit random number from RDRAND, if the CPU has it and it delivers.
pub fn rdrand() -> Option<u64> {
    for _ in 0..10 {
        let value: u64;
        let ok: u8;
        // SAFETY: rdrand writes a register and CF only.
        unsafe {
            asm!("rdrand {}", "setc {}", out(reg) value, out(reg_byte) ok, options(nomem, nostack))
        };
        if ok != 0 {
            return Some(value);
        }
    }
    None
}
