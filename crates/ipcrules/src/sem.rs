//! A System V semaphore set (`ipc/sem.c` of Linux 6.1) as pure logic.
//!
//! Sleeping operations wait in Linux's queues, and are retried in Linux's order:
//! - a single-operation (simple) waiter that alters its semaphore waits in that semaphore's
//!   `pending_alter` queue, one that waits for zero in its `pending_const` queue;
//! - a multi-operation (complex) waiter waits in the set's global `pending_alter` or
//!   `pending_const` queue; while one does (`complex_count > 0`), new simple altering waiters
//!   join the global queue too, and when the first complex waiter arrives the per-semaphore
//!   altering queues are moved into the global one (`merge_queues`, each semaphore's queue
//!   put in front of the lower ones'); once no complex waiter is left they move back
//!   (`unmerge_queues`, at the end of every locked section).
//!
//! After a change, `do_smart_update` first completes the wait-for-zero waiters of every changed
//! semaphore that is now zero (and then the global ones), then retries the altering waiters: the
//! global queue if it has any, else the queue of each semaphore that was increased (every
//! semaphore after `SETVAL`/`SETALL`/undo). A completed altering waiter restarts the scan when
//! complex waiters remain or it was complex itself (`check_restart`). A waiter whose retry
//! fails (`ERANGE`, or `EAGAIN` from an `IPC_NOWAIT` operation that would now block) is woken
//! with that error.
//!
//! `perform_atomic_semop`: operations apply in order, all or nothing; a wait-for-zero on a
//! non-zero semaphore or a decrement below zero blocks (or is `EAGAIN` with `IPC_NOWAIT` on the
//! operation that blocks), a value above `SEMVMX` or an undo adjustment outside
//! `-(SEMAEM + 1)..=SEMAEM` is `ERANGE`. Undo adjustments live here, one array per undo list
//! (a process, or the processes that share one through `CLONE_SYSVSEM`), so that `SETVAL` and
//! `SETALL` can clear them and the owner's exit can apply them (`exit_sem`: each semaphore
//! clamped to `0..=SEMVMX`).

use abi::Errno;
use abi::ipc::{IPC_NOWAIT, SEM_UNDO, SEMAEM, SEMVMX, SemBuf};
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// One semaphore's value and the last process that changed it (`sempid`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SemValue {
    pub val: i32,
    pub pid: u32,
}

/// A sleeping operation.
struct Waiter<W> {
    handle: W,
    sops: Vec<SemBuf>,
    undo: Option<u64>,
    pid: u32,
    /// The operation that blocked it last (`q->blocking`).
    blocking: usize,
}

#[derive(Default)]
struct SemQueues<W> {
    alter: VecDeque<Waiter<W>>,
    zero: VecDeque<Waiter<W>>,
}

/// One undo list's adjustments for this set (`struct sem_undo`).
struct Undo {
    list: u64,
    adj: Vec<i16>,
}

/// What a semop call came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done (or failed at once: `Err`).
    Done(Result<(), Errno>),
    /// Queued: the caller sleeps until its handle is woken with a result.
    Queued,
}

/// Results for woken waiters, to deliver once the set's lock is released.
pub type Wakes<W> = Vec<(W, Result<(), Errno>)>;

/// Why an operation cannot complete now.
enum Block {
    /// It must wait: the index of the operation that blocks.
    Wait(usize),
    Fail(Errno),
}

/// A semaphore set.
pub struct SemArray<W> {
    vals: Vec<SemValue>,
    queues: Vec<SemQueues<W>>,
    pending_alter: VecDeque<Waiter<W>>,
    pending_zero: VecDeque<Waiter<W>>,
    complex_count: usize,
    undos: Vec<Undo>,
}

