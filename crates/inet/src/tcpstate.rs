//! TCP states with Linux's numbers (`include/net/tcp_states.h`), as `/proc/net/tcp`'s `st`
//! column and `TCP_INFO`'s `tcpi_state` show them. UDP sockets use `Established` when
//! connected and `Close` otherwise.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TcpState {
    Established = 1,
    SynSent = 2,
    SynRecv = 3,
    FinWait1 = 4,
    FinWait2 = 5,
    TimeWait = 6,
    Close = 7,
    CloseWait = 8,
    LastAck = 9,
    Listen = 10,
    Closing = 11,
}

impl TcpState {
    pub fn number(self) -> u8 {
        self as u8
    }
}
