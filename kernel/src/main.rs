//! The Ferrux kernel: the boot story, one line per stage.
//!
//! hal has already brought up the CPU, memory and the timer when `kernel_main` runs. The kernel
//! then reads its command line, prepares randomness and demand paging, builds the root
//! filesystem from the initramfs, and starts init, as Linux's `start_kernel` → `kernel_init`.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

mod acct;
mod block;
mod drivers;
mod fs;
mod futex;
mod futex_pi;
mod init;
mod ipc;
mod keys;
mod ktest;
mod mm;
mod net;
mod ns;
mod panic_policy;
mod percpu_counter;
mod printk;
mod process;
mod random;
mod rseq;
mod sched;
mod seccomp;
mod signal;
mod syscall;
mod sysctl;
mod time;
mod timers;
mod tty;
mod uts;
mod vdso;

use alloc::vec::Vec;
use bootparam::CommandLine;
use spin::Once;

hal::entry_point!(kernel_main);

static CPU_FEATURES: Once<hal::cpu::CpuFeatures> = Once::new();
static COMMAND_LINE: Once<alloc::string::String> = Once::new();

fn kernel_main(boot: hal::BootInfo) -> ! {
    printk::init();
    sched::lock_hooks::init();
    let command_line = CommandLine::parse(&boot.command_line);
    printk::set_max_level(command_line.log_filter());
    panic_policy::set_timeout(command_line.panic_timeout);
    syscall::dispatch::set_tracing(command_line.is_tracing);
    CPU_FEATURES.call_once(|| boot.cpu_features);
    COMMAND_LINE.call_once(|| boot.command_line.clone());
    log::info!("{}", linux_banner());
    log::info!("Command line: {}", boot.command_line);
    if command_line.is_test_panic {
        test_panic();
    }
    if let Some(bug) = &command_line.test_lock_bug {
        test_lock_bug(bug);
    }
    IS_LOCKDEP_DUMP.store(
        command_line.is_lockdep_dump,
        core::sync::atomic::Ordering::Relaxed,
    );
    log::info!(
        "Memory: {}K available, TSC {} MHz",
        boot.ram_bytes / 1024,
        hal::time::tsc_hz() / 1_000_000
    );
    random::init();
    mm::fault::init();
    sysctl::init();
    fs::notify::init();
    vdso::init();
    net::netdev::init();
    time::update_coarse_clocks();
    init::start_secondary_cpus(&command_line);
    let root = fs::init_root()
        .unwrap_or_else(|error| panic!("cannot create the root filesystem: {error:?}"));
    fs::devtmpfs::init().unwrap_or_else(|error| panic!("cannot create devtmpfs: {error:?}"));
    drivers::init().unwrap_or_else(|error| panic!("cannot register the devices: {error:?}"));
    if let Some(initrd) = boot.initrd {
        let unpacked = fs::initramfs::unpack(&root, initrd.bytes());
        match unpacked.result {
            Ok(()) => log::info!(
                "Unpacked initramfs: {} entries, {} KiB",
                unpacked.created,
                initrd.bytes().len() / 1024
            ),
            Err(error) => log::error!(
                "Initramfs unpacking failed: {error} ({} entries created)",
                unpacked.created
            ),
        }
        drop(initrd); // "Freeing initrd memory"
    }
    init::start(command_line)
}

/// `ferrux.test_panic=1`: a deliberate kernel bug, so that `cargo xtask test` sees the panic
/// report (message, symbolized backtrace, failing exit status).
#[inline(never)]
fn test_panic() -> ! {
    panic!("ferrux.test_panic=1 on the command line")
}

/// `ferrux.test_lock_bug=order|sleep`: a deliberate locking bug that the checkers must turn
/// into a panic: two locks taken in both orders (caught by the lock-order checker of the
/// `lockdep` build that `cargo xtask test` boots), or a sleeping lock taken under a spin lock
/// (caught in every build).
#[inline(never)]
fn test_lock_bug(kind: &str) {
    static FIRST: hal::sync::SpinLock<()> = hal::sync::SpinLock::new("test.first", ());
    static SECOND: hal::sync::SpinLock<()> = hal::sync::SpinLock::new("test.second", ());
    static SLEEPING: hal::sync::Mutex<()> = hal::sync::Mutex::new("test.sleeping", ());
    match kind {
        "order" => {
            {
                let _first = FIRST.lock();
                let _second = SECOND.lock();
            }
            let _second = SECOND.lock();
            let _first = FIRST.lock();
        }
        "sleep" => {
            let _first = FIRST.lock();
            let _sleeping = SLEEPING.lock();
        }
        _ => log::warn!("ferrux.test_lock_bug: unknown bug {kind:?}"),
    }
}

/// `ferrux.lockdep_dump=1`: print the lock orders seen when init exits.
static IS_LOCKDEP_DUMP: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Prints every lock order the checker saw, one `lockdep: order A -> B` line each, if the
/// command line asked for it (lockdep builds; nothing otherwise). Called when init exits and
/// at power-off.
pub fn dump_lock_order() {
    if !IS_LOCKDEP_DUMP.load(core::sync::atomic::Ordering::Relaxed) {
        return;
    }
    #[cfg(feature = "lockdep")]
    hal::sync::for_each_order(|held, acquired| log::info!("lockdep: order {held} -> {acquired}"));
    #[cfg(not(feature = "lockdep"))]
    log::warn!("ferrux.lockdep_dump: this kernel has no lock-order checker (build with --lockdep)");
}

/// The kernel command line as the boot loader gave it (`/proc/cmdline`).
pub fn boot_command_line() -> &'static str {
    COMMAND_LINE.get().map_or("", |line| line.as_str())
}

/// The banner of the boot log and `/proc/version` (Linux's `linux_banner`, without newline).
pub fn linux_banner() -> alloc::string::String {
    alloc::format!(
        "Linux version {} (Ferrux {}) {}",
        syscall::sys_release(),
        env!("CARGO_PKG_VERSION"),
        syscall::sys_version()
    )
}

/// CPU features found at boot (for AT_HWCAP).
pub fn boot_cpu_features() -> hal::cpu::CpuFeatures {
    CPU_FEATURES.get().copied().unwrap_or_default()
}

/// The caller's host name (`uname -n`), "(none)" until sethostname.
pub fn hostname() -> Vec<u8> {
    uts::as_str_bytes(&uts::current().nodename()).to_vec()
}

/// The caller's NIS domain name (`uname`'s `domainname`), "(none)" until setdomainname.
pub fn domainname() -> Vec<u8> {
    uts::as_str_bytes(&uts::current().domainname()).to_vec()
}

/// Longest uts name (`__NEW_UTS_LEN`).
pub const UTS_NAME_LEN: usize = 64;

/// Sets the host name (sethostname, `kernel.hostname`): at most 64 bytes (`EINVAL`).
pub fn set_hostname(name: &[u8]) -> Result<(), abi::Errno> {
    set_uts_name(|name| uts::current().set_nodename(name), name)
}

/// Sets the domain name (setdomainname, `kernel.domainname`): at most 64 bytes (`EINVAL`).
pub fn set_domainname(name: &[u8]) -> Result<(), abi::Errno> {
    set_uts_name(|name| uts::current().set_domainname(name), name)
}

fn set_uts_name(set: impl FnOnce(&[u8]), name: &[u8]) -> Result<(), abi::Errno> {
    if name.len() > UTS_NAME_LEN {
        return Err(abi::Errno::EINVAL);
    }
    set(name);
    Ok(())
}
