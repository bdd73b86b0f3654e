//! Benchmark results: parsing the guest's `BENCH` lines, the statistics over runs, and the
//! table (Markdown) and JSON that `cargo xtask bench` prints and writes.
//!
//! The guest program (`bench/ferrux-bench.c`) prints `BENCH <name> <value> <unit>` with unit
//! `ns` (time per operation), `MB/s` (10^6 bytes per second), `req/s` (a server measured from
//! the host, `bench_servers.rs`) or `KiB`, or
//! `BENCH <name> n/a <ERRNO>` for a benchmark that failed, and `BENCH-END <count> <ns>` when it
//! has run them all, with its own clock's time since its first line, `BENCH-START`
//! ([`RunOutput::parse`]; the driver compares that time with the host's to check the guest
//! clock). A kernel message interleaved on the console may prefix
//! a line, so `BENCH ` is searched anywhere in it.
//!
//! [`Comparison`] gathers the runs of two kernels, A and B (Ferrux and Linux, or two Ferrux
//! builds). Per benchmark and kernel it gives the median and the spread (min–max) over runs,
//! and the ratio of the medians oriented so that **below 1 means A is better**: A/B for times
//! and sizes, B/A for bandwidths. The geometric mean covers the benchmarks with a ratio,
//! without the boot rows ([`BOOT_ROWS`]: boot time and memory), which are reported apart.

use std::fmt::Write as _;

/// Rows about the boot itself rather than an operation: shown in their own table, not in the
/// geometric mean.
pub const BOOT_ROWS: &[&str] = &["qemu_start_to_init_ns", "boot_to_init_ns", "mem_used_kib"];

/// The unit of a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds per operation: lower is better.
    Nanoseconds,
    /// 10^6 bytes per second: higher is better.
    MegabytesPerSecond,
    /// Kibibytes (memory in use): lower is better.
    Kibibytes,
    /// Requests per second (a server measured from the host): higher is better.
    RequestsPerSecond,
}

impl Unit {
    pub fn parse(text: &str) -> Option<Unit> {
        match text {
            "ns" => Some(Unit::Nanoseconds),
            "MB/s" => Some(Unit::MegabytesPerSecond),
            "KiB" => Some(Unit::Kibibytes),
            "req/s" => Some(Unit::RequestsPerSecond),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Unit::Nanoseconds => "ns",
            Unit::MegabytesPerSecond => "MB/s",
            Unit::Kibibytes => "KiB",
            Unit::RequestsPerSecond => "req/s",
        }
    }

    pub fn is_higher_better(self) -> bool {
        matches!(self, Unit::MegabytesPerSecond | Unit::RequestsPerSecond)
    }
}

/// One benchmark's result in one run.
#[derive(Debug, Clone, PartialEq)]
pub enum Measurement {
    Value {
        value: f64,
        unit: Unit,
    },
    /// `n/a` and the reason the guest gave (an errno name).
    NotAvailable {
        reason: String,
    },
}

/// What one boot of the benchmark program printed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RunOutput {
    /// In the order printed; a name printed twice keeps its last value.
    pub measurements: Vec<(String, Measurement)>,
    /// Whether `BENCH-END` was printed (every benchmark ran).
    pub is_complete: bool,
    /// The guest's time from `BENCH-START` to `BENCH-END`, by its CLOCK_MONOTONIC.
    pub guest_elapsed_ns: Option<f64>,
}

impl RunOutput {
    pub fn parse(log: &str) -> RunOutput {
        let mut output = RunOutput::default();
        for line in log.lines() {
            if let Some(start) = line.find("BENCH-END") {
                output.is_complete = true;
                output.guest_elapsed_ns = line[start..]
                    .split_whitespace()
                    .nth(2)
                    .and_then(|word| word.parse::<f64>().ok())
                    .filter(|ns| ns.is_finite() && *ns > 0.0);
            }
            if let Some((name, measurement)) = parse_line(line) {
                output.set(&name, measurement);
            }
        }
        output
    }

