//! Linux's native asynchronous I/O (`include/uapi/linux/aio_abi.h`): `struct iocb`,
//! `struct io_event`, the ring header that `io_setup` maps into the caller, and the ring's
//! geometry as `fs/aio.c` computes it (`ioctx_alloc`, `aio_setup_ring`). linux-raw-sys has no
//! binding for this header, so the layouts are checked against the header's sizes here.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `IOCB_CMD_*`: what one control block asks for.
pub const IOCB_CMD_PREAD: u16 = 0;
pub const IOCB_CMD_PWRITE: u16 = 1;
pub const IOCB_CMD_FSYNC: u16 = 2;
pub const IOCB_CMD_FDSYNC: u16 = 3;
pub const IOCB_CMD_POLL: u16 = 5;
pub const IOCB_CMD_NOOP: u16 = 6;
pub const IOCB_CMD_PREADV: u16 = 7;
pub const IOCB_CMD_PWRITEV: u16 = 8;

/// `aio_flags`: signal the eventfd `aio_resfd` at completion.
pub const IOCB_FLAG_RESFD: u32 = 1 << 0;
/// `aio_flags`: `aio_reqprio` is an I/O priority (`IOPRIO_PRIO_VALUE`).
pub const IOCB_FLAG_IOPRIO: u32 = 1 << 1;

/// The value the kernel stores in `aio_key` (`KIOCB_KEY`); `io_cancel` wants it back.
pub const KIOCB_KEY: u32 = 0;

/// `AIO_RING_MAGIC`, `AIO_RING_COMPAT_FEATURES`, `AIO_RING_INCOMPAT_FEATURES`.
pub const AIO_RING_MAGIC: u32 = 0xa10a_10a1;
pub const AIO_RING_COMPAT_FEATURES: u32 = 1;
pub const AIO_RING_INCOMPAT_FEATURES: u32 = 0;

/// `struct iocb` (64 bytes, little-endian field order).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Iocb {
    /// Returned in the event's `data`.
    pub aio_data: u64,
    /// Written by the kernel (`KIOCB_KEY`).
    pub aio_key: u32,
    /// `RWF_*` for reads and writes.
    pub aio_rw_flags: u32,
    pub aio_lio_opcode: u16,
    pub aio_reqprio: i16,
    pub aio_fildes: u32,
    /// Buffer address, iovec array address, or (poll) the event mask.
    pub aio_buf: u64,
    /// Byte count, or iovec count.
    pub aio_nbytes: u64,
    pub aio_offset: i64,
    /// Must be zero.
    pub aio_reserved2: u64,
    pub aio_flags: u32,
    /// The eventfd of `IOCB_FLAG_RESFD`.
    pub aio_resfd: u32,
}

/// `struct io_event` (32 bytes).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct IoEvent {
    /// The iocb's `aio_data`.
    pub data: u64,
    /// The iocb's user address.
    pub obj: u64,
    /// The result: a byte count, a poll mask, or a negative errno.
    pub res: i64,
    pub res2: i64,
}

/// `struct aio_ring`, the header of the mapped ring (32 bytes; events follow).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct AioRingHeader {
    /// The context's index in its address space's table.
    pub id: u32,
    /// Events the ring holds.
    pub nr: u32,
    /// Next event to consume (user space may advance it).
    pub head: u32,
    /// Next slot the kernel fills.
    pub tail: u32,
    pub magic: u32,
    pub compat_features: u32,
    pub incompat_features: u32,
    /// `sizeof(struct aio_ring)`.
    pub header_length: u32,
}

const _: () = {
    assert!(core::mem::size_of::<Iocb>() == 64);
    assert!(core::mem::offset_of!(Iocb, aio_lio_opcode) == 16);
    assert!(core::mem::offset_of!(Iocb, aio_fildes) == 20);
    assert!(core::mem::offset_of!(Iocb, aio_flags) == 56);
    assert!(core::mem::size_of::<IoEvent>() == 32);
    assert!(core::mem::size_of::<AioRingHeader>() == 32);
};

const PAGE_SIZE: u64 = 4096;
const EVENT_SIZE: u64 = core::mem::size_of::<IoEvent>() as u64;
const HEADER_SIZE: u64 = core::mem::size_of::<AioRingHeader>() as u64;

