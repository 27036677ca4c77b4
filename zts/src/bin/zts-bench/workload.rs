//! The ZTS rows: register over keep-alive HTTPS, and refresh on a new mTLS connection each time,
//! each client task chaining the refreshes of its own instance. Also the keep-alive signing
//! worker the peer rows use.

use crate::Args;
use crate::client::{self, Answer, Conn, contains};
use crate::measure::{Pids, Plan, Stats, Worker, run_phase};
use crate::report::Row;
use crate::world::{Csr, PROVIDER, World, identity_cert, make_csr};
use anyhow::{Context, Result, ensure};
use rustls::RootCertStore;
use rustls::sign::SigningKey;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;

/// Signs CSRs over one keep-alive connection: POST `path` with the next body, cycling through
/// `bodies` (worker `i` of `n` takes `i`, `i + n`, …), expecting `status` and `marker`.
pub(crate) struct SignWorker {
    pub(crate) conn: Conn,
    pub(crate) path: String,
    pub(crate) headers: Vec<(&'static str, &'static str)>,
    pub(crate) bodies: Arc<Vec<String>>,
    pub(crate) next: usize,
    pub(crate) step: usize,
    pub(crate) status: u16,
    pub(crate) marker: &'static [u8],
}

#[async_trait::async_trait]
impl Worker for SignWorker {
    async fn once(&mut self) -> Result<()> {
        let body = &self.bodies[self.next % self.bodies.len()];
        self.next += self.step;
        let answer = match self.conn.call(&self.path, body, &self.headers).await {
            Ok(a) => a,
            Err(e) => {
                let _ = self.conn.reconnect().await;
                return Err(e);
            }
        };
        check(&answer, self.status, self.marker)
    }
}

fn check(a: &Answer, status: u16, marker: &[u8]) -> Result<()> {
    ensure!(
        a.status == status && contains(&a.body, marker),
        "status {} (expected {status}): {}",
        a.status,
        a.text()
    );
    Ok(())
}

/// Checks a signed certificate (PEM) names the CSR's subject.
pub(crate) fn check_cert(pem: &str) -> Result<()> {
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).context("certificate PEM")?;
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).context("certificate")?;
    let cn = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|c| c.as_str().ok());
    ensure!(
        cn == Some("weather.api"),
        "certificate CN {cn:?}, expected weather.api"
    );
    Ok(())
}

/// Opens `n` keep-alive connections.
pub(crate) async fn connect_all(
    addr: SocketAddr,
    tls: &tokio_rustls::TlsConnector,
    n: usize,
) -> Result<Vec<Conn>> {
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        conns.push(Conn::connect(addr, tls).await?);
    }
    Ok(conns)
}

fn register_body(csr: &Csr) -> String {
    json!({"provider": PROVIDER, "domain": "weather", "service": "api",
        "attestationData": "ok", "csr": csr.pem})
    .to_string()
}

fn zts_pids(world: &World) -> Pids {
    Pids {
        server: Some(world.zts.pid()),
        aux: vec![world.zms.pid()],
    }
}

/// Register over keep-alive connections without client certificate: CSR checks, provider
/// callback (keep-alive HTTPS to the in-process provider), signing and the record stored.
pub(crate) async fn zts_register(
    args: &Args,
    world: &World,
    csrs: &[Csr],
    plan: Plan,
) -> Result<Row> {
    let roots = client::roots(&world.dir.join("ca.cert.pem"))?;
    let tls = client::connector(&roots, None)?;
    let bodies = Arc::new(csrs.iter().map(register_body).collect::<Vec<_>>());
    let mut conns = connect_all(world.zts_addr, &tls, args.concurrency).await?;
    let path = "/zts/v1/instance";
    if let Some(c) = conns.first_mut() {
        let a = c.call(path, &bodies[0], &[]).await?;
        check(&a, 201, b"x509Certificate")?;
        check_cert(identity_cert(&a.json()?)?)?;
    }
    let step = conns.len();
    let workers: Vec<Box<dyn Worker>> = conns
        .into_iter()
        .enumerate()
        .map(|(i, conn)| {
            Box::new(SignWorker {
                conn,
                path: path.into(),
                headers: Vec::new(),
                bodies: Arc::clone(&bodies),
                next: i,
                step,
                status: 201,
                marker: b"x509Certificate",
            }) as Box<dyn Worker>
        })
        .collect();
    let stats = run_phase("ZTS register", workers, plan, &zts_pids(world)).await?;
    Ok(Row::http(
        "register",
        format!(
            "ZTS register, {} keep-alive conns (provider callback, record stored){}",
            args.concurrency, args.zts_note
        ),
        stats,
    ))
}

