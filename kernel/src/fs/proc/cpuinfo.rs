//! `/proc/cpuinfo` (Linux's `arch/x86/kernel/cpu/proc.c` `show_cpuinfo`): one block per CPU with
//! the identification CPUID gives (vendor, family, model, stepping, name), the TSC frequency,
//! cache and address sizes, and the feature flags under Linux's names
//! (`arch/x86/include/asm/cpufeatures.h`), in Linux's order (by feature word, then bit).
//!
//! Not shown as Linux shows them: `microcode` (the MSR is not read: 0x0), Linux's synthetic
//! flags other than `rep_good nopl cpuid`, `bugs` (not detected), `TLB size`.

use crate::out;
use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use hal::cpu::cpuid;

/// Where a flag lives: (leaf, subleaf, register 0=eax 1=ebx 2=ecx 3=edx).
type Word = (u32, u32, usize);

/// Linux's flag names per CPUID word, in its word order (bit, name).
const WORDS: &[(Word, &[(u32, &str)])] = &[
    (
        (1, 0, 3),
        &[
            (0, "fpu"),
            (1, "vme"),
            (2, "de"),
            (3, "pse"),
            (4, "tsc"),
            (5, "msr"),
            (6, "pae"),
            (7, "mce"),
            (8, "cx8"),
            (9, "apic"),
            (11, "sep"),
            (12, "mtrr"),
            (13, "pge"),
            (14, "mca"),
            (15, "cmov"),
            (16, "pat"),
            (17, "pse36"),
            (18, "pn"),
            (19, "clflush"),
            (21, "dts"),
            (22, "acpi"),
            (23, "mmx"),
            (24, "fxsr"),
            (25, "sse"),
            (26, "sse2"),
            (27, "ss"),
            (28, "ht"),
            (29, "tm"),
            (30, "ia64"),
            (31, "pbe"),
        ],
    ),
    (
        (0x8000_0001, 0, 3),
        &[
            (11, "syscall"),
            (19, "mp"),
            (20, "nx"),
            (22, "mmxext"),
            (25, "fxsr_opt"),
            (26, "pdpe1gb"),
            (27, "rdtscp"),
            (29, "lm"),
            (30, "3dnowext"),
            (31, "3dnow"),
        ],
    ),
    (
        (1, 0, 2),
        &[
            (0, "pni"),
            (1, "pclmulqdq"),
            (2, "dtes64"),
            (3, "monitor"),
            (4, "ds_cpl"),
            (5, "vmx"),
            (6, "smx"),
            (7, "est"),
            (8, "tm2"),
            (9, "ssse3"),
            (10, "cid"),
            (11, "sdbg"),
            (12, "fma"),
            (13, "cx16"),
            (14, "xtpr"),
            (15, "pdcm"),
            (17, "pcid"),
            (18, "dca"),
            (19, "sse4_1"),
            (20, "sse4_2"),
            (21, "x2apic"),
            (22, "movbe"),
            (23, "popcnt"),
            (24, "tsc_deadline_timer"),
            (25, "aes"),
            (26, "xsave"),
            (28, "avx"),
            (29, "f16c"),
            (30, "rdrand"),
            (31, "hypervisor"),
        ],
    ),
    (
        (0x8000_0001, 0, 2),
        &[
            (0, "lahf_lm"),
            (1, "cmp_legacy"),
            (2, "svm"),
            (3, "extapic"),
            (4, "cr8_legacy"),
            (5, "abm"),
            (6, "sse4a"),
            (7, "misalignsse"),
            (8, "3dnowprefetch"),
            (9, "osvw"),
            (10, "ibs"),
            (11, "xop"),
            (12, "skinit"),
            (13, "wdt"),
            (15, "lwp"),
            (16, "fma4"),
            (17, "tce"),
            (19, "nodeid_msr"),
            (21, "tbm"),
            (22, "topoext"),
            (23, "perfctr_core"),
            (24, "perfctr_nb"),
            (26, "bpext"),
            (27, "ptsc"),
            (28, "perfctr_llc"),
            (29, "mwaitx"),
        ],
    ),
    (
        (7, 0, 1),
        &[
            (0, "fsgsbase"),
            (1, "tsc_adjust"),
            (2, "sgx"),
            (3, "bmi1"),
            (4, "hle"),
            (5, "avx2"),
            (7, "smep"),
            (8, "bmi2"),
            (9, "erms"),
            (10, "invpcid"),
            (11, "rtm"),
            (12, "cqm"),
            (14, "mpx"),
            (15, "rdt_a"),
            (16, "avx512f"),
            (17, "avx512dq"),
            (18, "rdseed"),
            (19, "adx"),
            (20, "smap"),
            (21, "avx512ifma"),
            (23, "clflushopt"),
            (24, "clwb"),
            (25, "intel_pt"),
            (26, "avx512pf"),
            (27, "avx512er"),
            (28, "avx512cd"),
            (29, "sha_ni"),
            (30, "avx512bw"),
            (31, "avx512vl"),
        ],
    ),
    (
        (0xd, 1, 0),
        &[
            (0, "xsaveopt"),
            (1, "xsavec"),
            (2, "xgetbv1"),
            (3, "xsaves"),
        ],
    ),
    ((6, 0, 0), &[(2, "arat")]),
    (
        (7, 0, 2),
        &[
            (1, "avx512vbmi"),
            (2, "umip"),
            (3, "pku"),
            (4, "ospke"),
            (5, "waitpkg"),
            (6, "avx512_vbmi2"),
            (8, "gfni"),
            (9, "vaes"),
            (10, "vpclmulqdq"),
            (11, "avx512_vnni"),
            (12, "avx512_bitalg"),
            (13, "tme"),
            (14, "avx512_vpopcntdq"),
            (16, "la57"),
            (22, "rdpid"),
            (25, "cldemote"),
            (27, "movdiri"),
            (28, "movdir64b"),
        ],
    ),
    (
        (7, 0, 3),
        &[
            (2, "avx512_4vnniw"),
            (3, "avx512_4fmaps"),
            (4, "fsrm"),
            (8, "avx512_vp2intersect"),
            (10, "md_clear"),
            (14, "serialize"),
            (16, "tsxldtrk"),
            (18, "pconfig"),
            (19, "arch_lbr"),
            (22, "amx_bf16"),
            (23, "avx512_fp16"),
            (24, "amx_tile"),
            (25, "amx_int8"),
            (28, "flush_l1d"),
            (29, "arch_capabilities"),
        ],
    ),
];

