//! The block layer (Linux's `block/`): disks, their partitions, and the page cache through which
//! their device files are read and written.
//!
//! A driver describes a disk ([`DiskParams`]) and implements [`BlockDriver`] (take a
//! [`Request`], complete it later from its interrupt handler); [`add_disk`] gives it a name
//! (`vda`, `vdb`… for virtio, as `virtblk_name_format`), device numbers (major 254, the first
//! dynamic major, as Linux gives `virtblk`; 16 minors a disk; partitions past 15 on 259,
//! `blkext`), scans its partition table (`crates/partition`), and makes its nodes in devtmpfs,
//! its directories in sysfs (`sysfs.rs`) and its lines in `/proc/partitions`.
//!
//! Data: each disk has one page cache ([`cache`]) for the whole disk, shared by the disk's
//! device file and its partitions' (Linux gives each partition its own, which can disagree
//! with the disk's; one cache cannot). Reads fill missing pages with read-ahead (up to 128 KiB,
//! Linux's default `read_ahead_kb`): consecutive missing pages go to the device as one request
//! of several segments, and all requests of a fill are in flight together. Writes go into the
//! cache and mark pages dirty; dirty pages are written back by `fsync`, `sync`, `BLKFLSBUF`,
//! the last close of the device, and when too many are dirty, each write-back merging
//! consecutive pages into multi-segment requests and ending with a cache flush when the disk
//! has one.
//!
//! `O_DIRECT` transfers (`cache::read_direct`, `cache::write_direct`) go to the device past
//! the cache, through frames of their own (no DMA into user pages), after writing back dirty
//! pages, and drop the cached pages a direct write covers. Loop devices ([`loop_dev`]) are
//! disks whose driver reads and writes a file; their capacity, block size and read-only mark
//! change while they live, and they come and go (`remove_disk`).
//!
//! Not done: the request queue's schedulers and plugging (requests go to the driver at once, a
//! driver queues what does not fit its ring), discard, memory-pressure reclaim of clean pages
//! (a disk's cache is dropped whole past a quarter of RAM instead), and mmap of a block
//! device.

pub mod cache;
pub mod file;
pub mod loop_dev;
pub mod request;

use abi::Errno;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use hal::sync::{Mutex, RwLock, SpinLock};
pub use request::{Completion, Op, Request, Segment};
use spin::Once;
use vfs::page_cache::PageCache;

/// Linux's first dynamic block major, which `virtblk` gets on Debian's 6.1.
pub const VIRTBLK_MAJOR: u32 = 254;
/// Linux's extended block major (`BLOCK_EXT_MAJOR`): partitions past a disk's own minors.
pub const BLOCK_EXT_MAJOR: u32 = 259;
/// Minors of one virtio disk (`1 << PART_BITS`).
pub const VIRTBLK_MINORS: u32 = 16;
/// Most partitions a disk may have (`DISK_MAX_PARTS`, numbers 1-255).
const DISK_MAX_PARTS: u32 = 256;

/// A block device driver (Linux's `blk_mq_ops` with the disk's `block_device_operations`).
pub trait BlockDriver: Send + Sync {
    /// Starts `request`; completes it later with [`Request::complete`]. A hardware driver never
    /// sleeps here (a request the device cannot take now waits in the driver); a driver whose
    /// I/O is a file's (loop) does the I/O in the submitter's thread, which may sleep: requests
    /// are submitted from threads holding no spin lock.
    fn submit(&self, request: Request);
    /// Most segments in one request.
    fn max_segments(&self) -> usize;
    /// The disk's own ioctls, after the block layer's common ones (`fops->ioctl`);
    /// `is_writable`: the device file was opened for writing (`FMODE_WRITE`). Default:
    /// `ENOTTY`, as a disk without an ioctl method.
    fn ioctl(
        &self,
        disk: &Arc<Disk>,
        is_writable: bool,
        command: u32,
        argument: u64,
    ) -> Result<usize, Errno> {
        let _ = (disk, is_writable, command, argument);
        Err(Errno::ENOTTY)
    }
    /// The disk's last device file was closed, after its write-back (`fops->release`).
    fn released(&self, disk: &Arc<Disk>) {
        let _ = disk;
    }
    /// Whether the disk answers `HDIO_GETGEO` (`fops->getgeo`; a loop device has none).
    fn has_geometry(&self) -> bool {
        true
    }
    /// The loop device this driver is, if it is one.
    fn as_loop(&self) -> Option<&loop_dev::LoopDevice> {
        None
    }
}

