//! getrandom (Linux's `drivers/char/random.c`): bytes from the kernel's generator
//! (`crate::random`), which never blocks once the kernel runs.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use abi::Errno;

const GRND_NONBLOCK: u32 = 1;
const GRND_RANDOM: u32 = 2;
const GRND_INSECURE: u32 = 4;

pub fn getrandom(
    _: &mut SyscallContext<'_>,
    buf: UserPtr<u8>,
    len: usize,
    flags: u32,
) -> SyscallResult {
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == (GRND_RANDOM | GRND_INSECURE)
    {
        return Err(Errno::EINVAL);
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
