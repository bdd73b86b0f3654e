//! prctl (Linux's `kernel/sys.c`, with `security/commoncap.c` for the capability options).

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use abi::Errno;

use abi::capability::CapSet;
use abi::prctl::{
    PR_CAP_AMBIENT, PR_CAPBSET_DROP, PR_CAPBSET_READ, PR_GET_CHILD_SUBREAPER, PR_GET_DUMPABLE,
    PR_GET_KEEPCAPS, PR_GET_NAME, PR_GET_NO_NEW_PRIVS, PR_GET_PDEATHSIG, PR_GET_SECUREBITS,
    PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_SET_KEEPCAPS, PR_SET_NAME, PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG, PR_SET_SECUREBITS,
};

/// prctl (`kernel/sys.c`, `security/commoncap.c` for the capability options): the name, the
/// parent-death signal, dumpability, child subreaper, no-new-privs, seccomp, the timer slack
/// (`PR_SET_TIMERSLACK` 0 restores the default, which is the creator's slack at clone), RDTSC
/// per thread (`PR_SET_TSC`/`PR_GET_TSC`: with `PR_TSC_SIGSEGV` the instruction raises SIGSEGV,
/// through CR4.TSD while the thread runs; kept by fork, clone and exec, as Linux's `TIF_NOTSC`), and
/// the capability options (keep-caps, securebits, the bounding and ambient sets; their rules are
/// `abi::capability::Capabilities`'s). Other options answer EINVAL as an unknown option does
/// on Linux.
///
/// PR_SET_SECCOMP and PR_GET_SECCOMP are seccomp's (`super::seccomp`).
///
/// PR_SET_PTRACER is Yama's (`yama_task_prctl`): Debian's kernel has Yama built in with
/// `ptrace_scope` 0, where the exception it names changes nothing, so the call only checks its
/// argument as Yama does.
///
/// The parent-death signal is sent when the parent *process* ends (Linux: when the parent
/// thread that forked the child exits, even if its process lives on).
pub fn prctl(
    context: &mut SyscallContext<'_>,
    option: i32,
    arg2: u64,
    arg3: u64,
    arg4: u64,
    arg5: u64,
) -> SyscallResult {
    let process = &context.thread.process;
    match option {
        PR_SET_PDEATHSIG => {
            if arg2 > u64::from(crate::signal::NSIG) {
                return Err(Errno::EINVAL);
            }
            process.flags.lock().parent_death_signal = arg2 as u32;
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let signal = process.flags.lock().parent_death_signal as i32;
            UserPtr::<i32>::new(arg2).write(&signal)?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(process.flags.lock().dumpable as usize),
        PR_SET_DUMPABLE => {
            if arg2 > 1 {
                return Err(Errno::EINVAL);
            }
            process.flags.lock().dumpable = arg2 as u32;
            Ok(0)
        }
        PR_GET_KEEPCAPS => Ok(usize::from(process.credentials.lock().caps.keep_caps())),
        PR_SET_KEEPCAPS => {
            process.credentials.lock().caps.set_keep_caps(arg2)?;
            Ok(0)
        }
        PR_GET_SECUREBITS => Ok(process.credentials.lock().caps.securebits as usize),
        PR_SET_SECUREBITS => {
            process.credentials.lock().caps.set_securebits(arg2)?;
            Ok(0)
        }
        PR_CAPBSET_READ => {
            if !CapSet::is_valid(arg2) {
                return Err(Errno::EINVAL);
            }
            let bounding = process.credentials.lock().caps.bounding;
            Ok(usize::from(bounding.has(arg2 as u32)))
        }
        PR_CAPBSET_DROP => {
            process.credentials.lock().caps.drop_bounding(arg2)?;
            Ok(0)
        }
        PR_CAP_AMBIENT => process
            .credentials
            .lock()
            .caps
            .ambient_op(arg2, arg3, arg4, arg5),
        PR_SET_CHILD_SUBREAPER => {
            process.flags.lock().is_child_subreaper = arg2 != 0;
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let value = i32::from(process.flags.lock().is_child_subreaper);
            UserPtr::<i32>::new(arg2).write(&value)?;
            Ok(0)
        }
        PR_SET_NO_NEW_PRIVS => {
            if arg2 != 1 || arg3 != 0 || arg4 != 0 || arg5 != 0 {
                return Err(Errno::EINVAL);
            }
            process.flags.lock().no_new_privs = true;
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS => {
            if arg2 != 0 || arg3 != 0 || arg4 != 0 || arg5 != 0 {
                return Err(Errno::EINVAL);
            }
            Ok(usize::from(process.flags.lock().no_new_privs))
        }
        PR_SET_NAME => {
            // Like strncpy_from_user(comm, arg2, 15): at most 15 bytes, a NUL may end it early.
            let mut raw = [0u8; 16];
            match super::args::UserCStr(arg2).read(15) {
                Ok(name) => raw[..name.len()].copy_from_slice(&name),
                Err(Errno::ENAMETOOLONG) => hal::usercopy::copy_from_user(&mut raw[..15], arg2)?,
                Err(error) => return Err(error),
            }
            *context.thread.comm.lock() = raw;
            if context.thread.tid() == context.thread.process.pid {
                // The group leader's name is the process's (`/proc/<pid>/comm`).
                *context.thread.process.name.lock() = raw;
            }
            Ok(0)
        }
        PR_GET_NAME => {
            let name = context.thread.name();
            hal::usercopy::copy_to_user(arg2, &name)?;
            Ok(0)
        }
        PR_SET_PTRACER => set_ptracer(arg2),
        PR_GET_SECCOMP => super::seccomp::prctl_get_seccomp(context),
        PR_SET_TIMERSLACK => {
            context.thread.timer_slack.set(arg2);
            Ok(0)
        }
        PR_GET_TIMERSLACK => Ok(context.thread.timer_slack.get() as usize),
        // The thread's RDTSC setting (`TIF_NOTSC`; kept by fork, clone and exec).
        PR_GET_TSC => {
            let mode: u32 = if context.user.is_tsc_disabled() {
                PR_TSC_SIGSEGV
            } else {
                PR_TSC_ENABLE
            };
            hal::usercopy::write_user(arg2, &mode)?;
            Ok(0)
        }
        PR_SET_TSC => {
            match u32::try_from(arg2) {
                Ok(PR_TSC_ENABLE) => context.user.set_tsc_disabled(false),
                Ok(PR_TSC_SIGSEGV) => context.user.set_tsc_disabled(true),
                _ => return Err(Errno::EINVAL),
            }
            Ok(0)
        }
        PR_SET_SECCOMP => super::seccomp::prctl_set_seccomp(context, arg2, arg3),
        _ => Err(Errno::EINVAL),
    }
}

/// Yama's `PR_SET_PTRACER` (`0x59616d61`): 0 (no exception), `PR_SET_PTRACER_ANY` (-1, as an
/// `unsigned long` or an `int`) or an existing task's id; another id is `EINVAL`.
const PR_SET_PTRACER: i32 = 0x5961_6d61;
const PR_GET_SECCOMP: i32 = 21;
const PR_SET_SECCOMP: i32 = 22;
const PR_GET_TIMERSLACK: i32 = 30;
const PR_GET_TSC: i32 = 25;
const PR_SET_TSC: i32 = 26;
const PR_TSC_ENABLE: u32 = 1;
const PR_TSC_SIGSEGV: u32 = 2;
const PR_SET_TIMERSLACK: i32 = 29;

fn set_ptracer(tracer: u64) -> SyscallResult {
    if tracer == 0 || tracer == u64::MAX || tracer as u32 as i32 == -1 {
        return Ok(0);
    }
    // The id is taken as a pid_t (the low 32 bits), as `find_get_task_by_vpid` does.
    let pid = tracer as u32 as i32;
    let exists = pid > 0
        && crate::process::table::find_thread_in(crate::process::current().pid_ns(), pid as u32)
            .is_some();
    if !exists {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}
