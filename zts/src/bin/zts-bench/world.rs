//! The world the tests build: `zms-server --dev` and `zts-server --dev` sharing one state
//! directory, ZMS set up for the provider `sys.provider.test` and the tenant `weather.api`, the
//! callback provider in this process, and the CSRs the rows send.

use crate::measure::PROVIDER_THREAD;
use crate::procs::Proc;
use anyhow::{Context, Result, bail, ensure};
use axum::extract::Request;
use axum::routing::post;
use axum::{Json, Router};
use model::zts::InstanceConfirmation;
use rcgen::{CertificateParams, DnType, KeyPair, SanType};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use server_common::tls::Peer;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) const PROVIDER: &str = "sys.provider.test";
pub(crate) const DNS_SUFFIX: &str = "test.athenz.cloud";

/// Both servers and the provider, stopped on drop.
pub(crate) struct World {
    pub(crate) dir: PathBuf,
    pub(crate) zms: Proc,
    pub(crate) zts: Proc,
    pub(crate) zts_addr: SocketAddr,
    _provider: ProviderThread,
}

impl World {
    pub(crate) async fn start(dir: &Path, zms_bin: &Path, zts_bin: &Path) -> Result<Self> {
        let mut cmd = Command::new(zms_bin);
        cmd.args(["--dev", "--listen", "127.0.0.1:0", "--state-dir"])
            .arg(dir);
        let (zms, zms_addr) = Proc::announced(cmd, "zms-server listening on ")?;
        let anon = http_client(dir, None)?;
        wait_status(&anon, &format!("https://{zms_addr}/zms/v1/status")).await?;

        let provider = ProviderThread::start(dir)?;
        setup_zms(dir, &format!("https://{zms_addr}"), &provider.url).await?;

        let mut cmd = Command::new(zts_bin);
        cmd.args(["--dev", "--listen", "127.0.0.1:0", "--zms-url"])
            .arg(format!("https://{zms_addr}"))
            .arg("--state-dir")
            .arg(dir);
        let (zts, zts_addr) = Proc::announced(cmd, "zts-server listening on ")?;
        wait_status(&anon, &format!("https://{zts_addr}/zts/v1/status")).await?;
        // ZTS knows the tenant once a register with a bad CSR answers 400 instead of 404.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let body = json!({"provider": PROVIDER, "domain": "weather", "service": "api",
                "attestationData": "ok", "csr": "x"});
            let r = anon
                .post(format!("https://{zts_addr}/zts/v1/instance"))
                .json(&body)
                .send()
                .await?;
            if r.status() == 400 {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "ZTS never saw the weather domain"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            zms,
            zts,
            zts_addr,
            _provider: provider,
        })
    }
}

/// reqwest client trusting the dev CA, with an optional client identity (PEM files).
fn http_client(dir: &Path, identity: Option<(&str, &str)>) -> Result<reqwest::Client> {
    let ca = std::fs::read(dir.join("ca.cert.pem"))?;
    let mut b =
        reqwest::Client::builder().add_root_certificate(reqwest::Certificate::from_pem(&ca)?);
    if let Some((cert, key)) = identity {
        let mut pem = std::fs::read(dir.join(cert))?;
        pem.extend(std::fs::read(dir.join(key))?);
        b = b.identity(reqwest::Identity::from_pem(&pem)?);
    }
    Ok(b.build()?)
}

