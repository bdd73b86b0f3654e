//! Root file systems on a virtio disk (issue 9): images made by `mkfs.ext4 -d` from the busybox
//! tree, the initramfs that mounts one and `switch_root`s to it, and the checks on both.
//!
//! - [`root_image`]: a raw ext4 image (1 GiB for the full check) holding the default busybox
//!   layout (`/bin/busybox` and its applet links, `/etc/passwd`, `/init`), empty `/dev`,
//!   `/proc`, `/sys`, `/tmp`, `/mnt`, the check script `/test.sh` ([`TEST_SCRIPT`]), the
//!   crash check's workload `/crash.sh` ([`crate::crash`]) and, for
//!   the full check, `/data`: a tree of pseudo-random files of [`DATA_MIB`] MiB in all (sizes
//!   from 1 KiB to 8 MiB, odd modes, a symlink and a hard link) with `/data.sha256`, their
//!   digests from the host's `sha256sum`.
//! - [`loader_initramfs`]: busybox, Linux's virtio modules and an `/init` ([`LOADER_INIT`]) that
//!   loads them, reads `root=`, `rootfstype=`, `ro`/`rw` and `init=` from `/proc/cmdline`,
//!   mounts the root on `/newroot` and runs busybox `switch_root` (which needs `MS_MOVE` onto
//!   `/`, `chroot` and the deletion of the initramfs' files). Debian's Linux boots its root
//!   disk this way (virtio_blk is a module there); Ferrux boots it with and without.
//! - [`e2fsck`]: the host's `e2fsck -fn` verdict on an image after the guest powered off.
//!
//! The script `/test.sh full` round-trips `/data` through busybox `tar` (archive, extract,
//! `sha256sum -c`), copies it with `cp -a` (checked again, and its listing of names, modes,
//! sizes and types compared), runs `find`, `du`, `df`, `mount` and `sync`, lists what is left
//! of the initramfs after `switch_root` when the loader left it a descriptor, and powers off
//! (`poweroff -f`; on Linux after `mount -o remount,ro /`, which Linux's reboot(2) leaves to
//! init; Ferrux's reboot(2) makes its disks clean itself). `/test.sh quick` checks that a root
//! mounted `ro` refuses writes, remounts it read-write, writes, and powers off.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::initramfs::{self, ImageFile};
use crate::paths;

/// The size of the full check's image.
pub const IMAGE_MIB: u64 = 1024;
/// The data the full check round-trips (the issue asks for 200 MiB; what a CI run under TCG
/// affords, see tests/user/README.md).
pub const DATA_MIB: u64 = 64;
/// The quick checks' image.
pub const SMALL_IMAGE_MIB: u64 = 64;

/// The check script, run as `busybox sh /test.sh full|quick` by init= or switch_root.
pub const TEST_SCRIPT: &str = r#"bb=/bin/busybox
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
mode=${1:-full}
$bb mount -t proc proc /proc
if [ "$mode" = devtmpfs ]; then
	# devtmpfs.mount=1: the kernel (or, on Linux, the loader acting for it) put devtmpfs on /dev.
	echo "dev-mount: $($bb grep ' /dev ' /proc/mounts | $bb cut -d' ' -f1-3)"
	[ -b /dev/vda ] && echo dev-vda=present
	$bb poweroff -f
fi
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
step() { echo "step $1 $2 at $($bb cut -d' ' -f1 /proc/uptime)"; }
echo "root-mount: $($bb grep ' / ' /proc/mounts | $bb grep -v '^rootfs')"
if [ -e /proc/self/fd/9 ]; then
	# switch_root deleted every file of the initramfs (Debian's busybox leaves directories).
	echo "old-root-files: $($bb find /proc/self/fd/9/ ! -type d | $bb wc -l)"
fi
if [ "$mode" = init ]; then
	# Run by busybox init (/etc/inittab): its poweroff unmounts and remounts / read-only.
	$bb seq 1 20000 > /numbers && echo "written=$($bb md5sum < /numbers)"
	echo "init-pid: $($bb cut -d' ' -f4 /proc/self/stat)"
	$bb poweroff
	exit 0
