//! The lock-order checker (a small lockdep), on with the `lockdep` feature (`cargo xtask test`
//! builds with it; release and bench builds leave it out, and every hook below is then empty).
//!
//! Every lock has a class: the static name given to its constructor (`"pipe.state"`), shared
//! by all locks of that kind. Each execution context (thread) keeps the stack of locks it holds
//! (`task.rs` stores it; before the first context exists, a per-CPU stack is used). Taking a
//! lock records, for each held lock, the edge "held class before new class" in one global
//! graph (`lockorder` crate, host-tested); if the opposite order was seen before — now or
//! through a chain of other classes — the kernel panics naming both classes and the chain, so
//! the test run fails even if the deadlock did not happen this time. Taking a lock the thread
//! already holds panics too (it would spin or sleep forever), as does returning to user space
//! with a lock held. `try_` acquisitions add no edge and may nest a lock already held (they
//! cannot wait), but are held.
//!
//! Not done (Linux's lockdep does these): read/write distinctions (a read acquisition counts
//! as a write), IRQ-safety inversions, nested classes (two locks of one class are not ordered).

use core::fmt;
#[cfg(feature = "lockdep")]
pub(crate) use imp::HeldStack;

/// Calls `f(held, acquired)` for every order the checker has seen ("`acquired` was taken while
/// `held` was held"), for reports of the lock order (`ferrux.lockdep_dump=1`).
#[cfg(feature = "lockdep")]
pub fn for_each_order(mut f: impl FnMut(&'static str, &'static str)) {
    // Copied out first: `f` may log, and logging takes a tracked lock.
    let mut edges = alloc::vec::Vec::new();
    {
        let state = imp::STATE.lock();
        for (held, acquired) in state.graph.edges() {
            if edges.try_reserve(1).is_err() {
                break;
            }
            edges.push((state.classes.name(held), state.classes.name(acquired)));
        }
    }
    for (held, acquired) in edges {
        f(held, acquired);
    }
}

/// Runs `f` as the checker would see it in a context of its own: the locks `f` takes are
/// ordered against each other, not against those the caller holds (which stay held, and may
/// not be released inside). For work Linux hands to a worker thread that the caller waits for
/// (a loop device's I/O on its backing file runs in the loop's workqueue, holding none of the
/// submitter's locks), so that a stack of devices, each taking the same classes of locks for
/// the one below, is not a cycle. Sleeping-context checks are not affected. Without the
/// `lockdep` feature: `f()`.
pub fn in_separate_context<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(feature = "lockdep")]
    {
        let floor = crate::task::with_held_locks(|stack| {
            core::mem::replace(&mut stack.floor, stack.held.len())
        });
        let result = f();
        crate::task::with_held_locks(|stack| stack.floor = floor.min(stack.held.len()));
        result
    }
    #[cfg(not(feature = "lockdep"))]
    f()
}

/// A lock's class for the checker: zero-sized without the `lockdep` feature.
pub(crate) struct LockClass {
    #[cfg(feature = "lockdep")]
    name: &'static str,
    /// The interned class id plus one (0: not interned yet).
    #[cfg(feature = "lockdep")]
    id: core::sync::atomic::AtomicU16,
}

impl LockClass {
    #[cfg_attr(not(feature = "lockdep"), allow(unused_variables))]
    pub(crate) const fn new(name: &'static str) -> LockClass {
        LockClass {
            #[cfg(feature = "lockdep")]
            name,
            #[cfg(feature = "lockdep")]
            id: core::sync::atomic::AtomicU16::new(0),
        }
    }

    /// Checks and records the acquisition of the lock at `address` (before waiting for it,
    /// so that a deadlock is reported instead of hanging).
    #[inline]
    #[cfg_attr(feature = "lockdep", track_caller)]
    #[cfg_attr(not(feature = "lockdep"), allow(unused_variables))]
    pub(crate) fn acquire(&self, address: usize, is_try: bool) {
        #[cfg(feature = "lockdep")]
        imp::acquire(self, address, is_try, core::panic::Location::caller());
    }

    /// Forgets the lock at `address` from the held stack.
    #[inline]
    #[cfg_attr(not(feature = "lockdep"), allow(unused_variables))]
    pub(crate) fn release(&self, address: usize) {
        #[cfg(feature = "lockdep")]
        imp::release(self, address);
    }
}

/// Panics if the running context holds any lock (with lockdep; nothing otherwise).
#[inline]
#[cfg_attr(not(feature = "lockdep"), allow(unused_variables))]
pub(crate) fn assert_none_held(what: &str) {
    #[cfg(feature = "lockdep")]
    imp::assert_none_held(what);
}

/// Formats the running context's held locks as lines for a panic message (empty without
/// lockdep).
pub(crate) struct HeldLocksReport;

impl fmt::Display for HeldLocksReport {
    #[cfg_attr(not(feature = "lockdep"), allow(unused_variables))]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[cfg(feature = "lockdep")]
        imp::write_held(f)?;
        Ok(())
    }
}

#[cfg(feature = "lockdep")]
mod imp {
    use super::LockClass;
    use crate::sync::spinlock::RawSpinLock;
    use core::fmt;
    use core::panic::Location;
    use core::sync::atomic::Ordering;
    use lockorder::{ClassId, Classes, Cycle, EdgeCache, Held, HeldError, HeldLocks, OrderGraph};