/// `perform_atomic_semop` (in its general form, `perform_atomic_semop_slow`): applies `sops`
/// in order or not at all.
fn perform(
    vals: &mut [SemValue],
    undos: &mut [Undo],
    sops: &[SemBuf],
    undo: Option<u64>,
    pid: u32,
) -> Result<(), Block> {
    let mut adj = undo.and_then(|list| undos.iter_mut().find(|u| u.list == list));
    let mut failure = None;
    let mut done = 0;
    for (index, sop) in sops.iter().enumerate() {
        let num = sop.sem_num as usize;
        let op = i32::from(sop.sem_op);
        let current = vals[num].val;
        if (op == 0 && current != 0) || current + op < 0 {
            failure = Some(if sop.sem_flg & IPC_NOWAIT as i16 != 0 {
                Block::Fail(Errno::EAGAIN)
            } else {
                Block::Wait(index)
            });
            break;
        }
        if current + op > SEMVMX {
            failure = Some(Block::Fail(Errno::ERANGE));
            break;
        }
        if sop.sem_flg & SEM_UNDO != 0 {
            let Some(undo) = adj.as_deref_mut() else {
                failure = Some(Block::Fail(Errno::EINVAL));
                break;
            };
            let new = i32::from(undo.adj[num]) - op;
            if !(-SEMAEM - 1..=SEMAEM).contains(&new) {
                failure = Some(Block::Fail(Errno::ERANGE));
                break;
            }
            undo.adj[num] = new as i16;
        }
        vals[num].val = current + op;
        done = index + 1;
    }
    let Some(failure) = failure else {
        for sop in sops {
            vals[sop.sem_num as usize].pid = pid;
        }
        return Ok(());
    };
    for sop in sops[..done].iter().rev() {
        let num = sop.sem_num as usize;
        vals[num].val -= i32::from(sop.sem_op);
        if sop.sem_flg & SEM_UNDO != 0
            && let Some(undo) = adj.as_deref_mut()
        {
            undo.adj[num] = (i32::from(undo.adj[num]) + i32::from(sop.sem_op)) as i16;
        }
    }
    Err(failure)
}

impl<W> SemArray<W> {
    /// A set of `nsems` semaphores at zero; `None` if the memory cannot be had.
    pub fn new(nsems: usize) -> Option<SemArray<W>> {
        let mut vals = Vec::new();
        vals.try_reserve_exact(nsems).ok()?;
        vals.resize(nsems, SemValue::default());
        let mut queues = Vec::new();
        queues.try_reserve_exact(nsems).ok()?;
        queues.resize_with(nsems, || SemQueues {
            alter: VecDeque::new(),
            zero: VecDeque::new(),
        });
        Some(SemArray {
            vals,
            queues,
            pending_alter: VecDeque::new(),
            pending_zero: VecDeque::new(),
            complex_count: 0,
            undos: Vec::new(),
        })
    }

    pub fn len(&self) -> usize {
        self.vals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vals.is_empty()
    }

    pub fn values(&self) -> &[SemValue] {
        &self.vals
    }

    /// Makes sure undo list `list` has adjustments here (`find_alloc_undo`); `ENOMEM` if the
    /// memory cannot be had.
    pub fn ensure_undo(&mut self, list: u64) -> Result<(), Errno> {
        if self.undos.iter().any(|u| u.list == list) {
            return Ok(());
        }
        let mut adj = Vec::new();
        adj.try_reserve_exact(self.vals.len())
            .map_err(|_| Errno::ENOMEM)?;
        adj.resize(self.vals.len(), 0);
        self.undos.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        self.undos.push(Undo { list, adj });
        Ok(())
    }

    /// The adjustments undo list `list` holds here.
    pub fn undo_adjustments(&self, list: u64) -> Option<&[i16]> {
        self.undos
            .iter()
            .find(|u| u.list == list)
            .map(|u| u.adj.as_slice())
    }

