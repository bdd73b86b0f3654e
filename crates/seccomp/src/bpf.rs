//! Classic BPF as seccomp uses it: the checks a program must pass before it is attached
//! ([`check_program`]: Linux's `bpf_check_classic` in `net/core/filter.c`, then the narrower
//! instruction list of `seccomp_check_filter` in `kernel/seccomp.c`), and an interpreter that
//! runs a checked program over a `struct seccomp_data` ([`run`]).
//!
//! Every failed check is `EINVAL`, as on Linux. The interpreter follows the semantics of
//! Linux's translation of classic BPF: a division by a zero `X` ends the program with 0
//! (`SECCOMP_RET_KILL_THREAD`), shifts by `X` use its low five bits, `LEN` loads give the size
//! of `seccomp_data` (64).

use crate::SeccompData;
use abi::Errno;
use alloc::vec::Vec;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `struct sock_filter`: one instruction.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

impl Insn {
    /// A statement (`BPF_STMT`).
    pub const fn stmt(code: u16, k: u32) -> Insn {
        Insn {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }

    /// A conditional jump (`BPF_JUMP`).
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        Insn { code, jt, jf, k }
    }
}

/// `BPF_MAXINSNS`: the longest program.
pub const MAX_INSNS: usize = 4096;
/// `BPF_MEMWORDS`: the scratch memory cells.
pub const MEM_WORDS: u32 = 16;

// Instruction classes, sizes, modes, operations and sources (`linux/bpf_common.h`).
pub const LD: u16 = 0x00;
pub const LDX: u16 = 0x01;
pub const ST: u16 = 0x02;
pub const STX: u16 = 0x03;
pub const ALU: u16 = 0x04;
pub const JMP: u16 = 0x05;
pub const RET: u16 = 0x06;
pub const MISC: u16 = 0x07;
pub const W: u16 = 0x00;
pub const H: u16 = 0x08;
pub const B: u16 = 0x10;
pub const IMM: u16 = 0x00;
pub const ABS: u16 = 0x20;
pub const IND: u16 = 0x40;
pub const MEM: u16 = 0x60;
pub const LEN: u16 = 0x80;
pub const MSH: u16 = 0xa0;
pub const ADD: u16 = 0x00;
pub const SUB: u16 = 0x10;
pub const MUL: u16 = 0x20;
pub const DIV: u16 = 0x30;
pub const OR: u16 = 0x40;
pub const AND: u16 = 0x50;
pub const LSH: u16 = 0x60;
pub const RSH: u16 = 0x70;
pub const NEG: u16 = 0x80;
pub const MOD: u16 = 0x90;
pub const XOR: u16 = 0xa0;
pub const JA: u16 = 0x00;
pub const JEQ: u16 = 0x10;
pub const JGT: u16 = 0x20;
pub const JGE: u16 = 0x30;
pub const JSET: u16 = 0x40;
pub const K: u16 = 0x00;
pub const X: u16 = 0x08;
pub const A: u16 = 0x10;
pub const TAX: u16 = 0x00;
pub const TXA: u16 = 0x80;

/// The opcodes classic BPF knows at all (`bpf_check_classic`'s table): anything else is
/// refused before the seccomp list is consulted.
fn is_classic_opcode(code: u16) -> bool {
    const ALU_OPS: [u16; 10] = [ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, LSH, RSH];
    if code & 0x07 == ALU {
        return code == ALU | NEG
            || ALU_OPS
                .iter()
                .any(|op| code == ALU | op | K || code == ALU | op | X);
    }
    if code & 0x07 == JMP {
        return code == JMP | JA
            || [JEQ, JGT, JGE, JSET]
                .iter()
                .any(|op| code == JMP | op | K || code == JMP | op | X);
    }
    matches!(
        code,
        0x20 | 0x28 | 0x30 // LD W/H/B ABS
            | 0x40 | 0x48 | 0x50 // LD W/H/B IND
            | 0x80 // LD W LEN
            | 0x00 // LD IMM
            | 0x60 // LD MEM
            | 0x81 // LDX W LEN
            | 0xb1 // LDX B MSH
            | 0x01 // LDX IMM
            | 0x61 // LDX MEM
            | 0x02 // ST
            | 0x03 // STX
            | 0x07 // MISC TAX
            | 0x87 // MISC TXA
            | 0x06 // RET K
            | 0x16 // RET A
    )
}

