//! The jbd2 journal: commits of transactions through the log ([`JournalWriter`]), and
//! recovery at mount, as Linux's `fs/jbd2/recovery.c` does it: three passes over
//! the log from `s_start` (find the last committed transaction, collect revoked blocks, copy
//! every logged block that no later revoke cancels to its home), then the journal is marked
//! empty and ext4's `needs_recovery` flag cleared.
//!
//! The journal is the internal one (`s_journal_inum`), mapped through its extents or block
//! map. Everything in it is big-endian. Descriptor, revoke and commit blocks are checked
//! (magic, sequence, tag sizes for `64bit`, `csum_v2`/`csum_v3`, the block tails and commit
//! checksums); a logged block whose `csum_v3` tag does not match is skipped as Linux skips it.
//! Each pass stops after one lap of the log, so a corrupt log ends recovery rather than
//! looping. Fast commits (`fast_commit`) and external journals are refused.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::crc::crc32c;
use crate::inode::Inode;
use crate::{BlockDevice, Error, Ext4, Result};

const MAGIC: u32 = 0xc03b_3998;
const DESCRIPTOR: u32 = 1;
const COMMIT: u32 = 2;
const SUPERBLOCK_V1: u32 = 3;
const SUPERBLOCK_V2: u32 = 4;
const REVOKE: u32 = 5;

const INCOMPAT_REVOKE: u32 = 0x1;
const INCOMPAT_64BIT: u32 = 0x2;
const INCOMPAT_ASYNC_COMMIT: u32 = 0x4;
const INCOMPAT_CSUM_V2: u32 = 0x8;
const INCOMPAT_CSUM_V3: u32 = 0x10;
const INCOMPAT_FAST_COMMIT: u32 = 0x20;
const INCOMPAT_KNOWN: u32 =
    INCOMPAT_REVOKE | INCOMPAT_64BIT | INCOMPAT_ASYNC_COMMIT | INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3;

const TAG_ESCAPE: u32 = 1;
const TAG_SAME_UUID: u32 = 2;
const TAG_LAST: u32 = 8;

