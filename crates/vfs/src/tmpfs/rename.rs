//! tmpfs rename (Linux's `shmem_rename2` over `simple_rename`, with `vfs_rename`'s lock order):
//! `RENAME_NOREPLACE`, `RENAME_EXCHANGE` and `RENAME_WHITEOUT`. A rename between two directories
//! first takes the instance's rename mutex (Linux's `s_vfs_rename_mutex`), which makes the tree
//! shape stable so the two directories can be ordered ancestor first, and which also covers
//! locking two children. Everything that can fail is checked or allocated before the first
//! change.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;

use super::BOGO_DIRENT_SIZE;
use super::dir::{check_name, copy_name};
use super::inode::{Body, State, TmpfsInode};
use crate::inode::{FileType, Inode, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT};

impl TmpfsInode {
    pub(super) fn dir_rename(
        &self,
        old_name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        self.check_dir()?;
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
            || (flags & RENAME_EXCHANGE != 0 && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0)
        {
            return Err(Errno::EINVAL);
        }
        let nd = Self::downcast(new_dir).ok_or(Errno::EXDEV)?;
        if !self.same_fs(nd) {
            return Err(Errno::EXDEV);
        }
        nd.check_dir()?;
        check_name(old_name)?;
        check_name(new_name)?;
        rename_impl(self, old_name, nd, new_name, flags)
    }

    /// Ancestors of this directory, itself first, up to the root (by address). Callers hold the
    /// rename mutex so the chain is stable.
    fn ancestors(&self) -> Result<Vec<*const TmpfsInode>, Errno> {
        let mut chain = Vec::new();
        let mut cur = self.arc()?;
        loop {
            chain.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            chain.push(Arc::as_ptr(&cur));
            let parent = match cur.state.read().dir() {
                Some(d) => d.parent.upgrade(),
                None => None,
            };
            match parent {
                Some(p) if !Arc::ptr_eq(&p, &cur) => cur = p,
                _ => return Ok(chain),
            }
        }
    }
}

