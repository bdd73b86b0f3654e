//! Typed syscall arguments: how a raw register becomes a `Fd`, a `UserPtr<T>`, a path or a
//! number, and how each prints in a trace line.
//!
//! Conversions never touch user memory (validation is delayed as in Linux: `read(fd, NULL, 0)`
//! succeeds); pointers are checked when the handler copies through them.

use abi::Errno;
use alloc::format;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

/// Converts one raw argument register.
pub trait FromArg: Sized {
    fn from_arg(raw: u64) -> Self;
}

/// A file descriptor argument (an `int`; negative values are kept so handlers can answer EBADF
/// or treat AT_FDCWD specially).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fd(pub i32);

impl FromArg for Fd {
    fn from_arg(raw: u64) -> Self {
        Fd(raw as u32 as i32)
    }
}

/// A user pointer to `T` (or to an array of `T`).
pub struct UserPtr<T> {
    pub address: u64,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Clone for UserPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for UserPtr<T> {}

impl<T> UserPtr<T> {
    pub fn new(address: u64) -> UserPtr<T> {
        UserPtr {
            address,
            _marker: PhantomData,
        }
    }

    pub fn is_null(&self) -> bool {
        self.address == 0
    }

    /// The pointer `count` elements further.
    pub fn offset(&self, count: u64) -> UserPtr<T> {
        UserPtr::new(
            self.address
                .wrapping_add(count.wrapping_mul(core::mem::size_of::<T>() as u64)),
        )
    }
}

impl<T: zerocopy::FromBytes + zerocopy::IntoBytes> UserPtr<T> {
    /// Copies the value in.
    pub fn read(&self) -> Result<T, Errno> {
        hal::usercopy::read_user(self.address)
    }
}

impl<T: zerocopy::IntoBytes + zerocopy::Immutable> UserPtr<T> {
    /// Copies `value` out.
    pub fn write(&self, value: &T) -> Result<(), Errno> {
        hal::usercopy::write_user(self.address, value)
    }
}

impl<T> FromArg for UserPtr<T> {
    fn from_arg(raw: u64) -> Self {
        UserPtr::new(raw)
    }
}

/// A NUL-terminated string argument (a path, a name).
#[derive(Clone, Copy)]
pub struct UserCStr(pub u64);

/// `PATH_MAX`, including the NUL.
pub const PATH_MAX: usize = abi::raw::general::PATH_MAX as usize;

impl UserCStr {
    /// Reads a path: at most `PATH_MAX - 1` bytes (`ENAMETOOLONG`), `EFAULT` on a bad pointer.
    pub fn read_path(&self) -> Result<Vec<u8>, Errno> {
        hal::usercopy::read_user_cstr(self.0, PATH_MAX - 1)
    }

    /// Reads a string of at most `max_len` bytes.
    pub fn read(&self, max_len: usize) -> Result<Vec<u8>, Errno> {
        hal::usercopy::read_user_cstr(self.0, max_len)
    }
}

impl FromArg for UserCStr {
    fn from_arg(raw: u64) -> Self {
        UserCStr(raw)
    }
}

/// Linux `copy_struct_from_user`: fills `dst` (the kernel's struct) from a user struct of
/// `user_size` bytes at `address`. A smaller user struct leaves the rest zero; a larger one is
/// accepted only if the bytes past `dst` are zero (`E2BIG`; `EFAULT` if they cannot be read,
/// checked before the copy as Linux does).
pub fn copy_struct_from_user(dst: &mut [u8], address: u64, user_size: usize) -> Result<(), Errno> {
    let size = dst.len();
    if user_size > size {
        let mut chunk = [0u8; 64];
        let mut offset = size;
        while offset < user_size {
            let count = (user_size - offset).min(chunk.len());
            let at = address.checked_add(offset as u64).ok_or(Errno::EFAULT)?;
            hal::usercopy::copy_from_user(&mut chunk[..count], at)?;
            if chunk[..count].iter().any(|&byte| byte != 0) {
                return Err(Errno::E2BIG);
            }
            offset += count;
        }
    }
    let count = size.min(user_size);
    dst[count..].fill(0);
    hal::usercopy::copy_from_user(&mut dst[..count], address)
}

/// Flag-set arguments: the register's bits are kept as they are (`from_bits_retain`, after the
/// C type's truncation to 32 bits for an `int` argument); the handler then gives Linux's answer
/// for unknown bits with [`abi::KnownFlags`]. Traced by name (`O_RDWR | O_CREAT`).
macro_rules! flag_args {
    ($($t:ty),*) => {$(
        impl FromArg for $t {
            fn from_arg(raw: u64) -> Self {
                <$t>::from_bits_retain(raw as _)
            }
        }

        impl TraceArg for $t {
            fn trace(&self, f: &mut dyn fmt::Write) -> fmt::Result {
                if bitflags::Flags::is_empty(self) {
                    f.write_str("0")
                } else {
                    bitflags::parser::to_writer(self, WriteAdapter(f))
                }
            }
        }
    )*};
}
flag_args!(
    abi::OpenFlags,
    abi::AtFlags,
    abi::PipeFlags,
    abi::CloseRangeFlags,
    abi::WaitFlags,
    abi::GetrandomFlags,
    abi::TimerfdFlags,
    abi::TimerfdSettimeFlags,
    abi::PidfdFlags,
    abi::EventfdFlags,
    abi::SignalfdFlags,
    abi::EpollCreateFlags,
    abi::TimerFlags,
    abi::RenameFlags
);

/// `bitflags`' writer wants a `core::fmt::Write` by value.
struct WriteAdapter<'a>(&'a mut dyn fmt::Write);

