//! The file operations of every terminal (Linux 6.1 `drivers/tty/tty_io.c`, `tty_ioctl.c`,
//! `tty_jobctrl.c` and the kernel side of `n_tty.c`): an open terminal is a [`TtyFile`] on a
//! [`Tty`].
//!
//! - Input: bytes from the device wait in the tty's flip buffer and go through the line
//!   discipline ([`Tty::pump_input`]) when the tty is read or polled, and as soon as they
//!   arrive from a pty writer (so ^C reaches a program that does not read). Echo goes to the
//!   device; signal characters signal the foreground group; ^S/^Q stop and restart output.
//! - read (`n_tty_read`): canonical mode returns one line; raw mode follows `VMIN`/`VTIME`
//!   (MIN > 0, TIME 0: wait for MIN bytes; both > 0: TIME tenths of a second after each byte;
//!   MIN 0: wait at most TIME, returning what came). A pty master in packet mode returns a
//!   status byte alone or a 0 byte before data. `EIO` once the other side of a pty is closed
//!   and nothing is left; `EAGAIN` with O_NONBLOCK; `ERESTARTSYS` on a signal.
//! - write (`n_tty_write`): through output processing to the device; a pty writer waits while
//!   the other side's flip buffer is full or output is stopped. A pty master writes even with
//!   no slave open (the slave keeps what came until it is read).
//! - Job control: on a pty, a background read gets SIGTTIN and a background write with
//!   `TOSTOP` SIGTTOU (`job_control`, `tty_check_change`); files opened as `/dev/console` are
//!   exempt, and so is the console's single object here.
//! - Hang-up (a pty master closing): files of the slave opened before it read end of file,
//!   write `EIO`, poll everything and answer ioctls with `EIO` (`hung_up_tty_fops`).
//! - ioctl: termios (`TCGETS`, `TCSETS*`, and System V's `TCGETA`, `TCSETA*`), window size (`TIOCGWINSZ`, `TIOCSWINSZ` with
//!   SIGWINCH to the foreground group when it changes), `FIONREAD`, `TIOCOUTQ`, `TCFLSH`,
//!   `TCXONC`, `TIOCSTI`, `TIOCEXCL`/`TIOCNXCL`/`TIOCGEXCL`, `TIOCGETD`/`TIOCSETD`, `TCSBRK`,
//!   job control (`TIOCSCTTY`, `TIOCNOTTY`, `TIOCGPGRP`, `TIOCSPGRP`, `TIOCGSID`), and the pty
//!   master's own (`super::pty`). On a pty master, termios, window-size and job-control
//!   ioctls act on the slave (`tty_pair_get_tty`).

use super::job::{self, Followup};
use super::pty::PtyPair;
use super::termios::{Termio, Termios, WinSize};
use super::{Driver, FLIP_LIMIT, Tty};
use crate::fs::devices::OpenRequest;
use crate::fs::file::FileOps;
use crate::fs::poll::{
    POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM, PollTable, poll_wait,
};
use crate::process::Process;
use crate::sched::SleepKind;
use crate::sched::wait::{WaitError, wait_event};
use abi::Errno;
use abi::ioctl::{
    FIONREAD, TCFLSH, TCGETA, TCGETS, TCSBRK, TCSBRKP, TCSETA, TCSETAF, TCSETAW, TCSETS, TCSETSF,
    TCSETSW, TCXONC, TIOCEXCL, TIOCGETD, TIOCGEXCL, TIOCGPGRP, TIOCGSID, TIOCGWINSZ, TIOCNOTTY,
    TIOCNXCL, TIOCOUTQ, TIOCSCTTY, TIOCSETD, TIOCSPGRP, TIOCSTI, TIOCSWINSZ, pkt,
};
use abi::signal::{SI_KERNEL, SigInfo};
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::usercopy::{read_user, write_user};
use ntty::{Effects, SignalChar};
use sigrules::{SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH};
use vfs::{FileType, Metadata, Timespec};

const TCOOFF: u64 = 0;
const TCOON: u64 = 1;
const TCIOFF: u64 = 2;
const TCION: u64 = 3;
const TCIFLUSH: u64 = 0;
const TCOFLUSH: u64 = 1;
const TCIOFLUSH: u64 = 2;
/// Bytes processed for output at a time.
const WRITE_CHUNK: usize = 2048;

fn now_ns() -> u64 {
    crate::time::monotonic_ns()
}

