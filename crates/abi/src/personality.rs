//! `personality(2)` values (`include/uapi/linux/personality.h`): the execution domain in the
//! low byte (`PER_LINUX` = 0) and flags above it.

/// The Linux execution domain.
pub const PER_LINUX: u32 = 0x0000;
/// Disable address-space randomization (`setarch -R`).
pub const ADDR_NO_RANDOMIZE: u32 = 0x004_0000;
/// Map page 0 read-only.
pub const MMAP_PAGE_ZERO: u32 = 0x010_0000;
/// The old memory layout.
pub const ADDR_COMPAT_LAYOUT: u32 = 0x020_0000;
/// `PROT_READ` implies `PROT_EXEC`.
pub const READ_IMPLIES_EXEC: u32 = 0x040_0000;
/// Flags a set-user-id or set-group-id exec clears.
pub const PER_CLEAR_ON_SETID: u32 =
    READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE | ADDR_COMPAT_LAYOUT | MMAP_PAGE_ZERO;
/// The argument that only queries (`0xffffffff`).
pub const PERSONALITY_QUERY: u32 = 0xffff_ffff;
