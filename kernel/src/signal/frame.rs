//! The x86-64 signal frame: building it for a handler (`setup_rt_frame`) and taking it down
//! in `rt_sigreturn` (Linux `arch/x86/kernel/signal.c`, `arch/x86/kernel/fpu/signal.c`).
//!
//! Layout, from the interrupted stack pointer down: 128 bytes of red zone (skipped, or the
//! alternate stack's top under SA_ONSTACK), the FPU image (XSAVE format, 64-byte aligned, with
//! Linux's `_fpx_sw_bytes` in the FXSAVE software area and FP_XSTATE_MAGIC2 after it), then
//! `struct rt_sigframe` — return address (`sa_restorer`), `ucontext`, `siginfo` — aligned so that
//! the handler starts with `rsp + 8` 16-byte aligned, as after a call.

use super::SigAction;
use crate::process::Thread;
use abi::Errno;
use abi::SaFlags;
use abi::signal::{
    FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2, RtSigframe, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, SigInfo,
    Sigcontext, StackT, UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS, Ucontext,
};
use core::sync::atomic::Ordering;
use hal::user::{UserContext, UserRegs};
use zerocopy::IntoBytes;

const REDZONE: u64 = 128;
const RFLAGS_TF: u64 = 1 << 8;
const RFLAGS_DF: u64 = 1 << 10;
const RFLAGS_RF: u64 = 1 << 16;
const USER_CS: u16 = 0x33;
const USER_SS: u16 = 0x2b;
/// Offset of `struct _fpx_sw_bytes` in the FXSAVE image.
const SW_BYTES_OFFSET: usize = 464;

/// Whether `sp` lies on the alternate stack (`on_sig_stack`).
pub fn is_on_alt_stack(stack: &StackT, sp: u64) -> bool {
    if stack.ss_flags & SS_AUTODISARM != 0 {
        return false;
    }
    sp > stack.ss_sp && sp - stack.ss_sp <= stack.ss_size
}

/// `sas_ss_flags`: how the alternate stack looks from `sp`.
pub fn alt_stack_flags(stack: &StackT, sp: u64) -> i32 {
    if stack.ss_size == 0 {
        SS_DISABLE
    } else if is_on_alt_stack(stack, sp) {
        SS_ONSTACK
    } else {
        0
    }
}

/// Writes the FPU image into a frame at `fpstate` (its size is [`fpu_frame_size`]): with
/// XSAVE, the software bytes that mark it as an XSAVE image, `XSTATE_BV` claiming x87 and SSE
/// as Linux writes it, and the trailing magic. The image goes straight from the context's area
/// to user memory, as Linux's `copy_fpstate_to_sigframe` saves into the frame.
fn write_fpu_frame(user: &mut UserContext, fpstate: u64) -> Result<(), Errno> {
    let features = hal::cpu::xsave_features();
    let image = user.fpu_image();
    if features == 0 {
        return hal::usercopy::copy_to_user(fpstate, &image[..512]);
    }
    let size = image.len();
    let xstate_bv = image[512] | 0x3;
    hal::usercopy::copy_to_user(fpstate, image)?;
    let mut sw = [0u8; 48];
    sw[0..4].copy_from_slice(&FP_XSTATE_MAGIC1.to_le_bytes());
    sw[4..8].copy_from_slice(&((size + 4) as u32).to_le_bytes());
    sw[8..16].copy_from_slice(&features.to_le_bytes());
    sw[16..20].copy_from_slice(&(size as u32).to_le_bytes());
    hal::usercopy::copy_to_user(fpstate + SW_BYTES_OFFSET as u64, &sw)?;
    hal::usercopy::copy_to_user(fpstate + 512, &[xstate_bv])?;
    hal::usercopy::copy_to_user(fpstate + size as u64, &FP_XSTATE_MAGIC2.to_le_bytes())
}

/// Bytes of the FPU part of a frame, and whether it is an XSAVE image.
fn fpu_frame_size() -> (u64, bool) {
    if hal::cpu::xsave_features() == 0 {
        (512, false)
    } else {
        (hal::cpu::xsave_size() as u64 + 4, true)
    }
}

fn sigcontext_from(
    regs: &UserRegs,
    mask: u64,
    fault: Option<(u64, u64, u64)>,
    fpstate: u64,
) -> Sigcontext {
    let (trapno, err, cr2) = fault.unwrap_or((0, 0, 0));
    Sigcontext {
        r8: regs.r8,
        r9: regs.r9,
        r10: regs.r10,
        r11: regs.r11,
        r12: regs.r12,
        r13: regs.r13,
        r14: regs.r14,
        r15: regs.r15,
        rdi: regs.rdi,
        rsi: regs.rsi,
        rbp: regs.rbp,
        rbx: regs.rbx,
        rdx: regs.rdx,
        rax: regs.rax,
        rcx: regs.rcx,
        rsp: regs.rsp,
        rip: regs.rip,
        eflags: regs.rflags,
        cs: USER_CS,
        gs: 0,
        fs: 0,
        ss: USER_SS,
        err,
        trapno,
        oldmask: mask,
        cr2,
        fpstate,
        reserved1: [0; 8],
    }
}

