//! The generic exec flow (Linux's `fs/exec.c`): finds and checks the file, lets the binary
//! formats ([`super::binfmt_script`] for `#!` lines, then [`super::binfmt_elf`]) build the new
//! image, and at the point of no return replaces the calling process's image (`de_thread`,
//! `begin_new_exec`): other threads exit, the old address space, shared descriptor table and
//! signal handlers are released, close-on-exec descriptors closed, set-id credentials applied.
//! Also the argument-size limits (`bprm_stack_limits`, `MAX_ARG_STRLEN`) and the initial stack
//! VMA's floor (`setup_arg_pages`).
//!
//! A failure the binary format reports as [`ExecError::Fatal`] happened, in Linux, after the
//! point of no return: the process is killed with SIGSEGV (`force_fatal_sig`, whatever its
//! handlers and mask) instead of getting an errno back.

use super::binfmt_elf::{ExecIdentity, load_elf};
use super::binfmt_script::resolve_scripts;
use super::{Credentials, Thread, exit, table};
use crate::mm::address_space::STACK_LIMIT;
use crate::mm::{PAGE_SIZE, page_align_down};
use crate::signal::send::force_fatal_signal;
use crate::syscall::args::Fd;
use abi::mode::{S_ISGID, S_ISUID, S_IXGRP};
use abi::signal::StackT;
use abi::{AtFlags, Errno, KnownFlags};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use hal::user::UserContext;
use vfs::FileType;
use vfs::path::Lookup;

/// Longest single argument or environment string, including its NUL (`MAX_ARG_STRLEN`).
pub const MAX_ARG_STRLEN: usize = 32 * 4096;
/// Most strings in argv or envp (`MAX_ARG_STRINGS`).
pub const MAX_ARG_STRINGS: usize = 0x7fff_ffff;

/// How an exec failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecError {
    /// Before the point of no return: the caller gets the errno.
    Refused(Errno),
    /// After it (in Linux): the process is killed with SIGSEGV.
    Fatal(Errno),
}

impl From<Errno> for ExecError {
    fn from(errno: Errno) -> ExecError {
        ExecError::Refused(errno)
    }
}

/// Where the new stack's VMA starts (`setup_arg_pages`): 128 KiB below the arguments, or
/// `RLIMIT_STACK` below the top (`stack_top`) if that is less.
pub fn initial_stack_floor(stack_pointer: u64, stack_top: u64, stack_limit: u64) -> u64 {
    const STACK_EXPAND: u64 = 128 << 10;
    let in_use = stack_top - page_align_down(stack_pointer);
    let floor = if in_use + STACK_EXPAND > (stack_limit & !(PAGE_SIZE - 1)) {
        stack_top.saturating_sub(stack_limit & !(PAGE_SIZE - 1))
    } else {
        page_align_down(stack_pointer) - STACK_EXPAND
    };
    floor
        .max(stack_top - STACK_LIMIT)
        .min(page_align_down(stack_pointer))
}

/// The room execve gives argument and environment strings and their pointers
/// (`bprm_stack_limits`): a quarter of `RLIMIT_STACK`, at most 6 MiB (three quarters of
/// `_STK_LIM`) and at least `ARG_MAX` (128 KiB); capped at half the stack Ferrux reserves
/// (`STACK_LIMIT`), which the layout check in `build_stack` also allows.
pub fn argument_space(stack_limit: u64) -> u64 {
    const ARG_MAX: u64 = 32 * PAGE_SIZE;
    (stack_limit / 4)
        .clamp(ARG_MAX, 6 << 20)
        .min(STACK_LIMIT / 2)
}

/// The calling process's `RLIMIT_STACK` (what exec sizes the new stack by, as Linux's
/// `bprm->rlim_stack`); the default before any process runs.
pub(super) fn current_stack_limit() -> u64 {
    crate::process::try_current().map_or(STACK_LIMIT, |thread| {
        thread
            .process
            .limits
            .lock()
            .get(crate::process::rlimit::RLIMIT_STACK)
            .map_or(u64::MAX, |limit| limit.soft)
    })
}

/// Checks the argument and environment strings against Linux's limits (E2BIG), for the
/// calling process's `RLIMIT_STACK`.
pub fn check_argument_sizes(argv: &[Vec<u8>], envp: &[Vec<u8>]) -> Result<(), Errno> {
    let stack_limit = current_stack_limit();
    if argv.len() > MAX_ARG_STRINGS || envp.len() > MAX_ARG_STRINGS {
        return Err(Errno::E2BIG);
    }
    let mut total = 0usize;
    for string in argv.iter().chain(envp) {
        if string.len() + 1 > MAX_ARG_STRLEN {
            return Err(Errno::E2BIG);
        }
        total += string.len() + 1 + 8;
    }
    if total as u64 > argument_space(stack_limit) {
        return Err(Errno::E2BIG);
    }
    Ok(())
}

