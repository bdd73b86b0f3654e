//! System V shared memory (Linux's `ipc/shm.c`, with the id and permission rules of
//! `ipc/util.c`): segments are nameless files of the kernel's internal tmpfs
//! ([`crate::fs::shmem`]), so an attachment is a shared file mapping of the segment's page
//! cache, and fork, munmap, mprotect and exit need no special cases.
//!
//! Ids are `seq * 32768 + index` as Linux's: indices are handed out cyclically and the
//! sequence number grows each time they wrap, so a stale id does not name a new segment.
//! `shm_nattch` is counted from the address spaces that map the segment (through its page
//! cache's reverse map), so it is always exact, including after fork and exit; a segment
//! removed with `IPC_RMID` while attached keeps its id, with `SHM_DEST` set and key
//! `IPC_PRIVATE`, until the last attachment goes (noticed at the next shm call; its memory is
//! freed with the last mapping in any case).
//!
//! Permissions: `ipcperms` (owner, group or other bits of the mode; root stands in for
//! `CAP_IPC_OWNER`), and owner-or-creator-or-root for `IPC_SET` and `IPC_RMID`.
//! Not done yet: IPC namespaces, the `kernel.shm*` sysctls (the limits are Linux's defaults),
//! huge pages (`SHM_HUGETLB` is `EINVAL`).

use abi::Errno;
use abi::ipc::{
    IPC_CREAT, IPC_EXCL, IPC_PRIVATE, Ipc64Perm, SHM_DEST, SHM_LOCKED, SHMMAX, SHMMIN, SHMMNI,
    ShmidDs,
};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use hal::sync::{Mutex, SpinLock};
use vfs::Inode;

/// Index bits of an id (`IPCMNI_SHIFT`).
const INDEX_SHIFT: u32 = 15;
/// Largest sequence number (`IPCID_SEQ_MAX`).
const SEQ_MAX: u32 = (i32::MAX as u32) >> INDEX_SHIFT;

/// A segment's changeable state.
pub struct SegmentState {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// Permission bits (`0o777`).
    pub mode: u32,
    pub is_destroyed: bool,
    pub is_locked: bool,
    pub atime: i64,
    pub dtime: i64,
    pub ctime: i64,
    pub cpid: u32,
    pub lpid: u32,
}

/// One segment.
pub struct Segment {
    pub id: i32,
    pub size: u64,
    pub inode: Arc<dyn Inode>,
    pub state: SpinLock<SegmentState>,
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
        let mut mode = state.mode;
        if state.is_destroyed {
            mode |= SHM_DEST;
        }
        if state.is_locked {
            mode |= SHM_LOCKED;
        }
        ShmidDs {
            perm: Ipc64Perm {
                key: state.key,
                uid: state.uid,
                gid: state.gid,
                cuid: state.cuid,
                cgid: state.cgid,
                mode,
                seq: (self.id as u32 >> INDEX_SHIFT) as u16,
                ..Ipc64Perm::default()
            },
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

/// Who is asking: for permission checks.
pub struct Caller<'a> {
    pub euid: u32,
    pub egid: u32,
    pub groups: &'a [u32],
    pub pid: u32,
    /// The effective capability set.
    pub caps: u64,
}

impl Caller<'_> {
    pub fn has(&self, cap: u32) -> bool {
        self.caps & (1 << cap) != 0
    }

    /// The owner or creator, without privilege.
    pub fn is_owner(&self, state: &SegmentState) -> bool {
        self.euid == state.uid || self.euid == state.cuid
    }

    /// Linux's `ipcperms`: `flag` holds the wanted access as `S_IRUGO`/`S_IWUGO`-style bits.
    pub fn may_access(&self, state: &SegmentState, flag: u32) -> bool {
        let requested = (flag >> 6) | (flag >> 3) | flag;
        let mut granted = state.mode;
        if self.euid == state.cuid || self.euid == state.uid {
            granted >>= 6;
        } else if [state.gid, state.cgid]
            .iter()
            .any(|gid| *gid == self.egid || self.groups.contains(gid))
        {
            granted >>= 3;
        }
        requested & !granted & 0o7 == 0 || self.has(abi::capability::CAP_IPC_OWNER)
    }

    /// Owner, creator or `CAP_SYS_ADMIN` (`ipcctl_obtain_check` for `IPC_SET`/`IPC_RMID`).
    pub fn owns(&self, state: &SegmentState) -> bool {
        self.is_owner(state) || self.has(abi::capability::CAP_SYS_ADMIN)
    }
}

struct Registry {
    by_index: BTreeMap<u32, Arc<Segment>>,
    last_index: Option<u32>,
    seq: u32,
}

static REGISTRY: Mutex<Registry> = Mutex::new(
    "ipc.shm",
    Registry {
        by_index: BTreeMap::new(),
        last_index: None,
        seq: 0,
    },
);

fn now_secs() -> i64 {
    (crate::time::realtime_ns() / 1_000_000_000) as i64
}

impl Registry {
    /// Drops removed segments nobody maps any more.
    fn reap(&mut self) {
        self.by_index.retain(|_, segment| {
            let is_destroyed = segment.state.lock().is_destroyed;
            // Counting takes the address spaces' locks: no spin lock held here.
            !(is_destroyed && segment.attachments() == 0)
        });
    }

