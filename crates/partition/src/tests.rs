//! Tables built here byte by byte, as fdisk and sgdisk write them, and hostile ones.

use super::*;
use alloc::vec;
use alloc::vec::Vec;

struct Image(Vec<u8>, u32);

impl SectorReader for Image {
    fn read_block(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let start = lba.checked_mul(u64::from(self.1)).ok_or(ReadError)? as usize;
        let bytes = self.0.get(start..start + buf.len()).ok_or(ReadError)?;
        buf.copy_from_slice(bytes);
        Ok(())
    }
}

fn disk(image: &Image) -> Disk {
    Disk {
        block_size: image.1,
        sectors: image.0.len() as u64 / 512,
        max_partitions: 16,
    }
}

fn put_entry(block: &mut [u8], index: usize, boot: u8, kind: u8, start: u32, sectors: u32) {
    let entry = &mut block[446 + 16 * index..462 + 16 * index];
    entry[0] = boot;
    entry[4] = kind;
    entry[8..12].copy_from_slice(&start.to_le_bytes());
    entry[12..16].copy_from_slice(&sectors.to_le_bytes());
}

fn sign(block: &mut [u8]) {
    block[510] = 0x55;
    block[511] = 0xaa;
}

fn mbr_image(sectors: usize) -> Image {
    let mut bytes = vec![0u8; sectors * 512];
    sign(&mut bytes[..512]);
    Image(bytes, 512)
}

/// [`scan`] with the partitions' ids cleared (tests of ids check them on their own).
fn scan_plain(image: &mut dyn SectorReader, disk: &Disk) -> (TableKind, Vec<Partition>) {
    let (kind, mut parts) = scan(image, disk);
    for part in &mut parts {
        part.uuid = crate::PartUuid::None;
        part.label = crate::PartLabel::default();
    }
    (kind, parts)
}

fn part(number: u32, start: u64, sectors: u64) -> Partition {
    Partition {
        number,
        start,
        sectors,
        is_extended: false,
        uuid: crate::PartUuid::None,
        label: crate::PartLabel::default(),
    }
}

fn extended(number: u32, start: u64, sectors: u64) -> Partition {
    Partition {
        is_extended: true,
        ..part(number, start, sectors)
    }
}

#[test]
fn primary_partitions_keep_their_slot_numbers() {
    let mut image = mbr_image(4096);
    put_entry(&mut image.0, 0, 0x80, 0x83, 2048, 1024);
    put_entry(&mut image.0, 2, 0, 0x82, 3072, 1024);
    let d = disk(&image);
    let (kind, parts) = scan_plain(&mut image, &d);
    assert_eq!(kind, TableKind::Mbr);
    assert_eq!(parts, vec![part(1, 2048, 1024), part(3, 3072, 1024)]);
}

#[test]
fn logical_partitions_follow_the_ebr_chain() {
    let mut image = mbr_image(8192);
    put_entry(&mut image.0, 0, 0, 0x83, 2048, 2048);
    put_entry(&mut image.0, 1, 0, 0x05, 4096, 4096);
    // First EBR at 4096: data at +2048 (1000 sectors), link to the next EBR at +3072.
    let ebr = &mut image.0[4096 * 512..4097 * 512];
    put_entry(ebr, 0, 0, 0x83, 2048, 1000);
    put_entry(ebr, 1, 0, 0x05, 3072, 1024);
    sign(ebr);
    // Second EBR at 4096 + 3072: data at +1 (500 sectors), end of chain.
    let ebr = &mut image.0[7168 * 512..7169 * 512];
    put_entry(ebr, 0, 0, 0x83, 1, 500);
    sign(ebr);
    let d = disk(&image);
    let (kind, parts) = scan_plain(&mut image, &d);
    assert_eq!(kind, TableKind::Mbr);
    assert_eq!(
        parts,
        vec![
            part(1, 2048, 2048),
            extended(2, 4096, 2),
            part(5, 6144, 1000),
            part(6, 7169, 500)
        ]
    );
}

#[test]
fn an_ebr_loop_ends() {
    let mut image = mbr_image(8192);
    put_entry(&mut image.0, 0, 0, 0x05, 4096, 4096);
    // The EBR links to itself and has no data partition.
    let ebr = &mut image.0[4096 * 512..4097 * 512];
    put_entry(ebr, 1, 0, 0x05, 0, 4096);
    sign(ebr);
    let d = disk(&image);
    let (_, parts) = scan_plain(&mut image, &d);
    assert_eq!(parts, vec![extended(1, 4096, 2)]);
}

#[test]
fn an_ebr_loop_with_data_stops_at_the_partition_limit() {
    let mut image = mbr_image(8192);
    put_entry(&mut image.0, 0, 0, 0x05, 4096, 4096);
    let ebr = &mut image.0[4096 * 512..4097 * 512];
    put_entry(ebr, 0, 0, 0x83, 1, 10);
    put_entry(ebr, 1, 0, 0x05, 0, 4096);
    sign(ebr);
    let d = disk(&image);
    let (_, parts) = scan_plain(&mut image, &d);
    assert_eq!(parts.len(), 1 + 11);
    assert!(parts[0].is_extended && parts[1..].iter().all(|p| !p.is_extended));
    assert_eq!(parts.last().map(|p| p.number), Some(15));
}

