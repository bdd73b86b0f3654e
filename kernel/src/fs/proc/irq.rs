//! `/proc/irq`: where device interrupts go, and moving them (Linux's `kernel/irq/proc.c`).
//!
//! `default_smp_affinity` is the mask of every possible CPU (new lines may go to any); one
//! `N/` per registered line (Linux-style IRQ number, as `/proc/interrupts` numbers it) holds
//! `smp_affinity` and `smp_affinity_list` (the CPUs it may go to: a hex mask, a CPU list;
//! root writes either to move it, as `irq_set_affinity`), `effective_affinity` and
//! `effective_affinity_list` (the one CPU it goes to), `node` (0) and an empty directory per
//! device on the line (`virtio0-req.0/`). A write whose CPUs are none online is `EINVAL`
//! (Linux then falls back to the default affinity; Ferrux keeps the line where it is).
//! Directories appear when a driver registers its line ([`add_line`]).

use crate::fs::proc::fixed_ino;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use vfs::FileType;
use vfs::pseudo::{DynamicDir, Node, NodeAttr, RenderFile};

/// The `/proc/irq` directory, shared by every proc mount.
pub fn dir() -> Arc<DynamicDir> {
    static DIR: spin::Once<Arc<DynamicDir>> = spin::Once::new();
    DIR.call_once(|| {
        let dir = DynamicDir::new(fixed_ino(), 0o555);
        let _ = dir.add(
            b"default_smp_affinity",
            RenderFile::new(fixed_ino(), 0o644, |out| {
                push_mask(out, hal::smp::possible_mask())
            }),
        );
        dir
    })
    .clone()
}

/// Adds `/proc/irq/IRQ/` for a line on `vector` used by `device` (a second device on a shared
/// line adds its name only).
pub fn add_line(irq: u32, vector: u8, device: &[u8]) -> Result<(), Errno> {
    let mut name = Vec::new();
    crate::out!(&mut name, "{irq}")?;
    let root = dir();
    let is_new = root.find(&name).is_none();
    let line = root.subdir(&name, fixed_ino, 0o555)?;
    if is_new {
        for (file, kind, mode) in [
            (&b"smp_affinity"[..], Kind::Mask, 0o644),
            (b"smp_affinity_list", Kind::List, 0o644),
            (b"effective_affinity", Kind::EffectiveMask, 0o444),
            (b"effective_affinity_list", Kind::EffectiveList, 0o444),
        ] {
            line.add(
                file,
                Arc::new(AffinityFile {
                    ino: fixed_ino(),
                    vector,
                    kind,
                    mode,
                }),
            )?;
        }
        line.add(
            b"node",
            RenderFile::new(fixed_ino(), 0o444, |out| crate::out!(out, "0\n")),
        )?;
    }
    if !device.is_empty() && !device.contains(&b'/') {
        line.subdir(device, fixed_ino, 0o555)?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mask,
    List,
    EffectiveMask,
    EffectiveList,
}

/// One of a line's affinity files.
struct AffinityFile {
    ino: u64,
    vector: u8,
    kind: Kind,
    mode: u32,
}

impl Node for AffinityFile {
    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        NodeAttr::root(self.mode)
    }

    fn render(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        let (mask, cpu) = hal::irq::affinity(self.vector).ok_or(Errno::EIO)?;
        match self.kind {
            Kind::Mask => push_mask(out, mask),
            Kind::List => push_list(out, mask),
            Kind::EffectiveMask => push_mask(out, 1 << cpu),
            Kind::EffectiveList => push_list(out, 1 << cpu),
        }
    }

    fn write(&self, _offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let mask = match self.kind {
            Kind::Mask => cpumask::parse_mask(data).map_err(parse_error)?,
            Kind::List => cpumask::parse_list(data).map_err(parse_error)?,
            Kind::EffectiveMask | Kind::EffectiveList => return Err(Errno::EIO),
        };
        if mask & !hal::smp::possible_mask() != 0 {
            return Err(Errno::EINVAL);
        }
        hal::irq::set_affinity(self.vector, mask)?;
        Ok(data.len())
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

/// A CPU mask as Linux prints one (`%*pb`): hex digits for the possible CPUs.
fn push_mask(out: &mut Vec<u8>, mask: u64) -> Result<(), Errno> {
    let nbits = hal::smp::possible_mask().count_ones();
    crate::out!(out, "{}", cpumask::Mask { mask, nbits })
}

/// A CPU list as Linux prints one (`%*pbl`): `0-3,5`.
fn push_list(out: &mut Vec<u8>, mask: u64) -> Result<(), Errno> {
    crate::out!(out, "{}", cpumask::List(mask))
}

/// The errno of a mask or list that does not parse.
fn parse_error(error: cpumask::ParseError) -> Errno {
    match error {
        cpumask::ParseError::Invalid => Errno::EINVAL,
        cpumask::ParseError::Overflow => Errno::EOVERFLOW,
        cpumask::ParseError::OutOfRange => Errno::ERANGE,
    }
}