    /// `semop`: the caller has checked `sops` (not empty, every `sem_num` in range) and made
    /// sure of its undo entry if an operation has `SEM_UNDO`. Completes the operation, fails
    /// it, or queues `handle`; wakes others into `wakes`. Returns whether `otime` changes.
    pub fn semop(
        &mut self,
        handle: W,
        sops: Vec<SemBuf>,
        undo: Option<u64>,
        pid: u32,
        wakes: &mut Wakes<W>,
    ) -> Result<Outcome, Errno> {
        let alter = sops.iter().any(|sop| sop.sem_op != 0);
        let outcome = match perform(&mut self.vals, &mut self.undos, &sops, undo, pid) {
            Ok(()) => {
                if alter {
                    self.smart_update(Some(&sops), wakes);
                }
                Outcome::Done(Ok(()))
            }
            Err(Block::Fail(errno)) => Outcome::Done(Err(errno)),
            Err(Block::Wait(blocking)) => {
                self.enqueue(Waiter {
                    handle,
                    sops,
                    undo,
                    pid,
                    blocking,
                })?;
                Outcome::Queued
            }
        };
        self.unmerge();
        Ok(outcome)
    }

    fn enqueue(&mut self, waiter: Waiter<W>) -> Result<(), Errno> {
        let alter = waiter.sops.iter().any(|sop| sop.sem_op != 0);
        if waiter.sops.len() == 1 {
            let num = waiter.sops[0].sem_num as usize;
            let queue = if !alter {
                &mut self.queues[num].zero
            } else if self.complex_count > 0 {
                &mut self.pending_alter
            } else {
                &mut self.queues[num].alter
            };
            queue.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            queue.push_back(waiter);
            return Ok(());
        }
        let queue_len = if alter {
            self.pending_alter.len()
        } else {
            self.pending_zero.len()
        };
        if self.complex_count == 0 {
            let moved: usize = self.queues.iter().map(|q| q.alter.len()).sum();
            self.pending_alter
                .try_reserve(moved + 1)
                .map_err(|_| Errno::ENOMEM)?;
            // merge_queues: each semaphore's queue spliced in front of what is there.
            for queue in &mut self.queues {
                while let Some(waiter) = queue.alter.pop_back() {
                    self.pending_alter.push_front(waiter);
                }
            }
        }
        let queue = if alter {
            &mut self.pending_alter
        } else {
            &mut self.pending_zero
        };
        let _ = queue_len;
        queue.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        queue.push_back(waiter);
        self.complex_count += 1;
        Ok(())
    }

    /// `unmerge_queues`: with no complex waiter left, simple altering waiters go back to their
    /// semaphores' queues (in order).
    fn unmerge(&mut self) {
        if self.complex_count > 0 {
            return;
        }
        while let Some(waiter) = self.pending_alter.pop_front() {
            let num = waiter.sops[0].sem_num as usize;
            // Fallible growth: on failure the waiter stays in the global queue, which is
            // scanned whenever it is not empty (the order is the same).
            let queue = &mut self.queues[num].alter;
            if queue.try_reserve(1).is_err() {
                self.pending_alter.push_front(waiter);
                return;
            }
            queue.push_back(waiter);
        }
    }

    /// Takes `handle`'s waiter out of the queues (`unlink_queue`): the caller was interrupted
    /// or timed out. `false` if it is not queued (someone completed it meanwhile).
    pub fn cancel(&mut self, is_mine: impl Fn(&W) -> bool) -> bool {
        let mut found = None;
        for queue in self
            .queues
            .iter_mut()
            .flat_map(|q| [&mut q.alter, &mut q.zero])
            .chain([&mut self.pending_alter, &mut self.pending_zero])
        {
            if let Some(index) = queue.iter().position(|w| is_mine(&w.handle)) {
                found = queue.remove(index);
                break;
            }
        }
        let Some(waiter) = found else {
            return false;
        };
        if waiter.sops.len() > 1 {
            self.complex_count -= 1;
        }
        self.unmerge();
        true
    }

