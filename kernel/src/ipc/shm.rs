//! System V shared memory (Linux's `ipc/shm.c`, with the id and permission rules of
//! `ipc/util.c`): segments are nameless files of the kernel's internal tmpfs
//! ([`crate::fs::shmem`]), so an attachment is a shared file mapping of the segment's page
//! cache, and fork, munmap, mprotect and exit need no special cases.
//!
//! Ids, keys and permissions are the ones all System V IPC shares ([`super::util`],
//! [`ipcrules::ids`], [`ipcrules::perm`]).
//! `shm_nattch` is counted from the address spaces that map the segment (through its page
//! cache's reverse map), so it is always exact, including after fork and exit; a segment
//! removed with `IPC_RMID` while attached keeps its id, with `SHM_DEST` set and key
//! `IPC_PRIVATE`, until the last attachment goes (noticed at the next shm call; its memory is
//! freed with the last mapping in any case).
//!
//! Not done yet: IPC namespaces, the `kernel.shm*` sysctls (the limits are Linux's defaults),
//! huge pages (`SHM_HUGETLB` is `EINVAL`).

use super::util::{Ids, IpcObject, now_secs};
use abi::Errno;
use abi::ipc::{IPC_PRIVATE, SHM_DEST, SHMALL, SHMMAX, SHMMIN, SHMMNI, ShmidDs};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use hal::sync::SpinLock;
use ipcrules::perm::{Cred, KernPerm};
use vfs::Inode;

/// A segment's changeable state.
pub struct SegmentState {
    /// Key, owner and mode (with `SHM_DEST` and `SHM_LOCKED` in the mode).
    pub perm: KernPerm,
    pub atime: i64,
    pub dtime: i64,
    pub ctime: i64,
    pub cpid: u32,
    pub lpid: u32,
}

impl SegmentState {
    pub fn is_destroyed(&self) -> bool {
        self.perm.mode & SHM_DEST != 0
    }
}

/// One segment.
pub struct Segment {
    pub id: i32,
    pub size: u64,
    pub inode: Arc<dyn Inode>,
    pub state: SpinLock<SegmentState>,
    /// Its namespace's page total (`shm_tot`), which it leaves when it is destroyed.
    total_pages: Arc<AtomicU64>,
}

impl Drop for Segment {
    fn drop(&mut self) {
        self.total_pages
            .fetch_sub(self.size.div_ceil(crate::mm::PAGE_SIZE), Ordering::Relaxed);
    }
}

impl IpcObject for Segment {
    fn id(&self) -> i32 {
        self.id
    }
}

impl Segment {
    /// Attachments now (`shm_nattch`).
    pub fn attachments(&self) -> u64 {
        self.inode
            .page_cache()
            .map_or(0, |cache| cache.mapping_count() as u64)
    }

    /// `IPC_STAT`'s answer.
    pub fn stat(&self) -> ShmidDs {
        let nattch = self.attachments();
        let state = self.state.lock();
        ShmidDs {
            perm: state.perm.to_ipc64(),
            segsz: self.size,
            atime: state.atime,
            dtime: state.dtime,
            ctime: state.ctime,
            cpid: state.cpid as i32,
            lpid: state.lpid as i32,
            nattch,
            ..ShmidDs::default()
        }
    }
}

/// An IPC namespace's shared memory segments and their limits: `kernel.shmmax` (the largest
/// segment, `EINVAL` above it), `kernel.shmall` (pages in all segments together, `ENOSPC`
/// beyond) and `kernel.shmmni` (segments, `ENOSPC` beyond).
pub struct ShmNs {
    pub ids: Ids<Segment>,
    max_size: AtomicU64,
    max_total_pages: AtomicU64,
    max_segments: AtomicU32,
    /// Pages of all its segments (`shm_tot`): added when one is made (under the id table's
    /// lock, so the `shmall` check and the addition are one step), removed by its drop.
    total_pages: Arc<AtomicU64>,
}

