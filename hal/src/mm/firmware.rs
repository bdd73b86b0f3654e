//! Reading firmware tables out of physical memory below 4 GiB (the SMBIOS entry point in the
//! BIOS area and the table it points to), through the direct map, which always covers
//! `[0, 4 GiB)` ([`super::kernel_space`]).

use super::PHYS_OFFSET;

/// The end of the physical range [`read_firmware`] reads: what the direct map always covers.
pub const FIRMWARE_LIMIT: u64 = 1 << 32;

/// Copies `buf.len()` bytes of physical memory at `paddr` into `buf`; `false` (nothing read) if
/// the range passes [`FIRMWARE_LIMIT`]. Meant for tables the firmware put there (reading device
/// memory this way could have side effects: callers pass only what a checksummed firmware
/// structure names, as Linux's `dmi_remap` does).
pub fn read_firmware(paddr: u64, buf: &mut [u8]) -> bool {
    let Some(end) = paddr.checked_add(buf.len() as u64) else {
        return false;
    };
    if end > FIRMWARE_LIMIT {
        return false;
    }
    for (i, byte) in buf.iter_mut().enumerate() {
        let address = (PHYS_OFFSET + paddr + i as u64) as *const u8;
        // SAFETY: `paddr + i` is below 4 GiB, which the direct map maps for the kernel's whole
        // life (`kernel_space::init`), so the address is mapped and readable; a byte has no
        // alignment; volatile because firmware memory is not Rust memory.
        *byte = unsafe { core::ptr::read_volatile(address) };
    }
    true
}
