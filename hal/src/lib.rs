//! Ferrux's hardware abstraction layer: every line of `unsafe` in the kernel lives here.
//!
//! `hal` boots the CPU (PVH entry, GDT/IDT/TSS, syscall MSRs, FPU), owns physical memory (frames,
//! heap, page tables, kernel stacks), enters and leaves user mode, copies to and from user memory
//! with fault fixups, and drives the few devices the kernel core needs before drivers exist
//! (serial, local APIC timer, TSC, RTC, power). It exposes safe types whose invariants it keeps;
//! the kernel crate is `#![forbid(unsafe_code)]`. See docs/architecture.md and docs/unsafe.md.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;

pub mod arch;
pub mod boot;
pub mod irq;
mod kallsyms;
pub mod ktest;
mod ktests;
pub mod mm;
mod panic;
pub mod task;
pub mod time;
pub mod user;
pub mod usercopy;

pub use boot::{BootInfo, Initrd};

/// Console I/O on the serial port.
pub mod console {
    pub use crate::arch::x86_64::serial::{try_read_byte, write_bytes, write_raw};
}

/// Power control.
pub mod power {
    pub use crate::arch::x86_64::power::{debug_exit, power_off, reset};
}

/// CPU helpers the kernel may use.
pub mod cpu {
    pub use crate::arch::x86_64::cpu::{
        CpuFeatures, disable_interrupts, halt_forever, rdrand, rdtsc, wait_for_interrupt,
    };
    pub use crate::arch::x86_64::fpu::{xsave_features, xsave_size};
}
