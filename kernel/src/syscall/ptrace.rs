//! ptrace(2) (Linux `kernel/ptrace.c`'s `sys_ptrace` and `ptrace_request`,
//! `arch/x86/kernel/ptrace.c`'s `arch_ptrace`): the tracer's requests.
//!
//! PTRACE_TRACEME asks the real parent to trace the caller. ATTACH and SEIZE check
//! `__ptrace_may_access` (real ids, `EPERM`), refuse the caller's own thread group, a zombie
//! and a task traced already (`EPERM`); SEIZE takes options and never stops the tracee, ATTACH
//! sends it SIGSTOP. Every other request needs a tracee of the caller that sits in a stop
//! (`ESRCH` otherwise; KILL and INTERRUPT only need it traced); an unknown request is `EIO`.
//! Memory goes through the tracee's address space with `FOLL_FORCE` (an unreachable word is
//! `EIO`); registers through the state the stopped tracee published (`struct user_regs_struct`,
//! the FXSAVE area, the XSAVE image of `NT_X86_XSTATE`, the user area of PEEKUSER/POKEUSER with
//! the debug registers). The rules that stand alone (layouts, register checks, codes) are in
//! `crates/ptracerules`; the stops and links in `process/ptrace.rs`.

use super::{SyscallContext, SyscallResult};
use crate::process::ptrace::{self, PtraceState, ResumeMode};
use crate::process::{Thread, table};
use abi::Errno;
use abi::signal::{SI_KERNEL, SigInfo};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use hal::sync::SpinLockGuard;
use hal::usercopy::{copy_from_user, copy_to_user, read_user, write_user};
use ptracerules::*;
use sigrules::{SIGKILL, SIGSTOP};
use zerocopy::{FromBytes, IntoBytes};

/// `ARCH_SET_GS`… of PTRACE_ARCH_PRCTL.
const ARCH_SET_GS: u64 = 0x1001;
const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;
const ARCH_GET_GS: u64 = 0x1004;
/// Where the XSAVE software bytes sit in the FXSAVE area (`sw_reserved`).
const SW_BYTES_OFFSET: usize = 464;
/// Where the FXSAVE area's reserved padding after the XMM registers starts.
const PADDING_OFFSET: usize = 416;