/// Moves `old_dir/old_name` to `new_dir/new_name`; see [`Inode::rename`].
fn rename_impl(
    old_dir: &TmpfsInode,
    old_name: &[u8],
    new_dir: &TmpfsInode,
    new_name: &[u8],
    flags: u32,
) -> Result<(), Errno> {
    let same_dir = core::ptr::eq(old_dir, new_dir);
    let _rename_guard = if same_dir {
        None
    } else {
        Some(old_dir.fs.rename_lock.lock())
    };
    // With the rename mutex held the tree shape is stable: compute ancestry before locking.
    let (old_chain, new_chain) = if same_dir {
        (Vec::new(), Vec::new())
    } else {
        (old_dir.ancestors()?, new_dir.ancestors()?)
    };
    let new_is_ancestor = old_chain.contains(&(new_dir as *const TmpfsInode));
    let now = old_dir.now();

    // Lock the parents, ancestor first.
    let (mut os, mut ns) = if same_dir {
        (old_dir.state.write(), None)
    } else if new_is_ancestor {
        let n = new_dir.state.write();
        (old_dir.state.write(), Some(n))
    } else {
        let o = old_dir.state.write();
        (o, Some(new_dir.state.write()))
    };
    TmpfsInode::live_dir(&os)?;
    if let Some(n) = &ns {
        TmpfsInode::live_dir(n)?;
    }
    let source = TmpfsInode::get_entry(&os, old_name).ok_or(Errno::ENOENT)?;
    let target = match &ns {
        Some(n) => TmpfsInode::get_entry(n, new_name),
        None => TmpfsInode::get_entry(&os, new_name),
    };
    let exchange = flags & RENAME_EXCHANGE != 0;
    if flags & RENAME_NOREPLACE != 0 && target.is_some() {
        return Err(Errno::EEXIST);
    }
    if exchange && target.is_none() {
        return Err(Errno::ENOENT);
    }
    if let Some(t) = &target
        && Arc::ptr_eq(t, &source)
    {
        return Ok(());
    }
    let source_ptr = Arc::as_ptr(&source);
    if new_chain.contains(&source_ptr) {
        return Err(Errno::EINVAL);
    }
    if let Some(t) = &target
        && old_chain.contains(&Arc::as_ptr(t))
    {
        return Err(if exchange {
            Errno::EINVAL
        } else {
            Errno::ENOTEMPTY
        });
    }
    let src_dir = source.file_type.is_dir();
    let tgt_dir = target.as_ref().is_some_and(|t| t.file_type.is_dir());
    if !exchange && let Some(_t) = &target {
        if src_dir && !tgt_dir {
            return Err(Errno::ENOTDIR);
        }
        if !src_dir && tgt_dir {
            return Err(Errno::EISDIR);
        }
    }
    // Whiteout object made before changing anything, so ENOSPC leaves the tree alone.
    let whiteout = if flags & RENAME_WHITEOUT != 0 {
        Some(TmpfsInode::try_new(
            &old_dir.fs,
            FileType::CharDevice,
            0,
            0,
            0,
            0,
            Some(old_dir),
            Body::Special,
        )?)
    } else {
        None
    };
    // Lock the children that change: a moved directory (its parent pointer) and a replaced
    // directory (emptiness, death). Two children are locked only under the rename mutex.
    let move_src = src_dir && !same_dir;
    let move_tgt = exchange && tgt_dir && !same_dir;
    let lock_tgt = tgt_dir && (move_tgt || !exchange);
    let (mut src_state, mut tgt_state) = match (&target, move_src, lock_tgt) {
        (Some(t), true, true) => {
            if Arc::as_ptr(&source) < Arc::as_ptr(t) {
                let s = source.state.write();
                (Some(s), Some(t.state.write()))
            } else {
                let tt = t.state.write();
                (Some(source.state.write()), Some(tt))
            }
        }
        (Some(t), false, true) => (None, Some(t.state.write())),
        (_, true, _) => (Some(source.state.write()), None),
        _ => (None, None),
    };
    if !exchange
        && tgt_dir
        && let Some(ts) = &tgt_state
        && ts.dir().is_some_and(|d| !d.entries.is_empty())
    {
        return Err(Errno::ENOTEMPTY);
    }
    // Names for the new entries (fallible allocation before any change).
    let new_key = copy_name(new_name)?;
    let new_key2 = copy_name(new_name)?;
    let old_key = copy_name(old_name)?;
    let old_key2 = copy_name(old_name)?;

    let new_ino = new_dir.ino;
    let old_ino = old_dir.ino;
    let new_weak = new_dir.this.clone();
    let old_weak = old_dir.this.clone();

    if exchange {
        let Some(target) = target.as_ref().cloned() else {
            return Err(Errno::ENOENT);
        };
        // Swap the children in place (each entry keeps its position).
        let set = |st: &mut State, name: &[u8], child: Arc<TmpfsInode>| {
            if let Some(d) = st.dir_mut()
                && let Some(slot) = d.entries.get_mut(name)
            {
                slot.1 = child;
            }
        };
        match ns.as_deref_mut() {
            Some(n) => {
                set(&mut os, old_name, target.clone());
                set(&mut *n, new_name, source.clone());
                if src_dir != tgt_dir {
                    let (from, to) = if src_dir {
                        (&mut *os, &mut *n)
                    } else {
                        (&mut *n, &mut *os)
                    };
                    from.nlink = from.nlink.saturating_sub(1);
                    to.nlink = to.nlink.saturating_add(1);
                }
                n.touch_mc(now);
            }
            None => {
                set(&mut os, old_name, target.clone());
                set(&mut os, new_name, source.clone());
            }
        }
        os.touch_mc(now);
        if let Some(s) = src_state.as_deref_mut()
            && let Some(d) = s.dir_mut()
        {
            d.parent = new_weak;
            d.parent_ino = new_ino;
        }
        if let Some(t) = tgt_state.as_deref_mut()
            && let Some(d) = t.dir_mut()
        {
            d.parent = old_weak;
            d.parent_ino = old_ino;
        }
        drop(src_state);
        drop(tgt_state);
        source.state.write().ctime = now;
        target.state.write().ctime = now;
        return Ok(());
    }

    // Plain rename (possibly replacing the target).
    TmpfsInode::remove_entry(&mut os, old_name);
    if src_dir {
        os.nlink = os.nlink.saturating_sub(1);
    }
    {
        let dst: &mut State = match ns.as_deref_mut() {
            Some(n) => n,
            None => &mut os,
        };
        if target.is_some() {
            TmpfsInode::remove_entry(dst, new_name);
            if tgt_dir {
                // The replaced directory's link from its parent goes with it.
                dst.nlink = dst.nlink.saturating_sub(1);
            }
        }
        let d = dst.dir_mut().ok_or(Errno::ENOTDIR)?;
        let cookie = d.next_cookie;
        d.next_cookie = cookie.saturating_add(1);
        d.entries.insert(new_key, (cookie, source.clone()));
        d.order.insert(cookie, new_key2);
        dst.size += BOGO_DIRENT_SIZE;
        if src_dir {
            dst.nlink = dst.nlink.saturating_add(1);
        }
        dst.touch_mc(now);
    }
    os.touch_mc(now);
    if let Some(s) = src_state.as_deref_mut()
        && let Some(d) = s.dir_mut()
    {
        d.parent = new_weak;
        d.parent_ino = new_ino;
    }
    if let Some(t) = tgt_state.as_deref_mut() {
        if let Some(d) = t.dir_mut() {
            d.dead = true;
        }
        t.nlink = 0;
        t.ctime = now;
    }
    drop(src_state);
    drop(tgt_state);
    if let Some(w) = whiteout {
        // The source's old name now holds the whiteout.
        if let Some(d) = os.dir_mut() {
            let cookie = d.next_cookie;
            d.next_cookie = cookie.saturating_add(1);
            d.entries.insert(old_key, (cookie, w));
            d.order.insert(cookie, old_key2);
        }
        os.size += BOGO_DIRENT_SIZE;
    }
    drop(ns);
    drop(os);
    source.state.write().ctime = now;
    if let Some(t) = target
        && !tgt_dir
    {
        t.drop_link(now);
    }
    Ok(())
}