fi
if [ "$mode" = quick ]; then
	if $bb touch /refused 2>/dev/null; then echo "ro-write=allowed"; else echo "ro-write=refused"; fi
	$bb mount -o remount,rw / && echo remount-rw=ok
	$bb seq 1 20000 > /numbers && $bb sync && echo "written=$($bb md5sum < /numbers)"
	echo "root-mount-after: $($bb grep ' / ' /proc/mounts | $bb grep -v '^rootfs')"
else
	step tar-create start
	$bb tar -cf /archive.tar data && step tar-create ok
	$bb mkdir /restore && $bb tar -xf /archive.tar -C /restore && step tar-extract ok
	$bb rm /archive.tar
	(cd /restore/data && $bb sha256sum -c -s /data.sha256) && step restore-sha256 ok
	$bb cp -a /restore/data /copy && step cp-a ok
	(cd /copy && $bb sha256sum -c -s /data.sha256) && step copy-sha256 ok
	listing() { (cd "$1" && $bb find . | $bb sort | while read -r f; do $bb stat -c '%n %a %s %F %h' "$f"; done | $bb md5sum); }
	[ "$(listing /data)" = "$(listing /copy)" ] && echo listing-equal=ok
	echo "find: $($bb find /copy -type f | $bb wc -l) files"
	echo "du-kib: $($bb du -sk /copy | $bb cut -f1)"
	echo "df-used-kib: $($bb df -k / | $bb tail -1 | $bb tr -s ' ' | $bb cut -d' ' -f3)"
	$bb mount | $bb grep -q ' on / type ext4' && echo mount-lists-root=ok
	$bb sync && step sync ok
fi
if $bb grep -q Ferrux /proc/version; then
	$bb poweroff -f
fi
$bb mount -o remount,ro / && echo remount-ro=ok
$bb poweroff -f
"#;

/// `/etc/inittab` of root images, for busybox init as `/sbin/init` (`boot/root-init`): the
/// check script once, and at shutdown what busybox's built-in table does (`umount -a -r`).
pub const INITTAB: &str = "::sysinit:/bin/busybox mount -t proc proc /proc
::once:/bin/busybox sh /test.sh init
::shutdown:/bin/busybox umount -a -r
";

/// `/init` of [`loader_initramfs`].
pub const LOADER_INIT: &str = r#"#!/bin/busybox sh
# Mount the root file system root= names and switch to it, as an initramfs' /init does.
bb=/bin/busybox
$bb mount -t proc proc /proc
for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
	[ -f /lib/modules/virtio/$m.ko ] && $bb insmod /lib/modules/virtio/$m.ko 2>/dev/null
done
$bb mount -t devtmpfs devtmpfs /dev
root=; fstype=ext4; flags=ro; init=/sbin/init; devmount=
for word in $($bb cat /proc/cmdline); do
	case "$word" in
	root=*) root=${word#root=} ;;
	rootfstype=*) fstype=${word#rootfstype=} ;;
	ro) flags=ro ;;
	rw) flags=rw ;;
	init=*) init=${word#init=} ;;
	devtmpfs.mount=*) devmount=${word#devtmpfs.mount=} ;;
	--) break ;;
	esac
done
n=0
while [ ! -b "$root" ] && [ $n -lt 500 ]; do $bb usleep 10000; n=$((n + 1)); done
$bb mkdir -p /newroot
if ! $bb mount -t "$fstype" -o "$flags" "$root" /newroot; then
	echo "loader: cannot mount $root"
	exit 1
fi
# devtmpfs.mount=N (N not 0): /dev goes along, as the kernel's devtmpfs_mount would have
# mounted it on the root had there been no initramfs.
if [ -n "$devmount" ] && [ "$devmount" != 0 ]; then
	$bb mount -o move /dev /newroot/dev
else
	$bb umount /dev
fi
$bb umount /proc
echo "loader: switching to $root"
# A descriptor on the old root: /test.sh lists what switch_root left of it.
exec 9< /
exec $bb switch_root /newroot "$init" "$@"
"#;

