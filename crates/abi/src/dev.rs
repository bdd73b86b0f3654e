//! Device numbers as user space sees them in `st_dev`/`st_rdev` and passes to `mknod`: Linux's
//! `new_encode_dev`/`huge_encode_dev` (`include/linux/kdev_t.h`) layout, which is glibc's
//! `makedev`: minor bits 0..8 in bits 0..8, major bits 0..12 in bits 8..20, minor bits 8..32 in
//! bits 20..44, major bits 12..32 in bits 44..64.
//!
//! Inside Linux a `dev_t` has a 12-bit major and a 20-bit minor ([`MAJOR_MAX`], [`MINOR_MAX`]);
//! for those numbers the encoding fits in 32 bits, which is what `mknod`'s `unsigned int dev`
//! argument carries (decode it with [`new_decode_dev`] after widening).

/// The largest major number of a kernel `dev_t`.
pub const MAJOR_MAX: u32 = (1 << 12) - 1;
/// The largest minor number of a kernel `dev_t` (`MINORMASK`).
pub const MINOR_MAX: u32 = (1 << 20) - 1;

/// Encodes a device number as glibc's `makedev(major, minor)`.
pub const fn new_encode_dev(major: u32, minor: u32) -> u64 {
    let major = major as u64;
    let minor = minor as u64;
    ((major & 0xffff_f000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffff_ff00) << 12)
        | (minor & 0xff)
}

/// Decodes `dev` into `(major, minor)` as glibc's `major()` and `minor()` do.
pub const fn new_decode_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff);
    let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0xff);
    (major as u32, minor as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Linux's 32-bit `new_encode_dev` for kernel-range numbers.
    fn linux_new_encode_dev(major: u32, minor: u32) -> u32 {
        (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
    }

    #[test]
    fn well_known_devices() {
        assert_eq!(new_encode_dev(1, 3), 0x103); // /dev/null
        assert_eq!(new_encode_dev(5, 1), 0x501); // /dev/console
        assert_eq!(new_encode_dev(4, 64), 0x440); // /dev/ttyS0
        assert_eq!(new_encode_dev(136, 300), 0x1_0882c); // /dev/pts/300
        assert_eq!(new_decode_dev(0x1_0882c), (136, 300));
    }

    #[test]
    fn matches_linux_for_kernel_numbers() {
        for (major, minor) in [
            (0, 0),
            (8, 17),
            (254, 0),
            (MAJOR_MAX, MINOR_MAX),
            (259, 70000),
        ] {
            let encoded = new_encode_dev(major, minor);
            assert_eq!(encoded, u64::from(linux_new_encode_dev(major, minor)));
            assert!(encoded <= u64::from(u32::MAX));
            assert_eq!(new_decode_dev(encoded), (major, minor));
        }
    }

    #[test]
    fn round_trips_full_32_bit_numbers() {
        for (major, minor) in [
            (u32::MAX, u32::MAX),
            (0x1234_5678, 0x9abc_def0),
            (4096, 1 << 20),
        ] {
            assert_eq!(new_decode_dev(new_encode_dev(major, minor)), (major, minor));
        }
    }
}