/// Checks that `path` may be executed (`do_open_execat`, `may_open` with `MAY_EXEC`): a
/// regular file, not on a `noexec` mount, with execute permission. Counts as an access for
/// the file's atime (exec reads it).
pub(super) fn check_executable(thread: &Thread, path: &vfs::Path) -> Result<(), Errno> {
    let metadata = path.metadata();
    match metadata.file_type {
        FileType::Regular => {}
        FileType::Symlink => return Err(Errno::ELOOP),
        _ => return Err(Errno::EACCES),
    }
    if path.mnt().is_noexec() {
        return Err(Errno::EACCES);
    }
    path.touch_atime();
    let credentials = thread.process.credentials.lock().clone();
    vfs::perm::may_access(&metadata, &credentials.for_fs(), vfs::perm::MAY_EXEC)?;
    // fanotify: the open's permission events, then FAN_OPEN | FAN_OPEN_EXEC.
    crate::fs::fanotify::exec_open(path)
}

/// The credentials after exec'ing a file with `metadata` (`bprm_fill_uid` and
/// `cap_bprm_creds_from_file`): a set-user-id file makes its owner the effective user, a
/// set-group-id file (with group execute) its group the effective group — unless
/// `no_new_privs`, the file is on a `nosuid` mount, or the caller's user namespace does not map
/// the file's owner and group; the saved and filesystem ids follow the
/// effective ones. The capability sets are recomputed as for a file without capabilities
/// (`abi::capability::Capabilities::exec`).
fn credentials_after_exec(
    old: &Credentials,
    metadata: &vfs::Metadata,
    ignores_set_id: bool,
    no_new_privs: bool,
) -> Credentials {
    let mut new = old.clone();
    // bprm_fill_uid: set-id bits of a file whose owner or group the caller's user namespace
    // does not map are ignored.
    let user_ns = &old.user_ns.0;
    let is_owner_mapped = user_ns
        .view_of(crate::ns::user::MapKind::Uid, metadata.uid)
        .is_some()
        && user_ns
            .view_of(crate::ns::user::MapKind::Gid, metadata.gid)
            .is_some();
    if !ignores_set_id && is_owner_mapped {
        if metadata.mode & S_ISUID != 0 {
            new.euid = metadata.uid;
        }
        if metadata.mode & S_ISGID != 0 && metadata.mode & S_IXGRP != 0 {
            new.egid = metadata.gid;
        }
    }
    new.suid = new.euid;
    new.fsuid = new.euid;
    new.sgid = new.egid;
    new.fsgid = new.egid;
    // cap_bprm_creds_from_file: `__is_setuid || __is_setgid`; no_new_privs gains nothing.
    let is_setid = new.euid != old.uid || new.egid != old.gid;
    // The capability rules' root is uid 0 of the credentials' user namespace.
    let view = |id| new.view(crate::ns::user::MapKind::Uid, id);
    new.caps = old.caps.exec(
        abi::capability::Uids {
            real: view(new.uid),
            effective: view(new.euid),
            saved: view(new.suid),
            fs: view(new.fsuid),
        },
        is_setid,
        no_new_privs,
    );
    new
}

