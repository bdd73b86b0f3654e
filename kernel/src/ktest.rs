//! The in-kernel test run (`ferrux.ktest=1` on the command line): instead of starting a
//! program, init's thread runs every test registered with [`hal::ktest!`] (in link order),
//! prints one `TEST ktest/<module path>/<name> PASS|FAIL <reason>` line each and the harness's
//! `N passed, N failed` summary, then powers the machine off. `cargo xtask test` boots Ferrux
//! this way and reads the lines like a user-space suite's. The tests run in a thread of pid 1,
//! so they may sleep, arm timers and copy to and from its (empty) user address space.

use alloc::format;
use alloc::string::String;

/// A test's printed name: its module path without the crate name, then its function name,
/// joined by `/` (`sched/timer/expired_timers_run_in_deadline_order`); hal's tests keep their
/// `hal/` prefix.
fn display_name(test: &hal::ktest::Ktest) -> String {
    let module = test.module.strip_prefix("ferrux::").unwrap_or(test.module);
    let module = if module == "ferrux" { "" } else { module };
    let mut name = module.replace("::", "/");
    if !name.is_empty() {
        name.push('/');
    }
    name.push_str(test.name);
    name
}

/// Runs every registered test, prints the results, and powers off.
pub fn run_all() -> ! {
    let tests = hal::ktest::all();
    log::info!("ktest: running {} in-kernel tests", tests.len());
    let (mut passed, mut failed) = (0usize, 0usize);
    for test in tests {
        let name = display_name(test);
        let line = match (test.run)() {
            Ok(()) => {
                passed += 1;
                format!("TEST ktest/{name} PASS\n")
            }
            Err(reason) => {
                failed += 1;
                format!("TEST ktest/{name} FAIL {reason}\n")
            }
        };
        hal::console::write_bytes(line.as_bytes());
    }
    hal::console::write_bytes(format!("{passed} passed, {failed} failed\n").as_bytes());
    hal::power::power_off()
}