impl Tty {
    /// Appends bytes from the device to the flip buffer, up to [`FLIP_LIMIT`] (the rest is
    /// lost, as when Linux's tty buffer is full); returns how many were taken and wakes
    /// readers.
    pub fn receive_bytes(&self, bytes: &[u8]) -> usize {
        let taken = {
            let mut state = self.state.lock();
            let room = FLIP_LIMIT.saturating_sub(state.flip.len());
            let taken = bytes.len().min(room);
            if state.flip.try_reserve(taken).is_err() {
                return 0;
            }
            state.flip.extend(&bytes[..taken]);
            taken
        };
        if taken > 0 {
            self.read_wait.wake_all();
        }
        taken
    }

    /// Room left in the flip buffer.
    fn flip_room(&self) -> usize {
        FLIP_LIMIT.saturating_sub(self.state.lock().flip.len())
    }

    /// The other side of a pty.
    fn peer(&self) -> Option<(Arc<PtyPair>, Arc<Tty>)> {
        let pair = self.pair()?;
        let peer = match self.driver {
            Driver::PtyMaster => pair.slave.clone(),
            _ => pair.master.clone(),
        };
        Some((pair, peer))
    }

    /// The tty termios, window size and job-control ioctls act on (`tty_pair_get_tty`): the
    /// slave for a pty master.
    fn real_tty(self: &Arc<Self>) -> Arc<Tty> {
        match (self.driver, self.peer()) {
            (Driver::PtyMaster, Some((_, slave))) => slave,
            _ => self.clone(),
        }
    }

    /// Runs the flip buffer through the line discipline while it has room, then acts on what
    /// that asked for (echo to the device, signals, flow control).
    pub fn pump_input(self: &Arc<Self>) {
        if self.driver == Driver::Console {
            super::console::drain_uart(self);
        }
        let mut effects = Effects::default();
        let consumed = {
            let mut guard = self.state.lock();
            let state = &mut *guard;
            let termios = state.termios;
            let mut consumed = 0;
            while let Some(&byte) = state.flip.front() {
                if !state.ldisc.receive(&termios, byte, &mut effects) {
                    break;
                }
                state.flip.pop_front();
                consumed += 1;
            }
            consumed
        };
        if consumed == 0 {
            return;
        }
        self.read_wait.wake_all();
        // n_tty_receive_buf_common's kill_fasync.
        self.fasync.kill(crate::fs::fasync::POLL_IN);
        // Room in our flip buffer: the other side's writers may go on (tty_wakeup).
        if let Some((_, peer)) = self.peer() {
            peer.write_wait.wake_all();
            peer.fasync.kill(crate::fs::fasync::POLL_OUT);
        }
        self.apply_effects(effects);
    }

    /// Acts on what the line discipline asked for.
    fn apply_effects(self: &Arc<Self>, effects: Effects) {
        if !effects.output.is_empty() {
            self.device_write(&effects.output);
        }
        if effects.flushed_input {
            // isig without NOFLSH also flushes the output (tty_driver_flush_buffer).
            self.flushed(true, true);
        }
        if let Some(is_stopped) = effects.flow {
            self.flow_changed(is_stopped);
        }
        if let Some(signal) = effects.signal {
            let signal = match signal {
                SignalChar::Interrupt => SIGINT,
                SignalChar::Quit => SIGQUIT,
                SignalChar::Suspend => SIGTSTP,
            };
            let pgrp = self.state.lock().job.pgrp;
            if let Some(pgrp) = pgrp {
                Followup::SignalGroup(pgrp, signal).run();
            }
        }
    }

    /// Output was stopped or restarted (`stop_tty`, `start_tty`): a slave tells a master in
    /// packet mode (`pty_stop`, `pty_start`); writers may go on after a restart.
    pub fn flow_changed(self: &Arc<Self>, is_stopped: bool) {
        if self.driver == Driver::PtySlave
            && let Some(pair) = self.pair()
        {
            let mut ctrl = pair.ctrl.lock();
            if ctrl.packet {
                if is_stopped {
                    ctrl.pktstatus &= !pkt::START;
                    ctrl.pktstatus |= pkt::STOP;
                } else {
                    ctrl.pktstatus &= !pkt::STOP;
                    ctrl.pktstatus |= pkt::START;
                }
                drop(ctrl);
                pair.master.read_wait.wake_all();
            }
        }
        if !is_stopped {
            self.write_wait.wake_all();
        }
    }

