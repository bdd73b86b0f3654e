//! Disk images for the tests that attach virtio disks (the `blk` suite): made fresh for every
//! boot, since the suite writes to them.
//!
//! - `vda` (32 MiB): an MBR with a primary partition, an extended one and two logical
//!   partitions, the second starting at a sector that is not 4 KiB-aligned.
//! - `vdb` (16 MiB): a GPT (protective MBR, primary and backup headers) with entries 1 and 3.
//! - `vdc` (4 MiB): a hostile MBR: a partition past the end of the disk, an extended partition
//!   larger than the disk whose EBR links to itself and lists a partition past the end.
//! - `vdd` (4 MiB, read-only): random bytes.
//!
//! Every sector that holds no table is filled with [`pattern`], which the guest suite
//! recomputes (tests/user/blk/blk.c's `pattern`), so a read of the wrong sector shows.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::paths;

/// One disk to attach.
#[derive(Debug, Clone)]
pub struct DiskImage {
    pub path: PathBuf,
    /// `readonly=on`: the device offers virtio's RO feature.
    pub is_read_only: bool,
}

/// The byte at disk offset `offset` of a patterned disk.
pub fn pattern(offset: u64) -> u8 {
    ((offset >> 9).wrapping_mul(37) + (offset & 0x1ff) + (offset >> 20)) as u8
}

fn patterned(len: usize) -> Vec<u8> {
    (0..len as u64).map(pattern).collect()
}

fn put_entry(sector: &mut [u8], index: usize, boot: u8, kind: u8, start: u32, sectors: u32) {
    let entry = &mut sector[446 + 16 * index..462 + 16 * index];
    entry.fill(0);
    entry[0] = boot;
    entry[4] = kind;
    entry[8..12].copy_from_slice(&start.to_le_bytes());
    entry[12..16].copy_from_slice(&sectors.to_le_bytes());
}

fn table_sector(disk: &mut [u8], lba: usize) -> &mut [u8] {
    let sector = &mut disk[lba * 512..(lba + 1) * 512];
    sector[446..].fill(0);
    sector[510] = 0x55;
    sector[511] = 0xaa;
    sector
}

/// `vda`: vda1 2048+8192, vda2 extended 10240+20480 (shown as 2 sectors), vda5 12288+4096,
/// vda6 18495+1000.
pub fn mbr_disk() -> Vec<u8> {
    let mut disk = patterned(32 << 20);
    let mbr = table_sector(&mut disk, 0);
    put_entry(mbr, 0, 0x80, 0x83, 2048, 8192);
    put_entry(mbr, 1, 0, 0x05, 10240, 20480);
    let ebr = table_sector(&mut disk, 10240);
    put_entry(ebr, 0, 0, 0x83, 2048, 4096);
    put_entry(ebr, 1, 0, 0x05, 8192, 4096);
    let ebr = table_sector(&mut disk, 10240 + 8192);
    put_entry(ebr, 0, 0, 0x83, 63, 1000);
    disk
}

pub fn gpt_header(
    disk_sectors: u64,
    my_lba: u64,
    alternate: u64,
    entries_lba: u64,
    crc: u32,
) -> Vec<u8> {
    let mut header = vec![0u8; 512];
    header[..8].copy_from_slice(b"EFI PART");
    header[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
    header[12..16].copy_from_slice(&92u32.to_le_bytes());
    header[24..32].copy_from_slice(&my_lba.to_le_bytes());
    header[32..40].copy_from_slice(&alternate.to_le_bytes());
    header[40..48].copy_from_slice(&34u64.to_le_bytes());
    header[48..56].copy_from_slice(&(disk_sectors - 34).to_le_bytes());
    header[56..72].copy_from_slice(b"ferrux-test-disk");
    header[72..80].copy_from_slice(&entries_lba.to_le_bytes());
    header[80..84].copy_from_slice(&128u32.to_le_bytes());
    header[84..88].copy_from_slice(&128u32.to_le_bytes());
    header[88..92].copy_from_slice(&crc.to_le_bytes());
    let header_crc = partition::crc32(&header[..92]);
    header[16..20].copy_from_slice(&header_crc.to_le_bytes());
    header
}

/// `vdb`: GPT entries 1 (2048..=4095, named `ferrux-one`) and 3 (8192..=16383, named
/// `tab<TAB>here`), entry 2 empty.
pub fn gpt_disk() -> Vec<u8> {
    let sectors = (16u64 << 20) / 512;
    let mut disk = patterned(16 << 20);
    let mbr = table_sector(&mut disk, 0);
    put_entry(mbr, 0, 0, 0xee, 1, (sectors - 1) as u32);
    let mut entries = vec![0u8; 128 * 128];
    // Linux filesystem data type GUID, a unique GUID, the range, a name.
    let linux_data: [u8; 16] = [
        0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47, 0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d,
        0xe4,
    ];
    // Names (UTF-16LE): a plain one, and one with a tab that Linux shows as `!`.
    for (slot, first, last, name) in [
        (0usize, 2048u64, 4095u64, "ferrux-one"),
        (2, 8192, 16383, "tab\there"),
    ] {
        let entry = &mut entries[slot * 128..(slot + 1) * 128];
        entry[..16].copy_from_slice(&linux_data);
        entry[16] = slot as u8 + 1;
        entry[17..32].fill(0x5a);
        entry[32..40].copy_from_slice(&first.to_le_bytes());
        entry[40..48].copy_from_slice(&last.to_le_bytes());
        for (i, unit) in name.encode_utf16().enumerate() {
            entry[56 + 2 * i..58 + 2 * i].copy_from_slice(&unit.to_le_bytes());
        }
    }
    let entries_crc = partition::crc32(&entries);
    disk[1024..1024 + entries.len()].copy_from_slice(&entries);
    disk[512..1024].copy_from_slice(&gpt_header(sectors, 1, sectors - 1, 2, entries_crc));
    let backup_entries = (sectors - 33) as usize * 512;
    disk[backup_entries..backup_entries + entries.len()].copy_from_slice(&entries);
    let backup = (sectors - 1) as usize * 512;
    disk[backup..backup + 512].copy_from_slice(&gpt_header(
        sectors,
        sectors - 1,
        1,
        sectors - 33,
        entries_crc,
    ));
    disk
}

/// `vdc`: a partition past the end, and an extended partition past the end whose EBR links to
/// itself and lists a partition past the end each time (Linux follows it to the partition
/// limit and drops what lies past the end): only `vdc2`, the extended one shown as 2
/// sectors, remains.
pub fn hostile_disk() -> Vec<u8> {
    let mut disk = patterned(4 << 20);
    let mbr = table_sector(&mut disk, 0);
    put_entry(mbr, 0, 0, 0x83, 0xffff_ff00, 100);
    put_entry(mbr, 1, 0, 0x05, 100, 0xffff_ffff);
    let ebr = table_sector(&mut disk, 100);
    put_entry(ebr, 0, 0, 0x83, 0x7fff_0000, 8);
    put_entry(ebr, 1, 0, 0x05, 0, 0xffff_ffff);
    disk
}

/// `vdd`: random bytes (xorshift from a fixed seed), with no table signature.
pub fn random_disk() -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut disk = Vec::with_capacity(4 << 20);
    while disk.len() < 4 << 20 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        disk.extend_from_slice(&state.to_le_bytes());
    }
    disk[510] = 0;
    disk
}

