use super::bpf::*;
use super::*;

const NR: u32 = 0;
const ARCH: u32 = 4;
const ARG0_LOW: u32 = 16;

fn data(nr: u64) -> SeccompData {
    SeccompData::new(nr, 0x40_1000, [1, 2, 3, 4, 5, 6])
}

/// A filter built like libseccomp's: check the arch, kill on a mismatch, then one rule.
fn libseccomp_like(denied_nr: u32, errno: u32) -> [Insn; 7] {
    [
        Insn::stmt(LD | W | ABS, ARCH),
        Insn::jump(JMP | JEQ | K, AUDIT_ARCH_X86_64, 1, 0),
        Insn::stmt(RET | K, SECCOMP_RET_KILL_PROCESS),
        Insn::stmt(LD | W | ABS, NR),
        Insn::jump(JMP | JEQ | K, denied_nr, 0, 1),
        Insn::stmt(RET | K, SECCOMP_RET_ERRNO | errno),
        Insn::stmt(RET | K, SECCOMP_RET_ALLOW),
    ]
}

#[test]
fn libseccomp_style_filter_runs() {
    let program = libseccomp_like(39, 1);
    assert_eq!(check_program(&program), Ok(()));
    assert_eq!(run(&program, &data(39)), SECCOMP_RET_ERRNO | 1);
    assert_eq!(run(&program, &data(40)), SECCOMP_RET_ALLOW);
    let mut foreign = data(39);
    foreign.arch = 0x4000_0003;
    assert_eq!(run(&program, &foreign), SECCOMP_RET_KILL_PROCESS);
}

#[test]
fn data_words_are_little_endian_fields() {
    let d = SeccompData::new(
        0x4000_0027,
        0x1122_3344_5566_7788,
        [0xaaaa_bbbb_cccc_dddd, 0, 0, 0, 0, 0],
    );
    assert_eq!(d.word(0), Some(0x4000_0027));
    assert_eq!(d.word(4), Some(AUDIT_ARCH_X86_64));
    assert_eq!(d.word(8), Some(0x5566_7788));
    assert_eq!(d.word(12), Some(0x1122_3344));
    assert_eq!(d.word(16), Some(0xcccc_dddd));
    assert_eq!(d.word(20), Some(0xaaaa_bbbb));
    assert_eq!(d.word(60), Some(0));
    assert_eq!(d.word(64), None);
    assert_eq!(d.word(2), None);
    // The number is the int Linux takes from orig_ax.
    assert_eq!(SeccompData::new(u64::MAX, 0, [0; 6]).nr, -1);
}

#[test]
fn empty_and_oversized_programs_are_refused() {
    assert_eq!(check_program(&[]), Err(Errno::EINVAL));
    let long = alloc::vec![Insn::stmt(RET | K, SECCOMP_RET_ALLOW); MAX_INSNS + 1];
    assert_eq!(check_program(&long), Err(Errno::EINVAL));
    let max = alloc::vec![Insn::stmt(RET | K, SECCOMP_RET_ALLOW); MAX_INSNS];
    assert_eq!(check_program(&max), Ok(()));
}

#[test]
fn last_instruction_must_return() {
    assert_eq!(
        check_program(&[Insn::stmt(LD | IMM, 1)]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[
            Insn::stmt(LD | IMM, SECCOMP_RET_ALLOW),
            Insn::stmt(RET | A, 0)
        ]),
        Ok(())
    );
}

