//! The report: one table for every row of the run, the goals judged, optionally as markdown.

use crate::Args;
use crate::bound::BoundStats;
use crate::measure::{CpuUse, Stats};

pub(crate) enum Row {
    Bound(BoundStats),
    Http {
        key: &'static str,
        name: String,
        stats: Stats,
    },
    Missing {
        name: String,
    },
}

impl Row {
    pub(crate) fn http(key: &'static str, name: String, stats: Stats) -> Self {
        Self::Http { key, name, stats }
    }

    pub(crate) fn missing(name: &str) -> Self {
        Self::Missing {
            name: name.to_string(),
        }
    }
}

pub(crate) struct Report<'a> {
    pub(crate) args: &'a Args,
    pub(crate) rows: Vec<Row>,
    /// File system of the state directory (where SQLite syncs).
    pub(crate) fs: String,
}

const HEADER: [&str; 11] = [
    "measurement",
    "ops/s",
    "p50",
    "p99",
    "errors",
    "server CPU/op",
    "server cores",
    "ops/s per server core",
    "provider CPU/op",
    "bench CPU/op",
    "other load",
];

fn ms(ns: u64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

fn per_op(cpu: Option<f64>, s: &Stats) -> String {
    match cpu {
        Some(c) if s.count() > 0 => format!("{:.0} µs", c * 1e6 / s.count() as f64),
        _ => "–".into(),
    }
}

fn cores(cpu: Option<f64>, u: &CpuUse) -> Option<f64> {
    cpu.filter(|_| u.wall > 0.0).map(|c| c / u.wall)
}

fn other(u: &CpuUse) -> String {
    cores(u.other, u).map_or_else(|| "n/a".into(), |c| format!("{c:.2} cores"))
}

/// Operations per second per core of the measured server.
fn per_core(s: &Stats) -> Option<f64> {
    cores(s.cpu.server, &s.cpu)
        .filter(|c| *c > 0.0)
        .map(|c| s.rate() / c)
}

impl Report<'_> {
    fn http(&self, key: &str) -> Option<&Stats> {
        self.rows.iter().find_map(|r| match r {
            Row::Http { key: k, stats, .. } if *k == key => Some(stats),
            _ => None,
        })
    }

    /// The bound on `threads` threads.
    fn bound(&self, threads: usize) -> Option<&BoundStats> {
        self.rows.iter().find_map(|r| match r {
            Row::Bound(b) if b.threads == threads => Some(b),
            _ => None,
        })
    }

    fn cells(&self) -> Vec<[String; 11]> {
        let dash = || "–".to_string();
        self.rows
            .iter()
            .map(|r| match r {
                Row::Bound(b) => {
                    let s = &b.stats;
                    let t = b.threads;
                    [
                        format!(
                            "in-process bound, {t} thread{}: CSR parse+verify, sign, TLS 1.3 \
                             handshake with client cert (both ends)",
                            if t == 1 { "" } else { "s at once" }
                        ),
                        format!("{:.0}", s.rate()),
                        ms(s.pct(50.0)),
                        ms(s.pct(99.0)),
                        s.errors.to_string(),
                        per_op(s.cpu.bench, s),
                        format!(
                            "{:.2} (bench threads)",
                            cores(s.cpu.bench, &s.cpu).unwrap_or(0.0)
                        ),
                        format!("{:.0}", s.rate() / t as f64),
                        dash(),
                        dash(),
                        other(&s.cpu),
                    ]
                }
                Row::Http { name, stats: s, .. } => [
                    name.clone(),
                    format!("{:.0}", s.rate()),
                    ms(s.pct(50.0)),
                    ms(s.pct(99.0)),
                    s.errors.to_string(),
                    per_op(s.cpu.server, s),
                    cores(s.cpu.server, &s.cpu).map_or_else(dash, |c| format!("{c:.2}")),
                    per_core(s).map_or_else(dash, |r| format!("{r:.0}")),
                    if s.cpu.provider.unwrap_or(0.0) > 0.0 {
                        per_op(s.cpu.provider, s)
                    } else {
                        dash()
                    },
                    per_op(s.cpu.bench, s),
                    other(&s.cpu),
                ],
                Row::Missing { name, .. } => {
                    let mut c: [String; 11] = std::array::from_fn(|_| dash());
                    c[0] = name.clone();
                    c
                }
            })
            .collect()
    }

    fn summary(&self) -> Vec<String> {
        let a = self.args;
        let ncores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
        let yes = |ok: bool| if ok { "yes" } else { "NO" };
        let mut out = vec![format!(
            "{} client tasks, closed loop, {:.0} s measured after {:.0} s warmup per row; {ncores} \
             cores; the load generator and the provider run in this process on the same cores; \
             ZTS keeps its records in SQLite (WAL; synchronous=FULL, sqlx's default, unless the ZTS \
             rows say otherwise) on {}.",
            a.concurrency, a.duration, a.warmup, self.fs
        )];
        if let Some(b) = self.bound(1) {
            out.push(format!(
                "bound parts (mean, 1 thread): CSR parse+verify {:.0} µs, serial+sign+PEM {:.0} \
                 µs, handshake (client and server ends) {:.0} µs.",
                b.parse_ns / 1e3,
                b.sign_ns / 1e3,
                b.handshake_ns / 1e3,
            ));
        }
        let machine = self.bound(ncores).or_else(|| self.bound(1));
        if let Some(r) = self.http("refresh") {
            out.push(format!(
                "goal >= 3000 refreshes/s (new mTLS connection each, records in SQLite): {} \
                 ({:.0}/s)",
                yes(r.rate() >= 3000.0),
                r.rate()
            ));
            if let Some(b) = machine {
                let bound = b.stats.rate();
                out.push(format!(
                    "goal >= half of the bound measured in this run ({} thread(s), the whole \
                     machine): {} ({:.0} refreshes/s vs {bound:.0}/2 = {:.0}/s, {:.0} %)",
                    b.threads,
                    yes(r.rate() >= bound / 2.0),
                    r.rate(),
                    bound / 2.0,
                    100.0 * r.rate() / bound
                ));
            }
        }
        let zts = self.http("register").and_then(per_core);
        for (peer, factor) in [("cfssl", 2.0), ("cfssl-db", 2.0), ("openbao", 4.0)] {
            if let (Some(z), Some(p)) = (zts, self.http(peer).and_then(per_core)) {
                out.push(format!(
                    "goal ZTS register per server core >= {factor}x {peer}: {} ({z:.0} vs \
                     {p:.0}/core, {:.2}x)",
                    yes(z >= factor * p),
                    z / p
                ));
            }
        }
        out.push(
            "ZTS refresh over keep-alive is not a row: a refresh answers a new certificate and the \
             next refresh must present it, while a connection's client certificate is fixed at \
             its handshake, so one connection carries one current-serial refresh (a second is \
             the once-only previous-serial retry, a third revokes). ZTS's keep-alive row, same \
             footing as the peers, is register (a record stored each time)."
                .into(),
        );
        out.push(format!(
            "server CPU/op: CPU (user+system) of the measured server process over the window per \
             operation; server cores: that CPU / wall time; provider CPU/op: the in-process \
             callback provider's thread; bench CPU/op: the rest of this process (load \
             generator); other load: every other process and kernel thread (zms-server counted \
             apart), in cores ({ncores} online)."
        ));
        let zms = self
            .rows
            .iter()
            .filter_map(|r| match r {
                Row::Http { stats, .. } => cores(stats.cpu.aux, &stats.cpu),
                _ => None,
            })
            .fold(0.0_f64, f64::max);
        out.push(format!(
            "zms-server (ZTS polls it every 2 s) used at most {zms:.2} cores during a row."
        ));
        let disturbed = self
            .rows
            .iter()
            .filter_map(|r| match r {
                Row::Bound(b) => Some(&b.stats.cpu),
                Row::Http { stats, .. } => Some(&stats.cpu),
                Row::Missing { .. } => None,
            })
            .filter_map(|u| cores(u.other, u))
            .fold(0.0_f64, f64::max);
        if disturbed > 0.2 {
            out.push(format!(
                "WARNING: other processes used up to {disturbed:.2} cores during a measurement; \
                 the figures are disturbed, rerun on a quiet machine."
            ));
        }
        out
    }

    pub(crate) fn print_text(&self) {
        let rows = self.cells();
        let mut widths = HEADER.map(|h| h.chars().count());
        for r in &rows {
            for (w, cell) in widths.iter_mut().zip(r) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: Vec<&str>| {
            let parts: Vec<String> = cells
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    let pad = w.saturating_sub(c.chars().count());
                    if i == 0 {
                        format!("{c}{}", " ".repeat(pad))
                    } else {
                        format!("{}{c}", " ".repeat(pad))
                    }
                })
                .collect();
            println!("{}", parts.join("  "));
        };
        println!();
        line(HEADER.to_vec());
        for r in &rows {
            line(r.iter().map(String::as_str).collect());
        }
        println!();
        for s in self.summary() {
            println!("{s}");
        }
    }

    pub(crate) fn print_markdown(&self) {
        println!();
        println!("| {} |", HEADER.join(" | "));
        let align: String = (0..HEADER.len())
            .map(|i| if i == 0 { "---|" } else { "---:|" })
            .collect();
        println!("|{align}");
        for r in self.cells() {
            println!("| {} |", r.join(" | "));
        }
        println!();
        for s in self.summary() {
            println!("- {s}");
        }
    }
}
