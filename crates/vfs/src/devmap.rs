//! Device numbers to drivers, as Linux's `fs/char_dev.c` (`register_chrdev_region`,
//! `cdev_add`, the `kobj_map` lookup behind `chrdev_open`) and `/proc/devices`
//! (`chrdev_show`, `blkdev_show`).
//!
//! Key type: [`DevMap`], a sorted list of regions — a major number, a run of minors, a name and
//! the driver value `T` — that never overlap. [`DevMap::register`] refuses an overlap with
//! `EBUSY`, as `__register_chrdev_region` does; [`DevMap::lookup`] finds the region holding a
//! device number. Regions are few (one per driver, not per device), so a sorted vector answers
//! lookups by binary search.

use alloc::vec::Vec;

use abi::Errno;

/// `MINORBITS`: minors are 20 bits wide.
pub const MINOR_COUNT: u32 = 1 << 20;
/// The largest major (`CHRDEV_MAJOR_MAX - 1`, 12 bits).
pub const MAJOR_MAX: u32 = 4095;

/// One registered run of device numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region<T> {
    /// Major number.
    pub major: u32,
    /// First minor.
    pub first_minor: u32,
    /// How many minors, from `first_minor`.
    pub count: u32,
    /// The name `/proc/devices` shows.
    pub name: &'static str,
    /// The driver.
    pub driver: T,
}

impl<T> Region<T> {
    fn key(&self) -> u64 {
        (u64::from(self.major) << 32) | u64::from(self.first_minor)
    }

    fn end_key(&self) -> u64 {
        self.key() + u64::from(self.count)
    }
}

/// The registered regions, sorted by (major, first minor).
#[derive(Debug)]
pub struct DevMap<T> {
    regions: Vec<Region<T>>,
}

impl<T: Clone> Default for DevMap<T> {
    fn default() -> Self {
        DevMap::new()
    }
}

impl<T: Clone> DevMap<T> {
    /// No regions.
    pub const fn new() -> DevMap<T> {
        DevMap {
            regions: Vec::new(),
        }
    }

    /// Adds the minors `first_minor..first_minor + count` of `major` for `driver`. `EINVAL` for
    /// an empty run, a major beyond [`MAJOR_MAX`] or minors beyond 20 bits; `EBUSY` if any of
    /// them is taken; `ENOMEM` if the list cannot grow.
    pub fn register(
        &mut self,
        major: u32,
        first_minor: u32,
        count: u32,
        name: &'static str,
        driver: T,
    ) -> Result<(), Errno> {
        if count == 0
            || major > MAJOR_MAX
            || u64::from(first_minor) + u64::from(count) > u64::from(MINOR_COUNT)
        {
            return Err(Errno::EINVAL);
        }
        let region = Region {
            major,
            first_minor,
            count,
            name,
            driver,
        };
        let at = self.regions.partition_point(|r| r.key() < region.key());
        let overlaps_before = at > 0 && self.regions[at - 1].end_key() > region.key();
        let overlaps_after = self
            .regions
            .get(at)
            .is_some_and(|next| next.key() < region.end_key());
        if overlaps_before || overlaps_after {
            return Err(Errno::EBUSY);
        }
        self.regions.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        self.regions.insert(at, region);
        Ok(())
    }

    /// Removes the region that starts at `major:first_minor` (`unregister_chrdev_region`).
    pub fn unregister(&mut self, major: u32, first_minor: u32) -> Option<Region<T>> {
        let key = (u64::from(major) << 32) | u64::from(first_minor);
        let at = self.regions.iter().position(|r| r.key() == key)?;
        Some(self.regions.remove(at))
    }

    /// The region holding `major:minor`, if any.
    pub fn lookup(&self, major: u32, minor: u32) -> Option<&Region<T>> {
        let key = (u64::from(major) << 32) | u64::from(minor);
        let at = self.regions.partition_point(|r| r.key() <= key);
        let region = self.regions.get(at.checked_sub(1)?)?;
        (key < region.end_key()).then_some(region)
    }

    /// The regions in order, as `/proc/devices` lists them.
    pub fn regions(&self) -> impl Iterator<Item = &Region<T>> {
        self.regions.iter()
    }

    /// Appends `/proc/devices`' lines for these regions: `%3d %s\n` each.
    pub fn proc_devices(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        for region in &self.regions {
            let line = alloc::format!("{:3} {}\n", region.major, region.name);
            out.try_reserve(line.len()).map_err(|_| Errno::ENOMEM)?;
            out.extend_from_slice(line.as_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_finds_the_region_of_a_minor() {
        let mut map = DevMap::new();
        map.register(1, 3, 1, "mem", 'n').unwrap();
        map.register(1, 5, 5, "mem", 'z').unwrap();
        map.register(136, 0, MINOR_COUNT, "pts", 'p').unwrap();
        assert_eq!(map.lookup(1, 3).map(|r| r.driver), Some('n'));
        assert_eq!(map.lookup(1, 4), None);
        assert_eq!(map.lookup(1, 9).map(|r| r.driver), Some('z'));
        assert_eq!(map.lookup(1, 10), None);
        assert_eq!(map.lookup(0, 3), None);
        assert_eq!(map.lookup(136, 999_999).map(|r| r.driver), Some('p'));
        assert_eq!(map.lookup(137, 0), None);
    }

    #[test]
    fn overlaps_and_bad_ranges_are_refused() {
        let mut map = DevMap::new();
        map.register(5, 0, 3, "tty", 1).unwrap();
        assert_eq!(map.register(5, 2, 1, "x", 2), Err(Errno::EBUSY));
        assert_eq!(map.register(5, 0, 1, "x", 2), Err(Errno::EBUSY));
        map.register(5, 3, 1, "next", 2).unwrap();
        map.register(4, 64, 1, "ttyS", 3).unwrap();
        assert_eq!(map.register(4, 0, 100, "x", 4), Err(Errno::EBUSY));
        assert_eq!(map.register(4, 0, 0, "x", 4), Err(Errno::EINVAL));
        assert_eq!(map.register(4096, 0, 1, "x", 4), Err(Errno::EINVAL));
        assert_eq!(
            map.register(6, MINOR_COUNT - 1, 2, "x", 4),
            Err(Errno::EINVAL)
        );
        assert_eq!(map.unregister(5, 3).map(|r| r.name), Some("next"));
        assert_eq!(map.lookup(5, 3), None);
    }

    #[test]
    fn proc_devices_lines_in_major_order() {
        let mut map = DevMap::new();
        map.register(136, 0, 16, "pts", ()).unwrap();
        map.register(5, 1, 1, "/dev/console", ()).unwrap();
        map.register(1, 1, 11, "mem", ()).unwrap();
        map.register(5, 0, 1, "/dev/tty", ()).unwrap();
        let mut out = Vec::new();
        map.proc_devices(&mut out).unwrap();
        assert_eq!(
            out,
            b"  1 mem\n  5 /dev/tty\n  5 /dev/console\n136 pts\n".to_vec()
        );
    }
}
