//! Mounting the root file system from a disk, as Linux 6.1's `init/do_mounts.c`
//! (`prepare_namespace`, `mount_root`, `mount_block_root`, `do_mount_root`) does when the
//! initramfs has no `/init` (or there is no initramfs at all):
//!
//! 1. `rootdelay=N`: sleep N seconds ("Waiting N sec before mounting root device...").
//! 2. `root=` names the device ([`bootparam::RootDevice`]): `/dev/vda1`, `254:1`, `fe01`,
//!    `PARTUUID=` (a GPT entry's GUID, or `SSSSSSSS-NN` of an MBR) with `/PARTNROFF=N`,
//!    `PARTLABEL=` (a GPT entry's name, as `efi_partition` cuts it to bytes);
//!    `rootwait` polls every 5 ms until it exists ("Waiting for root device …").
//! 3. `/dev/root` is made in the initramfs (a block node with that number, even 0:0), and each
//!    type of `rootfstype=` (or every registered type that needs a device, in registration
//!    order: ext3, ext2, ext4) is tried on `/root` with the `rootflags=` data, read-only unless
//!    `rw`. `EINVAL` and `EACCES` try the next type; once all failed read-write, all are tried
//!    again read-only; any other error ("VFS: Cannot open root device …", then the list of
//!    partitions) or no type at all ("No filesystem could mount root, tried: …") panics
//!    "VFS: Unable to mount root fs on unknown-block(M,m)".
//! 4. On success: "VFS: Mounted root (ext4 filesystem) on device 254:0.", the mount moved
//!    onto `/` (`MS_MOVE`), and init's root and working directory set to it (`chroot(".")`).
//!
//! As on Debian's kernel (no `CONFIG_DEVTMPFS_MOUNT`), devtmpfs is not mounted on the new
//! root's `/dev` unless `devtmpfs.mount=1` asks for it (`devtmpfs_mount`: "devtmpfs: mounted"
//! before the move); otherwise init does that. The mtd/ubi/NFS/initrd cases find no device here.

use crate::process::Thread;
use crate::syscall::args::Fd;
use abi::Errno;
use abi::raw::general as raw;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use bootparam::{RootDevice, RootParams};
use vfs::Lookup;

/// Where the root is mounted before it is moved onto `/` (Linux's `/root` of rootfs).
const STAGING_DIR: &[u8] = b"/root";
/// The node made for the root device.
const ROOT_NODE: &[u8] = b"/dev/root";

/// The device `root=` names, if it exists now (`name_to_dev_t`).
fn find_device(device: &RootDevice) -> Option<(u32, u32)> {
    match device {
        RootDevice::Number { major, minor } => Some((*major, *minor)),
        RootDevice::Name(name) => {
            for disk in crate::block::disks() {
                if disk.name == *name {
                    return Some((disk.major, disk.first_minor));
                }
                if let Some(part) = disk
                    .partitions()
                    .into_iter()
                    .find(|part| disk.partition_name(part.number) == *name)
                {
                    return Some((part.major, part.minor));
                }
            }
            None
        }
        RootDevice::PartUuid { uuid, offset } => {
            // devt_from_partuuid: the id compared without case, then `offset` partitions on.
            for disk in crate::block::disks() {
                let partitions = disk.partitions();
                let Some(found) = partitions.iter().find(|part| {
                    part.uuid
                        .text()
                        .is_some_and(|text| text.eq_ignore_ascii_case(uuid))
                }) else {
                    continue;
                };
                let number = i64::from(found.number) + i64::from(*offset);
                return partitions
                    .iter()
                    .find(|part| i64::from(part.number) == number)
                    .map(|part| (part.major, part.minor));
            }
            None
        }
        RootDevice::PartLabel(label) => {
            // devt_from_partlabel: the first partition, in disk order, whose GPT name is
            // exactly `label` (only GPT partitions have one: `bd_meta_info`).
            crate::block::disks().into_iter().find_map(|disk| {
                disk.partitions()
                    .into_iter()
                    .find(|part| {
                        matches!(part.uuid, partition::PartUuid::Gpt(_))
                            && part.label.bytes() == label.as_bytes()
                    })
                    .map(|part| (part.major, part.minor))
            })
        }
        RootDevice::Unknown => None,
    }
}

