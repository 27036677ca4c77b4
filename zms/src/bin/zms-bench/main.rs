//! `zms-bench`: throughput and latency of the central access check, `GET /zms/v1/access/...`, over
//! HTTPS keep-alive connections with client certificates, against the real `zms-server` binary
//! loaded with many tenant domains.
//!
//! Three rows are measured in the same run so the figure can be judged against its bounds:
//! `GET /access` (the server's work: TLS, HTTP, routing, name parsing, evaluation, JSON),
//! `GET /status` over the same connections (the HTTP+TLS floor, no evaluation) and the
//! in-process evaluator `model::access::check` alone on the same domains (the evaluation bound).
//!
//! The load generator runs in this process on the same machine, so it competes with the server
//! for the same cores: the HTTP figures are a lower bound of what the server does alone.
//!
//! Steps: start `zms-server --dev` once on a fresh state directory (certificates and `sys`
//! domains), stop it, insert the tenant domains straight into its SQLite store in large batches,
//! restart it, check that every request kind gets its expected decision, then measure.

mod client;
mod dataset;
mod measure;
mod report;

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use client::*;
use dataset::*;
use hyper::body::Body as _;
use hyper_util::rt::TokioIo;
use measure::*;
use model::access::{AccessRequest, CompiledDomain};
use model::zms::{
    Assertion, AssertionEffect, Domain, Group, GroupMember, Policy, Role, RoleMember,
};
use model::{MemberName, Timestamp};
use report::*;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, ServerName};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use zms::doc::DomainDoc;
use zms_store::{Op, Store};

/// Access-check benchmark of zms-server (HTTPS keep-alive, client certificates).
#[derive(Debug, Parser)]
#[command(name = "zms-bench")]
pub(crate) struct Args {
    /// Tenant domains to load (at least 2: each delegates to its neighbour).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) domains: usize,
    /// Concurrent keep-alive HTTPS connections, one client task each.
    #[arg(long, default_value_t = 32)]
    pub(crate) connections: usize,
    /// Measured seconds per HTTP row (the evaluator row runs for the same time).
    #[arg(long, default_value_t = 10.0)]
    pub(crate) duration: f64,
    /// Unmeasured seconds of load before each HTTP row.
    #[arg(long, default_value_t = 2.0)]
    pub(crate) warmup: f64,
    /// The zms-server binary (default: `zms-server` next to this executable).
    #[arg(long)]
    pub(crate) server: Option<PathBuf>,
    /// Dev state directory; must not hold a store yet (default: a fresh temporary directory,
    /// removed at the end).
    #[arg(long)]
    pub(crate) state_dir: Option<PathBuf>,
    /// Open loop: offer this many requests per second in total, spread evenly over the
    /// connections (paced by tokio's 1 ms timer, so they leave in small bursts). 0 (default):
    /// closed loop, each connection sends its next request as soon as the answer arrives.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) rate: f64,
    /// Also print the result as a markdown table for docs/benchmarks.md.
    #[arg(long)]
    pub(crate) markdown: bool,
    /// Domains per store commit while preloading.
    #[arg(long, default_value_t = 500)]
    pub(crate) batch: usize,
}

pub(crate) fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zms-bench: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zms-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Orchestration

