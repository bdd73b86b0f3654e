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

static TABLE32: [u32; 256] = table32();
static TABLE16: [u16; 256] = table16();

/// Continues the raw CRC-32C `crc` over `data`.
pub fn crc32c(mut crc: u32, data: &[u8]) -> u32 {
    for &byte in data {
        crc = TABLE32[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
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
}
