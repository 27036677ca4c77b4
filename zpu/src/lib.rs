//! ZPU, the Athenz policy updater (`utils/zpe-updater`, reference `athenz.md` §6.3): for each
//! configured domain it asks ZTS for the signed policies with `If-None-Match`, verifies them
//! with ZTS's key, and atomically replaces `<policyDir>/<domain>.pol`, which ZPE reloads.
//! Run it once from a timer, or with `-daemon` as a service.

pub mod config;
pub mod fetch;
pub mod update;

use std::time::Duration;

/// The result of one pass over every domain.
#[derive(Debug, Default)]
pub struct Report {
    /// Domains with a new file.
    pub written: Vec<String>,
    /// Domains ZTS said were unchanged.
    pub unchanged: Vec<String>,
    /// Domains that failed, with why (their previous file is untouched).
    pub failed: Vec<(String, String)>,
}

/// Updates every domain; one failure does not stop the others.
pub async fn run_once(s: &config::Settings) -> anyhow::Result<Report> {
    let client = fetch::client(s)?;
    let mut report = Report::default();
    for d in &s.domains {
        match update::update_domain(&client, s, d).await {
            Ok(update::Outcome::Written) => report.written.push(d.clone()),
            Ok(update::Outcome::Unchanged) => report.unchanged.push(d.clone()),
            Err(e) => report.failed.push((d.clone(), format!("{e:#}"))),
        }
    }
    Ok(report)
}

/// Logs a report line per domain.
pub fn log_report(r: &Report) {
    for d in &r.written {
        eprintln!("zpu: {d}: policy file updated");
    }
    for d in &r.unchanged {
        eprintln!("zpu: {d}: policy file is current");
    }
    for (d, e) in &r.failed {
        eprintln!("zpu: {d}: update failed: {e}");
    }
}

/// `STARTUP_DELAY` (minutes, at most 1440): a random pause so a fleet does not call ZTS at
/// the same instant (Go ZPU's `STARTUP_DELAY`).
pub fn startup_delay(env: Option<&str>) -> Duration {
    let minutes: u64 = env
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
        .min(1440);
    if minutes == 0 {
        return Duration::ZERO;
    }
    let mut b = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut b).is_err() {
        return Duration::ZERO;
    }
    Duration::from_secs(u64::from_le_bytes(b) % (minutes * 60))
}

/// `-check-status` (Go ZPU's monitoring check): every configured domain's policy file is on
/// disk, verifies with the keys of `athenz.conf`, names its domain and has not expired. Prints
/// one line per domain; returns how many failed. Reads no network.
pub fn check_status(s: &config::Settings, now_ms: i64) -> usize {
    let mut failed = 0;
    for d in &s.domains {
        match update::check_file(s, d, now_ms) {
            Ok(left_secs) => println!("zpu: {d}: OK, expires in {}h", left_secs / 3600),
            Err(e) => {
                failed += 1;
                println!("zpu: {d}: FAILED: {e:#}");
            }
        }
    }
    failed
}
