//! Resource limits (`getrlimit`, `setrlimit`, `prlimit64`), with Linux's defaults for init
//! (`include/asm-generic/resource.h`, `INIT_RLIMITS`).
#![allow(
    dead_code,
    reason = "the full RLIMIT_* table of the ABI; not every limit is enforced yet"
)]

use abi::Errno;

use abi::system::resource as raw;

/// `RLIM_INFINITY`.
pub const INFINITY: u64 = abi::Rlimit::INFINITY;
/// Number of limits (`RLIM_NLIMITS`).
pub const COUNT: usize = raw::RLIM_NLIMITS as usize;

pub const RLIMIT_CPU: usize = raw::RLIMIT_CPU as usize;
pub const RLIMIT_FSIZE: usize = raw::RLIMIT_FSIZE as usize;
pub const RLIMIT_DATA: usize = raw::RLIMIT_DATA as usize;
pub const RLIMIT_STACK: usize = raw::RLIMIT_STACK as usize;
pub const RLIMIT_CORE: usize = raw::RLIMIT_CORE as usize;
pub const RLIMIT_RSS: usize = raw::RLIMIT_RSS as usize;
pub const RLIMIT_NPROC: usize = raw::RLIMIT_NPROC as usize;
pub const RLIMIT_NOFILE: usize = raw::RLIMIT_NOFILE as usize;
pub const RLIMIT_MEMLOCK: usize = raw::RLIMIT_MEMLOCK as usize;
pub const RLIMIT_AS: usize = raw::RLIMIT_AS as usize;
pub const RLIMIT_LOCKS: usize = raw::RLIMIT_LOCKS as usize;
pub const RLIMIT_SIGPENDING: usize = raw::RLIMIT_SIGPENDING as usize;
pub const RLIMIT_MSGQUEUE: usize = raw::RLIMIT_MSGQUEUE as usize;
pub const RLIMIT_NICE: usize = raw::RLIMIT_NICE as usize;
pub const RLIMIT_RTPRIO: usize = raw::RLIMIT_RTPRIO as usize;
pub const RLIMIT_RTTIME: usize = raw::RLIMIT_RTTIME as usize;

/// `NR_OPEN`: the most RLIMIT_NOFILE may be raised to (`fs.nr_open`).
pub const NR_OPEN: u64 = crate::sysctl::NR_OPEN_DEFAULT;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub soft: u64,
    pub hard: u64,
}

#[derive(Clone, Debug)]
pub struct ResourceLimits {
    limits: [Limit; COUNT],
}

impl ResourceLimits {
    /// Init's limits. `max_threads` sets RLIMIT_NPROC and RLIMIT_SIGPENDING as Linux derives them
    /// from memory size.
    pub fn for_init(max_threads: u64) -> ResourceLimits {
        let unlimited = Limit {
            soft: INFINITY,
            hard: INFINITY,
        };
        let mut limits = [unlimited; COUNT];
        limits[RLIMIT_STACK] = Limit {
            soft: 8 << 20,
            hard: INFINITY,
        };
        limits[RLIMIT_CORE] = Limit {
            soft: 0,
            hard: INFINITY,
        };
        limits[RLIMIT_NPROC] = Limit {
            soft: max_threads / 2,
            hard: max_threads / 2,
        };
        limits[RLIMIT_NOFILE] = Limit {
            soft: 1024,
            hard: 4096,
        };
        limits[RLIMIT_MEMLOCK] = Limit {
            soft: 8 << 20,
            hard: 8 << 20,
        };
        limits[RLIMIT_SIGPENDING] = Limit {
            soft: max_threads / 2,
            hard: max_threads / 2,
        };
        limits[RLIMIT_MSGQUEUE] = Limit {
            soft: 819_200,
            hard: 819_200,
        };
        limits[RLIMIT_NICE] = Limit { soft: 0, hard: 0 };
        limits[RLIMIT_RTPRIO] = Limit { soft: 0, hard: 0 };
        ResourceLimits { limits }
    }

    pub fn get(&self, resource: usize) -> Result<Limit, Errno> {
        self.limits.get(resource).copied().ok_or(Errno::EINVAL)
    }

    /// Moves a soft limit without the checks of [`ResourceLimits::set`] (the kernel's own
    /// change: RLIMIT_CPU's soft limit steps a second on after each SIGXCPU).
    pub fn set_soft_by_kernel(&mut self, resource: usize, soft: u64) {
        if let Some(limit) = self.limits.get_mut(resource) {
            limit.soft = soft;
        }
    }

    /// Sets a limit with Linux's checks: soft ≤ hard (EINVAL), raising the hard limit needs
    /// privilege (EPERM), RLIMIT_NOFILE at most `NR_OPEN` (EPERM).
    pub fn set(
        &mut self,
        resource: usize,
        new: Limit,
        is_privileged: bool,
    ) -> Result<Limit, Errno> {
        let old = self.get(resource)?;
        if new.soft > new.hard {
            return Err(Errno::EINVAL);
        }
        if resource == RLIMIT_NOFILE && new.hard > crate::sysctl::nr_open() {
            return Err(Errno::EPERM);
        }
        if new.hard > old.hard && !is_privileged {
            return Err(Errno::EPERM);
        }
        self.limits[resource] = new;
        Ok(old)
    }
}

/// The calling thread's `RLIMIT_FSIZE` soft limit (unlimited outside a process).
pub fn file_size_limit() -> u64 {
    crate::process::try_current().map_or(INFINITY, |thread| {
        thread
            .process
            .limits
            .lock()
            .get(RLIMIT_FSIZE)
            .map_or(INFINITY, |limit| limit.soft)
    })
}

/// Sends `SIGXFSZ` to the calling thread, as `send_sig(SIGXFSZ, current, 0)` (`SI_USER` from
/// itself): a write or a growth past `RLIMIT_FSIZE`.
pub fn signal_file_too_big() {
    if let Some(thread) = crate::process::try_current() {
        let uid = thread.process.credentials.lock().uid;
        let info = abi::signal::SigInfo::from_sender(
            sigrules::SIGXFSZ as i32,
            abi::signal::SI_USER,
            thread.process.pid,
            uid,
        );
        crate::signal::send_to_thread(&thread, info);
    }
}

/// Linux's `generic_write_check_limits` for a write of `count` bytes at `offset` to a regular
/// file: starting at or past `RLIMIT_FSIZE` is `SIGXFSZ` and `EFBIG`; a write that would cross
/// it is cut short there; past the largest file size (`MAX_LFS_FILESIZE`) it is `EFBIG`.
pub fn limit_file_write(offset: u64, count: usize) -> Result<usize, Errno> {
    const MAX_FILE_SIZE: u64 = i64::MAX as u64;
    let limit = file_size_limit();
    let mut count = count as u64;
    if limit != INFINITY {
        if offset >= limit {
            signal_file_too_big();
            return Err(Errno::EFBIG);
        }
        count = count.min(limit - offset);
    }
    if offset >= MAX_FILE_SIZE {
        return Err(Errno::EFBIG);
    }
    Ok(count.min(MAX_FILE_SIZE - offset) as usize)
}

/// Linux's `inode_newsize_ok` for a file growing to `new_size` (truncate, fallocate): past
/// `RLIMIT_FSIZE` is `SIGXFSZ` and `EFBIG`.
pub fn check_file_growth(old_size: u64, new_size: u64) -> Result<(), Errno> {
    if new_size > old_size && new_size > file_size_limit() {
        signal_file_too_big();
        return Err(Errno::EFBIG);
    }
    Ok(())
}
