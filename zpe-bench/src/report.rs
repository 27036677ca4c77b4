//! The markdown output: the engines table, ZPE's memory line and its goals.

use crate::engines::zpe_engine::Memory;
use crate::measure::Stats;

/// One row of the table.
pub struct Row {
    pub engine: String,
    /// `None` when the engine was not measured (the note says why).
    pub stats: Option<Stats>,
    pub notes: String,
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A latency with a unit that keeps 3 significant figures.
pub fn duration(ns: u64) -> String {
    match ns {
        0..1_000 => format!("{ns} ns"),
        1_000..1_000_000 => format!("{:.2} µs", ns as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.2} ms", ns as f64 / 1e6),
        _ => format!("{:.2} s", ns as f64 / 1e9),
    }
}

fn rate(per_sec: f64) -> String {
    if per_sec >= 100.0 {
        thousands(per_sec.round() as u64)
    } else {
        format!("{per_sec:.1}")
    }
}

/// The engines table.
pub fn table(rows: &[Row]) -> String {
    let mut out =
        String::from("| engine | decisions/s | p50 | p99 | notes |\n|---|---:|---:|---:|---|\n");
    for row in rows {
        let (r, p50, p99) = match &row.stats {
            Some(s) => (
                rate(s.decisions_per_sec),
                duration(s.p50_ns),
                duration(s.p99_ns),
            ),
            None => ("–".into(), "–".into(), "–".into()),
        };
        out.push_str(&format!(
            "| {} | {r} | {p50} | {p99} | {} |\n",
            row.engine, row.notes
        ));
    }
    out
}

fn mib(bytes: f64) -> String {
    format!("{:.2} MiB", bytes / (1024.0 * 1024.0))
}

/// ZPE's memory line.
pub fn memory_line(memory: &Memory, assertions: usize) -> String {
    match memory.rss_delta_kb {
        Some(kb) => format!(
            "ZPE memory: the loaded store holds {} of live heap ({:.2}x the {} signed policy \
             file, {} assertions); VmRSS grew by {} ({:.2}x) across `load_policy_bytes`, which \
             also counts the load's freed transient memory that the allocator keeps.",
            mib(memory.retained_bytes as f64),
            memory.retained_bytes as f64 / memory.file_bytes.max(1) as f64,
            mib(memory.file_bytes as f64),
            thousands(assertions as u64),
            mib(kb as f64 * 1024.0),
            kb as f64 * 1024.0 / memory.file_bytes.max(1) as f64
        ),
        None => format!(
            "ZPE memory: /proc/self/status unreadable; policy file {}.",
            mib(memory.file_bytes as f64)
        ),
    }
}

/// ZPE's goals, each met or not, with the measured figure.
pub fn goals(stats: &Stats, memory: &Memory) -> String {
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    let mut out = String::from("| ZPE goal | measured | met? |\n|---|---:|---|\n");
    out.push_str(&format!(
        "| p50 < 300 ns | {} | {} |\n",
        duration(stats.p50_ns),
        met(stats.p50_ns < 300)
    ));
    out.push_str(&format!(
        "| p99 < 1 µs | {} | {} |\n",
        duration(stats.p99_ns),
        met(stats.p99_ns < 1_000)
    ));
    out.push_str(&format!(
        "| ≥ 2M decisions/s (1 thread) | {} | {} |\n",
        rate(stats.decisions_per_sec),
        met(stats.decisions_per_sec >= 2_000_000.0)
    ));
    let held = memory.retained_bytes as f64 / memory.file_bytes.max(1) as f64;
    out.push_str(&format!(
        "| memory < 2x policy file (live heap held) | {:.2}x ({} for a {} file) | {} |\n",
        held,
        mib(memory.retained_bytes as f64),
        mib(memory.file_bytes as f64),
        met(held < 2.0)
    ));
    match memory.rss_delta_kb {
        Some(kb) => {
            let ratio = kb as f64 * 1024.0 / memory.file_bytes.max(1) as f64;
            out.push_str(&format!(
                "| memory < 2x policy file (RSS growth across the load) | {:.2}x ({} for a {} file) | {} |\n",
                ratio,
                mib(kb as f64 * 1024.0),
                mib(memory.file_bytes as f64),
                met(ratio < 2.0)
            ));
        }
        None => out.push_str("| memory (RSS growth) | not measured | – |\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{duration, thousands};

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(duration(250), "250 ns");
        assert_eq!(duration(1_500), "1.50 µs");
        assert_eq!(duration(25_300_000), "25.30 ms");
    }
}
