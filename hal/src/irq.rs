//! Device and timer interrupts: acknowledgement, the tick counter, and device interrupt lines
//! with deferred handlers.
//!
//! The kernel runs with interrupts disabled except in user mode and while halted, and no kernel
//! code runs in interrupt context (docs/unsafe.md, invariant 4). So a device interrupt does the
//! least possible in [`handle`]: it marks its vector pending, masks a level-triggered line at the
//! I/O APIC (it stays asserted until the driver has serviced the device), and acknowledges the
//! local APIC. The kernel calls [`run_pending`] where it already handles timer ticks (after a
//! trap from user mode, and in the idle loop after a halt): that runs each pending vector's
//! handlers in thread context, where they may take spin locks and wake sleepers, then unmasks
//! the level-triggered lines. This is Linux's threaded interrupt with `IRQF_ONESHOT`, without
//! the thread.
//!
//! An [`IrqLine`] is a driver's registration: it comes from
//! [`PciDevice::request_irq`](crate::pci::PciDevice::request_irq) (an MSI-X entry with a vector
//! of its own, or the function's INTx line, whose vector is shared by every handler on that
//! GSI), and dropping it masks and frees what it used.
//!
//! **CPUs.** Each vector is delivered to one CPU (Linux's effective affinity): a new one goes
//! to the online CPU with the fewest device vectors (Linux's vector matrix spreads them so),
//! and [`set_affinity`] (`/proc/irq/N/smp_affinity`) moves it to the least loaded CPU of a
//! mask, rewriting the MSI-X entry's address or the I/O APIC pin's destination. The deferred
//! handlers run wherever [`run_pending`] is next called, on any CPU. Interrupts are counted
//! per CPU (`/proc/interrupts` has a column per CPU), the local timer's too.

use crate::arch::x86_64::trap::{VECTOR_SPURIOUS, VECTOR_TIMER};
use crate::arch::x86_64::{apic, ioapic};
use crate::pci::MsixTable;
use crate::sync::{MAX_CPUS, SpinLockIrq};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

static TICKS: AtomicU64 = AtomicU64::new(0);

/// A device interrupt's handler, run as deferred work in thread context.
pub type IrqHandler = Arc<dyn Fn() + Send + Sync>;

/// First and last vectors handed to devices (after the timer, before the spurious vector).
const FIRST_DEVICE_VECTOR: u8 = 0x40;
const LAST_DEVICE_VECTOR: u8 = 0xef;

/// How a vector's source signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// MSI-X: one message per event.
    Edge,
    /// INTx through the I/O APIC at `gsi`: asserted until serviced.
    Level { gsi: u32 },
}

/// Where a vector's interrupts are steered, to move them to another CPU.
pub(crate) enum Route {
    /// An MSI-X table entry (its message address names the CPU).
    Msix { table: Arc<MsixTable>, entry: u16 },
    /// An I/O APIC pin (its redirection entry's destination).
    Ioapic { gsi: u32 },
    /// Nothing to steer (hal's tests).
    None,
}

struct Vector {
    trigger: Trigger,
    handlers: Vec<(u64, IrqHandler)>,
    route: Route,
    /// The CPUs it may go to (`smp_affinity`; every CPU unless set).
    affinity: u64,
    /// The CPU it goes to.
    cpu: usize,
}

struct Vectors {
    table: [Option<Vector>; 256],
    next_id: u64,
}

static VECTORS: SpinLockIrq<Vectors> = SpinLockIrq::new(
    "irq.vectors",
    Vectors {
        table: [const { None }; 256],
        next_id: 1,
    },
);

/// One bit per vector: raised by [`handle`], consumed by [`run_pending`].
static PENDING: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
/// For each vector, 1 + the GSI of its level-triggered line (0: edge-triggered or unused). Read
/// in interrupt context without the lock.
static LEVEL_GSI: [AtomicU32; 256] = [const { AtomicU32::new(0) }; 256];
/// Device interrupts taken per CPU and vector (`/proc/interrupts`).
static COUNTS: [[AtomicU64; 256]; MAX_CPUS] =
    [const { [const { AtomicU64::new(0) }; 256] }; MAX_CPUS];
