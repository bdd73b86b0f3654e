//! The line discipline's rules, one test per behaviour (checked against Linux 6.1's n_tty.c).

use super::*;
use alloc::vec;

fn std() -> Termios {
    std_termios(raw::B38400 | raw::CS8 | raw::CREAD)
}

/// Feeds `input`, returns (echo, signals seen, bytes refused).
fn feed(ldisc: &mut Ldisc, termios: &Termios, input: &[u8]) -> (Vec<u8>, Vec<SignalChar>, usize) {
    let mut echo = Vec::new();
    let mut signals = Vec::new();
    let mut refused = 0;
    for &b in input {
        let mut effects = Effects::default();
        if !ldisc.receive(termios, b, &mut effects) {
            refused += 1;
        }
        echo.extend_from_slice(&effects.output);
        signals.extend(effects.signal);
    }
    (echo, signals, refused)
}

fn read_all(ldisc: &mut Ldisc, termios: &Termios, size: usize) -> (Vec<u8>, bool) {
    let mut buf = vec![0; size];
    let (n, end) = ldisc.read(termios, &mut buf);
    buf.truncate(n);
    (buf, end)
}

#[test]
fn canonical_lines_and_echo() {
    let t = std();
    let mut l = Ldisc::new();
    let (echo, _, _) = feed(&mut l, &t, b"ab");
    assert_eq!(echo, b"ab");
    assert!(!l.is_readable(&t));
    let (echo, _, _) = feed(&mut l, &t, b"\r");
    // ICRNL: CR becomes NL, echoed through ONLCR.
    assert_eq!(echo, b"\r\n");
    assert!(l.is_readable(&t));
    feed(&mut l, &t, b"cd\n");
    assert_eq!(read_all(&mut l, &t, 100), (b"ab\n".to_vec(), true));
    // A short buffer takes part of a line; the rest stays.
    assert_eq!(read_all(&mut l, &t, 1), (b"c".to_vec(), false));
    assert_eq!(read_all(&mut l, &t, 100), (b"d\n".to_vec(), true));
    assert!(!l.is_readable(&t));
}

#[test]
fn eof_ends_a_line_without_being_read() {
    let t = std();
    let mut l = Ldisc::new();
    let (echo, _, _) = feed(&mut l, &t, b"xy\x04\x04");
    assert_eq!(echo, b"xy");
    assert_eq!(read_all(&mut l, &t, 100), (b"xy".to_vec(), true));
    // An empty line ended by EOF reads as end of file.
    assert_eq!(read_all(&mut l, &t, 100), (b"".to_vec(), true));
    assert!(!l.is_readable(&t));
}

#[test]
fn erase_kill_werase() {
    let t = std();
    let mut l = Ldisc::new();
    let (echo, _, _) = feed(&mut l, &t, b"abc\x7f");
    assert_eq!(echo, b"abc\x08 \x08");
    // Erase of nothing echoes nothing.
    let (echo, _, _) = feed(&mut l, &t, b"\x15\x7f");
    assert_eq!(echo, b"\x08 \x08\x08 \x08");
    feed(&mut l, &t, b"one two  \x17\n");
    assert_eq!(read_all(&mut l, &t, 100).0, b"one \n");
    // A control character echoed as ^X takes two erasures.
    let (echo, _, _) = feed(&mut l, &t, b"\x01\x7f");
    assert_eq!(echo, b"^A\x08 \x08\x08 \x08");
}

#[test]
fn kill_without_echoke_echoes_the_char_and_newline() {
    let mut t = std();
    t.c_lflag &= !ECHOKE;
    let mut l = Ldisc::new();
    let (echo, _, _) = feed(&mut l, &t, b"ab\x15");
    assert_eq!(echo, b"ab^U\r\n");
    assert_eq!(l.buffered(), 0);
}

#[test]
fn erase_without_echoe_echoes_the_erase_char() {
    let mut t = std();
    t.c_lflag &= !ECHOE;
    let mut l = Ldisc::new();
    let (echo, _, _) = feed(&mut l, &t, b"a\x7f");
    assert_eq!(echo, b"a^?");
}

#[test]
fn utf8_erase_removes_a_whole_character() {
    let mut t = std();
    t.c_iflag |= IUTF8;
    let mut l = Ldisc::new();
    feed(&mut l, &t, "aé".as_bytes());
    let (echo, _, _) = feed(&mut l, &t, b"\x7f\n");
    assert_eq!(echo, b"\x08 \x08\r\n");
    assert_eq!(read_all(&mut l, &t, 100).0, b"a\n");
}

#[test]
fn signal_characters() {
    let t = std();
    let mut l = Ldisc::new();
    feed(&mut l, &t, b"partial");
    let mut effects = Effects::default();
    assert!(l.receive(&t, 0x03, &mut effects));
    assert_eq!(effects.signal, Some(SignalChar::Interrupt));
    assert!(effects.flushed_input);
    assert_eq!(effects.output, b"^C");
    assert_eq!(l.buffered(), 0);
    let (_, signals, _) = feed(&mut l, &t, b"\x1c\x1a");
    assert_eq!(signals, vec![SignalChar::Quit, SignalChar::Suspend]);
    // NOFLSH keeps the input; without ISIG the characters are data.
    let mut t2 = t;
    t2.c_lflag |= NOFLSH;
    feed(&mut l, &t2, b"keep\x03");
    assert_eq!(l.buffered(), 4);
    let mut t3 = t;
    t3.c_lflag &= !ISIG;
    let (_, signals, _) = feed(&mut l, &t3, b"\x03\n");
    assert!(signals.is_empty());
    assert_eq!(read_all(&mut l, &t3, 100).0, b"keep\x03\n");
}