/// Writes fresh images of the four disks under `build/disks/<name>/`.
pub fn write_test_disks(name: &str) -> Result<Vec<DiskImage>> {
    let dir = paths::build_dir().join("disks").join(name);
    paths::ensure_dir(&dir)?;
    let mut disks = Vec::new();
    for (file, data, is_read_only) in [
        ("vda.img", mbr_disk(), false),
        ("vdb.img", gpt_disk(), false),
        ("vdc.img", hostile_disk(), false),
        ("vdd.img", random_disk(), true),
    ] {
        let path = dir.join(file);
        paths::write_atomically(&path, &data)?;
        disks.push(DiskImage { path, is_read_only });
    }
    Ok(disks)
}

/// A fresh 32 MiB ext4 image populated by `mkfs.ext4 -d` (e2fsprogs): `/hello`, `/dir/numbers`
/// (1 to 20000, one a line) and the symlink `/link` → `hello`, under `build/disks/<name>/`.
pub fn ext4_disk(name: &str) -> Result<Vec<DiskImage>> {
    let dir = paths::build_dir().join("disks").join(name);
    let tree = dir.join("ext4-tree");
    let _ = std::fs::remove_dir_all(&tree);
    paths::ensure_dir(&tree.join("dir"))?;
    std::fs::write(tree.join("hello"), b"hello from the host\n")?;
    let numbers: String = (1..=20000).map(|n| format!("{n}\n")).collect();
    std::fs::write(tree.join("dir/numbers"), numbers)?;
    std::os::unix::fs::symlink("hello", tree.join("link"))?;
    let path = dir.join("ext4.img");
    let _ = std::fs::remove_file(&path);
    let status = std::process::Command::new("/sbin/mkfs.ext4")
        .args(["-q", "-F", "-d"])
        .arg(&tree)
        .arg(&path)
        .arg("32M")
        .status()?;
    anyhow::ensure!(
        status.success(),
        "mkfs.ext4 -d failed for {}",
        path.display()
    );
    Ok(vec![DiskImage {
        path,
        is_read_only: false,
    }])
}

/// The SHA-256 of `data` in hex, from the host's `sha256sum`.
pub fn sha256_hex(data: &[u8]) -> Result<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(data)?;
    }
    let output = child.wait_with_output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let hash = text.split_whitespace().next().unwrap_or_default();
    anyhow::ensure!(hash.len() == 64, "sha256sum printed {text:?}");
    Ok(hash.to_string())
}

/// Disks given on the command line (`cargo xtask run --disk IMG`), writable.
pub fn from_paths(paths: &[PathBuf]) -> Vec<DiskImage> {
    paths
        .iter()
        .map(|path| DiskImage {
            path: Path::new(path).to_path_buf(),
            is_read_only: false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Image(Vec<u8>);

    impl partition::SectorReader for Image {
        fn read_block(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), partition::ReadError> {
            let start = lba as usize * buf.len();
            let bytes = self
                .0
                .get(start..start + buf.len())
                .ok_or(partition::ReadError)?;
            buf.copy_from_slice(bytes);
            Ok(())
        }
    }

    fn scan(disk: Vec<u8>) -> Vec<(u32, u64, u64)> {
        let sectors = disk.len() as u64 / 512;
        let table = partition::Disk {
            block_size: 512,
            sectors,
            max_partitions: 256,
        };
        let (_, mut parts) = partition::scan(&mut Image(disk), &table);
        partition::fit_to_disk(&mut parts, sectors);
        parts
            .iter()
            .map(|p| (p.number, p.start, p.sectors))
            .collect()
    }

    #[test]
    fn the_test_disks_have_the_partitions_the_suite_expects() {
        assert_eq!(
            scan(mbr_disk()),
            [
                (1, 2048, 8192),
                (2, 10240, 2),
                (5, 12288, 4096),
                (6, 18495, 1000)
            ]
        );
        assert_eq!(scan(gpt_disk()), [(1, 2048, 2048), (3, 8192, 8192)]);
        assert_eq!(scan(hostile_disk()), [(2, 100, 2)]);
        assert_eq!(scan(random_disk()), []);
    }
}
