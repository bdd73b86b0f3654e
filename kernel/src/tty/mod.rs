//! Terminals (Linux's `drivers/tty`): the serial console and pseudo-terminals, one [`Tty`]
//! object each, sharing one line discipline (`ntty`, Linux's `N_TTY`), termios, window size and
//! job control (`job`). A tty receives bytes from its device into a flip buffer (the UART for
//! the console, the other side's writes for a pty), runs them through its line discipline when
//! read or polled, and writes programs' output through the discipline's output processing to
//! its device (the UART, or the other side's flip buffer). [`tty_io`] has the file operations
//! (read, write, poll, ioctl), [`console`] the UART, [`pty`] the pty pairs.
//!
//! The terminal devices register here with the device registry (Linux numbers, from
//! `tty_init`, the 8250 driver and the pty driver): `/dev/tty` (5:0, the caller's controlling
//! terminal; with none, opening it is `ENXIO`), `/dev/console` (5:1) and `/dev/ttyS0` (4:64),
//! the same serial port, `/dev/ptmx` (5:2, a new pty), the pty slaves (136:N, opened only
//! through devpts) and the masters' numbers (128:N, which no node opens: `EIO`). Opening ttyS0
//! or a pty slave without O_NOCTTY may make it a session leader's controlling terminal;
//! opening `/dev/console` never does (Linux treats 5:1 as `O_NOCTTY`, `tty_open`).
//!
//! Locking: a tty's state is a spin lock (`tty.state`); the two sides of a pty are never
//! locked together (a side copies out what it sends the other and delivers it unlocked).

pub mod console;
pub mod job;
pub mod pty;
pub mod termios;
pub mod tty_io;

use crate::fs::devices::{CharDevice, OpenRequest, register_char};
use crate::fs::file::FileOps;
use crate::sched::wait::WaitQueue;
use abi::Errno;
use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use hal::sync::SpinLock;
use job::JobControl;
use ntty::Ldisc;
use spin::Once;
use termios::{Termios, WinSize};
pub use tty_io::TtyFile;

/// Bytes a tty's flip buffer holds (`TTYB_DEFAULT_MEM_LIMIT`): a pty writer waits beyond it.
pub const FLIP_LIMIT: usize = 65536;

/// What drives a tty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// The serial console (ttyS0, /dev/console).
    Console,
    /// A pty master (opened through `/dev/ptmx`).
    PtyMaster,
    /// A pty slave (`/dev/pts/N`).
    PtySlave,
}

/// The mutable state of a tty.
pub struct TtyState {
    pub termios: Termios,
    pub window: WinSize,
    pub ldisc: Ldisc,
    /// Bytes received but not yet through the line discipline (Linux's flip buffer).
    pub flip: VecDeque<u8>,
    pub job: JobControl,
    /// Files open on this side (`tty->count`).
    pub opens: usize,
    /// The other side of the pty has no file open (`TTY_OTHER_CLOSED`).
    pub is_other_closed: bool,
    /// Hang-ups so far: the files opened before the last one are hung up.
    pub hangups: u64,
    /// `TIOCEXCL`: new opens need privilege.
    pub is_exclusive: bool,
}

/// One terminal.
pub struct Tty {
    pub driver: Driver,
    /// Its device number.
    pub rdev: u64,
    pub state: SpinLock<TtyState>,
    /// Readers and pollers of this tty.
    pub read_wait: Arc<WaitQueue>,
    /// Writers to this tty waiting for room or for output to restart.
    pub write_wait: Arc<WaitQueue>,
    /// Files that asked for I/O signals (`tty->fasync`).
    pub fasync: crate::fs::fasync::FasyncList,
    /// The pair a pty side belongs to.
    pair: Once<Weak<pty::PtyPair>>,
}

impl Tty {
    /// A tty in its initial state.
    pub fn new(driver: Driver, rdev: u64, termios: Termios) -> Tty {
        Tty {
            driver,
            rdev,
            state: SpinLock::new(
                "tty.state",
                TtyState {
                    termios,
                    window: WinSize::default(),
                    ldisc: Ldisc::new(),
                    flip: VecDeque::new(),
                    job: JobControl::default(),
                    opens: 0,
                    is_other_closed: false,
                    hangups: 0,
                    is_exclusive: false,
                },
            ),
            read_wait: Arc::new(WaitQueue::new()),
            write_wait: Arc::new(WaitQueue::new()),
            fasync: crate::fs::fasync::FasyncList::new(),
            pair: Once::new(),
        }
    }