fn be32(buf: &[u8], off: usize) -> u32 {
    match buf.get(off..off.wrapping_add(4)) {
        Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

fn be16(buf: &[u8], off: usize) -> u32 {
    match buf.get(off..off.wrapping_add(2)) {
        Some(b) => u32::from(u16::from_be_bytes([b[0], b[1]])),
        None => 0,
    }
}

fn set_be32(buf: &mut [u8], off: usize, value: u32) {
    if let Some(b) = buf.get_mut(off..off.wrapping_add(4)) {
        b.copy_from_slice(&value.to_be_bytes());
    }
}

/// What recovery did, for the mount's log and for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Committed transactions found.
    pub transactions: u32,
    /// Blocks copied home.
    pub replayed: u32,
    /// Blocks skipped because a later transaction revoked them.
    pub revoked: u32,
    /// Blocks skipped for a bad checksum.
    pub bad_checksums: u32,
}

struct Journal {
    inode: Inode,
    block_size: usize,
    first: u32,
    maxlen: u32,
    incompat: u32,
    seed: u32,
}

impl Journal {
    fn csum(&self) -> bool {
        self.incompat & (INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3) != 0
    }

    fn tag_size(&self) -> usize {
        if self.incompat & INCOMPAT_CSUM_V3 != 0 {
            return 16;
        }
        let mut size = 12;
        if self.incompat & INCOMPAT_CSUM_V2 != 0 {
            size += 2;
        }
        if self.incompat & INCOMPAT_64BIT == 0 {
            size -= 4;
        }
        size
    }

    fn next(&self, pos: u32) -> u32 {
        if pos + 1 >= self.maxlen {
            self.first
        } else {
            pos + 1
        }
    }

    /// Whether a descriptor or revoke block's tail checksum holds.
    fn tail_ok(&self, block: &[u8]) -> bool {
        if !self.csum() {
            return true;
        }
        let mut copy = block.to_vec();
        let at = copy.len() - 4;
        let stored = be32(&copy, at);
        set_be32(&mut copy, at, 0);
        crc32c(self.seed, &copy) == stored
    }

    fn commit_ok(&self, block: &[u8]) -> bool {
        if !self.csum() {
            return true;
        }
        let mut copy = block.to_vec();
        let stored = be32(&copy, 16);
        set_be32(&mut copy, 16, 0);
        crc32c(self.seed, &copy) == stored
    }
}

/// A tag of a descriptor block: the home block and its flags and checksum.
struct Tag {
    block: u64,
    flags: u32,
    checksum: u32,
}

fn tags(journal: &Journal, desc: &[u8]) -> Vec<Tag> {
    let size = journal.tag_size();
    let end = desc.len() - if journal.csum() { 4 } else { 0 };
    let mut out = Vec::new();
    let mut off = 12;
    while off + size <= end {
        let (flags, checksum) = if journal.incompat & INCOMPAT_CSUM_V3 != 0 {
            (be32(desc, off + 4), be32(desc, off + 12))
        } else {
            (be16(desc, off + 6), be16(desc, off + 4))
        };
        let mut block = u64::from(be32(desc, off));
        if journal.incompat & INCOMPAT_64BIT != 0 {
            block |= u64::from(be32(desc, off + 8)) << 32;
        }
        out.push(Tag {
            block,
            flags,
            checksum,
        });
        off += size;
        if flags & TAG_SAME_UUID == 0 {
            off += 16;
        }
        if flags & TAG_LAST != 0 {
            break;
        }
    }
    out
}

impl<D: BlockDevice> Ext4<D> {
    fn journal_block(&mut self, journal: &Journal, lblk: u32) -> Result<Vec<u8>> {
        let mapping = self.map(&journal.inode, lblk)?;
        let pblk = mapping.pblk.ok_or(Error::Corrupt("hole in the journal"))?;
        self.read_block(pblk)
    }

    fn journal_write_block(&mut self, journal: &Journal, lblk: u32, data: &[u8]) -> Result<()> {
        let mapping = self.map(&journal.inode, lblk)?;
        let pblk = mapping.pblk.ok_or(Error::Corrupt("hole in the journal"))?;
        self.write_data(pblk, data)
    }

    /// Replays the internal journal into the file system (the caller re-reads the superblock).
    pub(crate) fn recover_journal(&mut self, journal_ino: u32) -> Result<Recovery> {
        let inode = self.get_inode(journal_ino)?;
        let bs = self.sb.block_size as usize;
        let mut journal = Journal {
            inode,
            block_size: bs,
            first: 0,
            maxlen: 0,
            incompat: 0,
            seed: 0,
        };
        let mut jsb = self.journal_block(&journal, 0)?;
        let kind = be32(&jsb, 4);
        if be32(&jsb, 0) != MAGIC || (kind != SUPERBLOCK_V1 && kind != SUPERBLOCK_V2) {
            return Err(Error::Corrupt("journal superblock"));
        }
        if be32(&jsb, 0xc) as usize != bs {
            return Err(Error::Corrupt("journal block size"));
        }
        let maxlen = be32(&jsb, 0x10);
        let first = be32(&jsb, 0x14);
        let blocks_in_inode = journal.inode.size() / bs as u64;
        if first == 0 || first >= maxlen || u64::from(maxlen) > blocks_in_inode {
            return Err(Error::Corrupt("journal geometry"));
        }
        journal.first = first;
        journal.maxlen = maxlen;
        if kind == SUPERBLOCK_V2 {
            journal.incompat = be32(&jsb, 0x28);
            if journal.incompat & (INCOMPAT_FAST_COMMIT | !INCOMPAT_KNOWN) != 0 {
                return Err(Error::Unsupported);
            }
        }
        if journal.csum() {
            let stored = be32(&jsb, 0xfc);
            let mut copy = jsb[..1024].to_vec();
            set_be32(&mut copy, 0xfc, 0);
            if crc32c(!0, &copy) != stored {
                return Err(Error::BadChecksum("journal superblock"));
            }
            journal.seed = crc32c(!0, &jsb[0x30..0x40]);
        }
        let start = be32(&jsb, 0x1c);
        let first_seq = be32(&jsb, 0x18);
        let mut report = Recovery::default();
        if start == 0 {
            return Ok(report);
        }
        if start < first || start >= maxlen {
            return Err(Error::Corrupt("journal start"));
        }
        // Pass 1: the end of the log (the first sequence without a commit).
        let end_seq = self.journal_pass(&journal, start, first_seq, None, &mut |_| Ok(()))?;
        report.transactions = end_seq.wrapping_sub(first_seq);
        // Pass 2: revoked blocks, with the newest revoking sequence.
        let mut revoked: BTreeMap<u64, u32> = BTreeMap::new();
        self.journal_pass(&journal, start, first_seq, Some(end_seq), &mut |event| {
            if let Event::Revoke { block, seq } = event {
                let entry = revoked.entry(block).or_insert(seq);
                if seq.wrapping_sub(*entry) as i32 > 0 {
                    *entry = seq;
                }
            }
            Ok(())
        })?;
        // Pass 3: copy home every logged block not revoked by its own or a later transaction.
        let mut copies: Vec<(u32, u64, u32, u32, u32)> = Vec::new();
        self.journal_pass(&journal, start, first_seq, Some(end_seq), &mut |event| {
            if let Event::Data {
                block,
                seq,
                log_pos,
                flags,
                checksum,
            } = event
            {
                if revoked
                    .get(&block)
                    .is_some_and(|&r| r.wrapping_sub(seq) as i32 >= 0)
                {
                    report.revoked += 1;
                } else {
                    copies.try_reserve(1).map_err(|_| Error::NoMem)?;
                    copies.push((log_pos, block, flags, seq, checksum));
                }
            }
            Ok(())
        })?;
        let v3 = journal.incompat & INCOMPAT_CSUM_V3 != 0;
        let v2 = journal.incompat & INCOMPAT_CSUM_V2 != 0;
        for (log_pos, block, flags, seq, want) in copies {
            let mut data = self.journal_block(&journal, log_pos)?;
            if v2 || v3 {
                let sum = crc32c(crc32c(journal.seed, &seq.to_be_bytes()), &data);
                let ok = if v3 {
                    sum == want
                } else {
                    sum & 0xffff == want
                };
                if !ok {
                    report.bad_checksums += 1;
                    continue;
                }
            }
            if flags & TAG_ESCAPE != 0 {
                set_be32(&mut data, 0, MAGIC);
            }
            if block == 0 && self.sb.block_size == 1024 || block >= self.sb.blocks_count {
                return Err(Error::Corrupt("journal block outside the file system"));
            }
            self.write_data(block, &data)?;
            report.replayed += 1;
        }
        // The log is empty now: the next transaction starts after the last one found.
        set_be32(&mut jsb, 0x18, end_seq);
        set_be32(&mut jsb, 0x1c, 0);
        if journal.csum() {
            set_be32(&mut jsb, 0xfc, 0);
            let sum = crc32c(!0, &jsb[..1024]);
            set_be32(&mut jsb, 0xfc, sum);
        }
        self.journal_write_block(&journal, 0, &jsb)?;
        self.dev.flush()?;
        Ok(report)
    }

    /// Walks the log from `start`; without `end` it returns the sequence after the last
    /// committed transaction, with it it reports the events of committed transactions.
    fn journal_pass(
        &mut self,
        journal: &Journal,
        start: u32,
        first_seq: u32,
        end: Option<u32>,
        visit: &mut dyn FnMut(Event) -> Result<()>,
    ) -> Result<u32> {
        let mut pos = start;
        let mut seq = first_seq;
        let mut pending: Vec<Event> = Vec::new();
        let mut steps = 0u32;
        while steps < journal.maxlen {
            if end.is_some_and(|e| seq == e) {
                break;
            }
            let block = self.journal_block(journal, pos)?;
            if be32(&block, 0) != MAGIC || be32(&block, 8) != seq {
                break;
            }
            match be32(&block, 4) {
                DESCRIPTOR => {
                    if !journal.tail_ok(&block) {
                        break;
                    }
                    let mut log_pos = pos;
                    for tag in tags(journal, &block) {
                        log_pos = journal.next(log_pos);
                        steps += 1;
                        pending.push(Event::Data {
                            block: tag.block,
                            seq,
                            log_pos,
                            flags: tag.flags,
                            checksum: tag.checksum,
                        });
                    }
                    pos = log_pos;
                }
                COMMIT => {
                    if !journal.commit_ok(&block) && journal.incompat & INCOMPAT_ASYNC_COMMIT == 0 {
                        break;
                    }
                    if end.is_some() {
                        for event in pending.drain(..) {
                            visit(event)?;
                        }
                    }
                    pending.clear();
                    seq = seq.wrapping_add(1);
                }
                REVOKE => {
                    if !journal.tail_ok(&block) {
                        break;
                    }
                    let used = (be32(&block, 12) as usize).min(journal.block_size);
                    let width = if journal.incompat & INCOMPAT_64BIT != 0 {
                        8
                    } else {
                        4
                    };
                    let mut off = 16;
                    while off + width <= used {
                        let number = if width == 8 {
                            (u64::from(be32(&block, off)) << 32) | u64::from(be32(&block, off + 4))
                        } else {
                            u64::from(be32(&block, off))
                        };
                        pending.push(Event::Revoke { block: number, seq });
                        off += width;
                    }
                }
                _ => break,
            }
            pos = journal.next(pos);
            steps += 1;
        }
        Ok(seq)
    }
}

/// What a pass finds in a committed transaction.
enum Event {
    Data {
        block: u64,
        seq: u32,
        log_pos: u32,
        flags: u32,
        checksum: u32,
    },
    Revoke {
        block: u64,
        seq: u32,
    },
}

/// Writes closed transactions into the log, jbd2's commit protocol in the shape that
/// `jbd2_journal_commit_transaction` gives it, with at most one committed transaction kept in
/// the log (the "live" one) until the next commit releases it:
///
/// 1. the descriptor blocks and the copies of the transaction's metadata go into free log
///    space (after the live transaction, or before it, or, when neither fits, after the live
///    one is released: its home blocks flushed, the journal superblock marked empty, flushed);
/// 2. a flush makes them durable, together with the ordered file data the callers wrote
///    before and the home blocks of the live transaction written after its commit;
/// 3. the commit block and a journal superblock whose `s_start` points at this transaction
///    (the live one, now durable at home, leaves the log), then a flush: committed;
/// 4. the blocks are written home, made durable by the next commit's first flush.
///
/// Because a block that a transaction frees is not reused before that transaction commits
/// ([`crate::Ext4`] keeps it out of allocation), and the commit drops every older transaction
/// from the log, a replay never writes stale metadata over a block that became file data, so
/// no revoke records are needed. A transaction too big for the log is written home directly,
/// after the live one is released, without the journal's protection.
pub(crate) struct JournalWriter {
    /// Physical block of each log block.
    map: Vec<u64>,
    first: u32,
    incompat: u32,
    seed: u32,
    /// The sequence number of the next transaction.
    sequence: u32,
    jsb: Vec<u8>,
    /// Log blocks `start..end` of the committed transaction still in the log.
    live: Option<(u32, u32)>,
    /// Transactions written without the journal because they outgrew it.
    pub unjournaled: u32,
    /// Transactions committed through the log.
    pub commits: u64,
    /// Times the log wrapped to its start (after emptying it when the live transaction was
    /// in the way).
    pub wraps: u64,
    /// A smaller transaction limit, for tests.
    pub limit: Option<usize>,
}

impl JournalWriter {
    fn csum(&self) -> bool {
        self.incompat & (INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3) != 0
    }

    fn tag_size(&self) -> usize {
        Journal {
            inode: Inode {
                ino: 0,
                raw: Vec::new(),
            },
            block_size: 0,
            first: 0,
            maxlen: 0,
            incompat: self.incompat,
            seed: 0,
        }
        .tag_size()
    }

    fn maxlen(&self) -> u32 {
        self.map.len() as u32
    }

    /// Metadata blocks a running transaction may gather before it is committed: a quarter
    /// of the log, as `j_max_transaction_buffers`.
    pub(crate) fn max_transaction(&self) -> usize {
        let quarter = ((self.maxlen() - self.first) / 4).max(1) as usize;
        self.limit.unwrap_or(quarter).min(quarter)
    }

    /// Writes the journal superblock with `s_start` = `start` (0: the log is empty).
    fn write_jsb<D: BlockDevice>(&mut self, dev: &mut D, sequence: u32, start: u32) -> Result<()> {
        set_be32(&mut self.jsb, 0x18, sequence);
        set_be32(&mut self.jsb, 0x1c, start);
        if self.csum() {
            set_be32(&mut self.jsb, 0xfc, 0);
            let sum = crc32c(!0, &self.jsb[..1024]);
            set_be32(&mut self.jsb, 0xfc, sum);
        }
        dev.write_at(self.map[0] * self.jsb.len() as u64, &self.jsb)?;
        Ok(())
    }

    /// Checkpoints the live transaction: its home blocks durable, then the log marked empty
    /// and that made durable (`jbd2_log_do_checkpoint` and `jbd2_cleanup_journal_tail`).
    pub(crate) fn release<D: BlockDevice>(&mut self, dev: &mut D) -> Result<()> {
        if self.live.take().is_some() {
            dev.flush()?;
            self.write_jsb(dev, self.sequence, 0)?;
            dev.flush()?;
        }
        Ok(())
    }

    /// Commits `blocks` through the log and writes them home (not flushed: the next commit's
    /// first flush or [`JournalWriter::release`] makes them durable). Returns false, having
    /// written nothing, when they do not fit the log.
    pub(crate) fn commit<D: BlockDevice>(
        &mut self,
        dev: &mut D,
        block_size: usize,
        blocks: &[(u64, Vec<u8>)],
        now: crate::Timestamp,
    ) -> Result<bool> {
        let bs = block_size as u64;
        let tag_size = self.tag_size();
        let tail = if self.csum() { 4 } else { 0 };
        let per_desc = (block_size - 12 - tail - 16) / tag_size;
        let need = blocks.len().div_ceil(per_desc) + blocks.len() + 1;
        let maxlen = self.maxlen() as usize;
        let first = self.first as usize;
        if blocks.is_empty() || need > maxlen - first {
            return Ok(false);
        }
        let start = match self.live {
            None => first,
            Some((_, end)) if end as usize + need <= maxlen => end as usize,
            Some((begin, _)) if first + need <= begin as usize => {
                self.wraps += 1;
                first
            }
            Some(_) => {
                self.wraps += 1;
                self.release(dev)?;
                first
            }
        };
        let seq = self.sequence;
        let v3 = self.incompat & INCOMPAT_CSUM_V3 != 0;
        let wide = self.incompat & INCOMPAT_64BIT != 0;
        let mut pos = start;
        for chunk in blocks.chunks(per_desc) {
            let mut desc = crate::zeroed(block_size)?;
            set_be32(&mut desc, 0, MAGIC);
            set_be32(&mut desc, 4, DESCRIPTOR);
            set_be32(&mut desc, 8, seq);
            let desc_pos = pos;
            pos += 1;
            let mut off = 12;
            let mut copy = crate::zeroed(block_size)?;
            for (i, (home, data)) in chunk.iter().enumerate() {
                copy.copy_from_slice(data);
                let mut flags = 0;
                if be32(&copy, 0) == MAGIC {
                    set_be32(&mut copy, 0, 0);
                    flags |= TAG_ESCAPE;
                }
                if i > 0 {
                    flags |= TAG_SAME_UUID;
                }
                if i + 1 == chunk.len() {
                    flags |= TAG_LAST;
                }
                let sum = crc32c(crc32c(self.seed, &seq.to_be_bytes()), &copy);
                set_be32(&mut desc, off, *home as u32);
                if v3 {
                    set_be32(&mut desc, off + 4, flags);
                    set_be32(&mut desc, off + 8, (*home >> 32) as u32);
                    set_be32(&mut desc, off + 12, sum);
                } else {
                    if let Some(b) = desc.get_mut(off + 4..off + 8) {
                        let csum16 = if self.csum() { sum as u16 } else { 0 };
                        b[..2].copy_from_slice(&csum16.to_be_bytes());
                        b[2..].copy_from_slice(&(flags as u16).to_be_bytes());
                    }
                    if wide {
                        set_be32(&mut desc, off + 8, (*home >> 32) as u32);
                    }
                }
                off += tag_size;
                if i == 0 {
                    let uuid = self.jsb[0x30..0x40].to_vec();
                    desc[off..off + 16].copy_from_slice(&uuid);
                    off += 16;
                }
                dev.write_at(self.map[pos] * bs, &copy)?;
                pos += 1;
            }
            if self.csum() {
                let sum = crc32c(self.seed, &desc);
                set_be32(&mut desc, block_size - 4, sum);
            }
            dev.write_at(self.map[desc_pos] * bs, &desc)?;
        }
        dev.flush()?;
        let mut commit = crate::zeroed(block_size)?;
        set_be32(&mut commit, 0, MAGIC);
        set_be32(&mut commit, 4, COMMIT);
        set_be32(&mut commit, 8, seq);
        set_be32(&mut commit, 0x30, (now.sec >> 32) as u32);
        set_be32(&mut commit, 0x34, now.sec as u32);
        set_be32(&mut commit, 0x38, now.nsec);
        if self.csum() {
            let sum = crc32c(self.seed, &commit);
            set_be32(&mut commit, 16, sum);
        }
        dev.write_at(self.map[pos] * bs, &commit)?;
        // The live transaction's home blocks were made durable by the flush above: it leaves
        // the log as this one enters it.
        self.write_jsb(dev, seq, start as u32)?;
        dev.flush()?;
        self.live = Some((start as u32, (pos + 1) as u32));
        self.sequence = seq.wrapping_add(1);
        self.commits += 1;
        // Committed: now home (checkpointed by the next commit's first flush).
        for (home, data) in blocks {
            dev.write_at(home * bs, data)?;
        }
        Ok(true)
    }
}

impl<D: BlockDevice> Ext4<D> {
    /// Opens the internal journal for writing: its block map, features and next sequence.
    /// Refuses journals that this writer cannot produce (fast commits, unknown features).
    pub(crate) fn open_journal_writer(&mut self, journal_ino: u32) -> Result<JournalWriter> {
        let inode = self.get_inode(journal_ino)?;
        let bs = self.sb.block_size as usize;
        let first_block = self
            .map(&inode, 0)?
            .pblk
            .ok_or(Error::Corrupt("hole in the journal"))?;
        let jsb = self.read_block(first_block)?;
        let kind = be32(&jsb, 4);
        if be32(&jsb, 0) != MAGIC
            || (kind != SUPERBLOCK_V1 && kind != SUPERBLOCK_V2)
            || be32(&jsb, 0xc) as usize != bs
        {
            return Err(Error::Corrupt("journal superblock"));
        }
        let maxlen = be32(&jsb, 0x10);
        let first = be32(&jsb, 0x14);
        if first == 0 || first >= maxlen || u64::from(maxlen) > inode.size() / bs as u64 {
            return Err(Error::Corrupt("journal geometry"));
        }
        let incompat = if kind == SUPERBLOCK_V2 {
            be32(&jsb, 0x28)
        } else {
            0
        };
        if incompat & (INCOMPAT_FAST_COMMIT | !INCOMPAT_KNOWN) != 0 || be32(&jsb, 0x1c) != 0 {
            return Err(Error::Unsupported);
        }
        if self.sb.blocks_count > u64::from(u32::MAX) && incompat & INCOMPAT_64BIT == 0 {
            return Err(Error::Unsupported);
        }
        let mut map = Vec::new();
        map.try_reserve_exact(maxlen as usize)
            .map_err(|_| Error::NoMem)?;
        let mut lblk = 0u32;
        while lblk < maxlen {
            let mapping = self.map(&inode, lblk)?;
            let pblk = mapping.pblk.ok_or(Error::Corrupt("hole in the journal"))?;
            for i in 0..mapping.len.min(maxlen - lblk) {
                map.push(pblk + u64::from(i));
            }
            lblk += mapping.len.min(maxlen - lblk);
        }
        let seed = crc32c(!0, &jsb[0x30..0x40]);
        let sequence = be32(&jsb, 0x18);
        Ok(JournalWriter {
            map,
            first,
            incompat,
            seed,
            sequence,
            jsb,
            live: None,
            unjournaled: 0,
            commits: 0,
            wraps: 0,
            limit: None,
        })
    }
}
