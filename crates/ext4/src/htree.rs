//! Hashed directories (`dir_index`): the name hashes (legacy, half-MD4, TEA, each with signed
//! or unsigned chars as `s_flags` says) and the index blocks: the root in block 0 after "."
//! and "..", interior nodes behind an empty record, `(hash, block)` entries whose first hash
//! slot holds the limit and count, and with `metadata_csum` an 8-byte tail after the limit.
//! Every root and node is checked as Linux's `dx_probe` checks it.

use crate::crc::crc32c;
use crate::le::*;
use crate::{Error, Result};

pub const HASH_LEGACY: u8 = 0;
pub const HASH_HALF_MD4: u8 = 1;
pub const HASH_TEA: u8 = 2;

/// Where the count/limit pair sits in the root block and in an interior node.
pub const ROOT_COUNT_OFFSET: usize = 0x20;
pub const NODE_COUNT_OFFSET: usize = 8;

/// The hash-tree hash of a name: (major, minor). Major has its low bit clear.
pub fn name_hash(name: &[u8], version: u8, unsigned: bool, seed: [u32; 4]) -> Result<(u32, u32)> {
    let mut state = [0x6745_2301u32, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    if seed.iter().any(|&word| word != 0) {
        state = seed;
    }
    let char_value = |byte: u8| -> u32 {
        if unsigned {
            u32::from(byte)
        } else {
            byte as i8 as i32 as u32
        }
    };
    let (major, minor) = match version {
        HASH_LEGACY => {
            let (mut h0, mut h1) = (0x12a3_fe2du32, 0x37ab_e8f9u32);
            for &byte in name {
                let mut h = h1.wrapping_add(h0 ^ char_value(byte).wrapping_mul(7_152_373));
                if h & 0x8000_0000 != 0 {
                    h = h.wrapping_sub(0x7fff_ffff);
                }
                h1 = h0;
                h0 = h;
            }
            (h0 << 1, 0)
        }
        HASH_HALF_MD4 => {
            let mut rest = name;
            while !rest.is_empty() {
                let words: [u32; 8] = pack_words(rest, char_value);
                half_md4(&mut state, &words);
                rest = &rest[rest.len().min(32)..];
            }
            (state[1], state[2])
        }
        HASH_TEA => {
            let mut rest = name;
            while !rest.is_empty() {
                let words: [u32; 4] = pack_words(rest, char_value);
                tea(&mut state, &words);
                rest = &rest[rest.len().min(16)..];
            }
            (state[0], state[1])
        }
        _ => return Err(Error::Corrupt("unknown directory hash")),
    };
    let mut major = major & !1;
    // The end-of-directory cookie of 32-bit readdir is kept free (`EXT4_HTREE_EOF_32BIT`).
    if major == 0x7fff_ffff << 1 {
        major = (0x7fff_ffff - 1) << 1;
    }
    Ok((major, minor))
}

/// Packs up to 4×N name bytes into N words, big-end first within a word, padded with the
/// length byte repeated (`str2hashbuf`). An empty name hashes one all-padding block.
fn pack_words<const N: usize>(name: &[u8], char_value: impl Fn(u8) -> u32) -> [u32; N] {
    let len = name.len() as u32;
    let mut pad = len | (len << 8);
    pad |= pad << 16;
    let mut words = [pad; N];
    let take = name.len().min(N * 4);
    let mut value = pad;
    let mut word = 0;
    for (i, &byte) in name[..take].iter().enumerate() {
        if i % 4 == 0 {
            value = pad;
        }
        value = char_value(byte).wrapping_add(value << 8);
        if i % 4 == 3 {
            words[word] = value;
            word += 1;
            value = pad;
        }
    }
    if word < N && !take.is_multiple_of(4) {
        words[word] = value;
    }
    words
}

fn half_md4(buf: &mut [u32; 4], x: &[u32; 8]) {
    let f = |x: u32, y: u32, z: u32| z ^ (x & (y ^ z));
    let g = |x: u32, y: u32, z: u32| (x & y).wrapping_add((x ^ y) & z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    const K2: u32 = 0x5a82_7999;
    const K3: u32 = 0x6ed9_eba1;
    let [mut a, mut b, mut c, mut d] = *buf;
    let step =
        |fun: &dyn Fn(u32, u32, u32) -> u32, a: u32, b: u32, c: u32, d: u32, w: u32, s: u32| {
            a.wrapping_add(fun(b, c, d)).wrapping_add(w).rotate_left(s)
        };
    // Round 1: words in order, shifts 3 7 11 19.
    for i in [0usize, 4] {
        a = step(&f, a, b, c, d, x[i], 3);
        d = step(&f, d, a, b, c, x[i + 1], 7);
        c = step(&f, c, d, a, b, x[i + 2], 11);
        b = step(&f, b, c, d, a, x[i + 3], 19);
    }
    // Round 2: odd words then even, shifts 3 5 9 13.
    for w in [[1usize, 3, 5, 7], [0, 2, 4, 6]] {
        a = step(&g, a, b, c, d, x[w[0]].wrapping_add(K2), 3);
        d = step(&g, d, a, b, c, x[w[1]].wrapping_add(K2), 5);
        c = step(&g, c, d, a, b, x[w[2]].wrapping_add(K2), 9);
        b = step(&g, b, c, d, a, x[w[3]].wrapping_add(K2), 13);
    }
    // Round 3: shifts 3 9 11 15.
    for w in [[3usize, 7, 2, 6], [1, 5, 0, 4]] {
        a = step(&h, a, b, c, d, x[w[0]].wrapping_add(K3), 3);
        d = step(&h, d, a, b, c, x[w[1]].wrapping_add(K3), 9);
        c = step(&h, c, d, a, b, x[w[2]].wrapping_add(K3), 11);
        b = step(&h, b, c, d, a, x[w[3]].wrapping_add(K3), 15);
    }
    buf[0] = buf[0].wrapping_add(a);
    buf[1] = buf[1].wrapping_add(b);
    buf[2] = buf[2].wrapping_add(c);
    buf[3] = buf[3].wrapping_add(d);
}

fn tea(buf: &mut [u32; 4], x: &[u32; 4]) {
    let mut sum = 0u32;
    let (mut b0, mut b1) = (buf[0], buf[1]);
    for _ in 0..16 {
        sum = sum.wrapping_add(0x9e37_79b9);
        b0 = b0.wrapping_add(
            ((b1 << 4).wrapping_add(x[0])) ^ b1.wrapping_add(sum) ^ ((b1 >> 5).wrapping_add(x[1])),
        );
        b1 = b1.wrapping_add(
            ((b0 << 4).wrapping_add(x[2])) ^ b0.wrapping_add(sum) ^ ((b0 >> 5).wrapping_add(x[3])),
        );
    }
    buf[0] = buf[0].wrapping_add(b0);
    buf[1] = buf[1].wrapping_add(b1);
}

/// The entry limit of a root or node block.
pub fn limit(block_size: usize, count_offset: usize, csum: bool) -> usize {
    (block_size - count_offset) / 8 - usize::from(csum)
}

pub fn count(block: &[u8], count_offset: usize) -> usize {
    usize::from(u16_at(block, count_offset + 2))
}

pub fn set_count(block: &mut [u8], count_offset: usize, value: usize) {
    set_u16(block, count_offset + 2, value as u16);
}

/// Entry `i`: (hash, logical block). Entry 0's hash is 0.
pub fn entry(block: &[u8], count_offset: usize, i: usize) -> (u32, u32) {
    let off = count_offset + 8 * i;
    let hash = if i == 0 { 0 } else { u32_at(block, off) };
    (hash, u32_at(block, off + 4) & 0x0fff_ffff)
}

pub fn set_entry(block: &mut [u8], count_offset: usize, i: usize, hash: u32, lblk: u32) {
    let off = count_offset + 8 * i;
    if i != 0 {
        set_u32(block, off, hash);
    }
    set_u32(block, off + 4, lblk);
}

/// Checks a root or node's count and limit against what its block size allows.
pub fn check(block: &[u8], count_offset: usize, csum: bool) -> Result<usize> {
    let lim = usize::from(u16_at(block, count_offset));
    let cnt = count(block, count_offset);
    if lim != limit(block.len(), count_offset, csum) || cnt == 0 || cnt > lim {
        return Err(Error::Corrupt("htree count or limit"));
    }
    Ok(cnt)
}

fn csum(seed: u32, block: &[u8], count_offset: usize) -> u32 {
    let cnt = count(block, count_offset);
    let lim = usize::from(u16_at(block, count_offset));
    let tail = count_offset + 8 * lim;
    let mut crc = crc32c(seed, &block[..count_offset + 8 * cnt]);
    crc = crc32c(crc, &block[tail..tail + 4]);
    crc32c(crc, &[0; 4])
}

pub fn verify(seed: u32, block: &[u8], count_offset: usize) -> Result<()> {
    let lim = usize::from(u16_at(block, count_offset));
    let tail = count_offset + 8 * lim;
    if tail + 8 > block.len() || count(block, count_offset) > lim {
        return Err(Error::Corrupt("htree block without checksum room"));
    }
    if u32_at(block, tail + 4) != csum(seed, block, count_offset) {
        return Err(Error::BadChecksum("htree block"));
    }
    Ok(())
}

pub fn finish(seed: u32, block: &mut [u8], count_offset: usize) {
    let lim = usize::from(u16_at(block, count_offset));
    let tail = count_offset + 8 * lim;
    if tail + 8 > block.len() {
        return;
    }
    set_u32(block, tail, 0);
    let sum = csum(seed, block, count_offset);
    set_u32(block, tail + 4, sum);
}

/// Writes an empty interior node header (a record spanning the block) with its limit.
pub fn init_node(block: &mut [u8], block_size: usize, csum: bool) {
    block.fill(0);
    set_u16(
        block,
        4,
        crate::dir::rec_len_to_disk(block_size, block_size),
    );
    set_u16(
        block,
        NODE_COUNT_OFFSET,
        limit(block_size, NODE_COUNT_OFFSET, csum) as u16,
    );
}
