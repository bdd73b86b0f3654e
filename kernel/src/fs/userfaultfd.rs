//! userfaultfd (Linux 6.1 `fs/userfaultfd.c`, `mm/userfaultfd.c`), missing-page mode for
//! private anonymous memory: a thread touching a page that a registered area lacks sleeps
//! while the file's reader gets a `UFFD_EVENT_PAGEFAULT` message, and wakes when the reader
//! supplies the page (`UFFDIO_COPY`, `UFFDIO_ZEROPAGE`) or wakes the range (`UFFDIO_WAKE`);
//! then the access is retried. A fault from user mode sleeps interruptibly (a signal is
//! handled, then the instruction faults again, as Linux's `VM_FAULT_RETRY`); one from the
//! kernel's user copies sleeps killably, and is refused (`EFAULT`) for a file made with
//! `UFFD_USER_MODE_ONLY`. Closing the file unregisters its areas and lets the sleepers go on
//! (they then get zero pages).
//!
//! Features reported by `UFFDIO_API` are the ones this implements: `EXACT_ADDRESS`
//! and `THREAD_ID`. Not done: shared memory and hugetlbfs areas (`EINVAL` at register),
//! write-protect and minor modes, the fork, remap, remove and unmap events, `/dev/userfaultfd`.

use super::file::FileOps;
use super::poll::{POLLIN, PollTable, poll_wait};
use crate::mm::{Backing, Mm, PAGE_SIZE};
use crate::process::Thread;
use crate::sched::SleepKind;
use crate::sched::wait::{WaitQueue, wait_event};
use abi::Errno;
use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use hal::sync::SpinLock;
use vfs::Metadata;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use abi::raw::general as raw;

/// `vm.unprivileged_userfaultfd` (0 by default: unprivileged callers need
/// `UFFD_USER_MODE_ONLY`).
pub static UNPRIVILEGED_USERFAULTFD: core::sync::atomic::AtomicU32 =
    core::sync::atomic::AtomicU32::new(0);

/// `UFFD_API`.
const API: u64 = raw::UFFD_API as u64;
/// The features this implementation has.
const FEATURES: u64 = (raw::UFFD_FEATURE_EXACT_ADDRESS | raw::UFFD_FEATURE_THREAD_ID) as u64;
/// `UFFD_API_IOCTLS`: API, REGISTER, UNREGISTER.
const API_IOCTLS: u64 =
    1 << raw::_UFFDIO_REGISTER | 1 << raw::_UFFDIO_UNREGISTER | 1 << raw::_UFFDIO_API;
/// The range ioctls a missing-mode anonymous area supports: WAKE, COPY, ZEROPAGE.
const RANGE_IOCTLS: u64 =
    1 << raw::_UFFDIO_WAKE | 1 << raw::_UFFDIO_COPY | 1 << raw::_UFFDIO_ZEROPAGE;

/// The ioctl numbers (`_IOWR(UFFDIO, nr, struct)`).
const fn iowr(nr: u32, size: usize) -> u32 {
    (3 << 30) | ((size as u32) << 16) | (raw::UFFDIO << 8) | nr
}
const fn ior(nr: u32, size: usize) -> u32 {
    (2 << 30) | ((size as u32) << 16) | (raw::UFFDIO << 8) | nr
}
const UFFDIO_API: u32 = iowr(raw::_UFFDIO_API, 24);
const UFFDIO_REGISTER: u32 = iowr(raw::_UFFDIO_REGISTER, 32);
const UFFDIO_UNREGISTER: u32 = ior(raw::_UFFDIO_UNREGISTER, 16);
const UFFDIO_WAKE: u32 = ior(raw::_UFFDIO_WAKE, 16);
const UFFDIO_COPY: u32 = iowr(raw::_UFFDIO_COPY, 40);
const UFFDIO_ZEROPAGE: u32 = iowr(raw::_UFFDIO_ZEROPAGE, 32);

