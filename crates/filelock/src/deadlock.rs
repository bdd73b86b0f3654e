//! `F_SETLKW`'s deadlock check (Linux 6.1 `posix_locks_deadlock`, `what_owner_is_waiting_for`,
//! the global `blocked_hash`).
//!
//! A [`WaitGraph`] records, for every sleeping POSIX lock request, its owner and the owner of
//! the lock it waits for. Before a request sleeps on a lock held by `blocker`, the walk goes
//! from `blocker` to what `blocker` itself waits for, and so on: reaching the requester means
//! the two would wait for each other forever (`EDEADLK`). As in Linux the walk stops after
//! `MAX_DEADLK_ITERATIONS` steps (a long chain is taken as no deadlock). OFD locks take part
//! only as Linux lets them: an OFD request is never refused with `EDEADLK`, and a wait on an
//! OFD lock is not recorded (the caller decides both); a wait *by* an OFD request on a POSIX
//! lock is recorded, so a chain may pass through it.

use alloc::vec::Vec;

/// `MAX_DEADLK_ITERATIONS`.
pub const MAX_DEADLK_ITERATIONS: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Edge<O> {
    token: u64,
    waiter: O,
    blocker: O,
    key: u64,
}

/// Who waits for whom, across every file.
#[derive(Debug)]
pub struct WaitGraph<O> {
    edges: Vec<Edge<O>>,
}

impl<O> Default for WaitGraph<O> {
    fn default() -> Self {
        WaitGraph::new()
    }
}

impl<O> WaitGraph<O> {
    /// An empty graph (usable in a `static`).
    pub const fn new() -> WaitGraph<O> {
        WaitGraph { edges: Vec::new() }
    }
}

impl<O: Copy + Eq> WaitGraph<O> {
    /// Whether `caller` waiting for a lock held by `blocker` closes a cycle.
    pub fn would_deadlock(&self, caller: O, blocker: O) -> bool {
        let mut current = blocker;
        let mut steps = 0;
        while let Some(next) = self
            .edges
            .iter()
            .find(|edge| edge.waiter == current)
            .map(|edge| edge.blocker)
        {
            if steps > MAX_DEADLK_ITERATIONS {
                return false;
            }
            steps += 1;
            if next == caller {
                return true;
            }
            current = next;
        }
        false
    }

    /// Records that request `token` of `waiter` sleeps on a lock of `blocker` on file `key`;
    /// `false` if there is no memory (the caller then sleeps unrecorded).
    pub fn insert(&mut self, token: u64, waiter: O, blocker: O, key: u64) -> bool {
        self.remove(token);
        if self.edges.try_reserve(1).is_err() {
            return false;
        }
        self.edges.push(Edge {
            token,
            waiter,
            blocker,
            key,
        });
        true
    }

    /// Forgets request `token` (it was granted, interrupted or refused).
    pub fn remove(&mut self, token: u64) {
        self.edges.retain(|edge| edge.token != token);
    }

    /// Forgets the waits on `blocker`'s locks of file `key`: they changed, so those requests
    /// look again (`__locks_wake_up_blocks` unhashes the waiters it wakes).
    pub fn remove_blocked_by(&mut self, blocker: O, key: u64) {
        self.edges
            .retain(|edge| !(edge.blocker == blocker && edge.key == key));
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_owners_waiting_for_each_other() {
        let mut graph = WaitGraph::default();
        // A (1) waits for B (2).
        assert!(!graph.would_deadlock(1, 2));
        assert!(graph.insert(100, 1, 2, 7));
        // B now asks for a lock A holds: deadlock.
        assert!(graph.would_deadlock(2, 1));
        // C (3) asking for A's lock is fine.
        assert!(!graph.would_deadlock(3, 1));
        graph.remove(100);
        assert!(!graph.would_deadlock(2, 1));
        assert!(graph.is_empty());
    }

    #[test]
    fn longer_cycles_are_found() {
        let mut graph = WaitGraph::default();
        graph.insert(1, 1, 2, 0);
        graph.insert(2, 2, 3, 0);
        graph.insert(3, 3, 4, 0);
        assert!(graph.would_deadlock(4, 1));
        assert!(!graph.would_deadlock(5, 1));
    }

    #[test]
    fn the_walk_gives_up_after_max_iterations() {
        // A chain 1 -> 2 -> ... -> n; the caller n asks for 1's lock.
        for length in [10u32, 11, 12, 13, 14] {
            let mut graph = WaitGraph::default();
            for owner in 1..length {
                graph.insert(u64::from(owner), owner, owner + 1, 0);
            }
            // Steps from 1 to `length`: length - 1 hops.
            let found = graph.would_deadlock(length, 1);
            assert_eq!(found, length - 1 <= MAX_DEADLK_ITERATIONS + 1, "{length}");
        }
    }

    #[test]
    fn a_cycle_not_through_the_caller_ends() {
        let mut graph = WaitGraph::default();
        graph.insert(1, 1, 2, 0);
        graph.insert(2, 2, 1, 0);
        assert!(!graph.would_deadlock(3, 1));
    }

    #[test]
    fn changes_of_a_blocker_forget_its_waiters_on_that_file() {
        let mut graph = WaitGraph::default();
        graph.insert(1, 1, 2, 7);
        graph.insert(2, 3, 2, 8);
        graph.remove_blocked_by(2, 7);
        assert!(!graph.would_deadlock(2, 1));
        assert!(graph.would_deadlock(2, 3));
    }
}
