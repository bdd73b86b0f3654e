//! A radix tree from page index to value: the index of one file's page cache (Linux's xarray in
//! `address_space.i_pages`, which is also a 64-way radix tree).
//!
//! Each node has 64 slots; a tree of height `h` covers indices below `64^h`, and grows a level
//! at the top when a larger index arrives. Lookups and inserts cost `h` steps (at most 11 for
//! 64-bit indices, 3 for a file of 1 GiB), nodes exist only where pages do, and a node is freed
//! as its last slot empties, so a sparse file costs little. Every node is allocated fallibly:
//! [`PageIndex::try_insert`] hands the value back when memory runs out, so a page-cache insert
//! can fail with `ENOMEM` instead of aborting the kernel. A B-tree (`BTreeMap`) would have done
//! the job but cannot report allocation failure.

use alloc::vec::Vec;

/// Bits of the index consumed per level.
const SHIFT: u32 = 6;
/// Slots per node.
const FANOUT: usize = 1 << SHIFT;
/// Most levels a 64-bit index needs.
const MAX_HEIGHT: u32 = u64::BITS.div_ceil(SHIFT);

enum Slot<T> {
    Leaf(T),
    Inner(Node<T>),
}

struct Node<T> {
    /// `FANOUT` entries, allocated once with `try_reserve_exact`.
    slots: Vec<Option<Slot<T>>>,
    /// Occupied slots, so emptied nodes are freed without a scan.
    used: usize,
}

impl<T> Node<T> {
    fn try_new() -> Option<Node<T>> {
        let mut slots = Vec::new();
        slots.try_reserve_exact(FANOUT).ok()?;
        slots.resize_with(FANOUT, || None);
        Some(Node { slots, used: 0 })
    }
}

/// Slot of `index` in a node at `level` (0: the leaves' level).
fn slot_of(index: u64, level: u32) -> usize {
    ((index >> (level * SHIFT)) as usize) & (FANOUT - 1)
}

/// Map from page index (`u64`) to `T`.
pub struct PageIndex<T> {
    root: Option<Node<T>>,
    /// Levels below and including the root; the tree holds indices `< 64^height`.
    height: u32,
    len: usize,
}

impl<T> Default for PageIndex<T> {
    fn default() -> Self {
        PageIndex::new()
    }
}