/// CHS geometry as `HDIO_GETGEO` reports it.
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    pub heads: u8,
    pub sectors: u8,
    pub cylinders: u16,
}

/// What a driver says about a new disk.
pub struct DiskParams {
    /// Name, major and first minor, and how many minors the disk has (partitions past them
    /// go to `BLOCK_EXT_MAJOR`).
    pub name: String,
    pub major: u32,
    pub first_minor: u32,
    pub minors: u32,
    /// Partitions are scanned when the disk is added and on `BLKRRPART` (not `GENHD_FL_NO_PART`).
    pub has_partitions: bool,
    /// Capacity in 512-byte sectors.
    pub sectors: u64,
    pub logical_block_size: u32,
    pub physical_block_size: u32,
    pub is_read_only: bool,
    /// The device has a volatile write cache that a flush request empties.
    pub has_flush: bool,
    pub geometry: Option<Geometry>,
    /// The disk's parent under `/sys/devices` (`pci0000:00/0000:00:04.0/virtio0`).
    pub sysfs_parent: String,
}

/// One partition of a disk.
#[derive(Clone, Copy, Debug)]
pub struct Part {
    pub number: u32,
    /// First sector and length, in 512-byte sectors.
    pub start: u64,
    pub sectors: u64,
    pub major: u32,
    pub minor: u32,
    /// Its id for `root=PARTUUID=` (the GPT entry's GUID, or the MBR's signature and number).
    pub uuid: partition::PartUuid,
    /// Its GPT name for `root=PARTLABEL=` (`volname`; empty on MBR disks).
    pub label: partition::PartLabel,
}

/// A disk (Linux's `gendisk` with its whole-disk `block_device`).
pub struct Disk {
    pub name: String,
    pub major: u32,
    pub first_minor: u32,
    /// Minors of the disk's own major (1 for a loop device, 16 for virtio).
    pub minors: u32,
    /// Capacity in 512-byte sectors (a loop device's changes).
    sectors: AtomicU64,
    logical_block_size: AtomicU32,
    physical_block_size: AtomicU32,
    pub has_flush: bool,
    pub geometry: Option<Geometry>,
    pub sysfs_parent: String,
    /// `diskseq`: disks numbered from 1 in the order they appear, renumbered at a media change.
    seq: AtomicU64,
    /// The device refuses writes (virtio's RO feature, a read-only loop device).
    is_device_read_only: AtomicBool,
    /// Partitions may be scanned (clear: Linux's `GENHD_FL_NO_PART`).
    has_partitions: AtomicBool,
    /// `BLKROSET`: bit `n` of the map makes partition `n` read-only, bit 0 the whole disk
    /// (and with it every partition), as Linux's `bd_read_only` of each `block_device`.
    user_read_only: [AtomicU64; 4],
    driver: Arc<dyn BlockDriver>,
    /// The disk's data (`bd_inode->i_mapping`).
    cache: PageCache,
    /// Pages marked dirty (their `PageFlag::Dirty`) and not yet written back.
    nr_dirty: AtomicUsize,
    /// Serialises write-backs (Linux's writeback of one inode at a time).
    writeback: Mutex<()>,
    /// Readers and writers of the cache hold it shared; dropping the whole cache holds it
    /// exclusively, so no write lands in a page being dropped.
    eviction: RwLock<()>,
    partitions: SpinLock<Vec<Part>>,
    /// Opens of the disk's partitions (`BLKRRPART` is `EBUSY` while any is open).
    open_partitions: AtomicUsize,
    /// Opens of any of the disk's device files (the last close writes back).
    openers: AtomicUsize,
}

impl Disk {
    /// Capacity in 512-byte sectors.
    pub fn sectors(&self) -> u64 {
        self.sectors.load(Ordering::Acquire)
    }

    /// Sets the capacity (`set_capacity`); the cache keeps no page past it.
    pub fn set_capacity(&self, sectors: u64) {
        self.sectors.store(sectors, Ordering::Release);
        self.cache.set_size(sectors * 512);
    }

    pub fn logical_block_size(&self) -> u32 {
        self.logical_block_size.load(Ordering::Relaxed)
    }

    pub fn physical_block_size(&self) -> u32 {
        self.physical_block_size.load(Ordering::Relaxed)
    }

    /// Sets the logical and physical block sizes (`blk_queue_logical_block_size`).
    pub fn set_block_size(&self, size: u32) {
        self.logical_block_size.store(size, Ordering::Relaxed);
        self.physical_block_size.store(size, Ordering::Relaxed);
    }

