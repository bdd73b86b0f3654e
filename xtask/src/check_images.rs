//! The initramfs images of the boot checks of initramfs unpacking, built into `build/` and
//! cached by content: a file's name carries a hash of everything that went into it (busybox,
//! the kind of image, its size), so it is made once per machine and remade when busybox changes.
//!
//! - [`large`]: the default layout plus `/big`, pseudo-random (incompressible) data of the given
//!   size, and `/big.sha256` for `busybox sha256sum -c /big.sha256`; gzip-compressed, so the
//!   kernel inflates it as a stream.
//! - [`damaged`]: the default layout, then `/filler` (1 MiB of pseudo-random data) and `/after`:
//!   [`Damage::Truncated`] is gzip-compressed and cut inside `/filler` (Linux: "Initramfs
//!   unpacking failed: read error"), [`Damage::Corrupt`] is uncompressed with the magic of
//!   `/after`'s record broken (Linux: "no cpio magic"). Either way `/bin/busybox` and `/filler`
//!   (at its full size, as its header gave it) are unpacked before the damage, `/after` is not.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};

use crate::initramfs::{self, ImageFile};
use crate::packages;
use crate::paths;

/// Bump when the layout of an image changes, so that cached images are remade.
const FORMAT_VERSION: u32 = 1;

/// Path of the file whose checksum the large image's check verifies.
pub const BIG_PATH: &str = "/big";
/// Its `sha256sum -c` list.
pub const BIG_SHA256_PATH: &str = "/big.sha256";
/// The file cut by the damage, and the one after it.
pub const FILLER_PATH: &str = "/filler";
pub const AFTER_PATH: &str = "/after";
/// Size of `/filler`.
pub const FILLER_LEN: usize = 1024 * 1024;

/// How a damaged image is damaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Damage {
    Truncated,
    Corrupt,
}

/// The large image with `mib` MiB in `/big` (`build/initramfs-large-<mib>m-<hash>.cpio.gz`).
pub fn large(mib: usize) -> Result<PathBuf> {
    let busybox = initramfs::read_busybox()?;
    let stem = format!("initramfs-large-{mib}m");
    cached(&stem, "cpio.gz", &(mib, &busybox), || {
        build_large(&busybox, mib * 1024 * 1024)
    })
}

/// A damaged image (`build/initramfs-truncated-<hash>.cpio.gz` or
/// `build/initramfs-corrupt-<hash>.cpio`).
pub fn damaged(damage: Damage) -> Result<PathBuf> {
    let busybox = initramfs::read_busybox()?;
    let (stem, extension) = match damage {
        Damage::Truncated => ("initramfs-truncated", "cpio.gz"),
        Damage::Corrupt => ("initramfs-corrupt", "cpio"),
    };
    cached(stem, extension, &(damage, &busybox), || {
        build_damaged(&busybox, damage)
    })
}

/// `build/<stem>-<hash of key>.<extension>`, made by `build` unless it exists; other versions
/// of the same stem are removed.
fn cached(
    stem: &str,
    extension: &str,
    key: &impl Hash,
    build: impl FnOnce() -> Result<Vec<u8>>,
) -> Result<PathBuf> {
    let mut hasher = DefaultHasher::new();
    (FORMAT_VERSION, key).hash(&mut hasher);
    let name = format!("{stem}-{:016x}.{extension}", hasher.finish());
    let dir = paths::build_dir();
    let path = dir.join(&name);
    if path.exists() {
        return Ok(path);
    }
    println!("xtask: building {}", path.display());
    let image = build()?;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let old = entry.file_name().to_string_lossy().into_owned();
            if old.starts_with(&format!("{stem}-")) && old.ends_with(extension) && old != name {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    paths::write_atomically(&path, &image)?;
    Ok(path)
}

fn build_large(busybox: &initramfs::Busybox, len: usize) -> Result<Vec<u8>> {
    let big = pseudo_random(len, 0x6269_6700 + len as u64);
    let list = format!("{}  {BIG_PATH}\n", sha256_hex(&big)?);
    let archive = initramfs::build_archive(
        busybox,
        &[
            ImageFile {
                path: BIG_SHA256_PATH,
                mode: 0o644,
                data: list.as_bytes(),
            },
            ImageFile {
                path: BIG_PATH,
                mode: 0o644,
                data: &big,
            },
        ],
    )?;
    drop(big);
    initramfs::gzip(&archive)
}

fn build_damaged(busybox: &initramfs::Busybox, damage: Damage) -> Result<Vec<u8>> {
    let filler = pseudo_random(FILLER_LEN, 0x6669_6c6c);
    let mut archive = initramfs::build_archive(
        busybox,
        &[
            ImageFile {
                path: FILLER_PATH,
                mode: 0o644,
                data: &filler,
            },
            ImageFile {
                path: AFTER_PATH,
                mode: 0o644,
                data: b"after\n",
            },
        ],
    )?;
    match damage {
        Damage::Truncated => {
            // `/filler` is incompressible and near the end: the last MiB of the member is
            // mostly its data, so cutting half a MiB off lands inside it.
            let mut member = initramfs::gzip(&archive)?;
            ensure!(member.len() > FILLER_LEN, "gzip member too short to cut");
            member.truncate(member.len() - FILLER_LEN / 2);
            Ok(member)
        }
        Damage::Corrupt => {
            let mut name = AFTER_PATH.as_bytes().to_vec();
            name.push(0);
            let Some(name_at) = archive
                .windows(name.len())
                .rposition(|window| window == name)
            else {
                bail!("{AFTER_PATH} missing from the archive");
            };
            let header_at = name_at
                .checked_sub(110)
                .context("record header before the archive")?;
            ensure!(
                archive[header_at..].starts_with(b"070701"),
                "no record header before {AFTER_PATH}"
            );
            // `070703` still starts like a record, so Linux reads it as one and finds no magic.
            archive[header_at + 5] = b'3';
            Ok(archive)
        }
    }
}

/// `len` bytes of xorshift64* output: deterministic, and incompressible for deflate.
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut data = Vec::with_capacity(len + 8);
    while data.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        data.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    data.truncate(len);
    data
}

