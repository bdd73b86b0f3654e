//! `/sys/devices/system/cpu` and `/sys/devices/system/node` as Linux 6.1 shows them for a
//! machine with one memory node (`drivers/base/cpu.c`, `topology.c`, `cacheinfo.c`,
//! `node.c`, `kernel/cpu.c`): the CPU lists follow `hal::smp`'s masks, one `cpuN/` per
//! present CPU (each its own core; the cache ids and shared lists are still those of a lone
//! CPU).
//!
//! - `cpu/`: `online`, `possible`, `present` (`0`), `offline` and `isolated` (empty),
//!   `kernel_max` (`NR_CPUS - 1`), `nohz_full` (`(null)`: no nohz_full CPUs, printed as Linux
//!   prints its empty mask), `smt/` (`active` 0, `control` `notsupported`: writes of a valid
//!   value are `ENODEV`, others `EINVAL`), `power/`, `uevent`.
//! - `cpu/cpu0/`: no `online` file (the boot CPU cannot be taken offline), `topology/` (the ids
//!   and sibling masks and lists of a lone CPU: cluster id 65535 as x86 has no clusters),
//!   `cache/indexN/` from CPUID (leaf 4 on Intel, 0x8000001D on AMD with `topoext`, else
//!   Linux's `amd_cpuid4` emulation from 0x80000005/6), `node0` and `subsystem` links,
//!   `power/`.
//! - `node/`: `online`, `possible`, `has_cpu`, `has_memory`, `has_normal_memory` (`0`),
//!   `has_generic_initiator` (empty), `node0/` with `cpumap`, `cpulist`, `distance` (10) and
//!   the `cpu0` link.
//!
//! CPU lists are binary attributes in Linux 6.1, sized `CPULIST_FILE_MAX_BYTES` (28672) in
//! `stat`; masks a page.
//!
//! Not shown (true of Linux, not of Ferrux): `cpufreq/`, `cpuidle/`, `hotplug/`,
//! `vulnerabilities/`, `modalias`, `cpu0/crash_notes`, `cpu0/driver` (Linux's ACPI processor
//! driver), `cpu0/firmware_node`, `node0/meminfo`, `numastat`, `vmstat`, the memory blocks.

use super::{
    Content, add_attribute, add_link, add_power_dir, add_uevent, add_writable, dir, next_ino,
};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::cpu::cpuid;
use vfs::pseudo::DynamicDir;

/// `CPULIST_FILE_MAX_BYTES`: the `stat` size of a CPU list.
const CPULIST_SIZE: u64 = 28672;

