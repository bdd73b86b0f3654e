//! seccomp user-space notification (Linux 6.1 `kernel/seccomp.c`, `seccomp_do_user_notification`
//! and `seccomp_notify_*`): a filter attached with `SECCOMP_FILTER_FLAG_NEW_LISTENER` has a
//! [`Notifier`], and its listener file (`anon_inode:seccomp notify`, O_RDWR, close-on-exec).
//!
//! A thread whose call gets `SECCOMP_RET_USER_NOTIF` queues a notification (id, thread id,
//! `seccomp_data`) and sleeps until the listener replies. The listener takes notifications with
//! `SECCOMP_IOCTL_NOTIF_RECV` (sleeping for one; the buffer must be zeroed), answers with
//! `SECCOMP_IOCTL_NOTIF_SEND` (a value or a negative errno, or `SECCOMP_USER_NOTIF_FLAG_CONTINUE`
//! to run the call; one reply per notification, `EINPROGRESS` otherwise), asks whether one is
//! still waiting with `SECCOMP_IOCTL_NOTIF_ID_VALID`, and puts descriptors into the waiting
//! thread's table with `SECCOMP_IOCTL_NOTIF_ADDFD` (`SETFD` for a chosen number, `SEND` to make
//! it the reply). Poll: `POLLIN` while a notification waits to be received, `POLLOUT` while one
//! waits for its reply, `POLLHUP` once no task uses the filter. A signal interrupts the wait
//! (the call restarts), except a notification already received under
//! `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV`, which only SIGKILL interrupts. Closing the
//! listener answers every waiting call, and every later one, with `ENOSYS`.
//!
//! `ADDFD` installs the descriptor from the listener's side, into the waiting thread's table
//! with that thread's `RLIMIT_NOFILE` (Linux does it in the waiting thread).

use crate::fs::file::{FileOps, OpenFile};
use crate::fs::poll::{PollTable, poll_wait};
use crate::process::Thread;
use crate::process::rlimit::RLIMIT_NOFILE;
use crate::sched::SleepKind;
use crate::sched::wait::{WaitQueue, wait_event};
use abi::Errno;
use abi::poll::{POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use hal::sync::SpinLock;
use seccomp::SeccompData;
use vfs::Metadata;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `struct seccomp_notif`.
#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
struct Notif {
    id: u64,
    pid: u32,
    flags: u32,
    data: SeccompData,
}

/// `struct seccomp_notif_resp`.
#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
struct NotifResp {
    id: u64,
    val: i64,
    error: i32,
    flags: u32,
}

/// `struct seccomp_notif_addfd`.
#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
struct NotifAddfd {
    id: u64,
    flags: u32,
    srcfd: u32,
    newfd: u32,
    newfd_flags: u32,
}

/// The sizes `SECCOMP_GET_NOTIF_SIZES` reports: notif, resp, data.
pub const SIZES: [u16; 3] = [
    core::mem::size_of::<Notif>() as u16,
    core::mem::size_of::<NotifResp>() as u16,
    core::mem::size_of::<SeccompData>() as u16,
];

const fn ioc(direction: u32, nr: u32, size: usize) -> u32 {
    (direction << 30) | ((size as u32) << 16) | ((b'!' as u32) << 8) | nr
}
const IOCTL_NOTIF_RECV: u32 = ioc(3, 0, core::mem::size_of::<Notif>());
const IOCTL_NOTIF_SEND: u32 = ioc(3, 1, core::mem::size_of::<NotifResp>());
const IOCTL_NOTIF_ID_VALID: u32 = ioc(1, 2, 8);
/// The number with the wrong direction that older headers had, still accepted.
const IOCTL_NOTIF_ID_VALID_WRONG_DIR: u32 = ioc(2, 2, 8);
const IOCTL_NOTIF_ADDFD: u32 = ioc(1, 3, core::mem::size_of::<NotifAddfd>());
/// The command without its size field (`EA_IOCTL`).
const SIZE_MASK: u32 = 0x3fff << 16;
/// `SECCOMP_NOTIFY_ADDFD_SIZE_VER0`.
const ADDFD_SIZE_VER0: usize = 24;

const FLAG_CONTINUE: u32 = seccomp::SECCOMP_USER_NOTIF_FLAG_CONTINUE;
const ADDFD_FLAG_SETFD: u32 = seccomp::SECCOMP_ADDFD_FLAG_SETFD;
const ADDFD_FLAG_SEND: u32 = seccomp::SECCOMP_ADDFD_FLAG_SEND;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Init,
    Sent,
    Replied,
}

