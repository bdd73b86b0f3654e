//! reboot (Linux's `kernel/reboot.c`): power off, restart or halt for a privileged caller with
//! the magic numbers; the Ctrl-Alt-Del switches are accepted and ignored.
//!
//! Before the machine stops, every disk file system is written out and marked clean, and
//! every disk's cache written back and flushed ([`shutdown_disks`]). Linux leaves the file
//! systems to init (its `device_shutdown` only flushes the disks' caches), so a `poweroff -f`
//! there leaves ext4 needing journal recovery; here the disk is clean either way.

use super::{SyscallContext, SyscallResult};
use abi::Errno;

use abi::reboot::{
    LINUX_REBOOT_CMD_CAD_OFF, LINUX_REBOOT_CMD_CAD_ON, LINUX_REBOOT_CMD_HALT,
    LINUX_REBOOT_CMD_POWER_OFF, LINUX_REBOOT_CMD_RESTART, LINUX_REBOOT_CMD_RESTART2,
    LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
};

pub fn reboot(
    context: &mut SyscallContext<'_>,
    magic1: u32,
    magic2: u32,
    command: u32,
    _argument: u64,
) -> SyscallResult {
    if context.thread.process.credentials.lock().euid != 0 {
        return Err(Errno::EPERM);
    }
    if magic1 != LINUX_REBOOT_MAGIC1 || !LINUX_REBOOT_MAGIC2.contains(&magic2) {
        return Err(Errno::EINVAL);
    }
    match command {
        LINUX_REBOOT_CMD_POWER_OFF
        | LINUX_REBOOT_CMD_RESTART
        | LINUX_REBOOT_CMD_RESTART2
        | LINUX_REBOOT_CMD_HALT => shutdown_disks(),
        _ => {}
    }
    match command {
        LINUX_REBOOT_CMD_POWER_OFF => {
            crate::dump_lock_order();
            log::info!("reboot: Power down");
            hal::power::power_off()
        }
        LINUX_REBOOT_CMD_RESTART | LINUX_REBOOT_CMD_RESTART2 => {
            log::info!("reboot: Restarting system");
            hal::power::reset()
        }
        LINUX_REBOOT_CMD_HALT => {
            log::info!("reboot: System halted");
            hal::cpu::halt_forever()
        }
        LINUX_REBOOT_CMD_CAD_ON | LINUX_REBOOT_CMD_CAD_OFF => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// Writes every mounted ext2/3/4 file system out and marks it clean (read-only from then on),
/// then writes back and flushes every disk.
fn shutdown_disks() {
    crate::fs::ext4::shutdown_all();
    crate::block::sync_all();
}