    /// Records `measurement` for `name`, replacing an earlier one.
    pub fn set(&mut self, name: &str, measurement: Measurement) {
        match self
            .measurements
            .iter_mut()
            .find(|(known, _)| known == name)
        {
            Some((_, slot)) => *slot = measurement,
            None => self.measurements.push((name.to_string(), measurement)),
        }
    }

    #[cfg(test)]
    pub fn get(&self, name: &str) -> Option<&Measurement> {
        self.measurements
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, measurement)| measurement)
    }
}

/// Parses one `BENCH <name> <value> <unit>` or `BENCH <name> n/a <reason>` line.
pub fn parse_line(line: &str) -> Option<(String, Measurement)> {
    let start = line.find("BENCH ")?;
    let mut words = line[start + "BENCH ".len()..].split_whitespace();
    let name = words.next()?;
    let value = words.next()?;
    let last = words.next()?;
    if words.next().is_some() || !is_valid_name(name) {
        return None;
    }
    let measurement = if value == "n/a" {
        Measurement::NotAvailable {
            reason: last.to_string(),
        }
    } else {
        let value: f64 = value.parse().ok()?;
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        Measurement::Value {
            value,
            unit: Unit::parse(last)?,
        }
    };
    Some((name.to_string(), measurement))
}

fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Median, minimum and maximum of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// The median (the mean of the middle two for an even count); `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let count = sorted.len();
    match count {
        0 => None,
        _ if count % 2 == 1 => Some(sorted[count / 2]),
        _ => Some((sorted[count / 2 - 1] + sorted[count / 2]) / 2.0),
    }
}

pub fn summarize(values: &[f64]) -> Option<Summary> {
    Some(Summary {
        median: median(values)?,
        min: values.iter().copied().reduce(f64::min)?,
        max: values.iter().copied().reduce(f64::max)?,
    })
}

/// The ratio of A to B such that below 1 means A is better: `a/b` when lower is better,
/// `b/a` when higher is better. `None` if either is not a positive finite number.
pub fn ratio(unit: Unit, a: f64, b: f64) -> Option<f64> {
    let is_usable = |x: f64| x.is_finite() && x > 0.0;
    if !is_usable(a) || !is_usable(b) {
        return None;
    }
    Some(if unit.is_higher_better() {
        b / a
    } else {
        a / b
    })
}

/// The geometric mean of positive ratios; `None` for none (or a non-positive one).
pub fn geometric_mean(ratios: &[f64]) -> Option<f64> {
    if ratios.is_empty() || ratios.iter().any(|r| !(r.is_finite() && *r > 0.0)) {
        return None;
    }
    let log_sum: f64 = ratios.iter().map(|r| r.ln()).sum();
    Some((log_sum / ratios.len() as f64).exp())
}

/// One kernel's results for one benchmark, over all runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Side {
    pub values: Vec<f64>,
    /// The `n/a` reasons, one per run that had one.
    pub errors: Vec<String>,
}

impl Side {
    pub fn summary(&self) -> Option<Summary> {
        summarize(&self.values)
    }

    /// The distinct `n/a` reasons, joined.
    pub fn error_text(&self) -> Option<String> {
        let mut reasons: Vec<&str> = self.errors.iter().map(String::as_str).collect();
        reasons.sort_unstable();
        reasons.dedup();
        (!reasons.is_empty()).then(|| reasons.join(","))
    }
}

/// One benchmark on both kernels.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    /// `None` when no run printed a value.
    pub unit: Option<Unit>,
    pub a: Side,
    pub b: Side,
}

impl Row {
    pub fn ratio(&self) -> Option<f64> {
        ratio(
            self.unit?,
            self.a.summary()?.median,
            self.b.summary()?.median,
        )
    }

    pub fn is_boot_row(&self) -> bool {
        BOOT_ROWS.contains(&self.name.as_str())
    }
}

/// All benchmarks, over the runs of kernel A and of kernel B.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub rows: Vec<Row>,
}

