//! Little-endian fields in byte buffers. Reads outside the buffer give 0 and writes outside it
//! are dropped, so an offset taken from a hostile disk can never index out of bounds; callers
//! validate offsets before they rely on the values.

pub fn u8_at(buf: &[u8], off: usize) -> u8 {
    buf.get(off).copied().unwrap_or(0)
}

pub fn u16_at(buf: &[u8], off: usize) -> u16 {
    match buf.get(off..off.wrapping_add(2)) {
        Some(b) => u16::from_le_bytes([b[0], b[1]]),
        None => 0,
    }
}

pub fn u32_at(buf: &[u8], off: usize) -> u32 {
    match buf.get(off..off.wrapping_add(4)) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

pub fn set_u8(buf: &mut [u8], off: usize, value: u8) {
    if let Some(b) = buf.get_mut(off) {
        *b = value;
    }
}

pub fn set_u16(buf: &mut [u8], off: usize, value: u16) {
    if let Some(b) = buf.get_mut(off..off.wrapping_add(2)) {
        b.copy_from_slice(&value.to_le_bytes());
    }
}

pub fn set_u32(buf: &mut [u8], off: usize, value: u32) {
    if let Some(b) = buf.get_mut(off..off.wrapping_add(4)) {
        b.copy_from_slice(&value.to_le_bytes());
    }
}
