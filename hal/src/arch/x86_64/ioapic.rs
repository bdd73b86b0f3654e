//! The I/O APIC: routing a global system interrupt (GSI) to a vector of one CPU, masked or
//! not, and moving it to another CPU (`/proc/irq/N/smp_affinity`). Used for PCI INTx when a function has no MSI-X (and for `pci=nomsi`).
//!
//! The chips come from the MADT ([`crate::acpi`]); each is a window of two registers (select,
//! data) mapped by hal, behind one IRQ-saving lock because the interrupt path masks lines.

use crate::acpi::IoApicEntry;
use crate::mm::mmio::MmioRegion;
use crate::sync::SpinLockIrq;
use alloc::vec::Vec;
use spin::Once;

const REG_SELECT: usize = 0x00;
const REG_WINDOW: usize = 0x10;
const REG_VERSION: u32 = 0x01;

struct IoApic {
    region: MmioRegion,
    gsi_base: u32,
    pins: u32,
}

static IO_APICS: Once<SpinLockIrq<Vec<IoApic>>> = Once::new();

impl IoApic {
    fn read(&self, register: u32) -> u32 {
        self.region.write_u32(REG_SELECT, register);
        self.region.read_u32(REG_WINDOW)
    }

    fn write(&self, register: u32, value: u32) {
        self.region.write_u32(REG_SELECT, register);
        self.region.write_u32(REG_WINDOW, value);
    }
}

/// Maps the chips the MADT lists and masks every pin.
pub(crate) fn init(entries: &[IoApicEntry]) {
    let mut chips = Vec::new();
    for entry in entries {
        if chips.try_reserve(1).is_err() {
            break;
        }
        let region = MmioRegion::map(entry.address, 0x20);
        let mut chip = IoApic {
            region,
            gsi_base: entry.gsi_base,
            pins: 0,
        };
        chip.pins = ((chip.read(REG_VERSION) >> 16) & 0xff) + 1;
        for pin in 0..chip.pins {
            chip.write(0x10 + 2 * pin, 1 << 16);
        }
        chips.push(chip);
    }
    IO_APICS.call_once(|| SpinLockIrq::new("ioapic", chips));
}

/// Whether some I/O APIC has `gsi`.
pub(crate) fn has_gsi(gsi: u32) -> bool {
    with_pin(gsi, |_, _| ()).is_some()
}

fn with_pin<R>(gsi: u32, f: impl FnOnce(&IoApic, u32) -> R) -> Option<R> {
    let chips = IO_APICS.get()?.lock();
    let chip = chips
        .iter()
        .find(|chip| gsi >= chip.gsi_base && gsi - chip.gsi_base < chip.pins)?;
    Some(f(chip, gsi - chip.gsi_base))
}

/// Routes `gsi` to `vector` on the CPU with local APIC id `apic_id`, masked.
pub(crate) fn route(gsi: u32, vector: u8, apic_id: u32, is_level: bool, is_active_low: bool) {
    with_pin(gsi, |chip, pin| {
        let low = u32::from(vector)
            | (u32::from(is_active_low) << 13)
            | (u32::from(is_level) << 15)
            | (1 << 16);
        chip.write(0x11 + 2 * pin, (apic_id & 0xff) << 24);
        chip.write(0x10 + 2 * pin, low);
    });
}

/// Sends `gsi`'s interrupts to the CPU with local APIC id `apic_id` (the redirection entry's
/// destination; its vector and mask stay).
pub(crate) fn set_destination(gsi: u32, apic_id: u32) {
    with_pin(gsi, |chip, pin| {
        chip.write(0x11 + 2 * pin, (apic_id & 0xff) << 24)
    });
}

/// Masks or unmasks `gsi`.
pub(crate) fn set_masked(gsi: u32, is_masked: bool) {
    with_pin(gsi, |chip, pin| {
        let low = chip.read(0x10 + 2 * pin);
        let low = if is_masked {
            low | (1 << 16)
        } else {
            low & !(1 << 16)
        };
        chip.write(0x10 + 2 * pin, low);
    });
}
