//! `getrandom` flags ([`GetrandomFlags`], `include/uapi/linux/random.h`). Unknown bits, and
//! `GRND_RANDOM` with `GRND_INSECURE`, are `EINVAL` (`drivers/char/random.c`).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_linux() {
        assert_eq!(GetrandomFlags::all().bits(), 7);
    }
}
