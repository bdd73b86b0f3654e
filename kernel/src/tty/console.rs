//! `/dev/console` on the serial port: output processing (`OPOST`/`ONLCR`), and input through a
//! small line discipline (`drivers/tty/n_tty.c`): canonical mode with echo, erase (`VERASE`,
//! backspace), kill (`VKILL`), end-of-file (`VEOF`, ^D) and `ICRNL`; non-canonical mode returns
//! what has arrived (at least one byte, i.e. `VMIN` = 1 semantics). With `ISIG`, `VINTR` (^C),
//! `VQUIT` (^\) and `VSUSP` (^Z) send SIGINT, SIGQUIT and SIGTSTP to the foreground process
//! group, echo as `^C` with `ECHOCTL`, and flush the input unless `NOFLSH`.
//!
//! The UART is polled: a kernel timer drains it into the line discipline every tick, so ^C
//! reaches a foreground program that is not reading; readers sleep until the next tick.
//! `TIOCSTI` feeds a byte through the same path.
//!
//! Job control (see [`super::job`]): the console becomes a controlling terminal only through
//! `TIOCSCTTY` — opening `/dev/console` never makes it one, as Linux treats 5:1 as `O_NOCTTY`
//! (`tty_open`) — and then answers `TIOCGPGRP`, `TIOCSPGRP`, `TIOCGSID` and `TIOCNOTTY`.
//! A background process changing the terminal (`TCSETS*`, `TCFLSH`, `TIOCSPGRP`) gets SIGTTOU.
//! Reads and writes are never stopped with SIGTTIN/SIGTTOU: Linux exempts files opened as
//! `/dev/console` (`job_control`, `n_tty_write`), and the same object serves `/dev/ttyS0` here.
//!
//! poll: readable when a read would not block; pollers recheck at every tick too.

use super::job::{Followup, JobControl};
use super::termios::{
    ECHO, ECHOCTL, ECHOE, ICANON, ICRNL, ISIG, NOFLSH, ONLCR, OPOST, Termios, VEOF, VERASE, VINTR,
    VKILL, VQUIT, VSUSP, WinSize,
};
use crate::fs::file::FileOps;
use crate::fs::poll::{POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, PollTable, poll_wait};
use crate::process::{Pid, Process};
use crate::sched::SleepKind;
use crate::sched::wait::WaitQueue;
use crate::sched::wait::sleep_until;
use abi::Errno;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;
use vfs::{FileType, Metadata, Timespec};

use abi::ioctl::{
    FIONREAD, PORT_16550A, TCFLSH, TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGPGRP, TIOCGSERIAL,
    TIOCGSID, TIOCGWINSZ, TIOCNOTTY, TIOCOUTQ, TIOCSCTTY, TIOCSPGRP, TIOCSTI, TIOCSWINSZ,
};

struct ConsoleState {
    termios: Termios,
    window: WinSize,
    /// Bytes received but not yet consumed; in canonical mode, only complete lines are readable.
    input: VecDeque<u8>,
    /// The line being edited (canonical mode).
    line: Vec<u8>,
    /// Completed lines (or EOF marks, as empty entries) waiting for readers, in canonical mode.
    ready: usize,
    /// The session this console controls and its foreground group.
    job: JobControl,
}

/// The system console.
pub struct Console {
    state: SpinLock<ConsoleState>,
    rdev: u64,
    /// Woken when polling finds new input (for edge-triggered epoll; pollers also recheck at
    /// every tick because the UART is polled, not interrupt-driven).
    input_wait: Arc<WaitQueue>,
}

impl Console {
    pub fn new(rdev: u64) -> Console {
        Console {
            state: SpinLock::new(
                "tty.console",
                ConsoleState {
                    termios: super::termios::serial_console_default(),
                    window: WinSize::default(),
                    input: VecDeque::new(),
                    line: Vec::new(),
                    ready: 0,
                    job: JobControl::default(),
                },
            ),
            rdev,
            input_wait: Arc::new(WaitQueue::new()),
        }
    }
}

fn echo(bytes: &[u8], termios: &Termios) {
    output(bytes, termios);
}

