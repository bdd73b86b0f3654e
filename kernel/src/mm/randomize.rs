//! Address-space layout randomization: the `kernel.randomize_va_space` setting (Linux's
//! `mm/memory.c`, default 2; procfs shows it as `/proc/sys/kernel/randomize_va_space`) and
//! whether a new program's layout is randomized (Linux's `PF_RANDOMIZE`, decided by
//! `load_elf_binary`: the setting is not 0 and the process's personality lacks
//! `ADDR_NO_RANDOMIZE`).
//!
//! 0 places everything at fixed addresses; 1 randomizes the stack, the mmap base, position-
//! independent programs and the vDSO; 2 also the program break. Like Linux, any integer is
//! accepted and anything above 1 counts as 2. The address arithmetic is in
//! [`elfload::layout`].

use core::sync::atomic::{AtomicI32, Ordering};

static RANDOMIZE_VA_SPACE: AtomicI32 = AtomicI32::new(2);

/// The current `randomize_va_space`.
pub fn randomize_va_space() -> i32 {
    RANDOMIZE_VA_SPACE.load(Ordering::Relaxed)
}

/// Sets `randomize_va_space` (a sysctl write); takes effect at the next exec.
#[expect(dead_code, reason = "for /proc/sys/kernel/randomize_va_space")]
pub fn set_randomize_va_space(value: i32) {
    RANDOMIZE_VA_SPACE.store(value, Ordering::Relaxed);
}

/// Whether a program executed by a process of personality `personality` gets a randomized
/// layout (`PF_RANDOMIZE`).
pub fn is_randomized(personality: u32) -> bool {
    randomize_va_space() != 0 && personality & abi::personality::ADDR_NO_RANDOMIZE == 0
}