/// The full check's data tree under `build/rootdisk/tree/data` (made once per size) and the
/// number of regular files in it.
fn data_tree(mib: u64) -> Result<(PathBuf, usize)> {
    let base = paths::build_dir()
        .join("rootdisk")
        .join(format!("data-{mib}"));
    let data = base.join("data");
    let manifest = base.join("data.sha256");
    let count_path = base.join("count");
    if let (Ok(count), true) = (std::fs::read_to_string(&count_path), manifest.exists())
        && let Ok(count) = count.trim().parse()
    {
        return Ok((base, count));
    }
    let _ = std::fs::remove_dir_all(&base);
    paths::ensure_dir(&data)?;
    let mut state = 0x2545_f491_4f6c_dd1du64 ^ mib;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let budget = mib << 20;
    let mut written = 0u64;
    let mut count = 0usize;
    let sizes = [
        1 << 10,
        3 << 10,
        12 << 10,
        64 << 10,
        300 << 10,
        1 << 20,
        8 << 20,
    ];
    let mut dir_index = 0;
    while written < budget {
        let dir = data.join(format!("d{dir_index:02}"));
        paths::ensure_dir(&dir)?;
        for file_index in 0..40 {
            if written >= budget {
                break;
            }
            let size = (sizes[(next() % sizes.len() as u64) as usize] as u64)
                .min(budget - written)
                .max(1);
            let mut bytes = Vec::with_capacity(size as usize + 8);
            while (bytes.len() as u64) < size {
                bytes.extend_from_slice(&next().to_le_bytes());
            }
            bytes.truncate(size as usize);
            let path = dir.join(format!("f{file_index:02}"));
            std::fs::write(&path, &bytes)?;
            let mode = [0o644, 0o600, 0o755, 0o640][file_index % 4];
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
            written += size;
            count += 1;
        }
        dir_index += 1;
    }
    std::os::unix::fs::symlink("d00/f00", data.join("link"))?;
    std::fs::hard_link(data.join("d00/f01"), data.join("hardlink"))?;
    count += 1;
    let output = Command::new("sh")
        .arg("-c")
        .arg("find . -type f | sort | xargs sha256sum")
        .current_dir(&data)
        .output()
        .context("cannot run sha256sum on the data tree")?;
    anyhow::ensure!(output.status.success(), "sha256sum of the data tree failed");
    std::fs::write(&manifest, &output.stdout)?;
    std::fs::write(&count_path, count.to_string())?;
    Ok((base, count))
}

/// What a root image holds besides the busybox layout.
#[derive(Debug, Clone, Copy)]
pub struct RootImage {
    pub image_mib: u64,
    /// MiB of `/data` (0: none).
    pub data_mib: u64,
    /// The file system in partition 1 of an MBR (disk signature [`MBR_SIGNATURE`], from
    /// [`PARTITION_OFFSET`] to the end) instead of on the whole disk.
    pub is_partitioned: bool,
    /// With `is_partitioned`: a GPT instead (partition 1 named [`GPT_LABEL`], from
    /// [`PARTITION_OFFSET`] to the backup table).
    pub is_gpt: bool,
}

/// The GPT name of partition 1 of a GPT root image (`root=PARTLABEL=ferrux-root`).
pub const GPT_LABEL: &str = "ferrux-root";

/// The disk signature of partitioned root images: `root=PARTUUID=f3a1b2c4-01` names
/// partition 1.
pub const MBR_SIGNATURE: u32 = 0xf3a1_b2c4;
/// Where partition 1 starts (sector 2048).
pub const PARTITION_OFFSET: u64 = 1 << 20;

