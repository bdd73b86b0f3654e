//! The in-kernel test registry, on stable Rust: [`ktest!`](crate::ktest!) defines a test
//! function and places its descriptor ([`Ktest`]) in the `.ferrux.ktests` link section;
//! [`all`] returns every descriptor the linker gathered there (`kernel/linker.ld` brackets the
//! section with `__ktests_start`/`__ktests_end`). The kernel walks them when booted with
//! `ferrux.ktest=1` (Asterinas's `ostd-test` does the same with a proc macro).
//!
//! The link-section attribute is unsafe (the section must hold nothing but `Ktest`s, or the
//! walk reads garbage): it is written only here, in the macro, so the kernel crate stays free of
//! `unsafe`. Every static the macro emits is a `Ktest`, of size a multiple of its alignment, so
//! the section is an array of them.

/// A test's verdict: `Err` carries the reason printed after `FAIL`.
pub type KtestResult = Result<(), alloc::string::String>;

/// One registered test.
#[derive(Debug)]
#[repr(C)]
pub struct Ktest {
    /// The defining module's path (`ferrux::sched::timer`).
    pub module: &'static str,
    /// The function's name.
    pub name: &'static str,
    /// Runs the test.
    pub run: fn() -> KtestResult,
}

unsafe extern "C" {
    static __ktests_start: u8;
    static __ktests_end: u8;
}

/// Every registered test, in link order.
pub fn all() -> &'static [Ktest] {
    let start = (&raw const __ktests_start).cast::<Ktest>();
    let end = (&raw const __ktests_end).cast::<Ktest>();
    let count = (end as usize).saturating_sub(start as usize) / core::mem::size_of::<Ktest>();
    // SAFETY: `kernel/linker.ld` defines both symbols around the `.ferrux.ktests` input
    // sections, 8-aligned, and only `ktest!` puts statics there, each an initialised `Ktest`
    // (its size is a multiple of its 8-byte alignment, so they lie back to back). The section is
    // in the read-only segment, mapped for the kernel's whole life and never written.
    unsafe { core::slice::from_raw_parts(start, count) }
}

/// Defines an in-kernel test: a function returning [`KtestResult`], registered in the
/// `.ferrux.ktests` section.
///
/// ```ignore
/// hal::ktest! {
///     fn timer_fires_in_deadline_order() -> KtestResult {
///         hal::ktest_assert!(1 + 1 == 2, "arithmetic");
///         Ok(())
///     }
/// }
/// ```
#[macro_export]
macro_rules! ktest {
    ($(#[$attribute:meta])* fn $name:ident() -> $result:ty $body:block) => {
        $(#[$attribute])*
        fn $name() -> $result $body

        const _: () = {
            #[used]
            #[unsafe(link_section = ".ferrux.ktests")]
            static DESCRIPTOR: $crate::ktest::Ktest = $crate::ktest::Ktest {
                module: module_path!(),
                name: stringify!($name),
                run: $name,
            };
        };
    };
}

/// Fails the enclosing ktest with a formatted reason unless `condition` holds.
#[macro_export]
macro_rules! ktest_assert {
    ($condition:expr, $($reason:tt)+) => {
        if !$condition {
            return Err(alloc::format!($($reason)+));
        }
    };
}

/// Fails the enclosing ktest unless the two values are equal, showing both.
#[macro_export]
macro_rules! ktest_assert_eq {
    ($left:expr, $right:expr) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err(alloc::format!(
                "{} == {:?}, expected {:?}",
                stringify!($left),
                left,
                right
            ));
        }
    }};
}
