//! Where Linux 6.1 on x86-64 puts the pieces of a new program, as arithmetic over random
//! numbers the caller draws: the top of the stack (`randomize_stack_top`, `mm/util.c`), the
//! stack pointer's offset in its page (`arch_align_stack`), the top of the mmap area
//! (`mmap_base`, `arch/x86/mm/mmap.c`), the base of a position-independent program
//! (`ELF_ET_DYN_BASE` plus `arch_mmap_rnd`, `fs/binfmt_elf.c`), the program break
//! (`arch_randomize_brk`, `randomize_page`) and the address tried first for the vDSO
//! (`vdso_addr`, `arch/x86/entry/vdso/vma.c`).
//!
//! Entropy, as Linux x86-64 with 4-level paging: 28 bits of pages for the mmap base and the
//! program base (`CONFIG_ARCH_MMAP_RND_BITS`), 22 bits of pages for the stack top
//! (`STACK_RND_MASK`), under 8 KiB in 16-byte steps for the stack pointer, 18 bits of pages
//! (1 GiB) for the break, and the vDSO anywhere in the 2 MiB region above the stack. The break's
//! range is Debian's Linux 6.1 (the test oracle), which has the 64-bit entropy increase of
//! Linux 6.9 ("x86/mm: Increase brk randomness entropy for 64-bit systems"); 6.1.0 itself
//! used 32 MiB.
//!
//! `is_randomized` is Linux's `PF_RANDOMIZE`: `randomize_va_space` is not 0 and the process's
//! personality lacks `ADDR_NO_RANDOMIZE`. Without it every function here returns Linux's fixed
//! address.

use crate::{PAGE_SIZE, USER_ADDRESS_LIMIT};

/// The end of the user address space and the top of the stack (`TASK_SIZE`, `STACK_TOP`,
/// `DEFAULT_MAP_WINDOW`: 2^47 minus a page).
pub const TASK_SIZE: u64 = USER_ADDRESS_LIMIT;
/// Bits of page-granular randomness in the mmap base and a PIE's base (`mmap_rnd_bits`).
pub const MMAP_RND_BITS: u32 = 28;
/// Mask of the stack top's page-granular randomness (`STACK_RND_MASK`, 22 bits).
pub const STACK_RND_MASK: u64 = 0x3f_ffff;
/// The gap kept below a growing stack (`stack_guard_gap`, 256 pages).
pub const STACK_GUARD_GAP: u64 = 256 * PAGE_SIZE;
/// Where position-independent programs with an interpreter go without randomization
/// (`ELF_ET_DYN_BASE`: two thirds of the address space; aligned down when used).
pub const ELF_ET_DYN_BASE: u64 = TASK_SIZE / 3 * 2;
/// The range the program break is moved up by (`arch_randomize_brk` for 64-bit programs:
/// 1 GiB).
pub const BRK_RANDOM_RANGE: u64 = 1 << 30;
/// The range the initial stack pointer is moved down by (`arch_align_stack`).
pub const STACK_ALIGN_RANGE: u32 = 8192;
/// The smallest gap between the stack top and the mmap base.
const MIN_GAP: u64 = 128 << 20;
/// `PMD_SIZE`: the region the vDSO is placed in above the stack.
const PMD_SIZE: u64 = 2 << 20;

/// A random number below `bound`, from 32 random bits (Linux's `prandom_u32_max`).
pub fn below(random: u32, bound: u32) -> u32 {
    ((u64::from(random) * u64::from(bound)) >> 32) as u32
}

/// `arch_mmap_rnd`: the random offset (in bytes, page-aligned) the mmap base and a PIE's base
/// move by; 0 without randomization.
pub fn mmap_random_offset(random: u64, is_randomized: bool) -> u64 {
    if !is_randomized {
        return 0;
    }
    (random & ((1 << MMAP_RND_BITS) - 1)) * PAGE_SIZE
}

/// `mmap_base`: the top of the top-down mmap area for a stack limit (`RLIMIT_STACK`, soft) of
/// `stack_limit` bytes: below the stack's room, its maximal randomization and the guard gap,
/// at least 128 MiB and at most five sixths of the address space below the top, then moved
/// down by `random_offset` ([`mmap_random_offset`]).
pub fn mmap_base(random_offset: u64, stack_limit: u64, is_randomized: bool) -> u64 {
    let stack_random_room = if is_randomized {
        STACK_RND_MASK * PAGE_SIZE
    } else {
        0
    };
    let pad = stack_random_room + STACK_GUARD_GAP;
    // Values close to RLIM_INFINITY would overflow: keep the limit alone then.
    let gap = stack_limit.checked_add(pad).unwrap_or(stack_limit);
    let gap = gap.clamp(MIN_GAP, TASK_SIZE / 6 * 5);
    page_align(TASK_SIZE - gap - random_offset.min(TASK_SIZE - gap))
}