fn output(bytes: &[u8], termios: &Termios) {
    if termios.c_oflag & OPOST != 0 && termios.c_oflag & ONLCR != 0 {
        let mut start = 0;
        for (i, &byte) in bytes.iter().enumerate() {
            if byte == b'\n' {
                hal::console::write_raw(&bytes[start..i]);
                hal::console::write_raw(b"\r\n");
                start = i + 1;
            }
        }
        hal::console::write_raw(&bytes[start..]);
    } else {
        hal::console::write_raw(bytes);
    }
}

impl ConsoleState {
    /// Moves bytes from the UART into the input queue, running the line discipline. Returns
    /// the last signal a control character asked for, to send once the lock is released.
    fn poll_input(&mut self) -> Option<(Pid, u32)> {
        let mut signal = None;
        while let Some(byte) = hal::console::try_read_byte() {
            if let Some(raised) = self.receive_byte(byte) {
                signal = Some(raised);
            }
        }
        signal
    }

    /// Empties the input (`reset_buffer_flags`).
    fn flush_input(&mut self) {
        self.input.clear();
        self.line.clear();
        self.ready = 0;
    }

    /// One received byte through the line discipline; returns (foreground group, signal) when
    /// it is a signal character under `ISIG`.
    fn receive_byte(&mut self, mut byte: u8) -> Option<(Pid, u32)> {
        let termios = self.termios;
        if termios.c_iflag & ICRNL != 0 && byte == b'\r' {
            byte = b'\n';
        }
        if termios.c_lflag & ISIG != 0 {
            let signal = if byte == termios.c_cc[VINTR] {
                Some(sigrules::SIGINT)
            } else if byte == termios.c_cc[VQUIT] {
                Some(sigrules::SIGQUIT)
            } else if byte == termios.c_cc[VSUSP] {
                Some(sigrules::SIGTSTP)
            } else {
                None
            };
            if let Some(signal) = signal {
                if termios.c_lflag & NOFLSH == 0 {
                    self.flush_input();
                }
                if termios.c_lflag & ECHO != 0 {
                    if termios.c_lflag & ECHOCTL != 0 {
                        echo(&[b'^', byte ^ 0x40], &termios);
                    } else {
                        echo(&[byte], &termios);
                    }
                }
                return self.job.pgrp.map(|pgrp| (pgrp, signal));
            }
        }
        if termios.c_lflag & ICANON == 0 {
            self.input.push_back(byte);
            if termios.c_lflag & ECHO != 0 {
                echo(&[byte], &termios);
            }
            return None;
        }
        if byte == termios.c_cc[VERASE] || byte == 0x08 {
            if self.line.pop().is_some()
                && termios.c_lflag & ECHO != 0
                && termios.c_lflag & ECHOE != 0
            {
                echo(b"\x08 \x08", &termios);
            }
        } else if byte == termios.c_cc[VKILL] {
            while self.line.pop().is_some() {
                if termios.c_lflag & ECHO != 0 {
                    echo(b"\x08 \x08", &termios);
                }
            }
        } else if byte == termios.c_cc[VEOF] {
            // EOF: hand over the pending line without a newline; an empty line reads as 0.
            self.input.extend(self.line.drain(..));
            self.ready += 1;
            self.input.push_back(0xff); // in-band EOF mark, removed by `read`
        } else {
            self.line.push(byte);
            if termios.c_lflag & ECHO != 0 {
                echo(&[byte], &termios);
            }
            if byte == b'\n' {
                self.input.extend(self.line.drain(..));
                self.ready += 1;
            }
        }
        None
    }

    fn has_readable_input(&self) -> bool {
        if self.termios.c_lflag & ICANON != 0 {
            self.ready > 0
        } else {
            !self.input.is_empty()
        }
    }

