//! Sessions and job control on a terminal (Linux `drivers/tty/tty_jobctrl.c`): the session a
//! tty controls and its foreground process group (`tty->ctrl`), and the ioctls that read and
//! change them (`TIOCSCTTY`, `TIOCNOTTY`, `TIOCGPGRP`, `TIOCSPGRP`, `TIOCGSID`), the background
//! check that answers SIGTTOU (`tty_check_change`), and the hang-up when the session leader
//! exits (`disassociate_ctty`).
//!
//! A process's controlling terminal (Linux's `signal->tty`) is derived: a tty controls the
//! processes of the session it is attached to, except those that gave it up with TIOCNOTTY
//! (`ProcessFlags::has_detached_tty`). Linux attaches the tty only to the leader and to children
//! forked afterwards; processes of the session forked before TIOCSCTTY count here too.
//!
//! Not done: `tty_old_pgrp`, SIGHUP of newly orphaned stopped groups at exit.

use crate::process::{Pid, Process, Thread, table};
use crate::signal;
use abi::Errno;
use abi::signal::{SI_KERNEL, SI_USER, SigInfo};
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use sigrules::{SIGCONT, SIGHUP, SIGTTIN, bit};

/// The session a tty controls and its foreground group (`tty->ctrl.session`, `ctrl.pgrp`).
#[derive(Clone, Copy, Debug, Default)]
pub struct JobControl {
    pub session: Option<Pid>,
    pub pgrp: Option<Pid>,
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

    /// TIOCSCTTY: a session leader without a controlling terminal takes this one. `steal`
    /// (argument 1) lets a privileged caller take it from another session; `is_readable` is
    /// whether the caller's descriptor was opened for reading.
    pub fn set_controlling(
        &mut self,
        process: &Process,
        steal: bool,
        is_readable: bool,
    ) -> Result<(), Errno> {
        let is_leader = process.is_session_leader();
        if is_leader && self.session == Some(process.sid()) {
            return Ok(());
        }
        // A leader's controlling tty, if any, is this one (the console is the only tty).
        if !is_leader {
            return Err(Errno::EPERM);
        }
        let is_capable = process.credentials.lock().is_capable();
        if self.session.is_some() && !(steal && is_capable) {
            return Err(Errno::EPERM);
        }
        if !is_readable && !is_capable {
            return Err(Errno::EPERM);
        }
        self.session = Some(process.sid());
        self.pgrp = Some(process.pgid());
        process.flags.lock().has_detached_tty = false;
        Ok(())
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
    /// foreground group gets SIGHUP and the tty is free again (`disassociate_ctty(1)` with
    /// `tty_vhangup_session`; files opened as /dev/console are not hung up).
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
