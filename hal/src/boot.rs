//! From the PVH trampoline to the kernel's `main`: reading the boot information, bringing up the
//! CPU, memory and timer, and calling the kernel on its own stack.
//!
//! The boot information is Xen's `hvm_start_info` (version 1: command line, modules, memory map);
//! the first module is the initrd, as QEMU's `-initrd` passes it.

use crate::arch::x86_64::{apic, cpu, fpu, gdt, serial, trap, user};
use crate::mm::meta::FrameMeta;
use crate::mm::{PAGE_SIZE, frame, heap, kernel_space, kstack::KernelStack, phys_to_virt};
use crate::usercopy::SMAP_ENABLED;
use alloc::string::String;
use core::sync::atomic::Ordering;

const START_INFO_MAGIC: u32 = 0x336e_c578;
const MEMMAP_TYPE_RAM: u32 = 1;
const MAX_MEMORY_REGIONS: usize = 128;

#[repr(C)]
#[derive(Clone, Copy)]
struct StartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    nr_modules: u32,
    modlist_paddr: u64,
    cmdline_paddr: u64,
    rsdp_paddr: u64,
    memmap_paddr: u64,
    memmap_entries: u32,
    reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct ModlistEntry {
    paddr: u64,
    size: u64,
    cmdline_paddr: u64,
    reserved: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct MemmapEntry {
    addr: u64,
    size: u64,
    kind: u32,
    reserved: u32,
}

/// The initial RAM disk, as loaded by the boot loader. Its memory returns to the frame allocator
/// when this value is dropped (Linux frees the initrd after unpacking it, too).
pub struct Initrd {
    paddr: u64,
    len: usize,
}

impl Initrd {
    /// The image bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the range was excluded from the frame allocator at boot and is not written by
        // anyone; it stays valid until `self` is dropped, which ends the borrow.
        unsafe { core::slice::from_raw_parts(phys_to_virt(self.paddr) as *const u8, self.len) }
    }
}

impl Drop for Initrd {
    fn drop(&mut self) {
        frame::add_region(self.paddr, self.paddr + self.len as u64);
    }
}

/// What the boot loader told the kernel.
pub struct BootInfo {
    /// The kernel command line (`-append`).
    pub command_line: String,
    /// The initrd (`-initrd`), if any.
    pub initrd: Option<Initrd>,
    /// Usable RAM in bytes.
    pub ram_bytes: u64,
    /// CPU features found at boot.
    pub cpu_features: cpu::CpuFeatures,
}

static BOOT_INFO: crate::sync::SpinLock<Option<BootInfo>> =
    crate::sync::SpinLock::new("boot.info", None);

/// The physical address of the ACPI RSDP the loader gave (0 for none). hal keeps it to itself:
/// device windows are built by hal from the tables it reads, never from an address the kernel
/// passes in.
pub(crate) static ACPI_RSDP: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

unsafe extern "Rust" {
    /// The kernel's entry point, defined by [`crate::entry_point!`].
    fn __ferrux_kernel_main(info: BootInfo) -> !;
}

fn read_phys<T: Copy>(paddr: u64) -> T {
    // SAFETY: the boot tables map the first 4 GiB at the direct-map base, where QEMU put the
    // start info; `T` is a plain C struct, read unaligned to be safe against odd placements.
    unsafe { core::ptr::read_unaligned(phys_to_virt(paddr) as *const T) }
}

fn read_command_line(paddr: u64) -> ([u8; 4096], usize) {
    let mut buffer = [0u8; 4096];
    let mut len = 0;
    if paddr != 0 {
        while len < buffer.len() - 1 {
            let byte: u8 = read_phys(paddr + len as u64);
            if byte == 0 {
                break;
            }
            buffer[len] = byte;
            len += 1;
        }
    }
    (buffer, len)
}

/// A fixed-capacity list of physical ranges: the boot code runs before there is a heap.
struct Ranges {
    ranges: [(u64, u64); MAX_MEMORY_REGIONS * 2],
    count: usize,
}

impl Ranges {
    fn new() -> Ranges {
        Ranges {
            ranges: [(0, 0); MAX_MEMORY_REGIONS * 2],
            count: 0,
        }
    }

    fn as_slice(&self) -> &[(u64, u64)] {
        &self.ranges[..self.count]
    }

    fn push(&mut self, range: (u64, u64)) {
        if range.0 < range.1 && self.count < self.ranges.len() {
            self.ranges[self.count] = range;
            self.count += 1;
        }
    }

    /// Subtracts `hole` from each range.
    fn subtract(&mut self, hole: (u64, u64)) {
        let old = Ranges {
            ranges: self.ranges,
            count: self.count,
        };
        self.count = 0;
        for &(start, end) in old.as_slice() {
            if hole.1 <= start || end <= hole.0 {
                self.push((start, end));
                continue;
            }
            self.push((start, hole.0.max(start)));
            self.push((hole.1.min(end), end));
        }
    }
}

/// Carves the frame-metadata array (one `FrameMeta` per frame below `top`) out of the first
/// usable range below 4 GiB that holds it (the boot page tables map only the first 4 GiB),
/// zeroes it and removes it from `usable`.
fn carve_frame_metadata(usable: &mut Ranges, top: u64) -> &'static [FrameMeta] {
    let frames = (top / PAGE_SIZE as u64) as usize;
    let bytes = (frames * core::mem::size_of::<FrameMeta>()).next_multiple_of(PAGE_SIZE) as u64;
    let start = usable
        .as_slice()
        .iter()
        .map(|&(start, end)| (start.next_multiple_of(PAGE_SIZE as u64), end.min(1 << 32)))
        .find(|&(start, end)| end > start && end - start >= bytes)
        .map(|(start, _)| start)
        .unwrap_or_else(|| panic!("no room below 4 GiB for {bytes} bytes of frame metadata"));
    usable.subtract((start, start + bytes));
    let address = phys_to_virt(start) as *mut FrameMeta;
    // SAFETY: `[start, start + bytes)` is RAM below 4 GiB (mapped by the boot tables at the
    // direct-map base), removed from the usable ranges so the allocator never hands it out, and
    // page aligned (so aligned for FrameMeta). It is zeroed before the slice is formed, and an
    // all-zero FrameMeta (atomics) is a valid value. The slice lives for the rest of the boot.
    unsafe {
        core::ptr::write_bytes(address as *mut u8, 0, bytes as usize);
        core::slice::from_raw_parts(address, frames)
    }
}

