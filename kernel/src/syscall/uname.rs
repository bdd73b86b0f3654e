//! uname (Linux's `newuname` in `kernel/sys.c`, names from `kernel/utsname.c`): the system,
//! host, release and version names Ferrux reports.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use abi::Utsname;

/// The release string `uname -r` shows.
pub const RELEASE: &str = "6.1.0-ferrux";
/// The version string `uname -v` shows.
pub const VERSION: &str = "#1 SMP PREEMPT_DYNAMIC Ferrux";

fn fill(field: &mut [u8; 65], value: &[u8]) {
    let len = value.len().min(64);
    field[..len].copy_from_slice(&value[..len]);
}

pub fn uname(_: &mut SyscallContext<'_>, buf: UserPtr<Utsname>) -> SyscallResult {
    let mut name = Utsname::default();
    fill(&mut name.sysname, b"Linux");
    fill(&mut name.nodename, &crate::hostname());
    fill(&mut name.release, RELEASE.as_bytes());
    fill(&mut name.version, VERSION.as_bytes());
    fill(&mut name.machine, b"x86_64");
    fill(&mut name.domainname, &crate::domainname());
    buf.write(&name)?;
    Ok(0)
}
