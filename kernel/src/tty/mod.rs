//! Terminals. Today: the serial console with a canonical-mode line discipline and termios.
//! Full job control, ptys and the rest of termios come with the tty issue.

pub mod console;
pub mod termios;