/// `randomize_stack_top(STACK_TOP)`: the end of the stack, moved down by up to 16 GiB.
pub fn stack_top(random: u64, is_randomized: bool) -> u64 {
    if !is_randomized {
        return TASK_SIZE;
    }
    TASK_SIZE - (random & STACK_RND_MASK) * PAGE_SIZE
}

/// `arch_align_stack`: the address below the argument strings where the platform string, the
/// random bytes and the tables go, moved down by under 8 KiB when randomized, 16-byte aligned.
pub fn align_stack(address: u64, random: u32, is_randomized: bool) -> u64 {
    let moved = if is_randomized {
        address - u64::from(below(random, STACK_ALIGN_RANGE))
    } else {
        address
    };
    moved & !15
}

/// The base of a position-independent program that has an interpreter: `ELF_ET_DYN_BASE`
/// plus [`mmap_random_offset`], aligned down to `alignment` (a power of two,
/// [`crate::LoadPlan::load_alignment`]).
pub fn et_dyn_base(random_offset: u64, alignment: u64) -> u64 {
    (ELF_ET_DYN_BASE + random_offset) & !(alignment.max(PAGE_SIZE) - 1)
}

/// `randomize_page(start, range)`: a page-aligned address in `[start, start + range)` (after
/// rounding `start` up to a page), or `start` when the range holds no page.
pub fn randomize_page(start: u64, range: u64, random: u64) -> u64 {
    let mut start = start;
    let mut range = range;
    if !start.is_multiple_of(PAGE_SIZE) {
        let aligned = page_align(start);
        range = range.saturating_sub(aligned - start);
        start = aligned;
    }
    range = range.min(u64::MAX - start);
    let pages = range / PAGE_SIZE;
    if pages == 0 {
        return start;
    }
    start + (random % pages) * PAGE_SIZE
}

/// The program break of a new program whose segments end at `end` (rounded up to a page), as
/// `load_elf_binary` sets it: with randomization and `randomize_va_space` above 1, moved up
/// by up to 1 GiB, and for an `ET_DYN` file run directly (no interpreter: the dynamic loader
/// itself, or a static PIE) first moved to `ELF_ET_DYN_BASE`, out of the mmap area.
pub fn program_break(
    end: u64,
    is_dyn_without_interpreter: bool,
    random: u64,
    is_randomized: bool,
    randomize_va_space: i32,
) -> u64 {
    let end = page_align(end);
    if !is_randomized || randomize_va_space <= 1 {
        return end;
    }
    let start = if is_dyn_without_interpreter {
        ELF_ET_DYN_BASE
    } else {
        end
    };
    randomize_page(start, BRK_RANDOM_RANGE, random)
}

/// `vdso_addr`: the address tried first for the `len` bytes of `[vvar]` and `[vdso]`: a random
/// page between the page above `start_stack` (the lowest argument string) and the end of its
/// 2 MiB region. Exec uses it only if the range is free and inside the address space,
/// otherwise the mmap area's top-down search (always so without stack randomization, where
/// the stack ends at the top of the address space).
pub fn vdso_hint(start_stack: u64, len: u64, random: u32) -> u64 {
    let start = page_align(start_stack);
    let end = start.saturating_add(len).saturating_add(PMD_SIZE - 1) & !(PMD_SIZE - 1);
    let end = end.min(TASK_SIZE).saturating_sub(len);
    if end > start {
        let pages = ((end - start) / PAGE_SIZE + 1).min(u64::from(u32::MAX)) as u32;
        start + u64::from(below(random, pages)) * PAGE_SIZE
    } else {
        start
    }
}

