//! CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as gzip's trailer and header CRC use it
//! (RFC 1952 section 8), computed incrementally over data that arrives in pieces, eight bytes at
//! a step ("slicing-by-8", eight 1 KiB tables built at compile time).

/// The tables: `TABLES[0]` is the classic byte table; `TABLES[k][i]` is the CRC of byte `i`
/// followed by `k` zero bytes.
static TABLES: [[u32; 256]; 8] = build_tables();

const fn build_tables() -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    let mut index = 0;
    while index < 256 {
        let mut crc = index as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][index] = crc;
        index += 1;
    }
    let mut slice = 1;
    while slice < 8 {
        let mut index = 0;
        while index < 256 {
            let previous = tables[slice - 1][index];
            tables[slice][index] = (previous >> 8) ^ tables[0][(previous & 0xff) as usize];
            index += 1;
        }
        slice += 1;
    }
    tables
}

/// A running CRC-32.
#[derive(Clone, Copy, Debug)]
pub struct Crc32 {
    /// The inverted register.
    state: u32,
}

impl Default for Crc32 {
    fn default() -> Crc32 {
        Crc32 { state: !0 }
    }
}

impl Crc32 {
    /// Adds `data` to the checksum.
    pub fn update(&mut self, data: &[u8]) {
        let mut crc = self.state;
        let mut words = data.chunks_exact(8);
        for word in words.by_ref() {
            let low = u32::from_le_bytes([word[0], word[1], word[2], word[3]]) ^ crc;
            let high = u32::from_le_bytes([word[4], word[5], word[6], word[7]]);
            crc = TABLES[7][(low & 0xff) as usize]
                ^ TABLES[6][((low >> 8) & 0xff) as usize]
                ^ TABLES[5][((low >> 16) & 0xff) as usize]
                ^ TABLES[4][(low >> 24) as usize]
                ^ TABLES[3][(high & 0xff) as usize]
                ^ TABLES[2][((high >> 8) & 0xff) as usize]
                ^ TABLES[1][((high >> 16) & 0xff) as usize]
                ^ TABLES[0][(high >> 24) as usize];
        }
        for &byte in words.remainder() {
            crc = TABLES[0][usize::from((crc as u8) ^ byte)] ^ (crc >> 8);
        }
        self.state = crc;
    }

    /// The CRC-32 of everything added so far.
    pub fn value(&self) -> u32 {
        !self.state
    }
}

/// The CRC-32 of `data`.
#[cfg(test)]
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = Crc32::default();
    crc.update(data);
    crc.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn pieces_give_the_same_checksum() {
        let data: alloc::vec::Vec<u8> = (0..1000u32).map(|i| (i * 31 % 256) as u8).collect();
        let whole = crc32(&data);
        for piece in [1, 3, 8, 13, 999] {
            let mut crc = Crc32::default();
            for chunk in data.chunks(piece) {
                crc.update(chunk);
            }
            assert_eq!(crc.value(), whole, "pieces of {piece}");
        }
    }
}
