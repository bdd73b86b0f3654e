//! `/proc/sys` (Linux's `kernel/sysctl.c`, `fs/proc/proc_sysctl.c`): the `kernel`, `vm`,
//! `fs` and `net` tables Ferrux has (`net.ipv4.ip_local_port_range` and
//! `ip_unprivileged_port_start`), each entry read and written with Linux's handlers.
//!
//! Integers (`proc_dointvec_minmax`, `proc_doulongvec_minmax`): read as the number and a
//! newline; a write takes one number with optional surrounding white space (`EINVAL` for
//! anything else or a value out of range) and changes the variable the kernel enforces
//! (`crate::sysctl`, the uts names, the pid allocator…). Strings (`proc_dostring`, the host and
//! domain names): a write keeps the text up to the first newline, at most 64 bytes. Writes at a
//! position other than 0 are ignored, as `sysctl_writes_strict=1` does for a single value.
//! Permissions are the entries' modes (root-owned, `0644` for the writable ones), which hold
//! for root too (`proc_sys_permission`): writing a read-only entry is `EACCES` at open.
//!
//! `kernel.printk`'s first level is the console log level (`printk::set_max_level`),
//! `kernel.dmesg_restrict` the one `/dev/kmsg` and syslog check.
//! Entries whose effect Ferrux has no machinery for keep the value written and show it
//! (`vm.swappiness`, `vm.vfs_cache_pressure`, the dirty ratios, `kernel.core_pattern`…); read-only
//! entries show the fixed value Linux shows (`kernel.ngroups_max`, `cap_last_cap`, …).
//! `vm.drop_caches` is write-only and has nothing to drop (tmpfs pages are the only cache).
//! `vm.min_free_kbytes` is read-only here (hal fixes the reserve at boot).

use super::fixed_ino;
use crate::out;
use crate::sysctl as knobs;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicI64, Ordering};
use spin::Once;
use vfs::FileType;
use vfs::pseudo::{Node, NodeAttr, StaticDir, StaticEntry, push};

/// A write handler of a string or custom entry.
type WriteFn = fn(&[u8]) -> Result<(), Errno>;

/// How an entry reads and writes.
enum Handler {
    /// An integer with a getter, a setter and its range.
    Int {
        get: fn() -> i64,
        set: Option<fn(i64)>,
        min: i64,
        max: i64,
    },
    /// A string (uts names): getter and setter.
    Text {
        get: fn() -> Vec<u8>,
        set: Option<WriteFn>,
    },
    /// An integer kept in an atomic variable, with its range.
    Knob {
        value: &'static AtomicI64,
        min: i64,
        max: i64,
    },
    /// Rendered by a function; writes go to another (or are refused).
    Custom {
        render: fn(&mut Vec<u8>) -> Result<(), Errno>,
        write: Option<WriteFn>,
    },
}

/// One `/proc/sys` file.
pub struct SysctlFile {
    ino: u64,
    mode: u32,
    handler: Handler,
}

/// Parses one integer with optional white space around it (`proc_get_long`).
fn parse_long(data: &[u8]) -> Result<i64, Errno> {
    let text = core::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0');
    if text.is_empty() {
        return Err(Errno::EINVAL);
    }
    text.parse::<i64>().map_err(|_| Errno::EINVAL)
}

/// An `unsigned long` as `proc_doulongvec_minmax` reads one: decimal, no sign.
fn parse_ulong(data: &[u8]) -> Result<u64, Errno> {
    let text = core::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0');
    if text.is_empty() || text.starts_with('-') {
        return Err(Errno::EINVAL);
    }
    text.parse::<u64>().map_err(|_| Errno::EINVAL)
}

