//! The memory devices of major 1 (Linux's `drivers/char/mem.c` and `drivers/char/random.c`):
//! `/dev/null` (1:3) reads end of file and swallows writes, `/dev/zero` (1:5) reads zeros and
//! swallows writes, `/dev/full` (1:7) reads zeros and fails writes with `ENOSPC`,
//! `/dev/random` (1:8) and `/dev/urandom` (1:9) read the kernel's random generator and mix
//! what is written into it; their ioctls are `random_ioctl`'s (`RNDGETENTCNT` for anyone, the
//! others with `CAP_SYS_ADMIN`, `EINVAL` for unknown requests). Minor 11 is `/dev/kmsg` ([`super::kmsg`]). Seeks: null, zero and full always answer 0
//! (`null_lseek`), the random devices leave the position alone (`noop_llseek`).
//!
//! Not done: `/dev/mem` (1:1) and `/dev/port` (1:4), which would hand out physical memory and
//! I/O ports.

use crate::fs::devices::{CharDevice, OpenRequest, register_char};
use crate::fs::file::{FileOps, SeekPolicy};
use crate::fs::sysfs::Parent;
use abi::Errno;
use alloc::sync::Arc;
use vfs::{FileType, Metadata, Timespec};

#[derive(Clone, Copy, PartialEq, Eq)]
enum MemoryKind {
    Null,
    Zero,
    Full,
    Random,
}

/// The driver of the memory devices: one per minor.
struct MemoryDriver;

impl CharDevice for MemoryDriver {
    fn open(&self, request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
        let kind = match request.minor() {
            3 => MemoryKind::Null,
            5 => MemoryKind::Zero,
            7 => MemoryKind::Full,
            8 | 9 => MemoryKind::Random,
            11 => return super::kmsg::open(request),
            _ => return Err(Errno::ENXIO),
        };
        Ok(Arc::new(MemoryDevice {
            kind,
            rdev: request.rdev,
        }))
    }
}

/// Registers major 1 (`register_chrdev(MEM_MAJOR, "mem", ...)`: all its minors; those with no
/// device answer `ENXIO`, as `memory_open`).
pub fn register() -> Result<(), Errno> {
    register_char(1, 0, 256, "mem", Arc::new(MemoryDriver))?;
    // The devices of the mem class, with `devlist`'s modes (`mem_devnode`).
    for (name, minor, mode) in [
        (&b"null"[..], 3, 0o666),
        (b"zero", 5, 0o666),
        (b"full", 7, 0o666),
        (b"random", 8, 0o666),
        (b"urandom", 9, 0o666),
        (b"kmsg", 11, 0o644),
    ] {
        super::base::device_create(Parent::Virtual, b"mem", name, (1, minor), Some(mode), &[])?;
    }
    Ok(())
}

struct MemoryDevice {
    kind: MemoryKind,
    rdev: u64,
}

impl FileOps for MemoryDevice {
    fn read(&self, _: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        match self.kind {
            MemoryKind::Null => Ok(0),
            MemoryKind::Zero | MemoryKind::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            MemoryKind::Random => {
                crate::random::fill(buf);
                Ok(buf.len())
            }
        }
    }

    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        match self.kind {
            MemoryKind::Full => Err(Errno::ENOSPC),
            MemoryKind::Random => {
                crate::random::mix(data);
                Ok(data.len())
            }
            _ => Ok(data.len()),
        }
    }

    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        if self.kind == MemoryKind::Random {
            random_ioctl(command, argument)
        } else {
            Err(Errno::ENOTTY)
        }
    }

    fn seek_policy(&self) -> SeekPolicy {
        if self.kind == MemoryKind::Random {
            SeekPolicy::NoMove
        } else {
            SeekPolicy::AlwaysZero
        }
    }

    fn metadata(&self) -> Metadata {
        device_metadata(self.rdev, 0o666)
    }
}

/// The entropy count `RNDGETENTCNT` and `/proc/sys/kernel/random/entropy_avail` report: the
/// pool is ready from boot (`POOL_READY_BITS`, the most `input_pool.init_bits` reaches).
pub const ENTROPY_BITS: i32 = 256;

/// `random_ioctl` (Linux 6.1 `drivers/char/random.c`).
fn random_ioctl(command: u32, argument: u64) -> Result<usize, Errno> {
    use abi::random::ioctl::{
        RNDADDENTROPY, RNDADDTOENTCNT, RNDCLEARPOOL, RNDGETENTCNT, RNDRESEEDCRNG, RNDZAPENTCNT,
    };
    use hal::usercopy::{read_user, write_user};
    let is_admin = || {
        crate::process::current()
            .process
            .credentials
            .lock()
            .has_capability(abi::capability::CAP_SYS_ADMIN)
    };
    match command {
        RNDGETENTCNT => write_user(argument, &ENTROPY_BITS).map(|()| 0),
        RNDADDTOENTCNT | RNDADDENTROPY | RNDZAPENTCNT | RNDCLEARPOOL | RNDRESEEDCRNG
            if !is_admin() =>
        {
            Err(Errno::EPERM)
        }
        RNDADDTOENTCNT => {
            // Crediting bits: the pool is ready already, and init_bits stays at its cap.
            let count: i32 = read_user(argument)?;
            if count < 0 {
                return Err(Errno::EINVAL);
            }
            Ok(0)
        }
        RNDADDENTROPY => {
            // struct rand_pool_info { int entropy_count; int buf_size; __u32 buf[]; }
            let count: i32 = read_user(argument)?;
            if count < 0 {
                return Err(Errno::EINVAL);
            }
            let len: i32 = read_user(argument.wrapping_add(4))?;
            // import_single_range: a negative size is a huge one, which access_ok refuses.
            let len = usize::try_from(len).map_err(|_| Errno::EFAULT)?;
            let mut chunk = [0u8; 64];
            let mut done = 0;
            while done < len {
                let part = (len - done).min(chunk.len());
                hal::usercopy::copy_from_user(
                    &mut chunk[..part],
                    argument.wrapping_add(8).wrapping_add(done as u64),
                )?;
                crate::random::mix(&chunk[..part]);
                done += part;
            }
            Ok(0)
        }
        // "No longer has any effect" (6.1), past the privilege check.
        RNDZAPENTCNT | RNDCLEARPOOL => Ok(0),
        RNDRESEEDCRNG => {
            crate::random::reseed();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Attributes of a device file with no node (what `fstat` shows only for files opened without
/// a path; opened through a node, a file shows the node's).
pub fn device_metadata(rdev: u64, mode: u32) -> Metadata {
    let zero = Timespec::default();
    Metadata {
        dev: 6,
        ino: 2 + u64::from(vfs::inode::dev_minor(rdev)),
        file_type: FileType::CharDevice,
        mode,
        nlink: 1,
        uid: 0,
        gid: 0,
        size: 0,
        rdev,
        blocks: 0,
        blksize: 4096,
        atime: zero,
        mtime: zero,
        ctime: zero,
    }
}