    /// `wake_const_ops`: completes the wait-for-zero waiters of `semnum` (or the global ones).
    fn wake_zero_ops(&mut self, semnum: Option<usize>, wakes: &mut Wakes<W>) -> bool {
        let mut completed = false;
        let mut index = 0;
        loop {
            let queue = match semnum {
                Some(num) => &mut self.queues[num].zero,
                None => &mut self.pending_zero,
            };
            let Some(waiter) = queue.get_mut(index) else {
                return completed;
            };
            match perform(
                &mut self.vals,
                &mut self.undos,
                &waiter.sops,
                waiter.undo,
                waiter.pid,
            ) {
                Err(Block::Wait(blocking)) => {
                    waiter.blocking = blocking;
                    index += 1;
                }
                result => {
                    let waiter = queue.remove(index).expect("index checked above");
                    if waiter.sops.len() > 1 {
                        self.complex_count -= 1;
                    }
                    let result = result.map_err(|block| match block {
                        Block::Fail(errno) => errno,
                        Block::Wait(_) => Errno::EAGAIN,
                    });
                    completed |= result.is_ok();
                    wakes.push((waiter.handle, result));
                }
            }
        }
    }

    /// `do_smart_wakeup_zero`: wait-for-zero waiters of the changed semaphores that are zero
    /// now (all semaphores when `sops` is `None`), then the global ones if any was.
    fn smart_wakeup_zero(&mut self, sops: Option<&[SemBuf]>, wakes: &mut Wakes<W>) -> bool {
        let mut completed = false;
        let mut got_zero = false;
        let nums: Vec<usize> = match sops {
            Some(sops) => sops.iter().map(|sop| sop.sem_num as usize).collect(),
            None => (0..self.vals.len()).collect(),
        };
        for num in nums {
            if self.vals[num].val == 0 {
                got_zero = true;
                completed |= self.wake_zero_ops(Some(num), wakes);
            }
        }
        if got_zero {
            completed |= self.wake_zero_ops(None, wakes);
        }
        completed
    }

