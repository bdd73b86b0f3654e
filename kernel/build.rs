//! Links the kernel binary with `linker.ld` (higher-half layout plus the PVH entry note), and
//! builds the vDSO image the kernel maps into every process.
//!
//! The vDSO (`../vdso`) is user code written in C, as Linux's: it is compiled and linked here
//! with the host's `gcc` (or `$FERRUX_VDSO_CC`) into `$OUT_DIR/vdso.so`, a position-independent
//! shared object with one read-and-execute segment, and the kernel includes its bytes. Its data
//! page layout comes from `../vdso/layout.rs` (included below, and by the kernel), written out
//! as `vvar_layout.h` for the C code. The build is reproducible: fixed flags, no debug
//! information, no paths, a content-derived build id. The result is checked: an `ET_DYN`
//! file with one `PT_LOAD` at address 0, no dynamic relocations and no needed libraries, that
//! exports the five calls under version `LINUX_2.6`.

use std::path::{Path, PathBuf};
use std::process::Command;

include!("../vdso/layout.rs");

/// The vDSO's exported calls (each also without the `__vdso_` prefix).
const EXPORTS: [&str; 5] = [
    "__vdso_clock_gettime",
    "__vdso_gettimeofday",
    "__vdso_time",
    "__vdso_getcpu",
    "__vdso_clock_getres",
];

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    println!("cargo:rustc-link-arg-bins=-T{dir}/linker.ld");
    println!("cargo:rerun-if-changed=linker.ld");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    if let Err(error) = build_vdso(&Path::new(&dir).join("../vdso"), &out) {
        panic!("building the vDSO: {error}");
    }
}

fn build_vdso(source: &Path, out: &Path) -> Result<(), String> {
    for file in ["vdso.c", "vvar.h", "vdso.lds", "layout.rs"] {
        println!("cargo:rerun-if-changed=../vdso/{file}");
    }
    println!("cargo:rerun-if-env-changed=FERRUX_VDSO_CC");
    std::fs::write(out.join("vvar_layout.h"), layout_header())
        .map_err(|error| format!("writing vvar_layout.h: {error}"))?;
    let compiler = std::env::var("FERRUX_VDSO_CC").unwrap_or_else(|_| "gcc".into());
    let image = out.join("vdso.so");
    let status = Command::new(&compiler)
        .args([
            "-std=gnu11",
            "-O2",
            "-g0",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fPIC",
            "-ffreestanding",
            "-fno-builtin",
            "-fno-common",
            "-fno-plt",
            "-fno-stack-protector",
            "-fcf-protection=none",
            "-fvisibility=hidden",
            "-mcmodel=small",
            "-nostdlib",
            "-shared",
        ])
        .arg(format!("-I{}", out.display()))
        .arg(format!("-I{}", source.display()))
        .arg(format!("-Wl,-T,{}", source.join("vdso.lds").display()))
        .args([
            "-Wl,--hash-style=both",
            "-Wl,-soname=linux-vdso.so.1",
            "-Wl,--build-id=sha1",
            "-Wl,--eh-frame-hdr",
            "-Wl,-Bsymbolic",
            "-Wl,-z,noexecstack",
            "-Wl,-z,max-page-size=4096",
            "-Wl,--no-undefined",
            "-Wl,-z,defs",
            "-Wl,--strip-all",
            "-o",
        ])
        .arg(&image)
        .arg(source.join("vdso.c"))
        .status()
        .map_err(|error| format!("cannot run {compiler} (the vDSO is C; install gcc): {error}"))?;
    if !status.success() {
        return Err(format!("{compiler} failed: {status}"));
    }
    let bytes = std::fs::read(&image).map_err(|error| format!("reading the vDSO: {error}"))?;
    check_image(&bytes)
}