    /// Input and/or output were flushed: a pty's output flush empties the other side's flip
    /// buffer (`pty_flush_buffer`), and a slave tells a master in packet mode.
    fn flushed(self: &Arc<Self>, is_input: bool, is_output: bool) {
        let Some((pair, peer)) = self.peer() else {
            return;
        };
        if is_output {
            peer.state.lock().flip.clear();
            self.write_wait.wake_all();
        }
        if self.driver == Driver::PtySlave {
            let mut ctrl = pair.ctrl.lock();
            if ctrl.packet {
                if is_input {
                    ctrl.pktstatus |= pkt::FLUSHREAD;
                }
                if is_output {
                    ctrl.pktstatus |= pkt::FLUSHWRITE;
                }
                drop(ctrl);
                pair.master.read_wait.wake_all();
            }
        }
    }

    /// Writes processed bytes to the device: the UART, or the other side's flip buffer (whose
    /// line discipline then runs, so its signal characters act at once).
    fn device_write(self: &Arc<Self>, bytes: &[u8]) -> usize {
        match self.peer() {
            None => {
                hal::console::write_raw(bytes);
                bytes.len()
            }
            Some((_, peer)) => {
                let taken = peer.receive_bytes(bytes);
                peer.pump_input();
                taken
            }
        }
    }

    /// Room on the device for output: unlimited on the console, the other side's flip buffer
    /// on a pty.
    fn device_room(&self) -> usize {
        match self.peer() {
            None => usize::MAX,
            Some((_, peer)) => peer.flip_room(),
        }
    }

    /// `tty_check_change` for the calling thread: SIGTTIN/SIGTTOU to a background group and
    /// `ERESTARTSYS` so the call runs again once it is continued; `EIO` when it cannot.
    fn check_change(&self, signal: u32) -> Result<(), Errno> {
        let thread = crate::process::current();
        let followup = self.state.lock().job.check_change(&thread, signal)?;
        match followup {
            Followup::Nothing => Ok(()),
            followup => {
                followup.run();
                Err(Errno::ERESTARTSYS)
            }
        }
    }

    /// Sets the window size (`tty_do_resize`): SIGWINCH to the foreground group if it changed.
    fn resize(&self, window: WinSize) {
        let pgrp = {
            let mut state = self.state.lock();
            if state.window == window {
                return;
            }
            state.window = window;
            state.job.pgrp
        };
        if let Some(pgrp) = pgrp {
            crate::signal::send_to_group(pgrp, SigInfo::new(SIGWINCH as i32, SI_KERNEL));
        }
    }

    /// Sets the termios (`tty_set_termios`), flushing input first for `TCSETSF`. A pty
    /// forces 8 bits and no parity (`pty_set_termios`) and a slave tells a master in packet
    /// mode when ^S/^Q flow control comes or goes.
    fn set_termios(self: &Arc<Self>, mut termios: Termios, is_flush: bool) {
        use super::termios::{CREAD, CS8};
        const CSIZE: u32 = abi::raw::general::CSIZE;
        const PARENB: u32 = abi::raw::general::PARENB;
        const IXON: u32 = abi::raw::general::IXON;
        const VSTART: usize = abi::raw::general::VSTART as usize;
        const VSTOP: usize = abi::raw::general::VSTOP as usize;
        if self.is_pty() {
            termios.c_cflag &= !(CSIZE | PARENB);
            termios.c_cflag |= CS8 | CREAD;
        }
        let (old, effects) = {
            let mut guard = self.state.lock();
            let state = &mut *guard;
            if is_flush {
                state.ldisc.flush_input();
            }
            let old = state.termios;
            state.termios = termios;
            (old, state.ldisc.set_termios(&old, &termios))
        };
        if is_flush {
            self.flushed(true, false);
        }
        if self.driver == Driver::PtySlave
            && let Some(pair) = self.pair()
        {
            let flow = |t: &Termios| {
                t.c_iflag & IXON != 0 && t.c_cc[VSTOP] == 0x13 && t.c_cc[VSTART] == 0x11
            };
            let (old_flow, new_flow) = (flow(&old), flow(&termios));
            let mut ctrl = pair.ctrl.lock();
            if ctrl.packet && old_flow != new_flow {
                ctrl.pktstatus &= !(pkt::DOSTOP | pkt::NOSTOP);
                ctrl.pktstatus |= if new_flow { pkt::DOSTOP } else { pkt::NOSTOP };
                drop(ctrl);
                pair.master.read_wait.wake_all();
            }
        }
        if let Some(is_stopped) = effects.flow {
            self.flow_changed(is_stopped);
        }
        // A change of mode may make input readable (or let the flip buffer in).
        self.read_wait.wake_all();
        self.pump_input();
    }

