//! User-namespace id maps (Linux's `struct uid_gid_map` and `map_write`).
//!
//! A map is up to [`UID_GID_MAP_MAX_EXTENTS`] extents `first lower_first count`: ids
//! `first..first+count` inside the namespace are `lower_first..lower_first+count` in the
//! parent namespace. A write to `uid_map` or `gid_map` is parsed whole, one extent a line,
//! numbers in decimal separated by spaces or tabs; Linux refuses (`EINVAL`) an empty map, a
//! zero count, a range that wraps past `u32::MAX` (the id `(u32)-1` is never mapped), more
//! than 340 extents, overlapping ranges on either side, and garbage. Translation down
//! (namespace id to parent id, `map_id_range_down`) and up (`map_id_up`) gives `None` for an
//! unmapped id; user space then sees the overflow id (65534).

use abi::Errno;
use alloc::vec::Vec;

/// `UID_GID_MAP_MAX_EXTENTS`.
pub const UID_GID_MAP_MAX_EXTENTS: usize = 340;

/// `overflowuid`/`overflowgid`: what an unmapped id reads as.
pub const OVERFLOW_ID: u32 = 65534;

/// One line of a map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    pub first: u32,
    pub lower_first: u32,
    pub count: u32,
}

impl Extent {
    fn end(&self) -> u64 {
        u64::from(self.first) + u64::from(self.count)
    }

    fn lower_end(&self) -> u64 {
        u64::from(self.lower_first) + u64::from(self.count)
    }
}

/// A map: empty until its one successful write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdMap {
    extents: Vec<Extent>,
}

fn parse_number(word: &[u8]) -> Result<u32, Errno> {
    if word.is_empty() || !word.iter().all(u8::is_ascii_digit) {
        return Err(Errno::EINVAL);
    }
    let mut value: u64 = 0;
    for &digit in word {
        value = value * 10 + u64::from(digit - b'0');
        if value > u64::from(u32::MAX) {
            return Err(Errno::EINVAL);
        }
    }
    Ok(value as u32)
}

/// Parses a write to a map file into extents, with `map_write`'s checks (`EINVAL`). The lower
/// ids are the writer's view; the caller maps them into the parent namespace.
pub fn parse(text: &[u8]) -> Result<Vec<Extent>, Errno> {
    let mut extents: Vec<Extent> = Vec::new();
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    for line in text.split(|&byte| byte == b'\n') {
        let mut words = line
            .split(|&byte| byte == b' ' || byte == b'\t')
            .filter(|word| !word.is_empty());
        let first = parse_number(words.next().ok_or(Errno::EINVAL)?)?;
        let lower_first = parse_number(words.next().ok_or(Errno::EINVAL)?)?;
        let count = parse_number(words.next().ok_or(Errno::EINVAL)?)?;
        if words.next().is_some() {
            return Err(Errno::EINVAL);
        }
        let extent = Extent {
            first,
            lower_first,
            count,
        };
        // A zero count, and a range reaching (u32)-1 or beyond, are refused.
        if count == 0
            || extent.end() > u64::from(u32::MAX)
            || extent.lower_end() > u64::from(u32::MAX)
        {
            return Err(Errno::EINVAL);
        }
        if extents.iter().any(|other| overlaps(other, &extent)) {
            return Err(Errno::EINVAL);
        }
        if extents.len() == UID_GID_MAP_MAX_EXTENTS {
            return Err(Errno::EINVAL);
        }
        extents.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        extents.push(extent);
    }
    if extents.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok(extents)
}

/// Linux `mappings_overlap`: either side's ranges intersect.
fn overlaps(a: &Extent, b: &Extent) -> bool {
    let upper = u64::from(a.first) < b.end() && u64::from(b.first) < a.end();
    let lower =
        u64::from(a.lower_first) < b.lower_end() && u64::from(b.lower_first) < a.lower_end();
    upper || lower
}

impl IdMap {
    /// The identity map of the initial namespace (`0 0 4294967295`).
    pub fn identity() -> IdMap {
        IdMap {
            extents: alloc::vec![Extent {
                first: 0,
                lower_first: 0,
                count: u32::MAX,
            }],
        }
    }

    /// A map of these extents (already checked by [`parse`] and mapped into the parent).
    pub fn from_extents(extents: Vec<Extent>) -> IdMap {
        IdMap { extents }
    }

    pub fn is_empty(&self) -> bool {
        self.extents.is_empty()
    }

    pub fn extents(&self) -> &[Extent] {
        &self.extents
    }

