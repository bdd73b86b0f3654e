//! The logic of Ferrux's lock-order checker (a small lockdep, Linux's `kernel/locking/lockdep.c`),
//! kept free of hardware so that `cargo test` checks it on the host.
//!
//! - [`Classes`] interns lock-class names (`"pipe.state"`, `"mm"`…) into small [`ClassId`]s. A
//!   class stands for every lock created with that name, as a lockdep class stands for every
//!   lock initialised at one place.
//! - [`OrderGraph`] records "A was held while B was taken" edges between classes and keeps
//!   their transitive closure, so taking B while holding A is refused at once when B already
//!   comes before A (the [`Cycle`] names the chain). Nesting two locks of one class is not
//!   recorded (Linux needs `_nested` annotations for that; Ferrux's checker simply ignores it).
//! - [`HeldLocks`] is one thread's stack of held locks (which may be released out of order).
//!
//! Everything is fixed-size (no allocation): hal uses it with interrupts off, under a raw spin
//! lock, from inside every lock acquisition. hal's `sync::lockdep` is the glue; this crate only
//! decides.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

/// Lock classes the checker can tell apart.
pub const MAX_CLASSES: usize = 256;
const WORDS: usize = MAX_CLASSES / 64;
/// Longest chain a [`Cycle`] reports.
pub const MAX_CHAIN: usize = 16;

/// A lock class: an index into [`Classes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassId(u16);

impl ClassId {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The id with index `index` (as [`ClassId::index`] gave it). Panics beyond
    /// [`MAX_CLASSES`].
    pub fn from_index(index: usize) -> ClassId {
        assert!(index < MAX_CLASSES, "class index {index} out of range");
        ClassId(index as u16)
    }
}

/// The class-name table: an open-addressed hash from name to id.
pub struct Classes {
    names: [Option<&'static str>; MAX_CLASSES],
    /// Hash slot → id + 1 (0 = empty).
    slots: [u16; MAX_CLASSES * 2],
    count: usize,
}

impl Default for Classes {
    fn default() -> Self {
        Self::new()
    }
}

fn fnv1a(name: &str) -> usize {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash as usize
}

impl Classes {
    pub const fn new() -> Classes {
        Classes {
            names: [None; MAX_CLASSES],
            slots: [0; MAX_CLASSES * 2],
            count: 0,
        }
    }

    /// The id of `name`, assigning the next one on first sight; `None` when the table is full.
    pub fn intern(&mut self, name: &'static str) -> Option<ClassId> {
        let mut slot = fnv1a(name) % self.slots.len();
        loop {
            match self.slots[slot] {
                0 => break,
                entry => {
                    let id = entry - 1;
                    if self.names[usize::from(id)] == Some(name) {
                        return Some(ClassId(id));
                    }
                }
            }
            slot = (slot + 1) % self.slots.len();
        }
        if self.count == MAX_CLASSES {
            return None;
        }
        let id = self.count as u16;
        self.names[self.count] = Some(name);
        self.slots[slot] = id + 1;
        self.count += 1;
        Some(ClassId(id))
    }

    /// The name of a class.
    pub fn name(&self, id: ClassId) -> &'static str {
        self.names[id.index()].unwrap_or("?")
    }

    /// Classes seen so far.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

#[derive(Clone, Copy)]
struct Bits([u64; WORDS]);

impl Bits {
    const EMPTY: Bits = Bits([0; WORDS]);

    fn has(&self, id: ClassId) -> bool {
        self.0[id.index() / 64] & (1 << (id.index() % 64)) != 0
    }

    fn set(&mut self, id: ClassId) {
        self.0[id.index() / 64] |= 1 << (id.index() % 64);
    }

    fn union(&mut self, other: &Bits) {
        for (word, other) in self.0.iter_mut().zip(other.0.iter()) {
            *word |= other;
        }
    }
}

/// Taking `acquired` while holding `held` closes a cycle: `chain` is the order seen before,
/// `acquired` → … → `held` (each taken while holding the previous one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cycle {
    pub held: ClassId,
    pub acquired: ClassId,
    chain: [ClassId; MAX_CHAIN],
    chain_len: usize,
}

