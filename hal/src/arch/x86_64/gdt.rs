//! Segment descriptors, the task-state segment and the per-CPU area that GS points at.
//!
//! The selector values are Linux's, because user space can observe them (signal frames record
//! `cs`/`ss`, and some programs compare them): kernel code 0x10, kernel data 0x18, 32-bit user
//! code 0x23, user data 0x2b, 64-bit user code 0x33, TSS at 0x40. `syscall`/`sysret` rely on
//! this order (see `STAR` in `syscall.rs`).

use core::mem::size_of;

pub const KERNEL_CS: u16 = 0x10;
pub const KERNEL_DS: u16 = 0x18;
pub const USER32_CS: u16 = 0x23;
pub const USER_DS: u16 = 0x2b;
pub const USER_CS: u16 = 0x33;
const TSS_SELECTOR: u16 = 0x40;
/// Descriptors in the GDT, as Linux's `GDT_ENTRIES` (8-9 TSS, 10-11 LDT, 12-14 TLS, 15 CPU
/// number).
const GDT_ENTRIES: usize = 16;
/// The per-CPU segment whose limit holds the CPU and node numbers for the vDSO's `getcpu`
/// (`GDT_ENTRY_CPUNODE`; user code reads it with `lsl` on selector 15 * 8 + 3).
const GDT_ENTRY_CPUNODE: usize = 15;
/// `MSR_TSC_AUX`: what `rdtscp` and `rdpid` return in ECX/the destination.
const MSR_TSC_AUX: u32 = 0xc000_0103;

const TRAP_STACK_SIZE: usize = 16 * 1024;
const DOUBLE_FAULT_STACK_SIZE: usize = 16 * 1024;

/// The 64-bit task-state segment (Intel SDM vol. 3, 8.7).
#[repr(C, packed(4))]
struct TaskStateSegment {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    io_map_base: u16,
}

/// Per-CPU data. The assembly entry paths reach the first fields through `gs:OFFSET`, so the
/// layout is fixed (`repr(C)`) and the offsets are exported as constants below.
#[repr(C, align(64))]
pub(crate) struct PerCpu {
    /// The user stack pointer, parked here by the syscall entry before switching stacks.
    pub user_rsp_scratch: u64,
    /// The kernel stack pointer of the task that entered user mode (`enter_user` saved it).
    pub kernel_rsp: u64,
    /// The `UserContext` that user registers are saved into on the next kernel entry.
    pub user_context: u64,
    /// The FPU state owner: address of the `UserContext` whose registers are live in the FPU.
    pub fpu_owner: u64,
    /// The FS base currently loaded in the MSR (avoids a wrmsr per entry).
    pub loaded_fs_base: u64,
    /// The user GS base currently parked in KERNEL_GS_BASE (swapgs makes it live in user mode).
    pub loaded_user_gs_base: u64,
    /// The running kernel execution context (`Arc::into_raw` of an `ExecutionContext`; one
    /// strong reference held by this CPU), or null before the first switch.
    pub current_context: u64,
    /// The context switched away from, whose reference the next context drops once it runs on
    /// its own stack (`task::finish_switch`), or null.
    pub previous_context: u64,
    /// This area's own address: [`this_cpu`] reads it through GS.
    pub this: u64,
    /// The CPU's index in per-CPU arrays (0 for the boot CPU).
    pub cpu_index: u64,
    /// Preemption-disable depth and interrupt nesting (`sync::preempt`), changed only by this
    /// CPU with single `gs`-relative instructions.
    pub preempt_count: u32,
    /// Nesting of `usercopy::without_page_faults` (Linux's `pagefault_disable`): while
    /// non-zero, a fault on user memory is not resolved but fixed up as `EFAULT`.
    pub pagefault_disabled: u32,
    /// Whether the FPU registers hold state newer than `fpu_owner`'s save area (set when a
    /// thread enters user mode; on SMP, saved and cleared when the CPU switches contexts).
    pub fpu_live: u64,
    /// Whether CR4.TSD is set on this CPU (the last user context entered had RDTSC disabled).
    pub loaded_tsd: u64,
    tss: TaskStateSegment,
    gdt: [u64; GDT_ENTRIES],
}

pub(crate) const PERCPU_USER_RSP: usize = 0;
pub(crate) const PERCPU_KERNEL_RSP: usize = 8;
pub(crate) const PERCPU_USER_CONTEXT: usize = 16;
pub(crate) const PERCPU_THIS: usize = core::mem::offset_of!(PerCpu, this);
pub(crate) const PERCPU_CPU_INDEX: usize = core::mem::offset_of!(PerCpu, cpu_index);
pub(crate) const PERCPU_PREEMPT_COUNT: usize = core::mem::offset_of!(PerCpu, preempt_count);

#[repr(C, align(4096))]
struct Stack<const N: usize>([u8; N]);

static mut TRAP_STACK: Stack<TRAP_STACK_SIZE> = Stack([0; TRAP_STACK_SIZE]);
static mut DOUBLE_FAULT_STACK: Stack<DOUBLE_FAULT_STACK_SIZE> = Stack([0; DOUBLE_FAULT_STACK_SIZE]);