/// Local timer interrupts taken per CPU (`/proc/interrupts`' `LOC`).
static LOCAL_TIMER: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// Handles interrupt `vector`, from user or kernel mode.
pub(crate) fn handle(vector: u64) {
    match vector {
        VECTOR_TIMER => {
            // Every CPU's timer ticks; the boot CPU's counts the ticks since boot.
            let cpu = crate::sync::cpu_id();
            if cpu == 0 {
                TICKS.fetch_add(1, Ordering::Relaxed);
            }
            LOCAL_TIMER[cpu % MAX_CPUS].fetch_add(1, Ordering::Relaxed);
            apic::end_of_interrupt();
        }
        crate::smp::VECTOR_TLB_SHOOTDOWN => {
            crate::smp::serve_tlb();
            apic::end_of_interrupt();
        }
        // The interrupt is the message: the CPU left user mode or its halt, and looks at its
        // run queue next.
        crate::smp::VECTOR_RESCHEDULE => apic::end_of_interrupt(),
        VECTOR_SPURIOUS => {}
        // Spurious lines of the masked legacy PIC (0x37 and 0x3f) need no EOI.
        0x30..=0x3f => {}
        0x40..=0xef => {
            let index = vector as usize;
            COUNTS[crate::sync::cpu_id() % MAX_CPUS][index].fetch_add(1, Ordering::Relaxed);
            let level = LEVEL_GSI[index].load(Ordering::Acquire);
            if level != 0 {
                ioapic::set_masked(level - 1, true);
            }
            PENDING[index / 64].fetch_or(1 << (index % 64), Ordering::Release);
            apic::end_of_interrupt();
        }
        _ => apic::end_of_interrupt(),
    }
}

/// Timer interrupts since boot.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Whether some device interrupt waits for [`run_pending`].
pub fn has_pending() -> bool {
    PENDING.iter().any(|word| word.load(Ordering::Relaxed) != 0)
}

/// Runs the handlers of every device interrupt taken since the last call, in the caller's
/// (thread) context, then unmasks their level-triggered lines. Must be called with no spin lock
/// held: handlers take their drivers' locks.
pub fn run_pending() {
    for (word_index, word) in PENDING.iter().enumerate() {
        let mut bits = word.swap(0, Ordering::Acquire);
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let vector = word_index * 64 + bit;
            run_vector(vector);
        }
    }
}

fn run_vector(vector: usize) {
    let mut index = 0;
    loop {
        // Clone one handler out at a time: none runs under the table's lock.
        let handler = {
            let vectors = VECTORS.lock();
            vectors.table[vector]
                .as_ref()
                .and_then(|entry| entry.handlers.get(index))
                .map(|(_, handler)| handler.clone())
        };
        let Some(handler) = handler else {
            break;
        };
        handler();
        index += 1;
    }
    let level = LEVEL_GSI[vector].load(Ordering::Acquire);
    if level != 0 {
        ioapic::set_masked(level - 1, false);
    }
}

/// The online CPU of `mask` with the fewest device vectors (the boot CPU when none of `mask`
/// is online).
fn least_loaded_cpu(vectors: &Vectors, mask: u64) -> usize {
    let online = crate::smp::online_mask();
    let candidates = if mask & online != 0 { mask & online } else { 1 };
    let mut loads = [0u32; MAX_CPUS];
    for entry in vectors.table.iter().flatten() {
        loads[entry.cpu % MAX_CPUS] += 1;
    }
    (0..MAX_CPUS)
        .filter(|&cpu| candidates & (1 << cpu) != 0)
        .min_by_key(|&cpu| loads[cpu])
        .unwrap_or(0)
}