    fn find_key(&self, key: i32) -> Option<&Arc<Segment>> {
        self.by_index.values().find(|segment| {
            let state = segment.state.lock();
            state.key == key && !state.is_destroyed
        })
    }

    fn next_index(&mut self) -> Result<u32, Errno> {
        let start = self.last_index.map_or(0, |last| (last + 1) % SHMMNI as u32);
        let index = (0..SHMMNI as u32)
            .map(|step| (start + step) % SHMMNI as u32)
            .find(|index| !self.by_index.contains_key(index))
            .ok_or(Errno::ENOSPC)?;
        if self.last_index.is_some_and(|last| index <= last) {
            self.seq = if self.seq + 1 > SEQ_MAX {
                0
            } else {
                self.seq + 1
            };
        }
        self.last_index = Some(index);
        Ok(index)
    }
}

/// The segment `id` names (`EINVAL` if none: unused index or stale sequence number).
pub fn lookup(id: i32) -> Result<Arc<Segment>, Errno> {
    let mut registry = REGISTRY.lock();
    registry.reap();
    find(&registry, id)
}

fn find(registry: &Registry, id: i32) -> Result<Arc<Segment>, Errno> {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let index = id as u32 & ((1 << INDEX_SHIFT) - 1);
    registry
        .by_index
        .get(&index)
        .filter(|segment| segment.id == id)
        .cloned()
        .ok_or(Errno::EINVAL)
}

/// The segment at table index `index` (`SHM_STAT`), `EINVAL` if none.
pub fn lookup_index(index: i32) -> Result<Arc<Segment>, Errno> {
    let mut registry = REGISTRY.lock();
    registry.reap();
    u32::try_from(index)
        .ok()
        .and_then(|index| registry.by_index.get(&index).cloned())
        .ok_or(Errno::EINVAL)
}

/// `shmget`.
pub fn get(key: i32, size: u64, flags: i32, caller: &Caller<'_>) -> Result<i32, Errno> {
    let mut registry = REGISTRY.lock();
    registry.reap();
    if key != IPC_PRIVATE
        && let Some(segment) = registry.find_key(key)
    {
        if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
            return Err(Errno::EEXIST);
        }
        if !caller.may_access(&segment.state.lock(), flags as u32 & 0o777) {
            return Err(Errno::EACCES);
        }
        if size > segment.size {
            return Err(Errno::EINVAL);
        }
        return Ok(segment.id);
    }
    if key != IPC_PRIVATE && flags & IPC_CREAT == 0 {
        return Err(Errno::ENOENT);
    }
    if !(SHMMIN..=SHMMAX).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let pages = size.div_ceil(crate::mm::PAGE_SIZE);
    if !crate::mm::may_commit(pages * crate::mm::PAGE_SIZE) {
        return Err(Errno::ENOMEM);
    }
    let index = registry.next_index()?;
    let id = ((registry.seq << INDEX_SHIFT) | index) as i32;
    let inode =
        hal::mm::heap::user_data(|| crate::fs::shmem::new_file(caller.euid, caller.egid, false))?;
    inode.truncate(size)?;
    let segment = Arc::new(Segment {
        id,
        size,
        inode,
        state: SpinLock::new(
            "ipc.shm.segment",
            SegmentState {
                key,
                uid: caller.euid,
                gid: caller.egid,
                cuid: caller.euid,
                cgid: caller.egid,
                mode: flags as u32 & 0o777,
                is_destroyed: false,
                is_locked: false,
                atime: 0,
                dtime: 0,
                ctime: now_secs(),
                cpid: caller.pid,
                lpid: 0,
            },
        ),
    });
    registry.by_index.insert(index, segment);
    Ok(id)
}

/// The segment whose file is `inode` (`shmdt` records the detach on it).
pub fn segment_of(inode: &Arc<dyn Inode>) -> Option<Arc<Segment>> {
    REGISTRY
        .lock()
        .by_index
        .values()
        .find(|segment| Arc::ptr_eq(&segment.inode, inode))
        .cloned()
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
pub fn remove(segment: &Segment) {
    let mut state = segment.state.lock();
    state.is_destroyed = true;
    state.key = IPC_PRIVATE;
    state.ctime = now_secs();
    drop(state);
    REGISTRY.lock().reap();
}

/// `IPC_INFO`/`SHM_INFO`: the highest index in use (or 0), segments in use and their pages.
pub fn usage() -> (i32, i32, u64, u64) {
    let mut registry = REGISTRY.lock();
    registry.reap();
    let highest = registry.by_index.keys().next_back().copied().unwrap_or(0) as i32;
    let used = registry.by_index.len() as i32;
    let pages: u64 = registry
        .by_index
        .values()
        .map(|segment| segment.size.div_ceil(crate::mm::PAGE_SIZE))
        .sum();
    let resident: u64 = registry
        .by_index
        .values()
        .filter_map(|segment| segment.inode.page_cache().map(|cache| cache.nr_pages()))
        .sum();
    (highest, used, pages, resident)
}