    fn take_input(&mut self, buf: &mut [u8]) -> usize {
        if self.termios.c_lflag & ICANON == 0 {
            let n = buf.len().min(self.input.len());
            for slot in buf.iter_mut().take(n) {
                *slot = self.input.pop_front().unwrap_or(0);
            }
            return n;
        }
        let mut n = 0;
        while n < buf.len() {
            let Some(byte) = self.input.pop_front() else {
                break;
            };
            if byte == 0xff {
                self.ready -= 1;
                return n;
            }
            buf[n] = byte;
            n += 1;
            if byte == b'\n' {
                self.ready -= 1;
                return n;
            }
        }
        n
    }
}

impl Console {
    /// `tty_check_change` for the calling thread: SIGTTOU to a background group that changes
    /// the terminal, and `ERESTARTSYS` so the call runs again once it is continued.
    fn check_change(&self) -> Result<(), Errno> {
        let thread = crate::process::current();
        let followup = self
            .state
            .lock()
            .job
            .check_change(&thread, sigrules::SIGTTOU)?;
        match followup {
            Followup::Nothing => Ok(()),
            followup => {
                followup.run();
                Err(Errno::ERESTARTSYS)
            }
        }
    }

    /// An open of the terminal without O_NOCTTY: a session leader with no controlling
    /// terminal gets this one if no session has it (`tty_open_proc_set_tty`).
    pub fn acquire_on_open(&self, process: &Process) {
        let mut state = self.state.lock();
        if state.job.session.is_none() && process.is_session_leader() {
            let _ = state.job.set_controlling(process, false, true);
        }
    }

    /// Whether the console is `process`'s controlling terminal (for opening `/dev/tty`).
    pub fn is_controlling_tty_of(&self, process: &Process) -> bool {
        self.state.lock().job.is_controlling(process)
    }

    /// The session leader `process` exits: the console stops controlling its session.
    pub fn session_leader_exit(&self, process: &Process) {
        let followup = self.state.lock().job.leader_exit(process);
        followup.run();
    }

    /// Drains the UART through the line discipline (from the polling timer).
    pub fn poll_uart(&self) {
        let signal = self.state.lock().poll_input();
        send_input_signal(signal);
    }
}

/// Sends the signal a control character raised to the foreground group.
fn send_input_signal(signal: Option<(Pid, u32)>) {
    if let Some((pgrp, signal)) = signal {
        Followup::SignalGroup(pgrp, signal).run();
    }
}

/// Starts the timer that polls the UART every tick, so that ^C reaches a foreground program
/// that does not read.
pub fn start_polling() {
    fn arm() {
        let deadline = crate::time::monotonic_ns() + 1_000_000_000 / hal::time::TICK_HZ;
        crate::sched::timer::add(
            deadline,
            crate::sched::timer::TimerAction::Call(alloc::boxed::Box::new(|| {
                crate::tty::console().poll_uart();
                arm();
            })),
        );
    }
    arm();
}