fn register(leaf: u32, subleaf: u32, index: usize) -> u32 {
    let (max_basic, ..) = cpuid(0, 0);
    let (max_extended, ..) = cpuid(0x8000_0000, 0);
    let available = if leaf >= 0x8000_0000 {
        leaf <= max_extended
    } else {
        leaf <= max_basic
    };
    if !available {
        return 0;
    }
    let (a, b, c, d) = cpuid(leaf, subleaf);
    [a, b, c, d][index]
}

fn text_of(words: &[u32]) -> String {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).trim().into()
}

/// The feature flags, space-separated.
fn flags() -> String {
    let mut names = String::new();
    for (index, &((leaf, subleaf, reg), bits)) in WORDS.iter().enumerate() {
        let value = register(leaf, subleaf, reg);
        for &(bit, name) in bits {
            if value & (1 << bit) != 0 {
                names.push_str(name);
                names.push(' ');
            }
        }
        if index == 1 {
            // Linux's own word 3, between the AMD extended features and leaf 1 ECX.
            names.push_str("rep_good nopl cpuid ");
        }
    }
    names.pop();
    names
}

pub fn render(out: &mut Vec<u8>) -> Result<(), Errno> {
    let (max_leaf, vendor_b, vendor_c, vendor_d) = cpuid(0, 0);
    let vendor = text_of(&[vendor_b, vendor_d, vendor_c]);
    let (eax1, ebx1, _, _) = cpuid(1, 0);
    let mut family = (eax1 >> 8) & 0xf;
    let mut model = (eax1 >> 4) & 0xf;
    if family == 0xf {
        family += (eax1 >> 20) & 0xff;
    }
    if family >= 6 {
        model += ((eax1 >> 16) & 0xf) << 4;
    }
    let stepping = eax1 & 0xf;
    let (max_extended, ..) = cpuid(0x8000_0000, 0);
    let name = if max_extended >= 0x8000_0004 {
        let mut words = Vec::new();
        for leaf in 0x8000_0002..=0x8000_0004 {
            let (a, b, c, d) = cpuid(leaf, 0);
            words.extend_from_slice(&[a, b, c, d]);
        }
        text_of(&words)
    } else {
        String::from("unknown")
    };
    let cache_kib = if max_extended >= 0x8000_0006 {
        cpuid(0x8000_0006, 0).2 >> 16
    } else {
        0
    };
    let (phys_bits, virt_bits) = if max_extended >= 0x8000_0008 {
        let eax = cpuid(0x8000_0008, 0).0;
        (eax & 0xff, (eax >> 8) & 0xff)
    } else {
        (36, 48)
    };
    let clflush = ((ebx1 >> 8) & 0xff) * 8;
    let khz = hal::time::tsc_hz() / 1000;
    let online = hal::smp::online_mask();
    let cpus = online.count_ones();
    for cpu in (0..hal::sync::MAX_CPUS).filter(|&cpu| online & (1 << cpu) != 0) {
        let apic_id = hal::smp::apic_id(cpu);
        out!(out, "processor\t: {cpu}\n")?;
        out!(out, "vendor_id\t: {vendor}\n")?;
        out!(out, "cpu family\t: {family}\n")?;
        out!(out, "model\t\t: {model}\n")?;
        out!(out, "model name\t: {name}\n")?;
        out!(out, "stepping\t: {stepping}\n")?;
        out!(out, "microcode\t: 0x0\n")?;
        out!(out, "cpu MHz\t\t: {}.{:03}\n", khz / 1000, khz % 1000)?;
        if cache_kib != 0 {
            out!(out, "cache size\t: {cache_kib} KB\n")?;
        }
        out!(
            out,
            "physical id\t: 0\nsiblings\t: {cpus}\ncore id\t\t: {cpu}\n"
        )?;
        out!(
            out,
            "cpu cores\t: {cpus}\napicid\t\t: {apic_id}\ninitial apicid\t: {apic_id}\n"
        )?;
        out!(out, "fpu\t\t: yes\nfpu_exception\t: yes\n")?;
        out!(out, "cpuid level\t: {max_leaf}\nwp\t\t: yes\n")?;
        out!(out, "flags\t\t: {}\n", flags())?;
        out!(out, "bugs\t\t:\n")?;
        let bogo_hundredths = khz * 2 / 10;
        out!(
            out,
            "bogomips\t: {}.{:02}\n",
            bogo_hundredths / 100,
            bogo_hundredths % 100
        )?;
        out!(
            out,
            "clflush size\t: {clflush}\ncache_alignment\t: {clflush}\n"
        )?;
        out!(
            out,
            "address sizes\t: {phys_bits} bits physical, {virt_bits} bits virtual\n"
        )?;
        out!(out, "power management:\n\n")?;
    }
    Ok(())
}
