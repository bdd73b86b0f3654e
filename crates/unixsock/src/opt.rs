//! Socket-option arithmetic of Linux 6.1 (`net/core/sock.c`, `net/socket.c`).
//!
//! - `SO_SNDBUF`/`SO_RCVBUF` (`sk_setsockopt`): the value, taken as unsigned, is capped at
//!   `net.core.wmem_max`/`rmem_max` (212992), doubled for bookkeeping overhead, and raised to
//!   `SOCK_MIN_SNDBUF` (4608) / `SOCK_MIN_RCVBUF` (2304); `getsockopt` reports the doubled
//!   value. New sockets start at `wmem_default`/`rmem_default` (212992).
//! - `SO_RCVTIMEO`/`SO_SNDTIMEO` (`sock_set_timeout`, `sock_get_timeout`): a `struct timeval`
//!   kept in jiffies of a 250 Hz tick, rounded up; `tv_usec` outside `[0, 1000000)` is `EDOM`;
//!   a negative `tv_sec` stores 0 jiffies (calls do not wait at all); 0/0 is "no timeout".
//! - `listen`'s backlog: capped at `net.core.somaxconn` (4096), taken as unsigned.

use abi::Errno;

/// `net.core.wmem_max`, `rmem_max`, `wmem_default`, `rmem_default`.
pub const WMEM_MAX: u32 = 212_992;
pub const RMEM_MAX: u32 = 212_992;
pub const WMEM_DEFAULT: u32 = 212_992;
pub const RMEM_DEFAULT: u32 = 212_992;
/// `SOCK_MIN_SNDBUF`, `SOCK_MIN_RCVBUF`.
pub const SOCK_MIN_SNDBUF: u32 = 4608;
pub const SOCK_MIN_RCVBUF: u32 = 2304;
/// `net.core.somaxconn`.
pub const SOMAXCONN: u32 = 4096;
/// The tick rate the timeouts are counted in (`HZ`).
pub const HZ: u64 = 250;
/// `MAX_SCHEDULE_TIMEOUT` (no timeout).
pub const NO_TIMEOUT: u64 = i64::MAX as u64;

/// The new `sk_sndbuf` for `SO_SNDBUF` = `value`.
pub fn sndbuf(value: i32) -> u32 {
    let capped = (value as u32).min(WMEM_MAX);
    (capped * 2).max(SOCK_MIN_SNDBUF)
}

/// The new `sk_rcvbuf` for `SO_RCVBUF` = `value`.
pub fn rcvbuf(value: i32) -> u32 {
    let capped = (value as u32).min(RMEM_MAX);
    (capped * 2).max(SOCK_MIN_RCVBUF)
}

/// The backlog `listen(backlog)` keeps.
pub fn backlog(value: i32) -> u32 {
    (value as u32).min(SOMAXCONN)
}

/// A timeout in jiffies from a `struct timeval` (`sock_set_timeout`); [`NO_TIMEOUT`] for 0/0.
pub fn timeout_from_timeval(sec: i64, usec: i64) -> Result<u64, Errno> {
    if !(0..1_000_000).contains(&usec) {
        return Err(Errno::EDOM);
    }
    if sec < 0 {
        return Ok(0);
    }
    if sec == 0 && usec == 0 {
        return Ok(NO_TIMEOUT);
    }
    if (sec as u64) < NO_TIMEOUT / HZ - 1 {
        let per_jiffy = 1_000_000 / HZ;
        Ok(sec as u64 * HZ + (usec as u64).div_ceil(per_jiffy))
    } else {
        Ok(NO_TIMEOUT)
    }
}

/// The `struct timeval` `getsockopt` reports for a timeout in jiffies (`sock_get_timeout`).
pub fn timeval_from_timeout(jiffies: u64) -> (i64, i64) {
    if jiffies == NO_TIMEOUT {
        return (0, 0);
    }
    (
        (jiffies / HZ) as i64,
        ((jiffies % HZ) * 1_000_000 / HZ) as i64,
    )
}

/// A timeout in jiffies as nanoseconds (`None`: wait forever).
pub fn timeout_ns(jiffies: u64) -> Option<u64> {
    if jiffies == NO_TIMEOUT {
        None
    } else {
        Some(jiffies.saturating_mul(1_000_000_000 / HZ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_sizes() {
        assert_eq!(sndbuf(1000), 4608);
        assert_eq!(sndbuf(10000), 20000);
        assert_eq!(sndbuf(-1), 2 * WMEM_MAX);
        assert_eq!(sndbuf(i32::MAX), 2 * WMEM_MAX);
        assert_eq!(rcvbuf(0), 2304);
        assert_eq!(rcvbuf(5000), 10000);
    }

    #[test]
    fn timeouts() {
        assert_eq!(timeout_from_timeval(0, 0), Ok(NO_TIMEOUT));
        assert_eq!(timeout_from_timeval(1, 1000), Ok(251));
        assert_eq!(timeval_from_timeout(251), (1, 4000));
        assert_eq!(timeout_from_timeval(0, 1_000_000), Err(Errno::EDOM));
        assert_eq!(timeout_from_timeval(0, -1), Err(Errno::EDOM));
        assert_eq!(timeout_from_timeval(-5, 0), Ok(0));
        assert_eq!(timeval_from_timeout(NO_TIMEOUT), (0, 0));
        assert_eq!(timeout_ns(25), Some(100_000_000));
    }

    #[test]
    fn backlogs() {
        assert_eq!(backlog(5), 5);
        assert_eq!(backlog(-1), SOMAXCONN);
        assert_eq!(backlog(100_000), SOMAXCONN);
    }
}
