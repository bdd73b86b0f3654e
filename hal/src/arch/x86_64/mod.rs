//! x86-64 support: the only architecture Ferrux runs on today.

pub(crate) mod ap_boot;
pub mod apic;
pub mod boot;
pub mod cpu;
pub mod fpu;
pub mod gdt;
pub(crate) mod io;
pub(crate) mod ioapic;
pub mod pit;
pub mod power;
pub mod rtc;
pub mod serial;
pub mod trap;
pub mod user;