    /// `update_queue`: retries the altering waiters of `semnum` (or the global ones).
    fn update_queue(&mut self, semnum: Option<usize>, wakes: &mut Wakes<W>) -> bool {
        let mut completed = false;
        'again: loop {
            let mut index = 0;
            loop {
                if let Some(num) = semnum
                    && self.vals[num].val == 0
                {
                    return completed;
                }
                let queue = match semnum {
                    Some(num) => &mut self.queues[num].alter,
                    None => &mut self.pending_alter,
                };
                let Some(waiter) = queue.get_mut(index) else {
                    return completed;
                };
                let result = match perform(
                    &mut self.vals,
                    &mut self.undos,
                    &waiter.sops,
                    waiter.undo,
                    waiter.pid,
                ) {
                    Err(Block::Wait(blocking)) => {
                        waiter.blocking = blocking;
                        index += 1;
                        continue;
                    }
                    Err(Block::Fail(errno)) => Err(errno),
                    Ok(()) => Ok(()),
                };
                let waiter = queue.remove(index).expect("index checked above");
                let was_complex = waiter.sops.len() > 1;
                if was_complex {
                    self.complex_count -= 1;
                }
                let mut restart = false;
                if result.is_ok() {
                    completed = true;
                    self.smart_wakeup_zero(Some(&waiter.sops), wakes);
                    // check_restart
                    restart = !self.pending_alter.is_empty() || was_complex;
                }
                wakes.push((waiter.handle, result));
                if restart {
                    continue 'again;
                }
            }
        }
    }

    /// `do_smart_update`: after a change to the semaphores `sops` names (all of them when
    /// `None`), completes the waiters that can proceed now. Returns whether any did.
    fn smart_update(&mut self, sops: Option<&[SemBuf]>, wakes: &mut Wakes<W>) -> bool {
        let mut completed = self.smart_wakeup_zero(sops, wakes);
        if !self.pending_alter.is_empty() {
            completed |= self.update_queue(None, wakes);
        } else {
            match sops {
                None => {
                    for num in 0..self.vals.len() {
                        completed |= self.update_queue(Some(num), wakes);
                    }
                }
                Some(sops) => {
                    for sop in sops {
                        if sop.sem_op > 0 {
                            completed |= self.update_queue(Some(sop.sem_num as usize), wakes);
                        }
                    }
                }
            }
        }
        completed
    }

    /// `SETVAL`: the caller checked `num` and `0..=SEMVMX`. Clears every undo adjustment of
    /// the semaphore; returns whether a waiter completed (`otime` changes then).
    pub fn set_value(&mut self, num: usize, val: i32, pid: u32, wakes: &mut Wakes<W>) -> bool {
        for undo in &mut self.undos {
            undo.adj[num] = 0;
        }
        self.vals[num] = SemValue { val, pid };
        let completed = self.smart_update(None, wakes);
        self.unmerge();
        completed
    }

    /// `SETALL`: the caller checked the length and the range of every value.
    pub fn set_all(&mut self, values: &[u16], pid: u32, wakes: &mut Wakes<W>) -> bool {
        for (slot, &val) in self.vals.iter_mut().zip(values) {
            *slot = SemValue {
                val: val.into(),
                pid,
            };
        }
        for undo in &mut self.undos {
            undo.adj.fill(0);
        }
        let completed = self.smart_update(None, wakes);
        self.unmerge();
        completed
    }

    /// `exit_sem` for undo list `list`: applies its adjustments (each value clamped to
    /// `0..=SEMVMX`, `sempid` set to `pid` where one applies) and forgets them. Returns
    /// whether it had any here.
    pub fn apply_undo(&mut self, list: u64, pid: u32, wakes: &mut Wakes<W>) -> bool {
        let Some(position) = self.undos.iter().position(|u| u.list == list) else {
            return false;
        };
        let undo = self.undos.swap_remove(position);
        for (slot, &adj) in self.vals.iter_mut().zip(&undo.adj) {
            if adj != 0 {
                slot.val = (slot.val + i32::from(adj)).clamp(0, SEMVMX);
                slot.pid = pid;
            }
        }
        self.smart_update(None, wakes);
        self.unmerge();
        true
    }

    /// Forgets undo list `list`'s adjustments without applying them.
    pub fn drop_undo(&mut self, list: u64) {
        self.undos.retain(|u| u.list != list);
    }

    /// `IPC_RMID` (`freeary`): every waiter is woken with `EIDRM`.
    pub fn remove_all(&mut self, wakes: &mut Wakes<W>) {
        let queues = self
            .queues
            .iter_mut()
            .flat_map(|q| [&mut q.alter, &mut q.zero])
            .chain([&mut self.pending_alter, &mut self.pending_zero]);
        for queue in queues {
            for waiter in queue.drain(..) {
                wakes.push((waiter.handle, Err(Errno::EIDRM)));
            }
        }
        self.complex_count = 0;
        self.undos.clear();
    }

    /// `GETNCNT` (`zero` false) and `GETZCNT` (`zero` true): the waiters whose blocking
    /// operation is a decrement (wait for zero) of semaphore `num` (`count_semcnt`).
    pub fn count_waiters(&self, num: usize, zero: bool) -> usize {
        let queues = [
            &self.queues[num].alter,
            &self.queues[num].zero,
            &self.pending_alter,
            &self.pending_zero,
        ];
        queues
            .iter()
            .flat_map(|queue| queue.iter())
            .filter(|waiter| {
                let sop = &waiter.sops[waiter.blocking];
                sop.sem_num as usize == num
                    && if zero {
                        sop.sem_op == 0
                    } else {
                        sop.sem_op < 0
                    }
            })
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn op(num: u16, op: i16, flags: i16) -> SemBuf {
        SemBuf {
            sem_num: num,
            sem_op: op,
            sem_flg: flags,
        }
    }

    fn done<W>(set: &mut SemArray<W>, h: W, sops: Vec<SemBuf>, wakes: &mut Wakes<W>) -> Outcome {
        set.semop(h, sops, None, 1, wakes).unwrap()
    }

    #[test]
    fn operations_apply_all_or_nothing() {
        let mut set: SemArray<u32> = SemArray::new(3).unwrap();
        let mut wakes = Vec::new();
        assert_eq!(
            done(&mut set, 0, vec![op(0, 2, 0), op(1, 1, 0)], &mut wakes),
            Outcome::Done(Ok(()))
        );
        assert_eq!(set.values()[0], SemValue { val: 2, pid: 1 });
        // The second operation fails: the first is rolled back.
        assert_eq!(
            done(
                &mut set,
                0,
                vec![op(0, -1, 0), op(2, -1, IPC_NOWAIT as i16)],
                &mut wakes
            ),
            Outcome::Done(Err(Errno::EAGAIN))
        );
        assert_eq!(set.values()[0].val, 2);
        assert_eq!(
            done(&mut set, 0, vec![op(1, 1, 0), op(1, 32766, 0)], &mut wakes),
            Outcome::Done(Err(Errno::ERANGE))
        );
        assert_eq!(set.values()[1].val, 1);
        // Repeated semaphores apply in sequence.
        assert_eq!(
            done(&mut set, 0, vec![op(0, -2, 0), op(0, 0, 0)], &mut wakes),
            Outcome::Done(Ok(()))
        );
        assert!(wakes.is_empty());
    }

    #[test]
    fn decrements_wait_in_order_and_complete_on_increment() {
        let mut set: SemArray<u32> = SemArray::new(1).unwrap();
        let mut wakes = Vec::new();
        done(&mut set, 0, vec![op(0, 1, 0)], &mut wakes);
        assert_eq!(
            done(&mut set, 1, vec![op(0, -2, 0)], &mut wakes),
            Outcome::Queued
        );
        assert_eq!(
            done(&mut set, 2, vec![op(0, -2, 0)], &mut wakes),
            Outcome::Queued
        );
        assert_eq!(
            done(&mut set, 3, vec![op(0, 0, 0)], &mut wakes),
            Outcome::Queued
        );
        assert_eq!(set.count_waiters(0, false), 2);
        assert_eq!(set.count_waiters(0, true), 1);
        // +1: the first takes both, the value is zero (the zero-waiter wakes first) and the
        // second stays.
        done(&mut set, 9, vec![op(0, 1, 0)], &mut wakes);
        assert_eq!(wakes, vec![(3, Ok(())), (1, Ok(()))]);
        wakes.clear();
        done(&mut set, 9, vec![op(0, 2, 0)], &mut wakes);
        assert_eq!(wakes, vec![(2, Ok(()))]);
        assert_eq!(set.values()[0].val, 0);
    }

    #[test]
    fn complex_waiters_merge_the_queues_in_linux_order() {
        let mut set: SemArray<u32> = SemArray::new(2).unwrap();
        let mut wakes = Vec::new();
        done(&mut set, 10, vec![op(0, -1, 0)], &mut wakes);
        done(&mut set, 11, vec![op(1, -1, 0)], &mut wakes);
        // A complex waiter: the per-semaphore queues move to the global one (semaphore 1's
        // in front), the complex one last.
        done(&mut set, 12, vec![op(0, -1, 0), op(1, -1, 0)], &mut wakes);
        // A simple waiter now joins the global queue.
        done(&mut set, 13, vec![op(0, -1, 0)], &mut wakes);
        assert_eq!(set.count_waiters(0, false), 3);
        assert_eq!(set.count_waiters(1, false), 1);
        done(&mut set, 0, vec![op(0, 1, 0), op(1, 1, 0)], &mut wakes);
        assert_eq!(wakes, vec![(11, Ok(())), (10, Ok(()))]);
        wakes.clear();
        done(&mut set, 0, vec![op(0, 2, 0), op(1, 1, 0)], &mut wakes);
        assert_eq!(wakes, vec![(12, Ok(())), (13, Ok(()))]);
    }

    #[test]
    fn cancel_unlinks_and_rmid_wakes_with_eidrm() {
        let mut set: SemArray<u32> = SemArray::new(2).unwrap();
        let mut wakes = Vec::new();
        done(&mut set, 1, vec![op(0, -1, 0), op(1, -1, 0)], &mut wakes);
        done(&mut set, 3, vec![op(1, 1, 0)], &mut wakes);
        assert_eq!(
            done(&mut set, 2, vec![op(1, 0, 0)], &mut wakes),
            Outcome::Queued
        );
        assert!(wakes.is_empty());
        assert!(set.cancel(|h| *h == 1));
        assert!(!set.cancel(|h| *h == 1));
        set.remove_all(&mut wakes);
        assert_eq!(wakes, vec![(2, Err(Errno::EIDRM))]);
    }

    #[test]
    fn undo_adjustments_and_their_range() {
        let mut set: SemArray<u32> = SemArray::new(2).unwrap();
        let mut wakes = Vec::new();
        set.ensure_undo(7).unwrap();
        let undo = SEM_UNDO;
        assert_eq!(
            set.semop(0, vec![op(0, 5, undo), op(1, 3, 0)], Some(7), 4, &mut wakes)
                .unwrap(),
            Outcome::Done(Ok(()))
        );
        assert_eq!(set.undo_adjustments(7), Some(&[-5i16, 0][..]));
        assert_eq!(
            set.semop(0, vec![op(0, -1, undo)], Some(7), 4, &mut wakes)
                .unwrap(),
            Outcome::Done(Ok(()))
        );
        assert_eq!(set.undo_adjustments(7), Some(&[-4i16, 0][..]));
        // Someone else takes the semaphore down to 1; the exit's -4 stops at 0.
        done(&mut set, 0, vec![op(0, -3, 0)], &mut wakes);
        assert!(set.apply_undo(7, 9, &mut wakes));
        assert_eq!(set.values()[0], SemValue { val: 0, pid: 9 });
        assert_eq!(set.values()[1].pid, 4);
        assert!(!set.apply_undo(7, 9, &mut wakes));
        // The adjustment's range: -(SEMAEM + 1)..=SEMAEM.
        set.ensure_undo(8).unwrap();
        set.set_value(0, SEMVMX, 1, &mut wakes);
        assert_eq!(
            set.semop(0, vec![op(0, -32767, undo)], Some(8), 4, &mut wakes)
                .unwrap(),
            Outcome::Done(Ok(()))
        );
        set.set_value(0, 0, 1, &mut wakes);
        assert_eq!(set.undo_adjustments(8), Some(&[0i16, 0][..]));
        set.semop(0, vec![op(0, 32767, undo)], Some(8), 4, &mut wakes)
            .unwrap();
        set.set_value(0, SEMVMX, 1, &mut wakes);
        assert_eq!(set.undo_adjustments(8), Some(&[0i16, 0][..]));
    }

    #[test]
    fn undo_range_error() {
        let mut set: SemArray<u32> = SemArray::new(1).unwrap();
        let mut wakes = Vec::new();
        set.ensure_undo(1).unwrap();
        set.semop(0, vec![op(0, 32767, SEM_UNDO)], Some(1), 1, &mut wakes)
            .unwrap();
        set.set_value(0, 0, 1, &mut wakes);
        // SETVAL cleared the adjustment; build it up again from two sides.
        set.semop(0, vec![op(0, 32767, SEM_UNDO)], Some(1), 1, &mut wakes)
            .unwrap();
        set.semop(0, vec![op(0, -32767, 0)], None, 1, &mut wakes)
            .unwrap();
        assert_eq!(
            set.semop(0, vec![op(0, 1, SEM_UNDO)], Some(1), 1, &mut wakes)
                .unwrap(),
            Outcome::Done(Ok(()))
        );
        assert_eq!(set.undo_adjustments(1), Some(&[-32768i16][..]));
        assert_eq!(
            set.semop(0, vec![op(0, 1, SEM_UNDO)], Some(1), 1, &mut wakes)
                .unwrap(),
            Outcome::Done(Err(Errno::ERANGE))
        );
        assert_eq!(set.values()[0].val, 1);
    }

    #[test]
    fn a_queued_nowait_operation_fails_on_retry() {
        let mut set: SemArray<u32> = SemArray::new(2).unwrap();
        let mut wakes = Vec::new();
        done(
            &mut set,
            1,
            vec![op(0, -1, 0), op(1, -1, IPC_NOWAIT as i16)],
            &mut wakes,
        );
        done(&mut set, 0, vec![op(0, 1, 0)], &mut wakes);
        assert_eq!(wakes, vec![(1, Err(Errno::EAGAIN))]);
        assert_eq!(set.values()[0].val, 1);
    }
}
