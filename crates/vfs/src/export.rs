//! File handles (Linux `fs/exportfs` and tmpfs's `shmem_export_ops`): what
//! `name_to_handle_at` encodes and `open_by_handle_at` decodes.
//!
//! A filesystem that exports handles has an [`ExportTable`] ([`crate::FileSystem::exports`]).
//! As tmpfs does, a handle is three 32-bit words, the generation and the two halves of the
//! inode number, of handle type 1 (`FILEID_INO32_GEN`'s number, which tmpfs uses); encoding
//! needs room for the three words (the caller answers `EOVERFLOW`). Encoding enters the object
//! in the table (Linux hashes the inode then, `shmem_encode_fh`), and only objects entered
//! there decode, while they still have a name (`d_find_alias`); anything else is stale
//! (`ESTALE`). The table holds the named dentry, as Linux's tmpfs pins every dentry of a
//! linked file (Ferrux's dentry cache keeps only the ones in use); an entry whose file was
//! unlinked is dropped at the next encoding or decoding on that filesystem, so an unlinked
//! file's memory stays until then, as it would while open. The handle type is not checked on decoding, as tmpfs does not.
//! Inode numbers of a tmpfs are never reused, so the generation is always 0 here (Linux
//! draws a random one per inode because its numbers wrap).

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;

use crate::dentry::Dentry;
use crate::sync::SpinLock;

/// The handle type tmpfs gives (`FILEID_INO32_GEN`).
pub const TMPFS_HANDLE_TYPE: i32 = 1;
/// Words in a tmpfs handle.
pub const TMPFS_HANDLE_WORDS: usize = 3;

/// The objects whose handles were given out, by inode number.
pub struct ExportTable {
    entries: SpinLock<BTreeMap<u64, Arc<Dentry>>>,
}

impl Default for ExportTable {
    fn default() -> Self {
        Self::new()
    }
}

impl ExportTable {
    /// An empty table.
    pub const fn new() -> ExportTable {
        ExportTable {
            entries: SpinLock::new("export.entries", BTreeMap::new()),
        }
    }

    /// Encodes `dentry`'s handle (`shmem_encode_fh`): its words and type, the object entered
    /// in the table.
    pub fn encode(&self, dentry: &Arc<Dentry>) -> ([u32; TMPFS_HANDLE_WORDS], i32) {
        let ino = dentry.metadata().ino;
        self.forget_unlinked();
        let replaced = self.entries.lock().insert(ino, dentry.clone());
        // The dentry it held (if another) goes after the lock.
        drop(replaced);
        ([0, ino as u32, (ino >> 32) as u32], TMPFS_HANDLE_TYPE)
    }

    /// Decodes a handle of `words` (`shmem_fh_to_dentry`): the live, named object it was made
    /// for, or `ESTALE`.
    pub fn decode(&self, words: &[u32]) -> Result<Arc<Dentry>, Errno> {
        let [generation, low, high, ..] = *words else {
            return Err(Errno::ESTALE);
        };
        if generation != 0 {
            return Err(Errno::ESTALE);
        }
        let ino = u64::from(low) | (u64::from(high) << 32);
        self.forget_unlinked();
        let found = self.entries.lock().get(&ino).cloned();
        let dentry = found.ok_or(Errno::ESTALE)?;
        if dentry.is_unlinked() || dentry.metadata().ino != ino {
            return Err(Errno::ESTALE);
        }
        Ok(dentry)
    }

    /// Drops the entries whose files were unlinked. The dentries are looked at and dropped
    /// with the lock released (it is a leaf; the last reference may free an inode).
    fn forget_unlinked(&self) {
        let snapshot: Vec<(u64, Arc<Dentry>)> = {
            let entries = self.entries.lock();
            let mut snapshot = Vec::new();
            if snapshot.try_reserve_exact(entries.len()).is_err() {
                return;
            }
            snapshot.extend(entries.iter().map(|(&ino, dentry)| (ino, dentry.clone())));
            snapshot
        };
        let mut removed = Vec::new();
        for (ino, dentry) in &snapshot {
            if !dentry.is_unlinked() {
                continue;
            }
            let mut entries = self.entries.lock();
            if entries
                .get(ino)
                .is_some_and(|held| Arc::ptr_eq(held, dentry))
                && let Some(held) = entries.remove(ino)
            {
                drop(entries);
                if removed.try_reserve(1).is_ok() {
                    removed.push(held);
                }
            }
        }
        drop(removed);
        drop(snapshot);
    }
}
