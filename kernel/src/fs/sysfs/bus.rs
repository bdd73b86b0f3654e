//! `/sys/bus` (Linux's `drivers/base/bus.c`): the buses that have devices in Ferrux, each with
//! `devices/` (links to the devices), `drivers/`, `drivers_autoprobe` (`1`; what is written is
//! kept, and as Ferrux's devices are all found at boot it changes nothing else),
//! `drivers_probe` (write-only: a device name of the bus, else `ENODEV`) and `uevent`
//! (write-only).
//!
//! - `cpu`: `cpu0` (Linux binds it to its ACPI `processor` driver, which Ferrux does not have).
//! - `node`: `node0`.
//! - `platform`: `serial8250`, bound to the `serial8250` driver; the device's directory
//!   (`/sys/devices/platform/serial8250`) gets `driver` and `subsystem` links, `modalias`,
//!   `power/` and `uevent` (`DRIVER=`, `MODALIAS=`) as Linux's platform bus gives it.

use super::{Content, add_attribute, add_link, add_power_dir, add_uevent, add_writable, dir};
use abi::Errno;
use core::sync::atomic::{AtomicBool, Ordering};
use vfs::pseudo::DynamicDir;

/// Pairs of names: a device and its link target, or a driver and its device.
type Pairs = &'static [(&'static [u8], &'static [u8])];

/// The buses, their devices (name, target from `/sys/bus/<bus>/devices`), and their drivers
/// with the devices bound to each.
const BUSES: [(&[u8], Pairs, Pairs); 3] = [
    (
        b"cpu",
        &[(b"cpu0", b"../../../devices/system/cpu/cpu0")],
        &[],
    ),
    (
        b"node",
        &[(b"node0", b"../../../devices/system/node/node0")],
        &[],
    ),
    (
        b"platform",
        &[(b"serial8250", b"../../../devices/platform/serial8250")],
        &[(b"serial8250", b"serial8250")],
    ),
];

/// `drivers_autoprobe` of each bus, in [`BUSES`] order.
static AUTOPROBE: [AtomicBool; 3] = [
    AtomicBool::new(true),
    AtomicBool::new(true),
    AtomicBool::new(true),
];

fn render_autoprobe<const BUS: usize>(out: &mut alloc::vec::Vec<u8>) -> Result<(), Errno> {
    let on = AUTOPROBE[BUS].load(Ordering::Relaxed);
    vfs::pseudo::push(out, if on { b"1\n" } else { b"0\n" })
}

/// `drivers_autoprobe_store`: anything but a leading `0` turns probing on.
fn write_autoprobe<const BUS: usize>(data: &[u8]) -> Result<(), Errno> {
    AUTOPROBE[BUS].store(data.first() != Some(&b'0'), Ordering::Relaxed);
    Ok(())
}

/// `drivers_probe_store`: the device must be on the bus (`sysfs_streq`: a final newline is
/// ignored); it is bound already, so probing it again changes nothing.
fn write_probe<const BUS: usize>(data: &[u8]) -> Result<(), Errno> {
    let name = data.strip_suffix(b"\n").unwrap_or(data);
    if BUSES[BUS].1.iter().any(|(device, _)| *device == name) {
        Ok(())
    } else {
        Err(Errno::ENODEV)
    }
}

type RenderFn = fn(&mut alloc::vec::Vec<u8>) -> Result<(), Errno>;
type WriteFn = fn(&[u8]) -> Result<(), Errno>;

const HANDLERS: [(RenderFn, WriteFn, WriteFn); 3] = [
    (
        render_autoprobe::<0>,
        write_autoprobe::<0>,
        write_probe::<0>,
    ),
    (
        render_autoprobe::<1>,
        write_autoprobe::<1>,
        write_probe::<1>,
    ),
    (
        render_autoprobe::<2>,
        write_autoprobe::<2>,
        write_probe::<2>,
    ),
];

/// Adds `/sys/bus/*` and the platform device's attributes (`devices` is `/sys/devices`).
pub(super) fn build(root: &DynamicDir, devices: &DynamicDir) -> Result<(), Errno> {
    let bus_dir = dir(root, b"bus", 0o755)?;
    for (index, (name, bus_devices, drivers)) in BUSES.iter().enumerate() {
        let bus = dir(&bus_dir, name, 0o755)?;
        let devices_dir = dir(&bus, b"devices", 0o755)?;
        for (device, target) in bus_devices.iter() {
            add_link(&devices_dir, device, target)?;
        }
        let drivers_dir = dir(&bus, b"drivers", 0o755)?;
        for (driver, device) in drivers.iter() {
            let driver_dir = dir(&drivers_dir, driver, 0o755)?;
            let mut target = alloc::vec::Vec::new();
            vfs::pseudo::push(&mut target, b"../../../../devices/")?;
            vfs::pseudo::push(&mut target, name)?;
            vfs::pseudo::push(&mut target, b"/")?;
            vfs::pseudo::push(&mut target, device)?;
            add_link(&driver_dir, device, &target)?;
            add_uevent(&driver_dir, 0o200, Content::Static(b""))?;
        }
        let (render, autoprobe, probe) = HANDLERS[index];
        add_writable(
            &bus,
            b"drivers_autoprobe",
            0o644,
            Content::Render(render),
            autoprobe,
        )?;
        add_writable(&bus, b"drivers_probe", 0o200, Content::Static(b""), probe)?;
        add_uevent(&bus, 0o200, Content::Static(b""))?;
    }
    let serial = dir(&*dir(devices, b"platform", 0o755)?, b"serial8250", 0o755)?;
    add_link(
        &serial,
        b"driver",
        b"../../../bus/platform/drivers/serial8250",
    )?;
    add_attribute(
        &serial,
        b"modalias",
        0o444,
        Content::Static(b"platform:serial8250\n"),
    )?;
    add_power_dir(&serial)?;
    add_link(&serial, b"subsystem", b"../../../bus/platform")?;
    add_uevent(
        &serial,
        0o644,
        Content::Static(b"DRIVER=serial8250\nMODALIAS=platform:serial8250\n"),
    )?;
    Ok(())
}
