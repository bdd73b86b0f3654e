//! The syscall table: one line per implemented x86-64 syscall, `number name => handler(args)`.
//! Every number not listed returns ENOSYS (logged once). `docs/syscalls.md` is generated from
//! this file by `cargo xtask syscalls`; a trailing `// partial: …` comment marks partial support.
//! The `absent_table!` block below lists the numbers that Linux 6.1 answers with ENOSYS too (no
//! x86-64 entry point, removed, added after 6.1, or compiled out) with the reason: they return
//! ENOSYS without the "not implemented" log line, and the generator shows them as such.

use super::args::{Fd, FromArg, TraceArg, UserCStr, UserPtr};
use super::dispatch::Entry;
use super::{
    acct, aio, capability, eventfd, eventpoll, exec, exec_domain, exit, fadvise, fanotify, fcntl,
    fhandle, fork, fs_types, futex, groups, inotify, ioctl, ioprio, itimer, kcmp, keyctl, locks,
    membarrier, memfd, mlock, mmap, mount_api, mqueue, msg, namei, namespace, nsproxy, open, pipe,
    posix_timers, prctl, printk, process_64, process_vm_access, ptrace, random, read_write,
    readdir, reboot, rlimit, rseq, sched, seccomp, select, sem, sendfile, shm, signal, signalfd,
    socket, splice, stat, statfs, sync, sys, sysinfo, time, timerfd, uname, userfaultfd, utimes,
    xattr,
};

macro_rules! syscall_table {
    ($($number:literal $name:ident => $module:ident :: $handler:ident ( $($arg:ident : $ty:ty),* );)*) => {
        /// The entry for syscall `number`.
        pub fn lookup(number: u64) -> Option<&'static Entry> {
            match number {
                $($number => {
                    static ENTRY: Entry = Entry {
                        name: stringify!($name),
                        call: |context, raw| {
                            #[allow(unused_mut, unused_variables)]
                            let mut registers = raw.iter().copied();
                            $(let $arg = <$ty as FromArg>::from_arg(registers.next().unwrap_or(0));)*
                            $module::$handler(context, $($arg),*)
                        },
                        #[allow(unused_variables)]
                        trace_args: |raw, line| {
                            #[allow(unused_mut, unused_variables)]
                            let mut registers = raw.iter().copied();
                            #[allow(unused_mut)]
                            let mut is_first = true;
                            $(
                                if !is_first { line.push_str(", "); }
                                is_first = false;
                                let value = <$ty as FromArg>::from_arg(registers.next().unwrap_or(0));
                                let _ = TraceArg::trace(&value, line);
                            )*
                            let _ = is_first;
                        },
                    };
                    Some(&ENTRY)
                })*
                _ => None,
            }
        }
    };
}

/// execve and rt_sigreturn load a whole new register set.
pub fn is_register_replacing(number: u64) -> bool {
    matches!(number, 59 | 15 | 322)
}

