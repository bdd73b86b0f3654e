//! 16550 UART on COM1 (I/O port 0x3f8, IRQ 4): the kernel log and the console device.
//!
//! Output polls the transmit-holding-register-empty bit. Input is read from the receive FIFO by
//! [`try_read_byte`]; the console driver in the kernel polls it from its wait loop (an interrupt-
//! driven receive path comes with the I/O APIC driver). Line settings follow what Linux's 8250
//! driver programs for `console=ttyS0`: 115200 baud, 8 data bits, no parity, 1 stop bit.

use super::io::Port;
use crate::sync::SpinLockIrq;

const COM1: u16 = 0x3f8;
const DATA: Port = Port(COM1);
const INTERRUPT_ENABLE: Port = Port(COM1 + 1);
const FIFO_CONTROL: Port = Port(COM1 + 2);
const LINE_CONTROL: Port = Port(COM1 + 3);
const MODEM_CONTROL: Port = Port(COM1 + 4);
const LINE_STATUS: Port = Port(COM1 + 5);

const LSR_DATA_READY: u8 = 0x01;
const LSR_TX_EMPTY: u8 = 0x20;

/// Serialises writers so that log lines from different contexts do not interleave mid-line.
/// IRQ-saving: the kernel log may be written from an interrupt handler.
static WRITE_LOCK: SpinLockIrq<()> = SpinLockIrq::new("serial.write", ());

/// Programs COM1 for 115200 8N1 with FIFOs enabled and interrupts off.
pub fn init() {
    INTERRUPT_ENABLE.write_u8(0x00);
    LINE_CONTROL.write_u8(0x80); // DLAB on: the next two ports are the divisor
    DATA.write_u8(0x01); // divisor 1 = 115200 baud
    INTERRUPT_ENABLE.write_u8(0x00);
    LINE_CONTROL.write_u8(0x03); // 8N1, DLAB off
    FIFO_CONTROL.write_u8(0xc7); // enable and clear FIFOs, 14-byte threshold
    MODEM_CONTROL.write_u8(0x0b); // DTR, RTS, OUT2
}

fn write_byte_raw(byte: u8) {
    while LINE_STATUS.read_u8() & LSR_TX_EMPTY == 0 {
        core::hint::spin_loop();
    }
    DATA.write_u8(byte);
}

/// Writes bytes to the serial line, turning `\n` into `\r\n` as a terminal expects.
pub fn write_bytes(bytes: &[u8]) {
    let _guard = WRITE_LOCK.lock();
    write_bytes_locked(bytes);
}

fn write_bytes_locked(bytes: &[u8]) {
    for &byte in bytes {
        if byte == b'\n' {
            write_byte_raw(b'\r');
        }
        write_byte_raw(byte);
    }
}

/// Writes bytes exactly as given (the tty layer does its own output processing).
pub fn write_raw(bytes: &[u8]) {
    let _guard = WRITE_LOCK.lock();
    for &byte in bytes {
        write_byte_raw(byte);
    }
}

/// Writes bytes without taking the lock: for the panic path, where the lock may be held by the
/// code that panicked.
pub fn write_bytes_unlocked(bytes: &[u8]) {
    write_bytes_locked(bytes);
}

/// Returns the next received byte, if one is waiting.
pub fn try_read_byte() -> Option<u8> {
    if LINE_STATUS.read_u8() & LSR_DATA_READY != 0 {
        Some(DATA.read_u8())
    } else {
        None
    }
}
