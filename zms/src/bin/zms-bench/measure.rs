//! Measurement: the HTTP rows (access, status) and the in-process evaluator row.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Access,
    Status,
}

/// Latencies in nanoseconds, sorted.
pub(crate) struct Stats {
    pub(crate) sorted_ns: Vec<u64>,
    pub(crate) seconds: f64,
    pub(crate) errors: u64,
    /// CPU used over the measured window.
    pub(crate) cpu: CpuUse,
}

impl Stats {
    pub(crate) fn new(mut ns: Vec<u64>, seconds: f64, errors: u64) -> Self {
        ns.sort_unstable();
        Self {
            sorted_ns: ns,
            seconds,
            errors,
            cpu: CpuUse::default(),
        }
    }

    pub(crate) fn rate(&self) -> f64 {
        self.sorted_ns.len() as f64 / self.seconds
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

pub(crate) struct TaskResult {
    pub(crate) conn: Conn,
    pub(crate) latencies: Vec<u64>,
    pub(crate) errors: u64,
    pub(crate) warmup_errors: u64,
    pub(crate) first_error: Option<String>,
}

/// One HTTP row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) target: Target,
    pub(crate) warmup: Duration,
    pub(crate) duration: Duration,
    /// Total offered requests per second; 0 for closed loop.
    pub(crate) rate: f64,
    pub(crate) server_pid: u32,
}

/// When a connection sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) measure_from: Instant,
    pub(crate) measure_to: Instant,
    /// Open loop: first send time and the interval between sends.
    pub(crate) pace: Option<(Instant, Duration)>,
}

/// Runs every connection for `warmup + duration` (flat out, or paced at `rate`); records
/// requests that start and end inside the measured window.
pub(crate) async fn load_phase(
    conns: Vec<Conn>,
    mix: &Arc<Vec<Check>>,
    plan: Plan,
) -> Result<(Stats, Vec<Conn>)> {
    let Plan {
        target,
        warmup,
        duration,
        rate,
        server_pid,
    } = plan;
    let start = Instant::now();
    let measure_from = start + warmup;
    let measure_to = measure_from + duration;
    let n = conns.len();
    let interval = (rate > 0.0).then(|| Duration::from_secs_f64(n as f64 / rate));
    let mut tasks = Vec::with_capacity(n);
    for (i, conn) in conns.into_iter().enumerate() {
        let mix = Arc::clone(mix);
        // Connections start staggered over one interval.
        let pace = interval.map(|iv| (start + iv.mul_f64(i as f64 / n as f64), iv));
        let window = Window {
            measure_from,
            measure_to,
            pace,
        };
        tasks.push(tokio::spawn(client_task(
            conn,
            mix,
            target,
            i * 7919,
            window,
        )));
    }
    // CPU accounting over the measured window.
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu0 = CpuSample::take(server_pid);
    tokio::time::sleep_until(measure_to.into()).await;
    let cpu1 = CpuSample::take(server_pid);

    let mut all = Vec::new();
    let mut errors = 0;
    let mut warmup_errors = 0;
    let mut first_error = None;
    let mut conns = Vec::with_capacity(n);
    for t in tasks {
        let r = t.await?;
        all.extend(r.latencies);
        errors += r.errors;
        warmup_errors += r.warmup_errors;
        first_error = first_error.or(r.first_error);
        conns.push(r.conn);
    }
    if warmup_errors > 0 {
        bail!(
            "{warmup_errors} failed or wrong answers during warmup of {target:?} (first: {}); \
             the figures would be meaningless",
            first_error.unwrap_or_default()
        );
    }
    if let Some(e) = &first_error {
        eprintln!("zms-bench: {errors} errors in {target:?}, first: {e}");
    }
    let mut stats = Stats::new(all, duration.as_secs_f64(), errors);
    stats.cpu = cpu1.since(&cpu0);
    Ok((stats, conns))
}

pub(crate) async fn client_task(
    mut conn: Conn,
    mix: Arc<Vec<Check>>,
    target: Target,
    offset: usize,
    window: Window,
) -> TaskResult {
    let Window {
        measure_from,
        measure_to,
        pace,
    } = window;
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut errors = 0;
    let mut warmup_errors = 0;
    let mut first_error = None;
    let mut i = offset;
    let mut sent: u32 = 0;
    loop {
        if let Some((first, interval)) = pace {
            let due = first + interval * sent;
            if due >= measure_to {
                break;
            }
            // Late (the previous answer took longer than the interval): send at once.
            tokio::time::sleep_until(due.into()).await;
            sent = sent.saturating_add(1);
        }
        let t0 = Instant::now();
        if t0 >= measure_to {
            break;
        }
        let c = &mix[i % mix.len()];
        i += 1;
        let path = match target {
            Target::Access => c.path.as_str(),
            Target::Status => "/zms/v1/status",
        };
        let outcome = conn.get(path).await;
        let t1 = Instant::now();
        let problem = match &outcome {
            Err(e) => Some(format!("GET {path}: {e:#}")),
            Ok((status, _)) if *status != 200 => Some(format!("GET {path}: status {status}")),
            Ok((_, body))
                if target == Target::Access && granted(body) != Some(c.kind.expected()) =>
            {
                Some(format!(
                    "GET {path}: {:?} expected granted={}, got {}",
                    c.kind,
                    c.kind.expected(),
                    String::from_utf8_lossy(body)
                ))
            }
            Ok(_) => None,
        };
        match problem {
            None => {
                if t0 >= measure_from && t1 <= measure_to {
                    latencies.push(u64::try_from((t1 - t0).as_nanos()).unwrap_or(u64::MAX));
                }
            }
            Some(p) => {
                if t0 < measure_from {
                    warmup_errors += 1;
                } else {
                    errors += 1;
                }
                first_error.get_or_insert(p);
                if outcome.is_err() && conn.reconnect().await.is_err() {
                    break;
                }
            }
        }
    }
    TaskResult {
        conn,
        latencies,
        errors,
        warmup_errors,
        first_error,
    }
}

