//! Sessions and job control on a terminal (Linux `drivers/tty/tty_jobctrl.c`): the session a
//! tty controls and its foreground process group (`tty->ctrl`), and the rules of the ioctls
//! that read and change them (`TIOCSCTTY`, `TIOCNOTTY`, `TIOCGPGRP`, `TIOCSPGRP`, `TIOCGSID`),
//! the background check that answers SIGTTIN and SIGTTOU (`tty_check_change`), and what
//! happens when the session leader exits (`disassociate_ctty`).
//!
//! A process's controlling terminal (Linux's `signal->tty`) is derived: the session table
//! ([`session_tty`]) names the tty each session has, and a tty controls the processes of its
//! session except those that gave it up with TIOCNOTTY (`ProcessFlags::has_detached_tty`).
//! Linux attaches the tty only to the leader and to children forked afterwards; processes of
//! the session forked before TIOCSCTTY count here too.
//!
//! Locking: the session table is a spin lock (`tty.sessions`) taken after a tty's state.
//!
//! Not done: `tty_old_pgrp`, SIGHUP of newly orphaned stopped groups at exit.

use super::Tty;
use crate::process::{Pid, Process, Thread, table};
use crate::signal;
use abi::Errno;
use abi::signal::{SI_KERNEL, SI_USER, SigInfo};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use hal::sync::SpinLock;
use sigrules::{SIGCONT, SIGHUP, SIGTTIN, bit};

/// The session a tty controls and its foreground group (`tty->ctrl.session`, `ctrl.pgrp`).
#[derive(Clone, Copy, Debug, Default)]
pub struct JobControl {
    pub session: Option<Pid>,
    pub pgrp: Option<Pid>,
}

/// Which tty each session has (Linux keeps it in every process's `signal->tty`).
static SESSIONS: SpinLock<Vec<(Pid, Weak<Tty>)>> = SpinLock::new("tty.sessions", Vec::new());

/// The tty session `sid` has, if any.
pub fn session_tty(sid: Pid) -> Option<Arc<Tty>> {
    let mut sessions = SESSIONS.lock();
    sessions.retain(|(_, tty)| tty.strong_count() > 0);
    sessions
        .iter()
        .find(|(session, _)| *session == sid)
        .and_then(|(_, tty)| tty.upgrade())
}

/// Records that session `sid` has `tty` (`__proc_set_tty`).
pub fn attach_session(sid: Pid, tty: &Arc<Tty>) -> Result<(), Errno> {
    let mut sessions = SESSIONS.lock();
    sessions.retain(|(session, tty)| *session != sid && tty.strong_count() > 0);
    sessions.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    sessions.push((sid, Arc::downgrade(tty)));
    Ok(())
}

/// Session `sid` no longer has a tty (`session_clear_tty`).
pub fn detach_session(sid: Pid) {
    let removed: Vec<_> = {
        let mut sessions = SESSIONS.lock();
        let (gone, kept): (Vec<_>, Vec<_>) = core::mem::take(&mut *sessions)
            .into_iter()
            .partition(|(session, _)| *session == sid);
        *sessions = kept;
        gone
    };
    drop(removed);
}

/// The controlling terminal of `process` (`get_current_tty`).
pub fn controlling_tty(process: &Process) -> Option<Arc<Tty>> {
    let tty = session_tty(process.sid())?;
    let is_controlling = tty.state.lock().job.is_controlling(process);
    is_controlling.then_some(tty)
}

/// What the caller must do after the state lock is released.
#[must_use]
pub enum Followup {
    Nothing,
    /// Send the signal to the process group (kernel-originated).
    SignalGroup(Pid, u32),
    /// TIOCNOTTY by the session leader: SIGHUP then SIGCONT to the old foreground group.
    HangUpGroup(Pid),
}

