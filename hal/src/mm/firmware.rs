//! Reading firmware tables out of physical memory below 4 GiB (the SMBIOS entry point in the
//! BIOS area and the table it points to), through the direct map, which always covers
//! `[0, 4 GiB)` ([`super::kernel_space`]).
//!
//! Only memory that the boot memory map does not give the OS as RAM can be read: the BIOS area
//! and the firmware's reserved regions, where its tables live. RAM (page frames of processes,
//! the page cache, the kernel heap) is refused, so this safe interface cannot be used to read
//! another process's memory or race with writers of Rust-owned memory.

use super::PHYS_OFFSET;
use spin::Once;

/// The end of the physical range [`read_firmware`] reads: what the direct map always covers.
pub const FIRMWARE_LIMIT: u64 = 1 << 32;

/// Most RAM ranges remembered from the boot memory map (more are treated as RAM everywhere).
const MAX_RAM_RANGES: usize = 64;

struct RamRanges {
    ranges: [(u64, u64); MAX_RAM_RANGES],
    count: usize,
    /// More ranges than fit: refuse every read.
    overflowed: bool,
}

static RAM: Once<RamRanges> = Once::new();

/// Records the RAM ranges of the boot memory map (`[start, end)`); called once at boot.
pub(crate) fn set_ram_ranges(ram: &[(u64, u64)]) {
    RAM.call_once(|| {
        let mut ranges = [(0, 0); MAX_RAM_RANGES];
        let count = ram.len().min(MAX_RAM_RANGES);
        ranges[..count].copy_from_slice(&ram[..count]);
        RamRanges {
            ranges,
            count,
            overflowed: ram.len() > MAX_RAM_RANGES,
        }
    });
}

/// Whether `[start, end)` touches no RAM range (and the map was recorded).
fn outside_ram(start: u64, end: u64) -> bool {
    let Some(ram) = RAM.get() else {
        return false;
    };
    !ram.overflowed
        && ram.ranges[..ram.count]
            .iter()
            .all(|&(ram_start, ram_end)| end <= ram_start || start >= ram_end)
}

/// Copies `buf.len()` bytes of physical memory at `paddr` into `buf`; `false` (nothing read) if
/// the range passes [`FIRMWARE_LIMIT`] or overlaps RAM. Meant for tables the firmware put
/// there (reading device memory this way could have side effects: callers pass only what a
/// checksummed firmware structure names, as Linux's `dmi_remap` does).
pub fn read_firmware(paddr: u64, buf: &mut [u8]) -> bool {
    let Some(end) = paddr.checked_add(buf.len() as u64) else {
        return false;
    };
    if end > FIRMWARE_LIMIT || !outside_ram(paddr, end) {
        return false;
    }
    for (i, byte) in buf.iter_mut().enumerate() {
        let address = (PHYS_OFFSET + paddr + i as u64) as *const u8;
        // SAFETY: `paddr + i` is below 4 GiB, which the direct map maps for the kernel's whole
        // life (`kernel_space::init`), so the address is mapped and readable; it is not RAM
        // (checked above), so no Rust object lives there and nothing the kernel owns is
        // disclosed; a byte has no alignment; volatile because firmware memory is not Rust
        // memory.
        *byte = unsafe { core::ptr::read_volatile(address) };
    }
    true
}