/// Registers `handler`: a new vector for an edge-triggered source, or the vector already routed
/// for a level-triggered GSI (shared), else a new one on the least loaded online CPU. Returns
/// the vector, the handler's id and the CPU the caller routes the source to; `route` says how
/// to move it later.
pub(crate) fn allocate_vector(
    handler: IrqHandler,
    trigger: Trigger,
    route: Route,
) -> Result<(u8, u64, usize), Errno> {
    let mut vectors = VECTORS.lock();
    let id = vectors.next_id;
    vectors.next_id += 1;
    if let Trigger::Level { .. } = trigger
        && let Some(vector) = (FIRST_DEVICE_VECTOR..=LAST_DEVICE_VECTOR).find(|&vector| {
            vectors.table[usize::from(vector)]
                .as_ref()
                .is_some_and(|entry| entry.trigger == trigger)
        })
    {
        let entry = vectors.table[usize::from(vector)]
            .as_mut()
            .ok_or(Errno::ENOSPC)?;
        entry.handlers.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        entry.handlers.push((id, handler));
        return Ok((vector, id, entry.cpu));
    }
    let vector = (FIRST_DEVICE_VECTOR..=LAST_DEVICE_VECTOR)
        .find(|&vector| vectors.table[usize::from(vector)].is_none())
        .ok_or(Errno::ENOSPC)?;
    let mut handlers = Vec::new();
    handlers.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    handlers.push((id, handler));
    let cpu = least_loaded_cpu(&vectors, u64::MAX);
    vectors.table[usize::from(vector)] = Some(Vector {
        trigger,
        handlers,
        route,
        affinity: u64::MAX,
        cpu,
    });
    if let Trigger::Level { gsi } = trigger {
        LEVEL_GSI[usize::from(vector)].store(gsi + 1, Ordering::Release);
    }
    Ok((vector, id, cpu))
}

/// The CPUs `vector` may go to (`smp_affinity`, within the possible CPUs) and the one it goes
/// to (`effective_affinity`); `None` for a free vector.
pub fn affinity(vector: u8) -> Option<(u64, usize)> {
    let vectors = VECTORS.lock();
    let entry = vectors.table[usize::from(vector)].as_ref()?;
    Some((entry.affinity & crate::smp::possible_mask(), entry.cpu))
}

/// Lets `vector` go to the CPUs of `mask` (Linux's `irq_set_affinity`): it moves to the least
/// loaded online CPU of the mask, its source steered there. `EINVAL` when no CPU of `mask` is
/// online or the vector is free. Returns the CPU.
pub fn set_affinity(vector: u8, mask: u64) -> Result<usize, Errno> {
    let online = crate::smp::online_mask();
    if mask & online == 0 {
        return Err(Errno::EINVAL);
    }
    let mut vectors = VECTORS.lock();
    let current = vectors.table[usize::from(vector)]
        .as_ref()
        .ok_or(Errno::EINVAL)?
        .cpu;
    let cpu = if mask & (1 << current) != 0 {
        current
    } else {
        least_loaded_cpu(&vectors, mask)
    };
    let entry = vectors.table[usize::from(vector)]
        .as_mut()
        .ok_or(Errno::EINVAL)?;
    entry.affinity = mask;
    if cpu != entry.cpu {
        entry.cpu = cpu;
        let apic_id = crate::smp::apic_id(cpu);
        match &entry.route {
            Route::Msix { table, entry } => table.retarget(*entry, apic_id),
            Route::Ioapic { gsi } => ioapic::set_destination(*gsi, apic_id),
            Route::None => {}
        }
    }
    Ok(cpu)
}

/// Removes handler `id` of `vector`; frees the vector when it was the last. Returns whether the
/// vector is now free.
fn release_vector(vector: u8, id: u64) -> bool {
    let mut vectors = VECTORS.lock();
    let slot = &mut vectors.table[usize::from(vector)];
    let removed = slot.as_mut().map(|entry| {
        entry.handlers.retain(|(handler_id, _)| *handler_id != id);
        entry.handlers.is_empty()
    });
    if removed == Some(true) {
        // Dropping the last handler here is fine: it is an `Arc` whose value the driver owns.
        let old = slot.take();
        LEVEL_GSI[usize::from(vector)].store(0, Ordering::Release);
        drop(vectors);
        drop(old);
        return true;
    }
    false
}

/// Device interrupts taken on `vector` since boot, on every CPU.
pub fn count(vector: u8) -> u64 {
    COUNTS
        .iter()
        .map(|counts| counts[usize::from(vector)].load(Ordering::Relaxed))
        .sum()
}

