//! What the System V IPC kinds share (Linux's `ipc/util.c`): the table of one kind's objects
//! ([`Ids`]: ids from [`ipcrules::ids`], keys, lookups), the caller's credentials for
//! `ipcperms`, the `/proc/sysvipc` rendering loop, and the clock the times use.
//!
//! Locking: each kind's table has a sleeping mutex (`ipc.<kind>.ids`, Linux's `ids->rwsem`)
//! for what changes the set of objects or searches it by key (`*get`, `IPC_RMID`, listings);
//! looking an id up — every `semop`, `msgsnd`, `msgrcv` — takes only one of 16 spin-locked
//! shards of the index (`ipc.ids.shard`, a leaf held to clone an `Arc` out), as Linux's
//! lookups take only RCU. Each object has its own lock for its state.

use abi::Errno;
use abi::ipc::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE};
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::{Mutex, SpinLock};
use ipcrules::ids::{IdAllocator, index_of};
use ipcrules::perm::Cred;

const SHARDS: usize = 16;

/// One shard of the index: `(index, object)` sorted by index.
type Shard<T> = SpinLock<Vec<(u32, Arc<T>)>>;

/// An object the table holds.
pub trait IpcObject: Send + Sync {
    /// Its id (fixed for its life).
    fn id(&self) -> i32;
}

struct Table {
    alloc: IdAllocator,
    /// Keys of the objects that have one, sorted (`ipc_findkey`'s hash table).
    keys: Vec<(i32, u32)>,
}

/// One kind's objects (`struct ipc_ids`).
pub struct Ids<T> {
    table: Mutex<Table>,
    shards: [Shard<T>; SHARDS],
}

/// The held table lock: what `IPC_RMID` and key lookups do under it.
pub struct Locked<'a, T> {
    ids: &'a Ids<T>,
    table: hal::sync::MutexGuard<'a, Table>,
}

impl<T: IpcObject> Ids<T> {
    pub const fn new(class: &'static str) -> Ids<T> {
        Ids {
            table: Mutex::new(
                class,
                Table {
                    alloc: IdAllocator::new(),
                    keys: Vec::new(),
                },
            ),
            shards: [const { SpinLock::new("ipc.ids.shard", Vec::new()) }; SHARDS],
        }
    }

    fn shard(&self, index: u32) -> &Shard<T> {
        &self.shards[index as usize % SHARDS]
    }

    /// The object at `index` (whatever its sequence number).
    fn at_index(&self, index: u32) -> Option<Arc<T>> {
        let shard = self.shard(index).lock();
        shard
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()
            .map(|position| shard[position].1.clone())
    }

    /// The object `id` names (`ipc_obtain_object_check`): `EINVAL` for a negative id, an
    /// unused index or a stale sequence number.
    pub fn lookup(&self, id: i32) -> Result<Arc<T>, Errno> {
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        self.at_index(index_of(id))
            .filter(|object| object.id() == id)
            .ok_or(Errno::EINVAL)
    }

    /// The object at the index `id` holds (`ipc_obtain_object_idr`: the `*_STAT` commands).
    pub fn lookup_index(&self, id: i32) -> Result<Arc<T>, Errno> {
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        self.at_index(index_of(id)).ok_or(Errno::EINVAL)
    }

