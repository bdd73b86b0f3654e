//! Symmetric multiprocessing: the CPUs of the machine, starting the application processors,
//! inter-processor interrupts, TLB shootdown and stopping the other CPUs on a panic.
//!
//! **CPUs.** The MADT lists each processor's local APIC id (xAPIC and x2APIC entries); the boot
//! CPU is index 0 and the others get indices 1.. in table order, at most [`MAX_CPUS`]. Linux's
//! masks: *possible* (what `nr_cpus=` allows), *present* (in the MADT and possible) and
//! *online* (started and running the idle loop). Masks are `u64`s (`MAX_CPUS` is 64).
//!
//! **Bring-up** ([`start_secondary_cpus`]), one processor at a time as Linux's `do_boot_cpu`:
//! the boot CPU makes the processor's per-CPU area (GDT, TSS, interrupt and double-fault
//! stacks) and idle stack, fills the trampoline's data (`arch::x86_64::ap_boot`), sends
//! INIT, waits 10 ms, sends a start-up IPI (a second one if the first is not answered in
//! 1 ms), and waits up to a second for the processor to come online. The processor loads its
//! GDT/TSS/IDT, syscall MSRs, FPU, SMEP/SMAP, APIC and timer, checks its TSC against the boot
//! CPU's, and calls the kernel's entry for secondary CPUs (its idle loop).
//!
//! **IPIs.** [`send_reschedule`] makes a CPU leave user mode or its halt (the interrupt itself
//! is the message: the CPU then checks its run queue). TLB shootdown is below. The panic path
//! stops the other CPUs with an NMI ([`stop_other_cpus`]), which reaches them even with
//! interrupts off, so that the panic report is not interleaved with their output.
//!
//! **TLB shootdown.** Each CPU has a mailbox: a request counter, a completion counter, a
//! "kernel mappings too" flag and the page range to flush (the union of every request since the
//! CPU last served it). A CPU that changed page-table entries other CPUs may cache widens the
//! range of each CPU in the address space's CPU mask (kernel mappings: every online CPU),
//! raises its counter, sends the shootdown IPI and waits until each completion counter reaches
//! its request. The target takes the range and invalidates it page by page (`invlpg`, which
//! drops global entries too), or flushes its whole TLB when the range has more than
//! [`FLUSH_PAGES_MAX`] pages (a CR3 reload; with the flag, CR4.PGE toggled: Linux's
//! `tlb_single_page_flush_ceiling`), then publishes the request it served. The kernel runs with interrupts off, so a
//! target may take the IPI late: every busy-wait of hal (spin locks, `on_cpu`, these waits)
//! serves its own mailbox while it spins ([`relax`]), so two CPUs waiting on each other cannot
//! deadlock, and a target that is in the kernel for a while only delays the frames' release
//! (they stay in the `TlbFlush` token until every CPU has flushed).

use crate::arch::x86_64::{ap_boot, apic, cpu, fpu, gdt, trap, user};
use crate::mm::kstack::KernelStack;
use crate::sync::MAX_CPUS;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// The vector of the reschedule IPI (Linux's `RESCHEDULE_VECTOR`).
pub(crate) const VECTOR_RESCHEDULE: u64 = 0xfd;
/// The vector of the TLB-shootdown IPI (Linux uses a call-function IPI).
pub(crate) const VECTOR_TLB_SHOOTDOWN: u64 = 0xfc;

/// Local APIC id of each CPU index.
static APIC_IDS: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];
static POSSIBLE_MASK: AtomicU64 = AtomicU64::new(1);
static PRESENT_MASK: AtomicU64 = AtomicU64::new(1);
static ONLINE_MASK: AtomicU64 = AtomicU64::new(1);
/// CPUs whose TSC was found behind the boot CPU's when they came up.
static TSC_UNSYNCED_MASK: AtomicU64 = AtomicU64::new(0);
/// Set before the first application processor starts: from then on a context switch saves
/// the FPU state (the lazy one-CPU scheme cannot follow a thread to another CPU).
static IS_EAGER_FPU: AtomicBool = AtomicBool::new(false);

