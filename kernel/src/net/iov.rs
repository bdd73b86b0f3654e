//! User buffers of a send or receive (Linux's `iov_iter` over user iovecs): a cursor that
//! copies from or to the vectors in order, skipping empty ones. A fault ends the copy with
//! `EFAULT`; the caller reports the bytes done before it, as Linux does.

use abi::{Errno, Iovec};
use alloc::vec::Vec;

pub struct UserIov {
    vectors: Vec<Iovec>,
    index: usize,
    offset: usize,
    total: usize,
    done: usize,
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
        }
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