impl Node for SysctlFile {
    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        NodeAttr::root(self.mode)
    }

    /// `proc_sys_permission`: the mode holds even for root (no write to a read-only entry,
    /// no read of a write-only one).
    fn may_open(&self, is_write: bool) -> Result<(), Errno> {
        let bits = if is_write { 0o222 } else { 0o444 };
        if self.mode & bits == 0 {
            return Err(Errno::EACCES);
        }
        Ok(())
    }

    fn render(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        match &self.handler {
            Handler::Int { get, .. } => out!(out, "{}\n", get()),
            Handler::Knob { value, .. } => out!(out, "{}\n", value.load(Ordering::Relaxed)),
            Handler::Text { get, .. } => {
                push(out, &get())?;
                push(out, b"\n")
            }
            Handler::Custom { render, .. } => render(out),
        }
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        if offset != 0 {
            return Ok(data.len());
        }
        match &self.handler {
            Handler::Int {
                set: Some(set),
                min,
                max,
                ..
            } => {
                let value = parse_long(data)?;
                if value < *min || value > *max {
                    return Err(Errno::EINVAL);
                }
                set(value);
            }
            Handler::Knob { value, min, max } => {
                let new = parse_long(data)?;
                if new < *min || new > *max {
                    return Err(Errno::EINVAL);
                }
                value.store(new, Ordering::Relaxed);
            }
            Handler::Text { set: Some(set), .. } => {
                let end = data
                    .iter()
                    .position(|&b| b == b'\n' || b == 0)
                    .unwrap_or(data.len());
                set(&data[..end.min(crate::UTS_NAME_LEN)])?;
            }
            Handler::Custom {
                write: Some(write), ..
            } => write(data)?,
            _ => return Err(Errno::EINVAL),
        }
        Ok(data.len())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn int(
    name: &'static [u8],
    get: fn() -> i64,
    set: Option<fn(i64)>,
    (min, max): (i64, i64),
) -> StaticEntry {
    StaticEntry {
        name,
        node: Arc::new(SysctlFile {
            ino: fixed_ino(),
            mode: if set.is_some() { 0o644 } else { 0o444 },
            handler: Handler::Int { get, set, min, max },
        }),
    }
}

fn text(name: &'static [u8], get: fn() -> Vec<u8>, set: Option<WriteFn>) -> StaticEntry {
    StaticEntry {
        name,
        node: Arc::new(SysctlFile {
            ino: fixed_ino(),
            mode: if set.is_some() { 0o644 } else { 0o444 },
            handler: Handler::Text { get, set },
        }),
    }
}

fn custom(
    name: &'static [u8],
    mode: u32,
    render: fn(&mut Vec<u8>) -> Result<(), Errno>,
    write: Option<WriteFn>,
) -> StaticEntry {
    StaticEntry {
        name,
        node: Arc::new(SysctlFile {
            ino: fixed_ino(),
            mode,
            handler: Handler::Custom { render, write },
        }),
    }
}

fn dir(name: &'static [u8], entries: Vec<StaticEntry>) -> StaticEntry {
    StaticEntry {
        name,
        node: StaticDir::new(fixed_ino(), 0o555, entries),
    }
}

/// `kernel.ns_last_pid`: the last pid handed out in the reader's PID namespace
/// (`pid_ns_ctl_handler`).
fn ns_last_pid(out: &mut Vec<u8>) -> Result<(), Errno> {
    let thread = crate::process::current();
    out!(out, "{}\n", thread.pid_ns().last_pid())
}

/// Writing it sets where the namespace's next pid search starts: `CAP_SYS_ADMIN` or
/// `CAP_CHECKPOINT_RESTORE` in the namespace's owner (`EPERM`), a value in 0..=pid_max.
fn set_ns_last_pid(data: &[u8]) -> Result<(), Errno> {
    let thread = crate::process::current();
    let ns = thread.pid_ns().clone();
    let credentials = thread.process.credentials.lock().clone();
    if !credentials.ns_capable(&ns.owner, abi::capability::CAP_SYS_ADMIN)
        && !credentials.ns_capable(&ns.owner, abi::capability::CAP_CHECKPOINT_RESTORE)
    {
        return Err(Errno::EPERM);
    }
    let value = parse_long(data)?;
    if value < 0 || value > i64::from(knobs::pid_max()) {
        return Err(Errno::EINVAL);
    }
    ns.set_last_pid(value as u32);
    Ok(())
}

/// A value kept only to be shown again (no machinery to apply it).
macro_rules! stored {
    ($name:ident, $default:expr) => {
        static $name: AtomicI64 = AtomicI64::new($default);
    };
}

stored!(TAINTED, 0);
stored!(CORE_USES_PID, 0);
stored!(PANIC_ON_OOPS, 0);
stored!(KPTR_RESTRICT, 0);
stored!(OVERFLOWUID, 65534);
stored!(OVERFLOWGID, 65534);
stored!(SWAPPINESS, 60);
// vm.vfs_cache_pressure: kept and reported (the dentry cache has no shrinker to weigh yet).
stored!(VFS_CACHE_PRESSURE, 100);
use crate::fs::ext4::writeback::{
    DIRTY_BACKGROUND_RATIO, DIRTY_EXPIRE_CENTISECS, DIRTY_RATIO, DIRTY_WRITEBACK_CENTISECS,
};

static PRINTK: spin::Mutex<[i64; 4]> = spin::Mutex::new([4, 4, 1, 7]);
static CORE_PATTERN: spin::Mutex<Vec<u8>> = spin::Mutex::new(Vec::new());

/// `kernel.core_pattern` (`core` until set).
pub fn core_pattern() -> Vec<u8> {
    let pattern = CORE_PATTERN.lock();
    if pattern.is_empty() {
        b"core".to_vec()
    } else {
        pattern.clone()
    }
}

/// `kernel.core_uses_pid`.
pub fn core_uses_pid() -> bool {
    CORE_USES_PID.load(Ordering::Relaxed) != 0
}

/// `kernel/random/boot_id`: one UUID per boot.
static BOOT_ID: Once<[u8; 16]> = Once::new();

fn uuid(out: &mut Vec<u8>, mut bytes: [u8; 16]) -> Result<(), Errno> {
    // Version 4, variant 10 (`generate_random_uuid`).
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            push(out, b"-")?;
        }
        out!(out, "{b:02x}")?;
    }
    push(out, b"\n")
}

fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    crate::random::fill(&mut bytes);
    bytes
}

fn load(value: &AtomicI64) -> i64 {
    value.load(Ordering::Relaxed)
}

/// The `/proc/sys` tree.
pub fn tree() -> Result<Arc<StaticDir>, Errno> {
    let random = alloc::vec![
        custom(
            b"boot_id",
            0o444,
            |out| uuid(out, *BOOT_ID.call_once(random_bytes)),
            None
        ),
        int(
            b"entropy_avail",
            || i64::from(crate::drivers::mem::ENTROPY_BITS),
            None,
            (0, 0),
        ),
        int(b"poolsize", || 256, None, (0, 0)),
        custom(b"uuid", 0o444, |out| uuid(out, random_bytes()), None),
    ];
    let ipv4 = alloc::vec![
        custom(
            b"ip_local_port_range",
            0o644,
            |out| {
                let range = crate::net::inet::table::port_range();
                out!(out, "{}\t{}\n", range.low, range.high)
            },
            Some(|data| {
                // ipv4_local_port_range: low <= high, low not below the privileged ports.
                let range = ::inet::ports::PortRange::parse(data).ok_or(Errno::EINVAL)?;
                let start =
                    crate::net::inet::table::UNPRIVILEGED_PORT_START.load(Ordering::Relaxed);
                if u32::from(range.low) < start {
                    return Err(Errno::EINVAL);
                }
                crate::net::inet::table::set_port_range(range);
                Ok(())
            })
        ),
        int(
            b"ip_unprivileged_port_start",
            || i64::from(crate::net::inet::table::UNPRIVILEGED_PORT_START.load(Ordering::Relaxed)),
            Some(|v| crate::net::inet::table::UNPRIVILEGED_PORT_START
                .store(v as u32, Ordering::Relaxed)),
            (0, 65535)
        ),
    ];
    let kernel = alloc::vec![
        int(b"cap_last_cap", || 40, None, (0, 0)),
        custom(
            b"core_pattern",
            0o644,
            |out| {
                let pattern = CORE_PATTERN.lock();
                push(
                    out,
                    if pattern.is_empty() {
                        b"core"
                    } else {
                        &pattern
                    },
                )?;
                push(out, b"\n")
            },
            Some(|data| {
                let end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
                let mut value = Vec::new();
                value
                    .try_reserve_exact(end.min(127))
                    .map_err(|_| Errno::ENOMEM)?;
                value.extend_from_slice(&data[..end.min(127)]);
                *CORE_PATTERN.lock() = value;
                Ok(())
            })
        ),
        int(
            b"core_uses_pid",
            || load(&CORE_USES_PID),
            Some(|v| CORE_USES_PID.store(v, Ordering::Relaxed)),
            (i32::MIN.into(), i32::MAX.into())
        ),
        int(
            b"dmesg_restrict",
            || crate::printk::DMESG_RESTRICT.load(Ordering::Relaxed).into(),
            Some(|v| crate::printk::DMESG_RESTRICT.store(v != 0, Ordering::Relaxed)),
            (0, 1)
        ),
        text(
            b"domainname",
            crate::domainname,
            Some(crate::set_domainname)
        ),
        text(b"hostname", crate::hostname, Some(crate::set_hostname)),
        dir(b"keys", keys_dir()),
        int(
            b"kptr_restrict",
            || load(&KPTR_RESTRICT),
            Some(|v| KPTR_RESTRICT.store(v, Ordering::Relaxed)),
            (0, 2)
        ),
        int(
            b"msg_next_id",
            || crate::ipc::current().msg.ids.next_id().into(),
            Some(|v| crate::ipc::current().msg.ids.set_next_id(v as i32)),
            (0, i32::MAX.into())
        ),
        int(
            b"msgmax",
            || crate::ipc::msg::msgmax().into(),
            Some(crate::ipc::msg::set_msgmax),
            (0, i32::MAX.into())
        ),
        int(
            b"msgmnb",
            || crate::ipc::msg::msgmnb().into(),
            Some(crate::ipc::msg::set_msgmnb),
            (0, i32::MAX.into())
        ),
        int(
            b"msgmni",
            || crate::ipc::msg::msgmni().into(),
            Some(crate::ipc::msg::set_msgmni),
            (0, ipcrules::ids::IPCMNI.into())
        ),
        int(b"ngroups_max", || 65536, None, (0, 0)),
        custom(b"ns_last_pid", 0o666, ns_last_pid, Some(set_ns_last_pid)),
        text(b"osrelease", || crate::syscall::sys_release().into(), None),
        text(b"ostype", || b"Linux".to_vec(), None),
        int(
            b"overflowgid",
            || load(&OVERFLOWGID),
            Some(|v| OVERFLOWGID.store(v, Ordering::Relaxed)),
            (0, 65535)
        ),
        int(
            b"overflowuid",
            || load(&OVERFLOWUID),
            Some(|v| OVERFLOWUID.store(v, Ordering::Relaxed)),
            (0, 65535)
        ),
        int(
            b"panic",
            crate::panic_policy::timeout,
            Some(crate::panic_policy::set_timeout),
            (i32::MIN.into(), i32::MAX.into())
        ),
        int(
            b"panic_on_oops",
            || load(&PANIC_ON_OOPS),
            Some(|v| PANIC_ON_OOPS.store(v, Ordering::Relaxed)),
            (i32::MIN.into(), i32::MAX.into())
        ),
        int(
            b"pid_max",
            || knobs::pid_max().into(),
            Some(|v| knobs::set_pid_max(v as u32)),
            (301, knobs::PID_MAX_LIMIT.into())
        ),
        custom(
            b"printk",
            0o644,
            |out| {
                let levels = *PRINTK.lock();
                out!(
                    out,
                    "{}\t{}\t{}\t{}\n",
                    crate::printk::console_loglevel(),
                    levels[1],
                    levels[2],
                    levels[3]
                )
            },
            Some(|data| {
                let text = core::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
                let mut levels = *PRINTK.lock();
                let mut count = 0;
                for (slot, word) in levels.iter_mut().zip(text.split_ascii_whitespace()) {
                    *slot = word.parse().map_err(|_| Errno::EINVAL)?;
                    count += 1;
                }
                if count == 0 {
                    return Err(Errno::EINVAL);
                }
                // The first level is the console's: records below it reach the console.
                crate::printk::set_max_level(match levels[0] {
                    i64::MIN..=0 => log::LevelFilter::Off,
                    1..=4 => log::LevelFilter::Error,
                    5 => log::LevelFilter::Warn,
                    6 | 7 => log::LevelFilter::Info,
                    _ => log::LevelFilter::Debug,
                });
                *PRINTK.lock() = levels;
                Ok(())
            })
        ),
        dir(b"random", random),
        custom(
            b"sem",
            0o644,
            crate::ipc::sem::proc_sem,
            Some(crate::ipc::sem::write_proc_sem)
        ),
        int(
            b"sem_next_id",
            || crate::ipc::current().sem.ids.next_id().into(),
            Some(|v| crate::ipc::current().sem.ids.set_next_id(v as i32)),
            (0, i32::MAX.into())
        ),
        int(
            b"shm_next_id",
            || crate::ipc::current().shm.ids.next_id().into(),
            Some(|v| crate::ipc::current().shm.ids.set_next_id(v as i32)),
            (0, i32::MAX.into())
        ),
        custom(
            b"shmall",
            0o644,
            |out| out!(out, "{}\n", crate::ipc::shm::shmall()),
            Some(|data| {
                crate::ipc::shm::set_shmall(parse_ulong(data)?);
                Ok(())
            })
        ),
        custom(
            b"shmmax",
            0o644,
            |out| out!(out, "{}\n", crate::ipc::shm::shmmax()),
            Some(|data| {
                crate::ipc::shm::set_shmmax(parse_ulong(data)?);
                Ok(())
            })
        ),
        int(
            b"shmmni",
            || crate::ipc::shm::shmmni().into(),
            Some(|v| crate::ipc::shm::set_shmmni(v as u32)),
            (0, ipcrules::ids::IPCMNI.into())
        ),
        int(
            b"randomize_va_space",
            || knobs::randomize_va_space().into(),
            Some(|v| knobs::set_randomize_va_space(v as u32)),
            (i32::MIN.into(), i32::MAX.into())
        ),
        custom(
            b"sched_rt_period_us",
            0o644,
            |out| push(
                out,
                alloc::format!("{}\n", crate::sched::rt_sysctl().0).as_bytes()
            ),
            Some(|data| {
                let period = parse_long(data)?;
                crate::sched::set_rt_sysctl(period, crate::sched::rt_sysctl().1)
            })
        ),
        custom(
            b"sched_rt_runtime_us",
            0o644,
            |out| push(
                out,
                alloc::format!("{}\n", crate::sched::rt_sysctl().1).as_bytes()
            ),
            Some(|data| {
                let runtime = parse_long(data)?;
                crate::sched::set_rt_sysctl(crate::sched::rt_sysctl().0 as i64, runtime)
            })
        ),
        dir(b"seccomp", seccomp_dir()),
        int(
            b"tainted",
            || load(&TAINTED),
            Some(|v| TAINTED.store(v, Ordering::Relaxed)),
            (0, i64::MAX)
        ),
        int(
            b"threads-max",
            || knobs::limits().max_threads as i64,
            Some(|v| knobs::set_max_threads(v as u64)),
            (knobs::THREADS_RANGE.0 as i64, knobs::THREADS_RANGE.1 as i64)
        ),
        int(
            b"unprivileged_userns_clone",
            || i64::from(crate::ns::user::UNPRIVILEGED_USERNS_CLONE.load(Ordering::Relaxed)),
            Some(|v| crate::ns::user::UNPRIVILEGED_USERNS_CLONE.store(v as i32, Ordering::Relaxed)),
            (0, 1)
        ),
        text(b"version", || crate::syscall::sys_version().into(), None),
    ];
    let vm = alloc::vec![
        int(
            b"dirty_background_ratio",
            || load(&DIRTY_BACKGROUND_RATIO),
            Some(|v| DIRTY_BACKGROUND_RATIO.store(v, Ordering::Relaxed)),
            (0, 100)
        ),
        int(
            b"dirty_expire_centisecs",
            || load(&DIRTY_EXPIRE_CENTISECS),
            Some(|v| DIRTY_EXPIRE_CENTISECS.store(v, Ordering::Relaxed)),
            (0, i32::MAX.into())
        ),
        int(
            b"dirty_ratio",
            || load(&DIRTY_RATIO),
            Some(|v| DIRTY_RATIO.store(v, Ordering::Relaxed)),
            (0, 100)
        ),
        int(
            b"dirty_writeback_centisecs",
            || load(&DIRTY_WRITEBACK_CENTISECS),
            Some(|v| {
                DIRTY_WRITEBACK_CENTISECS.store(v, Ordering::Relaxed);
                // A new interval takes effect now (dirty_writeback_centisecs_handler).
                crate::fs::ext4::writeback::kick();
            }),
            (0, i32::MAX.into())
        ),
        custom(
            b"drop_caches",
            0o200,
            |_| Err(Errno::EACCES),
            Some(|data| {
                match parse_long(data)? {
                    value @ 1..=4 => {
                        if value & 1 != 0 {
                            crate::fs::ext4::writeback::drop_caches();
                        }
                        Ok(())
                    }
                    _ => Err(Errno::EINVAL),
                }
            })
        ),
        int(
            b"max_map_count",
            || knobs::max_map_count() as i64,
            Some(|v| knobs::set_max_map_count(v as usize)),
            (0, i32::MAX.into())
        ),
        int(
            b"min_free_kbytes",
            || (hal::mm::frame::reserve_frames() * 4) as i64,
            None,
            (0, 0)
        ),
        int(
            b"mmap_min_addr",
            || crate::mm::address_space::MMAP_MIN_ADDR as i64,
            None,
            (0, 0)
        ),
        int(
            b"overcommit_memory",
            || knobs::overcommit_memory().into(),
            Some(|v| knobs::set_overcommit_memory(v as u32)),
            (0, 2)
        ),
        int(
            b"overcommit_ratio",
            || knobs::overcommit_ratio().into(),
            Some(|v| knobs::set_overcommit_ratio(v as u32)),
            (0, i32::MAX.into())
        ),
        int(
            b"swappiness",
            || load(&SWAPPINESS),
            Some(|v| SWAPPINESS.store(v, Ordering::Relaxed)),
            (0, 200)
        ),
        int(
            b"unprivileged_userfaultfd",
            || i64::from(crate::fs::userfaultfd::UNPRIVILEGED_USERFAULTFD.load(Ordering::Relaxed)),
            Some(|v| crate::fs::userfaultfd::UNPRIVILEGED_USERFAULTFD
                .store(v as u32, Ordering::Relaxed)),
            (0, 1)
        ),
        int(
            b"vfs_cache_pressure",
            || load(&VFS_CACHE_PRESSURE),
            Some(|v| VFS_CACHE_PRESSURE.store(v, Ordering::Relaxed)),
            (0, i32::MAX.into())
        ),
    ];
    let epoll = alloc::vec![int(
        b"max_user_watches",
        || knobs::limits().max_user_watches as i64,
        Some(|v| knobs::set_max_user_watches(v as u64)),
        (0, i64::MAX)
    )];
    // fs.mqueue: the caller's IPC namespace's values.
    let mqueue_knob = |index: usize, get: fn() -> i64, set: fn(i64)| {
        let (name, range) = crate::ipc::mqueue::KNOBS[index];
        int(name, get, Some(set), range)
    };
    use crate::ipc::mqueue::{knob, set_knob};
    let mqueue = alloc::vec![
        mqueue_knob(0, || knob(0), |v| set_knob(0, v)),
        mqueue_knob(1, || knob(1), |v| set_knob(1, v)),
        mqueue_knob(2, || knob(2), |v| set_knob(2, v)),
        mqueue_knob(3, || knob(3), |v| set_knob(3, v)),
        mqueue_knob(4, || knob(4), |v| set_knob(4, v)),
    ];
    let inotify = alloc::vec![
        StaticEntry {
            name: b"max_queued_events",
            node: Arc::new(SysctlFile {
                ino: fixed_ino(),
                mode: 0o644,
                handler: Handler::Knob {
                    value: &crate::fs::notify::MAX_QUEUED_EVENTS,
                    min: 0,
                    max: i32::MAX.into(),
                },
            }),
        },
        StaticEntry {
            name: b"max_user_instances",
            node: Arc::new(SysctlFile {
                ino: fixed_ino(),
                mode: 0o644,
                handler: Handler::Knob {
                    value: &crate::fs::notify::MAX_USER_INSTANCES,
                    min: 0,
                    max: i32::MAX.into(),
                },
            }),
        },
        int(
            b"max_user_watches",
            crate::fs::notify::max_user_watches,
            Some(crate::fs::notify::set_max_user_watches),
            (0, i32::MAX.into())
        ),
    ];
    let fanotify_knob = |name, value| StaticEntry {
        name,
        node: Arc::new(SysctlFile {
            ino: fixed_ino(),
            mode: 0o644,
            handler: Handler::Knob {
                value,
                min: 0,
                max: i32::MAX.into(),
            },
        }),
    };
    let fanotify = alloc::vec![
        fanotify_knob(
            b"max_queued_events",
            &crate::fs::fanotify::MAX_QUEUED_EVENTS
        ),
        fanotify_knob(b"max_user_groups", &crate::fs::fanotify::MAX_USER_GROUPS),
        int(
            b"max_user_marks",
            crate::fs::fanotify::max_user_marks,
            Some(crate::fs::fanotify::set_max_user_marks),
            (0, i32::MAX.into())
        ),
    ];
    let fs = alloc::vec![
        StaticEntry {
            name: b"dir-notify-enable",
            node: Arc::new(SysctlFile {
                ino: fixed_ino(),
                mode: 0o644,
                handler: Handler::Knob {
                    value: &crate::fs::dnotify::DIR_NOTIFY_ENABLE,
                    min: i32::MIN.into(),
                    max: i32::MAX.into(),
                },
            }),
        },
        int(
            b"aio-max-nr",
            || crate::fs::aio::AIO_MAX_NR.load(Ordering::Relaxed) as i64,
            Some(|v| crate::fs::aio::AIO_MAX_NR.store(v as u64, Ordering::Relaxed)),
            (0, i64::MAX)
        ),
        custom(
            b"aio-nr",
            0o444,
            |out| out!(out, "{}\n", crate::fs::aio::aio_nr()),
            None
        ),
        dir(b"epoll", epoll),
        int(
            b"file-max",
            || knobs::limits().max_files as i64,
            Some(|v| knobs::set_max_files(v as u64)),
            (0, i64::MAX)
        ),
        custom(
            b"file-nr",
            0o444,
            |out| out!(
                out,
                "{}\t0\t{}\n",
                crate::fs::file_table::open_files(),
                knobs::limits().max_files
            ),
            None
        ),
        custom(
            b"inode-nr",
            0o444,
            |out| out!(out, "{}\t0\n", vfs::page_cache::total_cached_pages()),
            None
        ),
        int(
            b"nr_open",
            || knobs::nr_open() as i64,
            Some(|v| knobs::set_nr_open(v as u64)),
            (64, 1_073_741_816)
        ),
        dir(b"fanotify", fanotify),
        dir(b"inotify", inotify),
        StaticEntry {
            name: b"lease-break-time",
            node: Arc::new(SysctlFile {
                ino: fixed_ino(),
                mode: 0o644,
                handler: Handler::Knob {
                    value: &crate::fs::locks::LEASE_BREAK_TIME,
                    min: i32::MIN.into(),
                    max: i32::MAX.into(),
                },
            }),
        },
        StaticEntry {
            name: b"leases-enable",
            node: Arc::new(SysctlFile {
                ino: fixed_ino(),
                mode: 0o644,
                handler: Handler::Knob {
                    value: &crate::fs::locks::LEASES_ENABLE,
                    min: i32::MIN.into(),
                    max: i32::MAX.into(),
                },
            }),
        },
        dir(b"mqueue", mqueue),
        custom(
            b"pipe-max-size",
            0o644,
            |out| out!(out, "{}\n", knobs::pipe_max_size()),
            Some(|data| {
                // round_pipe_size: a power of two number of pages, at least one.
                let value = parse_long(data)?;
                if value <= 0 || value > i64::from(u32::MAX) {
                    return Err(Errno::EINVAL);
                }
                let size = (value as u64).next_multiple_of(4096).next_power_of_two();
                knobs::set_pipe_max_size(size);
                Ok(())
            })
        ),
        custom(
            b"pipe-user-pages-hard",
            0o644,
            |out| out!(out, "{}\n", knobs::pipe_user_pages().1),
            Some(|data| {
                knobs::set_pipe_user_pages_hard(parse_ulong(data)?);
                Ok(())
            })
        ),
        custom(
            b"pipe-user-pages-soft",
            0o644,
            |out| out!(out, "{}\n", knobs::pipe_user_pages().0),
            Some(|data| {
                knobs::set_pipe_user_pages_soft(parse_ulong(data)?);
                Ok(())
            })
        ),
    ];
    Ok(StaticDir::new(
        fixed_ino(),
        0o555,
        alloc::vec![
            dir(b"fs", fs),
            dir(b"kernel", kernel),
            dir(b"net", alloc::vec![dir(b"ipv4", ipv4)]),
            dir(b"vm", vm)
        ],
    ))
}