/// The instructions a seccomp program may use (`seccomp_check_filter`): no packet loads
/// other than aligned words inside `seccomp_data`, no `MOD`, no `IND`/`MSH`.
fn is_seccomp_opcode(code: u16) -> bool {
    if code & 0x07 == ALU {
        return code & 0xf0 != MOD && (code & 0xf0) <= XOR && is_classic_opcode(code);
    }
    if code & 0x07 == JMP {
        return is_classic_opcode(code);
    }
    matches!(
        code,
        0x20 // LD W ABS
            | 0x80 // LD W LEN
            | 0x81 // LDX W LEN
            | 0x00 | 0x01 | 0x60 | 0x61 | 0x02 | 0x03 | 0x07 | 0x87 | 0x06 | 0x16
    )
}

fn is_conditional_jump(code: u16) -> bool {
    code & 0x07 == JMP && code != JMP | JA
}

/// Checks a program as Linux does before attaching it as a seccomp filter; `EINVAL` for
/// anything it refuses, `ENOMEM` if the check's scratch space cannot be had.
pub fn check_program(program: &[Insn]) -> Result<(), Errno> {
    let len = program.len();
    if len == 0 || len > MAX_INSNS {
        return Err(Errno::EINVAL);
    }
    for (pc, insn) in program.iter().enumerate() {
        if !is_classic_opcode(insn.code) {
            return Err(Errno::EINVAL);
        }
        let k = insn.k;
        let code = insn.code;
        let is_bad = if code == ALU | DIV | K || code == ALU | MOD | K {
            k == 0
        } else if code == ALU | LSH | K || code == ALU | RSH | K {
            k >= 32
        } else if code == LD | MEM || code == LDX | MEM || code == ST || code == STX {
            k >= MEM_WORDS
        } else if code == JMP | JA {
            // The target must lie inside the program (and the count must not wrap).
            k as usize >= len - pc - 1
        } else if is_conditional_jump(code) {
            pc + usize::from(insn.jt) + 1 >= len || pc + usize::from(insn.jf) + 1 >= len
        } else {
            false
        };
        if is_bad {
            return Err(Errno::EINVAL);
        }
    }
    check_memory_use(program)?;
    let last = program[len - 1].code;
    if last != RET | K && last != RET | A {
        return Err(Errno::EINVAL);
    }
    for insn in program {
        if !is_seccomp_opcode(insn.code) {
            return Err(Errno::EINVAL);
        }
        if insn.code == LD | W | ABS
            && (insn.k as usize >= core::mem::size_of::<SeccompData>() || insn.k & 3 != 0)
        {
            return Err(Errno::EINVAL);
        }
    }
    Ok(())
}

/// Every scratch cell a program loads must have been stored on every path that reaches the
/// load (`check_load_and_stores`). Jumps are forward only, so one pass suffices: each
/// instruction starts with the cells valid on all paths into it.
fn check_memory_use(program: &[Insn]) -> Result<(), Errno> {
    let mut valid_at: Vec<u16> = Vec::new();
    valid_at
        .try_reserve_exact(program.len())
        .map_err(|_| Errno::ENOMEM)?;
    valid_at.resize(program.len(), u16::MAX);
    // Cells valid when falling through into the next instruction.
    let mut valid: u16 = 0;
    for (pc, insn) in program.iter().enumerate() {
        valid &= valid_at[pc];
        let code = insn.code;
        if code == ST || code == STX {
            valid |= 1 << insn.k;
        } else if code == LD | MEM || code == LDX | MEM {
            if valid & (1 << insn.k) == 0 {
                return Err(Errno::EINVAL);
            }
        } else if code == JMP | JA {
            valid_at[pc + 1 + insn.k as usize] &= valid;
            valid = u16::MAX;
        } else if is_conditional_jump(code) {
            valid_at[pc + 1 + usize::from(insn.jt)] &= valid;
            valid_at[pc + 1 + usize::from(insn.jf)] &= valid;
            valid = u16::MAX;
        }
    }
    Ok(())
}