impl Cycle {
    /// The earlier order, from `acquired` to `held` (truncated to [`MAX_CHAIN`] classes).
    pub fn chain(&self) -> &[ClassId] {
        &self.chain[..self.chain_len]
    }
}

/// The observed "held before" relation between classes.
pub struct OrderGraph {
    /// `after[a]`: classes taken while a lock of class `a` was held (direct edges).
    after: [Bits; MAX_CLASSES],
    /// `reach[a]`: every class reachable from `a` (transitive closure of `after`).
    reach: [Bits; MAX_CLASSES],
    edges: usize,
}

impl Default for OrderGraph {
    fn default() -> Self {
        Self::new()
    }
}

impl OrderGraph {
    pub const fn new() -> OrderGraph {
        OrderGraph {
            after: [Bits::EMPTY; MAX_CLASSES],
            reach: [Bits::EMPTY; MAX_CLASSES],
            edges: 0,
        }
    }

    /// Edges recorded so far.
    pub fn edge_count(&self) -> usize {
        self.edges
    }

    /// Every recorded edge `(held, acquired)`, by held class then acquired class.
    pub fn edges(&self) -> impl Iterator<Item = (ClassId, ClassId)> + '_ {
        (0..MAX_CLASSES).flat_map(move |held| {
            (0..MAX_CLASSES)
                .filter(move |&acquired| self.after[held].has(ClassId(acquired as u16)))
                .map(move |acquired| (ClassId(held as u16), ClassId(acquired as u16)))
        })
    }

    /// Whether `later` has been taken (directly or through a chain) while `earlier` was held.
    pub fn is_ordered(&self, earlier: ClassId, later: ClassId) -> bool {
        self.reach[earlier.index()].has(later)
    }

    /// Records that `acquired` is being taken while `held` is held. `Err` if the opposite order
    /// was seen before (a possible deadlock); nothing is recorded then.
    pub fn record(&mut self, held: ClassId, acquired: ClassId) -> Result<(), Cycle> {
        if held == acquired || self.after[held.index()].has(acquired) {
            return Ok(());
        }
        if self.reach[acquired.index()].has(held) {
            return Err(self.cycle(held, acquired));
        }
        self.after[held.index()].set(acquired);
        self.edges += 1;
        let mut added = self.reach[acquired.index()];
        added.set(acquired);
        for class in 0..MAX_CLASSES {
            if class == held.index() || self.reach[class].has(held) {
                self.reach[class].union(&added);
            }
        }
        Ok(())
    }

    /// A shortest chain `acquired` → … → `held` along direct edges (breadth first).
    fn cycle(&self, held: ClassId, acquired: ClassId) -> Cycle {
        let mut previous = [u16::MAX; MAX_CLASSES];
        let mut queue = [0u16; MAX_CLASSES];
        let (mut head, mut tail) = (0, 1);
        queue[0] = acquired.0;
        previous[acquired.index()] = acquired.0;
        while head < tail {
            let from = queue[head];
            head += 1;
            if from == held.0 {
                break;
            }
            for (to, previous_of_to) in previous.iter_mut().enumerate() {
                if *previous_of_to == u16::MAX
                    && self.after[usize::from(from)].has(ClassId(to as u16))
                {
                    *previous_of_to = from;
                    queue[tail] = to as u16;
                    tail += 1;
                }
            }
        }
        // Walk back from `held`, then reverse.
        let mut reversed = [ClassId(0); MAX_CLASSES];
        let mut len = 0;
        let mut at = held.0;
        while len < MAX_CLASSES {
            reversed[len] = ClassId(at);
            len += 1;
            if at == acquired.0 || previous[usize::from(at)] == u16::MAX {
                break;
            }
            at = previous[usize::from(at)];
        }
        let mut chain = [ClassId(0); MAX_CHAIN];
        let chain_len = len.min(MAX_CHAIN);
        for (slot, id) in chain.iter_mut().zip(reversed[..len].iter().rev()) {
            *slot = *id;
        }
        Cycle {
            held,
            acquired,
            chain,
            chain_len,
        }
    }
}