#[test]
fn raw_mode_takes_bytes_and_echoes_controls() {
    let mut t = std();
    t.c_lflag &= !ICANON;
    let mut l = Ldisc::new();
    let (echo, _, _) = feed(&mut l, &t, b"a\r\x7f");
    // ICRNL still maps; in raw mode a newline echoes as ^J.
    assert_eq!(echo, b"a^J^?");
    assert!(l.is_readable(&t));
    assert_eq!(read_all(&mut l, &t, 2), (b"a\n".to_vec(), false));
    assert_eq!(read_all(&mut l, &t, 8), (b"\x7f".to_vec(), false));
}

#[test]
fn raw_mode_refuses_when_full() {
    let mut t = std();
    t.c_lflag &= !(ICANON | ECHO);
    let mut l = Ldisc::new();
    let (_, _, refused) = feed(&mut l, &t, &[b'x'; N_TTY_BUF_SIZE + 10]);
    assert_eq!(refused, 11);
    assert_eq!(l.readable_len(&t), N_TTY_BUF_SIZE - 1);
}

#[test]
fn overlong_canonical_line_drops_characters() {
    let mut t = std();
    t.c_lflag &= !ECHO;
    let mut l = Ldisc::new();
    feed(&mut l, &t, &[b'y'; 5000]);
    feed(&mut l, &t, b"\n");
    let (line, end) = read_all(&mut l, &t, 8192);
    assert!(end);
    assert_eq!(line.len(), N_TTY_BUF_SIZE - 1);
    assert_eq!(line.last(), Some(&b'\n'));
}

#[test]
fn flow_control_characters() {
    let t = std();
    let mut l = Ldisc::new();
    let mut effects = Effects::default();
    l.receive(&t, 0x13, &mut effects);
    assert_eq!(effects.flow, Some(true));
    assert!(l.is_stopped());
    let mut effects = Effects::default();
    l.receive(&t, b'a', &mut effects);
    assert_eq!(effects.flow, None);
    let mut effects = Effects::default();
    l.receive(&t, 0x11, &mut effects);
    assert_eq!(effects.flow, Some(false));
    assert_eq!(l.buffered(), 1);
    // IXANY: any character restarts.
    let mut t2 = t;
    t2.c_iflag |= IXANY;
    l.set_stopped(true);
    let mut effects = Effects::default();
    l.receive(&t2, b'b', &mut effects);
    assert_eq!(effects.flow, Some(false));
}

#[test]
fn lnext_and_reprint() {
    let t = std();
    let mut l = Ldisc::new();
    let (echo, _, _) = feed(&mut l, &t, b"\x16\x03");
    assert_eq!(echo, b"^\x08^C");
    let (echo, _, _) = feed(&mut l, &t, b"z\x12");
    assert_eq!(echo, b"z^R\r\n^Cz");
    feed(&mut l, &t, b"\n");
    assert_eq!(read_all(&mut l, &t, 10).0, b"\x03z\n");
}

#[test]
fn input_mapping() {
    let mut t = std();
    t.c_iflag = IGNCR | INLCR;
    let mut l = Ldisc::new();
    feed(&mut l, &t, b"a\rb");
    t.c_lflag &= !ICANON;
    let _ = l.set_termios(&std(), &t);
    assert_eq!(read_all(&mut l, &t, 10).0, b"ab");
    t.c_iflag = INLCR | ISTRIP;
    feed(&mut l, &t, b"\n\xc1");
    assert_eq!(read_all(&mut l, &t, 10).0, b"\rA");
}

#[test]
fn switching_modes_keeps_data() {
    let t = std();
    let mut raw_t = t;
    raw_t.c_lflag &= !ICANON;
    let mut l = Ldisc::new();
    feed(&mut l, &t, b"half");
    l.set_termios(&t, &raw_t);
    assert_eq!(read_all(&mut l, &raw_t, 10).0, b"half");
    feed(&mut l, &raw_t, b"xy");
    l.set_termios(&raw_t, &t);
    assert!(l.is_readable(&t));
    assert_eq!(read_all(&mut l, &t, 10), (b"xy".to_vec(), true));
}

#[test]
fn output_processing() {
    let t = std();
    let mut l = Ldisc::new();
    let mut out = Vec::new();
    l.process_output(&t, b"a\nb", &mut out);
    assert_eq!(out, b"a\r\nb");
    let mut t2 = t;
    t2.c_oflag = OPOST | OCRNL | XTABS | OLCUC;
    out.clear();
    l.process_output(&t2, b"\r\tx", &mut out);
    // column was 1 ("b"): the tab pads to column 8.
    assert_eq!(out, b"\n       X");
    let mut t3 = t;
    t3.c_oflag = OPOST | ONOCR;
    out.clear();
    l.process_output(&t3, b"\r\r", &mut out);
    assert_eq!(out, b"\r");
    out.clear();
    l.process_output(&Termios { c_oflag: 0, ..t }, b"a\nb", &mut out);
    assert_eq!(out, b"a\nb");
}

#[test]
fn tab_erase_backs_up_to_the_tab_start() {
    let t = std();
    let mut l = Ldisc::new();
    let (echo, _, _) = feed(&mut l, &t, b"ab\t\x7f");
    assert_eq!(echo, b"ab\t\x08\x08\x08\x08\x08\x08");
}
