//! System V IPC (Linux's `ipc/`): shared memory ([`shm`]), semaphores ([`sem`]), message queues
//! ([`msg`]), sharing
//! the id, key and permission machinery of [`util`] (rules in the `ipcrules` crate), and
//! POSIX message queues ([`mqueue`]).

pub mod mqueue;
pub mod msg;
pub mod sem;
pub mod shm;
pub mod util;