    /// What the checker remembers of a held lock: its name and where it was taken.
    pub(crate) type Site = (&'static str, &'static Location<'static>);
    /// Locks one context can hold at once.
    const MAX_HELD: usize = 32;

    /// One context's lock state: its held locks, and the orders it has already had checked
    /// (so the common case takes no global lock).
    #[derive(Default)]
    pub(crate) struct HeldStack {
        pub(super) held: HeldLocks<Site, MAX_HELD>,
        known_edges: EdgeCache,
        /// Held locks below this index belong to a caller of `in_separate_context`: new
        /// acquisitions are not ordered against them.
        pub(super) floor: usize,
    }

    impl HeldStack {
        pub(crate) const fn new() -> HeldStack {
            HeldStack {
                held: HeldLocks::new(),
                known_edges: EdgeCache::new(),
                floor: 0,
            }
        }
    }

    /// No kernel code runs in interrupt context, so the checker skips whatever runs there
    /// (hal's own handlers): the held stack belongs to the interrupted thread.
    fn is_skipped() -> bool {
        crate::sync::in_interrupt()
    }

    pub(super) struct State {
        pub(super) classes: Classes,
        pub(super) graph: OrderGraph,
    }

    pub(super) static STATE: RawSpinLock<State> = RawSpinLock::new(State {
        classes: Classes::new(),
        graph: OrderGraph::new(),
    });

    fn class_id(class: &LockClass) -> ClassId {
        let cached = class.id.load(Ordering::Relaxed);
        if cached != 0 {
            return ClassId::from_index(usize::from(cached - 1));
        }
        let id = STATE.lock().classes.intern(class.name);
        let Some(id) = id else {
            panic!(
                "lockdep: more than {} lock classes (at `{}`)",
                lockorder::MAX_CLASSES,
                class.name
            );
        };
        class.id.store(id.index() as u16 + 1, Ordering::Relaxed);
        id
    }

    enum Violation {
        Recursive(Held<Site>),
        Overflow,
        Cycle(Cycle, Held<Site>),
    }

    pub(super) fn acquire(
        class: &LockClass,
        address: usize,
        is_try: bool,
        location: &'static Location<'static>,
    ) {
        if is_skipped() {
            return;
        }
        let id = class_id(class);
        let result = crate::task::with_held_locks(|stack| {
            let HeldStack {
                held,
                known_edges,
                floor,
            } = stack;
            if !is_try {
                for (index, earlier) in held.iter().enumerate() {
                    if earlier.address == address {
                        return Err(Violation::Recursive(*earlier));
                    }
                    if index < *floor
                        || earlier.class == id
                        || known_edges.contains(earlier.class, id)
                    {
                        continue;
                    }
                    if let Err(cycle) = STATE.lock().graph.record(earlier.class, id) {
                        return Err(Violation::Cycle(cycle, *earlier));
                    }
                    known_edges.insert(earlier.class, id);
                }
            }
            let entry = Held {
                class: id,
                address,
                location: (class.name, location),
            };
            // A try acquisition cannot wait, so it may nest a lock already held (a reader).
            let pushed = if is_try {
                held.push_again(entry)
            } else {
                held.push(entry)
            };
            pushed.map_err(|error| match error {
                HeldError::Recursive(earlier) => Violation::Recursive(earlier),
                HeldError::Overflow => Violation::Overflow,
            })
        });
        match result {
            Ok(()) => {}
            Err(Violation::Recursive(earlier)) => panic!(
                "lockdep: possible recursive locking: `{}` taken at {location}, already held \
                 (taken at {})",
                class.name, earlier.location.1
            ),
            Err(Violation::Overflow) => panic!(
                "lockdep: more than {MAX_HELD} locks held, taking `{}` at {location}",
                class.name
            ),
            Err(Violation::Cycle(cycle, earlier)) => panic!(
                "lockdep: possible circular locking dependency: taking `{}` at {location} \
                 while holding `{}` (taken at {}), but the opposite order was seen before: {}{}",
                class.name,
                earlier.location.0,
                earlier.location.1,
                ChainReport(cycle),
                super::HeldLocksReport
            ),
        }
    }

    pub(super) fn release(class: &LockClass, address: usize) {
        if is_skipped() {
            return;
        }
        let removed = crate::task::with_held_locks(|stack| stack.held.remove(address));
        if removed.is_none() {
            panic!(
                "lockdep: releasing `{}`, which this context does not hold",
                class.name
            );
        }
    }

    pub(super) fn assert_none_held(what: &str) {
        let count = crate::task::with_held_locks(|stack| stack.held.len());
        if count != 0 {
            panic!("lockdep: lock held when {what}{}", super::HeldLocksReport);
        }
    }

    /// The chain of classes of a cycle, `a -> b -> c`.
    struct ChainReport(Cycle);

    impl fmt::Display for ChainReport {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            // Names are copied out first: formatting must not hold the table's lock.
            let mut names: [&'static str; lockorder::MAX_CHAIN] = [""; lockorder::MAX_CHAIN];
            let chain = self.0.chain();
            {
                let state = STATE.lock();
                for (name, id) in names.iter_mut().zip(chain) {
                    *name = state.classes.name(*id);
                }
            }
            for (i, name) in names[..chain.len()].iter().enumerate() {
                if i > 0 {
                    f.write_str(" -> ")?;
                }
                write!(f, "`{name}`")?;
            }
            Ok(())
        }
    }

    pub(super) fn write_held(f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_skipped() {
            return Ok(());
        }
        let mut sites: [Option<Site>; MAX_HELD] = [None; MAX_HELD];
        crate::task::with_held_locks(|stack| {
            for (slot, entry) in sites.iter_mut().zip(stack.held.iter()) {
                *slot = Some(entry.location);
            }
        });
        if sites[0].is_none() {
            return Ok(());
        }
        f.write_str("\nheld locks:")?;
        for (i, (name, location)) in sites.iter().flatten().enumerate() {
            write!(f, "\n  #{i}: `{name}` taken at {location}")?;
        }
        Ok(())
    }
}