/// The kernel's entry for secondary CPUs (its idle loop), given to [`start_secondary_cpus`].
static SECONDARY_MAIN: spin::Once<fn() -> !> = spin::Once::new();
/// Raised by a processor's first Rust instruction (the start-up IPI was taken).
static STARTED: AtomicUsize = AtomicUsize::new(0);
/// Its TSC when it came online, for the boot CPU's check.
static STARTED_TSC: AtomicU64 = AtomicU64::new(0);

/// Records the MADT's processors (called once by the boot code; the boot CPU's own APIC id
/// is index 0 whatever the table's order).
pub(crate) fn init(cpus: &[crate::acpi::CpuEntry]) {
    let boot_apic_id = apic::local_apic_id();
    APIC_IDS[0].store(boot_apic_id, Ordering::Relaxed);
    let mut count = 1;
    for entry in cpus {
        if !entry.is_usable || entry.apic_id == boot_apic_id || count == MAX_CPUS {
            continue;
        }
        APIC_IDS[count].store(entry.apic_id, Ordering::Relaxed);
        count += 1;
    }
    let mask = mask_of(count);
    POSSIBLE_MASK.store(mask, Ordering::Relaxed);
    PRESENT_MASK.store(mask, Ordering::Relaxed);
}

fn mask_of(count: usize) -> u64 {
    if count >= 64 {
        u64::MAX
    } else {
        (1u64 << count) - 1
    }
}

/// CPUs the kernel may ever use (`/sys/devices/system/cpu/possible`).
pub fn possible_mask() -> u64 {
    POSSIBLE_MASK.load(Ordering::Relaxed)
}

/// CPUs the firmware listed, within the possible ones (`present`).
pub fn present_mask() -> u64 {
    PRESENT_MASK.load(Ordering::Relaxed)
}

/// CPUs running (`online`).
pub fn online_mask() -> u64 {
    ONLINE_MASK.load(Ordering::Acquire)
}

/// Number of CPUs running.
pub fn online_count() -> usize {
    online_mask().count_ones() as usize
}

/// The local APIC id of CPU `cpu` (`/proc/cpuinfo`'s `apicid`).
pub fn apic_id(cpu: usize) -> u32 {
    APIC_IDS.get(cpu).map_or(0, |id| id.load(Ordering::Relaxed))
}

/// CPUs whose TSC was behind the boot CPU's when they were started (none on a VM whose TSC is
/// shared, as QEMU's TCG).
pub fn tsc_unsynced_mask() -> u64 {
    TSC_UNSYNCED_MASK.load(Ordering::Relaxed)
}

/// Whether the APICs run in x2APIC mode.
pub fn is_x2apic() -> bool {
    apic::is_x2apic()
}

/// Limits the possible CPUs to the first `count` (`nr_cpus=`; at least the boot CPU).
pub fn limit_possible(count: usize) {
    let mask = mask_of(count.max(1));
    POSSIBLE_MASK.fetch_and(mask, Ordering::Relaxed);
    PRESENT_MASK.fetch_and(mask, Ordering::Relaxed);
}

fn delay_ns(ns: u64) {
    let end = crate::time::monotonic_ns() + ns;
    while crate::time::monotonic_ns() < end {
        core::hint::spin_loop();
    }
}

/// Starts the present CPUs other than the boot CPU, at most `max_cpus` CPUs online in all
/// (`maxcpus=`), each running `main` once it is up. Returns the number online.
pub fn start_secondary_cpus(max_cpus: usize, main: fn() -> !) -> usize {
    SECONDARY_MAIN.call_once(|| main);
    let present = present_mask();
    if present == 1 || max_cpus <= 1 {
        return 1;
    }
    IS_EAGER_FPU.store(true, Ordering::SeqCst);
    ap_boot::install();
    for index in 1..MAX_CPUS {
        if present & (1 << index) == 0 || online_count() >= max_cpus {
            continue;
        }
        let _ = start_one(index);
    }
    online_count()
}

