use super::*;

#[test]
fn layouts() {
    assert_eq!(core::mem::size_of::<UserRegsStruct>(), 216);
    assert_eq!(core::mem::size_of::<SyscallInfo>(), 88);
    assert_eq!(core::mem::size_of::<PeekSiginfoArgs>(), 16);
    let regs = UserRegsStruct {
        orig_rax: 7,
        cs: 0x33,
        eflags: 0x246,
        fs_base: 9,
        gs: 1,
        ..UserRegsStruct::default()
    };
    assert_eq!(regs.word(REG_ORIG_RAX), 7);
    assert_eq!(regs.word(REG_CS), 0x33);
    assert_eq!(regs.word(REG_EFLAGS), 0x246);
    assert_eq!(regs.word(REG_FS_BASE), 9);
    assert_eq!(regs.word(REG_GS), 1);
}

#[test]
fn user_area() {
    assert_eq!(user_area_slot(0), Ok(UserSlot::Register(0)));
    assert_eq!(user_area_slot(15 * 8), Ok(UserSlot::Register(REG_ORIG_RAX)));
    assert_eq!(user_area_slot(216), Ok(UserSlot::Other));
    assert_eq!(user_area_slot(848), Ok(UserSlot::DebugRegister(0)));
    assert_eq!(user_area_slot(848 + 7 * 8), Ok(UserSlot::DebugRegister(7)));
    assert_eq!(user_area_slot(912), Ok(UserSlot::Other));
    assert_eq!(user_area_slot(928), Err(Errno::EIO));
    assert_eq!(user_area_slot(3), Err(Errno::EIO));
}

#[test]
fn register_writes() {
    assert_eq!(check_register_write(REG_CS, 0x33, 0x10), Err(Errno::EIO));
    assert_eq!(check_register_write(REG_CS, 0x33, 0), Err(Errno::EIO));
    assert_eq!(check_register_write(REG_CS, 0x33, 0x33), Ok(0x33));
    assert_eq!(check_register_write(REG_DS, 0, 0), Ok(0));
    assert_eq!(
        check_register_write(REG_FS_BASE, 0, TASK_SIZE_MAX),
        Err(Errno::EIO)
    );
    assert_eq!(check_register_write(REG_FS_BASE, 0, 0x1000), Ok(0x1000));
    // IF and IOPL are the kernel's: only FLAG_MASK bits change.
    assert_eq!(check_register_write(REG_EFLAGS, 0x202, 0x3001), Ok(0x203));
    assert_eq!(check_register_write(0, 1, u64::MAX), Ok(u64::MAX));
}

#[test]
fn options_and_codes() {
    assert_eq!(check_options(0x7f), Ok(0x7f));
    assert_eq!(
        check_options(u64::from(PTRACE_O_EXITKILL)),
        Ok(PTRACE_O_EXITKILL)
    );
    assert_eq!(check_options(0x200), Err(Errno::EINVAL));
    assert_eq!(
        check_options(u64::from(PTRACE_O_SUSPEND_SECCOMP)),
        Err(Errno::EINVAL)
    );
    assert_eq!(event_code(PTRACE_EVENT_EXEC), 0x405);
    assert_eq!(stop_status(event_code(PTRACE_EVENT_STOP)), 0x0080_057f);
    assert_eq!(check_signal(65), Err(Errno::EIO));
    assert_eq!(check_signal(9), Ok(9));
}
