//! The device model's one operation Ferrux needs (Linux's `drivers/base/core.c`
//! `device_create`): a driver that registered its numbers announces each device, which gets its
//! node in devtmpfs (`devtmpfs_create_node`, with the mode its class gives it or 0600) and its
//! directory and links in sysfs (`device_add`).

use crate::fs::sysfs::{self, ExtraAttributes, Parent};
use abi::Errno;

/// A character device `name` (`major:minor`) of class `class`, under `parent` in
/// `/sys/devices`; `node_mode` is the mode its class's `devnode` gives it (shown as `DEVMODE`
/// in `uevent`; `None`: 0600 and no `DEVMODE`), `extra` its class's other attributes.
pub fn device_create(
    parent: Parent,
    class: &'static [u8],
    name: &[u8],
    (major, minor): (u32, u32),
    node_mode: Option<u32>,
    extra: ExtraAttributes<'_>,
) -> Result<(), Errno> {
    sysfs::add_char_device(parent, class, name, (major, minor), node_mode, extra)?;
    crate::fs::devtmpfs::add_char_node(
        name,
        node_mode.unwrap_or(0o600),
        vfs::inode::encode_dev(major, minor),
    )
}