    /// `TIOCSCTTY` (`tiocsctty`) for `process`.
    fn set_controlling(
        self: &Arc<Self>,
        process: &Process,
        steal: bool,
        is_readable: bool,
    ) -> Result<(), Errno> {
        let other = job::session_tty(process.sid()).filter(|tty| !Arc::ptr_eq(tty, self));
        let has_other_tty = other
            .as_ref()
            .is_some_and(|tty| tty.state.lock().job.is_controlling(process));
        let stolen =
            self.state
                .lock()
                .job
                .set_controlling(process, has_other_tty, steal, is_readable)?;
        if let Some(old) = stolen
            && old != process.sid()
        {
            job::detach_session(old);
        }
        job::attach_session(process.sid(), self)
    }
}

/// An open of a terminal without O_NOCTTY: a session leader with no controlling terminal gets
/// this one if no session has it (`tty_open_proc_set_tty`).
pub fn acquire_on_open(tty: &Arc<Tty>, process: &Process) {
    if !process.is_session_leader() || job::controlling_tty(process).is_some() {
        return;
    }
    let is_free = tty.state.lock().job.session.is_none();
    if is_free {
        let _ = tty.set_controlling(process, false, true);
    }
}

/// An open terminal (Linux's tty `struct file` with its `tty_file_private`).
pub struct TtyFile {
    tty: Arc<Tty>,
    pair: Option<Arc<PtyPair>>,
    /// The tty's hang-ups when this was opened.
    opened_at: u64,
    /// Opened as the console (`redirected_tty_write`): never stopped by job control.
    is_console: bool,
}

impl TtyFile {
    /// A file on the console.
    pub fn open_console(tty: Arc<Tty>, is_console: bool) -> Arc<dyn FileOps> {
        let opened_at = tty.state.lock().hangups;
        Arc::new(TtyFile {
            tty,
            pair: None,
            opened_at,
            is_console,
        })
    }

    /// A file on a pty side whose open was already counted.
    pub fn open_pty(tty: Arc<Tty>, pair: Arc<PtyPair>) -> TtyFile {
        let opened_at = tty.state.lock().hangups;
        TtyFile {
            tty,
            pair: Some(pair),
            opened_at,
            is_console: false,
        }
    }

    /// `/dev/tty`: another file on the caller's controlling terminal (`tty_reopen`).
    pub fn reopen(tty: &Arc<Tty>, request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
        let _ = request;
        match tty.driver {
            Driver::Console => Ok(TtyFile::open_console(tty.clone(), true)),
            Driver::PtyMaster => Err(Errno::EIO),
            Driver::PtySlave => {
                let pair = tty.pair().ok_or(Errno::EIO)?;
                super::pty::count_slave_open(&pair)?;
                Ok(Arc::new(TtyFile::open_pty(tty.clone(), pair)))
            }
        }
    }

    /// The terminal.
    pub fn tty(&self) -> &Arc<Tty> {
        &self.tty
    }

    /// The pty pair, for a pty file.
    pub fn pty(&self) -> Option<&Arc<PtyPair>> {
        self.pair.as_ref()
    }

    fn is_hung_up(&self) -> bool {
        self.tty.state.lock().hangups != self.opened_at
    }

    fn is_packet_master(&self) -> bool {
        self.tty.driver == Driver::PtyMaster
            && self
                .pair
                .as_ref()
                .is_some_and(|pair| pair.ctrl.lock().packet)
    }

    /// Takes a pending packet status (a master in packet mode).
    fn take_packet_status(&self) -> Option<u8> {
        if self.tty.driver != Driver::PtyMaster {
            return None;
        }
        let pair = self.pair.as_ref()?;
        let mut ctrl = pair.ctrl.lock();
        if !ctrl.packet || ctrl.pktstatus == 0 {
            return None;
        }
        Some(core::mem::take(&mut ctrl.pktstatus))
    }

