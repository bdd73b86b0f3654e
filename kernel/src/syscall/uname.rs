//! uname, sethostname, setdomainname (Linux's `newuname`, `sethostname`, `setdomainname` in
//! `kernel/sys.c`; the names live in [`crate::uts`]).
//!
//! The names are the caller's UTS namespace's. sethostname and setdomainname: `EPERM` without
//! `CAP_SYS_ADMIN` in the user namespace that owns it (checked first), `EINVAL`
//! for a length below 0 or above 64, `EFAULT` for a bad pointer; the name is the `len` bytes
//! given, NULs included, the rest of the field zero (a length of 0 makes the name empty).

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::uts::NEW_UTS_LEN;
use abi::{Errno, Utsname};

/// The release string `uname -r` shows.
pub const RELEASE: &str = "6.1.0-ferrux";
/// The version string `uname -v` shows.
pub const VERSION: &str = "#1 SMP PREEMPT_DYNAMIC Ferrux";

fn fill(field: &mut [u8; 65], value: &[u8]) {
    let len = value.len().min(64);
    field[..len].copy_from_slice(&value[..len]);
}

pub fn uname(context: &mut SyscallContext<'_>, buf: UserPtr<Utsname>) -> SyscallResult {
    let uts = context.thread.nsproxy().uts.clone();
    let mut name = Utsname::default();
    fill(&mut name.sysname, b"Linux");
    name.nodename = uts.nodename();
    fill(&mut name.release, RELEASE.as_bytes());
    fill(&mut name.version, VERSION.as_bytes());
    fill(&mut name.machine, b"x86_64");
    name.domainname = uts.domainname();
    buf.write(&name)?;
    Ok(0)
}

/// The `len` bytes at `name`, after the checks both calls make.
fn read_name(
    context: &SyscallContext<'_>,
    name: UserPtr<u8>,
    len: i32,
) -> Result<([u8; NEW_UTS_LEN], usize), Errno> {
    let uts = context.thread.nsproxy().uts.clone();
    if !context
        .thread
        .process
        .credentials
        .lock()
        .ns_capable(&uts.owner, abi::capability::CAP_SYS_ADMIN)
    {
        return Err(Errno::EPERM);
    }
    let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
    if len > NEW_UTS_LEN {
        return Err(Errno::EINVAL);
    }
    let mut bytes = [0u8; NEW_UTS_LEN];
    hal::usercopy::copy_from_user(&mut bytes[..len], name.address)?;
    Ok((bytes, len))
}

pub fn sethostname(context: &mut SyscallContext<'_>, name: UserPtr<u8>, len: i32) -> SyscallResult {
    let (bytes, len) = read_name(context, name, len)?;
    context.thread.nsproxy().uts.set_nodename(&bytes[..len]);
    Ok(0)
}

pub fn setdomainname(
    context: &mut SyscallContext<'_>,
    name: UserPtr<u8>,
    len: i32,
) -> SyscallResult {
    let (bytes, len) = read_name(context, name, len)?;
    context.thread.nsproxy().uts.set_domainname(&bytes[..len]);
    Ok(0)
}