/// Adds `cpu/` and `node/` under `/sys/devices/system`: one `cpuN/` per present CPU (the
/// secondary CPUs are started before sysfs is built).
pub(super) fn build(system: &DynamicDir) -> Result<(), Errno> {
    let cpu = dir(system, b"cpu", 0o755)?;
    add_attribute(&cpu, b"kernel_max", 0o444, Content::Static(b"8191\n"))?;
    add_attribute(&cpu, b"offline", 0o444, Content::Render(render_offline))?;
    add_attribute(&cpu, b"online", 0o444, Content::Render(render_online))?;
    add_attribute(&cpu, b"possible", 0o444, Content::Render(render_possible))?;
    add_attribute(&cpu, b"present", 0o444, Content::Render(render_present))?;
    add_attribute(&cpu, b"isolated", 0o444, Content::Static(b"\n"))?;
    add_attribute(&cpu, b"nohz_full", 0o444, Content::Static(b"(null)\n"))?;
    add_power_dir(&cpu)?;
    let smt = dir(&cpu, b"smt", 0o755)?;
    add_attribute(&smt, b"active", 0o444, Content::Static(b"0\n"))?;
    add_writable(
        &smt,
        b"control",
        0o644,
        Content::Static(b"notsupported\n"),
        write_smt_control,
    )?;
    add_uevent(&cpu, 0o644, Content::Static(b""))?;
    let present = hal::smp::present_mask();
    let cpus = present.count_ones();
    for index in (0..hal::sync::MAX_CPUS).filter(|&index| present & (1 << index) != 0) {
        let mut name = Vec::new();
        crate::out!(&mut name, "cpu{index}")?;
        let cpu_dir = dir(&cpu, &name, 0o755)?;
        if index != 0 {
            // The boot CPU has none (it cannot go offline).
            let online = hal::smp::online_mask() & (1 << index) != 0;
            let text: &'static [u8] = if online { b"1\n" } else { b"0\n" };
            add_attribute(&cpu_dir, b"online", 0o644, Content::Static(text))?;
        }
        add_cache(&cpu_dir, index)?;
        add_topology(&cpu_dir, index, cpus)?;
        let mut link = Vec::new();
        crate::out!(&mut link, "../../node/node0")?;
        add_link(&cpu_dir, b"node0", &link)?;
        add_power_dir(&cpu_dir)?;
        add_link(&cpu_dir, b"subsystem", b"../../../../bus/cpu")?;
    }

    let node = dir(system, b"node", 0o755)?;
    for (name, text) in [
        (&b"has_cpu"[..], &b"0\n"[..]),
        (b"has_generic_initiator", b"\n"),
        (b"has_memory", b"0\n"),
        (b"has_normal_memory", b"0\n"),
        (b"online", b"0\n"),
        (b"possible", b"0\n"),
    ] {
        add_attribute(&node, name, 0o444, Content::Static(text))?;
    }
    add_power_dir(&node)?;
    add_uevent(&node, 0o644, Content::Static(b""))?;
    let node0 = dir(&node, b"node0", 0o755)?;
    for index in (0..hal::sync::MAX_CPUS).filter(|&index| present & (1 << index) != 0) {
        let (mut name, mut target) = (Vec::new(), Vec::new());
        crate::out!(&mut name, "cpu{index}")?;
        crate::out!(&mut target, "../../cpu/cpu{index}")?;
        add_link(&node0, &name, &target)?;
    }
    add_sized(&node0, b"cpulist", Content::Render(render_online))?;
    add_attribute(&node0, b"cpumap", 0o444, Content::Render(render_online_map))?;
    add_attribute(&node0, b"distance", 0o444, Content::Static(b"10\n"))?;
    add_power_dir(&node0)?;
    add_link(&node0, b"subsystem", b"../../../../bus/node")?;
    add_uevent(&node0, 0o644, Content::Static(b""))?;
    Ok(())
}

/// `cpuN/topology`: each CPU a core of its own in package 0, die 0 (as `/proc/cpuinfo` shows
/// them), no SMT siblings, x86's cluster id 65535.
fn add_topology(cpu_dir: &DynamicDir, index: usize, cpus: u32) -> Result<(), Errno> {
    let topology = dir(cpu_dir, b"topology", 0o755)?;
    let own_list = text(format_args!("{index}\n"))?;
    let own_map = mask_text(1 << index)?;
    let all_list = {
        let mut out = Vec::new();
        render_cpulist(&mut out, hal::smp::present_mask())?;
        out
    };
    let all_map = mask_text(hal::smp::present_mask())?;
    let _ = cpus;
    for (name, value) in [
        (&b"cluster_cpus"[..], own_map.clone()),
        (b"cluster_cpus_list", own_list.clone()),
        (b"cluster_id", text(format_args!("65535\n"))?),
        (b"core_cpus", own_map.clone()),
        (b"core_cpus_list", own_list.clone()),
        (b"core_id", text(format_args!("{index}\n"))?),
        (b"core_siblings", all_map.clone()),
        (b"core_siblings_list", all_list.clone()),
        (b"die_cpus", all_map.clone()),
        (b"die_cpus_list", all_list.clone()),
        (b"die_id", text(format_args!("0\n"))?),
        (b"package_cpus", all_map),
        (b"package_cpus_list", all_list),
        (b"physical_package_id", text(format_args!("0\n"))?),
        (b"thread_siblings", own_map),
        (b"thread_siblings_list", own_list),
    ] {
        add_sized(&topology, name, Content::Text(value))?;
    }
    Ok(())
}

