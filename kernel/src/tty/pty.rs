//! Unix98 pseudo-terminals (Linux 6.1 `drivers/tty/pty.c`, `fs/devpts/inode.c`, pty(7)).
//!
//! Opening `/dev/ptmx` (5:2, or a devpts instance's own `ptmx`) makes a [`PtyPair`] in the
//! devpts instance that node belongs to — for a node outside devpts, the instance mounted on
//! the `pts` directory next to it (`devpts_acquire`: `ENOENT` without one, `ENODEV` if it is
//! not devpts) — with the lowest free index N, and the slave's node `N` there, owned by the
//! opener. The master is the file that open returns; the slave is opened through its node
//! (136:N); a 136:N node anywhere else opens nothing (`EIO`), nor does a master number (128:N).
//!
//! Rules (`pty_open`, `pty_close`, `pty_unix98_ioctl`):
//! - a new pty is locked: opening its slave is `EIO` until `TIOCSPTLCK` 0 (`unlockpt`); also
//!   `EIO` once the master is closed, `EBUSY` under `TIOCEXCL` without privilege;
//! - the master's termios is raw, the slave's `tty_std_termios` at 38400 baud;
//! - a master reads `EIO` once the slave was opened and closed again (`TTY_OTHER_CLOSED`),
//!   after what was written is read, and polls POLLHUP; it may still write (Linux keeps a
//!   reference on the slave for the master: `pty_common_install`);
//! - closing the master removes the slave's node and hangs the slave up: its session leader
//!   gets SIGHUP and SIGCONT and the session loses its terminal (`tty_vhangup`);
//! - master ioctls: `TIOCGPTN`, `TIOCSPTLCK`/`TIOCGPTLCK`, `TIOCPKT`/`TIOCGPKT` (packet mode:
//!   reads carry a status byte), `TIOCSIG` (SIGINT, SIGQUIT or SIGTSTP to the slave's
//!   foreground group, `EINVAL` for others),
//!   `TIOCGPTPEER` (opens the slave, from the syscall layer: [`open_peer`]).
//!
//! The index is freed when both sides are gone (`devpts_kill_index` from the tty's cleanup).

use super::tty_io::{TtyFile, acquire_on_open};
use super::{Driver, Tty};
use crate::fs::devices::OpenRequest;
use crate::fs::devpts::{self, Instance};
use crate::fs::file::FileOps;
use abi::ioctl::{TIOCGPKT, TIOCGPTLCK, TIOCGPTN, TIOCPKT, TIOCSIG, TIOCSPTLCK};
use abi::signal::{SI_KERNEL, SigInfo};
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use hal::sync::SpinLock;
use hal::usercopy::{read_user, write_user};

/// `UNIX98_PTY_MASTER_MAJOR`.
pub const MASTER_MAJOR: u32 = 128;
/// `UNIX98_PTY_SLAVE_MAJOR`.
pub const SLAVE_MAJOR: u32 = 136;
/// `NR_UNIX98_PTY_MAX`: indices are minors.
pub const MAX_PTYS: u32 = 1 << 20;

/// What the two sides of a pty share under one lock (`tty->ctrl` of Linux's pair).
#[derive(Debug, Default)]
pub struct PtyCtrl {
    /// `TIOCPKT` set on the master.
    pub packet: bool,
    /// The slave's packet status bits waiting for the master (`ctrl.pktstatus`).
    pub pktstatus: u8,
    /// `TTY_PTY_LOCK`: the slave cannot be opened.
    pub is_locked: bool,
}

/// One pseudo-terminal.
pub struct PtyPair {
    pub index: u32,
    pub master: Arc<Tty>,
    pub slave: Arc<Tty>,
    pub ctrl: SpinLock<PtyCtrl>,
    pub devpts: Arc<Instance>,
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        self.devpts.free_index(self.index);
    }
}