    /// Takes the table lock.
    pub fn lock(&self) -> Locked<'_, T> {
        Locked {
            ids: self,
            table: self.table.lock(),
        }
    }

    /// `ipcget`: the object `key` names, checked by `check` (the kind's further checks, then
    /// the permissions), or a new one made by `create` with the id it will have, within
    /// `limit` objects. `IPC_PRIVATE` always makes one.
    pub fn get(
        &self,
        key: i32,
        flags: i32,
        limit: u32,
        check: impl FnOnce(&Arc<T>) -> Result<(), Errno>,
        create: impl FnOnce(i32) -> Result<Arc<T>, Errno>,
    ) -> Result<i32, Errno> {
        let mut locked = self.lock();
        if key != IPC_PRIVATE {
            if let Some(existing) = locked.find_key(key) {
                if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                    return Err(Errno::EEXIST);
                }
                check(&existing)?;
                return Ok(existing.id());
            }
            if flags & IPC_CREAT == 0 {
                return Err(Errno::ENOENT);
            }
        }
        locked.add(key, limit, create)
    }

    /// Every object, by index (`/proc/sysvipc`, usage counts).
    pub fn all(&self) -> Result<Vec<Arc<T>>, Errno> {
        let table = self.table.lock();
        let mut objects = Vec::new();
        objects
            .try_reserve_exact(table.alloc.in_use() as usize)
            .map_err(|_| Errno::ENOMEM)?;
        for shard in &self.shards {
            objects.extend(shard.lock().iter().map(|(_, object)| object.clone()));
        }
        drop(table);
        objects.sort_unstable_by_key(|object| index_of(object.id()));
        Ok(objects)
    }

    /// `kernel.{msg,sem,shm}_next_id`: the id the next object of this kind gets, -1 for none.
    pub fn next_id(&self) -> i32 {
        self.table.lock().alloc.next_id()
    }

    /// Sets `kernel.{msg,sem,shm}_next_id` (0..=`INT_MAX`; used by one allocation).
    pub fn set_next_id(&self, id: i32) {
        self.table.lock().alloc.set_next_id(id);
    }

    /// `(in_use, ipc_get_maxidx)`.
    pub fn usage(&self) -> (u32, i32) {
        let table = self.table.lock();
        (table.alloc.in_use(), table.alloc.max_index())
    }
}

impl<T: IpcObject> Locked<'_, T> {
    /// `ipc_findkey`.
    pub fn find_key(&self, key: i32) -> Option<Arc<T>> {
        let position = self
            .table
            .keys
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()?;
        self.ids.at_index(self.table.keys[position].1)
    }

    /// `ipc_addid`.
    fn add(
        &mut self,
        key: i32,
        limit: u32,
        create: impl FnOnce(i32) -> Result<Arc<T>, Errno>,
    ) -> Result<i32, Errno> {
        let table = &mut *self.table;
        table.keys.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        let (index, id) = table.alloc.alloc(limit).ok_or(Errno::ENOSPC)?;
        let object = match create(id) {
            Ok(object) => object,
            Err(error) => {
                table.alloc.free(index);
                return Err(error);
            }
        };
        let mut shard = self.ids.shard(index).lock();
        if shard.try_reserve(1).is_err() {
            drop(shard);
            table.alloc.free(index);
            return Err(Errno::ENOMEM);
        }
        let position = shard.partition_point(|(i, _)| *i < index);
        shard.insert(position, (index, object));
        drop(shard);
        if key != IPC_PRIVATE {
            let position = table.keys.partition_point(|(k, _)| *k < key);
            table.keys.insert(position, (key, index));
        }
        Ok(id)
    }

    /// Frees `key`, so that `get` makes a new object for it (`ipc_set_key_private`).
    pub fn forget_key(&mut self, key: i32) {
        self.table.keys.retain(|(k, _)| *k != key);
    }

    /// `ipc_rmid`: the object goes from the table (its key and index with it). The caller
    /// marks it removed under its own lock before, so that nobody who still holds it uses it.
    pub fn remove(&mut self, object: &T) {
        let id = object.id();
        let index = index_of(id);
        let taken = {
            let mut shard = self.ids.shard(index).lock();
            match shard.binary_search_by_key(&index, |(i, _)| *i) {
                Ok(position) if shard[position].1.id() == id => Some(shard.remove(position)),
                _ => None,
            }
        };
        if taken.is_some() {
            self.table.keys.retain(|(_, i)| *i != index);
            self.table.alloc.free(index);
        }
        // The table's reference goes after the shard lock is released.
        drop(taken);
    }
}

/// Runs `f` with the caller's credentials.
pub fn with_cred<R>(process: &crate::process::Process, f: impl FnOnce(&Cred<'_>) -> R) -> R {
    let credentials = process.credentials.lock().clone();
    f(&Cred {
        euid: credentials.euid,
        egid: credentials.egid,
        caps: credentials.caps.effective.0,
        groups: &credentials.groups,
    })
}

/// CLOCK_REALTIME in seconds (the `*time` fields).
pub fn now_secs() -> i64 {
    (crate::time::realtime_ns() / 1_000_000_000) as i64
}