fn sleep_ms(thread: &Arc<Thread>, ms: u64) {
    let deadline = crate::time::monotonic_ns().saturating_add(ms.saturating_mul(1_000_000));
    let _ =
        crate::sched::wait::sleep_until(thread, deadline, crate::sched::SleepKind::Uninterruptible);
}

/// Mounts the root file system and makes it init's root (`prepare_namespace`); panics as
/// Linux does when it cannot.
pub fn prepare_namespace(thread: &Arc<Thread>, params: &RootParams) {
    if params.delay_secs > 0 {
        log::info!(
            "Waiting {} sec before mounting root device...",
            params.delay_secs
        );
        sleep_ms(thread, params.delay_secs.saturating_mul(1000));
    }
    let saved_name = params.device.clone().unwrap_or_default();
    let device = RootDevice::parse(&saved_name);
    let display_name: String = saved_name
        .strip_prefix("/dev/")
        .unwrap_or(&saved_name)
        .into();
    let mut found = if saved_name.is_empty() {
        None
    } else {
        find_device(&device)
    };
    if found.is_none() && params.is_wait {
        log::info!("Waiting for root device {saved_name}...");
        while found.is_none() {
            sleep_ms(thread, 5);
            found = find_device(&device);
        }
    }
    let (major, minor) = found.unwrap_or((0, 0));
    mount_root(thread, params, &display_name, major, minor);
    if params.mounts_devtmpfs {
        devtmpfs_mount(thread);
    }
    if let Err(error) = move_to_root(thread) {
        crate::panic_policy::kernel_panic(format_args!(
            "VFS: cannot make the root file system init's root (error -{})",
            error.0
        ));
    }
}

/// `create_dev("/dev/root", ROOT_DEV)`: replaces any `/dev/root` with a block node.
fn create_root_node(thread: &Thread, major: u32, minor: u32) -> Result<(), Errno> {
    let rdev = vfs::inode::encode_dev(major, minor);
    crate::fs::with_walk(thread, Fd(abi::AT_FDCWD), ROOT_NODE, |ctx, start| {
        let _ = vfs::namei::unlink(ctx, start, ROOT_NODE);
        vfs::namei::mknod(ctx, start, ROOT_NODE, abi::mode::S_IFBLK | 0o600, rdev).map(|_| ())
    })
}

/// The types to try: `rootfstype=`'s, or every registered type that needs a block device.
fn fs_names(params: &RootParams) -> Vec<String> {
    let listed = params.fs_type_list();
    if !listed.is_empty() {
        return listed.into_iter().map(String::from).collect();
    }
    let registry = &crate::fs::filesystems::REGISTRY;
    (0..registry.count())
        .filter_map(|index| registry.name_at(index))
        .filter(|name| {
            registry
                .get(name.as_bytes())
                .is_some_and(|fs_type| fs_type.requires_device())
        })
        .map(String::from)
        .collect()
}

/// `mount_root` and `mount_block_root`.
fn mount_root(thread: &Arc<Thread>, params: &RootParams, name: &str, major: u32, minor: u32) {
    if let Err(error) = create_root_node(thread, major, minor) {
        log::warn!("Failed to create /dev/root: {}", error.0);
    }
    let unknown = alloc::format!("unknown-block({major},{minor})");
    let names = fs_names(params);
    let data = params.flags.as_deref().unwrap_or("").as_bytes();
    let mut flags = u64::from(raw::MS_SILENT);
    if params.is_read_only {
        flags |= u64::from(raw::MS_RDONLY);
    }
    loop {
        for fs_name in &names {
            match do_mount_root(thread, fs_name, flags, data) {
                Ok(()) => return,
                Err(Errno::EACCES | Errno::EINVAL) => continue,
                Err(error) => {
                    log::warn!(
                        "VFS: Cannot open root device \"{name}\" or {unknown}: error -{}",
                        error.0
                    );
                    log::warn!(
                        "Please append a correct \"root=\" boot option; here are the available partitions:"
                    );
                    print_all_partitions();
                    crate::panic_policy::kernel_panic(format_args!(
                        "VFS: Unable to mount root fs on {unknown}"
                    ));
                }
            }
        }
        if flags & u64::from(raw::MS_RDONLY) != 0 {
            break;
        }
        flags |= u64::from(raw::MS_RDONLY);
    }
    log::warn!("List of all partitions:");
    print_all_partitions();
    log::warn!(
        "No filesystem could mount root, tried:  {}",
        names.join(" ")
    );
    crate::panic_policy::kernel_panic(format_args!("VFS: Unable to mount root fs on {unknown}"))
}

