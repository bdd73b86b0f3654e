//! User buffers of a send or receive (Linux's `iov_iter` over user iovecs): a cursor that
//! copies from or to the vectors in order, skipping empty ones. A fault ends the copy with
//! `EFAULT`; the caller reports the bytes done before it, as Linux does. A cursor may also run
//! over a kernel buffer (Linux's `ITER_KVEC`), for sendfile and splice to and from sockets.

use abi::{Errno, Iovec};
use alloc::vec::Vec;

pub struct UserIov {
    vectors: Vec<Iovec>,
    index: usize,
    offset: usize,
    total: usize,
    done: usize,
    /// A kernel buffer instead of the vectors: the data to send, or the room received data
    /// goes to.
    kernel: Option<Vec<u8>>,
}

impl UserIov {
    /// A cursor over `vectors` (already validated: lengths sum to at most `isize::MAX`).
    pub fn new(vectors: Vec<Iovec>) -> UserIov {
        let total = vectors.iter().map(|v| v.iov_len as usize).sum();
        UserIov {
            vectors,
            index: 0,
            offset: 0,
            total,
            done: 0,
            kernel: None,
        }
    }

    /// A cursor over a copy of kernel `data` (a send).
    pub fn view_of(data: &[u8]) -> Result<UserIov, Errno> {
        let mut copy = Vec::new();
        copy.try_reserve_exact(data.len())
            .map_err(|_| Errno::ENOMEM)?;
        copy.extend_from_slice(data);
        Ok(UserIov {
            vectors: Vec::new(),
            index: 0,
            offset: 0,
            total: data.len(),
            done: 0,
            kernel: Some(copy),
        })
    }

    /// A cursor over `len` bytes of kernel room (a receive); [`UserIov::received`] gives
    /// what arrived.
    pub fn kernel_room(len: usize) -> Result<UserIov, Errno> {
        let mut room = Vec::new();
        room.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
        room.resize(len, 0);
        Ok(UserIov {
            vectors: Vec::new(),
            index: 0,
            offset: 0,
            total: len,
            done: 0,
            kernel: Some(room),
        })
    }

    /// The bytes copied out into a kernel cursor so far.
    pub fn received(&self) -> &[u8] {
        self.kernel
            .as_deref()
            .map_or(&[], |room| &room[..self.done])
    }

    /// One buffer.
    pub fn single(address: u64, len: usize) -> Result<UserIov, Errno> {
        let mut vectors = Vec::new();
        vectors.try_reserve_exact(1).map_err(|_| Errno::ENOMEM)?;
        vectors.push(Iovec {
            iov_base: address,
            iov_len: len as u64,
        });
        Ok(UserIov::new(vectors))
    }

    /// Bytes the buffers hold in all.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Copies the next `dst.len()` bytes in from user memory.
    pub fn copy_in(&mut self, dst: &mut [u8]) -> Result<(), Errno> {
        if let Some(data) = &self.kernel {
            let source = data
                .get(self.done..self.done + dst.len())
                .ok_or(Errno::EFAULT)?;
            dst.copy_from_slice(source);
            self.done += dst.len();
            return Ok(());
        }
        let mut filled = 0;
        while filled < dst.len() {
            let vector = self.vectors.get(self.index).ok_or(Errno::EFAULT)?;
            let left = vector.iov_len as usize - self.offset;
            if left == 0 {
                self.index += 1;
                self.offset = 0;
                continue;
            }
            let chunk = left.min(dst.len() - filled);
            hal::usercopy::copy_from_user(
                &mut dst[filled..filled + chunk],
                vector.iov_base + self.offset as u64,
            )?;
            filled += chunk;
            self.offset += chunk;
            self.done += chunk;
        }
        Ok(())
    }

    /// Copies `src` out to the next bytes of user memory.
    pub fn copy_out(&mut self, src: &[u8]) -> Result<(), Errno> {
        if let Some(room) = &mut self.kernel {
            let target = room
                .get_mut(self.done..self.done + src.len())
                .ok_or(Errno::EFAULT)?;
            target.copy_from_slice(src);
            self.done += src.len();
            return Ok(());
        }
        let mut copied = 0;
        while copied < src.len() {
            let vector = self.vectors.get(self.index).ok_or(Errno::EFAULT)?;
            let left = vector.iov_len as usize - self.offset;
            if left == 0 {
                self.index += 1;
                self.offset = 0;
                continue;
            }
            let chunk = left.min(src.len() - copied);
            hal::usercopy::copy_to_user(
                vector.iov_base + self.offset as u64,
                &src[copied..copied + chunk],
            )?;
            copied += chunk;
            self.offset += chunk;
            self.done += chunk;
        }
        Ok(())
    }
}
