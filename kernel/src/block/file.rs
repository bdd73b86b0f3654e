//! Block device files (Linux's `block/fops.c` and `block/ioctl.c`): `/dev/vda` and its
//! partitions opened, read, written, synced and asked about.
//!
//! Reads and writes go through the disk's page cache ([`super::cache`]), offset by the
//! partition's start. At or past the end of the device a read returns 0 and a write `ENOSPC`
//! (`blkdev_write_iter`); a longer write is cut at the end. A write to a read-only device is
//! `EPERM`. `fsync` writes back and flushes the device's cache.
//!
//! With `O_DIRECT` (`blkdev_direct_IO`), transfers bypass the cache: positions and lengths
//! must be multiples of the logical block size and buffer addresses of the DMA alignment, 512
//! (`EINVAL`, checked by the read and write system calls through
//! [`FileOps::direct_io_alignment`]); dirty cached
//! pages are written back before a direct read or write, and the cached pages a direct write
//! covers are dropped after it, so buffered and direct I/O see the same data.
//!
//! ioctls (`blkdev_common_ioctl`, `blkdev_ioctl`): `BLKGETSIZE64`, `BLKGETSIZE` (`EFBIG` past
//! what an `unsigned long` of sectors holds, never on x86-64), `BLKSSZGET`, `BLKPBSZGET`,
//! `BLKBSZGET`, `BLKIOMIN`, `BLKIOOPT`, `BLKALIGNOFF`, `BLKDISCARDZEROES`, `BLKSECTGET`,
//! `BLKRAGET`, `BLKROGET`, `BLKROSET` (`CAP_SYS_ADMIN`; the partition opened, or the whole
//! disk and with it every partition; a device that is read-only itself stays so), `BLKFLSBUF` (`CAP_SYS_ADMIN`: write back and drop the cache),
//! `BLKRRPART` (`CAP_SYS_ADMIN`, whole disk only: `EINVAL` on a partition, `EBUSY` while a
//! partition is open), `BLKGETDISKSEQ`, `HDIO_GETGEO` (the device's geometry, else Linux's
//! virtio default of 64 heads and 32 sectors, with the partition's start).

use super::{BlockDevice, Disk, Geometry};
use crate::fs::devices::{CharDevice, OpenRequest};
use crate::fs::file::FileOps;
use abi::ioctl::blk;
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use hal::usercopy::{read_user, write_user};
use vfs::{FileType, Metadata, Timespec};

/// The open method of the block majors: finds the disk or partition of the number.
pub struct BlockMajor;

impl CharDevice for BlockMajor {
    fn open(&self, request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
        let major = vfs::inode::dev_major(request.rdev);
        let minor = vfs::inode::dev_minor(request.rdev);
        let device = super::lookup(major, minor).ok_or(Errno::ENXIO)?;
        Ok(BlockFile::open(device, request))
    }
}

impl BlockFile {
    /// Opens `device` as `request` asks (counted until the file is dropped).
    pub fn open(device: super::BlockDevice, request: &OpenRequest<'_>) -> Arc<dyn FileOps> {
        device.disk.opened(device.partition.is_some());
        Arc::new(BlockFile {
            device,
            rdev: request.rdev,
            is_writable: matches!(
                request.flags.access_mode(),
                abi::AccessMode::WriteOnly | abi::AccessMode::ReadWrite
            ),
        })
    }
}

/// An open block device.
pub struct BlockFile {
    device: BlockDevice,
    rdev: u64,
    /// Opened for writing (`FMODE_WRITE`).
    is_writable: bool,
}

impl Drop for BlockFile {
    fn drop(&mut self) {
        super::Disk::closed(&self.device.disk, self.device.partition.is_some());
    }
}

impl BlockFile {
    /// The disk (of the partition) opened.
    pub fn disk(&self) -> &Arc<Disk> {
        &self.device.disk
    }

    /// The device's size in bytes.
    fn size(&self) -> u64 {
        self.device.extent().1 * 512
    }

    fn start(&self) -> u64 {
        self.device.extent().0 * 512
    }

    /// The partition number (0 for the whole disk).
    fn number(&self) -> u32 {
        self.device.partition.map_or(0, |part| part.number)
    }
}

fn require_admin() -> Result<(), Errno> {
    let thread = crate::process::current();
    let is_admin = thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_ADMIN);
    if is_admin { Ok(()) } else { Err(Errno::EACCES) }
}

impl FileOps for BlockFile {
    fn as_block_device(&self) -> Option<&BlockFile> {
        Some(self)
    }

    fn can_direct_io(&self) -> bool {
        true
    }

    fn direct_io_alignment(&self) -> Option<crate::fs::file::DirectAlignment> {
        Some(crate::fs::file::DirectAlignment {
            block: self.disk().logical_block_size(),
            address: 512,
        })
    }

    fn read_with_flags(
        &self,
        offset: u64,
        buf: &mut [u8],
        status_flags: OpenFlags,
    ) -> Result<usize, Errno> {
        if !status_flags.contains(OpenFlags::O_DIRECT) {
            return self.read(offset, buf, false);
        }
        let size = self.size();
        if offset >= size {
            return Ok(0);
        }
        let len = (buf.len() as u64).min(size - offset) as usize;
        self.disk()
            .read_direct(self.start() + offset, &mut buf[..len])
    }

    fn read_deliver(
        &self,
        offset: u64,
        buf: &mut [u8],
        status_flags: OpenFlags,
        deliver: &mut dyn FnMut(&[u8]) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        let count = self.read_with_flags(offset, buf, status_flags)?;
        deliver(&buf[..count])?;
        Ok(count)
    }