struct Pending {
    id: u64,
    tid: u32,
    data: SeccompData,
    stage: Stage,
    /// The reply: `rax` (`error` if non-zero, else `val`), or to continue.
    reply: Option<Outcome>,
    thread: Weak<Thread>,
}

struct State {
    next_id: u64,
    pending: Vec<Pending>,
    /// The listener was closed (`filter->notif` is gone).
    is_detached: bool,
    /// No task uses the filter any more.
    is_unused: bool,
}

/// What the waiting thread does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// Run the call (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`).
    Continue,
    /// Return this value (a negative errno or the listener's value).
    Return(i64),
    /// A signal came first: the call restarts.
    Interrupted,
}

/// The notification state of one filter (`struct notification`).
pub struct Notifier {
    state: SpinLock<State>,
    /// The listener's receivers and pollers.
    listeners: Arc<WaitQueue>,
    /// Threads waiting for replies.
    waiters: WaitQueue,
}

impl Notifier {
    pub fn new() -> Arc<Notifier> {
        let mut seed = [0u8; 8];
        crate::random::fill(&mut seed);
        Arc::new(Notifier {
            state: SpinLock::new(
                "seccomp.notify",
                State {
                    next_id: u64::from_ne_bytes(seed),
                    pending: Vec::new(),
                    is_detached: false,
                    is_unused: false,
                },
            ),
            listeners: Arc::new(WaitQueue::new()),
            waiters: WaitQueue::new(),
        })
    }

    /// The filter has no users left: pollers see `POLLHUP`.
    pub fn filter_released(&self) {
        self.state.lock().is_unused = true;
        self.listeners.wake_all();
    }

    /// Queues a notification for the listener and sleeps until it is answered.
    pub fn wait_for_reply(
        &self,
        thread: &Arc<Thread>,
        data: SeccompData,
        wait_killable_recv: bool,
    ) -> Outcome {
        let enosys = Outcome::Return(Errno::ENOSYS.as_syscall_return() as i64);
        let id = {
            let mut state = self.state.lock();
            if state.is_detached {
                return enosys;
            }
            if state.pending.try_reserve(1).is_err() {
                return Outcome::Return(Errno::ENOMEM.as_syscall_return() as i64);
            }
            let id = state.next_id;
            state.next_id = state.next_id.wrapping_add(1);
            state.pending.push(Pending {
                id,
                tid: thread.tid(),
                data,
                stage: Stage::Init,
                reply: None,
                thread: Arc::downgrade(thread),
            });
            id
        };
        self.listeners.wake_all();
        let mut kind = SleepKind::Interruptible;
        let outcome = loop {
            let result = wait_event(thread, &[&self.waiters], kind, None, || {
                let state = self.state.lock();
                let pending = state.pending.iter().find(|pending| pending.id == id);
                match pending {
                    None => Some(enosys),
                    Some(pending) => match pending.reply {
                        Some(reply) => Some(reply),
                        None if state.is_detached => Some(enosys),
                        None => None,
                    },
                }
            });
            match result {
                Ok(outcome) => break outcome,
                Err(_) => {
                    let is_sent = self
                        .state
                        .lock()
                        .pending
                        .iter()
                        .any(|pending| pending.id == id && pending.stage == Stage::Sent);
                    if wait_killable_recv && is_sent && kind == SleepKind::Interruptible {
                        kind = SleepKind::Killable;
                        continue;
                    }
                    break Outcome::Interrupted;
                }
            }
        };
        self.state.lock().pending.retain(|pending| pending.id != id);
        // The listener may poll for replies it owes: one fewer now.
        self.listeners.wake_all();
        outcome
    }