    /// Whether a read would find something, for a sleeper's condition (spin locks only).
    fn has_news(&self) -> bool {
        let state = self.tty.state.lock();
        if state.hangups != self.opened_at
            || state.is_other_closed
            || !state.flip.is_empty()
            || state.ldisc.is_readable(&state.termios)
        {
            return true;
        }
        drop(state);
        self.tty.driver == Driver::PtyMaster
            && self.pair.as_ref().is_some_and(|pair| {
                let ctrl = pair.ctrl.lock();
                ctrl.packet && ctrl.pktstatus != 0
            })
    }

    /// `n_tty_read`.
    fn read_tty(&self, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let tty = &self.tty;
        if self.is_hung_up() {
            return Ok(0);
        }
        if !self.is_console {
            tty.check_change(SIGTTIN)?;
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let termios = tty.state.lock().termios;
        let is_canon = termios.c_lflag & super::termios::ICANON != 0;
        let (vmin, vtime) = (
            usize::from(termios.c_cc[super::termios::VMIN]),
            u64::from(termios.c_cc[abi::raw::general::VTIME as usize]),
        );
        let tenths_ns = vtime * 100_000_000;
        // Linux: MIN 0 means "wait at most TIME for one byte"; MIN > 0 and TIME > 0 restart
        // the TIME wait after each byte.
        let (minimum, mut deadline, inter_byte_ns) = if is_canon {
            (0, None, None)
        } else if vmin == 0 {
            (1, Some(now_ns() + tenths_ns), None)
        } else if vtime > 0 {
            (vmin, None, Some(tenths_ns))
        } else {
            (vmin, None, None)
        };
        let is_packet = self.is_packet_master();
        let thread = crate::process::current();
        let mut done = 0;
        loop {
            tty.pump_input();
            if let Some(status) = self.take_packet_status() {
                if done == 0 {
                    buf[0] = status;
                    done = 1;
                }
                break;
            }
            enum Step {
                Copied,
                OtherClosed,
                HungUp,
                Empty,
            }
            let step = {
                let mut guard = tty.state.lock();
                let state = &mut *guard;
                let termios = state.termios;
                if state.hangups != self.opened_at {
                    Step::HungUp
                } else if state.ldisc.is_readable(&termios) {
                    if !is_canon && is_packet && done == 0 {
                        buf[0] = pkt::DATA;
                        done = 1;
                    }
                    let (count, _) = state.ldisc.read(&termios, &mut buf[done..]);
                    done += count;
                    Step::Copied
                } else if state.is_other_closed {
                    Step::OtherClosed
                } else {
                    Step::Empty
                }
            };
            match step {
                Step::Copied => {
                    // Room again in the line discipline: let the flip buffer in.
                    tty.pump_input();
                    if is_canon || done >= minimum || done == buf.len() {
                        break;
                    }
                    if let Some(wait_ns) = inter_byte_ns {
                        deadline = Some(now_ns() + wait_ns);
                    }
                    continue;
                }
                Step::HungUp => break,
                Step::OtherClosed => {
                    if done == 0 {
                        return Err(Errno::EIO);
                    }
                    break;
                }
                Step::Empty => {}
            }
            if deadline.is_some_and(|deadline| now_ns() >= deadline) {
                break;
            }
            if is_nonblocking {
                if done == 0 {
                    return Err(Errno::EAGAIN);
                }
                break;
            }
            match wait_event(
                &thread,
                &[&tty.read_wait],
                SleepKind::Interruptible,
                deadline,
                || self.has_news().then_some(()),
            ) {
                Ok(()) => {}
                Err(WaitError::TimedOut) => {}
                Err(WaitError::Interrupted) => {
                    if done == 0 {
                        return Err(Errno::ERESTARTSYS);
                    }
                    break;
                }
            }
        }
        Ok(done)
    }

    /// `n_tty_write`.
    fn write_tty(&self, data: &[u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let tty = &self.tty;
        if self.is_hung_up() {
            return Err(Errno::EIO);
        }
        let termios = tty.state.lock().termios;
        if !self.is_console && termios.c_lflag & super::termios::TOSTOP != 0 {
            tty.check_change(SIGTTOU)?;
        }
        let thread = crate::process::current();
        let mut done = 0;
        while done < data.len() {
            if self.is_hung_up() {
                if done == 0 {
                    return Err(Errno::EIO);
                }
                break;
            }
            let is_stopped = tty.state.lock().ldisc.is_stopped();
            let room = tty.device_room();
            if is_stopped || room == 0 {
                if is_nonblocking {
                    if done == 0 {
                        return Err(Errno::EAGAIN);
                    }
                    break;
                }
                let waited = wait_event(
                    &thread,
                    &[&tty.write_wait],
                    SleepKind::Interruptible,
                    None,
                    || {
                        let state = tty.state.lock();
                        let is_free = !state.ldisc.is_stopped();
                        let is_hung = state.hangups != self.opened_at;
                        drop(state);
                        (is_hung || (is_free && tty.device_room() > 0)).then_some(())
                    },
                );
                if waited.is_err() {
                    if done == 0 {
                        return Err(Errno::ERESTARTSYS);
                    }
                    break;
                }
                continue;
            }
            let mut out = Vec::new();
            let mut taken = 0;
            {
                let mut guard = tty.state.lock();
                let state = &mut *guard;
                let termios = state.termios;
                let limit = room.min(WRITE_CHUNK);
                if out.try_reserve(limit.min(WRITE_CHUNK * 2)).is_err() {
                    return if done == 0 {
                        Err(Errno::ENOMEM)
                    } else {
                        Ok(done)
                    };
                }
                for &byte in &data[done..] {
                    let before = out.len();
                    state.ldisc.process_output(&termios, &[byte], &mut out);
                    if out.len() > limit {
                        out.truncate(before);
                        break;
                    }
                    taken += 1;
                    if out.len() == limit {
                        break;
                    }
                }
            }
            if taken == 0 {
                // Not even one byte's output fits: wait for more room.
                if is_nonblocking {
                    if done == 0 {
                        return Err(Errno::EAGAIN);
                    }
                    break;
                }
                continue;
            }
            tty.device_write(&out);
            done += taken;
        }
        Ok(done)
    }

    /// `n_tty_poll` (and `hung_up_tty_poll`).
    fn poll_tty(&self, mut table: Option<&mut PollTable>) -> u16 {
        let tty = &self.tty;
        if tty.driver == Driver::Console
            && let Some(table) = table.as_deref_mut()
        {
            table.request_tick_recheck();
        }
        poll_wait(&mut table, &tty.read_wait);
        poll_wait(&mut table, &tty.write_wait);
        if self.is_hung_up() {
            return POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM;
        }
        tty.pump_input();
        let mut mask = 0;
        let (is_readable, is_other_closed, is_stopped) = {
            let state = tty.state.lock();
            let termios = state.termios;
            let is_canon = termios.c_lflag & super::termios::ICANON != 0;
            let vmin = usize::from(termios.c_cc[super::termios::VMIN]);
            let vtime = termios.c_cc[abi::raw::general::VTIME as usize];
            let amount = if !is_canon && vtime == 0 && vmin > 0 {
                vmin
            } else {
                1
            };
            let is_readable = if is_canon {
                state.ldisc.is_readable(&termios)
            } else {
                state.ldisc.readable_len(&termios) >= amount
            };
            (is_readable, state.is_other_closed, state.ldisc.is_stopped())
        };
        if is_readable {
            mask |= POLLIN | POLLRDNORM;
        }
        if tty.driver == Driver::PtyMaster
            && let Some(pair) = &self.pair
        {
            let ctrl = pair.ctrl.lock();
            if ctrl.packet && ctrl.pktstatus != 0 {
                mask |= POLLPRI | POLLIN | POLLRDNORM;
            }
        }
        if is_other_closed {
            mask |= POLLHUP;
        }
        if !is_stopped && tty.device_room() > 0 {
            mask |= POLLOUT | POLLWRNORM;
        }
        mask
    }

    /// The ioctls every terminal answers; `None` for one it does not know.
    fn tty_ioctl(&self, command: u32, argument: u64) -> Option<Result<usize, Errno>> {
        let tty = &self.tty;
        let real = tty.real_tty();
        let is_master = tty.driver == Driver::PtyMaster;
        let result = match command {
            TCGETS => {
                let termios = real.state.lock().termios;
                write_user(argument, &termios).map(|()| 0)
            }
            TCSETS | TCSETSW | TCSETSF => (|| {
                real.check_change(SIGTTOU)?;
                let termios: Termios = read_user(argument)?;
                real.set_termios(termios, command == TCSETSF);
                Ok(0)
            })(),
            TCGETA => {
                let termio = Termio::from_termios(&real.state.lock().termios);
                write_user(argument, &termio).map(|()| 0)
            }
            TCSETA | TCSETAW | TCSETAF => (|| {
                // set_termios with TERMIOS_TERMIO: the low halves of the modes and the first
                // NCC characters replace the current settings' (`user_termio_to_kernel_termios`).
                real.check_change(SIGTTOU)?;
                let termio: Termio = read_user(argument)?;
                let termios = termio.apply_to(&real.state.lock().termios);
                real.set_termios(termios, command == TCSETAF);
                Ok(0)
            })(),
            TIOCGWINSZ => {
                let window = real.state.lock().window;
                write_user(argument, &window).map(|()| 0)
            }
            TIOCSWINSZ => read_user::<WinSize>(argument).map(|window| {
                real.resize(window);
                0
            }),
            FIONREAD => {
                tty.pump_input();
                let count = {
                    let state = tty.state.lock();
                    state.ldisc.readable_len(&state.termios) as i32
                };
                write_user(argument, &count).map(|()| 0)
            }
            TIOCOUTQ => write_user(argument, &0i32).map(|()| 0),
            TCFLSH => (|| {
                tty.check_change(SIGTTOU)?;
                let (is_input, is_output) = match argument {
                    TCIFLUSH => (true, false),
                    TCOFLUSH => (false, true),
                    TCIOFLUSH => (true, true),
                    _ => return Err(Errno::EINVAL),
                };
                if is_input {
                    let mut state = tty.state.lock();
                    state.flip.clear();
                    state.ldisc.flush_input();
                }
                tty.flushed(is_input, is_output);
                if let Some((_, peer)) = tty.peer() {
                    peer.write_wait.wake_all();
                }
                Ok(0)
            })(),
            TCXONC => (|| {
                tty.check_change(SIGTTOU)?;
                match argument {
                    TCOOFF | TCOON => {
                        let is_stopped = argument == TCOOFF;
                        let changed = {
                            let mut state = tty.state.lock();
                            let changed = state.ldisc.is_stopped() != is_stopped;
                            state.ldisc.set_stopped(is_stopped);
                            changed
                        };
                        if changed {
                            tty.flow_changed(is_stopped);
                        }
                    }
                    TCIOFF | TCION => {
                        let index = if argument == TCIOFF {
                            abi::raw::general::VSTOP
                        } else {
                            abi::raw::general::VSTART
                        } as usize;
                        let c = tty.state.lock().termios.c_cc[index];
                        if c != 0 {
                            tty.device_write(&[c]);
                        }
                    }
                    _ => return Err(Errno::EINVAL),
                }
                Ok(0)
            })(),
            TIOCSTI => (|| {
                let thread = crate::process::current();
                let is_controlling = job::controlling_tty(&thread.process)
                    .is_some_and(|ctty| Arc::ptr_eq(&ctty, tty));
                if !is_controlling
                    && !thread
                        .process
                        .credentials
                        .lock()
                        .has_capability(abi::capability::CAP_SYS_ADMIN)
                {
                    return Err(Errno::EPERM);
                }
                let byte: u8 = read_user(argument)?;
                tty.receive_bytes(&[byte]);
                tty.pump_input();
                Ok(0)
            })(),
            TIOCEXCL | TIOCNXCL => {
                tty.state.lock().is_exclusive = command == TIOCEXCL;
                Ok(0)
            }
            TIOCGEXCL => {
                let is_exclusive = i32::from(tty.state.lock().is_exclusive);
                write_user(argument, &is_exclusive).map(|()| 0)
            }
            TIOCGETD => write_user(argument, &0i32).map(|()| 0),
            TIOCSETD => read_user::<i32>(argument).and_then(|ldisc| match ldisc {
                0 => Ok(0),
                1..=30 => Err(Errno::EINVAL),
                _ => Err(Errno::EINVAL),
            }),
            TCSBRK | TCSBRKP => Ok(0),
            TIOCSCTTY => {
                let thread = crate::process::current();
                // The descriptor's read access is checked by the ioctl syscall.
                real.set_controlling(&thread.process, argument == 1, true)
                    .map(|()| 0)
            }
            TIOCNOTTY => (|| {
                let thread = crate::process::current();
                if is_master {
                    return Err(Errno::ENOTTY);
                }
                let (followup, was_leader) = {
                    let mut state = tty.state.lock();
                    let was_leader = thread.process.is_session_leader();
                    (state.job.give_up(&thread.process)?, was_leader)
                };
                if was_leader {
                    job::detach_session(thread.process.sid());
                }
                followup.run();
                Ok(0)
            })(),
            TIOCGPGRP => {
                let thread = crate::process::current();
                let pgrp = {
                    let state = real.state.lock();
                    if is_master {
                        Ok(state.job.pgrp.unwrap_or(0))
                    } else {
                        state.job.foreground(&thread.process)
                    }
                };
                pgrp.and_then(|pgrp| write_user(argument, &(pgrp as i32)).map(|()| 0))
            }
            TIOCGSID => {
                let thread = crate::process::current();
                let sid = {
                    let state = real.state.lock();
                    if is_master {
                        state.job.session.ok_or(Errno::ENOTTY)
                    } else {
                        state.job.session_id(&thread.process)
                    }
                };
                sid.and_then(|sid| write_user(argument, &(sid as i32)).map(|()| 0))
            }
            TIOCSPGRP => (|| {
                // tiocspgrp reports an orphaned background group's EIO as ENOTTY.
                real.check_change(SIGTTOU).map_err(|error| {
                    if error == Errno::EIO {
                        Errno::ENOTTY
                    } else {
                        error
                    }
                })?;
                let pgrp: i32 = read_user(argument)?;
                let thread = crate::process::current();
                real.state
                    .lock()
                    .job
                    .set_foreground(&thread.process, pgrp)?;
                Ok(0)
            })(),
            _ => return None,
        };
        Some(result)
    }
}

impl Drop for TtyFile {
    fn drop(&mut self) {
        if let Some(pair) = &self.pair {
            super::pty::release(pair, self.tty.driver);
        }
    }
}

impl FileOps for TtyFile {
    /// `tty_fasync`: a file with no owner yet gets the terminal's foreground process group,
    /// or the caller's process.
    fn fasync(
        &self,
        file: &Arc<crate::fs::file::OpenFile>,
        fd: i32,
        on: bool,
    ) -> Option<Result<(), Errno>> {
        if let Err(error) = self.tty.fasync.helper(file, fd, on) {
            return Some(Err(error));
        }
        if on && file.owner.lock().id == 0 {
            let pgrp = self.tty.state.lock().job.pgrp;
            let result = match (pgrp, crate::process::try_current()) {
                (Some(pgrp), Some(thread)) => crate::fs::fasync::set_owner(
                    file,
                    crate::fs::fasync::OwnerKind::Group,
                    pgrp,
                    &thread.process,
                ),
                (None, Some(thread)) => crate::fs::fasync::set_owner(
                    file,
                    crate::fs::fasync::OwnerKind::Process,
                    thread.process.pid,
                    &thread.process,
                ),
                _ => Ok(()),
            };
            let _ = result;
        }
        Some(Ok(()))
    }

    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        self.read_tty(buf, is_nonblocking)
    }

    fn write(&self, _: u64, data: &[u8], is_nonblocking: bool) -> Result<usize, Errno> {
        self.write_tty(data, is_nonblocking)
    }

    fn poll(&self, table: Option<&mut PollTable>) -> Option<u16> {
        Some(self.poll_tty(table))
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn as_tty(&self) -> Option<&TtyFile> {
        Some(self)
    }

    fn metadata(&self) -> Metadata {
        let zero = Timespec::default();
        Metadata {
            dev: 6,
            ino: 1,
            file_type: FileType::CharDevice,
            mode: 0o600,
            nlink: 1,
            uid: 0,
            gid: 0,
            size: 0,
            rdev: self.tty.rdev,
            blocks: 0,
            blksize: 1024,
            atime: zero,
            mtime: zero,
            ctime: zero,
        }
    }

    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        if self.is_hung_up() {
            return Err(if command == TIOCSPGRP {
                Errno::ENOTTY
            } else {
                Errno::EIO
            });
        }
        if let Some(result) = self.tty_ioctl(command, argument) {
            return result;
        }
        match self.tty.driver {
            Driver::Console => super::console::ioctl(command, argument),
            Driver::PtyMaster => match &self.pair {
                Some(pair) => super::pty::master_ioctl(pair, command, argument),
                None => Err(Errno::ENOTTY),
            },
            Driver::PtySlave => Err(Errno::ENOTTY),
        }
    }
}