#[test]
fn bad_boot_indicator_or_signature_means_no_table() {
    let mut image = mbr_image(4096);
    put_entry(&mut image.0, 0, 0x12, 0x83, 2048, 1024);
    let d = disk(&image);
    assert_eq!(scan_plain(&mut image, &d), (TableKind::None, vec![]));
    let mut image = Image(vec![0; 4096 * 512], 512);
    put_entry(&mut image.0, 0, 0, 0x83, 2048, 1024);
    assert_eq!(scan_plain(&mut image, &d), (TableKind::None, vec![]));
}

#[test]
fn partitions_past_the_end_are_dropped_or_truncated() {
    let mut parts = vec![part(1, 100, 50), part(2, 4000, 200), part(3, 5000, 1)];
    let changes = fit_to_disk(&mut parts, 4096);
    assert_eq!(parts, vec![part(1, 100, 50), part(2, 4000, 96)]);
    assert_eq!(
        changes,
        vec![
            Fit::Truncated(part(2, 4000, 200)),
            Fit::BeyondEnd(part(3, 5000, 1))
        ]
    );
}

/// A GPT image of `sectors` with the given entries (type byte, first, last).
fn gpt_image(sectors: u64, entries: &[(u8, u64, u64)]) -> Image {
    let mut image = mbr_image(sectors as usize);
    put_entry(&mut image.0, 0, 0, 0xee, 1, (sectors - 1) as u32);
    let mut array = vec![0u8; 128 * 128];
    for (index, &(kind, first, last)) in entries.iter().enumerate() {
        let entry = &mut array[index * 128..(index + 1) * 128];
        entry[0] = kind;
        entry[16] = 0x42;
        entry[32..40].copy_from_slice(&first.to_le_bytes());
        entry[40..48].copy_from_slice(&last.to_le_bytes());
    }
    image.0[1024..1024 + array.len()].copy_from_slice(&array);
    let header = &mut image.0[512..1024];
    header[..8].copy_from_slice(b"EFI PART");
    header[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
    header[12..16].copy_from_slice(&92u32.to_le_bytes());
    header[24..32].copy_from_slice(&1u64.to_le_bytes());
    header[32..40].copy_from_slice(&(sectors - 1).to_le_bytes());
    header[40..48].copy_from_slice(&34u64.to_le_bytes());
    header[48..56].copy_from_slice(&(sectors - 34).to_le_bytes());
    header[72..80].copy_from_slice(&2u64.to_le_bytes());
    header[80..84].copy_from_slice(&128u32.to_le_bytes());
    header[84..88].copy_from_slice(&128u32.to_le_bytes());
    header[88..92].copy_from_slice(&crc32(&array).to_le_bytes());
    let crc = crc32(&header[..92]);
    header[16..20].copy_from_slice(&crc.to_le_bytes());
    image
}

#[test]
fn gpt_entries_are_numbered_by_slot() {
    let mut image = gpt_image(8192, &[(1, 2048, 4095), (0, 0, 0), (2, 4096, 8158)]);
    let d = disk(&image);
    let (kind, parts) = scan_plain(&mut image, &d);
    assert_eq!(kind, TableKind::Gpt);
    assert_eq!(parts, vec![part(1, 2048, 2048), part(3, 4096, 4063)]);
}

#[test]
fn gpt_with_bad_crc_gives_no_partitions() {
    let mut image = gpt_image(8192, &[(1, 2048, 4095)]);
    image.0[1024 + 40] ^= 1; // an entry changed: the array CRC no longer matches
    let d = disk(&image);
    assert_eq!(scan_plain(&mut image, &d), (TableKind::None, vec![]));
}

#[test]
fn gpt_entries_past_the_disk_or_reversed_are_skipped() {
    let mut image = gpt_image(8192, &[(1, 4095, 2048), (1, 100, 9000), (1, 40, 50)]);
    let d = disk(&image);
    let (_, parts) = scan_plain(&mut image, &d);
    assert_eq!(parts, vec![part(3, 40, 11)]);
}

#[test]
fn gpt_with_4k_blocks_counts_in_512_byte_sectors() {
    // 512-byte image scaled: build with 4096-byte blocks by hand.
    let blocks = 1024u64;
    let mut bytes = vec![0u8; (blocks * 4096) as usize];
    sign(&mut bytes[..512]);
    put_entry(&mut bytes, 0, 0, 0xee, 1, (blocks - 1) as u32);
    bytes[510] = 0x55;
    bytes[511] = 0xaa;
    let mut array = vec![0u8; 128 * 4];
    array[0] = 1;
    array[32..40].copy_from_slice(&10u64.to_le_bytes());
    array[40..48].copy_from_slice(&19u64.to_le_bytes());
    bytes[8192..8192 + array.len()].copy_from_slice(&array);
    let header = &mut bytes[4096..8192];
    header[..8].copy_from_slice(b"EFI PART");
    header[12..16].copy_from_slice(&92u32.to_le_bytes());
    header[24..32].copy_from_slice(&1u64.to_le_bytes());
    header[40..48].copy_from_slice(&6u64.to_le_bytes());
    header[48..56].copy_from_slice(&(blocks - 6).to_le_bytes());
    header[72..80].copy_from_slice(&2u64.to_le_bytes());
    header[80..84].copy_from_slice(&4u32.to_le_bytes());
    header[84..88].copy_from_slice(&128u32.to_le_bytes());
    header[88..92].copy_from_slice(&crc32(&array).to_le_bytes());
    let crc = crc32(&header[..92]);
    header[16..20].copy_from_slice(&crc.to_le_bytes());
    let mut image = Image(bytes, 4096);
    let d = disk(&image);
    assert_eq!(
        scan_plain(&mut image, &d),
        (TableKind::Gpt, vec![part(1, 80, 80)])
    );
}

#[test]
fn crc32_matches_the_reference_value() {
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
}

/// Random garbage, random bit flips of valid tables, and unreadable disks never panic.
#[test]
fn hostile_tables_never_panic() {
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..3000 {
        let mut image = match round % 3 {
            0 => gpt_image(256, &[(1, 40, 100), (2, 101, 200)]),
            1 => {
                let mut image = mbr_image(256);
                put_entry(&mut image.0, 0, 0, 0x05, 8, 200);
                let ebr = &mut image.0[8 * 512..9 * 512];
                put_entry(ebr, 0, 0, 0x83, 1, 10);
                put_entry(ebr, 1, 0, 0x05, 20, 50);
                sign(ebr);
                image
            }
            _ => {
                let mut image = mbr_image(256);
                for byte in image.0[..4 * 512].iter_mut() {
                    *byte = next() as u8;
                }
                sign(&mut image.0[..512]);
                image
            }
        };
        for _ in 0..(next() % 8) {
            let offset = (next() % (12 * 512)) as usize;
            image.0[offset] = next() as u8;
        }
        let limit = (next() % 20) as u32;
        let d = Disk {
            block_size: 512,
            sectors: 1 + next() % 512,
            max_partitions: limit,
        };
        let (_, mut parts) = scan_plain(&mut image, &d);
        assert!(
            parts
                .iter()
                .all(|p| p.number > 0 && p.number < limit.max(1))
        );
        fit_to_disk(&mut parts, d.sectors);
        assert!(parts.iter().all(|p| p.start + p.sectors <= d.sectors));
    }
}

#[test]
fn partition_ids_as_linux_prints_them() {
    let guid = [
        0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
        0xef,
    ];
    assert_eq!(
        crate::PartUuid::Gpt(guid).text().as_deref(),
        Some("12345678-9abc-def0-0123-456789abcdef")
    );
    assert_eq!(
        crate::PartUuid::Mbr {
            signature: 0x0ccd_b28e,
            number: 5
        }
        .text()
        .as_deref(),
        Some("0ccdb28e-05")
    );
    assert_eq!(crate::PartUuid::None.text(), None);
}

#[test]
fn gpt_names_become_labels_as_linux_cuts_them() {
    let mut image = gpt_image(8192, &[(1, 2048, 4095), (2, 4096, 8158)]);
    let name = |text: &[u16]| {
        let mut raw = vec![0u8; 72];
        for (i, unit) in text.iter().enumerate() {
            raw[2 * i..2 * i + 2].copy_from_slice(&unit.to_le_bytes());
        }
        raw
    };
    // "root", and a name with a tab, a non-Latin character (its low byte kept) and é.
    let first: Vec<u16> = "root".encode_utf16().collect();
    let second = [b'a' as u16, 9, 0x4e2d, 0xe9, b'z' as u16];
    image.0[1024 + 56..1024 + 128].copy_from_slice(&name(&first));
    image.0[1024 + 128 + 56..1024 + 256].copy_from_slice(&name(&second));
    // The array's CRC and then the header's.
    let array = image.0[1024..1024 + 128 * 128].to_vec();
    image.0[512 + 88..512 + 92].copy_from_slice(&crc32(&array).to_le_bytes());
    image.0[512 + 16..512 + 20].copy_from_slice(&[0; 4]);
    let crc = crc32(&image.0[512..512 + 92]);
    image.0[512 + 16..512 + 20].copy_from_slice(&crc.to_le_bytes());
    let d = disk(&image);
    let (_, parts) = scan(&mut image, &d);
    assert_eq!(parts[0].label.bytes(), b"root");
    assert_eq!(parts[1].label.bytes(), &[b'a', b'!', 0x2d, 0xe9, b'z']);
    // 36 units at most, no terminator needed.
    let long = PartLabel::from_utf16le(&[b'x', 0].repeat(40));
    assert_eq!(long.bytes().len(), 36);
}
