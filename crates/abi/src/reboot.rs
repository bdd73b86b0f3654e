//! `reboot` magic numbers and commands (`include/uapi/linux/reboot.h`). A wrong magic number or
//! an unknown command answers `EINVAL` (`kernel/reboot.c`).

use linux_raw_sys::general as raw;

/// The first magic number.
pub const LINUX_REBOOT_MAGIC1: u32 = raw::LINUX_REBOOT_MAGIC1;
/// The accepted second magic numbers (Linus's and his daughters' birthdays).
pub const LINUX_REBOOT_MAGIC2: [u32; 4] = [
    raw::LINUX_REBOOT_MAGIC2,
    raw::LINUX_REBOOT_MAGIC2A,
    raw::LINUX_REBOOT_MAGIC2B,
    raw::LINUX_REBOOT_MAGIC2C,
];
/// Restart.
pub const LINUX_REBOOT_CMD_RESTART: u32 = raw::LINUX_REBOOT_CMD_RESTART;
/// Halt.
pub const LINUX_REBOOT_CMD_HALT: u32 = raw::LINUX_REBOOT_CMD_HALT;
/// Ctrl-Alt-Del reboots.
pub const LINUX_REBOOT_CMD_CAD_ON: u32 = raw::LINUX_REBOOT_CMD_CAD_ON;
/// Ctrl-Alt-Del sends SIGINT to init.
pub const LINUX_REBOOT_CMD_CAD_OFF: u32 = raw::LINUX_REBOOT_CMD_CAD_OFF;
/// Power off.
pub const LINUX_REBOOT_CMD_POWER_OFF: u32 = raw::LINUX_REBOOT_CMD_POWER_OFF;
/// Restart with a command string.
pub const LINUX_REBOOT_CMD_RESTART2: u32 = raw::LINUX_REBOOT_CMD_RESTART2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_linux() {
        assert_eq!(LINUX_REBOOT_MAGIC1, 0xfee1_dead);
        assert_eq!(LINUX_REBOOT_MAGIC2[0], 672_274_793);
        assert_eq!(LINUX_REBOOT_CMD_POWER_OFF, 0x4321_fedc);
    }
}