#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
struct ApiArg {
    api: u64,
    features: u64,
    ioctls: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
struct Range {
    start: u64,
    len: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
struct RegisterArg {
    range: Range,
    mode: u64,
    ioctls: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
struct CopyArg {
    dst: u64,
    src: u64,
    len: u64,
    mode: u64,
    copy: i64,
}

#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
struct ZeropageArg {
    range: Range,
    mode: u64,
    zeropage: i64,
}

/// `struct uffd_msg` for a page fault (32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
struct Message {
    event: u8,
    reserved1: u8,
    reserved2: u16,
    reserved3: u32,
    flags: u64,
    address: u64,
    ptid: u32,
    pad: u32,
}

const _: () = assert!(core::mem::size_of::<Message>() == 32);

struct Fault {
    address: u64,
    is_write: bool,
    tid: u32,
}

struct State {
    /// `UFFDIO_API` was done, with these features.
    features: Option<u64>,
    /// Faults not read yet (`fault_pending_wqh`).
    pending: VecDeque<Fault>,
    /// Bumped by every wake-up of sleepers (copy, zeropage, wake).
    wakeups: u64,
    is_released: bool,
}

/// One userfaultfd context (`struct userfaultfd_ctx`).
pub struct Userfaultfd {
    state: SpinLock<State>,
    /// Readers and pollers.
    readers: Arc<WaitQueue>,
    /// Faulting threads.
    sleepers: WaitQueue,
    mm: Weak<Mm>,
    is_user_mode_only: bool,
}

impl Userfaultfd {
    /// Sleeps until the page at `address` may have been supplied; false if the fault must
    /// fail instead (a kernel fault with `UFFD_USER_MODE_ONLY`, or killed).
    pub fn wait_for_page(
        &self,
        thread: &Arc<Thread>,
        address: u64,
        is_write: bool,
        is_kernel: bool,
    ) -> bool {
        if is_kernel && self.is_user_mode_only {
            return false;
        }
        let seen = {
            let mut state = self.state.lock();
            if state.is_released {
                return true;
            }
            if state.pending.try_reserve(1).is_err() {
                return false;
            }
            state.pending.push_back(Fault {
                address,
                is_write,
                tid: thread.tid(),
            });
            state.wakeups
        };
        self.readers.wake_all();
        let kind = if is_kernel {
            SleepKind::Killable
        } else {
            SleepKind::Interruptible
        };
        let result = wait_event(thread, &[&self.sleepers], kind, None, || {
            let state = self.state.lock();
            (state.wakeups != seen || state.is_released).then_some(())
        });
        if result.is_err() {
            // Interrupted before it was read: the message goes (the fault comes again).
            let tid = thread.tid();
            self.state
                .lock()
                .pending
                .retain(|fault| !(fault.tid == tid && fault.address == address));
        }
        result.is_ok() || !is_kernel
    }

    fn wake(&self) {
        self.state.lock().wakeups += 1;
        self.sleepers.wake_all();
    }

    fn features(&self) -> Result<u64, Errno> {
        self.state.lock().features.ok_or(Errno::EINVAL)
    }
}

/// The file (`userfaultfd_fops`).
pub struct UserfaultFile {
    context: Arc<Userfaultfd>,
    /// Made with `O_NONBLOCK`: poll is meaningful only then (Linux answers `POLLERR` to a
    /// poll of a blocking userfaultfd, whose reads may block after any readiness).
    is_nonblocking: bool,
}

impl UserfaultFile {
    /// A new context for the current process's address space.
    pub fn new(mm: &Arc<Mm>, is_user_mode_only: bool, is_nonblocking: bool) -> UserfaultFile {
        UserfaultFile {
            is_nonblocking,
            context: Arc::new(Userfaultfd {
                state: SpinLock::new(
                    "uffd.state",
                    State {
                        features: None,
                        pending: VecDeque::new(),
                        wakeups: 0,
                        is_released: false,
                    },
                ),
                readers: Arc::new(WaitQueue::new()),
                sleepers: WaitQueue::new(),
                mm: Arc::downgrade(mm),
                is_user_mode_only,
            }),
        }
    }

    fn mm(&self) -> Result<Arc<Mm>, Errno> {
        let mm = self.context.mm.upgrade().ok_or(Errno::ESRCH)?;
        // Only the address space it was made for (`mmget_not_zero` on ctx->mm).
        let current = crate::process::current().process.mm.get();
        if !Arc::ptr_eq(&mm, &current) {
            return Err(Errno::ESRCH);
        }
        Ok(mm)
    }

    fn api(&self, argument: u64) -> Result<usize, Errno> {
        let mut arg: ApiArg = hal::usercopy::read_user(argument)?;
        if self.context.state.lock().features.is_some() {
            return Err(Errno::EINVAL);
        }
        if arg.api != API || arg.features & !FEATURES != 0 {
            hal::usercopy::write_user(argument, &ApiArg::default())?;
            return Err(Errno::EINVAL);
        }
        let requested = arg.features;
        arg.features = FEATURES;
        arg.ioctls = API_IOCTLS;
        hal::usercopy::write_user(argument, &arg)?;
        self.context.state.lock().features = Some(requested);
        Ok(0)
    }

