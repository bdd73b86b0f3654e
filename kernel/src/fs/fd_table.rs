//! File descriptor tables (Linux's `files_struct`): lowest-free allocation, close-on-exec, and
//! the `RLIMIT_NOFILE` bound.

use super::file::OpenFile;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;

#[derive(Clone)]
struct Slot {
    file: Arc<OpenFile>,
    is_close_on_exec: bool,
}

#[derive(Clone, Default)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
}

impl FdTable {
    pub fn new() -> FdTable {
        FdTable::default()
    }

    /// A copy for a child that does not share the table (fork), or `ENOMEM`.
    pub fn try_clone(&self) -> Result<FdTable, Errno> {
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(self.slots.len())
            .map_err(|_| Errno::ENOMEM)?;
        slots.extend(self.slots.iter().cloned());
        Ok(FdTable { slots })
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
        let free = (minimum..limit)
            .find(|&fd| self.slots.get(fd).is_none_or(|slot| slot.is_none()))
            .ok_or(Errno::EMFILE)?;
        self.install(free, file, is_close_on_exec)?;
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

    /// Closes every close-on-exec descriptor (execve).
    pub fn close_on_exec(&mut self) {
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|s| s.is_close_on_exec) {
                *slot = None;
            }
        }
    }
}