impl Comparison {
    /// Rows in the order the benchmarks were first printed (A's runs first).
    pub fn from_runs(a_runs: &[RunOutput], b_runs: &[RunOutput]) -> Comparison {
        let mut rows: Vec<Row> = Vec::new();
        let sides = a_runs
            .iter()
            .map(|run| (true, run))
            .chain(b_runs.iter().map(|run| (false, run)));
        for (is_a, run) in sides {
            for (name, measurement) in &run.measurements {
                let index = match rows.iter().position(|row| &row.name == name) {
                    Some(index) => index,
                    None => {
                        rows.push(Row {
                            name: name.clone(),
                            unit: None,
                            a: Side::default(),
                            b: Side::default(),
                        });
                        rows.len() - 1
                    }
                };
                let row = &mut rows[index];
                let side = if is_a { &mut row.a } else { &mut row.b };
                match measurement {
                    Measurement::Value { value, unit } => {
                        side.values.push(*value);
                        row.unit.get_or_insert(*unit);
                    }
                    Measurement::NotAvailable { reason } => side.errors.push(reason.clone()),
                }
            }
        }
        Comparison { rows }
    }

    pub fn operation_rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|row| !row.is_boot_row())
    }

    pub fn boot_rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|row| row.is_boot_row())
    }

    /// The geometric mean of the operation rows' ratios, and how many rows it covers.
    pub fn geometric_mean(&self) -> (Option<f64>, usize) {
        let ratios: Vec<f64> = self.operation_rows().filter_map(Row::ratio).collect();
        (geometric_mean(&ratios), ratios.len())
    }

    /// The operation rows with the highest ratios (A worst), worst first.
    pub fn worst(&self, count: usize) -> Vec<(&Row, f64)> {
        let mut rows: Vec<(&Row, f64)> = self
            .operation_rows()
            .filter_map(|row| Some((row, row.ratio()?)))
            .collect();
        rows.sort_by(|x, y| y.1.total_cmp(&x.1));
        rows.truncate(count);
        rows
    }

    /// Markdown tables: the operations with the convention in the header, then boot and
    /// memory, then the geometric mean. `a` and `b` name the kernels in column headers.
    pub fn render_markdown(&self, a: &str, b: &str) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "| benchmark | unit | {a} median | {a} min–max | {b} median | {b} min–max | \
             ratio {a}/{b} (< 1: {a} better; MB/s and req/s inverted) |"
        );
        let _ = writeln!(text, "| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for row in self.operation_rows() {
            push_row(&mut text, row);
        }
        let (mean, count) = self.geometric_mean();
        let _ = writeln!(
            text,
            "\nGeometric mean of the {count} ratios: **{}**",
            format_ratio(mean)
        );
        if self.boot_rows().next().is_some() {
            let _ = writeln!(
                text,
                "\n| boot and memory | unit | {a} median | {a} min–max | {b} median | {b} min–max | \
                 ratio {a}/{b} (< 1: {a} better) |"
            );
            let _ = writeln!(text, "| --- | --- | ---: | ---: | ---: | ---: | ---: |");
            for row in self.boot_rows() {
                push_row(&mut text, row);
            }
        }
        text
    }
}

fn push_row(text: &mut String, row: &Row) {
    let unit = row.unit.map_or("", Unit::label);
    let (a_median, a_spread) = side_cells(&row.a);
    let (b_median, b_spread) = side_cells(&row.b);
    let _ = writeln!(
        text,
        "| {} | {unit} | {a_median} | {a_spread} | {b_median} | {b_spread} | {} |",
        row.name,
        format_ratio(row.ratio())
    );
}