/// Device interrupts taken on `vector` by CPU `cpu` since boot.
pub fn count_on(vector: u8, cpu: usize) -> u64 {
    COUNTS.get(cpu).map_or(0, |counts| {
        counts[usize::from(vector)].load(Ordering::Relaxed)
    })
}

/// Local timer interrupts taken by CPU `cpu` since boot.
pub fn local_timer_count(cpu: usize) -> u64 {
    LOCAL_TIMER
        .get(cpu)
        .map_or(0, |count| count.load(Ordering::Relaxed))
}

enum Source {
    Test,
    Msix { entry: u16, table: Arc<MsixTable> },
    Intx { gsi: u32 },
}

/// How `/proc/interrupts` names a line, as Linux would: its IRQ number, chip, hardware number
/// and flow handler (`25: … PCI-MSI 65537-edge`, `11: … IO-APIC 11-fasteoi`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqName {
    pub irq: u32,
    pub chip: &'static str,
    pub hwirq: u64,
    pub flow: &'static str,
}

/// Linux's first IRQ number after the I/O APIC's 24 pins, where MSI numbers start.
const FIRST_MSI_IRQ: u32 = 24;
static NEXT_MSI_IRQ: AtomicU32 = AtomicU32::new(FIRST_MSI_IRQ);

/// The next Linux-style IRQ number for an MSI (never reused, as a name only).
pub(crate) fn next_msi_irq() -> u32 {
    NEXT_MSI_IRQ.fetch_add(1, Ordering::Relaxed)
}

/// A registered device interrupt (Linux's `request_irq`); dropping it is `free_irq`.
pub struct IrqLine {
    vector: u8,
    id: u64,
    source: Source,
    name: IrqName,
}

impl IrqLine {
    pub(crate) fn new_msix(
        vector: (u8, u64),
        entry: u16,
        table: Arc<MsixTable>,
        name: IrqName,
    ) -> IrqLine {
        IrqLine {
            vector: vector.0,
            id: vector.1,
            source: Source::Msix { entry, table },
            name,
        }
    }

    pub(crate) fn new_intx(vector: (u8, u64), gsi: u32) -> IrqLine {
        IrqLine {
            vector: vector.0,
            id: vector.1,
            source: Source::Intx { gsi },
            name: IrqName {
                irq: gsi,
                chip: "IO-APIC",
                hwirq: u64::from(gsi),
                flow: "fasteoi",
            },
        }
    }

    /// A line with no device behind it, for hal's tests.
    pub(crate) fn new_test(vector: u8, id: u64) -> IrqLine {
        IrqLine {
            vector,
            id,
            source: Source::Test,
            name: IrqName {
                irq: 0,
                chip: "test",
                hwirq: 0,
                flow: "edge",
            },
        }
    }

    /// How `/proc/interrupts` names it.
    pub fn name(&self) -> IrqName {
        self.name
    }

    /// The CPU vector (what `/proc/interrupts` names).
    pub fn vector(&self) -> u8 {
        self.vector
    }

    /// The MSI-X table entry this line uses, which the driver tells its device; `None` for
    /// INTx.
    pub fn msix_entry(&self) -> Option<u16> {
        match &self.source {
            Source::Msix { entry, .. } => Some(*entry),
            Source::Intx { .. } | Source::Test => None,
        }
    }

    /// The GSI of an INTx line.
    pub fn gsi(&self) -> Option<u32> {
        match &self.source {
            Source::Msix { .. } | Source::Test => None,
            Source::Intx { gsi } => Some(*gsi),
        }
    }

    /// Interrupts taken on this line's vector since boot.
    pub fn count(&self) -> u64 {
        count(self.vector)
    }
}

impl Drop for IrqLine {
    fn drop(&mut self) {
        if let Source::Msix { entry, table } = &self.source {
            table.release(*entry);
        }
        if release_vector(self.vector, self.id)
            && let Source::Intx { gsi } = self.source
        {
            ioapic::set_masked(gsi, true);
        }
    }
}