impl RootImage {
    pub const FULL: RootImage = RootImage {
        image_mib: IMAGE_MIB,
        data_mib: DATA_MIB,
        is_partitioned: false,
        is_gpt: false,
    };
    pub const SMALL: RootImage = RootImage {
        image_mib: SMALL_IMAGE_MIB,
        data_mib: 0,
        is_partitioned: false,
        is_gpt: false,
    };
    pub const SMALL_PARTITIONED: RootImage = RootImage {
        is_partitioned: true,
        ..RootImage::SMALL
    };
    pub const SMALL_GPT: RootImage = RootImage {
        is_partitioned: true,
        is_gpt: true,
        ..RootImage::SMALL
    };

    /// Regular files under `/data`.
    pub fn data_files(self) -> Result<usize> {
        if self.data_mib == 0 {
            return Ok(0);
        }
        Ok(data_tree(self.data_mib)?.1)
    }
}

/// Writes the busybox layout into `tree` (a fresh directory).
fn write_layout(tree: &Path) -> Result<()> {
    let busybox = initramfs::read_busybox()?;
    for dir in [
        "bin", "dev", "etc", "proc", "sys", "root", "sbin", "usr/bin", "usr/sbin", "mnt",
    ] {
        paths::ensure_dir(&tree.join(dir))?;
    }
    let tmp = tree.join("tmp");
    paths::ensure_dir(&tmp)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777))?;
    let files: [ImageFile; 7] = [
        ImageFile {
            path: "etc/inittab",
            mode: 0o644,
            data: INITTAB.as_bytes(),
        },
        ImageFile {
            path: "crash.sh",
            mode: 0o755,
            data: crate::crash::CRASH_SCRIPT.as_bytes(),
        },
        ImageFile {
            path: "bin/busybox",
            mode: 0o755,
            data: &busybox.binary,
        },
        ImageFile {
            path: "init",
            mode: 0o755,
            data: initramfs::INIT_SCRIPT.as_bytes(),
        },
        ImageFile {
            path: "test.sh",
            mode: 0o755,
            data: TEST_SCRIPT.as_bytes(),
        },
        ImageFile {
            path: "etc/passwd",
            mode: 0o644,
            data: b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        },
        ImageFile {
            path: "etc/group",
            mode: 0o644,
            data: b"root:x:0:\nnogroup:x:65534:\n",
        },
    ];
    for file in files {
        let path = tree.join(file.path);
        std::fs::write(&path, file.data)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(file.mode))?;
    }
    std::os::unix::fs::symlink("busybox", tree.join("bin/sh"))?;
    for applet in &busybox.applets {
        let path = tree.join(applet);
        if !path.exists() {
            std::os::unix::fs::symlink("/bin/busybox", &path)?;
        }
    }
    Ok(())
}

/// A fresh root image for one boot, `build/rootdisk/<name>/root.img`.
pub fn root_image(name: &str, kind: RootImage) -> Result<PathBuf> {
    let dir = paths::build_dir().join("rootdisk").join(name);
    let tree = dir.join("tree");
    let _ = std::fs::remove_dir_all(&tree);
    paths::ensure_dir(&tree)?;
    write_layout(&tree)?;
    let data = if kind.data_mib > 0 {
        let (base, _) = data_tree(kind.data_mib)?;
        std::fs::copy(base.join("data.sha256"), tree.join("data.sha256"))?;
        Some(base.join("data"))
    } else {
        None
    };
    let image = dir.join("root.img");
    let _ = std::fs::remove_file(&image);
    // A sparse file of the size first (mkfs.ext4 then says nothing about creating it).
    std::fs::File::create(&image)
        .and_then(|file| file.set_len(kind.image_mib << 20))
        .with_context(|| format!("cannot create {}", image.display()))?;
    // /data enters the tree as hard links to the kept data tree: no copy.
    if let Some(data) = &data {
        link_tree(data, &tree.join("data"))?;
    }
    let mut mkfs = Command::new("/sbin/mkfs.ext4");
    mkfs.args(["-q", "-F", "-d"]).arg(&tree);
    if kind.is_partitioned {
        // A GPT keeps its backup in the last 33 sectors: the file system ends before them.
        let end = if kind.is_gpt {
            let size = kind.image_mib << 20;
            write_gpt(&image, size)?;
            (size - 33 * 512) & !4095
        } else {
            write_mbr(&image, kind.image_mib << 20)?;
            kind.image_mib << 20
        };
        mkfs.arg("-E")
            .arg(format!("offset={PARTITION_OFFSET}"))
            .arg(&image)
            .arg(format!("{}k", (end - PARTITION_OFFSET) >> 10));
    } else {
        mkfs.arg(&image);
    }
    let status = mkfs.status().context("cannot run mkfs.ext4")?;
    anyhow::ensure!(
        status.success(),
        "mkfs.ext4 -d failed for {}",
        image.display()
    );
    let _ = std::fs::remove_dir_all(&tree);
    Ok(image)
}