/// Why `io_setup` refuses a size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupError {
    /// `EINVAL`: the doubled size would overflow Linux's bound.
    TooLarge,
    /// `EAGAIN`: over `fs.aio-max-nr` on its own.
    OverLimit,
}

/// The size of one context's ring, as `ioctx_alloc` and `aio_setup_ring` compute it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingGeometry {
    /// What the caller asked for: what counts against `fs.aio-max-nr` (`max_reqs`).
    pub max_reqs: u32,
    /// Events the ring holds (`nr_events`, also the header's `nr`); one slot always stays
    /// free, so at most `nr_events - 1` requests are outstanding.
    pub nr_events: u32,
    /// Pages of the mapping.
    pub pages: u64,
}

impl RingGeometry {
    /// The ring for `io_setup(requested, …)` on a machine with `possible_cpus` CPUs and
    /// `fs.aio-max-nr` of `max_nr`: the request is raised to four per CPU and doubled (Linux
    /// hands slots to per-CPU caches), two slots are added, and the ring fills its last page.
    pub fn new(
        requested: u32,
        possible_cpus: u32,
        max_nr: u64,
    ) -> Result<RingGeometry, SetupError> {
        let doubled = u64::from(requested.max(possible_cpus.saturating_mul(4))) * 2;
        // `nr_events` is an unsigned int in Linux: the doubling wraps.
        let doubled = doubled & u64::from(u32::MAX);
        if doubled > 0x1000_0000 / EVENT_SIZE {
            return Err(SetupError::TooLarge);
        }
        if doubled == 0 || u64::from(requested) > max_nr {
            return Err(SetupError::OverLimit);
        }
        let size = HEADER_SIZE + EVENT_SIZE * (doubled + 2);
        let pages = size.div_ceil(PAGE_SIZE);
        let nr_events = ((pages * PAGE_SIZE - HEADER_SIZE) / EVENT_SIZE) as u32;
        Ok(RingGeometry {
            max_reqs: requested,
            nr_events,
            pages,
        })
    }

    /// Byte offset in the mapping of the event in slot `slot` (`slot < nr_events`).
    pub fn event_offset(slot: u32) -> u64 {
        HEADER_SIZE + u64::from(slot) * EVENT_SIZE
    }
}

/// Events waiting in a ring of `nr_events` slots between `head` and `tail` (as read from the
/// header, which user space may have scribbled on: both are taken modulo the size).
pub fn ring_pending(head: u32, tail: u32, nr_events: u32) -> u32 {
    if nr_events == 0 {
        return 0;
    }
    let head = head % nr_events;
    let tail = tail % nr_events;
    if tail >= head {
        tail - head
    } else {
        nr_events - head + tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_matches_linux() {
        // io_setup(1) on one CPU: 8 slots, 10 with the overlap, one page of 127.
        let ring = RingGeometry::new(1, 1, 65536).unwrap();
        assert_eq!((ring.max_reqs, ring.nr_events, ring.pages), (1, 127, 1));
        // 128 requested: 256 + 2 events and the header need three pages.
        let ring = RingGeometry::new(128, 1, 65536).unwrap();
        assert_eq!(ring.pages, 3);
        assert_eq!(ring.nr_events, (3 * 4096 - 32) / 32);
        // aio-max-nr + 1 is EAGAIN; -1 wraps and is EINVAL.
        assert_eq!(
            RingGeometry::new(65537, 1, 65536),
            Err(SetupError::OverLimit)
        );
        assert_eq!(
            RingGeometry::new(u32::MAX, 1, 65536),
            Err(SetupError::TooLarge)
        );
        assert_eq!(
            RingGeometry::new(0x1000_0000 / 32, 1, u64::MAX),
            Err(SetupError::TooLarge)
        );
        assert_eq!(RingGeometry::event_offset(0), 32);
        assert_eq!(RingGeometry::event_offset(127), 4096);
    }

    #[test]
    fn pending_wraps() {
        assert_eq!(ring_pending(0, 0, 127), 0);
        assert_eq!(ring_pending(3, 10, 127), 7);
        assert_eq!(ring_pending(120, 2, 127), 9);
        assert_eq!(ring_pending(127 + 3, 10, 127), 7);
        assert_eq!(ring_pending(1, 1, 0), 0);
    }
}
