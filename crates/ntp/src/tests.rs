use super::*;

fn timex(modes: u32) -> Timex {
    Timex {
        modes,
        ..Timex::default()
    }
}

#[test]
fn validation_follows_timekeeping_validate_timex() {
    assert_eq!(validate(&timex(0), false), Ok(()));
    assert_eq!(validate(&timex(ADJ_OFFSET_SS_READ), false), Ok(()));
    assert_eq!(
        validate(&timex(ADJ_OFFSET_SINGLESHOT), false),
        Err(Errno::EPERM)
    );
    assert_eq!(validate(&timex(ADJ_ADJTIME), true), Err(Errno::EINVAL));
    assert_eq!(validate(&timex(ADJ_STATUS), false), Err(Errno::EPERM));
    let mut txc = timex(ADJ_TICK);
    txc.tick = 8999;
    assert_eq!(validate(&txc, true), Err(Errno::EINVAL));
    txc.tick = 11001;
    assert_eq!(validate(&txc, true), Err(Errno::EINVAL));
    txc.tick = 11000;
    assert_eq!(validate(&txc, true), Ok(()));
    let mut txc = timex(ADJ_SETOFFSET);
    txc.time_usec = 1_000_000;
    assert_eq!(validate(&txc, true), Err(Errno::EINVAL));
    txc.modes |= ADJ_NANO;
    assert_eq!(validate(&txc, true), Ok(()));
    txc.time_usec = -1;
    assert_eq!(validate(&txc, true), Err(Errno::EINVAL));
    let mut txc = timex(ADJ_FREQUENCY);
    txc.freq = i64::MAX / PPM_SCALE + 1;
    assert_eq!(validate(&txc, true), Err(Errno::EINVAL));
}

#[test]
fn boot_state_reads_as_linux() {
    let mut ntp = Ntp::new();
    let mut txc = timex(0);
    assert_eq!(ntp.adjtimex(&mut txc, 5_123_456_789), TIME_ERROR);
    assert_eq!(txc.status, STA_UNSYNC);
    assert_eq!(txc.maxerror, 16_000_000);
    assert_eq!(txc.esterror, 16_000_000);
    assert_eq!(txc.constant, 2);
    assert_eq!(txc.tick, 10_000);
    assert_eq!(txc.tolerance, 32_768_000);
    assert_eq!(txc.precision, 1);
    assert_eq!(txc.time_sec, 5);
    assert_eq!(txc.time_usec, 123_456);
}

#[test]
fn values_round_trip() {
    let mut ntp = Ntp::new();
    let mut txc = timex(ADJ_FREQUENCY | ADJ_MAXERROR | ADJ_ESTERROR | ADJ_STATUS | ADJ_TIMECONST);
    txc.freq = 100 << 16;
    txc.maxerror = 1000;
    txc.esterror = 200;
    txc.status = STA_PLL | STA_CLOCKERR;
    txc.constant = 3;
    assert_eq!(ntp.adjtimex(&mut txc, 0), TIME_OK);
    assert_eq!(txc.freq, 100 << 16);
    assert_eq!(txc.maxerror, 1000);
    assert_eq!(txc.esterror, 200);
    // STA_CLOCKERR is read-only; STA_UNSYNC was cleared.
    assert_eq!(txc.status, STA_PLL);
    // Microsecond mode adds 4 to the time constant.
    assert_eq!(txc.constant, 7);
    let mut txc = timex(ADJ_NANO);
    ntp.adjtimex(&mut txc, 1_500_000_000);
    assert_eq!(txc.status, STA_PLL | STA_NANO);
    assert_eq!(txc.time_usec, 500_000_000);
    // A frequency beyond 500 ppm is clamped.
    let mut txc = timex(ADJ_FREQUENCY);
    txc.freq = 600 << 16;
    ntp.adjtimex(&mut txc, 0);
    assert_eq!(txc.freq, 500 << 16);
    // Turning the PLL off resets the status (to STA_UNSYNC, which the new bits then replace,
    // as in Linux: STA_NANO goes too).
    let mut txc = timex(ADJ_STATUS);
    txc.status = 0;
    assert_eq!(ntp.adjtimex(&mut txc, 0), TIME_OK);
    assert_eq!(txc.status, 0);
}