fn text(args: core::fmt::Arguments<'_>) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    crate::out!(&mut out, "{args}")?;
    Ok(out)
}

/// A CPU mask as Linux prints a `cpumask` (`%*pb`): hex digits for the possible CPUs.
fn mask_text(mask: u64) -> Result<Vec<u8>, Errno> {
    let nbits = hal::smp::possible_mask().count_ones();
    text(format_args!("{}", cpumask::Mask { mask, nbits }))
}

/// A CPU list as Linux prints one (`%*pbl`): ranges, `0-3,5`.
fn render_cpulist(out: &mut Vec<u8>, mask: u64) -> Result<(), Errno> {
    crate::out!(out, "{}", cpumask::List(mask))
}

fn render_online(out: &mut Vec<u8>) -> Result<(), Errno> {
    render_cpulist(out, hal::smp::online_mask())
}

fn render_possible(out: &mut Vec<u8>) -> Result<(), Errno> {
    render_cpulist(out, hal::smp::possible_mask())
}

fn render_present(out: &mut Vec<u8>) -> Result<(), Errno> {
    render_cpulist(out, hal::smp::present_mask())
}

/// `offline`: the possible CPUs not online (an empty line when none).
fn render_offline(out: &mut Vec<u8>) -> Result<(), Errno> {
    let offline = hal::smp::possible_mask() & !hal::smp::online_mask();
    if offline == 0 {
        return crate::out!(out, "\n");
    }
    render_cpulist(out, offline)
}

fn render_online_map(out: &mut Vec<u8>) -> Result<(), Errno> {
    let text = mask_text(hal::smp::online_mask())?;
    vfs::pseudo::push(out, &text)
}

/// A read-only attribute whose `stat` size is Linux's: a list, or a page.
fn add_sized(parent: &DynamicDir, name: &[u8], content: Content) -> Result<(), Errno> {
    let size = if name.ends_with(b"list") {
        CPULIST_SIZE
    } else {
        super::PAGE_SIZE
    };
    parent.add(
        name,
        Arc::new(super::Attribute {
            ino: next_ino(),
            mode: 0o444,
            size,
            content,
            write: None,
        }),
    )
}

/// `smt/control` (`control_store`): `on`, `off`, `forceoff` are refused with `ENODEV` on a
/// machine without SMT, anything else is `EINVAL`.
fn write_smt_control(data: &[u8]) -> Result<(), Errno> {
    let value = data.strip_suffix(b"\n").unwrap_or(data);
    match value {
        b"on" | b"off" | b"forceoff" => Err(Errno::ENODEV),
        _ => Err(Errno::EINVAL),
    }
}

/// One cache as CPUID leaf 4 describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheLeaf {
    /// 1 data, 2 instruction, 3 unified.
    pub kind: u32,
    pub level: u32,
    pub ways: u32,
    pub partitions: u32,
    pub line_size: u32,
    pub sets: u32,
    /// Logical processors sharing the cache (leaf 4's `eax[25:14]` + 1).
    pub sharing: u32,
}

impl CacheLeaf {
    /// From leaf 4's (or 0x8000001D's) `eax`, `ebx`, `ecx`; `None` for "no more caches".
    pub fn from_leaf4(eax: u32, ebx: u32, ecx: u32) -> Option<CacheLeaf> {
        let kind = eax & 0x1f;
        (kind != 0).then_some(CacheLeaf {
            kind,
            level: (eax >> 5) & 7,
            ways: ((ebx >> 22) & 0x3ff) + 1,
            partitions: ((ebx >> 12) & 0x3ff) + 1,
            line_size: (ebx & 0xfff) + 1,
            sets: ecx.wrapping_add(1),
            sharing: ((eax >> 14) & 0xfff) + 1,
        })
    }

