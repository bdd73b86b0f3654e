//! BSD process accounting records as Linux 6.1 writes them with CONFIG_BSD_PROCESS_ACCT_V3
//! (Debian's configuration): `struct acct_v3` of `include/uapi/linux/acct.h`, 64 bytes, one per
//! exiting process, and the two number formats it uses (`kernel/acct.c`): `comp_t`, a 13-bit
//! mantissa with a 3-bit base-8 exponent, rounded half up; and the elapsed time as the bits of an
//! IEEE-754 single-precision float. Times are in `AHZ` (100) units. [`Record::new`] fills a
//! record from plain numbers; the kernel collects them (`kernel/src/acct.rs`).
#![no_std]
#![forbid(unsafe_code)]

use zerocopy::{Immutable, IntoBytes, KnownLayout};

/// `ACCT_VERSION` 3 with `ACCT_BYTEORDER` 0 (little-endian).
pub const ACCT_VERSION: u8 = 3;
/// `ac_flag` bits: forked but did not exec, used super-user privileges, dumped core, killed by
/// a signal.
pub const AFORK: u8 = 0x01;
pub const ASU: u8 = 0x02;
pub const ACORE: u8 = 0x08;
pub const AXSIG: u8 = 0x10;
/// `AHZ`: the unit of the times.
pub const AHZ: u64 = 100;

/// `struct acct_v3`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, IntoBytes, Immutable, KnownLayout)]
pub struct AcctV3 {
    pub ac_flag: u8,
    pub ac_version: u8,
    pub ac_tty: u16,
    pub ac_exitcode: u32,
    pub ac_uid: u32,
    pub ac_gid: u32,
    pub ac_pid: u32,
    pub ac_ppid: u32,
    pub ac_btime: u32,
    /// A `float`'s bits.
    pub ac_etime: u32,
    pub ac_utime: u16,
    pub ac_stime: u16,
    pub ac_mem: u16,
    pub ac_io: u16,
    pub ac_rw: u16,
    pub ac_minflt: u16,
    pub ac_majflt: u16,
    pub ac_swaps: u16,
    pub ac_comm: [u8; 16],
}

const _: () = assert!(core::mem::size_of::<AcctV3>() == 64);

/// `encode_comp_t`: 13 bits of mantissa, 3 bits of base-8 exponent; rounds up when the last
/// bits shifted out start with a 1 in the highest place; saturates at 0xffff.
pub fn encode_comp_t(value: u64) -> u16 {
    const MANTISSA_BITS: u32 = 13;
    const MAX_MANTISSA: u64 = (1 << MANTISSA_BITS) - 1;
    let mut value = value;
    let mut exponent = 0u32;
    let mut round_up = false;
    while value > MAX_MANTISSA {
        round_up = value & 0b100 != 0;
        value >>= 3;
        exponent += 1;
    }
    if round_up {
        value += 1;
        if value > MAX_MANTISSA {
            value >>= 3;
            exponent += 1;
        }
    }
    if exponent > 7 {
        return u16::MAX;
    }
    ((exponent << MANTISSA_BITS) as u16) | value as u16
}

/// `encode_float`: the bits of `value` as an IEEE-754 single (truncated, not rounded).
pub fn encode_float(value: u64) -> u32 {
    if value == 0 {
        return 0;
    }
    let leading = value.leading_zeros();
    let normalized = value << leading;
    // Exponent of the highest bit (63 - leading), biased by 127.
    let exponent = 127 + 63 - leading;
    let mantissa = ((normalized >> 40) as u32) & 0x7f_ffff;
    mantissa | (exponent << 23)
}

/// Nanoseconds to `AHZ` ticks.
pub fn ns_to_ahz(ns: u64) -> u64 {
    ns / (1_000_000_000 / AHZ)
}