/// The median and spread cells of one side: numbers, or `n/a (ERRNO)`.
fn side_cells(side: &Side) -> (String, String) {
    match side.summary() {
        Some(summary) => {
            let mut spread = format!(
                "{}–{}",
                format_value(summary.min),
                format_value(summary.max)
            );
            if let Some(errors) = side.error_text() {
                // Some runs failed where others measured.
                let _ = write!(spread, " ({} n/a: {errors})", side.errors.len());
            }
            (format_value(summary.median), spread)
        }
        None => match side.error_text() {
            Some(errors) => (format!("n/a ({errors})"), String::new()),
            None => ("—".to_string(), String::new()),
        },
    }
}

/// Three significant digits or more: `0.352`, `35.2`, `352`, `35,200`.
pub fn format_value(value: f64) -> String {
    if !value.is_finite() {
        return "—".to_string();
    }
    let magnitude = value.abs();
    if magnitude < 10.0 {
        format!("{value:.2}")
    } else if magnitude < 100.0 {
        format!("{value:.1}")
    } else {
        group_thousands(value.round() as i64)
    }
}

fn group_thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if value < 0 {
        grouped.insert(0, '-');
    }
    grouped
}

pub fn format_ratio(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "—".to_string(), |r| format!("{r:.2}"))
}

/// A JSON value, rendered by hand (the xtask has no serde).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn string(text: &str) -> Json {
        Json::String(text.to_string())
    }

    pub fn number(value: Option<f64>) -> Json {
        value.map_or(Json::Null, Json::Number)
    }

    pub fn object(fields: Vec<(&str, Json)>) -> Json {
        Json::Object(
            fields
                .into_iter()
                .map(|(key, value)| (key.to_string(), value))
                .collect(),
        )
    }

    /// Pretty-printed with two-space indentation and a final newline.
    pub fn render(&self) -> String {
        let mut text = String::new();
        self.render_into(&mut text, 0);
        text.push('\n');
        text
    }

    fn render_into(&self, text: &mut String, depth: usize) {
        let indent = |text: &mut String, depth: usize| text.push_str(&"  ".repeat(depth));
        match self {
            Json::Null => text.push_str("null"),
            Json::Bool(value) => text.push_str(if *value { "true" } else { "false" }),
            Json::Number(value) if value.is_finite() => {
                let _ = write!(text, "{value}");
            }
            Json::Number(_) => text.push_str("null"),
            Json::String(value) => push_json_string(text, value),
            Json::Array(items) if items.is_empty() => text.push_str("[]"),
            Json::Array(items) => {
                text.push_str("[\n");
                for (index, item) in items.iter().enumerate() {
                    indent(text, depth + 1);
                    item.render_into(text, depth + 1);
                    text.push_str(if index + 1 < items.len() { ",\n" } else { "\n" });
                }
                indent(text, depth);
                text.push(']');
            }
            Json::Object(fields) if fields.is_empty() => text.push_str("{}"),
            Json::Object(fields) => {
                text.push_str("{\n");
                for (index, (key, value)) in fields.iter().enumerate() {
                    indent(text, depth + 1);
                    push_json_string(text, key);
                    text.push_str(": ");
                    value.render_into(text, depth + 1);
                    text.push_str(if index + 1 < fields.len() {
                        ",\n"
                    } else {
                        "\n"
                    });
                }
                indent(text, depth);
                text.push('}');
            }
        }
    }
}

fn push_json_string(text: &mut String, value: &str) {
    text.push('"');
    for c in value.chars() {
        match c {
            '"' => text.push_str("\\\""),
            '\\' => text.push_str("\\\\"),
            '\n' => text.push_str("\\n"),
            '\r' => text.push_str("\\r"),
            '\t' => text.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(text, "\\u{:04x}", c as u32);
            }
            c => text.push(c),
        }
    }
    text.push('"');
}

impl Side {
    fn to_json(&self) -> Json {
        let summary = self.summary();
        Json::object(vec![
            ("median", Json::number(summary.map(|s| s.median))),
            ("min", Json::number(summary.map(|s| s.min))),
            ("max", Json::number(summary.map(|s| s.max))),
            (
                "values",
                Json::Array(self.values.iter().map(|v| Json::Number(*v)).collect()),
            ),
            (
                "errors",
                Json::Array(self.errors.iter().map(|e| Json::string(e)).collect()),
            ),
        ])
    }
}

