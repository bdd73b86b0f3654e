//! Error numbers as Linux defines them (`include/uapi/asm-generic/errno-base.h`, `errno.h`).
//!
//! A syscall handler returns `Result<usize, Errno>`; the dispatcher turns `Err(e)` into `-e.0`.

use linux_raw_sys::errno as e;

/// A Linux error number (always positive here; the syscall return value is its negation).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(pub u16);

macro_rules! errnos {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $name: Errno = Errno(e::$name as u16);
            )*

            /// The symbolic name, as strace prints it (`"ENOENT"`), or `None` if unknown.
            pub fn name(self) -> Option<&'static str> {
                $(if self.0 == e::$name as u16 { return Some(stringify!($name)); })*
                None
            }
        }
    };
}

errnos!(
    EPERM,
    ENOENT,
    ESRCH,
    EINTR,
    EIO,
    ENXIO,
    E2BIG,
    ENOEXEC,
    EBADF,
    ECHILD,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    ENOTBLK,
    EBUSY,
    EEXIST,
    EXDEV,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOTTY,
    ETXTBSY,
    EFBIG,
    ENOSPC,
    ESPIPE,
    EROFS,
    EMLINK,
    EPIPE,
    EDOM,
    ERANGE,
    EDEADLK,
    ENAMETOOLONG,
    ENOLCK,
    ENOSYS,
    ENOTEMPTY,
    ELOOP,
    ENOMSG,
    EIDRM,
    ENOSTR,
    ENODATA,
    ETIME,
    ENOSR,
    ENOLINK,
    EPROTO,
    EBADMSG,
    EOVERFLOW,
    EILSEQ,
    EUSERS,
    ENOTSOCK,
    EDESTADDRREQ,
    EMSGSIZE,
    EPROTOTYPE,
    ENOPROTOOPT,
    EPROTONOSUPPORT,
    ESOCKTNOSUPPORT,
    EOPNOTSUPP,
    EPFNOSUPPORT,
    EAFNOSUPPORT,
    EADDRINUSE,
    EADDRNOTAVAIL,
    ENETDOWN,
    ENETUNREACH,
    ENETRESET,
    ECONNABORTED,
    ECONNRESET,
    ENOBUFS,
    EISCONN,
    ENOTCONN,
    ESHUTDOWN,
    ETOOMANYREFS,
    ETIMEDOUT,
    ECONNREFUSED,
    EHOSTDOWN,
    EHOSTUNREACH,
    EALREADY,
    EINPROGRESS,
    ESTALE,
    EDQUOT,
    ECANCELED,
    EOWNERDEAD,
    ENOTRECOVERABLE,
    ECHRNG,
    EL2NSYNC,
    EL3HLT,
    EL3RST,
    ELNRNG,
    EUNATCH,
    ENOCSI,
    EL2HLT,
    EBADE,
    EBADR,
    EXFULL,
    ENOANO,
    EBADRQC,
    EBADSLT,
    EBFONT,
    ENONET,
    ENOPKG,
    EREMOTE,
    EADV,
    ESRMNT,
    ECOMM,
    EMULTIHOP,
    EDOTDOT,
    ENOTUNIQ,
    EBADFD,
    EREMCHG,
    ELIBACC,
    ELIBBAD,
    ELIBSCN,
    ELIBMAX,
    ELIBEXEC,
    ERESTART,
    ESTRPIPE,
    EUCLEAN,
    ENOTNAM,
    ENAVAIL,
    EISNAM,
    EREMOTEIO,
    ENOMEDIUM,
    EMEDIUMTYPE,
    ENOKEY,
    EKEYEXPIRED,
    EKEYREVOKED,
    EKEYREJECTED,
    ERFKILL,
    EHWPOISON,
);

impl Errno {
    /// `EWOULDBLOCK`, Linux's other name for [`Errno::EAGAIN`].
    pub const EWOULDBLOCK: Errno = Errno(e::EWOULDBLOCK as u16);
    /// `EDEADLOCK`, Linux's other name for [`Errno::EDEADLK`].
    pub const EDEADLOCK: Errno = Errno(e::EDEADLOCK as u16);
    /// `ENOTSUP`, which glibc and musl define as [`Errno::EOPNOTSUPP`].
    pub const ENOTSUP: Errno = Errno::EOPNOTSUPP;
}

impl Errno {
    /// Linux's "restart the syscall if the handler has SA_RESTART" code (kernel-internal, never
    /// seen by user space).
    pub const ERESTARTSYS: Errno = Errno(512);
    /// Always restart, handler or not (kernel-internal).
    pub const ERESTARTNOINTR: Errno = Errno(513);
    /// Restart unless a handler ran (kernel-internal).
    pub const ERESTARTNOHAND: Errno = Errno(514);
    /// Restart through `restart_syscall` (kernel-internal).
    pub const ERESTART_RESTARTBLOCK: Errno = Errno(516);

    /// The value a syscall returns in `rax` for this error: `-errno` as an unsigned word.
    pub fn as_syscall_return(self) -> usize {
        (-(self.0 as isize)) as usize
    }
}

impl core::fmt::Debug for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_linux() {
        assert_eq!(Errno::EPERM.0, 1);
        assert_eq!(Errno::ENOENT.0, 2);
        assert_eq!(Errno::EFAULT.0, 14);
        assert_eq!(Errno::ENOSYS.0, 38);
        assert_eq!(Errno::ELOOP.0, 40);
        assert_eq!(Errno::EAGAIN.0, 11);
    }

    #[test]
    fn syscall_return_is_negated() {
        assert_eq!(Errno::ENOENT.as_syscall_return() as isize, -2);
    }

    #[test]
    fn every_linux_errno_has_a_name() {
        for number in 1..=133 {
            if number == 41 || number == 58 {
                continue; // Unused in Linux's numbering.
            }
            assert!(Errno(number).name().is_some(), "errno {number}");
        }
        assert_eq!(Errno::ELIBBAD.0, 80);
        assert_eq!(Errno::EWOULDBLOCK, Errno::EAGAIN);
        assert_eq!(Errno::EAGAIN.name(), Some("EAGAIN"));
        assert_eq!(Errno::EDEADLK.name(), Some("EDEADLK"));
        assert_eq!(Errno::EHWPOISON.0, 133);
    }

    #[test]
    fn names() {
        assert_eq!(Errno::ENAMETOOLONG.name(), Some("ENAMETOOLONG"));
        assert_eq!(Errno(4000).name(), None);
    }
}
