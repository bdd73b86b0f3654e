//! Builders of hand-made archives for the unit tests.

use alloc::vec::Vec;

use crate::header::Header;
use crate::reader::data_checksum;

/// One record to encode; fields not set are zero (and `nlink` is 1).
#[derive(Clone, Copy)]
pub struct Record<'a> {
    pub name: &'a [u8],
    pub mode: u32,
    pub ino: u32,
    pub nlink: u32,
    pub data: &'a [u8],
}

impl<'a> Record<'a> {
    pub fn new(name: &'a [u8], mode: u32, data: &'a [u8]) -> Record<'a> {
        Record {
            name,
            mode,
            ino: 0,
            nlink: 1,
            data,
        }
    }

    pub fn linked(self, ino: u32, nlink: u32) -> Record<'a> {
        Record { ino, nlink, ..self }
    }
}

/// Appends `record` in the newc layout, aligned relative to the start of `out`.
pub fn push_record(out: &mut Vec<u8>, record: Record<'_>) {
    let header = Header {
        has_checksum: false,
        ino: record.ino,
        mode: record.mode,
        uid: 0,
        gid: 0,
        nlink: record.nlink,
        mtime: 0,
        filesize: record.data.len() as u32,
        dev_major: 0,
        dev_minor: 0,
        rdev_major: 0,
        rdev_minor: 0,
        namesize: record.name.len() as u32 + 1,
        check: data_checksum(record.data),
    };
    out.extend_from_slice(&header.encode());
    out.extend_from_slice(record.name);
    out.push(0);
    pad4(out);
    out.extend_from_slice(record.data);
    pad4(out);
}

/// Appends the records and a trailer.
pub fn push_archive(out: &mut Vec<u8>, records: &[Record<'_>]) {
    for &record in records {
        push_record(out, record);
    }
    push_record(out, Record::new(crate::TRAILER_NAME, 0, b""));
}

/// An archive of `records` followed by a trailer.
pub fn archive(records: &[Record<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    push_archive(&mut out, records);
    out
}

fn pad4(out: &mut Vec<u8>) {
    out.resize(out.len().next_multiple_of(4), 0);
}