    fn register(&self, argument: u64) -> Result<usize, Errno> {
        self.context.features()?;
        let mut arg: RegisterArg = hal::usercopy::read_user(argument)?;
        let missing = u64::from(raw::UFFDIO_REGISTER_MODE_MISSING);
        if arg.mode == 0 || arg.mode & !missing != 0 {
            return Err(Errno::EINVAL);
        }
        let (start, end) = validate_range(arg.range)?;
        let mm = self.mm()?;
        {
            let mut space = mm.write();
            space.register_userfault(start, end, &self.context, |vma| {
                matches!(vma.backing, Backing::Anonymous) && !vma.is_shared
            })?;
        }
        arg.ioctls = RANGE_IOCTLS;
        let ioctls_address = argument + core::mem::offset_of!(RegisterArg, ioctls) as u64;
        hal::usercopy::write_user(ioctls_address, &arg.ioctls)?;
        Ok(0)
    }

    fn unregister(&self, argument: u64) -> Result<usize, Errno> {
        self.context.features()?;
        let range: Range = hal::usercopy::read_user(argument)?;
        let (start, end) = validate_range(range)?;
        let mm = self.mm()?;
        mm.write()
            .unregister_userfault(start, end, Some(&self.context))?;
        self.context.wake();
        Ok(0)
    }

    fn wake(&self, argument: u64) -> Result<usize, Errno> {
        self.context.features()?;
        let range: Range = hal::usercopy::read_user(argument)?;
        validate_range(range)?;
        self.context.wake();
        Ok(0)
    }

    /// UFFDIO_COPY and UFFDIO_ZEROPAGE: fills `[start, start + len)` page by page with copies
    /// of `src` (or zeros); the count done (or the error) goes into the argument's result
    /// field.
    fn fill(&self, start: u64, len: u64, src: Option<u64>, dont_wake: bool) -> Result<u64, Errno> {
        let mm = self.mm()?;
        let mut done = 0u64;
        let mut error = None;
        while done < len {
            let page = start + done;
            let mut frame = hal::mm::frame::UniqueFrame::try_new_zeroed()?;
            if let Some(src) = src
                && let Err(e) = hal::usercopy::copy_from_user(frame.bytes_mut(), src + done)
            {
                error = Some(e);
                break;
            }
            let result = mm
                .read()
                .install_userfault_page(page, frame.into_shared(), &self.context);
            if let Err(e) = result {
                error = Some(e);
                break;
            }
            done += PAGE_SIZE;
        }
        if done > 0 && !dont_wake {
            self.context.wake();
        }
        match error {
            Some(e) if done == 0 => Err(e),
            _ => Ok(done),
        }
    }

    fn copy(&self, argument: u64) -> Result<usize, Errno> {
        self.context.features()?;
        let arg: CopyArg = hal::usercopy::read_user(argument)?;
        let result_address = argument + core::mem::offset_of!(CopyArg, copy) as u64;
        let dont_wake = u64::from(raw::UFFDIO_COPY_MODE_DONTWAKE);
        let (start, _) = validate_range(Range {
            start: arg.dst,
            len: arg.len,
        })?;
        // The source may be anywhere readable; it must not wrap.
        if arg.src.checked_add(arg.len).is_none() {
            return Err(Errno::EINVAL);
        }
        if arg.mode & !dont_wake != 0 {
            return Err(Errno::EINVAL);
        }
        let outcome = self.fill(start, arg.len, Some(arg.src), arg.mode & dont_wake != 0);
        let value = match &outcome {
            Ok(done) => *done as i64,
            Err(e) => -i64::from(e.0),
        };
        hal::usercopy::write_user(result_address, &value)?;
        match outcome {
            Ok(done) if done == arg.len => Ok(0),
            Ok(_) => Err(Errno::EAGAIN),
            Err(e) => Err(e),
        }
    }

