//! `struct iovec` for `readv`, `writev`, `preadv2`, `sendmsg` and friends
//! (`include/uapi/linux/uio.h`). The base is a user address, kept as an integer.

use linux_raw_sys::general as raw;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The most iovecs one call accepts (`UIO_MAXIOV`); more is `EINVAL`.
pub const UIO_MAXIOV: usize = raw::UIO_MAXIOV as usize;

/// `struct iovec`: a user buffer.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Iovec {
    /// User address of the buffer.
    pub iov_base: u64,
    /// Length in bytes.
    pub iov_len: u64,
}

assert_same_layout!(Iovec, raw::iovec, { iov_base => iov_base, iov_len => iov_len });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(size_of::<Iovec>(), 16);
        assert_eq!(UIO_MAXIOV, 1024);
        let iovecs = [
            Iovec {
                iov_base: 0x1000,
                iov_len: 3,
            },
            Iovec {
                iov_base: 0x2000,
                iov_len: 4,
            },
        ];
        let bytes = iovecs.as_bytes();
        assert_eq!(<[Iovec]>::ref_from_bytes(bytes).unwrap(), &iovecs);
    }
}
