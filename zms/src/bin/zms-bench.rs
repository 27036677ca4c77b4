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

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use hyper::body::Body as _;
use hyper_util::rt::TokioIo;
use model::access::{AccessRequest, CompiledDomain};
use model::zms::{
    Assertion, AssertionEffect, Domain, Group, GroupMember, Policy, Role, RoleMember,
};
use model::{MemberName, Timestamp};
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
struct Args {
    /// Tenant domains to load (at least 2: each delegates to its neighbour).
    #[arg(long, default_value_t = 10_000)]
    domains: usize,
    /// Concurrent keep-alive HTTPS connections, one client task each.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Measured seconds per HTTP row (the evaluator row runs for the same time).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Unmeasured seconds of load before each HTTP row.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// The zms-server binary (default: `zms-server` next to this executable).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Dev state directory; must not hold a store yet (default: a fresh temporary directory,
    /// removed at the end).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Also print the result as a markdown table for docs/benchmarks.md.
    #[arg(long)]
    markdown: bool,
    /// Domains per store commit while preloading.
    #[arg(long, default_value_t = 500)]
    batch: usize,
}

fn main() -> std::process::ExitCode {
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

async fn run(args: Args) -> Result<()> {
    ensure!(args.domains >= 2, "--domains must be at least 2");
    ensure!(args.connections >= 1, "--connections must be at least 1");
    ensure!(
        args.duration > 0.0 && args.warmup >= 0.0,
        "--duration must be positive and --warmup not negative"
    );
    ensure!(args.batch >= 1, "--batch must be at least 1");
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
    let (access, conns) = load_phase(conns, &mix, Target::Access, warmup, duration, pid).await?;
    eprintln!("zms-bench: GET /status, same connections");
    let (status, _conns) = load_phase(conns, &mix, Target::Status, warmup, duration, pid).await?;
    eprintln!("zms-bench: model::access::check in process, 1 thread");
    let eval = {
        let mix = Arc::clone(&mix);
        tokio::task::spawn_blocking(move || eval_phase(&world, &mix, duration)).await??
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
struct StateDir {
    path: PathBuf,
    remove: bool,
}

impl StateDir {
    fn new(given: Option<PathBuf>) -> Result<Self> {
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
struct ServerProc {
    child: Child,
    addr: SocketAddr,
}

impl ServerProc {
    fn start(bin: &Path, dir: &Path) -> Result<Self> {
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
async fn wait_ready(addr: SocketAddr, tls: &TlsConnector) -> Result<()> {
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

// ---------------------------------------------------------------------------------------------
// Data set

fn domain_name(i: usize) -> String {
    format!("benchd{i:05}")
}

fn member(text: &str) -> Result<RoleMember> {
    Ok(RoleMember::new(MemberName::parse(text)?))
}

fn allow(role: String, action: &str, resource: String) -> Assertion {
    Assertion {
        role,
        resource,
        action: action.to_string(),
        effect: Some(AssertionEffect::Allow),
        id: None,
        case_sensitive: None,
    }
}

/// Tenant domain `i` of `n`: the admin role and policy every domain gets, plus
/// - `readers`: 20 users `user.u0`..`user.u19`; `blocked`: `user.u3`;
/// - `writers`: the wildcard `benchdNNNNN.*` (every service of the domain);
/// - `ops`: the group `benchdNNNNN:group.oncall` (`user.o0`..`user.o4`);
/// - `delegated`: no members, `trust` = the next domain, whose `trust` policy lets its
///   `partners` (`user.p0`..`user.p4`) assume this domain's `delegated` role;
/// - policy `app`: read/write on `articles.*`, a DENY of `articles.secret*` for `blocked`, deploy
///   on `ops.*`, manage on `delegated.*`, a role glob `role.read*` and a `?` glob.
fn tenant_doc(i: usize, n: usize, now: Timestamp) -> Result<DomainDoc> {
    let d = domain_name(i);
    let next = domain_name((i + 1) % n);
    let prev = domain_name((i + n - 1) % n);
    let admin = MemberName::parse(zms::dev::ADMIN_PRINCIPAL)?;
    let mut doc = DomainDoc::new(&d, Domain::default(), &[admin], now);
    let role_name = |r: &str| format!("{d}:role.{r}");
    let mut add_role = |name: &str, members: Vec<RoleMember>, trust: Option<String>| {
        let full = role_name(name);
        doc.roles.insert(
            full.clone(),
            Role {
                name: full,
                modified: Some(now),
                role_members: Some(members),
                trust,
                ..Role::default()
            },
        );
    };
    let readers = (0..20)
        .map(|u| member(&format!("user.u{u}")))
        .collect::<Result<Vec<_>>>()?;
    add_role("readers", readers, None);
    add_role("blocked", vec![member("user.u3")?], None);
    add_role("writers", vec![member(&format!("{d}.*"))?], None);
    add_role("ops", vec![member(&format!("{d}:group.oncall"))?], None);
    add_role("delegated", Vec::new(), Some(next));
    let partners = (0..5)
        .map(|u| member(&format!("user.p{u}")))
        .collect::<Result<Vec<_>>>()?;
    add_role("partners", partners, None);

    let group = format!("{d}:group.oncall");
    let group_members = (0..5)
        .map(|u| {
            Ok(GroupMember {
                member_name: MemberName::parse(&format!("user.o{u}"))?,
                group_name: None,
                expiration: None,
                active: None,
                approved: None,
                audit_ref: None,
                system_disabled: None,
                principal_type: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    doc.groups.insert(
        group.clone(),
        Group {
            name: group,
            modified: Some(now),
            group_members: Some(group_members),
            ..Group::default()
        },
    );

    let app = format!("{d}:policy.app");
    let trust = format!("{d}:policy.trust");
    for p in [&app, &trust] {
        doc.policies.insert(
            p.clone(),
            Policy {
                name: p.clone(),
                modified: Some(now),
                ..Policy::default()
            },
        );
    }
    let app_assertions = [
        allow(role_name("readers"), "read", format!("{d}:articles.*")),
        allow(role_name("writers"), "write", format!("{d}:articles.*")),
        Assertion {
            effect: Some(AssertionEffect::Deny),
            ..allow(
                role_name("blocked"),
                "read",
                format!("{d}:articles.secret*"),
            )
        },
        allow(role_name("ops"), "deploy", format!("{d}:ops.*")),
        allow(role_name("delegated"), "manage", format!("{d}:delegated.*")),
        allow(role_name("read*"), "list", format!("{d}:public.*")),
        allow(role_name("writers"), "read", format!("{d}:reports.????")),
    ];
    for a in app_assertions {
        doc.add_assertion(&app, a);
    }
    doc.add_assertion(
        &trust,
        allow(
            role_name("partners"),
            "assume_role",
            format!("{prev}:role.delegated"),
        ),
    );
    Ok(doc)
}

/// Inserts the documents in batches of `batch` per transaction.
async fn preload(dir: &Path, docs: &[DomainDoc], batch: usize) -> Result<()> {
    let url = format!("sqlite:{}", dir.join("zms.db").display());
    let store: Arc<dyn Store> = zms_store::open(&url)
        .await
        .with_context(|| format!("opening {url}"))?;
    if let Some(first) = docs.first() {
        ensure!(
            store.get(first.name()).await?.is_none(),
            "{url} already holds bench domains; give a fresh --state-dir"
        );
    }
    for chunk in docs.chunks(batch) {
        let ops = chunk
            .iter()
            .map(|d| {
                Ok(Op::Put {
                    name: d.name().to_string(),
                    expected_version: None,
                    modified_ms: d.domain.modified.unwrap_or_default().millis(),
                    document: serde_json::to_string(d)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        store.commit(&ops, &[]).await?;
    }
    Ok(())
}

/// The request kinds of the mix, with the decision each must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Direct,
    Wildcard,
    Group,
    Deny,
    NoMatch,
    Delegated,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Direct,
        Kind::Wildcard,
        Kind::Group,
        Kind::Deny,
        Kind::NoMatch,
        Kind::Delegated,
    ];

    fn expected(self) -> bool {
        !matches!(self, Kind::Deny | Kind::NoMatch)
    }

    /// (principal, action, resource) in domain `d`.
    fn request(self, d: &str) -> (String, &'static str, String) {
        match self {
            Kind::Direct => ("user.u7".into(), "read", format!("{d}:articles.x")),
            Kind::Wildcard => (format!("{d}.api"), "write", format!("{d}:articles.x")),
            Kind::Group => ("user.o2".into(), "deploy", format!("{d}:ops.x")),
            Kind::Deny => ("user.u3".into(), "read", format!("{d}:articles.secret1")),
            Kind::NoMatch => ("user.u7".into(), "write", format!("{d}:articles.x")),
            Kind::Delegated => ("user.p1".into(), "manage", format!("{d}:delegated.x")),
        }
    }
}

/// One request of the mix.
struct Check {
    kind: Kind,
    principal: String,
    action: &'static str,
    resource: String,
    path: String,
}

/// `len` requests, kinds in rotation, each on a pseudo-random domain (fixed seed).
fn workload(domains: usize, len: usize) -> Vec<Check> {
    let mut rng = SplitMix64(0x5eed_2024_a7e2);
    (0..len)
        .map(|i| {
            let kind = Kind::ALL[i % Kind::ALL.len()];
            let d = domain_name((rng.next() % domains as u64) as usize);
            let (principal, action, resource) = kind.request(&d);
            let path = format!("/zms/v1/access/{action}/{resource}?principal={principal}");
            Check {
                kind,
                principal,
                action,
                resource,
                path,
            }
        })
        .collect()
}

/// SplitMix64, enough for picking domains.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn access_request(c: &Check) -> AccessRequest<'_> {
    AccessRequest {
        principal: &c.principal,
        action: c.action,
        resource: &c.resource,
        trust_domain: None,
    }
}

fn verify_evaluator(world: &HashMap<String, Arc<CompiledDomain>>, mix: &[Check]) -> Result<()> {
    let now = Timestamp::now();
    for c in mix {
        let got = model::access::check(world, &access_request(c), now)
            .with_context(|| format!("evaluating {}", c.path))?;
        ensure!(
            got == c.kind.expected(),
            "evaluator: {:?} request {} gave granted={got}, expected {}",
            c.kind,
            c.path,
            c.kind.expected()
        );
    }
    Ok(())
}

/// Every kind, on several domains, answers 200 with the expected `granted` (parsed as JSON).
async fn verify_http(conn: &mut Conn, mix: &[Check]) -> Result<()> {
    for c in mix.iter().take(Kind::ALL.len() * 20) {
        let (status, body) = conn.get(&c.path).await?;
        let text = String::from_utf8_lossy(&body);
        ensure!(status == 200, "GET {}: status {status}: {text}", c.path);
        let v: serde_json::Value =
            serde_json::from_slice(&body).with_context(|| format!("GET {}: {text}", c.path))?;
        let granted = v.get("granted").and_then(serde_json::Value::as_bool);
        ensure!(
            granted == Some(c.kind.expected()),
            "GET {} ({:?}): got {text}, expected granted={}",
            c.path,
            c.kind,
            c.kind.expected()
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// HTTPS client: one hyper HTTP/1.1 connection over rustls per task, kept alive.

fn client_tls(dir: &Path) -> Result<TlsConnector> {
    let mut roots = RootCertStore::empty();
    for c in zms::tls::load_certs(&dir.join(zms::dev::CA_CERT))? {
        roots.add(c)?;
    }
    let certs = zms::tls::load_certs(&dir.join(zms::dev::ADMIN_CERT))?;
    let key = PrivateKeyDer::from_pem_file(dir.join(zms::dev::ADMIN_KEY))
        .context("reading the admin key")?;
    let mut cfg = rustls::ClientConfig::builder_with_provider(zms::tls::provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(certs, key)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(cfg)))
}

struct Conn {
    sender: hyper::client::conn::http1::SendRequest<String>,
    host: String,
    addr: SocketAddr,
    tls: TlsConnector,
}

impl Conn {
    async fn connect(addr: SocketAddr, tls: &TlsConnector) -> Result<Self> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from(addr.ip().to_string())?;
        let stream = tls.connect(name, tcp).await?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self {
            sender,
            host: addr.to_string(),
            addr,
            tls: tls.clone(),
        })
    }

    async fn reconnect(&mut self) -> Result<()> {
        *self = Self::connect(self.addr, &self.tls).await?;
        Ok(())
    }

    /// GET `path`; status and body.
    async fn get(&mut self, path: &str) -> Result<(u16, Vec<u8>)> {
        self.sender.ready().await?;
        let req = hyper::Request::get(path)
            .header(hyper::header::HOST, &self.host)
            .body(String::new())?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        let mut buf = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            if let Ok(data) = frame?.into_data() {
                buf.extend_from_slice(&data);
            }
        }
        Ok((status, buf))
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Access,
    Status,
}

/// Latencies in nanoseconds, sorted.
struct Stats {
    sorted_ns: Vec<u64>,
    seconds: f64,
    errors: u64,
    /// CPU seconds of the server and of this process over the measured window.
    server_cpu: Option<f64>,
    bench_cpu: Option<f64>,
}

impl Stats {
    fn new(mut ns: Vec<u64>, seconds: f64, errors: u64) -> Self {
        ns.sort_unstable();
        Self {
            sorted_ns: ns,
            seconds,
            errors,
            server_cpu: None,
            bench_cpu: None,
        }
    }

    fn rate(&self) -> f64 {
        self.sorted_ns.len() as f64 / self.seconds
    }

    /// Nearest-rank percentile in nanoseconds.
    fn pct(&self, p: f64) -> u64 {
        let n = self.sorted_ns.len();
        if n == 0 {
            return 0;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.sorted_ns[rank.clamp(1, n) - 1]
    }
}

struct TaskResult {
    conn: Conn,
    latencies: Vec<u64>,
    errors: u64,
    warmup_errors: u64,
    first_error: Option<String>,
}

/// Runs every connection flat out for `warmup + duration`; records requests that start and end
/// inside the measured window.
async fn load_phase(
    conns: Vec<Conn>,
    mix: &Arc<Vec<Check>>,
    target: Target,
    warmup: Duration,
    duration: Duration,
    server_pid: u32,
) -> Result<(Stats, Vec<Conn>)> {
    let start = Instant::now();
    let measure_from = start + warmup;
    let measure_to = measure_from + duration;
    let n = conns.len();
    let mut tasks = Vec::with_capacity(n);
    for (i, conn) in conns.into_iter().enumerate() {
        let mix = Arc::clone(mix);
        tasks.push(tokio::spawn(client_task(
            conn,
            mix,
            target,
            i * 7919,
            measure_from,
            measure_to,
        )));
    }
    // CPU accounting over the measured window.
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu0 = (cpu_seconds(server_pid), cpu_seconds_self());
    tokio::time::sleep_until(measure_to.into()).await;
    let cpu1 = (cpu_seconds(server_pid), cpu_seconds_self());

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
    stats.server_cpu = cpu0.0.zip(cpu1.0).map(|(a, b)| b - a);
    stats.bench_cpu = cpu0.1.zip(cpu1.1).map(|(a, b)| b - a);
    Ok((stats, conns))
}

async fn client_task(
    mut conn: Conn,
    mix: Arc<Vec<Check>>,
    target: Target,
    offset: usize,
    measure_from: Instant,
    measure_to: Instant,
) -> TaskResult {
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut errors = 0;
    let mut warmup_errors = 0;
    let mut first_error = None;
    let mut i = offset;
    loop {
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
fn granted(body: &[u8]) -> Option<bool> {
    if body.windows(4).any(|w| w == b"true") {
        Some(true)
    } else if body.windows(5).any(|w| w == b"false") {
        Some(false)
    } else {
        None
    }
}

/// utime+stime of a process from `/proc/<pid>/stat`, assuming the usual 100 ticks per second.
fn cpu_seconds(pid: u32) -> Option<f64> {
    proc_cpu(&format!("/proc/{pid}/stat"))
}

fn cpu_seconds_self() -> Option<f64> {
    proc_cpu("/proc/self/stat")
}

fn proc_cpu(path: &str) -> Option<f64> {
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
fn eval_phase(
    world: &HashMap<String, Arc<CompiledDomain>>,
    mix: &[Check],
    duration: Duration,
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
    let timed = Stats::new(ns, half.as_secs_f64(), errors);

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
    Ok(EvalStats { timed, rate })
}

struct EvalStats {
    timed: Stats,
    /// Decisions per second without per-call timing.
    rate: f64,
}

// ---------------------------------------------------------------------------------------------
// Report

struct Report<'a> {
    args: &'a Args,
    access: Stats,
    status: Stats,
    eval: EvalStats,
}

fn ms(ns: u64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

fn cpu_per_req(cpu: Option<f64>, s: &Stats) -> String {
    match cpu {
        Some(c) if !s.sorted_ns.is_empty() => {
            format!("{:.1} µs", c * 1e6 / s.sorted_ns.len() as f64)
        }
        _ => "n/a".into(),
    }
}

impl Report<'_> {
    fn rows(&self) -> Vec<[String; 9]> {
        let c = self.args.connections;
        let http = |what: String, s: &Stats| {
            [
                what,
                format!("{:.0}", s.rate()),
                ms(s.pct(50.0)),
                ms(s.pct(90.0)),
                ms(s.pct(99.0)),
                ms(s.pct(99.9)),
                s.errors.to_string(),
                cpu_per_req(s.server_cpu, s),
                cpu_per_req(s.bench_cpu, s),
            ]
        };
        let e = &self.eval.timed;
        let nsf = |p: f64| format!("{} ns", e.pct(p));
        vec![
            http(
                format!("GET /zms/v1/access/… over HTTPS, {c} keep-alive conns"),
                &self.access,
            ),
            http(
                format!("GET /zms/v1/status over the same {c} conns (HTTP+TLS floor)"),
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
            ],
        ]
    }

    const HEADER: [&'static str; 9] = [
        "measurement",
        "req/s",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "errors",
        "server CPU/req",
        "bench CPU/req",
    ];

    fn summary(&self) -> Vec<String> {
        let a = &self.access;
        let met = a.rate() >= 20_000.0 && a.pct(99.0) < 2_000_000 && a.errors == 0;
        vec![
            format!(
                "{} tenant domains, {} connections, {:.0} s measured after {:.0} s warmup; \
                 the load generator runs in the same process on the same cores as the server.",
                self.args.domains, self.args.connections, self.args.duration, self.args.warmup
            ),
            format!(
                "request mix: direct member, wildcard member, group member, DENY, no match, \
                 delegated (trust), in rotation over random domains; {} access checks measured.",
                a.sorted_ns.len()
            ),
            format!(
                "goal (>= 20000 checks/s and p99 < 2 ms): {} ({:.0}/s, p99 {})",
                if met { "MET" } else { "NOT MET" },
                a.rate(),
                ms(a.pct(99.0))
            ),
        ]
    }

    fn print_text(&self) {
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

    fn print_markdown(&self) {
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
            println!("{s}");
        }
    }
}
