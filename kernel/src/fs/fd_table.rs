//! File descriptor tables (Linux's `files_struct`): lowest-free allocation, close-on-exec, and
//! the `RLIMIT_NOFILE` bound. Like Linux's `files->next_fd`, the table remembers the lowest
//! descriptor that may be free, so that opening a million descriptors one after another costs
//! a million steps, not half a million million. A table owns the POSIX record locks set through
//! it: every descriptor it loses (close, dup2 over it, close_range, close-on-exec, the table's
//! end) releases the table's locks on that file, as Linux's `filp_close` calls
//! `locks_remove_posix`.

use super::file::OpenFile;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;

#[derive(Clone)]
struct Slot {
    file: Arc<OpenFile>,
    is_close_on_exec: bool,
}

pub struct FdTable {
    slots: Vec<Option<Slot>>,
    /// Every descriptor below this one is open (Linux's `next_fd`).
    next_free: usize,
    /// This table as the owner of POSIX record locks.
    lock_owner: u64,
}

impl Default for FdTable {
    fn default() -> Self {
        FdTable::new()
    }
}

impl Drop for FdTable {
    fn drop(&mut self) {
        for slot in self.slots.iter().flatten() {
            super::locks::release_posix(self.lock_owner, &slot.file);
            super::dnotify::flush(self.lock_owner, &slot.file);
        }
    }
}

impl FdTable {
    pub fn new() -> FdTable {
        FdTable {
            slots: Vec::new(),
            next_free: 0,
            lock_owner: super::locks::new_table_id(),
        }
    }

    /// This table as the owner of POSIX record locks.
    pub fn lock_owner(&self) -> u64 {
        self.lock_owner
    }

    /// A descriptor of `file` leaves this table.
    fn closing(&self, file: &OpenFile) {
        super::locks::release_posix(self.lock_owner, file);
        super::dnotify::flush(self.lock_owner, file);
    }

    /// A copy for a child that does not share the table (fork), or `ENOMEM`.
    pub fn try_clone(&self) -> Result<FdTable, Errno> {
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(self.slots.len())
            .map_err(|_| Errno::ENOMEM)?;
        slots.extend(self.slots.iter().cloned());
        Ok(FdTable {
            slots,
            next_free: self.next_free,
            lock_owner: super::locks::new_table_id(),
        })
    }

    fn is_free(&self, fd: usize) -> bool {
        self.slots.get(fd).is_none_or(|slot| slot.is_none())
    }

    /// Notes that `fd` became free.
    fn freed(&mut self, fd: usize) {
        self.next_free = self.next_free.min(fd);
    }

    /// Whether some descriptor below `limit` is free (what Linux's `get_unused_fd_flags`
    /// finds before a call makes its file).
    pub fn has_free(&self, limit: usize) -> bool {
        (self.next_free..limit).any(|fd| self.is_free(fd))
    }

