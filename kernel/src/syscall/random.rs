//! getrandom (Linux's `drivers/char/random.c`): bytes from the kernel's generator
//! (`crate::random`), which never blocks once the kernel runs.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use abi::{GetrandomFlags, KnownFlags};

pub fn getrandom(
    _: &mut SyscallContext<'_>,
    buf: UserPtr<u8>,
    len: usize,
    flags: GetrandomFlags,
) -> SyscallResult {
    let flags = flags.accept_only(GetrandomFlags::all())?;
    if flags.contains(GetrandomFlags::GRND_RANDOM | GetrandomFlags::GRND_INSECURE) {
        return Err(abi::Errno::EINVAL);
    }
    let len = len.min(0x01ff_ffff); // Linux caps one call at 32 MiB - 1
    let mut chunk = [0u8; 256];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len());
        crate::random::fill(&mut chunk[..n]);
        if let Err(error) = hal::usercopy::copy_to_user(buf.address + done as u64, &chunk[..n]) {
            return if done == 0 { Err(error) } else { Ok(done) };
        }
        done += n;
    }
    Ok(done)
}