/// Replaces the image of `thread`'s process with the program at `dirfd`/`path` (execve,
/// execveat), following `#!` scripts.
pub fn execute(
    thread: &Arc<Thread>,
    user: &mut UserContext,
    dirfd: Fd,
    path: &[u8],
    flags: AtFlags,
    mut argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<(), Errno> {
    let flags = flags.accept_only(AtFlags::AT_EMPTY_PATH | AtFlags::AT_SYMLINK_NOFOLLOW)?;
    let old_tid = thread.tid();
    let how = if flags.contains(AtFlags::AT_SYMLINK_NOFOLLOW) {
        Lookup::NOFOLLOW
    } else {
        Lookup::FOLLOW
    };
    let allow_empty = flags.contains(AtFlags::AT_EMPTY_PATH);
    if path.is_empty() && !allow_empty {
        return Err(Errno::ENOENT);
    }
    let dentry = crate::fs::lookup_or_fd(thread, dirfd, path, how, allow_empty)?;
    // The name the program sees (AT_EXECFN, a script's argument): as given, or /dev/fd/N for
    // a descriptor-relative exec (`do_execveat_common`).
    let is_absolute = path.first() == Some(&b'/');
    let (filename, is_path_inaccessible) = if dirfd.0 == crate::fs::AT_FDCWD || is_absolute {
        (path.to_vec(), false)
    } else {
        let mut name = alloc::format!("/dev/fd/{}", dirfd.0).into_bytes();
        if !path.is_empty() {
            name.push(b'/');
            name.extend_from_slice(path);
        }
        let is_close_on_exec = thread
            .process
            .files
            .get()
            .lock()
            .is_close_on_exec(dirfd.0)
            .unwrap_or(false);
        (name, is_close_on_exec)
    };
    // Since Linux 5.18 an empty argv gets one empty string, so argv[0] always exists.
    if argv.is_empty() {
        argv.push(Vec::new());
    }
    let comm_source = if dirfd.0 != crate::fs::AT_FDCWD && !is_absolute {
        dentry.name().unwrap_or_default()
    } else {
        filename.clone()
    };
    let target = resolve_scripts(thread, dentry, &filename, is_path_inaccessible, argv)?;
    // do_open_execat's deny_write_access: `ETXTBSY` for a file open for writing; the denial
    // lasts as long as the new address space has the file as its program (`exe_file`).
    let write_denial = vfs::inode::WriteDenial::new(target.dentry.inode())?;
    check_argument_sizes(&target.argv, &envp)?;
    let old_credentials = thread.process.credentials.lock().clone();
    let metadata = target.dentry.metadata();
    let no_new_privs = thread.process.flags.lock().no_new_privs;
    // Under a tracer without CAP_SYS_PTRACE a set-id program runs with the caller's ids
    // (`LSM_UNSAFE_PTRACE`, unless the caller may set ids itself).
    let is_unsafe_trace = super::ptrace::tracer_of(thread).is_some_and(|tracer| {
        !tracer
            .credentials
            .lock()
            .has_capability(abi::capability::CAP_SYS_PTRACE)
    }) && !old_credentials.has_capability(abi::capability::CAP_SETUID);
    let ignores_set_id = no_new_privs || target.dentry.mnt().is_nosuid() || is_unsafe_trace;
    let credentials =
        credentials_after_exec(&old_credentials, &metadata, ignores_set_id, no_new_privs);
    // A set-id exec drops the personality flags that weaken its protection (`per_clear`).
    let applies_set_id = !ignores_set_id
        && (metadata.mode & S_ISUID != 0
            || (metadata.mode & S_ISGID != 0 && metadata.mode & S_IXGRP != 0));
    // AT_SECURE: a privilege-changing exec (commoncap's secureexec rule).
    let is_secure =
        credentials.euid != old_credentials.uid || credentials.egid != old_credentials.gid;
    // `bprm->per_clear` (bprm_fill_uid, cap_bprm_creds_from_file); an x86-64 ELF also drops
    // READ_IMPLIES_EXEC (set_personality_64bit).
    let per_clear = if applies_set_id || is_secure {
        abi::personality::PER_CLEAR_ON_SETID
    } else {
        0
    } | abi::personality::READ_IMPLIES_EXEC;
    let personality = thread.personality.load(Ordering::Relaxed) & !per_clear;
    let identity = ExecIdentity {
        uid: credentials.uid,
        euid: credentials.euid,
        gid: credentials.gid,
        egid: credentials.egid,
        is_secure,
        personality,
    };
    let loaded = match load_elf(
        thread,
        target.dentry.inode(),
        &target.argv,
        &envp,
        &filename,
        &identity,
    ) {
        Ok(loaded) => loaded,
        Err(ExecError::Refused(errno)) => return Err(errno),
        Err(ExecError::Fatal(errno)) => {
            // Linux has already replaced the image: the process cannot go on.
            force_fatal_signal(thread, sigrules::SIGSEGV);
            return Err(errno);
        }
    };
    let path = comm_source.as_slice();

    let mut space = loaded.mm;
    record_program(&mut space, &target.dentry, write_denial);
    // The new image maps the vDSO page of the thread's time namespace (Linux 6.1 does not
    // move an exec into the namespace for children: only a fork enters it).
    space.set_time_namespace_page(thread.nsproxy().time.vvar_page().cloned());
    let new_mm = Arc::new(crate::mm::Mm::new(space));
    new_mm.register_file_mappings()?;
    // The point of no return: the other threads and the old image go.
    kill_other_threads(thread);
    exit::release_futexes(thread);
    new_mm.activate();
    // The new name before the new image: a reader on another CPU that sees the new
    // arguments (`/proc/PID/cmdline`) sees the new name too, as Linux sets the comm before
    // `create_elf_tables` publishes the arguments.
    let base_name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    let mut name = [0u8; 16];
    let len = base_name.len().min(15);
    name[..len].copy_from_slice(&base_name[..len]);
    *thread.process.name.lock() = name;
    *thread.comm.lock() = name;
    let old = thread.process.mm.replace(new_mm);
    drop(old);
    exit::release_vfork_parent(&thread.process);
    let process = &thread.process;
    // begin_new_exec clears PF_FORKNOEXEC (what setpgid's EACCES looks at) before it closes
    // the close-on-exec files: a parent woken by that close on another CPU must see it.
    process.flags.lock().has_execed = true;
    if process.files.is_shared() {
        let copy = process.files.get().lock().try_clone()?;
        process
            .files
            .replace(Arc::new(super::shared::locked_files(copy)));
    }
    process.files.get().lock().close_on_exec();
    if process.signals.is_shared() {
        let copy = process.signals.get().lock().clone();
        process
            .signals
            .replace(Arc::new(super::shared::locked_signals(copy)));
    }
    process.signals.get().lock().reset_for_exec();
    crate::timers::exec(process);
    {
        // begin_new_exec: a process whose ids differ (set-id) is not dumpable; without set-id
        // executables that happens only when the caller changed its own ids.
        let mut flags = process.flags.lock();
        flags.dumpable = u32::from(
            !is_secure
                && credentials.euid == credentials.uid
                && credentials.egid == credentials.gid,
        );
    }
    thread.personality.store(personality, Ordering::Relaxed);
    // install_exec_creds: the thread and process keyrings do not survive exec.
    thread.keys.lock().exec();
    thread.rseq.clear();
    // The set-id bits and the new capability sets take effect (SECURE_KEEP_CAPS cleared).
    *process.credentials.lock() = credentials;
    *thread.alt_stack.lock() = StackT {
        ss_flags: abi::signal::SS_DISABLE,
        ..StackT::default()
    };

    let regs = user.regs_mut();
    *regs = hal::user::UserRegs::default();
    regs.rip = loaded.entry;
    regs.rsp = loaded.stack_pointer;
    regs.rflags = 0x202;
    user.reset_fpu();
    super::ptrace::exec_done(thread, user, old_tid);
    Ok(())
}

/// Records the executable in the new address space (`/proc/<pid>/exe`, the names of its
/// mappings in `maps`) and its code and data ranges (`start_code`… of `/proc/<pid>/stat`:
/// the executable's mappings that are executable, and the writable ones), with the denial of
/// writes to it that the address space holds.
fn record_program(
    space: &mut crate::mm::AddressSpace,
    exe: &vfs::Path,
    write_denial: Option<vfs::inode::WriteDenial>,
) {
    space.set_file_path(exe.inode(), exe);
    let (mut code, mut data) = ((u64::MAX, 0), (u64::MAX, 0));
    for vma in space.vmas() {
        let crate::mm::Backing::File { inode, .. } = &vma.backing else {
            continue;
        };
        if !Arc::ptr_eq(inode, exe.inode()) {
            continue;
        }
        let range = if vma.protection.is_executable {
            &mut code
        } else if vma.protection.is_writable {
            &mut data
        } else {
            continue;
        };
        range.0 = range.0.min(vma.start);
        range.1 = range.1.max(vma.end);
    }
    let layout = &mut space.layout;
    (layout.start_code, layout.end_code) = if code.1 == 0 { (0, 0) } else { code };
    (layout.start_data, layout.end_data) = if data.1 == 0 { (0, 0) } else { data };
    layout.exe = Some(exe.clone());
    layout.exe_write_denial = write_denial;
}

/// Makes every other thread of the caller's process exit and waits until they are gone
/// (exec's `de_thread`).
fn kill_other_threads(thread: &Arc<Thread>) {
    let process = &thread.process;
    let others: Vec<Arc<Thread>> = process
        .threads
        .lock()
        .iter()
        .filter(|other| !Arc::ptr_eq(other, thread))
        .cloned()
        .collect();
    for other in &others {
        other.is_killed.store(true, Ordering::Relaxed);
        other.is_exiting.store(true, Ordering::Relaxed);
        other.signal_hint.store(true, Ordering::Relaxed);
        crate::sched::wake_up_for_signal(other, true);
    }
    drop(others);
    while process.threads.lock().len() > 1 && !thread.is_exiting.load(Ordering::Relaxed) {
        crate::sched::yield_now();
    }
    // A non-leader that execs becomes the leader: it takes over the process id.
    let old_tid = thread.tid();
    if old_tid != process.pid && process.threads.lock().len() == 1 {
        table::remove_thread(old_tid);
        thread.tid.store(process.pid, Ordering::Relaxed);
        table::insert_thread(thread);
    }
}