    fn zeropage(&self, argument: u64) -> Result<usize, Errno> {
        self.context.features()?;
        let arg: ZeropageArg = hal::usercopy::read_user(argument)?;
        let result_address = argument + core::mem::offset_of!(ZeropageArg, zeropage) as u64;
        let (start, _) = validate_range(arg.range)?;
        let dont_wake = u64::from(raw::UFFDIO_ZEROPAGE_MODE_DONTWAKE);
        if arg.mode & !dont_wake != 0 {
            return Err(Errno::EINVAL);
        }
        let outcome = self.fill(start, arg.range.len, None, arg.mode & dont_wake != 0);
        let value = match &outcome {
            Ok(done) => *done as i64,
            Err(e) => -i64::from(e.0),
        };
        hal::usercopy::write_user(result_address, &value)?;
        match outcome {
            Ok(done) if done == arg.range.len => Ok(0),
            Ok(_) => Err(Errno::EAGAIN),
            Err(e) => Err(e),
        }
    }
}

/// `validate_range`: page-aligned, non-empty, above `mmap_min_addr`, inside user space.
fn validate_range(range: Range) -> Result<(u64, u64), Errno> {
    if !range.start.is_multiple_of(PAGE_SIZE)
        || !range.len.is_multiple_of(PAGE_SIZE)
        || range.len == 0
    {
        return Err(Errno::EINVAL);
    }
    if range.start < crate::mm::address_space::MMAP_MIN_ADDR || range.start >= hal::mm::USER_END {
        return Err(Errno::EINVAL);
    }
    if range.len > hal::mm::USER_END - range.start {
        return Err(Errno::EINVAL);
    }
    Ok((range.start, range.start + range.len))
}

impl Drop for UserfaultFile {
    /// `userfaultfd_release`: the areas forget the file and every sleeper goes on.
    fn drop(&mut self) {
        self.context.state.lock().is_released = true;
        if let Some(mm) = self.context.mm.upgrade() {
            let _ = mm
                .write()
                .unregister_userfault(0, hal::mm::USER_END, Some(&self.context));
        }
        self.context.wake();
        self.context.readers.wake_all();
    }
}

impl FileOps for UserfaultFile {
    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let size = core::mem::size_of::<Message>();
        let features = self.context.features()?;
        if buf.len() < size {
            return Err(Errno::EINVAL);
        }
        loop {
            let mut taken: Vec<Fault> = Vec::new();
            {
                let mut state = self.context.state.lock();
                while taken.len() < buf.len() / size
                    && let Some(fault) = state.pending.pop_front()
                {
                    if taken.try_reserve(1).is_err() {
                        state.pending.push_front(fault);
                        break;
                    }
                    taken.push(fault);
                }
            }
            if !taken.is_empty() {
                for (index, fault) in taken.iter().enumerate() {
                    let exact = features & u64::from(raw::UFFD_FEATURE_EXACT_ADDRESS) != 0;
                    let message = Message {
                        event: raw::UFFD_EVENT_PAGEFAULT as u8,
                        flags: if fault.is_write {
                            u64::from(raw::UFFD_PAGEFAULT_FLAG_WRITE)
                        } else {
                            0
                        },
                        address: if exact {
                            fault.address
                        } else {
                            fault.address & !(PAGE_SIZE - 1)
                        },
                        ptid: if features & u64::from(raw::UFFD_FEATURE_THREAD_ID) != 0 {
                            fault.tid
                        } else {
                            0
                        },
                        ..Message::default()
                    };
                    buf[index * size..(index + 1) * size].copy_from_slice(message.as_bytes());
                }
                return Ok(taken.len() * size);
            }
            if is_nonblocking {
                return Err(Errno::EAGAIN);
            }
            let thread = crate::process::try_current().ok_or(Errno::EAGAIN)?;
            wait_event(
                &thread,
                &[&self.context.readers],
                SleepKind::Interruptible,
                None,
                || (!self.context.state.lock().pending.is_empty()).then_some(()),
            )
            .map_err(|_| Errno::ERESTARTSYS)?;
        }
    }

    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        poll_wait(&mut table, &self.context.readers);
        let state = self.context.state.lock();
        if state.features.is_none() || !self.is_nonblocking {
            // Before UFFDIO_API, or on a blocking file: POLLERR (`userfaultfd_poll`).
            return Some(super::poll::POLLERR);
        }
        Some(if state.pending.is_empty() { 0 } else { POLLIN })
    }

    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        match command {
            UFFDIO_API => self.api(argument),
            UFFDIO_REGISTER => self.register(argument),
            UFFDIO_UNREGISTER => self.unregister(argument),
            UFFDIO_WAKE => self.wake(argument),
            UFFDIO_COPY => self.copy(argument),
            UFFDIO_ZEROPAGE => self.zeropage(argument),
            _ => Err(Errno::EINVAL),
        }
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn seek_policy(&self) -> super::file::SeekPolicy {
        super::file::SeekPolicy::NoMove
    }

    fn is_anon_inode(&self) -> bool {
        true
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("[userfaultfd]")
    }

    fn metadata(&self) -> Metadata {
        super::eventfd::anon_inode_metadata()
    }
}