    /// The pty pair of a pty side.
    pub fn pair(&self) -> Option<Arc<pty::PtyPair>> {
        self.pair.get().and_then(Weak::upgrade)
    }

    /// Whether this is a pty side.
    pub fn is_pty(&self) -> bool {
        self.driver != Driver::Console
    }
}

static CONSOLE: Once<Arc<Tty>> = Once::new();
static CONSOLE_POLLING: Once<()> = Once::new();

/// The console tty (created on first use, which also starts polling its input).
pub fn console() -> Arc<Tty> {
    let console = CONSOLE
        .call_once(|| {
            Arc::new(Tty::new(
                Driver::Console,
                vfs::inode::encode_dev(5, 1),
                termios::serial_console_default(),
            ))
        })
        .clone();
    CONSOLE_POLLING.call_once(console::start_polling);
    console
}

/// The terminal drivers of the registry.
enum TtyDevice {
    /// 5:0.
    Current,
    /// 5:1.
    Console,
    /// 4:64.
    Serial,
    /// 5:2.
    Ptmx,
    /// 136:N.
    PtySlave,
    /// 128:N.
    PtyMaster,
}

impl CharDevice for TtyDevice {
    fn open(&self, request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
        match self {
            TtyDevice::Console => Ok(TtyFile::open_console(console(), true)),
            TtyDevice::Serial => {
                let console = console();
                if !request.is_noctty
                    && let Some(thread) = crate::process::try_current()
                {
                    tty_io::acquire_on_open(&console, &thread.process);
                }
                Ok(TtyFile::open_console(console, true))
            }
            TtyDevice::Current => {
                let thread = crate::process::current();
                let tty = job::controlling_tty(&thread.process).ok_or(Errno::ENXIO)?;
                TtyFile::reopen(&tty, request)
            }
            TtyDevice::Ptmx => pty::open_ptmx(request),
            TtyDevice::PtySlave => pty::open_slave(request),
            TtyDevice::PtyMaster => Err(Errno::EIO),
        }
    }
}

/// Registers the terminal devices (`tty_init`, `serial8250_init`, `unix98_pty_init`) and their
/// devtmpfs nodes.
pub fn register() -> Result<(), Errno> {
    register_char(4, 64, 1, "ttyS", Arc::new(TtyDevice::Serial))?;
    register_char(5, 0, 1, "/dev/tty", Arc::new(TtyDevice::Current))?;
    register_char(5, 1, 1, "/dev/console", Arc::new(TtyDevice::Console))?;
    register_char(5, 2, 1, "/dev/ptmx", Arc::new(TtyDevice::Ptmx))?;
    register_char(
        pty::MASTER_MAJOR,
        0,
        pty::MAX_PTYS,
        "ptm",
        Arc::new(TtyDevice::PtyMaster),
    )?;
    register_char(
        pty::SLAVE_MAJOR,
        0,
        pty::MAX_PTYS,
        "pts",
        Arc::new(TtyDevice::PtySlave),
    )?;
    // The tty class: `tty_devnode` gives 5:0 and 5:2 mode 0666, the rest the default 0600.
    use crate::drivers::base::device_create;
    use crate::fs::sysfs::Parent;
    device_create(Parent::Virtual, b"tty", b"tty", (5, 0), Some(0o666), &[])?;
    device_create(
        Parent::Virtual,
        b"tty",
        b"console",
        (5, 1),
        None,
        &[(b"active", b"ttyS0\n")],
    )?;
    device_create(Parent::Virtual, b"tty", b"ptmx", (5, 2), Some(0o666), &[])?;
    // The 8250 UART's first port, as `serial8250` shows it (`tty_port` attributes of the port
    // hal drives: I/O port 0x3f8, IRQ 4, a 16550A with its 16-byte FIFO, the console).
    device_create(
        Parent::Serial8250,
        b"tty",
        b"ttyS0",
        (4, 64),
        None,
        &[
            (b"close_delay", b"50\n"),
            (b"closing_wait", b"3000\n"),
            (b"console", b"Y\n"),
            (b"custom_divisor", b"0\n"),
            (b"flags", b"0x10000040\n"),
            (b"io_type", b"0\n"),
            (b"iomem_base", b"0x0\n"),
            (b"iomem_reg_shift", b"0\n"),
            (b"irq", b"4\n"),
            (b"line", b"0\n"),
            (b"port", b"0x3F8\n"),
            (b"type", b"4\n"),
            (b"uartclk", b"1843200\n"),
            (b"xmit_fifo_size", b"16\n"),
        ],
    )?;
    Ok(())
}