/// An MBR with [`MBR_SIGNATURE`] and partition 1 (type 0x83) from [`PARTITION_OFFSET`] to the
/// end of a disk of `size` bytes.
fn write_mbr(image: &Path, size: u64) -> Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let mut sector = [0u8; 512];
    sector[440..444].copy_from_slice(&MBR_SIGNATURE.to_le_bytes());
    let entry = &mut sector[446..462];
    entry[4] = 0x83;
    let start = (PARTITION_OFFSET / 512) as u32;
    let sectors = (size / 512) as u32 - start;
    entry[8..12].copy_from_slice(&start.to_le_bytes());
    entry[12..16].copy_from_slice(&sectors.to_le_bytes());
    sector[510] = 0x55;
    sector[511] = 0xaa;
    let mut file = std::fs::OpenOptions::new().write(true).open(image)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&sector)?;
    Ok(())
}

/// A GPT (protective MBR, primary and backup tables) with partition 1 named [`GPT_LABEL`]
/// from [`PARTITION_OFFSET`] to the sector before the backup entries.
fn write_gpt(image: &Path, size: u64) -> Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let sectors = size / 512;
    let mut entries = vec![0u8; 128 * 128];
    // Linux filesystem data type GUID, a unique GUID, the range, the name in UTF-16LE.
    entries[..16].copy_from_slice(&[
        0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47, 0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d,
        0xe4,
    ]);
    entries[16..32].fill(0x6b);
    entries[32..40].copy_from_slice(&(PARTITION_OFFSET / 512).to_le_bytes());
    entries[40..48].copy_from_slice(&(sectors - 34).to_le_bytes());
    for (i, unit) in GPT_LABEL.encode_utf16().enumerate() {
        entries[56 + 2 * i..58 + 2 * i].copy_from_slice(&unit.to_le_bytes());
    }
    let crc = partition::crc32(&entries);
    let mut mbr = [0u8; 512];
    let entry = &mut mbr[446..462];
    entry[4] = 0xee;
    entry[8..12].copy_from_slice(&1u32.to_le_bytes());
    entry[12..16].copy_from_slice(&u32::try_from(sectors - 1).unwrap_or(u32::MAX).to_le_bytes());
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    let mut file = std::fs::OpenOptions::new().write(true).open(image)?;
    let mut put = |offset: u64, bytes: &[u8]| -> Result<()> {
        file.seek(SeekFrom::Start(offset))?;
        file.write_all(bytes)?;
        Ok(())
    };
    put(0, &mbr)?;
    put(
        512,
        &crate::disks::gpt_header(sectors, 1, sectors - 1, 2, crc),
    )?;
    put(1024, &entries)?;
    put((sectors - 33) * 512, &entries)?;
    put(
        (sectors - 1) * 512,
        &crate::disks::gpt_header(sectors, sectors - 1, 1, sectors - 33, crc),
    )?;
    Ok(())
}