    pub fn seq(&self) -> u64 {
        self.seq.load(Ordering::Relaxed)
    }

    /// A new medium (`disk_force_media_change`): a new `diskseq`.
    pub fn media_changed(&self) {
        self.seq
            .store(NEXT_SEQ.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// `set_disk_ro`.
    pub fn set_device_read_only(&self, is_read_only: bool) {
        self.is_device_read_only
            .store(is_read_only, Ordering::Relaxed);
    }

    pub fn has_partitions(&self) -> bool {
        self.has_partitions.load(Ordering::Relaxed)
    }

    /// Allows or forbids partitions (clears or sets `GENHD_FL_NO_PART`).
    pub fn set_has_partitions(&self, has_partitions: bool) {
        self.has_partitions.store(has_partitions, Ordering::Relaxed);
    }

    /// The disk's driver.
    pub fn driver(&self) -> &Arc<dyn BlockDriver> {
        &self.driver
    }

    /// Opens of the disk and its partitions (`disk_openers`).
    pub fn openers(&self) -> usize {
        self.openers.load(Ordering::Acquire)
    }

    fn is_user_read_only(&self, number: u32) -> bool {
        let word = self.user_read_only[(number / 64) as usize % 4].load(Ordering::Relaxed);
        word & (1 << (number % 64)) != 0
    }

    /// Whether writes to partition `number` (0: the whole disk) are refused (Linux's
    /// `bdev_read_only`): the device's RO feature, or `BLKROSET` on the disk or the partition.
    pub fn is_read_only(&self, number: u32) -> bool {
        self.is_device_read_only.load(Ordering::Relaxed)
            || self.is_user_read_only(0)
            || self.is_user_read_only(number)
    }

    /// `BLKROSET` on partition `number` (0: the whole disk).
    pub fn set_read_only(&self, number: u32, is_read_only: bool) {
        let word = &self.user_read_only[(number / 64) as usize % 4];
        let bit = 1 << (number % 64);
        if is_read_only {
            word.fetch_or(bit, Ordering::Relaxed);
        } else {
            word.fetch_and(!bit, Ordering::Relaxed);
        }
    }

    /// Capacity in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.sectors() * 512
    }

    /// The partitions, by number.
    pub fn partitions(&self) -> Vec<Part> {
        let partitions = self.partitions.lock();
        let mut copy = Vec::new();
        if copy.try_reserve(partitions.len()).is_ok() {
            copy.extend(partitions.iter().copied());
        }
        copy
    }

    /// The name of partition `number` (`vda1`; `loop0p1` after a name that ends in a digit,
    /// as `disk_name`).
    pub fn partition_name(&self, number: u32) -> String {
        if self.name.ends_with(|c: char| c.is_ascii_digit()) {
            alloc::format!("{}p{}", self.name, number)
        } else {
            alloc::format!("{}{}", self.name, number)
        }
    }
}

/// Every disk, in the order they were added.
static DISKS: SpinLock<Vec<Arc<Disk>>> = SpinLock::new("block.disks", Vec::new());
/// `diskseq` of the next disk.
static NEXT_SEQ: AtomicU64 = AtomicU64::new(1);
/// Minors of `BLOCK_EXT_MAJOR` handed out.
static NEXT_EXT_MINOR: AtomicU64 = AtomicU64::new(0);
static MAJORS: Once<()> = Once::new();
static EXT_MAJOR: Once<()> = Once::new();

/// What a device number opens: a disk, and a partition of it or the whole disk.
#[derive(Clone)]
pub struct BlockDevice {
    pub disk: Arc<Disk>,
    /// `None` for the whole disk.
    pub partition: Option<Part>,
}

impl BlockDevice {
    /// First sector and length of the device on its disk.
    pub fn extent(&self) -> (u64, u64) {
        match &self.partition {
            Some(part) => (part.start, part.sectors),
            None => (0, self.disk.sectors()),
        }
    }
}

/// The block device with number `major:minor`.
pub fn lookup(major: u32, minor: u32) -> Option<BlockDevice> {
    let disks = DISKS.lock();
    for disk in disks.iter() {
        if disk.major == major && disk.first_minor == minor {
            return Some(BlockDevice {
                disk: disk.clone(),
                partition: None,
            });
        }
        if let Some(part) = disk
            .partitions
            .lock()
            .iter()
            .find(|part| part.major == major && part.minor == minor)
        {
            return Some(BlockDevice {
                disk: disk.clone(),
                partition: Some(*part),
            });
        }
    }
    None
}

/// Every disk.
pub fn disks() -> Vec<Arc<Disk>> {
    DISKS.lock().clone()
}

/// `vda`, `vdb`… `vdz`, `vdaa`… (`virtblk_name_format`, `sd_format_disk_name`).
pub fn virtio_disk_name(index: usize) -> String {
    let mut letters = Vec::new();
    let mut value = index + 1;
    while value > 0 {
        value -= 1;
        letters.push(b'a' + (value % 26) as u8);
        value /= 26;
    }
    letters.reverse();
    let mut name = String::from("vd");
    for letter in letters {
        name.push(letter as char);
    }
    name
}

/// Registers `virtblk` (254) with the device registry (`register_blkdev`), once.
fn register_majors() -> Result<(), Errno> {
    let mut result = Ok(());
    MAJORS.call_once(|| {
        result = crate::fs::devices::register_block(
            VIRTBLK_MAJOR,
            0,
            1 << 20,
            "virtblk",
            Arc::new(file::BlockMajor),
        );
    });
    result?;
    register_ext_major()
}

/// Registers `blkext` (259), where partitions past a disk's own minors are, once.
pub fn register_ext_major() -> Result<(), Errno> {
    let mut result = Ok(());
    EXT_MAJOR.call_once(|| {
        result = crate::fs::devices::register_block(
            BLOCK_EXT_MAJOR,
            0,
            1 << 20,
            "blkext",
            Arc::new(file::BlockMajor),
        );
    });
    result
}

/// The number of virtio disks so far (the next one's index).
pub fn virtio_disk_count() -> usize {
    DISKS
        .lock()
        .iter()
        .filter(|disk| disk.major == VIRTBLK_MAJOR)
        .count()
}

/// Adds a virtio disk: the next name and numbers of `virtblk`. Returns it.
pub fn add_virtio_disk(
    mut params: DiskParams,
    driver: Arc<dyn BlockDriver>,
) -> Result<Arc<Disk>, Errno> {
    register_majors()?;
    let index = virtio_disk_count();
    params.name = virtio_disk_name(index);
    params.major = VIRTBLK_MAJOR;
    params.first_minor = index as u32 * VIRTBLK_MINORS;
    params.minors = VIRTBLK_MINORS;
    let disk = add_disk(params, driver)?;
    let device = disk.sysfs_parent.rsplit('/').next().unwrap_or_default();
    log::info!(
        "virtio_blk {device}: [{}] {} {}-byte logical blocks ({}/{})",
        disk.name,
        disk.sectors() / u64::from(disk.logical_block_size() / 512).max(1),
        disk.logical_block_size(),
        human_size(disk.size_bytes(), 1000),
        human_size(disk.size_bytes(), 1024)
    );
    if disk.has_partitions()
        && let Err(error) = scan_partitions(&disk)
    {
        log::warn!("{}: partition scan failed: {error:?}", disk.name);
    }
    Ok(disk)
}

/// Adds a disk (`device_add_disk`): its node in devtmpfs and its directories in sysfs, no
/// partition scan. Returns it.
pub fn add_disk(params: DiskParams, driver: Arc<dyn BlockDriver>) -> Result<Arc<Disk>, Errno> {
    let disk = Arc::new(Disk {
        name: params.name,
        major: params.major,
        first_minor: params.first_minor,
        minors: params.minors,
        sectors: AtomicU64::new(params.sectors),
        logical_block_size: AtomicU32::new(params.logical_block_size),
        physical_block_size: AtomicU32::new(params.physical_block_size),
        has_flush: params.has_flush,
        geometry: params.geometry,
        sysfs_parent: params.sysfs_parent,
        seq: AtomicU64::new(NEXT_SEQ.fetch_add(1, Ordering::Relaxed)),
        is_device_read_only: AtomicBool::new(params.is_read_only),
        has_partitions: AtomicBool::new(params.has_partitions),
        user_read_only: [const { AtomicU64::new(0) }; 4],
        driver,
        cache: PageCache::new(),
        nr_dirty: AtomicUsize::new(0),
        writeback: Mutex::new("block.writeback", ()),
        eviction: RwLock::new("block.eviction", ()),
        partitions: SpinLock::new("block.partitions", Vec::new()),
        open_partitions: AtomicUsize::new(0),
        openers: AtomicUsize::new(0),
    });
    disk.cache.set_size(disk.size_bytes());
    {
        let mut disks = DISKS.lock();
        disks.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        disks.push(disk.clone());
    }
    crate::fs::devtmpfs::add_block_node(
        disk.name.as_bytes(),
        vfs::inode::encode_dev(disk.major, disk.first_minor),
    )?;
    crate::fs::sysfs::block::add_disk(&disk)?;
    Ok(disk)
}

/// Removes a disk that nobody has open (`del_gendisk`): its partitions, nodes and sysfs
/// directories.
pub fn remove_disk(disk: &Arc<Disk>) -> Result<(), Errno> {
    drop_partitions(disk)?;
    DISKS.lock().retain(|other| !Arc::ptr_eq(other, disk));
    crate::fs::devtmpfs::remove_node(disk.name.as_bytes());
    crate::fs::sysfs::block::remove_disk(disk);
    Ok(())
}

/// Takes away every partition of the disk (`bdev_disk_changed` with no table).
pub fn drop_partitions(disk: &Arc<Disk>) -> Result<(), Errno> {
    let old = core::mem::take(&mut *disk.partitions.lock());
    for part in &old {
        crate::fs::devtmpfs::remove_node(disk.partition_name(part.number).as_bytes());
    }
    crate::fs::sysfs::block::replace_partitions(disk, &old, &[])
}

/// Reads one logical block for the partition parser, through the cache.
struct CacheReader<'a> {
    disk: &'a Disk,
}