/// The C header with the data page's offsets and constants.
fn layout_header() -> String {
    let defines: [(&str, u64); 23] = [
        ("VVAR_SEQ", VVAR_SEQ as u64),
        ("VVAR_CLOCK_MODE", VVAR_CLOCK_MODE as u64),
        ("VVAR_TSC_BASE", VVAR_TSC_BASE as u64),
        ("VVAR_MULT", VVAR_MULT as u64),
        ("VVAR_SHIFT", VVAR_SHIFT as u64),
        ("VVAR_TZ_MINUTESWEST", VVAR_TZ_MINUTESWEST as u64),
        ("VVAR_TZ_DSTTIME", VVAR_TZ_DSTTIME as u64),
        ("VVAR_MONOTONIC_BASE_NS", VVAR_MONOTONIC_BASE_NS as u64),
        ("VVAR_REALTIME_BASE_NS", VVAR_REALTIME_BASE_NS as u64),
        ("VVAR_TAI_OFFSET_NS", VVAR_TAI_OFFSET_NS as u64),
        ("VVAR_COARSE_MONOTONIC_NS", VVAR_COARSE_MONOTONIC_NS as u64),
        ("VVAR_COARSE_REALTIME_NS", VVAR_COARSE_REALTIME_NS as u64),
        ("VVAR_HRES_RESOLUTION_NS", VVAR_HRES_RESOLUTION_NS as u64),
        (
            "VVAR_COARSE_RESOLUTION_NS",
            VVAR_COARSE_RESOLUTION_NS as u64,
        ),
        ("VVAR_TIMENS_MONOTONIC_NS", VVAR_TIMENS_MONOTONIC_NS as u64),
        ("VVAR_TIMENS_BOOTTIME_NS", VVAR_TIMENS_BOOTTIME_NS as u64),
        ("VVAR_SIZE", VVAR_SIZE as u64),
        ("VCLOCK_NONE", u64::from(VCLOCK_NONE)),
        ("VCLOCK_TSC", u64::from(VCLOCK_TSC)),
        ("VCLOCK_TIMENS", u64::from(VCLOCK_TIMENS)),
        ("VVAR_PAGES", VVAR_PAGES as u64),
        ("VVAR_TIMENS_DATA_PAGE", VVAR_TIMENS_DATA_PAGE as u64),
        ("CPUNODE_SELECTOR", u64::from(CPUNODE_SELECTOR)),
    ];
    let mut header = String::from("/* Generated by kernel/build.rs from vdso/layout.rs. */\n");
    for (name, value) in defines {
        header.push_str(&format!("#define {name} {value}\n"));
    }
    header
}

/// Checks what the kernel relies on: one read-and-execute segment from file offset 0 at
/// address 0 (the kernel maps the file's pages as they are), nothing to relocate or load,
/// and the exports with their version.
fn check_image(bytes: &[u8]) -> Result<(), String> {
    use object::elf;
    use object::read::elf::{Dyn, ElfFile64, FileHeader, ProgramHeader};
    use object::{Endianness, Object, ObjectSymbol};

    let file = ElfFile64::<Endianness>::parse(bytes).map_err(|error| error.to_string())?;
    let endian = file.endian();
    let header = file.elf_header();
    if header.e_type(endian) != elf::ET_DYN {
        return Err("the vDSO is not ET_DYN".into());
    }
    let segments = file.elf_program_headers();
    let loads: Vec<_> = segments
        .iter()
        .filter(|ph| ph.p_type(endian) == elf::PT_LOAD)
        .collect();
    let [load] = loads.as_slice() else {
        return Err(format!(
            "the vDSO has {} PT_LOAD segments, not 1",
            loads.len()
        ));
    };
    if load.p_vaddr(endian) != 0
        || load.p_offset(endian) != 0
        || load.p_flags(endian) != elf::PF_R | elf::PF_X
        || load.p_filesz(endian) != load.p_memsz(endian)
    {
        return Err("the vDSO's segment is not a read-execute image of the file at 0".into());
    }
    for ph in segments
        .iter()
        .filter(|ph| ph.p_type(endian) == elf::PT_DYNAMIC)
    {
        let entries = ph
            .dynamic(endian, bytes)
            .map_err(|error| error.to_string())?
            .unwrap_or_default();
        for entry in entries {
            let tag = entry.d_tag(endian);
            if [
                elf::DT_NEEDED,
                elf::DT_REL,
                elf::DT_RELA,
                elf::DT_JMPREL,
                elf::DT_TEXTREL,
            ]
            .contains(&tag)
            {
                return Err(format!("the vDSO has dynamic tag {tag:?}"));
            }
        }
    }
    let names: Vec<&str> = file
        .dynamic_symbols()
        .filter(|symbol| symbol.is_definition())
        .filter_map(|symbol| symbol.name().ok())
        .collect();
    for export in EXPORTS {
        let plain = export.trim_start_matches("__vdso_");
        if !names.contains(&export) || !names.contains(&plain) {
            return Err(format!("the vDSO does not export {export} and {plain}"));
        }
    }
    if !bytes.windows(10).any(|window| window == b"LINUX_2.6\0") {
        return Err("the vDSO has no LINUX_2.6 version".into());
    }
    if bytes.len() > 4 * 4096 {
        return Err(format!("the vDSO is {} bytes", bytes.len()));
    }
    Ok(())
}
