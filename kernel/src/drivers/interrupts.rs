//! Device interrupt lines by name, for `/proc/interrupts` (Linux's `show_interrupts`).
//!
//! A driver names each line it requested ([`register`]); `/proc/interrupts` lists them by
//! Linux-style IRQ number, each with its count on every online CPU (a column each), chip,
//! hardware number, flow handler and the names of the devices on it (`25:          3
//! 0   PCI-MSI 65537-edge      virtio0-req.0`, `11:          3   IO-APIC  11-fasteoi
//! virtio0`). `/proc/irq/N/` ([`crate::fs::proc::irq`]) shows and sets where each goes. Lines shared by several devices (INTx)
//! show their names joined by `, `. The legacy ISA lines Linux also lists (timer, i8042,
//! ttyS0, rtc0, acpi) are not shown: Ferrux takes no interrupt through them.

use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use hal::irq::{IrqLine, IrqName};
use hal::sync::SpinLock;

struct Entry {
    name: IrqName,
    vector: u8,
    device: String,
}

static LINES: SpinLock<Vec<Entry>> = SpinLock::new("interrupts.lines", Vec::new());

/// Records `line` as used by `device` (`virtio0-req.0`).
pub fn register(line: &IrqLine, device: String) {
    // `/proc/irq/N/` first (its own locks), then the list.
    let _ = crate::fs::proc::irq::add_line(line.name().irq, line.vector(), device.as_bytes());
    let mut lines = LINES.lock();
    if lines.try_reserve(1).is_ok() {
        lines.push(Entry {
            name: line.name(),
            vector: line.vector(),
            device,
        });
    }
}

/// Appends the device lines of `/proc/interrupts`, in IRQ order.
pub fn render(out: &mut Vec<u8>) -> Result<(), Errno> {
    let mut rows: Vec<(IrqName, u8, String)> = Vec::new();
    {
        let lines = LINES.lock();
        rows.try_reserve(lines.len()).map_err(|_| Errno::ENOMEM)?;
        for entry in lines.iter() {
            match rows
                .iter_mut()
                .find(|(name, _, _)| name.irq == entry.name.irq)
            {
                Some((_, _, devices)) => {
                    devices.push_str(", ");
                    devices.push_str(&entry.device);
                }
                None => rows.push((entry.name, entry.vector, entry.device.clone())),
            }
        }
    }
    rows.sort_by_key(|(name, _, _)| name.irq);
    let online = hal::smp::online_mask();
    for (name, vector, devices) in rows {
        vfs::pseudo::push_fmt(out, format_args!("{:>3}: ", name.irq))?;
        for cpu in (0..hal::sync::MAX_CPUS).filter(|&cpu| online & (1 << cpu) != 0) {
            vfs::pseudo::push_fmt(
                out,
                format_args!("{:>10} ", hal::irq::count_on(vector, cpu)),
            )?;
        }
        vfs::pseudo::push_fmt(
            out,
            format_args!(
                " {:>8} {:>3}-{:<8}  {}\n",
                name.chip, name.hwirq, name.flow, devices
            ),
        )?;
    }
    Ok(())
}
