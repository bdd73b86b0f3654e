//! ext2/ext3's block maps: twelve direct block numbers in `i_block`, then single, double and
//! triple indirect blocks of 32-bit numbers (Linux's `fs/ext4/indirect.c` layout). Zero is a
//! hole. Reading follows at most three levels; writing allocates indirect blocks as needed;
//! truncation frees whole subtrees past the new end.

use alloc::vec::Vec;

use crate::extent::Mapping;
use crate::inode::Inode;
use crate::le::*;
use crate::{BlockDevice, Error, Ext4, Result, zeroed};

const DIRECT: u64 = 12;

/// The path to a logical block: the `i_block` slot, then offsets in each indirect level.
fn path(per: u64, lblk: u64) -> Result<(usize, Vec<usize>)> {
    if lblk < DIRECT {
        return Ok((lblk as usize, Vec::new()));
    }
    let mut rest = lblk - DIRECT;
    let mut span = per;
    for level in 1..=3usize {
        if rest < span {
            let mut offsets = Vec::new();
            let mut unit = span / per;
            for _ in 0..level {
                offsets.push((rest / unit) as usize);
                rest %= unit;
                unit /= per.max(1);
                if unit == 0 {
                    unit = 1;
                }
            }
            return Ok((11 + level, offsets));
        }
        rest -= span;
        span = span.checked_mul(per).ok_or(Error::FileTooBig)?;
    }
    Err(Error::FileTooBig)
}

impl<D: BlockDevice> Ext4<D> {
    fn per_block(&self) -> u64 {
        u64::from(self.sb.block_size / 4)
    }

    fn check_mapped(&self, block: u64) -> Result<u64> {
        if block <= u64::from(self.sb.first_data_block) || block >= self.sb.blocks_count {
            return Err(Error::Corrupt("block map entry outside the file system"));
        }
        Ok(block)
    }

    /// Maps logical block `lblk` of a block-mapped inode.
    pub(crate) fn blockmap_map(&mut self, inode: &Inode, lblk: u32) -> Result<Mapping> {
        let (slot, offsets) = path(self.per_block(), u64::from(lblk))?;
        let mut block = u64::from(u32_at(inode.i_block(), slot * 4));
        for off in offsets {
            if block == 0 {
                break;
            }
            let node = self.read_block(self.check_mapped(block)?)?;
            block = u64::from(u32_at(&node, off * 4));
        }
        if block == 0 {
            return Ok(Mapping {
                pblk: None,
                len: 1,
                unwritten: false,
            });
        }
        Ok(Mapping {
            pblk: Some(self.check_mapped(block)?),
            len: 1,
            unwritten: false,
        })
    }

    /// Gives logical block `lblk` a data block (allocated near `goal`), with any indirect blocks
    /// on its path; returns the data block. `i_blocks` counts what was allocated.
    pub(crate) fn blockmap_alloc(
        &mut self,
        inode: &mut Inode,
        lblk: u32,
        goal: u64,
    ) -> Result<u64> {
        let (slot, offsets) = path(self.per_block(), u64::from(lblk))?;
        let per_block_512 = u64::from(self.sb.block_size / 512);
        let mut allocated = 0u64;
        let mut block = u64::from(u32_at(inode.i_block(), slot * 4));
        let mut near = goal;
        let levels = offsets.len();
        if block == 0 {
            let (new, _) = self.alloc_blocks(near, 1)?;
            near = new + 1;
            allocated += 1;
            set_u32(inode.i_block_mut(), slot * 4, new as u32);
            if levels > 0 {
                self.write_meta(new, zeroed(self.sb.block_size as usize)?)?;
            }
            block = new;
        }
        for (depth, off) in offsets.into_iter().enumerate() {
            let parent = self.check_mapped(block)?;
            let mut node = self.read_block(parent)?;
            let mut child = u64::from(u32_at(&node, off * 4));
            if child == 0 {
                let (new, _) = self.alloc_blocks(near, 1)?;
                near = new + 1;
                allocated += 1;
                if depth + 1 < levels {
                    self.write_meta(new, zeroed(self.sb.block_size as usize)?)?;
                }
                set_u32(&mut node, off * 4, new as u32);
                self.write_meta(parent, node)?;
                child = new;
            }
            block = child;
        }
        let blocks = inode.blocks_512(&self.sb) + allocated * per_block_512;
        inode.set_blocks_512(&self.sb, blocks)?;
        self.check_mapped(block)
    }

    /// Frees every block of logical blocks `from..` and the indirect blocks left empty.
    pub(crate) fn blockmap_truncate(&mut self, inode: &mut Inode, from: u64) -> Result<()> {
        let per = self.per_block();
        let mut freed = 0u64;
        for slot in 0..15usize {
            let (first, span, level) = match slot {
                0..=11 => (slot as u64, 1u64, 0u32),
                12 => (DIRECT, per, 1),
                13 => (DIRECT + per, per * per, 2),
                _ => (DIRECT + per + per * per, per * per * per, 3),
            };
            let block = u64::from(u32_at(inode.i_block(), slot * 4));
            if block == 0 || first + span <= from {
                continue;
            }
            let keep_from = from.saturating_sub(first);
            let emptied = self.free_subtree(block, level, keep_from, span, &mut freed)?;
            if emptied {
                set_u32(inode.i_block_mut(), slot * 4, 0);
            }
        }
        let blocks = inode
            .blocks_512(&self.sb)
            .saturating_sub(freed * u64::from(self.sb.block_size / 512));
        inode.set_blocks_512(&self.sb, blocks)
    }

    /// Frees the part of a subtree from relative block `from`; true when the subtree's root
    /// block itself was freed.
    fn free_subtree(
        &mut self,
        block: u64,
        level: u32,
        from: u64,
        span: u64,
        freed: &mut u64,
    ) -> Result<bool> {
        let block = self.check_mapped(block)?;
        if level == 0 {
            if from == 0 {
                self.free_blocks(block, 1)?;
                *freed += 1;
                return Ok(true);
            }
            return Ok(false);
        }
        let per = self.per_block();
        let child_span = span / per;
        let mut node = self.read_block(block)?;
        let mut changed = false;
        let first_child = (from / child_span) as usize;
        for i in first_child..per as usize {
            let child = u64::from(u32_at(&node, i * 4));
            if child == 0 {
                continue;
            }
            let child_from = from.saturating_sub(i as u64 * child_span);
            if self.free_subtree(child, level - 1, child_from, child_span, freed)? {
                set_u32(&mut node, i * 4, 0);
                changed = true;
            }
        }
        if from == 0 {
            self.free_blocks(block, 1)?;
            *freed += 1;
            return Ok(true);
        }
        if changed {
            self.write_meta(block, node)?;
        }
        Ok(false)
    }
}