impl fmt::Write for WriteAdapter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write_str(s)
    }
}

macro_rules! int_args {
    ($($t:ty),*) => { $(impl FromArg for $t { fn from_arg(raw: u64) -> Self { raw as $t } })* };
}
int_args!(u64, i64, usize, isize, u32, i32);

/// Formats an argument for `ferrux.trace=1`.
pub trait TraceArg {
    fn trace(&self, f: &mut dyn fmt::Write) -> fmt::Result;
}

impl TraceArg for Fd {
    fn trace(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        if self.0 == -100 {
            f.write_str("AT_FDCWD")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl<T> TraceArg for UserPtr<T> {
    fn trace(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        if self.address == 0 {
            f.write_str("NULL")
        } else {
            write!(f, "{:#x}", self.address)
        }
    }
}

impl TraceArg for UserCStr {
    fn trace(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        match hal::usercopy::read_user_cstr(self.0, 64) {
            Ok(bytes) => write!(
                f,
                "\"{}\"",
                alloc::string::String::from_utf8_lossy(&bytes).escape_debug()
            ),
            Err(Errno::ENAMETOOLONG) => f.write_str("\"...\""),
            Err(_) => write!(f, "{:#x}", self.0),
        }
    }
}

macro_rules! trace_ints {
    ($($t:ty),*) => { $(impl TraceArg for $t { fn trace(&self, f: &mut dyn fmt::Write) -> fmt::Result { write!(f, "{}", self) } })* };
}
trace_ints!(i64, isize, i32);

macro_rules! trace_hex {
    ($($t:ty),*) => { $(impl TraceArg for $t { fn trace(&self, f: &mut dyn fmt::Write) -> fmt::Result { if *self < 4096 { write!(f, "{}", self) } else { write!(f, "{:#x}", self) } } })* };
}
trace_hex!(u64, usize, u32);

/// Maps `len` bytes of anonymous read-write memory in the calling process, as user space would.
fn map_test_memory(context: &mut super::SyscallContext<'_>, len: u64) -> Result<u64, Errno> {
    use abi::raw::general::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};
    super::mmap::mmap(
        context,
        0,
        len,
        u64::from(PROT_READ | PROT_WRITE),
        u64::from(MAP_PRIVATE | MAP_ANONYMOUS),
        Fd(-1),
        0,
    )
    .map(|address| address as u64)
}

hal::ktest! {
    /// Copies to and from an unmapped user address fail with EFAULT through the fault fixup
    /// (no kernel oops); a copy that runs from a mapped page into an unmapped one fails too,
    /// after writing the mapped part; kernel addresses are refused before any access.
    fn usercopy_faults_become_efault() -> hal::ktest::KtestResult {
        let thread = crate::process::current();
        let mut user = hal::user::UserContext::try_new().map_err(|e| format!("{e:?}"))?;
        let mut context = super::SyscallContext {
            thread: &thread,
            user: &mut user,
        };
        let page = crate::mm::PAGE_SIZE;
        let start = map_test_memory(&mut context, 2 * page).map_err(|e| format!("mmap: {e:?}"))?;
        super::mmap::munmap(&mut context, start + page, page).map_err(|e| format!("{e:?}"))?;
        let hole = start + page;

        hal::ktest_assert_eq!(UserPtr::<u64>::new(hole).write(&1), Err(Errno::EFAULT));
        hal::ktest_assert_eq!(UserPtr::<u64>::new(hole).read(), Err(Errno::EFAULT));
        // 16 bytes: the first 8 land at the end of the mapped page, the rest in the hole.
        let across = hole - 8;
        let bytes = [0xa5u8; 16];
        hal::ktest_assert_eq!(hal::usercopy::copy_to_user(across, &bytes), Err(Errno::EFAULT));
        hal::ktest_assert_eq!(UserPtr::<u64>::new(across).read(), Ok(0xa5a5_a5a5_a5a5_a5a5));
        // A string that runs into the hole has no NUL: EFAULT, not a read past the page.
        hal::ktest_assert_eq!(UserCStr(across).read(64), Err(Errno::EFAULT));
        // Kernel memory (this stack) is never a user address.
        let kernel_address = core::ptr::from_ref(&start) as u64;
        hal::ktest_assert_eq!(UserPtr::<u64>::new(kernel_address).read(), Err(Errno::EFAULT));
        // The mapped page still works.
        hal::ktest_assert_eq!(UserPtr::<u64>::new(start).write(&42), Ok(()));
        hal::ktest_assert_eq!(UserPtr::<u64>::new(start).read(), Ok(42));
        super::mmap::munmap(&mut context, start, page).map_err(|e| format!("{e:?}"))?;
        hal::ktest_assert_eq!(UserPtr::<u64>::new(start).read(), Err(Errno::EFAULT));
        Ok(())
    }
}