#[test]
fn loads_outside_seccomp_data_or_misaligned_are_refused() {
    let ret = Insn::stmt(RET | K, 0);
    assert_eq!(
        check_program(&[Insn::stmt(LD | W | ABS, 64), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[Insn::stmt(LD | W | ABS, 2), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(check_program(&[Insn::stmt(LD | W | ABS, 60), ret]), Ok(()));
    // Half-word, byte and indirect loads are classic BPF but not seccomp.
    assert_eq!(
        check_program(&[Insn::stmt(LD | H | ABS, 0), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[Insn::stmt(LD | B | ABS, 0), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[Insn::stmt(LD | W | IND, 0), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[Insn::stmt(LDX | B | MSH, 0), ret]),
        Err(Errno::EINVAL)
    );
}

#[test]
fn unknown_and_mod_opcodes_are_refused() {
    let ret = Insn::stmt(RET | K, 0);
    assert_eq!(
        check_program(&[Insn::stmt(0xff, 0), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[Insn::stmt(ALU | MOD | K, 3), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(check_program(&[Insn::stmt(ALU | XOR | K, 3), ret]), Ok(()));
    assert_eq!(check_program(&[Insn::stmt(ALU | NEG, 0), ret]), Ok(()));
}

#[test]
fn constant_division_by_zero_and_wide_shifts_are_refused() {
    let ret = Insn::stmt(RET | A, 0);
    assert_eq!(
        check_program(&[Insn::stmt(ALU | DIV | K, 0), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[Insn::stmt(ALU | LSH | K, 32), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(check_program(&[Insn::stmt(ALU | RSH | K, 31), ret]), Ok(()));
}

#[test]
fn jumps_must_stay_inside() {
    let ret = Insn::stmt(RET | K, 0);
    assert_eq!(
        check_program(&[Insn::stmt(JMP | JA, 1), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(check_program(&[Insn::stmt(JMP | JA, 0), ret]), Ok(()));
    assert_eq!(
        check_program(&[Insn::stmt(JMP | JA, u32::MAX), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[Insn::jump(JMP | JEQ | K, 0, 1, 0), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[Insn::jump(JMP | JEQ | K, 0, 0, 1), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[Insn::jump(JMP | JSET | X, 0, 0, 0), ret]),
        Ok(())
    );
}

#[test]
fn scratch_memory_must_be_stored_before_loaded() {
    let ret = Insn::stmt(RET | A, 0);
    assert_eq!(
        check_program(&[Insn::stmt(LD | MEM, 0), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[Insn::stmt(LD | MEM, 16), ret]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check_program(&[Insn::stmt(ST, 3), Insn::stmt(LDX | MEM, 3), ret]),
        Ok(())
    );
    // Stored on one branch only.
    let one_branch = [
        Insn::stmt(LD | W | ABS, NR),
        Insn::jump(JMP | JEQ | K, 1, 0, 1),
        Insn::stmt(ST, 2),
        Insn::stmt(LD | MEM, 2),
        ret,
    ];
    assert_eq!(check_program(&one_branch), Err(Errno::EINVAL));
    // Stored before the branch: fine on both.
    let both = [
        Insn::stmt(ST, 2),
        Insn::jump(JMP | JEQ | K, 1, 0, 1),
        Insn::stmt(ST, 5),
        Insn::stmt(LD | MEM, 2),
        ret,
    ];
    assert_eq!(check_program(&both), Ok(()));
}

#[test]
fn alu_and_memory_run_as_bpf() {
    let program = [
        Insn::stmt(LD | W | ABS, ARG0_LOW), // 1
        Insn::stmt(ALU | ADD | K, 9),       // 10
        Insn::stmt(ST, 0),
        Insn::stmt(LDX | IMM, 3),
        Insn::stmt(ALU | MUL | X, 0),    // 30
        Insn::stmt(ALU | SUB | K, 2),    // 28
        Insn::stmt(ALU | RSH | K, 2),    // 7
        Insn::stmt(ALU | LSH | X, 0),    // 56
        Insn::stmt(LDX | MEM, 0),        // X = 10
        Insn::stmt(ALU | DIV | X, 0),    // 5
        Insn::stmt(ALU | OR | K, 0x100), // 0x105
        Insn::stmt(ALU | AND | K, 0xff), // 5
        Insn::stmt(ALU | XOR | K, 1),    // 4
        Insn::stmt(MISC | TAX, 0),
        Insn::stmt(LD | W | LEN, 0),  // 64
        Insn::stmt(ALU | ADD | X, 0), // 68
        Insn::stmt(ALU | NEG, 0),
        Insn::stmt(ALU | NEG, 0),
        Insn::stmt(ALU | OR | K, SECCOMP_RET_ERRNO),
        Insn::stmt(RET | A, 0),
    ];
    assert_eq!(check_program(&program), Ok(()));
    assert_eq!(run(&program, &data(0)), SECCOMP_RET_ERRNO | 68);
}

#[test]
fn division_by_zero_x_returns_zero() {
    let program = [
        Insn::stmt(LD | IMM, SECCOMP_RET_ALLOW),
        Insn::stmt(ALU | DIV | X, 0),
        Insn::stmt(RET | A, 0),
    ];
    assert_eq!(check_program(&program), Ok(()));
    assert_eq!(run(&program, &data(0)), SECCOMP_RET_KILL_THREAD);
}

#[test]
fn shifts_by_x_use_five_bits() {
    let program = [
        Insn::stmt(LD | IMM, 1),
        Insn::stmt(LDX | IMM, 33),
        Insn::stmt(ALU | LSH | X, 0),
        Insn::stmt(RET | A, 0),
    ];
    assert_eq!(run(&program, &data(0)), 2);
}

#[test]
fn conditional_jumps_compare_unsigned() {
    let program = [
        Insn::stmt(LD | W | ABS, NR),
        Insn::jump(JMP | JGT | K, 10, 2, 0),
        Insn::jump(JMP | JGE | K, 5, 2, 0),
        Insn::stmt(RET | K, 1),
        Insn::stmt(RET | K, 3),
        Insn::stmt(RET | K, 2),
    ];
    assert_eq!(check_program(&program), Ok(()));
    assert_eq!(run(&program, &data(1)), 1);
    assert_eq!(run(&program, &data(5)), 2);
    assert_eq!(run(&program, &data(11)), 3);
    assert_eq!(run(&program, &data(u64::MAX)), 3);
    let jset = [
        Insn::stmt(LD | W | ABS, NR),
        Insn::jump(JMP | JSET | K, X32_SYSCALL_BIT, 0, 1),
        Insn::stmt(RET | K, 7),
        Insn::stmt(RET | K, 8),
    ];
    assert_eq!(run(&jset, &data(u64::from(X32_SYSCALL_BIT | 39))), 7);
    assert_eq!(run(&jset, &data(39)), 8);
}

#[test]
fn lowest_action_wins_and_newest_on_ties() {
    let mut verdict = Verdict::allow();
    verdict.merge(0, SECCOMP_RET_ERRNO | 5);
    verdict.merge(1, SECCOMP_RET_ERRNO | 6);
    assert_eq!(
        verdict,
        Verdict {
            ret: SECCOMP_RET_ERRNO | 5,
            filter: Some(0)
        }
    );
    verdict.merge(2, SECCOMP_RET_LOG);
    verdict.merge(3, SECCOMP_RET_TRAP | 1);
    assert_eq!(verdict.action(), SECCOMP_RET_TRAP);
    verdict.merge(4, SECCOMP_RET_KILL_THREAD);
    assert_eq!(verdict.action(), SECCOMP_RET_KILL_THREAD);
    verdict.merge(5, SECCOMP_RET_KILL_PROCESS);
    assert_eq!(verdict.filter, Some(5));
    // An unknown action between LOG and ALLOW ranks by its value.
    let mut unknown = Verdict::allow();
    unknown.merge(0, 0x7ff8_0000);
    assert_eq!(unknown.action(), 0x7ff8_0000);
    unknown.merge(1, SECCOMP_RET_ALLOW);
    assert_eq!(unknown.filter, Some(0));
    let mut big = Verdict::allow();
    big.merge(0, SECCOMP_RET_ERRNO | 0xffff);
    assert_eq!(big.errno(), MAX_ERRNO);
}

#[test]
fn strict_mode_allows_four_calls() {
    for nr in [0, 1, 15, 60] {
        assert!(is_strict_allowed(nr));
    }
    for nr in [2, 39, 157, 231, 317] {
        assert!(!is_strict_allowed(nr));
    }
}

#[test]
fn action_names() {
    let mut buf = [0u8; 128];
    let len = format_actions(u32::MAX, &mut buf);
    assert_eq!(
        &buf[..len],
        b"kill_process kill_thread trap errno user_notif trace log allow"
    );
    let len = format_actions(DEFAULT_LOGGED, &mut buf);
    assert_eq!(
        &buf[..len],
        b"kill_process kill_thread trap errno user_notif trace log"
    );
    assert_eq!(parse_logged(b"trap errno\n"), Ok(LOG_TRAP | LOG_ERRNO));
    assert_eq!(parse_logged(b""), Ok(0));
    assert_eq!(parse_logged(b"allow"), Err(Errno::EINVAL));
    assert_eq!(parse_logged(b"bogus"), Err(Errno::EINVAL));
    assert!(is_action_available(SECCOMP_RET_USER_NOTIF));
    assert!(!is_action_available(0x7ff8_0000));
    assert!(is_logged(SECCOMP_RET_KILL_PROCESS, false, DEFAULT_LOGGED));
    assert!(!is_logged(SECCOMP_RET_ERRNO, false, DEFAULT_LOGGED));
    assert!(is_logged(SECCOMP_RET_ERRNO, true, DEFAULT_LOGGED));
    assert!(!is_logged(SECCOMP_RET_ALLOW, true, u32::MAX));
}

#[test]
fn converted_lengths_follow_linux() {
    // A lone return: prologue 3 + 2 (Linux accepts 3641 such filters in a chain).
    assert_eq!(converted_len(&[Insn::stmt(RET | K, SECCOMP_RET_ALLOW)]), 5);
    let program = libseccomp_like(39, 1);
    // 3 + ld + jeq on a negative constant (jt=1, jf=0: 2) + ret 2 + ld + jeq (jt=0, jf=1: 1)
    // + ret 2 + ret 2.
    assert_eq!(converted_len(&program), 3 + 1 + 2 + 2 + 1 + 1 + 2 + 2);
    let wide = [
        Insn::jump(JMP | JEQ | K, 0x8000_0000, 1, 0),
        Insn::jump(JMP | JSET | K, 1, 0, 1),
        Insn::jump(JMP | JGT | K, 1, 1, 1),
        Insn::stmt(ALU | DIV | X, 0),
        Insn::stmt(RET | A, 0),
    ];
    assert_eq!(converted_len(&wide), 3 + 2 + 2 + 2 + 5 + 2);
}