    fn write_with_flags(
        &self,
        offset: u64,
        data: &[u8],
        status_flags: OpenFlags,
    ) -> Result<usize, Errno> {
        if !status_flags.contains(OpenFlags::O_DIRECT) {
            return self.write(offset, data, false);
        }
        if self.disk().is_read_only(self.number()) {
            return Err(Errno::EPERM);
        }
        let size = self.size();
        if data.is_empty() {
            return Ok(0);
        }
        if offset >= size {
            return Err(Errno::ENOSPC);
        }
        let len = (data.len() as u64).min(size - offset) as usize;
        self.disk()
            .write_direct(self.start() + offset, &data[..len])
    }

    fn read(&self, offset: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        let size = self.size();
        if offset >= size {
            return Ok(0);
        }
        let len = (buf.len() as u64).min(size - offset) as usize;
        self.disk().read_at(self.start() + offset, &mut buf[..len])
    }

    fn write(&self, offset: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        if self.disk().is_read_only(self.number()) {
            return Err(Errno::EPERM);
        }
        let size = self.size();
        if data.is_empty() {
            return Ok(0);
        }
        if offset >= size {
            return Err(Errno::ENOSPC);
        }
        let len = (data.len() as u64).min(size - offset) as usize;
        self.disk().write_at(self.start() + offset, &data[..len])
    }

    fn fsync(&self) -> Result<(), Errno> {
        self.disk().sync()
    }

    fn metadata(&self) -> Metadata {
        let zero = Timespec::default();
        Metadata {
            dev: 6,
            ino: 0,
            file_type: FileType::BlockDevice,
            mode: 0o600,
            nlink: 1,
            uid: 0,
            gid: 0,
            size: self.size(),
            rdev: self.rdev,
            blocks: 0,
            blksize: 4096,
            atime: zero,
            mtime: zero,
            ctime: zero,
        }
    }

    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        let disk = self.disk();
        match command {
            blk::BLKGETSIZE64 => write_user(argument, &self.size()).map(|()| 0),
            blk::BLKGETSIZE => write_user(argument, &(self.size() >> 9)).map(|()| 0),
            blk::BLKSSZGET => write_user(argument, &(disk.logical_block_size() as i32)).map(|()| 0),
            blk::BLKPBSZGET | blk::BLKIOMIN => {
                write_user(argument, &disk.physical_block_size()).map(|()| 0)
            }
            blk::BLKBSZGET => write_user(
                argument,
                &(block_size(self.size(), disk.logical_block_size()) as i32),
            )
            .map(|()| 0),
            blk::BLKIOOPT | blk::BLKDISCARDZEROES => write_user(argument, &0u32).map(|()| 0),
            blk::BLKALIGNOFF => write_user(argument, &0i32).map(|()| 0),
            blk::BLKSECTGET => {
                let sectors = (disk_max_sectors(disk)).min(u64::from(u16::MAX)) as u16;
                write_user(argument, &sectors).map(|()| 0)
            }
            blk::BLKRAGET => write_user(argument, &256u64).map(|()| 0),
            blk::BLKROGET => {
                write_user(argument, &i32::from(disk.is_read_only(self.number()))).map(|()| 0)
            }
            blk::BLKROSET => {
                require_admin()?;
                let value: i32 = read_user(argument)?;
                disk.set_read_only(self.number(), value != 0);
                Ok(0)
            }
            blk::BLKGETDISKSEQ => write_user(argument, &disk.seq()).map(|()| 0),
            blk::BLKFLSBUF => {
                require_admin()?;
                disk.sync()?;
                disk.drop_cache();
                Ok(0)
            }
            blk::BLKRRPART => {
                require_admin()?;
                if self.device.partition.is_some() {
                    return Err(Errno::EINVAL);
                }
                super::rescan_partitions(disk).map(|()| 0)
            }
            blk::HDIO_GETGEO => {
                if argument == 0 {
                    return Err(Errno::EINVAL);
                }
                if !disk.driver().has_geometry() {
                    return Err(Errno::ENOTTY);
                }
                let geometry = disk.geometry.unwrap_or(Geometry {
                    heads: 1 << 6,
                    sectors: 1 << 5,
                    cylinders: (disk.sectors() >> 11).min(u64::from(u16::MAX)) as u16,
                });
                // struct hd_geometry: heads, sectors (u8), cylinders (u16), start (ulong).
                let mut bytes = [0u8; 16];
                bytes[0] = geometry.heads;
                bytes[1] = geometry.sectors;
                bytes[2..4].copy_from_slice(&geometry.cylinders.to_ne_bytes());
                bytes[8..16].copy_from_slice(&self.device.extent().0.to_ne_bytes());
                write_user(argument, &bytes).map(|()| 0)
            }
            _ => disk.driver.ioctl(disk, self.is_writable, command, argument),
        }
    }
}

/// Most sectors in one request (`max_sectors_kb` × 2): a request's pages.
fn disk_max_sectors(disk: &Disk) -> u64 {
    disk.driver.max_segments() as u64 * 8
}

/// `BLKBSZGET`: the block size of the device's buffer heads (`set_init_blocksize`): from the
/// logical block size, doubled up to a page while the size has no bit set at that size.
fn block_size(size: u64, logical_block_size: u32) -> u32 {
    let mut block = logical_block_size.max(512);
    while block < 4096 && size & u64::from(block) == 0 {
        block <<= 1;
    }
    block
}