pub fn ptrace(
    context: &mut SyscallContext<'_>,
    request: u64,
    pid: i64,
    addr: u64,
    data: u64,
) -> SyscallResult {
    let caller = context.thread;
    if request == PTRACE_TRACEME {
        return traceme(caller);
    }
    if pid <= 0 || pid > i64::from(i32::MAX) {
        return Err(Errno::ESRCH);
    }
    let tracee = table::find_thread_in(context.thread.pid_ns(), pid as u32).ok_or(Errno::ESRCH)?;
    if request == PTRACE_ATTACH || request == PTRACE_SEIZE {
        return attach(caller, &tracee, request == PTRACE_SEIZE, addr, data);
    }
    let tracer = &caller.process;
    match request {
        PTRACE_KILL => {
            if !tracee.ptrace.lock().is_traced_by(tracer) {
                return Err(Errno::ESRCH);
            }
            crate::signal::send_to_thread(&tracee, SigInfo::new(SIGKILL as i32, SI_KERNEL));
            return Ok(0);
        }
        PTRACE_INTERRUPT => {
            ptrace::interrupt(tracer, &tracee)?;
            return Ok(0);
        }
        _ => {}
    }
    // ptrace_check_attach: traced by us and stopped (a listening tracee is not).
    {
        let state = tracee.ptrace.lock();
        if !state.is_traced_by(tracer) || !state.is_stopped() || state.is_listening {
            return Err(Errno::ESRCH);
        }
    }
    match request {
        PTRACE_PEEKTEXT | PTRACE_PEEKDATA => {
            let mut word = [0u8; 8];
            if access_memory(&tracee, addr, &mut word, false) != 8 {
                return Err(Errno::EIO);
            }
            write_user(data, &u64::from_le_bytes(word))?;
            Ok(0)
        }
        PTRACE_POKETEXT | PTRACE_POKEDATA => {
            let mut word = data.to_le_bytes();
            if access_memory(&tracee, addr, &mut word, true) != 8 {
                return Err(Errno::EIO);
            }
            Ok(0)
        }
        PTRACE_PEEKUSR => {
            let value = {
                let state = stopped(&tracee)?;
                match user_area_slot(addr)? {
                    UserSlot::Register(index) => user_regs(&state).word(index),
                    UserSlot::DebugRegister(n) => debug_register(&state, n),
                    UserSlot::Other => 0,
                }
            };
            write_user(data, &value)?;
            Ok(0)
        }
        PTRACE_POKEUSR => {
            let mut state = stopped(&tracee)?;
            match user_area_slot(addr)? {
                UserSlot::Register(index) => {
                    let mut regs = user_regs(&state);
                    regs.set_word(index, data)?;
                    set_user_regs(&mut state, &regs);
                    Ok(0)
                }
                UserSlot::DebugRegister(n) => {
                    set_debug_register(&mut state, n, data)?;
                    Ok(0)
                }
                UserSlot::Other => Err(Errno::EIO),
            }
        }
        PTRACE_CONT => resume(tracer, &tracee, ResumeMode::Cont, data),
        PTRACE_SYSCALL => resume(tracer, &tracee, ResumeMode::Syscall, data),
        PTRACE_SINGLESTEP => resume(tracer, &tracee, ResumeMode::SingleStep, data),
        PTRACE_SYSEMU => resume(tracer, &tracee, ResumeMode::Sysemu, data),
        PTRACE_SYSEMU_SINGLESTEP => resume(tracer, &tracee, ResumeMode::SysemuSingleStep, data),
        PTRACE_DETACH => {
            let signal = check_signal(data)?;
            ptrace::detach(tracer, &tracee, signal);
            Ok(0)
        }
        PTRACE_LISTEN => {
            ptrace::listen(tracer, &tracee)?;
            Ok(0)
        }
        PTRACE_GETREGS => {
            let regs = user_regs(&*stopped(&tracee)?);
            write_user(data, &regs)?;
            Ok(0)
        }
        PTRACE_SETREGS => {
            let new: UserRegsStruct = read_user(data)?;
            let mut state = stopped(&tracee)?;
            let mut regs = user_regs(&state);
            let result = regs.set_all(&new);
            set_user_regs(&mut state, &regs);
            result.map(|()| 0)
        }
        PTRACE_GETFPREGS => {
            let image = fxsave_image(&*stopped(&tracee)?)?;
            copy_to_user(data, &image)?;
            Ok(0)
        }
        PTRACE_SETFPREGS => {
            let mut image = [0u8; 512];
            copy_from_user(&mut image, data)?;
            set_fxsave(&mut *stopped(&tracee)?, &image)?;
            Ok(0)
        }
        PTRACE_GETREGSET | PTRACE_SETREGSET => {
            regset(&tracee, request == PTRACE_SETREGSET, addr, data)
        }
        PTRACE_SETOPTIONS => {
            let options = check_options(data)?;
            stopped(&tracee)?.options = options;
            Ok(0)
        }
        PTRACE_GETEVENTMSG => {
            let message = stopped(&tracee)?.event_msg;
            write_user(data, &message)?;
            Ok(0)
        }
        PTRACE_GETSIGINFO => {
            let info = stopped(&tracee)?.siginfo.ok_or(Errno::EINVAL)?;
            write_user(data, &info)?;
            Ok(0)
        }
        PTRACE_SETSIGINFO => {
            let info: SigInfo = read_user(data)?;
            let mut state = stopped(&tracee)?;
            if state.siginfo.is_none() {
                return Err(Errno::EINVAL);
            }
            state.siginfo = Some(info);
            Ok(0)
        }
        PTRACE_GETSIGMASK => {
            if addr != 8 {
                return Err(Errno::EINVAL);
            }
            let mask = tracee.signal_mask.load(Ordering::Relaxed);
            write_user(data, &mask)?;
            Ok(0)
        }
        PTRACE_SETSIGMASK => {
            if addr != 8 {
                return Err(Errno::EINVAL);
            }
            let mask: u64 = read_user(data)?;
            tracee
                .signal_mask
                .store(mask & !sigrules::UNBLOCKABLE, Ordering::Relaxed);
            *tracee.saved_mask.lock() = None;
            crate::signal::recalc_pending(&tracee);
            Ok(0)
        }
        PTRACE_PEEKSIGINFO => peek_siginfo(&tracee, addr, data),
        PTRACE_GET_SYSCALL_INFO => syscall_info(&tracee, addr, data),
        PTRACE_ARCH_PRCTL => arch_prctl(&tracee, addr, data),
        PTRACE_SECCOMP_GET_FILTER => seccomp_filter(caller, &tracee, addr, data),
        PTRACE_SECCOMP_GET_METADATA => seccomp_metadata(caller, &tracee, addr, data),
        _ => Err(Errno::EIO),
    }
}