impl ShmNs {
    pub fn new() -> ShmNs {
        ShmNs {
            ids: Ids::new("ipc.shm"),
            max_size: AtomicU64::new(SHMMAX),
            max_total_pages: AtomicU64::new(SHMALL),
            max_segments: AtomicU32::new(SHMMNI as u32),
            total_pages: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// `kernel.shmmax`, `kernel.shmall`, `kernel.shmmni` of the caller's namespace.
pub fn shmmax() -> u64 {
    super::current().shm.max_size.load(Ordering::Relaxed)
}
pub fn shmall() -> u64 {
    super::current().shm.max_total_pages.load(Ordering::Relaxed)
}
pub fn shmmni() -> u32 {
    super::current().shm.max_segments.load(Ordering::Relaxed)
}
pub fn set_shmmax(value: u64) {
    super::current()
        .shm
        .max_size
        .store(value, Ordering::Relaxed);
}
pub fn set_shmall(value: u64) {
    super::current()
        .shm
        .max_total_pages
        .store(value, Ordering::Relaxed);
}
pub fn set_shmmni(value: u32) {
    super::current()
        .shm
        .max_segments
        .store(value, Ordering::Relaxed);
}

/// Drops removed segments nobody maps any more.
fn reap() -> Result<(), Errno> {
    let ns = super::current();
    let segments = ns.shm.ids.all()?;
    let dead: Vec<&Arc<Segment>> = segments
        .iter()
        // Counting takes the address spaces' locks: no spin lock held here.
        .filter(|segment| segment.state.lock().is_destroyed() && segment.attachments() == 0)
        .collect();
    if dead.is_empty() {
        return Ok(());
    }
    let mut locked = ns.shm.ids.lock();
    for segment in dead {
        locked.remove(segment);
    }
    Ok(())
}

/// The segment `id` names (`EINVAL` if none: unused index or stale sequence number).
pub fn lookup(id: i32) -> Result<Arc<Segment>, Errno> {
    reap()?;
    super::current().shm.ids.lookup(id)
}

/// The segment at table index `index` (`SHM_STAT`), `EINVAL` if none.
pub fn lookup_index(index: i32) -> Result<Arc<Segment>, Errno> {
    reap()?;
    super::current().shm.ids.lookup_index(index)
}

/// `shmget`.
pub fn get(key: i32, size: u64, flags: i32, cred: &Cred<'_>, pid: u32) -> Result<i32, Errno> {
    reap()?;
    let ns = super::current();
    let (max_size, max_total_pages) = (
        ns.shm.max_size.load(Ordering::Relaxed),
        ns.shm.max_total_pages.load(Ordering::Relaxed),
    );
    ns.shm.ids.get(
        key,
        flags,
        ns.shm.max_segments.load(Ordering::Relaxed),
        |segment| {
            // shm_more_checks, then ipcperms.
            if size > segment.size {
                return Err(Errno::EINVAL);
            }
            if !cred.may_access(&segment.state.lock().perm, flags as u32) {
                return Err(Errno::EACCES);
            }
            Ok(())
        },
        |id| {
            // newseg: the size within SHMMIN..=shmmax, the pages of all segments within shmall.
            if !(SHMMIN..=max_size).contains(&size) {
                return Err(Errno::EINVAL);
            }
            let pages = size.div_ceil(crate::mm::PAGE_SIZE);
            let total = ns.shm.total_pages.load(Ordering::Relaxed);
            if total
                .checked_add(pages)
                .is_none_or(|total| total > max_total_pages)
            {
                return Err(Errno::ENOSPC);
            }
            if !crate::mm::may_commit(pages * crate::mm::PAGE_SIZE) {
                return Err(Errno::ENOMEM);
            }
            let inode = hal::mm::heap::user_data(|| {
                crate::fs::shmem::new_file(cred.euid, cred.egid, false)
            })?;
            inode.truncate(size)?;
            ns.shm.total_pages.fetch_add(pages, Ordering::Relaxed);
            Ok(Arc::new(Segment {
                id,
                size,
                total_pages: ns.shm.total_pages.clone(),
                inode,
                state: SpinLock::new(
                    "ipc.shm.segment",
                    SegmentState {
                        perm: KernPerm::new(key, id, cred, flags),
                        atime: 0,
                        dtime: 0,
                        ctime: now_secs(),
                        cpid: pid,
                        lpid: 0,
                    },
                ),
            }))
        },
    )
}

/// The segment whose file is `inode` (`shmdt` records the detach on it).
pub fn segment_of(inode: &Arc<dyn Inode>) -> Option<Arc<Segment>> {
    super::current()
        .shm
        .ids
        .all()
        .ok()?
        .into_iter()
        .find(|segment| Arc::ptr_eq(&segment.inode, inode))
}

/// Records an attach or detach by `pid`.
pub fn touch(segment: &Segment, pid: u32, is_attach: bool) {
    let mut state = segment.state.lock();
    if is_attach {
        state.atime = now_secs();
    } else {
        state.dtime = now_secs();
    }
    state.lpid = pid;
}

/// `IPC_RMID`: the key is freed now, the segment when nothing maps it.
pub fn remove(segment: &Segment) -> Result<(), Errno> {
    {
        let ns = super::current();
        let mut locked = ns.shm.ids.lock();
        let mut state = segment.state.lock();
        if !state.is_destroyed() {
            locked.forget_key(state.perm.key);
        }
        state.perm.mode |= SHM_DEST;
        state.perm.key = IPC_PRIVATE;
        state.ctime = now_secs();
    }
    reap()
}

/// `IPC_INFO`/`SHM_INFO`: the highest index in use (or 0), segments in use and their pages.
pub fn usage() -> Result<(i32, i32, u64, u64), Errno> {
    reap()?;
    let ns = super::current();
    let (used, highest) = ns.shm.ids.usage();
    let segments = ns.shm.ids.all()?;
    let pages = segment_pages(&segments);
    let resident: u64 = segments
        .iter()
        .filter_map(|segment| segment.inode.page_cache().map(|cache| cache.nr_pages()))
        .sum();
    Ok((highest.max(0), used as i32, pages, resident))
}

/// Pages of `segments` together (`shm_tot`).
fn segment_pages(segments: &[Arc<Segment>]) -> u64 {
    segments
        .iter()
        .map(|segment| segment.size.div_ceil(crate::mm::PAGE_SIZE))
        .sum()
}

/// `/proc/sysvipc/shm` (`sysvipc_shm_proc_show`).
pub fn proc_show(out: &mut Vec<u8>) -> Result<(), Errno> {
    reap()?;
    crate::out!(
        out,
        "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n"
    )?;
    for segment in super::current().shm.ids.all()? {
        let nattch = segment.attachments();
        let rss = segment
            .inode
            .page_cache()
            .map_or(0, |cache| cache.nr_pages())
            * crate::mm::PAGE_SIZE;
        let state = segment.state.lock();
        let perm = state.perm;
        let (atime, dtime, ctime, cpid, lpid) = (
            state.atime,
            state.dtime,
            state.ctime,
            state.cpid,
            state.lpid,
        );
        drop(state);
        crate::out!(
            out,
            "{:10} {:10}  {:4o} {:21} {:5} {:5}  {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10} {:21} {:21}\n",
            perm.key,
            segment.id,
            perm.mode,
            segment.size,
            cpid,
            lpid,
            nattch,
            perm.uid,
            perm.gid,
            perm.cuid,
            perm.cgid,
            atime,
            dtime,
            ctime,
            rss,
            0
        )?;
    }
    Ok(())
}