/// The SHA-256 of `data` in hexadecimal, from the host's busybox (the guest's program).
pub fn sha256_hex(data: &[u8]) -> Result<String> {
    let mut child = Command::new(packages::BUSYBOX)
        .arg("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run busybox sha256sum")?;
    let mut stdin = child.stdin.take().context("no stdin for sha256sum")?;
    let output = std::thread::scope(|scope| {
        let writer = scope.spawn(move || stdin.write_all(data));
        let output = child.wait_with_output();
        let written = writer
            .join()
            .map_err(|_| anyhow::anyhow!("writer panicked"))?;
        written.context("cannot feed sha256sum")?;
        output.context("sha256sum failed")
    })?;
    ensure!(output.status.success(), "sha256sum failed");
    let text = String::from_utf8_lossy(&output.stdout);
    let hex = text.split_whitespace().next().unwrap_or_default();
    ensure!(
        hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()),
        "unexpected sha256sum output {text:?}"
    );
    Ok(hex.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpio::initramfs::{Sink, UnpackError, UnpackedEntry, unpack};

    /// Names and data sizes the unpacker delivered.
    #[derive(Default)]
    struct Listing {
        files: Vec<(String, u64, u32)>,
    }

    impl Sink for Listing {
        type Error = &'static str;
        fn create(&mut self, entry: &UnpackedEntry<'_>) -> Result<(), &'static str> {
            let name = String::from_utf8_lossy(entry.name).into_owned();
            self.files.push((name, 0, entry.size));
            Ok(())
        }
        fn write(&mut self, data: &[u8]) -> Result<(), &'static str> {
            if let Some(last) = self.files.last_mut() {
                last.1 += data.len() as u64;
            }
            Ok(())
        }
        fn finish_file(&mut self) -> Result<(), &'static str> {
            Ok(())
        }
    }

    fn names(listing: &Listing) -> Vec<&str> {
        listing
            .files
            .iter()
            .map(|(name, ..)| name.as_str())
            .collect()
    }

    #[test]
    fn damaged_images_fail_after_the_filler_started() {
        let busybox = initramfs::Busybox {
            binary: b"BUSYBOX".repeat(1000),
            applets: vec!["bin/cat".to_string()],
        };

        let truncated = build_damaged(&busybox, Damage::Truncated).unwrap();
        let mut listing = Listing::default();
        let result = unpack(&truncated, &mut listing);
        assert!(
            matches!(result, Err(UnpackError::Gzip { .. })),
            "{result:?}"
        );
        let created = names(&listing);
        assert!(created.contains(&"/bin/busybox"));
        assert_eq!(created.last(), Some(&FILLER_PATH));
        let (_, written, size) = listing.files.last().unwrap();
        assert!((*written as usize) < FILLER_LEN);
        assert_eq!(*size as usize, FILLER_LEN);

        let corrupt = build_damaged(&busybox, Damage::Corrupt).unwrap();
        let mut listing = Listing::default();
        let result = unpack(&corrupt, &mut listing);
        let message = format!("{}", result.unwrap_err());
        assert!(message.starts_with("no cpio magic"), "{message}");
        assert_eq!(names(&listing).last(), Some(&FILLER_PATH));
        assert_eq!(listing.files.last().unwrap().1 as usize, FILLER_LEN);
    }

    #[test]
    fn pseudo_random_data_is_deterministic_and_incompressible() {
        let data = pseudo_random(100_003, 7);
        assert_eq!(data.len(), 100_003);
        assert_eq!(data, pseudo_random(100_003, 7));
        assert!(initramfs::gzip(&data).unwrap().len() > 100_000);
    }
}