fn traceme(caller: &Arc<Thread>) -> SyscallResult {
    if ptrace::is_traced(caller) {
        return Err(Errno::EPERM);
    }
    let Some(parent) = caller.process.parent.lock().upgrade() else {
        return Ok(0);
    };
    // cap_ptrace_traceme: the parent needs every capability the caller has, or
    // CAP_SYS_PTRACE.
    {
        let mine = caller.process.credentials.lock().clone();
        let theirs = parent.credentials.lock().clone();
        if !mine.caps.permitted.is_subset_of(theirs.caps.permitted)
            && !theirs.has_capability(abi::capability::CAP_SYS_PTRACE)
        {
            return Err(Errno::EPERM);
        }
    }
    if parent.is_zombie() || parent.lifecycle.lock().group_exit.is_some() {
        // An exiting parent cannot trace: nothing happens (Linux checks PF_EXITING).
        return Ok(0);
    }
    ptrace::link(&parent, caller, false, 0)?;
    Ok(0)
}

fn attach(
    caller: &Arc<Thread>,
    tracee: &Arc<Thread>,
    is_seize: bool,
    addr: u64,
    data: u64,
) -> SyscallResult {
    let options = if is_seize {
        if addr != 0 || data & !u64::from(PTRACE_O_MASK) != 0 {
            return Err(Errno::EIO);
        }
        check_options(data)?
    } else {
        0
    };
    if Arc::ptr_eq(&tracee.process, &caller.process) {
        return Err(Errno::EPERM);
    }
    ptrace::may_access(caller, &tracee.process, false)?;
    if tracee.process.is_zombie() || tracee.is_exiting.load(Ordering::Relaxed) {
        return Err(Errno::EPERM);
    }
    ptrace::link(&caller.process, tracee, is_seize, options)?;
    if !is_seize {
        crate::signal::send_to_thread(tracee, SigInfo::new(SIGSTOP as i32, SI_KERNEL));
    }
    // A stopped task traps for its new tracer (JOBCTL_TRAP_STOP).
    if tracee.process.lifecycle.lock().stopped_by.is_some() {
        tracee.signal_hint.store(true, Ordering::Relaxed);
        crate::sched::wake_up_stopped(tracee);
    }
    Ok(0)
}

fn resume(
    tracer: &Arc<crate::process::Process>,
    tracee: &Arc<Thread>,
    mode: ResumeMode,
    data: u64,
) -> SyscallResult {
    let signal = check_signal(data)?;
    ptrace::resume(tracer, tracee, mode, signal)?;
    Ok(0)
}

/// The tracee's state, still stopped (`ESRCH` if it was killed meanwhile).
fn stopped(tracee: &Thread) -> Result<SpinLockGuard<'_, PtraceState>, Errno> {
    let state = tracee.ptrace.lock();
    if !state.is_stopped() {
        return Err(Errno::ESRCH);
    }
    Ok(state)
}

fn access_memory(tracee: &Thread, address: u64, buffer: &mut [u8], is_write: bool) -> usize {
    let mm = tracee.process.mm.get();
    let space = mm.read();
    space.access_forced(address, buffer, is_write)
}

