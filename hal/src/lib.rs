//! Ferrux's hardware abstraction layer: every line of `unsafe` in the kernel lives here.
//!
//! `hal` boots the CPU (PVH entry, GDT/IDT/TSS, syscall MSRs, FPU), owns physical memory (frames,
//! heap, page tables, kernel stacks), enters and leaves user mode, copies to and from user memory
//! with fault fixups, and drives the few devices the kernel core needs before drivers exist
//! (serial, local APIC timer, TSC, RTC, power). It exposes safe types whose invariants it keeps;
//! the kernel crate is `#![forbid(unsafe_code)]`. See docs/architecture.md and docs/unsafe.md.
//!
//! hal's own host test build (`cargo test -p hal`) keeps only the physical-memory logic (frame
//! metadata, the buddy arena, the slab), which it runs over emulated RAM (`mm::host_memory`);
//! everything else needs the bare-metal target.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;

#[cfg(test)]
extern crate std;

#[cfg(not(test))]
mod acpi;
#[cfg(not(test))]
pub mod arch;
#[cfg(not(test))]
pub mod boot;
#[cfg(not(test))]
pub mod dma;
#[cfg(not(test))]
pub mod irq;
#[cfg(not(test))]
mod kallsyms;
#[cfg(not(test))]
pub mod ktest;
#[cfg(not(test))]
mod ktests;
pub mod mm;
#[cfg(not(test))]
mod panic;
#[cfg(not(test))]
pub mod pci;
#[cfg(not(test))]
pub mod smp;
#[cfg(not(test))]
pub mod sync;
#[cfg(not(test))]
pub mod task;
#[cfg(not(test))]
pub mod time;
#[cfg(not(test))]
pub mod user;
#[cfg(not(test))]
pub mod usercopy;

#[cfg(not(test))]
pub use boot::{BootInfo, Initrd};

/// Console I/O on the serial port.
#[cfg(not(test))]
pub mod console {
    pub use crate::arch::x86_64::serial::{try_read_byte, write_bytes, write_raw};
}

/// Device access for drivers: register windows and port ranges built by hal.
#[cfg(not(test))]
pub mod io {
    pub use crate::arch::x86_64::io::IoPorts;
    pub use crate::mm::mmio::IoMem;
}

/// Power control.
#[cfg(not(test))]
pub mod power {
    pub use crate::arch::x86_64::power::{debug_exit, power_off, reset};
}

/// CPU helpers the kernel may use.
#[cfg(not(test))]
pub mod cpu {
    pub use crate::arch::x86_64::cpu::{
        CpuFeatures, cpuid, disable_interrupts, halt_forever, rdrand, rdtsc, wait_for_interrupt,
    };
    pub use crate::arch::x86_64::fpu::{xsave_features, xsave_size};
}