/// `kernel.keys`: the key quotas (`security/keys/sysctl.c`: at least 1) and the garbage
/// collector's delay.
/// `kernel.seccomp`: the actions this kernel has, and those it logs (`seccomp_sysctl_table`;
/// writing needs `CAP_SYS_ADMIN`, `allow` or an unknown name is `EINVAL`).
fn seccomp_dir() -> Vec<StaticEntry> {
    fn names(out: &mut Vec<u8>, bits: u32) -> Result<(), Errno> {
        let mut text = [0u8; 96];
        let len = seccomp::format_actions(bits, &mut text);
        push(out, &text[..len])?;
        push(out, b"\n")
    }
    alloc::vec![
        custom(b"actions_avail", 0o444, |out| names(out, u32::MAX), None),
        custom(
            b"actions_logged",
            0o644,
            |out| names(
                out,
                crate::seccomp::ACTIONS_LOGGED.load(core::sync::atomic::Ordering::Relaxed)
            ),
            Some(|data| {
                let is_admin = crate::process::try_current().is_some_and(|thread| {
                    thread
                        .process
                        .credentials
                        .lock()
                        .has_capability(abi::capability::CAP_SYS_ADMIN)
                });
                if !is_admin {
                    return Err(Errno::EPERM);
                }
                let bits = seccomp::parse_logged(data)?;
                crate::seccomp::ACTIONS_LOGGED.store(bits, core::sync::atomic::Ordering::Relaxed);
                Ok(())
            })
        ),
    ]
}