/// The published registers as `struct user_regs_struct` (`getreg`).
fn user_regs(state: &PtraceState) -> UserRegsStruct {
    let regs = &state.regs;
    let mut rflags = regs.rflags;
    if state.has_forced_tf {
        rflags &= !(1 << 8);
    }
    UserRegsStruct {
        r15: regs.r15,
        r14: regs.r14,
        r13: regs.r13,
        r12: regs.r12,
        rbp: regs.rbp,
        rbx: regs.rbx,
        r11: regs.r11,
        r10: regs.r10,
        r9: regs.r9,
        r8: regs.r8,
        rax: regs.rax,
        rcx: regs.rcx,
        rdx: regs.rdx,
        rsi: regs.rsi,
        rdi: regs.rdi,
        orig_rax: state.orig_rax,
        rip: regs.rip,
        cs: USER_CS,
        eflags: rflags,
        rsp: regs.rsp,
        ss: USER_SS,
        fs_base: regs.fs_base,
        gs_base: regs.gs_base,
        ds: 0,
        es: 0,
        fs: 0,
        gs: 0,
    }
}

/// Stores checked registers back into the published state (segment selectors are fixed on
/// x86-64 and not kept).
fn set_user_regs(state: &mut PtraceState, new: &UserRegsStruct) {
    let regs = &mut state.regs;
    regs.r15 = new.r15;
    regs.r14 = new.r14;
    regs.r13 = new.r13;
    regs.r12 = new.r12;
    regs.rbp = new.rbp;
    regs.rbx = new.rbx;
    regs.r11 = new.r11;
    regs.r10 = new.r10;
    regs.r9 = new.r9;
    regs.r8 = new.r8;
    regs.rax = new.rax;
    regs.rcx = new.rcx;
    regs.rdx = new.rdx;
    regs.rsi = new.rsi;
    regs.rdi = new.rdi;
    regs.rip = new.rip;
    regs.rsp = new.rsp;
    regs.fs_base = new.fs_base;
    regs.gs_base = new.gs_base;
    let tf = 1 << 8;
    if new.eflags & tf != 0 {
        // The tracer set TF itself: it stays when the single-step ends.
        state.has_forced_tf = false;
    }
    let kept_tf = if state.has_forced_tf {
        regs.rflags & tf
    } else {
        0
    };
    regs.rflags = new.eflags | kept_tf;
    state.orig_rax = new.orig_rax;
}

fn debug_register(state: &PtraceState, n: usize) -> u64 {
    match n {
        0..=3 => state.debug_regs[n],
        6 => state.debug_regs[6] ^ DR6_RESERVED,
        7 => state.debug_regs[7],
        _ => 0,
    }
}

/// Debug registers: DR0-DR3 hold addresses (below the top of user space), DR6 is kept, DR7
/// may only be 0: Ferrux arms no hardware breakpoints (`EIO`, where Linux would arm them).
fn set_debug_register(state: &mut PtraceState, n: usize, value: u64) -> Result<(), Errno> {
    match n {
        0..=3 => {
            if value >= TASK_SIZE_MAX {
                return Err(Errno::EIO);
            }
            state.debug_regs[n] = value;
        }
        6 => state.debug_regs[6] = value ^ DR6_RESERVED,
        7 if value == 0 => state.debug_regs[7] = 0,
        _ => return Err(Errno::EIO),
    }
    Ok(())
}

/// The FXSAVE part of the published FPU image (`xfpregs_get`): the padding after the XMM
/// registers and the software bytes read as zeros.
fn fxsave_image(state: &PtraceState) -> Result<[u8; 512], Errno> {
    let mut image = [0u8; 512];
    let source = state.fpu.get(..512).ok_or(Errno::ENOMEM)?;
    image[..PADDING_OFFSET].copy_from_slice(&source[..PADDING_OFFSET]);
    Ok(image)
}

/// The XSAVE software bytes of `NT_X86_XSTATE` (`xstate_fx_sw_bytes`): the first word is the
/// user-visible XCR0 (what debuggers read to learn the register set), the rest zeros.
fn software_bytes() -> [u8; 48] {
    let mut bytes = [0u8; 48];
    bytes[..8].copy_from_slice(&hal::cpu::xsave_features().to_le_bytes());
    bytes
}