impl Followup {
    /// Carries out the follow-up (with no tty lock held).
    pub fn run(self) {
        match self {
            Followup::Nothing => {}
            Followup::SignalGroup(pgid, signal) => {
                signal::send_to_group(pgid, SigInfo::new(signal as i32, SI_KERNEL));
            }
            Followup::HangUpGroup(pgid) => {
                let thread = crate::process::current();
                let uid = thread.process.credentials.lock().uid;
                for signal in [SIGHUP, SIGCONT] {
                    let info =
                        SigInfo::from_sender(signal as i32, SI_USER, thread.process.pid, uid);
                    signal::send_to_group(pgid, info);
                }
            }
        }
    }
}

impl JobControl {
    /// Whether this tty is `process`'s controlling terminal.
    pub fn is_controlling(&self, process: &Process) -> bool {
        self.session == Some(process.sid()) && !process.flags.lock().has_detached_tty
    }

    /// `__tty_check_change`: a background process of the tty's session that changes the tty
    /// (or reads, for SIGTTIN) gets `signal` sent to its group and the call restarts after it
    /// (`ERESTARTSYS`); if the signal is blocked or ignored the change is allowed (a read gets
    /// EIO); an orphaned group gets EIO.
    pub fn check_change(&self, thread: &Arc<Thread>, signal: u32) -> Result<Followup, Errno> {
        let process = &thread.process;
        if !self.is_controlling(process) {
            return Ok(Followup::Nothing);
        }
        let Some(foreground) = self.pgrp else {
            return Ok(Followup::Nothing);
        };
        let pgid = process.pgid();
        if pgid == foreground {
            return Ok(Followup::Nothing);
        }
        let is_blocked = thread.signal_mask.load(Ordering::Relaxed) & bit(signal) != 0;
        let is_ignored =
            process.signals.get().lock().action(signal).handler == abi::signal::SIG_IGN;
        if is_blocked || is_ignored {
            return if signal == SIGTTIN {
                Err(Errno::EIO)
            } else {
                Ok(Followup::Nothing)
            };
        }
        if table::is_orphaned_group(pgid, None) {
            return Err(Errno::EIO);
        }
        Ok(Followup::SignalGroup(pgid, signal))
    }

    /// TIOCSCTTY's rules (`tiocsctty`): a session leader without a controlling terminal
    /// (`has_other_tty`: its session has another one) takes this one. `steal` (argument 1)
    /// lets a privileged caller take it from another session; `is_readable` is whether the
    /// caller's descriptor was opened for reading. Returns the session it was taken from.
    pub fn set_controlling(
        &mut self,
        process: &Process,
        has_other_tty: bool,
        steal: bool,
        is_readable: bool,
    ) -> Result<Option<Pid>, Errno> {
        let is_leader = process.is_session_leader();
        if is_leader && self.session == Some(process.sid()) {
            return Ok(None);
        }
        if !is_leader || has_other_tty {
            return Err(Errno::EPERM);
        }
        let is_capable = process
            .credentials
            .lock()
            .has_capability(abi::capability::CAP_SYS_ADMIN);
        let stolen = self.session;
        if stolen.is_some() && !(steal && is_capable) {
            return Err(Errno::EPERM);
        }
        if !is_readable && !is_capable {
            return Err(Errno::EPERM);
        }
        self.session = Some(process.sid());
        self.pgrp = Some(process.pgid());
        process.flags.lock().has_detached_tty = false;
        Ok(stolen)
    }

    /// TIOCNOTTY: gives the controlling terminal up. For the session leader the whole session
    /// loses it and the foreground group gets SIGHUP and SIGCONT.
    pub fn give_up(&mut self, process: &Process) -> Result<Followup, Errno> {
        if !self.is_controlling(process) {
            return Err(Errno::ENOTTY);
        }
        if !process.is_session_leader() {
            process.flags.lock().has_detached_tty = true;
            return Ok(Followup::Nothing);
        }
        let foreground = self.pgrp;
        *self = JobControl::default();
        Ok(foreground.map_or(Followup::Nothing, Followup::HangUpGroup))
    }

