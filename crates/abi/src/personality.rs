//! `personality(2)` values (`include/uapi/linux/personality.h`; linux-raw-sys does not generate
//! this header, so the values are written here and checked against the header's in the tests):
//! the execution domain in the low byte (`PER_LINUX` = 0) and flags above it.

/// The Linux execution domain.
pub const PER_LINUX: u32 = 0x0000;
/// The mask of the persona in a personality value.
pub const PER_MASK: u32 = 0x00ff;
/// Disable address-space randomization for programs this thread executes (`setarch -R`).
pub const ADDR_NO_RANDOMIZE: u32 = 0x004_0000;
/// select, pselect6 and ppoll leave their timeout argument as given (`STICKY_TIMEOUTS`).
pub const STICKY_TIMEOUTS: u32 = 0x400_0000;
/// Map page 0 read-only (SVr4 compatibility).
pub const MMAP_PAGE_ZERO: u32 = 0x010_0000;
/// `mmap` uses the legacy bottom-up layout.
pub const ADDR_COMPAT_LAYOUT: u32 = 0x020_0000;
/// `PROT_READ` implies `PROT_EXEC`.
pub const READ_IMPLIES_EXEC: u32 = 0x040_0000;
/// Addresses limited to 32 bits.
pub const ADDR_LIMIT_32BIT: u32 = 0x080_0000;
/// Flags a set-user-id or set-group-id exec clears.
pub const PER_CLEAR_ON_SETID: u32 =
    READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE | ADDR_COMPAT_LAYOUT | MMAP_PAGE_ZERO;
/// The argument that only queries (`0xffffffff`).
pub const PERSONALITY_QUERY: u32 = 0xffff_ffff;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_the_uapi_header() {
        // include/uapi/linux/personality.h, Linux 6.1.
        assert_eq!(ADDR_NO_RANDOMIZE, 0x0040000);
        assert_eq!(MMAP_PAGE_ZERO, 0x0100000);
        assert_eq!(ADDR_COMPAT_LAYOUT, 0x0200000);
        assert_eq!(READ_IMPLIES_EXEC, 0x0400000);
        assert_eq!(ADDR_LIMIT_32BIT, 0x0800000);
        assert_eq!(PER_CLEAR_ON_SETID, 0x0740000);
    }
}