syscall_table! {
    0 read => read_write::read(fd: Fd, buf: UserPtr<u8>, count: usize);
    1 write => read_write::write(fd: Fd, buf: UserPtr<u8>, count: usize);
    2 open => open::open(path: UserCStr, flags: abi::OpenFlags, mode: u32);
    3 close => open::close(fd: Fd);
    4 stat => stat::stat(path: UserCStr, buf: UserPtr<abi::Stat>);
    5 fstat => stat::fstat(fd: Fd, buf: UserPtr<abi::Stat>);
    6 lstat => stat::lstat(path: UserCStr, buf: UserPtr<abi::Stat>);
    7 poll => select::poll(ufds: UserPtr<abi::PollFd>, nfds: u32, timeout_ms: i32);
    8 lseek => read_write::lseek(fd: Fd, offset: i64, whence: u32);
    9 mmap => mmap::mmap(addr: u64, len: u64, prot: u64, flags: u64, fd: Fd, offset: u64);
    10 mprotect => mmap::mprotect(addr: u64, len: u64, prot: u64);
    11 munmap => mmap::munmap(addr: u64, len: u64);
    12 brk => mmap::brk(addr: u64);
    13 rt_sigaction => signal::rt_sigaction(signal: i32, act: UserPtr<abi::SigactionRaw>, old: UserPtr<abi::SigactionRaw>, size: usize);
    14 rt_sigprocmask => signal::rt_sigprocmask(how: i32, set: UserPtr<u64>, old: UserPtr<u64>, size: usize);
    15 rt_sigreturn => signal::rt_sigreturn();
    16 ioctl => ioctl::ioctl(fd: Fd, command: u32, argument: u64);
    17 pread64 => read_write::pread64(fd: Fd, buf: UserPtr<u8>, count: usize, offset: i64);
    18 pwrite64 => read_write::pwrite64(fd: Fd, buf: UserPtr<u8>, count: usize, offset: i64);
    19 readv => read_write::readv(fd: Fd, iov: UserPtr<abi::Iovec>, count: i32);
    20 writev => read_write::writev(fd: Fd, iov: UserPtr<abi::Iovec>, count: i32);
    21 access => namei::access(path: UserCStr, mode: u32);
    22 pipe => pipe::pipe(fds: UserPtr<[i32; 2]>);
    23 select => select::select(nfds: i32, readfds: UserPtr<u64>, writefds: UserPtr<u64>, exceptfds: UserPtr<u64>, timeout: UserPtr<abi::Timeval>);
    24 sched_yield => sched::sched_yield();
    25 mremap => mmap::mremap(addr: u64, old_len: u64, new_len: u64, flags: u64, new_addr: u64);
    26 msync => mmap::msync(addr: u64, len: u64, flags: u64);
    27 mincore => mmap::mincore(addr: u64, len: u64, vec: u64);
    28 madvise => mmap::madvise(addr: u64, len: u64, advice: i32);
    29 shmget => shm::shmget(key: i32, size: u64, flags: i32);
    30 shmat => shm::shmat(id: i32, addr: u64, flags: i32);
    31 shmctl => shm::shmctl(id: i32, command: i32, buf: UserPtr<u8>);
    32 dup => fcntl::dup(fd: Fd);
    33 dup2 => fcntl::dup2(old: Fd, new: Fd);
    34 pause => signal::pause();
    35 nanosleep => time::nanosleep(request: UserPtr<abi::Timespec>, remain: UserPtr<abi::Timespec>);
    36 getitimer => itimer::getitimer(which: i32, value: UserPtr<abi::Itimerval>);
    37 alarm => itimer::alarm(seconds: u32);
    38 setitimer => itimer::setitimer(which: i32, value: UserPtr<abi::Itimerval>, old: UserPtr<abi::Itimerval>);
    39 getpid => sys::getpid();
    40 sendfile => sendfile::sendfile(out_fd: Fd, in_fd: Fd, offset: UserPtr<i64>, count: usize);
    41 socket => socket::socket(domain: i32, kind: i32, protocol: i32); // partial: AF_UNIX, AF_INET, AF_INET6 (TCP, UDP over loopback), AF_NETLINK (ROUTE, USERSOCK, KOBJECT_UEVENT); raw, ping and packet sockets missing
    42 connect => socket::connect(fd: Fd, address: u64, len: i32);
    43 accept => socket::accept(fd: Fd, address: u64, len: u64);
    44 sendto => socket::sendto(fd: Fd, buf: u64, len: usize, flags: u32, address: u64, address_len: i32); // partial: no MSG_OOB (EOPNOTSUPP)
    45 recvfrom => socket::recvfrom(fd: Fd, buf: u64, len: usize, flags: u32, address: u64, len_ptr: u64);
    46 sendmsg => socket::sendmsg(fd: Fd, message: u64, flags: u32); // partial: no MSG_OOB (EOPNOTSUPP)
    47 recvmsg => socket::recvmsg(fd: Fd, message: u64, flags: u32);
    48 shutdown => socket::shutdown(fd: Fd, how: i32);
    49 bind => socket::bind(fd: Fd, address: u64, len: i32);
    50 listen => socket::listen(fd: Fd, backlog: i32);
    51 getsockname => socket::getsockname(fd: Fd, address: u64, len: u64);
    52 getpeername => socket::getpeername(fd: Fd, address: u64, len: u64);
    53 socketpair => socket::socketpair(domain: i32, kind: i32, protocol: i32, fds: UserPtr<[i32; 2]>); // partial: AF_UNIX (AF_INET/AF_INET6/AF_NETLINK EOPNOTSUPP as Linux)
    54 setsockopt => socket::setsockopt(fd: Fd, level: i32, name: i32, value: u64, len: i32);
    55 getsockopt => socket::getsockopt(fd: Fd, level: i32, name: i32, value: u64, len: u64);
    56 clone => fork::clone(flags: u64, stack: u64, parent_tid: u64, child_tid: u64, tls: u64); // partial: no network namespaces (EINVAL)
    57 fork => fork::fork();
    58 vfork => fork::vfork();
    59 execve => exec::execve(path: UserCStr, argv: UserPtr<u64>, envp: UserPtr<u64>);
    60 exit => exit::exit(status: i32);
    61 wait4 => exit::wait4(pid: i32, status: UserPtr<i32>, options: abi::WaitFlags, usage: UserPtr<abi::Rusage>);
    62 kill => signal::kill(pid: i32, signal: i32);
    63 uname => uname::uname(buf: UserPtr<abi::Utsname>);
    64 semget => sem::semget(key: i32, nsems: i32, flags: i32);
    65 semop => sem::semop(id: i32, sops: u64, nsops: u32);
    66 semctl => sem::semctl(id: i32, semnum: i32, command: i32, arg: u64);
    67 shmdt => shm::shmdt(addr: u64);
    68 msgget => msg::msgget(key: i32, flags: i32);
    69 msgsnd => msg::msgsnd(id: i32, msgp: u64, size: u64, flags: i32);
    70 msgrcv => msg::msgrcv(id: i32, msgp: u64, size: u64, msgtyp: i64, flags: i32);
    71 msgctl => msg::msgctl(id: i32, command: i32, buf: u64);
    72 fcntl => fcntl::fcntl(fd: Fd, command: u32, argument: u64);
    73 flock => locks::flock(fd: Fd, operation: u32);
    74 fsync => sync::fsync(fd: Fd);
    75 fdatasync => sync::fsync(fd: Fd);
    76 truncate => open::truncate(path: UserCStr, len: i64);
    77 ftruncate => open::ftruncate(fd: Fd, len: i64);
    78 getdents => readdir::getdents(fd: Fd, buf: UserPtr<u8>, count: u32);
    79 getcwd => namei::getcwd(buf: UserPtr<u8>, size: usize);
    80 chdir => namei::chdir(path: UserCStr);
    81 fchdir => namei::fchdir(fd: Fd);
    82 rename => namei::rename(old: UserCStr, new: UserCStr);
    83 mkdir => namei::mkdir(path: UserCStr, mode: u32);
    84 rmdir => namei::rmdir(path: UserCStr);
    85 creat => open::creat(path: UserCStr, mode: u32);
    86 link => namei::link(old: UserCStr, new: UserCStr);
    87 unlink => namei::unlink(path: UserCStr);
    88 symlink => namei::symlink(target: UserCStr, path: UserCStr);
    89 readlink => namei::readlink(path: UserCStr, buf: UserPtr<u8>, size: i32);
    90 chmod => namei::chmod(path: UserCStr, mode: u32);
    91 fchmod => namei::fchmod(fd: Fd, mode: u32);
    92 chown => namei::chown(path: UserCStr, uid: u32, gid: u32);
    93 fchown => namei::fchown(fd: Fd, uid: u32, gid: u32);
    94 lchown => namei::lchown(path: UserCStr, uid: u32, gid: u32);
    95 umask => namei::umask(mask: u32);
    96 gettimeofday => time::gettimeofday(tv: UserPtr<abi::Timeval>, tz: UserPtr<abi::Timezone>);
    97 getrlimit => rlimit::getrlimit(resource: u32, limit: UserPtr<abi::Rlimit>);
    98 getrusage => exit::getrusage(who: i32, usage: UserPtr<abi::Rusage>);
    99 sysinfo => sysinfo::sysinfo(info: UserPtr<abi::Sysinfo>);
    100 times => exit::times(buf: UserPtr<abi::Tms>);
    101 ptrace => ptrace::ptrace(request: u64, pid: i64, addr: u64, data: u64); // partial: no hardware breakpoints (DR7)
    102 getuid => sys::getuid();
    103 syslog => printk::syslog(action: i32, buf: UserPtr<u8>, len: i32);
    104 getgid => sys::getgid();
    105 setuid => sys::setuid(uid: u32);
    106 setgid => sys::setgid(gid: u32);
    107 geteuid => sys::geteuid();
    108 getegid => sys::getegid();
    109 setpgid => sys::setpgid(pid: i32, pgid: i32);
    110 getppid => sys::getppid();
    111 getpgrp => sys::getpgrp();
    112 setsid => sys::setsid();
    113 setreuid => sys::setreuid(ruid: u32, euid: u32);
    114 setregid => sys::setregid(rgid: u32, egid: u32);
    115 getgroups => groups::getgroups(size: i32, list: UserPtr<u32>);
    116 setgroups => groups::setgroups(size: i32, list: UserPtr<u32>);
    117 setresuid => sys::setresuid(ruid: u32, euid: u32, suid: u32);
    118 getresuid => sys::getresuid(ruid: UserPtr<u32>, euid: UserPtr<u32>, suid: UserPtr<u32>);
    119 setresgid => sys::setresgid(rgid: u32, egid: u32, sgid: u32);
    120 getresgid => sys::getresgid(rgid: UserPtr<u32>, egid: UserPtr<u32>, sgid: UserPtr<u32>);
    121 getpgid => sys::getpgid(pid: i32);
    122 setfsuid => sys::setfsuid(fsuid: u32);
    123 setfsgid => sys::setfsgid(fsgid: u32);
    124 getsid => sys::getsid(pid: i32);
    125 capget => capability::capget(header: UserPtr<abi::capability::CapUserHeader>, data: UserPtr<abi::capability::CapUserData>);
    126 capset => capability::capset(header: UserPtr<abi::capability::CapUserHeader>, data: UserPtr<abi::capability::CapUserData>);
    127 rt_sigpending => signal::rt_sigpending(set: UserPtr<u64>, size: usize);
    128 rt_sigtimedwait => signal::rt_sigtimedwait(set: UserPtr<u64>, info: UserPtr<abi::signal::SigInfo>, timeout: UserPtr<abi::Timespec>, size: usize);
    129 rt_sigqueueinfo => signal::rt_sigqueueinfo(pid: i32, signal: i32, info: UserPtr<abi::signal::SigInfo>);
    130 rt_sigsuspend => signal::rt_sigsuspend(mask: UserPtr<u64>, size: usize);
    131 sigaltstack => signal::sigaltstack(new: UserPtr<abi::signal::StackT>, old: UserPtr<abi::signal::StackT>);
    132 utime => utimes::utime(path: UserCStr, times: UserPtr<utimes::Utimbuf>);
    133 mknod => namei::mknod(path: UserCStr, mode: u32, dev: u32);
    135 personality => exec_domain::personality(persona: u32);
    136 ustat => statfs::ustat(dev: u32, buf: UserPtr<statfs::Ustat>);
    137 statfs => statfs::statfs(path: UserCStr, buf: UserPtr<abi::Statfs>);
    138 fstatfs => statfs::fstatfs(fd: Fd, buf: UserPtr<abi::Statfs>);
    139 sysfs => fs_types::sysfs(option: i32, arg1: u64, arg2: u64);
    140 getpriority => sched::getpriority(which: i32, who: i32);
    141 setpriority => sched::setpriority(which: i32, who: i32, nice: i32);
    142 sched_setparam => sched::sched_setparam(pid: i32, param: UserPtr<i32>);
    143 sched_getparam => sched::sched_getparam(pid: i32, param: UserPtr<i32>);
    144 sched_setscheduler => sched::sched_setscheduler(pid: i32, policy: i32, param: UserPtr<i32>);
    145 sched_getscheduler => sched::sched_getscheduler(pid: i32);
    146 sched_get_priority_max => sched::sched_get_priority_max(policy: i32);
    147 sched_get_priority_min => sched::sched_get_priority_min(policy: i32);
    148 sched_rr_get_interval => sched::sched_rr_get_interval(pid: i32, interval: UserPtr<abi::Timespec>);
    149 mlock => mlock::mlock(addr: u64, len: u64);
    150 munlock => mlock::munlock(addr: u64, len: u64);
    151 mlockall => mlock::mlockall(flags: i32);
    152 munlockall => mlock::munlockall();
    153 vhangup => open::vhangup();
    155 pivot_root => namespace::pivot_root(new_root: UserCStr, put_old: UserCStr);
    157 prctl => prctl::prctl(option: i32, arg2: u64, arg3: u64, arg4: u64, arg5: u64); // partial: name, pdeathsig, dumpable, subreaper, no_new_privs, seccomp, timerslack, tsc, keepcaps, securebits, capbset, cap_ambient
    158 arch_prctl => process_64::arch_prctl(code: i32, address: u64);
    159 adjtimex => time::adjtimex(txc: UserPtr<abi::time::Timex>); // partial: corrections step CLOCK_REALTIME once a second; CLOCK_MONOTONIC not slewed
    160 setrlimit => rlimit::setrlimit(resource: u32, limit: UserPtr<abi::Rlimit>);
    161 chroot => open::chroot(path: UserCStr);
    162 sync => sync::sync();
    163 acct => acct::acct(name: UserCStr);
    164 settimeofday => time::settimeofday(tv: UserPtr<abi::Timeval>, tz: UserPtr<abi::Timezone>);
    165 mount => namespace::mount(source: u64, target: UserCStr, fstype: u64, flags: u64, data: u64);
    166 umount2 => namespace::umount2(target: UserCStr, flags: i32);
    169 reboot => reboot::reboot(magic1: u32, magic2: u32, command: u32, argument: u64);
    170 sethostname => uname::sethostname(name: UserPtr<u8>, len: i32);
    171 setdomainname => uname::setdomainname(name: UserPtr<u8>, len: i32);
    186 gettid => sys::gettid();
    187 readahead => fadvise::readahead(fd: Fd, offset: i64, count: usize);
    188 setxattr => xattr::setxattr(path: UserCStr, name: UserCStr, value: UserPtr<u8>, size: usize, flags: i32);
    189 lsetxattr => xattr::lsetxattr(path: UserCStr, name: UserCStr, value: UserPtr<u8>, size: usize, flags: i32);
    190 fsetxattr => xattr::fsetxattr(fd: Fd, name: UserCStr, value: UserPtr<u8>, size: usize, flags: i32);
    191 getxattr => xattr::getxattr(path: UserCStr, name: UserCStr, value: UserPtr<u8>, size: usize);
    192 lgetxattr => xattr::lgetxattr(path: UserCStr, name: UserCStr, value: UserPtr<u8>, size: usize);
    193 fgetxattr => xattr::fgetxattr(fd: Fd, name: UserCStr, value: UserPtr<u8>, size: usize);
    194 listxattr => xattr::listxattr(path: UserCStr, list: UserPtr<u8>, size: usize);
    195 llistxattr => xattr::llistxattr(path: UserCStr, list: UserPtr<u8>, size: usize);
    196 flistxattr => xattr::flistxattr(fd: Fd, list: UserPtr<u8>, size: usize);
    197 removexattr => xattr::removexattr(path: UserCStr, name: UserCStr);
    198 lremovexattr => xattr::lremovexattr(path: UserCStr, name: UserCStr);
    199 fremovexattr => xattr::fremovexattr(fd: Fd, name: UserCStr);
    200 tkill => signal::tkill(tid: i32, signal: i32);
    201 time => time::time(tloc: UserPtr<i64>);
    202 futex => futex::futex(address: u64, op: i32, value: u32, timeout: u64, address2: u64, value3: u32);
    203 sched_setaffinity => sched::sched_setaffinity(pid: i32, len: u32, mask: UserPtr<u8>);
    204 sched_getaffinity => sched::sched_getaffinity(pid: i32, len: u32, mask: UserPtr<u8>);
    206 io_setup => aio::io_setup(nr_events: u32, ctxp: UserPtr<u64>);
    207 io_destroy => aio::io_destroy(ctx_id: u64);
    208 io_getevents => aio::io_getevents(ctx_id: u64, min_nr: i64, nr: i64, events: UserPtr<abi::aio::IoEvent>, timeout: UserPtr<abi::Timespec>);
    209 io_submit => aio::io_submit(ctx_id: u64, nr: i64, iocbpp: UserPtr<u64>);
    210 io_cancel => aio::io_cancel(ctx_id: u64, iocb: UserPtr<abi::aio::Iocb>, result: UserPtr<abi::aio::IoEvent>);
    213 epoll_create => eventpoll::epoll_create(size: i32);
    216 remap_file_pages => mmap::remap_file_pages(start: u64, size: u64, prot: u64, pgoff: u64, flags: u64);
    217 getdents64 => readdir::getdents64(fd: Fd, buf: UserPtr<u8>, count: u32);
    218 set_tid_address => fork::set_tid_address(address: u64);
    219 restart_syscall => signal::restart_syscall();
    220 semtimedop => sem::semtimedop(id: i32, sops: u64, nsops: u32, timeout: u64);
    221 fadvise64 => fadvise::fadvise64(fd: Fd, offset: i64, len: i64, advice: i32);
    222 timer_create => posix_timers::timer_create(clock: i32, event: UserPtr<abi::Sigevent>, id: UserPtr<i32>);
    223 timer_settime => posix_timers::timer_settime(id: i32, flags: abi::TimerFlags, new: UserPtr<abi::Itimerspec>, old: UserPtr<abi::Itimerspec>);
    224 timer_gettime => posix_timers::timer_gettime(id: i32, value: UserPtr<abi::Itimerspec>);
    225 timer_getoverrun => posix_timers::timer_getoverrun(id: i32);
    226 timer_delete => posix_timers::timer_delete(id: i32);
    227 clock_settime => time::clock_settime(clock: i32, tp: UserPtr<abi::Timespec>);
    228 clock_gettime => time::clock_gettime(clock: i32, tp: UserPtr<abi::Timespec>);
    229 clock_getres => time::clock_getres(clock: i32, tp: UserPtr<abi::Timespec>);
    230 clock_nanosleep => time::clock_nanosleep(clock: i32, flags: abi::TimerFlags, request: UserPtr<abi::Timespec>, remain: UserPtr<abi::Timespec>);
    231 exit_group => exit::exit_group(status: i32);
    232 epoll_wait => eventpoll::epoll_wait(epfd: Fd, events: UserPtr<abi::EpollEvent>, max_events: i32, timeout_ms: i32);
    233 epoll_ctl => eventpoll::epoll_ctl(epfd: Fd, op: i32, fd: Fd, event: UserPtr<abi::EpollEvent>);
    234 tgkill => signal::tgkill(tgid: i32, tid: i32, signal: i32);
    235 utimes => utimes::utimes(path: UserCStr, times: UserPtr<[abi::Timeval; 2]>);
    240 mq_open => mqueue::mq_open(name: u64, oflag: i32, mode: u32, attr: u64);
    241 mq_unlink => mqueue::mq_unlink(name: u64);
    242 mq_timedsend => mqueue::mq_timedsend(fd: Fd, msg: u64, len: usize, priority: u32, timeout: u64);
    243 mq_timedreceive => mqueue::mq_timedreceive(fd: Fd, msg: u64, len: usize, priority: u64, timeout: u64);
    244 mq_notify => mqueue::mq_notify(fd: Fd, event: u64);
    245 mq_getsetattr => mqueue::mq_getsetattr(fd: Fd, new: u64, old: u64);
    247 waitid => exit::waitid(which: u32, id: i32, info: UserPtr<abi::signal::SigInfo>, options: abi::WaitFlags, usage: UserPtr<abi::Rusage>);
    248 add_key => keyctl::add_key(type_name: u64, description: u64, payload: u64, plen: usize, ringid: i32);
    249 request_key => keyctl::request_key(type_name: u64, description: u64, callout: u64, destringid: i32);
    250 keyctl => keyctl::keyctl(command: i32, arg2: u64, arg3: u64, arg4: u64, arg5: u64); // partial: no upcall, DH, public-key, persistent keyrings or notifications
    251 ioprio_set => ioprio::ioprio_set(which: i32, who: i32, ioprio: i32);
    252 ioprio_get => ioprio::ioprio_get(which: i32, who: i32);
    253 inotify_init => inotify::inotify_init();
    254 inotify_add_watch => inotify::inotify_add_watch(fd: Fd, path: UserCStr, mask: u32);
    255 inotify_rm_watch => inotify::inotify_rm_watch(fd: Fd, wd: i32);
    257 openat => open::openat(dirfd: Fd, path: UserCStr, flags: abi::OpenFlags, mode: u32);
    258 mkdirat => namei::mkdirat(dirfd: Fd, path: UserCStr, mode: u32);
    259 mknodat => namei::mknodat(dirfd: Fd, path: UserCStr, mode: u32, dev: u32);
    260 fchownat => namei::fchownat(dirfd: Fd, path: UserCStr, uid: u32, gid: u32, flags: abi::AtFlags);
    261 futimesat => utimes::futimesat(dirfd: Fd, path: UserCStr, times: UserPtr<[abi::Timeval; 2]>);
    262 newfstatat => stat::newfstatat(dirfd: Fd, path: UserCStr, buf: UserPtr<abi::Stat>, flags: abi::AtFlags);
    263 unlinkat => namei::unlinkat(dirfd: Fd, path: UserCStr, flags: abi::AtFlags);
    264 renameat => namei::renameat(old_dirfd: Fd, old: UserCStr, new_dirfd: Fd, new: UserCStr);
    265 linkat => namei::linkat(old_dirfd: Fd, old: UserCStr, new_dirfd: Fd, new: UserCStr, flags: abi::AtFlags);
    266 symlinkat => namei::symlinkat(target: UserCStr, dirfd: Fd, path: UserCStr);
    267 readlinkat => namei::readlinkat(dirfd: Fd, path: UserCStr, buf: UserPtr<u8>, size: i32);
    268 fchmodat => namei::fchmodat(dirfd: Fd, path: UserCStr, mode: u32);
    269 faccessat => namei::faccessat(dirfd: Fd, path: UserCStr, mode: u32);
    270 pselect6 => select::pselect6(nfds: i32, readfds: UserPtr<u64>, writefds: UserPtr<u64>, exceptfds: UserPtr<u64>, timeout: UserPtr<abi::Timespec>, sigmask_pack: UserPtr<[u64; 2]>);
    271 ppoll => select::ppoll(ufds: UserPtr<abi::PollFd>, nfds: u32, timeout: UserPtr<abi::Timespec>, sigmask: UserPtr<u64>, sigset_size: usize);
    272 unshare => fork::unshare(flags: u64); // partial: no network namespaces (EINVAL)
    273 set_robust_list => futex::set_robust_list(head: u64, len: usize);
    274 get_robust_list => futex::get_robust_list(pid: i32, head: UserPtr<u64>, len: UserPtr<usize>);
    275 splice => splice::splice(fd_in: Fd, off_in: UserPtr<i64>, fd_out: Fd, off_out: UserPtr<i64>, len: usize, flags: u32);
    276 tee => splice::tee(fd_in: Fd, fd_out: Fd, len: usize, flags: u32);
    277 sync_file_range => sync::sync_file_range(fd: Fd, offset: i64, nbytes: i64, flags: u32);
    278 vmsplice => splice::vmsplice(fd: Fd, iov: UserPtr<abi::Iovec>, nr_segs: u64, flags: u32);
    280 utimensat => utimes::utimensat(dirfd: Fd, path: UserCStr, times: UserPtr<[abi::Timespec; 2]>, flags: abi::AtFlags);
    281 epoll_pwait => eventpoll::epoll_pwait(epfd: Fd, events: UserPtr<abi::EpollEvent>, max_events: i32, timeout_ms: i32, sigmask: UserPtr<u64>, sigset_size: usize);
    282 signalfd => signalfd::signalfd(fd: i32, mask: UserPtr<u64>, size: usize);
    283 timerfd_create => timerfd::timerfd_create(clock: i32, flags: abi::TimerfdFlags);
    284 eventfd => eventfd::eventfd(initial: u32);
    285 fallocate => open::fallocate(fd: Fd, mode: i32, offset: i64, len: i64);
    286 timerfd_settime => timerfd::timerfd_settime(fd: Fd, flags: abi::TimerfdSettimeFlags, new: UserPtr<abi::Itimerspec>, old: UserPtr<abi::Itimerspec>);
    287 timerfd_gettime => timerfd::timerfd_gettime(fd: Fd, value: UserPtr<abi::Itimerspec>);
    288 accept4 => socket::accept4(fd: Fd, address: u64, len: u64, flags: i32);
    289 signalfd4 => signalfd::signalfd4(fd: i32, mask: UserPtr<u64>, size: usize, flags: abi::SignalfdFlags);
    290 eventfd2 => eventfd::eventfd2(initial: u32, flags: abi::EventfdFlags);
    291 epoll_create1 => eventpoll::epoll_create1(flags: abi::EpollCreateFlags);
    292 dup3 => fcntl::dup3(old: Fd, new: Fd, flags: abi::OpenFlags);
    293 pipe2 => pipe::pipe2(fds: UserPtr<[i32; 2]>, flags: abi::PipeFlags);
    294 inotify_init1 => inotify::inotify_init1(flags: u32);
    295 preadv => read_write::preadv(fd: Fd, iov: UserPtr<abi::Iovec>, count: i32, pos_low: i64, pos_high: i64);
    296 pwritev => read_write::pwritev(fd: Fd, iov: UserPtr<abi::Iovec>, count: i32, pos_low: i64, pos_high: i64);
    297 rt_tgsigqueueinfo => signal::rt_tgsigqueueinfo(tgid: i32, tid: i32, signal: i32, info: UserPtr<abi::signal::SigInfo>);
    299 recvmmsg => socket::recvmmsg(fd: Fd, vector: u64, count: u32, flags: u32, timeout: UserPtr<abi::Timespec>);
    300 fanotify_init => fanotify::fanotify_init(flags: u32, event_f_flags: u32);
    301 fanotify_mark => fanotify::fanotify_mark(fanotify_fd: Fd, flags: u32, mask: u64, dirfd: Fd, pathname: UserCStr); // partial: no file-id groups (their marks: ENODEV, as without an fsid)
    302 prlimit64 => rlimit::prlimit64(pid: i32, resource: u32, new: UserPtr<abi::Rlimit>, old: UserPtr<abi::Rlimit>);
    303 name_to_handle_at => fhandle::name_to_handle_at(dirfd: Fd, name: UserCStr, handle: u64, mount_id: UserPtr<i32>, flags: i32);
    304 open_by_handle_at => fhandle::open_by_handle_at(mount_dirfd: Fd, handle: u64, flags: abi::OpenFlags);
    305 clock_adjtime => time::clock_adjtime(clock: i32, txc: UserPtr<abi::time::Timex>); // partial: as adjtimex
    306 syncfs => sync::syncfs(fd: Fd);
    307 sendmmsg => socket::sendmmsg(fd: Fd, vector: u64, count: u32, flags: u32); // partial: no MSG_OOB (EOPNOTSUPP)
    308 setns => nsproxy::setns(fd: Fd, nstype: i32); // partial: no network namespaces
    309 getcpu => sys::getcpu(cpu: UserPtr<u32>, node: UserPtr<u32>, cache: u64);
    310 process_vm_readv => process_vm_access::process_vm_readv(pid: i32, local: UserPtr<abi::uio::Iovec>, local_count: u64, remote: UserPtr<abi::uio::Iovec>, remote_count: u64, flags: u64);
    311 process_vm_writev => process_vm_access::process_vm_writev(pid: i32, local: UserPtr<abi::uio::Iovec>, local_count: u64, remote: UserPtr<abi::uio::Iovec>, remote_count: u64, flags: u64);
    312 kcmp => kcmp::kcmp(pid1: i32, pid2: i32, kind: i32, index1: u64, index2: u64);
    314 sched_setattr => sched::sched_setattr(pid: i32, attr: u64, flags: u32); // partial: SCHED_DEADLINE admitted and reported, run above the RT levels without EDF or CBS
    315 sched_getattr => sched::sched_getattr(pid: i32, attr: u64, size: u32, flags: u32);
    316 renameat2 => namei::renameat2(old_dirfd: Fd, old: UserCStr, new_dirfd: Fd, new: UserCStr, flags: abi::RenameFlags);
    317 seccomp => seccomp::seccomp(op: u32, flags: u32, uargs: u64);
    318 getrandom => random::getrandom(buf: UserPtr<u8>, len: usize, flags: abi::GetrandomFlags);
    319 memfd_create => memfd::memfd_create(name: UserPtr<u8>, flags: u32);
    322 execveat => exec::execveat(dirfd: Fd, path: UserCStr, argv: UserPtr<u64>, envp: UserPtr<u64>, flags: abi::AtFlags);
    323 userfaultfd => userfaultfd::userfaultfd(flags: i32); // partial: missing-page mode for private anonymous memory
    324 membarrier => membarrier::membarrier(command: i32, flags: u32, cpu: i32);
    325 mlock2 => mlock::mlock2(addr: u64, len: u64, flags: u32);
    326 copy_file_range => sendfile::copy_file_range(in_fd: Fd, in_offset: UserPtr<i64>, out_fd: Fd, out_offset: UserPtr<i64>, len: usize, flags: u32);
    327 preadv2 => read_write::preadv2(fd: Fd, iov: UserPtr<abi::Iovec>, count: i32, pos_low: i64, pos_high: i64, rwf: u32);
    328 pwritev2 => read_write::pwritev2(fd: Fd, iov: UserPtr<abi::Iovec>, count: i32, pos_low: i64, pos_high: i64, rwf: u32);
    332 statx => stat::statx(dirfd: Fd, path: UserCStr, flags: abi::AtFlags, mask: u32, buf: UserPtr<abi::Statx>);
    333 io_pgetevents => aio::io_pgetevents(ctx_id: u64, min_nr: i64, nr: i64, events: UserPtr<abi::aio::IoEvent>, timeout: UserPtr<abi::Timespec>, usig: UserPtr<aio::AioSigset>);
    334 rseq => rseq::rseq(area: u64, len: u32, flags: i32, signature: u32);
    424 pidfd_send_signal => signal::pidfd_send_signal(pidfd: Fd, signal: i32, info: UserPtr<abi::signal::SigInfo>, flags: u32);
    428 open_tree => mount_api::open_tree(dirfd: Fd, name: UserCStr, flags: u32); // partial: AT_RECURSIVE clones of trees with mounts inside are EINVAL
    429 move_mount => mount_api::move_mount(from_dirfd: Fd, from: UserCStr, to_dirfd: Fd, to: UserCStr, flags: u32); // partial: no MOVE_MOUNT_SET_GROUP
    430 fsopen => mount_api::fsopen(name: UserCStr, flags: u32);
    431 fsconfig => mount_api::fsconfig(fd: i32, cmd: u32, key: u64, value: u64, aux: i32); // partial: a type's parameters are checked by CMD_CREATE, not when set
    432 fsmount => mount_api::fsmount(fd: i32, flags: u32, attr_flags: u32);
    433 fspick => mount_api::fspick(dirfd: Fd, path: UserCStr, flags: u32);
    434 pidfd_open => fork::pidfd_open(pid: i32, flags: abi::PidfdFlags);
    435 clone3 => fork::clone3(args: UserPtr<u8>, size: usize); // partial: no network namespaces or cgroups
    436 close_range => open::close_range(first: u32, last: u32, flags: abi::CloseRangeFlags);
    437 openat2 => open::openat2(dirfd: Fd, path: UserCStr, how: u64, size: usize);
    438 pidfd_getfd => kcmp::pidfd_getfd(pidfd: Fd, fd: i32, flags: u32);
    439 faccessat2 => namei::faccessat2(dirfd: Fd, path: UserCStr, mode: u32, flags: abi::AtFlags);
    441 epoll_pwait2 => eventpoll::epoll_pwait2(epfd: Fd, events: UserPtr<abi::EpollEvent>, max_events: i32, timeout: UserPtr<abi::Timespec>, sigmask: UserPtr<u64>, sigset_size: usize);
    442 mount_setattr => mount_api::mount_setattr(dirfd: Fd, name: UserCStr, flags: u32, attr: u64, size: usize);
    449 futex_waitv => futex::futex_waitv(vector: u64, count: u32, flags: u32, timeout: u64, clock: i32);
}