/// The boot CPU's area. Each application processor gets one from the heap
/// ([`new_secondary_area`]); every CPU points its GS base at its own and reaches it through GS.
static mut BOOT_CPU: PerCpu = PerCpu::new(0);

impl PerCpu {
    const fn new(cpu_index: u64) -> PerCpu {
        PerCpu {
            user_rsp_scratch: 0,
            kernel_rsp: 0,
            user_context: 0,
            fpu_owner: 0,
            loaded_fs_base: 0,
            loaded_user_gs_base: 0,
            current_context: 0,
            previous_context: 0,
            this: 0,
            cpu_index,
            preempt_count: 0,
            pagefault_disabled: 0,
            loaded_tsd: 0,
            fpu_live: 0,
            tss: TaskStateSegment {
                reserved0: 0,
                rsp: [0; 3],
                reserved1: 0,
                ist: [0; 7],
                reserved2: 0,
                reserved3: 0,
                io_map_base: size_of::<TaskStateSegment>() as u16,
            },
            gdt: [0; GDT_ENTRIES],
        }
    }
}

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

fn code_or_data(access: u8, flags: u8) -> u64 {
    (u64::from(flags) << 52) | (u64::from(access) << 40) | 0x0000_0000_0000_ffff | (0xf << 48)
}

/// Points GS at the boot CPU's per-CPU area: the first thing the boot CPU does in Rust, since
/// every lock reaches the preemption count through GS.
pub(crate) fn init_boot_cpu_area() {
    let percpu = &raw mut BOOT_CPU;
    // SAFETY: runs once, first thing on the boot CPU, before anything reads the per-CPU area;
    // the pointer comes from a static, so it is valid and aligned, and GS_BASE is pointed at
    // it, which is the invariant `this_cpu` relies on.
    unsafe {
        (*percpu).this = percpu as u64;
        (*percpu).cpu_index = 0;
        super::cpu::write_msr(super::cpu::MSR_GS_BASE, percpu as u64);
    }
}

/// Loads the GDT and TSS and points GS at the per-CPU area. Runs once on the boot CPU.
pub(crate) fn init() {
    let percpu = &raw mut BOOT_CPU;
    let trap_top = (&raw mut TRAP_STACK) as u64 + TRAP_STACK_SIZE as u64;
    let df_top = (&raw mut DOUBLE_FAULT_STACK) as u64 + DOUBLE_FAULT_STACK_SIZE as u64;
    // SAFETY: runs once, on the boot CPU, before interrupts are enabled or any other code reads
    // the per-CPU area; the pointers come from statics, so they are valid and aligned.
    unsafe { load_cpu_tables(percpu, trap_top, df_top) };
}

/// A per-CPU area for application processor `cpu_index`, with its interrupt and double-fault
/// stacks (leaked: a CPU, once started, runs until power-off). Made by the boot CPU before it
/// starts the processor, which loads it with [`init_secondary`].
pub(crate) fn new_secondary_area(cpu_index: usize) -> Result<u64, abi::Errno> {
    use crate::mm::kstack::KernelStack;
    let trap = KernelStack::try_new()?;
    let double_fault = KernelStack::try_new()?;
    let mut area = alloc::boxed::Box::new(PerCpu::new(cpu_index as u64));
    area.tss.rsp[0] = trap.top();
    area.tss.ist[0] = double_fault.top();
    core::mem::forget(trap);
    core::mem::forget(double_fault);
    let pointer = alloc::boxed::Box::into_raw(area);
    // SAFETY: just allocated and not shared yet.
    unsafe { (*pointer).this = pointer as u64 };
    Ok(pointer as u64)
}

/// First thing an application processor does in Rust: points GS at the area
/// [`new_secondary_area`] made for it and loads its GDT and TSS.
///
/// # Safety
/// `area` must come from `new_secondary_area`, and be used by this CPU only.
pub(crate) unsafe fn init_secondary(area: u64) {
    let percpu = area as *mut PerCpu;
    // SAFETY: the caller's promise; the stacks were stored in the TSS by `new_secondary_area`.
    unsafe {
        super::cpu::write_msr(super::cpu::MSR_GS_BASE, area);
        let (trap_top, df_top) = ((*percpu).tss.rsp[0], (*percpu).tss.ist[0]);
        load_cpu_tables(percpu, trap_top, df_top);
    }
}