    /// Linux's `amd_cpuid4`: leaf `index` (0 L1d, 1 L1i, 2 L2, 3 L3) from the legacy AMD
    /// leaves (`l1d`/`l1i` from 0x80000005 `ecx`/`edx`, `l2`/`l3` from 0x80000006 `ecx`/`edx`;
    /// `l2_kb` is the L2 size Linux keeps in `x86_cache_size`).
    pub fn from_amd_legacy(
        index: u32,
        (l1d, l1i, l2, l3): (u32, u32, u32, u32),
        l2_kb: u32,
    ) -> Option<CacheLeaf> {
        const ASSOCS: [u32; 16] = [0, 1, 2, 0, 4, 0, 8, 0, 16, 0, 32, 48, 64, 96, 128, 0xffff];
        let (value, assoc, line, lines_per_tag, size_kb) = match index {
            0 | 1 => {
                let l1 = if index == 0 { l1d } else { l1i };
                let assoc = (l1 >> 16) & 0xff;
                let assoc = if assoc == 0xff {
                    0xffff
                } else {
                    *ASSOCS.get(assoc as usize).unwrap_or(&0)
                };
                (l1, assoc, l1 & 0xff, (l1 >> 8) & 0xff, l1 >> 24)
            }
            2 => (
                l2,
                ASSOCS[((l2 >> 12) & 0xf) as usize],
                l2 & 0xff,
                (l2 >> 8) & 0xf,
                l2_kb,
            ),
            3 => (
                l3,
                ASSOCS[((l3 >> 12) & 0xf) as usize],
                l3 & 0xff,
                (l3 >> 8) & 0xf,
                ((l3 >> 18) & 0x3fff) * 512,
            ),
            _ => return None,
        };
        if value == 0 || line == 0 || assoc == 0 {
            return None;
        }
        // The fields as leaf 4 would hold them (10 bits for the ways, 12 for the line).
        let ways = ((assoc - 1) & 0x3ff) + 1;
        Some(CacheLeaf {
            kind: [1, 2, 3, 3][index as usize],
            level: [1, 1, 2, 3][index as usize],
            ways,
            partitions: (lines_per_tag.wrapping_sub(1) & 0x3ff) + 1,
            line_size: line,
            sets: u32::try_from(u64::from(size_kb) * 1024 / u64::from(line) / u64::from(ways))
                .unwrap_or(u32::MAX)
                .max(1),
            // Linux's `amd_init_l3_cache`: the L3 is shared by the package (every CPU here).
            sharing: if index == 3 { u32::MAX } else { 1 },
        })
    }

    /// The size in KiB (`ways * partitions * line size * sets`).
    pub fn size_kb(&self) -> u64 {
        u64::from(self.ways)
            * u64::from(self.partitions)
            * u64::from(self.line_size)
            * u64::from(self.sets)
            / 1024
    }

    /// `type`.
    pub fn type_name(&self) -> &'static [u8] {
        match self.kind {
            1 => b"Data",
            2 => b"Instruction",
            3 => b"Unified",
            _ => b"Unknown",
        }
    }
}

/// The CPU's caches, as Linux's `init_intel_cacheinfo`/`init_amd_cacheinfo` find them.
fn cache_leaves() -> Vec<CacheLeaf> {
    let mut leaves = Vec::new();
    let (max_leaf, vendor_b, vendor_c, vendor_d) = cpuid(0, 0);
    let is_amd = (vendor_b, vendor_d, vendor_c) == (0x6874_7541, 0x6974_6e65, 0x444d_4163)
        || (vendor_b, vendor_d, vendor_c) == (0x6f67_7948, 0x6e65_476e, 0x656e_6975);
    let (max_extended, ..) = cpuid(0x8000_0000, 0);
    let has_topoext = max_extended >= 0x8000_0001 && cpuid(0x8000_0001, 0).2 & (1 << 22) != 0;
    let leaf4 = if is_amd && has_topoext && max_extended >= 0x8000_001d {
        Some(0x8000_001d)
    } else if !is_amd && max_leaf >= 4 {
        Some(4)
    } else {
        None
    };
    if let Some(leaf) = leaf4 {
        for index in 0..16 {
            let (eax, ebx, ecx, _) = cpuid(leaf, index);
            let Some(cache) = CacheLeaf::from_leaf4(eax, ebx, ecx) else {
                break;
            };
            if leaves.try_reserve(1).is_err() {
                break;
            }
            leaves.push(cache);
        }
    } else if is_amd && max_extended >= 0x8000_0006 {
        let (_, _, l1d, l1i) = cpuid(0x8000_0005, 0);
        let (_, _, l2, l3) = cpuid(0x8000_0006, 0);
        let count = if l3 & 0xf000 != 0 { 4 } else { 3 };
        for index in 0..count {
            match CacheLeaf::from_amd_legacy(index, (l1d, l1i, l2, l3), l2 >> 16) {
                Some(cache) if leaves.try_reserve(1).is_ok() => leaves.push(cache),
                _ => break,
            }
        }
    }
    leaves
}