/// Mirrors `from` into `to` with hard links for files (symlinks copied), so that building an
/// image's tree costs no data copy.
fn link_tree(from: &Path, to: &Path) -> Result<()> {
    paths::ensure_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            link_tree(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
        } else {
            std::fs::hard_link(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The initramfs that mounts the root disk and `switch_root`s to it, with Linux's virtio
/// modules (`build/rootdisk-loader.cpio`).
pub fn loader_initramfs(modules: &[PathBuf]) -> Result<PathBuf> {
    let busybox = initramfs::read_busybox()?;
    let loaded: Vec<(String, Vec<u8>)> = modules
        .iter()
        .filter_map(|module| {
            let name = module.file_name()?.to_string_lossy().into_owned();
            Some((name, module.clone()))
        })
        .map(|(name, path)| {
            let data =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok((format!("/lib/modules/virtio/{name}"), data))
        })
        .collect::<Result<_>>()?;
    let mut files: Vec<ImageFile> = loaded
        .iter()
        .map(|(path, data)| ImageFile {
            path,
            mode: 0o644,
            data,
        })
        .collect();
    // A later /init replaces the default image's.
    files.push(ImageFile {
        path: "/init",
        mode: 0o755,
        data: LOADER_INIT.as_bytes(),
    });
    let archive = initramfs::build_archive(&busybox, &files)?;
    let path = paths::build_dir().join("rootdisk-loader.cpio");
    paths::write_atomically(&path, &archive)?;
    Ok(path)
}

/// [`e2fsck`] of the file system in partition 1 of a partitioned image (copied out first).
pub fn e2fsck_partition(image: &Path) -> Result<(), String> {
    let bytes = std::fs::read(image).map_err(|error| format!("{}: {error}", image.display()))?;
    let part = image.with_extension("part1");
    std::fs::write(
        &part,
        bytes.get(PARTITION_OFFSET as usize..).unwrap_or_default(),
    )
    .map_err(|error| format!("{}: {error}", part.display()))?;
    let result = e2fsck(&part);
    let _ = std::fs::remove_file(&part);
    result
}

/// `e2fsck -fn IMAGE` on the host: `Err` with its report unless the file system is clean.
pub fn e2fsck(image: &Path) -> Result<(), String> {
    let out = Command::new("/sbin/e2fsck")
        .arg("-fn")
        .arg(image)
        .output()
        .map_err(|error| format!("e2fsck: {error}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "e2fsck -fn {} (status {}):\n{}{}",
        image.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// The benchmark disk (`cargo xtask bench`'s disk rows), made fresh for each boot at
/// `build/rootdisk/bench/root.img`: 1 GiB of ext4 holding `/tree.tar`, a tar archive (made by
/// the host's tar) of the busybox layout and a 16 MiB data tree, for `disk_untar`.
pub fn bench_disk() -> Result<PathBuf> {
    let base = paths::build_dir().join("rootdisk").join("bench-tree");
    let tar = base.join("tree.tar");
    if !tar.exists() {
        let _ = std::fs::remove_dir_all(&base);
        let source = base.join("source");
        paths::ensure_dir(&source)?;
        write_layout(&source)?;
        let (data, _) = data_tree(16)?;
        link_tree(&data.join("data"), &source.join("data"))?;
        let status = Command::new("tar")
            .arg("-cf")
            .arg(&tar)
            .arg("-C")
            .arg(&source)
            .arg(".")
            .status()
            .context("cannot run tar")?;
        anyhow::ensure!(status.success(), "tar of the benchmark tree failed");
        let _ = std::fs::remove_dir_all(&source);
    }
    let dir = paths::build_dir().join("rootdisk").join("bench");
    let tree = dir.join("tree");
    let _ = std::fs::remove_dir_all(&tree);
    paths::ensure_dir(&tree)?;
    std::fs::hard_link(&tar, tree.join("tree.tar"))?;
    let image = dir.join("root.img");
    let _ = std::fs::remove_file(&image);
    std::fs::File::create(&image)
        .and_then(|file| file.set_len(IMAGE_MIB << 20))
        .with_context(|| format!("cannot create {}", image.display()))?;
    let status = Command::new("/sbin/mkfs.ext4")
        .args(["-q", "-F", "-d"])
        .arg(&tree)
        .arg(&image)
        .status()
        .context("cannot run mkfs.ext4")?;
    anyhow::ensure!(
        status.success(),
        "mkfs.ext4 -d failed for {}",
        image.display()
    );
    let _ = std::fs::remove_dir_all(&tree);
    Ok(image)
}
