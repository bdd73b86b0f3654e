//! Starting the first process, as Linux's `kernel_init`: open `/dev/console` as fds 0, 1 and 2;
//! if the initramfs has no runnable `rdinit=` (default `/init`), mount the root file system
//! from its disk (`fs::do_mounts`, `root=`…); then try `rdinit=` (when it was there), then
//! `init=` (a failure panics "Requested init … failed"), then `/sbin/init`, `/etc/init`,
//! `/bin/init`, `/bin/sh`; if none runs, panic "No working init found". Init gets argv
//! `[path, args…]` and the environment `HOME=/`, `TERM=linux` plus unknown `key=value` words
//! (both from `bootparam`).

use crate::fs::{self, FsContext};
use crate::mm::{AddressSpace, Mm};
use crate::panic_policy;
use crate::process::credentials::Credentials;
use crate::process::rlimit::ResourceLimits;
use crate::process::shared;
use crate::process::{
    self, Lifecycle, Process, ProcessFlags, ProcessStats, Shared, Thread, Usage, run::run_thread,
    table,
};
use crate::sched;
use crate::sched::wait::WaitQueue;
use crate::signal::SignalState;
use abi::Errno;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use bootparam::CommandLine;
use core::sync::atomic::AtomicU64;
use fs::fd_table::FdTable;
use hal::sync::SpinLock;
use hal::user::UserContext;
use sigrules::PendingQueue;
use spin::Once;

/// Whether `path` names something init could be (`init_eaccess`: it exists, and root may
/// execute it: a directory or a file with an execute bit).
fn is_executable(path: &str) -> bool {
    match fs::lookup_root_path(path.as_bytes()) {
        Ok(found) => {
            let metadata = found.metadata();
            metadata.file_type.is_dir() || metadata.mode & 0o111 != 0
        }
        Err(_) => false,
    }
}

/// The command line, kept for the init thread (which starts on its own stack).
static COMMAND_LINE: Once<CommandLine> = Once::new();

fn open_console(files: &mut FdTable) {
    let dentry = match fs::lookup_root_path(b"/dev/console") {
        Ok(dentry) => dentry,
        Err(_) => {
            log::warn!("Warning: unable to open an initial console.");
            return;
        }
    };
    match fs::open_dentry(dentry, abi::OpenFlags::O_RDWR | abi::OpenFlags::O_LARGEFILE) {
        Ok(console) => {
            for fd in 0..3 {
                let _ = files.install(fd, console.clone(), false);
            }
        }
        Err(_) => log::warn!("Warning: unable to open an initial console."),
    }
}

fn create_init_process() -> Result<Arc<Thread>, Errno> {
    let pid = table::allocate_pid()?;
    let mut files = FdTable::new();
    open_console(&mut files);
    let max_threads = crate::sysctl::limits().max_threads;
    let process = Arc::new(Process {
        pid,
        pid_ns: crate::ns::pid::initial().clone(),
        is_child_reaper: pid == 1,
        serial: table::next_serial(),
        parent: SpinLock::new("process.parent", Weak::new()),
        children: SpinLock::new("process.children", Vec::new()),
        threads: SpinLock::new("process.threads", Vec::new()),
        mm: Shared::new(Mm::new(AddressSpace::try_new()?)),
        files: Shared::new(shared::locked_files(files)),
        fs: Shared::new(shared::locked_fs(FsContext::clone(&fs::initial_context()))),
        credentials: SpinLock::new("process.credentials", Credentials::root()),
        signals: Shared::new(shared::locked_signals(SignalState::default())),
        shared_pending: SpinLock::new("process.shared_pending", PendingQueue::new()),
        limits: SpinLock::new("process.limits", ResourceLimits::for_init(max_threads)),
        name: SpinLock::new("process.name", *b"swapper\0\0\0\0\0\0\0\0\0"),
        pgid: AtomicU64::new(0),
        sid: AtomicU64::new(0),
        // Exec sets SIGCHLD (de_thread's "we have changed execution domain"), and init was
        // exec'd: /proc/1/stat shows 17 on Linux.
        exit_signal: sigrules::SIGCHLD,
        lifecycle: SpinLock::new("process.lifecycle", Lifecycle::default()),
        child_events: WaitQueue::new(),
        exit_events: Arc::new(crate::sched::wait::WaitQueue::new()),
        signalfd_wait: Arc::new(crate::sched::wait::WaitQueue::new()),
        vfork_done: SpinLock::new("process.vfork_done", None),
        flags: SpinLock::new(
            "process.flags",
            ProcessFlags {
                dumpable: 1,
                coredump_filter: crate::process::coredump::DEFAULT_FILTER,
                ..ProcessFlags::default()
            },
        ),
        usage: SpinLock::new("process.usage", Usage::default()),
        timers: SpinLock::new("process.timers", crate::timers::ProcessTimers::new()),
        start_time_ns: crate::time::monotonic_ns(),
        stats: ProcessStats::default(),
        sysvsem: SpinLock::new("process.sysvsem", None),
        ptraced: SpinLock::new("process.ptraced", Vec::new()),
        traced_by: SpinLock::new("process.traced_by", alloc::sync::Weak::new()),
    });
    let thread = Thread::try_new_with_entry(
        pid,
        process.clone(),
        UserContext::try_new()?,
        0,
        0,
        init_thread_main,
    )?;
    process.threads.lock().push(thread.clone());
    table::insert_process(&process, &thread);
    Ok(thread)
}