/// The present CPUs that share a cache with CPU `cpu` when `sharing` logical processors share
/// it, and the cache's id: as Linux's `get_cache_id`/`__cache_cpumap_setup`, CPUs whose APIC
/// ids agree above the low `ceil(log2(sharing))` bits.
fn cache_sharers(cpu: usize, sharing: u32) -> (u64, u32) {
    let shift = sharing.max(1).next_power_of_two().trailing_zeros().min(31);
    let id = hal::smp::apic_id(cpu) >> shift;
    let present = hal::smp::present_mask();
    let mut mask = 0u64;
    for other in (0..hal::sync::MAX_CPUS).filter(|&other| present & (1 << other) != 0) {
        if hal::smp::apic_id(other) >> shift == id {
            mask |= 1 << other;
        }
    }
    (mask | (1 << cpu), id)
}

/// `cpuN/cache/`: `uevent` and one `indexN/` per cache.
fn add_cache(cpu_dir: &DynamicDir, cpu: usize) -> Result<(), Errno> {
    let leaves = cache_leaves();
    if leaves.is_empty() {
        return Ok(());
    }
    let cache = dir(cpu_dir, b"cache", 0o755)?;
    for (index, leaf) in leaves.iter().enumerate() {
        let mut name = Vec::new();
        crate::out!(&mut name, "index{index}")?;
        let dir = dir(&cache, &name, 0o755)?;
        let number = |value: u64| -> Result<Content, Errno> {
            let mut text = Vec::new();
            crate::out!(&mut text, "{value}\n")?;
            Ok(Content::Text(text))
        };
        add_attribute(
            &dir,
            b"coherency_line_size",
            0o444,
            number(leaf.line_size.into())?,
        )?;
        // The cache id: the APIC id without the bits of the CPUs sharing it.
        let (sharers, id) = cache_sharers(cpu, leaf.sharing);
        add_attribute(&dir, b"id", 0o444, number(id.into())?)?;
        add_attribute(&dir, b"level", 0o444, number(leaf.level.into())?)?;
        add_attribute(&dir, b"number_of_sets", 0o444, number(leaf.sets.into())?)?;
        add_attribute(
            &dir,
            b"physical_line_partition",
            0o444,
            number(leaf.partitions.into())?,
        )?;
        let mut list = Vec::new();
        render_cpulist(&mut list, sharers)?;
        add_attribute(&dir, b"shared_cpu_list", 0o444, Content::Text(list))?;
        add_attribute(
            &dir,
            b"shared_cpu_map",
            0o444,
            Content::Text(mask_text(sharers)?),
        )?;
        let mut size = Vec::new();
        crate::out!(&mut size, "{}K\n", leaf.size_kb())?;
        add_attribute(&dir, b"size", 0o444, Content::Text(size))?;
        let mut kind = Vec::new();
        vfs::pseudo::push(&mut kind, leaf.type_name())?;
        vfs::pseudo::push(&mut kind, b"\n")?;
        add_attribute(&dir, b"type", 0o444, Content::Text(kind))?;
        add_uevent(&dir, 0o644, Content::Static(b""))?;
        add_attribute(
            &dir,
            b"ways_of_associativity",
            0o444,
            number(leaf.ways.into())?,
        )?;
    }
    add_uevent(&cache, 0o644, Content::Static(b""))?;
    Ok(())
}