    /// The file at `fd`, or `EBADF`.
    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.slots
            .get(index)
            .and_then(|slot| slot.as_ref())
            .map(|slot| slot.file.clone())
            .ok_or(Errno::EBADF)
    }

    /// Installs `file` at the lowest free descriptor ≥ `minimum` below `limit`; `EMFILE` if none.
    pub fn insert_from(
        &mut self,
        minimum: usize,
        file: Arc<OpenFile>,
        is_close_on_exec: bool,
        limit: usize,
    ) -> Result<i32, Errno> {
        // Everything below `next_free` is open: start there, or at `minimum` if it is higher.
        let next_free = self.next_free;
        let free = (minimum.max(next_free)..limit)
            .find(|&fd| self.is_free(fd))
            .ok_or(Errno::EMFILE)?;
        self.install(free, file, is_close_on_exec)?;
        if minimum <= next_free {
            // The search passed only open descriptors before it found `free`.
            self.next_free = free + 1;
        }
        Ok(free as i32)
    }

    /// Puts `file` at exactly `fd`, returning what was there (dup2 closes it).
    pub fn install(
        &mut self,
        fd: usize,
        file: Arc<OpenFile>,
        is_close_on_exec: bool,
    ) -> Result<Option<Arc<OpenFile>>, Errno> {
        if fd >= self.slots.len() {
            self.slots
                .try_reserve(fd + 1 - self.slots.len())
                .map_err(|_| Errno::ENOMEM)?;
            self.slots.resize(fd + 1, None);
        }
        let old = self.slots[fd].replace(Slot {
            file,
            is_close_on_exec,
        });
        if let Some(old) = &old {
            self.closing(&old.file);
        }
        if fd == self.next_free {
            // Whether fd + 1 is free is for the next allocation to find out.
            self.next_free = fd + 1;
        }
        Ok(old.map(|slot| slot.file))
    }

    /// Removes `fd`, returning its file, or `EBADF`.
    pub fn remove(&mut self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let slot = self
            .slots
            .get_mut(index)
            .and_then(|slot| slot.take())
            .ok_or(Errno::EBADF)?;
        self.closing(&slot.file);
        self.freed(index);
        Ok(slot.file)
    }

    pub fn is_close_on_exec(&self, fd: i32) -> Result<bool, Errno> {
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.slots
            .get(index)
            .and_then(|slot| slot.as_ref())
            .map(|slot| slot.is_close_on_exec)
            .ok_or(Errno::EBADF)
    }

    pub fn set_close_on_exec(&mut self, fd: i32, value: bool) -> Result<(), Errno> {
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let slot = self
            .slots
            .get_mut(index)
            .and_then(|slot| slot.as_mut())
            .ok_or(Errno::EBADF)?;
        slot.is_close_on_exec = value;
        Ok(())
    }

    /// The size Linux's descriptor table would have (`fdt->max_fds`): 64 at first, then
    /// multiples of 128 rounded up to a power of two, as `alloc_fdtable` sizes it. `select`
    /// clamps its `nfds` to this.
    /// The open descriptors in increasing order, with their files and close-on-exec flags
    /// (`/proc/<pid>/fd`).
    pub fn open_fds(&self) -> impl Iterator<Item = (i32, &Arc<OpenFile>, bool)> {
        self.slots.iter().enumerate().filter_map(|(fd, slot)| {
            slot.as_ref()
                .map(|slot| (fd as i32, &slot.file, slot.is_close_on_exec))
        })
    }

    pub fn max_fds(&self) -> usize {
        let used = self.slots.len();
        if used <= 64 {
            return 64;
        }
        let per_kib = 1024 / 8;
        (((used - 1) / per_kib) + 1).next_power_of_two() * per_kib
    }

    /// Removes the descriptors in `first..=last`, returning their files so that the caller
    /// drops them outside the table lock (`close_range`).
    pub fn remove_range(&mut self, first: usize, last: usize) -> Vec<Arc<OpenFile>> {
        let mut closed = Vec::new();
        let end = last.saturating_add(1).min(self.slots.len());
        for index in first..end {
            if let Some(slot) = self.slots[index].take() {
                self.closing(&slot.file);
                if closed.try_reserve(1).is_ok() {
                    closed.push(slot.file);
                }
            }
        }
        if first < end {
            self.freed(first);
        }
        closed
    }

    /// Marks the descriptors in `first..=last` close-on-exec (`CLOSE_RANGE_CLOEXEC`).
    pub fn set_close_on_exec_range(&mut self, first: usize, last: usize) {
        let end = last.saturating_add(1).min(self.slots.len());
        for slot in self.slots.iter_mut().take(end).skip(first).flatten() {
            slot.is_close_on_exec = true;
        }
    }

    /// Closes every close-on-exec descriptor (execve).
    pub fn close_on_exec(&mut self) {
        let mut lowest_closed = usize::MAX;
        for fd in 0..self.slots.len() {
            if self.slots[fd]
                .as_ref()
                .is_some_and(|slot| slot.is_close_on_exec)
                && let Some(slot) = self.slots[fd].take()
            {
                self.closing(&slot.file);
                lowest_closed = lowest_closed.min(fd);
            }
        }
        self.freed(lowest_closed);
    }
}