/// Builds the CPU's GDT (with its TSS and CPU-number descriptors) in its area, loads it and the
/// TSS, and points GS at the area.
///
/// # Safety
/// `percpu` is the running CPU's own area, valid for the rest of the boot; the stack tops are
/// the tops of mapped stacks owned by this CPU.
unsafe fn load_cpu_tables(percpu: *mut PerCpu, trap_top: u64, df_top: u64) {
    // SAFETY: delegated to the caller.
    unsafe {
        (*percpu).this = percpu as u64;
        (*percpu).tss.rsp[0] = trap_top;
        (*percpu).tss.ist[0] = df_top;

        let tss_base = (&raw const (*percpu).tss) as u64;
        let tss_limit = (size_of::<TaskStateSegment>() - 1) as u64;
        let gdt = &mut (*percpu).gdt;
        gdt[0] = 0;
        gdt[1] = code_or_data(0x9a, 0xc); // 0x08: 32-bit kernel code (unused, as Linux)
        gdt[2] = code_or_data(0x9a, 0xa); // 0x10: kernel code, long mode
        gdt[3] = code_or_data(0x92, 0xc); // 0x18: kernel data
        gdt[4] = code_or_data(0xfa, 0xc); // 0x23: 32-bit user code
        gdt[5] = code_or_data(0xf2, 0xc); // 0x2b: user data
        gdt[6] = code_or_data(0xfa, 0xa); // 0x33: user code, long mode
        gdt[7] = 0;
        gdt[8] = (tss_limit & 0xffff)
            | ((tss_base & 0xff_ffff) << 16)
            | (0x89 << 40)
            | (((tss_limit >> 16) & 0xf) << 48)
            | (((tss_base >> 24) & 0xff) << 56);
        gdt[9] = tss_base >> 32;
        gdt[GDT_ENTRY_CPUNODE] = cpunode_descriptor((*percpu).cpu_index as u32, 0);

        let pointer = DescriptorPointer {
            limit: (size_of::<[u64; GDT_ENTRIES]>() - 1) as u16,
            base: gdt.as_ptr() as u64,
        };
        core::arch::asm!(
            "lgdt [{ptr}]",
            "push {cs}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ds, {ds:x}",
            "mov es, {ds:x}",
            "mov ss, {ds:x}",
            "ltr {tss:x}",
            ptr = in(reg) &pointer,
            cs = in(reg) u64::from(KERNEL_CS),
            tmp = out(reg) _,
            ds = in(reg) u64::from(KERNEL_DS),
            tss = in(reg) u64::from(TSS_SELECTOR),
        );
        super::cpu::write_msr(super::cpu::MSR_GS_BASE, percpu as u64);
        super::cpu::write_msr(super::cpu::MSR_KERNEL_GS_BASE, 0);
        // Linux's setup_getcpu: rdtscp and rdpid return the CPU and node numbers too.
        if has_tsc_aux() {
            super::cpu::write_msr(MSR_TSC_AUX, cpunode((*percpu).cpu_index as u32, 0));
        }
    }
}

/// The CPU and node numbers as the vDSO decodes them: node << 12 | cpu.
fn cpunode(cpu: u32, node: u32) -> u64 {
    u64::from(node << 12 | (cpu & 0xfff))
}

/// Linux's `setup_getcpu` descriptor: a present, user-readable (DPL 3), expand-down read-only
/// 32-bit data segment whose 20-bit limit is [`cpunode`].
fn cpunode_descriptor(cpu: u32, node: u32) -> u64 {
    let limit = cpunode(cpu, node);
    const ACCESS: u64 = 0xf5; // present, DPL 3, code/data, type 5 (read-only, expand-down, accessed)
    const FLAGS: u64 = 0x4; // 32-bit, byte granular
    (limit & 0xffff) | (ACCESS << 40) | (((limit >> 16) & 0xf) << 48) | (FLAGS << 52)
}

/// Whether the CPU has `MSR_TSC_AUX` (RDTSCP or RDPID).
fn has_tsc_aux() -> bool {
    let (_, _, _, edx_ext) = super::cpu::cpuid(0x8000_0001, 0);
    let (_, _, ecx7, _) = super::cpu::cpuid(7, 0);
    edx_ext & (1 << 27) != 0 || ecx7 & (1 << 22) != 0
}

/// The per-CPU area of the running CPU, read through GS (kernel GS base: the entry stubs
/// `swapgs` before any Rust code runs, and `init_boot_cpu_area` set it before the first use).
/// The result is valid only while the caller cannot move to another CPU (preemption or
/// interrupts off; the kernel is not preemptible today: a thread moves only in `schedule`).
pub(crate) fn this_cpu() -> *mut PerCpu {
    let this: u64;
    // SAFETY: GS points at this CPU's `PerCpu`, whose `this` field holds its address and never
    // changes after boot.
    unsafe {
        core::arch::asm!(
            "mov {}, gs:[{offset}]",
            out(reg) this,
            offset = const PERCPU_THIS,
            options(nostack, preserves_flags, readonly, pure)
        )
    };
    this as *mut PerCpu
}

/// The index of the running CPU (0 for the boot CPU).
pub(crate) fn cpu_index() -> usize {
    let index: u64;
    // SAFETY: as `this_cpu`: a read of this CPU's own area through GS.
    unsafe {
        core::arch::asm!(
            "mov {}, gs:[{offset}]",
            out(reg) index,
            offset = const PERCPU_CPU_INDEX,
            options(nostack, preserves_flags, readonly, pure)
        )
    };
    index as usize
}