/// Called by the trampoline on the boot stack with the start-info physical address.
pub(crate) extern "C" fn rust_entry(start_info_paddr: u64) -> ! {
    gdt::init_boot_cpu_area();
    serial::init();
    let info: StartInfo = read_phys(start_info_paddr);
    if info.magic != START_INFO_MAGIC {
        serial::write_bytes(b"ferrux: no PVH start info; boot with a PVH loader (qemu -kernel)\n");
        cpu::halt_forever();
    }
    let (command_line, command_line_len) = read_command_line(info.cmdline_paddr);
    let mut regions = [(0u64, 0u64); MAX_MEMORY_REGIONS];
    let mut region_count = 0;
    if info.version >= 1 {
        for i in 0..info.memmap_entries.min(MAX_MEMORY_REGIONS as u32) as u64 {
            let entry: MemmapEntry = read_phys(info.memmap_paddr + i * 24);
            if entry.kind == MEMMAP_TYPE_RAM {
                regions[region_count] = (entry.addr, entry.addr + entry.size);
                region_count += 1;
            }
        }
    }
    let initrd = (info.nr_modules > 0)
        .then(|| read_phys::<ModlistEntry>(info.modlist_paddr))
        .filter(|m| m.size > 0);

    let mut ram = Ranges::new();
    for &region in &regions[..region_count] {
        ram.push(region);
    }
    crate::mm::firmware::set_ram_ranges(ram.as_slice());
    let mut usable = Ranges {
        ranges: ram.ranges,
        count: ram.count,
    };
    let (_, image_end) = kernel_space::image_physical_range();
    usable.subtract((0, image_end));
    if let Some(module) = initrd {
        let start = module.paddr & !(PAGE_SIZE as u64 - 1);
        usable.subtract((start, module.paddr + module.size));
    }
    let top = ram
        .as_slice()
        .iter()
        .map(|&(_, end)| end)
        .max()
        .unwrap_or(0);
    frame::init_arena(carve_frame_metadata(&mut usable, top));
    // Frames below 4 GiB first: the kernel's own page tables are built from them while only the
    // boot tables (which map the first 4 GiB) are active.
    for &(start, end) in usable.as_slice() {
        frame::add_region(start, end.min(1 << 32));
    }
    kernel_space::init(ram.as_slice());
    for &(start, end) in usable.as_slice() {
        frame::add_region(start.max(1 << 32), end);
    }
    heap::init();
    let ram_bytes: u64 = ram.as_slice().iter().map(|&(start, end)| end - start).sum();

    let features = cpu::detect_features();
    gdt::init();
    trap::init();
    user::init_syscall();
    fpu::init(features.has_xsave);
    enable_protection(&features);
    apic::init();
    crate::time::init();

    let command_line = String::from_utf8_lossy(&command_line[..command_line_len]).into_owned();
    let initrd = initrd.map(|module| Initrd {
        paddr: module.paddr,
        len: module.size as usize,
    });
    ACPI_RSDP.store(info.rsdp_paddr, Ordering::Relaxed);
    let acpi = crate::acpi::read();
    crate::arch::x86_64::ioapic::init(&acpi.io_apics);
    crate::smp::init(&acpi.cpus);
    crate::pci::init(acpi.ecam, acpi.overrides);
    *BOOT_INFO.lock() = Some(BootInfo {
        command_line,
        initrd,
        ram_bytes,
        cpu_features: features,
    });

    let stack =
        KernelStack::try_new().unwrap_or_else(|_| panic!("no memory for the first kernel stack"));
    stack.run_on(call_kernel_main, 0)
}

pub(crate) fn enable_protection(features: &cpu::CpuFeatures) {
    let mut cr4 = cpu::read_cr4();
    if features.has_smep {
        cr4 |= 1 << 20;
    }
    if features.has_smap {
        cr4 |= 1 << 21;
        SMAP_ENABLED.store(true, Ordering::Relaxed);
    }
    // SAFETY: SMEP and SMAP only restrict the kernel's access to user pages, and every such
    // access goes through `usercopy`, which opens the SMAP window.
    unsafe { cpu::write_cr4(cr4) };
}

extern "C" fn call_kernel_main(_: usize) -> ! {
    let info = BOOT_INFO
        .lock()
        .take()
        .unwrap_or_else(|| panic!("boot info missing"));
    // SAFETY: `__ferrux_kernel_main` is defined by the kernel through `entry_point!` with exactly
    // this signature; the linker fails if it is missing.
    unsafe { __ferrux_kernel_main(info) }
}

/// Declares the kernel's entry point: `hal::entry_point!(main)` with `fn main(BootInfo) -> !`.
#[macro_export]
macro_rules! entry_point {
    ($main:path) => {
        #[unsafe(export_name = "__ferrux_kernel_main")]
        fn __ferrux_kernel_main_shim(info: $crate::BootInfo) -> ! {
            let main: fn($crate::BootInfo) -> ! = $main;
            main(info)
        }
    };
}
