//! seccomp(2) and the prctl options `PR_SET_SECCOMP`/`PR_GET_SECCOMP` (Linux 6.1
//! `kernel/seccomp.c`: `do_seccomp`, `prctl_set_seccomp`, `prctl_get_seccomp`).
//!
//! Operations: `SECCOMP_SET_MODE_STRICT` (no flags, no argument), `SECCOMP_SET_MODE_FILTER`
//! (a `struct sock_fprog`; flags `TSYNC`, `LOG`, `SPEC_ALLOW`, `NEW_LISTENER`, `TSYNC_ESRCH`,
//! `WAIT_KILLABLE_RECV`), `SECCOMP_GET_ACTION_AVAIL`, `SECCOMP_GET_NOTIF_SIZES`; anything else
//! `EINVAL`. A filter needs no_new_privs or `CAP_SYS_ADMIN` (`EACCES`), 1 to 4096 instructions
//! that pass Linux's checks (`EINVAL`, crate `seccomp`), and a readable program (`EFAULT`).
//! With `NEW_LISTENER` the result is the listener's descriptor; with `TSYNC` (without
//! `TSYNC_ESRCH`) a thread that cannot be synchronised is named by its id as the result.
//! The rules at syscall entry are [`crate::seccomp`]'s.

use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::seccomp::notify::{ListenerFile, Notifier};
use crate::seccomp::{self as sc, Filter};
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use alloc::vec::Vec;
use seccomp::bpf::Insn;
use seccomp::{
    SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_TSYNC,
    SECCOMP_FILTER_FLAG_TSYNC_ESRCH, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
    SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES, SECCOMP_MODE_FILTER, SECCOMP_MODE_STRICT,
    SECCOMP_SET_MODE_FILTER, SECCOMP_SET_MODE_STRICT,
};

/// `struct sock_fprog`.
#[repr(C)]
#[derive(
    Clone,
    Copy,
    zerocopy::FromBytes,
    zerocopy::IntoBytes,
    zerocopy::Immutable,
    zerocopy::KnownLayout,
)]
struct SockFprog {
    len: u16,
    pad: [u16; 3],
    filter: u64,
}

pub fn seccomp(context: &mut SyscallContext<'_>, op: u32, flags: u32, uargs: u64) -> SyscallResult {
    match op {
        SECCOMP_SET_MODE_STRICT => {
            if flags != 0 || uargs != 0 {
                return Err(Errno::EINVAL);
            }
            sc::set_mode_strict(context.thread)?;
            Ok(0)
        }
        SECCOMP_SET_MODE_FILTER => set_mode_filter(context, flags, uargs),
        SECCOMP_GET_ACTION_AVAIL => {
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            let action: u32 = hal::usercopy::read_user(uargs)?;
            if seccomp::is_action_available(action) {
                Ok(0)
            } else {
                Err(Errno::EOPNOTSUPP)
            }
        }
        SECCOMP_GET_NOTIF_SIZES => {
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            hal::usercopy::write_user(uargs, &crate::seccomp::notify::SIZES)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `PR_SET_SECCOMP`: strict mode (the filter argument ignored) or a filter with no flags.
pub fn prctl_set_seccomp(
    context: &mut SyscallContext<'_>,
    mode: u64,
    filter: u64,
) -> SyscallResult {
    match mode {
        m if m == u64::from(SECCOMP_MODE_STRICT) => {
            sc::set_mode_strict(context.thread)?;
            Ok(0)
        }
        m if m == u64::from(SECCOMP_MODE_FILTER) => set_mode_filter(context, 0, filter),
        _ => Err(Errno::EINVAL),
    }
}

/// `PR_GET_SECCOMP`: the mode (a strict-mode caller never gets here: prctl kills it).
pub fn prctl_get_seccomp(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(sc::mode(context.thread) as usize)
}

/// Reads and checks the program (`seccomp_prepare_user_filter`).
fn read_program(context: &SyscallContext<'_>, uargs: u64) -> Result<Vec<Insn>, Errno> {
    let fprog: SockFprog = hal::usercopy::read_user(uargs)?;
    let len = usize::from(fprog.len);
    if len == 0 || len > seccomp::bpf::MAX_INSNS {
        return Err(Errno::EINVAL);
    }
    let is_allowed = context.thread.process.flags.lock().no_new_privs
        || context
            .thread
            .process
            .credentials
            .lock()
            .has_capability(abi::capability::CAP_SYS_ADMIN);
    if !is_allowed {
        return Err(Errno::EACCES);
    }
    let mut program: Vec<Insn> = Vec::new();
    program.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
    program.resize(len, Insn::default());
    hal::usercopy::copy_from_user(
        zerocopy::IntoBytes::as_mut_bytes(program.as_mut_slice()),
        fprog.filter,
    )?;
    seccomp::bpf::check_program(&program)?;
    Ok(program)
}

fn set_mode_filter(context: &mut SyscallContext<'_>, flags: u32, uargs: u64) -> SyscallResult {
    if flags & !seccomp::FILTER_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    let tsync = flags & SECCOMP_FILTER_FLAG_TSYNC != 0;
    let tsync_esrch = flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH != 0;
    let new_listener = flags & SECCOMP_FILTER_FLAG_NEW_LISTENER != 0;
    if tsync && new_listener && !tsync_esrch {
        return Err(Errno::EINVAL);
    }
    let wait_killable = flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV != 0;
    if wait_killable && !new_listener {
        return Err(Errno::EINVAL);
    }
    let program = read_program(context, uargs)?;
    let (notifier, listener_file) = if new_listener {
        let notifier = Notifier::new();
        let charge = crate::fs::file_table::charge_with_descriptor(
            context.thread,
            super::fcntl::descriptor_limit(context),
        )?;
        let ops = Arc::new(ListenerFile::new(notifier.clone()));
        let file = Arc::new(OpenFile::new(ops, None, OpenFlags::O_RDWR, charge)?);
        (Some(notifier), Some(file))
    } else {
        (None, None)
    };
    let filter = Filter::new(
        program,
        flags & SECCOMP_FILTER_FLAG_LOG != 0,
        wait_killable,
        notifier,
    );
    // The descriptor was checked for (`get_unused_fd_flags`) before the filter goes in, and
    // is installed after: a full table fails the call with nothing attached.
    if let Some(tid) = sc::attach(context.thread, filter, tsync, tsync_esrch)? {
        return Ok(tid as usize);
    }
    match listener_file {
        Some(file) => super::fcntl::install(context, file, true),
        None => Ok(0),
    }
}
