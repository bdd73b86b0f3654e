//! Linux 6.1's IPC rules (`ipc/util.c`, `ipc/sem.c`, `ipc/msg.c`, `ipc/mqueue.c`) as pure logic:
//! the kernel keeps each object's state from here under the object's own lock, copies to and
//! from user memory outside it, and sleeps on wait queues; everything decided about ids,
//! permissions, semaphore operations and message selection is decided here and tested on the
//! host.
//!
//! - [`ids`]: System V ids (`seq * 32768 + index`) handed out as `ipc_idr_alloc` does.
//! - [`perm`]: `struct kern_ipc_perm`, `ipcperms`, the owner check of `IPC_SET`/`IPC_RMID`.
//! - [`sem`]: a semaphore set with Linux's queues (per-semaphore and global, simple and
//!   complex operations), `perform_atomic_semop`, the wake-up order of `update_queue` and
//!   `do_smart_update`, undo adjustments.
//! - [`msg`]: a System V message queue: `find_msg`'s search modes, `msg_fits_inqueue`,
//!   `pipelined_send` to waiting receivers.
//! - [`mq`]: a POSIX message queue: messages by priority, attribute checks, the memory charged
//!   against `RLIMIT_MSGQUEUE`.
//!
//! Waiters are the caller's type `W` (the kernel uses a handle it can wake); results for
//! waiters are returned as `(W, result)` pairs for the caller to deliver after unlocking.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod ids;
pub mod mq;
pub mod msg;
pub mod perm;
pub mod sem;
