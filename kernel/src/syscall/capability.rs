//! capget and capset (Linux 6.1 `kernel/capability.c`, `security/commoncap.c`).
//!
//! - The header's version picks one (`_LINUX_CAPABILITY_VERSION_1`) or two (versions 2 and 3)
//!   32-bit records of each set; an unknown version gets version 3 written back and `EINVAL`
//!   (capget with a NULL data pointer then answers 0: that is how libcap asks for the
//!   version). An unreadable header is `EFAULT`.
//! - capget: a negative pid is `EINVAL`; 0 or the caller's thread id reads the caller, another
//!   thread id that thread (`ESRCH` if none); the upper records of a version-1 request are
//!   dropped.
//! - capset: only the caller (pid 0 or its thread id; otherwise `EPERM`); missing upper words
//!   are zero and bits past `CAP_LAST_CAP` ignored; the rules are
//!   `abi::capability::Capabilities::capset` (`EPERM`).
//!
//! Credentials are per process in Ferrux: capset changes the caller's whole process.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use abi::Errno;
use abi::capability::{
    _LINUX_CAPABILITY_VERSION_3, CapRequest, CapSet, CapUserData, CapUserHeader, words_for_version,
};

/// `cap_validate_magic`: how many records the header's version means.
fn validate_version(header: UserPtr<CapUserHeader>) -> Result<usize, Errno> {
    let version: u32 = hal::usercopy::read_user(header.address)?;
    match words_for_version(version) {
        Some(words) => Ok(words),
        None => {
            hal::usercopy::write_user(header.address, &_LINUX_CAPABILITY_VERSION_3)?;
            Err(Errno::EINVAL)
        }
    }
}

fn read_pid(header: UserPtr<CapUserHeader>) -> Result<i32, Errno> {
    hal::usercopy::read_user(header.address + 4)
}

pub fn capget(
    context: &mut SyscallContext<'_>,
    header: UserPtr<CapUserHeader>,
    data: UserPtr<CapUserData>,
) -> SyscallResult {
    let words = match validate_version(header) {
        Err(Errno::EINVAL) if data.is_null() => return Ok(0),
        Err(error) => return Err(error),
        Ok(_) if data.is_null() => return Ok(0),
        Ok(words) => words,
    };
    let pid = read_pid(header)?;
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let thread = context.thread;
    let caps = if pid == 0 || pid as u32 == thread.tid() {
        thread.process.credentials.lock().caps
    } else {
        let target = crate::process::table::find_thread_in(context.thread.pid_ns(), pid as u32)
            .ok_or(Errno::ESRCH)?;
        target.process.credentials.lock().caps
    };
    let word = |set: CapSet, index: usize| (set.0 >> (32 * index)) as u32;
    let records: [CapUserData; 2] = core::array::from_fn(|index| CapUserData {
        effective: word(caps.effective, index),
        permitted: word(caps.permitted, index),
        inheritable: word(caps.inheritable, index),
    });
    hal::usercopy::write_user(data.address, &records[..words])?;
    Ok(0)
}

pub fn capset(
    context: &mut SyscallContext<'_>,
    header: UserPtr<CapUserHeader>,
    data: UserPtr<CapUserData>,
) -> SyscallResult {
    let words = validate_version(header)?;
    let pid = read_pid(header)?;
    let thread = context.thread;
    if pid != 0 && pid as u32 != thread.tid() {
        return Err(Errno::EPERM);
    }
    let mut records = [CapUserData::default(); 2];
    for (index, record) in records.iter_mut().enumerate().take(words) {
        *record = data.offset(index as u64).read()?;
    }
    let set =
        |field: fn(&CapUserData) -> u32| CapSet::from_words(field(&records[0]), field(&records[1]));
    let request = CapRequest {
        effective: set(|record| record.effective),
        permitted: set(|record| record.permitted),
        inheritable: set(|record| record.inheritable),
    };
    let mut credentials = thread.process.credentials.lock();
    credentials.caps = credentials.caps.capset(request)?;
    Ok(0)
}