pub(crate) async fn run(args: Args) -> Result<()> {
    ensure!(args.domains >= 2, "--domains must be at least 2");
    ensure!(args.connections >= 1, "--connections must be at least 1");
    ensure!(
        args.duration > 0.0 && args.warmup >= 0.0,
        "--duration must be positive and --warmup not negative"
    );
    ensure!(args.batch >= 1, "--batch must be at least 1");
    ensure!(args.rate >= 0.0, "--rate must not be negative");
    let server_bin = match &args.server {
        Some(p) => p.clone(),
        None => std::env::current_exe()
            .context("locating this executable")?
            .with_file_name("zms-server"),
    };
    ensure!(
        server_bin.is_file(),
        "no zms-server at {} (build it: cargo build --release -p zms --bin zms-server, or pass --server)",
        server_bin.display()
    );
    let state = StateDir::new(args.state_dir.clone())?;
    let dir = state.path.clone();
    ensure!(
        !dir.join("zms.db").exists(),
        "{} already holds a store; give a fresh --state-dir",
        dir.display()
    );
    let duration = Duration::from_secs_f64(args.duration);
    let warmup = Duration::from_secs_f64(args.warmup);

    // 1. Dev state: certificates and the bootstrapped sys domains.
    eprintln!("zms-bench: creating dev state in {}", dir.display());
    {
        let first = ServerProc::start(&server_bin, &dir)?;
        let tls = client_tls(&dir)?;
        wait_ready(first.addr, &tls).await?;
    }

    // 2. Tenant domains, straight into the store.
    let now = Timestamp::now();
    let t = Instant::now();
    let docs: Vec<DomainDoc> = (0..args.domains)
        .map(|i| tenant_doc(i, args.domains, now))
        .collect::<Result<_>>()?;
    preload(&dir, &docs, args.batch).await?;
    eprintln!(
        "zms-bench: stored {} tenant domains in {:.1} s",
        docs.len(),
        t.elapsed().as_secs_f64()
    );

    // 3. The server on the loaded store.
    let t = Instant::now();
    let server = ServerProc::start(&server_bin, &dir)?;
    let tls = client_tls(&dir)?;
    wait_ready(server.addr, &tls).await?;
    eprintln!(
        "zms-bench: zms-server ready with {} tenant domains after {:.1} s (pid {})",
        args.domains,
        t.elapsed().as_secs_f64(),
        server.child.id()
    );

    // 4. Workload, and the evaluator's answer for each request kind must be the expected one.
    let world: HashMap<String, Arc<CompiledDomain>> = docs
        .iter()
        .map(|d| (d.name().to_string(), Arc::new(d.compile())))
        .collect();
    drop(docs);
    let mix = Arc::new(workload(args.domains, 1 << 16));
    verify_evaluator(&world, &mix)?;

    let mut conns = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        conns.push(Conn::connect(server.addr, &tls).await?);
    }
    verify_http(&mut conns[0], &mix).await?;
    eprintln!("zms-bench: every request kind returns its expected decision over HTTP");

    // 5. Measured rows.
    let pid = server.child.id();
    eprintln!(
        "zms-bench: GET /access, {} connections, {:.0} s warmup + {:.0} s",
        args.connections,
        warmup.as_secs_f64(),
        duration.as_secs_f64()
    );
    let plan = |target| Plan {
        target,
        warmup,
        duration,
        rate: args.rate,
        server_pid: pid,
    };
    let (access, conns) = load_phase(conns, &mix, plan(Target::Access)).await?;
    eprintln!("zms-bench: GET /status, same connections");
    let (status, _conns) = load_phase(conns, &mix, plan(Target::Status)).await?;
    eprintln!("zms-bench: model::access::check in process, 1 thread");
    let eval = {
        let mix = Arc::clone(&mix);
        tokio::task::spawn_blocking(move || eval_phase(&world, &mix, duration, pid)).await??
    };
    drop(server);

    let report = Report {
        args: &args,
        access,
        status,
        eval,
    };
    report.print_text();
    if args.markdown {
        report.print_markdown();
    }
    Ok(())
}

/// The state directory, removed at the end when this program created it.
pub(crate) struct StateDir {
    pub(crate) path: PathBuf,
    pub(crate) remove: bool,
}

impl StateDir {
    pub(crate) fn new(given: Option<PathBuf>) -> Result<Self> {
        let (path, remove) = match given {
            Some(p) => (p, false),
            None => (
                std::env::temp_dir().join(format!("zms-bench-{}", uuid::Uuid::new_v4().simple())),
                true,
            ),
        };
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { path, remove })
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A running `zms-server --dev`, killed on drop (also when the bench fails).
pub(crate) struct ServerProc {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
}

impl ServerProc {
    pub(crate) fn start(bin: &Path, dir: &Path) -> Result<Self> {
        let mut child = Command::new(bin)
            .args(["--dev", "--listen", "127.0.0.1:0", "--state-dir"])
            .arg(dir)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take();
        // From here on the guard owns the child, so every early return kills it.
        let mut guard = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let stdout = stdout.context("zms-server stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keeps draining stdout after the address so the server never blocks on the pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("zms-server listening on https://") {
                    let _ = tx.send(rest.trim_end_matches("/zms/v1").to_string());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(120))
            .context("zms-server did not print its listening address")?;
        guard.addr = addr
            .parse()
            .with_context(|| format!("zms-server address {addr:?}"))?;
        Ok(guard)
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `GET /status` until it answers 200 (the server loads every domain before serving).
pub(crate) async fn wait_ready(addr: SocketAddr, tls: &TlsConnector) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let attempt = async {
            let mut c = Conn::connect(addr, tls).await?;
            c.get("/zms/v1/status").await
        };
        if let Ok(Ok((200, _))) = tokio::time::timeout(Duration::from_secs(10), attempt).await {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "zms-server on {addr} not ready after 300 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
