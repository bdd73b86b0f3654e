//! System V IPC (Linux's `ipc/`): shared memory so far ([`shm`]); message queues and semaphores
//! are not done yet (their syscalls return ENOSYS).

pub mod shm;