/// How many instructions Linux's translation to its internal BPF (`bpf_convert_filter`) makes
/// of a checked seccomp program: what `MAX_INSNS_PER_PATH` counts. Three to clear `A` and `X`
/// and keep the context; two per return; a conditional jump takes one, or two when neither
/// branch falls through (a `JSET` whose true branch does), plus one to load a constant that
/// does not fit a signed immediate; a division by `X` takes five (the zero check); everything
/// else one.
pub fn converted_len(program: &[Insn]) -> usize {
    let mut len = 3;
    for insn in program {
        let code = insn.code;
        len += match code & 0x07 {
            RET => 2,
            ALU if code == ALU | DIV | X || code == ALU | MOD | X => 5,
            JMP if code != JMP | JA => {
                let constant = usize::from(code & X == 0 && (insn.k as i32) < 0);
                let is_one = insn.jf == 0 || (insn.jt == 0 && code & 0xf0 != JSET);
                let jumps = if is_one { 1 } else { 2 };
                constant + jumps
            }
            _ => 1,
        };
    }
    len
}

/// Runs a program that [`check_program`] accepted over `data`; the filter's return value.
/// A program that was not checked gets 0 (`SECCOMP_RET_KILL_THREAD`) where it would go
/// wrong.
pub fn run(program: &[Insn], data: &SeccompData) -> u32 {
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; MEM_WORDS as usize];
    let mut pc = 0usize;
    while let Some(insn) = program.get(pc) {
        pc += 1;
        let k = insn.k;
        let code = insn.code;
        match code & 0x07 {
            LD => match code {
                c if c == LD | W | ABS => match data.word(k) {
                    Some(word) => a = word,
                    None => return 0,
                },
                c if c == LD | W | LEN => a = core::mem::size_of::<SeccompData>() as u32,
                c if c == LD | IMM => a = k,
                c if c == LD | MEM => a = mem[(k % MEM_WORDS) as usize],
                _ => return 0,
            },
            LDX => match code {
                c if c == LDX | W | LEN => x = core::mem::size_of::<SeccompData>() as u32,
                c if c == LDX | IMM => x = k,
                c if c == LDX | MEM => x = mem[(k % MEM_WORDS) as usize],
                _ => return 0,
            },
            ST => mem[(k % MEM_WORDS) as usize] = a,
            STX => mem[(k % MEM_WORDS) as usize] = x,
            ALU => {
                let operand = if code & X != 0 { x } else { k };
                a = match code & 0xf0 {
                    ADD => a.wrapping_add(operand),
                    SUB => a.wrapping_sub(operand),
                    MUL => a.wrapping_mul(operand),
                    DIV => match a.checked_div(operand) {
                        Some(quotient) => quotient,
                        None => return 0,
                    },
                    OR => a | operand,
                    AND => a & operand,
                    XOR => a ^ operand,
                    LSH => a << (operand & 31),
                    RSH => a >> (operand & 31),
                    NEG => a.wrapping_neg(),
                    _ => return 0,
                };
            }
            JMP => {
                if code == JMP | JA {
                    pc += k as usize;
                    continue;
                }
                let operand = if code & X != 0 { x } else { k };
                let is_taken = match code & 0xf0 {
                    JEQ => a == operand,
                    JGT => a > operand,
                    JGE => a >= operand,
                    JSET => a & operand != 0,
                    _ => return 0,
                };
                pc += usize::from(if is_taken { insn.jt } else { insn.jf });
            }
            RET => return if code & A != 0 { a } else { k },
            _ => {
                if code == MISC | TAX {
                    x = a;
                } else {
                    a = x;
                }
            }
        }
    }
    0
}