impl Row {
    pub fn to_json(&self) -> Json {
        Json::object(vec![
            ("name", Json::string(&self.name)),
            (
                "unit",
                self.unit.map_or(Json::Null, |u| Json::string(u.label())),
            ),
            ("a", self.a.to_json()),
            ("b", self.b.to_json()),
            ("ratio", Json::number(self.ratio())),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(value: f64, unit: Unit) -> Measurement {
        Measurement::Value { value, unit }
    }

    #[test]
    fn parses_bench_lines() {
        assert_eq!(
            parse_line("BENCH null_syscall 371.5 ns"),
            Some(("null_syscall".to_string(), value(371.5, Unit::Nanoseconds)))
        );
        assert_eq!(
            parse_line("[    3.2] x BENCH pipe_bandwidth 812.0 MB/s\r"),
            Some((
                "pipe_bandwidth".to_string(),
                value(812.0, Unit::MegabytesPerSecond)
            ))
        );
        assert_eq!(
            parse_line("BENCH socketpair_round_trip n/a ENOSYS"),
            Some((
                "socketpair_round_trip".to_string(),
                Measurement::NotAvailable {
                    reason: "ENOSYS".to_string()
                }
            ))
        );
        assert_eq!(
            parse_line("BENCH mem_used_kib 17920 KiB").unwrap().0,
            "mem_used_kib"
        );
        // Not results: markers, malformed or truncated lines, unknown units.
        for line in [
            "BENCH-START target_ms=200",
            "BENCH-END 29",
            "BENCH stat",
            "BENCH stat 12 ns extra",
            "BENCH stat twelve ns",
            "BENCH stat 12 parsecs",
            "BENCH stat -1 ns",
            "BENCH stat NaN ns",
            "BENCH st/at 12 ns",
            "no bench here",
        ] {
            assert_eq!(parse_line(line), None, "{line}");
        }
    }

    #[test]
    fn parses_a_run() {
        let log = "Linux version 6.1\r\nBENCH-START target_ms=200\r\n\
                   BENCH stat 900 ns\r\nBENCH fstat n/a ENOSYS\r\nBENCH stat 1000 ns\r\n";
        let run = RunOutput::parse(log);
        assert!(!run.is_complete);
        assert_eq!(run.measurements.len(), 2);
        assert_eq!(run.get("stat"), Some(&value(1000.0, Unit::Nanoseconds)));
        assert_eq!(run.guest_elapsed_ns, None);
        let complete = RunOutput::parse(&format!("{log}BENCH-END 2 1500000000\r\n"));
        assert!(complete.is_complete);
        assert_eq!(complete.guest_elapsed_ns, Some(1.5e9));
        let old_style = RunOutput::parse(&format!("{log}BENCH-END 2\r\n"));
        assert!(old_style.is_complete && old_style.guest_elapsed_ns.is_none());
    }

    #[test]
    fn median_and_spread() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        let summary = summarize(&[7.0, 2.0, 9.0, 4.0, 5.0]).unwrap();
        assert_eq!(
            summary,
            Summary {
                median: 5.0,
                min: 2.0,
                max: 9.0
            }
        );
        assert_eq!(summarize(&[]), None);
    }

    #[test]
    fn ratios_say_below_one_is_better_for_a() {
        // Time: A takes half as long.
        assert_eq!(ratio(Unit::Nanoseconds, 50.0, 100.0), Some(0.5));
        // Bandwidth: A moves twice as much.
        assert_eq!(ratio(Unit::MegabytesPerSecond, 200.0, 100.0), Some(0.5));
        assert_eq!(ratio(Unit::Kibibytes, 300.0, 100.0), Some(3.0));
        assert_eq!(ratio(Unit::RequestsPerSecond, 50.0, 100.0), Some(2.0));
        assert_eq!(ratio(Unit::Nanoseconds, 0.0, 100.0), None);
        assert_eq!(ratio(Unit::Nanoseconds, 1.0, f64::NAN), None);
    }

    #[test]
    fn geometric_means() {
        assert_eq!(geometric_mean(&[]), None);
        let mean = geometric_mean(&[0.5, 2.0, 4.0, 0.25, 8.0]).unwrap();
        assert!((mean - 1.515716566510398).abs() < 1e-12, "{mean}");
        assert!((geometric_mean(&[2.0, 8.0]).unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(geometric_mean(&[1.0, 0.0]), None);
    }

    #[test]
    fn compares_runs() {
        let run = |stat: f64, bandwidth: f64, boot: f64| RunOutput {
            measurements: vec![
                ("boot_to_init_ns".into(), value(boot, Unit::Nanoseconds)),
                ("stat".into(), value(stat, Unit::Nanoseconds)),
                (
                    "pipe_bandwidth".into(),
                    value(bandwidth, Unit::MegabytesPerSecond),
                ),
            ],
            is_complete: true,
            guest_elapsed_ns: None,
        };
        let mut a_runs = vec![run(100.0, 400.0, 1e9), run(300.0, 600.0, 2e9)];
        a_runs[1].set(
            "socketpair_round_trip",
            Measurement::NotAvailable {
                reason: "ENOSYS".into(),
            },
        );
        let mut b_run = run(400.0, 250.0, 3e9);
        b_run.set("socketpair_round_trip", value(60e3, Unit::Nanoseconds));
        let comparison = Comparison::from_runs(&a_runs, &[b_run]);

        let names: Vec<&str> = comparison.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "boot_to_init_ns",
                "stat",
                "pipe_bandwidth",
                "socketpair_round_trip"
            ]
        );
        let stat = &comparison.rows[1];
        assert_eq!(stat.a.summary().unwrap().median, 200.0);
        assert_eq!(stat.ratio(), Some(0.5));
        assert_eq!(comparison.rows[2].ratio(), Some(0.5));
        let socket = &comparison.rows[3];
        assert_eq!(socket.ratio(), None);
        assert_eq!(socket.a.error_text().as_deref(), Some("ENOSYS"));
        // The boot row stays out of the mean.
        assert_eq!(comparison.rows[0].ratio(), Some(0.5));
        let (mean, count) = comparison.geometric_mean();
        assert_eq!(count, 2);
        assert!((mean.unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(comparison.worst(1)[0].0.name, "stat");

        let table = comparison.render_markdown("ferrux", "linux");
        assert!(table.contains("| stat | ns | 200 | 100–300 | 400 | 400–400 | 0.50 |"));
        assert!(table.contains("| socketpair_round_trip | ns | n/a (ENOSYS) |  | 60,000 |"));
        assert!(table.contains("Geometric mean of the 2 ratios: **0.50**"));
        assert!(table.contains("| boot_to_init_ns | ns | 1,500,000,000 |"));
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(format_value(0.3521), "0.35");
        assert_eq!(format_value(35.21), "35.2");
        assert_eq!(format_value(352.6), "353");
        assert_eq!(format_value(1234567.0), "1,234,567");
        assert_eq!(format_ratio(None), "—");
        assert_eq!(format_ratio(Some(1.234)), "1.23");
    }

    #[test]
    fn renders_json() {
        let json = Json::object(vec![
            ("name", Json::string("a \"b\"\n")),
            (
                "values",
                Json::Array(vec![Json::Number(1.5), Json::Number(f64::NAN)]),
            ),
            ("none", Json::Array(vec![])),
            ("ok", Json::Bool(true)),
            ("ratio", Json::number(None)),
        ]);
        assert_eq!(
            json.render(),
            "{\n  \"name\": \"a \\\"b\\\"\\n\",\n  \"values\": [\n    1.5,\n    null\n  ],\n  \
             \"none\": [],\n  \"ok\": true,\n  \"ratio\": null\n}\n"
        );
    }
}