/// What the kernel knows about an exiting process.
#[derive(Clone, Debug, Default)]
pub struct Facts<'a> {
    pub flags: u8,
    pub tty: u16,
    /// The leader's exit code as do_exit got it (status << 8, or the signal).
    pub exit_code: u32,
    pub uid: u32,
    pub gid: u32,
    pub pid: u32,
    pub ppid: u32,
    /// CLOCK_REALTIME now, in seconds.
    pub now_sec: u64,
    /// Time since the leader started, in nanoseconds.
    pub run_ns: u64,
    pub user_ns: u64,
    pub system_ns: u64,
    /// Virtual memory size at exit, KiB.
    pub memory_kib: u64,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub comm: &'a [u8],
}

impl AcctV3 {
    /// `fill_ac` and `do_acct_process`: the record for `facts`.
    pub fn new(facts: &Facts<'_>) -> AcctV3 {
        let elapsed = ns_to_ahz(facts.run_ns);
        let begin = facts.now_sec.saturating_sub(elapsed / AHZ);
        let mut comm = [0u8; 16];
        let length = facts.comm.len().min(15);
        comm[..length].copy_from_slice(&facts.comm[..length]);
        AcctV3 {
            ac_flag: facts.flags,
            ac_version: ACCT_VERSION,
            ac_tty: facts.tty,
            ac_exitcode: facts.exit_code,
            ac_uid: facts.uid,
            ac_gid: facts.gid,
            ac_pid: facts.pid,
            ac_ppid: facts.ppid,
            ac_btime: begin.min(u64::from(u32::MAX)) as u32,
            ac_etime: encode_float(elapsed),
            ac_utime: encode_comp_t(ns_to_ahz(facts.user_ns)),
            ac_stime: encode_comp_t(ns_to_ahz(facts.system_ns)),
            ac_mem: encode_comp_t(facts.memory_kib),
            ac_io: 0,
            ac_rw: 0,
            ac_minflt: encode_comp_t(facts.minor_faults),
            ac_majflt: encode_comp_t(facts.major_faults),
            ac_swaps: 0,
            ac_comm: comm,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comp_t_matches_linux() {
        assert_eq!(encode_comp_t(0), 0);
        assert_eq!(encode_comp_t(8191), 8191);
        // 8192 = 1024 * 8: exponent 1, mantissa 1024.
        assert_eq!(encode_comp_t(8192), (1 << 13) | 1024);
        // 8196: the bits shifted out are 100: round up.
        assert_eq!(encode_comp_t(8196), (1 << 13) | 1025);
        assert_eq!(encode_comp_t(8195), (1 << 13) | 1024);
        // Rounding up past the mantissa moves to the next exponent.
        assert_eq!(encode_comp_t(65532), (2 << 13) | 1024);
        assert_eq!(encode_comp_t(u64::MAX), 0xffff);
        let decode = |c: u16| u64::from(c & 0x1fff) << (3 * u32::from(c >> 13));
        for value in [1u64, 100, 9000, 123_456, 9_999_999] {
            let back = decode(encode_comp_t(value));
            assert!(back.abs_diff(value) * 1000 <= value, "{value} {back}");
        }
    }

    #[test]
    fn float_matches_ieee() {
        for value in [0u64, 1, 2, 3, 100, 12_345, 1 << 40, (1 << 24) + 1] {
            assert_eq!(
                encode_float(value),
                (value as f32).to_bits() & !1,
                "{value}"
            );
        }
        assert_eq!(encode_float(7), 7.0f32.to_bits());
    }

    #[test]
    fn record_fields() {
        let record = AcctV3::new(&Facts {
            flags: AFORK,
            exit_code: 3 << 8,
            uid: 1,
            gid: 2,
            pid: 10,
            ppid: 1,
            now_sec: 1_000_000,
            run_ns: 2_500_000_000,
            user_ns: 1_000_000_000,
            system_ns: 20_000_000,
            memory_kib: 1000,
            comm: b"a-very-long-command-name",
            ..Facts::default()
        });
        assert_eq!(record.ac_version, 3);
        assert_eq!(record.ac_btime, 1_000_000 - 2);
        assert_eq!(f32::from_bits(record.ac_etime), 250.0);
        assert_eq!(record.ac_utime, 100);
        assert_eq!(record.ac_stime, 2);
        assert_eq!(&record.ac_comm, b"a-very-long-com\0");
        assert_eq!(record.as_bytes().len(), 64);
    }
}
