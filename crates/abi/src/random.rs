//! `getrandom` flags ([`GetrandomFlags`], `include/uapi/linux/random.h`). Unknown bits, and
//! `GRND_RANDOM` with `GRND_INSECURE`, are `EINVAL` (`drivers/char/random.c`). The random
//! devices' ioctl requests are in [`ioctl`].

use bitflags::bitflags;
use linux_raw_sys::general as raw;

bitflags! {
    /// `GRND_*` flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct GetrandomFlags: u32 {
        /// Do not block before the generator is seeded.
        const GRND_NONBLOCK = raw::GRND_NONBLOCK;
        /// The blocking pool (the same generator since Linux 5.6).
        const GRND_RANDOM = raw::GRND_RANDOM;
        /// Return bytes even before seeding.
        const GRND_INSECURE = raw::GRND_INSECURE;
    }
}

/// The ioctl requests of `/dev/random` and `/dev/urandom` (`include/uapi/linux/random.h`).
pub mod ioctl {
    use linux_raw_sys::ioctl as raw;

    /// Read the entropy count (`_IOR('R', 0x00, int)`).
    pub const RNDGETENTCNT: u32 = raw::RNDGETENTCNT;
    /// Credit the entropy count (`_IOW('R', 0x01, int)`).
    pub const RNDADDTOENTCNT: u32 = raw::RNDADDTOENTCNT;
    /// Mix data in and credit it (`_IOW('R', 0x03, int[2])`: `struct rand_pool_info`).
    pub const RNDADDENTROPY: u32 = raw::RNDADDENTROPY;
    /// Clear the entropy count (no effect since 5.18).
    pub const RNDZAPENTCNT: u32 = raw::RNDZAPENTCNT;
    /// Clear the pool (no effect since 5.18).
    pub const RNDCLEARPOOL: u32 = raw::RNDCLEARPOOL;
    /// Reseed the generator now.
    pub const RNDRESEEDCRNG: u32 = raw::RNDRESEEDCRNG;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_requests_match_linux() {
        assert_eq!(ioctl::RNDGETENTCNT, 0x8004_5200);
        assert_eq!(ioctl::RNDADDENTROPY, 0x4008_5203);
        assert_eq!(ioctl::RNDRESEEDCRNG, 0x5207);
    }

    #[test]
    fn values_match_linux() {
        assert_eq!(GetrandomFlags::all().bits(), 7);
    }
}