/// Replaces the FXSAVE part (`xfpregs_set`): MXCSR's reserved bits must be clear (`EINVAL`);
/// the x87 and SSE components are marked present in the XSAVE header.
fn set_fxsave(state: &mut PtraceState, image: &[u8; 512]) -> Result<(), Errno> {
    let mxcsr = u32::from_le_bytes([image[24], image[25], image[26], image[27]]);
    if mxcsr & 0xffff_0000 != 0 {
        return Err(Errno::EINVAL);
    }
    if state.fpu.len() < 512 {
        return Err(Errno::ENOMEM);
    }
    // The software bytes stay the kernel's.
    state.fpu[..SW_BYTES_OFFSET].copy_from_slice(&image[..SW_BYTES_OFFSET]);
    if state.fpu.len() > 512 {
        state.fpu[512] |= 0x3;
    }
    state.is_fpu_changed = true;
    Ok(())
}

/// The XSAVE image as `NT_X86_XSTATE` shows it: the software bytes say what it holds.
fn xstate_image(state: &PtraceState) -> Result<Vec<u8>, Errno> {
    let size = hal::cpu::xsave_size();
    let features = hal::cpu::xsave_features();
    if features == 0 || state.fpu.len() < size {
        return Err(Errno::ENODEV);
    }
    let mut image = Vec::new();
    image.try_reserve_exact(size).map_err(|_| Errno::ENOMEM)?;
    image.extend_from_slice(&state.fpu[..size]);
    image[PADDING_OFFSET..SW_BYTES_OFFSET].fill(0);
    image[SW_BYTES_OFFSET..SW_BYTES_OFFSET + 48].copy_from_slice(&software_bytes());
    Ok(image)
}

#[repr(C)]
#[derive(
    Clone, Copy, Default, FromBytes, IntoBytes, zerocopy::Immutable, zerocopy::KnownLayout,
)]
struct Iovec {
    base: u64,
    len: u64,
}

/// PTRACE_GETREGSET/SETREGSET (`ptrace_regset`): the length must be a multiple of the
/// regset's word (`EINVAL`), is clipped to the regset's size and written back.
fn regset(tracee: &Thread, is_set: bool, note: u64, data: u64) -> SyscallResult {
    let mut iov: Iovec = read_user(data)?;
    let full = match note {
        NT_PRSTATUS => USER_REGS_SIZE as usize,
        NT_PRFPREG => 512,
        NT_X86_XSTATE if hal::cpu::xsave_features() != 0 => hal::cpu::xsave_size(),
        _ => return Err(Errno::EINVAL),
    };
    if !iov.len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let len = (iov.len as usize).min(full);
    iov.len = len as u64;
    if !is_set {
        let bytes: Vec<u8> = {
            let state = stopped(tracee)?;
            match note {
                NT_PRSTATUS => Vec::from(user_regs(&state).as_bytes()),
                NT_PRFPREG => Vec::from(&fxsave_image(&state)?[..]),
                _ => xstate_image(&state)?,
            }
        };
        copy_to_user(iov.base, &bytes[..len])?;
    } else {
        match note {
            NT_PRSTATUS => {
                let mut bytes = [0u8; USER_REGS_SIZE as usize];
                copy_from_user(&mut bytes[..len], iov.base)?;
                let mut state = stopped(tracee)?;
                let mut regs = user_regs(&state);
                let mut new = regs;
                new.as_mut_bytes()[..len].copy_from_slice(&bytes[..len]);
                let result = regs.set_all(&new);
                set_user_regs(&mut state, &regs);
                result?;
            }
            NT_PRFPREG => {
                let mut image = [0u8; 512];
                {
                    let state = stopped(tracee)?;
                    image.copy_from_slice(&fxsave_image(&state)?);
                }
                copy_from_user(&mut image[..len], iov.base)?;
                set_fxsave(&mut *stopped(tracee)?, &image)?;
            }
            _ => {
                // A whole standard-format image only (`xstateregs_set`).
                if len != full {
                    return Err(Errno::EFAULT);
                }
                let mut image = Vec::new();
                image.try_reserve_exact(full).map_err(|_| Errno::ENOMEM)?;
                image.resize(full, 0);
                copy_from_user(&mut image, iov.base)?;
                let mxcsr = u32::from_le_bytes([image[24], image[25], image[26], image[27]]);
                let bv = u64::from_le_bytes(image[512..520].try_into().unwrap_or([0xff; 8]));
                let header_rest = image[520..576].iter().any(|&byte| byte != 0);
                if mxcsr & 0xffff_0000 != 0 || bv & !hal::cpu::xsave_features() != 0 || header_rest
                {
                    return Err(Errno::EINVAL);
                }
                let mut state = stopped(tracee)?;
                if state.fpu.len() < full {
                    return Err(Errno::ENOMEM);
                }
                let sw: [u8; 48] = state.fpu[SW_BYTES_OFFSET..SW_BYTES_OFFSET + 48]
                    .try_into()
                    .unwrap_or([0; 48]);
                state.fpu[..full].copy_from_slice(&image);
                state.fpu[SW_BYTES_OFFSET..SW_BYTES_OFFSET + 48].copy_from_slice(&sw);
                state.is_fpu_changed = true;
            }
        }
    }
    write_user(data + 8, &iov.len)?;
    Ok(0)
}