/// Starts CPU `index`; `false` if it did not come up (it is then left out of every mask).
fn start_one(index: usize) -> bool {
    let Ok(area) = gdt::new_secondary_area(index) else {
        return false;
    };
    let Ok(stack) = KernelStack::try_new() else {
        return false;
    };
    ap_boot::set_data(ap_boot::DATA_STACK, stack.top());
    core::mem::forget(stack);
    ap_boot::set_data(ap_boot::DATA_AREA, area);
    STARTED.store(0, Ordering::SeqCst);
    let apic_id = APIC_IDS[index].load(Ordering::Relaxed);
    let page = (ap_boot::TRAMPOLINE_PHYS >> 12) as u8;
    let tsc_before = cpu::rdtsc();
    apic::send_init(apic_id);
    delay_ns(10_000_000);
    apic::send_startup(apic_id, page);
    delay_ns(1_000_000);
    if STARTED.load(Ordering::SeqCst) == 0 {
        apic::send_startup(apic_id, page);
    }
    let deadline = crate::time::monotonic_ns() + 1_000_000_000;
    while online_mask() & (1 << index) == 0 {
        if crate::time::monotonic_ns() > deadline {
            PRESENT_MASK.fetch_and(!(1 << index), Ordering::Relaxed);
            return false;
        }
        core::hint::spin_loop();
    }
    // Its TSC, read just before it came online, must lie between ours before the start and
    // now: otherwise the clocks of the two CPUs disagree (Linux's `check_tsc_sync_source`).
    let tsc_after = cpu::rdtsc();
    let theirs = STARTED_TSC.load(Ordering::SeqCst);
    if !(tsc_before..=tsc_after).contains(&theirs) {
        TSC_UNSYNCED_MASK.fetch_or(1 << index, Ordering::Relaxed);
    }
    true
}

/// First Rust code of an application processor, on the stack the boot CPU gave it, with the
/// kernel's page tables loaded and interrupts off.
pub(crate) extern "C" fn secondary_entry(area: u64) -> ! {
    STARTED.store(1, Ordering::SeqCst);
    // SAFETY: `area` is the one `start_one` made for this CPU and wrote to the trampoline.
    unsafe { gdt::init_secondary(area) };
    trap::load();
    user::init_syscall();
    let features = cpu::detect_features();
    fpu::init(features.has_xsave);
    crate::boot::enable_protection(&features);
    apic::init_secondary();
    crate::time::start_secondary_tick();
    STARTED_TSC.store(cpu::rdtsc(), Ordering::SeqCst);
    ONLINE_MASK.fetch_or(1 << crate::sync::cpu_id(), Ordering::SeqCst);
    match SECONDARY_MAIN.get() {
        Some(main) => main(),
        None => cpu::halt_forever(),
    }
}

/// Makes CPU `cpu` look at its run queue: out of user mode or out of its halt.
pub fn send_reschedule(cpu: usize) {
    if cpu == crate::sync::cpu_id() || online_mask() & (1 << cpu) == 0 {
        return;
    }
    apic::send_ipi(
        APIC_IDS[cpu].load(Ordering::Relaxed),
        VECTOR_RESCHEDULE as u8,
    );
}

/// Set by the panicking CPU: an NMI then halts the CPU that takes it.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Halts every other online CPU (a panic): NMIs, which interrupts-off code takes too.
pub(crate) fn stop_other_cpus() {
    STOPPING.store(true, Ordering::SeqCst);
    let me = crate::sync::cpu_id();
    let online = online_mask();
    for (cpu, apic_id) in APIC_IDS.iter().enumerate() {
        if cpu != me && online & (1 << cpu) != 0 {
            apic::send_nmi(apic_id.load(Ordering::Relaxed));
        }
    }
    delay_ns(10_000_000);
}