macro_rules! absent_table {
    ($($number:literal $name:ident => $kind:ident ( $reason:literal );)*) => {
        /// Why Linux 6.1 answers syscall `number` with ENOSYS too, if it does.
        pub fn absent_reason(number: u64) -> Option<&'static str> {
            match number {
                $($number => Some($reason),)*
                _ => None,
            }
        }
    };
}

// `absent`: Linux 6.1 x86-64 returns ENOSYS whatever its configuration (checked by the
// tests/user suite `absent` on both kernels). `not_configured`: Linux 6.1 has the call and
// Debian configures it, but Ferrux answers as a Linux built without the named option.
absent_table! {
    134 uselib => absent("no 64-bit entry point in syscall_64.tbl (a.out shared libraries)");
    156 _sysctl => absent("sys_ni_syscall since 5.5: binary sysctl was removed");
    174 create_module => absent("no entry point since 2.6 (module loading is init_module)");
    177 get_kernel_syms => absent("no entry point since 2.6");
    178 query_module => absent("no entry point since 2.6");
    180 nfsservctl => absent("no entry point since 3.1 (knfsd is configured through nfsd's file system)");
    181 getpmsg => absent("reserved for STREAMS, never implemented");
    182 putpmsg => absent("reserved for STREAMS, never implemented");
    183 afs_syscall => absent("reserved for AFS, never implemented");
    184 tuxcall => absent("reserved for the TUX web server, never implemented");
    185 security => absent("reserved, never implemented");
    205 set_thread_area => absent("no 64-bit entry point (32-bit TLS descriptors; x86-64 uses arch_prctl)");
    211 get_thread_area => absent("no 64-bit entry point (32-bit TLS descriptors; x86-64 uses arch_prctl)");
    212 lookup_dcookie => absent("sys_ni_syscall since 5.12: dcookies went with oprofile");
    214 epoll_ctl_old => absent("no 64-bit entry point");
    215 epoll_wait_old => absent("no 64-bit entry point");
    236 vserver => absent("reserved, never implemented");
    335 uretprobe => absent("added in Linux 6.11");
    447 memfd_secret => absent("Debian's 6.1 has CONFIG_SECRETMEM but secretmem.enable is off by default until 6.5: ENOSYS");
    451 cachestat => absent("added in Linux 6.5");
    452 fchmodat2 => absent("added in Linux 6.6");
    453 map_shadow_stack => absent("added in Linux 6.6");
    454 futex_wake => absent("added in Linux 6.7");
    455 futex_wait => absent("added in Linux 6.7");
    456 futex_requeue => absent("added in Linux 6.7");
    457 statmount => absent("added in Linux 6.8");
    458 listmount => absent("added in Linux 6.8");
    459 lsm_get_self_attr => absent("added in Linux 6.8");
    460 lsm_set_self_attr => absent("added in Linux 6.8");
    461 lsm_list_modules => absent("added in Linux 6.8");
    175 init_module => not_configured("CONFIG_MODULES: Ferrux loads no modules (Debian's Linux answers EPERM without CAP_SYS_MODULE)");
    176 delete_module => not_configured("CONFIG_MODULES: Ferrux loads no modules (Debian's Linux answers EPERM without CAP_SYS_MODULE)");
    313 finit_module => not_configured("CONFIG_MODULES: Ferrux loads no modules (Debian's Linux answers EPERM without CAP_SYS_MODULE)");
    246 kexec_load => not_configured("CONFIG_KEXEC: Ferrux boots no other kernel (Debian's Linux answers EPERM without CAP_SYS_BOOT)");
    320 kexec_file_load => not_configured("CONFIG_KEXEC_FILE: Ferrux boots no other kernel (Debian's Linux answers EPERM without CAP_SYS_BOOT)");
}
