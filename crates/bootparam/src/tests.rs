//! Host tests of the command-line parser against what Linux 6.1 does with the same line.

use super::*;
use alloc::string::ToString;
use alloc::vec;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

fn split(line: &str) -> Vec<(String, Option<String>)> {
    words(line).map(|word| (word.param, word.value)).collect()
}

fn word(param: &str, value: Option<&str>) -> (String, Option<String>) {
    (param.into(), value.map(Into::into))
}

fn env_with(extra: &[&str]) -> Vec<String> {
    let mut env = strings(&DEFAULT_INIT_ENV);
    env.extend(strings(extra));
    env
}

#[test]
fn empty_line_gives_linux_defaults() {
    for line in ["", " ", " \t\n\r "] {
        let parsed = CommandLine::parse(line);
        assert_eq!(parsed, CommandLine::default(), "{line:?}");
        assert_eq!(parsed.rdinit, None);
        assert_eq!(parsed.init, None);
        assert!(parsed.consoles.is_empty());
        assert_eq!(parsed.console_loglevel, 7);
        assert_eq!(parsed.panic_timeout, 0);
        assert!(!parsed.is_tracing);
        assert!(parsed.init_args.is_empty());
        assert_eq!(parsed.init_env, strings(&["HOME=/", "TERM=linux"]));
        assert_eq!(parsed.log_filter(), log::LevelFilter::Info);
    }
}

#[test]
fn splits_on_any_c_white_space() {
    assert_eq!(
        split("  a\tb\nc\x0bd\x0ce\rf  "),
        ["a", "b", "c", "d", "e", "f"].map(|param| word(param, None))
    );
}

#[test]
fn splits_name_and_value_at_the_first_equals_sign() {
    assert_eq!(
        split("a=b=c x= =y =y=z"),
        vec![
            word("a", Some("b=c")),
            word("x", Some("")),
            word("=y", None),
            word("=y", Some("z")),
        ]
    );
}