fn page_align(value: u64) -> u64 {
    value.next_multiple_of(PAGE_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn fixed_layout_without_randomization() {
        // Linux with ADDR_NO_RANDOMIZE: the stack ends at the top, the mmap area starts 128 MiB
        // below it (8 MiB stack + 1 MiB guard is less than the minimum gap), PIEs at
        // 0x555555554000.
        assert_eq!(stack_top(u64::MAX, false), 0x7fff_ffff_f000);
        assert_eq!(mmap_base(0, 8 * MIB, false), 0x7fff_f7ff_f000);
        assert_eq!(mmap_random_offset(u64::MAX, false), 0);
        assert_eq!(et_dyn_base(0, PAGE_SIZE), 0x5555_5555_4000);
        assert_eq!(et_dyn_base(0, 2 * MIB), 0x5555_5540_0000);
        assert_eq!(
            align_stack(0x7fff_ffff_e123, u32::MAX, false),
            0x7fff_ffff_e120
        );
        assert_eq!(
            program_break(0x40_1234, false, u64::MAX, false, 2),
            0x40_2000
        );
    }

    #[test]
    fn randomized_ranges_have_linux_entropy() {
        // The stack top moves by 22 bits of pages (16 GiB).
        assert_eq!(stack_top(0, true), TASK_SIZE);
        assert_eq!(
            stack_top(u64::MAX, true),
            TASK_SIZE - STACK_RND_MASK * PAGE_SIZE
        );
        assert_eq!(TASK_SIZE - stack_top(u64::MAX, true), (1 << 34) - PAGE_SIZE);
        // The mmap offset is 28 bits of pages (1 TiB).
        assert_eq!(mmap_random_offset(u64::MAX, true), (1 << 40) - PAGE_SIZE);
        assert_eq!(mmap_random_offset(1, true), PAGE_SIZE);
        // The mmap base keeps room for the whole stack randomization.
        let base = mmap_base(0, 8 * MIB, true);
        assert_eq!(
            base,
            TASK_SIZE - 8 * MIB - STACK_GUARD_GAP - STACK_RND_MASK * PAGE_SIZE
        );
        assert!(base < stack_top(u64::MAX, true) - 8 * MIB);
        let lowest = mmap_base(mmap_random_offset(u64::MAX, true), 8 * MIB, true);
        assert_eq!(base - lowest, (1 << 40) - PAGE_SIZE);
        // The PIE base stays aligned and below the mmap area.
        let pie = et_dyn_base(mmap_random_offset(u64::MAX, true), PAGE_SIZE);
        assert!(pie > ELF_ET_DYN_BASE && pie < lowest);
        // The stack pointer moves by under 8 KiB and stays 16-byte aligned.
        let top = 0x7fff_0000_0000;
        for random in [0, 1, 0x8000_0000, u32::MAX] {
            let sp = align_stack(top, random, true);
            assert!(top - sp < 8192 + 16 && sp.is_multiple_of(16), "{random:#x}");
        }
        assert_eq!(align_stack(top, u32::MAX, true), top - 8192);
    }

    #[test]
    fn mmap_gap_is_clamped() {
        // An unlimited stack does not overflow and leaves five sixths of the space at most.
        assert_eq!(
            mmap_base(0, u64::MAX, true),
            page_align(TASK_SIZE - TASK_SIZE / 6 * 5)
        );
        assert_eq!(
            mmap_base(0, u64::MAX - 10, false),
            page_align(TASK_SIZE - TASK_SIZE / 6 * 5)
        );
        // A tiny stack limit still leaves 128 MiB.
        assert_eq!(mmap_base(0, 0, false), TASK_SIZE - 128 * MIB);
        // A random offset cannot wrap the base below 0.
        assert!(mmap_base(u64::MAX, u64::MAX, true) <= TASK_SIZE);
    }

    #[test]
    fn program_break_follows_randomize_va_space() {
        let end = 0x40_5000;
        assert_eq!(program_break(end, false, 7, true, 1), end);
        assert_eq!(program_break(end, false, 7, true, 2), end + 7 * PAGE_SIZE);
        assert_eq!(program_break(end, false, 0, true, 2), end);
        let top = program_break(end, false, u64::MAX, true, 2);
        assert!(top >= end && top < end + BRK_RANDOM_RANGE);
        // A static PIE or the loader run directly: the break moves out of the mmap area.
        let moved = program_break(0x7fff_f7ff_0000, true, 3, true, 2);
        assert_eq!(moved, page_align(ELF_ET_DYN_BASE) + 3 * PAGE_SIZE);
        assert_eq!(
            program_break(0x7fff_f7ff_0000, true, 3, false, 2),
            0x7fff_f7ff_0000
        );
    }

    #[test]
    fn randomize_page_stays_in_range() {
        assert_eq!(randomize_page(0x1000, 0, 5), 0x1000);
        assert_eq!(randomize_page(0x1001, 0x1000, 5), 0x2000);
        assert_eq!(randomize_page(0x1000, 0x3000, 4), 0x2000);
        assert_eq!(
            randomize_page(u64::MAX - 0xfff, 1 << 30, 9),
            u64::MAX - 0xfff
        );
    }

    #[test]
    fn vdso_goes_above_the_stack_in_its_2mib_region() {
        let len = 6 * PAGE_SIZE;
        // Randomized stack: the stack ends below a 2 MiB boundary with room above.
        let stack_end = 0x7ffd_4f60_1000;
        let start_stack = stack_end - 0x300;
        for random in [0, 1 << 31, u32::MAX] {
            let hint = vdso_hint(start_stack, len, random);
            assert!(hint >= stack_end, "{hint:#x}");
            assert!(hint + len <= 0x7ffd_4f80_0000, "{hint:#x}");
            assert_eq!(hint % PAGE_SIZE, 0);
        }
        assert_eq!(vdso_hint(start_stack, len, 0), stack_end);
        assert_eq!(
            vdso_hint(start_stack, len, u32::MAX),
            0x7ffd_4f80_0000 - len
        );
        // The stack at the very top: the hint is the top itself, which cannot fit.
        let top = vdso_hint(TASK_SIZE - 0x300, len, u32::MAX);
        assert_eq!(top, TASK_SIZE);
    }
}