/// The decision in a `{"granted":…}` body without a full JSON parse (verified by JSON parsing
/// before the run).
pub(crate) fn granted(body: &[u8]) -> Option<bool> {
    if body.windows(4).any(|w| w == b"true") {
        Some(true)
    } else if body.windows(5).any(|w| w == b"false") {
        Some(false)
    } else {
        None
    }
}

/// Cumulative CPU seconds (Linux `/proc`, assuming the usual 100 ticks per second).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuSample {
    pub(crate) server: Option<f64>,
    pub(crate) bench: Option<f64>,
    /// Busy time of the whole machine, every process and interrupt handling included.
    pub(crate) machine: Option<f64>,
    pub(crate) at: Instant,
}

/// CPU seconds used between two samples; `other` is everything but the server and this process
/// (e.g. a compiler running next to the benchmark, which would disturb it).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuUse {
    pub(crate) server: Option<f64>,
    pub(crate) bench: Option<f64>,
    pub(crate) other: Option<f64>,
    /// Wall-clock seconds between the samples.
    pub(crate) wall: f64,
}

impl CpuSample {
    pub(crate) fn take(server_pid: u32) -> Self {
        Self {
            server: proc_cpu(&format!("/proc/{server_pid}/stat")),
            bench: proc_cpu("/proc/self/stat"),
            machine: machine_busy(),
            at: Instant::now(),
        }
    }

    pub(crate) fn since(&self, before: &Self) -> CpuUse {
        let d = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a - b);
        let server = d(self.server, before.server);
        let bench = d(self.bench, before.bench);
        let other = d(self.machine, before.machine)
            .zip(server.zip(bench))
            .map(|(m, (s, b))| (m - s - b).max(0.0));
        CpuUse {
            server,
            bench,
            other,
            wall: (self.at - before.at).as_secs_f64(),
        }
    }
}

/// Busy seconds of all CPUs from the first line of `/proc/stat`.
pub(crate) fn machine_busy() -> Option<f64> {
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

pub(crate) fn proc_cpu(path: &str) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let (_, rest) = text.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state is field 3, utime 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// The evaluator alone, one thread: a timed pass for percentiles (includes two `Instant::now`
/// per call) and an untimed pass for throughput, each half of `duration`.
pub(crate) fn eval_phase(
    world: &HashMap<String, Arc<CompiledDomain>>,
    mix: &[Check],
    duration: Duration,
    server_pid: u32,
) -> Result<EvalStats> {
    let reqs: Vec<(AccessRequest<'_>, bool)> = mix
        .iter()
        .map(|c| (access_request(c), c.kind.expected()))
        .collect();
    let now = Timestamp::now();
    let half = duration / 2;

    // Warm caches.
    for (r, _) in &reqs {
        std::hint::black_box(model::access::check(world, r, now)?);
    }

    let cpu0 = CpuSample::take(server_pid);
    let mut ns = Vec::with_capacity(1 << 22);
    let end = Instant::now() + half;
    let mut errors = 0;
    'timed: loop {
        for (r, want) in &reqs {
            let t0 = Instant::now();
            let got = model::access::check(world, std::hint::black_box(r), now)?;
            let t1 = Instant::now();
            if got != *want {
                errors += 1;
            }
            ns.push(u64::try_from((t1 - t0).as_nanos()).unwrap_or(u64::MAX));
            if t1 >= end {
                break 'timed;
            }
        }
    }
    let mut timed = Stats::new(ns, half.as_secs_f64(), errors);

    let start = Instant::now();
    let mut count: u64 = 0;
    loop {
        for chunk in reqs.chunks(1024) {
            for (r, _) in chunk {
                std::hint::black_box(model::access::check(world, std::hint::black_box(r), now)?);
            }
            count += chunk.len() as u64;
        }
        if start.elapsed() >= half {
            break;
        }
    }
    let rate = count as f64 / start.elapsed().as_secs_f64();
    timed.cpu = CpuSample::take(server_pid).since(&cpu0);
    Ok(EvalStats { timed, rate })
}

pub(crate) struct EvalStats {
    pub(crate) timed: Stats,
    /// Decisions per second without per-call timing.
    pub(crate) rate: f64,
}
