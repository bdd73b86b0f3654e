//! The vDSO's data page (`[vvar]`, Linux's `vdso_data` written by `update_vsyscall`): what the
//! vDSO's clock calls read, updated by the kernel under a sequence count that is odd while an
//! update is under way (a seqlock; the vDSO retries a read that saw an odd or changed count).
//!
//! It holds the TSC conversion of [`hal::time::monotonic_ns`] (base, mult, shift: the vDSO
//! computes the very clock the system calls read), the realtime and TAI offsets, the coarse
//! clocks as of the last tick ([`crate::time::update_coarse_clocks`]) and the resolutions. The
//! kernel writes the page only through [`hal::mm::frame::Frame`]'s atomic stores; the layout is
//! `vdso/layout.rs`, shared with the vDSO's C code.

/// The offsets and constants shared with the vDSO (not all of them are the kernel's business).
#[allow(dead_code)]
mod layout {
    include!("../../../vdso/layout.rs");
}

pub use layout::*;

use core::sync::atomic::{AtomicU32, Ordering, fence};
use hal::mm::frame::Frame;
use hal::sync::SpinLock;

/// Serializes writers (the tick, clock_settime, settimeofday). A leaf lock.
static WRITER: SpinLock<()> = SpinLock::new("vdso.data", ());
/// The sequence count last written.
static SEQ: AtomicU32 = AtomicU32::new(0);

/// One update of the page: the count goes odd, the fields are stored, the count goes even.
struct Update<'a> {
    page: &'a Frame,
}

impl Update<'_> {
    fn u64(&self, offset: usize, value: u64) {
        self.page.store_u64(offset, value, Ordering::Relaxed);
    }

    fn u32(&self, offset: usize, value: u32) {
        self.page.store_u32(offset, value, Ordering::Relaxed);
    }
}

fn update(page: &Frame, change: impl FnOnce(&Update<'_>)) {
    let _writer = WRITER.lock();
    update_locked(page, change);
}

/// [`update`] with the writer lock held by the caller.
fn update_locked(page: &Frame, change: impl FnOnce(&Update<'_>)) {
    let seq = SEQ.load(Ordering::Relaxed).wrapping_add(1);
    page.store_u32(VVAR_SEQ, seq, Ordering::Relaxed);
    // The odd count is visible before any field changes.
    fence(Ordering::Release);
    change(&Update { page });
    // The fields are visible before the even count.
    page.store_u32(VVAR_SEQ, seq.wrapping_add(1), Ordering::Release);
    SEQ.store(seq.wrapping_add(1), Ordering::Relaxed);
}

/// Fills a new data page: the TSC clock, its bases, the resolutions, the coarse clocks now.
pub fn init(page: &Frame) {
    let (tsc_base, mult, shift) = hal::time::clock_parameters();
    update(page, |page| {
        page.u32(VVAR_CLOCK_MODE, VCLOCK_TSC);
        page.u64(VVAR_TSC_BASE, tsc_base);
        page.u64(VVAR_MULT, mult);
        page.u32(VVAR_SHIFT, shift);
        let (minuteswest, dsttime) = crate::time::timezone();
        page.u32(VVAR_TZ_MINUTESWEST, minuteswest as u32);
        page.u32(VVAR_TZ_DSTTIME, dsttime as u32);
        page.u64(VVAR_MONOTONIC_BASE_NS, 0);
        page.u64(VVAR_REALTIME_BASE_NS, crate::time::realtime_offset_ns());
        page.u64(VVAR_TAI_OFFSET_NS, crate::time::tai_offset_ns());
        page.u64(VVAR_HRES_RESOLUTION_NS, crate::time::HRES_RESOLUTION_NS);
        page.u64(VVAR_COARSE_RESOLUTION_NS, crate::time::TICK_NS);
        page.u64(VVAR_COARSE_MONOTONIC_NS, crate::time::coarse_monotonic_ns());
        page.u64(VVAR_COARSE_REALTIME_NS, crate::time::coarse_realtime_ns());
    });
}

/// Publishes the coarse clocks (each tick); the realtime one is read under the writer lock, so
/// a clock step published meanwhile is not undone.
pub fn set_coarse(monotonic_ns: u64) {
    if let Some(page) = super::data_page() {
        update(page, |page| {
            page.u64(VVAR_COARSE_MONOTONIC_NS, monotonic_ns);
            page.u64(
                VVAR_COARSE_REALTIME_NS,
                crate::time::realtime_offset_ns() + monotonic_ns,
            );
        });
    }
}

/// Steps the wall clock: `change` (run under the writer lock, so ticks and other setters see
/// the steps in one order) stores the new offset and returns it with the new coarse realtime,
/// which are then published.
pub fn set_realtime_offset(change: impl FnOnce() -> (u64, u64)) {
    let _writer = WRITER.lock();
    let (offset_ns, coarse_realtime_ns) = change();
    if let Some(page) = super::data_page() {
        update_locked(page, |page| {
            page.u64(VVAR_REALTIME_BASE_NS, offset_ns);
            page.u64(VVAR_COARSE_REALTIME_NS, coarse_realtime_ns);
        });
    }
}

/// Publishes CLOCK_TAI's offset from CLOCK_REALTIME (adjtimex's ADJ_TAI, leap seconds).
pub fn set_tai_offset(offset_ns: u64) {
    if let Some(page) = super::data_page() {
        update(page, |page| page.u64(VVAR_TAI_OFFSET_NS, offset_ns));
    }
}

/// Publishes settimeofday's time zone.
pub fn set_timezone(minuteswest: i32, dsttime: i32) {
    if let Some(page) = super::data_page() {
        update(page, |page| {
            page.u32(VVAR_TZ_MINUTESWEST, minuteswest as u32);
            page.u32(VVAR_TZ_DSTTIME, dsttime as u32);
        });
    }
}
