//! BSD process accounting (Linux 6.1 `kernel/acct.c` with CONFIG_BSD_PROCESS_ACCT_V3, as
//! Debian builds it): acct(2) names a regular file, opened for appending, and from then on each
//! process that ends appends one `struct acct_v3` record to it (the `acct` crate builds the
//! record); acct(NULL) turns accounting off.
//!
//! As in Linux, replacing or closing the accounting file first writes a record for the caller
//! itself (`acct_pin_kill` runs `do_acct_process` for the current task), and records are
//! silently dropped while the file's filesystem has less than 2% of its blocks available,
//! until it has 4% again (`check_free_space`, which Linux re-checks at most every 30 s; here at
//! every record). One accounting file for the whole system (Ferrux has one pid namespace).
//! Not kept: `ac_io`, `ac_rw`, `ac_swaps` (0 in Linux too), major faults (none without swap or
//! disk-backed mappings), and ASU (Linux's PF_SUPERPRIV is not tracked).
//!
//! Lock: `acct` (a sleeping mutex) guards the file and the suspended flag; the record is written
//! with it held, after the exiting process has released its own locks, so that records do not
//! interleave (Linux's `acct->lock`). It comes before `file.pos`, the tmpfs inode lock and
//! whatever a write takes.

use crate::fs::file::OpenFile;
use crate::process::exit::ExitStatus;
use crate::process::{Process, Thread};
use abi::Errno;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use hal::sync::Mutex;
use zerocopy::IntoBytes;

struct Accounting {
    file: Option<Arc<OpenFile>>,
    /// Writing is suspended for want of space.
    is_suspended: bool,
}

static ACCOUNTING: Mutex<Accounting> = Mutex::new(
    "acct",
    Accounting {
        file: None,
        is_suspended: false,
    },
);

/// What the exiting (or calling) process contributes to its record.
pub struct Ending<'a> {
    pub process: &'a Arc<Process>,
    pub thread: &'a Thread,
    pub status: Option<ExitStatus>,
    /// Virtual memory size in KiB (taken before the address space goes).
    pub memory_kib: u64,
}

/// Whether accounting is on (cheap: exit skips the record building otherwise).
pub fn is_active() -> bool {
    ACCOUNTING.lock().file.is_some()
}

/// `check_free_space`: below 2% of the blocks available, stop; from 4%, resume.
fn has_space(state: &mut Accounting, file: &OpenFile) -> bool {
    let Some(path) = &file.path else {
        return true;
    };
    let numbers = path.superblock().fs().statfs();
    if numbers.blocks == 0 {
        return true;
    }
    let percent = numbers.blocks_avail.saturating_mul(100) / numbers.blocks;
    if state.is_suspended {
        if percent >= 4 {
            state.is_suspended = false;
        }
    } else if percent < 2 {
        state.is_suspended = true;
    }
    !state.is_suspended
}

/// Builds and appends the record of `ending` to `file`.
fn write_record(state: &mut Accounting, file: &Arc<OpenFile>, ending: &Ending<'_>) {
    if !has_space(state, file) {
        return;
    }
    let process = ending.process;
    let (uid, gid) = {
        let credentials = process.credentials.lock();
        (credentials.uid, credentials.gid)
    };
    let ppid = process
        .parent
        .lock()
        .upgrade()
        .map_or(0, |parent| parent.pid);
    let (user_ns, system_ns) = process.cpu_times_ns();
    let mut flags = 0;
    if !process.flags.lock().has_execed {
        flags |= bsdacct::AFORK;
    }
    let exit_code = match ending.status {
        Some(ExitStatus::Signal(signal)) => {
            flags |= bsdacct::AXSIG;
            u32::from(signal)
        }
        Some(ExitStatus::CoreDumped(signal)) => {
            flags |= bsdacct::AXSIG | bsdacct::ACORE;
            u32::from(signal)
        }
        Some(status) => status.wait_status(),
        None => 0,
    };
    let tty = crate::tty::job::controlling_tty(process).map_or(0, |tty| {
        // `old_encode_dev`: major << 8 | minor, 16 bits.
        let (major, minor) = abi::dev::new_decode_dev(tty.rdev);
        ((major & 0xff) << 8 | (minor & 0xff)) as u16
    });
    let comm = ending.thread.name();
    let length = comm
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(comm.len());
    let record = bsdacct::AcctV3::new(&bsdacct::Facts {
        flags,
        tty,
        exit_code,
        uid,
        gid,
        pid: process.pid,
        ppid,
        now_sec: crate::time::realtime_ns() / 1_000_000_000,
        run_ns: crate::time::monotonic_ns().saturating_sub(process.start_time_ns),
        user_ns,
        system_ns,
        memory_kib: ending.memory_kib,
        minor_faults: process.stats.minor_faults.load(Ordering::Relaxed),
        major_faults: 0,
        comm: &comm[..length],
    });
    // O_APPEND: each record goes at the end; a failed write loses the record, as in Linux.
    let _ = file.write(record.as_bytes());
}

/// `acct_process`: the record of a process whose last thread is exiting.
pub fn process_exited(ending: &Ending<'_>) {
    let mut state = ACCOUNTING.lock();
    if let Some(file) = state.file.clone() {
        write_record(&mut state, &file, ending);
    }
}

/// `acct(2)` after the capability check: installs `file` (or, with `None`, turns accounting
/// off), first writing the caller's record to the file being replaced.
pub fn switch(file: Option<Arc<OpenFile>>, caller: &Arc<Thread>) {
    let old = {
        let mut state = ACCOUNTING.lock();
        let old = state.file.take();
        if let Some(old) = &old {
            let memory_kib = caller.process.mm.get().read().mapped_bytes_total() / 1024;
            write_record(
                &mut state,
                old,
                &Ending {
                    process: &caller.process,
                    thread: caller,
                    status: None,
                    memory_kib,
                },
            );
        }
        state.file = file;
        state.is_suspended = false;
        old
    };
    // Closing the old file may take locks of its own: after `acct` is released.
    drop(old);
}

/// Opens `path` for accounting (`acct_on`): for writing and appending, as the caller; anything
/// but a regular file is EACCES.
pub fn open(thread: &Thread, path: &[u8]) -> Result<Arc<OpenFile>, Errno> {
    use abi::OpenFlags;
    let flags = OpenFlags::O_WRONLY | OpenFlags::O_APPEND | OpenFlags::O_LARGEFILE;
    let charge = crate::fs::file_table::charge_for(thread)?;
    let opened = crate::fs::with_walk(
        thread,
        crate::syscall::args::Fd(crate::fs::AT_FDCWD),
        path,
        |ctx, start| vfs::namei::open(ctx, start, path, flags.bits(), 0),
    )?;
    if opened.path.inode().file_type() != vfs::FileType::Regular {
        return Err(Errno::EACCES);
    }
    crate::fs::open_dentry_noctty(opened.path, flags, true, charge)
}
