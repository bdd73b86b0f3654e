//! reboot (Linux's `kernel/reboot.c`): power off, restart or halt for a privileged caller with
//! the magic numbers; the Ctrl-Alt-Del switches are accepted and ignored.

use super::{SyscallContext, SyscallResult};
use abi::Errno;

const LINUX_REBOOT_MAGIC1: u32 = 0xfee1_dead;
const LINUX_REBOOT_MAGIC2: [u32; 4] = [672_274_793, 85_072_278, 369_367_448, 537_993_216];
const LINUX_REBOOT_CMD_RESTART: u32 = 0x0123_4567;
const LINUX_REBOOT_CMD_HALT: u32 = 0xcdef_0123;
const LINUX_REBOOT_CMD_POWER_OFF: u32 = 0x4321_fedc;
const LINUX_REBOOT_CMD_CAD_ON: u32 = 0x89ab_cdef;
const LINUX_REBOOT_CMD_CAD_OFF: u32 = 0;
const LINUX_REBOOT_CMD_RESTART2: u32 = 0xa1b2_c3d4;

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