/// The termios of a new master: raw (`ptm_driver->init_termios`).
fn master_termios() -> super::termios::Termios {
    use super::termios::{CREAD, CS8};
    super::termios::Termios {
        c_iflag: 0,
        c_oflag: 0,
        c_cflag: abi::raw::general::B38400 | CS8 | CREAD,
        c_lflag: 0,
        c_line: 0,
        c_cc: ntty::std_termios(0).c_cc,
    }
}

/// Opens `/dev/ptmx` (`ptmx_open`): a new pty, its master open.
pub fn open_ptmx(request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
    let node = request.node.ok_or(Errno::ENODEV)?;
    let instance = devpts::instance_for_ptmx(node)?;
    let (uid, gid) = {
        let thread = crate::process::current();
        let credentials = thread.process.credentials.lock();
        (credentials.fsuid, credentials.fsgid)
    };
    let index = instance.allocate_index()?;
    let master = Arc::new(Tty::new(
        Driver::PtyMaster,
        vfs::inode::encode_dev(MASTER_MAJOR, index),
        master_termios(),
    ));
    let slave = Arc::new(Tty::new(
        Driver::PtySlave,
        vfs::inode::encode_dev(SLAVE_MAJOR, index),
        ntty::std_termios(abi::raw::general::B38400 | super::termios::CS8 | super::termios::CREAD),
    ));
    let pair = Arc::new(PtyPair {
        index,
        master,
        slave,
        ctrl: SpinLock::new(
            "tty.pty_ctrl",
            PtyCtrl {
                is_locked: true,
                ..PtyCtrl::default()
            },
        ),
        devpts: instance.clone(),
    });
    pair.master.pair.call_once(|| Arc::downgrade(&pair));
    pair.slave.pair.call_once(|| Arc::downgrade(&pair));
    pair.master.state.lock().opens = 1;
    instance.add_node(index, &pair, uid, gid)?;
    Ok(Arc::new(TtyFile::open_pty(pair.master.clone(), pair)))
}

/// Counts an open of the slave after the checks of `pty_open` and `tty_reopen`.
pub fn count_slave_open(pair: &Arc<PtyPair>) -> Result<(), Errno> {
    if pair.ctrl.lock().is_locked {
        return Err(Errno::EIO);
    }
    let is_capable = crate::process::try_current().is_some_and(|thread| {
        thread
            .process
            .credentials
            .lock()
            .has_capability(abi::capability::CAP_SYS_ADMIN)
    });
    {
        let master = pair.master.state.lock();
        if master.opens == 0 {
            return Err(Errno::EIO);
        }
    }
    {
        let mut slave = pair.slave.state.lock();
        if slave.is_exclusive && !is_capable {
            return Err(Errno::EBUSY);
        }
        slave.opens += 1;
    }
    pair.master.state.lock().is_other_closed = false;
    Ok(())
}

/// Opens a pty slave through its node (`pts_unix98_lookup`, `pty_open`): `EIO` unless the node
/// is a devpts slave whose pty lives and is unlocked.
pub fn open_slave(request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
    let node = request.node.ok_or(Errno::EIO)?;
    let pair = devpts::pair_of(node.dentry().inode()).ok_or(Errno::EIO)?;
    count_slave_open(&pair)?;
    let file = TtyFile::open_pty(pair.slave.clone(), pair.clone());
    if !request.is_noctty
        && let Some(thread) = crate::process::try_current()
    {
        acquire_on_open(&pair.slave, &thread.process);
    }
    Ok(Arc::new(file))
}

/// A file of `pair`'s side `driver` closes (`pty_close`).
pub fn release(pair: &Arc<PtyPair>, driver: Driver) {
    match driver {
        Driver::PtySlave => {
            let is_last = {
                let mut slave = pair.slave.state.lock();
                slave.opens = slave.opens.saturating_sub(1);
                slave.opens == 0
            };
            if is_last {
                pair.master.state.lock().is_other_closed = true;
                pair.master.read_wait.wake_all();
                pair.master.write_wait.wake_all();
            }
        }
        Driver::PtyMaster => {
            pair.master.state.lock().opens = 0;
            pair.devpts.remove_node(pair.index);
            hang_up(&pair.slave);
        }
        Driver::Console => {}
    }
}