impl FileOps for Console {
    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            {
                let mut state = self.state.lock();
                let signal = state.poll_input();
                let taken = state.has_readable_input().then(|| state.take_input(buf));
                drop(state);
                send_input_signal(signal);
                if let Some(count) = taken {
                    return Ok(count);
                }
            }
            if is_nonblocking {
                return Err(Errno::EAGAIN);
            }
            // The UART is polled: look again at the next tick.
            let thread = crate::process::current();
            let next_tick = crate::time::monotonic_ns() + 1_000_000_000 / hal::time::TICK_HZ;
            if sleep_until(&thread, next_tick, SleepKind::Interruptible).is_err() {
                return Err(Errno::EINTR);
            }
        }
    }

    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        let termios = self.state.lock().termios;
        output(data, &termios);
        Ok(data.len())
    }

    /// `n_tty_poll`: readable once a line (canonical) or a byte (raw) is in; always writable.
    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        if let Some(table) = table.as_deref_mut() {
            table.request_tick_recheck();
        }
        poll_wait(&mut table, &self.input_wait);
        let (has_arrived, is_readable, signal) = {
            let mut state = self.state.lock();
            let queued_before = state.input.len() + state.line.len();
            let signal = state.poll_input();
            let has_arrived = state.input.len() + state.line.len() != queued_before;
            (has_arrived, state.has_readable_input(), signal)
        };
        send_input_signal(signal);
        if has_arrived {
            self.input_wait.wake_all();
        }
        let mut mask = POLLOUT | POLLWRNORM;
        if is_readable {
            mask |= POLLIN | POLLRDNORM;
        }
        Some(mask)
    }

    fn is_seekable(&self) -> bool {
        false
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
            rdev: self.rdev,
            blocks: 0,
            blksize: 1024,
            atime: zero,
            mtime: zero,
            ctime: zero,
        }
    }

    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        use hal::usercopy::{read_user, write_user};
        match command {
            TCGETS => {
                let termios = self.state.lock().termios;
                write_user(argument, &termios)?;
            }
            TCSETS | TCSETSW | TCSETSF => {
                self.check_change()?;
                let termios: Termios = read_user(argument)?;
                let mut state = self.state.lock();
                if command == TCSETSF {
                    state.flush_input();
                }
                state.termios = termios;
            }
            TIOCGWINSZ => {
                let window = self.state.lock().window;
                write_user(argument, &window)?;
            }
            TIOCSWINSZ => {
                let window: WinSize = read_user(argument)?;
                self.state.lock().window = window;
            }
            FIONREAD => {
                let mut state = self.state.lock();
                let signal = state.poll_input();
                let count = if state.has_readable_input() {
                    state.input.len() as i32
                } else {
                    0
                };
                drop(state);
                send_input_signal(signal);
                write_user(argument, &count)?;
            }
            TIOCOUTQ => write_user(argument, &0i32)?,
            TCFLSH => {
                self.check_change()?;
                if argument > 2 {
                    return Err(Errno::EINVAL);
                }
                if argument != 1 {
                    self.state.lock().flush_input();
                }
            }
            TIOCSTI => {
                let thread = crate::process::current();
                let is_controlling = self.state.lock().job.is_controlling(&thread.process);
                if !is_controlling && !thread.process.credentials.lock().is_capable() {
                    return Err(Errno::EPERM);
                }
                let byte: u8 = read_user(argument)?;
                let signal = self.state.lock().receive_byte(byte);
                send_input_signal(signal);
            }
            TIOCGSERIAL => {
                // struct serial_struct (72 bytes): type, line, port, irq, flags,
                // xmit_fifo_size, custom_divisor, baud_base, … — the COM1 16550A that both
                // /dev/console and /dev/ttyS0 are (busybox cttyhack reads `line`).
                let mut serial = [0u8; 72];
                let fields: [(usize, i32); 6] = [
                    (0, PORT_16550A),
                    (4, 0),
                    (8, 0x3f8),
                    (12, 4),
                    (20, 16),
                    (28, 115_200),
                ];
                for (offset, value) in fields {
                    serial[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
                }
                hal::usercopy::copy_to_user(argument, &serial)?;
            }
            TIOCSCTTY => {
                let thread = crate::process::current();
                // The descriptor's read access is checked by the ioctl syscall.
                self.state
                    .lock()
                    .job
                    .set_controlling(&thread.process, argument == 1, true)?;
            }
            TIOCNOTTY => {
                let thread = crate::process::current();
                let followup = self.state.lock().job.give_up(&thread.process)?;
                followup.run();
            }
            TIOCGPGRP => {
                let thread = crate::process::current();
                let pgrp = self.state.lock().job.foreground(&thread.process)?;
                write_user(argument, &(pgrp as i32))?;
            }
            TIOCGSID => {
                let thread = crate::process::current();
                let sid = self.state.lock().job.session_id(&thread.process)?;
                write_user(argument, &(sid as i32))?;
            }
            TIOCSPGRP => {
                // tiocspgrp reports an orphaned background group's EIO as ENOTTY.
                self.check_change().map_err(|error| {
                    if error == Errno::EIO {
                        Errno::ENOTTY
                    } else {
                        error
                    }
                })?;
                let pgrp: i32 = read_user(argument)?;
                let thread = crate::process::current();
                self.state
                    .lock()
                    .job
                    .set_foreground(&thread.process, pgrp)?;
            }
            _ => return Err(Errno::ENOTTY),
        }
        Ok(0)
    }
}