/// CSRs (fresh keys) each refresh worker cycles through.
const RING: usize = 8;

/// Refreshes one instance, each time on a new TLS connection presenting the instance's current
/// certificate, with the next CSR of its ring; keeps the new certificate and key.
struct RefreshWorker {
    addr: SocketAddr,
    roots: Arc<RootCertStore>,
    path: String,
    cert: CertificateDer<'static>,
    key: Arc<dyn SigningKey>,
    ring: Vec<(Arc<dyn SigningKey>, String)>,
    next: usize,
}

#[async_trait::async_trait]
impl Worker for RefreshWorker {
    async fn once(&mut self) -> Result<()> {
        let (next_key, body) = &self.ring[self.next % self.ring.len()];
        let tls = client::connector_with(&self.roots, self.cert.clone(), Arc::clone(&self.key))?;
        let answer = {
            let mut conn = Conn::connect(self.addr, &tls).await?;
            conn.call(&self.path, body, &[]).await?
        };
        check(&answer, 200, b"x509Certificate")?;
        let v = answer.json()?;
        let pem = identity_cert(&v)?;
        self.cert = CertificateDer::from_pem_slice(pem.as_bytes()).context("refreshed cert")?;
        self.key = Arc::clone(next_key);
        self.next += 1;
        Ok(())
    }
}

/// Refresh on a new mTLS connection per request: each worker registers its own instance, then
/// chains refreshes, each presenting the certificate the previous one returned.
pub(crate) async fn zts_refresh(args: &Args, world: &World, plan: Plan) -> Result<Row> {
    let roots = client::roots(&world.dir.join("ca.cert.pem"))?;
    let tls = client::connector(&roots, None)?;
    let n = args.concurrency;
    let rings = tokio::task::spawn_blocking(move || {
        (0..n)
            .map(|i| {
                (0..RING)
                    .map(|_| make_csr(&format!("ref-{i}")))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()
    })
    .await??;
    let mut conn = Conn::connect(world.zts_addr, &tls).await?;
    let mut workers = Vec::with_capacity(n);
    for ring in rings {
        let first = ring.first().context("empty ring")?;
        let a = conn
            .call("/zts/v1/instance", &register_body(first), &[])
            .await?;
        check(&a, 201, b"x509Certificate")?;
        let pem = identity_cert(&a.json()?)?.to_string();
        let path = format!("/zts/v1/instance/{PROVIDER}/weather/api/{}", first.instance);
        let body = |c: &Csr| json!({"csr": c.pem, "attestationData": "ok"}).to_string();
        workers.push(RefreshWorker {
            addr: world.zts_addr,
            roots: Arc::clone(&roots),
            path,
            cert: CertificateDer::from_pem_slice(pem.as_bytes())?,
            key: client::signing_key(&first.key)?,
            ring: ring
                .iter()
                .map(|c| Ok((client::signing_key(&c.key)?, body(c))))
                .collect::<Result<_>>()?,
            next: 1,
        });
    }
    drop(conn);
    if let Some(w) = workers.first_mut() {
        w.once().await.context("first refresh")?;
    }
    let workers = workers
        .into_iter()
        .map(|w| Box::new(w) as Box<dyn Worker>)
        .collect();
    let stats: Stats = run_phase("ZTS refresh", workers, plan, &zts_pids(world)).await?;
    Ok(Row::http(
        "refresh",
        format!(
            "ZTS refresh, new mTLS connection each, {} instances (provider callback, record \
             updated){}",
            args.concurrency, args.zts_note
        ),
        stats,
    ))
}