/// PTRACE_GET_SYSCALL_INFO: what the tracee's syscall stop shows (entry: number and
/// arguments; exit: the value and whether it is an error), `NONE` at other stops; copies at
/// most `size` bytes and returns the full size of the answer.
fn syscall_info(tracee: &Thread, size: u64, data: u64) -> SyscallResult {
    let info = {
        let state = stopped(tracee)?;
        let regs = &state.regs;
        let mut info = SyscallInfo {
            op: PTRACE_SYSCALL_INFO_NONE,
            arch: AUDIT_ARCH_X86_64,
            instruction_pointer: regs.rip,
            stack_pointer: regs.rsp,
            ..SyscallInfo::default()
        };
        let is_syscall_stop = state
            .siginfo
            .is_some_and(|info| info.code == (sigrules::SIGTRAP | 0x80) as i32);
        let is_seccomp_stop = state.siginfo.is_some_and(|info| {
            info.code == (sigrules::SIGTRAP | PTRACE_EVENT_SECCOMP << 8) as i32
        });
        if is_seccomp_stop {
            info.op = PTRACE_SYSCALL_INFO_SECCOMP;
            info.nr_or_rval = state.orig_rax;
            info.args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
            info.seccomp_ret_data = state.event_msg & 0xffff_ffff;
        } else if is_syscall_stop {
            match state.event_msg {
                PTRACE_EVENTMSG_SYSCALL_ENTRY => {
                    info.op = PTRACE_SYSCALL_INFO_ENTRY;
                    info.nr_or_rval = state.orig_rax;
                    info.args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
                }
                PTRACE_EVENTMSG_SYSCALL_EXIT => {
                    info.op = PTRACE_SYSCALL_INFO_EXIT;
                    info.nr_or_rval = regs.rax;
                    info.args[0] = u64::from(regs.rax >= (-4095i64) as u64);
                }
                _ => {}
            }
        }
        info
    };
    let full = syscall_info_size(info.op);
    let len = (size as usize).min(full);
    copy_to_user(data, &info.as_bytes()[..len])?;
    Ok(full)
}

/// PTRACE_PEEKSIGINFO: copies queued siginfos of the tracee (its own queue, or the
/// process's with `PTRACE_PEEKSIGINFO_SHARED`) from position `off`, at most `nr`.
fn peek_siginfo(tracee: &Thread, addr: u64, data: u64) -> SyscallResult {
    let args: PeekSiginfoArgs = read_user(addr)?;
    if args.flags & !PTRACE_PEEKSIGINFO_SHARED != 0 || args.nr < 0 {
        return Err(Errno::EINVAL);
    }
    if args.nr == 0 {
        return Ok(0);
    }
    let copy_out = |queue: &sigrules::PendingQueue| -> Result<Vec<SigInfo>, Errno> {
        let mut infos = Vec::new();
        let count = queue.queued_infos().count();
        infos.try_reserve_exact(count).map_err(|_| Errno::ENOMEM)?;
        infos.extend(queue.queued_infos().copied());
        Ok(infos)
    };
    let infos = if args.flags & PTRACE_PEEKSIGINFO_SHARED != 0 {
        copy_out(&tracee.process.shared_pending.lock())?
    } else {
        copy_out(&tracee.pending.lock())?
    };
    let mut copied = 0usize;
    for info in infos
        .iter()
        .skip(usize::try_from(args.off).unwrap_or(usize::MAX))
        .take(args.nr as usize)
    {
        let at = data.wrapping_add((copied * core::mem::size_of::<SigInfo>()) as u64);
        if let Err(error) = write_user(at, info) {
            if copied == 0 {
                return Err(error);
            }
            break;
        }
        copied += 1;
    }
    Ok(copied)
}