impl partition::SectorReader for CacheReader<'_> {
    fn read_block(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), partition::ReadError> {
        let offset = lba
            .checked_mul(buf.len() as u64)
            .ok_or(partition::ReadError)?;
        match self.disk.read_at(offset, buf) {
            Ok(count) if count == buf.len() => Ok(()),
            _ => Err(partition::ReadError),
        }
    }
}

/// Reads the partition table and registers what it lists (`bdev_disk_changed`), replacing the
/// partitions the disk had. Linux's log lines: ` vda: vda1 vda2 < vda5 >`.
pub fn scan_partitions(disk: &Arc<Disk>) -> Result<(), Errno> {
    let table = partition::Disk {
        block_size: disk.logical_block_size(),
        sectors: disk.sectors(),
        max_partitions: DISK_MAX_PARTS,
    };
    let (_, mut found) = partition::scan(&mut CacheReader { disk }, &table);
    // Linux's log line, in table order: ` vda: vda1 vda2 < vda5 vda6 >`.
    let mut line = alloc::format!(" {}:", disk.name);
    let mut is_in_extended = false;
    for part in &found {
        if is_in_extended && part.number < 5 {
            line.push_str(" >");
            is_in_extended = false;
        }
        line.push(' ');
        line.push_str(&disk.partition_name(part.number));
        if part.is_extended {
            line.push_str(" <");
            is_in_extended = true;
        }
    }
    if is_in_extended {
        line.push_str(" >");
    }
    log::info!("{line}");
    for change in partition::fit_to_disk(&mut found, disk.sectors()) {
        match change {
            partition::Fit::BeyondEnd(part) => log::warn!(
                "{}: p{} start {} is beyond EOD, truncated",
                disk.name,
                part.number,
                part.start
            ),
            partition::Fit::Truncated(part) => log::warn!(
                "{}: p{} size {} extends beyond EOD, truncated",
                disk.name,
                part.number,
                part.sectors
            ),
        }
    }
    found.sort_by_key(|part| part.number);
    let mut parts = Vec::new();
    parts.try_reserve(found.len()).map_err(|_| Errno::ENOMEM)?;
    for part in &found {
        let (major, minor) = if part.number < disk.minors {
            (disk.major, disk.first_minor + part.number)
        } else {
            let minor = NEXT_EXT_MINOR.fetch_add(1, Ordering::Relaxed);
            (BLOCK_EXT_MAJOR, minor as u32)
        };
        parts.push(Part {
            number: part.number,
            start: part.start,
            sectors: part.sectors,
            major,
            minor,
            uuid: part.uuid,
            label: part.label,
        });
    }
    let old = core::mem::replace(&mut *disk.partitions.lock(), parts.clone());
    for part in &old {
        if !parts.iter().any(|new| new.number == part.number) {
            crate::fs::devtmpfs::remove_node(disk.partition_name(part.number).as_bytes());
        }
    }
    crate::fs::sysfs::block::replace_partitions(disk, &old, &parts)?;
    for part in &parts {
        crate::fs::devtmpfs::add_block_node(
            disk.partition_name(part.number).as_bytes(),
            vfs::inode::encode_dev(part.major, part.minor),
        )?;
    }
    Ok(())
}