async fn wait_status(c: &reqwest::Client, url: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if c.get(url).send().await.is_ok_and(|r| r.status() == 200) {
            return Ok(());
        }
        ensure!(Instant::now() < deadline, "{url} not ready after 120 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The ZMS side, as the tests set it up: the provider service with its endpoint, sys.auth launch
/// and DNS suffix grants, and the tenant `weather.api` the provider may launch.
async fn setup_zms(dir: &Path, zms: &str, provider_url: &str) -> Result<()> {
    use reqwest::Method;
    let c = http_client(dir, Some(("admin.cert.pem", "admin.key.pem")))?;
    let calls = [
        (
            Method::POST,
            "/subdomain/sys".to_string(),
            json!({"name": "provider", "parent": "sys", "adminUsers": ["user.admin"]}),
        ),
        (
            Method::PUT,
            "/domain/sys.provider/service/test".into(),
            json!({"name": PROVIDER}),
        ),
        (
            Method::PUT,
            "/domain/sys.provider/service/test/meta/system/providerendpoint".into(),
            json!({"providerEndpoint": provider_url}),
        ),
        (
            Method::PUT,
            "/domain/sys.auth/role/providers".into(),
            json!({"name": "sys.auth:role.providers", "roleMembers": [{"memberName": PROVIDER}]}),
        ),
        (
            Method::PUT,
            "/domain/sys.auth/policy/providers".into(),
            json!({"name": "sys.auth:policy.providers", "assertions": [
                {"role": "sys.auth:role.providers", "action": "launch", "resource": "sys.auth:instance"},
                {"role": "sys.auth:role.providers", "action": "launch",
                 "resource": format!("sys.auth:dns.{DNS_SUFFIX}")}]}),
        ),
        (
            Method::POST,
            "/domain".into(),
            json!({"name": "weather", "adminUsers": ["user.admin"]}),
        ),
        (
            Method::PUT,
            "/domain/weather/service/api".into(),
            json!({"name": "weather.api"}),
        ),
        (
            Method::PUT,
            "/domain/weather/role/launchers".into(),
            json!({"name": "weather:role.launchers", "roleMembers": [{"memberName": PROVIDER}]}),
        ),
        (
            Method::PUT,
            "/domain/weather/policy/launch".into(),
            json!({"name": "weather:policy.launch", "assertions": [{"role": "weather:role.launchers",
                "action": "launch", "resource": "weather:service.api"}]}),
        ),
    ];
    for (method, path, body) in calls {
        let r = c
            .request(method.clone(), format!("{zms}/zms/v1{path}"))
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        if !status.is_success() {
            bail!(
                "ZMS {method} {path}: {status} {}",
                r.text().await.unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// The callback provider: confirms attestation `ok` with `certExpiryTime: 60`, only for ZTS.
async fn decide(
    req: Request,
) -> Result<Json<InstanceConfirmation>, (axum::http::StatusCode, String)> {
    let forbidden = |m: String| (axum::http::StatusCode::FORBIDDEN, m);
    let caller = req
        .extensions()
        .get::<Peer>()
        .and_then(|p| p.principal.clone());
    if caller.as_deref() != Some("sys.auth.zts") {
        return Err(forbidden("only ZTS may call".into()));
    }
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .map_err(|e| (axum::http::StatusCode::BAD_REQUEST, e.to_string()))?;
    let mut c: InstanceConfirmation = serde_json::from_slice(&bytes)
        .map_err(|e| (axum::http::StatusCode::BAD_REQUEST, e.to_string()))?;
    if c.attestation_data != "ok" {
        return Err(forbidden(format!(
            "attestation {:?} refused",
            c.attestation_data
        )));
    }
    let mut attrs = std::collections::BTreeMap::new();
    attrs.insert("certExpiryTime".to_string(), "60".to_string());
    c.attributes = Some(attrs);
    Ok(Json(c))
}

/// The provider on its own thread and single-threaded runtime, so its CPU can be read apart.
struct ProviderThread {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProviderThread {
    fn start(dir: &Path) -> Result<Self> {
        let ca = server_common::devca::ensure_ca(dir)?;
        let (cert, key) = (dir.join("provider.cert.pem"), dir.join("provider.key.pem"));
        server_common::devca::issue_server_cert(&ca, PROVIDER, &cert, &key)?;
        let tls = server_common::tls::server_config(&cert, &key, &[dir.join("ca.cert.pem")])?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let url = format!("https://127.0.0.1:{}/", listener.local_addr()?.port());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(PROVIDER_THREAD.into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => return eprintln!("zts-bench: provider runtime: {e}"),
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => return eprintln!("zts-bench: provider listener: {e}"),
                    };
                    let app = Router::new()
                        .route("/instance", post(decide))
                        .route("/refresh", post(decide));
                    server_common::accept::run(listener, tls, app, async {
                        let _ = stopped.await;
                    })
                    .await;
                });
            })?;
        Ok(Self {
            url,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for ProviderThread {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A CSR as an agent makes it: a fresh P-256 key, CN `weather.api`, the provider's DNS name, the
/// SPIFFE URI and the instance id URI.
pub(crate) struct Csr {
    pub(crate) instance: String,
    pub(crate) pem: String,
    pub(crate) key: PrivateKeyDer<'static>,
}

pub(crate) fn make_csr(instance: &str) -> Result<Csr> {
    let key = KeyPair::generate()?;
    let mut p = CertificateParams::new(vec![format!("api.weather.{DNS_SUFFIX}")])?;
    p.distinguished_name.push(DnType::CommonName, "weather.api");
    p.subject_alt_names
        .push(SanType::URI("spiffe://weather/sa/api".try_into()?));
    p.subject_alt_names.push(SanType::URI(
        format!("athenz://instanceid/{PROVIDER}/{instance}").try_into()?,
    ));
    let pem = p.serialize_request(&key)?.pem()?;
    Ok(Csr {
        instance: instance.to_string(),
        pem,
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    })
}

/// `n` CSRs with instance ids `reg-0`…, made on every core before any row runs.
pub(crate) async fn csr_pool(n: usize) -> Result<Vec<Csr>> {
    let t = Instant::now();
    let parts = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut handles = Vec::new();
    for part in 0..parts {
        handles.push(tokio::task::spawn_blocking(move || {
            (part..n)
                .step_by(parts)
                .map(|i| make_csr(&format!("reg-{i}")).map(|c| (i, c)))
                .collect::<Result<Vec<_>>>()
        }));
    }
    let mut all = Vec::with_capacity(n);
    for h in handles {
        all.extend(h.await.context("CSR maker")??);
    }
    all.sort_by_key(|(i, _)| *i);
    eprintln!(
        "zts-bench: made {n} CSRs in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(all.into_iter().map(|(_, c)| c).collect())
}

/// The `x509Certificate` of a ZTS answer.
pub(crate) fn identity_cert(v: &Value) -> Result<&str> {
    v.get("x509Certificate")
        .and_then(Value::as_str)
        .context("no x509Certificate in the answer")
}