fn keys_dir() -> Vec<StaticEntry> {
    fn limit(read: fn(&keyrules::quota::Limits) -> u32) -> i64 {
        i64::from(read(&crate::keys::LIMITS.lock()))
    }
    alloc::vec![
        int(
            b"gc_delay",
            || crate::keys::GC_DELAY.load(Ordering::Relaxed) as i64,
            Some(|v| crate::keys::GC_DELAY.store(v as u64, Ordering::Relaxed)),
            (0, i32::MAX.into())
        ),
        int(
            b"maxbytes",
            || limit(|l| l.maxbytes),
            Some(|v| crate::keys::LIMITS.lock().maxbytes = v as u32),
            (1, i32::MAX.into())
        ),
        int(
            b"maxkeys",
            || limit(|l| l.maxkeys),
            Some(|v| crate::keys::LIMITS.lock().maxkeys = v as u32),
            (1, i32::MAX.into())
        ),
        int(
            b"root_maxbytes",
            || limit(|l| l.root_maxbytes),
            Some(|v| crate::keys::LIMITS.lock().root_maxbytes = v as u32),
            (1, i32::MAX.into())
        ),
        int(
            b"root_maxkeys",
            || limit(|l| l.root_maxkeys),
            Some(|v| crate::keys::LIMITS.lock().root_maxkeys = v as u32),
            (1, i32::MAX.into())
        ),
    ]
}
