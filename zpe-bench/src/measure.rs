//! The agreement check and the timing loops, one thread, the same for every engine.

use crate::corpus::{Expected, Request};
use crate::engines::Engine;
use anyhow::{Result, bail};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Most per-decision samples kept (8 bytes each).
const MAX_SAMPLES: usize = 4_000_000;

/// What the check found for one engine.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    /// Requests decided.
    pub requests: usize,
    /// Wall time of the whole check.
    pub elapsed: Duration,
}

/// Runs `requests` through `engine` and fails on the first answer that differs from the
/// reference (which ZPE, checked first, also matched), printing the case.
pub fn check<E: Engine>(name: &str, engine: &mut E, requests: &[Request]) -> Result<Checked> {
    let start = Instant::now();
    let mut next_report = start + Duration::from_secs(30);
    for (i, request) in requests.iter().enumerate() {
        let allowed = engine.decide(request)?;
        if i % 64 == 0 && Instant::now() >= next_report {
            eprintln!("  {name}: {i}/{} checked…", requests.len());
            next_report += Duration::from_secs(30);
        }
        if allowed != request.expected.allowed() {
            bail!(
                "DISAGREEMENT: {name} says {} but the reference (Athenz rule, and ZPE) says {} \
                 ({}) for request #{i}: principal {} action {:?} resource {:?}",
                if allowed { "ALLOW" } else { "DENY" },
                if request.expected.allowed() {
                    "ALLOW"
                } else {
                    "DENY"
                },
                match request.expected {
                    Expected::Allow => "an ALLOW rule matched, no DENY",
                    Expected::DenyRule => "a DENY rule matched",
                    Expected::NoMatch => "no rule matched",
                },
                request.principal,
                request.action,
                request.resource,
            );
        }
    }
    Ok(Checked {
        requests: requests.len(),
        elapsed: start.elapsed(),
    })
}

/// One engine's figures.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// From the un-instrumented loop.
    pub decisions_per_sec: f64,
    /// Nearest-rank percentiles of the individually timed decisions, in nanoseconds.
    pub p50_ns: u64,
    pub p99_ns: u64,
    /// Decisions timed individually.
    pub timed: usize,
    /// Decisions in the throughput loop.
    pub untimed: u64,
}

/// Nearest-rank percentile of sorted `samples`.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Times `engine` over `requests` (cycled) within `budget`: a short warmup, half the budget
/// timing each decision with `Instant` (percentiles), half in an un-instrumented loop that
/// reads the clock once per batch (decisions/s).
pub fn measure<E: Engine>(engine: &mut E, requests: &[Request], budget: Duration) -> Result<Stats> {
    if requests.is_empty() {
        bail!("no requests to time");
    }
    let half = budget / 2;
    // Warmup: up to a tenth of the budget or 20,000 decisions.
    let warm_end = Instant::now() + budget / 10;
    for request in requests.iter().cycle().take(20_000) {
        black_box(engine.decide(black_box(request))?);
        if Instant::now() >= warm_end {
            break;
        }
    }

    let mut samples: Vec<u64> = Vec::with_capacity(MAX_SAMPLES.min(1 << 20));
    let deadline = Instant::now() + half;
    for request in requests.iter().cycle() {
        let t0 = Instant::now();
        let allowed = engine.decide(black_box(request))?;
        let t1 = Instant::now();
        black_box(allowed);
        samples.push(u64::try_from((t1 - t0).as_nanos()).unwrap_or(u64::MAX));
        if t1 >= deadline || samples.len() >= MAX_SAMPLES {
            break;
        }
    }
    let timed = samples.len();
    let mean_ns = samples.iter().sum::<u64>() / timed.max(1) as u64;
    samples.sort_unstable();

    // About 1 ms of decisions between clock reads.
    let batch = (1_000_000 / mean_ns.max(1)).clamp(1, 100_000) as usize;
    let mut untimed: u64 = 0;
    let mut cursor = requests.iter().cycle();
    let start = Instant::now();
    let deadline = start + half;
    let elapsed = loop {
        for request in cursor.by_ref().take(batch) {
            black_box(engine.decide(black_box(request))?);
        }
        untimed += batch as u64;
        let now = Instant::now();
        if now >= deadline {
            break now - start;
        }
    };
    Ok(Stats {
        decisions_per_sec: untimed as f64 / elapsed.as_secs_f64(),
        p50_ns: percentile(&samples, 50.0),
        p99_ns: percentile(&samples, 99.0),
        timed,
        untimed,
    })
}

/// The median cost of reading the clock twice back to back (what each timed sample carries on
/// top of the decision).
pub fn timer_overhead_ns() -> u64 {
    let mut samples: Vec<u64> = (0..100_001)
        .map(|_| {
            let t0 = Instant::now();
            let t1 = Instant::now();
            u64::try_from((t1 - t0).as_nanos()).unwrap_or(u64::MAX)
        })
        .collect();
    samples.sort_unstable();
    percentile(&samples, 50.0)
}

/// The 1-minute load average (`/proc/loadavg`), to say how busy the machine was.
pub fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank() {
        let s: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&s, 50.0), 50);
        assert_eq!(percentile(&s, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }
}