/// A size as Linux's `string_get_size` prints it: three significant digits and a unit of
/// powers of `base` (1000: `33.6 MB`; 1024: `32.0 MiB`).
fn human_size(bytes: u64, base: u64) -> String {
    let units: [&str; 7] = if base == 1000 {
        ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
    } else {
        ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    };
    let mut unit = 0;
    let mut divisor: u128 = 1;
    while u128::from(bytes) >= divisor * u128::from(base) && unit + 1 < units.len() {
        divisor *= u128::from(base);
        unit += 1;
    }
    if unit == 0 {
        return alloc::format!("{bytes} B");
    }
    // Thousandths of the unit, then rounded to three significant digits.
    let milli = u128::from(bytes) * 1000 / divisor;
    let whole = milli / 1000;
    if whole < 10 {
        let hundredths = (milli + 5) / 10;
        alloc::format!(
            "{}.{:02} {}",
            hundredths / 100,
            hundredths % 100,
            units[unit]
        )
    } else if whole < 100 {
        let tenths = (milli + 50) / 100;
        alloc::format!("{}.{} {}", tenths / 10, tenths % 10, units[unit])
    } else {
        alloc::format!("{} {}", (milli + 500) / 1000, units[unit])
    }
}

/// `BLKRRPART`: scans the table again; `EINVAL` on a disk without partitions
/// (`GENHD_FL_NO_PART`), `EBUSY` while a partition is open.
pub fn rescan_partitions(disk: &Arc<Disk>) -> Result<(), Errno> {
    if !disk.has_partitions() {
        return Err(Errno::EINVAL);
    }
    if disk.open_partitions.load(Ordering::Acquire) != 0 {
        return Err(Errno::EBUSY);
    }
    disk.sync()?;
    disk.drop_cache();
    scan_partitions(disk)
}

