//! Kernel panics: the message, the registers (for exceptions), a frame-pointer backtrace, and a
//! power-off with a failing status (through QEMU's isa-debug-exit device when present), so that
//! a crashed test run ends at once instead of hanging. Each backtrace frame is printed as
//! `[<ffffffff81234567>] function+0x1c/0x80`, the address as older Linux printed it and the name
//! as Linux's `%pB` (the byte before a return address is looked up, as the call may end a
//! `noreturn` function) from the table that `cargo xtask build` embeds (`kallsyms.rs`); without
//! one, addresses only (`addr2line -e <ELF>` resolves them). Not done: inlined frames, which
//! only the DWARF line tables know.

use crate::arch::x86_64::trap::KernelTrapFrame;
use crate::arch::x86_64::{cpu, power, serial};
use crate::kallsyms;
use crate::mm::{KERNEL_BASE, VMALLOC_BASE};
use core::fmt::Write;
use core::sync::atomic::{AtomicUsize, Ordering};

/// The CPU that is reporting a panic (`usize::MAX`: none). A second CPU that panics meanwhile
/// halts silently, so the first report is not interleaved; the first stops the others
/// (`smp::stop_other_cpus`, Linux's `smp_send_stop`).
static PANIC_CPU: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Claims the panic report for this CPU: `true` the first time, `false` if this CPU is already
/// panicking (a nested panic). Halts if another CPU is.
fn claim_panic() -> bool {
    let me = crate::sync::cpu_id();
    match PANIC_CPU.compare_exchange(usize::MAX, me, Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) => {
            crate::smp::stop_other_cpus();
            true
        }
        Err(cpu) if cpu == me => false,
        Err(_) => cpu::halt_forever(),
    }
}

struct PanicWriter;

impl Write for PanicWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        serial::write_bytes_unlocked(s.as_bytes());
        Ok(())
    }
}

fn is_readable_stack_address(address: u64) -> bool {
    address.is_multiple_of(8)
        && (address >= KERNEL_BASE || (VMALLOC_BASE..VMALLOC_BASE + (1 << 39)).contains(&address))
}

/// Prints ` [<address>] name+0xoffset/0xsize` and `note`; a return address is looked up one
/// byte before it.
fn print_frame(address: u64, is_return_address: bool, note: &str) {
    let _ = write!(PanicWriter, " [<{address:016x}>]");
    let symbol = kallsyms::table().and_then(|table| {
        if is_return_address {
            table.lookup_return_address(address)
        } else {
            let symbol = table.lookup(address)?;
            Some((symbol, address - symbol.address))
        }
    });
    if let Some((symbol, offset)) = symbol {
        let _ = write!(
            PanicWriter,
            " {}+{offset:#x}/{:#x}",
            symbol.name, symbol.size
        );
    }
    let _ = writeln!(PanicWriter, "{note}");
}

fn print_backtrace(mut frame_pointer: u64) {
    let _ = writeln!(PanicWriter, "Call Trace:");
    for _ in 0..32 {
        if !is_readable_stack_address(frame_pointer) {
            break;
        }
        // SAFETY: the frame-pointer chain lies on a kernel stack (checked range above); a
        // corrupt chain can still point at an unmapped page, in which case the nested fault
        // ends in `exception_panic`'s second-panic path, which powers off.
        let (next, return_address) = unsafe {
            (
                *(frame_pointer as *const u64),
                *((frame_pointer + 8) as *const u64),
            )
        };
        if return_address < KERNEL_BASE {
            break;
        }
        print_frame(return_address, true, "");
        frame_pointer = next;
    }
}

fn current_frame_pointer() -> u64 {
    let rbp: u64;
    // SAFETY: reads a register.
    unsafe {
        core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack, preserves_flags))
    };
    rbp
}

fn die() -> ! {
    power::debug_exit(1);
    power::power_off()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    cpu::disable_interrupts();
    if !claim_panic() {
        let _ = writeln!(PanicWriter, "\nnested panic: {}", info.message());
        die();
    }
    let _ = write!(
        PanicWriter,
        "\nKernel panic - not syncing: {}",
        info.message()
    );
    if let Some(location) = info.location() {
        let _ = write!(PanicWriter, " at {}:{}", location.file(), location.line());
    }
    let _ = writeln!(PanicWriter);
    print_backtrace(current_frame_pointer());
    let _ = writeln!(PanicWriter, "---[ end Kernel panic ]---");
    die()
}

/// Reports an exception taken in kernel mode, with its registers, and panics.
pub(crate) fn exception_panic(
    name: &str,
    frame: &KernelTrapFrame,
    fault_address: Option<u64>,
) -> ! {
    cpu::disable_interrupts();
    if PANIC_CPU.load(Ordering::SeqCst) != usize::MAX && !claim_panic() {
        let _ = writeln!(
            PanicWriter,
            "\nfault while panicking: {name} at {:#x}",
            frame.rip
        );
        die();
    }
    let _ = writeln!(
        PanicWriter,
        "\n{name}: {:#x} [#{}]",
        frame.error_code, frame.vector
    );
    if let Some(address) = fault_address {
        let _ = writeln!(
            PanicWriter,
            "BUG: unable to handle page fault for address: {address:016x}"
        );
    }
    let _ = writeln!(
        PanicWriter,
        "RIP: {:04x}:{:016x} RFLAGS: {:08x}",
        frame.cs, frame.rip, frame.rflags
    );
    let _ = writeln!(PanicWriter, "RSP: {:04x}:{:016x}", frame.ss, frame.rsp);
    let _ = writeln!(
        PanicWriter,
        "RAX: {:016x} RBX: {:016x} RCX: {:016x}",
        frame.rax, frame.rbx, frame.rcx
    );
    let _ = writeln!(
        PanicWriter,
        "RDX: {:016x} RSI: {:016x} RDI: {:016x}",
        frame.rdx, frame.rsi, frame.rdi
    );
    let _ = writeln!(
        PanicWriter,
        "RBP: {:016x} R08: {:016x} R09: {:016x}",
        frame.rbp, frame.r8, frame.r9
    );
    let _ = writeln!(
        PanicWriter,
        "R10: {:016x} R11: {:016x} R12: {:016x}",
        frame.r10, frame.r11, frame.r12
    );
    let _ = writeln!(
        PanicWriter,
        "R13: {:016x} R14: {:016x} R15: {:016x}",
        frame.r13, frame.r14, frame.r15
    );
    let _ = writeln!(
        PanicWriter,
        "CR2: {:016x} CR3: {:016x}",
        cpu::read_cr2(),
        cpu::read_cr3()
    );
    print_frame(frame.rip, false, " (faulting instruction)");
    print_backtrace(frame.rbp);
    panic!("Fatal exception: {name}")
}