#[test]
fn quotes_group_words_like_next_arg() {
    assert_eq!(
        split(r#"init="/bin/sh -x" "a b" a"b c"d "x=y z" v="w"#),
        vec![
            word("init", Some("/bin/sh -x")),
            word("a b", None),
            // Quotes inside a word stay.
            word("a\"b c\"d", None),
            word("x", Some("y z")),
            // An unterminated quote runs to the end of the line.
            word("v", Some("w")),
        ]
    );
    assert_eq!(split(r#"v="w x"#), vec![word("v", Some("w x"))]);
    assert_eq!(
        split(r#""unterminated word"#),
        vec![word("unterminated word", None)]
    );
}

#[test]
fn quote_corner_cases_match_linux() {
    assert_eq!(split(r#""""#), vec![word("", None)]);
    assert_eq!(split(r#"""#), vec![word("", None)]);
    assert_eq!(
        split(r#"a="" b"#),
        vec![word("a", Some("")), word("b", None)]
    );
    // The leading quote and the value's quote cancel: the space splits.
    assert_eq!(
        split(r#""a="b c"""#),
        vec![word("a", Some("b")), word("c\"\"", None)]
    );
    assert_eq!(split(r#""a="b""#), vec![word("a", Some("b"))]);
    assert_eq!(split(r#""a="b"""#), vec![word("a", Some("b\""))]);
    assert_eq!(split(r#"a=b""#), vec![word("a", Some("b\""))]);
    assert_eq!(split(r#""a"=b"#), vec![word("a\"", Some("b"))]);
    assert_eq!(
        split("é=ü \"ö\""),
        vec![word("é", Some("ü")), word("ö", None)]
    );
}

#[test]
fn console_values_accumulate_in_order() {
    let parsed = CommandLine::parse("console=tty0 console=ttyS0,115200n8 console=hvc0");
    assert_eq!(
        parsed.consoles,
        strings(&["tty0", "ttyS0,115200n8", "hvc0"])
    );
    assert!(parsed.init_args.is_empty());
    assert_eq!(parsed.init_env, env_with(&[]));
}

#[test]
fn rdinit_and_init_last_wins() {
    let parsed = CommandLine::parse("rdinit=/a init=/b rdinit=/bin/sh init=\"/sbin/my init\"");
    assert_eq!(parsed.rdinit.as_deref(), Some("/bin/sh"));
    assert_eq!(parsed.init.as_deref(), Some("/sbin/my init"));
}

#[test]
fn init_and_rdinit_drop_earlier_init_arguments() {
    // Linux's init_setup: "ignore all arguments entered before init=" (LILO's "auto").
    let parsed =
        CommandLine::parse("auto single rdinit=/bin/sh -x FOO=1 init=/sbin/init emergency");
    assert_eq!(parsed.init_args, strings(&["emergency"]));
    assert_eq!(parsed.init_env, env_with(&["FOO=1"]));
    let parsed = CommandLine::parse("a rdinit=/bin/sh b -- c");
    assert_eq!(parsed.init_args, strings(&["b", "c"]));
}

#[test]
fn quiet_debug_and_loglevel_set_one_level_last_wins() {
    let level = |line: &str| CommandLine::parse(line).console_loglevel;
    assert_eq!(level("quiet"), 4);
    assert_eq!(level("debug"), 10);
    assert_eq!(level("loglevel=3"), 3);
    assert_eq!(level("loglevel=7 quiet"), 4);
    assert_eq!(level("quiet loglevel=7"), 7);
    assert_eq!(level("quiet debug"), 10);
    assert_eq!(level("debug quiet"), 4);
    assert_eq!(level("loglevel=2 loglevel=5"), 5);
    // get_option: base 0, a number prefix is enough, a bad value keeps the old level.
    assert_eq!(level("loglevel=0x8"), 8);
    assert_eq!(level("loglevel=010"), 8);
    assert_eq!(level("loglevel=5abc"), 5);
    assert_eq!(level("loglevel=-1"), -1);
    assert_eq!(level("loglevel=3 loglevel=abc"), 3);
    assert_eq!(level("loglevel=3 loglevel="), 3);
    assert_eq!(level("loglevel=3 loglevel"), 3);
    // Early parameters are consumed with or without a value.
    let parsed = CommandLine::parse("quiet=1 debug=yes loglevel");
    assert!(parsed.init_args.is_empty());
    assert_eq!(parsed.init_env, env_with(&[]));
}

#[test]
fn log_filter_prints_levels_below_console_loglevel() {
    let filter = |line: &str| CommandLine::parse(line).log_filter();
    assert_eq!(filter(""), log::LevelFilter::Info);
    assert_eq!(filter("quiet"), log::LevelFilter::Error);
    assert_eq!(filter("loglevel=5"), log::LevelFilter::Warn);
    assert_eq!(filter("loglevel=6"), log::LevelFilter::Warn);
    assert_eq!(filter("loglevel=8"), log::LevelFilter::Debug);
    assert_eq!(filter("debug"), log::LevelFilter::Trace);
    assert_eq!(filter("loglevel=3"), log::LevelFilter::Off);
    assert_eq!(filter("loglevel=-1"), log::LevelFilter::Off);
}

#[test]
fn panic_timeout_as_kstrtoint() {
    let timeout = |line: &str| CommandLine::parse(line).panic_timeout;
    assert_eq!(timeout("panic=10"), 10);
    assert_eq!(timeout("panic=-1"), -1);
    assert_eq!(timeout("panic=-30"), -30);
    assert_eq!(timeout("panic=+5"), 5);
    assert_eq!(timeout("panic=0x10"), 16);
    assert_eq!(timeout("panic=010"), 8);
    assert_eq!(timeout("panic=0"), 0);
    assert_eq!(timeout("panic=1 panic=2"), 2);
    assert_eq!(timeout("panic=-2147483648"), -2147483648);
    // Invalid: the previous value stays.
    for bad in [
        "5s",
        "",
        "-",
        "x",
        "-+5",
        "2147483648",
        "99999999999999999999999",
    ] {
        assert_eq!(
            timeout(&alloc::format!("panic=7 panic={bad}")),
            7,
            "{bad:?}"
        );
    }
    assert_eq!(timeout("panic=7 panic"), 7);
    // The parameter is consumed even when invalid.
    let parsed = CommandLine::parse("panic panic=oops");
    assert!(parsed.init_args.is_empty());
    assert_eq!(parsed.init_env, env_with(&[]));
}

#[test]
fn tracing_flag_as_kstrtobool() {
    let tracing = |line: &str| CommandLine::parse(line).is_tracing;
    assert!(tracing("ferrux.trace=1"));
    assert!(tracing("ferrux.trace=y"));
    assert!(tracing("ferrux.trace=on"));
    assert!(!tracing("ferrux.trace=0"));
    assert!(!tracing("ferrux.trace=1 ferrux.trace=off"));
    assert!(tracing("ferrux.trace=1 ferrux.trace=maybe"));
    assert!(!tracing("ferrux.trace"));
    assert!(CommandLine::parse("ferrux.test_panic=1").is_test_panic);
    assert!(!CommandLine::parse("ferrux.test_panic=0").is_test_panic);
    assert!(!CommandLine::parse("test_panic=1").is_test_panic);
    assert!(CommandLine::parse("ferrux.ktest=1").is_ktest);
    assert!(!CommandLine::parse("ferrux.ktest=1 ferrux.ktest=n").is_ktest);
    assert!(!CommandLine::parse("ktest=1").is_ktest);
    assert_eq!(
        CommandLine::parse("ferrux.test_lock_bug=order")
            .test_lock_bug
            .as_deref(),
        Some("order")
    );
    assert_eq!(
        CommandLine::parse("ferrux.test_lock_bug").test_lock_bug,
        None
    );
}

#[test]
fn unknown_words_go_to_init_argv_and_envp() {
    let parsed = CommandLine::parse("console=ttyS0 single FOO=bar -s BAZ=\"a b\" 3");
    assert_eq!(parsed.init_args, strings(&["single", "-s", "3"]));
    assert_eq!(parsed.init_env, env_with(&["FOO=bar", "BAZ=a b"]));
}

#[test]
fn repeated_environment_names_replace_in_place() {
    let parsed = CommandLine::parse("A=1 B=2 A=3 TERM=vt100 AB=4 A=");
    assert_eq!(
        parsed.init_env,
        strings(&["HOME=/", "TERM=vt100", "A=", "B=2", "AB=4"])
    );
    // Repeated bare words are all kept.
    assert_eq!(CommandLine::parse("x x").init_args, strings(&["x", "x"]));
}

#[test]
fn ignored_and_module_parameters_are_dropped() {
    let parsed = CommandLine::parse(
        "root=/dev/vda1 ro rw rootfstype=ext4 nokaslr mitigations=off virtio_blk.queue_depth=4 \
         foo.bar printk.time=1",
    );
    assert!(parsed.init_args.is_empty());
    assert_eq!(parsed.init_env, env_with(&[]));
}

#[test]
fn bare_forms_of_value_parameters_go_to_init() {
    let parsed = CommandLine::parse("init rdinit console");
    assert_eq!(parsed.init_args, strings(&["init", "rdinit", "console"]));
    assert_eq!(parsed.init, None);
    assert_eq!(parsed.rdinit, None);
    assert!(parsed.consoles.is_empty());
}

#[test]
fn everything_after_double_dash_goes_to_init_argv() {
    let parsed = CommandLine::parse(
        "console=ttyS0 rdinit=/bin/busybox before -- ls -l FOO=1 quiet panic=3 -- \"a b\" x=\"y z\"",
    );
    assert_eq!(parsed.rdinit.as_deref(), Some("/bin/busybox"));
    assert_eq!(
        parsed.init_args,
        strings(&[
            "before", "ls", "-l", "FOO=1", "quiet", "panic=3", "--", "a b", "x=y z"
        ])
    );
    assert_eq!(parsed.init_env, env_with(&[]));
    assert_eq!(parsed.console_loglevel, 7);
    assert_eq!(parsed.panic_timeout, 0);
}

#[test]
fn double_dash_variants() {
    // A quoted "--" still ends the kernel's part; "--=x" does not.
    assert_eq!(CommandLine::parse("\"--\" a").init_args, strings(&["a"]));
    let parsed = CommandLine::parse("--=x a");
    assert_eq!(parsed.init_env, env_with(&["--=x"]));
    assert_eq!(parsed.init_args, strings(&["a"]));
    assert!(CommandLine::parse("--").init_args.is_empty());
    assert!(CommandLine::parse("a --   ").init_args == strings(&["a"]));
}

#[test]
fn words_remainder_is_the_unparsed_rest() {
    let mut iter = words("  a  b c ");
    assert_eq!(iter.remainder(), "a  b c ");
    iter.next();
    assert_eq!(iter.remainder(), "b c ");
    iter.next();
    iter.next();
    assert_eq!(iter.remainder(), "");
    assert_eq!(iter.next(), None);
}

#[test]
fn numbers() {
    use number::{get_option, kstrtobool, kstrtoint};
    assert_eq!(kstrtoint("42\n"), Some(42));
    assert_eq!(kstrtoint("42\n\n"), None);
    assert_eq!(kstrtoint("0X1f"), Some(31));
    assert_eq!(kstrtoint("0x"), None);
    assert_eq!(kstrtoint("08"), None);
    assert_eq!(kstrtoint("2147483647"), Some(i32::MAX));
    assert_eq!(kstrtoint("-2147483649"), None);
    assert_eq!(get_option("0x"), Some(0));
    assert_eq!(get_option("-"), None);
    assert_eq!(get_option("4294967297"), Some(1));
    assert_eq!(get_option("99999999999999999999999"), Some(-159_383_553));
    assert_eq!(kstrtobool("Yes"), Some(true));
    assert_eq!(kstrtobool("oFf"), Some(false));
    assert_eq!(kstrtobool("o"), None);
    assert_eq!(kstrtobool(""), None);
}

#[test]
fn cpu_count_parameters() {
    assert_eq!(CommandLine::parse("console=ttyS0").max_cpus, None);
    assert_eq!(CommandLine::parse("nosmp").max_cpus, Some(0));
    assert_eq!(CommandLine::parse("maxcpus=2").max_cpus, Some(2));
    assert_eq!(CommandLine::parse("maxcpus=0").max_cpus, Some(0));
    assert_eq!(CommandLine::parse("maxcpus=x").max_cpus, None);
    assert_eq!(CommandLine::parse("nr_cpus=3").nr_cpus, Some(3));
    assert_eq!(CommandLine::parse("nr_cpus=0").nr_cpus, None);
    // Consumed by the kernel: not passed to init.
    let line = CommandLine::parse("nosmp maxcpus=1 nr_cpus=2");
    assert!(line.init_args.is_empty());
    assert!(!line.init_env.iter().any(|var| var.starts_with("maxcpus")));
}

#[test]
fn root_parameters_are_taken_and_their_odd_forms_go_to_init() {
    let parsed = CommandLine::parse(
        "root=/dev/vda1 rootfstype=ext4 rootflags=data=ordered rw rootwait rootdelay=2 root ro=1",
    );
    assert_eq!(parsed.root.device.as_deref(), Some("/dev/vda1"));
    assert_eq!(parsed.root.fs_types.as_deref(), Some("ext4"));
    assert_eq!(parsed.root.flags.as_deref(), Some("data=ordered"));
    assert!(!parsed.root.is_read_only);
    assert!(parsed.root.is_wait);
    assert_eq!(parsed.root.delay_secs, 2);
    assert_eq!(parsed.init_args, strings(&["root"]));
    assert_eq!(parsed.init_env, env_with(&["ro=1"]));
    assert!(CommandLine::parse("root=/dev/vda").root.is_read_only);
}