/// An NMI arrived: halts this CPU for good if a panic is stopping the others; `false` if not.
pub(crate) fn handle_nmi() -> bool {
    if STOPPING.load(Ordering::SeqCst) {
        cpu::halt_forever();
    }
    false
}

/// Saves the FPU registers into their owner's area before a context switch, when several
/// CPUs may run the owner next (`switch_fpu_prepare`); a no-op on one CPU (lazy switching).
pub(crate) fn save_fpu_for_switch() {
    if !IS_EAGER_FPU.load(Ordering::Relaxed) {
        return;
    }
    let percpu = gdt::this_cpu();
    // SAFETY: this CPU's own area, with interrupts off; `fpu_owner` is a live context's area
    // whenever `fpu_live` is set (the context is running on this CPU, switching away now).
    unsafe {
        if (*percpu).fpu_live != 0 && (*percpu).fpu_owner != 0 {
            fpu::save(&mut *((*percpu).fpu_owner as *mut fpu::XsaveArea));
        }
        (*percpu).fpu_live = 0;
    }
}

/// Makes every other online CPU take an interrupt and acknowledge it before this returns: a
/// CPU in user mode stops there (the interrupt is serializing), so its earlier memory
/// accesses are ordered before the caller's next ones (membarrier's IPIs). Rides on the
/// shootdown mailbox (with an empty range: the targets flush nothing).
pub fn sync_other_cpus() {
    flush_others_range(u64::MAX, 0, 0, false);
}

/// A range of more pages than this is flushed whole (a CR3 reload, or CR4.PGE for kernel
/// mappings) rather than page by page: Linux's `tlb_single_page_flush_ceiling` (33).
pub(crate) const FLUSH_PAGES_MAX: u64 = 32;

/// Each CPU's TLB mailbox.
struct Mailbox {
    requested: AtomicU64,
    done: AtomicU64,
    kernel_too: AtomicBool,
    /// The pages to invalidate, `[start, end)`: widened by each initiator before it raises
    /// `requested`, taken (reset to empty) by the target before it flushes. Both words change
    /// together under `range_busy` (two separate atomics could be taken half-widened).
    start: AtomicU64,
    end: AtomicU64,
    /// A bare lock for the range: held for a few instructions with interrupts off, by
    /// a holder that never waits for anything, so it is outside the lock order.
    range_busy: AtomicBool,
}

impl Mailbox {
    /// Runs `f` on the range with `range_busy` held and interrupts off.
    fn with_range<R>(&self, f: impl FnOnce(&AtomicU64, &AtomicU64) -> R) -> R {
        let _irq = crate::sync::IrqGuard::new();
        while self
            .range_busy
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        let result = f(&self.start, &self.end);
        self.range_busy.store(false, Ordering::Release);
        result
    }
}

static MAILBOXES: [Mailbox; MAX_CPUS] = [const {
    Mailbox {
        requested: AtomicU64::new(0),
        done: AtomicU64::new(0),
        kernel_too: AtomicBool::new(false),
        start: AtomicU64::new(u64::MAX),
        end: AtomicU64::new(0),
        range_busy: AtomicBool::new(false),
    }
}; MAX_CPUS];

/// Serves this CPU's TLB mailbox: flushes if a request is pending.
///
/// The range is taken after `requested` is read, so it holds at least the range of every
/// request up to the one served (each initiator widened it before raising `requested`); a
/// later initiator's range taken with it is flushed early (after its entries changed, which
/// came first), and its own request is then served with whatever range is left (possibly
/// none).
pub(crate) fn serve_tlb() {
    let mailbox = &MAILBOXES[crate::sync::cpu_id()];
    let requested = mailbox.requested.load(Ordering::Acquire);
    if requested == mailbox.done.load(Ordering::Relaxed) {
        return;
    }
    let kernel_too = mailbox.kernel_too.swap(false, Ordering::AcqRel);
    let (start, end) = mailbox.with_range(|start, end| {
        (
            start.swap(u64::MAX, Ordering::Relaxed),
            end.swap(0, Ordering::Relaxed),
        )
    });
    flush_local_range(start, end, kernel_too);
    mailbox.done.store(requested, Ordering::Release);
}