/// Edges known to be in an [`OrderGraph`], so that taking a lock in an order seen before needs
/// no look at the shared graph (and no global lock): a small direct-mapped cache, kept per
/// thread by hal. Edges are never removed from the graph, so a cached edge stays valid.
pub struct EdgeCache {
    /// `held * MAX_CLASSES + acquired + 1` per slot (0: empty).
    slots: [u32; EDGE_CACHE_SLOTS],
}

const EDGE_CACHE_SLOTS: usize = 64;

impl Default for EdgeCache {
    fn default() -> Self {
        Self::new()
    }
}

impl EdgeCache {
    pub const fn new() -> EdgeCache {
        EdgeCache {
            slots: [0; EDGE_CACHE_SLOTS],
        }
    }

    fn key(held: ClassId, acquired: ClassId) -> u32 {
        (held.index() * MAX_CLASSES + acquired.index()) as u32 + 1
    }

    fn slot(key: u32) -> usize {
        (key.wrapping_mul(0x9e37_79b9) >> 26) as usize % EDGE_CACHE_SLOTS
    }

    /// Whether the edge `held` → `acquired` is known to be recorded.
    pub fn contains(&self, held: ClassId, acquired: ClassId) -> bool {
        let key = Self::key(held, acquired);
        self.slots[Self::slot(key)] == key
    }

    /// Remembers that the edge `held` → `acquired` is recorded (evicting another).
    pub fn insert(&mut self, held: ClassId, acquired: ClassId) {
        let key = Self::key(held, acquired);
        self.slots[Self::slot(key)] = key;
    }
}

/// One held lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held<L: Copy> {
    pub class: ClassId,
    /// The lock's address (to find it again on release and to catch self-deadlock).
    pub address: usize,
    /// Where it was taken (hal stores a `&'static Location`).
    pub location: L,
}

/// Why a held lock could not be pushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeldError<L: Copy> {
    /// The same lock is held already (taking it again would deadlock).
    Recursive(Held<L>),
    /// More locks held than the stack has room for.
    Overflow,
}

/// The locks one thread holds, in the order taken.
pub struct HeldLocks<L: Copy, const N: usize> {
    entries: [Option<Held<L>>; N],
    len: usize,
}

impl<L: Copy, const N: usize> Default for HeldLocks<L, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<L: Copy, const N: usize> HeldLocks<L, N> {
    pub const fn new() -> Self {
        HeldLocks {
            entries: [None; N],
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The held locks, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Held<L>> {
        self.entries[..self.len].iter().flatten()
    }

    /// The entry for the lock at `address`, if held.
    pub fn find(&self, address: usize) -> Option<&Held<L>> {
        self.iter().find(|held| held.address == address)
    }

    /// Pushes a newly taken lock.
    pub fn push(&mut self, held: Held<L>) -> Result<(), HeldError<L>> {
        if let Some(already) = self.find(held.address) {
            return Err(HeldError::Recursive(*already));
        }
        if self.len == N {
            return Err(HeldError::Overflow);
        }
        self.entries[self.len] = Some(held);
        self.len += 1;
        Ok(())
    }

    /// Removes the lock at `address` (the most recent one with it); `None` if not held.
    pub fn remove(&mut self, address: usize) -> Option<Held<L>> {
        let index = (0..self.len)
            .rev()
            .find(|&i| self.entries[i].is_some_and(|held| held.address == address))?;
        let removed = self.entries[index].take();
        self.entries.copy_within(index + 1..self.len, index);
        self.len -= 1;
        self.entries[self.len] = None;
        removed
    }
}

#[cfg(test)]
mod tests;