impl<T> PageIndex<T> {
    /// An empty index.
    pub const fn new() -> PageIndex<T> {
        PageIndex {
            root: None,
            height: 0,
            len: 0,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `index` fits under the current height.
    fn covers(&self, index: u64) -> bool {
        self.height >= MAX_HEIGHT || index >> (self.height * SHIFT) == 0
    }

    /// The value at `index`.
    pub fn get(&self, index: u64) -> Option<&T> {
        if !self.covers(index) {
            return None;
        }
        let mut node = self.root.as_ref()?;
        let mut level = self.height - 1;
        loop {
            match node.slots[slot_of(index, level)].as_ref()? {
                Slot::Leaf(value) => return Some(value),
                Slot::Inner(child) => {
                    node = child;
                    level -= 1;
                }
            }
        }
    }

    /// Stores `value` at `index`, returning the value it replaces; `Err(value)` when a node
    /// cannot be allocated (the index is then unchanged apart from empty levels it may keep).
    pub fn try_insert(&mut self, index: u64, value: T) -> Result<Option<T>, T> {
        // Grow at the top until the index fits: the old root becomes slot 0 of a new root.
        while !self.covers(index) || self.root.is_none() {
            let Some(mut root) = Node::try_new() else {
                return Err(value);
            };
            if let Some(old) = self.root.take()
                && old.used > 0
            {
                root.slots[0] = Some(Slot::Inner(old));
                root.used = 1;
            }
            self.root = Some(root);
            self.height += 1;
        }
        let mut level = self.height - 1;
        let Some(mut node) = self.root.as_mut() else {
            return Err(value);
        };
        while level > 0 {
            let slot = slot_of(index, level);
            if node.slots[slot].is_none() {
                let Some(child) = Node::try_new() else {
                    return Err(value);
                };
                node.slots[slot] = Some(Slot::Inner(child));
                node.used += 1;
            }
            node = match node.slots[slot].as_mut() {
                Some(Slot::Inner(child)) => child,
                _ => return Err(value),
            };
            level -= 1;
        }
        let slot = &mut node.slots[slot_of(index, 0)];
        let old = slot.replace(Slot::Leaf(value));
        match old {
            Some(Slot::Leaf(old)) => Ok(Some(old)),
            _ => {
                node.used += 1;
                self.len += 1;
                Ok(None)
            }
        }
    }

    /// Removes and returns the value at `index`, freeing nodes that empty.
    pub fn remove(&mut self, index: u64) -> Option<T> {
        if !self.covers(index) {
            return None;
        }
        let height = self.height;
        let root = self.root.as_mut()?;
        let removed = remove_in(root, index, height - 1)?;
        self.len -= 1;
        if root.used == 0 {
            self.root = None;
            self.height = 0;
        }
        Some(removed)
    }

    /// The first entry at or after `index`.
    pub fn next_from(&self, index: u64) -> Option<(u64, &T)> {
        if !self.covers(index) {
            return None;
        }
        next_in(self.root.as_ref()?, index, self.height - 1, 0)
    }

    /// Removes and returns the first entry at or after `index`.
    pub fn pop_from(&mut self, index: u64) -> Option<(u64, T)> {
        let (found, _) = self.next_from(index)?;
        let value = self.remove(found)?;
        Some((found, value))
    }

    /// Calls `visit` for each entry in `[start, end)`, in index order, until it returns `false`.
    pub fn for_each_in(&self, start: u64, end: u64, visit: &mut dyn FnMut(u64, &T) -> bool) {
        let mut cursor = start;
        while cursor < end {
            let Some((index, value)) = self.next_from(cursor) else {
                return;
            };
            if index >= end || !visit(index, value) {
                return;
            }
            match index.checked_add(1) {
                Some(next) => cursor = next,
                None => return,
            }
        }
    }
}

fn remove_in<T>(node: &mut Node<T>, index: u64, level: u32) -> Option<T> {
    let slot = slot_of(index, level);
    match node.slots[slot].as_mut()? {
        Slot::Leaf(_) => {
            let Some(Slot::Leaf(value)) = node.slots[slot].take() else {
                return None;
            };
            node.used -= 1;
            Some(value)
        }
        Slot::Inner(child) => {
            if level == 0 {
                return None;
            }
            let value = remove_in(child, index, level - 1)?;
            if child.used == 0 {
                node.slots[slot] = None;
                node.used -= 1;
            }
            Some(value)
        }
    }
}

/// The first entry at or after `index` under `node` (at `level`, whose indices start at `base`).
fn next_in<T>(node: &Node<T>, index: u64, level: u32, base: u64) -> Option<(u64, &T)> {
    let span_shift = level * SHIFT;
    let first_slot = if index > base {
        ((index - base) >> span_shift) as usize
    } else {
        0
    };
    for slot in first_slot..FANOUT {
        let slot_base = base + ((slot as u64) << span_shift);
        match node.slots[slot].as_ref() {
            None => {}
            Some(Slot::Leaf(value)) => return Some((slot_base, value)),
            Some(Slot::Inner(child)) => {
                if level == 0 {
                    continue;
                }
                if let Some(found) = next_in(child, index.max(slot_base), level - 1, slot_base) {
                    return Some(found);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn insert_get_remove_across_heights() {
        let mut index = PageIndex::new();
        let keys = [
            0u64,
            1,
            63,
            64,
            4095,
            4096,
            1 << 30,
            u64::MAX,
            u64::MAX - 1,
            77,
        ];
        for (n, &key) in keys.iter().enumerate() {
            assert_eq!(index.try_insert(key, n).ok(), Some(None));
        }
        assert_eq!(index.len(), keys.len());
        for (n, &key) in keys.iter().enumerate() {
            assert_eq!(index.get(key), Some(&n));
        }
        assert_eq!(index.get(2), None);
        assert_eq!(index.get(1 << 31), None);
        assert_eq!(index.try_insert(64, 100).ok(), Some(Some(3)));
        assert_eq!(index.len(), keys.len());
        for &key in &keys {
            assert!(index.remove(key).is_some());
            assert_eq!(index.get(key), None);
        }
        assert!(index.is_empty());
        assert!(index.root.is_none());
    }

    #[test]
    fn next_and_pop_walk_in_order() {
        let mut index = PageIndex::new();
        let keys = [5u64, 6, 200, 4100, 1 << 40];
        for &key in &keys {
            index.try_insert(key, key).ok();
        }
        assert_eq!(index.next_from(0).map(|(k, _)| k), Some(5));
        assert_eq!(index.next_from(7).map(|(k, _)| k), Some(200));
        assert_eq!(index.next_from(201).map(|(k, _)| k), Some(4100));
        assert_eq!(index.next_from(4101).map(|(k, _)| k), Some(1 << 40));
        assert_eq!(index.next_from((1 << 40) + 1), None);
        let mut seen = Vec::new();
        index.for_each_in(6, 5000, &mut |k, _| {
            seen.push(k);
            true
        });
        assert_eq!(seen, [6, 200, 4100]);
        let mut popped = Vec::new();
        while let Some((k, v)) = index.pop_from(6) {
            assert_eq!(k, v);
            popped.push(k);
        }
        assert_eq!(popped, [6, 200, 4100, 1 << 40]);
        assert_eq!(index.len(), 1);
        assert_eq!(index.get(5), Some(&5));
    }

    #[test]
    fn agrees_with_a_btree_map_on_a_pseudo_random_workload() {
        let mut index = PageIndex::new();
        let mut model = BTreeMap::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for step in 0..20_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let key = match state % 4 {
                0 => state % 64,
                1 => state % 5000,
                2 => state % (1 << 20),
                _ => state >> (state % 64),
            };
            if state.is_multiple_of(3) {
                assert_eq!(index.remove(key), model.remove(&key));
            } else {
                assert_eq!(
                    index.try_insert(key, step).ok(),
                    Some(model.insert(key, step))
                );
            }
            if step % 997 == 0 {
                let from = state % 6000;
                assert_eq!(
                    index.next_from(from).map(|(k, v)| (k, *v)),
                    model.range(from..).next().map(|(k, v)| (*k, *v))
                );
            }
        }
        assert_eq!(index.len(), model.len());
        for (key, value) in &model {
            assert_eq!(index.get(*key), Some(value));
        }
    }
}
