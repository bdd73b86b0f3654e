//! Device drivers (Linux's `drivers/`): the memory devices, the kernel log device, and virtio
//! devices on PCI ([`virtio`]: block). Each registers its device numbers with the registry in
//! `fs/devices.rs` at boot ([`init`]); the terminals register from `tty/`, disks through the
//! block layer (`crate::block`). Each device then appears in devtmpfs and sysfs through
//! [`base::device_create`] (disks through `fs/sysfs/block.rs`). `pci=nomsi` on the command
//! line makes PCI drivers use INTx instead of MSI-X, as Linux.

pub mod base;
pub mod interrupts;
pub mod kmsg;
pub mod mem;
pub mod virtio;

/// Registers every built-in character device (Linux's `chr_dev_init` and the tty drivers'
/// initcalls).
pub fn init() -> Result<(), abi::Errno> {
    mem::register()?;
    crate::tty::register()?;
    if is_msi_disabled(crate::boot_command_line()) {
        hal::pci::disable_msi();
    }
    log_pci_functions();
    if let Some(lo) = crate::net::netdev::loopback()
        && let Err(error) = crate::fs::sysfs::net::add_netdev(&lo)
    {
        log::warn!("net: no sysfs directory for lo: {error:?}");
    }
    virtio::probe();
    crate::block::loop_dev::init()?;
    Ok(())
}

/// Whether the command line has `pci=nomsi` (Linux's `pci=` takes a comma-separated list).
fn is_msi_disabled(command_line: &str) -> bool {
    command_line
        .split_ascii_whitespace()
        .take_while(|word| *word != "--")
        .filter_map(|word| word.strip_prefix("pci="))
        .any(|options| options.split(',').any(|option| option == "nomsi"))
}

/// Logs the PCI functions found, as Linux's `pci 0000:00:04.0: [1af4:1001] type 00 class
/// 0x010000` lines (at debug level: they are many).
fn log_pci_functions() {
    for info in hal::pci::functions() {
        log::debug!(
            "pci {}: [{:04x}:{:04x}] class {:#08x}",
            info.address,
            info.vendor_id,
            info.device_id,
            info.class
        );
    }
}
