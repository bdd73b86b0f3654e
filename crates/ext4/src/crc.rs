//! The checksums of the ext4 formats: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) as
//! `metadata_csum` uses it, and CRC-16 (reflected 0xA001) for `gdt_csum`'s group descriptors.
//!
//! Like Linux's `ext4_chksum`, [`crc32c`] continues a raw CRC: no inversion before or after.
//! The file system's seed is `crc32c(!0, uuid)`, and every structure's checksum continues from it.

const fn table32() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut index = 0;
    while index < 256 {
        let mut value = index as u32;
        let mut bit = 0;
        while bit < 8 {
            value = if value & 1 != 0 {
                (value >> 1) ^ 0x82f6_3b78
            } else {
                value >> 1
            };
            bit += 1;
        }
        table[index] = value;
        index += 1;
    }
    table
}

const fn table16() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut index = 0;
    while index < 256 {
        let mut value = index as u16;
        let mut bit = 0;
        while bit < 8 {
            value = if value & 1 != 0 {
                (value >> 1) ^ 0xa001
            } else {
                value >> 1
            };
            bit += 1;
        }
        table[index] = value;
        index += 1;
    }
    table
}

/// Slicing-by-8 tables: `TABLES[k][b]` is the CRC of byte `b` followed by `k` zero bytes.
const fn tables32() -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    tables[0] = table32();
    let mut k = 1;
    while k < 8 {
        let mut index = 0;
        while index < 256 {
            let prev = tables[k - 1][index];
            tables[k][index] = (prev >> 8) ^ tables[0][(prev & 0xff) as usize];
            index += 1;
        }
        k += 1;
    }
    tables
}

static TABLES32: [[u32; 256]; 8] = tables32();
static TABLE16: [u16; 256] = table16();

/// Continues the raw CRC-32C `crc` over `data` (eight bytes a step: every block of the file
/// system is checksummed on its way to and from the disk).
pub fn crc32c(mut crc: u32, data: &[u8]) -> u32 {
    let t = &TABLES32;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let low = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        crc = t[7][(low & 0xff) as usize]
            ^ t[6][((low >> 8) & 0xff) as usize]
            ^ t[5][((low >> 16) & 0xff) as usize]
            ^ t[4][(low >> 24) as usize]
            ^ t[3][c[4] as usize]
            ^ t[2][c[5] as usize]
            ^ t[1][c[6] as usize]
            ^ t[0][c[7] as usize];
    }
    for &byte in chunks.remainder() {
        crc = t[0][((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// Continues the raw CRC-16 `crc` over `data`.
pub fn crc16(mut crc: u16, data: &[u8]) -> u16 {
    for &byte in data {
        crc = TABLE16[((crc ^ u16::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // The standard check value of CRC-32C is 0xE3069283 for "123456789".
        assert_eq!(!crc32c(!0, b"123456789"), 0xe306_9283);
        // CRC-16/ARC's check value is 0xBB3D.
        assert_eq!(crc16(0, b"123456789"), 0xbb3d);
    }

    #[test]
    fn eight_bytes_a_step_equals_a_byte_a_step() {
        let table = table32();
        let data: alloc::vec::Vec<u8> = (0..1000u32).map(|i| (i * 37 + i / 7) as u8).collect();
        for len in [0, 1, 7, 8, 9, 63, 64, 100, 1000] {
            let mut slow = 0x1234_5678u32;
            for &byte in &data[..len] {
                slow = table[((slow ^ u32::from(byte)) & 0xff) as usize] ^ (slow >> 8);
            }
            assert_eq!(crc32c(0x1234_5678, &data[..len]), slow, "{len} bytes");
        }
    }
}