/// PTRACE_ARCH_PRCTL: the tracee's FS and GS bases (`do_arch_prctl_64` on the tracee).
fn arch_prctl(tracee: &Thread, addr: u64, code: u64) -> SyscallResult {
    match code {
        ARCH_SET_FS | ARCH_SET_GS => {
            if addr >= TASK_SIZE_MAX {
                return Err(Errno::EPERM);
            }
            let mut state = stopped(tracee)?;
            if code == ARCH_SET_FS {
                state.regs.fs_base = addr;
            } else {
                state.regs.gs_base = addr;
            }
            Ok(0)
        }
        ARCH_GET_FS | ARCH_GET_GS => {
            let value = {
                let state = stopped(tracee)?;
                if code == ARCH_GET_FS {
                    state.regs.fs_base
                } else {
                    state.regs.gs_base
                }
            };
            write_user(addr, &value)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// The tracee's filter number `index`, counting from the oldest (`get_nth_filter`), for a
/// caller with `CAP_SYS_ADMIN` and no seccomp mode of its own (`EACCES`); `EINVAL` when the
/// tracee has no filters, `ENOENT` past the last.
fn nth_filter(
    caller: &Thread,
    tracee: &Thread,
    index: u64,
) -> Result<Arc<crate::seccomp::Filter>, Errno> {
    let is_admin = caller
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_ADMIN);
    if !is_admin || crate::seccomp::mode(caller) != seccomp::SECCOMP_MODE_DISABLED {
        return Err(Errno::EACCES);
    }
    let newest = {
        let state = tracee.seccomp.lock();
        if state.mode != seccomp::SECCOMP_MODE_FILTER {
            return Err(Errno::EINVAL);
        }
        state.filter.clone().ok_or(Errno::EINVAL)?
    };
    let count = newest.chain().count() as u64;
    if index >= count {
        return Err(Errno::ENOENT);
    }
    newest
        .chain()
        .nth((count - 1 - index) as usize)
        .cloned()
        .ok_or(Errno::ENOENT)
}

/// PTRACE_SECCOMP_GET_FILTER: the program's length, and the program itself into `data` unless
/// it is null.
fn seccomp_filter(caller: &Thread, tracee: &Thread, index: u64, data: u64) -> SyscallResult {
    let filter = nth_filter(caller, tracee, index)?;
    let program = filter.program();
    if data != 0 {
        copy_to_user(data, program.as_bytes())?;
    }
    Ok(program.len())
}

/// PTRACE_SECCOMP_GET_METADATA: `struct seccomp_metadata` (the filter's index in, its flags
/// out), at most `size` bytes of it; the bytes written.
fn seccomp_metadata(caller: &Thread, tracee: &Thread, size: u64, data: u64) -> SyscallResult {
    let size = size.min(16) as usize;
    if size < 8 {
        return Err(Errno::EINVAL);
    }
    let index: u64 = read_user(data)?;
    let filter = nth_filter(caller, tracee, index)?;
    let flags: u64 = if filter.is_logged() {
        u64::from(seccomp::SECCOMP_FILTER_FLAG_LOG)
    } else {
        0
    };
    let mut metadata = [0u8; 16];
    metadata[..8].copy_from_slice(&index.to_ne_bytes());
    metadata[8..].copy_from_slice(&flags.to_ne_bytes());
    copy_to_user(data, &metadata[..size])?;
    Ok(size)
}