    /// Closing the listener (`seccomp_notify_detach`): every call waiting gets `ENOSYS`.
    fn detach(&self) {
        {
            let mut state = self.state.lock();
            state.is_detached = true;
            for pending in &mut state.pending {
                if pending.stage != Stage::Replied {
                    pending.stage = Stage::Replied;
                    pending.reply = Some(Outcome::Return(Errno::ENOSYS.as_syscall_return() as i64));
                }
            }
        }
        self.waiters.wake_all();
    }

    fn recv(&self, argument: u64) -> Result<usize, Errno> {
        let mut buffer = [0u8; core::mem::size_of::<Notif>()];
        hal::usercopy::copy_from_user(&mut buffer, argument)?;
        if buffer.iter().any(|&byte| byte != 0) {
            return Err(Errno::EINVAL);
        }
        let thread = crate::process::try_current().ok_or(Errno::EINVAL)?;
        let notif = wait_event(
            &thread,
            &[&self.listeners],
            SleepKind::Interruptible,
            None,
            || {
                let mut state = self.state.lock();
                let pending = state
                    .pending
                    .iter_mut()
                    .find(|pending| pending.stage == Stage::Init)?;
                pending.stage = Stage::Sent;
                Some(Notif {
                    id: pending.id,
                    pid: pending.tid,
                    flags: 0,
                    data: pending.data,
                })
            },
        )
        .map_err(|_| Errno::ERESTARTSYS)?;
        if let Err(error) = hal::usercopy::write_user(argument, &notif) {
            // Not delivered: back to the queue for another receive.
            if let Some(pending) = self
                .state
                .lock()
                .pending
                .iter_mut()
                .find(|pending| pending.id == notif.id)
            {
                pending.stage = Stage::Init;
            }
            self.listeners.wake_all();
            return Err(error);
        }
        // Pollers waiting for POLLOUT.
        self.listeners.wake_all();
        Ok(0)
    }

    fn send(&self, argument: u64) -> Result<usize, Errno> {
        let response: NotifResp = hal::usercopy::read_user(argument)?;
        if response.flags & !FLAG_CONTINUE != 0 {
            return Err(Errno::EINVAL);
        }
        if response.flags & FLAG_CONTINUE != 0 && (response.error != 0 || response.val != 0) {
            return Err(Errno::EINVAL);
        }
        {
            let mut state = self.state.lock();
            let pending = state
                .pending
                .iter_mut()
                .find(|pending| pending.id == response.id)
                .ok_or(Errno::ENOENT)?;
            if pending.stage != Stage::Sent {
                return Err(Errno::EINPROGRESS);
            }
            pending.stage = Stage::Replied;
            pending.reply = Some(if response.flags & FLAG_CONTINUE != 0 {
                Outcome::Continue
            } else if response.error != 0 {
                Outcome::Return(i64::from(response.error))
            } else {
                Outcome::Return(response.val)
            });
        }
        self.waiters.wake_all();
        Ok(0)
    }

    fn id_valid(&self, argument: u64) -> Result<usize, Errno> {
        let id: u64 = hal::usercopy::read_user(argument)?;
        let state = self.state.lock();
        let is_valid = state
            .pending
            .iter()
            .any(|pending| pending.id == id && pending.stage == Stage::Sent);
        if is_valid { Ok(0) } else { Err(Errno::ENOENT) }
    }