/// Builds the frame for `info` under `action` and points the registers at the handler.
/// `old_mask` is the mask sigreturn restores; `fault` is (trap number, error code, address) for
/// a fault signal.
pub fn setup(
    thread: &Thread,
    user: &mut UserContext,
    info: &SigInfo,
    action: &SigAction,
    old_mask: u64,
    fault: Option<(u64, u64, u64)>,
) -> Result<(), Errno> {
    if !action.flags.contains(SaFlags::SA_RESTORER) {
        // x86-64 has no kernel-provided trampoline: a handler without one cannot return.
        return Err(Errno::EFAULT);
    }
    let regs = *user.regs();
    let alt_stack = *thread.alt_stack.lock();
    let mut sp = regs.rsp.wrapping_sub(REDZONE);
    if action.flags.contains(SaFlags::SA_ONSTACK) && alt_stack_flags(&alt_stack, regs.rsp) == 0 {
        sp = alt_stack.ss_sp.wrapping_add(alt_stack.ss_size);
    }
    let (fpu_size, is_xsave) = fpu_frame_size();
    let fpstate = sp.wrapping_sub(fpu_size) & !63;
    let frame_size = core::mem::size_of::<RtSigframe>() as u64;
    let frame_address = (fpstate.wrapping_sub(frame_size) & !15).wrapping_sub(8);
    if !hal::mm::is_user_range(frame_address, sp.wrapping_sub(frame_address)) {
        return Err(Errno::EFAULT);
    }
    let mut uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    if is_xsave {
        uc_flags |= UC_FP_XSTATE;
    }
    let frame = RtSigframe {
        pretcode: action.restorer,
        uc: Ucontext {
            uc_flags,
            uc_link: 0,
            uc_stack: StackT {
                ss_sp: alt_stack.ss_sp,
                ss_flags: alt_stack_flags(&alt_stack, regs.rsp),
                pad: 0,
                ss_size: alt_stack.ss_size,
            },
            uc_mcontext: sigcontext_from(&regs, old_mask, fault, fpstate),
            uc_sigmask: old_mask,
        },
        info: *info,
    };
    write_fpu_frame(user, fpstate)?;
    hal::usercopy::copy_to_user(frame_address, frame.as_bytes())?;
    if alt_stack.ss_flags & SS_AUTODISARM != 0 {
        *thread.alt_stack.lock() = StackT {
            ss_flags: SS_DISABLE,
            ..StackT::default()
        };
    }

    let frame_offset = |field: usize| frame_address + field as u64;
    let regs = user.regs_mut();
    regs.rdi = u64::from(info.signo as u32);
    regs.rsi = frame_offset(core::mem::offset_of!(RtSigframe, info));
    regs.rdx = frame_offset(core::mem::offset_of!(RtSigframe, uc));
    regs.rax = 0;
    regs.rsp = frame_address;
    regs.rip = action.handler;
    regs.rflags &= !(RFLAGS_TF | RFLAGS_DF | RFLAGS_RF);
    // The handler starts with a clean FPU (Linux's fpu__clear_user_states).
    user.reset_fpu();
    Ok(())
}

/// `rt_sigreturn`: restores the registers, mask, FPU state and alternate stack saved by
/// [`setup`]. The frame starts 8 bytes below the current stack pointer (the handler's `ret`
/// popped the return address). `Err` means a bad frame: the caller kills with SIGSEGV.
pub fn restore(thread: &Thread, user: &mut UserContext) -> Result<(), Errno> {
    let frame_address = user.regs().rsp.wrapping_sub(8);
    let frame: RtSigframe = hal::usercopy::read_user(frame_address)?;
    let context = frame.uc.uc_mcontext;
    let fpstate = context.fpstate;
    if fpstate != 0 {
        let magic1: u32 = hal::usercopy::read_user(fpstate + SW_BYTES_OFFSET as u64)?;
        let xstate_size: u32 = hal::usercopy::read_user(fpstate + SW_BYTES_OFFSET as u64 + 16)?;
        let mut size = if frame.uc.uc_flags & UC_FP_XSTATE != 0
            && magic1 == FP_XSTATE_MAGIC1
            && xstate_size as usize == hal::cpu::xsave_size()
        {
            xstate_size as usize
        } else {
            512
        };
        if size > 512 {
            // Without the magic after the image, only the legacy part is trusted (as Linux).
            let magic2: u32 = hal::usercopy::read_user(fpstate + size as u64)?;
            if magic2 != FP_XSTATE_MAGIC2 {
                size = 512;
            }
        }
        user.load_fpu_image_from_user(fpstate, size)
            .map_err(|_| Errno::EFAULT)?;
    } else {
        user.reset_fpu();
    }
    let regs = user.regs_mut();
    regs.r8 = context.r8;
    regs.r9 = context.r9;
    regs.r10 = context.r10;
    regs.r11 = context.r11;
    regs.r12 = context.r12;
    regs.r13 = context.r13;
    regs.r14 = context.r14;
    regs.r15 = context.r15;
    regs.rdi = context.rdi;
    regs.rsi = context.rsi;
    regs.rbp = context.rbp;
    regs.rbx = context.rbx;
    regs.rdx = context.rdx;
    regs.rax = context.rax;
    regs.rcx = context.rcx;
    regs.rsp = context.rsp;
    regs.rip = context.rip;
    regs.rflags = context.eflags;
    thread.signal_mask.store(
        frame.uc.uc_sigmask & !sigrules::UNBLOCKABLE,
        Ordering::Relaxed,
    );
    thread.signal_hint.store(true, Ordering::Relaxed);
    thread.restart.clear();
    // restore_altstack: errors other than EFAULT are ignored, as Linux squashes them.
    let _ = super::super::syscall::signal::set_alt_stack(thread, &frame.uc.uc_stack, context.rsp);
    Ok(())
}
