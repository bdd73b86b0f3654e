//! arch_prctl (Linux's `arch/x86/kernel/process_64.c`, `do_arch_prctl_64` and
//! `arch/x86/kernel/process.c` for the CPUID faulting codes): the FS and GS base registers.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use abi::Errno;

use abi::prctl::{
    ARCH_GET_CPUID, ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_CPUID, ARCH_SET_FS, ARCH_SET_GS,
};

pub fn arch_prctl(context: &mut SyscallContext<'_>, code: i32, address: u64) -> SyscallResult {
    match code {
        ARCH_SET_FS | ARCH_SET_GS => {
            if address >= hal::mm::USER_END {
                return Err(Errno::EPERM);
            }
            let regs = context.user.regs_mut();
            if code == ARCH_SET_FS {
                regs.fs_base = address;
            } else {
                regs.gs_base = address;
            }
            Ok(0)
        }
        ARCH_GET_FS | ARCH_GET_GS => {
            let regs = context.user.regs();
            let value = if code == ARCH_GET_FS {
                regs.fs_base
            } else {
                regs.gs_base
            };
            UserPtr::<u64>::new(address).write(&value)?;
            Ok(0)
        }
        ARCH_GET_CPUID => Ok(1),
        ARCH_SET_CPUID => Err(Errno::ENODEV),
        _ => Err(Errno::EINVAL),
    }
}