    fn addfd(&self, argument: u64, size: usize) -> Result<usize, Errno> {
        if !(ADDFD_SIZE_VER0..4096).contains(&size) {
            return Err(Errno::EINVAL);
        }
        let request: NotifAddfd = hal::usercopy::read_user(argument)?;
        if size > ADDFD_SIZE_VER0 {
            // `copy_struct_from_user`: what this kernel does not know must be zero.
            let mut rest = [0u8; 64];
            let mut offset = ADDFD_SIZE_VER0;
            while offset < size {
                let len = (size - offset).min(rest.len());
                hal::usercopy::copy_from_user(&mut rest[..len], argument + offset as u64)?;
                if rest[..len].iter().any(|&byte| byte != 0) {
                    return Err(Errno::E2BIG);
                }
                offset += len;
            }
        }
        let cloexec = abi::OpenFlags::O_CLOEXEC.bits();
        if request.newfd_flags & !cloexec != 0 {
            return Err(Errno::EINVAL);
        }
        if request.flags & !(ADDFD_FLAG_SETFD | ADDFD_FLAG_SEND) != 0 {
            return Err(Errno::EINVAL);
        }
        if request.newfd != 0 && request.flags & ADDFD_FLAG_SETFD == 0 {
            return Err(Errno::EINVAL);
        }
        let caller = crate::process::try_current().ok_or(Errno::EINVAL)?;
        let file: Arc<OpenFile> = caller
            .process
            .files
            .get()
            .lock()
            .get(request.srcfd as i32)?;
        let target = {
            let state = self.state.lock();
            let pending = state
                .pending
                .iter()
                .find(|pending| pending.id == request.id)
                .ok_or(Errno::ENOENT)?;
            if pending.stage != Stage::Sent {
                return Err(Errno::EINPROGRESS);
            }
            pending.thread.upgrade().ok_or(Errno::ENOENT)?
        };
        let limit = target
            .process
            .limits
            .lock()
            .get(RLIMIT_NOFILE)
            .map_or(1024, |limit| {
                limit.soft.min(crate::sysctl::nr_open()) as usize
            });
        let is_close_on_exec = request.newfd_flags & cloexec != 0;
        let files = target.process.files.get();
        let fd = if request.flags & ADDFD_FLAG_SETFD != 0 {
            let newfd = request.newfd as usize;
            if newfd >= limit {
                return Err(Errno::EBADF);
            }
            let old = files.lock().install(newfd, file, is_close_on_exec)?;
            drop(old);
            newfd as i32
        } else {
            files.lock().insert_from(0, file, is_close_on_exec, limit)?
        };
        if request.flags & ADDFD_FLAG_SEND != 0 {
            let mut state = self.state.lock();
            if let Some(pending) = state
                .pending
                .iter_mut()
                .find(|pending| pending.id == request.id && pending.stage == Stage::Sent)
            {
                pending.stage = Stage::Replied;
                pending.reply = Some(Outcome::Return(i64::from(fd)));
            }
            drop(state);
            self.waiters.wake_all();
        }
        Ok(fd as usize)
    }
}

/// The listener file.
pub struct ListenerFile {
    notifier: Arc<Notifier>,
}

impl ListenerFile {
    pub fn new(notifier: Arc<Notifier>) -> ListenerFile {
        ListenerFile { notifier }
    }
}

impl Drop for ListenerFile {
    fn drop(&mut self) {
        self.notifier.detach();
    }
}

impl FileOps for ListenerFile {
    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        poll_wait(&mut table, &self.notifier.listeners);
        let state = self.notifier.state.lock();
        let mut events = 0;
        for pending in &state.pending {
            match pending.stage {
                Stage::Init => events |= POLLIN | POLLRDNORM,
                Stage::Sent => events |= POLLOUT | POLLWRNORM,
                Stage::Replied => {}
            }
        }
        if state.is_unused {
            events |= POLLHUP;
        }
        Some(events)
    }

    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        match command {
            IOCTL_NOTIF_RECV => self.notifier.recv(argument),
            IOCTL_NOTIF_SEND => self.notifier.send(argument),
            IOCTL_NOTIF_ID_VALID | IOCTL_NOTIF_ID_VALID_WRONG_DIR => {
                self.notifier.id_valid(argument)
            }
            _ if command & !SIZE_MASK == IOCTL_NOTIF_ADDFD & !SIZE_MASK => self
                .notifier
                .addfd(argument, ((command & SIZE_MASK) >> 16) as usize),
            _ => Err(Errno::EINVAL),
        }
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn seek_policy(&self) -> crate::fs::file::SeekPolicy {
        crate::fs::file::SeekPolicy::NoMove
    }

    fn is_anon_inode(&self) -> bool {
        true
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("seccomp notify")
    }

    fn metadata(&self) -> Metadata {
        crate::fs::eventfd::anon_inode_metadata()
    }
}
