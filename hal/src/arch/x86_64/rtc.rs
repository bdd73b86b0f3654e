//! The CMOS real-time clock, read once at boot to set the wall clock (as Linux's `mach_get_cmos_time`).

use super::io::Port;

fn read_register(register: u8) -> u8 {
    Port(0x70).write_u8(register);
    Port(0x71).read_u8()
}

fn is_update_in_progress() -> bool {
    read_register(0x0a) & 0x80 != 0
}

/// Seconds since the Unix epoch according to the RTC (which QEMU keeps in UTC).
pub(crate) fn read_unix_seconds() -> u64 {
    while is_update_in_progress() {
        core::hint::spin_loop();
    }
    let status_b = read_register(0x0b);
    let is_bcd = status_b & 0x04 == 0;
    let decode = |value: u8| -> u64 {
        if is_bcd {
            u64::from((value & 0x0f) + (value >> 4) * 10)
        } else {
            u64::from(value)
        }
    };
    let second = decode(read_register(0x00));
    let minute = decode(read_register(0x02));
    let hour = decode(read_register(0x04) & 0x7f);
    let day = decode(read_register(0x07));
    let month = decode(read_register(0x08));
    let year = 2000 + decode(read_register(0x09));
    days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let m = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era).saturating_sub(719_468)
}