#[test]
fn adjtime_slews_500us_a_second() {
    let mut ntp = Ntp::new();
    let mut txc = timex(ADJ_OFFSET_SINGLESHOT);
    txc.offset = 1200;
    ntp.adjtimex(&mut txc, 0);
    assert_eq!(txc.offset, 0);
    let mut txc = timex(ADJ_OFFSET_SS_READ);
    ntp.adjtimex(&mut txc, 0);
    assert_eq!(txc.offset, 1200);
    assert_eq!(ntp.second_overflow(1), (0, 500_000));
    assert_eq!(ntp.second_overflow(2), (0, 500_000));
    assert_eq!(ntp.second_overflow(3), (0, 200_000));
    assert_eq!(ntp.second_overflow(4), (0, 0));
    // Frequency: 10 ppm is 10 µs a second.
    let mut txc = timex(ADJ_FREQUENCY);
    txc.freq = 10 << 16;
    ntp.adjtimex(&mut txc, 0);
    assert_eq!(ntp.second_overflow(5).1, 10_000);
    // The tick: 10 100 µs per 1/100 s is 1 % fast.
    let mut txc = timex(ADJ_TICK | ADJ_FREQUENCY);
    txc.tick = 10_100;
    txc.freq = 0;
    ntp.adjtimex(&mut txc, 0);
    assert_eq!(ntp.second_overflow(6).1, 10_000_000);
}

#[test]
fn leap_second_insertion() {
    let mut ntp = Ntp::new();
    let day = 86_400 * 20_000;
    let mut txc = timex(ADJ_STATUS);
    txc.status = STA_INS;
    ntp.adjtimex(&mut txc, (day - 3) * NSEC_PER_SEC);
    assert_eq!(ntp.second_overflow(day - 2), (0, 0));
    assert_eq!(ntp.state(), TIME_INS);
    let mut txc = timex(0);
    assert_eq!(ntp.adjtimex(&mut txc, (day - 1) * NSEC_PER_SEC), TIME_ERROR);
    assert_eq!(ntp.second_overflow(day - 1).0, 0);
    assert_eq!(ntp.second_overflow(day).0, -1);
    assert_eq!(ntp.state(), TIME_OOP);
    assert_eq!(ntp.tai(), 1);
    assert_eq!(ntp.second_overflow(day).0, 0);
    assert_eq!(ntp.state(), TIME_WAIT);
    let mut txc = timex(ADJ_STATUS);
    txc.status = 0;
    ntp.adjtimex(&mut txc, day * NSEC_PER_SEC);
    ntp.second_overflow(day + 1);
    assert_eq!(ntp.state(), TIME_OK);
}

#[test]
fn maxerror_grows_to_unsync() {
    let mut ntp = Ntp::new();
    let mut txc = timex(ADJ_MAXERROR | ADJ_STATUS);
    txc.maxerror = NTP_PHASE_LIMIT - 700;
    txc.status = 0;
    ntp.adjtimex(&mut txc, 0);
    assert_eq!(ntp.status(), 0);
    ntp.second_overflow(1);
    assert_eq!(ntp.status(), 0);
    ntp.second_overflow(2);
    assert_eq!(ntp.status(), STA_UNSYNC);
}

#[test]
fn pll_offset_is_taken_up_gradually() {
    let mut ntp = Ntp::new();
    let mut txc = timex(ADJ_STATUS | ADJ_NANO);
    txc.status = STA_PLL;
    ntp.adjtimex(&mut txc, 0);
    let mut txc = timex(ADJ_OFFSET);
    txc.offset = 1_000_000; // 1 ms
    ntp.adjtimex(&mut txc, 0);
    let mut read = timex(0);
    ntp.adjtimex(&mut read, 0);
    assert!(
        (999_000..=1_000_000).contains(&read.offset),
        "{}",
        read.offset
    );
    let mut total = 0;
    for second in 1..=200 {
        total += ntp.second_overflow(second).1;
    }
    assert!((900_000..=1_001_000).contains(&total), "{total}");
}
