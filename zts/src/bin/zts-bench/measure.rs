//! Measurement: closed-loop load phases over client workers, latency percentiles, and the CPU
//! each party used over the measured window (Linux `/proc`).

use anyhow::{Result, bail};
use std::time::{Duration, Instant};

/// Warmup and measured time of each row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) warmup: Duration,
    pub(crate) duration: Duration,
}

/// One client task: sends its next request as soon as the previous answer arrived.
#[async_trait::async_trait]
pub(crate) trait Worker: Send + 'static {
    /// One request, its answer checked; `Err` is counted as an error.
    async fn once(&mut self) -> Result<()>;
}

/// Processes whose CPU is accounted: the server measured, and others of ours (ZMS) that should
/// stay idle but are counted apart from "other load".
#[derive(Debug, Clone, Default)]
pub(crate) struct Pids {
    pub(crate) server: Option<u32>,
    pub(crate) aux: Vec<u32>,
}

/// Latencies in nanoseconds, sorted, and the CPU split of the window.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) sorted_ns: Vec<u64>,
    pub(crate) seconds: f64,
    pub(crate) errors: u64,
    pub(crate) cpu: CpuUse,
}

impl Stats {
    pub(crate) fn new(mut ns: Vec<u64>, seconds: f64, errors: u64, cpu: CpuUse) -> Self {
        ns.sort_unstable();
        Self {
            sorted_ns: ns,
            seconds,
            errors,
            cpu,
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.sorted_ns.len()
    }

    pub(crate) fn rate(&self) -> f64 {
        self.count() as f64 / self.seconds
    }

    /// Nearest-rank percentile in nanoseconds.
    pub(crate) fn pct(&self, p: f64) -> u64 {
        let n = self.sorted_ns.len();
        if n == 0 {
            return 0;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.sorted_ns[rank.clamp(1, n) - 1]
    }
}

struct TaskResult {
    latencies: Vec<u64>,
    errors: u64,
    warmup_errors: u64,
    first_error: Option<String>,
}

/// Runs every worker for `warmup + duration`; records requests that start and end inside the
/// measured window. Any error during the warmup fails the row.
pub(crate) async fn run_phase(
    what: &str,
    workers: Vec<Box<dyn Worker>>,
    plan: Plan,
    pids: &Pids,
) -> Result<Stats> {
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let measure_to = measure_from + plan.duration;
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|w| tokio::spawn(worker_loop(w, measure_from, measure_to)))
        .collect();
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu0 = CpuSample::take(pids);
    tokio::time::sleep_until(measure_to.into()).await;
    let cpu1 = CpuSample::take(pids);

    let mut all = Vec::new();
    let (mut errors, mut warmup_errors, mut first_error) = (0, 0, None);
    for t in tasks {
        let r = t.await?;
        all.extend(r.latencies);
        errors += r.errors;
        warmup_errors += r.warmup_errors;
        first_error = first_error.or(r.first_error);
    }
    if warmup_errors > 0 {
        bail!(
            "{warmup_errors} failed requests during the warmup of {what} (first: {}); the \
             figures would be meaningless",
            first_error.unwrap_or_default()
        );
    }
    if let Some(e) = &first_error {
        eprintln!("zts-bench: {errors} errors in {what}, first: {e}");
    }
    Ok(Stats::new(
        all,
        plan.duration.as_secs_f64(),
        errors,
        cpu1.since(&cpu0),
    ))
}

async fn worker_loop(
    mut worker: Box<dyn Worker>,
    measure_from: Instant,
    measure_to: Instant,
) -> TaskResult {
    let mut r = TaskResult {
        latencies: Vec::with_capacity(1 << 14),
        errors: 0,
        warmup_errors: 0,
        first_error: None,
    };
    loop {
        let t0 = Instant::now();
        if t0 >= measure_to {
            break;
        }
        let outcome = worker.once().await;
        let t1 = Instant::now();
        match outcome {
            Ok(()) => {
                if t0 >= measure_from && t1 <= measure_to {
                    r.latencies
                        .push(u64::try_from((t1 - t0).as_nanos()).unwrap_or(u64::MAX));
                }
            }
            Err(e) => {
                if t0 < measure_from {
                    r.warmup_errors += 1;
                } else {
                    r.errors += 1;
                }
                r.first_error.get_or_insert_with(|| format!("{e:#}"));
                // Do not spin on a dead server.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    r
}

/// Name of the thread the in-process provider runs on (its CPU is read from its /proc entry).
pub(crate) const PROVIDER_THREAD: &str = "zts-provider";

/// Cumulative CPU seconds (Linux `/proc`, assuming the usual 100 ticks per second).
#[derive(Debug, Clone)]
pub(crate) struct CpuSample {
    server: Option<f64>,
    aux: Option<f64>,
    provider: Option<f64>,
    bench: Option<f64>,
    machine: Option<f64>,
    at: Instant,
}

/// CPU seconds used between two samples. `bench` excludes the provider thread; `other` is every
/// other process and kernel thread (a compiler next to the benchmark would disturb it).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuUse {
    pub(crate) server: Option<f64>,
    pub(crate) aux: Option<f64>,
    pub(crate) provider: Option<f64>,
    pub(crate) bench: Option<f64>,
    pub(crate) other: Option<f64>,
    /// Wall-clock seconds between the samples.
    pub(crate) wall: f64,
}

impl CpuSample {
    pub(crate) fn take(pids: &Pids) -> Self {
        let aux = pids
            .aux
            .iter()
            .map(|p| proc_cpu(&format!("/proc/{p}/stat")))
            .sum::<Option<f64>>();
        Self {
            server: pids
                .server
                .and_then(|p| proc_cpu(&format!("/proc/{p}/stat"))),
            aux,
            provider: thread_cpu(PROVIDER_THREAD),
            bench: proc_cpu("/proc/self/stat"),
            machine: machine_busy(),
            at: Instant::now(),
        }
    }

    pub(crate) fn since(&self, before: &Self) -> CpuUse {
        let d = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a - b);
        let server = d(self.server, before.server);
        let aux = d(self.aux, before.aux);
        let provider = d(self.provider, before.provider);
        let total_bench = d(self.bench, before.bench);
        let bench = total_bench.map(|b| (b - provider.unwrap_or(0.0)).max(0.0));
        let other = d(self.machine, before.machine)
            .zip(total_bench)
            .map(|(m, b)| (m - b - server.unwrap_or(0.0) - aux.unwrap_or(0.0)).max(0.0));
        CpuUse {
            server,
            aux,
            provider,
            bench,
            other,
            wall: (self.at - before.at).as_secs_f64(),
        }
    }
}

/// Busy seconds of all CPUs from the first line of `/proc/stat`.
fn machine_busy() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    let busy = v.get(0..3)?.iter().sum::<u64>() + v.get(5..8)?.iter().sum::<u64>();
    Some(busy as f64 / 100.0)
}

/// utime + stime of a `/proc/.../stat` file, in seconds.
fn proc_cpu(path: &str) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let (_, rest) = text.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state is field 3, utime 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// CPU of this process's threads named `name`.
fn thread_cpu(name: &str) -> Option<f64> {
    let mut total = None;
    for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let dir = entry.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end() == name {
            let cpu = proc_cpu(&dir.join("stat").to_string_lossy())?;
            total = Some(total.unwrap_or(0.0) + cpu);
        }
    }
    total
}