fn try_run(
    thread: &Arc<Thread>,
    user: &mut UserContext,
    path: &str,
    command_line: &CommandLine,
) -> Result<(), Errno> {
    let mut argv: Vec<Vec<u8>> = Vec::new();
    argv.push(path.as_bytes().to_vec());
    argv.extend(
        command_line
            .init_args
            .iter()
            .map(|arg| arg.as_bytes().to_vec()),
    );
    let envp: Vec<Vec<u8>> = command_line
        .init_env
        .iter()
        .map(|var| var.as_bytes().to_vec())
        .collect();
    process::exec::execute(
        thread,
        user,
        crate::syscall::args::Fd(crate::fs::AT_FDCWD),
        path.as_bytes(),
        abi::AtFlags::empty(),
        argv,
        envp,
    )
}

/// Creates init (pid 1) and lets the scheduler run it; this CPU then becomes the idle loop.
pub fn start(command_line: CommandLine) -> ! {
    COMMAND_LINE.call_once(|| command_line);
    let thread =
        create_init_process().unwrap_or_else(|error| panic!("cannot create init: {error:?}"));
    sched::spawn(thread);
    sched::run_idle()
}

/// Makes this (boot) CPU's code its idle context and starts the other CPUs as the command
/// line allows (`nr_cpus=`, `maxcpus=`, `nosmp`), each running its idle loop (Linux's
/// `smp_init`), before the filesystems (sysfs lists them) and init.
pub fn start_secondary_cpus(command_line: &CommandLine) {
    sched::init_cpu();
    if let Some(count) = command_line.nr_cpus {
        hal::smp::limit_possible(count);
    }
    let max_cpus = command_line.max_cpus.unwrap_or(usize::MAX);
    if hal::smp::present_mask().count_ones() > 1 && max_cpus > 1 {
        log::info!("smp: Bringing up secondary CPUs ...");
    }
    let online = hal::smp::start_secondary_cpus(max_cpus, secondary_main);
    let unsynced = hal::smp::tsc_unsynced_mask();
    if unsynced != 0 {
        log::warn!("TSC synchronization: CPUs {unsynced:#x} are behind the boot CPU");
    }
    log::info!(
        "smp: Brought up 1 node, {online} CPU{}{}",
        if online == 1 { "" } else { "s" },
        if hal::smp::is_x2apic() {
            " (x2APIC)"
        } else {
            ""
        }
    );
}

/// A secondary CPU's kernel code once hal has brought it up: its idle loop.
fn secondary_main() -> ! {
    sched::init_cpu();
    sched::run_idle()
}

/// The init thread's first code, on its own kernel stack: exec the first program that works.
fn init_thread_main(_: usize) -> ! {
    run_init();
    sched::exit_current()
}

fn run_init() {
    let thread = process::current();
    let Some(mut user) = thread.start.lock().take() else {
        panic!("init thread has no user context");
    };
    let Some(command_line) = COMMAND_LINE.get() else {
        panic!("init started without a command line");
    };
    if command_line.is_ktest {
        crate::ktest::run_all();
    }
    // ip_auto_config, a late initcall in Linux: before init's program.
    crate::net::ipconfig::auto_config(crate::boot_command_line());
    let rdinit = command_line
        .rdinit
        .clone()
        .unwrap_or_else(|| String::from("/init"));
    // kernel_init_freeable: without a runnable rdinit in the initramfs, the kernel mounts the
    // root file system itself and runs init from there.
    let has_rdinit = is_executable(&rdinit);
    if !has_rdinit {
        crate::fs::do_mounts::prepare_namespace(&thread, &command_line.root);
    }
    if has_rdinit {
        log::info!("Run {rdinit} as init process");
        match try_run(&thread, &mut user, &rdinit, command_line) {
            Ok(()) => {
                run_thread(&thread, user);
                return;
            }
            Err(error) => log::error!("Failed to execute {rdinit} (error -{})", error.0),
        }
    }
    if let Some(init) = &command_line.init {
        log::info!("Run {init} as init process");
        match try_run(&thread, &mut user, init, command_line) {
            Ok(()) => {
                run_thread(&thread, user);
                return;
            }
            Err(error) => panic_policy::kernel_panic(format_args!(
                "Requested init {init} failed (error -{}).",
                error.0
            )),
        }
    }
    for path in ["/sbin/init", "/etc/init", "/bin/init", "/bin/sh"] {
        log::info!("Run {path} as init process");
        match try_run(&thread, &mut user, path, command_line) {
            Ok(()) => {
                run_thread(&thread, user);
                return;
            }
            Err(Errno::ENOENT) => {}
            Err(error) => log::error!(
                "Starting init: {path} exists but couldn't execute it (error -{})",
                error.0
            ),
        }
    }
    panic_policy::kernel_panic(format_args!(
        "No working init found.  Try passing init= option to kernel. See Linux Documentation/admin-guide/init.rst for guidance."
    ))
}