/// `do_mount_root`: mounts `/dev/root` on `/root` and goes there.
fn do_mount_root(
    thread: &Arc<Thread>,
    fs_name: &str,
    flags: u64,
    data: &[u8],
) -> Result<(), Errno> {
    let staging = crate::fs::lookup(thread, Fd(abi::AT_FDCWD), STAGING_DIR, Lookup::FOLLOW)?;
    crate::syscall::namespace::path_mount(
        thread,
        Some(ROOT_NODE),
        &staging,
        Some(fs_name.as_bytes()),
        flags,
        data,
    )?;
    let root = crate::fs::lookup(thread, Fd(abi::AT_FDCWD), STAGING_DIR, Lookup::DIRECTORY)?;
    let superblock = root.mnt().superblock().clone();
    let dev = root.dentry().inode().metadata().dev;
    thread.process.fs.get().lock().cwd = root;
    let is_read_only = superblock.flags() & vfs::dentry::sb_flags::SB_RDONLY != 0;
    log::info!(
        "VFS: Mounted root ({} filesystem){} on device {}:{}.",
        superblock.fs().name(),
        if is_read_only { " readonly" } else { "" },
        vfs::inode::dev_major(dev),
        vfs::inode::dev_minor(dev)
    );
    Ok(())
}

/// `devtmpfs_mount`: devtmpfs on `dev` of the new root (the working directory), reported as
/// Linux reports it; a failure is only logged.
fn devtmpfs_mount(thread: &Arc<Thread>) {
    let result =
        crate::fs::lookup(thread, Fd(abi::AT_FDCWD), b"dev", Lookup::DIRECTORY).and_then(|dev| {
            crate::syscall::namespace::path_mount(
                thread,
                Some(b"devtmpfs"),
                &dev,
                Some(b"devtmpfs"),
                u64::from(raw::MS_SILENT),
                b"",
            )
        });
    match result {
        Ok(()) => log::info!("devtmpfs: mounted"),
        Err(error) => log::info!("devtmpfs: error mounting -{}", error.0),
    }
}

/// `init_mount(".", "/", NULL, MS_MOVE, NULL)` and `init_chroot(".")`.
fn move_to_root(thread: &Arc<Thread>) -> Result<(), Errno> {
    let slash = crate::fs::lookup(thread, Fd(abi::AT_FDCWD), b"/", Lookup::FOLLOW)?;
    crate::syscall::namespace::path_mount(
        thread,
        Some(b"."),
        &slash,
        None,
        u64::from(raw::MS_MOVE),
        b"",
    )?;
    let fs_shared = thread.process.fs.get();
    let mut context = fs_shared.lock();
    context.root = context.cwd.clone();
    Ok(())
}

/// `printk_all_partitions`: every disk with a capacity and its partitions, device numbers in
/// hex as `root=` takes them.
fn print_all_partitions() {
    for disk in crate::block::disks() {
        if disk.sectors() == 0 {
            continue;
        }
        log::warn!(
            "{} {:10} {} ",
            devt_string(disk.major, disk.first_minor),
            disk.sectors() >> 1,
            disk.name
        );
        if disk.driver().as_loop().is_some() {
            log::warn!(" (driver?)");
        } else {
            log::warn!(" driver: virtio_blk");
        }
        for part in disk.partitions() {
            if part.sectors == 0 {
                continue;
            }
            log::warn!(
                "  {} {:10} {} ",
                devt_string(part.major, part.minor),
                part.sectors >> 1,
                disk.partition_name(part.number)
            );
        }
    }
}

/// `bdevt_str`: `MMmm` padded to nine columns when both fit a byte, else `MMM:mmmmm`.
fn devt_string(major: u32, minor: u32) -> String {
    if major <= 0xff && minor <= 0xff {
        alloc::format!("{:<9}", alloc::format!("{major:02x}{minor:02x}"))
    } else {
        alloc::format!("{major:03x}:{minor:05x}")
    }
}

hal::ktest! {
    /// Device numbers print as Linux's `bdevt_str`.
    fn root_device_numbers_print_as_linux() -> hal::ktest::KtestResult {
        hal::ktest_assert_eq!(devt_string(254, 1), "fe01     ");
        hal::ktest_assert_eq!(devt_string(259, 3), "103:00003");
        Ok(())
    }
}
