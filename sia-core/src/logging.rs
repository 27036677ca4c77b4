//! Logging through the `log` facade: to journald when stderr is connected to the journal
//! (systemd sets `JOURNAL_STREAM`), else to a small stderr logger. Callers must never log keys,
//! credentials or tokens; the agent's own messages name files and ids only.

use log::{LevelFilter, Log, Metadata, Record};
use std::io::Write;

/// Installs the logger once (later calls do nothing); returns whether logs go to journald.
pub fn init(level: LevelFilter) -> bool {
    if systemd_journal_logger::connected_to_journal()
        && let Ok(j) = systemd_journal_logger::JournalLog::new()
        && j.install().is_ok()
    {
        log::set_max_level(level);
        return true;
    }
    if log::set_boxed_logger(Box::new(Stderr { level })).is_ok() {
        log::set_max_level(level);
    }
    false
}

struct Stderr {
    level: LevelFilter,
}

impl Log for Stderr {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.level() <= self.level
    }

    fn log(&self, r: &Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let now = time::OffsetDateTime::now_utc();
        let ts = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let _ = writeln!(std::io::stderr(), "{ts} {} {}", r.level(), r.args());
    }

    fn flush(&self) {}
}