/// `sync(2)`: writes back every disk's dirty pages.
pub fn sync_all() {
    for disk in disks() {
        if disk.sectors() == 0 {
            continue;
        }
        if let Err(error) = disk.sync() {
            log::warn!("{}: write-back failed: {error:?}", disk.name);
        }
    }
}

/// `/proc/partitions` (`show_partition`): every disk with a capacity, then its partitions.
pub fn proc_partitions(out: &mut Vec<u8>) -> Result<(), Errno> {
    vfs::pseudo::push(out, b"major minor  #blocks  name\n\n")?;
    for disk in disks() {
        if disk.sectors() == 0 {
            continue;
        }
        vfs::pseudo::push_fmt(
            out,
            format_args!(
                "{:4}  {:7} {:10} {}\n",
                disk.major,
                disk.first_minor,
                disk.sectors() >> 1,
                disk.name
            ),
        )?;
        for part in disk.partitions() {
            vfs::pseudo::push_fmt(
                out,
                format_args!(
                    "{:4}  {:7} {:10} {}\n",
                    part.major,
                    part.minor,
                    part.sectors >> 1,
                    disk.partition_name(part.number)
                ),
            )?;
        }
    }
    Ok(())
}

hal::ktest! {
    /// Disk names and the sizes in log lines follow Linux (`virtblk_name_format`,
    /// `string_get_size`).
    fn disk_names_and_sizes_as_linux() -> hal::ktest::KtestResult {
        hal::ktest_assert_eq!(virtio_disk_name(0), "vda");
        hal::ktest_assert_eq!(virtio_disk_name(25), "vdz");
        hal::ktest_assert_eq!(virtio_disk_name(26), "vdaa");
        hal::ktest_assert_eq!(virtio_disk_name(27), "vdab");
        hal::ktest_assert_eq!(virtio_disk_name(26 + 26 * 26), "vdaaa");
        hal::ktest_assert_eq!(human_size(32 << 20, 1000), "33.6 MB");
        hal::ktest_assert_eq!(human_size(32 << 20, 1024), "32.0 MiB");
        hal::ktest_assert_eq!(human_size(4 << 20, 1000), "4.19 MB");
        hal::ktest_assert_eq!(human_size(1 << 30, 1000), "1.07 GB");
        hal::ktest_assert_eq!(human_size(512 << 20, 1000), "537 MB");
        hal::ktest_assert_eq!(human_size(512, 1024), "512 B");
        Ok(())
    }
}