/// `tty_vhangup` of a slave whose master closed: its open files hang up, its session leader
/// gets SIGHUP and SIGCONT, and its session loses it (`tty_signal_session_leader`).
fn hang_up(slave: &Arc<Tty>) {
    slave.state.lock().is_other_closed = true;
    super::job::hang_up(slave);
}

/// The pty master's own ioctls (`pty_unix98_ioctl`).
pub fn master_ioctl(pair: &Arc<PtyPair>, command: u32, argument: u64) -> Result<usize, Errno> {
    match command {
        TIOCGPTN => write_user(argument, &pair.index)?,
        TIOCSPTLCK => {
            let lock: i32 = read_user(argument)?;
            pair.ctrl.lock().is_locked = lock != 0;
        }
        TIOCGPTLCK => {
            let is_locked = i32::from(pair.ctrl.lock().is_locked);
            write_user(argument, &is_locked)?;
        }
        TIOCPKT => {
            let mode: i32 = read_user(argument)?;
            let mut ctrl = pair.ctrl.lock();
            if mode != 0 {
                if !ctrl.packet {
                    ctrl.pktstatus = 0;
                    ctrl.packet = true;
                }
            } else {
                ctrl.packet = false;
            }
        }
        TIOCGPKT => {
            let packet = i32::from(pair.ctrl.lock().packet);
            write_user(argument, &packet)?;
        }
        TIOCSIG => {
            // pty_signal: only the signals of the line discipline's characters.
            let signal = argument as i64;
            if ![
                i64::from(sigrules::SIGINT),
                i64::from(sigrules::SIGQUIT),
                i64::from(sigrules::SIGTSTP),
            ]
            .contains(&signal)
            {
                return Err(Errno::EINVAL);
            }
            let pgrp = pair.slave.state.lock().job.pgrp;
            if let Some(pgrp) = pgrp {
                crate::signal::send_to_group(pgrp, SigInfo::new(signal as i32, SI_KERNEL));
            }
        }
        _ => return Err(Errno::ENOTTY),
    }
    Ok(0)
}

/// `TIOCGPTPEER` (`ptm_open_peer`): opens the slave of the pty whose master is `master`,
/// through its node in the devpts mount the master was opened from (`devpts_mntget`:
/// `ENODEV` if that is no longer this pty's instance), with `flags` as `dentry_open` takes
/// them (no permission check; O_NOCTTY decides about the controlling terminal). Returns the
/// open file to install.
pub fn open_peer(
    master: &crate::fs::file::OpenFile,
    flags: OpenFlags,
) -> Result<Arc<crate::fs::file::OpenFile>, Errno> {
    let tty_file = master.ops.as_tty().ok_or(Errno::ENOTTY)?;
    let pair = tty_file
        .pty()
        .filter(|_| tty_file.tty().driver == Driver::PtyMaster)
        .ok_or(Errno::EIO)?;
    let ptmx = master.path.as_ref().ok_or(Errno::ENODEV)?;
    let root = devpts::root_for_ptmx(ptmx)?;
    if !devpts::is_instance_root(&root, &pair.devpts) {
        return Err(Errno::ENODEV);
    }
    let name = alloc::format!("{}", pair.index);
    let node = root.with_dentry(root.dentry().lookup_child(name.as_bytes())?);
    let thread = crate::process::current();
    let charge = crate::fs::file_table::charge_for(&thread)?;
    let is_noctty = flags.contains(OpenFlags::O_NOCTTY);
    let status = flags.difference(
        OpenFlags::O_CREAT | OpenFlags::O_EXCL | OpenFlags::O_NOCTTY | OpenFlags::O_TRUNC,
    );
    crate::fs::open_dentry_noctty(node, status, is_noctty, charge)
}
