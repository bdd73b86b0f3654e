//! `/dev/console` on the serial port: output processing (`OPOST`/`ONLCR`), and input through a
//! small line discipline: canonical mode with echo, erase (`VERASE`, backspace), kill (`VKILL`),
//! end-of-file (`VEOF`, ^D) and `ICRNL`; non-canonical mode returns what has arrived (at least
//! one byte, i.e. `VMIN` = 1 semantics). Input is polled from the UART while the reader waits
//! for interrupts (the timer tick bounds the latency).
//!
//! Linux behaviour kept: `/dev/console` never becomes a controlling terminal, so `TIOCGPGRP`
//! and `TIOCSPGRP` answer `ENOTTY` there (drivers/tty/tty_io.c, `tiocgpgrp` requires the tty to
//! be the caller's controlling terminal). Signals from ^C/^Z and job control come later.
//!
//! poll: readable when a read would not block; pollers recheck at every tick, since input
//! arrives without an interrupt.

use super::termios::{
    ECHO, ECHOE, ICANON, ICRNL, ONLCR, OPOST, Termios, VEOF, VERASE, VKILL, WinSize,
};
use crate::fs::file::FileOps;
use crate::fs::poll::{POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, PollTable, poll_wait};
use crate::sched::SleepKind;
use crate::sched::wait::WaitQueue;
use crate::sched::wait::sleep_until;
use abi::Errno;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;
use vfs::{FileType, Metadata, Timespec};

const TCGETS: u32 = 0x5401;
const TCSETS: u32 = 0x5402;
const TCSETSW: u32 = 0x5403;
const TCSETSF: u32 = 0x5404;
const TCFLSH: u32 = 0x540b;
const TIOCGPGRP: u32 = 0x540f;
const TIOCSPGRP: u32 = 0x5410;
const TIOCOUTQ: u32 = 0x5411;
const TIOCGWINSZ: u32 = 0x5413;
const TIOCSWINSZ: u32 = 0x5414;
const FIONREAD: u32 = 0x541b;
const TIOCSCTTY: u32 = 0x540e;
const TIOCNOTTY: u32 = 0x5422;

struct ConsoleState {
    termios: Termios,
    window: WinSize,
    /// Bytes received but not yet consumed; in canonical mode, only complete lines are readable.
    input: VecDeque<u8>,
    /// The line being edited (canonical mode).
    line: Vec<u8>,
    /// Completed lines (or EOF marks, as empty entries) waiting for readers, in canonical mode.
    ready: usize,
}

/// The system console.
pub struct Console {
    state: Mutex<ConsoleState>,
    rdev: u64,
    /// Woken when polling finds new input (for edge-triggered epoll; pollers also recheck at
    /// every tick because the UART is polled, not interrupt-driven).
    input_wait: Arc<WaitQueue>,
}

impl Console {
    pub fn new(rdev: u64) -> Console {
        Console {
            state: Mutex::new(ConsoleState {
                termios: Termios::serial_console_default(),
                window: WinSize::default(),
                input: VecDeque::new(),
                line: Vec::new(),
                ready: 0,
            }),
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
    /// Moves bytes from the UART into the input queue, running the line discipline.
    /// Returns whether any byte arrived.
    fn poll_input(&mut self) -> bool {
        let mut has_arrived = false;
        while let Some(mut byte) = hal::console::try_read_byte() {
            has_arrived = true;
            let termios = self.termios;
            if termios.c_iflag & ICRNL != 0 && byte == b'\r' {
                byte = b'\n';
            }
            if termios.c_lflag & ICANON == 0 {
                self.input.push_back(byte);
                if termios.c_lflag & ECHO != 0 {
                    echo(&[byte], &termios);
                }
                continue;
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
        }
        has_arrived
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

impl FileOps for Console {
    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            {
                let mut state = self.state.lock();
                state.poll_input();
                if state.has_readable_input() {
                    return Ok(state.take_input(buf));
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
        let (has_arrived, is_readable) = {
            let mut state = self.state.lock();
            let has_arrived = state.poll_input();
            (has_arrived, state.has_readable_input())
        };
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
                let termios: Termios = read_user(argument)?;
                let mut state = self.state.lock();
                if command == TCSETSF {
                    state.input.clear();
                    state.line.clear();
                    state.ready = 0;
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
                state.poll_input();
                let count = if state.has_readable_input() {
                    state.input.len() as i32
                } else {
                    0
                };
                drop(state);
                write_user(argument, &count)?;
            }
            TIOCOUTQ => write_user(argument, &0i32)?,
            TCFLSH => {
                if argument > 2 {
                    return Err(Errno::EINVAL);
                }
                if argument != 1 {
                    let mut state = self.state.lock();
                    state.input.clear();
                    state.line.clear();
                    state.ready = 0;
                }
            }
            // /dev/console is never a controlling terminal.
            TIOCGPGRP | TIOCSPGRP | TIOCSCTTY | TIOCNOTTY => return Err(Errno::ENOTTY),
            _ => return Err(Errno::ENOTTY),
        }
        Ok(0)
    }
}