/// Invalidates `[start, end)` in this CPU's TLB: page by page when it is at most
/// [`FLUSH_PAGES_MAX`] pages, else the whole TLB (global entries too with `kernel_too`).
fn flush_local_range(start: u64, end: u64, kernel_too: bool) {
    use crate::mm::page_table;
    if start >= end {
        return;
    }
    let pages = (end - start).div_ceil(page_table::PAGE);
    if pages > FLUSH_PAGES_MAX {
        if kernel_too {
            page_table::flush_everything();
        } else {
            page_table::flush_all_user();
        }
        return;
    }
    let mut vaddr = start & !(page_table::PAGE - 1);
    while vaddr < end {
        page_table::flush_page(vaddr);
        vaddr += page_table::PAGE;
    }
}

/// What a busy-wait does each turn: serve TLB shootdowns aimed at this CPU (so that CPUs
/// waiting on each other make progress), then pause.
#[inline]
pub(crate) fn relax() {
    serve_tlb();
    core::hint::spin_loop();
}

/// Invalidates the pages of `[start, end)` in the TLBs of the CPUs in `mask` other than this
/// one (the whole TLB when the range is large; `kernel_too` for global kernel mappings), and
/// returns once each has.
pub(crate) fn flush_others_range(mask: u64, start: u64, end: u64, kernel_too: bool) {
    let me = crate::sync::cpu_id();
    let targets = mask & online_mask() & !(1 << me);
    if targets == 0 {
        return;
    }
    let mut tickets = [0u64; MAX_CPUS];
    let mut bits = targets;
    while bits != 0 {
        let cpu = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        let mailbox = &MAILBOXES[cpu];
        if kernel_too {
            mailbox.kernel_too.store(true, Ordering::Release);
        }
        if start < end {
            mailbox.with_range(|range_start, range_end| {
                range_start.fetch_min(start, Ordering::Relaxed);
                range_end.fetch_max(end, Ordering::Relaxed);
            });
        }
        tickets[cpu] = mailbox.requested.fetch_add(1, Ordering::AcqRel) + 1;
        apic::send_ipi(
            APIC_IDS[cpu].load(Ordering::Relaxed),
            VECTOR_TLB_SHOOTDOWN as u8,
        );
    }
    let mut bits = targets;
    while bits != 0 {
        let cpu = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        while MAILBOXES[cpu].done.load(Ordering::Acquire) < tickets[cpu] {
            relax();
        }
    }
}

/// The page-table root each CPU has loaded (its CR3), published before the load.
static LOADED_ROOT: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// Records that this CPU is about to load `root`.
pub(crate) fn note_loaded_root(root: u64) {
    LOADED_ROOT[crate::sync::cpu_id()].store(root, Ordering::SeqCst);
}

/// The online CPUs that have `root` loaded (after this CPU's entry changes: the fence orders
/// them before the reads, pairing with `note_loaded_root`'s store before the CR3 load).
pub(crate) fn cpus_with_root(root: u64) -> u64 {
    let online = online_mask();
    if online == 1 {
        return 0;
    }
    core::sync::atomic::fence(Ordering::SeqCst);
    let mut mask = 0;
    for (cpu, loaded) in LOADED_ROOT.iter().enumerate() {
        if online & (1 << cpu) != 0 && loaded.load(Ordering::SeqCst) == root {
            mask |= 1 << cpu;
        }
    }
    mask
}
