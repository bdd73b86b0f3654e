//! The serial console's device side (Linux's 8250 driver under `/dev/console` and
//! `/dev/ttyS0`): output goes straight to the UART; input is polled — a kernel timer drains
//! the UART into the console tty's flip buffer every tick and runs its line discipline, so ^C
//! reaches a foreground program that is not reading, and readers are woken when a line (or,
//! in raw mode, a byte) is complete. `TIOCGSERIAL` describes the port.
//!
//! Job control on the console follows Linux for `/dev/console`: the console becomes a
//! controlling terminal only through `TIOCSCTTY` or an open of ttyS0 without O_NOCTTY, and
//! reads and writes are never stopped with SIGTTIN/SIGTTOU (Linux exempts files opened as
//! `/dev/console`; the same object serves ttyS0 here).

use super::Tty;
use abi::Errno;
use abi::ioctl::{PORT_16550A, TIOCGSERIAL};
use alloc::sync::Arc;

/// Moves what the UART received into the console's flip buffer.
pub fn drain_uart(tty: &Arc<Tty>) {
    let mut bytes = [0u8; 64];
    loop {
        let mut count = 0;
        while count < bytes.len() {
            match hal::console::try_read_byte() {
                Some(byte) => {
                    bytes[count] = byte;
                    count += 1;
                }
                None => break,
            }
        }
        if count == 0 {
            return;
        }
        tty.receive_bytes(&bytes[..count]);
        if count < bytes.len() {
            return;
        }
    }
}

/// Starts the timer that polls the UART every tick.
pub fn start_polling() {
    fn arm() {
        let deadline = crate::time::monotonic_ns() + 1_000_000_000 / hal::time::TICK_HZ;
        crate::sched::timer::add(
            deadline,
            crate::sched::timer::TimerAction::Call(alloc::boxed::Box::new(|| {
                super::console().pump_input();
                arm();
            })),
        );
    }
    arm();
}

/// The console's own ioctls.
pub fn ioctl(command: u32, argument: u64) -> Result<usize, Errno> {
    match command {
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
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}
