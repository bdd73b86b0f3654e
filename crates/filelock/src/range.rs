//! Byte ranges of record locks: a `struct flock`'s `l_whence`, `l_start` and `l_len` as an
//! inclusive range, as Linux 6.1's `flock64_to_posix_lock`, and back as `posix_lock_to_flock`.
//!
//! The start is relative to the file's beginning (`SEEK_SET`), the description's position
//! (`SEEK_CUR`) or the file's size (`SEEK_END`); any other `l_whence` is `EINVAL`. A start
//! past `OFFSET_MAX` is `EOVERFLOW`, a negative one `EINVAL`. A positive length covers
//! `l_start .. l_start + l_len - 1` (`EOVERFLOW` past `OFFSET_MAX`), a negative one the
//! `|l_len|` bytes before `l_start` (`EINVAL` if that starts before 0), and 0 runs to
//! `OFFSET_MAX`, "to the end of the file, however it grows". Reported back, a range that ends
//! at `OFFSET_MAX` has length 0 and `l_whence` is always `SEEK_SET`.

use abi::Errno;

/// The largest file offset (`OFFSET_MAX`, `LLONG_MAX`).
pub const OFFSET_MAX: u64 = i64::MAX as u64;

/// `SEEK_SET`.
pub const SEEK_SET: i16 = 0;
/// `SEEK_CUR`.
pub const SEEK_CUR: i16 = 1;
/// `SEEK_END`.
pub const SEEK_END: i16 = 2;

/// An inclusive byte range `start ..= end`, `end <= OFFSET_MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LockRange {
    /// First byte.
    pub start: u64,
    /// Last byte (`OFFSET_MAX`: to the end, however the file grows).
    pub end: u64,
}

impl LockRange {
    /// The whole file (what closing a file unlocks).
    pub const WHOLE: LockRange = LockRange {
        start: 0,
        end: OFFSET_MAX,
    };

    /// `start ..= end`. The caller keeps `start <= end <= OFFSET_MAX`.
    pub const fn new(start: u64, end: u64) -> LockRange {
        LockRange { start, end }
    }

    /// The range a `struct flock` names, for a description at `position` of a file of `size`
    /// bytes.
    pub fn from_flock(
        whence: i16,
        start: i64,
        len: i64,
        position: u64,
        size: u64,
    ) -> Result<LockRange, Errno> {
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => position.min(OFFSET_MAX) as i64,
            SEEK_END => size.min(OFFSET_MAX) as i64,
            _ => return Err(Errno::EINVAL),
        };
        if start > i64::MAX - base {
            return Err(Errno::EOVERFLOW);
        }
        let first = base + start;
        if first < 0 {
            return Err(Errno::EINVAL);
        }
        let (first, last) = if len > 0 {
            if len - 1 > i64::MAX - first {
                return Err(Errno::EOVERFLOW);
            }
            (first, first + (len - 1))
        } else if len < 0 {
            // first >= 0, so first + len cannot overflow.
            if first + len < 0 {
                return Err(Errno::EINVAL);
            }
            (first + len, first - 1)
        } else {
            (first, i64::MAX)
        };
        Ok(LockRange {
            start: first as u64,
            end: last as u64,
        })
    }

    /// `(l_start, l_len)` as `F_GETLK` reports this range (with `l_whence = SEEK_SET`).
    pub fn to_flock(&self) -> (i64, i64) {
        let len = if self.end >= OFFSET_MAX {
            0
        } else {
            (self.end - self.start + 1) as i64
        };
        (self.start as i64, len)
    }

    /// Whether the two ranges share a byte (`locks_overlap`).
    pub fn overlaps(&self, other: &LockRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// Whether the two ranges overlap or touch (one ends just before the other starts).
    pub fn touches(&self, other: &LockRange) -> bool {
        self.start <= other.end.saturating_add(1) && other.start <= self.end.saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: u64, end: u64) -> LockRange {
        LockRange::new(start, end)
    }

    #[test]
    fn whence_bases() {
        assert_eq!(
            LockRange::from_flock(SEEK_SET, 10, 5, 100, 1000),
            Ok(r(10, 14))
        );
        assert_eq!(
            LockRange::from_flock(SEEK_CUR, 10, 5, 100, 1000),
            Ok(r(110, 114))
        );
        assert_eq!(
            LockRange::from_flock(SEEK_END, 10, 5, 100, 1000),
            Ok(r(1010, 1014))
        );
        assert_eq!(
            LockRange::from_flock(SEEK_CUR, -100, 1, 100, 0),
            Ok(r(0, 0))
        );
        assert_eq!(LockRange::from_flock(3, 0, 0, 0, 0), Err(Errno::EINVAL));
        assert_eq!(LockRange::from_flock(-1, 0, 0, 0, 0), Err(Errno::EINVAL));
    }

    #[test]
    fn zero_length_runs_to_offset_max() {
        assert_eq!(
            LockRange::from_flock(SEEK_SET, 7, 0, 0, 0),
            Ok(r(7, OFFSET_MAX))
        );
        assert_eq!(r(7, OFFSET_MAX).to_flock(), (7, 0));
        assert_eq!(r(7, 9).to_flock(), (7, 3));
    }

    #[test]
    fn negative_lengths_cover_bytes_before_start() {
        assert_eq!(LockRange::from_flock(SEEK_SET, 10, -4, 0, 0), Ok(r(6, 9)));
        assert_eq!(LockRange::from_flock(SEEK_SET, 10, -10, 0, 0), Ok(r(0, 9)));
        assert_eq!(
            LockRange::from_flock(SEEK_SET, 10, -11, 0, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            LockRange::from_flock(SEEK_SET, 0, i64::MIN, 0, 0),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn negative_start_and_overflow() {
        assert_eq!(
            LockRange::from_flock(SEEK_SET, -1, 1, 0, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            LockRange::from_flock(SEEK_END, -11, 1, 0, 10),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            LockRange::from_flock(SEEK_CUR, i64::MAX, 1, 1, 0),
            Err(Errno::EOVERFLOW)
        );
        assert_eq!(
            LockRange::from_flock(SEEK_SET, i64::MAX, 1, 0, 0),
            Ok(r(OFFSET_MAX, OFFSET_MAX))
        );
        assert_eq!(
            LockRange::from_flock(SEEK_SET, i64::MAX, 2, 0, 0),
            Err(Errno::EOVERFLOW)
        );
        assert_eq!(
            LockRange::from_flock(SEEK_SET, 1, i64::MAX, 0, 0),
            Ok(r(1, OFFSET_MAX))
        );
        assert_eq!(
            LockRange::from_flock(SEEK_SET, 2, i64::MAX, 0, 0),
            Err(Errno::EOVERFLOW)
        );
        assert_eq!(
            LockRange::from_flock(SEEK_SET, i64::MIN, 0, 0, 0),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn overlap_and_touch() {
        assert!(r(0, 9).overlaps(&r(9, 20)));
        assert!(!r(0, 9).overlaps(&r(10, 20)));
        assert!(r(0, 9).touches(&r(10, 20)));
        assert!(!r(0, 9).touches(&r(11, 20)));
        assert!(r(5, OFFSET_MAX).touches(&r(0, 4)));
        assert!(r(0, OFFSET_MAX).overlaps(&r(OFFSET_MAX, OFFSET_MAX)));
    }
}
