//! Device drivers (Linux's `drivers/`): the memory devices and the kernel log device. Each
//! registers its device numbers with the registry in `fs/devices.rs` at boot ([`init`]); the
//! terminals register from `tty/`. Each device then appears in devtmpfs and sysfs through
//! [`base::device_create`].

pub mod base;
pub mod kmsg;
pub mod mem;

/// Registers every built-in character device (Linux's `chr_dev_init` and the tty drivers'
/// initcalls).
pub fn init() -> Result<(), abi::Errno> {
    mem::register()?;
    crate::tty::register()?;
    Ok(())
}