    /// The parent's ids for `first..first+count` inside, if the whole range lies in one
    /// extent (`map_id_range_down`).
    pub fn down_range(&self, first: u32, count: u32) -> Option<u32> {
        let last = u64::from(first) + u64::from(count.max(1)) - 1;
        self.extents
            .iter()
            .find(|e| u64::from(first) >= u64::from(e.first) && last < e.end())
            .map(|e| e.lower_first + (first - e.first))
    }

    /// The parent's id for `id` inside (`map_id_down`).
    pub fn down(&self, id: u32) -> Option<u32> {
        self.down_range(id, 1)
    }

    /// The id inside for the parent's `id` (`map_id_up`).
    pub fn up(&self, id: u32) -> Option<u32> {
        self.extents
            .iter()
            .find(|e| u64::from(id) >= u64::from(e.lower_first) && u64::from(id) < e.lower_end())
            .map(|e| e.first + (id - e.lower_first))
    }

    /// The file's text (`uid_m_show`): each extent as `%10u %10u %10u\n`, the lower id as the
    /// reader's namespace sees it (`lower` translates; `None` is shown as is, as Linux shows
    /// the parent's raw id when the reader is not in the parent).
    pub fn show(&self, mut lower: impl FnMut(u32) -> u32) -> Vec<u8> {
        let mut out = Vec::new();
        for extent in &self.extents {
            let line = alloc::format!(
                "{:>10} {:>10} {:>10}\n",
                extent.first,
                lower(extent.lower_first),
                extent.count
            );
            out.extend_from_slice(line.as_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_checks_them() {
        let map = parse(b"0 1000 1\n").unwrap();
        assert_eq!(
            map,
            [Extent {
                first: 0,
                lower_first: 1000,
                count: 1
            }]
        );
        assert_eq!(parse(b"0\t1000   1\n1 2000 10").unwrap().len(), 2);
        assert_eq!(parse(b""), Err(Errno::EINVAL));
        assert_eq!(parse(b"\n"), Err(Errno::EINVAL));
        assert_eq!(parse(b"0 0 0"), Err(Errno::EINVAL));
        assert_eq!(parse(b"0 0"), Err(Errno::EINVAL));
        assert_eq!(parse(b"0 0 1 4"), Err(Errno::EINVAL));
        assert_eq!(parse(b"x 0 1"), Err(Errno::EINVAL));
        assert_eq!(parse(b"-1 0 1"), Err(Errno::EINVAL));
        assert_eq!(
            parse(b"0 0 4294967295"),
            Ok(alloc::vec![Extent {
                first: 0,
                lower_first: 0,
                count: u32::MAX
            }])
        );
        assert_eq!(parse(b"1 0 4294967295"), Err(Errno::EINVAL));
        assert_eq!(parse(b"0 0 10\n5 100 10"), Err(Errno::EINVAL));
        assert_eq!(parse(b"0 0 10\n50 5 10"), Err(Errno::EINVAL));
        assert!(parse(b"0 0 10\n10 10 10").is_ok());
    }

    #[test]
    fn at_most_340_extents() {
        let mut text = alloc::string::String::new();
        for i in 0..340 {
            text.push_str(&alloc::format!("{} {} 1\n", i, i));
        }
        assert_eq!(parse(text.as_bytes()).unwrap().len(), 340);
        text.push_str("400 400 1\n");
        assert_eq!(parse(text.as_bytes()), Err(Errno::EINVAL));
    }

    #[test]
    fn translates_both_ways() {
        let map = IdMap::from_extents(parse(b"0 1000 1\n10 2000 5").unwrap());
        assert_eq!(map.down(0), Some(1000));
        assert_eq!(map.down(1), None);
        assert_eq!(map.down(12), Some(2002));
        assert_eq!(map.down_range(10, 5), Some(2000));
        assert_eq!(map.down_range(11, 5), None);
        assert_eq!(map.up(1000), Some(0));
        assert_eq!(map.up(2004), Some(14));
        assert_eq!(map.up(2005), None);
        assert_eq!(IdMap::identity().up(12345), Some(12345));
        assert_eq!(IdMap::default().up(0), None);
    }

    #[test]
    fn shows_as_linux() {
        let map = IdMap::from_extents(parse(b"0 1000 1").unwrap());
        assert_eq!(
            map.show(|id| id),
            b"         0       1000          1\n".to_vec()
        );
        assert_eq!(
            IdMap::identity().show(|id| id),
            b"         0          0 4294967295\n".to_vec()
        );
    }
}