    /// TIOCGPGRP: the foreground group (0 if none); ENOTTY unless this is the caller's tty.
    pub fn foreground(&self, process: &Process) -> Result<Pid, Errno> {
        if !self.is_controlling(process) {
            return Err(Errno::ENOTTY);
        }
        Ok(self.pgrp.unwrap_or(0))
    }

    /// TIOCGSID.
    pub fn session_id(&self, process: &Process) -> Result<Pid, Errno> {
        if !self.is_controlling(process) {
            return Err(Errno::ENOTTY);
        }
        self.session.ok_or(Errno::ENOTTY)
    }

    /// TIOCSPGRP after the background check and the argument read: `pgrp` must name a
    /// process group — or a process — of the caller's session.
    pub fn set_foreground(&mut self, process: &Process, pgrp: i32) -> Result<(), Errno> {
        if pgrp < 0 {
            return Err(Errno::EINVAL);
        }
        if !self.is_controlling(process) || self.session != Some(process.sid()) {
            return Err(Errno::ENOTTY);
        }
        // Pid 0 (the group init starts in) is no pid `find_vpid` finds.
        if pgrp == 0 {
            return Err(Errno::ESRCH);
        }
        let pgrp = pgrp as Pid;
        let session = table::session_of_group(pgrp)
            .or_else(|| table::find_process_by_task_id(pgrp).map(|other| other.sid()))
            .ok_or(Errno::ESRCH)?;
        if session != process.sid() {
            return Err(Errno::EPERM);
        }
        self.pgrp = Some(pgrp);
        Ok(())
    }

    /// The session leader `process` is exiting: if this tty controls its session, the
    /// foreground group gets SIGHUP and the tty is free again (`disassociate_ctty(1)`: for a
    /// pty, and for the console, whose files opened as /dev/console are not hung up).
    pub fn leader_exit(&mut self, process: &Process) -> Followup {
        if self.session != Some(process.sid()) {
            return Followup::Nothing;
        }
        let foreground = self.pgrp;
        *self = JobControl::default();
        foreground.map_or(Followup::Nothing, |pgid| {
            Followup::SignalGroup(pgid, SIGHUP)
        })
    }
}

/// The session leader `process` exits: its session's terminal, if any, lets it go
/// (`disassociate_ctty(1)`).
pub fn session_leader_exit(process: &Process) {
    let Some(tty) = session_tty(process.sid()) else {
        return;
    };
    let followup = tty.state.lock().job.leader_exit(process);
    detach_session(process.sid());
    followup.run();
}

/// `__tty_hangup` (`tty_vhangup`): the files open on `tty` are hung up (reads see end of
/// file, writes `EIO`), pending input is dropped, the session it controls loses it and that
/// session's leader gets SIGHUP and SIGCONT. The tty itself stays usable for new opens.
pub fn hang_up(tty: &Arc<Tty>) {
    let session = {
        let mut state = tty.state.lock();
        state.hangups += 1;
        state.flip.clear();
        state.ldisc.flush_input();
        let session = state.job.session;
        state.job = JobControl::default();
        session
    };
    if let Some(sid) = session {
        detach_session(sid);
        signal_session_leader(sid);
    }
    tty.read_wait.wake_all();
    tty.write_wait.wake_all();
}

/// Sends `signal` from the kernel to every process of session `sid` that leads it
/// (`tty_signal_session_leader`'s SIGHUP and SIGCONT to the leader on a hang-up).
pub fn signal_session_leader(sid: Pid) {
    if let Some(leader) = table::find_process(sid)
        && leader.is_session_leader()
    {
        for signal in [SIGHUP, SIGCONT] {
            signal::send_to_process(&leader, SigInfo::new(signal as i32, SI_KERNEL));
        }
    }
}
