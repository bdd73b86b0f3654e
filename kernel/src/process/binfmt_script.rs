//! `#!` interpreter scripts (Linux's `fs/binfmt_script.c`): a file starting with `#!` runs its
//! interpreter with the interpreter's optional argument and the script's name in front of the
//! original arguments (argv[0] is dropped). Interpreters may be scripts again, up to Linux's
//! recursion limit (ELOOP beyond it); a script reached through a close-on-exec descriptor cannot
//! be reopened by its interpreter and fails with ENOENT, as Linux's `BINPRM_FLAGS_PATH_INACCESSIBLE`.

use super::Thread;
use super::exec::check_executable;
use crate::syscall::args::Fd;
use abi::Errno;
use alloc::vec::Vec;
use vfs::path::Lookup;

/// How many files exec looks at before giving up with `ELOOP` (Linux's `exec_binprm` tries the
/// binary handlers at depths 0 to 5): five `#!` scripts and the program they end in.
const MAX_SCRIPT_DEPTH: usize = 6;

/// The executable file exec settled on: after following `#!` lines, an ELF file with the
/// argv it gets.
pub(super) struct ExecTarget {
    pub dentry: vfs::Path,
    pub argv: Vec<Vec<u8>>,
}

/// Follows `#!` interpreter lines from `dentry` (whose name for the script's argv is
/// `filename`) to the ELF file that will run (`fs/binfmt_script.c`).
pub(super) fn resolve_scripts(
    thread: &Thread,
    mut dentry: vfs::Path,
    filename: &[u8],
    is_path_inaccessible: bool,
    mut argv: Vec<Vec<u8>>,
) -> Result<ExecTarget, Errno> {
    let mut filename = filename.to_vec();
    let mut is_path_inaccessible = is_path_inaccessible;
    for _ in 0..MAX_SCRIPT_DEPTH {
        check_executable(thread, &dentry)?;
        let mut head = [0u8; elfload::script::BINPRM_BUF_SIZE];
        let mut filled = 0;
        while filled < head.len() {
            let n = dentry.inode().read_at(filled as u64, &mut head[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        let shebang =
            elfload::script::parse_shebang(&head[..filled]).map_err(|_| Errno::ENOEXEC)?;
        let Some(shebang) = shebang else {
            return Ok(ExecTarget { dentry, argv });
        };
        // The interpreter would open the script by its /dev/fd path, which a close-on-exec
        // descriptor no longer has.
        if is_path_inaccessible {
            return Err(Errno::ENOENT);
        }
        let interpreter = shebang.interpreter.to_vec();
        let mut new_argv: Vec<Vec<u8>> = Vec::new();
        new_argv
            .try_reserve(argv.len() + 2)
            .map_err(|_| Errno::ENOMEM)?;
        new_argv.push(interpreter.clone());
        if let Some(argument) = shebang.argument {
            new_argv.push(argument.to_vec());
        }
        new_argv.push(filename.clone());
        new_argv.extend(argv.into_iter().skip(1));
        argv = new_argv;
        dentry = crate::fs::lookup(
            thread,
            Fd(crate::fs::AT_FDCWD),
            &interpreter,
            Lookup::FOLLOW,
        )?;
        filename = interpreter;
        is_path_inaccessible = false;
    }
    Err(Errno::ELOOP)
}
