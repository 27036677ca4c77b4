//! The report: the table printed to stdout, optionally as markdown.

use super::*;

pub(crate) struct Report<'a> {
    pub(crate) args: &'a Args,
    pub(crate) access: Stats,
    pub(crate) status: Stats,
    pub(crate) eval: EvalStats,
}

pub(crate) fn ms(ns: u64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

/// CPU used by other processes during the window, in cores.
pub(crate) fn other_cores(cpu: &CpuUse) -> String {
    match cpu.other {
        Some(o) if cpu.wall > 0.0 => format!("{:.2} cores", o / cpu.wall),
        _ => "n/a".into(),
    }
}

pub(crate) fn cpu_per_req(cpu: Option<f64>, s: &Stats) -> String {
    match cpu {
        Some(c) if !s.sorted_ns.is_empty() => {
            format!("{:.1} µs", c * 1e6 / s.sorted_ns.len() as f64)
        }
        _ => "n/a".into(),
    }
}

impl Report<'_> {
    pub(crate) fn rows(&self) -> Vec<[String; 10]> {
        let c = self.args.connections;
        let mode = if self.args.rate > 0.0 {
            format!(", {:.0}/s offered", self.args.rate)
        } else {
            String::new()
        };
        let http = |what: String, s: &Stats| {
            [
                what,
                format!("{:.0}", s.rate()),
                ms(s.pct(50.0)),
                ms(s.pct(90.0)),
                ms(s.pct(99.0)),
                ms(s.pct(99.9)),
                s.errors.to_string(),
                cpu_per_req(s.cpu.server, s),
                cpu_per_req(s.cpu.bench, s),
                other_cores(&s.cpu),
            ]
        };
        let e = &self.eval.timed;
        let nsf = |p: f64| format!("{} ns", e.pct(p));
        vec![
            http(
                format!("GET /zms/v1/access/… over HTTPS, {c} keep-alive conns{mode}"),
                &self.access,
            ),
            http(
                format!("GET /zms/v1/status, same {c} conns{mode} (HTTP+TLS floor)"),
                &self.status,
            ),
            [
                "model::access::check in process, 1 thread (evaluation bound)".into(),
                format!("{:.0}", self.eval.rate),
                nsf(50.0),
                nsf(90.0),
                nsf(99.0),
                nsf(99.9),
                e.errors.to_string(),
                "–".into(),
                "–".into(),
                other_cores(&e.cpu),
            ],
        ]
    }

    const HEADER: [&'static str; 10] = [
        "measurement",
        "req/s",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "errors",
        "server CPU/req",
        "bench CPU/req",
        "other load",
    ];

    pub(crate) fn summary(&self) -> Vec<String> {
        let a = &self.access;
        let yes = |ok: bool| if ok { "yes" } else { "NO" };
        let fast = a.pct(99.0) < 2_000_000 && a.errors == 0;
        let latency_note = if self.args.rate > 0.0 {
            ""
        } else {
            " (closed loop: latency at saturation; --rate 20000 measures it at the goal rate)"
        };
        let disturbed = [&self.access.cpu, &self.status.cpu, &self.eval.timed.cpu]
            .iter()
            .filter_map(|c| c.other.map(|o| o / c.wall.max(1e-9)))
            .fold(0.0_f64, f64::max);
        let mut out = vec![
            format!(
                "{} tenant domains, {} connections, {}, {:.0} s measured after {:.0} s warmup; \
                 the load generator runs in the same process on the same cores as the server.",
                self.args.domains,
                self.args.connections,
                if self.args.rate > 0.0 {
                    format!(
                        "open loop at {:.0} requests/s offered in total",
                        self.args.rate
                    )
                } else {
                    "closed loop (each connection sends as soon as its previous answer arrives)"
                        .to_string()
                },
                self.args.duration,
                self.args.warmup
            ),
            format!(
                "request mix: direct member, wildcard member, group member, DENY, no match, \
                 delegated (trust), in rotation over random domains; {} access checks measured.",
                a.sorted_ns.len()
            ),
            format!(
                "goal: >= 20000 checks/s: {} ({:.0}/s); p99 < 2 ms: {} ({}){latency_note}",
                yes(a.rate() >= 20_000.0),
                a.rate(),
                yes(fast),
                ms(a.pct(99.0))
            ),
            format!(
                "server CPU/req and bench CPU/req: CPU time (user+system) of zms-server and of \
                 this process over the window divided by the requests; other load: CPU used by \
                 every other process and kernel thread (loopback network work deferred to \
                 ksoftirqd shows up here), in cores ({} online).",
                std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
            ),
        ];
        if disturbed > 0.2 {
            out.push(format!(
                "WARNING: other processes used up to {disturbed:.2} cores during a measurement; \
                 the figures are disturbed, rerun on a quiet machine."
            ));
        }
        out
    }

    pub(crate) fn print_text(&self) {
        let rows = self.rows();
        let mut widths = Self::HEADER.map(str::len);
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
                    if i == 0 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect();
            println!("{}", parts.join("  "));
        };
        println!();
        line(Self::HEADER.to_vec());
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
        println!("| {} |", Self::HEADER.join(" | "));
        println!(
            "|{}",
            Self::HEADER
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
                .collect::<String>()
        );
        for r in self.rows() {
            println!("| {} |", r.join(" | "));
        }
        println!();
        for s in self.summary() {
            println!("- {s}");
        }
    }
}
