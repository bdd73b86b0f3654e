//! Terminals. Today: the serial console with a canonical-mode line discipline, termios, signal
//! characters, and sessions with job control (`job`). Ptys and the rest of termios come later.

pub mod console;
pub mod job;
pub mod termios;

/// Whether a character device is a terminal (the console: 5:1, or ttyS0 4:64).
pub fn is_tty(metadata: &vfs::Metadata) -> bool {
    let (major, minor) = (
        vfs::inode::dev_major(metadata.rdev),
        vfs::inode::dev_minor(metadata.rdev),
    );
    metadata.file_type == vfs::FileType::CharDevice && matches!((major, minor), (5, 1) | (4, 64))
}
