//! Per-user key quotas (`security/keys/key.c` `key_alloc`, `key_payload_reserve`; the
//! `kernel.keys.*` sysctls): a user may own `maxkeys` keys holding `maxbytes` bytes of
//! descriptions and payloads, root `root_maxkeys` and `root_maxbytes`. Keys the kernel makes
//! for a task's own use (thread, process and session keyrings) may overrun the quota.

/// The four limits, with Linux's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub maxkeys: u32,
    pub maxbytes: u32,
    pub root_maxkeys: u32,
    pub root_maxbytes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            maxkeys: 200,
            maxbytes: 20_000,
            root_maxkeys: 1_000_000,
            root_maxbytes: 25_000_000,
        }
    }
}

impl Limits {
    /// `(maxkeys, maxbytes)` for `uid`.
    pub fn for_uid(&self, uid: u32) -> (u32, u32) {
        if uid == 0 {
            (self.root_maxkeys, self.root_maxbytes)
        } else {
            (self.maxkeys, self.maxbytes)
        }
    }
}

/// What one user owns (`struct key_user`'s counters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Keys (`nkeys`) and instantiated keys (`nikeys`).
    pub nkeys: u32,
    pub nikeys: u32,
    /// Keys and bytes charged to the quota (`qnkeys`, `qnbytes`).
    pub qnkeys: u32,
    pub qnbytes: u32,
}

impl Usage {
    /// Charges one key of `bytes` (`EDQUOT` past `limits` unless `may_overrun`).
    pub fn charge_key(
        &mut self,
        uid: u32,
        bytes: u32,
        limits: &Limits,
        may_overrun: bool,
    ) -> Result<(), abi::Errno> {
        let (maxkeys, maxbytes) = limits.for_uid(uid);
        let keys = self.qnkeys.checked_add(1).ok_or(abi::Errno::EDQUOT)?;
        let total = self.qnbytes.checked_add(bytes).ok_or(abi::Errno::EDQUOT)?;
        if !may_overrun && (keys > maxkeys || total > maxbytes || total < self.qnbytes) {
            return Err(abi::Errno::EDQUOT);
        }
        self.qnkeys = keys;
        self.qnbytes = total;
        self.nkeys += 1;
        Ok(())
    }

    /// Changes a key's charged payload from `old` to `new` bytes (`key_payload_reserve`).
    pub fn resize(
        &mut self,
        uid: u32,
        old: u32,
        new: u32,
        limits: &Limits,
        may_overrun: bool,
    ) -> Result<(), abi::Errno> {
        let (_, maxbytes) = limits.for_uid(uid);
        let total = (self.qnbytes - old.min(self.qnbytes))
            .checked_add(new)
            .ok_or(abi::Errno::EDQUOT)?;
        if new > old && !may_overrun && total > maxbytes {
            return Err(abi::Errno::EDQUOT);
        }
        self.qnbytes = total;
        Ok(())
    }

    /// Takes back a key's charge.
    pub fn release_key(&mut self, bytes: u32, was_instantiated: bool) {
        self.qnkeys = self.qnkeys.saturating_sub(1);
        self.qnbytes = self.qnbytes.saturating_sub(bytes);
        self.nkeys = self.nkeys.saturating_sub(1);
        if was_instantiated {
            self.nikeys = self.nikeys.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_and_limits() {
        let limits = Limits {
            maxkeys: 2,
            maxbytes: 10,
            ..Limits::default()
        };
        let mut usage = Usage::default();
        assert!(usage.charge_key(5, 4, &limits, false).is_ok());
        assert_eq!(
            usage.charge_key(5, 7, &limits, false),
            Err(abi::Errno::EDQUOT)
        );
        assert!(usage.charge_key(5, 6, &limits, false).is_ok());
        assert_eq!(
            usage.charge_key(5, 0, &limits, false),
            Err(abi::Errno::EDQUOT)
        );
        assert!(usage.charge_key(5, 0, &limits, true).is_ok());
        assert_eq!(usage.qnkeys, 3);
        assert_eq!(
            usage.resize(5, 6, 8, &limits, false),
            Err(abi::Errno::EDQUOT)
        );
        assert!(usage.resize(5, 6, 1, &limits, false).is_ok());
        assert_eq!(usage.qnbytes, 5);
        usage.release_key(4, false);
        assert_eq!((usage.qnkeys, usage.qnbytes), (2, 1));
        // Root's limits are the root_* ones.
        assert_eq!(limits.for_uid(0), (1_000_000, 25_000_000));
    }
}
