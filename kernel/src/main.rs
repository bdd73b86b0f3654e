//! The Ferrux kernel: the boot story, one line per stage.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

mod printk;

hal::entry_point!(kernel_main);

fn kernel_main(boot: hal::BootInfo) -> ! {
    printk::init();
    log::info!("Linux version 6.1.0-ferrux (Ferrux {}) ", env!("CARGO_PKG_VERSION"));
    log::info!("Command line: {}", boot.command_line);
    log::info!("Memory: {} MiB", boot.ram_bytes >> 20);
    hal::power::power_off()
}
